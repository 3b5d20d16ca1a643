// Executes the Advanced SIMD floating-point ops (OP_FPV_*) for execFp: every lane through the
// softfloat library, sources copied first so a destination may alias a source.
import { D_IMM, D_P1, D_P2, D_RD, D_RM, D_RN } from '../decoded';
import { FP_TABLES } from '../layout';
import * as O from './ops-fp';
import { fpAbs, fpNeg, mask } from './format';
import { RA, RM, RN, RO, RP, RZ, fpRMode } from './fpsr';
import { fpAdd, fpDiv, fpMul, fpMulAdd, fpSqrt, fpStepFused } from './sf-arith';
import { fpCompareCond, fpMaxMin, fpMaxMinNum } from './sf-compare';
import { fixedToFp, fpConvert, fpRoundInt, fpRoundIntN, fpToFixed } from './sf-convert';
import { fpRecipEstimate, fpRecpX, fpRSqrtEstimate, uRecipEstimate, uRSqrtEstimate } from './sf-estimate';
import { vAddr } from './vreg';

// Scratch copies of the operands and the result (in the FP_TABLES region).
const TN: u32 = FP_TABLES;
const TM: u32 = FP_TABLES + 16;
const TD: u32 = FP_TABLES + 32;
const TR: u32 = FP_TABLES + 48;
const TX: u32 = FP_TABLES + 64; // 32 bytes: Vn:Vm concatenated for pairwise

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

@inline function el(base: u32, i: u32, N: u32): u64 {
  const a = base + i * (N >> 3);
  return N == 64 ? load<u64>(a) : N == 32 ? <u64>load<u32>(a) : <u64>load<u16>(a);
}
@inline function setEl(base: u32, i: u32, N: u32, v: u64): void {
  const a = base + i * (N >> 3);
  if (N == 64) store<u64>(a, v); else if (N == 32) store<u32>(a, <u32>v); else store<u16>(a, <u16>v);
}
function copyIn(dst: u32, reg: u32): void {
  const a = vAddr(reg);
  store<u64>(dst, load<u64>(a));
  store<u64>(dst, load<u64>(a, 8), 8);
}
/** Writes the result: datasize bytes of TR (16, 8, or a scalar element), the rest zeroed. */
function writeBack(rd: u32, dbytes: u32): void {
  const a = vAddr(rd);
  let lo = load<u64>(TR), hi = load<u64>(TR, 8);
  if (dbytes < 16) hi = 0;
  if (dbytes < 8) lo &= (<u64>1 << <u64>(dbytes * 8)) - 1;
  store<u64>(a, lo);
  store<u64>(a, hi, 8);
}

export function binOp(v: u32, a: u64, b: u64, d: u64, N: u32, fpcr: u32): u64 {
  const rm = fpRMode(fpcr);
  switch (v) {
    case O.V_FADD: return fpAdd(a, b, N, fpcr, rm, false);
    case O.V_FSUB: return fpAdd(a, b, N, fpcr, rm, true);
    case O.V_FMUL: return fpMul(a, b, N, fpcr, rm, false);
    case O.V_FDIV: return fpDiv(a, b, N, fpcr, rm);
    case O.V_FMAX: return fpMaxMin(a, b, N, fpcr, true);
    case O.V_FMIN: return fpMaxMin(a, b, N, fpcr, false);
    case O.V_FMAXNM: return fpMaxMinNum(a, b, N, fpcr, true);
    case O.V_FMINNM: return fpMaxMinNum(a, b, N, fpcr, false);
    case O.V_FMULX: return fpMul(a, b, N, fpcr, rm, true);
    case O.V_FABD: return fpAbs(fpAdd(a, b, N, fpcr, rm, true), N);
    case O.V_FCMEQ: return fpCompareCond(a, b, N, fpcr, 0) ? mask(N) : 0;
    case O.V_FCMGE: return fpCompareCond(a, b, N, fpcr, 1) ? mask(N) : 0;
    case O.V_FCMGT: return fpCompareCond(a, b, N, fpcr, 2) ? mask(N) : 0;
    case O.V_FACGE: return fpCompareCond(fpAbs(a, N), fpAbs(b, N), N, fpcr, 1) ? mask(N) : 0;
    case O.V_FACGT: return fpCompareCond(fpAbs(a, N), fpAbs(b, N), N, fpcr, 2) ? mask(N) : 0;
    case O.V_FRECPS: return fpStepFused(a, b, N, fpcr, rm, false);
    case O.V_FRSQRTS: return fpStepFused(a, b, N, fpcr, rm, true);
    case O.V_FMLA: return fpMulAdd(d, a, b, N, fpcr, rm);
    default: return fpMulAdd(d, fpNeg(a, N), b, N, fpcr, rm); // FMLS
  }
}

const CVT_RMODE: StaticArray<u32> = [RN, RP, RM, RZ, RA];

function unOp(v: u32, x: u64, N: u32, fpcr: u32, fixed: bool, fbits: u32): u64 {
  const rm = fpRMode(fpcr);
  if (v >= O.U_FCVTNS && v <= O.U_FCVTNS + 9) {
    const k = v - O.U_FCVTNS;
    return fpToFixed(x, N, fixed ? fbits : 0, (k & 1) != 0, N, fpcr, unchecked(CVT_RMODE[k >> 1])) & mask(N);
  }
  switch (v) {
    case O.U_FABS: return fpAbs(x, N);
    case O.U_FNEG: return fpNeg(x, N);
    case O.U_FSQRT: return fpSqrt(x, N, fpcr, rm);
    case O.U_FRINTN: return fpRoundInt(x, N, fpcr, RN, false);
    case O.U_FRINTN + 1: return fpRoundInt(x, N, fpcr, RP, false);
    case O.U_FRINTN + 2: return fpRoundInt(x, N, fpcr, RM, false);
    case O.U_FRINTN + 3: return fpRoundInt(x, N, fpcr, RZ, false);
    case O.U_FRINTN + 4: return fpRoundInt(x, N, fpcr, RA, false);
    case O.U_FRINTN + 5: return fpRoundInt(x, N, fpcr, rm, true);
    case O.U_FRINTN + 6: return fpRoundInt(x, N, fpcr, rm, false);
    case O.U_FRINT32Z: return fpRoundIntN(x, N, fpcr, RZ, 32);
    case O.U_FRINT32Z + 1: return fpRoundIntN(x, N, fpcr, rm, 32);
    case O.U_FRINT32Z + 2: return fpRoundIntN(x, N, fpcr, RZ, 64);
    case O.U_FRINT32Z + 3: return fpRoundIntN(x, N, fpcr, rm, 64);
    case O.U_SCVTF: return fixedToFp(x, N, fixed ? fbits : 0, false, N, fpcr, rm);
    case O.U_UCVTF: return fixedToFp(x, N, fixed ? fbits : 0, true, N, fpcr, rm);
    case O.U_FCMGT0: return fpCompareCond(x, 0, N, fpcr, 2) ? mask(N) : 0;
    case O.U_FCMGT0 + 1: return fpCompareCond(x, 0, N, fpcr, 0) ? mask(N) : 0;
    case O.U_FCMGT0 + 2: return fpCompareCond(0, x, N, fpcr, 2) ? mask(N) : 0; // FCMLT #0
    case O.U_FCMGT0 + 3: return fpCompareCond(x, 0, N, fpcr, 1) ? mask(N) : 0;
    case O.U_FCMGT0 + 4: return fpCompareCond(0, x, N, fpcr, 1) ? mask(N) : 0; // FCMLE #0
    case O.U_FRECPE: return fpRecipEstimate(x, N, fpcr);
    case O.U_FRSQRTE: return fpRSqrtEstimate(x, N, fpcr);
    case O.U_FRECPX: return fpRecpX(x, N, fpcr);
    case O.U_URECPE: return <u64>uRecipEstimate(<u32>x);
    default: return <u64>uRSqrtEstimate(<u32>x); // URSQRTE
  }
}

/** Reduce (Arm ARM shared pseudocode): op(Reduce(low half), Reduce(high half)). */
function reduce(v: u32, base: u32, first: u32, count: u32, N: u32, fpcr: u32): u64 {
  if (count == 1) return el(base, first, N);
  const half = count >> 1;
  const lo = reduce(v, base, first, half, N, fpcr);
  const hi = reduce(v, base, first + half, half, N, fpcr);
  return binOp(v, lo, hi, 0, N, fpcr);
}

export function execFpVector(e: u32, op: u32, fpcr: u32): void {
  const rd = F8(e, D_RD), rn = F8(e, D_RN), rmr = F8(e, D_RM);
  const N = F8(e, D_P1) << 3;
  const v = F8(e, D_P2);
  const imm = <u32>load<u64>(e, D_IMM);
  const dbytes = imm & 0xff;
  const scalar = (imm & 0x100) != 0;
  const extra = imm >> 16;
  const elements: u32 = scalar ? 1 : (dbytes << 3) / N;
  copyIn(TN, rn);
  copyIn(TM, rmr);
  copyIn(TD, rd);
  store<u64>(TR, 0);
  store<u64>(TR, 0, 8);
  switch (op) {
    case O.OP_FPV_BIN:
      for (let i: u32 = 0; i < elements; i++) setEl(TR, i, N, binOp(v, el(TN, i, N), el(TM, i, N), el(TD, i, N), N, fpcr));
      break;
    case O.OP_FPV_ELEM: {
      const b = el(TM, extra, N);
      for (let i: u32 = 0; i < elements; i++) setEl(TR, i, N, binOp(v, el(TN, i, N), b, el(TD, i, N), N, fpcr));
      break;
    }
    case O.OP_FPV_PAIR: {
      memory.copy(TX, TN, dbytes);
      memory.copy(TX + dbytes, TM, dbytes);
      for (let i: u32 = 0; i < elements; i++) setEl(TR, i, N, binOp(v, el(TX, 2 * i, N), el(TX, 2 * i + 1, N), 0, N, fpcr));
      break;
    }
    case O.OP_FPV_SPAIR:
      setEl(TR, 0, N, binOp(v, el(TN, 0, N), el(TN, 1, N), 0, N, fpcr));
      break;
    case O.OP_FPV_ACROSS:
      setEl(TR, 0, N, reduce(v, TN, 0, (dbytes << 3) / N, N, fpcr));
      writeBack(rd, N >> 3);
      return;
    case O.OP_FPV_UN: {
      const fixed = (extra & 0x80) != 0;
      const fbits = extra & 0x7f;
      for (let i: u32 = 0; i < elements; i++) setEl(TR, i, N, unOp(v, el(TN, i, N), N, fpcr, fixed, fbits));
      break;
    }
    case O.OP_FPV_CVTN: { // N = destination element size
      const rm = v == 1 ? RO : fpRMode(fpcr);
      if (scalar) {
        setEl(TR, 0, 32, fpConvert(el(TN, 0, 64), 64, 32, fpcr, rm));
        writeBack(rd, 4);
        return;
      }
      const n: u32 = 64 / N;
      const upper = (extra & 0x100) != 0;
      if (upper) store<u64>(TR, load<u64>(TD));
      for (let i: u32 = 0; i < n; i++) setEl(TR, (upper ? n : 0) + i, N, fpConvert(el(TN, i, 2 * N), 2 * N, N, fpcr, rm));
      writeBack(rd, upper ? 16 : 8);
      return;
    }
    case O.OP_FPV_CVTL: { // N = destination element size
      const n: u32 = 128 / N;
      const src = (extra & 0x100) != 0 ? TN + 8 : TN;
      for (let i: u32 = 0; i < n; i++) setEl(TR, i, N, fpConvert(el(src, i, N >> 1), N >> 1, N, fpcr, fpRMode(fpcr)));
      writeBack(rd, 16);
      return;
    }
    case O.OP_FPV_FCADD: {
      const rm = fpRMode(fpcr);
      for (let i: u32 = 0; i < elements; i += 2) {
        const e1 = el(TN, i, N), e3 = el(TN, i + 1, N);
        let e2 = el(TM, i + 1, N), e4 = el(TM, i, N);
        if (v == 0) e2 = fpNeg(e2, N); else e4 = fpNeg(e4, N);
        setEl(TR, i, N, fpAdd(e1, e2, N, fpcr, rm, false));
        setEl(TR, i + 1, N, fpAdd(e3, e4, N, fpcr, rm, false));
      }
      break;
    }
    case O.OP_FPV_FCMLA: case O.OP_FPV_FCMLA_ELEM: {
      const rm = fpRMode(fpcr);
      const byElem = op == O.OP_FPV_FCMLA_ELEM;
      for (let i: u32 = 0; i < elements; i += 2) {
        const mi = byElem ? extra * 2 : i;
        const mr = el(TM, mi, N), mim = el(TM, mi + 1, N);
        const nr = el(TN, i, N), nim = el(TN, i + 1, N);
        let e1: u64, e2: u64, e3: u64, e4: u64;
        if (v == 0) { e1 = mr; e2 = nr; e3 = mim; e4 = nr; }
        else if (v == 1) { e1 = fpNeg(mim, N); e2 = nim; e3 = mr; e4 = nim; }
        else if (v == 2) { e1 = fpNeg(mr, N); e2 = nr; e3 = fpNeg(mim, N); e4 = nr; }
        else { e1 = mim; e2 = nim; e3 = fpNeg(mr, N); e4 = nim; }
        setEl(TR, i, N, fpMulAdd(el(TD, i, N), e2, e1, N, fpcr, rm));
        setEl(TR, i + 1, N, fpMulAdd(el(TD, i + 1, N), e4, e3, N, fpcr, rm));
      }
      break;
    }
  }
  writeBack(rd, scalar ? N >> 3 : dbytes);
}
