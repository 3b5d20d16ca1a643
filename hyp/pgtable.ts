/**
 * kvm_pgtable: a stage-2 page-table library writing real VMSAv8-64 descriptors
 * into physical memory, ported from arch/arm64/kvm/hyp/pgtable.c (the walker,
 * get_leaf, init and teardown). Map/annotate/unmap/attribute updates are in
 * pgtable-stage2.ts. Table pages are addressed by physical address (the hyp's
 * linear map is the identity here).
 */
import type { PhysMem } from './phys-mem';
import { EAGAIN, EINVAL, ENOMEM, ERANGE, WARN_ON } from './page-state';
import {
  ALIGN_DOWN, KVM_PGTABLE_FIRST_LEVEL, KVM_PGTABLE_LAST_LEVEL, KVM_PGTABLE_WALK_IGNORE_EAGAIN,
  KVM_PGTABLE_WALK_LEAF, KVM_PGTABLE_WALK_TABLE_POST, KVM_PGTABLE_WALK_TABLE_PRE, PAGE_ALIGN,
  PAGE_SIZE, PTRS_PER_PTE, kvm_granule_shift, kvm_granule_size, kvm_pte_table, kvm_pte_to_phys,
} from './pgtable-defs';
import { VTCR_EL2_IPA, kvm_pgd_page_idx, kvm_pgd_pages, vtcr_start_level } from './vtcr';

/** struct kvm_pgtable_mm_ops, with physical addresses for "virt" pointers. */
export interface KvmPgtableMmOps {
  zalloc_page(mc: unknown): bigint | null;
  zalloc_pages_exact(size: bigint): bigint | null;
  free_pages_exact?(addr: bigint, size: bigint): void;
  free_unlinked_table?(addr: bigint, level: number): void;
  get_page(addr: bigint): void;
  put_page(addr: bigint): void;
  page_count(addr: bigint): number;
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
  /** Physical address of the (possibly concatenated) start-level table, or null. */
  pgd: bigint | null = null;
  flags = 0;
  force_pte_cb: KvmPgtableForcePteCb | null = null;
  constructor(
    readonly mem: PhysMem,
    public mm_ops: KvmPgtableMmOps,
    readonly mmu: KvmS2Mmu,
  ) {}
}

/** struct kvm_pgtable_visit_ctx */
export interface KvmPgtableVisitCtx {
  pgt: KvmPgtable;
  ptep: bigint;
  old: bigint;
  arg: unknown;
  mm_ops: KvmPgtableMmOps;
  start: bigint;
  addr: bigint;
  end: bigint;
  level: number;
  flags: number;
}

export interface KvmPgtableWalker {
  cb(ctx: KvmPgtableVisitCtx, visit: number): number;
  arg?: unknown;
  flags: number;
}

interface WalkData {
  pgt: KvmPgtable;
  walker: KvmPgtableWalker;
  start: bigint;
  addr: bigint;
  end: bigint;
}

function kvm_pgtable_walk_continue(walker: KvmPgtableWalker, r: number): boolean {
  if (r === -EAGAIN) return (walker.flags & KVM_PGTABLE_WALK_IGNORE_EAGAIN) !== 0;
  return r === 0;
}

function __kvm_pgtable_visit(data: WalkData, mm_ops: KvmPgtableMmOps, ptep: bigint, level: number): number {
  const mem = data.pgt.mem;
  const flags = data.walker.flags;
  const ctx: KvmPgtableVisitCtx = {
    pgt: data.pgt, ptep, old: mem.readU64(ptep), arg: data.walker.arg, mm_ops,
    start: data.start, addr: data.addr, end: data.end, level, flags,
  };
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
    ctx.old = mem.readU64(ptep);
    table = kvm_pte_table(ctx.old, level);
  }
  if (!kvm_pgtable_walk_continue(data.walker, ret)) return ret;

  if (!table) {
    data.addr = ALIGN_DOWN(data.addr, kvm_granule_size(level)) + kvm_granule_size(level);
    return 0;
  }

  ret = __kvm_pgtable_walk(data, mm_ops, kvm_pte_to_phys(ctx.old), level + 1);
  if (!kvm_pgtable_walk_continue(data.walker, ret)) return ret;

  if (flags & KVM_PGTABLE_WALK_TABLE_POST) ret = data.walker.cb(ctx, KVM_PGTABLE_WALK_TABLE_POST);
  return kvm_pgtable_walk_continue(data.walker, ret) ? 0 : ret;
}

const PTE_INDEX_MASK = BigInt(PTRS_PER_PTE - 1);
function kvm_pgtable_idx(addr: bigint, level: number): number {
  return Number((addr >> kvm_granule_shift(level)) & PTE_INDEX_MASK);
}

function __kvm_pgtable_walk(data: WalkData, mm_ops: KvmPgtableMmOps, pgtable: bigint, level: number): number {
  if (level < KVM_PGTABLE_FIRST_LEVEL || level > KVM_PGTABLE_LAST_LEVEL) return -EINVAL;
  let ret = 0;
  for (let idx = kvm_pgtable_idx(data.addr, level); idx < PTRS_PER_PTE; ++idx) {
    if (data.addr >= data.end) break;
    ret = __kvm_pgtable_visit(data, mm_ops, pgtable + BigInt(idx * 8), level);
    if (ret) break;
  }
  return ret;
}

/** 1 << ia_bits by ia_bits (made once: every walk checks its range against it). */
const IA_LIMIT: readonly bigint[] = Array.from({ length: 65 }, (_, b) => 1n << BigInt(b));

const LEAF_ONLY = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_PRE | KVM_PGTABLE_WALK_TABLE_POST;

export function kvm_pgtable_walk(pgt: KvmPgtable, addr: bigint, size: bigint, walker: KvmPgtableWalker): number {
  const start = ALIGN_DOWN(addr, PAGE_SIZE);
  const data: WalkData = { pgt, walker, start, addr: start, end: PAGE_ALIGN(start + size) };
  const limit = IA_LIMIT[pgt.ia_bits] ?? 1n << BigInt(pgt.ia_bits);
  if (data.addr > limit || data.end > limit) return -ERANGE;
  if (pgt.pgd === null) return -EINVAL;
  if (data.end - data.addr === PAGE_SIZE && (walker.flags & LEAF_ONLY) === KVM_PGTABLE_WALK_LEAF && pgt.mem.descend) {
    // A one-page walk visiting leaves only: the table entries above its leaf are passed through
    // without a visit, so jump to the leaf (or empty entry) and visit it as __kvm_pgtable_walk
    // would; a table the visit installs there is walked as usual. Its result is the walk's: a
    // visit returns 0 or an error that stops every level above it.
    const pgd = pgt.pgd + BigInt(kvm_pgd_page_idx(pgt.ia_bits, pgt.start_level, data.addr)) * PAGE_SIZE;
    const leaf = pgt.mem.descend(pgd, pgt.start_level, data.addr);
    if (leaf !== null) return __kvm_pgtable_visit(data, pgt.mm_ops, leaf.ptep, leaf.level);
  }
  let ret = 0;
  for (let idx = kvm_pgd_page_idx(pgt.ia_bits, pgt.start_level, data.addr); data.addr < data.end; ++idx) {
    ret = __kvm_pgtable_walk(data, pgt.mm_ops, pgt.pgd + BigInt(idx) * PAGE_SIZE, pgt.start_level);
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
    mm_ops.put_page(ctx.ptep);
    return 0;
  }
  if (visit === KVM_PGTABLE_WALK_TABLE_POST) {
    const childp = kvm_pte_to_phys(ctx.old);
    if (mm_ops.page_count(childp) !== 1) return 0;
    mm_ops.put_page(ctx.ptep);
    mm_ops.put_page(childp);
    ctx.pgt.mem.writeU64(ctx.ptep, 0n);
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
  const data: WalkData = { pgt, walker: freeWalker, start: 0n, addr: 0n, end: kvm_granule_size(level) };
  WARN_ON(__kvm_pgtable_walk(data, pgt.mm_ops, pgtable, level + 1), 'free_unlinked walk');
  WARN_ON(pgt.mm_ops.page_count(pgtable) !== 1, 'free_unlinked refcount');
  pgt.mm_ops.put_page(pgtable);
}
