// Cryptographic extension: AESE/AESD/AESMC/AESIMC (FEAT_AES), SHA1C/P/M/H/SU0/SU1 (FEAT_SHA1),
// SHA256H/H2/SU0/SU1 (FEAT_SHA256), SHA512H/H2/SU0/SU1 and EOR3/RAX1/XAR/BCAX (FEAT_SHA512,
// FEAT_SHA3), as the Arm ARM pseudocode (shared/functions/crypto) defines them. The AES S-boxes are
// computed once (multiplicative inverse in GF(2^8) and the affine map) into SIMD_TABLES.
import { D_IMM, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { AES_INV_SBOX, AES_SBOX, commit, TMP, vreg } from './vreg';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

@inline function xtime(b: u32): u32 { return ((b << 1) ^ ((b & 0x80) != 0 ? 0x1b : 0)) & 0xff; }

function gmul(a: u32, b: u32): u32 {
  let r: u32 = 0;
  while (b != 0) {
    if (b & 1) r ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return r;
}

function initSbox(): void {
  for (let x: u32 = 0; x < 256; x++) {
    // inverse: x^254
    let inv: u32 = 0;
    if (x != 0) {
      let r: u32 = 1, base = x, ex: u32 = 254;
      while (ex != 0) { if (ex & 1) r = gmul(r, base); base = gmul(base, base); ex >>= 1; }
      inv = r;
    }
    let s = inv;
    for (let k: u32 = 1; k < 5; k++) s ^= ((inv << k) | (inv >> (8 - k))) & 0xff;
    s = (s ^ 0x63) & 0xff;
    store<u8>(AES_SBOX + x, <u8>s);
    store<u8>(AES_INV_SBOX + s, <u8>x);
  }
}

// ShiftRows / InvShiftRows as byte permutations of the 16-byte state (column-major).
const SHIFT: StaticArray<u8> = [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11];
const INV_SHIFT: StaticArray<u8> = [0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3];

export function execAes(e: u32): void {
  if (load<u8>(AES_SBOX) != 0x63) initSbox(); // S(0) = 0x63: built (linear memory may have been cleared since)
  const op = F8(e, D_RA);
  const d = F8(e, D_RD);
  const na = vreg(F8(e, D_RN)), da = vreg(d);
  if (op < 2) { // AESE / AESD: AddRoundKey, (Inv)ShiftRows, (Inv)SubBytes
    const s0 = load<u64>(da) ^ load<u64>(na), s1 = load<u64>(da, 8) ^ load<u64>(na, 8);
    const st: u32 = TMP + 32;
    store<u64>(st, s0); store<u64>(st, s1, 8);
    for (let i: u32 = 0; i < 16; i++) {
      if (op == 0) store<u8>(TMP + i, load<u8>(AES_SBOX + <u32>load<u8>(st + <u32>unchecked(SHIFT[i]))));
      else store<u8>(TMP + i, load<u8>(AES_INV_SBOX + <u32>load<u8>(st + <u32>unchecked(INV_SHIFT[i]))));
    }
  } else {
    for (let c: u32 = 0; c < 4; c++) {
      const a0 = <u32>load<u8>(na + 4 * c), a1 = <u32>load<u8>(na + 4 * c + 1);
      const a2 = <u32>load<u8>(na + 4 * c + 2), a3 = <u32>load<u8>(na + 4 * c + 3);
      let r0: u32, r1: u32, r2: u32, r3: u32;
      if (op == 2) { // MixColumns
        r0 = xtime(a0) ^ (xtime(a1) ^ a1) ^ a2 ^ a3;
        r1 = a0 ^ xtime(a1) ^ (xtime(a2) ^ a2) ^ a3;
        r2 = a0 ^ a1 ^ xtime(a2) ^ (xtime(a3) ^ a3);
        r3 = (xtime(a0) ^ a0) ^ a1 ^ a2 ^ xtime(a3);
      } else { // InvMixColumns
        r0 = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9);
        r1 = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13);
        r2 = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11);
        r3 = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14);
      }
      store<u8>(TMP + 4 * c, <u8>r0); store<u8>(TMP + 4 * c + 1, <u8>r1);
      store<u8>(TMP + 4 * c + 2, <u8>r2); store<u8>(TMP + 4 * c + 3, <u8>r3);
    }
  }
  commit(d);
}

@inline function w32(a: u32, i: u32): u32 { return load<u32>(a + (i << 2)); }
@inline function ch(x: u32, y: u32, z: u32): u32 { return ((y ^ z) & x) ^ z; }
@inline function par(x: u32, y: u32, z: u32): u32 { return x ^ y ^ z; }
@inline function maj(x: u32, y: u32, z: u32): u32 { return (x & y) | ((x | y) & z); }

/** SHA1C/SHA1P/SHA1M/SHA1SU0/SHA256H/SHA256H2/SHA256SU1 (three registers). */
export function execSha3Reg(e: u32): void {
  const op = F8(e, D_RA);
  const d = F8(e, D_RD);
  const da = vreg(d), na = vreg(F8(e, D_RN)), ma = vreg(F8(e, D_RM));
  if (op <= 2) {
    let x0 = w32(da, 0), x1 = w32(da, 1), x2 = w32(da, 2), x3 = w32(da, 3);
    let y = w32(na, 0);
    for (let i: u32 = 0; i < 4; i++) {
      const t = op == 0 ? ch(x1, x2, x3) : op == 1 ? par(x1, x2, x3) : maj(x1, x2, x3);
      y = y + rotl<u32>(x0, 5) + t + w32(ma, i);
      x1 = rotl<u32>(x1, 30);
      // <Y, X> = ROL(Y:X, 32)
      const ny = x3;
      x3 = x2; x2 = x1; x1 = x0; x0 = y;
      y = ny;
    }
    store<u32>(TMP, x0); store<u32>(TMP + 4, x1); store<u32>(TMP + 8, x2); store<u32>(TMP + 12, x3);
  } else if (op == 3) { // SHA1SU0: (Vn<63:0> : Vd<127:64>) ^ Vd ^ Vm
    store<u64>(TMP, load<u64>(da, 8) ^ load<u64>(da) ^ load<u64>(ma));
    store<u64>(TMP, load<u64>(na) ^ load<u64>(da, 8) ^ load<u64>(ma, 8), 8);
  } else if (op == 4 || op == 5) { // SHA256H (X = Vd, Y = Vn) / SHA256H2 (X = Vn, Y = Vd)
    const xa = op == 4 ? da : na, ya = op == 4 ? na : da;
    let x0 = w32(xa, 0), x1 = w32(xa, 1), x2 = w32(xa, 2), x3 = w32(xa, 3);
    let y0 = w32(ya, 0), y1 = w32(ya, 1), y2 = w32(ya, 2), y3 = w32(ya, 3);
    for (let i: u32 = 0; i < 4; i++) {
      const chs = ch(y0, y1, y2);
      const mj = maj(x0, x1, x2);
      const t1 = y3 + (rotr<u32>(y0, 6) ^ rotr<u32>(y0, 11) ^ rotr<u32>(y0, 25)) + chs + w32(ma, i);
      x3 = t1 + x3;
      y3 = t1 + (rotr<u32>(x0, 2) ^ rotr<u32>(x0, 13) ^ rotr<u32>(x0, 22)) + mj;
      // <Y, X> = ROL(Y:X, 32): X = X<95:0>:Y<127:96>, Y = Y<95:0>:X<127:96>
      const ox3 = x3;
      x3 = x2; x2 = x1; x1 = x0; x0 = y3;
      y3 = y2; y2 = y1; y1 = y0; y0 = ox3;
    }
    if (op == 4) { store<u32>(TMP, x0); store<u32>(TMP + 4, x1); store<u32>(TMP + 8, x2); store<u32>(TMP + 12, x3); }
    else { store<u32>(TMP, y0); store<u32>(TMP + 4, y1); store<u32>(TMP + 8, y2); store<u32>(TMP + 12, y3); }
  } else { // SHA256SU1
    // T0 = Vm<31:0> : Vn<127:32>; T1 = Vm<127:64>
    const t00 = w32(na, 1), t01 = w32(na, 2), t02 = w32(na, 3), t03 = w32(ma, 0);
    let e0 = w32(ma, 2), e1 = w32(ma, 3);
    const r0 = (rotr<u32>(e0, 17) ^ rotr<u32>(e0, 19) ^ (e0 >>> 10)) + w32(da, 0) + t00;
    const r1 = (rotr<u32>(e1, 17) ^ rotr<u32>(e1, 19) ^ (e1 >>> 10)) + w32(da, 1) + t01;
    const r2 = (rotr<u32>(r0, 17) ^ rotr<u32>(r0, 19) ^ (r0 >>> 10)) + w32(da, 2) + t02;
    const r3 = (rotr<u32>(r1, 17) ^ rotr<u32>(r1, 19) ^ (r1 >>> 10)) + w32(da, 3) + t03;
    store<u32>(TMP, r0); store<u32>(TMP + 4, r1); store<u32>(TMP + 8, r2); store<u32>(TMP + 12, r3);
  }
  commit(d);
}

/** SHA1H, SHA1SU1, SHA256SU0 (two registers). */
export function execSha2Reg(e: u32): void {
  const op = F8(e, D_RA);
  const d = F8(e, D_RD);
  const da = vreg(d), na = vreg(F8(e, D_RN));
  if (op == 0) { // SHA1H
    store<u64>(TMP, <u64>rotl<u32>(w32(na, 0), 30)); store<u64>(TMP, 0, 8);
  } else if (op == 1) { // SHA1SU1: T = Vd ^ (Vn >> 32)
    const t0 = w32(da, 0) ^ w32(na, 1), t1 = w32(da, 1) ^ w32(na, 2), t2 = w32(da, 2) ^ w32(na, 3), t3 = w32(da, 3);
    store<u32>(TMP, rotl<u32>(t0, 1)); store<u32>(TMP + 4, rotl<u32>(t1, 1)); store<u32>(TMP + 8, rotl<u32>(t2, 1));
    store<u32>(TMP + 12, rotl<u32>(t3, 1) ^ rotl<u32>(t0, 2));
  } else { // SHA256SU0: T = Vn<31:0> : Vd<127:32>
    for (let i: u32 = 0; i < 4; i++) {
      const t = i < 3 ? w32(da, i + 1) : w32(na, 0);
      store<u32>(TMP + (i << 2), (rotr<u32>(t, 7) ^ rotr<u32>(t, 18) ^ (t >>> 3)) + w32(da, i));
    }
  }
  commit(d);
}

/** SHA512H/H2/SU1, RAX1 (three registers) and SHA512SU0 (two). */
export function execSha512(e: u32): void {
  const op = F8(e, D_RA);
  const d = F8(e, D_RD);
  const da = vreg(d), na = vreg(F8(e, D_RN)), ma = vreg(F8(e, D_RM));
  const w0 = load<u64>(da), w1 = load<u64>(da, 8);
  const x0 = load<u64>(na), x1 = load<u64>(na, 8);
  const y0 = load<u64>(ma), y1 = load<u64>(ma, 8);
  let r0: u64, r1: u64;
  switch (op) {
    case 0: { // SHA512H
      let sig = rotr<u64>(y1, 14) ^ rotr<u64>(y1, 18) ^ rotr<u64>(y1, 41);
      r1 = ((y1 & x0) ^ (~y1 & x1)) + sig + w1;
      const tmp = r1 + y0;
      sig = rotr<u64>(tmp, 14) ^ rotr<u64>(tmp, 18) ^ rotr<u64>(tmp, 41);
      r0 = ((tmp & y1) ^ (~tmp & x0)) + sig + w0;
      break;
    }
    case 1: { // SHA512H2
      let sig = rotr<u64>(y0, 28) ^ rotr<u64>(y0, 34) ^ rotr<u64>(y0, 39);
      r1 = ((x0 & y1) ^ (x0 & y0) ^ (y1 & y0)) + sig + w1;
      sig = rotr<u64>(r1, 28) ^ rotr<u64>(r1, 34) ^ rotr<u64>(r1, 39);
      r0 = ((r1 & y0) ^ (r1 & y1) ^ (y1 & y0)) + sig + w0;
      break;
    }
    case 2: { // SHA512SU1
      r1 = w1 + (rotr<u64>(x1, 19) ^ rotr<u64>(x1, 61) ^ (x1 >> 6)) + y1;
      r0 = w0 + (rotr<u64>(x0, 19) ^ rotr<u64>(x0, 61) ^ (x0 >> 6)) + y0;
      break;
    }
    case 3: // RAX1
      r0 = x0 ^ rotl<u64>(y0, 1); r1 = x1 ^ rotl<u64>(y1, 1);
      break;
    default: // SHA512SU0
      r0 = w0 + (rotr<u64>(w1, 1) ^ rotr<u64>(w1, 8) ^ (w1 >> 7));
      r1 = w1 + (rotr<u64>(x0, 1) ^ rotr<u64>(x0, 8) ^ (x0 >> 7));
  }
  store<u64>(TMP, r0); store<u64>(TMP, r1, 8);
  commit(d);
}

/** EOR3 (bcax = false) / BCAX: Vd = Vn ^ Vm ^ Va, or Vn ^ (Vm & ~Va). */
export function execEor3Bcax(e: u32, bcax: bool): void {
  const n = v128.load(vreg(F8(e, D_RN))), m = v128.load(vreg(F8(e, D_RM))), a = v128.load(vreg(load<u32>(e, D_IMM)));
  v128.store(vreg(F8(e, D_RD)), bcax ? v128.xor(n, v128.andnot(m, a)) : v128.xor(v128.xor(n, m), a));
}

/** XAR: Vd.2D = ROR(Vn ^ Vm, imm6). */
export function execXar(e: u32): void {
  const na = vreg(F8(e, D_RN)), ma = vreg(F8(e, D_RM));
  const r: u64 = <u64>load<u32>(e, D_IMM);
  const a = rotr<u64>(load<u64>(na) ^ load<u64>(ma), r), b = rotr<u64>(load<u64>(na, 8) ^ load<u64>(ma, 8), r);
  const da = vreg(F8(e, D_RD));
  store<u64>(da, a); store<u64>(da, b, 8);
}
