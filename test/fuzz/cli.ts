/**
 * `npm run fuzz -- --runs N --seed S`: run N random sequences of host/guest operations against the
 * hosted pKVM and the reference model, on worker threads, and on a disagreement print fast-check's
 * report (seed, path, shrunk counterexample), the counterexample's steps in readable form and the
 * command that replays it.
 *
 * Options:
 *   --runs N        sequences to run (default 1000)
 *   --seed S        session seed (default: random, printed); chunk c of the session runs from
 *                  chunkSeed(S, c) (parallel.ts; chunk 0 from S itself)
 *   --workers N     worker threads (default: the CPUs available); the results do not depend on it
 *   --chunk N       sequences per chunk, one fast-check run each (default 1000)
 *   --path P        replay one counterexample from a reported (chunk) seed and path
 *   --min-len N, --max-len N   operations per sequence (default 5, 30)
 *   --invariants step|op   run pkvm.checkInvariants() after every step (default) or after every
 *                  generated operation (its vcpu_load/put and top-up steps included); the model is
 *                  compared after every step either way
 *   --iommu hypercall|mirror|none   the board's IOMMU (default hypercall: pKVM-owned IOMMU tables,
 *                  domain 1 attached to the DMA engine at boot; mirror: the SMMU shares the host
 *                  stage-2; none: no IOMMU, the IOMMU hypercalls answer -ENODEV)
 *   --abi upstream|android|both   the guest-HVC ABI of the board (default both: each sequence draws
 *                  one from the seed; the model knows both, R12)
 *   --fresh         boot a new machine for every sequence instead of restoring the booted one
 *                  (test/fuzz/snapshot.ts); slow, for checking the restore
 *   --coverage      print how often each call ended with each result
 *   --trace         print the step list of every sequence (with --runs 1: one readable run)
 *   --json          one JSON line with the result (used by test/fuzz/fuzz.test.ts)
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { fuzz } from './parallel';
import type { Args } from './chunk';
import { Progress } from '../../cli/progress';

export { fuzz, type FuzzResult } from './parallel';
export type { Args } from './chunk';

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\nusage: npm run fuzz -- [--runs N] [--seed S] [--path P] [--min-len N] [--max-len N] [--workers N] [--chunk N] [--invariants step|op] [--iommu hypercall|mirror|none] [--abi upstream|android|both] [--fresh] [--coverage] [--trace] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    runs: 1000, seed: (Date.now() ^ (process.pid << 16)) | 0, minLen: 5, maxLen: 30,
    coverage: false, trace: false, json: false, invariants: 'step', workers: availableParallelism(), chunk: 1000,
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
      case '--fresh': a.fresh = true; break;
      case '--workers': a.workers = int(argv[++i], k, 1); break;
      case '--chunk': a.chunk = int(argv[++i], k, 1); break;
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
      case '--abi': {
        const v = argv[++i];
        if (v !== 'upstream' && v !== 'android' && v !== 'both') usage('--abi takes upstream, android or both');
        a.abi = v;
        break;
      }
      case '--help': case '-h': usage('help');
      default: usage(`unknown option ${k}`);
    }
  }
  if (a.minLen > a.maxLen) usage('--min-len is larger than --max-len');
  return a;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const out = (s: string): void => void process.stdout.write(s + '\n');
  if (!a.json) {
    out(`pkvm-emu ownership fuzzer: ${a.runs} sequences of ${a.minLen}–${a.maxLen} operations, seed ${a.seed}` +
      `${a.path ? `, path ${a.path}` : `, ${Math.ceil(a.runs / (a.chunk ?? 1000))} chunk(s) of ${Math.min(a.runs, a.chunk ?? 1000)}`}` +
      `, iommu ${a.iommu ?? 'hypercall'}, guest-HVC ABI ${a.abi ?? 'both'}, invariants after every ${a.invariants}${a.fresh ? ', a fresh machine per sequence' : ''}`);
  }
  const r = await fuzz(a, out, a.json || a.trace ? null : new Progress('fuzz')); // a progress line on a terminal
  if (a.json) {
    out(JSON.stringify(r));
  } else {
    out(`${r.runs} sequences (${r.steps} steps, ${r.checks} invariant checks) in ${r.seconds.toFixed(1)} s on ${r.workers} worker(s) ` +
      `(${r.cpuSeconds.toFixed(1)} s CPU, ${(r.cpuSeconds * 1000 / Math.max(1, r.runs)).toFixed(2)} ms per sequence): ` +
      `${r.sequencesPerSecond.toFixed(0)} sequences/s, ${(r.steps / r.seconds).toFixed(0)} steps/s; ${r.warns} steps hit a (non-fatal) hyp WARN`);
    if (a.coverage) {
      out('\noutcomes:');
      for (const [k, v] of [...(r.coverage ?? [])].sort()) out(`${String(v).padStart(8)}  ${k}`);
    }
    for (const f of r.failures) {
      out(`\nFAILED: chunk seed ${f.seed}\n${f.report}\n`);
      out('counterexample, step by step:');
      out(f.stepsOfCounterexample);
      out(`\nreplay: ${f.replay}`);
    }
    if (!r.failed) out('no disagreement with the model, no invariant violation');
  }
  process.exitCode = r.failed ? 1 : 0;
}

if (isMainThread && process.argv[1] && /test[\\/]fuzz[\\/]cli\.ts$/.test(process.argv[1])) {
  main().catch((e: Error) => { process.stderr.write(`fuzz: ${e.message}\n`); process.exitCode = 1; });
}
