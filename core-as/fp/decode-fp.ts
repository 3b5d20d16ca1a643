// Decoder for the scalar floating-point classes of "Data processing — scalar FP and Advanced SIMD"
// (op0 = x0x1): FP data processing 1/2/3 source, compare, conditional compare/select, immediate,
// conversions between FP and integer / fixed point (Arm ARM C4.1.96). Returns false for an encoding
// it does not claim (the caller makes it UNDEFINED). FEAT_FP16 (ftype 11) is implemented.
import { D_IMM, D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import * as O from './ops-fp';
import { RA, RM, RN, RP, RZ } from './fpsr';

/** Element bytes for ftype (bits 23:22): 00 single, 01 double, 11 half; 0 if unallocated. */
@inline function ftypeBytes(ft: u32): u32 { return ft == 0 ? 4 : ft == 1 ? 8 : ft == 3 ? 2 : 0; }

function set(e: u32, op: u16, bytes: u32, sub: u32, rd: u32, rn: u32, rm: u32, ra: u32, imm: u64): bool {
  store<u16>(e, op, D_OP);
  store<u8>(e, <u8>rd, D_RD);
  store<u8>(e, <u8>rn, D_RN);
  store<u8>(e, <u8>rm, D_RM);
  store<u8>(e, <u8>ra, D_RA);
  store<u8>(e, <u8>bytes, D_P1);
  store<u8>(e, <u8>sub, D_P2);
  store<u64>(e, imm, D_IMM);
  return true;
}

/** VFPExpandImm: the 8-bit FMOV immediate as an N-bit value. */
export function vfpExpandImm(imm8: u32, N: u32): u64 {
  const E: u32 = N == 16 ? 5 : N == 32 ? 8 : 11;
  const F: u32 = N - E - 1;
  const sign = <u64>(imm8 >> 7);
  const b6 = (imm8 >> 6) & 1;
  // exp = NOT(b6) : Replicate(b6, E-3) : imm8<5:4>
  let exp: u64 = <u64>(b6 ^ 1) << <u64>(E - 1);
  if (b6 != 0) exp |= ((<u64>1 << <u64>(E - 3)) - 1) << 2;
  exp |= <u64>((imm8 >> 4) & 3);
  const frac = <u64>(imm8 & 15) << <u64>(F - 4);
  return (sign << <u64>(N - 1)) | (exp << <u64>F) | frac;
}

@inline function gdst(f: u32): u32 { return f == 31 ? 33 : f; }

export function decodeFp(insn: u32, e: u32): bool {
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31, ra = (insn >> 10) & 31;
  const ft = (insn >> 22) & 3;
  const sf = insn >> 31;
  const S = (insn >> 29) & 1;
  if (((insn >> 24) & 1) != 0) { // FP data-processing (3 source)
    if (sf != 0 || S != 0) return false;
    const b = ftypeBytes(ft);
    if (b == 0) return false;
    const o = (((insn >> 21) & 1) << 1) | ((insn >> 15) & 1);
    let op = O.OP_FP_DP3;
    if (o == 0) { if (b == 8) op = O.OP_FMADD_D; else if (b == 4) op = O.OP_FMADD_S; }
    return set(e, op, b, o, rd, rn, rm, ra, 0);
  }
  if (((insn >> 21) & 1) == 0) { // conversion between FP and fixed point
    if (S != 0) return false;
    const b = ftypeBytes(ft);
    if (b == 0) return false;
    const rmode = (insn >> 19) & 3, opc = (insn >> 16) & 7, scale = (insn >> 10) & 63;
    if (sf == 0 && scale < 32) return false;
    const fbits = 64 - scale;
    const M: u64 = sf != 0 ? 64 : 32;
    if (rmode == 0 && (opc == 2 || opc == 3)) return set(e, O.OP_FP_FROMINT, b, opc & 1, rd, rn == 31 ? 31 : rn, 0, 0, M | (<u64>fbits << 8));
    if (rmode == 3 && (opc == 0 || opc == 1)) return set(e, O.OP_FP_TOINT, b, RZ | ((opc & 1) << 3), gdst(rd), rn, 0, 0, M | (<u64>fbits << 8));
    return false;
  }
  const op3 = (insn >> 10) & 0x3f;
  if (op3 == 0) { // conversion between FP and integer
    if (S != 0) return false;
    const rmode = (insn >> 19) & 3, opc = (insn >> 16) & 7;
    const M: u64 = sf != 0 ? 64 : 32;
    if (opc == 6 || opc == 7) { // FMOV (general), FJCVTZS
      if (opc == 6 && sf == 0 && ft == 1 && rmode == 3) return set(e, O.OP_FP_FJCVTZS, 8, 0, gdst(rd), rn, 0, 0, 0);
      let bytes: u32 = 0, top: u32 = 0;
      if (rmode == 0) {
        if (ft == 0 && sf == 0) bytes = 4;
        else if (ft == 1 && sf == 1) bytes = 8;
        else if (ft == 3) bytes = 2;
      } else if (rmode == 1 && ft == 2 && sf == 1) { bytes = 8; top = 1; }
      if (bytes == 0) return false;
      const imm = <u64>(bytes | (top << 8)) | (M << 16);
      if (opc == 6) return set(e, O.OP_FP_FMOV_TOGEN, bytes, 0, gdst(rd), rn, 0, 0, imm);
      return set(e, O.OP_FP_FMOV_FROMGEN, bytes, 0, rd, rn, 0, 0, imm);
    }
    const b = ftypeBytes(ft);
    if (b == 0) return false;
    if (opc <= 1) { // FCVT{N,P,M,Z}{S,U}
      const r = rmode == 0 ? RN : rmode == 1 ? RP : rmode == 2 ? RM : RZ;
      return set(e, O.OP_FP_TOINT, b, r | (opc << 3), gdst(rd), rn, 0, 0, M);
    }
    if (rmode != 0) return false;
    if (opc == 2 || opc == 3) return set(e, O.OP_FP_FROMINT, b, opc & 1, rd, rn, 0, 0, M);
    return set(e, O.OP_FP_TOINT, b, RA | ((opc & 1) << 3), gdst(rd), rn, 0, 0, M); // FCVTA{S,U}
  }
  if (sf != 0 || S != 0) return false;
  const b = ftypeBytes(ft);
  if ((op3 & 0x1f) == 0x10) { // FP data-processing (1 source)
    const opc = (insn >> 15) & 0x3f;
    if (b == 0) return false;
    if (opc <= 3) return set(e, O.OP_FP_DP1, b, opc, rd, rn, 0, 0, 0);
    if (opc == 4 || opc == 5 || opc == 7) { // FCVT
      const to: u32 = opc == 4 ? 4 : opc == 5 ? 8 : 2;
      if (to == b) return false;
      return set(e, O.OP_FP_DP1, b, opc, rd, rn, 0, 0, to);
    }
    if (opc >= 8 && opc <= 15 && opc != 13) return set(e, O.OP_FP_DP1, b, opc, rd, rn, 0, 0, 0);
    if (opc >= 16 && opc <= 19 && b != 2) return set(e, O.OP_FP_DP1, b, opc, rd, rn, 0, 0, 0); // FRINT32/64
    return false;
  }
  if ((op3 & 0xf) == 0x8) { // FP compare
    if (b == 0 || ((insn >> 14) & 3) != 0 || (insn & 7) != 0) return false;
    return set(e, O.OP_FP_CMP, b, (insn >> 3) & 3, 0, rn, rm, 0, 0);
  }
  if ((op3 & 0x7) == 0x4) { // FP immediate
    if (b == 0 || ((insn >> 5) & 31) != 0) return false;
    return set(e, O.OP_FP_IMM, b, 0, rd, 0, 0, 0, vfpExpandImm((insn >> 13) & 0xff, b * 8));
  }
  if ((op3 & 3) == 1) { // FP conditional compare
    if (b == 0) return false;
    return set(e, O.OP_FP_CCMP, b, (insn >> 4) & 1, 0, rn, rm, 0, <u64>((insn & 15) | (((insn >> 12) & 15) << 4)));
  }
  if ((op3 & 3) == 2) { // FP data-processing (2 source)
    const opc = (insn >> 12) & 15;
    if (b == 0 || opc > 8) return false;
    let op = O.OP_FP_DP2;
    if (b == 8) { if (opc == 2) op = O.OP_FADD_D; else if (opc == 3) op = O.OP_FSUB_D; else if (opc == 0) op = O.OP_FMUL_D; }
    else if (b == 4) { if (opc == 2) op = O.OP_FADD_S; else if (opc == 3) op = O.OP_FSUB_S; else if (opc == 0) op = O.OP_FMUL_S; }
    return set(e, op, b, opc, rd, rn, rm, 0, 0);
  }
  // FP conditional select
  if (b == 0) return false;
  return set(e, O.OP_FP_CSEL, b, 0, rd, rn, rm, 0, <u64>((insn >> 12) & 15));
}
