/**
 * The hyp allocator management calls (Android's nvhe/alloc_mgt.c, newest form with an id on every
 * call): registered_allocators[] = { [HYP_ALLOC_MGT_HEAP_ID] = the heap (alloc.ts),
 * [HYP_ALLOC_MGT_IOMMU_ID] = the IOMMU page-table pool (iommu/iommu.ts) }. An id at or above
 * NR_ALLOC_MGT_IDS: refill -EINVAL, reclaimable 0, reclaim nothing. The IOMMU allocator exists only
 * on a board with a paravirtual IOMMU (else its refill answers -EINVAL, as before).
 */
import type { Pkvm } from '../index';
import type { KvmHypMemcache } from '../memcache';
import { EINVAL } from '../page-state';
import { HYP_ALLOC_MGT_HEAP_ID, HYP_ALLOC_MGT_IOMMU_ID } from '../iommu/defs';
import { kvm_iommu_reclaim, kvm_iommu_reclaimable, kvm_iommu_refill } from '../iommu/iommu';

export const NR_ALLOC_MGT_IDS = 2n;

export function hyp_alloc_mgt_refill(hyp: Pkvm, id: bigint, host_mc: KvmHypMemcache, _cpu = 0): number {
  if (id >= NR_ALLOC_MGT_IDS) return -EINVAL;
  if (id === BigInt(HYP_ALLOC_MGT_HEAP_ID)) return hyp.heap.hyp_alloc_topup(host_mc);
  return id === BigInt(HYP_ALLOC_MGT_IOMMU_ID) ? kvm_iommu_refill(hyp, host_mc) : -EINVAL;
}

export function hyp_alloc_mgt_reclaimable(hyp: Pkvm, id: bigint): number {
  if (id === BigInt(HYP_ALLOC_MGT_HEAP_ID)) return Number(hyp.heap.hyp_alloc_reclaimable());
  return id === BigInt(HYP_ALLOC_MGT_IOMMU_ID) ? kvm_iommu_reclaimable(hyp) : 0;
}

export function hyp_alloc_mgt_reclaim(hyp: Pkvm, id: bigint, host_mc: KvmHypMemcache, target: number, cpu = 0): void {
  if (id === BigInt(HYP_ALLOC_MGT_HEAP_ID)) {
    if (target > 0) hyp.heap.hyp_alloc_reclaim(host_mc, BigInt(target), cpu); /* Android's int target: <= 0 reclaims nothing */
  }
  else if (id === BigInt(HYP_ALLOC_MGT_IOMMU_ID)) kvm_iommu_reclaim(hyp, host_mc, target);
}
