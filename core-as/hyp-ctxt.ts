// The TypeScript-hosted EL2's world switch copies a vCPU context (hyp/world-switch.ts
// saveCpuContext / loadCpuContext: x0-x30, SP_EL0, SP_EL1 and the EL1 system registers) between
// the CPU's register slots and a buffer in the exit payload area, in one call each way. TypeScript
// writes once, at EXIT_BASE + EXIT_CTXT_MAP, one u32 per context slot: the byte address of its
// register in the CPU block (bit 0 set: a register that selects the EL1&0 translation), or 0 for a
// slot not copied; the values are u64s in the context's slot order at EXIT_BASE + EXIT_CTXT.
import { EXIT_BASE, EXIT_CTXT, EXIT_CTXT_MAP, EXIT_CTXT_SLOTS } from './layout';
import { saveSP } from './state';

/** CPU -> buffer. The live SP is banked into its slot first (bankSP). */
export function ctxtSave(n: u32): void {
  saveSP();
  if (n > EXIT_CTXT_SLOTS) n = EXIT_CTXT_SLOTS;
  const map = EXIT_BASE + EXIT_CTXT_MAP, buf = EXIT_BASE + EXIT_CTXT;
  for (let i: u32 = 0; i < n; i++) {
    const a = load<u32>(map + 4 * i);
    if (a != 0) store<u64>(buf + 8 * i, load<u64>(a & ~1));
  }
}

/**
 * Buffer -> CPU, the live SP banked first; 1 when a translation register changed. The caller then
 * makes the core reload its SP and derived state (directStateWritten), as after its own writes.
 */
export function ctxtLoad(n: u32): u32 {
  saveSP();
  if (n > EXIT_CTXT_SLOTS) n = EXIT_CTXT_SLOTS;
  const map = EXIT_BASE + EXIT_CTXT_MAP, buf = EXIT_BASE + EXIT_CTXT;
  let mmu: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const a = load<u32>(map + 4 * i);
    if (a == 0) continue;
    const v = load<u64>(buf + 8 * i);
    const r = a & ~1;
    if ((a & 1) != 0 && load<u64>(r) != v) mmu = 1;
    store<u64>(r, v);
  }
  return mmu;
}
