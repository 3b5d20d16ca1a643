// The GICv3 virtualization interface against the GICv3 specification (IHI 0069, chapter 6 and
// 12.4-12.5): list registers drive the virtual CPU interface (ICV_* at EL1 with HCR_EL2.IMO/FMO),
// acknowledge and deactivation of list registers, HW = 1 deactivation of the physical interrupt,
// ICH_MISR/EISR/ELRSR, EOIcount, the maintenance interrupt (PPI 25), VPMR, and the ICH_HCR traps.
import { describe, expect, it } from 'vitest';
import { SR } from '../../machine/core';
import { VBAR1, VBAR2 } from '../core/harness';
import { Drv, GICD, HCR_FMO, HCR_IMO, HCR_RW, ICC, ICH, MRS, TIMER } from './gic-driver';

const LR_PENDING = 1n << 62n, LR_ACTIVE = 2n << 62n, LR_HW = 1n << 61n, LR_G1 = 1n << 60n, LR_EOI = 1n << 41n;
const prio = (p: number) => BigInt(p) << 48n;
const EL1H_MASKED = 0x3c5n, EL2H_MASKED = 0x3c9n;

/** An EL2 core with the GIC initialised, the virtual interface on (En, VENG1, VPMR 0xf8), IMO/FMO set. */
function vgic(): Drv {
  const d = new Drv({ config: { haveEL2: true }, el: 2 }).init();
  d.msr(ICH.HCR, 1);
  d.msr(ICH.VMCR, (0xf8n << 24n) | 2n); // VPMR, VENG1
  d.core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_IMO | HCR_FMO);
  return d;
}
const el1 = (d: Drv) => { d.core.pstate = EL1H_MASKED; };
const el2 = (d: Drv) => { d.core.pstate = EL2H_MASKED; };

describe('GICv3 virtual CPU interface', () => {
  it('ICH_VTR_EL2: 4 list registers, 5 priority and preemption bits (as QEMU)', () => {
    const d = vgic();
    const vtr = d.mrs(ICH.VTR);
    expect(vtr & 0x1fn).toBe(3n); // ListRegs = number - 1
    expect((vtr >> 29n) & 7n).toBe(4n); // PRIbits - 1
    expect((vtr >> 26n) & 7n).toBe(4n); // PREbits - 1
  });

  it('a pending list register is acknowledged through ICV_IAR1 and completed through ICV_EOIR1', () => {
    const d = vgic();
    d.msr(ICH.LR(0), LR_PENDING | LR_G1 | prio(0x80) | 100n);
    expect(d.mrs(ICH.ELRSR)).toBe(0xen);
    el1(d);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0x80n); // virtual IRQ pending
    expect(d.mrs(ICC.HPPIR1)).toBe(100n);
    expect(d.mrs(ICC.IAR1)).toBe(100n);
    expect(d.mrs(ICC.RPR)).toBe(0x80n);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0n);
    el2(d);
    expect(d.mrs(ICH.LR(0)) >> 62n).toBe(2n); // active
    expect(d.mrs(ICH.AP1R0)).toBe(1n << 16n); // 0x80 >> 3
    el1(d);
    d.msr(ICC.EOIR1, 100);
    el2(d);
    expect(d.mrs(ICH.LR(0)) >> 62n).toBe(0n);
    expect(d.mrs(ICH.AP1R0)).toBe(0n);
    expect(d.mrs(ICH.ELRSR)).toBe(0xfn);
  });

  it('HW = 1: the guest EOI deactivates the physical interrupt pINTID', () => {
    const d = vgic();
    d.msr(ICC.CTLR, 2); // EOImode 1 at EL2
    d.enable(45);
    d.w32(GICD + 0x204n, 1n << 13n); // SPI 45 pending
    expect(d.mrs(ICC.IAR1)).toBe(45n);
    d.msr(ICC.EOIR1, 45); // priority drop only
    expect(d.activeBit(45)).toBe(true);
    d.msr(ICH.LR(0), LR_PENDING | LR_HW | LR_G1 | prio(0xa0) | (45n << 32n) | 45n);
    el1(d);
    expect(d.mrs(ICC.IAR1)).toBe(45n);
    d.msr(ICC.EOIR1, 45);
    el2(d);
    expect(d.activeBit(45)).toBe(false);
    expect(d.mrs(ICH.LR(0)) >> 62n).toBe(0n);
  });

  it('EOImode 1 in the guest (VEOIM): EOIR drops the priority, DIR deactivates', () => {
    const d = vgic();
    d.msr(ICH.LR(0), LR_PENDING | LR_G1 | prio(0x80) | 33n);
    el1(d);
    d.msr(ICC.CTLR, 2);
    el2(d);
    expect((d.mrs(ICH.VMCR) >> 9n) & 1n).toBe(1n);
    el1(d);
    expect(d.mrs(ICC.IAR1)).toBe(33n);
    d.msr(ICC.EOIR1, 33);
    expect(d.mrs(ICC.RPR)).toBe(0xffn);
    el2(d);
    expect(d.mrs(ICH.LR(0)) >> 62n).toBe(2n);
    el1(d);
    d.msr(ICC.DIR, 33);
    el2(d);
    expect(d.mrs(ICH.LR(0)) >> 62n).toBe(0n);
  });

  it('EOI maintenance: a HW = 0, EOI = 1 list register deactivated sets EISR, MISR.EOI and PPI 25', () => {
    const d = vgic();
    d.msr(ICH.LR(1), LR_PENDING | LR_EOI | LR_G1 | prio(0x80) | 7n);
    expect(d.mrs(ICH.MISR)).toBe(0n);
    el1(d);
    expect(d.mrs(ICC.IAR1)).toBe(7n);
    d.msr(ICC.EOIR1, 7);
    el2(d);
    expect(d.mrs(ICH.EISR)).toBe(2n);
    expect(d.mrs(ICH.MISR) & 1n).toBe(1n);
    expect(d.mrs(ICH.ELRSR)).toBe(0xdn); // LR1 holds a due maintenance: not empty
    expect(d.pendingBit(25)).toBe(true);
    d.msr(ICH.LR(1), 0);
    expect(d.mrs(ICH.MISR)).toBe(0n);
    expect(d.pendingBit(25)).toBe(false);
  });

  it('MISR conditions: U (<= 1 valid LR), NP (no pending LR), LRENP (EOIcount), VGrp0/1 enable and disable', () => {
    const d = vgic();
    d.msr(ICH.HCR, 1 | 2 | 8); // En, UIE, NPIE
    expect(d.mrs(ICH.MISR)).toBe(2n | 8n);
    d.msr(ICH.LR(0), LR_PENDING | LR_G1 | prio(0x80) | 1n);
    expect(d.mrs(ICH.MISR)).toBe(2n);
    d.msr(ICH.LR(1), LR_ACTIVE | LR_G1 | prio(0x80) | 2n);
    expect(d.mrs(ICH.MISR)).toBe(0n);
    d.msr(ICH.HCR, 1 | (1 << 2) | (1 << 27)); // LRENPIE, EOIcount = 1
    expect(d.mrs(ICH.MISR)).toBe(4n);
    d.msr(ICH.HCR, 1 | (1 << 6) | (1 << 5)); // VGrp1EIE (VENG1 = 1), VGrp0DIE (VENG0 = 0)
    expect(d.mrs(ICH.MISR)).toBe(64n | 32n);
  });

  it('an EOI that matches no list register increments ICH_HCR_EL2.EOIcount', () => {
    const d = vgic();
    d.msr(ICH.AP1R0, 1n << 16n); // an active priority 0x80 with its LR gone (swapped out)
    el1(d);
    d.msr(ICC.EOIR1, 77);
    el2(d);
    expect(d.mrs(ICH.HCR) >> 27n).toBe(1n);
    expect(d.mrs(ICH.AP1R0)).toBe(0n);
  });

  it('VPMR masks; VENG1 = 0 hides Group 1 list registers; a Group 0 LR is a vFIQ', () => {
    const d = vgic();
    d.msr(ICH.LR(0), LR_PENDING | LR_G1 | prio(0x80) | 5n);
    d.msr(ICH.VMCR, (0x80n << 24n) | 2n);
    el1(d);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0n);
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    el2(d);
    d.msr(ICH.VMCR, (0xf8n << 24n) | 0n);
    el1(d);
    expect(d.mrs(ICC.HPPIR1)).toBe(1023n);
    el2(d);
    d.msr(ICH.LR(0), LR_PENDING | prio(0x80) | 6n); // Group 0
    d.msr(ICH.VMCR, (0xf8n << 24n) | 1n); // VENG0
    el1(d);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0x40n);
    expect(d.mrs(ICC.IAR0)).toBe(6n);
    // Taken as an FIQ at EL1 when unmasked.
    d.msr(ICC.EOIR0, 6);
    el2(d);
    d.msr(ICH.LR(0), LR_PENDING | prio(0x80) | 6n);
    d.core.pstate = 0x5n | (0xen << 6n); // EL1h, F clear
    d.exec(0xd503201f);
    expect(d.core.pc).toBe(VBAR1 + 0x300n + 4n);
  });

  it('ICH_HCR_EL2 traps (TALL0, TALL1, TC, TDIR) and HCR_EL2.IMO trapping ICC_SGI1R_EL1 go to EL2 with EC 0x18', () => {
    const cases: Array<[number, number, boolean]> = [
      [1 << 12, ICC.IAR1, true], [1 << 11, ICC.IAR0, true], [1 << 10, ICC.PMR, true],
      [1 << 14, ICC.DIR, false], [0, ICC.SGI1R, false],
    ];
    for (const [bits, key, read] of cases) {
      const d = vgic();
      d.msr(ICH.HCR, 1 | bits);
      el1(d);
      d.exec(read ? MRS(key) : (0xd500_0000 | (key << 5) | 1) >>> 0);
      expect(d.core.el).toBe(2);
      expect(d.core.pc).toBe(VBAR2 + 0x400n);
      const esr = d.core.sysreg(SR.ESR_EL2);
      expect(esr >> 26n).toBe(0x18n);
      expect(esr & 1n).toBe(read ? 1n : 0n);
    }
  });

  it('with ICH_HCR_EL2.En = 0 the virtual CPU interface signals nothing and ICV_IAR1 reads 1023', () => {
    const d = vgic();
    d.msr(ICH.LR(0), LR_PENDING | LR_G1 | prio(0x80) | 9n);
    d.msr(ICH.HCR, 0);
    el1(d);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0n);
    expect(d.mrs(ICC.IAR1)).toBe(1023n);
    el2(d);
    d.msr(ICH.HCR, 1);
    el1(d);
    expect(d.mrs(TIMER.ISR_EL1)).toBe(0x80n);
  });

  it('without IMO/FMO, EL1 accesses the physical CPU interface', () => {
    const d = new Drv({ config: { haveEL2: true } }).init();
    d.enable(3);
    d.sgiSelf(3);
    expect(d.mrs(ICC.IAR1)).toBe(3n);
  });
});
