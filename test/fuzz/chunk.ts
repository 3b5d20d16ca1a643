/**
 * One fast-check run of the fuzz property: `runs` sequences from one seed, shrinking the first
 * failure to a minimal counterexample. A fuzz session (parallel.ts) is a list of such chunks, each with
 * a seed of its own, run on worker threads; this file is what one worker (or the CLI in-process)
 * executes.
 */
import fc from 'fast-check';
import { seqArb, type Op } from './ops';
import { FuzzFailure, coverage, runSequence, traceSequence, type GuestHvcAbi, type MachineChoice, type RunOptions } from './runner';

export interface Args {
  runs: number; seed: number; path?: string; minLen: number; maxLen: number;
  coverage: boolean; trace: boolean; json: boolean; invariants: RunOptions['invariants'];
  iommu?: NonNullable<RunOptions['iommu']>;
  /**
   * The guest-HVC ABI of the board (model R12): one for every sequence, or 'both' (the default):
   * each sequence draws its ABI from the seed with its operations (upstream's or Android's).
   */
  abi?: GuestHvcAbi | 'both';
  /** Worker threads (default 1: in this thread). */
  workers?: number;
  /** Sequences per chunk (one fast-check run with a seed of its own; default 1000). */
  chunk?: number;
  /** Boot a new machine for every sequence instead of restoring one booted machine (slow; a check). */
  fresh?: boolean;
  /** Test hook (RunOptions.tamper), in this thread only (a function does not reach a worker). */
  tamper?: RunOptions['tamper'];
}

/** One chunk's failure: its seed and shrunk counterexample, readable, and how to replay it. */
export interface ChunkFailure {
  seed: number; report: string; stepsOfCounterexample: string; path: string; replay: string;
}

export interface ChunkResult {
  runs: number; failed: boolean; seed: number; seconds: number; cpuSeconds: number;
  steps: number; checks: number; warns: number; failure?: ChunkFailure;
  coverage?: [string, number][];
}

/** The command that replays a failure: its seed and fast-check path, one readable run. */
export function replayCommand(a: Args, seed: number, path: string): string {
  return `npm run fuzz -- --seed ${seed} --path "${path}" --runs 1 --trace --min-len ${a.minLen} --max-len ${a.maxLen} ` +
    `--invariants ${a.invariants} --iommu ${a.iommu ?? 'hypercall'} --abi ${a.abi ?? 'both'}${a.fresh ? ' --fresh' : ''}`;
}

/**
 * Runs a.runs sequences from a.seed (or replays a.path); `onSequence` after each (for progress).
 * The failure report carries the shrunk counterexample step by step and its replay command.
 */
export function runChunk(a: Args, onSequence: (done: number) => void = () => {}, log: (s: string) => void = () => {}): ChunkResult {
  coverage.enabled = a.coverage;
  coverage.counts.clear();
  let steps = 0;
  let checks = 0;
  let warns = 0;
  let done = 0;
  const base: RunOptions = { invariants: a.invariants, iommu: a.iommu ?? 'hypercall', tamper: a.tamper };
  const optsFor = (abi: GuestHvcAbi): RunOptions => ({ ...base, guestHvcAbi: abi });
  const machine: MachineChoice = a.fresh ? 'fresh' : 'reuse';
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const abiArb: fc.Arbitrary<GuestHvcAbi> = !a.abi || a.abi === 'both' ? fc.constantFrom<GuestHvcAbi>('upstream', 'android') : fc.constant(a.abi);
  const prop = fc.property(abiArb, seqArb(a.minLen, a.maxLen), (abi: GuestHvcAbi, ops: Op[]) => {
    const opts = optsFor(abi);
    if (a.trace) {
      log(`guest-HVC ABI: ${abi}`);
      const t = traceSequence(ops, opts, machine);
      log(t.log.join('\n') + '\n');
      steps += t.stats.steps;
      checks += t.stats.checks;
      warns += t.stats.warns;
      onSequence(++done);
      if (t.failure) throw t.failure;
      return;
    }
    const s = runSequence(ops, opts, machine);
    steps += s.steps;
    checks += s.checks;
    warns += s.warns;
    onSequence(++done);
  });
  const details = fc.check(prop, { numRuns: a.runs, seed: a.seed, path: a.path, endOnFailure: false });
  const cpu = process.cpuUsage(cpu0);
  const r: ChunkResult = {
    runs: details.numRuns, failed: details.failed, seed: a.seed, seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6, steps, checks, warns,
  };
  if (a.coverage) r.coverage = [...coverage.counts];
  if (details.failed) {
    const report = fc.defaultReportMessage(details) ?? 'property failed';
    const path = details.counterexamplePath ?? /path: "([^"]*)"/.exec(report)?.[1] ?? '';
    let stepsOfCounterexample = '(not available)';
    const ceAbi = details.counterexample?.[0] as GuestHvcAbi | undefined;
    const ce = details.counterexample?.[1] as Op[] | undefined;
    if (ce && ceAbi) {
      const t = traceSequence(ce, optsFor(ceAbi), machine);
      stepsOfCounterexample = `guest-HVC ABI: ${ceAbi}\n` + (t.failure ? t.failure.message : `(the counterexample passed when replayed)\n${t.log.join('\n')}`);
    } else if (details.errorInstance instanceof FuzzFailure) {
      stepsOfCounterexample = details.errorInstance.message;
    }
    r.failure = { seed: a.seed, report, stepsOfCounterexample, path, replay: replayCommand(a, a.seed, path) };
  }
  return r;
}
