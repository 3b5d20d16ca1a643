/**
 * A protected guest's page states (arch/arm64/kvm/hyp/nvhe/mem_protect.c): kept in its stage-2,
 * SW0/SW1 of a valid PTE, NOPAGE for an invalid one, POISON for an invalid PTE of type
 * KVM_GUEST_INVALID_PTE_TYPE_POISONED; and the memcache check before a guest stage-2 map. (Out of
 * mem-protect-guest.ts so that the one-page donation, mem-protect-page.ts, uses them without an
 * import cycle; mem-protect-guest.ts re-exports them.)
 */
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import { ENOMEM, EPERM, PKVM_NOPAGE, PKVM_POISON } from './page-state';
import { kvm_mmu_cache_min_pages } from './vtcr';
import {
  KVM_GUEST_INVALID_PTE_POISONED, KVM_PGTABLE_WALK_LEAF, kvm_pte_type_is, kvm_pte_valid, pkvm_getstate,
} from './pgtable-defs';
import { kvm_pgtable_walk, kvm_read_pte_hi, kvm_read_pte_lo, type KvmPgtableWalker } from './pgtable';
import { kvm_pgtable_stage2_pte_prot } from './pgtable-stage2';

export function guest_pte_is_poisoned(pte: bigint): boolean {
  /* FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte) == KVM_GUEST_INVALID_PTE_TYPE_POISONED */
  return !kvm_pte_valid(pte) && kvm_pte_type_is(pte, KVM_GUEST_INVALID_PTE_POISONED);
}

export function guest_get_page_state(pte: bigint): number {
  if (guest_pte_is_poisoned(pte)) return PKVM_POISON;
  if (!kvm_pte_valid(pte)) return PKVM_NOPAGE;
  return pkvm_getstate(kvm_pgtable_stage2_pte_prot(pte));
}

/**
 * guest_get_page_state() of the descriptor at ptep, from its two words: POISON for an invalid entry
 * of type KVM_GUEST_INVALID_PTE_TYPE_POISONED (bits 63:60 = 3), NOPAGE for any other invalid one,
 * else pkvm_getstate() of its prot: the software bits 56:55 (bits 24:23 of the high word).
 */
export function guest_get_page_state_at(vm: PkvmHypVm, ptep: number): number {
  const mem = vm.pgt.mem;
  const hi = kvm_read_pte_hi(mem, ptep);
  if ((kvm_read_pte_lo(mem, ptep) & 1) === 0) return hi >>> 28 === 3 ? PKVM_POISON : PKVM_NOPAGE;
  return (hi >>> 23) & 3;
}

/* The walker of __guest_check_page_state_range (one object: the state it wants is passed beside it). */
let guestCheckState = 0;
const guestCheckWalker: KvmPgtableWalker = {
  flags: KVM_PGTABLE_WALK_LEAF,
  cb: (ctx) => (guest_get_page_state(ctx.old) === guestCheckState ? 0 : -EPERM),
};

export function __guest_check_page_state_range(vm: PkvmHypVm, addr: bigint, size: bigint, state: number): number {
  guestCheckState = state;
  return kvm_pgtable_walk(vm.pgt, addr, size, guestCheckWalker);
}

/**
 * Checked after the state checks, right before the first change. The vCPU memcache must hold
 * enough pages for the stage-2 map: the map
 * below cannot be allowed to fail once the host side is updated (it would WARN, a hyp_panic), and
 * the memcache is filled by the untrusted host (kvm_mmu_cache_min_pages(), -ENOMEM).
 */
export function __guest_check_memcache(vcpu: PkvmHypVcpu): number {
  return vcpu.pkvm_memcache.nr_pages < kvm_mmu_cache_min_pages(vcpu.vm.mmu.vtcr) ? -ENOMEM : 0;
}
