/**
 * DMA references on host pages: __pkvm_host_use_dma() / __pkvm_host_unuse_dma()
 * of the pKVM IOMMU series (mem_protect.c). Every page mapped in an IOMMU
 * domain holds one reference per mapping; a host page with DMA references
 * cannot leave the host:
 *  - transitions that start from host OWNED (donate to a guest or to the hyp,
 *    share) fail with -EINVAL, as upstream's HOST_CHECK_NULL_REFCNT
 *    (hook in __host_check_page_state_range() and __pkvm_host_share_guest());
 *  - a guest cannot unshare a page it shared with the host while the host has
 *    it mapped for DMA: -EBUSY, as upstream's relinquish path ("page might be
 *    used for DMA!"; hook in __pkvm_guest_unshare_host()).
 *
 * Upstream counts DMA references in hyp_page.refcount and only lets the host
 * map pages it OWNS. The model also lets the host map pages it shares
 * (SHARED_OWNED with the hyp or a guest, SHARED_BORROWED from a guest), so it
 * keeps DMA references in a counter of their own: the hyp's pins of shared
 * pages (hyp_pin_shared_mem) and DMA references cannot be confused.
 */
import type { Pkvm } from '../index';
import { EINVAL, EPERM, PKVM_NOPAGE, WARN_ON } from '../page-state';
import { PAGE_SHIFT, PAGE_SIZE, hyp_phys_to_pfn } from '../pgtable-defs';
import { check_range_allowed_memory, pfn_range_is_valid } from '../host-stage2';

const dmaRefs = new WeakMap<Pkvm, Uint32Array>();

/** Start counting DMA references for this hyp (kvm_iommu_init()). */
let lastHyp: WeakRef<Pkvm> | null = null;
let lastRefs: Uint32Array | undefined;

export function pkvm_dma_refs_init(hyp: Pkvm): Uint32Array {
  let r = dmaRefs.get(hyp);
  if (!r) dmaRefs.set(hyp, (r = new Uint32Array(hyp.vmemmap.nrPages)));
  lastHyp = null; /* (hyp_page_dma_refs() looks again) */
  return r;
}

export function pkvm_dma_refs(hyp: Pkvm): Uint32Array | undefined {
  return dmaRefs.get(hyp);
}

/** DMA references held on the page at vmemmap index i (0 on a board without an IOMMU). */
export function hyp_page_dma_refs(hyp: Pkvm, i: number): number {
  /* (the last hyp's counters first: every donation and share asks, page by page) */
  if (lastHyp !== null && lastHyp.deref() === hyp) return lastRefs ? lastRefs[i]! : 0;
  const r = dmaRefs.get(hyp);
  lastHyp = new WeakRef(hyp);
  lastRefs = r;
  return r ? r[i]! : 0;
}

/**
 * __pkvm_host_use_dma(): the host wants [phys, phys + size) reachable by DMA.
 * -EINVAL for a bad or mixed range, -EPERM for MMIO (peer-to-peer DMA is not
 * modelled) or for a page the host neither owns nor shares (host NOPAGE).
 */
export function __pkvm_host_use_dma(hyp: Pkvm, phys: bigint, size: bigint): number {
  const refs = dmaRefs.get(hyp);
  if (!refs) return -EINVAL;
  const nr_pages = size >> PAGE_SHIFT;
  if ((phys | size) & (PAGE_SIZE - 1n) || !pfn_range_is_valid(hyp, hyp_phys_to_pfn(phys), nr_pages)) return -EINVAL;
  if (!nr_pages) return 0;
  const ret = check_range_allowed_memory(hyp, phys, phys + size);
  if (ret) return ret;
  const vmm = hyp.vmemmap;
  for (let a = phys; a < phys + size; a += PAGE_SIZE)
    if (vmm.get_host_state(vmm.idx(a)) === PKVM_NOPAGE) return -EPERM;
  for (let a = phys; a < phys + size; a += PAGE_SIZE) {
    const i = vmm.idx(a);
    if (refs[i] === 0xffff_ffff) return -EINVAL; /* cannot happen: one reference per mapping */
  }
  for (let a = phys; a < phys + size; a += PAGE_SIZE) refs[vmm.idx(a)]!++;
  return 0;
}

/** __pkvm_host_unuse_dma(): drop the references __pkvm_host_use_dma() took (after the IOTLB sync). */
export function __pkvm_host_unuse_dma(hyp: Pkvm, phys: bigint, size: bigint): number {
  const refs = dmaRefs.get(hyp);
  if (!refs) return -EINVAL;
  const nr_pages = size >> PAGE_SHIFT;
  if (!pfn_range_is_valid(hyp, hyp_phys_to_pfn(phys), nr_pages)) return -EINVAL;
  const vmm = hyp.vmemmap;
  for (let a = phys; a < phys + size; a += PAGE_SIZE) {
    const i = vmm.idx(a);
    if (WARN_ON(refs[i] === 0, 'unuse_dma: no DMA reference')) return -EINVAL;
    refs[i]!--;
  }
  return 0;
}
