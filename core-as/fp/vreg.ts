// The SIMD&FP register file V0..V31 (16 bytes each at CPU_BASE + OFF_V, little-endian).
import { CPU_BASE, OFF_V } from '../layout';

@inline export function vAddr(n: u32): u32 { return CPU_BASE + OFF_V + (n << 4); }

/** The low N bits of Vn (N = 16, 32, 64). */
@inline export function vGet(n: u32, N: u32): u64 {
  const a = vAddr(n);
  return N == 64 ? load<u64>(a) : N == 32 ? <u64>load<u32>(a) : <u64>load<u16>(a);
}

/** Writes a scalar to Vn: the low N bits, the rest of the 128-bit register zeroed. */
@inline export function vSetScalar(n: u32, v: u64, N: u32): void {
  const a = vAddr(n);
  store<u64>(a, N == 64 ? v : v & ((<u64>1 << <u64>N) - 1));
  store<u64>(a, 0, 8);
}

/** Element i of size N bits. */
@inline export function vElem(n: u32, i: u32, N: u32): u64 {
  const a = vAddr(n) + i * (N >> 3);
  return N == 64 ? load<u64>(a) : N == 32 ? <u64>load<u32>(a) : <u64>load<u16>(a);
}
@inline export function vSetElem(n: u32, i: u32, N: u32, v: u64): void {
  const a = vAddr(n) + i * (N >> 3);
  if (N == 64) store<u64>(a, v); else if (N == 32) store<u32>(a, <u32>v); else store<u16>(a, <u16>v);
}
