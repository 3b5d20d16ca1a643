/**
 * VTCR_EL2 and stage-2 geometry, as kvm_get_vtcr() (arch/arm64/kvm/hyp/pgtable.c)
 * and asm/kvm_arm.h / asm/stage2_pgtable.h with a 4 KiB granule.
 *
 * The hardware resolves up to 4 extra bits at the entry level by concatenating
 * up to 16 tables, so the number of levels for an IPA size is computed as for
 * stage-1 with (ipa - 4) bits; at least 2 levels are used.
 */
import { BIT, FIELD_GET, FIELD_PREP, GENMASK, PAGE_SIZE, kvm_granule_shift, kvm_granule_size_n } from './pgtable-defs';

export const VTCR_EL2_T0SZ_MASK = GENMASK(5, 0);
export const VTCR_EL2_SL0_MASK = GENMASK(7, 6);
export const VTCR_EL2_IRGN0_WBWA = BIT(8);
export const VTCR_EL2_ORGN0_WBWA = BIT(10);
export const VTCR_EL2_SH0_INNER = 3n << 12n;
export const VTCR_EL2_TG0_4K = 0n << 14n;
export const VTCR_EL2_PS_SHIFT = 16n;
export const VTCR_EL2_PS_MASK = GENMASK(18, 16);
export const VTCR_EL2_VS_16BIT = BIT(19);
export const VTCR_EL2_VS_8BIT = 0n;
export const VTCR_EL2_HA = BIT(21);
export const VTCR_EL2_RES1 = BIT(31);
export const VTCR_EL2_COMMON_BITS = VTCR_EL2_SH0_INNER | VTCR_EL2_ORGN0_WBWA | VTCR_EL2_IRGN0_WBWA;
export const VTCR_EL2_FLAGS = VTCR_EL2_COMMON_BITS | VTCR_EL2_TG0_4K | VTCR_EL2_RES1;
export const VTCR_EL2_TGRAN_SL0_BASE = 2; /* 4K: SL0 = 2 means start at level 0 */

export const VTCR_EL2_T0SZ = (bits: number): bigint => BigInt(64 - bits);
export const VTCR_EL2_IPA = (vtcr: bigint): number => 64 - Number(vtcr & VTCR_EL2_T0SZ_MASK);
export const VTCR_EL2_LVLS_TO_SL0 = (levels: number): bigint =>
  FIELD_PREP(VTCR_EL2_SL0_MASK, BigInt(VTCR_EL2_TGRAN_SL0_BASE - (4 - levels)));

/* ID_AA64MMFR0_EL1.PARange encodings */
const PARANGE_SHIFTS = [32, 36, 40, 42, 44, 48, 52];
export function id_aa64mmfr0_parange_to_phys_shift(parange: number): number {
  const s = PARANGE_SHIFTS[parange];
  if (s === undefined) throw new RangeError(`bad PARange ${parange}`);
  return s;
}
export function phys_shift_to_parange(physShift: number): number {
  const p = PARANGE_SHIFTS.indexOf(physShift);
  if (p < 0 || physShift > 48) throw new RangeError(`unsupported PA size ${physShift} (use 32..48)`);
  return p;
}

/* ARM64_HW_PGTABLE_LEVELS(va_bits) = ((va_bits) - 4) / (PAGE_SHIFT - 3) */
export const ARM64_HW_PGTABLE_LEVELS = (vaBits: number): number => Math.floor((vaBits - 4) / 9);
export const stage2_pgtable_levels = (ipa: number): number => ARM64_HW_PGTABLE_LEVELS(ipa - 4);

export interface VtcrOptions {
  /** 16-bit VMIDs (ID_AA64MMFR1_EL1.VMIDBits = 2). */
  vmid16?: boolean;
  /** CONFIG_ARM64_HW_AFDBM: set VTCR_EL2.HA (RES0/ignored if FEAT_HAFDBS absent). */
  hwAfdbm?: boolean;
}

/** kvm_get_vtcr(mmfr0, mmfr1, phys_shift) with the PARange taken from phys_shift. */
export function kvm_get_vtcr(physShift: number, opts: VtcrOptions = {}): bigint {
  let vtcr = VTCR_EL2_FLAGS;
  vtcr |= BigInt(phys_shift_to_parange(physShift)) << VTCR_EL2_PS_SHIFT;
  vtcr |= VTCR_EL2_T0SZ(physShift);
  let lvls = stage2_pgtable_levels(physShift);
  if (lvls < 2) lvls = 2;
  vtcr |= VTCR_EL2_LVLS_TO_SL0(lvls);
  if (opts.hwAfdbm ?? true) vtcr |= VTCR_EL2_HA;
  vtcr |= (opts.vmid16 ?? true) ? VTCR_EL2_VS_16BIT : VTCR_EL2_VS_8BIT;
  return vtcr;
}

export function vtcr_start_level(vtcr: bigint): number {
  return VTCR_EL2_TGRAN_SL0_BASE - Number(FIELD_GET(VTCR_EL2_SL0_MASK, vtcr));
}

/** kvm_pgd_page_idx(): index of the concatenated start-level table for addr. */
export function kvm_pgd_page_idx(iaBits: number, startLevel: number, addr: bigint): number {
  const shift = kvm_granule_shift(startLevel - 1);
  const mask = IA_MASK[iaBits] ?? (1n << BigInt(iaBits)) - 1n;
  return Number((addr & mask) >> shift);
}
/** kvm_pgd_page_idx() of a Number address (below 2^53). */
export function kvm_pgd_page_idx_n(iaBits: number, startLevel: number, addr: number): number {
  /* addr & GENMASK(ia_bits - 1, 0): nothing to clear below 1 << ia_bits (a walk's usual case) */
  const a = addr < IA_SIZE_N[iaBits]! ? addr : addr - Math.floor(addr * IA_SIZE_INV[iaBits]!) * IA_SIZE_N[iaBits]!;
  /* (>> kvm_granule_shift(start_level - 1): times 2^-shift, exact) */
  return Math.floor(a * (GRANULE_SIZE_INV[startLevel + 1] ?? 1 / kvm_granule_size_n(startLevel - 1)));
}
/** 1 << ia_bits as Numbers, and 2^-ia_bits. */
const IA_SIZE_N: readonly number[] = Array.from({ length: 65 }, (_, b) => 2 ** b);
const IA_SIZE_INV: readonly number[] = Array.from({ length: 65 }, (_, b) => 2 ** -b);
/** 1 / kvm_granule_size(start_level - 1) by start_level + 1 (start levels -1..3; a power of two: exact). */
const GRANULE_SIZE_INV: readonly number[] = [-1, 0, 1, 2, 3].map((l) => 1 / kvm_granule_size_n(l - 1));
/** (1 << ia_bits) - 1 by ia_bits (made once: the walker asks on every walk). */
const IA_MASK: readonly bigint[] = Array.from({ length: 65 }, (_, b) => (1n << BigInt(b)) - 1n);

/** kvm_pgd_pages(): number of concatenated start-level tables (1..16). */
export function kvm_pgd_pages(iaBits: number, startLevel: number): number {
  return kvm_pgd_page_idx(iaBits, startLevel, (1n << 64n) - 1n) + 1;
}

/** kvm_pgtable_stage2_pgd_size(vtcr) */
export function kvm_pgtable_stage2_pgd_size(vtcr: bigint): bigint {
  return BigInt(kvm_pgd_pages(VTCR_EL2_IPA(vtcr), vtcr_start_level(vtcr))) * PAGE_SIZE;
}

/** kvm_stage2_levels(mmu): VTCR_EL2_LVLS(vtcr), the number of stage-2 levels. */
export function kvm_stage2_levels(vtcr: bigint): number {
  return 4 - vtcr_start_level(vtcr);
}

/**
 * kvm_mmu_cache_min_pages(mmu) (stage2_pgtable.h): pages needed to install one stage-2 translation
 * (the entry level is allocated with the VM, so one page per level below it).
 */
export function kvm_mmu_cache_min_pages(vtcr: bigint): bigint {
  if (vtcr !== lastMinPagesVtcr) {
    lastMinPages = BigInt(kvm_stage2_levels(vtcr) - 1);
    lastMinPagesVtcr = vtcr;
  }
  return lastMinPages;
}
/* The last answer (every donation asks, and VMs share one VTCR_EL2 value). */
let lastMinPagesVtcr = -1n, lastMinPages = 0n;
