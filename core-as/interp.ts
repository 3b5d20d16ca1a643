// The interpreter loop: fetch from the current decode slot (decoding lazily), dispatch on the op id
// with one dense switch (br_table), retire until the budget runs out or an exit is requested.
// Non-branch handlers set pc = p + 4; a handler that takes an exception leaves pc as the exception
// entry set it and breaks out without advancing.
import * as O from './ops';
import { D_IMM, D_OP, D_P1, D_P2, D_RA, D_RD, D_RM, D_RN } from './decoded';
import { decode } from './decode';
import {
  condHolds, crc32, extendReg, flags32, flags64, getX, nzFlags32, nzFlags64, rbit64, rev16_64,
  rev32_64, setX, shift32, shift64, smulh, umulh, cls32, cls64,
} from './alu';
import {
  curEL, getDAIF, getPstateMisc, haveEL2, hcr, HCR_TSC, HCR_TWE, HCR_TWI, memFault, nzcv, pc,
  remaining, requestExit, setCurEntry, setDAIF, setELAndSPSel, setMemFault, setNZCV, setPC,
  setPstateMisc, decRemaining, config, el2Hosted, irqBreak,
} from './state';
import { fetchRam, fetchSlot, fetchVA, invalidateFetch, refillFetch } from './fetch';
import {
  EC_BRK64, EC_HVC64, EC_SMC64, EC_SP_ALIGN, EC_SVC64, EC_WFX, exceptionReturn, routeEL1, takeSimple,
  undefinedInstruction,
} from './exception';
import { branchToSelf } from './stuck';
import { brkTargetEL } from './selfdebug/debug-enable';
import { CFG_PSCI_SMC, CFG_SEMIHOSTING, EXIT_BASE, EXIT_FIRMWARE, EXIT_IMM, EXIT_SEMIHOSTING, EXIT_WFI, REG_SP } from './layout';
import { mrs, msr } from './sysreg-access';
import { execSys } from './exec-sys';
import * as M from './exec-mem';
import { SCTLR_EL1, SCTLR_EL2, srGet } from './sysregs';
import { execFp } from './fp/exec-fp';
import { execSimd } from './simd/exec-simd';
import { OP_FP_FIRST, OP_FP_END } from './fp/ops-fp';
import { OP_SIMD_FIRST, OP_SIMD_END } from './simd/ops-simd';
import { sendEvent, sendEventLocal, wfxWait } from './smp/events';
import { setYieldRequested, yieldEndsTurn } from './cpu-index';
import { noteUndefined } from './stats/undef-stats';
import { jitBlockStart, jitEnabled, jitFloor } from './jit/jit-hook';

const HCR_HCD: u64 = 1 << 29;

@inline function F8(e: u32, off: u32): u32 { return <u32>load<u8>(e + off); }
@inline function W(r: u32): u32 { return <u32>getX(r); }
@inline function setW(r: u32, v: u32): void { setX(r, <u64>v); }

/**
 * SP alignment check (Arm ARM D1.8.2): a load/store using SP as its base with SP not 16-byte
 * aligned takes an SP alignment fault when SCTLR_ELx.SA (SCTLR_EL1.SA0 at EL0) is set.
 */
@inline function spMisaligned(rn: u32): bool {
  return rn == REG_SP && (getX(REG_SP) & 15) != 0 && spCheckEnabled();
}
function spCheckEnabled(): bool {
  if (curEL == 2) return (srGet(SCTLR_EL2) & 8) != 0;
  return (srGet(SCTLR_EL1) & (curEL == 0 ? 16 : 8)) != 0;
}
function spAlignmentFault(): void {
  takeSimple(routeEL1(), EC_SP_ALIGN, 0, pc);
}

/** Firmware call (PSCI/SMCCC) handled by TypeScript: resume after the HVC/SMC. */
function firmwareCall(p: u64, imm: u32): void {
  store<u32>(EXIT_BASE + EXIT_IMM, imm);
  setPC(p + 4);
  requestExit(EXIT_FIRMWARE);
}

function execHvc(p: u64, imm: u32): void {
  if (curEL == 0) { undefinedInstruction(); return; }
  if (!haveEL2()) {
    if ((config() & CFG_PSCI_SMC) == 0) { firmwareCall(p, imm); return; }
    undefinedInstruction(); return;
  }
  if ((hcr() & HCR_HCD) != 0) { undefinedInstruction(); return; }
  takeSimple(2, EC_HVC64, imm, p + 4);
}

function execSmc(p: u64, imm: u32): void {
  if (curEL == 0) { undefinedInstruction(); return; }
  if (curEL == 1 && haveEL2() && (hcr() & HCR_TSC) != 0) { takeSimple(2, EC_SMC64, imm, p); return; }
  if ((config() & CFG_PSCI_SMC) != 0) { firmwareCall(p, imm); return; }
  undefinedInstruction();
}

function execHlt(p: u64, imm: u32): void {
  if (imm == 0xf000 && (config() & CFG_SEMIHOSTING) != 0) {
    store<u32>(EXIT_BASE + EXIT_IMM, imm);
    setPC(p + 4);
    requestExit(EXIT_SEMIHOSTING);
    return;
  }
  undefinedInstruction();
}

function execHint(p: u64, h: u32): void {
  if (h == O.HINT_WFI || h == O.HINT_WFE) {
    const isWfe = h == O.HINT_WFE;
    if (curEL == 0 && (srGet(SCTLR_EL1) & (isWfe ? (1 << 18) : (1 << 16))) == 0) {
      takeSimple(routeEL1(), EC_WFX, (1 << 24) | (0xe << 20) | (isWfe ? 1 : 0), p); return;
    }
    if (curEL < 2 && haveEL2() && (hcr() & (isWfe ? HCR_TWE : HCR_TWI)) != 0) {
      takeSimple(2, EC_WFX, (1 << 24) | (0xe << 20) | (isWfe ? 1 : 0), p); return;
    }
    setPC(p + 4);
    if (wfxWait(isWfe)) requestExit(EXIT_WFI); // the scheduler (smp/sched.ts) decides whether it sleeps
    return;
  }
  if (h == O.HINT_SEV) sendEvent();
  else if (h == O.HINT_SEVL) sendEventLocal();
  else if (h == O.HINT_YIELD && yieldEndsTurn) { setYieldRequested(true); irqBreak(); } // (cpu-index.ts)
  setPC(p + 4);
}

function execMsrImm(p: u64, field: u32, imm: u32): void {
  switch (field) {
    case O.PSTATEFIELD_SPSEL:
      if (curEL == 0) { undefinedInstruction(); return; }
      setELAndSPSel(curEL, imm & 1);
      break;
    case O.PSTATEFIELD_DAIFSET: case O.PSTATEFIELD_DAIFCLR:
      if (curEL == 0 && (srGet(SCTLR_EL1) & (1 << 9)) == 0) {
        const iss = (0 << 20) | (field == O.PSTATEFIELD_DAIFSET ? (6 << 17) : (7 << 17)) | (3 << 14) | (4 << 10) | (31 << 5) | (imm << 1);
        takeSimple(routeEL1(), 0x18, iss, p); return;
      }
      if (field == O.PSTATEFIELD_DAIFSET) setDAIF(getDAIF() | (imm << 6));
      else setDAIF(getDAIF() & ~(imm << 6));
      break;
    case O.PSTATEFIELD_PAN:
      if (curEL == 0) { undefinedInstruction(); return; }
      setPstateMisc((getPstateMisc() & ~(1 << 22)) | ((imm & 1) << 22));
      break;
    default:
      undefinedInstruction();
      return;
  }
  setPC(p + 4);
}

/** Runs until `budget` instructions retired or an exit; returns the exit reason (0 = budget). */
export function interpret(): void {
  let prevP: u64 = 1; // the previous instruction's PC (1: none, or a compiled block ran)
  while (remaining > jitFloor) {
    const p = pc;
    if ((p & ~<u64>0xfff) != fetchVA) {
      if (!refillFetch()) { setMemFault(false); decRemaining(); continue; }
    }
    const e = fetchSlot + ((<u32>p & 0xffc) << 2);
    if (p != prevP + 4 && jitEnabled && jitBlockStart(e, p)) { prevP = 1; continue; } // compiled tier (jit/)
    prevP = p;
    let op = load<u16>(e, D_OP);
    if (op == 0) {
      decode(load<u32>(fetchRam + (<u32>p & 0xffc)), e);
      op = load<u16>(e, D_OP);
    }
    decRemaining();
    setCurEntry(e);
    switch (op) {
      // --- Data processing — immediate ---
      case O.OP_ADR: setX(F8(e, D_RD), p + load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ADRP: setX(F8(e, D_RD), (p & ~<u64>0xfff) + load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ADD_I64: setX(F8(e, D_RD), getX(F8(e, D_RN)) + load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ADD_I32: setW(F8(e, D_RD), W(F8(e, D_RN)) + load<u32>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_SUB_I64: setX(F8(e, D_RD), getX(F8(e, D_RN)) - load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_SUB_I32: setW(F8(e, D_RD), W(F8(e, D_RN)) - load<u32>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ADDS_I64: {
        const a = getX(F8(e, D_RN)), b = load<u64>(e, D_IMM), r = a + b;
        setNZCV(flags64(a, b, r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ADDS_I32: {
        const a = W(F8(e, D_RN)), b = load<u32>(e, D_IMM), r = a + b;
        setNZCV(flags32(a, b, r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SUBS_I64: {
        const a = getX(F8(e, D_RN)), b = ~load<u64>(e, D_IMM), r = a + b + 1;
        setNZCV(flags64(a, b, r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SUBS_I32: {
        const a = W(F8(e, D_RN)), b = ~load<u32>(e, D_IMM), r = a + b + 1;
        setNZCV(flags32(a, b, r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_AND_I: setX(F8(e, D_RD), getX(F8(e, D_RN)) & load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ORR_I64: setX(F8(e, D_RD), getX(F8(e, D_RN)) | load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ORR_I32: setW(F8(e, D_RD), W(F8(e, D_RN)) | load<u32>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_EOR_I64: setX(F8(e, D_RD), getX(F8(e, D_RN)) ^ load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_EOR_I32: setW(F8(e, D_RD), W(F8(e, D_RN)) ^ load<u32>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_ANDS_I64: {
        const r = getX(F8(e, D_RN)) & load<u64>(e, D_IMM);
        setNZCV(nzFlags64(r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ANDS_I32: {
        const r = W(F8(e, D_RN)) & load<u32>(e, D_IMM);
        setNZCV(nzFlags32(r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_MOVI: setX(F8(e, D_RD), load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_MOVK: {
        const sh = F8(e, D_P1);
        let v = (getX(F8(e, D_RN)) & ~(<u64>0xffff << sh)) | load<u64>(e, D_IMM);
        if (F8(e, D_P2) == 0) v &= 0xffffffff;
        setX(F8(e, D_RD), v); setPC(p + 4); break;
      }
      case O.OP_UBFX: setX(F8(e, D_RD), (getX(F8(e, D_RN)) >> F8(e, D_P1)) & load<u64>(e, D_IMM)); setPC(p + 4); break;
      case O.OP_UBFIZ: setX(F8(e, D_RD), (getX(F8(e, D_RN)) & load<u64>(e, D_IMM)) << F8(e, D_P1)); setPC(p + 4); break;
      case O.OP_SBFX: {
        let r = <u64>((<i64>(getX(F8(e, D_RN)) << F8(e, D_P1))) >> F8(e, D_P2));
        if (F8(e, D_RA) == 0) r &= 0xffffffff;
        setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SBFIZ: {
        const s = F8(e, D_P1);
        let r = <u64>((<i64>(getX(F8(e, D_RN)) << s)) >> s) << F8(e, D_P2);
        if (F8(e, D_RA) == 0) r &= 0xffffffff;
        setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_BFXIL: {
        const m = load<u64>(e, D_IMM);
        let r = (getX(F8(e, D_RM)) & ~m) | ((getX(F8(e, D_RN)) >> F8(e, D_P1)) & m);
        if (F8(e, D_RA) == 0) r &= 0xffffffff;
        setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_BFI: {
        const sh = F8(e, D_P1);
        const m = load<u64>(e, D_IMM);
        let r = (getX(F8(e, D_RM)) & ~(m << sh)) | ((getX(F8(e, D_RN)) & m) << sh);
        if (F8(e, D_RA) == 0) r &= 0xffffffff;
        setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_EXTR64: {
        const lsb = load<u32>(e, D_IMM);
        const lo = getX(F8(e, D_RM));
        setX(F8(e, D_RD), lsb == 0 ? lo : (lo >> lsb) | (getX(F8(e, D_RN)) << (64 - lsb)));
        setPC(p + 4); break;
      }
      case O.OP_EXTR32: {
        const lsb = load<u32>(e, D_IMM);
        const lo = W(F8(e, D_RM));
        setW(F8(e, D_RD), lsb == 0 ? lo : (lo >>> lsb) | (W(F8(e, D_RN)) << (32 - lsb)));
        setPC(p + 4); break;
      }
      // --- Branches ---
      case O.OP_B: { const d = load<u64>(e, D_IMM); if (d == 0) branchToSelf(p); setPC(p + d); break; } // `B .`: stuck.ts
      case O.OP_BL: setX(30, p + 4); setPC(p + load<u64>(e, D_IMM)); break;
      case O.OP_BCOND: setPC(condHolds(F8(e, D_P1), nzcv) ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_CBZ64: setPC(getX(F8(e, D_RN)) == 0 ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_CBNZ64: setPC(getX(F8(e, D_RN)) != 0 ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_CBZ32: setPC(W(F8(e, D_RN)) == 0 ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_CBNZ32: setPC(W(F8(e, D_RN)) != 0 ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_TBZ: setPC(((getX(F8(e, D_RN)) >> F8(e, D_P1)) & 1) == 0 ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_TBNZ: setPC(((getX(F8(e, D_RN)) >> F8(e, D_P1)) & 1) != 0 ? p + load<u64>(e, D_IMM) : p + 4); break;
      case O.OP_BR: case O.OP_RET: {
        const t = getX(F8(e, D_RN));
        setPC(t);
        if ((t & 3) != 0) invalidateFetch();
        break;
      }
      case O.OP_BLR: {
        const t = getX(F8(e, D_RN));
        setX(30, p + 4);
        setPC(t);
        if ((t & 3) != 0) invalidateFetch();
        break;
      }
      case O.OP_ERET:
        if (curEL == 0) { undefinedInstruction(); break; }
        exceptionReturn();
        break;
      case O.OP_SVC: takeSimple(routeEL1(), EC_SVC64, load<u32>(e, D_IMM), p + 4); break;
      case O.OP_HVC: execHvc(p, load<u32>(e, D_IMM)); break;
      case O.OP_SMC: execSmc(p, load<u32>(e, D_IMM)); break;
      case O.OP_BRK: takeSimple(brkTargetEL(), EC_BRK64, load<u32>(e, D_IMM), p); break; // TDE/TGE routing
      case O.OP_HLT: execHlt(p, load<u32>(e, D_IMM)); break;
      case O.OP_MSR_IMM: execMsrImm(p, F8(e, D_P1), load<u32>(e, D_IMM)); break;
      case O.OP_HINT: execHint(p, F8(e, D_P1)); break;
      case O.OP_CLREX: M.clrex(); setPC(p + 4); break;
      case O.OP_BARRIER: setPC(p + 4); break;
      case O.OP_MRS: {
        const imm = load<u64>(e, D_IMM);
        if (mrs(<u32>imm & 0xffff, <u32>(imm >> 16), F8(e, D_RD))) setPC(p + 4);
        break;
      }
      case O.OP_MSR: {
        const imm = load<u64>(e, D_IMM);
        if (msr(<u32>imm & 0xffff, <u32>(imm >> 16), F8(e, D_RN))) setPC(p + 4);
        break;
      }
      case O.OP_SYS: if (execSys(e, p)) setPC(p + 4); break;
      // --- Logical (shifted register) ---
      case O.OP_MOV64: setX(F8(e, D_RD), getX(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_MOV32: setW(F8(e, D_RD), W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_AND_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) & shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_BIC_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) & ~shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ORR_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) | shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ORN_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) | ~shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_EOR_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) ^ shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_EON_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) ^ ~shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ANDS_SR64: case O.OP_BICS_SR64: {
        let b = shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2));
        if (op == O.OP_BICS_SR64) b = ~b;
        const r = getX(F8(e, D_RN)) & b;
        setNZCV(nzFlags64(r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_AND_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) & shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_BIC_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) & ~shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ORR_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) | shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ORN_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) | ~shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_EOR_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) ^ shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_EON_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) ^ ~shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ANDS_SR32: case O.OP_BICS_SR32: {
        let b = shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2));
        if (op == O.OP_BICS_SR32) b = ~b;
        const r = W(F8(e, D_RN)) & b;
        setNZCV(nzFlags32(r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      // --- Add/subtract (shifted and extended register), with carry ---
      case O.OP_ADD_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) + shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ADD_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) + shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_SUB_SR64: setX(F8(e, D_RD), getX(F8(e, D_RN)) - shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_SUB_SR32: setW(F8(e, D_RD), W(F8(e, D_RN)) - shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ADDS_SR64: {
        const a = getX(F8(e, D_RN)), b = shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b;
        setNZCV(flags64(a, b, r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ADDS_SR32: {
        const a = W(F8(e, D_RN)), b = shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b;
        setNZCV(flags32(a, b, r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SUBS_SR64: {
        const a = getX(F8(e, D_RN)), b = ~shift64(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b + 1;
        setNZCV(flags64(a, b, r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SUBS_SR32: {
        const a = W(F8(e, D_RN)), b = ~shift32(W(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b + 1;
        setNZCV(flags32(a, b, r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ADD_ER64: setX(F8(e, D_RD), getX(F8(e, D_RN)) + extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ADD_ER32: setW(F8(e, D_RD), W(F8(e, D_RN)) + <u32>extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_SUB_ER64: setX(F8(e, D_RD), getX(F8(e, D_RN)) - extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_SUB_ER32: setW(F8(e, D_RD), W(F8(e, D_RN)) - <u32>extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2))); setPC(p + 4); break;
      case O.OP_ADDS_ER64: {
        const a = getX(F8(e, D_RN)), b = extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b;
        setNZCV(flags64(a, b, r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ADDS_ER32: {
        const a = W(F8(e, D_RN)), b = <u32>extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b;
        setNZCV(flags32(a, b, r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SUBS_ER64: {
        const a = getX(F8(e, D_RN)), b = ~extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b + 1;
        setNZCV(flags64(a, b, r)); setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_SUBS_ER32: {
        const a = W(F8(e, D_RN)), b = ~<u32>extendReg(getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2)), r = a + b + 1;
        setNZCV(flags32(a, b, r)); setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ADC64: case O.OP_ADCS64: case O.OP_SBC64: case O.OP_SBCS64: {
        const a = getX(F8(e, D_RN));
        let b = getX(F8(e, D_RM));
        if (op == O.OP_SBC64 || op == O.OP_SBCS64) b = ~b;
        const r = a + b + <u64>((nzcv >> 29) & 1);
        if (op == O.OP_ADCS64 || op == O.OP_SBCS64) setNZCV(flags64(a, b, r));
        setX(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_ADC32: case O.OP_ADCS32: case O.OP_SBC32: case O.OP_SBCS32: {
        const a = W(F8(e, D_RN));
        let b = W(F8(e, D_RM));
        if (op == O.OP_SBC32 || op == O.OP_SBCS32) b = ~b;
        const r = a + b + ((nzcv >> 29) & 1);
        if (op == O.OP_ADCS32 || op == O.OP_SBCS32) setNZCV(flags32(a, b, r));
        setW(F8(e, D_RD), r); setPC(p + 4); break;
      }
      case O.OP_CCMN: case O.OP_CCMP: {
        const mode = F8(e, D_RA);
        if (condHolds(F8(e, D_P1), nzcv)) {
          const sub = op == O.OP_CCMP;
          if (mode & 1) {
            const a = getX(F8(e, D_RN));
            let b = (mode & 2) ? load<u64>(e, D_IMM) : getX(F8(e, D_RM));
            if (sub) b = ~b;
            setNZCV(flags64(a, b, a + b + (sub ? 1 : 0)));
          } else {
            const a = W(F8(e, D_RN));
            let b = (mode & 2) ? load<u32>(e, D_IMM) : W(F8(e, D_RM));
            if (sub) b = ~b;
            setNZCV(flags32(a, b, a + b + (sub ? 1 : 0)));
          }
        } else {
          setNZCV(F8(e, D_P2) << 28);
        }
        setPC(p + 4); break;
      }
      // --- Conditional select ---
      case O.OP_CSEL64: setX(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? getX(F8(e, D_RN)) : getX(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_CSEL32: setW(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? W(F8(e, D_RN)) : W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_CSINC64: setX(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? getX(F8(e, D_RN)) : getX(F8(e, D_RM)) + 1); setPC(p + 4); break;
      case O.OP_CSINC32: setW(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? W(F8(e, D_RN)) : W(F8(e, D_RM)) + 1); setPC(p + 4); break;
      case O.OP_CSINV64: setX(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? getX(F8(e, D_RN)) : ~getX(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_CSINV32: setW(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? W(F8(e, D_RN)) : ~W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_CSNEG64: setX(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? getX(F8(e, D_RN)) : 0 - getX(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_CSNEG32: setW(F8(e, D_RD), condHolds(F8(e, D_P1), nzcv) ? W(F8(e, D_RN)) : 0 - W(F8(e, D_RM))); setPC(p + 4); break;
      // --- Two-source ---
      case O.OP_UDIV64: { const b = getX(F8(e, D_RM)); setX(F8(e, D_RD), b == 0 ? 0 : getX(F8(e, D_RN)) / b); setPC(p + 4); break; }
      case O.OP_UDIV32: { const b = W(F8(e, D_RM)); setW(F8(e, D_RD), b == 0 ? 0 : W(F8(e, D_RN)) / b); setPC(p + 4); break; }
      case O.OP_SDIV64: {
        const a = <i64>getX(F8(e, D_RN)), b = <i64>getX(F8(e, D_RM));
        setX(F8(e, D_RD), b == 0 ? 0 : (b == -1 ? <u64>(0 - a) : <u64>(a / b))); setPC(p + 4); break;
      }
      case O.OP_SDIV32: {
        const a = <i32>W(F8(e, D_RN)), b = <i32>W(F8(e, D_RM));
        setW(F8(e, D_RD), b == 0 ? 0 : (b == -1 ? <u32>(0 - a) : <u32>(a / b))); setPC(p + 4); break;
      }
      case O.OP_LSLV64: setX(F8(e, D_RD), getX(F8(e, D_RN)) << (getX(F8(e, D_RM)) & 63)); setPC(p + 4); break;
      case O.OP_LSLV32: setW(F8(e, D_RD), W(F8(e, D_RN)) << (W(F8(e, D_RM)) & 31)); setPC(p + 4); break;
      case O.OP_LSRV64: setX(F8(e, D_RD), getX(F8(e, D_RN)) >> (getX(F8(e, D_RM)) & 63)); setPC(p + 4); break;
      case O.OP_LSRV32: setW(F8(e, D_RD), W(F8(e, D_RN)) >>> (W(F8(e, D_RM)) & 31)); setPC(p + 4); break;
      case O.OP_ASRV64: setX(F8(e, D_RD), <u64>(<i64>getX(F8(e, D_RN)) >> (getX(F8(e, D_RM)) & 63))); setPC(p + 4); break;
      case O.OP_ASRV32: setW(F8(e, D_RD), <u32>(<i32>W(F8(e, D_RN)) >> (W(F8(e, D_RM)) & 31))); setPC(p + 4); break;
      case O.OP_RORV64: setX(F8(e, D_RD), rotr<u64>(getX(F8(e, D_RN)), getX(F8(e, D_RM)) & 63)); setPC(p + 4); break;
      case O.OP_RORV32: setW(F8(e, D_RD), rotr<u32>(W(F8(e, D_RN)), W(F8(e, D_RM)) & 31)); setPC(p + 4); break;
      case O.OP_CRC32: setW(F8(e, D_RD), crc32(W(F8(e, D_RN)), getX(F8(e, D_RM)), F8(e, D_P1), F8(e, D_P2) != 0)); setPC(p + 4); break;
      // --- One-source ---
      case O.OP_RBIT64: setX(F8(e, D_RD), rbit64(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_RBIT32: setW(F8(e, D_RD), <u32>(rbit64(getX(F8(e, D_RN))) >> 32)); setPC(p + 4); break;
      case O.OP_REV16_64: setX(F8(e, D_RD), rev16_64(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_REV16_32: setW(F8(e, D_RD), <u32>rev16_64(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_REV32_64: setX(F8(e, D_RD), rev32_64(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_REV64: setX(F8(e, D_RD), bswap<u64>(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_REV32: setW(F8(e, D_RD), bswap<u32>(W(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_CLZ64: setX(F8(e, D_RD), clz<u64>(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_CLZ32: setW(F8(e, D_RD), clz<u32>(W(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_CLS64: setX(F8(e, D_RD), cls64(getX(F8(e, D_RN)))); setPC(p + 4); break;
      case O.OP_CLS32: setW(F8(e, D_RD), cls32(W(F8(e, D_RN)))); setPC(p + 4); break;
      // --- Three-source ---
      case O.OP_MADD64: setX(F8(e, D_RD), getX(F8(e, D_RA)) + getX(F8(e, D_RN)) * getX(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_MADD32: setW(F8(e, D_RD), W(F8(e, D_RA)) + W(F8(e, D_RN)) * W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_MSUB64: setX(F8(e, D_RD), getX(F8(e, D_RA)) - getX(F8(e, D_RN)) * getX(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_MSUB32: setW(F8(e, D_RD), W(F8(e, D_RA)) - W(F8(e, D_RN)) * W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_SMADDL: setX(F8(e, D_RD), getX(F8(e, D_RA)) + <u64>(<i64><i32>W(F8(e, D_RN)) * <i64><i32>W(F8(e, D_RM)))); setPC(p + 4); break;
      case O.OP_SMSUBL: setX(F8(e, D_RD), getX(F8(e, D_RA)) - <u64>(<i64><i32>W(F8(e, D_RN)) * <i64><i32>W(F8(e, D_RM)))); setPC(p + 4); break;
      case O.OP_UMADDL: setX(F8(e, D_RD), getX(F8(e, D_RA)) + <u64>W(F8(e, D_RN)) * <u64>W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_UMSUBL: setX(F8(e, D_RD), getX(F8(e, D_RA)) - <u64>W(F8(e, D_RN)) * <u64>W(F8(e, D_RM))); setPC(p + 4); break;
      case O.OP_SMULH: setX(F8(e, D_RD), smulh(getX(F8(e, D_RN)), getX(F8(e, D_RM)))); setPC(p + 4); break;
      case O.OP_UMULH: setX(F8(e, D_RD), umulh(getX(F8(e, D_RN)), getX(F8(e, D_RM)))); setPC(p + 4); break;
      // --- Loads and stores ---
      case O.OP_LDST_IMM:
        if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; }
        if (M.ldst(F8(e, D_P1), F8(e, D_RD), getX(F8(e, D_RN)) + load<u64>(e, D_IMM))) setPC(p + 4);
        break;
      case O.OP_LDST_PRE: {
        const rn = F8(e, D_RN);
        if (spMisaligned(rn)) { spAlignmentFault(); break; }
        const a = getX(rn) + load<u64>(e, D_IMM);
        if (M.ldst(F8(e, D_P1), F8(e, D_RD), a)) { setX(rn, a); setPC(p + 4); }
        break;
      }
      case O.OP_LDST_POST: {
        const rn = F8(e, D_RN);
        if (spMisaligned(rn)) { spAlignmentFault(); break; }
        const a = getX(rn);
        if (M.ldst(F8(e, D_P1), F8(e, D_RD), a)) { setX(rn, a + load<u64>(e, D_IMM)); setPC(p + 4); }
        break;
      }
      case O.OP_LDST_REG:
        if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; }
        if (M.ldst(F8(e, D_P1), F8(e, D_RD), getX(F8(e, D_RN)) + extendReg(getX(F8(e, D_RM)), F8(e, D_P2), F8(e, D_RA)))) setPC(p + 4);
        break;
      case O.OP_LDST_UNPRIV:
        if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; }
        if (M.ldstUnpriv(F8(e, D_P1), F8(e, D_RD), getX(F8(e, D_RN)) + load<u64>(e, D_IMM), curEL)) setPC(p + 4);
        break;
      case O.OP_LDR_LIT:
        if (M.ldst(F8(e, D_P1), F8(e, D_RD), p + load<u64>(e, D_IMM))) setPC(p + 4);
        break;
      case O.OP_LDP: case O.OP_STP: {
        const rn = F8(e, D_RN);
        if (spMisaligned(rn)) { spAlignmentFault(); break; }
        const mode = F8(e, D_P2);
        const base = getX(rn);
        const imm = load<u64>(e, D_IMM);
        const a = mode == O.IDX_POST ? base : base + imm;
        const ok = op == O.OP_LDP ? M.ldp(F8(e, D_P1), F8(e, D_RD), F8(e, D_RA), a) : M.stp(F8(e, D_P1), F8(e, D_RD), F8(e, D_RA), a);
        if (ok) {
          if (mode != O.IDX_OFFSET) setX(rn, base + imm);
          setPC(p + 4);
        }
        break;
      }
      case O.OP_PRFM: setPC(p + 4); break;
      case O.OP_LDX: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.ldx(F8(e, D_P1), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_STX: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.stx(F8(e, D_P1), F8(e, D_RD), F8(e, D_RM), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_LDXP: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.ldxp(F8(e, D_P1), F8(e, D_RD), F8(e, D_RA), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_STXP: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.stxp(F8(e, D_P1), F8(e, D_RD), F8(e, D_RA), F8(e, D_RM), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_LDAR: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.ldar(F8(e, D_P1), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_STLR: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.stlr(F8(e, D_P1), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_CAS: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.cas(F8(e, D_P1), F8(e, D_RM), F8(e, D_RA), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_CASP: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.casp(F8(e, D_P1), F8(e, D_RM), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_SWP: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.swp(F8(e, D_P1), F8(e, D_RM), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      case O.OP_LDOP: if (spMisaligned(F8(e, D_RN))) { spAlignmentFault(); break; } if (M.ldop(F8(e, D_P1), F8(e, D_P2), F8(e, D_RM), F8(e, D_RD), getX(F8(e, D_RN)))) setPC(p + 4); break;
      default: // the FP and SIMD op ranges, OP_UDF and anything unallocated
        if (op >= OP_FP_FIRST && op < OP_FP_END) execFp(e, p);
        else if (op >= OP_SIMD_FIRST && op < OP_SIMD_END) execSimd(e, p);
        else { if (op == O.OP_UDF) noteUndefined(e, p); undefinedInstruction(); } // --stats (stats/undef-stats.ts)
    }
  }
}
