/**
 * The host's vGIC for a vCPU, reduced to what reaches EL2 (arch/arm64/kvm/vgic/vgic.c
 * kvm_vgic_inject_irq / vgic_flush_lr_state, vgic-v3.c vgic_v3_populate_lr / vgic_v3_fold_lr_state):
 * the interrupts the host wants the guest to see are written as list registers into the host's
 * struct vgic_v3_cpu_if (host-abi.ts HOST_VGIC_V3_*) before each __kvm_vcpu_run; after it the host
 * reads back only what EL2 synced (the LRs' state, vgic_hcr) and retires every LR the guest has
 * completed (state invalid). The host never reads the guest's registers, VMCR or APRs.
 */
import {
  HostVcpuView, HOST_VGIC_V3_HCR, HOST_VGIC_V3_LR, HOST_VGIC_V3_USED_LRS, HOST_VCPU_SIZE,
} from '../hyp/host-abi';
import { ICH_HCR_EN, ICH_LR_GROUP, ICH_LR_HW, ICH_LR_PENDING_BIT, ICH_LR_PINTID_SHIFT, ICH_LR_PRIORITY_SHIFT, ICH_LR_STATE } from '../hyp/vgic-v3';
import type { PhysMem } from '../hyp/phys-mem';

const HCR = Number(HOST_VGIC_V3_HCR), USED_LRS = Number(HOST_VGIC_V3_USED_LRS), HCR_EN = Number(ICH_HCR_EN);
const HOST_VCPU_SIZE_N = Number(HOST_VCPU_SIZE);
/** Memory as the host reads it; HostMemory's readableAt() and ramView() let flush() read a few words at once. */
export type HostReadableMem = PhysMem & { readableAt?(pa: number, n: number): number; ramView?(): DataView };

/** A virtual interrupt the host delivers: vINTID, priority, and for HW = 1 the physical INTID it is linked to. */
export interface VirqSpec { intid: number; priority?: number; hwIntid?: number }

/** vgic_v3_populate_lr(): a pending Group 1 list register. */
export function vgic_v3_make_lr(v: VirqSpec): bigint {
  let lr = ICH_LR_PENDING_BIT | ICH_LR_GROUP | (BigInt(v.priority ?? 0xa0) << ICH_LR_PRIORITY_SHIFT) | BigInt(v.intid);
  if (v.hwIntid !== undefined) lr |= ICH_LR_HW | (BigInt(v.hwIntid) << ICH_LR_PINTID_SHIFT);
  return lr;
}

/** Per host vCPU: the list registers the host has handed to EL2 and not yet seen completed. */
export class HostVgicCpu {
  lrs: bigint[] = [];
  /** vINTIDs injected and completed (the guest acknowledged and deactivated them). */
  completed: number[] = [];

  /** In a list register now (pending, active or both). */
  inFlight(intid: number): boolean {
    const lrs = this.lrs;
    for (let i = 0; i < lrs.length; i++) if (Number(lrs[i]! & 0xffff_ffffn) === intid) return true;
    return false;
  }

  /** kvm_vgic_inject_irq(): queue vINTID unless it is already in flight. False: no LR free (nr_lr). */
  inject(v: VirqSpec, nr_lr: number): boolean {
    if (this.inFlight(v.intid)) return true;
    if (this.lrs.length >= nr_lr) return false;
    this.lrs.push(vgic_v3_make_lr(v));
    return true;
  }

  /**
   * vgic_flush_lr_state(): the LRs, used_lrs and ICH_HCR_EL2.En into the host's struct kvm_vcpu at
   * host_vcpu (a Number: RAM lies below 2^53). With no LR to hand over, nothing is written when the
   * struct holds that state already: used_lrs 0 and vgic_hcr En, which EL2 syncs back unless the
   * guest's EOIs without an LR moved EOIcount.
   */
  flush(mem: HostReadableMem, host_vcpu: number): void {
    if (this.lrs.length === 0) {
      /* (the four words from RAM when the host's check of the page is at hand: HostMemory.readableAt()) */
      const o = mem.readableAt ? mem.readableAt(host_vcpu, HOST_VCPU_SIZE_N) : -1;
      if (o >= 0) {
        const ram = mem.ramView!();
        if (ram.getUint32(o + HCR, true) === HCR_EN && ram.getUint32(o + HCR + 4, true) === 0 && ram.getUint32(o + USED_LRS, true) === 0 && ram.getUint32(o + USED_LRS + 4, true) === 0) return;
      } else if (mem.readU32N && mem.readU32N(host_vcpu + HCR) === HCR_EN && mem.readU32N(host_vcpu + HCR + 4) === 0 &&
        mem.readU32N(host_vcpu + USED_LRS) === 0 && mem.readU32N(host_vcpu + USED_LRS + 4) === 0) return;
    }
    const hv = new HostVcpuView(mem, BigInt(host_vcpu));
    this.lrs.forEach((lr, i) => hv.setU64(HOST_VGIC_V3_LR + 8n * BigInt(i), lr));
    hv.setU64(HOST_VGIC_V3_USED_LRS, BigInt(this.lrs.length));
    hv.setU64(HOST_VGIC_V3_HCR, ICH_HCR_EN);
  }

  /** vgic_v3_fold_lr_state(): read back what EL2 synced; an LR with no state left is retired. */
  fold(mem: PhysMem, host_vcpu: bigint): void {
    if (this.lrs.length === 0) return; /* nothing handed to EL2: nothing to read back */
    const hv = new HostVcpuView(mem, host_vcpu);
    const kept: bigint[] = [];
    this.lrs.forEach((_, i) => {
      const lr = hv.u64(HOST_VGIC_V3_LR + 8n * BigInt(i));
      if ((lr & ICH_LR_STATE) === 0n) this.completed.push(Number(lr & 0xffff_ffffn));
      else kept.push(lr);
    });
    this.lrs = kept;
  }
}
