// Execution of loads and stores: single register by access kind, pairs, exclusives (monitor
// semantics as QEMU implements them: address match plus value compare), acquire/release, and the
// FEAT_LSE atomics. Each returns false when the instruction was abandoned (fault or device exit).
import * as O from './ops';
import { CPU_BASE, OFF_EXCL_ADDR, OFF_EXCL_SIZE, OFF_EXCL_VAL, OFF_EXCL_VAL2, REG_DISCARD, REG_ZR } from './layout';
import { getX, setX } from './alu';
import { memFault, setMemFault } from './state';
import { accessSlow, probeWrite, read, read64, write, write64 } from './mem';
import { ACC_READ, ACC_WRITE } from './mmu';
import { raiseAlignmentFault } from './abort';
import { curMmuIdx, MMU_EL0, MMU_EL2 } from './tlb';
import { stage1Enabled } from './mmu';
import { hcr, HCR_DC } from './state';
import { invalidateCode } from './codecache';
import { DBG_WATCH, dbgActive, dbgWatchHit } from './debug/debug';
import { selfDebugWatch } from './mem';

/** Data accesses of the current regime are Device-nGnRnE because stage 1 is disabled. */
function dataIsDevice(): bool {
  return !stage1Enabled(curMmuIdx) && (curMmuIdx == MMU_EL2 || (hcr() & HCR_DC) == 0);
}

@inline function failed(): bool {
  if (memFault) { setMemFault(false); return true; }
  return false;
}

/** Single-register load/store of `kind` at addr into/from register slot rt. */
@inline export function ldst(kind: u32, rt: u32, addr: u64): bool {
  switch (kind) {
    case O.LDST_STRX: write64(addr, getX(rt)); break;
    case O.LDST_LDRX: { const v = read64(addr); if (failed()) return false; setX(rt, v); return true; }
    case O.LDST_STRW: write(addr, 2, getX(rt)); break;
    case O.LDST_LDRW: { const v = read(addr, 2); if (failed()) return false; setX(rt, v); return true; }
    case O.LDST_STRB: write(addr, 0, getX(rt)); break;
    case O.LDST_LDRB: { const v = read(addr, 0); if (failed()) return false; setX(rt, v); return true; }
    case O.LDST_STRH: write(addr, 1, getX(rt)); break;
    case O.LDST_LDRH: { const v = read(addr, 1); if (failed()) return false; setX(rt, v); return true; }
    case O.LDST_LDRSB64: { const v = read(addr, 0); if (failed()) return false; setX(rt, <u64><i64><i8>v); return true; }
    case O.LDST_LDRSH64: { const v = read(addr, 1); if (failed()) return false; setX(rt, <u64><i64><i16>v); return true; }
    case O.LDST_LDRSW: { const v = read(addr, 2); if (failed()) return false; setX(rt, <u64><i64><i32>v); return true; }
    case O.LDST_LDRSB32: { const v = read(addr, 0); if (failed()) return false; setX(rt, <u64><u32><i32><i8>v); return true; }
    default: { const v = read(addr, 1); if (failed()) return false; setX(rt, <u64><u32><i32><i16>v); return true; } // LDRSH32
  }
  return !failed();
}

/** LDTR/STTR: the access is checked as EL0's when executed at EL1. */
export function ldstUnpriv(kind: u32, rt: u32, addr: u64, el: u32): bool {
  if (el != 1) return ldst(kind, rt, addr);
  const isLoad = kind >= 4;
  const sizeLog2: u32 = kind < 4 ? kind : kind < 8 ? kind - 4 : kind == O.LDST_LDRSB64 || kind == O.LDST_LDRSB32 ? 0 : kind == O.LDST_LDRSW ? 2 : 1;
  if (!isLoad) {
    accessSlow(addr, sizeLog2, true, getX(rt), MMU_EL0);
    return !failed();
  }
  const v = accessSlow(addr, sizeLog2, false, 0, MMU_EL0);
  if (failed()) return false;
  let r = v;
  if (kind == O.LDST_LDRSB64) r = <u64><i64><i8>v;
  else if (kind == O.LDST_LDRSH64) r = <u64><i64><i16>v;
  else if (kind == O.LDST_LDRSW) r = <u64><i64><i32>v;
  else if (kind == O.LDST_LDRSB32) r = <u64><u32><i32><i8>v;
  else if (kind == O.LDST_LDRSH32) r = <u64><u32><i32><i16>v;
  setX(rt, r);
  return true;
}

/** LDP/LDPSW: both elements are read before either register is written. */
export function ldp(kind: u32, rt: u32, rt2: u32, addr: u64): bool {
  if (kind == O.LDST_LDRX) {
    const a = read64(addr); if (failed()) return false;
    const b = read64(addr + 8); if (failed()) return false;
    setX(rt, a); setX(rt2, b);
  } else {
    const a = read(addr, 2); if (failed()) return false;
    const b = read(addr + 4, 2); if (failed()) return false;
    if (kind == O.LDST_LDRSW) { setX(rt, <u64><i64><i32>a); setX(rt2, <u64><i64><i32>b); }
    else { setX(rt, a); setX(rt2, b); }
  }
  return true;
}

export function stp(kind: u32, rt: u32, rt2: u32, addr: u64): bool {
  if (kind == O.LDST_STRX) {
    const a = getX(rt), b = getX(rt2);
    write64(addr, a); if (failed()) return false;
    write64(addr + 8, b);
  } else {
    const a = getX(rt), b = getX(rt2);
    write(addr, 2, a); if (failed()) return false;
    write(addr + 4, 2, b);
  }
  return !failed();
}

@inline function sizeMask(sizeLog2: u32): u64 {
  return sizeLog2 == 3 ? <u64>-1 : ((<u64>1 << (8 << sizeLog2)) - 1);
}

function aligned(addr: u64, bytes: u32, access: u32): bool {
  if ((addr & <u64>(bytes - 1)) != 0) { raiseAlignmentFault(addr, access); setMemFault(false); return false; }
  return true;
}

@inline function clearMonitor(): void { store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1); }

export function clrex(): void { clearMonitor(); }

export function ldx(sizeLog2: u32, rt: u32, addr: u64): bool {
  if (!aligned(addr, 1 << sizeLog2, ACC_READ)) return false;
  const v = read(addr, sizeLog2);
  if (failed()) return false;
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, addr);
  store<u32>(CPU_BASE + OFF_EXCL_SIZE, 1 << sizeLog2);
  store<u64>(CPU_BASE + OFF_EXCL_VAL, v);
  setX(rt, v);
  return true;
}

export function ldxp(sizeLog2: u32, rt: u32, rt2: u32, addr: u64): bool {
  const esize: u32 = 1 << sizeLog2;
  if (!aligned(addr, esize * 2, ACC_READ)) return false;
  const a = read(addr, sizeLog2); if (failed()) return false;
  const b = read(addr + esize, sizeLog2); if (failed()) return false;
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, addr);
  store<u32>(CPU_BASE + OFF_EXCL_SIZE, esize * 2);
  store<u64>(CPU_BASE + OFF_EXCL_VAL, a);
  store<u64>(CPU_BASE + OFF_EXCL_VAL2, b);
  setX(rt, a); setX(rt2, b);
  return true;
}

/** STXR/STLXR: status 0 when the monitor covers addr and memory still holds the loaded value. */
export function stx(sizeLog2: u32, rt: u32, rs: u32, addr: u64): bool {
  if (!aligned(addr, 1 << sizeLog2, ACC_WRITE)) return false;
  const mon = load<u64>(CPU_BASE + OFF_EXCL_ADDR);
  const newVal = getX(rt);
  let status: u64 = 1;
  if (mon == addr && load<u32>(CPU_BASE + OFF_EXCL_SIZE) == (1 << sizeLog2)) {
    const cur = read(addr, sizeLog2); if (failed()) return false;
    if (cur == load<u64>(CPU_BASE + OFF_EXCL_VAL)) {
      write(addr, sizeLog2, newVal); if (failed()) return false;
      status = 0;
    }
  }
  clearMonitor();
  setX(rs, status);
  return true;
}

export function stxp(sizeLog2: u32, rt: u32, rt2: u32, rs: u32, addr: u64): bool {
  const esize: u32 = 1 << sizeLog2;
  if (!aligned(addr, esize * 2, ACC_WRITE)) return false;
  const mon = load<u64>(CPU_BASE + OFF_EXCL_ADDR);
  const a = getX(rt), b = getX(rt2);
  let status: u64 = 1;
  if (mon == addr && load<u32>(CPU_BASE + OFF_EXCL_SIZE) == esize * 2) {
    const c0 = read(addr, sizeLog2); if (failed()) return false;
    const c1 = read(addr + esize, sizeLog2); if (failed()) return false;
    if (c0 == load<u64>(CPU_BASE + OFF_EXCL_VAL) && c1 == load<u64>(CPU_BASE + OFF_EXCL_VAL2)) {
      write(addr, sizeLog2, a); if (failed()) return false;
      write(addr + esize, sizeLog2, b); if (failed()) return false;
      status = 0;
    }
  }
  clearMonitor();
  setX(rs, status);
  return true;
}

export function ldar(sizeLog2: u32, rt: u32, addr: u64): bool {
  const v = read(addr, sizeLog2);
  if (failed()) return false;
  setX(rt, v);
  return true;
}

export function stlr(sizeLog2: u32, rt: u32, addr: u64): bool {
  write(addr, sizeLog2, getX(rt));
  return !failed();
}

@inline function dstSlot(raw: u32): u32 { return raw == 31 ? REG_DISCARD : raw; }
@inline function srcSlot(raw: u32): u32 { return raw == 31 ? REG_ZR : raw; }

/** Read-modify-write helper: write permission is checked before anything changes. */
function rmwRead(addr: u64, sizeLog2: u32): u64 {
  if (!aligned(addr, 1 << sizeLog2, ACC_WRITE)) { setMemFault(true); return 0; }
  const host = probeWrite(addr, sizeLog2);
  if (memFault) return 0;
  if (host != 0) {
    switch (sizeLog2) {
      case 0: return <u64>load<u8>(host);
      case 1: return <u64>load<u16>(host);
      case 2: return <u64>load<u32>(host);
      default: return load<u64>(host);
    }
  }
  return read(addr, sizeLog2);
}

export function cas(sizeLog2: u32, rsSlot: u32, rsRaw: u32, rt: u32, addr: u64): bool {
  const old = rmwRead(addr, sizeLog2); if (failed()) return false;
  const m = sizeMask(sizeLog2);
  if (old == (getX(rsSlot) & m)) { write(addr, sizeLog2, getX(rt) & m); if (failed()) return false; }
  setX(dstSlot(rsRaw), old);
  return true;
}

export function casp(sizeLog2: u32, rs: u32, rt: u32, addr: u64): bool {
  const esize: u32 = 1 << sizeLog2;
  if (!aligned(addr, esize * 2, ACC_WRITE)) return false;
  const o0 = rmwRead(addr, sizeLog2); if (failed()) return false;
  const o1 = read(addr + esize, sizeLog2); if (failed()) return false;
  const m = sizeMask(sizeLog2);
  if (o0 == (getX(srcSlot(rs)) & m) && o1 == (getX(srcSlot(rs + 1)) & m)) {
    write(addr, sizeLog2, getX(srcSlot(rt)) & m); if (failed()) return false;
    write(addr + esize, sizeLog2, getX(srcSlot(rt + 1)) & m); if (failed()) return false;
  }
  setX(dstSlot(rs), o0);
  setX(dstSlot(rs + 1), o1);
  return true;
}

export function swp(sizeLog2: u32, rs: u32, rt: u32, addr: u64): bool {
  const old = rmwRead(addr, sizeLog2); if (failed()) return false;
  write(addr, sizeLog2, getX(rs) & sizeMask(sizeLog2)); if (failed()) return false;
  setX(rt, old);
  return true;
}

@inline function sextSize(v: u64, sizeLog2: u32): i64 {
  const sh: u64 = 64 - (<u64>8 << sizeLog2);
  return (<i64>(v << sh)) >> sh;
}

export function ldop(sizeLog2: u32, aop: u32, rs: u32, rt: u32, addr: u64): bool {
  const old = rmwRead(addr, sizeLog2); if (failed()) return false;
  const m = sizeMask(sizeLog2);
  const s = getX(rs) & m;
  let r: u64;
  switch (aop) {
    case O.LDOP_ADD: r = old + s; break;
    case O.LDOP_CLR: r = old & ~s; break;
    case O.LDOP_EOR: r = old ^ s; break;
    case O.LDOP_SET: r = old | s; break;
    case O.LDOP_SMAX: r = sextSize(old, sizeLog2) > sextSize(s, sizeLog2) ? old : s; break;
    case O.LDOP_SMIN: r = sextSize(old, sizeLog2) < sextSize(s, sizeLog2) ? old : s; break;
    case O.LDOP_UMAX: r = old > s ? old : s; break;
    default: r = old < s ? old : s;
  }
  write(addr, sizeLog2, r & m); if (failed()) return false;
  setX(rt, old);
  return true;
}

/** DC ZVA: zero the 64-byte block containing addr (DCZID_EL0.BS = 4). */
export function dcZva(addr: u64): bool {
  if (dataIsDevice()) { raiseAlignmentFault(addr, ACC_WRITE); setMemFault(false); return false; } // DC ZVA to Device memory
  const base = addr & ~<u64>63;
  const host = probeWrite(base, 3, false);
  if (failed()) return false;
  if ((dbgActive() & DBG_WATCH) != 0 && dbgWatchHit(base, 64, false, true)) return false; // (the whole block)
  if (selfDebugWatch(base, 64, false, true, curMmuIdx)) return false; // a store of the whole block (WnR = 1, CM = 0)
  if (host != 0) {
    invalidateCode(host, 64);
    memory.fill(host, 0, 64);
    return true;
  }
  for (let i: u64 = 0; i < 64; i += 8) { write64(base + i, 0); if (failed()) return false; }
  return true;
}
