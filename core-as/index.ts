// The core ABI seen by TypeScript (machine/core.ts). Nothing here is called per instruction: run()
// executes up to `budget` instructions inside WASM and returns an exit reason; exit payloads are
// read from linear memory at EXIT_BASE.
import * as L from './layout';
import * as S from './sysregs';
import {
  curEL, exitReason, loadSP, nzcv, pc, remaining, savedRemaining, saveSP, setELAndSPSel, setDAIF, setExitReason,
  setMemFault, setNZCV, setPC, setPstateFromSPSR, setPstateMisc, setRemaining, getSPSRValue,
} from './state';
import { interpret } from './interp';
import { initAlu, getX as coreGetX, setX as coreSetX } from './alu';
import { setRamSize, isRam, ramHostAddr } from './ram';
import { tlbFlushAll } from './tlb';
export { pgtableDescend } from './pgtable-descend';
export { gicEl2Read, gicEl2Write, gicFrameAccess } from './gic/gic-el2-access';
export { ctxtLoad, ctxtSave } from './hyp-ctxt';
export { hypVcpuEnter, hypVcpuExit } from './hyp-vcpu-switch';
export { dbgClear, dbgAddBreak, dbgRemoveBreak, dbgAddWatch, dbgRemoveWatch, dbgSuspend, dbgStopKind, dbgStopAddr, dbgStopHit } from './debug/api';
export { selfDebugActive, selfDebugBreakPage, selfDebugStepping } from './selfdebug/api';
import { contextChanged } from './context';
import { pmuInitSysregMap, pmuReset } from './pmu/pmu-access';
import { pmuIrqUpdate } from './pmu/pmu-irq';
import { PMU_FIRST, PMU_LAST } from './pmu/pmu-regs';
import { isSelfDebugReg, selfDebugInitSysregMap, selfDebugRecompute } from './selfdebug/debug-access';
import { invalidateAllCode, invalidateCode } from './codecache';
import { mmioComplete as memMmioComplete, mmioDone, mmioReset, read64 as memRead64 } from './mem';
import { smpRun, smpReset, forgetIdleReport, cpuOnBegin, cpuOnEnd, cpuOff, cpuPowerState, cpuSchedState, cpuRetired, sleepRequest, cpuNow, totalRetired } from './smp/sched';
import { curCpu, numCpus, virtMpidr } from './cpu-index';
import { CPU_WFI, percpuFits, saveArea } from './smp/percpu';
import { tlbiBroadcastOthers } from './smp/tlb-broadcast';
import { smpMakeCurrent as smpSelect } from './smp/debug-select';
import { setHeldMask } from './smp/debug-hold';
import { gicDefSysregs } from './gic/gic-sysregs';
import { gicCpuStateChanged, gicResetAll, gicSetSpiLevel } from './gic/gic-run';
import { gicCpuIfReset } from './gic/gic-state';
import { excStatsEnable, irqLogEnable } from './gic/irq-log';
import { undefStatsClear } from './stats/undef-stats';
import { exceptionReturn as coreEret, takeException } from './exception';
import { fastTlbMayHoldVmid } from './pkvm-fast-tlbi';
import { TRANSLATE_FAULT, translate, translateStage2, setUseCaches, currentVmid, ACC_READ, ACC_WRITE, ACC_EXEC } from './mmu';
import { tlb2Clear, invalidateVmidS1, invalidateVmidS12, invalidateIpa, IPN_MASK, resetStats, statMainHit, statMainMiss, statS2Hit, statS2Miss } from './tlb2';
import { execTlbi, tlbiKnown } from './tlbi';
import { wAttr, wDevice, wGlobal, wLevel, wPerms, wSH } from './walk';
import { faultIPA, faultLevel, faultS1PTW, faultStage2, faultStatusCode, faultType } from './fault';

/** Sizes linear memory for `ramBytes` of guest RAM and resets everything. Returns 0 or -1. */
/** init() ran before in this instance: its memory above CPU_BASE is no longer all zero. */
let initialized = false;

export function init(ramBytes: u32, config: u32): i32 {
  const needed = (<u64>L.RAM_HOST + <u64>ramBytes + 0xffff) >> 16;
  const have = <u64>memory.size();
  if (needed > have) {
    if (memory.grow(<i32>(needed - have)) < 0) return -1;
  }
  // A new instance's memory is zero above the static data (and grown pages always are): clearing
  // it again would touch every page of guest RAM (a 1 GiB board spent seconds and its whole RSS
  // here). Only a re-initialised instance has state to clear.
  if (initialized) {
    memory.fill(L.CPU_BASE, 0, L.RAM_HOST - L.CPU_BASE);
    memory.fill(L.RAM_HOST, 0, ramBytes);
  }
  initialized = true;
  setRamSize(<u64>ramBytes);
  store<u32>(L.CPU_BASE + L.OFF_CONFIG, config);
  S.initSysregMap();
  pmuInitSysregMap();
  selfDebugInitSysregMap();
  gicDefSysregs();
  initAlu();
  invalidateAllCode();
  smpReset(1, 0);
  reset(1, 0);
  return 0;
}

/** Architectural reset into `el` (1 or 2) at `entry`: registers zero, DAIF masked, MMU off. */
export function reset(el: u32, entry: u64): void {
  resetCpu(el, entry);
  gicResetAll(); // the machine's reset: GIC, timers' outputs
}

/** Reset of the current CPU alone (its registers, PMU, TLBs), as PSCI CPU_ON powers a CPU up. */
function resetCpu(el: u32, entry: u64): void {
  memory.fill(L.CPU_BASE, 0, L.OFF_PC);
  for (let i: u32 = 1; i < S.SR_MAX; i++) S.srSet(i, 0);
  memory.fill(L.CPU_BASE + L.OFF_V, 0, L.CPU_STATE_BYTES - L.OFF_V);
  S.srSet(S.SCTLR_EL1, 0x30d00800); // RES1 bits as QEMU resets them
  S.srSet(S.SCTLR_EL2, 0x30c50830);
  S.srSet(S.CNTHCTL_EL2, 3);
  S.srSet(S.HCR_EL2, 1 << 31); // RW: RAO/WI (EL1 is AArch64-only)
  S.srSet(S.OSLSR_EL1, 2); // OS lock locked at reset
  S.srSet(S.VMPIDR_EL2, virtMpidr(curCpu)); // reset to MPIDR_EL1's value, as QEMU does
  store<u64>(L.CPU_BASE + L.OFF_EXCL_ADDR, <u64>-1);
  store<u32>(L.CPU_BASE + L.OFF_EL, el);
  store<u32>(L.CPU_BASE + L.OFF_SPSEL, 1);
  setELAndSPSel(el, 1);
  setDAIF(0x3c0);
  setPstateMisc(0);
  setNZCV(0);
  setPC(entry);
  pmuReset();
  mmioReset();
  tlbFlushAll();
  tlb2Clear();
  contextChanged();
}

/**
 * Runs the CPUs (round-robin, smp/sched.ts) for up to `budget` instructions in total. Returns the
 * exit reason (EXIT_BUDGET when the budget ran out); EXIT_CPU names the CPU that exited, which is
 * the current one for every register access until the next run(). After an EXIT_MMIO, call
 * mmioComplete() (reads: with the value) before the next run().
 */
export function run(budget: i32): u32 { return smpRun(budget); }

// --- SMP (core-as/smp/) ---
/** Configures `n` CPUs (1..8; CPU 0 on, the others off) with turns of `quantum` instructions (0: default). */
export function smpConfigure(n: u32, quantum: u32): void { smpReset(n, quantum); }
export function smpNumCpus(): u32 { return numCpus; }
export function smpCurrentCpu(): u32 { return curCpu; }
/**
 * PSCI CPU_ON: resets CPU `cpu` (which must be off) into `el` at `entry` with x0 = `context` and
 * makes it runnable. Returns 0, or -2 (INVALID_PARAMETERS: no such CPU or the caller) or -4
 * (ALREADY_ON).
 */
export function smpCpuOn(cpu: u32, el: u32, entry: u64, context: u64): i32 {
  if (cpu >= numCpus || cpu == curCpu) return -2;
  if (cpuPowerState(cpu) == 0) return -4;
  cpuOnBegin(cpu);
  resetCpu(el, entry);
  gicCpuIfReset(cpu);
  coreSetX(0, context);
  cpuOnEnd();
  return 0;
}
/** PSCI CPU_OFF of the current CPU; returns the number of CPUs still on. */
export function smpCpuOff(): u32 { return cpuOff(); }
/** PSCI AFFINITY_INFO of CPU c: 0 on, 1 off. */
export function smpPowerState(c: u32): u32 { return cpuPowerState(c); }
/** Scheduler state of CPU c: 0 off, 1 runnable, 2 asleep in WFI, 3 asleep in WFE. */
export function smpSchedState(c: u32): u32 { return cpuSchedState(c); }
/** Instructions CPU c retired since the board's reset (--stats). */
export function smpCpuRetired(c: u32): u64 { return cpuRetired(c); }
/** PSCI CPU_SUSPEND (standby) of the current CPU: it sleeps as in WFI. */
export function smpStandby(): void { sleepRequest(CPU_WFI); }
/** The system counter as the current CPU reads it between runs. */
export function smpTicks(): u64 { return cpuNow(curCpu); }
/** 1 when the per-CPU state and tagged TLBs fit their reserved regions (a layout check for tests). */
export function smpLayoutFits(): u32 { return percpuFits() ? 1 : 0; }
/**
 * A debugger runs CPU `cpu` next (smp/debug-select.ts): 0 done, 1 off, 2 asleep (not woken: wake = 0),
 * 3 stuck, 4 busy (a device access waits for its replay).
 */
export function smpMakeCurrent(cpu: u32, wake: u32): u32 { return smpSelect(cpu, wake != 0); }
/** CPUs a debugger holds (bit i: CPU i takes no turns; smp/debug-hold.ts); 0 releases them all. */
export function smpHold(mask: u32): void { setHeldMask(mask); forgetIdleReport(); }
/** Linear-memory address of CPU c's saved state block (valid while c is not the current CPU). */
export function smpSaveArea(c: u32): u32 { return saveArea(c); }
/** Register i of CPU c (0..30 = x0..x30, 31 = SP, 32 = PC) without switching to it (tools, tests). */
export function smpPeekX(c: u32, i: u32): u64 {
  if (c == curCpu) return getX(i);
  const a = saveArea(c);
  if (i == 32) return load<u64>(a + L.OFF_PC);
  return load<u64>(a + ((i == 31 ? L.REG_SP : i) << 3));
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
  setPstateFromSPSR(v);
  contextChanged();
}
/** What MRS of identification register idx returns (hosted EL2 reads the CPU's features with it). */
export { idRegValue } from './sysreg-access';
export function getSysreg(idx: u32): u64 {
  if (idx == S.SP_EL0 || idx == S.SP_EL1 || idx == S.SP_EL2) saveSP();
  return idx < S.SR_MAX ? S.srGet(idx) : 0;
}
export function setSysreg(idx: u32, v: u64): void {
  if (idx == 0 || idx >= S.SR_MAX) return;
  if (idx == S.SP_EL0 || idx == S.SP_EL1 || idx == S.SP_EL2) {
    saveSP(); S.srSet(idx, v); loadSP();
    return;
  }
  if (idx == S.HCR_EL2) v |= 1 << 31; // RW: RAO/WI
  if (S.srGet(idx) == v) return; // (a world switch back to the same context changes nothing)
  S.srSet(idx, v);
  if (idx == S.HCR_EL2 || idx == S.CNTVOFF_EL2 || (idx >= S.CNTP_CTL_EL0 && idx <= S.CNTV_CVAL_EL0) ||
      idx == S.CNTHP_CTL_EL2 || idx == S.CNTHP_CVAL_EL2) gicCpuStateChanged(); // interrupt routing, timers
  if (idx == S.SCTLR_EL1 || idx == S.TCR_EL1 || idx == S.TTBR0_EL1 || idx == S.TTBR1_EL1 ||
      idx == S.HCR_EL2 || idx == S.VTTBR_EL2 || idx == S.VTCR_EL2 || idx == S.SCTLR_EL2 ||
      idx == S.TCR_EL2 || idx == S.TTBR0_EL2) {
    tlbFlushAll(); // the fast TLB caches the current regime's translations untagged
    contextChanged();
  }
  if (isSelfDebugReg(idx)) selfDebugRecompute(); // hardware breakpoints/watchpoints armed or not
  else if (idx >= PMU_FIRST && idx <= PMU_LAST) pmuIrqUpdate(); // the PMU's overflow interrupt level
}
/**
 * Before TypeScript reads SP_EL0/SP_EL1/SP_EL2 from the sysreg slots in linear memory directly
 * (a world switch saving a context): bank the live SP into its slot.
 */
export function bankSP(): void { saveSP(); }
/**
 * After TypeScript wrote x0–x30 and sysreg slots directly (a world switch loading a context):
 * reload the live SP from its bank; when a translation register changed (mmu != 0), drop the
 * untagged fast TLB and the translation context, as setSysreg does.
 */
export function directStateWritten(mmu: u32): void {
  loadSP();
  gicCpuStateChanged();
  selfDebugRecompute(); // a context's debug registers (hardware breakpoints/watchpoints)
  pmuIrqUpdate(); // and its PMU: the overflow interrupt's level (PPI 23)
  if (mmu != 0) { tlbFlushAll(); contextChanged(); }
}
/** Instructions retired by all CPUs together. */
export function getInsns(): u64 { return totalRetired; }
/** getInsns() as an f64 (exact below 2^53), for TypeScript's per-run arithmetic without a BigInt. */
export function getInsnsF(): f64 { return <f64>totalRetired; }
/** Instructions retired by the current CPU. */
export function getCpuInsns(): u64 { return load<u64>(L.CPU_BASE + L.OFF_INSNS); }
/** The interrupt-exception log for traces (core-as/gic/irq-log.ts): on/off (emptied). */
export function irqLogSet(on: u32): void { irqLogEnable(on != 0); }
/** --stats: count exceptions by class (on: from zero; EXC_STATS), and empty the UNDEFINED tables. */
export function excStatsSet(on: u32): void { excStatsEnable(on != 0); if (on != 0) undefStatsClear(); }
/** Drives an SPI's input line (INTID 32..287) from a device emulated in TypeScript. */
export function setSpiLevel(intid: u32, level: u32): void { gicSetSpiLevel(intid, level != 0); }
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
export function invalidateAll(): void { invalidateAllCode(); tlbFlushAll(); tlb2Clear(); contextChanged(); tlbiBroadcastOthers(); }
/** Drops every cached translation: fast TLB, tagged TLB and stage-2 walk cache. */
export function tlbFlush(): void { tlbFlushAll(); tlb2Clear(); contextChanged(); tlbiBroadcastOthers(); }

/**
 * Translates va for `access` (0 read, 1 write, 2 exec) in mmu index `idx` without taking an
 * exception, by a fresh walk (no TLB used or filled); returns the PA or -1 (then faultInfo()
 * describes the fault, and walkInfo() the leaf of a successful walk).
 */
export function walk(va: u64, access: u32, idx: u32): u64 {
  setUseCaches(false);
  const r = translate(va, access == 1 ? ACC_WRITE : access == 2 ? ACC_EXEC : ACC_READ, idx);
  setUseCaches(true);
  return r;
}
/**
 * Stage-2 walk of `ipa` with explicit VTTBR_EL2 / VTCR_EL2 values (for a hosted EL2 or an IOMMU):
 * access 0 read, 1 write, 2 execute as EL1, 3 execute as EL0. Returns the PA or -1 (faultInfo()).
 */
export function walkStage2(ipa: u64, access: u32, vttbr: u64, vtcr: u64): u64 {
  return translateStage2(ipa, access == 1 ? ACC_WRITE : access >= 2 ? ACC_EXEC : ACC_READ, access == 3, vttbr, vtcr);
}
/**
 * Leaf of the last walk that reached one: level | perms << 8 | attr << 16 | SH << 24 |
 * global << 26 | device << 27. perms: stage 1 EL0 R/W/X in bits 0-2 and EL1 (or EL2) R/W/X in
 * bits 3-5; stage 2 R, W, X-for-EL0, X-for-EL1 in bits 0-3. attr: MAIR byte (stage 1) or
 * MemAttr[3:0] (stage 2).
 */
export function walkInfo(): u32 {
  return <u32>(wLevel & 3) | (wPerms << 8) | (wAttr << 16) | (wSH << 24) | ((wGlobal ? 1 : 0) << 26) | ((wDevice ? 1 : 0) << 27);
}
/**
 * Executes a TLBI operation as EL2 would (EL1&0 operations use the VMID in VTTBR_EL2). key is the
 * system-instruction key op0:op1:CRn:CRm:op2 (op0 = 1, CRn = 8), e.g. TLBI VMALLS12E1 =
 * 1 << 14 | 4 << 11 | 8 << 7 | 7 << 3 | 6. Returns false for an unknown operation.
 */
export function tlbi(key: u32, xt: u64): bool {
  if (!tlbiKnown(key)) return false;
  execTlbi(key, xt);
  return true;
}
/** Invalidates every EL1&0 translation of `vmid` (stage 1, combined and stage 2). */
export function tlbInvalidateVmid(vmid: u32): void {
  invalidateVmidS12(vmid);
  if (fastTlbMayHoldVmid(vmid)) { tlbFlushAll(); contextChanged(); }
  tlbiBroadcastOthers();
}
/**
 * Invalidates what a stage-2 change of the IPA page containing `ipa` in `vmid` may leave stale, as
 * Linux's __kvm_tlb_flush_vmid_ipa does (TLBI IPAS2E1IS, then VMALLE1IS for the VMID): its
 * stage-2 walk-cache entries and the VMID's stage-1 and combined entries.
 */
export function tlbInvalidateIpa(vmid: u32, ipa: u64): void {
  invalidateIpa(vmid, (ipa >> 12) & IPN_MASK);
  invalidateVmidS1(vmid);
  if (fastTlbMayHoldVmid(vmid)) { tlbFlushAll(); contextChanged(); }
  tlbiBroadcastOthers();
}
/** Counters of the tagged caches: 0 main hits, 1 main misses, 2 walk-cache hits, 3 misses; -1 resets. */
export function mmuStat(i: i32): u32 {
  if (i < 0) { resetStats(); return 0; }
  return i == 0 ? statMainHit : i == 1 ? statMainMiss : i == 2 ? statS2Hit : statS2Miss;
}
/**
 * Benchmark loop inside WASM over the interpreter's own load fast path (mem.ts read64): n loads
 * cycling through `pages` pages (a power of two) from va, in the current mmu index, after one
 * slow-path access per page has filled the fast TLB. Returns the sum of the values read.
 */
export function benchFastTlb(va: u64, pages: u32, n: u32): u64 {
  let acc: u64 = 0;
  for (let p: u32 = 0; p < pages; p++) acc += memRead64(va + (<u64>p << 12));
  const mask = <u64>(pages - 1);
  for (let i: u32 = 0; i < n; i++) acc += memRead64(va + ((<u64>i & mask) << 12) + ((<u64>i >> 5) & 0x1f8));
  setMemFault(false);
  return acc;
}
/**
 * Benchmark loop inside WASM: n translations of `va` (+ i * stride) for `access` in mmu index idx.
 * flush before each: 0 nothing, 1 what TLBI VMALLS12E1 removes (the tagged TLB and the stage-2 walk
 * cache of the current VMID), 2 what TLBI VMALLE1 removes (the tagged TLB; walk cache kept); both
 * O(1) generation bumps. The fast TLB is not used. Returns the XOR of the results (so nothing is
 * optimised away).
 */
export function benchTranslate(va: u64, n: u32, stride: u64, flush: u32, access: u32, idx: u32): u64 {
  let acc: u64 = 0;
  const vmid = currentVmid();
  for (let i: u32 = 0; i < n; i++) {
    if (flush == 1) invalidateVmidS12(vmid); // TLBI VMALLS12E1
    else if (flush == 2) invalidateVmidS1(vmid); // TLBI VMALLE1
    acc ^= translate(va + <u64>i * stride, access, idx);
  }
  return acc;
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

// --- The compiled tier (core-as/jit/, compiled by machine/jit/) ---
export { jitEnable, jitInstall, jitCover, jitReject, jitQueueClear, jitQueueWarm, jitFlush } from './jit/jit-api';
export { jitExec, jitBranchMisaligned, jitFpOk, jitFpOp } from './jit/jit-step';
export { jitChain } from './jit/jit-chain';
export { pc as jitPc, nzcv as jitNzcv, remaining as jitRemaining } from './state';
export { curTlb as jitCurTlb } from './tlb';
