// Hand-written test programs at EL1 with the MMU off (RAM at 0x4000_0000; Device memory, so a
// misaligned access faults): vectors at BASE whose every entry records ESR/ELR/FAR in x20..x22,
// the vector's index in x23, and powers off (PSCI SYSTEM_OFF by HVC); the code at BASE + 0x1000
// sets VBAR_EL1, runs `prologue` and `body`, then powers off; `data` is placed after it.
import { Asm } from '../gen/asm';
import * as E from '../gen/a64enc';
import { writeElf64 } from '../gen/elf-writer';
import { emitVectorStubs } from '../gen/vector-stubs';

export const BASE = 0x4008_0000;
const PSCI_SYSTEM_OFF = 0x8400_0008;

export interface El1ProgramParts {
  prologue?: (a: Asm) => void;
  data?: (a: Asm) => void;
}

export function el1Program(body: (a: Asm) => void, parts: El1ProgramParts = {}): Uint8Array {
  const a = new Asm(BASE);
  emitVectorStubs(a, BASE, 23);
  a.emit(E.mrs(20, E.SysReg.ESR_EL1), E.mrs(21, E.SysReg.ELR_EL1), E.mrs(22, E.SysReg.FAR_EL1));
  a.label('off');
  a.emit(E.movz(0, PSCI_SYSTEM_OFF & 0xffff), E.movk(0, PSCI_SYSTEM_OFF >>> 16, 1), E.hvc(0), E.b(0));
  a.org(BASE + 0x1000);
  a.emit(E.movz(0, BASE >>> 16, 1), E.msr(E.SysReg.VBAR_EL1, 0), E.ISB);
  parts.prologue?.(a);
  body(a);
  a.ref('imm26', 'off', E.b(0));
  parts.data?.(a);
  return writeElf64(BigInt(BASE + 0x1000), [{ paddr: BigInt(BASE), data: a.finish() }]);
}
