/**
 * The trap configuration of a protected vCPU (pvm_init_traps_hcr() / pvm_init_traps_mdcr() in
 * arch/arm64/kvm/hyp/nvhe/pkvm.c, run by pkvm_vcpu_init_traps() at __pkvm_init_vcpu) and the
 * MDCR_EL2.HPMN update of __pkvm_vcpu_load. Each trap follows from the protected VM's restricted
 * ID registers (pvm-features.ts): what it may not use traps to EL2, where the system-register
 * emulation (pvm-sys-regs.ts) answers it or injects an UNDEFINED exception.
 */
import type { IdRegs } from './pvm-features';
import { DFR0_DebugVer, DFR0_DoubleLock, DFR0_ExtTrcBuff, DFR0_PMSVer, DFR0_PMUVer, DFR0_TraceFilt, MMFR0_FGT, PFR0_AMU, PFR0_RAS, PFR1_MTE, has_feat } from './pvm-features';

const B = (n: number): bigint => 1n << BigInt(n);
/* HCR_EL2 bits (Arm ARM D19.2.48) */
export const HCR_TACR = B(21), HCR_TIDCP = B(20), HCR_TID3 = B(18), HCR_TID1 = B(16), HCR_TERR = B(36), HCR_TEA = B(37),
  HCR_FIEN = B(47), HCR_AMVOFFEN = B(51), HCR_TID5 = B(58), HCR_DCT = B(57), HCR_ATA = B(56), HCR_TLOR = B(35), HCR_RW = B(31);
/** The HCR_EL2 trap bits pvm_init_traps_hcr() may set: the world switch programs them for a protected vCPU. */
export const HCR_PVM_TRAPS = HCR_TACR | HCR_TIDCP | HCR_TID3 | HCR_TID1 | HCR_TERR | HCR_TEA | HCR_TID5 | HCR_TLOR;
/* MDCR_EL2 bits (Arm ARM D19.2.71) */
export const MDCR_EL2_HPMN_MASK = 0x1fn, MDCR_EL2_TPMCR = B(5), MDCR_EL2_TPM = B(6), MDCR_EL2_HPME = B(7),
  MDCR_EL2_TDE = B(8), MDCR_EL2_TDA = B(9), MDCR_EL2_TDOSA = B(10), MDCR_EL2_TDRA = B(11), MDCR_EL2_E2PB_MASK = 3n << 12n,
  MDCR_EL2_TPMS = B(14), MDCR_EL2_TTRF = B(19), MDCR_EL2_E2TB_MASK = 3n << 24n, MDCR_EL2_TDCC = B(27), MDCR_EL2_MTPME = B(28);

/** pvm_init_traps_hcr(): HCR_EL2 of a protected vCPU from the value it had (TWI/TWE, reset flags). */
export function pvm_init_traps_hcr(hcr: bigint, id: Required<IdRegs>): bigint {
  let val = hcr | HCR_RW; /* no AArch32 */
  /* Always trap the feature ID registers and the IMPLEMENTATION DEFINED ones. */
  val |= HCR_TACR | HCR_TIDCP | HCR_TID3 | HCR_TID1;
  if (!has_feat(id.ID_AA64PFR0_EL1, PFR0_RAS)) { val |= HCR_TERR | HCR_TEA; val &= ~HCR_FIEN; }
  if (!has_feat(id.ID_AA64PFR0_EL1, PFR0_AMU)) val &= ~HCR_AMVOFFEN;
  if (!has_feat(id.ID_AA64PFR1_EL1, PFR1_MTE)) { val |= HCR_TID5; val &= ~(HCR_DCT | HCR_ATA); }
  if (!has_feat(id.ID_AA64MMFR1_EL1, 16 /* LO */)) val |= HCR_TLOR;
  return val;
}

/**
 * pvm_init_traps_mdcr(): MDCR_EL2 of a protected vCPU. kvm_has_feat() of a signed field (DoubleLock:
 * 0xF = not implemented) is false for the negative values.
 */
export function pvm_init_traps_mdcr(mdcr: bigint, id: Required<IdRegs>): bigint {
  const dfr0 = id.ID_AA64DFR0_EL1;
  let val = mdcr;
  if (!has_feat(dfr0, DFR0_PMUVer)) { val |= MDCR_EL2_TPM | MDCR_EL2_TPMCR; val &= ~(MDCR_EL2_HPME | MDCR_EL2_MTPME | MDCR_EL2_HPMN_MASK); }
  if (!has_feat(dfr0, DFR0_DebugVer)) val |= MDCR_EL2_TDRA | MDCR_EL2_TDA;
  const doubleLock = (dfr0 >> BigInt(DFR0_DoubleLock)) & 0xfn;
  if (doubleLock >= 8n) val |= MDCR_EL2_TDOSA;
  if (!has_feat(dfr0, DFR0_PMSVer)) { val |= MDCR_EL2_TPMS; val &= ~MDCR_EL2_E2PB_MASK; }
  if (!has_feat(dfr0, DFR0_TraceFilt)) val |= MDCR_EL2_TTRF;
  if (!has_feat(dfr0, DFR0_ExtTrcBuff)) val |= MDCR_EL2_E2TB_MASK;
  /* Trap the Debug Communications Channel registers without FEAT_FGT (the VM's view: never offered). */
  if (!has_feat(id.ID_AA64MMFR0_EL1, MMFR0_FGT)) val |= MDCR_EL2_TDCC;
  return val;
}

/**
 * __pkvm_vcpu_load for a protected vCPU: with PMUv3 on the CPU, MDCR_EL2.HPMN takes PMCR_EL0.N as
 * EL2 reads it (HPMN = 0 is reserved without FEAT_HPMN0), so the guest's PMCR_EL0.N is the CPU's.
 */
export function pvm_load_hpmn(mdcr: bigint, hostDfr0: bigint, pmcrN: number): bigint {
  const PMUVER_IMP_DEF = 0xfn;
  const pmuver = (hostDfr0 >> BigInt(DFR0_PMUVer)) & 0xfn;
  if (pmuver === 0n || pmuver === PMUVER_IMP_DEF) return mdcr; /* pmuv3_implemented() */
  return (mdcr & ~MDCR_EL2_HPMN_MASK) | (BigInt(pmcrN) & MDCR_EL2_HPMN_MASK);
}
