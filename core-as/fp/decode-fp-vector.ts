// Decoder for the floating-point encodings inside the Advanced SIMD space (Arm ARM C4.1.96): three
// same (incl. FP16 and scalar), two-register miscellaneous (incl. FP16 and scalar), across lanes,
// scalar pairwise, by element (vector and scalar), shift by immediate (fixed-point conversions),
// FCVTN/FCVTL/FCVTXN, FCADD/FCMLA. Called first by core-as/simd/decode-simd.ts; returns false for
// an encoding that is not floating point (or is unallocated).
import { D_IMM, D_OP, D_P1, D_P2, D_RD, D_RM, D_RN } from '../decoded';
import * as O from './ops-fp';

const X: u32 = 0xff;

function setV(e: u32, op: u16, ebytes: u32, sub: u32, rd: u32, rn: u32, rm: u32, dbytes: u32, scalar: bool, extra: u32): bool {
  store<u16>(e, op, D_OP);
  store<u8>(e, <u8>rd, D_RD);
  store<u8>(e, <u8>rn, D_RN);
  store<u8>(e, <u8>rm, D_RM);
  store<u8>(e, <u8>ebytes, D_P1);
  store<u8>(e, <u8>sub, D_P2);
  store<u64>(e, <u64>(dbytes | (scalar ? 0x100 : 0) | (extra << 16)), D_IMM);
  return true;
}

// Three same: index U << 4 | a << 3 | opcode<2:0> → lane op (X = unallocated).
const THREE: StaticArray<u32> = [
  O.V_FMAXNM, O.V_FMLA, O.V_FADD, O.V_FMULX, O.V_FCMEQ, X, O.V_FMAX, O.V_FRECPS, // U0 a0
  O.V_FMINNM, O.V_FMLS, O.V_FSUB, X, X, X, O.V_FMIN, O.V_FRSQRTS, // U0 a1
  O.V_FMAXNM, X, O.V_FADD, O.V_FMUL, O.V_FCMGE, O.V_FACGE, O.V_FMAX, O.V_FDIV, // U1 a0 (0,2,6 pairwise)
  O.V_FMINNM, X, O.V_FABD, X, O.V_FCMGT, O.V_FACGT, O.V_FMIN, X, // U1 a1 (0,6 pairwise)
];

function threeSame(insn: u32, e: u32, ebytes: u32, opc3: u32, scalar: bool): bool {
  const U = (insn >> 29) & 1, a = (insn >> 23) & 1, Q = (insn >> 30) & 1;
  const idx = (U << 4) | (a << 3) | opc3;
  const v = unchecked(THREE[idx]);
  if (v == X) return false;
  const pair = U == 1 && (opc3 == 0 || opc3 == 6 || (opc3 == 2 && a == 0));
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
  if (scalar) {
    const ok = v == O.V_FMULX || v == O.V_FCMEQ || v == O.V_FRECPS || v == O.V_FRSQRTS || v == O.V_FABD ||
      v == O.V_FCMGE || v == O.V_FACGE || v == O.V_FCMGT || v == O.V_FACGT;
    if (!ok || pair) return false;
    return setV(e, O.OP_FPV_BIN, ebytes, v, rd, rn, rm, ebytes, true, 0);
  }
  if (ebytes == 8 && Q == 0) return false;
  return setV(e, pair ? O.OP_FPV_PAIR : O.OP_FPV_BIN, ebytes, v, rd, rn, rm, Q != 0 ? 16 : 8, false, 0);
}

// Two-register misc: index U << 6 | a << 5 | opcode → unary op, or X. FCVTN/FCVTL/FCVTXN apart.
function miscOp(U: u32, a: u32, opc: u32): u32 {
  if (a == 0) {
    if (opc >= 0x1a && opc <= 0x1c) return O.U_FCVTNS + ((opc - 0x1a) == 0 ? 0 : (opc - 0x1a) == 1 ? 4 : 8) + U; // N M A
    if (opc == 0x1d) return U != 0 ? O.U_UCVTF : O.U_SCVTF;
    if (opc == 0x18) return U != 0 ? O.U_FRINTN + 4 : O.U_FRINTN; // FRINTA / FRINTN
    if (opc == 0x19) return U != 0 ? O.U_FRINTN + 5 : O.U_FRINTN + 2; // FRINTX / FRINTM
    if (opc == 0x1e) return U != 0 ? O.U_FRINT32Z + 1 : O.U_FRINT32Z;
    if (opc == 0x1f) return U != 0 ? O.U_FRINT32Z + 3 : O.U_FRINT32Z + 2;
    return X;
  }
  if (opc == 0x0c) return U != 0 ? O.U_FCMGT0 + 3 : O.U_FCMGT0; // FCMGE0 / FCMGT0
  if (opc == 0x0d) return U != 0 ? O.U_FCMGT0 + 4 : O.U_FCMGT0 + 1; // FCMLE0 / FCMEQ0
  if (opc == 0x0e) return U != 0 ? X : O.U_FCMGT0 + 2; // FCMLT0
  if (opc == 0x0f) return U != 0 ? O.U_FNEG : O.U_FABS;
  if (opc == 0x18) return U != 0 ? X : O.U_FRINTN + 1; // FRINTP
  if (opc == 0x19) return U != 0 ? O.U_FRINTN + 6 : O.U_FRINTN + 3; // FRINTI / FRINTZ
  if (opc == 0x1a) return O.U_FCVTNS + 2 + U; // FCVTP
  if (opc == 0x1b) return O.U_FCVTNS + 6 + U; // FCVTZ
  if (opc == 0x1c) return U != 0 ? O.U_URSQRTE : O.U_URECPE;
  if (opc == 0x1d) return U != 0 ? O.U_FRSQRTE : O.U_FRECPE;
  if (opc == 0x1f) return U != 0 ? O.U_FSQRT : O.U_FRECPX;
  return X;
}

function twoMisc(insn: u32, e: u32, ebytesIn: u32, fp16: bool, scalar: bool): bool {
  const U = (insn >> 29) & 1, a = (insn >> 23) & 1, Q = (insn >> 30) & 1, sz = (insn >> 22) & 1;
  const opc = (insn >> 12) & 0x1f;
  const rd = insn & 31, rn = (insn >> 5) & 31;
  if (!fp16 && a == 0 && opc == 0x16) { // FCVTN, FCVTXN (U = 1: sz must be 1)
    if (U == 1 && sz == 0) return false;
    if (scalar) {
      if (U == 0) return false;
      return setV(e, O.OP_FPV_CVTN, 4, 1, rd, rn, 0, 4, true, 0);
    }
    return setV(e, O.OP_FPV_CVTN, sz != 0 ? 4 : 2, U, rd, rn, 0, 8, false, Q << 8);
  }
  if (!fp16 && a == 0 && opc == 0x17 && U == 0 && !scalar) { // FCVTL
    return setV(e, O.OP_FPV_CVTL, sz != 0 ? 8 : 4, 0, rd, rn, 0, 16, false, Q << 8);
  }
  const v = miscOp(U, a, opc);
  if (v == X) return false;
  const ebytes = fp16 ? 2 : (sz != 0 ? 8 : 4);
  if (v == O.U_URECPE || v == O.U_URSQRTE) { if (fp16 || scalar || sz != 0) return false; }
  if (fp16 && v >= O.U_FRINT32Z && v < O.U_FRINT32Z + 4) return false;
  if (scalar) {
    const ok = (v >= O.U_FCVTNS && v <= O.U_FCMGT0 + 4) || v == O.U_FRECPE || v == O.U_FRSQRTE || v == O.U_FRECPX;
    if (!ok) return false;
    return setV(e, O.OP_FPV_UN, ebytes, v, rd, rn, 0, ebytes, true, 0);
  }
  if (v == O.U_FRECPX) return false;
  if (ebytes == 8 && Q == 0) return false;
  return setV(e, O.OP_FPV_UN, ebytes, v, rd, rn, 0, Q != 0 ? 16 : 8, false, 0);
}

export function decodeFpVector(insn: u32, e: u32): bool {
  const rd = insn & 31, rn = (insn >> 5) & 31;
  const Q = (insn >> 30) & 1, U = (insn >> 29) & 1;
  // Three same (single/double), vector and scalar
  if ((insn & 0x9f200400) == 0x0e200400 || (insn & 0xdf200400) == 0x5e200400) {
    const opcode = (insn >> 11) & 0x1f;
    if (opcode < 0x18) return false;
    return threeSame(insn, e, ((insn >> 22) & 1) != 0 ? 8 : 4, opcode & 7, (insn & 0x10000000) != 0);
  }
  // Three same FP16
  if ((insn & 0x9f60c400) == 0x0e400400 || (insn & 0xdf60c400) == 0x5e400400) {
    return threeSame(insn, e, 2, (insn >> 11) & 7, (insn & 0x10000000) != 0);
  }
  // Two-register misc (single/double), FP16; vector and scalar
  if ((insn & 0x9f3e0c00) == 0x0e200800 || (insn & 0xdf3e0c00) == 0x5e200800) {
    const opc = (insn >> 12) & 0x1f;
    if (opc < 0x0c || (opc > 0x0f && opc < 0x16)) return false;
    return twoMisc(insn, e, 0, false, (insn & 0x10000000) != 0);
  }
  if ((insn & 0x9f7e0c00) == 0x0e780800 || (insn & 0xdf7e0c00) == 0x5e780800) {
    return twoMisc(insn, e, 2, true, (insn & 0x10000000) != 0);
  }
  // Across lanes (vector) and scalar pairwise
  if ((insn & 0x9f3e0c00) == 0x0e300800 || (insn & 0xdf3e0c00) == 0x5e300800) {
    const scalar = (insn & 0x10000000) != 0;
    const opc = (insn >> 12) & 0x1f, a = (insn >> 23) & 1, sz = (insn >> 22) & 1;
    let v: u32 = X;
    if (opc == 0x0c) v = a != 0 ? O.V_FMINNM : O.V_FMAXNM;
    else if (opc == 0x0f) v = a != 0 ? O.V_FMIN : O.V_FMAX;
    else if (opc == 0x0d && scalar && a == 0) v = O.V_FADD;
    if (v == X) return false;
    if (U == 0 && sz != 0) return false; // FP16 forms have sz = 0
    const ebytes: u32 = U == 0 ? 2 : (sz != 0 ? 8 : 4);
    if (scalar) return setV(e, O.OP_FPV_SPAIR, ebytes, v, rd, rn, 0, ebytes, true, 0);
    if (U == 1 && (Q == 0 || sz != 0)) return false;
    return setV(e, O.OP_FPV_ACROSS, ebytes, v, rd, rn, 0, Q != 0 ? 16 : 8, false, 0);
  }
  // By element (vector and scalar)
  if ((insn & 0x9f000400) == 0x0f000000 || (insn & 0xdf000400) == 0x5f000000) {
    const scalar = (insn & 0x10000000) != 0;
    const opc = (insn >> 12) & 0xf, size = (insn >> 22) & 3;
    const L = (insn >> 21) & 1, M = (insn >> 20) & 1, H = (insn >> 11) & 1;
    if (U == 1 && (opc & 9) == 1 && !scalar) { // FCMLA (by element)
      const rot = (opc >> 1) & 3;
      if (size == 1 && !(H == 1 && Q == 0)) return setV(e, O.OP_FPV_FCMLA_ELEM, 2, rot, rd, rn, (insn >> 16) & 31, Q != 0 ? 16 : 8, false, (H << 1) | L);
      if (size == 2 && Q == 1 && L == 0) return setV(e, O.OP_FPV_FCMLA_ELEM, 4, rot, rd, rn, (insn >> 16) & 31, 16, false, H);
      return false;
    }
    let v: u32 = X;
    if (U == 0 && opc == 1) v = O.V_FMLA;
    else if (U == 0 && opc == 5) v = O.V_FMLS;
    else if (U == 0 && opc == 9) v = O.V_FMUL;
    else if (U == 1 && opc == 9) v = O.V_FMULX;
    if (v == X || size == 1) return false;
    let ebytes: u32, index: u32, rm: u32;
    if (size == 0) { ebytes = 2; index = (H << 2) | (L << 1) | M; rm = (insn >> 16) & 15; }
    else if (size == 2) { ebytes = 4; index = (H << 1) | L; rm = (insn >> 16) & 31; }
    else {
      if (L != 0 || (!scalar && Q == 0)) return false;
      ebytes = 8; index = H; rm = (insn >> 16) & 31;
    }
    return setV(e, O.OP_FPV_ELEM, ebytes, v, rd, rn, rm, scalar ? ebytes : (Q != 0 ? 16 : 8), scalar, index);
  }
  // Shift by immediate: SCVTF/UCVTF/FCVTZS/FCVTZU (fixed point), vector and scalar
  if ((insn & 0x9f800400) == 0x0f000400 || (insn & 0xdf800400) == 0x5f000400) {
    const scalar = (insn & 0x10000000) != 0;
    const immh = (insn >> 19) & 15, immhb = (insn >> 16) & 0x7f;
    const opc = (insn >> 11) & 0x1f;
    if (immh == 0 || (opc != 0x1c && opc != 0x1f)) return false;
    let ebytes: u32;
    if (immh >= 8) ebytes = 8; else if (immh >= 4) ebytes = 4; else if (immh >= 2) ebytes = 2; else return false;
    if (ebytes == 8 && !scalar && Q == 0) return false;
    const fbits = ebytes * 16 - immhb;
    const v: u32 = opc == 0x1c ? (U != 0 ? O.U_UCVTF : O.U_SCVTF) : O.U_FCVTNS + 6 + U;
    return setV(e, O.OP_FPV_UN, ebytes, v, rd, rn, 0, scalar ? ebytes : (Q != 0 ? 16 : 8), scalar, fbits | 0x80);
  }
  // Three same extra: FCMLA, FCADD
  if ((insn & 0xbf208400) == 0x2e008400) {
    const size = (insn >> 22) & 3, opc = (insn >> 11) & 15;
    if (size == 0 || (size == 3 && Q == 0)) return false;
    const ebytes: u32 = size == 1 ? 2 : size == 2 ? 4 : 8;
    const rm = (insn >> 16) & 31;
    if ((opc & 12) == 8) return setV(e, O.OP_FPV_FCMLA, ebytes, opc & 3, rd, rn, rm, Q != 0 ? 16 : 8, false, 0);
    if ((opc & 13) == 12) return setV(e, O.OP_FPV_FCADD, ebytes, (opc >> 1) & 1, rd, rn, rm, Q != 0 ? 16 : 8, false, 0);
    return false;
  }
  return false;
}
