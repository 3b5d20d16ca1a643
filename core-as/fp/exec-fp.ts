// Executes the floating-point ops (OP_FP_FIRST..OP_FP_END) of the decoded entry at e, fetched at p:
// the scalar classes here, the Advanced SIMD FP forms in exec-fp-vector.ts.
import { D_IMM, D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { condHolds, getX, setX } from '../alu';
import { nzcv, setNZCV, setPC } from '../state';
import { FPCR, srGet } from '../sysregs';
import { fpAccessCheck } from './fp-access';
import * as O from './ops-fp';
import { fpAbs, fpNeg, mask } from './format';
import { RN, fpRMode } from './fpsr';
import { fpAdd, fpDiv, fpMul, fpMulAdd, fpSqrt } from './sf-arith';
import { fpCompare, fpMaxMin, fpMaxMinNum } from './sf-compare';
import {
  fixedToFp, fpConvert, fpRoundInt, fpRoundIntN, fpToFixed, fpToFixedJS, jsZ,
} from './sf-convert';
import { fastAddD, fastAddS, fastFmaD, fastFmaS, fastMulD, fastMulS, fastOk } from './fast';
import { vAddr, vGet, vSetScalar } from './vreg';
import { execFpVector } from './exec-fp-vector';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

/** FP data-processing (2 source) on N-bit values. */
export function fpDp2(opc: u32, a: u64, b: u64, N: u32, fpcr: u32): u64 {
  const rm = fpRMode(fpcr);
  switch (opc) {
    case 0: return fpMul(a, b, N, fpcr, rm, false);
    case 1: return fpDiv(a, b, N, fpcr, rm);
    case 2: return fpAdd(a, b, N, fpcr, rm, false);
    case 3: return fpAdd(a, b, N, fpcr, rm, true);
    case 4: return fpMaxMin(a, b, N, fpcr, true);
    case 5: return fpMaxMin(a, b, N, fpcr, false);
    case 6: return fpMaxMinNum(a, b, N, fpcr, true);
    case 7: return fpMaxMinNum(a, b, N, fpcr, false);
    default: return fpNeg(fpMul(a, b, N, fpcr, rm, false), N); // FNMUL
  }
}

/** FMADD/FMSUB/FNMADD/FNMSUB (o = o1:o0): the operand negations come before FPMulAdd. */
export function fpDp3(o: u32, a: u64, n: u64, m: u64, N: u32, fpcr: u32): u64 {
  if ((o & 1) != (o >> 1)) n = fpNeg(n, N); // FMSUB, FNMADD: the product negated
  if ((o & 2) != 0) a = fpNeg(a, N); // FNMADD, FNMSUB: the addend negated
  return fpMulAdd(a, n, m, N, fpcr, fpRMode(fpcr));
}

function dp1(opc: u32, v: u64, N: u32, fpcr: u32, to: u32): u64 {
  const rm = fpRMode(fpcr);
  switch (opc) {
    case 0: return v;
    case 1: return fpAbs(v, N);
    case 2: return fpNeg(v, N);
    case 3: return fpSqrt(v, N, fpcr, rm);
    case 4: case 5: case 7: return fpConvert(v, N, to * 8, fpcr, rm);
    case 8: return fpRoundInt(v, N, fpcr, 0, false); // FRINTN
    case 9: return fpRoundInt(v, N, fpcr, 1, false); // FRINTP
    case 10: return fpRoundInt(v, N, fpcr, 2, false); // FRINTM
    case 11: return fpRoundInt(v, N, fpcr, 3, false); // FRINTZ
    case 12: return fpRoundInt(v, N, fpcr, 4, false); // FRINTA
    case 14: return fpRoundInt(v, N, fpcr, rm, true); // FRINTX
    case 15: return fpRoundInt(v, N, fpcr, rm, false); // FRINTI
    case 16: return fpRoundIntN(v, N, fpcr, 3, 32); // FRINT32Z
    case 17: return fpRoundIntN(v, N, fpcr, rm, 32); // FRINT32X
    case 18: return fpRoundIntN(v, N, fpcr, 3, 64); // FRINT64Z
    default: return fpRoundIntN(v, N, fpcr, rm, 64); // FRINT64X
  }
}

export function execFp(e: u32, p: u64): void {
  if (!fpAccessCheck()) return;
  const op = load<u16>(e, D_OP);
  const fpcr = <u32>srGet(FPCR);
  const rd = F8(e, D_RD), rn = F8(e, D_RN), rmr = F8(e, D_RM);
  const N = F8(e, D_P1) << 3;
  const sub = F8(e, D_P2);
  switch (op) {
    case O.OP_FADD_D: case O.OP_FSUB_D: {
      const a = vGet(rn, 64);
      let b = vGet(rmr, 64);
      let r: u64 = 0;
      if (fpRMode(fpcr) == RN) {
        r = fastAddD(a, op == O.OP_FSUB_D ? b ^ (<u64>1 << 63) : b);
        if (fastOk) { vSetScalar(rd, r, 64); break; }
      }
      vSetScalar(rd, fpDp2(sub, a, b, 64, fpcr), 64);
      break;
    }
    case O.OP_FMUL_D: {
      const a = vGet(rn, 64), b = vGet(rmr, 64);
      if (fpRMode(fpcr) == RN) {
        const r = fastMulD(a, b);
        if (fastOk) { vSetScalar(rd, r, 64); break; }
      }
      vSetScalar(rd, fpDp2(0, a, b, 64, fpcr), 64);
      break;
    }
    case O.OP_FADD_S: case O.OP_FSUB_S: {
      const a = <u32>vGet(rn, 32), b = <u32>vGet(rmr, 32);
      if (fpRMode(fpcr) == RN) {
        const r = fastAddS(a, op == O.OP_FSUB_S ? b ^ 0x80000000 : b);
        if (fastOk) { vSetScalar(rd, r, 32); break; }
      }
      vSetScalar(rd, fpDp2(sub, a, b, 32, fpcr), 32);
      break;
    }
    case O.OP_FMUL_S: {
      const a = <u32>vGet(rn, 32), b = <u32>vGet(rmr, 32);
      if (fpRMode(fpcr) == RN) {
        const r = fastMulS(a, b);
        if (fastOk) { vSetScalar(rd, r, 32); break; }
      }
      vSetScalar(rd, fpDp2(0, a, b, 32, fpcr), 32);
      break;
    }
    case O.OP_FMADD_S: {
      const a = <u32>vGet(F8(e, D_RA), 32), n = <u32>vGet(rn, 32), m = <u32>vGet(rmr, 32);
      if (fpRMode(fpcr) == RN) {
        const r = fastFmaS(a, n, m);
        if (fastOk) { vSetScalar(rd, r, 32); break; }
      }
      vSetScalar(rd, fpDp3(0, a, n, m, 32, fpcr), 32);
      break;
    }
    case O.OP_FMADD_D: {
      const a = vGet(F8(e, D_RA), 64), n = vGet(rn, 64), m = vGet(rmr, 64);
      if (fpRMode(fpcr) == RN) {
        const r = fastFmaD(a, n, m);
        if (fastOk) { vSetScalar(rd, r, 64); break; }
      }
      vSetScalar(rd, fpDp3(0, a, n, m, 64, fpcr), 64);
      break;
    }
    case O.OP_FP_DP3:
      vSetScalar(rd, fpDp3(sub, vGet(F8(e, D_RA), N), vGet(rn, N), vGet(rmr, N), N, fpcr), N);
      break;
    case O.OP_FP_DP2:
      vSetScalar(rd, fpDp2(sub, vGet(rn, N), vGet(rmr, N), N, fpcr), N);
      break;
    case O.OP_FP_DP1: {
      const to = <u32>load<u64>(e, D_IMM);
      const M = to != 0 ? to * 8 : N;
      vSetScalar(rd, dp1(sub, vGet(rn, N), N, fpcr, to), M);
      break;
    }
    case O.OP_FP_CMP: {
      const b = (sub & 1) != 0 ? 0 : vGet(rmr, N);
      setNZCV(fpCompare(vGet(rn, N), b, N, fpcr, (sub & 2) != 0));
      break;
    }
    case O.OP_FP_CCMP: {
      const imm = <u32>load<u64>(e, D_IMM);
      if (condHolds(imm >> 4, nzcv)) setNZCV(fpCompare(vGet(rn, N), vGet(rmr, N), N, fpcr, sub != 0));
      else setNZCV((imm & 15) << 28);
      break;
    }
    case O.OP_FP_CSEL: {
      const cond = <u32>load<u64>(e, D_IMM);
      vSetScalar(rd, vGet(condHolds(cond, nzcv) ? rn : rmr, N), N);
      break;
    }
    case O.OP_FP_IMM: vSetScalar(rd, load<u64>(e, D_IMM), N); break;
    case O.OP_FP_TOINT: {
      const imm = <u32>load<u64>(e, D_IMM);
      const M = imm & 0xff, fbits = (imm >> 8) & 0xff;
      const r = fpToFixed(vGet(rn, N), N, fbits, (sub & 8) != 0, M, fpcr, sub & 7);
      setX(rd, r & mask(M));
      break;
    }
    case O.OP_FP_FROMINT: {
      const imm = <u32>load<u64>(e, D_IMM);
      const M = imm & 0xff, fbits = (imm >> 8) & 0xff;
      vSetScalar(rd, fixedToFp(getX(rn), M, fbits, sub != 0, N, fpcr, fpRMode(fpcr)), N);
      break;
    }
    case O.OP_FP_FMOV_TOGEN: {
      const imm = <u32>load<u64>(e, D_IMM);
      const bytes = imm & 0xff;
      if ((imm & 0x100) != 0) setX(rd, load<u64>(vAddr(rn), 8));
      else setX(rd, vGet(rn, bytes * 8));
      break;
    }
    case O.OP_FP_FMOV_FROMGEN: {
      const imm = <u32>load<u64>(e, D_IMM);
      const bytes = imm & 0xff;
      if ((imm & 0x100) != 0) store<u64>(vAddr(rd), getX(rn), 8); // FMOV Vd.D[1], Xn: the low half kept
      else vSetScalar(rd, getX(rn), bytes * 8);
      break;
    }
    case O.OP_FP_FJCVTZS: {
      const r = fpToFixedJS(vGet(rn, 64), fpcr);
      setX(rd, r);
      setNZCV(jsZ << 30);
      break;
    }
    default:
      execFpVector(e, op, fpcr);
  }
  setPC(p + 4);
}
