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
export const OP_FP_END: u16 = 0x800;
