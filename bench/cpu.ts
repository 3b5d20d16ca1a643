// CPU throughput (with the compiled tier, and with the interpreter alone: --no-jit): MIPS of the tight loop, the compute image, the SIMD compute image
// (simdbench: NEON strings, AES/SHA/SHA3 rounds) and the C benchmark (kernels: integer kernels at -O2 and -O3) on pkvm-emu and on
// qemu-system-aarch64 (same image, same run). QEMU's time is measured as the whole process less the
// time it takes to boot and power off `hello` (start-up), so the ratio compares execution speed.
// With `perf` installed the ratio is also given by CPU time (pkvm-emu's process during the run, all
// threads, against QEMU's task-clock less hello's), which a shared, loaded machine disturbs far less.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { qemuAvailable } from './qemu';
import { Machine } from '../machine/machine';
import type { Row } from './table';

const img = (n: string) => new URL(`../guest-images/bin/${n}.elf`, import.meta.url).pathname;

const QEMU_ARGS = ['-M', 'virt', '-cpu', 'max', '-m', '128M', '-nographic', '-monitor', 'none', '-serial', 'stdio', '-kernel'];

function qemuMs(path: string): number {
  const t0 = performance.now();
  const r = spawnSync('qemu-system-aarch64', [...QEMU_ARGS, path], { timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`qemu failed on ${path}`);
  return performance.now() - t0;
}

/** `perf stat` can count QEMU's CPU time (task-clock: every thread of the process, in ms). */
const perfAvailable = (): boolean => spawnSync('sh', ['-c', 'command -v perf && perf stat -x, -e task-clock true'], { stdio: 'ignore' }).status === 0;

/**
 * CPU time QEMU spends on `path` (ms, all its threads, by `perf stat -e task-clock`): on a shared,
 * loaded machine it varies far less than the wall time, which includes waiting for a CPU.
 */
function qemuCpuMs(path: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'pkvm-bench-'));
  try {
    const out = join(dir, 'perf.txt');
    const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', out, 'qemu-system-aarch64', ...QEMU_ARGS, path], { timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`qemu failed on ${path}`);
    const line = readFileSync(out, 'utf8').split('\n').find((l) => l.includes('task-clock'));
    const ms = line ? Number(line.split(',')[0]) : NaN;
    if (!Number.isFinite(ms)) throw new Error('perf stat: no task-clock');
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function best<T>(n: number, f: () => T, key: (t: T) => number): T {
  let b: T | undefined;
  for (let i = 0; i < n; i++) { const t = f(); if (b === undefined || key(t) < key(b)) b = t; }
  return b as T;
}

export function benchCpu(reps = 3): Row[] {
  const rows: Row[] = [];
  const haveQemu = qemuAvailable();
  const qemuStart = haveQemu ? best(reps, () => qemuMs(img('hello')), (x) => x) : 0;
  const havePerf = haveQemu && perfAvailable();
  const qemuStartCpu = havePerf ? best(reps, () => qemuCpuMs(img('hello')), (x) => x) : 0;
  let intMips = NaN;
  const mipsOf: Record<string, number> = {};
  for (const name of ['loop', 'compute', 'fpcompute', 'simdbench', 'kernels', 'kernels-o3']) {
    const image = readFileSync(img(name));
    // The compiled tier (machine/jit/) as configured (on unless --no-jit), and the interpreter alone.
    let cpuBest = Infinity;
    const once = (jit: boolean) => best(reps, () => {
      const m = new Machine({ jit: jit ? undefined : false });
      m.load(image, name);
      const c0 = process.cpuUsage();
      const r = m.run(4_000_000_000n);
      const c = process.cpuUsage(c0);
      if (r.reason !== 'poweroff' || m.uartText().includes('FAIL') || m.uartText().includes('exception')) throw new Error(`${name}: ${r.reason}`);
      cpuBest = Math.min(cpuBest, (c.user + c.system) / 1000); // this process's CPU time (all threads) during the run
      return { ...r, jit: m.core.jitStats() };
    }, (r) => r.wallMs);
    let run, interp, runCpu = NaN;
    try {
      run = once(true);
      runCpu = cpuBest;
      interp = run.jit ? once(false) : run;
    } catch (e) {
      rows.push({ group: 'cpu', name: `${name} pkvm-emu`, value: NaN, unit: 'MIPS', note: `did not run: ${(e as Error).message}` });
      continue;
    }
    const mips = Number(run.insns) / run.wallMs / 1000;
    const imips = Number(interp.insns) / interp.wallMs / 1000;
    mipsOf[name] = mips;
    if (name === 'compute') intMips = mips;
    const vsInt = name === 'fpcompute' && intMips > 0 ? `, ${(mips / intMips).toFixed(2)}x the integer compute MIPS` : '';
    const j = run.jit;
    const jitNote = j ? `; ${j.blocksCompiled} blocks compiled, ${(j.compileMs * 100 / run.wallMs).toFixed(0)}% of the time compiling (${Math.round(j.blocksCompiled * 1000 / Math.max(j.compileMs, 1e-3))} blocks/s), ${(Number(j.insnsCompiled) * 100 / Number(run.insns)).toFixed(1)}% of instructions compiled` : ' (--no-jit)';
    rows.push({ group: 'cpu', name: `${name} pkvm-emu`, value: mips, unit: 'MIPS', note: `${run.insns} insns in ${run.wallMs.toFixed(0)} ms${jitNote}${vsInt}` });
    if (j) {
      rows.push({ group: 'cpu', name: `${name} pkvm-emu --no-jit`, value: imips, unit: 'MIPS', note: `${interp.insns} insns in ${interp.wallMs.toFixed(0)} ms` });
      rows.push({ group: 'cpu', name: `${name} ratio jit/--no-jit`, value: mips / imips, unit: 'x' });
    }
    if (haveQemu) {
      const ms = best(reps, () => qemuMs(img(name)), (x) => x) - qemuStart;
      const qmips = Number(run.insns) / ms / 1000;
      rows.push({ group: 'cpu', name: `${name} qemu-system-aarch64`, value: qmips, unit: 'MIPS', note: `${ms.toFixed(0)} ms net of ${qemuStart.toFixed(0)} ms start-up` });
      rows.push({ group: 'cpu', name: `${name} ratio pkvm-emu/qemu`, value: mips / qmips, unit: 'x' });
      if (j) rows.push({ group: 'cpu', name: `${name} ratio pkvm-emu --no-jit/qemu`, value: imips / qmips, unit: 'x' });
      if (havePerf) {
        // The same comparison by CPU time (best of the runs each): pkvm-emu's process during the run
        // (all threads) against QEMU's task-clock net of its start-up (hello's).
        const qcpu = best(reps, () => qemuCpuMs(img(name)), (x) => x) - qemuStartCpu;
        rows.push({ group: 'cpu', name: `${name} ratio pkvm-emu/qemu (CPU time)`, value: qcpu / runCpu, unit: 'x', note: `pkvm-emu ${runCpu.toFixed(0)} ms CPU, qemu ${qcpu.toFixed(0)} ms CPU net of ${qemuStartCpu.toFixed(0)} ms start-up (perf stat task-clock)` });
      }
    }
  }
  if (mipsOf.simdbench && mipsOf.compute) {
    rows.push({ group: 'cpu', name: 'simdbench / compute MIPS (SIMD vs integer)', value: mipsOf.simdbench / mipsOf.compute, unit: 'x' });
  }
  // The same images on a 4-CPU board: CPUs 1-3 stay off (nothing starts them), so this measures
  // what idle CPUs cost (the scheduler's turns; no CPU switch happens).
  for (const name of ['loop', 'compute']) {
    const image = readFileSync(img(name));
    const run = best(reps, () => {
      const m = new Machine({ smp: 4 });
      m.load(image, name);
      const r = m.run();
      if (r.reason !== 'poweroff') throw new Error(`${name} --smp 4: ${r.reason}`);
      return r;
    }, (r) => r.wallMs);
    const mips = Number(run.insns) / run.wallMs / 1000;
    rows.push({ group: 'cpu', name: `${name} pkvm-emu --smp 4`, value: mips, unit: 'MIPS', note: `${run.insns} insns in ${run.wallMs.toFixed(0)} ms, 3 CPUs off` });
  }
  // Four busy CPUs (smp-counter: spinlock and LSE counter on 4 CPUs): instructions per second over
  // all CPUs, CPU switches included.
  {
    const image = readFileSync(img('smp-counter'));
    const run = best(reps, () => {
      const m = new Machine({ smp: 4 });
      m.load(image, 'smp-counter');
      const r = m.run();
      if (r.reason !== 'poweroff') throw new Error(`smp-counter: ${r.reason}`);
      return r;
    }, (r) => r.wallMs);
    rows.push({ group: 'cpu', name: 'smp-counter pkvm-emu --smp 4', value: Number(run.insns) / run.wallMs / 1000, unit: 'MIPS', note: `${run.insns} insns on 4 CPUs in ${run.wallMs.toFixed(0)} ms` });
  }
  if (!haveQemu) rows.push({ group: 'cpu', name: 'qemu-system-aarch64', value: NaN, unit: '', note: 'not installed: no comparison' });
  return rows;
}
