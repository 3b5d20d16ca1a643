// TLB maintenance (TLBI, Arm ARM C5.5 / D8.13), by encoding key (op1, CRm, op2 with CRn = 8), with
// the architectural scope of each operation on the tagged caches (tlb2.ts):
//
//   EL1&0 operations use the current VMID (VTTBR_EL2) when EL2 is implemented.
//   VMALLE1      stage-1 (and combined) entries of the VMID, every ASID and global
//   VAE1/VALE1   entries of VA (Xt[43:0] = VA[55:12]) for ASID Xt[63:48], and global entries
//   VAAE1/VAALE1 entries of VA for every ASID
//   ASIDE1       non-global entries of ASID Xt[63:48]
//   IPAS2E1/IPAS2LE1  stage-2 entries of IPA Xt[35:0] = IPA[47:12] (the walk cache; combined
//                entries need not be invalidated, Linux follows with VMALLE1)
//   VMALLS12E1   stage-1, combined and stage-2 entries of the VMID
//   ALLE1        every EL1&0 entry of every VMID;  ALLE2 / VAE2 / VALE2: the EL2 regime.
//
// The Inner Shareable (IS) and Outer Shareable (OS) forms also reach every other CPU (smp/
// tlb-broadcast.ts); the local forms only the issuing CPU. Our
// entries are all leaf entries, so the last-level (*L*) forms act like the others. The fast TLB
// (untagged, current context only) of the regime is dropped by page, or whole when a block may be
// involved or for the by-context operations; the fetch page is always dropped.
import { srKey } from './sysregs';
import { MMU_EL0, MMU_EL1, MMU_EL2, tlbFlushIdx, tlbFlushPageIdx } from './tlb';
import { invalidateFetch } from './fetch';
import { currentVmid } from './mmu';
import { tlbiBroadcastOthers } from './smp/tlb-broadcast';
import {
  invalidateAllEL10, invalidateAllEL2, invalidateAsid, invalidateIpa, invalidateVa, invalidateVmidS1,
  invalidateVmidS12, IPN_MASK, VPN_MASK,
} from './tlb2';

/** True when key names a TLBI operation this core implements (others are UNDEFINED). */
export function tlbiKnown(key: u32): bool {
  const op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15, op2 = key & 7;
  if (crn != 8) return false;
  if (op1 == 0) {
    if (crm != 1 && crm != 3 && crm != 7) return false;
    return op2 == 0 || op2 == 1 || op2 == 2 || op2 == 3 || op2 == 5 || op2 == 7;
  }
  if (op1 == 4) {
    if (crm == 0 || crm == 4) return op2 == 1 || op2 == 5; // IPAS2E1[IS], IPAS2LE1[IS]
    if (crm == 3 || crm == 7 || crm == 1) return op2 == 0 || op2 == 1 || op2 == 4 || op2 == 5 || op2 == 6;
    return false;
  }
  return false;
}

function flushFastEL10(): void {
  tlbFlushIdx(MMU_EL0);
  tlbFlushIdx(MMU_EL1);
}

/** Executes TLBI `key` with operand `value` (Xt). The key must satisfy tlbiKnown(). */
export function execTlbi(key: u32, value: u64): void {
  const op1 = (key >> 11) & 7, crm = (key >> 3) & 15, op2 = key & 7;
  const vpn = value & VPN_MASK;
  const asid = <u32>(value >> 48);
  if (op1 == 0) {
    const vmid = currentVmid();
    switch (op2) {
      case 0: // VMALLE1
        invalidateVmidS1(vmid);
        flushFastEL10();
        break;
      case 2: // ASIDE1
        invalidateAsid(vmid, asid);
        flushFastEL10();
        break;
      default: { // 1 VAE1, 3 VAAE1, 5 VALE1, 7 VAALE1
        const anyAsid = op2 == 3 || op2 == 7;
        if (invalidateVa(false, vmid, asid, vpn, anyAsid)) {
          flushFastEL10();
        } else {
          tlbFlushPageIdx(MMU_EL0, vpn << 12);
          tlbFlushPageIdx(MMU_EL1, vpn << 12);
        }
      }
    }
  } else if (crm == 0 || crm == 4) { // IPAS2E1, IPAS2LE1
    invalidateIpa(currentVmid(), value & IPN_MASK);
    flushFastEL10(); // fast entries made with stage 1 off are stage-2-only translations
  } else {
    switch (op2) {
      case 0: // ALLE2
        invalidateAllEL2();
        tlbFlushIdx(MMU_EL2);
        break;
      case 4: // ALLE1
        invalidateAllEL10();
        flushFastEL10();
        break;
      case 6: // VMALLS12E1
        invalidateVmidS12(currentVmid());
        flushFastEL10();
        break;
      default: // 1 VAE2, 5 VALE2
        if (invalidateVa(true, 0, 0, vpn, true)) tlbFlushIdx(MMU_EL2);
        else tlbFlushPageIdx(MMU_EL2, vpn << 12);
    }
  }
  invalidateFetch(); // the fetch page's translation may have been removed
  if (crm != 7 && crm != 4) tlbiBroadcastOthers(); // CRm 3 (IS), 1 (OS), 0 (IPAS2E1IS/IPAS2LE1IS)
}

// Keys of a few operations, for readers matching the Arm ARM tables.
export const TLBI_VMALLE1: u32 = srKey(1, 0, 8, 7, 0);
export const TLBI_VMALLE1IS: u32 = srKey(1, 0, 8, 3, 0);
export const TLBI_VAE1: u32 = srKey(1, 0, 8, 7, 1);
export const TLBI_ASIDE1: u32 = srKey(1, 0, 8, 7, 2);
export const TLBI_IPAS2E1: u32 = srKey(1, 4, 8, 4, 1);
export const TLBI_VMALLS12E1: u32 = srKey(1, 4, 8, 7, 6);
export const TLBI_ALLE1: u32 = srKey(1, 4, 8, 7, 4);
export const TLBI_ALLE2: u32 = srKey(1, 4, 8, 7, 0);
export const TLBI_VAE2: u32 = srKey(1, 4, 8, 7, 1);
