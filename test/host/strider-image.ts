// A guest for the fault benchmarks and tests (no source file of its own: ten instructions): it
// stores x1 (counting down) every x2 bytes from IPA 0x4020_0000, x1 times, then calls PSCI
// SYSTEM_OFF. With a 2 MiB stride every store is a stage-2 fault that needs a new level-3 table
// page (and, after it, the memcache top-up); with 1 MiB + 4 KiB every other one does.
import { writeElf64 } from '../gen/elf-writer';

export function striderImage(): { bytes: Uint8Array; name: string } {
  const code = [
    0xd2a80405, // movz x5, #0x4020, lsl #16
    0xb40000a1, // cbz  x1, done
    0xf90000a1, // loop: str x1, [x5]
    0x8b0200a5, // add  x5, x5, x2
    0xf1000421, // subs x1, x1, #1
    0x54ffffa1, // b.ne loop
    0x52800100, // done: movz w0, #0x0008
    0x72b08000, // movk w0, #0x8400, lsl #16  (PSCI SYSTEM_OFF)
    0xd4000002, // hvc  #0
    0x14000000, // b    .
  ];
  const data = new Uint8Array(code.length * 4);
  const dv = new DataView(data.buffer);
  code.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return { bytes: writeElf64(0x4000_0000n, [{ paddr: 0x4000_0000n, data }]), name: 'strider' };
}
