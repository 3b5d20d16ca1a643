/**
 * Indices of the GIC CPU-interface system registers in the core (core-as/gic/gic-sysregs.ts, range
 * 200..247), for Core.gicReg / Core.setGicReg: ICH_* as EL2 reads and writes them, and the physical
 * ICC_* a host GIC driver uses. (Not in core-constants.ts: the generator reads core-as/sysregs.ts.)
 */
export const GIC_SR = {
  ICC_PMR_EL1: 200, ICC_DIR_EL1: 213, ICC_RPR_EL1: 214, ICC_IAR1_EL1: 218, ICC_EOIR1_EL1: 219, ICC_HPPIR1_EL1: 220,
  ICC_CTLR_EL1: 222, ICC_IGRPEN1_EL1: 225,
  ICH_AP0R0_EL2: 230, ICH_AP1R0_EL2: 234, ICH_HCR_EL2: 238, ICH_VTR_EL2: 239, ICH_MISR_EL2: 240,
  ICH_EISR_EL2: 241, ICH_ELRSR_EL2: 242, ICH_VMCR_EL2: 243, ICH_LR0_EL2: 244,
} as const;

/** GICv3 redistributor frames of QEMU virt (GICR_BASE + 0x20000 × CPU; SGI/PPI frame at +0x10000). */
export const GICR_BASE = 0x080a_0000n;
export const GICR_STRIDE = 0x2_0000n;
export const GICR_SGI_FRAME = 0x1_0000n;
export const GICR_WAKER = 0x14n;
export const GICR_IGROUPR0 = 0x80n;
export const GICR_ISENABLER0 = 0x100n;
export const GICR_ISACTIVER0 = 0x300n;
export const GICR_ICACTIVER0 = 0x380n;
export const GICR_ISPENDR0 = 0x200n;
export const GICR_IPRIORITYR = 0x400n;
