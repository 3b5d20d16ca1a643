// Address translation entry point: VA → PA for one access, by the regime of an mmu index.
// Stage 1 disabled: flat (with the address-size check); enabled: walk.ts. Then stage 2 for the
// EL1&0 regime when HCR_EL2.VM is set. On success `tPerms` holds what the fast TLB may cache
// (PERM_R/W/X of the combined stages); on failure the fault is recorded (fault.ts) and
// TRANSLATE_FAULT returned.
import { FAULT_ADDRESS_SIZE, setFault } from './fault';
import { MMU_EL2, PERM_R, PERM_W, PERM_X } from './tlb';
import { SCTLR_EL1, SCTLR_EL2, srGet } from './sysregs';
import { hcr, HCR_DC, HCR_VM, haveEL2 } from './state';
import { walkStage1, walkStage2 } from './walk';

export const TRANSLATE_FAULT: u64 = <u64>-1;
export const ACC_READ: u32 = 0;
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;

/** Implemented physical address size (ID_AA64MMFR0_EL1.PARange = 0b0101: 48 bits). */
export const PA_BITS: u32 = 48;

export let tPerms: u32 = 0;
@inline export function setTPerms(p: u32): void { tPerms = p; }

export function stage1Enabled(idx: u32): bool {
  if (idx == MMU_EL2) return (srGet(SCTLR_EL2) & 1) != 0;
  if ((hcr() & HCR_DC) != 0) return false;
  return (srGet(SCTLR_EL1) & 1) != 0;
}

@inline export function stage2Enabled(idx: u32): bool {
  return idx != MMU_EL2 && haveEL2() && (hcr() & (HCR_VM | HCR_DC)) != 0;
}

export function translate(va: u64, access: u32, idx: u32): u64 {
  let ipa: u64;
  let perms: u32;
  if (stage1Enabled(idx)) {
    ipa = walkStage1(va, access, idx);
    if (ipa == TRANSLATE_FAULT) return TRANSLATE_FAULT;
    perms = tPerms;
  } else {
    if ((va >> PA_BITS) != 0) {
      setFault(FAULT_ADDRESS_SIZE, 0, false, false, 0);
      return TRANSLATE_FAULT;
    }
    ipa = va;
    perms = PERM_R | PERM_W | PERM_X;
  }
  if (!stage2Enabled(idx)) {
    tPerms = perms;
    return ipa;
  }
  const pa = walkStage2(ipa, va, access, false);
  if (pa == TRANSLATE_FAULT) return TRANSLATE_FAULT;
  tPerms = perms & tPerms;
  return pa;
}
