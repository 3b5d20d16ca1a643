/**
 * Guest hypercalls handled at EL2 (nvhe/pkvm.c kvm_handle_pvm_hvc64() / kvm_hyp_handle_hvc64(), and
 * the exit handler tables of nvhe/switch.c that call them): SMCCC discovery, the KVM vendor-hyp
 * services (HYP_MEMINFO, MEM_SHARE, MEM_UNSHARE, MEM_RELINQUISH, MMIO guard) and, for protected VMs,
 * PSCI (guest-psci.ts).
 *
 * The guest is still trapped at EL2 when these run: its x0..x30 are live on the core and its PC/PSTATE
 * are ELR_EL2/SPSR_EL2. A handler either answers in x0..x3 and returns true (the world switch ERETs
 * back into the guest, past the HVC) or returns false: the exit goes to the host, which sees only what
 * vcpu-sync.ts publishes for it (for a guest hypercall the host only needs to know of, the kind and
 * IPA in HOST_VCPU_EXIT_HCALL / _ARG).
 *
 * Upstream vs Android: the newest upstream kvm_handle_pvm_hvc64() answers FEATURES, HYP_MEMINFO,
 * MEM_SHARE (pkvm_memshare_call(), __pkvm_guest_share_host()) and MEM_UNSHARE
 * (pkvm_memunshare_call(), __pkvm_guest_unshare_host()) at EL2 and returns to the guest; everything
 * else (SMCCC discovery, PSCI, MEM_RELINQUISH) is punted to the host, and there is no MMIO guard.
 * (An older stored copy of pkvm.c, before the protected-guest series, handles MEM_SHARE only; the
 * newest tree has both MEM_SHARE and MEM_UNSHARE.) That is the default ABI
 * (HostedEl2Options.guestHvcAbi = 'upstream', guest-hvc-upstream.ts; scenario key
 * machine.guest_hvc_abi, CLI `--guest-hvc-abi`). This file is the board option 'android': Android's
 * tree (android14-6.1 pkvm.c) beyond that: SMCCC_VERSION and the vendor UID at EL2,
 * MEM_RELINQUISH, the MMIO guard (mmio-guard.ts, every protected VM enrolled from creation) and PSCI
 * for protected vCPUs (guest-psci.ts), with unknown ids answered NOT_SUPPORTED at EL2 rather than
 * forwarded. Share, unshare and relinquish are carried out at EL2 and then reported to the host by
 * an exit (Android's "now tell the host"), where upstream returns straight to the guest.
 *
 * Non-protected VMs (Android): EL2 handles only HYP_MEMINFO and MEM_RELINQUISH
 * (kvm_hyp_handle_hvc64()); everything else, SMCCC discovery included, is the host KVM's to answer
 * (host-kernel-model/vcpu-run.ts). Deviation: the MMIO guard calls of a non-protected VM are handled
 * here too (Android leaves them to the host), so that one guard, enforced at EL2, covers both kinds.
 * Upstream's hyp_exit_handlers[] have no HVC64 entry: under the default ABI every HVC of a
 * non-protected guest goes to the host.
 */
import { SR, type Core } from '../machine/core';
import type { Pkvm } from './index';
import type { PkvmHypVcpu } from './hyp-vm';
import type { Trace } from './trace';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_RELINQUISH_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_ENROLL_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_INFO_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_MAP_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_UNMAP_FUNC_ID,
  SMCCC_RET_INVALID_PARAMETER, SMCCC_RET_NOT_REQUIRED, SMCCC_RET_NOT_SUPPORTED, SMCCC_RET_SUCCESS, U64,
} from './smccc';
import { E2BIG, EHWPOISON, EINVAL, ENOENT, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED, PKVM_PAGE_SHARED_OWNED } from './page-state';
import { KVM_PGTABLE_LAST_LEVEL, PAGE_SIZE, hyp_phys_to_pfn, kvm_pte_to_phys, kvm_pte_valid } from './pgtable-defs';
import { kvm_pgtable_get_leaf } from './pgtable';
import {
  __pkvm_guest_share_host, __pkvm_guest_unshare_host, __pkvm_host_reclaim_page_guest, __pkvm_host_unshare_guest,
  guest_get_page_state, guest_pte_is_poisoned,
} from './mem-protect-guest';
import { HOST_EXIT_HCALL_MEM_RELINQUISH, HOST_EXIT_HCALL_MEM_SHARE, HOST_EXIT_HCALL_MEM_UNSHARE } from './host-abi';
import { ESR_EC, EC_DABT_LOW, EC_HVC64, EC_SYS64 } from './world-switch';
import { kvm_handle_pvm_sysreg } from './pvm-sys-regs';
import { ipa_in_guest_space, ipa_is_guest_memory, kvm_handle_guest_dabt, pkvm_install_ioguard_page, pkvm_mmio_guard_enroll, pkvm_remove_ioguard_page } from './mmio-guard';
import { pkvm_handle_psci } from './guest-psci';
import { kvm_handle_guest_hvc_np_upstream, kvm_handle_pvm_hvc64_upstream } from './guest-hvc-upstream';

/* SMCCC (DEN0028) and the KVM vendor-hyp service (include/linux/arm-smccc.h). */
export const ARM_SMCCC_VERSION_FUNC_ID = 0x8000_0000;
export const ARM_SMCCC_ARCH_FEATURES_FUNC_ID = 0x8000_0001;
export const ARM_SMCCC_ARCH_WORKAROUND_1 = 0x8000_8000;
export const ARM_SMCCC_ARCH_WORKAROUND_2 = 0x8000_7fff;
export const ARM_SMCCC_ARCH_WORKAROUND_3 = 0x8000_3fff;
export const ARM_SMCCC_VERSION_1_1 = 0x10001n;
export const ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID = 0x8600_ff01;
export const ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID = 0x8600_0000;
/* KVM's vendor-hyp UID 28b46fb6-2ec5-11e9-a9ca-4b564d003a74, as returned in w0..w3. */
export const ARM_SMCCC_VENDOR_HYP_UID_KVM = [0xb66fb428n, 0xe911c52en, 0x564bcaa9n, 0x743a004dn] as const;
/* Bit numbers of the ARM_SMCCC_VENDOR_HYP_KVM_FEATURES bitmap (= the function numbers). */
export const ARM_SMCCC_KVM_FUNC_FEATURES = 0;
export const ARM_SMCCC_KVM_FUNC_PTP = 1;
export const ARM_SMCCC_KVM_FUNC_HYP_MEMINFO = 2;
export const ARM_SMCCC_KVM_FUNC_MEM_SHARE = 3;
export const ARM_SMCCC_KVM_FUNC_MEM_UNSHARE = 4;
export const ARM_SMCCC_KVM_FUNC_MMIO_GUARD_INFO = 5;
export const ARM_SMCCC_KVM_FUNC_MMIO_GUARD_ENROLL = 6;
export const ARM_SMCCC_KVM_FUNC_MMIO_GUARD_MAP = 7;
export const ARM_SMCCC_KVM_FUNC_MMIO_GUARD_UNMAP = 8;
export const ARM_SMCCC_KVM_FUNC_MEM_RELINQUISH = 9;
const BIT = (n: number): bigint => 1n << BigInt(n);
const MMIO_GUARD_BITS = BIT(ARM_SMCCC_KVM_FUNC_MMIO_GUARD_INFO) | BIT(ARM_SMCCC_KVM_FUNC_MMIO_GUARD_ENROLL) |
  BIT(ARM_SMCCC_KVM_FUNC_MMIO_GUARD_MAP) | BIT(ARM_SMCCC_KVM_FUNC_MMIO_GUARD_UNMAP);
/** What a protected guest is told by ARM_SMCCC_VENDOR_HYP_KVM_FEATURES (answered at EL2). */
export const ARM_SMCCC_KVM_PVM_FEATURES = BIT(ARM_SMCCC_KVM_FUNC_FEATURES) | BIT(ARM_SMCCC_KVM_FUNC_HYP_MEMINFO) |
  BIT(ARM_SMCCC_KVM_FUNC_MEM_SHARE) | BIT(ARM_SMCCC_KVM_FUNC_MEM_UNSHARE) | MMIO_GUARD_BITS |
  BIT(ARM_SMCCC_KVM_FUNC_MEM_RELINQUISH);
/** What the host KVM tells a non-protected guest: the EL2 services open to it (no share/unshare). */
export const ARM_SMCCC_KVM_NPVM_FEATURES = BIT(ARM_SMCCC_KVM_FUNC_FEATURES) | BIT(ARM_SMCCC_KVM_FUNC_HYP_MEMINFO) |
  MMIO_GUARD_BITS | BIT(ARM_SMCCC_KVM_FUNC_MEM_RELINQUISH);

const fid = (id: bigint): number => Number(id & 0xffff_ffffn);
const HYP_MEMINFO = fid(ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID);
const MEM_SHARE = fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID);
const MEM_UNSHARE = fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID);
const MMIO_GUARD_INFO = fid(ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_INFO_FUNC_ID);
const MMIO_GUARD_ENROLL = fid(ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_ENROLL_FUNC_ID);
const MMIO_GUARD_MAP = fid(ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_MAP_FUNC_ID);
const MMIO_GUARD_UNMAP = fid(ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_UNMAP_FUNC_ID);
const MEM_RELINQUISH = fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_RELINQUISH_FUNC_ID);

/** What a guest trap handler at EL2 works with: the hyp, the core the guest is trapped on, the trace. */
export interface GuestTrapEnv {
  readonly pkvm: Pkvm; readonly core: Core; readonly trace: Trace;
  /** The guest hypercall ABI: Android's tree (this file; the default when unset here) or upstream's (guest-hvc-upstream.ts; HostedEl2's default). */
  readonly guestHvcAbi?: 'android' | 'upstream';
}

/* The trapped guest's registers (live on the core) and its SMCCC frame. */
export function vcpu_get_reg(env: GuestTrapEnv, i: number): bigint { return i === 31 ? 0n : env.core.getX(i); }
export function vcpu_set_reg(env: GuestTrapEnv, i: number, v: bigint): void { if (i !== 31) env.core.setX(i, U64(v)); }
export function smccc_get_function(env: GuestTrapEnv): number { return fid(env.core.getX(0)); }
export function smccc_get_arg(env: GuestTrapEnv, n: 1 | 2 | 3): bigint { return env.core.getX(n); }
export function smccc_set_retval(env: GuestTrapEnv, a0: bigint | number, a1: bigint | number = 0n, a2: bigint | number = 0n, a3: bigint | number = 0n): void {
  [a0, a1, a2, a3].forEach((v, i) => env.core.setX(i, U64(v)));
}

export const vcpuName = (vcpu: PkvmHypVcpu): string => `vm 0x${vcpu.vm.handle.toString(16)} vcpu ${vcpu.vcpu_idx}`;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * The hyp's guest trap handler (HostedEl2's default handleGuestTrap): the exit handler table of
 * nvhe/switch.c for the exception classes EL2 handles itself. 'resume' = back into the guest.
 */
export function pkvm_handle_guest_trap(env: GuestTrapEnv, vcpu: PkvmHypVcpu, esr: bigint): 'resume' | 'exit' {
  vcpu.exit_hcall = null;
  switch (ESR_EC(esr)) {
    case EC_HVC64:
      if (env.guestHvcAbi === 'upstream') {
        return (vcpu.vm.is_protected ? kvm_handle_pvm_hvc64_upstream(env, vcpu) : kvm_handle_guest_hvc_np_upstream(env, vcpu)) ? 'resume' : 'exit';
      }
      return (vcpu.vm.is_protected ? kvm_handle_pvm_hvc64(env, vcpu) : kvm_hyp_handle_hvc64(env, vcpu)) ? 'resume' : 'exit';
    case EC_DABT_LOW:
      return kvm_handle_guest_dabt(env, vcpu, esr) ? 'resume' : 'exit';
    case EC_SYS64:
      /* kvm_handle_pvm_sysreg(): a protected guest's trapped MSR/MRS (pvm-sys-regs.ts). */
      if (!vcpu.vm.is_protected) return 'exit';
      return kvm_handle_pvm_sysreg(env.core, vcpu, esr, env.pkvm.idRegs) ? 'resume' : 'exit';
    default:
      return 'exit';
  }
}

/** SMCCC_ARCH_FEATURES(x1): the Arm Architecture Service calls this hyp implements. */
export function smccc_arch_features(feature: bigint): bigint {
  switch (fid(feature)) {
    case ARM_SMCCC_VERSION_FUNC_ID:
    case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
      return U64(SMCCC_RET_SUCCESS);
    /* The emulated core does not speculate: the Spectre workarounds are not required. */
    case ARM_SMCCC_ARCH_WORKAROUND_1:
    case ARM_SMCCC_ARCH_WORKAROUND_2:
    case ARM_SMCCC_ARCH_WORKAROUND_3:
      return U64(SMCCC_RET_NOT_REQUIRED);
    default:
      return U64(SMCCC_RET_NOT_SUPPORTED);
  }
}

/**
 * kvm_handle_pvm_hvc64(): HVCs of a protected guest. True: handled, back to the guest. False: the
 * exit goes to the host (a PSCI call it must act on, or a share/unshare/relinquish it must learn of).
 */
export function kvm_handle_pvm_hvc64(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const val: bigint[] = [U64(SMCCC_RET_NOT_SUPPORTED), 0n, 0n, 0n];
  switch (smccc_get_function(env)) {
    case ARM_SMCCC_VERSION_FUNC_ID:
      /* Nothing to be handled by the host. Go back to the guest. */
      val[0] = ARM_SMCCC_VERSION_1_1;
      break;
    case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
      val[0] = smccc_arch_features(smccc_get_arg(env, 1));
      break;
    case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
      ARM_SMCCC_VENDOR_HYP_UID_KVM.forEach((w, i) => (val[i] = w));
      break;
    case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
      val[0] = ARM_SMCCC_KVM_PVM_FEATURES;
      break;
    case MMIO_GUARD_ENROLL:
      return pkvm_mmio_guard_enroll(env, vcpu);
    case MMIO_GUARD_MAP:
      return pkvm_install_ioguard_page(env, vcpu);
    case MMIO_GUARD_UNMAP:
      return pkvm_remove_ioguard_page(env, vcpu);
    case MMIO_GUARD_INFO:
    case HYP_MEMINFO:
      return pkvm_meminfo_call(env);
    case MEM_SHARE:
      return pkvm_memshare_call(env, vcpu);
    case MEM_UNSHARE:
      return pkvm_memunshare_call(env, vcpu);
    case MEM_RELINQUISH:
      return pkvm_memrelinquish_call(env, vcpu);
    default:
      return pkvm_handle_psci(env, vcpu);
  }
  smccc_set_retval(env, val[0]!, val[1], val[2], val[3]);
  return true;
}

/** kvm_hyp_handle_hvc64(): HVCs of a non-protected guest EL2 takes itself; the rest go to the host. */
export function kvm_hyp_handle_hvc64(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  switch (smccc_get_function(env)) {
    case HYP_MEMINFO:
    case MMIO_GUARD_INFO:
      return pkvm_meminfo_call(env);
    case MEM_RELINQUISH:
      return pkvm_memrelinquish_call(env, vcpu);
    case MMIO_GUARD_ENROLL:
      return pkvm_mmio_guard_enroll(env, vcpu);
    case MMIO_GUARD_MAP:
      return pkvm_install_ioguard_page(env, vcpu);
    case MMIO_GUARD_UNMAP:
      return pkvm_remove_ioguard_page(env, vcpu);
  }
  return false;
}

/** pkvm_meminfo_call() (also MMIO_GUARD_INFO): the protection granule, x1..x3 reserved (0). */
export function pkvm_meminfo_call(env: GuestTrapEnv): boolean {
  if (smccc_get_arg(env, 1) || smccc_get_arg(env, 2) || smccc_get_arg(env, 3))
    smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
  else smccc_set_retval(env, PAGE_SIZE);
  return true;
}

/** A guest IPA argument EL2 accepts: page aligned, inside the IPA space, not outside declared memory. */
function guest_ipa_ok(vcpu: PkvmHypVcpu, ipa: bigint): boolean {
  return (ipa & (PAGE_SIZE - 1n)) === 0n && ipa_in_guest_space(vcpu.vm, ipa) && ipa_is_guest_memory(vcpu.vm, ipa) !== false;
}

/**
 * __pkvm_memshare_page_req(): the page to share is not mapped yet. Make the HVC look like a stage-2
 * write translation fault (level 3) on that IPA with ELR_EL2 rewound to the HVC: the host maps the
 * page (donates it) and the guest's HVC runs again.
 */
export function __pkvm_memshare_page_req(env: GuestTrapEnv, vcpu: PkvmHypVcpu, ipa: bigint): void {
  const ESR_ELx_WNR = 1n << 6n, ESR_ELx_FSC_FAULT = 0x04n, FSC_LEVEL_3 = 3n;
  vcpu.fault = {
    esr_el2: (BigInt(EC_DABT_LOW) << 26n) | ESR_ELx_WNR | ESR_ELx_FSC_FAULT | FSC_LEVEL_3,
    /* Shuffle the IPA around into the HPFAR (FIPA, bits 43:4 = IPA[55:12]) */
    hpfar_el2: (ipa >> 8n) & 0xffff_ffff_fff0n,
    /* This is a virtual address. 0's good. Let's go with 0. */
    far_el2: 0n,
  };
  /* Rewind the ELR so we return to the HVC once the IPA is mapped */
  env.core.setSysreg(SR.ELR_EL2, env.core.sysreg(SR.ELR_EL2) - 4n);
}

/** pkvm_memshare_call(): MEM_SHARE x1 = IPA (x2, x3 = 0): guest OWNED → SHARED_OWNED, host borrows it. */
export function pkvm_memshare_call(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const ipa = smccc_get_arg(env, 1);
  if (smccc_get_arg(env, 2) || smccc_get_arg(env, 3) || !guest_ipa_ok(vcpu, ipa)) {
    smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
    return true;
  }
  const err = __pkvm_guest_share_host(env.pkvm, vcpu, hyp_phys_to_pfn(ipa));
  switch (err) {
    case 0:
      /* Success! Now tell the host. */
      smccc_set_retval(env, SMCCC_RET_SUCCESS);
      vcpu.exit_hcall = { kind: HOST_EXIT_HCALL_MEM_SHARE, arg: ipa };
      env.trace.emit('share', `${vcpuName(vcpu)}: MEM_SHARE ipa ${hex(ipa)}: guest SHARED_OWNED, host SHARED_BORROWED`);
      return false;
    case -ENOENT:
      /* Convert the exception into a data abort so that the page being shared is mapped next time. */
      __pkvm_memshare_page_req(env, vcpu, ipa);
      env.trace.emit('share', `${vcpuName(vcpu)}: MEM_SHARE ipa ${hex(ipa)} not mapped yet: stage-2 fault to the host, HVC replayed`);
      return false;
  }
  smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
  return true;
}

/** pkvm_memunshare_call(): MEM_UNSHARE x1 = IPA (x2, x3 = 0): guest SHARED_OWNED → OWNED, host loses it. */
export function pkvm_memunshare_call(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const ipa = smccc_get_arg(env, 1);
  if (smccc_get_arg(env, 2) || smccc_get_arg(env, 3) || !guest_ipa_ok(vcpu, ipa) ||
    __pkvm_guest_unshare_host(env.pkvm, vcpu, hyp_phys_to_pfn(ipa))) {
    smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
    return true;
  }
  smccc_set_retval(env, SMCCC_RET_SUCCESS);
  vcpu.exit_hcall = { kind: HOST_EXIT_HCALL_MEM_UNSHARE, arg: ipa };
  env.trace.emit('unshare', `${vcpuName(vcpu)}: MEM_UNSHARE ipa ${hex(ipa)}: guest OWNED, host access refused`);
  return false;
}

/**
 * __pkvm_guest_relinquish_to_host(): give the page at `ipa` back to the host. OWNED pages are zeroed
 * first; a page the guest shared (SHARED_OWNED) goes back as it is; a non-protected guest's borrowed
 * page (SHARED_BORROWED) is unshared. The guest stage-2 entry is removed. pa = 0: nothing was mapped.
 */
export function __pkvm_guest_relinquish_to_host(hyp: Pkvm, vcpu: PkvmHypVcpu, ipa: bigint): { ret: number; pa: bigint } {
  const vm = vcpu.vm;
  const { ret, pte, level } = kvm_pgtable_get_leaf(vm.pgt, ipa);
  if (ret) return { ret, pa: 0n };
  if (guest_pte_is_poisoned(pte)) return { ret: -EHWPOISON, pa: 0n };
  if (!kvm_pte_valid(pte)) return { ret: 0, pa: 0n };
  if (level !== KVM_PGTABLE_LAST_LEVEL) return { ret: -E2BIG, pa: 0n };
  const pa = kvm_pte_to_phys(pte);
  const gfn = hyp_phys_to_pfn(ipa);
  let r: number;
  switch (guest_get_page_state(pte)) {
    case PKVM_PAGE_OWNED:
    case PKVM_PAGE_SHARED_OWNED:
      r = __pkvm_host_reclaim_page_guest(hyp, gfn, vm);
      break;
    case PKVM_PAGE_SHARED_BORROWED:
      r = __pkvm_host_unshare_guest(hyp, gfn, 1n, vm);
      break;
    default:
      r = -EINVAL;
  }
  return { ret: r, pa: r ? 0n : pa };
}

/** pkvm_memrelinquish_call(): MEM_RELINQUISH x1 = IPA (x2, x3 = 0). */
export function pkvm_memrelinquish_call(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const ipa = smccc_get_arg(env, 1);
  if (smccc_get_arg(env, 2) || smccc_get_arg(env, 3) || !guest_ipa_ok(vcpu, ipa)) {
    smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
    return true;
  }
  const { ret, pa } = __pkvm_guest_relinquish_to_host(env.pkvm, vcpu, ipa);
  if (ret) {
    smccc_set_retval(env, SMCCC_RET_INVALID_PARAMETER);
    return true;
  }
  smccc_set_retval(env, SMCCC_RET_SUCCESS);
  /* This was a NOP as no page was actually mapped at the IPA. */
  if (pa === 0n) return true;
  /* Now pass to host. */
  vcpu.exit_hcall = { kind: HOST_EXIT_HCALL_MEM_RELINQUISH, arg: ipa };
  env.trace.emit('reclaim', `${vcpuName(vcpu)}: MEM_RELINQUISH ipa ${hex(ipa)}: pa ${hex(pa)} back to the host`);
  return false;
}
