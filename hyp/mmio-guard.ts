/**
 * MMIO guard: a guest says which of its IPA granules are MMIO it expects the VMM to emulate
 * (MMIO_GUARD_MAP / _UNMAP, per 4 KiB granule, after MMIO_GUARD_ENROLL), and EL2 refuses every other
 * access outside the guest's memory: the host never sees it, the guest takes a synchronous external
 * abort.
 *
 * The pinned v7.1 series has no MMIO guard; this follows Android's pKVM (pkvm_install_ioguard_page(),
 * __pkvm_check_ioguard_page(), handle_pvm_exit_dabt() in android14-6.1) and PKVM-REFERENCE.md:
 * - every protected VM is enrolled from creation (as pvmfw's auto-enrolment); a non-protected VM
 *   is enrolled once it calls MMIO_GUARD_ENROLL (see guest-hvc.ts for why EL2 handles that);
 * - MAP takes x1 = granule-aligned IPA, x2 = attributes (ignored, as upstream), x3 = 0; UNMAP
 *   x1 = IPA, x3 = 0. A granule inside the guest's memory or mapped in its stage-2 cannot be
 *   guarded; unmapping an unguarded granule fails. Failures are INVALID_PARAMETER.
 * - at a guest data abort outside memory (the VMM's declared memory range, HOST_KVM_GUEST_MEM_*)
 *   on an enrolled VM, an access not inside guarded granules gets a synchronous external abort
 *   injected by EL2 (trace kind 'guard') and no exit (kvm_handle_guest_dabt()).
 * - when EL2 cannot tell memory from MMIO (no range declared) or a custom trap handler forwards the
 *   abort, the exit goes to the host with ESR.ISV cleared unless the access is guarded
 *   (__pkvm_check_ioguard_page() in sync_hyp_vcpu): the host cannot emulate it and asks for the
 *   abort with HOST_REQ_INJECT_SEA, which flush_hyp_vcpu applies (Android's path).
 *
 * Deviation: Android records guarded granules as annotated invalid PTEs in the guest stage-2 (so a
 * guarded IPA can never be donated); here they are a set in the hyp's VM record, and the stage-2 is
 * only consulted when a granule is mapped.
 */
import { SR } from '../machine/core';
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import { newCpuContext } from './hyp-vm';
import { EINVAL } from './page-state';
import { PAGE_SIZE } from './pgtable-defs';
import { kvm_pgtable_get_leaf } from './pgtable';
import { SMCCC_RET_INVALID_PARAMETER, SMCCC_RET_SUCCESS } from './smccc';
import { injectDataSea } from './inject';
import { faultIpa } from './host-trap';
import { smccc_get_arg, smccc_set_retval, vcpuName, type GuestTrapEnv } from './guest-hvc';

/** The MMIO guard granule (MMIO_GUARD_INFO): the page size. */
export const MMIO_GUARD_GRANULE = PAGE_SIZE;
const ISV = 1n << 24n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** __pkvm_init_vm(): the guest memory range the VMM declared (page aligned, no wrap; else none). */
export function pkvm_init_guest_mem(vm: PkvmHypVm, base: bigint, size: bigint): void {
  const ok = size > 0n && !((base | size) & (PAGE_SIZE - 1n)) && base + size <= 1n << 52n;
  vm.mem_ipa = ok ? { base, size } : { base: 0n, size: 0n };
}

/** true/false: inside/outside the guest's declared memory; null: no memory range was declared. */
export function ipa_is_guest_memory(vm: PkvmHypVm, ipa: bigint): boolean | null {
  if (vm.mem_ipa.size === 0n) return null;
  return ipa >= vm.mem_ipa.base && ipa < vm.mem_ipa.base + vm.mem_ipa.size;
}

/** Inside the guest's IPA space (VTCR_EL2.T0SZ). */
export function ipa_in_guest_space(vm: PkvmHypVm, ipa: bigint): boolean {
  return ipa >= 0n && ipa < 1n << BigInt(vm.pgt.ia_bits);
}

/** Accesses outside memory are checked against the guard (KVM_ARCH_FLAG_MMIO_GUARD). */
export function mmio_guard_enforced(vm: PkvmHypVm): boolean {
  return vm.mmio_guard.enrolled;
}

const granule = (ipa: bigint): bigint => ipa & ~(MMIO_GUARD_GRANULE - 1n);

/** __check_ioguard_page() over [ipa, ipa + size): every granule touched is guarded. */
export function __check_ioguard_range(vm: PkvmHypVm, ipa: bigint, size: bigint): boolean {
  return vm.mmio_guard.granules.has(granule(ipa)) && vm.mmio_guard.granules.has(granule(ipa + size - 1n));
}

/** __pkvm_install_ioguard_page(): 0 or -EINVAL. */
export function __pkvm_install_ioguard_page(vcpu: PkvmHypVcpu, ipa: bigint): number {
  const vm = vcpu.vm;
  if (!mmio_guard_enforced(vm)) return -EINVAL;
  if (ipa & (MMIO_GUARD_GRANULE - 1n) || !ipa_in_guest_space(vm, ipa)) return -EINVAL;
  /* Memory is not MMIO: neither the declared range nor anything mapped (or poisoned) at stage 2. */
  if (ipa_is_guest_memory(vm, ipa)) return -EINVAL;
  const { ret, pte } = kvm_pgtable_get_leaf(vm.pgt, ipa);
  if (ret || pte) return -EINVAL;
  vm.mmio_guard.granules.add(ipa);
  return 0;
}

/** __pkvm_remove_ioguard_page(): 0 or -EINVAL (not enrolled, unaligned, not guarded). */
export function __pkvm_remove_ioguard_page(vcpu: PkvmHypVcpu, ipa: bigint): number {
  const vm = vcpu.vm;
  if (!mmio_guard_enforced(vm)) return -EINVAL;
  if (ipa & (MMIO_GUARD_GRANULE - 1n)) return -EINVAL;
  return vm.mmio_guard.granules.delete(ipa) ? 0 : -EINVAL;
}

/** MMIO_GUARD_ENROLL (x1..x3 = 0). */
export function pkvm_mmio_guard_enroll(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  if (smccc_get_arg(env, 1) || smccc_get_arg(env, 2) || smccc_get_arg(env, 3)) {
    smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
    return true;
  }
  if (!vcpu.vm.mmio_guard.enrolled) env.trace.emit('guard', `${vcpuName(vcpu)}: MMIO guard enrolled`);
  vcpu.vm.mmio_guard.enrolled = true;
  smccc_set_retval(env, SMCCC_RET_SUCCESS);
  return true;
}

/** pkvm_install_ioguard_page(): MMIO_GUARD_MAP x1 = IPA, x2 = attributes, x3 = 0. */
export function pkvm_install_ioguard_page(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const ipa = smccc_get_arg(env, 1);
  const ok = !smccc_get_arg(env, 3) && !__pkvm_install_ioguard_page(vcpu, ipa);
  smccc_set_retval(env, ok ? SMCCC_RET_SUCCESS : SMCCC_RET_INVALID_PARAMETER);
  if (ok) env.trace.emit('guard', `${vcpuName(vcpu)}: MMIO guard map ${hex(ipa)}`);
  return true;
}

/** pkvm_remove_ioguard_page(): MMIO_GUARD_UNMAP x1 = IPA, x3 = 0. */
export function pkvm_remove_ioguard_page(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const ipa = smccc_get_arg(env, 1);
  const ok = !smccc_get_arg(env, 3) && !__pkvm_remove_ioguard_page(vcpu, ipa);
  smccc_set_retval(env, ok ? SMCCC_RET_SUCCESS : SMCCC_RET_INVALID_PARAMETER);
  if (ok) env.trace.emit('guard', `${vcpuName(vcpu)}: MMIO guard unmap ${hex(ipa)}`);
  return true;
}

/** Size in bytes of the access a data abort syndrome describes (1 when ISV is clear: unknown). */
const dabt_access_size = (esr: bigint): bigint => ((esr & ISV) ? 1n << ((esr >> 22n) & 3n) : 1n);

/**
 * __pkvm_check_ioguard_page() for the exit of a protected vCPU's data abort: may the host emulate it
 * (and see its data register)? Not without a valid syndrome; always when not enrolled; otherwise
 * only if every granule the access touches is guarded.
 */
export function __pkvm_check_ioguard_page(vcpu: PkvmHypVcpu): boolean {
  const esr = vcpu.fault.esr_el2;
  if (!(esr & ISV)) return false;
  const vm = vcpu.vm;
  if (!mmio_guard_enforced(vm)) return true;
  const ipa = faultIpa(vcpu.fault.hpfar_el2, vcpu.fault.far_el2);
  return __check_ioguard_range(vm, ipa, dabt_access_size(esr));
}

/**
 * The synchronous external abort on a data access at `far`, injected into the guest while it is
 * trapped at EL2: ESR_EL1/FAR_EL1/ELR_EL1/SPSR_EL1 on the core, and ELR_EL2/SPSR_EL2 pointing at its
 * EL1 vector, so the world switch's ERET enters the guest's handler.
 */
export function inject_dabt_sea_now(env: GuestTrapEnv, far: bigint, isWrite: boolean): void {
  const c = env.core;
  const ctxt = newCpuContext();
  ctxt.pc = c.sysreg(SR.ELR_EL2);
  ctxt.pstate = c.sysreg(SR.SPSR_EL2);
  ctxt.sys_regs.VBAR_EL1 = c.sysreg(SR.VBAR_EL1);
  injectDataSea(ctxt, far, isWrite);
  c.setSysreg(SR.ESR_EL1, ctxt.sys_regs.ESR_EL1);
  c.setSysreg(SR.FAR_EL1, ctxt.sys_regs.FAR_EL1);
  c.setSysreg(SR.ELR_EL1, ctxt.sys_regs.ELR_EL1);
  c.setSysreg(SR.SPSR_EL1, ctxt.sys_regs.SPSR_EL1);
  c.setSysreg(SR.ELR_EL2, ctxt.pc);
  c.setSysreg(SR.SPSR_EL2, ctxt.pstate);
}

/**
 * A guest data abort at EL2: true when EL2 dealt with it (an access outside memory and outside the
 * guard of an enrolled VM: SEA injected, nothing reaches the host), false to exit to the host
 * (memory fault, guarded MMIO, or a VM that is not enrolled).
 */
export function kvm_handle_guest_dabt(env: GuestTrapEnv, vcpu: PkvmHypVcpu, esr: bigint): boolean {
  const vm = vcpu.vm;
  const ipa = faultIpa(vcpu.fault.hpfar_el2, vcpu.fault.far_el2);
  if (ipa_is_guest_memory(vm, ipa) !== false) return false;
  if (!mmio_guard_enforced(vm)) return false;
  if (__check_ioguard_range(vm, ipa, dabt_access_size(esr))) return false;
  const isWrite = ((esr >> 6n) & 1n) === 1n;
  inject_dabt_sea_now(env, vcpu.fault.far_el2, isWrite);
  env.trace.emit('guard', `${vcpuName(vcpu)}: ${isWrite ? 'write to' : 'read of'} IPA ${hex(ipa)} outside memory and the MMIO guard: synchronous external abort injected`);
  return true;
}
