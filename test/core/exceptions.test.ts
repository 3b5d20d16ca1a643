// Synchronous exceptions and exception return (Arm ARM D1.10 "Exception entry", D1.11 "Exception
// return", AArch64.TakeException / AArch64.ExceptionReturn, ESR_ELx encodings in D17.2.37),
// plus the emulator's exits for firmware calls (HVC/SMC to an absent EL) and device accesses.
//
// Vector offsets from VBAR_ELx: +0x000 current EL with SP_EL0, +0x200 current EL with SP_ELx,
// +0x400 lower EL using AArch64. ESR = EC << 26 | IL << 25 | ISS.
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { CODE, DATA, SR, STACK, VBAR1, VBAR2, esrEC, esrISS, expectRun, hex, le64, run, snapshot, type Result, type Setup } from './harness';

const JUNK = 0xdead_beef_cafe_f00dn;
const HCR_RW = 1n << 31n;
const HCR_TSC = 1n << 19n;
const HCR_TGE = 1n << 27n;
const HCR_HCD = 1n << 29n;
const EL2: Setup = { config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, HCR_RW]] };
const PSTATE_IL = 1n << 20n;

const W = {
  ERET: 0xd69f03e0,
  UDF0: 0x0000_0000,
  UDF_FFFF: 0x0000_ffff,
  FADD_D: 0x1e62_2820, // fadd d0, d1, d2
  ADD_V: 0x4ea2_8420, // add v0.4s, v1.4s, v2.4s
  FMOV_D_X: 0x9e67_0020, // fmov d0, x1
  LDR_Q: 0x3dc0_0020, // ldr q0, [x1]
  MRS_HCR_EL2: 0xd53c_1100, // mrs x0, hcr_el2
  MSR_HCR_EL2: 0xd51c_1100, // msr hcr_el2, x0
  MRS_VBAR_EL2: 0xd53c_c000, // mrs x0, vbar_el2
  MRS_ESR_EL2: 0xd53c_5200, // mrs x0, esr_el2
  MRS_SCTLR_EL2: 0xd53c_1000, // mrs x0, sctlr_el2
  MSR_VBAR_EL1: 0xd518_c001, // msr vbar_el1, x1
  MRS_VBAR_EL1: 0xd538_c000, // mrs x0, vbar_el1
  MSR_TTBR0_EL1: 0xd518_2001, // msr ttbr0_el1, x1
  WFI: 0xd503_207f,
  WFE: 0xd503_205f,
  LDP_W0_W1_X1: 0x2940_0420, // ldp w0, w1, [x1]
  LDR_W0_POST4: 0xb840_4420, // ldr w0, [x1], #4
};

interface Taken { el: number; ec: number; iss?: number; elr: bigint; spsr?: bigint; vector: bigint }
/** Checks that exactly the described exception was taken. */
function expectTaken(r: Result, t: Taken): void {
  const esr = r.sys(t.el === 2 ? SR.ESR_EL2 : SR.ESR_EL1);
  expect(r.el, 'target EL').toBe(t.el);
  expect(hex(r.pc), 'PC = vector').toBe(hex(t.vector));
  expect('0x' + esrEC(esr).toString(16), 'ESR.EC').toBe('0x' + t.ec.toString(16));
  expect(Number((esr >> 25n) & 1n), 'ESR.IL').toBe(1);
  if (t.iss !== undefined) expect('0x' + esrISS(esr).toString(16), 'ESR.ISS').toBe('0x' + t.iss.toString(16));
  expect(hex(r.sys(t.el === 2 ? SR.ELR_EL2 : SR.ELR_EL1)), 'ELR').toBe(hex(t.elr));
  if (t.spsr !== undefined) expect(hex(r.sys(t.el === 2 ? SR.SPSR_EL2 : SR.SPSR_EL1)), 'SPSR').toBe(hex(t.spsr));
  // Exception entry: PSTATE.{D,A,I,F} all set, PSTATE.SP = 1, PSTATE.IL = 0.
  expect(Number((r.pstate >> 6n) & 0xfn), 'PSTATE.DAIF masked').toBe(0xf);
  expect(Number(r.pstate & 0xfn), 'PSTATE.M = ELxh').toBe((t.el << 2) | 1);
  expect(r.pstate & PSTATE_IL, 'PSTATE.IL cleared').toBe(0n);
}

describe('SVC', () => {
  for (const imm of [0, 0x1234, 0xffff]) {
    it(`svc #${hex(imm)} at EL1h → EL1 +0x200, ESR = 0x15 | IL | imm, ELR = next, SPSR = old PSTATE`, () => {
      const r = run([E.svc(imm)], { nzcv: 0b1010, daif: 0, x: { 0: JUNK } });
      expectTaken(r, { el: 1, ec: 0x15, iss: imm, elr: CODE + 4n, spsr: 0xa000_0005n, vector: VBAR1 + 0x200n });
      expect(r.sys(SR.ESR_EL1)).toBe(0x5600_0000n | BigInt(imm));
      expect(r.nzcv, 'NZCV not changed by exception entry').toBe(0b1010);
      expect(r.x[0]).toBe(JUNK);
    });
  }
  it('svc at EL1t (SPSel = 0) → +0x000, SPSR.M = EL1t, handler runs on SP_EL1', () => {
    const r = run([E.svc(7)], { spsel: 0, daif: 0b0010, sp: 0x4011_0000n, sysregs: [[SR.SP_EL0, 0n]] });
    expectTaken(r, { el: 1, ec: 0x15, iss: 7, elr: CODE + 4n, spsr: 0x0000_0084n, vector: VBAR1 });
    expect(hex(r.sys(SR.SP_EL0)), 'SP_EL0 keeps the interrupted SP').toBe(hex(0x4011_0000n));
  });
  it('svc from EL0 → EL1 +0x400, SPSR.M = EL0t', () => {
    const r = run([E.svc(0x42)], { el: 0, nzcv: 0b0110, daif: 0, sp: 0x4011_0000n });
    expectTaken(r, { el: 1, ec: 0x15, iss: 0x42, elr: CODE + 4n, spsr: 0x6000_0000n, vector: VBAR1 + 0x400n });
  });
  it('svc from EL0 with HCR_EL2.TGE = 1 is routed to EL2 (+0x400)', () => {
    const r = run([E.svc(0x43)], { ...EL2, el: 0, daif: 0, sysregs: [[SR.HCR_EL2, HCR_RW | HCR_TGE]] });
    expectTaken(r, { el: 2, ec: 0x15, iss: 0x43, elr: CODE + 4n, spsr: 0n, vector: VBAR2 + 0x400n });
  });
  it('svc at EL2 → EL2 +0x200', () => {
    const r = run([E.svc(1)], { ...EL2, el: 2, daif: 0 });
    expectTaken(r, { el: 2, ec: 0x15, iss: 1, elr: CODE + 4n, spsr: 0x9n, vector: VBAR2 + 0x200n });
  });
  it('svc vectors through the VBAR_EL1 value written by MSR', () => {
    const r = run([W.MSR_VBAR_EL1, E.svc(0)], { x: { 1: 0x4006_0000n } });
    expect(hex(r.pc)).toBe(hex(0x4006_0200n));
  });
});

describe('BRK, UDF and unallocated/unimplemented encodings', () => {
  it('brk #0x3e8 → EC 0x3C, ISS = imm, ELR = the BRK itself', () => {
    const r = run([E.brk(0x3e8)], { daif: 0 });
    expectTaken(r, { el: 1, ec: 0x3c, iss: 0x3e8, elr: CODE, spsr: 0x5n, vector: VBAR1 + 0x200n });
    expect(r.sys(SR.ESR_EL1)).toBe(0xf200_03e8n);
  });
  it('brk from EL0 → +0x400', () => {
    const r = run([E.brk(1)], { el: 0, daif: 0 });
    expectTaken(r, { el: 1, ec: 0x3c, iss: 1, elr: CODE, spsr: 0n, vector: VBAR1 + 0x400n });
  });
  for (const [name, word, cpu] of [['udf #0 (word 0x00000000)', W.UDF0, 'max'], ['udf #0xffff', W.UDF_FFFF, 'max'],
    ['fadd d0, d1, d2 (--cpu int: no FP/SIMD)', W.FADD_D, 'int'], ['add v0.4s, v1.4s, v2.4s (--cpu int)', W.ADD_V, 'int'],
    ['fmov d0, x1 (--cpu int)', W.FMOV_D_X, 'int'], ['ldr q0, [x1] (--cpu int)', W.LDR_Q, 'int']] as const) {
    it(`${name} → UNDEFINED: EC 0, ISS 0, ELR = the instruction`, () => {
      const r = run([word], { daif: 0, x: { 1: DATA }, config: { cpu } });
      expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, spsr: 0x5n, vector: VBAR1 + 0x200n });
      expect(r.sys(SR.ESR_EL1)).toBe(0x0200_0000n);
    });
  }
  for (const [name, word] of [['fadd d0, d1, d2', W.FADD_D], ['fmov d0, x1', W.FMOV_D_X]] as const) {
    it(`${name} with CPACR_EL1.FPEN = 00 (its reset value) → SIMD&FP access trap: EC 0x07, ISS CV=1 COND=0xE`, () => {
      const r = run([word], { daif: 0, x: { 1: DATA } });
      expectTaken(r, { el: 1, ec: 0x07, iss: 0x1e00000, elr: CODE, spsr: 0x5n, vector: VBAR1 + 0x200n });
    });
  }
  it('--cpu int: ID_AA64PFR0_EL1 says FP and AdvSIMD are not implemented, ISAR0/ISAR1 no crypto/RDM/DP/JSCVT (consistent with UNDEFINED above)', () => {
    const r = run([0xd5380400, 0xd5380601, 0xd5380622], { config: { cpu: 'int' } }); // mrs x0, id_aa64pfr0_el1; mrs x1, id_aa64isar0_el1; mrs x2, id_aa64isar1_el1
    expect(Number((r.x[0] >> 16n) & 0xfn)).toBe(0xf);
    expect(Number((r.x[0] >> 20n) & 0xfn)).toBe(0xf);
    expect(r.x[1]).toBe((1n << 16n) | (2n << 20n)); // CRC32, atomics only
    expect(r.x[2]).toBe(0n);
  });
  it('--cpu max: ID_AA64PFR0_EL1.FP/AdvSIMD = 1 (with FP16); ISAR0 AES=2 SHA1=1 SHA2=2 RDM=1 SHA3=1 DP=1, no SM3/SM4; ISAR1 JSCVT/FCMA/FRINTTS; no SVE', () => {
    const r = run([0xd5380400, 0xd5380601, 0xd5380622]);
    const f = (v: bigint, lsb: number) => Number((v >> BigInt(lsb)) & 0xfn);
    expect([f(r.x[0], 16), f(r.x[0], 20), f(r.x[0], 32)]).toEqual([1, 1, 0]); // FP, AdvSIMD, SVE
    expect([f(r.x[1], 4), f(r.x[1], 8), f(r.x[1], 12), f(r.x[1], 16), f(r.x[1], 20), f(r.x[1], 28), f(r.x[1], 32), f(r.x[1], 36), f(r.x[1], 40), f(r.x[1], 44)])
      .toEqual([2, 1, 2, 1, 2, 1, 1, 0, 0, 1]);
    expect([f(r.x[2], 12), f(r.x[2], 16), f(r.x[2], 32), f(r.x[2], 44), f(r.x[2], 52)]).toEqual([1, 1, 1, 0, 0]); // JSCVT FCMA FRINTTS BF16 I8MM
  });
  it('eret at EL0 is UNDEFINED', () => {
    const r = run([W.ERET], { el: 0 });
    expectTaken(r, { el: 1, ec: 0, elr: CODE, vector: VBAR1 + 0x400n });
  });
  it('hvc at EL0 is UNDEFINED', () => {
    const r = run([E.hvc(0)], { el: 0, ...EL2 });
    expectTaken(r, { el: 1, ec: 0, elr: CODE, vector: VBAR1 + 0x400n });
  });
  it('smc at EL0 is UNDEFINED', () => {
    const r = run([E.smc(0)], { el: 0 });
    expectTaken(r, { el: 1, ec: 0, elr: CODE, vector: VBAR1 + 0x400n });
  });
  it('smc at EL1 with no EL3 and no SMC firmware conduit is UNDEFINED', () => {
    const r = run([E.smc(0)], {});
    expectTaken(r, { el: 1, ec: 0, elr: CODE, vector: VBAR1 + 0x200n });
  });
});

describe('HVC / SMC and EL2', () => {
  it('hvc #0x55 at EL1 with EL2 → EL2 +0x400, ESR_EL2 = 0x16 | IL | imm, ELR_EL2 = next insn', () => {
    const r = run([E.hvc(0x55)], { ...EL2, nzcv: 0b1001, daif: 0b0011, sp: 0x4011_0000n });
    expectTaken(r, { el: 2, ec: 0x16, iss: 0x55, elr: CODE + 4n, spsr: 0x9000_00c5n, vector: VBAR2 + 0x400n });
    expect(r.sys(SR.ESR_EL2)).toBe(0x5a00_0055n);
    expect(r.sys(SR.ESR_EL1), 'ESR_EL1 untouched').toBe(0n);
    expect(hex(r.sys(SR.SP_EL1)), 'SP_EL1 keeps the EL1 SP').toBe(hex(0x4011_0000n));
  });
  it('hvc #2 at EL2 → EL2 +0x200, EC 0x16', () => {
    const r = run([E.hvc(2)], { ...EL2, el: 2, daif: 0 });
    expectTaken(r, { el: 2, ec: 0x16, iss: 2, elr: CODE + 4n, spsr: 0x9n, vector: VBAR2 + 0x200n });
  });
  it('HCR_EL2.RW is RAO/WI when EL1 cannot use AArch32 (ID_AA64PFR0_EL1.EL1 = 1)', () => {
    const r = run([0xd51c_111f, W.MRS_HCR_EL2], { ...EL2, el: 2, x: { 0: JUNK } }); // msr hcr_el2, xzr ; mrs x0, hcr_el2
    expect(hex(r.x[0] & HCR_RW)).toBe(hex(HCR_RW));
  });
  it('hvc at EL1 with HCR_EL2.HCD = 1 is UNDEFINED (to EL1)', () => {
    const r = run([E.hvc(1)], { ...EL2, sysregs: [[SR.HCR_EL2, HCR_RW | HCR_HCD]] });
    expectTaken(r, { el: 1, ec: 0, elr: CODE, vector: VBAR1 + 0x200n });
  });
  it("hvc at EL1 without EL2 → run() returns 'firmware' with PC after the HVC", () => {
    const r = run([E.hvc(0x1234), E.NOP], { steps: 2, x: { 0: 0x8400_0000n } });
    expect(r.exit).toBe('firmware');
    expect(hex(r.pc)).toBe(hex(CODE + 4n));
    expect(r.el).toBe(1);
    expect(r.core.exitImm).toBe(0x1234);
    expect(r.sys(SR.ESR_EL1)).toBe(0n);
  });
  it('smc #0x77 at EL1 with HCR_EL2.TSC = 1 → EL2 EC 0x17, ELR_EL2 = the SMC itself', () => {
    const r = run([E.smc(0x77)], { ...EL2, daif: 0, sysregs: [[SR.HCR_EL2, HCR_RW | HCR_TSC]] });
    expectTaken(r, { el: 2, ec: 0x17, iss: 0x77, elr: CODE, spsr: 0x5n, vector: VBAR2 + 0x400n });
    expect(r.sys(SR.ESR_EL2)).toBe(0x5e00_0077n);
  });
  it('smc at EL2 with HCR_EL2.TSC = 1 is not trapped (TSC applies to EL1 only): UNDEFINED at EL2 without EL3', () => {
    const r = run([E.smc(0)], { ...EL2, el: 2, sysregs: [[SR.HCR_EL2, HCR_RW | HCR_TSC]] });
    expectTaken(r, { el: 2, ec: 0, elr: CODE, vector: VBAR2 + 0x200n });
  });
  it('WFI at EL1 with HCR_EL2.TWI = 1 → EL2 EC 0x01 (TI = WFI), ELR = the WFI', () => {
    const r = run([W.WFI], { ...EL2, sysregs: [[SR.HCR_EL2, HCR_RW | (1n << 13n)]] });
    expectTaken(r, { el: 2, ec: 0x01, elr: CODE, vector: VBAR2 + 0x400n });
    expect(esrISS(r.sys(SR.ESR_EL2)) & 3).toBe(0);
  });
  it('WFI at EL0 with SCTLR_EL1.nTWI = 0 → EL1 EC 0x01, ELR = the WFI', () => {
    const r = run([W.WFI], { el: 0 });
    expectTaken(r, { el: 1, ec: 0x01, elr: CODE, vector: VBAR1 + 0x400n });
    expect(esrISS(r.sys(SR.ESR_EL1)) & 3).toBe(0);
  });
  it('WFE at EL0 with SCTLR_EL1.nTWE = 0 → EL1 EC 0x01, TI = WFE', () => {
    const r = run([W.WFE], { el: 0 });
    expectTaken(r, { el: 1, ec: 0x01, elr: CODE, vector: VBAR1 + 0x400n });
    expect(esrISS(r.sys(SR.ESR_EL1)) & 3).toBe(1);
  });
});

describe('system register access from the wrong EL', () => {
  for (const [name, word] of [['mrs x0, hcr_el2', W.MRS_HCR_EL2], ['msr hcr_el2, x0', W.MSR_HCR_EL2], ['mrs x0, vbar_el2', W.MRS_VBAR_EL2],
    ['mrs x0, esr_el2', W.MRS_ESR_EL2], ['mrs x0, sctlr_el2', W.MRS_SCTLR_EL2]] as const) {
    it(`${name} at EL1 (EL2 implemented) is UNDEFINED`, () => {
      const r = run([word], { ...EL2, x: { 0: JUNK } });
      expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x200n });
      expect(r.x[0]).toBe(JUNK);
      expect(r.sys(SR.HCR_EL2), 'HCR_EL2 unchanged').toBe(HCR_RW);
    });
    it(`${name} at EL1 (no EL2) is UNDEFINED`, () => {
      const r = run([word], { x: { 0: JUNK } });
      expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x200n });
    });
  }
  it('msr vbar_el1, x1 at EL0 is UNDEFINED and VBAR_EL1 is unchanged', () => {
    const r = run([W.MSR_VBAR_EL1], { el: 0, x: { 1: 0x4000_0000n } });
    expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x400n });
    expect(hex(r.sys(SR.VBAR_EL1))).toBe(hex(VBAR1));
  });
  it('msr ttbr0_el1, x1 at EL0 is UNDEFINED', () => {
    const r = run([W.MSR_TTBR0_EL1], { el: 0, x: { 1: 0x1234_0000n } });
    expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x400n });
    expect(r.sys(SR.TTBR0_EL1)).toBe(0n);
  });
  // Writes to read-only registers and reads of write-only registers are UNDEFINED (no MSR/MRS
  // accessor exists for that direction).
  for (const [name, word] of [['msr midr_el1, x0', 0xd518_0000], ['msr currentel, x0', 0xd518_4240], ['msr cntvct_el0, x0', 0xd51b_e040],
    ['msr ctr_el0, x0', 0xd51b_0020], ['msr id_aa64pfr0_el1, x0', 0xd518_0400], ['mrs x0, oslar_el1 (write-only)', 0xd530_1080]] as const) {
    it(`${name} at EL1 is UNDEFINED`, () => {
      const r = run([word], { x: { 0: JUNK } });
      expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x200n });
      expect(r.x[0]).toBe(JUNK);
    });
  }
  it('mrs x0, vbar_el1 at EL0 is UNDEFINED', () => {
    const r = run([W.MRS_VBAR_EL1], { el: 0, x: { 0: JUNK } });
    expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x400n });
    expect(r.x[0]).toBe(JUNK);
  });
});

describe('ERET', () => {
  it('EL1 → EL0: PC = ELR_EL1, PSTATE from SPSR_EL1, SP = SP_EL0', () => {
    const r = run([W.ERET], { sysregs: [[SR.SPSR_EL1, 0x6000_0000n], [SR.ELR_EL1, CODE + 0x100n], [SR.SP_EL0, 0x4011_0000n]], sp: STACK });
    expect(r.el).toBe(0);
    expect(hex(r.pc)).toBe(hex(CODE + 0x100n));
    expect(r.nzcv).toBe(0b0110);
    expect(Number((r.pstate >> 6n) & 0xfn), 'DAIF from SPSR').toBe(0);
    expect(hex(r.sp)).toBe(hex(0x4011_0000n));
    expect(hex(r.sys(SR.SP_EL1)), 'SP_EL1 banked').toBe(hex(STACK));
  });
  it('EL1 → EL0 then SVC comes back to EL1 (+0x400) with the EL1 stack', () => {
    const words = new Array(0x44).fill(E.NOP);
    words[0] = W.ERET;
    words[0x100 / 4] = E.svc(3);
    const r = run(words, { steps: 2, sysregs: [[SR.SPSR_EL1, 0n], [SR.ELR_EL1, CODE + 0x100n], [SR.SP_EL0, 0x4011_0000n]], sp: STACK });
    expectTaken(r, { el: 1, ec: 0x15, iss: 3, elr: CODE + 0x104n, spsr: 0n, vector: VBAR1 + 0x400n });
    expect(hex(r.sp)).toBe(hex(STACK));
  });
  it('EL1h → EL1t (SPSR.M = 0b0100): SP becomes SP_EL0', () => {
    const r = run([W.ERET], { sysregs: [[SR.SPSR_EL1, 0x3c4n], [SR.ELR_EL1, CODE + 0x40n], [SR.SP_EL0, 0x4011_0000n]], sp: STACK });
    expect(r.el).toBe(1);
    expect(Number(r.pstate & 0xfn)).toBe(0b0100);
    expect(hex(r.sp)).toBe(hex(0x4011_0000n));
    expect(hex(r.pc)).toBe(hex(CODE + 0x40n));
  });
  it('EL2 → EL1h: PSTATE and SP_EL1 restored', () => {
    const r = run([W.ERET], {
      ...EL2, el: 2, sp: 0x4013_0000n,
      sysregs: [[SR.HCR_EL2, HCR_RW], [SR.SPSR_EL2, 0x9000_03c5n], [SR.ELR_EL2, CODE + 0x200n], [SR.SP_EL1, 0x4012_0000n]],
    });
    expect(r.el).toBe(1);
    expect(hex(r.pc)).toBe(hex(CODE + 0x200n));
    expect(r.nzcv).toBe(0b1001);
    expect(hex(r.pstate)).toBe(hex(0x9000_03c5n));
    expect(hex(r.sp)).toBe(hex(0x4012_0000n));
    expect(hex(r.sys(SR.SP_EL2))).toBe(hex(0x4013_0000n));
  });
  it('EL2 → EL1t: SP = SP_EL0', () => {
    const r = run([W.ERET], {
      ...EL2, el: 2, sysregs: [[SR.HCR_EL2, HCR_RW], [SR.SPSR_EL2, 0x3c4n], [SR.ELR_EL2, CODE + 0x20n], [SR.SP_EL0, 0x4011_0000n]],
    });
    expect(r.el).toBe(1);
    expect(hex(r.sp)).toBe(hex(0x4011_0000n));
  });
  it('EL2 → EL0 (SPSR.M = 0)', () => {
    const r = run([W.ERET], { ...EL2, el: 2, sysregs: [[SR.HCR_EL2, HCR_RW], [SR.SPSR_EL2, 0x2000_0000n], [SR.ELR_EL2, CODE + 0x24n], [SR.SP_EL0, 0x4011_0000n]] });
    expect(r.el).toBe(0);
    expect(r.nzcv).toBe(0b0010);
    expect(hex(r.pc)).toBe(hex(CODE + 0x24n));
    expect(hex(r.sp)).toBe(hex(0x4011_0000n));
  });

  // Illegal exception returns (AArch64.ExceptionReturn → IllegalExceptionReturn): PSTATE.EL and
  // PSTATE.SP are kept, PSTATE.IL is set, NZCV and DAIF still come from SPSR, PC = ELR. The next
  // instruction then takes an Illegal Execution state exception (EC 0x0E) with SPSR.IL = 1.
  const illegal: [string, bigint, Setup][] = [
    ['SPSR.M = EL2h from EL1 (EL2 implemented)', 0x5000_0009n, EL2],
    ['SPSR.M = EL2h from EL1 (no EL2)', 0x5000_0009n, {}],
    ['SPSR.M = 0b0001 (EL0 with SP_EL1: reserved)', 0x5000_0001n, {}],
    ['SPSR.M[4] = 1 (AArch32, not implemented)', 0x5000_0010n, {}],
    ['SPSR.M = 0b0110 (M[1] = 1: reserved)', 0x5000_0006n, {}],
  ];
  it('illegal return: EL2 → EL1 with HCR_EL2.TGE = 1 → PSTATE.IL at EL2, then EC 0x0E to EL2', () => {
    const words = new Array(0x44).fill(E.NOP);
    words[0] = W.ERET;
    const s: Setup = { ...EL2, el: 2, sysregs: [[SR.HCR_EL2, HCR_RW | HCR_TGE], [SR.SPSR_EL2, 0x5000_0005n], [SR.ELR_EL2, CODE + 0x100n]] };
    const r1 = run(words, { ...s, steps: 1 });
    expect(r1.el).toBe(2);
    expect(hex(r1.pc)).toBe(hex(CODE + 0x100n));
    expect(r1.pstate & PSTATE_IL).toBe(PSTATE_IL);
    const r2 = run(words, { ...s, steps: 2 });
    expectTaken(r2, { el: 2, ec: 0x0e, iss: 0, elr: CODE + 0x100n, vector: VBAR2 + 0x200n });
  });
  for (const [name, spsr, extra] of illegal) {
    it(`illegal return: ${name} → PSTATE.IL, then EC 0x0E`, () => {
      const words = new Array(0x44).fill(E.NOP);
      words[0] = W.ERET;
      const s: Setup = { ...extra, daif: 0xf, sysregs: [...(extra.sysregs ?? []), [SR.SPSR_EL1, spsr], [SR.ELR_EL1, CODE + 0x100n]] };
      const r1 = run(words, { ...s, steps: 1 });
      expect(r1.el, 'EL unchanged').toBe(1);
      expect(hex(r1.pc), 'PC = ELR_EL1').toBe(hex(CODE + 0x100n));
      expect(r1.pstate & PSTATE_IL, 'PSTATE.IL set').toBe(PSTATE_IL);
      expect(Number(r1.pstate & 0xfn), 'PSTATE.M unchanged (EL1h)').toBe(0b0101);
      expect(r1.nzcv, 'NZCV from SPSR').toBe(0b0101);
      expect(Number((r1.pstate >> 6n) & 0xfn), 'DAIF from SPSR').toBe(0);
      const r2 = run(words, { ...s, steps: 2 });
      expectTaken(r2, { el: 1, ec: 0x0e, iss: 0, elr: CODE + 0x100n, vector: VBAR1 + 0x200n });
      expect(r2.sys(SR.SPSR_EL1) & PSTATE_IL, 'SPSR_EL1.IL').toBe(PSTATE_IL);
      expect(r2.sys(SR.ESR_EL1)).toBe(0x3a00_0000n);
    });
  }
});

describe('PSTATE on exception entry: PAN, UAO', () => {
  it('exception to EL1 with SCTLR_EL1.SPAN = 0 sets PSTATE.PAN (FEAT_PAN is implemented)', () => {
    const mmfr1 = run([0xd538_0720]).x[0]; // mrs x0, id_aa64mmfr1_el1
    expect(Number((mmfr1 >> 20n) & 0xfn), 'ID_AA64MMFR1_EL1.PAN').not.toBe(0);
    const r = run([E.svc(0)], { sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n & ~(1n << 23n)]] });
    expect(hex(r.pc)).toBe(hex(VBAR1 + 0x200n));
    expect((r.pstate >> 22n) & 1n, 'PSTATE.PAN').toBe(1n);
    expect((r.sys(SR.SPSR_EL1) >> 22n) & 1n, 'SPSR_EL1.PAN (old value)').toBe(0n);
  });
  it('exception to EL1 with SCTLR_EL1.SPAN = 1 leaves PSTATE.PAN unchanged', () => {
    const r = run([E.svc(0)], { sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | (1n << 23n)]] });
    expect((r.pstate >> 22n) & 1n).toBe(0n);
  });
  it('PSTATE.UAO: MSR UAO is UNDEFINED when ID_AA64MMFR2_EL1.UAO = 0, else exception entry clears UAO', () => {
    const mmfr2 = run([0xd538_0740]).x[0]; // mrs x0, id_aa64mmfr2_el1
    if (((mmfr2 >> 4n) & 0xfn) === 0n) {
      const r = run([0xd500_417f]); // msr uao, #1
      expectTaken(r, { el: 1, ec: 0, iss: 0, elr: CODE, vector: VBAR1 + 0x200n });
    } else {
      const r = run([0xd500_417f, E.svc(0)]);
      expect((r.sys(SR.SPSR_EL1) >> 23n) & 1n, 'SPSR.UAO').toBe(1n);
      expect((r.pstate >> 23n) & 1n, 'PSTATE.UAO cleared on entry').toBe(0n);
    }
  });
});

describe('SP alignment checking (SCTLR_ELx.SA / SA0)', () => {
  const SCTLR = 0x30d0_0800n;
  it('SA = 1: load with SP base, SP not 16-byte aligned → SP alignment fault EC 0x26, ELR = the insn', () => {
    const r = run([E.ldstUimm(3, 1, 0, 31, 0)], { sp: STACK + 8n, x: { 0: JUNK }, sysregs: [[SR.SCTLR_EL1, SCTLR | (1n << 3n)]] });
    expectTaken(r, { el: 1, ec: 0x26, iss: 0, elr: CODE, vector: VBAR1 + 0x200n });
    expect(r.x[0]).toBe(JUNK);
  });
  it('SA = 1: SP 16-byte aligned is fine', () => {
    expectRun([E.ldstUimm(3, 1, 0, 31, 1)], { sp: STACK, mem: [[STACK + 8n, le64(3n)]], sysregs: [[SR.SCTLR_EL1, SCTLR | (1n << 3n)]] }, { x: { 0: 3n } });
  });
  it('SA = 1: arithmetic on a misaligned SP does not fault', () => {
    expectRun([E.addImm(31, 31, 8)], { sp: STACK, sysregs: [[SR.SCTLR_EL1, SCTLR | (1n << 3n)]] }, { sp: STACK + 8n });
  });
  it('SA0 = 1 at EL0: stp with a misaligned SP → EC 0x26 to EL1 (+0x400)', () => {
    const r = run([E.ldstPair(2, 0, 2, 0, 1, 31, 0)], { el: 0, sp: STACK + 4n, sysregs: [[SR.SCTLR_EL1, SCTLR | (1n << 4n)]] });
    expectTaken(r, { el: 1, ec: 0x26, iss: 0, elr: CODE, vector: VBAR1 + 0x400n });
  });
  it('SA = 0 (as after reset here): misaligned SP base is allowed', () => {
    expectRun([E.ldstUimm(3, 1, 0, 31, 0)], { sp: STACK + 8n, mem: [[STACK + 8n, le64(4n)]] }, { x: { 0: 4n } });
  });
});

describe('IL on legal returns and Illegal Execution state priority', () => {
  it('a legal ERET with SPSR.IL = 1 sets PSTATE.IL, and the next instruction takes EC 0x0E', () => {
    const words = new Array(0x44).fill(E.NOP);
    words[0] = W.ERET;
    const s: Setup = { sysregs: [[SR.SPSR_EL1, 0x3c5n | PSTATE_IL], [SR.ELR_EL1, CODE + 0x100n]] };
    const r1 = run(words, { ...s, steps: 1 });
    expect(r1.pstate & PSTATE_IL).toBe(PSTATE_IL);
    expect(hex(r1.pc)).toBe(hex(CODE + 0x100n));
    expectTaken(run(words, { ...s, steps: 2 }), { el: 1, ec: 0x0e, iss: 0, elr: CODE + 0x100n, vector: VBAR1 + 0x200n });
  });
  it('with PSTATE.IL set, an SVC takes the Illegal Execution state exception (EC 0x0E), not the SVC', () => {
    const words = new Array(0x44).fill(E.NOP);
    words[0] = W.ERET;
    words[0x100 / 4] = E.svc(5);
    const r = run(words, { steps: 2, sysregs: [[SR.SPSR_EL1, 0x5000_0009n], [SR.ELR_EL1, CODE + 0x100n]] });
    expectTaken(r, { el: 1, ec: 0x0e, iss: 0, elr: CODE + 0x100n, vector: VBAR1 + 0x200n });
  });
});

describe('data aborts from EL0 (lower EL: EC 0x24, vector +0x400)', () => {
  it('unaligned load at EL0 with the MMU off → Alignment fault EC 0x24', () => {
    const r = run([E.ldstUimm(3, 1, 0, 1, 0)], { el: 0, x: { 0: JUNK, 1: DATA + 2n } });
    expectTaken(r, { el: 1, ec: 0x24, elr: CODE, vector: VBAR1 + 0x400n });
    expect(esrISS(r.sys(SR.ESR_EL1)) & 0x3f).toBe(0x21);
    expect(hex(r.sys(SR.FAR_EL1))).toBe(hex(DATA + 2n));
  });
  it('bus error on a load at EL0 → EC 0x24, DFSC 0x10', () => {
    const r = run([E.ldstUimm(3, 1, 0, 1, 0)], { el: 0, x: { 0: JUNK, 1: 0x1000_0000n } });
    expect(r.exit).toBe('mmio');
    r.core.mmioComplete(0n, true);
    const exit = r.core.run(1);
    const r2 = snapshot(r.core, exit);
    expectTaken(r2, { el: 1, ec: 0x24, elr: CODE, spsr: 0x3c0n, vector: VBAR1 + 0x400n });
    expect(esrISS(r2.sys(SR.ESR_EL1)) & 0x3f).toBe(0x10);
  });
});

describe('PC alignment fault', () => {
  it('br to a misaligned address: the next fetch takes EC 0x22 with FAR = ELR = the misaligned PC', () => {
    const r = run([E.br(1)], { x: { 1: CODE + 0x102n }, steps: 2 });
    expectTaken(r, { el: 1, ec: 0x22, elr: CODE + 0x102n, vector: VBAR1 + 0x200n });
    expect(hex(r.sys(SR.FAR_EL1))).toBe(hex(CODE + 0x102n));
  });
});

describe('device (MMIO) accesses and bus errors', () => {
  it("ldr w0, [x1] from 0x0900_0018 → 'mmio' exit, then mmioComplete(value) completes the load", () => {
    const r = run([E.ldstUimm(2, 1, 0, 1, 0), E.NOP], { x: { 0: JUNK, 1: 0x0900_0018n }, steps: 2 });
    expect(r.exit).toBe('mmio');
    const m = r.core.mmio();
    expect({ pa: hex(m.pa), size: m.size, isWrite: m.isWrite, reg: m.reg }).toEqual({ pa: hex(0x0900_0018n), size: 4, isWrite: false, reg: 0 });
    expect(r.core.getX(0), 'X0 not yet written').toBe(JUNK);
    r.core.mmioComplete(0x90n);
    expect(r.core.run(1)).toBe('budget');
    expect(hex(r.core.getX(0))).toBe(hex(0x90n));
    expect(hex(r.core.pc)).toBe(hex(CODE + 4n));
  });
  it('ldrsb x0, [x1] from a device: size 1, sign-extended result', () => {
    const r = run([E.ldstUimm(0, 2, 0, 1, 0)], { x: { 1: 0x0900_0000n } });
    expect(r.exit).toBe('mmio');
    expect(r.core.mmio().size).toBe(1);
    r.core.mmioComplete(0x80n);
    r.core.run(1);
    expect(hex(r.core.getX(0))).toBe(hex(0xffff_ffff_ffff_ff80n));
  });
  it('ldr x0, [x1] from a device: size 8', () => {
    const r = run([E.ldstUimm(3, 1, 0, 1, 0)], { x: { 1: 0x0c00_0000n } });
    expect(r.exit).toBe('mmio');
    expect(r.core.mmio().size).toBe(8);
    r.core.mmioComplete(0x0123_4567_89ab_cdefn);
    r.core.run(1);
    expect(hex(r.core.getX(0))).toBe(hex(0x0123_4567_89ab_cdefn));
  });
  it('str w2, [x1] to a device: write exit with the low 32 bits', () => {
    const r = run([E.ldstUimm(2, 0, 2, 1, 0)], { x: { 1: 0x0900_0000n, 2: 0xffff_ffff_0000_0041n } });
    expect(r.exit).toBe('mmio');
    const m = r.core.mmio();
    expect({ pa: hex(m.pa), size: m.size, isWrite: m.isWrite, value: hex(m.value), reg: m.reg }).toEqual({ pa: hex(0x0900_0000n), size: 4, isWrite: true, value: hex(0x41n), reg: 2 });
    r.core.mmioComplete(0n);
    expect(r.core.run(1)).toBe('budget');
    expect(hex(r.core.pc)).toBe(hex(CODE + 4n));
  });
  it('strb w2, [x1] to a device: size 1, value = low byte', () => {
    const r = run([E.ldstUimm(0, 0, 2, 1, 0)], { x: { 1: 0x0900_0000n, 2: 0x1234n } });
    const m = r.core.mmio();
    expect([m.size, hex(m.value), m.isWrite]).toEqual([1, hex(0x34n), true]);
  });
  it('ldr w0, [x1], #4 from a device: writeback happens once, after completion', () => {
    const r = run([W.LDR_W0_POST4], { x: { 1: 0x0900_0000n } });
    expect(r.exit).toBe('mmio');
    expect(r.core.getX(1), 'no writeback before the access completes').toBe(0x0900_0000n);
    r.core.mmioComplete(7n);
    r.core.run(1);
    expect(r.core.getX(0)).toBe(7n);
    expect(hex(r.core.getX(1))).toBe(hex(0x0900_0004n));
  });
  it('ldp w0, w1, [x1] from a device: two accesses, both values delivered', () => {
    const r = run([W.LDP_W0_W1_X1], { x: { 1: 0x0900_0000n } });
    expect(r.exit).toBe('mmio');
    expect(hex(r.core.mmio().pa)).toBe(hex(0x0900_0000n));
    r.core.mmioComplete(0x11n);
    let exit = r.core.run(1);
    if (exit === 'mmio') {
      expect(hex(r.core.mmio().pa)).toBe(hex(0x0900_0004n));
      r.core.mmioComplete(0x22n);
      exit = r.core.run(1);
    }
    expect(exit).toBe('budget');
    expect([r.core.getX(0), r.core.getX(1)]).toEqual([0x11n, 0x22n]);
    expect(hex(r.core.pc)).toBe(hex(CODE + 4n));
  });
  it('load from an unassigned address completed with a bus error → Data Abort EC 0x25, DFSC 0x10 (synchronous external abort)', () => {
    const r = run([E.ldstUimm(3, 1, 0, 1, 0)], { x: { 0: JUNK, 1: 0x1000_0000n }, daif: 0 });
    expect(r.exit).toBe('mmio');
    r.core.mmioComplete(0n, true);
    const exit = r.core.run(1);
    expect(exit).toBe('budget');
    expectTaken(snapshot(r.core, exit), { el: 1, ec: 0x25, elr: CODE, spsr: 0x5n, vector: VBAR1 + 0x200n });
    const iss = esrISS(r.core.sysreg(SR.ESR_EL1));
    expect('0x' + (iss & 0x3f).toString(16), 'DFSC').toBe('0x10');
    expect((iss >> 6) & 1, 'WnR').toBe(0);
    expect(r.core.getX(0), 'destination not written').toBe(JUNK);
  });
  it('store to an unassigned address completed with a bus error → Data Abort with WnR = 1', () => {
    const r = run([E.ldstUimm(3, 0, 0, 1, 0)], { x: { 0: JUNK, 1: 0x1000_0000n } });
    expect(r.exit).toBe('mmio');
    r.core.mmioComplete(0n, true);
    r.core.run(1);
    expect(hex(r.core.pc)).toBe(hex(VBAR1 + 0x200n));
    const esr = r.core.sysreg(SR.ESR_EL1);
    expect(esrEC(esr)).toBe(0x25);
    expect(esrISS(esr) & 0x3f).toBe(0x10);
    expect((esrISS(esr) >> 6) & 1).toBe(1);
  });
  it('RAM accesses next to a device access are unaffected (sanity)', () => {
    expectRun([E.ldstUimm(3, 1, 0, 1, 0)], { x: { 1: DATA }, mem: [[DATA, le64(5n)]] }, { x: { 0: 5n } });
  });
});
