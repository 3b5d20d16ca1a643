// Op ids of the floating-point bytecode (scalar FP and the FP forms of Advanced SIMD): the range
// [OP_FP_FIRST, OP_FP_END). The interpreter hands any op in this range to execFp (exec-fp.ts).
// Decoded entry fields (decoded.ts): rd/rn/rm/ra = register numbers (V registers; a general
// register operand uses 31 = XZR as a source and 33 = discard as a destination), p1 = element
// size in bits / 8 (2, 4, 8), p2 = sub-operation, imm = class-specific.
export const OP_FP_FIRST: u16 = 0x400;
// Scalar FP (decode-fp.ts)
export const OP_FP_DP1: u16 = 0x400; // p2 = opcode (bits 20:15)
export const OP_FP_DP2: u16 = 0x401; // p2 = opcode (bits 15:12)
export const OP_FP_DP3: u16 = 0x402; // p2 = o1:o0
export const OP_FP_CMP: u16 = 0x403; // p2 = opcode2 bit 4 (E) | bit 3 (zero) as bits 1:0
export const OP_FP_CCMP: u16 = 0x404; // p2 = op (E); imm = nzcv | cond << 4
export const OP_FP_CSEL: u16 = 0x405; // imm = cond
export const OP_FP_IMM: u16 = 0x406; // imm = the value's bits
export const OP_FP_TOINT: u16 = 0x407; // FCVT*S/U: p2 = rounding (fpsr.ts RN..RA, 6 = FPCR) | unsigned << 3; imm = M | fbits << 8
export const OP_FP_FROMINT: u16 = 0x408; // SCVTF/UCVTF: p2 = unsigned; imm = M | fbits << 8
export const OP_FP_FMOV_TOGEN: u16 = 0x409; // imm = bytes (2, 4, 8) | top half << 8
export const OP_FP_FMOV_FROMGEN: u16 = 0x40a; // imm = bytes | top half << 8
export const OP_FP_FJCVTZS: u16 = 0x40b;
// Fast paths for the commonest double/single operations in round-to-nearest (exec-fp.ts)
export const OP_FADD_D: u16 = 0x410;
export const OP_FSUB_D: u16 = 0x411;
export const OP_FMUL_D: u16 = 0x412;
export const OP_FADD_S: u16 = 0x413;
export const OP_FSUB_S: u16 = 0x414;
export const OP_FMUL_S: u16 = 0x415;
export const OP_FMADD_D: u16 = 0x416; // p2 = o1:o0 as OP_FP_DP3
export const OP_FMADD_S: u16 = 0x417;
// Advanced SIMD FP (decode-fp-vector.ts): 0x500..
export const OP_FPV_FIRST: u16 = 0x500;

// Advanced SIMD FP ops: p1 = element bytes, p2 = the lane operation (V_* below), imm = datasize
// bytes (8 or 16; the element size for a scalar form) | scalar << 8 | index or fbits << 16 |
// second half (the "2" variants) << 24 | rotation << 25.
export const OP_FPV_BIN: u16 = 0x500; // lanes of Vn, Vm (and Vd for FMLA/FMLS)
export const OP_FPV_PAIR: u16 = 0x501; // pairwise over Vm:Vn
export const OP_FPV_UN: u16 = 0x502; // lanes of Vn
export const OP_FPV_ELEM: u16 = 0x503; // Vm[index] against each lane of Vn
export const OP_FPV_ACROSS: u16 = 0x504; // reduction of Vn to a scalar
export const OP_FPV_SPAIR: u16 = 0x505; // scalar pairwise: the two low elements of Vn
export const OP_FPV_CVTN: u16 = 0x506; // p2 = 0 FCVTN, 1 FCVTXN
export const OP_FPV_CVTL: u16 = 0x507;
export const OP_FPV_FCADD: u16 = 0x508;
export const OP_FPV_FCMLA: u16 = 0x509;
export const OP_FPV_FCMLA_ELEM: u16 = 0x50a;

// Binary lane operations (OP_FPV_BIN/PAIR/ELEM/ACROSS/SPAIR)
export const V_FADD: u32 = 0;
export const V_FSUB: u32 = 1;
export const V_FMUL: u32 = 2;
export const V_FDIV: u32 = 3;
export const V_FMAX: u32 = 4;
export const V_FMIN: u32 = 5;
export const V_FMAXNM: u32 = 6;
export const V_FMINNM: u32 = 7;
export const V_FMULX: u32 = 8;
export const V_FABD: u32 = 9;
export const V_FCMEQ: u32 = 10;
export const V_FCMGE: u32 = 11;
export const V_FCMGT: u32 = 12;
export const V_FACGE: u32 = 13;
export const V_FACGT: u32 = 14;
export const V_FRECPS: u32 = 15;
export const V_FRSQRTS: u32 = 16;
export const V_FMLA: u32 = 17;
export const V_FMLS: u32 = 18;
// Unary lane operations (OP_FPV_UN)
export const U_FABS: u32 = 0;
export const U_FNEG: u32 = 1;
export const U_FSQRT: u32 = 2;
export const U_FRINTN: u32 = 3; // .. U_FRINTI = 9 in the order N P M Z A X I
export const U_FRINT32Z: u32 = 10; // 32Z 32X 64Z 64X
export const U_FCVTNS: u32 = 14; // then NU PS PU MS MU ZS ZU AS AU (14..23)
export const U_SCVTF: u32 = 24;
export const U_UCVTF: u32 = 25;
export const U_FCMGT0: u32 = 26; // EQ0 LT0 GE0 LE0 (26..30)
export const U_FRECPE: u32 = 31;
export const U_FRSQRTE: u32 = 32;
export const U_FRECPX: u32 = 33;
export const U_URECPE: u32 = 34;
export const U_URSQRTE: u32 = 35;
export const OP_FP_END: u16 = 0x800;
