// Advanced SIMD floating point: lane order, pairwise and reduction order (Reduce), narrowing and
// widening halves, round to odd, by-element, step functions, complex arithmetic and the integer
// estimates, with expected values from the Arm ARM pseudocode.
import { describe, expect, it } from 'vitest';
import * as F from '../gen/fpsimd/fpenc';
import { IXC, runFp } from './fp-harness';

const s = (x: number) => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, x); return BigInt(b.getUint32(0)); };
const d = (x: number) => { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, x); return b.getBigUint64(0); };
const vS = (...x: (number | bigint)[]) => x.reduce<bigint>((acc, v, i) => acc | ((typeof v === 'bigint' ? v : s(v)) << BigInt(32 * i)), 0n);
const vD = (...x: number[]) => x.reduce<bigint>((acc, v, i) => acc | (d(v) << BigInt(64 * i)), 0n);
const hex = (v: bigint) => '0x' + v.toString(16);
const QNAN1 = 0x7fc00001n, QNAN2 = 0x7fc00002n;

function run(word: number, v: Record<number, bigint>, fpcr = 0) {
  const r = runFp([word], { v, fpcr });
  return { v0: r.v(0), fpsr: r.fpsr };
}

describe('Advanced SIMD FP', () => {
  it('FCVTZS Hd, Hn, #3 (scalar, fixed point, FEAT_FP16) writes 16 bits and zeroes the rest (Arm ARM: V[d, esize]); QEMU 7.2 writes 32 (0xfffffff3)', () => {
    // 0x5f1dfd6c: FCVTZS H12, H11, #3 (immh:immb = 0011:101, fbits = 32 - 29). H11 = -1.625 (0xbe80): -13.
    const r = runFp([0x5f1dfd6c], { v: { 11: 0xbe80n, 12: -1n } });
    expect(hex(r.v(12))).toBe(hex(0xfff3n));
  });
  it('FADDP (vector) adds adjacent pairs of Vm:Vn, Vn first', () => {
    const r = run(F.v3same(1, 1, 0, 0, 0x1a, 0, 1, 2), { 1: vS(1, 2, 3, 4), 2: vS(10, 20, 30, 40) });
    expect(hex(r.v0)).toBe(hex(vS(3, 7, 30, 70)));
  });
  it('FADD .2S writes 64 bits and zeroes the upper half', () => {
    const r = runFp([F.v3same(0, 0, 0, 0, 0x1a, 0, 1, 2)], { v: { 0: -1n, 1: vS(1, 2, 3, 4), 2: vS(1, 1, 1, 1) } });
    expect(hex(r.v(0))).toBe(hex(vS(2, 3)));
  });
  it('FMAXV reduces as Reduce(): max(max(e0, e1), max(e2, e3)), so the first NaN of the pairs wins', () => {
    const r = run(F.vAcross(1, 1, 0, 0, 0x0f, 0, 1), { 1: vS(1, QNAN1, QNAN2, 5) });
    expect(hex(r.v0)).toBe(hex(QNAN1));
    const m = run(F.vAcross(1, 1, 0, 0, 0x0c, 0, 1), { 1: vS(1, QNAN1, -7, 5) }); // FMAXNMV ignores a quiet NaN
    expect(hex(m.v0)).toBe(hex(s(5)));
  });
  it('FCVTN2 fills the upper half and keeps the lower; FCVTL2 widens the upper half', () => {
    const r = runFp([F.v2misc(1, 0, 0, 1, 0x16, 0, 1)], { v: { 0: vS(7, 8, 9, 9), 1: vD(1.5, -2) } });
    expect(hex(r.v(0))).toBe(hex(vS(7, 8, 1.5, -2)));
    const l = run(F.v2misc(1, 0, 0, 1, 0x17, 0, 1), { 1: vS(1, 2, 0.25, -3) });
    expect(hex(l.v0)).toBe(hex(vD(0.25, -3)));
  });
  it('FCVTXN rounds to odd: 1 + 2^-30 becomes 0x3f800001 with IXC', () => {
    const r = run(F.s2misc(1, 0, 1, 0x16, 0, 1), { 1: d(1 + 2 ** -30) });
    expect([hex(r.v0), r.fpsr]).toEqual(['0x3f800001', IXC]);
  });
  it('FMLA (by element) accumulates Vn * Vm[index] into Vd', () => {
    const r = runFp([F.vElem(1, 0, 2, 1, 3, 0, 1, 2)], { v: { 0: vS(1, 1, 1, 1), 1: vS(1, 2, 3, 4), 2: vS(0, 0, 0, 10) } });
    expect(hex(r.v(0))).toBe(hex(vS(11, 21, 31, 41)));
  });
  it('FRECPS is 2 - a*b (2.0 for inf * 0); FRSQRTS is (3 - a*b) / 2 (1.5 for inf * 0)', () => {
    expect(hex(run(F.s3same(0, 0, 0, 0x1f, 0, 1, 2), { 1: s(2), 2: s(0.75) }).v0)).toBe(hex(s(0.5)));
    expect(hex(run(F.s3same(0, 0, 0, 0x1f, 0, 1, 2), { 1: 0x7f800000n, 2: 0n }).v0)).toBe(hex(s(2)));
    expect(hex(run(F.s3same(0, 1, 0, 0x1f, 0, 1, 2), { 1: s(1), 2: s(1) }).v0)).toBe(hex(s(1)));
    expect(hex(run(F.s3same(0, 1, 0, 0x1f, 0, 1, 2), { 1: 0n, 2: 0xff800000n }).v0)).toBe(hex(s(1.5)));
  });
  it('FABD is |a - b|, also clearing a NaN result\'s sign', () => {
    expect(hex(run(F.s3same(1, 1, 0, 0x1a, 0, 1, 2), { 1: s(1), 2: s(4) }).v0)).toBe(hex(s(3)));
    expect(hex(run(F.s3same(1, 1, 0, 0x1a, 0, 1, 2), { 1: 0xffc00005n, 2: s(4) }).v0)).toBe('0x7fc00005');
  });
  it('FCADD #90: (n.re - m.im, n.im + m.re); FCMLA #90: d.re += n.im * -m.im, d.im += n.im * m.re', () => {
    expect(hex(run(F.fcadd(0, 2, 0, 0, 1, 2), { 1: vS(1, 2), 2: vS(10, 20) }).v0)).toBe(hex(vS(-19, 12)));
    const r = runFp([F.fcmla(0, 2, 1, 0, 1, 2)], { v: { 0: vS(100, 200), 1: vS(1, 2), 2: vS(10, 20) } });
    expect(hex(r.v(0))).toBe(hex(vS(100 - 2 * 20, 200 + 2 * 10)));
  });
  it('FCMGT #0 gives all-ones lanes; a NaN lane is false with IOC', () => {
    const r = run(F.v2misc(1, 0, 1, 0, 0x0c, 0, 1), { 1: vS(1, -1, 0, QNAN1) });
    expect(hex(r.v0)).toBe(hex(0xffffffffn));
    expect(r.fpsr).toBe(1);
  });
  it('URSQRTE: 0x40000000 → RecipSqrtEstimate(128): a = 257, b stops at 1022 (257 * 1023^2 >= 2^28), r = 511 → 0xff800000; below 2^30 all ones', () => {
    const r = run(F.v2misc(0, 1, 1, 0, 0x1c, 0, 1), { 1: vS(0x40000000n, 0x3fffffffn) });
    expect(hex(r.v0)).toBe(hex(vS(0xff800000n, 0xffffffffn)));
  });
  it('SCVTF (vector, fixed point #4): integers scaled by 2^-4', () => {
    const r = run(F.vShiftCvt(1, 0, 32, 4, 0x1c, 0, 1), { 1: vS(16n, 0xfffffff8n, 1n, 0n) });
    expect(hex(r.v0)).toBe(hex(vS(1, -0.5, 0.0625, 0)));
  });
});
