// IEEE 754 binary16/32/64 format parameters (N = 16, 32, 64) and the special values of the Arm ARM
// shared pseudocode (FPZero, FPInfinity, FPMaxNormal, FPDefaultNaN, FPTwo, ...).
@inline export function fracBits(N: u32): u32 { return N == 64 ? 52 : N == 32 ? 23 : 10; }
@inline export function expBits(N: u32): u32 { return N == 64 ? 11 : N == 32 ? 8 : 5; }
@inline export function bias(N: u32): i32 { return N == 64 ? 1023 : N == 32 ? 127 : 15; }
@inline export function signBit(N: u32): u64 { return <u64>1 << <u64>(N - 1); }
@inline export function fpZero(sign: u32, N: u32): u64 { return sign != 0 ? signBit(N) : 0; }
@inline export function fpInfinity(sign: u32, N: u32): u64 {
  return fpZero(sign, N) | ((((<u64>1 << <u64>expBits(N)) - 1)) << <u64>fracBits(N));
}
@inline export function fpMaxNormal(sign: u32, N: u32): u64 {
  return fpZero(sign, N) | (((<u64>1 << <u64>(N - 1)) - 1) - (<u64>1 << <u64>fracBits(N)));
}
@inline export function fpDefaultNaN(N: u32): u64 {
  return fpInfinity(0, N) | (<u64>1 << <u64>(fracBits(N) - 1));
}
/** sign : exponent of 2^e : zero fraction (e within the normal range). */
@inline export function fpPow2(sign: u32, e: i32, N: u32): u64 {
  return fpZero(sign, N) | (<u64>(e + bias(N)) << <u64>fracBits(N));
}
@inline export function fpNeg(v: u64, N: u32): u64 { return v ^ signBit(N); }
@inline export function fpAbs(v: u64, N: u32): u64 { return v & ~signBit(N); }
@inline export function mask(N: u32): u64 { return N == 64 ? <u64>-1 : (<u64>1 << <u64>N) - 1; }
