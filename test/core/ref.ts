// Reference functions transcribed from the Arm ARM (DDI 0487) shared pseudocode, on BigInt, used to
// compute expected values in table-driven tests. They are deliberately written the way the
// pseudocode is (bit loops, explicit widths), not the way an emulator would be optimised.

export const mask = (n: number) => (1n << BigInt(n)) - 1n;
export const trunc = (v: bigint, n: number) => v & mask(n);
export const sint = (v: bigint, n: number) => {
  const t = trunc(v, n);
  return (t >> BigInt(n - 1)) & 1n ? t - (1n << BigInt(n)) : t;
};

/** AddWithCarry(x, y, carry_in) → [result, nzcv nibble]. */
export function addWithCarry(x: bigint, y: bigint, carry: number, n: number): [bigint, number] {
  const ux = trunc(x, n), uy = trunc(y, n);
  const unsignedSum = ux + uy + BigInt(carry);
  const signedSum = sint(ux, n) + sint(uy, n) + BigInt(carry);
  const result = trunc(unsignedSum, n);
  const N = Number((result >> BigInt(n - 1)) & 1n);
  const Z = result === 0n ? 1 : 0;
  const C = result === unsignedSum ? 0 : 1;
  const V = sint(result, n) === signedSum ? 0 : 1;
  return [result, (N << 3) | (Z << 2) | (C << 1) | V];
}

/** ShiftReg: type 0 LSL, 1 LSR, 2 ASR, 3 ROR. */
export function shiftReg(v: bigint, type: number, amount: number, n: number): bigint {
  const x = trunc(v, n);
  const a = BigInt(amount);
  switch (type) {
    case 0: return trunc(x << a, n);
    case 1: return x >> a;
    case 2: return trunc(sint(x, n) >> a, n);
    default: return trunc((x >> a) | (x << (BigInt(n) - a)), n);
  }
}

/** ExtendReg: option 0..7 = UXTB UXTH UXTW UXTX SXTB SXTH SXTW SXTX, then LSL #shift, N bits. */
export function extendReg(v: bigint, option: number, shift: number, n: number): bigint {
  const len = [8, 16, 32, 64][option & 3];
  const unsigned = option < 4;
  let x = trunc(v, len);
  if (!unsigned) x = sint(x, len);
  return trunc(x << BigInt(shift), n);
}

/** ConditionHolds. */
export function conditionHolds(cond: number, nzcv: number): boolean {
  const n = (nzcv >> 3) & 1, z = (nzcv >> 2) & 1, c = (nzcv >> 1) & 1, v = nzcv & 1;
  let r: boolean;
  switch (cond >> 1) {
    case 0: r = z === 1; break;
    case 1: r = c === 1; break;
    case 2: r = n === 1; break;
    case 3: r = v === 1; break;
    case 4: r = c === 1 && z === 0; break;
    case 5: r = n === v; break;
    case 6: r = n === v && z === 0; break;
    default: r = true;
  }
  if ((cond & 1) === 1 && cond !== 15) r = !r;
  return r;
}

export function bitReverse(v: bigint, n: number): bigint {
  let r = 0n;
  for (let i = 0; i < n; i++) if ((v >> BigInt(i)) & 1n) r |= 1n << BigInt(n - 1 - i);
  return r;
}

/** Reverse the bytes in each `container`-bit chunk of an n-bit value (REV16/REV32/REV). */
export function reverseBytes(v: bigint, container: number, n: number): bigint {
  let r = 0n;
  for (let c = 0; c < n; c += container) {
    const chunk = (v >> BigInt(c)) & mask(container);
    let rc = 0n;
    for (let b = 0; b < container; b += 8) rc |= ((chunk >> BigInt(b)) & 0xffn) << BigInt(container - 8 - b);
    r |= rc << BigInt(c);
  }
  return r;
}

export function countLeadingZeroBits(v: bigint, n: number): number {
  for (let i = n - 1; i >= 0; i--) if ((v >> BigInt(i)) & 1n) return n - 1 - i;
  return n;
}

/** CountLeadingSignBits(x) = CountLeadingZeroBits(x<N-1:1> EOR x<N-2:0>). */
export function countLeadingSignBits(v: bigint, n: number): number {
  const x = trunc(v, n);
  return countLeadingZeroBits((x >> 1n) ^ trunc(x, n - 1), n - 1);
}

/** Poly32Mod2 (Arm ARM J1 shared/functions/crc). */
function poly32Mod2(data: bigint, bits: number, poly: bigint): bigint {
  let d = data;
  for (let i = bits - 1; i >= 32; i--) {
    if ((d >> BigInt(i)) & 1n) d ^= poly << BigInt(i - 32);
  }
  return trunc(d, 32);
}

/** CRC32{B,H,W,X} / CRC32C*: acc is the 32-bit accumulator, val the low `size` bits of Rm. */
export function crc32(acc: bigint, val: bigint, size: number, castagnoli: boolean): bigint {
  const poly = castagnoli ? 0x1edc_6f41n : 0x04c1_1db7n;
  const tempacc = bitReverse(trunc(acc, 32), 32) << BigInt(size);
  const tempval = bitReverse(trunc(val, size), size) << 32n;
  return bitReverse(poly32Mod2(tempacc ^ tempval, 32 + size, poly), 32);
}

/** DecodeBitMasks(immN, imms, immr, immediate=TRUE) → wmask, or undefined when reserved. */
export function decodeBitMasks(immN: number, imms: number, immr: number, m: number): bigint | undefined {
  const combined = (immN << 6) | (~imms & 0x3f);
  const len = 31 - Math.clz32(combined) - 0;
  if (combined === 0 || len < 1) return undefined;
  const levels = (1 << len) - 1;
  if ((imms & levels) === levels) return undefined;
  const s = imms & levels, r = immr & levels;
  const esize = 1 << len;
  if (esize > m) return undefined;
  const welem = mask(s + 1);
  const rot = BigInt(r);
  const e = BigInt(esize);
  const relem = trunc((welem >> rot) | (welem << (e - rot)), esize);
  let w = 0n;
  for (let i = 0; i < m; i += esize) w |= relem << BigInt(i);
  return w;
}
