// Address translation instructions (AT, Arm ARM C5.5 and D8.16): translate without using or
// filling the TLBs and report the result or the fault in PAR_EL1 (64-bit format, D24.2 PAR_EL1).
//
//   AT S1E1R/W, S1E1RP/WP (PAN), S1E0R/W  stage 1 of the EL1&0 regime: the result is the IPA
//                                         (descriptor fetches still go through stage 2)
//   AT S12E1R/W, S12E0R/W (EL2 only)      stages 1 and 2: the PA
//   AT S1E2R/W (EL2 only)                 stage 1 of the EL2 regime
//
// PAR_EL1 on success: PA[47:12], NS (bit 9, this PE is Non-secure), SH[8:7], ATTR[63:56] in MAIR
// format (stage-2 attributes combined as for HCR_EL2.FWB = 0, as QEMU's combine_cacheattrs);
// bit 11 is RES1. On a fault: F = 1, FST[6:1], PTW (bit 8, stage-2 fault on the stage-1 walk),
// S (bit 9, stage 2). Two faults are taken as exceptions instead (AArch64.AT): a stage-2 fault on
// the stage-1 walk of AT S1E0*/S1E1* executed at EL1 (data abort to EL2, S1PTW = 1), and an
// external abort on a walk; both with CM = 1 and WnR = 1.
import { PAR_EL1, SCTLR_EL2, SCTLR_EL1, TCR_EL1, TCR_EL2, VTCR_EL2, VTTBR_EL2, srGet, srSet } from './sysregs';
import { setUseCaches } from './mmu';
import {
  faultS1PTW, faultStage2, faultStatusCode, faultType, FAULT_ADDRESS_SIZE, FAULT_EXTERNAL_WALK,
  FAULT_PERMISSION, setFault,
} from './fault';
import {
  REGIME_EL10, REGIME_EL2, S2P_R, S2P_W, WALK_FAULT, walkMemoClear, walkParamsChanged, walkS1, walkS2, wAttr, wLevel,
  wPanSens, wPerms, wSH,
} from './walk';
import { curEL, getPstateMisc, hcr, HCR_DC, HCR_TGE, HCR_VM } from './state';
import { raiseMaintenanceAbort } from './abort';

const PSTATE_PAN: u32 = 1 << 22;

// Attributes of the last atTranslate() (MAIR format) and shareability.
let atAttr: u32 = 0;
let atSH: u32 = 0;

/** Stage 1 disabled: VA must fit in 48 bits (TBI from the TCR), attributes Device-nGnRnE, or
 *  Normal WB when HCR_EL2.DC applies. */
function atFlat(va: u64, tbi: u32, dc: bool): u64 {
  const hi = tbi ? (va << 8) >> 56 : va >> 48;
  if (hi != 0) { setFault(FAULT_ADDRESS_SIZE, 0, false, false, 0); return WALK_FAULT; }
  atAttr = dc ? 0xff : 0x00;
  atSH = 0;
  return va & 0x0000_ffff_ffff_ffff;
}

/**
 * Stage-1 translation for AT in `regime` with the permission check of an EL0 (el0) or EL1/EL2
 * access (write or read), PAN when `pan`. Returns the IPA/PA or WALK_FAULT.
 */
function atStage1(va: u64, regime: u32, el0: bool, pan: bool, write: bool): u64 {
  if (regime == REGIME_EL2) {
    if ((srGet(SCTLR_EL2) & 1) == 0) return atFlat(va, <u32>(srGet(TCR_EL2) >> 20) & 1, false);
  } else {
    const h = hcr();
    if ((srGet(SCTLR_EL1) & 1) == 0 || (h & (HCR_DC | HCR_TGE)) != 0) {
      return atFlat(va, <u32>(srGet(TCR_EL1) >> (37 + <u32>((va >> 55) & 1))) & 1, (h & HCR_DC) != 0);
    }
  }
  const nested = regime == REGIME_EL10 && (hcr() & (HCR_VM | HCR_DC)) != 0;
  const out = walkS1(va, regime, nested);
  if (out == WALK_FAULT) return WALK_FAULT;
  let p: u32 = el0 ? wPerms & 7 : (wPerms >> 3) & 7;
  if (pan && !el0 && wPanSens) p &= 4;
  if ((p & (write ? 2 : 1)) == 0) { setFault(FAULT_PERMISSION, wLevel, false, false, 0); return WALK_FAULT; }
  atAttr = wAttr;
  atSH = wSH;
  return out;
}

/** Stage 2 for AT S12E* (read or write permission only): attributes combined with stage 1's. */
function atStage2(ipa: u64, write: bool): u64 {
  const pa = walkS2(ipa, srGet(VTTBR_EL2), srGet(VTCR_EL2), false);
  if (pa == WALK_FAULT) return WALK_FAULT;
  if ((wPerms & (write ? S2P_W : S2P_R)) == 0) { setFault(FAULT_PERMISSION, wLevel, true, false, ipa); return WALK_FAULT; }
  let s1 = atAttr;
  let s1sh = atSH;
  if ((hcr() & HCR_DC) != 0) { s1 = 0xff; s1sh = 0; }
  atAttr = combineAttrs(s1, s2ToMair(wAttr));
  atSH = s1sh == 2 || wSH == 2 ? 2 : s1sh == 3 || wSH == 3 ? 3 : 0;
  return pa;
}

/** Stage-2 MemAttr[3:0] to a MAIR byte (QEMU convert_stage2_attrs, HCR_EL2.CD = 0). */
function s2ToMair(a: u32): u32 {
  const hi = (a >> 2) & 3, lo = a & 3;
  if (hi == 0) return lo << 2; // Device
  const hh: u32 = hi != 1 ? 3 : 0, lh: u32 = lo != 1 ? 3 : 0;
  return (hi << 6) | (hh << 4) | (lo << 2) | lh;
}

function combineNibble(s1: u32, s2: u32): u32 {
  if (s1 == 4 || s2 == 4) return 4; // Non-cacheable
  const s1t = (s1 >> 2) & 3;
  if (s1t == 0 || s1t == 2) return s1; // stage-1 write-through
  if (((s2 >> 2) & 3) == 2) return (2 << 2) | (s1 & 3); // stage-2 write-through, stage-1 hints
  return s1;
}

/** CombineS1S2Desc memory type for HCR_EL2.FWB == 0 (QEMU combined_attrs_nofwb). */
function combineAttrs(s1: u32, s2: u32): u32 {
  const s1lo = s1 & 15, s2lo = s2 & 15, s1hi = s1 >> 4, s2hi = s2 >> 4;
  if (s1hi == 0 || s2hi == 0) {
    if (s1lo == 0 || s2lo == 0) return 0;
    if (s1lo == 4 || s2lo == 4) return 4;
    if (s1lo == 8 || s2lo == 8) return 8;
    return 0xc;
  }
  return (combineNibble(s1hi, s2hi) << 4) | combineNibble(s1lo, s2lo);
}

/** PAR_EL1.SH: 0b10 for Device and Normal Non-cacheable results (PAREncodeShareability). */
@inline function parSH(attr: u32, sh: u32): u32 {
  return (attr & 0xf0) == 0 || attr == 0x44 || attr == 0x40 ? 2 : sh;
}

/** Executes AT `key` on va; false when an exception was taken instead (PC at the vector). */
export function execAt(key: u32, va: u64): bool {
  const op1 = (key >> 11) & 7, crm = (key >> 3) & 15, op2 = key & 7;
  const write = (op2 & 1) != 0;
  let regime = REGIME_EL10, el0 = false, pan = false, both = false;
  if (op1 == 4) {
    if (op2 <= 1) regime = REGIME_EL2; // S1E2R/W
    else { both = true; el0 = op2 >= 6; } // S12E1R/W, S12E0R/W
  } else {
    el0 = crm == 8 && op2 >= 2; // S1E0R/W
    pan = crm == 9 && (getPstateMisc() & PSTATE_PAN) != 0; // S1E1RP/WP
  }
  setUseCaches(false);
  walkMemoClear();
  walkParamsChanged();
  let out = atStage1(va, regime, el0, pan, write);
  if (out != WALK_FAULT && both && (hcr() & (HCR_VM | HCR_DC)) != 0) out = atStage2(out, write);
  setUseCaches(true);
  if (out == WALK_FAULT) {
    const s1ptwFromEL1 = faultS1PTW && curEL == 1 && op1 == 0;
    if (s1ptwFromEL1 || faultType == FAULT_EXTERNAL_WALK) {
      raiseMaintenanceAbort(va);
      return false;
    }
    srSet(PAR_EL1, 1 | (<u64>faultStatusCode() << 1) | (faultS1PTW ? <u64>1 << 8 : 0) |
      (faultStage2 ? <u64>1 << 9 : 0) | (<u64>1 << 11));
    return true;
  }
  srSet(PAR_EL1, (out & 0x0000_ffff_ffff_f000) | (<u64>atAttr << 56) | (<u64>parSH(atAttr, atSH) << 7) |
    (<u64>1 << 9) | (<u64>1 << 11));
  return true;
}
