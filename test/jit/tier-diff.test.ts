// Tier-differential tests: the same program run by the interpreter alone (--no-jit) and with the
// compiled tier (machine/jit/, here with a hot threshold of 2 and a compile after every queued
// block, so nearly everything that repeats runs compiled) must end in the same architectural state:
// every X register, SP, PC, NZCV, V0-V31, FPSR/FPCR, the console output, the instruction count and
// guest memory. Programs: the random integer and FP/SIMD generators (test/gen) with their random
// block repeated, hand-written loops that fault in the middle of a compiled block and that rewrite
// their own code, and the committed guest images (timer and SGI interrupts taken in the middle of
// hot loops, SMP, stage-1/stage-2 MMU work, TLBI).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine, type MachineOptions } from '../../machine/machine';
import { SR } from '../../machine/core-constants';
import { generateRandomImage } from '../gen/random-a64';
import { generateFpSimdImage } from '../gen/fpsimd/random-fpsimd';
import { FP_CLASSES } from '../gen/fpsimd/fp-encodings';
import { SIMD_ENCODINGS } from '../gen/fpsimd/simd-encodings';
import { Asm } from '../gen/asm';
import * as E from '../gen/a64enc';
import { BASE, el1Program } from './el1-program';
import { Rng } from '../gen/prng';
import { fpElement, fpcrValue } from '../gen/fpsimd/fp-values';
import * as F from '../gen/fpsimd/fpenc';

const HOT = { hot: 2, batch: 1 };

interface Final {
  reason: string; uart: string; insns: bigint; pc: bigint; nzcv: number; x: bigint[]; v: bigint[];
  fpsr: bigint; fpcr: bigint; el: number; ram: string;
}

function fnv(a: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i + 8 <= a.length; i += 8) h = BigInt.asUintN(64, (h ^ dv.getBigUint64(i, true)) * 0x100000001b3n);
  return h.toString(16);
}

function run(elf: Uint8Array, jit: boolean, opts: MachineOptions = {}, limit = 400_000_000n): { f: Final; compiled: bigint } {
  const m = new Machine({ ...opts, jit: jit ? HOT : false });
  m.load(elf, 'test.elf');
  const r = m.run(limit);
  const c = m.core;
  const f: Final = {
    reason: r.reason, uart: m.uartText(), insns: c.insns, pc: c.pc, nzcv: c.nzcv, el: c.el,
    x: Array.from({ length: 32 }, (_, i) => c.getX(i)), v: Array.from({ length: 32 }, (_, i) => c.getV(i)),
    fpsr: c.sysreg(SR.FPSR), fpcr: c.sysreg(SR.FPCR),
    ram: fnv(c.ram.subarray(0, 8 << 20)), // the first 8 MiB of RAM: images, stacks, data
  };
  return { f, compiled: c.jitStats()?.insnsCompiled ?? 0n };
}

/** Runs both tiers; returns the share of instructions the compiled tier retired. */
function same(elf: Uint8Array, opts: MachineOptions = {}, limit?: bigint): number {
  const a = run(elf, false, opts, limit);
  const b = run(elf, true, opts, limit);
  expect(b.f).toEqual(a.f);
  return Number(b.compiled) / Number(b.f.insns);
}

describe('random integer programs: interpreter vs compiled tier', () => {
  for (let i = 0; i < 10; i++) {
    const el2 = i % 3 === 2;
    it(`seed ${0x71e0 + i}${el2 ? ' (EL2)' : ''}`, () => {
      const img = generateRandomImage(0x71e0 + i, 400, undefined, { el2, repeat: 30 });
      expect(same(img.elf, { el2 })).toBeGreaterThan(0.5);
    });
  }
  for (const cls of ['dpimm', 'dpreg', 'branch', 'ldst', 'atomic', 'system']) {
    it(`class ${cls}`, () => {
      const img = generateRandomImage(0x7200 + cls.length, 300, [cls], { repeat: 30 });
      expect(same(img.elf)).toBeGreaterThan(0.3);
    });
  }
});

describe('random FP and SIMD programs: interpreter vs compiled tier', () => {
  for (let i = 0; i < 4; i++) {
    it(`FP seed ${0x7300 + i}`, () => {
      const img = generateFpSimdImage(0x7300 + i, 200, FP_CLASSES, { repeat: 20, el2: i === 3 });
      expect(same(img.elf, { el2: i === 3 })).toBeGreaterThan(0.3);
    });
  }
  it('SIMD seed 0x7310', () => {
    const img = generateFpSimdImage(0x7310, 200, SIMD_ENCODINGS, { repeat: 20 });
    expect(same(img.elf)).toBeGreaterThan(0.3);
  });
});

// --- hand-written programs (EL1, MMU off, RAM at 0x4000_0000, 128 MiB; el1-program.ts) ---
const program = (body: (a: Asm) => void): Uint8Array => el1Program(body);

describe('hand-written programs: interpreter vs compiled tier', () => {
  it('a hot loop whose load leaves RAM takes the external abort at the same instruction', () => {
    const elf = program((a) => {
      const start = 0x4800_0000 - 8 * 500; // 500 iterations before the end of 128 MiB of RAM
      a.emit(E.movz(2, start & 0xffff), E.movk(2, start >>> 16, 1), E.movz(3, 0), E.movz(4, 1000));
      a.label('loop');
      a.emit(E.ldstUimm(3, 1, 1, 2, 0)); // LDR x1, [x2]
      a.emit(E.addsubShift(1, 0, 0, 3, 3, 1, 0, 0), E.addsubShift(1, 0, 0, 3, 3, 4, 0, 1)); // x3 += x1 + 2*x4
      a.emit(E.addImm(2, 2, 8), E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const b = run(elf, true).f;
    expect(b.x[23]).toBe(0n + 4n); // vector 4: synchronous, current EL with SP_ELx
    expect(b.x[20] >> 26n).toBe(0x25n); // EC: data abort taken without a change in EL
    expect(b.x[22]).toBe(0x4800_0000n);
    expect(b.x[4]).toBe(500n); // 500 iterations completed, the 501st faulted
    expect(same(elf)).toBeGreaterThan(0.5);
  });

  it('a loop that rewrites an instruction in its own body (MOVZ x5, #i) sums 0..199', () => {
    const elf = program((a) => {
      a.emit(E.movz(8, 0), E.movz(9, 0), E.movz(4, 200));
      a.emit(E.movz(10, 0x0005), E.movk(10, 0xd280, 1)); // MOVZ x5, #0 = 0xd2800005
      a.ref('adr', 'patch', E.adr(7, 0));
      a.label('loop');
      a.emit(E.logShift(1, 1, 0, 6, 10, 9, 0, 5)); // x6 = x10 | x9 << 5
      a.emit(E.ldstUimm(2, 0, 6, 7, 0), E.ISB); // STR w6, [x7]; ISB
      a.label('patch');
      a.emit(E.movz(5, 0xffff));
      a.emit(E.addsubShift(1, 0, 0, 8, 8, 5, 0, 0), E.addImm(9, 9, 1), E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const b = run(elf, true).f;
    expect(b.x[8]).toBe(BigInt((199 * 200) / 2));
    same(elf);
  });

  it('UMULH and SMULH (translated inline) of pseudo-random operands match the Arm ARM (128-bit products)', () => {
    // x1, x2: two 64-bit LCGs (MADD); x8 += UMULH(x1, x2); x9 += SMULH(x1, x2), 300 rounds
    const K = 0x5851_f42d_4c95_7f2dn, C1 = 0x1405_7b7e_f767_814fn, C2 = 0x9e37_79b9_7f4a_7c15n;
    const mov64 = (a: Asm, rd: number, v: bigint) => {
      a.emit(E.movz(rd, Number(v & 0xffffn)));
      for (let i = 1; i < 4; i++) a.emit(E.movk(rd, Number((v >> BigInt(16 * i)) & 0xffffn), i));
    };
    const elf = program((a) => {
      mov64(a, 3, K); mov64(a, 4, C1); mov64(a, 5, C2); mov64(a, 1, 1n); mov64(a, 2, 0xffff_ffff_ffff_fff3n);
      a.emit(E.movz(8, 0), E.movz(9, 0), E.movz(6, 300));
      a.label('loop');
      a.emit(E.dp3(1, 0, 0, 1, 1, 3, 4), E.dp3(1, 0, 0, 2, 2, 3, 5)); // x1 = x1 * K + C1; x2 = x2 * K + C2
      a.emit(E.dp3(1, 6, 0, 10, 1, 2, 31), E.dp3(1, 2, 0, 11, 1, 2, 31)); // x10 = UMULH, x11 = SMULH
      a.emit(E.addsubShift(1, 0, 0, 8, 8, 10, 0, 0), E.addsubShift(1, 0, 0, 9, 9, 11, 0, 0), E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const M = (1n << 64n) - 1n;
    let x1 = 1n, x2 = 0xffff_ffff_ffff_fff3n, s8 = 0n, s9 = 0n;
    for (let i = 0; i < 300; i++) {
      x1 = (x1 * K + C1) & M; x2 = (x2 * K + C2) & M;
      s8 = (s8 + ((x1 * x2) >> 64n)) & M; // UnsignedMultiplyHigh
      s9 = (s9 + ((BigInt.asIntN(64, x1) * BigInt.asIntN(64, x2)) >> 64n)) & M; // SignedMultiplyHigh
    }
    const r = run(elf, true);
    expect(r.f.x[8]).toBe(s8);
    expect(r.f.x[9]).toBe(s9);
    expect(same(elf)).toBeGreaterThan(0.5);
  });

  it('code rewritten on another page every 64 calls: the compiled callee is dropped and recompiled each time', () => {
    const elf = program((a) => {
      a.emit(E.movz(8, 0), E.movz(9, 0), E.movz(4, 300));
      a.emit(E.movz(10, 0x0005), E.movk(10, 0xd280, 1)); // MOVZ x5, #0 = 0xd2800005
      a.ref('adr', 'callee', E.adr(7, 0));
      a.label('loop');
      a.emit(E.logImm(1, 3, 31, 9, 1, 0, 5)); // TST x9, #63
      a.ref('imm19', 'skip', E.bcond(E.Cond.NE, 0));
      a.emit(E.bitfield(1, 2, 12, 9, 6, 63)); // LSR x12, x9, #6
      a.emit(E.logShift(1, 1, 0, 6, 10, 12, 0, 5)); // x6 = MOVZ x5, #(x9 >> 6)
      a.emit(E.ldstUimm(2, 0, 6, 7, 0), E.ISB); // STR w6, [x7]; ISB
      a.label('skip');
      a.ref('imm26', 'callee', E.bl(0));
      a.emit(E.addsubShift(1, 0, 0, 8, 8, 5, 0, 0), E.addImm(9, 9, 1), E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'off', E.b(0));
      a.org(BASE + 0x3000);
      a.label('callee');
      a.emit(E.movz(5, 0x7777), E.addImm(5, 5, 0), E.ret());
    });
    const r = run(elf, true);
    let sum = 0;
    for (let i = 0; i < 300; i++) sum += i >> 6;
    expect(r.f.x[8]).toBe(BigInt(sum));
    expect(same(elf)).toBeGreaterThan(0.3);
  });
});

// --- the committed guest images ---
const img = (n: string): Uint8Array => readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url));

describe('guest images: interpreter vs compiled tier (same output, counts, registers, memory)', () => {
  const cases: [name: string, opts: MachineOptions][] = [
    ['hello', {}], ['selftest', {}], ['selftest', { el2: true }], ['compute', {}], ['simd', {}],
    ['fpcompute', {}], ['gic-timer', {}], ['gic-timer', { el2: true }], ['gic-sgi', {}], ['gic-vgic', { el2: true }],
    ['gic-ipi', { smp: 4 }], ['smp-counter', { smp: 4 }], ['smp-counter', { smp: 4, quantum: 1000 }],
    ['mmu-el1', {}], ['mmu-el2', { el2: true }], ['mmu-tlbi', { el2: true }], ['walkbench', { el2: true }],
  ];
  for (const [name, opts] of cases) {
    it(`${name}${opts.el2 ? ' (EL2)' : ''}${opts.smp ? ` --smp ${opts.smp}` : ''}${opts.quantum ? ` quantum ${opts.quantum}` : ''}`, () => {
      same(img(name), opts, 2_000_000_000n);
    });
  }
});

// --- FP and SIMD&FP loads/stores in compiled blocks (machine/jit/translate-fp.ts) ---
const FPSR_REG = E.sysreg(3, 3, 4, 4, 1), FPCR_SYS = E.sysreg(3, 3, 4, 4, 0), CPACR_EL1 = E.sysreg(3, 0, 1, 0, 2);
const FZ = 1 << 24, DN = 1 << 25;
/** LDP/STP (SIMD&FP): opc 0 S, 1 D, 2 Q; mode 1 post-index, 2 offset, 3 pre-index; imm7 in elements. */
const ldpV = (opc: number, mode: number, L: number, imm7: number, rt: number, rt2: number, rn: number) =>
  ((opc << 30) | (0b101 << 27) | (1 << 26) | (mode << 23) | (L << 22) | ((imm7 & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt) >>> 0;
/** LDR/STR (SIMD&FP) size/opc: S = (2, 0|1), D = (3, 0|1), Q = (0, 2|3). */
const ldrVUimm = (size: number, opc: number, rt: number, rn: number, imm12: number) =>
  ((size << 30) | (0b111 << 27) | (1 << 26) | (1 << 24) | (opc << 22) | (imm12 << 10) | (rn << 5) | rt) >>> 0;
const ldrVPost = (size: number, opc: number, rt: number, rn: number, imm9: number) =>
  ((size << 30) | (0b111 << 27) | (1 << 26) | (opc << 22) | ((imm9 & 0x1ff) << 12) | (1 << 10) | (rn << 5) | rt) >>> 0;
const ldrVReg = (size: number, opc: number, rt: number, rn: number, rm: number, option: number, s: number) =>
  ((size << 30) | (0b111 << 27) | (1 << 26) | (opc << 22) | (1 << 21) | (rm << 16) | (option << 13) | (s << 12) | (2 << 10) | (rn << 5) | rt) >>> 0;
const mov64 = (a: Asm, rd: number, v: bigint) => {
  a.emit(E.movz(rd, Number(v & 0xffffn)));
  for (let i = 1; i < 4; i++) a.emit(E.movk(rd, Number((v >> BigInt(16 * i)) & 0xffffn), i));
};

describe('FP in compiled blocks: interpreter vs compiled tier', () => {
  it('FADD/FSUB/FMUL/FMADD/FNMSUB/FDIV (S and D), FNEG/FABS/FMOV/FCSEL, conversions, loads and stores under 8 FPCR settings', () => {
    const rng = new Rng(0x7f00);
    const N = 96;
    const DDATA = BASE + 0x8000, SDATA = BASE + 0xa000, FPCRS = BASE + 0xb000, OUT = BASE + 0x10_0000;
    const fpcrs = [0, FZ, DN, FZ | DN, 1 << 22, 2 << 22, 3 << 22, fpcrValue(rng)];
    const elf = program((a) => {
      a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0), E.ISB); // CPACR_EL1.FPEN = 0b11
      mov64(a, 4, BigInt(OUT)); mov64(a, 10, BigInt(FPCRS)); a.emit(E.movz(11, fpcrs.length), E.movz(7, 0));
      mov64(a, 13, BigInt.asUintN(64, -2n));
      a.label('outer');
      a.emit(E.ldstUimm(3, 1, 0, 10, 0), E.addImm(10, 10, 8), E.msr(FPCR_SYS, 0), E.msr(FPSR_REG, 31));
      mov64(a, 2, BigInt(DDATA)); mov64(a, 5, BigInt(SDATA)); a.emit(E.movz(6, N));
      a.label('inner');
      a.emit(
        ldpV(1, 1, 1, 2, 0, 1, 2), // LDP d0, d1, [x2], #16
        ldrVUimm(3, 1, 6, 2, 0), // LDR d6, [x2]
        ldpV(0, 1, 1, 2, 16, 17, 5), // LDP s16, s17, [x5], #8
        ldrVUimm(2, 1, 7, 5, 0), // LDR s7, [x5]
        ldrVReg(3, 1, 29, 2, 13, 3, 1), // LDR d29, [x2, x13, LSL #3]
        E.ldstUimm(3, 1, 12, 2, 0), // LDR x12, [x2]: a double's bits as an integer
        E.addsubShift(1, 1, 0, 15, 31, 6, 0, 0), // SUB x15, xzr, x6
      );
      // each FP op followed by its own FPSR sample (MRS; STR x9, [x4], #8; MSR FPSR, xzr)
      const ops = [
        F.fpDp2(1, 2, 2, 0, 1), F.fpDp2(1, 3, 3, 0, 1), F.fpDp2(1, 0, 4, 0, 1), F.fpDp3(1, 0, 0, 5, 0, 1, 6), // FADD/FSUB/FMUL/FMADD d
        F.fpDp2(0, 2, 18, 16, 17), F.fpDp2(0, 3, 19, 16, 17), F.fpDp2(0, 0, 20, 16, 17), F.fpDp3(0, 0, 0, 21, 16, 17, 7), // ... s
        F.fpDp1(1, 2, 22, 0), F.fpDp1(0, 1, 23, 16), F.fpDp1(1, 0, 24, 1), // FNEG d, FABS s, FMOV d
        F.fcmp(1, 0, 1), F.fcsel(1, 25, 0, 1, 12), // FCMP d0, d1; FCSEL d25, d0, d1, GT
        F.fpDp2(1, 1, 26, 0, 1), F.fpDp3(1, 1, 1, 27, 0, 1, 6), // FDIV, FNMSUB (through the core's executor)
        F.fpDp2(0, 1, 30, 16, 17), F.fpDp1(1, 3, 31, 0), F.fpDp1(0, 3, 15, 17), // FDIV s, FSQRT d, FSQRT s
        F.fpDp1(1, 4, 14, 0), F.fpDp1(0, 5, 13, 16), // FCVT s14, d0; FCVT d13, s16
        F.fpInt(1, 0, 0, 2, 12, 12), F.fpInt(1, 1, 0, 3, 11, 12), F.fpInt(0, 0, 0, 2, 10, 12), F.fpInt(0, 1, 0, 3, 9, 12), // S/UCVTF from x12, w12
        F.fpInt(1, 0, 0, 2, 8, 15), F.fpInt(1, 1, 0, 2, 7, 15), // SCVTF s8, x15; SCVTF d7, x15 (x15 = -x6)
        F.fpInt(1, 1, 0, 2, 28, 6), F.fpInt(1, 1, 3, 0, 9, 0), // SCVTF d28, x6; FCVTZS x9, d0
      ];
      for (const w of ops) a.emit(w, E.addsubShift(1, 0, 0, 7, 7, 9, 0, 0), E.mrs(9, FPSR_REG), E.ldstUimm(3, 0, 9, 4, 0), E.addImm(4, 4, 8), E.msr(FPSR_REG, 31));
      a.emit(
        // (28 samples of 8 bytes: x4 stays 16-byte aligned for STR q5; MMU off: Device memory, alignment checked)
        ldrVPost(0, 2, 5, 4, 16), // STR q5, [x4], #16
        ldpV(1, 1, 0, 2, 2, 3, 4), ldpV(1, 1, 0, 2, 4, 22, 4), // STP d2, d3 / d4, d22, [x4], #16
        ldpV(0, 1, 0, 2, 18, 19, 4), ldpV(0, 1, 0, 2, 20, 21, 4), // STP s18, s19 / s20, s21, [x4], #8
        ldpV(1, 1, 0, 2, 24, 25, 4), ldpV(1, 1, 0, 2, 26, 27, 4), ldpV(1, 3, 0, 2, 28, 29, 4), E.addImm(4, 4, 16), // ..., STP d28, d29, [x4, #16]!
        ldrVPost(2, 0, 23, 4, 8), // STR s23, [x4], #8
        ldpV(1, 1, 0, 2, 14, 13, 4), ldpV(1, 1, 0, 2, 12, 11, 4), ldpV(1, 1, 0, 2, 10, 9, 4), ldpV(1, 1, 0, 2, 8, 7, 4), // STP d14, d13 / ... / d8, d7
        E.mrs(9, FPSR_REG), E.ldstUimm(3, 0, 9, 4, 0), E.addImm(4, 4, 8), E.msr(FPSR_REG, 31),
        E.subsImm(6, 6, 1),
      );
      a.ref('imm19', 'inner', E.bcond(E.Cond.NE, 0));
      a.emit(E.subsImm(11, 11, 1));
      a.ref('imm19', 'outer', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'off', E.b(0));
      a.org(DDATA);
      for (let i = 0; i < 2 * N + 2; i++) { const v = fpElement(rng, 64); a.emit(Number(v & 0xffff_ffffn), Number(v >> 32n)); }
      a.org(SDATA);
      for (let i = 0; i < 2 * N + 2; i++) a.emit(Number(fpElement(rng, 32)));
      a.org(FPCRS);
      for (const v of fpcrs) a.emit(v, 0);
    });
    const r = run(elf, true).f;
    expect(r.x[23]).toBe(0n); // no exception (x23 is set by the vectors)
    expect(r.x[11]).toBe(0n);
    expect(same(elf)).toBeGreaterThan(0.5);
  });

  it('FP disabled (CPACR_EL1.FPEN = 0) in the middle of a compiled FP loop: the trap is taken at the same FADD', () => {
    const elf = program((a) => {
      a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0), E.ISB, E.movz(6, 100), E.movz(8, 0));
      a.emit(F.fmovImm(1, 1, 0x70), F.fmovImm(1, 2, 0x70)); // d1 = d2 = 1.0
      a.label('loop');
      a.emit(E.subsImm(31, 6, 50)); // CMP x6, #50
      a.ref('imm19', 'skip', E.bcond(E.Cond.NE, 0));
      a.emit(E.msr(CPACR_EL1, 31), E.ISB);
      a.label('skip');
      a.emit(F.fpDp2(1, 2, 1, 1, 2), E.addImm(8, 8, 1), E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const r = run(elf, true).f;
    expect(r.x[20] >> 26n).toBe(0x07n); // EC 0x07: SIMD&FP access trapped
    expect(r.x[6]).toBe(50n);
    expect(r.x[8]).toBe(50n);
    same(elf);
  });
});

describe('FMADD fast paths in compiled blocks: interpreter vs compiled tier', () => {
  it('FMADD/FMSUB/FNMADD/FNMSUB d/s on operands built near rounding midpoints, cancellations and the exponent limits of the fast paths', () => {
    const rng = new Rng(0x7f10);
    const M = 1500;
    const DDATA = BASE + 0x8000, SDATA = BASE + 0x2_0000, OUT = BASE + 0x10_0000;
    const f64 = (x: number): bigint => { const dv = new DataView(new ArrayBuffer(8)); dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); };
    const f32 = (x: number): number => { const dv = new DataView(new ArrayBuffer(4)); dv.setFloat32(0, x, true); return dv.getUint32(0, true); };
    const sig = (): number => 1 + rng.u32() / 2 ** 32 + rng.u32() / 2 ** 64; // a random significand in [1, 2)
    const sgn = (): number => (rng.bool(0.5) ? -1 : 1);
    const dTriples: bigint[][] = [], sTriples: number[][] = [];
    for (let i = 0; i < M; i++) {
      const kind = rng.int(6);
      let a = sgn() * sig() * 2 ** rng.range(-4, 4), b = sgn() * sig() * 2 ** rng.range(-4, 4);
      let c: number;
      if (kind === 0) c = -(a * b); // cancellation: the result is the product's rounding error
      else if (kind === 1) c = sgn() * Math.abs(a * b) * 2 ** -rng.range(50, 60); // c within a few ulps of the product
      else if (kind === 2) c = sgn() * Math.abs(a * b) * 2 ** rng.range(50, 60);
      else if (kind === 3) { a = 1 + 2 ** -27 * rng.range(1, 7); b = 1 + 2 ** -27 * rng.range(1, 7); c = sgn() * 2 ** -rng.range(52, 56); } // midpoints
      else if (kind === 4) { a *= 2 ** (sgn() * rng.range(440, 460)); b *= 2 ** rng.range(-4, 4); c = sgn() * sig() * 2 ** (sgn() * rng.range(440, 460)); } // the ±450 limit
      else c = sgn() * sig() * 2 ** rng.range(-8, 8);
      dTriples.push([f64(a), f64(b), f64(c)]);
      // single: products exact in f64; midpoints of single precision with a tiny sticky addend
      let sa = Math.fround(sgn() * sig() * 2 ** rng.range(-4, 4)), sb = Math.fround(sgn() * sig() * 2 ** rng.range(-4, 4)), sc: number;
      if (kind === 3 || kind === 1) { sa = 1 + 2 ** -12 * rng.range(1, 3); sb = 1 + 2 ** -12 * rng.range(1, 3); sc = Math.fround(sgn() * 2 ** -rng.range(30, 45)); }
      else if (kind === 0) sc = Math.fround(-(sa * sb));
      else sc = Math.fround(sgn() * sig() * 2 ** rng.range(-8, 8));
      sTriples.push([f32(sa), f32(sb), f32(sc)]);
    }
    const elf = program((a) => {
      a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0), E.ISB, E.msr(FPCR_SYS, 31), E.msr(FPSR_REG, 31));
      mov64(a, 4, BigInt(OUT)); mov64(a, 2, BigInt(DDATA)); mov64(a, 5, BigInt(SDATA)); mov64(a, 6, BigInt(M));
      a.label('loop');
      a.emit(
        ldpV(1, 1, 1, 2, 0, 1, 2), ldrVPost(3, 1, 2, 2, 8), // LDP d0, d1, [x2], #16; LDR d2, [x2], #8
        ldpV(0, 1, 1, 2, 16, 17, 5), ldrVPost(2, 1, 18, 5, 4), // LDP s16, s17, [x5], #8; LDR s18, [x5], #4
        F.fpDp3(1, 0, 0, 3, 0, 1, 2), E.mrs(9, FPSR_REG), E.msr(FPSR_REG, 31), // FMADD d3, d0, d1, d2
        F.fpDp3(0, 0, 0, 19, 16, 17, 18), E.mrs(10, FPSR_REG), E.msr(FPSR_REG, 31), // FMADD s19, s16, s17, s18
        F.fpDp3(1, 0, 1, 20, 0, 1, 2), E.mrs(11, FPSR_REG), E.msr(FPSR_REG, 31), // FMSUB d20
        F.fpDp3(1, 1, 0, 21, 0, 1, 2), E.mrs(12, FPSR_REG), E.msr(FPSR_REG, 31), // FNMADD d21
        F.fpDp3(1, 1, 1, 22, 0, 1, 2), E.mrs(13, FPSR_REG), E.msr(FPSR_REG, 31), // FNMSUB d22
        F.fpDp3(0, 1, 1, 23, 16, 17, 18), E.mrs(14, FPSR_REG), E.msr(FPSR_REG, 31), // FNMSUB s23
        ldrVPost(3, 0, 3, 4, 8), ldrVPost(2, 0, 19, 4, 8), E.ldstUimm(3, 0, 9, 4, 0), E.ldstUimm(3, 0, 10, 4, 1),
        E.addImm(4, 4, 16), ldpV(1, 1, 0, 2, 20, 21, 4), ldpV(1, 1, 0, 2, 22, 23, 4), E.ldstUimm(3, 0, 11, 4, 0), E.ldstUimm(3, 0, 12, 4, 1),
        E.ldstUimm(3, 0, 13, 4, 2), E.ldstUimm(3, 0, 14, 4, 3), E.addImm(4, 4, 32), E.subsImm(6, 6, 1),
      );
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'off', E.b(0));
      a.org(DDATA);
      for (const t of dTriples) for (const v of t) a.emit(Number(v & 0xffff_ffffn), Number(v >> 32n));
      a.org(SDATA);
      for (const t of sTriples) a.emit(...t);
    });
    const r = run(elf, true).f;
    expect(r.x[23]).toBe(0n);
    expect(r.x[6]).toBe(0n);
    expect(same(elf)).toBeGreaterThan(0.5);
  });
});

describe('FDIV and FSQRT fast paths in compiled blocks: interpreter vs compiled tier', () => {
  it('FDIV/FSQRT d/s on exact quotients and squares, random operands and the exponent limits', () => {
    const rng = new Rng(0x7f20);
    const M = 1200;
    const DDATA = BASE + 0x8000, SDATA = BASE + 0x2_0000, OUT = BASE + 0x10_0000;
    const f64 = (x: number): bigint => { const dv = new DataView(new ArrayBuffer(8)); dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); };
    const f32 = (x: number): number => { const dv = new DataView(new ArrayBuffer(4)); dv.setFloat32(0, x, true); return dv.getUint32(0, true); };
    const small = (): number => rng.range(1, 4096) * (rng.bool(0.5) ? -1 : 1); // few significant bits
    const dPairs: bigint[][] = [], sPairs: number[][] = [];
    for (let i = 0; i < M; i++) {
      const kind = rng.int(5);
      let x: number, y: number, sx: number, sy: number;
      if (kind === 0) { y = small() * 2 ** rng.range(-20, 20); const q = small(); x = y * q; sy = Math.fround(small()); sx = Math.fround(sy * small()); } // exact quotients
      else if (kind === 1) { const r = Math.abs(small()) * 2 ** rng.range(-10, 10); x = r * r; y = small(); sx = Math.fround(r * r); sy = Math.fround(small()); } // squares
      else if (kind === 2) { x = (1 + rng.u32() / 2 ** 32) * 2 ** (rng.bool(0.5) ? rng.range(440, 460) : -rng.range(440, 460)); y = (1 + rng.u32() / 2 ** 32) * 2 ** rng.range(-12, 12); sx = Math.fround(2 ** rng.range(100, 127)); sy = Math.fround(2 ** -rng.range(1, 30)); } // limits
      else { x = (rng.bool(0.5) ? -1 : 1) * (1 + rng.u32() / 2 ** 32) * 2 ** rng.range(-8, 8); y = (1 + rng.u32() / 2 ** 32) * 2 ** rng.range(-8, 8); sx = Math.fround(x); sy = Math.fround(y); }
      dPairs.push([f64(x), f64(y)]);
      sPairs.push([f32(sx), f32(sy)]);
    }
    const elf = program((a) => {
      a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0), E.ISB, E.msr(FPCR_SYS, 31), E.msr(FPSR_REG, 31));
      mov64(a, 4, BigInt(OUT)); mov64(a, 2, BigInt(DDATA)); mov64(a, 5, BigInt(SDATA)); mov64(a, 6, BigInt(M));
      a.label('loop');
      a.emit(ldpV(1, 1, 1, 2, 0, 1, 2), ldpV(0, 1, 1, 2, 16, 17, 5)); // LDP d0, d1, [x2], #16; LDP s16, s17, [x5], #8
      const ops = [F.fpDp2(1, 1, 3, 0, 1), F.fpDp1(1, 3, 4, 0), F.fpDp2(0, 1, 18, 16, 17), F.fpDp1(0, 3, 19, 16)]; // FDIV d3, FSQRT d4, FDIV s18, FSQRT s19
      ops.forEach((w, k) => a.emit(w, E.mrs(9 + k, FPSR_REG), E.msr(FPSR_REG, 31)));
      a.emit(
        ldpV(1, 1, 0, 2, 3, 4, 4), ldpV(0, 1, 0, 2, 18, 19, 4), E.ldstUimm(3, 0, 9, 4, 0), E.ldstUimm(3, 0, 10, 4, 1),
        E.ldstUimm(3, 0, 11, 4, 2), E.ldstUimm(3, 0, 12, 4, 3), E.addImm(4, 4, 32), E.addImm(4, 4, 8), E.subsImm(6, 6, 1),
      );
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'off', E.b(0));
      a.org(DDATA);
      for (const t of dPairs) for (const v of t) a.emit(Number(v & 0xffff_ffffn), Number(v >> 32n));
      a.org(SDATA);
      for (const t of sPairs) a.emit(...t);
    });
    const r = run(elf, true).f;
    expect(r.x[23]).toBe(0n);
    expect(r.x[6]).toBe(0n);
    expect(same(elf)).toBeGreaterThan(0.5);
  });
});

describe('Advanced SIMD bitwise ops in compiled blocks: interpreter vs compiled tier', () => {
  it('MOVI/ORR/BIC (immediate) and AND/BIC/ORR/ORN/EOR on 64- and 128-bit vectors whose upper halves are not zero', () => {
    const rng = new Rng(0x7f30);
    const M = 200, DATA = BASE + 0x8000, OUT = BASE + 0x10_0000;
    const movi = (Q: number, op: number, cmode: number, imm8: number, rd: number) =>
      (0x0f000400 | (Q << 30) | (op << 29) | ((imm8 >> 5) << 16) | (cmode << 12) | ((imm8 & 31) << 5) | rd) >>> 0;
    const logic = (base: number, Q: number, rd: number, rn: number, rm: number) => (base | (Q << 30) | (rm << 16) | (rn << 5) | rd) >>> 0;
    const AND = 0x0e201c00, BIC = 0x0e601c00, ORR = 0x0ea01c00, ORN = 0x0ee01c00, EOR = 0x2e201c00;
    const elf = program((a) => {
      a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0), E.ISB);
      mov64(a, 2, BigInt(DATA)); mov64(a, 4, BigInt(OUT)); mov64(a, 6, BigInt(M));
      a.label('loop');
      a.emit(ldpV(2, 1, 1, 2, 1, 2, 2), ldpV(2, 1, 1, 2, 3, 4, 2), ldpV(2, 1, 1, 2, 5, 6, 2)); // LDP q1..q6, [x2], #32
      a.emit(
        movi(0, 0, 0b1110, 0xa5, 1), movi(1, 0, 0b1110, 0x3c, 2), // MOVI v1.8b / v2.16b
        movi(0, 0, 0b0001, 0x81, 3), movi(1, 0, 0b0011, 0x7e, 4), // ORR v3.2s / v4.4s, #imm (, LSL #8)
        movi(0, 1, 0b0001, 0x0f, 5), movi(1, 1, 0b0101, 0xf0, 6), // BIC v5.2s / v6.4s, #imm
        logic(AND, 0, 7, 3, 4), logic(BIC, 1, 8, 4, 5), logic(ORR, 0, 9, 5, 6), logic(ORN, 1, 10, 6, 3), logic(EOR, 0, 11, 4, 6),
        logic(EOR, 1, 12, 5, 5), logic(ORR, 1, 13, 6, 6), // EOR v12 = 0; MOV v13.16b, v6.16b
      );
      for (let r = 1; r <= 13; r++) a.emit(ldrVPost(0, 2, r, 4, 16)); // STR q<r>, [x4], #16
      a.emit(E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'off', E.b(0));
      a.org(DATA);
      for (let i = 0; i < M * 24; i++) a.emit(rng.u32());
    });
    const r = run(elf, true).f;
    expect(r.x[23]).toBe(0n);
    expect(r.x[6]).toBe(0n);
    expect(same(elf)).toBeGreaterThan(0.5);
  });
});
