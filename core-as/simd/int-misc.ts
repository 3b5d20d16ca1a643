// Advanced SIMD integer two-register miscellaneous (vector and scalar) and across-lanes operations
// (Arm ARM: REV16/32/64, SADDLP/UADDLP/SADALP/UADALP, SUQADD/USQADD, CLS/CLZ/CNT/NOT/RBIT,
// SQABS/SQNEG, CMxx #0, ABS/NEG, XTN/SQXTN/UQXTN/SQXTUN, SHLL; ADDV, SADDLV/UADDLV, S/UMAXV,
// S/UMINV). Sub-operation = U:opcode.
import { D_P1, D_P2, D_RA, D_RD, D_RN } from '../decoded';
import { SF_Q, SF_SCALAR } from './ops-simd';
import { clearTmp, commit, emask, ldS, ldU, satS, satU, setQC, stEl, sx, TMP, vreg } from './vreg';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

@inline function rbit8(x: u32): u32 {
  x = ((x & 0xf0) >> 4) | ((x & 0x0f) << 4);
  x = ((x & 0xcc) >> 2) | ((x & 0x33) << 2);
  return ((x & 0xaa) >> 1) | ((x & 0x55) << 1);
}

/** SUQADD: signed Vd + unsigned Vn, signed saturation. */
function suqadd(dv: u64, nv: u64, esz: u32): u64 {
  if (esz < 3) return satS(sx(dv, esz) + <i64>(nv & emask(esz)), esz);
  const s = <i64>dv;
  if (s >= 0) {
    if (nv > <u64>(0x7fff_ffff_ffff_ffff - s)) { setQC(); return 0x7fff_ffff_ffff_ffff; }
    return dv + nv;
  }
  const neg = <u64>0 - dv; // |s|
  if (nv >= neg && nv - neg > 0x7fff_ffff_ffff_ffff) { setQC(); return 0x7fff_ffff_ffff_ffff; }
  return dv + nv;
}
/** USQADD: unsigned Vd + signed Vn, unsigned saturation. */
function usqadd(dv: u64, nv: u64, esz: u32): u64 {
  if (esz < 3) return satU(<i64>(dv & emask(esz)) + sx(nv, esz), esz);
  const s = <i64>nv;
  if (s >= 0) {
    const r = dv + nv;
    if (r < dv) { setQC(); return <u64>-1; }
    return r;
  }
  const neg = <u64>0 - nv;
  if (dv < neg) { setQC(); return 0; }
  return dv - neg;
}

function cls(v: i64, esz: u32): u64 {
  const bits: u32 = 8 << esz;
  const x = <u64>(v ^ (v >> 63)); // leading sign bits become leading zeros
  const lz = <u32>clz<u64>(x) - (64 - bits);
  return <u64>(lz - 1);
}

export function exec2Misc(e: u32): void {
  const sub = F8(e, D_RA);
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const scalar = (flags & SF_SCALAR) != 0;
  const q = (flags & SF_Q) != 0;
  const d = F8(e, D_RD);
  const na = vreg(F8(e, D_RN));
  const da = vreg(d);
  const n: u32 = scalar ? 1 : (q ? 16 : 8) >> esz;
  clearTmp();
  switch (sub) {
    case 0x00: case 0x20: case 0x01: { // REV64, REV32, REV16
      const cont: u32 = sub == 0x00 ? 3 : sub == 0x20 ? 2 : 1; // container size log2 (bytes)
      const m: u32 = (1 << (cont - esz)) - 1;
      for (let i: u32 = 0; i < n; i++) stEl(TMP, i ^ m, esz, ldU(na, i, esz));
      break;
    }
    case 0x02: case 0x22: case 0x06: case 0x26: { // S/UADDLP, S/UADALP
      const acc = (sub & 4) != 0;
      const uns = (sub & 0x20) != 0;
      for (let i: u32 = 0; i < (n >> 1); i++) {
        const a = uns ? <i64>ldU(na, 2 * i, esz) : ldS(na, 2 * i, esz);
        const b = uns ? <i64>ldU(na, 2 * i + 1, esz) : ldS(na, 2 * i + 1, esz);
        let r = <u64>(a + b);
        if (acc) r += ldU(da, i, esz + 1);
        stEl(TMP, i, esz + 1, r);
      }
      break;
    }
    case 0x03: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, suqadd(ldU(da, i, esz), ldU(na, i, esz), esz)); break;
    case 0x23: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, usqadd(ldU(da, i, esz), ldU(na, i, esz), esz)); break;
    case 0x04: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, cls(ldS(na, i, esz), esz)); break;
    case 0x24: {
      const adj: u64 = 64 - (<u64>8 << esz);
      for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, clz<u64>(ldU(na, i, esz)) - adj);
      break;
    }
    case 0x05: for (let i: u32 = 0; i < n; i++) store<u8>(TMP + i, <u8>popcnt<u32>(load<u8>(na + i))); break; // CNT
    case 0x25:
      if (esz == 0) { store<u64>(TMP, ~load<u64>(na)); store<u64>(TMP, ~load<u64>(na, 8), 8); } // NOT
      else { const nb: u32 = q ? 16 : 8; for (let i: u32 = 0; i < nb; i++) store<u8>(TMP + i, <u8>rbit8(load<u8>(na + i))); } // RBIT (size = 01, byte lanes)
      if (!q) store<u64>(TMP, 0, 8);
      break;
    case 0x07: case 0x27: { // SQABS, SQNEG
      const neg = sub == 0x27;
      for (let i: u32 = 0; i < n; i++) {
        const v = ldS(na, i, esz);
        let r: u64;
        if (esz == 3) {
          if (v == i64.MIN_VALUE && (neg || true)) { setQC(); r = 0x7fff_ffff_ffff_ffff; }
          else r = <u64>(neg ? -v : (v < 0 ? -v : v));
        } else r = satS(neg ? -v : (v < 0 ? -v : v), esz);
        stEl(TMP, i, esz, r);
      }
      break;
    }
    case 0x08: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, ldS(na, i, esz) > 0 ? <u64>-1 : 0); break;
    case 0x28: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, ldS(na, i, esz) >= 0 ? <u64>-1 : 0); break;
    case 0x09: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, ldU(na, i, esz) == 0 ? <u64>-1 : 0); break;
    case 0x29: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, ldS(na, i, esz) <= 0 ? <u64>-1 : 0); break;
    case 0x0a: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, ldS(na, i, esz) < 0 ? <u64>-1 : 0); break;
    case 0x0b: for (let i: u32 = 0; i < n; i++) { const v = ldS(na, i, esz); stEl(TMP, i, esz, <u64>(v < 0 ? -v : v)); } break;
    case 0x2b: for (let i: u32 = 0; i < n; i++) stEl(TMP, i, esz, <u64>0 - ldU(na, i, esz)); break;
    case 0x12: case 0x32: case 0x14: case 0x34: { // XTN, SQXTUN, SQXTN, UQXTN: esz = narrow size
      const part: u32 = q && !scalar ? 8 : 0;
      if (part) store<u64>(TMP, load<u64>(da));
      const m: u32 = scalar ? 1 : 8 >> esz;
      for (let i: u32 = 0; i < m; i++) {
        let r: u64;
        if (sub == 0x12) r = ldU(na, i, esz + 1);
        else if (sub == 0x34) r = uqNarrow(ldU(na, i, esz + 1), esz);
        else {
          const v = ldS(na, i, esz + 1);
          r = sub == 0x14 ? satS(v, esz) : satU(v, esz);
        }
        stEl(TMP + part, i, esz, r);
      }
      break;
    }
    case 0x33: { // SHLL/SHLL2
      const part: u32 = q ? 8 : 0;
      const sh: u64 = <u64>8 << esz;
      for (let i: u32 = 0; i < (8 >> esz); i++) stEl(TMP, i, esz + 1, ldU(na + part, i, esz) << sh);
      break;
    }
  }
  commit(d);
}

/** Unsigned saturation of an unsigned 2*esize value to esize (esz <= 2). */
@inline function uqNarrow(v: u64, esz: u32): u64 {
  const m = emask(esz);
  if (v > m) { setQC(); return m; }
  return v;
}

export function execAcross(e: u32): void {
  const sub = F8(e, D_RA);
  const esz = F8(e, D_P1);
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const na = vreg(F8(e, D_RN));
  const n: u32 = (q ? 16 : 8) >> esz;
  clearTmp();
  switch (sub) {
    case 0x1b: { let s: u64 = 0; for (let i: u32 = 0; i < n; i++) s += ldU(na, i, esz); stEl(TMP, 0, esz, s); break; } // ADDV
    case 0x03: { let s: i64 = 0; for (let i: u32 = 0; i < n; i++) s += ldS(na, i, esz); stEl(TMP, 0, esz + 1, <u64>s); break; } // SADDLV
    case 0x23: { let s: u64 = 0; for (let i: u32 = 0; i < n; i++) s += ldU(na, i, esz); stEl(TMP, 0, esz + 1, s); break; } // UADDLV
    case 0x0a: { let m = ldS(na, 0, esz); for (let i: u32 = 1; i < n; i++) { const v = ldS(na, i, esz); if (v > m) m = v; } stEl(TMP, 0, esz, <u64>m); break; }
    case 0x1a: { let m = ldS(na, 0, esz); for (let i: u32 = 1; i < n; i++) { const v = ldS(na, i, esz); if (v < m) m = v; } stEl(TMP, 0, esz, <u64>m); break; }
    case 0x2a: { let m = ldU(na, 0, esz); for (let i: u32 = 1; i < n; i++) { const v = ldU(na, i, esz); if (v > m) m = v; } stEl(TMP, 0, esz, m); break; }
    default: { let m = ldU(na, 0, esz); for (let i: u32 = 1; i < n; i++) { const v = ldU(na, i, esz); if (v < m) m = v; } stEl(TMP, 0, esz, m); } // UMINV
  }
  commit(F8(e, D_RD));
}
