// The physical CPU interface (GICv3 spec ch. 4 and 12.2, ICC_* registers): acknowledge, priority
// drop, deactivation (EOImode split), SGI generation by affinity, and the register values.
import {
  C_AP0R0, C_AP1R0, C_BPR0, C_BPR1, C_CTLR, C_HPPI, C_HPPI_PRIO, C_IGRPEN0, C_IGRPEN1, C_PMR, cpuBlock,
  GIC_MIN_BPR, GIC_MIN_BPR_NS, INTID_SPURIOUS, MAP_ACTIVE, MAP_GROUP, MAP_PENDING, NUM_IRQ, PRI_BITS, PRI_MASK,
} from './gic-layout';
import { bitGet, bitPut } from './gic-state';
import {
  cpuAffinity, gicUpdateAll, gicUpdateCpu, gprioMask, groupOf, hppiCanPreempt, ICC_CTLR_CBPR, ICC_CTLR_EOIMODE,
  runningPriority,
} from './gic-update';
import { numCpus } from '../cpu-index';

/** ICC_CTLR_EL1 read-only fields: A3V, IDbits = 1 (24-bit INTIDs), PRIbits = 5 - 1 (as QEMU 7.2). */
export const ICC_CTLR_FIXED: u32 = (1 << 15) | (1 << 11) | ((PRI_BITS - 1) << 8);

/** The HPPI if it is of `group` and that group is enabled at the CPU interface, else 1023. */
export function hppir(cpu: u32, group: u32): u32 {
  const b = cpuBlock(cpu);
  const intid = load<u32>(b + C_HPPI);
  if (intid == INTID_SPURIOUS || groupOf(cpu, intid) != group) return INTID_SPURIOUS;
  if (load<u32>(b + (group == 1 ? C_IGRPEN1 : C_IGRPEN0)) == 0) return INTID_SPURIOUS;
  return intid;
}

/**
 * ICC_IAR0/1_EL1: the HPPI of `group` when it can be signalled (PMR, preemption), made active:
 * pending latch cleared, active set, its group priority marked in ICC_AP<group>R0. Else 1023.
 */
export function acknowledge(cpu: u32, group: u32): u32 {
  const b = cpuBlock(cpu);
  const intid = hppir(cpu, group);
  if (intid == INTID_SPURIOUS) return intid;
  const prio = load<u32>(b + C_HPPI_PRIO);
  if (!hppiCanPreempt(cpu, prio, group)) return INTID_SPURIOUS;
  const bit = (prio & gprioMask(cpu, group)) >> (8 - PRI_BITS);
  const ap = b + (group == 1 ? C_AP1R0 : C_AP0R0);
  store<u32>(ap, load<u32>(ap) | (1 << bit));
  bitPut(MAP_PENDING, cpu, intid, false);
  bitPut(MAP_ACTIVE, cpu, intid, true);
  if (intid < 32) gicUpdateCpu(cpu); else gicUpdateAll();
  return intid;
}

/** Group of the highest active priority (-1: none active). */
function highestActiveGroup(cpu: u32): i32 {
  const b = cpuBlock(cpu);
  const a0 = load<u32>(b + C_AP0R0), a1 = load<u32>(b + C_AP1R0);
  if ((a0 | a1) == 0) return -1;
  if (a0 == 0) return 1;
  if (a1 == 0) return 0;
  return ctz(a0) <= ctz(a1) ? 0 : 1;
}

/** Deactivates `intid` (ICC_DIR, EOI with EOImode 0, or a HW list register's EOI). */
export function deactivate(cpu: u32, intid: u32): void {
  if (intid >= NUM_IRQ) return;
  bitPut(MAP_ACTIVE, cpu, intid, false);
  if (intid < 32) gicUpdateCpu(cpu); else gicUpdateAll();
}

/**
 * ICC_EOIR0/1_EL1: drops the highest active priority when it belongs to `group` (else the write
 * is ignored), and with EOImode 0 also deactivates the interrupt. Special INTIDs are ignored.
 */
export function endOfInterrupt(cpu: u32, group: u32, intid: u32): void {
  if (intid >= 1020 && intid <= 1023) return;
  if (highestActiveGroup(cpu) != <i32>group) return;
  const b = cpuBlock(cpu);
  const ap = b + (group == 1 ? C_AP1R0 : C_AP0R0);
  const v = load<u32>(ap);
  store<u32>(ap, v & (v - 1)); // clear the lowest set bit: the highest active priority
  if ((load<u32>(b + C_CTLR) & ICC_CTLR_EOIMODE) == 0) deactivate(cpu, intid);
  else gicUpdateCpu(cpu);
}

/** ICC_DIR_EL1: deactivation when EOImode is 1 (with EOImode 0 the write is ignored, as QEMU). */
export function deactivateDir(cpu: u32, intid: u32): void {
  if ((load<u32>(cpuBlock(cpu) + C_CTLR) & ICC_CTLR_EOIMODE) == 0) return;
  deactivate(cpu, intid);
}

/**
 * ICC_SGI0R/SGI1R/ASGI1R_EL1 (value layout GICv3 spec 12.2.22): makes SGI INTID pending on each
 * target. With one security state (GICD_CTLR.DS = 1), GICv3 spec 'Forwarding an SGI to a target
 * PE' (Table 8-14 and its note): ICC_SGI1R_EL1 forwards the SGI whatever its group (allowGroup1),
 * ICC_SGI0R_EL1 and ICC_ASGI1R_EL1 only when it is Group 0. QEMU 7.2 differs: its SGI1R forwards
 * only Group 1 SGIs and its ASGI1R nothing (named in test/gic/gic-cpuif.test.ts).
 * IRM = 1: every PE but the sender.
 */
export function generateSgi(self: u32, v: u64, allowGroup1: bool): void {
  const intid = <u32>(v >> 24) & 15;
  const irm = ((v >> 40) & 1) != 0;
  const targets = <u32>v & 0xffff;
  const rs = <u32>(v >> 44) & 15;
  const aff321 = (v >> 16) & 0xff | (((v >> 32) & 0xff) << 8) | (((v >> 48) & 0xff) << 16);
  let any = false;
  for (let c: u32 = 0; c < numCpus; c++) {
    if (irm) {
      if (c == self) continue;
    } else {
      const aff = cpuAffinity(c);
      if ((aff >> 8) != aff321) continue;
      const a0 = <u32>aff & 0xff;
      if ((a0 >> 4) != rs || (targets & (1 << (a0 & 15))) == 0) continue;
    }
    if (!allowGroup1 && groupOf(c, intid) != 0) continue;
    bitPut(MAP_PENDING, c, intid, true);
    any = true;
  }
  if (any) gicUpdateAll();
}

// --- Register values ---

export function readPmr(cpu: u32): u64 { return load<u32>(cpuBlock(cpu) + C_PMR); }
export function writePmr(cpu: u32, v: u64): void {
  store<u32>(cpuBlock(cpu) + C_PMR, <u32>v & PRI_MASK);
  gicUpdateCpu(cpu);
}
export function readBpr(cpu: u32, group: u32): u64 {
  const b = cpuBlock(cpu);
  if (group == 1 && (load<u32>(b + C_CTLR) & ICC_CTLR_CBPR) != 0) return <u64>min<u32>(load<u32>(b + C_BPR0) + 1, 7);
  return load<u32>(b + (group == 1 ? C_BPR1 : C_BPR0));
}
export function writeBpr(cpu: u32, group: u32, v: u64): void {
  const b = cpuBlock(cpu);
  if (group == 1 && (load<u32>(b + C_CTLR) & ICC_CTLR_CBPR) != 0) return;
  const minv = group == 1 ? GIC_MIN_BPR_NS : GIC_MIN_BPR;
  store<u32>(b + (group == 1 ? C_BPR1 : C_BPR0), max<u32>(<u32>v & 7, minv));
  gicUpdateCpu(cpu);
}
export function readCtlr(cpu: u32): u64 { return <u64>(load<u32>(cpuBlock(cpu) + C_CTLR) | ICC_CTLR_FIXED); }
export function writeCtlr(cpu: u32, v: u64): void {
  store<u32>(cpuBlock(cpu) + C_CTLR, <u32>v & (ICC_CTLR_CBPR | ICC_CTLR_EOIMODE)); // PMHE: RAZ/WI (as QEMU)
  gicUpdateCpu(cpu);
}
export function readIgrpen(cpu: u32, group: u32): u64 { return load<u32>(cpuBlock(cpu) + (group == 1 ? C_IGRPEN1 : C_IGRPEN0)); }
export function writeIgrpen(cpu: u32, group: u32, v: u64): void {
  store<u32>(cpuBlock(cpu) + (group == 1 ? C_IGRPEN1 : C_IGRPEN0), <u32>v & 1);
  gicUpdateCpu(cpu);
}
/** ICC_AP<group>R<n>: 32 group priorities fit in R0; R1..R3 are RAZ/WI (5 priority bits). */
export function readApr(cpu: u32, group: u32, n: u32): u64 {
  return n == 0 ? <u64>load<u32>(cpuBlock(cpu) + (group == 1 ? C_AP1R0 : C_AP0R0)) : 0;
}
export function writeApr(cpu: u32, group: u32, n: u32, v: u64): void {
  if (n != 0) return;
  store<u32>(cpuBlock(cpu) + (group == 1 ? C_AP1R0 : C_AP0R0), <u32>v);
  gicUpdateCpu(cpu);
}
export function readRpr(cpu: u32): u64 { return runningPriority(cpu); }
