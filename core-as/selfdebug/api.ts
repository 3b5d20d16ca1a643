// What other parts of the core (the compiled tier in core-as/jit/) ask of the self-hosted debug
// state. A compiled block may run only where the interpreter would take no debug event:
//   - selfDebugStepping(): MDSCR_EL1.SS is set: run one instruction per piece (interpreter only);
//   - selfDebugBreakPage(page): an enabled hardware breakpoint may match an instruction of the VA
//     page (the interpreter then checks every fetch on it, fetch.ts);
//   - data accesses need nothing: a page a watchpoint may match has no read/write tag in the fast
//     TLB (tlb.ts tlbFill), so compiled code that uses the fast TLB takes the slow path (mem.ts).
// (core-as/debug/ is the gdb stub's own breakpoints/watchpoints: dbgActive() there.)
import * as D from './debug-regs';
import { srGet, MDSCR_EL1 } from '../sysregs';
import { breakpointInPage, sdArmed } from './match';

/** Software step may be active: MDSCR_EL1.SS = 1. */
export function selfDebugStepping(): bool { return (srGet(MDSCR_EL1) & D.MDSCR_SS) != 0; }

/** Any self-hosted debug event armed (hardware breakpoint/watchpoint) or software step enabled. */
export function selfDebugActive(): bool { return sdArmed() != 0 || selfDebugStepping(); }

/** Whether a hardware breakpoint may match an instruction fetched from the 4 KiB VA page `page`. */
export function selfDebugBreakPage(page: u64): bool {
  return (sdArmed() & D.SD_BREAK) != 0 && breakpointInPage(page & ~<u64>0xfff);
}
