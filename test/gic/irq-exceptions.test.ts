// IRQ/FIQ exceptions (Arm ARM D1.3.6 routing and masking, D1.10 exception entry; no EL3, no VHE):
// vector offsets, ELR/SPSR, PSTATE after entry, masking, routing by HCR_EL2.IMO/FMO/TGE, virtual
// interrupts from HCR_EL2.VI, ISR_EL1, and the hosted-EL2 exit for an interrupt routed to EL2.
import { describe, expect, it } from 'vitest';
import { L, SR } from '../../machine/core';
import { CODE, VBAR1, VBAR2 } from '../core/harness';
import { Drv, HCR_FMO, HCR_IMO, HCR_RW, HCR_VI, ICC, NOP, SGI_BASE, TIMER } from './gic-driver';

const EL1H = 0x5n, EL2H = 0x9n;
const MASK_ALL = 0x3c0n;

/** Places `n` NOPs (or the words) at CODE and sets PSTATE, ready for core.run. */
function at(d: Drv, pstate: bigint, words: number[] = new Array(8).fill(NOP)): void {
  d.core.writePhys(CODE, new Uint8Array(new Uint32Array(words).buffer));
  d.core.pstate = pstate;
  d.core.pc = CODE;
}

describe('IRQ and FIQ exceptions', () => {
  it('IRQ at EL1h with PSTATE.I clear: vector +0x280, ELR = the next instruction, SPSR = the old PSTATE, DAIF masked', () => {
    const d = new Drv().init();
    d.enable(1);
    d.sgiSelf(1);
    at(d, EL1H | (0x4n << 6n)); // A masked, I and F clear
    d.core.run(2);
    expect(d.core.pc).toBe(VBAR1 + 0x280n + 8n); // two NOPs of the vector executed
    expect(d.core.sysreg(SR.ELR_EL1)).toBe(CODE);
    expect(d.core.sysreg(SR.SPSR_EL1)).toBe(EL1H | (0x4n << 6n));
    expect(d.core.pstate & MASK_ALL).toBe(MASK_ALL);
  });

  it('with SPSel = 0 the IRQ uses the current-EL SP0 vector (+0x080)', () => {
    const d = new Drv().init();
    d.enable(1);
    d.sgiSelf(1);
    at(d, 0x4n); // EL1t
    d.core.run(1);
    expect(d.core.pc).toBe(VBAR1 + 0x80n + 4n);
  });

  it('a masked IRQ is taken right after the MSR DAIFClr that unmasks it, never before', () => {
    const d = new Drv().init();
    d.enable(1);
    d.sgiSelf(1);
    at(d, EL1H | MASK_ALL, [NOP, NOP, 0xd50342ff /* msr daifclr, #2 */, NOP, NOP]);
    d.core.run(3);
    expect(d.core.pc).toBe(CODE + 12n); // three instructions, no exception
    d.core.run(1);
    expect(d.core.pc).toBe(VBAR1 + 0x280n + 4n);
    expect(d.core.sysreg(SR.ELR_EL1)).toBe(CODE + 12n);
  });

  it('Group 0 is FIQ: vector +0x300, masked by PSTATE.F', () => {
    const d = new Drv().init();
    d.w32(SGI_BASE + 0x80n, 0xffff_fffen); // SGI 0: Group 0
    d.msr(ICC.IGRPEN0, 1);
    d.enable(0);
    d.msr(ICC.SGI0R, 1n);
    at(d, EL1H | (0xen << 6n)); // only F clear
    d.core.run(1);
    expect(d.core.pc).toBe(VBAR1 + 0x300n + 4n);
  });

  it('HCR_EL2.IMO routes a physical IRQ from EL1 to EL2 (+0x480) regardless of PSTATE.I', () => {
    const d = new Drv({ config: { haveEL2: true } }).init();
    d.enable(1);
    d.sgiSelf(1);
    d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_IMO);
    at(d, EL1H | MASK_ALL);
    d.core.run(1);
    expect(d.core.el).toBe(2);
    expect(d.core.pc).toBe(VBAR2 + 0x480n + 4n);
    expect(d.core.sysreg(SR.ELR_EL2)).toBe(CODE);
    expect(d.core.sysreg(SR.SPSR_EL2)).toBe(EL1H | MASK_ALL);
  });

  it('at EL2 a physical IRQ routed to EL1 (IMO = 0) is not taken; with IMO it is, when PSTATE.I is clear (+0x280)', () => {
    const d = new Drv({ config: { haveEL2: true }, el: 2 }).init();
    d.enable(1);
    d.sgiSelf(1);
    at(d, EL2H);
    d.core.run(2);
    expect(d.core.pc).toBe(CODE + 8n);
    d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_IMO);
    at(d, EL2H);
    d.core.run(1);
    expect(d.core.pc).toBe(VBAR2 + 0x280n + 4n);
  });

  it('HCR_EL2.VI: a virtual IRQ at EL1 (IMO set), masked by PSTATE.I, never taken at EL2; ISR_EL1.I shows it', () => {
    const d = new Drv({ config: { haveEL2: true } });
    d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_IMO | HCR_VI);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0x80n);
    at(d, EL1H | MASK_ALL);
    d.core.run(2);
    expect(d.core.pc).toBe(CODE + 8n);
    at(d, EL1H);
    d.core.run(1);
    expect(d.core.pc).toBe(VBAR1 + 0x280n + 4n);
    d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_VI); // IMO clear: VI has no effect
    at(d, EL1H);
    d.core.run(1);
    expect(d.core.pc).toBe(CODE + 4n);
  });

  it('ISR_EL1.I shows a pending physical IRQ; with IMO set it is taken to EL2 before the next EL1 instruction', () => {
    const d = new Drv({ config: { haveEL2: true } }).init();
    d.enable(1);
    d.sgiSelf(1);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0x80n);
    d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_IMO | HCR_FMO);
    at(d, EL1H | MASK_ALL, [0xd538c100 /* mrs x0, isr_el1 */]);
    // The physical IRQ targets EL2 and is taken first (not masked there from EL1).
    d.core.run(1);
    expect(d.core.el).toBe(2);
  });

  it('hosted EL2: an IRQ routed to EL2 exits to TypeScript with the interrupt kind in the payload', () => {
    const d = new Drv({ config: { haveEL2: true, el2Hosted: true } }).init();
    d.enable(1);
    d.sgiSelf(1);
    d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_IMO);
    at(d, EL1H | MASK_ALL);
    expect(d.core.run(10)).toBe('hyp');
    expect(d.core.sysreg(SR.ELR_EL2)).toBe(CODE);
    expect(d.core.view.getUint32(L.EXIT_BASE + L.EXIT_EL, true)).toBe(2);
    expect(d.core.view.getUint32(L.EXIT_BASE + L.EXIT_HYP_ASYNC, true)).toBe(1); // IRQ
    // A synchronous exception routed to the hosted EL2 afterwards says so (0: read ESR_EL2).
    d.core.setSysreg(SR.HCR_EL2, HCR_RW);
    at(d, EL1H | MASK_ALL, [0xd4000002 /* hvc #0 */]);
    expect(d.core.run(1)).toBe('hyp');
    expect(d.core.sysreg(SR.ESR_EL2) >> 26n).toBe(0x16n);
    expect(d.core.view.getUint32(L.EXIT_BASE + L.EXIT_HYP_ASYNC, true)).toBe(0);
  });
});

describe('generic timers', () => {
  it('the timer interrupt is taken at exactly the instruction where the count reaches CVAL', () => {
    const d = new Drv().init();
    d.enable(30);
    const words = [0xd51be241 /* msr cntp_cval_el0, x1 */, 0xd51be222 /* msr cntp_ctl_el0, x2 */, ...new Array(30).fill(NOP)];
    at(d, EL1H, words);
    const start = d.core.insns;
    d.core.setX(1, start + 12n); // CVAL: 12 instructions after the start of the run
    d.core.setX(2, 1n);
    d.core.run(20);
    expect(d.core.sysreg(SR.ELR_EL1)).toBe(CODE + 12n * 4n);
    expect(d.core.pc).toBe(VBAR1 + 0x280n + 8n * 4n);
    expect(d.mrs(ICC.IAR1)).toBe(30n);
  });

  it('CTL.ISTATUS, IMASK and TVAL (Arm ARM D11.2.4); the PPI follows the timer condition (level)', () => {
    const d = new Drv().init();
    const now = d.mrs(TIMER.CNTPCT);
    d.msr(TIMER.CNTP_CVAL, now + 1000n);
    d.msr(TIMER.CNTP_CTL, 1);
    expect(d.mrs(TIMER.CNTP_CTL)).toBe(1n);
    const tval = d.mrs(TIMER.CNTP_TVAL);
    expect(tval > 990n && tval < 1000n).toBe(true);
    d.msr(TIMER.CNTP_TVAL, 0xffff_fff0n); // -16: condition met
    expect(d.mrs(TIMER.CNTP_CTL)).toBe(5n); // ENABLE | ISTATUS
    expect(d.pendingBit(30)).toBe(true);
    d.msr(TIMER.CNTP_CTL, 3); // IMASK: ISTATUS stays, the interrupt goes
    expect(d.mrs(TIMER.CNTP_CTL)).toBe(7n);
    expect(d.pendingBit(30)).toBe(false);
    d.msr(TIMER.CNTP_CTL, 0); // disabled: ISTATUS reads 0
    expect(d.mrs(TIMER.CNTP_CTL)).toBe(0n);
  });

  it('CNTVOFF_EL2 offsets the virtual count at EL1 and at EL2 (no VHE); the virtual timer compares with it', () => {
    const d = new Drv({ config: { haveEL2: true }, el: 2 }).init();
    d.msr(TIMER.CNTVOFF, 100);
    const p = d.mrs(TIMER.CNTPCT);
    expect(d.mrs(TIMER.CNTVCT)).toBe(p + 1n - 100n);
    const v = d.mrs(TIMER.CNTVCT);
    d.msr(TIMER.CNTV_CVAL, v + 2n);
    d.msr(TIMER.CNTV_CTL, 1);
    d.exec(NOP);
    expect(d.pendingBit(27)).toBe(true);
  });

  it('CNTHCTL_EL2.EL1PCEN/EL1PCTEN = 0 trap EL1 physical timer and counter accesses to EL2 (EC 0x18)', () => {
    const d = new Drv({ config: { haveEL2: true } });
    d.core.setSysreg(SR.CNTHCTL_EL2, 0n);
    d.exec(0xd53be220); // mrs x0, cntp_ctl_el0
    expect(d.core.el).toBe(2);
    expect(d.core.sysreg(SR.ESR_EL2) >> 26n).toBe(0x18n);
    d.core.pstate = EL1H | MASK_ALL;
    d.exec(0xd53be020); // mrs x0, cntpct_el0
    expect(d.core.el).toBe(2);
    d.core.pstate = EL1H | MASK_ALL;
    d.exec(0xd53be320); // mrs x0, cntv_ctl_el0: not trapped
    expect(d.core.el).toBe(1);
    d.core.setSysreg(SR.CNTHCTL_EL2, 3n);
    d.core.pstate = EL1H | MASK_ALL;
    d.exec(0xd53be220);
    expect(d.core.el).toBe(1);
  });

  it('the EL2 physical timer drives PPI 26', () => {
    const d = new Drv({ config: { haveEL2: true }, el: 2 }).init();
    d.msr(TIMER.CNTHP_CVAL, 0);
    d.msr(TIMER.CNTHP_CTL, 1);
    expect(d.pendingBit(26)).toBe(true);
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n); // not enabled
    d.enable(26);
    expect(d.mrs(ICC.HPPIR1)).toBe(26n);
  });
});
