// Fast paths with WebAssembly's own f32/f64 arithmetic, used only in round-to-nearest and only when
// they provably give the architected result and flags: normal operands, a normal result far
// enough from the underflow threshold that neither UFC nor FZ can apply, no overflow, and an exact
// inexactness test (TwoSum for sums; the operands' significant bits for products; f64 holds every
// f32 product exactly, and f64-then-f32 rounding of a sum is correct since 53 >= 2*24 + 2).
// fastOk tells the caller whether the result is valid; otherwise it takes the software path.
import { IXC, raise } from './fpsr';

export let fastOk: bool = false;

@inline function normalD(v: u64): bool { return ((v >> 52) & 0x7ff) - 1 < 0x7fe; }
@inline function normalS(v: u32): bool { return ((v >> 23) & 0xff) - 1 < 0xfe; }

export function fastAddD(a: u64, b: u64): u64 {
  fastOk = false;
  if (!normalD(a) || !normalD(b)) return 0;
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
  const s = x + y;
  const r = reinterpret<u64>(s);
  if (!normalD(r)) return 0;
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  if (err != 0) raise(IXC);
  fastOk = true;
  return r;
}

export function fastMulD(a: u64, b: u64): u64 {
  fastOk = false;
  if (!normalD(a) || !normalD(b)) return 0;
  const p = reinterpret<f64>(a) * reinterpret<f64>(b);
  const r = reinterpret<u64>(p);
  const er = (r >> 52) & 0x7ff;
  if (er < 2 || er == 0x7ff) return 0;
  const ma = (a & 0xfffffffffffff) | 0x10000000000000, mb = (b & 0xfffffffffffff) | 0x10000000000000;
  const za = ctz(ma), zb = ctz(mb);
  const len = <i32>(106 - za - zb);
  let inexact = len > 54;
  if (len == 54) inexact = (ma >> za) * (mb >> zb) >= (<u64>1 << 53);
  if (inexact) raise(IXC);
  fastOk = true;
  return r;
}

export function fastAddS(a: u32, b: u32): u32 {
  fastOk = false;
  if (!normalS(a) || !normalS(b)) return 0;
  const x = <f64>reinterpret<f32>(a), y = <f64>reinterpret<f32>(b);
  const s = x + y;
  const r32 = <f32>s;
  const r = reinterpret<u32>(r32);
  if (!normalS(r)) return 0;
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  if (err != 0 || <f64>r32 != s) raise(IXC);
  fastOk = true;
  return r;
}

const TINY_S: f64 = 1.1754943508222875e-38; // 2^-126

export function fastMulS(a: u32, b: u32): u32 {
  fastOk = false;
  if (!normalS(a) || !normalS(b)) return 0;
  const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b); // exact
  if (Math.abs(p) < TINY_S) return 0;
  const r32 = <f32>p;
  const r = reinterpret<u32>(r32);
  if (((r >> 23) & 0xff) == 0xff) return 0;
  if (<f64>r32 != p) raise(IXC);
  fastOk = true;
  return r;
}

/** c + a * b (single precision, fused). */
export function fastFmaS(c: u32, a: u32, b: u32): u32 {
  fastOk = false;
  if (!normalS(a) || !normalS(b) || !normalS(c)) return 0;
  const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b); // exact
  const z = <f64>reinterpret<f32>(c);
  const s = p + z;
  if (!(Math.abs(s) > TINY_S)) return 0;
  const bb = s - p;
  const err = (p - (s - bb)) + (z - bb);
  const sb = reinterpret<u64>(s);
  if (err != 0 && (sb & 0x1fffffff) == 0x10000000) return 0; // s on a single-precision midpoint
  const r32 = <f32>s;
  const r = reinterpret<u32>(r32);
  if (((r >> 23) & 0xff) == 0xff) return 0;
  if (err != 0 || <f64>r32 != s) raise(IXC);
  fastOk = true;
  return r;
}

/** An exponent (unbiased) within +-450: products and their splits stay far from overflow/underflow. */
@inline function moderateD(v: u64): bool { return <u32>(((v >> 52) & 0x7ff) - (1023 - 450)) <= 900; }

/**
 * c + a * b (double precision, fused) without a hardware FMA (Boldo & Melquiond, "Emulation of FMA
 * and correctly rounded sums: proved algorithms using rounding to odd"): the exact product
 * ph + pl (Dekker with Veltkamp splitting), (th, tl) = TwoSum(c, ph), v = RoundToOdd(tl + pl),
 * result = RN(th + v). Only for moderate exponents (every intermediate normal, nothing overflows);
 * exact iff both additions were exact.
 */
export function fastFmaD(c: u64, a: u64, b: u64): u64 {
  fastOk = false;
  if (!moderateD(a) || !moderateD(b) || !moderateD(c)) return 0;
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b), z = reinterpret<f64>(c);
  const SPLIT: f64 = 134217729.0; // 2^27 + 1
  let g = SPLIT * x;
  const xh = g - (g - x), xl = x - xh;
  g = SPLIT * y;
  const yh = g - (g - y), yl = y - yh;
  const ph = x * y;
  const pl = ((xh * yh - ph) + xh * yl + xl * yh) + xl * yl;
  // (th, tl) = TwoSum(z, ph)
  const th = z + ph;
  let bb = th - z;
  const tl = (z - (th - bb)) + (ph - bb);
  // v = RoundToOdd(tl + pl)
  let v = tl + pl;
  bb = v - tl;
  const e1 = (tl - (v - bb)) + (pl - bb);
  if (e1 != 0) {
    let vb = reinterpret<u64>(v);
    if (v == 0) return 0;
    if ((vb & 1) == 0) {
      vb = (e1 > 0) == (v > 0) ? vb + 1 : vb - 1;
      v = reinterpret<f64>(vb);
    }
  }
  const r = th + v;
  const rb = reinterpret<u64>(r);
  const er = (rb >> 52) & 0x7ff;
  if (er < 64 || er == 0x7ff) return 0; // far from the underflow threshold; finite
  bb = r - th;
  const e2 = (th - (r - bb)) + (v - bb);
  if (e1 != 0 || e2 != 0) raise(IXC);
  fastOk = true;
  return rb;
}
