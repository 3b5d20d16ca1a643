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
