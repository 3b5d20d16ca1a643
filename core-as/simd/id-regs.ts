// The FP/AdvSIMD/crypto fields of the ID registers (Arm ARM D19.2: ID_AA64PFR0_EL1,
// ID_AA64ISAR0_EL1, ID_AA64ISAR1_EL1) for the CPU profile: 'max' advertises what core-as/fp and
// core-as/simd implement together, 'int' (CFG_CPU_INT) the integer-only profile. No SVE, no SME,
// no SM3/SM4, no FHM/BF16/I8MM.
import { CFG_CPU_INT } from '../layout';
import { config } from '../state';

@inline function intOnly(): bool { return (config() & CFG_CPU_INT) != 0; }

/** ID_AA64PFR0_EL1.FP [19:16] and .AdvSIMD [23:20]: 1 = implemented with half precision (FEAT_FP16); 0xf = not implemented. */
export function pfr0FpSimd(): u64 {
  if (intOnly()) return (<u64>0xf << 16) | (<u64>0xf << 20);
  return (<u64>1 << 16) | (<u64>1 << 20);
}

/** ID_AA64ISAR0_EL1 AES [7:4] = 2 (AES + PMULL), SHA1 [11:8] = 1, SHA2 [15:12] = 2 (SHA256 + SHA512),
 *  RDM [31:28] = 1 (SQRDMLAH/SQRDMLSH), SHA3 [35:32] = 1 (EOR3/RAX1/XAR/BCAX), DP [47:44] = 1 (SDOT/UDOT). */
export function isar0FpSimd(): u64 {
  if (intOnly()) return 0;
  return (<u64>2 << 4) | (<u64>1 << 8) | (<u64>2 << 12) | (<u64>1 << 28) | (<u64>1 << 32) | (<u64>1 << 44);
}

/** ID_AA64ISAR1_EL1 JSCVT [15:12] = 1 (FJCVTZS), FCMA [19:16] = 1 (FCADD/FCMLA), FRINTTS [35:32] = 1
 *  (FRINT32/64Z/X): the floating-point instructions core-as/fp implements. */
export function isar1FpSimd(): u64 {
  if (intOnly()) return 0;
  return (<u64>1 << 12) | (<u64>1 << 16) | (<u64>1 << 32);
}
