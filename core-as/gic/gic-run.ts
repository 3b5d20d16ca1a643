// The GIC's part of the run loop (smp/sched.ts slice): before each piece of a slice, bring the current
// CPU's timers up to date and take a pending, unmasked interrupt; cap the piece at the next timer
// deadline so a timer interrupt is taken at exactly the instruction where the count reaches CVAL.
import { curCpu } from '../cpu-index';
import { ticksNow } from '../timer';
import { timerDeadline, timerUpdate } from './generic-timer';
import { irqDeliver } from './irq-take';
import { gicReset } from './gic-state';
import { NUM_IRQ } from './gic-layout';
import { gicUpdateAll, gicUpdateCpu, setIrqLevel } from './gic-update';

/**
 * Called with no instruction in flight: updates timers, takes an interrupt if one is takeable, and
 * returns how many of `budget` instructions may run before the next timer deadline (at least 1).
 */
export function gicBeforePiece(budget: i32, deliver: bool): i32 {
  // (the caller has set the counter's base for this CPU: timerRunStart(now, 0))
  timerUpdate();
  if (deliver) irqDeliver();
  const dl = timerDeadline(curCpu);
  const now = ticksNow();
  if (dl != u64.MAX_VALUE && dl > now && dl - now < <u64>budget) return <i32>(dl - now);
  return budget;
}

/** Machine reset of the interrupt controller and its outputs. */
export function gicResetAll(): void {
  gicReset();
  gicUpdateAll();
}

/** An SPI's input line (e.g. the PL011's, INTID 33), from TypeScript. */
export function gicSetSpiLevel(intid: u32, level: bool): void {
  if (intid < 32 || intid >= NUM_IRQ) return;
  setIrqLevel(0, intid, level);
}

/** The current CPU's state changed from outside the interpreter (world switch, reset): re-evaluate. */
export function gicCpuStateChanged(): void {
  timerUpdate();
  gicUpdateCpu(curCpu);
}
