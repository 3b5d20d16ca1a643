// VMSAv8-64 translation table walks with the 4 KiB granule (Arm ARM D8; pseudocode
// AArch64.S1Translate/S1Walk and AArch64.S2Translate/S2Walk; QEMU target/arm/ptw.c
// get_phys_addr_lpae). Descriptors are read straight from guest RAM in linear memory.
//
// The walkers report translation, address size, access flag and external-abort-on-walk faults
// (fault.ts) and return the output address; the permissions, attributes and level of the leaf are
// left in the w* globals, and the caller (mmu.ts, at.ts) applies the permission and alignment
// checks, so one walk serves loads, stores, fetches and AT alike.
//
// Stage 1 regimes: EL1&0 (two VA ranges, TTBR0/TTBR1_EL1, TCR_EL1, ASIDs) and EL2 (non-VHE: one
// range, TTBR0_EL2, TCR_EL2, AP[2] and XN only). Stage 2: VTTBR_EL2/VTCR_EL2 with concatenated
// tables at the start level. When stage 2 is enabled every stage-1 descriptor fetch of the EL1&0
// regime is itself translated by stage 2 (mmu.ts s2ForWalk: S1PTW faults).
import {
  FAULT_ACCESS_FLAG, FAULT_ADDRESS_SIZE, FAULT_EXTERNAL_WALK, FAULT_TRANSLATION, setFault,
} from './fault';
import { isRam, ramHostAddr } from './ram';
import {
  MAIR_EL1, MAIR_EL2, SCTLR_EL1, SCTLR_EL2, TCR_EL1, TCR_EL2, TTBR0_EL1, TTBR0_EL2, TTBR1_EL1, srGet,
} from './sysregs';
import { s2ForWalk } from './mmu';
import { s2cGen, s2cSlot, s2cTag } from './tlb2';
import { MMU_SCRATCH } from './layout';

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

@inline function fault(type: u32, level: i32): u64 {
  setFault(type, level, false, false, 0);
  return WALK_FAULT;
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
const WP_STATUS: u32 = 0; // u32: 0 ok, 1 level 0 translation fault, 2 level 0 address size fault
const WP_LEVEL0: u32 = 4; // i32 start level
const WP_SHIFT0: u32 = 8; // u32 VA shift of the start-level index
const WP_OUTBITS: u32 = 12; // u32 output address size
const WP_MASK0: u32 = 16; // u64 start-level index mask
const WP_BASE: u32 = 24; // u64 table base (TTBR.BADDR, aligned)
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
        store<u8>(WP_PERMS + (t << 8) + i, <u8>leafPerms(i & 3, (i >> 2) & 1, (i >> 3) & 1, i >> 4, (t & 1) != 0, t >= 2));
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
  store<u64>(p, r == 1 ? rmask : 0, WP_REXP);
  store<u32>(p, (base >> outBits) != 0 ? 2 : 0, WP_STATUS);
}

/**
 * Stage-1 walk of `va` in `regime`. `nested`: the EL1&0 regime with stage 2 enabled (descriptor
 * fetches are translated by stage 2; `cached`: probing the stage-2 walk cache of `vmid` first).
 * Returns the output address (an IPA when nested, else a PA) or WALK_FAULT with the fault recorded.
 */
export function walkS1(va: u64, regime: u32, nested: bool, vmid: u32 = 0, cached: bool = false): u64 {
  const r: u32 = regime == REGIME_EL2 ? 2 : <u32>(va >> 55) & 1;
  if ((wpValid & (1 << r)) == 0) decodeRange(r);
  const p = WP + (r << 6);
  const status = load<u32>(p, WP_STATUS);
  if (status == 1) return fault(FAULT_TRANSLATION, 0);
  // AArch64.VAIsOutOfRange: VA[top:inputsize] all zeros (TTBR0 range) or all ones (TTBR1 range).
  if ((va & load<u64>(p, WP_RMASK)) != load<u64>(p, WP_REXP)) return fault(FAULT_TRANSLATION, 0);
  if (status == 2) return fault(FAULT_ADDRESS_SIZE, 0);

  const outBits = load<u32>(p, WP_OUTBITS);
  let level = load<i32>(p, WP_LEVEL0);
  let shift = load<u32>(p, WP_SHIFT0);
  let idxMask = load<u64>(p, WP_MASK0);
  let base = load<u64>(p, WP_BASE);
  let tableAttrs: u32 = 0; // PXNTable | XNTable << 1 | APTable << 2 (descriptor bits 62:59)
  const gen: u64 = cached ? s2cGen(vmid) : 0;

  while (true) {
    const descAddr = base | (((va >> shift) & idxMask) << 3);
    let pa = descAddr;
    if (nested) {
      // The stage-2 walk cache probed inline (the common case), else the full s2ForWalk.
      const ipn = descAddr >> 12;
      const e = s2cSlot(vmid, ipn);
      const d2 = load<u64>(e, 8);
      if (cached && load<u64>(e) == s2cTag(vmid, ipn) && (d2 >> 48) == gen && (d2 & S2P_R) != 0) {
        pa = (d2 & ADDR_47_12) | (descAddr & 0xfff);
      } else {
        pa = s2ForWalk(descAddr, cached);
        if (pa == WALK_FAULT) return WALK_FAULT;
      }
    }
    if (!isRam(pa)) return fault(FAULT_EXTERNAL_WALK, level);
    const d = load<u64>(ramHostAddr(pa));
    if ((d & 1) == 0) return fault(FAULT_TRANSLATION, level);
    const addr = d & ADDR_47_12;
    if ((d & 2) != 0 && level < 3) { // table descriptor
      if ((addr >> outBits) != 0) return fault(FAULT_ADDRESS_SIZE, level);
      tableAttrs |= <u32>(d >> 59);
      base = addr;
      level++;
      shift -= 9;
      idxMask = 511;
      continue;
    }
    // Block (levels 1, 2) or page (level 3). Level 0 blocks and the level 3 0b01 encoding are
    // reserved: translation fault.
    if (level == 3 ? (d & 2) == 0 : level == 0) return fault(FAULT_TRANSLATION, level);
    if ((addr >> outBits) != 0) return fault(FAULT_ADDRESS_SIZE, level);
    if ((d & AF) == 0) return fault(FAULT_ACCESS_FLAG, level);

    const blockMask = (<u64>1 << shift) - 1;
    const q = <u32>load<u8>(load<u32>(p, WP_TBL) + ((<u32>(d >> 6) & 3) | ((<u32>(d >> 51) & 0xc)) | (tableAttrs << 4)));
    wLevel = level;
    wPerms = q & 63;
    wPanSens = (q & 64) != 0;
    wGlobal = regime == REGIME_EL2 || ((d >> 11) & 1) == 0;
    wSH = <u32>(d >> 8) & 3;
    const mair = srGet(regime == REGIME_EL2 ? MAIR_EL2 : MAIR_EL1); // read live: MAIR is data only
    wAttr = <u32>(mair >> ((<u32>(d >> 2) & 7) << 3)) & 0xff;
    wDevice = wAttr < 0x10;
    return (addr & ~blockMask) | (va & blockMask);
  }
  return WALK_FAULT; // not reached
}

// Within one translation, stage-2 walks of IPAs in the same 2 MiB reuse the level-3 table found
// by the previous walk (the upper descriptors were just read: nothing can have changed them).
// Cleared at the start of every translation (walkMemoClear), so it is not a cache across TLBIs.
let memoVttbr: u64 = 0;
let memoIpa2M: u64 = <u64>-1;
let memoL3: u64 = 0;

@inline export function walkMemoClear(): void { memoIpa2M = <u64>-1; }

// VTCR_EL2 decode, cached by value (VTCR changes rarely; walks are frequent).
let s2Vtcr: u64 = <u64>-1; // value decoded below (-1: none; bit 63 of VTCR is RES0)
let s2Bad: bool = true; // TxSZ/SL0 invalid or inconsistent: level 0 translation fault
let s2InBits: u32 = 0;
let s2Level0: i32 = 0;
let s2Shift0: u32 = 0;
let s2Mask0: u64 = 0;
let s2OutBits: u32 = 0;

function decodeVtcr(vtcr: u64): void {
  s2Vtcr = vtcr;
  s2Bad = true;
  memoIpa2M = <u64>-1;
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
  s2Bad = false;
}

/**
 * Stage-2 walk of `ipa` with explicit VTTBR_EL2/VTCR_EL2 values. `s1ptw` marks the walk as the
 * translation of a stage-1 descriptor fetch (recorded in the fault). Faults are recorded as stage
 * 2 with the IPA. Returns the PA or WALK_FAULT.
 */
export function walkS2(ipa: u64, vttbr: u64, vtcr: u64, s1ptw: bool): u64 {
  let level: i32, shift: u32, idxMask: u64, base: u64;
  if ((ipa >> 21) == memoIpa2M && vttbr == memoVttbr && vtcr == s2Vtcr) {
    // same 2 MiB as the previous walk of this translation: its range was checked then
    base = memoL3;
    level = 3;
    shift = 12;
    idxMask = 511;
  } else {
    if (vtcr != s2Vtcr) decodeVtcr(vtcr);
    if (s2Bad || (ipa >> s2InBits) != 0) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);
    level = s2Level0;
    shift = s2Shift0;
    idxMask = s2Mask0;
    base = vttbr & BADDR_47_1;
    if ((base >> s2OutBits) != 0) return fault2(FAULT_ADDRESS_SIZE, 0, s1ptw, ipa);
    base &= ~((idxMask << 3) | 7); // concatenated tables are aligned to their total size
  }
  const outBits = s2OutBits;
  while (true) {
    const pa = base | (((ipa >> shift) & idxMask) << 3);
    if (!isRam(pa)) return fault2(FAULT_EXTERNAL_WALK, level, s1ptw, ipa);
    const d = load<u64>(ramHostAddr(pa));
    if ((d & 1) == 0) return fault2(FAULT_TRANSLATION, level, s1ptw, ipa);
    const addr = d & ADDR_47_12;
    if ((d & 2) != 0 && level < 3) {
      if ((addr >> outBits) != 0) return fault2(FAULT_ADDRESS_SIZE, level, s1ptw, ipa);
      base = addr;
      level++;
      shift -= 9;
      idxMask = 511;
      if (level == 3) { memoVttbr = vttbr; memoIpa2M = ipa >> 21; memoL3 = addr; }
      continue;
    }
    if (level == 3 ? (d & 2) == 0 : level == 0) return fault2(FAULT_TRANSLATION, level, s1ptw, ipa);
    if ((addr >> outBits) != 0) return fault2(FAULT_ADDRESS_SIZE, level, s1ptw, ipa);
    if ((d & AF) == 0) return fault2(FAULT_ACCESS_FLAG, level, s1ptw, ipa);
    const blockMask = (<u64>1 << shift) - 1;
    let p: u32 = <u32>(d >> 6) & 3; // S2AP: bit 6 read, bit 7 write
    switch (<u32>(d >> 53) & 3) {
      case 0: p |= S2P_X0 | S2P_X1; break;
      case 1: p |= S2P_X0; break;
      case 3: p |= S2P_X1; break;
      default: break;
    }
    wLevel = level;
    wPerms = p;
    wAttr = <u32>(d >> 2) & 15;
    wSH = <u32>(d >> 8) & 3;
    wDevice = (wAttr & 0xc) == 0;
    return (addr & ~blockMask) | (ipa & blockMask);
  }
  return WALK_FAULT; // not reached
}

@inline function fault2(type: u32, level: i32, s1ptw: bool, ipa: u64): u64 {
  setFault(type, level, true, s1ptw, ipa);
  return WALK_FAULT;
}
