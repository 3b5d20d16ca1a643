// System instructions (Arm ARM C5, C6.2): MRS/MSR of PSTATE fields (NZCV, DAIF, SPSel, CurrentEL),
// thread ID registers, SP banking, MSR DAIFSet/DAIFClr/SPSel (immediate), hints and barriers,
// WFI/WFE, DC ZVA, the generic timer counters.
import { describe, expect, it } from 'vitest';
import { CODE, DATA, SR, STACK, VBAR1, esrEC, esrISS, expectRun, flags, hex, le64, run, type Setup } from './harness';

const I = {
  'mrs x0, nzcv': 0xd53b4200,
  'msr nzcv, x1': 0xd51b4201,
  'mrs x0, daif': 0xd53b4220,
  'msr daif, x1': 0xd51b4221,
  'msr daifset, #0xf': 0xd5034fdf,
  'msr daifset, #2': 0xd50342df,
  'msr daifset, #1': 0xd50341df,
  'msr daifclr, #0xf': 0xd5034fff,
  'msr daifclr, #2': 0xd50342ff,
  'mrs x0, tpidr_el0': 0xd53bd040,
  'msr tpidr_el0, x1': 0xd51bd041,
  'msr tpidr_el0, xzr': 0xd51bd05f,
  'mrs x2, tpidr_el0': 0xd53bd042,
  'mrs x0, tpidr_el1': 0xd538d080,
  'msr tpidr_el1, x1': 0xd518d081,
  'mrs x0, tpidrro_el0': 0xd53bd060,
  'msr tpidrro_el0, x1': 0xd51bd061,
  'mrs x0, spsel': 0xd5384200,
  'mrs x4, spsel': 0xd5384204,
  'msr spsel, #0': 0xd50040bf,
  'msr spsel, #1': 0xd50041bf,
  'msr spsel, x1': 0xd5184201,
  'mrs x0, currentel': 0xd5384240,
  'mrs x0, sp_el0': 0xd5384100,
  'mrs x3, sp_el0': 0xd5384103,
  'msr sp_el0, x1': 0xd5184101,
  'mov x0, sp': 0x910003e0,
  'mov x1, sp': 0x910003e1,
  'mov x2, sp': 0x910003e2,
  'add sp, sp, #16': 0x910043ff,
  'nop': 0xd503201f,
  'yield': 0xd503203f,
  'sev': 0xd503209f,
  'sevl': 0xd50320bf,
  'wfe': 0xd503205f,
  'wfi': 0xd503207f,
  'dsb sy': 0xd5033f9f,
  'dsb ish': 0xd5033b9f,
  'dmb ish': 0xd5033bbf,
  'dmb ld': 0xd5033dbf,
  'isb': 0xd5033fdf,
  'dc zva, x3': 0xd50b7423,
  'mrs x0, dczid_el0': 0xd53b00e0,
  'mrs x0, cntfrq_el0': 0xd53be000,
  'mrs x0, cntvct_el0': 0xd53be040,
  'mrs x1, cntvct_el0': 0xd53be041,
  'mrs x0, cntpct_el0': 0xd53be020,
  'mrs x1, cntpct_el0': 0xd53be021,
  'mrs x0, elr_el1': 0xd5384020,
  'msr elr_el1, x1': 0xd5184021,
  'mrs x0, ctr_el0': 0xd53b0020,
  'mrs x0, midr_el1': 0xd5380000,
  'mrs x0, id_aa64isar0_el1': 0xd5380600,
  'mrs x0, id_aa64pfr0_el1': 0xd5380400,
  'csdb': 0xd503229f,
  'esb': 0xd503221f,
} as const;

const ONES = 0xffff_ffff_ffff_ffffn;
const JUNK = 0xdead_beef_cafe_f00dn;
const DAIF_OF = (pstate: bigint) => Number((pstate >> 6n) & 0xfn);

/**
 * UNDEFINED taken to EL1: EC 0, IL 1, ISS 0, ELR = the instruction. Vector offset: 0x400 from EL0
 * (lower EL, AArch64), 0x200 from EL1 with SP_EL1, 0x000 from EL1 with SP_EL0.
 */
function expectUndef(r: ReturnType<typeof run>, fromEL: number, at = CODE, spsel = 1): void {
  expect(hex(r.pc), 'PC at the EL1 synchronous vector').toBe(hex(VBAR1 + (fromEL === 0 ? 0x400n : spsel ? 0x200n : 0n)));
  expect(r.el).toBe(1);
  const esr = r.sys(SR.ESR_EL1);
  expect(esrEC(esr), 'EC = Unknown reason').toBe(0);
  expect(Number((esr >> 25n) & 1n), 'IL').toBe(1);
  expect(esrISS(esr), 'ISS').toBe(0);
  expect(hex(r.sys(SR.ELR_EL1)), 'ELR').toBe(hex(at));
}

describe('NZCV', () => {
  it('msr nzcv, x1 takes bits 31:28 only', () => {
    expectRun([I['msr nzcv, x1']], { x: { 1: 0xffff_ffff_afff_ffffn } }, { nzcv: 0b1010 });
  });
  it('mrs x0, nzcv reads NZCV in bits 31:28, all other bits zero', () => {
    expectRun([I['mrs x0, nzcv']], { x: { 0: JUNK }, nzcv: 0b0101 }, { x: { 0: 0x5000_0000n } });
  });
  it('msr then mrs round trip', () => {
    expectRun([I['msr nzcv, x1'], I['mrs x0, nzcv']], { x: { 1: 0x9000_0000n } }, { x: { 0: 0x9000_0000n }, nzcv: 0b1001 });
  });
});

describe('DAIF', () => {
  it('mrs x0, daif with everything masked = 0x3c0', () => {
    expectRun([I['mrs x0, daif']], { x: { 0: JUNK }, daif: 0xf }, { x: { 0: 0x3c0n } });
  });
  it('msr daif, x1 takes bits 9:6 only', () => {
    const r = expectRun([I['msr daif, x1'], I['mrs x0, daif']], { x: { 1: 0xffff_ffff_0000_013fn }, daif: 0 }, { x: { 0: 0x100n } });
    expect(DAIF_OF(r.pstate)).toBe(0b0100);
  });
  it('msr daifclr, #0xf unmasks all', () => {
    const r = expectRun([I['msr daifclr, #0xf'], I['mrs x0, daif']], { daif: 0xf }, { x: { 0: 0n } });
    expect(DAIF_OF(r.pstate)).toBe(0);
  });
  it('msr daifset, #2 masks IRQ only', () => {
    expectRun([I['msr daifset, #2'], I['mrs x0, daif']], { daif: 0 }, { x: { 0: 0x80n } });
  });
  it('msr daifset, #1 masks FIQ only; daifclr #2 leaves it', () => {
    expectRun([I['msr daifset, #1'], I['msr daifclr, #2'], I['mrs x0, daif']], { daif: 0b0010 }, { x: { 0: 0x40n } });
  });
  it('msr daifset, #0xf', () => {
    expectRun([I['msr daifset, #0xf'], I['mrs x0, daif']], { daif: 0 }, { x: { 0: 0x3c0n } });
  });
  it('DAIF is readable at EL0 when SCTLR_EL1.UMA = 1', () => {
    expectRun([I['mrs x0, daif']], { el: 0, daif: 0b0010, sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | (1n << 9n)]] }, { x: { 0: 0x80n } });
  });
});

describe('thread ID registers', () => {
  it('msr/mrs tpidr_el0 (64 bits)', () => {
    expectRun([I['msr tpidr_el0, x1'], I['mrs x0, tpidr_el0']], { x: { 1: 0x0123_4567_89ab_cdefn } }, { x: { 0: 0x0123_4567_89ab_cdefn } });
  });
  it('msr tpidr_el0, xzr writes zero', () => {
    expectRun([I['msr tpidr_el0, x1'], I['msr tpidr_el0, xzr'], I['mrs x2, tpidr_el0']], { x: { 1: ONES, 2: JUNK } }, { x: { 2: 0n } });
  });
  it('tpidr_el0 from EL0', () => {
    expectRun([I['msr tpidr_el0, x1'], I['mrs x0, tpidr_el0']], { el: 0, x: { 1: 0x77n } }, { x: { 0: 0x77n }, el: 0 });
  });
  it('tpidr_el1 at EL1', () => {
    expectRun([I['msr tpidr_el1, x1'], I['mrs x0, tpidr_el1']], { x: { 1: JUNK } }, { x: { 0: JUNK } });
  });
  it('tpidrro_el0: written at EL1, read at EL0', () => {
    expectRun([I['mrs x0, tpidrro_el0']], { el: 0, sysregs: [[SR.TPIDRRO_EL0, 0x5151n]] }, { x: { 0: 0x5151n } });
  });
  it('msr tpidrro_el0 at EL0 is UNDEFINED', () => {
    expectUndef(run([I['msr tpidrro_el0, x1']], { el: 0, x: { 1: 1n } }), 0);
  });
  it('mrs tpidr_el1 at EL0 is UNDEFINED', () => {
    expectUndef(run([I['mrs x0, tpidr_el1']], { el: 0 }), 0);
  });
});

describe('SPSel and SP banking', () => {
  const A = 0x4011_0000n, B = 0x4012_0000n;
  // SP_EL1 is the live SP at EL1h: set it through SP (setX(31)); SP_EL0 through its bank.
  const banks: Setup = { sysregs: [[SR.SP_EL0, A]], sp: B };
  it('at EL1h SP is SP_EL1; msr spsel, #0 switches to SP_EL0 and back', () => {
    // mov x0, sp ; mrs x4, spsel ; msr spsel, #0 ; mov x1, sp ; add sp, sp, #16 ; msr spsel, #1 ; mov x2, sp ; mrs x3, sp_el0
    const words = [I['mov x0, sp'], I['msr spsel, #0'], I['mov x1, sp'], I['add sp, sp, #16'], I['msr spsel, #1'], I['mov x2, sp'], I['mrs x3, sp_el0'], I['mrs x4, spsel']];
    const r = expectRun(words, banks, { x: { 0: B, 1: A, 2: B, 3: A + 16n, 4: 1n }, sp: B });
    expect(r.sys(SR.SP_EL0)).toBe(A + 16n);
    expect(r.sys(SR.SP_EL1)).toBe(B);
  });
  it('mrs x0, spsel reads 0 after msr spsel, #0 and PSTATE.M becomes EL1t', () => {
    const r = expectRun([I['msr spsel, #0'], I['mrs x0, spsel']], banks, { x: { 0: 0n }, sp: A });
    expect(Number(r.pstate & 0xfn)).toBe(0b0100);
  });
  it('msr spsel, x1 (register form) uses bit 0', () => {
    const r = expectRun([I['msr spsel, x1'], I['mov x0, sp']], { ...banks, x: { 1: 0xfffe_0000n } }, { x: { 0: A }, sp: A });
    expect(Number(r.pstate & 0xfn)).toBe(0b0100);
  });
  it('msr sp_el0, x1 at EL1h writes the SP_EL0 bank only', () => {
    const r = expectRun([I['msr sp_el0, x1'], I['mov x0, sp'], I['mrs x3, sp_el0']], { ...banks, x: { 1: 0x4013_0000n } }, { x: { 0: B, 3: 0x4013_0000n } });
    expect(r.sys(SR.SP_EL0)).toBe(0x4013_0000n);
  });
  it('mrs sp_el0 while SPSel = 0 is UNDEFINED (taken to the SP_EL0 vector, +0x000)', () => {
    expectUndef(run([I['mrs x0, sp_el0']], { spsel: 0 }), 1, CODE, 0);
  });
  it('msr spsel, #0 at EL0 is UNDEFINED', () => {
    expectUndef(run([I['msr spsel, #0']], { el: 0 }), 0);
  });
  it('mrs spsel at EL0 is UNDEFINED', () => {
    expectUndef(run([I['mrs x0, spsel']], { el: 0 }), 0);
  });
});

describe('core API: banked stack pointers (machine/core.ts setSysreg)', () => {
  it('core.setSysreg(SR.SP_EL1, v) at EL1h sets the live SP (it is the SP_EL1 bank)', () => {
    const r = run([I['mov x0, sp']], { sysregs: [[SR.SP_EL1, 0x4012_0000n]] });
    expect(hex(r.x[0])).toBe(hex(0x4012_0000n));
    expect(hex(r.sys(SR.SP_EL1))).toBe(hex(0x4012_0000n));
  });
  it('core.setSysreg(SR.SP_EL0, v) at EL1h sets the SP_EL0 bank', () => {
    const r = run([I['mrs x0, sp_el0']], { sysregs: [[SR.SP_EL0, 0x4011_0000n]] });
    expect(hex(r.x[0])).toBe(hex(0x4011_0000n));
  });
});

describe('CurrentEL', () => {
  it('EL1 → 0b0100', () => { expectRun([I['mrs x0, currentel']], { x: { 0: JUNK } }, { x: { 0: 4n } }); });
  it('EL2 → 0b1000', () => {
    expectRun([I['mrs x0, currentel']], { el: 2, config: { haveEL2: true }, x: { 0: JUNK } }, { x: { 0: 8n }, el: 2 });
  });
  it('EL0: UNDEFINED', () => { expectUndef(run([I['mrs x0, currentel']], { el: 0 }), 0); });
});

describe('hints and barriers: PC advances, nothing else changes', () => {
  for (const name of ['nop', 'yield', 'sev', 'sevl', 'dsb sy', 'dsb ish', 'dmb ish', 'dmb ld', 'isb', 'csdb', 'esb'] as const) {
    it(name, () => {
      expectRun([I[name]], { x: { 0: JUNK, 1: 1n, 30: 30n }, sp: STACK, nzcv: 0b1011, daif: 0b0101 }, {});
    });
  }
  it('unallocated hint space executes as NOP (hint #0x7f)', () => {
    expectRun([0xd5032fff], { x: { 0: JUNK }, nzcv: 0b0110 }, {});
  });
  it('sevl; wfe: the event register is set, so WFE completes without waiting', () => {
    expectRun([I['sevl'], I['wfe'], I['nop']], {}, {});
  });
});

describe('WFI', () => {
  it("run() returns 'wfi' with PC after the WFI", () => {
    expectRun([I['wfi'], I['nop'], I['nop']], { steps: 3 }, { exit: 'wfi', pc: CODE + 4n });
  });
  it("WFI with interrupts unmasked also returns 'wfi'", () => {
    expectRun([I['wfi']], { daif: 0 }, { exit: 'wfi', pc: CODE + 4n });
  });
  it('execution resumes after the WFI on the next run()', () => {
    const r = run([I['wfi'], I['mrs x0, nzcv']], { steps: 1, nzcv: 0b1000 });
    expect(r.exit).toBe('wfi');
    expect(r.core.run(1)).toBe('budget');
    expect(r.core.getX(0)).toBe(0x8000_0000n);
    expect(r.core.pc).toBe(CODE + 8n);
  });
});

describe('DC ZVA', () => {
  it('DCZID_EL0: BS = 4 (64-byte blocks), DZP = 0', () => {
    expectRun([I['mrs x0, dczid_el0']], { x: { 0: JUNK } }, { x: { 0: 4n } });
  });
  it('zeroes the aligned 64-byte block containing Xt (MMU on, Normal memory)', () => {
    const fill = new Uint8Array(0x100).fill(0xaa);
    const r = expectRun([I['dc zva, x3']], { mmu: true, x: { 3: DATA + 0x47n }, mem: [[DATA, fill]] }, {});
    const got = r.mem(DATA, 0x100);
    expect(got.slice(0, 0x40).every((b) => b === 0xaa), 'bytes below the block kept').toBe(true);
    expect(got.slice(0x40, 0x80).every((b) => b === 0), 'block zeroed').toBe(true);
    expect(got.slice(0x80).every((b) => b === 0xaa), 'bytes above the block kept').toBe(true);
  });
  it('with the MMU off (Device memory) DC ZVA takes an Alignment fault (Arm ARM: DC ZVA to Device memory)', () => {
    const fill = new Uint8Array(0x100).fill(0xaa);
    const r = run([I['dc zva, x3']], { x: { 3: DATA + 0x40n }, mem: [[DATA, fill]] });
    expect(hex(r.pc)).toBe(hex(VBAR1 + 0x200n));
    const esr = r.sys(SR.ESR_EL1);
    expect(esrEC(esr)).toBe(0x25);
    expect(esrISS(esr) & 0x3f).toBe(0x21);
    expect(r.mem(DATA + 0x40n, 0x40).every((b) => b === 0xaa), 'memory untouched').toBe(true);
  });
});

describe('generic timer', () => {
  it('CNTFRQ_EL0 = 62500000', () => { expectRun([I['mrs x0, cntfrq_el0']], {}, { x: { 0: 62_500_000n } }); });
  it('CNTVCT_EL0 increases as instructions execute', () => {
    const words = [I['mrs x0, cntvct_el0'], ...new Array(10).fill(I['nop']), I['mrs x1, cntvct_el0']];
    const r = run(words);
    expect(r.pc).toBe(CODE + 4n * BigInt(words.length));
    expect(r.x[1] > r.x[0], `CNTVCT ${r.x[0]} → ${r.x[1]}`).toBe(true);
  });
  it('CNTPCT_EL0 increases across run() calls', () => {
    const r = run([I['mrs x0, cntpct_el0'], I['nop'], I['nop'], I['mrs x1, cntpct_el0']], { steps: 2 });
    r.core.run(2);
    expect(r.core.getX(1) > r.core.getX(0)).toBe(true);
  });
  it('CNTVCT_EL0 is readable at EL0 when CNTKCTL_EL1.EL0VCTEN = 1', () => {
    const r = run([I['mrs x0, cntvct_el0']], { el: 0, sysregs: [[SR.CNTKCTL_EL1, 2n]], x: { 0: JUNK } });
    expect(r.pc).toBe(CODE + 4n);
    expect(r.x[0]).not.toBe(JUNK);
  });
});

describe('EL0 access controls that trap with EC 0x18 (ISS: Op0 Op2 Op1 CRn Rt CRm Direction)', () => {
  const trap18 = (r: ReturnType<typeof run>, iss: number) => {
    expect(hex(r.pc), 'EL1 lower-EL vector').toBe(hex(VBAR1 + 0x400n));
    const esr = r.sys(SR.ESR_EL1);
    expect('0x' + esrEC(esr).toString(16), 'EC').toBe('0x18');
    expect('0x' + esrISS(esr).toString(16), 'ISS').toBe('0x' + iss.toString(16));
    expect(hex(r.sys(SR.ELR_EL1))).toBe(hex(CODE));
  };
  it('mrs x0, cntvct_el0 at EL0 with CNTKCTL_EL1.EL0VCTEN = 0 (EL0PCTEN = 1) traps', () => {
    trap18(run([I['mrs x0, cntvct_el0']], { el: 0, sysregs: [[SR.CNTKCTL_EL1, 1n]] }), 0x34f801);
  });
  it('mrs x0, cntvct_el0 at EL0 with CNTKCTL_EL1 = 0 traps', () => {
    trap18(run([I['mrs x0, cntvct_el0']], { el: 0, sysregs: [[SR.CNTKCTL_EL1, 0n]] }), 0x34f801);
  });
  it('mrs x0, cntpct_el0 at EL0 with CNTKCTL_EL1.EL0PCTEN = 0 (EL0VCTEN = 1) traps', () => {
    trap18(run([I['mrs x0, cntpct_el0']], { el: 0, sysregs: [[SR.CNTKCTL_EL1, 2n]] }), 0x32f801);
  });
  it('mrs x0, cntfrq_el0 at EL0 with CNTKCTL_EL1 = 0 traps; with either enable it reads', () => {
    trap18(run([I['mrs x0, cntfrq_el0']], { el: 0, sysregs: [[SR.CNTKCTL_EL1, 0n]] }), 0x30f801);
    expectRun([I['mrs x0, cntfrq_el0']], { el: 0, sysregs: [[SR.CNTKCTL_EL1, 1n]] }, { x: { 0: 62_500_000n } });
  });
  it('mrs x0, ctr_el0 at EL0 with SCTLR_EL1.UCT = 0 traps', () => {
    trap18(run([I['mrs x0, ctr_el0']], { el: 0 }), 0x32c001);
  });
  it('msr daifset, #2 at EL0 with SCTLR_EL1.UMA = 0 traps (ISS Op0=0 Op2=6 Op1=3 CRn=4 Rt=31 CRm=imm)', () => {
    trap18(run([I['msr daifset, #2']], { el: 0 }), 0xcd3e4);
  });
  it('mrs x0, daif at EL0 with SCTLR_EL1.UMA = 0 traps', () => {
    trap18(run([I['mrs x0, daif']], { el: 0 }), 0x32d005);
  });
  it('dc zva, x3 at EL0 with SCTLR_EL1.DZE = 0 traps (EC 0x18, not UNDEFINED)', () => {
    trap18(run([I['dc zva, x3']], { el: 0, x: { 3: DATA } }), 0x12dc68);
  });
  it('dc cvau, x2 at EL0 with SCTLR_EL1.UCI = 0 traps', () => {
    trap18(run([0xd50b_7b22], { el: 0, x: { 2: DATA } }), 0x12dc56);
  });
  it('ic ivau, x2 at EL0 with SCTLR_EL1.UCI = 0 traps', () => {
    trap18(run([0xd50b_7522], { el: 0, x: { 2: DATA } }), 0x12dc4a);
  });
  it('dc cvau / ic ivau at EL0 with SCTLR_EL1.UCI = 1 execute', () => {
    expectRun([0xd50b_7b22, 0xd50b_7522], { el: 0, x: { 2: DATA }, sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | (1n << 26n)]] }, {});
  });
  it('DCZID_EL0.DZP reads 1 at EL0 when SCTLR_EL1.DZE = 0, and 0 when DZE = 1', () => {
    expectRun([I['mrs x0, dczid_el0']], { el: 0 }, { x: { 0: 0x14n } });
    expectRun([I['mrs x0, dczid_el0']], { el: 0, sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | (1n << 14n)]] }, { x: { 0: 0x4n } });
  });
});

describe('other system registers', () => {
  it('ELR_EL1 is plain 64-bit storage at EL1', () => {
    expectRun([I['msr elr_el1, x1'], I['mrs x0, elr_el1']], { x: { 1: 0xffff_0000_1234_5678n } }, { x: { 0: 0xffff_0000_1234_5678n } });
  });
  it('ID_AA64ISAR0_EL1 advertises CRC32 (bits 19:16 = 1) and LSE atomics (bits 23:20 = 2)', () => {
    const r = run([I['mrs x0, id_aa64isar0_el1']]);
    expect(Number((r.x[0] >> 16n) & 0xfn)).toBe(1);
    expect(Number((r.x[0] >> 20n) & 0xfn)).toBe(2);
  });
  it('ID_AA64PFR0_EL1: EL0 and EL1 AArch64 (fields 3:0 and 7:4 = 1)', () => {
    const r = run([I['mrs x0, id_aa64pfr0_el1']]);
    expect(Number(r.x[0] & 0xfn)).toBe(1);
    expect(Number((r.x[0] >> 4n) & 0xfn)).toBe(1);
  });
  it('EL1 register from EL0 (mrs elr_el1) is UNDEFINED', () => {
    expectUndef(run([I['mrs x0, elr_el1']], { el: 0 }), 0);
  });
  it('flags helper self-check', () => { expect(flags('NzCv')).toBe(0b1010); void le64; });
});
