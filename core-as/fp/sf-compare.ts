// FPCompare, FPCompareEQ/GE/GT, FPMax/FPMin, FPMaxNum/FPMinNum (Arm ARM shared pseudocode).
import { fpInfinity, fpZero } from './format';
import { IOC, raise } from './fpsr';
import { T_INF, T_QNAN, T_SNAN, T_ZERO, isNaNType, nanDone, processNaNs, uE, uM, uS, uT, unpack } from './sf-core';

// The unpacked operands of the last cmpUnpack.
let t1: u32 = 0, s1: u32 = 0, e1: i32 = 0, m1: u64 = 0;
let t2: u32 = 0, s2: u32 = 0, e2: i32 = 0, m2: u64 = 0;

function cmpUnpack(a: u64, b: u64, N: u32, fpcr: u32): void {
  unpack(a, N, fpcr);
  t1 = uT; s1 = uS; e1 = uE; m1 = uM;
  unpack(b, N, fpcr);
  t2 = uT; s2 = uS; e2 = uE; m2 = uM;
}

/** Magnitude order of two non-NaN unpacked values ignoring sign: -1, 0, 1. */
function cmpMag(): i32 {
  if (t1 == T_ZERO) return t2 == T_ZERO ? 0 : -1;
  if (t2 == T_ZERO) return 1;
  if (t1 == T_INF) return t2 == T_INF ? 0 : 1;
  if (t2 == T_INF) return -1;
  if (e1 != e2) return e1 > e2 ? 1 : -1;
  if (m1 != m2) return m1 > m2 ? 1 : -1;
  return 0;
}

/** Signed order of the two non-NaN values: -1 (v1 < v2), 0, 1. */
function cmpValues(): i32 {
  const z1 = t1 == T_ZERO, z2 = t2 == T_ZERO;
  if (z1 && z2) return 0;
  const neg1 = !z1 && s1 != 0, neg2 = !z2 && s2 != 0;
  if (neg1 != neg2) return neg1 ? -1 : 1;
  const m = cmpMag();
  return neg1 ? -m : m;
}

/** FPCompare: NZCV (bits 31:28). signalNaNs: FCMPE (any NaN raises IOC). */
export function fpCompare(a: u64, b: u64, N: u32, fpcr: u32, signalNaNs: bool): u32 {
  cmpUnpack(a, b, N, fpcr);
  if (isNaNType(t1) || isNaNType(t2)) {
    if (t1 == T_SNAN || t2 == T_SNAN || signalNaNs) raise(IOC);
    return 0x30000000;
  }
  const c = cmpValues();
  return c == 0 ? 0x60000000 : c < 0 ? 0x80000000 : 0x20000000;
}

/** FPCompareEQ (op 0), FPCompareGE (1), FPCompareGT (2). */
export function fpCompareCond(a: u64, b: u64, N: u32, fpcr: u32, op: u32): bool {
  cmpUnpack(a, b, N, fpcr);
  if (isNaNType(t1) || isNaNType(t2)) {
    if (op != 0 || t1 == T_SNAN || t2 == T_SNAN) raise(IOC);
    return false;
  }
  const c = cmpValues();
  return op == 0 ? c == 0 : op == 1 ? c >= 0 : c > 0;
}

/** FPMax (isMax) / FPMin. The chosen finite operand is returned as is (FPRound of it is exact). */
export function fpMaxMin(a: u64, b: u64, N: u32, fpcr: u32, isMax: bool): u64 {
  cmpUnpack(a, b, N, fpcr);
  const r = processNaNs(t1, t2, a, b, N, fpcr);
  if (nanDone) return r;
  const c = cmpValues();
  const first = isMax ? c > 0 : c < 0;
  const t = first ? t1 : t2;
  const s = first ? s1 : s2;
  if (t == T_INF) return fpInfinity(s, N);
  if (t == T_ZERO) return fpZero(isMax ? (s1 & s2) : (s1 | s2), N);
  return first ? a : b;
}

/** FPMaxNum / FPMinNum: a single quiet NaN operand is treated as -Infinity (Max) / +Infinity (Min). */
export function fpMaxMinNum(a: u64, b: u64, N: u32, fpcr: u32, isMax: bool): u64 {
  unpack(a, N, fpcr);
  const ta = uT;
  unpack(b, N, fpcr);
  const tb = uT;
  if (ta == T_QNAN && tb != T_QNAN) a = fpInfinity(isMax ? 1 : 0, N);
  else if (ta != T_QNAN && tb == T_QNAN) b = fpInfinity(isMax ? 1 : 0, N);
  return fpMaxMin(a, b, N, fpcr, isMax);
}
