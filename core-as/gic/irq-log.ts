// A log of the exceptions the core takes, for traces (cli/trace/machine-trace.ts): interrupts (the
// GIC's exception entry, irq-take.ts) and synchronous exceptions taken inside the core (SVC, HVC/SMC
// to a native EL2, aborts, traps, UNDEFINED: exception.ts). Off unless a trace is being written;
// TypeScript drains it after every run(). Each entry is 32 bytes at IRQ_LOG + 64:
//   +0  u64 system counter when it was taken
//   +8  u32 CPU (bits 0-7) | kind (bits 8-15: EXC_KIND_*) | target EL (bits 16-17) | from EL (18-19)
//   +12 u32 ESR (bits 31:0; synchronous only, else 0)
//   +16 u64 interrupts: the interrupted PC (ELR); synchronous: the PC of the instruction that raised it
//   +24 u64 FAR (synchronous with EXC_KIND_FAR, else 0)
// A full log counts what it drops. The same entry points count exceptions for --stats
// (stats/exc-stats.ts) when EXC_FLAG_STATS is set: the flags word at IRQ_LOG is the one check
// the exception entries make.
import { IRQ_LOG, IRQ_LOG_CAP } from '../layout';
import { ticksNow } from '../timer';
import { curCpu } from '../cpu-index';
import { el2Hosted } from '../state';
import { countIrq, countSync, excStatsClear } from '../stats/exc-stats';

export const IRQ_KIND_FIQ: u32 = 1;
export const IRQ_KIND_VIRTUAL: u32 = 2;
export const EXC_KIND_SYNC: u32 = 4;
export const EXC_KIND_FAR: u32 = 8;

export const EXC_FLAG_LOG: u32 = 1; // a trace is written: log every exception
export const EXC_FLAG_STATS: u32 = 2; // --stats: count exceptions by class

/** True when an exception entry must call irqLog/syncLog (a trace, or --stats). */
@inline export function irqLogOn(): bool { return load<u32>(IRQ_LOG) != 0; }

function logEntry(kind: u32, target: u32, from: u32, esr: u32, pc: u64, far: u64): void {
  const n = load<u32>(IRQ_LOG + 4);
  if (n >= IRQ_LOG_CAP) { store<u32>(IRQ_LOG + 8, load<u32>(IRQ_LOG + 8) + 1); return; }
  const e = IRQ_LOG + 64 + n * 32;
  store<u64>(e, ticksNow());
  store<u32>(e, (curCpu & 0xff) | ((kind & 0xff) << 8) | ((target & 3) << 16) | ((from & 3) << 18), 8);
  store<u32>(e, esr, 12);
  store<u64>(e, pc, 16);
  store<u64>(e, far, 24);
  store<u32>(IRQ_LOG + 4, n + 1);
}

/** An interrupt exception taken to `target` from `from`, interrupting `elr`. */
export function irqLog(kind: u32, target: u32, from: u32, elr: u64): void {
  const f = load<u32>(IRQ_LOG);
  if ((f & EXC_FLAG_STATS) != 0) countIrq(kind);
  if ((f & EXC_FLAG_LOG) != 0) logEntry(kind, target, from, 0, elr, 0);
}

/**
 * A synchronous exception taken to `target` from `from`, raised by the instruction at `pc`. One taken
 * to a TypeScript-hosted EL2 is not logged: it exits to TypeScript, which traces it as an exit.
 */
export function syncLog(target: u32, from: u32, esr: u64, pc: u64, far: u64, hasFar: bool): void {
  const f = load<u32>(IRQ_LOG);
  if ((f & EXC_FLAG_STATS) != 0) countSync(esr);
  if ((f & EXC_FLAG_LOG) == 0 || (target == 2 && el2Hosted())) return;
  logEntry(EXC_KIND_SYNC | (hasFar ? EXC_KIND_FAR : 0), target, from, <u32>esr, pc, hasFar ? far : 0);
}

/** Turns the log on or off and empties it. */
export function irqLogEnable(on: bool): void {
  store<u32>(IRQ_LOG, (load<u32>(IRQ_LOG) & EXC_FLAG_STATS) | (on ? EXC_FLAG_LOG : 0));
  store<u32>(IRQ_LOG + 4, 0);
  store<u32>(IRQ_LOG + 8, 0);
}

/** Turns the counting of exceptions by class on or off; on starts from zero. */
export function excStatsEnable(on: bool): void {
  store<u32>(IRQ_LOG, (load<u32>(IRQ_LOG) & EXC_FLAG_LOG) | (on ? EXC_FLAG_STATS : 0));
  if (on) excStatsClear();
}
