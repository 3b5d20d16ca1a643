// `pkvm-emu test [DIR] [--junit FILE]`: runs every scenario file in DIR, one PASS/FAIL line each
// (failures listed under it), then `N passed, M failed`; exit status 1 on any failure.
import { writeFileSync, writeSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { UserError } from '../machine/errors';
import { listScenarios, loadScenario, shown } from './scenario/load';
import { runScenario } from './scenario/runner';
import { failureLines, report, verdict } from './scenario/report';
import { junitXml, type CaseResult } from './scenario/junit';
import { Progress } from './progress';
import { observeCoreRuns } from './trace/core-runs';

export interface TestFlags { junit?: string; verbose?: boolean }

let progress: Progress | null = null;
const say = (s: string) => { progress?.clear(); writeSync(1, `${s}\n`); };

function runOne(file: string, flags: TestFlags): CaseResult {
  const t0 = performance.now();
  const name = basename(file, extname(file));
  const seconds = () => (performance.now() - t0) / 1000;
  try {
    const s = loadScenario(file);
    // progress line on a terminal (cli/progress.ts): the scenario's instructions and guest time
    const r = runScenario(s, { onStart: (st) => { if (progress?.enabled) observeCoreRuns(st.world.core, () => progress!.update({ insns: st.world.core.insns, note: s.name, mips: false })); } });
    say(verdict(r));
    for (const l of failureLines(r)) say(`  ${l}`);
    const text = report(r, { quiet: true });
    if (flags.verbose) writeSync(1, text);
    return { name: s.name, file: s.file, seconds: seconds(), failures: r.failures.map((f) => `${f.path}: ${f.message}`), output: text };
  } catch (e) {
    const msg = e instanceof UserError ? e.message : `internal error: ${(e as Error).message}`;
    say(`FAIL ${name}: ${msg}`);
    return { name, file: shown(file), seconds: seconds(), failures: [msg], error: msg };
  }
}

export function testCommand(dir: string, flags: TestFlags): number {
  const files = listScenarios(dir);
  if (files.length === 0) throw new UserError(`${shown(dir)}: no scenario files (*.yaml, *.yml, *.json)`);
  progress = new Progress('test');
  const cases = files.map((f, i) => { progress!.update({ done: i, total: files.length, note: basename(f) }, true); return runOne(f, flags); });
  progress.clear();
  const failed = cases.filter((c) => c.error || c.failures.length).length;
  say(`${cases.length - failed} passed, ${failed} failed`);
  if (flags.junit) {
    try {
      writeFileSync(flags.junit, junitXml(shown(dir), cases));
    } catch (e) {
      throw new UserError(`--junit ${flags.junit}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return failed ? 1 : 0;
}
