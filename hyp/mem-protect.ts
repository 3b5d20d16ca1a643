/**
 * Host <-> hyp page transitions, as arch/arm64/kvm/hyp/nvhe/mem_protect.c:
 * each checks the initiator's state, then the completer's, then updates both.
 * Host and hyp states live in hyp_vmemmap; the host stage-2 is updated to
 * match (annotated when the host loses a page, idmapped when it regains one).
 * The hyp's own stage-1 (pkvm_pgtable, hyp-mm.ts) follows the newest upstream: donate_hyp maps,
 * hyp_donate_host unmaps, pin maps on the first reference and unpin unmaps on the last;
 * share/unshare_hyp map nothing.
 */
import type { Pkvm } from './index';
import {
  EBUSY, EINVAL, EPERM, PKVM_ID_HOST, PKVM_ID_HYP, PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED,
  PKVM_PAGE_SHARED_OWNED, WARN_ON,
} from './page-state';
import { ALIGN_DOWN, PAGE_ALIGN, PAGE_HYP, PAGE_SIZE, PAGE_SIZE_N, PKVM_HOST_MEM_PROT, hyp_pfn_to_phys, u64_to_n } from './pgtable-defs';
import {
  __host_update_page_state, check_range_allowed_memory, host_stage2_idmap_locked, host_stage2_set_owner_locked,
  pfn_range_is_valid,
} from './host-stage2';
import { hyp_page_dma_refs } from './iommu/dma-refs';

export function __host_check_page_state_range(hyp: Pkvm, addr: bigint, size: bigint, state: number): number {
  const ret = check_range_allowed_memory(hyp, addr, BigInt.asUintN(64, addr + size));
  if (ret) return ret;
  /* (in Numbers: the range is memory, below 2^52) */
  const start = u64_to_n(addr), end = start + u64_to_n(size);
  for (let a = start; a < end; a += PAGE_SIZE_N) {
    const i = hyp.vmemmap.idx(a);
    if (hyp.vmemmap.get_host_state(i) !== state) return -EPERM;
    /* IOMMU hook (HOST_CHECK_NULL_REFCNT): an OWNED page mapped for DMA can be neither donated nor shared. */
    if (state === PKVM_PAGE_OWNED && hyp_page_dma_refs(hyp, i)) return -EINVAL;
  }
  return 0;
}

export function __host_set_page_state_range(hyp: Pkvm, addr: bigint, size: bigint, state: number): number {
  if (hyp.vmemmap.get_host_state(hyp.vmemmap.idx(addr)) === PKVM_NOPAGE) {
    const ret = host_stage2_idmap_locked(hyp, addr, size, PKVM_HOST_MEM_PROT);
    if (ret) return ret;
  }
  __host_update_page_state(hyp, addr, size, state);
  return 0;
}

export function __hyp_set_page_state_range(hyp: Pkvm, phys: bigint, size: bigint, state: number): void {
  for (let a = phys; a < phys + size; a += PAGE_SIZE) hyp.vmemmap.set_hyp_state(hyp.vmemmap.idx(a), state);
}

export function __hyp_check_page_state_range(hyp: Pkvm, phys: bigint, size: bigint, state: number): number {
  for (let a = phys; a < phys + size; a += PAGE_SIZE)
    if (hyp.vmemmap.get_hyp_state(hyp.vmemmap.idx(a)) !== state) return -EPERM;
  return 0;
}

/** __hyp_check_page_count_range(): -EBUSY if any page of the range is still referenced at EL2. */
export function __hyp_check_page_count_range(hyp: Pkvm, phys: bigint, size: bigint): number {
  for (let a = phys; a < phys + size; a += PAGE_SIZE) if (hyp.vmemmap.hyp_page_count(a)) return -EBUSY;
  return 0;
}

export function __pkvm_host_share_hyp(hyp: Pkvm, pfn: bigint): number {
  const phys = hyp_pfn_to_phys(pfn);
  let ret = __host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_OWNED);
  if (ret) return ret;
  ret = __hyp_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_NOPAGE);
  if (ret) return ret;
  __hyp_set_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_BORROWED);
  WARN_ON(__host_set_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_OWNED), 'share_hyp: host state');
  return 0;
}

export function __pkvm_host_unshare_hyp(hyp: Pkvm, pfn: bigint): number {
  const phys = hyp_pfn_to_phys(pfn);
  let ret = __host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_OWNED);
  if (ret) return ret;
  ret = __hyp_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_BORROWED);
  if (ret) return ret;
  ret = __hyp_check_page_count_range(hyp, phys, PAGE_SIZE);
  if (ret) return ret;
  __hyp_set_page_state_range(hyp, phys, PAGE_SIZE, PKVM_NOPAGE);
  WARN_ON(__host_set_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_OWNED), 'unshare_hyp: host state');
  return 0;
}

/**
 * `map` false: the EL2 mapping is left to the first use of the page (hyp_lazy_map_owned()), as the
 * core's fault fast path leaves it for the memcache pages it donates; pkvm_refill_memcache() asks
 * for this so that the full path and the fast path leave the same state (README "stage-1").
 */
export function __pkvm_host_donate_hyp(hyp: Pkvm, pfn: bigint, nr_pages: bigint, map = true): number {
  if (!pfn_range_is_valid(hyp, pfn, nr_pages)) return -EINVAL;
  const phys = hyp_pfn_to_phys(pfn);
  const size = PAGE_SIZE * nr_pages;
  let ret = __host_check_page_state_range(hyp, phys, size, PKVM_PAGE_OWNED);
  if (ret) return ret;
  ret = __hyp_check_page_state_range(hyp, phys, size, PKVM_NOPAGE);
  if (ret) return ret;
  __hyp_set_page_state_range(hyp, phys, size, PKVM_PAGE_OWNED);
  if (map) WARN_ON(hyp.mm.pkvm_create_mappings_locked(phys, phys + size, PAGE_HYP), 'donate_hyp: pkvm_create_mappings_locked');
  WARN_ON(host_stage2_set_owner_locked(hyp, phys, size, PKVM_ID_HYP), 'donate_hyp: host annotation');
  return 0;
}

export function __pkvm_hyp_donate_host(hyp: Pkvm, pfn: bigint, nr_pages: bigint): number {
  if (!pfn_range_is_valid(hyp, pfn, nr_pages)) return -EINVAL;
  const phys = hyp_pfn_to_phys(pfn);
  const size = PAGE_SIZE * nr_pages;
  let ret = __hyp_check_page_state_range(hyp, phys, size, PKVM_PAGE_OWNED);
  if (ret) return ret;
  ret = __host_check_page_state_range(hyp, phys, size, PKVM_NOPAGE);
  if (ret) return ret;
  /* A page still referenced at EL2 must not leak back to the host (fail-safe). */
  ret = __hyp_check_page_count_range(hyp, phys, size);
  if (ret) return ret;
  /* A page the core's fast path donated has no EL2 mapping yet: make the deferred one first. */
  for (let a = phys; a < phys + size; a += PAGE_SIZE) hyp.mm.hyp_lazy_map_owned(a);
  __hyp_set_page_state_range(hyp, phys, size, PKVM_NOPAGE);
  WARN_ON(hyp.mm.kvm_pgtable_hyp_unmap(phys, size) !== size, 'hyp_donate_host: kvm_pgtable_hyp_unmap');
  WARN_ON(host_stage2_set_owner_locked(hyp, phys, size, PKVM_ID_HOST), 'hyp_donate_host: host idmap');
  return 0;
}

/** hyp_pin_shared_mem(): pin host-shared pages [from, to) so the host cannot unshare them. */
export function hyp_pin_shared_mem(hyp: Pkvm, from: bigint, to: bigint): number {
  const start = ALIGN_DOWN(from, PAGE_SIZE);
  const end = PAGE_ALIGN(to);
  let ret = __host_check_page_state_range(hyp, start, end - start, PKVM_PAGE_SHARED_OWNED);
  if (ret) return ret;
  ret = __hyp_check_page_state_range(hyp, start, end - start, PKVM_PAGE_SHARED_BORROWED);
  if (ret) return ret;
  for (let cur = start; cur < end; cur += PAGE_SIZE) {
    const i = hyp.vmemmap.idx(cur);
    hyp.vmemmap.hyp_page_ref_inc(i);
    if (hyp.vmemmap.refcount(i) === 1)
      WARN_ON(hyp.mm.pkvm_create_mappings_locked(cur, cur + PAGE_SIZE, PAGE_HYP), 'pin: pkvm_create_mappings_locked');
  }
  return 0;
}

export function hyp_unpin_shared_mem(hyp: Pkvm, from: bigint, to: bigint): void {
  const start = ALIGN_DOWN(from, PAGE_SIZE);
  const end = PAGE_ALIGN(to);
  for (let cur = start; cur < end; cur += PAGE_SIZE) {
    const i = hyp.vmemmap.idx(cur);
    if (hyp.vmemmap.refcount(i) === 1)
      WARN_ON(hyp.mm.kvm_pgtable_hyp_unmap(cur, PAGE_SIZE) !== PAGE_SIZE, 'unpin: kvm_pgtable_hyp_unmap');
    hyp.vmemmap.hyp_page_ref_dec(i);
  }
}

export function __pkvm_host_share_ffa(hyp: Pkvm, pfn: bigint, nr_pages: bigint): number {
  if (!pfn_range_is_valid(hyp, pfn, nr_pages)) return -EINVAL;
  const phys = hyp_pfn_to_phys(pfn);
  const size = PAGE_SIZE * nr_pages;
  const ret = __host_check_page_state_range(hyp, phys, size, PKVM_PAGE_OWNED);
  return ret || __host_set_page_state_range(hyp, phys, size, PKVM_PAGE_SHARED_OWNED);
}

export function __pkvm_host_unshare_ffa(hyp: Pkvm, pfn: bigint, nr_pages: bigint): number {
  if (!pfn_range_is_valid(hyp, pfn, nr_pages)) return -EINVAL;
  const phys = hyp_pfn_to_phys(pfn);
  const size = PAGE_SIZE * nr_pages;
  const ret = __host_check_page_state_range(hyp, phys, size, PKVM_PAGE_SHARED_OWNED);
  return ret || __host_set_page_state_range(hyp, phys, size, PKVM_PAGE_OWNED);
}
