// Advanced SIMD integer data processing inline in compiled blocks, with WebAssembly SIMD (v128).
// V registers stay in the core's memory (CPU_BASE + OFF_V), so each op loads its operands from
// there and stores Vd back — the state the interpreter's executors see is always current. Only
// ops whose WebAssembly form gives exactly the Arm ARM result are translated (the executor runs the
// rest, core-as/simd/): integer lane arithmetic wraps modulo 2^esize in both; WebAssembly's
// saturating adds are the Arm ARM's SatQ with FPSR.QC set when any lane saturated; compares give
// all-ones / all-zeros lanes in both; a 64-bit vector (Q = 0) zeroes bits 127:64 of Vd, except
// INS and the "2" forms that write the upper half. Each translation follows the executor it
// replaces (core-as/simd/exec-simd.ts, fast-same.ts, int-same.ts, int-diff.ts, int-misc.ts,
// int-shift-elem.ts, perm.ts): the tier-differential tests (test/jit/simd-inline.test.ts) compare
// the two on every form translated here.
import { L, OF, OS, SR } from '../core-constants';
import { Q0 } from './abi';
import { Op, V } from './wasm-encoder';
import type { DecodedOp, Translator } from './translate';

const VBASE = L.CPU_BASE + L.OFF_V;
const vAt = (n: number): number => VBASE + 16 * (n & 31);
const FPSR_AT = L.CPU_BASE + L.OFF_SYSREGS + SR.FPSR * 8;
const QC = 1 << 27;
const ZERO16 = new Array<number>(16).fill(0);

type Emit = (t: Translator) => void;

/** Pushes Vn (v128). */
function ld(t: Translator, n: number): void { t.b.i32(0).vmem(V.load, 4, vAt(n)); }
/** v128 on the stack (above an i32 0 pushed before it) → Vd; Q = 0 zeroes bits 127:64. */
function put(t: Translator, d: number, q: boolean): void {
  t.b.vmem(V.store, 4, vAt(d));
  if (!q) t.b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(d) + 8);
}
/** Vd = f(...) with the address pushed first. */
function vd(d: DecodedOp, q: boolean, value: Emit): Emit {
  return (t) => { t.b.i32(0); value(t); put(t, d.rd, q); };
}
function zero(t: Translator): void { t.b.v128(ZERO16); }
/** FPSR.QC |= (the i32 on the stack != 0). */
function qcIf(t: Translator): void {
  t.b.begin(Op.if).i32(0).i32(0).mem(Op.i32_load, 2, FPSR_AT).i32(QC).op(Op.i32_or).mem(Op.i32_store, 2, FPSR_AT).end();
}
const imm32 = (d: DecodedOp): number => Number(d.imm & 0xffff_ffffn);
const isQ = (d: DecodedOp): boolean => (d.p2 & OS.SF_Q) !== 0;
const scalar = (d: DecodedOp): boolean => (d.p2 & OS.SF_SCALAR) !== 0;

/** Vd = op(Vn, Vm) for a lane op (null when WebAssembly has no such op for the element size). */
function bin(d: DecodedOp, ops: readonly number[], swap = false): Emit | null {
  const o = ops[d.p1];
  if (o === undefined || o < 0) return null;
  return vd(d, isQ(d), (t) => { ld(t, swap ? d.rm : d.rn); ld(t, swap ? d.rn : d.rm); t.b.simd(o); });
}

/** Saturating add/sub: the saturated lanes, FPSR.QC when any differs from the wrapping result. */
function satOp(d: DecodedOp, sat: readonly number[], wrap: readonly number[]): Emit | null {
  const e = d.p1;
  if (e > 1) return null;
  return (t) => {
    const b = t.b;
    ld(t, d.rn); ld(t, d.rm); b.simd(sat[e]).set(Q0);
    ld(t, d.rn); ld(t, d.rm); b.simd(wrap[e]).get(Q0).simd(V.xor).simd(V.any_true); qcIf(t);
    b.i32(0).get(Q0); put(t, d.rd, isQ(d));
  };
}

/** |Vn - Vm| per lane (max - min, exact modulo 2^esize) on the stack. */
function absDiff(t: Translator, d: DecodedOp, signed: boolean): void {
  const e = d.p1;
  ld(t, d.rn); ld(t, d.rm); t.b.simd((signed ? V.max_s : V.max_u)[e]);
  ld(t, d.rn); ld(t, d.rm); t.b.simd((signed ? V.min_s : V.min_u)[e]);
  t.b.simd(V.sub[e]);
}

/** Vector integer three-same (int-same.ts same3El, fast-same.ts). */
function threeSame(d: DecodedOp): Emit | null {
  if (scalar(d)) return null;
  const e = d.p1, q = isQ(d);
  switch (d.ra) {
    case 0x10: return bin(d, V.add);
    case 0x30: return bin(d, V.sub);
    case 0x31: return bin(d, V.eq);
    case 0x06: return bin(d, V.gt_s);
    case 0x26: return bin(d, V.gt_u);
    case 0x07: return bin(d, V.ge_s);
    case 0x27: return bin(d, V.ge_u);
    case 0x0c: return bin(d, V.max_s);
    case 0x2c: return bin(d, V.max_u);
    case 0x0d: return bin(d, V.min_s);
    case 0x2d: return bin(d, V.min_u);
    case 0x13: return bin(d, V.mul);
    case 0x22: return bin(d, V.avgr_u); // URHADD: (a + b + 1) >> 1 without overflow
    case 0x11: // CMTST
      return vd(d, q, (t) => { ld(t, d.rn); ld(t, d.rm); t.b.simd(V.and); zero(t); t.b.simd(V.eq[e]).simd(V.not); });
    case 0x12: case 0x32: // MLA, MLS
      if (V.mul[e] < 0) return null;
      return vd(d, q, (t) => { ld(t, d.rd); ld(t, d.rn); ld(t, d.rm); t.b.simd(V.mul[e]).simd((d.ra === 0x12 ? V.add : V.sub)[e]); });
    case 0x0e: case 0x2e: // SABD, UABD
      if (e > 2) return null;
      return vd(d, q, (t) => absDiff(t, d, d.ra === 0x0e));
    case 0x0f: case 0x2f: // SABA, UABA
      if (e > 2) return null;
      return vd(d, q, (t) => { ld(t, d.rd); absDiff(t, d, d.ra === 0x0f); t.b.simd(V.add[e]); });
    case 0x01: return satOp(d, V.add_sat_s, V.add);
    case 0x21: return satOp(d, V.add_sat_u, V.add);
    case 0x05: return satOp(d, V.sub_sat_s, V.sub);
    case 0x25: return satOp(d, V.sub_sat_u, V.sub);
  }
  return null;
}

/** Vector shift by immediate (int-shift-elem.ts execShiftImm): sh = 1..esize right, 0..esize-1 left. */
function shiftImm(d: DecodedOp): Emit | null {
  if (scalar(d)) return null;
  const e = d.p1, q = isQ(d), sh = imm32(d), bits = 8 << e;
  /** Vn >> sh (unsigned: zero for sh = esize; signed: sh = esize fills with the sign like esize - 1). */
  const right = (t: Translator, signed: boolean): void => {
    if (!signed && sh >= bits) { zero(t); return; }
    ld(t, d.rn); t.b.i32(Math.min(sh, bits - 1)).simd((signed ? V.shr_s : V.shr_u)[e]);
  };
  switch (d.ra) {
    case 0x00: return vd(d, q, (t) => right(t, true)); // SSHR
    case 0x20: return vd(d, q, (t) => right(t, false)); // USHR
    case 0x02: return vd(d, q, (t) => { ld(t, d.rd); right(t, true); t.b.simd(V.add[e]); }); // SSRA
    case 0x22: return vd(d, q, (t) => { ld(t, d.rd); right(t, false); t.b.simd(V.add[e]); }); // USRA
    case 0x0a: return vd(d, q, (t) => { ld(t, d.rn); t.b.i32(sh).simd(V.shl[e]); }); // SHL
    case 0x14: case 0x34: { // SSHLL/USHLL (SXTL/UXTL): esz = source size, Q takes the upper half
      if (e > 2) return null;
      const s = d.ra === 0x14;
      const ext = q ? (s ? V.extend_high_s : V.extend_high_u) : (s ? V.extend_low_s : V.extend_low_u);
      return vd(d, true, (t) => { ld(t, d.rn); t.b.simd(ext[e]); if (sh) t.b.i32(sh).simd(V.shl[e + 1]); });
    }
  }
  return null;
}

/** Vector three-different long/wide ops (int-diff.ts diff3): ADDL/ADDW/SUBL/SUBW, MULL/MLAL/MLSL. */
function threeDiff(d: DecodedOp): Emit | null {
  if (scalar(d) || d.p1 > 2) return null;
  const e = d.p1, part = isQ(d), uns = (d.ra & 0x10) !== 0, op = d.ra & 15;
  const ext = part ? (uns ? V.extend_high_u : V.extend_high_s) : (uns ? V.extend_low_u : V.extend_low_s);
  const extmul = part ? (uns ? V.extmul_high_u : V.extmul_high_s) : (uns ? V.extmul_low_u : V.extmul_low_s);
  switch (op) {
    case 0x0: case 0x2: // S/UADDL, S/USUBL
      return vd(d, true, (t) => { ld(t, d.rn); t.b.simd(ext[e]); ld(t, d.rm); t.b.simd(ext[e]).simd((op === 0 ? V.add : V.sub)[e + 1]); });
    case 0x1: case 0x3: // S/UADDW, S/USUBW: Vn is wide
      return vd(d, true, (t) => { ld(t, d.rn); ld(t, d.rm); t.b.simd(ext[e]).simd((op === 1 ? V.add : V.sub)[e + 1]); });
    case 0xc: return vd(d, true, (t) => { ld(t, d.rn); ld(t, d.rm); t.b.simd(extmul[e]); }); // S/UMULL
    case 0x8: case 0xa: // S/UMLAL, S/UMLSL
      return vd(d, true, (t) => { ld(t, d.rd); ld(t, d.rn); ld(t, d.rm); t.b.simd(extmul[e]).simd((op === 8 ? V.add : V.sub)[e + 1]); });
  }
  return null;
}

/** Vector two-register miscellaneous (int-misc.ts exec2Misc). */
function twoMisc(d: DecodedOp): Emit | null {
  if (scalar(d)) return null;
  const e = d.p1, q = isQ(d);
  const un = (o: number): Emit | null => (o < 0 ? null : vd(d, q, (t) => { ld(t, d.rn); t.b.simd(o); }));
  const cmp0 = (ops: readonly number[]): Emit | null => (ops[e] < 0 ? null : vd(d, q, (t) => { ld(t, d.rn); zero(t); t.b.simd(ops[e]); }));
  switch (d.ra) {
    case 0x25: return e === 0 ? un(V.not) : null; // NOT (size 01 is RBIT)
    case 0x05: return e === 0 ? un(V.popcnt8) : null; // CNT
    case 0x0b: return un(V.abs[e]); // ABS: |MIN| = MIN modulo 2^esize, as the pseudocode's Abs truncated
    case 0x2b: return un(V.neg[e]); // NEG
    case 0x08: return cmp0(V.gt_s); // CMGT #0
    case 0x28: return cmp0(V.ge_s); // CMGE #0
    case 0x09: return cmp0(V.eq); // CMEQ #0
    case 0x29: return cmp0(V.le_s); // CMLE #0
    case 0x0a: return cmp0(V.lt_s); // CMLT #0
    case 0x12: { // XTN/XTN2 (esz = narrow size): the low half of each element; XTN2 keeps Vd's lower half
      if (e > 2) return null;
      const eb = 1 << e, m = 8 >> e;
      const narrowed: number[] = [];
      for (let i = 0; i < m; i++) for (let k = 0; k < eb; k++) narrowed.push(i * 2 * eb + k);
      if (!q) return vd(d, false, (t) => { ld(t, d.rn); zero(t); t.b.shuffle([...narrowed, ...new Array<number>(8).fill(16)]); });
      return vd(d, true, (t) => { ld(t, d.rd); ld(t, d.rn); t.b.shuffle([0, 1, 2, 3, 4, 5, 6, 7, ...narrowed.map((x) => 16 + x)]); });
    }
  }
  return null;
}

/** Across lanes (int-misc.ts execAcross): ADDV, S/UMAXV, S/UMINV folded by halves; the result a scalar of esize. */
function across(d: DecodedOp): Emit | null {
  const e = d.p1;
  if (e > 2) return null;
  const op = { 0x1b: V.add, 0x0a: V.max_s, 0x1a: V.min_s, 0x2a: V.max_u, 0x3a: V.min_u }[d.ra];
  if (!op) return null;
  const n = (isQ(d) ? 16 : 8) >> e, eb = 1 << e;
  return (t) => {
    const b = t.b;
    b.i32(0);
    ld(t, d.rn);
    for (let w = n >> 1; w >= 1; w >>= 1) {
      b.set(Q0).get(Q0).get(Q0).get(Q0);
      b.shuffle(Array.from({ length: 16 }, (_, i) => (i + w * eb) & 15)); // lanes w.. moved down to 0..
      b.simd(op[e]);
    }
    b.lane(V.extract_u[e], 0).op(Op.i64_extend_i32_u).mem(Op.i64_store, 3, vAt(d.rd));
    b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8);
  };
}

/** Byte indices of an element-level selection (element j of Vn: j; of Vm: 16 + j). */
function bytesOf(els: number[], eb: number): number[] {
  const out: number[] = [];
  for (const x of els) for (let k = 0; k < eb; k++) out.push(x >= 16 ? 16 + (x - 16) * eb + k : x * eb + k);
  while (out.length < 16) out.push(0);
  return out;
}

/** ZIP1/2, UZP1/2, TRN1/2 (perm.ts execPerm) as one i8x16.shuffle. */
function perm(d: DecodedOp): Emit | null {
  const e = d.p1, q = isQ(d), n = (q ? 16 : 8) >> e, half = n >> 1, eb = 1 << e;
  const els: number[] = new Array<number>(n).fill(0);
  const M = 16; // element j of Vm is written 16 + j
  switch (d.ra) {
    case 1: case 5: { const odd = d.ra === 5 ? 1 : 0; for (let i = 0; i < half; i++) { els[i] = 2 * i + odd; els[half + i] = M + 2 * i + odd; } break; }
    case 2: case 6: { const odd = d.ra === 6 ? 1 : 0; for (let p = 0; p < half; p++) { els[2 * p] = 2 * p + odd; els[2 * p + 1] = M + 2 * p + odd; } break; }
    case 3: case 7: { const base = d.ra === 7 ? half : 0; for (let p = 0; p < half; p++) { els[2 * p] = base + p; els[2 * p + 1] = M + base + p; } break; }
    default: return null;
  }
  const lanes = bytesOf(els, eb);
  return vd(d, q, (t) => { ld(t, d.rn); ld(t, d.rm); t.b.shuffle(lanes); });
}

/** EXT (perm.ts execExt): bytes pos.. of Vm:Vn. */
function ext(d: DecodedOp): Emit {
  const q = isQ(d), bytes = q ? 16 : 8, pos = imm32(d);
  const lanes = Array.from({ length: 16 }, (_, i) => {
    if (i >= bytes) return 0;
    const j = i + pos;
    return j < bytes ? j : 16 + (j - bytes);
  });
  return vd(d, q, (t) => { ld(t, d.rn); ld(t, d.rm); t.b.shuffle(lanes); });
}

/** TBL/TBX (perm.ts execTbl): i8x16.swizzle gives 0 for an index >= 16, so each table register answers its own 16 indices. */
function tbl(d: DecodedOp): Emit {
  const q = isQ(d), regs = imm32(d) + 1, tbx = d.ra !== 0;
  return vd(d, q, (t) => {
    const b = t.b;
    for (let r = 0; r < regs; r++) {
      ld(t, d.rn + r);
      ld(t, d.rm);
      if (r) b.i32(16 * r).simd(V.splat[0]).simd(V.sub[0]);
      b.simd(V.swizzle);
      if (r) b.simd(V.or);
    }
    if (tbx) { ld(t, d.rd); ld(t, d.rm); b.i32(16 * regs).simd(V.splat[0]).simd(V.lt_u[0]).simd(V.bitselect); }
  });
}

/** Element `idx` of Vn as an i64 (zero-extended). */
function lane64(t: Translator, n: number, e: number, idx: number): void {
  ld(t, n);
  t.b.lane(V.extract_u[e], idx);
  if (e < 3) t.b.op(Op.i64_extend_i32_u);
}

/** The Advanced SIMD data-processing op inline, or null (the core's executor runs it). */
export function simdPlan(d: DecodedOp): Emit | null {
  const e = d.p1, q = isQ(d);
  switch (d.op) {
    case OS.OPS_ADD: return bin(d, V.add);
    case OS.OPS_SUB: return bin(d, V.sub);
    case OS.OPS_CMEQ: return bin(d, V.eq);
    case OS.OPS_CMEQZ: return vd(d, q, (t) => { ld(t, d.rn); zero(t); t.b.simd(V.eq[e]); });
    // bitselect(a, b, c) = (a & c) | (b & ~c) (exec-simd.ts)
    case OS.OPS_BSL: return vd(d, q, (t) => { ld(t, d.rn); ld(t, d.rm); ld(t, d.rd); t.b.simd(V.bitselect); });
    case OS.OPS_BIT: return vd(d, q, (t) => { ld(t, d.rn); ld(t, d.rd); ld(t, d.rm); t.b.simd(V.bitselect); });
    case OS.OPS_BIF: return vd(d, q, (t) => { ld(t, d.rd); ld(t, d.rn); ld(t, d.rm); t.b.simd(V.bitselect); });
    case OS.OPS_3SAME: return threeSame(d);
    case OS.OPS_SHIFT_IMM: return shiftImm(d);
    case OS.OPS_3DIFF: return threeDiff(d);
    case OS.OPS_2MISC: return twoMisc(d);
    case OS.OPS_ACROSS: return across(d);
    case OS.OPS_PERM: return perm(d);
    case OS.OPS_EXT: return ext(d);
    case OS.OPS_TBL: return tbl(d);
    case OS.OPS_PAIR_SCALAR: // ADDP (scalar): Dd = Vn.D[0] + Vn.D[1]
      return (t) => {
        t.b.i32(0).i32(0).mem(Op.i64_load, 3, vAt(d.rn)).i32(0).mem(Op.i64_load, 3, vAt(d.rn) + 8).op(Op.i64_add).mem(Op.i64_store, 3, vAt(d.rd));
        t.b.i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8);
      };
    case OS.OPS_DUP_ELEM: {
      const idx = imm32(d);
      if (scalar(d)) return (t) => { t.b.i32(0); lane64(t, d.rn, e, idx); t.b.mem(Op.i64_store, 3, vAt(d.rd)).i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8); };
      return vd(d, q, (t) => { ld(t, d.rn); t.b.lane(V.extract_u[e], idx).simd(V.splat[e]); });
    }
    case OS.OPS_DUP_GEN:
      return vd(d, q, (t) => { t.rget(d.rn); if (e < 3) t.b.op(Op.i32_wrap_i64); t.b.simd(V.splat[e]); });
    case OS.OPS_INS_GEN: {
      const idx = imm32(d);
      return (t) => { t.b.i32(0); ld(t, d.rd); t.rget(d.rn); if (e < 3) t.b.op(Op.i32_wrap_i64); t.b.lane(V.replace[e], idx); put(t, d.rd, true); };
    }
    case OS.OPS_INS_ELEM: {
      const idx = imm32(d);
      return (t) => { t.b.i32(0); ld(t, d.rd); ld(t, d.rn); t.b.lane(V.extract_u[e], d.ra).lane(V.replace[e], idx); put(t, d.rd, true); };
    }
    case OS.OPS_UMOV: return (t) => { lane64(t, d.rn, e, imm32(d)); t.rset(d.rd); };
    case OS.OPS_SMOV:
      if (e > 2) return null;
      return (t) => { ld(t, d.rn); t.b.lane(V.extract_s[e], imm32(d)).op(d.ra !== 0 ? Op.i64_extend_i32_s : Op.i64_extend_i32_u); t.rset(d.rd); };
  }
  return null;
}

/** FMOV between a general register and a SIMD&FP register (exec-fp.ts OP_FP_FMOV_TOGEN/FROMGEN). */
export function fmovGenPlan(d: DecodedOp): Emit | null {
  const imm = Number(d.imm & 0xffff_ffffn), bytes = imm & 0xff, top = (imm & 0x100) !== 0;
  const lds = [0, 0, Op.i64_load16_u, 0, Op.i64_load32_u, 0, 0, 0, Op.i64_load];
  if (d.op === OF.OP_FP_FMOV_TOGEN) {
    if (!top && !lds[bytes]) return null;
    return (t) => { t.b.i32(0).mem(top ? Op.i64_load : lds[bytes], top ? 3 : Math.log2(bytes), vAt(d.rn) + (top ? 8 : 0)); t.rset(d.rd); };
  }
  if (d.op === OF.OP_FP_FMOV_FROMGEN) {
    if (top) return (t) => { t.b.i32(0); t.rget(d.rn); t.b.mem(Op.i64_store, 3, vAt(d.rd) + 8); };
    if (bytes !== 4 && bytes !== 8 && bytes !== 2) return null;
    return (t) => {
      t.b.i32(0); t.rget(d.rn);
      if (bytes < 8) t.b.i64((1n << BigInt(8 * bytes)) - 1n).op(Op.i64_and);
      t.b.mem(Op.i64_store, 3, vAt(d.rd)).i32(0).i64(0).mem(Op.i64_store, 3, vAt(d.rd) + 8);
    };
  }
  return null;
}

