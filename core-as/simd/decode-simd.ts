// Decoder for Advanced SIMD (scalar and vector) and the cryptographic extension: the "Data
// processing — scalar FP and Advanced SIMD" space except the scalar FP classes. The FP forms are
// decoded by core-as/fp/decode-fp-vector.ts, asked first.
import { decodeFpVector } from '../fp/decode-fp-vector';

export function decodeSimd(insn: u32, e: u32): bool {
  if (decodeFpVector(insn, e)) return true;
  return false;
}
