// Regions (machine/jit/region.ts): a hot block grows into one compiled function with the code of the
// same page its branches go to — an out-of-line arm that ends with a B back into the block, code
// before the block that runs into it. Tier-differential like tier-diff.test.ts: the interpreter
// alone and the compiled tier (hot threshold 2, a compile per queued block; regions on and off) must
// end in the same architectural state — X registers, PC, NZCV, the instruction count, the console
// and guest memory — including a load that faults in the out-of-line arm, an instruction of the arm
// rewritten by the loop (the page's compiled code dropped: core-as/jit/jit-map.ts JIT_XCOVER), and
// runs cut at every budget boundary (small quanta on two CPUs, instruction limits).
import { describe, expect, it } from 'vitest';
import { Machine, type MachineOptions } from '../../machine/machine';
import { Asm } from '../gen/asm';
import * as E from '../gen/a64enc';
import { el1Program } from './el1-program';

interface Final { reason: string; uart: string; insns: bigint; pc: bigint; nzcv: number; x: bigint[]; ram: string }

function fnv(a: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i + 8 <= a.length; i += 8) h = BigInt.asUintN(64, (h ^ dv.getBigUint64(i, true)) * 0x100000001b3n);
  return h.toString(16);
}

function run(elf: Uint8Array, jit: false | { regions: boolean }, opts: MachineOptions = {}, limit = 50_000_000n) {
  const m = new Machine({ ...opts, jit: jit ? { hot: 2, batch: 1, regions: jit.regions } : false });
  m.load(elf, 'test.elf');
  const r = m.run(limit);
  const c = m.core;
  const f: Final = {
    reason: r.reason, uart: m.uartText(), insns: c.insns, pc: c.pc, nzcv: c.nzcv,
    x: Array.from({ length: 32 }, (_, i) => c.getX(i)), ram: fnv(c.ram.subarray(0, 8 << 20)),
  };
  return { f, stats: c.jitStats() };
}

/** Interpreter, compiled blocks alone, compiled regions: the same final state; the regions run. */
function same(elf: Uint8Array, opts: MachineOptions = {}, limit?: bigint) {
  const a = run(elf, false, opts, limit);
  const b = run(elf, { regions: false }, opts, limit);
  const c = run(elf, { regions: true }, opts, limit);
  expect(b.f).toEqual(a.f);
  expect(c.f).toEqual(a.f);
  return { f: c.f, stats: c.stats!, blocks: b.stats! };
}

const RAM_END = 0x4800_0000;

/**
 * The loop gcc -O3 makes of an if without else: the rare arm out of line after the loop's back
 * branch (TBNZ x5, #3 to it; it ends with B back into the loop), and a second loop head `pre`
 * before the block (TBNZ x5, #7 to it) that runs into the block's first instruction. x5: a
 * 64-bit xorshift. `fault`: the arm loads through x2 from near the end of RAM (post-index), so
 * some pass faults in the middle of the arm. `smc`: every 16 passes the loop rewrites the arm's
 * MOVZ x13, #imm (STR + ISB) with imm = x4 >> 4.
 */
function program(iters: number, o: { fault?: number; smc?: boolean } = {}): Uint8Array {
  return el1Program((a: Asm) => {
    a.emit(E.movz(4, iters), E.movz(8, 0), E.movz(9, 0), E.movz(10, 0), E.movz(11, 0), E.movz(13, 0));
    a.emit(E.movz(5, 0x1234), E.movk(5, 0x9e37, 1), E.movk(5, 0x79b9, 2), E.movk(5, 0x7f4a, 3));
    if (o.fault) a.emit(E.movz(2, (RAM_END - 8 * o.fault) & 0xffff), E.movk(2, (RAM_END - 8 * o.fault) >>> 16, 1));
    if (o.smc) {
      a.emit(E.movz(14, 0x000d), E.movk(14, 0xd280, 1)); // MOVZ x13, #0 = 0xd280000d
      a.ref('adr', 'patch', E.adr(7, 0));
    }
    a.ref('imm26', 'loop', E.b(0));
    a.label('pre');
    a.emit(E.addImm(10, 10, 1), E.logShift(1, 2, 0, 11, 11, 5, 0, 0)); // x10++; x11 ^= x5
    a.label('loop');
    a.emit(E.logShift(1, 2, 0, 5, 5, 5, 0, 13), E.logShift(1, 2, 0, 5, 5, 5, 1, 7), E.logShift(1, 2, 0, 5, 5, 5, 0, 17));
    a.ref('imm14', 'arm', E.tbz(5, 3, 0, 1)); // TBNZ x5, #3, arm
    a.emit(E.addsubShift(1, 0, 0, 8, 8, 5, 0, 0)); // x8 += x5
    if (o.smc) {
      a.emit(E.logImm(1, 3, 31, 4, 1, 0, 3)); // TST x4, #15
      a.ref('imm19', 'back', E.bcond(E.Cond.NE, 0));
      a.emit(E.bitfield(1, 2, 12, 4, 4, 63)); // LSR x12, x4, #4
      a.emit(E.logShift(1, 1, 0, 6, 14, 12, 0, 5)); // x6 = MOVZ x13, #(x4 >> 4)
      a.emit(E.ldstUimm(2, 0, 6, 7, 0), E.ISB); // STR w6, [x7]; ISB
    }
    a.label('back');
    a.emit(E.subsImm(4, 4, 1));
    a.ref('imm19', 'done', E.bcond(E.Cond.EQ, 0));
    a.ref('imm14', 'pre', E.tbz(5, 7, 0, 1)); // TBNZ x5, #7, pre
    a.ref('imm26', 'loop', E.b(0));
    a.label('arm');
    if (o.fault) a.emit(E.ldstImm9(3, 1, 12, 2, 8, 1), E.addsubShift(1, 0, 0, 9, 9, 12, 0, 0)); // LDR x12, [x2], #8; x9 += x12
    a.label('patch');
    a.emit(E.movz(13, 0x55)); // rewritten when smc
    a.emit(E.addsubShift(1, 0, 0, 9, 9, 13, 0, 0), E.addImm(9, 9, 7), E.logShift(1, 2, 0, 8, 8, 5, 0, 0)); // x9 += x13 + 7; x8 ^= x5
    a.ref('imm26', 'back', E.b(0));
    a.label('done');
  });
}

/** The program's results by the Arm ARM's arithmetic (no fault, no rewriting). */
function model(iters: number): { x8: bigint; x9: bigint; x10: bigint; x11: bigint } {
  const M = (1n << 64n) - 1n;
  let x5 = 0x7f4a_79b9_9e37_1234n, x8 = 0n, x9 = 0n, x10 = 0n, x11 = 0n;
  for (let x4 = iters; ;) {
    x5 ^= (x5 << 13n) & M; x5 ^= x5 >> 7n; x5 ^= (x5 << 17n) & M;
    if ((x5 >> 3n) & 1n) { x9 = (x9 + 0x55n + 7n) & M; x8 ^= x5; } else x8 = (x8 + x5) & M;
    x4--;
    if (x4 === 0) break;
    if ((x5 >> 7n) & 1n) { x10++; x11 ^= x5; }
  }
  return { x8, x9, x10, x11 };
}

describe('regions: out-of-line code joined to its block (interpreter vs compiled tier)', () => {
  it('an out-of-line arm and a second loop head before the block: same state, and the region holds them', () => {
    const r = same(program(3000));
    const m = model(3000);
    expect([r.f.x[8], r.f.x[9], r.f.x[10], r.f.x[11]]).toEqual([m.x8, m.x9, m.x10, m.x11]);
    expect(r.f.x[23]).toBe(0n); // no exception
    expect(r.stats.regionRanges).toBeGreaterThan(0);
    expect(r.blocks.regionRanges).toBe(0);
    expect(Number(r.stats.insnsCompiled) / Number(r.f.insns)).toBeGreaterThan(0.9);
  });

  it('a load in the out-of-line arm faults at the end of RAM: the abort is taken at the same instruction', () => {
    const r = same(program(3000, { fault: 300 }));
    expect(r.f.x[20] >> 26n).toBe(0x25n); // data abort taken without a change in EL
    expect(r.f.x[22]).toBe(BigInt(RAM_END)); // FAR: the first address past RAM
    expect(r.stats.regionRanges).toBeGreaterThan(0);
  });

  it('the loop rewrites an instruction of the out-of-line arm every 16 passes: the new code runs', () => {
    const r = same(program(2000, { smc: true }));
    expect(r.f.x[23]).toBe(0n);
    expect(r.stats.invalidations).toBeGreaterThan(0n);
    expect(r.stats.regionRanges).toBeGreaterThan(1); // compiled again after each rewrite
  });

  it('runs cut at every budget boundary: two CPUs with small quanta, and instruction limits', () => {
    const elf = program(1500);
    same(elf, { smp: 2, quantum: 97 });
    same(elf, { smp: 2, quantum: 13 });
    for (let limit = 5000n; limit < 6000n; limit += 97n) same(elf, {}, limit);
  });
});
