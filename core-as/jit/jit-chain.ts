// Chaining compiled blocks across a page boundary. A compiled block that leaves for a PC on another
// page (a branch, a call or return, the fall-through at the page end) asks jitChain for that PC's
// decode entry; when the next page is already a fetch page the interpreter would reach without
// leaving its fast path — a fast-TLB hit for execute and a decode slot holding the page — it
// becomes the fetch page here exactly as refillFetch would make it, and the block goes straight on
// into the compiled block there (same checks as jitBlockStart: budget, and for the new page no
// debugger or self-hosted-debug breakpoint). Anything else (a TLB miss, a misaligned PC, a page not
// decoded yet, debug) returns 0 and the block returns to the interpreter, whose fetch path
// translates, faults or refills. PSTATE.IL, the EL and the translation regime cannot have changed
// since the block was entered: compiled code only chains when no helper ran (as for chaining on
// the same page, machine/jit/translate.ts exitWithPcOnStack).
import { RAM_HOST } from '../layout';
import { curTlb, TE_ADDEND, TE_EXEC, tlbEntry } from '../tlb';
import { slotBase, slotOfPpn } from '../codecache';
import { setFetchPage } from '../fetch';
import { DBG_ACTIVE } from '../debug/debug';
import { selfDebugActive, selfDebugBreakPage, selfDebugStepping } from '../selfdebug/api';

/** Decode entry (linear-memory address) of the instruction at v, its page now the fetch page; 0 when not possible. */
export function jitChain(v: u64): u32 {
  if ((v & 3) != 0 || load<u32>(DBG_ACTIVE) != 0) return 0;
  const page = v & ~<u64>0xfff;
  if (selfDebugActive() && (selfDebugStepping() || selfDebugBreakPage(page))) return 0;
  const te = tlbEntry(curTlb, v);
  if (load<u64>(te, TE_EXEC) != page) return 0;
  const host = <u32>page + load<u32>(te, TE_ADDEND);
  const s = slotOfPpn((host - RAM_HOST) >> 12);
  if (s == 0) return 0;
  const slot = slotBase(s);
  setFetchPage(page, slot, host);
  return slot + ((<u32>v & 0xffc) << 2);
}
