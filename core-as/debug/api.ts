// The debugger's exports (re-exported by index.ts): edit the breakpoint and watchpoint tables at
// DEBUG_BASE, suspend the checks for one step over a stop, read what the last EXIT_DEBUG hit.
import { DEBUG_BASE } from '../layout';
import {
  DBG_BP, DBG_NBP, DBG_NWP, DBG_STOP_ADDR, DBG_STOP_HIT, DBG_STOP_KIND, DBG_WP, MAX_BP, MAX_WP, dbgRecompute,
} from './debug';
import { invalidateFetch } from '../fetch';
import { tlbFlushAll } from '../tlb';

const WP_BYTES: u32 = 32;
let suspended: u32 = 0; // DBG_BREAK | DBG_WATCH: checks off for one step over a stop

/** The tables changed: the current fetch page and the fast TLB may hide a breakpoint/watchpoint. */
function changed(): void {
  dbgRecompute(suspended);
  invalidateFetch();
  tlbFlushAll(); // (the fast TLB only: the tagged TLB behind it keeps every translation)
}

/** Removes every breakpoint and watchpoint. */
export function dbgClear(): void {
  memory.fill(DEBUG_BASE, 0, 0x2000);
  suspended = 0;
  changed();
}

/** Adds a breakpoint at va (any EL, any regime). 0, or -1 when the table is full. */
export function dbgAddBreak(va: u64): i32 {
  const n = load<u32>(DBG_NBP);
  for (let i: u32 = 0; i < n; i++) if (load<u64>(DBG_BP + (i << 3)) == va) return 0;
  if (n >= MAX_BP) return -1;
  store<u64>(DBG_BP + (n << 3), va);
  store<u32>(DBG_NBP, n + 1);
  changed();
  return 0;
}

/** Removes the breakpoint at va. 0, or -1 when there is none. */
export function dbgRemoveBreak(va: u64): i32 {
  const n = load<u32>(DBG_NBP);
  for (let i: u32 = 0; i < n; i++) {
    if (load<u64>(DBG_BP + (i << 3)) == va) {
      store<u64>(DBG_BP + (i << 3), load<u64>(DBG_BP + ((n - 1) << 3)));
      store<u32>(DBG_NBP, n - 1);
      changed();
      return 0;
    }
  }
  return -1;
}

/** Adds a watchpoint on [va, va + len) of kind 2 (write), 3 (read) or 4 (access). 0, or -1. */
export function dbgAddWatch(va: u64, len: u64, kind: u32): i32 {
  if (len == 0 || kind < 2 || kind > 4) return -1;
  const n = load<u32>(DBG_NWP);
  if (n >= MAX_WP) return -1;
  const w = DBG_WP + n * WP_BYTES;
  store<u64>(w, va);
  store<u64>(w, len, 8);
  store<u32>(w, kind, 16);
  store<u32>(DBG_NWP, n + 1);
  changed();
  return 0;
}

/** Removes a watchpoint added with the same (va, len, kind). 0, or -1 when there is none. */
export function dbgRemoveWatch(va: u64, len: u64, kind: u32): i32 {
  const n = load<u32>(DBG_NWP);
  for (let i: u32 = 0; i < n; i++) {
    const w = DBG_WP + i * WP_BYTES;
    if (load<u64>(w) == va && load<u64>(w, 8) == len && load<u32>(w, 16) == kind) {
      memory.copy(w, DBG_WP + (n - 1) * WP_BYTES, WP_BYTES);
      store<u32>(DBG_NWP, n - 1);
      changed();
      return 0;
    }
  }
  return -1;
}

/**
 * Suspends the breakpoint (1) and/or watchpoint (2) checks, 0 resumes them: the debugger steps over
 * the instruction it stopped at.
 */
export function dbgSuspend(mask: u32): void {
  if (suspended == mask) return;
  suspended = mask;
  changed();
}

/** The last EXIT_DEBUG: STOP_* kind, the breakpoint/watchpoint address, and the accessed address. */
export function dbgStopKind(): u32 { return load<u32>(DBG_STOP_KIND); }
export function dbgStopAddr(): u64 { return load<u64>(DBG_STOP_ADDR); }
export function dbgStopHit(): u64 { return load<u64>(DBG_STOP_HIT); }
