// Where compiled code leaves WebAssembly for the core, by op (`--stats` only: JP_TIMING set).
// Every instruction a compiled block hands to the interpreter (jitExec) or to an FP/SIMD executor
// (jitFpOp) is counted under a key: the op id, or for the Advanced SIMD class engines
// (OPS_3SAME..OPS_DOT, whose ra is the sub-operation) the class and its ra. The last PC seen
// with each key is kept so the instruction can be found in the guest image.
import { D_OP, D_RA } from '../decoded';
import { JIT_PARAMS, JIT_PROF_COUNT, JIT_PROF_KEYS, JIT_PROF_PC, JP_TIMING } from './jit-layout';

export const PROF_EXEC: u32 = 0; // through jitExec (the interpreter, one instruction)
export const PROF_FPOP: u32 = 1; // through jitFpOp (an FP/SIMD executor)

/** The key of the op at decode entry e (jit-layout.ts JIT_PROF_KEYS keys per kind). */
@inline function profKey(e: u32): u32 {
  const op = <u32>load<u16>(e, D_OP);
  if (op >= 0x840 && op < 0x850) return 0x1000 + ((op - 0x840) << 6) + (<u32>load<u8>(e, D_RA) & 63);
  return op & 0xfff;
}

@inline export function jitProf(kind: u32, e: u32, p: u64): void {
  if (load<u32>(JIT_PARAMS + JP_TIMING) == 0) return;
  const k = kind * JIT_PROF_KEYS + profKey(e);
  store<u32>(JIT_PROF_COUNT + (k << 2), load<u32>(JIT_PROF_COUNT + (k << 2)) + 1);
  store<u64>(JIT_PROF_PC + (k << 3), p);
}
