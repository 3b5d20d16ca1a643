// Advanced SIMD "three different" (long, wide and narrowing-high) operations, vector and scalar
// (Arm ARM: SADDL .. UMLSL, SADDW/UADDW, ADDHN/RADDHN/SUBHN/RSUBHN, SABAL/SABDL, SQDMLAL/SQDMLSL/
// SQDMULL, PMULL/PMULL2). Sub-operation = U:opcode. esz is the narrow element size.
import { D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { SF_Q, SF_SCALAR } from './ops-simd';
import { clearTmp, commit, ldS, ldU, satS, setQC, sqadd64, sqsub64, stEl, TMP, vreg } from './vreg';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

/** Carry-less multiply of two 64-bit values: low half into TMP+off, high half into TMP+off+8. */
function clmul64(a: u64, b: u64, dst: u32): void {
  let lo: u64 = 0, hi: u64 = 0;
  for (let i: u64 = 0; i < 64; i++) {
    if ((b >> i) & 1) {
      lo ^= a << i;
      if (i != 0) hi ^= a >> (64 - i);
    }
  }
  store<u64>(dst, lo);
  store<u64>(dst, hi, 8);
}

/** 2*a*b saturated to 2*esize bits (esz 1 or 2: the narrow size). */
@inline function sqdmull(a: i64, b: i64, esz: u32): u64 {
  const p = a * b;
  if (esz == 2) {
    if (p == 0x4000_0000_0000_0000) { setQC(); return 0x7fff_ffff_ffff_ffff; }
    return <u64>(p << 1);
  }
  return satS(p << 1, esz + 1);
}

/** Saturating accumulate for SQDMLAL/SQDMLSL at 2*esize bits. */
@inline function sqacc(d: u64, p: u64, esz: u32, sub: bool): u64 {
  if (esz == 2) return sub ? sqsub64(d, p) : sqadd64(d, p);
  const w = esz + 1;
  const dv = (<i64>(d << 32)) >> 32;
  const pv = (<i64>(p << 32)) >> 32;
  return satS(sub ? dv - pv : dv + pv, w);
}

/**
 * Runs the three-different op `sub` with Vn at na and the second operand at mb (a register, or a
 * replicated element for the by-element forms); part = 1 takes the upper halves (the "2" forms).
 */
export function diff3(e: u32, sub: u32, na: u32, mb: u32): void {
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const scalar = (flags & SF_SCALAR) != 0;
  const part: u32 = (flags & SF_Q) != 0 ? 8 : 0;
  const d = F8(e, D_RD);
  const da = vreg(d);
  const w = esz + 1; // wide element size
  const n: u32 = scalar ? 1 : 8 >> esz;
  const op = sub & 15;
  const uns = (sub & 0x10) != 0;
  clearTmp();
  if (op == 0x4 || op == 0x6) { // ADDHN/RADDHN/SUBHN/RSUBHN: narrow into the low or high half
    if (part) store<u64>(TMP, load<u64>(da));
    const bits: u64 = <u64>8 << esz;
    for (let i: u32 = 0; i < n; i++) {
      const a = ldU(na, i, w), b = ldU(mb, i, w);
      let r = op == 4 ? a + b : a - b;
      if (uns) r += <u64>1 << (bits - 1); // the R forms (U = 1)
      stEl(TMP + part, i, esz, r >> bits);
    }
    commit(d);
    return;
  }
  if (op == 0xe) { // PMULL/PMULL2
    if (esz == 3) { clmul64(load<u64>(na + part), load<u64>(mb + part), TMP); commit(d); return; }
    for (let i: u32 = 0; i < n; i++) {
      const a = <u32>load<u8>(na + part + i), b = <u32>load<u8>(mb + part + i);
      let r: u32 = 0;
      for (let k: u32 = 0; k < 8; k++) if ((b >> k) & 1) r ^= a << k;
      store<u16>(TMP + (i << 1), <u16>r);
    }
    commit(d);
    return;
  }
  for (let i: u32 = 0; i < n; i++) {
    // Narrow operands (the wide forms read Vn at the wide size).
    const wideN = op == 1 || op == 3;
    let as: i64, bs: i64;
    if (uns) {
      as = wideN ? <i64>ldU(na, i, w) : <i64>ldU(na + part, i, esz);
      bs = <i64>ldU(mb + part, i, esz);
    } else {
      as = wideN ? ldS(na, i, w) : ldS(na + part, i, esz);
      bs = ldS(mb + part, i, esz);
    }
    const dv = ldU(da, i, w);
    let r: u64;
    switch (op) {
      case 0x0: case 0x1: r = <u64>(as + bs); break; // ADDL, ADDW
      case 0x2: case 0x3: r = <u64>(as - bs); break; // SUBL, SUBW
      case 0x5: { const t = as - bs; r = dv + <u64>(t < 0 ? -t : t); break; } // ABAL
      case 0x7: { const t = as - bs; r = <u64>(t < 0 ? -t : t); break; } // ABDL
      case 0x8: r = dv + <u64>(as * bs); break; // MLAL (64-bit products wrap as the pseudocode's bits)
      case 0xa: r = dv - <u64>(as * bs); break; // MLSL
      case 0xc: r = <u64>(as * bs); break; // MULL
      case 0x9: r = sqacc(dv, sqdmull(as, bs, esz), esz, false); break; // SQDMLAL
      case 0xb: r = sqacc(dv, sqdmull(as, bs, esz), esz, true); break; // SQDMLSL
      default: r = sqdmull(as, bs, esz); // 0xd SQDMULL
    }
    stEl(TMP, i, w, r);
  }
  commit(d);
}

export function exec3Diff(e: u32): void {
  diff3(e, F8(e, D_RA), vreg(F8(e, D_RN)), vreg(F8(e, D_RM)));
}
