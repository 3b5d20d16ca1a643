// What can wake a sleeping CPU (WFI/WFE), asked by the scheduler (core-as/smp/): an interrupt the
// GIC signals to it (WFI wakes on a pending interrupt even while PSTATE masks it, Arm ARM D1.6.2;
// also an interrupt a lower EL would route to EL2), and the next generic-timer deadline (in
// system-counter ticks) of its timers.
import { curCpu } from '../cpu-index';
import { ticksNow } from '../timer';
import { C_SIGNALS, cpuBlock } from './gic-layout';
import { timerCatchUp, timerDeadline, timerUpdate } from './generic-timer';
import { gicUpdateCpu } from './gic-update';

/** True when `cpu` has an interrupt that wakes it from WFI (its timers brought up to date first). */
export function wakeupPending(cpu: u32): bool {
  if (cpu == curCpu) timerUpdate();
  else timerCatchUp(cpu, ticksNow());
  gicUpdateCpu(cpu);
  return load<u32>(cpuBlock(cpu) + C_SIGNALS) != 0;
}

/** The system-counter value at which one of `cpu`'s enabled timers next fires (u64.MAX_VALUE: none). */
export function nextTimerDeadline(cpu: u32): u64 {
  if (cpu == curCpu) timerUpdate();
  return timerDeadline(cpu);
}
