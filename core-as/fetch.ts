// Instruction fetch: the interpreter keeps the VA page it is executing from and that page's decode
// slot; only a PC outside that page comes here. Checks PSTATE.IL and PC alignment, translates for
// execute through the fast TLB, and faults (instruction abort / external abort) as the
// architecture says.
import { RAM_HOST } from './layout';
import { EC_PC_ALIGN, illegalState, pstateIL, routeEL1, takeException } from './exception';
import { curMmuIdx, curTlb, TE_ADDEND, TE_EXEC, tlbEntry, tlbFill } from './tlb';
import { ACC_EXEC, TRANSLATE_FAULT, tPerms, translate } from './mmu';
import { raiseAbort, raiseExternalAbort } from './abort';
import { pc } from './state';
import { slotBase, slotForPage } from './codecache';
import { isRam, ramHostAddr } from './ram';
import { DBG_BREAK, dbgActive, dbgBreakAt, dbgBreakInPage } from './debug/debug';
import { breakpointHit, breakpointInPage, sdArmed } from './selfdebug/match';
import { debugEC, debugTargetEL } from './selfdebug/debug-enable';
import { EC_BREAKPOINT_LOWER, FSC_DEBUG, SD_BREAK } from './selfdebug/debug-regs';

export let fetchVA: u64 = 1; // page VA of the current decode slot; 1 = none
export let fetchSlot: u32 = 0; // linear-memory base of the decoded ops of that page
export let fetchRam: u32 = 0; // linear-memory base of the page's instruction words

export function invalidateFetch(): void {
  fetchVA = 1;
}

/** The compiled tier's cross-page chaining (jit/jit-chain.ts): what refillFetch sets on a fast-TLB hit. */
export function setFetchPage(page: u64, slot: u32, ram: u32): void {
  fetchSlot = slot;
  fetchRam = ram;
  fetchVA = page;
}

export function fetchSlotIs(base: u32): bool {
  return fetchVA != 1 && fetchSlot == base;
}

/** Makes the fetch page cover pc. False when an exception was taken instead (pc moved). */
export function refillFetch(): bool {
  if (pstateIL()) { illegalState(); return false; }
  const v = pc;
  if ((v & 3) != 0) {
    takeException(routeEL1(), EC_PC_ALIGN, 0, v, v, true, 0, false);
    return false;
  }
  const page = v & ~<u64>0xfff;
  const e = tlbEntry(curTlb, v);
  let host: u32;
  if (load<u64>(e, TE_EXEC) == page) {
    host = <u32>page + load<u32>(e, TE_ADDEND);
  } else {
    const pa = translate(v, ACC_EXEC, curMmuIdx);
    if (pa == TRANSLATE_FAULT) { raiseAbort(v, ACC_EXEC); return false; }
    if (!isRam(pa)) { raiseExternalAbort(v, ACC_EXEC); return false; }
    host = ramHostAddr(pa) & ~0xfff;
    tlbFill(curMmuIdx, v, host, tPerms, true);
  }
  fetchSlot = slotBase(slotForPage(host));
  fetchRam = host;
  fetchVA = page;
  // Debugger: a page with a breakpoint is not kept as the fetch page (each instruction comes here).
  if ((dbgActive() & DBG_BREAK) != 0 && dbgBreakInPage(page)) {
    fetchVA = 1;
    if (dbgBreakAt(v)) return false;
  }
  // Self-hosted debug: the same for a page an enabled hardware breakpoint may match; a match takes
  // a Breakpoint exception before the instruction (after the external debugger's stop, above).
  if ((sdArmed() & SD_BREAK) != 0 && breakpointInPage(page)) {
    fetchVA = 1;
    if (breakpointHit(v)) {
      const t = debugTargetEL();
      takeException(t, debugEC(EC_BREAKPOINT_LOWER, t), FSC_DEBUG, v, 0, false, 0, false);
      return false;
    }
  }
  return true;
}
