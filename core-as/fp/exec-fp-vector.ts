// Executes the Advanced SIMD floating-point ops (OP_FPV_FIRST..) for execFp.
export function execFpVector(e: u32, op: u32, fpcr: u32): void {
}
