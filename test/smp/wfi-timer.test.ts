// WFI sleeps until the next generic-timer deadline: with every CPU asleep (or off), the system counter
// jumps to the earliest deadline instead of spending instructions, the timer's PPI (CNTV, INTID 27)
// reaches the GIC, and the WFI completes (PSTATE.I masked: no exception is taken, execution goes on
// after the WFI, Arm ARM D1.6.2). On a 2-CPU board whose second CPU is off, and on one CPU.
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { wordsToBytes } from '../core/harness';
import * as E from '../gen/a64enc';

const CODE = 0x4008_0000n;
const CNTVCT_EL0 = E.sysreg(3, 3, 14, 0, 2), CNTV_CTL_EL0 = E.sysreg(3, 3, 14, 3, 1), CNTV_CVAL_EL0 = E.sysreg(3, 3, 14, 3, 2);
const ICC_PMR_EL1 = E.sysreg(3, 0, 4, 6, 0), ICC_IGRPEN1_EL1 = E.sysreg(3, 0, 12, 12, 7);
const WFI = 0xd503207f;
const DELAY = 1_000_000; // ticks from the read of CNTVCT to the deadline

function program(): number[] {
  return [
    E.movz(9, 0x0800, 1), E.movz(1, 3), E.str_imm(1, 9, 0, 2), // GICD_CTLR: EnableGrp0 | EnableGrp1 (DS = 1)
    E.movz(10, 0x080a, 1), E.str_imm(31, 10, 0x14, 2), // GICR_WAKER: ProcessorSleep = 0
    E.addImm(11, 10, 0x10, 1), // SGI_base = RD_base + 0x10000
    E.movz(1, 0x0800, 1, 0), E.str_imm(1, 11, 0x80, 2), E.str_imm(1, 11, 0x100, 2), // INTID 27: Group 1, enabled
    E.movz(1, 0xff), E.msr(ICC_PMR_EL1, 1), E.movz(1, 1), E.msr(ICC_IGRPEN1_EL1, 1), E.ISB,
    E.mrs(1, CNTVCT_EL0), E.movz(2, DELAY >>> 16, 1), E.movk(2, DELAY & 0xffff), E.addsubShift(1, 0, 0, 2, 1, 2, 0, 0),
    E.msr(CNTV_CVAL_EL0, 2), E.movz(3, 1), E.msr(CNTV_CTL_EL0, 3), E.ISB, // enabled, IMASK = 0
    WFI,
    E.mrs(4, CNTVCT_EL0), E.mrs(5, CNTV_CTL_EL0),
    E.hvc(0),
  ];
}

describe('WFI until a timer deadline', () => {
  for (const cpus of [1, 2]) {
    it(`${cpus} CPU${cpus > 1 ? 's (CPU 1 off)' : ''}: the counter jumps to CNTV_CVAL, the WFI completes, few instructions retire`, () => {
      const c = new Core(16 << 20, { cpus });
      c.reset(1, CODE);
      c.writePhys(CODE, wordsToBytes(program()));
      const exit = c.run(10_000_000);
      expect(exit).toBe('firmware'); // the HVC after the WFI
      const cval = c.getX(2), now = c.getX(4);
      expect(now >= cval).toBe(true); // woken at (or just after) the deadline
      expect(now - cval < 10n).toBe(true);
      expect(c.getX(5) & 4n).toBe(4n); // CNTV_CTL_EL0.ISTATUS
      expect(c.insns < 100n).toBe(true); // the 1,000,000 ticks were skipped, not executed
      expect(c.pc).toBe(CODE + BigInt(program().length * 4));
    });
  }
});
