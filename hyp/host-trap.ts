/**
 * Traps from the host running at EL1 on the core (nvhe/hyp-main.c handle_trap): HVC64 → host
 * hypercall through the same dispatcher as the TypeScript host; SMC64 (trapped by HCR_EL2.TSC) →
 * PSCI relayed to the firmware; instruction/data aborts on the host stage-2 →
 * handle_host_mem_abort() (lazy identity map), re-injected into the host when it touched a page it
 * does not own (host_inject_mem_abort).
 */
import { SR } from '../machine/core';
import type { HostedEl2 } from './hosted-el2';
import { ESR_EC, EC_DABT_LOW, EC_HVC64, EC_IABT_LOW, EC_SMC64 } from './world-switch';
import { EEXIST } from './page-state';
import { ARM_SMCCC_CALL_HINTS, SMCCC_RET_NOT_SUPPORTED } from './smccc';
import { kvm_host_psci_handler } from './psci-relay';
import { kvm_hyp_cpu_entry } from './psci-smp';
import { host_smc_ffa, is_ffa_call } from './ffa/host-smc';
import { HYP_REASON, trace_host_mem_abort, trace_host_smc, trace_hyp_enter, trace_hyp_exit } from './tracing/events';

export type HostTrapResult = 'continue' | 'poweroff' | 'reset';
export type FirmwareCall = (x: bigint[]) => { x0: bigint; action?: string; cpuOn?: { targetIndex: number } };

const EC_DABT_CUR = 0x25, EC_IABT_CUR = 0x21, EC_UNKNOWN = 0;

/** IPA of a stage-2 abort: HPFAR_EL2.FIPA (bits 43:4 = IPA[55:12]) plus FAR_EL2's page offset. */
export function faultIpa(hpfar: bigint, far: bigint): bigint {
  return ((hpfar >> 4n) << 12n) | (far & 0xfffn);
}

/**
 * The SMCs the relay (psci-relay.c / handle_host_smc()) takes from the host: an SMCCC call has
 * immediate 0 and a 32-bit function id (bits 63:32 of x0 zero, after the SMCCC hint bit is
 * cleared). Anything else is answered NOT_SUPPORTED without reaching the firmware, so that a
 * function id with stray upper bits cannot be taken for the PSCI call in its low word.
 */
export function host_smc_is_valid(esr: bigint, fn: bigint): boolean {
  return (esr & 0xffffn) === 0n && fn >> 32n === 0n;
}

/** ESR_ELx.S1PTW (ISS bit 7). */
export const ESR_ELx_S1PTW = 1 << 7;

/**
 * host_inject_mem_abort(): the syndrome the host takes for a stage-2 abort EL2 refused. The EC says
 * where the abort came from: a lower-EL abort from EL0 stays DABT_LOW/IABT_LOW, one from EL1 is
 * repainted as DABT_CUR/IABT_CUR. S1PTW, which a stage-1 abort never has, is set so that the host's
 * abort handler can tell this abort from its own faults (the bit is RES0 at EL1 but kept).
 */
export function host_inject_mem_abort(esr: bigint, spsr: bigint): { ec: number; iss: number } {
  let ec = ESR_EC(esr);
  if (((spsr >> 2n) & 3n) !== 0n) ec = ec === EC_DABT_LOW ? EC_DABT_CUR : ec === EC_IABT_LOW ? EC_IABT_CUR : ec;
  return { ec, iss: Number(esr & 0x1ffffffn) | ESR_ELx_S1PTW };
}

export function handleHostTrap(el2: HostedEl2, firmware: FirmwareCall): HostTrapResult {
  const c = el2.core;
  const esr = c.sysreg(SR.ESR_EL2);
  const ec = ESR_EC(esr);
  switch (ec) {
    case EC_HVC64: {
      const frame = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => c.getX(i)); // SMCCC: arguments in x1..x7
      el2.hcallFrame(frame, c.cpu); // the physical CPU the host runs on (per-CPU loaded vCPU, prot_finalize)
      for (let i = 0; i < 4; i++) c.setX(i, frame[i]);
      c.exceptionReturn(); // ELR_EL2 is the instruction after the HVC
      return 'continue';
    }
    case EC_SMC64: { // host SMC: pKVM relays PSCI and forwards other SMCs to EL3 firmware
      const fn = c.getX(0) & ~ARM_SMCCC_CALL_HINTS;
      if (!host_smc_is_valid(esr, fn)) {
        el2.trace.emit('psci', `host SMC #${esr & 0xffffn} 0x${c.getX(0).toString(16)} refused: NOT_SUPPORTED`);
        c.setX(0, BigInt.asUintN(64, BigInt(SMCCC_RET_NOT_SUPPORTED)));
        c.setSysreg(SR.ELR_EL2, c.sysreg(SR.ELR_EL2) + 4n);
        c.exceptionReturn();
        return 'continue';
      }
      const x = [fn, ...[1, 2, 3, 4, 5, 6, 7].map((i) => c.getX(i))];
      trace_hyp_enter(el2.pkvm, c.cpu, HYP_REASON.SMC);
      // handle_host_smc(): FF-A ids (disjoint from PSCI's) go to the FF-A proxy (hyp/ffa/, which forwards
      // through the board conduit HostedEl2 probed), PSCI to the relay, the rest to `firmware`.
      if (is_ffa_call(fn)) {
        const handled = host_smc_ffa(el2.ffa, x, fn);
        trace_host_smc(el2.pkvm, c.cpu, fn, !handled);
        trace_hyp_exit(el2.pkvm, c.cpu, HYP_REASON.ERET_HOST);
        for (let i = 0; i < 8; i++) c.setX(i, x[i]!);
        c.setSysreg(SR.ELR_EL2, c.sysreg(SR.ELR_EL2) + 4n);
        c.exceptionReturn();
        return 'continue';
      }
      const psci = kvm_host_psci_handler(el2.psciRelay, c.cpu, fn, x, firmware);
      trace_host_smc(el2.pkvm, c.cpu, fn, !psci);
      trace_hyp_exit(el2.pkvm, c.cpu, HYP_REASON.ERET_HOST);
      const res = psci ?? firmware(x);
      // The firmware accepted a relayed CPU_ON: the target enters EL2, then the host (psci-smp.ts).
      if (psci && res.action === 'cpu_on' && res.cpuOn) res.x0 = BigInt.asUintN(64, BigInt(kvm_hyp_cpu_entry(el2, res.cpuOn.targetIndex)));
      if (psci) for (let i = 1; i <= 3; i++) c.setX(i, 0n);
      el2.trace.emit('psci', `host SMC 0x${c.getX(0).toString(16)} → ${res.action ?? `0x${res.x0.toString(16)}`}`);
      if (res.action === 'off') return 'poweroff';
      // CPU_OFF stops the calling CPU; the board powers off with its last CPU.
      if (res.action === 'cpu_off') return c.cpuOff() === 0 ? 'poweroff' : 'continue';
      if (res.action === 'reset') return 'reset';
      c.setX(0, res.x0);
      c.setSysreg(SR.ELR_EL2, c.sysreg(SR.ELR_EL2) + 4n); // a trapped SMC returns to itself
      c.exceptionReturn();
      return 'continue';
    }
    case EC_DABT_LOW: case EC_IABT_LOW: {
      const far = c.sysreg(SR.FAR_EL2);
      const ipa = faultIpa(c.sysreg(SR.HPFAR_EL2), far);
      trace_hyp_enter(el2.pkvm, c.cpu, HYP_REASON.HOST_ABORT);
      trace_host_mem_abort(el2.pkvm, c.cpu, esr, ipa);
      const ret = el2.pkvm.handleHostMemAbort(ipa);
      trace_hyp_exit(el2.pkvm, c.cpu, HYP_REASON.ERET_HOST);
      c.exceptionReturn(); // back to the faulting instruction
      if (ret === 0 || ret === -EEXIST) return 'continue';
      el2.trace.emit('host-abort', `host access to 0x${ipa.toString(16)} refused (${ret})`);
      const inj = host_inject_mem_abort(esr, c.sysreg(SR.SPSR_EL2));
      c.injectException(1, inj.ec, inj.iss, far);
      return 'continue';
    }
    default:
      c.exceptionReturn();
      c.injectException(1, EC_UNKNOWN, 0);
      return 'continue';
  }
}
