/**
 * The hyp's own stage-1 page table (EL2 translation regime, TTBR0_EL2, nVHE: HCR_EL2.E2H = 0):
 * kvm_pgtable_hyp_init(), kvm_pgtable_hyp_map(), kvm_pgtable_hyp_unmap() and hyp_set_prot_attr()
 * from arch/arm64/kvm/hyp/pgtable.c, writing real VMSAv8-64 stage-1 descriptors (4 KiB granule)
 * into hyp-owned physical memory, plus the lookup the hyp's checked accesses use (hyp-mm.ts).
 *
 * Descriptor bits (Arm ARM D8.3, stage-1 attributes; the EL2 regime has one privilege level):
 *   AttrIndx[2:0] bits 4:2 (MAIR_EL2 index: MT_NORMAL = 0, MT_DEVICE_nGnRE = 4, asm/memory.h),
 *   AP[2:1] bits 7:6 (AP[1] is RES1 in a single-privilege regime: nVHE RW = 0b01, RO = 0b11),
 *   SH[1:0] bits 9:8 (Inner Shareable = 0b11), AF bit 10, XN bit 54 (the EL2 regime's XN),
 *   software bits 58:55.
 * PAGE_HYP = R|W, PAGE_HYP_RO = R, PAGE_HYP_EXEC = R|X, PAGE_HYP_DEVICE = R|W|DEVICE (kvm_pgtable.h).
 */
import type { PhysMem } from './phys-mem';
import { EEXIST, EINVAL, ENOMEM, WARN_ON } from './page-state';
import { KvmPgtable, KvmPgtableMmOps, KvmPgtableVisitCtx, KvmPgtableWalker, kvm_pgtable_get_leaf, kvm_pgtable_walk } from './pgtable';
import {
  BIT, FIELD_GET, FIELD_PREP, GENMASK, KVM_PGTABLE_LAST_LEVEL, KVM_PGTABLE_PROT_DEVICE, KVM_PGTABLE_PROT_R,
  KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_X, KVM_PGTABLE_WALK_LEAF,
  KVM_PGTABLE_WALK_TABLE_POST, KVM_PTE_LEAF_ATTR_HI_SW, KVM_PTE_VALID, PAGE_SIZE, kvm_granule_size,
  kvm_init_table_pte, kvm_init_valid_leaf_pte, kvm_pte_table, kvm_pte_to_phys, kvm_pte_valid,
} from './pgtable-defs';

export const KVM_PTE_LEAF_ATTR_LO_S1_ATTRIDX = GENMASK(4, 2);
export const KVM_PTE_LEAF_ATTR_LO_S1_AP = GENMASK(7, 6);
export const KVM_PTE_LEAF_ATTR_LO_S1_AP_RO = 3n; /* nVHE: AP[2] = 1, AP[1] RES1 */
export const KVM_PTE_LEAF_ATTR_LO_S1_AP_RW = 1n; /* nVHE: AP[2] = 0, AP[1] RES1 */
export const KVM_PTE_LEAF_ATTR_LO_S1_SH = GENMASK(9, 8);
export const KVM_PTE_LEAF_ATTR_LO_S1_SH_IS = 3n;
export const KVM_PTE_LEAF_ATTR_LO_S1_AF = BIT(10);
export const KVM_PTE_LEAF_ATTR_HI_S1_XN = BIT(54);

/* MAIR_EL2 indexes (arch/arm64/include/asm/memory.h) */
export const MT_NORMAL = 0n;
export const MT_DEVICE_nGnRE = 4n;

export const PAGE_HYP = KVM_PGTABLE_PROT_RW;
export const PAGE_HYP_EXEC = KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X;
export const PAGE_HYP_RO = KVM_PGTABLE_PROT_R;
export const PAGE_HYP_DEVICE = PAGE_HYP | KVM_PGTABLE_PROT_DEVICE;

/** hyp_va_bits: TCR_EL2.T0SZ = 64 - 48, so the walk starts at level 0 with one 4 KiB PGD. */
export const HYP_VA_BITS = 48;

/** hyp_set_prot_attr(): the leaf attributes for `prot`, or -EINVAL (nVHE rules). */
export function hyp_set_prot_attr(prot: bigint): { ret: number; attr: bigint } {
  const device = (prot & KVM_PGTABLE_PROT_DEVICE) !== 0n;
  const mtype = device ? MT_DEVICE_nGnRE : MT_NORMAL;
  let attr = FIELD_PREP(KVM_PTE_LEAF_ATTR_LO_S1_ATTRIDX, mtype);
  if (!(prot & KVM_PGTABLE_PROT_R)) return { ret: -EINVAL, attr: 0n };
  if (prot & KVM_PGTABLE_PROT_X) {
    if (prot & KVM_PGTABLE_PROT_W) return { ret: -EINVAL, attr: 0n };
    if (device) return { ret: -EINVAL, attr: 0n };
  } else {
    attr |= KVM_PTE_LEAF_ATTR_HI_S1_XN;
  }
  const ap = prot & KVM_PGTABLE_PROT_W ? KVM_PTE_LEAF_ATTR_LO_S1_AP_RW : KVM_PTE_LEAF_ATTR_LO_S1_AP_RO;
  attr |= FIELD_PREP(KVM_PTE_LEAF_ATTR_LO_S1_AP, ap);
  attr |= FIELD_PREP(KVM_PTE_LEAF_ATTR_LO_S1_SH, KVM_PTE_LEAF_ATTR_LO_S1_SH_IS);
  attr |= KVM_PTE_LEAF_ATTR_LO_S1_AF;
  attr |= prot & KVM_PTE_LEAF_ATTR_HI_SW;
  return { ret: 0, attr };
}

/** kvm_pgtable_hyp_pte_prot(): the kvm_pgtable_prot a valid hyp leaf grants. */
export function kvm_pgtable_hyp_pte_prot(pte: bigint): bigint {
  if (!kvm_pte_valid(pte)) return 0n;
  let prot = pte & KVM_PTE_LEAF_ATTR_HI_SW;
  if (FIELD_GET(KVM_PTE_LEAF_ATTR_LO_S1_ATTRIDX, pte) === MT_DEVICE_nGnRE) prot |= KVM_PGTABLE_PROT_DEVICE;
  if (!(pte & KVM_PTE_LEAF_ATTR_HI_S1_XN)) prot |= KVM_PGTABLE_PROT_X;
  const ap = FIELD_GET(KVM_PTE_LEAF_ATTR_LO_S1_AP, pte);
  if (ap === KVM_PTE_LEAF_ATTR_LO_S1_AP_RO) prot |= KVM_PGTABLE_PROT_R;
  else if (ap === KVM_PTE_LEAF_ATTR_LO_S1_AP_RW) prot |= KVM_PGTABLE_PROT_RW;
  return prot;
}

/** kvm_pgtable_hyp_init(): a level-0 PGD for HYP_VA_BITS of VA. */
export function kvm_pgtable_hyp_init(mem: PhysMem, mm_ops: KvmPgtableMmOps): KvmPgtable | null {
  const noop = () => {};
  const pgt = new KvmPgtable(mem, mm_ops, {
    vmid: 0, vtcr: 0n, tlb: { flush_vmid_ipa: noop, flush_vmid_range: noop, flush_vmid: noop, flush_vm_context: noop },
  });
  const pgd = mm_ops.zalloc_page(null);
  if (pgd === null) return null;
  pgt.pgd = pgd;
  pgt.ia_bits = HYP_VA_BITS;
  pgt.start_level = 4 - Math.ceil((HYP_VA_BITS - 12) / 9); /* ARM64_HW_PGTABLE_LEVELS: 0 */
  return pgt;
}

interface HypMapData { phys: bigint; attr: bigint; pte_only: boolean }

function hyp_map_walker(ctx: KvmPgtableVisitCtx): number {
  const data = ctx.arg as HypMapData;
  const mem = ctx.pgt.mem;
  const granule = kvm_granule_size(ctx.level);
  /* hyp_map_walker_try_leaf(): a block or page when the range covers and aligns to this level. */
  if (ctx.level >= (data.pte_only ? 3 : 1) && ctx.addr % granule === 0n && ctx.end - ctx.addr >= granule && data.phys % granule === 0n) {
    const phys = data.phys;
    data.phys += granule;
    const n = kvm_init_valid_leaf_pte(phys, data.attr, ctx.level);
    if (ctx.old === n) return 0;
    /* Tolerate changing software bits only; anything else on a valid leaf is a bug. */
    if (kvm_pte_valid(ctx.old) && WARN_ON(((ctx.old ^ n) & ~KVM_PTE_LEAF_ATTR_HI_SW) !== 0n, 'hyp_map: remap')) return -EEXIST;
    if (!kvm_pte_valid(ctx.old)) ctx.mm_ops.get_page(ctx.ptep);
    mem.writeU64(ctx.ptep, n);
    return 0;
  }
  if (WARN_ON(ctx.level === KVM_PGTABLE_LAST_LEVEL, 'hyp_map: last level')) return -EINVAL;
  if (kvm_pte_valid(ctx.old)) {
    WARN_ON(true, 'hyp_map: a block where a table is needed');
    return -EINVAL;
  }
  const childp = ctx.mm_ops.zalloc_page(null);
  if (childp === null) return -ENOMEM;
  mem.writeU64(ctx.ptep, kvm_init_table_pte(childp));
  ctx.mm_ops.get_page(ctx.ptep);
  return 0;
}

/**
 * kvm_pgtable_hyp_map(): map [addr, addr + size) to phys with prot (blocks where aligned).
 * `pte_only`: level-3 pages only — what pkvm_create_mappings_locked()'s page-by-page calls
 * produce, done in one walk.
 */
export function kvm_pgtable_hyp_map(pgt: KvmPgtable, addr: bigint, size: bigint, phys: bigint, prot: bigint, pte_only = false): number {
  const { ret, attr } = hyp_set_prot_attr(prot);
  if (ret) return ret;
  const walker: KvmPgtableWalker = { cb: hyp_map_walker, arg: { phys, attr, pte_only } satisfies HypMapData, flags: KVM_PGTABLE_WALK_LEAF };
  return kvm_pgtable_walk(pgt, addr, size, walker);
}

interface HypUnmapData { unmapped: bigint; tlbi: (va: bigint, level: number) => void }

function hyp_unmap_walker(ctx: KvmPgtableVisitCtx, visit: number): number {
  const data = ctx.arg as HypUnmapData;
  const mem = ctx.pgt.mem;
  const granule = kvm_granule_size(ctx.level);
  if (!kvm_pte_valid(ctx.old)) return -EINVAL;
  if (kvm_pte_table(ctx.old, ctx.level)) {
    if (visit !== KVM_PGTABLE_WALK_TABLE_POST) return 0;
    const childp = kvm_pte_to_phys(ctx.old);
    if (ctx.mm_ops.page_count(childp) !== 1) return 0;
    mem.writeU64(ctx.ptep, 0n);
    data.tlbi(ctx.addr, ctx.level);
    ctx.mm_ops.put_page(ctx.ptep);
    ctx.mm_ops.put_page(childp);
    return 0;
  }
  if (visit !== KVM_PGTABLE_WALK_LEAF) return 0;
  /* A block cannot be partially unmapped. */
  if (ctx.end - ctx.addr < granule) return -EINVAL;
  mem.writeU64(ctx.ptep, 0n);
  data.tlbi(ctx.addr, ctx.level); /* __tlbi_level(vae2is, ...) */
  data.unmapped += granule;
  ctx.mm_ops.put_page(ctx.ptep);
  return 0;
}

/** kvm_pgtable_hyp_unmap(): bytes unmapped from [addr, addr + size) (stops at the first hole). */
export function kvm_pgtable_hyp_unmap(
  pgt: KvmPgtable, addr: bigint, size: bigint, tlbi: (va: bigint, level: number) => void,
): bigint {
  const data: HypUnmapData = { unmapped: 0n, tlbi };
  const walker: KvmPgtableWalker = {
    cb: hyp_unmap_walker, arg: data, flags: KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
  };
  kvm_pgtable_walk(pgt, addr, size, walker);
  return data.unmapped;
}

/** A translation of one VA through the hyp stage-1: the leaf, its level and the output address. */
export interface HypTranslation { pte: bigint; level: number; pa: bigint; prot: bigint }

/** Walk the hyp stage-1 for `va` (the leaf, or null when no valid leaf maps it). */
export function kvm_pgtable_hyp_translate(pgt: KvmPgtable, va: bigint): HypTranslation | null {
  if (va >> BigInt(HYP_VA_BITS)) return null; /* outside TTBR0_EL2's range: translation fault at level 0 */
  const { ret, pte, level } = kvm_pgtable_get_leaf(pgt, va);
  if (ret || !kvm_pte_valid(pte) || kvm_pte_table(pte, level)) return null;
  if (level === KVM_PGTABLE_LAST_LEVEL && !(pte & BIT(1))) return null; /* reserved at level 3 */
  const granule = kvm_granule_size(level);
  const pa = kvm_pte_to_phys(pte) + (va & (granule - 1n));
  return { pte, level, pa, prot: kvm_pgtable_hyp_pte_prot(pte) };
}

export { KVM_PTE_VALID, PAGE_SIZE };
