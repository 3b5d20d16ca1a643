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

export interface RunFlags { quiet?: boolean; traceFaults?: boolean; gdb?: string; trace?: string; report?: string }

export function runCommand(file: string, flags: RunFlags): number {
  const gdbPort = flags.gdb !== undefined ? parseGdbPort(flags.gdb) : undefined;
  const scenario = loadScenario(file);
  // --trace / --report / progress (cli/trace/): paths checked before the run, files written after it.
  const obs = new ScenarioObserver({ trace: flags.trace, report: flags.report }, new Progress(`run ${scenario.name}`));
  let gdb: GdbStub | null = null;
  const hooks = gdbPort === undefined ? obs.hooks : { ...obs.hooks, onWorld: (w: World) => { gdb = startGdb(gdbPort, pkvmTarget(w)); } };
  const result = runScenario(scenario, hooks);
  const errors = obs.finish(result);
  (gdb as GdbStub | null)?.finish(result.passed && errors.length === 0 ? 0 : 1);
  writeSync(1, report(result, { quiet: flags.quiet, traceFaults: flags.traceFaults }));
  for (const e of errors) process.stderr.write(`pkvm-emu: ${e}\n`);
  return result.passed && errors.length === 0 ? 0 : 1;
}
