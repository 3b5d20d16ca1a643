// MRS/MSR of the PMUv3 registers with the Arm ARM's access rules: EL0 access through
// PMUSERENR_EL0.EN/SW/CR/ER (trapped to EL1, or EL2 when HCR_EL2.TGE), MDCR_EL2.TPM/TPMCR traps of
// EL0/EL1 accesses to EL2, counters at or above MDCR_EL2.HPMN reserved for EL2 (UNDEFINED below it,
// RAZ/WI in the bit-mask registers, PMCR_EL0.N reads as HPMN), counters at or above N UNDEFINED.
import * as R from './pmu-regs';
import { def, srGet, srSet, srWrongDirection, MDCR_EL2, SRF_RO, SRF_WO } from '../sysregs';
import { curEL, haveEL2, hcr, HCR_TGE, irqBreak } from '../state';
import { pmuIrqUpdate } from './pmu-irq';
import { undefinedInstruction } from '../exception';
import { trapSysreg } from '../sysreg-trap';
import { getX, setX } from '../alu';
import { addEvent, counterEnabled, hpmn, pmuResetSync, pmuSync } from './pmu';

/** Defines the PMU registers' encodings (op0=3): called once by initSysregMap's caller. */
export function pmuInitSysregMap(): void {
  const EL0 = 0, EL1 = 1; // minimum EL; EL0 access is refined below by PMUSERENR_EL0
  def(R.PMCR_EL0, 3, 3, 9, 12, 0, EL0);
  def(R.PMCNTENSET_EL0, 3, 3, 9, 12, 1, EL0);
  def(R.PMCNTENCLR_EL0, 3, 3, 9, 12, 2, EL0);
  def(R.PMOVSCLR_EL0, 3, 3, 9, 12, 3, EL0);
  def(R.PMSWINC_EL0, 3, 3, 9, 12, 4, EL0 | SRF_WO);
  def(R.PMSELR_EL0, 3, 3, 9, 12, 5, EL0);
  def(R.PMCEID0_EL0, 3, 3, 9, 12, 6, EL0 | SRF_RO);
  def(R.PMCEID1_EL0, 3, 3, 9, 12, 7, EL0 | SRF_RO);
  def(R.PMCCNTR_EL0, 3, 3, 9, 13, 0, EL0);
  def(R.PMXEVTYPER_EL0, 3, 3, 9, 13, 1, EL0);
  def(R.PMXEVCNTR_EL0, 3, 3, 9, 13, 2, EL0);
  def(R.PMUSERENR_EL0, 3, 3, 9, 14, 0, EL0);
  def(R.PMINTENSET_EL1, 3, 0, 9, 14, 1, EL1);
  def(R.PMINTENCLR_EL1, 3, 0, 9, 14, 2, EL1);
  def(R.PMOVSSET_EL0, 3, 3, 9, 14, 3, EL0);
  for (let n: u32 = 0; n < 31; n++) {
    def(n < R.PMU_N ? R.PMEVCNTR0_EL0 + n : R.PMEVCNTR_UNIMPL, 3, 3, 14, 8 + (n >> 3), n & 7, EL0);
    def(n < R.PMU_N ? R.PMEVTYPER0_EL0 + n : R.PMEVCNTR_UNIMPL, 3, 3, 14, 12 + (n >> 3), n & 7, EL0);
  }
  def(R.PMCCFILTR_EL0, 3, 3, 14, 15, 7, EL0);
}

/** Architectural reset of the PMU state (counters UNKNOWN: zero). */
export function pmuReset(): void {
  for (let i = R.PMU_FIRST; i <= R.PMU_SYNC_EL + 2; i++) srSet(i, 0);
  srSet(MDCR_EL2, (srGet(MDCR_EL2) & ~R.MDCR_HPMN_MASK) | R.PMU_N); // MDCR_EL2.HPMN resets to PMCR_EL0.N
  pmuResetSync();
}

// What an EL0 access needs in PMUSERENR_EL0 (besides EN, which allows everything).
const NEED_EN: u32 = 0, NEED_SW: u32 = 1, NEED_CR: u32 = 2, NEED_ER: u32 = 3;

function el0Need(idx: u32, isRead: bool): u32 {
  if (idx == R.PMSWINC_EL0) return NEED_SW;
  if (idx == R.PMCCNTR_EL0 && isRead) return NEED_CR;
  if ((idx == R.PMXEVCNTR_EL0 || (idx >= R.PMEVCNTR0_EL0 && idx < R.PMEVCNTR0_EL0 + R.PMU_N)) && isRead) return NEED_ER;
  if (idx == R.PMSELR_EL0) return NEED_ER;
  return NEED_EN;
}

/** The event counter an access names (PMEVCNTR<n>, PMEVTYPER<n>, PMXEV* through PMSELR), or -1. */
function counterOf(idx: u32): i32 {
  if (idx >= R.PMEVCNTR0_EL0 && idx < R.PMEVCNTR0_EL0 + R.PMU_N) return <i32>(idx - R.PMEVCNTR0_EL0);
  if (idx >= R.PMEVTYPER0_EL0 && idx < R.PMEVTYPER0_EL0 + R.PMU_N) return <i32>(idx - R.PMEVTYPER0_EL0);
  if (idx == R.PMXEVCNTR_EL0 || idx == R.PMXEVTYPER_EL0) return <i32>(srGet(R.PMSELR_EL0) & 31);
  return -1;
}

/** The access checks in the Arm ARM's order. False when an exception was taken. */
function check(idx: u32, key: u32, rt: u32, isRead: bool): bool {
  if (idx == R.PMEVCNTR_UNIMPL) { undefinedInstruction(); return false; }
  if (curEL == 0 && (idx == R.PMINTENSET_EL1 || idx == R.PMINTENCLR_EL1)) { undefinedInstruction(); return false; }
  if (curEL == 0 && idx == R.PMUSERENR_EL0 && !isRead) { undefinedInstruction(); return false; }
  if (srWrongDirection(idx, isRead)) { undefinedInstruction(); return false; } // PMSWINC (WO), PMCEID0/1 (RO)
  const n = counterOf(idx);
  if (n >= 0) {
    // PMXEVTYPER with SEL = 31 is PMCCFILTR_EL0; PMXEVCNTR with SEL = 31, or any SEL >= N, is
    // CONSTRAINED UNPREDICTABLE: UNDEFINED here. Counters >= HPMN are UNDEFINED below EL2.
    const isCcfiltr = n == 31 && idx == R.PMXEVTYPER_EL0;
    if (!isCcfiltr && (<u32>n >= R.PMU_N || (curEL < 2 && <u32>n >= hpmn()))) { undefinedInstruction(); return false; }
  }
  if (curEL == 0 && idx != R.PMUSERENR_EL0) {
    const en = srGet(R.PMUSERENR_EL0);
    const need = el0Need(idx, isRead);
    const ok = (en & R.PMUSERENR_EN) != 0 || (need != NEED_EN && ((en >> need) & 1) != 0);
    if (!ok) { trapSysreg((hcr() & HCR_TGE) != 0 ? 2 : 1, key, rt, isRead); return false; }
  }
  if (curEL < 2 && haveEL2()) {
    const mdcr = srGet(MDCR_EL2);
    if ((mdcr & R.MDCR_TPM) != 0 || (idx == R.PMCR_EL0 && (mdcr & R.MDCR_TPMCR) != 0)) {
      trapSysreg(2, key, rt, isRead); return false;
    }
  }
  return true;
}

/** Mask of the counter bits (n < N, and the cycle counter) an access at this EL can see. */
function visibleMask(): u64 {
  const h = curEL < 2 ? hpmn() : R.PMU_N;
  return ((<u64>1 << h) - 1) | (<u64>1 << 31);
}

export function pmuMrs(idx: u32, key: u32, rt: u32): bool {
  if (!check(idx, key, rt, true)) return false;
  pmuSync();
  let v: u64 = 0;
  switch (idx) {
    case R.PMCR_EL0: {
      const n = <u64>(curEL < 2 ? hpmn() : R.PMU_N);
      v = (R.PMCR_RO & ~(<u64>0x1f << 11)) | (n << 11) | (srGet(idx) & R.PMCR_WRITABLE);
      break;
    }
    case R.PMCNTENSET_EL0: case R.PMCNTENCLR_EL0: v = srGet(R.PMCNTENSET_EL0) & visibleMask(); break;
    case R.PMOVSSET_EL0: case R.PMOVSCLR_EL0: v = srGet(R.PMOVSSET_EL0) & visibleMask(); break;
    case R.PMINTENSET_EL1: case R.PMINTENCLR_EL1: v = srGet(R.PMINTENSET_EL1) & visibleMask(); break;
    case R.PMCEID0_EL0: v = R.PMCEID0_VALUE; break;
    case R.PMCEID1_EL0: v = 0; break;
    case R.PMXEVTYPER_EL0: {
      const n = <u32>counterOf(idx);
      v = n == 31 ? srGet(R.PMCCFILTR_EL0) : srGet(R.PMEVTYPER0_EL0 + n);
      break;
    }
    case R.PMXEVCNTR_EL0: v = srGet(R.PMEVCNTR0_EL0 + <u32>counterOf(idx)); break;
    default: v = srGet(idx);
  }
  setX(rt, v);
  return true;
}

export function pmuMsr(idx: u32, key: u32, rt: u32): bool {
  if (!check(idx, key, rt, false)) return false;
  pmuWrite(idx, rt);
  pmuIrqUpdate(); // the overflow interrupt's level follows the flags, enables and counters at once
  irqBreak(); // and the next piece's cap at an overflow is recomputed (pmu-irq.ts)
  return true;
}

function pmuWrite(idx: u32, rt: u32): void {
  pmuSync();
  const v = getX(rt);
  const vis = visibleMask();
  switch (idx) {
    case R.PMCR_EL0: {
      srSet(idx, v & R.PMCR_WRITABLE);
      if ((v & R.PMCR_C) != 0) { srSet(R.PMCCNTR_EL0, 0); srSet(R.PMU_CC_FRAC, 0); }
      if ((v & R.PMCR_P) != 0) { // resets the counters this EL can see (below HPMN at EL0/EL1)
        const h = curEL < 2 ? hpmn() : R.PMU_N;
        for (let n: u32 = 0; n < h; n++) srSet(R.PMEVCNTR0_EL0 + n, 0);
      }
      break;
    }
    case R.PMCNTENSET_EL0: srSet(R.PMCNTENSET_EL0, srGet(R.PMCNTENSET_EL0) | (v & vis)); break;
    case R.PMCNTENCLR_EL0: srSet(R.PMCNTENSET_EL0, srGet(R.PMCNTENSET_EL0) & ~(v & vis)); break;
    case R.PMOVSSET_EL0: srSet(R.PMOVSSET_EL0, srGet(R.PMOVSSET_EL0) | (v & vis)); break;
    case R.PMOVSCLR_EL0: srSet(R.PMOVSSET_EL0, srGet(R.PMOVSSET_EL0) & ~(v & vis)); break;
    case R.PMINTENSET_EL1: srSet(R.PMINTENSET_EL1, srGet(R.PMINTENSET_EL1) | (v & vis)); break;
    case R.PMINTENCLR_EL1: srSet(R.PMINTENSET_EL1, srGet(R.PMINTENSET_EL1) & ~(v & vis)); break;
    case R.PMSWINC_EL0: // increments each enabled counter whose event is SW_INCR
      for (let n: u32 = 0; n < R.PMU_N; n++) {
        if (((v & vis) >> n) & 1 && counterEnabled(n) && (srGet(R.PMEVTYPER0_EL0 + n) & 0x3ff) == R.EV_SW_INCR) addEvent(n, 1);
      }
      break;
    case R.PMSELR_EL0: srSet(idx, v & 31); break;
    case R.PMUSERENR_EL0: srSet(idx, v & 0xf); break;
    case R.PMCCNTR_EL0: srSet(idx, v); break;
    case R.PMCCFILTR_EL0: srSet(idx, v & R.CCFILTR_WRITABLE); break;
    case R.PMXEVTYPER_EL0: {
      const n = <u32>counterOf(idx);
      if (n == 31) srSet(R.PMCCFILTR_EL0, v & R.CCFILTR_WRITABLE);
      else srSet(R.PMEVTYPER0_EL0 + n, v & R.EVT_WRITABLE);
      break;
    }
    case R.PMXEVCNTR_EL0: srSet(R.PMEVCNTR0_EL0 + <u32>counterOf(idx), v & 0xffffffff); break;
    default:
      if (idx >= R.PMEVCNTR0_EL0 && idx < R.PMEVCNTR0_EL0 + R.PMU_N) srSet(idx, v & 0xffffffff);
      else if (idx >= R.PMEVTYPER0_EL0 && idx < R.PMEVTYPER0_EL0 + R.PMU_N) srSet(idx, v & R.EVT_WRITABLE);
  }
}
