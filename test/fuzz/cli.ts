/**
 * `npm run fuzz -- --runs N --seed S`: run N random sequences of host/guest operations against the
 * hosted pKVM and the reference model, and on a disagreement print fast-check's report (seed, path,
 * shrunk counterexample) followed by the counterexample's steps in readable form.
 *
 * Options:
 *   --runs N        sequences to run (default 1000)
 *   --seed S        fast-check seed (default: random, printed)
 *   --path P        replay one counterexample from a reported seed and path
 *   --min-len N, --max-len N   operations per sequence (default 5, 30)
 *   --invariants step|op   run pkvm.checkInvariants() after every step (default) or after every
 *                  generated operation (its vcpu_load/put and top-up steps included); the model is
 *                  compared after every step either way
 *   --iommu hypercall|mirror|none   the board's IOMMU (default hypercall: pKVM-owned IOMMU tables,
 *                  domain 1 attached to the DMA engine at boot; mirror: the SMMU shares the host
 *                  stage-2; none: no IOMMU, the IOMMU hypercalls answer -ENODEV)
 *   --coverage      print how often each call ended with each result
 *   --trace         print the step list of every sequence (with --runs 1: one readable run)
 *   --json          one JSON line with the result (used by test/fuzz/fuzz.test.ts to shard runs)
 */
import fc from 'fast-check';
import { seqArb, type Op } from './ops';
import { FuzzFailure, coverage, runSequence, traceSequence, type RunOptions } from './runner';
import { Progress } from '../../cli/progress';

export interface Args {
  runs: number; seed: number; path?: string; minLen: number; maxLen: number;
  coverage: boolean; trace: boolean; json: boolean; invariants: RunOptions['invariants'];
  iommu?: NonNullable<RunOptions['iommu']>;
}

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\nusage: npm run fuzz -- [--runs N] [--seed S] [--path P] [--min-len N] [--max-len N] [--invariants step|op] [--iommu hypercall|mirror|none] [--coverage] [--trace] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    runs: 1000, seed: (Date.now() ^ (process.pid << 16)) | 0, minLen: 5, maxLen: 30,
    coverage: false, trace: false, json: false, invariants: 'step',
  };
  const int = (v: string | undefined, what: string, min: number): number => {
    if (v === undefined || !/^-?(0x[0-9a-f]+|\d+)$/i.test(v)) usage(`${what} needs an integer`);
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) usage(`${what} must be an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    switch (k) {
      case '--runs': a.runs = int(argv[++i], k, 1); break;
      case '--seed': a.seed = int(argv[++i], k, -(2 ** 31)) | 0; break;
      case '--path': a.path = argv[++i] ?? usage('--path needs a value'); break;
      case '--min-len': a.minLen = int(argv[++i], k, 0); break;
      case '--max-len': a.maxLen = int(argv[++i], k, 1); break;
      case '--coverage': a.coverage = true; break;
      case '--trace': a.trace = true; break;
      case '--json': a.json = true; break;
      case '--invariants': {
        const v = argv[++i];
        if (v !== 'step' && v !== 'op') usage('--invariants takes step or op');
        a.invariants = v;
        break;
      }
      case '--iommu': {
        const v = argv[++i];
        if (v !== 'hypercall' && v !== 'mirror' && v !== 'none') usage('--iommu takes hypercall, mirror or none');
        a.iommu = v;
        break;
      }
      case '--help': case '-h': usage('help');
      default: usage(`unknown option ${k}`);
    }
  }
  if (a.minLen > a.maxLen) usage('--min-len is larger than --max-len');
  return a;
}

export interface FuzzResult {
  runs: number; failed: boolean; seed: number; seconds: number; sequencesPerSecond: number;
  steps: number; checks: number; warns: number; report?: string; stepsOfCounterexample?: string;
}

/** Runs the property; returns the summary (and the failure report and readable steps if it failed). */
export function fuzz(a: Args, log: (s: string) => void = () => {}, progress: Progress | null = null): FuzzResult {
  coverage.enabled = a.coverage;
  let steps = 0;
  let checks = 0;
  let warns = 0;
  let done = 0;
  const opts: RunOptions = { invariants: a.invariants, iommu: a.iommu ?? 'hypercall' };
  const t0 = performance.now();
  const prop = fc.property(seqArb(a.minLen, a.maxLen), (ops: Op[]) => {
    if (a.trace) {
      const t = traceSequence(ops, opts);
      log(t.log.join('\n') + '\n');
      if (t.failure) throw t.failure;
      return;
    }
    const s = runSequence(ops, opts);
    steps += s.steps;
    checks += s.checks;
    warns += s.warns;
    progress?.update({ done: done + 1, total: a.runs, note: `${steps} steps, ${checks} invariant checks` });
    if (++done % 1000 === 0 && !a.json) { progress?.clear(); log(`  ${done} sequences, ${(done / ((performance.now() - t0) / 1000)).toFixed(0)}/s`); }
  });
  const details = fc.check(prop, { numRuns: a.runs, seed: a.seed, path: a.path, endOnFailure: false });
  progress?.clear();
  const seconds = (performance.now() - t0) / 1000;
  const r: FuzzResult = {
    runs: details.numRuns, failed: details.failed, seed: a.seed, seconds,
    sequencesPerSecond: details.numRuns / seconds, steps, checks, warns,
  };
  if (details.failed) {
    r.report = fc.defaultReportMessage(details) ?? 'property failed';
    const ce = details.counterexample?.[0] as Op[] | undefined;
    if (ce) {
      const t = traceSequence(ce, opts);
      r.stepsOfCounterexample = t.failure ? t.failure.message : `(the counterexample passed when replayed)\n${t.log.join('\n')}`;
    } else if (details.errorInstance instanceof FuzzFailure) {
      r.stepsOfCounterexample = details.errorInstance.message;
    }
  }
  return r;
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  const out = (s: string): void => void process.stdout.write(s + '\n');
  if (!a.json) out(`pkvm-emu ownership fuzzer: ${a.runs} sequences of ${a.minLen}–${a.maxLen} operations, seed ${a.seed}, iommu ${a.iommu ?? 'hypercall'}${a.path ? `, path ${a.path}` : ''}`);
  const r = fuzz(a, out, a.json || a.trace ? null : new Progress('fuzz')); // a progress line on a terminal
  if (a.json) {
    out(JSON.stringify(r));
  } else {
    out(`${r.runs} sequences (${r.steps} steps, ${r.checks} invariant checks) in ${r.seconds.toFixed(1)} s: ` +
      `${r.sequencesPerSecond.toFixed(0)} sequences/s, ${(r.steps / r.seconds).toFixed(0)} steps/s; ${r.warns} steps hit a (non-fatal) hyp WARN`);
    if (a.coverage) {
      out('\noutcomes:');
      for (const [k, v] of [...coverage.counts].sort()) out(`${String(v).padStart(8)}  ${k}`);
    }
    if (r.failed) {
      out(`\n${r.report}\n`);
      out('counterexample, step by step:');
      out(r.stepsOfCounterexample ?? '(not available)');
      out(`\nreplay: npm run fuzz -- --seed ${a.seed} --path "${/path: "([^"]*)"/.exec(r.report ?? '')?.[1] ?? ''}" --runs 1 --trace --invariants ${a.invariants} --iommu ${a.iommu ?? 'hypercall'}`);
    } else out('no disagreement with the model, no invariant violation');
  }
  process.exitCode = r.failed ? 1 : 0;
}

if (process.argv[1] && /test[\\/]fuzz[\\/]cli\.ts$/.test(process.argv[1])) main();
