// Exceptions taken, counted by class for `--stats` (cli/stats.ts): synchronous exceptions by
// ESR_ELx.EC, interrupts by kind. Counted at exception entry (gic/irq-log.ts, behind the one flag
// check exception.ts and irq-take.ts already make) only while --stats asks (EXC_FLAG_STATS).
import { EXC_STATS } from '../layout';

/** One synchronous exception with syndrome esr. */
export function countSync(esr: u64): void {
  const a = EXC_STATS + ((<u32>(esr >> 26)) & 0x3f) * 8;
  store<u64>(a, load<u64>(a) + 1);
}

/** One interrupt: kind bit 0 FIQ, bit 1 virtual. */
export function countIrq(kind: u32): void {
  const a = EXC_STATS + 64 * 8 + (kind & 3) * 8;
  store<u64>(a, load<u64>(a) + 1);
}

export function excStatsClear(): void { memory.fill(EXC_STATS, 0, 68 * 8); }
