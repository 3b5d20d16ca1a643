// Advanced SIMD integer "three same" operations (vector and scalar), their pairwise forms, and the
// element function the by-element and three-same-extra forms share (Arm ARM C7.2: SHADD .. SQRDMULH,
// SQRDMLAH/SQRDMLSH). Sub-operation = U:opcode of the three-same encoding.
import { D_P1, D_P2, D_RD, D_RM, D_RN, D_RA } from '../decoded';
import { SF_Q, SF_SCALAR } from './ops-simd';
import { clearTmp, commit, emask, ldU, qadd, qsub, satS, setQC, stEl, sx, TMP, TMP2, vreg } from './vreg';
import { shiftReg } from './shifts';
import { fastSame3 } from './fast-same';

export const SUB_SQRDMLAH: u32 = 0x18; // internal sub-ops (the encodings' 11xxx opcodes are FP)
export const SUB_SQRDMLSH: u32 = 0x19;

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

/** Polynomial (carry-less) multiply of two bytes, low 8 bits. */
@inline function pmul8(a: u32, b: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) if ((b >> i) & 1) r ^= a << i;
  return r & 0xff;
}

/** SQDMULH / SQRDMULH of one element pair (esz 1 or 2). */
function sqdmulh(a: u64, b: u64, esz: u32, round: bool): u64 {
  const bits: u32 = 8 << esz;
  const p = sx(a, esz) * sx(b, esz); // |p| <= 2^(2*bits-2)
  // (2*p + round_const) >> bits == (p + round_const/2) >> (bits - 1)
  const r = (p + (round ? <i64>1 << (bits - 2) : 0)) >> (bits - 1);
  return satS(r, esz);
}

/** SQRDMLAH / SQRDMLSH: (d << esize) ± 2*a*b + round, >> esize, saturated. */
function sqrdmlah(d: u64, a: u64, b: u64, esz: u32, sub: bool): u64 {
  const bits: u32 = 8 << esz;
  let p = sx(a, esz) * sx(b, esz);
  if (sub) p = -p;
  const acc = (sx(d, esz) << (bits - 1)) + p + (<i64>1 << (bits - 2));
  return satS(acc >> (bits - 1), esz);
}

/** One element of a three-same op: a = Vn element, b = Vm element, d = Vd element (zero-extended). */
export function same3El(sub: u32, esz: u32, a: u64, b: u64, d: u64): u64 {
  switch (sub) {
    case 0x00: return <u64>((sx(a, esz) + sx(b, esz)) >> 1); // SHADD
    case 0x20: return (a + b) >> 1; // UHADD
    case 0x01: return qadd(a, b, esz, true); // SQADD
    case 0x21: return qadd(a, b, esz, false); // UQADD
    case 0x02: return <u64>((sx(a, esz) + sx(b, esz) + 1) >> 1); // SRHADD
    case 0x22: return (a + b + 1) >> 1; // URHADD
    case 0x04: return <u64>((sx(a, esz) - sx(b, esz)) >> 1); // SHSUB
    case 0x24: return <u64>((<i64>a - <i64>b) >> 1); // UHSUB
    case 0x05: return qsub(a, b, esz, true); // SQSUB
    case 0x25: return qsub(a, b, esz, false); // UQSUB
    case 0x06: return sx(a, esz) > sx(b, esz) ? <u64>-1 : 0; // CMGT
    case 0x26: return a > b ? <u64>-1 : 0; // CMHI
    case 0x07: return sx(a, esz) >= sx(b, esz) ? <u64>-1 : 0; // CMGE
    case 0x27: return a >= b ? <u64>-1 : 0; // CMHS
    case 0x08: return shiftReg(a, b, esz, true, false, false); // SSHL
    case 0x28: return shiftReg(a, b, esz, false, false, false); // USHL
    case 0x09: return shiftReg(a, b, esz, true, false, true); // SQSHL
    case 0x29: return shiftReg(a, b, esz, false, false, true); // UQSHL
    case 0x0a: return shiftReg(a, b, esz, true, true, false); // SRSHL
    case 0x2a: return shiftReg(a, b, esz, false, true, false); // URSHL
    case 0x0b: return shiftReg(a, b, esz, true, true, true); // SQRSHL
    case 0x2b: return shiftReg(a, b, esz, false, true, true); // UQRSHL
    case 0x0c: return sx(a, esz) >= sx(b, esz) ? a : b; // SMAX
    case 0x2c: return a >= b ? a : b; // UMAX
    case 0x0d: return sx(a, esz) <= sx(b, esz) ? a : b; // SMIN
    case 0x2d: return a <= b ? a : b; // UMIN
    case 0x0e: { const t = sx(a, esz) - sx(b, esz); return <u64>(t < 0 ? -t : t); } // SABD
    case 0x2e: return a >= b ? a - b : b - a; // UABD
    case 0x0f: { const t = sx(a, esz) - sx(b, esz); return d + <u64>(t < 0 ? -t : t); } // SABA
    case 0x2f: return d + (a >= b ? a - b : b - a); // UABA
    case 0x10: return a + b; // ADD
    case 0x30: return a - b; // SUB
    case 0x11: return (a & b) != 0 ? <u64>-1 : 0; // CMTST
    case 0x31: return a == b ? <u64>-1 : 0; // CMEQ
    case 0x12: return d + a * b; // MLA
    case 0x32: return d - a * b; // MLS
    case 0x13: return a * b; // MUL
    case 0x33: return <u64>pmul8(<u32>a, <u32>b); // PMUL
    case 0x16: return sqdmulh(a, b, esz, false); // SQDMULH
    case 0x36: return sqdmulh(a, b, esz, true); // SQRDMULH
    case SUB_SQRDMLAH: return sqrdmlah(d, a, b, esz, false);
    case SUB_SQRDMLSH: return sqrdmlah(d, a, b, esz, true);
    default: return 0;
  }
}

/** Elementwise three-same over Vn (at na) and the operand at mb into Vd. */
export function same3(e: u32, sub: u32, mb: u32): void {
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const d = F8(e, D_RD);
  const na = vreg(F8(e, D_RN));
  const da = vreg(d);
  const n: u32 = (flags & SF_SCALAR) != 0 ? 1 : ((flags & SF_Q) != 0 ? 16 : 8) >> esz;
  clearTmp();
  for (let i: u32 = 0; i < n; i++) {
    stEl(TMP, i, esz, same3El(sub, esz, ldU(na, i, esz), ldU(mb, i, esz), ldU(da, i, esz)));
  }
  commit(d);
}

export function exec3Same(e: u32): void {
  const flags = F8(e, D_P2);
  if ((flags & SF_SCALAR) == 0 && fastSame3(F8(e, D_RA), F8(e, D_P1), F8(e, D_RD), F8(e, D_RN), F8(e, D_RM), (flags & SF_Q) != 0)) return;
  same3(e, F8(e, D_RA), vreg(F8(e, D_RM)));
}

/** Pairwise ops: element i is op(concat[2i], concat[2i+1]) with concat = Vm:Vn. */
export function exec3SamePair(e: u32): void {
  const sub = F8(e, D_RA);
  const esz = F8(e, D_P1);
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const d = F8(e, D_RD);
  const bytes: u32 = q ? 16 : 8;
  // concat in TMP2: Vn's elements then Vm's
  const na = vreg(F8(e, D_RN)), ma = vreg(F8(e, D_RM));
  memory.copy(TMP2, na, bytes);
  memory.copy(TMP2 + bytes, ma, bytes);
  const n: u32 = bytes >> esz;
  // map pairwise sub-ops to their elementwise function
  let f: u32;
  switch (sub) {
    case 0x14: f = 0x0c; break; // SMAXP
    case 0x34: f = 0x2c; break; // UMAXP
    case 0x15: f = 0x0d; break; // SMINP
    case 0x35: f = 0x2d; break; // UMINP
    default: f = 0x10; // ADDP
  }
  clearTmp();
  for (let i: u32 = 0; i < n; i++) {
    stEl(TMP, i, esz, same3El(f, esz, ldU(TMP2, 2 * i, esz), ldU(TMP2, 2 * i + 1, esz), 0));
  }
  commit(d);
}

/** ADDP (scalar): Dd = Vn.D[0] + Vn.D[1]. */
export function execPairScalar(e: u32): void {
  const na = vreg(F8(e, D_RN));
  clearTmp();
  store<u64>(TMP, load<u64>(na) + load<u64>(na, 8));
  commit(F8(e, D_RD));
}

export { emask, setQC };
