// Integer helpers: AddWithCarry flags, condition table, shifts/extends, multiply-high, CRC32.
// NZCV is kept as PSTATE bits 31:28 in the global `nzcv` (state.ts).
import { COND_TABLE, CPU_BASE, CRC32C_TABLE, CRC_TABLE } from './layout';

function condHoldsSlow(cond: u32, f: u32): bool {
  const n = (f >> 3) & 1, z = (f >> 2) & 1, c = (f >> 1) & 1, v = f & 1;
  let r: bool;
  switch (cond >> 1) {
    case 0: r = z == 1; break;
    case 1: r = c == 1; break;
    case 2: r = n == 1; break;
    case 3: r = v == 1; break;
    case 4: r = c == 1 && z == 0; break;
    case 5: r = n == v; break;
    case 6: r = n == v && z == 0; break;
    default: r = true;
  }
  if ((cond & 1) != 0 && cond != 15) r = !r;
  return r;
}

export function initAlu(): void {
  for (let f: u32 = 0; f < 16; f++) {
    let mask: u32 = 0;
    for (let c: u32 = 0; c < 16; c++) if (condHoldsSlow(c, f)) mask |= 1 << c;
    store<u16>(COND_TABLE + (f << 1), <u16>mask);
  }
  for (let i: u32 = 0; i < 256; i++) {
    let a = i, b = i;
    for (let k = 0; k < 8; k++) {
      a = (a & 1) ? (a >>> 1) ^ 0xedb88320 : a >>> 1;
      b = (b & 1) ? (b >>> 1) ^ 0x82f63b78 : b >>> 1;
    }
    store<u32>(CRC_TABLE + (i << 2), a);
    store<u32>(CRC32C_TABLE + (i << 2), b);
  }
}

@inline export function condHolds(cond: u32, nzcv: u32): bool {
  return ((load<u16>(COND_TABLE + ((nzcv >> 28) << 1)) >> cond) & 1) != 0;
}

// --- AddWithCarry (Arm ARM J1 shared/functions/integer/AddWithCarry) ---
@inline export function flags64(a: u64, b: u64, res: u64): u32 {
  const n = <u32>(res >> 63);
  const z: u32 = res == 0 ? 1 : 0;
  const c = <u32>(((a & b) | ((a | b) & ~res)) >> 63);
  const v = <u32>(((a ^ res) & (b ^ res)) >> 63);
  return (n << 31) | (z << 30) | (c << 29) | (v << 28);
}
@inline export function flags32(a: u32, b: u32, res: u32): u32 {
  const n = res >> 31;
  const z: u32 = res == 0 ? 1 : 0;
  const c = ((a & b) | ((a | b) & ~res)) >> 31;
  const v = ((a ^ res) & (b ^ res)) >> 31;
  return (n << 31) | (z << 30) | (c << 29) | (v << 28);
}
@inline export function nzFlags64(res: u64): u32 {
  return (<u32>(res >> 63) << 31) | (res == 0 ? 0x40000000 : 0);
}
@inline export function nzFlags32(res: u32): u32 {
  return ((res >> 31) << 31) | (res == 0 ? 0x40000000 : 0);
}

// --- Shifts and extends ---
@inline export function shift64(x: u64, type: u32, amount: u32): u64 {
  switch (type) {
    case 0: return x << amount;
    case 1: return x >> amount;
    case 2: return <u64>(<i64>x >> amount);
    default: return rotr<u64>(x, amount);
  }
}
@inline export function shift32(x: u32, type: u32, amount: u32): u32 {
  switch (type) {
    case 0: return x << amount;
    case 1: return x >>> amount;
    case 2: return <u32>(<i32>x >> amount);
    default: return rotr<u32>(x, amount);
  }
}
/** ExtendReg: option UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX, then LSL shift. */
@inline export function extendReg(x: u64, option: u32, shift: u32): u64 {
  let v: u64;
  switch (option) {
    case 0: v = x & 0xff; break;
    case 1: v = x & 0xffff; break;
    case 2: v = x & 0xffffffff; break;
    case 3: v = x; break;
    case 4: v = <u64>(<i64>(<i8>x)); break;
    case 5: v = <u64>(<i64>(<i16>x)); break;
    case 6: v = <u64>(<i64>(<i32>x)); break;
    default: v = x;
  }
  return v << shift;
}

// --- Multiply high ---
export function umulh(a: u64, b: u64): u64 {
  const al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
  const p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
  const mid = (p0 >> 32) + (p1 & 0xffffffff) + (p2 & 0xffffffff);
  return p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}
export function smulh(a: u64, b: u64): u64 {
  let h = umulh(a, b);
  if (<i64>a < 0) h -= b;
  if (<i64>b < 0) h -= a;
  return h;
}

// --- Bit reverse and count ---
export function rbit64(x: u64): u64 {
  x = ((x >> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
  x = ((x >> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0f) | ((x & 0x0f0f0f0f0f0f0f0f) << 4);
  return bswap<u64>(x);
}
@inline export function cls64(x: u64): u64 {
  return clz<u64>(x ^ <u64>(<i64>x >> 1)) - 1;
}
@inline export function cls32(x: u32): u32 {
  return clz<u32>(x ^ <u32>(<i32>x >> 1)) - 1;
}
@inline export function rev16_64(x: u64): u64 {
  return ((x >> 8) & 0x00ff00ff00ff00ff) | ((x & 0x00ff00ff00ff00ff) << 8);
}
@inline export function rev32_64(x: u64): u64 {
  const b = bswap<u64>(x);
  return (b >> 32) | (b << 32);
}

// --- CRC32 / CRC32C (FEAT_CRC32): acc is Wn, data the low (8 << sizeLog2) bits of Rm ---
export function crc32(acc: u32, data: u64, sizeLog2: u32, castagnoli: bool): u32 {
  const table = castagnoli ? CRC32C_TABLE : CRC_TABLE;
  const n: u32 = 1 << sizeLog2;
  let crc = acc;
  for (let i: u32 = 0; i < n; i++) {
    const byte = <u32>(data >> (i << 3)) & 0xff;
    crc = load<u32>(table + (((crc ^ byte) & 0xff) << 2)) ^ (crc >>> 8);
  }
  return crc;
}

// Register file access (slots from the decoded entry).
@inline export function getX(r: u32): u64 {
  return load<u64>(CPU_BASE + (r << 3));
}
@inline export function setX(r: u32, v: u64): void {
  store<u64>(CPU_BASE + (r << 3), v);
}
