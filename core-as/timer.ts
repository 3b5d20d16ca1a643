// The system counter (CNTPCT_EL0), shared by all CPUs; CNTFRQ_EL0 reports 62.5 MHz as QEMU's virt
// does. It counts retired instructions deterministically; how it advances with several CPUs (in
// rounds of one quantum, sleeping CPUs skipping ahead) is described in smp/sched.ts, which sets the
// base of every slice it runs.
import { irqBreakLeft, remaining } from './state';

export const CNTFRQ_HZ: u64 = 62500000;
let tickBase: u64 = 0;
let runBudget: i32 = 0;

/** A slice of `budget` instructions starts with the counter at `base` (smp/sched.ts). */
export function timerRunStart(base: u64, budget: i32): void {
  tickBase = base;
  runBudget = budget;
}

/** Physical count now: the slice's base plus the instructions retired in it so far. */
export function ticksNow(): u64 {
  // (an interrupt break moves the rest of the budget to irqBreakLeft: those did not retire)
  return tickBase + <u64>(runBudget - remaining - irqBreakLeft);
}
