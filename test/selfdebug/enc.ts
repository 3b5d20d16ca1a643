// Encoders and register indices shared by the self-hosted debug and PMU tests.
import { SR } from '../core/harness';

export type Enc = [number, number, number, number, number];
const sysEnc = ([op0, op1, crn, crm, op2]: Enc) => ((op0 & 1) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5);
export const mrs = (rt: number, r: Enc) => (0xd5300000 | sysEnc(r) | rt) >>> 0;
export const msr = (r: Enc, rt: number) => (0xd5100000 | sysEnc(r) | rt) >>> 0;

export const BRK = (imm: number) => (0xd4200000 | (imm << 5)) >>> 0;
export const SVC0 = 0xd4000001;
export const ERET = 0xd69f03e0;
export const ADD_X5_1 = 0x910004a5; // ADD X5, X5, #1
export const STR = (rt: number, rn: number) => (0xf9000000 | (rn << 5) | rt) >>> 0; // STR Xt, [Xn]
export const LDR = (rt: number, rn: number) => (0xf9400000 | (rn << 5) | rt) >>> 0; // LDR Xt, [Xn]
export const LDRW = (rt: number, rn: number) => (0xb9400000 | (rn << 5) | rt) >>> 0; // LDR Wt, [Xn]
export const STTR = (rt: number, rn: number) => (0xf8000800 | (rn << 5) | rt) >>> 0; // STTR Xt, [Xn]
export const LDXR = (rt: number, rn: number) => (0xc85f7c00 | (rn << 5) | rt) >>> 0; // LDXR Xt, [Xn]
export const LDP = (rt: number, rt2: number, rn: number) => (0xa9400000 | (rt2 << 10) | (rn << 5) | rt) >>> 0;
export const DC_ZVA = (rt: number) => (0xd50b7420 | rt) >>> 0;

// Storage indices of core-as/selfdebug/debug-regs.ts (the breakpoint/watchpoint registers are not
// in machine/core-constants.ts's SR).
export const DBGBVR = (n: number) => 450 + n;
export const DBGBCR = (n: number) => 458 + n;
export const DBGWVR = (n: number) => 466 + n;
export const DBGWCR = (n: number) => 472 + n;

// MDSCR_EL1 (D17.3.22), MDCR_EL2 (D17.2.?), HCR_EL2 bits.
export const MDSCR_SS = 1n, MDSCR_KDE = 1n << 13n, MDSCR_MDE = 1n << 15n;
export const MDCR_TDE = 1n << 8n;
export const HCR_RW = 1n << 31n, HCR_TGE = 1n << 27n;
export const PSTATE_SS = 1n << 21n;

/** DBGBCR: E, PMC, BAS = 0b1111 (RES1 without AArch32), HMC, SSC, LBN, BT. */
export function bcr(o: { pmc?: number; hmc?: number; ssc?: number; lbn?: number; bt?: number } = {}): bigint {
  return 1n | (BigInt(o.pmc ?? 3) << 1n) | (0xfn << 5n) | (BigInt(o.hmc ?? 0) << 13n) | (BigInt(o.ssc ?? 0) << 14n) |
    (BigInt(o.lbn ?? 0) << 16n) | (BigInt(o.bt ?? 0) << 20n);
}
/** DBGWCR: E, PAC, LSC (1 load, 2 store, 3 both), BAS, HMC, SSC, LBN, WT, MASK. */
export function wcr(o: { pac?: number; lsc?: number; bas?: number; hmc?: number; ssc?: number; lbn?: number; wt?: number; mask?: number } = {}): bigint {
  return 1n | (BigInt(o.pac ?? 3) << 1n) | (BigInt(o.lsc ?? 3) << 3n) | (BigInt(o.bas ?? 0xff) << 5n) | (BigInt(o.hmc ?? 0) << 13n) |
    (BigInt(o.ssc ?? 0) << 14n) | (BigInt(o.lbn ?? 0) << 16n) | (BigInt(o.wt ?? 0) << 20n) | (BigInt(o.mask ?? 0) << 24n);
}

export { SR };
