// Data processing — immediate (Arm ARM C4.1.92 / C6.2): ADD/SUB/ADDS/SUBS (immediate), logical
// (immediate), move wide, ADR/ADRP, bitfield (SBFM/BFM/UBFM and aliases), EXTR/ROR.
// Instruction words are from GNU as (aarch64-linux-gnu-as -march=armv8.4-a+lse+crc+rcpc); expected
// values are worked out from the instruction pseudocode (AddWithCarry, DecodeBitMasks, ...).
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { CODE, SR, STACK, VBAR1, esrEC, expectRun, flags, getCore, hex, wordsToBytes, type Expect, type Setup } from './harness';
import { decodeBitMasks, trunc } from './ref';

const I = {
  'add x0, x1, #0xfff': 0x913ffc20,
  'add x0, x1, #1, lsl #12': 0x91400420,
  'add x0, x1, #0xfff, lsl #12': 0x917ffc20,
  'add sp, sp, #16': 0x910043ff,
  'add x0, sp, #8': 0x910023e0,
  'mov sp, x1': 0x9100003f,
  'mov x0, sp': 0x910003e0,
  'add w0, w1, #1': 0x11000420,
  'mov wsp, w1': 0x1100003f,
  'add w0, wsp, #4': 0x110013e0,
  'sub x0, x1, #1': 0xd1000420,
  'sub w0, w1, #1': 0x51000420,
  'sub sp, sp, #0x20': 0xd10083ff,
  'sub x0, x1, #1, lsl #12': 0xd1400420,
  'adds x0, x1, #1': 0xb1000420,
  'adds w0, w1, #1': 0x31000420,
  'adds x0, x1, #0': 0xb1000020,
  'adds x0, sp, #1': 0xb10007e0,
  'subs x0, x1, #1': 0xf1000420,
  'subs w0, w1, #1': 0x71000420,
  'subs x0, sp, #16': 0xf10043e0,
  'cmp x1, #5': 0xf100143f,
  'cmp w1, #0': 0x7100003f,
  'cmp x1, #1, lsl #12': 0xf140043f,
  'cmn x1, #1': 0xb100043f,
  'cmn w1, #1': 0x3100043f,
  'cmp sp, #0x10': 0xf10043ff,
  'and x0, x1, #0xff': 0x92401c20,
  'and x0, x1, #0xff00ff00ff00ff00': 0x92089c20,
  'orr x0, xzr, #0x5555555555555555': 0xb200f3e0,
  'mov x0, #0x5555555555555555': 0xb200f3e0,
  'eor x0, x1, #0xfffffffffffffffe': 0xd27ff820,
  'orr x0, x1, #0x3333333333333333': 0xb200e420,
  'and x0, x1, #0x0000ffff0000ffff': 0x92003c20,
  'eor x0, x1, #0xaaaaaaaaaaaaaaaa': 0xd201f020,
  'and x0, x1, #0xc0000000000003ff': 0x92422c20,
  'orr x0, x1, #0x7ffffffffffffffe': 0xb27ff420,
  'orr w0, w1, #0x80000001': 0x32010420,
  'and w0, w1, #0xf0f0f0f0': 0x1204cc20,
  'eor w0, w1, #0xffff': 0x52003c20,
  'and w0, w1, #0x7fffffff': 0x12007820,
  'ands x0, x1, #0x8000000000000000': 0xf2410020,
  'ands w0, w1, #1': 0x72000020,
  'ands w0, w1, #0x80000000': 0x72010020,
  'tst x1, #0x3': 0xf240043f,
  'tst w1, #0x80000000': 0x7201003f,
  'and sp, x1, #0xfffffffffffffff0': 0x927cec3f,
  'orr x0, xzr, #0x3': 0xb24007e0,
  'orr wsp, w1, #0xf0': 0x321c0c3f,
  'movz x0, #0xffff, lsl #48': 0xd2ffffe0,
  'movz x0, #0x1234, lsl #16': 0xd2a24680,
  'movz x0, #0x1234, lsl #32': 0xd2c24680,
  'movz x0, #0': 0xd2800000,
  'movz w0, #0xffff, lsl #16': 0x52bfffe0,
  'movz w0, #0x8000': 0x52900000,
  'movn x0, #0': 0x92800000,
  'movn x0, #0x1234, lsl #32': 0x92c24680,
  'movn x0, #0xffff, lsl #48': 0x92ffffe0,
  'movn w0, #0': 0x12800000,
  'movn w0, #1, lsl #16': 0x12a00020,
  'movn w0, #0xffff': 0x129fffe0,
  'movk x0, #0xbeef, lsl #48': 0xf2f7dde0,
  'movk x0, #0xbeef': 0xf297dde0,
  'movk x0, #0xbeef, lsl #16': 0xf2b7dde0,
  'movk x0, #0xbeef, lsl #32': 0xf2d7dde0,
  'movk w0, #0xbeef, lsl #16': 0x72b7dde0,
  'movk w0, #0xbeef': 0x7297dde0,
  'movz xzr, #5': 0xd28000bf,
  'asr x0, x1, #4': 0x9344fc20,
  'asr w0, w1, #31': 0x131f7c20,
  'asr x0, x1, #63': 0x937ffc20,
  'asr w0, w1, #4': 0x13047c20,
  'lsl x0, x1, #4': 0xd37cec20,
  'lsl w0, w1, #31': 0x53010020,
  'lsl x0, x1, #63': 0xd3410020,
  'lsr x0, x1, #63': 0xd37ffc20,
  'lsr w0, w1, #1': 0x53017c20,
  'lsr x0, x1, #0': 0xd340fc20,
  'sxtb x0, w1': 0x93401c20,
  'sxtb w0, w1': 0x13001c20,
  'sxth x0, w1': 0x93403c20,
  'sxth w0, w1': 0x13003c20,
  'sxtw x0, w1': 0x93407c20,
  'uxtb w0, w1': 0x53001c20,
  'uxth w0, w1': 0x53003c20,
  'sbfx x0, x1, #8, #8': 0x93483c20,
  'sbfx w0, w1, #4, #4': 0x13041c20,
  'sbfx x0, x1, #0, #64': 0x9340fc20,
  'ubfx x0, x1, #60, #4': 0xd37cfc20,
  'ubfx w0, w1, #28, #4': 0x531c7c20,
  'ubfx x0, x1, #1, #63': 0xd341fc20,
  'sbfiz x0, x1, #4, #8': 0x937c1c20,
  'sbfiz w0, w1, #28, #4': 0x13040c20,
  'sbfiz x0, x1, #63, #1': 0x93410020,
  'ubfiz x0, x1, #32, #16': 0xd3603c20,
  'ubfiz w0, w1, #31, #1': 0x53010020,
  'bfi x0, x1, #8, #16': 0xb3783c20,
  'bfi w0, w1, #28, #4': 0x33040c20,
  'bfi w0, w1, #1, #31': 0x331f7820,
  'bfi x0, x1, #63, #1': 0xb3410020,
  'bfxil x0, x1, #60, #4': 0xb37cfc20,
  'bfxil w0, w1, #0, #32': 0x33007c20,
  'bfxil w0, w1, #16, #16': 0x33107c20,
  'bfxil x0, x1, #0, #64': 0xb340fc20,
  'sbfm x0, x1, #60, #59': 0x937cec20,
  'sbfm w0, w1, #8, #3': 0x13080c20,
  'ubfm x0, x1, #8, #3': 0xd3480c20,
  'bfm x0, x1, #8, #3': 0xb3480c20,
  'extr x0, x1, x2, #8': 0x93c22020,
  'extr w0, w1, w2, #4': 0x13821020,
  'extr x0, x1, x2, #0': 0x93c20020,
  'extr x0, x1, x2, #63': 0x93c2fc20,
  'extr w0, w1, w2, #31': 0x13827c20,
  'extr w0, w1, w2, #0': 0x13820020,
  'ror x0, x1, #1': 0x93c10420,
  'ror w0, w1, #31': 0x13817c20,
  'ror x0, x1, #32': 0x93c18020,
} as const;
type Asm = keyof typeof I;

const ONES = 0xffff_ffff_ffff_ffffn;
const JUNK = 0xdead_beef_cafe_f00dn;

/** One instruction, one check. NZCV starts as `pre` (default 0b1010) and must be kept unless e.nzcv. */
function t(asm: Asm, note: string, s: Setup, e: Expect): void {
  it(`${asm}  [${note}]`, () => {
    expectRun([I[asm]], { nzcv: 0b1010, ...s }, e);
  });
}
function tw(name: string, word: number, s: Setup, e: Expect): void {
  it(name, () => { expectRun([word], { nzcv: 0b1010, ...s }, e); });
}

describe('ADD/SUB (immediate)', () => {
  t('add x0, x1, #0xfff', 'imm12 max', { x: { 1: 1n } }, { x: { 0: 0x1000n } });
  t('add x0, x1, #0xfff', 'wraps modulo 2^64, flags untouched', { x: { 1: ONES } }, { x: { 0: 0xffen } });
  t('add x0, x1, #1, lsl #12', 'LSL #12', { x: { 1: 0n } }, { x: { 0: 0x1000n } });
  t('add x0, x1, #0xfff, lsl #12', 'LSL #12 max', { x: { 1: 0xfffn } }, { x: { 0: 0xffffffn } });
  t('add sp, sp, #16', 'SP source and destination', { sp: STACK - 16n }, { sp: STACK });
  t('add x0, sp, #8', 'Rn=31 is SP', { sp: STACK }, { x: { 0: STACK + 8n } });
  t('mov sp, x1', 'Rd=31 is SP', { x: { 1: 0x4012_3450n }, sp: STACK }, { sp: 0x4012_3450n });
  t('mov x0, sp', 'MOV from SP', { sp: STACK, x: { 0: JUNK } }, { x: { 0: STACK } });
  t('add w0, w1, #1', '32-bit wraps to 0, upper half of X0 cleared', { x: { 0: JUNK, 1: ONES } }, { x: { 0: 0n } });
  t('add w0, w1, #1', '32-bit ignores upper half of W1', { x: { 1: 0x1_7fff_ffffn } }, { x: { 0: 0x8000_0000n } });
  t('mov wsp, w1', '32-bit result zero-extended into SP', { x: { 1: 0xffff_ffff_4010_0010n }, sp: STACK }, { sp: 0x4010_0010n });
  t('add w0, wsp, #4', 'WSP source: low 32 bits of SP', { sp: 0xffff_ffff_ffff_fffen }, { x: { 0: 2n } });
  t('sub x0, x1, #1', '0 - 1', { x: { 1: 0n } }, { x: { 0: ONES } });
  t('sub w0, w1, #1', '32-bit 0 - 1 zero-extends', { x: { 1: 0n, 0: JUNK } }, { x: { 0: 0xffff_ffffn } });
  t('sub w0, w1, #1', '32-bit ignores upper half', { x: { 1: 0xffff_ffff_0000_0000n } }, { x: { 0: 0xffff_ffffn } });
  t('sub sp, sp, #0x20', 'SP', { sp: STACK }, { sp: STACK - 0x20n });
  t('sub x0, x1, #1, lsl #12', 'LSL #12', { x: { 1: 0x1000n } }, { x: { 0: 0n } });
});

describe('ADDS/SUBS/CMP/CMN (immediate)', () => {
  t('adds x0, x1, #1', 'signed overflow', { x: { 1: 0x7fff_ffff_ffff_ffffn } }, { x: { 0: 0x8000_0000_0000_0000n }, nzcv: flags('NzcV') });
  t('adds x0, x1, #1', 'carry out, zero', { x: { 1: ONES } }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  t('adds w0, w1, #1', '32-bit overflow', { x: { 1: 0x7fff_ffffn } }, { x: { 0: 0x8000_0000n }, nzcv: flags('NzcV') });
  t('adds w0, w1, #1', '32-bit carry, zero', { x: { 1: 0xffff_ffffn } }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  t('adds w0, w1, #1', '32-bit flags from the low word only', { x: { 1: 0x1_ffff_ffffn, 0: JUNK } }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  t('adds x0, x1, #0', '0 + 0 clears N, C, V', { x: { 1: 0n }, nzcv: 0b1011 }, { x: { 0: 0n }, nzcv: flags('nZcv') });
  t('adds x0, sp, #1', 'Rn=31 is SP', { sp: STACK }, { x: { 0: STACK + 1n }, nzcv: flags('nzcv') });
  t('subs x0, x1, #1', '0 - 1 borrows (C=0)', { x: { 1: 0n } }, { x: { 0: ONES }, nzcv: flags('Nzcv') });
  t('subs x0, x1, #1', 'INT64_MIN - 1 overflows', { x: { 1: 0x8000_0000_0000_0000n } }, { x: { 0: 0x7fff_ffff_ffff_ffffn }, nzcv: flags('nzCV') });
  t('subs x0, x1, #1', '1 - 1 = 0', { x: { 1: 1n } }, { x: { 0: 0n }, nzcv: flags('nZCv') });
  t('subs x0, x1, #1', '2 - 1: no borrow', { x: { 1: 2n }, nzcv: 0 }, { x: { 0: 1n }, nzcv: flags('nzCv') });
  t('subs w0, w1, #1', '32-bit: low word 0', { x: { 1: 0x1_0000_0000n } }, { x: { 0: 0xffff_ffffn }, nzcv: flags('Nzcv') });
  t('subs w0, w1, #1', '32-bit INT32_MIN - 1', { x: { 1: 0x8000_0000n } }, { x: { 0: 0x7fff_ffffn }, nzcv: flags('nzCV') });
  t('subs x0, sp, #16', 'Rn=31 is SP', { sp: STACK }, { x: { 0: STACK - 16n }, nzcv: flags('nzCv') });
  t('cmp x1, #5', 'equal', { x: { 1: 5n }, sp: STACK }, { nzcv: flags('nZCv') });
  t('cmp x1, #5', 'less (unsigned and signed)', { x: { 1: 3n }, sp: STACK }, { nzcv: flags('Nzcv') });
  t('cmp x1, #5', 'greater', { x: { 1: 6n }, sp: STACK, nzcv: 0 }, { nzcv: flags('nzCv') });
  t('cmp w1, #0', '32-bit compares the low word only', { x: { 1: 0xffff_ffff_0000_0000n } }, { nzcv: flags('nZCv') });
  t('cmp x1, #1, lsl #12', 'LSL #12', { x: { 1: 0x1000n } }, { nzcv: flags('nZCv') });
  t('cmn x1, #1', '-1 + 1', { x: { 1: ONES } }, { nzcv: flags('nZCv') });
  t('cmn x1, #1', 'INT64_MAX + 1', { x: { 1: 0x7fff_ffff_ffff_ffffn } }, { nzcv: flags('NzcV') });
  t('cmn w1, #1', '32-bit -1 + 1', { x: { 1: 0xffff_ffffn } }, { nzcv: flags('nZCv') });
  t('cmn w1, #1', '32-bit INT32_MAX + 1', { x: { 1: 0x7fff_ffffn } }, { nzcv: flags('NzcV') });
  t('cmp sp, #0x10', 'Rn=31 is SP; Rd=31 is XZR so SP is kept', { sp: 0x10n }, { nzcv: flags('nZCv'), sp: 0x10n });
});

describe('logical (immediate)', () => {
  t('and x0, x1, #0xff', 'low byte', { x: { 1: 0x1234_5678_9abc_def0n } }, { x: { 0: 0xf0n } });
  t('and x0, x1, #0xff00ff00ff00ff00', 'element size 16', { x: { 1: 0x1234_5678_9abc_def0n } }, { x: { 0: 0x1200_5600_9a00_de00n } });
  t('orr x0, xzr, #0x5555555555555555', 'Rn=31 is XZR (SP is not read)', { sp: STACK }, { x: { 0: 0x5555_5555_5555_5555n } });
  t('mov x0, #0x5555555555555555', 'MOV (bitmask immediate) alias', { sp: STACK, x: { 0: JUNK } }, { x: { 0: 0x5555_5555_5555_5555n } });
  t('eor x0, x1, #0xfffffffffffffffe', '63 ones rotated', { x: { 1: 0x0123_4567_89ab_cdefn } }, { x: { 0: 0xfedc_ba98_7654_3211n } });
  t('orr x0, x1, #0x3333333333333333', 'element size 4', { x: { 1: 0x8000_0000_0000_0000n } }, { x: { 0: 0xb333_3333_3333_3333n } });
  t('and x0, x1, #0x0000ffff0000ffff', 'element size 32', { x: { 1: ONES } }, { x: { 0: 0x0000_ffff_0000_ffffn } });
  t('eor x0, x1, #0xaaaaaaaaaaaaaaaa', 'element size 2, rotated', { x: { 1: ONES } }, { x: { 0: 0x5555_5555_5555_5555n } });
  t('and x0, x1, #0xc0000000000003ff', 'run wrapping around bit 63', { x: { 1: ONES } }, { x: { 0: 0xc000_0000_0000_03ffn } });
  t('orr x0, x1, #0x7ffffffffffffffe', '62 ones at bit 1', { x: { 1: 0n } }, { x: { 0: 0x7fff_ffff_ffff_fffen } });
  t('orr w0, w1, #0x80000001', '32-bit result zero-extends', { x: { 1: 0xffff_ffff_0000_0000n } }, { x: { 0: 0x8000_0001n } });
  t('and w0, w1, #0xf0f0f0f0', '32-bit element size 8', { x: { 1: ONES } }, { x: { 0: 0xf0f0_f0f0n } });
  t('eor w0, w1, #0xffff', '32-bit EOR', { x: { 1: ONES } }, { x: { 0: 0xffff_0000n } });
  t('and w0, w1, #0x7fffffff', '32-bit 31 ones', { x: { 1: ONES } }, { x: { 0: 0x7fff_ffffn } });
  t('ands x0, x1, #0x8000000000000000', 'N set, C and V cleared', { x: { 1: ONES }, nzcv: 0b0011 }, { x: { 0: 0x8000_0000_0000_0000n }, nzcv: flags('Nzcv') });
  t('ands w0, w1, #1', 'Z set, N C V cleared', { x: { 1: 2n }, nzcv: 0b1011 }, { x: { 0: 0n }, nzcv: flags('nZcv') });
  t('ands w0, w1, #0x80000000', '32-bit N from bit 31', { x: { 1: 0xffff_ffffn } }, { x: { 0: 0x8000_0000n }, nzcv: flags('Nzcv') });
  t('tst x1, #0x3', 'TST: zero result, SP untouched', { x: { 1: 4n }, nzcv: 0b0011, sp: STACK }, { nzcv: flags('nZcv') });
  t('tst x1, #0x3', 'TST: nonzero positive clears all', { x: { 1: ONES }, nzcv: 0b1111, sp: STACK }, { nzcv: flags('nzcv') });
  t('tst w1, #0x80000000', '32-bit TST', { x: { 1: 0x8000_0000n } }, { nzcv: flags('Nzcv') });
  t('and sp, x1, #0xfffffffffffffff0', 'Rd=31 is SP for AND', { x: { 1: 0x4020_000fn }, sp: 0n }, { sp: 0x4020_0000n });
  t('orr x0, xzr, #0x3', 'XZR source', { sp: STACK }, { x: { 0: 3n } });
  t('orr wsp, w1, #0xf0', '32-bit result to WSP zero-extended', { x: { 1: 0xffff_ffff_4010_0000n }, sp: 0n }, { sp: 0x4010_00f0n });
});

describe('move wide', () => {
  t('movz x0, #0xffff, lsl #48', 'hw=3', { x: { 0: JUNK } }, { x: { 0: 0xffff_0000_0000_0000n } });
  t('movz x0, #0x1234, lsl #16', 'hw=1', { x: { 0: JUNK } }, { x: { 0: 0x1234_0000n } });
  t('movz x0, #0x1234, lsl #32', 'hw=2', { x: { 0: JUNK } }, { x: { 0: 0x1234_0000_0000n } });
  t('movz x0, #0', 'zero', { x: { 0: JUNK } }, { x: { 0: 0n } });
  t('movz w0, #0xffff, lsl #16', '32-bit clears the upper half', { x: { 0: ONES } }, { x: { 0: 0xffff_0000n } });
  t('movz w0, #0x8000', '32-bit hw=0', { x: { 0: ONES } }, { x: { 0: 0x8000n } });
  t('movn x0, #0', 'all ones', { x: { 0: JUNK } }, { x: { 0: ONES } });
  t('movn x0, #0x1234, lsl #32', 'hw=2', {}, { x: { 0: 0xffff_edcb_ffff_ffffn } });
  t('movn x0, #0xffff, lsl #48', 'hw=3', {}, { x: { 0: 0x0000_ffff_ffff_ffffn } });
  t('movn w0, #0', '32-bit MOVN: only 32 ones', { x: { 0: JUNK } }, { x: { 0: 0xffff_ffffn } });
  t('movn w0, #1, lsl #16', '32-bit MOVN hw=1', { x: { 0: JUNK } }, { x: { 0: 0xfffe_ffffn } });
  t('movn w0, #0xffff', '32-bit MOVN', { x: { 0: JUNK } }, { x: { 0: 0xffff_0000n } });
  t('movk x0, #0xbeef, lsl #48', 'hw=3 keeps the rest', { x: { 0: 0x1111_2222_3333_4444n } }, { x: { 0: 0xbeef_2222_3333_4444n } });
  t('movk x0, #0xbeef', 'hw=0', { x: { 0: 0x1111_2222_3333_4444n } }, { x: { 0: 0x1111_2222_3333_beefn } });
  t('movk x0, #0xbeef, lsl #16', 'hw=1', { x: { 0: 0x1111_2222_3333_4444n } }, { x: { 0: 0x1111_2222_beef_4444n } });
  t('movk x0, #0xbeef, lsl #32', 'hw=2', { x: { 0: 0x1111_2222_3333_4444n } }, { x: { 0: 0x1111_beef_3333_4444n } });
  t('movk w0, #0xbeef, lsl #16', '32-bit MOVK clears bits 63:32', { x: { 0: ONES } }, { x: { 0: 0xbeef_ffffn } });
  t('movk w0, #0xbeef', '32-bit MOVK hw=0', { x: { 0: 0x1111_2222_3333_4444n } }, { x: { 0: 0x3333_beefn } });
  t('movz xzr, #5', 'Rd=31 is XZR: SP unchanged', { sp: STACK }, {});
});

describe('ADR / ADRP', () => {
  tw('adr x0, .', E.adr(0, 0), {}, { x: { 0: CODE } });
  tw('adr x0, .-4', E.adr(0, -4), {}, { x: { 0: CODE - 4n } });
  tw('adr x0, .+0xfffff (max)', E.adr(0, 0xfffff), {}, { x: { 0: CODE + 0xfffffn } });
  tw('adr x0, .-0x100000 (min)', E.adr(0, -0x100000), {}, { x: { 0: CODE - 0x100000n } });
  tw('adr x0, .-5 (odd, from CODE+0x10)', E.adr(0, -5), { at: CODE + 0x10n }, { x: { 0: CODE + 0xbn } });
  tw('adrp x0, .+1 page (from CODE+0xffc)', E.adr(0, 1, 1), { at: CODE + 0xffcn }, { x: { 0: 0x4008_1000n } });
  tw('adrp x0, 0 pages (low 12 bits cleared)', E.adr(0, 0, 1), { at: CODE + 0xffcn }, { x: { 0: 0x4008_0000n } });
  tw('adrp x0, -1 page', E.adr(0, -1, 1), { at: CODE + 0x7f4n }, { x: { 0: 0x4007_f000n } });
  tw('adrp x0, to page 0', E.adr(0, -0x40080, 1), { at: CODE + 0x10n }, { x: { 0: 0n } });
  tw('adrp x0, max (+0xfffff pages)', E.adr(0, 0xfffff, 1), {}, { x: { 0: 0x1_4007_f000n } });
  tw('adrp x0, min (-0x100000 pages) wraps below 0', E.adr(0, -0x100000, 1), {}, { x: { 0: 0xffff_ffff_4008_0000n } });
  tw('adr xzr, .+8 (Rd=31 is XZR)', E.adr(31, 8), { sp: STACK }, {});
});

describe('bitfield: shifts and extends', () => {
  t('asr x0, x1, #4', 'sign fill', { x: { 1: 0x8000_0000_0000_0010n } }, { x: { 0: 0xf800_0000_0000_0001n } });
  t('asr w0, w1, #31', '32-bit negative', { x: { 1: 0x8000_0000n } }, { x: { 0: 0xffff_ffffn } });
  t('asr w0, w1, #31', '32-bit positive (upper half of W1 ignored)', { x: { 1: 0xffff_ffff_7fff_ffffn } }, { x: { 0: 0n } });
  t('asr x0, x1, #63', 'INT64_MIN', { x: { 1: 0x8000_0000_0000_0000n } }, { x: { 0: ONES } });
  t('asr x0, x1, #63', 'INT64_MAX', { x: { 1: 0x7fff_ffff_ffff_ffffn } }, { x: { 0: 0n } });
  t('asr w0, w1, #4', '32-bit sign fill', { x: { 1: 0x8000_0000n } }, { x: { 0: 0xf800_0000n } });
  t('asr w0, w1, #4', '32-bit ignores bits 63:32', { x: { 1: 0xffff_ffff_0000_0010n } }, { x: { 0: 1n } });
  t('lsl x0, x1, #4', 'bits shifted out', { x: { 1: 0xf000_0000_0000_000fn } }, { x: { 0: 0xf0n } });
  t('lsl w0, w1, #31', '32-bit', { x: { 1: 0xffff_ffff_0000_0003n } }, { x: { 0: 0x8000_0000n } });
  t('lsl x0, x1, #63', 'max', { x: { 1: 3n } }, { x: { 0: 0x8000_0000_0000_0000n } });
  t('lsr x0, x1, #63', 'top bit', { x: { 1: 0x8000_0000_0000_0000n } }, { x: { 0: 1n } });
  t('lsr w0, w1, #1', '32-bit zero fill', { x: { 1: ONES } }, { x: { 0: 0x7fff_ffffn } });
  t('lsr x0, x1, #0', 'identity', { x: { 1: 0x123n } }, { x: { 0: 0x123n } });
  t('sxtb x0, w1', 'negative byte', { x: { 1: 0x80n } }, { x: { 0: 0xffff_ffff_ffff_ff80n } });
  t('sxtb x0, w1', 'positive byte, junk above', { x: { 1: 0xffff_ffff_ffff_ff7fn } }, { x: { 0: 0x7fn } });
  t('sxtb w0, w1', '32-bit: sign-extends to 32 then zero-extends', { x: { 1: 0x80n } }, { x: { 0: 0xffff_ff80n } });
  t('sxth x0, w1', 'negative half', { x: { 1: 0x8000n } }, { x: { 0: 0xffff_ffff_ffff_8000n } });
  t('sxth w0, w1', '32-bit', { x: { 1: 0x1234_8000n } }, { x: { 0: 0xffff_8000n } });
  t('sxtw x0, w1', 'negative word', { x: { 1: 0x1_8000_0000n } }, { x: { 0: 0xffff_ffff_8000_0000n } });
  t('sxtw x0, w1', 'positive word, junk above', { x: { 1: 0xffff_ffff_7fff_ffffn } }, { x: { 0: 0x7fff_ffffn } });
  t('uxtb w0, w1', 'UXTB', { x: { 1: ONES } }, { x: { 0: 0xffn } });
  t('uxth w0, w1', 'UXTH', { x: { 1: 0xffff_ffff_ffff_8001n } }, { x: { 0: 0x8001n } });
});

describe('bitfield: extract and insert', () => {
  t('sbfx x0, x1, #8, #8', 'negative field', { x: { 1: 0x8000n } }, { x: { 0: 0xffff_ffff_ffff_ff80n } });
  t('sbfx x0, x1, #8, #8', 'positive field', { x: { 1: 0xffff_ffff_ffff_7fffn } }, { x: { 0: 0x7fn } });
  t('sbfx w0, w1, #4, #4', '32-bit', { x: { 1: 0x80n } }, { x: { 0: 0xffff_fff8n } });
  t('sbfx x0, x1, #0, #64', 'whole register', { x: { 1: 0x8123_4567_89ab_cdefn } }, { x: { 0: 0x8123_4567_89ab_cdefn } });
  t('ubfx x0, x1, #60, #4', 'top nibble', { x: { 1: 0xa000_0000_0000_0000n } }, { x: { 0: 0xan } });
  t('ubfx w0, w1, #28, #4', '32-bit top nibble', { x: { 1: 0xffff_ffff_afff_ffffn } }, { x: { 0: 0xan } });
  t('ubfx x0, x1, #1, #63', 'width 63', { x: { 1: ONES } }, { x: { 0: 0x7fff_ffff_ffff_ffffn } });
  t('sbfiz x0, x1, #4, #8', 'negative field', { x: { 1: 0x80n } }, { x: { 0: 0xffff_ffff_ffff_f800n } });
  t('sbfiz x0, x1, #4, #8', 'positive field', { x: { 1: 0xff7fn } }, { x: { 0: 0x7f0n } });
  t('sbfiz w0, w1, #28, #4', '32-bit negative', { x: { 1: 8n } }, { x: { 0: 0x8000_0000n } });
  t('sbfiz w0, w1, #28, #4', '32-bit positive', { x: { 1: 7n } }, { x: { 0: 0x7000_0000n } });
  t('sbfiz x0, x1, #63, #1', '1-bit field at the top', { x: { 1: 1n } }, { x: { 0: 0x8000_0000_0000_0000n } });
  t('ubfiz x0, x1, #32, #16', 'UBFIZ', { x: { 1: ONES } }, { x: { 0: 0x0000_ffff_0000_0000n } });
  t('ubfiz w0, w1, #31, #1', '32-bit UBFIZ', { x: { 1: 0xffff_ffffn } }, { x: { 0: 0x8000_0000n } });
  t('bfi x0, x1, #8, #16', 'keeps other bits of Rd', { x: { 0: ONES, 1: 0x1234n } }, { x: { 0: 0xffff_ffff_ff12_34ffn } });
  t('bfi w0, w1, #28, #4', '32-bit: bits 63:32 of X0 cleared', { x: { 0: 0xffff_ffff_0000_0000n, 1: 0xan } }, { x: { 0: 0xa000_0000n } });
  t('bfi w0, w1, #1, #31', '32-bit width 31', { x: { 0: ONES, 1: 0n } }, { x: { 0: 1n } });
  t('bfi x0, x1, #63, #1', 'top bit', { x: { 0: 0n, 1: 0xffn } }, { x: { 0: 0x8000_0000_0000_0000n } });
  t('bfxil x0, x1, #60, #4', 'BFXIL', { x: { 0: 0x1234_5678_9abc_def0n, 1: 0x5000_0000_0000_0000n } }, { x: { 0: 0x1234_5678_9abc_def5n } });
  t('bfxil w0, w1, #0, #32', '32-bit full width', { x: { 0: 0xffff_ffff_0000_0000n, 1: 0x1_2345_6789n } }, { x: { 0: 0x2345_6789n } });
  t('bfxil w0, w1, #16, #16', '32-bit: keeps low bits of W0, clears 63:32', { x: { 0: ONES, 1: 0xabcd_0000n } }, { x: { 0: 0xffff_abcdn } });
  t('bfxil x0, x1, #0, #64', 'BFM #0, #63 copies', { x: { 0: JUNK, 1: 0x0123_4567_89ab_cdefn } }, { x: { 0: 0x0123_4567_89ab_cdefn } });
  t('sbfm x0, x1, #60, #59', 'SBFIZ #4, #60', { x: { 1: 0x0800_0000_0000_0001n } }, { x: { 0: 0x8000_0000_0000_0010n } });
  t('sbfm w0, w1, #8, #3', '32-bit SBFIZ #24, #4', { x: { 1: 0xfn } }, { x: { 0: 0xff00_0000n } });
  t('ubfm x0, x1, #8, #3', 'UBFIZ #56, #4', { x: { 1: 0xffn } }, { x: { 0: 0x0f00_0000_0000_0000n } });
  t('bfm x0, x1, #8, #3', 'BFI #56, #4 into zero', { x: { 0: 0n, 1: 0xffn } }, { x: { 0: 0x0f00_0000_0000_0000n } });
  t('bfm x0, x1, #8, #3', 'BFI #56, #4 of zero', { x: { 0: ONES, 1: 0n } }, { x: { 0: 0xf0ff_ffff_ffff_ffffn } });
});

describe('EXTR / ROR (immediate)', () => {
  t('extr x0, x1, x2, #8', 'lsb 8', { x: { 1: 0x1122_3344_5566_7788n, 2: 0x99aa_bbcc_ddee_ff00n } }, { x: { 0: 0x8899_aabb_ccdd_eeffn } });
  t('extr w0, w1, w2, #4', '32-bit, upper halves ignored', { x: { 1: 0xffff_ffff_1234_5678n, 2: 0xffff_ffff_9abc_def0n } }, { x: { 0: 0x89ab_cdefn } });
  t('extr x0, x1, x2, #0', 'lsb 0 = Rm', { x: { 1: JUNK, 2: 0x0123_4567_89ab_cdefn } }, { x: { 0: 0x0123_4567_89ab_cdefn } });
  t('extr x0, x1, x2, #63', 'lsb 63', { x: { 1: 0xc000_0000_0000_0001n, 2: 0x8000_0000_0000_0000n } }, { x: { 0: 0x8000_0000_0000_0003n } });
  t('extr w0, w1, w2, #31', '32-bit lsb 31', { x: { 1: 1n, 2: 0x8000_0000n } }, { x: { 0: 3n } });
  t('extr w0, w1, w2, #0', '32-bit lsb 0', { x: { 1: JUNK, 2: 0xaaaa_aaaa_1234_5678n } }, { x: { 0: 0x1234_5678n } });
  t('ror x0, x1, #1', 'ROR #1', { x: { 1: 1n } }, { x: { 0: 0x8000_0000_0000_0000n } });
  t('ror w0, w1, #31', '32-bit ROR', { x: { 1: 0xffff_ffff_0000_0001n } }, { x: { 0: 2n } });
  t('ror x0, x1, #32', 'ROR #32 swaps halves', { x: { 1: 0x1122_3344_5566_7788n } }, { x: { 0: 0x5566_7788_1122_3344n } });
});

describe('logical (immediate): every N:immr:imms encoding against DecodeBitMasks', () => {
  // AND Xd/Wd, Xn/Wn, #imm with Xn = all ones yields the decoded mask itself; reserved encodings
  // (imms all ones within the element, or N=1 for 32-bit) are UNDEFINED.
  for (const sf of [1, 0]) {
    it(`${sf ? '64' : '32'}-bit: all ${sf ? 2 * 64 * 64 : 2 * 64 * 64} encodings`, () => {
      const core = getCore();
      const bad: string[] = [];
      for (let n = 0; n < 2; n++) {
        for (let immr = 0; immr < 64; immr++) {
          for (let imms = 0; imms < 64; imms++) {
            const word = (((sf << 31) | (0x24 << 23) | (n << 22) | (immr << 16) | (imms << 10) | (1 << 5) | 0) >>> 0);
            const want = sf === 0 && n === 1 ? undefined : decodeBitMasks(n, imms, immr, sf ? 64 : 32);
            core.reset(1, CODE);
            core.setSysreg(SR.VBAR_EL1, VBAR1);
            core.writePhys(CODE, wordsToBytes([word]));
            core.setX(0, 0xdeadn);
            core.setX(1, 0xffff_ffff_ffff_ffffn);
            core.run(1);
            const what = `N=${n} immr=${immr} imms=${imms}`;
            if (want === undefined) {
              if (core.pc !== VBAR1 + 0x200n || esrEC(core.sysreg(SR.ESR_EL1)) !== 0) bad.push(`${what}: reserved, expected UNDEFINED, got PC=${hex(core.pc)} X0=${hex(core.getX(0))}`);
            } else if (core.pc !== CODE + 4n || core.getX(0) !== trunc(want, sf ? 64 : 32)) {
              bad.push(`${what}: want X0=${hex(want)}, got X0=${hex(core.getX(0))} PC=${hex(core.pc)}`);
            }
          }
        }
      }
      expect(bad.slice(0, 40), `${bad.length} encodings differ`).toEqual([]);
    });
  }
});
