// FPConvert (with FPConvertNaN), FPToFixed, FixedToFP, FPRoundInt, FPRoundIntN and FPToFixedJS
// (Arm ARM shared pseudocode).
import { bias, fpDefaultNaN, fpInfinity, fpZero, fracBits, mask } from './format';
import { FPCR_AHP, FPCR_DN, IOC, IXC, RA, RM, RN, RP, RZ, raise } from './fpsr';
import {
  T_INF, T_QNAN, T_SNAN, T_ZERO, processNaN, roundPack, roundPackCV, uE, uM, uS, uT, unpack, unpackCV,
} from './sf-core';

/** FPConvertNaN from N to M bits: quiet, payload kept left-aligned. */
function convertNaN(v: u64, N: u32, M: u32): u64 {
  const sign = (v >> <u64>(N - 1)) & 1;
  const fN = fracBits(N), fM = fracBits(M);
  let payload = v & ((<u64>1 << <u64>(fN - 1)) - 1); // fraction below the quiet bit
  if (fM > fN) payload <<= <u64>(fM - fN);
  else payload >>= <u64>(fN - fM);
  return (sign << <u64>(M - 1)) | fpDefaultNaN(M) | payload;
}

/** FPConvert: N-bit to M-bit floating point. */
export function fpConvert(v: u64, N: u32, M: u32, fpcr: u32, rm: u32): u64 {
  unpackCV(v, N, fpcr);
  const altHP = M == 16 && (fpcr & FPCR_AHP) != 0;
  const t = uT, s = uS;
  if (t == T_QNAN || t == T_SNAN) {
    let r: u64;
    if (altHP) r = fpZero(s, M);
    else if ((fpcr & FPCR_DN) != 0) r = fpDefaultNaN(M);
    else r = convertNaN(v, N, M);
    if (t == T_SNAN || altHP) raise(IOC);
    return r;
  }
  if (t == T_INF) {
    if (altHP) { raise(IOC); return fpZero(s, M) | (mask(M) >> 1); }
    return fpInfinity(s, M);
  }
  if (t == T_ZERO) return fpZero(s, M);
  return roundPackCV(s, uE, uM, M, fpcr, rm);
}

/** Rounds |value| = m * 2^(e - 62) to an integer magnitude; rIncr/rInexact describe the rounding. */
let rInexact: bool = false;
let rOverflow: bool = false; // the magnitude does not fit in 64 bits
function roundToIntMag(sign: u32, e: i32, m: u64, rm: u32): u64 {
  rInexact = false; rOverflow = false;
  if (e >= 64) { rOverflow = true; return 0; }
  let ip: u64, frac: u64; // integer part, fraction as a 64-bit binary fraction (with sticky)
  if (e >= 62) { ip = m << <u64>(e - 62); frac = 0; }
  else if (e >= -1) {
    const sh = <u64>(62 - e); // 1..63
    ip = m >> sh;
    frac = m << (<u64>64 - sh); // top bit = first fraction bit
  } else {
    ip = 0;
    // value < 0.5: fraction = m >> (-e - 1) relative to a 64-bit fraction; only "below half" matters
    frac = 1; // nonzero, below one half
  }
  if (frac == 0) return ip;
  rInexact = true;
  const half: u64 = <u64>1 << 63;
  let up = false;
  if (rm == RN) up = frac > half || (frac == half && (ip & 1) != 0);
  else if (rm == RA) up = frac >= half;
  else if (rm == RP) up = sign == 0;
  else if (rm == RM) up = sign != 0;
  if (up) {
    ip++;
    if (ip == 0) rOverflow = true;
  }
  return ip;
}

/**
 * FPToFixed: N-bit float to an M-bit (32 or 64) signed or unsigned integer with fbits fraction bits.
 */
export function fpToFixed(v: u64, N: u32, fbits: u32, unsigned: bool, M: u32, fpcr: u32, rm: u32): u64 {
  unpack(v, N, fpcr);
  const t = uT, s = uS;
  if (t == T_QNAN || t == T_SNAN) { raise(IOC); return 0; }
  if (t == T_ZERO) return 0;
  let mag: u64 = 0;
  let ovf = false;
  if (t == T_INF) ovf = true;
  else {
    mag = roundToIntMag(s, uE + <i32>fbits, uM, rm);
    ovf = rOverflow;
  }
  // SatQ
  if (!ovf) {
    if (unsigned) {
      if (s != 0 && mag != 0) ovf = true;
      else if (M < 64 && mag > mask(M)) ovf = true;
    } else {
      const lim: u64 = <u64>1 << <u64>(M - 1); // magnitude limit: 2^(M-1) - 1 or 2^(M-1)
      if (s != 0 ? mag > lim : mag >= lim) ovf = true;
    }
  }
  if (ovf) {
    raise(IOC);
    if (unsigned) return s != 0 ? 0 : mask(M);
    return s != 0 ? (<u64>1 << <u64>(M - 1)) : (<u64>1 << <u64>(M - 1)) - 1;
  }
  if (rInexact) raise(IXC);
  if (s != 0 && !unsigned) return (0 - mag) & mask(M);
  return mag;
}

/** FixedToFP: an M-bit integer with fbits fraction bits to an N-bit float. */
export function fixedToFp(x: u64, M: u32, fbits: u32, unsigned: bool, N: u32, fpcr: u32, rm: u32): u64 {
  if (M < 64) x = unsigned ? (x & mask(M)) : <u64>((<i64>(x << <u64>(64 - M))) >> <i64>(64 - M));
  let s: u32 = 0;
  if (!unsigned && <i64>x < 0) { s = 1; x = 0 - x; }
  if (x == 0) return 0;
  return roundPack(s, 62 - <i32>fbits, x, N, fpcr, rm);
}

/** FPRoundInt (exact: FRINTX raises Inexact). */
export function fpRoundInt(v: u64, N: u32, fpcr: u32, rm: u32, exact: bool): u64 {
  unpack(v, N, fpcr);
  const t = uT, s = uS;
  if (t == T_QNAN || t == T_SNAN) return processNaN(t, v, N, fpcr);
  if (t == T_INF) return fpInfinity(s, N);
  if (t == T_ZERO) return fpZero(s, N);
  if (uE >= <i32>fracBits(N)) return v; // already an integer
  const mag = roundToIntMag(s, uE, uM, rm);
  if (rInexact && exact) raise(IXC);
  if (mag == 0) return fpZero(s, N);
  return roundPack(s, 62, mag, N, fpcr, RZ);
}

/** FPRoundIntN: FRINT32* / FRINT64* (intsize 32 or 64). */
export function fpRoundIntN(v: u64, N: u32, fpcr: u32, rm: u32, intsize: u32): u64 {
  unpack(v, N, fpcr);
  const t = uT, s = uS;
  const minInt: u64 = fpZero(1, N) | (<u64>(<i32>intsize - 1 + bias(N)) << <u64>fracBits(N)); // -2^(intsize-1)
  if (t == T_QNAN || t == T_SNAN || t == T_INF) { raise(IOC); return minInt; }
  if (t == T_ZERO) return fpZero(s, N);
  const mag = roundToIntMag(s, uE, uM, rm);
  const lim: u64 = <u64>1 << <u64>(intsize - 1);
  if (rOverflow || (s != 0 ? mag > lim : mag >= lim)) { raise(IOC); return minInt; }
  if (rInexact) raise(IXC);
  if (mag == 0) return fpZero(s, N);
  return roundPack(s, 62, mag, N, fpcr, RZ);
}

/** FPToFixedJS (FJCVTZS): the low 32 bits of the truncated integer; jsZ receives the Z flag. */
export let jsZ: u32 = 0;
export function fpToFixedJS(v: u64, fpcr: u32): u64 {
  unpack(v, 64, fpcr);
  const t = uT, s = uS;
  jsZ = 1;
  if (t == T_QNAN || t == T_SNAN) { raise(IOC); jsZ = 0; return 0; }
  if (t == T_INF) { raise(IOC); jsZ = 0; return 0; }
  if (t == T_ZERO) {
    // -0.0, or a denormal flushed to zero: not an exact +0 conversion
    if (s != 0 || (v & 0xfffffffffffff) != 0) jsZ = 0;
    return 0;
  }
  const e = uE, m = uM;
  let low: u64; // low 64 bits of the truncated magnitude
  let big = false; // magnitude >= 2^64
  let inexact = false;
  if (e >= 64) { big = true; low = e - 62 >= 64 ? 0 : m << <u64>(e - 62); }
  else if (e >= 62) low = m << <u64>(e - 62);
  else if (e >= 0) { low = m >> <u64>(62 - e); inexact = (m << <u64>(e + 2)) != 0; }
  else { low = 0; inexact = true; }
  const r32 = s != 0 ? (0 - low) & 0xffffffff : low & 0xffffffff;
  const tooBig = big || (s != 0 ? low > 0x80000000 : low > 0x7fffffff);
  if (tooBig) { raise(IOC); jsZ = 0; }
  else if (inexact) { raise(IXC); jsZ = 0; }
  return r32;
}

export { RA, RN };
