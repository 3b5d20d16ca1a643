/** Descriptor-level tests: walk the tables the library wrote and check the bits. */
import { describe, expect, it } from 'vitest';
import { ArrayPhysMem } from '../../hyp/phys-mem';
import { HypVmemmap } from '../../hyp/vmemmap';
import { poolMmOps } from './pool-mm-ops';
import { HypPool, hyp_pool_init } from '../../hyp/pool';
import {
  KvmPgtable, __kvm_pgtable_stage2_init, kvm_pgtable_get_leaf, kvm_pgtable_stage2_destroy,
} from '../../hyp/pgtable';
import {
  kvm_pgtable_stage2_annotate, kvm_pgtable_stage2_map, kvm_pgtable_stage2_pte_prot, kvm_pgtable_stage2_relax_perms,
  kvm_pgtable_stage2_unmap, kvm_pgtable_stage2_wrprotect,
} from '../../hyp/pgtable-stage2';
import {
  KVM_GUEST_INVALID_PTE_TYPE_POISONED, KVM_PGTABLE_PROT_DEVICE, KVM_PGTABLE_PROT_PX, KVM_PGTABLE_PROT_R,
  KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_RWX, KVM_PGTABLE_PROT_SW0, KVM_PGTABLE_PROT_SW1, KVM_PGTABLE_PROT_X,
  KVM_PGTABLE_S2_AS_S1, PAGE_SIZE, pkvm_getstate, pkvm_mkstate,
} from '../../hyp/pgtable-defs';
import {
  VTCR_EL2_IPA, VTCR_EL2_SL0_MASK, kvm_get_vtcr, kvm_pgd_pages, kvm_pgtable_stage2_pgd_size, vtcr_start_level,
} from '../../hyp/vtcr';
import { EAGAIN, EINVAL, ENOMEM, ERANGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED } from '../../hyp/page-state';

const BASE = 0x4000_0000n;
const bits = (v: bigint, h: number, l: number): number => Number((v >> BigInt(l)) & ((1n << BigInt(h - l + 1)) - 1n));

function setup(physShift = 40, flags = 0) {
  const mem = new ArrayPhysMem(BASE, 4n << 20n);
  const vmemmap = new HypVmemmap(BASE, 4n << 20n);
  const pool = new HypPool(mem, vmemmap);
  hyp_pool_init(pool, (BASE + (2n << 20n)) >> 12n, 512, 0);
  const flushes: bigint[] = [];
  const pgt = new KvmPgtable(mem, poolMmOps(pool, vmemmap), {
    vmid: 7, vtcr: kvm_get_vtcr(physShift),
    tlb: { flush_vmid_ipa: (_v, ipa) => flushes.push(ipa), flush_vmid_range: () => {}, flush_vmid: () => {}, flush_vm_context: () => {} },
  });
  expect(__kvm_pgtable_stage2_init(pgt, flags, null)).toBe(0);
  return { mem, vmemmap, pool, pgt, flushes, mc: pool };
}

describe('VTCR_EL2 and concatenated start-level tables', () => {
  it.each([
    [32, 2, 4], [36, 1, 1], [40, 1, 2], [42, 1, 8], [44, 0, 1], [48, 0, 1],
  ])('%i-bit IPA: start level %i, %i concatenated tables', (ipa, level, pages) => {
    const vtcr = kvm_get_vtcr(ipa);
    expect(VTCR_EL2_IPA(vtcr)).toBe(ipa);
    expect(vtcr_start_level(vtcr)).toBe(level);
    expect(kvm_pgd_pages(ipa, level)).toBe(pages);
    expect(kvm_pgtable_stage2_pgd_size(vtcr)).toBe(BigInt(pages) * PAGE_SIZE);
    expect(Number((vtcr & VTCR_EL2_SL0_MASK) >> 6n)).toBe(2 - level);
    expect(bits(vtcr, 5, 0)).toBe(64 - ipa); /* T0SZ */
    expect(bits(vtcr, 15, 14)).toBe(0); /* TG0 = 4K */
    expect(bits(vtcr, 13, 12)).toBe(3); /* SH0 inner */
    expect(bits(vtcr, 11, 10)).toBe(1); /* ORGN0 WBWA */
    expect(bits(vtcr, 9, 8)).toBe(1); /* IRGN0 WBWA */
    expect(bits(vtcr, 19, 19)).toBe(1); /* VS: 16-bit VMID */
    expect(bits(vtcr, 18, 16)).toBe([32, 36, 40, 42, 44, 48].indexOf(ipa)); /* PS */
  });

  it('40-bit IPA: the second concatenated table holds IPA bit 39', () => {
    const { pgt, mem, mc } = setup(40);
    expect(kvm_pgtable_stage2_map(pgt, 1n << 39n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    expect(mem.readU64(pgt.pgd!)).toBe(0n);
    expect(mem.readU64(pgt.pgd! + PAGE_SIZE) & 3n).toBe(3n); /* table descriptor in page 1, index 0 */
    expect(kvm_pgtable_get_leaf(pgt, 1n << 40n).ret).toBe(-ERANGE);
  });
});

describe('stage-2 descriptors', () => {
  it('maps a normal-memory RWX page with the upstream bits', () => {
    const { pgt, mem, mc } = setup();
    const prot = pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_SHARED_BORROWED);
    expect(kvm_pgtable_stage2_map(pgt, 0x8000_0000n, PAGE_SIZE, BASE + 0x5000n, prot, mc, 0)).toBe(0);
    const { ret, pte, level } = kvm_pgtable_get_leaf(pgt, 0x8000_0000n);
    expect(ret).toBe(0);
    expect(level).toBe(3);
    expect(bits(pte, 1, 0)).toBe(3); /* page descriptor */
    expect(pte & 0xffff_ffff_f000n).toBe(BASE + 0x5000n); /* output address */
    expect(bits(pte, 5, 2)).toBe(0xf); /* MemAttr: Normal, Outer/Inner WB */
    expect(bits(pte, 7, 6)).toBe(3); /* S2AP RW */
    expect(bits(pte, 9, 8)).toBe(3); /* SH inner shareable */
    expect(bits(pte, 10, 10)).toBe(1); /* AF */
    expect(bits(pte, 54, 53)).toBe(0); /* XN: executable at EL1 and EL0 */
    expect(bits(pte, 56, 55)).toBe(PKVM_PAGE_SHARED_BORROWED); /* SW1:SW0 = page state */
    expect(pkvm_getstate(kvm_pgtable_stage2_pte_prot(pte))).toBe(PKVM_PAGE_SHARED_BORROWED);
    /* Intermediate levels are table descriptors */
    const l1 = mem.readU64(pgt.pgd! + 2n * 8n);
    expect(bits(l1, 1, 0)).toBe(3);
  });

  it('uses device and read-only/XN attributes', () => {
    const { pgt, mc } = setup();
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, 0x0900_0000n, KVM_PGTABLE_PROT_RW | KVM_PGTABLE_PROT_DEVICE, mc, 0)).toBe(0);
    let pte = kvm_pgtable_get_leaf(pgt, 0x1000n).pte;
    expect(bits(pte, 5, 2)).toBe(0x1); /* Device-nGnRE */
    expect(bits(pte, 54, 53)).toBe(2); /* XN */
    expect(kvm_pgtable_stage2_map(pgt, 0x2000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_R, mc, 0)).toBe(0);
    pte = kvm_pgtable_get_leaf(pgt, 0x2000n).pte;
    expect(bits(pte, 7, 6)).toBe(1);
    expect(kvm_pgtable_stage2_map(pgt, 0x3000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_DEVICE | KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(-EINVAL);
    /* Without FEAT_XNX, PX and UX must agree */
    expect(kvm_pgtable_stage2_map(pgt, 0x3000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_PX, mc, 0)).toBe(-EINVAL);
  });

  it('host-style stage-2 (S2_AS_S1) always uses MemAttr 0b1111', () => {
    const { pgt, mc } = setup(40, KVM_PGTABLE_S2_AS_S1);
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, 0x1000n, KVM_PGTABLE_PROT_RW | KVM_PGTABLE_PROT_DEVICE, mc, 0)).toBe(0);
    expect(bits(kvm_pgtable_get_leaf(pgt, 0x1000n).pte, 5, 2)).toBe(0xf);
  });

  it('uses a 2 MiB block where aligned and splits it on a page-level update', () => {
    const { pgt, mc, vmemmap } = setup();
    const ipa = 0x4020_0000n;
    expect(kvm_pgtable_stage2_map(pgt, ipa, 2n << 20n, BASE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    let leaf = kvm_pgtable_get_leaf(pgt, ipa + 0x3000n);
    expect(leaf.level).toBe(2);
    expect(bits(leaf.pte, 1, 0)).toBe(1); /* block descriptor */
    /* Misaligned PA: page mappings */
    expect(kvm_pgtable_stage2_map(pgt, 0x4060_0000n, 2n << 20n, BASE + PAGE_SIZE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    leaf = kvm_pgtable_get_leaf(pgt, 0x4060_0000n + 0x5000n);
    expect(leaf.level).toBe(3);
    expect(leaf.pte & 0xffff_ffff_f000n).toBe(BASE + 0x6000n);
    /* Annotating a page inside the block replaces the block with a table */
    expect(kvm_pgtable_stage2_annotate(pgt, ipa + 0x3000n, PAGE_SIZE, mc, KVM_GUEST_INVALID_PTE_TYPE_POISONED, 0n)).toBe(0);
    leaf = kvm_pgtable_get_leaf(pgt, ipa + 0x3000n);
    expect(leaf.level).toBe(3);
    expect(leaf.pte).toBe(KVM_GUEST_INVALID_PTE_TYPE_POISONED << 60n);
    /* ...and the rest of the block is no longer mapped (re-faulted lazily) */
    expect(kvm_pgtable_get_leaf(pgt, ipa).pte).toBe(0n);
    expect(kvm_pgtable_get_leaf(pgt, ipa).level).toBe(3);
    expect(vmemmap.refcount(vmemmap.idx(pgt.pgd!))).toBe(2); /* 1 + one non-zero level-1 entry */
    /* Re-mapping the whole 2 MiB range folds the table back into a block */
    expect(kvm_pgtable_stage2_map(pgt, ipa, 2n << 20n, BASE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    expect(kvm_pgtable_get_leaf(pgt, ipa + 0x3000n).level).toBe(2);
  });

  it('rejects bad annotations and needs a memcache to grow', () => {
    const { pgt, mc } = setup();
    expect(kvm_pgtable_stage2_annotate(pgt, 0n, PAGE_SIZE, mc, 0n, 0n)).toBe(-EINVAL);
    expect(kvm_pgtable_stage2_annotate(pgt, 0n, PAGE_SIZE, mc, 1n, 0n)).toBe(-EINVAL); /* LOCKED */
    expect(kvm_pgtable_stage2_annotate(pgt, 0n, PAGE_SIZE, mc, 2n, 1n)).toBe(-EINVAL); /* bit 0 */
    expect(kvm_pgtable_stage2_annotate(pgt, 0n, PAGE_SIZE, null, 2n, 2n)).toBe(-ENOMEM);
    expect(kvm_pgtable_stage2_map(pgt, 0n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_RWX, null, 0)).toBe(-ENOMEM);
  });

  it('re-mapping the same page is -EAGAIN; a software-bit change is applied in place', () => {
    const { pgt, mc, flushes } = setup();
    const owned = pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED);
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE, owned, mc, 0)).toBe(0);
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE, owned, mc, 0)).toBe(-EAGAIN);
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_R, mc, 0)).toBe(-EAGAIN);
    const n = flushes.length;
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE, owned | KVM_PGTABLE_PROT_SW0, mc, 0)).toBe(0);
    expect(flushes.length).toBe(n); /* no break-before-make */
    expect(bits(kvm_pgtable_get_leaf(pgt, 0x1000n).pte, 55, 55)).toBe(1);
    /* A different output address needs break-before-make (and a TLBI) */
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE + PAGE_SIZE, owned, mc, 0)).toBe(0);
    expect(flushes.length).toBe(n + 1);
  });

  it('relax_perms / wrprotect update S2AP and XN in place', () => {
    const { pgt, mc } = setup();
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_R, mc, 0)).toBe(0);
    expect(bits(kvm_pgtable_get_leaf(pgt, 0x1000n).pte, 54, 53)).toBe(2);
    expect(kvm_pgtable_stage2_relax_perms(pgt, 0x1000n, KVM_PGTABLE_PROT_RWX, 0)).toBe(0);
    let pte = kvm_pgtable_get_leaf(pgt, 0x1000n).pte;
    expect(bits(pte, 7, 6)).toBe(3);
    expect(bits(pte, 54, 53)).toBe(0);
    expect(kvm_pgtable_stage2_wrprotect(pgt, 0x1000n, PAGE_SIZE)).toBe(0);
    pte = kvm_pgtable_get_leaf(pgt, 0x1000n).pte;
    expect(bits(pte, 7, 6)).toBe(1);
    expect(kvm_pgtable_stage2_relax_perms(pgt, 0x5000n, KVM_PGTABLE_PROT_R, 0)).toBe(-EAGAIN);
    expect(kvm_pgtable_stage2_relax_perms(pgt, 0x1000n, KVM_PGTABLE_PROT_SW1, 0)).toBe(-EINVAL);
    expect(kvm_pgtable_stage2_relax_perms(pgt, 0x1000n, KVM_PGTABLE_PROT_X, 0)).toBe(0);
  });

  it('unmap frees table pages that become empty; destroy returns everything', () => {
    const { pgt, mc, pool, vmemmap } = setup();
    const free0 = pool.free_pages();
    expect(kvm_pgtable_stage2_map(pgt, 0x1000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    expect(kvm_pgtable_stage2_map(pgt, 0x2000n, PAGE_SIZE, BASE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    expect(pool.free_pages()).toBe(free0 - 2); /* level-2 and level-3 tables */
    const l3 = kvm_pgtable_get_leaf(pgt, 0x1000n);
    void l3;
    expect(kvm_pgtable_stage2_unmap(pgt, 0x1000n, PAGE_SIZE)).toBe(0);
    expect(pool.free_pages()).toBe(free0 - 2);
    expect(kvm_pgtable_stage2_unmap(pgt, 0x2000n, PAGE_SIZE)).toBe(0);
    expect(pool.free_pages()).toBe(free0);
    expect(vmemmap.refcount(vmemmap.idx(pgt.pgd!))).toBe(1);
    expect(kvm_pgtable_stage2_map(pgt, 0x4000_0000n, 4n << 20n, BASE, KVM_PGTABLE_PROT_RWX, mc, 0)).toBe(0);
    expect(kvm_pgtable_stage2_annotate(pgt, 0x7000n, PAGE_SIZE, mc, 2n, 4n)).toBe(0);
    kvm_pgtable_stage2_destroy(pgt);
    expect(pool.free_pages()).toBe(free0 + 2); /* the PGD pages too */
  });
});
