// Branches (Arm ARM C6.2: B, BL, BR, BLR, RET, B.cond, CBZ/CBNZ, TBZ/TBNZ). Offsets are relative to
// the branch instruction; BL/BLR write the address of the next instruction to X30.
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { CODE, expectRun, run1 } from './harness';

const ONES = 0xffff_ffff_ffff_ffffn;

/** ConditionHolds() (Arm ARM J1 shared/functions/system/ConditionHolds). */
function conditionHolds(cond: number, nzcv: number): boolean {
  const n = (nzcv >> 3) & 1, z = (nzcv >> 2) & 1, c = (nzcv >> 1) & 1, v = nzcv & 1;
  let r: boolean;
  switch (cond >> 1) {
    case 0: r = z === 1; break; // EQ/NE
    case 1: r = c === 1; break; // CS/CC
    case 2: r = n === 1; break; // MI/PL
    case 3: r = v === 1; break; // VS/VC
    case 4: r = c === 1 && z === 0; break; // HI/LS
    case 5: r = n === v; break; // GE/LT
    case 6: r = n === v && z === 0; break; // GT/LE
    default: r = true; // AL/NV
  }
  if ((cond & 1) === 1 && cond !== 15) r = !r;
  return r;
}
const COND_NAMES = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];

describe('ConditionHolds reference (sanity of the test itself)', () => {
  it('agrees with the Arm ARM condition table on hand-picked cases', () => {
    expect(conditionHolds(0, 0b0100)).toBe(true); // EQ, Z
    expect(conditionHolds(8, 0b0010)).toBe(true); // HI, C && !Z
    expect(conditionHolds(8, 0b0110)).toBe(false); // HI with Z
    expect(conditionHolds(10, 0b1001)).toBe(true); // GE, N == V
    expect(conditionHolds(11, 0b1000)).toBe(true); // LT, N != V
    expect(conditionHolds(12, 0b0000)).toBe(true); // GT
    expect(conditionHolds(13, 0b0100)).toBe(true); // LE with Z
    expect(conditionHolds(15, 0b0000)).toBe(true); // NV behaves as AL
  });
});

describe('B / BL', () => {
  it('b .+8', () => { expectRun([E.b(2)], {}, { pc: CODE + 8n }); });
  it('b .-4 (backwards)', () => { expectRun([E.b(-1)], { at: CODE + 0x100n }, { pc: CODE + 0xfcn }); });
  it('b . (offset 0) loops on itself (interrupts unmasked: a masked one is stuck, test/cli/stuck.test.ts)', () => { expectRun([E.b(0)], { steps: 3, daif: 0 }, { pc: CODE }); });
  it('b max forward (+128 MiB - 4)', () => { expectRun([E.b(0x1ff_ffff)], {}, { pc: CODE + 0x7ff_fffcn }); });
  it('b max backward (-128 MiB)', () => { expectRun([E.b(-0x200_0000)], {}, { pc: CODE - 0x800_0000n }); });
  it('b keeps NZCV and registers', () => {
    expectRun([E.b(4)], { nzcv: 0b1111, x: { 30: 0x1234n } }, { pc: CODE + 16n });
  });
  it('bl .+0x40 writes X30 = next insn', () => {
    expectRun([E.bl(0x10)], { x: { 30: ONES } }, { pc: CODE + 0x40n, x: { 30: CODE + 4n } });
  });
  it('bl backwards', () => {
    expectRun([E.bl(-0x10)], { at: CODE + 0x100n }, { pc: CODE + 0xc0n, x: { 30: CODE + 0x104n } });
  });
  it('bl then the callee runs: two steps', () => {
    // 0: bl .+8 ; 4: nop ; 8: movz x0, #7
    expectRun([E.bl(2), E.NOP, E.movz(0, 7)], { steps: 2 }, { pc: CODE + 12n, x: { 30: CODE + 4n, 0: 7n } });
  });
});

describe('BR / BLR / RET', () => {
  it('br x1', () => {
    expectRun([E.br(1)], { x: { 1: CODE + 0x200n, 30: 0x55n } }, { pc: CODE + 0x200n });
  });
  it('blr x1 writes X30', () => {
    expectRun([E.blr(1)], { x: { 1: CODE + 0x200n } }, { pc: CODE + 0x200n, x: { 30: CODE + 4n } });
  });
  it('blr x30 branches to the OLD X30 and then writes the link', () => {
    expectRun([E.blr(30)], { x: { 30: CODE + 0x40n } }, { pc: CODE + 0x40n, x: { 30: CODE + 4n } });
  });
  it('ret (X30)', () => {
    expectRun([E.ret()], { x: { 30: CODE + 0x80n } }, { pc: CODE + 0x80n });
  });
  it('ret x5', () => {
    expectRun([E.ret(5)], { x: { 5: CODE + 0x84n, 30: CODE + 0x10n } }, { pc: CODE + 0x84n });
  });
  it('br to a target on another page, then executes there', () => {
    const r = run1(E.br(1), { x: { 1: CODE + 0x3000n } });
    expect(r.pc).toBe(CODE + 0x3000n);
  });
  it('blr; ret round trip (3 steps)', () => {
    // 0: blr x1 ; 4: movz x2, #1 ; ... 0x40: ret
    const words = new Array(0x44 / 4).fill(E.NOP);
    words[0] = E.blr(1);
    words[1] = E.movz(2, 1);
    words[0x40 / 4] = E.ret();
    expectRun(words, { x: { 1: CODE + 0x40n }, steps: 3 }, { pc: CODE + 8n, x: { 30: CODE + 4n, 2: 1n } });
  });
});

describe('B.cond: all 16 conditions x all 16 NZCV values', () => {
  for (let cond = 0; cond < 16; cond++) {
    it(`b.${COND_NAMES[cond]}`, () => {
      for (let f = 0; f < 16; f++) {
        const r = run1(E.bcond(cond, 8), { nzcv: f });
        const want = conditionHolds(cond, f) ? CODE + 32n : CODE + 4n;
        expect(r.pc, `b.${COND_NAMES[cond]} with NZCV=${f.toString(2).padStart(4, '0')}`).toBe(want);
        expect(r.nzcv).toBe(f);
      }
    });
  }
  it('b.eq backwards taken', () => { expectRun([E.bcond(0, -2)], { at: CODE + 0x100n, nzcv: 0b0100 }, { pc: CODE + 0xf8n }); });
  it('b.ne max forward (+1 MiB - 4)', () => { expectRun([E.bcond(1, 0x3ffff)], {}, { pc: CODE + 0xf_fffcn }); });
  it('b.al max backward (-1 MiB)', () => { expectRun([E.bcond(14, -0x40000)], {}, { pc: CODE - 0x10_0000n }); });
});

describe('CBZ / CBNZ', () => {
  const T = CODE + 0x20n, F = CODE + 4n;
  it('cbz x1, zero: taken', () => { expectRun([E.cbz(1, 1, 8)], { x: { 1: 0n } }, { pc: T }); });
  it('cbz x1, 1<<32: not taken', () => { expectRun([E.cbz(1, 1, 8)], { x: { 1: 0x1_0000_0000n } }, { pc: F }); });
  it('cbz w1 sees only the low word: 1<<32 is zero', () => { expectRun([E.cbz(0, 1, 8)], { x: { 1: 0x1_0000_0000n } }, { pc: T }); });
  it('cbz w1, 0x80000000: not taken', () => { expectRun([E.cbz(0, 1, 8)], { x: { 1: 0x8000_0000n } }, { pc: F }); });
  it('cbnz x1, 1<<32: taken', () => { expectRun([E.cbz(1, 1, 8, 1)], { x: { 1: 0x1_0000_0000n } }, { pc: T }); });
  it('cbnz w1, 1<<32: not taken (low word zero)', () => { expectRun([E.cbz(0, 1, 8, 1)], { x: { 1: 0x1_0000_0000n } }, { pc: F }); });
  it('cbnz w1, 0x80000000: taken', () => { expectRun([E.cbz(0, 1, 8, 1)], { x: { 1: 0x8000_0000n } }, { pc: T }); });
  it('cbnz x1, zero: not taken', () => { expectRun([E.cbz(1, 1, 8, 1)], { x: { 1: 0n } }, { pc: F }); });
  it('cbz xzr: always taken', () => { expectRun([E.cbz(1, 31, 8)], { sp: 0x4000_0000n }, { pc: T }); });
  it('cbnz xzr: never taken (SP is not read)', () => { expectRun([E.cbz(1, 31, 8, 1)], { sp: 0x4000_0000n }, { pc: F }); });
  it('cbz backwards', () => { expectRun([E.cbz(1, 3, -4)], { at: CODE + 0x100n, x: { 3: 0n } }, { pc: CODE + 0xf0n }); });
  it('cbnz max backward', () => { expectRun([E.cbz(1, 3, -0x40000, 1)], { x: { 3: 1n } }, { pc: CODE - 0x10_0000n }); });
  it('cbz keeps NZCV', () => { expectRun([E.cbz(1, 1, 8)], { x: { 1: 0n }, nzcv: 0b0101 }, { pc: T }); });
});

describe('TBZ / TBNZ', () => {
  const T = CODE + 0x20n, F = CODE + 4n;
  it('tbz x1, #63: bit set, not taken', () => { expectRun([E.tbz(1, 63, 8)], { x: { 1: 0x8000_0000_0000_0000n } }, { pc: F }); });
  it('tbz x1, #63: bit clear, taken', () => { expectRun([E.tbz(1, 63, 8)], { x: { 1: 0x7fff_ffff_ffff_ffffn } }, { pc: T }); });
  it('tbnz x1, #63: bit set, taken', () => { expectRun([E.tbz(1, 63, 8, 1)], { x: { 1: 0x8000_0000_0000_0000n } }, { pc: T }); });
  it('tbnz x1, #63: bit clear, not taken', () => { expectRun([E.tbz(1, 63, 8, 1)], { x: { 1: 0x7fff_ffff_ffff_ffffn } }, { pc: F }); });
  it('tbz x1, #0: bit set, not taken', () => { expectRun([E.tbz(1, 0, 8)], { x: { 1: 1n } }, { pc: F }); });
  it('tbz x1, #0: bit clear, taken', () => { expectRun([E.tbz(1, 0, 8)], { x: { 1: 0xffff_ffff_ffff_fffen } }, { pc: T }); });
  it('tbnz x1, #0: bit set, taken', () => { expectRun([E.tbz(1, 0, 8, 1)], { x: { 1: 1n } }, { pc: T }); });
  it('tbnz x1, #0: bit clear, not taken', () => { expectRun([E.tbz(1, 0, 8, 1)], { x: { 1: 0xffff_ffff_ffff_fffen } }, { pc: F }); });
  it('tbnz x1, #32 (b5=1)', () => { expectRun([E.tbz(1, 32, 8, 1)], { x: { 1: 0x1_0000_0000n } }, { pc: T }); });
  it('tbnz w1, #31 (b5=0)', () => { expectRun([E.tbz(1, 31, 8, 1)], { x: { 1: 0x8000_0000n } }, { pc: T }); });
  it('tbz x1, #31 ignores bit 63', () => { expectRun([E.tbz(1, 31, 8)], { x: { 1: 0x8000_0000_0000_0000n } }, { pc: T }); });
  it('tbz backwards', () => { expectRun([E.tbz(1, 5, -8)], { at: CODE + 0x100n, x: { 1: 0n } }, { pc: CODE + 0xe0n }); });
  it('tbz max forward (+32 KiB - 4)', () => { expectRun([E.tbz(1, 5, 0x1fff)], { x: { 1: 0n } }, { pc: CODE + 0x7ffcn }); });
  it('tbnz max backward (-32 KiB)', () => { expectRun([E.tbz(1, 5, -0x2000, 1)], { x: { 1: 0x20n } }, { pc: CODE - 0x8000n }); });
});
