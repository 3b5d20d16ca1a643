// A stuck CPU says so: a recursive exception loop (the same synchronous exception taken again and
// again at its own vector with no instruction retired in between: VBAR left at 0, an unmapped
// vector table, a stack that keeps aborting) and a branch-to-self that nothing can interrupt end
// the run with EXIT_STUCK and a description in the exit payload (EXIT_STUCK_* below).
//
// Cost: noteException() runs only when an exception is taken; branchToSelf() only for `B .`.
// Nothing here is on the path of an ordinary instruction.
import {
  EXIT_BASE, EXIT_STUCK, EXIT_STUCK_COUNT, EXIT_STUCK_EL, EXIT_STUCK_ESR, EXIT_STUCK_FAR, EXIT_STUCK_KIND,
  EXIT_STUCK_LOOP_ESR, EXIT_STUCK_PC, EXIT_STUCK_VECTOR, STUCK_BRANCH_SELF, STUCK_EXCEPTION_LOOP,
} from './layout';
import { curEL, el2Hosted, getDAIF, haveEL2, hcr, HCR_FMO, HCR_IMO, HCR_TGE, requestExit } from './state';
import { ticksNow } from './timer';

/** Exceptions taken at their own vector, back to back, before the run ends as stuck. */
export const STUCK_REPEATS: u32 = 16;

// The previous exception (per core instance; with SMP a switch of CPU between two exceptions breaks
// a chain, which only delays detection: two CPUs never produce a false chain, the tick test below
// requires back-to-back exceptions).
let prevVector: u64 = <u64>-1;
let prevTicks: u64 = 0;
let prevEL: u32 = 0;
let prevEsr: u64 = 0;
let prevFar: u64 = 0;
let prevPc: u64 = 0;
let prevAtVector: bool = false;
// The exception whose vector the loop is stuck in.
let originEL: u32 = 0;
let originVector: u64 = 0;
let originEsr: u64 = 0;
let originFar: u64 = 0;
let originPc: u64 = 0;
let repeats: u32 = 0;
// Per target EL, the last exception not raised at its own vector (the candidate origin of a loop).
// Allocated once at start-up; nothing here allocates when an exception is taken.
const entryVector = new StaticArray<u64>(3);
const entryEsr = new StaticArray<u64>(3);
const entryFar = new StaticArray<u64>(3);
const entryPc = new StaticArray<u64>(3);

/**
 * Called by takeException() once the exception is entered: `raisedAt` is the PC of the instruction
 * that raised it, `ret` its preferred return address, `vector` the new PC. Each instruction attempt
 * and each exception counts one tick (timer.ts), so an exception raised by the first instruction at
 * the vector the previous one entered is one tick after it — two when that instruction's access went
 * out to a device first (an MMIO exit answered with a bus error replays the instruction).
 */
export function noteException(targetEL: u32, esr: u64, far: u64, raisedAt: u64, ret: u64, vector: u64): void {
  const t = ticksNow();
  const atVector = ret == prevVector && targetEL == prevEL && t - prevTicks <= 2;
  if (atVector && prevAtVector && esr == prevEsr) {
    repeats++;
    if (repeats >= STUCK_REPEATS) {
      const b = EXIT_BASE;
      store<u32>(b + EXIT_STUCK_KIND, STUCK_EXCEPTION_LOOP);
      store<u32>(b + EXIT_STUCK_EL, originEL);
      store<u64>(b + EXIT_STUCK_VECTOR, originVector);
      store<u64>(b + EXIT_STUCK_ESR, originEsr);
      store<u64>(b + EXIT_STUCK_FAR, originFar);
      store<u64>(b + EXIT_STUCK_PC, originPc);
      store<u64>(b + EXIT_STUCK_LOOP_ESR, esr);
      store<u32>(b + EXIT_STUCK_COUNT, repeats + 1);
      repeats = 0;
      prevVector = <u64>-1;
      requestExit(EXIT_STUCK);
      return;
    }
  } else if (atVector) {
    // The first exception raised at the vector the previous one entered. The exception that
    // entered it is the last one taken to this EL from elsewhere (an exit to a hosted EL2 may
    // have come between, e.g. a stage-2 fault on the vector page), if it went to this vector.
    originEL = prevEL;
    originVector = prevVector;
    if (entryVector[targetEL] == prevVector) {
      originEsr = entryEsr[targetEL]; originFar = entryFar[targetEL]; originPc = entryPc[targetEL];
    } else {
      originEsr = prevEsr; originFar = prevFar; originPc = prevPc;
    }
    repeats = 1;
  } else {
    repeats = 0;
  }
  if (ret != vector && targetEL < 3) {
    entryVector[targetEL] = vector; entryEsr[targetEL] = esr; entryFar[targetEL] = far; entryPc[targetEL] = raisedAt;
  }
  prevAtVector = atVector;
  prevVector = vector;
  prevTicks = t;
  prevEL = targetEL;
  prevEsr = esr;
  prevFar = far;
  prevPc = raisedAt;
}

/** Forgets the exception history (reset, or state written from outside). */
export function stuckReset(): void {
  prevVector = <u64>-1;
  prevAtVector = false;
  repeats = 0;
}

/**
 * Whether an interrupt could still reach the current EL (Arm ARM D1.3.6, masking): PSTATE.I/F mask
 * IRQ/FIQ at the current EL unless they are routed to a higher EL (EL2 on the core with
 * HCR_EL2.IMO/FMO/TGE at EL0/EL1). A TypeScript-hosted EL2 only takes the CPU back at a slice end
 * and never wakes a guest whose virtual interrupts are masked, so it does not count.
 */
function interruptible(): bool {
  const daif = getDAIF();
  if ((daif & 0x80) == 0 || (daif & 0x40) == 0) return true; // PSTATE.I or PSTATE.F clear
  if (curEL < 2 && haveEL2() && !el2Hosted() && (hcr() & (HCR_IMO | HCR_FMO | HCR_TGE)) != 0) return true;
  return false;
}

/** `B .` at `p`: ends the run as stuck when nothing can interrupt it; true if it did. */
export function branchToSelf(p: u64): bool {
  if (interruptible()) return false;
  const b = EXIT_BASE;
  store<u32>(b + EXIT_STUCK_KIND, STUCK_BRANCH_SELF);
  store<u32>(b + EXIT_STUCK_EL, curEL);
  store<u64>(b + EXIT_STUCK_VECTOR, 0);
  store<u64>(b + EXIT_STUCK_ESR, 0);
  store<u64>(b + EXIT_STUCK_FAR, 0);
  store<u64>(b + EXIT_STUCK_PC, p);
  store<u64>(b + EXIT_STUCK_LOOP_ESR, <u64>getDAIF());
  store<u32>(b + EXIT_STUCK_COUNT, 1);
  requestExit(EXIT_STUCK);
  return true;
}
