// FPRecipEstimate, FPRSqrtEstimate, FPRecpX and the integer UnsignedRecipEstimate /
// UnsignedRSqrtEstimate with the architecture's estimate functions RecipEstimate and
// RecipSqrtEstimate (Arm ARM shared pseudocode; FEAT_RPRES is not implemented).
import { expBits, fpDefaultNaN, fpInfinity, fpMaxNormal, fpZero, fracBits } from './format';
import { DZC, FPCR_FZ, FPCR_FZ16, IOC, IXC, OFC, RM, RN, RP, UFC, fpRMode, raise } from './fpsr';
import { T_INF, T_QNAN, T_SNAN, T_ZERO, processNaN, uE, uS, uT, unpack } from './sf-core';

/** RecipEstimate: a in [256, 512) (units of 1/512) → r in [256, 512) (units of 1/256). */
export function recipEstimate(a: u32): u32 {
  a = a * 2 + 1;
  const b = (<u32>1 << 19) / a;
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate: a in [128, 512) → r in [256, 512). */
export function recipSqrtEstimate(a: u32): u32 {
  if (a < 256) a = a * 2 + 1;
  else { a = (a >> 1) << 1; a = (a + 1) * 2; }
  let b: u64 = 512;
  while (<u64>a * (b + 1) * (b + 1) < (<u64>1 << 28)) b++;
  return <u32>((b + 1) >> 1);
}

/** The fraction of v as 52 bits (FPRecipEstimate's 'fraction') and its biased exponent. */
@inline function frac52(v: u64, N: u32): u64 { return (v & ((<u64>1 << <u64>fracBits(N)) - 1)) << <u64>(52 - fracBits(N)); }
@inline function bexp(v: u64, N: u32): i32 { return <i32>((v >> <u64>fracBits(N)) & ((<u64>1 << <u64>expBits(N)) - 1)); }

function pack(sign: u32, exp: i32, fraction: u64, N: u32): u64 {
  return fpZero(sign, N) | (<u64>exp << <u64>fracBits(N)) | (fraction >> <u64>(52 - fracBits(N)));
}

export function fpRecipEstimate(v: u64, N: u32, fpcr: u32): u64 {
  unpack(v, N, fpcr);
  const t = uT, sign = uS;
  if (t == T_QNAN || t == T_SNAN) return processNaN(t, v, N, fpcr);
  if (t == T_INF) return fpZero(sign, N);
  if (t == T_ZERO) { raise(DZC); return fpInfinity(sign, N); }
  // |value| < 2^-16 / 2^-128 / 2^-1024: value = m * 2^(e-62) with m in [2^62, 2^63)
  const tiny = N == 16 ? -17 : N == 32 ? -129 : -1025;
  if (uE <= tiny) {
    const rm = fpRMode(fpcr);
    const toInf = rm == RN ? true : rm == RP ? sign == 0 : rm == RM ? sign != 0 : false;
    raise(OFC | IXC);
    return toInf ? fpInfinity(sign, N) : fpMaxNormal(sign, N);
  }
  const fz = (fpcr & (N == 16 ? FPCR_FZ16 : FPCR_FZ)) != 0;
  const big = N == 16 ? 14 : N == 32 ? 126 : 1022;
  if (fz && uE >= big) { raise(UFC); return fpZero(sign, N); }
  let fraction = frac52(v, N);
  let exp = bexp(v, N);
  if (exp == 0) {
    if (((fraction >> 51) & 1) == 0) { exp = -1; fraction = (fraction << 2) & 0xfffffffffffff; }
    else fraction = (fraction << 1) & 0xfffffffffffff;
  }
  const scaled = <u32>(0x100 | (fraction >> 44));
  let resultExp = (N == 16 ? 29 : N == 32 ? 253 : 2045) - exp;
  const est = recipEstimate(scaled);
  fraction = <u64>(est & 0xff) << 44;
  if (resultExp == 0) fraction = (<u64>1 << 51) | (fraction >> 1);
  else if (resultExp == -1) { fraction = (<u64>1 << 50) | (fraction >> 2); resultExp = 0; }
  return pack(sign, resultExp, fraction, N);
}

export function fpRSqrtEstimate(v: u64, N: u32, fpcr: u32): u64 {
  unpack(v, N, fpcr);
  const t = uT, sign = uS;
  if (t == T_QNAN || t == T_SNAN) return processNaN(t, v, N, fpcr);
  if (t == T_ZERO) { raise(DZC); return fpInfinity(sign, N); }
  if (sign != 0) { raise(IOC); return fpDefaultNaN(N); }
  if (t == T_INF) return fpZero(0, N);
  let fraction = frac52(v, N);
  let exp = bexp(v, N);
  if (exp == 0) {
    while (((fraction >> 51) & 1) == 0) { fraction = (fraction << 1) & 0xfffffffffffff; exp--; }
    fraction = (fraction << 1) & 0xfffffffffffff;
  }
  // An odd biased exponent is an even power of two: the value scales into [0.25, 0.5) ('01':fraction);
  // an even one into [0.5, 1.0) ('1':fraction).
  const scaled: u32 = (exp & 1) != 0 ? <u32>(0x80 | (fraction >> 45)) : <u32>(0x100 | (fraction >> 44));
  const resultExp = ((N == 16 ? 44 : N == 32 ? 380 : 3068) - exp) >> 1;
  const est = recipSqrtEstimate(scaled);
  return pack(0, resultExp, <u64>(est & 0xff) << 44, N);
}

export function fpRecpX(v: u64, N: u32, fpcr: u32): u64 {
  unpack(v, N, fpcr);
  const t = uT;
  if (t == T_QNAN || t == T_SNAN) return processNaN(t, v, N, fpcr);
  const E = expBits(N), F = fracBits(N);
  const sign = fpZero(<u32>(v >> <u64>(N - 1)) & 1, N);
  const exp = (v >> <u64>F) & ((<u64>1 << <u64>E) - 1);
  const maxExp = (<u64>1 << <u64>E) - 2;
  if (exp == 0) return sign | (maxExp << <u64>F);
  return sign | ((~exp & ((<u64>1 << <u64>E) - 1)) << <u64>F);
}

/** UnsignedRecipEstimate (URECPE) of a 32-bit element. */
export function uRecipEstimate(x: u32): u32 {
  if ((x >> 31) == 0) return 0xffffffff;
  return recipEstimate(x >> 23) << 23;
}

/** UnsignedRSqrtEstimate (URSQRTE) of a 32-bit element. */
export function uRSqrtEstimate(x: u32): u32 {
  if ((x >> 30) == 0) return 0xffffffff;
  return recipSqrtEstimate(x >> 23) << 23;
}
