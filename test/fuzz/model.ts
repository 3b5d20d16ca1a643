/**
 * Reference model of pKVM's page-ownership table, for the property-based fuzzer.
 *
 * Plain TypeScript, written from /work/shared/PKVM-REFERENCE.md and upstream's documented semantics
 * (Linux kvmarm "kvm-arm64/pkvm-protected-guest", arch/arm64/kvm/hyp/nvhe/{mem_protect,pkvm,hyp-main}.c
 * and pgtable.c). It deliberately imports nothing from hyp/: it holds no page tables, only
 *   - per physical page: host state, hyp state, the host stage-2 annotation of a page the host lost
 *     (owner HYP, or GUEST with {handle, gfn}), host_share_guest_count, the hyp pin refcount and the
 *     first 64-bit word of the page (to check that reclaimed pages come back zeroed);
 *   - per VM slot: exists, dying, protected, vCPUs, and the guest's mappings gfn → {pfn, state, size,
 *     prot} plus its poisoned gfns;
 *   - the vCPU loaded on the (single) physical CPU.
 * Every transition is written as upstream's: check the initiator, check the completer, update both,
 * returning upstream's errno at the first failed check.
 *
 * Rules where the hyp's pinned upstream code goes beyond the reference table (each one named R<n>
 * and referred to below):
 *   R1  Addresses are u64: pfn << 12 and gfn << 12 wrap modulo 2^64 (hyp_pfn_to_phys), so a pfn or
 *       gfn with bits above 51 aliases a small one.
 *   R2  check_range_allowed_memory(): a hole between memblocks is [prev end, next base), the hole
 *       after the last memblock ends at ULONG_MAX *exclusive*; [start, end) is -EINVAL unless end-1
 *       lies in the same region as start, then -EPERM if that region is not memory. So the last page
 *       of the 64-bit space is -EINVAL, other non-memory pages -EPERM.
 *   R3  Guest stage-2 walks fail -ERANGE when the IPA range is beyond the VM's IPA size
 *       (kvm_pgtable_walk()); that error comes before any state check.
 *   R4  kvm_pgtable_walk_continue(): -EAGAIN from a visitor ends a walk unless the walker has
 *       KVM_PGTABLE_WALK_IGNORE_EAGAIN (no pKVM caller passes it for guests), so relax_perms and
 *       wrprotect of an unmapped gfn return -EAGAIN; wrprotect of a range stops at the first unmapped
 *       leaf, after write-protecting the leaves before it.
 *   R5  WARN_ON() is not fatal here (HostedEl2 runs with warnIsFatal false): the model predicts where
 *       a WARN fires and what the code does after it:
 *         - host_stage2_encode_gfn_meta(): gfn does not fit the 40-bit annotation field → WARN, the
 *           annotation keeps gfn mod 2^40 (FIELD_PREP masks);
 *         - __pkvm_host_share_guest(): prot with PX != UX passes the `prot & ~RWX` check, but the
 *           stage-2 map fails -EINVAL without FEAT_XNX → WARN; the host side is already updated
 *           (SHARED_OWNED, count++) and 0 is returned with no guest mapping;
 *         - assert_host_shared_guest() (CONFIG_NVHE_EL2_DEBUG) in relax_perms / wrprotect: WARN when
 *           __check_host_shared_guest() fails with anything but -ENOENT; the call then goes on;
 *         - __pkvm_host_force_reclaim_page_guest(): the guest PTE at the annotated gfn maps another
 *           page (a stale annotation whose handle was reused) → WARN, and the reclaim goes on: the gfn
 *           is poisoned in the (new) VM, the annotated page is zeroed and returned to the host;
 *         - __pkvm_host_reclaim_page_guest(): host state not NOPAGE (OWNED) / SHARED_BORROWED
 *           (SHARED_OWNED) → WARN, then goes on.
 *   R6  __pkvm_reclaim_dying_guest_page() of a poisoned gfn returns 0 and changes nothing (the page
 *       was already force-reclaimed; the host just drops its pin).
 *   R7  __pkvm_host_force_reclaim_page_guest() takes a physical address and masks it to its page.
 *   R8  vcpu_load/vcpu_put report nothing (x1 is left as the host passed it); a load fails silently
 *       when a vCPU is already loaded on the CPU, the handle is unknown or dying, or the index is out
 *       of range. A loaded vCPU holds a reference on its VM's first struct page.
 *   R9  __pkvm_finalize_teardown_vm(): the VM's struct pages, vCPU struct pages and stage-2 PGD go back
 *       to the host (contents are the memcache links, not modelled); host struct kvm / kvm_vcpu pins
 *       are dropped. Guest pages not reclaimed before finalize stay as they were on the host side:
 *       donated pages stay NOPAGE annotated for {handle, gfn} (so a later VM reusing the handle sees
 *       them), pages shared with the VM keep their share count, pages the guest shared keep host
 *       SHARED_BORROWED.
 *   R10 Host hypercall dispatch: id = x0 without the SMCCC hint bit 16 minus 0xC600_0000 (u64); ids
 *       below __pkvm_prot_finalize (pKVM is finalised) or far past the table (≥ 0x1000; the table
 *       grows with the IOMMU and allocator hypercalls, which the model does not cover) get
 *       x0 = NOT_SUPPORTED (-1) and x1 unchanged. Otherwise x0 = SUCCESS and x1 = the handler's return.
 *   R11 A host access (HostMemory) to a PA outside RAM is refused with -EFAULT before the stage-2
 *       check; to a RAM page the host does not own (host NOPAGE) with -EPERM; otherwise allowed.
 *   R12 Guest hypercalls taken to EL2, under the board's guest-HVC ABI (cfg.guestHvcAbi). The model
 *       gives x0..x3 as the guest sees them (untouched: the exit went to the host without an answer)
 *       and where the vCPU goes next: back to the guest, to the host with the HVC, to the host as a
 *       stage-2 fault on the IPA (a share of an unmapped page: the HVC is replayed once mapped), or
 *       to the host with a report of what EL2 did (share / unshare / relinquish). Results are
 *       {x0, 0, 0, 0} except the UID (four words).
 *     R12a Android's tree ('android', a board option): protected guests: SMCCC_VERSION 1.1, the KVM
 *       vendor-hyp UID, FEATURES (FEATURES, HYP_MEMINFO, MEM_SHARE, MEM_UNSHARE, MMIO guard ×4,
 *       MEM_RELINQUISH), HYP_MEMINFO (x1..x3 must be 0, else INVALID_PARAMETER) at EL2. For
 *       MEM_SHARE / MEM_UNSHARE / MEM_RELINQUISH: x1 = IPA, x2 = x3 = 0, the IPA page aligned, inside
 *       the IPA space and inside the memory the VMM declared at __pkvm_init_vm, else
 *       INVALID_PARAMETER (back to the guest);
 *         MEM_SHARE: __pkvm_guest_share_host(); 0 → SUCCESS and a report to the host; -ENOENT → the
 *           stage-2 fault exit (x0 untouched); any other error → INVALID_PARAMETER, back to the guest.
 *         MEM_UNSHARE: __pkvm_guest_unshare_host(); 0 → SUCCESS and a report; error → INVALID_PARAMETER.
 *         MEM_RELINQUISH: poisoned → INVALID_PARAMETER; nothing mapped → SUCCESS, back to the guest;
 *           a block → INVALID_PARAMETER; OWNED / SHARED_OWNED → __pkvm_host_reclaim_page_guest()
 *           (OWNED zeroed), SHARED_BORROWED → __pkvm_host_unshare_guest(gfn, 1); SUCCESS and a report.
 *       PSCI for protected guests at EL2 (guest-psci.ts's Android pkvm_handle_psci()): PSCI_VERSION
 *       1.1; PSCI_FEATURES(x1) SUCCESS for the calls it implements, NOT_SUPPORTED otherwise.
 *       Non-protected guests (kvm_hyp_handle_hvc64()): HYP_MEMINFO and MEM_RELINQUISH as above at
 *       EL2; everything else (discovery, MEM_SHARE, MEM_UNSHARE) goes to the host untouched.
 *     R12c The MMIO guard (Android's ABI only; the hyp handles a non-protected VM's calls at EL2 too):
 *       a protected VM is enrolled from creation, a non-protected one by MMIO_GUARD_ENROLL (x1..x3
 *       = 0, else INVALID_PARAMETER). MMIO_GUARD_INFO is HYP_MEMINFO's granule. MMIO_GUARD_MAP
 *       (x1 = IPA, x2 attributes ignored, x3 = 0): INVALID_PARAMETER unless enrolled, the IPA page
 *       aligned and inside the IPA space, outside the declared memory and with nothing mapped or
 *       poisoned at stage 2; then guarded (again: still SUCCESS). MMIO_GUARD_UNMAP: enrolled, x3 =
 *       0, aligned, guarded, else INVALID_PARAMETER. The guard is per VM and starts empty.
 *     R12b Upstream (the default; nvhe/pkvm.c kvm_handle_pvm_hvc64() of the newest tree): protected
 *       guests: FEATURES (FEATURES, HYP_MEMINFO, MEM_SHARE, MEM_UNSHARE) and HYP_MEMINFO at EL2;
 *         MEM_SHARE: x2 or x3 non-zero, or the IPA not page aligned → INVALID_PARAMETER; else
 *           __pkvm_guest_share_host(): 0 → SUCCESS, back to the guest (the host is not told);
 *           -ENOENT → the stage-2 fault exit (x0 untouched; also for an IPA no memslot covers, as
 *           upstream checks no declared range); any other error (-ERANGE beyond the IPA space,
 *           -EPERM, -EHWPOISON, -E2BIG) → INVALID_PARAMETER.
 *         MEM_UNSHARE: the same argument checks; __pkvm_guest_unshare_host() 0 → SUCCESS, else
 *           INVALID_PARAMETER; always back to the guest, never reported.
 *         everything else (SMCCC_VERSION, the UID, MEM_RELINQUISH, the MMIO guard, PSCI) → to the
 *           host untouched: no MEM_RELINQUISH, no MMIO guard at EL2.
 *       Non-protected guests: upstream's hyp_exit_handlers[] have no HVC64 handler: every HVC goes
 *       to the host untouched.
 *
 *   R16 __kvm_vcpu_run(x1): -EINVAL unless a vCPU is loaded and x1 is its host struct kvm_vcpu (the
 *       fuzzer never passes the right one: guests do not run here). __pkvm_vcpu_sync_state is void.
 *   R17 (upstream's __pkvm_hyp_topup / __pkvm_hyp_reclaim / __pkvm_hyp_reclaimable on
 *       PKVM_TOPUP_HYP_ALLOC = 0 act as Android's calls on allocator 0; any other id: -EINVAL with
 *       nothing moved, reclaimable 0) __pkvm_hyp_alloc_mgt_reclaimable(id): the hyp heap (id 0,
 *       upstream's 2026 alloc.c hyp_alloc_reclaimable()) with nothing allocated on it (no chunk:
 *       reclaim only drains the memcache): every page topped up and not yet reclaimed; an id past the
 *       allocators (>= 2): 0.
 *   R18 The stage-2 access flag of a guest mapping: set when mapped (donate, share); relax_perms and
 *       wrprotect leave it. __pkvm_host_test_clear_young_guest(handle, gfn, nr, mkold) (a
 *       non-protected VM, dying or not, else -EINVAL; nr 1 or one aligned block, else -EINVAL;
 *       assert_host_shared_guest() as R5): 1 if a valid leaf of the range has AF (cleared when
 *       mkold), else 0; a range beyond the IPA space: the walk fails, WARN, 0.
 *       __pkvm_host_mkyoung_guest(gfn) (a loaded non-protected vCPU, else -EINVAL; R5's assert):
 *       sets AF on the leaf at gfn if any, returns 0. A guest access through a leaf without AF is
 *       an access flag fault (no hardware AF update).
 *   R14 __pkvm_host_donate_guest() / __pkvm_host_share_guest(): after the state checks and before
 *       any change, -ENOMEM when the vCPU's EL2 memcache holds fewer than kvm_mmu_cache_min_pages =
 *       stage-2 levels - 1 (levels = (ipaBits - 8) / 9, at least 2). The count is observed by the
 *       runner before the call (memcachePages: EL2's count after refill_memcache(), which tops it
 *       up to the host memcache's count), since the model holds no stage-2 table pages; null = not
 *       observed (enough).
 *   R13 DMA isolation (hyp/iommu/README.md, the pKVM IOMMU series; board option cfg.iommu):
 *       - 'hypercall' mode: domains (u16 id, not 0, type S2 = 1), streams attached to one domain
 *         each (id < 64, pasid 0), per-domain IOVA mappings. map_pages maps nothing unless the call
 *         is well formed and every page of [pa, pa + size) is RAM the host has (host state not
 *         NOPAGE: owned, shared with the hyp or a guest, or borrowed from a guest); it then maps
 *         the leading pgsize chunks whose IOVA range is free (stops at -EEXIST). Each mapped page
 *         takes a DMA reference. unmap_pages removes leading leaves of exactly pgsize and drops
 *         their references; free_domain of a domain with mappings keeps the references (upstream).
 *       - A page with DMA references cannot leave the host: every check of host state OWNED
 *         (donate to a guest or the hyp, share with the hyp, share with a guest) answers -EINVAL
 *         (HOST_CHECK_NULL_REFCNT), and a guest's unshare of a page it shared with the host -EBUSY.
 *       - 'mirror' mode: the IOMMU hypercalls answer -ENODEV (map/unmap: 0 bytes); DMA translates
 *         with the host stage-2: a page is reachable iff it is RAM and the host has it.
 *       - The IOMMU pool (refill/reclaim) holds pages donated to the hyp; the model cannot predict
 *         how many table pages the hyp uses, so the fuzzer's host driver refills on request and
 *         the model only checks that reclaimed pages were pool pages.
 *       - A DMA copy goes chunk by chunk (no chunk crosses a page on either side): the source must
 *         translate for a read, the destination for a write (mapping prot), else it stops there.
 *
 *   R15 FF-A (hyp/ffa/: upstream nvhe/ffa.c's proxy; machine/ffa/: the board's SPMC): the host maps
 *       its mailbox once (two host pages shared with the hyp and pinned: unshare_hyp of them is
 *       -EBUSY); FFA_MEM_SHARE / LEND share each range with __pkvm_host_share_ffa() (pfn range valid
 *       else -EINVAL, host OWNED → SHARED_OWNED, no hyp state, the page stays mapped), undoing earlier
 *       ranges and answering DENIED at the first refusal; a descriptor whose total page count lies
 *       is the SPMC's INVALID_PARAMETERS and EL2 unshares; a lend is a share at EL2. Reclaim: an
 *       unknown handle INVALID_PARAMETERS, one the partition still holds DENIED, else back to OWNED.
 *
 *   R19 VM and vCPU creation by a hostile host (nvhe/pkvm.c __pkvm_reserve_vm .. __pkvm_init_vcpu; the
 *       struct kvm / kvm_vcpu fields the hyp reads are what the runner wrote, observed as R14's count):
 *       - __pkvm_reserve_vm: the lowest entry neither used nor reserved, its handle; -ENOMEM when
 *         none. __pkvm_unreserve_vm(handle): drops a reservation (nothing else; void).
 *       - __pkvm_init_vm(kvm, vm, pgd): hyp_pin_shared_mem() of [kvm, kvm + HOST_KVM_SIZE) (host
 *         SHARED_OWNED with R2's range check, then hyp SHARED_BORROWED, else that errno); then,
 *         unpinning on failure: created_vcpus < 1 → -EINVAL; handle < HANDLE_OFFSET → -EINVAL;
 *         then -ENOMEM unless both map_donated_memory(vm, pkvm_get_hyp_vm_size(nr)) (zeroed) and
 *         map_donated_memory_noclear(pgd, pgd size) succeed (page aligned, __pkvm_host_donate_hyp()
 *         of the range: pfn_range_is_valid, host OWNED, hyp NOPAGE, no DMA reference, all or
 *         nothing); -ENOMEM when the PGD pages are not one aligned buddy block (hyp_pool_init()
 *         cannot merge them, the PGD allocation of kvm_guest_prepare_stage2() fails); -EINVAL when
 *         the handle's entry is not RESERVED (past the table, free, or a live VM's) — the stage-2
 *         is destroyed first. Every failure after a donation gives the VM and PGD pages back zeroed.
 *         No vCPU-count cap of EL2's own.
 *       - __pkvm_init_vcpu(handle, host_vcpu, vcpu): map_donated_memory() of the vCPU page (-ENOMEM),
 *         then no VM (a reserved entry is none) → -ENOENT; the host vCPU not pinnable → -EBUSY;
 *         a non-protected VM's first vCPU copies the host's ID registers: -EINVAL unless the host
 *         set KVM_ARCH_FLAG_ID_REGS_INITIALIZED (once copied, never again); a protected vCPU passes
 *         pkvm_check_pvm_cpu_features() on this board; vcpu_idx >= created_vcpus or already
 *         registered → -EINVAL with the host vCPU unpinned. Any failure gives the page back zeroed.
 *       - A vCPU never initialised cannot be loaded; finalize returns only initialised vCPUs' pages
 *         and unpins what init pinned (two pages for a struct that crosses a page boundary).
 *
 *   R20 Guest PSCI power management at EL2 under Android's ABI (R12a; upstream's goes to the host):
 *       EL2 keeps each protected vCPU's power state (vCPU 0 ON, the others OFF at creation; vCPU i's
 *       MPIDR affinity is i). CPU_ON(target): target bits outside MPIDR_HWID_BITMASK or no such vCPU
 *       → INVALID_PARAMETERS, ON_PENDING → ON_PENDING, ON → ALREADY_ON (back to the guest); OFF →
 *       ON_PENDING and an exit reporting CPU_ON (registers untouched: the host answers x0 at the next
 *       run, which the fuzzer never makes). CPU_OFF: the caller OFF, an exit reporting CPU_OFF.
 *       AFFINITY_INFO(target, level): level > 3 or bad target bits → INVALID_PARAMETERS; the vCPUs
 *       matching under psci_affinity_mask(level): none → INVALID_PARAMETERS, else ON if any is ON,
 *       else ON_PENDING if any is, else OFF.
 *
 * Not modelled (the fuzzer stays clear of it): the pages of the vCPU memcaches and the stage-2 table
 * pages (the host tops the memcache up before every donate/share, as KVM does — with an empty one
 * the pinned upstream WARNs after the host side changed, see the fuzzer's report), what the EL2 heap
 * allocates, IOMMU table pages.
 */

export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const ENODEV = 19;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
export const ERANGE = 34;
export const EHWPOISON = 133;

export const ERRNO_NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [E2BIG]: 'E2BIG', [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY', [ENODEV]: 'ENODEV', [EINVAL]: 'EINVAL', [ERANGE]: 'ERANGE', [EHWPOISON]: 'EHWPOISON',
};
export const errnoName = (r: number): string => (r < 0 && ERRNO_NAMES[-r] ? `-${ERRNO_NAMES[-r]}` : String(r));

export type HostState = 'OWNED' | 'SHARED_OWNED' | 'SHARED_BORROWED' | 'NOPAGE';
export type HypState = 'OWNED' | 'SHARED_BORROWED' | 'NOPAGE';
export type GuestState = 'OWNED' | 'SHARED_OWNED' | 'SHARED_BORROWED';
export type Owner = { id: 'HYP' } | { id: 'GUEST'; handle: number; gfn: bigint };

/* KVM_PGTABLE_PROT_* (kvm_pgtable.h) */
export const PROT_PX = 1n;
export const PROT_UX = 2n;
export const PROT_X = 3n;
export const PROT_W = 4n;
export const PROT_R = 8n;
export const PROT_RWX = 0xfn;

export interface Prot { r: boolean; w: boolean; x: boolean }

export interface PageM {
  host: HostState;
  hyp: HypState;
  /** Host stage-2 annotation while host is NOPAGE. */
  owner: Owner | null;
  shareCount: number;
  /** hyp_page refcount of a page the hyp borrows (hyp_pin_shared_mem). */
  pin: number;
  /** First u64 of the page, or null when not modelled. */
  content: bigint | null;
  /** DMA references: IOMMU mappings of the page (R13). */
  dma: number;
}

export type IommuMode = 'hypercall' | 'mirror';
/** One IOMMU leaf: pages 1 (4 KiB) or 512 (2 MiB). */
export interface IoMapM { iova: bigint; pfn: bigint; pages: number; r: boolean; w: boolean }
export interface DomainM { id: number; maps: Map<bigint, IoMapM> }
export interface DmaOutcome { status: number; done: bigint; stop: { iova: bigint; write: boolean } | null; touched: { pfn: bigint; write: boolean }[] }
export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;
export const IOMMU_PROT_MASK = 0x3f;
export const IOMMU_IAS = 39n;
export const NR_STREAMS = 64;
export const DMA_SID = 1;

export interface MappingM {
  gfn: bigint; /* first gfn */
  pfn: bigint; /* first pfn */
  pages: number; /* 1 or 512 */
  state: GuestState;
  prot: Prot;
  /** R18: the stage-2 access flag (AF): set when mapped, cleared by test_clear_young(mkold), set by mkyoung. */
  young?: boolean;
}

export interface VmLayout {
  handle: number;
  protected: boolean;
  nrVcpus: number;
  kvmPfn: bigint;
  vmPfns: bigint[];
  pgdPfns: bigint[];
  hostVcpuPfns: bigint[];
  /** The host's struct kvm_vcpu of each vCPU (its address: what __kvm_vcpu_run takes in x1); optional. */
  hostVcpuPas?: bigint[];
  hypVcpuPfns: bigint[];
  /** Guest memory the VMM declared (struct kvm), size 0: none. */
  memIpa: { base: bigint; size: bigint };
  /** R19: the address of the host struct kvm when not at the start of kvmPfn. */
  kvmPa?: bigint;
}

export interface VmM {
  layout: VmLayout;
  handle: number;
  protected: boolean;
  dying: boolean;
  nrVcpus: number;
  /** Mappings keyed by first gfn. */
  maps: Map<bigint, MappingM>;
  poison: Set<bigint>;
  /** R12c: the MMIO guard (Android's ABI): enrolled, and the guarded IPAs (4 KiB granules). */
  guard: { enrolled: boolean; granules: Set<bigint> };
  /** R19: which vCPUs __pkvm_init_vcpu registered; pages the hyp pinned for the VM (struct kvm, each struct kvm_vcpu). */
  vcpuInit: boolean[];
  pins: bigint[];
  /** R19: a non-protected VM's ID registers copied from the host (its first vCPU's init). */
  idRegsCopied: boolean;
  /** R20: the PSCI power state EL2 keeps per vCPU of a protected VM (PSCI_AFFINITY_*); undefined: not followed. */
  power: (number | undefined)[];
}

export interface ModelConfig {
  ramBase: bigint;
  ramSize: bigint;
  /** Host stage-2 IPA = PA size in bits (pfn_range_is_valid). */
  paBits: number;
  /** Guest stage-2 IPA size in bits. */
  ipaBits: number;
  maxVms: number;
  carveout: { base: bigint; size: bigint };
  /** pfns whose contents start as zero and are tracked (the rest: unknown). */
  zeroedPfns: { first: bigint; count: number };
  /** The board's IOMMU (R13), or none. */
  iommu?: IommuMode | null;
  /** The guest hypercall ABI at EL2 (R12): upstream's (the default) or Android's. */
  guestHvcAbi?: 'upstream' | 'android';
  /** R19: pages of a guest stage-2 PGD (kvm_pgtable_stage2_pgd_size() of the host's VTCR); default 1. */
  pgdPages?: number;
}

export interface HcallOutcome { x0: bigint; x1: bigint; warn: boolean }
/** The guest hypercalls the fuzzer makes (R12): KVM vendor-hyp services and SMCCC discovery. */
export type GuestHvcFn = 'share' | 'unshare' | 'relinquish' | 'meminfo' | 'features' | 'uid' | 'version'
  | 'guard_info' | 'guard_enroll' | 'guard_map' | 'guard_unmap' | 'psci_version' | 'psci_features'
  | 'cpu_on' | 'cpu_off' | 'affinity_info';
/** Where a guest HVC leaves the vCPU: back in the guest; at the host with the HVC; at the host as a
 * stage-2 fault on the IPA (HVC replayed); at the host with a report of what EL2 did. */
export type GuestHvcExit = 'guest' | 'host' | 'host-fault' | 'host-share' | 'host-unshare' | 'host-relinquish' | 'host-cpu-on' | 'host-cpu-off';
export interface GuestHvcOutcome { regs: bigint[] | null; exit: GuestHvcExit; warn: boolean }
/** KVM's vendor-hyp UID 28b46fb6-2ec5-11e9-a9ca-4b564d003a74 in w0..w3 (ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0..3). */
export const KVM_VENDOR_HYP_UID = [0xb66fb428n, 0xe911c52en, 0x564bcaa9n, 0x743a004dn] as const;
/* ARM_SMCCC_KVM_FUNC_* bits: FEATURES 0, HYP_MEMINFO 2, MEM_SHARE 3, MEM_UNSHARE 4, MMIO_GUARD_INFO..UNMAP 5..8, MEM_RELINQUISH 9. */
export const UPSTREAM_PVM_FEATURES = 0b1_1101n;
export const ANDROID_PVM_FEATURES = 0b11_1111_1101n;
/** R12a: the functions PSCI_FEATURES reports for a protected guest under Android's ABI (pkvm_handle_psci()):
 * PSCI_VERSION, CPU_SUSPEND (32/64), CPU_OFF, CPU_ON (32/64), AFFINITY_INFO (32/64), SYSTEM_OFF,
 * SYSTEM_RESET, PSCI_FEATURES, SYSTEM_RESET2 (32/64) and SMCCC_VERSION. */
export const ANDROID_PVM_PSCI_FUNCS: ReadonlySet<bigint> = new Set([
  0x8400_0000n, 0x8400_0001n, 0xc400_0001n, 0x8400_0002n, 0x8400_0003n, 0xc400_0003n, 0x8400_0004n, 0xc400_0004n,
  0x8400_0008n, 0x8400_0009n, 0x8400_000an, 0x8400_0012n, 0xc400_0012n, 0x8000_0000n,
]);
export interface RetOutcome { ret: number; warn: boolean }
export type AccessOutcome =
  | { ok: true; pa: bigint; value: bigint | null }
  | { ok: false; errno: number };

const M64 = (1n << 64n) - 1n;
const PAGE = 4096n;
const BLOCK_PAGES = 512;
const U32_MAX = 0xffffffff;
const HANDLE_OFFSET = 0x1000;
/* R20: PSCI AFFINITY_INFO states and return codes (PSCI 1.1, DEN0022) */
export const AFF_ON = 0;
export const AFF_OFF = 1;
export const AFF_ON_PENDING = 2;
const PSCI_INVALID_PARAMETERS = -2;
const PSCI_ALREADY_ON = -4;
const PSCI_ON_PENDING = -5;
const MPIDR_HWID_BITMASK = 0xff_00ff_ffffn;
/* R19: sizes of this project's host/hyp ABI (hyp/host-abi.ts): struct kvm and struct kvm_vcpu as the
 * hyp reads them, struct pkvm_hyp_vm (plus a vCPU pointer each) and struct pkvm_hyp_vcpu. */
const HOST_KVM_SIZE = 0x200n;
const HOST_VCPU_SIZE = 0x348n;
const PKVM_HYP_VM_SIZE = 2048n;
const PKVM_HYP_VCPU_SIZE = 4096n;
const GFN_META_BITS = 40n; /* KVM_HOST_PTE_OWNER_GUEST_GFN_MASK = GENMASK(55, 16) */
const u64 = (v: bigint): bigint => v & M64;
const s64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

/** Host hypercall ids (enum __kvm_host_smccc_func, kvm_asm.h), in order: id = 0xC600_0000 + index. */
export const MODEL_HOST_HCALLS = [
  '__kvm_hyp_init', '__pkvm_init', '__pkvm_create_private_mapping', '__pkvm_cpu_set_vector', '__kvm_enable_ssbs',
  '__vgic_v3_init_lrs', '__vgic_v3_get_gic_config', '__pkvm_prot_finalize',
  '__kvm_adjust_pc', '__kvm_vcpu_run', '__kvm_flush_vm_context', '__kvm_tlb_flush_vmid_ipa',
  '__kvm_tlb_flush_vmid_ipa_nsh', '__kvm_tlb_flush_vmid', '__kvm_tlb_flush_vmid_range', '__kvm_flush_cpu_context',
  '__kvm_timer_set_cntvoff',
  '__tracing_load', '__tracing_unload', '__tracing_enable', '__tracing_swap_reader', '__tracing_update_clock',
  '__tracing_reset', '__tracing_enable_event', '__tracing_write_event',
  '__vgic_v3_save_aprs', '__vgic_v3_restore_vmcr_aprs', '__vgic_v5_save_apr', '__vgic_v5_restore_vmcr_apr',
  '__pkvm_hyp_topup', '__pkvm_hyp_reclaim', '__pkvm_hyp_reclaimable',
  '__pkvm_host_share_hyp', '__pkvm_host_unshare_hyp', '__pkvm_host_donate_guest', '__pkvm_host_share_guest',
  '__pkvm_host_unshare_guest', '__pkvm_host_relax_perms_guest', '__pkvm_host_wrprotect_guest',
  '__pkvm_host_test_clear_young_guest', '__pkvm_host_mkyoung_guest', '__pkvm_reserve_vm', '__pkvm_unreserve_vm',
  '__pkvm_init_vm', '__pkvm_init_vcpu', '__pkvm_vcpu_in_poison_fault', '__pkvm_force_reclaim_guest_page',
  '__pkvm_reclaim_dying_guest_page', '__pkvm_start_teardown_vm', '__pkvm_finalize_teardown_vm',
  '__pkvm_vcpu_load', '__pkvm_vcpu_put', '__pkvm_vcpu_sync_state', '__pkvm_tlb_flush_vmid',
  /* Appended: the pKVM IOMMU series (hyp/iommu/README.md). */
  '__pkvm_hyp_alloc_mgt_refill', '__pkvm_hyp_alloc_mgt_reclaimable', '__pkvm_hyp_alloc_mgt_reclaim',
  '__pkvm_host_iommu_alloc_domain', '__pkvm_host_iommu_free_domain', '__pkvm_host_iommu_attach_dev',
  '__pkvm_host_iommu_detach_dev', '__pkvm_host_iommu_map_pages', '__pkvm_host_iommu_unmap_pages',
  '__pkvm_host_iommu_iova_to_phys',
] as const;
export type ModelHcallName = (typeof MODEL_HOST_HCALLS)[number];
export const HCALL_BASE = 0xc600_0000n;
export const SMCCC_HINT_BIT = 1n << 16n;
export const hcallId = (name: ModelHcallName): bigint => HCALL_BASE + BigInt(MODEL_HOST_HCALLS.indexOf(name));
const MIN_PKVM = MODEL_HOST_HCALLS.indexOf('__pkvm_prot_finalize');
export const SMCCC_RET_NOT_SUPPORTED = u64(-1n);

export class PkvmModel {
  readonly pages = new Map<bigint, PageM>();
  readonly slots: (VmM | null)[];
  loaded: { slot: number; vcpu: number } | null = null;
  /** __pkvm_prot_finalize already ran on the (only) CPU. */
  finalized = true;
  /** R13: IOMMU domains, stream → domain, and the pages of the hyp's IOMMU pool. */
  readonly domains = new Map<number, DomainM>();
  readonly streams = new Map<number, number>();
  readonly pool = new Set<bigint>();
  /** Pages the hyp heap (allocator id 0, hyp/alloc/) holds in its memcache: refilled, not yet reclaimed. */
  readonly heap = new Set<bigint>();
  /** R19: VM table entries __pkvm_reserve_vm reserved and no VM uses yet. */
  readonly reserved = new Set<number>();
  /** R19: the struct kvm / struct kvm_vcpu fields the hyp reads, as the host last wrote them, by address. */
  readonly hostKvms = new Map<bigint, { nr: number; handle: number; prot: boolean; idRegs: boolean }>();
  readonly hostVcpus = new Map<bigint, { idx: number }>();

  constructor(readonly cfg: ModelConfig) {
    this.slots = new Array<VmM | null>(cfg.maxVms).fill(null);
    /* __pkvm_init(): the carve-out is the hyp's, annotated as such in the host stage-2. */
    for (let pa = cfg.carveout.base; pa < cfg.carveout.base + cfg.carveout.size; pa += PAGE) {
      const p = this.pageMut(pa >> 12n);
      p.host = 'NOPAGE';
      p.hyp = 'OWNED';
      p.owner = { id: 'HYP' };
      p.content = null;
    }
  }

  /* ---------------------------------------------------------------- pages */

  isRamPfn(pfn: bigint): boolean {
    const first = this.cfg.ramBase >> 12n;
    return pfn >= first && pfn < first + (this.cfg.ramSize >> 12n);
  }
  isRam(pa: bigint): boolean { return pa >= this.cfg.ramBase && pa < this.cfg.ramBase + this.cfg.ramSize; }

  /** The page's state (a fresh default for a page never touched). */
  page(pfn: bigint): PageM {
    const p = this.pages.get(pfn);
    if (p) return p;
    const z = this.cfg.zeroedPfns;
    const tracked = pfn >= z.first && pfn < z.first + BigInt(z.count);
    return { host: 'OWNED', hyp: 'NOPAGE', owner: null, shareCount: 0, pin: 0, content: tracked ? 0n : null, dma: 0 };
  }
  private pageMut(pfn: bigint): PageM {
    let p = this.pages.get(pfn);
    if (!p) {
      p = this.page(pfn);
      this.pages.set(pfn, p);
    }
    return p;
  }
  private setHost(pfn: bigint, host: HostState, owner: Owner | null = null): void {
    const p = this.pageMut(pfn);
    p.host = host;
    p.owner = host === 'NOPAGE' ? owner : null;
  }

  /** check_range_allowed_memory() over [start, end) (u64, end exclusive; see R2). */
  checkRangeAllowedMemory(start: bigint, end: bigint): number {
    const rb = this.cfg.ramBase;
    const re = this.cfg.ramBase + this.cfg.ramSize;
    let lo: bigint, hi: bigint, mem: boolean;
    if (start < rb) [lo, hi, mem] = [0n, rb, false];
    else if (start < re) [lo, hi, mem] = [rb, re, true];
    else [lo, hi, mem] = [re, M64, false];
    const last = u64(end - 1n);
    if (!(lo <= last && last < hi)) return -EINVAL;
    return mem ? 0 : -EPERM;
  }

  /** __host_check_page_state_range() */
  private hostCheck(phys: bigint, pages: number, state: HostState): number {
    const r = this.checkRangeAllowedMemory(phys, u64(phys + BigInt(pages) * PAGE));
    if (r) return r;
    for (let i = 0; i < pages; i++) {
      const p = this.page((phys >> 12n) + BigInt(i));
      if (p.host !== state) return -EPERM;
      if (state === 'OWNED' && p.dma) return -EINVAL; /* R13: HOST_CHECK_NULL_REFCNT */
    }
    return 0;
  }

  /** pfn_range_is_valid() against the host stage-2 PA size. */
  private pfnRangeValid(pfn: bigint, nr: bigint): boolean {
    const limit = 1n << BigInt(this.cfg.paBits - 12);
    return pfn < limit && limit - pfn >= nr;
  }

  /* ---------------------------------------------------------------- guests */

  vmByHandle(handle: number): VmM | null {
    const idx = handle - HANDLE_OFFSET;
    if (idx < 0 || idx >= this.cfg.maxVms) return null;
    return this.slots[idx] ?? null;
  }
  loadedVm(): VmM | null { return this.loaded ? this.slots[this.loaded.slot] ?? null : null; }

  /** The mapping translating gfn in vm, or null. */
  mappingAt(vm: VmM, gfn: bigint): MappingM | null {
    const m = vm.maps.get(gfn);
    if (m) return m;
    const b = vm.maps.get(gfn & ~BigInt(BLOCK_PAGES - 1));
    return b && b.pages === BLOCK_PAGES ? b : null;
  }
  guestState(vm: VmM, gfn: bigint): GuestState | 'NOPAGE' | 'POISON' {
    if (vm.poison.has(gfn)) return 'POISON';
    return this.mappingAt(vm, gfn)?.state ?? 'NOPAGE';
  }

  /** R3: the walk of [ipa, ipa + pages) fits the guest IPA space. */
  private ipaInRange(ipa: bigint, pages: number): boolean {
    const limit = 1n << BigInt(this.cfg.ipaBits);
    const end = u64(ipa + BigInt(pages) * PAGE);
    return ipa <= limit && end <= limit && end > ipa;
  }

  /** __guest_check_page_state_range(vm, ipa, size, NOPAGE) */
  private guestCheckNopage(vm: VmM, ipa: bigint, pages: number): number {
    if (!this.ipaInRange(ipa, pages)) return -ERANGE;
    for (let i = 0; i < pages; i++) if (this.guestState(vm, (ipa >> 12n) + BigInt(i)) !== 'NOPAGE') return -EPERM;
    return 0;
  }

  /** get_valid_guest_pte(): the page-level mapping at ipa. */
  private validGuestPte(vm: VmM, ipa: bigint): { ret: number; m?: MappingM; phys?: bigint } {
    if (!this.ipaInRange(ipa, 1)) return { ret: -ERANGE };
    const gfn = ipa >> 12n;
    if (vm.poison.has(gfn)) return { ret: -EHWPOISON };
    const m = this.mappingAt(vm, gfn);
    if (!m) return { ret: -ENOENT };
    if (m.pages !== 1) return { ret: -E2BIG };
    return { ret: 0, m, phys: m.pfn << 12n };
  }

  /** __check_host_shared_guest(vm, ipa, size): size 0 = the leaf's own size. */
  private checkHostSharedGuest(vm: VmM, ipa: bigint, pages: number): { ret: number; m?: MappingM } {
    if (!this.ipaInRange(ipa, 1)) return { ret: -ERANGE };
    const m = this.mappingAt(vm, ipa >> 12n);
    if (!m) return { ret: -ENOENT };
    if (pages && m.pages !== pages) return { ret: -E2BIG };
    if (m.state !== 'SHARED_BORROWED') return { ret: -EPERM };
    for (let i = 0; i < m.pages; i++) {
      const p = this.page(m.pfn + BigInt(i));
      if (p.host !== 'SHARED_OWNED') return { ret: -EPERM };
      if (!p.shareCount) return { ret: -EINVAL }; /* WARN_ON in upstream; unreachable in a consistent state */
    }
    return { ret: 0, m };
  }

  /** __guest_check_transition_size(): one page, or one aligned 2 MiB block. */
  private transitionPages(phys: bigint, ipa: bigint, nr: bigint): number {
    if (nr === 1n) return 1;
    if (nr !== BigInt(BLOCK_PAGES)) return -EINVAL;
    if ((phys | ipa) & (BigInt(BLOCK_PAGES) * PAGE - 1n)) return -EINVAL;
    return BLOCK_PAGES;
  }

  /* ---------------------------------------------------------------- host ↔ hyp */

  private shareHyp(pfn: bigint): RetOutcome {
    const phys = u64(pfn << 12n);
    const r = this.hostCheck(phys, 1, 'OWNED');
    if (r) return { ret: r, warn: false };
    const p = this.pageMut(phys >> 12n);
    if (p.hyp !== 'NOPAGE') return { ret: -EPERM, warn: false };
    p.hyp = 'SHARED_BORROWED';
    this.setHost(phys >> 12n, 'SHARED_OWNED');
    return { ret: 0, warn: false };
  }

  private unshareHyp(pfn: bigint): RetOutcome {
    const phys = u64(pfn << 12n);
    const r = this.hostCheck(phys, 1, 'SHARED_OWNED');
    if (r) return { ret: r, warn: false };
    const p = this.pageMut(phys >> 12n);
    if (p.hyp !== 'SHARED_BORROWED') return { ret: -EPERM, warn: false };
    if (p.pin) return { ret: -EBUSY, warn: false };
    p.hyp = 'NOPAGE';
    this.setHost(phys >> 12n, 'OWNED');
    return { ret: 0, warn: false };
  }

  /** __pkvm_host_donate_hyp() of pages the host KVM hands over (VM / vCPU structs, PGD). */
  private donateHyp(pfn: bigint): number {
    const r = this.hostCheck(pfn << 12n, 1, 'OWNED');
    if (r) return r;
    if (this.page(pfn).hyp !== 'NOPAGE') return -EPERM;
    const p = this.pageMut(pfn);
    p.hyp = 'OWNED';
    p.content = null;
    this.setHost(pfn, 'NOPAGE', { id: 'HYP' });
    return 0;
  }
  /** __pkvm_hyp_donate_host() */
  private hypDonateHost(pfn: bigint): void {
    const p = this.pageMut(pfn);
    p.hyp = 'NOPAGE';
    p.content = null;
    this.setHost(pfn, 'OWNED');
  }

  /* ---------------------------------------------------------------- host ↔ guest */

  private donateGuest(pfn: bigint, gfn: bigint): RetOutcome {
    const vm = this.loadedVm();
    if (!vm || !vm.protected) return { ret: -EINVAL, warn: false };
    const phys = u64(pfn << 12n);
    const ipa = u64(gfn << 12n);
    let r = this.hostCheck(phys, 1, 'OWNED');
    if (r) return { ret: r, warn: false };
    r = this.guestCheckNopage(vm, ipa, 1);
    if (r) return { ret: r, warn: false };
    if (this.memcacheShort()) return { ret: -ENOMEM, warn: false }; /* R14 */
    const warn = gfn >> GFN_META_BITS !== 0n; /* R5: host_stage2_encode_gfn_meta() */
    const metaGfn = gfn & ((1n << GFN_META_BITS) - 1n);
    this.setHost(phys >> 12n, 'NOPAGE', { id: 'GUEST', handle: vm.handle, gfn: metaGfn });
    vm.maps.set(ipa >> 12n, { gfn: ipa >> 12n, pfn: phys >> 12n, pages: 1, state: 'OWNED', prot: { r: true, w: true, x: true }, young: true });
    return { ret: 0, warn };
  }

  /** R14: the observed EL2 memcache count for the next donate/share (consumed by it). */
  memcachePages: bigint | null = null;
  private memcacheForCall: bigint | null = null;
  private memcacheShort(): boolean {
    const n = this.memcacheForCall;
    const levels = Math.max(2, Math.floor((this.cfg.ipaBits - 8) / 9));
    return n !== null && n < BigInt(levels - 1);
  }

  private shareGuest(pfn: bigint, gfn: bigint, nr: bigint, prot: bigint): RetOutcome {
    const vm = this.loadedVm();
    if (!vm || vm.protected) return { ret: -EINVAL, warn: false };
    const phys = u64(pfn << 12n);
    const ipa = u64(gfn << 12n);
    if (prot & ~PROT_RWX) return { ret: -EINVAL, warn: false };
    if (!this.pfnRangeValid(pfn, nr)) return { ret: -EINVAL, warn: false };
    const pages = this.transitionPages(phys, ipa, nr);
    if (pages < 0) return { ret: pages, warn: false };
    let r = this.checkRangeAllowedMemory(phys, u64(phys + BigInt(pages) * PAGE));
    if (r) return { ret: r, warn: false };
    r = this.guestCheckNopage(vm, ipa, pages);
    if (r) return { ret: r, warn: false };
    for (let i = 0; i < pages; i++) {
      const p = this.page((phys >> 12n) + BigInt(i));
      if (p.host === 'OWNED' && p.dma) return { ret: -EINVAL, warn: false }; /* R13 */
      if (p.host === 'OWNED') continue;
      if (p.host === 'SHARED_OWNED') {
        if (p.shareCount === U32_MAX) return { ret: -EBUSY, warn: false };
        if (p.shareCount) continue; /* only host → np-guest multi-sharing is tolerated */
      }
      return { ret: -EPERM, warn: false };
    }
    if (this.memcacheShort()) return { ret: -ENOMEM, warn: false }; /* R14 */
    for (let i = 0; i < pages; i++) {
      const p = this.pageMut((phys >> 12n) + BigInt(i));
      p.host = 'SHARED_OWNED';
      p.owner = null;
      p.shareCount++;
    }
    /* R5: without FEAT_XNX, PX and UX must agree or the stage-2 map fails after the host update. */
    if (((prot & PROT_PX) !== 0n) !== ((prot & PROT_UX) !== 0n)) return { ret: 0, warn: true };
    vm.maps.set(ipa >> 12n, {
      gfn: ipa >> 12n, pfn: phys >> 12n, pages, state: 'SHARED_BORROWED', young: true,
      prot: { r: (prot & PROT_R) !== 0n, w: (prot & PROT_W) !== 0n, x: (prot & PROT_X) === PROT_X },
    });
    return { ret: 0, warn: false };
  }

  /** get_np_pkvm_hyp_vm(): a non-protected VM, dying or not (get_pkvm_hyp_vm() references dying VMs). */
  private npVm(handle: number): VmM | null {
    const vm = this.vmByHandle(handle);
    return vm && !vm.protected ? vm : null;
  }

  private unshareGuest(handle: number, gfn: bigint, nr: bigint): RetOutcome {
    const vm = this.npVm(handle);
    if (!vm) return { ret: -EINVAL, warn: false };
    return this.unshareGuestIn(vm, u64(gfn << 12n), nr);
  }

  /** __pkvm_host_unshare_guest() */
  private unshareGuestIn(vm: VmM, ipa: bigint, nr: bigint): RetOutcome {
    const pages = this.transitionPages(0n, ipa, nr);
    if (pages < 0) return { ret: pages, warn: false };
    const c = this.checkHostSharedGuest(vm, ipa, pages);
    if (c.ret) return { ret: c.ret, warn: false };
    const m = c.m!;
    vm.maps.delete(m.gfn);
    for (let i = 0; i < m.pages; i++) {
      const p = this.pageMut(m.pfn + BigInt(i));
      p.shareCount--;
      if (!p.shareCount) this.setHost(m.pfn + BigInt(i), 'OWNED');
    }
    return { ret: 0, warn: false };
  }

  /** assert_host_shared_guest() (R5): does it WARN? */
  private assertHostSharedGuestWarns(vm: VmM, ipa: bigint, pages: number): boolean {
    const r = this.checkHostSharedGuest(vm, ipa, pages).ret;
    return r !== 0 && r !== -ENOENT;
  }

  private relaxPerms(gfn: bigint, prot: bigint): RetOutcome {
    const vm = this.loadedVm();
    if (!vm || vm.protected) return { ret: -EINVAL, warn: false };
    const ipa = u64(gfn << 12n);
    if (prot & ~PROT_RWX) return { ret: -EINVAL, warn: false };
    const warn = this.assertHostSharedGuestWarns(vm, ipa, 0);
    if (((prot & PROT_PX) !== 0n) !== ((prot & PROT_UX) !== 0n)) return { ret: -EINVAL, warn };
    if (!this.ipaInRange(ipa, 1)) return { ret: -ERANGE, warn };
    const m = this.mappingAt(vm, ipa >> 12n);
    if (!m) return { ret: -EAGAIN, warn }; /* R4 */
    m.prot = { r: m.prot.r || (prot & PROT_R) !== 0n, w: m.prot.w || (prot & PROT_W) !== 0n, x: (prot & PROT_X) === PROT_X };
    return { ret: 0, warn };
  }

  private wrprotect(handle: number, gfn: bigint, nr: bigint): RetOutcome {
    const vm = this.npVm(handle);
    if (!vm) return { ret: -EINVAL, warn: false };
    const ipa = u64(gfn << 12n);
    const pages = this.transitionPages(0n, ipa, nr);
    if (pages < 0) return { ret: pages, warn: false };
    const warn = this.assertHostSharedGuestWarns(vm, ipa, pages);
    if (!this.ipaInRange(ipa, pages)) return { ret: -ERANGE, warn };
    const first = ipa >> 12n;
    for (let g = first; g < first + BigInt(pages);) {
      const m = this.mappingAt(vm, g);
      if (!m) return { ret: -EAGAIN, warn }; /* R4 */
      m.prot = { ...m.prot, w: false };
      g = m.gfn + BigInt(m.pages);
    }
    return { ret: 0, warn };
  }

  /** R18 __pkvm_host_test_clear_young_guest(handle, gfn, nr, mkold) */
  private testClearYoung(handle: number, gfn: bigint, nr: bigint, mkold: boolean): RetOutcome {
    const vm = this.npVm(handle);
    if (!vm) return { ret: -EINVAL, warn: false };
    const ipa = u64(gfn << 12n);
    const pages = this.transitionPages(0n, ipa, nr);
    if (pages < 0) return { ret: pages, warn: false };
    const warn = this.assertHostSharedGuestWarns(vm, ipa, pages);
    if (!this.ipaInRange(ipa, pages)) return { ret: 0, warn: true }; /* WARN_ON(kvm_pgtable_walk()): -ERANGE */
    let young = false;
    const seen = new Set<MappingM>();
    for (let g = ipa >> 12n, i = 0; i < pages; i++, g++) {
      const m = this.mappingAt(vm, g);
      if (!m || seen.has(m)) continue;
      seen.add(m);
      if (m.young === false) continue;
      young = true;
      if (mkold) m.young = false;
    }
    return { ret: young ? 1 : 0, warn };
  }

  /** R18 __pkvm_host_mkyoung_guest(gfn) on the loaded non-protected vCPU */
  private mkyoung(gfn: bigint): RetOutcome {
    const vm = this.loadedVm();
    if (!vm || vm.protected) return { ret: -EINVAL, warn: false };
    const ipa = u64(gfn << 12n);
    const warn = this.assertHostSharedGuestWarns(vm, ipa, 0);
    const m = this.ipaInRange(ipa, 1) ? this.mappingAt(vm, ipa >> 12n) : null;
    if (m) m.young = true;
    return { ret: 0, warn };
  }

  /* ---------------------------------------------------------------- guest → host */

  /** The VM of the loaded vCPU making a guest call (a guest call needs one). */
  private guestCallVm(): VmM {
    const vm = this.loadedVm();
    if (!vm) throw new Error('model: guest call without a loaded vCPU');
    return vm;
  }

  guestShareHost(gfn: bigint): RetOutcome {
    const vm = this.guestCallVm();
    const ipa = u64(gfn << 12n);
    const v = this.validGuestPte(vm, ipa);
    if (v.ret) return { ret: v.ret, warn: false };
    const m = v.m!;
    if (m.state !== 'OWNED') return { ret: -EPERM, warn: false };
    if (this.hostCheck(v.phys!, 1, 'NOPAGE')) return { ret: -EPERM, warn: false };
    m.state = 'SHARED_OWNED';
    this.setHost(m.pfn, 'SHARED_BORROWED');
    return { ret: 0, warn: false };
  }

  guestUnshareHost(gfn: bigint): RetOutcome {
    const vm = this.guestCallVm();
    const ipa = u64(gfn << 12n);
    const v = this.validGuestPte(vm, ipa);
    if (v.ret) return { ret: v.ret, warn: false };
    const m = v.m!;
    if (m.state !== 'SHARED_OWNED') return { ret: -EPERM, warn: false };
    if (this.hostCheck(v.phys!, 1, 'SHARED_BORROWED')) return { ret: -EPERM, warn: false };
    if (this.page(m.pfn).dma) return { ret: -EBUSY, warn: false }; /* R13: the host maps it for DMA */
    const warn = gfn >> GFN_META_BITS !== 0n;
    this.setHost(m.pfn, 'NOPAGE', { id: 'GUEST', handle: vm.handle, gfn: gfn & ((1n << GFN_META_BITS) - 1n) });
    m.state = 'OWNED';
    return { ret: 0, warn };
  }

  /**
   * A guest HVC (R12) on the loaded vCPU with x1..x3 = ipa, x2, x3: x0..x3 as the guest sees them
   * (null: untouched, the exit went to the host unanswered) and where the vCPU goes next.
   */
  guestHvc(fn: GuestHvcFn, ipa: bigint, x2: bigint, x3 = 0n): GuestHvcOutcome {
    const vm = this.guestCallVm();
    const INVALID = u64(-3n);
    const ret = (x0: bigint, exit: GuestHvcExit = 'guest', warn = false): GuestHvcOutcome => ({ regs: [u64(x0), 0n, 0n, 0n], exit, warn });
    const toHost = (exit: GuestHvcExit = 'host'): GuestHvcOutcome => ({ regs: null, exit, warn: false });
    const meminfo = (): GuestHvcOutcome => ret(ipa || x2 || x3 ? INVALID : PAGE);
    const gfn = ipa >> 12n;
    if ((this.cfg.guestHvcAbi ?? 'upstream') === 'upstream') {
      /* R12b */
      if (!vm.protected) return toHost();
      switch (fn) {
        case 'features': return ret(UPSTREAM_PVM_FEATURES);
        case 'meminfo': return meminfo();
        case 'share': {
          if (x2 || x3 || ipa & (PAGE - 1n)) return ret(INVALID);
          const r = this.guestShareHost(gfn);
          if (r.ret === 0) return ret(0n, 'guest', r.warn);
          if (r.ret === -ENOENT) return { regs: null, exit: 'host-fault', warn: r.warn };
          return ret(INVALID, 'guest', r.warn);
        }
        case 'unshare': {
          if (x2 || x3 || ipa & (PAGE - 1n)) return ret(INVALID);
          const r = this.guestUnshareHost(gfn);
          return ret(r.ret ? INVALID : 0n, 'guest', r.warn);
        }
        default: return toHost();
      }
    }
    /* R12a */
    if (fn.startsWith('guard_')) return this.mmioGuardCall(vm, fn, ipa, x2, x3);
    if (!vm.protected) {
      if (fn === 'meminfo') return meminfo();
      if (fn !== 'relinquish') return toHost(); /* discovery, PSCI, MEM_SHARE / MEM_UNSHARE: the host's */
    } else {
      switch (fn) {
        case 'version': return ret(0x10001n);
        case 'uid': return { regs: [...KVM_VENDOR_HYP_UID], exit: 'guest', warn: false };
        case 'features': return ret(ANDROID_PVM_FEATURES);
        case 'meminfo': return meminfo();
        case 'psci_version': return ret(0x10001n); /* PSCI 1.1 */
        case 'psci_features': return ret(ANDROID_PVM_PSCI_FUNCS.has(ipa & 0xffff_ffffn) ? 0n : u64(-1n));
        case 'cpu_on': case 'cpu_off': case 'affinity_info': return this.guestPsci(vm, fn, ipa, x2);
      }
    }
    const mem = vm.layout.memIpa;
    const declared = mem.size === 0n || (ipa >= mem.base && ipa < mem.base + mem.size);
    if (x2 || x3 || ipa & (PAGE - 1n) || ipa >= 1n << BigInt(this.cfg.ipaBits) || !declared) return ret(INVALID);
    if (fn === 'share') {
      const r = this.guestShareHost(gfn);
      if (r.ret === 0) return ret(0n, 'host-share', r.warn);
      if (r.ret === -ENOENT) return { regs: null, exit: 'host-fault', warn: r.warn };
      return ret(INVALID, 'guest', r.warn);
    }
    if (fn === 'unshare') {
      const r = this.guestUnshareHost(gfn);
      return r.ret ? ret(INVALID, 'guest', r.warn) : ret(0n, 'host-unshare', r.warn);
    }
    if (vm.poison.has(gfn)) return ret(INVALID);
    const m = this.mappingAt(vm, gfn);
    if (!m) return ret(0n);
    if (m.pages !== 1) return ret(INVALID);
    const r = m.state === 'SHARED_BORROWED' ? this.unshareGuestIn(vm, ipa, 1n) : this.reclaimPage(vm, gfn);
    return r.ret ? ret(INVALID, 'guest', r.warn) : ret(0n, 'host-relinquish', r.warn);
  }

  /**
   * R20: PSCI power management of a protected guest at EL2 (Android's pkvm_handle_psci(), the SMC64
   * forms): x1 = target MPIDR (CPU_ON, AFFINITY_INFO), x2 = entry point / lowest affinity level.
   */
  private guestPsci(vm: VmM, fn: GuestHvcFn, x1: bigint, x2: bigint): GuestHvcOutcome {
    const ret = (x0: number): GuestHvcOutcome => ({ regs: [u64(BigInt(x0)), 0n, 0n, 0n], exit: 'guest', warn: false });
    /* vCPU i's MPIDR_EL1 affinity is i (the reset value EL2 gives it); only registered vCPUs answer. */
    const vcpus = vm.vcpuInit.map((ok, i) => (ok ? i : -1)).filter((i) => i >= 0);
    const me = this.loaded!.vcpu;
    if (fn === 'cpu_off') {
      vm.power[me] = AFF_OFF;
      return { regs: null, exit: 'host-cpu-off', warn: false };
    }
    if (x1 & ~MPIDR_HWID_BITMASK) return ret(PSCI_INVALID_PARAMETERS);
    if (fn === 'cpu_on') {
      const t = vcpus.find((i) => BigInt(i) === x1);
      if (t === undefined) return ret(PSCI_INVALID_PARAMETERS);
      if (vm.power[t] === AFF_ON_PENDING) return ret(PSCI_ON_PENDING);
      if (vm.power[t] === AFF_ON) return ret(PSCI_ALREADY_ON);
      vm.power[t] = AFF_ON_PENDING;
      return { regs: null, exit: 'host-cpu-on', warn: false };
    }
    /* AFFINITY_INFO: psci_affinity_mask(lowest level), the strongest state among matching vCPUs. */
    if (x2 > 3n) return ret(PSCI_INVALID_PARAMETERS);
    const shift = BigInt(((1 << Number(x2)) >> 1) << 3);
    const mask = MPIDR_HWID_BITMASK & ~((1n << shift) - 1n);
    const match = vcpus.filter((i) => (BigInt(i) & mask) === (x1 & mask));
    if (!match.length) return ret(PSCI_INVALID_PARAMETERS);
    if (match.some((i) => vm.power[i] === AFF_ON)) return ret(AFF_ON);
    return ret(match.some((i) => vm.power[i] === AFF_ON_PENDING) ? AFF_ON_PENDING : AFF_OFF);
  }

  /** R12c: the MMIO guard calls of Android's ABI, at EL2 for both kinds of VM (x1 = IPA, x2 = attributes, x3 = 0). */
  private mmioGuardCall(vm: VmM, fn: GuestHvcFn, ipa: bigint, x2: bigint, x3: bigint): GuestHvcOutcome {
    const res = (ok: boolean): GuestHvcOutcome => ({ regs: [ok ? 0n : u64(-3n), 0n, 0n, 0n], exit: 'guest', warn: false });
    const g = vm.guard;
    switch (fn) {
      case 'guard_info': return { regs: [ipa || x2 || x3 ? u64(-3n) : PAGE, 0n, 0n, 0n], exit: 'guest', warn: false };
      case 'guard_enroll':
        if (ipa || x2 || x3) return res(false);
        g.enrolled = true;
        return res(true);
      case 'guard_map': {
        if (x3 || !g.enrolled || ipa & (PAGE - 1n) || ipa >= 1n << BigInt(this.cfg.ipaBits)) return res(false);
        const mem = vm.layout.memIpa;
        if (mem.size && ipa >= mem.base && ipa < mem.base + mem.size) return res(false); /* memory is not MMIO */
        if (this.guestState(vm, ipa >> 12n) !== 'NOPAGE') return res(false); /* mapped or poisoned at stage 2 */
        g.granules.add(ipa);
        return res(true);
      }
      default: /* guard_unmap */
        if (x3 || !g.enrolled || ipa & (PAGE - 1n)) return res(false);
        return res(g.granules.delete(ipa));
    }
  }

  /* ---------------------------------------------------------------- reclaim and teardown */

  private forceReclaim(physArg: bigint): RetOutcome {
    const phys = physArg & ~(PAGE - 1n); /* R7 */
    if (!this.isRam(phys)) return { ret: -EFAULT, warn: false };
    const p = this.page(phys >> 12n);
    if (p.host !== 'NOPAGE') return { ret: -EAGAIN, warn: false };
    if (!p.owner || p.owner.id !== 'GUEST') return { ret: -EPERM, warn: false };
    const vm = this.vmByHandle(p.owner.handle);
    if (!vm) return { ret: -EAGAIN, warn: false }; /* raced with teardown */
    const gfn = p.owner.gfn;
    const v = this.validGuestPte(vm, u64(gfn << 12n));
    if (v.ret) return { ret: v.ret, warn: false };
    const warn = v.phys !== phys;
    if (v.m!.state !== 'OWNED') return { ret: -EPERM, warn };
    vm.maps.delete(v.m!.gfn);
    vm.poison.add(gfn);
    this.pageMut(phys >> 12n).content = 0n; /* hyp_poison_page() */
    this.setHost(phys >> 12n, 'OWNED');
    return { ret: 0, warn };
  }

  private reclaimDying(handle: number, gfn: bigint): RetOutcome {
    const vm = this.vmByHandle(handle);
    if (!vm || !vm.dying) return { ret: -EINVAL, warn: false };
    return this.reclaimPage(vm, gfn);
  }

  /** __pkvm_host_reclaim_page_guest() */
  private reclaimPage(vm: VmM, gfn: bigint): RetOutcome {
    const v = this.validGuestPte(vm, u64(gfn << 12n));
    if (v.ret === -EHWPOISON) return { ret: 0, warn: false }; /* R6 */
    if (v.ret) return { ret: v.ret, warn: false };
    const m = v.m!;
    const pfn = m.pfn;
    let warn = false;
    if (m.state === 'OWNED') {
      warn = this.page(pfn).host !== 'NOPAGE';
      this.pageMut(pfn).content = 0n; /* hyp_poison_page() */
    } else if (m.state === 'SHARED_OWNED') {
      warn = this.page(pfn).host !== 'SHARED_BORROWED';
    } else {
      return { ret: -EPERM, warn: false };
    }
    vm.maps.delete(m.gfn);
    this.setHost(pfn, 'OWNED');
    return { ret: 0, warn };
  }

  /** get_pkvm_unref_hyp_vm_locked(): the VM if unreferenced (no loaded vCPU) and in the dying state asked for. */
  private unrefVm(handle: number, dying: boolean): VmM | null {
    const vm = this.vmByHandle(handle);
    if (!vm || (this.loaded && this.slots[this.loaded.slot] === vm)) return null;
    return vm.dying === dying ? vm : null;
  }

  private startTeardown(handle: number): RetOutcome {
    const vm = this.unrefVm(handle, false);
    if (!vm) return { ret: -EINVAL, warn: false };
    vm.dying = true;
    return { ret: 0, warn: false };
  }

  private finalizeTeardown(handle: number): RetOutcome {
    const vm = this.unrefVm(handle, true);
    if (!vm) return { ret: -EINVAL, warn: false };
    this.slots[handle - HANDLE_OFFSET] = null;
    const l = vm.layout;
    const hypVcpus = l.hypVcpuPfns.filter((p, i) => p !== undefined && vm.vcpuInit[i]); /* R19: registered vCPUs only */
    for (const pfn of [...l.pgdPfns, ...hypVcpus, ...l.vmPfns]) this.hypDonateHost(pfn); /* R9 */
    for (const pfn of vm.pins) this.pageMut(pfn).pin--;
    return { ret: 0, warn: false };
  }

  /* ---------------------------------------------------------------- vCPUs */

  private vcpuLoad(handle: number, idx: number): void {
    if (this.loaded) return;
    const vm = this.vmByHandle(handle);
    if (!vm || vm.dying || idx >= vm.nrVcpus || !vm.vcpuInit[idx]) return;
    this.loaded = { slot: handle - HANDLE_OFFSET, vcpu: idx };
  }
  private vcpuPut(): void {
    this.loaded = null;
  }

  /** Expected hyp_page refcount of the VM's first struct page (R8). */
  vmPageRefcount(vm: VmM): number {
    return this.loaded && this.slots[this.loaded.slot] === vm ? 1 : 0;
  }

  /* ---------------------------------------------------------------- IOMMU (R13) */

  private pv(): boolean { return this.cfg.iommu === 'hypercall'; }
  private static pgsizeOk(pgsize: bigint): boolean { return pgsize === PAGE || pgsize === PAGE << 9n || pgsize === PAGE << 18n; }
  private domainRefs(domain: number): number {
    let n = 0;
    for (const d of this.streams.values()) if (d === domain) n++;
    return n;
  }
  /** The leaf translating iova in a domain, or null. */
  ioLeaf(d: DomainM, iova: bigint): IoMapM | null {
    const m = d.maps.get(iova & ~(PAGE - 1n));
    if (m) return m;
    const b = d.maps.get(iova & ~(PAGE * BigInt(BLOCK_PAGES) - 1n));
    return b && b.pages === BLOCK_PAGES ? b : null;
  }
  private ioOverlaps(d: DomainM, iova: bigint, len: bigint): boolean {
    for (const m of d.maps.values()) if (m.iova < iova + len && iova < m.iova + BigInt(m.pages) * PAGE) return true;
    return false;
  }

  /** __pkvm_host_iommu_alloc_domain (its final answer, after the host served any memory request). */
  iommuAllocDomain(domain: number, type: bigint): number {
    if (!this.pv()) return -ENODEV;
    if (domain === 0 || this.domains.has(domain)) return -EINVAL;
    if (BigInt.asIntN(32, type) !== 1n) return -EINVAL;
    this.domains.set(domain, { id: domain, maps: new Map() });
    return 0;
  }
  iommuFreeDomain(domain: number): number {
    if (!this.pv()) return -ENODEV;
    if (!this.domains.has(domain) || this.domainRefs(domain)) return -EINVAL;
    this.domains.delete(domain); /* DMA references of remaining leaves are kept */
    return 0;
  }
  iommuAttach(iommuId: number, domain: number, sid: bigint, pasid: bigint): number {
    if (!this.pv()) return -ENODEV;
    if (iommuId !== 0) return -EINVAL;
    if (!this.domains.has(domain) || sid >= BigInt(NR_STREAMS)) return -EINVAL;
    if (this.streams.has(Number(sid)) || pasid) return -EBUSY;
    this.streams.set(Number(sid), domain);
    return 0;
  }
  iommuDetach(iommuId: number, domain: number, sid: bigint, pasid: bigint): number {
    if (!this.pv()) return -ENODEV;
    if (iommuId !== 0) return -EINVAL;
    if (!this.domains.has(domain) || !this.domainRefs(domain) || sid >= BigInt(NR_STREAMS) || pasid) return -EINVAL;
    if (this.streams.get(Number(sid)) !== domain) return -EINVAL;
    this.streams.delete(Number(sid));
    return 0;
  }

  /** __pkvm_host_iommu_map_pages as the host driver calls it (again after each memory request):
   * the bytes mapped in all. */
  iommuMap(domain: number, iova: bigint, pa: bigint, pgsize: bigint, pgcount: bigint, prot: bigint): bigint {
    if (!this.pv()) return 0n;
    if (prot & ~BigInt(IOMMU_PROT_MASK)) return 0n;
    const size = pgsize * pgcount;
    if (size > M64 || iova + size > M64 || pa + size > M64) return 0n;
    if (domain === 0) return 0n;
    const d = this.domains.get(domain);
    if (!d) return 0n;
    if (!PkvmModel.pgsizeOk(pgsize) || (iova | pa) & (pgsize - 1n)) return 0n;
    if (iova + size > 1n << IOMMU_IAS) return 0n;
    if (!(prot & BigInt(IOMMU_READ | IOMMU_WRITE)) || !pgcount) return 0n;
    /* __pkvm_host_use_dma() */
    const nr = size >> 12n;
    if (!this.pfnRangeValid(pa >> 12n, nr)) return 0n;
    if (this.checkRangeAllowedMemory(pa, pa + size)) return 0n;
    for (let i = 0n; i < nr; i++) if (this.page((pa >> 12n) + i).host === 'NOPAGE') return 0n;
    let mapped = 0n;
    while (mapped < size && !this.ioOverlaps(d, iova + mapped, pgsize)) {
      const m: IoMapM = {
        iova: iova + mapped, pfn: (pa + mapped) >> 12n, pages: Number(pgsize >> 12n),
        r: (prot & BigInt(IOMMU_READ)) !== 0n, w: (prot & BigInt(IOMMU_WRITE)) !== 0n,
      };
      d.maps.set(m.iova, m);
      for (let i = 0; i < m.pages; i++) this.pageMut(m.pfn + BigInt(i)).dma++;
      mapped += pgsize;
    }
    return mapped;
  }

  iommuUnmap(domain: number, iova: bigint, pgsize: bigint, pgcount: bigint): bigint {
    if (!this.pv() || !pgsize || !pgcount) return 0n;
    const size = pgsize * pgcount;
    if (size > M64 || iova + size > M64 || domain === 0) return 0n;
    const d = this.domains.get(domain);
    if (!d || !PkvmModel.pgsizeOk(pgsize) || iova & (pgsize - 1n)) return 0n;
    let un = 0n;
    while (un < size) {
      const at = iova + un;
      if (at + pgsize > 1n << IOMMU_IAS) break;
      const m = d.maps.get(at);
      if (!m || BigInt(m.pages) * PAGE !== pgsize) break;
      d.maps.delete(at);
      for (let i = 0; i < m.pages; i++) this.pageMut(m.pfn + BigInt(i)).dma--;
      un += pgsize;
    }
    return un;
  }

  iommuIovaToPhys(domain: number, iova: bigint): bigint {
    const d = this.pv() ? this.domains.get(domain) : undefined;
    if (!d || iova >= 1n << IOMMU_IAS) return 0n;
    const m = this.ioLeaf(d, iova);
    return m ? (m.pfn << 12n) + (iova - m.iova) : 0n;
  }

  /** __pkvm_hyp_alloc_mgt_refill of a list of pages (head first): -EINVAL at the first page the
   * host cannot donate, the pages before it stay admitted. Allocator 0 is the hyp heap (upstream's
   * hyp_alloc_topup(): each page donated to the hyp joins its memcache; the first that cannot be
   * donated stops it with -ENOMEM). */
  iommuRefill(id: bigint, pfns: bigint[]): number {
    if (id === 0n) {
      for (const pfn of pfns) {
        if (!this.pfnRangeValid(pfn, 1n) || this.donateHyp(pfn)) return -ENOMEM;
        this.heap.add(pfn);
      }
      return 0;
    }
    if (!this.cfg.iommu || id !== 1n) return -EINVAL;
    for (const pfn of pfns) {
      if (!this.pfnRangeValid(pfn, 1n) || this.donateHyp(pfn)) return -EINVAL;
      this.pool.add(pfn);
    }
    return 0;
  }

  /**
   * Upstream's __pkvm_hyp_topup(id, list) (R17): PKVM_TOPUP_HYP_ALLOC (0) is the heap, admitted as
   * the Android refill above; any other id is -EINVAL with nothing moved. `left`: the pages the hyp
   * hands back in x3 (those it did not admit).
   */
  heapTopup(id: bigint, pfns: bigint[]): { ret: number; left: number } {
    if (id !== 0n) return { ret: -EINVAL, left: pfns.length };
    const before = this.heap.size;
    const ret = this.iommuRefill(0n, pfns);
    return { ret, left: pfns.length - (this.heap.size - before) };
  }

  /** __pkvm_hyp_alloc_mgt_reclaim: the pages the hyp gave back must be free pool pages; they return
   * to the host. An error string when they are not. */
  iommuReclaim(id: bigint, target: number, pfns: bigint[]): string | null {
    if (id === 0n) {
      /* hyp_alloc_reclaim(): nothing is allocated on the heap here, so its memcache pages come back, up to target. */
      const want = Math.min(Math.max(0, target), this.heap.size);
      if (pfns.length !== want) return `${pfns.length} heap pages given back, expected ${want} (target ${target}, ${this.heap.size} held)`;
      for (const pfn of pfns) {
        if (!this.heap.delete(pfn)) return `page 0x${pfn.toString(16)} was not in the hyp heap`;
        this.hypDonateHost(pfn);
      }
      return null;
    }
    if (!this.cfg.iommu || id !== 1n) return pfns.length ? `${pfns.length} pages given back for allocator ${id}` : null;
    if (pfns.length > Math.max(0, target)) return `${pfns.length} pages given back for a target of ${target}`;
    if (!pfns.length && target > 0 && this.pool.size && !this.domains.size) return `the pool has ${this.pool.size} free pages but none came back`;
    for (const pfn of pfns) {
      if (!this.pool.delete(pfn)) return `page 0x${pfn.toString(16)} was not in the IOMMU pool`;
      this.hypDonateHost(pfn);
    }
    return null;
  }

  /** Where the DMA stream translates iova (read or write), or null: a fault. */
  dmaTranslate(iova: bigint, write: boolean): bigint | null {
    if (this.cfg.iommu === 'mirror') return this.isRam(iova) && this.page(iova >> 12n).host !== 'NOPAGE' ? iova : null;
    if (this.cfg.iommu !== 'hypercall') return null;
    const dom = this.streams.get(DMA_SID);
    const d = dom === undefined ? undefined : this.domains.get(dom);
    if (!d || iova >= 1n << IOMMU_IAS) return null;
    const m = this.ioLeaf(d, iova);
    if (!m || !(write ? m.w : m.r)) return null;
    return (m.pfn << 12n) + (iova - m.iova);
  }

  /** A copy by the DMA engine (stream DMA_SID): chunks never cross a page on either side. The first
   * word of a destination page follows the source's when a chunk starts there. */
  dmaCopy(src: bigint, dst: bigint, len: bigint): DmaOutcome {
    const touched: DmaOutcome['touched'] = [];
    let done = 0n;
    while (done < len) {
      const s = u64(src + done);
      const d = u64(dst + done);
      let n = len - done;
      if (PAGE - (s & (PAGE - 1n)) < n) n = PAGE - (s & (PAGE - 1n));
      if (PAGE - (d & (PAGE - 1n)) < n) n = PAGE - (d & (PAGE - 1n));
      const ps = this.dmaTranslate(s, false);
      if (ps === null) return { status: 2, done, stop: { iova: s, write: false }, touched };
      const pd = this.dmaTranslate(d, true);
      if (pd === null) return { status: 2, done, stop: { iova: d, write: true }, touched };
      touched.push({ pfn: ps >> 12n, write: false }, { pfn: pd >> 12n, write: true });
      if ((pd & (PAGE - 1n)) === 0n) {
        const v = (ps & (PAGE - 1n)) === 0n && n >= 8n ? this.page(ps >> 12n).content : null;
        this.pageMut(pd >> 12n).content = v;
      } else if ((pd & (PAGE - 1n)) < 8n) this.pageMut(pd >> 12n).content = null;
      done += n;
    }
    return { status: 1, done, stop: null, touched };
  }

  /* ---------------------------------------------------------------- dispatch */

  /** A host hypercall through the SMCCC frame (R10); x1..x4 are the arguments. */
  hcall(x0: bigint, args: bigint[]): HcallOutcome {
    const a = (i: number): bigint => u64(args[i] ?? 0n);
    const x1in = a(0);
    this.memcacheForCall = this.memcachePages; /* R14: good for this call only */
    this.memcachePages = null;
    const n = u64((x0 & ~SMCCC_HINT_BIT) - HCALL_BASE);
    const name = n < BigInt(MODEL_HOST_HCALLS.length) ? MODEL_HOST_HCALLS[Number(n)] : undefined;
    const unsupported: HcallOutcome = { x0: SMCCC_RET_NOT_SUPPORTED, x1: x1in, warn: false };
    if (n < BigInt(MIN_PKVM) || n >= 0x1000n) return unsupported;
    if (!name) throw new Error(`model: function ${n} past the modelled table`);
    const done = (o: RetOutcome): HcallOutcome => ({ x0: 0n, x1: u64(BigInt(o.ret)), warn: o.warn });
    const h16 = (v: bigint): number => Number(v & 0xffffn);
    switch (name) {
      case '__pkvm_prot_finalize':
        return done({ ret: this.finalized ? -EPERM : ((this.finalized = true), 0), warn: false });
      case '__pkvm_host_share_hyp': return done(this.shareHyp(a(0)));
      case '__pkvm_host_unshare_hyp': return done(this.unshareHyp(a(0)));
      case '__pkvm_host_donate_guest': return done(this.donateGuest(a(0), a(1)));
      case '__pkvm_host_share_guest': return done(this.shareGuest(a(0), a(1), a(2), a(3)));
      case '__pkvm_host_unshare_guest': return done(this.unshareGuest(h16(a(0)), a(1), a(2)));
      case '__pkvm_host_relax_perms_guest': return done(this.relaxPerms(a(0), a(1)));
      case '__pkvm_host_wrprotect_guest': return done(this.wrprotect(h16(a(0)), a(1), a(2)));
      case '__pkvm_host_test_clear_young_guest': return done(this.testClearYoung(h16(a(0)), a(1), a(2), a(3) !== 0n));
      case '__pkvm_host_mkyoung_guest': return done(this.mkyoung(a(0)));
      case '__pkvm_force_reclaim_guest_page': return done(this.forceReclaim(a(0)));
      case '__pkvm_reclaim_dying_guest_page': return done(this.reclaimDying(h16(a(0)), a(1)));
      case '__pkvm_reserve_vm': return done({ ret: this.reserveVm(), warn: false });
      case '__pkvm_unreserve_vm':
        this.unreserveVm(h16(a(0)));
        return { x0: 0n, x1: x1in, warn: false };
      case '__pkvm_init_vm': return done(this.initVm(a(0), a(1), a(2)));
      case '__pkvm_init_vcpu': return done(this.initVcpu(h16(a(0)), a(1), a(2)));
      case '__pkvm_start_teardown_vm': return done(this.startTeardown(h16(a(0))));
      case '__pkvm_finalize_teardown_vm': return done(this.finalizeTeardown(h16(a(0))));
      case '__pkvm_vcpu_load':
        this.vcpuLoad(h16(a(0)), Number(a(1) & 0xffffffffn));
        return { x0: 0n, x1: x1in, warn: false };
      case '__pkvm_vcpu_put':
        this.vcpuPut();
        return { x0: 0n, x1: x1in, warn: false };
      /* R16: void; copies a loaded non-protected vCPU's registers to the host (not modelled). */
      case '__pkvm_vcpu_sync_state':
        return { x0: 0n, x1: x1in, warn: false };
      case '__kvm_vcpu_run': {
        /* R16: x1 must be the loaded vCPU's host struct kvm_vcpu, else -EINVAL (the run itself is not modelled). */
        const l = this.loaded;
        const want = l ? this.slots[l.slot]?.layout.hostVcpuPas?.[l.vcpu] : undefined;
        if (want === undefined || a(0) !== want) return done({ ret: -EINVAL, warn: false });
        throw new Error('model: __kvm_vcpu_run of the loaded vCPU is not modelled');
      }
      /* R17: the hyp heap (allocator 0) holds its refilled pages in its memcache (nothing is allocated
       * on it here): reclaimable = those pages; an id past the allocators (>= 2): 0. */
      case '__pkvm_hyp_reclaimable': /* upstream: PKVM_TOPUP_HYP_ALLOC (0) is the heap; any other id 0 */
        return { x0: 0n, x1: a(0) === 0n ? BigInt(this.heap.size) : 0n, warn: false };
      case '__pkvm_hyp_alloc_mgt_reclaimable':
        if (a(0) === 0n) return { x0: 0n, x1: BigInt(this.heap.size), warn: false };
        if (a(0) >= 2n) return { x0: 0n, x1: 0n, warn: false };
        throw new Error('model: the IOMMU pool\'s reclaimable count is not modelled');
      /*
       * Hypervisor tracing (hyp/tracing/, nvhe/trace.c), never loaded here: load of an unaligned or
       * empty descriptor -EINVAL (others are not generated); enable(true) -EINVAL, enable(false) 0;
       * swap_reader/reset -EINVAL for a CPU past the hyp's one, else -ENODEV; enable_event -EINVAL
       * past the last event id (7 events); the void calls leave x1 alone.
       */
      case '__tracing_load': return done({ ret: (a(0) & 0xfffn) || (a(1) & 0xfffn) || !a(1) ? -EINVAL : -ENODEV, warn: false });
      case '__tracing_enable': return done({ ret: a(0) ? -EINVAL : 0, warn: false });
      case '__tracing_swap_reader': case '__tracing_reset':
        return done({ ret: (a(0) & 0xffffffffn) >= 1n ? -EINVAL : -ENODEV, warn: false });
      case '__tracing_enable_event': return done({ ret: (a(0) & 0xffffn) >= 7n ? -EINVAL : 0, warn: false });
      case '__tracing_unload': case '__tracing_update_clock': case '__tracing_write_event':
        return { x0: 0n, x1: x1in, warn: false };
      case '__pkvm_host_iommu_free_domain': return done({ ret: this.iommuFreeDomain(h16(a(0))), warn: false });
      case '__pkvm_host_iommu_attach_dev':
        return done({ ret: this.iommuAttach(h16(a(0)), h16(a(1)), a(2) & 0xffffffffn, a(3) & 0xffffffffn), warn: false });
      case '__pkvm_host_iommu_detach_dev':
        return done({ ret: this.iommuDetach(h16(a(0)), h16(a(1)), a(2) & 0xffffffffn, a(3) & 0xffffffffn), warn: false });
      case '__pkvm_host_iommu_unmap_pages': return { x0: 0n, x1: this.iommuUnmap(h16(a(0)), a(1), a(2), a(3)), warn: false };
      case '__pkvm_host_iommu_iova_to_phys': return { x0: 0n, x1: this.iommuIovaToPhys(h16(a(0)), a(1)), warn: false };
      default:
        throw new Error(`model: hypercall ${name} is not modelled`);
    }
  }

  /* ---------------------------------------------------------------- memory accesses */

  /** A host kernel access of 8 bytes at pa (R11). */
  hostAccess(pa: bigint, write: boolean, value = 0n): AccessOutcome {
    if (!this.isRam(pa) || !this.isRam(pa + 7n)) return { ok: false, errno: -EFAULT };
    const pfn = pa >> 12n;
    if (this.page(pfn).host === 'NOPAGE') return { ok: false, errno: -EPERM };
    return this.touch(pfn, pa, write, value);
  }

  /** A guest access of 8 bytes at the start of gfn through its stage-2 (no fault handling). */
  guestAccess(vm: VmM, gfn: bigint, write: boolean, value = 0n): AccessOutcome {
    const m = vm.poison.has(gfn) ? null : this.mappingAt(vm, gfn);
    if (!m || (write ? !m.prot.w : !m.prot.r) || m.young === false) return { ok: false, errno: -EFAULT }; /* a stage-2 fault (R18: AF clear, an access flag fault) */
    const pfn = m.pfn + (gfn - m.gfn);
    return this.touch(pfn, pfn << 12n, write, value);
  }

  private touch(pfn: bigint, pa: bigint, write: boolean, value: bigint): AccessOutcome {
    const offset = pa & (PAGE - 1n);
    if (write) {
      if (offset === 0n) this.pageMut(pfn).content = u64(value);
      return { ok: true, pa, value: null };
    }
    return { ok: true, pa, value: offset === 0n ? this.page(pfn).content : null };
  }

  /* ---------------------------------------------------------------- VM creation */

  /**
   * The host KVM's VM creation (kvm_share_hyp(struct kvm) → __pkvm_reserve_vm → __pkvm_init_vm →
   * per vCPU kvm_share_hyp(struct kvm_vcpu) + __pkvm_init_vcpu), applied as one step. Returns an
   * error string if the model thinks one of the calls must fail.
   */
  createVm(l: VmLayout): string | null {
    const slot = this.freeSlot();
    if (slot < 0) return 'no free VM slot';
    if (l.handle !== slot + HANDLE_OFFSET) return `handle 0x${l.handle.toString(16)} but the lowest free slot is ${slot}`;
    let r = this.shareHyp(l.kvmPfn).ret;
    if (r) return `share_hyp(struct kvm): ${r}`;
    this.pageMut(l.kvmPfn).pin++;
    for (const pfn of [...l.vmPfns, ...l.pgdPfns]) if ((r = this.donateHyp(pfn))) return `donate_hyp(0x${pfn.toString(16)}): ${r}`;
    for (let i = 0; i < l.nrVcpus; i++) {
      if ((r = this.shareHyp(l.hostVcpuPfns[i]!).ret)) return `share_hyp(struct kvm_vcpu): ${r}`;
      if ((r = this.donateHyp(l.hypVcpuPfns[i]!))) return `donate_hyp(hyp vcpu): ${r}`;
      this.pageMut(l.hostVcpuPfns[i]!).pin++;
    }
    this.slots[slot] = {
      layout: l, handle: l.handle, protected: l.protected, dying: false, nrVcpus: l.nrVcpus,
      maps: new Map(), poison: new Set(),
      /* R12c: Android enrols every protected VM at creation; upstream has no guard. */
      guard: { enrolled: l.protected && this.cfg.guestHvcAbi === 'android', granules: new Set() },
      vcpuInit: new Array<boolean>(l.nrVcpus).fill(true), pins: [l.kvmPfn, ...l.hostVcpuPfns],
      /* R20: KVM_ARM_VCPU_POWER_OFF for every vCPU but the first (secondaries wait for CPU_ON) */
      power: Array.from({ length: l.nrVcpus }, (_, i) => (i === 0 ? AFF_ON : AFF_OFF)),
      idRegsCopied: !l.protected, /* the host KVM initialised them (kvm_init_id_regs) and vCPU 0 copied them */
    };
    this.hostKvms.set(l.kvmPfn << 12n, { nr: l.nrVcpus, handle: l.handle, prot: l.protected, idRegs: true });
    return null;
  }

  /* ---------------------------------------------------------------- R19: VM creation, call by call */

  /**
   * The host frees a page it has again: if the model holds nothing about it but its contents (host
   * OWNED, no hyp state, share, pin or DMA reference), it stops tracking it (true).
   */
  forgetPage(pfn: bigint): boolean {
    const p = this.pages.get(pfn);
    if (!p) return true;
    if (p.host !== 'OWNED' || p.hyp !== 'NOPAGE' || p.shareCount || p.pin || p.dma) return false;
    if (this.cfg.zeroedPfns.first <= pfn && pfn < this.cfg.zeroedPfns.first + BigInt(this.cfg.zeroedPfns.count)) return false;
    this.pages.delete(pfn);
    return true;
  }

  /** The entry __pkvm_reserve_vm would take: neither used nor reserved (-1: none). */
  freeSlot(): number {
    return this.slots.findIndex((v, i) => v === null && !this.reserved.has(i));
  }
  private reserveVm(): number {
    const i = this.freeSlot();
    if (i < 0) return -ENOMEM;
    this.reserved.add(i);
    return i + HANDLE_OFFSET;
  }
  private unreserveVm(handle: number): void {
    this.reserved.delete(handle - HANDLE_OFFSET);
  }
  /** The pages [from, to) covers (hyp_pin_shared_mem's ALIGN_DOWN / PAGE_ALIGN). */
  private static pageSpan(from: bigint, to: bigint): bigint[] {
    const out: bigint[] = [];
    for (let p = from >> 12n; p < u64(to + PAGE - 1n) >> 12n; p++) out.push(p);
    return out;
  }
  /** hyp_pin_shared_mem(from, to): the pinned pfns, or an errno. */
  private pinRange(from: bigint, to: bigint): bigint[] | number {
    const span = PkvmModel.pageSpan(from, to);
    const r = this.hostCheck(span[0]! << 12n, span.length, 'SHARED_OWNED');
    if (r) return r;
    if (span.some((p) => this.page(p).hyp !== 'SHARED_BORROWED')) return -EPERM;
    for (const p of span) this.pageMut(p).pin++;
    return span;
  }
  private unpin(pfns: bigint[]): void {
    for (const p of pfns) this.pageMut(p).pin--;
  }
  /** map_donated_memory{,_noclear}(va, pages): __pkvm_host_donate_hyp() of the range, all or nothing; the first pfn or null. */
  private mapDonated(va: bigint, pages: number): bigint | null {
    if (va & (PAGE - 1n)) return null;
    const pfn = va >> 12n;
    if (!this.pfnRangeValid(pfn, BigInt(pages))) return null;
    if (this.hostCheck(va, pages, 'OWNED')) return null;
    for (let i = 0; i < pages; i++) if (this.page(pfn + BigInt(i)).hyp !== 'NOPAGE') return null;
    for (let i = 0; i < pages; i++) this.donateHyp(pfn + BigInt(i));
    return pfn;
  }
  /** unmap_donated_memory(): zeroed, then back to the host. */
  private unmapDonated(pfn: bigint, pages: number): void {
    for (let i = 0; i < pages; i++) {
      this.hypDonateHost(pfn + BigInt(i));
      this.pageMut(pfn + BigInt(i)).content = 0n;
    }
  }

  private initVm(kvmPa: bigint, vmVa: bigint, pgdVa: bigint): RetOutcome {
    const pins = this.pinRange(kvmPa, u64(kvmPa + HOST_KVM_SIZE));
    if (typeof pins === 'number') return { ret: pins, warn: false };
    const k = this.hostKvms.get(kvmPa);
    if (!k) throw new Error(`model: the struct kvm at ${kvmPa.toString(16)} was not observed`);
    const fail = (ret: number): RetOutcome => { this.unpin(pins); return { ret, warn: false }; };
    if (k.nr < 1 || k.handle < HANDLE_OFFSET) return fail(-EINVAL);
    const vmPages = Number((PKVM_HYP_VM_SIZE + 8n * BigInt(k.nr) + PAGE - 1n) / PAGE);
    const pgdPages = this.cfg.pgdPages ?? 1;
    const vm = this.mapDonated(vmVa, vmPages);
    const pgd = vm === null ? null : this.mapDonated(pgdVa, pgdPages);
    let ret = -ENOMEM;
    if (pgd !== null && pgd % BigInt(pgdPages) === 0n) {
      const idx = k.handle - HANDLE_OFFSET;
      if (idx >= this.cfg.maxVms || !this.reserved.has(idx)) ret = -EINVAL;
      else {
        this.reserved.delete(idx);
        const range = (first: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => first + BigInt(i));
        this.slots[idx] = {
          layout: {
            handle: k.handle, protected: k.prot, nrVcpus: k.nr, kvmPfn: kvmPa >> 12n, kvmPa,
            vmPfns: range(vm!, vmPages), pgdPfns: range(pgd, pgdPages), hostVcpuPfns: [], hypVcpuPfns: [], hostVcpuPas: [],
            memIpa: { base: 0n, size: 0n },
          },
          handle: k.handle, protected: k.prot, dying: false, nrVcpus: k.nr, maps: new Map(), poison: new Set(),
          guard: { enrolled: k.prot && this.cfg.guestHvcAbi === 'android', granules: new Set() },
          vcpuInit: new Array<boolean>(k.nr).fill(false), pins, idRegsCopied: false, power: [],
        };
        return { ret: 0, warn: false };
      }
    }
    if (vm !== null) this.unmapDonated(vm, vmPages);
    if (pgd !== null) this.unmapDonated(pgd, pgdPages);
    return fail(ret);
  }

  private initVcpu(handle: number, hostVcpuPa: bigint, vcpuVa: bigint): RetOutcome {
    const pages = Number(PKVM_HYP_VCPU_SIZE / PAGE);
    const page = this.mapDonated(vcpuVa, pages);
    if (page === null) return { ret: -ENOMEM, warn: false };
    const vm = this.vmByHandle(handle);
    let ret = 0;
    if (!vm) ret = -ENOENT;
    else {
      const pins = this.pinRange(hostVcpuPa, u64(hostVcpuPa + HOST_VCPU_SIZE));
      if (typeof pins === 'number') ret = -EBUSY;
      else {
        const c = this.hostVcpus.get(hostVcpuPa);
        if (!c) throw new Error(`model: the struct kvm_vcpu at ${hostVcpuPa.toString(16)} was not observed`);
        if (!vm.protected && !vm.idRegsCopied) {
          if (this.hostKvms.get(vm.layout.kvmPa ?? vm.layout.kvmPfn << 12n)?.idRegs) vm.idRegsCopied = true;
          else ret = -EINVAL;
        }
        if (!ret && (c.idx >= vm.nrVcpus || vm.vcpuInit[c.idx])) ret = -EINVAL;
        if (ret) this.unpin(pins);
        else {
          vm.vcpuInit[c.idx] = true;
          vm.pins.push(...pins);
          vm.layout.hostVcpuPfns[c.idx] = hostVcpuPa >> 12n;
          vm.layout.hypVcpuPfns[c.idx] = page;
          (vm.layout.hostVcpuPas ??= [])[c.idx] = hostVcpuPa;
        }
      }
    }
    if (ret) this.unmapDonated(page, pages);
    return { ret, warn: false };
  }

  /** The signed value of an x1 the model predicted. */
  static ret(o: HcallOutcome): number { return s64(o.x1); }

  /* ---------------------------------------------------------------- R15 FF-A */

  /** R15: the host's FF-A state as the proxy at EL2 and the board's SPMC keep it. */
  readonly ffa = { negotiated: false, mailbox: null as { tx: bigint; rx: bigint } | null, xfers: new Map<bigint, FfaXferM>(), next: 1n };

  /** R15 do_ffa_rxtx_map(): DENIED if mapped; each page shared with the hyp, then pinned; INVALID_PARAMETERS (undone) otherwise. */
  ffaRxtxMap(tx: bigint, rx: bigint): number {
    if (this.ffa.mailbox) return FFA_RET_DENIED;
    if (this.shareHyp(tx >> 12n).ret) return FFA_RET_INVALID_PARAMETERS;
    if (this.shareHyp(rx >> 12n).ret) {
      this.unshareHyp(tx >> 12n);
      return FFA_RET_INVALID_PARAMETERS;
    }
    this.pageMut(tx >> 12n).pin++;
    this.pageMut(rx >> 12n).pin++;
    this.ffa.mailbox = { tx, rx };
    return 0;
  }

  /** __pkvm_host_share_ffa() / __pkvm_host_unshare_ffa(): pfn range valid (-EINVAL), host OWNED ↔ SHARED_OWNED. */
  private ffaShareRange(addr: bigint, pages: number, share: boolean): number {
    const pfn = addr >> 12n;
    const limit = 1n << BigInt(this.cfg.paBits - 12);
    if (!(pfn < limit && limit - pfn >= BigInt(pages))) return -EINVAL;
    const r = this.hostCheck(addr, pages, share ? 'OWNED' : 'SHARED_OWNED');
    if (r) return r;
    for (let i = 0; i < pages; i++) this.setHost(pfn + BigInt(i), share ? 'SHARED_OWNED' : 'OWNED');
    return 0;
  }

  /**
   * R15 FFA_MEM_SHARE / FFA_MEM_LEND of `ranges` (descriptor addresses are u64: R1): no mailbox →
   * INVALID_PARAMETERS; each range shared in order, the first refusal undoes the ones before it →
   * DENIED; then the SPMC: a total page count that lies → INVALID_PARAMETERS (EL2 unshares); else
   * SUCCESS with the SPMC's next handle (low word a counter from 1, high word 1). A lend is a share
   * at EL2 (upstream).
   */
  ffaMemXfer(ranges: { addr: bigint; pages: number }[], lend: boolean, lie: boolean): { ret: number; handle: bigint | null } {
    if (!this.ffa.mailbox) return { ret: FFA_RET_INVALID_PARAMETERS, handle: null };
    const done: { addr: bigint; pages: number }[] = [];
    for (const r of ranges) {
      if (this.ffaShareRange(u64(r.addr), r.pages, true)) {
        for (const d of done) this.ffaShareRange(d.addr, d.pages, false);
        return { ret: FFA_RET_DENIED, handle: null };
      }
      done.push({ addr: u64(r.addr), pages: r.pages });
    }
    if (lie) {
      for (const d of done) this.ffaShareRange(d.addr, d.pages, false);
      return { ret: FFA_RET_INVALID_PARAMETERS, handle: null };
    }
    const handle = (1n << 32n) | this.ffa.next++;
    this.ffa.xfers.set(handle, { handle, ranges: done, lend, retrieved: 0 });
    return { ret: 0, handle };
  }

  /** R15 FFA_MEM_RECLAIM: unknown handle INVALID_PARAMETERS, held by the partition DENIED, else the ranges go back to OWNED. */
  ffaReclaim(handle: bigint): number {
    const x = this.ffa.xfers.get(handle);
    if (!x) return FFA_RET_INVALID_PARAMETERS;
    if (x.retrieved) return FFA_RET_DENIED;
    for (const r of x.ranges) this.ffaShareRange(r.addr, r.pages, false);
    this.ffa.xfers.delete(handle);
    return 0;
  }

  /** R15 the partition retrieves / relinquishes a transaction (direct request status). */
  ffaPartition(handle: bigint, retrieve: boolean): number {
    const x = this.ffa.xfers.get(handle);
    if (!x) return FFA_RET_INVALID_PARAMETERS;
    if (retrieve) x.retrieved++;
    else if (!x.retrieved) return FFA_RET_DENIED;
    else x.retrieved--;
    return 0;
  }
}

/* R15: FF-A results (DEN0077A) and a transaction as the model records it. */
export const FFA_RET_INVALID_PARAMETERS = -2;
export const FFA_RET_DENIED = -6;
export interface FfaXferM { handle: bigint; ranges: { addr: bigint; pages: number }[]; lend: boolean; retrieved: number }
