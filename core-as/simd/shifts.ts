// Integer shift helpers shared by the shift-by-register and shift-by-immediate ops (Arm ARM
// SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL and the immediate forms): the pseudocode shifts
// an unbounded integer, so the helpers below compute the same value without overflowing.
import { emask, setQC, sx } from './vreg';

/** Right shift by n >= 1 (arithmetic), rounding to nearest (ties up) when `round`. */
@inline export function sshr(v: i64, n: u32, round: bool): i64 {
  const r = v >> (n > 63 ? 63 : n);
  if (!round) return r;
  return r + ((v >> (n - 1 > 63 ? 63 : n - 1)) & 1);
}
/** Right shift by n >= 1 (logical), rounding when `round`. */
@inline export function ushr(v: u64, n: u32, round: bool): u64 {
  const r: u64 = n >= 64 ? 0 : v >> n;
  if (!round) return r;
  return r + (n - 1 >= 64 ? 0 : (v >> (n - 1)) & 1);
}

/** Saturating left shift of a signed element by s (0..127) to a signed result. */
export function sqshl(v: i64, s: u32, esz: u32): u64 {
  if (v == 0) return 0;
  const bits: u32 = 8 << esz;
  const max: i64 = esz == 3 ? 0x7fff_ffff_ffff_ffff : (<i64>1 << (bits - 1)) - 1;
  const sat: u64 = v < 0 ? <u64>(-max - 1) : <u64>max;
  if (s >= bits) { setQC(); return sat; }
  const r = v << s;
  if ((r >> s) != v || (esz < 3 && (r > max || r < -max - 1))) { setQC(); return sat; }
  return <u64>r;
}
/** Saturating left shift of an unsigned element by s (0..127). */
export function uqshl(v: u64, s: u32, esz: u32): u64 {
  if (v == 0) return 0;
  const bits: u32 = 8 << esz;
  const m = emask(esz);
  if (s >= bits) { setQC(); return m; }
  const r = v << s;
  if ((r >> s) != v || r > m) { setQC(); return m; }
  return r;
}
/** Signed input, unsigned saturation (SQSHLU). */
export function sqshlu(v: i64, s: u32, esz: u32): u64 {
  if (v < 0) { setQC(); return 0; }
  return uqshl(<u64>v, s, esz);
}

/**
 * Shift by register (element b's low byte is a signed shift count): SSHL/USHL (neither rounding
 * nor saturating), SRSHL/URSHL (rounding), SQSHL/UQSHL (saturating), SQRSHL/UQRSHL (both).
 */
export function shiftReg(a: u64, b: u64, esz: u32, signed: bool, round: bool, sat: bool): u64 {
  const s = <i32><i8>(<u8>b);
  const bits: u32 = 8 << esz;
  if (s >= 0) {
    if (sat) return signed ? sqshl(sx(a, esz), s, esz) : uqshl(a & emask(esz), s, esz);
    return s >= <i32>bits ? 0 : a << s;
  }
  const n = <u32>(-s);
  if (signed) return <u64>sshr(sx(a, esz), n, round);
  return ushr(a & emask(esz), n, round);
}
