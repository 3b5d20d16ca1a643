// FP and Advanced SIMD instructions in compiled blocks (ops OP_FP_FIRST..OP_SIMD_END of
// core-as/fp/ops-fp.ts and core-as/simd/ops-simd.ts). V registers stay in the core's memory
// (CPU_BASE + OFF_V); the compiled code reads and writes them there, so the interpreter's
// executors can be called on the same state at any point. What the compiled code does:
//   - the SIMD&FP access check (CPACR_EL1.FPEN, CPTR_EL2.TFP, HCR_EL2.TGE) is made by the core's
//     jitFpOk at the block entry and again after every instruction that ran through jitExec (an
//     MSR, or anything else that returns to the block: only those can change the EL or those
//     registers; a load or store through jitExec cannot, and one that faults ends the block); an
//     FP/SIMD instruction tests the result (a local) and, when the check fails, runs through
//     jitExec, which takes the trap exactly as the interpreter does;
//   - inline: FMOV (register, immediate), FCSEL, and the round-to-nearest fast paths of FADD, FSUB
//     and FMUL (double) with exactly the tests of core-as/fp/fast.ts (normal operands, a normal
//     result, TwoSum / significand-width inexactness → FPSR.IXC); anything else (another rounding
//     mode, a subnormal, zero, infinity or NaN operand or result) goes to the core's executor, which
//     does the softfloat arithmetic with FPCR.FZ/DN/AH and the FPSR flags;
//   - inline: LDR/STR of B/H/S/D/Q registers (immediate, pre/post-index, register offset) and
//     LDP/STP of S/D/Q with the fast-TLB probe of the integer loads and stores; a miss, a misaligned
//     address, an unaligned SP base, a device or code page goes to jitExec;
//   - every other FP/SIMD data-processing op calls the core's executor directly (jitFpOp) with no
//     register spill: those ops read and write only V registers and FPCR/FPSR, except the few that
//     read or write a general register or NZCV (FMOV to/from general, SCVTF/UCVTF, FCVT*S/U to
//     general, DUP/INS (general), UMOV/SMOV, FCMP/FCCMP/FCSEL, FJCVTZS), for which exactly those
//     registers or NZCV are stored before and reloaded after;
//   - Advanced SIMD integer ops and FMOV to/from general registers: translate-simd.ts (WebAssembly
//     SIMD); LD1/ST1/LD1R: translate-simd-ldst.ts; LD2-LD4/ST2-ST4 and literal loads run through jitExec.
import { J, L, O, OF, OS, SR } from '../core-constants';
import {
  ACC, D, D0, D1, D2, D3, E, F_FPOP, FPOK, G_NZCV, I0, I1, I2, NZ, R, T0, T1, T2, T3,
} from './abi';
import { Op } from './wasm-encoder';
import { fmovGenPlan, simdPlan } from './translate-simd';
import { inlineStruct, structLdst } from './translate-simd-ldst';
import type { DecodedOp, Translator } from './translate';

const VBASE = L.CPU_BASE + L.OFF_V;
const vAt = (n: number): number => VBASE + 16 * n;
const FPCR_AT = L.CPU_BASE + L.OFF_SYSREGS + SR.FPCR * 8;
const FPSR_AT = L.CPU_BASE + L.OFF_SYSREGS + SR.FPSR * 8;
const IXC = 0x10; // FPSR.IXC (bit 4)
const RMODE_MASK = 3 << 22; // FPCR.RMode: 0 = round to nearest
const TE_READ = 0, TE_WRITE = 8;

export function isFpSimd(op: number): boolean { return op >= OF.OP_FP_FIRST && op < OS.OP_SIMD_END; }

const isLdst = (op: number): boolean => op >= OS.OPS_LDST_IMM && op <= OS.OPS_LDST_SINGLE;
/** The loads and stores translated inline (the others run through jitExec). */
const inlineLdst = (d: DecodedOp): boolean =>
  d.op === OS.OPS_LDST_IMM || d.op === OS.OPS_LDST_PRE || d.op === OS.OPS_LDST_POST || d.op === OS.OPS_LDST_REG ||
  ((d.op === OS.OPS_LDP || d.op === OS.OPS_STP) && d.p1 >= 2 && d.p1 <= 4) || inlineStruct(d);

interface XUse { reads: number[]; writes: number[]; flagsIn: boolean; flagsOut: boolean }
const NONE: XUse = { reads: [], writes: [], flagsIn: false, flagsOut: false };
const gen = (s: number): number[] => (s < L.REG_ZR ? [s] : []);

/** The general registers (slots) and NZCV a data-processing FP/SIMD op reads and writes. */
function xUse(d: DecodedOp): XUse {
  switch (d.op) {
    case OF.OP_FP_TOINT: case OF.OP_FP_FMOV_TOGEN: case OS.OPS_UMOV: case OS.OPS_SMOV:
      return { reads: [], writes: gen(d.rd), flagsIn: false, flagsOut: false };
    case OF.OP_FP_FJCVTZS: return { reads: [], writes: gen(d.rd), flagsIn: false, flagsOut: true };
    case OF.OP_FP_FROMINT: case OF.OP_FP_FMOV_FROMGEN: case OS.OPS_DUP_GEN: case OS.OPS_INS_GEN:
      return { reads: gen(d.rn), writes: [], flagsIn: false, flagsOut: false };
    case OF.OP_FP_CMP: return { reads: [], writes: [], flagsIn: false, flagsOut: true };
    case OF.OP_FP_CCMP: return { reads: [], writes: [], flagsIn: true, flagsOut: true };
    case OF.OP_FP_CSEL: return { reads: [], writes: [], flagsIn: true, flagsOut: false };
  }
  return NONE;
}

/** General-register slots an FP/SIMD op names (for the block's register set). */
export function fpXSlots(d: DecodedOp): number[] {
  if (isLdst(d.op)) {
    const s = [d.rn];
    if (d.op === OS.OPS_LDST_REG || d.op === OS.OPS_LDST_MULT || d.op === OS.OPS_LDST_SINGLE) s.push(d.rm);
    return s.filter((x) => x <= L.REG_SP && x !== L.REG_ZR);
  }
  const u = xUse(d);
  return [...u.reads, ...u.writes];
}

/** The op runs without jitExec when its block is entered with FP enabled. */
export function fpInlineOp(d: DecodedOp): boolean {
  if (isLdst(d.op)) return inlineLdst(d);
  return true;
}

/**
 * Before an FP/SIMD instruction: the access check's result (local FPOK, computed at the block entry
 * and after every instruction that ran through jitExec other than a load or store), unless it was
 * tested since.
 */
function ensureFpOk(t: Translator): void {
  if (t.fpChecked) return;
  const b = t.b;
  b.get(FPOK).op(Op.i32_eqz).begin(Op.if);
  t.callStep(); // the interpreter takes the trap (or, had it passed meanwhile, runs the instruction)
  b.op(Op.drop).op(Op.return);
  b.end();
  t.fpChecked = true;
}

/** The core's executor for instruction k (no register spill: see xUse). */
function callOp(t: Translator): void {
  const b = t.b;
  t.entryAt();
  t.pcAt();
  b.call(F_FPOP);
}

/** i32 1 when the i64 in local `l` is a normal double (exponent 1..0x7fe), as fast.ts normalD. */
function normalD(t: Translator, l: number): void {
  t.b.get(l).i64(52).op(Op.i64_shr_u).i64(0x7ff).op(Op.i64_and).i64(1).op(Op.i64_sub).i64(0x7fe).op(Op.i64_lt_u);
}
function raiseIXC(t: Translator): void {
  t.b.i32(0).i32(0).mem(Op.i64_load, 3, FPSR_AT).i64(IXC).op(Op.i64_or).mem(Op.i64_store, 3, FPSR_AT);
}
/** T2 (the result bits) → Vd as a 64-bit scalar (upper half zeroed). */
function storeD(t: Translator, rd: number): void {
  t.b.i32(0).get(T2).mem(Op.i64_store, 3, vAt(rd)).i32(0).i64(0).mem(Op.i64_store, 3, vAt(rd) + 8);
}

/**
 * FADD/FSUB/FMUL (double) in round-to-nearest: fast.ts's fastAddD/fastMulD inline; the executor
 * (which tries the same fast path, then softfloat) when it does not apply.
 */
/**
 * I1 = the product of the finite normal doubles in T0 and T1 is inexact: with their significands
 * (implicit bit included, left in T0/T1), the exact product needs more than 53 bits. T3 is scratch.
 */
function productInexactD(t: Translator): void {
  const b = t.b;
  const M52 = (1n << 52n) - 1n;
  b.get(T0).i64(M52).op(Op.i64_and).i64(1n << 52n).op(Op.i64_or).set(T0);
  b.get(T1).i64(M52).op(Op.i64_and).i64(1n << 52n).op(Op.i64_or).set(T1);
  b.i64(106).get(T0).op(Op.i64_ctz).op(Op.i64_sub).get(T1).op(Op.i64_ctz).op(Op.i64_sub).set(T3); // len
  b.get(T3).i64(54).op(Op.i64_gt_u).set(I1);
  b.get(T3).i64(54).op(Op.i64_eq).begin(Op.if);
  b.get(T0).get(T0).op(Op.i64_ctz).op(Op.i64_shr_u).get(T1).get(T1).op(Op.i64_ctz).op(Op.i64_shr_u).op(Op.i64_mul)
    .i64(1n << 53n).op(Op.i64_ge_u).set(I1);
  b.end();
}

/** Pushes (i32) whether the sum D2 = D0 + D1 is inexact: TwoSum's error (x - (s - bb)) + (y - bb) with bb = s - x is non-zero. D3 is scratch. */
function sumInexactD(t: Translator): void {
  const b = t.b;
  b.get(D2).get(D0).op(Op.f64_sub).set(D3);
  b.get(D0).get(D2).get(D3).op(Op.f64_sub).op(Op.f64_sub).get(D1).get(D3).op(Op.f64_sub).op(Op.f64_add).f64(0).op(Op.f64_ne);
}

function arithD(t: Translator, d: DecodedOp): void {
  const b = t.b;
  const mul = d.op === OF.OP_FMUL_D;
  b.i32(0).mem(Op.i64_load, 3, vAt(d.rn)).set(T0);
  b.i32(0).mem(Op.i64_load, 3, vAt(d.rm));
  if (d.op === OF.OP_FSUB_D) b.i64(-(1n << 63n)).op(Op.i64_xor);
  b.set(T1);
  b.i32(0).mem(Op.i32_load, 2, FPCR_AT).i32(RMODE_MASK).op(Op.i32_and).op(Op.i32_eqz);
  normalD(t, T0); b.op(Op.i32_and);
  normalD(t, T1); b.op(Op.i32_and);
  b.begin(Op.if);
  b.get(T0).op(Op.f64_reinterpret_i64).set(D0).get(T1).op(Op.f64_reinterpret_i64).set(D1);
  b.get(D0).get(D1).op(mul ? Op.f64_mul : Op.f64_add).tee(D2).op(Op.i64_reinterpret_f64).set(T2);
  if (!mul) {
    normalD(t, T2);
    b.begin(Op.if);
    // TwoSum: bb = s - x; err = (x - (s - bb)) + (y - bb)
    sumInexactD(t);
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
    b.i32(1).set(I2);
    b.op(Op.else).i32(0).set(I2).end();
  } else {
    // result exponent 2..0x7fe (far enough from the underflow threshold), finite
    b.get(T2).i64(52).op(Op.i64_shr_u).i64(0x7ff).op(Op.i64_and).i64(2).op(Op.i64_sub).i64(0x7fd).op(Op.i64_lt_u);
    b.begin(Op.if);
    productInexactD(t);
    b.get(I1).begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
    b.i32(1).set(I2);
    b.op(Op.else).i32(0).set(I2).end();
  }
  b.op(Op.else).i32(0).set(I2).end();
  b.get(I2).op(Op.i32_eqz).begin(Op.if); callOp(t); b.end();
}

/**
 * A fast path in a `block`: `body` branches out of it (br_if 0 / br 1 from a nested if) when the
 * fast path does not apply; I2 = 1 only when it ran to the end. Otherwise the core's executor runs
 * the instruction (it tries the same fast path and then does the softfloat arithmetic).
 */
function fastOrCall(t: Translator, body: () => void): void {
  const b = t.b;
  b.i32(0).set(I2);
  b.begin(Op.block);
  b.i32(0).mem(Op.i32_load, 2, FPCR_AT).i32(RMODE_MASK).op(Op.i32_and).brIf(0); // round to nearest only
  body();
  b.i32(1).set(I2);
  b.end();
  b.get(I2).op(Op.i32_eqz).begin(Op.if); callOp(t); b.end();
}
/** Branches out of the fast-path block unless the i64 in local `l` is a normal single (fast.ts normalS). */
function needNormalS(t: Translator, l: number): void {
  t.b.get(l).i64(23).op(Op.i64_shr_u).i64(0xff).op(Op.i64_and).i64(1).op(Op.i64_sub).i64(0xfe).op(Op.i64_ge_u).brIf(0);
}
function needNormalD(t: Translator, l: number): void { normalD(t, l); t.b.op(Op.i32_eqz).brIf(0); }
/** The single in local `l` (i64, low 32 bits) as an f64. */
function sToD(t: Translator, l: number): void {
  t.b.get(l).op(Op.i32_wrap_i64).op(Op.f32_reinterpret_i32).op(Op.f64_promote_f32);
}
const TINY_S = 1.1754943508222875e-38; // 2^-126

/** FADD/FSUB/FMUL single (fast.ts fastAddS, fastMulS): exact products and sums in f64, then one rounding. */
function arithS(t: Translator, d: DecodedOp): void {
  const b = t.b;
  const mul = d.op === OF.OP_FMUL_S;
  vLoad(t, d.rn, 32); b.set(T0);
  vLoad(t, d.rm, 32); if (d.op === OF.OP_FSUB_S) b.i64(0x8000_0000).op(Op.i64_xor); b.set(T1);
  fastOrCall(t, () => {
    needNormalS(t, T0); needNormalS(t, T1);
    sToD(t, T0); b.set(D0); sToD(t, T1); b.set(D1);
    b.get(D0).get(D1).op(mul ? Op.f64_mul : Op.f64_add).set(D2); // s (or the exact product p)
    if (mul) b.get(D2).op(Op.f64_abs).f64(TINY_S).op(Op.f64_lt).brIf(0);
    b.get(D2).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).set(T2); // r
    if (mul) b.get(T2).i64(23).op(Op.i64_shr_u).i64(0xff).op(Op.i64_and).i64(0xff).op(Op.i64_eq).brIf(0);
    else needNormalS(t, T2);
    // inexact: the f64 result is not the rounded one (and for a sum, TwoSum's error is not zero)
    sToD(t, T2); b.get(D2).op(Op.f64_ne);
    if (!mul) {
      b.get(D2).get(D0).op(Op.f64_sub).set(D3);
      b.get(D0).get(D2).get(D3).op(Op.f64_sub).op(Op.f64_sub).get(D1).get(D3).op(Op.f64_sub).op(Op.f64_add).f64(0).op(Op.f64_ne)
        .op(Op.i32_or);
    }
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
  });
}

/**
 * FMSUB/FNMADD/FNMSUB (OP_FP_DP3, p2 = o1:o0) negate the product's first operand and/or the addend
 * before FPMulAdd (exec-fp.ts fpDp3); the fast paths below then compute that fused multiply-add
 * (OP_FMADD_* have p2 = 0: no negation).
 */
const negN = (d: DecodedOp): boolean => d.op === OF.OP_FP_DP3 && (d.p2 & 1) !== (d.p2 >> 1);
const negA = (d: DecodedOp): boolean => d.op === OF.OP_FP_DP3 && (d.p2 & 2) !== 0;

/** FMADD single (fast.ts fastFmaS): c + a * b with the product exact in f64. */
function fmaS(t: Translator, d: DecodedOp): void {
  const b = t.b;
  vLoad(t, d.ra, 32); if (negA(d)) b.i64(0x8000_0000).op(Op.i64_xor); b.set(T3); // c
  vLoad(t, d.rn, 32); if (negN(d)) b.i64(0x8000_0000).op(Op.i64_xor); b.set(T0);
  vLoad(t, d.rm, 32); b.set(T1);
  fastOrCall(t, () => {
    needNormalS(t, T0); needNormalS(t, T1); needNormalS(t, T3);
    sToD(t, T0); sToD(t, T1); b.op(Op.f64_mul).set(D0); // p
    sToD(t, T3); b.set(D1); // z
    b.get(D0).get(D1).op(Op.f64_add).set(D2); // s
    b.get(D2).op(Op.f64_abs).f64(TINY_S).op(Op.f64_gt).op(Op.i32_eqz).brIf(0);
    b.get(D2).get(D0).op(Op.f64_sub).set(D3); // bb
    b.get(D0).get(D2).get(D3).op(Op.f64_sub).op(Op.f64_sub).get(D1).get(D3).op(Op.f64_sub).op(Op.f64_add).f64(0).op(Op.f64_ne).set(I1); // err != 0
    // s on a single-precision midpoint with a nonzero error: double rounding could differ
    b.get(I1).get(D2).op(Op.i64_reinterpret_f64).i64(0x1fff_ffff).op(Op.i64_and).i64(0x1000_0000).op(Op.i64_eq).op(Op.i32_and).brIf(0);
    b.get(D2).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).set(T2);
    b.get(T2).i64(23).op(Op.i64_shr_u).i64(0xff).op(Op.i64_and).i64(0xff).op(Op.i64_eq).brIf(0);
    b.get(I1); sToD(t, T2); b.get(D2).op(Op.f64_ne).op(Op.i32_or);
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
  });
}

/**
 * Advanced SIMD single-precision lane arithmetic: FMUL, FMLA, FMLS by element (vector 2S/4S and
 * scalar) and FADD, FSUB, FMUL, FMLA, FMLS (vector 2S/4S). Every lane takes the scalar fast path
 * of fast.ts (fastAddS, fastMulS, fastFmaS; FMLS negates the Vn element as the Arm ARM's FPNeg) in
 * f64 locals; only when all lanes pass are the results written (Vd may alias a source: every lane
 * is read first) with the bits above the datasize zeroed, and IXC raised if any lane was inexact.
 * If any lane leaves the fast path (a zero, subnormal, infinite or NaN operand, a result near the
 * underflow threshold or overflowing, a single-precision midpoint, another rounding mode), nothing
 * was written and the executor runs the whole instruction. False: not such an instruction.
 */
/**
 * The lane shape of an FP vector op this tier inlines (OP_FPV_ELEM / OP_FPV_BIN with element size
 * `esize` bytes: FMUL, FMLA, FMLS by element or vector, FADD / FSUB vector), or null.
 */
function laneOp(d: DecodedOp, esize: number) {
  const v = d.p2;
  const imm = Number(d.imm & 0xffff_ffffn);
  const dbytes = imm & 0xff, scalar = (imm & 0x100) !== 0, index = imm >>> 16;
  const elem = d.op === OF.OP_FPV_ELEM;
  if (d.p1 !== esize || (!elem && scalar)) return null;
  const mul = v === OF.V_FMUL, fused = v === OF.V_FMLA || v === OF.V_FMLS;
  if (!(mul || fused || (!elem && (v === OF.V_FADD || v === OF.V_FSUB)))) return null;
  return { v, dbytes, scalar, index, elem, mul, fused };
}

function fpvLanesS(t: Translator, d: DecodedOp): boolean {
  const b = t.b;
  const o = laneOp(d, 4);
  if (!o) return false;
  const { v, dbytes, scalar, index, elem, mul, fused } = o;
  const lanes = scalar ? 1 : dbytes / 4;
  const r = (i: number): number => D(1 + i); // lane i's result (f64, exactly its f32 value once rounded)
  const P = D(5), Z = D(6), BB = D(7), X = D(0);
  fastOrCall(t, () => {
    if (elem) { b.i32(0).mem(Op.i64_load32_u, 2, vAt(d.rm) + 4 * index).set(T1); needNormalS(t, T1); sToD(t, T1); b.set(X); }
    b.i32(0).set(I1); // some lane inexact
    for (let i = 0; i < lanes; i++) {
      b.i32(0).mem(Op.i64_load32_u, 2, vAt(d.rn) + 4 * i); if (v === OF.V_FMLS) b.i64(0x8000_0000).op(Op.i64_xor); b.set(T0);
      needNormalS(t, T0);
      if (!elem) { b.i32(0).mem(Op.i64_load32_u, 2, vAt(d.rm) + 4 * i); if (v === OF.V_FSUB) b.i64(0x8000_0000).op(Op.i64_xor); b.set(T1); needNormalS(t, T1); sToD(t, T1); b.set(X); }
      if (mul) { // fastMulS: the exact product, not below 2^-126
        sToD(t, T0); b.get(X).op(Op.f64_mul).set(r(i));
        b.get(r(i)).op(Op.f64_abs).f64(TINY_S).op(Op.f64_lt).brIf(0);
      } else if (!fused) { // fastAddS: s = x + y, TwoSum's error, a normal single result
        sToD(t, T0); b.set(P);
        b.get(P).get(X).op(Op.f64_add).set(r(i));
        b.get(r(i)).get(P).op(Op.f64_sub).set(BB);
        b.get(P).get(r(i)).get(BB).op(Op.f64_sub).op(Op.f64_sub).get(X).get(BB).op(Op.f64_sub).op(Op.f64_add).f64(0).op(Op.f64_ne)
          .get(I1).op(Op.i32_or).set(I1);
        b.get(r(i)).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).set(T2); needNormalS(t, T2);
      } else { // fastFmaS: c + a * b, the product exact in f64
        sToD(t, T0); b.get(X).op(Op.f64_mul).set(P);
        b.i32(0).mem(Op.i64_load32_u, 2, vAt(d.rd) + 4 * i).set(T3); needNormalS(t, T3); sToD(t, T3); b.set(Z);
        b.get(P).get(Z).op(Op.f64_add).set(r(i));
        b.get(r(i)).op(Op.f64_abs).f64(TINY_S).op(Op.f64_gt).op(Op.i32_eqz).brIf(0);
        b.get(r(i)).get(P).op(Op.f64_sub).set(BB);
        b.get(P).get(r(i)).get(BB).op(Op.f64_sub).op(Op.f64_sub).get(Z).get(BB).op(Op.f64_sub).op(Op.f64_add).f64(0).op(Op.f64_ne).set(I0);
        // the f64 sum on a single-precision midpoint with a nonzero error: double rounding could differ
        b.get(I0).get(r(i)).op(Op.i64_reinterpret_f64).i64(0x1fff_ffff).op(Op.i64_and).i64(0x1000_0000).op(Op.i64_eq).op(Op.i32_and).brIf(0);
        b.get(I1).get(I0).op(Op.i32_or).set(I1);
      }
      // the single result is finite; inexact when it is not the f64 value
      b.get(r(i)).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).i32(23).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and).i32(0xff).op(Op.i32_eq).brIf(0);
      b.get(r(i)).op(Op.f32_demote_f64).op(Op.f64_promote_f32).get(r(i)).op(Op.f64_ne).get(I1).op(Op.i32_or).set(I1);
    }
    for (let i = 0; i < lanes; i++) b.i32(0).get(r(i)).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).mem(Op.i32_store, 2, vAt(d.rd) + 4 * i);
    if (lanes === 1) b.i32(0).i32(0).mem(Op.i32_store, 2, vAt(d.rd) + 4);
    if (lanes <= 2) b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8);
    b.get(I1).begin(Op.if); raiseIXC(t); b.end();
  });
  return true;
}

/**
 * The same for double-precision lanes (2D, and scalar by element): fast.ts fastMulD, fastAddD and
 * fastFmaD per lane (fmaDLane), each lane's result bits kept in JIT_SCRATCH until all lanes passed.
 */
function fpvLanesD(t: Translator, d: DecodedOp): boolean {
  const b = t.b;
  const o = laneOp(d, 8);
  if (!o || (!o.scalar && o.dbytes !== 16)) return false;
  const { v, scalar, index, elem, mul, fused } = o;
  const lanes = scalar ? 1 : 2;
  const SIGN = -(1n << 63n);
  fastOrCall(t, () => {
    b.i32(0).set(ACC);
    for (let i = 0; i < lanes; i++) {
      b.i32(0).mem(Op.i64_load, 3, vAt(d.rn) + 8 * i); if (v === OF.V_FMLS) b.i64(SIGN).op(Op.i64_xor); b.set(T0);
      b.i32(0).mem(Op.i64_load, 3, vAt(d.rm) + 8 * (elem ? index : i)); if (v === OF.V_FSUB) b.i64(SIGN).op(Op.i64_xor); b.set(T1);
      if (fused) {
        b.i32(0).mem(Op.i64_load, 3, vAt(d.rd) + 8 * i).set(T3);
        fmaDLane(t);
      } else {
        needNormalD(t, T0); needNormalD(t, T1);
        b.get(T0).op(Op.f64_reinterpret_i64).set(D0).get(T1).op(Op.f64_reinterpret_i64).set(D1);
        b.get(D0).get(D1).op(mul ? Op.f64_mul : Op.f64_add).tee(D2).op(Op.i64_reinterpret_f64).set(T2);
        if (mul) { // fastMulD: result exponent 2..0x7fe; inexact iff the exact product needs more than 53 bits
          b.get(T2).i64(52).op(Op.i64_shr_u).i64(0x7ff).op(Op.i64_and).i64(2).op(Op.i64_sub).i64(0x7fd).op(Op.i64_ge_u).brIf(0);
          productInexactD(t);
          b.get(I1);
        } else { // fastAddD: a normal result; TwoSum's error
          needNormalD(t, T2);
          sumInexactD(t);
        }
      }
      b.get(ACC).op(Op.i32_or).set(ACC);
      b.i32(0).get(T2).mem(Op.i64_store, 3, J.JIT_SCRATCH + 8 * i);
    }
    for (let i = 0; i < lanes; i++) b.i32(0).i32(0).mem(Op.i64_load, 3, J.JIT_SCRATCH + 8 * i).mem(Op.i64_store, 3, vAt(d.rd) + 8 * i);
    if (lanes === 1) b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8);
    b.get(ACC).begin(Op.if); raiseIXC(t); b.end();
  });
  return true;
}

/** FMADD double (fast.ts fastFmaD): Dekker's exact product, TwoSum, round-to-odd, one final rounding. */
function fmaD(t: Translator, d: DecodedOp): void {
  const b = t.b;
  b.i32(0).mem(Op.i64_load, 3, vAt(d.ra)); if (negA(d)) b.i64(-(1n << 63n)).op(Op.i64_xor); b.set(T3); // c
  b.i32(0).mem(Op.i64_load, 3, vAt(d.rn)); if (negN(d)) b.i64(-(1n << 63n)).op(Op.i64_xor); b.set(T0);
  b.i32(0).mem(Op.i64_load, 3, vAt(d.rm)).set(T1);
  fastOrCall(t, () => {
    fmaDLane(t);
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
  });
}

/**
 * fast.ts fastFmaD's computation inside a fastOrCall block (its checks branch out of it): c in T3,
 * the multiplicands in T0 and T1; leaves the result bits in T2 and pushes i32 1 when it is inexact.
 */
function fmaDLane(t: Translator): void {
  const b = t.b;
  const [x, y, z, g, xh, xl, yh, yl, ph, pl, th, tl, v, e1, r, bb] = Array.from({ length: 16 }, (_, i) => D(i));
  const moderate = (l: number): void => { // exponent within +-450: ((e - 573) as u64) <= 900
    b.get(l).i64(52).op(Op.i64_shr_u).i64(0x7ff).op(Op.i64_and).i64(1023 - 450).op(Op.i64_sub).i64(900).op(Op.i64_gt_u).brIf(0);
  };
  const sub = (a: number, c: number): void => { b.get(a).get(c).op(Op.f64_sub); };
  moderate(T0); moderate(T1); moderate(T3);
  b.get(T0).op(Op.f64_reinterpret_i64).set(x).get(T1).op(Op.f64_reinterpret_i64).set(y).get(T3).op(Op.f64_reinterpret_i64).set(z);
  const SPLIT = 134217729.0;
  b.f64(SPLIT).get(x).op(Op.f64_mul).set(g);
  b.get(g); sub(g, x); b.op(Op.f64_sub).set(xh); // g - (g - x)
  sub(x, xh); b.set(xl);
  b.f64(SPLIT).get(y).op(Op.f64_mul).set(g);
  b.get(g); sub(g, y); b.op(Op.f64_sub).set(yh);
  sub(y, yh); b.set(yl);
  b.get(x).get(y).op(Op.f64_mul).set(ph);
  // pl = (((xh * yh - ph) + xh * yl) + xl * yh) + xl * yl
  b.get(xh).get(yh).op(Op.f64_mul).get(ph).op(Op.f64_sub).get(xh).get(yl).op(Op.f64_mul).op(Op.f64_add)
    .get(xl).get(yh).op(Op.f64_mul).op(Op.f64_add).get(xl).get(yl).op(Op.f64_mul).op(Op.f64_add).set(pl);
  // (th, tl) = TwoSum(z, ph)
  b.get(z).get(ph).op(Op.f64_add).set(th);
  sub(th, z); b.set(bb);
  b.get(z); sub(th, bb); b.op(Op.f64_sub); sub(ph, bb); b.op(Op.f64_add).set(tl);
  // v = RoundToOdd(tl + pl)
  b.get(tl).get(pl).op(Op.f64_add).set(v);
  sub(v, tl); b.set(bb);
  b.get(tl); sub(v, bb); b.op(Op.f64_sub); sub(pl, bb); b.op(Op.f64_add).set(e1);
  b.get(e1).f64(0).op(Op.f64_ne).begin(Op.if);
  b.get(v).f64(0).op(Op.f64_eq).brIf(1);
  b.get(v).op(Op.i64_reinterpret_f64).set(T2);
  b.get(T2).i64(1).op(Op.i64_and).op(Op.i64_eqz).begin(Op.if);
  b.get(T2).i64(1).op(Op.i64_add).get(T2).i64(1).op(Op.i64_sub)
    .get(e1).f64(0).op(Op.f64_gt).get(v).f64(0).op(Op.f64_gt).op(Op.i32_eq).op(Op.select)
    .op(Op.f64_reinterpret_i64).set(v);
  b.end();
  b.end();
  b.get(th).get(v).op(Op.f64_add).tee(r).op(Op.i64_reinterpret_f64).set(T2);
  // exponent 64..0x7fe: far from the underflow threshold, finite
  b.get(T2).i64(52).op(Op.i64_shr_u).i64(0x7ff).op(Op.i64_and).i64(64).op(Op.i64_sub).i64(0x7fe - 64).op(Op.i64_gt_u).brIf(0);
  sub(r, th); b.set(bb);
  b.get(th); sub(r, bb); b.op(Op.f64_sub); sub(v, bb); b.op(Op.f64_add).f64(0).op(Op.f64_ne); // e2 != 0
  b.get(e1).f64(0).op(Op.f64_ne).op(Op.i32_or);
}

/** Branches out of the fast-path block unless the double in local `l` has an exponent within ±450 (fast.ts moderateD). */
function needModerateD(t: Translator, l: number): void {
  t.b.get(l).i64(52).op(Op.i64_shr_u).i64(0x7ff).op(Op.i64_and).i64(1023 - 450).op(Op.i64_sub).i64(900).op(Op.i64_gt_u).brIf(0);
}
/**
 * Pushes i32 1 when the product of the f64 locals `a` and `b` (moderate exponents: every partial
 * product normal) is exactly the f64 in local `x`: Dekker's exact product ph + pl (Veltkamp
 * splitting, as fast.ts fastFmaD) compared with x + 0.
 */
function productIsExactly(t: Translator, a: number, b: number, x: number): void {
  const bb = t.b;
  const [g, ah, al, bh, bl, ph] = [D(8), D(9), D(10), D(11), D(12), D(13)];
  const SPLIT = 134217729.0;
  bb.f64(SPLIT).get(a).op(Op.f64_mul).set(g);
  bb.get(g).get(g).get(a).op(Op.f64_sub).op(Op.f64_sub).set(ah);
  bb.get(a).get(ah).op(Op.f64_sub).set(al);
  bb.f64(SPLIT).get(b).op(Op.f64_mul).set(g);
  bb.get(g).get(g).get(b).op(Op.f64_sub).op(Op.f64_sub).set(bh);
  bb.get(b).get(bh).op(Op.f64_sub).set(bl);
  bb.get(a).get(b).op(Op.f64_mul).set(ph);
  bb.get(ph).get(x).op(Op.f64_eq);
  // pl = (((ah * bh - ph) + ah * bl) + al * bh) + al * bl == 0
  bb.get(ah).get(bh).op(Op.f64_mul).get(ph).op(Op.f64_sub).get(ah).get(bl).op(Op.f64_mul).op(Op.f64_add)
    .get(al).get(bh).op(Op.f64_mul).op(Op.f64_add).get(al).get(bl).op(Op.f64_mul).op(Op.f64_add).f64(0).op(Op.f64_eq);
  bb.op(Op.i32_and);
}

/**
 * FDIV and FSQRT in round-to-nearest with WebAssembly's correctly rounded f64.div / f64.sqrt:
 * double precision for moderate operands (exponents within ±450: a normal result far from
 * overflow and underflow), inexact unless the exact product q * y (s * s) is the dividend
 * (radicand); single precision through f64 (53 >= 2 * 24 + 2, so the double rounding is
 * innocuous, Figueroa 1995) for a result exponent 2..254, inexact unless the f64 product of the
 * 24-bit result and divisor (result and itself), which is exact, is the operand. Anything else goes
 * to the core's softfloat (fpDiv, fpSqrt).
 */
function divSqrt(t: Translator, d: DecodedOp, sqrt: boolean): void {
  const b = t.b;
  const N = d.p1 * 8;
  if (N === 64) {
    b.i32(0).mem(Op.i64_load, 3, vAt(d.rn)).set(T0);
    if (!sqrt) b.i32(0).mem(Op.i64_load, 3, vAt(d.rm)).set(T1);
    fastOrCall(t, () => {
      needModerateD(t, T0);
      if (sqrt) b.get(T0).i64(0).op(Op.i64_lt_s).brIf(0); // a negative radicand: Invalid Operation
      else needModerateD(t, T1);
      b.get(T0).op(Op.f64_reinterpret_i64).set(D0);
      if (!sqrt) b.get(T1).op(Op.f64_reinterpret_i64).set(D1);
      if (sqrt) b.get(D0).op(Op.f64_sqrt); else b.get(D0).get(D1).op(Op.f64_div);
      b.tee(D2).op(Op.i64_reinterpret_f64).set(T2);
      needModerateD(t, T2);
      productIsExactly(t, D2, sqrt ? D2 : D1, D0);
      b.op(Op.i32_eqz).begin(Op.if); raiseIXC(t); b.end();
      storeD(t, d.rd);
    });
    return;
  }
  vLoad(t, d.rn, 32); b.set(T0);
  if (!sqrt) { vLoad(t, d.rm, 32); b.set(T1); }
  fastOrCall(t, () => {
    needNormalS(t, T0);
    if (sqrt) b.get(T0).i64(0x8000_0000).op(Op.i64_and).i64(0).op(Op.i64_ne).brIf(0);
    else needNormalS(t, T1);
    sToD(t, T0); b.set(D0);
    if (!sqrt) { sToD(t, T1); b.set(D1); }
    if (sqrt) b.get(D0).op(Op.f64_sqrt); else b.get(D0).get(D1).op(Op.f64_div);
    b.op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).set(T2);
    // result exponent 2..254: normal, not next to the underflow threshold, finite
    b.get(T2).i64(23).op(Op.i64_shr_u).i64(0xff).op(Op.i64_and).i64(2).op(Op.i64_sub).i64(252).op(Op.i64_gt_u).brIf(0);
    sToD(t, T2); b.set(D2);
    b.get(D2).get(sqrt ? D2 : D1).op(Op.f64_mul).get(D0).op(Op.f64_ne);
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
  });
}

/**
 * FCVT between single and double (fpConvert): single → double is exact for a normal single (no
 * flags); double → single with f32.demote in round-to-nearest for a normal double whose result
 * exponent is 2..254, inexact unless it converts back to the same double. Else softfloat.
 */
function fcvt(t: Translator, d: DecodedOp, N: number): void {
  const b = t.b;
  if (N === 32) {
    vLoad(t, d.rn, 32); b.set(T0);
    fastOrCall(t, () => {
      needNormalS(t, T0);
      sToD(t, T0); b.op(Op.i64_reinterpret_f64).set(T2);
      storeD(t, d.rd);
    });
    return;
  }
  b.i32(0).mem(Op.i64_load, 3, vAt(d.rn)).set(T0);
  fastOrCall(t, () => {
    needNormalD(t, T0);
    b.get(T0).op(Op.f64_reinterpret_i64).tee(D0).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).set(T2);
    b.get(T2).i64(23).op(Op.i64_shr_u).i64(0xff).op(Op.i64_and).i64(2).op(Op.i64_sub).i64(252).op(Op.i64_gt_u).brIf(0);
    sToD(t, T2); b.get(D0).op(Op.f64_ne);
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
  });
}

/**
 * SCVTF/UCVTF (general register, no fraction bits) in round-to-nearest with WebAssembly's
 * correctly rounded integer conversions; inexact when the integer has more significant bits than
 * the destination's significand (53 or 24). Xn is stored first for the softfloat fallback.
 */
function fromInt(t: Translator, d: DecodedOp, N: number, M: number): void {
  const b = t.b;
  const unsigned = d.p2 !== 0;
  t.rget(d.rn); b.set(T0);
  fastOrCall(t, () => {
    if (M === 32) {
      b.get(T0).op(Op.i32_wrap_i64).op(unsigned ? Op.f64_convert_i32_u : Op.f64_convert_i32_s).set(D0); // exact
      if (N === 64) { b.get(D0).op(Op.i64_reinterpret_f64).set(T2); storeD(t, d.rd); return; }
      b.get(D0).op(Op.f32_demote_f64).op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u).set(T2);
      sToD(t, T2); b.get(D0).op(Op.f64_ne);
    } else {
      b.get(T0).op(N === 64 ? (unsigned ? Op.f64_convert_i64_u : Op.f64_convert_i64_s) : (unsigned ? Op.f32_convert_i64_u : Op.f32_convert_i64_s));
      if (N === 64) b.op(Op.i64_reinterpret_f64); else b.op(Op.i32_reinterpret_f32).op(Op.i64_extend_i32_u);
      b.set(T2);
      // |value| (as unsigned) → T1; significant bits = 64 - clz - ctz (0 for zero)
      if (unsigned) b.get(T0).set(T1);
      else b.i64(0).get(T0).op(Op.i64_sub).get(T0).get(T0).i64(0).op(Op.i64_lt_s).op(Op.select).set(T1);
      b.get(T1).op(Op.i64_eqz).op(Op.i32_eqz);
      b.i64(64).get(T1).op(Op.i64_clz).op(Op.i64_sub).get(T1).op(Op.i64_ctz).op(Op.i64_sub).i64(N === 64 ? 53 : 24).op(Op.i64_gt_u);
      b.op(Op.i32_and);
    }
    b.begin(Op.if); raiseIXC(t); b.end();
    storeD(t, d.rd);
  });
}

/**
 * MOVI/MVNI/ORR/BIC (vector, immediate: OPS_MOVI, ra = 0 move, 1 ORR, 2 AND with the pattern) and
 * the bitwise vector ops AND/BIC/ORR/ORN/EOR on the two 64-bit halves; a 64-bit vector zeroes the
 * upper half (exec-simd.ts put, perm.ts execMovi).
 */
function simdBitwise(t: Translator, d: DecodedOp): void {
  const b = t.b;
  const q = (d.p2 & OS.SF_Q) !== 0;
  for (const half of q ? [0, 8] : [0]) {
    b.i32(0);
    if (d.op === OS.OPS_MOVI) {
      b.i64(d.imm);
      if (d.ra !== 0) b.i32(0).mem(Op.i64_load, 3, vAt(d.rd) + half).op(d.ra === 1 ? Op.i64_or : Op.i64_and);
    } else {
      b.i32(0).mem(Op.i64_load, 3, vAt(d.rn) + half);
      b.i32(0).mem(Op.i64_load, 3, vAt(d.rm) + half);
      if (d.op === OS.OPS_BIC || d.op === OS.OPS_ORN) b.i64(-1).op(Op.i64_xor);
      b.op(d.op === OS.OPS_AND || d.op === OS.OPS_BIC ? Op.i64_and : d.op === OS.OPS_EOR ? Op.i64_xor : Op.i64_or);
    }
    b.mem(Op.i64_store, 3, vAt(d.rd) + half);
  }
  if (!q) b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8);
}

/** Loads the low N bits of Vn (zero-extended to i64). */
function vLoad(t: Translator, n: number, N: number): void {
  const o = N === 64 ? Op.i64_load : N === 32 ? Op.i64_load32_u : N === 16 ? Op.i64_load16_u : Op.i64_load8_u;
  t.b.i32(0).mem(o, Math.log2(N / 8), vAt(n));
}
/** i64 on the stack → Vd as a scalar (upper 64 bits zeroed). */
function vStoreScalar(t: Translator, rd: number): void {
  t.b.set(T2); storeD(t, rd);
}

// --- loads and stores ---
const LD = [Op.i64_load8_u, Op.i64_load16_u, Op.i64_load32_u, Op.i64_load];
const ST = [Op.i64_store8, Op.i64_store16, Op.i64_store32, Op.i64_store];

/** Register Vt ← memory at host address in local `h` (size log2 sz; a load zeroes the rest). */
function loadV(t: Translator, h: number, sz: number, vt: number): void {
  const b = t.b;
  if (sz === 4) {
    b.i32(0).get(h).mem(Op.i64_load, 3, 0).mem(Op.i64_store, 3, vAt(vt));
    b.i32(0).get(h).mem(Op.i64_load, 3, 8).mem(Op.i64_store, 3, vAt(vt) + 8);
    return;
  }
  b.i32(0).get(h).mem(LD[sz], sz, 0).mem(Op.i64_store, 3, vAt(vt));
  b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(vt) + 8);
}
function storeV(t: Translator, h: number, sz: number, vt: number): void {
  const b = t.b;
  if (sz === 4) {
    b.get(h).i32(0).mem(Op.i64_load, 3, vAt(vt)).mem(Op.i64_store, 3, 0);
    b.get(h).i32(0).mem(Op.i64_load, 3, vAt(vt) + 8).mem(Op.i64_store, 3, 8);
    return;
  }
  b.get(h).i32(0).mem(LD[sz], sz, vAt(vt)).mem(ST[sz], sz, 0);
}

/** LDR/STR (B..Q) at the address in T0; `wb` then emits the base writeback. */
function ldst1(t: Translator, d: DecodedOp, wb: (() => void) | null): void {
  const b = t.b;
  const sz = d.p1, isLoad = d.p2 !== 0;
  t.probe(T0, I0, isLoad ? TE_READ : TE_WRITE, sz);
  if (t.spBad(d.rn)) b.op(Op.i32_eqz).op(Op.i32_and);
  b.begin(Op.if);
  t.host(T0, I0); b.set(I1);
  if (isLoad) loadV(t, I1, sz, d.rd); else storeV(t, I1, sz, d.rd);
  if (wb) wb();
  b.op(Op.else);
  t.slowAccess();
  b.end();
}

/** LDP/STP of S/D/Q registers (both elements probed before anything is written). */
function pairV(t: Translator, d: DecodedOp): void {
  const b = t.b;
  const isLoad = d.op === OS.OPS_LDP;
  const sz = d.p1, mode = d.rm;
  t.rget(d.rn); b.set(T2);
  b.get(T2); if (mode !== O.IDX_POST) b.i64(d.imm).op(Op.i64_add); b.set(T0);
  b.get(T0).i64(1 << sz).op(Op.i64_add).set(T1);
  const tag = isLoad ? TE_READ : TE_WRITE;
  t.probe(T0, I0, tag, sz);
  t.probe(T1, I1, tag, sz);
  b.op(Op.i32_and);
  if (t.spBad(d.rn)) b.op(Op.i32_eqz).op(Op.i32_and);
  b.begin(Op.if);
  t.host(T0, I0); b.set(I0);
  t.host(T1, I1); b.set(I1);
  if (isLoad) { loadV(t, I0, sz, d.rd); loadV(t, I1, sz, d.ra); } // rt != rt2 (decode)
  else { storeV(t, I0, sz, d.rd); storeV(t, I1, sz, d.ra); }
  if (mode !== O.IDX_OFFSET) { b.get(T2).i64(d.imm).op(Op.i64_add); t.rset(d.rn); }
  b.op(Op.else);
  t.slowAccess();
  b.end();
}

function ldstInsn(t: Translator, d: DecodedOp): void {
  const b = t.b;
  t.preloadSlots(fpXSlots(d));
  if (!inlineLdst(d)) { t.fallbackOp(); return; }
  ensureFpOk(t);
  t.inline++;
  switch (d.op) {
    case OS.OPS_LDST_IMM: t.rget(d.rn); b.i64(d.imm).op(Op.i64_add).set(T0); ldst1(t, d, null); return;
    case OS.OPS_LDST_PRE:
      t.rget(d.rn); b.i64(d.imm).op(Op.i64_add).set(T0);
      ldst1(t, d, () => { b.get(T0); t.rset(d.rn); }); return;
    case OS.OPS_LDST_POST:
      t.rget(d.rn); b.set(T0);
      ldst1(t, d, () => { b.get(T0).i64(d.imm).op(Op.i64_add); t.rset(d.rn); }); return;
    case OS.OPS_LDST_REG:
      t.rget(d.rn); t.rget(d.rm); t.extend(d.ra, Number(d.imm & 0xffn)); b.op(Op.i64_add).set(T0); ldst1(t, d, null); return;
    case OS.OPS_LDST_MULT: case OS.OPS_LDST_SINGLE: structLdst(t, d); return;
    default: pairV(t, d);
  }
}

/** One FP/SIMD instruction (instruction t.k of the block). */
export function fpInsn(t: Translator, d: DecodedOp): void {
  if (isLdst(d.op)) { ldstInsn(t, d); return; }
  const b = t.b;
  const u = xUse(d);
  t.preloadSlots([...u.reads, ...u.writes]);
  ensureFpOk(t);
  t.inline++;
  const N = d.p1 * 8;
  switch (d.op) {
    case OF.OP_FADD_D: case OF.OP_FSUB_D: case OF.OP_FMUL_D: arithD(t, d); return;
    case OF.OP_FADD_S: case OF.OP_FSUB_S: case OF.OP_FMUL_S: arithS(t, d); return;
    case OF.OP_FMADD_S: fmaS(t, d); return;
    case OF.OP_FMADD_D: fmaD(t, d); return;
    case OS.OPS_MOVI: case OS.OPS_AND: case OS.OPS_BIC: case OS.OPS_ORR: case OS.OPS_ORN: case OS.OPS_EOR:
      simdBitwise(t, d); return;
    case OF.OP_FP_DP3: if (N === 64) { fmaD(t, d); return; } if (N === 32) { fmaS(t, d); return; } break;
    case OF.OP_FP_DP2: if (d.p2 === 1 && (N === 64 || N === 32)) { divSqrt(t, d, false); return; } break;
    case OF.OP_FP_IMM: b.i64(N === 64 ? d.imm : d.imm & ((1n << BigInt(N)) - 1n)); vStoreScalar(t, d.rd); return;
    case OF.OP_FP_DP1:
      if (d.p2 === 0 && d.imm === 0n) { vLoad(t, d.rn, N); vStoreScalar(t, d.rd); return; } // FMOV (register)
      if (d.p2 === 3 && d.imm === 0n && (N === 64 || N === 32)) { divSqrt(t, d, true); return; } // FSQRT
      if ((d.p2 === 4 || d.p2 === 5 || d.p2 === 7) && ((N === 64 && d.imm === 4n) || (N === 32 && d.imm === 8n))) { fcvt(t, d, N); return; }
      if ((d.p2 === 1 || d.p2 === 2) && d.imm === 0n) { // FABS, FNEG: the sign bit only (format.ts)
        const sign = 1n << BigInt(N - 1);
        vLoad(t, d.rn, N);
        if (d.p2 === 1) b.i64(~sign & ((1n << BigInt(N)) - 1n)).op(Op.i64_and); else b.i64(sign).op(Op.i64_xor);
        vStoreScalar(t, d.rd); return;
      }
      break;
    case OF.OP_FP_CSEL:
      vLoad(t, d.rn, N); vLoad(t, d.rm, N); t.cond(Number(d.imm & 15n)); b.op(Op.select); vStoreScalar(t, d.rd); return;
    case OF.OP_FPV_ELEM: case OF.OP_FPV_BIN: if (fpvLanesS(t, d) || fpvLanesD(t, d)) return; break;
  }
  // Advanced SIMD integer ops and FMOV to/from a general register with WebAssembly SIMD (translate-simd.ts)
  const plan = d.op >= OS.OP_SIMD_FIRST ? simdPlan(d) : (d.op === OF.OP_FP_FMOV_TOGEN || d.op === OF.OP_FP_FMOV_FROMGEN) ? fmovGenPlan(d) : null;
  if (plan) { plan(t); return; }
  for (const s of u.reads) { b.i32(0); t.rget(s); b.mem(Op.i64_store, 3, L.CPU_BASE + s * 8); }
  if (d.op === OF.OP_FP_FROMINT && (d.imm >> 8n) === 0n && (N === 32 || N === 64) && (d.imm === 32n || d.imm === 64n)) {
    fromInt(t, d, N, Number(d.imm)); return;
  }
  if (u.flagsIn) { t.materialize(); b.get(NZ).gset(G_NZCV); }
  callOp(t);
  for (const s of u.writes) {
    b.i32(0).mem(Op.i64_load, 3, L.CPU_BASE + s * 8).set(R(s));
    t.loaded.add(s); t.used.add(s);
  }
  if (u.flagsOut) { b.gget(G_NZCV).set(NZ); t.flags = 'mat'; }
}
