// Instruction and data aborts from a recorded translation fault (Arm ARM D17.2.37 ESR_ELx ISS
// encodings for Data Abort / Instruction Abort), including the instruction syndrome (ISV, SAS, SSE,
// SRT, SF, AR) for stage-2 data aborts on single-register loads and stores.
import { D_OP, D_P1, D_RD } from './decoded';
import * as O from './ops';
import { REG_DISCARD, REG_ZR } from './layout';
import {
  faultIPA, faultS1PTW, faultStage2, faultStatusCode, faultType, FAULT_ALIGNMENT, FAULT_EXTERNAL, FAULT_EXTERNAL_WALK,
  FAULT_TRANSLATION, setFault,
} from './fault';
import { EC_DABT_CUR, EC_DABT_LOWER, EC_IABT_CUR, EC_IABT_LOWER, routeEL1, takeException } from './exception';
import { curEL, curEntry, el2Hosted, pc, setMemFault } from './state';
import { pkvmFastStage2Fault } from './pkvm-fast-fault';
import { pkvmFastMmio } from './pkvm-fast-mmio';
import { ACC_EXEC, ACC_WRITE } from './mmu';

/** ISS[24:14] instruction syndrome of the current instruction, or 0 when ISV must be 0. */
export function instructionSyndrome(): u32 {
  const e = curEntry;
  if (e == 0) return 0;
  const op = load<u16>(e, D_OP);
  let sas: u32, sse: u32 = 0, sf: u32 = 0, ar: u32 = 0;
  if (op == O.OP_LDST_IMM || op == O.OP_LDST_REG || op == O.OP_LDST_UNPRIV || op == O.OP_LDR_LIT) {
    const k = load<u8>(e, D_P1);
    switch (k) {
      case O.LDST_STRB: case O.LDST_LDRB: sas = 0; sf = 0; break;
      case O.LDST_STRH: case O.LDST_LDRH: sas = 1; sf = 0; break;
      case O.LDST_STRW: case O.LDST_LDRW: sas = 2; sf = 0; break;
      case O.LDST_STRX: case O.LDST_LDRX: sas = 3; sf = 1; break;
      case O.LDST_LDRSB64: sas = 0; sse = 1; sf = 1; break;
      case O.LDST_LDRSH64: sas = 1; sse = 1; sf = 1; break;
      case O.LDST_LDRSW: sas = 2; sse = 1; sf = 1; break;
      case O.LDST_LDRSB32: sas = 0; sse = 1; sf = 0; break;
      default: sas = 1; sse = 1; sf = 0; // LDRSH32
    }
  } else if (op == O.OP_LDAR || op == O.OP_STLR) {
    sas = load<u8>(e, D_P1);
    sf = sas == 3 ? 1 : 0;
    ar = 1;
  } else {
    return 0;
  }
  let rt: u32 = load<u8>(e, D_RD);
  if (rt == REG_DISCARD || rt == REG_ZR) rt = 31;
  return (1 << 24) | (sas << 22) | (sse << 21) | (rt << 16) | (sf << 15) | (ar << 14);
}

/**
 * Takes the abort for the recorded fault on an access to `va`: stage-2 faults (including those on
 * a stage-1 table walk) to EL2, others to EL1 (or EL2 by HCR_EL2.TGE / from EL2). ESR ISS: FSC,
 * WnR (the instruction writes; always 1 for cache maintenance and AT), S1PTW, CM, and the
 * instruction syndrome for stage-2 data aborts taken to EL2 (not on a table walk, not external).
 * FAR_ELx = va; HPFAR_EL2.FIPA (bits [43:4]) = IPA[51:12] for stage-2 faults.
 */
function deliverAbort(va: u64, access: u32, cm: bool): void {
  const target: u32 = faultStage2 ? 2 : routeEL1();
  const lower = target > curEL;
  let iss = faultStatusCode();
  let ec: u32;
  if (access == ACC_EXEC) {
    ec = lower ? EC_IABT_LOWER : EC_IABT_CUR;
  } else {
    ec = lower ? EC_DABT_LOWER : EC_DABT_CUR;
    if (access == ACC_WRITE || cm) iss |= 1 << 6; // WnR
    if (cm) iss |= 1 << 8; // CM
    if (target == 2 && faultStage2 && !faultS1PTW && !cm && faultType != FAULT_EXTERNAL && faultType != FAULT_EXTERNAL_WALK) {
      iss |= instructionSyndrome();
    }
  }
  if (faultS1PTW) iss |= 1 << 7;
  const hpfar: u64 = faultStage2 ? ((faultIPA >> 12) << 4) & 0x0000_0fff_ffff_fff0 : 0;
  takeException(target, ec, iss, pc, va, true, hpfar, faultStage2);
}

/** Takes the abort for the recorded fault on an access to `va` and abandons the instruction. */
export function raiseAbort(va: u64, access: u32): void {
  // A hosted pKVM guest's stage-2 translation fault its fast path resolves: the access is retried.
  if (faultStage2 && faultType == FAULT_TRANSLATION && el2Hosted() && pkvmFastStage2Fault(faultIPA)) {
    setMemFault(true);
    return;
  }
  // A hosted pKVM guest's console access its MMIO fast path emulates: the instruction is skipped.
  if (faultStage2 && faultType == FAULT_TRANSLATION && !faultS1PTW && access != ACC_EXEC && el2Hosted() &&
      pkvmFastMmio(faultIPA, instructionSyndrome(), access == ACC_WRITE)) {
    setMemFault(true);
    return;
  }
  deliverAbort(va, access, false);
  setMemFault(true);
}

/**
 * Data abort with CM = 1 (and WnR = 1) for a fault on a cache maintenance by VA or an AT
 * instruction (an AT only faults for a stage-2 fault on its stage-1 walk, or an external abort on
 * a walk). The caller leaves the instruction (PC is already at the vector).
 */
export function raiseMaintenanceAbort(va: u64): void {
  deliverAbort(va, ACC_WRITE, true);
}

export function raiseAlignmentFault(va: u64, access: u32): void {
  setFault(FAULT_ALIGNMENT, 0, false, false, 0);
  raiseAbort(va, access);
}

export function raiseExternalAbort(va: u64, access: u32): void {
  setFault(FAULT_EXTERNAL, 0, false, false, 0);
  raiseAbort(va, access);
}
