// YIELD (a spin-wait's hint, Linux's cpu_relax()) ends the running CPU's turn while another CPU
// runs, once the turn is YIELD_MIN_TURN (1,000) instructions long (core-as/cpu-index.ts
// yieldEndsTurn, core-as/smp/sched.ts): the CPU it waits for runs next, instead of after the rest of
// the spinner's quantum (100,000). With the other CPU asleep, or one CPU, YIELD
// is a NOP (the Arm ARM lets a PE treat it as one: C6.2 YIELD is a hint).
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { wordsToBytes } from '../core/harness';
import * as E from '../gen/a64enc';

const CODE0 = 0x4008_0000n, CODE1 = 0x4009_0000n, FLAG = 0x400f_0000n;
const YIELD = 0xd503203f, WFI = 0xd503207f;
const WORK = 250_000; // CPU 1's countdown: 2 instructions an iteration, several quanta of 100,000

/** CPU 0: counts in x9 the rounds of `yield; ldr; cbz` until the flag is set, then HVC. */
const spinner = (hint: number) => [
  E.addImm(9, 9, 1), hint, E.ldr_imm(3, 30, 0), E.cbz(1, 3, -3),
  E.hvc(0), E.b_(0),
];

/** CPU 1: counts down WORK, sets the flag, then sleeps in WFI for ever (IRQs masked, none comes). */
const worker = () => [
  E.movReg(30, 0), // x30 = the flag's address (CPU_ON's context id)
  E.movz(4, WORK & 0xffff), E.movk(4, WORK >>> 16, 1),
  E.subsImm(4, 4, 1), E.bcond(1 /* NE */, -1),
  E.movz(3, 1), E.str_imm(3, 30, 0),
  WFI, E.b_(-1),
];

function race(hint: number): { spins: bigint; cpu0: bigint; cpu1: bigint } {
  const c = new Core(16 << 20, { cpus: 2, quantum: 100_000 });
  c.reset(1, CODE0);
  c.writePhys(CODE0, wordsToBytes(spinner(hint)));
  c.writePhys(CODE1, wordsToBytes(worker()));
  c.setX(30, FLAG);
  expect(c.cpuOn(1, 1, CODE1, FLAG)).toBe(0);
  for (let i = 0; i < 1000; i++) {
    const r = c.run(1_000_000);
    if (r === 'firmware' && c.cpu === 0) return { spins: c.getX(9), cpu0: c.cpuRetired(0), cpu1: c.cpuRetired(1) };
    if (r !== 'budget') throw new Error(`exit ${r} on CPU ${c.cpu}`);
  }
  throw new Error('the spinner never saw the flag');
}

describe('YIELD on an SMP board', () => {
  it('ends the spinning CPU turn while another CPU runs: a thousand instructions a round, not a quantum', () => {
    const y = race(YIELD);
    const nop = race(E.NOP);
    // CPU 1 needs 2 * WORK + a few instructions, in turns of 100,000: six rounds. In each, the
    // spinner's turn ends at its first YIELD from instruction 1,000 on (4 instructions a spin).
    expect(y.cpu1).toBeGreaterThan(BigInt(2 * WORK));
    const rounds = y.cpu1 / 100_000n + 2n;
    expect(y.cpu0).toBeLessThanOrEqual(rounds * 1004n);
    expect(y.spins).toBeLessThanOrEqual(rounds * 251n);
    // With a NOP in its place the spinner burns its whole quantum in every round.
    expect(nop.cpu0).toBeGreaterThan(400_000n);
    expect(nop.spins).toBeGreaterThan(100_000n);
    // CPU 1's work is the same either way.
    expect(y.cpu1).toBe(nop.cpu1);
  });

  it('is a NOP when the other CPU sleeps, and on one CPU', () => {
    // CPU 1 asleep in WFI for ever: CPU 0 counts 100,000 spins of YIELD in one run() with no turn end.
    const c = new Core(16 << 20, { cpus: 2, quantum: 1000 });
    c.reset(1, CODE0);
    c.writePhys(CODE0, wordsToBytes([E.addImm(9, 9, 1), YIELD, E.b_(-2)]));
    c.writePhys(CODE1, wordsToBytes([WFI, E.b_(-1)]));
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    expect(c.run(300_000)).toBe('budget');
    expect(c.cpuRetired(0) + c.cpuRetired(1)).toBe(300_000n);
    expect(c.getX(9)).toBeGreaterThanOrEqual(99_990n);
    const one = new Core(16 << 20);
    one.reset(1, CODE0);
    one.writePhys(CODE0, wordsToBytes([E.addImm(9, 9, 1), YIELD, E.b_(-2)]));
    expect(one.run(30_000)).toBe('budget');
    expect(one.getX(9)).toBe(10_000n);
  });
});
