// Softmmu fast TLB (in the manner of QEMU's CPUTLB): one direct-mapped table per mmu index, each
// entry holding the page-aligned VA as read/write/exec tags and the addend from VA to the host
// address of the RAM page. A tag with bit 0 set never matches. Device pages are never entered, and
// pages holding decoded code get no write tag, so stores to them take the slow path, which
// invalidates the decoded ops they overwrite.
//
// The fast TLB is untagged: it only ever holds translations of the current context (ASID, VMID,
// regime), so writes to the translation registers flush it (sysreg-access.ts) and misses refill
// from the tagged cache behind it (tlb2.ts) without a walk. TLBI drops entries here too (tlbi.ts).
import { TLB_BASE } from './layout';
import { mmuContextChanged } from './mmu';
import { DBG_WATCH, dbgActive, dbgWatchInPage } from './debug/debug';
import { sdArmed, watchpointInPage } from './selfdebug/match';
import { SD_WATCH } from './selfdebug/debug-regs';

export const MMU_EL0: u32 = 0; // EL1&0 regime, unprivileged
export const MMU_EL1: u32 = 1; // EL1&0 regime, EL1
export const MMU_EL2: u32 = 2; // EL2 regime
export const MMU_COUNT: u32 = 3;

export const TLB_BITS: u32 = 8;
export const TLB_ENTRIES: u32 = 1 << TLB_BITS;
export const TLB_ENTRY_BYTES: u32 = 32;
export const TLB_TABLE_BYTES: u32 = TLB_ENTRIES * TLB_ENTRY_BYTES;
/** All ones never matches: fast-path tags compare with a page address whose low bits are at most 7. */
export const TAG_INVALID: u64 = <u64>-1;

export const TE_READ: u32 = 0;
export const TE_WRITE: u32 = 8;
export const TE_EXEC: u32 = 16;
export const TE_ADDEND: u32 = 24;

export const PERM_R: u32 = 1;
export const PERM_W: u32 = 2;
export const PERM_X: u32 = 4;

/** Base of the table of the current mmu index. */
export let curTlb: u32 = TLB_BASE + TLB_TABLE_BYTES;
export let curMmuIdx: u32 = MMU_EL1;

export function setMmuIdx(idx: u32): void {
  mmuContextChanged(); // called by contextChanged() on every translation-register change
  curMmuIdx = idx;
  curTlb = TLB_BASE + idx * TLB_TABLE_BYTES;
}

@inline export function tlbEntry(table: u32, va: u64): u32 {
  return table + ((<u32>(va >> 12) & (TLB_ENTRIES - 1)) << 5);
}

export function tlbFlushIdx(idx: u32): void {
  memory.fill(TLB_BASE + idx * TLB_TABLE_BYTES, 0xff, TLB_TABLE_BYTES); // every tag = TAG_INVALID
}

export function tlbFlushAll(): void {
  memory.fill(TLB_BASE, 0xff, MMU_COUNT * TLB_TABLE_BYTES);
}

/** Drops the write tags of all entries (a page just got decoded code). */
export function tlbRevokeWrites(): void {
  const end = TLB_BASE + MMU_COUNT * TLB_TABLE_BYTES;
  for (let e = TLB_BASE; e < end; e += TLB_ENTRY_BYTES) store<u64>(e, TAG_INVALID, TE_WRITE);
}

/** Drops the entry of mmu index idx that could hold VA page `va` (whatever its tag bits). */
export function tlbFlushPageIdx(idx: u32, va: u64): void {
  const e = tlbEntry(TLB_BASE + idx * TLB_TABLE_BYTES, va);
  store<u64>(e, TAG_INVALID, TE_READ);
  store<u64>(e, TAG_INVALID, TE_WRITE);
  store<u64>(e, TAG_INVALID, TE_EXEC);
}

/** Enters a RAM page: hostPage is the linear-memory address of the 4 KiB page. */
export function tlbFill(idx: u32, va: u64, hostPage: u32, perms: u32, codeOnPage: bool): void {
  const page = va & ~<u64>0xfff;
  const e = tlbEntry(TLB_BASE + idx * TLB_TABLE_BYTES, va);
  // Debugger: data accesses to a watched page always take the slow path (mem.ts).
  if ((dbgActive() & DBG_WATCH) != 0 && dbgWatchInPage(page)) perms &= PERM_X;
  if ((sdArmed() & SD_WATCH) != 0 && watchpointInPage(page)) perms &= PERM_X; // hardware watchpoints (selfdebug/)
  store<u64>(e, (perms & PERM_R) ? page : TAG_INVALID, TE_READ);
  store<u64>(e, (perms & PERM_W) && !codeOnPage ? page : TAG_INVALID, TE_WRITE);
  store<u64>(e, (perms & PERM_X) ? page : TAG_INVALID, TE_EXEC);
  store<u32>(e, hostPage - <u32>page, TE_ADDEND);
}
