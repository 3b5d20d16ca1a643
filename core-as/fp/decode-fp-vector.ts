// Decoder for the floating-point encodings inside the Advanced SIMD space (vector and scalar FP
// arithmetic, compares, conversions, by-element, across-lanes and pairwise FP). Called first by
// core-as/simd/decode-simd.ts; returns false for an encoding that is not floating point.
export function decodeFpVector(insn: u32, e: u32): bool {
  return false;
}
