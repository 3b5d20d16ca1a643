// The PMU's overflow interrupt request (Arm ARM D12.8 "Generating overflow interrupt requests"):
// PMUIRQ is a level-sensitive PPI of the CPU's redistributor, INTID 23 on the QEMU virt board (its
// devicetree's arm,armv8-pmuv3 node). It is asserted while an overflow flag is set whose interrupt
// is enabled (PMINTENSET_EL1) and whose counter is enabled by PMCR_EL0.E (n < HPMN, and the cycle
// counter) or MDCR_EL2.HPME (n >= HPMN).
import * as R from './pmu-regs';
import { srGet } from '../sysregs';
import { curCpu } from '../cpu-index';
import { setIrqLevel } from '../gic/gic-update';
import { pmuInstructionsToOverflow, pmuIrqLevel } from './pmu';

export const PMU_PPI: u32 = 23;

/** Drives the current CPU's PPI 23 from the PMU's state now. */
export function pmuIrqUpdate(): void {
  setIrqLevel(curCpu, PMU_PPI, pmuIrqLevel());
}

/** Whether the PMU may raise its interrupt: only then do pieces of a run slice look at it. */
@inline export function pmuIrqArmed(): bool { return srGet(R.PMINTENSET_EL1) != 0; }

/**
 * Between two pieces of a run slice (sched.ts): updates PPI 23 and caps the next piece at the
 * instruction where an interrupt-enabled counter overflows, so the interrupt is taken right after
 * the instruction that overflowed it (as the timers cap a piece at their deadline).
 */
export function pmuBeforePiece(want: i32): i32 {
  pmuIrqUpdate();
  const left = pmuInstructionsToOverflow();
  if (left < <u64>want) return left < 1 ? 1 : <i32>left;
  return want;
}
