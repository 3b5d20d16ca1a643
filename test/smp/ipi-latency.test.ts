// An interrupt signalled to a sleeping CPU ends the running CPU's turn (core-as/smp/sched.ts): the
// woken CPU runs right after the instruction that sent the SGI, not after the rest of the sender's
// quantum. Both CPUs read CNTPCT_EL0 (one time line, counted in retired instructions): the sender
// just before ICC_SGI1R_EL1, the receiver right after its WFI completes.
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { wordsToBytes } from '../core/harness';
import * as E from '../gen/a64enc';

const CODE0 = 0x4008_0000n, CODE1 = 0x4009_0000n;
const CNTPCT = E.sysreg(3, 3, 14, 0, 1);
const ICC_PMR = E.sysreg(3, 0, 4, 6, 0), ICC_IGRPEN1 = E.sysreg(3, 0, 12, 12, 7), ICC_SGI1R = E.sysreg(3, 0, 12, 11, 5);
const GICD = 0x0800_0000, GICR1 = 0x080a_0000 + 0x2_0000, SGI_BASE1 = GICR1 + 0x1_0000;
const WFI = 0xd503207f;

/** x<rd> = v (32-bit value, zero-extended). */
const mov32 = (rd: number, v: number) => [E.movz(rd, v & 0xffff), E.movk(rd, (v >>> 16) & 0xffff, 1)];
const str32 = (rt: number, rn: number) => E.str_imm(rt, rn, 0, 2);

/** CPU 1: enables SGI 1 in its redistributor and CPU interface (Group 1), sleeps in WFI with IRQs masked, then reads the counter. */
function receiver(): number[] {
  return [
    E.movReg(30, 0), // x30 = the shared flag's address (CPU_ON's context id)
    ...mov32(1, GICD), ...mov32(2, 0x12), str32(2, 1), // GICD_CTLR: EnableGrp1NS | ARE_NS
    ...mov32(1, GICR1 + 0x14), E.movz(2, 0), str32(2, 1), // GICR_WAKER.ProcessorSleep = 0
    ...mov32(1, SGI_BASE1 + 0x80), E.movn(2, 0, 0, 0), str32(2, 1), // GICR_IGROUPR0: Group 1
    ...mov32(1, SGI_BASE1 + 0x100), E.movz(2, 2), str32(2, 1), // GICR_ISENABLER0: SGI 1
    E.movz(2, 0xff), E.msr(ICC_PMR, 2), E.movz(2, 1), E.msr(ICC_IGRPEN1, 2), E.ISB,
    E.movz(3, 1), E.str_imm(3, 30, 0), // "ready" flag for the sender
    WFI, // IRQs masked (PSTATE.I): WFI completes on the pending SGI without taking it
    E.mrs(0, CNTPCT), E.ldr_imm(7, 30, 8), E.subsImm(0, 0, 0), // x0 = now
    E.addsubShift(1, 1, 0, 0, 0, 7, 0, 0), // x0 = now - the sender's reading
    E.hvc(0), E.b_(0),
  ];
}

/** CPU 0: waits for the ready flag, spins a little, reads the counter (stored at flag + 8), sends SGI 1 to CPU 1, then spins for ever. */
function sender(): number[] {
  return [
    E.ldr_imm(3, 30, 0), E.cbz(1, 3, -1), // wait for CPU 1
    E.movz(4, 1000), E.subsImm(4, 4, 1), E.bcond(1 /* NE */, -1),
    E.movz(6, 1 << 1, 0), E.movk(6, 1 << 8, 1), // TargetList = CPU 1 (Aff0 1), INTID 1 (bits 27:24)
    E.mrs(5, CNTPCT), E.str_imm(5, 30, 8),
    E.msr(ICC_SGI1R, 6),
    E.addImm(9, 9, 1), E.b_(-1), // keeps running (not a branch-to-self, which the core parks as stuck)
  ];
}

describe('IPI latency on an SMP board', () => {
  for (const quantum of [100_000, 1000]) {
    it(`a CPU asleep in WFI runs right after the SGI that wakes it (quantum ${quantum})`, () => {
      const c = new Core(16 << 20, { cpus: 2, quantum });
      c.reset(1, CODE0);
      const flag = 0x400f_0000n;
      c.writePhys(CODE1, wordsToBytes(receiver()));
      c.writePhys(CODE0, wordsToBytes(sender()));
      c.setX(30, flag);
      expect(c.cpuOn(1, 1, CODE1, flag)).toBe(0);
      let x0 = -1n;
      for (let i = 0; i < 10_000 && x0 < 0n; i++) {
        const r = c.run(10_000);
        if (r === 'firmware' && c.cpu === 1) x0 = c.getX(0);
        else if (r !== 'budget') throw new Error(`exit ${r} on CPU ${c.cpu}`);
      }
      // From the sender's counter read to the receiver's: the store, the SGI write and the MRS after
      // the WFI — a handful of ticks whatever the quantum (before, the rest of the sender's turn).
      expect(x0).toBeGreaterThan(0n);
      expect(x0).toBeLessThanOrEqual(4n);
    });
  }
});
