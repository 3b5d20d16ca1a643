// 128-bit unsigned helpers for the softfloat significands: results in the globals hi/lo.
export let hi: u64 = 0;
export let lo: u64 = 0;

/** hi:lo = a * b (full 128-bit product). */
export function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  lo = (p00 & 0xffffffff) | (mid << 32);
  hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** hi:lo = (h:l) >> n, with every bit shifted out ORed into bit 0 ("jamming"). */
export function shr128Jam(h: u64, l: u64, n: i32): void {
  if (n <= 0) { hi = h; lo = l; return; }
  if (n >= 128) { hi = 0; lo = (h | l) != 0 ? 1 : 0; return; }
  if (n >= 64) {
    const s = n - 64;
    const rest = s == 0 ? l : (l | (h << <u64>(64 - s)));
    lo = (s == 0 ? h : h >> <u64>s) | (rest != 0 ? 1 : 0);
    hi = 0;
    return;
  }
  const lost = l << <u64>(64 - n);
  lo = (l >> <u64>n) | (h << <u64>(64 - n)) | (lost != 0 ? 1 : 0);
  hi = h >> <u64>n;
}

/** hi:lo = (h:l) << n, 0 <= n < 128. */
export function shl128(h: u64, l: u64, n: i32): void {
  if (n <= 0) { hi = h; lo = l; return; }
  if (n >= 64) { hi = l << <u64>(n - 64); lo = 0; return; }
  hi = (h << <u64>n) | (l >> <u64>(64 - n));
  lo = l << <u64>n;
}

@inline export function clz128(h: u64, l: u64): i32 {
  return h != 0 ? <i32>clz(h) : 64 + <i32>clz(l);
}

/** x >> n with the bits shifted out ORed into bit 0. */
export function shrJam(x: u64, n: i32): u64 {
  if (n <= 0) return x;
  if (n >= 64) return x != 0 ? 1 : 0;
  return (x >> <u64>n) | ((x << <u64>(64 - n)) != 0 ? 1 : 0);
}
