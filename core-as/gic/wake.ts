// What can wake a sleeping CPU (WFI/WFE), asked by the scheduler (core-as/smp/): an interrupt the
// GIC would signal to it (WFI wakes on a pending interrupt even while PSTATE masks it), and the next
// generic-timer deadline (in system-counter ticks) of its timers. Until the GIC exists nothing wakes.

/** True when `cpu` has an interrupt that wakes it from WFI. */
export function wakeupPending(cpu: u32): bool {
  return false;
}

/** The system-counter value at which one of `cpu`'s enabled timers next fires (u64.MAX_VALUE: none). */
export function nextTimerDeadline(cpu: u32): u64 {
  return u64.MAX_VALUE;
}
