// Random encoding generators for the floating-point instructions (scalar FP classes and the FP
// forms of Advanced SIMD), for the random differential test (./random-fpsimd.ts). Every word is a
// valid encoding under the register conventions of ./types.ts.
import * as F from './fpenc';
import type { EncodingClass } from './types';
import type { Rng as Prng } from '../prng';

const v = (r: Prng) => r.int(32);
const ft = (r: Prng) => r.pick([0, 1, 3, 0, 1]);
/** General register: X0..X27 or XZR. */
const xr = (r: Prng) => (r.bool(0.05) ? 31 : r.int(28));

export const FP_SCALAR_CLASSES: EncodingClass[] = [
  { name: 'fp-dp2', gen: (r) => F.fpDp2(ft(r), r.int(9), v(r), v(r), v(r)) },
  { name: 'fp-dp3', gen: (r) => F.fpDp3(ft(r), r.int(2), r.int(2), v(r), v(r), v(r), v(r)) },
  {
    name: 'fp-dp1',
    gen: (r) => {
      const t = ft(r);
      const ops = [0, 1, 2, 3, 8, 9, 10, 11, 12, 14, 15];
      if (t !== 3) ops.push(16, 17, 18, 19);
      for (const to of [4, 5, 7]) if ((to === 4 ? 0 : to === 5 ? 1 : 3) !== t) ops.push(to, to);
      return F.fpDp1(t, r.pick(ops), v(r), v(r));
    },
  },
  { name: 'fp-cmp', gen: (r) => F.fcmp(ft(r), v(r), v(r), r.int(2), r.int(2)) },
  { name: 'fp-ccmp', gen: (r) => F.fccmp(ft(r), v(r), v(r), r.int(16), r.int(16), r.int(2)) },
  { name: 'fp-csel', gen: (r) => F.fcsel(ft(r), v(r), v(r), v(r), r.int(16)) },
  { name: 'fp-imm', gen: (r) => F.fmovImm(ft(r), v(r), r.int(256)) },
  {
    name: 'fp-toint',
    gen: (r) => (r.bool(0.8) ? F.fpInt(r.int(2), ft(r), r.int(4), r.int(2), xr(r), v(r)) : F.fpInt(r.int(2), ft(r), 0, 4 + r.int(2), xr(r), v(r))),
  },
  { name: 'fp-fromint', gen: (r) => F.fpInt(r.int(2), ft(r), 0, 2 + r.int(2), v(r), xr(r)) },
  {
    name: 'fp-fixed',
    gen: (r) => {
      const sf = r.int(2);
      const scale = sf ? r.int(64) : 32 + r.int(32);
      return r.bool() ? F.fpFixed(sf, ft(r), 3, r.int(2), scale, xr(r), v(r)) : F.fpFixed(sf, ft(r), 0, 2 + r.int(2), scale, v(r), xr(r));
    },
  },
  {
    name: 'fp-fmov-gen',
    gen: (r) => {
      const k = r.int(4);
      const opc = 6 + r.int(2);
      const [sf, t, rmode] = k === 0 ? [0, 0, 0] : k === 1 ? [1, 1, 0] : k === 2 ? [r.int(2), 3, 0] : [1, 2, 1];
      return opc === 6 ? F.fpInt(sf, t, rmode, 6, xr(r), v(r)) : F.fpInt(sf, t, rmode, 7, v(r), xr(r));
    },
  },
  { name: 'fp-fjcvtzs', gen: (r) => F.fjcvtzs(xr(r), v(r)) },
];

// Three same (U, a, opcode<2:0>) that exist, and those with a scalar form.
const THREE: [number, number, number][] = [
  [0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 0, 3], [0, 0, 4], [0, 0, 6], [0, 0, 7],
  [0, 1, 0], [0, 1, 1], [0, 1, 2], [0, 1, 6], [0, 1, 7],
  [1, 0, 0], [1, 0, 2], [1, 0, 3], [1, 0, 4], [1, 0, 5], [1, 0, 6], [1, 0, 7],
  [1, 1, 0], [1, 1, 2], [1, 1, 4], [1, 1, 5], [1, 1, 6],
];
const THREE_SCALAR: [number, number, number][] = [[0, 0, 3], [0, 0, 4], [0, 0, 7], [0, 1, 7], [1, 1, 2], [1, 0, 4], [1, 0, 5], [1, 1, 4], [1, 1, 5]];
// Two-register misc (U, a, opcode) with a vector form (single/double; FP16 where marked h).
const MISC: [number, number, number, boolean][] = [
  [0, 0, 0x18, true], [0, 0, 0x19, true], [0, 0, 0x1a, true], [0, 0, 0x1b, true], [0, 0, 0x1c, true], [0, 0, 0x1d, true], [0, 0, 0x1e, false], [0, 0, 0x1f, false],
  [0, 1, 0x0c, true], [0, 1, 0x0d, true], [0, 1, 0x0e, true], [0, 1, 0x0f, true], [0, 1, 0x18, true], [0, 1, 0x19, true], [0, 1, 0x1a, true], [0, 1, 0x1b, true], [0, 1, 0x1d, true],
  [1, 0, 0x18, true], [1, 0, 0x19, true], [1, 0, 0x1a, true], [1, 0, 0x1b, true], [1, 0, 0x1c, true], [1, 0, 0x1d, true], [1, 0, 0x1e, false], [1, 0, 0x1f, false],
  [1, 1, 0x0c, true], [1, 1, 0x0d, true], [1, 1, 0x0f, true], [1, 1, 0x19, true], [1, 1, 0x1a, true], [1, 1, 0x1b, true], [1, 1, 0x1d, true], [1, 1, 0x1f, true],
];
const MISC_SCALAR: [number, number, number][] = [
  [0, 0, 0x1a], [0, 0, 0x1b], [0, 0, 0x1c], [0, 0, 0x1d], [0, 1, 0x0c], [0, 1, 0x0d], [0, 1, 0x0e], [0, 1, 0x1a], [0, 1, 0x1b], [0, 1, 0x1d], [0, 1, 0x1f],
  [1, 0, 0x1a], [1, 0, 0x1b], [1, 0, 0x1c], [1, 0, 0x1d], [1, 1, 0x0c], [1, 1, 0x0d], [1, 1, 0x1a], [1, 1, 0x1b], [1, 1, 0x1d],
];

export const FP_VECTOR_CLASSES: EncodingClass[] = [
  {
    name: 'fpv-3same',
    gen: (r) => {
      const [U, a, o] = r.pick(THREE);
      if (r.bool(0.3)) return F.v3sameH(r.int(2), U, a, o, v(r), v(r), v(r));
      const sz = r.int(2);
      return F.v3same(sz ? 1 : r.int(2), U, a, sz, 0x18 | o, v(r), v(r), v(r));
    },
  },
  {
    name: 'fpv-3same-scalar',
    gen: (r) => {
      const [U, a, o] = r.pick(THREE_SCALAR);
      return r.bool(0.3) ? F.s3sameH(U, a, o, v(r), v(r), v(r)) : F.s3same(U, a, r.int(2), 0x18 | o, v(r), v(r), v(r));
    },
  },
  {
    name: 'fpv-2misc',
    gen: (r) => {
      const k = r.int(20);
      if (k === 0) return F.v2misc(r.int(2), 0, 0, r.int(2), 0x16, v(r), v(r)); // FCVTN{2}
      if (k === 1) return F.v2misc(r.int(2), 1, 0, 1, 0x16, v(r), v(r)); // FCVTXN{2}
      if (k === 2) return F.v2misc(r.int(2), 0, 0, r.int(2), 0x17, v(r), v(r)); // FCVTL{2}
      if (k === 3) return F.v2misc(r.int(2), r.int(2), 1, 0, 0x1c, v(r), v(r)); // URECPE, URSQRTE
      const [U, a, o, h] = r.pick(MISC);
      if (h && r.bool(0.3)) return F.v2miscH(r.int(2), U, a, o, v(r), v(r));
      const sz = r.int(2);
      return F.v2misc(sz ? 1 : r.int(2), U, a, sz, o, v(r), v(r));
    },
  },
  {
    name: 'fpv-2misc-scalar',
    gen: (r) => {
      if (r.int(12) === 0) return F.s2misc(1, 0, 1, 0x16, v(r), v(r)); // FCVTXN
      const [U, a, o] = r.pick(MISC_SCALAR);
      return r.bool(0.3) ? F.s2miscH(U, a, o, v(r), v(r)) : F.s2misc(U, a, r.int(2), o, v(r), v(r));
    },
  },
  {
    name: 'fpv-across-pairwise',
    gen: (r) => {
      const a = r.int(2);
      if (r.bool()) { // FMAXNMV/FMINNMV/FMAXV/FMINV
        const opc = r.pick([0x0c, 0x0f]);
        return r.bool() ? F.vAcross(1, 1, a, 0, opc, v(r), v(r)) : F.vAcross(r.int(2), 0, a, 0, opc, v(r), v(r));
      }
      const opc = r.pick([0x0c, 0x0d, 0x0f]);
      const aa = opc === 0x0d ? 0 : a;
      return r.bool() ? F.sPair(1, aa, r.int(2), opc, v(r), v(r)) : F.sPair(0, aa, 0, opc, v(r), v(r));
    },
  },
  {
    name: 'fpv-elem',
    gen: (r) => {
      const [U, opc] = r.pick([[0, 1], [0, 5], [0, 9], [1, 9]]);
      const size = r.pick([0, 2, 3]);
      const scalar = r.int(3) === 0 ? 1 : 0;
      const Q = size === 3 && !scalar ? 1 : r.int(2);
      const index = r.int(size === 0 ? 8 : size === 2 ? 4 : 2);
      return F.vElem(Q, U, size, opc, index, v(r), v(r), size === 0 ? r.int(16) : v(r), scalar);
    },
  },
  {
    name: 'fpv-fixed',
    gen: (r) => {
      const scalar = r.int(3) === 0 ? 1 : 0;
      // Not the scalar half-precision forms: QEMU 7.2 writes their result as 32 bits (S register),
      // the Arm ARM as 16 (H register, upper bits zeroed); test/core/fp-vector.test.ts names it.
      const esize = scalar ? r.pick([32, 64]) : r.pick([16, 32, 64]);
      const Q = esize === 64 && !scalar ? 1 : r.int(2);
      return F.vShiftCvt(Q, r.int(2), esize, 1 + r.int(esize), r.pick([0x1c, 0x1f]), v(r), v(r), scalar);
    },
  },
  {
    name: 'fpv-complex',
    gen: (r) => {
      const k = r.int(3);
      if (k === 2) {
        if (r.bool()) { const Q = r.int(2); return F.fcmlaElem(Q, 1, r.int(4), r.int(Q ? 4 : 2), v(r), v(r), v(r)); }
        return F.fcmlaElem(1, 2, r.int(4), r.int(2), v(r), v(r), v(r));
      }
      const size = 1 + r.int(3);
      const Q = size === 3 ? 1 : r.int(2);
      return k === 0 ? F.fcmla(Q, size, r.int(4), v(r), v(r), v(r)) : F.fcadd(Q, size, r.int(2), v(r), v(r), v(r));
    },
  },

  {
    // The estimate and step instructions, often enough to meet every exponent parity and range.
    name: 'fpv-estimate',
    gen: (r) => {
      const k = r.int(6);
      const sz = r.int(2);
      if (k === 0) return r.bool(0.3) ? F.s2miscH(r.int(2), 1, 0x1d, v(r), v(r)) : F.s2misc(r.int(2), 1, sz, 0x1d, v(r), v(r)); // FRECPE/FRSQRTE
      if (k === 1) return r.bool(0.3) ? F.v2miscH(r.int(2), r.int(2), 1, 0x1d, v(r), v(r)) : F.v2misc(sz ? 1 : r.int(2), r.int(2), 1, sz, 0x1d, v(r), v(r));
      if (k === 2) return r.bool(0.3) ? F.s2miscH(0, 1, 0x1f, v(r), v(r)) : F.s2misc(0, 1, sz, 0x1f, v(r), v(r)); // FRECPX
      if (k === 3) return F.v2misc(r.int(2), r.int(2), 1, 0, 0x1c, v(r), v(r)); // URECPE/URSQRTE
      if (k === 4) return r.bool(0.3) ? F.s3sameH(0, r.int(2), 7, v(r), v(r), v(r)) : F.s3same(0, r.int(2), sz, 0x1f, v(r), v(r), v(r)); // FRECPS/FRSQRTS
      return F.v3same(sz ? 1 : r.int(2), 0, r.int(2), sz, 0x1f, v(r), v(r), v(r));
    },
  },
];

export const FP_CLASSES: EncodingClass[] = [...FP_SCALAR_CLASSES, ...FP_VECTOR_CLASSES];
