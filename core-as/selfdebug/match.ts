// Breakpoint and watchpoint matching (Arm ARM D2.9 "Breakpoint exceptions", D2.10 "Watchpoint
// exceptions"; pseudocode AArch64.BreakpointMatch, AArch64.BreakpointValueMatch,
// AArch64.StateMatch, AArch64.WatchpointMatch, AArch64.WatchpointByteMatch) for a Non-secure PE with
// no EL3 and no AArch32 (so DBGBCR<n>.BAS is RES1 and ignored). A leaf module: only registers.
import * as D from './debug-regs';
import {
  srGet, CONTEXTIDR_EL1, MDSCR_EL1, TCR_EL1, TCR_EL2, VTCR_EL2, VTTBR_EL2,
} from '../sysregs';
import { curEL, haveEL2, hcr, HCR_TGE } from '../state';
import { debugExceptionsNow } from './debug-enable';

/** DBGBVR/DBGWVR bits [63:49] are RESS: the address is bit 48 sign-extended. */
@inline function sext49(v: u64): u64 { return <u64>((<i64>(v << 15)) >> 15); }

/** A context-aware breakpoint (the last NUM_CTX_CMPS). */
@inline function contextAware(n: u32): bool { return n >= D.NUM_BRPS - D.NUM_CTX_CMPS && n < D.NUM_BRPS; }

/** EL2Enabled() and not in the EL2&0 host regime (no FEAT_VHE here): the EL1&0 regime is a guest's. */
@inline function el2GuestRegime(): bool { return haveEL2() && (hcr() & HCR_TGE) == 0; }

/**
 * AArch64.BreakpointValueMatch(n, vaddress, linked_to): an address match (BT 000x), a context ID
 * match against CONTEXTIDR_EL1 (BT 001x), a VMID match (BT 100x) or both (BT 101x). With linkedTo
 * (from StateMatch, for a linked breakpoint or watchpoint) only linked context types match; from
 * BreakpointMatch a linked context breakpoint never matches on its own.
 */
export function bpValueMatch(n: u32, va: u64, linkedTo: bool): bool {
  if (n >= D.NUM_BRPS) return false;
  const bcr = srGet(D.DBGBCR0_EL1 + n);
  if ((bcr & D.BCR_E) == 0) return false;
  const bt = <u32>(bcr >> D.BCR_BT_SHIFT) & 0xf;
  const isCtx = (bt & 2) != 0, isVmid = (bt & 8) != 0;
  // Context types on a breakpoint that is not context-aware, VMID types without EL2, and the
  // EL2 context types (FEAT_VHE, 0b11xx) are reserved: the breakpoint is disabled.
  if (((isCtx || isVmid) && !contextAware(n)) || (isVmid && !haveEL2()) || (bt & 4) != 0) return false;
  const matchAddr = (bt & 0xe) == 0;
  const linked = (bt & 1) != 0;
  if (linkedTo && (!linked || matchAddr)) return false;
  if (!linkedTo && linked && !matchAddr) return false;
  const bvr = srGet(D.DBGBVR0_EL1 + n);
  if (matchAddr) return ((va ^ sext49(bvr)) & ~<u64>3) == 0;
  if (isCtx && !(curEL < 2 && (srGet(CONTEXTIDR_EL1) & 0xffffffff) == (bvr & 0xffffffff))) return false;
  if (isVmid) {
    if (!(curEL < 2 && el2GuestRegime())) return false;
    const vs16 = ((srGet(VTCR_EL2) >> 19) & 1) != 0;
    const vmid = (srGet(VTTBR_EL2) >> 48) & (vs16 ? 0xffff : 0xff);
    const bvmid = (bvr >> 32) & (vs16 ? 0xffff : 0xff);
    if (vmid != bvmid) return false;
  }
  return true;
}

/**
 * AArch64.StateMatch for a Non-secure PE without EL3: the privilege filter (PxC for EL1/EL0, HMC
 * and SSC for EL2), the security filter (SSC 0b10 is Secure only; 0b11 needs HMC), and the link.
 * A breakpoint filters on PSTATE.EL; a watchpoint on the access's privilege (an unprivileged
 * LDTR/STTR at EL1 is an EL0 access).
 */
export function stateMatch(ctl: u64, linked: bool, isBreak: bool, isPriv: bool, va: u64): bool {
  const pxc = <u32>(ctl >> 1) & 3;
  const hmc = <u32>(ctl >> 13) & 1;
  const ssc = <u32>(ctl >> 14) & 3;
  const el2Match = haveEL2() && ((hmc == 1 && ((ssc << 2) | pxc) != 0b1000) || ssc == 3);
  let priv: bool;
  if (!isPriv && !isBreak) priv = (pxc & 2) != 0;
  else if (curEL == 2) priv = el2Match;
  else if (curEL == 1) priv = (pxc & 1) != 0;
  else priv = (pxc & 2) != 0;
  const security = ssc == 0 || ssc == 1 || (ssc == 3 && hmc == 1);
  if (!priv || !security) return false;
  if (!linked) return true;
  const lbn = <u32>(ctl >> 16) & 0xf;
  if (!contextAware(lbn)) return false; // a link to a breakpoint that is not context-aware: no match
  return bpValueMatch(lbn, va, true);
}

/** AArch64.BreakpointMatch(n, vaddress) for an A64 instruction fetch at the current EL. */
export function bpMatch(n: u32, va: u64): bool {
  const bcr = srGet(D.DBGBCR0_EL1 + n);
  if ((bcr & D.BCR_E) == 0) return false;
  const bt = <u32>(bcr >> D.BCR_BT_SHIFT) & 0xf;
  const linked = bt == 1; // a linked address breakpoint (BT 0b0001)
  return stateMatch(bcr, linked, true, curEL != 0, va) && bpValueMatch(n, va, false);
}

/**
 * AArch64.CheckBreakpoint: some breakpoint matches the fetch of the instruction at va, MDSCR_EL1.MDE
 * is set and debug exceptions are enabled from the current EL.
 */
export function breakpointHit(va: u64): bool {
  if ((srGet(MDSCR_EL1) & D.MDSCR_MDE) == 0 || !debugExceptionsNow()) return false;
  for (let n: u32 = 0; n < D.NUM_BRPS; n++) if (bpMatch(n, va)) return true;
  return false;
}

/** Whether an instruction in the VA page `page` may match an enabled breakpoint. */
export function breakpointInPage(page: u64): bool {
  for (let n: u32 = 0; n < D.NUM_BRPS; n++) {
    const bcr = srGet(D.DBGBCR0_EL1 + n);
    if ((bcr & D.BCR_E) == 0) continue;
    const bt = <u32>(bcr >> D.BCR_BT_SHIFT) & 0xf;
    if ((bt & 0xe) != 0) { if ((bt & 1) == 0) return true; continue; } // unlinked context: every page
    if ((sext49(srGet(D.DBGBVR0_EL1 + n)) & ~<u64>0xfff) == page) return true;
  }
  return false;
}

// --- Watchpoints --------------------------------------------------------------------------------

/** AddrTop(va, data, PSTATE.EL): bit 55 with top-byte-ignore for the regime, else 63. */
function addrTopMask(va: u64): u64 {
  let tbi: u64;
  if (curEL == 2) tbi = (srGet(TCR_EL2) >> 20) & 1;
  else tbi = (srGet(TCR_EL1) >> (37 + ((va >> 55) & 1))) & 1;
  return tbi != 0 ? (<u64>1 << 56) - 1 : u64.MAX_VALUE;
}

/**
 * AArch64.WatchpointByteMatch(n, vaddress): DBGWCR.MASK >= 3 watches the 2^MASK-byte aligned block
 * holding DBGWVR (its masked bits ignored, BAS ignored: the CONSTRAINED UNPREDICTABLE choices QEMU
 * also makes); MASK 1 or 2 is reserved (the watchpoint is disabled); MASK 0 watches the bytes BAS
 * selects in the doubleword (or, with DBGWVR[2] set, the word: BAS[3:0]) at DBGWVR.
 */
function wpByteMatch(wcr: u64, wvr: u64, a: u64, top: u64): bool {
  const mask = <u32>(wcr >> 24) & 0x1f;
  const w = sext49(wvr);
  if (mask != 0) {
    if (mask < 3) return false;
    return ((a ^ w) & top & ~((<u64>1 << mask) - 1)) == 0;
  }
  const bottom: u32 = (wvr & 4) != 0 ? 2 : 3;
  if (((a ^ w) & top & ~((<u64>1 << bottom) - 1)) != 0) return false;
  const bas = <u32>(wcr >> 5) & 0xff;
  return ((bas >> (<u32>a & ((1 << bottom) - 1))) & 1) != 0;
}

/** Address of the last watchpoint hit (FAR) and whether it was a write (ESR WnR). */
export let wpHitAddr: u64 = 0;
export let wpHitWrite: bool = false;

/**
 * AArch64.CheckWatchpoint for a data access of `size` bytes at va (a read, a write, or both for an
 * atomic read-modify-write), `isPriv` false for an unprivileged access. True when a watchpoint
 * exception is to be taken; wpHitAddr is then the lowest accessed byte that a matching watchpoint
 * watches — an address both accessed and watched, within the access's naturally aligned block (as
 * the Arm ARM requires of the FAR).
 */
export function watchpointHit(va: u64, size: u32, isRead: bool, isWrite: bool, isPriv: bool): bool {
  if ((srGet(MDSCR_EL1) & D.MDSCR_MDE) == 0 || !debugExceptionsNow()) return false;
  const top = addrTopMask(va);
  let found = false;
  let best: u64 = 0;
  for (let n: u32 = 0; n < D.NUM_WRPS; n++) {
    const wcr = srGet(D.DBGWCR0_EL1 + n);
    if ((wcr & 1) == 0) continue;
    const lsc = <u32>(wcr >> 3) & 3;
    // An atomic read-modify-write matches a watchpoint on loads or on stores (LSC != 0b00).
    const ls = isRead && isWrite ? lsc != 0 : isWrite ? (lsc & 2) != 0 : (lsc & 1) != 0;
    if (!ls) continue;
    if (!stateMatch(wcr, (wcr & D.WCR_WT) != 0, false, isPriv, va)) continue;
    const wvr = srGet(D.DBGWVR0_EL1 + n);
    for (let i: u32 = 0; i < size; i++) {
      const a = va + <u64>i;
      if (found && a >= best) break;
      if (wpByteMatch(wcr, wvr, a, top)) { found = true; best = a; break; }
    }
  }
  if (found) { wpHitAddr = best; wpHitWrite = isWrite; }
  return found;
}

/** Whether a data access to the VA page `page` may match an enabled watchpoint (top byte ignored). */
export function watchpointInPage(page: u64): bool {
  const p = page & 0x00ff_ffff_ffff_f000;
  for (let n: u32 = 0; n < D.NUM_WRPS; n++) {
    const wcr = srGet(D.DBGWCR0_EL1 + n);
    if ((wcr & 1) == 0) continue;
    const mask = <u32>(wcr >> 24) & 0x1f;
    const lenLog2: u32 = mask >= 3 ? mask : 3;
    const lo = sext49(srGet(D.DBGWVR0_EL1 + n)) & 0x00ff_ffff_ffff_ffff & ~((<u64>1 << lenLog2) - 1);
    const hi = lo + (<u64>1 << lenLog2); // exclusive
    if (lo < p + 0x1000 && p < hi) return true;
  }
  return false;
}

/** Which debug events the current registers arm (SD_BREAK | SD_WATCH; selfDebugRecompute). */
@inline export function sdArmed(): u64 { return srGet(D.SD_ARMED); }
