// The one line a stuck CPU ends its run with (core-as/stuck.ts detects it; EXIT_STUCK carries this).
import { L, type Core } from './core';

export interface StuckInfo {
  kind: 'exception-loop' | 'branch-to-self';
  /** EL of the loop (exception loop: the EL its vector belongs to). */
  el: number;
  /** Vector address the loop is stuck in (exception loop). */
  vector: bigint;
  /** ESR/FAR of the first exception (the one that entered the vector) and the PC that raised it. */
  esr: bigint;
  far: bigint;
  pc: bigint;
  /** ESR of the exception repeating at the vector. */
  loopEsr: bigint;
  /** Exceptions taken at the vector before the stop. */
  count: number;
  /** Branch-to-self: PSTATE.DAIF (bits 9:6). */
  daif: number;
}

export function stuckInfo(core: Core): StuckInfo {
  const dv = core.view, b = L.EXIT_BASE;
  const kind = dv.getUint32(b + L.EXIT_STUCK_KIND, true) === L.STUCK_BRANCH_SELF ? 'branch-to-self' : 'exception-loop';
  const loopEsr = dv.getBigUint64(b + L.EXIT_STUCK_LOOP_ESR, true);
  return {
    kind,
    el: dv.getUint32(b + L.EXIT_STUCK_EL, true),
    vector: dv.getBigUint64(b + L.EXIT_STUCK_VECTOR, true),
    esr: dv.getBigUint64(b + L.EXIT_STUCK_ESR, true),
    far: dv.getBigUint64(b + L.EXIT_STUCK_FAR, true),
    pc: dv.getBigUint64(b + L.EXIT_STUCK_PC, true),
    loopEsr,
    count: dv.getUint32(b + L.EXIT_STUCK_COUNT, true),
    daif: kind === 'branch-to-self' ? Number(loopEsr) : 0,
  };
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const ec = (esr: bigint): string => `EC 0x${((esr >> 26n) & 0x3fn).toString(16)}`;

/** One line, e.g. `stuck: recursive exception loop at EL1 vector 0x200: first exception ESR ... FAR ... from pc ...`. */
export function stuckLine(s: StuckInfo, who = ''): string {
  const at = who ? `${who}: ` : '';
  if (s.kind === 'branch-to-self')
    return `${at}stuck: branch-to-self at EL${s.el} pc ${hex(s.pc)} with interrupts masked (DAIF ${hex(BigInt(s.daif))}): nothing can interrupt it`;
  return `${at}stuck: recursive exception loop at EL${s.el} vector ${hex(s.vector)} (${s.count} exceptions ESR ${hex(s.loopEsr)} taken there back to back): ` +
    `first exception ESR ${hex(s.esr)} (${ec(s.esr)}) FAR ${hex(s.far)} raised by pc ${hex(s.pc)}`;
}

/** Thrown where a stuck CPU ends a run that has no exit status of its own (a hosted guest). */
export class GuestStuck extends Error {
  override name = 'GuestStuck';
  constructor(readonly info: StuckInfo, who = '') { super(stuckLine(info, who)); }
}
