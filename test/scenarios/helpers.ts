// Scenario files written to a temporary directory for the validation and CLI tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { loadScenario } from '../../cli/scenario/load';
import { ScenarioError } from '../../cli/scenario/reader';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const image = (n: string): string => join(repo, 'guest-images/bin', `${n}.elf`);
export const tmp = mkdtempSync(join(tmpdir(), 'pkvm-scenario-'));

let n = 0;
/** Writes `text` to a fresh file (name and extension given) and returns its path. */
export function scenarioFile(text: string, name = `s${n++}.yaml`, dir = tmp): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A minimal valid kvm scenario, with `extra` YAML appended at the top level. */
export const oneVm = (extra = '', vm = ''): string => `vms:
  - name: p
    protected: true
    memory: 4M
    image: ${image('pguest-hello')}
    args: [1]
${vm}${extra}`;

/** Loads `text` as a scenario file that must be refused: with one ScenarioError line that starts
 * with the file's path; returns the rest of the line (the field's path and the reason). */
export function refusal(text: string, name?: string): string {
  const f = scenarioFile(text, name);
  try {
    loadScenario(f);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg.startsWith(`${f}: `) || msg.includes(`${f.split('/').pop()}: `)).toBe(true);
    return msg.slice(msg.indexOf(': ') + 2);
  }
  throw new Error('scenario was accepted');
}
