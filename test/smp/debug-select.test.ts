// A debugger's control of the SMP scheduler (core-as/smp/debug-select.ts, debug-hold.ts): which CPU
// executes next, and which CPUs take no turns. Used by the gdb stub (machine/gdb/stub.ts) for a step
// or a continue of chosen threads.
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { wordsToBytes } from '../core/harness';

const CODE0 = 0x4008_0000n, CODE1 = 0x4009_0000n, CODE2 = 0x400a_0000n;
const WFI = 0xd503207f, MRS_CNTPCT_X9 = 0xd53be029;
const ADD = (rd: number) => 0x91000400 | (rd << 5) | rd; // add xRd, xRd, #1
const B_BACK = (n: number) => 0x14000000 | ((-n) & 0x3ffffff);

/** CPU 0 counts in x1, CPU 1 in x2 (and reads the counter into x9), CPU 2 sleeps in WFI; CPU 3 off. */
function board(): Core {
  const c = new Core(16 << 20, { cpus: 4, quantum: 100 });
  c.reset(1, CODE0);
  c.writePhys(CODE0, wordsToBytes([ADD(1), B_BACK(1)]));
  c.writePhys(CODE1, wordsToBytes([ADD(2), MRS_CNTPCT_X9, B_BACK(2)]));
  c.writePhys(CODE2, wordsToBytes([WFI, ADD(3), B_BACK(2)]));
  expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
  expect(c.cpuOn(2, 1, CODE2, 0n)).toBe(0);
  return c;
}

describe('smpMakeCurrent / smpHold', () => {
  it('makes a chosen CPU current: its registers are the core\'s, the others\' are saved; one instruction runs on it', () => {
    const c = board();
    expect(c.run(1000)).toBe('budget');
    expect(c.schedState(2)).toBe('wfi');
    const x1 = c.peekX(0, 1), x2 = c.peekX(1, 2);
    expect(x1 > 0n && x2 > 0n).toBe(true);
    expect(c.makeCurrent(1, false)).toBe('ok');
    expect(c.cpu).toBe(1);
    expect(c.getX(2)).toBe(x2);
    expect(c.peekX(0, 1)).toBe(x1);
    const pc = c.pc;
    c.hold(0b1101);
    expect(c.run(1)).toBe('budget');
    c.hold(0);
    expect(c.cpu).toBe(1);
    expect(c.pc).toBe(pc === CODE1 + 8n ? CODE1 : pc + 4n);
    expect(c.peekX(0, 1)).toBe(x1);
  });
  it('held CPUs take no turns, over many quanta; the one left runs, and its counter stays monotonic', () => {
    const c = board();
    c.run(1000);
    expect(c.makeCurrent(1, false)).toBe('ok');
    const x1 = c.peekX(0, 1), x2 = c.getX(2);
    c.hold(0b1101);
    let last = 0n;
    for (let i = 0; i < 30; i++) {
      expect(c.run(100)).toBe('budget');
      expect(c.cpu).toBe(1);
      const t = c.getX(9);
      expect(t >= last).toBe(true);
      last = t;
    }
    expect(c.getX(2) - x2).toBeGreaterThan(900n); // 3000 instructions, a third of them the ADD
    expect(c.peekX(0, 1)).toBe(x1);
    c.hold(0);
    c.run(1000);
    expect(c.peekX(0, 1) > x1).toBe(true); // released: CPU 0 runs again
  });
  it('a CPU asleep in WFI: made current but asleep without wake, awake with it; off CPUs and no such CPU refused', () => {
    const c = board();
    c.run(1000);
    expect(c.makeCurrent(3, true)).toBe('off');
    expect(c.makeCurrent(7, true)).toBe('off');
    expect(c.makeCurrent(2, false)).toBe('asleep');
    expect(c.cpu).toBe(2);
    expect(c.schedState(2)).toBe('wfi');
    expect(c.pc).toBe(CODE2 + 4n); // past the WFI
    expect(c.makeCurrent(2, true)).toBe('ok');
    expect(c.schedState(2)).toBe('run');
    c.hold(0b1011);
    expect(c.run(1)).toBe('budget');
    c.hold(0);
    expect(c.getX(3)).toBe(1n);
    expect(c.pc).toBe(CODE2 + 8n);
  });
  it('every CPU but a sleeper held: the run ends as idle (nothing can wake it) instead of running a held CPU', () => {
    const c = board();
    c.run(1000);
    expect(c.makeCurrent(2, false)).toBe('asleep');
    const x1 = c.peekX(0, 1);
    c.hold(0b1011);
    expect(c.run(1000)).toBe('wfi');
    c.hold(0);
    expect(c.peekX(0, 1)).toBe(x1);
    c.run(1000); // released: the others run; the sleeper is not woken by the idle report made while held
    expect(c.peekX(0, 1) > x1).toBe(true);
    expect(c.schedState(2)).toBe('wfi');
  });
});
