/**
 * The GICv3 CPU interface state of a vCPU at EL2 (struct vgic_v3_cpu_if in the hyp's vCPU copy) and
 * its path between the host and the CPU:
 * - flush_hyp_vgic_state() / sync_hyp_vgic_state() (nvhe/hyp-main.c): before a run EL2 copies from
 *   the host's struct kvm_vcpu only vgic_hcr, used_lrs (clamped to ICH_VTR_EL2.ListRegs + 1) and
 *   those list registers; vgic_sre is EL2's own (SRE | DFB | DIB). After the run it copies back only
 *   vgic_hcr and the used list registers (with the exit's ICH_MISR/EISR/ELRSR status), never the
 *   guest's registers, VMCR or APRs.
 * - __vgic_v3_restore_state() / __vgic_v3_save_state() (hyp/vgic-v3-sr.c), done by the core in the
 *   world switch's entry and exit calls (core-as/hyp-vcpu-switch.ts; the state crosses as one block,
 *   vgic_v3_to_core() / vgic_v3_from_core()): program ICH_HCR_EL2 and ICH_LR<n>_EL2 on entry; on
 *   exit save the LRs (an LR the hardware reports empty in ICH_ELRSR_EL2 keeps only its non-state
 *   bits), clear them and disable the virtual CPU interface (ICH_HCR_EL2.En = 0) for the host.
 * - __vgic_v3_restore_vmcr_aprs() / __vgic_v3_save_aprs() (with ICH_VMCR_EL2): the guest's own
 *   state, restored on entry and saved on exit from the hyp's copy (the same core calls). The host hypercalls of the same
 *   names copy VMCR and the APRs between the host's struct and the hyp's copy for a non-protected
 *   vCPU only (Android's handle___vgic_v3_{save,restore}_vmcr_aprs on the loaded hyp vCPU); a
 *   protected guest's never leave EL2.
 */
import { L, type Core } from '../machine/core';
import { GIC_SR } from '../machine/gic-regs';
import type { PhysMem } from './phys-mem';
import {
  HostVcpuView, HOST_VGIC_V3_AP0R, HOST_VGIC_V3_AP1R, HOST_VGIC_V3_HCR,
  HOST_VGIC_V3_LR, HOST_VGIC_V3_MISR, HOST_VGIC_V3_USED_LRS, HOST_VGIC_V3_VMCR, VGIC_V3_MAX_LRS,
} from './host-abi';

/* The host struct's vGIC fields as Number offsets. */
const HCR = Number(HOST_VGIC_V3_HCR), LR = Number(HOST_VGIC_V3_LR), USED_LRS = Number(HOST_VGIC_V3_USED_LRS);
const MISR = Number(HOST_VGIC_V3_MISR);

export const ICC_SRE_EL1_SRE = 1n << 0n;
export const ICC_SRE_EL1_DFB = 1n << 1n;
export const ICC_SRE_EL1_DIB = 1n << 2n;
/** ICC_SRE_EL1_DIB | ICC_SRE_EL1_DFB | ICC_SRE_EL1_SRE: what EL2 sets vgic_sre to. */
const VGIC_SRE = ICC_SRE_EL1_DIB | ICC_SRE_EL1_DFB | ICC_SRE_EL1_SRE;
export const ICH_HCR_EN = 1n << 0n;
export const ICH_HCR_EOICOUNT_SHIFT = 27n;
export const ICH_HCR_EOICOUNT_MASK = 0x1fn << ICH_HCR_EOICOUNT_SHIFT;
/** ICH_LR<n>_EL2 fields (GICv3 spec 12.4.6). */
export const ICH_LR_VINTID_MASK = 0xffff_ffffn;
export const ICH_LR_PINTID_SHIFT = 32n;
export const ICH_LR_PRIORITY_SHIFT = 48n;
export const ICH_LR_GROUP = 1n << 60n;
export const ICH_LR_HW = 1n << 61n;
export const ICH_LR_PENDING_BIT = 1n << 62n;
export const ICH_LR_ACTIVE_BIT = 1n << 63n;
export const ICH_LR_STATE = ICH_LR_PENDING_BIT | ICH_LR_ACTIVE_BIT;

/**
 * struct vgic_v3_cpu_if (the EL2 copy), as u64 slots in the order of the core's EXIT_VGIC block
 * (L.VGIC_*: vgic_hcr, vgic_vmcr, vgic_ap0r[4], vgic_ap1r[4], vgic_lr[16], the exit's MISR, EISR,
 * ELRSR, used_lrs), so that the world switch moves it to and from the core as one block.
 */
export class VgicV3CpuIf {
  readonly slots = new BigUint64Array(L.VGIC_SLOTS);
  /** The same, as 32-bit words (slot i = words 2i, 2i + 1, low first). */
  readonly words = new Uint32Array(this.slots.buffer);
  readonly vgic_ap0r = this.slots.subarray(L.VGIC_AP0R, L.VGIC_AP0R + 4);
  readonly vgic_ap1r = this.slots.subarray(L.VGIC_AP1R, L.VGIC_AP1R + 4);
  readonly vgic_lr = this.slots.subarray(L.VGIC_LR, L.VGIC_LR + VGIC_V3_MAX_LRS);
  vgic_sre = 0n;
  get vgic_hcr(): bigint { return this.slots[L.VGIC_HCR]!; }
  set vgic_hcr(v: bigint) { this.slots[L.VGIC_HCR] = v; }
  get vgic_vmcr(): bigint { return this.slots[L.VGIC_VMCR]!; }
  set vgic_vmcr(v: bigint) { this.slots[L.VGIC_VMCR] = v; }
  /** ICH_MISR/EISR/ELRSR_EL2 read at the last exit (before the interface was disabled). */
  get vgic_misr(): bigint { return this.slots[L.VGIC_MISR]!; }
  set vgic_misr(v: bigint) { this.slots[L.VGIC_MISR] = v; }
  get vgic_eisr(): bigint { return this.slots[L.VGIC_EISR]!; }
  set vgic_eisr(v: bigint) { this.slots[L.VGIC_EISR] = v; }
  get vgic_elrsr(): bigint { return this.slots[L.VGIC_ELRSR]!; }
  set vgic_elrsr(v: bigint) { this.slots[L.VGIC_ELRSR] = v; }
  get used_lrs(): number { return this.words[2 * L.VGIC_USED_LRS]!; }
  set used_lrs(v: number) { this.words[2 * L.VGIC_USED_LRS] = v; this.words[2 * L.VGIC_USED_LRS + 1] = 0; }
  /** memset(0): a new or scrubbed vCPU. */
  clear(): void {
    this.slots.fill(0n);
    this.vgic_sre = 0n;
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
  const w = cpu_if.words;
  /* (upstream's fields are u32: the low word of each slot) */
  w[2 * L.VGIC_HCR] = hv.lo32n(HCR);
  w[2 * L.VGIC_HCR + 1] = 0;
  /* Should be a one-off */
  cpu_if.vgic_sre = VGIC_SRE;
  cpu_if.used_lrs = used_lrs;
  hv.readWords(LR, w, 2 * L.VGIC_LR, 2 * used_lrs);
  w.fill(0, 2 * (L.VGIC_LR + used_lrs), 2 * (L.VGIC_LR + VGIC_V3_MAX_LRS));
}

/** sync_hyp_vgic_state(): vgic_hcr, the used LRs and the exit's maintenance status back to the host. */
export function sync_hyp_vgic_state(mem: PhysMem, host_vcpu: bigint, cpu_if: VgicV3CpuIf, view?: HostVcpuView): void {
  const hv = view ?? new HostVcpuView(mem, host_vcpu);
  const w = cpu_if.words;
  hv.writeWords(HCR, w, 2 * L.VGIC_HCR, 2);
  hv.writeWords(LR, w, 2 * L.VGIC_LR, 2 * cpu_if.used_lrs);
  /* MISR, EISR, ELRSR: consecutive in both */
  hv.writeWords(MISR, w, 2 * L.VGIC_MISR, 6);
}

/* Per core: its EXIT_VGIC block as 32-bit words. */
const vgicBlocks = new WeakMap<Core, Uint32Array>();
let lastBlockCore: Core | null = null;
let lastBlock: Uint32Array | null = null;
function vgicBlock(core: Core): Uint32Array {
  if (core === lastBlockCore) return lastBlock!;
  let b = vgicBlocks.get(core);
  if (b === undefined) {
    const w = (L.EXIT_BASE + L.EXIT_VGIC) >> 2;
    b = core.words.subarray(w, w + 2 * L.VGIC_SLOTS);
    vgicBlocks.set(core, b);
  }
  lastBlockCore = core;
  lastBlock = b;
  return b;
}

/**
 * The guest entry's vGIC state (core-as/hyp-vcpu-switch.ts hypVcpuEnter() writes it to the CPU as
 * __vgic_v3_restore_vmcr_aprs() and __vgic_v3_restore_state() do: ICH_VMCR_EL2, the implemented
 * ICH_AP0R<n>/AP1R<n>_EL2, the used ICH_LR<n>_EL2, ICH_HCR_EL2): the hyp's copy into the core's block.
 */
export function vgic_v3_to_core(core: Core, cpu_if: VgicV3CpuIf): void {
  vgicBlock(core).set(cpu_if.words);
}

/**
 * After the exit (hypVcpuExit(): __vgic_v3_save_state() and __vgic_v3_save_aprs(): the exit's
 * ICH_MISR/EISR/ELRSR_EL2, VMCR and the implemented APRs, the EOIcount the guest accumulated folded
 * into vgic_hcr, each used LR saved (one the hardware reports empty in ICH_ELRSR_EL2 keeps only its
 * non-state bits) and cleared, ICH_HCR_EL2 left 0): the core's block back into the hyp's copy.
 */
export function vgic_v3_from_core(core: Core, cpu_if: VgicV3CpuIf): void {
  cpu_if.words.set(vgicBlock(core));
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
