// `pkvm-emu run SCENARIO`: runs one scenario file, prints its report, exit status 0 only if every
// expectation holds.
import { writeSync } from 'node:fs';
import { loadScenario } from './scenario/load';
import { runScenario } from './scenario/runner';
import { report } from './scenario/report';
import { ScenarioObserver } from './trace/scenario-observer';
import { Progress } from './progress';

import { parseGdbPort, startGdb } from './gdb/attach';
import { pkvmTarget } from './gdb/pkvm-threads';
import type { GdbStub } from '../machine/gdb/stub';
import type { World } from './scenario/world';
import { formatStats, startStats } from './stats';
import { UserError } from '../machine/errors';

export interface RunFlags { guestHvcAbi?: 'upstream' | 'android'; quiet?: boolean; traceFaults?: boolean; gdb?: string; trace?: string; report?: string; stats?: boolean; traceSource?: string }

export function runCommand(file: string, flags: RunFlags): number {
  const gdbPort = flags.gdb !== undefined ? parseGdbPort(flags.gdb) : undefined;
  const traceSource = parseTraceSource(flags);
  const scenario = loadScenario(file);
  if (flags.guestHvcAbi) scenario.machine.guestHvcAbi = flags.guestHvcAbi; // --guest-hvc-abi overrides the scenario
  // --trace / --report / progress (cli/trace/): paths checked before the run, files written after it.
  const obs = new ScenarioObserver({ trace: flags.trace, report: flags.report, traceSource }, new Progress(`run ${scenario.name}`));
  let gdb: GdbStub | null = null;
  let world: World | null = null;
  const hooks = { ...obs.hooks, onWorld: (w: World) => {
    world = w;
    if (flags.stats) startStats(w.core); // cli/stats.ts
    if (gdbPort !== undefined) gdb = startGdb(gdbPort, pkvmTarget(w));
  } };
  const t0 = performance.now();
  const result = runScenario(scenario, hooks);
  const wallMs = performance.now() - t0;
  const errors = obs.finish(result);
  (gdb as GdbStub | null)?.finish(result.passed && errors.length === 0 ? 0 : 1);
  writeSync(1, report(result, { quiet: flags.quiet, traceFaults: flags.traceFaults }));
  for (const e of errors) process.stderr.write(`pkvm-emu: ${e}\n`);
  const w = world as World | null;
  if (flags.stats && w) process.stderr.write(formatStats(w, { insns: w.core.insns, wallMs }));
  return result.passed && errors.length === 0 ? 0 : 1;
}

/** --trace-source model|ring (ring: the hyp's own events from its tracing ring, cli/trace/hyp-ring.ts). */
function parseTraceSource(flags: RunFlags): 'model' | 'ring' {
  const v = flags.traceSource ?? 'model';
  if (v !== 'model' && v !== 'ring') throw new UserError(`--trace-source: '${v}' is not model or ring`);
  if (v === 'ring' && flags.trace === undefined) throw new UserError('--trace-source ring: needs --trace FILE');
  return v;
}
