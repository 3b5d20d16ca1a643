// An exception vector table of stubs for the test programs: at base + i * 0x80 (i = 0..15, the
// Arm ARM's VBAR_ELx layout) "MOVZ x<indexReg>, #i; B report", and the label `report` placed at
// base + 0x800, where the caller emits its reporter.
import type { Asm } from './asm';
import * as E from './a64enc';

export function emitVectorStubs(a: Asm, base: number, indexReg: number): void {
  for (let i = 0; i < 16; i++) {
    a.org(base + i * 0x80);
    a.emit(E.movz(indexReg, i));
    a.ref('imm26', 'report', E.b(0));
  }
  a.org(base + 0x800);
  a.label('report');
}
