// The hosted pKVM keeps working on CPU 0 of an SMP board (machine.smp): the scenarios give the same
// results, consoles and instruction counts with 4 CPUs as with 1 (the other CPUs stay off: nothing
// starts them), and the scenario format checks machine.smp.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadScenario } from '../../cli/scenario/load';
import { runScenario } from '../../cli/scenario/runner';
import { validateScenario } from '../../cli/scenario/validate';

const repo = new URL('../..', import.meta.url).pathname;

function run(file: string, smp: number) {
  const s = loadScenario(join(repo, 'scenarios', file));
  return runScenario({ ...s, machine: { ...s.machine, smp } });
}

describe('hosted pKVM on CPU 0 of an SMP board', () => {
  for (const file of ['default.yaml', 'a64-host-hcalls.yaml', 'multi-vcpu.yaml']) {
    it(`${file}: same outcome with 4 CPUs as with 1`, () => {
      const one = run(file, 1);
      const four = run(file, 4);
      expect(four.failures).toEqual([]);
      expect(four.passed).toBe(true);
      expect(four.consoles).toEqual(one.consoles);
      expect(four.insns).toBe(one.insns);
    }, 120_000);
  }
  it('machine.smp out of range is a one-line refusal', () => {
    expect(() => validateScenario('x.yaml', 'x', { machine: { smp: 9 }, vms: [{ name: 'a', protected: true, memory: '4M', image: 'guest-images/bin/pguest-hello.elf' }] },
      () => ({ path: '', shown: '' }))).toThrow(/machine\.smp: 9 is out of range \(1\.\.8\)/);
  });
});
