// Software step bookkeeping the exception code updates (a leaf module: exception.ts imports it).
// Arm ARM D2.12 "Software Step exceptions": the syndrome of a Software Step exception says whether
// an instruction was stepped (ISV) and whether it was a load-exclusive (EX); any exception entry or
// exception return in between means the next one is taken without a stepped instruction (ISV = 0).
import { srGet, srSet, MDSCR_EL1 } from '../sysregs';
import { getPstateMisc, setPstateMisc } from '../state';
import { MDSCR_SS, PSTATE_SS, SD_STEP_SYN } from './debug-regs';

/** An exception was taken or returned from since the step logic last looked (sched.ts pieces). */
export let stepExcSeen: bool = false;
export function stepResetSeen(): void { stepExcSeen = false; }

/** Called on every exception entry and exception return. */
export function stepNoteException(): void {
  stepExcSeen = true;
  srSet(SD_STEP_SYN, 0);
}

/** SSAdvance(): with MDSCR_EL1.SS set, an instruction that completes clears PSTATE.SS. */
export function ssAdvance(): void {
  if ((srGet(MDSCR_EL1) & MDSCR_SS) != 0) setPstateMisc(getPstateMisc() & ~PSTATE_SS);
}
