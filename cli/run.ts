// `pkvm-emu run SCENARIO`: runs one scenario file, prints its report, exit status 0 only if every
// expectation holds.
import { writeSync } from 'node:fs';
import { loadScenario } from './scenario/load';
import { runScenario } from './scenario/runner';
import { report } from './scenario/report';

import { parseGdbPort, startGdb } from './gdb/attach';
import { pkvmTarget } from './gdb/pkvm-threads';
import type { GdbStub } from '../machine/gdb/stub';

export interface RunFlags { quiet?: boolean; traceFaults?: boolean; gdb?: string }

export function runCommand(file: string, flags: RunFlags): number {
  const gdbPort = flags.gdb !== undefined ? parseGdbPort(flags.gdb) : undefined;
  const scenario = loadScenario(file);
  let gdb: GdbStub | null = null;
  const result = runScenario(scenario, gdbPort === undefined ? {} : { onWorld: (w) => { gdb = startGdb(gdbPort, pkvmTarget(w)); } });
  (gdb as GdbStub | null)?.finish(result.passed ? 0 : 1);
  writeSync(1, report(result, { quiet: flags.quiet, traceFaults: flags.traceFaults }));
  return result.passed ? 0 : 1;
}
