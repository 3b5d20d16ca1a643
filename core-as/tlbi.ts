// TLB maintenance (TLBI) by encoding key (op1, CRm, op2 with CRn = 8). Every operation listed is
// executed conservatively: the fast TLB and the fetch page are dropped, so no stale translation
// survives any TLBI.
import { srKey } from './sysregs';
import { tlbFlushAll } from './tlb';
import { contextChanged } from './context';

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

export function execTlbi(key: u32, value: u64): void {
  tlbFlushAll();
  contextChanged();
}

// Keep the encoder referenced for readers matching the Arm ARM tables.
export const TLBI_VMALLE1: u32 = srKey(1, 0, 8, 7, 0);
