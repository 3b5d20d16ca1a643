// Advanced SIMD shift by immediate (vector and scalar: SSHR .. UQRSHRN, SSHLL/USHLL), the
// by-element integer multiplies (run through the three-same / three-different engines with the
// indexed element replicated), and SDOT/UDOT (vector and by element).
import { D_IMM, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { SF_Q, SF_SCALAR } from './ops-simd';
import { clearTmp, commit, emask, ldS, ldU, satS, satU, setQC, stEl, sx, TMP, TMP2, vreg } from './vreg';
import { sqshl, sqshlu, sshr, uqshl, ushr } from './shifts';
import { same3 } from './int-same';
import { diff3 } from './int-diff';
import { replicate64 } from './perm';

export const SF_LONG: u8 = 8; // by element: the op is a three-different (long) one

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

export function execShiftImm(e: u32): void {
  const sub = F8(e, D_RA);
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const scalar = (flags & SF_SCALAR) != 0;
  const q = (flags & SF_Q) != 0;
  const sh = load<u32>(e, D_IMM);
  const d = F8(e, D_RD);
  const na = vreg(F8(e, D_RN)), da = vreg(d);
  clearTmp();
  if ((sub & 0x1f) >= 0x10 && (sub & 0x1f) <= 0x13) { // narrowing: esz = destination size
    const part: u32 = q && !scalar ? 8 : 0;
    if (part) store<u64>(TMP, load<u64>(da));
    const m: u32 = scalar ? 1 : 8 >> esz;
    const w = esz + 1;
    const round = (sub & 1) != 0;
    const mk = emask(esz);
    for (let i: u32 = 0; i < m; i++) {
      let r: u64;
      switch (sub) {
        case 0x10: case 0x11: r = ushr(ldU(na, i, w), sh, round); break; // SHRN, RSHRN
        case 0x12: case 0x13: r = satS(sshr(ldS(na, i, w), sh, round), esz); break; // SQSHRN, SQRSHRN
        case 0x30: case 0x31: r = satU(sshr(ldS(na, i, w), sh, round), esz); break; // SQSHRUN, SQRSHRUN
        default: { // UQSHRN, UQRSHRN
          r = ushr(ldU(na, i, w), sh, round);
          if (r > mk) { setQC(); r = mk; }
        }
      }
      stEl(TMP + part, i, esz, r);
    }
    commit(d);
    return;
  }
  if (sub == 0x14 || sub == 0x34) { // SSHLL/USHLL (esz = source size)
    const part: u32 = q ? 8 : 0;
    for (let i: u32 = 0; i < (8 >> esz); i++) {
      const v = sub == 0x14 ? <u64>ldS(na + part, i, esz) : ldU(na + part, i, esz);
      stEl(TMP, i, esz + 1, v << sh);
    }
    commit(d);
    return;
  }
  const n: u32 = scalar ? 1 : (q ? 16 : 8) >> esz;
  const mk = emask(esz);
  for (let i: u32 = 0; i < n; i++) {
    const a = ldU(na, i, esz);
    let r: u64;
    switch (sub) {
      case 0x00: r = <u64>sshr(sx(a, esz), sh, false); break; // SSHR
      case 0x20: r = ushr(a, sh, false); break; // USHR
      case 0x02: r = ldU(da, i, esz) + <u64>sshr(sx(a, esz), sh, false); break; // SSRA
      case 0x22: r = ldU(da, i, esz) + ushr(a, sh, false); break; // USRA
      case 0x04: r = <u64>sshr(sx(a, esz), sh, true); break; // SRSHR
      case 0x24: r = ushr(a, sh, true); break; // URSHR
      case 0x06: r = ldU(da, i, esz) + <u64>sshr(sx(a, esz), sh, true); break; // SRSRA
      case 0x26: r = ldU(da, i, esz) + ushr(a, sh, true); break; // URSRA
      case 0x28: { // SRI
        const m: u64 = sh >= 64 ? 0 : mk >> sh;
        r = (ldU(da, i, esz) & ~m) | ushr(a, sh, false);
        break;
      }
      case 0x0a: r = a << sh; break; // SHL
      case 0x2a: { const m: u64 = mk << sh; r = (ldU(da, i, esz) & ~m) | (a << sh); break; } // SLI
      case 0x2c: r = sqshlu(sx(a, esz), sh, esz); break; // SQSHLU
      case 0x0e: r = sqshl(sx(a, esz), sh, esz); break; // SQSHL (immediate)
      default: r = uqshl(a, sh, esz); // 0x2e UQSHL (immediate)
    }
    stEl(TMP, i, esz, r);
  }
  commit(d);
}

/** Integer by-element ops: Vm[index] replicated in TMP2, then the same/different engine. */
export function execElem(e: u32): void {
  const esz = F8(e, D_P1);
  const v = ldU(vreg(F8(e, D_RM)), load<u32>(e, D_IMM), esz);
  const pat = replicate64(v, esz);
  store<u64>(TMP2, pat);
  store<u64>(TMP2, pat, 8);
  if ((F8(e, D_P2) & SF_LONG) != 0) diff3(e, F8(e, D_RA), vreg(F8(e, D_RN)), TMP2);
  else same3(e, F8(e, D_RA), TMP2);
}

/** SDOT/UDOT (vector, and by element when imm != 0xff). */
export function execDot(e: u32): void {
  const uns = F8(e, D_RA) != 0;
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const idx = load<u32>(e, D_IMM);
  const d = F8(e, D_RD);
  const na = vreg(F8(e, D_RN)), ma = vreg(F8(e, D_RM)), da = vreg(d);
  const n: u32 = q ? 4 : 2;
  clearTmp();
  for (let i: u32 = 0; i < n; i++) {
    const j: u32 = idx == 0xff ? i : idx;
    let s: u32 = load<u32>(da + (i << 2));
    for (let k: u32 = 0; k < 4; k++) {
      const a = uns ? <i32>load<u8>(na + 4 * i + k) : <i32>load<i8>(na + 4 * i + k);
      const b = uns ? <i32>load<u8>(ma + 4 * j + k) : <i32>load<i8>(ma + 4 * j + k);
      s += <u32>(a * b);
    }
    store<u32>(TMP + (i << 2), s);
  }
  commit(d);
}
