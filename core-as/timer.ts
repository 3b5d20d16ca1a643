// The generic timer counts retired instructions (deterministic): one tick per instruction, with
// CNTFRQ_EL0 reporting 62.5 MHz as QEMU's virt does.
import { CPU_BASE, OFF_INSNS } from './layout';
import { irqBreakLeft, remaining } from './state';

export const CNTFRQ_HZ: u64 = 62500000;
let runStart: u64 = 0;
let runBudget: i32 = 0;

export function timerRunStart(budget: i32): void {
  runStart = load<u64>(CPU_BASE + OFF_INSNS);
  runBudget = budget;
}

/** Physical count now: instructions retired before this run plus those retired in it. */
export function ticksNow(): u64 {
  return runStart + <u64>(runBudget - remaining - irqBreakLeft);
}
