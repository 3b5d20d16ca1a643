// Address translation for one access: VA → PA by the regime of an mmu index, through the tagged
// translation cache (tlb2.ts) or a walk (walk.ts), with the permission and alignment checks.
//
//   EL2 regime      stage 1 (SCTLR_EL2.M) only.
//   EL1&0 regime    stage 1 (SCTLR_EL1.M, off under HCR_EL2.DC/TGE), then stage 2 when HCR_EL2.VM
//                   or DC is set; each stage-1 descriptor fetch goes through stage 2 as well.
//
// On success `tPerms` holds what the fast TLB may cache for the mmu index (PERM_R/W/X of the
// combined stages; EL1 reads and writes of EL0-accessible pages are left out so that PSTATE.PAN is
// checked on the slow path). On failure the fault is recorded (fault.ts) and TRANSLATE_FAULT
// returned; abort.ts turns it into the exception.
import {
  FAULT_ADDRESS_SIZE, FAULT_ALIGNMENT, FAULT_PERMISSION, setFault,
} from './fault';
import { MMU_EL0, MMU_EL2, PERM_R, PERM_W, PERM_X } from './tlb';
import {
  SCTLR_EL1, SCTLR_EL2, TCR_EL1, TCR_EL2, TTBR0_EL1, TTBR1_EL1, VTCR_EL2, VTTBR_EL2, srGet,
} from './sysregs';
import { getPstateMisc, hcr, HCR_DC, HCR_TGE, HCR_VM, haveEL2 } from './state';
import {
  REGIME_EL10, REGIME_EL2, S1P_ALL, S1P_R0, S1P_R1, S1P_W0, S1P_W1, S1P_X0, S1P_X1, S2P_ALL, S2P_R,
  S2P_W, S2P_X0, S2P_X1, WALK_FAULT, walkMemoClear, walkParamsChanged, walkS1, walkS2, wDevice, wGlobal, wLevel, wPanSens, wPerms,
} from './walk';
import {
  F_DEVICE, F_GLOBAL, F_LEVEL_SHIFT, F_PAN, F_PERMS, KIND_EL10_S1, KIND_EL10_S12, KIND_EL2, M_DATA,
  PAGE_BITS, S2D_DEVICE, S2D_LEVEL_SHIFT, VPN_MASK, s2cInsert, s2cLookup, tlb2Insert, tlb2Lookup,
} from './tlb2';

export const TRANSLATE_FAULT: u64 = <u64>-1;
export const ACC_READ: u32 = 0;
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;

/** Implemented physical address size (ID_AA64MMFR0_EL1.PARange = 0b0101: 48 bits). */
export const PA_BITS: u32 = 48;
const PA_MASK: u64 = 0x0000_ffff_ffff_ffff;
const PSTATE_PAN: u32 = 1 << 22;

export let tPerms: u32 = 0;
@inline export function setTPerms(p: u32): void { tPerms = p; }

/** When false (walk() export, AT), translations neither use nor fill the caches. */
let useCaches: bool = true;
export function setUseCaches(on: bool): void { useCaches = on; }

// Facts about the last successful translate(), for callers that need more than the PA.
export let tLevel: i32 = 0; // stage-1 leaf level (or stage-2 level when stage 1 is off)

export function stage1Enabled(idx: u32): bool {
  if (idx == MMU_EL2) return (srGet(SCTLR_EL2) & 1) != 0;
  if ((hcr() & (HCR_DC | HCR_TGE)) != 0) return false;
  return (srGet(SCTLR_EL1) & 1) != 0;
}

@inline export function stage2Enabled(idx: u32): bool {
  return idx != MMU_EL2 && (hcr() & (HCR_VM | HCR_DC)) != 0; // hcr() is 0 without EL2
}

/** Current VMID (VTTBR_EL2[63:48], 8 bits unless VTCR_EL2.VS); 0 without EL2. */
export function currentVmid(): u32 {
  if (!haveEL2()) return 0;
  const v = <u32>(srGet(VTTBR_EL2) >> 48);
  return (srGet(VTCR_EL2) & (1 << 19)) != 0 ? v : v & 0xff;
}

/** Current EL1&0 ASID (TTBR0 or TTBR1 by TCR_EL1.A1; 8 bits unless TCR_EL1.AS). */
export function currentAsid(): u32 {
  const tcr = srGet(TCR_EL1);
  const a = <u32>(((tcr >> 22) & 1) != 0 ? srGet(TTBR1_EL1) >> 48 : srGet(TTBR0_EL1) >> 48);
  return ((tcr >> 36) & 1) != 0 ? a : a & 0xff;
}

/** PERM_R/W/X allowed by stage-1 permissions `p` (S1P_*) for EL0 or EL1/EL2, with PAN. */
@inline function s1Allowed(p: u32, el0: bool, pan: bool, panSens: bool): u32 {
  if (el0) return p & 7;
  let r = (p >> 3) & 7;
  if (pan && panSens) r &= PERM_X;
  return r;
}

/** PERM_R/W/X allowed by stage-2 permissions (S2P_*) for an access from EL0 or EL1. */
@inline function s2Allowed(p: u32, el0: bool): u32 {
  return (p & 3) | ((p & (el0 ? S2P_X0 : S2P_X1)) != 0 ? PERM_X : 0);
}

/** Combined stage 1 + stage 2 permissions in the S1P_* layout. */
@inline function combinePerms(s1: u32, s2: u32): u32 {
  let m: u32 = 0;
  if (s2 & S2P_R) m |= S1P_R0 | S1P_R1;
  if (s2 & S2P_W) m |= S1P_W0 | S1P_W1;
  if (s2 & S2P_X0) m |= S1P_X0;
  if (s2 & S2P_X1) m |= S1P_X1;
  return s1 & m;
}

/** What the fast TLB of an mmu index may hold for a page with combined perms and PAN flag. */
@inline function fastPerms(perms: u32, el0: bool, panSens: bool): u32 {
  if (el0) return perms & 7;
  const r = (perms >> 3) & 7;
  return panSens ? r & PERM_X : r;
}

@inline function permFault(level: i32, stage2: bool, ipa: u64): u64 {
  setFault(FAULT_PERMISSION, level, stage2, false, ipa);
  return TRANSLATE_FAULT;
}

// The EL1&0 translation context, recomputed after any change of the registers it depends on
// (contextChanged() → tlb.ts setMmuIdx → mmuContextChanged()): SCTLR_EL1, TCR_EL1, TTBR0/1_EL1,
// HCR_EL2, VTTBR_EL2, VTCR_EL2, the configuration.
let ctxValid: bool = false;
let ctxS1: bool = false; // stage 1 enabled (SCTLR_EL1.M, not HCR_EL2.DC/TGE)
let ctxS2: bool = false; // stage 2 enabled (HCR_EL2.VM or DC)
let ctxVmid: u32 = 0;
let ctxAsid: u32 = 0;
let ctxTcr: u64 = 0;

export function mmuContextChanged(): void { ctxValid = false; walkParamsChanged(); }

function loadContext(): void {
  if (!useCaches) walkParamsChanged(); // fresh walk (walk export, AT): decode the registers anew
  const h = hcr();
  ctxS2 = (h & (HCR_VM | HCR_DC)) != 0;
  ctxS1 = (srGet(SCTLR_EL1) & 1) != 0 && (h & (HCR_DC | HCR_TGE)) == 0;
  ctxVmid = currentVmid();
  ctxAsid = currentAsid();
  ctxTcr = srGet(TCR_EL1);
  ctxValid = true;
}

/**
 * Translates va for `access` in mmu index idx. `unaligned`: the access is not naturally aligned
 * (an alignment fault if the memory is Device, checked after translation faults and before
 * permission faults, as AArch64.S1HasAlignmentFault/S2HasAlignmentFault order them).
 */
export function translate(va: u64, access: u32, idx: u32, unaligned: bool = false): u64 {
  walkMemoClear();
  if (idx == MMU_EL2) return translateEL2(va, access, unaligned);
  if (!ctxValid || !useCaches) loadContext();
  const s2 = ctxS2;
  const el0 = idx == MMU_EL0;
  if (!ctxS1) {
    const ipa = flat(va, ctxTcr, true);
    if (ipa == TRANSLATE_FAULT) return TRANSLATE_FAULT;
    tLevel = 0;
    if (!s2) { tPerms = PERM_R | PERM_W | PERM_X; return ipa; }
    return stage2Final(ipa, access, el0, unaligned, S1P_ALL, false);
  }
  const pan = !el0 && (getPstateMisc() & PSTATE_PAN) != 0;
  const bit: u32 = 1 << access;
  const kind = s2 ? KIND_EL10_S12 : KIND_EL10_S1;
  const vpn = (va >> 12) & VPN_MASK;
  if (useCaches) {
    const top = <i64>va >> 55;
    if (top == 0 || top == -1 || ((ctxTcr >> (37 + <u64>(top & 1))) & 1) != 0) {
      const e = tlb2Lookup(kind, ctxVmid, ctxAsid, vpn);
      if (e != 0) {
        const d = load<u64>(e, M_DATA);
        const p = <u32>(d & F_PERMS);
        const ps = (d & F_PAN) != 0;
        if ((s1Allowed(p, el0, pan, ps) & bit) != 0 && !(unaligned && (d & F_DEVICE) != 0)) {
          tPerms = fastPerms(p, el0, ps);
          tLevel = <i32>(d >> F_LEVEL_SHIFT) & 3;
          return (d & PAGE_BITS) | (va & 0xfff);
        }
      }
    }
  }
  // Walk stage 1, check it, then stage 2 for the output IPA.
  const ipa = walkS1(va, REGIME_EL10, s2, ctxVmid, useCaches);
  if (ipa == WALK_FAULT) return TRANSLATE_FAULT;
  const s1Level = wLevel;
  const s1Perms = wPerms;
  const global = wGlobal;
  const panSens = wPanSens;
  let device = wDevice;
  if (unaligned && device) { setFault(FAULT_ALIGNMENT, 0, false, false, 0); return TRANSLATE_FAULT; }
  if ((s1Allowed(s1Perms, el0, pan, panSens) & bit) == 0) return permFault(s1Level, false, 0);
  let pa = ipa;
  let perms = s1Perms;
  if (s2) {
    pa = stage2Final(ipa, access, el0, unaligned, s1Perms, panSens);
    if (pa == TRANSLATE_FAULT) return TRANSLATE_FAULT;
    perms = combinePerms(s1Perms, s2LastPerms);
    device = device || s2LastDevice;
  } else {
    tPerms = fastPerms(perms, el0, panSens);
  }
  tLevel = s1Level;
  if (useCaches) {
    tlb2Insert(kind, ctxVmid, ctxAsid, vpn, (pa & PAGE_BITS) | <u64>perms |
      (global ? F_GLOBAL : 0) | (panSens ? F_PAN : 0) | (<u64>s1Level << F_LEVEL_SHIFT) | (device ? F_DEVICE : 0));
  }
  return pa;
}

// Stage-2 permissions and memory type of the last stage2Final().
let s2LastPerms: u32 = 0;
let s2LastDevice: bool = false;

/**
 * Stage 2 of a data access or fetch: the IPA through the walk cache or a stage-2 walk, alignment
 * and permission checks. Sets tPerms to the combination with stage-1 permissions s1Perms.
 */
function stage2Final(ipa: u64, access: u32, el0: bool, unaligned: bool, s1Perms: u32, panSens: bool): u64 {
  const vmid = ctxVmid;
  const ipn = ipa >> 12;
  let d: u64 = 0;
  if (useCaches) d = s2cLookup(vmid, ipn);
  let pa: u64, p: u32, dev: bool, level: i32;
  if (d != 0) {
    p = <u32>d & 15;
    dev = (d & S2D_DEVICE) != 0;
    level = <i32>(d >> S2D_LEVEL_SHIFT) & 3;
    pa = (d & PAGE_BITS) | (ipa & 0xfff);
  } else {
    pa = walkS2(ipa, srGet(VTTBR_EL2), srGet(VTCR_EL2), false);
    if (pa == WALK_FAULT) return TRANSLATE_FAULT;
    p = wPerms;
    dev = wDevice;
    level = wLevel;
    if (useCaches) s2cInsert(vmid, ipn, (pa & PAGE_BITS) | <u64>p | (<u64>level << S2D_LEVEL_SHIFT) | (dev ? S2D_DEVICE : 0));
  }
  if (unaligned && dev) { setFault(FAULT_ALIGNMENT, 0, true, false, ipa); return TRANSLATE_FAULT; }
  if ((s2Allowed(p, el0) & (1 << access)) == 0) return permFault(level, true, ipa);
  s2LastPerms = p;
  s2LastDevice = dev;
  tPerms = fastPerms(combinePerms(s1Perms, p), el0, panSens);
  return pa;
}

/**
 * Stage 2 of a stage-1 descriptor fetch (called by walkS1 when nested): the descriptor's IPA must
 * be readable at stage 2. Faults are stage 2 with S1PTW set and the descriptor IPA.
 */
export function s2ForWalk(ipa: u64, probed: bool = false): u64 {
  const ipn = ipa >> 12;
  if (useCaches && !probed) { // only reached from translate(), which has loaded the context
    const d = s2cLookup(ctxVmid, ipn);
    if (d != 0) {
      if ((d & S2P_R) != 0) return (d & PAGE_BITS) | (ipa & 0xfff);
      setFault(FAULT_PERMISSION, <i32>(d >> S2D_LEVEL_SHIFT) & 3, true, true, ipa);
      return WALK_FAULT;
    }
  }
  const pa = walkS2(ipa, srGet(VTTBR_EL2), srGet(VTCR_EL2), true);
  if (pa == WALK_FAULT) return WALK_FAULT;
  if (useCaches) s2cInsert(ctxVmid, ipn, (pa & PAGE_BITS) | <u64>wPerms | (<u64>wLevel << S2D_LEVEL_SHIFT) | (wDevice ? S2D_DEVICE : 0));
  if ((wPerms & S2P_R) == 0) {
    setFault(FAULT_PERMISSION, wLevel, true, true, ipa);
    return WALK_FAULT;
  }
  return pa;
}

/**
 * Stage 1 disabled: the VA is the output address, which must fit in PARange (bits [top:48] zero,
 * top = 55 with TBI, else 63): else an address size fault at level 0 (AArch64.S1DisabledOutput).
 */
function flat(va: u64, tcr: u64, el10: bool): u64 {
  const tbi: u32 = el10 ? <u32>(tcr >> (37 + <u32>((va >> 55) & 1))) & 1 : <u32>(tcr >> 20) & 1;
  const hi = tbi ? (va << 8) >> (PA_BITS + 8) : va >> PA_BITS;
  if (hi != 0) {
    setFault(FAULT_ADDRESS_SIZE, 0, false, false, 0);
    return TRANSLATE_FAULT;
  }
  return va & PA_MASK;
}

function translateEL2(va: u64, access: u32, unaligned: bool): u64 {
  if (!useCaches) walkParamsChanged(); // fresh walk: decode the registers anew
  if ((srGet(SCTLR_EL2) & 1) == 0) {
    const pa = flat(va, srGet(TCR_EL2), false);
    if (pa != TRANSLATE_FAULT) { tPerms = PERM_R | PERM_W | PERM_X; tLevel = 0; }
    return pa;
  }
  const bit: u32 = 1 << access;
  if (useCaches) {
    const tbi = <u32>(srGet(TCR_EL2) >> 20) & 1;
    if (tbi != 0 || (va >> 56) == 0) {
      const e = tlb2Lookup(KIND_EL2, 0, 0, (va >> 12) & VPN_MASK);
      if (e != 0) {
        const d = load<u64>(e, M_DATA);
        const r = (<u32>d >> 3) & 7;
        if ((r & bit) != 0 && !(unaligned && (d & F_DEVICE) != 0)) {
          tPerms = r;
          tLevel = <i32>(d >> F_LEVEL_SHIFT) & 3;
          return (d & PAGE_BITS) | (va & 0xfff);
        }
      }
    }
  }
  const pa = walkS1(va, REGIME_EL2, false);
  if (pa == WALK_FAULT) return TRANSLATE_FAULT;
  if (unaligned && wDevice) { setFault(FAULT_ALIGNMENT, 0, false, false, 0); return TRANSLATE_FAULT; }
  const r = (wPerms >> 3) & 7;
  if ((r & bit) == 0) return permFault(wLevel, false, 0);
  tPerms = r;
  tLevel = wLevel;
  if (useCaches) {
    tlb2Insert(KIND_EL2, 0, 0, (va >> 12) & VPN_MASK, (pa & PAGE_BITS) | <u64>wPerms | F_GLOBAL |
      (<u64>wLevel << F_LEVEL_SHIFT) | (wDevice ? F_DEVICE : 0));
  }
  return pa;
}

/**
 * Stage-2 translation of an IPA with explicit VTTBR_EL2/VTCR_EL2 (no caches): for a hosted EL2 or
 * an IOMMU. el0: execute permission as for an EL0 access. Returns the PA or TRANSLATE_FAULT.
 */
export function translateStage2(ipa: u64, access: u32, el0: bool, vttbr: u64, vtcr: u64): u64 {
  walkMemoClear();
  const pa = walkS2(ipa, vttbr, vtcr, false);
  if (pa == WALK_FAULT) return TRANSLATE_FAULT;
  if ((s2Allowed(wPerms, el0) & (1 << access)) == 0) return permFault(wLevel, true, ipa);
  tPerms = s2Allowed(wPerms, el0);
  return pa;
}
