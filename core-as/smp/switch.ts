// Switching the CPU the core executes. The running CPU's architectural state is the block at
// CPU_BASE (registers, PSTATE, system registers, V registers, exclusive monitor: CPU_STATE_BYTES)
// plus the AssemblyScript globals that cache it (pc, nzcv, curEL); its TLBs are its own tagged cache
// (tlb2.ts, in its region at PERCPU_BASE) and the untagged fast TLB (tlb.ts). A switch saves the
// state block to the CPU's area at PERCPU_BASE, loads the other CPU's and points tlb2.ts at that
// CPU's tagged cache. The fast TLB is not saved: it is refilled from the tagged cache (and so never
// keeps a write tag for a page another CPU has since decoded). The translation context, fetch page
// and walk parameters are recomputed from the loaded registers.
import { CPU_BASE, CPU_STATE_BYTES, OFF_EL, OFF_EXCL_ADDR, OFF_NZCV, OFF_PC } from '../layout';
import { nzcv, pc, setCurELRaw, setNZCV, setPC } from '../state';
import { invalidateAllEL10, invalidateAllEL2, tlb2SetBase } from '../tlb2';
import { tlbFlushAll } from '../tlb';
import { contextChanged } from '../context';
import { gicCpuStateChanged } from '../gic/gic-run';
import { curCpu, setCurCpu } from '../cpu-index';
import { R_OUT_MARK, R_TLB_VALID, rec, saveArea, tlbImage } from './percpu';

/** Saves the running CPU's state block to its area (the block stays in place); its TLB stays live. */
export function saveCurrent(retiredMark: u64): void {
  const c = curCpu;
  store<u64>(CPU_BASE + OFF_PC, pc);
  store<u32>(CPU_BASE + OFF_NZCV, nzcv);
  memory.copy(saveArea(c), CPU_BASE, CPU_STATE_BYTES);
  store<u32>(rec(c) + R_TLB_VALID, 1);
  store<u64>(rec(c) + R_OUT_MARK, retiredMark);
}

/**
 * Makes `cpu` the running CPU from its saved areas. When other CPUs retired instructions since it
 * was switched out, its exclusive monitor is cleared: any of their stores may have been to the
 * monitored granule (clearing more often than a store requires is what an IMPLEMENTATION DEFINED
 * clearing event may do; a LDXR/STXR loop then retries).
 */
export function loadCpu(cpu: u32, retiredMark: u64): void {
  memory.copy(CPU_BASE, saveArea(cpu), CPU_STATE_BYTES);
  setPC(load<u64>(CPU_BASE + OFF_PC));
  setNZCV(load<u32>(CPU_BASE + OFF_NZCV));
  setCurELRaw(load<u32>(CPU_BASE + OFF_EL));
  tlb2SetBase(tlbImage(cpu));
  if (load<u32>(rec(cpu) + R_TLB_VALID) == 0) { // dropped by a broadcast invalidation: no entry may be live
    invalidateAllEL10();
    invalidateAllEL2();
    store<u32>(rec(cpu) + R_TLB_VALID, 1);
  }
  if (load<u64>(rec(cpu) + R_OUT_MARK) != retiredMark) store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1);
  setCurCpu(cpu);
  tlbFlushAll();
  contextChanged();
  gicCpuStateChanged(); // its timers and interrupt signals, now that its registers are at CPU_BASE
}

/** Switches from the running CPU to `cpu` (nothing happens when it is already running). */
export function switchTo(cpu: u32, retiredMark: u64): void {
  if (cpu == curCpu) return;
  saveCurrent(retiredMark);
  loadCpu(cpu, retiredMark);
}
