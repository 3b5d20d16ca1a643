/**
 * A secondary CPU brought up through the host PSCI relay on an SMP board (psci-relay.c's CPU_ON
 * path after the firmware accepted it): the firmware starts the target at EL2's entry
 * (kvm_hyp_cpu_entry), which runs the CPU's EL2 initialisation from its per-CPU init parameters
 * (___kvm_hyp_init: HCR_EL2 with HCR_VM and the host stage-2's VTTBR_EL2/VTCR_EL2 once pKVM is
 * finalised) and then kvm_host_psci_cpu_entry(): the boot arguments are released and the host
 * enters at the entry point and context id it gave CPU_ON, at EL1h with DAIF masked and its MMU off.
 *
 * EL2 is TypeScript here, so the hyp's part of the entry is done when the firmware accepts: the
 * core starts the target at EL1 at the host's entry with x0 = its context id, and the target's EL2
 * registers are written into its saved state before it runs its first instruction.
 */
import { L, SR, type Core } from '../machine/core';
import { handlePsci, type PsciBoard, type PsciResult } from '../machine/psci';
import type { HostedEl2 } from './hosted-el2';
import { HCR_HOST_FLAGS, HCR_VM } from './world-switch';
import { PSCI_RET } from '../machine/psci';
import { ffaFirmware } from '../machine/ffa/board';

/** The board's PSCI firmware as EL2 sees it on an SMP core (CPU i has MPIDR virtCpuMpidr(i, 16)). */
export function psciBoard(core: Core): PsciBoard {
  return { cpus: core.numCpus, clusterSize: 16, powerState: (i) => core.powerState(i), ffa: ffaFirmware(core) };
}
export function boardFirmware(core: Core): (x: bigint[]) => PsciResult {
  return (x) => handlePsci(x, psciBoard(core));
}

/** Writes system register idx of CPU c (not the current CPU) into its saved state block. */
function setOtherCpuSysreg(core: Core, c: number, idx: number, v: bigint): void {
  const dv = new DataView(core.mem.buffer, core.mem.byteOffset);
  dv.setBigUint64(core.saveArea(c) + L.OFF_SYSREGS + 8 * idx, BigInt.asUintN(64, v), true);
}

/**
 * kvm_hyp_cpu_entry + kvm_host_psci_cpu_entry for CPU `target` after the firmware accepted the
 * relay's CPU_ON: returns the PSCI result for the caller's x0.
 */
export function kvm_hyp_cpu_entry(el2: HostedEl2, target: number): number {
  const core = el2.core, relay = el2.psciRelay, pkvm = el2.pkvm;
  const boot = relay.boot_args[target]!;
  const r = core.cpuOn(target, 1, boot.pc, boot.r0);
  if (r !== 0) {
    relay.boot_locked[target] = false;
    return r === -4 ? PSCI_RET.ALREADY_ON : PSCI_RET.INVALID_PARAMETERS;
  }
  /* ___kvm_hyp_init from kvm_init_params: after __pkvm_prot_finalize, HCR_EL2 carries HCR_VM. */
  const finalised = pkvm.protected_mode_initialized;
  pkvm.hcr_vm[target] = finalised;
  setOtherCpuSysreg(core, target, SR.HCR_EL2, finalised ? HCR_HOST_FLAGS : HCR_HOST_FLAGS & ~HCR_VM);
  setOtherCpuSysreg(core, target, SR.VTCR_EL2, pkvm.host_vtcr());
  setOtherCpuSysreg(core, target, SR.VTTBR_EL2, pkvm.host_vttbr());
  /* kvm_host_psci_cpu_entry(): release_boot_args(), then __host_enter at the kept entry point. */
  relay.boot_locked[target] = false;
  el2.trace.emit('psci', `CPU ${target} up through EL2: host entry 0x${boot.pc.toString(16)}, x0 0x${boot.r0.toString(16)}${finalised ? ', host stage-2 on' : ''}`);
  return PSCI_RET.SUCCESS;
}
