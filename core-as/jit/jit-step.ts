// Helpers the compiled blocks import (machine/jit/ builds modules against these exports).
import { interpret } from '../interp';
import { exitReason, pc, remaining, setPC, setRemaining } from '../state';
import { fetchVA, invalidateFetch } from '../fetch';
import { jitEntryEpoch, jitSetNested } from './jit-hook';
import { jitEpoch } from './jit-map';

/**
 * Executes the one instruction at pc p exactly as the interpreter does,
 * with `rem` instructions of budget left before it. Returns 1 when the block may go on with the
 * next instruction: it completed (pc = p + 4), nothing asked the loop to end (an exit, an
 * interrupt that may be takeable), the fetch page and translation context are unchanged and no
 * compiled code was dropped. Otherwise the block returns at once: pc, registers, flags and the
 * budget are as the interpreter leaves them.
 */
export function jitStep(p: u64, rem: i32): i32 {
  setPC(p);
  setRemaining(rem);
  jitSetNested(true, rem - 1);
  interpret();
  jitSetNested(false, 0);
  return exitReason == 0 && remaining == rem - 1 && pc == p + 4 && fetchVA == (p & ~<u64>0xfff) &&
    jitEpoch == jitEntryEpoch ? 1 : 0;
}

/** A branch to a misaligned target: the interpreter's fetch takes the PC alignment fault. */
export function jitBranchMisaligned(): void { invalidateFetch(); }
