// Op ids of the floating-point bytecode (scalar FP and the FP forms of Advanced SIMD): the range
// [OP_FP_FIRST, OP_FP_END). The interpreter hands any op in this range to execFp (exec-fp.ts).
export const OP_FP_FIRST: u16 = 0x400;
export const OP_FP_END: u16 = 0x800;
