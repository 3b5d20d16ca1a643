// Generic timers (Arm ARM D11.2): the EL1 physical timer (CNTP_*, PPI 30), the virtual timer
// (CNTV_*, PPI 27, counting CNTPCT - CNTVOFF_EL2) and the EL2 physical timer (CNTHP_*, PPI 26).
// Each drives its PPI's level: ENABLE and ISTATUS (count >= CVAL) and not IMASK. The registers live
// in the current CPU's sysregs; for every CPU the physical count at which each armed timer fires is
// kept in its GIC block, so the run loop can stop exactly there and a sleeping CPU can be woken.
import {
  CNTHP_CTL_EL2, CNTHP_CVAL_EL2, CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTV_CTL_EL0, CNTV_CVAL_EL0, CNTVOFF_EL2,
  srGet,
} from '../sysregs';
import { haveEL2, irqBreak } from '../state';
import { ticksNow } from '../timer';
import { curCpu } from '../cpu-index';
import { C_TIMER_DL, cpuBlock, MAP_LEVEL, PPI_CNTHP, PPI_CNTP, PPI_CNTV } from './gic-layout';
import { bitGet, bitPut } from './gic-state';
import { gicUpdateCpu } from './gic-update';

export const T_PHYS: u32 = 0;
export const T_VIRT: u32 = 1;
export const T_HYP: u32 = 2;
export const CTL_ENABLE: u64 = 1;
export const CTL_IMASK: u64 = 2;
export const CTL_ISTATUS: u64 = 4;

@inline function ctlIdx(t: u32): u32 { return t == T_PHYS ? CNTP_CTL_EL0 : t == T_VIRT ? CNTV_CTL_EL0 : CNTHP_CTL_EL2; }
@inline function cvalIdx(t: u32): u32 { return t == T_PHYS ? CNTP_CVAL_EL0 : t == T_VIRT ? CNTV_CVAL_EL0 : CNTHP_CVAL_EL2; }
@inline function ppiOf(t: u32): u32 { return t == T_PHYS ? PPI_CNTP : t == T_VIRT ? PPI_CNTV : PPI_CNTHP; }

/** CNTVOFF_EL2 as it applies to the virtual count (0 without EL2; no VHE here, so E2H is 0). */
@inline export function virtualOffset(): u64 { return haveEL2() ? srGet(CNTVOFF_EL2) : 0; }

/** The count timer `t` compares against CVAL now. */
@inline export function timerCount(t: u32): u64 { return t == T_VIRT ? ticksNow() - virtualOffset() : ticksNow(); }

/** ISTATUS: the timer condition (count >= CVAL) while the timer is enabled. */
export function timerIstatus(t: u32): bool {
  return (srGet(ctlIdx(t)) & CTL_ENABLE) != 0 && timerCount(t) >= srGet(cvalIdx(t));
}

/**
 * Re-evaluates the current CPU's timers after a register write or at a deadline: sets their PPI
 * levels and the physical counts at which the armed ones (enabled, unmasked, not yet met) fire.
 */
export function timerUpdate(): void {
  const cpu = curCpu;
  const b = cpuBlock(cpu);
  const now = ticksNow();
  const n: u32 = haveEL2() ? 3 : 2;
  let changed = false, rearmed = false;
  for (let t: u32 = 0; t < 3; t++) {
    let line = false;
    let dl = u64.MAX_VALUE;
    if (t < n) {
      const ctl = srGet(ctlIdx(t));
      if ((ctl & CTL_ENABLE) != 0 && (ctl & CTL_IMASK) == 0) {
        const cval = srGet(cvalIdx(t));
        const count = timerCount(t);
        if (count >= cval) line = true;
        else dl = now + (cval - count);
        if (dl < now) dl = u64.MAX_VALUE; // beyond the end of time
      }
    }
    const a = b + C_TIMER_DL + (t << 3);
    if (dl != load<u64>(a) && dl != u64.MAX_VALUE) rearmed = true;
    store<u64>(a, dl);
    const ppi = ppiOf(t);
    if (bitGet(MAP_LEVEL, cpu, ppi) != line) { bitPut(MAP_LEVEL, cpu, ppi, line); changed = true; }
  }
  if (changed) gicUpdateCpu(cpu);
  // A new deadline inside the running piece: end the piece so the next one stops at the deadline.
  if (rearmed) irqBreak();
}

/**
 * For a CPU that is not running (its registers are not at CPU_BASE): raises the PPI of every armed
 * timer whose deadline `now` has reached. Its registers cannot change while it does not run.
 */
export function timerCatchUp(cpu: u32, now: u64): void {
  const b = cpuBlock(cpu);
  let changed = false;
  for (let t: u32 = 0; t < 3; t++) {
    const a = b + C_TIMER_DL + (t << 3);
    if (load<u64>(a) <= now) {
      store<u64>(a, u64.MAX_VALUE);
      bitPut(MAP_LEVEL, cpu, ppiOf(t), true);
      changed = true;
    }
  }
  if (changed) gicUpdateCpu(cpu);
}

/** The earliest physical count at which one of `cpu`'s timers fires (u64.MAX_VALUE: none armed). */
export function timerDeadline(cpu: u32): u64 {
  const b = cpuBlock(cpu);
  let d = load<u64>(b + C_TIMER_DL);
  const v = load<u64>(b + C_TIMER_DL + 8), h = load<u64>(b + C_TIMER_DL + 16);
  if (v < d) d = v;
  if (h < d) d = h;
  return d;
}
