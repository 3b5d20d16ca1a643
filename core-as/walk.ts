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

/**
 * Stage-1 walk of `va` in `regime`. `nested`: the EL1&0 regime with stage 2 enabled (descriptor
 * fetches are translated by stage 2). Returns the output address (an IPA when nested, else a PA)
 * or WALK_FAULT with the fault recorded.
 */
export function walkS1(va: u64, regime: u32, nested: bool): u64 {
  let tcr: u64, ttbr: u64, tsz: u32, tbi: u32, ps: u32, epd: u32 = 0, one: bool = false;
  let tg4k: bool;
  if (regime == REGIME_EL2) {
    tcr = srGet(TCR_EL2);
    tsz = <u32>tcr & 63;
    tbi = <u32>(tcr >> 20) & 1;
    ps = <u32>(tcr >> 16) & 7;
    tg4k = granule4K(<u32>(tcr >> 14) & 3, true);
    ttbr = srGet(TTBR0_EL2);
  } else {
    tcr = srGet(TCR_EL1);
    if ((va >> 55) & 1) {
      one = true;
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
  }
  if (FAULT_ON_UNSUPPORTED_GRANULE && !tg4k) return fault(FAULT_TRANSLATION, 0);
  if (tsz < MIN_TXSZ || tsz > MAX_TXSZ) return fault(FAULT_TRANSLATION, 0);
  const inputsize: u32 = 64 - tsz;
  // AArch64.VAIsOutOfRange: VA[top:inputsize] all zeros (TTBR0 range) or all ones (TTBR1 range).
  const top: u32 = tbi ? 55 : 63;
  const width = top + 1 - inputsize;
  const field = (va >> inputsize) & ((<u64>1 << width) - 1);
  if (field != (one ? (<u64>1 << width) - 1 : 0)) return fault(FAULT_TRANSLATION, 0);
  if (epd) return fault(FAULT_TRANSLATION, 0);

  const outBits = psBits(ps);
  let level: i32 = 4 - <i32>((inputsize - 4) / 9);
  let base = ttbr & BADDR_47_1;
  if ((base >> outBits) != 0) return fault(FAULT_ADDRESS_SIZE, 0);
  let shift: u32 = 12 + 9 * <u32>(3 - level);
  const startBits = inputsize - shift; // 1..9 index bits at the start level
  base &= ~((<u64>1 << (startBits + 3)) - 1);
  let idxMask: u64 = (<u64>1 << startBits) - 1;
  let tableAttrs: u32 = 0; // PXNTable | XNTable << 1 | APTable << 2 (descriptor bits 62:59)

  while (true) {
    const descAddr = base | (((va >> shift) & idxMask) << 3);
    let pa = descAddr;
    if (nested) {
      pa = s2ForWalk(descAddr);
      if (pa == WALK_FAULT) return WALK_FAULT;
    }
    if (!isRam(pa)) return fault(FAULT_EXTERNAL_WALK, level);
    const d = load<u64>(ramHostAddr(pa));
    if ((d & 1) == 0) return fault(FAULT_TRANSLATION, level);
    const addr = d & ADDR_47_12;
    if ((d & 2) != 0 && level < 3) { // table descriptor
      if ((addr >> outBits) != 0) return fault(FAULT_ADDRESS_SIZE, level);
      tableAttrs |= <u32>(d >> 59) & 15;
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
    const out = (addr & ~blockMask) | (va & blockMask);
    const attrIndx = <u32>(d >> 2) & 7;
    wLevel = level;
    wSH = <u32>(d >> 8) & 3;
    if (regime == REGIME_EL2) {
      // Non-VHE EL2: AP[1] is RES1 and ignored, PXN and APTable[0] and PXNTable are RES0.
      const ro = ((<u32>(d >> 7) & 1) | (tableAttrs >> 3)) & 1;
      const xn = ((<u32>(d >> 54) & 1) | (tableAttrs >> 1)) & 1;
      const wxn = (srGet(SCTLR_EL2) & (1 << 19)) != 0;
      let p: u32 = S1P_R1;
      if (!ro) p |= S1P_W1;
      if (!xn && !(wxn && !ro)) p |= S1P_X1;
      wPerms = p;
      wGlobal = true;
      wPanSens = false;
      wAttr = <u32>(srGet(MAIR_EL2) >> (attrIndx << 3)) & 0xff;
    } else {
      // AP[2:1] with APTable: APTable[0] removes EL0 access, APTable[1] makes read-only.
      let ap = <u32>(d >> 6) & 3; // bit 0 = AP[1] (EL0 access), bit 1 = AP[2] (read-only)
      if (tableAttrs & 4) ap &= ~1;
      if (tableAttrs & 8) ap |= 2;
      const uxn = ((<u32>(d >> 54) & 1) | (tableAttrs >> 1)) & 1;
      const pxn = ((<u32>(d >> 53) & 1) | tableAttrs) & 1;
      const wxn = (srGet(SCTLR_EL1) & (1 << 19)) != 0;
      const el0r = (ap & 1) != 0;
      const ro = (ap & 2) != 0;
      const el0w = el0r && !ro;
      let p: u32 = S1P_R1;
      if (!ro) p |= S1P_W1;
      if (el0r) p |= S1P_R0;
      if (el0w) p |= S1P_W0;
      if (!uxn && !(wxn && el0w)) p |= S1P_X0;
      // EL1 never executes from a location EL0 can write (Arm ARM D8.4.1.2), nor with PXN, nor
      // from a writable location under SCTLR_EL1.WXN.
      if (!pxn && !el0w && !(wxn && !ro)) p |= S1P_X1;
      wPerms = p;
      wGlobal = ((d >> 11) & 1) == 0;
      wPanSens = el0r;
      wAttr = <u32>(srGet(MAIR_EL1) >> (attrIndx << 3)) & 0xff;
    }
    wDevice = (wAttr & 0xf0) == 0;
    return out;
  }
  return WALK_FAULT; // not reached
}

/**
 * Stage-2 walk of `ipa` with explicit VTTBR_EL2/VTCR_EL2 values. `s1ptw` marks the walk as the
 * translation of a stage-1 descriptor fetch (recorded in the fault). Faults are recorded as stage
 * 2 with the IPA. Returns the PA or WALK_FAULT.
 */
export function walkS2(ipa: u64, vttbr: u64, vtcr: u64, s1ptw: bool): u64 {
  const tsz = <u32>vtcr & 63;
  const sl0 = <u32>(vtcr >> 6) & 3;
  const ps = <u32>(vtcr >> 16) & 7;
  if (FAULT_ON_UNSUPPORTED_GRANULE && !granule4K(<u32>(vtcr >> 14) & 3, true)) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);
  if (tsz < MIN_TXSZ || tsz > MAX_TXSZ) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);
  const inputsize: u32 = 64 - tsz;
  // AArch64.S2InvalidSL / S2InconsistentSL (4 KiB granule): SL0 0 → level 2, 1 → level 1,
  // 2 → level 0 (PARange >= 44), 3 reserved without FEAT_TTST. The start level must resolve the
  // IPA with 1 to 16 concatenated tables: levels*9 + 13 <= inputsize <= levels*9 + 25.
  if (sl0 == 3) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);
  let level: i32 = 2 - <i32>sl0;
  const levels = <u32>(3 - level);
  const minIa = levels * 9 + 13;
  if (inputsize < minIa || inputsize > minIa + 12) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);
  if ((ipa >> inputsize) != 0) return fault2(FAULT_TRANSLATION, 0, s1ptw, ipa);

  const outBits = psBits(ps);
  let base = vttbr & BADDR_47_1;
  if ((base >> outBits) != 0) return fault2(FAULT_ADDRESS_SIZE, 0, s1ptw, ipa);
  let shift: u32 = 12 + 9 * levels;
  const startBits = inputsize - shift; // up to 13: 16 concatenated tables
  base &= ~((<u64>1 << (startBits + 3)) - 1);
  let idxMask: u64 = (<u64>1 << startBits) - 1;

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
      continue;
    }
    if (level == 3 ? (d & 2) == 0 : level == 0) return fault2(FAULT_TRANSLATION, level, s1ptw, ipa);
    if ((addr >> outBits) != 0) return fault2(FAULT_ADDRESS_SIZE, level, s1ptw, ipa);
    if ((d & AF) == 0) return fault2(FAULT_ACCESS_FLAG, level, s1ptw, ipa);
    const blockMask = (<u64>1 << shift) - 1;
    let p: u32 = 0;
    if (d & (1 << 6)) p |= S2P_R;
    if (d & (1 << 7)) p |= S2P_W;
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
