// Encoders for the A64 scalar floating-point instructions (Arm ARM C4.1.96, C7.2), for the FP unit
// tests and the random FP generator. ftype: 0 single, 1 double, 3 half.
const u = (v: number) => v >>> 0;

/** FMUL 0, FDIV 1, FADD 2, FSUB 3, FMAX 4, FMIN 5, FMAXNM 6, FMINNM 7, FNMUL 8 */
export const fpDp2 = (ft: number, opc: number, rd: number, rn: number, rm: number) =>
  u(0x1e200800 | (ft << 22) | (rm << 16) | (opc << 12) | (rn << 5) | rd);
/** FMOV 0, FABS 1, FNEG 2, FSQRT 3, FCVT to S 4 / D 5 / H 7, FRINT N 8 P 9 M 10 Z 11 A 12 X 14 I 15, FRINT32Z 16 32X 17 64Z 18 64X 19 */
export const fpDp1 = (ft: number, opc: number, rd: number, rn: number) =>
  u(0x1e204000 | (ft << 22) | (opc << 15) | (rn << 5) | rd);
/** FMADD (o1,o0) = 00, FMSUB 01, FNMADD 10, FNMSUB 11 */
export const fpDp3 = (ft: number, o1: number, o0: number, rd: number, rn: number, rm: number, ra: number) =>
  u(0x1f000000 | (ft << 22) | (o1 << 21) | (rm << 16) | (o0 << 15) | (ra << 10) | (rn << 5) | rd);
export const fcmp = (ft: number, rn: number, rm: number, zero = 0, e = 0) =>
  u(0x1e202000 | (ft << 22) | ((zero ? 0 : rm) << 16) | (rn << 5) | (e << 4) | (zero << 3));
export const fccmp = (ft: number, rn: number, rm: number, cond: number, nzcv: number, e = 0) =>
  u(0x1e200400 | (ft << 22) | (rm << 16) | (cond << 12) | (rn << 5) | (e << 4) | nzcv);
export const fcsel = (ft: number, rd: number, rn: number, rm: number, cond: number) =>
  u(0x1e200c00 | (ft << 22) | (rm << 16) | (cond << 12) | (rn << 5) | rd);
export const fmovImm = (ft: number, rd: number, imm8: number) => u(0x1e201000 | (ft << 22) | (imm8 << 13) | rd);
/** conversions FP <-> integer: opc 0 FCVT?S 1 FCVT?U 2 SCVTF 3 UCVTF 4 FCVTAS 5 FCVTAU 6 FMOV to gen 7 FMOV from gen; rmode N 0 P 1 M 2 Z 3 */
export const fpInt = (sf: number, ft: number, rmode: number, opc: number, rd: number, rn: number) =>
  u((sf << 31) | 0x1e200000 | (ft << 22) | (rmode << 19) | (opc << 16) | (rn << 5) | rd);
/** conversions FP <-> fixed point: (rmode, opc) = (3,0) FCVTZS, (3,1) FCVTZU, (0,2) SCVTF, (0,3) UCVTF; scale = 64 - fbits */
export const fpFixed = (sf: number, ft: number, rmode: number, opc: number, scale: number, rd: number, rn: number) =>
  u((sf << 31) | 0x1e000000 | (ft << 22) | (rmode << 19) | (opc << 16) | (scale << 10) | (rn << 5) | rd);
export const fjcvtzs = (rd: number, rn: number) => fpInt(0, 1, 3, 6, rd, rn);

// ---------------------------------------------------------------- Advanced SIMD floating point
/** Three same, single/double: opcode 0x18..0x1f (bits 15:11), a = bit 23, sz = bit 22. */
export const v3same = (Q: number, U: number, a: number, sz: number, opc: number, rd: number, rn: number, rm: number) =>
  u(0x0e200400 | (Q << 30) | (U << 29) | (a << 23) | (sz << 22) | (rm << 16) | (opc << 11) | (rn << 5) | rd);
export const s3same = (U: number, a: number, sz: number, opc: number, rd: number, rn: number, rm: number) =>
  u(0x5e200400 | (U << 29) | (a << 23) | (sz << 22) | (rm << 16) | (opc << 11) | (rn << 5) | rd);
/** Three same FP16: opc3 (bits 13:11). */
export const v3sameH = (Q: number, U: number, a: number, opc3: number, rd: number, rn: number, rm: number) =>
  u(0x0e400400 | (Q << 30) | (U << 29) | (a << 23) | (rm << 16) | (opc3 << 11) | (rn << 5) | rd);
export const s3sameH = (U: number, a: number, opc3: number, rd: number, rn: number, rm: number) =>
  u(0x5e400400 | (U << 29) | (a << 23) | (rm << 16) | (opc3 << 11) | (rn << 5) | rd);
/** Two-register misc: opcode (bits 16:12). */
export const v2misc = (Q: number, U: number, a: number, sz: number, opc: number, rd: number, rn: number) =>
  u(0x0e200800 | (Q << 30) | (U << 29) | (a << 23) | (sz << 22) | (opc << 12) | (rn << 5) | rd);
export const s2misc = (U: number, a: number, sz: number, opc: number, rd: number, rn: number) =>
  u(0x5e200800 | (U << 29) | (a << 23) | (sz << 22) | (opc << 12) | (rn << 5) | rd);
export const v2miscH = (Q: number, U: number, a: number, opc: number, rd: number, rn: number) =>
  u(0x0e780800 | (Q << 30) | (U << 29) | (a << 23) | (opc << 12) | (rn << 5) | rd);
export const s2miscH = (U: number, a: number, opc: number, rd: number, rn: number) =>
  u(0x5e780800 | (U << 29) | (a << 23) | (opc << 12) | (rn << 5) | rd);
/** Across lanes (FMAXV...) and scalar pairwise (FADDP...): opcode 0x0c, 0x0d, 0x0f. */
export const vAcross = (Q: number, U: number, a: number, sz: number, opc: number, rd: number, rn: number) =>
  u(0x0e300800 | (Q << 30) | (U << 29) | (a << 23) | (sz << 22) | (opc << 12) | (rn << 5) | rd);
export const sPair = (U: number, a: number, sz: number, opc: number, rd: number, rn: number) =>
  u(0x5e300800 | (U << 29) | (a << 23) | (sz << 22) | (opc << 12) | (rn << 5) | rd);
/** By element: size 0 half (index H:L:M, Rm < 16), 2 single (H:L), 3 double (H). */
export const vElem = (Q: number, U: number, size: number, opc: number, index: number, rd: number, rn: number, rm: number, scalar = 0) => {
  let H = 0, L = 0, M = 0;
  if (size === 0) { H = index >> 2; L = (index >> 1) & 1; M = index & 1; }
  else if (size === 2) { H = index >> 1; L = index & 1; }
  else H = index;
  return u((scalar ? 0x5f000000 : 0x0f000000) | (Q << 30) | (U << 29) | (size << 22) | (L << 21) | (M << 20) | (rm << 16) | (opc << 12) | (H << 11) | (rn << 5) | rd);
};
/** Shift by immediate FP conversions: opc 0x1c SCVTF/UCVTF, 0x1f FCVTZS/FCVTZU; fbits in 1..esize. */
export const vShiftCvt = (Q: number, U: number, esize: number, fbits: number, opc: number, rd: number, rn: number, scalar = 0) =>
  u((scalar ? 0x5f000400 : 0x0f000400) | (Q << 30) | (U << 29) | ((2 * esize - fbits) << 16) | (opc << 11) | (rn << 5) | rd);
/** FCMLA (vector): size 1 half, 2 single, 3 double; rot 0..3. FCADD: rot 0 (90) or 1 (270). */
export const fcmla = (Q: number, size: number, rot: number, rd: number, rn: number, rm: number) =>
  u(0x2e00c400 | (Q << 30) | (size << 22) | (rm << 16) | (rot << 11) | (rn << 5) | rd);
export const fcadd = (Q: number, size: number, rot: number, rd: number, rn: number, rm: number) =>
  u(0x2e00e400 | (Q << 30) | (size << 22) | (rm << 16) | (rot << 12) | (rn << 5) | rd);
/** FCMLA (by element): size 1 (half, index 0..3, Q=0 → 0..1) or 2 (single, Q=1, index 0..1). */
export const fcmlaElem = (Q: number, size: number, rot: number, index: number, rd: number, rn: number, rm: number) => {
  const H = size === 1 ? index >> 1 : index, L = size === 1 ? index & 1 : 0;
  return u(0x2f001000 | (Q << 30) | (size << 22) | (L << 21) | (rm << 16) | (rot << 13) | (H << 11) | (rn << 5) | rd);
};
