// v128 fast paths for the common vector three-same ops of 8/16/32-bit lanes (max/min, compares,
// MUL, saturating add/sub with QC, URHADD): one WebAssembly SIMD instruction per op instead of
// the per-element engine. Returns false for what it does not cover (the engine then runs).
import { setQC, vreg } from './vreg';

@inline function put(d: u32, r: v128, q: bool): void {
  const a = vreg(d);
  v128.store(a, r);
  if (!q) store<u64>(a, 0, 8);
}

/** Saturating result r against the wrapping one w: any difference sets FPSR.QC. */
@inline function sat(r: v128, w: v128): v128 {
  if (v128.any_true(v128.xor(r, w))) setQC();
  return r;
}

export function fastSame3(sub: u32, esz: u32, d: u32, n: u32, m: u32, q: bool): bool {
  if (esz > 2) return false;
  const a = v128.load(vreg(n)), b = v128.load(vreg(m));
  let r: v128;
  if (esz == 0) {
    switch (sub) {
      case 0x0c: r = i8x16.max_s(a, b); break;
      case 0x2c: r = i8x16.max_u(a, b); break;
      case 0x0d: r = i8x16.min_s(a, b); break;
      case 0x2d: r = i8x16.min_u(a, b); break;
      case 0x06: r = i8x16.gt_s(a, b); break;
      case 0x26: r = i8x16.gt_u(a, b); break;
      case 0x07: r = i8x16.ge_s(a, b); break;
      case 0x27: r = i8x16.ge_u(a, b); break;
      case 0x11: r = v128.not(i8x16.eq(v128.and(a, b), i64x2.splat(0))); break; // CMTST
      case 0x22: r = i8x16.avgr_u(a, b); break; // URHADD
      case 0x01: r = sat(i8x16.add_sat_s(a, b), i8x16.add(a, b)); break;
      case 0x21: r = sat(i8x16.add_sat_u(a, b), i8x16.add(a, b)); break;
      case 0x05: r = sat(i8x16.sub_sat_s(a, b), i8x16.sub(a, b)); break;
      case 0x25: r = sat(i8x16.sub_sat_u(a, b), i8x16.sub(a, b)); break;
      default: return false;
    }
  } else if (esz == 1) {
    switch (sub) {
      case 0x0c: r = i16x8.max_s(a, b); break;
      case 0x2c: r = i16x8.max_u(a, b); break;
      case 0x0d: r = i16x8.min_s(a, b); break;
      case 0x2d: r = i16x8.min_u(a, b); break;
      case 0x06: r = i16x8.gt_s(a, b); break;
      case 0x26: r = i16x8.gt_u(a, b); break;
      case 0x07: r = i16x8.ge_s(a, b); break;
      case 0x27: r = i16x8.ge_u(a, b); break;
      case 0x11: r = v128.not(i16x8.eq(v128.and(a, b), i64x2.splat(0))); break;
      case 0x13: r = i16x8.mul(a, b); break;
      case 0x22: r = i16x8.avgr_u(a, b); break;
      case 0x01: r = sat(i16x8.add_sat_s(a, b), i16x8.add(a, b)); break;
      case 0x21: r = sat(i16x8.add_sat_u(a, b), i16x8.add(a, b)); break;
      case 0x05: r = sat(i16x8.sub_sat_s(a, b), i16x8.sub(a, b)); break;
      case 0x25: r = sat(i16x8.sub_sat_u(a, b), i16x8.sub(a, b)); break;
      default: return false;
    }
  } else {
    switch (sub) {
      case 0x0c: r = i32x4.max_s(a, b); break;
      case 0x2c: r = i32x4.max_u(a, b); break;
      case 0x0d: r = i32x4.min_s(a, b); break;
      case 0x2d: r = i32x4.min_u(a, b); break;
      case 0x06: r = i32x4.gt_s(a, b); break;
      case 0x26: r = i32x4.gt_u(a, b); break;
      case 0x07: r = i32x4.ge_s(a, b); break;
      case 0x27: r = i32x4.ge_u(a, b); break;
      case 0x11: r = v128.not(i32x4.eq(v128.and(a, b), i64x2.splat(0))); break;
      case 0x13: r = i32x4.mul(a, b); break;
      default: return false;
    }
  }
  put(d, r, q);
  return true;
}
