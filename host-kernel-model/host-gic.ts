/**
 * The host kernel's GICv3 driver, as far as KVM's use of the physical GIC needs it
 * (drivers/irqchip/irq-gic-v3.c gic_cpu_init / gic_cpu_sys_reg_init, and the irqchip state calls
 * of arch/arm64/kvm/arch_timer.c): on the CPU the TypeScript host runs guests on, the redistributor
 * awake, the virtual timer's PPI 27 (and the vGIC maintenance PPI 25) Group 1, enabled, priority
 * 0xa0; ICC_PMR_EL1 = 0xf0, ICC_CTLR_EL1.EOImode = 1 (KVM's split priority drop / deactivation, so
 * a guest's EOI of a HW = 1 list register deactivates the physical interrupt), Group 1 enabled.
 * Accesses go through the core's GIC exactly as the driver's loads, stores, MRS and MSR would.
 */
import type { Core } from '../machine/core';
import {
  GIC_SR, GICR_BASE, GICR_ICACTIVER0, GICR_IGROUPR0, GICR_IPRIORITYR, GICR_ISACTIVER0, GICR_ISENABLER0, GICR_SGI_FRAME,
  GICR_STRIDE, GICR_WAKER,
} from '../machine/gic-regs';

export const INTID_VGIC_MAINT = 25;
export const INTID_VTIMER = 27;
export const INTID_SPURIOUS = 1023;
const GICD_CTLR_PA = 0x0800_0000n;
const GICD_CTLR_ENABLE_GRP1 = 1n << 1n;
const ICC_CTLR_EOIMODE = 1n << 1n;
const GICR_WAKER_PROCESSOR_SLEEP = 1n << 1n;

const sgiFrame = (cpu: number): bigint => GICR_BASE + GICR_STRIDE * BigInt(cpu) + GICR_SGI_FRAME;
const bit = (intid: number): bigint => 1n << BigInt(intid);

/** gic_cpu_init() + the PPIs KVM requests (timer, maintenance) on the core's current CPU. */
export function hostGicCpuInit(core: Core, ppis: readonly number[] = [INTID_VGIC_MAINT, INTID_VTIMER]): void {
  const cpu = core.cpu;
  const rd = GICR_BASE + GICR_STRIDE * BigInt(cpu);
  core.gicFrameWrite(GICD_CTLR_PA, core.gicFrameRead(GICD_CTLR_PA) | GICD_CTLR_ENABLE_GRP1);
  core.gicFrameWrite(rd + GICR_WAKER, core.gicFrameRead(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
  const sgi = sgiFrame(cpu);
  let group = core.gicFrameRead(sgi + GICR_IGROUPR0);
  for (const p of ppis) {
    group |= bit(p);
    const prioWord = sgi + GICR_IPRIORITYR + BigInt(p & ~3);
    const shift = BigInt(8 * (p & 3));
    core.gicFrameWrite(prioWord, (core.gicFrameRead(prioWord) & ~(0xffn << shift)) | (0xa0n << shift));
  }
  core.gicFrameWrite(sgi + GICR_IGROUPR0, group);
  for (const p of ppis) core.gicFrameWrite(sgi + GICR_ISENABLER0, bit(p));
  core.setGicReg(GIC_SR.ICC_PMR_EL1, 0xf0n);
  core.setGicReg(GIC_SR.ICC_CTLR_EL1, core.gicReg(GIC_SR.ICC_CTLR_EL1) | ICC_CTLR_EOIMODE);
  core.setGicReg(GIC_SR.ICC_IGRPEN1_EL1, 1n);
}

/** gic_handle_irq(): ICC_IAR1_EL1 (1023: nothing to take). */
export const hostGicAck = (core: Core): number => Number(core.gicReg(GIC_SR.ICC_IAR1_EL1) & 0xffffffn);
/** ICC_EOIR1_EL1 with EOImode = 1: priority drop only; the interrupt stays active. */
export const hostGicEoi = (core: Core, intid: number): void => core.setGicReg(GIC_SR.ICC_EOIR1_EL1, BigInt(intid));
/** ICC_DIR_EL1: deactivation. */
export const hostGicDeactivate = (core: Core, intid: number): void => core.setGicReg(GIC_SR.ICC_DIR_EL1, BigInt(intid));

/** irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE) of a PPI of the current CPU. */
export function hostPpiActive(core: Core, intid: number): boolean {
  return (core.gicFrameRead(sgiFrame(core.cpu) + GICR_ISACTIVER0) & bit(intid)) !== 0n;
}
/** irq_set_irqchip_state(IRQCHIP_STATE_ACTIVE, active) of a PPI of the current CPU. */
export function hostPpiSetActive(core: Core, intid: number, active: boolean): void {
  core.gicFrameWrite(sgiFrame(core.cpu) + (active ? GICR_ISACTIVER0 : GICR_ICACTIVER0), bit(intid));
}
