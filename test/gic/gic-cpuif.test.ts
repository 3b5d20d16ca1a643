// The GICv3 state machine and physical CPU interface, against the GICv3 architecture specification
// (IHI 0069): 4.1 interrupt states, 4.7-4.8 priority, preemption and the binary point, 4.5 groups,
// 12.2 the ICC_* registers (EOImode split, running priority, HPPIR/IAR), 12.9 GICD/GICR registers.
import { describe, expect, it } from 'vitest';
import { Drv, GICD, GICR, ICC, SGI_BASE } from './gic-driver';

describe('GICv3 interrupt states and priorities', () => {
  it('acknowledges the highest priority (lowest value) first and tracks the running priority', () => {
    const d = new Drv().init();
    d.prio(2, 0x80); d.prio(3, 0x40); d.prio(1, 0xa0);
    for (const i of [1, 2, 3]) d.enable(i);
    d.sgiSelf(1); d.sgiSelf(2); d.sgiSelf(3);
    expect(d.mrs(ICC.HPPIR1)).toBe(3n);
    expect(d.mrs(ICC.RPR)).toBe(0xffn); // idle priority
    expect(d.mrs(ICC.IAR1)).toBe(3n);
    expect(d.activeBit(3)).toBe(true);
    expect(d.pendingBit(3)).toBe(false); // pending -> active
    expect(d.mrs(ICC.RPR)).toBe(0x40n);
    // An interrupt of lower priority cannot be acknowledged while 0x40 runs: 1023.
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    expect(d.mrs(ICC.HPPIR1)).toBe(2n); // still the highest pending
    d.msr(ICC.EOIR1, 3);
    expect(d.activeBit(3)).toBe(false);
    expect(d.mrs(ICC.RPR)).toBe(0xffn);
    expect(d.mrs(ICC.IAR1)).toBe(2n);
    expect(d.mrs(ICC.IAR1)).toBe(1023n); // 0xa0 does not preempt 0x80
  });

  it('preempts only with a higher group priority (binary point, 4.8)', () => {
    const d = new Drv().init();
    d.prio(4, 0x48); d.prio(5, 0x40); d.enable(4); d.enable(5);
    d.sgiSelf(4);
    expect(d.mrs(ICC.IAR1)).toBe(4n);
    d.sgiSelf(5);
    // BPR1 = 3 (its minimum with 5 priority bits): group priority = bits [7:3]; 0x40 < 0x48 preempts.
    expect(d.mrs(ICC.BPR1)).toBe(3n);
    expect(d.mrs(ICC.AP1R0)).toBe(1n << 9n); // 0x48 >> 3 = 9
    d.msr(ICC.BPR1, 4); // group priority = bits [7:4]: 0x40 and 0x48 are the same group priority
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    d.msr(ICC.BPR1, 3);
    expect(d.mrs(ICC.IAR1)).toBe(5n);
    expect(d.mrs(ICC.RPR)).toBe(0x40n);
    expect(d.mrs(ICC.AP1R0)).toBe((1n << 9n) | (1n << 8n));
    d.msr(ICC.EOIR1, 5); // drops the highest active priority (0x40) first
    expect(d.mrs(ICC.RPR)).toBe(0x48n);
    d.msr(ICC.EOIR1, 4);
    expect(d.mrs(ICC.RPR)).toBe(0xffn);
  });

  it('PMR masks priorities equal to or lower than it', () => {
    const d = new Drv().init();
    d.prio(6, 0x80); d.enable(6);
    d.msr(ICC.PMR, 0x80);
    d.sgiSelf(6);
    expect(d.mrs(TIMER_ISR())).toBe(0n);
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    expect(d.mrs(ICC.HPPIR1)).toBe(6n); // HPPIR ignores PMR
    d.msr(ICC.PMR, 0x88);
    expect(d.mrs(TIMER_ISR())).toBe(0x80n);
    expect(d.mrs(ICC.IAR1)).toBe(6n);
    // PMR keeps only the 5 implemented priority bits.
    d.msr(ICC.PMR, 0xff);
    expect(d.mrs(ICC.PMR)).toBe(0xf8n);
  });

  it('EOImode 1: EOIR drops the priority, DIR deactivates (12.2.10)', () => {
    const d = new Drv().init();
    d.enable(8);
    d.msr(ICC.CTLR, 2);
    expect(d.mrs(ICC.CTLR) & 2n).toBe(2n);
    d.sgiSelf(8);
    expect(d.mrs(ICC.IAR1)).toBe(8n);
    d.msr(ICC.EOIR1, 8);
    expect(d.mrs(ICC.RPR)).toBe(0xffn);
    expect(d.activeBit(8)).toBe(true);
    d.sgiSelf(8); // active and pending: not a candidate while active
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n);
    expect(d.pendingBit(8)).toBe(true);
    d.msr(ICC.DIR, 8);
    expect(d.activeBit(8)).toBe(false);
    expect(d.mrs(ICC.HPPIR1)).toBe(8n);
  });

  it('EOImode 0: EOIR drops the priority and deactivates; an EOI for the wrong group is ignored', () => {
    const d = new Drv().init();
    d.enable(9);
    d.sgiSelf(9);
    expect(d.mrs(ICC.IAR1)).toBe(9n);
    d.msr(ICC.EOIR0, 9); // Group 0 EOI while the highest active priority is Group 1
    expect(d.activeBit(9)).toBe(true);
    expect(d.mrs(ICC.RPR)).toBe(0xa0n);
    d.msr(ICC.EOIR1, 9);
    expect(d.activeBit(9)).toBe(false);
    expect(d.mrs(ICC.RPR)).toBe(0xffn);
  });

  it('group and enable rules: distributor group enable, ICC_IGRPEN1, enable bits, Group 0 on IAR0', () => {
    const d = new Drv().init();
    d.enable(10);
    d.sgiSelf(10);
    d.w32(GICD, 0x1); // EnableGrp1 = 0
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n);
    d.w32(GICD, 0x3);
    expect(d.mrs(ICC.HPPIR1)).toBe(10n);
    d.msr(ICC.IGRPEN1, 0);
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    expect(d.mrs(TIMER_ISR())).toBe(0n);
    d.msr(ICC.IGRPEN1, 1);
    d.w32(SGI_BASE + 0x180n, 1n << 10n); // ICENABLER0
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n);
    expect(d.pendingBit(10)).toBe(true); // still pending, only not forwarded
    d.enable(10);
    // Make it Group 0: it leaves HPPIR1 and appears on HPPIR0/IAR0, signalled as FIQ.
    d.w32(SGI_BASE + 0x80n, 0xffff_ffffn & ~(1n << 10n));
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n);
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    d.msr(ICC.IGRPEN0, 1);
    expect(d.mrs(TIMER_ISR())).toBe(0x40n); // ISR_EL1.F
    expect(d.mrs(ICC.HPPIR0)).toBe(10n);
    expect(d.mrs(ICC.IAR0)).toBe(10n);
    expect(d.mrs(ICC.AP0R0)).toBe(1n << (0xa0n >> 3n));
    d.msr(ICC.EOIR0, 10);
    expect(d.activeBit(10)).toBe(false);
  });

  it('SGIs: ICC_SGI1R targets by affinity; SGI0R only Group 0; IRM = 1 excludes the sender', () => {
    const d = new Drv().init();
    d.msr(ICC.SGI1R, (3n << 24n) | 2n); // Aff0 = 1: no such CPU
    expect(d.pendingBit(3)).toBe(false);
    d.msr(ICC.SGI1R, (3n << 24n) | (1n << 16n) | 1n); // Aff1 = 1: no such CPU
    expect(d.pendingBit(3)).toBe(false);
    d.msr(ICC.SGI1R, (3n << 24n) | (1n << 40n) | 1n); // IRM: every PE but self
    expect(d.pendingBit(3)).toBe(false);
    d.msr(ICC.SGI0R, (3n << 24n) | 1n); // SGI 3 is Group 1: SGI0R does not set it
    expect(d.pendingBit(3)).toBe(false);
    d.msr(ICC.SGI1R, (3n << 24n) | 1n);
    expect(d.pendingBit(3)).toBe(true);
  });

  it('one security state: ICC_SGI1R_EL1 also forwards a Group 0 SGI; ICC_ASGI1R_EL1 forwards Group 0 only (spec Table 8-14; QEMU 7.2 forwards neither)', () => {
    const d = new Drv().init();
    d.w32(SGI_BASE + 0x80n, 0xffff_ffffn & ~(1n << 12n)); // SGI 12: Group 0
    d.msr(ICC.SGI1R, (12n << 24n) | 1n);
    expect(d.pendingBit(12)).toBe(true);
    d.w32(SGI_BASE + 0x280n, 1n << 12n);
    d.msr(ICC.ASGI1R, (12n << 24n) | 1n);
    expect(d.pendingBit(12)).toBe(true);
    d.msr(ICC.ASGI1R, (13n << 24n) | 1n); // SGI 13 is Group 1
    expect(d.pendingBit(13)).toBe(false);
  });

  it('SPIs: level-sensitive follow the line (latched by ISPENDR), edge-triggered latch a rising edge', () => {
    const d = new Drv().init();
    const c = d.core;
    d.enable(40); d.enable(41);
    d.w32(GICD + 0xc00n + 8n, 2n << 18n); // ICFGR2: INTID 41 edge-triggered (Int_config[1] of field 9)
    c.setSpiLevel(40, true);
    expect(d.pendingBit(40)).toBe(true);
    expect(d.mrs(ICC.IAR1)).toBe(40n);
    // Active; the line is still high, so it is active and pending.
    expect(d.activeBit(40)).toBe(true);
    expect(d.pendingBit(40)).toBe(true);
    c.setSpiLevel(40, false);
    expect(d.pendingBit(40)).toBe(false);
    d.msr(ICC.EOIR1, 40);
    // Software-pended level interrupt stays pending until cleared.
    d.w32(GICD + 0x204n, 1n << 8n);
    expect(d.pendingBit(40)).toBe(true);
    d.w32(GICD + 0x284n, 1n << 8n);
    expect(d.pendingBit(40)).toBe(false);
    c.setSpiLevel(41, true);
    c.setSpiLevel(41, false);
    expect(d.pendingBit(41)).toBe(true); // latched edge
    expect(d.mrs(ICC.IAR1)).toBe(41n);
    expect(d.pendingBit(41)).toBe(false);
  });

  it('SPIs are forwarded to the CPU GICD_IROUTER names', () => {
    const d = new Drv().init();
    d.enable(50);
    d.w64(GICD + 0x6000n + 50n * 8n, 1n); // Aff0 = 1
    d.w32(GICD + 0x204n, 1n << 18n);
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n);
    d.w64(GICD + 0x6000n + 50n * 8n, 0n);
    expect(d.mrs(ICC.HPPIR1)).toBe(50n);
    // IRM (bit 31) is RES0: GICD_TYPER.No1N = 1.
    d.w64(GICD + 0x6000n + 50n * 8n, 1n << 31n);
    expect(d.r64(GICD + 0x6000n + 50n * 8n)).toBe(0n);
    expect((d.r32(GICD + 4n) >> 25n) & 1n).toBe(1n);
  });

  it('GICR_WAKER: ProcessorSleep with ChildrenAsleep following it', () => {
    const d = new Drv();
    expect(d.r32(GICR + 0x14n)).toBe(6n);
    d.w32(GICR + 0x14n, 0);
    expect(d.r32(GICR + 0x14n)).toBe(0n);
    d.w32(GICR + 0x14n, 2);
    expect(d.r32(GICR + 0x14n)).toBe(6n);
  });
});

function TIMER_ISR(): number { return (3 << 14) | (0 << 11) | (12 << 7) | (1 << 3) | 0; }
