// The GIC as EL2 software and a host kernel's GIC driver see it, for TypeScript running *as* that
// software (the hosted pKVM's world switch: __vgic_v3_save_state / __vgic_v3_restore_state and the
// APR/VMCR calls; the TypeScript host kernel's GICv3 driver: redistributor set-up, ICC_IAR1 /
// ICC_EOIR1 / ICC_DIR of a physical interrupt). These are the same operations MRS/MSR of ICH_* at
// EL2 and of ICC_* at EL1 without HCR_EL2.IMO perform (no ICV routing, no traps), and the GICD/GICR
// frames as a load/store reaches them; always on the current CPU.
import { curCpu } from '../cpu-index';
import { gicMmio } from './gic-mmio';
import * as P from './gic-cpuif';
import * as V from './gic-vcpuif';
import {
  ICC_CTLR_EL1, ICC_DIR_EL1, ICC_EOIR1_EL1, ICC_HPPIR1_EL1, ICC_IAR1_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1,
  ICC_RPR_EL1, ICH_AP0R0_EL2, ICH_AP1R0_EL2, ICH_EISR_EL2, ICH_ELRSR_EL2, ICH_HCR_EL2, ICH_LR0_EL2,
  ICH_MISR_EL2, ICH_VMCR_EL2, ICH_VTR_EL2,
} from './gic-sysregs';

/** MRS of ICH_* (EL2) or of a physical ICC_* register the host's driver uses; 0 for any other. */
export function gicEl2Read(idx: u32): u64 {
  const cpu = curCpu;
  switch (idx) {
    case ICH_HCR_EL2: return V.readIchHcr(cpu);
    case ICH_VTR_EL2: return V.ICH_VTR_VALUE;
    case ICH_MISR_EL2: return V.readIchMisr(cpu);
    case ICH_EISR_EL2: return V.readIchEisr(cpu);
    case ICH_ELRSR_EL2: return V.readIchElrsr(cpu);
    case ICH_VMCR_EL2: return V.readIchVmcr(cpu);
    case ICC_PMR_EL1: return P.readPmr(cpu);
    case ICC_IAR1_EL1: return P.acknowledge(cpu, 1);
    case ICC_HPPIR1_EL1: return P.hppir(cpu, 1);
    case ICC_RPR_EL1: return P.readRpr(cpu);
    case ICC_CTLR_EL1: return P.readCtlr(cpu);
    case ICC_IGRPEN1_EL1: return P.readIgrpen(cpu, 1);
  }
  if (idx >= ICH_AP0R0_EL2 && idx < ICH_AP0R0_EL2 + 4) return V.readIchApr(cpu, 0, idx - ICH_AP0R0_EL2);
  if (idx >= ICH_AP1R0_EL2 && idx < ICH_AP1R0_EL2 + 4) return V.readIchApr(cpu, 1, idx - ICH_AP1R0_EL2);
  if (idx >= ICH_LR0_EL2 && idx < ICH_LR0_EL2 + 4) return V.readIchLr(cpu, idx - ICH_LR0_EL2);
  return 0;
}

/** MSR of ICH_* (EL2) or of a physical ICC_* register the host's driver uses; others are ignored. */
export function gicEl2Write(idx: u32, v: u64): void {
  const cpu = curCpu;
  switch (idx) {
    case ICH_HCR_EL2: V.writeIchHcr(cpu, v); return;
    case ICH_VMCR_EL2: V.writeIchVmcr(cpu, v); return;
    case ICC_PMR_EL1: P.writePmr(cpu, v); return;
    case ICC_EOIR1_EL1: P.endOfInterrupt(cpu, 1, <u32>v & 0xffffff); return;
    case ICC_DIR_EL1: P.deactivateDir(cpu, <u32>v & 0xffffff); return;
    case ICC_CTLR_EL1: P.writeCtlr(cpu, v); return;
    case ICC_IGRPEN1_EL1: P.writeIgrpen(cpu, 1, v); return;
  }
  if (idx >= ICH_AP0R0_EL2 && idx < ICH_AP0R0_EL2 + 4) V.writeIchApr(cpu, 0, idx - ICH_AP0R0_EL2, v);
  else if (idx >= ICH_AP1R0_EL2 && idx < ICH_AP1R0_EL2 + 4) V.writeIchApr(cpu, 1, idx - ICH_AP1R0_EL2, v);
  else if (idx >= ICH_LR0_EL2 && idx < ICH_LR0_EL2 + 4) V.writeIchLr(cpu, idx - ICH_LR0_EL2, v);
}

/** A 32- or 64-bit access to the GICD / GICR frames (sizeLog2 2 or 3); the value read (0 for a write). */
export function gicFrameAccess(pa: u64, sizeLog2: u32, isWrite: u32, v: u64): u64 {
  return gicMmio(pa, sizeLog2, isWrite != 0, v);
}
