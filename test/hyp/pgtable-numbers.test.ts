/**
 * The page-table code's Number and u64-expression helpers (hyp/pgtable-defs.ts, pgtable.ts,
 * vtcr.ts, vmemmap.ts): each must give what the u64 definition it stands for gives. Expected values
 * are worked out from the VMSAv8-64 descriptor formats (Arm ARM D8.3, 4 KiB granule) and upstream's
 * definitions (kvm_pgtable.h, pgtable.c, mem_protect.h), not from the emulator.
 */
import { describe, expect, it } from 'vitest';
import {
  ALIGN_DOWN_N, IS_ALIGNED_N, KVM_GUEST_INVALID_PTE_POISONED, KVM_INVALID_PTE_LOCKED, KVM_PGTABLE_PROT_R,
  KVM_PGTABLE_PROT_RWX, PAGE_SIZE, hyp_pfn_to_phys, kvm_granule_size, kvm_granule_size_n, kvm_init_valid_leaf_pte,
  kvm_init_valid_leaf_pte_n, kvm_pte_table, kvm_pte_to_phys_n, kvm_pte_type_is, kvm_pte_valid, pkvm_getstate,
  pkvm_mkstate, u64_to_n,
} from '../../hyp/pgtable-defs';
import { kvm_pgd_page_idx, kvm_pgd_page_idx_n, kvm_mmu_cache_min_pages, kvm_get_vtcr } from '../../hyp/vtcr';
import { ArrayPhysMem } from '../../hyp/phys-mem';
import { kvm_read_pte, kvm_read_pte_hi, kvm_read_pte_lo, kvm_write_pte } from '../../hyp/pgtable';
import { HypVmemmap } from '../../hyp/vmemmap';
import { HypPool, hyp_pool_init } from '../../hyp/pool';
import { hyp_page_dma_refs, pkvm_dma_refs_init } from '../../hyp/iommu/dma-refs';
import { Host } from './harness';
import { HypPanic, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED, PKVM_PAGE_SHARED_OWNED } from '../../hyp/page-state';

describe('descriptor predicates as u64 expressions', () => {
  it('kvm_pte_valid() is bit 0; kvm_pte_table() is bits 1:0 = 0b11 above level 3', () => {
    expect(kvm_pte_valid(0n)).toBe(false);
    expect(kvm_pte_valid(1n)).toBe(true);
    expect(kvm_pte_valid(0xffff_ffff_ffff_fffen)).toBe(false); // every bit but 0
    expect(kvm_pte_table(0x4000_1003n, 0)).toBe(true);
    expect(kvm_pte_table(0x4000_1003n, 2)).toBe(true);
    expect(kvm_pte_table(0x4000_1003n, 3)).toBe(false); // a page descriptor at level 3
    expect(kvm_pte_table(0x4020_0401n, 2)).toBe(false); // a block (bits 1:0 = 0b01)
    expect(kvm_pte_table(0x4000_1002n, 1)).toBe(false); // invalid, type bit set
    expect(kvm_pte_table((1n << 63n) | 0x4000_1003n, 1)).toBe(true); // NSTable etc. do not matter
  });

  it('kvm_pte_type_is() compares bits 63:60 with FIELD_PREP(KVM_INVALID_PTE_TYPE_MASK, type)', () => {
    expect(KVM_INVALID_PTE_LOCKED).toBe(1n << 60n);
    expect(KVM_GUEST_INVALID_PTE_POISONED).toBe(3n << 60n);
    expect(kvm_pte_type_is(1n << 60n, KVM_INVALID_PTE_LOCKED)).toBe(true);
    expect(kvm_pte_type_is((1n << 60n) | 0xffff_fff0n, KVM_INVALID_PTE_LOCKED)).toBe(true); // annotation bits below
    expect(kvm_pte_type_is(3n << 60n, KVM_INVALID_PTE_LOCKED)).toBe(false);
    expect(kvm_pte_type_is((3n << 60n) | (1n << 59n), KVM_GUEST_INVALID_PTE_POISONED)).toBe(true);
    expect(kvm_pte_type_is(0n, KVM_GUEST_INVALID_PTE_POISONED)).toBe(false);
  });

  it('kvm_pte_to_phys_n() is bits 47:12 of the descriptor as a Number', () => {
    expect(kvm_pte_to_phys_n(0x0040_0000_4000_1fffn)).toBe(0x4000_1000);
    expect(kvm_pte_to_phys_n(0xfff0_ffff_ffff_f003n)).toBe(0xffff_ffff_f000);
  });

  it('kvm_init_valid_leaf_pte_n() builds the same descriptor as kvm_init_valid_leaf_pte()', () => {
    // stage-2 attributes: MemAttr 0xf, S2AP RW, SH inner, AF, XN 0b10, SW bits 56:55 = 0b01
    const attr = (0xfn << 2n) | (3n << 6n) | (3n << 8n) | (1n << 10n) | (2n << 53n) | (1n << 55n);
    for (const [pa, level] of [[0x4000_1000, 3], [0x4020_0000, 2], [0x8000_0000, 1], [0xffff_ffff_f000, 3], [2 ** 48 + 0x5000, 3]] as const) {
      expect(kvm_init_valid_leaf_pte_n(pa, attr, level)).toBe(kvm_init_valid_leaf_pte(BigInt(pa), attr, level));
    }
    // Arm ARM: a level-3 page descriptor has bits 1:0 = 0b11, a block 0b01; the output address is bits 47:12.
    expect(kvm_init_valid_leaf_pte_n(0x4000_1000, 0n, 3)).toBe(0x4000_1003n);
    expect(kvm_init_valid_leaf_pte_n(0x4020_0000, 0n, 2)).toBe(0x4020_0001n);
    expect(kvm_init_valid_leaf_pte_n(2 ** 48 + 0x5000, 0n, 3)).toBe(0x5003n); // bits above 47 dropped (kvm_phys_to_pte)
    // Attribute bits outside KVM_PTE_LEAF_ATTR_LO/HI (11:2, 63:50) are not taken.
    expect(kvm_init_valid_leaf_pte_n(0x4000_1000, (1n << 48n) | 3n, 3)).toBe(0x4000_1003n);
  });

  it('pkvm_mkstate()/pkvm_getstate() put the state in SW bits 56:55 and keep the rest of prot', () => {
    expect(pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED)).toBe(KVM_PGTABLE_PROT_RWX);
    expect(pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_SHARED_OWNED)).toBe(KVM_PGTABLE_PROT_RWX | (1n << 55n));
    expect(pkvm_mkstate(KVM_PGTABLE_PROT_R | (3n << 55n), PKVM_PAGE_SHARED_BORROWED)).toBe(KVM_PGTABLE_PROT_R | (2n << 55n));
    expect(pkvm_mkstate((1n << 57n) | (1n << 58n), PKVM_PAGE_OWNED)).toBe((1n << 57n) | (1n << 58n)); // SW2/SW3 kept
    expect(pkvm_getstate(pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_SHARED_BORROWED))).toBe(PKVM_PAGE_SHARED_BORROWED);
  });

  it('hyp_pfn_to_phys() is pfn << PAGE_SHIFT in u64 (wrapping above 2^52)', () => {
    expect(hyp_pfn_to_phys(0x40001n)).toBe(0x4000_1000n);
    expect(hyp_pfn_to_phys((1n << 52n) - 1n)).toBe(0xffff_ffff_ffff_f000n);
    expect(hyp_pfn_to_phys(1n << 52n)).toBe(0n);
    expect(hyp_pfn_to_phys((1n << 52n) + 5n)).toBe(0x5000n);
  });
});

describe('Number addresses', () => {
  it('ALIGN_DOWN_N / IS_ALIGNED_N match ALIGN_DOWN / IS_ALIGNED above 2^32', () => {
    for (const x of [0, 1, 0xfff, 0x1000, 0x8000_0fff, 0x1_2345_6789, 2 ** 48 - 1, 2 ** 52 - 4096]) {
      for (const a of [8, 4096, 2 ** 21, 2 ** 30, 2 ** 39]) {
        expect(ALIGN_DOWN_N(x, a)).toBe(Number(BigInt(x) & ~(BigInt(a) - 1n)));
        expect(IS_ALIGNED_N(x, a)).toBe((BigInt(x) & (BigInt(a) - 1n)) === 0n);
      }
    }
  });

  it('kvm_granule_size_n() is 2^(9 * (4 - level) + 3), as kvm_granule_size()', () => {
    for (let level = -1; level <= 3; level++) expect(BigInt(kvm_granule_size_n(level))).toBe(kvm_granule_size(level));
    expect(kvm_granule_size_n(3)).toBe(4096);
    expect(kvm_granule_size_n(2)).toBe(2 * 1024 * 1024);
  });

  it('kvm_pgd_page_idx_n() picks the concatenated start-level table as kvm_pgd_page_idx()', () => {
    // 40-bit IPA, start level 1: 2 concatenated tables, each for 2^39 bytes (Arm ARM: up to 16 tables at the entry level).
    expect(kvm_pgd_page_idx_n(40, 1, 0x80_0000_0000)).toBe(1);
    expect(kvm_pgd_page_idx_n(40, 1, 0x7f_ffff_f000)).toBe(0);
    for (const [bits, sl] of [[40, 1], [44, 0], [36, 1], [48, 0], [32, 1]] as const) {
      for (const a of [0, 0x8000_0000, 2 ** (bits - 1), 2 ** bits - 4096, 0x1234_5678_9000 % 2 ** bits]) {
        expect(kvm_pgd_page_idx_n(bits, sl, a)).toBe(kvm_pgd_page_idx(bits, sl, BigInt(a)));
      }
    }
  });

  it('u64_to_n() converts exactly, whatever it remembers', () => {
    const xs = [0x4000_1000n, 0x8000_0000n, PAGE_SIZE, 0x4000_1000n, 0x1_0000_0000n, 0n, 2n ** 52n - 1n, 0x8000_0000n];
    for (let r = 0; r < 3; r++) for (const x of xs) expect(u64_to_n(x)).toBe(Number(x));
  });

  it('kvm_mmu_cache_min_pages() is one page per level below the entry level, per VTCR_EL2', () => {
    expect(kvm_mmu_cache_min_pages(kvm_get_vtcr(40))).toBe(2n); // 3 levels
    expect(kvm_mmu_cache_min_pages(kvm_get_vtcr(48))).toBe(3n); // 4 levels
    expect(kvm_mmu_cache_min_pages(kvm_get_vtcr(40))).toBe(2n);
    expect(kvm_mmu_cache_min_pages(kvm_get_vtcr(32))).toBe(1n); // 2 levels (36-bit ipa - 4 concatenation bits)
  });

  it("kvm_read_pte_lo()/_hi() are the descriptor's little-endian words (with and without readU32N)", () => {
    const mem = new ArrayPhysMem(0x4000_0000n, 1n << 20n);
    kvm_write_pte(mem, 0x4000_0008, 0x1234_5678_9abc_def1n);
    expect(kvm_read_pte(mem, 0x4000_0008)).toBe(0x1234_5678_9abc_def1n);
    expect(kvm_read_pte_lo(mem, 0x4000_0008)).toBe(0x9abc_def1);
    expect(kvm_read_pte_hi(mem, 0x4000_0008)).toBe(0x1234_5678);
    const bare = { readU64: (pa: bigint) => mem.readU64(pa) } as unknown as ArrayPhysMem; // no Number accessors
    expect(kvm_read_pte(bare, 0x4000_0008)).toBe(0x1234_5678_9abc_def1n);
    expect(kvm_read_pte_lo(bare, 0x4000_0008)).toBe(0x9abc_def1);
    expect(kvm_read_pte_hi(bare, 0x4000_0008)).toBe(0x1234_5678);
  });

  it('hyp_vmemmap idx() takes a u64 or a Number, and has no struct hyp_page outside RAM', () => {
    const vmemmap = new HypVmemmap(0x4000_0000n, 16n << 20n);
    expect(vmemmap.idx(0x4000_0000n)).toBe(0);
    expect(vmemmap.idx(0x4000_1fffn)).toBe(1);
    expect(vmemmap.idx(0x4000_1fff)).toBe(1);
    expect(vmemmap.idx(0x40ff_f000)).toBe(4095);
    expect(vmemmap.hyp_page_to_phys(4095)).toBe(0x40ff_f000n);
    expect(() => vmemmap.idx(0x4100_0000)).toThrow(HypPanic);
    expect(() => vmemmap.idx(0x3fff_ffffn)).toThrow(HypPanic);
    expect(() => vmemmap.idx((1n << 64n) - 1n)).toThrow(HypPanic);
    expect(() => vmemmap.idx(0x4000_0000n + (1n << 60n))).toThrow(HypPanic); // not exact as a Number: still not RAM
  });
});

describe('pointers into a page', () => {
  it('hyp_get_page()/hyp_put_page() take any address in the page, as a u64 or a Number (hyp_virt_to_page())', () => {
    const mem = new ArrayPhysMem(0x4000_0000n, 1n << 20n);
    const vmemmap = new HypVmemmap(0x4000_0000n, 1n << 20n);
    const pool = new HypPool(mem, vmemmap);
    hyp_pool_init(pool, 0x40010n, 16, 0);
    const p = pool.hyp_alloc_pages(0)!;
    const i = vmemmap.idx(p);
    expect(vmemmap.refcount(i)).toBe(1);
    pool.hyp_get_page(Number(p) + 0xff8); // a PTE pointer in the table page
    pool.hyp_get_page(p + 8n);
    expect(vmemmap.refcount(i)).toBe(3);
    pool.hyp_put_page(Number(p) + 16);
    pool.hyp_put_page(p + 0xff8n);
    expect(vmemmap.refcount(i)).toBe(1);
    expect(pool.free_pages()).toBe(15);
    pool.hyp_put_page(Number(p)); // the last reference: back in the pool
    expect(vmemmap.refcount(i)).toBe(0);
    expect(pool.free_pages()).toBe(16);
  });

  it('hyp_page_dma_refs() sees counters made after it last looked, and each hyp its own', () => {
    const a = new Host(), b = new Host();
    expect(hyp_page_dma_refs(a.hyp, 5)).toBe(0);
    const refs = pkvm_dma_refs_init(a.hyp);
    refs[5] = 2;
    expect(hyp_page_dma_refs(a.hyp, 5)).toBe(2);
    expect(hyp_page_dma_refs(b.hyp, 5)).toBe(0);
    expect(hyp_page_dma_refs(a.hyp, 5)).toBe(2);
  });
});
