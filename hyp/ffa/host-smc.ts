/**
 * The FF-A step of handle_host_smc() (nvhe/hyp-main.c: kvm_host_psci_handler(), then
 * kvm_host_ffa_handler(), then default_host_smc_handler() forwarding to EL3), shared by the A64
 * host's trapped SMC (host-trap.ts) and the TypeScript host model's FF-A driver
 * (host-kernel-model/ffa.ts): x = x0..x7 of the host, updated in place with the answer.
 */
import { handlePsci } from '../../machine/psci';
import type { Core } from '../../machine/core';
import { psciBoard } from '../psci-smp';
import type { Pkvm } from '../index';
import type { Trace } from '../trace';
import { HypFfa, hyp_ffa_init, type HypFfaOptions } from './ffa';
import { is_ffa_call, kvm_host_ffa_handler, ffaResultText } from './ffa-handler';
import { ffaFnName } from '../../machine/ffa/abi';

/** The board's firmware as EL2's SMC reaches it: x0..x7 in, x0..x7 out. */
export function boardSmc(core: Core): (x: bigint[]) => bigint[] {
  return (x) => {
    const r = handlePsci(x, psciBoard(core));
    return r.regs ? [...r.regs] : [r.x0, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  };
}

/** pKVM init's hyp_ffa_init() against the board of `core`. */
export function createHypFfa(hyp: Pkvm, core: Core, trace: Trace | null, opts: HypFfaOptions = {}): HypFfa {
  const ffa = new HypFfa(hyp, boardSmc(core), trace, opts);
  hyp_ffa_init(ffa);
  return ffa;
}

/**
 * A host SMC with FF-A function id `fn` (hint bits cleared): handled at EL2 (true) or forwarded to
 * the firmware with x0..x7 and the firmware's x0..x7 returned (__kvm_hyp_host_forward_smc; false).
 */
export function host_smc_ffa(ffa: HypFfa, x: bigint[], fn: bigint): boolean {
  if (kvm_host_ffa_handler(ffa, x, fn)) return true;
  const r = ffa.smc([fn, ...x.slice(1, 8)]);
  for (let i = 0; i < 8; i++) x[i] = r[i] ?? 0n;
  if (is_ffa_call(fn)) ffa.emit(`host ${ffaFnName(fn)} forwarded → ${ffaResultText(x)}`);
  return false;
}

export { is_ffa_call };
