// DecodeBitMasks (Arm ARM J1, shared/functions/bitmasks) for logical immediates and bitfields.

@inline export function ones(n: u32): u64 {
  return n >= 64 ? <u64>-1 : ((<u64>1 << n) - 1);
}

@inline export function ror(x: u64, r: u32, esize: u32): u64 {
  if (r == 0) return x;
  const m = ones(esize);
  return ((x >> r) | (x << (esize - r))) & m;
}

/** Logical-immediate value for N:immr:imms at datasize, or 0 when the encoding is reserved. */
export function decodeLogicalImm(n: u32, immr: u32, imms: u32, datasize: u32): u64 {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return 0;
  const len = 31 - clz<u32>(combined);
  if (len < 1) return 0;
  const esize: u32 = 1 << len;
  if (esize > datasize) return 0;
  const levels: u32 = esize - 1;
  if ((imms & levels) == levels) return 0; // all ones is reserved
  const s = imms & levels;
  const r = immr & levels;
  const welem = ror(ones(s + 1), r, esize);
  let v = welem;
  for (let w = esize; w < datasize; w <<= 1) v |= v << w;
  return datasize == 64 ? v : v & 0xffffffff;
}
