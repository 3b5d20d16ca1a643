// Scalar floating point against the Arm ARM pseudocode: hand-checked special cases (expected values
// worked out from the pseudocode in the comments), then every rounding mode x FZ/FZ16 x DN with
// special and random operands, expected values from test/core/fp-ref.ts (the pseudocode transcribed
// with exact rational arithmetic).
import { describe, expect, it } from 'vitest';
import * as F from '../gen/fpsimd/fpenc';
import { fpElement } from '../gen/fpsimd/fp-values';
import { Rng } from '../gen/prng';
import { AHP, DN, DZC, FZ, FZ16, IDC, IOC, IXC, OFC, RMODE, UFC, runFp } from './fp-harness';
import { Ctx, RA, RM, RN, RP, RZ, fpcrOf, type Fmt } from './fp-ref';

const FT: Record<Fmt, number> = { 16: 3, 32: 0, 64: 1 };
const d = (x: number) => { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, x); return b.getBigUint64(0); };
const s = (x: number) => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, x); return BigInt(b.getUint32(0)); };
const hex = (v: bigint) => '0x' + v.toString(16);

/** Runs one instruction with V1, V2, V3 = a, b, c; returns V0's low 64 bits, FPSR and NZCV. */
function one(word: number, a: bigint, b = 0n, c = 0n, fpcr = 0, x: Record<number, bigint> = {}) {
  const r = runFp([word], { v: { 0: 0xdeadn << 64n, 1: a, 2: b, 3: c }, fpcr, x });
  return { v: r.v(0), fpsr: r.fpsr, nzcv: r.nzcv, x: r.x };
}

describe('FP special cases (Arm ARM pseudocode)', () => {
  const DNAN = 0x7ff8000000000000n;
  it('FADD: +inf + -inf is the default NaN with IOC', () => {
    const r = one(F.fpDp2(1, 2, 0, 1, 2), 0x7ff0000000000000n, 0xfff0000000000000n);
    expect(hex(r.v)).toBe(hex(DNAN));
    expect(r.fpsr).toBe(IOC);
  });
  it('FADD: a signalling NaN wins over an earlier quiet NaN, quieted with its payload (FPProcessNaNs)', () => {
    const r = one(F.fpDp2(1, 2, 0, 1, 2), 0x7ff8000000000123n, 0xfff0000000000456n);
    expect(hex(r.v)).toBe(hex(0xfff8000000000456n));
    expect(r.fpsr).toBe(IOC);
  });
  it('FADD: with FPCR.DN any NaN result is the default NaN', () => {
    const r = one(F.fpDp2(1, 2, 0, 1, 2), 0xfff8000000000123n, d(1), 0n, DN);
    expect(hex(r.v)).toBe(hex(DNAN));
    expect(r.fpsr).toBe(0);
  });
  it('FSUB: x - x is +0 except in round towards minus infinity (-0)', () => {
    expect(hex(one(F.fpDp2(1, 3, 0, 1, 2), d(1.5), d(1.5)).v)).toBe('0x0');
    expect(hex(one(F.fpDp2(1, 3, 0, 1, 2), d(1.5), d(1.5), 0n, RMODE(2)).v)).toBe(hex(0x8000000000000000n));
  });
  it('writing S0 zeroes bits 127:32 of V0', () => {
    const r = runFp([F.fpDp2(0, 2, 0, 1, 2)], { v: { 0: (1n << 128n) - 1n, 1: s(1), 2: s(2) } });
    expect(hex(r.v(0))).toBe(hex(s(3)));
  });
  it('FMUL: 0 * inf is the default NaN with IOC; FMULX gives 2.0 with the product sign', () => {
    const r = one(F.fpDp2(0, 0, 0, 1, 2), 0x80000000n, 0x7f800000n);
    expect(hex(r.v)).toBe('0x7fc00000');
    expect(r.fpsr).toBe(IOC);
    const x = one(F.s3same(0, 0, 0, 0x1b, 0, 1, 2), 0x80000000n, 0x7f800000n);
    expect(hex(x.v)).toBe(hex(s(-2)));
    expect(x.fpsr).toBe(0);
  });
  it('FDIV: 1/0 is +inf with DZC, 0/0 the default NaN with IOC, inf/0 inf without DZC', () => {
    let r = one(F.fpDp2(1, 1, 0, 1, 2), d(1), 0n);
    expect([hex(r.v), r.fpsr]).toEqual([hex(0x7ff0000000000000n), DZC]);
    r = one(F.fpDp2(1, 1, 0, 1, 2), 0n, 0x8000000000000000n);
    expect([hex(r.v), r.fpsr]).toEqual([hex(DNAN), IOC]);
    r = one(F.fpDp2(1, 1, 0, 1, 2), 0xfff0000000000000n, 0n);
    expect([hex(r.v), r.fpsr]).toEqual([hex(0xfff0000000000000n), 0]);
  });
  it('FSQRT: sqrt(-0) = -0, sqrt(-1) = default NaN with IOC, sqrt(2) inexact', () => {
    expect(hex(one(F.fpDp1(1, 3, 0, 1), 0x8000000000000000n).v)).toBe(hex(0x8000000000000000n));
    const r = one(F.fpDp1(1, 3, 0, 1), d(-1));
    expect([hex(r.v), r.fpsr]).toEqual([hex(DNAN), IOC]);
    const q = one(F.fpDp1(1, 3, 0, 1), d(2));
    expect([hex(q.v), q.fpsr]).toEqual([hex(d(Math.SQRT2)), IXC]);
  });
  it('FZ: a denormal input is flushed with IDC; a tiny result flushed to zero with UFC only', () => {
    let r = one(F.fpDp2(1, 2, 0, 1, 2), 0x0000000000000001n, d(1), 0n, FZ);
    expect([hex(r.v), r.fpsr]).toEqual([hex(d(1)), IDC]);
    r = one(F.fpDp2(1, 0, 0, 1, 2), 0x0010000000000000n, d(0.5), 0n, FZ);
    expect([hex(r.v), r.fpsr]).toEqual(['0x0', UFC]);
    r = one(F.fpDp2(1, 0, 0, 1, 2), 0x0010000000000000n, d(0.5));
    expect([hex(r.v), r.fpsr]).toEqual([hex(0x0008000000000000n), 0]); // exact denormal: no UFC
    r = one(F.fpDp2(1, 0, 0, 1, 2), 0x0010000000000001n, d(0.5));
    expect([hex(r.v), r.fpsr]).toEqual([hex(0x0008000000000000n), UFC | IXC]); // tie to even, tiny and inexact
  });
  it('FZ16: a half-precision denormal input is flushed without IDC', () => {
    const r = one(F.fpDp2(3, 2, 0, 1, 2), 0x0001n, 0x3c00n, 0n, FZ16);
    expect([hex(r.v), r.fpsr]).toEqual(['0x3c00', 0]);
  });
  it('overflow: max normal * 2 is inf (RN) or max normal (RZ), with OFC and IXC', () => {
    let r = one(F.fpDp2(0, 0, 0, 1, 2), 0x7f7fffffn, s(2));
    expect([hex(r.v), r.fpsr]).toEqual(['0x7f800000', OFC | IXC]);
    r = one(F.fpDp2(0, 0, 0, 1, 2), 0x7f7fffffn, s(2), 0n, RMODE(3));
    expect([hex(r.v), r.fpsr]).toEqual(['0x7f7fffff', OFC | IXC]);
    r = one(F.fpDp2(0, 0, 0, 1, 2), 0xff7fffffn, s(2), 0n, RMODE(1));
    expect([hex(r.v), r.fpsr]).toEqual(['0xff7fffff', OFC | IXC]);
  });
  it('FMADD is fused: (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly', () => {
    const r = one(F.fpDp3(1, 0, 0, 0, 1, 2, 3), d(1 + 2 ** -52), d(1 - 2 ** -52), d(-1));
    expect([hex(r.v), r.fpsr]).toEqual([hex(d(-(2 ** -104))), 0]);
  });
  it('FMADD: inf * 0 + qNaN is the default NaN with IOC (FPMulAdd)', () => {
    const r = one(F.fpDp3(1, 0, 0, 0, 1, 2, 3), 0x7ff0000000000000n, 0n, 0x7ff8000000000001n);
    expect([hex(r.v), r.fpsr]).toEqual([hex(DNAN), IOC]);
  });
  it('FNMSUB negates the addend only, before NaN processing', () => {
    const r = one(F.fpDp3(1, 1, 1, 0, 1, 2, 3), d(2), d(3), 0x7ff8000000000005n);
    expect(hex(r.v)).toBe(hex(0xfff8000000000005n));
  });
  it('FCVT to half with AHP: infinity is 0x7fff with IOC, a NaN +0 with IOC; to IEEE half inf stays inf', () => {
    let r = one(F.fpDp1(1, 7, 0, 1), 0x7ff0000000000000n, 0n, 0n, AHP);
    expect([hex(r.v), r.fpsr]).toEqual(['0x7fff', IOC]);
    r = one(F.fpDp1(1, 7, 0, 1), 0x7ff8000000000000n, 0n, 0n, AHP);
    expect([hex(r.v), r.fpsr]).toEqual(['0x0', IOC]);
    r = one(F.fpDp1(1, 7, 0, 1), 0x7ff0000000000000n);
    expect([hex(r.v), r.fpsr]).toEqual(['0x7c00', 0]);
    r = one(F.fpDp1(3, 5, 0, 1), 0x7c00n, 0n, 0n, AHP); // AHP: 0x7c00 is 2^16 = 65536
    expect([hex(r.v), r.fpsr]).toEqual([hex(d(65536)), 0]);
  });
  it('FCVT keeps the NaN payload (FPConvertNaN) and quiets a signalling NaN', () => {
    const r = one(F.fpDp1(0, 5, 0, 1), 0x7f800123n);
    expect([hex(r.v), r.fpsr]).toEqual([hex(0x7ff8002460000000n), IOC]);
  });
  it('FCVTZS/FCVTZU saturate with IOC; NaN converts to 0 with IOC; -0.5 to unsigned is 0 with IXC', () => {
    let r = one(F.fpInt(1, 1, 3, 0, 5, 1), d(1e20));
    expect([hex(r.x[5]), r.fpsr]).toEqual([hex(0x7fffffffffffffffn), IOC]);
    r = one(F.fpInt(0, 1, 3, 0, 5, 1), d(-3e9));
    expect([hex(r.x[5]), r.fpsr]).toEqual(['0x80000000', IOC]);
    r = one(F.fpInt(1, 1, 3, 0, 5, 1), 0x7ff8000000000000n);
    expect([hex(r.x[5]), r.fpsr]).toEqual(['0x0', IOC]);
    r = one(F.fpInt(1, 1, 3, 1, 5, 1), d(-0.5));
    expect([hex(r.x[5]), r.fpsr]).toEqual(['0x0', IXC]);
    r = one(F.fpInt(1, 1, 3, 1, 5, 1), d(-1));
    expect([hex(r.x[5]), r.fpsr]).toEqual(['0x0', IOC]);
  });
  it('FRINTA rounds ties away, FRINTN to even, FRINTX raises IXC, FRINTI does not', () => {
    expect(hex(one(F.fpDp1(1, 12, 0, 1), d(2.5)).v)).toBe(hex(d(3)));
    expect(hex(one(F.fpDp1(1, 12, 0, 1), d(-2.5)).v)).toBe(hex(d(-3)));
    expect(hex(one(F.fpDp1(1, 8, 0, 1), d(2.5)).v)).toBe(hex(d(2)));
    expect(one(F.fpDp1(1, 14, 0, 1), d(2.5)).fpsr).toBe(IXC);
    expect(one(F.fpDp1(1, 15, 0, 1), d(2.5)).fpsr).toBe(0);
    expect(hex(one(F.fpDp1(1, 9, 0, 1), d(-0.5)).v)).toBe(hex(d(-0))); // FRINTP(-0.5) = -0
  });
  it('FRINT32Z: out of range, infinity and NaN give -2^31 with IOC', () => {
    let r = one(F.fpDp1(1, 16, 0, 1), d(2 ** 31));
    expect([hex(r.v), r.fpsr]).toEqual([hex(d(-(2 ** 31))), IOC]);
    r = one(F.fpDp1(0, 16, 0, 1), 0x7fc00000n);
    expect([hex(r.v), r.fpsr]).toEqual([hex(s(-(2 ** 31))), IOC]);
    r = one(F.fpDp1(1, 16, 0, 1), d(-(2 ** 31) - 0.5));
    expect([hex(r.v), r.fpsr]).toEqual([hex(d(-(2 ** 31))), IXC]);
  });
  it('FMAXNM treats one quiet NaN as missing; FMAX propagates it; FMIN(+0, -0) = -0, FMAX(-0, +0) = +0', () => {
    expect(hex(one(F.fpDp2(1, 6, 0, 1, 2), 0x7ff8000000000000n, d(1)).v)).toBe(hex(d(1)));
    expect(hex(one(F.fpDp2(1, 4, 0, 1, 2), 0x7ff8000000000000n, d(1)).v)).toBe(hex(0x7ff8000000000000n));
    expect(hex(one(F.fpDp2(1, 5, 0, 1, 2), 0n, 0x8000000000000000n).v)).toBe(hex(0x8000000000000000n));
    expect(hex(one(F.fpDp2(1, 4, 0, 1, 2), 0x8000000000000000n, 0n).v)).toBe('0x0');
    const r = one(F.fpDp2(1, 6, 0, 1, 2), 0x7ff0000000000001n, d(1)); // a signalling NaN is not ignored
    expect([hex(r.v), r.fpsr]).toEqual([hex(0x7ff8000000000001n), IOC]);
  });
  it('FCMP: unordered is NZCV = 0011, IOC only for a signalling NaN; FCMPE raises IOC for any NaN', () => {
    let r = one(F.fcmp(1, 1, 2), 0x7ff8000000000000n, d(1));
    expect([r.nzcv, r.fpsr]).toEqual([0b0011, 0]);
    r = one(F.fcmp(1, 1, 2, 0, 1), 0x7ff8000000000000n, d(1));
    expect([r.nzcv, r.fpsr]).toEqual([0b0011, IOC]);
    expect(one(F.fcmp(1, 1, 2), d(-0), d(0)).nzcv).toBe(0b0110);
    expect(one(F.fcmp(1, 1, 2), d(-1), d(0)).nzcv).toBe(0b1000);
    expect(one(F.fcmp(1, 1, 0, 1), d(2), 0n).nzcv).toBe(0b0010);
  });
  it('FRECPE(2.0f) = 0x3eff8000 (RecipEstimate(256) = 511), FRECPE(0) = +inf with DZC, URECPE(0x80000000) = 0xff800000, URECPE(0) = 0xffffffff', () => {
    expect(hex(one(F.s2misc(0, 1, 0, 0x1d, 0, 1), s(2)).v)).toBe('0x3eff8000');
    const r = one(F.s2misc(0, 1, 0, 0x1d, 0, 1), 0n);
    expect([hex(r.v), r.fpsr]).toEqual(['0x7f800000', DZC]);
    expect(hex(one(F.v2misc(0, 0, 1, 0, 0x1c, 0, 1), 0x80000000n).v)).toBe('0xffffffffff800000'); // lane 1 (< 2^31) is all ones
  });
  it('FRSQRTE(4.0f) = 0x3eff8000, FRSQRTE(2.0f) = 0x3f348000; a double denormal 0x0002000000000000 → 0x5ff6900000000000', () => {
    // 4.0: biased exponent 129, odd: scaled = '01':fraction<51:45> = 128; RecipSqrtEstimate(128):
    // a = 257, b stops at 1022 (257 * 1023^2 >= 2^28), r = 511; result_exp = (380 - 129) DIV 2 = 125;
    // fraction = 511<7:0> = 0xff → 0x3eff8000 (~ 1/sqrt(4)).
    expect(hex(one(F.s2misc(1, 1, 0, 0x1d, 0, 1), s(4)).v)).toBe('0x3eff8000');
    // 2.0: biased exponent 128, even: scaled = '1':fraction<51:44> = 256; RecipSqrtEstimate(256):
    // a = 514, b stops at 722 (514 * 723^2 >= 2^28), r = 361 = 0x169; result_exp = 252 DIV 2 = 126 → 0x3f348000.
    expect(hex(one(F.s2misc(1, 1, 0, 0x1d, 0, 1), s(2)).v)).toBe('0x3f348000');
    // Denormal: fraction<49> is the top bit: two shifts (exp = -2, even), then the leading one is
    // dropped: scaled = '1':0 = 256 → 361; result_exp = (3068 + 2) DIV 2 = 1535.
    expect(hex(one(F.s2misc(1, 1, 1, 0x1d, 0, 1), 0x0002000000000000n).v)).toBe(hex(0x5ff6900000000000n));
  });
  it('FJCVTZS: the low 32 bits of the truncated value, Z only for an exact in-range conversion', () => {
    let r = one(F.fjcvtzs(5, 1), d(2 ** 32 + 7));
    expect([hex(r.x[5]), r.nzcv, r.fpsr]).toEqual(['0x7', 0, IOC]);
    r = one(F.fjcvtzs(5, 1), d(-3));
    expect([hex(r.x[5]), r.nzcv, r.fpsr]).toEqual(['0xfffffffd', 0b0100, 0]);
    r = one(F.fjcvtzs(5, 1), d(-0));
    expect([hex(r.x[5]), r.nzcv]).toEqual(['0x0', 0]);
  });
  // Reported upstream as QEMU issue 2375 (gitlab.com/qemu-project/qemu/-/issues/2375).
  it('QEMU 7.2 divergence: FJCVTZS of a positive denormal with FPCR.FZ = 1 leaves Z = 0 (Arm ARM FPToFixedJS: sign 0, value 0.0, op<51:0> nonzero); QEMU 7.2 sets Z', () => {
    const r = one(F.fjcvtzs(5, 1), 0x000000007fc00000n, 0n, 0n, FZ);
    expect([hex(r.x[5]), r.nzcv, r.fpsr]).toEqual(['0x0', 0, IDC]);
  });
});

// ---------------------------------------------------------------- against the transcribed pseudocode
const FPCRS = [0, RMODE(1), RMODE(2), RMODE(3), FZ, FZ | RMODE(2), DN, DN | FZ | RMODE(1), FZ16, FZ16 | RMODE(3), AHP, AHP | DN];

interface OpDef {
  name: string;
  fmts: Fmt[];
  word: (N: Fmt) => number;
  ref: (c: Ctx, N: Fmt, a: bigint, b: bigint, e: bigint) => bigint;
  /** Result width (defaults to N). */
  out?: (N: Fmt) => number;
  /** Result in X5 rather than V0. */
  gpr?: boolean;
}

const OPS: OpDef[] = [
  { name: 'FADD', fmts: [16, 32, 64], word: (N) => F.fpDp2(FT[N], 2, 0, 1, 2), ref: (c, N, a, b) => c.add(a, b, N) },
  { name: 'FSUB', fmts: [16, 32, 64], word: (N) => F.fpDp2(FT[N], 3, 0, 1, 2), ref: (c, N, a, b) => c.add(a, b, N, true) },
  { name: 'FMUL', fmts: [16, 32, 64], word: (N) => F.fpDp2(FT[N], 0, 0, 1, 2), ref: (c, N, a, b) => c.mul(a, b, N) },
  { name: 'FDIV', fmts: [16, 32, 64], word: (N) => F.fpDp2(FT[N], 1, 0, 1, 2), ref: (c, N, a, b) => c.div(a, b, N) },
  { name: 'FMADD', fmts: [16, 32, 64], word: (N) => F.fpDp3(FT[N], 0, 0, 0, 1, 2, 3), ref: (c, N, a, b, e) => c.mulAdd(e, a, b, N) },
  { name: 'FCVT (to double)', fmts: [16, 32], word: (N) => F.fpDp1(FT[N], 5, 0, 1), ref: (c, N, a) => c.convert(a, N, 64), out: () => 64 },
  { name: 'FCVT (to single)', fmts: [16, 64], word: (N) => F.fpDp1(FT[N], 4, 0, 1), ref: (c, N, a) => c.convert(a, N, 32), out: () => 32 },
  { name: 'FCVT (to half)', fmts: [32, 64], word: (N) => F.fpDp1(FT[N], 7, 0, 1), ref: (c, N, a) => c.convert(a, N, 16), out: () => 16 },
  { name: 'FRINTX', fmts: [16, 32, 64], word: (N) => F.fpDp1(FT[N], 14, 0, 1), ref: (c, N, a) => c.roundToInt(a, N, c.fpcr.rmode, true) },
  { name: 'FRINTA', fmts: [16, 32, 64], word: (N) => F.fpDp1(FT[N], 12, 0, 1), ref: (c, N, a) => c.roundToInt(a, N, RA, false) },
  { name: 'FCVTZS (64-bit)', fmts: [16, 32, 64], word: (N) => F.fpInt(1, FT[N], 3, 0, 5, 1), ref: (c, N, a) => c.toFixed(a, N, 0, false, 64, RZ), gpr: true },
  { name: 'FCVTPU (32-bit)', fmts: [16, 32, 64], word: (N) => F.fpInt(0, FT[N], 1, 1, 5, 1), ref: (c, N, a) => c.toFixed(a, N, 0, true, 32, RP), gpr: true },
  { name: 'FCVTNS (32-bit)', fmts: [16, 32, 64], word: (N) => F.fpInt(0, FT[N], 0, 0, 5, 1), ref: (c, N, a) => c.toFixed(a, N, 0, false, 32, RN), gpr: true },
  { name: 'FCVTAS (64-bit)', fmts: [32, 64], word: (N) => F.fpInt(1, FT[N], 0, 4, 5, 1), ref: (c, N, a) => c.toFixed(a, N, 0, false, 64, RA), gpr: true },
  { name: 'FCVTZS (64-bit, 7 fraction bits)', fmts: [32, 64], word: (N) => F.fpFixed(1, FT[N], 3, 0, 57, 5, 1), ref: (c, N, a) => c.toFixed(a, N, 7, false, 64, RZ), gpr: true },
];
void RM; void RN;

describe('scalar FP against the transcribed pseudocode, every rounding mode with FZ/FZ16/DN/AHP', () => {
  for (const op of OPS) {
    for (const N of op.fmts) {
      it(`${op.name}, ${N}-bit: ${FPCRS.length} FPCR settings x 60 operand sets`, () => {
        const rng = new Rng(0xf9 + N + op.name.length * 7);
        const bad: string[] = [];
        for (const fpcr of FPCRS) {
          for (let k = 0; k < 60; k++) {
            const a = fpElement(rng, N), b = fpElement(rng, N), c = fpElement(rng, N);
            const ctx = new Ctx(fpcrOf(fpcr));
            const want = op.ref(ctx, N, a, b, c);
            const r = one(op.word(N), a, b, c, fpcr);
            const got = op.gpr ? r.x[5] : r.v & ((1n << BigInt(op.out?.(N) ?? N)) - 1n);
            if (got !== want || r.fpsr !== ctx.flags) {
              bad.push(`fpcr ${fpcr.toString(16)} a ${hex(a)} b ${hex(b)} c ${hex(c)}: got ${hex(got)}/${r.fpsr.toString(16)} want ${hex(want)}/${ctx.flags.toString(16)}`);
            }
          }
        }
        expect(bad.slice(0, 10), `${bad.length} mismatches`).toEqual([]);
      });
    }
  }
});

// ---------------------------------------------------------------- the native fast paths
// FADD/FSUB/FMUL (single, double) and FMADD (single, double) take WebAssembly-float fast paths in
// round-to-nearest; random normal operands with near-cancelling addends and few-bit significands
// (exact results) must still give the pseudocode's bits and flags.
describe('round-to-nearest fast paths against the transcribed pseudocode', () => {
  const rnd = (rng: Rng, N: 32 | 64, spread: number): bigint => {
    const Fb = N === 64 ? 52 : 23, B = N === 64 ? 1023 : 127;
    let frac = N === 64 ? rng.u64() & ((1n << 52n) - 1n) : BigInt(rng.u32() & 0x7fffff);
    if (rng.bool(0.3)) frac &= ~((1n << BigInt(rng.int(Fb))) - 1n);
    const e = Math.max(1, Math.min(2 * B, B + rng.range(-spread, spread)));
    return (BigInt(rng.int(2)) << BigInt(N - 1)) | (BigInt(e) << BigInt(Fb)) | frac;
  };
  for (const N of [32, 64] as const) {
    it(`FADD/FMUL/FMADD ${N}-bit: 3000 random operand sets (incl. cancellation)`, () => {
      const rng = new Rng(0xfa57 + N);
      const bad: string[] = [];
      const ft = N === 64 ? 1 : 0;
      for (let k = 0; k < 3000; k++) {
        const spread = rng.pick([2, 30, 200]);
        const a = rnd(rng, N, spread), b = rnd(rng, N, spread);
        let c = rnd(rng, N, spread);
        if (k % 3 === 0) { // c close to -(a*b): massive cancellation in the fused sum
          const p = new Ctx(fpcrOf(0)).mul(a, b, N);
          c = BigInt.asUintN(N, (p ^ (1n << BigInt(N - 1))) + BigInt(rng.range(-2, 2)));
        }
        for (const [name, word, ref] of [
          ['FADD', F.fpDp2(ft, 2, 0, 1, 2), (x: Ctx) => x.add(a, b, N)],
          ['FSUB', F.fpDp2(ft, 3, 0, 1, 2), (x: Ctx) => x.add(a, b, N, true)],
          ['FMUL', F.fpDp2(ft, 0, 0, 1, 2), (x: Ctx) => x.mul(a, b, N)],
          ['FMADD', F.fpDp3(ft, 0, 0, 0, 1, 2, 3), (x: Ctx) => x.mulAdd(c, a, b, N)],
        ] as const) {
          const ctx = new Ctx(fpcrOf(0));
          const want = ref(ctx);
          const r = one(word, a, b, c);
          const got = r.v & ((1n << BigInt(N)) - 1n);
          if (got !== want || r.fpsr !== ctx.flags) bad.push(`${name} ${hex(a)} ${hex(b)} ${hex(c)}: got ${hex(got)}/${r.fpsr} want ${hex(want)}/${ctx.flags}`);
        }
      }
      expect(bad.slice(0, 10), `${bad.length} mismatches`).toEqual([]);
    });
  }
});
