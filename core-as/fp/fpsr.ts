// FPCR fields and the FPSR cumulative exception flags (Arm ARM D17.2.48/D17.2.49). Every softfloat
// operation raises its flags straight into FPSR (no trapped exceptions: FPCR's trap enables are
// RAZ/WI, as on QEMU).
import { FPSR, srGet, srSet } from '../sysregs';

export const IOC: u32 = 1 << 0;
export const DZC: u32 = 1 << 1;
export const OFC: u32 = 1 << 2;
export const UFC: u32 = 1 << 3;
export const IXC: u32 = 1 << 4;
export const IDC: u32 = 1 << 7;
export const QC: u32 = 1 << 27;

export const FPCR_AHP: u32 = 1 << 26;
export const FPCR_DN: u32 = 1 << 25;
export const FPCR_FZ: u32 = 1 << 24;
export const FPCR_FZ16: u32 = 1 << 19;
/** The FPCR bits that are writable here: AHP, DN, FZ, RMode, FZ16 (no AArch32, no FEAT_AFP). */
export const FPCR_WRITABLE: u64 = 0x07c80000;
/** FPSR: QC and the cumulative flags (NZCV bits 31:28 are RES0 without AArch32). */
export const FPSR_WRITABLE: u64 = 0x0800009f;

// Rounding modes: FPCR.RMode values 0..3, then the ones only instructions select.
export const RN: u32 = 0; // FPRounding_TIEEVEN
export const RP: u32 = 1; // FPRounding_POSINF
export const RM: u32 = 2; // FPRounding_NEGINF
export const RZ: u32 = 3; // FPRounding_ZERO
export const RA: u32 = 4; // FPRounding_TIEAWAY
export const RO: u32 = 5; // FPRounding_ODD

@inline export function fpRMode(fpcr: u32): u32 { return (fpcr >> 22) & 3; }

export function raise(bits: u32): void {
  srSet(FPSR, srGet(FPSR) | <u64>bits);
}
