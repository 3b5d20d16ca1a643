// The GIC's and the generic timers' system registers: ICC_* (physical CPU interface, or at EL1 with
// HCR_EL2.IMO/FMO the virtual one, ICV_*), ICH_* (EL2), the timer registers CNTP/CNTV/CNTHP_*,
// the counters, CNTVOFF_EL2 and ISR_EL1. sysreg-access.ts hands these indices here after its
// common checks (minimum EL, read-only/write-only); this file adds the GIC and timer traps.
import { def, srGet, srSet, HCR_EL2, CNTHCTL_EL2, CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0, CNTV_CTL_EL0,
  CNTV_CVAL_EL0, CNTV_TVAL_EL0, CNTHP_CTL_EL2, CNTHP_CVAL_EL2, CNTHP_TVAL_EL2, CNTPCT_EL0, CNTVCT_EL0,
  CNTVOFF_EL2, ISR_EL1, SRF_RO, SRF_WO } from '../sysregs';
import { curEL, haveEL2, hcr, HCR_FMO, HCR_IMO, HCR_TGE, pc } from '../state';
import { getX, setX } from '../alu';
import { EC_SYSREG, takeSimple } from '../exception';
import { ticksNow } from '../timer';
import { curCpu } from '../cpu-index';
import { C_ICH_HCR, cpuBlock, SIG_FIQ, SIG_IRQ, SIG_VFIQ, SIG_VIRQ } from './gic-layout';
import { gicUpdateCpu, ICH_HCR_TALL0, ICH_HCR_TALL1, ICH_HCR_TC, ICH_HCR_TDIR } from './gic-update';
import * as P from './gic-cpuif';
import * as V from './gic-vcpuif';
import { CTL_ISTATUS, T_HYP, T_PHYS, T_VIRT, timerCount, timerIstatus, timerUpdate, virtualOffset } from './generic-timer';
import { irqSignals } from '../state';

export const ICC_PMR_EL1: u32 = 200;
export const ICC_IAR0_EL1: u32 = 201;
export const ICC_EOIR0_EL1: u32 = 202;
export const ICC_HPPIR0_EL1: u32 = 203;
export const ICC_BPR0_EL1: u32 = 204;
export const ICC_AP0R0_EL1: u32 = 205; // ..208
export const ICC_AP1R0_EL1: u32 = 209; // ..212
export const ICC_DIR_EL1: u32 = 213;
export const ICC_RPR_EL1: u32 = 214;
export const ICC_SGI1R_EL1: u32 = 215;
export const ICC_ASGI1R_EL1: u32 = 216;
export const ICC_SGI0R_EL1: u32 = 217;
export const ICC_IAR1_EL1: u32 = 218;
export const ICC_EOIR1_EL1: u32 = 219;
export const ICC_HPPIR1_EL1: u32 = 220;
export const ICC_BPR1_EL1: u32 = 221;
export const ICC_CTLR_EL1: u32 = 222;
export const ICC_SRE_EL1: u32 = 223;
export const ICC_IGRPEN0_EL1: u32 = 224;
export const ICC_IGRPEN1_EL1: u32 = 225;
export const ICC_SRE_EL2: u32 = 226;
export const ICH_AP0R0_EL2: u32 = 230; // ..233
export const ICH_AP1R0_EL2: u32 = 234; // ..237
export const ICH_HCR_EL2: u32 = 238;
export const ICH_VTR_EL2: u32 = 239;
export const ICH_MISR_EL2: u32 = 240;
export const ICH_EISR_EL2: u32 = 241;
export const ICH_ELRSR_EL2: u32 = 242;
export const ICH_VMCR_EL2: u32 = 243;
export const ICH_LR0_EL2: u32 = 244; // ..247
export const GIC_SR_FIRST: u32 = 200;
export const GIC_SR_END: u32 = 248;

/** Adds the GIC's encodings to the sysreg map (after initSysregMap). */
export function gicDefSysregs(): void {
  def(ICC_PMR_EL1, 3, 0, 4, 6, 0, 1);
  def(ICC_IAR0_EL1, 3, 0, 12, 8, 0, 1 | SRF_RO);
  def(ICC_EOIR0_EL1, 3, 0, 12, 8, 1, 1 | SRF_WO);
  def(ICC_HPPIR0_EL1, 3, 0, 12, 8, 2, 1 | SRF_RO);
  def(ICC_BPR0_EL1, 3, 0, 12, 8, 3, 1);
  for (let n: u32 = 0; n < 4; n++) {
    def(ICC_AP0R0_EL1 + n, 3, 0, 12, 8, 4 + n, 1);
    def(ICC_AP1R0_EL1 + n, 3, 0, 12, 9, n, 1);
    def(ICH_AP0R0_EL2 + n, 3, 4, 12, 8, n, 2);
    def(ICH_AP1R0_EL2 + n, 3, 4, 12, 9, n, 2);
    def(ICH_LR0_EL2 + n, 3, 4, 12, 12, n, 2);
  }
  def(ICC_DIR_EL1, 3, 0, 12, 11, 1, 1 | SRF_WO);
  def(ICC_RPR_EL1, 3, 0, 12, 11, 3, 1 | SRF_RO);
  def(ICC_SGI1R_EL1, 3, 0, 12, 11, 5, 1 | SRF_WO);
  def(ICC_ASGI1R_EL1, 3, 0, 12, 11, 6, 1 | SRF_WO);
  def(ICC_SGI0R_EL1, 3, 0, 12, 11, 7, 1 | SRF_WO);
  def(ICC_IAR1_EL1, 3, 0, 12, 12, 0, 1 | SRF_RO);
  def(ICC_EOIR1_EL1, 3, 0, 12, 12, 1, 1 | SRF_WO);
  def(ICC_HPPIR1_EL1, 3, 0, 12, 12, 2, 1 | SRF_RO);
  def(ICC_BPR1_EL1, 3, 0, 12, 12, 3, 1);
  def(ICC_CTLR_EL1, 3, 0, 12, 12, 4, 1);
  def(ICC_SRE_EL1, 3, 0, 12, 12, 5, 1);
  def(ICC_IGRPEN0_EL1, 3, 0, 12, 12, 6, 1);
  def(ICC_IGRPEN1_EL1, 3, 0, 12, 12, 7, 1);
  def(ICC_SRE_EL2, 3, 4, 12, 9, 5, 2);
  def(ICH_HCR_EL2, 3, 4, 12, 11, 0, 2);
  def(ICH_VTR_EL2, 3, 4, 12, 11, 1, 2 | SRF_RO);
  def(ICH_MISR_EL2, 3, 4, 12, 11, 2, 2 | SRF_RO);
  def(ICH_EISR_EL2, 3, 4, 12, 11, 3, 2 | SRF_RO);
  def(ICH_ELRSR_EL2, 3, 4, 12, 11, 5, 2 | SRF_RO);
  def(ICH_VMCR_EL2, 3, 4, 12, 11, 7, 2);
}

/** Registers this file handles (GIC range and the timer/counter registers). */
export function gicOwnsSysreg(idx: u32): bool {
  if (idx >= GIC_SR_FIRST && idx < GIC_SR_END) return true;
  switch (idx) {
    case CNTP_CTL_EL0: case CNTP_CVAL_EL0: case CNTP_TVAL_EL0: case CNTV_CTL_EL0: case CNTV_CVAL_EL0:
    case CNTV_TVAL_EL0: case CNTHP_CTL_EL2: case CNTHP_CVAL_EL2: case CNTHP_TVAL_EL2: case CNTPCT_EL0:
    case CNTVCT_EL0: case CNTVOFF_EL2: case ISR_EL1:
      return true;
  }
  return false;
}

function trapToEl2(key: u32, rt: u32, isRead: bool): bool {
  const op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15, op2 = key & 7;
  const iss = (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | ((rt & 31) << 5) | (crm << 1) | (isRead ? 1 : 0);
  takeSimple(2, EC_SYSREG, iss, pc);
  return false;
}

// Classes of ICC registers: 0 Group 0, 1 Group 1, 2 common, 3 neither (SRE).
function iccClass(idx: u32): u32 {
  if (idx == ICC_IAR0_EL1 || idx == ICC_EOIR0_EL1 || idx == ICC_HPPIR0_EL1 || idx == ICC_BPR0_EL1 ||
      idx == ICC_IGRPEN0_EL1 || (idx >= ICC_AP0R0_EL1 && idx < ICC_AP0R0_EL1 + 4)) return 0;
  if (idx == ICC_IAR1_EL1 || idx == ICC_EOIR1_EL1 || idx == ICC_HPPIR1_EL1 || idx == ICC_BPR1_EL1 ||
      idx == ICC_IGRPEN1_EL1 || (idx >= ICC_AP1R0_EL1 && idx < ICC_AP1R0_EL1 + 4)) return 1;
  if (idx == ICC_SRE_EL1) return 3;
  return 2;
}

/**
 * EL1 access to an ICC register with EL2 present: the ICH_HCR_EL2 traps (TALL0, TALL1, TC, TDIR)
 * and HCR_EL2.IMO/FMO (SGI generation traps; the other registers become ICV_*). Returns 0 for
 * physical, 1 for virtual, -1 when a trap was taken.
 */
function el1Route(idx: u32, key: u32, rt: u32, isRead: bool): i32 {
  if (curEL != 1 || !haveEL2()) return 0;
  const cls = iccClass(idx);
  if (cls == 3) return 0;
  const ich = load<u32>(cpuBlock(curCpu) + C_ICH_HCR);
  const h = hcr();
  if (cls == 0 && (ich & ICH_HCR_TALL0) != 0) { trapToEl2(key, rt, isRead); return -1; }
  if (cls == 1 && (ich & ICH_HCR_TALL1) != 0) { trapToEl2(key, rt, isRead); return -1; }
  if (cls == 2 && (ich & ICH_HCR_TC) != 0) { trapToEl2(key, rt, isRead); return -1; }
  if (idx == ICC_DIR_EL1 && (ich & ICH_HCR_TDIR) != 0) { trapToEl2(key, rt, isRead); return -1; }
  if ((idx == ICC_SGI1R_EL1 || idx == ICC_ASGI1R_EL1) && (h & HCR_IMO) != 0) { trapToEl2(key, rt, isRead); return -1; }
  if (idx == ICC_SGI0R_EL1 && (h & HCR_FMO) != 0) { trapToEl2(key, rt, isRead); return -1; }
  if (idx == ICC_SGI1R_EL1 || idx == ICC_ASGI1R_EL1 || idx == ICC_SGI0R_EL1) return 0;
  const mo = cls == 0 ? HCR_FMO : cls == 1 ? HCR_IMO : HCR_FMO | HCR_IMO;
  return (h & mo) != 0 ? 1 : 0;
}

/** Timer traps to EL2 for EL0/EL1 accesses (CNTHCTL_EL2.EL1PCTEN/EL1PCEN; no VHE). */
function timerTrap(idx: u32, key: u32, rt: u32, isRead: bool): bool {
  if (curEL >= 2 || !haveEL2() || (hcr() & HCR_TGE) != 0) return false;
  const cnthctl = srGet(CNTHCTL_EL2);
  if (idx == CNTPCT_EL0 && (cnthctl & 1) == 0) { trapToEl2(key, rt, isRead); return true; }
  if ((idx == CNTP_CTL_EL0 || idx == CNTP_CVAL_EL0 || idx == CNTP_TVAL_EL0) && (cnthctl & 2) == 0) {
    trapToEl2(key, rt, isRead); return true;
  }
  return false;
}

/** ISR_EL1: pending IRQ/FIQ, virtual ones when routed by HCR_EL2.IMO/FMO at EL1/EL0. */
function isrValue(): u64 {
  const s = irqSignals;
  const h = hcr();
  const virt = curEL < 2 && (h & HCR_TGE) == 0;
  const i = virt && (h & HCR_IMO) != 0 ? (s & SIG_VIRQ) != 0 : (s & SIG_IRQ) != 0;
  const f = virt && (h & HCR_FMO) != 0 ? (s & SIG_VFIQ) != 0 : (s & SIG_FIQ) != 0;
  return (i ? <u64>0x80 : 0) | (f ? <u64>0x40 : 0);
}

function timerCtlRead(t: u32, idx: u32): u64 {
  return (srGet(idx) & 3) | (timerIstatus(t) ? CTL_ISTATUS : 0);
}
function tvalRead(t: u32, cvalIdx: u32): u64 { return <u64><u32>(srGet(cvalIdx) - timerCount(t)); }
function tvalWrite(t: u32, cvalIdx: u32, v: u64): void { srSet(cvalIdx, timerCount(t) + <u64>(<i64><i32>v)); }

/** MRS of a register gicOwnsSysreg() accepted. False when an exception was taken. */
export function gicMrs(idx: u32, key: u32, rt: u32): bool {
  if (timerTrap(idx, key, rt, true)) return false;
  const cpu = curCpu;
  let v: u64 = 0;
  if (idx >= GIC_SR_FIRST && idx < GIC_SR_END) {
    const r = idx < ICC_SRE_EL2 ? el1Route(idx, key, rt, true) : 0;
    if (r < 0) return false;
    const virt = r == 1;
    switch (idx) {
      case ICC_PMR_EL1: v = virt ? V.vReadPmr(cpu) : P.readPmr(cpu); break;
      case ICC_IAR0_EL1: v = virt ? V.vAcknowledge(cpu, 0) : P.acknowledge(cpu, 0); break;
      case ICC_IAR1_EL1: v = virt ? V.vAcknowledge(cpu, 1) : P.acknowledge(cpu, 1); break;
      case ICC_HPPIR0_EL1: v = virt ? V.vHppir(cpu, 0) : P.hppir(cpu, 0); break;
      case ICC_HPPIR1_EL1: v = virt ? V.vHppir(cpu, 1) : P.hppir(cpu, 1); break;
      case ICC_BPR0_EL1: v = virt ? V.vReadBpr(cpu, 0) : P.readBpr(cpu, 0); break;
      case ICC_BPR1_EL1: v = virt ? V.vReadBpr(cpu, 1) : P.readBpr(cpu, 1); break;
      case ICC_RPR_EL1: v = virt ? V.vReadRpr(cpu) : P.readRpr(cpu); break;
      case ICC_CTLR_EL1: v = virt ? V.vReadCtlr(cpu, P.ICC_CTLR_FIXED) : P.readCtlr(cpu); break;
      case ICC_SRE_EL1: v = 7; break; // SRE, DFB, DIB: RAO/WI
      case ICC_SRE_EL2: v = 0xf; break; // SRE, DFB, DIB, Enable: RAO/WI
      case ICC_IGRPEN0_EL1: v = virt ? V.vReadIgrpen(cpu, 0) : P.readIgrpen(cpu, 0); break;
      case ICC_IGRPEN1_EL1: v = virt ? V.vReadIgrpen(cpu, 1) : P.readIgrpen(cpu, 1); break;
      case ICH_HCR_EL2: v = V.readIchHcr(cpu); break;
      case ICH_VTR_EL2: v = V.ICH_VTR_VALUE; break;
      case ICH_MISR_EL2: v = V.readIchMisr(cpu); break;
      case ICH_EISR_EL2: v = V.readIchEisr(cpu); break;
      case ICH_ELRSR_EL2: v = V.readIchElrsr(cpu); break;
      case ICH_VMCR_EL2: v = V.readIchVmcr(cpu); break;
      default:
        if (idx >= ICC_AP0R0_EL1 && idx < ICC_AP0R0_EL1 + 4) v = virt ? V.readIchApr(cpu, 0, idx - ICC_AP0R0_EL1) : P.readApr(cpu, 0, idx - ICC_AP0R0_EL1);
        else if (idx >= ICC_AP1R0_EL1 && idx < ICC_AP1R0_EL1 + 4) v = virt ? V.readIchApr(cpu, 1, idx - ICC_AP1R0_EL1) : P.readApr(cpu, 1, idx - ICC_AP1R0_EL1);
        else if (idx >= ICH_AP0R0_EL2 && idx < ICH_AP0R0_EL2 + 4) v = V.readIchApr(cpu, 0, idx - ICH_AP0R0_EL2);
        else if (idx >= ICH_AP1R0_EL2 && idx < ICH_AP1R0_EL2 + 4) v = V.readIchApr(cpu, 1, idx - ICH_AP1R0_EL2);
        else if (idx >= ICH_LR0_EL2 && idx < ICH_LR0_EL2 + 4) v = V.readIchLr(cpu, idx - ICH_LR0_EL2);
    }
  } else {
    switch (idx) {
      case CNTP_CTL_EL0: v = timerCtlRead(T_PHYS, idx); break;
      case CNTV_CTL_EL0: v = timerCtlRead(T_VIRT, idx); break;
      case CNTHP_CTL_EL2: v = timerCtlRead(T_HYP, idx); break;
      case CNTP_TVAL_EL0: v = tvalRead(T_PHYS, CNTP_CVAL_EL0); break;
      case CNTV_TVAL_EL0: v = tvalRead(T_VIRT, CNTV_CVAL_EL0); break;
      case CNTHP_TVAL_EL2: v = tvalRead(T_HYP, CNTHP_CVAL_EL2); break;
      case CNTPCT_EL0: v = ticksNow(); break;
      case CNTVCT_EL0: v = ticksNow() - virtualOffset(); break;
      case ISR_EL1: v = isrValue(); break;
      default: v = srGet(idx); // CVALs, CNTVOFF_EL2
    }
  }
  setX(rt, v);
  return true;
}

/** MSR of a register gicOwnsSysreg() accepted. False when an exception was taken. */
export function gicMsr(idx: u32, key: u32, rt: u32): bool {
  if (timerTrap(idx, key, rt, false)) return false;
  const cpu = curCpu;
  const v = getX(rt);
  if (idx >= GIC_SR_FIRST && idx < GIC_SR_END) {
    const r = idx < ICC_SRE_EL2 ? el1Route(idx, key, rt, false) : 0;
    if (r < 0) return false;
    const virt = r == 1;
    switch (idx) {
      case ICC_PMR_EL1: if (virt) V.vWritePmr(cpu, v); else P.writePmr(cpu, v); break;
      case ICC_EOIR0_EL1: if (virt) V.vEndOfInterrupt(cpu, 0, <u32>v & 0xffffff); else P.endOfInterrupt(cpu, 0, <u32>v & 0xffffff); break;
      case ICC_EOIR1_EL1: if (virt) V.vEndOfInterrupt(cpu, 1, <u32>v & 0xffffff); else P.endOfInterrupt(cpu, 1, <u32>v & 0xffffff); break;
      case ICC_DIR_EL1: if (virt) V.vDeactivateDir(cpu, <u32>v & 0xffffff); else P.deactivateDir(cpu, <u32>v & 0xffffff); break;
      case ICC_BPR0_EL1: if (virt) V.vWriteBpr(cpu, 0, v); else P.writeBpr(cpu, 0, v); break;
      case ICC_BPR1_EL1: if (virt) V.vWriteBpr(cpu, 1, v); else P.writeBpr(cpu, 1, v); break;
      case ICC_CTLR_EL1: if (virt) V.vWriteCtlr(cpu, v); else P.writeCtlr(cpu, v); break;
      case ICC_IGRPEN0_EL1: if (virt) V.vWriteIgrpen(cpu, 0, v); else P.writeIgrpen(cpu, 0, v); break;
      case ICC_IGRPEN1_EL1: if (virt) V.vWriteIgrpen(cpu, 1, v); else P.writeIgrpen(cpu, 1, v); break;
      case ICC_SGI1R_EL1: P.generateSgi(cpu, v, true); break;
      case ICC_SGI0R_EL1: case ICC_ASGI1R_EL1: P.generateSgi(cpu, v, false); break; // DS = 1: Group 0 only
      case ICC_SRE_EL1: case ICC_SRE_EL2: break;
      case ICH_HCR_EL2: V.writeIchHcr(cpu, v); break;
      case ICH_VMCR_EL2: V.writeIchVmcr(cpu, v); break;
      default:
        if (idx >= ICC_AP0R0_EL1 && idx < ICC_AP0R0_EL1 + 4) { if (virt) V.writeIchApr(cpu, 0, idx - ICC_AP0R0_EL1, v); else P.writeApr(cpu, 0, idx - ICC_AP0R0_EL1, v); }
        else if (idx >= ICC_AP1R0_EL1 && idx < ICC_AP1R0_EL1 + 4) { if (virt) V.writeIchApr(cpu, 1, idx - ICC_AP1R0_EL1, v); else P.writeApr(cpu, 1, idx - ICC_AP1R0_EL1, v); }
        else if (idx >= ICH_AP0R0_EL2 && idx < ICH_AP0R0_EL2 + 4) V.writeIchApr(cpu, 0, idx - ICH_AP0R0_EL2, v);
        else if (idx >= ICH_AP1R0_EL2 && idx < ICH_AP1R0_EL2 + 4) V.writeIchApr(cpu, 1, idx - ICH_AP1R0_EL2, v);
        else if (idx >= ICH_LR0_EL2 && idx < ICH_LR0_EL2 + 4) V.writeIchLr(cpu, idx - ICH_LR0_EL2, v);
    }
    return true;
  }
  switch (idx) {
    case CNTP_CTL_EL0: case CNTV_CTL_EL0: case CNTHP_CTL_EL2: srSet(idx, v & 3); break;
    case CNTP_TVAL_EL0: tvalWrite(T_PHYS, CNTP_CVAL_EL0, v); break;
    case CNTV_TVAL_EL0: tvalWrite(T_VIRT, CNTV_CVAL_EL0, v); break;
    case CNTHP_TVAL_EL2: tvalWrite(T_HYP, CNTHP_CVAL_EL2, v); break;
    default: srSet(idx, v); // CVALs, CNTVOFF_EL2 (CNTPCT/CNTVCT/ISR are read-only)
  }
  timerUpdate();
  return true;
}

/** HCR_EL2 or other state that routes interrupts changed (MSR, or TypeScript wrote sysregs). */
export function gicRoutingChanged(): void {
  timerUpdate();
  gicUpdateCpu(curCpu);
}
