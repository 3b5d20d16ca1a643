// The core ABI seen by TypeScript (machine/core.ts). Nothing here is called per instruction: run()
// executes up to `budget` instructions inside WASM and returns an exit reason; exit payloads are
// read from linear memory at EXIT_BASE.
import * as L from './layout';
import * as S from './sysregs';
import {
  curEL, exitReason, nzcv, pc, remaining, savedRemaining, saveSP, setELAndSPSel, setDAIF, setExitReason,
  setMemFault, setNZCV, setPC, setPstateMisc, setRemaining, getSPSRValue,
} from './state';
import { interpret } from './interp';
import { initAlu, getX as coreGetX, setX as coreSetX } from './alu';
import { setRamSize, isRam, ramHostAddr } from './ram';
import { tlbFlushAll } from './tlb';
import { contextChanged } from './context';
import { invalidateAllCode, invalidateCode } from './codecache';
import { mmioComplete as memMmioComplete, mmioDone, mmioReset } from './mem';
import { timerRunStart } from './timer';
import { exceptionReturn as coreEret, takeException } from './exception';
import { TRANSLATE_FAULT, translate, ACC_READ, ACC_WRITE, ACC_EXEC } from './mmu';
import { faultIPA, faultLevel, faultS1PTW, faultStage2, faultStatusCode, faultType } from './fault';

/** Sizes linear memory for `ramBytes` of guest RAM and resets everything. Returns 0 or -1. */
export function init(ramBytes: u32, config: u32): i32 {
  const needed = (<u64>L.RAM_HOST + <u64>ramBytes + 0xffff) >> 16;
  const have = <u64>memory.size();
  if (needed > have) {
    if (memory.grow(<i32>(needed - have)) < 0) return -1;
  }
  memory.fill(L.CPU_BASE, 0, L.RAM_HOST - L.CPU_BASE);
  memory.fill(L.RAM_HOST, 0, ramBytes);
  setRamSize(<u64>ramBytes);
  store<u32>(L.CPU_BASE + L.OFF_CONFIG, config);
  S.initSysregMap();
  initAlu();
  invalidateAllCode();
  reset(1, 0);
  return 0;
}

/** Architectural reset into `el` (1 or 2) at `entry`: registers zero, DAIF masked, MMU off. */
export function reset(el: u32, entry: u64): void {
  memory.fill(L.CPU_BASE, 0, L.OFF_PC);
  for (let i: u32 = 1; i < S.SR_COUNT; i++) S.srSet(i, 0);
  S.srSet(S.SCTLR_EL1, 0x30d00800); // RES1 bits as QEMU resets them
  S.srSet(S.SCTLR_EL2, 0x30c50830);
  S.srSet(S.CNTHCTL_EL2, 3);
  S.srSet(S.OSLSR_EL1, 2); // OS lock locked at reset
  store<u64>(L.CPU_BASE + L.OFF_EXCL_ADDR, <u64>-1);
  store<u32>(L.CPU_BASE + L.OFF_EL, el);
  store<u32>(L.CPU_BASE + L.OFF_SPSEL, 1);
  setELAndSPSel(el, 1);
  setDAIF(0x3c0);
  setPstateMisc(0);
  setNZCV(0);
  setPC(entry);
  mmioReset();
  tlbFlushAll();
  contextChanged();
}

function slice(n: i32): i32 {
  setExitReason(0);
  store<u32>(L.EXIT_BASE + L.EXIT_REASON, 0);
  setMemFault(false);
  setRemaining(n);
  timerRunStart(n);
  interpret();
  const left = exitReason != 0 ? savedRemaining : remaining;
  const retired = n - left;
  store<u64>(L.CPU_BASE + L.OFF_INSNS, load<u64>(L.CPU_BASE + L.OFF_INSNS) + <u64>retired);
  return retired;
}

/**
 * Runs up to `budget` instructions. Returns the exit reason (EXIT_BUDGET when the budget ran out).
 * After an EXIT_MMIO, call mmioComplete() (reads: with the value) before the next run().
 */
export function run(budget: i32): u32 {
  let left = budget;
  if (mmioDone > 0) { // replay the instruction that made the device access(es)
    left -= slice(1);
    if (exitReason != 0) return finish();
    mmioReset();
  }
  if (left > 0) slice(left);
  return finish();
}

function finish(): u32 {
  store<u64>(L.CPU_BASE + L.OFF_PC, pc);
  store<u32>(L.CPU_BASE + L.OFF_NZCV, nzcv);
  const r = exitReason != 0 ? exitReason : L.EXIT_BUDGET;
  store<u32>(L.EXIT_BASE + L.EXIT_REASON, r);
  return r;
}

export function mmioComplete(value: u64, status: u32): void { memMmioComplete(value, status); }

// --- Registers and PSTATE ---
export function getX(i: u32): u64 { return i < 31 ? coreGetX(i) : i == 31 ? coreGetX(L.REG_SP) : 0; }
export function setX(i: u32, v: u64): void { if (i < 31) coreSetX(i, v); else if (i == 31) coreSetX(L.REG_SP, v); }
export function getPC(): u64 { return pc; }
export function setPCExport(v: u64): void { setPC(v); contextChanged(); }
export function getNZCV(): u32 { return nzcv; }
export function setNZCVExport(v: u32): void { setNZCV(v & 0xf0000000); }
export function getEL(): u32 { return curEL; }
/** PSTATE in SPSR format (M[3:0], DAIF, IL, SS, PAN, UAO, NZCV). */
export function getPstate(): u64 { return getSPSRValue(); }
/** Sets PSTATE from an SPSR-format value (no legality checks: the host is trusted). */
export function setPstate(v: u64): void {
  const m = <u32>v & 0xf;
  setNZCV(<u32>v & 0xf0000000);
  setDAIF(<u32>v & 0x3c0);
  setPstateMisc(<u32>v & ((1 << 20) | (1 << 21) | (1 << 22) | (1 << 23)));
  setELAndSPSel((m >> 2) & 3, m & 1);
  contextChanged();
}
export function getSysreg(idx: u32): u64 {
  if (idx == S.SP_EL0 || idx == S.SP_EL1 || idx == S.SP_EL2) saveSP();
  return idx < S.SR_COUNT ? S.srGet(idx) : 0;
}
export function setSysreg(idx: u32, v: u64): void {
  if (idx == 0 || idx >= S.SR_COUNT) return;
  if (idx == S.SP_EL0 || idx == S.SP_EL1 || idx == S.SP_EL2) {
    saveSP(); S.srSet(idx, v); setELAndSPSel(curEL, load<u32>(L.CPU_BASE + L.OFF_SPSEL));
    return;
  }
  S.srSet(idx, v);
  tlbFlushAll();
  contextChanged();
}
export function getInsns(): u64 { return load<u64>(L.CPU_BASE + L.OFF_INSNS); }
export function setConfig(c: u32): void { store<u32>(L.CPU_BASE + L.OFF_CONFIG, c); contextChanged(); }

/** ERET from the current EL, for a TypeScript-hosted EL2 resuming its guest. */
export function exceptionReturn(): void { coreEret(); }

/** Injects a synchronous exception (e.g. the hyp injecting an abort into a guest at EL1). */
export function injectException(targetEL: u32, ec: u32, iss: u32, far: u64, hasFar: bool): void {
  takeException(targetEL, ec, iss, pc, far, hasFar, 0, false);
}

// --- Memory ---
/** TypeScript wrote guest RAM directly: drop decoded code for [pa, pa+len). */
export function invalidateCodeRange(pa: u64, len: u32): void {
  if (!isRam(pa)) return;
  invalidateCode(ramHostAddr(pa), len);
}
export function invalidateAll(): void { invalidateAllCode(); tlbFlushAll(); contextChanged(); }
export function tlbFlush(): void { tlbFlushAll(); contextChanged(); }

/**
 * Translates va for `access` (0 read, 1 write, 2 exec) in mmu index `idx` without taking an
 * exception; returns the PA or -1 (then faultInfo() describes the fault).
 */
export function walk(va: u64, access: u32, idx: u32): u64 {
  return translate(va, access == 1 ? ACC_WRITE : access == 2 ? ACC_EXEC : ACC_READ, idx);
}
/** Last fault: type | level << 8 | stage2 << 16 | s1ptw << 17 | FSC << 24. */
export function faultInfo(): u32 {
  return faultType | (<u32>(faultLevel & 0xff) << 8) | ((faultStage2 ? 1 : 0) << 16) | ((faultS1PTW ? 1 : 0) << 17) | (faultStatusCode() << 24);
}
export function faultIpa(): u64 { return faultIPA; }

export const CPU_BASE = L.CPU_BASE;
export const EXIT_BASE = L.EXIT_BASE;
export const RAM_HOST = L.RAM_HOST;
export const OFF_SYSREGS = L.OFF_SYSREGS;
export { TRANSLATE_FAULT };
