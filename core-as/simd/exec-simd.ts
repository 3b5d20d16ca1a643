// Executes the Advanced SIMD and SIMD&FP load/store ops (OP_SIMD_FIRST..OP_SIMD_END).
import { undefinedInstruction } from '../exception';

export function execSimd(e: u32, p: u64): void {
  undefinedInstruction();
}
