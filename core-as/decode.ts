// A64 decoder, table-driven in the spirit of QEMU's decodetree: each row is (mask, bits, op);
// the first row whose fixed bits match names the op, and extract() pulls that op's fields into the
// decoded entry, rejecting unallocated field values. Every encoding with no row is UNDEFINED.
import * as O from './ops';
import { D_IMM, D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from './decoded';
import { CFG_CPU_INT, REG_DISCARD, REG_SP, REG_ZR } from './layout';
import { config } from './state';
import { decodeLogicalImm, ones } from './bitmask';
import { decodeSystem } from './decode-system';
import { decodeLoadStore } from './decode-ldst';
import { decodeFp } from './fp/decode-fp';
import { decodeSimd } from './simd/decode-simd';

// Pattern table for data processing (immediate and register) and branches: [mask, bits, op].
// Loads/stores and system instructions have their own decoders (decode-ldst.ts, decode-system.ts).
const PATTERNS: StaticArray<u32> = [
  // --- Data processing — immediate (Arm ARM C4.1.86) ---
  0x9f000000, 0x10000000, O.OP_ADR,
  0x9f000000, 0x90000000, O.OP_ADRP,
  0xff800000, 0x91000000, O.OP_ADD_I64,
  0xff800000, 0x11000000, O.OP_ADD_I32,
  0xff800000, 0xd1000000, O.OP_SUB_I64,
  0xff800000, 0x51000000, O.OP_SUB_I32,
  0xff800000, 0xb1000000, O.OP_ADDS_I64,
  0xff800000, 0x31000000, O.OP_ADDS_I32,
  0xff800000, 0xf1000000, O.OP_SUBS_I64,
  0xff800000, 0x71000000, O.OP_SUBS_I32,
  0x7f800000, 0x12000000, O.OP_AND_I,
  0xff800000, 0xb2000000, O.OP_ORR_I64,
  0xff800000, 0x32000000, O.OP_ORR_I32,
  0xff800000, 0xd2000000, O.OP_EOR_I64,
  0xff800000, 0x52000000, O.OP_EOR_I32,
  0xff800000, 0xf2000000, O.OP_ANDS_I64,
  0xff800000, 0x72000000, O.OP_ANDS_I32,
  0x3f800000, 0x12800000, O.OP_MOVI, // MOVN (opc 00) and MOVZ (opc 10)
  0x7f800000, 0x72800000, O.OP_MOVK,
  0x7f800000, 0x13000000, O.OP_SBFX, // SBFM (extract() picks SBFX/SBFIZ)
  0x7f800000, 0x33000000, O.OP_BFXIL, // BFM (BFXIL/BFI)
  0x7f800000, 0x53000000, O.OP_UBFX, // UBFM (UBFX/UBFIZ)
  0xffe00000, 0x93c00000, O.OP_EXTR64,
  0xffe00000, 0x13800000, O.OP_EXTR32,
  // --- Branches (C4.1.87) ---
  0xfc000000, 0x14000000, O.OP_B,
  0xfc000000, 0x94000000, O.OP_BL,
  0xff000010, 0x54000000, O.OP_BCOND, // B.cond (BC.cond, FEAT_HBC, is not implemented)
  0xff000000, 0xb4000000, O.OP_CBZ64,
  0xff000000, 0xb5000000, O.OP_CBNZ64,
  0xff000000, 0x34000000, O.OP_CBZ32,
  0xff000000, 0x35000000, O.OP_CBNZ32,
  0x7f000000, 0x36000000, O.OP_TBZ,
  0x7f000000, 0x37000000, O.OP_TBNZ,
  0xfffffc1f, 0xd61f0000, O.OP_BR,
  0xfffffc1f, 0xd63f0000, O.OP_BLR,
  0xfffffc1f, 0xd65f0000, O.OP_RET,
  0xffffffff, 0xd69f03e0, O.OP_ERET,
  0xffe0001f, 0xd4000001, O.OP_SVC,
  0xffe0001f, 0xd4000002, O.OP_HVC,
  0xffe0001f, 0xd4000003, O.OP_SMC,
  0xffe0001f, 0xd4200000, O.OP_BRK,
  0xffe0001f, 0xd4400000, O.OP_HLT,
  // --- Data processing — register (C4.1.88) ---
  0xff200000, 0x8a000000, O.OP_AND_SR64,
  0xff200000, 0x8a200000, O.OP_BIC_SR64,
  0xff200000, 0xaa000000, O.OP_ORR_SR64,
  0xff200000, 0xaa200000, O.OP_ORN_SR64,
  0xff200000, 0xca000000, O.OP_EOR_SR64,
  0xff200000, 0xca200000, O.OP_EON_SR64,
  0xff200000, 0xea000000, O.OP_ANDS_SR64,
  0xff200000, 0xea200000, O.OP_BICS_SR64,
  0xff200000, 0x0a000000, O.OP_AND_SR32,
  0xff200000, 0x0a200000, O.OP_BIC_SR32,
  0xff200000, 0x2a000000, O.OP_ORR_SR32,
  0xff200000, 0x2a200000, O.OP_ORN_SR32,
  0xff200000, 0x4a000000, O.OP_EOR_SR32,
  0xff200000, 0x4a200000, O.OP_EON_SR32,
  0xff200000, 0x6a000000, O.OP_ANDS_SR32,
  0xff200000, 0x6a200000, O.OP_BICS_SR32,
  0xff200000, 0x8b000000, O.OP_ADD_SR64,
  0xff200000, 0x0b000000, O.OP_ADD_SR32,
  0xff200000, 0xcb000000, O.OP_SUB_SR64,
  0xff200000, 0x4b000000, O.OP_SUB_SR32,
  0xff200000, 0xab000000, O.OP_ADDS_SR64,
  0xff200000, 0x2b000000, O.OP_ADDS_SR32,
  0xff200000, 0xeb000000, O.OP_SUBS_SR64,
  0xff200000, 0x6b000000, O.OP_SUBS_SR32,
  0xffe00000, 0x8b200000, O.OP_ADD_ER64,
  0xffe00000, 0x0b200000, O.OP_ADD_ER32,
  0xffe00000, 0xcb200000, O.OP_SUB_ER64,
  0xffe00000, 0x4b200000, O.OP_SUB_ER32,
  0xffe00000, 0xab200000, O.OP_ADDS_ER64,
  0xffe00000, 0x2b200000, O.OP_ADDS_ER32,
  0xffe00000, 0xeb200000, O.OP_SUBS_ER64,
  0xffe00000, 0x6b200000, O.OP_SUBS_ER32,
  0xffe0fc00, 0x9a000000, O.OP_ADC64,
  0xffe0fc00, 0x1a000000, O.OP_ADC32,
  0xffe0fc00, 0xba000000, O.OP_ADCS64,
  0xffe0fc00, 0x3a000000, O.OP_ADCS32,
  0xffe0fc00, 0xda000000, O.OP_SBC64,
  0xffe0fc00, 0x5a000000, O.OP_SBC32,
  0xffe0fc00, 0xfa000000, O.OP_SBCS64,
  0xffe0fc00, 0x7a000000, O.OP_SBCS32,
  0x7fe00410, 0x3a400000, O.OP_CCMN, // reg and imm forms (bit 11)
  0x7fe00410, 0x7a400000, O.OP_CCMP,
  0xffe00c00, 0x9a800000, O.OP_CSEL64,
  0xffe00c00, 0x1a800000, O.OP_CSEL32,
  0xffe00c00, 0x9a800400, O.OP_CSINC64,
  0xffe00c00, 0x1a800400, O.OP_CSINC32,
  0xffe00c00, 0xda800000, O.OP_CSINV64,
  0xffe00c00, 0x5a800000, O.OP_CSINV32,
  0xffe00c00, 0xda800400, O.OP_CSNEG64,
  0xffe00c00, 0x5a800400, O.OP_CSNEG32,
  0xffe0fc00, 0x9ac00800, O.OP_UDIV64,
  0xffe0fc00, 0x1ac00800, O.OP_UDIV32,
  0xffe0fc00, 0x9ac00c00, O.OP_SDIV64,
  0xffe0fc00, 0x1ac00c00, O.OP_SDIV32,
  0xffe0fc00, 0x9ac02000, O.OP_LSLV64,
  0xffe0fc00, 0x1ac02000, O.OP_LSLV32,
  0xffe0fc00, 0x9ac02400, O.OP_LSRV64,
  0xffe0fc00, 0x1ac02400, O.OP_LSRV32,
  0xffe0fc00, 0x9ac02800, O.OP_ASRV64,
  0xffe0fc00, 0x1ac02800, O.OP_ASRV32,
  0xffe0fc00, 0x9ac02c00, O.OP_RORV64,
  0xffe0fc00, 0x1ac02c00, O.OP_RORV32,
  0x7fe0e000, 0x1ac04000, O.OP_CRC32, // CRC32{B,H,W,X} and CRC32C*: sf checked in extract()
  0xfffffc00, 0xdac00000, O.OP_RBIT64,
  0xfffffc00, 0x5ac00000, O.OP_RBIT32,
  0xfffffc00, 0xdac00400, O.OP_REV16_64,
  0xfffffc00, 0x5ac00400, O.OP_REV16_32,
  0xfffffc00, 0xdac00800, O.OP_REV32_64,
  0xfffffc00, 0x5ac00800, O.OP_REV32,
  0xfffffc00, 0xdac00c00, O.OP_REV64,
  0xfffffc00, 0xdac01000, O.OP_CLZ64,
  0xfffffc00, 0x5ac01000, O.OP_CLZ32,
  0xfffffc00, 0xdac01400, O.OP_CLS64,
  0xfffffc00, 0x5ac01400, O.OP_CLS32,
  0xffe08000, 0x9b000000, O.OP_MADD64,
  0xffe08000, 0x1b000000, O.OP_MADD32,
  0xffe08000, 0x9b008000, O.OP_MSUB64,
  0xffe08000, 0x1b008000, O.OP_MSUB32,
  0xffe08000, 0x9b200000, O.OP_SMADDL,
  0xffe08000, 0x9b208000, O.OP_SMSUBL,
  0xffe08000, 0x9ba00000, O.OP_UMADDL,
  0xffe08000, 0x9ba08000, O.OP_UMSUBL,
  0xffe08000, 0x9b400000, O.OP_SMULH,
  0xffe08000, 0x9bc00000, O.OP_UMULH,
];

// Register field helpers: 31 means XZR as a source, discard as a destination, or SP.
@inline export function srcZR(f: u32): u8 { return <u8>(f == 31 ? REG_ZR : f); }
@inline export function dstZR(f: u32): u8 { return <u8>(f == 31 ? REG_DISCARD : f); }
@inline export function regSP(f: u32): u8 { return <u8>(f == 31 ? REG_SP : f); }

@inline export function sext(v: u32, bits: u32): i64 {
  return (<i64>v << (64 - bits)) >> (64 - bits);
}

/** OP_UDF, with the encoding in the immediate (stats/undef-stats.ts counts it if it executes). */
@inline function setUdf(e: u32, insn: u32): void {
  store<u16>(e, O.OP_UDF, D_OP);
  store<u64>(e, <u64>insn, D_IMM);
}

/** Decodes insn into the 16-byte entry at e. Always leaves a valid op (OP_UDF if unallocated). */
export function decode(insn: u32, e: u32): void {
  // Clear fields so stale operands never leak between ops.
  store<u64>(e, 0);
  store<u64>(e, 0, 8);
  const op0 = (insn >> 25) & 0xf;
  if ((op0 & 0x5) == 0x4) { // x1x0: loads and stores
    if (!decodeLoadStore(insn, e)) setUdf(e, insn);
    return;
  }
  if ((insn & 0xffc00000) == 0xd5000000) { // system (1101 0101 00)
    if (!decodeSystem(insn, e)) setUdf(e, insn);
    return;
  }
  if ((op0 & 0x7) == 0x7) { // Data processing — scalar FP and Advanced SIMD (C4.1.96)
    // op0 (31:28) = x0x1: the scalar floating-point classes (core-as/fp/); everything else in this
    // space is Advanced SIMD and crypto (core-as/simd/, which asks core-as/fp/ first for the
    // floating-point vector encodings). An encoding neither claims is UNDEFINED.
    const ok = (config() & CFG_CPU_INT) == 0 && ((insn & 0x50000000) == 0x10000000 ? decodeFp(insn, e) : decodeSimd(insn, e));
    if (!ok) setUdf(e, insn);
    return;
  }
  const n = PATTERNS.length;
  for (let i = 0; i < n; i += 3) {
    if ((insn & unchecked(PATTERNS[i])) == unchecked(PATTERNS[i + 1])) {
      const op = <u16>unchecked(PATTERNS[i + 2]);
      store<u16>(e, op, D_OP);
      if (!extract(op, insn, e)) setUdf(e, insn);
      return;
    }
  }
  setUdf(e, insn);
}

@inline function rd(insn: u32): u32 { return insn & 31; }
@inline function rn(insn: u32): u32 { return (insn >> 5) & 31; }
@inline function rm(insn: u32): u32 { return (insn >> 16) & 31; }
@inline function ra(insn: u32): u32 { return (insn >> 10) & 31; }

function setRRR(e: u32, d: u8, n: u8, m: u8): void {
  store<u8>(e, d, D_RD);
  store<u8>(e, n, D_RN);
  store<u8>(e, m, D_RM);
}

/** Field extraction and validation per op. Returns false for unallocated field values. */
function extract(op: u16, insn: u32, e: u32): bool {
  const sf = insn >> 31;
  switch (op) {
    case O.OP_ADR: {
      const imm = ((insn >> 3) & 0x1ffffc) | ((insn >> 29) & 3);
      store<u8>(e, dstZR(rd(insn)), D_RD);
      store<i64>(e, sext(imm, 21), D_IMM);
      return true;
    }
    case O.OP_ADRP: {
      const imm = ((insn >> 3) & 0x1ffffc) | ((insn >> 29) & 3);
      store<u8>(e, dstZR(rd(insn)), D_RD);
      store<i64>(e, sext(imm, 21) << 12, D_IMM);
      return true;
    }
    case O.OP_ADD_I64: case O.OP_ADD_I32: case O.OP_SUB_I64: case O.OP_SUB_I32:
    case O.OP_ADDS_I64: case O.OP_ADDS_I32: case O.OP_SUBS_I64: case O.OP_SUBS_I32: {
      const s = (insn >> 29) & 1;
      store<u8>(e, s ? dstZR(rd(insn)) : regSP(rd(insn)), D_RD);
      store<u8>(e, regSP(rn(insn)), D_RN);
      const imm12 = <u64>((insn >> 10) & 0xfff);
      store<u64>(e, (insn >> 22) & 1 ? imm12 << 12 : imm12, D_IMM);
      return true;
    }
    case O.OP_AND_I: case O.OP_ORR_I64: case O.OP_ORR_I32: case O.OP_EOR_I64: case O.OP_EOR_I32:
    case O.OP_ANDS_I64: case O.OP_ANDS_I32: {
      const N = (insn >> 22) & 1;
      if (!sf && N) return false;
      const imm = decodeLogicalImm(N, (insn >> 16) & 0x3f, (insn >> 10) & 0x3f, sf ? 64 : 32);
      if (imm == 0) return false;
      const s = op == O.OP_ANDS_I64 || op == O.OP_ANDS_I32;
      store<u8>(e, s ? dstZR(rd(insn)) : regSP(rd(insn)), D_RD);
      store<u8>(e, srcZR(rn(insn)), D_RN);
      store<u64>(e, imm, D_IMM);
      return true;
    }
    case O.OP_MOVI: {
      const hw = (insn >> 21) & 3;
      if (!sf && hw >= 2) return false;
      let v = <u64>((insn >> 5) & 0xffff) << (hw * 16);
      if (((insn >> 29) & 3) == 0) v = ~v; // MOVN
      if (!sf) v &= 0xffffffff;
      store<u8>(e, dstZR(rd(insn)), D_RD);
      store<u64>(e, v, D_IMM);
      return true;
    }
    case O.OP_MOVK: {
      const hw = (insn >> 21) & 3;
      if (!sf && hw >= 2) return false;
      store<u8>(e, dstZR(rd(insn)), D_RD);
      store<u8>(e, srcZR(rd(insn)), D_RN);
      store<u8>(e, <u8>(hw * 16), D_P1);
      store<u8>(e, <u8>sf, D_P2);
      store<u64>(e, <u64>((insn >> 5) & 0xffff) << (hw * 16), D_IMM);
      return true;
    }
    case O.OP_SBFX: case O.OP_BFXIL: case O.OP_UBFX:
      return extractBitfield(op, insn, e, sf);
    case O.OP_EXTR64: case O.OP_EXTR32: {
      const N = (insn >> 22) & 1;
      const imms = (insn >> 10) & 0x3f;
      if (N != sf) return false;
      if (!sf && imms >= 32) return false;
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      store<u64>(e, imms, D_IMM);
      return true;
    }
    case O.OP_B: case O.OP_BL:
      store<i64>(e, sext(insn & 0x3ffffff, 26) << 2, D_IMM);
      return true;
    case O.OP_BCOND:
      store<u8>(e, <u8>(insn & 0xf), D_P1);
      store<i64>(e, sext((insn >> 5) & 0x7ffff, 19) << 2, D_IMM);
      return true;
    case O.OP_CBZ64: case O.OP_CBNZ64: case O.OP_CBZ32: case O.OP_CBNZ32:
      store<u8>(e, srcZR(rd(insn)), D_RN);
      store<i64>(e, sext((insn >> 5) & 0x7ffff, 19) << 2, D_IMM);
      return true;
    case O.OP_TBZ: case O.OP_TBNZ:
      store<u8>(e, srcZR(rd(insn)), D_RN);
      store<u8>(e, <u8>(((insn >> 26) & 0x20) | ((insn >> 19) & 0x1f)), D_P1);
      store<i64>(e, sext((insn >> 5) & 0x3fff, 14) << 2, D_IMM);
      return true;
    case O.OP_BR: case O.OP_BLR: case O.OP_RET:
      store<u8>(e, srcZR(rn(insn)), D_RN);
      return true;
    case O.OP_ERET:
      return true;
    case O.OP_SVC: case O.OP_HVC: case O.OP_SMC: case O.OP_BRK: case O.OP_HLT:
      store<u64>(e, (insn >> 5) & 0xffff, D_IMM);
      return true;
    case O.OP_AND_SR64: case O.OP_BIC_SR64: case O.OP_ORR_SR64: case O.OP_ORN_SR64:
    case O.OP_EOR_SR64: case O.OP_EON_SR64: case O.OP_ANDS_SR64: case O.OP_BICS_SR64:
    case O.OP_AND_SR32: case O.OP_BIC_SR32: case O.OP_ORR_SR32: case O.OP_ORN_SR32:
    case O.OP_EOR_SR32: case O.OP_EON_SR32: case O.OP_ANDS_SR32: case O.OP_BICS_SR32: {
      const amount = (insn >> 10) & 0x3f;
      if (!sf && amount >= 32) return false;
      const shift = (insn >> 22) & 3;
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, <u8>shift, D_P1);
      store<u8>(e, <u8>amount, D_P2);
      if (amount == 0 && rn(insn) == 31) {
        if (op == O.OP_ORR_SR64) store<u16>(e, O.OP_MOV64, D_OP);
        else if (op == O.OP_ORR_SR32) store<u16>(e, O.OP_MOV32, D_OP);
      }
      return true;
    }
    case O.OP_ADD_SR64: case O.OP_ADD_SR32: case O.OP_SUB_SR64: case O.OP_SUB_SR32:
    case O.OP_ADDS_SR64: case O.OP_ADDS_SR32: case O.OP_SUBS_SR64: case O.OP_SUBS_SR32: {
      const amount = (insn >> 10) & 0x3f;
      const shift = (insn >> 22) & 3;
      if (shift == 3) return false;
      if (!sf && amount >= 32) return false;
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, <u8>shift, D_P1);
      store<u8>(e, <u8>amount, D_P2);
      return true;
    }
    case O.OP_ADD_ER64: case O.OP_ADD_ER32: case O.OP_SUB_ER64: case O.OP_SUB_ER32:
    case O.OP_ADDS_ER64: case O.OP_ADDS_ER32: case O.OP_SUBS_ER64: case O.OP_SUBS_ER32: {
      const imm3 = (insn >> 10) & 7;
      if (imm3 > 4) return false;
      if ((insn >> 22) & 3) return false; // opt != 00
      const s = (insn >> 29) & 1;
      setRRR(e, s ? dstZR(rd(insn)) : regSP(rd(insn)), regSP(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, <u8>((insn >> 13) & 7), D_P1);
      store<u8>(e, <u8>imm3, D_P2);
      return true;
    }
    case O.OP_ADC64: case O.OP_ADC32: case O.OP_ADCS64: case O.OP_ADCS32:
    case O.OP_SBC64: case O.OP_SBC32: case O.OP_SBCS64: case O.OP_SBCS32:
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      return true;
    case O.OP_CCMN: case O.OP_CCMP: {
      const isImm = (insn >> 11) & 1;
      setRRR(e, <u8>REG_DISCARD, srcZR(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, <u8>((insn >> 12) & 0xf), D_P1);
      store<u8>(e, <u8>(insn & 0xf), D_P2);
      store<u8>(e, <u8>(sf | (isImm << 1)), D_RA);
      store<u64>(e, rm(insn), D_IMM);
      return true;
    }
    case O.OP_CSEL64: case O.OP_CSEL32: case O.OP_CSINC64: case O.OP_CSINC32:
    case O.OP_CSINV64: case O.OP_CSINV32: case O.OP_CSNEG64: case O.OP_CSNEG32:
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, <u8>((insn >> 12) & 0xf), D_P1);
      return true;
    case O.OP_CRC32: {
      const sz = (insn >> 10) & 3;
      if ((sz == 3) != (sf == 1)) return false;
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, <u8>sz, D_P1);
      store<u8>(e, <u8>((insn >> 12) & 1), D_P2);
      return true;
    }
    case O.OP_RBIT64: case O.OP_RBIT32: case O.OP_REV16_64: case O.OP_REV16_32:
    case O.OP_REV32_64: case O.OP_REV32: case O.OP_REV64: case O.OP_CLZ64: case O.OP_CLZ32:
    case O.OP_CLS64: case O.OP_CLS32:
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), <u8>REG_ZR);
      return true;
    case O.OP_SMULH: case O.OP_UMULH:
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      return true; // Ra is ignored (should be 31)
    default: // remaining two- and three-source ops
      setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), srcZR(rm(insn)));
      store<u8>(e, srcZR(ra(insn)), D_RA);
      return true;
  }
}

/** SBFM/BFM/UBFM → the extract or insert-in-zero form with precomputed shifts and masks. */
function extractBitfield(op: u16, insn: u32, e: u32, sf: u32): bool {
  const N = (insn >> 22) & 1;
  const immr = (insn >> 16) & 0x3f;
  const imms = (insn >> 10) & 0x3f;
  if (N != sf) return false;
  if (!sf && (immr >= 32 || imms >= 32)) return false;
  const datasize: u32 = sf ? 64 : 32;
  setRRR(e, dstZR(rd(insn)), srcZR(rn(insn)), <u8>REG_ZR);
  store<u8>(e, <u8>sf, D_RA);
  if (op == O.OP_BFXIL) store<u8>(e, srcZR(rd(insn)), D_RM); // destination is also a source
  if (imms >= immr) { // extract field [imms:immr] to the bottom
    const width = imms - immr + 1;
    if (op == O.OP_UBFX) {
      store<u8>(e, <u8>immr, D_P1);
      store<u64>(e, ones(width), D_IMM);
    } else if (op == O.OP_SBFX) {
      store<u8>(e, <u8>(63 - imms), D_P1);
      store<u8>(e, <u8>(63 - imms + immr), D_P2);
    } else {
      store<u8>(e, <u8>immr, D_P1);
      store<u64>(e, ones(width), D_IMM);
    }
  } else { // insert field [imms:0] at datasize - immr
    const lsl = datasize - immr;
    if (op == O.OP_UBFX) {
      store<u16>(e, O.OP_UBFIZ, D_OP);
      store<u8>(e, <u8>lsl, D_P1);
      store<u64>(e, ones(imms + 1), D_IMM);
    } else if (op == O.OP_SBFX) {
      store<u16>(e, O.OP_SBFIZ, D_OP);
      store<u8>(e, <u8>(63 - imms), D_P1);
      store<u8>(e, <u8>lsl, D_P2);
    } else {
      store<u16>(e, O.OP_BFI, D_OP);
      store<u8>(e, <u8>lsl, D_P1);
      store<u64>(e, ones(imms + 1), D_IMM);
    }
  }
  return true;
}
