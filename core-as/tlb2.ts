// The tagged translation caches behind the fast TLB (tlb.ts), in linear memory: one region per CPU
// (smp/percpu.ts tlbImage), the running CPU's selected by tlb2SetBase, so a CPU switch moves a base
// instead of copying the cache (nothing allocated; TLB2_BYTES per region):
//
//   MAIN  combined stage 1 (+ stage 2) translations, one 4 KiB page per entry, tagged by regime
//         kind, VMID and ASID (or global): 4096 sets x 2 ways x 32 bytes.
//   S2C   the stage-2 walk cache (QEMU's Stage2 mmu index in target/arm/ptw.c): IPA page → PA page
//         with the stage-2 permissions, tagged by VMID; used for the descriptor fetches of nested
//         stage-1 walks and for the final IPA of every stage 1+2 translation. 8192 x 16 bytes.
//   GENS  generation counters: an entry is live only while the counters it was filled under are
//         unchanged, so invalidation by VMID (VMALLE1, VMALLS12E1), by ASID (ASIDE1) or of a whole
//         regime (ALLE1, ALLE2) is O(1). Counters are selected by a hash of the VMID / ASID; a
//         collision only over-invalidates, which the architecture always permits.
//
// Entries of one VMID never serve another: the VMID is part of every tag. Invalidation by address
// (TLBI VA*, IPAS2*) looks up the set; when the address falls in the range of VAs/IPAs ever
// mapped by a block descriptor, every entry derived from that block is found by a scan instead.

export const KIND_EL10_S1: u32 = 0; // EL1&0 regime, stage 2 disabled
export const KIND_EL10_S12: u32 = 1; // EL1&0 regime, stage 1 + stage 2
export const KIND_EL2: u32 = 2; // EL2 regime (non-VHE: no ASID, all entries global)

// MAIN entry (32 bytes):
//   +0  u64 tag   = VMID << 48 | VA[55:12] << 4 | kind << 1 | 1
//   +8  u64 data  = PA[47:12] | flags (bits 11:0, below)
//   +16 u32 generation of the VMID slot at fill time
//   +20 u32 generation of the ASID slot at fill time (non-global entries)
//   +24 u16 ASID
//   +26 u16 VMID slot (index of the generation counter of +16)
const MAIN_SETS: u32 = 4096;
const MAIN_BYTES: u32 = MAIN_SETS * 64;
export const M_TAG: u32 = 0;
export const M_DATA: u32 = 8;
const M_VMGEN: u32 = 16;
const M_ASIDGEN: u32 = 20;
const M_ASID: u32 = 24;
const M_SLOT: u32 = 26; // u16 VMID slot of the generation at +16 (VMGEN index)

// Flags in the low bits of MAIN data.
export const F_PERMS: u64 = 0x3f; // combined permissions, S1P_* layout (walk.ts)
export const F_GLOBAL: u64 = 0x40; // nG == 0
export const F_PAN: u64 = 0x80; // stage 1 gives EL0 read or write access (PSTATE.PAN applies)
export const F_LEVEL_SHIFT: u32 = 8; // bits 9:8 stage-1 leaf level
export const F_DEVICE: u64 = 0x400; // Device memory at stage 1 or stage 2 (alignment checks)
export const PAGE_BITS: u64 = 0x0000_ffff_ffff_f000;

// S2C entry (16 bytes):
//   +0 u64 tag  = VMID << 48 | IPA[47:12] << 4 | 1
//   +8 u64 data = gen16 << 48 | PA[47:12] | level << 8 | device << 6 | permissions (bits 5:0, in
//                 the layout of stage-1 permissions, S1P_* in walk.ts: R → R0|R1, W → W0|W1, and
//                 X0/X1 by XN, so that the combined permissions of both stages are a bitwise AND)
const O_S2C: u32 = MAIN_BYTES;
const S2C_ENTRIES: u32 = 8192;
const S2C_BYTES: u32 = S2C_ENTRIES * 16;
export const S2D_PERMS: u64 = 0x3f;
export const S2D_DEVICE: u64 = 0x40;
export const S2D_LEVEL_SHIFT: u32 = 8;
export const S2D_LEVEL_BITS: u64 = 0x300;
export const S2C_GEN_MASK: u64 = 0xffff_0000_0000_0000;

// Generations.
const O_GENS: u32 = O_S2C + S2C_BYTES;
const O_VMGEN: u32 = O_GENS; // u32[257]: VMID slots (VMID & 255) of the EL1&0 regime; 256 = EL2 regime
const EL2_SLOT: u32 = 256;
const O_S2GEN: u32 = O_GENS + 0x800; // u32[256]: stage-2 walk cache, by VMID & 255 (16 bits used)
const O_ASIDGEN: u32 = O_GENS + 0xc00; // u32[4096]: by hash(VMID, ASID)
const ASID_SLOTS: u32 = 4096;
const GENS_BYTES: u32 = 0xc00 + ASID_SLOTS * 4;
// Fill flags: a slot's flag is 0 when nothing was entered under its current generation (so the
// cache holds no live entry of the slot, and a lookup can miss at once); 1 otherwise.
const O_VMFILL: u32 = O_GENS + GENS_BYTES; // u8[257], by VMID slot as VMGEN
const O_S2FILL: u32 = O_VMFILL + 0x200; // u8[256], by VMID slot as S2GEN
// Page ranges that block-derived entries may cover, per stage-1 regime (BLK_EL10 VA[55] = 0,
// BLK_EL10HI VA[55] = 1, BLK_EL2): u32 count, u32 flags (BLK_HUGE), then BLK_RANGES x (u64 lo,
// u64 hi). A zero header is no range, so clearing the cache clears them. BLK_S2: the stage-2 walk
// cache's one range, u64 lo and u64 end (exclusive; end <= lo: none).
const O_BLK: u32 = O_S2FILL + 0x100;
const BLK_RANGES: u32 = 8;
const BLK_HUGE: u32 = 1; // a block larger than 2 MiB (level 0 or 1) was entered
const BLK_BYTES: u32 = 8 + BLK_RANGES * 16;
const O_BLK_S2: u32 = O_BLK + 3 * BLK_BYTES;
/** Bytes of one CPU's cache region. */
export const TLB2_BYTES: u32 = O_BLK_S2 + 16;

// The running CPU's region (tlb2SetBase).
let MAIN: u32 = 0;
let S2C: u32 = O_S2C;
let VMGEN: u32 = O_VMGEN;
let S2GEN: u32 = O_S2GEN;
let ASIDGEN: u32 = O_ASIDGEN;
let VMFILL: u32 = O_VMFILL;
let S2FILL: u32 = O_S2FILL;
let BLK: u32 = O_BLK;
let BLK_EL10: u32 = O_BLK;
let BLK_EL10HI: u32 = O_BLK + BLK_BYTES;
let BLK_EL2: u32 = O_BLK + 2 * BLK_BYTES;
let BLK_S2: u32 = O_BLK_S2;
let TLB2_END: u32 = TLB2_BYTES;

/**
 * Makes the region at `base` (TLB2_BYTES) the running CPU's cache. The caller then recomputes the
 * translation context (context.ts contextChanged: tlb2SetContext, walk.ts walkSetVmid), which hold
 * addresses inside it.
 */
export function tlb2SetBase(base: u32): void {
  MAIN = base;
  S2C = base + O_S2C;
  VMGEN = base + O_VMGEN;
  S2GEN = base + O_S2GEN;
  ASIDGEN = base + O_ASIDGEN;
  VMFILL = base + O_VMFILL;
  S2FILL = base + O_S2FILL;
  BLK = base + O_BLK;
  BLK_EL10 = BLK;
  BLK_EL10HI = BLK + BLK_BYTES;
  BLK_EL2 = BLK + 2 * BLK_BYTES;
  BLK_S2 = base + O_BLK_S2;
  TLB2_END = base + TLB2_BYTES;
}

export const VPN_MASK: u64 = 0x0000_0fff_ffff_ffff; // VA[55:12] as a page number
export const IPN_MASK: u64 = 0x0000_000f_ffff_ffff; // IPA[47:12] as a page number

// Ranges (in page numbers) that block-derived entries may cover; reset when the regime is flushed.
// The stage-1 regimes keep up to BLK_RANGES disjoint ranges each (BLK above), and the EL1&0 regime
// one set per VA half (TTBR0, TTBR1: VA[55]), so that a kernel's block mappings (the linear map,
// the kernel image) do not make every TLBI of a user, vmalloc or fixmap page scan the whole cache.
// The stage-2 walk cache keeps one range (BLK_S2).
const VPN_HI: u64 = <u64>1 << 43; // VA[55] in a page number

// Statistics (for tests and benchmarks): hits and misses of MAIN and S2C.
export let statMainHit: u32 = 0;
export let statMainMiss: u32 = 0;
export let statS2Hit: u32 = 0;
export let statS2Miss: u32 = 0;
export function resetStats(): void { statMainHit = 0; statMainMiss = 0; statS2Hit = 0; statS2Miss = 0; }

@inline function mainSet(vpn: u64, vmid: u32): u32 {
  const v = <u32>vpn ^ <u32>(vpn >> 12) ^ <u32>(vpn >> 27);
  return MAIN + (((v ^ (vmid * 0x9e5)) & (MAIN_SETS - 1)) << 6);
}
@inline function vmSlot(kind: u32, vmid: u32): u32 {
  return kind == KIND_EL2 ? EL2_SLOT : vmid & 255;
}
@inline function asidSlot(vmid: u32, asid: u32): u32 {
  return (asid ^ (vmid * 0x3b)) & (ASID_SLOTS - 1);
}
@inline function mainTag(kind: u32, vmid: u32, vpn: u64): u64 {
  return (<u64>vmid << 48) | (vpn << 4) | (<u64>kind << 1) | 1;
}

/** Entry of MAIN translating page vpn (VA[55:12]) for (kind, vmid, asid), or 0. */
@inline export function tlb2Lookup(kind: u32, vmid: u32, asid: u32, vpn: u64): u32 {
  if (load<u8>(VMFILL + vmSlot(kind, vmid)) == 0) { statMainMiss++; return 0; } // nothing live of the slot
  const tag = mainTag(kind, vmid, vpn);
  const vg = load<u32>(VMGEN + (vmSlot(kind, vmid) << 2));
  const e = mainSet(vpn, vmid);
  if (mainHit(e, tag, vg, vmid, asid)) { statMainHit++; return e; }
  if (mainHit(e + 32, tag, vg, vmid, asid)) { statMainHit++; return e + 32; }
  statMainMiss++;
  return 0;
}

@inline function mainHit(e: u32, tag: u64, vg: u32, vmid: u32, asid: u32): bool {
  if (load<u64>(e, M_TAG) != tag || load<u32>(e, M_VMGEN) != vg) return false;
  if ((load<u64>(e, M_DATA) & F_GLOBAL) != 0) return true;
  return <u32>load<u16>(e, M_ASID) == asid && load<u32>(e, M_ASIDGEN) == load<u32>(ASIDGEN + (asidSlot(vmid, asid) << 2));
}

// The EL1&0 translation context of translate() (mmu.ts sets it with its context): the parts of
// tags, sets and generation slots that do not depend on the page, computed once.
let cxKind: u32 = 0;
let cxTag: u64 = 0; // mainTag(kind, vmid, 0)
let cxSet: u32 = 0; // the VMID's share of the set index
let cxAsid: u32 = 0;
let cxVmGen: u32 = VMGEN; // address of the VMID slot's generation
let cxVmFill: u32 = VMFILL; // address of its fill flag
let cxSlot: u32 = 0; // the VMID slot
let cxAsidGen: u32 = ASIDGEN; // address of the (VMID, ASID) slot's generation

/** Sets the context of tlb2LookupCx / tlb2InsertCx. */
export function tlb2SetContext(kind: u32, vmid: u32, asid: u32): void {
  cxKind = kind;
  cxTag = mainTag(kind, vmid, 0);
  cxSet = vmid * 0x9e5;
  cxAsid = asid;
  cxVmGen = VMGEN + (vmSlot(kind, vmid) << 2);
  cxVmFill = VMFILL + vmSlot(kind, vmid);
  cxSlot = vmSlot(kind, vmid);
  cxAsidGen = ASIDGEN + (asidSlot(vmid, asid) << 2);
}

@inline function mainSetCx(vpn: u64): u32 {
  const v = <u32>vpn ^ <u32>(vpn >> 12) ^ <u32>(vpn >> 27);
  return MAIN + (((v ^ cxSet) & (MAIN_SETS - 1)) << 6);
}

@inline function mainHitCx(e: u32, tag: u64, vg: u32): bool {
  if (((load<u64>(e, M_TAG) ^ tag) | <u64>(load<u32>(e, M_VMGEN) ^ vg)) != 0) return false;
  if ((load<u64>(e, M_DATA) & F_GLOBAL) != 0) return true;
  return ((<u32>load<u16>(e, M_ASID) ^ cxAsid) | (load<u32>(e, M_ASIDGEN) ^ load<u32>(cxAsidGen))) == 0;
}

/** tlb2Lookup in the context of tlb2SetContext (inline in translate()). */
@inline export function tlb2LookupCx(vpn: u64): u32 {
  if (load<u8>(cxVmFill) == 0) { statMainMiss++; return 0; } // nothing live of this VMID slot
  const tag = cxTag | (vpn << 4);
  const vg = load<u32>(cxVmGen);
  const e = mainSetCx(vpn);
  if (mainHitCx(e, tag, vg)) { statMainHit++; return e; }
  if (mainHitCx(e + 32, tag, vg)) { statMainHit++; return e + 32; }
  statMainMiss++;
  return 0;
}

/** tlb2Insert in the context of tlb2SetContext. */
export function tlb2InsertCx(vpn: u64, data: u64): void {
  insertAt(mainSetCx(vpn), cxTag | (vpn << 4), cxAsid, data, cxVmFill, cxVmGen, cxAsidGen, cxSlot, cxKind, vpn);
}

/**
 * Enters a translation (after a lookup miss); data = PA page | flags. Way 0 is replaced in place
 * when it is free or stale (another generation of its VMID slot) or holds the same translation (a
 * refill); else it moves to way 1.
 */
export function tlb2Insert(kind: u32, vmid: u32, asid: u32, vpn: u64, data: u64): void {
  const slot = vmSlot(kind, vmid);
  insertAt(mainSet(vpn, vmid), mainTag(kind, vmid, vpn), asid, data, VMFILL + slot, VMGEN + (slot << 2),
    ASIDGEN + (asidSlot(vmid, asid) << 2), slot, kind, vpn);
}

/** The insert at set e: tag, data, and the generations (at their addresses) of its VMID slot and ASID. */
@inline function insertAt(
  e: u32, tag: u64, asid: u32, data: u64, vmFill: u32, vmGen: u32, asidGen: u32, slot: u32, kind: u32, vpn: u64,
): void {
  const t0 = load<u64>(e, M_TAG);
  const live = (t0 & 1) != 0 && load<u32>(e, M_VMGEN) == load<u32>(VMGEN + (<u32>load<u16>(e, M_SLOT) << 2));
  if (live && (t0 != tag || <u32>load<u16>(e, M_ASID) != asid)) { // demote way 0 to way 1
    store<u64>(e, t0, 32);
    store<u64>(e, load<u64>(e, 8), 40);
    store<u64>(e, load<u64>(e, 16), 48);
    store<u64>(e, load<u64>(e, 24), 56);
  }
  store<u64>(e, tag, M_TAG);
  store<u64>(e, data, M_DATA);
  store<u8>(vmFill, 1);
  store<u32>(e, load<u32>(vmGen), M_VMGEN);
  store<u32>(e, load<u32>(asidGen), M_ASIDGEN);
  store<u16>(e, <u16>asid, M_ASID);
  store<u16>(e, <u16>slot, M_SLOT);
  if ((data & (3 << F_LEVEL_SHIFT)) != (3 << F_LEVEL_SHIFT)) noteBlock(kind, vpn, data);
}

/** Remembers the page range covered by a block entry (data level < 3), for invalidateVa. */
function noteBlock(kind: u32, vpn: u64, data: u64): void {
  const level = <u32>(data >> F_LEVEL_SHIFT) & 3;
  const span: u64 = (<u64>1 << (9 * (3 - level))) - 1;
  const b = kind == KIND_EL2 ? BLK_EL2 : (vpn & VPN_HI) != 0 ? BLK_EL10HI : BLK_EL10;
  if (level < 2) store<u32>(b, load<u32>(b, 4) | BLK_HUGE, 4);
  blkAdd(b, vpn & ~span, vpn | span);
}

/**
 * Adds [lo, hi] to the ranges at b: into a range it overlaps or touches (then any other range the
 * grown one now meets is merged into it), else as a new range, else (all BLK_RANGES in use) into
 * the range nearest to it. Ranges only grow: a superset of the pages block entries cover, which is
 * all invalidateVa needs.
 */
function blkAdd(b: u32, lo: u64, hi: u64): void {
  const n = load<u32>(b);
  let best: u32 = 0, bestGap: u64 = u64.MAX_VALUE;
  for (let i: u32 = 0; i < n; i++) {
    const r = b + 8 + (i << 4);
    const rlo = load<u64>(r), rhi = load<u64>(r, 8);
    if (lo <= rhi + 1 && hi + 1 >= rlo) { // overlaps or touches
      if (lo >= rlo && hi <= rhi) return;
      blkGrow(b, i, lo, hi);
      return;
    }
    const gap = lo > rhi ? lo - rhi : rlo - hi;
    if (gap < bestGap) { bestGap = gap; best = i; }
  }
  if (n < BLK_RANGES) {
    const r = b + 8 + (n << 4);
    store<u64>(r, lo); store<u64>(r, hi, 8);
    store<u32>(b, n + 1);
    return;
  }
  blkGrow(b, best, lo, hi);
}

/** Grows range i of b to cover [lo, hi] and folds into it every other range it then meets. */
function blkGrow(b: u32, i: u32, lo: u64, hi: u64): void {
  const r = b + 8 + (i << 4);
  let glo = min<u64>(lo, load<u64>(r)), ghi = max<u64>(hi, load<u64>(r, 8));
  let n = load<u32>(b);
  let j: u32 = 0;
  while (j < n) {
    const q = b + 8 + (j << 4);
    if (j != i && glo <= load<u64>(q, 8) + 1 && ghi + 1 >= load<u64>(q)) {
      glo = min<u64>(glo, load<u64>(q)); ghi = max<u64>(ghi, load<u64>(q, 8));
      // remove range j: the last one takes its place (restart the scan, i may have moved)
      n--;
      const last = b + 8 + (n << 4);
      if (n == i) i = j;
      store<u64>(q, load<u64>(last)); store<u64>(q, load<u64>(last, 8), 8);
      j = 0;
      continue;
    }
    j++;
  }
  store<u32>(b, n);
  const g = b + 8 + (i << 4);
  store<u64>(g, glo); store<u64>(g, ghi, 8);
}

@inline function blkHas(b: u32, vpn: u64): bool {
  const n = load<u32>(b);
  for (let i: u32 = 0; i < n; i++) {
    const r = b + 8 + (i << 4);
    if (vpn >= load<u64>(r) && vpn <= load<u64>(r, 8)) return true;
  }
  return false;
}

// --- Stage-2 walk cache ------------------------------------------------------------------------

@inline function s2Index(vmid: u32, ipn: u64): u32 { return s2cSlotH(s2cVmidHash(vmid), ipn); }
@inline function s2Tag(vmid: u32, ipn: u64): u64 { return s2cVmidTag(vmid) | (ipn << 4); }

// For callers that probe and fill the S2C inline (walk.ts): with vh = s2cVmidHash(vmid), the slot of
// IPA page ipn is s2cSlotH(vh, ipn); it holds the tag s2cVmidTag(vmid) | ipn << 4 and the data word
// with s2cGen(vmid) << 48 (S2C_GEN_MASK) when live. Fills of block entries call s2cNoteBlock.
@inline export function s2cVmidHash(vmid: u32): u32 { return vmid * 0x2d1; }
@inline export function s2cVmidTag(vmid: u32): u64 { return (<u64>vmid << 48) | 1; }
@inline export function s2cSlotH(vh: u32, ipn: u64): u32 {
  // IPA[37:12] folded (IPAs 256 GiB apart share a slot: rare, and only costs a miss)
  return S2C + (((<u32>ipn ^ <u32>(ipn >> 13) ^ vh) & (S2C_ENTRIES - 1)) << 4);
}
/** Current generation of vmid's S2C entries, as kept in bits 63:48 of their data. */
@inline export function s2cGen(vmid: u32): u64 { return <u64>load<u32>(S2GEN + ((vmid & 255) << 2)) & 0xffff; }
/** The fill flag of vmid's S2C entries (0: none entered under the current generation). */
@inline export function s2cFillAddr(vmid: u32): u32 { return S2FILL + (vmid & 255); }
/** Where that generation is kept (a u32 of which the low 16 bits are used). */
@inline export function s2cGenAddr(vmid: u32): u32 { return S2GEN + ((vmid & 255) << 2); }
/** Statistics of inline lookups. */
@inline export function s2cCountHit(): void { statS2Hit++; }
@inline export function s2cCountMiss(): void { statS2Miss++; }
/** Records that IPA page ipn was entered from a block (data word w, level < 3): IPAS2E1 scans. */
export function s2cNoteBlock(ipn: u64, w: u64): void {
  const level = <u32>(w >> S2D_LEVEL_SHIFT) & 3;
  const span: u64 = (<u64>1 << (9 * (3 - level))) - 1;
  const lo = ipn & ~span, end = (ipn | span) + 1;
  const rlo = load<u64>(BLK_S2), rend = load<u64>(BLK_S2, 8);
  if (rend <= rlo) { store<u64>(BLK_S2, lo); store<u64>(BLK_S2, end, 8); return; }
  if (lo < rlo) store<u64>(BLK_S2, lo);
  if (end > rend) store<u64>(BLK_S2, end, 8);
}

/** Data word of the S2C entry for IPA page ipn of vmid, or 0 when absent. */
export function s2cLookup(vmid: u32, ipn: u64): u64 {
  const e = s2Index(vmid, ipn);
  if (load<u64>(e) == s2Tag(vmid, ipn)) {
    const d = load<u64>(e, 8);
    if ((d >> 48) == (<u64>load<u32>(S2GEN + ((vmid & 255) << 2)) & 0xffff)) { statS2Hit++; return d; }
  }
  statS2Miss++;
  return 0;
}

/** Enters a stage-2 translation: data = PA page | flags (see S2C entry above). */
export function s2cInsert(vmid: u32, ipn: u64, data: u64): void {
  const e = s2Index(vmid, ipn);
  store<u64>(e, s2Tag(vmid, ipn));
  store<u64>(e, data | (s2cGen(vmid) << 48), 8);
  store<u8>(S2FILL + (vmid & 255), 1);
  if ((data & S2D_LEVEL_BITS) != (3 << S2D_LEVEL_SHIFT)) s2cNoteBlock(ipn, data);
}

// --- Invalidation -------------------------------------------------------------------------------

/** Clears everything (reset, or the host rewrote page tables wholesale). */
export function tlb2Clear(): void {
  memory.fill(MAIN, 0, TLB2_BYTES); // (and the block ranges)
}

function bumpVm(slot: u32): void {
  store<u8>(VMFILL + slot, 0);
  const a = VMGEN + (slot << 2);
  const g = load<u32>(a) + 1;
  if (g == 0) { // wrapped: no entry may survive with a reused generation
    memory.fill(MAIN, 0, MAIN_BYTES);
    store<u32>(a, 1);
    return;
  }
  store<u32>(a, g);
}

function bumpS2(slot: u32): void {
  store<u8>(S2FILL + slot, 0);
  const a = S2GEN + (slot << 2);
  const g = (load<u32>(a) + 1) & 0xffff;
  if (g == 0) {
    memory.fill(S2C, 0, S2C_BYTES);
    store<u32>(a, 1);
    return;
  }
  store<u32>(a, g);
}

/** All stage-1 (and combined) EL1&0 entries of vmid: TLBI VMALLE1. */
export function invalidateVmidS1(vmid: u32): void { bumpVm(vmid & 255); }

/** Stage-1, combined and stage-2 entries of vmid: TLBI VMALLS12E1. */
export function invalidateVmidS12(vmid: u32): void {
  // (a slot whose fill flag is clear holds no live entry: nothing to invalidate, no generation spent)
  const s = vmid & 255;
  if (load<u8>(VMFILL + s) != 0) bumpVm(s);
  if (load<u8>(S2FILL + s) != 0) bumpS2(s);
}

/** Non-global EL1&0 entries of (vmid, asid): TLBI ASIDE1. */
export function invalidateAsid(vmid: u32, asid: u32): void {
  const a = ASIDGEN + (asidSlot(vmid, asid) << 2);
  const g = load<u32>(a) + 1;
  if (g == 0) { memory.fill(MAIN, 0, MAIN_BYTES); store<u32>(a, 1); return; }
  store<u32>(a, g);
}

/** Every EL1&0 entry of every VMID, stage 1 and stage 2: TLBI ALLE1. */
export function invalidateAllEL10(): void {
  for (let i: u32 = 0; i < 256; i++) { bumpVm(i); bumpS2(i); }
  store<u64>(BLK_EL10, 0);
  store<u64>(BLK_EL10HI, 0);
  store<u64>(BLK_S2, 0); store<u64>(BLK_S2, 0, 8);
}

/** Every EL2-regime entry: TLBI ALLE2. */
export function invalidateAllEL2(): void {
  bumpVm(EL2_SLOT);
  store<u64>(BLK_EL2, 0);
}

/** True when page vpn of the regime (EL2 or EL1&0) may be covered by a block-derived entry. */
export function vaInBlockRange(el2: bool, vpn: u64): bool {
  return blkHas(el2 ? BLK_EL2 : (vpn & VPN_HI) != 0 ? BLK_EL10HI : BLK_EL10, vpn);
}

@inline function matchAsid(e: u32, asid: u32, anyAsid: bool): bool {
  return anyAsid || (load<u64>(e, M_DATA) & F_GLOBAL) != 0 || <u32>load<u16>(e, M_ASID) == asid;
}

/**
 * Invalidates the entries translating VA page vpn: TLBI VAE1/VALE1 (anyAsid false: entries of
 * `asid` and global ones), VAAE1/VAALE1 (anyAsid true), VAE2/VALE2 (el2). Entries from a block
 * containing the page are found too. Returns true when block entries may have been involved (the
 * caller then drops the whole fast TLB of the regime, which is indexed by page).
 */
export function invalidateVa(el2: bool, vmid: u32, asid: u32, vpn: u64, anyAsid: bool): bool {
  const b = el2 ? BLK_EL2 : (vpn & VPN_HI) != 0 ? BLK_EL10HI : BLK_EL10;
  if (blkHas(b, vpn)) {
    if ((load<u32>(b, 4) & BLK_HUGE) == 0) {
      // Only 2 MiB blocks (level 2) were entered: an entry derived from the block holding vpn is
      // one of the 512 pages of its 2 MiB-aligned region, each in its own set.
      const base = vpn & ~<u64>511;
      for (let k: u64 = 0; k < 512; k++) invalidatePage(el2, vmid, asid, base | k, anyAsid, base + k != vpn);
      return true;
    }
    for (let e = MAIN; e < MAIN + MAIN_BYTES; e += 32) {
      const tag = load<u64>(e, M_TAG);
      if ((tag & 1) == 0) continue;
      const kind = <u32>(tag >> 1) & 3;
      if (el2 ? kind != KIND_EL2 : (kind == KIND_EL2 || <u32>(tag >> 48) != vmid)) continue;
      const level = <u32>(load<u64>(e, M_DATA) >> F_LEVEL_SHIFT) & 3;
      const ev = (tag >> 4) & VPN_MASK;
      if (((ev ^ vpn) >> (9 * (3 - level))) != 0) continue;
      if (!el2 && !matchAsid(e, asid, anyAsid)) continue;
      store<u64>(e, 0, M_TAG);
    }
    return true;
  }
  invalidatePage(el2, vmid, asid, vpn, anyAsid, false);
  return false;
}

/** The entries of MAIN for page vpn of the regime (only block-derived ones when blocksOnly). */
@inline function invalidatePage(el2: bool, vmid: u32, asid: u32, vpn: u64, anyAsid: bool, blocksOnly: bool): void {
  const e0 = mainSet(vpn, el2 ? 0 : vmid);
  for (let w: u32 = 0; w < 2; w++) {
    const e = e0 + (w << 5);
    const tag = load<u64>(e, M_TAG);
    if (el2) {
      if (tag != mainTag(KIND_EL2, 0, vpn)) continue;
    } else if (tag != mainTag(KIND_EL10_S1, vmid, vpn) && tag != mainTag(KIND_EL10_S12, vmid, vpn)) {
      continue;
    } else if (!matchAsid(e, asid, anyAsid)) {
      continue;
    }
    if (blocksOnly && ((load<u64>(e, M_DATA) >> F_LEVEL_SHIFT) & 3) == 3) continue;
    store<u64>(e, 0, M_TAG);
  }
}

/** Stage-2 walk cache entries of vmid translating IPA page ipn (TLBI IPAS2E1/IPAS2LE1). */
export function invalidateIpa(vmid: u32, ipn: u64): void {
  if (ipn >= load<u64>(BLK_S2) && ipn < load<u64>(BLK_S2, 8)) {
    for (let e = S2C; e < S2C + S2C_BYTES; e += 16) {
      const tag = load<u64>(e);
      if ((tag & 1) == 0 || <u32>(tag >> 48) != vmid) continue;
      const level = <u32>(load<u64>(e, 8) >> S2D_LEVEL_SHIFT) & 3;
      if (((((tag >> 4) & IPN_MASK) ^ ipn) >> (9 * (3 - level))) == 0) store<u64>(e, 0);
    }
    return;
  }
  const e = s2Index(vmid, ipn);
  if (load<u64>(e) == s2Tag(vmid, ipn)) store<u64>(e, 0);
}

/** Stage-2 walk cache entries of vmid only (the hyp's flush of one VM's stage 2). */
export function invalidateVmidS2(vmid: u32): void { bumpS2(vmid & 255); }
