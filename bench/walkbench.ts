// The walkbench guest (guest-images/bin/walkbench.elf, entered at EL2): nested 4+4 translations,
// each load preceded by TLBI VAE1, timed on pkvm-emu and on qemu-system-aarch64 -M
// virt,virtualization=on (QEMU's time is the whole process less the start-up and power-off of
// hello.elf at EL2, as bench/cpu.ts does). Run alone: npx tsx bench/walkbench.ts
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { qemuAvailable } from './qemu';
import { Machine } from '../machine/machine';
import { printTable, type Row } from './table';

const img = (n: string) => new URL(`../guest-images/bin/${n}.elf`, import.meta.url).pathname;
const expected = () => readFileSync(new URL('../guest-images/expected/walkbench.txt', import.meta.url), 'latin1');


function qemuRun(path: string): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync('qemu-system-aarch64', ['-M', 'virt,virtualization=on', '-cpu', 'max', '-m', '128M', '-nographic',
    '-monitor', 'none', '-serial', 'stdio', '-kernel', path], { timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`qemu failed on ${path}`);
  return { ms: performance.now() - t0, out: r.stdout.toString('latin1') };
}

function best<T>(n: number, f: () => T, key: (t: T) => number): T {
  let b: T | undefined;
  for (let i = 0; i < n; i++) { const t = f(); if (b === undefined || key(t) < key(b)) b = t; }
  return b as T;
}

/** Number of TLBI + load iterations the image performs (ROUNDS x PAGES in walkbench.c). */
function loads(out: string): number {
  const m = out.match(/loads=([0-9a-f]+)/);
  return m ? parseInt(m[1], 16) : NaN;
}

export async function benchWalkbench(reps = 3): Promise<Row[]> {
  const rows: Row[] = [];
  const image = readFileSync(img('walkbench'));
  const run = best(reps, () => {
    const m = new Machine({ el2: true });
    m.load(image, 'walkbench');
    const r = m.run();
    if (r.reason !== 'poweroff' || m.uartText() !== expected()) throw new Error(`walkbench: ${r.reason}, output differs from expected/walkbench.txt`);
    return { ...r, out: m.uartText() };
  }, (r) => r.wallMs);
  const n = loads(run.out);
  rows.push({ group: 'walkbench', name: 'pkvm-emu', value: run.wallMs, unit: 'ms', note: `${n} TLBI+load (nested 4+4), ${run.insns} insns, ${(n / run.wallMs / 1000).toFixed(2)} M/s` });
  if (qemuAvailable()) {
    const start = best(reps, () => qemuRun(img('hello')).ms, (x) => x);
    const q = best(reps, () => qemuRun(img('walkbench')), (x) => x.ms);
    if (q.out !== expected()) throw new Error('walkbench: QEMU output differs from expected/walkbench.txt');
    const ms = Math.max(q.ms - start, 1e-3);
    rows.push({ group: 'walkbench', name: 'qemu-system-aarch64', value: ms, unit: 'ms', note: `${q.ms.toFixed(0)} ms less ${start.toFixed(0)} ms start-up; ${(n / ms / 1000).toFixed(2)} M/s` });
    rows.push({ group: 'walkbench', name: 'ratio pkvm-emu/qemu (time)', value: run.wallMs / ms, unit: 'x', note: 'below 1: pkvm-emu is faster' });
  } else {
    rows.push({ group: 'walkbench', name: 'qemu-system-aarch64', value: NaN, unit: '', note: 'not installed: no comparison' });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable(await benchWalkbench());
