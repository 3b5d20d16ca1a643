// Op ids of the Advanced SIMD (integer, permute, crypto) and SIMD&FP load/store bytecode: the range
// [OP_SIMD_FIRST, OP_SIMD_END). The interpreter hands any op in this range to execSimd (exec-simd.ts).
export const OP_SIMD_FIRST: u16 = 0x800;
export const OP_SIMD_END: u16 = 0xC00;
