// A debugger's choice of the CPU to execute (machine/gdb/stub.ts: Hc, vCont;s:<tid>, vCont;c:<tid>).
// smpMakeCurrent switches the core to that CPU exactly as the scheduler's own switch does
// (switch.ts switchTo: the running CPU's state block and TLB image saved to its areas, the chosen
// one's loaded), so the next run() executes it; the round-robin continues from it afterwards.
import { mmioDone } from '../mem';
import { numCpus } from '../cpu-index';
import { CPU_OFF, CPU_RUN, CPU_STUCK, CPU_WFE, CPU_WFI, R_EVENT, R_STATE, rec } from './percpu';
import { switchTo } from './switch';
import { totalRetired } from './sched';

export const SELECT_OK: u32 = 0;
export const SELECT_OFF: u32 = 1; // powered off (waiting for PSCI CPU_ON), or no such CPU
export const SELECT_ASLEEP: u32 = 2; // in WFI/WFE and not woken (wake = false)
export const SELECT_STUCK: u32 = 3; // parked by stuck detection (core-as/stuck.ts)
export const SELECT_BUSY: u32 = 4; // a device access of the running CPU waits for its replay

/**
 * Makes `cpu` the running CPU. With `wake`, a CPU asleep in WFI/WFE is woken first: a debugger's
 * halt is a wake-up event (Arm ARM D1.6.2: an External Debug Request completes a WFI), and a
 * spurious WFI/WFE completion is always permitted. Returns SELECT_OK, or why the CPU cannot run;
 * on SELECT_ASLEEP the CPU is made current all the same (it sleeps on until something wakes it).
 */
export function smpMakeCurrent(cpu: u32, wake: bool): u32 {
  if (cpu >= numCpus) return SELECT_OFF;
  if (mmioDone > 0) return SELECT_BUSY;
  const s = load<u32>(rec(cpu) + R_STATE);
  if (s == CPU_OFF) return SELECT_OFF;
  if (s == CPU_STUCK) return SELECT_STUCK;
  let r = SELECT_OK;
  if (s == CPU_WFI || s == CPU_WFE) {
    if (wake) {
      store<u32>(rec(cpu) + R_STATE, CPU_RUN);
      if (s == CPU_WFE) store<u32>(rec(cpu) + R_EVENT, 0);
    } else {
      r = SELECT_ASLEEP;
    }
  }
  switchTo(cpu, totalRetired);
  return r;
}
