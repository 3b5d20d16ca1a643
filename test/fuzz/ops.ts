/**
 * Operations the fuzzer generates, as plain data that fast-check can shrink: host hypercalls with
 * valid and invalid arguments, guest share/unshare, host and guest memory accesses, VM creation.
 * Page arguments are symbolic (a fuzz page, a VM's struct page, MMIO, …) and resolved against the
 * machine's layout when the sequence runs, so a shrunk sequence stays meaningful.
 */
import fc from 'fast-check';
import type { GuestHvcFn } from './model';

/** Guest RAM gfns every VM uses (IPA 0x4000_0000 on): the first four pages, the last page of the first
 * 2 MiB block and the first page of the next one. */
export const GFNS = [0x40000n, 0x40001n, 0x40002n, 0x40003n, 0x401ffn, 0x40200n] as const;
/** gfns outside a 40-bit IPA space, at its last page, or aliasing GFNS[1] through u64 wrap-around. */
export const GFN_OOB = 1n << 28n;
export const GFN_LAST = (1n << 28n) - 1n;
export const GFN_ALIAS = (1n << 52n) + 0x40001n;
export const GFN_TOP = (1n << 52n) - 1n;
export const GFN_MAX = (1n << 64n) - 1n;
/** Fuzz pages: offsets from the RAM base pfn (host-reserved low memory, 0 is 2 MiB aligned). */
export const FUZZ_OFFSETS = [0, 1, 2, 3, 4, 0x1ff] as const;

export type StructKind = 'kvm' | 'vm' | 'pgd' | 'hostVcpu' | 'hypVcpu';
/**
 * Symbolic arguments. `pick` arguments are resolved when the operation runs, from the model's
 * current state and the operation's needs (e.g. a page the guest owns for guest_share, a page the
 * host owns for donate), so that sequences reach deep states; when nothing fits they fall back to a
 * fixed choice.
 */
export type PfnSym =
  | { k: 'pick'; i: number }
  | { k: 'fuzz'; i: number }
  | { k: 'alias'; i: number } /* 2^52 + fuzz pfn: the same page once shifted into a u64 PA */
  | { k: 'struct'; slot: number; what: StructKind }
  | { k: 'carveout' } /* hyp-owned */
  | { k: 'mmio' } /* the PL011 at 0x0900_0000 */
  | { k: 'hole' } /* PA space between MMIO and RAM's end: not memory */
  | { k: 'palimit' } /* first pfn beyond the 40-bit PA space */
  | { k: 'top' }; /* last page of the 64-bit space */
export type GfnSym = { k: 'pick'; i: number } | { k: 'gfn'; v: bigint };
export type VmSym = { k: 'pick'; i: number } | { k: 'slot'; slot: number };
export type HandleSym = { k: 'pick'; i: number } | { k: 'slot'; slot: number } | { k: 'raw'; v: number };

export type Op =
  | { t: 'share_hyp'; pfn: PfnSym; hint: boolean }
  | { t: 'unshare_hyp'; pfn: PfnSym }
  | { t: 'donate'; pfn: PfnSym; gfn: GfnSym; vm: VmSym; prep: boolean; topup: boolean }
  | { t: 'share'; pfn: PfnSym; gfn: GfnSym; nr: bigint; prot: bigint; vm: VmSym; prep: boolean; topup: boolean }
  | { t: 'unshare'; h: HandleSym; gfn: GfnSym; nr: bigint }
  | { t: 'relax'; gfn: GfnSym; prot: bigint; vm: VmSym; prep: boolean }
  | { t: 'wrprotect'; h: HandleSym; gfn: GfnSym; nr: bigint }
  | { t: 'young'; h: HandleSym; gfn: GfnSym; nr: bigint; mkold: boolean } /* __pkvm_host_test_clear_young_guest */
  | { t: 'mkyoung'; gfn: GfnSym; vm: VmSym; prep: boolean }
  | { t: 'load'; h: HandleSym; vcpu: number }
  | { t: 'put' }
  | { t: 'teardown'; h: HandleSym; prep: boolean }
  | { t: 'reclaim'; h: HandleSym; gfn: GfnSym }
  | { t: 'finalize'; h: HandleSym }
  | { t: 'destroy'; vm: VmSym }
  | { t: 'force_reclaim'; pa: PfnSym; off: bigint }
  | { t: 'guest_share'; vm: VmSym; gfn: GfnSym }
  | { t: 'guest_unshare'; vm: VmSym; gfn: GfnSym }
  | { t: 'guest_hvc'; fn: GuestHvcFn; vm: VmSym; gfn: GfnSym; bad: 'none' | 'x2' | 'x3' | 'unaligned' }
  | { t: 'host_read'; pa: PfnSym }
  | { t: 'host_write'; pa: PfnSym; val: bigint }
  | { t: 'guest_read'; vm: VmSym; gfn: GfnSym }
  | { t: 'guest_write'; vm: VmSym; gfn: GfnSym; val: bigint }
  | { t: 'create'; prot: boolean }
  | { t: 'bad_hcall'; n: bigint }
  | { t: 'prot_finalize' }
  /* __kvm_vcpu_run with an x1 that is not the loaded vCPU's host struct kvm_vcpu (R16), and __pkvm_vcpu_sync_state. */
  | { t: 'vcpu_run'; x1: 'other_vcpu' | 'other_vm' | 'zero' | 'offset' }
  /* R19: the host creates a VM call by call (reserve, struct kvm, __pkvm_init_vm, __pkvm_init_vcpu ×n) with the
   * arguments drawn here, then tears it down in upstream's order if it was created, or unreserves. */
  | { t: 'init_vm'; room: boolean; prot: boolean; nr: number; handle: InitHandle; kvm: HostStruct; idRegs: boolean;
    vm: InitPage; vmOff: boolean; pgd: InitPage; pgdOff: boolean; vcpus: InitVcpu[] }
  | { t: 'sync_state' }
  /* DMA isolation (R13 in model.ts): the host's IOMMU driver and a DMA engine behind the SMMU. */
  | { t: 'io_alloc'; dom: DomSym; type: bigint }
  | { t: 'io_free'; dom: DomSym; prep: boolean }
  | { t: 'io_attach'; dom: DomSym; sid: number; pasid: bigint }
  | { t: 'io_detach'; dom: DomSym; sid: number }
  | { t: 'io_map'; dom: DomSym; iova: IovaSym; pfn: PfnSym; pgsize: bigint; pgcount: bigint; prot: bigint }
  | { t: 'io_unmap'; dom: DomSym; iova: IovaSym; pgsize: bigint; pgcount: bigint }
  | { t: 'io_iova_to_phys'; dom: DomSym; iova: IovaSym }
  /* 1: the IOMMU pool, 0: the hyp heap. upstream: through __pkvm_hyp_topup / _reclaim / _reclaimable
   * (pkvm_topup_id: 0 the heap, others refused), else Android's __pkvm_hyp_alloc_mgt_* */
  | { t: 'io_refill'; pfns: PfnSym[]; id: bigint; upstream: boolean }
  | { t: 'io_reclaim'; target: number; id: bigint; upstream: boolean }
  | { t: 'io_reclaimable'; id: bigint; upstream: boolean } /* 0: the hyp heap; 2, 0x100: past the allocators */
  | { t: 'dma'; src: number; dst: number; len: bigint }
  /* FF-A (R15 in model.ts): the host shares / lends with the secure world, reclaims; the partition holds. */
  | { t: 'ffa_share'; pfns: PfnSym[]; nr: number; lend: boolean; lie: boolean }
  | { t: 'ffa_reclaim'; h: FfaHandleSym }
  | { t: 'ffa_sp'; h: FfaHandleSym; retrieve: boolean };

/** R19: a page for VM creation: a fresh one from the host's allocator, or a symbolic one (usually refused). */
export type InitPage = { k: 'fresh' } | PfnSym;
/** R19: the handle the host puts in struct kvm: one it reserves now, a live VM's, a free entry never
 * reserved, one below HANDLE_OFFSET, one past the table. */
export type InitHandle = 'reserve' | 'taken' | 'free' | 'below' | 'past';
/** R19: a host struct kvm / kvm_vcpu: its page, shared with the hyp first or not, or crossing into a second page. */
export interface HostStruct { page: InitPage; share: boolean; straddle: boolean }
export interface InitVcpu { idx: number; host: HostStruct; page: InitPage; off: boolean }

/** FF-A handles: `pick` a live one (or an unknown one when there is none), or a raw value never allocated. */
export type FfaHandleSym = { k: 'pick'; i: number } | { k: 'raw'; v: bigint };

/** IOMMU domain ids: `pick` one the model has (or the next free one), or a raw id (0: the identity
 * domain, refused; 0x10001: a u16 alias of 1). */
export type DomSym = { k: 'pick'; i: number } | { k: 'raw'; v: number };
/**
 * IOVAs: `pick` a mapped one of the domain (or a free slot), a 4 KiB slot of the small-page window,
 * the 2 MiB window (its block maps fuzz#0's 2 MiB), or the edge of the 39-bit IOVA space.
 */
export type IovaSym = { k: 'pick'; i: number } | { k: 'slot'; i: number } | { k: 'block'; i: number } | { k: 'edge' };
export const IOVA_SLOT_BASE = 0x10_0000n;
export const IOVA_BLOCK_BASE = 0x4000_0000n;
export const IOVA_EDGE = (1n << 39n) - 0x1000n;
export const IOVA_SLOTS = 8;

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

const slotArb = fc.integer({ min: 0, max: 2 });
const pickIdx = fc.integer({ min: 0, max: 7 });
const fuzzIdx = fc.integer({ min: 0, max: FUZZ_OFFSETS.length - 1 });
const structArb: fc.Arbitrary<PfnSym> = fc.record({
  k: fc.constant('struct' as const), slot: slotArb,
  what: fc.constantFrom<StructKind>('kvm', 'vm', 'pgd', 'hostVcpu', 'hypVcpu'),
});
const pickPfn = pickIdx.map((i): PfnSym => ({ k: 'pick', i }));
const fuzzPfn = fuzzIdx.map((i): PfnSym => ({ k: 'fuzz', i }));
export const pfnArb: fc.Arbitrary<PfnSym> = fc.oneof(
  w(8, pickPfn),
  w(6, fuzzPfn),
  w(1, fuzzIdx.map((i): PfnSym => ({ k: 'alias', i }))),
  w(2, structArb),
  w(1, fc.constantFrom<PfnSym>({ k: 'carveout' }, { k: 'mmio' }, { k: 'hole' }, { k: 'palimit' }, { k: 'top' })),
);
/** PAs the host writes: fuzz pages mostly, hyp-owned struct pages, and non-RAM; never the host's own
 * struct kvm / kvm_vcpu (the host model keeps its state there). */
const writePfnArb: fc.Arbitrary<PfnSym> = fc.oneof(
  w(6, pickPfn),
  w(6, fuzzPfn),
  w(2, structArb.filter((s) => s.k !== 'struct' || (s.what !== 'kvm' && s.what !== 'hostVcpu'))),
  w(1, fc.constantFrom<PfnSym>({ k: 'carveout' }, { k: 'mmio' }, { k: 'hole' })),
);
const readPfnArb: fc.Arbitrary<PfnSym> = fc.oneof(w(6, writePfnArb), w(1, structArb));
/* Pages the host maps for DMA: fuzz pages (donated, shared or its own), hyp-owned pages, non-RAM, a
 * u64 alias; never the host's own struct kvm / kvm_vcpu (a DMA write there would corrupt the host). */
const dmaPfnArb: fc.Arbitrary<PfnSym> = fc.oneof(
  w(10, pickPfn),
  w(4, fuzzPfn),
  w(1, fuzzIdx.map((i): PfnSym => ({ k: 'alias', i }))),
  w(2, structArb.filter((s) => s.k !== 'struct' || (s.what !== 'kvm' && s.what !== 'hostVcpu'))),
  w(1, fc.constantFrom<PfnSym>({ k: 'carveout' }, { k: 'mmio' }, { k: 'hole' }, { k: 'top' })),
);
const domArb: fc.Arbitrary<DomSym> = fc.oneof(
  w(10, pickIdx.map((i): DomSym => ({ k: 'pick', i }))),
  w(1, fc.constantFrom<DomSym>({ k: 'raw', v: 0 }, { k: 'raw', v: 1 }, { k: 'raw', v: 0x10001 }, { k: 'raw', v: 0xffff })),
);
const iovaArb: fc.Arbitrary<IovaSym> = fc.oneof(
  w(8, pickIdx.map((i): IovaSym => ({ k: 'pick', i }))),
  w(4, fc.integer({ min: 0, max: IOVA_SLOTS - 1 }).map((i): IovaSym => ({ k: 'slot', i }))),
  w(1, fuzzIdx.map((i): IovaSym => ({ k: 'block', i }))),
  w(1, fc.constant<IovaSym>({ k: 'edge' })),
);
const pgsizeArb = fc.oneof(w(20, fc.constant(0x1000n)), w(2, fc.constant(0x20_0000n)), w(1, fc.constantFrom(0n, 0x2000n)));
const pgcountArb = fc.oneof(w(10, fc.constant(1n)), w(2, fc.constant(2n)), w(1, fc.constantFrom(0n, 1n << 52n)));
/* IOMMU_READ 1, IOMMU_WRITE 2 (+ CACHE 4 / NOEXEC 8); 0: no access, nothing mapped; 0x40: unknown. */
const ioProtArb = fc.oneof(w(10, fc.constant(3n)), w(2, fc.constantFrom(1n, 2n, 0xbn)), w(1, fc.constantFrom(0n, 0x40n)));
/** DMA operands: 0–7 a mapped IOVA (mirror: a fuzz page), 8–15 the other IOVAs / PAs (see runner). */
const dmaOperandArb = fc.oneof(w(8, fc.integer({ min: 0, max: 7 })), w(1, fc.integer({ min: 8, max: 15 })));
const ioOps = [
  w(1, fc.record({ t: fc.constant('io_alloc' as const), dom: domArb, type: fc.oneof(w(8, fc.constant(1n)), w(1, fc.constantFrom(0n, 2n))) })),
  w(1, fc.record({ t: fc.constant('io_free' as const), dom: domArb, prep: fc.oneof(w(5, fc.constant(true)), w(1, fc.constant(false))) })),
  w(1, fc.record({ t: fc.constant('io_attach' as const), dom: domArb, sid: fc.constantFrom(1, 1, 1, 2, 64), pasid: fc.oneof(w(8, fc.constant(0n)), w(1, fc.constant(1n))) })),
  w(1, fc.record({ t: fc.constant('io_detach' as const), dom: domArb, sid: fc.constantFrom(1, 1, 2) })),
  w(6, fc.record({ t: fc.constant('io_map' as const), dom: domArb, iova: iovaArb, pfn: dmaPfnArb, pgsize: pgsizeArb, pgcount: pgcountArb, prot: ioProtArb })),
  w(3, fc.record({ t: fc.constant('io_unmap' as const), dom: domArb, iova: iovaArb, pgsize: pgsizeArb, pgcount: pgcountArb })),
  w(1, fc.record({ t: fc.constant('io_iova_to_phys' as const), dom: domArb, iova: iovaArb })),
  w(1, fc.record({ t: fc.constant('io_refill' as const), pfns: fc.array(dmaPfnArb, { minLength: 1, maxLength: 2 }), id: fc.oneof(w(3, fc.constant(1n)), w(1, fc.constant(0n))), upstream: fc.boolean() })),
  w(1, fc.record({ t: fc.constant('io_reclaim' as const), target: fc.constantFrom(1, 4, 64), id: fc.oneof(w(3, fc.constant(1n)), w(1, fc.constant(0n))), upstream: fc.boolean() })),
  w(1, fc.record({ t: fc.constant('io_reclaimable' as const), id: fc.oneof(w(3, fc.constant(0n)), w(1, fc.constantFrom(2n, 0x100n))), upstream: fc.boolean() })),
  w(4, fc.record({ t: fc.constant('dma' as const), src: dmaOperandArb, dst: dmaOperandArb, len: fc.oneof(w(4, fc.constant(0x1000n)), w(2, fc.constant(8n)), w(2, fc.constant(0x2000n))) })),
];

const ffaHandleArb: fc.Arbitrary<FfaHandleSym> = fc.oneof(
  w(8, pickIdx.map((i): FfaHandleSym => ({ k: 'pick', i }))),
  w(1, fc.constantFrom<FfaHandleSym>({ k: 'raw', v: 0n }, { k: 'raw', v: 1n }, { k: 'raw', v: (1n << 32n) | 0xffffn })),
);
const ffaOps = [
  w(3, fc.record({
    t: fc.constant('ffa_share' as const), pfns: fc.array(pfnArb, { minLength: 1, maxLength: 2 }), nr: fc.oneof(w(6, fc.constant(1)), w(1, fc.constant(2))),
    lend: fc.boolean(), lie: fc.oneof(w(8, fc.constant(false)), w(1, fc.constant(true))),
  })),
  w(2, fc.record({ t: fc.constant('ffa_reclaim' as const), h: ffaHandleArb })),
  w(2, fc.record({ t: fc.constant('ffa_sp' as const), h: ffaHandleArb, retrieve: fc.boolean() })),
];

/* R19: mostly fresh host pages, so that creation gets far; now and then a symbolic page (refused, or a
 * fuzz page the host has). Struct pages never the host's own live struct kvm / kvm_vcpu (writePfnArb). */
const initPageArb = (sym: fc.Arbitrary<PfnSym>): fc.Arbitrary<InitPage> => fc.oneof(w(8, fc.constant<InitPage>({ k: 'fresh' })), w(2, sym));
const hostStructArb: fc.Arbitrary<HostStruct> = fc.record({
  page: initPageArb(writePfnArb), share: fc.oneof(w(10, fc.constant(true)), w(1, fc.constant(false))),
  straddle: fc.oneof(w(10, fc.constant(false)), w(1, fc.constant(true))),
});
const rareTrue = fc.oneof(w(10, fc.constant(false)), w(1, fc.constant(true)));
const initVmArb = fc.record({
  t: fc.constant('init_vm' as const), room: fc.oneof(w(2, fc.constant(true)), w(1, fc.constant(false))), prot: fc.boolean(),
  nr: fc.oneof(w(1, fc.constant(0)), w(8, fc.constant(1)), w(4, fc.constant(2)), w(1, fc.constant(3))),
  handle: fc.oneof(w(10, fc.constant<InitHandle>('reserve')), w(1, fc.constantFrom<InitHandle>('taken', 'free', 'below', 'past'))),
  kvm: hostStructArb, idRegs: fc.oneof(w(8, fc.constant(true)), w(1, fc.constant(false))),
  vm: initPageArb(pfnArb), vmOff: rareTrue, pgd: initPageArb(pfnArb), pgdOff: rareTrue,
  vcpus: fc.array(fc.record({
    idx: fc.oneof(w(6, fc.constant(0)), w(4, fc.constant(1)), w(1, fc.constantFrom(2, 3))),
    host: hostStructArb, page: initPageArb(pfnArb), off: rareTrue,
  }), { minLength: 0, maxLength: 3 }),
});

const pickGfn = pickIdx.map((i): GfnSym => ({ k: 'pick', i }));
const gfnConst = (...v: bigint[]) => fc.constantFrom(...v).map((g): GfnSym => ({ k: 'gfn', v: g }));
export const gfnArb: fc.Arbitrary<GfnSym> = fc.oneof(
  w(10, pickGfn),
  w(8, gfnConst(...GFNS)),
  w(1, gfnConst(GFN_OOB, GFN_LAST, GFN_ALIAS, GFN_TOP, GFN_MAX)),
);
/** gfns a guest can name (IPA < 2^64: no gfn above 2^52). */
const guestGfnArb: fc.Arbitrary<GfnSym> = fc.oneof(w(12, pickGfn), w(6, gfnConst(...GFNS)), w(1, gfnConst(GFN_OOB, GFN_LAST, GFN_TOP)));
/** A gfn inside the 40-bit IPA space but outside the 4 MiB of memory every VM declares (0x4000_0000 on). */
export const GFN_UNDECLARED = 0x50000n;
/** The PL011's page (IPA 0x0900_0000): MMIO, what the guard is for. */
export const GFN_MMIO = 0x9000n;
/** IPAs a guest passes to MEM_SHARE & co.: its RAM, outside the memory it declared, or outside the IPA space. */
const hvcGfnArb: fc.Arbitrary<GfnSym> = fc.oneof(w(12, pickGfn), w(6, gfnConst(...GFNS)), w(1, gfnConst(GFN_OOB, GFN_UNDECLARED, GFN_LAST)), w(2, gfnConst(GFN_MMIO)));
const vmArb: fc.Arbitrary<VmSym> = fc.oneof(
  w(4, pickIdx.map((i): VmSym => ({ k: 'pick', i }))),
  w(1, slotArb.map((slot): VmSym => ({ k: 'slot', slot }))),
);
const nrArb = fc.oneof(w(10, fc.constant(1n)), w(2, fc.constant(512n)), w(1, fc.constantFrom(0n, 2n)));
/* KVM_PGTABLE_PROT_*: R = 8, W = 4, UX = 2, PX = 1; PX alone is inconsistent without FEAT_XNX; DEVICE
 * (0x10) and SW0 (bit 55) are outside what the host may ask for. */
const protArb = fc.oneof(
  w(10, fc.constantFrom(0x8n, 0xcn, 0xbn, 0xfn)),
  w(1, fc.constantFrom(0n, 0x4n, 0x3n)),
  w(1, fc.constantFrom(0x1n, 0x18n, (1n << 55n) | 0x8n)),
);
export const handleArb: fc.Arbitrary<HandleSym> = fc.oneof(
  w(8, pickIdx.map((i): HandleSym => ({ k: 'pick', i }))),
  w(4, slotArb.map((slot): HandleSym => ({ k: 'slot', slot }))),
  /* 0x1003: one past the table; 0x11000: a u16 alias of slot 0's handle */
  w(1, fc.constantFrom<HandleSym>({ k: 'raw', v: 0x1003 }, { k: 'raw', v: 0x0fff }, { k: 'raw', v: 0x11000 }, { k: 'raw', v: 0 })),
);
const prepArb = fc.oneof(w(5, fc.constant(true)), w(1, fc.constant(false)));
/* The host tops the vCPU memcache up before a donate/share, except now and then (-ENOMEM). */
const topupArb = fc.oneof(w(7, fc.constant(true)), w(1, fc.constant(false)));
const valArb = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });
/**
 * Function numbers with no pKVM handler: __kvm_hyp_init, __pkvm_init and __vgic_v3_get_gic_config
 * (before __pkvm_prot_finalize: unavailable once pKVM is finalised) and numbers far past any table.
 */
/* Refused ids, and the tracing calls (17..24, with x1 = 0x40000: refused or no-ops while nothing is loaded). */
const badHcallArb = fc.constantFrom(0n, 1n, 6n, 0x1000n, 0xfff0n, 17n, 18n, 19n, 20n, 21n, 22n, 23n, 24n);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  w(4, fc.record({ t: fc.constant('share_hyp' as const), pfn: pfnArb, hint: fc.oneof(w(6, fc.constant(false)), w(1, fc.constant(true))) })),
  w(3, fc.record({ t: fc.constant('unshare_hyp' as const), pfn: pfnArb })),
  w(8, fc.record({ t: fc.constant('donate' as const), pfn: pfnArb, gfn: gfnArb, vm: vmArb, prep: prepArb, topup: topupArb })),
  w(8, fc.record({ t: fc.constant('share' as const), pfn: pfnArb, gfn: gfnArb, nr: nrArb, prot: protArb, vm: vmArb, prep: prepArb, topup: topupArb })),
  w(4, fc.record({ t: fc.constant('unshare' as const), h: handleArb, gfn: gfnArb, nr: nrArb })),
  w(3, fc.record({ t: fc.constant('relax' as const), gfn: gfnArb, prot: protArb, vm: vmArb, prep: prepArb })),
  w(3, fc.record({ t: fc.constant('wrprotect' as const), h: handleArb, gfn: gfnArb, nr: nrArb })),
  w(2, fc.record({ t: fc.constant('young' as const), h: handleArb, gfn: gfnArb, nr: nrArb, mkold: fc.boolean() })),
  w(2, fc.record({ t: fc.constant('mkyoung' as const), gfn: gfnArb, vm: vmArb, prep: prepArb })),
  w(2, fc.record({ t: fc.constant('load' as const), h: handleArb, vcpu: fc.integer({ min: 0, max: 2 }) })),
  w(2, fc.constant<Op>({ t: 'put' })),
  w(2, fc.record({ t: fc.constant('teardown' as const), h: handleArb, prep: prepArb })),
  w(3, fc.record({ t: fc.constant('reclaim' as const), h: handleArb, gfn: gfnArb })),
  w(1, fc.record({ t: fc.constant('finalize' as const), h: handleArb })),
  w(1, fc.record({ t: fc.constant('destroy' as const), vm: vmArb })),
  w(3, fc.record({ t: fc.constant('force_reclaim' as const), pa: pfnArb, off: fc.oneof(w(6, fc.constant(0n)), w(1, fc.constant(0x123n))) })),
  w(5, fc.record({ t: fc.constant('guest_share' as const), vm: vmArb, gfn: guestGfnArb })),
  w(4, fc.record({ t: fc.constant('guest_unshare' as const), vm: vmArb, gfn: guestGfnArb })),
  w(4, fc.record({
    t: fc.constant('guest_hvc' as const),
    fn: fc.oneof(
      w(8, fc.constantFrom<GuestHvcFn>('share', 'unshare', 'relinquish')),
      w(1, fc.constantFrom<GuestHvcFn>('meminfo', 'features', 'uid', 'version', 'psci_version', 'psci_features')),
      w(3, fc.constantFrom<GuestHvcFn>('guard_map', 'guard_map', 'guard_unmap', 'guard_enroll', 'guard_info')),
      w(2, fc.constantFrom<GuestHvcFn>('cpu_on', 'cpu_on', 'cpu_off', 'affinity_info', 'affinity_info')),
    ),
    vm: vmArb, gfn: hvcGfnArb, bad: fc.oneof(w(10, fc.constant('none' as const)), w(1, fc.constantFrom('x2' as const, 'x3' as const, 'unaligned' as const))),
  })),
  w(3, fc.record({ t: fc.constant('host_read' as const), pa: readPfnArb })),
  w(3, fc.record({ t: fc.constant('host_write' as const), pa: writePfnArb, val: valArb })),
  w(3, fc.record({ t: fc.constant('guest_read' as const), vm: vmArb, gfn: guestGfnArb })),
  w(3, fc.record({ t: fc.constant('guest_write' as const), vm: vmArb, gfn: guestGfnArb, val: valArb })),
  w(1, fc.record({ t: fc.constant('create' as const), prot: fc.boolean() })),
  w(1, fc.record({ t: fc.constant('bad_hcall' as const), n: badHcallArb })),
  w(1, fc.constant<Op>({ t: 'prot_finalize' })),
  w(1, fc.record({ t: fc.constant('vcpu_run' as const), x1: fc.constantFrom('other_vcpu' as const, 'other_vm' as const, 'zero' as const, 'offset' as const) })),
  w(1, fc.constant<Op>({ t: 'sync_state' })),
  w(2, initVmArb),
  ...ioOps,
  ...ffaOps,
);

/**
 * A sequence of 5–30 operations, mostly short (three in four have at most 12): the invariant checker
 * runs after every step and dominates the cost of a step. Both arms start at minLength so that a
 * counterexample shrinks down to it whichever arm produced it.
 */
export const seqArb = (minLength = 5, maxLength = 30): fc.Arbitrary<Op[]> => {
  const mid = Math.min(maxLength, Math.max(minLength, 12));
  if (mid >= maxLength) return fc.array(opArb, { minLength, maxLength });
  return fc.oneof(
    w(3, fc.array(opArb, { minLength, maxLength: mid })),
    w(1, fc.array(opArb, { minLength, maxLength })),
  );
};

const hex = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;

export function showPfnSym(p: PfnSym): string {
  switch (p.k) {
    case 'pick': return `pick#${p.i}`;
    case 'fuzz': return `fuzz#${p.i}`;
    case 'alias': return `alias(fuzz#${p.i})`;
    case 'struct': return `${p.what}@slot${p.slot}`;
    default: return p.k;
  }
}
export const showHandle = (h: HandleSym): string => (h.k === 'slot' ? `slot${h.slot}` : h.k === 'pick' ? `pick#${h.i}` : hex(h.v));
export const showGfn = (g: GfnSym): string => (g.k === 'pick' ? `pick#${g.i}` : hex(g.v));
export const showIova = (v: IovaSym): string => (v.k === 'edge' ? 'edge' : `${v.k}#${v.i}`);
export const showVm = (v: VmSym): string => (v.k === 'pick' ? `pick#${v.i}` : `slot${v.slot}`);

/** R19's arguments: fresh / symbolic pages, struct placement, vCPU lists. */
function showInit(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(showInit).join(', ')}]`;
  const o = v as Record<string, unknown>;
  if (o.k === 'fresh') return 'fresh';
  if (typeof o.k === 'string') return showPfnSym(o as PfnSym);
  if ('share' in o) return `${showInit(o.page)}${o.share ? ' shared' : ' unshared'}${o.straddle ? ' straddling' : ''}`;
  return `{vcpu_idx ${String(o.idx)}, host ${showInit(o.host)}, page ${showInit(o.page)}${o.off ? '+0x10' : ''}}`;
}

/** One line per generated operation (the unexpanded form fast-check shrinks). */
export function showOp(op: Op): string {
  const parts = Object.entries(op).filter(([k]) => k !== 't').map(([k, v]) => {
    if (typeof v === 'bigint') return `${k}=${hex(v)}`;
    if (v && typeof v === 'object') {
      if (k === 'h') return `h=${showHandle(v as HandleSym)}`;
      if (k === 'gfn') return `gfn=${showGfn(v as GfnSym)}`;
      if (k === 'vm') return `vm=${showVm(v as VmSym)}`;
      if (k === 'dom') return `dom=${(v as DomSym).k === 'pick' ? `pick#${(v as { i: number }).i}` : hex((v as { v: number }).v)}`;
      if (k === 'iova') return `iova=${showIova(v as IovaSym)}`;
      if (k === 'pfns') return `pfns=[${(v as PfnSym[]).map(showPfnSym).join(', ')}]`;
      if (op.t === 'init_vm') return `${k}=${showInit(v)}`;
      if (op.t === 'ffa_reclaim' || op.t === 'ffa_sp') return `h=${(v as FfaHandleSym).k === 'pick' ? `pick#${(v as { i: number }).i}` : hex((v as { v: bigint }).v)}`;
      return `${k}=${showPfnSym(v as PfnSym)}`;
    }
    return `${k}=${String(v)}`;
  });
  return `${op.t}(${parts.join(', ')})`;
}
