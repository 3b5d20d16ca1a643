// The SIMD&FP register file in linear memory (V0..V31 at CPU_BASE + OFF_V, 16 bytes each,
// little-endian) and the element helpers every Advanced SIMD op uses. Results are built in TMP
// (so a destination may alias a source) and copied to Vd with commit().
import { CPU_BASE, OFF_V, SIMD_TABLES } from '../layout';
import { FPSR, srAddr } from '../sysregs';

export const VBASE: u32 = CPU_BASE + OFF_V;
// Scratch buffers at the start of SIMD_TABLES (64 bytes each).
export const TMP: u32 = SIMD_TABLES; // result being built
export const TMP2: u32 = SIMD_TABLES + 0x40; // an operand built by the op (replicated element, ...)
export const TMP3: u32 = SIMD_TABLES + 0x80;
export const LDBUF: u32 = SIMD_TABLES + 0x100; // structure loads: up to 4 registers
// AES S-boxes (crypto.ts): SIMD_TABLES + 0x1000 (forward), + 0x1100 (inverse).
export const AES_SBOX: u32 = SIMD_TABLES + 0x1000;
export const AES_INV_SBOX: u32 = SIMD_TABLES + 0x1100;

@inline export function vreg(r: u32): u32 { return VBASE + ((r & 31) << 4); }

/** Element i of size 8 << esz bits at addr, zero-extended. */
@inline export function ldU(addr: u32, i: u32, esz: u32): u64 {
  switch (esz) {
    case 0: return <u64>load<u8>(addr + i);
    case 1: return <u64>load<u16>(addr + (i << 1));
    case 2: return <u64>load<u32>(addr + (i << 2));
    default: return load<u64>(addr + (i << 3));
  }
}
/** Element i at addr, sign-extended. */
@inline export function ldS(addr: u32, i: u32, esz: u32): i64 {
  switch (esz) {
    case 0: return <i64>load<i8>(addr + i);
    case 1: return <i64>load<i16>(addr + (i << 1));
    case 2: return <i64>load<i32>(addr + (i << 2));
    default: return load<i64>(addr + (i << 3));
  }
}
@inline export function stEl(addr: u32, i: u32, esz: u32, v: u64): void {
  switch (esz) {
    case 0: store<u8>(addr + i, <u8>v); break;
    case 1: store<u16>(addr + (i << 1), <u16>v); break;
    case 2: store<u32>(addr + (i << 2), <u32>v); break;
    default: store<u64>(addr + (i << 3), v);
  }
}
/** Sign-extends the low 8 << esz bits of v. */
@inline export function sx(v: u64, esz: u32): i64 {
  const sh: u64 = 64 - (<u64>8 << esz);
  return (<i64>(v << sh)) >> sh;
}
/** All-ones mask of an element. */
@inline export function emask(esz: u32): u64 {
  return esz >= 3 ? <u64>-1 : (<u64>1 << (<u64>8 << esz)) - 1;
}

@inline export function clearTmp(): void { v128.store(TMP, i64x2.splat(0)); }
/** Vd = TMP (all 128 bits). */
@inline export function commit(d: u32): void { v128.store(vreg(d), v128.load(TMP)); }
/** Vd = TMP, upper 64 bits zeroed unless q. */
@inline export function commitQ(d: u32, q: bool): void {
  const a = vreg(d);
  store<u64>(a, load<u64>(TMP));
  store<u64>(a, q ? load<u64>(TMP, 8) : 0, 8);
}

/** FPSR.QC (cumulative saturation). */
export function setQC(): void {
  const a = srAddr(FPSR);
  store<u32>(a, load<u32>(a) | (1 << 27));
}

/** Signed saturation of v (which fits in i64) to 8 << esz bits (esz <= 2); sets QC when it saturates. */
export function satS(v: i64, esz: u32): u64 {
  const bits: i64 = <i64>8 << esz;
  const max: i64 = (<i64>1 << (bits - 1)) - 1;
  const min: i64 = -max - 1;
  if (v > max) { setQC(); return <u64>max; }
  if (v < min) { setQC(); return <u64>min; }
  return <u64>v;
}
/** Unsigned saturation of v (fits in i64) to 8 << esz bits (esz <= 2). */
export function satU(v: i64, esz: u32): u64 {
  const max: i64 = (<i64>1 << (<i64>8 << esz)) - 1;
  if (v > max) { setQC(); return <u64>max; }
  if (v < 0) { setQC(); return 0; }
  return <u64>v;
}
/** Signed 64-bit saturating add. */
export function sqadd64(a: u64, b: u64): u64 {
  const r = a + b;
  if ((<i64>((a ^ r) & (b ^ r))) < 0) { setQC(); return (<i64>a) < 0 ? 0x8000_0000_0000_0000 : 0x7fff_ffff_ffff_ffff; }
  return r;
}
export function sqsub64(a: u64, b: u64): u64 {
  const r = a - b;
  if ((<i64>((a ^ b) & (a ^ r))) < 0) { setQC(); return (<i64>a) < 0 ? 0x8000_0000_0000_0000 : 0x7fff_ffff_ffff_ffff; }
  return r;
}
export function uqadd64(a: u64, b: u64): u64 {
  const r = a + b;
  if (r < a) { setQC(); return <u64>-1; }
  return r;
}
export function uqsub64(a: u64, b: u64): u64 {
  if (b > a) { setQC(); return 0; }
  return a - b;
}
/** Saturating add of two esz-sized elements (signed or unsigned). */
export function qadd(a: u64, b: u64, esz: u32, signed: bool): u64 {
  if (esz == 3) return signed ? sqadd64(a, b) : uqadd64(a, b);
  return signed ? satS(sx(a, esz) + sx(b, esz), esz) : satU(<i64>a + <i64>b, esz);
}
export function qsub(a: u64, b: u64, esz: u32, signed: bool): u64 {
  if (esz == 3) return signed ? sqsub64(a, b) : uqsub64(a, b);
  return signed ? satS(sx(a, esz) - sx(b, esz), esz) : satU(<i64>a - <i64>b, esz);
}
