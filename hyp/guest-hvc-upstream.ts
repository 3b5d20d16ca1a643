/**
 * The guest hypercall ABI of upstream's kvm_handle_pvm_hvc64() (nvhe/pkvm.c of the v7.1
 * protected-guest series, read from a stored copy of the newest tree), the default
 * (HostedEl2Options.guestHvcAbi = 'upstream'; 'android' selects guest-hvc.ts's).
 *
 * Read from: kvm_handle_pvm_hvc64() of a stored copy of the newest pkvm.c (rewritten into Rust by a
 * third-party tool, SOURCE-COMMIT d482bb509b7d; C's `u64 val[4] = { SMCCC_RET_INVALID_PARAMETER }`
 * sets val[0] alone, the tool's `[..; 4]` all four: the C is followed); the bodies of
 * pkvm_memshare_call() / pkvm_memunshare_call() were not in that copy and follow the series as posted
 * (an unaligned IPA leaves val[0] INVALID_PARAMETER); upstream's nvhe/switch.c hyp_exit_handlers[]
 * (no HVC64 entry).
 *
 * Protected guests (pvm_exit_handlers[ESR_ELx_EC_HVC64]): EL2 answers
 * - ARM_SMCCC_VENDOR_HYP_KVM_FEATURES: FEATURES | HYP_MEMINFO | MEM_SHARE | MEM_UNSHARE;
 * - HYP_MEMINFO: PAGE_SIZE, or INVALID_PARAMETER when x1..x3 are not all 0;
 * - MEM_SHARE (x1 = IPA): x2 or x3 non-zero, or an IPA not page aligned → INVALID_PARAMETER;
 *   __pkvm_guest_share_host(): 0 → SUCCESS, back to the guest (the host is not told); -ENOENT (not
 *   mapped yet) → a stage-2 write fault on the IPA for the host with ELR rewound, so the HVC runs
 *   again once the host has mapped the page (x0 untouched); anything else → INVALID_PARAMETER;
 * - MEM_UNSHARE: the same checks; __pkvm_guest_unshare_host() 0 → SUCCESS, else INVALID_PARAMETER,
 *   always back to the guest;
 * and punts everything else to the host (SMCCC discovery, PSCI, MEM_RELINQUISH, the MMIO guard
 * calls): the exit carries the HVC, the host's KVM answers it (kvm_smccc_call_handler(): x0..x3)
 * and the answer is flushed back before the next run (vcpu-sync.ts, HOST_REQ_SET_SMCCC_RET).
 * The results are val[0..3] of upstream's `u64 val[4] = { SMCCC_RET_INVALID_PARAMETER }`: x0 the
 * result, x1..x3 zero. Upstream checks no "declared memory" range: an IPA inside the IPA space but
 * outside every memslot is a fault for the host like any unmapped IPA.
 *
 * Non-protected guests: upstream's hyp_exit_handlers[] have no HVC64 entry, so every HVC of a
 * non-protected guest goes to the host (kvm_handle_guest_hvc_np_upstream()).
 *
 * Upstream has no MMIO guard: a protected VM is not enrolled (Pkvm.mmio_guard_auto_enroll = false),
 * so its MMIO accesses reach the host with their syndrome, as a non-protected VM's do.
 */
import { SR } from '../machine/core';
import type { PkvmHypVcpu } from './hyp-vm';
import type { GuestTrapEnv } from './guest-hvc';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID,
  SMCCC_RET_INVALID_PARAMETER, SMCCC_RET_SUCCESS, U64,
} from './smccc';
import { ENOENT } from './page-state';
import { __pkvm_guest_share_host, __pkvm_guest_unshare_host } from './mem-protect-guest';

export type GuestHvcAbi = 'android' | 'upstream';

/* (guest-hvc.ts imports this file: its constants are not initialised yet when this one loads.) */
const ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID = 0x8600_0000;
const BIT = (n: number): bigint => 1n << BigInt(n);
/** What upstream tells a protected guest in ARM_SMCCC_VENDOR_HYP_KVM_FEATURES: FEATURES (0), HYP_MEMINFO (2), MEM_SHARE (3), MEM_UNSHARE (4). */
export const ARM_SMCCC_KVM_PVM_FEATURES_UPSTREAM = BIT(0) | BIT(2) | BIT(3) | BIT(4);

const fid = (id: bigint | number): number => Number(BigInt(id) & 0xffff_ffffn);
const PAGE_SIZE = 4096n;
const PAGE_ALIGNED = (v: bigint): boolean => (v & (PAGE_SIZE - 1n)) === 0n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const who = (vcpu: PkvmHypVcpu): string => `vm 0x${vcpu.vm.handle.toString(16)} vcpu ${vcpu.vcpu_idx}`;

/**
 * __pkvm_memshare_page_req(): make the HVC look like a level-3 stage-2 write translation fault on
 * `ipa` (HPFAR = IPA[55:12] << 4, FAR 0) and rewind ELR_EL2 to the HVC.
 */
function memshare_page_req(env: GuestTrapEnv, vcpu: PkvmHypVcpu, ipa: bigint): void {
  const EC_DABT_LOW = 0x24n, ESR_ELx_WNR = 1n << 6n, ESR_ELx_FSC_FAULT = 0x04n, FSC_LEVEL_3 = 3n;
  vcpu.fault = { esr_el2: (EC_DABT_LOW << 26n) | ESR_ELx_WNR | ESR_ELx_FSC_FAULT | FSC_LEVEL_3, hpfar_el2: (ipa >> 8n) & 0xffff_ffff_fff0n, far_el2: 0n };
  env.core.setSysreg(SR.ELR_EL2, env.core.sysreg(SR.ELR_EL2) - 4n);
}

/** pkvm_memshare_call(): false = the fault goes to the host (val untouched). */
function pkvm_memshare_call(env: GuestTrapEnv, vcpu: PkvmHypVcpu, val: bigint[]): boolean {
  const ipa = env.core.getX(1);
  if (!PAGE_ALIGNED(ipa)) return true;
  switch (__pkvm_guest_share_host(env.pkvm, vcpu, ipa >> 12n)) {
    case 0:
      val[0] = U64(SMCCC_RET_SUCCESS);
      env.trace.emit('share', `${who(vcpu)}: MEM_SHARE ipa ${hex(ipa)}: guest SHARED_OWNED, host SHARED_BORROWED (upstream: no exit)`);
      return true;
    case -ENOENT:
      /* Convert the exception into a data abort so that the page being shared is mapped next time. */
      memshare_page_req(env, vcpu, ipa);
      env.trace.emit('share', `${who(vcpu)}: MEM_SHARE ipa ${hex(ipa)} not mapped yet: stage-2 fault to the host, HVC replayed`);
      return false;
  }
  return true;
}

/** pkvm_memunshare_call() */
function pkvm_memunshare_call(env: GuestTrapEnv, vcpu: PkvmHypVcpu, val: bigint[]): void {
  const ipa = env.core.getX(1);
  if (!PAGE_ALIGNED(ipa)) return;
  if (!__pkvm_guest_unshare_host(env.pkvm, vcpu, ipa >> 12n)) {
    val[0] = U64(SMCCC_RET_SUCCESS);
    env.trace.emit('unshare', `${who(vcpu)}: MEM_UNSHARE ipa ${hex(ipa)}: guest OWNED, host access refused (upstream: no exit)`);
  }
}

/** Upstream's kvm_handle_pvm_hvc64(): true = handled at EL2, back to the guest; false = to the host. */
export function kvm_handle_pvm_hvc64_upstream(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const c = env.core;
  const val = [U64(SMCCC_RET_INVALID_PARAMETER), 0n, 0n, 0n];
  let handled = true;
  vcpu.exit_hcall = null; /* upstream reports nothing to the host */
  switch (fid(c.getX(0))) {
    case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
      val[0] = ARM_SMCCC_KVM_PVM_FEATURES_UPSTREAM;
      break;
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID):
      if (!(c.getX(1) || c.getX(2) || c.getX(3))) val[0] = PAGE_SIZE;
      break;
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID):
      if (!(c.getX(2) || c.getX(3))) handled = pkvm_memshare_call(env, vcpu, val);
      break;
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID):
      if (!(c.getX(2) || c.getX(3))) pkvm_memunshare_call(env, vcpu, val);
      break;
    default:
      /* Punt everything else back to the host. */
      handled = false;
  }
  if (handled) val.forEach((v, i) => c.setX(i, v));
  return handled;
}

/** Upstream's hyp_exit_handlers[] (non-protected guests) have no HVC64 handler: the host takes them all. */
export function kvm_handle_guest_hvc_np_upstream(_env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  vcpu.exit_hcall = null;
  return false;
}
