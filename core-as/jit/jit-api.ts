// The compiled tier's control surface for TypeScript (machine/jit/), re-exported by index.ts.
import { DECODE_BASE, RAM_HOST, SLOT_PPN } from '../layout';
import { JIT_MAP, JIT_NEVER, JIT_QUEUE, JIT_QUEUE_CAP, JIT_QUEUED, JIT_SLOT_HAS, JIT_XCOVER } from './jit-layout';
import { jitQueue, jitSetEnabled } from './jit-hook';
import { jitDropAll } from './jit-map';

export function jitEnable(on: u32): void { jitSetEnabled(on != 0); }

/**
 * Installs the compiled function at table index `fn` for the block queued at decode entry index
 * `entry` with `len` instructions. Returns false (nothing installed) when that block is no longer
 * queued (its code was written, or its slot reused, since it was queued).
 */
export function jitInstall(entry: u32, fn: u32, len: u32): bool {
  const m = JIT_MAP + (entry << 3);
  if (load<u32>(m, 4) != 0 || load<u32>(m) != 0xffff_fffe) return false;
  store<u32>(m, fn);
  store<u32>(m, len, 4);
  store<u8>(JIT_SLOT_HAS + (entry >> 10), 1);
  return true;
}

/**
 * Ops entry..entry+count-1 (one page's decode entries) are compiled into a region's further range
 * of a block installed on that page: a write over them drops the page's blocks (jit-map.ts).
 */
export function jitCover(entry: u32, count: u32): void {
  const bits = JIT_XCOVER + ((entry >> 10) << 7);
  for (let i = entry & 1023; i < (entry & 1023) + count && i < 1024; i++) store<u8>(bits + (i >> 3), load<u8>(bits + (i >> 3)) | (<u32>1 << (i & 7)));
}

/** The block queued at `entry` is not compiled (never, or until its code is written: count = 0). */
export function jitReject(entry: u32, never: bool): void {
  const m = JIT_MAP + (entry << 3);
  if (load<u32>(m, 4) == 0 && load<u32>(m) == 0xffff_fffe) store<u32>(m, never ? JIT_NEVER : 0);
}

/**
 * Adds to the queue the blocks of decode slot `slot` (0-based) that ran at least `min` times but
 * are not hot yet (machine/jit/jit.ts: compiled in the same module as the hot blocks of their page,
 * since a module costs far more than a function). Returns how many were queued.
 */
export function jitQueueWarm(slot: u32, min: u32): u32 {
  const ppn1 = load<u32>(SLOT_PPN + (slot << 2));
  if (ppn1 == 0 || load<u8>(JIT_SLOT_HAS + slot) == 0) return 0;
  const ram = RAM_HOST + ((ppn1 - 1) << 12);
  let n: u32 = 0;
  for (let i: u32 = 0; i < 1024; i++) {
    const m = JIT_MAP + (((slot << 10) + i) << 3);
    const lo = load<u32>(m);
    if (load<u32>(m, 4) != 0 || lo < min || lo >= JIT_QUEUED) continue;
    if (load<u32>(JIT_QUEUE) >= JIT_QUEUE_CAP) break; // (a full queue would mark the block NEVER)
    if (!jitQueue(DECODE_BASE + (((slot << 10) + i) << 4), ram)) break;
    n++;
  }
  return n;
}

/** Empties the queue (after TypeScript took its entries). */
export function jitQueueClear(): void { store<u32>(JIT_QUEUE, 0); }

/** Linear-memory address of decode entry `entry` (its 16-byte decoded op). */
export function jitEntryAddr(entry: u32): u32 { return DECODE_BASE + (entry << 4); }

export function jitFlush(): void { jitDropAll(); store<u32>(JIT_QUEUE, 0); }
