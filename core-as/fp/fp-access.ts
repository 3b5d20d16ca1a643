// The SIMD&FP access check every FP/SIMD instruction (and FPCR/FPSR access) makes before it runs:
// CPACR_EL1.FPEN (traps to EL1), CPTR_EL2.TFP (traps to EL2) and HCR_EL2.TGE's effect on CPACR_EL1,
// with ESR EC 0x07 (Arm ARM AArch64.CheckFPAdvSIMDEnabled, AArch64.CheckFPEnabled,
// AArch64.AdvSIMDFPAccessTrap). FEAT_VHE is not implemented, so HCR_EL2.E2H plays no part.
// Returns false when an exception was taken (the caller then retires nothing further).
import { EC_UNKNOWN, takeSimple } from '../exception';
import { curEL, haveEL2, hcr, HCR_TGE, pc } from '../state';
import { CPACR_EL1, CPTR_EL2, srGet } from '../sysregs';

export const EC_FP_ACCESS: u32 = 0x07;
/** ISS of EC 0x07 from AArch64: CV = 1, COND = 0b1110 (ConditionSyndrome). */
export const ISS_FP_ACCESS: u32 = 0x1e00000;
const CPTR_TFP: u64 = 1 << 10;

/** The access check passes now (no side effects): what fpAccessCheck tests, without taking the trap. */
export function fpAccessOk(): bool {
  const el = curEL;
  if (el < 2) {
    const fpen = <u32>(srGet(CPACR_EL1) >> 20) & 3;
    if ((fpen & 1) == 0 || (fpen == 1 && el == 0)) return false;
  }
  return !(haveEL2() && (srGet(CPTR_EL2) & CPTR_TFP) != 0);
}

export function fpAccessCheck(): bool {
  const el = curEL;
  if (el < 2) {
    const fpen = <u32>(srGet(CPACR_EL1) >> 20) & 3;
    if ((fpen & 1) == 0 || (fpen == 1 && el == 0)) {
      // AArch64.AdvSIMDFPAccessTrap(EL1): with HCR_EL2.TGE set it goes to EL2 as "uncategorized"
      if (haveEL2() && (hcr() & HCR_TGE) != 0) takeSimple(2, EC_UNKNOWN, 0, pc);
      else takeSimple(1, EC_FP_ACCESS, ISS_FP_ACCESS, pc);
      return false;
    }
  }
  if (haveEL2() && (srGet(CPTR_EL2) & CPTR_TFP) != 0) {
    takeSimple(2, EC_FP_ACCESS, ISS_FP_ACCESS, pc);
    return false;
  }
  return true;
}
