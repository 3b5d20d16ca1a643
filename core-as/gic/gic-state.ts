// Bit-level access to the GIC's per-interrupt state and reset to the values QEMU's GICv3 resets to.
import {
  C_BPR0, C_BPR1, C_PMR, C_ICC_SRE_EL1, C_ICH_VMCR, C_HPPI, C_TIMER_DL, C_WAKER, cpuBlock, GIC_MIN_BPR, GIC_MIN_BPR_NS,
  GIC_USED_BYTES, GICD_CTLR_ADDR, GICD_CTLR_ARE, GICD_CTLR_DS, INTID_SPURIOUS, MAP_EDGE, mapWord, MAX_GIC_CPUS,
} from './gic-layout';
import { GIC_BASE } from '../layout';

@inline export function bitGet(map: u32, cpu: u32, intid: u32): bool {
  return (load<u32>(mapWord(map, cpu, intid)) & (1 << (intid & 31))) != 0;
}
@inline export function bitPut(map: u32, cpu: u32, intid: u32, v: bool): void {
  const a = mapWord(map, cpu, intid);
  const m: u32 = 1 << (intid & 31);
  store<u32>(a, v ? load<u32>(a) | m : load<u32>(a) & ~m);
}

@inline export function gicdCtlr(): u32 { return load<u32>(GICD_CTLR_ADDR); }

/** Reset (GICv3 spec, QEMU arm_gicv3_common reset): everything 0 except the fields below. */
/**
 * Reset of one CPU's interface (ICC_* and ICH_* registers, its timers' deadlines) when that CPU is
 * powered on (PSCI CPU_ON), as a PE reset does; the redistributor and the distributor keep their
 * state (QEMU's gicv3_cpuif_reset likewise).
 */
export function gicCpuIfReset(c: u32): void {
  const b = cpuBlock(c);
  memory.fill(b + C_PMR, 0, C_HPPI - C_PMR); // PMR, BPRs, CTLR, IGRPENs, APRs, ICH_HCR/VMCR/APRs/LRs
  store<u32>(b + C_BPR0, GIC_MIN_BPR);
  store<u32>(b + C_BPR1, GIC_MIN_BPR_NS);
  store<u32>(b + C_ICC_SRE_EL1, 7);
  store<u32>(b + C_ICH_VMCR, 0x004c0008);
  for (let t: u32 = 0; t < 3; t++) store<u64>(b + C_TIMER_DL + (t << 3), u64.MAX_VALUE);
}

export function gicReset(): void {
  memory.fill(GIC_BASE, 0, GIC_USED_BYTES);
  // One security state (no EL3): DS = 1 and ARE = 1, both RAO/WI.
  store<u32>(GICD_CTLR_ADDR, GICD_CTLR_DS | GICD_CTLR_ARE);
  for (let c: u32 = 0; c < MAX_GIC_CPUS; c++) {
    const b = cpuBlock(c);
    store<u32>(b + C_WAKER, 6); // ProcessorSleep = 1, ChildrenAsleep = 1
    store<u32>(b + C_BPR0, GIC_MIN_BPR);
    store<u32>(b + C_BPR1, GIC_MIN_BPR_NS);
    store<u32>(b + C_HPPI, INTID_SPURIOUS);
    store<u32>(b + C_ICC_SRE_EL1, 7);
    store<u32>(b + C_ICH_VMCR, 0x004c0008); // VBPR0 = 2, VBPR1 = 3 (their minima), VFIQEn
    for (let t: u32 = 0; t < 3; t++) store<u64>(b + C_TIMER_DL + (t << 3), u64.MAX_VALUE);
    // SGIs are edge-triggered (GICR_ICFGR0 reads 0xAAAAAAAA); PPIs level.
    store<u32>(mapWord(MAP_EDGE, c, 0), 0x0000ffff);
  }
}
