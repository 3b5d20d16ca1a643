/**
 * One page at level 3 of an existing table, without kvm_pgtable_walk()'s visitor machinery: the
 * entry a one-page walk would visit found by a direct descent (pgtable-descend.ts), its descriptor
 * read, built and stored as two 32-bit words (bits 31:0, bits 63:32), addresses as Numbers (below
 * 2^52: exact). No upstream counterpart: each function does what the named pgtable.c path does
 * for that one entry, with the same checks, stores, TLB invalidations, refcounts and results, and
 * answers PGTABLE_PAGE_FALLBACK wherever its preconditions do not hold (no table down to level 3,
 * a block, a table entry, a locked entry, an address the walk would refuse ...): the caller then
 * takes the generic path (kvm_pgtable_walk() and the stage2_map_walker()), which handles them.
 * README "Numbers in the walker" / "one page without the walker".
 */
import type { PhysMem } from './phys-mem';
import type { KvmPgtable } from './pgtable';
import { kvm_read_pte_hi, kvm_read_pte_lo, kvm_write_pte } from './pgtable';
import { KVM_PGTABLE_LAST_LEVEL, KVM_PGTABLE_S2_IDMAP, KVM_PTE_LEAF_ATTR_HI, KVM_PTE_LEAF_ATTR_LO, PAGE_SIZE_N } from './pgtable-defs';
import { kvm_pgd_page_idx_n } from './vtcr';
import { stage2_set_prot_attr } from './pgtable-stage2';

/** Not an errno (those are 0 or negative): "take the generic path". */
export const PGTABLE_PAGE_FALLBACK = 1;

/**
 * The switch of the one-page path (tests run the same sequences with it off, through the generic
 * walker alone, and compare the results word for word), and how many one-page maps and
 * annotations it did (not its fallbacks).
 */
export const pgtable_page_path = { enabled: true, maps: 0, annotations: 0 };

/** 1 << ia_bits as Numbers. */
const IA_LIMIT_N: readonly number[] = Array.from({ length: 65 }, (_, b) => 2 ** b);

/**
 * The entry kvm_pgtable_walk(pgt, addr, PAGE_SIZE, <leaf-only walker>) visits: its physical address
 * plus its level (entries are 8-byte aligned), or -1 where that walk would not go straight to one
 * entry in RAM (the path is off, no descent accelerator, no pgd (-EINVAL), an address outside the
 * IA range (-ERANGE), a table on the way outside RAM). addr: page aligned, below 2^52.
 */
export function kvm_pgtable_page_entry(pgt: KvmPgtable, addr: number): number {
  if (!pgt_page_path(pgt)) return -1;
  const limit = IA_LIMIT_N[pgt.ia_bits]!;
  /* kvm_pgtable_walk(): start > limit || end > limit is -ERANGE */
  if (addr + PAGE_SIZE_N > limit || pgt.pgdN < 0) return -1;
  const pgd = pgt.pgdN + kvm_pgd_page_idx_n(pgt.ia_bits, pgt.start_level, addr) * PAGE_SIZE_N;
  return pgt.mem.descendN!(pgd, pgt.start_level, addr);
}
const pgt_page_path = (pgt: KvmPgtable): boolean => pgtable_page_path.enabled && pgt.mem.descendN !== undefined;

/** The level of an entry kvm_pgtable_page_entry() returned, and its address. */
export const page_entry_level = (entry: number): number => entry - Math.floor(entry / 8) * 8;
export const page_entry_ptep = (entry: number): number => Math.floor(entry / 8) * 8;

/** WRITE_ONCE(*ptep, pte) of a descriptor given as its two words. */
export function kvm_write_pte_words(mem: PhysMem, ptep: number, lo: number, hi: number): void {
  if (mem.writeU64WordsN !== undefined) mem.writeU64WordsN(ptep, lo, hi);
  else kvm_write_pte(mem, ptep, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
}

/* KVM_INVALID_PTE_LOCKED (type 1 in bits 63:60) as its high word; its low word is 0. */
const INVALID_PTE_LOCKED_HI = 1 << 28;
/* KVM_PTE_LEAF_ATTR_HI_SW: bits 58:55, bits 26:23 of the high word. */
const LEAF_ATTR_HI_SW_HI = 0xf << 23;
/* KVM_PTE_LEAF_ATTR_LO | KVM_PTE_LEAF_ATTR_HI as words. */
const LEAF_ATTR_MASK_LO = Number(KVM_PTE_LEAF_ATTR_LO);
const LEAF_ATTR_MASK_HI = Number(KVM_PTE_LEAF_ATTR_HI >> 32n) | 0;

/**
 * stage2_map_walker_try_leaf() of a new descriptor (lo, hi) over the level-3 entry at ptep, whose
 * current words are (oldLo, oldHi), in an exclusive walk (no KVM_PGTABLE_WALK_SHARED): the
 * software-bits-only update, or break-before-make (stage2_try_break_pte(): the entry locked, the
 * TLB invalidated for a valid old entry, its table reference dropped; stage2_make_pte(): the
 * reference taken, the entry stored). `new_valid`: bit 0 of the new descriptor. A locked old entry
 * is not handled here (the caller falls back). addr: the entry's IPA.
 */
function stage2_try_leaf_words(
  pgt: KvmPgtable, ptep: number, addr: number, oldLo: number, oldHi: number, lo: number, hi: number,
): number {
  const mem = pgt.mem;
  const oldValid = (oldLo & 1) !== 0;
  /*
   * stage2_pte_needs_update(): an invalid old or new descriptor always needs it; two valid ones
   * that differ only in KVM_PTE_LEAF_ATTR_S2_PERMS do not (-EAGAIN, left to relax_perms()). The
   * callers here never get there: the map's caller only maps over an invalid entry, an annotation
   * is invalid.
   */
  if (oldValid && (lo & 1) !== 0) return PGTABLE_PAGE_FALLBACK;
  const oldCounted = (oldLo | oldHi) !== 0; /* stage2_pte_is_counted() */
  const newCounted = (lo | hi) !== 0;
  /* Only software bits change: store them and go. */
  if (((oldLo ^ lo) | ((oldHi ^ hi) & ~LEAF_ATTR_HI_SW_HI)) === 0) {
    if (oldCounted !== newCounted) {
      if (oldCounted) pgt.mm_ops.put_page(ptep);
      else pgt.mm_ops.get_page(ptep);
    }
    kvm_write_pte_words(mem, ptep, lo, hi);
    return 0;
  }
  /* stage2_try_break_pte() */
  kvm_write_pte_words(mem, ptep, 0, INVALID_PTE_LOCKED_HI);
  const mmu = pgt.mmu;
  if (oldValid) mmu.tlb.flush_vmid_ipa(mmu.vmid, BigInt(addr), KVM_PGTABLE_LAST_LEVEL);
  if (oldCounted) pgt.mm_ops.put_page(ptep);
  /* stage2_make_pte(): the entry is the one just locked */
  if (newCounted) pgt.mm_ops.get_page(ptep);
  kvm_write_pte_words(mem, ptep, lo, hi);
  return 0;
}

/** stage2_pte_is_locked() of a descriptor's words. */
const pte_is_locked_words = (lo: number, hi: number): boolean => (lo & 1) === 0 && hi >>> 28 === 1;

/* stage2_set_prot_attr(pgt, prot)'s attr (& KVM_PTE_LEAF_ATTR_LO | HI) as its two words, for the last pgt flags and prot (it depends on nothing else); lastAttrOk false for a prot it refuses. */
let lastFlags = -1, lastProt = -1n, lastAttrOk = false, lastAttrLo = 0, lastAttrHi = 0;

/**
 * kvm_pgtable_stage2_map(pgt, addr, PAGE_SIZE, phys, prot, mc, 0) where the walk's one entry is an
 * invalid, unlocked entry at level 3 (`entry`, from kvm_pgtable_page_entry()): the new leaf
 * (kvm_init_valid_leaf_pte() of phys with stage2_set_prot_attr()'s attributes) through
 * stage2_map_walker_try_leaf(). Else PGTABLE_PAGE_FALLBACK (also for a prot stage2_set_prot_attr()
 * refuses, and for the IDMAP check and force_pte_cb, which the generic path does). physPfn: phys >>
 * 12, below 2^36 (phys below 2^48 is its own bits 47:12).
 */
export function stage2_map_page(pgt: KvmPgtable, entry: number, addr: number, physPfn: number, prot: bigint): number {
  if (entry < 0 || page_entry_level(entry) !== KVM_PGTABLE_LAST_LEVEL) return PGTABLE_PAGE_FALLBACK;
  if (pgt.flags & KVM_PGTABLE_S2_IDMAP || pgt.force_pte_cb !== null || !(physPfn < 2 ** 36)) return PGTABLE_PAGE_FALLBACK;
  if (pgt.flags !== lastFlags || prot !== lastProt) {
    const pa = stage2_set_prot_attr(pgt, prot);
    lastAttrOk = pa.ret === 0;
    lastAttrLo = Number(BigInt.asUintN(32, pa.attr)) & LEAF_ATTR_MASK_LO;
    lastAttrHi = Number(BigInt.asUintN(32, pa.attr >> 32n)) & LEAF_ATTR_MASK_HI;
    lastFlags = pgt.flags;
    lastProt = prot;
  }
  if (!lastAttrOk) return PGTABLE_PAGE_FALLBACK;
  const ptep = entry - KVM_PGTABLE_LAST_LEVEL;
  const oldLo = kvm_read_pte_lo(pgt.mem, ptep), oldHi = kvm_read_pte_hi(pgt.mem, ptep);
  if ((oldLo & 1) !== 0 || pte_is_locked_words(oldLo, oldHi)) return PGTABLE_PAGE_FALLBACK;
  /* kvm_init_valid_leaf_pte(): kvm_phys_to_pte(pa) | attr & (ATTR_LO | ATTR_HI) | PAGE type | VALID */
  const lo = ((physPfn << 12) | lastAttrLo | 3) >>> 0;
  const hi = ((Math.floor(physPfn / 0x100000) & 0xffff) | lastAttrHi) >>> 0;
  pgtable_page_path.maps++;
  return stage2_try_leaf_words(pgt, ptep, addr, oldLo, oldHi, lo, hi);
}

/**
 * kvm_pgtable_stage2_annotate(pgt, addr, PAGE_SIZE, mc, type, annotation) where the walk's one
 * entry is at level 3 and not locked: the annotation (FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, type) |
 * annotation, as its words lo/hi) through stage2_map_walker_try_leaf() (an annotation is a leaf at
 * any level: force_pte). The checks on type and annotation are the caller's, which built them from
 * fields that fit; a valid bit set falls back (the generic path's -EINVAL). Else PGTABLE_PAGE_FALLBACK.
 */
export function stage2_annotate_page_words(pgt: KvmPgtable, entry: number, addr: number, lo: number, hi: number): number {
  if (entry < 0 || page_entry_level(entry) !== KVM_PGTABLE_LAST_LEVEL || (lo & 1) !== 0) return PGTABLE_PAGE_FALLBACK;
  const ptep = entry - KVM_PGTABLE_LAST_LEVEL;
  const oldLo = kvm_read_pte_lo(pgt.mem, ptep), oldHi = kvm_read_pte_hi(pgt.mem, ptep);
  if (pte_is_locked_words(oldLo, oldHi)) return PGTABLE_PAGE_FALLBACK;
  pgtable_page_path.annotations++;
  return stage2_try_leaf_words(pgt, ptep, addr, oldLo, oldHi, lo >>> 0, hi >>> 0);
}
