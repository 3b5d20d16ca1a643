// MRS/MSR of the self-hosted debug registers with the Arm ARM's access rules: UNDEFINED at EL0
// except the DCC registers (MDCCSR_EL0, DBGDTR*_EL0, trapped to EL1 by MDSCR_EL1.TDCC); EL0/EL1
// accesses trapped to EL2 (EC 0x18) by MDCR_EL2.TDA (breakpoint/watchpoint, MDSCR, claim, DCC and
// OS-save registers), TDOSA (OSLAR/OSLSR/OSDLR/DBGPRCR) and TDRA (MDRAR), each also by TDE (and
// by HCR_EL2.TGE, which makes TDE behave as 1). Breakpoints/watchpoints n >= the number
// implemented are UNDEFINED.
import * as D from './debug-regs';
import { def, srGet, srSet, srWrongDirection, MDCR_EL2, MDSCR_EL1, OSDLR_EL1, OSLAR_EL1, OSLSR_EL1, SRF_RO, SRF_WO } from '../sysregs';
import { curEL, haveEL2, hcr, HCR_TGE, irqBreak } from '../state';
import { undefinedInstruction } from '../exception';
import { trapSysreg } from '../sysreg-trap';
import { getX, setX } from '../alu';
import { invalidateFetch } from '../fetch';
import { tlbFlushAll } from '../tlb';
import { debugLocked } from './debug-enable';

/**
 * Recomputes SD_ARMED from the registers (MDSCR_EL1.MDE, the OS lock and double lock, the enabled
 * breakpoints and watchpoints) and, while any is armed or was, drops the current fetch page and
 * the fast TLB so the pages that may match are looked at again (fetch.ts, tlb.ts). Called after
 * every MSR here and by TypeScript's direct register writes (index.ts).
 */
export function selfDebugRecompute(): void {
  const old = srGet(D.SD_ARMED);
  let armed: u64 = 0;
  if ((srGet(MDSCR_EL1) & D.MDSCR_MDE) != 0 && !debugLocked()) {
    for (let n: u32 = 0; n < D.NUM_BRPS; n++) if ((srGet(D.DBGBCR0_EL1 + n) & 1) != 0) armed |= D.SD_BREAK;
    for (let n: u32 = 0; n < D.NUM_WRPS; n++) if ((srGet(D.DBGWCR0_EL1 + n) & 1) != 0) armed |= D.SD_WATCH;
  }
  srSet(D.SD_ARMED, armed);
  if (armed != 0 || old != 0) {
    invalidateFetch();
    tlbFlushAll(); // (the fast TLB only: the tagged TLB behind it refills it through tlbFill)
  }
}

const TRAP_TDA: u32 = 1, TRAP_TDOSA: u32 = 2, TRAP_TDRA: u32 = 3;

/** Defines the encodings (op0 = 2) the core did not have; called after initSysregMap. */
export function selfDebugInitSysregMap(): void {
  for (let n: u32 = 0; n < 16; n++) {
    def(n < D.NUM_BRPS ? D.DBGBVR0_EL1 + n : D.DBGBxR_UNIMPL, 2, 0, 0, n, 4, 1);
    def(n < D.NUM_BRPS ? D.DBGBCR0_EL1 + n : D.DBGBxR_UNIMPL, 2, 0, 0, n, 5, 1);
    def(n < D.NUM_WRPS ? D.DBGWVR0_EL1 + n : D.DBGBxR_UNIMPL, 2, 0, 0, n, 6, 1);
    def(n < D.NUM_WRPS ? D.DBGWCR0_EL1 + n : D.DBGBxR_UNIMPL, 2, 0, 0, n, 7, 1);
  }
  def(D.OSDTRRX_EL1, 2, 0, 0, 0, 2, 1);
  def(D.MDCCINT_EL1, 2, 0, 0, 2, 0, 1);
  def(D.OSDTRTX_EL1, 2, 0, 0, 3, 2, 1);
  def(D.OSECCR_EL1, 2, 0, 0, 6, 2, 1);
  def(D.MDRAR_EL1, 2, 0, 1, 0, 0, 1 | SRF_RO);
  def(D.DBGPRCR_EL1, 2, 0, 1, 4, 4, 1);
  def(D.DBGCLAIMSET_EL1, 2, 0, 7, 8, 6, 1);
  def(D.DBGCLAIMCLR_EL1, 2, 0, 7, 9, 6, 1);
  def(D.DBGAUTHSTATUS_EL1, 2, 0, 7, 14, 6, 1 | SRF_RO);
  def(D.MDCCSR_EL0, 2, 3, 0, 1, 0, 0 | SRF_RO);
  def(D.DBGDTR_EL0, 2, 3, 0, 4, 0, 0);
  def(D.DBGDTRRXTX_EL0, 2, 3, 0, 5, 0, 0);
}

/** Whether `idx` is a register this module handles (the range, and the ones sysregs.ts named). */
export function isSelfDebugReg(idx: u32): bool {
  return (idx >= D.SELFDEBUG_FIRST && idx <= D.SELFDEBUG_LAST) || idx == MDSCR_EL1 || idx == OSLAR_EL1 ||
    idx == OSLSR_EL1 || idx == OSDLR_EL1;
}

function trapKind(idx: u32): u32 {
  if (idx == OSLAR_EL1 || idx == OSLSR_EL1 || idx == OSDLR_EL1 || idx == D.DBGPRCR_EL1) return TRAP_TDOSA;
  if (idx == D.MDRAR_EL1) return TRAP_TDRA;
  return TRAP_TDA;
}

@inline function isDcc(idx: u32): bool {
  return idx == D.MDCCSR_EL0 || idx == D.DBGDTR_EL0 || idx == D.DBGDTRRXTX_EL0;
}

/** MDCR_EL2 as the debug traps see it: TDE (or HCR_EL2.TGE) makes TDA/TDOSA/TDRA behave as 1. */
function effectiveMdcr(): u64 {
  if (!haveEL2()) return 0;
  let m = srGet(MDCR_EL2);
  if ((hcr() & HCR_TGE) != 0) m |= D.MDCR_TDE;
  if ((m & D.MDCR_TDE) != 0) m |= D.MDCR_TDA | D.MDCR_TDOSA | D.MDCR_TDRA;
  return m;
}

function check(idx: u32, key: u32, rt: u32, isRead: bool): bool {
  if (idx == D.DBGBxR_UNIMPL) { undefinedInstruction(); return false; }
  // An MRS of a write-only register or an MSR of a read-only one is an unallocated encoding.
  if (srWrongDirection(idx, isRead)) { undefinedInstruction(); return false; }
  if (curEL == 0) {
    if (!isDcc(idx)) { undefinedInstruction(); return false; }
    if ((srGet(MDSCR_EL1) & D.MDSCR_TDCC) != 0) { trapSysreg((hcr() & HCR_TGE) != 0 ? 2 : 1, key, rt, isRead); return false; }
  }
  if (curEL < 2) {
    const m = effectiveMdcr();
    const k = trapKind(idx);
    const bit = k == TRAP_TDOSA ? D.MDCR_TDOSA : k == TRAP_TDRA ? D.MDCR_TDRA : D.MDCR_TDA;
    if ((m & bit) != 0) { trapSysreg(2, key, rt, isRead); return false; }
  }
  return true;
}

/** DBGBCR<n>_EL1 writable bits: E, PMC, BAS, HMC, SSC, LBN, BT (context types only where the
 *  breakpoint is context-aware: the last NUM_CTX_CMPS). */
function bcrMask(n: u32): u64 {
  return n >= D.NUM_BRPS - D.NUM_CTX_CMPS ? 0x00ffe1e7 : 0x000fe1e7 | (<u64>1 << 20); // BT 000x: address match, unlinked or linked
}

export function selfDebugMrs(idx: u32, key: u32, rt: u32): bool {
  if (!check(idx, key, rt, true)) return false;
  let v: u64;
  switch (idx) {
    case OSLSR_EL1: v = 8 | (srGet(OSLSR_EL1) & 2); break; // OSLM = 0b10, OSLK
    case D.MDRAR_EL1: v = 0; break; // ROMADDR not valid
    case D.DBGAUTHSTATUS_EL1: v = 0xa; break; // Non-secure invasive and non-invasive debug: implemented, disabled (as QEMU)
    case D.DBGCLAIMSET_EL1: v = 0xff; break; // eight claim tag bits implemented
    case D.DBGCLAIMCLR_EL1: v = srGet(D.DBGCLAIM); break;
    case D.MDCCSR_EL0: v = 0; break; // TXfull/RXfull clear: no external debugger
    default: v = srGet(idx);
  }
  setX(rt, v);
  return true;
}

export function selfDebugMsr(idx: u32, key: u32, rt: u32): bool {
  if (!check(idx, key, rt, false)) return false;
  write(idx, getX(rt));
  if ((idx >= D.DBGBVR0_EL1 && idx < D.MDCCINT_EL1) || idx == MDSCR_EL1 || idx == OSLAR_EL1 || idx == OSDLR_EL1 ||
      idx == D.DBGPRCR_EL1) selfDebugRecompute();
  // Software step (MDSCR_EL1.SS) is looked at between pieces of a run slice: end this one.
  if (idx == MDSCR_EL1 || idx == OSLAR_EL1 || idx == OSDLR_EL1) irqBreak();
  return true;
}

function write(idx: u32, v: u64): void {
  if (idx >= D.DBGBVR0_EL1 && idx < D.DBGBVR0_EL1 + D.NUM_BRPS) { srSet(idx, v & ~<u64>3); return; }
  if (idx >= D.DBGBCR0_EL1 && idx < D.DBGBCR0_EL1 + D.NUM_BRPS) { srSet(idx, v & bcrMask(idx - D.DBGBCR0_EL1)); return; }
  if (idx >= D.DBGWVR0_EL1 && idx < D.DBGWVR0_EL1 + D.NUM_WRPS) { srSet(idx, v & ~<u64>3); return; }
  if (idx >= D.DBGWCR0_EL1 && idx < D.DBGWCR0_EL1 + D.NUM_WRPS) { srSet(idx, v & 0x1f1fffff); return; }
  switch (idx) {
    case OSLAR_EL1: srSet(OSLSR_EL1, (srGet(OSLSR_EL1) & ~<u64>2) | ((v & 1) << 1)); break;
    case OSDLR_EL1: srSet(idx, v & 1); break;
    case MDSCR_EL1: srSet(idx, v & D.MDSCR_WRITABLE); break;
    case D.MDCCINT_EL1: srSet(idx, v & ((<u64>1 << 29) | (<u64>1 << 30))); break;
    case D.DBGPRCR_EL1: srSet(idx, v & 1); break;
    case D.DBGCLAIMSET_EL1: srSet(D.DBGCLAIM, srGet(D.DBGCLAIM) | (v & 0xff)); break;
    case D.DBGCLAIMCLR_EL1: srSet(D.DBGCLAIM, srGet(D.DBGCLAIM) & ~(v & 0xff)); break;
    case D.OSECCR_EL1: case D.OSDTRRX_EL1: case D.OSDTRTX_EL1: srSet(idx, v & 0xffffffff); break;
    default: srSet(idx, v);
  }
}
