// Execution of the SIMD&FP loads and stores: single registers (B/H/S/D/Q), pairs, literal loads,
// LD1-LD4/ST1-ST4 multiple and single structures and LD1R-LD4R. Accesses go through the same fast
// TLB / slow path as the integer loads (mem.ts), so faults, device (MMIO) replay and code
// invalidation behave alike. Each returns false when the instruction was abandoned.
import { D_IMM, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from '../decoded';
import { REG_SP, REG_ZR } from '../layout';
import * as O from '../ops';
import { extendReg, getX, setX } from '../alu';
import { curEL, memFault, pc, setMemFault } from '../state';
import { SCTLR_EL1, SCTLR_EL2, srGet } from '../sysregs';
import { EC_SP_ALIGN, routeEL1, takeSimple } from '../exception';
import { alignmentRequired, read, read64, write, write64 } from '../mem';
import { curMmuIdx } from '../tlb';
import { raiseAlignmentFault } from '../abort';
import { ACC_READ, ACC_WRITE } from '../mmu';
import { ldU, stEl, vreg } from './vreg';

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }

@inline function failed(): bool {
  if (memFault) { setMemFault(false); return true; }
  return false;
}

/** SP alignment check (Arm ARM D1.8.2), as for the integer loads and stores. */
function spFault(rn: u32): bool {
  if (rn != REG_SP || (getX(REG_SP) & 15) == 0) return false;
  let on: bool;
  if (curEL == 2) on = (srGet(SCTLR_EL2) & 8) != 0;
  else on = (srGet(SCTLR_EL1) & (curEL == 0 ? 16 : 8)) != 0;
  if (!on) return false;
  takeSimple(routeEL1(), EC_SP_ALIGN, 0, pc);
  return true;
}

/** A 16-byte access must be 16-byte aligned where alignment is checked (SCTLR_ELx.A, Device memory). */
function qAligned(va: u64, acc: u32): bool {
  if ((va & 15) != 0 && (va & 7) == 0 && alignmentRequired(curMmuIdx)) {
    raiseAlignmentFault(va, acc);
    setMemFault(false);
    return false;
  }
  return true;
}

/** Loads 1 << sz bytes (sz 0..4) at va into host memory dst. */
function loadTo(va: u64, sz: u32, dst: u32): bool {
  if (sz == 4) {
    if (!qAligned(va, ACC_READ)) return false;
    const lo = read64(va); if (failed()) return false;
    const hi = read64(va + 8); if (failed()) return false;
    store<u64>(dst, lo); store<u64>(dst, hi, 8);
    return true;
  }
  const v = read(va, sz); if (failed()) return false;
  stEl(dst, 0, sz, v);
  return true;
}

/** Stores 1 << sz bytes (sz 0..4) from host memory src at va. */
function storeFrom(va: u64, sz: u32, src: u32): bool {
  if (sz == 4) {
    if (!qAligned(va, ACC_WRITE)) return false;
    const lo = load<u64>(src), hi = load<u64>(src, 8);
    write64(va, lo); if (failed()) return false;
    write64(va + 8, hi);
    return !failed();
  }
  write(va, sz, ldU(src, 0, sz));
  return !failed();
}

/** LDR/STR of one SIMD&FP register at va (a load zeroes the rest of the register). */
function ldstReg(isLoad: bool, sz: u32, t: u32, va: u64): bool {
  if (!isLoad) return storeFrom(va, sz, vreg(t));
  if (sz == 4) {
    if (!qAligned(va, ACC_READ)) return false;
    const lo = read64(va); if (failed()) return false;
    const hi = read64(va + 8); if (failed()) return false;
    const a = vreg(t);
    store<u64>(a, lo); store<u64>(a, hi, 8);
    return true;
  }
  const v = read(va, sz); if (failed()) return false;
  const a = vreg(t);
  store<u64>(a, v); store<u64>(a, 0, 8);
  return true;
}

export function execLdstImm(e: u32): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  return ldstReg(F8(e, D_P2) != 0, F8(e, D_P1), F8(e, D_RD), getX(rn) + load<u64>(e, D_IMM));
}

export function execLdstPre(e: u32): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  const a = getX(rn) + load<u64>(e, D_IMM);
  if (!ldstReg(F8(e, D_P2) != 0, F8(e, D_P1), F8(e, D_RD), a)) return false;
  setX(rn, a);
  return true;
}

export function execLdstPost(e: u32): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  const a = getX(rn);
  if (!ldstReg(F8(e, D_P2) != 0, F8(e, D_P1), F8(e, D_RD), a)) return false;
  setX(rn, a + load<u64>(e, D_IMM));
  return true;
}

export function execLdstReg(e: u32): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  const off = extendReg(getX(F8(e, D_RM)), F8(e, D_RA), load<u32>(e, D_IMM));
  return ldstReg(F8(e, D_P2) != 0, F8(e, D_P1), F8(e, D_RD), getX(rn) + off);
}

export function execLdrLit(e: u32, p: u64): bool {
  return ldstReg(true, F8(e, D_P1), F8(e, D_RD), p + load<u64>(e, D_IMM));
}

/** LDP/LDNP/STP/STNP: both elements are read before either register is written. */
export function execPair(e: u32, isLoad: bool): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  const sz = F8(e, D_P1);
  const mode = F8(e, D_RM);
  const base = getX(rn);
  const imm = load<u64>(e, D_IMM);
  const a = mode == O.IDX_POST ? base : base + imm;
  const bytes: u64 = <u64>1 << sz;
  const t = F8(e, D_RD), t2 = F8(e, D_RA);
  if (isLoad) {
    const tmp: u32 = LDP_TMP;
    store<u64>(tmp, 0); store<u64>(tmp, 0, 8); store<u64>(tmp, 0, 16); store<u64>(tmp, 0, 24);
    if (!loadTo(a, sz, tmp)) return false;
    if (!loadTo(a + bytes, sz, tmp + 16)) return false;
    v128.store(vreg(t), v128.load(tmp));
    v128.store(vreg(t2), v128.load(tmp + 16));
  } else {
    if (!storeFrom(a, sz, vreg(t))) return false;
    if (!storeFrom(a + bytes, sz, vreg(t2))) return false;
  }
  if (mode != O.IDX_OFFSET) setX(rn, base + imm);
  return true;
}

import { LDBUF } from './vreg';
const LDP_TMP: u32 = LDBUF + 0x80;

/** LD1-LD4/ST1-ST4 (multiple structures), Arm ARM shared/functions LoadStoreMultiple. */
export function execMultiple(e: u32): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  const t0 = F8(e, D_RD);
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const q = (flags & 1) != 0;
  const isLoad = (flags & 2) != 0;
  const info = load<u32>(e, D_IMM);
  const selem = info & 0xff, rpt = info >> 8;
  const elements: u32 = (q ? 16 : 8) >> esz;
  const ebytes: u64 = <u64>1 << esz;
  const base = getX(rn);
  let offs: u64 = 0;
  for (let r: u32 = 0; r < rpt; r++) {
    for (let el: u32 = 0; el < elements; el++) {
      let tt = (t0 + r) & 31;
      for (let s: u32 = 0; s < selem; s++) {
        const va = base + offs;
        const ra = vreg(tt);
        if (isLoad) {
          const v = read(va, esz); if (failed()) return false;
          stEl(ra, el, esz, v);
        } else {
          write(va, esz, ldU(ra, el, esz)); if (failed()) return false;
        }
        offs += ebytes;
        tt = (tt + 1) & 31;
      }
    }
  }
  if (isLoad && !q) {
    for (let r: u32 = 0; r < rpt * selem; r++) store<u64>(vreg((t0 + r) & 31), 0, 8);
  }
  if (F8(e, D_RA) != 0) {
    const rm = F8(e, D_RM);
    setX(rn, base + (rm == REG_ZR ? offs : getX(rm)));
  }
  return true;
}

/** LD1-LD4/ST1-ST4 (single structure) and LD1R-LD4R. */
export function execSingle(e: u32): bool {
  const rn = F8(e, D_RN);
  if (spFault(rn)) return false;
  let t = F8(e, D_RD);
  const esz = F8(e, D_P1);
  const flags = F8(e, D_P2);
  const q = (flags & 1) != 0;
  const isLoad = (flags & 2) != 0;
  const replicate = (flags & 4) != 0;
  const info = load<u32>(e, D_IMM);
  const selem = info & 0xff, index = info >> 8;
  const ebytes: u64 = <u64>1 << esz;
  const base = getX(rn);
  let offs: u64 = 0;
  if (replicate) {
    // Read every element first, then replicate into the registers.
    for (let s: u32 = 0; s < selem; s++) {
      const v = read(base + offs, esz); if (failed()) return false;
      store<u64>(LDBUF + (s << 3), v);
      offs += ebytes;
    }
    for (let s: u32 = 0; s < selem; s++) {
      const v = load<u64>(LDBUF + (s << 3));
      const a = vreg(t);
      let pat: u64;
      switch (esz) {
        case 0: pat = (v & 0xff) * 0x0101_0101_0101_0101; break;
        case 1: pat = (v & 0xffff) * 0x0001_0001_0001_0001; break;
        case 2: pat = (v & 0xffff_ffff) * 0x0000_0001_0000_0001; break;
        default: pat = v;
      }
      store<u64>(a, pat); store<u64>(a, q ? pat : 0, 8);
      t = (t + 1) & 31;
    }
  } else {
    for (let s: u32 = 0; s < selem; s++) {
      const va = base + offs;
      const a = vreg(t);
      if (isLoad) {
        const v = read(va, esz); if (failed()) return false;
        stEl(a, index, esz, v);
      } else {
        write(va, esz, ldU(a, index, esz)); if (failed()) return false;
      }
      offs += ebytes;
      t = (t + 1) & 31;
    }
  }
  if (F8(e, D_RA) != 0) {
    const rm = F8(e, D_RM);
    setX(rn, base + (rm == REG_ZR ? offs : getX(rm)));
  }
  return true;
}
