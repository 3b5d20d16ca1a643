// Whether debug exceptions can be generated, and where they go (Arm ARM D2.4 "Enabling debug
// exceptions", pseudocode AArch64.GenerateDebugExceptionsFrom, DebugTarget, DoubleLockStatus).
// A leaf module: only the registers, so core-as/ files (exception.ts, fetch.ts, mem.ts) may call it.
import * as D from './debug-regs';
import { srGet, MDCR_EL2, MDSCR_EL1, OSDLR_EL1, OSLSR_EL1 } from '../sysregs';
import { curEL, getDAIF, haveEL2, hcr, HCR_TGE } from '../state';

/** DoubleLockStatus(): OSDLR_EL1.DLK == 1 and DBGPRCR_EL1.CORENPDRQ == 0 (not in Debug state). */
@inline export function doubleLocked(): bool {
  return (srGet(OSDLR_EL1) & D.OSDLR_DLK) != 0 && (srGet(D.DBGPRCR_EL1) & D.DBGPRCR_CORENPDRQ) == 0;
}

/** The OS lock or the OS double lock: no debug exception but BRK can be generated. */
@inline export function debugLocked(): bool {
  return (srGet(OSLSR_EL1) & D.OSLSR_OSLK) != 0 || doubleLocked();
}

/** DebugTarget() (Non-secure, no EL3): EL2 when HCR_EL2.TGE or MDCR_EL2.TDE, else EL1. */
export function debugTargetEL(): u32 {
  if (haveEL2() && ((hcr() & HCR_TGE) != 0 || (srGet(MDCR_EL2) & D.MDCR_TDE) != 0)) return 2;
  return 1;
}

/**
 * AArch64.GenerateDebugExceptionsFrom(from_el, Non-secure, mask): false under the OS lock or the
 * double lock; from the debug target EL itself only with MDSCR_EL1.KDE = 1 and PSTATE.D (mask) = 0;
 * otherwise when the target EL is higher than from_el.
 */
export function debugExceptionsFrom(fromEL: u32, mask: bool): bool {
  if (debugLocked()) return false;
  const target = debugTargetEL();
  if (fromEL == target) return (srGet(MDSCR_EL1) & D.MDSCR_KDE) != 0 && !mask;
  return target > fromEL;
}

/** AArch64.GenerateDebugExceptions(): from the current EL with the current PSTATE.D. */
@inline export function debugExceptionsNow(): bool {
  return debugExceptionsFrom(curEL, (getDAIF() & D.PSTATE_D) != 0);
}

/** The EC of a debug exception taken to `target` from the current EL: lower-EL form, or +1. */
@inline export function debugEC(ecLower: u32, target: u32): u32 {
  return target == curEL ? ecLower + 1 : ecLower;
}

/**
 * DebugExceptionReturnSS(spsr) for an exception return from the current EL to `destEL` (the EL the
 * return goes to, or the current one for an illegal return): PSTATE.SS takes SPSR.SS only when
 * software step is enabled (MDSCR_EL1.SS), debug exceptions are disabled at the source and enabled
 * at the destination; otherwise 0.
 */
export function eretSS(spsr: u64, destEL: u32): u32 {
  if ((srGet(MDSCR_EL1) & D.MDSCR_SS) == 0) return 0;
  if (debugExceptionsNow()) return 0; // enabled at the source
  if (!debugExceptionsFrom(destEL, (<u32>spsr & D.PSTATE_D) != 0)) return 0;
  return <u32>spsr & D.PSTATE_SS;
}

/**
 * AArch64.SoftwareBreakpoint's routing of BRK (not gated by the debug enables): from EL2 to EL2;
 * from EL0/EL1 to EL2 when HCR_EL2.TGE or MDCR_EL2.TDE, else to EL1.
 */
export function brkTargetEL(): u32 {
  return curEL == 2 ? 2 : debugTargetEL();
}
