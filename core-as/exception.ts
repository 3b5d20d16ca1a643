// Synchronous exception entry and exception return (Arm ARM D1.10, AArch64.TakeException,
// AArch64.ExceptionReturn). With a TypeScript-hosted EL2 an exception taken to EL2 is entered
// architecturally (ESR/ELR/SPSR/FAR/HPFAR_EL2 written, PSTATE.EL = 2) and then exits to TS.
import { CPU_BASE, EXIT_BASE, EXIT_EL, EXIT_HYP, EXIT_HYP_ASYNC, OFF_EXCL_ADDR } from './layout';
import {
  ELR_EL1, ELR_EL2, ESR_EL1, ESR_EL2, FAR_EL1, FAR_EL2, HPFAR_EL2, SCTLR_EL1, SPSR_EL1, SPSR_EL2, VBAR_EL1,
  VBAR_EL2, srGet, srSet,
} from './sysregs';
import {
  curEL, el2Hosted, getSPSRValue, getSPSel, haveEL2, hcr, HCR_TGE, nzcv, pc, requestExit, setDAIF,
  setELAndSPSel, setNZCV, setPC, setPstateMisc, getPstateMisc,
} from './state';
import { contextChanged } from './context';
import { noteException } from './stuck';
import { irqLogOn, syncLog } from './gic/irq-log';
import { ssAdvance, stepNoteException } from './selfdebug/step-state';
import { eretSS } from './selfdebug/debug-enable';

export const EC_UNKNOWN: u32 = 0x00;
export const EC_WFX: u32 = 0x01;
export const EC_ILLEGAL_STATE: u32 = 0x0e;
export const EC_SVC64: u32 = 0x15;
export const EC_HVC64: u32 = 0x16;
export const EC_SMC64: u32 = 0x17;
export const EC_SYSREG: u32 = 0x18;
export const EC_IABT_LOWER: u32 = 0x20;
export const EC_IABT_CUR: u32 = 0x21;
export const EC_PC_ALIGN: u32 = 0x22;
export const EC_DABT_LOWER: u32 = 0x24;
export const EC_DABT_CUR: u32 = 0x25;
export const EC_SP_ALIGN: u32 = 0x26;
export const EC_BRK64: u32 = 0x3c;

const PSTATE_IL: u32 = 1 << 20;

/**
 * Takes a synchronous exception to targetEL. `ret` is the preferred return address.
 * FAR is written when hasFar; HPFAR_EL2 when targetEL == 2 and hasHpfar.
 */
export function takeException(
  targetEL: u32, ec: u32, iss: u32, ret: u64, far: u64, hasFar: bool, hpfar: u64, hasHpfar: bool,
): void {
  // SVC, HVC and SMC complete before their exception: SSAdvance() (SPSR.SS = 0 when stepping).
  if ((ec == EC_SVC64 || ec == EC_HVC64 || ec == EC_SMC64) && ret == pc + 4) ssAdvance();
  stepNoteException();
  const spsr = getSPSRValue();
  const fromEL = curEL;
  const raisedAt = pc;
  const esr: u64 = (<u64>ec << 26) | (<u64>1 << 25) | <u64>(iss & 0x1ffffff);
  let vbar: u64;
  if (targetEL == 2) {
    srSet(SPSR_EL2, spsr);
    srSet(ELR_EL2, ret);
    srSet(ESR_EL2, esr);
    if (hasFar) srSet(FAR_EL2, far);
    if (hasHpfar) srSet(HPFAR_EL2, hpfar);
    vbar = srGet(VBAR_EL2);
  } else {
    srSet(SPSR_EL1, spsr);
    srSet(ELR_EL1, ret);
    srSet(ESR_EL1, esr);
    if (hasFar) srSet(FAR_EL1, far);
    vbar = srGet(VBAR_EL1);
  }
  let offset: u64 = 0;
  if (targetEL > fromEL) offset = 0x400;
  else if (getSPSel()) offset = 0x200;
  setELAndSPSel(targetEL, 1);
  setDAIF(0x3c0);
  let misc = getPstateMisc() & ~(PSTATE_IL | (1 << 21)); // IL = 0, SS = 0
  if (targetEL == 1 && (srGet(SCTLR_EL1) & (1 << 23)) == 0) misc |= 1 << 22; // SCTLR_EL1.SPAN = 0: PAN = 1
  setPstateMisc(misc);
  setPC((vbar & ~<u64>0x7ff) + offset);
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1); // ClearExclusiveLocal
  contextChanged();
  if (irqLogOn()) syncLog(targetEL, fromEL, esr, raisedAt, far, hasFar); // boot traces (gic/irq-log.ts)
  noteException(targetEL, esr, hasFar ? far : 0, raisedAt, ret, pc); // a recursive exception loop ends the run
  if (targetEL == 2 && el2Hosted()) {
    store<u32>(EXIT_BASE + EXIT_EL, 2);
    store<u32>(EXIT_BASE + EXIT_HYP_ASYNC, 0); // synchronous: ESR_EL2 describes it
    requestExit(EXIT_HYP);
  }
}

/** EL that an exception "to EL1" from the current EL actually goes to (HCR_EL2.TGE routing). */
@inline export function routeEL1(): u32 {
  if (curEL == 2) return 2;
  if (curEL == 0 && (hcr() & HCR_TGE) != 0) return 2;
  return 1;
}

/** UNDEFINED instruction at the current PC. */
export function undefinedInstruction(): void {
  takeException(routeEL1(), EC_UNKNOWN, 0, pc, 0, false, 0, false);
}

/** Exception with no address registers (SVC, HVC, SMC, BRK, traps). */
export function takeSimple(targetEL: u32, ec: u32, iss: u32, ret: u64): void {
  takeException(targetEL, ec, iss, ret, 0, false, 0, false);
}

/**
 * ERET from the current EL (AArch64.ExceptionReturn): PSTATE from SPSR_ELx, PC from ELR_ELx.
 * An illegal return (to a higher EL, to EL2 when it is not implemented, to AArch32, or with an
 * illegal M value) keeps the EL and sets PSTATE.IL.
 */
export function exceptionReturn(): void {
  const from = curEL;
  const spsr = from == 2 ? srGet(SPSR_EL2) : srGet(SPSR_EL1);
  const elr = from == 2 ? srGet(ELR_EL2) : srGet(ELR_EL1);
  const m = <u32>spsr & 0x1f;
  const target = (m >> 2) & 3;
  let illegal = false;
  if ((m & 0x10) != 0) illegal = true; // AArch32 not implemented
  else if ((m & 2) != 0) illegal = true; // M[1] must be 0
  else if (target > from) illegal = true;
  else if (target == 2 && !haveEL2()) illegal = true;
  else if (target == 0 && (m & 1) != 0) illegal = true; // EL0 with SP_ELx
  else if (target == 1 && from == 2 && (hcr() & HCR_TGE) != 0) illegal = true;
  const ss = eretSS(spsr, illegal ? from : target); // DebugExceptionReturnSS, from the source's PSTATE
  stepNoteException();
  setNZCV(<u32>spsr & 0xf0000000);
  setDAIF(<u32>spsr & 0x3c0);
  let misc = (<u32>spsr & (1 << 22)) | ss; // PAN (FEAT_UAO is not implemented), SS
  if (illegal) {
    misc |= PSTATE_IL;
  } else {
    setELAndSPSel(target, m & 1);
  }
  setPstateMisc(misc | (illegal ? PSTATE_IL : (<u32>spsr & PSTATE_IL)));
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1);
  setPC(elr);
  contextChanged();
}

/** Illegal Execution state exception (PSTATE.IL set when an instruction executes). */
export function illegalState(): void {
  takeException(routeEL1(), EC_ILLEGAL_STATE, 0, pc, 0, false, 0, false);
}

export function pstateIL(): bool {
  return (getPstateMisc() & PSTATE_IL) != 0;
}

// Re-exported so callers can avoid importing state for the common case.
export { nzcv };
