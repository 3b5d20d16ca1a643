// Random encoding generators for the floating-point instructions (scalar FP classes and the FP
// forms of Advanced SIMD), for the random differential test (./random-fpsimd.ts). Every word is a
// valid encoding under the register conventions of ./types.ts.
import * as F from './fpenc';
import type { EncodingClass, Prng } from './types';

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

export const FP_CLASSES: EncodingClass[] = [...FP_SCALAR_CLASSES];
