// `pkvm-emu run SCENARIO`: runs one scenario file, prints its report, exit status 0 only if every
// expectation holds.
import { writeSync } from 'node:fs';
import { loadScenario } from './scenario/load';
import { runScenario } from './scenario/runner';
import { report } from './scenario/report';

export interface RunFlags { quiet?: boolean; traceFaults?: boolean }

export function runCommand(file: string, flags: RunFlags): number {
  const scenario = loadScenario(file);
  const result = runScenario(scenario);
  writeSync(1, report(result, { quiet: flags.quiet, traceFaults: flags.traceFaults }));
  return result.passed ? 0 : 1;
}
