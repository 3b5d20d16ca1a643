// FPAdd/FPSub, FPMul, FPMulX, FPDiv, FPSqrt, FPMulAdd and the fused step functions FPRecipStepFused
// and FPRSqrtStepFused (Arm ARM shared pseudocode), on exact integer significands.
import { fpDefaultNaN, fpInfinity, fpNeg, fpPow2, fpZero } from './format';
import { DZC, IOC, RM, raise } from './fpsr';
import {
  T_INF, T_NONZERO, T_QNAN, T_ZERO, nanDone, processNaN, processNaNs, processNaNs3, roundPack, uE, uM, uS, uT,
  unpack, T_SNAN,
} from './sf-core';
import { clz128, hi, lo, mul64, shl128, shr128Jam } from './u128';

/** Exact zero result of a sum: its sign depends on the rounding mode. */
@inline function exactZero(N: u32, rm: u32): u64 { return fpZero(rm == RM ? 1 : 0, N); }

/** Rounds value = (h:l) * 2^(e - 126) (h:l != 0). */
export function round128(sign: u32, e: i32, h: u64, l: u64, N: u32, fpcr: u32, rm: u32): u64 {
  const lz = clz128(h, l);
  shl128(h, l, lz - 1); // top bit to 126
  const m = hi | (lo != 0 ? 1 : 0);
  return roundPack(sign, e - (lz - 1), m, N, fpcr, rm);
}

/** FPAdd (sub: FPSub, the second operand's sign inverted after NaN processing). */
export function fpAdd(a: u64, b: u64, N: u32, fpcr: u32, rm: u32, sub: bool): u64 {
  unpack(a, N, fpcr);
  const t1 = uT; let s1 = uS; const e1 = uE; const m1 = uM;
  unpack(b, N, fpcr);
  const t2 = uT; let s2 = uS; const e2 = uE; const m2 = uM;
  const r = processNaNs(t1, t2, a, b, N, fpcr);
  if (nanDone) return r;
  if (sub) s2 ^= 1;
  if (t1 == T_INF && t2 == T_INF && s1 != s2) { raise(IOC); return fpDefaultNaN(N); }
  if (t1 == T_INF) return fpInfinity(s1, N);
  if (t2 == T_INF) return fpInfinity(s2, N);
  if (t1 == T_ZERO && t2 == T_ZERO) return s1 == s2 ? fpZero(s1, N) : exactZero(N, rm);
  if (t1 == T_ZERO) return roundPack(s2, e2, m2, N, fpcr, rm);
  if (t2 == T_ZERO) return roundPack(s1, e1, m1, N, fpcr, rm);
  return addCore(s1, e1, m1, s2, e2, m2, N, fpcr, rm);
}

/** Sum of two finite nonzero values, rounded. */
export function addCore(s1: u32, e1: i32, m1: u64, s2: u32, e2: i32, m2: u64, N: u32, fpcr: u32, rm: u32): u64 {
  // Operand 1 has the larger exponent.
  if (e2 > e1 || (e2 == e1 && m2 > m1)) {
    const ts = s1; s1 = s2; s2 = ts;
    const te = e1; e1 = e2; e2 = te;
    const tm = m1; m1 = m2; m2 = tm;
  }
  const d = e1 - e2;
  let b = m2;
  if (d > 0) b = d >= 64 ? 1 : (m2 >> <u64>d) | ((m2 << <u64>(64 - d)) != 0 ? 1 : 0);
  let m: u64;
  if (s1 == s2) m = m1 + b;
  else {
    m = m1 - b;
    if (m == 0) return exactZero(N, rm);
  }
  return roundPack(s1, e1, m, N, fpcr, rm);
}

/** FPMul (mulx: FPMulX, where infinity times zero is 2.0). */
export function fpMul(a: u64, b: u64, N: u32, fpcr: u32, rm: u32, mulx: bool): u64 {
  unpack(a, N, fpcr);
  const t1 = uT; const s1 = uS; const e1 = uE; const m1 = uM;
  unpack(b, N, fpcr);
  const t2 = uT; const s2 = uS; const e2 = uE; const m2 = uM;
  const r = processNaNs(t1, t2, a, b, N, fpcr);
  if (nanDone) return r;
  const s = s1 ^ s2;
  if ((t1 == T_INF && t2 == T_ZERO) || (t1 == T_ZERO && t2 == T_INF)) {
    if (mulx) return fpPow2(s, 1, N);
    raise(IOC);
    return fpDefaultNaN(N);
  }
  if (t1 == T_INF || t2 == T_INF) return fpInfinity(s, N);
  if (t1 == T_ZERO || t2 == T_ZERO) return fpZero(s, N);
  mul64(m1, m2);
  return round128(s, e1 + e2 + 2, hi, lo, N, fpcr, rm);
}

/** FPDiv. */
export function fpDiv(a: u64, b: u64, N: u32, fpcr: u32, rm: u32): u64 {
  unpack(a, N, fpcr);
  const t1 = uT; const s1 = uS; let e1 = uE; let m1 = uM;
  unpack(b, N, fpcr);
  const t2 = uT; const s2 = uS; const e2 = uE; const m2 = uM;
  const r = processNaNs(t1, t2, a, b, N, fpcr);
  if (nanDone) return r;
  const s = s1 ^ s2;
  if ((t1 == T_INF && t2 == T_INF) || (t1 == T_ZERO && t2 == T_ZERO)) { raise(IOC); return fpDefaultNaN(N); }
  if (t1 == T_INF || t2 == T_ZERO) {
    if (t1 != T_INF) raise(DZC);
    return fpInfinity(s, N);
  }
  if (t1 == T_ZERO || t2 == T_INF) return fpZero(s, N);
  if (m1 < m2) { m1 <<= 1; e1 -= 1; }
  let rem = m1, q: u64 = 0;
  for (let i = 0; i < 63; i++) {
    q <<= 1;
    if (rem >= m2) { rem -= m2; q |= 1; }
    rem <<= 1;
  }
  return roundPack(s, e1 - e2, q | (rem != 0 ? 1 : 0), N, fpcr, rm);
}

/** FPSqrt. */
export function fpSqrt(a: u64, N: u32, fpcr: u32, rm: u32): u64 {
  unpack(a, N, fpcr);
  const t = uT;
  if (t == T_QNAN || t == T_SNAN) return processNaN(t, a, N, fpcr);
  if (t == T_ZERO) return fpZero(uS, N);
  if (t == T_INF && uS == 0) return a;
  if (uS != 0) { raise(IOC); return fpDefaultNaN(N); }
  let e = uE, m = uM;
  if ((e & 1) != 0) { m <<= 1; e -= 1; }
  // Integer square root of X = m << 48 (< 2^112): a 56-bit root, digit by digit.
  const xh = m >> 16, xl = m << 48;
  let root: u64 = 0, rem: u64 = 0;
  for (let i = 55; i >= 0; i--) {
    const pos = 2 * i;
    const two = pos >= 64 ? (xh >> <u64>(pos - 64)) & 3 : (xl >> <u64>pos) & 3;
    rem = (rem << 2) | two;
    const trial = (root << 2) | 1;
    if (rem >= trial) { rem -= trial; root = (root << 1) | 1; } else root <<= 1;
  }
  return roundPack(0, (e >> 1) + 1, (root << 6) | (rem != 0 ? 1 : 0), N, fpcr, rm);
}

/**
 * Exact sA*2^.. + P rounded once: addend (sA, eA, mA; tA == T_ZERO for a zero addend) plus the
 * product of (e1, m1) and (e2, m2) with sign sP; halve: the result is divided by 2 before rounding.
 */
export function fmaCore(sA: u32, zeroA: bool, eA: i32, mA: u64, sP: u32, e1: i32, m1: u64, e2: i32, m2: u64,
  N: u32, fpcr: u32, rm: u32, halve: bool): u64 {
  mul64(m1, m2);
  let ph = hi, pl = lo;
  let eP = e1 + e2 + 2; // value = (ph:pl) * 2^(eP - 126)
  const adj = halve ? -1 : 0;
  if (zeroA) return round128(sP, eP + adj, ph, pl, N, fpcr, rm);
  let ah = mA >> 1, al = mA << 63; // value = (ah:al) * 2^(eA + 1 - 126)
  let eAA = eA + 1;
  let sBig = sP, sSmall = sA;
  // Align the smaller scale to the larger.
  if (eAA > eP || (eAA == eP && (ah > ph || (ah == ph && al > pl)))) {
    sBig = sA; sSmall = sP;
    const th = ph, tl = pl; ph = ah; pl = al; ah = th; al = tl;
    const te = eP; eP = eAA; eAA = te;
  }
  shr128Jam(ah, al, eP - eAA);
  ah = hi; al = lo;
  let rh: u64, rl: u64;
  if (sBig == sSmall) {
    rl = pl + al;
    rh = ph + ah + (rl < pl ? 1 : 0);
  } else {
    // Big >= small in magnitude after alignment.
    if (ph < ah || (ph == ah && pl < al)) { // can only happen with equal scales
      const th = ph, tl = pl; ph = ah; pl = al; ah = th; al = tl;
      sBig = sSmall;
    }
    rl = pl - al;
    rh = ph - ah - (pl < al ? 1 : 0);
    if (rh == 0 && rl == 0) return fpZero(rm == RM ? 1 : 0, N);
  }
  return round128(sBig, eP + adj, rh, rl, N, fpcr, rm);
}

/** FPMulAdd(addend, op1, op2): addend + op1 * op2 with one rounding. */
export function fpMulAdd(a: u64, b: u64, c: u64, N: u32, fpcr: u32, rm: u32): u64 {
  unpack(a, N, fpcr);
  const tA = uT; const sA = uS; const eA = uE; const mA = uM;
  unpack(b, N, fpcr);
  const t1 = uT; const s1 = uS; const e1 = uE; const m1 = uM;
  unpack(c, N, fpcr);
  const t2 = uT; const s2 = uS; const e2 = uE; const m2 = uM;
  const inf1 = t1 == T_INF, inf2 = t2 == T_INF, zero1 = t1 == T_ZERO, zero2 = t2 == T_ZERO;
  let r = processNaNs3(tA, t1, t2, a, b, c, N, fpcr);
  if (tA == T_QNAN && ((inf1 && zero2) || (zero1 && inf2))) { raise(IOC); return fpDefaultNaN(N); }
  if (nanDone) return r;
  const infA = tA == T_INF, zeroA = tA == T_ZERO;
  const sP = s1 ^ s2;
  const infP = inf1 || inf2, zeroP = zero1 || zero2;
  if ((inf1 && zero2) || (zero1 && inf2) || (infA && infP && sA != sP)) { raise(IOC); return fpDefaultNaN(N); }
  if (infA) return fpInfinity(sA, N);
  if (infP) return fpInfinity(sP, N);
  if (zeroA && zeroP) return sA == sP ? fpZero(sA, N) : fpZero(rm == RM ? 1 : 0, N);
  if (zeroP) return roundPack(sA, eA, mA, N, fpcr, rm);
  return fmaCore(sA, zeroA, eA, mA, sP, e1, m1, e2, m2, N, fpcr, rm, false);
}

/** FPRecipStepFused (rsqrt false: 2 - a*b) and FPRSqrtStepFused (rsqrt true: (3 - a*b) / 2). */
export function fpStepFused(a: u64, b: u64, N: u32, fpcr: u32, rm: u32, rsqrt: bool): u64 {
  a = fpNeg(a, N);
  unpack(a, N, fpcr);
  const t1 = uT; const s1 = uS; const e1 = uE; const m1 = uM;
  unpack(b, N, fpcr);
  const t2 = uT; const s2 = uS; const e2 = uE; const m2 = uM;
  const r = processNaNs(t1, t2, a, b, N, fpcr);
  if (nanDone) return r;
  if ((t1 == T_INF && t2 == T_ZERO) || (t1 == T_ZERO && t2 == T_INF)) {
    return rsqrt ? fpPow2(0, 0, N) | (<u64>1 << <u64>(N == 64 ? 51 : N == 32 ? 22 : 9)) : fpPow2(0, 1, N);
  }
  if (t1 == T_INF || t2 == T_INF) return fpInfinity(s1 ^ s2, N);
  const two = rsqrt ? 1 : 1; // 3.0 = 1.5 * 2^1, 2.0 = 1.0 * 2^1
  const mA: u64 = rsqrt ? (<u64>3 << 61) : (<u64>1 << 62);
  if (t1 == T_ZERO || t2 == T_ZERO) {
    // 2 + 0 (or (3 + 0) / 2): exact
    return roundPack(0, rsqrt ? 0 : 1, mA, N, fpcr, rm);
  }
  return fmaCore(0, false, two, mA, s1 ^ s2, e1, m1, e2, m2, N, fpcr, rm, rsqrt);
}

export { T_NONZERO };
