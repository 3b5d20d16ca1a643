// Live CPU state: PC and NZCV are wasm globals (hot); everything else is in linear memory.
// PSTATE helpers: SP banking by (EL, SPSel), SPSR packing, the exit request.
import {
  CFG_EL2_HOSTED, CFG_HAVE_EL2, CPU_BASE, EXIT_BASE, EXIT_REASON, OFF_CONFIG, OFF_DAIF, OFF_EL,
  OFF_PSTATE_MISC, OFF_SPSEL, REG_SP,
} from './layout';
import { SP_EL0, SP_EL1, SP_EL2, srGet, srSet, HCR_EL2 } from './sysregs';

export let pc: u64 = 0;
export let nzcv: u32 = 0;
/** Instructions left in this run() slice; forced to 0 to leave the loop at an exit. */
export let remaining: i32 = 0;
export let savedRemaining: i32 = 0;
export let exitReason: u32 = 0;
/** Set by a memory access that did not complete (fault taken or device exit): abort the insn. */
export let memFault: bool = false;
/** Decoded entry of the instruction being executed (for syndromes). */
export let curEntry: u32 = 0;
/** PSTATE.EL cached. */
export let curEL: u32 = 1;

@inline export function setPC(v: u64): void { pc = v; }
@inline export function setNZCV(v: u32): void { nzcv = v; }
@inline export function setCurEntry(e: u32): void { curEntry = e; }
@inline export function setRemaining(v: i32): void { remaining = v; }
@inline export function setMemFault(v: bool): void { memFault = v; }
@inline export function setExitReason(v: u32): void { exitReason = v; }
@inline export function decRemaining(): void { remaining--; }
/** Sets the cached PSTATE.EL without SP banking (a CPU switch loading a whole saved state block). */
export function setCurELRaw(el: u32): void { curEL = el; }

/** Leaves the interpreter loop after the current instruction with `reason`. */
export function requestExit(reason: u32): void {
  if (exitReason == 0) savedRemaining = remaining;
  exitReason = reason;
  store<u32>(EXIT_BASE + EXIT_REASON, reason);
  remaining = 0;
}

/** After requestExit() from inside an instruction that is abandoned without retiring (debugger). */
export function exitUndoRetire(): void { savedRemaining++; }

@inline export function config(): u32 { return load<u32>(CPU_BASE + OFF_CONFIG); }
@inline export function haveEL2(): bool { return (config() & CFG_HAVE_EL2) != 0; }
@inline export function el2Hosted(): bool { return (config() & CFG_EL2_HOSTED) != 0; }
@inline export function getSPSel(): u32 { return load<u32>(CPU_BASE + OFF_SPSEL); }
@inline export function getDAIF(): u32 { return load<u32>(CPU_BASE + OFF_DAIF); }
@inline export function setDAIF(v: u32): void {
  store<u32>(CPU_BASE + OFF_DAIF, v & 0x3c0);
  if (irqSignals != 0) irqBreak(); // an unmasking (or EL change, which passes here) may let one be taken
}

/**
 * Interrupt signals to this PE (1 IRQ, 2 FIQ, 4 vIRQ, 8 vFIQ), kept by core-as/gic/. While one is
 * asserted, a change that may let it be taken (PSTATE.DAIF, EL, the GIC's or HCR_EL2's state) ends
 * the interpreter loop after the current instruction: the budget left moves to irqBreakLeft and
 * run() takes the interrupt between instructions, then goes on. Nothing is checked per instruction.
 */
export let irqSignals: u32 = 0;
export let irqBreakLeft: i32 = 0;
export function setIrqSignals(v: u32): void {
  irqSignals = v;
  if (v != 0) irqBreak();
}
export function irqBreak(): void {
  if (remaining > 0) { irqBreakLeft += remaining; remaining = 0; }
}
/** The budget an interrupt break took out of the loop (0 when none); resets it. */
export function takeIrqBreak(): i32 { const r = irqBreakLeft; irqBreakLeft = 0; return r; }
@inline export function getPstateMisc(): u32 { return load<u32>(CPU_BASE + OFF_PSTATE_MISC); }
@inline export function setPstateMisc(v: u32): void { store<u32>(CPU_BASE + OFF_PSTATE_MISC, v); }

/** HCR_EL2 as it applies now (zero when EL2 is not implemented). */
@inline export function hcr(): u64 { return haveEL2() ? srGet(HCR_EL2) : 0; }
export const HCR_VM: u64 = 1 << 0;
export const HCR_SWIO: u64 = 1 << 1;
export const HCR_FMO: u64 = 1 << 3;
export const HCR_IMO: u64 = 1 << 4;
export const HCR_AMO: u64 = 1 << 5;
export const HCR_DC: u64 = 1 << 12;
export const HCR_TWI: u64 = 1 << 13;
export const HCR_TWE: u64 = 1 << 14;
export const HCR_TSC: u64 = 1 << 19;
export const HCR_TVM: u64 = 1 << 26;
export const HCR_TGE: u64 = 1 << 27;
export const HCR_TRVM: u64 = 1 << 30;
export const HCR_RW: u64 = 1 << 31;
export const HCR_E2H: u64 = <u64>1 << 34;

@inline function spBankFor(el: u32, spsel: u32): u32 {
  if (spsel == 0 || el == 0) return SP_EL0;
  return el == 1 ? SP_EL1 : SP_EL2;
}

/** Saves the live SP slot into its bank (for MRS SP_ELx or an EL/SPSel change). */
export function saveSP(): void {
  srSet(spBankFor(curEL, getSPSel()), load<u64>(CPU_BASE + (REG_SP << 3)));
}
export function loadSP(): void {
  store<u64>(CPU_BASE + (REG_SP << 3), srGet(spBankFor(curEL, getSPSel())));
}

/** Changes PSTATE.EL and PSTATE.SP with SP banking (caller handles TLB/fetch context). */
export function setELAndSPSel(el: u32, spsel: u32): void {
  saveSP();
  curEL = el;
  store<u32>(CPU_BASE + OFF_EL, el);
  store<u32>(CPU_BASE + OFF_SPSEL, spsel);
  loadSP();
}

/**
 * PSTATE from its AArch64 SPSR packing (getSPSRValue()'s inverse): NZCV, PAN, UAO, SS, IL, DAIF,
 * M[3:0] with SP banking. The caller signals the context change (contextChanged()).
 */
export function setPstateFromSPSR(v: u64): void {
  const m = <u32>v & 0xf;
  setNZCV(<u32>v & 0xf0000000);
  setDAIF(<u32>v & 0x3c0);
  setPstateMisc(<u32>v & ((1 << 20) | (1 << 21) | (1 << 22) | (1 << 23)));
  setELAndSPSel((m >> 2) & 3, m & 1);
}

/** PSTATE packed as an AArch64 SPSR: NZCV, PAN, UAO, SS, IL, DAIF, M[3:0]. */
export function getSPSRValue(): u64 {
  return <u64>(nzcv | getPstateMisc() | getDAIF() | (curEL << 2) | getSPSel());
}

/** Reads a register slot when the banked SP may be live. */
@inline export function getSPLive(): u64 { return load<u64>(CPU_BASE + (REG_SP << 3)); }
