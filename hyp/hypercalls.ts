/**
 * Host hypercall ABI: one ordered table of ids (enum __kvm_host_smccc_func in
 * arch/arm64/include/asm/kvm_asm.h) and the dispatcher handle_host_hcall() from hyp-main.c.
 * Pinned to the newest kvm_asm.h readable here (README.md "Re-pin"): kernel-patches/bpf at
 * 43759e3c9631 — the v7.1 protected-guest series' pKVM band (with __pkvm_vcpu_sync_state after
 * __pkvm_vcpu_put) and, in the common band, the hypervisor tracing calls after
 * __kvm_timer_set_cntvoff, the GICv5 APR calls after the GICv3 ones and the hyp heap's
 * __pkvm_hyp_topup / __pkvm_hyp_reclaim / __pkvm_hyp_reclaimable, closed by
 * MARKER(__KVM_HOST_SMCCC_FUNC_PKVM_ONLY). A MARKER takes no slot: the pKVM band starts at 32.
 * Function id = 0xC600_0000 + n: SMCCC fast call, SMC64, owner vendor-hyp.
 */
import type { Pkvm } from './index';
import { host_hcall_handlers, host_hcall_handlers_n, type HostHcallHandler, type HostHcallHandlerN } from './hyp-main';
import { HYP_REASON, trace_host_hcall, trace_hyp_enter, trace_hyp_exit } from './tracing/events';

export const HOST_HCALLS = [
  /* Hypercalls that are unavailable once pKVM has finalised. */
  '__kvm_hyp_init', /* 0: handled by the hyp-init stub, not here */
  '__pkvm_init',
  '__pkvm_create_private_mapping',
  '__pkvm_cpu_set_vector',
  '__kvm_enable_ssbs',
  '__vgic_v3_init_lrs',
  '__vgic_v3_get_gic_config',
  '__pkvm_prot_finalize', /* __KVM_HOST_SMCCC_FUNC_MIN_PKVM */
  /* Hypercalls that are always available and common to [nh]VHE/pKVM. */
  '__kvm_adjust_pc',
  '__kvm_vcpu_run',
  '__kvm_flush_vm_context',
  '__kvm_tlb_flush_vmid_ipa',
  '__kvm_tlb_flush_vmid_ipa_nsh',
  '__kvm_tlb_flush_vmid',
  '__kvm_tlb_flush_vmid_range',
  '__kvm_flush_cpu_context',
  '__kvm_timer_set_cntvoff',
  /* The hypervisor tracing series (trace-hcalls.ts). */
  '__tracing_load',
  '__tracing_unload',
  '__tracing_enable',
  '__tracing_swap_reader',
  '__tracing_update_clock',
  '__tracing_reset',
  '__tracing_enable_event',
  '__tracing_write_event',
  '__vgic_v3_save_aprs',
  '__vgic_v3_restore_vmcr_aprs',
  '__vgic_v5_save_apr',
  '__vgic_v5_restore_vmcr_apr',
  /* The hyp heap allocator's host interface ("KVM: arm64: Add topup interface for the pKVM heap allocator"). */
  '__pkvm_hyp_topup',
  '__pkvm_hyp_reclaim',
  '__pkvm_hyp_reclaimable', /* last before __KVM_HOST_SMCCC_FUNC_PKVM_ONLY */
  /* Hypercalls that are available only when pKVM has finalised. */
  '__pkvm_host_share_hyp',
  '__pkvm_host_unshare_hyp',
  '__pkvm_host_donate_guest',
  '__pkvm_host_share_guest',
  '__pkvm_host_unshare_guest',
  '__pkvm_host_relax_perms_guest',
  '__pkvm_host_wrprotect_guest',
  '__pkvm_host_test_clear_young_guest',
  '__pkvm_host_mkyoung_guest',
  '__pkvm_reserve_vm',
  '__pkvm_unreserve_vm',
  '__pkvm_init_vm',
  '__pkvm_init_vcpu',
  '__pkvm_vcpu_in_poison_fault',
  '__pkvm_force_reclaim_guest_page',
  '__pkvm_reclaim_dying_guest_page',
  '__pkvm_start_teardown_vm',
  '__pkvm_finalize_teardown_vm',
  '__pkvm_vcpu_load',
  '__pkvm_vcpu_put',
  '__pkvm_vcpu_sync_state',
  '__pkvm_tlb_flush_vmid',
  /*
   * Appended (not in the pinned kvm_asm.h): Android's allocator management calls, which the pKVM
   * IOMMU series ("KVM: arm64: pKVM IOMMU", RFC v2, Dec 2024) uses for its page-table pool, and
   * that series' calls, in its order; see hyp/alloc/hyp-main.ts and hyp/iommu/hyp-main.ts.
   */
  '__pkvm_hyp_alloc_mgt_refill',
  '__pkvm_hyp_alloc_mgt_reclaimable',
  '__pkvm_hyp_alloc_mgt_reclaim',
  '__pkvm_host_iommu_alloc_domain',
  '__pkvm_host_iommu_free_domain',
  '__pkvm_host_iommu_attach_dev',
  '__pkvm_host_iommu_detach_dev',
  '__pkvm_host_iommu_map_pages',
  '__pkvm_host_iommu_unmap_pages',
  '__pkvm_host_iommu_iova_to_phys',
] as const;
export type HostHcallName = (typeof HOST_HCALLS)[number];

/** __KVM_HOST_SMCCC_FUNC_<name> */
export const __KVM_HOST_SMCCC_FUNC = Object.fromEntries(HOST_HCALLS.map((n, i) => [n, i])) as Record<HostHcallName, number>;
export const __KVM_HOST_SMCCC_FUNC_MIN_PKVM = __KVM_HOST_SMCCC_FUNC.__pkvm_prot_finalize;
/** MARKER(__KVM_HOST_SMCCC_FUNC_PKVM_ONLY): the first id callable only once pKVM is finalised. */
export const __KVM_HOST_SMCCC_FUNC_PKVM_ONLY = __KVM_HOST_SMCCC_FUNC.__pkvm_host_share_hyp;
/** The last id of the common band (the model's name for PKVM_ONLY - 1). */
export const __KVM_HOST_SMCCC_FUNC_MAX_NO_PKVM = __KVM_HOST_SMCCC_FUNC_PKVM_ONLY - 1;

export * from './smccc';
import { KVM_HOST_SMCCC_ID, SMCCC_RET_NOT_SUPPORTED, SMCCC_RET_SUCCESS, ARM_SMCCC_CALL_HINTS, U64, asSigned } from './smccc';
const HOST_HCALL_IDS = new Map<HostHcallName, bigint>(HOST_HCALLS.map((n, i) => [n, KVM_HOST_SMCCC_ID(i)]));
export const KVM_HOST_SMCCC_FUNC = (name: HostHcallName): bigint => HOST_HCALL_IDS.get(name) ?? KVM_HOST_SMCCC_ID(__KVM_HOST_SMCCC_FUNC[name]);

/**
 * handle_host_hcall(): frame is the host's x0..x5 (at least 6 entries), updated
 * in place. Unknown ids, empty slots and ids outside the range allowed once
 * pKVM is initialised get x0 = SMCCC_RET_NOT_SUPPORTED; otherwise x0 =
 * SMCCC_RET_SUCCESS and the handler sets x1 (0 or -errno, as u64) if it returns
 * a value. `cpu` is the physical CPU the host runs on.
 */
const HCALL_MIN_PKVM = BigInt(__KVM_HOST_SMCCC_FUNC_MIN_PKVM);
const HCALL_MAX_NO_PKVM = BigInt(__KVM_HOST_SMCCC_FUNC_MAX_NO_PKVM);
const HCALL_ID_BASE = KVM_HOST_SMCCC_ID(0);
const NOT_HINTS = ~ARM_SMCCC_CALL_HINTS;
const HCALL_ID_BASE_N = Number(HCALL_ID_BASE);
const HINTS_N = Number(ARM_SMCCC_CALL_HINTS);
/** (frame[0] & ~hints) - KVM_HOST_SMCCC_ID(0) as a u64, computed in Numbers when x0 < 2^32. */
function hcallIndex(x0: bigint): bigint | number {
  if (x0 >= 0n && x0 <= 0xffff_ffffn) {
    const n = Number(x0);
    const id = (n - (n & HINTS_N)) - HCALL_ID_BASE_N;
    if (id >= 0) return id;
  }
  return U64((x0 & NOT_HINTS) - HCALL_ID_BASE);
}
/** host_hcall[]: the handlers by id (built at the first call: hyp-main.ts imports this module). */
let host_hcall: (HostHcallHandler | undefined)[] | null = null;
/** The Number forms of the handlers that have one (hyp-main.ts host_hcall_handlers_n), by id. */
let host_hcall_n: (HostHcallHandlerN | undefined)[] | null = null;
const handlers = (): (HostHcallHandler | undefined)[] => (host_hcall ??= HOST_HCALLS.map((n) => host_hcall_handlers[n]));
export function handle_host_hcall(hyp: Pkvm, frame: bigint[], cpu = 0): void {
  const idx = hcallIndex(frame[0]!);
  let id = -1;
  let invalid: boolean;
  if (typeof idx === 'number') {
    /* the common case: a small index, range-checked in Numbers */
    if (idx < HOST_HCALLS.length) id = idx;
    invalid = hcall_out_of_range(hyp, idx);
  } else {
    let hcall_min = 0n;
    let hcall_max = (1n << 64n) - 1n;
    if (hyp.protected_mode_initialized) hcall_min = HCALL_MIN_PKVM;
    else hcall_max = HCALL_MAX_NO_PKVM;
    if (idx < BigInt(HOST_HCALLS.length)) id = Number(idx);
    invalid = idx < hcall_min || idx > hcall_max;
  }
  const hfn = id >= 0 ? handlers()[id] : undefined;
  invalid ||= !hfn;
  trace_hyp_enter(hyp, cpu, HYP_REASON.HVC);
  if (hyp.tracing.active) trace_host_hcall(hyp, cpu, typeof idx === 'number' ? BigInt(idx) : idx, invalid);
  if (invalid) {
    frame[0] = U64(SMCCC_RET_NOT_SUPPORTED);
  } else {
    frame[0] = BigInt(SMCCC_RET_SUCCESS);
    hfn!(hyp, frame, cpu);
  }
  trace_hyp_exit(hyp, cpu, HYP_REASON.ERET_HOST);
}

/** The range handle_host_hcall() allows for a (Number) function index: outside it, NOT_SUPPORTED. */
function hcall_out_of_range(hyp: Pkvm, idx: number): boolean {
  return hyp.protected_mode_initialized ? idx < __KVM_HOST_SMCCC_FUNC_MIN_PKVM : idx > __KVM_HOST_SMCCC_FUNC_MAX_NO_PKVM;
}

/** What handle_host_hcall_n() returns: x0 (the SMCCC status) and x1, as signed Numbers. */
export interface HostHcallOutN { x0: number; x1: number }

/**
 * handle_host_hcall() for a host whose x0 is KVM_HOST_SMCCC_ID(idx), 0 <= idx < HOST_HCALLS.length,
 * and whose x1..x4 are Numbers (each a u64 below 2^53; x5 is 0): the same range check, the same
 * hyp tracing events and the same handler, with no BigInt and no frame array on the way. A
 * handler with a Number form (hyp-main.ts host_hcall_handlers_n: the run loop's calls) runs on the
 * Numbers; any other is given the frame as BigInts, as the SMCCC entry gives it. `out` receives x0
 * and x1 (unchanged: a1, when the handler sets no value or the call is refused).
 */
export function handle_host_hcall_n(hyp: Pkvm, out: HostHcallOutN, idx: number, a1: number, a2: number, a3: number, a4: number, cpu = 0): void {
  const hfn = handlers()[idx];
  const invalid = hcall_out_of_range(hyp, idx) || !hfn;
  trace_hyp_enter(hyp, cpu, HYP_REASON.HVC);
  if (hyp.tracing.active) trace_host_hcall(hyp, cpu, BigInt(idx), invalid);
  if (invalid) {
    out.x0 = SMCCC_RET_NOT_SUPPORTED;
    out.x1 = a1;
  } else {
    const nfn = (host_hcall_n ??= HOST_HCALLS.map((n) => host_hcall_handlers_n[n]))[idx];
    if (nfn) {
      out.x0 = SMCCC_RET_SUCCESS;
      const r = nfn(hyp, a1, a2, a3, a4, cpu);
      out.x1 = r === undefined ? a1 : r;
    } else {
      const frame = [BigInt(SMCCC_RET_SUCCESS), BigInt(a1), BigInt(a2), BigInt(a3), BigInt(a4), 0n];
      hfn!(hyp, frame, cpu);
      out.x0 = asSigned(frame[0]!);
      out.x1 = asSigned(frame[1]!);
    }
  }
  trace_hyp_exit(hyp, cpu, HYP_REASON.ERET_HOST);
}
