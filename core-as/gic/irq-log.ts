// A log of the interrupt exceptions the core takes, for traces (cli/trace/machine-trace.ts). Off
// unless a trace is being written; TypeScript drains it after every run(). Each entry (32 bytes at
// IRQ_LOG + 64): u64 system counter, u32 CPU, u32 kind (bit 0 FIQ, bit 1 virtual), u32 target EL,
// u32 EL it interrupted, u64 the interrupted PC (ELR). A full log counts what it drops.
import { IRQ_LOG, IRQ_LOG_CAP } from '../layout';
import { ticksNow } from '../timer';
import { curCpu } from '../cpu-index';

export const IRQ_KIND_FIQ: u32 = 1;
export const IRQ_KIND_VIRTUAL: u32 = 2;

@inline export function irqLogOn(): bool { return load<u32>(IRQ_LOG) != 0; }

export function irqLog(kind: u32, target: u32, from: u32, elr: u64): void {
  const n = load<u32>(IRQ_LOG + 4);
  if (n >= IRQ_LOG_CAP) { store<u32>(IRQ_LOG + 8, load<u32>(IRQ_LOG + 8) + 1); return; }
  const e = IRQ_LOG + 64 + n * 32;
  store<u64>(e, ticksNow());
  store<u32>(e, curCpu, 8);
  store<u32>(e, kind, 12);
  store<u32>(e, target, 16);
  store<u32>(e, from, 20);
  store<u64>(e, elr, 24);
  store<u32>(IRQ_LOG + 4, n + 1);
}

/** Turns the log on or off and empties it. */
export function irqLogEnable(on: bool): void {
  store<u32>(IRQ_LOG, on ? 1 : 0);
  store<u32>(IRQ_LOG + 4, 0);
  store<u32>(IRQ_LOG + 8, 0);
}
