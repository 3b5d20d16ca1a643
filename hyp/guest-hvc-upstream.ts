/**
 * The guest hypercall ABI of upstream's kvm_handle_pvm_hvc64() (the v7.1 protected-guest series),
 * the default (HostedEl2Options.guestHvcAbi = 'upstream'; 'android' selects guest-hvc.ts's). EL2 answers ARM_SMCCC_VENDOR_HYP_KVM_FEATURES
 * (FEATURES, HYP_MEMINFO, MEM_SHARE, MEM_UNSHARE), HYP_MEMINFO, MEM_SHARE and MEM_UNSHARE and goes
 * straight back to the guest: the host is not told of a share or unshare. Everything else (SMCCC
 * discovery, PSCI, the MMIO guard, MEM_RELINQUISH) is punted to the host. A share of an IPA not
 * mapped yet becomes a stage-2 fault for the host, and the HVC is replayed, as in both trees.
 *
 * Upstream has no MMIO guard: a protected VM is not enrolled (Pkvm.mmio_guard_auto_enroll = false),
 * so its MMIO accesses reach the host with their syndrome, as a non-protected VM's do.
 * The board option 'android' (guest-hvc.ts) is Android's tree: SMCCC discovery, MEM_RELINQUISH, the
 * MMIO guard and PSCI for protected vCPUs at EL2, share/unshare/relinquish reported to the host by an
 * exit.
 */
import type { PkvmHypVcpu } from './hyp-vm';
import {
  type GuestTrapEnv, pkvm_meminfo_call, pkvm_memshare_call, pkvm_memunshare_call, smccc_get_function, smccc_set_retval,
} from './guest-hvc';
import {
  ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID, ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID,
} from './smccc';

export type GuestHvcAbi = 'android' | 'upstream';

/* (guest-hvc.ts imports this file: its constants are not initialised yet when this one loads.) */
const ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID = 0x8600_0000;
const BIT = (n: number): bigint => 1n << BigInt(n);
/** What upstream tells a protected guest in ARM_SMCCC_VENDOR_HYP_KVM_FEATURES: FEATURES (0), HYP_MEMINFO (2), MEM_SHARE (3), MEM_UNSHARE (4). */
export const ARM_SMCCC_KVM_PVM_FEATURES_UPSTREAM = BIT(0) | BIT(2) | BIT(3) | BIT(4);

const fid = (id: bigint | number): number => Number(BigInt(id) & 0xffff_ffffn);

/** Upstream's kvm_handle_pvm_hvc64(): true = handled at EL2, back to the guest; false = to the host. */
export function kvm_handle_pvm_hvc64_upstream(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  switch (smccc_get_function(env)) {
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID):
      smccc_set_retval(env, ARM_SMCCC_KVM_PVM_FEATURES_UPSTREAM);
      return true;
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID):
      return pkvm_meminfo_call(env);
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID):
    case fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID): {
      const share = smccc_get_function(env) === fid(ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID);
      const handled = share ? pkvm_memshare_call(env, vcpu) : pkvm_memunshare_call(env, vcpu);
      /* Done: upstream returns to the guest without telling the host (Android exits to report it). */
      if (!handled && vcpu.exit_hcall) { vcpu.exit_hcall = null; return true; }
      return handled;
    }
    default:
      return false;
  }
}
