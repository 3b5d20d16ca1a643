// Loads and stores (Arm ARM C4.1.89): exclusives and ordered, LSE atomics, literal, pairs,
// single register (imm9 unscaled/pre/post/unprivileged, register offset, unsigned offset).
// SIMD&FP register forms (V=1) and FEAT_MTE/FEAT_PAuth forms are UNDEFINED here.
import { decodeSimdLoadStore } from './simd/decode-simd-ldst';
import * as O from './ops';
import { D_IMM, D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from './decoded';
import { dstZR, regSP, sext, srcZR } from './decode';

@inline function setOp(e: u32, op: u16): void { store<u16>(e, op, D_OP); }

/** Access kind for size:opc of single-register forms, or -1 (unallocated / PRFM = -2). */
function ldstKind(size: u32, opc: u32): i32 {
  switch (opc) {
    case 0: return <i32>size; // STRB/STRH/STRW/STRX
    case 1: return 4 + <i32>size; // LDRB/LDRH/LDRW/LDRX
    case 2: // sign-extend to 64
      if (size == 0) return O.LDST_LDRSB64;
      if (size == 1) return O.LDST_LDRSH64;
      if (size == 2) return O.LDST_LDRSW;
      return -2; // PRFM
    default: // sign-extend to 32
      if (size == 0) return O.LDST_LDRSB32;
      if (size == 1) return O.LDST_LDRSH32;
      return -1;
  }
}

@inline function isLoadKind(k: i32): bool { return k >= 4; }

/** Sets Rt/Rn for a single-register access; Rt=31 is XZR for stores, discard for loads. */
function setRtRn(e: u32, insn: u32, kind: i32): void {
  const rt = insn & 31;
  store<u8>(e, isLoadKind(kind) ? dstZR(rt) : srcZR(rt), D_RD);
  store<u8>(e, regSP((insn >> 5) & 31), D_RN);
  store<u8>(e, <u8>kind, D_P1);
}

export function decodeLoadStore(insn: u32, e: u32): bool {
  const size = insn >> 30;
  const V = (insn >> 26) & 1;
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;
  const rs = (insn >> 16) & 31;
  const rt2 = (insn >> 10) & 31;

  // Load/store exclusive, ordered, compare-and-swap: size 001000 o2 L o1 Rs o0 Rt2 Rn Rt
  if ((insn & 0x3f000000) == 0x08000000) {
    const o2 = (insn >> 23) & 1, L = (insn >> 22) & 1, o1 = (insn >> 21) & 1, o0 = (insn >> 15) & 1;
    store<u8>(e, regSP(rn), D_RN);
    if (o2 == 0 && o1 == 0) { // STXR/STLXR/LDXR/LDAXR
      store<u8>(e, <u8>size, D_P1);
      store<u8>(e, <u8>o0, D_P2);
      if (L) { setOp(e, O.OP_LDX); store<u8>(e, dstZR(rt), D_RD); }
      else { setOp(e, O.OP_STX); store<u8>(e, srcZR(rt), D_RD); store<u8>(e, dstZR(rs), D_RM); }
      return true;
    }
    if (o2 == 0 && o1 == 1) {
      if (size >= 2) { // STXP/STLXP/LDXP/LDAXP
        store<u8>(e, <u8>size, D_P1);
        store<u8>(e, <u8>o0, D_P2);
        if (L) {
          if (rt == rt2) return false; // CONSTRAINED UNPREDICTABLE: we choose UNDEFINED
          setOp(e, O.OP_LDXP); store<u8>(e, dstZR(rt), D_RD); store<u8>(e, dstZR(rt2), D_RA);
        } else {
          setOp(e, O.OP_STXP); store<u8>(e, srcZR(rt), D_RD); store<u8>(e, srcZR(rt2), D_RA);
          store<u8>(e, dstZR(rs), D_RM);
        }
        return true;
      }
      // CASP{A,L,AL}: 0 sz 001000 0 L 1 Rs o0 11111 Rn Rt, Rs and Rt even
      if (rt2 != 31 || (rs & 1) || (rt & 1)) return false;
      setOp(e, O.OP_CASP);
      store<u8>(e, <u8>(size + 2), D_P1);
      store<u8>(e, <u8>rs, D_RM); // pair (Rs, Rs+1); 31 never (odd)
      store<u8>(e, <u8>rt, D_RD);
      return true;
    }
    if (o2 == 1 && o1 == 0) { // STLLR/STLR/LDLAR/LDAR
      store<u8>(e, <u8>size, D_P1);
      if (L) { setOp(e, O.OP_LDAR); store<u8>(e, dstZR(rt), D_RD); }
      else { setOp(e, O.OP_STLR); store<u8>(e, srcZR(rt), D_RD); }
      return true;
    }
    // CAS{A,L,AL}{B,H,,}: size 001000 1 L 1 Rs o0 11111 Rn Rt
    if (rt2 != 31) return false;
    setOp(e, O.OP_CAS);
    store<u8>(e, <u8>size, D_P1);
    store<u8>(e, srcZR(rs), D_RM); // compare value; also receives the old value (see exec)
    store<u8>(e, srcZR(rt), D_RD);
    store<u8>(e, <u8>rs, D_RA); // raw Rs for the write-back (31 → discard)
    return true;
  }

  if (V) return decodeSimdLoadStore(insn, e); // SIMD&FP loads/stores (core-as/simd/)

  // Load register (literal): opc 011 V 00 imm19 Rt
  if ((insn & 0x3b000000) == 0x18000000) {
    const opc = insn >> 30;
    store<i64>(e, sext((insn >> 5) & 0x7ffff, 19) << 2, D_IMM);
    if (opc == 3) { setOp(e, O.OP_PRFM); return true; }
    const kind = opc == 0 ? O.LDST_LDRW : opc == 1 ? O.LDST_LDRX : O.LDST_LDRSW;
    setOp(e, O.OP_LDR_LIT);
    store<u8>(e, dstZR(rt), D_RD);
    store<u8>(e, <u8>kind, D_P1);
    return true;
  }

  // Load/store pair: opc 101 V type L imm7 Rt2 Rn Rt
  if ((insn & 0x3a000000) == 0x28000000) {
    const opc = insn >> 30;
    const type = (insn >> 23) & 3; // 00 no-allocate, 01 post, 10 offset, 11 pre
    const L = (insn >> 22) & 1;
    if (opc == 3) return false;
    if (opc == 1 && (!L || type == 0)) return false; // STGP (MTE), LDNP with opc 01
    const kind: u8 = opc == 0 ? (L ? O.LDST_LDRW : O.LDST_STRW) : opc == 1 ? O.LDST_LDRSW : (L ? O.LDST_LDRX : O.LDST_STRX);
    const scale: u32 = opc == 2 ? 3 : 2;
    const mode: u8 = type == 1 ? O.IDX_POST : type == 3 ? O.IDX_PRE : O.IDX_OFFSET;
    if (L && rt == rt2) return false; // CONSTRAINED UNPREDICTABLE: UNDEFINED
    setOp(e, L ? O.OP_LDP : O.OP_STP);
    store<u8>(e, L ? dstZR(rt) : srcZR(rt), D_RD);
    store<u8>(e, L ? dstZR(rt2) : srcZR(rt2), D_RA);
    store<u8>(e, regSP(rn), D_RN);
    store<u8>(e, kind, D_P1);
    store<u8>(e, mode, D_P2);
    store<i64>(e, sext((insn >> 15) & 0x7f, 7) << scale, D_IMM);
    return true;
  }

  // Load/store register, unsigned offset: size 111 V 01 opc imm12 Rn Rt
  if ((insn & 0x3b000000) == 0x39000000) {
    const kind = ldstKind(size, (insn >> 22) & 3);
    store<i64>(e, <i64>((insn >> 10) & 0xfff) << size, D_IMM);
    if (kind == -2) { setOp(e, O.OP_PRFM); return true; }
    if (kind < 0) return false;
    setOp(e, O.OP_LDST_IMM);
    setRtRn(e, insn, kind);
    return true;
  }

  if ((insn & 0x3b000000) != 0x38000000) return false;
  const opc = (insn >> 22) & 3;

  if ((insn >> 21) & 1) {
    const op4 = (insn >> 10) & 3;
    if (op4 == 2) { // register offset: size 111 V 00 opc 1 Rm option S 10 Rn Rt
      const option = (insn >> 13) & 7;
      if ((option & 2) == 0) return false; // option<1> == 0 is reserved
      const kind = ldstKind(size, opc);
      if (kind == -2) { setOp(e, O.OP_PRFM); return true; }
      if (kind < 0) return false;
      setOp(e, O.OP_LDST_REG);
      setRtRn(e, insn, kind);
      store<u8>(e, srcZR(rs), D_RM);
      store<u8>(e, <u8>option, D_P2);
      store<u8>(e, <u8>(((insn >> 12) & 1) ? size : 0), D_RA);
      return true;
    }
    if (op4 != 0) return false; // LDRAA/LDRAB (PAuth)
    // Atomic memory operations: size 111 V 00 A R 1 Rs o3 opc 00 Rn Rt
    const o3 = (insn >> 15) & 1;
    const aop = (insn >> 12) & 7;
    store<u8>(e, <u8>size, D_P1);
    store<u8>(e, regSP(rn), D_RN);
    if (o3 == 0) {
      setOp(e, O.OP_LDOP);
      store<u8>(e, <u8>aop, D_P2);
    } else if (aop == 0) {
      setOp(e, O.OP_SWP);
    } else if (aop == 4) { // LDAPR{B,H,}: A=1 R=0 Rs=11111
      if (((insn >> 22) & 3) != 2 || rs != 31) return false;
      setOp(e, O.OP_LDAR);
      store<u8>(e, dstZR(rt), D_RD);
      return true;
    } else return false;
    store<u8>(e, srcZR(rs), D_RM);
    store<u8>(e, dstZR(rt), D_RD);
    return true;
  }

  // imm9 forms: size 111 V 00 opc 0 imm9 op Rn Rt
  const mode = (insn >> 10) & 3;
  const kind = ldstKind(size, opc);
  store<i64>(e, sext((insn >> 12) & 0x1ff, 9), D_IMM);
  if (kind == -2) {
    if (mode == 0) { setOp(e, O.OP_PRFM); return true; } // PRFUM
    return false;
  }
  if (kind < 0) return false;
  setRtRn(e, insn, kind);
  if (mode == 0) setOp(e, O.OP_LDST_IMM);
  else if (mode == 1) setOp(e, O.OP_LDST_POST);
  else if (mode == 2) setOp(e, O.OP_LDST_UNPRIV);
  else setOp(e, O.OP_LDST_PRE);
  return true;
}
