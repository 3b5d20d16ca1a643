/**
 * Host <-> guest page transitions (arch/arm64/kvm/hyp/nvhe/mem_protect.c).
 * Guest state lives in the guest stage-2: SW0/SW1 of valid PTEs, NOPAGE for an
 * empty PTE, POISON for an invalid PTE of type KVM_GUEST_INVALID_PTE_TYPE_POISONED.
 */
import { kvm_flush_dcache_to_poc } from './cache';
import type { Pkvm } from './index';
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import {
  E2BIG, EAGAIN, EBUSY, EFAULT, EHWPOISON, EINVAL, ENOENT, EPERM, PKVM_ID_GUEST, PKVM_ID_HOST,
  PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED, PKVM_PAGE_SHARED_OWNED, WARN_ON,
} from './page-state';
import {
  FIELD_GET, IS_ALIGNED, KVM_GUEST_INVALID_PTE_TYPE_POISONED, KVM_PGTABLE_LAST_LEVEL,
  KVM_PGTABLE_PROT_RWX, PAGE_MASK, PAGE_SIZE, hyp_pfn_to_phys, kvm_granule_size,
  kvm_pte_to_phys, kvm_pte_valid, pkvm_getstate, pkvm_mkstate,
} from './pgtable-defs';
import { kvm_pgtable_get_leaf } from './pgtable';
import {
  kvm_pgtable_stage2_annotate, kvm_pgtable_stage2_map, kvm_pgtable_stage2_pte_prot, kvm_pgtable_stage2_unmap,
} from './pgtable-stage2';
import {
  addr_is_memory, check_range_allowed_memory, host_stage2_decode_gfn_meta, host_stage2_encode_gfn_meta,
  host_stage2_set_owner_locked, host_stage2_set_owner_metadata_locked, pfn_range_is_valid,
} from './host-stage2';
import { __host_check_page_state_range, __host_set_page_state_range } from './mem-protect';
import { U32_MAX } from './vmemmap';
import { hyp_page_dma_refs } from './iommu/dma-refs';
import { guest_pte_is_poisoned, guest_get_page_state, __guest_check_memcache, __guest_check_page_state_range } from './mem-protect-guest-state';
import { PAGE_GFN_LIMIT, PAGE_PFN_LIMIT, __pkvm_host_donate_guest_page } from './mem-protect-page';
import { pgtable_page_path } from './pgtable-page';

export { guest_pte_is_poisoned, guest_get_page_state, __guest_check_memcache, __guest_check_page_state_range } from './mem-protect-guest-state';

function get_valid_guest_pte(hyp: Pkvm, vm: PkvmHypVm, ipa: bigint): { ret: number; pte: bigint; phys: bigint } {
  const { ret, pte, level } = kvm_pgtable_get_leaf(vm.pgt, ipa);
  if (ret) return { ret, pte, phys: 0n };
  if (guest_pte_is_poisoned(pte)) return { ret: -EHWPOISON, pte, phys: 0n };
  if (!kvm_pte_valid(pte)) return { ret: -ENOENT, pte, phys: 0n };
  if (level !== KVM_PGTABLE_LAST_LEVEL) return { ret: -E2BIG, pte, phys: 0n };
  const phys = kvm_pte_to_phys(pte);
  const r = check_range_allowed_memory(hyp, phys, phys + PAGE_SIZE);
  if (WARN_ON(r, 'guest pte maps non-memory')) return { ret: r, pte, phys };
  return { ret: 0, pte, phys };
}

/* ESR_ELx: EC[31:26]; DFSC/IFSC[5:0] */
const ESR_ELx_EC_IABT_LOW = 0x20n;
const ESR_ELx_EC_DABT_LOW = 0x24n;
const esr_fsc_is_translation_fault = (esr: bigint): boolean => (esr & 0x3cn) === 0x04n || (esr & 0x3fn) === 0x2bn;

/** __pkvm_vcpu_in_poison_fault(): 1 if the vCPU's last stage-2 fault hit a poisoned PTE, else 0 / -errno. */
export function __pkvm_vcpu_in_poison_fault(vcpu: PkvmHypVcpu): number {
  const esr = vcpu.fault.esr_el2;
  const ec = (esr >> 26n) & 0x3fn;
  if ((ec !== ESR_ELx_EC_DABT_LOW && ec !== ESR_ELx_EC_IABT_LOW) || !esr_fsc_is_translation_fault(esr)) return -EINVAL;
  /* The IPA is taken from HPFAR/FAR, not from the host, to avoid exposing an oracle. */
  const ipa = (FIELD_GET((1n << 48n) - 16n, vcpu.fault.hpfar_el2) << 12n) | (vcpu.fault.far_el2 & 0xfffn);
  const { ret, pte, level } = kvm_pgtable_get_leaf(vcpu.vm.pgt, ipa);
  if (ret) return ret;
  if (level !== KVM_PGTABLE_LAST_LEVEL) return -EINVAL;
  return guest_pte_is_poisoned(pte) ? 1 : 0;
}

export function __pkvm_guest_share_host(hyp: Pkvm, vcpu: PkvmHypVcpu, gfn: bigint): number {
  const vm = vcpu.vm;
  const ipa = hyp_pfn_to_phys(gfn);
  const { ret, pte, phys } = get_valid_guest_pte(hyp, vm, ipa);
  if (ret) return ret;
  if (pkvm_getstate(kvm_pgtable_stage2_pte_prot(pte)) !== PKVM_PAGE_OWNED) return -EPERM;
  if (__host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_NOPAGE)) return -EPERM;
  WARN_ON(kvm_pgtable_stage2_map(vm.pgt, ipa, PAGE_SIZE, phys,
    pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_SHARED_OWNED), vcpu.pkvm_memcache, 0), 'guest_share_host: map');
  WARN_ON(__host_set_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_BORROWED), 'guest_share_host: host');
  return 0;
}

export function __pkvm_guest_unshare_host(hyp: Pkvm, vcpu: PkvmHypVcpu, gfn: bigint): number {
  const vm = vcpu.vm;
  const ipa = hyp_pfn_to_phys(gfn);
  const { ret, pte, phys } = get_valid_guest_pte(hyp, vm, ipa);
  if (ret) return ret;
  if (pkvm_getstate(kvm_pgtable_stage2_pte_prot(pte)) !== PKVM_PAGE_SHARED_OWNED) return -EPERM;
  if (__host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_BORROWED)) return -EPERM;
  /* IOMMU hook: the host still has the page mapped for DMA ("page might be used for DMA!"). */
  if (hyp_page_dma_refs(hyp, hyp.vmemmap.idx(phys))) return -EBUSY;
  WARN_ON(host_stage2_set_owner_metadata_locked(hyp, phys, PAGE_SIZE, PKVM_ID_GUEST,
    host_stage2_encode_gfn_meta(vm, gfn)), 'guest_unshare_host: annotate');
  WARN_ON(kvm_pgtable_stage2_map(vm.pgt, ipa, PAGE_SIZE, phys,
    pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED), vcpu.pkvm_memcache, 0), 'guest_unshare_host: map');
  return 0;
}

/** __guest_check_transition_size(): one page, or one aligned last-but-one-level block. */
export function __guest_check_transition_size(phys: bigint, ipa: bigint, nr_pages: bigint): { ret: number; size: bigint } {
  if (nr_pages === 1n) return { ret: 0, size: PAGE_SIZE };
  const block_size = kvm_granule_size(KVM_PGTABLE_LAST_LEVEL - 1);
  if (nr_pages !== block_size / PAGE_SIZE) return { ret: -EINVAL, size: 0n };
  if (!IS_ALIGNED(phys | ipa, block_size)) return { ret: -EINVAL, size: 0n };
  return { ret: 0, size: block_size };
}

/** hyp_poison_page(): zero a guest page through this CPU's fixmap slot (EL2 maps guest pages nowhere else), and clean it to the PoC. */
const hyp_poison_page = (hyp: Pkvm, phys: bigint): void => {
  const va = hyp.mm.hyp_fixmap_map(phys);
  hyp.mm.memset0(va & ~0xfffn, 4096);
  hyp.mm.hyp_fixmap_unmap();
  kvm_flush_dcache_to_poc(hyp, phys, PAGE_SIZE);
};

function host_stage2_get_guest_info(hyp: Pkvm, phys: bigint): { ret: number; vm?: PkvmHypVm; gfn?: bigint } {
  if (!addr_is_memory(hyp, phys)) return { ret: -EFAULT };
  switch (hyp.vmemmap.get_host_state(hyp.vmemmap.idx(phys))) {
    case PKVM_PAGE_OWNED:
    case PKVM_PAGE_SHARED_OWNED:
    case PKVM_PAGE_SHARED_BORROWED:
      return { ret: -EAGAIN }; /* The access should no longer fault; try again. */
    case PKVM_NOPAGE:
      break;
    default:
      return { ret: -EPERM };
  }
  const { ret, pte, level } = kvm_pgtable_get_leaf(hyp.host_mmu.pgt, phys);
  if (ret) return { ret };
  if (WARN_ON(level !== KVM_PGTABLE_LAST_LEVEL, 'host annotation above page level')) return { ret: -EINVAL };
  return host_stage2_decode_gfn_meta(hyp, pte);
}

/** __pkvm_host_force_reclaim_page_guest(): take back a guest-owned page, leaving POISON behind. */
export function __pkvm_host_force_reclaim_page_guest(hyp: Pkvm, phys: bigint): number {
  phys &= PAGE_MASK;
  const info = host_stage2_get_guest_info(hyp, phys);
  if (info.ret) return info.ret;
  const vm = info.vm!;
  const ipa = hyp_pfn_to_phys(info.gfn!);
  const { ret, pte, phys: pa } = get_valid_guest_pte(hyp, vm, ipa);
  if (ret) return ret;
  WARN_ON(pa !== phys, 'force_reclaim: annotation and guest pte disagree');
  if (guest_get_page_state(pte) !== PKVM_PAGE_OWNED) return -EPERM;
  /* We really shouldn't be allocating, so don't pass a memcache */
  const r = kvm_pgtable_stage2_annotate(vm.pgt, ipa, PAGE_SIZE, null, KVM_GUEST_INVALID_PTE_TYPE_POISONED, 0n);
  if (r) return r;
  hyp_poison_page(hyp, phys);
  WARN_ON(host_stage2_set_owner_locked(hyp, phys, PAGE_SIZE, PKVM_ID_HOST), 'force_reclaim: host idmap');
  return 0;
}

/** __pkvm_host_reclaim_page_guest(): reclaim a page from a dying VM (owned pages are zeroed). */
export function __pkvm_host_reclaim_page_guest(hyp: Pkvm, gfn: bigint, vm: PkvmHypVm): number {
  const ipa = hyp_pfn_to_phys(gfn);
  const { ret, pte, phys } = get_valid_guest_pte(hyp, vm, ipa);
  if (ret) return ret === -EHWPOISON ? 0 : ret; /* already force-reclaimed: let the host drop its pin */
  switch (guest_get_page_state(pte)) {
    case PKVM_PAGE_OWNED:
      WARN_ON(__host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_NOPAGE), 'reclaim: host not NOPAGE');
      hyp_poison_page(hyp, phys);
      break;
    case PKVM_PAGE_SHARED_OWNED:
      WARN_ON(__host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_SHARED_BORROWED), 'reclaim: host not BORROWED');
      break;
    default:
      return -EPERM;
  }
  WARN_ON(kvm_pgtable_stage2_unmap(vm.pgt, ipa, PAGE_SIZE), 'reclaim: unmap');
  WARN_ON(host_stage2_set_owner_locked(hyp, phys, PAGE_SIZE, PKVM_ID_HOST), 'reclaim: host idmap');
  return 0;
}

/**
 * Whether the one-page path (mem-protect-page.ts: the same steps on the entries it changes, in
 * Numbers) takes this donation. (Number() rounds monotonically and the limits are powers of two:
 * below them a converted u64 is exact.)
 */
function donate_page_path_takes(pfn: number, gfn: number): boolean {
  return pgtable_page_path.enabled && pfn >= 0 && pfn < PAGE_PFN_LIMIT && gfn >= 0 && gfn < PAGE_GFN_LIMIT;
}

export function __pkvm_host_donate_guest(hyp: Pkvm, pfn: bigint, gfn: bigint, vcpu: PkvmHypVcpu): number {
  const pfnN = Number(pfn), gfnN = Number(gfn);
  if (donate_page_path_takes(pfnN, gfnN)) return __pkvm_host_donate_guest_page(hyp, pfnN, gfnN, vcpu);
  return __pkvm_host_donate_guest_walk(hyp, pfn, gfn, vcpu);
}

/** __pkvm_host_donate_guest() from the Number hypercall entry (pfn, gfn non-negative integers below 2^53). */
export function __pkvm_host_donate_guest_n(hyp: Pkvm, pfn: number, gfn: number, vcpu: PkvmHypVcpu): number {
  if (donate_page_path_takes(pfn, gfn)) return __pkvm_host_donate_guest_page(hyp, pfn, gfn, vcpu);
  return __pkvm_host_donate_guest_walk(hyp, BigInt(pfn), BigInt(gfn), vcpu);
}

/** __pkvm_host_donate_guest() through the generic walks, in u64. */
function __pkvm_host_donate_guest_walk(hyp: Pkvm, pfn: bigint, gfn: bigint, vcpu: PkvmHypVcpu): number {
  const vm = vcpu.vm;
  const phys = hyp_pfn_to_phys(pfn);
  const ipa = hyp_pfn_to_phys(gfn);
  let ret = __host_check_page_state_range(hyp, phys, PAGE_SIZE, PKVM_PAGE_OWNED);
  if (ret) return ret;
  ret = __guest_check_page_state_range(vm, ipa, PAGE_SIZE, PKVM_NOPAGE);
  if (ret) return ret;
  ret = __guest_check_memcache(vcpu);
  if (ret) return ret;
  WARN_ON(host_stage2_set_owner_metadata_locked(hyp, phys, PAGE_SIZE, PKVM_ID_GUEST,
    host_stage2_encode_gfn_meta(vm, gfn)), 'donate_guest: annotate');
  WARN_ON(kvm_pgtable_stage2_map(vm.pgt, ipa, PAGE_SIZE, phys,
    pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED), vcpu.pkvm_memcache, 0), 'donate_guest: map');
  return 0;
}

export function __pkvm_host_share_guest(
  hyp: Pkvm, pfn: bigint, gfn: bigint, nr_pages: bigint, vcpu: PkvmHypVcpu, prot: bigint,
): number {
  const vm = vcpu.vm;
  const vmemmap = hyp.vmemmap;
  const phys = hyp_pfn_to_phys(pfn);
  const ipa = hyp_pfn_to_phys(gfn);
  if (prot & ~KVM_PGTABLE_PROT_RWX) return -EINVAL;
  if (!pfn_range_is_valid(hyp, pfn, nr_pages)) return -EINVAL;
  const t = __guest_check_transition_size(phys, ipa, nr_pages);
  if (t.ret) return t.ret;
  const size = t.size;
  let ret = check_range_allowed_memory(hyp, phys, phys + size);
  if (ret) return ret;
  ret = __guest_check_page_state_range(vm, ipa, size, PKVM_NOPAGE);
  if (ret) return ret;
  for (let a = phys; a < phys + size; a += PAGE_SIZE) {
    const i = vmemmap.idx(a);
    const state = vmemmap.get_host_state(i);
    /* IOMMU hook (HOST_CHECK_NULL_REFCNT): an OWNED page mapped for DMA cannot be shared. */
    if (state === PKVM_PAGE_OWNED && hyp_page_dma_refs(hyp, i)) return -EINVAL;
    if (state === PKVM_PAGE_OWNED) continue;
    if (state === PKVM_PAGE_SHARED_OWNED) {
      if (vmemmap.shareCount(i) === U32_MAX) return -EBUSY;
      /* Only host to np-guest multi-sharing is tolerated */
      if (vmemmap.shareCount(i)) continue;
    }
    return -EPERM;
  }
  ret = __guest_check_memcache(vcpu);
  if (ret) return ret;
  for (let a = phys; a < phys + size; a += PAGE_SIZE) {
    const i = vmemmap.idx(a);
    vmemmap.set_host_state(i, PKVM_PAGE_SHARED_OWNED);
    vmemmap.setShareCount(i, vmemmap.shareCount(i) + 1);
  }
  WARN_ON(kvm_pgtable_stage2_map(vm.pgt, ipa, size, phys,
    pkvm_mkstate(prot, PKVM_PAGE_SHARED_BORROWED), vcpu.pkvm_memcache, 0), 'share_guest: map');
  return 0;
}

export function __check_host_shared_guest(hyp: Pkvm, vm: PkvmHypVm, ipa: bigint, size: bigint): { ret: number; phys: bigint } {
  const { ret, pte, level } = kvm_pgtable_get_leaf(vm.pgt, ipa);
  if (ret) return { ret, phys: 0n };
  if (!kvm_pte_valid(pte)) return { ret: -ENOENT, phys: 0n };
  if (size && kvm_granule_size(level) !== size) return { ret: -E2BIG, phys: 0n };
  if (!size) size = kvm_granule_size(level);
  if (guest_get_page_state(pte) !== PKVM_PAGE_SHARED_BORROWED) return { ret: -EPERM, phys: 0n };
  const phys = kvm_pte_to_phys(pte);
  const r = check_range_allowed_memory(hyp, phys, phys + size);
  if (WARN_ON(r, 'shared guest pte maps non-memory')) return { ret: r, phys };
  for (let a = phys; a < phys + size; a += PAGE_SIZE) {
    const i = hyp.vmemmap.idx(a);
    if (hyp.vmemmap.get_host_state(i) !== PKVM_PAGE_SHARED_OWNED) return { ret: -EPERM, phys: 0n };
    if (WARN_ON(!hyp.vmemmap.shareCount(i), 'share count underflow')) return { ret: -EINVAL, phys: 0n };
  }
  return { ret: 0, phys };
}

export function __pkvm_host_unshare_guest(hyp: Pkvm, gfn: bigint, nr_pages: bigint, vm: PkvmHypVm): number {
  const ipa = hyp_pfn_to_phys(gfn);
  const t = __guest_check_transition_size(0n, ipa, nr_pages);
  if (t.ret) return t.ret;
  const c = __check_host_shared_guest(hyp, vm, ipa, t.size);
  if (c.ret) return c.ret;
  const ret = kvm_pgtable_stage2_unmap(vm.pgt, ipa, t.size);
  if (ret) return ret;
  for (let a = c.phys; a < c.phys + t.size; a += PAGE_SIZE) {
    const i = hyp.vmemmap.idx(a);
    hyp.vmemmap.setShareCount(i, hyp.vmemmap.shareCount(i) - 1);
    if (!hyp.vmemmap.shareCount(i)) hyp.vmemmap.set_host_state(i, PKVM_PAGE_OWNED);
  }
  return 0;
}
