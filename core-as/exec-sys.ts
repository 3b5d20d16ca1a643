// SYS instructions: DC ZVA, cache maintenance (no architectural effect here), TLBI and AT.
import * as O from './ops';
import { D_IMM, D_P1, D_P2, D_RN } from './decoded';
import { curEL, haveEL2 } from './state';
import { undefinedInstruction } from './exception';
import { getX } from './alu';
import { dcZva } from './exec-mem';
import { execTlbi, tlbiKnown } from './tlbi';
import { execAt } from './at';
import { SCTLR_EL1, srGet } from './sysregs';

/** Executes the SYS op of entry e; false when an exception was taken. */
export function execSys(e: u32, p: u64): bool {
  const kind = <u32>load<u8>(e, D_P1);
  const minEL = <u32>load<u8>(e, D_P2);
  const key = <u32>load<u64>(e, D_IMM);
  if (minEL == 2 && !haveEL2()) { undefinedInstruction(); return false; }
  if (curEL < minEL) { undefinedInstruction(); return false; }
  const v = getX(<u32>load<u8>(e, D_RN));
  switch (kind) {
    case O.SYS_DC_ZVA:
      if (curEL == 0 && (srGet(SCTLR_EL1) & (1 << 14)) == 0) { undefinedInstruction(); return false; } // SCTLR_EL1.DZE
      return dcZva(v);
    case O.SYS_TLBI:
      if (!tlbiKnown(key)) { undefinedInstruction(); return false; }
      execTlbi(key, v);
      return true;
    case O.SYS_AT:
      execAt(key, v);
      return true;
    default:
      return true;
  }
}
