// Taking IRQ and FIQ exceptions (Arm ARM D1.3.6 "Asynchronous exception routing and masking",
// AArch64.TakePhysicalIRQException / TakeVirtualIRQException): between instructions, when a signal
// from the GIC (or HCR_EL2.VI/VF) is asserted and neither the routing nor PSTATE masks it. No EL3:
// a physical interrupt goes to EL2 when HCR_EL2.IMO/FMO or TGE is set, else to EL1; routed to a
// higher EL it is not masked by PSTATE, routed to a lower EL it is not taken. Virtual interrupts
// (HCR_EL2.IMO/FMO = 1, TGE = 0) are taken to EL1 from EL1/EL0 only, masked by PSTATE.I/F.
import { CPU_BASE, EXIT_BASE, EXIT_EL, EXIT_HYP, EXIT_HYP_ASYNC, OFF_EXCL_ADDR } from '../layout';
import {
  curEL, el2Hosted, getDAIF, getPstateMisc, getSPSRValue, getSPSel, haveEL2, hcr, HCR_FMO, HCR_IMO, HCR_TGE,
  irqSignals, pc, requestExit, setDAIF, setELAndSPSel, setPC, setPstateMisc,
} from '../state';
import { ELR_EL1, ELR_EL2, SCTLR_EL1, SPSR_EL1, SPSR_EL2, VBAR_EL1, VBAR_EL2, srGet, srSet } from '../sysregs';
import { contextChanged } from '../context';
import { SIG_FIQ, SIG_IRQ, SIG_VFIQ, SIG_VIRQ } from './gic-layout';
import { IRQ_KIND_FIQ, IRQ_KIND_VIRTUAL, irqLog, irqLogOn } from './irq-log';

const DAIF_I: u32 = 0x80;
const DAIF_F: u32 = 0x40;

/** Interrupt-exception entry to `target` (no ESR/FAR): vector base + 0x80 (IRQ) or 0x100 (FIQ). */
function enter(target: u32, isFiq: bool, isVirtual: bool = false): void {
  const spsr = getSPSRValue();
  const from = curEL;
  if (irqLogOn()) irqLog((isFiq ? IRQ_KIND_FIQ : 0) | (isVirtual ? IRQ_KIND_VIRTUAL : 0), target, from, pc);
  let vbar: u64;
  if (target == 2) {
    srSet(SPSR_EL2, spsr); srSet(ELR_EL2, pc); vbar = srGet(VBAR_EL2);
  } else {
    srSet(SPSR_EL1, spsr); srSet(ELR_EL1, pc); vbar = srGet(VBAR_EL1);
  }
  let offset: u64 = target > from ? 0x400 : getSPSel() != 0 ? 0x200 : 0;
  offset += isFiq ? 0x100 : 0x80;
  setELAndSPSel(target, 1);
  setDAIF(0x3c0);
  let misc = getPstateMisc() & ~((1 << 20) | (1 << 21)); // IL = 0, SS = 0
  if (target == 1 && (srGet(SCTLR_EL1) & (1 << 23)) == 0) misc |= 1 << 22; // SPAN = 0: PAN = 1
  setPstateMisc(misc);
  setPC((vbar & ~<u64>0x7ff) + offset);
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1);
  contextChanged();
  if (target == 2 && el2Hosted()) {
    store<u32>(EXIT_BASE + EXIT_EL, 2);
    store<u32>(EXIT_BASE + EXIT_HYP_ASYNC, isFiq ? 2 : 1);
    requestExit(EXIT_HYP);
  }
}

/** Takes the physical IRQ (or FIQ) if its routing and masks allow it now. */
function tryPhysical(isFiq: bool): bool {
  const h = hcr();
  const target: u32 = haveEL2() && (h & ((isFiq ? HCR_FMO : HCR_IMO) | HCR_TGE)) != 0 ? 2 : 1;
  if (curEL > target) return false;
  if (curEL == target && (getDAIF() & (isFiq ? DAIF_F : DAIF_I)) != 0) return false;
  enter(target, isFiq);
  return true;
}

function tryVirtual(isFiq: bool): bool {
  if (!haveEL2() || curEL > 1) return false;
  const h = hcr();
  if ((h & HCR_TGE) != 0 || (h & (isFiq ? HCR_FMO : HCR_IMO)) == 0) return false;
  if ((getDAIF() & (isFiq ? DAIF_F : DAIF_I)) != 0) return false;
  enter(1, isFiq, true);
  return true;
}

/**
 * Between instructions: takes the highest-priority takeable interrupt, if any (physical FIQ, IRQ,
 * then virtual FIQ, IRQ). Returns true when one was taken.
 */
export function irqDeliver(): bool {
  const s = irqSignals;
  if (s == 0) return false;
  if ((s & SIG_FIQ) != 0 && tryPhysical(true)) return true;
  if ((s & SIG_IRQ) != 0 && tryPhysical(false)) return true;
  if ((s & SIG_VFIQ) != 0 && tryVirtual(true)) return true;
  if ((s & SIG_VIRQ) != 0 && tryVirtual(false)) return true;
  return false;
}
