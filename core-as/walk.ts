// VMSAv8-64 translation table walks with the 4 KiB granule (Arm ARM D8; pseudocode
// AArch64.S1Translate/S1Walk and AArch64.S2Translate/S2Walk; QEMU target/arm/ptw.c
// get_phys_addr_lpae). Descriptors are read straight from guest RAM in linear memory.
//
// The walkers report translation, address size, access flag and external-abort-on-walk faults
// (fault.ts) and return the output address; the permissions, attributes and level of the leaf are
// left in the w* globals (and s1Info), and the caller (mmu.ts, at.ts) applies the permission and
// alignment checks, so one walk serves loads, stores, fetches and AT alike.
//
// Stage 1 regimes: EL1&0 (two VA ranges, TTBR0/TTBR1_EL1, TCR_EL1, ASIDs) and EL2 (non-VHE: one
// range, TTBR0_EL2, TCR_EL2, AP[2] and XN only). Stage 2: VTTBR_EL2/VTCR_EL2 with concatenated
// tables at the start level. When stage 2 is enabled every stage-1 descriptor fetch of the EL1&0
// regime is itself translated by stage 2 (S1PTW faults).
//
// Speed (translate() calls walkS1Cached and s2FinalAfterS1 for every tagged-TLB miss of a guest
// under stage 2): the walk parameters of each regime are decoded once per register change, not per
// walk; the levels are unrolled; descriptors are read at host addresses computed in 32 bits, RAM
// checked once per table page; within one translation the stage-2 tables found by one walk are
// reused by the next (the memo: the descriptors leading to them were just read); the stage-2
// walk-cache probes and fills share their slot computation; per-walk constants live in globals
// (V8 folds them into instructions) and results in locals (a global read back after a write is a
// store-to-load on the dependent chain). A cold nested walk is a chain of dependent loads (each
// descriptor gives the next table's address, and each stage-1 table's IPA needs its stage-2
// descriptor first), so the walker shortens the chain with table hints: each stage-1 descriptor
// is loaded at once where the table is predicted to be (where the same table was last time, or
// laid out like it), and the final level-3 stage-2 descriptor from the level-3 table of the last
// final walk of the same 2 MiB, alongside the real stage-2 translation; an early load is used only
// when that translation gives the same place (rootFetch, nestedFetch, s2WalkI `predict`). The hot
// paths were tuned by instruction counts of V8's code (valgrind) and bench/walk.ts; the hints by
// the wall time of bench/walk.ts (+13-18% for a cold nested walk, +13% with the walk cache warm,
// for ~4% more instructions).
import {
  FAULT_ACCESS_FLAG, FAULT_ADDRESS_SIZE, FAULT_EXTERNAL_WALK, FAULT_PERMISSION, FAULT_TRANSLATION, setFault,
} from './fault';
import { ramSize } from './ram';
import {
  MAIR_EL1, MAIR_EL2, SCTLR_EL1, SCTLR_EL2, TCR_EL1, TCR_EL2, TTBR0_EL1, TTBR0_EL2, TTBR1_EL1, VTCR_EL2,
  VTTBR_EL2, srGet,
} from './sysregs';
import {
  S2C_GEN_MASK, S2D_DEVICE, S2D_LEVEL_BITS, S2D_LEVEL_SHIFT, s2cCountHit, s2cCountMiss, s2cGen, s2cNoteBlock, s2cSlotH,
  s2cVmidHash, s2cVmidTag, s2cGenAddr, s2cFillAddr,
} from './tlb2';
import { MMU_SCRATCH, RAM_BASE_PA, RAM_HOST } from './layout';

export const WALK_FAULT: u64 = <u64>-1;

export const REGIME_EL10: u32 = 0;
export const REGIME_EL2: u32 = 1;

// Stage-1 permissions (wPerms after walkS1): EL0 and EL1 read/write/execute. The EL2 regime uses
// the EL1 bits. PSTATE.PAN is applied by the caller from the EL0 bits.
export const S1P_R0: u32 = 1;
export const S1P_W0: u32 = 2;
export const S1P_X0: u32 = 4;
export const S1P_R1: u32 = 8;
export const S1P_W1: u32 = 16;
export const S1P_X1: u32 = 32;
export const S1P_ALL: u32 = 63;

// Stage-2 permissions (wPerms after walkS2): S2AP read/write, execute for EL0 and EL1 accesses
// (XN[54:53] with FEAT_XNX: 0b00 both, 0b01 EL0 only, 0b10 neither, 0b11 EL1 only).
export const S2P_R: u32 = 1;
export const S2P_W: u32 = 2;
export const S2P_X0: u32 = 4;
export const S2P_X1: u32 = 8;
export const S2P_ALL: u32 = 15;

/**
 * A translation granule other than 4 KiB (or a reserved TGx value) is, by the Arm ARM (TCR_EL1.TG0
 * and VTCR_EL2.TG0 field descriptions), treated as an IMPLEMENTATION DEFINED choice of an
 * implemented size; this core chooses 4 KiB, as QEMU does. Set to true to report a level 0
 * translation fault instead (useful to catch a guest built for 16K/64K pages).
 */
export const FAULT_ON_UNSUPPORTED_GRANULE = false;

/** Smallest and largest TxSZ for the 4 KiB granule without FEAT_LVA/FEAT_TTST. Outside: level 0
 *  translation fault (the IMPLEMENTATION DEFINED choice QEMU makes). */
const MIN_TXSZ: u32 = 16;
const MAX_TXSZ: u32 = 39;

const ADDR_47_12: u64 = 0x0000_ffff_ffff_f000;
const BADDR_47_1: u64 = 0x0000_ffff_ffff_fffe;
const AF: u64 = 1 << 10;
const S2AP_R: u64 = 1 << 6; // stage-2 read permission

// --- Results of the last successful walk ---
export let wLevel: i32 = 0; // level of the leaf (block or page) descriptor
export let wPerms: u32 = 0; // S1P_* or S2P_*
export let wGlobal: bool = true; // stage 1: nG == 0 (always true for EL2)
export let wPanSens: bool = false; // stage 1: EL0 has read or write access (PAN applies)
export let wAttr: u32 = 0; // stage 1: MAIR attribute byte; stage 2: MemAttr[3:0]
export let wSH: u32 = 0; // SH[1:0] of the leaf
export let wDevice: bool = false; // Device memory (stage 1 MAIR attr, or stage 2 MemAttr)

/** Output address size (bits) for a TCR.IPS / TCR_EL2.PS / VTCR.PS value, capped at PARange 48. */
@inline export function psBits(ps: u32): u32 {
  return ps == 0 ? 32 : ps == 1 ? 36 : ps == 2 ? 40 : ps == 3 ? 42 : ps == 4 ? 44 : 48;
}

function fault(type: u32, level: i32): u64 {
  setFault(type, level, false, false, 0);
  return WALK_FAULT;
}

function fault2(type: u32, level: i32, s1ptw: bool, ipa: u64): u64 {
  setFault(type, level, true, s1ptw, ipa);
  return WALK_FAULT;
}

// Descriptor fetches. Guest RAM is [RAM_BASE_PA, RAM_BASE_PA + ramSize) at RAM_HOST; the host
// address is computed in 32 bits (RAM is below 4 GiB of linear memory).
@inline function inRam(pa: u64): bool { return pa - RAM_BASE_PA < ramSize; }
@inline function rd(pa: u64): u64 { return load<u64>(hostOf(pa)); }
@inline function hostOf(pa: u64): u32 { return <u32>pa + (RAM_HOST - <u32>RAM_BASE_PA); }
/** True when the 4 KiB page at pa (page aligned) is RAM (a whole number of pages: machine/core.ts). */
@inline function ramPage(pa: u64): bool { return pa - RAM_BASE_PA < ramSize; }

/** Bits a table descriptor must have clear (output address bits [47:outBits]) and set ([1:0]),
 *  as one mask: a table descriptor with a valid output address satisfies (d & chk) == 3. */
@inline function tableCheck(outBits: u32): u64 {
  return ((ADDR_47_12 >> outBits) << outBits) | 3;
}

/** True when TGx (TG0 encoding for tg0 = true, else TG1 encoding) selects the 4 KiB granule. */
@inline function granule4K(tg: u32, tg0: bool): bool {
  return tg0 ? tg == 0 : tg == 2;
}

// Decoded stage-1 walk parameters of the three VA ranges (EL1&0 TTBR0, EL1&0 TTBR1, EL2 TTBR0),
// 64 bytes each at MMU_SCRATCH, and for each a 256-byte table of leaf permissions, decoded on first
// use after a translation-register change (walkParamsChanged(), called through contextChanged()).
const WP: u32 = MMU_SCRATCH; // 3 x 64 bytes of parameters, then 4 x 256 bytes of permissions
const WP_PERMS: u32 = MMU_SCRATCH + 0x100; // tables for EL1&0 / EL2 (x2) and WXN 0 / 1
const S2_FLAGS: u32 = MMU_SCRATCH + 0xc0; // 64 x u8: stage-2 leaf flags by s2FlagsIndex(d)
const WP_STATUS: u32 = 0; // u32: 0 ok, 1 level 0 translation fault, 2 level 0 address size fault
const WP_LEVEL0: u32 = 4; // i32 start level
const WP_SHIFT0: u32 = 8; // u32 VA shift of the start-level index
const WP_OUTBITS: u32 = 12; // u32 output address size
const WP_MASK0: u32 = 16; // u64 start-level index mask
const WP_BASE: u32 = 24; // u64 table base (TTBR.BADDR, aligned)
const WP_CHK: u32 = 32; // u64 tableCheck(output address size)
const WP_RMASK: u32 = 40; // u64 VA bits [top:inputsize] (top = 55 with TBI, else 63)
const WP_REXP: u32 = 48; // u64 their required value: zeros (TTBR0 range) or ones (TTBR1 range)
const WP_TBL: u32 = 56; // u32 address of the leaf permission table for the regime and WXN
let wpValid: u32 = 0; // bit r: range r decoded

export function walkParamsChanged(): void { wpValid = 0; }

/**
 * Permissions (S1P_*, and bit 6: EL0 may read, i.e. PSTATE.PAN applies) of a leaf with AP[2:1]
 * (ap: bit 0 = AP[1], bit 1 = AP[2]), PXN, UXN (XN at EL2) and the hierarchical table bits
 * (bit 0 PXNTable, 1 XNTable, 2 APTable[0], 3 APTable[1]).
 */
function leafPerms(ap: u32, pxnBit: u32, uxnBit: u32, table: u32, wxn: bool, el2: bool): u32 {
  if (el2) {
    // Non-VHE EL2: AP[1] is RES1 and ignored, PXN and APTable[0] and PXNTable are RES0.
    const ro = ((ap >> 1) | (table >> 3)) & 1;
    const xn = (uxnBit | (table >> 1)) & 1;
    let q: u32 = S1P_R1;
    if (!ro) q |= S1P_W1;
    if (!xn && !(wxn && !ro)) q |= S1P_X1;
    return q;
  }
  // AP[2:1] with APTable: APTable[0] removes EL0 access, APTable[1] makes read-only.
  if (table & 4) ap &= ~1;
  if (table & 8) ap |= 2;
  const uxn = (uxnBit | (table >> 1)) & 1;
  const pxn = (pxnBit | table) & 1;
  const el0r = (ap & 1) != 0;
  const ro = (ap & 2) != 0;
  const el0w = el0r && !ro;
  let q: u32 = S1P_R1;
  if (!ro) q |= S1P_W1;
  if (el0r) q |= S1P_R0 | 64;
  if (el0w) q |= S1P_W0;
  if (!uxn && !(wxn && el0w)) q |= S1P_X0;
  // EL1 never executes from a location EL0 can write (Arm ARM D8.4.1.2), nor with PXN, nor from a
  // writable location under SCTLR_EL1.WXN.
  if (!pxn && !el0w && !(wxn && !ro)) q |= S1P_X1;
  return q;
}

function decodeRange(r: u32): void {
  const p = WP + (r << 6);
  let tcr: u64, ttbr: u64, tsz: u32, tbi: u32, ps: u32, epd: u32 = 0, tg4k: bool, sctlr: u64;
  if (r == 2) {
    tcr = srGet(TCR_EL2);
    tsz = <u32>tcr & 63;
    tbi = <u32>(tcr >> 20) & 1;
    ps = <u32>(tcr >> 16) & 7;
    tg4k = granule4K(<u32>(tcr >> 14) & 3, true);
    ttbr = srGet(TTBR0_EL2);
    sctlr = srGet(SCTLR_EL2);
  } else {
    tcr = srGet(TCR_EL1);
    if (r == 1) {
      tsz = <u32>(tcr >> 16) & 63;
      tbi = <u32>(tcr >> 38) & 1;
      epd = <u32>(tcr >> 23) & 1;
      tg4k = granule4K(<u32>(tcr >> 30) & 3, false);
      ttbr = srGet(TTBR1_EL1);
    } else {
      tsz = <u32>tcr & 63;
      tbi = <u32>(tcr >> 37) & 1;
      epd = <u32>(tcr >> 7) & 1;
      tg4k = granule4K(<u32>(tcr >> 14) & 3, true);
      ttbr = srGet(TTBR0_EL1);
    }
    ps = <u32>(tcr >> 32) & 7;
    sctlr = srGet(SCTLR_EL1);
  }
  wpValid |= 1 << r;
  if (load<u8>(WP_PERMS) == 0) { // the four leaf permission tables, computed once (entry 0 is never 0)
    for (let t: u32 = 0; t < 4; t++) {
      for (let i: u32 = 0; i < 256; i++) {
        const q = leafPerms(i & 3, (i >> 2) & 1, (i >> 3) & 1, i >> 4, (t & 1) != 0, t >= 2);
        store<u8>(WP_PERMS + (t << 8) + i, <u8>((q & 63) | ((q & 64) << 1))); // PAN flag in bit 7 (S1I_PAN)
      }
    }
  }
  store<u32>(p, WP_PERMS + ((((r == 2 ? 2 : 0) | <u32>((sctlr >> 19) & 1))) << 8), WP_TBL);
  store<u32>(p, 1, WP_STATUS);
  if (FAULT_ON_UNSUPPORTED_GRANULE && !tg4k) return;
  if (tsz < MIN_TXSZ || tsz > MAX_TXSZ || epd != 0) return;
  const inputsize: u32 = 64 - tsz;
  const outBits = psBits(ps);
  const level: i32 = 4 - <i32>((inputsize - 4) / 9);
  const shift: u32 = 12 + 9 * <u32>(3 - level);
  const mask: u64 = (<u64>1 << (inputsize - shift)) - 1; // 1..9 index bits at the start level
  const base = ttbr & BADDR_47_1;
  const top: u32 = tbi ? 55 : 63;
  const rmask: u64 = (top == 63 ? <u64>-1 : (<u64>1 << (top + 1)) - 1) & ~((<u64>1 << inputsize) - 1);
  store<i32>(p, level, WP_LEVEL0);
  store<u32>(p, shift, WP_SHIFT0);
  store<u32>(p, outBits, WP_OUTBITS);
  store<u64>(p, mask, WP_MASK0);
  store<u64>(p, base & ~((mask << 3) | 7), WP_BASE);
  store<u64>(p, rmask, WP_RMASK);
  store<u64>(p, tableCheck(outBits), WP_CHK);
  store<u64>(p, r == 1 ? rmask : 0, WP_REXP);
  store<u32>(p, (base >> outBits) != 0 ? 2 : 0, WP_STATUS);
}

/**
 * Stage-1 walk of `va` in `regime`. `nested`: the EL1&0 regime with stage 2 enabled (descriptor
 * fetches are translated by stage 2, without the walk cache: translate() uses walkS1Cached).
 * Returns the output address (an IPA when nested, else a PA), the leaf in s1Info and the w*
 * globals; or WALK_FAULT with the fault recorded.
 */
export function walkS1(va: u64, regime: u32, nested: bool): u64 {
  return nested ? walkS1Nested(va) : walkS1Flat(va, regime);
}

// The walk parameters of a VA range: decoded on first use after a register change (decodeRange).
@inline function s1Params(va: u64, regime: u32): u32 {
  const r: u32 = regime == REGIME_EL2 ? 2 : <u32>(va >> 55) & 1;
  if ((wpValid & (1 << r)) == 0) decodeRange(r);
  return WP + (r << 6);
}

/** True when the walk of va with parameters p cannot start (s1StartFault reports the fault). */
@inline function s1CannotStart(va: u64, p: u32): bool {
  // AArch64.VAIsOutOfRange: VA[top:inputsize] all zeros (TTBR0 range) or all ones (TTBR1 range).
  return load<u32>(p, WP_STATUS) != 0 || (va & load<u64>(p, WP_RMASK)) != load<u64>(p, WP_REXP);
}

/** Stage 1 without stage 2 (the EL2 regime, or EL1&0 with stage 2 off): descriptors at their PA. */
function walkS1Flat(va: u64, regime: u32): u64 {
  const p = s1Params(va, regime);
  if (s1CannotStart(va, p)) return s1StartFault(va, p);
  let level = load<i32>(p, WP_LEVEL0);
  let shift = load<u32>(p, WP_SHIFT0);
  const chk = load<u64>(p, WP_CHK);
  let addr = load<u64>(p, WP_BASE) | (((va >> shift) & load<u64>(p, WP_MASK0)) << 3);
  let tableAttrs: u32 = 0; // PXNTable | XNTable << 1 | APTable << 2 (descriptor bits 62:59)
  while (true) {
    if (!inRam(addr)) return fault(FAULT_EXTERNAL_WALK, level);
    const d = rd(addr);
    if ((d & chk) != 3 || level == 3) return s1LeafFull(d, level, va, tableAttrs, p, regime);
    tableAttrs |= <u32>(d >> 59);
    level++;
    shift -= 9;
    addr = (d & ADDR_47_12) | (((va >> shift) & 511) << 3);
  }
  return WALK_FAULT; // not reached
}

/** Nested stage 1 without the caches (AT, the walk() export): every descriptor IPA walked at stage 2. */
function walkS1Nested(va: u64): u64 {
  const p = s1Params(va, REGIME_EL10);
  if (s1CannotStart(va, p)) return s1StartFault(va, p);
  let level = load<i32>(p, WP_LEVEL0);
  let shift = load<u32>(p, WP_SHIFT0);
  const chk = load<u64>(p, WP_CHK);
  let addr = load<u64>(p, WP_BASE) | (((va >> shift) & load<u64>(p, WP_MASK0)) << 3);
  let tableAttrs: u32 = 0;
  const vttbr = srGet(VTTBR_EL2), vtcr = srGet(VTCR_EL2);
  while (true) {
    const pa = walkS2(addr, vttbr, vtcr, true);
    if (pa == WALK_FAULT) return WALK_FAULT;
    if ((wPerms & S2P_R) == 0) return fault2(FAULT_PERMISSION, wLevel, true, addr);
    if (!inRam(pa)) return fault(FAULT_EXTERNAL_WALK, level);
    const d = rd(pa);
    if ((d & chk) != 3 || level == 3) return s1LeafFull(d, level, va, tableAttrs, p, REGIME_EL10);
    tableAttrs |= <u32>(d >> 59);
    level++;
    shift -= 9;
    addr = (d & ADDR_47_12) | (((va >> shift) & 511) << 3);
  }
  return WALK_FAULT; // not reached
}

/**
 * Nested stage 1 through the stage-2 walk cache of the VMID set by walkSetVmid, the memo clear
 * (walkMemoClear) (for translate(): the leaf is left in
 * s1Info only, not the w* globals): each descriptor IPA is looked up there
 * (inline), else translated by stage 2 (inline when the level-3 table of its 2 MiB is known from
 * an earlier stage-2 walk of this translation, else a full walk) and entered. The levels are
 * unrolled (constant shifts; fewer values live across the walk).
 */
export function walkS1Cached(va: u64): u64 {
  const p = s1Params(va, REGIME_EL10);
  if (s1CannotStart(va, p)) return s1StartFault(va, p);
  let level = load<i32>(p, WP_LEVEL0);
  const chk = load<u64>(p, WP_CHK);
  const a0 = load<u64>(p, WP_BASE) | (((va >> load<u32>(p, WP_SHIFT0)) & load<u64>(p, WP_MASK0)) << 3);
  s2Prepare(srGet(VTTBR_EL2), srGet(VTCR_EL2));
  const gen = <u64>load<u16>(nfGenAddr) << 48; // (generations are 16 bits, kept in a u32)
  nfGen = gen;
  nfGenR = gen | S1P_R0;
  let ta: u32 = 0; // PXNTable | XNTable << 1 | APTable << 2 (descriptor bits 62:59)
  // The start-level descriptor: its table page needs a full stage-2 walk when the walk cache is
  // cold (the memo is empty), done inline here; the next levels' usually hit the memo.
  let d = rootFetch(a0 & ADDR_47_12, <u32>a0 & 0xff8, level);
  // Each block checks the descriptor of its level and reads the next level's.
  if (level == 0) {
    if ((d & chk) != 3) return s1End(d, 0, va, ta, p);
    ta |= <u32>(d >> 59);
    d = nestedFetch(d & ADDR_47_12, <u32>(va >> 27) & 0xff8, 1, HINT1);
    level = 1;
  }
  if (level == 1) {
    if ((d & chk) != 3) return s1End(d, 1, va, ta, p);
    ta |= <u32>(d >> 59);
    d = nestedFetch(d & ADDR_47_12, <u32>(va >> 18) & 0xff8, 2, HINT2);
    level = 2;
  }
  if (level == 2) {
    if ((d & chk) != 3) return s1End(d, 2, va, ta, p);
    ta |= <u32>(d >> 59);
    d = nestedFetch(d & ADDR_47_12, <u32>(va >> 9) & 0xff8, 3, HINT3);
  }
  if (fetchFaulted) { fetchFaulted = false; return WALK_FAULT; }
  return s1Leaf(d, 3, va, ta, p, REGIME_EL10, false);
}

// Constants of the walk-cache probes of walkS1Cached, in globals (V8 folds them into instructions):
// for the VMID of the translation context (walkSetVmid), and per walk its generation.
let nfHash: u32 = 0; // s2cVmidHash(vmid)
let nfTag: u64 = 0; // s2cVmidTag(vmid)
let nfGenAddr: u32 = 0; // s2cGenAddr(vmid)
let nfFillAddr: u32 = 0; // s2cFillAddr(vmid)
let nfGen: u64 = 0; // s2cGen(vmid) << 48
let nfGenR: u64 = 0; // nfGen | S1P_R0 (a live entry allowing stage-2 reads)

/** The VMID of the following walkS1Cached()s (the translation context's). */
export function walkSetVmid(vmid: u32): void {
  nfHash = s2cVmidHash(vmid);
  nfTag = s2cVmidTag(vmid);
  nfGenAddr = s2cGenAddr(vmid);
  nfFillAddr = s2cFillAddr(vmid);
}

// Set with a 0 result by nestedFetch when the fetch faulted (the fault recorded); s1End consumes it.
let fetchFaulted: bool = false;

// Table hints: for the start-level table and for the stage-1 tables read at levels 1 to 3, where
// the last walk found the table of that level. A walk loads the next descriptor at once at the
// predicted PA: the hinted one when the table is the same as last time (then the load does not
// even wait for the descriptor pointing to the table), else IPA + the hinted PA - IPA (a table
// laid out like the last one: an identity stage 2, or pages donated in order). Alongside, the
// table's IPA is translated by stage 2 as always (its descriptors read from the stage-2 tables),
// and the early load is used only when that translation gives the predicted PA. A hint is a
// prediction, never a cached translation: it shortens the chain of dependent loads and changes no
// result, so no TLBI has to remove it. (The same-table hints are dropped when the stage-2
// configuration changes: their PA was checked against its output size.)
// Each hint (32 bytes): +0 u64 IPA page (-1: none), +8 u64 PA page | 3 | AF | S2AP_R (what the
// level-3 stage-2 descriptor of the page must match, under HINT_MASK), +16 u32 host address of
// the page, +24 u64 PA - IPA (0 at first: IPA = PA).
const HINT0: u32 = MMU_SCRATCH + 0x500;
const HINT1: u32 = HINT0 + 32;
const HINT2: u32 = HINT0 + 64;
const HINT3: u32 = HINT0 + 96;
const HINT_OK: u64 = AF | S2AP_R | 3;
const HINT_MASK: u64 = ADDR_47_12 | HINT_OK;

function hintsClear(): void {
  for (let h = HINT0; h <= HINT3; h += 32) { store<u64>(h, <u64>-1); store<u64>(h, <u64>-1, 8); }
}

@inline function hintSet(h: u32, tb: u64, pa: u64): void {
  if (!ramPage(pa)) return;
  store<u64>(h, tb);
  store<u64>(h, pa | HINT_OK, 8);
  store<u32>(h, hostOf(pa), 16);
  store<u64>(h, pa - tb, 24);
}

// The predicted PA of the table at IPA page tb with hint h, for its descriptor at byte idx:
// hintExpect is what the level-3 stage-2 descriptor must match under HINT_MASK (all ones: no
// prediction), and the descriptor is the result of hintLoad.
let hintExpect: u64 = <u64>-1;

@inline function hintLoad(h: u32, tb: u64, idx: u32): u64 {
  if (tb == load<u64>(h)) { // the table of the last walk
    hintExpect = load<u64>(h, 8);
    return load<u64>(load<u32>(h, 16) + idx);
  }
  const pred = tb + load<u64>(h, 24);
  if (pred - RAM_BASE_PA < s2PredLimit) { // RAM, within VTCR_EL2.PS
    hintExpect = pred | HINT_OK;
    return load<u64>(hostOf(pred) + idx);
  }
  hintExpect = <u64>-1; // (matches no descriptor under HINT_MASK)
  return 0;
}

const NO_PAGE: u64 = <u64>-1;

/** The PA page of the live walk-cache entry at slot e with `tag` if it allows stage-2 reads, else NO_PAGE. */
@inline function walkCachePage(e: u32, tag: u64): u64 {
  if (load<u8>(nfFillAddr) == 0) return NO_PAGE; // nothing live in the walk cache for the VMID
  const d2 = load<u64>(e, 8);
  if (((load<u64>(e) ^ tag) | ((d2 & (S2C_GEN_MASK | S1P_R0)) ^ nfGenR)) != 0) return NO_PAGE;
  return d2 & ADDR_47_12;
}

/**
 * The start-level descriptor at byte idx of the table at IPA page tb: the table's stage-2
 * translation (walk cache, else a full walk from the root, filling the walk cache), read at the
 * PA; loaded ahead at the predicted PA (HINT0).
 */
@inline function rootFetch(tb: u64, idx: u32, level: i32): u64 {
  const dp = hintLoad(HINT0, tb, idx);
  const expect = hintExpect;
  const e = s2cSlotH(nfHash, tb >> 12);
  const tag = nfTag | (tb >> 8); // (IPA page number << 4)
  let pa = walkCachePage(e, tag);
  if (pa == NO_PAGE) {
    pa = s1ptwWalkI(tb | idx, e, tag, nfGen, true);
    if (pa == WALK_FAULT) { fetchFaulted = true; return 0; }
  }
  if ((pa | HINT_OK) == expect) return dp;
  hintSet(HINT0, tb, pa);
  return fetchAt(pa, idx, level);
}

/**
 * The stage-1 descriptor at byte idx of the table at IPA page tb (levels 1 to 3, hint h), read
 * through stage 2 (the level-3 table memo, the walk cache, or a full stage-2 walk that fills the
 * cache), and loaded ahead at the predicted PA on the first two. On a fault: 0, with fetchFaulted
 * set.
 */
@inline function nestedFetch(tb: u64, idx: u32, level: i32, h: u32): u64 {
  if ((tb >> 21) == memo3Key) {
    // A page in the level-3 table found by an earlier stage-2 walk of this translation: cheaper
    // than a walk-cache lookup, and always current. (Not entered in the walk cache: walks of
    // later translations that miss there enter it.)
    const dp = hintLoad(h, tb, idx); // meanwhile, at the predicted PA
    const expect = hintExpect;
    const d3 = load<u64>(memo3Host + (<u32>(tb >> 9) & 0xff8));
    if ((d3 & HINT_MASK) == expect) return dp; // the predicted PA, valid, AF, readable
    if ((d3 & s2ChkR) == (3 | AF | S2AP_R)) { // valid page, AF, readable
      const pa = d3 & ADDR_47_12;
      hintSet(h, tb, pa);
      return fetchAt(pa, idx, level);
    }
  }
  const e = s2cSlotH(nfHash, tb >> 12);
  const tag = nfTag | (tb >> 8); // (IPA page number << 4)
  let pa = walkCachePage(e, tag);
  if (pa != NO_PAGE) {
    const dp = hintLoad(h, tb, idx); // meanwhile, at the predicted PA
    if ((pa | HINT_OK) == hintExpect) return dp;
  } else {
    pa = s1ptwWalk(tb | idx, e, tag, nfGen);
    if (pa == WALK_FAULT) { fetchFaulted = true; return 0; }
  }
  hintSet(h, tb, pa);
  return fetchAt(pa, idx, level);
}

/** The descriptor at byte idx of RAM page pa (else an external abort on the walk at `level`). */
@inline function fetchAt(pa: u64, idx: u32, level: i32): u64 {
  if (!ramPage(pa)) { fault(FAULT_EXTERNAL_WALK, level); fetchFaulted = true; return 0; }
  return load<u64>(hostOf(pa) + idx);
}

/** The end of a nested walk at descriptor d of `level` < 3: the fault of nestedFetch, or s1Leaf. */
function s1End(d: u64, level: i32, va: u64, ta: u32, p: u32): u64 {
  if (fetchFaulted) { fetchFaulted = false; return WALK_FAULT; }
  return s1Leaf(d, level, va, ta, p, REGIME_EL10, false);
}

/**
 * Stage 2 of a stage-1 descriptor fetch at IPA ipa (a full walk): enters the result in the walk
 * cache at slot e (tag, generation gen); the descriptor must be readable at stage 2. Faults are
 * stage 2 with S1PTW set and the descriptor IPA. Returns the PA page or WALK_FAULT.
 */
function s1ptwWalk(ipa: u64, e: u32, tag: u64, gen: u64): u64 { return s1ptwWalkI(ipa, e, tag, gen, false); }

@inline function s1ptwWalkI(ipa: u64, e: u32, tag: u64, gen: u64, fromRoot: bool): u64 {
  const pa = s2WalkI(ipa, true, fromRoot);
  if (pa == WALK_FAULT) return WALK_FAULT;
  const f = s2Flags;
  const page = pa & ADDR_47_12;
  store<u64>(e, tag);
  store<u64>(e, page | f | gen, 8);
  store<u8>(nfFillAddr, 1);
  if ((f & S2D_LEVEL_BITS) != (3 << S2D_LEVEL_SHIFT)) s2cNoteBlock(ipa >> 12, f);
  if ((f & S1P_R0) == 0) return fault2(FAULT_PERMISSION, <i32>(f >> S2D_LEVEL_SHIFT) & 3, true, ipa); // (stage-2 read)
  return page;
}

/** The level-0 fault of a walk that cannot start: VA out of range, or bad TCR/TTBR. */
function s1StartFault(va: u64, p: u32): u64 {
  const status = load<u32>(p, WP_STATUS);
  if (status == 1 || (va & load<u64>(p, WP_RMASK)) != load<u64>(p, WP_REXP)) return fault(FAULT_TRANSLATION, 0);
  return fault(FAULT_ADDRESS_SIZE, 0);
}

// The leaf of the last successful stage-1 walk, in the layout of the tagged TLB's flags (tlb2.ts):
// permissions (S1P_*), nG == 0, PSTATE.PAN applies (EL0 may read or write), level, Device.
export let s1Info: u32 = 0;
export const S1I_GLOBAL: u32 = 0x40;
export const S1I_PAN: u32 = 0x80;
export const S1I_LEVEL_SHIFT: u32 = 8;
export const S1I_DEVICE: u32 = 0x400;

/**
 * The descriptor d read at `level` that does not continue the walk: a block or page (the leaf:
 * its output address, s1Info set, and the w* globals when `full`), or a fault (s1LeafFault).
 */
@inline function s1Leaf(d: u64, level: i32, va: u64, tableAttrs: u32, p: u32, regime: u32, full: bool): u64 {
  // A page at level 3, a block at levels 1 and 2; output address within the size, AF set.
  const chk = load<u64>(p, WP_CHK) | AF;
  if (level == 3 ? (d & chk) != (3 | AF) : (level == 0 || (d & chk) != (1 | AF))) return s1LeafFault(d, level, p);
  const q = <u32>load<u8>(load<u32>(p, WP_TBL) + ((<u32>(d >> 6) & 3) | ((<u32>(d >> 51) & 0xc)) | (tableAttrs << 4)));
  const mair = srGet(regime == REGIME_EL2 ? MAIR_EL2 : MAIR_EL1); // read live: MAIR is data only
  const attr = <u32>(mair >> ((<u32>(d >> 2) & 7) << 3)) & 0xff;
  const global = regime == REGIME_EL2 || (d & (1 << 11)) == 0;
  s1Info = q | (global ? S1I_GLOBAL : 0) | (<u32>level << S1I_LEVEL_SHIFT) | (attr < 0x10 ? S1I_DEVICE : 0);
  if (full) {
    wLevel = level;
    wPerms = q & 63;
    wPanSens = (q & S1I_PAN) != 0;
    wGlobal = global;
    wSH = <u32>(d >> 8) & 3;
    wAttr = attr;
    wDevice = attr < 0x10;
  }
  const blockMask = (<u64>1 << (12 + 9 * <u32>(3 - level))) - 1;
  return (d & ADDR_47_12 & ~blockMask) | (va & blockMask);
}

function s1LeafFull(d: u64, level: i32, va: u64, tableAttrs: u32, p: u32, regime: u32): u64 {
  return s1Leaf(d, level, va, tableAttrs, p, regime, true);
}

/** The fault of a descriptor d at `level` that is neither a table to follow nor a valid leaf. */
function s1LeafFault(d: u64, level: i32, p: u32): u64 {
  if ((d & 1) == 0) return fault(FAULT_TRANSLATION, level);
  if ((d & 2) != 0 && level < 3) return fault(FAULT_ADDRESS_SIZE, level); // table, address too wide
  // Level 0 blocks and the level 3 0b01 encoding are reserved: translation fault.
  if (level == 3 ? (d & 2) == 0 : level == 0) return fault(FAULT_TRANSLATION, level);
  if (((d & ADDR_47_12) >> load<u32>(p, WP_OUTBITS)) != 0) return fault(FAULT_ADDRESS_SIZE, level);
  return fault(FAULT_ACCESS_FLAG, level); // (AF clear: the only check left)
}

// --- Stage 2 -------------------------------------------------------------------------------------

// Within one translation, stage-2 walks reuse the tables found by the previous walks of the same
// translation (the descriptors leading to them were just read: nothing can have changed them): the
// level-1, level-2 and level-3 tables, keyed by the IPA bits that select them. Cleared at the start
// of every translation (walkMemoClear) and when the stage-2 registers change, so it is not a cache
// across TLBIs.
let memo1Key: u64 = <u64>-1; // IPA[63:39] of the level-1 table at host address memo1Host (-1: none)
let memo1Host: u32 = 0;
let memo2Key: u64 = <u64>-1; // IPA[63:30]
let memo2Host: u32 = 0;
let memo3Key: u64 = <u64>-1; // IPA[63:21]
let memo3Host: u32 = 0;
// The level-3 table of the last final stage-2 walk (s2FinalI): IPA[63:21] and host address.
let finKey: u64 = <u64>-1;
let finHost: u32 = 0;

@inline export function walkMemoClear(): void { memo1Key = <u64>-1; memo2Key = <u64>-1; memo3Key = <u64>-1; }

// The decoded VTCR_EL2 / VTTBR_EL2 pair, kept by value (they change rarely; walks are frequent).
// (Initially VTCR = all ones, which decodes to s2Status 1: TxSZ 63 is out of range.)
let s2Vtcr: u64 = <u64>-1;
let s2Vttbr: u64 = 0;
let s2Status: u32 = 1; // 0 ok, 1 level 0 translation fault (TxSZ/SL0), 2 level 0 address size fault (BADDR)
let s2InBits: u32 = 0;
let s2Level0: i32 = 0;
let s2Shift0: u32 = 0;
let s2Mask0: u64 = 0;
let s2OutBits: u32 = 0;
let s2Base: u64 = 0; // start-level table address (concatenated tables aligned to their total size)
let s2Chk: u64 = 3; // tableCheck(s2OutBits)
let s2ChkR: u64 = 3; // s2Chk | AF | S2AP_R: a readable level-3 page satisfies (d & s2ChkR) == s2ChkR
let s2PredLimit: u64 = 0; // RAM below 2^s2OutBits: [RAM_BASE_PA, RAM_BASE_PA + s2PredLimit)

/** Makes vttbr/vtcr the stage-2 registers of the following stage-2 walks. */
@inline function s2Prepare(vttbr: u64, vtcr: u64): void {
  if (((vtcr ^ s2Vtcr) | (vttbr ^ s2Vttbr)) != 0) s2Decode(vttbr, vtcr);
}

function s2Decode(vttbr: u64, vtcr: u64): void {
  if (!s2FlagsReady) s2FlagsInit();
  s2Vtcr = vtcr;
  s2Vttbr = vttbr;
  s2Status = 1;
  walkMemoClear();
  hintsClear();
  const tsz = <u32>vtcr & 63;
  const sl0 = <u32>(vtcr >> 6) & 3;
  if (FAULT_ON_UNSUPPORTED_GRANULE && !granule4K(<u32>(vtcr >> 14) & 3, true)) return;
  if (tsz < MIN_TXSZ || tsz > MAX_TXSZ) return;
  const inputsize: u32 = 64 - tsz;
  // AArch64.S2InvalidSL / S2InconsistentSL (4 KiB granule): SL0 0 → level 2, 1 → level 1,
  // 2 → level 0 (PARange >= 44), 3 reserved without FEAT_TTST. The start level must resolve the
  // IPA with 1 to 16 concatenated tables: levels*9 + 13 <= inputsize <= levels*9 + 25.
  if (sl0 == 3) return;
  const level: i32 = 2 - <i32>sl0;
  const levels = <u32>(3 - level);
  const minIa = levels * 9 + 13;
  if (inputsize < minIa || inputsize > minIa + 12) return;
  s2InBits = inputsize;
  s2Level0 = level;
  s2Shift0 = 12 + 9 * levels;
  s2Mask0 = (<u64>1 << (inputsize - s2Shift0)) - 1; // up to 13 index bits: 16 concatenated tables
  s2OutBits = psBits(<u32>(vtcr >> 16) & 7);
  s2Chk = tableCheck(s2OutBits);
  s2ChkR = s2Chk | AF | S2AP_R;
  const top: u64 = <u64>1 << s2OutBits;
  s2PredLimit = top <= RAM_BASE_PA ? 0 : min(<u64>ramSize, top - RAM_BASE_PA);
  const base = vttbr & BADDR_47_1;
  if ((base >> s2OutBits) != 0) { s2Status = 2; return; }
  s2Base = base & ~((s2Mask0 << 3) | 7); // concatenated tables are aligned to their total size
  s2Status = 0;
}

// The stage-2 leaf of the last successful walk: its descriptor (for the w* globals, set by walkS2
// and s2Final) and the flags of its walk-cache data word (s2Data).
let s2LeafDesc: u64 = 0;
let s2Flags: u64 = 0;

/**
 * Stage-2 walk of `ipa` with explicit VTTBR_EL2/VTCR_EL2 values. `s1ptw` marks the walk as the
 * translation of a stage-1 descriptor fetch (recorded in the fault). Faults are recorded as stage
 * 2 with the IPA. Returns the PA or WALK_FAULT.
 */
export function walkS2(ipa: u64, vttbr: u64, vtcr: u64, s1ptw: bool): u64 {
  s2Prepare(vttbr, vtcr);
  const pa = s2WalkI(ipa, s1ptw);
  if (pa != WALK_FAULT) s2LeafInfo();
  return pa;
}

/**
 * Final stage 2 of a nested translation (the IPA of a data access or fetch), through the stage-2
 * walk cache of vmid when `cached`. Returns the walk-cache data word (PA page | flags, tlb2.ts) or
 * WALK_FAULT. Without the cache (AT, the walk() export) the w* globals
 * describe the stage-2 leaf.
 */
export function s2Final(ipa: u64, vmid: u32, cached: bool): u64 {
  if (cached) return s2FinalCached(ipa); // (vmid: that of walkSetVmid)
  s2Prepare(srGet(VTTBR_EL2), srGet(VTCR_EL2));
  const pa = s2WalkI(ipa, false, false, false);
  if (pa == WALK_FAULT) return WALK_FAULT;
  s2LeafInfo();
  return (pa & ADDR_47_12) | s2Flags;
}

/** s2Final through the walk cache of the VMID set by walkSetVmid. */
export function s2FinalCached(ipa: u64): u64 {
  s2Prepare(srGet(VTTBR_EL2), srGet(VTCR_EL2));
  nfGen = <u64>load<u16>(nfGenAddr) << 48;
  return s2FinalI(ipa);
}

/** s2FinalCached right after walkS1Cached (which prepared stage 2 and read the generation). */
export function s2FinalAfterS1(ipa: u64): u64 { return s2FinalI(ipa); }

/**
 * After a translation's stage-2 walk of `ipa` faulted and the hosted hyp's fault fast path
 * (pkvm-fast-fault.ts) then wrote the valid level-3 page descriptor `d` for it into the same stage
 * 2: the walk-cache entry the walk would have made for it (caching a valid translation is always
 * allowed), so that the access made again finds it there.
 */
export function s2cFillPage(ipa: u64, d: u64): void {
  if (!s2FlagsReady) s2FlagsInit();
  const e = s2cSlotH(nfHash, ipa >> 12);
  store<u64>(e, nfTag | ((ipa >> 8) & ~<u64>15));
  store<u64>(e, (d & ADDR_47_12) | s2Data(d, 3) | nfGen, 8);
  store<u8>(nfFillAddr, 1);
}

@inline function s2FinalI(ipa: u64): u64 {
  const e = s2cSlotH(nfHash, ipa >> 12);
  const tag = nfTag | ((ipa >> 8) & ~<u64>15); // (IPA page number << 4)
  const gen = nfGen;
  const d2 = load<u64>(e, 8);
  if (((load<u64>(e) ^ tag) | ((d2 & S2C_GEN_MASK) ^ gen)) == 0) { s2cCountHit(); return d2 & ~S2C_GEN_MASK; }
  s2cCountMiss();
  const pa = s2WalkI(ipa, false, false, false, true);
  if (pa == WALK_FAULT) return WALK_FAULT;
  const w = (pa & ADDR_47_12) | s2Flags;
  store<u64>(e, tag);
  store<u64>(e, w | gen, 8);
  store<u8>(nfFillAddr, 1);
  if ((w & S2D_LEVEL_BITS) != (3 << S2D_LEVEL_SHIFT)) s2cNoteBlock(ipa >> 12, w);
  return w;
}

/**
 * Stage-2 walk with the prepared registers (s2Prepare): the PA, with s2LeafDesc and s2Flags set;
 * or WALK_FAULT. Tables are only memoised when their page is RAM, so memo hits need no check.
 */
@inline function s2WalkI(ipa: u64, s1ptw: bool, fromRoot: bool = false, memoize: bool = true, predict: bool = false): u64 {
  // predict: the final walk of a translation; when its 2 MiB is that of the last final walk, the
  // level-3 descriptor is loaded at once from that walk's level-3 table (finHost), and used when
  // this walk reaches the same table.
  let pk = false;
  let dp: u64 = 0;
  if (predict) {
    pk = (ipa >> 21) == finKey;
    if (pk) dp = load<u64>(finHost + (<u32>(ipa >> 9) & 0xff8));
  }
  let host: u32; // host address of the table to read next
  let idx: u32; // byte offset of the descriptor in it
  let level: i32;
  if (!fromRoot && (ipa >> 21) == memo3Key) {
    host = memo3Host;
    idx = <u32>(ipa >> 9) & 0xff8;
    level = 3;
  } else if (!fromRoot && (ipa >> 30) == memo2Key) {
    host = memo2Host;
    idx = <u32>(ipa >> 18) & 0xff8;
    level = 2;
  } else if (!fromRoot && (ipa >> 39) == memo1Key) {
    host = memo1Host;
    idx = <u32>(ipa >> 27) & 0xff8;
    level = 1;
  } else {
    // (A memo hit implies the range checks: its key covers IPA[63:inputsize].)
    if (s2Status != 0 || (ipa >> s2InBits) != 0) return s2StartFault(ipa, s1ptw);
    level = s2Level0;
    const a = s2Base | (((ipa >> s2Shift0) & s2Mask0) << 3);
    if (!inRam(a)) return fault2(FAULT_EXTERNAL_WALK, level, s1ptw, ipa);
    host = hostOf(a);
    idx = 0;
  }
  const chk = s2Chk;
  let d: u64;
  if (level == 0) {
    d = load<u64>(host + idx);
    if ((d & chk) != 3) return s2Leaf(d, 0, ipa, s1ptw);
    const t = d & ADDR_47_12;
    if (!ramPage(t)) return fault2(FAULT_EXTERNAL_WALK, 1, s1ptw, ipa);
    host = hostOf(t);
    idx = <u32>(ipa >> 27) & 0xff8;
    if (memoize) { memo1Key = ipa >> 39; memo1Host = host; }
    level = 1;
  }
  if (level == 1) {
    d = load<u64>(host + idx);
    if ((d & chk) != 3) return s2Leaf(d, 1, ipa, s1ptw);
    const t = d & ADDR_47_12;
    if (!ramPage(t)) return fault2(FAULT_EXTERNAL_WALK, 2, s1ptw, ipa);
    host = hostOf(t);
    idx = <u32>(ipa >> 18) & 0xff8;
    if (memoize) { memo2Key = ipa >> 30; memo2Host = host; }
    level = 2;
  }
  if (level == 2) {
    d = load<u64>(host + idx);
    if ((d & chk) != 3) return s2Leaf(d, 2, ipa, s1ptw);
    const t = d & ADDR_47_12;
    if (!ramPage(t)) return fault2(FAULT_EXTERNAL_WALK, 3, s1ptw, ipa);
    host = hostOf(t);
    idx = <u32>(ipa >> 9) & 0xff8;
    if (memoize) { memo3Key = ipa >> 21; memo3Host = host; }
  }
  if (predict && pk && host == finHost) d = dp;
  else {
    d = load<u64>(host + idx);
    if (predict) { finKey = ipa >> 21; finHost = host; }
  }
  if ((d & (chk | AF)) != (3 | AF)) return s2Leaf(d, 3, ipa, s1ptw);
  s2LeafDesc = d;
  s2Flags = s2Data(d, 3);
  return (d & ADDR_47_12) | (ipa & 0xfff);
}

/** The walk-cache data word's flags for a stage-2 leaf d at `level` (tlb2.ts: permissions in the
 *  S1P_* layout, Device, level). */
@inline function s2Data(d: u64, level: i32): u64 {
  return <u64>(<u32>load<u8>(S2_FLAGS + ((<u32>(d >> 4) & 15) | (<u32>(d >> 49) & 0x30))) | (<u32>level << S2D_LEVEL_SHIFT));
}

/** Fills S2_FLAGS: for MemAttr[3:2] (index bits 1:0), S2AP (3:2) and XN[54:53] (5:4), the
 *  permissions (S2AP read → R0|R1, write → W0|W1; execute by XN with FEAT_XNX) and Device
 *  (MemAttr[3:2] == 0). */
function s2FlagsInit(): void {
  for (let i: u32 = 0; i < 64; i++) {
    // XN 0b00: EL0 and EL1 may execute, 0b01: EL0 only, 0b10: neither, 0b11: EL1 only
    const xn = i >> 4;
    let m: u32 = xn == 0 ? S1P_X0 | S1P_X1 : xn == 1 ? S1P_X0 : xn == 3 ? S1P_X1 : 0;
    if ((i & 4) != 0) m |= S1P_R0 | S1P_R1;
    if ((i & 8) != 0) m |= S1P_W0 | S1P_W1;
    store<u8>(S2_FLAGS + i, <u8>(m | ((i & 3) == 0 ? <u32>S2D_DEVICE : 0)));
  }
  s2FlagsReady = true;
}
let s2FlagsReady: bool = false;

/** w* of the last stage-2 leaf (s2LeafDesc, s2Flags). */
function s2LeafInfo(): void {
  const d = s2LeafDesc;
  const f = s2Flags;
  const attr = <u32>(d >> 2) & 15;
  wLevel = <i32>(f >> S2D_LEVEL_SHIFT) & 3;
  wPerms = (<u32>f & 7) | ((<u32>f >> 2) & 8); // S2P_*: R, W, X0 (S1P bits 0..2), X1 (S1P bit 5)
  wAttr = attr;
  wSH = <u32>(d >> 8) & 3;
  wDevice = (attr & 0xc) == 0;
}

function s2StartFault(ipa: u64, s1ptw: bool): u64 {
  if (s2Status == 1 || (ipa >> s2InBits) != 0) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);
  return fault2(FAULT_ADDRESS_SIZE, 0, s1ptw, ipa);
}

/** Stage-2 descriptor d at `level` that does not continue the walk: a block or page, or a fault. */
function s2Leaf(d: u64, level: i32, ipa: u64, s1ptw: bool): u64 {
  if ((d & 1) == 0) return fault2(FAULT_TRANSLATION, level, s1ptw, ipa);
  if ((d & 2) != 0 && level < 3) return fault2(FAULT_ADDRESS_SIZE, level, s1ptw, ipa); // table, address too wide
  if (level == 3 ? (d & 2) == 0 : level == 0) return fault2(FAULT_TRANSLATION, level, s1ptw, ipa);
  const addr = d & ADDR_47_12;
  if ((addr >> s2OutBits) != 0) return fault2(FAULT_ADDRESS_SIZE, level, s1ptw, ipa);
  if ((d & AF) == 0) return fault2(FAULT_ACCESS_FLAG, level, s1ptw, ipa);
  const blockMask = (<u64>1 << (12 + 9 * <u32>(3 - level))) - 1;
  s2LeafDesc = d;
  s2Flags = s2Data(d, level);
  return (addr & ~blockMask) | (ipa & blockMask);
}
