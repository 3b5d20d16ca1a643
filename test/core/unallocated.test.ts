// Reserved and unallocated encodings next to implemented ones (Arm ARM C4 encoding tables):
// each must be UNDEFINED (EC 0, ELR = the word), leaving registers, memory and flags untouched.
import { describe, expect, it } from 'vitest';
import { CODE, DATA, SR, VBAR1, esrEC, esrISS, hex, le64, run } from './harness';

const JUNK = 0xdead_beef_cafe_f00dn;

function expectUndefined(word: number, x: Record<number, bigint> = {}): void {
  const r = run([word], { x: { 0: JUNK, 1: DATA, 2: 3n, ...x }, nzcv: 0b1010, mem: [[DATA, le64(0x1111n, 0x2222n)]] });
  expect(hex(r.pc), 'PC = EL1 current-EL SPx vector').toBe(hex(VBAR1 + 0x200n));
  const esr = r.sys(SR.ESR_EL1);
  expect(esrEC(esr), 'EC = 0 (UNDEFINED)').toBe(0);
  expect(esrISS(esr), 'ISS').toBe(0);
  expect(hex(r.sys(SR.ELR_EL1)), 'ELR').toBe(hex(CODE));
  expect(hex(r.x[0]), 'X0 untouched').toBe(hex(JUNK));
  expect(r.nzcv, 'NZCV untouched').toBe(0b1010);
  expect(r.u64(DATA), 'memory untouched').toBe(0x1111n);
}

const CASES: [string, number][] = [
  ['ADD (shifted register) with shift = 0b11 (ROR is reserved)', 0x8bc2_0020],
  ['ADD (shifted register), 32-bit with imm6 = 32', 0x0b02_8020],
  ['ADD (extended register) with imm3 = 5', 0x8b22_1420],
  ['ADD (extended register) with opt = 01', 0x8b62_0020],
  ['SUBS (shifted register) with shift = 0b11', 0xebc2_0020],
  ['logical (shifted register), 32-bit with imm6 = 32 (ORR w0, w1, w2, lsl #32)', 0x2a02_8020],
  ['SBFM with sf = 1, N = 0', 0x9300_1c20],
  ['UBFM 32-bit with immr = 32', 0x5320_0020],
  ['UBFM 32-bit with imms = 32', 0x5300_8020],
  ['BFM 32-bit with N = 1', 0x3340_0020],
  ['EXTR 32-bit with imms = 32', 0x1382_8020],
  ['EXTR with sf = 1, N = 0', 0x9382_0020],
  ['MOVZ 32-bit with hw = 2', 0x52c0_0000],
  ['MOVN 32-bit with hw = 3', 0x12e0_0000],
  ['move wide with opc = 01', 0x3280_0000],
  ['logical (immediate) 32-bit with N = 1', 0x1240_0020],
  ['logical (immediate) with imms = all ones in a 64-bit element (AND x0, x1, #reserved)', 0x9240_fc20],
  ['CRC32X with sf = 0', 0x1ac2_4c20],
  ['CRC32B with sf = 1', 0x9ac2_4020],
  ['REV (opcode 3) with sf = 0', 0x5ac0_0c20],
  ['CTZ (data-processing 1 source opcode 6), FEAT_CSSC not implemented', 0xdac0_1820],
  ['data-processing (2 source) opcode 1', 0x9ac2_0420],
  ['data-processing (2 source) opcode 7', 0x9ac2_1c20],
  ['data-processing (3 source) op31 = 011', 0x9b62_0c20],
  ['SMADDL with sf = 0', 0x1b22_0c20],
  ['CCMP (register) with o3 = 1', 0xfa42_0030],
  ['CCMP (register) with o2 = 1', 0xfa42_0420],
  ['CSEL with S = 1', 0xba82_0020],
  ['CSEL with op2 = 1x', 0x9a82_0820],
  ['ADC with S-field junk in bits 15:10', 0x9a02_0420],
  ['LDR (register) with option = UXTB (option<1> = 0)', 0xf862_0820],
  ['LDR (register) with option = SXTH (option<1> = 0)', 0xf862_a820],
  ['LDRSW-style opc = 11 with size = 10 (unsigned offset)', 0xb9c0_0020],
  ['LDRSW-style opc = 11 with size = 11 (unsigned offset)', 0xf9c0_0020],
  ['load/store pair with opc = 11', 0xe940_0820],
  ['STGP (opc = 01, L = 0) without FEAT_MTE', 0x6900_0820],
  ['LDNP with opc = 01 (no LDNPSW)', 0x6840_0820],
  ['unconditional branch (register) with op2 != 11111', 0xd610_0020],
  ['RETAA (FEAT_PAuth not implemented)', 0xd65f_0bff],
  ['DCPS1 outside Debug state', 0xd4a0_0001],
  ['TCANCEL (FEAT_TME not implemented)', 0xd460_0000],
  ['MSR ALLINT, #0 (FEAT_NMI not implemented)', 0xd501_401f],
  ['CFINV (FEAT_FlagM not implemented)', 0xd500_401f],
  ['system instruction with op0 = 0, CRn = 5', 0xd503_501f],
];

describe('reserved and unallocated encodings are UNDEFINED', () => {
  for (const [name, word] of CASES) {
    it(`${hex(word >>> 0)}: ${name}`, () => { expectUndefined(word >>> 0); });
  }
  it('BC.cond (bit 4 = 1) is UNDEFINED when ID_AA64ISAR2_EL1.BC = 0 (FEAT_HBC not implemented)', () => {
    const isar2 = run([0xd538_0640]).x[0]; // mrs x0, id_aa64isar2_el1
    if (((isar2 >> 52n) & 0xfn) !== 0n) return; // FEAT_HBC implemented: BC.cond is allocated
    expectUndefined(0x5400_0050); // bc.eq .+8
  });
});
