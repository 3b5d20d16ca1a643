// Decoder for Advanced SIMD (scalar and vector) and the cryptographic extension: the "Data
// processing — scalar FP and Advanced SIMD" space except the scalar FP classes (Arm ARM C4.1.96).
// The FP forms are decoded by core-as/fp/decode-fp-vector.ts, asked first; this decoder claims
// only integer, permute, move and crypto encodings, so an FP encoding fp/ does not claim stays
// UNDEFINED. Reserved sizes / Q combinations return false (UNDEFINED).
import { decodeFpVector } from '../fp/decode-fp-vector';
import { D_IMM, D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { REG_SP, REG_ZR } from '../layout';
import * as S from './ops-simd';
import { SF_LONG } from './int-shift-elem';
import { SUB_SQRDMLAH, SUB_SQRDMLSH } from './int-same';

function set(e: u32, op: u16, insn: u32, esz: u32, flags: u32, ra: u32): bool {
  store<u16>(e, op, D_OP);
  store<u8>(e, <u8>(insn & 31), D_RD);
  store<u8>(e, <u8>((insn >> 5) & 31), D_RN);
  store<u8>(e, <u8>((insn >> 16) & 31), D_RM);
  store<u8>(e, <u8>ra, D_RA);
  store<u8>(e, <u8>esz, D_P1);
  store<u8>(e, <u8>flags, D_P2);
  store<u32>(e, insn, D_IMM + 4);
  return true;
}
@inline function setImm(e: u32, v: u32): bool { store<u32>(e, v, D_IMM); return true; }

export function decodeSimd(insn: u32, e: u32): bool {
  if (decodeFpVector(insn, e)) return true;
  if (decodeCrypto(insn, e)) return true;
  // Vector: 0 Q U 0111 x; scalar: 01 U 1111 x
  if ((insn & 0x9f000000) == 0x0e000000) return decodeVec01110(insn, e);
  if ((insn & 0x9f000000) == 0x0f000000) {
    if ((insn >> 10) & 1) {
      if (((insn >> 19) & 0xf) == 0) return decodeModImm(insn, e);
      return decodeShiftImm(insn, e, false);
    }
    return decodeElem(insn, e, false);
  }
  if ((insn & 0xdf000000) == 0x5e000000) return decodeScalar11110(insn, e);
  if ((insn & 0xdf000000) == 0x5f000000) {
    if ((insn >> 10) & 1) {
      if (((insn >> 19) & 0xf) == 0) return false;
      return decodeShiftImm(insn, e, true);
    }
    return decodeElem(insn, e, true);
  }
  return false;
}

function decodeCrypto(insn: u32, e: u32): bool {
  if ((insn & 0xff3e0c00) == 0x4e280800) { // AES: 0100 1110 size 10100 opcode 10
    if ((insn >> 22) & 3) return false;
    const opc = (insn >> 12) & 31;
    if (opc < 4 || opc > 7) return false;
    return set(e, S.OPS_AES, insn, 0, 0, opc - 4);
  }
  if ((insn & 0xff208c00) == 0x5e000000) { // SHA three-register
    if ((insn >> 22) & 3) return false;
    const opc = (insn >> 12) & 7;
    if (opc == 7) return false;
    return set(e, S.OPS_SHA3REG, insn, 0, 0, opc);
  }
  if ((insn & 0xff3e0c00) == 0x5e280800) { // SHA two-register
    if ((insn >> 22) & 3) return false;
    const opc = (insn >> 12) & 31;
    if (opc > 2) return false;
    return set(e, S.OPS_SHA2REG, insn, 0, 0, opc);
  }
  if ((insn & 0xffe0b000) == 0xce608000) { // SHA512 three-register (O = 0), RAX1
    if ((insn >> 14) & 1) return false; // SM3/SM4: not implemented
    return set(e, S.OPS_SHA512, insn, 0, 0, (insn >> 10) & 3);
  }
  if ((insn & 0xfffffc00) == 0xcec08000) return set(e, S.OPS_SHA512, insn, 0, 0, 4); // SHA512SU0
  if ((insn & 0xff808000) == 0xce000000) { // EOR3 / BCAX
    const op0 = (insn >> 21) & 3;
    if (op0 > 1) return false;
    set(e, op0 == 0 ? S.OPS_EOR3 : S.OPS_BCAX, insn, 0, 0, 0);
    return setImm(e, (insn >> 10) & 31);
  }
  if ((insn & 0xffe00000) == 0xce800000) { // XAR
    set(e, S.OPS_XAR, insn, 0, 0, 0);
    return setImm(e, (insn >> 10) & 63);
  }
  return false;
}

/** 0 Q U 01110 ...: three same/different, two-reg misc, across lanes, copy, permute, EXT, TBL. */
function decodeVec01110(insn: u32, e: u32): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  if ((insn >> 21) & 1) {
    if ((insn >> 10) & 1) return decode3Same(insn, e, false);
    const b1110 = (insn >> 10) & 3;
    if (b1110 == 0) return decode3Diff(insn, e, false);
    if (b1110 != 2) return false;
    const b2017 = (insn >> 17) & 15;
    if (b2017 == 0) return decode2Misc(insn, e, false);
    if (b2017 == 8) return decodeAcross(insn, e);
    return false;
  }
  if ((insn >> 10) & 1) {
    if ((insn >> 15) & 1) return decode3Extra(insn, e, false);
    if (((insn >> 21) & 7) == 0 && size == 0) return decodeCopy(insn, e);
    return false; // FP16 three same (fp/)
  }
  if (u == 0 && ((insn >> 15) & 1) == 0) {
    if (((insn >> 10) & 3) == 2) { // permute
      const opc = (insn >> 12) & 7;
      if ((opc & 3) == 0) return false;
      if (size == 3 && !q) return false;
      return set(e, S.OPS_PERM, insn, size, q, opc);
    }
    if (((insn >> 10) & 3) == 0) { // TBL/TBX
      if (size != 0) return false;
      set(e, S.OPS_TBL, insn, 0, q, (insn >> 12) & 1);
      return setImm(e, (insn >> 13) & 3);
    }
    return false;
  }
  if (u == 1 && size == 0 && ((insn >> 15) & 1) == 0 && ((insn >> 10) & 1) == 0) { // EXT
    const imm4 = (insn >> 11) & 15;
    if (!q && (imm4 & 8)) return false;
    set(e, S.OPS_EXT, insn, 0, q, 0);
    return setImm(e, imm4);
  }
  return false;
}

function decodeScalar11110(insn: u32, e: u32): bool {
  const size = (insn >> 22) & 3;
  if ((insn >> 21) & 1) {
    if ((insn >> 10) & 1) return decode3Same(insn, e, true);
    const b1110 = (insn >> 10) & 3;
    if (b1110 == 0) return decode3Diff(insn, e, true);
    if (b1110 != 2) return false;
    const b2017 = (insn >> 17) & 15;
    if (b2017 == 0) return decode2Misc(insn, e, true);
    if (b2017 == 8) { // scalar pairwise: only ADDP is integer
      if (((insn >> 29) & 1) == 0 && ((insn >> 12) & 31) == 0x1b && size == 3) return set(e, S.OPS_PAIR_SCALAR, insn, 3, S.SF_SCALAR, 0);
      return false;
    }
    return false;
  }
  if ((insn >> 10) & 1) {
    if ((insn >> 15) & 1) return decode3Extra(insn, e, true);
    // scalar copy: DUP (element): 01 0 11110000 imm5 0 0000 1
    if (((insn >> 21) & 7) == 0 && size == 0 && ((insn >> 29) & 1) == 0 && ((insn >> 11) & 15) == 0) {
      const imm5 = (insn >> 16) & 31;
      if ((imm5 & 15) == 0) return false;
      const sz = ctz<u32>(imm5);
      set(e, S.OPS_DUP_ELEM, insn, sz, S.SF_SCALAR, 0);
      return setImm(e, imm5 >> (sz + 1));
    }
  }
  return false;
}

function decode3Same(insn: u32, e: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 11) & 31;
  const sub = (u << 5) | opc;
  if (opc >= 0x18) return false; // FP
  if (scalar) {
    switch (opc) {
      case 0x01: case 0x05: case 0x09: case 0x0b: break;
      case 0x06: case 0x07: case 0x08: case 0x0a: case 0x10: case 0x11: if (size != 3) return false; break;
      case 0x16: if (size == 0 || size == 3) return false; break;
      default: return false;
    }
    return set(e, S.OPS_3SAME, insn, size, S.SF_SCALAR, sub);
  }
  if (opc == 0x03) { // logical
    const op: u16 = u == 0 ? (size == 0 ? S.OPS_AND : size == 1 ? S.OPS_BIC : size == 2 ? S.OPS_ORR : S.OPS_ORN)
      : (size == 0 ? S.OPS_EOR : size == 1 ? S.OPS_BSL : size == 2 ? S.OPS_BIT : S.OPS_BIF);
    return set(e, op, insn, 0, q, 0);
  }
  switch (opc) {
    case 0x00: case 0x02: case 0x04: case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x12: case 0x14: case 0x15:
      if (size == 3) return false;
      break;
    case 0x13:
      if (u == 0 ? size == 3 : size != 0) return false;
      break;
    case 0x16: if (size == 0 || size == 3) return false; break;
    case 0x17: if (u == 1 || (size == 3 && !q)) return false; break;
    default: if (size == 3 && !q) return false;
  }
  if (opc == 0x14 || opc == 0x15 || opc == 0x17) return set(e, S.OPS_3SAME_PAIR, insn, size, q, sub);
  if (sub == 0x10) return set(e, S.OPS_ADD, insn, size, q, sub);
  if (sub == 0x30) return set(e, S.OPS_SUB, insn, size, q, sub);
  if (sub == 0x31) return set(e, S.OPS_CMEQ, insn, size, q, sub);
  return set(e, S.OPS_3SAME, insn, size, q, sub);
}

function decode3Extra(insn: u32, e: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 11) & 15;
  if (u == 1 && (opc == 0 || opc == 1)) { // SQRDMLAH / SQRDMLSH
    if (size == 0 || size == 3) return false;
    return set(e, S.OPS_3SAME, insn, size, scalar ? S.SF_SCALAR : q, opc == 0 ? SUB_SQRDMLAH : SUB_SQRDMLSH);
  }
  if (!scalar && opc == 2 && size == 2) { // SDOT/UDOT (vector)
    set(e, S.OPS_DOT, insn, 2, q, u);
    return setImm(e, 0xff);
  }
  return false;
}

function decode3Diff(insn: u32, e: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 15;
  const sub = (u << 4) | opc;
  if (scalar) {
    if (u || (opc != 9 && opc != 0xb && opc != 0xd)) return false;
    if (size == 0 || size == 3) return false;
    return set(e, S.OPS_3DIFF, insn, size, S.SF_SCALAR, sub);
  }
  if (opc == 0xf) return false;
  if (opc == 9 || opc == 0xb || opc == 0xd) {
    if (u || size == 0 || size == 3) return false;
  } else if (opc == 0xe) {
    if (u || size == 1 || size == 2) return false;
  } else if (size == 3) return false;
  return set(e, S.OPS_3DIFF, insn, size, q, sub);
}

function decode2Misc(insn: u32, e: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 31;
  const sub = (u << 5) | opc;
  if (scalar) {
    switch (sub) {
      case 0x03: case 0x23: case 0x07: case 0x27: break;
      case 0x08: case 0x28: case 0x09: case 0x29: case 0x0a: case 0x0b: case 0x2b: if (size != 3) return false; break;
      case 0x14: case 0x34: case 0x32: if (size == 3) return false; break;
      default: return false;
    }
    return set(e, S.OPS_2MISC, insn, size, S.SF_SCALAR, sub);
  }
  switch (sub) {
    case 0x00: if (size == 3) return false; break;
    case 0x20: if (size >= 2) return false; break;
    case 0x01: if (size != 0) return false; break;
    case 0x02: case 0x22: case 0x06: case 0x26: case 0x04: case 0x24: if (size == 3) return false; break;
    case 0x05: if (size != 0) return false; break;
    case 0x25: if (size >= 2) return false; break;
    case 0x03: case 0x23: case 0x07: case 0x27: case 0x08: case 0x28: case 0x09: case 0x29: case 0x0a: case 0x0b: case 0x2b:
      if (size == 3 && !q) return false;
      break;
    case 0x12: case 0x32: case 0x14: case 0x34: case 0x33: if (size == 3) return false; break;
    default: return false;
  }
  if (sub == 0x09) return set(e, S.OPS_CMEQZ, insn, size, q, sub);
  return set(e, S.OPS_2MISC, insn, size, q, sub);
}

function decodeAcross(insn: u32, e: u32): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 31;
  const sub = (u << 5) | opc;
  if (sub != 0x03 && sub != 0x23 && sub != 0x0a && sub != 0x2a && sub != 0x1a && sub != 0x3a && sub != 0x1b) return false;
  if (size == 3 || (size == 2 && !q)) return false;
  return set(e, S.OPS_ACROSS, insn, size, q, sub);
}

function decodeCopy(insn: u32, e: u32): bool {
  const q = (insn >> 30) & 1;
  const op = (insn >> 29) & 1;
  const imm5 = (insn >> 16) & 31;
  const imm4 = (insn >> 11) & 15;
  if ((imm5 & 15) == 0) return false;
  const sz = ctz<u32>(imm5);
  const idx = imm5 >> (sz + 1);
  const rn = (insn >> 5) & 31;
  if (op == 1) {
    if (!q) return false;
    set(e, S.OPS_INS_ELEM, insn, sz, 1, imm4 >> sz);
    return setImm(e, idx);
  }
  switch (imm4) {
    case 0: // DUP (element)
      if (sz == 3 && !q) return false;
      set(e, S.OPS_DUP_ELEM, insn, sz, q, 0);
      return setImm(e, idx);
    case 1: // DUP (general)
      if (sz == 3 && !q) return false;
      set(e, S.OPS_DUP_GEN, insn, sz, q, 0);
      store<u8>(e, <u8>(rn == 31 ? REG_ZR : rn), D_RN);
      return true;
    case 3: // INS (general)
      if (!q) return false;
      set(e, S.OPS_INS_GEN, insn, sz, 1, 0);
      store<u8>(e, <u8>(rn == 31 ? REG_ZR : rn), D_RN);
      return setImm(e, idx);
    case 5: case 7: { // SMOV, UMOV: Rd is a general register
      const smov = imm4 == 5;
      if (smov ? (q ? sz > 2 : sz > 1) : (q ? sz != 3 : sz > 2)) return false;
      const rd = insn & 31;
      set(e, smov ? S.OPS_SMOV : S.OPS_UMOV, insn, sz, q, q);
      store<u8>(e, <u8>(rd == 31 ? 33 : rd), D_RD); // REG_DISCARD for 31 (WZR/XZR)
      return setImm(e, idx);
    }
  }
  return false;
}

/** AdvSIMDExpandImm (Arm ARM shared/functions/vector). */
function expandImm(op: u32, cmode: u32, imm8: u32): u64 {
  const i: u64 = <u64>imm8;
  switch (cmode >> 1) {
    case 0: return i * 0x0000_0001_0000_0001;
    case 1: return (i << 8) * 0x0000_0001_0000_0001;
    case 2: return (i << 16) * 0x0000_0001_0000_0001;
    case 3: return (i << 24) * 0x0000_0001_0000_0001;
    case 4: return i * 0x0001_0001_0001_0001;
    case 5: return (i << 8) * 0x0001_0001_0001_0001;
    case 6: return ((cmode & 1) == 0 ? ((i << 8) | 0xff) : ((i << 16) | 0xffff)) * 0x0000_0001_0000_0001;
    default:
      if ((cmode & 1) == 0) {
        if (op == 0) return i * 0x0101_0101_0101_0101;
        let r: u64 = 0;
        for (let b: u32 = 0; b < 8; b++) if ((imm8 >> b) & 1) r |= <u64>0xff << (b * 8);
        return r;
      }
      if (op == 0) { // single-precision FMOV immediate
        const b6 = (imm8 >> 6) & 1;
        const s: u64 = (<u64>(imm8 >> 7) << 31) | (<u64>(b6 ^ 1) << 30) | (<u64>(b6 ? 0x1f : 0) << 25) | (<u64>(imm8 & 0x3f) << 19);
        return s * 0x0000_0001_0000_0001;
      }
      const b6 = (imm8 >> 6) & 1; // double
      return (<u64>(imm8 >> 7) << 63) | (<u64>(b6 ^ 1) << 62) | (<u64>(b6 ? 0xff : 0) << 54) | (<u64>(imm8 & 0x3f) << 48);
  }
}

function decodeModImm(insn: u32, e: u32): bool {
  const q = (insn >> 30) & 1;
  const op = (insn >> 29) & 1;
  const cmode = (insn >> 12) & 15;
  const o2 = (insn >> 11) & 1;
  const imm8 = (((insn >> 16) & 7) << 5) | ((insn >> 5) & 31);
  let imm: u64;
  let mode: u32 = 0;
  if (o2) { // FMOV (vector, immediate), half precision
    if (op != 0 || cmode != 15) return false;
    const b6 = (imm8 >> 6) & 1;
    const h: u64 = (<u64>(imm8 >> 7) << 15) | (<u64>(b6 ^ 1) << 14) | (<u64>(b6 ? 3 : 0) << 12) | (<u64>(imm8 & 0x3f) << 6);
    imm = h * 0x0001_0001_0001_0001;
  } else {
    if (op == 1 && cmode == 15 && !q) return false; // FMOV Vd.1D is reserved
    imm = expandImm(op, cmode, imm8);
    const isMov = cmode >= 14 || (cmode & 1) == 0 || cmode >= 12;
    if (op == 0) mode = isMov ? 0 : 1; // MOVI / ORR
    else if (cmode >= 14) mode = 0; // MOVI (64-bit), FMOV (double)
    else if (isMov) { imm = ~imm; mode = 0; } // MVNI
    else { imm = ~imm; mode = 2; } // BIC
  }
  store<u16>(e, S.OPS_MOVI, D_OP);
  store<u8>(e, <u8>(insn & 31), D_RD);
  store<u8>(e, <u8>mode, D_RA);
  store<u8>(e, <u8>q, D_P2);
  store<u64>(e, imm, D_IMM);
  return true;
}

function decodeShiftImm(insn: u32, e: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const immh = (insn >> 19) & 15;
  const immhb = (insn >> 16) & 127;
  const opc = (insn >> 11) & 31;
  const sub = (u << 5) | opc;
  const esz: u32 = 31 - clz<u32>(immh);
  const esize: u32 = 8 << esz;
  const right = 2 * esize - immhb;
  const left = immhb - esize;
  let sh: u32;
  switch (sub) {
    case 0x00: case 0x20: case 0x02: case 0x22: case 0x04: case 0x24: case 0x06: case 0x26: case 0x28:
      if (scalar ? esz != 3 : (esz == 3 && !q)) return false;
      sh = right; break;
    case 0x0a: case 0x2a:
      if (scalar ? esz != 3 : (esz == 3 && !q)) return false;
      sh = left; break;
    case 0x2c: case 0x0e: case 0x2e:
      if (!scalar && esz == 3 && !q) return false;
      sh = left; break;
    case 0x10: case 0x11: // SHRN, RSHRN (vector only)
      if (scalar || esz == 3) return false;
      sh = right; break;
    case 0x12: case 0x13: case 0x30: case 0x31: case 0x32: case 0x33:
      if (esz == 3) return false;
      sh = right; break;
    case 0x14: case 0x34:
      if (scalar || esz == 3) return false;
      sh = left; break;
    default: return false; // FP conversions (fp/) and unallocated
  }
  set(e, S.OPS_SHIFT_IMM, insn, esz, scalar ? S.SF_SCALAR : q, sub);
  return setImm(e, sh);
}

function decodeElem(insn: u32, e: u32, scalar: bool): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const L = (insn >> 21) & 1, M = (insn >> 20) & 1, H = (insn >> 11) & 1;
  const opc = (insn >> 12) & 15;
  const sub = (u << 4) | opc;
  let rm = (insn >> 16) & 15;
  let idx: u32;
  if (size == 1) idx = (H << 2) | (L << 1) | M;
  else if (size == 2) { idx = (H << 1) | L; rm |= M << 4; }
  else return false;
  if (sub == 0x0e || sub == 0x1e) { // SDOT/UDOT (by element)
    if (scalar || size != 2) return false;
    set(e, S.OPS_DOT, insn, 2, q, u);
    store<u8>(e, <u8>rm, D_RM);
    return setImm(e, idx);
  }
  let mapped: i32 = -1;
  let long = false;
  if (scalar) {
    switch (sub) {
      case 0x03: mapped = 0x09; long = true; break; // SQDMLAL
      case 0x07: mapped = 0x0b; long = true; break; // SQDMLSL
      case 0x0b: mapped = 0x0d; long = true; break; // SQDMULL
      case 0x0c: mapped = 0x16; break; // SQDMULH
      case 0x0d: mapped = 0x36; break; // SQRDMULH
      case 0x1d: mapped = SUB_SQRDMLAH; break;
      case 0x1f: mapped = SUB_SQRDMLSH; break;
    }
  } else {
    switch (sub) {
      case 0x08: mapped = 0x13; break; // MUL
      case 0x10: mapped = 0x12; break; // MLA
      case 0x14: mapped = 0x32; break; // MLS
      case 0x0c: mapped = 0x16; break;
      case 0x0d: mapped = 0x36; break;
      case 0x1d: mapped = SUB_SQRDMLAH; break;
      case 0x1f: mapped = SUB_SQRDMLSH; break;
      case 0x02: mapped = 0x08; long = true; break; // SMLAL
      case 0x12: mapped = 0x18; long = true; break; // UMLAL
      case 0x06: mapped = 0x0a; long = true; break; // SMLSL
      case 0x16: mapped = 0x1a; long = true; break; // UMLSL
      case 0x0a: mapped = 0x0c; long = true; break; // SMULL
      case 0x1a: mapped = 0x1c; long = true; break; // UMULL
      case 0x03: mapped = 0x09; long = true; break; // SQDMLAL
      case 0x07: mapped = 0x0b; long = true; break; // SQDMLSL
      case 0x0b: mapped = 0x0d; long = true; break; // SQDMULL
    }
  }
  if (mapped < 0) return false;
  const flags: u32 = (scalar ? S.SF_SCALAR : q) | (long ? SF_LONG : 0);
  set(e, S.OPS_ELEM, insn, size, flags, <u32>mapped);
  store<u8>(e, <u8>rm, D_RM);
  return setImm(e, idx);
}

export { REG_SP };
