// guest-images/smp/smp-counter.c on 4 CPUs: a spinlock (LDAXR/STXR + STLR) and an LSE counter
// (LDADD) to an exact total, CPUs brought up and down with PSCI (CPU_ON, CPU_OFF, AFFINITY_INFO,
// FEATURES, VERSION and their error codes). The UART output must equal QEMU's
// (guest-images/expected/smp-counter.txt, from `run-qemu.sh smp-counter --smp 4`; the image only
// prints outcomes, never an interleaving). Also: the scheduler is deterministic.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';

const img = (n: string) => new URL(`../../guest-images/bin/${n}.elf`, import.meta.url).pathname;
const expected = readFileSync(new URL('../../guest-images/expected/smp-counter.txt', import.meta.url), 'latin1');
const image = readFileSync(img('smp-counter'));

function boot(opts: { el2?: boolean; quantum?: number; smp?: number; limit?: bigint } = {}) {
  const m = new Machine({ smp: opts.smp ?? 4, el2: opts.el2, quantum: opts.quantum });
  m.load(image, 'smp-counter');
  const r = m.run(opts.limit ?? 200_000_000n);
  return { m, r, out: m.uartText() };
}

describe('smp-counter on 4 CPUs', () => {
  it('prints what QEMU prints (EL1 boot, PSCI by HVC)', () => {
    const { r, out } = boot();
    expect(r.reason).toBe('poweroff');
    expect(out).toBe(expected);
  });
  it('prints what QEMU prints (EL2 boot, PSCI by SMC, secondaries entered at EL2)', () => {
    const { r, out } = boot({ el2: true });
    expect(r.reason).toBe('poweroff');
    expect(out).toBe(expected);
  });
  for (const quantum of [50, 1000, 33_333]) {
    it(`totals stay exact with turns of ${quantum} instructions (more preemption inside the lock)`, () => {
      const { r, out } = boot({ quantum });
      expect(r.reason).toBe('poweroff');
      expect(out).toBe(expected);
    });
  }
  it('is deterministic: the same output and instruction counts on every run', () => {
    const a = boot({ quantum: 1000 });
    const b = boot({ quantum: 1000 });
    expect(b.out).toBe(a.out);
    expect(b.r.insns).toBe(a.r.insns);
    expect(b.m.core.ticks).toBe(a.m.core.ticks);
    for (let c = 0; c < 4; c++) {
      for (const i of [0, 1, 2, 30, 32]) expect(b.m.core.peekX(c, i)).toBe(a.m.core.peekX(c, i));
    }
  });
  it('with one CPU, CPU_ON of CPU 1 is INVALID_PARAMETERS and the workers never start', () => {
    const { r, out } = boot({ smp: 1, limit: 2_000_000n });
    expect(r.reason).toBe('limit'); // CPU 0 then waits forever for CPU 1 to start
    expect(out).toContain('smp: AFFINITY_INFO cpu1 fffffffffffffffe');
    expect(out).toContain('smp: CPU_ON failed fffffffffffffffe');
  });
});

const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'], { stdio: 'ignore' }).status === 0;
describe.skipIf(!haveQemu)('smp-counter on QEMU', () => {
  it('QEMU -M virt,gic-version=3 -smp 4 prints the expected output', () => {
    const q = spawnSync('qemu-system-aarch64', ['-M', 'virt,gic-version=3', '-cpu', 'max', '-m', '128M', '-smp', '4',
      '-nographic', '-monitor', 'none', '-serial', 'stdio', '-kernel', img('smp-counter')],
    { timeout: 60_000, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(q.stdout).toBe(expected);
  }, 70_000);
});
