// Executes the Advanced SIMD and SIMD&FP load/store ops (OP_SIMD_FIRST..OP_SIMD_END). Every op first
// makes the SIMD&FP access check (fp/fp-access.ts) and retires nothing when it traps. The common
// ops gcc emits for memcpy/string code (register moves, bitwise, ADD/SUB, CMEQ, UMINP/UMAXP) are
// single v128 operations; everything else goes through the class engines.
import { D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { setPC } from '../state';
import { undefinedInstruction } from '../exception';
import { fpAccessCheck } from '../fp/fp-access';
import * as S from './ops-simd';
import { vreg } from './vreg';
import * as L from './ldst';
import { exec3Same, exec3SamePair, execPairScalar } from './int-same';
import { exec3Diff } from './int-diff';
import { exec2Misc, execAcross } from './int-misc';
import { execDupElem, execDupGen, execExt, execInsElem, execInsGen, execMovi, execPerm, execSmov, execTbl, execUmov } from './perm';
import { execDot, execElem, execShiftImm } from './int-shift-elem';
import { execAes, execEor3Bcax, execSha2Reg, execSha3Reg, execSha512, execXar } from './crypto';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

/** Stores a v128 result to Vd, zeroing the upper half for a 64-bit vector. */
@inline function put(e: u32, r: v128): void {
  const a = vreg(F8(e, D_RD));
  v128.store(a, r);
  if ((F8(e, D_P2) & S.SF_Q) == 0) store<u64>(a, 0, 8);
}
@inline function vn(e: u32): v128 { return v128.load(vreg(F8(e, D_RN))); }
@inline function vm(e: u32): v128 { return v128.load(vreg(F8(e, D_RM))); }
@inline function vd(e: u32): v128 { return v128.load(vreg(F8(e, D_RD))); }

export function execSimd(e: u32, p: u64): void {
  if (!fpAccessCheck()) return;
  const op = load<u16>(e, D_OP);
  switch (op) {
    // --- loads and stores ---
    case S.OPS_LDST_IMM: if (L.execLdstImm(e)) setPC(p + 4); return;
    case S.OPS_LDST_PRE: if (L.execLdstPre(e)) setPC(p + 4); return;
    case S.OPS_LDST_POST: if (L.execLdstPost(e)) setPC(p + 4); return;
    case S.OPS_LDST_REG: if (L.execLdstReg(e)) setPC(p + 4); return;
    case S.OPS_LDR_LIT: if (L.execLdrLit(e, p)) setPC(p + 4); return;
    case S.OPS_LDP: if (L.execPair(e, true)) setPC(p + 4); return;
    case S.OPS_STP: if (L.execPair(e, false)) setPC(p + 4); return;
    case S.OPS_LDST_MULT: if (L.execMultiple(e)) setPC(p + 4); return;
    case S.OPS_LDST_SINGLE: if (L.execSingle(e)) setPC(p + 4); return;
    // --- fast paths ---
    case S.OPS_ADD:
      switch (F8(e, D_P1)) {
        case 0: put(e, i8x16.add(vn(e), vm(e))); break;
        case 1: put(e, i16x8.add(vn(e), vm(e))); break;
        case 2: put(e, i32x4.add(vn(e), vm(e))); break;
        default: put(e, i64x2.add(vn(e), vm(e)));
      }
      break;
    case S.OPS_SUB:
      switch (F8(e, D_P1)) {
        case 0: put(e, i8x16.sub(vn(e), vm(e))); break;
        case 1: put(e, i16x8.sub(vn(e), vm(e))); break;
        case 2: put(e, i32x4.sub(vn(e), vm(e))); break;
        default: put(e, i64x2.sub(vn(e), vm(e)));
      }
      break;
    case S.OPS_AND: put(e, v128.and(vn(e), vm(e))); break;
    case S.OPS_BIC: put(e, v128.andnot(vn(e), vm(e))); break;
    case S.OPS_ORR: put(e, v128.or(vn(e), vm(e))); break;
    case S.OPS_ORN: put(e, v128.or(vn(e), v128.not(vm(e)))); break;
    case S.OPS_EOR: put(e, v128.xor(vn(e), vm(e))); break;
    case S.OPS_BSL: put(e, v128.bitselect(vn(e), vm(e), vd(e))); break; // Vd ? Vn : Vm
    case S.OPS_BIT: put(e, v128.bitselect(vn(e), vd(e), vm(e))); break; // Vm ? Vn : Vd
    case S.OPS_BIF: put(e, v128.bitselect(vd(e), vn(e), vm(e))); break; // Vm ? Vd : Vn
    case S.OPS_CMEQ:
      switch (F8(e, D_P1)) {
        case 0: put(e, i8x16.eq(vn(e), vm(e))); break;
        case 1: put(e, i16x8.eq(vn(e), vm(e))); break;
        case 2: put(e, i32x4.eq(vn(e), vm(e))); break;
        default: put(e, i64x2.eq(vn(e), vm(e)));
      }
      break;
    case S.OPS_CMEQZ: {
      const z = i64x2.splat(0);
      switch (F8(e, D_P1)) {
        case 0: put(e, i8x16.eq(vn(e), z)); break;
        case 1: put(e, i16x8.eq(vn(e), z)); break;
        case 2: put(e, i32x4.eq(vn(e), z)); break;
        default: put(e, i64x2.eq(vn(e), z));
      }
      break;
    }
    case S.OPS_MOVI: execMovi(e); break;
    case S.OPS_DUP_ELEM: execDupElem(e); break;
    case S.OPS_DUP_GEN: execDupGen(e); break;
    case S.OPS_INS_GEN: execInsGen(e); break;
    case S.OPS_INS_ELEM: execInsElem(e); break;
    case S.OPS_UMOV: execUmov(e); break;
    case S.OPS_SMOV: execSmov(e); break;
    // --- class engines ---
    case S.OPS_3SAME: exec3Same(e); break;
    case S.OPS_3SAME_PAIR: exec3SamePair(e); break;
    case S.OPS_PAIR_SCALAR: execPairScalar(e); break;
    case S.OPS_3DIFF: exec3Diff(e); break;
    case S.OPS_2MISC: exec2Misc(e); break;
    case S.OPS_ACROSS: execAcross(e); break;
    case S.OPS_PERM: execPerm(e); break;
    case S.OPS_EXT: execExt(e); break;
    case S.OPS_TBL: execTbl(e); break;
    case S.OPS_SHIFT_IMM: execShiftImm(e); break;
    case S.OPS_ELEM: execElem(e); break;
    case S.OPS_DOT: execDot(e); break;
    // --- crypto ---
    case S.OPS_AES: execAes(e); break;
    case S.OPS_SHA3REG: execSha3Reg(e); break;
    case S.OPS_SHA2REG: execSha2Reg(e); break;
    case S.OPS_SHA512: execSha512(e); break;
    case S.OPS_EOR3: execEor3Bcax(e, false); break;
    case S.OPS_BCAX: execEor3Bcax(e, true); break;
    case S.OPS_XAR: execXar(e); break;
    default: undefinedInstruction(); return;
  }
  setPC(p + 4);
}
