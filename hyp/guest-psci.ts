/**
 * PSCI for protected VMs at EL2 (Android pKVM nvhe/pkvm.c pkvm_handle_psci() and friends; the pinned
 * v7.1 series leaves PSCI to the host). The host cannot write a protected vCPU's registers, so EL2
 * keeps each vCPU's power state and resets a CPU_ON target itself (pkvm_reset_vcpu(), applied before
 * the target next runs); the host is told only what it needs to schedule vCPUs:
 * - CPU_ON: EL2 checks the target, marks it ON_PENDING with the entry point and context id, and exits
 *   to the host (HOST_EXIT_HCALL_PSCI_CPU_ON, target vCPU index; x0..x1 visible). The host makes the
 *   target runnable and answers x0; anything but SUCCESS turns the target OFF again and the caller
 *   gets INTERNAL_FAILURE (handle_pvm_entry_psci()).
 * - CPU_OFF: EL2 marks the caller OFF and exits (HOST_EXIT_HCALL_PSCI_CPU_OFF).
 * - AFFINITY_INFO, PSCI_VERSION, PSCI_FEATURES: answered at EL2.
 * - SYSTEM_OFF, SYSTEM_RESET(2), CPU_SUSPEND: the host's (x0 only visible; it answers x0).
 * - anything else: NOT_SUPPORTED at EL2.
 * Non-protected VMs: all PSCI is the host's (host-kernel-model/vcpu-run.ts), which owns their registers.
 */
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import {
  PSCI_0_2_AFFINITY_LEVEL_OFF, PSCI_0_2_AFFINITY_LEVEL_ON, PSCI_0_2_AFFINITY_LEVEL_ON_PENDING, VCPU_SYSREGS,
} from './hyp-vm';
import { HOST_EXIT_HCALL_PSCI_CPU_OFF, HOST_EXIT_HCALL_PSCI_CPU_ON } from './host-abi';
import {
  PSCI_AFFINITY_INFO, PSCI_AFFINITY_INFO_64, PSCI_CPU_OFF, PSCI_CPU_ON, PSCI_CPU_ON_64, PSCI_CPU_SUSPEND,
  PSCI_CPU_SUSPEND_64, PSCI_FEATURES, PSCI_RET, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_VERSION, PSCI_VERSION_1_1,
} from '../machine/psci';
import { U64 } from './smccc';
import { ARM_SMCCC_VERSION_FUNC_ID, smccc_get_arg, smccc_get_function, smccc_set_retval, vcpuName, type GuestTrapEnv } from './guest-hvc';

export const PSCI_1_1_FN_SYSTEM_RESET2 = 0x8400_0012;
export const PSCI_1_1_FN64_SYSTEM_RESET2 = 0xc400_0012;
export const MPIDR_HWID_BITMASK = 0xff_00ff_ffffn;
const n = (v: bigint): number => Number(v);

/** MPIDR affinity mask for AFFINITY_INFO's lowest_affinity_level (psci_affinity_mask()). */
function psci_affinity_mask(level: bigint): bigint {
  if (level > 3n) return 0n;
  const shift = BigInt(((1 << Number(level)) >> 1) << 3);
  return MPIDR_HWID_BITMASK & ~((1n << shift) - 1n);
}

const kvm_vcpu_get_mpidr_aff = (v: PkvmHypVcpu): bigint => v.ctxt.sys_regs.MPIDR_EL1 & MPIDR_HWID_BITMASK;

/** pkvm_mpidr_to_hyp_vcpu() */
export function pkvm_mpidr_to_hyp_vcpu(vm: PkvmHypVm, mpidr: bigint): PkvmHypVcpu | null {
  mpidr &= MPIDR_HWID_BITMASK;
  for (const v of vm.vcpus) if (v && kvm_vcpu_get_mpidr_aff(v) === mpidr) return v;
  return null;
}

/** The SMC32 forms pass 32-bit arguments (kvm_psci_narrow_to_32bit()). */
function args(env: GuestTrapEnv, fn: number): [bigint, bigint, bigint] {
  const a = [smccc_get_arg(env, 1), smccc_get_arg(env, 2), smccc_get_arg(env, 3)] as [bigint, bigint, bigint];
  return (fn & 0x4000_0000) ? a : (a.map((x) => x & 0xffff_ffffn) as [bigint, bigint, bigint]);
}

/** pvm_psci_vcpu_on(): false when the host must schedule the target. */
function pvm_psci_vcpu_on(env: GuestTrapEnv, vcpu: PkvmHypVcpu, fn: number): boolean {
  const [cpu_id, pc, r0] = args(env, fn);
  let ret: number;
  const target = (cpu_id & ~MPIDR_HWID_BITMASK) ? null : pkvm_mpidr_to_hyp_vcpu(vcpu.vm, cpu_id);
  if (!target) ret = PSCI_RET.INVALID_PARAMETERS;
  else if (target.power_state === PSCI_0_2_AFFINITY_LEVEL_ON_PENDING) ret = PSCI_RET.ON_PENDING;
  else if (target.power_state === PSCI_0_2_AFFINITY_LEVEL_ON) ret = PSCI_RET.ALREADY_ON;
  else {
    target.power_state = PSCI_0_2_AFFINITY_LEVEL_ON_PENDING;
    target.reset_state = { pc, r0, reset: true };
    vcpu.exit_hcall = { kind: HOST_EXIT_HCALL_PSCI_CPU_ON, arg: BigInt(target.vcpu_idx) };
    env.trace.emit('psci', `${vcpuName(vcpu)}: CPU_ON vcpu ${target.vcpu_idx} at 0x${pc.toString(16)} (context id 0x${r0.toString(16)}): reset by EL2, host to schedule it`);
    /* Return to the host, which should schedule the vcpu. */
    return false;
  }
  /* If there's an error go back straight to the guest. */
  smccc_set_retval(env, ret);
  return true;
}

/** pvm_psci_vcpu_affinity_info(): answered at EL2 from the power states it keeps. */
function pvm_psci_vcpu_affinity_info(env: GuestTrapEnv, vcpu: PkvmHypVcpu, fn: number): boolean {
  const [target_affinity0, lowest_affinity_level] = args(env, fn);
  let ret: number;
  const mask = psci_affinity_mask(lowest_affinity_level);
  if ((target_affinity0 & ~MPIDR_HWID_BITMASK) || !mask) ret = PSCI_RET.INVALID_PARAMETERS;
  else {
    const target_affinity = target_affinity0 & mask;
    let matching = 0;
    ret = PSCI_0_2_AFFINITY_LEVEL_OFF;
    for (const v of vcpu.vm.vcpus) {
      if (!v || (kvm_vcpu_get_mpidr_aff(v) & mask) !== target_affinity) continue;
      matching++;
      if (v.power_state === PSCI_0_2_AFFINITY_LEVEL_ON) { ret = PSCI_0_2_AFFINITY_LEVEL_ON; break; }
      if (v.power_state === PSCI_0_2_AFFINITY_LEVEL_ON_PENDING) ret = PSCI_0_2_AFFINITY_LEVEL_ON_PENDING;
    }
    if (!matching) ret = PSCI_RET.INVALID_PARAMETERS;
  }
  smccc_set_retval(env, ret);
  return true;
}

/** pvm_psci_features() */
function pvm_psci_features(env: GuestTrapEnv): boolean {
  const supported = new Set<number>([
    n(PSCI_VERSION), n(PSCI_CPU_SUSPEND), n(PSCI_CPU_SUSPEND_64), n(PSCI_CPU_OFF), n(PSCI_CPU_ON), n(PSCI_CPU_ON_64),
    n(PSCI_AFFINITY_INFO), n(PSCI_AFFINITY_INFO_64), n(PSCI_SYSTEM_OFF), n(PSCI_SYSTEM_RESET), n(PSCI_FEATURES),
    PSCI_1_1_FN_SYSTEM_RESET2, PSCI_1_1_FN64_SYSTEM_RESET2, ARM_SMCCC_VERSION_FUNC_ID,
  ]);
  smccc_set_retval(env, supported.has(Number(smccc_get_arg(env, 1) & 0xffff_ffffn)) ? PSCI_RET.SUCCESS : PSCI_RET.NOT_SUPPORTED);
  return true;
}

/**
 * pkvm_handle_psci(): a protected guest's HVC that is not a vendor-hyp call. True: answered at EL2.
 */
export function pkvm_handle_psci(env: GuestTrapEnv, vcpu: PkvmHypVcpu): boolean {
  const fn = smccc_get_function(env);
  switch (fn) {
    case n(PSCI_CPU_ON):
    case n(PSCI_CPU_ON_64):
      return pvm_psci_vcpu_on(env, vcpu, fn);
    case n(PSCI_CPU_OFF):
      /* Return to the host so that it can finish powering off the vcpu. */
      vcpu.power_state = PSCI_0_2_AFFINITY_LEVEL_OFF;
      vcpu.exit_hcall = { kind: HOST_EXIT_HCALL_PSCI_CPU_OFF, arg: BigInt(vcpu.vcpu_idx) };
      env.trace.emit('psci', `${vcpuName(vcpu)}: CPU_OFF`);
      return false;
    case n(PSCI_AFFINITY_INFO):
    case n(PSCI_AFFINITY_INFO_64):
      return pvm_psci_vcpu_affinity_info(env, vcpu, fn);
    case n(PSCI_VERSION):
      smccc_set_retval(env, PSCI_VERSION_1_1);
      return true;
    case n(PSCI_FEATURES):
      return pvm_psci_features(env);
    case n(PSCI_SYSTEM_RESET):
    case n(PSCI_CPU_SUSPEND):
    case n(PSCI_CPU_SUSPEND_64):
    case n(PSCI_SYSTEM_OFF):
    case PSCI_1_1_FN_SYSTEM_RESET2:
    case PSCI_1_1_FN64_SYSTEM_RESET2:
      return false; /* Handled by the host. */
  }
  smccc_set_retval(env, PSCI_RET.NOT_SUPPORTED);
  return true;
}

/**
 * Registers of a protected vCPU's HVC exit the host may read (handle_pvm_exit_hvc64(): x0 = function
 * id, then the arguments it needs). Share/unshare/relinquish and CPU_OFF are described by
 * HOST_VCPU_EXIT_HCALL instead, so no register is shown.
 */
export function pvm_exit_hvc_nregs(fn: number, reported: boolean): number {
  switch (fn) {
    case n(PSCI_CPU_ON):
    case n(PSCI_CPU_ON_64):
      /* The host only needs the target's cpu_id; the reset state is EL2's. */
      return 2;
    case n(PSCI_SYSTEM_OFF):
    case n(PSCI_SYSTEM_RESET):
    case n(PSCI_CPU_SUSPEND):
    case n(PSCI_CPU_SUSPEND_64):
      return 1;
    case PSCI_1_1_FN_SYSTEM_RESET2:
    case PSCI_1_1_FN64_SYSTEM_RESET2:
      return 3;
  }
  /* Reported calls carry their facts in HOST_VCPU_EXIT_HCALL*; an exit EL2 did not classify
   * (a custom guest trap handler) shows the SMCCC frame. */
  return reported ? 0 : 4;
}

/**
 * handle_pvm_entry_psci(): the caller of CPU_ON runs again with the host's answer in x0. Anything
 * but SUCCESS undoes the ON_PENDING of the target, and the guest sees INTERNAL_FAILURE.
 */
export function handle_pvm_entry_psci(vcpu: PkvmHypVcpu, targetIdx: number, hostRet: bigint | null): void {
  let ret = hostRet === null ? U64(PSCI_RET.INTERNAL_FAILURE) : hostRet;
  if (ret !== 0n) {
    const target = vcpu.vm.vcpus[targetIdx];
    if (target && target.power_state === PSCI_0_2_AFFINITY_LEVEL_ON_PENDING) {
      target.power_state = PSCI_0_2_AFFINITY_LEVEL_OFF;
      target.reset_state = { pc: 0n, r0: 0n, reset: false };
    }
    ret = U64(PSCI_RET.INTERNAL_FAILURE);
  }
  vcpu.ctxt.regs[0] = ret;
}

/**
 * pkvm_reset_vcpu(): the architectural reset state of a vCPU turned on by CPU_ON, applied by EL2
 * before it runs: x0..x30 = 0 except x0 = context id, PC = entry point, EL1h with DAIF masked, EL1
 * system registers at their reset values (MMU off), MPIDR kept.
 */
export function pkvm_reset_vcpu(vcpu: PkvmHypVcpu): void {
  const rs = vcpu.reset_state;
  const mpidr = vcpu.ctxt.sys_regs.MPIDR_EL1;
  vcpu.ctxt.regs.fill(0n);
  vcpu.ctxt.fp_regs.clear(); /* kvm_reset_vcpu: memset(&vcpu->arch.ctxt.fp_regs, 0, ...) */
  vcpu.ctxt.sp_el0 = 0n;
  vcpu.ctxt.sp_el1 = 0n;
  for (const r of VCPU_SYSREGS) vcpu.ctxt.sys_regs[r] = 0n;
  kvm_reset_sys_regs(vcpu);
  vcpu.ctxt.sys_regs.MPIDR_EL1 = mpidr;
  vcpu.ctxt.pstate = 0x3c5n; /* VCPU_RESET_PSTATE_EL1 */
  vcpu.ctxt.pc = rs.pc;
  vcpu.ctxt.regs[0] = rs.r0;
  vcpu.reset_state = { pc: 0n, r0: 0n, reset: false };
  vcpu.power_state = PSCI_0_2_AFFINITY_LEVEL_ON;
}

/** EL1 system registers with a defined reset value (the rest are 0). */
export function kvm_reset_sys_regs(vcpu: PkvmHypVcpu): void {
  vcpu.ctxt.sys_regs.SCTLR_EL1 = 0x30d00800n; /* RES1 bits, MMU and caches off */
}
