// The gic/ guest images (guest-images/gic/) print on pkvm-emu exactly what QEMU printed
// (guest-images/expected/, recorded with run-qemu.sh --gic3: -M virt,gic-version=3,its=off), and,
// when qemu-system-aarch64 is installed, QEMU still prints it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';

const dir = fileURLToPath(new URL('../../guest-images', import.meta.url));
const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'], { stdio: 'ignore' }).status === 0;

/** [image, expected file, boot at EL2] */
export const GIC_RUNS: Array<[string, string, boolean]> = [
  ['gic-probe', 'gic-probe', false],
  ['gic-probe', 'gic-probe-el2', true],
  ['gic-timer', 'gic-timer', false],
  ['gic-timer', 'gic-timer-el2', true],
  ['gic-sgi', 'gic-sgi', false],
  ['gic-vgic', 'gic-vgic-el2', true],
  ['gic-ipi', 'gic-ipi', false], // one CPU: CPU_ON fails, the broadcast reaches nobody
  ['pguest-vtimer', 'pguest-vtimer', false], // no hypervisor: it programs the physical GIC itself
];

const expected = (name: string) => readFileSync(join(dir, 'expected', `${name}.txt`), 'latin1');

describe('gic guest images', () => {
  for (const [image, exp, el2] of GIC_RUNS) {
    it(`${exp} on pkvm-emu matches QEMU`, () => {
      const m = new Machine({ el2 });
      m.load(readFileSync(join(dir, 'bin', `${image}.elf`)), `${image}.elf`);
      const r = m.run(50_000_000n);
      expect(m.uartText()).toBe(expected(exp));
      expect(r.reason).toBe('poweroff');
    });
    it.skipIf(!haveQemu)(`${exp} on QEMU still prints expected/${exp}.txt`, () => {
      const out = execFileSync(join(dir, 'run-qemu.sh'), [image, '--gic3', ...(el2 ? ['--el2'] : [])], {
        encoding: 'latin1', env: { ...process.env, QEMU_TIMEOUT: '60' },
      });
      expect(out).toBe(expected(exp));
    });
  }

  it.skipIf(!haveQemu)('gic-ipi with 4 CPUs on QEMU prints expected/gic-ipi-smp4.txt', () => {
    const out = execFileSync(join(dir, 'run-qemu.sh'), ['gic-ipi', '--gic3', '--smp', '4'], {
      encoding: 'latin1', env: { ...process.env, QEMU_TIMEOUT: '60' },
    });
    expect(out).toBe(expected('gic-ipi-smp4'));
  });

  it('gic-ipi with 4 CPUs on pkvm-emu matches QEMU', () => {
    const m = new Machine({ smp: 4 });
    m.load(readFileSync(join(dir, 'bin', 'gic-ipi.elf')), 'gic-ipi.elf');
    const r = m.run(500_000_000n);
    expect(m.uartText()).toBe(expected('gic-ipi-smp4'));
    expect(r.reason).toBe('poweroff');
  });

  it('a timer-interrupt run is deterministic: same instruction count every time', () => {
    const counts = [0, 1].map(() => {
      const m = new Machine({});
      m.load(readFileSync(join(dir, 'bin', 'gic-timer.elf')), 'gic-timer.elf');
      return m.run(50_000_000n).insns;
    });
    expect(counts[0]).toBe(counts[1]);
  });
});
