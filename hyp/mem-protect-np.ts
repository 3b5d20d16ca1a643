/**
 * Stage-2 maintenance the host may request on pages it shares with
 * non-protected guests (mem_protect.c): permission relaxation, write
 * protection and access-flag ageing. Refused for protected VMs.
 */
import type { Pkvm } from './index';
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import { EINVAL, ENOENT, EPERM, WARN_ON } from './page-state';
import { KVM_PGTABLE_PROT_RWX, hyp_pfn_to_phys } from './pgtable-defs';
import {
  kvm_pgtable_stage2_mkyoung, kvm_pgtable_stage2_relax_perms, kvm_pgtable_stage2_test_clear_young,
  kvm_pgtable_stage2_wrprotect,
} from './pgtable-stage2';
import { __check_host_shared_guest, __guest_check_transition_size } from './mem-protect-guest';

/** CONFIG_NVHE_EL2_DEBUG: the page must be a host share (or unmapped). */
function assert_host_shared_guest(hyp: Pkvm, vm: PkvmHypVm, ipa: bigint, size: bigint): void {
  if (!hyp.debug) return;
  const { ret } = __check_host_shared_guest(hyp, vm, ipa, size);
  WARN_ON(ret && ret !== -ENOENT, `assert_host_shared_guest: ${ret}`);
}

export function __pkvm_host_relax_perms_guest(hyp: Pkvm, gfn: bigint, vcpu: PkvmHypVcpu, prot: bigint): number {
  const vm = vcpu.vm;
  const ipa = hyp_pfn_to_phys(gfn);
  if (vm.is_protected) return -EPERM;
  if (prot & ~KVM_PGTABLE_PROT_RWX) return -EINVAL;
  assert_host_shared_guest(hyp, vm, ipa, 0n);
  return kvm_pgtable_stage2_relax_perms(vm.pgt, ipa, prot, 0);
}

export function __pkvm_host_wrprotect_guest(hyp: Pkvm, gfn: bigint, nr_pages: bigint, vm: PkvmHypVm): number {
  const ipa = hyp_pfn_to_phys(gfn);
  if (vm.is_protected) return -EPERM;
  const t = __guest_check_transition_size(0n, ipa, nr_pages);
  if (t.ret) return t.ret;
  assert_host_shared_guest(hyp, vm, ipa, t.size);
  return kvm_pgtable_stage2_wrprotect(vm.pgt, ipa, t.size);
}

export function __pkvm_host_test_clear_young_guest(
  hyp: Pkvm, gfn: bigint, nr_pages: bigint, mkold: boolean, vm: PkvmHypVm,
): number {
  const ipa = hyp_pfn_to_phys(gfn);
  if (vm.is_protected) return -EPERM;
  const t = __guest_check_transition_size(0n, ipa, nr_pages);
  if (t.ret) return t.ret;
  assert_host_shared_guest(hyp, vm, ipa, t.size);
  return kvm_pgtable_stage2_test_clear_young(vm.pgt, ipa, t.size, mkold) ? 1 : 0;
}

export function __pkvm_host_mkyoung_guest(hyp: Pkvm, gfn: bigint, vcpu: PkvmHypVcpu): number {
  const vm = vcpu.vm;
  const ipa = hyp_pfn_to_phys(gfn);
  if (vm.is_protected) return -EPERM;
  assert_host_shared_guest(hyp, vm, ipa, 0n);
  kvm_pgtable_stage2_mkyoung(vm.pgt, ipa, 0);
  return 0;
}
