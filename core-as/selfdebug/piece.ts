// The self-hosted debug and PMU work between pieces of a run slice (smp/sched.ts), done only while
// MDSCR_EL1.SS is set or a PMU overflow interrupt is enabled (selfDebugPieceHooks): the normal
// path pays two loads per piece, nothing per instruction.
//
// Software step (Arm ARM D2.12, pseudocode AArch64.CheckSoftwareStep / SSAdvance): while
// MDSCR_EL1.SS = 1 every piece is one instruction. Before it, when debug exceptions are enabled
// from the current EL (the step state machine is "active") and PSTATE.SS = 0 ("active-pending"),
// a Software Step exception is taken (EC 0x32/0x33, preferred return the next instruction; ISV/EX
// say whether an instruction was stepped and whether it was a load-exclusive). After it, an
// instruction that completed (no exception taken, no ERET, not abandoned for a device access)
// advances the machine: PSTATE.SS 1 → 0 ("active-not-pending" → "active-pending").
import * as D from './debug-regs';
import { srGet, srSet, MDSCR_EL1 } from '../sysregs';
import { curEntry, exitReason, getPstateMisc, pc, setPstateMisc } from '../state';
import { EXIT_MMIO } from '../layout';
import { D_OP } from '../decoded';
import { OP_LDX, OP_LDXP } from '../ops';
import { takeException } from '../exception';
import { debugEC, debugExceptionsNow, debugTargetEL } from './debug-enable';
import { stepExcSeen, stepResetSeen } from './step-state';
import { pmuBeforePiece, pmuIrqArmed } from '../pmu/pmu-irq';

/** The current piece is one instruction stepped in the active-not-pending state. */
let stepPiece: bool = false;

/** Whether the next piece needs selfDebugBeforePiece (MDSCR_EL1.SS, or a PMU interrupt enabled). */
@inline export function selfDebugPieceHooks(): bool {
  return (srGet(MDSCR_EL1) & D.MDSCR_SS) != 0 || pmuIrqArmed();
}

/**
 * Before a piece of `want` instructions: the PMU interrupt's level and cap, then software step
 * (a pending Software Step exception is taken; a piece while stepping is one instruction). Returns
 * the piece length (>= 1). An exception to a TypeScript-hosted EL2 sets exitReason.
 */
export function selfDebugBeforePiece(want: i32): i32 {
  let w = want;
  if (pmuIrqArmed()) w = pmuBeforePiece(w);
  stepPiece = false;
  if ((srGet(MDSCR_EL1) & D.MDSCR_SS) != 0) {
    if (debugExceptionsNow() && (getPstateMisc() & D.PSTATE_SS) == 0) {
      const t = debugTargetEL();
      const syn = <u32>srGet(D.SD_STEP_SYN);
      takeException(t, debugEC(D.EC_SOFTWARESTEP_LOWER, t), syn | D.FSC_DEBUG, pc, 0, false, 0, false);
    }
    stepPiece = true;
    w = 1;
  }
  stepResetSeen();
  return w;
}

/** After a piece that ran `retired` instructions (sched.ts): SSAdvance for a completed one. */
export function selfDebugAfterPiece(retired: i32): void {
  if (!stepPiece || retired <= 0 || stepExcSeen || exitReason == EXIT_MMIO) return;
  if ((srGet(MDSCR_EL1) & D.MDSCR_SS) == 0) return;
  const misc = getPstateMisc();
  if ((misc & D.PSTATE_SS) == 0) return;
  setPstateMisc(misc & ~D.PSTATE_SS);
  const op = curEntry != 0 ? load<u16>(curEntry, D_OP) : 0;
  srSet(D.SD_STEP_SYN, D.ISS_SS_ISV | (op == OP_LDX || op == OP_LDXP ? D.ISS_SS_EX : 0));
}
