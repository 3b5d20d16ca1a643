// Decoder for the SIMD&FP register loads and stores (V = 1): LDR/STR/LDUR/STUR/LDP/STP/LDNP/STNP of
// B/H/S/D/Q, LDR (literal), LD1-LD4/ST1-ST4 and their single-structure and replicate forms
// (Arm ARM C4.1.94 "Loads and Stores"). Anything else with V = 1 (exclusives, atomics, unprivileged,
// LDAPUR/STLUR of SIMD&FP registers) is left UNDEFINED.
import { D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN, D_IMM } from '../decoded';
import { CFG_CPU_INT, REG_SP, REG_ZR } from '../layout';
import { config } from '../state';
import * as O from '../ops';
import {
  OPS_LDP, OPS_LDR_LIT, OPS_LDST_IMM, OPS_LDST_MULT, OPS_LDST_POST, OPS_LDST_PRE, OPS_LDST_REG, OPS_LDST_SINGLE, OPS_STP,
} from './ops-simd';

@inline function setOp(e: u32, op: u16): void { store<u16>(e, op, D_OP); }
@inline function sp(f: u32): u8 { return <u8>(f == 31 ? REG_SP : f); }
@inline function sext(v: u32, bits: u32): i64 { return (<i64>v << (64 - bits)) >> (64 - bits); }

export function decodeSimdLoadStore(insn: u32, e: u32): bool {
  if ((config() & CFG_CPU_INT) != 0) return false; // --cpu int: no SIMD&FP registers
  const rt = insn & 31;
  const rn = (insn >> 5) & 31;

  // Advanced SIMD load/store multiple structures (post-indexed): 0 Q 0011 00 p L 0 Rm opcode size Rn Rt
  if ((insn & 0xbf000000) == 0x0c000000) {
    const post = (insn >> 23) & 1;
    if (((insn >> 21) & 1) != 0) return false;
    const rm = (insn >> 16) & 31;
    if (!post && rm != 0) return false;
    const opcode = (insn >> 12) & 15;
    const size = (insn >> 10) & 3;
    const q = (insn >> 30) & 1;
    let rpt: u32, selem: u32;
    switch (opcode) {
      case 0: rpt = 1; selem = 4; break; // LD4/ST4
      case 2: rpt = 4; selem = 1; break; // LD1/ST1 four registers
      case 4: rpt = 1; selem = 3; break; // LD3/ST3
      case 6: rpt = 3; selem = 1; break; // LD1/ST1 three registers
      case 7: rpt = 1; selem = 1; break; // LD1/ST1 one register
      case 8: rpt = 1; selem = 2; break; // LD2/ST2
      case 10: rpt = 2; selem = 1; break; // LD1/ST1 two registers
      default: return false;
    }
    if (size == 3 && q == 0 && selem != 1) return false;
    setOp(e, OPS_LDST_MULT);
    store<u8>(e, <u8>rt, D_RD);
    store<u8>(e, sp(rn), D_RN);
    store<u8>(e, <u8>(rm == 31 ? REG_ZR : rm), D_RM);
    store<u8>(e, <u8>post, D_RA);
    store<u8>(e, <u8>size, D_P1);
    store<u8>(e, <u8>((q) | (((insn >> 22) & 1) << 1)), D_P2); // bit0 Q, bit1 L
    store<u32>(e, (rpt << 8) | selem, D_IMM);
    store<u32>(e, insn, D_IMM + 4);
    return true;
  }

  // Advanced SIMD load/store single structure (post-indexed): 0 Q 0011 01 p L R Rm opcode S size Rn Rt
  if ((insn & 0xbf000000) == 0x0d000000) {
    const post = (insn >> 23) & 1;
    const rm = (insn >> 16) & 31;
    if (!post && rm != 0) return false;
    const L = (insn >> 22) & 1;
    const R = (insn >> 21) & 1;
    const opcode = (insn >> 13) & 7;
    const S = (insn >> 12) & 1;
    const size = (insn >> 10) & 3;
    const q = (insn >> 30) & 1;
    const selem: u32 = (((opcode & 1) << 1) | R) + 1;
    let scale: u32 = opcode >> 1;
    let index: u32 = 0;
    let replicate = false;
    switch (scale) {
      case 3:
        if (!L || S) return false;
        scale = size; replicate = true; break;
      case 0: index = (q << 3) | (S << 2) | size; break;
      case 1:
        if (size & 1) return false;
        index = (q << 2) | (S << 1) | (size >> 1); break;
      default: // 2
        if (size & 2) return false;
        if (size & 1) {
          if (S) return false;
          index = q; scale = 3;
        } else index = (q << 1) | S;
    }
    setOp(e, OPS_LDST_SINGLE);
    store<u8>(e, <u8>rt, D_RD);
    store<u8>(e, sp(rn), D_RN);
    store<u8>(e, <u8>(rm == 31 ? REG_ZR : rm), D_RM);
    store<u8>(e, <u8>post, D_RA);
    store<u8>(e, <u8>scale, D_P1);
    store<u8>(e, <u8>(q | (L << 1) | (replicate ? 4 : 0)), D_P2);
    store<u32>(e, (index << 8) | selem, D_IMM);
    store<u32>(e, insn, D_IMM + 4);
    return true;
  }

  // Load register (literal), SIMD&FP: opc 011 1 00 imm19 Rt
  if ((insn & 0x3f000000) == 0x1c000000) {
    const opc = insn >> 30;
    if (opc == 3) return false;
    setOp(e, OPS_LDR_LIT);
    store<u8>(e, <u8>rt, D_RD);
    store<u8>(e, <u8>(opc + 2), D_P1);
    store<u8>(e, 1, D_P2);
    store<i64>(e, sext((insn >> 5) & 0x7ffff, 19) << 2, D_IMM);
    return true;
  }

  // Load/store pair of SIMD&FP registers: opc 101 1 type L imm7 Rt2 Rn Rt
  if ((insn & 0x3e000000) == 0x2c000000) {
    const opc = insn >> 30;
    if (opc == 3) return false;
    const type = (insn >> 23) & 3;
    const L = (insn >> 22) & 1;
    const rt2 = (insn >> 10) & 31;
    if (L && rt == rt2) return false; // CONSTRAINED UNPREDICTABLE: UNDEFINED (as for the integer LDP)
    const scale: u32 = opc + 2;
    setOp(e, L ? OPS_LDP : OPS_STP);
    store<u8>(e, <u8>rt, D_RD);
    store<u8>(e, <u8>rt2, D_RA);
    store<u8>(e, sp(rn), D_RN);
    store<u8>(e, <u8>scale, D_P1);
    store<u8>(e, type == 1 ? O.IDX_POST : type == 3 ? O.IDX_PRE : O.IDX_OFFSET, D_RM);
    store<i64>(e, sext((insn >> 15) & 0x7f, 7) << scale, D_IMM);
    return true;
  }

  // Load/store register (SIMD&FP): size 111 1 0x opc ...
  if ((insn & 0x3e000000) != 0x3c000000) return false;
  const size = insn >> 30;
  const opc = (insn >> 22) & 3;
  let scale: u32 = size;
  if (opc & 2) {
    if (size != 0) return false;
    scale = 4;
  }
  const isLoad: u8 = <u8>(opc & 1);
  store<u8>(e, <u8>rt, D_RD);
  store<u8>(e, sp(rn), D_RN);
  store<u8>(e, <u8>scale, D_P1);
  store<u8>(e, isLoad, D_P2);
  if ((insn >> 24) & 1) { // unsigned offset
    setOp(e, OPS_LDST_IMM);
    store<i64>(e, <i64>((insn >> 10) & 0xfff) << scale, D_IMM);
    return true;
  }
  if ((insn >> 21) & 1) {
    if (((insn >> 10) & 3) != 2) return false;
    const option = (insn >> 13) & 7;
    if ((option & 2) == 0) return false;
    const rm = (insn >> 16) & 31;
    setOp(e, OPS_LDST_REG);
    store<u8>(e, <u8>(rm == 31 ? REG_ZR : rm), D_RM);
    store<u8>(e, <u8>option, D_RA);
    store<u32>(e, ((insn >> 12) & 1) ? scale : 0, D_IMM);
    return true;
  }
  const mode = (insn >> 10) & 3;
  if (mode == 2) return false; // unprivileged: no SIMD&FP form
  setOp(e, mode == 0 ? OPS_LDST_IMM : mode == 1 ? OPS_LDST_POST : OPS_LDST_PRE);
  store<i64>(e, sext((insn >> 12) & 0x1ff, 9), D_IMM);
  return true;
}
