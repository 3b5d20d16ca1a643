// The virtual CPU interface (GICv3 spec ch. 6, ICV_* and ICH_*): EL1 accesses to ICC_* with
// HCR_EL2.IMO/FMO set operate on the list registers and ICH_VMCR_EL2 / ICH_AP<n>R0_EL2. A HW=1
// list register's deactivation deactivates its physical INTID; EOIs that match no list register
// count in ICH_HCR_EL2.EOIcount.
import { C_ICH_AP0R0, C_ICH_AP1R0, C_ICH_HCR, C_ICH_VMCR, cpuBlock, GIC_MIN_BPR, INTID_SPURIOUS, NUM_LR, PRI_BITS, PRI_MASK } from './gic-layout';
import {
  gicUpdateCpu, hppvCanPreempt, hppvLr, ichEisr, ichElrsr, ichMisr, LR_ACTIVE, LR_GROUP, LR_HW, LR_STATE_SHIFT,
  lrAddr, VMCR_VCBPR, VMCR_VEOIM, vgprioMask, vRunningPriority,
} from './gic-update';
import { deactivate } from './gic-cpuif';

/** ICH_VTR_EL2: ListRegs = 3 (4 LRs), TDS, nV4 (no GICv4), A3V, IDbits = 1, PREbits = PRIbits = 5 - 1 (as QEMU). */
export const ICH_VTR_VALUE: u64 = <u64>((NUM_LR - 1) | (1 << 19) | (1 << 20) | (1 << 21) | (1 << 23) | ((PRI_BITS - 1) << 26) | ((PRI_BITS - 1) << 29));
const ICH_HCR_WRITABLE: u32 = 0xff | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (0x1f << 27);

function vmcr(cpu: u32): u32 { return load<u32>(cpuBlock(cpu) + C_ICH_VMCR); }

/** ICV_HPPIR0/1_EL1. */
export function vHppir(cpu: u32, group: u32): u32 {
  const n = hppvLr(cpu);
  if (n < 0) return INTID_SPURIOUS;
  const lr = load<u64>(lrAddr(cpu, <u32>n));
  if (((lr & LR_GROUP) != 0 ? 1 : 0) != group) return INTID_SPURIOUS;
  return <u32>lr;
}

/** ICV_IAR0/1_EL1: the highest-priority pending list register of `group`, made active. */
export function vAcknowledge(cpu: u32, group: u32): u32 {
  const n = hppvLr(cpu);
  if (n < 0) return INTID_SPURIOUS;
  const a = lrAddr(cpu, <u32>n);
  const lr = load<u64>(a);
  if (((lr & LR_GROUP) != 0 ? 1 : 0) != group || !hppvCanPreempt(cpu, <u32>n)) return INTID_SPURIOUS;
  const vintid = <u32>lr;
  if (vintid >= 1020 && vintid <= 1023) return INTID_SPURIOUS;
  const prio = <u32>(lr >> 48) & 0xff;
  const bit = (prio & vgprioMask(cpu, group)) >> (8 - PRI_BITS);
  const ap = cpuBlock(cpu) + (group == 1 ? C_ICH_AP1R0 : C_ICH_AP0R0);
  store<u32>(ap, load<u32>(ap) | (1 << bit));
  store<u64>(a, (lr & ~(<u64>3 << LR_STATE_SHIFT)) | LR_ACTIVE);
  gicUpdateCpu(cpu);
  return vintid;
}

/** The list register holding `vintid` in an active state, or -1. */
function findActive(cpu: u32, vintid: u32): i32 {
  for (let n: u32 = 0; n < NUM_LR; n++) {
    const lr = load<u64>(lrAddr(cpu, n));
    if (<u32>lr == vintid && (lr & LR_ACTIVE) != 0) return <i32>n;
  }
  return -1;
}

function incrementEoiCount(cpu: u32): void {
  const a = cpuBlock(cpu) + C_ICH_HCR;
  const h = load<u32>(a);
  store<u32>(a, (h & 0x07ffffff) | ((((h >> 27) + 1) & 0x1f) << 27));
}

/** Deactivates list register `n`; with HW = 1 also the physical interrupt pINTID. */
function vDeactivateLr(cpu: u32, n: u32): void {
  const a = lrAddr(cpu, n);
  const lr = load<u64>(a);
  store<u64>(a, lr & ~LR_ACTIVE);
  if ((lr & LR_HW) != 0) {
    const pintid = <u32>(lr >> 32) & 0x1fff;
    if (pintid < 1020) deactivate(cpu, pintid);
  }
}

/** ICV_EOIR0/1_EL1: priority drop of the highest virtual active priority; with VEOIM 0 deactivation. */
export function vEndOfInterrupt(cpu: u32, group: u32, vintid: u32): void {
  if (vintid >= 1020 && vintid <= 1023) return;
  const b = cpuBlock(cpu);
  const a0 = load<u32>(b + C_ICH_AP0R0), a1 = load<u32>(b + C_ICH_AP1R0);
  if ((a0 | a1) == 0) return;
  const g: u32 = a0 == 0 ? 1 : a1 == 0 ? 0 : (ctz(a0) <= ctz(a1) ? 0 : 1);
  if (g != group) return;
  const ap = b + (g == 1 ? C_ICH_AP1R0 : C_ICH_AP0R0);
  const v = g == 1 ? a1 : a0;
  store<u32>(ap, v & (v - 1));
  if ((vmcr(cpu) & VMCR_VEOIM) == 0) {
    const n = findActive(cpu, vintid);
    if (n < 0) incrementEoiCount(cpu);
    else vDeactivateLr(cpu, <u32>n);
  }
  gicUpdateCpu(cpu);
}

/** ICV_DIR_EL1 (VEOIM = 1). */
export function vDeactivateDir(cpu: u32, vintid: u32): void {
  if ((vmcr(cpu) & VMCR_VEOIM) == 0) return;
  if (vintid >= 1020 && vintid <= 1023) return;
  const n = findActive(cpu, vintid);
  if (n < 0) incrementEoiCount(cpu);
  else vDeactivateLr(cpu, <u32>n);
  gicUpdateCpu(cpu);
}

// --- ICV_* views of ICH_VMCR_EL2 ---
export function vReadPmr(cpu: u32): u64 { return vmcr(cpu) >> 24; }
export function vWritePmr(cpu: u32, v: u64): void {
  const a = cpuBlock(cpu) + C_ICH_VMCR;
  store<u32>(a, (load<u32>(a) & 0x00ffffff) | ((<u32>v & PRI_MASK) << 24));
  gicUpdateCpu(cpu);
}
export function vReadBpr(cpu: u32, group: u32): u64 {
  const m = vmcr(cpu);
  if (group == 1 && (m & VMCR_VCBPR) != 0) return <u64>min<u32>(((m >> 21) & 7) + 1, 7);
  return group == 1 ? (m >> 18) & 7 : (m >> 21) & 7;
}
export function vWriteBpr(cpu: u32, group: u32, v: u64): void {
  const a = cpuBlock(cpu) + C_ICH_VMCR;
  const m = load<u32>(a);
  if (group == 1 && (m & VMCR_VCBPR) != 0) return;
  const shift: u32 = group == 1 ? 18 : 21;
  const val = max<u32>(<u32>v & 7, group == 1 ? GIC_MIN_BPR + 1 : GIC_MIN_BPR);
  store<u32>(a, (m & ~(7 << shift)) | (val << shift));
  gicUpdateCpu(cpu);
}
/** ICV_CTLR_EL1: CBPR = VCBPR, EOImode = VEOIM, with ICC_CTLR_EL1's read-only fields. */
export function vReadCtlr(cpu: u32, fixed: u32): u64 {
  const m = vmcr(cpu);
  return <u64>(fixed | ((m & VMCR_VCBPR) != 0 ? 1 : 0) | ((m & VMCR_VEOIM) != 0 ? 2 : 0));
}
export function vWriteCtlr(cpu: u32, v: u64): void {
  const a = cpuBlock(cpu) + C_ICH_VMCR;
  const m = load<u32>(a) & ~(VMCR_VCBPR | VMCR_VEOIM);
  store<u32>(a, m | ((v & 1) != 0 ? VMCR_VCBPR : 0) | ((v & 2) != 0 ? VMCR_VEOIM : 0));
  gicUpdateCpu(cpu);
}
export function vReadIgrpen(cpu: u32, group: u32): u64 { return (vmcr(cpu) >> group) & 1; }
export function vWriteIgrpen(cpu: u32, group: u32, v: u64): void {
  const a = cpuBlock(cpu) + C_ICH_VMCR;
  store<u32>(a, (load<u32>(a) & ~(1 << group)) | ((<u32>v & 1) << group));
  gicUpdateCpu(cpu);
}
export function vReadRpr(cpu: u32): u64 { return vRunningPriority(cpu); }

// --- ICH_* (EL2) ---
export function readIchHcr(cpu: u32): u64 { return load<u32>(cpuBlock(cpu) + C_ICH_HCR); }
export function writeIchHcr(cpu: u32, v: u64): void {
  setIchHcr(cpu, v);
  gicUpdateCpu(cpu);
}
/*
 * The set* functions below store an ICH_* write as the write* ones do but leave gicUpdateCpu() to
 * the caller: a world switch (core-as/hyp-vcpu-switch.ts) writes several and updates once.
 */
export function setIchHcr(cpu: u32, v: u64): void { store<u32>(cpuBlock(cpu) + C_ICH_HCR, <u32>v & ICH_HCR_WRITABLE); }
export function readIchVmcr(cpu: u32): u64 { return vmcr(cpu); }
/** ICH_VMCR_EL2: VFIQEn is RES1 with the system-register interface; VBPRs clamp to their minima. */
export function writeIchVmcr(cpu: u32, v: u64): void {
  setIchVmcr(cpu, v);
  gicUpdateCpu(cpu);
}
export function setIchVmcr(cpu: u32, v: u64): void {
  let m = <u32>v & ((0xff << 24) | (7 << 21) | (7 << 18) | (1 << 9) | 0x13);
  m |= 8; // VFIQEn
  if (((m >> 21) & 7) < GIC_MIN_BPR) m = (m & ~(7 << 21)) | (GIC_MIN_BPR << 21);
  if (((m >> 18) & 7) < GIC_MIN_BPR + 1) m = (m & ~(7 << 18)) | ((GIC_MIN_BPR + 1) << 18);
  store<u32>(cpuBlock(cpu) + C_ICH_VMCR, m);
}
export function readIchLr(cpu: u32, n: u32): u64 { return load<u64>(lrAddr(cpu, n)); }
/** ICH_LR<n>_EL2: the priority's unimplemented low bits are RES0. */
export function writeIchLr(cpu: u32, n: u32, v: u64): void {
  setIchLr(cpu, n, v);
  gicUpdateCpu(cpu);
}
export function setIchLr(cpu: u32, n: u32, v: u64): void { store<u64>(lrAddr(cpu, n), v & ~(<u64>(0xff & ~PRI_MASK) << 48)); }
export function readIchApr(cpu: u32, group: u32, n: u32): u64 {
  return n == 0 ? <u64>load<u32>(cpuBlock(cpu) + (group == 1 ? C_ICH_AP1R0 : C_ICH_AP0R0)) : 0;
}
export function writeIchApr(cpu: u32, group: u32, n: u32, v: u64): void {
  if (n != 0) return;
  setIchApr(cpu, group, n, v);
  gicUpdateCpu(cpu);
}
export function setIchApr(cpu: u32, group: u32, n: u32, v: u64): void {
  if (n != 0) return;
  store<u32>(cpuBlock(cpu) + (group == 1 ? C_ICH_AP1R0 : C_ICH_AP0R0), <u32>v);
}
export function readIchMisr(cpu: u32): u64 { return ichMisr(cpu); }
export function readIchEisr(cpu: u32): u64 { return ichEisr(cpu); }
export function readIchElrsr(cpu: u32): u64 { return ichElrsr(cpu); }
