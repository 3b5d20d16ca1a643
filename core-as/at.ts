// Address translation instructions (AT): translate without taking an exception and report the
// result or the fault in PAR_EL1 (Arm ARM D17.2.113 PAR_EL1).
import { PAR_EL1, srSet } from './sysregs';
import { ACC_READ, ACC_WRITE, TRANSLATE_FAULT, translate } from './mmu';
import { faultS1PTW, faultStage2, faultStatusCode } from './fault';
import { MMU_EL0, MMU_EL1, MMU_EL2 } from './tlb';

export function execAt(key: u32, va: u64): void {
  const op1 = (key >> 11) & 7, crm = (key >> 3) & 15, op2 = key & 7;
  let idx: u32 = MMU_EL1;
  let write = (op2 & 1) != 0;
  if (op1 == 4) {
    if (op2 <= 1) idx = MMU_EL2;
    else idx = op2 >= 6 ? MMU_EL0 : MMU_EL1;
  } else if (crm == 8 && (op2 == 2 || op2 == 3)) {
    idx = MMU_EL0;
  }
  const pa = translate(va, write ? ACC_WRITE : ACC_READ, idx);
  if (pa == TRANSLATE_FAULT) {
    srSet(PAR_EL1, 1 | (<u64>faultStatusCode() << 1) | (faultS1PTW ? <u64>1 << 8 : 0) | (faultStage2 ? <u64>1 << 9 : 0) | (<u64>1 << 11));
  } else {
    srSet(PAR_EL1, (pa & 0xfffffffff000) | (<u64>0xff << 56) | (<u64>3 << 7));
  }
}
