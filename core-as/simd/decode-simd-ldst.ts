// Decoder for the SIMD&FP register loads and stores (V = 1): LDR/STR/LDUR/STUR/LDP/STP/LDNP/STNP of
// B/H/S/D/Q, LDR (literal), LD1-LD4/ST1-ST4 and their single-structure and replicate forms.
export function decodeSimdLoadStore(insn: u32, e: u32): bool {
  return false;
}
