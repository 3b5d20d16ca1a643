/**
 * __pkvm_host_donate_guest() of one page (a protected guest's stage-2 fault) in Numbers, the
 * page-table steps done on the one entry each touches (pgtable-page.ts) instead of through
 * kvm_pgtable_walk(): mem_protect.c's functions for one page, with the same checks, results and
 * errnos, in upstream order. Each step falls back to the u64 function (mem-protect.ts,
 * mem-protect-guest.ts, host-stage2.ts, pgtable-stage2.ts) where its preconditions do not hold (an
 * address outside a memblock, no table down to level 3, a block, a locked entry, ...).
 * README "Numbers in the walker".
 */
import type { Pkvm } from './index';
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import { EINVAL, EPERM, PKVM_ID_GUEST, PKVM_NOPAGE, PKVM_PAGE_OWNED, WARN_ON } from './page-state';
import { KVM_HOST_INVALID_PTE_TYPE_DONATION, KVM_PGTABLE_PROT_RWX, PAGE_SIZE, pkvm_mkstate } from './pgtable-defs';
import { kvm_pgtable_stage2_map } from './pgtable-stage2';
import {
  PGTABLE_PAGE_FALLBACK, kvm_pgtable_page_entry, page_entry_ptep, stage2_annotate_page_words, stage2_map_page,
} from './pgtable-page';
import { host_stage2_encode_gfn_meta, host_stage2_set_owner_metadata_locked, page_is_memory_n } from './host-stage2';
import { __host_check_page_state_range } from './mem-protect';
import { __guest_check_memcache, __guest_check_page_state_range, guest_get_page_state_at } from './mem-protect-guest-state';
import { hyp_page_dma_refs } from './iommu/dma-refs';

/** Below it a pfn's page lies below 2^48 (a descriptor's output address, exact as a Number). */
export const PAGE_PFN_LIMIT = 2 ** 36;
/** FIELD_FIT(KVM_HOST_PTE_OWNER_GUEST_GFN_MASK, gfn): GENMASK(55, 16) holds 40 bits. */
export const PAGE_GFN_LIMIT = 2 ** 40;

/** __host_check_page_state_range(hyp, pfn << PAGE_SHIFT, PAGE_SIZE, state), pfn below PAGE_PFN_LIMIT. */
export function __host_check_page_state_page(hyp: Pkvm, pfn: number, state: number): number {
  const phys = pfn * 4096;
  /* check_range_allowed_memory(): else the u64 function's errno */
  if (!page_is_memory_n(hyp, phys)) return __host_check_page_state_range(hyp, BigInt(phys), PAGE_SIZE, state);
  const i = hyp.vmemmap.idx_pfn(pfn);
  if (hyp.vmemmap.get_host_state(i) !== state) return -EPERM;
  /* IOMMU hook (HOST_CHECK_NULL_REFCNT): an OWNED page mapped for DMA can be neither donated nor shared. */
  if (state === PKVM_PAGE_OWNED && hyp_page_dma_refs(hyp, i)) return -EINVAL;
  return 0;
}

/**
 * __guest_check_page_state_range(vm, ipa, PAGE_SIZE, state) given the walk's one entry (`entry`,
 * kvm_pgtable_page_entry(vm.pgt, ipa)); the walk itself when there is none.
 */
export function __guest_check_page_state_page(vm: PkvmHypVm, entry: number, ipa: number, state: number): number {
  if (entry < 0) return __guest_check_page_state_range(vm, BigInt(ipa), PAGE_SIZE, state);
  return guest_get_page_state_at(vm, page_entry_ptep(entry)) === state ? 0 : -EPERM;
}

/* KVM_HOST_DONATION_PTE_OWNER_MASK's field of PKVM_ID_GUEST (bits 3:1), the type field of a donation (bits 63:60). */
const OWNER_GUEST_LO = PKVM_ID_GUEST << 1;
const DONATION_HI = Number(KVM_HOST_INVALID_PTE_TYPE_DONATION) << 28;

/**
 * host_stage2_set_owner_metadata_locked(hyp, phys, PAGE_SIZE, PKVM_ID_GUEST,
 * host_stage2_encode_gfn_meta(vm, gfn)) for pfn below PAGE_PFN_LIMIT, gfn below PAGE_GFN_LIMIT: the
 * annotation (type KVM_HOST_INVALID_PTE_TYPE_DONATION, owner PKVM_ID_GUEST, meta = handle in bits
 * 15:0 and gfn in bits 55:16, shifted to bits 59:4) stored as two words in the host stage-2's level-3
 * entry, then the host state NOPAGE (__host_update_page_state()).
 */
export function host_stage2_set_owner_guest_page(hyp: Pkvm, pfn: number, vm: PkvmHypVm, gfn: number): number {
  const phys = pfn * 4096;
  const pgt = hyp.host_mmu.pgt;
  /* range_is_memory(); the owner and meta fit their fields (gfn below 2^40, a 16-bit handle) */
  let ret = PGTABLE_PAGE_FALLBACK;
  if (page_is_memory_n(hyp, phys)) {
    /* meta << 4: handle in bits 19:4, gfn in bits 59:20 (bits 11:0 of gfn in the low word) */
    const lo = OWNER_GUEST_LO | ((vm.handle & 0xffff) << 4) | ((gfn & 0xfff) << 20);
    const hi = DONATION_HI | Math.floor(gfn / 4096);
    ret = stage2_annotate_page_words(pgt, kvm_pgtable_page_entry(pgt, phys), phys, lo, hi);
  }
  if (ret === PGTABLE_PAGE_FALLBACK)
    return host_stage2_set_owner_metadata_locked(hyp, BigInt(phys), PAGE_SIZE, PKVM_ID_GUEST, host_stage2_encode_gfn_meta(vm, BigInt(gfn)));
  /* __host_update_page_state(hyp, phys, PAGE_SIZE, PKVM_NOPAGE) */
  hyp.vmemmap.set_host_state(hyp.vmemmap.idx_pfn(pfn), PKVM_NOPAGE);
  return 0;
}

/** pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED): a donated page's guest mapping. */
const GUEST_OWNED_PROT = pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED);

/**
 * __pkvm_host_donate_guest() with pfn below PAGE_PFN_LIMIT and gfn below PAGE_GFN_LIMIT (the
 * caller's test), in upstream order: the host's state, the guest's, the memcache, the host stage-2
 * annotation, the guest stage-2 map. The guest's entry is looked up once for its check and its map:
 * nothing between them writes the guest's tables (the annotation edits the host stage-2, whose
 * table pages come from host_s2_pool, never from a guest's).
 */
export function __pkvm_host_donate_guest_page(hyp: Pkvm, pfn: number, gfn: number, vcpu: PkvmHypVcpu): number {
  const vm = vcpu.vm;
  const ipa = gfn * 4096;
  let ret = __host_check_page_state_page(hyp, pfn, PKVM_PAGE_OWNED);
  if (ret) return ret;
  const entry = kvm_pgtable_page_entry(vm.pgt, ipa);
  ret = __guest_check_page_state_page(vm, entry, ipa, PKVM_NOPAGE);
  if (ret) return ret;
  ret = __guest_check_memcache(vcpu);
  if (ret) return ret;
  WARN_ON(host_stage2_set_owner_guest_page(hyp, pfn, vm, gfn), 'donate_guest: annotate');
  ret = stage2_map_page(vm.pgt, entry, ipa, pfn, GUEST_OWNED_PROT);
  if (ret === PGTABLE_PAGE_FALLBACK)
    ret = kvm_pgtable_stage2_map(vm.pgt, BigInt(ipa), PAGE_SIZE, BigInt(pfn * 4096), GUEST_OWNED_PROT, vcpu.pkvm_memcache, 0);
  WARN_ON(ret, 'donate_guest: map');
  return 0;
}
