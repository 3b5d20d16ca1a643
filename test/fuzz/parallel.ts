/**
 * A fuzz session: `runs` sequences split into chunks of `chunk` sequences (default 1000), chunk c a
 * fast-check run of its own from seed chunkSeed(seed, c) (chunk 0 from the seed itself), run on
 * `workers` worker threads (worker.ts) or in this thread, and merged into one report. The chunks and
 * their seeds depend only on (seed, runs, chunk), not on the number of workers, so a session is
 * reproducible on any machine; a failure is reported with its chunk's seed and fast-check path, which
 * replay it alone (`--seed S --path P`).
 *
 * After the first failing chunk no new chunk starts; the chunks already running finish.
 */
import { Worker } from 'node:worker_threads';
import type { Progress } from '../../cli/progress';
import { runChunk, type Args, type ChunkFailure, type ChunkResult } from './chunk';

export interface FuzzResult {
  runs: number; failed: boolean; seed: number; seconds: number; sequencesPerSecond: number; cpuSeconds: number;
  steps: number; checks: number; warns: number; workers: number; chunks: number;
  /** Every failing chunk (in chunk order) and, for the first, its report and steps at the top level. */
  failures: ChunkFailure[]; report?: string; stepsOfCounterexample?: string; replay?: string;
  coverage?: [string, number][];
}

/** The seed of chunk c of a session with this seed (a 32-bit mix; chunk 0: the seed). */
export function chunkSeed(seed: number, c: number): number {
  if (c === 0) return seed | 0;
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 15;
  return h | 0;
}

interface Task { index: number; args: Args }
type FromWorker = { t: 'progress'; index: number; done: number } | { t: 'done'; index: number; result: ChunkResult } | { t: 'error'; index: number; message: string };

/** Runs the session; `log` gets a line every 10,000 sequences (not with --json) and the traces. */
export async function fuzz(a: Args, log: (s: string) => void = () => {}, progress: Progress | null = null): Promise<FuzzResult> {
  const t0 = performance.now();
  const size = a.path ? a.runs : Math.max(1, a.chunk ?? 1000);
  const nChunks = a.path ? 1 : Math.ceil(a.runs / size);
  const tasks: Task[] = Array.from({ length: nChunks }, (_, c) => ({
    index: c,
    args: { ...a, seed: a.path ? a.seed : chunkSeed(a.seed, c), runs: Math.min(size, a.runs - c * size), workers: 1 },
  }));
  const workers = a.trace || a.path || a.tamper ? 1 : Math.max(1, Math.min(a.workers ?? 1, nChunks));
  const results: (ChunkResult | undefined)[] = new Array(nChunks);
  const inFlight = new Map<number, number>(); /* chunk index → sequences done so far */
  let finished = 0;
  let nextLog = 10_000;
  const doneNow = (): number => finished + [...inFlight.values()].reduce((x, y) => x + y, 0);
  const tick = (): void => {
    const d = doneNow();
    progress?.update({ done: d, total: a.runs, note: `${workers} worker${workers > 1 ? 's' : ''}` });
    if (!a.json && d >= nextLog) {
      while (nextLog <= d) nextLog += 10_000;
      progress?.clear();
      const s = (performance.now() - t0) / 1000;
      log(`  ${d} sequences in ${s.toFixed(0)} s, ${(d / s).toFixed(0)}/s`);
    }
  };
  const complete = (index: number, r: ChunkResult): void => {
    results[index] = r;
    inFlight.delete(index);
    finished += r.runs;
    tick();
  };
  const anyFailed = (): boolean => results.some((r) => r?.failed);

  if (workers === 1) {
    for (const t of tasks) {
      if (anyFailed()) break;
      inFlight.set(t.index, 0);
      complete(t.index, runChunk(t.args, (d) => { inFlight.set(t.index, d); tick(); }, log));
    }
  } else {
    let next = 0;
    await new Promise<void>((resolve, reject) => {
      let live = workers;
      const start = (w: Worker): boolean => {
        if (next >= tasks.length || anyFailed()) return false;
        const t = tasks[next++]!;
        inFlight.set(t.index, 0);
        w.postMessage(t);
        return true;
      };
      for (let k = 0; k < workers; k++) {
        const w = new Worker(new URL('./worker-boot.mjs', import.meta.url));
        w.on('message', (m: FromWorker) => {
          if (m.t === 'progress') { inFlight.set(m.index, m.done); tick(); return; }
          if (m.t === 'error') { void w.terminate(); reject(new Error(`fuzz worker, chunk ${m.index}: ${m.message}`)); return; }
          complete(m.index, m.result);
          if (!start(w)) { void w.terminate(); if (--live === 0) resolve(); }
        });
        w.on('error', (e) => reject(e));
        if (!start(w)) { void w.terminate(); if (--live === 0) resolve(); }
      }
    });
  }
  progress?.clear();
  const done = results.filter((r): r is ChunkResult => !!r);
  const seconds = (performance.now() - t0) / 1000;
  const runs = done.reduce((n, r) => n + r.runs, 0);
  const failures = done.filter((r) => r.failure).map((r) => r.failure!);
  const out: FuzzResult = {
    runs, failed: failures.length > 0, seed: a.seed, seconds, sequencesPerSecond: runs / seconds,
    cpuSeconds: done.reduce((n, r) => n + r.cpuSeconds, 0), steps: done.reduce((n, r) => n + r.steps, 0),
    checks: done.reduce((n, r) => n + r.checks, 0), warns: done.reduce((n, r) => n + r.warns, 0),
    workers, chunks: done.length, failures,
  };
  if (failures[0]) {
    out.report = failures[0].report;
    out.stepsOfCounterexample = failures[0].stepsOfCounterexample;
    out.replay = failures[0].replay;
  }
  if (a.coverage) {
    const m = new Map<string, number>();
    for (const r of done) for (const [k, v] of r.coverage ?? []) m.set(k, (m.get(k) ?? 0) + v);
    out.coverage = [...m];
  }
  return out;
}
