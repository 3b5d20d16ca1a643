// System registers: storage index, MRS/MSR encoding (op0:op1:CRn:CRm:op2) and access rules.
// Storage is CPU_BASE + OFF_SYSREGS + index * 8. Registers with side effects or computed values are
// handled in sysreg-access.ts; the rest are plain storage.
import { CPU_BASE, OFF_SYSREGS, SYSREG_FLAGS, SYSREG_MAP } from './layout';

// Index 0 means "not a register we implement" (the access is UNDEFINED).
export const SR_NONE: u32 = 0;
export const SCTLR_EL1: u32 = 1;
export const ACTLR_EL1: u32 = 2;
export const CPACR_EL1: u32 = 3;
export const TTBR0_EL1: u32 = 4;
export const TTBR1_EL1: u32 = 5;
export const TCR_EL1: u32 = 6;
export const SPSR_EL1: u32 = 7;
export const ELR_EL1: u32 = 8;
export const SP_EL0: u32 = 9;
export const SP_EL1: u32 = 10;
export const SP_EL2: u32 = 11;
export const AFSR0_EL1: u32 = 12;
export const AFSR1_EL1: u32 = 13;
export const ESR_EL1: u32 = 14;
export const FAR_EL1: u32 = 15;
export const PAR_EL1: u32 = 16;
export const MAIR_EL1: u32 = 17;
export const AMAIR_EL1: u32 = 18;
export const VBAR_EL1: u32 = 19;
export const CONTEXTIDR_EL1: u32 = 20;
export const TPIDR_EL1: u32 = 21;
export const CNTKCTL_EL1: u32 = 22;
export const CSSELR_EL1: u32 = 23;
export const TPIDR_EL0: u32 = 24;
export const TPIDRRO_EL0: u32 = 25;
export const FPCR: u32 = 26;
export const FPSR: u32 = 27;
export const CNTP_CTL_EL0: u32 = 28;
export const CNTP_CVAL_EL0: u32 = 29;
export const CNTV_CTL_EL0: u32 = 30;
export const CNTV_CVAL_EL0: u32 = 31;
export const MDSCR_EL1: u32 = 32;
export const OSLSR_EL1: u32 = 33;
export const OSDLR_EL1: u32 = 34;
export const HCR_EL2: u32 = 35;
export const SCTLR_EL2: u32 = 36;
export const ACTLR_EL2: u32 = 37;
export const MDCR_EL2: u32 = 38;
export const CPTR_EL2: u32 = 39;
export const HSTR_EL2: u32 = 40;
export const HACR_EL2: u32 = 41;
export const TTBR0_EL2: u32 = 42;
export const TCR_EL2: u32 = 43;
export const VTTBR_EL2: u32 = 44;
export const VTCR_EL2: u32 = 45;
export const SPSR_EL2: u32 = 46;
export const ELR_EL2: u32 = 47;
export const AFSR0_EL2: u32 = 48;
export const AFSR1_EL2: u32 = 49;
export const ESR_EL2: u32 = 50;
export const FAR_EL2: u32 = 51;
export const HPFAR_EL2: u32 = 52;
export const MAIR_EL2: u32 = 53;
export const AMAIR_EL2: u32 = 54;
export const VBAR_EL2: u32 = 55;
export const TPIDR_EL2: u32 = 56;
export const CNTHCTL_EL2: u32 = 57;
export const CNTVOFF_EL2: u32 = 58;
export const VPIDR_EL2: u32 = 59;
export const VMPIDR_EL2: u32 = 60;
export const CNTHP_CTL_EL2: u32 = 61;
export const CNTHP_CVAL_EL2: u32 = 62;
export const CONTEXTIDR_EL2: u32 = 63;
// Read-only identification registers.
export const MIDR_EL1: u32 = 64;
export const MPIDR_EL1: u32 = 65;
export const REVIDR_EL1: u32 = 66;
export const ID_AA64PFR0_EL1: u32 = 67;
export const ID_AA64PFR1_EL1: u32 = 68;
export const ID_AA64DFR0_EL1: u32 = 69;
export const ID_AA64ISAR0_EL1: u32 = 70;
export const ID_AA64ISAR1_EL1: u32 = 71;
export const ID_AA64MMFR0_EL1: u32 = 72;
export const ID_AA64MMFR1_EL1: u32 = 73;
export const ID_AA64MMFR2_EL1: u32 = 74;
export const ID_RAZ: u32 = 75; // unallocated ID space: reads as zero
export const CTR_EL0: u32 = 76;
export const DCZID_EL0: u32 = 77;
export const CLIDR_EL1: u32 = 78;
export const CCSIDR_EL1: u32 = 79;
// Computed / special registers (sysreg-access.ts).
export const NZCV: u32 = 80;
export const DAIF: u32 = 81;
export const SPSEL: u32 = 82;
export const CURRENTEL: u32 = 83;
export const PAN: u32 = 84;
export const CNTFRQ_EL0: u32 = 85;
export const CNTPCT_EL0: u32 = 86;
export const CNTVCT_EL0: u32 = 87;
export const CNTP_TVAL_EL0: u32 = 88;
export const CNTV_TVAL_EL0: u32 = 89;
export const OSLAR_EL1: u32 = 90;
export const ISR_EL1: u32 = 91;
export const CNTHP_TVAL_EL2: u32 = 92;
export const UAO: u32 = 93;
export const SR_COUNT: u32 = 94;
/** Not a register: the IMPLEMENTATION DEFINED encodings (op0 3, CRn 11/15), none implemented (hcr-traps.ts). */
export const IMPDEF_SPACE: u32 = 199;
// Index ranges for new registers, so that subsystems can add theirs without colliding:
//   94..199 general (this file), 200..299 GIC and generic timer (core-as/gic/),
//   300..349 FP/SIMD, 350..449 PMU (pmu/), 450..511 self-hosted debug (selfdebug/). Storage for every index < SR_MAX is zeroed at reset.
export const SR_MAX: u32 = 512;

// Access flags per index (byte table in sysreg-access.ts): minimum EL in bits 1:0, RO = 4, WO = 8.
export const SRF_RO: u32 = 4;
export const SRF_WO: u32 = 8;

@inline export function srKey(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32): u32 {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

@inline export function srAddr(idx: u32): u32 {
  return CPU_BASE + OFF_SYSREGS + (idx << 3);
}
@inline export function srGet(idx: u32): u64 {
  return load<u64>(CPU_BASE + OFF_SYSREGS + (idx << 3));
}
@inline export function srSet(idx: u32, v: u64): void {
  store<u64>(CPU_BASE + OFF_SYSREGS + (idx << 3), v);
}

const FLAGS_BASE: u32 = SYSREG_FLAGS;

@inline export function srFlags(idx: u32): u32 {
  return load<u8>(FLAGS_BASE + idx);
}

/** An MRS of a write-only register or an MSR of a read-only one: an unallocated encoding. */
@inline export function srWrongDirection(idx: u32, isRead: bool): bool {
  return (srFlags(idx) & (isRead ? SRF_WO : SRF_RO)) != 0;
}

export function def(idx: u32, op0: u32, op1: u32, crn: u32, crm: u32, op2: u32, flags: u32): void {
  store<u16>(SYSREG_MAP + (srKey(op0, op1, crn, crm, op2) << 1), <u16>idx);
  store<u8>(FLAGS_BASE + idx, <u8>flags);
}

/** Fills the encoding map. Minimum EL: op1 = 0,1,2,7 → EL1, 3 → EL0, 4,5 → EL2 (Arm ARM C5.3). */
export function initSysregMap(): void {
  memory.fill(SYSREG_MAP, 0, 0x20000);
  memory.fill(SYSREG_FLAGS, 0, SR_MAX);
  // Unallocated ID space (op0=3, op1=0, CRn=0, CRm=1..7) reads as zero at EL1.
  for (let crm: u32 = 1; crm < 8; crm++) for (let op2: u32 = 0; op2 < 8; op2++) def(ID_RAZ, 3, 0, 0, crm, op2, 1 | SRF_RO);
  def(MIDR_EL1, 3, 0, 0, 0, 0, 1 | SRF_RO);
  def(MPIDR_EL1, 3, 0, 0, 0, 5, 1 | SRF_RO);
  def(REVIDR_EL1, 3, 0, 0, 0, 6, 1 | SRF_RO);
  def(ID_RAZ, 3, 1, 0, 0, 7, 1 | SRF_RO); // AIDR_EL1: IMPLEMENTATION DEFINED, zero here (as QEMU's max CPU)
  def(ID_AA64PFR0_EL1, 3, 0, 0, 4, 0, 1 | SRF_RO);
  def(ID_AA64PFR1_EL1, 3, 0, 0, 4, 1, 1 | SRF_RO);
  def(ID_AA64DFR0_EL1, 3, 0, 0, 5, 0, 1 | SRF_RO);
  def(ID_AA64ISAR0_EL1, 3, 0, 0, 6, 0, 1 | SRF_RO);
  def(ID_AA64ISAR1_EL1, 3, 0, 0, 6, 1, 1 | SRF_RO);
  def(ID_AA64MMFR0_EL1, 3, 0, 0, 7, 0, 1 | SRF_RO);
  def(ID_AA64MMFR1_EL1, 3, 0, 0, 7, 1, 1 | SRF_RO);
  def(ID_AA64MMFR2_EL1, 3, 0, 0, 7, 2, 1 | SRF_RO);
  def(CCSIDR_EL1, 3, 1, 0, 0, 0, 1 | SRF_RO);
  def(CLIDR_EL1, 3, 1, 0, 0, 1, 1 | SRF_RO);
  def(CSSELR_EL1, 3, 2, 0, 0, 0, 1);
  def(CTR_EL0, 3, 3, 0, 0, 1, 0 | SRF_RO);
  def(DCZID_EL0, 3, 3, 0, 0, 7, 0 | SRF_RO);
  def(SCTLR_EL1, 3, 0, 1, 0, 0, 1);
  def(ACTLR_EL1, 3, 0, 1, 0, 1, 1);
  def(CPACR_EL1, 3, 0, 1, 0, 2, 1);
  def(TTBR0_EL1, 3, 0, 2, 0, 0, 1);
  def(TTBR1_EL1, 3, 0, 2, 0, 1, 1);
  def(TCR_EL1, 3, 0, 2, 0, 2, 1);
  def(SPSR_EL1, 3, 0, 4, 0, 0, 1);
  def(ELR_EL1, 3, 0, 4, 0, 1, 1);
  def(SP_EL0, 3, 0, 4, 1, 0, 1);
  def(SPSEL, 3, 0, 4, 2, 0, 1);
  def(CURRENTEL, 3, 0, 4, 2, 2, 1 | SRF_RO);
  def(PAN, 3, 0, 4, 2, 3, 1);
  def(NZCV, 3, 3, 4, 2, 0, 0);
  def(DAIF, 3, 3, 4, 2, 1, 0);
  def(FPCR, 3, 3, 4, 4, 0, 0);
  def(FPSR, 3, 3, 4, 4, 1, 0);
  def(AFSR0_EL1, 3, 0, 5, 1, 0, 1);
  def(AFSR1_EL1, 3, 0, 5, 1, 1, 1);
  def(ESR_EL1, 3, 0, 5, 2, 0, 1);
  def(FAR_EL1, 3, 0, 6, 0, 0, 1);
  def(PAR_EL1, 3, 0, 7, 4, 0, 1);
  def(MAIR_EL1, 3, 0, 10, 2, 0, 1);
  def(AMAIR_EL1, 3, 0, 10, 3, 0, 1);
  def(VBAR_EL1, 3, 0, 12, 0, 0, 1);
  def(ISR_EL1, 3, 0, 12, 1, 0, 1 | SRF_RO);
  def(CONTEXTIDR_EL1, 3, 0, 13, 0, 1, 1);
  def(TPIDR_EL1, 3, 0, 13, 0, 4, 1);
  def(CNTKCTL_EL1, 3, 0, 14, 1, 0, 1);
  def(TPIDR_EL0, 3, 3, 13, 0, 2, 0);
  def(TPIDRRO_EL0, 3, 3, 13, 0, 3, 0);
  def(CNTFRQ_EL0, 3, 3, 14, 0, 0, 0);
  def(CNTPCT_EL0, 3, 3, 14, 0, 1, 0 | SRF_RO);
  def(CNTVCT_EL0, 3, 3, 14, 0, 2, 0 | SRF_RO);
  def(CNTP_TVAL_EL0, 3, 3, 14, 2, 0, 0);
  def(CNTP_CTL_EL0, 3, 3, 14, 2, 1, 0);
  def(CNTP_CVAL_EL0, 3, 3, 14, 2, 2, 0);
  def(CNTV_TVAL_EL0, 3, 3, 14, 3, 0, 0);
  def(CNTV_CTL_EL0, 3, 3, 14, 3, 1, 0);
  def(CNTV_CVAL_EL0, 3, 3, 14, 3, 2, 0);
  def(MDSCR_EL1, 2, 0, 0, 2, 2, 1);
  def(OSLAR_EL1, 2, 0, 1, 0, 4, 1 | SRF_WO);
  def(OSLSR_EL1, 2, 0, 1, 1, 4, 1 | SRF_RO);
  def(OSDLR_EL1, 2, 0, 1, 3, 4, 1);
  def(VPIDR_EL2, 3, 4, 0, 0, 0, 2);
  def(VMPIDR_EL2, 3, 4, 0, 0, 5, 2);
  def(SCTLR_EL2, 3, 4, 1, 0, 0, 2);
  def(ACTLR_EL2, 3, 4, 1, 0, 1, 2);
  def(HCR_EL2, 3, 4, 1, 1, 0, 2);
  def(MDCR_EL2, 3, 4, 1, 1, 1, 2);
  def(CPTR_EL2, 3, 4, 1, 1, 2, 2);
  def(HSTR_EL2, 3, 4, 1, 1, 3, 2);
  def(HACR_EL2, 3, 4, 1, 1, 7, 2);
  def(TTBR0_EL2, 3, 4, 2, 0, 0, 2);
  def(TCR_EL2, 3, 4, 2, 0, 2, 2);
  def(VTTBR_EL2, 3, 4, 2, 1, 0, 2);
  def(VTCR_EL2, 3, 4, 2, 1, 2, 2);
  def(SPSR_EL2, 3, 4, 4, 0, 0, 2);
  def(ELR_EL2, 3, 4, 4, 0, 1, 2);
  def(SP_EL1, 3, 4, 4, 1, 0, 2);
  def(AFSR0_EL2, 3, 4, 5, 1, 0, 2);
  def(AFSR1_EL2, 3, 4, 5, 1, 1, 2);
  def(ESR_EL2, 3, 4, 5, 2, 0, 2);
  def(FAR_EL2, 3, 4, 6, 0, 0, 2);
  def(HPFAR_EL2, 3, 4, 6, 0, 4, 2);
  def(MAIR_EL2, 3, 4, 10, 2, 0, 2);
  def(AMAIR_EL2, 3, 4, 10, 3, 0, 2);
  def(VBAR_EL2, 3, 4, 12, 0, 0, 2);
  def(CONTEXTIDR_EL2, 3, 4, 13, 0, 1, 2);
  def(TPIDR_EL2, 3, 4, 13, 0, 2, 2);
  def(CNTVOFF_EL2, 3, 4, 14, 0, 3, 2);
  def(CNTHCTL_EL2, 3, 4, 14, 1, 0, 2);
  def(CNTHP_TVAL_EL2, 3, 4, 14, 2, 0, 2);
  def(CNTHP_CTL_EL2, 3, 4, 14, 2, 1, 2);
  def(CNTHP_CVAL_EL2, 3, 4, 14, 2, 2, 2);
}

@inline export function srLookup(key: u32): u32 {
  return load<u16>(SYSREG_MAP + (key << 1));
}
