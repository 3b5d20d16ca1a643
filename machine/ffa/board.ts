/**
 * The FF-A endpoint on the board: one SPMC per core (the secure world of that machine), reached by
 * the SMC conduit through the board's firmware dispatch (machine/psci.ts handlePsci's `ffa` hook):
 * an FF-A function id goes to the SPMC when the board has one, everything else to PSCI.
 */
import type { Core } from '../core';
import type { PsciResult } from '../psci';
import { FfaSpmc, is_ffa_call } from './spmc';

const boards = new WeakMap<Core, FfaSpmc>();

/**
 * Puts an SPMC on the board of `core` (before pKVM initialises, which probes it with FFA_VERSION);
 * `fresh`: a new one even if the board had one (a machine reset with the same core).
 */
export function attachFfaSpmc(core: Core, fresh = false): FfaSpmc {
  let s = fresh ? undefined : boards.get(core);
  if (!s) {
    s = new FfaSpmc({
      isRam: (pa, n) => core.isRam(pa, n),
      read: (pa, n) => core.readPhys(pa, n),
      write: (pa, b) => core.writePhys(pa, b),
    });
    boards.set(core, s);
  }
  return s;
}

export function boardSpmc(core: Core): FfaSpmc | undefined {
  return boards.get(core);
}

/** The firmware's FF-A dispatch for handlePsci: null when x0 is not FF-A or the board has no SPMC. */
export function ffaFirmware(core: Core): ((x: readonly bigint[]) => PsciResult | null) | undefined {
  const s = boards.get(core);
  if (!s) return undefined;
  return (x) => {
    if (!is_ffa_call(BigInt.asUintN(64, x[0] ?? 0n))) return null;
    const r = s.smc(x);
    return { x0: r[0]!, regs: r };
  };
}
