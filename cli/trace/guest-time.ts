// Guest time: the machine counts time in retired instructions, and the generic timer ticks once per
// instruction at CNTFRQ_EL0 = 62.5 MHz (as QEMU virt), so one instruction is 16 ns of guest time.
import { UserError } from '../../machine/errors';

export const CNTFRQ_HZ = 62_500_000;
/** Nanoseconds of guest time per retired instruction. */
export const NS_PER_INSN = 1e9 / CNTFRQ_HZ;

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, min: 60e9 };

/** Parses a guest-time span (`10s`, `250ms`, `1.5s`, `40us`, `2m`) into instructions (ticks). */
export function parseGuestTime(text: string, what = '--timeout'): bigint {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|min)$/.exec(text.trim());
  if (!m) throw new UserError(`${what}: bad guest time '${text}' (examples: 10s, 250ms, 40us; guest time at CNTFRQ 62.5 MHz)`);
  const ns = Number(m[1]) * UNIT_NS[m[2]]!;
  const insns = Math.ceil(ns / NS_PER_INSN);
  if (!Number.isSafeInteger(insns)) throw new UserError(`${what}: guest time '${text}' is too large`);
  if (insns <= 0) throw new UserError(`${what}: guest time '${text}' is zero`);
  return BigInt(insns);
}

/** Instructions shown as guest time: `1.234567 s`, `12.345 ms`, `3.2 µs`. */
export function formatGuestTime(insns: bigint | number): string {
  const ns = Number(insns) * NS_PER_INSN;
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(6)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  return `${(ns / 1e3).toFixed(3)} µs`;
}
