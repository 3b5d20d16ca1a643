/**
 * IOMMU domain page tables: the io-pgtable of the pKVM IOMMU series
 * (kvm_arm_io_pgtable_alloc/free, map_pages, unmap_pages, iova_to_phys over
 * ARM_64_LPAE_S2), written with the hyp's own stage-2 table library so that
 * they are real VMSAv8-64 stage-2 descriptors the SMMU (the core's walker)
 * reads. Table pages come from the IOMMU pool (hyp memory the host donated
 * through __pkvm_hyp_alloc_mgt_refill); a table allocation that finds the pool
 * empty makes the caller stop and ask the host for a page (struct kvm_hyp_req).
 *
 * Geometry: 4 KiB granule, 39-bit IOVA (three levels from level 1, one PGD
 * page), output size as the host stage-2 (VTCR_EL2.PS). Leaves are Normal
 * write-back memory (or Device-nGnRE for IOMMU_MMIO), S2AP from IOMMU_READ /
 * IOMMU_WRITE, never executable.
 */
import type { Pkvm } from '../index';
import type { HypPool } from '../pool';
import { EEXIST, ERANGE } from '../page-state';
import {
  KvmPgtable, __kvm_pgtable_stage2_init, kvm_pgtable_get_leaf, kvm_pgtable_stage2_destroy,
  kvm_pgtable_stage2_free_unlinked, kvm_pgtable_walk, type KvmTlbOps,
} from '../pgtable';
import { kvm_pgtable_stage2_map, kvm_pgtable_stage2_unmap } from '../pgtable-stage2';
import {
  KVM_PGTABLE_PROT_DEVICE, KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_W, KVM_PGTABLE_WALK_LEAF, get_order,
  kvm_granule_size, kvm_pte_to_phys, kvm_pte_valid,
} from '../pgtable-defs';
import { VTCR_EL2_LVLS_TO_SL0, VTCR_EL2_SL0_MASK, VTCR_EL2_T0SZ, VTCR_EL2_T0SZ_MASK, stage2_pgtable_levels } from '../vtcr';
import { IOMMU_MMIO, IOMMU_PGSIZE_BITMAP, IOMMU_READ, IOMMU_WRITE } from './defs';

/** Input (IOVA) size of IOMMU domains. */
export const KVM_IOMMU_IAS = 39;

/** The S2 translation control of IOMMU domains: the host's VTCR_EL2 with a 39-bit input size. */
export function kvm_iommu_vtcr(host_vtcr: bigint): bigint {
  return (host_vtcr & ~(VTCR_EL2_T0SZ_MASK | VTCR_EL2_SL0_MASK)) | VTCR_EL2_T0SZ(KVM_IOMMU_IAS) |
    VTCR_EL2_LVLS_TO_SL0(stage2_pgtable_levels(KVM_IOMMU_IAS));
}

export const pgsize_supported = (pgsize: bigint): boolean =>
  pgsize > 0n && (pgsize & (pgsize - 1n)) === 0n && (pgsize & IOMMU_PGSIZE_BITMAP) !== 0n;

/** Table-page allocator of a domain: the IOMMU pool, recording a memory request when it is empty. */
export interface IoPgtableAlloc {
  pool: HypPool;
  /** kvm_iommu_donate_page(): a zeroed, refcounted page or null (and a request for the host). */
  donate_page(): bigint | null;
}

/** kvm_arm_io_pgtable_alloc(): a domain page table, or -ENOMEM (request recorded) when the pool is empty. */
export function kvm_arm_io_pgtable_alloc(
  hyp: Pkvm, alloc: IoPgtableAlloc, vmid: number, tlb: KvmTlbOps,
): { ret: number; pgt: KvmPgtable | null } {
  const vmemmap = hyp.vmemmap;
  const pool = alloc.pool;
  const mmu = { vmid, vtcr: kvm_iommu_vtcr(hyp.host_vtcr()), tlb };
  const pgt: KvmPgtable = new KvmPgtable(hyp.mem, {
    zalloc_page: () => alloc.donate_page(),
    zalloc_pages_exact: (size) => (get_order(size) === 0 ? alloc.donate_page() : null),
    free_pages_exact: (addr) => pool.hyp_put_page(addr),
    free_unlinked_table: (addr, level) => kvm_pgtable_stage2_free_unlinked(pgt, addr, level),
    get_page: (addr) => pool.hyp_get_page(addr),
    put_page: (addr) => pool.hyp_put_page(addr),
    page_count: (addr) => vmemmap.hyp_page_count(addr),
  }, mmu);
  const ret = __kvm_pgtable_stage2_init(pgt, 0, null);
  return ret ? { ret, pgt: null } : { ret: 0, pgt };
}

/** kvm_arm_io_pgtable_free(): free every table page (leaves are dropped, their DMA references are not). */
export function kvm_arm_io_pgtable_free(pgt: KvmPgtable): void {
  kvm_pgtable_stage2_destroy(pgt);
}

function iommu_prot_to_pgtable(prot: number): bigint {
  let p = 0n;
  if (prot & IOMMU_READ) p |= KVM_PGTABLE_PROT_R;
  if (prot & IOMMU_WRITE) p |= KVM_PGTABLE_PROT_W;
  if (prot & IOMMU_MMIO) p |= KVM_PGTABLE_PROT_DEVICE;
  return p;
}

/** Is any valid leaf mapped in [iova, iova + size)? (io-pgtable refuses to map over a mapping.) */
function range_has_mapping(pgt: KvmPgtable, iova: bigint, size: bigint): boolean {
  let found = false;
  kvm_pgtable_walk(pgt, iova, size, {
    flags: KVM_PGTABLE_WALK_LEAF,
    cb: (ctx) => (kvm_pte_valid(ctx.old) ? ((found = true), -EEXIST) : 0),
  });
  return found;
}

/**
 * One leaf of `pgsize` at iova -> paddr: 0, -EEXIST over an existing mapping,
 * -ENOMEM when a table page was needed and the pool is empty, -ERANGE outside
 * the IOVA space.
 */
export function io_pgtable_map_one(pgt: KvmPgtable, iova: bigint, paddr: bigint, pgsize: bigint, prot: number): number {
  if (iova + pgsize > 1n << BigInt(pgt.ia_bits)) return -ERANGE;
  if (range_has_mapping(pgt, iova, pgsize)) return -EEXIST;
  return kvm_pgtable_stage2_map(pgt, iova, pgsize, paddr, iommu_prot_to_pgtable(prot), pgt.mm_ops, 0);
}

/**
 * Unmap the leaf of exactly `pgsize` at iova: { size: pgsize, phys } or size 0
 * when nothing is mapped there or the leaf has another size (a block is never
 * split and a table of smaller leaves is never torn down by a larger unmap).
 * The stage-2 library issues the TLB invalidation through the domain's tlb ops.
 */
export function io_pgtable_unmap_one(pgt: KvmPgtable, iova: bigint, pgsize: bigint): { size: bigint; phys: bigint } {
  if (iova + pgsize > 1n << BigInt(pgt.ia_bits)) return { size: 0n, phys: 0n };
  const { ret, pte, level } = kvm_pgtable_get_leaf(pgt, iova);
  if (ret || !kvm_pte_valid(pte) || kvm_granule_size(level) !== pgsize) return { size: 0n, phys: 0n };
  const phys = kvm_pte_to_phys(pte);
  if (kvm_pgtable_stage2_unmap(pgt, iova, pgsize)) return { size: 0n, phys: 0n };
  return { size: pgsize, phys };
}

/** iova_to_phys(): the physical address iova translates to, or 0. */
export function io_pgtable_iova_to_phys(pgt: KvmPgtable, iova: bigint): bigint {
  if (iova >= 1n << BigInt(pgt.ia_bits)) return 0n;
  const { ret, pte, level } = kvm_pgtable_get_leaf(pgt, iova);
  if (ret || !kvm_pte_valid(pte)) return 0n;
  return kvm_pte_to_phys(pte) + (iova & (kvm_granule_size(level) - 1n));
}

