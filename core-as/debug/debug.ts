// Debugger support in the core (the gdb stub's breakpoints and watchpoints), state at DEBUG_BASE.
//
// Nothing here runs per instruction while no debugger is attached: DBG_ACTIVE is read only when the
// fetch page changes (fetch.ts refillFetch), on a fast-TLB fill (tlb.ts tlbFill) and on the memory
// slow path (mem.ts). With breakpoints set:
//   - a fetch page holding a breakpoint is never cached as the current fetch page, so each
//     instruction on that page comes through refillFetch, which compares the PC with the table;
//     a hit stops before the instruction with EXIT_DEBUG (nothing retired, no state changed).
// With watchpoints set:
//   - pages that overlap a watchpoint get no read or write tag in the fast TLB, so every data access
//     to them takes the slow path, which compares [va, va + size) with the table (after the
//     translation succeeded: a faulting access faults). A hit abandons the instruction before the
//     access (as a hardware watchpoint does, Arm ARM D2.10) and exits with EXIT_DEBUG.
// Breakpoints and watchpoints are virtual addresses compared at any EL and in any regime (as
// QEMU's gdbstub does). TypeScript calls dbgChanged() after any edit of the tables.
import { DEBUG_BASE, EXIT_DEBUG } from '../layout';
import { exitUndoRetire, requestExit } from '../state';

export const DBG_ACTIVE: u32 = DEBUG_BASE; // u32: DBG_BREAK | DBG_WATCH (0: no debugger work)
export const DBG_NBP: u32 = DEBUG_BASE + 4; // u32 breakpoints in the table
export const DBG_NWP: u32 = DEBUG_BASE + 8; // u32 watchpoints in the table
export const DBG_STOP_KIND: u32 = DEBUG_BASE + 12; // u32 STOP_* of the last EXIT_DEBUG
export const DBG_STOP_ADDR: u32 = DEBUG_BASE + 16; // u64 breakpoint address / watchpoint address
export const DBG_STOP_HIT: u32 = DEBUG_BASE + 24; // u64 the accessed address (watchpoints)
export const DBG_BP: u32 = DEBUG_BASE + 0x100; // MAX_BP x u64 virtual address
export const DBG_WP: u32 = DEBUG_BASE + 0x1000; // MAX_WP x 32 bytes: addr u64, len u64, kind u32
export const MAX_BP: u32 = 256;
export const MAX_WP: u32 = 64;
const WP_BYTES: u32 = 32;

export const DBG_BREAK: u32 = 1;
export const DBG_WATCH: u32 = 2;

export const STOP_NONE: u32 = 0;
export const STOP_BREAK: u32 = 1;
export const STOP_WATCH_WRITE: u32 = 2;
export const STOP_WATCH_READ: u32 = 3;
export const STOP_WATCH_ACCESS: u32 = 4;

// Watchpoint kinds (as gdb's Z2/Z3/Z4).
export const WP_WRITE: u32 = 2;
export const WP_READ: u32 = 3;
export const WP_ACCESS: u32 = 4;

@inline export function dbgActive(): u32 { return load<u32>(DBG_ACTIVE); }

/** Recomputes DBG_ACTIVE from the table sizes, without the checks in `suspended` (DBG_* bits). */
export function dbgRecompute(suspended: u32): void {
  const on = (load<u32>(DBG_NBP) != 0 ? DBG_BREAK : 0) | (load<u32>(DBG_NWP) != 0 ? DBG_WATCH : 0);
  store<u32>(DBG_ACTIVE, on & ~suspended);
}

/** Whether a breakpoint lies in the 4 KiB VA page `page`. */
export function dbgBreakInPage(page: u64): bool {
  const n = load<u32>(DBG_NBP);
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u64>(DBG_BP + (i << 3)) & ~<u64>0xfff) == page) return true;
  }
  return false;
}

/** Whether a breakpoint is at va exactly: then the stop is recorded and EXIT_DEBUG requested. */
export function dbgBreakAt(va: u64): bool {
  const n = load<u32>(DBG_NBP);
  for (let i: u32 = 0; i < n; i++) {
    if (load<u64>(DBG_BP + (i << 3)) == va) {
      store<u32>(DBG_STOP_KIND, STOP_BREAK);
      store<u64>(DBG_STOP_ADDR, va);
      store<u64>(DBG_STOP_HIT, va);
      requestExit(EXIT_DEBUG);
      return true;
    }
  }
  return false;
}

/** Whether the VA page `page` overlaps a watchpoint (the fast TLB must not cache its data access). */
export function dbgWatchInPage(page: u64): bool {
  const n = load<u32>(DBG_NWP);
  for (let i: u32 = 0; i < n; i++) {
    const w = DBG_WP + i * WP_BYTES;
    const a = load<u64>(w), len = load<u64>(w, 8);
    if (a < page + 0x1000 && page < a + len) return true;
  }
  return false;
}

/**
 * A data access of `size` bytes at va (read, write, or both for read-modify-write): when it
 * overlaps a watchpoint of a matching kind, records the stop, requests EXIT_DEBUG and returns true
 * (the caller abandons the instruction).
 */
export function dbgWatchHit(va: u64, size: u32, isRead: bool, isWrite: bool): bool {
  const n = load<u32>(DBG_NWP);
  for (let i: u32 = 0; i < n; i++) {
    const w = DBG_WP + i * WP_BYTES;
    const a = load<u64>(w), len = load<u64>(w, 8), kind = load<u32>(w, 16);
    if (!(a < va + <u64>size && va < a + len)) continue;
    let stop: u32 = STOP_NONE;
    if (kind == WP_ACCESS) stop = STOP_WATCH_ACCESS;
    else if (kind == WP_WRITE && isWrite) stop = STOP_WATCH_WRITE;
    else if (kind == WP_READ && isRead) stop = STOP_WATCH_READ;
    if (stop == STOP_NONE) continue;
    store<u32>(DBG_STOP_KIND, stop);
    store<u64>(DBG_STOP_ADDR, a);
    store<u64>(DBG_STOP_HIT, va);
    requestExit(EXIT_DEBUG);
    exitUndoRetire(); // the instruction is abandoned before its access: not retired
    return true;
  }
  return false;
}
