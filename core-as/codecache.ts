// Decoded-code cache: decode slots of 1024 ops (one 4 KiB physical page each), looked up by RAM page
// number through CODEMAP, replaced round-robin. Ops are decoded lazily on first execution; a store
// to a page with a slot zeroes the ops it overwrites so they are decoded again.
import { CODEMAP, DECODE_BASE, DECODE_SLOT_BYTES, DECODE_SLOTS, RAM_HOST, SLOT_PPN } from './layout';
import { tlbRevokeWrites } from './tlb';
import { fetchSlotIs, invalidateFetch } from './fetch';
import { jitCodeWritten, jitSlotDrop } from './jit/jit-map';

let nextSlot: u32 = 0;

@inline export function slotOfPpn(ppn: u32): u32 {
  return load<u32>(CODEMAP + (ppn << 2));
}

@inline export function slotBase(slot1: u32): u32 {
  return DECODE_BASE + (slot1 - 1) * DECODE_SLOT_BYTES;
}

/** Decode slot (1-based) for the RAM page at hostPage, allocating one if needed. */
export function slotForPage(hostPage: u32): u32 {
  const ppn = (hostPage - RAM_HOST) >> 12;
  let s = slotOfPpn(ppn);
  if (s != 0) return s;
  const slot = nextSlot;
  nextSlot = (nextSlot + 1) % DECODE_SLOTS;
  const oldPpn1 = load<u32>(SLOT_PPN + (slot << 2));
  if (oldPpn1 != 0) store<u32>(CODEMAP + ((oldPpn1 - 1) << 2), 0);
  s = slot + 1;
  if (fetchSlotIs(slotBase(s))) invalidateFetch();
  memory.fill(slotBase(s), 0, DECODE_SLOT_BYTES);
  jitSlotDrop(slot); // compiled blocks of the page that had this slot
  store<u32>(SLOT_PPN + (slot << 2), ppn + 1);
  store<u32>(CODEMAP + (ppn << 2), s);
  tlbRevokeWrites(); // stores to this page must now take the slow path
  return s;
}

/** The host page at hostPage has decoded code. */
@inline export function pageHasCode(hostPage: u32): bool {
  return slotOfPpn((hostPage - RAM_HOST) >> 12) != 0;
}

/** Zeroes the decoded ops covering [host, host + len) of RAM (host = linear-memory address). */
export function invalidateCode(host: u32, len: u32): void {
  let a = host & ~3;
  const end = host + len;
  while (a < end) {
    const s = slotOfPpn((a - RAM_HOST) >> 12);
    const pageEnd = (a & ~0xfff) + 0x1000;
    const stop = end < pageEnd ? end : pageEnd;
    if (s != 0) {
      const base = slotBase(s);
      for (let w = a; w < stop; w += 4) store<u64>(base + ((w & 0xffc) << 2), 0);
      jitCodeWritten(s - 1, (a & 0xffc) >> 2, ((stop - 1) & 0xffc) >> 2); // compiled blocks over them
    }
    a = pageEnd;
  }
}

/** Drops all decoded code (e.g. after the host rewrote RAM wholesale). */
export function invalidateAllCode(): void {
  for (let i: u32 = 0; i < DECODE_SLOTS; i++) {
    const p1 = load<u32>(SLOT_PPN + (i << 2));
    if (p1 != 0) store<u32>(CODEMAP + ((p1 - 1) << 2), 0);
    store<u32>(SLOT_PPN + (i << 2), 0);
  }
  invalidateFetch();
}
