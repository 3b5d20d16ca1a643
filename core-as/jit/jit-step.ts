// Helpers the compiled blocks import (machine/jit/ builds modules against these exports).
import { interpret } from '../interp';
import { exitReason, pc, remaining, setCurEntry, setPC, setRemaining } from '../state';
import { D_OP } from '../decoded';
import { execFp } from '../fp/exec-fp';
import { execSimd } from '../simd/exec-simd';
import { OP_FP_END, OP_FP_FIRST } from '../fp/ops-fp';
import { OP_SIMD_END, OP_SIMD_FIRST } from '../simd/ops-simd';
import { fpAccessOk } from '../fp/fp-access';
import { fetchVA, invalidateFetch } from '../fetch';
import { jitEntryEpoch, jitSetNested } from './jit-hook';
import { jitEpoch } from './jit-map';
import { JIT_PARAMS, JP_STEPS } from './jit-layout';
import { jitProf, PROF_EXEC, PROF_FPOP } from './jit-prof';
import { pkvmFastRetried, pkvmFastRetriedClear } from '../pkvm-fast-fault';

/**
 * Executes the one instruction at pc p exactly as the interpreter does,
 * with `rem` instructions of budget left before it. Returns 1 when the block may go on with the
 * next instruction: it completed (pc = p + 4), nothing asked the loop to end (an exit, an
 * interrupt that may be takeable), the fetch page and translation context are unchanged and no
 * compiled code was dropped; 2 when so but the instruction counted twice (a stage-2 fault the
 * core's fault fast path resolved, the access made again in place: pkvm-fast-fault.ts; every
 * caller that goes on handles 2: translate.ts stepResult()). Otherwise the block returns at once:
 * pc, registers, flags and the budget are as the interpreter leaves them.
 */
export function jitStep(p: u64, rem: i32): i32 {
  store<u64>(JIT_PARAMS + JP_STEPS, load<u64>(JIT_PARAMS + JP_STEPS) + 1);
  setPC(p);
  setRemaining(rem);
  jitSetNested(true, rem - 1);
  interpret();
  jitSetNested(false, 0);
  const retried = pkvmFastRetried;
  if (retried) pkvmFastRetriedClear();
  if (exitReason != 0 || pc != p + 4 || fetchVA != (p & ~<u64>0xfff) || jitEpoch != jitEntryEpoch) return 0;
  return remaining == rem - 1 ? 1 : remaining == rem - 2 && retried ? 2 : 0;
}

/**
 * jitStep for the instruction whose decoded op is at e: FP and Advanced SIMD ops go straight to
 * their executors (what the interpreter's dispatch does for them: the budget counts the
 * instruction, curEntry names it), everything else through jitStep.
 */
export function jitExec(e: u32, p: u64, rem: i32): i32 {
  jitProf(PROF_EXEC, e, p);
  const op = <u32>load<u16>(e, D_OP);
  const fp = op >= OP_FP_FIRST && op < OP_FP_END;
  if (!fp && !(op >= OP_SIMD_FIRST && op < OP_SIMD_END)) return jitStep(p, rem);
  store<u64>(JIT_PARAMS + JP_STEPS, load<u64>(JIT_PARAMS + JP_STEPS) + 1);
  setPC(p);
  setRemaining(rem - 1);
  setCurEntry(e);
  if (fp) execFp(e, p); else execSimd(e, p);
  return exitReason == 0 && remaining == rem - 1 && pc == p + 4 && fetchVA == (p & ~<u64>0xfff) &&
    jitEpoch == jitEntryEpoch ? 1 : 0;
}

/** A branch to a misaligned target: the interpreter's fetch takes the PC alignment fault. */
export function jitBranchMisaligned(): void { invalidateFetch(); }

/**
 * Compiled code's SIMD&FP access check: 1 when FP/SIMD instructions run now without trapping
 * (fp-access.ts). Compiled code makes it before its first FP/SIMD instruction and again after any
 * instruction it ran through jitExec (only those can change EL, CPACR_EL1, CPTR_EL2 or HCR_EL2);
 * when it fails the instruction goes through jitExec, which takes the trap as the interpreter does.
 */
export function jitFpOk(): i32 { return fpAccessOk() ? 1 : 0; }

/**
 * One FP or Advanced SIMD data-processing instruction (decoded entry e at pc p) for compiled code,
 * after jitFpOk passed: only V registers, FPCR/FPSR and the general registers or NZCV the compiled
 * code stored for it (machine/jit/translate-fp.ts) are read or written, and nothing can trap. The
 * instruction is counted by the compiled code (its budget), not here.
 */
export function jitFpOp(e: u32, p: u64): void {
  jitProf(PROF_FPOP, e, p);
  setCurEntry(e);
  if (<u32>load<u16>(e, D_OP) < OP_FP_END) execFp(e, p); else execSimd(e, p);
}
