// The softfloat core: FPUnpack (into globals), FPRound (FPRoundBase) and NaN processing, exactly as
// the Arm ARM shared pseudocode. A finite nonzero value is sign, exponent e and significand m with
// value = m * 2^(e - 62) (m normalised with its top bit at bit 62 after unpacking; bits below the
// format's precision and a sticky bit 0 are the rounding information).
import { bias, expBits, fpDefaultNaN, fpInfinity, fpMaxNormal, fpZero, fracBits, mask } from './format';
import { FPCR_AHP, FPCR_DN, FPCR_FZ, FPCR_FZ16, IDC, IOC, IXC, OFC, RA, RM, RN, RO, RP, UFC, raise } from './fpsr';
import { shrJam } from './u128';

export const T_ZERO: u32 = 0;
export const T_NONZERO: u32 = 1;
export const T_INF: u32 = 2;
export const T_QNAN: u32 = 3;
export const T_SNAN: u32 = 4;

// FPUnpack result.
export let uT: u32 = 0;
export let uS: u32 = 0;
export let uE: i32 = 0;
export let uM: u64 = 0;

@inline export function isNaNType(t: u32): bool { return t >= T_QNAN; }

/**
 * FPUnpackBase. fz: flush a denormal input to zero (IDC raised unless N == 16, as the pseudocode);
 * ahp: half precision in the alternative format (no infinities or NaNs).
 */
export function unpackBase(v: u64, N: u32, fz: bool, ahp: bool): void {
  const F = fracBits(N), E = expBits(N);
  uS = <u32>(v >> <u64>(N - 1)) & 1;
  const ex = <u32>(v >> <u64>F) & ((1 << E) - 1);
  const frac = v & ((<u64>1 << <u64>F) - 1);
  if (ex == 0) {
    if (frac == 0) { uT = T_ZERO; return; }
    if (fz) {
      uT = T_ZERO;
      if (N != 16) raise(IDC);
      return;
    }
    const p = 63 - <i32>clz(frac);
    uT = T_NONZERO;
    uE = p + 1 - bias(N) - <i32>F;
    uM = frac << <u64>(62 - p);
    return;
  }
  if (ex == <u32>((1 << E) - 1) && !(ahp && N == 16)) {
    if (frac == 0) { uT = T_INF; return; }
    uT = (frac >> <u64>(F - 1)) != 0 ? T_QNAN : T_SNAN;
    return;
  }
  uT = T_NONZERO;
  uE = <i32>ex - bias(N);
  uM = ((<u64>1 << <u64>F) | frac) << <u64>(62 - F);
}

/** FPUnpack: arithmetic (FZ or FZ16 applies, AHP does not). */
@inline export function unpack(v: u64, N: u32, fpcr: u32): void {
  unpackBase(v, N, (fpcr & (N == 16 ? FPCR_FZ16 : FPCR_FZ)) != 0, false);
}
/** FPUnpackCV: conversions (FZ16 does not apply, AHP does). */
@inline export function unpackCV(v: u64, N: u32, fpcr: u32): void {
  unpackBase(v, N, N != 16 && (fpcr & FPCR_FZ) != 0, (fpcr & FPCR_AHP) != 0);
}

/**
 * FPRoundBase for value = m * 2^(e - 62) (m != 0, any position; normalised here). fz: flush a tiny
 * result to zero; ahp: alternative half precision overflow behaviour.
 */
export function roundPackBase(sign: u32, e: i32, m: u64, N: u32, rm: u32, fz: bool, ahp: bool): u64 {
  const lz = <i32>clz(m);
  if (lz == 0) { m = (m >> 1) | (m & 1); e += 1; }
  else if (lz > 1) { m <<= <u64>(lz - 1); e -= lz - 1; }
  const F = <i32>fracBits(N), E = <i32>expBits(N);
  const b = bias(N);
  if (fz && e < 1 - b) { raise(UFC); return fpZero(sign, N); }
  let biased = e + b;
  if (biased <= 0) { m = shrJam(m, 1 - biased); biased = 0; }
  const sh = <u64>(62 - F);
  let mant = m >> sh;
  let err = m & ((<u64>1 << sh) - 1);
  const half = <u64>1 << (sh - 1);
  if (biased == 0 && err != 0) raise(UFC);
  let up = false, ovfInf = false;
  if (rm == RN) { up = err > half || (err == half && (mant & 1) != 0); ovfInf = true; }
  else if (rm == RP) { up = err != 0 && sign == 0; ovfInf = sign == 0; }
  else if (rm == RM) { up = err != 0 && sign != 0; ovfInf = sign != 0; }
  else if (rm == RA) { up = err >= half; ovfInf = true; }
  if (up) {
    mant++;
    if (mant == (<u64>1 << <u64>F)) biased = 1;
    if (mant == (<u64>1 << <u64>(F + 1))) { biased++; mant >>= 1; }
  }
  if (err != 0 && rm == RO) mant |= 1;
  let r: u64;
  if (!ahp) {
    if (biased >= (1 << E) - 1) {
      r = ovfInf ? fpInfinity(sign, N) : fpMaxNormal(sign, N);
      raise(OFC);
      err = 1;
    } else {
      r = fpZero(sign, N) | (<u64>biased << <u64>F) | (mant & ((<u64>1 << <u64>F) - 1));
    }
  } else {
    if (biased >= (1 << E)) {
      r = fpZero(sign, N) | (mask(N) >> 1);
      raise(IOC);
      err = 0;
    } else {
      r = fpZero(sign, N) | (<u64>biased << <u64>F) | (mant & ((<u64>1 << <u64>F) - 1));
    }
  }
  if (err != 0) raise(IXC);
  return r;
}

/** FPRound: FZ/FZ16 apply, AHP does not. */
@inline export function roundPack(sign: u32, e: i32, m: u64, N: u32, fpcr: u32, rm: u32): u64 {
  return roundPackBase(sign, e, m, N, rm, (fpcr & (N == 16 ? FPCR_FZ16 : FPCR_FZ)) != 0, false);
}
/** FPRoundCV: FZ16 does not apply, AHP does (half precision results). */
@inline export function roundPackCV(sign: u32, e: i32, m: u64, N: u32, fpcr: u32, rm: u32): u64 {
  return roundPackBase(sign, e, m, N, rm, N != 16 && (fpcr & FPCR_FZ) != 0, N == 16 && (fpcr & FPCR_AHP) != 0);
}

/** FPProcessNaN. */
export function processNaN(t: u32, v: u64, N: u32, fpcr: u32): u64 {
  let r = v;
  if (t == T_SNAN) {
    r |= <u64>1 << <u64>(fracBits(N) - 1);
    raise(IOC);
  }
  if ((fpcr & FPCR_DN) != 0) r = fpDefaultNaN(N);
  return r;
}

// FPProcessNaNs / FPProcessNaNs3: nanDone tells whether a NaN result was produced.
export let nanDone: bool = false;

export function processNaNs(t1: u32, t2: u32, a: u64, b: u64, N: u32, fpcr: u32): u64 {
  nanDone = true;
  if (t1 == T_SNAN) return processNaN(t1, a, N, fpcr);
  if (t2 == T_SNAN) return processNaN(t2, b, N, fpcr);
  if (t1 == T_QNAN) return processNaN(t1, a, N, fpcr);
  if (t2 == T_QNAN) return processNaN(t2, b, N, fpcr);
  nanDone = false;
  return 0;
}

export function processNaNs3(t1: u32, t2: u32, t3: u32, a: u64, b: u64, c: u64, N: u32, fpcr: u32): u64 {
  nanDone = true;
  if (t1 == T_SNAN) return processNaN(t1, a, N, fpcr);
  if (t2 == T_SNAN) return processNaN(t2, b, N, fpcr);
  if (t3 == T_SNAN) return processNaN(t3, c, N, fpcr);
  if (t1 == T_QNAN) return processNaN(t1, a, N, fpcr);
  if (t2 == T_QNAN) return processNaN(t2, b, N, fpcr);
  if (t3 == T_QNAN) return processNaN(t3, c, N, fpcr);
  nanDone = false;
  return 0;
}
