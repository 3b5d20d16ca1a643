/**
 * kvm_pgtable: a stage-2 page-table library writing real VMSAv8-64 descriptors
 * into physical memory, ported from arch/arm64/kvm/hyp/pgtable.c (the walker,
 * get_leaf, init and teardown). Map/annotate/unmap/attribute updates are in
 * pgtable-stage2.ts. Table pages are addressed by physical address (the hyp's
 * linear map is the identity here).
 *
 * Descriptors (kvm_pte_t) are u64 BigInts; the walker's addresses (table pages, PTE pointers, the
 * walked range) are Numbers: physical and intermediate physical addresses are below 2^52, exact in
 * a double, and Number arithmetic allocates nothing (README "Numbers in the walker").
 */
import type { PhysMem } from './phys-mem';
import { EAGAIN, EINVAL, ENOMEM, ERANGE, WARN_ON } from './page-state';
import {
  ALIGN_DOWN, ALIGN_DOWN_N, u64_to_n, KVM_PGTABLE_FIRST_LEVEL, KVM_PGTABLE_LAST_LEVEL, KVM_PGTABLE_WALK_IGNORE_EAGAIN,
  KVM_PGTABLE_WALK_LEAF, KVM_PGTABLE_WALK_TABLE_POST, KVM_PGTABLE_WALK_TABLE_PRE, PAGE_ALIGN,
  PAGE_SIZE, PAGE_SIZE_N, PTRS_PER_PTE, kvm_granule_size_n, kvm_pte_table, kvm_pte_to_phys, kvm_pte_to_phys_n,
} from './pgtable-defs';
import { VTCR_EL2_IPA, kvm_pgd_page_idx_n, kvm_pgd_pages, vtcr_start_level } from './vtcr';

/**
 * struct kvm_pgtable_mm_ops, with physical addresses for "virt" pointers. get_page/put_page/page_count
 * take a pointer to anywhere in the page, as a u64 or as a Number (the walker's PTE pointers).
 */
export interface KvmPgtableMmOps {
  zalloc_page(mc: unknown): bigint | null;
  zalloc_pages_exact(size: bigint): bigint | null;
  free_pages_exact?(addr: bigint, size: bigint): void;
  free_unlinked_table?(addr: bigint, level: number): void;
  get_page(addr: bigint | number): void;
  put_page(addr: bigint | number): void;
  page_count(addr: bigint | number): number;
}

/** TLB maintenance the pgtable code issues (__kvm_tlb_flush_vmid_ipa & co). */
export interface KvmTlbOps {
  flush_vmid_ipa(vmid: number, ipa: bigint, level: number): void;
  flush_vmid_range(vmid: number, addr: bigint, size: bigint): void;
  flush_vmid(vmid: number): void;
  /** __kvm_flush_vm_context(): all VMIDs, all stages. */
  flush_vm_context(): void;
}

/** struct kvm_s2_mmu, reduced to what the hyp needs. */
export interface KvmS2Mmu {
  vmid: number;
  vtcr: bigint;
  tlb: KvmTlbOps;
}

export type KvmPgtableForcePteCb = (addr: bigint, end: bigint, prot: bigint) => boolean;

export class KvmPgtable {
  ia_bits = 0;
  start_level = 0;
  /** pgd as a Number (-1 for none): where the walker starts. */
  pgdN = -1;
  private pgd_: bigint | null = null;
  flags = 0;
  force_pte_cb: KvmPgtableForcePteCb | null = null;
  constructor(
    readonly mem: PhysMem,
    public mm_ops: KvmPgtableMmOps,
    readonly mmu: KvmS2Mmu,
  ) {}
  /** Physical address of the (possibly concatenated) start-level table, or null. */
  get pgd(): bigint | null { return this.pgd_; }
  set pgd(v: bigint | null) {
    this.pgd_ = v;
    this.pgdN = v === null ? -1 : Number(v);
  }
}

/** READ_ONCE(*ptep): the descriptor at PTE address ptep. */
export function kvm_read_pte(mem: PhysMem, ptep: number): bigint {
  return mem.readU64N !== undefined ? mem.readU64N(ptep) : mem.readU64(BigInt(ptep));
}
/** The low (bits 31:0) and high (63:32) words of the descriptor at ptep, as Numbers (nothing allocated). */
export function kvm_read_pte_lo(mem: PhysMem, ptep: number): number {
  return mem.readU32N !== undefined ? mem.readU32N(ptep) : Number(BigInt.asUintN(32, kvm_read_pte(mem, ptep)));
}
export function kvm_read_pte_hi(mem: PhysMem, ptep: number): number {
  return mem.readU32N !== undefined ? mem.readU32N(ptep + 4) : Number(kvm_read_pte(mem, ptep) >> 32n);
}
/** WRITE_ONCE(*ptep, pte) */
export function kvm_write_pte(mem: PhysMem, ptep: number, pte: bigint): void {
  if (mem.writeU64N !== undefined) mem.writeU64N(ptep, pte);
  else mem.writeU64(BigInt(ptep), pte);
}

/**
 * struct kvm_pgtable_visit_ctx. Its addresses are Numbers (ptepN, startN, addrN, endN; start and end
 * are the walk's, which do not change while it runs); ptep, start, addr and end give them as u64
 * BigInts, for visitors written with BigInt arithmetic.
 */
export class KvmPgtableVisitCtx {
  constructor(
    public pgt: KvmPgtable,
    public ptepN: number,
    public old: bigint,
    public arg: unknown,
    public mm_ops: KvmPgtableMmOps,
    private readonly data: WalkData,
    public addrN: number,
    public level: number,
    public flags: number,
  ) {}
  get startN(): number { return this.data.start; }
  get endN(): number { return this.data.end; }
  get ptep(): bigint { return BigInt(this.ptepN); }
  get start(): bigint { return BigInt(this.startN); }
  get addr(): bigint { return BigInt(this.addrN); }
  get end(): bigint { return BigInt(this.endN); }
}

export interface KvmPgtableWalker {
  cb(ctx: KvmPgtableVisitCtx, visit: number): number;
  arg?: unknown;
  flags: number;
}

/** struct kvm_pgtable_walk_data (addresses as Numbers) */
class WalkData {
  constructor(
    readonly pgt: KvmPgtable,
    readonly walker: KvmPgtableWalker,
    readonly start: number,
    public addr: number,
    readonly end: number,
  ) {}
}

function kvm_pgtable_walk_continue(walker: KvmPgtableWalker, r: number): boolean {
  if (r === -EAGAIN) return (walker.flags & KVM_PGTABLE_WALK_IGNORE_EAGAIN) !== 0;
  return r === 0;
}

function __kvm_pgtable_visit(data: WalkData, mm_ops: KvmPgtableMmOps, ptep: number, level: number): number {
  const mem = data.pgt.mem;
  const flags = data.walker.flags;
  const ctx = new KvmPgtableVisitCtx(
    data.pgt, ptep, kvm_read_pte(mem, ptep), data.walker.arg, mm_ops, data, data.addr, level, flags);
  let ret = 0;
  let reload = false;
  let table = kvm_pte_table(ctx.old, level);

  if (table && flags & KVM_PGTABLE_WALK_TABLE_PRE) {
    ret = data.walker.cb(ctx, KVM_PGTABLE_WALK_TABLE_PRE);
    reload = true;
  }
  if (!table && flags & KVM_PGTABLE_WALK_LEAF) {
    ret = data.walker.cb(ctx, KVM_PGTABLE_WALK_LEAF);
    reload = true;
  }
  if (reload) {
    /*
     * ctx->old = READ_ONCE(*ptep); table = kvm_pte_table(ctx->old, level). Bits 1:0 decide (valid,
     * table type); ctx.old is used again only for a table (its address, TABLE_POST), so only then is
     * the whole descriptor loaded.
     */
    table = level !== KVM_PGTABLE_LAST_LEVEL && (kvm_read_pte_lo(mem, ptep) & 3) === 3;
    if (table) ctx.old = kvm_read_pte(mem, ptep);
  }
  if (!kvm_pgtable_walk_continue(data.walker, ret)) return ret;

  if (!table) {
    /* data->addr = ALIGN_DOWN(data->addr, kvm_granule_size(level)) + kvm_granule_size(level) */
    const granule = kvm_granule_size_n(level);
    data.addr = ALIGN_DOWN_N(data.addr, granule) + granule;
    return 0;
  }

  ret = __kvm_pgtable_walk(data, mm_ops, kvm_pte_to_phys_n(ctx.old), level + 1);
  if (!kvm_pgtable_walk_continue(data.walker, ret)) return ret;

  if (flags & KVM_PGTABLE_WALK_TABLE_POST) ret = data.walker.cb(ctx, KVM_PGTABLE_WALK_TABLE_POST);
  return kvm_pgtable_walk_continue(data.walker, ret) ? 0 : ret;
}

/** kvm_pgtable_idx(): (addr >> kvm_granule_shift(level)) & (PTRS_PER_PTE - 1) */
function kvm_pgtable_idx(addr: number, level: number): number {
  return Math.floor(addr / kvm_granule_size_n(level)) % PTRS_PER_PTE;
}

function __kvm_pgtable_walk(data: WalkData, mm_ops: KvmPgtableMmOps, pgtable: number, level: number): number {
  if (level < KVM_PGTABLE_FIRST_LEVEL || level > KVM_PGTABLE_LAST_LEVEL) return -EINVAL;
  let ret = 0;
  for (let idx = kvm_pgtable_idx(data.addr, level); idx < PTRS_PER_PTE; ++idx) {
    if (data.addr >= data.end) break;
    ret = __kvm_pgtable_visit(data, mm_ops, pgtable + idx * 8, level);
    if (ret) break;
  }
  return ret;
}

/** 1 << ia_bits by ia_bits, as Numbers (made once: every walk checks its range against it). */
const IA_LIMIT_N: readonly number[] = Array.from({ length: 65 }, (_, b) => 2 ** b);
/** Below it, an address and a size are exact as Numbers and so is their sum. */
const WALK_EXACT = 1n << 52n;

const LEAF_ONLY = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_PRE | KVM_PGTABLE_WALK_TABLE_POST;

export function kvm_pgtable_walk(pgt: KvmPgtable, addr: bigint, size: bigint, walker: KvmPgtableWalker): number {
  let start: number, end: number;
  if (addr >= 0n && addr < WALK_EXACT && size >= 0n && size < WALK_EXACT) {
    /* .start = .addr = ALIGN_DOWN(addr, PAGE_SIZE), .end = PAGE_ALIGN(.addr + size), in Numbers */
    start = ALIGN_DOWN_N(u64_to_n(addr), PAGE_SIZE_N);
    end = ALIGN_DOWN_N(start + u64_to_n(size) + PAGE_SIZE_N - 1, PAGE_SIZE_N); /* PAGE_ALIGN() */
  } else {
    const s = ALIGN_DOWN(addr, PAGE_SIZE);
    const e = PAGE_ALIGN(s + size);
    /* (out of every page table's range: IA_LIMIT_N is at most 2^52 for the tables made here) */
    if (s > 1n << BigInt(pgt.ia_bits) || e > 1n << BigInt(pgt.ia_bits)) return -ERANGE;
    start = Number(s);
    end = Number(e);
  }
  const limit = IA_LIMIT_N[pgt.ia_bits]!;
  if (start > limit || end > limit) return -ERANGE;
  if (pgt.pgdN < 0) return -EINVAL;
  const data = new WalkData(pgt, walker, start, start, end);
  if (end - start === PAGE_SIZE_N && (walker.flags & LEAF_ONLY) === KVM_PGTABLE_WALK_LEAF && pgt.mem.descendN) {
    // A one-page walk visiting leaves only: the table entries above its leaf are passed through
    // without a visit, so jump to the leaf (or empty entry) and visit it as __kvm_pgtable_walk
    // would; a table the visit installs there is walked as usual. Its result is the walk's: a
    // visit returns 0 or an error that stops every level above it.
    const pgd = pgt.pgdN + kvm_pgd_page_idx_n(pgt.ia_bits, pgt.start_level, start) * PAGE_SIZE_N;
    const leaf = pgt.mem.descendN(pgd, pgt.start_level, start);
    if (leaf >= 0) {
      const level = leaf - ALIGN_DOWN_N(leaf, 8);
      return __kvm_pgtable_visit(data, pgt.mm_ops, leaf - level, level);
    }
  }
  let ret = 0;
  for (let idx = kvm_pgd_page_idx_n(pgt.ia_bits, pgt.start_level, start); data.addr < data.end; ++idx) {
    ret = __kvm_pgtable_walk(data, pgt.mm_ops, pgt.pgdN + idx * PAGE_SIZE_N, pgt.start_level);
    if (ret) break;
  }
  return ret;
}

/** kvm_pgtable_get_leaf(): the leaf (or empty entry) translating addr. */
export function kvm_pgtable_get_leaf(pgt: KvmPgtable, addr: bigint): { ret: number; pte: bigint; level: number } {
  const out = { ret: 0, pte: 0n, level: 0 };
  const outer = leafOut; // (one walker object; its result goes to the innermost caller's out)
  leafOut = out;
  try {
    out.ret = kvm_pgtable_walk(pgt, ALIGN_DOWN(addr, PAGE_SIZE), PAGE_SIZE, leafWalker);
  } finally {
    leafOut = outer;
  }
  return out;
}
let leafOut: { ret: number; pte: bigint; level: number } = { ret: 0, pte: 0n, level: 0 };
const leafWalker: KvmPgtableWalker = {
  flags: KVM_PGTABLE_WALK_LEAF,
  cb: (ctx) => {
    leafOut.pte = ctx.old;
    leafOut.level = ctx.level;
    return 0;
  },
};

/** __kvm_pgtable_stage2_init() */
export function __kvm_pgtable_stage2_init(pgt: KvmPgtable, flags: number, force_pte_cb: KvmPgtableForcePteCb | null): number {
  const vtcr = pgt.mmu.vtcr;
  const ia_bits = VTCR_EL2_IPA(vtcr);
  const start_level = vtcr_start_level(vtcr);
  const pgd_sz = BigInt(kvm_pgd_pages(ia_bits, start_level)) * PAGE_SIZE;
  const pgd = pgt.mm_ops.zalloc_pages_exact(pgd_sz);
  if (pgd === null) return -ENOMEM;
  pgt.pgd = pgd;
  pgt.ia_bits = ia_bits;
  pgt.start_level = start_level;
  pgt.flags = flags;
  pgt.force_pte_cb = force_pte_cb;
  return 0;
}

/* stage2_pte_is_counted(): valid entries and annotations hold a table ref. */
export const stage2_pte_is_counted = (pte: bigint): boolean => pte !== 0n;

function stage2_free_walker(ctx: KvmPgtableVisitCtx, visit: number): number {
  if (!stage2_pte_is_counted(ctx.old)) return 0;
  const mm_ops = ctx.mm_ops;
  if (visit === KVM_PGTABLE_WALK_LEAF) {
    mm_ops.put_page(ctx.ptepN);
    return 0;
  }
  if (visit === KVM_PGTABLE_WALK_TABLE_POST) {
    const childp = kvm_pte_to_phys(ctx.old);
    if (mm_ops.page_count(childp) !== 1) return 0;
    mm_ops.put_page(ctx.ptepN);
    mm_ops.put_page(childp);
    kvm_write_pte(ctx.pgt.mem, ctx.ptepN, 0n);
    return 0;
  }
  return -EINVAL;
}

const freeWalker: KvmPgtableWalker = {
  cb: stage2_free_walker,
  flags: KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
};

export function kvm_pgtable_stage2_destroy_range(pgt: KvmPgtable, addr: bigint, size: bigint): void {
  WARN_ON(kvm_pgtable_walk(pgt, addr, size, freeWalker), 'kvm_pgtable_stage2_destroy_range');
}

export function kvm_pgtable_stage2_destroy(pgt: KvmPgtable): void {
  kvm_pgtable_stage2_destroy_range(pgt, 0n, 1n << BigInt(pgt.ia_bits));
  const pgd_sz = BigInt(kvm_pgd_pages(pgt.ia_bits, pgt.start_level)) * PAGE_SIZE;
  if (pgt.pgd !== null) pgt.mm_ops.free_pages_exact?.(pgt.pgd, pgd_sz);
  pgt.pgd = null;
}

/** kvm_pgtable_stage2_free_unlinked(): drop a detached table and its children. */
export function kvm_pgtable_stage2_free_unlinked(pgt: KvmPgtable, pgtable: bigint, level: number): void {
  const data = new WalkData(pgt, freeWalker, 0, 0, kvm_granule_size_n(level));
  WARN_ON(__kvm_pgtable_walk(data, pgt.mm_ops, Number(pgtable), level + 1), 'free_unlinked walk');
  WARN_ON(pgt.mm_ops.page_count(pgtable) !== 1, 'free_unlinked refcount');
  pgt.mm_ops.put_page(pgtable);
}
