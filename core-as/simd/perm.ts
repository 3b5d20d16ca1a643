// Advanced SIMD permutes and moves: ZIP1/2, UZP1/2, TRN1/2, EXT, TBL/TBX, DUP (element, general),
// INS (element, general), UMOV/SMOV and the modified-immediate class (MOVI/MVNI/ORR/BIC/FMOV vector
// immediate).
import { D_IMM, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { getX, setX } from '../alu';
import { SF_Q, SF_SCALAR } from './ops-simd';
import { clearTmp, commit, ldU, stEl, TMP, TMP2, vreg } from './vreg';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

/** Replicates the low 8 << esz bits of v over 64 bits. */
@inline export function replicate64(v: u64, esz: u32): u64 {
  switch (esz) {
    case 0: return (v & 0xff) * 0x0101_0101_0101_0101;
    case 1: return (v & 0xffff) * 0x0001_0001_0001_0001;
    case 2: return (v & 0xffff_ffff) * 0x0000_0001_0000_0001;
    default: return v;
  }
}

export function execPerm(e: u32): void {
  const opc = F8(e, D_RA);
  const esz = F8(e, D_P1);
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const na = vreg(F8(e, D_RN)), ma = vreg(F8(e, D_RM));
  const n: u32 = (q ? 16 : 8) >> esz;
  const half = n >> 1;
  clearTmp();
  switch (opc) {
    case 1: case 5: { // UZP1, UZP2
      const odd: u32 = opc == 5 ? 1 : 0;
      for (let i: u32 = 0; i < half; i++) {
        stEl(TMP, i, esz, ldU(na, 2 * i + odd, esz));
        stEl(TMP, half + i, esz, ldU(ma, 2 * i + odd, esz));
      }
      break;
    }
    case 2: case 6: { // TRN1, TRN2
      const odd: u32 = opc == 6 ? 1 : 0;
      for (let p: u32 = 0; p < half; p++) {
        stEl(TMP, 2 * p, esz, ldU(na, 2 * p + odd, esz));
        stEl(TMP, 2 * p + 1, esz, ldU(ma, 2 * p + odd, esz));
      }
      break;
    }
    default: { // 3 ZIP1, 7 ZIP2
      const base: u32 = opc == 7 ? half : 0;
      for (let p: u32 = 0; p < half; p++) {
        stEl(TMP, 2 * p, esz, ldU(na, base + p, esz));
        stEl(TMP, 2 * p + 1, esz, ldU(ma, base + p, esz));
      }
    }
  }
  commit(F8(e, D_RD));
}

/** EXT: bytes pos.. of Vm:Vn (64 or 128 bits each). */
export function execExt(e: u32): void {
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const bytes: u32 = q ? 16 : 8;
  const pos = load<u32>(e, D_IMM);
  memory.copy(TMP2, vreg(F8(e, D_RN)), bytes);
  memory.copy(TMP2 + bytes, vreg(F8(e, D_RM)), bytes);
  clearTmp();
  memory.copy(TMP, TMP2 + pos, bytes);
  commit(F8(e, D_RD));
}

/** TBL/TBX with a table of len + 1 consecutive registers (modulo 32) from Vn. */
export function execTbl(e: u32): void {
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const tbx = F8(e, D_RA) != 0;
  const regs: u32 = load<u32>(e, D_IMM) + 1;
  const n = F8(e, D_RN);
  for (let r: u32 = 0; r < regs; r++) v128.store(TMP2 + (r << 4), v128.load(vreg((n + r) & 31)));
  const d = F8(e, D_RD);
  const ma = vreg(F8(e, D_RM)), da = vreg(d);
  const limit: u32 = regs << 4;
  clearTmp();
  const bytes: u32 = q ? 16 : 8;
  for (let i: u32 = 0; i < bytes; i++) {
    const idx = <u32>load<u8>(ma + i);
    store<u8>(TMP + i, idx < limit ? load<u8>(TMP2 + idx) : (tbx ? load<u8>(da + i) : 0));
  }
  commit(d);
}

export function execDupElem(e: u32): void {
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const v = ldU(vreg(F8(e, D_RN)), load<u32>(e, D_IMM), esz);
  const da = vreg(F8(e, D_RD));
  if ((flags & SF_SCALAR) != 0) { store<u64>(da, v); store<u64>(da, 0, 8); return; }
  const pat = replicate64(v, esz);
  store<u64>(da, pat);
  store<u64>(da, (flags & SF_Q) != 0 ? pat : 0, 8);
}

export function execDupGen(e: u32): void {
  const esz = F8(e, D_P1);
  const pat = replicate64(getX(F8(e, D_RN)), esz);
  const da = vreg(F8(e, D_RD));
  store<u64>(da, pat);
  store<u64>(da, (F8(e, D_P2) & SF_Q) != 0 ? pat : 0, 8);
}

export function execInsGen(e: u32): void {
  stEl(vreg(F8(e, D_RD)), load<u32>(e, D_IMM), F8(e, D_P1), getX(F8(e, D_RN)));
}

export function execInsElem(e: u32): void {
  const esz = F8(e, D_P1);
  stEl(vreg(F8(e, D_RD)), load<u32>(e, D_IMM), esz, ldU(vreg(F8(e, D_RN)), F8(e, D_RA), esz));
}

export function execUmov(e: u32): void {
  setX(F8(e, D_RD), ldU(vreg(F8(e, D_RN)), load<u32>(e, D_IMM), F8(e, D_P1)));
}

export function execSmov(e: u32): void {
  const esz = F8(e, D_P1);
  const a = vreg(F8(e, D_RN));
  const i = load<u32>(e, D_IMM);
  let v: i64;
  if (esz == 0) v = <i64>load<i8>(a + i);
  else if (esz == 1) v = <i64>load<i16>(a + (i << 1));
  else v = <i64>load<i32>(a + (i << 2));
  setX(F8(e, D_RD), F8(e, D_RA) != 0 ? <u64>v : <u64><u32>v);
}

/** MOVI/MVNI/ORR/BIC/FMOV (vector, immediate): imm = the 64-bit pattern (already inverted for MVNI/BIC). */
export function execMovi(e: u32): void {
  const imm = load<u64>(e, D_IMM);
  const q = (F8(e, D_P2) & SF_Q) != 0;
  const da = vreg(F8(e, D_RD));
  const mode = F8(e, D_RA);
  let lo: u64, hi: u64;
  if (mode == 0) { lo = imm; hi = imm; }
  else if (mode == 1) { lo = load<u64>(da) | imm; hi = load<u64>(da, 8) | imm; }
  else { lo = load<u64>(da) & imm; hi = load<u64>(da, 8) & imm; }
  store<u64>(da, lo);
  store<u64>(da, q ? hi : 0, 8);
}
