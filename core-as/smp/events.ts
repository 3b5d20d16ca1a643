// WFI, WFE, SEV, SEVL (Arm ARM D1.6 "Mechanisms for entering a low-power state"): the event register
// of each CPU and the sleep request the interpreter makes. The scheduler (sched.ts) decides whether a
// CPU that asked to sleep really sleeps and what wakes it.
import { curCpu, numCpus } from '../cpu-index';
import { CPU_WFE, CPU_WFI, R_EVENT, rec } from './percpu';

/** Kind of sleep the last WFI/WFE asked for (CPU_WFI or CPU_WFE); read by the scheduler. */
export let wfxKind: u32 = CPU_WFI;

/**
 * WFI or WFE at the current CPU (after the trap checks, with PC already past it). Returns true when
 * the CPU should stop and ask the scheduler to sleep: always for WFI; for WFE only when the event
 * register is clear (a set event register is cleared and WFE completes at once).
 */
export function wfxWait(isWfe: bool): bool {
  if (isWfe) {
    const a = rec(curCpu) + R_EVENT;
    if (load<u32>(a) != 0) { store<u32>(a, 0); return false; }
    wfxKind = CPU_WFE;
  } else {
    wfxKind = CPU_WFI;
  }
  return true;
}

/** SEV: signals an event to every PE of the system, this one included. */
export function sendEvent(): void {
  for (let i: u32 = 0; i < numCpus; i++) store<u32>(rec(i) + R_EVENT, 1);
}

/** SEVL: sets the local event register. */
export function sendEventLocal(): void { store<u32>(rec(curCpu) + R_EVENT, 1); }
