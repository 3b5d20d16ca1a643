// The compiled tier's per-op map (jit-layout.ts JIT_MAP) and its invalidation. Compiled blocks are
// keyed by the decode entry of their first instruction, i.e. by physical code location: a block is a
// pure function of the instruction words of its page (every PC-relative value is computed from the
// PC it is entered at, every translation, EL or system-register dependence is read at run time),
// so it stays valid exactly as long as the decoded ops it was compiled from: it is dropped where the
// decode cache drops ops (codecache.ts: a store over them, the slot reused for another page).
import { DECODE_BASE } from '../layout';
import { JIT_MAP, JIT_PARAMS, JIT_SLOT_HAS, JIT_XCOVER, JP_INVALIDATIONS } from './jit-layout';

/** Longest block in instructions (a write can only hit blocks starting up to this far before it). */
export const JIT_MAX_LEN: u32 = 64;

/** Bumped whenever a compiled block is dropped: a block running then stops at its next helper call. */
export let jitEpoch: u32 = 0;

@inline export function jitMapAddr(e: u32): u32 { return JIT_MAP + ((e - DECODE_BASE) >> 1); }

function dropped(): void {
  jitEpoch++;
  store<u64>(JIT_PARAMS + JP_INVALIDATIONS, load<u64>(JIT_PARAMS + JP_INVALIDATIONS) + 1);
}

/** Decode slot `slot` (0-based) is reused for another page or flushed: forget all its blocks. */
export function jitSlotDrop(slot: u32): void {
  if (load<u8>(JIT_SLOT_HAS + slot) == 0) return;
  store<u8>(JIT_SLOT_HAS + slot, 0);
  memory.fill(JIT_MAP + (slot << 13), 0, 8192);
  memory.fill(JIT_XCOVER + (slot << 7), 0, 128);
  dropped();
}

/** Some op first..last (inclusive) of slot `slot` is compiled into a region's further range. */
function xcovered(slot: u32, first: u32, last: u32): bool {
  const bits = JIT_XCOVER + (slot << 7);
  for (let i = first; i <= last; i++) if ((load<u8>(bits + (i >> 3)) & (1 << (i & 7))) != 0) return true;
  return false;
}

/**
 * Ops first..last (indices within the page, inclusive) of decode slot `slot` were overwritten:
 * drop every block that covers one of them, and the counts / queue marks of blocks starting there.
 */
export function jitCodeWritten(slot: u32, first: u32, last: u32): void {
  if (load<u8>(JIT_SLOT_HAS + slot) == 0) return;
  if (xcovered(slot, first, last)) { jitSlotDrop(slot); return; } // rare: code written under a region
  const base = JIT_MAP + (slot << 13);
  const from = first >= JIT_MAX_LEN ? first - JIT_MAX_LEN + 1 : 0;
  let any = false;
  for (let i = from; i <= last; i++) {
    const m = base + (i << 3);
    const len = load<u32>(m, 4);
    if (len != 0) {
      if (i + len > first) { store<u64>(m, 0); any = true; }
    } else if (i >= first && load<u32>(m) != 0) {
      store<u64>(m, 0);
    }
  }
  if (any) dropped();
}

/** Forgets every block (TypeScript reuses the table slots after this). */
export function jitDropAll(): void {
  memory.fill(JIT_MAP, 0, 0x0080_0000);
  memory.fill(JIT_SLOT_HAS, 0, 1024);
  memory.fill(JIT_XCOVER, 0, 1024 << 7);
  dropped();
}
