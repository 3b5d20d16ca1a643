// The GIC's outputs: for each CPU the highest-priority pending interrupt (HPPI) the distributor and
// redistributor forward, whether the CPU interface signals it as IRQ (Group 1) or FIQ (Group 0, one
// security state), the virtual CPU interface's vIRQ/vFIQ from the list registers, and the
// maintenance interrupt. Recomputed when GIC, timer or HCR_EL2 state changes (never per instruction);
// the current CPU's signals go to state.ts, which ends the interpreter's slice so they are checked.
import {
  C_AP0R0, C_AP1R0, C_BPR0, C_BPR1, C_CTLR, C_HCR, C_HPPI, C_HPPI_PRIO, C_ICH_AP0R0, C_ICH_AP1R0, C_ICH_HCR,
  C_ICH_LR, C_ICH_VMCR, C_IGRPEN0, C_IGRPEN1, C_PMR, C_SIGNALS, cpuBlock, GICD_CTLR_EN_GRP0, GICD_CTLR_EN_GRP1,
  INTID_SPURIOUS, IROUTER, MAP_ACTIVE, MAP_EDGE, MAP_ENABLED, MAP_GROUP, MAP_LEVEL, MAP_PENDING, MAPS, NUM_LR,
  NUM_SPI_WORDS, PPI_MAINT, PRIO, SIG_FIQ, SIG_IRQ, SIG_VFIQ, SIG_VIRQ, mapWord,
} from './gic-layout';
import { bitGet, bitPut, gicdCtlr } from './gic-state';
import { curCpu, numCpus, setOtherCpuSignalled } from '../cpu-index';
import { haveEL2, irqBreak, setIrqSignals } from '../state';
import { HCR_EL2, srGet } from '../sysregs';

export const ICC_CTLR_CBPR: u32 = 1;
export const ICC_CTLR_EOIMODE: u32 = 2;

// ICH_HCR_EL2 bits.
export const ICH_HCR_EN: u32 = 1;
export const ICH_HCR_UIE: u32 = 2;
export const ICH_HCR_LRENPIE: u32 = 4;
export const ICH_HCR_NPIE: u32 = 8;
export const ICH_HCR_VGRP0EIE: u32 = 16;
export const ICH_HCR_VGRP0DIE: u32 = 32;
export const ICH_HCR_VGRP1EIE: u32 = 64;
export const ICH_HCR_VGRP1DIE: u32 = 128;
export const ICH_HCR_TC: u32 = 1 << 10;
export const ICH_HCR_TALL0: u32 = 1 << 11;
export const ICH_HCR_TALL1: u32 = 1 << 12;
export const ICH_HCR_TDIR: u32 = 1 << 14;
// ICH_VMCR_EL2 fields.
export const VMCR_VENG0: u32 = 1;
export const VMCR_VENG1: u32 = 2;
export const VMCR_VCBPR: u32 = 16;
export const VMCR_VEOIM: u32 = 1 << 9;
// ICH_LR<n>_EL2 fields.
export const LR_STATE_SHIFT: u64 = 62;
export const LR_PENDING: u64 = <u64>1 << 62;
export const LR_ACTIVE: u64 = <u64>2 << 62;
export const LR_HW: u64 = <u64>1 << 61;
export const LR_GROUP: u64 = <u64>1 << 60;
export const LR_EOI: u64 = <u64>1 << 41; // HW = 0: maintenance interrupt when deactivated

@inline export function lrAddr(cpu: u32, n: u32): u32 { return cpuBlock(cpu) + C_ICH_LR + (n << 3); }

// --- Physical CPU interface priorities -----------------------------------------------------------

/** Group-priority mask for `group` (ICC_BPR0/1, CBPR), GICv3 spec 4.8 (as QEMU icc_gprio_mask). */
export function gprioMask(cpu: u32, group: u32): u32 {
  const b = cpuBlock(cpu);
  if (group == 1 && (load<u32>(b + C_CTLR) & ICC_CTLR_CBPR) != 0) group = 0;
  if (group == 0) return <u32>(0xffffffff << (load<u32>(b + C_BPR0) + 1)) & 0xff;
  return <u32>(0xffffffff << load<u32>(b + C_BPR1)) & 0xff;
}

/** Running priority: the highest active group priority (ICC_AP0R0/AP1R0), 0xff when idle. */
export function runningPriority(cpu: u32): u32 {
  const b = cpuBlock(cpu);
  const ap = load<u32>(b + C_AP0R0) | load<u32>(b + C_AP1R0);
  return ap == 0 ? 0xff : ctz(ap) << 3;
}

/** The HPPI may be signalled: priority above PMR and above the running priority (preemption). */
export function hppiCanPreempt(cpu: u32, prio: u32, group: u32): bool {
  const b = cpuBlock(cpu);
  if (prio >= load<u32>(b + C_PMR)) return false;
  const rp = runningPriority(cpu);
  if (rp == 0xff) return true;
  const m = gprioMask(cpu, group);
  return (prio & m) < (rp & m);
}

// --- Distributor / redistributor forwarding ----------------------------------------------------

@inline function pendingWord(wordOff: u32): u32 {
  return load<u32>(MAPS + (MAP_PENDING << 6) + wordOff) |
    (load<u32>(MAPS + (MAP_LEVEL << 6) + wordOff) & ~load<u32>(MAPS + (MAP_EDGE << 6) + wordOff));
}

/** Pending: the latch, or the input line held high on a level-sensitive interrupt. */
export function isPending(cpu: u32, intid: u32): bool {
  const off = mapWord(0, cpu, intid) - MAPS;
  return (pendingWord(off) & (1 << (intid & 31))) != 0;
}

/** Candidates of one bitmap word: pending, enabled, not active, group enabled in GICD_CTLR. */
@inline function candidates(wordOff: u32, ctlr: u32): u32 {
  const grp = load<u32>(MAPS + (MAP_GROUP << 6) + wordOff);
  const gm = ((ctlr & GICD_CTLR_EN_GRP1) != 0 ? grp : 0) | ((ctlr & GICD_CTLR_EN_GRP0) != 0 ? ~grp : 0);
  return pendingWord(wordOff) & load<u32>(MAPS + (MAP_ENABLED << 6) + wordOff) &
    ~load<u32>(MAPS + (MAP_ACTIVE << 6) + wordOff) & gm;
}

/** Affinity of CPU `cpu` as QEMU virt's GICv3 gives it (Aff0 = index, clusters of 16). */
@inline export function cpuAffinity(cpu: u32): u64 { return <u64>(((cpu >> 4) << 8) | (cpu & 15)); }

/** GICD_IROUTER<n> routes the SPI to `cpu` (Aff3.Aff2.Aff1.Aff0; IRM is RES0: No1N = 1). */
@inline export function spiRoutedTo(intid: u32, cpu: u32): bool {
  return (load<u64>(IROUTER + ((intid - 32) << 3)) & 0xff00ffffff) == cpuAffinity(cpu);
}

/** Recomputes `cpu`'s HPPI (lowest priority value; ties to the lowest INTID). */
function computeHppi(cpu: u32): void {
  const ctlr = gicdCtlr();
  let best = INTID_SPURIOUS, bestPrio: u32 = 0x100;
  let cand = candidates(cpu << 2, ctlr);
  while (cand != 0) {
    const i = ctz(cand); cand &= cand - 1;
    const p = <u32>load<u8>(PRIO + (cpu << 5) + i);
    if (p < bestPrio) { bestPrio = p; best = i; }
  }
  for (let w: u32 = 0; w < NUM_SPI_WORDS; w++) {
    cand = candidates((8 + w) << 2, ctlr);
    while (cand != 0) {
      const i = ctz(cand); cand &= cand - 1;
      const intid = 32 + (w << 5) + i;
      if (!spiRoutedTo(intid, cpu)) continue;
      const p = <u32>load<u8>(PRIO + 256 + (w << 5) + i);
      if (p < bestPrio) { bestPrio = p; best = intid; }
    }
  }
  const b = cpuBlock(cpu);
  store<u32>(b + C_HPPI, best);
  store<u32>(b + C_HPPI_PRIO, bestPrio & 0xff);
}

/** Group of `intid` as seen by `cpu` (1: Group 1 NS, 0: Group 0). */
@inline export function groupOf(cpu: u32, intid: u32): u32 { return bitGet(MAP_GROUP, cpu, intid) ? 1 : 0; }

// --- Virtual CPU interface -----------------------------------------------------------------------

/** Virtual group-priority mask from ICH_VMCR_EL2.VBPR0/VBPR1/VCBPR. */
export function vgprioMask(cpu: u32, group: u32): u32 {
  const vmcr = load<u32>(cpuBlock(cpu) + C_ICH_VMCR);
  if (group == 1 && (vmcr & VMCR_VCBPR) != 0) group = 0;
  if (group == 0) return <u32>(0xffffffff << (((vmcr >> 21) & 7) + 1)) & 0xff;
  return <u32>(0xffffffff << ((vmcr >> 18) & 7)) & 0xff;
}

/** Virtual running priority from ICH_AP0R0/AP1R0. */
export function vRunningPriority(cpu: u32): u32 {
  const b = cpuBlock(cpu);
  const ap = load<u32>(b + C_ICH_AP0R0) | load<u32>(b + C_ICH_AP1R0);
  return ap == 0 ? 0xff : ctz(ap) << 3;
}

/**
 * The list register holding the highest-priority pending virtual interrupt whose group is enabled
 * in ICH_VMCR_EL2 (ties to the lowest LR), or -1 (also while ICH_HCR_EL2.En is 0).
 */
export function hppvLr(cpu: u32): i32 {
  if ((load<u32>(cpuBlock(cpu) + C_ICH_HCR) & ICH_HCR_EN) == 0) return -1; // virtual CPU interface off
  const vmcr = load<u32>(cpuBlock(cpu) + C_ICH_VMCR);
  let best: i32 = -1, bestPrio: u32 = 0x100;
  for (let n: u32 = 0; n < NUM_LR; n++) {
    const lr = load<u64>(lrAddr(cpu, n));
    if ((lr >> LR_STATE_SHIFT) != 1) continue;
    const g = (lr & LR_GROUP) != 0;
    if ((vmcr & (g ? VMCR_VENG1 : VMCR_VENG0)) == 0) continue;
    const p = <u32>(lr >> 48) & 0xff;
    if (p < bestPrio) { bestPrio = p; best = <i32>n; }
  }
  return best;
}

/** The pending LR `n` may be signalled: above VPMR and above the virtual running priority. */
export function hppvCanPreempt(cpu: u32, n: u32): bool {
  const lr = load<u64>(lrAddr(cpu, n));
  const p = <u32>(lr >> 48) & 0xff;
  if (p >= (load<u32>(cpuBlock(cpu) + C_ICH_VMCR) >> 24)) return false;
  const rp = vRunningPriority(cpu);
  if (rp == 0xff) return true;
  const m = vgprioMask(cpu, (lr & LR_GROUP) != 0 ? 1 : 0);
  return (p & m) < (rp & m);
}

/** ICH_EISR_EL2: LRs with State 0, HW 0 and EOI 1 (a maintenance EOI is due). */
export function ichEisr(cpu: u32): u32 {
  let r: u32 = 0;
  for (let n: u32 = 0; n < NUM_LR; n++) {
    const lr = load<u64>(lrAddr(cpu, n));
    if ((lr >> LR_STATE_SHIFT) == 0 && (lr & LR_HW) == 0 && (lr & LR_EOI) != 0) r |= 1 << n;
  }
  return r;
}

/** ICH_ELRSR_EL2: LRs with no valid interrupt (State 0 and not holding a due EOI maintenance). */
export function ichElrsr(cpu: u32): u32 {
  let r: u32 = 0;
  for (let n: u32 = 0; n < NUM_LR; n++) {
    const lr = load<u64>(lrAddr(cpu, n));
    if ((lr >> LR_STATE_SHIFT) == 0 && ((lr & LR_HW) != 0 || (lr & LR_EOI) == 0)) r |= 1 << n;
  }
  return r;
}

/** ICH_MISR_EL2 (GICv3 spec 12.4.9): EOI, U, LRENP, NP, VGrp0E, VGrp0D, VGrp1E, VGrp1D. */
export function ichMisr(cpu: u32): u32 {
  const b = cpuBlock(cpu);
  const hcr = load<u32>(b + C_ICH_HCR);
  const vmcr = load<u32>(b + C_ICH_VMCR);
  let r: u32 = 0;
  if (ichEisr(cpu) != 0) r |= 1;
  let valid: u32 = 0, pending = false;
  for (let n: u32 = 0; n < NUM_LR; n++) {
    const st = <u32>(load<u64>(lrAddr(cpu, n)) >> LR_STATE_SHIFT);
    if (st != 0) valid++;
    if (st == 1 || st == 3) pending = true; // pending, or active and pending
  }
  if ((hcr & ICH_HCR_UIE) != 0 && valid <= 1) r |= 2;
  if ((hcr & ICH_HCR_LRENPIE) != 0 && (hcr >> 27) != 0) r |= 4;
  if ((hcr & ICH_HCR_NPIE) != 0 && !pending) r |= 8;
  if ((hcr & ICH_HCR_VGRP0EIE) != 0 && (vmcr & VMCR_VENG0) != 0) r |= 16;
  if ((hcr & ICH_HCR_VGRP0DIE) != 0 && (vmcr & VMCR_VENG0) == 0) r |= 32;
  if ((hcr & ICH_HCR_VGRP1EIE) != 0 && (vmcr & VMCR_VENG1) != 0) r |= 64;
  if ((hcr & ICH_HCR_VGRP1DIE) != 0 && (vmcr & VMCR_VENG1) == 0) r |= 128;
  return r;
}

// --- Outputs -------------------------------------------------------------------------------------

/** Recomputes everything `cpu`'s interfaces signal; the current CPU's go to state.ts. */
export function gicUpdateCpu(cpu: u32): void {
  const b = cpuBlock(cpu);
  const el2 = haveEL2();
  // Maintenance interrupt (a level-sensitive PPI): ICH_HCR_EL2.En and a MISR condition.
  if (el2) {
    const maint = (load<u32>(b + C_ICH_HCR) & ICH_HCR_EN) != 0 && ichMisr(cpu) != 0;
    bitPut(MAP_LEVEL, cpu, PPI_MAINT, maint);
  }
  computeHppi(cpu);
  let sig: u32 = 0;
  const hppi = load<u32>(b + C_HPPI);
  if (hppi != INTID_SPURIOUS) {
    const g = groupOf(cpu, hppi);
    if (load<u32>(b + (g == 1 ? C_IGRPEN1 : C_IGRPEN0)) != 0 && hppiCanPreempt(cpu, load<u32>(b + C_HPPI_PRIO), g)) {
      sig |= g == 1 ? SIG_IRQ : SIG_FIQ;
    }
  }
  if (el2) {
    if (cpu == curCpu) store<u64>(b + C_HCR, srGet(HCR_EL2));
    const hcr = load<u64>(b + C_HCR);
    if ((hcr & (1 << 7)) != 0) sig |= SIG_VIRQ; // HCR_EL2.VI
    if ((hcr & (1 << 6)) != 0) sig |= SIG_VFIQ; // HCR_EL2.VF
    if ((load<u32>(b + C_ICH_HCR) & ICH_HCR_EN) != 0) {
      const n = hppvLr(cpu);
      if (n >= 0 && hppvCanPreempt(cpu, <u32>n)) {
        sig |= (load<u64>(lrAddr(cpu, <u32>n)) & LR_GROUP) != 0 ? SIG_VIRQ : SIG_VFIQ;
      }
    }
  }
  if (cpu == curCpu) {
    store<u32>(b + C_SIGNALS, sig);
    setIrqSignals(sig);
  } else {
    // Another CPU starts being signalled: the running CPU's piece ends so that the scheduler can
    // hand the turn to it if it sleeps (an IPI's latency is then one instruction, not a quantum).
    if (sig != 0 && load<u32>(b + C_SIGNALS) == 0) { setOtherCpuSignalled(true); irqBreak(); }
    store<u32>(b + C_SIGNALS, sig);
  }
}

/** After a change that may concern any CPU (distributor state, SGIs to others). */
export function gicUpdateAll(): void {
  for (let c: u32 = 0; c < numCpus; c++) gicUpdateCpu(c);
}

/** Drives an interrupt's input line (SPI: any CPU; PPI: `cpu`'s). Edge: a rising edge latches. */
export function setIrqLevel(cpu: u32, intid: u32, level: bool): void {
  if (bitGet(MAP_LEVEL, cpu, intid) == level) return;
  bitPut(MAP_LEVEL, cpu, intid, level);
  if (level && bitGet(MAP_EDGE, cpu, intid)) bitPut(MAP_PENDING, cpu, intid, true);
  if (intid < 32) gicUpdateCpu(cpu); else gicUpdateAll();
}
