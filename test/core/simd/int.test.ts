// Advanced SIMD integer, permute, move and crypto instructions, one or more cases per encoding
// class. Expected values are worked out from the Arm ARM pseudocode (shared/functions/vector,
// SatQ, the instruction pages of C7.2) by hand or with the small lane models below — never from
// running the emulator. QC = FPSR bit 27 (cumulative saturation).
import { describe, expect, it } from 'vitest';
import { hex128, lanes, QC, vrun } from './vharness';

const M = (bits: number) => (1n << BigInt(bits)) - 1n;
/** Lane-wise expected value from a model of one element (a, b, d are unsigned lane values). */
function model(bits: number, n: number, f: (i: number) => bigint): bigint {
  return lanes(bits, Array.from({ length: n }, (_, i) => f(i) & M(bits)));
}

interface Case { name: string; word: number; v: Record<number, bigint>; want: bigint; qc?: boolean; fpsr?: bigint }

const A16 = lanes(8, [0x7f, 0x80, 0x10, 0xff, 0x00, 0x01, 0x40, 0xc0, 0x7f, 0x80, 0x55, 0xaa, 0x33, 0xcc, 0x0f, 0xf0]);
const B16 = lanes(8, [0x01, 0xff, 0x20, 0x01, 0x00, 0x7f, 0x40, 0xc0, 0x80, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);

const CASES: Case[] = [
  // SQADD .16b: SatQ(SInt(a) + SInt(b), 8, FALSE): 0x7f+1 → 0x7f (sat), 0x80+(-1) → 0x80 (sat)
  { name: 'SQADD v0.16b saturates both ways', word: 0x4e220c20, v: { 1: A16, 2: B16 }, qc: true,
    want: lanes(8, [0x7f, 0x80, 0x30, 0x00, 0x00, 0x7f, 0x7f, 0x80, 0xff, 0xff, 0x56, 0xac, 0x36, 0xd0, 0x14, 0xf6]) },
  { name: 'UQSUB v0.8h: 5 - 7 → 0 (QC); 9 - 7 = 2', word: 0x6e622c20, v: { 1: lanes(16, [5, 9, 0xffff, 0, 0, 0, 0, 0]), 2: lanes(16, [7, 7, 0xfffe, 0, 0, 0, 0, 0]) },
    qc: true, want: lanes(16, [0, 2, 1, 0, 0, 0, 0, 0]) },
  { name: 'SQADD d0 (scalar 64-bit): INT64_MAX + 1 saturates, upper half of V0 zeroed', word: 0x5ee20c20,
    v: { 0: -1n, 1: (5n << 64n) | 0x7fff_ffff_ffff_ffffn, 2: 1n }, qc: true, want: 0x7fff_ffff_ffff_ffffn },
  { name: 'no saturation leaves QC clear', word: 0x5ee20c20, v: { 1: 2n, 2: 3n }, qc: false, want: 5n },
  { name: 'URHADD: (a + b + 1) >> 1 on 9 bits', word: 0x6e221420, v: { 1: A16, 2: B16 },
    want: model(8, 16, (i) => ((A16 >> BigInt(8 * i)) & 0xffn) + ((B16 >> BigInt(8 * i)) & 0xffn) + 1n >> 1n) },
  { name: 'SRSHL by -1 rounds (3 → 2, -3 → -1); by +1 shifts left; by -32 of -1 → 0', word: 0x4ea25420,
    v: { 1: lanes(32, [3, -3, 5, -1]), 2: lanes(32, [-1, -1, 1, -32]) }, want: lanes(32, [2, -1, 10, 0]) },
  { name: 'SQSHL v.2d by +1 of 2^62 saturates to INT64_MAX; by -1 of -3 → -2 (floor)', word: 0x4ee24c20,
    v: { 1: lanes(64, [1n << 62n, -3n]), 2: lanes(64, [1n, 0xffn]) }, qc: true, want: lanes(64, [0x7fff_ffff_ffff_ffffn, -2n]) },
  { name: 'SQDMULH .8h: -32768 * -32768 saturates; 0x4000 * 0x4000 → 0x2000', word: 0x4e62b420,
    v: { 1: lanes(16, [0x8000, 0x4000, 3, 0, 0, 0, 0, 0]), 2: lanes(16, [0x8000, 0x4000, 0x7fff, 0, 0, 0, 0, 0]) }, qc: true,
    want: lanes(16, [0x7fff, 0x2000, 2, 0, 0, 0, 0, 0]) },
  { name: 'SQRDMULH .8h: (2*3*0x7fff + 0x8000) >> 16 = 3', word: 0x6e62b420,
    v: { 1: lanes(16, [3, 1, 0, 0, 0, 0, 0, 0]), 2: lanes(16, [0x7fff, 0x4000, 0, 0, 0, 0, 0, 0]) }, want: lanes(16, [3, 1, 0, 0, 0, 0, 0, 0]) },
  { name: 'SQRDMLAH .4s: ((d << 32) + 2ab + 2^31) >> 32, saturated', word: 0x6e828420,
    v: { 0: lanes(32, [0x7fffffff, 1, 0, 0]), 1: lanes(32, [0x40000000, 0x40000000, 0, 0]), 2: lanes(32, [0x40000000, -0x40000000, 0, 0]) }, qc: true,
    want: lanes(32, [0x7fffffff, 1 - 0x20000000, 0, 0]) },
  { name: 'SMULL2 .4s from the upper halves', word: 0x4e62c020,
    v: { 1: lanes(16, [0, 0, 0, 0, -2, 3, 0x7fff, -0x8000]), 2: lanes(16, [0, 0, 0, 0, 5, -7, 0x7fff, -0x8000]) },
    want: lanes(32, [-10, -21, 0x3fff0001, 0x40000000]) },
  { name: 'UMLAL .2d: d + a * b (unsigned 32x32 → 64)', word: 0x2ea28020,
    v: { 0: lanes(64, [1n, 2n]), 1: lanes(32, [0xffffffff, 2, 9, 9]), 2: lanes(32, [0xffffffff, 3, 9, 9]) },
    want: lanes(64, [0xffff_fffe_0000_0002n, 8n]) },
  { name: 'SQDMLAL .4s: 2*(-32768)^2 saturates, then the accumulate', word: 0x0e629020,
    v: { 0: lanes(32, [0, 5, 0x7ffffff0, 0]), 1: lanes(16, [0x8000, 2, 0x10, 0]), 2: lanes(16, [0x8000, 3, 1, 0]) }, qc: true,
    want: lanes(32, [0x7fffffff, 17, 0x7fffffff, 0]) },
  { name: 'ADDHN2 writes the high half and keeps the low half', word: 0x4e224020,
    v: { 0: 0x1122_3344_5566_7788n, 1: lanes(16, [0x1234, 0xff00, 0, 0, 0, 0, 0, 0x8000]), 2: lanes(16, [0x0100, 0x0100, 0, 0, 0, 0, 0, 0x8000]) },
    want: 0x1122_3344_5566_7788n | (lanes(8, [0x13, 0x00, 0, 0, 0, 0, 0, 0x00]) << 64n) },
  { name: 'RADDHN rounds: (0x007f + 0x0001 + 0x80) >> 8 = 1', word: 0x2e224020,
    v: { 1: lanes(16, [0x007f, 0x007e, 0, 0, 0, 0, 0, 0]), 2: lanes(16, [0x0001, 0x0001, 0, 0, 0, 0, 0, 0]) }, want: lanes(8, [1, 0, 0, 0, 0, 0, 0, 0]) },
  { name: 'XTN truncates', word: 0x0e212820, v: { 1: lanes(16, [0x1234, 0xff80, 0x7f, 0, 0, 0, 0, 0]) }, want: lanes(8, [0x34, 0x80, 0x7f, 0, 0, 0, 0, 0]) },
  { name: 'SQXTN saturates signed', word: 0x0e214820, v: { 1: lanes(16, [0x1234, 0xff80, 0x7f, -200, 0, 0, 0, 0]) }, qc: true,
    want: lanes(8, [0x7f, 0x80, 0x7f, 0x80, 0, 0, 0, 0]) },
  { name: 'UQXTN2 saturates unsigned into the high half', word: 0x6e214820, v: { 0: 0xabcdn, 1: lanes(16, [0x1234, 0xff, 0, 0, 0, 0, 0, 0x100]) }, qc: true,
    want: 0xabcdn | (lanes(8, [0xff, 0xff, 0, 0, 0, 0, 0, 0xff]) << 64n) },
  { name: 'SQXTUN: signed in, unsigned saturation', word: 0x2e612820, v: { 1: lanes(32, [-5, 70000, 1234, 0]) }, qc: true,
    want: lanes(16, [0, 0xffff, 1234, 0]) },
  { name: 'SHRN #4', word: 0x0f0c8420, v: { 1: lanes(16, [0x1234, 0xfff0, 0, 0, 0, 0, 0, 0]) }, want: lanes(8, [0x23, 0xff, 0, 0, 0, 0, 0, 0]) },
  { name: 'RSHRN #16 rounds half up', word: 0x0f108c20, v: { 1: lanes(32, [0x0001_8000, 0x0001_7fff, -1, 0]) }, want: lanes(16, [2, 1, 0, 0]) },
  { name: 'SQRSHRUN #2: negative → 0 (QC), large → 0xff', word: 0x2f0e8c20, v: { 1: lanes(16, [-8, 0x7fff, 6, 0, 0, 0, 0, 0]) }, qc: true,
    want: lanes(8, [0, 0xff, 2, 0, 0, 0, 0, 0]) },
  { name: 'SSHLL2 #3 sign-extends the upper half', word: 0x4f13a420, v: { 1: lanes(16, [0, 0, 0, 0, -1, 2, 0x7fff, -0x8000]) },
    want: lanes(32, [-8, 16, 0x3fff8, -0x40000]) },
  { name: 'UXTL zero-extends', word: 0x2f08a420, v: { 1: lanes(8, [0xff, 1, 0x80, 0, 0, 0, 0, 7]) }, want: lanes(16, [0xff, 1, 0x80, 0, 0, 0, 0, 7]) },
  { name: 'SRI #8 keeps the top 8 bits of Vd', word: 0x6f384420, v: { 0: lanes(32, [0xaabbccdd, 0, 0, 0]), 1: lanes(32, [0x11223344, 0, 0, 0]) },
    want: lanes(32, [0xaa112233, 0, 0, 0]) },
  { name: 'SLI #60 keeps the low 60 bits of Vd', word: 0x6f7c5420, v: { 0: lanes(64, [0x0fff_ffff_ffff_ffffn, 0n]), 1: lanes(64, [0x5n, 0n]) },
    want: lanes(64, [0x5fff_ffff_ffff_ffffn, 0n]) },
  { name: 'CLS .16b', word: 0x4e204820, v: { 1: lanes(8, [0, 0xff, 0x01, 0x80, 0x3f, 0xc0, 0x7f, 0x20]) }, want: lanes(8, [7, 7, 6, 0, 1, 1, 0, 1, 7, 7, 7, 7, 7, 7, 7, 7]) },
  { name: 'CLZ .4s', word: 0x6ea04820, v: { 1: lanes(32, [0, 1, 0x80000000, 0x00ffffff]) }, want: lanes(32, [32, 31, 0, 8]) },
  { name: 'CNT .8b', word: 0x0e205820, v: { 1: lanes(8, [0, 0xff, 0x81, 0x70, 1, 3, 7, 0xf]) | (0xffn << 64n) }, want: lanes(8, [0, 8, 2, 3, 1, 2, 3, 4]) },
  { name: 'RBIT .16b (all 16 bytes)', word: 0x6e605820, v: { 1: lanes(8, [0x01, 0x80, 0x0f, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xc1]) },
    want: lanes(8, [0x80, 0x01, 0xf0, 0x48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x83]) },
  { name: 'REV16 .16b', word: 0x4e201820, v: { 1: 0x0f0e0d0c0b0a09080706050403020100n }, want: 0x0e0f0c0d0a0b08090607040502030001n },
  { name: 'REV32 .8h', word: 0x6e600820, v: { 1: 0x0f0e0d0c0b0a09080706050403020100n }, want: 0x0d0c0f0e09080b0a0504070601000302n },
  { name: 'REV64 .4s', word: 0x4ea00820, v: { 1: 0x0f0e0d0c0b0a09080706050403020100n }, want: 0x0b0a09080f0e0d0c0302010007060504n },
  { name: 'SQABS .2d of INT64_MIN saturates', word: 0x4ee07820, v: { 1: lanes(64, [1n << 63n, -5n]) }, qc: true, want: lanes(64, [0x7fff_ffff_ffff_ffffn, 5n]) },
  { name: 'SQNEG .4s of INT32_MIN saturates', word: 0x6ea07820, v: { 1: lanes(32, [0x80000000, 5, -7, 0]) }, qc: true, want: lanes(32, [0x7fffffff, -5, 7, 0]) },
  { name: 'ABS .8h of INT16_MIN wraps (no saturation)', word: 0x4e60b820, v: { 1: lanes(16, [0x8000, -3, 3, 0, 0, 0, 0, 0]) }, qc: false,
    want: lanes(16, [0x8000, 3, 3, 0, 0, 0, 0, 0]) },
  { name: 'CMLT #0 .4s', word: 0x4ea0a820, v: { 1: lanes(32, [-1, 0, 1, 0x80000000]) }, want: lanes(32, [-1, 0, 0, -1]) },
  { name: 'CMHI .2d (unsigned)', word: 0x6ee23420, v: { 1: lanes(64, [-1n, 1n]), 2: lanes(64, [1n, -1n]) }, want: lanes(64, [-1n, 0n]) },
  { name: 'ADDV b wraps mod 256', word: 0x4e31b820, v: { 1: lanes(8, Array(16).fill(0x11)) }, want: 0x10n },
  { name: 'SADDLV s from .8h', word: 0x4e703820, v: { 1: lanes(16, [-1, -1, -1, -1, 0x7fff, 0x7fff, 0, 0]) }, want: BigInt(-4 + 2 * 0x7fff) }, // 65530, rest of Vd zero
  { name: 'UMAXV h', word: 0x6e70a820, v: { 1: lanes(16, [1, 0xffff, 7, 0, 0, 0, 0, 0x8000]) }, want: 0xffffn },
  { name: 'SMINV s', word: 0x4eb1a820, v: { 1: lanes(32, [1, -5, 7, 0x7fffffff]) }, want: BigInt.asUintN(32, -5n) },
  { name: 'ADDP .4s: pairs of Vn then Vm', word: 0x4ea2bc20, v: { 1: lanes(32, [1, 2, 3, 4]), 2: lanes(32, [10, 20, 30, 40]) }, want: lanes(32, [3, 7, 30, 70]) },
  { name: 'UADDLP .4s', word: 0x6e602820, v: { 1: lanes(16, [0xffff, 0xffff, 1, 2, 0, 0, 5, 5]) }, want: lanes(32, [0x1fffe, 3, 0, 10]) },
  { name: 'SADALP .2d accumulates', word: 0x4ea06820, v: { 0: lanes(64, [100n, 0n]), 1: lanes(32, [-1, -2, 5, 6]) }, want: lanes(64, [97n, 11n]) },
  { name: 'ZIP1 .8h', word: 0x4e423820, v: { 1: lanes(16, [0, 1, 2, 3, 4, 5, 6, 7]), 2: lanes(16, [10, 11, 12, 13, 14, 15, 16, 17]) },
    want: lanes(16, [0, 10, 1, 11, 2, 12, 3, 13]) },
  { name: 'UZP2 .16b', word: 0x4e025820, v: { 1: 0x0f0e0d0c0b0a09080706050403020100n, 2: 0x1f1e1d1c1b1a19181716151413121110n },
    want: lanes(8, [1, 3, 5, 7, 9, 11, 13, 15, 0x11, 0x13, 0x15, 0x17, 0x19, 0x1b, 0x1d, 0x1f]) },
  { name: 'TRN1 .4s', word: 0x4e822820, v: { 1: lanes(32, [0, 1, 2, 3]), 2: lanes(32, [10, 11, 12, 13]) }, want: lanes(32, [0, 10, 2, 12]) },
  { name: 'EXT #3', word: 0x6e021820, v: { 1: 0x0f0e0d0c0b0a09080706050403020100n, 2: 0x1f1e1d1c1b1a19181716151413121110n },
    want: 0x1211100f0e0d0c0b0a09080706050403n },
  { name: 'TBL with two registers: out of range → 0', word: 0x4e032020,
    v: { 1: 0x0f0e0d0c0b0a09080706050403020100n, 2: 0x1f1e1d1c1b1a19181716151413121110n, 3: lanes(8, [0, 31, 16, 32, 255, 5, 17, 15, 0, 0, 0, 0, 0, 0, 0, 0]) },
    want: lanes(8, [0, 0x1f, 0x10, 0, 0, 5, 0x11, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0]) },
  { name: 'TBX .8b: out of range keeps Vd; upper half zeroed', word: 0x0e031020,
    v: { 0: (0xaan << 64n) | lanes(8, [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]), 1: 0x0f0e0d0c0b0a09080706050403020100n, 3: lanes(8, [3, 16, 0, 200, 1, 2, 3, 4]) },
    want: lanes(8, [3, 0xa1, 0, 0xa3, 1, 2, 3, 4]) },
  { name: 'MOVI .4s, #0xab, MSL #16', word: 0x4f05d560, v: {}, want: lanes(32, Array(4).fill(0x00abffff)) },
  { name: 'ORR .8h, #0x12, LSL #8', word: 0x4f00b640, v: { 0: lanes(16, Array(8).fill(0x0001)) }, want: lanes(16, Array(8).fill(0x1201)) },
  { name: 'BIC .4s, #0xff', word: 0x6f0717e0, v: { 0: lanes(32, Array(4).fill(0x12345678)) }, want: lanes(32, Array(4).fill(0x12345600)) },
  { name: 'PMUL .16b: 0x80 * 0x03 = 0x80 ^ 0x100 → 0x80 (low 8 bits)', word: 0x6e229c20, v: { 1: lanes(8, [0x80, 0x03, 0xff]), 2: lanes(8, [0x03, 0x03, 0x02]) },
    want: lanes(8, [0x80, 0x05, 0xfe]) },
  { name: 'PMULL2 .1q: 64x64 carry-less from the upper halves', word: 0x4ee2e020,
    v: { 1: (0x8000_0000_0000_0001n << 64n), 2: (0x3n << 64n) }, want: (1n << 64n) | (0x8000_0000_0000_0000n) | 0x3n },
  { name: 'SDOT by element: lanes of Vn · the indexed 4 bytes of Vm', word: 0x4fa2e020,
    v: { 0: lanes(32, [1, 0, 0, 0]), 1: lanes(8, [1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x80]), 2: lanes(8, [0, 0, 0, 0, 1, 1, 1, -1]) },
    want: lanes(32, [1 + 1 + 2 + 3 - 4, -1 - 1 - 1 + 1, 0, 128]) },
  { name: 'MLA .8h by element h[7]', word: 0x6f720820, v: { 0: lanes(16, Array(8).fill(1)), 1: lanes(16, [1, 2, 3, 4, 5, 6, 7, 0xffff]), 2: lanes(16, [0, 0, 0, 0, 0, 0, 0, 3]) },
    want: lanes(16, [4, 7, 10, 13, 16, 19, 22, 0xfffe]) },
  { name: 'SQSHRN s0, d1, #1 saturates', word: 0x5f3f9420, v: { 0: -1n, 1: 0x1_0000_0000n }, qc: true, want: 0x7fffffffn },
  { name: 'USHR d0, d1, #64 → 0', word: 0x7f400420, v: { 0: -1n, 1: -1n }, want: 0n },
  { name: 'SRSRA #1 .2d: d + ((a + 1) >> 1)', word: 0x4f7f3420, v: { 0: lanes(64, [10n, 10n]), 1: lanes(64, [-1n, 3n]) }, want: lanes(64, [10n, 12n]) },
  { name: 'SUQADD b: signed 0x7f + unsigned 1 saturates', word: 0x5e203820, v: { 0: 0x7fn, 1: 1n }, qc: true, want: 0x7fn },
  { name: 'USQADD .4s: unsigned 1 + signed -2 → 0 (QC), 5 + 3 = 8', word: 0x6ea03820,
    v: { 0: lanes(32, [1, 5, 0xffffffff, 0]), 1: lanes(32, [-2, 3, 1, 0]) }, qc: true, want: lanes(32, [0, 8, 0xffffffff, 0]) },
];

// FIPS-197 Appendix B, round 1: start of round → after SubBytes+ShiftRows → after MixColumns.
const bytesToBig = (hexs: string) => { const b = hexs.split(' ').map((h) => BigInt(parseInt(h, 16))); return b.reduceRight((a, x) => (a << 8n) | x, 0n); };
const R1_START = bytesToBig('19 3d e3 be a0 f4 e2 2b 9a c6 8d 2a e9 f8 48 08');
const R1_SHIFTED = bytesToBig('d4 bf 5d 30 e0 b4 52 ae b8 41 11 f1 1e 27 98 e5');
const R1_MIXED = bytesToBig('04 66 81 e5 e0 cb 19 9a 48 f8 d3 7a 28 06 26 4c');
const KEY = bytesToBig('a0 fa fe 17 88 54 2c b1 23 a3 39 39 2a 6c 76 05');

describe('Advanced SIMD integer instructions (Arm ARM pseudocode)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = vrun([c.word], { v: c.v });
      expect(hex128(r.v[0]), c.name).toBe(hex128(c.want));
      if (c.qc !== undefined) expect((r.fpsr & QC) !== 0n, 'FPSR.QC').toBe(c.qc);
    });
  }
  it('QC is cumulative: a non-saturating op leaves a set QC set', () => {
    const r = vrun([0x5ee20c20], { v: { 1: 2n, 2: 3n }, fpsr: QC });
    expect(r.fpsr & QC).toBe(QC);
  });
});

describe('crypto (FIPS-197 Appendix B round 1; SHA/SHA3 helpers by their pseudocode)', () => {
  it('AESE: AddRoundKey then ShiftRows(SubBytes) — with a zero key the round-1 state goes to its shifted form', () => {
    expect(hex128(vrun([0x4e284820], { v: { 0: R1_START, 1: 0n } }).v[0])).toBe(hex128(R1_SHIFTED));
    expect(hex128(vrun([0x4e284820], { v: { 0: R1_START ^ KEY, 1: KEY } }).v[0])).toBe(hex128(R1_SHIFTED));
  });
  it('AESMC: MixColumns', () => {
    expect(hex128(vrun([0x4e286800], { v: { 0: R1_SHIFTED } }).v[0])).toBe(hex128(R1_MIXED));
  });
  it('AESIMC and AESD invert them', () => {
    expect(hex128(vrun([0x4e287800], { v: { 0: R1_MIXED } }).v[0])).toBe(hex128(R1_SHIFTED));
    expect(hex128(vrun([0x4e285820], { v: { 0: R1_SHIFTED, 1: 0n } }).v[0])).toBe(hex128(R1_START));
  });
  it('SHA1H: ROL(Sn, 30), rest of Vd zero', () => {
    expect(hex128(vrun([0x5e280820], { v: { 0: -1n, 1: 0x8000_0001n | (7n << 64n) } }).v[0])).toBe(hex128(0x6000_0000n));
  });
  it('RAX1 / XAR / EOR3 / BCAX', () => {
    const a = 0x8000_0000_0000_0001_0123_4567_89ab_cdefn, b = 0xffff_0000_ffff_0000_8000_0000_0000_0000n, c = 0x0f0f_0f0f_0f0f_0f0f_f0f0_f0f0_f0f0_f0f0n;
    const rol1 = (x: bigint) => ((x << 1n) | (x >> 63n)) & M(64);
    const lo = (x: bigint) => x & M(64), hi = (x: bigint) => x >> 64n;
    expect(hex128(vrun([0xce628c20], { v: { 1: a, 2: b } }).v[0])).toBe(hex128((lo(a) ^ rol1(lo(b))) | ((hi(a) ^ rol1(hi(b))) << 64n)));
    const ror8 = (x: bigint) => ((x >> 8n) | (x << 56n)) & M(64);
    expect(hex128(vrun([0xce822020], { v: { 1: a, 2: b } }).v[0])).toBe(hex128(ror8(lo(a ^ b)) | (ror8(hi(a ^ b)) << 64n)));
    expect(hex128(vrun([0xce020c20], { v: { 1: a, 2: b, 3: c } }).v[0])).toBe(hex128(a ^ b ^ c));
    expect(hex128(vrun([0xce220c20], { v: { 1: a, 2: b, 3: c } }).v[0])).toBe(hex128(a ^ (b & ~c & M(128))));
  });
});
