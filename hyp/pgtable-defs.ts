/**
 * VMSAv8-64 stage-2 descriptor encodings (4 KiB granule) with upstream names,
 * from arch/arm64/include/asm/kvm_pgtable.h, memory.h and
 * arch/arm64/kvm/hyp/include/nvhe/memory.h.
 */
import { PKVM_PAGE_STATE_MASK } from './page-state';

export const U64_MASK = (1n << 64n) - 1n;
export const BIT = (n: number): bigint => 1n << BigInt(n);
export const GENMASK = (h: number, l: number): bigint => ((1n << BigInt(h - l + 1)) - 1n) << BigInt(l);

const shiftCache = new Map<bigint, bigint>();
// The last two masks asked for, compared before the map (a bigint map lookup hashes its key).
let lastMask0 = -1n, lastShift0 = 0n, lastMask1 = -1n, lastShift1 = 0n;
/** Position of the lowest set bit of a (constant) field mask; cached, as masks are few. */
function maskShift(mask: bigint): bigint {
  if (mask === lastMask0) return lastShift0;
  if (mask === lastMask1) return lastShift1;
  let s = shiftCache.get(mask);
  if (s === undefined) {
    s = 0n;
    while (((mask >> s) & 1n) === 0n) s++;
    shiftCache.set(mask, s);
  }
  lastMask1 = lastMask0; lastShift1 = lastShift0;
  lastMask0 = mask; lastShift0 = s;
  return s;
}
export const FIELD_GET = (mask: bigint, v: bigint): bigint => (v & mask) >> maskShift(mask);
export const FIELD_PREP = (mask: bigint, v: bigint): bigint => (v << maskShift(mask)) & mask;
export const FIELD_FIT = (mask: bigint, v: bigint): boolean =>
  v >= 0n && ((v << maskShift(mask)) & ~mask) === 0n;

export const PAGE_SHIFT = 12n;
export const PAGE_SIZE = 4096n;
/** PAGE_SIZE as a Number, for the page-table code's Number addresses. */
export const PAGE_SIZE_N = 4096;
/*
 * ALIGN_DOWN() and IS_ALIGNED() of Number addresses (a: a power of two; x below 2^53, where floor
 * and the product are exact). Not x % a: on a double beyond 2^31 that is a slow floating remainder.
 */
/*
 * A u64 address or size as a Number (exact below 2^53). Number(bigint) is a call into the runtime, and
 * one hypercall converts the same few addresses many times (a donation: its phys and its ipa for each
 * check and walk), so the last two conversions are kept; a size is most often one page.
 */
let cvtA = -1n, cvtAN = 0, cvtB = -1n, cvtBN = 0;
export function u64_to_n(x: bigint): number {
  if (x === cvtA) return cvtAN;
  if (x === PAGE_SIZE) return PAGE_SIZE_N;
  if (x !== cvtB) {
    cvtB = x;
    cvtBN = Number(x);
  }
  /* (the newest first) */
  const n = cvtBN;
  cvtB = cvtA; cvtBN = cvtAN;
  cvtA = x; cvtAN = n;
  return n;
}
export const ALIGN_DOWN_N = (x: number, a: number): number => Math.floor(x / a) * a;
export const IS_ALIGNED_N = (x: number, a: number): boolean => Math.floor(x / a) * a === x;
export const PAGE_MASK = ~(PAGE_SIZE - 1n) & U64_MASK;
export const PTRS_PER_PTE = 512;
export const PMD_SIZE = 1n << 21n;
export const ALIGN_DOWN = (x: bigint, a: bigint): bigint => x & ~(a - 1n);
export const PAGE_ALIGN = (x: bigint): bigint => (x + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);
export const IS_ALIGNED = (x: bigint, a: bigint): boolean => (x & (a - 1n)) === 0n;
/* (a pfn below 2^52 needs no wrap: one shift instead of a shift and a truncation) */
const PFN_NO_WRAP = 1n << 52n;
export const hyp_pfn_to_phys = (pfn: bigint): bigint =>
  pfn >= 0n && pfn < PFN_NO_WRAP ? pfn << PAGE_SHIFT : BigInt.asUintN(64, pfn << PAGE_SHIFT);
export const hyp_phys_to_pfn = (pa: bigint): bigint => pa >> PAGE_SHIFT;

/** get_order(): smallest order with (PAGE_SIZE << order) >= size. */
export function get_order(size: bigint): number {
  let order = 0;
  let pages = (size + PAGE_SIZE - 1n) >> PAGE_SHIFT;
  pages -= 1n;
  while (pages > 0n) {
    order++;
    pages >>= 1n;
  }
  return order;
}

export const KVM_PGTABLE_FIRST_LEVEL = -1;
export const KVM_PGTABLE_LAST_LEVEL = 3;
export const KVM_PGTABLE_MIN_BLOCK_LEVEL = 1; /* CONFIG_ARM64_4K_PAGES */

/* ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3 */
const GRANULE_SHIFT: readonly bigint[] = [-1, 0, 1, 2, 3, 4].map((l) => BigInt(9 * (4 - l) + 3)); // (by level + 1)
const GRANULE_SIZE: readonly bigint[] = GRANULE_SHIFT.map((s) => 1n << s);
export const kvm_granule_shift = (level: number): bigint => GRANULE_SHIFT[level + 1] ?? BigInt(9 * (4 - level) + 3);
export const kvm_granule_size = (level: number): bigint => GRANULE_SIZE[level + 1] ?? 1n << kvm_granule_shift(level);
/** kvm_granule_size(level) as a Number (exact: at most 2^48), by level + 1. */
const GRANULE_SIZE_N: readonly number[] = [-1, 0, 1, 2, 3, 4].map((l) => 2 ** (9 * (4 - l) + 3));
export const kvm_granule_size_n = (level: number): number => GRANULE_SIZE_N[level + 1] ?? 2 ** (9 * (4 - level) + 3);
export const kvm_level_supports_block_mapping = (level: number): boolean =>
  level >= KVM_PGTABLE_MIN_BLOCK_LEVEL;

export const KVM_PTE_VALID = BIT(0);
export const KVM_PTE_ADDR_MASK = GENMASK(47, 12);
export const KVM_PHYS_INVALID = U64_MASK;
export const KVM_PTE_TYPE = BIT(1);
export const KVM_PTE_TYPE_BLOCK = 0n;
export const KVM_PTE_TYPE_PAGE = 1n;
export const KVM_PTE_TYPE_TABLE = 1n;

export const KVM_PTE_LEAF_ATTR_LO = GENMASK(11, 2);
export const KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR = GENMASK(5, 2);
export const KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R = BIT(6);
export const KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W = BIT(7);
export const KVM_PTE_LEAF_ATTR_LO_S2_SH = GENMASK(9, 8);
export const KVM_PTE_LEAF_ATTR_LO_S2_SH_IS = 3n;
export const KVM_PTE_LEAF_ATTR_LO_S2_AF = BIT(10);
export const KVM_PTE_LEAF_ATTR_HI = GENMASK(63, 50);
export const KVM_PTE_LEAF_ATTR_HI_SW = GENMASK(58, 55);
export const KVM_PTE_LEAF_ATTR_HI_S2_XN = GENMASK(54, 53);
export const KVM_PTE_LEAF_ATTR_S2_PERMS =
  KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R | KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W | KVM_PTE_LEAF_ATTR_HI_S2_XN;

/* pKVM invalid pte encodings */
export const KVM_INVALID_PTE_TYPE_MASK = GENMASK(63, 60);
export const KVM_INVALID_PTE_ANNOT_MASK = ~(KVM_PTE_VALID | KVM_INVALID_PTE_TYPE_MASK) & U64_MASK;
/* enum kvm_invalid_pte_type */
export const KVM_INVALID_PTE_TYPE_LOCKED = 1n;
export const KVM_HOST_INVALID_PTE_TYPE_DONATION = 2n;
export const KVM_GUEST_INVALID_PTE_TYPE_POISONED = 3n;
export const KVM_INVALID_PTE_LOCKED = FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, KVM_INVALID_PTE_TYPE_LOCKED);
/** FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, KVM_GUEST_INVALID_PTE_TYPE_POISONED) */
export const KVM_GUEST_INVALID_PTE_POISONED = FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, KVM_GUEST_INVALID_PTE_TYPE_POISONED);

/* Host stage-2 donation annotation (mem_protect.c) */
export const KVM_HOST_DONATION_PTE_OWNER_MASK = GENMASK(3, 1);
export const KVM_HOST_DONATION_PTE_EXTRA_MASK = GENMASK(59, 4);
export const KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK = GENMASK(15, 0);
export const KVM_HOST_PTE_OWNER_GUEST_GFN_MASK = GENMASK(55, 16);

/* enum kvm_pgtable_prot */
export const KVM_PGTABLE_PROT_PX = BIT(0);
export const KVM_PGTABLE_PROT_UX = BIT(1);
export const KVM_PGTABLE_PROT_X = KVM_PGTABLE_PROT_PX | KVM_PGTABLE_PROT_UX;
export const KVM_PGTABLE_PROT_W = BIT(2);
export const KVM_PGTABLE_PROT_R = BIT(3);
export const KVM_PGTABLE_PROT_DEVICE = BIT(4);
export const KVM_PGTABLE_PROT_NORMAL_NC = BIT(5);
export const KVM_PGTABLE_PROT_SW0 = BIT(55);
export const KVM_PGTABLE_PROT_SW1 = BIT(56);
export const KVM_PGTABLE_PROT_SW2 = BIT(57);
export const KVM_PGTABLE_PROT_SW3 = BIT(58);
export const KVM_PGTABLE_PROT_RW = KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W;
export const KVM_PGTABLE_PROT_RWX = KVM_PGTABLE_PROT_RW | KVM_PGTABLE_PROT_X;
export const PKVM_HOST_MEM_PROT = KVM_PGTABLE_PROT_RWX;
export const PKVM_HOST_MMIO_PROT = KVM_PGTABLE_PROT_RW;
export const PAGE_HYP = KVM_PGTABLE_PROT_RW;

/* enum kvm_pgtable_stage2_flags */
export const KVM_PGTABLE_S2_IDMAP = 1;
export const KVM_PGTABLE_S2_AS_S1 = 2;

/* enum kvm_pgtable_walk_flags */
export const KVM_PGTABLE_WALK_LEAF = 1;
export const KVM_PGTABLE_WALK_TABLE_PRE = 2;
export const KVM_PGTABLE_WALK_TABLE_POST = 4;
export const KVM_PGTABLE_WALK_SHARED = 8;
export const KVM_PGTABLE_WALK_IGNORE_EAGAIN = 16;
export const KVM_PGTABLE_WALK_SKIP_BBM_TLBI = 32;
export const KVM_PGTABLE_WALK_SKIP_CMO = 64;

/* Stage-2 MemAttr[3:0], HCR_EL2.FWB = 0 (asm/memory.h) */
export const MT_S2_NORMAL = 0xfn;
export const MT_S2_NORMAL_NC = 0x5n;
export const MT_S2_DEVICE_nGnRE = 0x1n;
export const MT_S2_AS_S1 = MT_S2_NORMAL;
export const PTE_S2_MEMATTR = (t: bigint): bigint => t << 2n;

/* PKVM_PAGE_STATE_PROT_MASK and pkvm_mkstate()/pkvm_getstate() */
export const PKVM_PAGE_STATE_PROT_MASK = KVM_PGTABLE_PROT_SW0 | KVM_PGTABLE_PROT_SW1;
const PKVM_PAGE_STATE_PROT_SHIFT = 55n; /* (the field's shift: FIELD_PREP/FIELD_GET without the lookup) */
/** FIELD_PREP(PKVM_PAGE_STATE_PROT_MASK, state) by state & PKVM_PAGE_STATE_MASK (made once). */
const PKVM_STATE_PROT: readonly bigint[] = [0n, 1n, 2n, 3n].map((st) => (st << PKVM_PAGE_STATE_PROT_SHIFT) & PKVM_PAGE_STATE_PROT_MASK);
const NOT_PKVM_PAGE_STATE_PROT_MASK = ~PKVM_PAGE_STATE_PROT_MASK;
export function pkvm_mkstate(prot: bigint, state: number): bigint {
  prot = BigInt.asUintN(64, prot & NOT_PKVM_PAGE_STATE_PROT_MASK);
  return BigInt.asUintN(64, prot | PKVM_STATE_PROT[state & PKVM_PAGE_STATE_MASK]!);
}
export function pkvm_getstate(prot: bigint): number {
  return Number((prot & PKVM_PAGE_STATE_PROT_MASK) >> PKVM_PAGE_STATE_PROT_SHIFT);
}

/*
 * u64 arithmetic on descriptors is written BigInt.asUintN(64, …) where it is hot, as C's u64 wraps:
 * for the u64 values here it changes nothing, and V8's optimising compiler then computes in 64-bit
 * integers instead of allocating a BigInt per operation. Likewise BigInt.asUintN(n, pte) for the low
 * n bits (pte & GENMASK(n - 1, 0)).
 */
export const kvm_pte_valid = (pte: bigint): boolean => BigInt.asUintN(1, pte) === 1n; /* pte & KVM_PTE_VALID */
export const kvm_pte_to_phys = (pte: bigint): bigint => pte & KVM_PTE_ADDR_MASK;
/** kvm_pte_to_phys() as a Number (bits 47:12: exact). */
export const kvm_pte_to_phys_n = (pte: bigint): number => Number(BigInt.asUintN(64, pte & KVM_PTE_ADDR_MASK));
export const kvm_phys_to_pte = (pa: bigint): bigint => pa & KVM_PTE_ADDR_MASK;

/* KVM_PTE_TYPE is the single bit 1: FIELD_GET/FIELD_PREP of it are a test and a select. */
export function kvm_pte_table(pte: bigint, level: number): boolean {
  if (level === KVM_PGTABLE_LAST_LEVEL) return false;
  if (!kvm_pte_valid(pte)) return false;
  return BigInt.asUintN(2, pte) === 3n; /* FIELD_GET(KVM_PTE_TYPE, pte) == KVM_PTE_TYPE_TABLE (bit 0 is set) */
}

export function kvm_init_table_pte(childp: bigint): bigint {
  return kvm_phys_to_pte(childp) | KVM_PTE_TYPE | KVM_PTE_VALID; /* FIELD_PREP(KVM_PTE_TYPE, KVM_PTE_TYPE_TABLE) */
}

const LEAF_ATTR_MASK = KVM_PTE_LEAF_ATTR_LO | KVM_PTE_LEAF_ATTR_HI;
export function kvm_init_valid_leaf_pte(pa: bigint, attr: bigint, level: number): bigint {
  /* FIELD_PREP(KVM_PTE_TYPE, PAGE (1) at the last level, else BLOCK (0)) */
  const type = level === KVM_PGTABLE_LAST_LEVEL ? KVM_PTE_TYPE : 0n;
  return kvm_phys_to_pte(pa) | (attr & LEAF_ATTR_MASK) | type | KVM_PTE_VALID;
}

/** The attribute and type bits kvm_init_valid_leaf_pte() adds, for the last attr asked for (a map passes one attr for all its leaves). */
let leafAttr = -1n, leafBitsPage = 0n, leafBitsBlock = 0n;
const PTE_ADDR_LIMIT_N = 2 ** 48;
/** kvm_init_valid_leaf_pte() of a page-aligned Number output address. */
export function kvm_init_valid_leaf_pte_n(pa: number, attr: bigint, level: number): bigint {
  if (attr !== leafAttr) {
    leafBitsBlock = (attr & LEAF_ATTR_MASK) | KVM_PTE_VALID;
    leafBitsPage = leafBitsBlock | KVM_PTE_TYPE;
    leafAttr = attr;
  }
  /* kvm_phys_to_pte(pa): a page-aligned pa below 2^48 is its own bits 47:12 */
  const addr = pa < PTE_ADDR_LIMIT_N ? BigInt(pa) : kvm_phys_to_pte(BigInt(pa));
  return BigInt.asUintN(64, addr | (level === KVM_PGTABLE_LAST_LEVEL ? leafBitsPage : leafBitsBlock));
}

const KVM_INVALID_PTE_TYPE_SHIFT = 60n;
/** FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte): the type field (bits 63:60) of any PTE. */
export const kvm_pte_type_field = (pte: bigint): bigint => (pte & KVM_INVALID_PTE_TYPE_MASK) >> KVM_INVALID_PTE_TYPE_SHIFT;

/**
 * FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte) == type, given FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, type)
 * (KVM_INVALID_PTE_LOCKED, KVM_GUEST_INVALID_PTE_POISONED): compared in place, without the shift.
 */
export const kvm_pte_type_is = (pte: bigint, type_field: bigint): boolean =>
  BigInt.asUintN(64, pte & KVM_INVALID_PTE_TYPE_MASK) === type_field;

/** Invalid PTE type (bits 63:60) of an annotated entry; 0 for valid or zero PTEs. */
export function kvm_invalid_pte_type(pte: bigint): bigint {
  return kvm_pte_valid(pte) ? 0n : kvm_pte_type_field(pte);
}
