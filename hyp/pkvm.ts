/**
 * EL2 VM and vCPU tables (arch/arm64/kvm/hyp/nvhe/pkvm.c): handles, creation
 * from host-donated memory, vCPU load/put per physical CPU, and the two-phase
 * teardown that hands every page back to the host.
 */
import { kvm_flush_dcache_to_poc } from './cache';
import type { Pkvm } from './index';
import { PSCI_0_2_AFFINITY_LEVEL_OFF, PSCI_0_2_AFFINITY_LEVEL_ON, PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import { pkvm_init_guest_mem } from './mmio-guard';
import { EBUSY, EINVAL, ENOENT, ENOMEM, WARN_ON } from './page-state';
import { PAGE_ALIGN, PAGE_SHIFT, PAGE_SIZE, hyp_phys_to_pfn } from './pgtable-defs';
import { kvm_pgtable_stage2_pgd_size } from './vtcr';
import {
  HOST_KVM_SIZE, KVM_ARCH_FLAG_ID_REGS_INITIALIZED, KVM_ARM_ID_REG_NUM, HOST_VCPU_RESET_PC, HOST_VCPU_RESET_POWER_OFF, HOST_VCPU_RESET_X, HOST_VCPU_SIZE, HostKvmView, HostVcpuView,
  PKVM_HYP_VCPU_SIZE, pkvm_get_hyp_vm_size,
} from './host-abi';
import { pkvm_hyp_vm_record_alloc, pkvm_hyp_vm_record_free, pkvm_hyp_vm_record_vcpu } from './alloc/vm-record';
import { __pkvm_host_donate_hyp, __pkvm_hyp_donate_host, hyp_pin_shared_mem, hyp_unpin_shared_mem } from './mem-protect';
import { __pkvm_host_reclaim_page_guest } from './mem-protect-guest';
import { kvm_guest_destroy_stage2, kvm_guest_prepare_stage2, reclaim_pgtable_pages } from './guest-stage2';
import type { KvmHypMemcache } from './memcache';
import { pop_hyp_memcache, push_hyp_memcache } from './memcache';
import { kvm_init_pvm_id_regs, pkvm_check_pvm_cpu_features } from './pvm-features';
import { pvm_init_traps_hcr, pvm_init_traps_mdcr } from './pvm-traps';

/** Handles start at HANDLE_OFFSET, for sanity checking and debugging. */
export const HANDLE_OFFSET = 0x1000;
/** Marks a reserved but not yet used entry in the VM table. */
export const RESERVED_ENTRY = 'RESERVED_ENTRY' as const;
export type VmTableEntry = PkvmHypVm | typeof RESERVED_ENTRY | null;

export function get_vm_by_handle(hyp: Pkvm, handle: number): PkvmHypVm | null {
  const idx = handle - HANDLE_OFFSET;
  if (idx < 0 || idx >= hyp.KVM_MAX_PVMS) return null;
  const e = hyp.vm_table[idx]!;
  return e === RESERVED_ENTRY ? null : e;
}

const vm_page = (hyp: Pkvm, vm: PkvmHypVm): number => hyp.vmemmap.idx(vm.pa);

export function pkvm_load_hyp_vcpu(hyp: Pkvm, handle: number, vcpu_idx: number, cpu: number): PkvmHypVcpu | null {
  /* Cannot load a new vcpu without putting the old one first. */
  if (hyp.loaded_hyp_vcpu[cpu]) return null;
  const vm = get_vm_by_handle(hyp, handle);
  if (!vm || vm.is_dying) return null;
  if (vm.created_vcpus <= vcpu_idx) return null;
  const vcpu = vm.vcpus[vcpu_idx];
  /* Ensure vcpu isn't loaded on more than one cpu simultaneously. */
  if (!vcpu || vcpu.loaded_cpu !== null) return null;
  vcpu.loaded_cpu = cpu;
  hyp.vmemmap.hyp_page_ref_inc(vm_page(hyp, vm));
  hyp.loaded_hyp_vcpu[cpu] = vcpu;
  return vcpu;
}

export function pkvm_put_hyp_vcpu(hyp: Pkvm, vcpu: PkvmHypVcpu): void {
  hyp.loaded_hyp_vcpu[vcpu.loaded_cpu!] = null;
  vcpu.loaded_cpu = null;
  hyp.vmemmap.hyp_page_ref_dec(vm_page(hyp, vcpu.vm));
}

/**
 * get_pkvm_hyp_vm(): the VM with a reference held, or null. A dying VM is returned too: after
 * __pkvm_start_teardown_vm() the host still unshares a non-protected VM's pages through it
 * (pkvm_pgtable_stage2_destroy_range()), before __pkvm_finalize_teardown_vm().
 */
export function get_pkvm_hyp_vm(hyp: Pkvm, handle: number): PkvmHypVm | null {
  const vm = get_vm_by_handle(hyp, handle);
  if (vm) hyp.vmemmap.hyp_page_ref_inc(vm_page(hyp, vm));
  return vm;
}

export function put_pkvm_hyp_vm(hyp: Pkvm, vm: PkvmHypVm): void {
  hyp.vmemmap.hyp_page_ref_dec(vm_page(hyp, vm));
}

export function get_np_pkvm_hyp_vm(hyp: Pkvm, handle: number): PkvmHypVm | null {
  const vm = get_pkvm_hyp_vm(hyp, handle);
  if (vm && vm.is_protected) {
    put_pkvm_hyp_vm(hyp, vm);
    return null;
  }
  return vm;
}

/** __pkvm_reserve_vm(): a handle for a new VM, or -ENOMEM when the table is full. */
export function __pkvm_reserve_vm(hyp: Pkvm): number {
  const idx = hyp.vm_table.indexOf(null);
  if (idx < 0) return -ENOMEM;
  hyp.vm_table[idx] = RESERVED_ENTRY;
  return idx + HANDLE_OFFSET;
}

/** __pkvm_unreserve_vm(): drop a reservation that was never used. */
export function __pkvm_unreserve_vm(hyp: Pkvm, handle: number): void {
  const idx = handle - HANDLE_OFFSET;
  if (idx >= 0 && idx < hyp.KVM_MAX_PVMS && hyp.vm_table[idx] === RESERVED_ENTRY) hyp.vm_table[idx] = null;
}

function map_donated_memory_noclear(hyp: Pkvm, va: bigint, size: bigint): bigint | null {
  if (va & (PAGE_SIZE - 1n)) return null;
  if (__pkvm_host_donate_hyp(hyp, hyp_phys_to_pfn(va), PAGE_ALIGN(size) >> PAGE_SHIFT)) return null;
  return va;
}

function map_donated_memory(hyp: Pkvm, va: bigint, size: bigint): bigint | null {
  const p = map_donated_memory_noclear(hyp, va, size);
  if (p !== null) for (let a = p; a < p + size; a += PAGE_SIZE) hyp.el2mem.zeroPage(a);
  return p;
}

/** __unmap_donated_memory(): clean the range to the PoC, then give it back to the host. */
function unmap_donated_memory_noclear(hyp: Pkvm, va: bigint | null, size: bigint): void {
  if (va === null) return;
  kvm_flush_dcache_to_poc(hyp, va, size);
  WARN_ON(__pkvm_hyp_donate_host(hyp, hyp_phys_to_pfn(va), PAGE_ALIGN(size) >> PAGE_SHIFT), 'unmap_donated_memory');
}

function unmap_donated_memory(hyp: Pkvm, va: bigint | null, size: bigint): void {
  if (va === null) return;
  for (let a = va; a < va + size; a += PAGE_SIZE) hyp.el2mem.zeroPage(a);
  unmap_donated_memory_noclear(hyp, va, size);
}

/**
 * __pkvm_init_vm(): build the EL2 copy of a VM from host-donated pages
 * (vm_hva: the VM struct, pgd_hva: the stage-2 PGD, aligned to its size).
 */
export function __pkvm_init_vm(hyp: Pkvm, host_kvm: bigint, vm_hva: bigint, pgd_hva: bigint): number {
  let ret = hyp_pin_shared_mem(hyp, host_kvm, host_kvm + HOST_KVM_SIZE);
  if (ret) return ret;
  const view = new HostKvmView(hyp.el2mem, host_kvm);
  const nr_vcpus = view.created_vcpus;
  const handle = view.handle;
  let vm_va: bigint | null = null;
  let pgd: bigint | null = null;
  const vm_size = pkvm_get_hyp_vm_size(nr_vcpus);
  const pgd_size = kvm_pgtable_stage2_pgd_size(hyp.host_mmu.mmu.vtcr);
  /* No vCPU-count cap of EL2's own: the donation below must cover pkvm_get_hyp_vm_size(nr_vcpus). */
  if (nr_vcpus < 1 || handle < HANDLE_OFFSET) {
    ret = -EINVAL;
  } else {
    ret = -ENOMEM;
    vm_va = map_donated_memory(hyp, vm_hva, vm_size);
    if (vm_va !== null) pgd = map_donated_memory_noclear(hyp, pgd_hva, pgd_size);
    if (pgd !== null) {
      /* VMID 0 is reserved for the host */
      const mmu = { vmid: handle - HANDLE_OFFSET + 1, vtcr: hyp.host_mmu.mmu.vtcr, tlb: hyp.tlb };
      const vm = new PkvmHypVm(handle, vm_va!, vm_size, host_kvm, nr_vcpus, view.is_protected, mmu);
      vm.mmio_guard.enrolled = view.is_protected && hyp.mmio_guard_auto_enroll;
      pkvm_init_guest_mem(vm, view.guest_mem_base, view.guest_mem_size);
      ret = pkvm_hyp_vm_record_alloc(hyp, vm); /* per-VM bookkeeping on the hyp heap (opt-in) */
      if (!ret) ret = kvm_guest_prepare_stage2(hyp, vm, pgd);
      if (!ret) {
        /* Must be last since this publishes the VM. */
        ret = insert_vm_table_entry(hyp, handle, vm);
        if (!ret) return 0;
        /* The stage-2 holds references on the PGD pages: destroy it before they go back. */
        kvm_guest_destroy_stage2(hyp, vm);
      }
      pkvm_hyp_vm_record_free(hyp, vm);
    }
    unmap_donated_memory(hyp, vm_va, vm_size);
    unmap_donated_memory(hyp, pgd, pgd_size);
  }
  hyp_unpin_shared_mem(hyp, host_kvm, host_kvm + HOST_KVM_SIZE);
  return ret;
}

function insert_vm_table_entry(hyp: Pkvm, handle: number, vm: PkvmHypVm): number {
  const idx = handle - HANDLE_OFFSET;
  if (idx >= hyp.KVM_MAX_PVMS || hyp.vm_table[idx] !== RESERVED_ENTRY) return -EINVAL;
  hyp.vm_table[idx] = vm;
  return 0;
}

function unpin_host_vcpu(hyp: Pkvm, host_vcpu: bigint): void {
  hyp_unpin_shared_mem(hyp, host_vcpu, host_vcpu + HOST_VCPU_SIZE);
}

/**
 * init_pkvm_hyp_vcpu(): pin the host vCPU, copy what EL2 keeps of it, set up the traps and check
 * the CPU features a protected VM may have. The host vCPU is unpinned on every error.
 */
function init_pkvm_hyp_vcpu(hyp: Pkvm, vm: PkvmHypVm, va: bigint, host_vcpu: bigint): { ret: number; vcpu?: PkvmHypVcpu } {
  if (hyp_pin_shared_mem(hyp, host_vcpu, host_vcpu + HOST_VCPU_SIZE)) return { ret: -EBUSY };
  const hv = new HostVcpuView(hyp.el2mem, host_vcpu);
  const vcpu = new PkvmHypVcpu(vm, va, host_vcpu, hv.vcpu_id, hv.vcpu_idx);
  let ret = pkvm_vcpu_init_sysregs(hyp, vcpu);
  if (!ret) ret = pkvm_vcpu_init_traps(vcpu);
  if (ret) {
    unpin_host_vcpu(hyp, host_vcpu);
    return { ret };
  }
  pkvm_vcpu_reset_state(vcpu, hv);
  return { ret: 0, vcpu };
}

/**
 * vm_copy_id_regs(): a non-protected VM's ID registers come from the host's struct kvm, once: -EINVAL
 * unless the host's KVM has initialised them (KVM_ARCH_FLAG_ID_REGS_INITIALIZED); the first vCPU
 * copies them and sets the flag in the hyp's VM, later vCPUs find it set and copy nothing.
 */
function vm_copy_id_regs(hyp: Pkvm, vm: PkvmHypVm): number {
  const flag = 1n << KVM_ARCH_FLAG_ID_REGS_INITIALIZED;
  const host_kvm = new HostKvmView(hyp.el2mem, vm.host_kvm);
  if (!(host_kvm.arch_flags & flag)) return -EINVAL;
  if (vm.kvm_arch_flags & flag) return 0;
  vm.kvm_arch_flags |= flag;
  for (let i = 0; i < KVM_ARM_ID_REG_NUM; i++) vm.kvm_id_regs[i] = host_kvm.id_reg(i);
  return 0;
}

/**
 * pkvm_vcpu_init_sysregs(): a protected vCPU gets the restricted ID registers (kvm_init_pvm_id_regs),
 * a non-protected one its VM's copy of the host's (vm_copy_id_regs).
 */
function pkvm_vcpu_init_sysregs(hyp: Pkvm, vcpu: PkvmHypVcpu): number {
  if (vcpu.vm.is_protected) {
    vcpu.id_regs = kvm_init_pvm_id_regs(hyp.idRegs);
    return 0;
  }
  return vm_copy_id_regs(hyp, vcpu.vm);
}

/**
 * pkvm_vcpu_init_traps(): a protected vCPU's features are checked against its restricted ID
 * registers (-EINVAL), and its HCR_EL2/MDCR_EL2 traps follow from them (pvm_init_traps_hcr/mdcr,
 * pvm-traps.ts); the trapped accesses are answered by pvm-sys-regs.ts.
 */
function pkvm_vcpu_init_traps(vcpu: PkvmHypVcpu): number {
  if (!vcpu.vm.is_protected) return 0;
  const id = vcpu.id_regs!;
  const ret = pkvm_check_pvm_cpu_features(id);
  if (ret) return ret;
  vcpu.hcr_el2 = pvm_init_traps_hcr(vcpu.hcr_el2, id);
  vcpu.mdcr_el2 = pvm_init_traps_mdcr(vcpu.mdcr_el2, id);
  return 0;
}

/** __pkvm_init_vcpu(): build the EL2 copy of a vCPU in a host-donated page. */
export function __pkvm_init_vcpu(hyp: Pkvm, handle: number, host_vcpu: bigint, vcpu_hva: bigint): number {
  const va = map_donated_memory(hyp, vcpu_hva, PKVM_HYP_VCPU_SIZE);
  if (va === null) return -ENOMEM;
  let ret = 0;
  const vm = get_vm_by_handle(hyp, handle);
  if (!vm) {
    ret = -ENOENT;
  } else {
    const r = init_pkvm_hyp_vcpu(hyp, vm, va, host_vcpu);
    ret = r.ret;
    if (!ret) {
      const vcpu = r.vcpu!;
      if (vcpu.vcpu_idx >= vm.created_vcpus || vm.vcpus[vcpu.vcpu_idx]) {
        ret = -EINVAL;
        /* The host vCPU does not stay pinned when its index is rejected. */
        unpin_host_vcpu(hyp, host_vcpu);
      } else {
        vm.vcpus[vcpu.vcpu_idx] = vcpu;
        pkvm_hyp_vm_record_vcpu(hyp, vm, vcpu.vcpu_idx, vcpu.pa);
      }
    }
  }
  if (ret) unmap_donated_memory(hyp, va, PKVM_HYP_VCPU_SIZE);
  return ret;
}

/**
 * The vCPU's reset state, copied once from the host's struct kvm_vcpu into the hyp's copy: EL1h with
 * DAIF masked, MMU off, PC and x0..x3 as the VMM set them. From here on the hyp's copy is the only one
 * (a protected guest's registers are never read from the host again).
 */
function pkvm_vcpu_reset_state(vcpu: PkvmHypVcpu, hv: HostVcpuView): void {
  vcpu.ctxt.pc = hv.u64(HOST_VCPU_RESET_PC);
  for (let i = 0; i < 4; i++) vcpu.ctxt.regs[i] = hv.u64(HOST_VCPU_RESET_X + 8n * BigInt(i));
  vcpu.ctxt.pstate = 0x3c5n; /* EL1h, DAIF masked */
  vcpu.ctxt.sys_regs.SCTLR_EL1 = 0x30d00800n; /* RES1 bits, MMU and caches off */
  vcpu.ctxt.sys_regs.MPIDR_EL1 = 0x80000000n | BigInt(vcpu.vcpu_idx);
  /* KVM_ARM_VCPU_POWER_OFF: the vCPU waits for PSCI CPU_ON (guest-psci.ts). */
  vcpu.power_state = hv.u64(HOST_VCPU_RESET_POWER_OFF) ? PSCI_0_2_AFFINITY_LEVEL_OFF : PSCI_0_2_AFFINITY_LEVEL_ON;
}

export function __pkvm_reclaim_dying_guest_page(hyp: Pkvm, handle: number, gfn: bigint): number {
  const vm = get_vm_by_handle(hyp, handle);
  if (vm && vm.is_dying) return __pkvm_host_reclaim_page_guest(hyp, gfn, vm);
  return -EINVAL;
}

/**
 * get_pkvm_unref_hyp_vm_locked(): the VM if nothing references it (no vCPU loaded, no hypercall
 * holding it) and its dying state is `is_dying`, else null. Both teardown calls answer -EINVAL for
 * null: a host asking at the wrong time gets an error, never a WARN.
 */
function get_pkvm_unref_hyp_vm_locked(hyp: Pkvm, handle: number, is_dying: boolean): PkvmHypVm | null {
  const vm = get_vm_by_handle(hyp, handle);
  if (!vm || hyp.vmemmap.hyp_page_count(vm.pa)) return null;
  return vm.is_dying === is_dying ? vm : null;
}

export function __pkvm_start_teardown_vm(hyp: Pkvm, handle: number): number {
  const vm = get_pkvm_unref_hyp_vm_locked(hyp, handle, false);
  if (!vm) return -EINVAL;
  vm.is_dying = true;
  return 0;
}

function teardown_donated_memory(hyp: Pkvm, mc: KvmHypMemcache, addr: bigint, size: bigint): void {
  size = PAGE_ALIGN(size);
  for (let a = addr; a < addr + size; a += PAGE_SIZE) hyp.el2mem.zeroPage(a);
  for (let a = addr; a < addr + size; a += PAGE_SIZE) push_hyp_memcache(hyp.mem, mc, a);
  unmap_donated_memory_noclear(hyp, addr, size);
}

export function __pkvm_finalize_teardown_vm(hyp: Pkvm, handle: number): number {
  const vm = get_pkvm_unref_hyp_vm_locked(hyp, handle, true);
  if (!vm) return -EINVAL;
  /* Ensure the VMID is clean before it can be reallocated */
  hyp.tlb.flush_vmid(vm.mmu.vmid);
  hyp.vm_table[handle - HANDLE_OFFSET] = null;

  const host_kvm = new HostKvmView(hyp.el2mem, vm.host_kvm);
  const mc = host_kvm.teardown_mc;
  const stage2_mc = host_kvm.stage2_teardown_mc;
  reclaim_pgtable_pages(hyp, vm, stage2_mc);
  for (const vcpu of vm.vcpus) if (vcpu) unpin_host_vcpu(hyp, vcpu.host_vcpu);
  for (const vcpu of vm.vcpus) {
    if (!vcpu) continue;
    for (let addr = pop_hyp_memcache(hyp.mem, vcpu.pkvm_memcache); addr !== null;
      addr = pop_hyp_memcache(hyp.mem, vcpu.pkvm_memcache)) {
      push_hyp_memcache(hyp.mem, stage2_mc, addr);
      unmap_donated_memory_noclear(hyp, addr, PAGE_SIZE);
    }
    vcpu.ctxt.fp_regs.clear(); /* the hyp vCPU's memory is scrubbed with its pages: so is its FP/SIMD state */
    teardown_donated_memory(hyp, mc, vcpu.pa, PKVM_HYP_VCPU_SIZE);
  }
  teardown_donated_memory(hyp, mc, vm.pa, vm.vm_size);
  pkvm_hyp_vm_record_free(hyp, vm);
  hyp_unpin_shared_mem(hyp, vm.host_kvm, vm.host_kvm + HOST_KVM_SIZE);
  return 0;
}
