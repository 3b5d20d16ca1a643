// Random FP/SIMD differential-test images (pkvm-emu vs qemu-system-aarch64 -M virt -cpu max), built
// from a list of encoding generators (types.ts EncodingClass). generateFpSimdImage(seed, count,
// classes) returns an ELF that:
//   1. sets VBAR_ELx to a vector table that reports any exception over the UART and powers off;
//   2. enables FP/SIMD (CPACR_EL1.FPEN = 11 at EL1; CPTR_EL2 = 0 at EL2), sets a random FPCR and
//      FPSR = 0, loads X0..X27 with seeded values, X28 with the scratch area, V0..V31 with special
//      floating-point values (./fp-values.ts) through FMOV Dn, Xt / FMOV Vn.D[1], Xt;
//   3. runs `count` random instructions from `classes`, with FPCR changes and fresh special values
//      (through X30) interleaved;
//   4. prints x00..x28, v00l/v00h..v31l/v31h (low/high 64 bits), fpsr, fpcr, nzcv, sum (a checksum of
//      the scratch area) and `end` over the PL011, then calls PSCI SYSTEM_OFF.
// If an exception is taken the vector prints exc=, esr=, elr=, far=, spsr=, end instead.
//
// Register conventions for the words an EncodingClass (./types.ts) may produce: V0..V31 any;
// X0..X27 any as sources or destinations (XZR where the encoding allows it); X28 is the base of the
// 4 KiB scratch area (a load/store may use [x28, #imm] inside it but must never write x28); X29 is
// unused; X30 is the harness's temporary (clobbering it is harmless); SP is never used.
//
// Memory map (B = 0x4008_0000, one PT_LOAD segment, entry B + 0x3000): B+0x0000 vectors,
// B+0x0800 exception reporter, B+0x1000 scratch (4 KiB random bytes), B+0x2000 save area,
// B+0x3000 code.
import * as E from '../a64enc';
import { Asm } from '../asm';
import { writeElf64 } from '../elf-writer';
import { Rng } from '../prng';
import { fpcrValue, fpElement, fpRegister } from './fp-values';
import type { EncodingClass } from './types';
import { emitVectorStubs } from '../vector-stubs';

export const LOAD_ADDR = 0x4008_0000;
export const SCRATCH = LOAD_ADDR + 0x1000;
export const SAVE_AREA = LOAD_ADDR + 0x2000;
export const ENTRY = LOAD_ADDR + 0x3000;
const UART = 0x0900_0000;
const PSCI_SYSTEM_OFF = 0x8400_0008;
const FPCR_FZ = 1 << 24;

export const FPCR_REG = E.sysreg(3, 3, 4, 4, 0);
export const FPSR_REG = E.sysreg(3, 3, 4, 4, 1);
const CPACR_EL1 = E.sysreg(3, 0, 1, 0, 2);
const CPTR_EL2 = E.sysreg(3, 4, 1, 1, 2);

/** FMOV Dd, Xn and FMOV Vd.D[1], Xn; FMOV Xd, Dn and FMOV Xd, Vn.D[1]. */
const fmovDX = (d: number, n: number) => (0x9e670000 | (n << 5) | d) >>> 0;
const fmovTopX = (d: number, n: number) => (0x9eaf0000 | (n << 5) | d) >>> 0;
const fmovXD = (d: number, n: number) => (0x9e660000 | (n << 5) | d) >>> 0;
const fmovXTop = (d: number, n: number) => (0x9eae0000 | (n << 5) | d) >>> 0;

export const FP_DUMP_NAMES: readonly string[] = [
  ...Array.from({ length: 29 }, (_, i) => `x${String(i).padStart(2, '0')}`),
  ...Array.from({ length: 32 }, (_, i) => [`v${String(i).padStart(2, '0')}l`, `v${String(i).padStart(2, '0')}h`]).flat(),
  'fpsr', 'fpcr', 'nzcv', 'sum',
];

export interface FpSimdImage {
  elf: Uint8Array;
  /** The random instruction words (only those from `classes`). */
  insns: number[];
  /** Address of the first word of the random block. */
  blockAddr: number;
  image: Uint8Array;
}

/**
 * opts.repeat: run the random block that many times (a counter at SAVE_AREA + 0x400, a tail using x0
 * and x30 and SUBS; for the tier-differential tests in test/jit, which need code that runs often).
 */
export function generateFpSimdImage(seed: number, count: number, classes: EncodingClass[], opts: { el2?: boolean; repeat?: number } = {}): FpSimdImage {
  if (classes.length === 0) throw new Error('no encoding classes');
  const rng = new Rng(seed);
  const a = new Asm(LOAD_ADDR);
  const el2 = !!opts.el2;
  const R = {
    VBAR: el2 ? E.SysReg.VBAR_EL2 : E.SysReg.VBAR_EL1,
    ESR: el2 ? E.SysReg.ESR_EL2 : E.SysReg.ESR_EL1,
    ELR: el2 ? E.SysReg.ELR_EL2 : E.SysReg.ELR_EL1,
    FAR: el2 ? E.SysReg.FAR_EL2 : E.SysReg.FAR_EL1,
    SPSR: el2 ? E.SysReg.SPSR_EL2 : E.SysReg.SPSR_EL1,
  };
  const psciCall = el2 ? E.smc(0) : E.hvc(0);
  const putStr = (s: string) => {
    for (const ch of s) {
      a.emit(E.movz(0, ch.charCodeAt(0)));
      a.ref('imm26', 'putc', E.bl(0));
    }
  };
  const endAndOff = () => {
    putStr('end\n');
    a.emit(E.movz(0, PSCI_SYSTEM_OFF & 0xffff, 0, 0), E.movk(0, PSCI_SYSTEM_OFF >>> 16, 1, 0), psciCall, E.b(0));
  };
  const mov64 = (rd: number, v: bigint) => {
    const c = [0, 1, 2, 3].map((i) => Number((v >> BigInt(16 * i)) & 0xffffn));
    a.emit(E.movz(rd, c[0], 0));
    for (let i = 1; i < 4; i++) if (c[i] !== 0) a.emit(E.movk(rd, c[i], i));
  };

  // ---- vectors and the exception reporter
  emitVectorStubs(a, LOAD_ADDR, 21);
  a.emit(E.mrs(22, R.ESR), E.mrs(23, R.ELR), E.mrs(24, R.FAR), E.mrs(25, R.SPSR));
  a.emit(E.movz(20, UART >>> 16, 1));
  for (const [name, reg] of [['exc', 21], ['esr', 22], ['elr', 23], ['far', 24], ['spsr', 25]] as const) {
    putStr(name + '=');
    a.emit(E.movReg(1, reg));
    a.ref('imm26', 'puthex', E.bl(0));
  }
  endAndOff();

  a.org(SCRATCH);
  a.data(rng.bytes(0x1000));
  a.org(ENTRY);

  // ---- prologue
  mov64(0, BigInt(LOAD_ADDR));
  a.emit(E.msr(R.VBAR, 0));
  if (el2) a.emit(E.msr(CPTR_EL2, 31));
  else {
    a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0));
  }
  a.emit(E.ISB);
  let fpcr = fpcrValue(rng);
  mov64(0, BigInt(fpcr));
  a.emit(E.msr(FPCR_REG, 0), E.msr(FPSR_REG, 31));
  for (let i = 0; i < 32; i++) {
    const val = fpRegister(rng);
    mov64(30, val & ((1n << 64n) - 1n));
    a.emit(fmovDX(i, 30));
    mov64(30, val >> 64n);
    a.emit(fmovTopX(i, 30));
  }
  for (let r = 0; r < 28; r++) {
    const k = rng.int(4);
    mov64(r, k === 0 ? fpElement(rng, 64) : k === 1 ? fpElement(rng, 32) : k === 2 ? BigInt(rng.int(256)) - (rng.bool() ? 128n : 0n) & ((1n << 64n) - 1n) : rng.u64());
  }
  mov64(28, BigInt(SCRATCH));
  a.emit(E.movz(0, rng.int(16) << 12, 1), E.msr(E.SysReg.NZCV, 0));
  if (opts.repeat) { mov64(30, BigInt(SAVE_AREA + 0x400)); a.emit(E.movz(0, opts.repeat), E.ldstUimm(3, 0, 0, 30, 0)); }
  mov64(0, 0n);

  // ---- random block
  const blockAddr = a.pc();
  a.label('again');
  const insns: number[] = [];
  while (insns.length < count) {
    const u = rng.int(100);
    if (u < 4) {
      fpcr = fpcrValue(rng);
      mov64(30, BigInt(fpcr));
      a.emit(E.msr(FPCR_REG, 30));
    } else if (u < 30) {
      // A fresh operand: a whole register of special values of one element size.
      const d = rng.int(32);
      const val = fpRegister(rng);
      mov64(30, val & ((1n << 64n) - 1n));
      a.emit(fmovDX(d, 30));
      mov64(30, val >> 64n);
      a.emit(fmovTopX(d, 30));
    } else {
      const w = rng.pick(classes).gen(rng) >>> 0;
      if ((w & 0xfffffc00) === 0x1e7e0000 && (fpcr & FPCR_FZ) !== 0) {
        // FJCVTZS of a positive denormal with FPCR.FZ = 1: the Arm ARM (FPToFixedJS) clears Z,
        // QEMU 7.2 sets it (a known divergence, test/core/fp-scalar.test.ts). Run it with FZ = 0.
        fpcr &= ~FPCR_FZ;
        mov64(30, BigInt(fpcr));
        a.emit(E.msr(FPCR_REG, 30));
      }
      insns.push(w);
      a.emit(w);
    }
  }

  if (opts.repeat) {
    mov64(30, BigInt(SAVE_AREA + 0x400));
    a.emit(E.ldstUimm(3, 0, 0, 30, 1), E.ldstUimm(3, 1, 0, 30, 0), E.subsImm(0, 0, 1), E.ldstUimm(3, 0, 0, 30, 0), E.ldstUimm(3, 1, 0, 30, 1));
    a.ref('imm19', 'again', E.bcond(E.Cond.NE, 0));
  }
  // ---- epilogue: save, checksum, print, power off
  mov64(30, BigInt(SAVE_AREA));
  for (let r = 0; r <= 28; r++) a.emit(E.ldstUimm(3, 0, r, 30, r)); // STR xr, [x30, #8r]
  for (let i = 0; i < 32; i++) {
    a.emit(fmovXD(0, i), E.ldstUimm(3, 0, 0, 30, 29 + 2 * i));
    a.emit(fmovXTop(0, i), E.ldstUimm(3, 0, 0, 30, 30 + 2 * i));
  }
  a.emit(E.mrs(0, FPSR_REG), E.ldstUimm(3, 0, 0, 30, 93));
  a.emit(E.mrs(0, FPCR_REG), E.ldstUimm(3, 0, 0, 30, 94));
  a.emit(E.mrs(0, E.SysReg.NZCV), E.ldstUimm(3, 0, 0, 30, 95));
  // checksum of the scratch area: h = h * FNV_PRIME + w for each doubleword
  a.emit(E.movz(1, 0));
  mov64(3, 0x100000001b3n);
  mov64(4, BigInt(SCRATCH));
  a.emit(E.movz(5, 0x1000 / 8));
  a.label('sumloop');
  a.emit(E.ldstImm9(3, 1, 2, 4, 8, 1), E.dp3(1, 0, 0, 1, 1, 3, 2), E.subsImm(5, 5, 1));
  a.ref('imm19', 'sumloop', E.bcond(E.Cond.NE, 0));
  a.emit(E.ldstUimm(3, 0, 1, 30, 96));
  a.emit(E.movz(20, UART >>> 16, 1));
  FP_DUMP_NAMES.forEach((name, i) => {
    putStr(name + '=');
    mov64(30, BigInt(SAVE_AREA));
    a.emit(E.ldstUimm(3, 1, 1, 30, i));
    a.ref('imm26', 'puthex', E.bl(0));
  });
  endAndOff();

  // ---- putc(w0) and puthex(x1) (x0, x10..x13, x20 = UART)
  const emitPutc = (lbl: string) => {
    a.label(lbl);
    a.emit(E.ldstUimm(2, 1, 10, 20, 0x18 / 4));
    a.ref('imm14', lbl, E.tbz(10, 5, 0, 1));
    a.emit(E.ldstUimm(2, 0, 0, 20, 0));
  };
  a.label('putc');
  emitPutc('putc_poll');
  a.emit(E.ret());
  a.label('puthex');
  a.emit(E.movz(11, 60));
  a.label('puthex_loop');
  a.emit(E.dp2(1, 9, 0, 1, 11), E.logImm(1, 0, 0, 0, 1, 0, 3), E.addImm(12, 0, 0x30), E.addImm(13, 0, 0x61 - 10), E.cmpImm(0, 10), E.csel(1, 0, 0, 0, 13, 12, E.Cond.HS));
  emitPutc('puthex_poll');
  a.emit(E.subsImm(11, 11, 4));
  a.ref('imm19', 'puthex_loop', E.bcond(E.Cond.GE, 0));
  a.emit(E.movz(0, 0x0a));
  emitPutc('puthex_nl');
  a.emit(E.ret());

  const image = a.finish();
  const elf = writeElf64(BigInt(ENTRY), [{ paddr: BigInt(LOAD_ADDR), data: image }]);
  return { elf, insns, blockAddr, image };
}
