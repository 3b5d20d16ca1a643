/**
 * Host hypercall handlers (handle___* in arch/arm64/kvm/hyp/nvhe/hyp-main.c).
 * Arguments come from x1..x4 with the C types' widths (pkvm_handle_t is u16,
 * unsigned int is u32); the return value goes to x1 as a u64.
 */
import type { Pkvm } from './index';
import type { HostHcallName } from './hypercalls';
import type { PkvmHypVcpu } from './hyp-vm';
import { EINVAL } from './page-state';
import { refill_memcache } from './memcache';
import { HOST_REQ_STATE_DIRTY, HOST_VCPU_PKVM_MEMCACHE, HOST_VCPU_REQ, HostVcpuView, VA_LIMIT } from './host-abi';
import { __pkvm_vcpu_sync_state } from './vcpu-sync';
import { __pkvm_host_donate_hyp, __pkvm_host_share_hyp, __pkvm_host_unshare_hyp } from './mem-protect';
import {
  __pkvm_host_donate_guest, __pkvm_host_donate_guest_n, __pkvm_host_force_reclaim_page_guest, __pkvm_host_share_guest,
  __pkvm_host_unshare_guest, __pkvm_vcpu_in_poison_fault,
} from './mem-protect-guest';
import {
  __pkvm_host_mkyoung_guest, __pkvm_host_relax_perms_guest, __pkvm_host_test_clear_young_guest,
  __pkvm_host_wrprotect_guest,
} from './mem-protect-np';
import {
  __pkvm_finalize_teardown_vm, __pkvm_init_vcpu, __pkvm_init_vm, __pkvm_reclaim_dying_guest_page,
  __pkvm_reserve_vm, __pkvm_start_teardown_vm, __pkvm_unreserve_vm, get_np_pkvm_hyp_vm, pkvm_load_hyp_vcpu,
  pkvm_put_hyp_vcpu, put_pkvm_hyp_vm,
} from './pkvm';
import { iommu_hcall_handlers } from './iommu/hyp-main';
import { alloc_hcall_handlers } from './alloc/hyp-main';
import { HYP_REASON, trace_hyp_enter, trace_hyp_exit } from './tracing/events';
import { trace_hcall_handlers } from './trace-hcalls';
import { pvm_load_hpmn } from './pvm-traps';
import { HypPanic } from './page-state';
import { vgic_v3_copy_vmcr_aprs_from_host, vgic_v3_copy_vmcr_aprs_to_host } from './vgic-v3';

export type HostHcallHandler = (hyp: Pkvm, ctxt: bigint[], cpu: number) => void;
/**
 * A handler's Number form (hypercalls.ts handle_host_hcall_n()): x1..x4 as Numbers (each a u64
 * below 2^53), the value for x1 returned (undefined: x1 is left as it is).
 */
export type HostHcallHandlerN = (hyp: Pkvm, a1: number, a2: number, a3: number, a4: number, cpu: number) => number | undefined;

const u16 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffffn);
const u32 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffffffffn);
const u64 = (v: bigint | undefined): bigint => v ?? 0n;
const setRet = (ctxt: bigint[], ret: number): void => {
  ctxt[1] = ret === 0 ? 0n : BigInt.asUintN(64, BigInt(ret));
};

/** host vCPU memcache's nr_pages: its offset in struct kvm_vcpu. */
const HOST_MC_NR_PAGES = Number(HOST_VCPU_PKVM_MEMCACHE) + 8;

/** pkvm_refill_memcache(): top EL2's memcache up to the host vCPU memcache's page count, taking pages from it. */
export function pkvm_refill_memcache(hyp: Pkvm, vcpu: PkvmHypVcpu): number {
  /*
   * refill_memcache()'s first test, EL2's memcache already holds as many pages as the host's (a
   * fault's usual case), on the one load of the host's count it makes, without the views.
   */
  if (vcpu.host_vcpu < VA_LIMIT && vcpu.pkvm_memcache.nr_pages >= hyp.el2mem.readU64N(Number(vcpu.host_vcpu) + HOST_MC_NR_PAGES)) return 0;
  const host_mc = new HostVcpuView(hyp.el2mem, vcpu.host_vcpu).pkvm_memcache;
  return refill_memcache(hyp.mem, vcpu.pkvm_memcache, host_mc.nr_pages, host_mc,
    (pfn, nr) => __pkvm_host_donate_hyp(hyp, pfn, nr, false)); /* EL2 mapping deferred, as the fast path's */
}

/** The loaded vCPU if it matches the protection the call needs, else -EINVAL. */
function loaded(hyp: Pkvm, cpu: number, is_protected: boolean): PkvmHypVcpu | null {
  const v = hyp.loaded_hyp_vcpu[cpu];
  return v && v.vm.is_protected === is_protected ? v : null;
}

export const host_hcall_handlers: Partial<Record<HostHcallName, HostHcallHandler>> = {
  __pkvm_prot_finalize: (hyp, c, cpu) => setRet(c, hyp.__pkvm_prot_finalize(cpu)),

  /* Operate on host structures (kvm_s2_mmu, kvm_vcpu, vgic) or the CPU: no model state. */
  __kvm_adjust_pc: () => {},
  __kvm_flush_vm_context: (hyp) => hyp.tlb.flush_vm_context(),
  __kvm_tlb_flush_vmid_ipa: () => {},
  __kvm_tlb_flush_vmid_ipa_nsh: () => {},
  __kvm_tlb_flush_vmid: () => {},
  __kvm_tlb_flush_vmid_range: () => {},
  __kvm_flush_cpu_context: () => {},
  __kvm_timer_set_cntvoff: (hyp, c, cpu) => { hyp.cntvoff_el2[cpu] = u64(c[1]); },
  /*
   * x1 = the host's struct vgic_v3_cpu_if. With pKVM they act on the loaded hyp vCPU's copy (which
   * the world switch saves and restores around each run): a non-protected vCPU's VMCR and APRs cross
   * to (save) or from (restore) the loaded vCPU's host struct; a protected vCPU's never leave EL2.
   */
  __vgic_v3_save_aprs: (hyp, _c, cpu) => {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    if (vcpu && !vcpu.vm.is_protected) vgic_v3_copy_vmcr_aprs_to_host(hyp.mem, vcpu.host_vcpu, vcpu.vgic_v3);
  },
  __vgic_v3_restore_vmcr_aprs: (hyp, _c, cpu) => {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    if (vcpu && !vcpu.vm.is_protected) vgic_v3_copy_vmcr_aprs_from_host(hyp.mem, vcpu.host_vcpu, vcpu.vgic_v3);
  },
  /*
   * __vgic_v5_save_apr / __vgic_v5_restore_vmcr_apr access the GICv5 CPU interface's system
   * registers; on this GICv3 CPU (ID_AA64PFR2_EL1.GCIE = 0) they are UNDEFINED at EL2, and an
   * exception taken from EL2 to EL2 ends in hyp_panic() (a host that calls them on a GICv3 board is
   * broken, as upstream's host never does).
   */
  __vgic_v5_save_apr: () => { throw new HypPanic('__vgic_v5_save_apr: GICv5 system register UNDEFINED at EL2 (no FEAT_GCIE)'); },
  __vgic_v5_restore_vmcr_apr: () => { throw new HypPanic('__vgic_v5_restore_vmcr_apr: GICv5 system register UNDEFINED at EL2 (no FEAT_GCIE)'); },
  /* Hypervisor tracing (trace-hcalls.ts). */
  ...trace_hcall_handlers,

  /* x1 = the host's struct kvm_vcpu: it must be the one behind the vCPU loaded on this CPU. */
  __kvm_vcpu_run: (hyp, c, cpu) => {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    const ok = vcpu && vcpu.host_vcpu === u64(c[1]) && hyp.vcpu_run;
    if (!ok) return setRet(c, -EINVAL);
    trace_hyp_exit(hyp, cpu, HYP_REASON.ERET_GUEST);
    const ret = hyp.vcpu_run!(vcpu);
    trace_hyp_enter(hyp, cpu, HYP_REASON.GUEST_EXIT);
    setRet(c, ret);
  },

  __pkvm_host_share_hyp: (hyp, c) => setRet(c, __pkvm_host_share_hyp(hyp, u64(c[1]))),
  __pkvm_host_unshare_hyp: (hyp, c) => setRet(c, __pkvm_host_unshare_hyp(hyp, u64(c[1]))),

  __pkvm_host_donate_guest: (hyp, c, cpu) => {
    const vcpu = loaded(hyp, cpu, true);
    let ret = -EINVAL;
    if (vcpu) ret = pkvm_refill_memcache(hyp, vcpu) || __pkvm_host_donate_guest(hyp, u64(c[1]), u64(c[2]), vcpu);
    setRet(c, ret);
  },
  __pkvm_host_share_guest: (hyp, c, cpu) => {
    const vcpu = loaded(hyp, cpu, false);
    let ret = -EINVAL;
    if (vcpu) ret = pkvm_refill_memcache(hyp, vcpu) || __pkvm_host_share_guest(hyp, u64(c[1]), u64(c[2]), u64(c[3]), vcpu, u64(c[4]));
    setRet(c, ret);
  },
  __pkvm_host_unshare_guest: (hyp, c) => {
    const vm = get_np_pkvm_hyp_vm(hyp, u16(c[1]));
    let ret = -EINVAL;
    if (vm) {
      ret = __pkvm_host_unshare_guest(hyp, u64(c[2]), u64(c[3]), vm);
      put_pkvm_hyp_vm(hyp, vm);
    }
    setRet(c, ret);
  },
  __pkvm_host_relax_perms_guest: (hyp, c, cpu) => {
    const vcpu = loaded(hyp, cpu, false);
    setRet(c, vcpu ? __pkvm_host_relax_perms_guest(hyp, u64(c[1]), vcpu, u64(c[2])) : -EINVAL);
  },
  __pkvm_host_wrprotect_guest: (hyp, c) => {
    const vm = get_np_pkvm_hyp_vm(hyp, u16(c[1]));
    let ret = -EINVAL;
    if (vm) {
      ret = __pkvm_host_wrprotect_guest(hyp, u64(c[2]), u64(c[3]), vm);
      put_pkvm_hyp_vm(hyp, vm);
    }
    setRet(c, ret);
  },
  __pkvm_host_test_clear_young_guest: (hyp, c) => {
    const vm = get_np_pkvm_hyp_vm(hyp, u16(c[1]));
    let ret = -EINVAL;
    if (vm) {
      ret = __pkvm_host_test_clear_young_guest(hyp, u64(c[2]), u64(c[3]), u64(c[4]) !== 0n, vm);
      put_pkvm_hyp_vm(hyp, vm);
    }
    setRet(c, ret);
  },
  __pkvm_host_mkyoung_guest: (hyp, c, cpu) => {
    const vcpu = loaded(hyp, cpu, false);
    setRet(c, vcpu ? __pkvm_host_mkyoung_guest(hyp, u64(c[1]), vcpu) : -EINVAL);
  },

  __pkvm_reserve_vm: (hyp, c) => setRet(c, __pkvm_reserve_vm(hyp)),
  __pkvm_unreserve_vm: (hyp, c) => __pkvm_unreserve_vm(hyp, u16(c[1])),
  __pkvm_init_vm: (hyp, c) => setRet(c, __pkvm_init_vm(hyp, u64(c[1]), u64(c[2]), u64(c[3]))),
  __pkvm_init_vcpu: (hyp, c) => setRet(c, __pkvm_init_vcpu(hyp, u16(c[1]), u64(c[2]), u64(c[3]))),
  __pkvm_vcpu_in_poison_fault: (hyp, c, cpu) => {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    setRet(c, vcpu ? __pkvm_vcpu_in_poison_fault(vcpu) : -EINVAL);
  },
  __pkvm_force_reclaim_guest_page: (hyp, c) => setRet(c, __pkvm_host_force_reclaim_page_guest(hyp, u64(c[1]))),
  __pkvm_reclaim_dying_guest_page: (hyp, c) => setRet(c, __pkvm_reclaim_dying_guest_page(hyp, u16(c[1]), u64(c[2]))),
  __pkvm_start_teardown_vm: (hyp, c) => setRet(c, __pkvm_start_teardown_vm(hyp, u16(c[1]))),
  __pkvm_finalize_teardown_vm: (hyp, c) => setRet(c, __pkvm_finalize_teardown_vm(hyp, u16(c[1]))),
  /* load/put report nothing: the host learns of a failed load at __kvm_vcpu_run. */
  __pkvm_vcpu_load: (hyp, c, cpu) => {
    const vcpu = pkvm_load_hyp_vcpu(hyp, u16(c[1]), u32(c[2]), cpu);
    if (vcpu && vcpu.vm.is_protected) {
      const HCR_TWE = 1n << 14n;
      const HCR_TWI = 1n << 13n;
      /* Propagate the WFx trapping flags; HPMN = PMCR_EL0.N with PMUv3 (pvm-traps.ts). */
      vcpu.hcr_el2 = (vcpu.hcr_el2 & ~(HCR_TWE | HCR_TWI)) | (u64(c[3]) & (HCR_TWE | HCR_TWI));
      vcpu.mdcr_el2 = pvm_load_hpmn(vcpu.mdcr_el2, hyp.idRegs.ID_AA64DFR0_EL1 ?? 0n, hyp.pmcrN);
    }
    /*
     * Non-protected: upstream copies the host vCPU's fine-grained trap values (arch.fgt) here. This
     * CPU has no FEAT_FGT (ID_AA64MMFR0_EL1.FGT = 0), so there are no HFGxTR_EL2 to program and
     * nothing to copy.
     */
  },
  /* A non-protected vCPU's state goes back to the host at put, unless the host's copy is the newer. */
  __pkvm_vcpu_put: (hyp, _c, cpu) => {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    if (!vcpu) return;
    if (!vcpu.vm.is_protected && !(new HostVcpuView(hyp.el2mem, vcpu.host_vcpu).u64(HOST_VCPU_REQ) & HOST_REQ_STATE_DIRTY))
      __pkvm_vcpu_sync_state(hyp, vcpu);
    pkvm_put_hyp_vcpu(hyp, vcpu);
  },
  __pkvm_vcpu_sync_state: (hyp, _c, cpu) => {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    if (vcpu) __pkvm_vcpu_sync_state(hyp, vcpu);
  },
  __pkvm_tlb_flush_vmid: (hyp, c) => {
    const vm = get_np_pkvm_hyp_vm(hyp, u16(c[1]));
    if (!vm) return;
    hyp.tlb.flush_vmid(vm.mmu.vmid);
    put_pkvm_hyp_vm(hyp, vm);
  },
  /* The hyp allocators: __pkvm_hyp_alloc_mgt_* (hyp/alloc/hyp-main.ts). */
  ...alloc_hcall_handlers,
  /* pKVM IOMMU: __pkvm_host_iommu_* (hyp/iommu/hyp-main.ts). */
  ...iommu_hcall_handlers,
};

/**
 * The Number forms of the handlers the host's run loop calls on each guest fault (the TypeScript
 * host's HostedEl2.hcallN()): the same checks and calls as host_hcall_handlers' on the same
 * register values (x1..x4 below 2^53 as Numbers), the value for x1 returned.
 */
export const host_hcall_handlers_n: Partial<Record<HostHcallName, HostHcallHandlerN>> = {
  __kvm_vcpu_run: function handle___kvm_vcpu_run_n(hyp, host_vcpu, _a2, _a3, _a4, cpu) {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    /* (Number(host_vcpu) of a struct above 2^53 is above any a1: the same test as on the u64) */
    if (!vcpu || Number(vcpu.host_vcpu) !== host_vcpu || !hyp.vcpu_run) return -EINVAL;
    trace_hyp_exit(hyp, cpu, HYP_REASON.ERET_GUEST);
    const ret = hyp.vcpu_run(vcpu);
    trace_hyp_enter(hyp, cpu, HYP_REASON.GUEST_EXIT);
    return ret;
  },
  __pkvm_host_donate_guest: function handle___pkvm_host_donate_guest_n(hyp, pfn, gfn, _a3, _a4, cpu) {
    const vcpu = loaded(hyp, cpu, true);
    if (!vcpu) return -EINVAL;
    return pkvm_refill_memcache(hyp, vcpu) || __pkvm_host_donate_guest_n(hyp, pfn, gfn, vcpu);
  },
  __pkvm_host_share_guest: function handle___pkvm_host_share_guest_n(hyp, pfn, gfn, nr_pages, prot, cpu) {
    const vcpu = loaded(hyp, cpu, false);
    if (!vcpu) return -EINVAL;
    return pkvm_refill_memcache(hyp, vcpu) || __pkvm_host_share_guest(hyp, BigInt(pfn), BigInt(gfn), BigInt(nr_pages), vcpu, BigInt(prot));
  },
  __pkvm_vcpu_in_poison_fault: function handle___pkvm_vcpu_in_poison_fault_n(hyp, _a1, _a2, _a3, _a4, cpu) {
    const vcpu = hyp.loaded_hyp_vcpu[cpu];
    return vcpu ? __pkvm_vcpu_in_poison_fault(vcpu) : -EINVAL;
  },
};
