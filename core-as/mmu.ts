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
  REGIME_EL10, REGIME_EL2, S1I_DEVICE, S1I_LEVEL_SHIFT, S1I_PAN, S1P_ALL, S2P_X0, S2P_X1, WALK_FAULT,
  s1Info, s2Final, s2FinalAfterS1, walkMemoClear, walkParamsChanged, walkS1, walkS1Cached, walkS2,
  walkSetVmid, wDevice, wLevel, wPerms,
} from './walk';
import {
  F_DEVICE, F_GLOBAL, F_LEVEL_SHIFT, F_PERMS, KIND_EL10_S1, KIND_EL10_S12, KIND_EL2, M_DATA, PAGE_BITS,
  S2D_DEVICE, S2D_LEVEL_SHIFT, VPN_MASK, tlb2Insert, tlb2InsertCx, tlb2Lookup, tlb2LookupCx, tlb2SetContext,
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
export function setUseCaches(on: bool): void { useCaches = on; ctxReady = false; }

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

/** PERM_R/W/X allowed by stage-2 permissions m in the S1P_* layout (walk-cache data, tlb2.ts). */
@inline function s2AllowedM(m: u32, el0: bool): u32 {
  return el0 ? m & 7 : (m >> 3) & 7;
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
let ctxReady: bool = false; // decoded, and the caches in use (else loadContext on every translation)
let ctxS1: bool = false; // stage 1 enabled (SCTLR_EL1.M, not HCR_EL2.DC/TGE)
let ctxS2: bool = false; // stage 2 enabled (HCR_EL2.VM or DC)
let ctxVmid: u32 = 0;
let ctxAsid: u32 = 0;
let ctxTcr: u64 = 0;
let ctxKind: u32 = KIND_EL10_S1; // tagged-TLB kind: KIND_EL10_S12 with stage 2

export function mmuContextChanged(): void { ctxReady = false; walkParamsChanged(); }

function loadContext(): void {
  if (!useCaches) walkParamsChanged(); // fresh walk (walk export, AT): decode the registers anew
  const h = hcr();
  ctxS2 = (h & (HCR_VM | HCR_DC)) != 0;
  ctxS1 = (srGet(SCTLR_EL1) & 1) != 0 && (h & (HCR_DC | HCR_TGE)) == 0;
  ctxVmid = currentVmid();
  ctxAsid = currentAsid();
  ctxTcr = srGet(TCR_EL1);
  ctxKind = ctxS2 ? KIND_EL10_S12 : KIND_EL10_S1;
  walkSetVmid(ctxVmid);
  tlb2SetContext(ctxKind, ctxVmid, ctxAsid);
  ctxReady = useCaches;
}

/**
 * Translates va for `access` in mmu index idx. `unaligned`: the access is not naturally aligned
 * (an alignment fault if the memory is Device, checked after translation faults and before
 * permission faults, as AArch64.S1HasAlignmentFault/S2HasAlignmentFault order them).
 */
export function translate(va: u64, access: u32, idx: u32, unaligned: bool = false): u64 {
  if (idx == MMU_EL2) return translateEL2(va, access, unaligned);
  if (!ctxReady) loadContext();
  const el0 = idx == MMU_EL0;
  if (!ctxS1) return translateNoS1(va, access, el0, unaligned);
  const pan = !el0 && (getPstateMisc() & PSTATE_PAN) != 0;
  if (ctxReady) { // (the caches are in use)
    const top = <i64>va >> 55;
    if (<u64>(top + 1) <= 1 || ((ctxTcr >> (37 + <u64>(top & 1))) & 1) != 0) { // VA[63:55] uniform, or TBI
      const e = tlb2LookupCx((va >> 12) & VPN_MASK);
      if (e != 0) {
        const d = load<u64>(e, M_DATA);
        const f = <u32>d;
        const sh: u32 = el0 ? 0 : 3; // PERM_R/W/X of EL0 or EL1 in S1P_* permissions
        // PSTATE.PAN: an EL1 access to a page EL0 may read or write gets execute permission only
        const allowed = (f >> sh) & (7 ^ (((f >> 7) & <u32>pan) * 3));
        if ((allowed & (1 << access)) != 0 && !(unaligned && (f & <u32>F_DEVICE) != 0)) {
          tPerms = (f >> sh) & (7 ^ (((f >> 7) & <u32>!el0) * 3)); // (PAN checked on the slow path)
          tLevel = <i32>(f >> F_LEVEL_SHIFT) & 3;
          return (d & PAGE_BITS) | (va & 0xfff);
        }
      }
    }
    if (ctxS2) return translateNested(va, access, el0, pan, unaligned);
  }
  return translateWalk(va, access, el0, pan, unaligned);
}

/** EL1&0 with stage 1 disabled: the VA is the IPA. */
function translateNoS1(va: u64, access: u32, el0: bool, unaligned: bool): u64 {
  walkMemoClear();
  const ipa = flat(va, ctxTcr, true);
  if (ipa == TRANSLATE_FAULT) return TRANSLATE_FAULT;
  tLevel = 0;
  if (!ctxS2) { tPerms = PERM_R | PERM_W | PERM_X; return ipa; }
  return stage2Final(ipa, access, el0, unaligned, S1P_ALL, false);
}

/**
 * The EL1&0 translation with stage 2 and the caches after a tagged-TLB miss (the common case of a
 * guest under a hypervisor): as translateWalk, specialised.
 */
function translateNested(va: u64, access: u32, el0: bool, pan: bool, unaligned: bool): u64 {
  walkMemoClear();
  const ipa = walkS1Cached(va);
  if (ipa == WALK_FAULT) return TRANSLATE_FAULT;
  let flags = s1Info; // the tagged TLB's flags (S1I_* are F_*)
  const sh: u32 = el0 ? 0 : 3; // PERM_R/W/X of EL0 or EL1 in S1P_* permissions
  const bit: u32 = 1 << access;
  const allowed = (flags >> sh) & (7 ^ (((flags >> 7) & <u32>pan) * 3)); // (S1I_PAN: bit 7)
  if ((allowed & bit) == 0 || (unaligned && (flags & S1I_DEVICE) != 0)) return s1CheckFault(flags, unaligned);
  const w = s2FinalAfterS1(ipa);
  if (w == WALK_FAULT) return TRANSLATE_FAULT;
  const m = <u32>w;
  if (((m >> sh) & bit) == 0 || (unaligned && (m & <u32>S2D_DEVICE) != 0)) return s2CheckFault(m, unaligned, ipa);
  // both stages' permissions (a bitwise AND in this layout); Device from either
  flags = (flags & (m | ~<u32>F_PERMS)) | ((m & <u32>S2D_DEVICE) << 4);
  tPerms = (flags >> sh) & (7 ^ (((flags >> 7) & <u32>!el0) * 3));
  tLevel = <i32>(flags >> S1I_LEVEL_SHIFT) & 3;
  const pa = (w & PAGE_BITS) | (ipa & 0xfff);
  tlb2InsertCx((va >> 12) & VPN_MASK, (pa & PAGE_BITS) | <u64>flags);
  return pa;
}

/** The stage-1 fault of translateNested: alignment (Device, unaligned) before permission. */
function s1CheckFault(flags: u32, unaligned: bool): u64 {
  if (unaligned && (flags & S1I_DEVICE) != 0) { setFault(FAULT_ALIGNMENT, 0, false, false, 0); return TRANSLATE_FAULT; }
  return permFault(<i32>(flags >> S1I_LEVEL_SHIFT) & 3, false, 0);
}

/** The stage-2 fault of translateNested (m: walk-cache flags): alignment before permission. */
function s2CheckFault(m: u32, unaligned: bool, ipa: u64): u64 {
  if (unaligned && (m & <u32>S2D_DEVICE) != 0) { setFault(FAULT_ALIGNMENT, 0, true, false, ipa); return TRANSLATE_FAULT; }
  return permFault(<i32>(m >> S2D_LEVEL_SHIFT) & 3, true, ipa);
}

/**
 * The EL1&0 translation after a tagged-TLB miss without stage 2, or without the caches (the walk()
 * export): walk stage 1, check it, then stage 2 for the IPA.
 */
function translateWalk(va: u64, access: u32, el0: bool, pan: bool, unaligned: bool): u64 {
  walkMemoClear();
  const s2 = ctxS2;
  const ipa = walkS1(va, REGIME_EL10, s2);
  if (ipa == WALK_FAULT) return TRANSLATE_FAULT;
  let flags = s1Info; // the tagged TLB's flags (S1I_* are F_*)
  const level = <i32>(flags >> S1I_LEVEL_SHIFT) & 3;
  const panSens = (flags & S1I_PAN) != 0;
  const bit: u32 = 1 << access;
  if (unaligned && (flags & S1I_DEVICE) != 0) { setFault(FAULT_ALIGNMENT, 0, false, false, 0); return TRANSLATE_FAULT; }
  if ((s1Allowed(flags & 63, el0, pan, panSens) & bit) == 0) return permFault(level, false, 0);
  let pa = ipa;
  if (s2) {
    const w = s2Final(ipa, ctxVmid, useCaches);
    if (w == WALK_FAULT) return TRANSLATE_FAULT;
    const m = <u32>w;
    if (unaligned && (m & <u32>S2D_DEVICE) != 0) { setFault(FAULT_ALIGNMENT, 0, true, false, ipa); return TRANSLATE_FAULT; }
    if ((s2AllowedM(m, el0) & bit) == 0) return permFault(<i32>(m >> S2D_LEVEL_SHIFT) & 3, true, ipa);
    // both stages' permissions (a bitwise AND in this layout); Device from either
    flags = (flags & (m | ~<u32>F_PERMS)) | ((m & <u32>S2D_DEVICE) << 4);
    pa = (w & PAGE_BITS) | (ipa & 0xfff);
  }
  tPerms = fastPerms(flags & 63, el0, panSens);
  tLevel = level;
  if (useCaches) tlb2InsertCx((va >> 12) & VPN_MASK, (pa & PAGE_BITS) | <u64>flags);
  return pa;
}

/**
 * Stage 2 of a data access or fetch: the IPA through the walk cache or a stage-2 walk, alignment
 * and permission checks. Sets tPerms to the combination with stage-1 permissions s1Perms.
 */
function stage2Final(ipa: u64, access: u32, el0: bool, unaligned: bool, s1Perms: u32, panSens: bool): u64 {
  const w = s2Final(ipa, ctxVmid, useCaches);
  if (w == WALK_FAULT) return TRANSLATE_FAULT;
  const m = <u32>w;
  if (unaligned && (m & <u32>S2D_DEVICE) != 0) { setFault(FAULT_ALIGNMENT, 0, true, false, ipa); return TRANSLATE_FAULT; }
  if ((s2AllowedM(m, el0) & (1 << access)) == 0) return permFault(<i32>(m >> S2D_LEVEL_SHIFT) & 3, true, ipa);
  tPerms = fastPerms(s1Perms & m, el0, panSens);
  return (w & PAGE_BITS) | (ipa & 0xfff);
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
