// Guest virtual memory accesses for the interpreter. Fast path: fast-TLB hit on a RAM page, access
// within the page. Slow path: translate, fill the TLB, split page-crossing accesses, invalidate
// decoded code on stores to code pages, and hand device (non-RAM) accesses to TypeScript.
//
// Device accesses are resumable by replay: the instruction is abandoned at its n-th device access
// with an EXIT_MMIO; TypeScript performs it and resumes; the instruction runs again, its first n
// device accesses served from MMIO_RESULTS, and continues. On any failure the access sets memFault
// (an exception was taken or an exit requested) and the caller abandons the instruction.
import {
  EXIT_BASE, EXIT_MMIO, EXIT_MMIO_PA, EXIT_MMIO_REG, EXIT_MMIO_SEQ, EXIT_MMIO_SIZE, EXIT_MMIO_VALUE,
  EXIT_MMIO_WRITE, MMIO_MAX, MMIO_RESULTS, REG_DISCARD, REG_ZR,
} from './layout';
import { curTlb, curMmuIdx, MMU_EL2, TE_ADDEND, TE_READ, TE_WRITE, tlbEntry, tlbFill } from './tlb';
import { SCTLR_EL1, SCTLR_EL2, srGet } from './sysregs';
import { ACC_READ, ACC_WRITE, stage1Enabled, TRANSLATE_FAULT, tPerms, translate } from './mmu';
import { raiseAbort, raiseAlignmentFault, raiseExternalAbort } from './abort';
import { isRam, ramHostAddr } from './ram';
import { invalidateCode, pageHasCode } from './codecache';
import { curEntry, hcr, HCR_DC, memFault, requestExit, setMemFault } from './state';
import { D_RD } from './decoded';
import { DBG_WATCH, dbgActive, dbgWatchHit } from './debug/debug';
import { gicMmio, gicOwnsPa } from './gic/gic-mmio';
import { sdArmed, watchpointHit, wpHitAddr, wpHitWrite } from './selfdebug/match';
import { debugEC, debugTargetEL } from './selfdebug/debug-enable';
import { EC_WATCHPOINT_LOWER, FSC_DEBUG, ISS_WNR, SD_WATCH } from './selfdebug/debug-regs';
import { MMU_EL0 } from './tlb';
import { takeException } from './exception';
import { PF_ACCESS_ABANDONED, PF_ACCESS_RAISE, pkvmFastAccessFault } from './pkvm-fast-fault';
import { pc } from './state';

/**
 * Self-hosted debug: a data access of `size` bytes at va (translated, not yet performed) that a
 * hardware watchpoint matches takes a Watchpoint exception (FAR = the watched byte accessed, WnR)
 * and abandons the instruction. Only pages a watchpoint may match come here (tlb.ts tlbFill).
 */
@inline export function selfDebugWatch(va: u64, size: u32, isRead: bool, isWrite: bool, idx: u32): bool {
  return (sdArmed() & SD_WATCH) != 0 && selfDebugWatchHit(va, size, isRead, isWrite, idx);
}
function selfDebugWatchHit(va: u64, size: u32, isRead: bool, isWrite: bool, idx: u32): bool {
  if (!watchpointHit(va, size, isRead, isWrite, idx != MMU_EL0)) return false;
  const t = debugTargetEL();
  takeException(t, debugEC(EC_WATCHPOINT_LOWER, t), FSC_DEBUG | (wpHitWrite ? ISS_WNR : 0), pc, wpHitAddr, true, 0, false);
  setMemFault(true);
  return true;
}

const MMIO_STATUS: u32 = MMIO_RESULTS + MMIO_MAX * 8; // u32 per replayed access: 0 ok, 1 bus error

/** Index of the next device access within the current instruction. */
export let mmioSeq: u32 = 0;
/** Device accesses of the current instruction already performed by TypeScript. */
export let mmioDone: u32 = 0;

export function mmioReset(): void { mmioSeq = 0; mmioDone = 0; }
export function mmioRestart(): void { mmioSeq = 0; }
/** TypeScript completed the pending access (value for reads; status 1 = bus error). */
export function mmioComplete(value: u64, status: u32): void {
  if (mmioDone < MMIO_MAX) {
    store<u64>(EXIT_BASE + MMIO_RESULTS + (mmioDone << 3), value);
    store<u32>(MMIO_STATUS + (mmioDone << 2), status);
    mmioDone++;
  }
}

function deviceAccess(va: u64, pa: u64, sizeLog2: u32, isWrite: bool, value: u64): u64 {
  if (gicOwnsPa(pa)) return gicMmio(pa, sizeLog2, isWrite, value); // the GIC is in the core
  const i = mmioSeq++;
  if (i < mmioDone) {
    if (load<u32>(MMIO_STATUS + (i << 2)) != 0) {
      raiseExternalAbort(va, isWrite ? ACC_WRITE : ACC_READ);
      return 0;
    }
    return isWrite ? 0 : load<u64>(EXIT_BASE + MMIO_RESULTS + (i << 3));
  }
  if (i >= MMIO_MAX) { raiseExternalAbort(va, isWrite ? ACC_WRITE : ACC_READ); return 0; }
  store<u64>(EXIT_BASE + EXIT_MMIO_PA, pa);
  store<u32>(EXIT_BASE + EXIT_MMIO_SIZE, 1 << sizeLog2);
  store<u32>(EXIT_BASE + EXIT_MMIO_WRITE, isWrite ? 1 : 0);
  store<u64>(EXIT_BASE + EXIT_MMIO_VALUE, isWrite ? (sizeLog2 == 3 ? value : value & ((<u64>1 << (8 << sizeLog2)) - 1)) : 0);
  store<u32>(EXIT_BASE + EXIT_MMIO_SEQ, i);
  let rt: u32 = curEntry != 0 ? load<u8>(curEntry, D_RD) : 0xff;
  if (rt == REG_DISCARD || rt == REG_ZR) rt = 31;
  store<u32>(EXIT_BASE + EXIT_MMIO_REG, rt);
  mmioSeq = 0;
  setMemFault(true);
  requestExit(EXIT_MMIO);
  return 0;
}

@inline function loadSized(host: u32, sizeLog2: u32): u64 {
  switch (sizeLog2) {
    case 0: return <u64>load<u8>(host);
    case 1: return <u64>load<u16>(host);
    case 2: return <u64>load<u32>(host);
    default: return load<u64>(host);
  }
}
@inline function storeSized(host: u32, sizeLog2: u32, v: u64): void {
  switch (sizeLog2) {
    case 0: store<u8>(host, <u8>v); break;
    case 1: store<u16>(host, <u16>v); break;
    case 2: store<u32>(host, <u32>v); break;
    default: store<u64>(host, v);
  }
}

/** Translates one page-contained access and performs it (RAM or device). */
function accessPage(va: u64, sizeLog2: u32, isWrite: bool, value: u64, idx: u32): u64 {
  const acc = isWrite ? ACC_WRITE : ACC_READ;
  const unaligned = (<u32>va & ((1 << sizeLog2) - 1)) != 0; // (Device faults)
  let pa = translate(va, acc, idx, unaligned);
  if (pa == TRANSLATE_FAULT) {
    // A hosted pKVM guest's stage-2 fault the core's fast path resolves: the access is made again
    // at once, or the instruction abandoned with the page's translation in the TLB.
    const r = pkvmFastAccessFault();
    if (r == PF_ACCESS_RAISE) { raiseAbort(va, acc); return 0; }
    pa = translate(va, acc, idx, unaligned);
    if (r == PF_ACCESS_ABANDONED) {
      if (pa != TRANSLATE_FAULT && isRam(pa)) { const h = ramHostAddr(pa) & ~0xfff; tlbFill(idx, va, h, tPerms, pageHasCode(h)); }
      return 0;
    }
    if (pa == TRANSLATE_FAULT) { raiseAbort(va, acc); return 0; }
  }
  if ((dbgActive() & DBG_WATCH) != 0 && dbgWatchHit(va, 1 << sizeLog2, !isWrite, isWrite)) { setMemFault(true); return 0; }
  if (selfDebugWatch(va, 1 << sizeLog2, !isWrite, isWrite, idx)) return 0;
  if (!isRam(pa)) return deviceAccess(va, pa, sizeLog2, isWrite, value);
  const host = ramHostAddr(pa);
  const hostPage = host & ~0xfff;
  const code = pageHasCode(hostPage);
  tlbFill(idx, va, hostPage, tPerms, code);
  if (isWrite) {
    if (code) invalidateCode(host, 1 << sizeLog2);
    storeSized(host, sizeLog2, value);
    return 0;
  }
  return loadSized(host, sizeLog2);
}

/** Slow path for any access; idx is the mmu index (unprivileged accesses pass MMU_EL0). */
export function accessSlow(va: u64, sizeLog2: u32, isWrite: bool, value: u64, idx: u32): u64 {
  const size: u32 = 1 << sizeLog2;
  if ((<u32>va & (size - 1)) != 0 && alignmentRequired(idx)) {
    raiseAlignmentFault(va, isWrite ? ACC_WRITE : ACC_READ);
    return 0;
  }
  if ((<u32>va & 0xfff) + size <= 0x1000) return accessPage(va, sizeLog2, isWrite, value, idx);
  // Page-crossing: check both pages translate before touching either, then go byte by byte.
  const acc = isWrite ? ACC_WRITE : ACC_READ;
  const second = (va + size - 1) & ~<u64>0xfff;
  if (translate(va, acc, idx, true) == TRANSLATE_FAULT) { raiseAbort(va, acc); return 0; }
  if (translate(second, acc, idx, true) == TRANSLATE_FAULT) { raiseAbort(second, acc); return 0; }
  if (selfDebugWatch(va, size, !isWrite, isWrite, idx)) return 0; // the whole access: FAR its first watched byte
  let r: u64 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const b = accessPage(va + i, 0, isWrite, (value >> (i << 3)) & 0xff, idx);
    if (memFault) return 0;
    r |= b << (i << 3);
  }
  return r;
}

/**
 * Whether an unaligned data access faults in regime idx: SCTLR_ELx.A, or stage 1 disabled (data
 * accesses are then Device-nGnRnE, Arm ARM D8.2.10) unless HCR_EL2.DC makes them Normal.
 * (Device memory types from stage-1 attributes are checked by the walker.)
 */
export function alignmentRequired(idx: u32): bool {
  const sctlr = idx == MMU_EL2 ? srGet(SCTLR_EL2) : srGet(SCTLR_EL1);
  if ((sctlr & 2) != 0) return true; // A
  return !stage1Enabled(idx) && (idx == MMU_EL2 || (hcr() & HCR_DC) == 0);
}

// --- Fast paths (current mmu index). The tag compare also requires natural alignment, so an
// unaligned (or page-crossing) access always takes the slow path, which decides whether it faults.
@inline export function read(va: u64, sizeLog2: u32): u64 {
  const e = tlbEntry(curTlb, va);
  if (load<u64>(e, TE_READ) == (va & (~<u64>0xfff | <u64>((1 << sizeLog2) - 1)))) {
    return loadSized(<u32>va + load<u32>(e, TE_ADDEND), sizeLog2);
  }
  return accessSlow(va, sizeLog2, false, 0, curMmuIdx);
}

@inline export function write(va: u64, sizeLog2: u32, v: u64): void {
  const e = tlbEntry(curTlb, va);
  if (load<u64>(e, TE_WRITE) == (va & (~<u64>0xfff | <u64>((1 << sizeLog2) - 1)))) {
    storeSized(<u32>va + load<u32>(e, TE_ADDEND), sizeLog2, v);
    return;
  }
  accessSlow(va, sizeLog2, true, v, curMmuIdx);
}

@inline export function read64(va: u64): u64 {
  const e = tlbEntry(curTlb, va);
  if (load<u64>(e, TE_READ) == (va & ~<u64>0xff8)) {
    return load<u64>(<u32>va + load<u32>(e, TE_ADDEND));
  }
  return accessSlow(va, 3, false, 0, curMmuIdx);
}

@inline export function write64(va: u64, v: u64): void {
  const e = tlbEntry(curTlb, va);
  if (load<u64>(e, TE_WRITE) == (va & ~<u64>0xff8)) {
    store<u64>(<u32>va + load<u32>(e, TE_ADDEND), v);
    return;
  }
  accessSlow(va, 3, true, v, curMmuIdx);
}

/**
 * Checks that a read-modify-write access at va can be performed (write permission, RAM) without
 * doing it; used by atomics so a fault is taken before any register changes. Returns the host
 * address, or 0 when the location is a device (caller falls back to separate accesses) or faulted.
 */
export function probeWrite(va: u64, sizeLog2: u32, rmw: bool = true): u32 {
  const e = tlbEntry(curTlb, va);
  if (load<u64>(e, TE_WRITE) == (va & ~<u64>0xfff) && load<u64>(e, TE_READ) == (va & ~<u64>0xfff)) {
    return <u32>va + load<u32>(e, TE_ADDEND);
  }
  const pa = translate(va, ACC_WRITE, curMmuIdx);
  if (pa == TRANSLATE_FAULT) { raiseAbort(va, ACC_WRITE); return 0; }
  if ((dbgActive() & DBG_WATCH) != 0 && dbgWatchHit(va, 1 << sizeLog2, true, true)) { setMemFault(true); return 0; }
  if (selfDebugWatch(va, 1 << sizeLog2, rmw, true, curMmuIdx)) return 0; // (rmw false: a store, DC ZVA)
  if (!isRam(pa)) return 0;
  const host = ramHostAddr(pa);
  const code = pageHasCode(host & ~0xfff);
  tlbFill(curMmuIdx, va, host & ~0xfff, tPerms, code);
  if (code) invalidateCode(host, 1 << sizeLog2);
  return host;
}
