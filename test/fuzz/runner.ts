/**
 * Runs a generated sequence of operations on a small hosted-pKVM machine and on the reference model
 * side by side. After every step it compares the return codes, the WARNs, the state of every page and
 * guest gfn the sequence can reach, the VM table and the loaded vCPU, and runs the hyp's own
 * invariant checker. The first disagreement ends the run with a FuzzFailure carrying the step list.
 *
 * The machine: one Core (3 MiB of RAM) kept across sequences and reset by zeroing its RAM and
 * flushing its TLB; per sequence a fresh HostedEl2 (a 128 KiB carve-out, 3 VM slots) and the
 * host-kernel-model's HostKvm, which creates a protected VM with two vCPUs, a non-protected VM and a
 * second protected VM through the host hypercalls. Fuzz pages live in the host kernel's reserved low
 * 2 MiB, which the host page allocator never hands out.
 *
 * Only the observer here reads hyp/ state (vmemmap, host and guest stage-2 leaves); the model
 * (model.ts) imports nothing from hyp/.
 */
import { Core, L } from '../../machine/core';
import { CoreSnapshot, GraphSnapshot } from './snapshot';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, HostAccessError, type HostVm } from '../../host-kernel-model/index';
import { hypWarnConfig } from '../../hyp/page-state';
import { __pkvm_guest_share_host, __pkvm_guest_unshare_host } from '../../hyp/mem-protect-guest';
import { pkvm_handle_guest_trap } from '../../hyp/guest-hvc';
import { EC_HVC64 } from '../../hyp/world-switch';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_RELINQUISH_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID,
} from '../../hyp/smccc';
import type { KvmPgtable } from '../../hyp/pgtable';
import { kvm_iommu_init, kvm_iommu_iova_to_phys, type KvmIommu } from '../../hyp/iommu/iommu';
import { coreStage2Walk } from '../../hyp/iommu/walk';
import { hyp_page_dma_refs, pkvm_dma_refs } from '../../hyp/iommu/dma-refs';
import { KVM_HYP_LAST_REQ, KVM_HYP_REQ_TYPE_MEM, REQ_MEM_DEST_HYP_IOMMU, hyp_reqs_smccc_decode } from '../../hyp/iommu/defs';
import { pop_hyp_memcache } from '../../hyp/memcache';
import { HostVcpuView } from '../../hyp/host-abi';
import { kvm_pgtable_stage2_pgd_size } from '../../hyp/vtcr';
import { RESERVED_ENTRY } from '../../hyp/pkvm';
import { DmaEngine } from '../../machine/dma-engine';
import { attachFfaSpmc, boardSpmc } from '../../machine/ffa/board';
import { runFfaOp, type FfaStepResult } from './ffa-steps';
import {
  FIELD_GET, KVM_GUEST_INVALID_PTE_TYPE_POISONED, KVM_HOST_DONATION_PTE_EXTRA_MASK, KVM_HOST_DONATION_PTE_OWNER_MASK,
  KVM_INVALID_PTE_TYPE_MASK, KVM_PTE_LEAF_ATTR_HI_S2_XN, KVM_PTE_LEAF_ATTR_LO_S2_AF, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W,
  kvm_pte_to_phys, kvm_pte_valid, pkvm_getstate,
} from '../../hyp/pgtable-defs';
import {
  PkvmModel, errnoName, hcallId, SMCCC_HINT_BIT, HCALL_BASE, EINVAL, ENOMEM, DMA_SID, type AccessOutcome, type HostState, type HypState,
  type IommuMode, type ModelHcallName, type VmLayout, type VmM, type DomainM, type GuestHvcFn,
} from './model';
import {
  FUZZ_OFFSETS, GFNS, GFN_LAST, GFN_MMIO, IOVA_BLOCK_BASE, IOVA_EDGE, IOVA_SLOT_BASE, IOVA_SLOTS, showOp, showPfnSym,
  type DomSym, type GfnSym, type HandleSym, type HostStruct, type InitPage, type IovaSym, type Op, type PfnSym, type VmSym,
} from './ops';

type PfnPurpose = 'access' | 'host_owned' | 'shareable' | 'hyp_shared' | 'guest_owned' | 'dma_map';
type GfnPurpose = 'free' | 'owned' | 'guest_shared' | 'borrowed' | 'mapped' | 'guarded';

export const RAM_BYTES = 3 << 20;
export const CARVEOUT_BYTES = 128 << 10;
export const MAX_VMS = 3;
const M64 = (1n << 64n) - 1n;
const HANDLE_OFFSET = 0x1000;
const hex = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;
const s64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

const HOST_STATES: HostState[] = ['OWNED', 'SHARED_OWNED', 'SHARED_BORROWED', 'NOPAGE'];
const HYP_STATE_NAMES = ['OWNED', 'SHARED_OWNED', 'SHARED_BORROWED', 'NOPAGE'];
const GUEST_STATES = ['OWNED', 'SHARED_OWNED', 'SHARED_BORROWED'];
const OWNER_IDS = ['HOST', 'HYP', 'GUEST'];
/** Function ids of the guest hypercalls (SMCCC_VERSION, the vendor-hyp UID and FEATURES, the KVM services). */
const HVC_IDS: Record<GuestHvcFn, bigint> = {
  share: ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID, unshare: ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID,
  relinquish: ARM_SMCCC_VENDOR_HYP_KVM_MEM_RELINQUISH_FUNC_ID, meminfo: ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID,
  features: 0x8600_0000n, uid: 0x8600_ff01n, version: 0x8000_0000n,
  guard_info: 0xc600_0005n, guard_enroll: 0xc600_0006n, guard_map: 0xc600_0007n, guard_unmap: 0xc600_0008n,
  psci_version: 0x8400_0000n, psci_features: 0x8400_000an,
  cpu_on: 0xc400_0003n, cpu_off: 0x8400_0002n, affinity_info: 0xc400_0004n,
};
const HVC_NAMES: Record<GuestHvcFn, string> = {
  share: 'MEM_SHARE', unshare: 'MEM_UNSHARE', relinquish: 'MEM_RELINQUISH', meminfo: 'HYP_MEMINFO',
  features: 'VENDOR_HYP_KVM_FEATURES', uid: 'VENDOR_HYP_CALL_UID', version: 'SMCCC_VERSION',
  guard_info: 'MMIO_GUARD_INFO', guard_enroll: 'MMIO_GUARD_ENROLL', guard_map: 'MMIO_GUARD_MAP', guard_unmap: 'MMIO_GUARD_UNMAP',
  psci_version: 'PSCI_VERSION', psci_features: 'PSCI_FEATURES',
  cpu_on: 'PSCI CPU_ON', cpu_off: 'PSCI CPU_OFF', affinity_info: 'PSCI AFFINITY_INFO',
};
const GUEST_HVC_EXITS: Record<string, string> = {
  guest: 'back to the guest', host: 'exit to the host with the HVC', 'host-fault': 'exit to the host as a stage-2 fault on the IPA (HVC replayed)',
  'host-share': 'exit reporting MEM_SHARE', 'host-unshare': 'exit reporting MEM_UNSHARE', 'host-relinquish': 'exit reporting MEM_RELINQUISH',
  'host-cpu-on': 'exit reporting PSCI CPU_ON', 'host-cpu-off': 'exit reporting PSCI CPU_OFF',
};
/** HOST_EXIT_HCALL_* (hyp/host-abi.ts) of the reports the model predicts. */
const HCALL_REPORTS: Record<number, string> = { 1: 'host-share', 2: 'host-unshare', 3: 'host-relinquish', 4: 'host-cpu-on', 5: 'host-cpu-off' };
/** gfns whose guest stage-2 entry is compared after every step. */
const TRACKED_GFNS = [...GFNS, GFN_LAST];

export type Step =
  | { s: 'hcall'; name: ModelHcallName; id: bigint; args: bigint[] }
  | { s: 'bad_hcall'; id: bigint; args: bigint[] }
  | { s: 'guest'; call: 'share' | 'unshare'; gfn: bigint }
  | { s: 'guest_hvc'; fn: GuestHvcFn; x1: bigint; x2: bigint; x3: bigint }
  | { s: 'host_access'; pa: bigint; write: boolean; val: bigint; what: string }
  | { s: 'guest_access'; slot: number; gfn: bigint; write: boolean; val: bigint }
  | { s: 'topup' }
  | { s: 'io_alloc'; domain: bigint; type: bigint }
  | { s: 'io_map'; domain: bigint; iova: bigint; pa: bigint; pgsize: bigint; pgcount: bigint; prot: bigint }
  | { s: 'io_refill'; id: bigint; pfns: bigint[]; upstream: boolean }
  | { s: 'io_reclaim'; id: bigint; target: number; upstream: boolean }
  | { s: 'dma'; src: bigint; dst: bigint; len: bigint }
  | { s: 'custom'; kind: string; line: string; run: () => FfaStepResult };

export class FuzzFailure extends Error {
  constructor(readonly reason: string, readonly ops: Op[], readonly log: string[]) {
    super(`${reason}\n\ngenerated operations:\n${ops.map((o, i) => `  ${i}: ${showOp(o)}`).join('\n')}\n\nsteps:\n${log.map((l) => `  ${l}`).join('\n')}`);
    this.name = 'FuzzFailure';
  }
}

export interface RunStats { ops: number; steps: number; warns: number; checks: number }

export interface RunOptions {
  /**
   * When pkvm.checkInvariants() runs: after every step (every hypercall, guest call or access), or
   * once per generated operation, i.e. after the operation's last step (its vcpu_load/put and memcache
   * top-up preparation included). The model comparison runs after every step either way.
   */
  invariants: 'step' | 'op';
  /** Test hook: called on the machine after each generated operation (before its checks end). */
  tamper?: (el2: HostedEl2, opIndex: number) => void;
  /**
   * The board's IOMMU (an SMMU in front of a DMA engine, stream DMA_SID): pKVM-owned IOMMU tables
   * ('hypercall', the default: the host allocates domain 1 and attaches the engine at boot), the
   * host stage-2 shared with the SMMU ('mirror'), or no IOMMU ('none').
   */
  iommu?: IommuMode | 'none';
  /**
   * The guest hypercall ABI of the board (HostedEl2Options.guestHvcAbi, model R12): upstream's (the
   * hyp's default) or Android's (MMIO guard, MEM_RELINQUISH, guest PSCI at EL2, exits after share).
   * Default 'upstream'.
   */
  guestHvcAbi?: GuestHvcAbi;
}
export type GuestHvcAbi = 'upstream' | 'android';
export const DEFAULT_RUN_OPTIONS: RunOptions = { invariants: 'step' };

/** Outcome counts per step kind ("__pkvm_host_donate_guest → -EPERM"), filled when enabled. */
export const coverage = { enabled: false, counts: new Map<string, number>() };
function cover(key: string): void {
  if (coverage.enabled) coverage.counts.set(key, (coverage.counts.get(key) ?? 0) + 1);
}

/** A new machine: a Core of its own, a HostedEl2 (with the guest-HVC ABI asked for) and the host KVM on it. */
function bootMachine(guestHvcAbi: GuestHvcAbi): { core: Core; el2: HostedEl2; kvm: HostKvm } {
  const core = new Core(RAM_BYTES, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  hypWarnConfig.warnings.length = 0;
  attachFfaSpmc(core, true); // the board's secure world (R15); graphRoots() lets the snapshot restore it per sequence
  const el2 = new HostedEl2(core, { maxVms: MAX_VMS, maxVcpus: 2, carveoutBytes: CARVEOUT_BYTES, guestHvcAbi });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2);
  kvm.traceFaults = false;
  return { core, el2, kvm };
}

export class Run {
  readonly core: Core;
  readonly el2: HostedEl2;
  readonly kvm: HostKvm;
  readonly model: PkvmModel;
  readonly hostVms: (HostVm | null)[] = new Array<HostVm | null>(MAX_VMS).fill(null);
  /** The layout last seen in each slot (struct-page arguments keep pointing at it after teardown). */
  readonly layouts: (VmLayout | null)[] = new Array<VmLayout | null>(MAX_VMS).fill(null);
  readonly fuzzPfns: bigint[];
  readonly log: string[] = [];
  readonly stats: RunStats = { ops: 0, steps: 0, warns: 0, checks: 0 };
  private opIndex = 0;
  private pickRound = 0;
  private readonly names = new Map<bigint, string>();
  readonly iommu: KvmIommu | null = null;
  readonly dma: DmaEngine | null = null;
  /** Pages the DMA engine read and wrote during the current step. */
  private readonly touched: string[] = [];
  /** Host allocator pages the host driver gave the IOMMU pool. */
  private readonly poolAllocPages = new Set<bigint>();

  ops: Op[] = [];
  opts: RunOptions;

  /** A booted machine for boards of opts.iommu (start() creates the VMs); begin() takes a sequence. */
  constructor(opts: RunOptions = DEFAULT_RUN_OPTIONS) {
    this.opts = opts;
    const abi = opts.guestHvcAbi ?? 'upstream';
    const { core, el2, kvm } = bootMachine(abi);
    this.core = core;
    this.el2 = el2;
    this.kvm = kvm;
    const mode = opts.iommu ?? 'hypercall';
    if (mode !== 'none') {
      this.iommu = kvm_iommu_init(el2.pkvm, { mode, walk: coreStage2Walk(core) });
      const mem = el2.mem;
      const touched = this.touched;
      /* The engine masters the bus: raw physical memory, translated only by the SMMU. */
      this.dma = new DmaEngine(this.iommu.smmu, {
        isMemory: (pa) => mem.isMemory(pa),
        readBytes: (pa, n) => (touched.push(`r ${hex(pa >> 12n)}`), mem.readBytes(pa, n)),
        writeBytes: (pa, b) => (touched.push(`w ${hex(pa >> 12n)}`), mem.writeBytes(pa, b)),
      }, { sid: DMA_SID });
    }
    const basePfn = core.ramBase >> 12n;
    this.fuzzPfns = FUZZ_OFFSETS.map((o) => basePfn + BigInt(o));
    this.fuzzPfns.forEach((p, i) => this.names.set(p, `fuzz#${i}`));
    this.names.set(el2.carveout.base >> 12n, 'carveout');
    this.model = new PkvmModel({
      ramBase: core.ramBase, ramSize: BigInt(RAM_BYTES), paBits: 40, ipaBits: 40, maxVms: MAX_VMS,
      carveout: el2.carveout, zeroedPfns: { first: basePfn, count: 512 }, iommu: mode === 'none' ? null : mode, guestHvcAbi: abi,
      pgdPages: Number(kvm_pgtable_stage2_pgd_size(el2.pkvm.host_vtcr()) >> 12n),
    });
  }

  fail(reason: string): never {
    throw new FuzzFailure(reason, this.ops, [...this.log]);
  }

  /* ------------------------------------------------------------ argument resolution */

  /** A page argument; `pick` chooses among pages that suit the call (from the model's state). */
  pfn(p: PfnSym, purpose: PfnPurpose = 'access'): bigint {
    switch (p.k) {
      case 'pick': {
        const c = this.pfnCandidates(purpose);
        return c.length ? c[p.i % c.length]! : this.fuzzPfns[p.i % this.fuzzPfns.length]!;
      }
      case 'fuzz': return this.fuzzPfns[p.i]!;
      case 'alias': return (1n << 52n) + this.fuzzPfns[p.i]!;
      case 'struct': {
        const l = this.layouts[p.slot];
        if (!l) return this.fuzzPfns[0]!;
        return { kvm: l.kvmPfn, vm: l.vmPfns[0]!, pgd: l.pgdPfns[0]!, hostVcpu: l.hostVcpuPfns[0]!, hypVcpu: l.hypVcpuPfns[0]! }[p.what];
      }
      case 'carveout': return this.el2.carveout.base >> 12n;
      case 'mmio': return 0x0900_0000n >> 12n;
      case 'hole': return 0x5000_0000n >> 12n;
      case 'palimit': return 1n << 28n;
      case 'top': return (1n << 52n) - 1n;
    }
  }
  private pfnCandidates(purpose: PfnPurpose): bigint[] {
    const m = this.model;
    switch (purpose) {
      case 'access': return this.fuzzPfns;
      case 'host_owned': return this.fuzzPfns.filter((p) => m.page(p).host === 'OWNED');
      case 'shareable': return this.fuzzPfns.filter((p) => { const q = m.page(p); return q.host === 'OWNED' || (q.host === 'SHARED_OWNED' && q.shareCount > 0); });
      case 'hyp_shared': {
        /* Unpinned pages first (pinned ones only answer -EBUSY). */
        const c = [...new Set([...this.fuzzPfns, ...m.pages.keys()])].filter((p) => m.page(p).hyp === 'SHARED_BORROWED');
        const free = c.filter((p) => !m.page(p).pin);
        return free.length && this.pickRound++ % 4 ? free : c;
      }
      case 'guest_owned': return [...m.pages.keys()].filter((p) => m.page(p).owner?.id === 'GUEST');
      /* Pages the host has (shared ones first), and now and then any fuzz page (donated: refused). */
      case 'dma_map': {
        if (this.pickRound++ % 4 === 0) return this.fuzzPfns;
        const shared = this.fuzzPfns.filter((p) => m.page(p).host === 'SHARED_BORROWED' || m.page(p).host === 'SHARED_OWNED');
        return shared.length && this.pickRound % 2 ? shared : this.fuzzPfns.filter((p) => m.page(p).host !== 'NOPAGE');
      }
    }
  }

  /** A VM argument: `pick` chooses among live VMs of the kind the call needs. */
  vmSlot(v: VmSym, want: 'prot' | 'np' | 'any', has?: GfnPurpose): number {
    if (v.k === 'slot') return v.slot;
    const kind = (vm: VmM): boolean => want === 'any' || vm.protected === (want === 'prot');
    /* Prefer VMs with a gfn the call can work on (e.g. a page the guest owns, for guest_share). */
    const useful = (vm: VmM): boolean => kind(vm) && (!has || this.gfnCandidates(vm, has).length > 0);
    const fits = this.liveSlots(useful).length ? useful : kind;
    /* Mostly stay on the loaded vCPU's VM when it fits, as a host running that vCPU would. */
    const lv = this.model.loadedVm();
    if (lv && !lv.dying && fits(lv) && v.i % 4 !== 3) return this.model.loaded!.slot;
    const c = this.liveSlots(fits);
    return c.length ? c[v.i % c.length]! : v.i % MAX_VMS;
  }
  private liveSlots(pred: (vm: VmM) => boolean, dying = false): number[] {
    const out: number[] = [];
    this.model.slots.forEach((vm, i) => { if (vm && vm.dying === dying && pred(vm)) out.push(i); });
    return out;
  }
  handle(h: HandleSym, want: 'np' | 'live' | 'dying' | 'any' = 'live'): number {
    if (h.k === 'raw') return h.v;
    if (h.k === 'slot') return HANDLE_OFFSET + h.slot;
    /* 'np': non-protected VMs, dying ones too (upstream's host unshares a dying VM's pages, R9). */
    const c = want === 'dying' ? this.liveSlots(() => true, true)
      : want === 'any' ? [...this.liveSlots(() => true), ...this.liveSlots(() => true, true)].sort()
        : want === 'np' ? [...this.liveSlots((vm) => !vm.protected), ...this.liveSlots((vm) => !vm.protected, true)].sort()
          : this.liveSlots(() => true);
    return HANDLE_OFFSET + (c.length ? c[h.i % c.length]! : h.i % MAX_VMS);
  }

  /** A gfn argument: `pick` chooses among gfns of the VM in the state the call works on. */
  gfn(g: GfnSym, vm: VmM | null, purpose: GfnPurpose): bigint {
    if (g.k === 'gfn') return g.v;
    const fallback = GFNS[g.i % GFNS.length]!;
    if (!vm) return fallback;
    const c = this.gfnCandidates(vm, purpose);
    return c.length ? c[g.i % c.length]! : fallback;
  }
  private gfnCandidates(vm: VmM, purpose: GfnPurpose): bigint[] {
    const m = this.model;
    if (purpose === 'guarded') return [...vm.guard.granules].sort().map((ipa) => ipa >> 12n);
    const c = TRACKED_GFNS.filter((x) => {
      const st = m.guestState(vm, x);
      const mp = m.mappingAt(vm, x);
      switch (purpose) {
        case 'free': return st === 'NOPAGE' && x !== GFN_LAST;
        case 'owned': return st === 'OWNED';
        case 'guest_shared': return st === 'SHARED_OWNED';
        case 'borrowed': return st === 'SHARED_BORROWED' && mp!.gfn === x;
        case 'mapped': return st !== 'NOPAGE';
      }
    });
    if (purpose === 'borrowed' || purpose === 'mapped') for (const mp of vm.maps.values()) if (!c.includes(mp.gfn)) c.push(mp.gfn);
    return c;
  }
  /** An IOMMU domain id: `pick` an allocated one (alloc: a free one of 1..3). */
  domain(d: DomSym, forAlloc = false): bigint {
    if (d.k === 'raw') return BigInt(d.v);
    const have = [...this.model.domains.keys()].sort((a, b) => a - b);
    if (forAlloc) {
      const free = [1, 2, 3].filter((x) => !this.model.domains.has(x));
      return BigInt(free.length && d.i % 4 ? free[d.i % free.length]! : 1 + (d.i % 3));
    }
    return BigInt(have.length ? have[d.i % have.length]! : 1);
  }
  /** An IOVA of domain dom: `pick` a mapped leaf (want 'mapped') or a free 4 KiB slot ('free'). */
  iova(v: IovaSym, dom: bigint, want: 'mapped' | 'free', pgsize: bigint): bigint {
    switch (v.k) {
      case 'slot': return IOVA_SLOT_BASE + BigInt(v.i) * 0x1000n;
      case 'block': return IOVA_BLOCK_BASE + BigInt(FUZZ_OFFSETS[v.i]!) * 0x1000n;
      case 'edge': return IOVA_EDGE;
      case 'pick': {
        if (pgsize === 0x20_0000n) return IOVA_BLOCK_BASE;
        const d = this.model.domains.get(Number(dom & 0xffffn));
        const c = want === 'mapped'
          ? [...(d?.maps.values() ?? [])].filter((m) => BigInt(m.pages) * 0x1000n === pgsize || !pgsize).map((m) => m.iova)
          : Array.from({ length: IOVA_SLOTS }, (_, i) => IOVA_SLOT_BASE + BigInt(i) * 0x1000n).filter((x) => !d || !this.model.ioLeaf(d, x));
        return c.length ? c[v.i % c.length]! : IOVA_SLOT_BASE + BigInt(v.i % IOVA_SLOTS) * 0x1000n;
      }
    }
  }
  /** A DMA operand (see ops.ts): an IOVA of the engine's domain, or (mirror) a physical address. */
  dmaAddr(n: number): bigint {
    const m = this.model;
    if (this.iommu?.mode === 'mirror') {
      if (n < 8) return this.fuzzPfns[n % this.fuzzPfns.length]! << 12n;
      const l = (slot: number): VmLayout | null => this.layouts[slot];
      switch (n) {
        case 8: return this.el2.carveout.base;
        case 9: return (l(0)?.vmPfns[0] ?? this.fuzzPfns[0]!) << 12n;
        case 10: return 0x0900_0000n;
        case 11: return 0x5000_0000n;
        case 12: return (l(1)?.pgdPfns[0] ?? this.fuzzPfns[1]!) << 12n;
        case 13: { const g = this.pfnCandidates('guest_owned'); return (g.length ? g[0]! : this.fuzzPfns[5]!) << 12n; }
        case 14: return (l(2)?.hypVcpuPfns[0] ?? this.fuzzPfns[2]!) << 12n;
        default: return (this.fuzzPfns[5]! + 1n) << 12n;
      }
    }
    const dom = m.streams.get(DMA_SID);
    const d: DomainM | undefined = dom === undefined ? undefined : m.domains.get(dom);
    if (n < 8) {
      const c: bigint[] = [];
      for (const mp of d?.maps.values() ?? []) for (let i = 0; i < Math.min(mp.pages, 2); i++) c.push(mp.iova + BigInt(i) * 0x1000n);
      return c.length ? c[n % c.length]! : IOVA_SLOT_BASE + BigInt(n) * 0x1000n;
    }
    switch (n) {
      case 12: return IOVA_BLOCK_BASE;
      case 13: return IOVA_BLOCK_BASE + 0x1000n;
      case 14: return IOVA_EDGE;
      case 15: return 0n;
      default: return IOVA_SLOT_BASE + BigInt((n - 8) * 2) * 0x1000n;
    }
  }

  private vmOfHandle(h: number): VmM | null {
    return this.model.vmByHandle(h & 0xffff);
  }

  /* ------------------------------------------------------------ setup */

  start(): void {
    this.log.push(`boot: ${RAM_BYTES >> 20} MiB RAM, ${MAX_VMS} VM slots; create P0 (protected, 2 vCPUs), N1 (non-protected), P2 (protected)`);
    /* The boot (three VMs created by the host KVM) is the same for every sequence: it runs, and is
     * compared with the model and checked, once per booted machine (see machineFor()). */
    this.createStep(true, 2);
    this.createStep(false, 1);
    this.createStep(true, 1);
    if (this.iommu?.mode === 'hypercall') {
      /* The host's IOMMU driver probes the engine: domain 1, stream DMA_SID attached. */
      this.log.push(`iommu (hypercall mode): allocate domain 1, attach stream ${DMA_SID}`);
      this.step({ s: 'io_alloc', domain: 1n, type: 1n });
      this.step({ s: 'hcall', name: '__pkvm_host_iommu_attach_dev', id: hcallId('__pkvm_host_iommu_attach_dev'), args: [0n, 1n, BigInt(DMA_SID), 0n, 0n] });
    } else if (this.iommu) this.log.push('iommu (mirror mode): every stream translates with the host stage-2');
  }

  private createStep(prot: boolean, nrVcpus = 1, check = true): void {
    const slot = this.model.slots.indexOf(null);
    const line = `create ${prot ? 'protected' : 'non-protected'} VM (${nrVcpus} vCPU)`;
    let vm: HostVm;
    try {
      vm = this.kvm.createVm({ name: `vm${this.log.length}`, protected: prot, memBytes: 4 << 20, vcpus: nrVcpus });
    } catch (e) {
      this.log.push(`${line} → threw ${(e as Error).message}`);
      this.fail(`VM creation failed on the machine but the model has free slot ${slot}`);
    }
    const pages = (pa: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => (pa >> 12n) + BigInt(i));
    const l: VmLayout = {
      handle: vm.handle, protected: prot, nrVcpus,
      kvmPfn: vm.kvmPa >> 12n, vmPfns: pages(vm.vmPa, vm.vmPages), pgdPfns: pages(vm.pgdPa, vm.pgdPages),
      hostVcpuPfns: vm.vcpus.map((v) => v.hostVcpuPa >> 12n), hypVcpuPfns: vm.vcpus.map((v) => v.hypVcpuPa >> 12n),
      hostVcpuPas: vm.vcpus.map((v) => v.hostVcpuPa),
      memIpa: { base: vm.slot.ipaBase, size: vm.slot.size },
    };
    const s = vm.handle - HANDLE_OFFSET;
    this.log.push(`${line} → handle ${hex(vm.handle)} (slot ${s}), struct kvm ${hex(l.kvmPfn)}, VM ${hex(l.vmPfns[0]!)}, PGD ${hex(l.pgdPfns[0]!)}, vCPU ${l.hypVcpuPfns.map(hex).join(',')}`);
    const err = this.model.createVm(l);
    if (err) this.fail(`model rejects the VM the machine created: ${err}`);
    this.hostVms[s] = vm;
    this.layouts[s] = l;
    this.names.set(l.kvmPfn, `kvm@slot${s}`);
    this.names.set(l.vmPfns[0]!, `vm@slot${s}`);
    this.names.set(l.pgdPfns[0]!, `pgd@slot${s}`);
    l.hostVcpuPfns.forEach((p) => this.names.set(p, `hostVcpu@slot${s}`));
    l.hypVcpuPfns.forEach((p) => this.names.set(p, `hypVcpu@slot${s}`));
    if (check) {
      cover(`create ${prot ? 'protected' : 'non-protected'} VM in slot ${s}`);
      this.afterStep();
    }
  }

  /**
   * What the host KVM does to destroy a VM (pkvm_destroy_hyp_vm), in upstream's order: put,
   * start_teardown, then the stage-2 destroyed (np: every shared page unshared; protected: every page
   * reclaimed), finalize.
   */
  private destroyVm(slot: number): void {
    const m = this.model;
    const hc = (name: ModelHcallName, ...args: bigint[]): void => this.step({ s: 'hcall', name, id: hcallId(name), args });
    const vm = m.slots[slot];
    if (!vm) { this.log.push('  (no VM in that slot: skipped)'); return; }
    const handle = BigInt(vm.handle);
    if (m.loaded?.slot === slot) hc('__pkvm_vcpu_put');
    if (!vm.dying) hc('__pkvm_start_teardown_vm', handle);
    if (!vm.protected) {
      for (const mp of [...vm.maps.values()]) hc('__pkvm_host_unshare_guest', handle, mp.gfn, BigInt(mp.pages));
    }
    for (const g of [...new Set([...vm.maps.keys(), ...vm.poison])]) hc('__pkvm_reclaim_dying_guest_page', handle, g);
    hc('__pkvm_finalize_teardown_vm', handle);
  }

  /* ------------------------------------------------------------ R19: VM creation call by call */

  /**
   * The host creates a VM itself, with the op's arguments: reserve a handle (or use another), write a
   * struct kvm (shared with the hyp, or not; crossing a page boundary, or not), __pkvm_init_vm, then
   * a struct kvm_vcpu and __pkvm_init_vcpu per listed vCPU. A VM that got created is torn down in
   * upstream's order (start_teardown, finalize_teardown, unshare the structs); a reservation left
   * unused is dropped. Fresh pages come from the host's allocator and go back to it once the host
   * has them again.
   */
  private initVmOp(op: Extract<Op, { t: 'init_vm' }>): void {
    const m = this.model;
    const hc = (name: ModelHcallName, ...args: bigint[]): void => this.step({ s: 'hcall', name, id: hcallId(name), args });
    const fresh: bigint[] = [];
    const shared: bigint[] = [];
    /* n fresh pages aligned to `align`; a fuzz page when the host has no memory left. */
    const freshPfn = (n: number, align = 1): bigint => {
      const pa = this.kvm.alloc.allocContig(n, align);
      if (pa === null) return this.fuzzPfns[0]!;
      for (let i = 0n; i < BigInt(n); i++) { fresh.push((pa >> 12n) + i); this.names.set((pa >> 12n) + i, 'init_vm page'); }
      return pa >> 12n;
    };
    const page = (p: InitPage, n = 1, align = 1): bigint => (p.k === 'fresh' ? freshPfn(n, align) : this.pfn(p, 'host_owned'));
    /* A host struct at its page's start, or 0x100 before its end (it crosses into the next page). */
    const struct = (h: HostStruct, what: string): bigint => {
      const first = h.straddle && h.page.k === 'fresh' ? freshPfn(2) : page(h.page);
      const pfns = h.straddle ? [first, first + 1n] : [first];
      for (const p of pfns) {
        if (!h.share) continue;
        hc('__pkvm_host_share_hyp', p);
        if (m.page(p).host === 'SHARED_OWNED') shared.push(p);
      }
      this.names.set(first, what);
      return (first << 12n) + (h.straddle ? 0xf00n : 0n);
    };

    /* A full table: the host destroys a VM first, now and then, so that creation can get further. */
    if (op.room && m.freeSlot() < 0) {
      const live = m.slots.findIndex((v) => v !== null);
      if (live >= 0) this.destroyVm(live);
    }
    const kvmPa = struct(op.kvm, 'init_vm struct kvm');
    let handle: number;
    let reserved = false;
    switch (op.handle) {
      case 'reserve': {
        const i = m.freeSlot();
        hc('__pkvm_reserve_vm');
        reserved = i >= 0;
        handle = HANDLE_OFFSET + (i >= 0 ? i : MAX_VMS);
        break;
      }
      case 'taken': handle = HANDLE_OFFSET + Math.max(0, m.slots.findIndex((v) => v !== null)); break;
      case 'free': { const i = m.freeSlot(); handle = HANDLE_OFFSET + (i >= 0 ? i : MAX_VMS); break; }
      case 'below': handle = HANDLE_OFFSET - 1; break;
      case 'past': handle = HANDLE_OFFSET + MAX_VMS; break;
    }
    /* struct kvm: created_vcpus (u32) | arch.pkvm.handle (u16) << 32 | is_protected (u8) << 48, then arch.flags. */
    const word0 = BigInt(op.nr) | (BigInt(handle) << 32n) | (op.prot ? 1n << 48n : 0n);
    this.step({ s: 'host_access', pa: kvmPa, write: true, val: word0, what: 'struct kvm' });
    this.step({ s: 'host_access', pa: kvmPa + 0x38n, write: true, val: op.idRegs ? 1n << 7n : 0n, what: 'struct kvm arch.flags' });
    m.hostKvms.set(kvmPa, { nr: op.nr, handle, prot: op.prot, idRegs: op.idRegs });

    const vmPa = (page(op.vm) << 12n) + (op.vmOff ? 0x10n : 0n);
    const pgdPages = m.cfg.pgdPages ?? 1;
    const pgdPa = (op.pgd.k === 'fresh' ? freshPfn(pgdPages + 1, pgdPages) : this.pfn(op.pgd, 'host_owned')) + (op.pgdOff ? 1n : 0n);
    const slot = handle - HANDLE_OFFSET;
    const before = slot >= 0 && slot < MAX_VMS ? m.slots[slot] : null;
    hc('__pkvm_init_vm', kvmPa, vmPa, pgdPa << 12n);
    const created = slot >= 0 && slot < MAX_VMS && before === null && m.slots[slot] !== null;
    if (created) reserved = false;

    for (const v of op.vcpus) {
      const hv = struct(v.host, `init_vm struct kvm_vcpu ${v.idx}`);
      /* struct kvm_vcpu: vcpu_id (u32) | vcpu_idx (u32) << 32 */
      this.step({ s: 'host_access', pa: hv, write: true, val: BigInt(v.idx) | (BigInt(v.idx) << 32n), what: 'struct kvm_vcpu' });
      m.hostVcpus.set(hv, { idx: v.idx });
      hc('__pkvm_init_vcpu', BigInt(handle), hv, (page(v.page) << 12n) + (v.off ? 0x10n : 0n));
    }

    if (created) {
      hc('__pkvm_start_teardown_vm', BigInt(handle));
      hc('__pkvm_finalize_teardown_vm', BigInt(handle));
      if (m.slots[slot]) this.fail('the VM this operation created outlived its teardown');
    } else if (reserved) hc('__pkvm_unreserve_vm', BigInt(handle));
    for (const p of shared) if (m.page(p).host === 'SHARED_OWNED' && !m.page(p).pin) hc('__pkvm_host_unshare_hyp', p);
    /* free_page() of what the host has back; the model stops tracking it. */
    for (const p of fresh) if (m.forgetPage(p)) this.kvm.alloc.free(p << 12n);
  }

  /* ------------------------------------------------------------ operations → steps */

  runOp(op: Op): void {
    this.stats.ops++;
    this.log.push(`[${this.opIndex++}] ${showOp(op)}`);
    const m = this.model;
    const hc = (name: ModelHcallName, ...args: bigint[]): void => this.step({ s: 'hcall', name, id: hcallId(name), args });
    /* What KVM does before a guest memory call: load a vCPU of the VM, top up its memcache. */
    const loadFor = (slot: number, topup: boolean): void => {
      if (m.loaded?.slot !== slot) {
        if (m.loaded) hc('__pkvm_vcpu_put');
        hc('__pkvm_vcpu_load', BigInt(HANDLE_OFFSET + slot), 0n, 0n);
      }
      if (topup && m.loaded) this.step({ s: 'topup' });
    };
    /* Without prep the call goes to whatever vCPU is loaded (the memcache is still topped up: an empty
     * one would make the stage-2 map fail after the host side changed, a hyp_panic upstream). */
    const prepare = (prep: boolean, v: VmSym, want: 'prot' | 'np', topup: boolean): void => {
      if (prep) loadFor(this.vmSlot(v, want), topup);
      else if (topup && m.loaded) this.step({ s: 'topup' });
    };
    switch (op.t) {
      case 'share_hyp': {
        const pfn = this.pfn(op.pfn, 'host_owned');
        if (op.hint) this.step({ s: 'hcall', name: '__pkvm_host_share_hyp', id: hcallId('__pkvm_host_share_hyp') | SMCCC_HINT_BIT, args: [pfn] });
        else hc('__pkvm_host_share_hyp', pfn);
        break;
      }
      case 'unshare_hyp': hc('__pkvm_host_unshare_hyp', this.pfn(op.pfn, 'hyp_shared')); break;
      case 'donate':
        prepare(op.prep, op.vm, 'prot', op.topup);
        this.observeMemcache();
        hc('__pkvm_host_donate_guest', this.pfn(op.pfn, 'host_owned'), this.gfn(op.gfn, m.loadedVm(), 'free'));
        break;
      case 'share': {
        prepare(op.prep, op.vm, 'np', op.topup);
        this.observeMemcache();
        /* A 2 MiB share picks the aligned block of fuzz pages and an aligned gfn. */
        const block = op.nr === 512n;
        const pfn = block && op.pfn.k === 'pick' ? this.fuzzPfns[0]! : this.pfn(op.pfn, 'shareable');
        const gfn = block && op.gfn.k === 'pick' ? (op.gfn.i & 1 ? GFNS[5] : GFNS[0]) : this.gfn(op.gfn, m.loadedVm(), 'free');
        hc('__pkvm_host_share_guest', pfn, gfn, op.nr, op.prot);
        break;
      }
      case 'unshare': {
        const h = this.handle(op.h, 'np');
        hc('__pkvm_host_unshare_guest', BigInt(h), this.gfn(op.gfn, this.vmOfHandle(h), 'borrowed'), op.nr);
        break;
      }
      case 'relax':
        if (op.prep) loadFor(this.vmSlot(op.vm, 'np', 'borrowed'), false);
        hc('__pkvm_host_relax_perms_guest', this.gfn(op.gfn, m.loadedVm(), 'borrowed'), op.prot);
        break;
      case 'wrprotect': {
        const h = this.handle(op.h, 'np');
        hc('__pkvm_host_wrprotect_guest', BigInt(h), this.gfn(op.gfn, this.vmOfHandle(h), 'borrowed'), op.nr);
        break;
      }
      case 'young': {
        const h = this.handle(op.h, 'np');
        hc('__pkvm_host_test_clear_young_guest', BigInt(h), this.gfn(op.gfn, this.vmOfHandle(h), 'borrowed'), op.nr, op.mkold ? 1n : 0n);
        break;
      }
      case 'mkyoung':
        if (op.prep) loadFor(this.vmSlot(op.vm, 'np', 'borrowed'), false);
        hc('__pkvm_host_mkyoung_guest', this.gfn(op.gfn, m.loadedVm(), 'borrowed'));
        break;
      case 'load': hc('__pkvm_vcpu_load', BigInt(this.handle(op.h)), BigInt(op.vcpu), 0n); break;
      case 'put': hc('__pkvm_vcpu_put'); break;
      case 'teardown': {
        const h = this.handle(op.h, 'any');
        if (op.prep && m.loaded && HANDLE_OFFSET + m.loaded.slot === h) hc('__pkvm_vcpu_put');
        hc('__pkvm_start_teardown_vm', BigInt(h));
        break;
      }
      case 'reclaim': {
        const h = this.handle(op.h, 'dying');
        hc('__pkvm_reclaim_dying_guest_page', BigInt(h), this.gfn(op.gfn, this.vmOfHandle(h), 'mapped'));
        break;
      }
      case 'finalize': hc('__pkvm_finalize_teardown_vm', BigInt(this.handle(op.h, 'dying'))); break;
      case 'destroy': this.destroyVm(this.vmSlot(op.vm, 'any')); break;
      case 'force_reclaim': hc('__pkvm_force_reclaim_guest_page', ((this.pfn(op.pa, 'guest_owned') << 12n) | op.off) & M64); break;
      case 'guest_share':
      case 'guest_unshare': {
        loadFor(this.vmSlot(op.vm, 'prot', op.t === 'guest_share' ? 'owned' : 'guest_shared'), false);
        const vm = m.loadedVm();
        if (vm?.protected) {
          const gfn = this.gfn(op.gfn, vm, op.t === 'guest_share' ? 'owned' : 'guest_shared');
          this.step({ s: 'guest', call: op.t === 'guest_share' ? 'share' : 'unshare', gfn });
        } else this.log.push('  (no protected vCPU loaded: skipped)');
        break;
      }
      case 'guest_hvc': {
        /* A guest HVC taken to EL2 while the vCPU runs: MEM_SHARE / MEM_UNSHARE mostly on a protected VM. */
        const mem = op.fn === 'share' || op.fn === 'unshare' || op.fn === 'relinquish' || op.fn === 'guard_map' || op.fn === 'guard_unmap';
        const has: GfnPurpose = op.fn === 'share' ? 'owned' : op.fn === 'unshare' ? 'guest_shared' : op.fn === 'guard_unmap' ? 'guarded' : 'mapped';
        const memCall = op.fn === 'share' || op.fn === 'unshare' || op.fn === 'relinquish' || op.fn === 'guard_unmap';
        const psci = op.fn === 'cpu_on' || op.fn === 'cpu_off' || op.fn === 'affinity_info';
        /* PSCI: mostly a protected VM with secondaries (R20), whose vCPU 1 starts OFF. */
        const smp = psci && op.vm.k === 'pick' && op.vm.i % 4 !== 3 ? m.slots.findIndex((v) => !!v && !v.dying && v.protected && v.nrVcpus > 1) : -1;
        loadFor(smp >= 0 ? smp : this.vmSlot(op.vm, op.fn === 'share' || op.fn === 'unshare' || psci ? 'prot' : 'any', memCall ? has : undefined), false);
        const vm = m.loadedVm();
        if (vm) {
          /* x1 = the IPA for the memory and guard map/unmap calls; 0 for discovery, HYP_MEMINFO, guard
           * info/enroll ('unaligned': a non-zero x1). Guard picks: a guarded IPA to unmap, MMIO to map. */
          const gfn = op.fn === 'guard_map' && op.gfn.k === 'pick' && op.gfn.i % 4 !== 3 ? GFN_MMIO + BigInt(op.gfn.i % 3) : this.gfn(op.gfn, vm, has);
          /* PSCI (R20): a target MPIDR (vCPU 0, 1, none, Aff1 = 1, a bit outside MPIDR_HWID_BITMASK), and
           * AFFINITY_INFO's lowest affinity level (0, 1, 2, 4: invalid) or CPU_ON's entry point. */
          const pick = op.gfn.k === 'pick' ? op.gfn.i : 0;
          if (psci) {
            const target = op.fn === 'cpu_off' ? 0n : [1n, 1n, 1n, 0n, 2n, 0x100n, 1n << 40n][pick % 7]!;
            const x2 = op.fn === 'affinity_info' ? [0n, 1n, 2n, 4n][(pick >> 1) % 4]! : op.fn === 'cpu_on' ? 0x4000_0000n : 0n;
            this.step({ s: 'guest_hvc', fn: op.fn, x1: target, x2, x3: op.fn === 'cpu_on' ? 0x1234n : 0n });
            break;
          }
          const x1 = mem ? ((gfn << 12n) & M64) | (op.bad === 'unaligned' ? 0x10n : 0n)
            : op.fn === 'psci_features' ? [0xc400_0003n, 0x8400_0002n, 0x8400_0005n, 0x1_8400_0000n][op.gfn.k === 'pick' ? op.gfn.i % 4 : 0]! /* CPU_ON_64, CPU_OFF, MIGRATE, a 64-bit alias */
              : op.bad === 'unaligned' ? 0x10n : 0n;
          this.step({ s: 'guest_hvc', fn: op.fn, x1, x2: op.bad === 'x2' ? 1n : 0n, x3: op.bad === 'x3' ? 0x1000n : 0n });
        } else this.log.push('  (no vCPU loaded: skipped)');
        break;
      }
      case 'host_read':
      case 'host_write': {
        const write = op.t === 'host_write';
        this.step({ s: 'host_access', pa: this.pfn(op.pa) << 12n, write, val: write ? op.val : 0n, what: showPfnSym(op.pa) });
        break;
      }
      case 'guest_read':
      case 'guest_write': {
        const slot = this.vmSlot(op.vm, 'any', 'mapped');
        const vm = m.slots[slot];
        const write = op.t === 'guest_write';
        if (vm && !vm.dying) this.step({ s: 'guest_access', slot, gfn: this.gfn(op.gfn, vm, 'mapped'), write, val: write ? op.val : 0n });
        else this.log.push('  (no live VM in that slot: skipped)');
        break;
      }
      case 'create':
        if (m.freeSlot() >= 0) this.createStep(op.prot);
        else this.log.push('  (VM table full: skipped)');
        break;
      case 'bad_hcall': this.step({ s: 'bad_hcall', id: HCALL_BASE + op.n, args: [0x40000n] }); break;
      case 'prot_finalize': hc('__pkvm_prot_finalize'); break;
      case 'vcpu_run': {
        /* The host runs a vCPU with the wrong struct kvm_vcpu (never the loaded one's: guests do not run here). */
        const l = m.loaded;
        const pas = (slot: number): bigint[] => this.layouts[slot]?.hostVcpuPas ?? [];
        const mine = l ? pas(l.slot)[l.vcpu] : undefined;
        let x1: bigint;
        switch (op.x1) {
          case 'zero': x1 = 0n; break;
          case 'offset': x1 = (mine ?? pas(0)[0] ?? 0n) + 8n; break;
          case 'other_vcpu': x1 = (l ? pas(l.slot).find((p) => p !== mine) : undefined) ?? pas(0)[1] ?? 0n; break;
          case 'other_vm': x1 = [0, 1, 2].filter((s) => s !== l?.slot).map((s) => pas(s)[0]).find((p) => p !== undefined) ?? 0n; break;
        }
        if (x1 === mine) x1 = 0n;
        hc('__kvm_vcpu_run', x1);
        break;
      }
      case 'sync_state': hc('__pkvm_vcpu_sync_state'); break;
      case 'init_vm': this.initVmOp(op); break;
      /* ---- DMA isolation */
      case 'io_alloc': this.step({ s: 'io_alloc', domain: this.domain(op.dom, true), type: op.type }); break;
      case 'io_free': {
        const dom = this.domain(op.dom);
        const d = m.domains.get(Number(dom & 0xffffn));
        if (op.prep && d) {
          /* The host driver: detach its devices and unmap everything before freeing the domain. */
          for (const [sid, x] of [...m.streams]) if (x === d.id) hc('__pkvm_host_iommu_detach_dev', 0n, dom, BigInt(sid), 0n);
          for (const mp of [...d.maps.values()]) hc('__pkvm_host_iommu_unmap_pages', dom, mp.iova, BigInt(mp.pages) * 0x1000n, 1n);
        }
        hc('__pkvm_host_iommu_free_domain', dom);
        break;
      }
      case 'io_attach': hc('__pkvm_host_iommu_attach_dev', 0n, this.domain(op.dom), BigInt(op.sid), op.pasid, 0n); break;
      case 'io_detach': {
        const attached = m.streams.get(op.sid);
        const dom = op.dom.k === 'pick' && attached !== undefined && op.dom.i % 4 ? BigInt(attached) : this.domain(op.dom);
        hc('__pkvm_host_iommu_detach_dev', 0n, dom, BigInt(op.sid), 0n);
        break;
      }
      case 'io_map': {
        const dom = this.domain(op.dom);
        const block = op.pgsize === 0x20_0000n;
        const pfn = block && op.pfn.k === 'pick' ? this.fuzzPfns[0]! : this.pfn(op.pfn, 'dma_map');
        this.step({ s: 'io_map', domain: dom, iova: this.iova(op.iova, dom, 'free', op.pgsize), pa: (pfn << 12n) & M64, pgsize: op.pgsize, pgcount: op.pgcount, prot: op.prot });
        break;
      }
      case 'io_unmap': {
        const dom = this.domain(op.dom);
        hc('__pkvm_host_iommu_unmap_pages', dom, this.iova(op.iova, dom, 'mapped', op.pgsize), op.pgsize, op.pgcount);
        break;
      }
      case 'io_iova_to_phys': {
        const dom = this.domain(op.dom);
        hc('__pkvm_host_iommu_iova_to_phys', dom, this.iova(op.iova, dom, 'mapped', 0n));
        break;
      }
      case 'io_refill': {
        const pas = op.pfns.map((p) => (this.pfn(p, 'host_owned') << 12n) & M64);
        /* A memcache list: the head page holds the address of the next one (a host write). */
        if (pas.length > 1) this.step({ s: 'host_access', pa: pas[0]!, write: true, val: pas[1]!, what: 'memcache link' });
        this.step({ s: 'io_refill', id: op.id, pfns: pas.map((pa) => pa >> 12n), upstream: op.upstream });
        break;
      }
      case 'io_reclaim': this.step({ s: 'io_reclaim', id: op.id, target: op.target, upstream: op.upstream }); break;
      case 'io_reclaimable': hc(op.upstream ? '__pkvm_hyp_reclaimable' : '__pkvm_hyp_alloc_mgt_reclaimable', op.id); break;
      case 'dma':
        if (this.dma) this.step({ s: 'dma', src: this.dmaAddr(op.src), dst: this.dmaAddr(op.dst), len: op.len });
        else this.log.push('  (no IOMMU on this board: skipped)');
        break;
      case 'ffa_share': case 'ffa_reclaim': case 'ffa_sp': runFfaOp(this, op); break;
    }
  }

  /* ------------------------------------------------------------ one step on both sides */

  private describe(s: Step): string {
    const pfnName = (v: bigint): string => {
      const n = this.names.get(v & ((1n << 52n) - 1n));
      return n ? `${hex(v)} ${v >> 52n ? `alias of ${n}` : n}` : hex(v);
    };
    switch (s.s) {
      case 'hcall': {
        const a = s.args;
        const hint = s.id & SMCCC_HINT_BIT ? ' [SMCCC hint bit]' : '';
        switch (s.name) {
          case '__pkvm_host_share_hyp': case '__pkvm_host_unshare_hyp': return `${s.name}(pfn ${pfnName(a[0]!)})${hint}`;
          case '__pkvm_host_donate_guest': return `${s.name}(pfn ${pfnName(a[0]!)}, gfn ${hex(a[1]!)})`;
          case '__pkvm_host_share_guest': return `${s.name}(pfn ${pfnName(a[0]!)}, gfn ${hex(a[1]!)}, nr ${a[2]}, prot ${hex(a[3]!)})`;
          case '__pkvm_force_reclaim_guest_page': return `${s.name}(phys ${hex(a[0]!)} ${this.names.get(a[0]! >> 12n) ?? ''})`;
          default: return `${s.name}(${a.map(hex).join(', ')})`;
        }
      }
      case 'bad_hcall': return `hvc id ${hex(s.id)} (function ${s.id - HCALL_BASE})`;
      case 'guest': return `guest: __pkvm_guest_${s.call}_host(gfn ${hex(s.gfn)}) on the loaded vCPU`;
      case 'guest_hvc': return `guest HVC ${HVC_NAMES[s.fn]}(x1 ${hex(s.x1)}${s.x2 ? `, x2 ${hex(s.x2)}` : ''}${s.x3 ? `, x3 ${hex(s.x3)}` : ''}) on the loaded vCPU`;
      case 'host_access': return `host ${s.write ? `write ${hex(s.val)} to` : 'read of'} PA ${hex(s.pa)} (${this.names.get(s.pa >> 12n) ?? s.what})`;
      case 'guest_access': return `guest slot${s.slot} ${s.write ? `write ${hex(s.val)} to` : 'read of'} gfn ${hex(s.gfn)}`;
      case 'topup': return 'host: top up the loaded vCPU memcache';
      case 'io_alloc': return `host iommu driver: __pkvm_host_iommu_alloc_domain(${hex(s.domain)}, type ${s.type}) (refilling the pool on request)`;
      case 'io_map': return `host iommu driver: map_pages(domain ${hex(s.domain)}, iova ${hex(s.iova)}, pa ${pfnName(s.pa >> 12n)}, pgsize ${hex(s.pgsize)}, pgcount ${hex(s.pgcount)}, prot ${hex(s.prot)}) (refilling the pool on request)`;
      case 'io_refill': return `${s.upstream ? '__pkvm_hyp_topup' : '__pkvm_hyp_alloc_mgt_refill'}(${s.id}, [${s.pfns.map(pfnName).join(', ')}])`;
      case 'io_reclaim': return `${s.upstream ? '__pkvm_hyp_reclaim' : '__pkvm_hyp_alloc_mgt_reclaim'}(${s.id}, target ${s.target})`;
      case 'dma': return `dma engine: copy ${hex(s.len)} bytes from ${hex(s.src)} to ${hex(s.dst)}`;
      case 'custom': return s.line;
    }
  }

  /**
   * R14: tell the model how many pages EL2's memcache of the loaded vCPU will hold after
   * refill_memcache() (topped up to the host memcache's count); it does not model table pages.
   */
  private observeMemcache(): void {
    const vcpu = this.el2.pkvm.loaded_vcpu(0);
    if (!vcpu) { this.model.memcachePages = null; return; }
    const hostMc = new HostVcpuView(this.el2.mem, vcpu.host_vcpu).pkvm_memcache.nr_pages;
    const hypMc = vcpu.pkvm_memcache.nr_pages;
    this.model.memcachePages = hypMc < hostMc ? hostMc : hypMc;
  }

  step(s: Step): void {
    this.stats.steps++;
    const line = this.describe(s);
    const w0 = hypWarnConfig.warnings.length;
    let expect: string;
    let got: string;
    let expectWarn = false;
    try {
      switch (s.s) {
        case 'hcall':
        case 'bad_hcall': {
          const e = this.model.hcall(s.id, s.args);
          expectWarn = e.warn;
          const frame = [s.id, ...s.args].map((v) => BigInt.asUintN(64, v)); /* registers: an address past 2^64 wraps */
          while (frame.length < 6) frame.push(0n);
          this.el2.hcallFrame(frame);
          const show = (x0: bigint, x1: bigint): string =>
            x0 !== 0n ? `x0=${s64(x0)} (NOT_SUPPORTED) x1=${hex(x1)}` : `x0=0 x1=${s.s === 'hcall' && (s.name === '__pkvm_vcpu_load' || s.name === '__pkvm_vcpu_put') ? hex(x1) : errnoName(s64(x1))}`;
          expect = show(e.x0, e.x1);
          got = show(frame[0]!, frame[1]!);
          break;
        }
        case 'guest': {
          const e = s.call === 'share' ? this.model.guestShareHost(s.gfn) : this.model.guestUnshareHost(s.gfn);
          expectWarn = e.warn;
          expect = errnoName(e.ret);
          const vcpu = this.el2.pkvm.loaded_vcpu(0);
          if (!vcpu) got = 'no vCPU loaded';
          else got = errnoName((s.call === 'share' ? __pkvm_guest_share_host : __pkvm_guest_unshare_host)(this.el2.pkvm, vcpu, s.gfn));
          break;
        }
        case 'guest_hvc': {
          const e = this.model.guestHvc(s.fn, s.x1, s.x2, s.x3);
          expectWarn = e.warn;
          const regs = [HVC_IDS[s.fn], s.x1, s.x2, s.x3];
          const show = (x: bigint[] | null, exit: string): string =>
            `${x === null ? 'x0..x3 untouched' : `x0..x3 = ${s64(x[0]!)}, ${x.slice(1).map(hex).join(', ')}`}, ${GUEST_HVC_EXITS[exit] ?? exit}`;
          expect = show(e.regs, e.exit);
          const vcpu = this.el2.pkvm.loaded_vcpu(0);
          if (!vcpu) { got = 'no vCPU loaded'; break; }
          regs.forEach((v, i) => this.core.setX(i, v));
          /* The trap as the world switch records it: ESR_EL2 of the HVC, no fault address. */
          const esr = BigInt(EC_HVC64) << 26n;
          vcpu.fault = { esr_el2: esr, hpfar_el2: 0n, far_el2: 0n };
          const r = pkvm_handle_guest_trap(this.el2, vcpu, esr);
          const x = [0, 1, 2, 3].map((i) => this.core.getX(i));
          const untouched = x.every((v, i) => v === regs[i]);
          got = show(untouched && e.regs === null ? null : x, this.guestHvcExit(vcpu, r, s.x1));
          break;
        }
        case 'host_access': {
          const e = this.model.hostAccess(s.pa, s.write, s.val);
          [expect, got] = showAccesses(e, this.hostAccess(s.pa, s.write, s.val));
          break;
        }
        case 'guest_access': {
          const vm = this.model.slots[s.slot]!;
          const e = this.model.guestAccess(vm, s.gfn, s.write, s.val);
          [expect, got] = showAccesses(e, this.guestAccess(vm, s.gfn, s.write, s.val));
          break;
        }
        case 'io_alloc': {
          expect = errnoName(this.model.iommuAllocDomain(Number(s.domain & 0xffffn), s.type));
          let r = this.rawHcall('__pkvm_host_iommu_alloc_domain', [s.domain, s.type]);
          for (let n = 0; r.ret === -ENOMEM && this.serveRequest(r, line); n++) {
            if (n > 16) this.fail('alloc_domain keeps asking for memory');
            r = this.rawHcall('__pkvm_host_iommu_alloc_domain', [s.domain, s.type]);
          }
          got = errnoName(r.ret);
          break;
        }
        case 'io_map': {
          const e = this.model.iommuMap(Number(s.domain & 0xffffn), s.iova, s.pa, s.pgsize, s.pgcount, s.prot);
          expect = `mapped ${hex(e)}`;
          /* kvm_iommu_map_pages() of the host driver: call again for the rest after serving a request. */
          let total = 0n;
          for (let n = 0; ; n++) {
            if (n > 64) this.fail('map_pages keeps asking for memory');
            const left = s.pgsize ? s.pgcount - total / s.pgsize : s.pgcount;
            const r = this.rawHcall('__pkvm_host_iommu_map_pages', [s.domain, (s.iova + total) & M64, (s.pa + total) & M64, s.pgsize, left, s.prot]);
            total += r.x1;
            const req = this.serveRequest(r, line);
            if (!req && !r.x1) break;
            if (s.pgsize && total >= s.pgsize * s.pgcount) break;
          }
          got = `mapped ${hex(total)}`;
          break;
        }
        case 'io_refill': {
          const args = [s.id, s.pfns[0]! << 12n, BigInt(s.pfns.length)];
          if (s.upstream) {
            /* x1 = errno, x3 = how many of the host's pages it hands back (x2 = their head) */
            const e = this.model.heapTopup(s.id, s.pfns);
            const r = this.rawHcall('__pkvm_hyp_topup', args);
            expect = `${errnoName(e.ret)}, ${e.left} left`;
            got = `${errnoName(r.ret)}, ${r.x3} left`;
          } else {
            expect = errnoName(this.model.iommuRefill(s.id, s.pfns));
            got = errnoName(this.rawHcall('__pkvm_hyp_alloc_mgt_refill', args).ret);
          }
          break;
        }
        case 'io_reclaim': {
          /* Android's: x1 = head, x2 = nr_pages; upstream's: x1 = 0 / -EINVAL, x2 = head, x3 = nr_pages */
          const r = this.rawHcall(s.upstream ? '__pkvm_hyp_reclaim' : '__pkvm_hyp_alloc_mgt_reclaim', [s.id, BigInt(s.target)]);
          if (s.upstream && r.ret !== (s.id === 0n ? 0 : -EINVAL)) {
            expect = s.id === 0n ? 'x1 = 0' : 'x1 = -EINVAL';
            got = `x1 = ${errnoName(r.ret)}`;
            break;
          }
          const mc = s.upstream ? { head: r.x2, nr_pages: r.x3 } : { head: r.x1, nr_pages: r.x2 };
          const pfns: bigint[] = [];
          for (let p = pop_hyp_memcache(this.el2.mem, mc); p !== null && pfns.length <= 4096; p = pop_hyp_memcache(this.el2.mem, mc)) pfns.push(p >> 12n);
          /* (upstream's reclaim of any id but PKVM_TOPUP_HYP_ALLOC gives nothing back) */
          const err = s.upstream && s.id !== 0n
            ? (pfns.length ? `${pfns.length} pages given back for pkvm_topup_id ${s.id}` : null)
            : this.model.iommuReclaim(s.id, s.target, pfns);
          expect = 'pool pages back to the host';
          got = err ?? expect;
          for (const p of pfns) if (this.poolAllocPages.delete(p)) this.kvm.alloc.free(p << 12n);
          if (pfns.length) this.log.push(`  (pages back: ${pfns.map(hex).join(', ')})`);
          break;
        }
        case 'dma': {
          const e = this.model.dmaCopy(s.src, s.dst, s.len);
          this.touched.length = 0;
          const r = this.dma!.copy(s.src, s.dst, s.len);
          const show = (status: number, done: bigint, stop: { iova: bigint; write: boolean } | null | undefined, touched: string[]): string =>
            `status ${status} done ${hex(done)}${stop ? ` stopped at ${hex(stop.iova)} (${stop.write ? 'write' : 'read'})` : ''} touched [${touched.join(', ')}]`;
          expect = show(e.status, e.done, e.stop, e.touched.map((t) => `${t.write ? 'w' : 'r'} ${hex(t.pfn)}`));
          got = show(r.status, r.done, r.fault, this.touched);
          break;
        }
        case 'custom': ({ expect, got, expectWarn } = s.run()); break;
        case 'topup': {
          const l = this.model.loaded!;
          const hv = this.hostVms[l.slot];
          if (hv) this.kvm.topupMemcache(hv.vcpus[l.vcpu]!);
          this.log.push(`  ${line}`);
          return;
        }
      }
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      this.log.push(`  ${line} → threw ${(e as Error).stack ?? e}`);
      this.fail(`the machine threw at step ${this.stats.steps}: ${(e as Error).message}`);
    }
    const warns = hypWarnConfig.warnings.slice(w0);
    const gotWarn = warns.length > 0;
    if (gotWarn) this.stats.warns++;
    const warnText = gotWarn ? ` WARN(${warns.join('; ')})` : '';
    if (expect !== got || expectWarn !== gotWarn) {
      this.log.push(`  ${line} → ${got}${warnText}   ✗ model expected ${expect}${expectWarn ? ' with a WARN' : ''}`);
      this.fail(`step ${this.stats.steps}: return value disagrees with the model`);
    }
    this.log.push(`  ${line} → ${got}${warnText}`);
    if (coverage.enabled) {
      const nr = s.s === 'hcall' && /share_guest|wrprotect|young/.test(s.name) && s.args[2] === 512n ? ' [2M]' : '';
      const kind = s.s === 'hcall' ? s.name + nr : s.s === 'guest' ? `guest_${s.call}_host` : s.s === 'guest_hvc' ? `guest HVC ${HVC_NAMES[s.fn]} (${this.opts.guestHvcAbi ?? 'upstream'})` : s.s === 'host_access' || s.s === 'guest_access' ? `${s.s} ${s.write ? 'write' : 'read'}` : s.s === 'custom' ? s.kind : s.s;
      cover(`${kind} → ${got.replace(/ PA 0x[0-9a-f]+/, '').replace(/ value 0x[0-9a-f]+/, ' (value checked)').replace(/x1=0x[0-9a-f]+/, 'x1=…').replace(/ handle 0x[0-9a-f]+/, '')}${gotWarn ? ' +WARN' : ''}`);
    }
    this.afterStep();
  }

  /** Where the hyp's guest trap handler left the vCPU (model.ts GuestHvcExit). */
  private guestHvcExit(vcpu: NonNullable<ReturnType<HostedEl2['pkvm']['loaded_vcpu']>>, r: 'resume' | 'exit', ipa: bigint): string {
    if (r === 'resume') return vcpu.exit_hcall ? `guest (with a report of kind ${vcpu.exit_hcall.kind})` : 'guest';
    if (vcpu.exit_hcall) return HCALL_REPORTS[Number(vcpu.exit_hcall.kind)] ?? `host report of kind ${vcpu.exit_hcall.kind}`;
    const f = vcpu.fault;
    /* A level-3 write translation fault on the IPA (EC DABT_LOW, WnR, FSC 0b000111), HPFAR = IPA[55:12] << 4. */
    if (f.esr_el2 === ((0x24n << 26n) | (1n << 6n) | 0x7n) && f.hpfar_el2 === ((ipa >> 8n) & 0xffff_ffff_fff0n) && f.far_el2 === 0n) return 'host-fault';
    if (((f.esr_el2 >> 26n) & 0x3fn) === BigInt(EC_HVC64)) return 'host';
    return `host (fault ESR ${hex(f.esr_el2)} HPFAR ${hex(f.hpfar_el2)})`;
  }

  /** A host hypercall through the SMCCC frame (x1..x6): x1, x2, x3 and x1 as an errno. */
  private rawHcall(name: ModelHcallName, args: bigint[]): { x1: bigint; x2: bigint; x3: bigint; ret: number } {
    const frame = [hcallId(name), ...args.map((a) => a & M64)];
    while (frame.length < 7) frame.push(0n);
    this.el2.hcallFrame(frame);
    if (frame[0] !== 0n) this.fail(`${name}: x0=${s64(frame[0]!)}`);
    return { x1: frame[1]!, x2: frame[2]!, x3: frame[3]!, ret: s64(frame[1]!) };
  }

  /**
   * The host driver serves the hyp's memory request in x2/x3 (one page from its allocator into the
   * IOMMU pool; the model admits it as a donation to the hyp). false when there is none.
   */
  private serveRequest(r: { x2: bigint; x3: bigint }, line: string): boolean {
    const req = hyp_reqs_smccc_decode(r.x2, r.x3);
    if (req.type === KVM_HYP_LAST_REQ) return false;
    if (req.type !== KVM_HYP_REQ_TYPE_MEM || req.dest !== REQ_MEM_DEST_HYP_IOMMU || req.sz_alloc !== 4096 || req.nr_pages < 1) {
      this.log.push(`  ${line} → bogus memory request ${JSON.stringify(req)}`);
      this.fail('the hyp made a bogus memory request');
    }
    for (let i = 0; i < req.nr_pages; i++) {
      const p = this.kvm.allocPage();
      const e = this.model.iommuRefill(1n, [p >> 12n]);
      const g = this.rawHcall('__pkvm_hyp_alloc_mgt_refill', [1n, p, 1n]).ret;
      if (e || g) {
        this.log.push(`  host: refill the IOMMU pool with ${hex(p)} → ${errnoName(g)}   ✗ model expected ${errnoName(e)}`);
        this.fail('refill of the IOMMU pool on request disagrees with the model');
      }
      this.poolAllocPages.add(p >> 12n);
    }
    this.log.push(`  (the hyp asked for ${req.nr_pages} page(s): refilled the IOMMU pool)`);
    return true;
  }

  private hostAccess(pa: bigint, write: boolean, val: bigint): AccessOutcome {
    try {
      if (write) {
        this.kvm.mem.writeU64(pa, val);
        return { ok: true, pa, value: null };
      }
      return { ok: true, pa, value: this.kvm.mem.readU64(pa) };
    } catch (e) {
      if (e instanceof HostAccessError) return { ok: false, errno: e.errno };
      throw e;
    }
  }

  private guestAccess(vm: VmM, gfn: bigint, write: boolean, val: bigint): AccessOutcome {
    const hvm = this.el2.pkvm.get_vm_by_handle(vm.handle);
    if (!hvm) return { ok: false, errno: -999 };
    const t = this.core.walkStage2((gfn << 12n) & M64, write ? 'w' : 'r', this.el2.pkvm.guest_vttbr(hvm), hvm.mmu.vtcr);
    if (!('pa' in t)) return { ok: false, errno: -14 };
    if (write) {
      this.core.writePhysU64(t.pa, val);
      return { ok: true, pa: t.pa, value: null };
    }
    return { ok: true, pa: t.pa, value: this.core.readPhysU64(t.pa) };
  }

  /* ------------------------------------------------------------ state comparison */

  /** After every step: compare with the model; run the invariant checker now or at the end of the op. */
  private afterStep(): void {
    const diffs = this.compareState();
    if (diffs.length) {
      this.log.push(...diffs.map((d) => `    ✗ ${d}`));
      this.fail(`state disagrees with the model after step ${this.stats.steps}`);
    }
    if (this.opts.invariants === 'step') this.checkInvariants();
    else this.invariantsDue = true;
  }
  invariantsDue = false;
  resetStats(): void { this.stats.ops = this.stats.steps = this.stats.warns = this.stats.checks = 0; }
  checkInvariants(): void {
    this.invariantsDue = false;
    this.stats.checks++;
    const errs = this.el2.pkvm.checkInvariants();
    if (errs.length) {
      this.log.push(...errs.map((d) => `    ✗ invariant: ${d}`));
      this.fail(`pkvm.checkInvariants() failed after step ${this.stats.steps}`);
    }
  }
  /** The end of a generated operation (its prep steps and its call). */
  endOp(): void {
    if (this.opts.tamper) {
      this.opts.tamper(this.el2, this.opIndex - 1);
      this.afterStep();
    }
    if (this.invariantsDue) this.checkInvariants();
  }

  private compareState(): string[] {
    const d: string[] = [];
    const m = this.model;
    const pkvm = this.el2.pkvm;
    const vmm = pkvm.vmemmap;
    const cb = this.el2.carveout.base >> 12n;
    const ce = cb + (this.el2.carveout.size >> 12n);
    /* The fuzz pages and every page the model knows of but the carve-out's interior, each once. */
    const pfns: bigint[] = [...this.fuzzPfns];
    for (const p of m.pages.keys()) if ((p === cb || p < cb || p >= ce) && !this.fuzzPfns.includes(p)) pfns.push(p);
    /* (messages are built only for a difference, and no closure per page: this runs after every step) */
    const what = (pfn: bigint): string => { const n = this.names.get(pfn); return `page ${hex(pfn)}${n ? ` (${n})` : ''}`; };
    for (const pfn of pfns) {
      const e = m.page(pfn);
      const i = vmm.idx(pfn << 12n);
      const hs = HOST_STATES[vmm.get_host_state(i)] ?? `?${vmm.get_host_state(i)}`;
      const ys = HYP_STATE_NAMES[vmm.get_hyp_state(i)] ?? `?${vmm.get_hyp_state(i)}`;
      if (hs !== e.host || ys !== (e.hyp as HypState)) d.push(`${what(pfn)}: host ${hs} / hyp ${ys}, model host ${e.host} / hyp ${e.hyp}`);
      if (vmm.shareCount(i) !== e.shareCount) d.push(`${what(pfn)}: host_share_guest_count ${vmm.shareCount(i)}, model ${e.shareCount}`);
      if (e.hyp === 'SHARED_BORROWED' && vmm.refcount(i) !== e.pin) d.push(`${what(pfn)}: pin refcount ${vmm.refcount(i)}, model ${e.pin}`);
      if (e.host === 'NOPAGE' && hs === 'NOPAGE' && pfn !== cb) {
        const pte = rawLeaf(this.core, pkvm.host_mmu.pgt, pfn << 12n)!.pte;
        const owner = OWNER_IDS[Number(FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, pte))] ?? '?';
        const meta = FIELD_GET(KVM_HOST_DONATION_PTE_EXTRA_MASK, pte);
        const o = e.owner;
        /* The annotation the model expects (what the strings below compare, without building them). */
        const same = !kvm_pte_valid(pte) && !!o && owner === o.id &&
          (o.id !== 'GUEST' || ((meta & 0xffffn) === BigInt(o.handle) && meta >> 16n === o.gfn));
        if (!same) {
          const got = kvm_pte_valid(pte) ? `valid pte ${hex(pte)}` : owner === 'GUEST' ? `GUEST(${hex(meta & 0xffffn)}, gfn ${hex(meta >> 16n)})` : owner;
          const want = !o ? 'none' : o.id === 'GUEST' ? `GUEST(${hex(o.handle)}, gfn ${hex(o.gfn)})` : o.id;
          if (got !== want) d.push(`${what(pfn)}: host stage-2 annotation ${got}, model ${want}`);
        }
      }
      if (e.content !== null) {
        const v = this.core.readPhysU64(pfn << 12n);
        if (v !== e.content) d.push(`${what(pfn)}: first word ${hex(v)}, model ${hex(e.content)}`);
      }
    }
    for (let slot = 0; slot < MAX_VMS; slot++) {
      const e = m.slots[slot];
      const hv = pkvm.get_vm_by_handle(HANDLE_OFFSET + slot);
      const reservedEntry = pkvm.vm_table[slot] === RESERVED_ENTRY;
      if (reservedEntry !== m.reserved.has(slot)) d.push(`slot ${slot}: ${reservedEntry ? 'reserved' : 'not reserved'}, model ${m.reserved.has(slot) ? 'reserved' : 'not reserved'}`);
      if (!e !== !hv) { d.push(`slot ${slot}: VM ${hv ? 'exists' : 'missing'}, model ${e ? 'exists' : 'missing'}`); continue; }
      if (!e || !hv) continue;
      if (e.dying !== hv.is_dying || e.protected !== hv.is_protected) d.push(`slot ${slot}: dying ${hv.is_dying} protected ${hv.is_protected}, model ${e.dying} / ${e.protected}`);
      /* R12c: the MMIO guard */
      const gg = hv.mmio_guard;
      if (gg.enrolled !== e.guard.enrolled || gg.granules.size !== e.guard.granules.size || [...gg.granules].some((x) => !e.guard.granules.has(x))) {
        const show = (g: { enrolled: boolean; granules: Set<bigint> }): string => `${g.enrolled ? 'enrolled' : 'not enrolled'} [${[...g.granules].sort().map(hex).join(', ')}]`;
        d.push(`slot ${slot}: MMIO guard ${show(gg)}, model ${show(e.guard)}`);
      }
      e.power.forEach((want, i) => {
        const got = hv.vcpus[i]?.power_state;
        if (want !== undefined && got !== want) d.push(`slot ${slot} vCPU ${i}: PSCI power state ${String(got)}, model ${want}`);
      });
      const rc = vmm.refcount(vmm.idx(hv.pa));
      if (rc !== m.vmPageRefcount(e)) d.push(`slot ${slot}: VM page refcount ${rc}, model ${m.vmPageRefcount(e)}`);
      for (const g of TRACKED_GFNS) {
        if (sameGuestEntry(this.core, hv.pgt, m, e, g)) continue;
        const got = guestEntry(this.core, hv.pgt, g);
        const want = modelEntry(m, e, g);
        if (got !== want) d.push(`slot ${slot} gfn ${hex(g)}: ${got}, model ${want}`);
      }
    }
    if (this.iommu) {
      for (const pfn of pfns) {
        if (!m.isRamPfn(pfn)) continue;
        const r = hyp_page_dma_refs(pkvm, vmm.idx(pfn << 12n));
        if (r !== m.page(pfn).dma) d.push(`page ${hex(pfn)}${this.names.get(pfn) ? ` (${this.names.get(pfn)})` : ''}: ${r} DMA references, model ${m.page(pfn).dma}`);
      }
      const gotDoms = [...this.iommu.domains.keys()].sort((a, b) => a - b).join(',');
      const wantDoms = [...m.domains.keys()].sort((a, b) => a - b).join(',');
      if (gotDoms !== wantDoms) d.push(`iommu domains [${gotDoms}], model [${wantDoms}]`);
      if (this.iommu.mode === 'hypercall') {
        const gotS = this.iommu.smmu.strtab.map((e, sid) => (e ? `${sid}:${e.vmid}` : '')).filter(Boolean).join(',');
        const wantS = [...m.streams].sort((a, b) => a[0] - b[0]).map(([sid, dm]) => `${sid}:${dm}`).join(',');
        if (gotS !== wantS) d.push(`smmu streams [${gotS}], model [${wantS}]`);
      }
      for (const dm of m.domains.values()) {
        for (const mp of dm.maps.values()) {
          const pa = kvm_iommu_iova_to_phys(pkvm, dm.id, mp.iova);
          if (pa !== mp.pfn << 12n) d.push(`iommu domain ${dm.id} iova ${hex(mp.iova)}: maps ${hex(pa)}, model ${hex(mp.pfn << 12n)}`);
        }
      }
    }
    const lv = pkvm.loaded_vcpu(0);
    const gotLoaded = lv ? `slot ${lv.vm.handle - HANDLE_OFFSET} vCPU ${lv.vcpu_idx}` : 'none';
    const wantLoaded = m.loaded ? `slot ${m.loaded.slot} vCPU ${m.loaded.vcpu}` : 'none';
    if (gotLoaded !== wantLoaded) d.push(`loaded vCPU: ${gotLoaded}, model ${wantLoaded}`);
    return d;
  }
}

function showAccess(a: AccessOutcome, showValue: boolean): string {
  if (!a.ok) return `refused (${a.errno === -999 ? 'no VM' : errnoName(a.errno)})`;
  return `ok PA ${hex(a.pa)}${showValue && a.value !== null ? ` value ${hex(a.value)}` : ''}`;
}
/** [expected, got]: the value read is compared only where the model knows the page's contents. */
function showAccesses(e: AccessOutcome, g: AccessOutcome): [string, string] {
  const known = e.ok && e.value !== null;
  return [showAccess(e, true), showAccess(g, known || !e.ok)];
}

/**
 * The leaf (or empty entry) translating addr in a stage-2 table: an observer's own walk of the raw
 * descriptors (cheaper than kvm_pgtable_get_leaf(), and independent of it). null when addr is beyond
 * the table's input range.
 */
export function rawLeaf(core: Core, pgt: KvmPgtable, addr: bigint): { pte: bigint; level: number } | null {
  if (addr >> BigInt(pgt.ia_bits)) return null;
  /* In numbers (addresses are below 2^52): RAM read through the core's view, anything else by
   * readPhysU64 (which throws outside RAM). */
  const a = Number(addr);
  const ramBase = Number(core.ramBase);
  const dv = core.view;
  let level = pgt.start_level;
  let table = Number(pgt.pgd!);
  let idx = Math.floor(a / 2 ** (12 + 9 * (3 - level))); /* concatenated PGD pages: the index spans them */
  for (;;) {
    const o = table + idx * 8 - ramBase;
    const pte = o >= 0 && o + 8 <= core.ramSize ? dv.getBigUint64(L.RAM_HOST + o, true) : core.readPhysU64(BigInt(table + idx * 8));
    if (level === 3 || (pte & 3n) !== 3n) return { pte, level };
    table = Number(pte & 0xfffffffff000n);
    level++;
    idx = Math.floor(a / 2 ** (12 + 9 * (3 - level))) % 512;
  }
}

/** The hyp's guest stage-2 entry at gfn, in the model's terms. */
function guestEntry(core: Core, pgt: KvmPgtable, gfn: bigint): string {
  const leaf = rawLeaf(core, pgt, gfn << 12n);
  if (!leaf) return 'walk error -34';
  const { pte, level } = leaf;
  if (!kvm_pte_valid(pte)) {
    if (FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte) === KVM_GUEST_INVALID_PTE_TYPE_POISONED) return 'POISON';
    return pte ? `invalid pte ${hex(pte)}` : 'NOPAGE';
  }
  const pages = level === 3 ? 1n : level === 2 ? 512n : 0n;
  const base = gfn & ~(pages - 1n);
  const pfn = (kvm_pte_to_phys(pte) >> 12n) + (gfn - base);
  const state = GUEST_STATES[pkvm_getstate(pte)] ?? '?';
  const prot = `${pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R ? 'r' : '-'}${pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W ? 'w' : '-'}${FIELD_GET(KVM_PTE_LEAF_ATTR_HI_S2_XN, pte) === 0n ? 'x' : '-'}`;
  return `${state} pfn ${hex(pfn)} ${pages === 1n ? '4K' : pages === 512n ? '2M' : `level ${level}`} ${prot}${pte & KVM_PTE_LEAF_ATTR_LO_S2_AF ? '' : ' old'}`;
}

/**
 * Whether guestEntry() and modelEntry() would give the same text, decided without building either
 * (true only when every input of both texts agrees; false sends the caller to compare the texts).
 */
function sameGuestEntry(core: Core, pgt: KvmPgtable, m: PkvmModel, vm: VmM, gfn: bigint): boolean {
  const leaf = rawLeaf(core, pgt, gfn << 12n);
  if (!leaf) return false;
  const { pte, level } = leaf;
  const s = m.guestState(vm, gfn);
  if (!kvm_pte_valid(pte)) {
    if (s === 'NOPAGE') return pte === 0n;
    return s === 'POISON' && FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte) === KVM_GUEST_INVALID_PTE_TYPE_POISONED;
  }
  if (s === 'NOPAGE' || s === 'POISON' || GUEST_STATES[pkvm_getstate(pte)] !== s) return false;
  const mp = m.mappingAt(vm, gfn)!;
  const pages = level === 3 ? 1 : level === 2 ? 512 : 0;
  if (pages !== mp.pages) return false;
  const pfn = (kvm_pte_to_phys(pte) >> 12n) + (gfn & BigInt(pages - 1));
  return pfn === mp.pfn + (gfn - mp.gfn) && !!(pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R) === mp.prot.r &&
    !!(pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W) === mp.prot.w && (FIELD_GET(KVM_PTE_LEAF_ATTR_HI_S2_XN, pte) === 0n) === mp.prot.x &&
    !!(pte & KVM_PTE_LEAF_ATTR_LO_S2_AF) === (mp.young !== false);
}

function modelEntry(m: PkvmModel, vm: VmM, gfn: bigint): string {
  const s = m.guestState(vm, gfn);
  if (s === 'NOPAGE' || s === 'POISON') return s;
  const mp = m.mappingAt(vm, gfn)!;
  const prot = `${mp.prot.r ? 'r' : '-'}${mp.prot.w ? 'w' : '-'}${mp.prot.x ? 'x' : '-'}`;
  return `${s} pfn ${hex(mp.pfn + (gfn - mp.gfn))} ${mp.pages === 1 ? '4K' : '2M'} ${prot}${mp.young === false ? ' old' : ''}`;
}

/**
 * Where sequences run: by default one booted machine per board kind (iommu mode, guest-HVC ABI) per process, put
 * back into its just-booted state before each sequence (snapshot.ts); `fresh` boots a new machine
 * (a new Core and WebAssembly instance) for the sequence, as every sequence did before.
 */
export type MachineChoice = 'reuse' | 'fresh';

interface Booted { run: Run; graph: GraphSnapshot; core: CoreSnapshot }
const booted = new Map<string, Booted>();

/** A freshly booted machine, its boot checked against the model and the invariants. */
function bootRun(opts: RunOptions): Run {
  const r = new Run(opts);
  r.start();
  if (r.invariantsDue) r.checkInvariants();
  r.resetStats();
  return r;
}

/** The roots of everything a run's state lives in (besides the Core). */
export function graphRoots(r: Run): object[] {
  const roots: object[] = [r, hypWarnConfig];
  const refs = pkvm_dma_refs(r.el2.pkvm);
  if (refs) roots.push(refs);
  const spmc = boardSpmc(r.core); // the board's secure world (machine/ffa/board.ts keeps it by core)
  if (spmc) roots.push(spmc);
  return roots;
}

/** Takes the state snapshots of a just-booted run. */
export function snapshotRun(r: Run): { graph: GraphSnapshot; core: CoreSnapshot } {
  const graph = new GraphSnapshot(graphRoots(r), { opaque: (o) => o instanceof Core, wasmBuffer: r.core.mem.buffer });
  return { graph, core: new CoreSnapshot(r.core, graph.wasmRanges) };
}

/** The machine a sequence runs on, ready for it. */
export function machineFor(ops: Op[], opts: RunOptions, choice: MachineChoice = 'reuse'): Run {
  let r: Run;
  if (choice === 'fresh') r = bootRun(opts);
  else {
    const key = `${opts.iommu ?? 'hypercall'}/${opts.guestHvcAbi ?? 'upstream'}`;
    let b = booted.get(key);
    if (!b) {
      const run = bootRun(opts);
      b = { run, ...snapshotRun(run) };
      booted.set(key, b);
    } else {
      b.graph.restore();
      b.core.restore();
    }
    r = b.run;
  }
  r.ops = ops;
  r.opts = opts;
  return r;
}

/** Runs one sequence; throws FuzzFailure on the first disagreement. */
export function runSequence(ops: Op[], opts: RunOptions = DEFAULT_RUN_OPTIONS, choice: MachineChoice = 'reuse'): RunStats {
  const r = machineFor(ops, opts, choice);
  try {
    for (const op of ops) { r.runOp(op); r.endOp(); }
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    r.log.push(`threw ${(e as Error).stack ?? e}`);
    throw new FuzzFailure(`unexpected exception: ${(e as Error).message}`, ops, r.log);
  }
  return { ...r.stats };
}

/** Runs one sequence and returns its step list (for printing a counterexample or a demo). */
export function traceSequence(ops: Op[], opts: RunOptions = DEFAULT_RUN_OPTIONS, choice: MachineChoice = 'reuse'): { log: string[]; failure: FuzzFailure | null; stats: RunStats } {
  const r = machineFor(ops, opts, choice);
  try {
    for (const op of ops) { r.runOp(op); r.endOp(); }
    return { log: [...r.log], failure: null, stats: { ...r.stats } };
  } catch (e) {
    const f = e instanceof FuzzFailure ? e : new FuzzFailure(`unexpected exception: ${(e as Error).message}`, ops, [...r.log]);
    return { log: [...r.log], failure: f, stats: { ...r.stats } };
  }
}
