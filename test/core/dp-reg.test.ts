// Data processing — register (Arm ARM C4.1.95 / C6.2): shifted and extended ADD/SUB[S], logical
// (shifted register), ADC/SBC[S], CCMP/CCMN, conditional select, one-source (RBIT/REV/CLZ/CLS),
// two-source (UDIV/SDIV, variable shifts, CRC32), three-source (MADD..UMULH).
// Expected values come from the pseudocode in ./ref.ts or are worked out by hand.
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { STACK, expectRun, flags, runTable, type Case, type Expect, type Setup } from './harness';
import {
  addWithCarry, bitReverse, conditionHolds, countLeadingSignBits, countLeadingZeroBits, crc32, extendReg,
  reverseBytes, shiftReg, sint, trunc,
} from './ref';

const I = {
  'add sp, sp, x1': 0x8b2163ff,
  'add x0, sp, w1, sxtw': 0x8b21c3e0,
  'add x0, sp, w1, uxtw #2': 0x8b214be0,
  'sub sp, sp, x1, lsl #4': 0xcb2173ff,
  'cmp sp, x1': 0xeb2163ff,
  'cmn sp, x1': 0xab2163ff,
  'adds x0, sp, x1': 0xab2163e0,
  'subs x0, sp, w1, uxtb': 0xeb2103e0,
  'add w0, wsp, w1, uxtb': 0x0b2103e0,
  'add wsp, w1, w2, uxth #1': 0x0b22243f,
  'add sp, x1, x2': 0x8b22603f,
  'add x0, x1, x2, sxtx #4': 0x8b22f020,
  'neg x0, x1': 0xcb0103e0,
  'negs x0, x1': 0xeb0103e0,
  'negs w0, w1': 0x6b0103e0,
  'neg w0, w1, lsl #1': 0x4b0107e0,
  'cmp x1, x2, lsl #1': 0xeb02043f,
  'cmp w1, w2, asr #31': 0x6b827c3f,
  'cmn x1, x2': 0xab02003f,
  'tst x1, x2': 0xea02003f,
  'tst w1, w2, ror #1': 0x6ac2043f,
  'mvn x0, x1': 0xaa2103e0,
  'mvn w0, w1': 0x2a2103e0,
  'mov w0, w1': 0x2a0103e0,
  'mov x0, x1': 0xaa0103e0,
  'mov x0, xzr': 0xaa1f03e0,
  'ngc x0, x1': 0xda0103e0,
  'ngcs x0, x1': 0xfa0103e0,
  'ngcs w0, w1': 0x7a0103e0,
  'cset x0, eq': 0x9a9f17e0,
  'cset w0, hs': 0x1a9f37e0,
  'csetm x0, ne': 0xda9f03e0,
  'csetm w0, lt': 0x5a9fa3e0,
  'cinc x0, x1, eq': 0x9a811420,
  'cinc w0, w1, mi': 0x1a815420,
  'cinv x0, x1, gt': 0xda81d020,
  'cneg x0, x1, mi': 0xda815420,
  'cneg w0, w1, mi': 0x5a815420,
  'mul x0, x1, x2': 0x9b027c20,
  'mul w0, w1, w2': 0x1b027c20,
  'mneg x0, x1, x2': 0x9b02fc20,
  'smull x0, w1, w2': 0x9b227c20,
  'umull x0, w1, w2': 0x9ba27c20,
  'smnegl x0, w1, w2': 0x9b22fc20,
  'umnegl x0, w1, w2': 0x9ba2fc20,
  'crc32b w0, w1, w2': 0x1ac24020,
  'crc32h w0, w1, w2': 0x1ac24420,
  'crc32w w0, w1, w2': 0x1ac24820,
  'crc32x w0, w1, x2': 0x9ac24c20,
  'crc32cb w0, w1, w2': 0x1ac25020,
  'crc32ch w0, w1, w2': 0x1ac25420,
  'crc32cw w0, w1, w2': 0x1ac25820,
  'crc32cx w0, w1, x2': 0x9ac25c20,
  'mvn w0, w0': 0x2a2003e0,
} as const;
type Asm = keyof typeof I;

const ONES = 0xffff_ffff_ffff_ffffn;
const IMIN = 0x8000_0000_0000_0000n;
const IMAX = 0x7fff_ffff_ffff_ffffn;
const JUNK = 0xdead_beef_cafe_f00dn;

/** Operand values: zero, one, all-ones, INT_MIN/MAX (64 and 32), carries across the halves. */
const VALS: bigint[] = [
  0n, 1n, ONES, IMAX, IMIN, 0x0123_4567_89ab_cdefn, 0xfedc_ba98_7654_3210n, 0x8000_0000n, 0x7fff_ffffn,
  0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_0000_0001n,
];

function t(asm: Asm, note: string, s: Setup, e: Expect): void {
  it(`${asm}  [${note}]`, () => { expectRun([I[asm]], { nzcv: 0b1010, ...s }, e); });
}

const pairs = (vals: bigint[]) => vals.flatMap((a) => vals.map((b) => [a, b] as const));

describe('ADD/SUB (shifted register)', () => {
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const [op, S] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      const name = `${['add', 'sub'][op]}${S ? 's' : ''} ${sf ? 'x' : 'w'}`;
      it(`${name}: LSL/LSR/ASR by 0, 1, ${n / 2 - 1}, ${n - 1} over value pairs`, () => {
        const cases: Case[] = [];
        for (const shift of [0, 1, 2]) {
          for (const amount of [0, 1, n / 2 - 1, n - 1]) {
            for (const [a, b] of pairs(VALS)) {
              const m = shiftReg(b, shift, amount, n);
              const [res, nzcv] = op ? addWithCarry(a, ~m, 1, n) : addWithCarry(a, m, 0, n);
              cases.push({
                name: `${name}0, x1=${a.toString(16)}, x2=${b.toString(16)}, ${['lsl', 'lsr', 'asr'][shift]} #${amount}`,
                words: [E.addsubShift(sf, op, S, 0, 1, 2, shift, amount)],
                s: { x: { 0: JUNK, 1: a, 2: b }, nzcv: 0b0101 },
                e: { x: { 0: res }, nzcv: S ? nzcv : 0b0101 },
              });
            }
          }
        }
        runTable(cases);
      });
    }
  }
  it('add x0, xzr, x1: Rn=31 is XZR in the shifted form', () => {
    expectRun([E.addsubShift(1, 0, 0, 0, 31, 1, 0, 0)], { x: { 1: 5n }, sp: STACK }, { x: { 0: 5n } });
  });
  it('add xzr, x1, x2: Rd=31 is XZR in the shifted form (SP untouched)', () => {
    expectRun([E.addsubShift(1, 0, 0, 31, 1, 2, 0, 0)], { x: { 1: 5n, 2: 6n }, sp: STACK }, {});
  });
  t('neg x0, x1', 'INT64_MIN', { x: { 1: IMIN } }, { x: { 0: IMIN } });
  t('negs x0, x1', 'INT64_MIN overflows', { x: { 1: IMIN } }, { x: { 0: IMIN }, nzcv: flags('NzcV') });
  t('negs x0, x1', '0: C set (no borrow)', { x: { 1: 0n } }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  t('negs x0, x1', '1', { x: { 1: 1n } }, { x: { 0: ONES }, nzcv: flags('Nzcv') });
  t('negs w0, w1', '32-bit INT32_MIN', { x: { 1: 0xffff_ffff_8000_0000n } }, { x: { 0: 0x8000_0000n }, nzcv: flags('NzcV') });
  t('neg w0, w1, lsl #1', '32-bit shifted', { x: { 1: 0x8000_0001n } }, { x: { 0: 0xffff_fffen } });
  t('cmp x1, x2, lsl #1', 'equal after shift', { x: { 1: 6n, 2: 3n } }, { nzcv: flags('nZCv') });
  t('cmp w1, w2, asr #31', '32-bit: -1 after ASR', { x: { 1: 0n, 2: 0x8000_0000n } }, { nzcv: flags('nzcv') });
  t('cmn x1, x2', '-1 + 1', { x: { 1: ONES, 2: 1n } }, { nzcv: flags('nZCv') });
});

describe('ADD/SUB (extended register)', () => {
  const RM = [0xfedc_ba98_8765_4381n, 0x0123_4567_7654_8f80n, ONES, 0x7fn];
  const RN = [0x1000_0000_0000_0001n, ONES, 0n];
  const OPT = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'];
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const [op, S] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      const name = `${['add', 'sub'][op]}${S ? 's' : ''} ${sf ? 'x' : 'w'} (extended)`;
      it(`${name}: all 8 extend options x shift 0..4`, () => {
        const cases: Case[] = [];
        for (let option = 0; option < 8; option++) {
          for (let sh = 0; sh <= 4; sh++) {
            for (const a of RN) {
              for (const b of RM) {
                const m = extendReg(b, option, sh, n);
                const [res, nzcv] = op ? addWithCarry(a, ~m, 1, n) : addWithCarry(a, m, 0, n);
                cases.push({
                  name: `${name} x0, x1=${a.toString(16)}, x2=${b.toString(16)}, ${OPT[option]} #${sh}`,
                  words: [E.addsubExt(sf, op, S, 0, 1, 2, option, sh)],
                  s: { x: { 0: JUNK, 1: a, 2: b }, nzcv: 0b0101 },
                  e: { x: { 0: res }, nzcv: S ? nzcv : 0b0101 },
                });
              }
            }
          }
        }
        runTable(cases);
      });
    }
  }
  t('add sp, sp, x1', 'SP source and destination (UXTX)', { sp: STACK, x: { 1: 0x100n } }, { sp: STACK + 0x100n });
  t('add x0, sp, w1, sxtw', 'SP plus negative SXTW', { sp: STACK, x: { 1: 0xffff_ffff_ffff_fff0n } }, { x: { 0: STACK - 16n } });
  t('add x0, sp, w1, uxtw #2', 'SP plus UXTW #2 ignores bits 63:32', { sp: STACK, x: { 1: 0xffff_ffff_0000_0004n } }, { x: { 0: STACK + 16n } });
  t('sub sp, sp, x1, lsl #4', 'SP minus UXTX #4', { sp: STACK, x: { 1: 2n } }, { sp: STACK - 32n });
  t('cmp sp, x1', 'SP compare, Rd=31 is XZR', { sp: STACK, x: { 1: STACK } }, { nzcv: flags('nZCv') });
  t('cmn sp, x1', 'SP compare-negative', { sp: 1n, x: { 1: ONES } }, { nzcv: flags('nZCv') });
  t('adds x0, sp, x1', 'flags from SP + X1', { sp: IMAX, x: { 1: 1n } }, { x: { 0: IMIN }, nzcv: flags('NzcV') });
  t('subs x0, sp, w1, uxtb', 'SP - UXTB', { sp: 0x100n, x: { 1: 0x1ffn } }, { x: { 0: 1n }, nzcv: flags('nzCv') });
  t('add w0, wsp, w1, uxtb', '32-bit with WSP source', { sp: 0x1_0000_00f0n, x: { 1: 0x310n } }, { x: { 0: 0x100n } });
  t('add wsp, w1, w2, uxth #1', '32-bit result zero-extended into SP', { sp: 0n, x: { 1: 0xffff_ffff_4000_0000n, 2: 0x1_8000n } }, { sp: 0x4001_0000n });
  t('add sp, x1, x2', 'Rd=31 is SP in the extended form', { sp: 0n, x: { 1: 0x4000_0000n, 2: 0x10n } }, { sp: 0x4000_0010n });
  t('add x0, x1, x2, sxtx #4', 'SXTX #4', { x: { 1: 0x100n, 2: ONES } }, { x: { 0: 0xf0n } });
});

describe('logical (shifted register)', () => {
  // opc:N → operation
  const OPS: [string, number, number, (a: bigint, b: bigint, n: number) => bigint, boolean][] = [
    ['and', 0, 0, (a, b) => a & b, false],
    ['bic', 0, 1, (a, b, n) => a & trunc(~b, n), false],
    ['orr', 1, 0, (a, b) => a | b, false],
    ['orn', 1, 1, (a, b, n) => a | trunc(~b, n), false],
    ['eor', 2, 0, (a, b) => a ^ b, false],
    ['eon', 2, 1, (a, b, n) => a ^ trunc(~b, n), false],
    ['ands', 3, 0, (a, b) => a & b, true],
    ['bics', 3, 1, (a, b, n) => a & trunc(~b, n), true],
  ];
  const V = [0n, ONES, IMIN, 0x0123_4567_89ab_cdefn, 0x8000_0001n, 0xffff_ffff_0000_0000n];
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const [name, opc, inv, f, setsFlags] of OPS) {
      it(`${name} ${sf ? 'x' : 'w'}: LSL/LSR/ASR/ROR by 0, 1, 17, ${n - 1}`, () => {
        const cases: Case[] = [];
        for (let shift = 0; shift < 4; shift++) {
          for (const amount of [0, 1, 17, n - 1]) {
            for (const [a, b] of pairs(V)) {
              const res = trunc(f(trunc(a, n), shiftReg(b, shift, amount, n), n), n);
              const nz = (Number((res >> BigInt(n - 1)) & 1n) << 3) | (res === 0n ? 4 : 0);
              cases.push({
                name: `${name} ${a.toString(16)}, ${b.toString(16)} ${['lsl', 'lsr', 'asr', 'ror'][shift]} #${amount}`,
                words: [E.logShift(sf, opc, inv, 0, 1, 2, shift, amount)],
                s: { x: { 0: JUNK, 1: a, 2: b }, nzcv: 0b0011 },
                e: { x: { 0: res }, nzcv: setsFlags ? nz : 0b0011 },
              });
            }
          }
        }
        runTable(cases);
      });
    }
  }
  it('eor x0, x1, x2, ror #1 (literal)', () => {
    expectRun([E.logShift(1, 2, 0, 0, 1, 2, 3, 1)], { x: { 1: 0n, 2: 1n } }, { x: { 0: IMIN } });
  });
  it('orr w0, wzr, w2, ror #1 (32-bit rotate wraps at bit 31)', () => {
    expectRun([E.logShift(0, 1, 0, 0, 31, 2, 3, 1)], { x: { 2: 0xffff_ffff_0000_0001n } }, { x: { 0: 0x8000_0000n } });
  });
  it('ands clears C and V, sets N', () => {
    expectRun([E.logShift(1, 3, 0, 0, 1, 2, 0, 0)], { x: { 1: ONES, 2: IMIN }, nzcv: 0b0011 }, { x: { 0: IMIN }, nzcv: flags('Nzcv') });
  });
  it('bics: zero result sets Z only', () => {
    expectRun([E.logShift(1, 3, 1, 0, 1, 2, 0, 0)], { x: { 1: 0xf0n, 2: ONES }, nzcv: 0b1011 }, { x: { 0: 0n }, nzcv: flags('nZcv') });
  });
  t('tst x1, x2', 'TST register', { x: { 1: 1n, 2: 2n }, nzcv: 0b0011 }, { nzcv: flags('nZcv') });
  t('tst w1, w2, ror #1', 'TST 32-bit ROR', { x: { 1: 0x8000_0000n, 2: 1n } }, { nzcv: flags('Nzcv') });
  t('mvn x0, x1', 'MVN', { x: { 1: 0x0123_4567_89ab_cdefn } }, { x: { 0: 0xfedc_ba98_7654_3210n } });
  t('mvn w0, w1', 'MVN 32-bit zero-extends', { x: { 1: 0x0123_4567_89ab_cdefn } }, { x: { 0: 0x7654_3210n } });
  t('mov w0, w1', 'MOV 32-bit clears the upper half', { x: { 0: JUNK, 1: ONES } }, { x: { 0: 0xffff_ffffn } });
  t('mov x0, x1', 'MOV 64-bit', { x: { 1: JUNK } }, { x: { 0: JUNK } });
  t('mov x0, xzr', 'MOV from XZR (SP not read)', { x: { 0: JUNK }, sp: STACK }, { x: { 0: 0n } });
});

describe('ADC / SBC (with carry)', () => {
  const V = [0n, 1n, ONES, IMAX, IMIN, 0xffff_ffffn, 0x7fff_ffffn, 0x8000_0000n, 0x1_0000_0000n];
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const [op, S] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const name = `${['adc', 'sbc'][op]}${S ? 's' : ''} ${sf ? 'x' : 'w'}`;
      it(`${name}: carry in 0 and 1 over value pairs`, () => {
        const cases: Case[] = [];
        for (const cin of [0, 1]) {
          for (const [a, b] of pairs(V)) {
            const [res, nzcv] = addWithCarry(a, op ? ~b : b, cin, n);
            const pre = cin ? 0b1010 : 0b0101; // C = cin
            cases.push({
              name: `${name} ${a.toString(16)}, ${b.toString(16)}, C=${cin}`,
              words: [E.adcsbc(sf, op, S, 0, 1, 2)],
              s: { x: { 0: JUNK, 1: a, 2: b }, nzcv: pre },
              e: { x: { 0: res }, nzcv: S ? nzcv : pre },
            });
          }
        }
        runTable(cases);
      });
    }
  }
  it('adcs x0, x1, x2: ONES + 0 + C=1 → 0 with carry', () => {
    expectRun([E.adcsbc(1, 0, 1, 0, 1, 2)], { x: { 1: ONES, 2: 0n }, nzcv: flags('nzCv') }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  });
  it('sbcs x0, x1, x2: 0 - 0 - (1-C) with C=0 → -1, borrow', () => {
    expectRun([E.adcsbc(1, 1, 1, 0, 1, 2)], { x: { 1: 0n, 2: 0n }, nzcv: 0 }, { x: { 0: ONES }, nzcv: flags('Nzcv') });
  });
  it('sbcs w0, w1, w2: INT32_MIN - 0 - 1 overflows', () => {
    expectRun([E.adcsbc(0, 1, 1, 0, 1, 2)], { x: { 1: 0x8000_0000n, 2: 0n }, nzcv: 0 }, { x: { 0: 0x7fff_ffffn }, nzcv: flags('nzCV') });
  });
  t('ngc x0, x1', 'NGC with C=0: -x1 - 1', { x: { 1: 5n }, nzcv: 0 }, { x: { 0: trunc(-6n, 64) } });
  t('ngcs x0, x1', 'NGCS 0 with C=1', { x: { 1: 0n }, nzcv: flags('nzCv') }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  t('ngcs w0, w1', 'NGCS 32-bit INT32_MIN with C=1', { x: { 1: 0x8000_0000n }, nzcv: flags('nzCv') }, { x: { 0: 0x8000_0000n }, nzcv: flags('NzcV') });
  it('multi-word add: adds + adc propagates the carry', () => {
    // adds x0, x2, x4 ; adc x1, x3, x5  — (x3:x2) + (x5:x4)
    expectRun([E.addsubShift(1, 0, 1, 0, 2, 4, 0, 0), E.adcsbc(1, 0, 0, 1, 3, 5)],
      { x: { 2: ONES, 3: 1n, 4: 1n, 5: 2n } }, { x: { 0: 0n, 1: 4n }, nzcv: flags('nZCv') });
  });
});

describe('CCMP / CCMN', () => {
  const CONDS = [0, 1, 2, 8, 10, 11, 12, 13, 14, 15];
  const PRE = [0b0000, 0b0100, 0b1001, 0b0110, 0b1000];
  const V = [[5n, 5n], [3n, 5n], [IMIN, 1n], [ONES, 1n], [0x1_0000_0000n, 0n]] as const;
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const op of [1, 0]) {
      for (const imm of [false, true]) {
        const name = `${op ? 'ccmp' : 'ccmn'} ${sf ? 'x' : 'w'} ${imm ? 'imm' : 'reg'}`;
        it(`${name}: condition true → compare, false → #nzcv`, () => {
          const cases: Case[] = [];
          for (const cond of CONDS) {
            for (const pre of PRE) {
              for (const [a, b0] of V) {
                const b = imm ? b0 & 31n : b0;
                const nzcvImm = 0b1011 ^ cond; // varies with the case
                const holds = conditionHolds(cond, pre);
                const [, f] = op ? addWithCarry(a, ~b, 1, n) : addWithCarry(a, b, 0, n);
                cases.push({
                  name: `${name} ${a.toString(16)}, ${b.toString(16)}, #${nzcvImm}, cond ${cond}, NZCV ${pre}`,
                  words: [imm ? E.ccmpImm(sf, op, 1, Number(b), nzcvImm & 15, cond) : E.ccmpReg(sf, op, 1, 2, nzcvImm & 15, cond)],
                  s: { x: { 1: a, 2: b }, nzcv: pre },
                  e: { nzcv: holds ? f : nzcvImm & 15 },
                });
              }
            }
          }
          runTable(cases);
        });
      }
    }
  }
  it('ccmp x1, #31, #0, eq with Z: 31 - 31 → nZCv', () => {
    expectRun([E.ccmpImm(1, 1, 1, 31, 0, 0)], { x: { 1: 31n }, nzcv: flags('nZcv') }, { nzcv: flags('nZCv') });
  });
  it('ccmp x1, x2, #0b1111, ne with Z: false → NZCV = 1111', () => {
    expectRun([E.ccmpReg(1, 1, 1, 2, 15, 1)], { x: { 1: 1n, 2: 2n }, nzcv: flags('nZcv') }, { nzcv: 0b1111 });
  });
});

describe('conditional select', () => {
  const FN: [string, number, number, (m: bigint, n: number) => bigint][] = [
    ['csel', 0, 0, (m) => m],
    ['csinc', 0, 1, (m, n) => trunc(m + 1n, n)],
    ['csinv', 1, 0, (m, n) => trunc(~m, n)],
    ['csneg', 1, 1, (m, n) => trunc(-m, n)],
  ];
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const [name, op, op2, f] of FN) {
      it(`${name} ${sf ? 'x' : 'w'}: all 16 conditions, several NZCV, edge values`, () => {
        const cases: Case[] = [];
        for (let cond = 0; cond < 16; cond++) {
          for (const pre of [0b0000, 0b0100, 0b1000, 0b0010, 0b1001, 0b0110]) {
            for (const [a, b] of [[0x1111_2222_3333_4444n, ONES], [JUNK, IMIN], [0x1_0000_0000n, 0xffff_ffffn], [7n, 0x8000_0000n]] as const) {
              const res = conditionHolds(cond, pre) ? trunc(a, n) : f(trunc(b, n), n);
              cases.push({
                name: `${name} cond ${cond} NZCV ${pre} ${a.toString(16)} ${b.toString(16)}`,
                words: [E.csel(sf, op, op2, 0, 1, 2, cond)],
                s: { x: { 0: JUNK, 1: a, 2: b }, nzcv: pre },
                e: { x: { 0: res } },
              });
            }
          }
        }
        runTable(cases);
      });
    }
  }
  t('cset x0, eq', 'Z=1 → 1', { x: { 0: JUNK }, nzcv: flags('nZcv') }, { x: { 0: 1n } });
  t('cset x0, eq', 'Z=0 → 0', { x: { 0: JUNK }, nzcv: flags('NzCV') }, { x: { 0: 0n } });
  t('cset w0, hs', '32-bit, C=1', { x: { 0: JUNK }, nzcv: flags('nzCv') }, { x: { 0: 1n } });
  t('csetm x0, ne', 'Z=0 → all ones', { nzcv: flags('nzcv') }, { x: { 0: ONES } });
  t('csetm w0, lt', '32-bit N!=V → 0xffffffff', { x: { 0: JUNK }, nzcv: flags('Nzcv') }, { x: { 0: 0xffff_ffffn } });
  t('cinc x0, x1, eq', 'true → x1 + 1 (wraps)', { x: { 1: ONES }, nzcv: flags('nZcv') }, { x: { 0: 0n } });
  t('cinc x0, x1, eq', 'false → x1', { x: { 1: 5n }, nzcv: flags('nzcv') }, { x: { 0: 5n } });
  t('cinc w0, w1, mi', '32-bit wraps', { x: { 1: 0xffff_ffffn }, nzcv: flags('Nzcv') }, { x: { 0: 0n } });
  t('cinv x0, x1, gt', 'GT true → ~x1', { x: { 1: 0n }, nzcv: flags('nzcv') }, { x: { 0: ONES } });
  t('cneg x0, x1, mi', 'N → -x1', { x: { 1: 1n }, nzcv: flags('Nzcv') }, { x: { 0: ONES } });
  t('cneg x0, x1, mi', 'INT64_MIN negates to itself', { x: { 1: IMIN }, nzcv: flags('Nzcv') }, { x: { 0: IMIN } });
  t('cneg w0, w1, mi', '32-bit', { x: { 1: 1n }, nzcv: flags('Nzcv') }, { x: { 0: 0xffff_ffffn } });
  it('csel x0, xzr, x2, al reads XZR, not SP', () => {
    expectRun([E.csel(1, 0, 0, 0, 31, 2, 14)], { x: { 0: JUNK, 2: 9n }, sp: STACK }, { x: { 0: 0n } });
  });
});

describe('one source: RBIT, REV16, REV32, REV, CLZ, CLS', () => {
  const V = [0n, ONES, 1n, IMIN, 0x0123_4567_89ab_cdefn, 0x00ff_00ff_00ff_00ffn, 0x4000_0000_0000_0000n,
    0xc000_0000_0000_0000n, 0xffff_ffff_0000_0000n, 0x0000_0000_ffff_ffffn, 0x8000_0000n, 0x7fff_ffffn, 0x1_4000_0000n];
  const OPS: [string, number, number, (v: bigint, n: number) => bigint][] = [
    ['rbit', 0, -1, (v, n) => bitReverse(trunc(v, n), n)],
    ['rev16', 1, -1, (v, n) => reverseBytes(trunc(v, n), 16, n)],
    ['rev32 (64) / rev (32)', 2, -1, (v, n) => reverseBytes(trunc(v, n), 32, n)],
    ['rev (64)', 3, 1, (v, n) => reverseBytes(trunc(v, n), 64, n)],
    ['clz', 4, -1, (v, n) => BigInt(countLeadingZeroBits(trunc(v, n), n))],
    ['cls', 5, -1, (v, n) => BigInt(countLeadingSignBits(v, n))],
  ];
  for (const sf of [1, 0]) {
    for (const [name, opcode, only, f] of OPS) {
      if (only >= 0 && only !== sf) continue;
      it(`${name} ${sf ? 'x' : 'w'}`, () => {
        runTable(V.map((v) => ({
          name: `${name} ${v.toString(16)}`,
          words: [E.dp1(sf, opcode, 0, 1)],
          s: { x: { 0: JUNK, 1: v }, nzcv: 0b1010 },
          e: { x: { 0: f(v, sf ? 64 : 32) } },
        })));
      });
    }
  }
  const lit = (name: string, sf: number, opc: number, v: bigint, want: bigint) =>
    it(`${name} ${sf ? 'x' : 'w'} of ${v.toString(16)} = ${want.toString(16)}`, () => {
      expectRun([E.dp1(sf, opc, 0, 1)], { x: { 0: JUNK, 1: v } }, { x: { 0: want } });
    });
  lit('rbit', 1, 0, 1n, IMIN);
  lit('rbit', 0, 0, 0xffff_ffff_0000_0001n, 0x8000_0000n);
  lit('rev16', 1, 1, 0x0123_4567_89ab_cdefn, 0x2301_6745_ab89_efcdn);
  lit('rev32', 1, 2, 0x0123_4567_89ab_cdefn, 0x6745_2301_efcd_ab89n);
  lit('rev', 1, 3, 0x0123_4567_89ab_cdefn, 0xefcd_ab89_6745_2301n);
  lit('rev16', 0, 1, 0xffff_ffff_1234_5678n, 0x3412_7856n);
  lit('rev', 0, 2, 0xffff_ffff_1234_5678n, 0x7856_3412n);
  lit('clz', 1, 4, 0n, 64n);
  lit('clz', 1, 4, 1n, 63n);
  lit('clz', 1, 4, ONES, 0n);
  lit('clz', 0, 4, 0xffff_ffff_0000_0000n, 32n);
  lit('clz', 0, 4, 1n, 31n);
  lit('cls', 1, 5, 0n, 63n);
  lit('cls', 1, 5, ONES, 63n);
  lit('cls', 1, 5, 1n, 62n);
  lit('cls', 1, 5, IMIN, 0n);
  lit('cls', 1, 5, 0x4000_0000_0000_0000n, 0n);
  lit('cls', 1, 5, 0xc000_0000_0000_0000n, 1n);
  lit('cls', 0, 5, 0n, 31n);
  lit('cls', 0, 5, 0xffff_ffffn, 31n);
  lit('cls', 0, 5, 0xffff_ffff_0000_0000n, 31n);
  lit('cls', 0, 5, 0x1_4000_0000n, 0n);
});

describe('UDIV / SDIV', () => {
  const V = [0n, 1n, 2n, 7n, ONES, IMIN, IMAX, 0xffff_ffffn, 0x8000_0000n, 0x7fff_ffffn, trunc(-7n, 64), 0xffff_ffff_ffff_fff9n, 0x1_0000_0003n];
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    it(`udiv ${sf ? 'x' : 'w'}`, () => {
      runTable(pairs(V).map(([a, b]) => {
        const ua = trunc(a, n), ub = trunc(b, n);
        return { name: `udiv ${a.toString(16)} / ${b.toString(16)}`, words: [E.dp2(sf, 2, 0, 1, 2)], s: { x: { 0: JUNK, 1: a, 2: b } }, e: { x: { 0: ub === 0n ? 0n : ua / ub } } };
      }));
    });
    it(`sdiv ${sf ? 'x' : 'w'}`, () => {
      runTable(pairs(V).map(([a, b]) => {
        const sa = sint(a, n), sb = sint(b, n);
        // RoundTowardsZero(Real(a) / Real(b)); BigInt division truncates towards zero.
        return { name: `sdiv ${a.toString(16)} / ${b.toString(16)}`, words: [E.dp2(sf, 3, 0, 1, 2)], s: { x: { 0: JUNK, 1: a, 2: b } }, e: { x: { 0: sb === 0n ? 0n : trunc(sa / sb, n) } } };
      }));
    });
  }
  it('udiv x0, x1, x2 by zero → 0', () => { expectRun([E.dp2(1, 2, 0, 1, 2)], { x: { 0: JUNK, 1: 5n, 2: 0n } }, { x: { 0: 0n } }); });
  it('sdiv x0, x1, x2 by zero → 0', () => { expectRun([E.dp2(1, 3, 0, 1, 2)], { x: { 0: JUNK, 1: IMIN, 2: 0n } }, { x: { 0: 0n } }); });
  it('sdiv x0: INT64_MIN / -1 = INT64_MIN', () => { expectRun([E.dp2(1, 3, 0, 1, 2)], { x: { 1: IMIN, 2: ONES } }, { x: { 0: IMIN } }); });
  it('sdiv w0: INT32_MIN / -1 = INT32_MIN (zero-extended)', () => {
    expectRun([E.dp2(0, 3, 0, 1, 2)], { x: { 0: JUNK, 1: 0x8000_0000n, 2: 0xffff_ffffn } }, { x: { 0: 0x8000_0000n } });
  });
  it('sdiv x0: -7 / 2 = -3 (rounds toward zero)', () => { expectRun([E.dp2(1, 3, 0, 1, 2)], { x: { 1: trunc(-7n, 64), 2: 2n } }, { x: { 0: trunc(-3n, 64) } }); });
  it('sdiv x0: 7 / -2 = -3', () => { expectRun([E.dp2(1, 3, 0, 1, 2)], { x: { 1: 7n, 2: trunc(-2n, 64) } }, { x: { 0: trunc(-3n, 64) } }); });
  it('udiv w0 ignores bits 63:32 of the operands', () => {
    expectRun([E.dp2(0, 2, 0, 1, 2)], { x: { 1: 0xffff_ffff_ffff_ffffn, 2: 0x1_0000_0002n } }, { x: { 0: 0x7fff_ffffn } });
  });
});

describe('variable shifts LSLV/LSRV/ASRV/RORV (amount taken modulo the width)', () => {
  const AMTS = [0n, 1n, 31n, 32n, 33n, 63n, 64n, 65n, 127n, ONES, 0x1_0000_0001n, 0xffff_ffff_0000_0020n];
  const VALS2 = [0x8123_4567_89ab_cdefn, 1n, ONES, 0x8000_0001n];
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const [name, opcode, type] of [['lslv', 8, 0], ['lsrv', 9, 1], ['asrv', 10, 2], ['rorv', 11, 3]] as const) {
      it(`${name} ${sf ? 'x' : 'w'}`, () => {
        const cases: Case[] = [];
        for (const v of VALS2) {
          for (const a of AMTS) {
            const amount = Number(trunc(a, n) % BigInt(n));
            cases.push({
              name: `${name} ${v.toString(16)} by ${a.toString(16)}`, words: [E.dp2(sf, opcode, 0, 1, 2)],
              s: { x: { 0: JUNK, 1: v, 2: a } }, e: { x: { 0: shiftReg(v, type, amount, n) } },
            });
          }
        }
        runTable(cases);
      });
    }
  }
  it('lslv x0, x1, x2 with x2 = 64 shifts by 0', () => { expectRun([E.dp2(1, 8, 0, 1, 2)], { x: { 1: 3n, 2: 64n } }, { x: { 0: 3n } }); });
  it('lslv x0, x1, x2 with x2 = 65 shifts by 1', () => { expectRun([E.dp2(1, 8, 0, 1, 2)], { x: { 1: 3n, 2: 65n } }, { x: { 0: 6n } }); });
  it('lsrv w0, w1, w2 with w2 = 33 shifts by 1', () => { expectRun([E.dp2(0, 9, 0, 1, 2)], { x: { 1: 0xffff_ffff_0000_0008n, 2: 33n } }, { x: { 0: 4n } }); });
  it('asrv x0: INT64_MIN >> 63 = -1', () => { expectRun([E.dp2(1, 10, 0, 1, 2)], { x: { 1: IMIN, 2: 63n } }, { x: { 0: ONES } }); });
  it('asrv w0: 0x80000000 >> 31 = 0xffffffff', () => { expectRun([E.dp2(0, 10, 0, 1, 2)], { x: { 1: 0x8000_0000n, 2: 31n } }, { x: { 0: 0xffff_ffffn } }); });
  it('rorv x0 by -1 (63) = rotate left 1', () => { expectRun([E.dp2(1, 11, 0, 1, 2)], { x: { 1: IMIN, 2: ONES } }, { x: { 0: 1n } }); });
});

describe('multiply: MADD/MSUB/SMADDL/SMSUBL/UMADDL/UMSUBL/SMULH/UMULH', () => {
  const V = [0n, 1n, 2n, ONES, IMIN, IMAX, 0x8000_0000n, 0xffff_ffffn, 0x7fff_ffffn, 0x1_0000_0001n, 0x0123_4567_89ab_cdefn, 0xfedc_ba98_7654_3210n];
  const RA = 0x1111_1111_1111_1111n;
  for (const sf of [1, 0]) {
    const n = sf ? 64 : 32;
    for (const o0 of [0, 1]) {
      const name = `${o0 ? 'msub' : 'madd'} ${sf ? 'x' : 'w'}`;
      it(name, () => {
        runTable(pairs(V).map(([a, b]) => {
          const p = trunc(a, n) * trunc(b, n);
          const res = trunc(o0 ? trunc(RA, n) - p : trunc(RA, n) + p, n);
          return { name: `${name} ${a.toString(16)} * ${b.toString(16)}`, words: [E.dp3(sf, 0, o0, 0, 1, 2, 3)], s: { x: { 0: JUNK, 1: a, 2: b, 3: RA } }, e: { x: { 0: res } } };
        }));
      });
    }
  }
  for (const [name, op31, o0, signed] of [['smaddl', 1, 0, true], ['smsubl', 1, 1, true], ['umaddl', 5, 0, false], ['umsubl', 5, 1, false]] as const) {
    it(name, () => {
      runTable(pairs(V).map(([a, b]) => {
        const ea = signed ? sint(a, 32) : trunc(a, 32), eb = signed ? sint(b, 32) : trunc(b, 32);
        const res = trunc(o0 ? RA - ea * eb : RA + ea * eb, 64);
        return { name: `${name} ${a.toString(16)} * ${b.toString(16)}`, words: [E.dp3(1, op31, o0, 0, 1, 2, 3)], s: { x: { 0: JUNK, 1: a, 2: b, 3: RA } }, e: { x: { 0: res } } };
      }));
    });
  }
  for (const [name, op31, signed] of [['smulh', 2, true], ['umulh', 6, false]] as const) {
    it(name, () => {
      runTable(pairs(V).map(([a, b]) => {
        const p = signed ? sint(a, 64) * sint(b, 64) : a * b;
        return { name: `${name} ${a.toString(16)} * ${b.toString(16)}`, words: [E.dp3(1, op31, 0, 0, 1, 2, 31)], s: { x: { 0: JUNK, 1: a, 2: b } }, e: { x: { 0: trunc(p >> 64n, 64) } } };
      }));
    });
  }
  t('mul x0, x1, x2', 'MUL = MADD with XZR (SP not read)', { x: { 1: 3n, 2: 4n }, sp: STACK }, { x: { 0: 12n } });
  t('mul w0, w1, w2', '32-bit wraps', { x: { 0: JUNK, 1: 0x1_0001_0000n, 2: 0x1_0000n } }, { x: { 0: 0n } });
  t('mneg x0, x1, x2', 'MNEG', { x: { 1: 3n, 2: 4n } }, { x: { 0: trunc(-12n, 64) } });
  t('smull x0, w1, w2', 'SMULL -1 * 2', { x: { 1: 0xffff_ffffn, 2: 2n } }, { x: { 0: trunc(-2n, 64) } });
  t('umull x0, w1, w2', 'UMULL max', { x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn } }, { x: { 0: 0xffff_fffe_0000_0001n } });
  t('smnegl x0, w1, w2', 'SMNEGL', { x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn } }, { x: { 0: ONES } });
  t('umnegl x0, w1, w2', 'UMNEGL', { x: { 1: 1n, 2: 1n } }, { x: { 0: ONES } });
  it('smulh: (-1) * (-1) → high 0', () => { expectRun([E.dp3(1, 2, 0, 0, 1, 2, 31)], { x: { 1: ONES, 2: ONES } }, { x: { 0: 0n } }); });
  it('smulh: (-1) * 1 → high -1', () => { expectRun([E.dp3(1, 2, 0, 0, 1, 2, 31)], { x: { 1: ONES, 2: 1n } }, { x: { 0: ONES } }); });
  it('smulh: INT64_MIN^2 → 0x4000000000000000', () => { expectRun([E.dp3(1, 2, 0, 0, 1, 2, 31)], { x: { 1: IMIN, 2: IMIN } }, { x: { 0: 0x4000_0000_0000_0000n } }); });
  it('umulh: ONES * ONES → 0xfffffffffffffffe', () => { expectRun([E.dp3(1, 6, 0, 0, 1, 2, 31)], { x: { 1: ONES, 2: ONES } }, { x: { 0: 0xffff_ffff_ffff_fffen } }); });
  it('madd x0, x1, x2, x0: Ra = Rd', () => { expectRun([E.dp3(1, 0, 0, 0, 1, 2, 0)], { x: { 0: 10n, 1: 3n, 2: 4n } }, { x: { 0: 22n } }); });
});

describe('CRC32 / CRC32C', () => {
  it('reference CRC (test self-check): CRC-32 and CRC-32C of "123456789"', () => {
    const msg = new TextEncoder().encode('123456789');
    for (const [c, want] of [[false, 0xcbf4_3926n], [true, 0xe306_9283n]] as const) {
      let acc = 0xffff_ffffn;
      for (const b of msg) acc = crc32(acc, BigInt(b), 8, c);
      expect(acc ^ 0xffff_ffffn).toBe(want);
    }
  });
  const words: Record<string, number> = {
    crc32b: I['crc32b w0, w1, w2'], crc32h: I['crc32h w0, w1, w2'], crc32w: I['crc32w w0, w1, w2'], crc32x: I['crc32x w0, w1, x2'],
    crc32cb: I['crc32cb w0, w1, w2'], crc32ch: I['crc32ch w0, w1, w2'], crc32cw: I['crc32cw w0, w1, w2'], crc32cx: I['crc32cx w0, w1, x2'],
  };
  const ACC = [0n, 0xffff_ffffn, 0x1234_5678n, 0xdead_beef_8765_4321n];
  const DATA = [0n, ONES, 0x0123_4567_89ab_cdefn, 0x8000_0000_0000_0080n, 0x31n];
  for (const c of [false, true]) {
    for (const [sz, size] of [['b', 8], ['h', 16], ['w', 32], ['x', 64]] as const) {
      const name = `crc32${c ? 'c' : ''}${sz}`;
      it(`${name} (upper bits of Rm ignored, Wd zero-extended)`, () => {
        const cases: Case[] = [];
        for (const acc of ACC) for (const d of DATA) {
          cases.push({ name: `${name} acc=${acc.toString(16)} data=${d.toString(16)}`, words: [words[name]], s: { x: { 0: JUNK, 1: acc, 2: d } }, e: { x: { 0: crc32(acc, d, size, c) } } });
        }
        runTable(cases);
      });
    }
  }
  it('CRC-32 of "123456789" computed by the core: crc32x + crc32b, then MVN = 0xCBF43926', () => {
    // crc32x w0, w1, x2 ; crc32b w0, w0, w3 ; mvn w0, w0
    const crc32bW0W0W3 = (I['crc32b w0, w1, w2'] & ~0x1f_03e0) | (3 << 16) | (0 << 5);
    expectRun([I['crc32x w0, w1, x2'], crc32bW0W0W3, I['mvn w0, w0']],
      { x: { 1: 0xffff_ffffn, 2: 0x3837_3635_3433_3231n, 3: 0x39n } }, { x: { 0: 0xcbf4_3926n } });
  });
  it('CRC-32C of "123456789" computed by the core = 0xE3069283', () => {
    const crc32cbW0W0W3 = (I['crc32cb w0, w1, w2'] & ~0x1f_03e0) | (3 << 16) | (0 << 5);
    expectRun([I['crc32cx w0, w1, x2'], crc32cbW0W0W3, I['mvn w0, w0']],
      { x: { 1: 0xffff_ffffn, 2: 0x3837_3635_3433_3231n, 3: 0x39n } }, { x: { 0: 0xe306_9283n } });
  });
});
