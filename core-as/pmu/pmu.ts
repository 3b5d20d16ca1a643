// PMUv3 counting (Arm ARM D12 "The Performance Monitors Extension"): six event counters and the
// cycle counter, counted lazily. The counters advance with the CPU's retired instructions (this core
// retires one instruction per cycle, so CPU_CYCLES and INST_RETIRED count alike); between two syncs
// every instruction ran at one EL, so a sync at each EL change (contextChanged) and before every PMU
// register access makes the EL filters (PMEVTYPER<n>_EL0.P/U/NSH, PMCCFILTR_EL0) exact.
import * as R from './pmu-regs';
import { srGet, srSet, MDCR_EL2 } from '../sysregs';
import { curEL, haveEL2, irqBreak } from '../state';
import { ticksNow } from '../timer';

/** The CPU's instruction count now (the instructions this PMU counts). */
@inline function insnsNow(): u64 { return ticksNow(); }

/** MDCR_EL2.HPMN as it applies (N when EL2 is not implemented). */
export function hpmn(): u32 {
  if (!haveEL2()) return R.PMU_N;
  const h = <u32>(srGet(MDCR_EL2) & R.MDCR_HPMN_MASK);
  return h > R.PMU_N ? R.PMU_N : h;
}

/** Whether event counter n counts at all now (PMCR_EL0.E for n < HPMN, MDCR_EL2.HPME above). */
export function counterEnabled(n: u32): bool {
  if (((<u32>srGet(R.PMCNTENSET_EL0) >> n) & 1) == 0) return false;
  if (n == 31) return (srGet(R.PMCR_EL0) & R.PMCR_E) != 0;
  if (n < hpmn()) return (srGet(R.PMCR_EL0) & R.PMCR_E) != 0;
  return (srGet(MDCR_EL2) & R.MDCR_HPME) != 0;
}

@inline function countsAt(filter: u64, el: u32): bool {
  if (el == 0) return (filter & R.EVT_U) == 0;
  if (el == 1) return (filter & R.EVT_P) == 0;
  return (filter & R.EVT_NSH) != 0; // EL2: counted only when NSH is set
}

/** Adds `delta` to event counter n (32 bits), setting its overflow flag on wrap. */
export function addEvent(n: u32, delta: u64): void {
  const idx = R.PMEVCNTR0_EL0 + n;
  const v = srGet(idx) + delta;
  if (v > 0xffffffff) srSet(R.PMOVSSET_EL0, srGet(R.PMOVSSET_EL0) | (<u64>1 << n));
  srSet(idx, v & 0xffffffff);
}

function addCycles(delta: u64): void {
  let d = delta;
  if ((srGet(R.PMCR_EL0) & R.PMCR_D) != 0) { // PMCR_EL0.D: one count every 64 cycles
    const f = srGet(R.PMU_CC_FRAC) + d;
    d = f >> 6;
    srSet(R.PMU_CC_FRAC, f & 63);
  }
  if (d == 0) return;
  const old = srGet(R.PMCCNTR_EL0);
  const v = old + d;
  const overflow = (srGet(R.PMCR_EL0) & R.PMCR_LC) != 0 ? v < old : (v >> 32) != (old >> 32);
  if (overflow) srSet(R.PMOVSSET_EL0, srGet(R.PMOVSSET_EL0) | (<u64>1 << 31));
  srSet(R.PMCCNTR_EL0, v);
}

/** True when some counter is enabled: only then do syncs have work (checked at every EL change). */
@inline export function pmuMayCount(): bool { return srGet(R.PMCNTENSET_EL0) != 0; }

/** Folds the instructions retired since the last sync into the counters that count them. */
export function pmuSync(): void {
  const now = insnsNow();
  const delta = now - srGet(R.PMU_SYNC_INSNS);
  const el = <u32>srGet(R.PMU_SYNC_EL);
  srSet(R.PMU_SYNC_INSNS, now);
  srSet(R.PMU_SYNC_EL, curEL);
  if (delta == 0 || <i64>delta < 0 || !pmuMayCount()) return;
  for (let n: u32 = 0; n < R.PMU_N; n++) {
    if (!counterEnabled(n)) continue;
    const t = srGet(R.PMEVTYPER0_EL0 + n);
    const ev = <u32>(t & 0x3ff);
    if ((ev == R.EV_INST_RETIRED || ev == R.EV_CPU_CYCLES) && countsAt(t, el)) addEvent(n, delta);
  }
  if (counterEnabled(31) && countsAt(srGet(R.PMCCFILTR_EL0), el)) addCycles(delta);
}

/** Restarts lazy counting from now without counting (after reset or an explicit resync). */
export function pmuResetSync(): void {
  srSet(R.PMU_SYNC_INSNS, insnsNow());
  srSet(R.PMU_SYNC_EL, curEL);
}

/** The PMU's interrupt request (PMUIRQ, PPI 23 on the virt board): an enabled overflow. */
export function pmuIrqLevel(): bool {
  pmuSync();
  const pending = srGet(R.PMOVSSET_EL0) & srGet(R.PMINTENSET_EL1);
  if (pending == 0) return false;
  if ((pending >> 31) & 1 && (srGet(R.PMCR_EL0) & R.PMCR_E) != 0) return true;
  const h = hpmn();
  for (let n: u32 = 0; n < R.PMU_N; n++) {
    if (((pending >> n) & 1) == 0) continue;
    if (n < h ? (srGet(R.PMCR_EL0) & R.PMCR_E) != 0 : (srGet(MDCR_EL2) & R.MDCR_HPME) != 0) return true;
  }
  return false;
}

/**
 * Instructions from now until the first counter with its overflow interrupt enabled would overflow
 * (u64.MAX_VALUE: none), assuming the current EL: where the interpreter must stop so that the
 * overflow interrupt is taken at the right instruction.
 */
export function pmuInstructionsToOverflow(): u64 {
  pmuSync();
  let best = u64.MAX_VALUE;
  const inten = srGet(R.PMINTENSET_EL1);
  for (let n: u32 = 0; n < R.PMU_N; n++) {
    if (((inten >> n) & 1) == 0 || !counterEnabled(n)) continue;
    const t = srGet(R.PMEVTYPER0_EL0 + n);
    const ev = <u32>(t & 0x3ff);
    if ((ev != R.EV_INST_RETIRED && ev != R.EV_CPU_CYCLES) || !countsAt(t, curEL)) continue;
    const left = (<u64>0x100000000) - srGet(R.PMEVCNTR0_EL0 + n);
    if (left < best) best = left;
  }
  // The cycle counter: it overflows when bit 31 (PMCR_EL0.LC = 0) or bit 63 carries out; with
  // PMCR_EL0.D it counts once every 64 cycles (PMU_CC_FRAC of them already seen).
  if (((inten >> 31) & 1) != 0 && counterEnabled(31) && countsAt(srGet(R.PMCCFILTR_EL0), curEL)) {
    const cc = srGet(R.PMCCNTR_EL0);
    const lc = (srGet(R.PMCR_EL0) & R.PMCR_LC) != 0;
    let left: u64 = lc ? (cc == 0 ? u64.MAX_VALUE : 0 - cc) : (<u64>0x100000000) - (cc & 0xffffffff);
    if ((srGet(R.PMCR_EL0) & R.PMCR_D) != 0) {
      left = left > (u64.MAX_VALUE >> 6) ? u64.MAX_VALUE : (left << 6) - srGet(R.PMU_CC_FRAC);
    }
    if (left < best) best = left;
  }
  return best;
}

/** An EL change (contextChanged): fold the counts in; an overflow interrupt's cap is recomputed. */
export function pmuContextChanged(): void {
  pmuSync();
  if (srGet(R.PMINTENSET_EL1) != 0) irqBreak(); // the cap assumed the previous EL's filters
}
