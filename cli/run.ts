// `pkvm-emu run SCENARIO`: runs one scenario file, prints its report, exit status 0 only if every
// expectation holds.
import { writeSync } from 'node:fs';
import { loadScenario } from './scenario/load';
import { runScenario } from './scenario/runner';
import { report } from './scenario/report';
import { ScenarioObserver } from './trace/scenario-observer';
import { Progress } from './progress';

export interface RunFlags { quiet?: boolean; traceFaults?: boolean; trace?: string; report?: string }

export function runCommand(file: string, flags: RunFlags): number {
  const scenario = loadScenario(file);
  // --trace / --report / progress (cli/trace/): paths checked before the run, files written after it.
  const obs = new ScenarioObserver({ trace: flags.trace, report: flags.report }, new Progress(`run ${scenario.name}`));
  const result = runScenario(scenario, obs.hooks);
  const errors = obs.finish(result);
  writeSync(1, report(result, { quiet: flags.quiet, traceFaults: flags.traceFaults }));
  for (const e of errors) process.stderr.write(`pkvm-emu: ${e}\n`);
  return result.passed && errors.length === 0 ? 0 : 1;
}
