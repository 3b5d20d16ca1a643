// SYS instructions: DC ZVA, cache maintenance (no architectural effect here), TLBI and AT.
import * as O from './ops';
import { D_IMM, D_P1, D_P2, D_RD, D_RN } from './decoded';
import { hcrTrapsSys } from './hcr-traps';
import { curEL, haveEL2 } from './state';
import { routeEL1, undefinedInstruction } from './exception';
import { trapSysreg } from './sysreg-access';
import { getX } from './alu';
import { dcZva } from './exec-mem';
import { execTlbi, tlbiKnown } from './tlbi';
import { execAt } from './at';
import { SCTLR_EL1, srGet } from './sysregs';
import { noteSysreg } from './stats/undef-stats';

/** Executes the SYS op of entry e; false when an exception was taken. */
export function execSys(e: u32, p: u64): bool {
  const kind = <u32>load<u8>(e, D_P1);
  const minEL = <u32>load<u8>(e, D_P2);
  const key = <u32>load<u64>(e, D_IMM);
  if (minEL == 2 && !haveEL2()) { undefinedInstruction(); return false; }
  if (curEL < minEL) { undefinedInstruction(); return false; }
  const rt = <u32>load<u8>(e, D_RN);
  const v = getX(rt);
  if (curEL == 0) { // EL0 controls: SCTLR_EL1.DZE for DC ZVA, SCTLR_EL1.UCI for DC/IC by VA (trap, EC 0x18)
    const sctlr = srGet(SCTLR_EL1);
    const bit = kind == O.SYS_DC_ZVA ? 14 : 26;
    if ((sctlr & (<u64>1 << bit)) == 0) { trapSysreg(routeEL1(), key, rt, false); return false; }
  }
  if (hcrTrapsSys(<u32>load<u8>(e, D_RD))) { trapSysreg(2, key, rt, false); return false; } // HCR_EL2.TSW/TPC/TPU/TTLB/TDZ
  switch (kind) {
    case O.SYS_DC_ZVA:
      return dcZva(v);
    case O.SYS_TLBI:
      if (!tlbiKnown(key)) { noteSysreg(key, false, p); undefinedInstruction(); return false; } // --stats
      execTlbi(key, v);
      return true;
    case O.SYS_AT:
      return execAt(key, v); // false: a stage-2 fault on the walk was taken as an exception
    default:
      return true;
  }
}
