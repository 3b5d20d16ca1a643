// SIMD&FP access traps (Arm ARM AArch64.CheckFPAdvSIMDEnabled, AArch64.AdvSIMDFPAccessTrap):
// CPACR_EL1.FPEN traps EL0/EL1 to EL1 with EC 0x07 (ISS CV = 1, COND = 0b1110); with HCR_EL2.TGE = 1
// the EL0 trap goes to EL2 as EC 0 (uncategorized); CPTR_EL2.TFP traps EL0-EL2 to EL2 with EC 0x07.
// FPCR/FPSR accesses are checked the same way and only their architected bits are writable.
import { describe, expect, it } from 'vitest';
import * as F from '../gen/fpsimd/fpenc';
import { CODE, SR, VBAR1, VBAR2, esrEC, esrISS, hex } from './harness';
import { runFp } from './fp-harness';

const FADD = F.fpDp2(1, 2, 0, 1, 2);
const MRS_FPCR = 0xd53b4400; // mrs x0, fpcr
const MSR_FPCR = 0xd51b4401; // msr fpcr, x1
const MRS_FPSR = 0xd53b4422; // mrs x2, fpsr
const MSR_FPSR = 0xd51b4423; // msr fpsr, x3
const HCR_RW = 1n << 31n, HCR_TGE = 1n << 27n;
const ISS = 0x1e00000;

describe('SIMD&FP access checks', () => {
  it('CPACR_EL1.FPEN = 01: EL1 runs FP, EL0 traps to EL1 with EC 0x07', () => {
    let r = runFp([FADD], { cpacr: 1n << 20n, v: { 1: 1n, 2: 2n } });
    expect(hex(r.pc)).toBe(hex(CODE + 4n));
    r = runFp([FADD], { el: 0, cpacr: 1n << 20n });
    expect(r.el).toBe(1);
    expect(hex(r.pc)).toBe(hex(VBAR1 + 0x400n));
    expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0x07);
    expect(esrISS(r.sys(SR.ESR_EL1))).toBe(ISS);
    expect(hex(r.sys(SR.ELR_EL1))).toBe(hex(CODE));
  });
  it('CPACR_EL1.FPEN = 10 traps EL1 (FPEN<0> = 0 means disabled)', () => {
    const r = runFp([FADD], { cpacr: 2n << 20n });
    expect([r.el, esrEC(r.sys(SR.ESR_EL1))]).toEqual([1, 0x07]);
    expect(hex(r.pc)).toBe(hex(VBAR1 + 0x200n));
  });
  it('FPEN = 11 at EL0 runs FP', () => {
    const r = runFp([FADD], { el: 0 });
    expect(hex(r.pc)).toBe(hex(CODE + 4n));
    expect(r.el).toBe(0);
  });
  it('HCR_EL2.TGE = 1: the EL0 CPACR trap is taken to EL2 as EC 0 (uncategorized)', () => {
    const r = runFp([FADD], { el: 0, cpacr: 0n, config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, HCR_RW | HCR_TGE]] });
    expect(r.el).toBe(2);
    expect(hex(r.pc)).toBe(hex(VBAR2 + 0x400n));
    expect(hex(r.sys(SR.ESR_EL2))).toBe(hex(0x02000000n));
  });
  it('CPTR_EL2.TFP traps EL1 and EL2 to EL2 with EC 0x07 (CPACR_EL1 checked first)', () => {
    let r = runFp([FADD], { config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, HCR_RW], [SR.CPTR_EL2, 1n << 10n]] });
    expect(r.el).toBe(2);
    expect(hex(r.pc)).toBe(hex(VBAR2 + 0x400n));
    expect(esrEC(r.sys(SR.ESR_EL2))).toBe(0x07);
    expect(esrISS(r.sys(SR.ESR_EL2))).toBe(ISS);
    r = runFp([FADD], { el: 2, config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, HCR_RW], [SR.CPTR_EL2, 1n << 10n]] });
    expect([r.el, esrEC(r.sys(SR.ESR_EL2))]).toEqual([2, 0x07]);
    expect(hex(r.pc)).toBe(hex(VBAR2 + 0x200n));
    r = runFp([FADD], { cpacr: 0n, config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, HCR_RW], [SR.CPTR_EL2, 1n << 10n]] });
    expect([r.el, esrEC(r.sys(SR.ESR_EL1))]).toEqual([1, 0x07]);
  });
  it('MRS/MSR FPCR and FPSR are trapped like FP instructions', () => {
    for (const w of [MRS_FPCR, MSR_FPCR, MRS_FPSR, MSR_FPSR]) {
      const r = runFp([w], { cpacr: 0n, x: { 0: 5n, 2: 5n } });
      expect(esrEC(r.sys(SR.ESR_EL1)), hex(w)).toBe(0x07);
      expect(r.x[0]).toBe(5n);
    }
  });
  // Differs from QEMU 7.2 -cpu max, which implements AArch32 and so keeps FPCR.Len/Stride
  // (reads 0x07ff0000 after writing ones) and FPSR.NZCV (0xf800009f): without AArch32 at any EL those
  // fields are RES0 (Arm ARM FPCR.Len/Stride, FPSR.N/Z/C/V). The random harness never writes them.
  it('FPCR keeps only AHP, DN, FZ, RMode, FZ16 (trap enables RAZ/WI, Len/Stride RES0 without AArch32); FPSR only QC and the cumulative flags', () => {
    const r = runFp([MSR_FPCR, MRS_FPCR, MSR_FPSR, MRS_FPSR], { x: { 1: -1n, 3: -1n } });
    expect(hex(r.x[0])).toBe('0x7c80000');
    expect(hex(r.x[2])).toBe('0x800009f');
  });
});
