// MRS / MSR semantics: access checks by EL (UNDEFINED or a trap with EC 0x18), read-only and
// write-only registers, and the registers that are not plain storage (PSTATE fields, SP banks,
// counters, identification values, translation-control writes that flush the fast TLB).
import * as S from './sysregs';
import { isar0FpSimd, isar1FpSimd, pfr0FpSimd } from './simd/id-regs';
import { CPU_BASE, REG_SP } from './layout';
import {
  curEL, getDAIF, getPstateMisc, getSPSel, haveEL2, nzcv, saveSP, setDAIF, setELAndSPSel, setNZCV,
  setPstateMisc,
} from './state';
import { routeEL1, takeSimple, undefinedInstruction } from './exception';
import { pc, HCR_RW } from './state';
import { getX, setX } from './alu';
import { tlbFlushAll } from './tlb';
import { contextChanged } from './context';
import { CNTFRQ_HZ } from './timer';
import { trapSysreg } from './sysreg-trap';
import { noteSysreg } from './stats/undef-stats';
import { HCR_TDZ_BIT, hcrTrapsImpDef, hcrTrapsSys, hcrTrapsSysreg } from './hcr-traps';
import { PMU_FIRST, PMU_LAST } from './pmu/pmu-regs';
import { pmuMrs, pmuMsr } from './pmu/pmu-access';
import { isSelfDebugReg, selfDebugMrs, selfDebugMsr } from './selfdebug/debug-access';
import { ID_AA64DFR0_VALUE } from './selfdebug/debug-regs';
import { fpAccessCheck } from './fp/fp-access';
import { FPCR_WRITABLE, FPSR_WRITABLE } from './fp/fpsr';
import { curCpu, virtMpidr } from './cpu-index';
import { gicMrs, gicMsr, gicOwnsSysreg, gicRoutingChanged } from './gic/gic-sysregs';

export { trapSysreg } from './sysreg-trap';

/** Common access check. False when an exception was taken. */
function checkAccess(idx: u32, key: u32, rt: u32, isRead: bool): bool {
  const f = S.srFlags(idx);
  const minEL = f & 3;
  if (minEL == 2 && !haveEL2()) { undefinedInstruction(); return false; }
  if (curEL < minEL) { undefinedInstruction(); return false; }
  if (S.srWrongDirection(idx, isRead)) { undefinedInstruction(); return false; }
  if (curEL == 0 && idx == S.TPIDRRO_EL0 && !isRead) { undefinedInstruction(); return false; }
  if (curEL == 0) { // EL0 access controls (SCTLR_EL1.UCT/UMA, CNTKCTL_EL1)
    const sctlr = S.srGet(S.SCTLR_EL1);
    const cntk = S.srGet(S.CNTKCTL_EL1);
    let ok = true;
    if (idx == S.CTR_EL0) ok = (sctlr & (1 << 15)) != 0;
    else if (idx == S.DAIF) ok = (sctlr & (1 << 9)) != 0;
    else if (idx == S.CNTVCT_EL0) ok = (cntk & 2) != 0; // EL0VCTEN
    else if (idx == S.CNTPCT_EL0) ok = (cntk & 1) != 0;
    else if (idx == S.CNTFRQ_EL0) ok = isRead && (cntk & 3) != 0;
    else if (idx == S.CNTV_CTL_EL0 || idx == S.CNTV_CVAL_EL0 || idx == S.CNTV_TVAL_EL0) ok = (cntk & (1 << 8)) != 0;
    else if (idx == S.CNTP_CTL_EL0 || idx == S.CNTP_CVAL_EL0 || idx == S.CNTP_TVAL_EL0) ok = (cntk & (1 << 9)) != 0;
    if (!ok) { trapSysreg(routeEL1(), key, rt, isRead); return false; }
  }
  if (hcrTrapsSysreg(idx, key, isRead)) { trapSysreg(2, key, rt, isRead); return false; }
  if (idx == S.SP_EL0 && curEL > 0 && getSPSel() == 0) { undefinedInstruction(); return false; }
  if (idx == S.CNTFRQ_EL0 && !isRead && curEL == 0) { undefinedInstruction(); return false; }
  return true;
}

/** The value an identification register reads as (MIDR_EL1..CCSIDR_EL1), for the hosted hyp's sanitised copies. */
export function idRegValue(idx: u32): u64 { return idValue(idx); }

function idValue(idx: u32): u64 {
  switch (idx) {
    case S.MIDR_EL1: return 0x410fd0f0; // Arm, architecture "defined by ID registers", part 0xd0f
    case S.MPIDR_EL1: return virtMpidr(curCpu);
    case S.ID_AA64PFR0_EL1: // EL0/EL1 AArch64 only, EL2 if configured, no EL3; FP/AdvSIMD per profile;
      // GIC [27:24] = 1: the GICv3 system-register CPU interface (gic/); CSV2 [59:56] = 1 and CSV3
      // [63:60] = 1: nothing is executed speculatively here, so neither branch targets nor faulting
      // loads can leak across contexts (Linux then needs no Spectre-v2 mitigation and no KPTI).
      return (haveEL2() ? <u64>0x1100 : 0) | 0x11 | pfr0FpSimd() | (<u64>1 << 24) | (<u64>1 << 56) | (<u64>1 << 60);
    case S.ID_AA64DFR0_EL1: return ID_AA64DFR0_VALUE; // self-hosted debug (selfdebug/) and PMUv3 (pmu/)
    case S.ID_AA64ISAR0_EL1: return (<u64>1 << 16) | (<u64>2 << 20) | isar0FpSimd(); // CRC32, LSE atomics, crypto/RDM/DP
    case S.ID_AA64ISAR1_EL1: return isar1FpSimd();
    case S.ID_AA64MMFR0_EL1: // PARange 48 bits, ASID 16 bits, 4K granule only (TGran16/64 unsupported)
      return 5 | (2 << 4) | (<u64>0xf << 24) | (<u64>0x0 << 28) | (<u64>0x2 << 40) | (<u64>0xf << 20);
    case S.ID_AA64MMFR1_EL1: // VMIDBits 16, PAN, XNX (stage-2 XN[54:53], walk.ts)
      return (haveEL2() ? <u64>2 << 4 | <u64>1 << 28 : 0) | (<u64>1 << 20);
    // DminLine/IminLine 64 B, ERG/CWG 64 B, L1Ip [15:14] = 0b11 PIPT; IDC [28] = 1: there is no data
    // cache, so no clean to the PoU is needed for instruction fetches to see stores (a store also
    // drops the decoded copy of what it overwrites, codecache.ts); DIC [29] = 0 (IC IVAU is kept as the
    // point where a compiled tier may drop code; QEMU's max CPU also leaves DIC clear).
    case S.CTR_EL0: return 0x9444c004;
    case S.DCZID_EL0: return 4; // DC ZVA block 64 bytes
    case S.CLIDR_EL1: return 0x0a200023;
    case S.CCSIDR_EL1: return 0x700fe01a;
    default: return 0;
  }
}

/** The IMPLEMENTATION DEFINED register space: a trap to EL2 by HCR_EL2.TIDCP, else UNDEFINED. */
function impDefAccess(key: u32, rt: u32, isRead: bool): bool {
  if (hcrTrapsImpDef()) trapSysreg(2, key, rt, isRead);
  else { noteSysreg(key, isRead, pc); undefinedInstruction(); } // --stats: an unimplemented register
  return false;
}

/** MRS Xt, <reg>. False when an exception was taken. */
export function mrs(idx: u32, key: u32, rt: u32): bool {
  if (idx == S.IMPDEF_SPACE) return impDefAccess(key, rt, true);
  if (idx >= PMU_FIRST && idx <= PMU_LAST) return pmuMrs(idx, key, rt);
  if (isSelfDebugReg(idx)) return selfDebugMrs(idx, key, rt);
  if (!checkAccess(idx, key, rt, true)) return false;
  if ((idx == S.FPCR || idx == S.FPSR) && !fpAccessCheck()) return false;
  if (gicOwnsSysreg(idx)) return gicMrs(idx, key, rt); // GIC CPU interface, timers, ISR_EL1
  let v: u64;
  switch (idx) {
    case S.NZCV: v = <u64>nzcv; break;
    case S.DAIF: v = <u64>getDAIF(); break;
    case S.SPSEL: v = <u64>getSPSel(); break;
    case S.CURRENTEL: v = <u64>(curEL << 2); break;
    case S.PAN: v = <u64>(getPstateMisc() & (1 << 22)); break;
    case S.SP_EL0: case S.SP_EL1: saveSP(); v = S.srGet(idx); break;
    case S.CNTFRQ_EL0: v = CNTFRQ_HZ; break;
    case S.DCZID_EL0: // DZP when DC ZVA is prohibited: SCTLR_EL1.DZE at EL0, HCR_EL2.TDZ at EL0/EL1
      v = (curEL == 0 && (S.srGet(S.SCTLR_EL1) & (1 << 14)) == 0) || hcrTrapsSys(HCR_TDZ_BIT) ? 0x14 : 4; break;
    case S.VPIDR_EL2: case S.VMPIDR_EL2: v = S.srGet(idx); break;
    default:
      v = idx >= S.MIDR_EL1 && idx <= S.CCSIDR_EL1 ? idValue(idx) : S.srGet(idx);
  }
  if (curEL == 1 && haveEL2()) { // EL1 reads of MIDR/MPIDR return the virtual values
    if (idx == S.MIDR_EL1 && S.srGet(S.VPIDR_EL2) != 0) v = S.srGet(S.VPIDR_EL2);
    if (idx == S.MPIDR_EL1 && S.srGet(S.VMPIDR_EL2) != 0) v = S.srGet(S.VMPIDR_EL2);
  }
  setX(rt, v);
  return true;
}

/** MSR <reg>, Xt. False when an exception was taken. */
export function msr(idx: u32, key: u32, rt: u32): bool {
  if (idx == S.IMPDEF_SPACE) return impDefAccess(key, rt, false);
  if (idx >= PMU_FIRST && idx <= PMU_LAST) return pmuMsr(idx, key, rt);
  if (isSelfDebugReg(idx)) return selfDebugMsr(idx, key, rt);
  if (!checkAccess(idx, key, rt, false)) return false;
  if ((idx == S.FPCR || idx == S.FPSR) && !fpAccessCheck()) return false;
  if (gicOwnsSysreg(idx)) return gicMsr(idx, key, rt);
  const v = getX(rt);
  switch (idx) {
    case S.NZCV: setNZCV(<u32>v & 0xf0000000); break;
    case S.DAIF: setDAIF(<u32>v); break;
    case S.SPSEL: setELAndSPSel(curEL, <u32>v & 1); break;
    case S.PAN: setPstateMisc((getPstateMisc() & ~(1 << 22)) | (<u32>v & (1 << 22))); break;
    case S.SP_EL0: case S.SP_EL1: saveSP(); S.srSet(idx, v); loadLiveSP(); break;
    case S.VBAR_EL1: case S.VBAR_EL2: S.srSet(idx, v & ~<u64>0x7ff); break;
    case S.FPCR: S.srSet(idx, v & FPCR_WRITABLE); break; // trap enables RAZ/WI, Len/Stride RES0
    case S.FPSR: S.srSet(idx, v & FPSR_WRITABLE); break;
    case S.HCR_EL2: // RW is RAO/WI: EL1 is AArch64-only
      S.srSet(idx, v | HCR_RW);
      tlbFlushAll();
      contextChanged();
      gicRoutingChanged(); // IMO/FMO/TGE/VI/VF
      break;
    case S.SCTLR_EL1: case S.TCR_EL1: case S.TTBR0_EL1: case S.TTBR1_EL1: case S.MAIR_EL1: case S.VTTBR_EL2: case S.VTCR_EL2: case S.SCTLR_EL2: case S.TCR_EL2:
    case S.TTBR0_EL2: case S.MAIR_EL2:
      S.srSet(idx, v);
      tlbFlushAll();
      contextChanged();
      break;
    default: S.srSet(idx, v);
  }
  return true;
}

function loadLiveSP(): void {
  // Re-read the live SP from its bank (the bank written may be the live one).
  const el = curEL;
  const bank = getSPSel() == 0 || el == 0 ? S.SP_EL0 : el == 1 ? S.SP_EL1 : S.SP_EL2;
  store<u64>(CPU_BASE + (REG_SP << 3), S.srGet(bank));
}
