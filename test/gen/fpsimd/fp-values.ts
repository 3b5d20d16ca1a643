// Seeded special floating-point values for the random FP/SIMD tests: signed zeros, infinities,
// quiet and signalling NaNs with payloads, denormals, the smallest and largest normals, halfway and
// near-integer values, values near the integer-conversion overflow boundaries.
import type { Rng as Prng } from '../prng';

const D = (x: number) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  return b.getBigUint64(0);
};
const S = (x: number) => {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, x);
  return BigInt(b.getUint32(0));
};

const D_SPECIAL: bigint[] = [
  0n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff8000000000123n, 0x7ffc0000deadbeefn,
  0x7ff0000000000001n, 0xfff4000000000abcn, 0x7ff7ffffffffffffn,
  0x0000000000000001n, 0x800fffffffffffffn, 0x0008000000000000n, 0x0000000012345678n,
  0x0010000000000000n, 0x8010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn,
  0x001fffffffffffffn, 0x3ff0000000000000n, 0xbff0000000000000n, 0x3ff0000000000001n, 0x3fefffffffffffffn,
  D(0.5), D(1.5), D(2.5), D(-2.5), D(-0.5), D(3), D(0.1), D(-7.75), D(1e300), D(1e-300), D(2.2250738585072009e-308),
  D(2 ** 31 - 0.5), D(2 ** 31), D(-(2 ** 31)), D(-(2 ** 31) - 1), D(2 ** 32), D(2 ** 32 - 1), D(2 ** 63), D(-(2 ** 63)),
  D(2 ** 64), D(2 ** 64 - 2048), D(2 ** 52), D(2 ** 52 + 0.5), D(2 ** 53 + 1), D(4503599627370495.5), D(65504), D(65520),
  D(6.103515625e-5), D(5.960464477539063e-8), D(3.4028234663852886e38), D(3.4028235677973366e38), D(1.1754943508222875e-38),
  D(1.401298464324817e-45), D(7.006492321624085e-46),
];
const S_SPECIAL: bigint[] = [
  0n, 0x80000000n, 0x7f800000n, 0xff800000n, 0x7fc00000n, 0xffc00000n, 0x7fc01234n, 0x7f800001n, 0xffa00abcn,
  0x7fbfffffn, 0x00000001n, 0x807fffffn, 0x00400000n, 0x00800000n, 0x80800000n, 0x7f7fffffn, 0xff7fffffn,
  0x00ffffffn, 0x3f800000n, 0xbf800000n, 0x3f800001n, 0x3f7fffffn, 0x33800000n, 0x34000000n,
  S(0.5), S(1.5), S(2.5), S(-2.5), S(-0.5), S(3), S(0.1), S(-7.75), S(1e30), S(1e-30),
  S(2 ** 31), S(-(2 ** 31)), S(2 ** 32), S(2 ** 63), S(-(2 ** 63)), S(2 ** 64), S(2 ** 23), S(2 ** 23 + 1), S(8388607.5),
  S(65504), S(65520), S(65536), S(6.103515625e-5), S(5.960464477539063e-8), S(2.980232238769531e-8), S(1.0009765625),
];
const H_SPECIAL: bigint[] = [
  0x0000n, 0x8000n, 0x7c00n, 0xfc00n, 0x7e00n, 0xfe00n, 0x7e12n, 0x7c01n, 0xfd55n, 0x7dffn,
  0x0001n, 0x83ffn, 0x0200n, 0x0400n, 0x8400n, 0x7bffn, 0xfbffn, 0x07ffn, 0x3c00n, 0xbc00n, 0x3c01n, 0x3bffn,
  0x3800n, 0x3e00n, 0x4100n, 0xc100n, 0xb800n, 0x4200n, 0x2e66n, 0x1400n, 0x0c00n, 0x7800n, 0x5bffn, 0x6000n,
];

function randExp(rng: Prng, N: 16 | 32 | 64): bigint {
  // A random value with an exponent near 0 (so sums, products and conversions stay in range).
  const F = N === 64 ? 52 : N === 32 ? 23 : 10, B = N === 64 ? 1023 : N === 32 ? 127 : 15;
  const e = BigInt(B + rng.range(-8, 8));
  let frac = 0n;
  for (let i = 0; i < F; i += 16) frac = (frac << 16n) | BigInt(rng.int(0x10000));
  frac &= (1n << BigInt(F)) - 1n;
  if (rng.bool(0.3)) frac &= ~((1n << BigInt(rng.int(F))) - 1n); // few significant bits
  return (BigInt(rng.int(2)) << BigInt(N - 1)) | (e << BigInt(F)) | frac;
}

/** One element of N bits. */
export function fpElement(rng: Prng, N: 16 | 32 | 64): bigint {
  const r = rng.int(10);
  if (r < 5) return rng.pick(N === 64 ? D_SPECIAL : N === 32 ? S_SPECIAL : H_SPECIAL);
  if (r < 8) return randExp(rng, N);
  const w = N === 64 ? rng.u64() : BigInt(rng.u32()) & ((1n << BigInt(N)) - 1n);
  return w;
}

/** A 128-bit register value: lanes of one size. */
export function fpRegister(rng: Prng): bigint {
  const N = rng.pick([16, 32, 64, 64, 32] as const);
  let v = 0n;
  for (let i = 0; i < 128 / N; i++) v |= fpElement(rng, N) << BigInt(i * N);
  return v;
}

/** A random FPCR: RMode, FZ, DN, AHP, FZ16 (the architected writable bits). */
export function fpcrValue(rng: Prng): number {
  let v = rng.int(4) << 22;
  if (rng.bool(0.25)) v |= 1 << 24; // FZ
  if (rng.bool(0.25)) v |= 1 << 25; // DN
  if (rng.bool(0.15)) v |= 1 << 26; // AHP
  if (rng.bool(0.25)) v |= 1 << 19; // FZ16
  return v >>> 0;
}
