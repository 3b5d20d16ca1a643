// Decoder for the scalar floating-point classes of "Data processing — scalar FP and Advanced SIMD"
// (op0 = x0x1): FP data processing 1/2/3 source, compare, conditional compare/select, immediate,
// conversions between FP and integer / fixed point. Returns false for an encoding it does not
// claim (the caller makes it UNDEFINED).
export function decodeFp(insn: u32, e: u32): bool {
  return false;
}
