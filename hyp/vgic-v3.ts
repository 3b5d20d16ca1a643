/**
 * The GICv3 CPU interface state of a vCPU at EL2 (struct vgic_v3_cpu_if in the hyp's vCPU copy) and
 * its path between the host and the CPU:
 * - flush_hyp_vgic_state() / sync_hyp_vgic_state() (nvhe/hyp-main.c): before a run EL2 copies from
 *   the host's struct kvm_vcpu only vgic_hcr, used_lrs (clamped to ICH_VTR_EL2.ListRegs + 1) and
 *   those list registers; vgic_sre is EL2's own (SRE | DFB | DIB). After the run it copies back only
 *   vgic_hcr and the used list registers (with the exit's ICH_MISR/EISR/ELRSR status), never the
 *   guest's registers, VMCR or APRs.
 * - __vgic_v3_restore_state() / __vgic_v3_save_state() (hyp/vgic-v3-sr.c), called by the world
 *   switch: program ICH_HCR_EL2 and ICH_LR<n>_EL2 on entry; on exit save the LRs (an LR the
 *   hardware reports empty in ICH_ELRSR_EL2 keeps only its non-state bits), clear them and disable
 *   the virtual CPU interface (ICH_HCR_EL2.En = 0) for the host.
 * - __vgic_v3_restore_vmcr_aprs() / __vgic_v3_save_aprs() (with ICH_VMCR_EL2): the guest's own
 *   state, restored on entry and saved on exit from the hyp's copy. The host hypercalls of the same
 *   names copy VMCR and the APRs between the host's struct and the hyp's copy for a non-protected
 *   vCPU only (Android's handle___vgic_v3_{save,restore}_vmcr_aprs on the loaded hyp vCPU); a
 *   protected guest's never leave EL2.
 */
import { ICH_SAVE_AP0R0, ICH_SAVE_AP1R0, ICH_SAVE_EISR, ICH_SAVE_ELRSR, ICH_SAVE_HCR, ICH_SAVE_MISR, ICH_SAVE_VMCR, type Core } from '../machine/core';
import { GIC_SR } from '../machine/gic-regs';
import type { PhysMem } from './phys-mem';
import {
  HostVcpuView, HOST_VGIC_V3_AP0R, HOST_VGIC_V3_AP1R, HOST_VGIC_V3_EISR, HOST_VGIC_V3_ELRSR, HOST_VGIC_V3_HCR,
  HOST_VGIC_V3_LR, HOST_VGIC_V3_MISR, HOST_VGIC_V3_USED_LRS, HOST_VGIC_V3_VMCR, VGIC_V3_MAX_LRS,
} from './host-abi';

/* The host struct's vGIC fields as Number offsets. */
const HCR = Number(HOST_VGIC_V3_HCR), LR = Number(HOST_VGIC_V3_LR), USED_LRS = Number(HOST_VGIC_V3_USED_LRS);
const MISR = Number(HOST_VGIC_V3_MISR), EISR = Number(HOST_VGIC_V3_EISR), ELRSR = Number(HOST_VGIC_V3_ELRSR);

export const ICC_SRE_EL1_SRE = 1n << 0n;
export const ICC_SRE_EL1_DFB = 1n << 1n;
export const ICC_SRE_EL1_DIB = 1n << 2n;
/** ICC_SRE_EL1_DIB | ICC_SRE_EL1_DFB | ICC_SRE_EL1_SRE: what EL2 sets vgic_sre to. */
const VGIC_SRE = ICC_SRE_EL1_DIB | ICC_SRE_EL1_DFB | ICC_SRE_EL1_SRE;
export const ICH_HCR_EN = 1n << 0n;
export const ICH_HCR_EOICOUNT_SHIFT = 27n;
export const ICH_HCR_EOICOUNT_MASK = 0x1fn << ICH_HCR_EOICOUNT_SHIFT;
const EOICOUNT_MASK_N = Number(ICH_HCR_EOICOUNT_MASK) | 0;
/** ICH_LR<n>_EL2 fields (GICv3 spec 12.4.6). */
export const ICH_LR_VINTID_MASK = 0xffff_ffffn;
export const ICH_LR_PINTID_SHIFT = 32n;
export const ICH_LR_PRIORITY_SHIFT = 48n;
export const ICH_LR_GROUP = 1n << 60n;
export const ICH_LR_HW = 1n << 61n;
export const ICH_LR_PENDING_BIT = 1n << 62n;
export const ICH_LR_ACTIVE_BIT = 1n << 63n;
export const ICH_LR_STATE = ICH_LR_PENDING_BIT | ICH_LR_ACTIVE_BIT;

/** struct vgic_v3_cpu_if (the EL2 copy). */
export class VgicV3CpuIf {
  vgic_hcr = 0n;
  vgic_vmcr = 0n;
  vgic_sre = 0n;
  readonly vgic_ap0r = [0n, 0n, 0n, 0n];
  readonly vgic_ap1r = [0n, 0n, 0n, 0n];
  readonly vgic_lr = new Array<bigint>(VGIC_V3_MAX_LRS).fill(0n);
  used_lrs = 0;
  /** ICH_MISR/EISR/ELRSR_EL2 read at the last exit (before the interface was disabled). */
  vgic_misr = 0n;
  vgic_eisr = 0n;
  vgic_elrsr = 0n;
  /** memset(0): a new or scrubbed vCPU. */
  clear(): void {
    this.vgic_hcr = this.vgic_vmcr = this.vgic_sre = this.vgic_misr = this.vgic_eisr = this.vgic_elrsr = 0n;
    this.vgic_ap0r.fill(0n); this.vgic_ap1r.fill(0n); this.vgic_lr.fill(0n);
    this.used_lrs = 0;
  }
}

/** ICH_VTR_EL2 of a core (a constant of the CPU: read once), and what the world switch derives from it. */
interface VtrInfo { vtr: bigint; nr_lr: number; nr_aprs: number }
const vtrByCore = new WeakMap<Core, VtrInfo>();
let lastCore: Core | null = null;
let lastVtr: VtrInfo = { vtr: 0n, nr_lr: 0, nr_aprs: 0 };
const vtrInfo = (core: Core): VtrInfo => {
  if (core === lastCore) return lastVtr; /* (the core of the last call: every run asks again) */
  let v = vtrByCore.get(core);
  if (v === undefined) {
    const vtr = core.gicReg(GIC_SR.ICH_VTR_EL2);
    /* vtr_to_nr_pre_bits(): ICH_VTR_EL2.PREbits + 1; 7 bits four APRs, 6 bits two, 5 bits one */
    const nr_pre_bits = Number((vtr >> 26n) & 7n) + 1;
    v = { vtr, nr_lr: Number(vtr & 0xfn) + 1, nr_aprs: nr_pre_bits === 7 ? 4 : nr_pre_bits === 6 ? 2 : 1 };
    vtrByCore.set(core, v);
  }
  lastCore = core;
  lastVtr = v;
  return v;
};
/** ICH_VTR_EL2.ListRegs + 1 on the CPU (kvm_vgic_global_state.nr_lr). */
export const vgic_nr_lr = (core: Core): number => vtrInfo(core).nr_lr;
/**
 * The ICH_AP0R<n>/AP1R<n>_EL2 the CPU implements, by vtr_to_nr_pre_bits() (ICH_VTR_EL2.PREbits + 1):
 * 7 bits four, 6 bits two, 5 bits one, as __vgic_v3_save_aprs() / __vgic_v3_restore_aprs() switch on it.
 */
export const vgic_nr_aprs = (core: Core): number => vtrInfo(core).nr_aprs;

/** flush_hyp_vgic_state(): the host's LRs, used_lrs and vgic_hcr into the hyp's copy, nothing else. */
export function flush_hyp_vgic_state(mem: PhysMem, host_vcpu: bigint, cpu_if: VgicV3CpuIf, max_lrs: number, view?: HostVcpuView): void {
  const hv = view ?? new HostVcpuView(mem, host_vcpu);
  const used_lrs = Math.min(hv.lo32n(USED_LRS), max_lrs);
  const hcr = hv.lo32n(HCR);
  cpu_if.vgic_hcr = hcr === 0 ? 0n : BigInt(hcr);
  /* Should be a one-off */
  cpu_if.vgic_sre = VGIC_SRE;
  cpu_if.used_lrs = used_lrs;
  for (let i = 0; i < used_lrs; i++) cpu_if.vgic_lr[i] = hv.u64n(LR + 8 * i);
  for (let i = used_lrs; i < VGIC_V3_MAX_LRS; i++) if (cpu_if.vgic_lr[i] !== 0n) cpu_if.vgic_lr[i] = 0n;
}

/** sync_hyp_vgic_state(): vgic_hcr, the used LRs and the exit's maintenance status back to the host. */
export function sync_hyp_vgic_state(mem: PhysMem, host_vcpu: bigint, cpu_if: VgicV3CpuIf, view?: HostVcpuView): void {
  const hv = view ?? new HostVcpuView(mem, host_vcpu);
  hv.setU64n(HCR, cpu_if.vgic_hcr);
  for (let i = 0; i < cpu_if.used_lrs; i++) hv.setU64n(LR + 8 * i, cpu_if.vgic_lr[i]!);
  hv.setU64n(MISR, cpu_if.vgic_misr);
  hv.setU64n(EISR, cpu_if.vgic_eisr);
  hv.setU64n(ELRSR, cpu_if.vgic_elrsr);
}

/**
 * __vgic_v3_restore_state(): ICH_LR<n>_EL2 for the used LRs, then ICH_HCR_EL2. With `live` (the
 * world switch, a host that keeps nothing on the CPU), an ICH_HCR_EL2 the last save left 0 is not
 * written 0 again when no LR is in use.
 */
export function __vgic_v3_restore_state(core: Core, cpu_if: VgicV3CpuIf, live?: VgicLiveState): void {
  const n = Math.min(cpu_if.used_lrs, vgic_nr_lr(core));
  for (let i = 0; i < n; i++) core.setGicReg(GIC_SR.ICH_LR0_EL2 + i, cpu_if.vgic_lr[i]!);
  if (live) {
    if (n === 0 && cpu_if.vgic_hcr === 0n && live.hcrZero) return;
    live.hcrZero = cpu_if.vgic_hcr === 0n;
  }
  core.setGicReg(GIC_SR.ICH_HCR_EL2, cpu_if.vgic_hcr);
}

/**
 * __vgic_v3_save_state(): with LRs in use, the exit's ICH_MISR/EISR/ELRSR, the EOIcount the guest
 * accumulated, each used LR (an empty one, ELRSR bit set, keeps only its non-state bits) and then
 * the LR cleared; ICH_HCR_EL2.En cleared so the virtual interface signals nothing to the host.
 * As upstream, the LRs (and the En-cleared ICH_HCR_EL2 written before them) only when some are in
 * use; the status registers and EOIcount always (this model publishes them to the host). The
 * registers are read in one core call (Core.ichSaveBlock(), which also writes ICH_HCR_EL2 0 when no
 * LR is in use); it leaves ICH_VMCR_EL2 and the APRs for __vgic_v3_save_vmcr_aprs(..., saved).
 */
export function __vgic_v3_save_state(core: Core, cpu_if: VgicV3CpuIf, live?: VgicLiveState): void {
  const used = Math.min(cpu_if.used_lrs, vgic_nr_lr(core));
  core.ichSaveBlock(used === 0);
  const hcr = core.ichSaved(ICH_SAVE_HCR);
  const misr = core.ichSaved(ICH_SAVE_MISR), eisr = core.ichSaved(ICH_SAVE_EISR), elrsr = core.ichSaved(ICH_SAVE_ELRSR);
  /* (the fields are 32-bit registers: a new BigInt only when the value changed) */
  if (Number(cpu_if.vgic_misr) !== misr) cpu_if.vgic_misr = BigInt(misr);
  if (Number(cpu_if.vgic_eisr) !== eisr) cpu_if.vgic_eisr = BigInt(eisr);
  if (Number(cpu_if.vgic_elrsr) !== elrsr) cpu_if.vgic_elrsr = BigInt(elrsr);
  const eoicount = hcr & EOICOUNT_MASK_N;
  if ((Number(cpu_if.vgic_hcr & 0xffff_ffffn) & EOICOUNT_MASK_N) !== eoicount) {
    cpu_if.vgic_hcr = (cpu_if.vgic_hcr & ~ICH_HCR_EOICOUNT_MASK) | BigInt(eoicount >>> 0);
  }
  if (used > 0) {
    core.setGicReg(GIC_SR.ICH_HCR_EL2, cpu_if.vgic_hcr & ~ICH_HCR_EN);
    for (let i = 0; i < used; i++) {
      if ((elrsr >>> i) & 1) cpu_if.vgic_lr[i] = cpu_if.vgic_lr[i]! & ~ICH_LR_STATE;
      else cpu_if.vgic_lr[i] = core.gicReg(GIC_SR.ICH_LR0_EL2 + i);
      core.setGicReg(GIC_SR.ICH_LR0_EL2 + i, 0n);
    }
    core.setGicReg(GIC_SR.ICH_HCR_EL2, 0n);
  }
  if (live) live.hcrZero = true;
}

/**
 * What one physical CPU's ICH_VMCR_EL2 and ICH_AP0R<n>/AP1R<n>_EL2 hold, as the world switch last
 * saved them, and for whose copy (WorldSwitch, with a host that keeps nothing on the CPU: no one
 * else writes them between two runs). A restore of the very values the CPU holds is skipped.
 */
export class VgicLiveState {
  owner: VgicV3CpuIf | null = null;
  /** ICH_HCR_EL2 is 0: the last save wrote it so, and no restore has written another value since. */
  hcrZero = false;
  vmcr = 0n;
  readonly ap0r = [0n, 0n, 0n, 0n];
  readonly ap1r = [0n, 0n, 0n, 0n];
  holds(cpu_if: VgicV3CpuIf): boolean {
    if (this.owner !== cpu_if || this.vmcr !== cpu_if.vgic_vmcr) return false;
    for (let i = 0; i < 4; i++) if (this.ap0r[i] !== cpu_if.vgic_ap0r[i] || this.ap1r[i] !== cpu_if.vgic_ap1r[i]) return false;
    return true;
  }
}

/** __vgic_v3_restore_vmcr_aprs(): ICH_VMCR_EL2 and the implemented ICH_AP0R<n>/AP1R<n>_EL2 from the hyp's copy. */
export function __vgic_v3_restore_vmcr_aprs(core: Core, cpu_if: VgicV3CpuIf, live?: VgicLiveState): void {
  const held = live?.holds(cpu_if) ?? false;
  if (live) live.owner = null; /* the guest may change them from now on, until the next save */
  if (held) return; /* the CPU holds exactly these (saved from it, unchanged since) */
  core.setGicReg(GIC_SR.ICH_VMCR_EL2, cpu_if.vgic_vmcr);
  const n = vgic_nr_aprs(core);
  for (let i = 0; i < n; i++) {
    core.setGicReg(GIC_SR.ICH_AP0R0_EL2 + i, cpu_if.vgic_ap0r[i]!);
    core.setGicReg(GIC_SR.ICH_AP1R0_EL2 + i, cpu_if.vgic_ap1r[i]!);
  }
}

/**
 * __vgic_v3_save_aprs() with the VMCR: the guest's priority state (the implemented APRs) into the
 * hyp's copy. `saved`: __vgic_v3_save_state() of this exit has read them already (Core.ichSaved()).
 */
export function __vgic_v3_save_vmcr_aprs(core: Core, cpu_if: VgicV3CpuIf, live?: VgicLiveState, saved = false): void {
  const n = vgic_nr_aprs(core);
  if (saved) {
    /* 32-bit registers: a new BigInt only when the value changed */
    const vmcr = core.ichSaved(ICH_SAVE_VMCR);
    if (Number(cpu_if.vgic_vmcr) !== vmcr) cpu_if.vgic_vmcr = BigInt(vmcr);
    for (let i = 0; i < n; i++) {
      const ap0 = core.ichSaved(ICH_SAVE_AP0R0 + i), ap1 = core.ichSaved(ICH_SAVE_AP1R0 + i);
      if (Number(cpu_if.vgic_ap0r[i]) !== ap0) cpu_if.vgic_ap0r[i] = BigInt(ap0);
      if (Number(cpu_if.vgic_ap1r[i]) !== ap1) cpu_if.vgic_ap1r[i] = BigInt(ap1);
    }
  } else {
    cpu_if.vgic_vmcr = core.gicReg(GIC_SR.ICH_VMCR_EL2);
    for (let i = 0; i < n; i++) {
      cpu_if.vgic_ap0r[i] = core.gicReg(GIC_SR.ICH_AP0R0_EL2 + i);
      cpu_if.vgic_ap1r[i] = core.gicReg(GIC_SR.ICH_AP1R0_EL2 + i);
    }
  }
  if (live) {
    live.owner = cpu_if;
    live.vmcr = cpu_if.vgic_vmcr;
    for (let i = 0; i < 4; i++) { live.ap0r[i] = cpu_if.vgic_ap0r[i]!; live.ap1r[i] = cpu_if.vgic_ap1r[i]!; }
  }
}

/** The host's __vgic_v3_save_aprs on a loaded non-protected vCPU: VMCR and APRs to the host's struct. */
export function vgic_v3_copy_vmcr_aprs_to_host(mem: PhysMem, host_vcpu: bigint, cpu_if: VgicV3CpuIf): void {
  const hv = new HostVcpuView(mem, host_vcpu);
  hv.setU64(HOST_VGIC_V3_VMCR, cpu_if.vgic_vmcr);
  for (let i = 0; i < 4; i++) {
    hv.setU64(HOST_VGIC_V3_AP0R + 8n * BigInt(i), cpu_if.vgic_ap0r[i]!);
    hv.setU64(HOST_VGIC_V3_AP1R + 8n * BigInt(i), cpu_if.vgic_ap1r[i]!);
  }
}

/** The host's __vgic_v3_restore_vmcr_aprs on a loaded non-protected vCPU: VMCR and APRs from the host's struct. */
export function vgic_v3_copy_vmcr_aprs_from_host(mem: PhysMem, host_vcpu: bigint, cpu_if: VgicV3CpuIf): void {
  const hv = new HostVcpuView(mem, host_vcpu);
  cpu_if.vgic_vmcr = BigInt.asUintN(32, hv.u64(HOST_VGIC_V3_VMCR));
  cpu_if.vgic_sre = VGIC_SRE;
  for (let i = 0; i < 4; i++) {
    cpu_if.vgic_ap0r[i] = BigInt.asUintN(32, hv.u64(HOST_VGIC_V3_AP0R + 8n * BigInt(i)));
    cpu_if.vgic_ap1r[i] = BigInt.asUintN(32, hv.u64(HOST_VGIC_V3_AP1R + 8n * BigInt(i)));
  }
}
