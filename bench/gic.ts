// Interrupt benchmarks: timer interrupts delivered and completed per second (gic-irqbench: the EL1
// physical timer every 200 instructions, each interrupt acknowledged, re-armed and EOId, 20000 of
// them), and IPI round trips per second between two CPUs (gic-ipibench with --smp 2: CPU 0 sends
// SGI 1, CPU 1 answers with SGI 2, 20000 times). The latter needs a board with several CPUs.
import { readFileSync } from 'node:fs';
import { Machine } from '../machine/machine';
import type { Row } from './table';

const img = (n: string) => readFileSync(new URL(`../guest-images/bin/${n}.elf`, import.meta.url));

function bestRun(n: number, make: () => Machine): { m: Machine; wallMs: number; insns: bigint } {
  let best: { m: Machine; wallMs: number; insns: bigint } | undefined;
  for (let i = 0; i < n; i++) {
    const m = make();
    const r = m.run(2_000_000_000n);
    if (r.reason !== 'poweroff') throw new Error(`gic bench: stopped with ${r.reason}`);
    if (!best || r.wallMs < best.wallMs) best = { m, wallMs: r.wallMs, insns: r.insns };
  }
  return best!;
}

export function benchGic(reps = 3): Row[] {
  const rows: Row[] = [];
  const irq = bestRun(reps, () => { const m = new Machine(); m.load(img('gic-irqbench'), 'gic-irqbench'); return m; });
  const n = Number(/interrupts: (\d+)/.exec(irq.m.uartText())?.[1] ?? 0);
  rows.push({
    group: 'gic', name: 'timer interrupts delivered+completed', value: n / (irq.wallMs / 1000), unit: '/s',
    note: `${n} interrupts, one per 200 insns; ${(Number(irq.insns) / irq.wallMs / 1000).toFixed(1)} MIPS overall`,
  });
  const ipi = bestRun(1, () => {
    const m = new Machine({ smp: 2 } as ConstructorParameters<typeof Machine>[0]);
    m.load(img('gic-ipibench'), 'gic-ipibench');
    return m;
  });
  const text = ipi.m.uartText();
  const pongs = Number(/pongs so far (\d+)/.exec(text)?.[1] ?? 0);
  if (/CPUs up: 1\n/.test(text) || pongs === 0) {
    rows.push({ group: 'gic', name: 'IPI round trips (2 CPUs)', value: NaN, unit: '/s', note: 'needs a board with several CPUs (--smp 2)' });
  } else {
    rows.push({ group: 'gic', name: 'IPI round trips (2 CPUs)', value: pongs / (ipi.wallMs / 1000), unit: '/s', note: `${pongs} round trips in ${ipi.wallMs.toFixed(0)} ms` });
  }
  return rows;
}
