// Executes the floating-point ops (OP_FP_FIRST..OP_FP_END) of the decoded entry at e, fetched at p.
import { undefinedInstruction } from '../exception';

export function execFp(e: u32, p: u64): void {
  undefinedInstruction();
}
