/**
 * Stage-2 map / annotate / unmap / attribute walkers, ported from
 * arch/arm64/kvm/hyp/pgtable.c. Model assumptions: no FEAT_S2FWB, no
 * FEAT_XNX, no LPA2; cache maintenance is a no-op.
 */
import type { PhysMem } from './phys-mem';
import { E2BIG, EAGAIN, EINVAL, ENOMEM, WARN_ON } from './page-state';
import {
  ALIGN_DOWN, ALIGN_DOWN_N, FIELD_GET, IS_ALIGNED_N, PAGE_SIZE_N, u64_to_n, FIELD_PREP, IS_ALIGNED, KVM_INVALID_PTE_ANNOT_MASK, KVM_INVALID_PTE_LOCKED,
  KVM_INVALID_PTE_TYPE_LOCKED, KVM_INVALID_PTE_TYPE_MASK, KVM_PGTABLE_LAST_LEVEL,
  KVM_PGTABLE_PROT_DEVICE, KVM_PGTABLE_PROT_NORMAL_NC, KVM_PGTABLE_PROT_PX, KVM_PGTABLE_PROT_R,
  KVM_PGTABLE_PROT_UX, KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_X, KVM_PGTABLE_S2_AS_S1,
  KVM_PGTABLE_S2_IDMAP, KVM_PGTABLE_WALK_LEAF, KVM_PGTABLE_WALK_SHARED, KVM_PGTABLE_WALK_TABLE_POST,
  KVM_PGTABLE_WALK_TABLE_PRE, KVM_PHYS_INVALID, KVM_PTE_LEAF_ATTR_HI, KVM_PTE_LEAF_ATTR_HI_S2_XN,
  KVM_PTE_LEAF_ATTR_HI_SW, KVM_PTE_LEAF_ATTR_LO, KVM_PTE_LEAF_ATTR_LO_S2_AF, KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR,
  KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W, KVM_PTE_LEAF_ATTR_LO_S2_SH,
  KVM_PTE_LEAF_ATTR_LO_S2_SH_IS, KVM_PTE_LEAF_ATTR_S2_PERMS, MT_S2_AS_S1, MT_S2_DEVICE_nGnRE, MT_S2_NORMAL,
  MT_S2_NORMAL_NC, PAGE_SIZE, PTE_S2_MEMATTR, KVM_PTE_ADDR_MASK, kvm_granule_size_n, kvm_init_table_pte,
  kvm_init_valid_leaf_pte_n, kvm_level_supports_block_mapping, kvm_pte_table, kvm_pte_to_phys, kvm_pte_type_is,
  kvm_pte_valid,
} from './pgtable-defs';
import {
  KvmPgtable, KvmPgtableVisitCtx, kvm_pgtable_stage2_free_unlinked, kvm_pgtable_walk, kvm_read_pte, kvm_read_pte_hi,
  kvm_read_pte_lo, kvm_write_pte,
  stage2_pte_is_counted,
} from './pgtable';

const NOT_LEAF_ATTR_HI_SW = ~KVM_PTE_LEAF_ATTR_HI_SW;
const PHYS_BELOW_BIT48 = 1n << 48n;
const NOT_INVALID_PTE_ANNOT_MASK = ~KVM_INVALID_PTE_ANNOT_MASK;

/** __tlbi_level() hint when the level of the evicted entry is not known. */
export const TLBI_TTL_UNKNOWN = 0x7fffffff;

function KVM_S2_MEMATTR(pgt: KvmPgtable, mt: bigint): bigint {
  return PTE_S2_MEMATTR(pgt.flags & KVM_PGTABLE_S2_AS_S1 ? MT_S2_AS_S1 : mt);
}

/** stage2_set_xn_attr(): without FEAT_XNX, PX and UX must agree. */
function stage2_set_xn_attr(prot: bigint): { ret: number; xn: bigint } {
  const px = (prot & KVM_PGTABLE_PROT_PX) !== 0n;
  const ux = (prot & KVM_PGTABLE_PROT_UX) !== 0n;
  if (px !== ux) return { ret: -EINVAL, xn: 0n };
  const xn = px && ux ? 0b00n : !px && ux ? 0b01n : !px && !ux ? 0b10n : 0b11n;
  return { ret: 0, xn: FIELD_PREP(KVM_PTE_LEAF_ATTR_HI_S2_XN, xn) };
}

/** The last stage2_set_prot_attr() result per page-table flags (the attributes depend on prot and pgt.flags alone). */
const protAttrMemo = new Map<number, { prot: bigint; r: { ret: number; attr: bigint } }>();
export function stage2_set_prot_attr(pgt: KvmPgtable, prot: bigint): { ret: number; attr: bigint } {
  const m = protAttrMemo.get(pgt.flags);
  if (m !== undefined && m.prot === prot) return m.r;
  const r = Object.freeze(stage2_set_prot_attr_(pgt, prot));
  protAttrMemo.set(pgt.flags, { prot, r });
  return r;
}
function stage2_set_prot_attr_(pgt: KvmPgtable, prot: bigint): { ret: number; attr: bigint } {
  let attr: bigint;
  switch (prot & (KVM_PGTABLE_PROT_DEVICE | KVM_PGTABLE_PROT_NORMAL_NC)) {
    case KVM_PGTABLE_PROT_DEVICE | KVM_PGTABLE_PROT_NORMAL_NC:
      return { ret: -EINVAL, attr: 0n };
    case KVM_PGTABLE_PROT_DEVICE:
      if (prot & KVM_PGTABLE_PROT_X) return { ret: -EINVAL, attr: 0n };
      attr = KVM_S2_MEMATTR(pgt, MT_S2_DEVICE_nGnRE);
      break;
    case KVM_PGTABLE_PROT_NORMAL_NC:
      if (prot & KVM_PGTABLE_PROT_X) return { ret: -EINVAL, attr: 0n };
      attr = KVM_S2_MEMATTR(pgt, MT_S2_NORMAL_NC);
      break;
    default:
      attr = KVM_S2_MEMATTR(pgt, MT_S2_NORMAL);
  }
  const xn = stage2_set_xn_attr(prot);
  if (xn.ret) return { ret: xn.ret, attr: 0n };
  attr |= xn.xn;
  if (prot & KVM_PGTABLE_PROT_R) attr |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R;
  if (prot & KVM_PGTABLE_PROT_W) attr |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W;
  attr |= FIELD_PREP(KVM_PTE_LEAF_ATTR_LO_S2_SH, KVM_PTE_LEAF_ATTR_LO_S2_SH_IS);
  attr |= KVM_PTE_LEAF_ATTR_LO_S2_AF;
  attr |= prot & KVM_PTE_LEAF_ATTR_HI_SW;
  return { ret: 0, attr };
}

export function kvm_pgtable_stage2_pte_prot(pte: bigint): bigint {
  let prot = pte & KVM_PTE_LEAF_ATTR_HI_SW;
  if (!kvm_pte_valid(pte)) return prot;
  if (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R) prot |= KVM_PGTABLE_PROT_R;
  if (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W) prot |= KVM_PGTABLE_PROT_W;
  switch (FIELD_GET(KVM_PTE_LEAF_ATTR_HI_S2_XN, pte)) {
    case 0b00n: prot |= KVM_PGTABLE_PROT_PX | KVM_PGTABLE_PROT_UX; break;
    case 0b01n: prot |= KVM_PGTABLE_PROT_UX; break;
    case 0b11n: prot |= KVM_PGTABLE_PROT_PX; break;
  }
  return prot;
}

const NOT_LEAF_ATTR_S2_PERMS = ~KVM_PTE_LEAF_ATTR_S2_PERMS;
const stage2_pte_needs_update = (old: bigint, n: bigint): boolean =>
  !kvm_pte_valid(old) || !kvm_pte_valid(n) || BigInt.asUintN(64, (old ^ n) & NOT_LEAF_ATTR_S2_PERMS) !== 0n;

/* !kvm_pte_valid(pte) && FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte) == KVM_INVALID_PTE_TYPE_LOCKED */
const stage2_pte_is_locked = (pte: bigint): boolean =>
  !kvm_pte_valid(pte) && kvm_pte_type_is(pte, KVM_INVALID_PTE_LOCKED);

function stage2_try_set_pte(ctx: KvmPgtableVisitCtx, n: bigint): boolean {
  if (ctx.flags & KVM_PGTABLE_WALK_SHARED && kvm_read_pte(ctx.pgt.mem, ctx.ptepN) !== ctx.old) return false;
  kvm_write_pte(ctx.pgt.mem, ctx.ptepN, n);
  return true;
}

/** Break-before-make, step 1: lock the PTE, invalidate the TLB, drop its table reference. */
function stage2_try_break_pte(ctx: KvmPgtableVisitCtx): boolean {
  if (stage2_pte_is_locked(ctx.old)) {
    WARN_ON(!(ctx.flags & KVM_PGTABLE_WALK_SHARED), 'locked pte under exclusive walk');
    return false;
  }
  if (!stage2_try_set_pte(ctx, KVM_INVALID_PTE_LOCKED)) return false;
  const mmu = ctx.pgt.mmu;
  if (kvm_pte_table(ctx.old, ctx.level)) {
    const size = kvm_granule_size_n(ctx.level);
    mmu.tlb.flush_vmid_range(mmu.vmid, BigInt(ALIGN_DOWN_N(ctx.addrN, size)), BigInt(size)); /* ALIGN_DOWN(ctx->addr, size) */
  } else if (kvm_pte_valid(ctx.old)) {
    mmu.tlb.flush_vmid_ipa(mmu.vmid, ctx.addr, ctx.level);
  }
  if (stage2_pte_is_counted(ctx.old)) ctx.mm_ops.put_page(ctx.ptepN);
  return true;
}

/** stage2_pte_is_locked(*ptep), from the descriptor's two words: bit 0 clear, bits 63:60 KVM_INVALID_PTE_TYPE_LOCKED. */
function stage2_pte_is_locked_at(mem: PhysMem, ptep: number): boolean {
  return (kvm_read_pte_lo(mem, ptep) & 1) === 0 && kvm_read_pte_hi(mem, ptep) >>> 28 === INVALID_PTE_TYPE_LOCKED_N;
}
const INVALID_PTE_TYPE_LOCKED_N = Number(KVM_INVALID_PTE_TYPE_LOCKED);

function stage2_make_pte(ctx: KvmPgtableVisitCtx, n: bigint): void {
  WARN_ON(!stage2_pte_is_locked_at(ctx.pgt.mem, ctx.ptepN), 'make_pte on unlocked pte');
  if (stage2_pte_is_counted(n)) ctx.mm_ops.get_page(ctx.ptepN);
  kvm_write_pte(ctx.pgt.mem, ctx.ptepN, n);
}

/** struct stage2_map_data; phys as a Number (bits 47:12 of the output address; -1 for KVM_PHYS_INVALID). */
interface Stage2MapData {
  phys: number;
  attr: bigint;
  annotation: boolean;
  memcache: unknown;
  force_pte: boolean;
}

function kvm_block_mapping_supported(ctx: KvmPgtableVisitCtx, phys: number): boolean {
  const granule = kvm_granule_size_n(ctx.level);
  if (!kvm_level_supports_block_mapping(ctx.level)) return false;
  if (granule > ctx.endN - ctx.addrN) return false;
  if (!IS_ALIGNED_N(phys, granule)) return false;
  return IS_ALIGNED_N(ctx.addrN, granule);
}

function stage2_leaf_mapping_allowed(ctx: KvmPgtableVisitCtx, data: Stage2MapData): boolean {
  if (data.force_pte && ctx.level < KVM_PGTABLE_LAST_LEVEL) return false;
  if (data.annotation) return true;
  return kvm_block_mapping_supported(ctx, data.phys + (ctx.addrN - ctx.startN));
}

function stage2_map_walker_try_leaf(ctx: KvmPgtableVisitCtx, data: Stage2MapData): number {
  if (!stage2_leaf_mapping_allowed(ctx, data)) return -E2BIG;
  const n = data.annotation
    ? data.attr
    : kvm_init_valid_leaf_pte_n(data.phys + (ctx.addrN - ctx.startN), data.attr, ctx.level);
  /* Same mapping, or only a permission change: leave it to relax_perms(). */
  if (!stage2_pte_needs_update(ctx.old, n)) return -EAGAIN;
  /* Only software bits change: store them and go. */
  if (!(ctx.flags & KVM_PGTABLE_WALK_SHARED) && BigInt.asUintN(64, (ctx.old ^ n) & NOT_LEAF_ATTR_HI_SW) === 0n) {
    const oldCounted = stage2_pte_is_counted(ctx.old);
    if (oldCounted !== stage2_pte_is_counted(n)) {
      if (oldCounted) ctx.mm_ops.put_page(ctx.ptepN);
      else ctx.mm_ops.get_page(ctx.ptepN);
    }
    WARN_ON(!stage2_try_set_pte(ctx, n), 'set sw bits');
    return 0;
  }
  if (!stage2_try_break_pte(ctx)) return -EAGAIN;
  stage2_make_pte(ctx, n);
  return 0;
}

function stage2_map_walker(ctx: KvmPgtableVisitCtx, visit: number): number {
  const data = ctx.arg as Stage2MapData;
  if (visit === KVM_PGTABLE_WALK_TABLE_PRE) {
    const childp = kvm_pte_to_phys(ctx.old);
    if (!stage2_leaf_mapping_allowed(ctx, data)) return 0;
    const ret = stage2_map_walker_try_leaf(ctx, data);
    if (ret) return ret;
    if (ctx.mm_ops.free_unlinked_table) ctx.mm_ops.free_unlinked_table(childp, ctx.level);
    else kvm_pgtable_stage2_free_unlinked(ctx.pgt, childp, ctx.level);
    return 0;
  }
  if (visit === KVM_PGTABLE_WALK_LEAF) {
    const ret = stage2_map_walker_try_leaf(ctx, data);
    if (ret !== -E2BIG) return ret;
    if (WARN_ON(ctx.level === KVM_PGTABLE_LAST_LEVEL, 'map at last level')) return -EINVAL;
    if (data.memcache === null || data.memcache === undefined) return -ENOMEM;
    const childp = ctx.mm_ops.zalloc_page(data.memcache);
    if (childp === null) return -ENOMEM;
    if (!stage2_try_break_pte(ctx)) {
      ctx.mm_ops.put_page(childp);
      return -EAGAIN;
    }
    /* A block replaced by a table: the rest of its range is mapped lazily. */
    stage2_make_pte(ctx, kvm_init_table_pte(childp));
    return 0;
  }
  return -EINVAL;
}

export function kvm_pgtable_stage2_map(
  pgt: KvmPgtable, addr: bigint, size: bigint, phys: bigint, prot: bigint, mc: unknown, flags: number,
): number {
  if (WARN_ON(pgt.flags & KVM_PGTABLE_S2_IDMAP && addr !== phys, 'idmap addr != phys')) return -EINVAL;
  const { ret, attr } = stage2_set_prot_attr(pgt, prot);
  if (ret) return ret;
  const data: Stage2MapData = {
    /* ALIGN_DOWN(phys, PAGE_SIZE), of which the PTE keeps bits 47:12 (kvm_phys_to_pte()) */
    phys: phys >= 0n && phys < PHYS_BELOW_BIT48 ? ALIGN_DOWN_N(u64_to_n(phys), PAGE_SIZE_N) : Number(phys & KVM_PTE_ADDR_MASK),
    attr, annotation: false, memcache: mc,
    force_pte: pgt.force_pte_cb !== null && pgt.force_pte_cb(addr, addr + size, prot),
  };
  return kvm_pgtable_walk(pgt, addr, size, {
    cb: stage2_map_walker, arg: data,
    flags: flags | mapTablePre(addr, size) | KVM_PGTABLE_WALK_LEAF,
  });
}

/**
 * KVM_PGTABLE_WALK_TABLE_PRE for a map of [addr, addr + size): upstream always asks for it, so that
 * a table can be replaced by a block covering it. A one-page range fits no block, so that visit
 * returns 0 without a change at every table (stage2_leaf_mapping_allowed() is false); it is left
 * out, and the walk goes straight to the page's entry (pgtable.ts: the leaf-only walk).
 */
function mapTablePre(addr: bigint, size: bigint): number {
  /* IS_ALIGNED(addr, PAGE_SIZE): addr's bits 11:0 clear */
  return size === PAGE_SIZE && BigInt.asUintN(12, addr) === 0n ? 0 : KVM_PGTABLE_WALK_TABLE_PRE;
}

/** FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, type), the last one kept (a caller annotates with one type). */
let lastType = -1n, lastTypeField = 0n;
function invalid_pte_type_field(type: bigint): bigint {
  if (type !== lastType) {
    lastTypeField = FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, type);
    lastType = type;
  }
  return lastTypeField;
}

/** kvm_pgtable_stage2_annotate(): install an invalid, typed, page-level annotation. */
export function kvm_pgtable_stage2_annotate(
  pgt: KvmPgtable, addr: bigint, size: bigint, mc: unknown, type: bigint, annotation: bigint,
): number {
  if (BigInt.asUintN(64, annotation & NOT_INVALID_PTE_ANNOT_MASK) !== 0n) return -EINVAL;
  if (type === 0n || type === KVM_INVALID_PTE_TYPE_LOCKED || type > 15n) return -EINVAL;
  const data: Stage2MapData = {
    phys: -1 /* KVM_PHYS_INVALID */, attr: BigInt.asUintN(64, invalid_pte_type_field(type) | annotation),
    annotation: true, memcache: mc, force_pte: true,
  };
  return kvm_pgtable_walk(pgt, addr, size, {
    cb: stage2_map_walker, arg: data, flags: mapTablePre(addr, size) | KVM_PGTABLE_WALK_LEAF,
  });
}

function stage2_unmap_walker(ctx: KvmPgtableVisitCtx): number {
  const mm_ops = ctx.mm_ops;
  const mem = ctx.pgt.mem;
  if (!kvm_pte_valid(ctx.old)) {
    if (stage2_pte_is_counted(ctx.old)) {
      kvm_write_pte(mem, ctx.ptepN, 0n);
      mm_ops.put_page(ctx.ptepN);
    }
    return 0;
  }
  let childp: bigint | null = null;
  if (kvm_pte_table(ctx.old, ctx.level)) {
    childp = kvm_pte_to_phys(ctx.old);
    if (mm_ops.page_count(childp) !== 1) return 0;
  }
  /* Unmap the whole entry; the rest of a block is faulted back lazily. */
  kvm_write_pte(mem, ctx.ptepN, 0n);
  const mmu = ctx.pgt.mmu;
  mmu.tlb.flush_vmid_ipa(mmu.vmid, ctx.addr, childp !== null ? TLBI_TTL_UNKNOWN : ctx.level);
  mm_ops.put_page(ctx.ptepN);
  if (childp !== null) mm_ops.put_page(childp);
  return 0;
}

export function kvm_pgtable_stage2_unmap(pgt: KvmPgtable, addr: bigint, size: bigint): number {
  return kvm_pgtable_walk(pgt, addr, size, {
    cb: stage2_unmap_walker, flags: KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
  });
}

function stage2_update_leaf_attrs(
  pgt: KvmPgtable, addr: bigint, size: bigint, set: bigint, clr: bigint, flags: number,
): { ret: number; pte: bigint; level: number } {
  const mask = KVM_PTE_LEAF_ATTR_LO | KVM_PTE_LEAF_ATTR_HI;
  const data = { set: set & mask, clr: clr & mask, pte: 0n, level: 0 };
  const ret = kvm_pgtable_walk(pgt, addr, size, {
    flags: flags | KVM_PGTABLE_WALK_LEAF,
    cb: (ctx) => {
      if (!kvm_pte_valid(ctx.old)) return -EAGAIN;
      data.level = ctx.level;
      data.pte = ctx.old;
      const pte = (ctx.old & ~data.clr) | data.set;
      if (pte !== ctx.old && !stage2_try_set_pte(ctx, pte)) return -EAGAIN;
      return 0;
    },
  });
  return { ret, pte: data.pte, level: data.level };
}

export function kvm_pgtable_stage2_wrprotect(pgt: KvmPgtable, addr: bigint, size: bigint): number {
  return stage2_update_leaf_attrs(pgt, addr, size, 0n, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W, 0).ret;
}

export function kvm_pgtable_stage2_mkyoung(pgt: KvmPgtable, addr: bigint, flags: number): void {
  stage2_update_leaf_attrs(pgt, addr, 1n, KVM_PTE_LEAF_ATTR_LO_S2_AF, 0n, flags);
}

export function kvm_pgtable_stage2_test_clear_young(pgt: KvmPgtable, addr: bigint, size: bigint, mkold: boolean): boolean {
  let young = false;
  WARN_ON(kvm_pgtable_walk(pgt, addr, size, {
    flags: KVM_PGTABLE_WALK_LEAF,
    cb: (ctx) => {
      const n = ctx.old & ~KVM_PTE_LEAF_ATTR_LO_S2_AF;
      if (!kvm_pte_valid(ctx.old) || n === ctx.old) return 0;
      young = true;
      if (mkold && !stage2_try_set_pte(ctx, n)) return -EAGAIN;
      return 0;
    },
  }), 'test_clear_young walk');
  return young;
}

export function kvm_pgtable_stage2_relax_perms(pgt: KvmPgtable, addr: bigint, prot: bigint, flags: number): number {
  if (prot & KVM_PTE_LEAF_ATTR_HI_SW) return -EINVAL;
  let set = 0n;
  let clr = 0n;
  if (prot & KVM_PGTABLE_PROT_R) set |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R;
  if (prot & KVM_PGTABLE_PROT_W) set |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W;
  const xn = stage2_set_xn_attr(prot);
  if (xn.ret) return xn.ret;
  set |= xn.xn & KVM_PTE_LEAF_ATTR_HI_S2_XN;
  clr |= ~xn.xn & KVM_PTE_LEAF_ATTR_HI_S2_XN;
  const r = stage2_update_leaf_attrs(pgt, addr, 1n, set, clr, flags);
  if (!r.ret || r.ret === -EAGAIN) pgt.mmu.tlb.flush_vmid_ipa(pgt.mmu.vmid, addr, r.level);
  return r.ret;
}

export const stage2_pte_cacheable = (pgt: KvmPgtable, pte: bigint): boolean =>
  kvm_pte_valid(pte) && (pte & KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR) === KVM_S2_MEMATTR(pgt, MT_S2_NORMAL);
