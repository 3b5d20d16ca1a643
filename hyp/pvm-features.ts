/**
 * The ID registers a protected guest sees and the CPU features a protected VM must (not) have
 * (kvm_init_pvm_id_regs() and pkvm_check_pvm_cpu_features() in arch/arm64/kvm/hyp/nvhe/pkvm.c and
 * sys_regs.c). The values start from the CPU's sanitised ID registers (PkvmOptions.idRegs) and keep
 * only what pKVM lets a protected guest use: AArch64 only at every EL, FP and AdvSIMD as the CPU
 * has them, RAS at most v1, no SVE, SME, MTE, AMU, MPAM, SEL2 or RME.
 *
 * Field layout: Arm ARM D19.2 (ID_AA64PFR0_EL1, ID_AA64PFR1_EL1).
 */
import { EINVAL } from './page-state';

export interface IdRegs {
  ID_AA64PFR0_EL1: bigint;
  ID_AA64PFR1_EL1: bigint;
}

const field = (v: bigint, shift: number): bigint => (v >> BigInt(shift)) & 0xfn;
const signed = (f: bigint): number => (f >= 8n ? Number(f) - 16 : Number(f));
const put = (shift: number, f: bigint): bigint => (f & 0xfn) << BigInt(shift);

/* ID_AA64PFR0_EL1 fields */
export const PFR0_EL0 = 0, PFR0_EL1 = 4, PFR0_EL2 = 8, PFR0_EL3 = 12, PFR0_FP = 16, PFR0_AdvSIMD = 20,
  PFR0_GIC = 24, PFR0_RAS = 28, PFR0_SVE = 32, PFR0_SEL2 = 36, PFR0_MPAM = 40, PFR0_AMU = 44, PFR0_DIT = 48,
  PFR0_RME = 52, PFR0_CSV2 = 56, PFR0_CSV3 = 60;
/* ID_AA64PFR1_EL1 fields */
export const PFR1_BT = 0, PFR1_SSBS = 4, PFR1_MTE = 8, PFR1_RAS_frac = 12, PFR1_MPAM_frac = 16, PFR1_SME = 24;

const ELx_64BIT_ONLY = 1n;
const RAS_IMP = 1n;

/**
 * The sanitised ID registers of a CPU pKVM is written for when the board gives none: AArch64 only
 * at EL0-EL2, no EL3 in the guest's view, FP and AdvSIMD implemented, GICv3 system registers.
 */
export const DEFAULT_HOST_ID_REGS: IdRegs = {
  ID_AA64PFR0_EL1: put(PFR0_EL0, 1n) | put(PFR0_EL1, 1n) | put(PFR0_EL2, 1n) | put(PFR0_FP, 0n)
    | put(PFR0_AdvSIMD, 0n) | put(PFR0_GIC, 1n),
  ID_AA64PFR1_EL1: 0n,
};

const umin = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** kvm_init_pvm_id_regs(): the restricted ID registers of a protected vCPU. */
export function kvm_init_pvm_id_regs(host: IdRegs): IdRegs {
  const p0 = host.ID_AA64PFR0_EL1;
  let pfr0 = 0n;
  /* Protected KVM does not support AArch32 guests: at most "AArch64 only" at every EL. */
  for (const f of [PFR0_EL0, PFR0_EL1, PFR0_EL2, PFR0_EL3]) pfr0 |= put(f, umin(field(p0, f), ELx_64BIT_ONLY));
  /* FP, AdvSIMD, the GIC interface, DIT, CSV2/CSV3 as the CPU has them. */
  for (const f of [PFR0_FP, PFR0_AdvSIMD, PFR0_GIC, PFR0_DIT, PFR0_CSV2, PFR0_CSV3]) pfr0 |= put(f, field(p0, f));
  pfr0 |= put(PFR0_RAS, umin(field(p0, PFR0_RAS), RAS_IMP));
  /* SVE, SEL2, MPAM, AMU, RME: not for protected guests (0). */
  const p1 = host.ID_AA64PFR1_EL1;
  let pfr1 = 0n;
  for (const f of [PFR1_BT, PFR1_SSBS]) pfr1 |= put(f, field(p1, f));
  /* MTE, RAS_frac, MPAM_frac, SME: 0. */
  return { ID_AA64PFR0_EL1: pfr0, ID_AA64PFR1_EL1: pfr1 };
}

/**
 * pkvm_check_pvm_cpu_features(): -EINVAL if the protected VM's features are outside what pKVM
 * supports: AArch32 at EL0 or EL1, no FP or no AdvSIMD (Linux guests assume both), SME.
 */
export function pkvm_check_pvm_cpu_features(id: IdRegs): number {
  const p0 = id.ID_AA64PFR0_EL1;
  const AARCH32 = 2n;
  if (field(p0, PFR0_EL0) >= AARCH32 || field(p0, PFR0_EL1) >= AARCH32) return -EINVAL;
  /* FP and AdvSIMD are signed fields: 0xF (-1) is "not implemented". */
  if (signed(field(p0, PFR0_FP)) < 0 || signed(field(p0, PFR0_AdvSIMD)) < 0) return -EINVAL;
  if (field(id.ID_AA64PFR1_EL1, PFR1_SME) !== 0n) return -EINVAL;
  return 0;
}
