// Every scenario file in scenarios/ goes through the same loader and runner as `pkvm-emu run` and
// must pass.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { listScenarios, loadScenario } from '../../cli/scenario/load';
import { runScenario } from '../../cli/scenario/runner';
import { failureLines } from '../../cli/scenario/report';

const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const files = listScenarios(dir);

describe('scenarios/', () => {
  it('holds the issue-5 scenarios', () => {
    const names = files.map((f) => f.slice(dir.length));
    for (const n of ['default.yaml', 'protected-toucher-64m.yaml', 'non-protected.yaml', 'multi-vcpu.yaml',
      'a64-host-hcalls.yaml', 'guest-memfd.yaml', 'errno.yaml', 'ffa-share.yaml', 'ffa-lend-revoke.yaml']) expect(names).toContain(n);
  });

  for (const file of files) {
    it(`${file.slice(dir.length)} passes`, () => {
      const r = runScenario(loadScenario(file));
      expect(failureLines(r)).toEqual([]);
      expect(r.aborted).toBeNull();
      expect(r.passed).toBe(true);
      expect(r.checks).toBeGreaterThan(0);
    });
  }
});
