/**
 * pKVM at EL2, hosted in TypeScript: page ownership (hyp_vmemmap, host and
 * guest stage-2 tables in guest physical memory), the VM/vCPU tables and the
 * host hypercall interface. Pinned to Linux kvmarm "kvm-arm64/pkvm-protected-guest"
 * (merged into kvmarm/next as 5ad2ff071b59 for v7.1; mem_protect.c as of
 * f4a5a6770af9, kvm_asm.h as of 5991916392d8).
 *
 * `new Pkvm(...)` plays __pkvm_init(): the carve-out becomes the hyp's
 * (host_s2_pool, owned by the hyp and annotated as such in the host stage-2),
 * everything else stays host OWNED and is identity-mapped lazily on host aborts.
 */
import { kvm_flush_dcache_to_poc, newCacheMaintenanceStats } from './cache';
import type { PhysMem } from './phys-mem';
import type { PkvmHypVcpu, PkvmHypVm, KvmVcpuRunHook } from './hyp-vm';
import { HypVmemmap } from './vmemmap';
import { HypPool, hyp_pool_init, hyp_split_page } from './pool';
import { KvmPgtable, KvmS2Mmu, KvmTlbOps, __kvm_pgtable_stage2_init, kvm_pgtable_stage2_free_unlinked } from './pgtable';
import {
  KVM_PGTABLE_LAST_LEVEL, KVM_PGTABLE_S2_AS_S1, KVM_PGTABLE_S2_IDMAP, PAGE_SIZE, get_order, hyp_phys_to_pfn,
} from './pgtable-defs';
import { kvm_get_vtcr } from './vtcr';
import { EPERM, PKVM_ID_HYP, PKVM_PAGE_OWNED, hypWarnConfig } from './page-state';
import {
  MemblockRegion, handle_host_mem_abort, host_stage2_force_pte_cb, host_stage2_idmap, host_stage2_set_owner_locked,
} from './host-stage2';
import { __hyp_set_page_state_range, __pkvm_host_donate_hyp, __pkvm_hyp_donate_host } from './mem-protect';
import { HypAllocator } from './alloc/alloc';
import { HypTraceBuffer } from './tracing/trace';
import { RESERVED_ENTRY, VmTableEntry, get_vm_by_handle } from './pkvm';
import { handle_host_hcall, handle_host_hcall_n, type HostHcallOutN } from './hypercalls';
import { checkInvariants } from './invariants';
import { DEFAULT_HOST_ID_REGS, IdRegs } from './pvm-features';
import { HypMm, HypVaPhysMem } from './hyp-mm';
import { PAGE_HYP } from './hyp-stage1';

/** The host stage-2's VMID (host_mmu.arch.mmu.vmid: 0). */
const HOST_VMID = 0;

export interface PkvmOptions {
  /** Physical CPUs (per-CPU loaded vCPU, prot_finalize). Default 1. */
  nrCpus?: number;
  /** PA size in bits = host stage-2 IPA size (32, 36, 40, 42, 44 or 48). Default 40. */
  physShift?: number;
  /** CONFIG_NVHE_EL2_DEBUG extra checks. Default true. */
  debug?: boolean;
  /** WARN_ON() is fatal (hyp_panic) as at nVHE EL2. Default true. Process-wide. */
  warnIsFatal?: boolean;
  tlb?: Partial<KvmTlbOps>;
  vcpuRun?: KvmVcpuRunHook;
  /** The CPU's sanitised ID registers protected vCPUs are restricted from (default DEFAULT_HOST_ID_REGS). */
  idRegs?: IdRegs;
  /** PMCR_EL0.N as EL2 reads it (the CPU's event counters), for MDCR_EL2.HPMN at vCPU load. Default 0. */
  pmcrN?: number;
  /** Keep per-VM bookkeeping on the hyp heap (alloc/vm-record.ts); the host must refill it. Default false. */
  hypHeapVms?: boolean;
  /** Private VA reserved for the hyp heap (hyp_alloc_init()). Default SZ_128M, as upstream's __pkvm_init() (setup.c). */
  hypHeapVaSize?: bigint;
  /** Storage of hyp_vmemmap (8 zeroed bytes per RAM page); default: a buffer of its own. */
  vmemmapBacking?: Uint8Array;
}

export interface CarveOut { base: bigint; size: bigint }

/** host_s2_pgtable_pages(): pool pages to provision for the host stage-2 (worst case). */
export function host_s2_pgtable_pages(ramSize: bigint): number {
  const max_pages = (nr: number): number => {
    let total = 0;
    for (let i = -1; i <= 3; i++) total += (nr = Math.ceil(nr / 512));
    return total;
  };
  return max_pages(Number(ramSize / PAGE_SIZE)) + 16 + max_pages((1 << 30) / 4096);
}

export class Pkvm {
  readonly hyp_memory: MemblockRegion[];
  readonly vmemmap: HypVmemmap;
  readonly host_s2_pool: HypPool;
  readonly host_mmu: { pgt: KvmPgtable; mmu: KvmS2Mmu };
  /** The hyp's EL2 stage-1 and its checked loads/stores (hyp-mm.ts). */
  readonly mm: HypMm;
  /** Memory as EL2 reaches it through its stage-1 (host structures are read through this). */
  readonly el2mem: HypVaPhysMem;
  /** The hyp heap (alloc/alloc.ts), refilled and reclaimed by the host. */
  readonly heap: HypAllocator;
  readonly hypHeapVms: boolean;
  /** Hypervisor tracing: the ring buffer shared with the host (tracing/trace.ts). */
  readonly tracing: HypTraceBuffer;
  readonly vm_table: VmTableEntry[];
  readonly loaded_hyp_vcpu: (PkvmHypVcpu | null)[];
  readonly cntvoff_el2: bigint[];
  /** kvm_vgic_global_state.nr_lr: ICH_VTR_EL2.ListRegs + 1 of the CPU (HostedEl2 reads it; 4 on this GIC). */
  vgic_nr_lr = 4;
  /**
   * Protected VMs are enrolled in the MMIO guard at creation (Android's ABI, mmio-guard.ts). HostedEl2
   * clears it for upstream's ABI (no guard); a bare Pkvm (unit tests) keeps Android's.
   */
  mmio_guard_auto_enroll = true;
  /** Cache maintenance EL2 performed on memory going back to the host (cache.ts). */
  readonly cmo = newCacheMaintenanceStats();
  /** Called at each kvm_flush_dcache_to_poc() (a trace hook). */
  onCacheMaintenance: ((pa: bigint, size: bigint) => void) | null = null;
  /** Per-CPU HCR_EL2.VM: the host stage-2 is enabled once __pkvm_prot_finalize ran there. */
  readonly hcr_vm: boolean[];
  /**
   * kvm_protected_mode_initialized: the static key the host flips (pkvm_drop_host_privileges())
   * just before its CPUs call __pkvm_prot_finalize; from then on the early hypercalls are refused
   * and the pKVM ones available (handle_host_hcall()).
   */
  protected_mode_initialized = false;
  readonly nr_cpus: number;
  readonly debug: boolean;
  readonly tlb: KvmTlbOps;
  /**
   * Invalidations of the host's stage-2 TLB entries (VMID 0) issued so far but those of one page,
   * plus one for each guest run on the core whose fault fast path edited the host stage-2 in WASM
   * (host-kernel-model/fault-fast-path.ts): a translation a host-side cache took when it was N is
   * good only while it is still N (host-kernel-model/host-memory.ts). Invalidations of a guest's
   * VMID leave the host's translations alone, as the TLBI leaves them on a CPU.
   */
  tlb_gen = 0;
  /**
   * Told of each invalidation of one host page (flush_vmid_ipa of VMID 0 at level 3: that page's
   * entries only), by page number; tlb_gen does not move for it.
   */
  readonly hostTlbPageInvalidated: ((page: number) => void)[] = [];
  readonly idRegs: IdRegs;
  readonly pmcrN: number;
  vcpu_run: KvmVcpuRunHook | null;

  constructor(
    readonly mem: PhysMem,
    readonly carveout: CarveOut,
    readonly KVM_MAX_PVMS: number,
    readonly maxVcpus: number,
    opts: PkvmOptions = {},
  ) {
    const { base, size } = carveout;
    if (size <= 0n || base % PAGE_SIZE || size % PAGE_SIZE || base < mem.ramBase || base + size > mem.ramBase + mem.ramSize)
      throw new RangeError('pkvm: the hyp carve-out must be non-empty, page aligned and inside RAM');
    if (KVM_MAX_PVMS < 1 || KVM_MAX_PVMS > 0xffff - 0x1000 || maxVcpus < 1)
      throw new RangeError('pkvm: bad VM/vCPU limits');
    this.nr_cpus = opts.nrCpus ?? 1;
    this.debug = opts.debug ?? true;
    hypWarnConfig.warnIsFatal = opts.warnIsFatal ?? true;
    const noop = () => {};
    const t = {
      flush_vmid_ipa: opts.tlb?.flush_vmid_ipa ?? noop,
      flush_vmid_range: opts.tlb?.flush_vmid_range ?? noop,
      flush_vmid: opts.tlb?.flush_vmid ?? noop,
      flush_vm_context: opts.tlb?.flush_vm_context ?? noop,
    };
    /* Each stage-2 TLB invalidation also counts in tlb_gen (what a translation cached before it is worth). */
    this.tlb = {
      flush_vmid_ipa: (vmid, ipa, level) => {
        if (vmid === HOST_VMID) {
          if (level === KVM_PGTABLE_LAST_LEVEL) for (const f of this.hostTlbPageInvalidated) f(Number(ipa >> 12n));
          else this.tlb_gen++;
        }
        t.flush_vmid_ipa(vmid, ipa, level);
      },
      flush_vmid_range: (vmid, addr, size) => { if (vmid === HOST_VMID) this.tlb_gen++; t.flush_vmid_range(vmid, addr, size); },
      flush_vmid: (vmid) => { if (vmid === HOST_VMID) this.tlb_gen++; t.flush_vmid(vmid); },
      flush_vm_context: () => { this.tlb_gen++; t.flush_vm_context(); },
    };
    this.vcpu_run = opts.vcpuRun ?? null;
    this.idRegs = opts.idRegs ?? DEFAULT_HOST_ID_REGS;
    this.pmcrN = opts.pmcrN ?? 0;
    this.hyp_memory = [{ base: mem.ramBase, size: mem.ramSize }];
    this.vmemmap = new HypVmemmap(mem.ramBase, mem.ramSize, opts.vmemmapBacking);
    this.vm_table = new Array<VmTableEntry>(KVM_MAX_PVMS).fill(null);
    this.loaded_hyp_vcpu = new Array<PkvmHypVcpu | null>(this.nr_cpus).fill(null);
    this.cntvoff_el2 = new Array<bigint>(this.nr_cpus).fill(0n);
    this.hcr_vm = new Array<boolean>(this.nr_cpus).fill(false);

    /* The carve-out is the hyp's: it backs host_s2_pool. */
    const pool = (this.host_s2_pool = new HypPool(mem, this.vmemmap));
    hyp_pool_init(pool, hyp_phys_to_pfn(base), Number(size / PAGE_SIZE), 0);
    __hyp_set_page_state_range(this, base, size, PKVM_PAGE_OWNED);
    /* recreate_hyp_mappings(): the hyp stage-1, with the carve-out mapped (tables from the carve-out). */
    this.mm = new HypMm(mem, pool, this.vmemmap, this.nr_cpus);
    if (this.mm.pkvm_create_mappings_locked(base, base + size, PAGE_HYP))
      throw new RangeError('pkvm: carve-out too small for the hyp stage-1');
    this.el2mem = new HypVaPhysMem(this.mm);
    this.heap = new HypAllocator(this.mm, this.nr_cpus, {
      host_donate_hyp: (pfn, nr) => __pkvm_host_donate_hyp(this, pfn, nr),
      hyp_donate_host: (pfn, nr) => __pkvm_hyp_donate_host(this, pfn, nr),
      flush_dcache_to_poc: (pa, size) => kvm_flush_dcache_to_poc(this, pa, size),
    });
    if (this.heap.hyp_alloc_init(opts.hypHeapVaSize ?? 128n << 20n)) throw new RangeError('pkvm: bad hyp heap size');
    this.hypHeapVms = opts.hypHeapVms ?? false;
    this.tracing = new HypTraceBuffer(this);

    /* kvm_host_prepare_stage2() */
    const mmu: KvmS2Mmu = { vmid: HOST_VMID, vtcr: kvm_get_vtcr(opts.physShift ?? 40), tlb: this.tlb };
    const vmemmap = this.vmemmap;
    const pgt: KvmPgtable = new KvmPgtable(mem, {
      zalloc_pages_exact(sz) {
        const addr = pool.hyp_alloc_pages(get_order(sz));
        if (addr !== null) hyp_split_page(vmemmap, addr);
        return addr;
      },
      zalloc_page: () => pool.hyp_alloc_pages(0),
      free_unlinked_table: (addr, level) => kvm_pgtable_stage2_free_unlinked(pgt, addr, level),
      get_page: (addr) => pool.hyp_get_page(addr),
      put_page: (addr) => pool.hyp_put_page(addr),
      page_count: (addr) => vmemmap.hyp_page_count(addr),
    }, mmu);
    this.host_mmu = { pgt, mmu };
    if (__kvm_pgtable_stage2_init(pgt, KVM_PGTABLE_S2_IDMAP | KVM_PGTABLE_S2_AS_S1,
      (addr, end, prot) => host_stage2_force_pte_cb(this, addr, end, prot)))
      throw new RangeError('pkvm: carve-out too small for the host stage-2 PGD');
    /* fix_host_ownership(): the host loses the carve-out. */
    if (host_stage2_set_owner_locked(this, base, size, PKVM_ID_HYP))
      throw new RangeError('pkvm: carve-out too small to annotate itself in the host stage-2');
  }

  /** get_vm_by_handle(): a published VM (dying or not), or null. */
  get_vm_by_handle(handle: number): PkvmHypVm | null {
    return get_vm_by_handle(this, handle);
  }

  /** All published VMs. */
  vms(): PkvmHypVm[] {
    return this.vm_table.filter((e): e is PkvmHypVm => e !== null && e !== RESERVED_ENTRY);
  }

  /** __pkvm_prot_finalize(): enable the host stage-2 on this CPU (-EPERM the second time). */
  __pkvm_prot_finalize(cpu: number): number {
    if (this.hcr_vm[cpu]) return -EPERM;
    this.hcr_vm[cpu] = true;
    return 0;
  }

  /** VTTBR_EL2 for the host (VMID 0) and VTCR_EL2, as written by __pkvm_prot_finalize(). */
  host_vttbr(): bigint {
    return this.host_mmu.pgt.pgd!;
  }
  host_vtcr(): bigint {
    return this.host_mmu.mmu.vtcr;
  }
  /** VTTBR_EL2 for a guest: PGD base | VMID << 48. */
  guest_vttbr(vm: PkvmHypVm): bigint {
    return vm.pgt.pgd! | (BigInt(vm.mmu.vmid) << 48n);
  }

  /** pkvm_get_loaded_hyp_vcpu(): the vCPU loaded on a physical CPU, if any. */
  loaded_vcpu(cpu = 0): PkvmHypVcpu | null {
    return this.loaded_hyp_vcpu[cpu] ?? null;
  }

  /** Cross-check vmemmap, host and guest stage-2s and the tables (see invariants.ts). */
  checkInvariants(opts: { strict?: boolean } = {}): string[] {
    return checkInvariants(this, opts);
  }

  /** Host HVC entry: frame = x0..x5, updated in place (see hypercalls.ts). */
  handleHostHcall(frame: bigint[], cpu = 0): void {
    handle_host_hcall(this, frame, cpu);
  }
  /** The same entry for x0 = KVM_HOST_SMCCC_ID(idx) and x1..x4 as Numbers below 2^53 (handle_host_hcall_n()). */
  handleHostHcallN(out: HostHcallOutN, idx: number, a1: number, a2: number, a3: number, a4: number, cpu = 0): void {
    handle_host_hcall_n(this, out, idx, a1, a2, a3, a4, cpu);
  }

  /** Host stage-2 abort at IPA `addr`: 0/-EEXIST retry, -EPERM inject into the host. */
  handleHostMemAbort(addr: bigint): number {
    return handle_host_mem_abort(this, addr);
  }

  host_stage2_idmap(addr: bigint): number {
    return host_stage2_idmap(this, addr);
  }
}

export { PkvmHypVm, PkvmHypVcpu } from './hyp-vm';
export type { KvmVcpuRunHook, KvmCpuContext } from './hyp-vm';
export { ArrayPhysMem } from './phys-mem';
export type { PhysMem } from './phys-mem';
export { HypPanic } from './page-state';
