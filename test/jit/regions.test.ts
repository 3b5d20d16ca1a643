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

  it("gcc -O3's binary search (the upper-half arm out of line, B.CS reached from two compares): same state and count of hits", () => {
    const N = 4096, SEARCHES = 3000;
    const arr: number[] = [];
    let v = 7;
    for (let i = 0; i < N; i++) { v += 1 + ((i * 2654435761) >>> 28); arr.push(v >>> 0); }
    const elf = el1Program((a: Asm) => {
      a.ref('adr', 'arr', E.adr(9, 0));
      a.emit(E.movz(16, 0), E.movz(17, 0), E.movz(30, 0), E.movz(1, 0x4321), E.movk(1, 0x8765, 1));
      a.label('outer');
      a.emit(E.logShift(0, 2, 0, 1, 1, 1, 0, 13), E.logShift(0, 2, 0, 1, 1, 1, 1, 17), E.logShift(0, 2, 0, 1, 1, 1, 0, 5)); // xorshift32 w1
      a.emit(E.movReg(14, 1, 0)); // key = w1 ...
      a.ref('imm14', 'search', E.tbz(16, 0, 0)); // ... or, on odd rounds, an element of the array
      a.emit(E.bitfield(1, 2, 2, 1, 0, 11), E.ldstReg(2, 1, 14, 9, 2, 3, 1)); // UBFX x2, x1, #0, #12; LDR w14, [x9, x2, LSL #2]
      a.label('search');
      a.emit(E.movz(5, N - 1, 0, 0), E.movz(2, 0, 0, 0));
      a.label('head');
      a.emit(E.addsubShift(0, 0, 0, 12, 2, 5, 0, 0), E.bitfield(0, 0, 12, 12, 1, 31), E.bitfield(1, 0, 6, 12, 0, 31)); // w12 = (w2 + w5) >> 1; x6 = SXTW
      a.emit(E.ldstReg(2, 1, 27, 9, 6, 3, 1), E.addsubShift(0, 1, 1, 31, 27, 14, 0, 0)); // LDR w27, [x9, x6, LSL #2]; CMP w27, w14
      a.ref('imm19', 'found', E.bcond(E.Cond.EQ, 0));
      a.label('cs');
      a.ref('imm19', 'upper', E.bcond(E.Cond.CS, 0));
      a.emit(E.addImm(2, 12, 1, 0, 0), E.addsubShift(0, 1, 1, 31, 5, 2, 0, 0)); // w2 = w12 + 1; CMP w5, w2
      a.ref('imm19', 'head', E.bcond(E.Cond.GE, 0));
      a.label('next');
      a.emit(E.addImm(16, 16, 1, 0, 0), E.cmpImm(16, SEARCHES, 0));
      a.ref('imm19', 'outer', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'done', E.b(0));
      a.label('upper'); // out of line, as gcc -O3 puts it
      a.emit(E.subImm(5, 12, 1, 0, 0), E.addsubShift(0, 1, 1, 31, 2, 5, 0, 0)); // w5 = w12 - 1; CMP w2, w5
      a.ref('imm19', 'next', E.bcond(E.Cond.GT, 0));
      a.emit(E.addsubShift(0, 0, 0, 12, 2, 5, 0, 0), E.bitfield(0, 0, 12, 12, 1, 31), E.bitfield(1, 0, 6, 12, 0, 31));
      a.emit(E.ldstReg(2, 1, 27, 9, 6, 3, 1), E.addsubShift(0, 1, 1, 31, 27, 14, 0, 0));
      a.ref('imm19', 'cs', E.bcond(E.Cond.NE, 0)); // back to the B.CS with the flags of this compare
      a.label('found');
      a.emit(E.addImm(16, 16, 1, 0, 0), E.addImm(17, 17, 1), E.addsubShift(1, 0, 0, 30, 30, 6, 0, 0), E.cmpImm(16, SEARCHES, 0));
      a.ref('imm19', 'outer', E.bcond(E.Cond.NE, 0));
      a.label('done');
    }, { data: (a) => { a.align(8); a.label('arr'); a.emit(...arr); } });
    const r = same(elf);
    // the model: the same xorshift32 keys and the same halving
    let w1 = 0x8765_4321, hits = 0, sumIdx = 0n;
    for (let w16 = 0; w16 < SEARCHES; w16++) {
      w1 = (w1 ^ (w1 << 13)) >>> 0; w1 = (w1 ^ (w1 >>> 17)) >>> 0; w1 = (w1 ^ (w1 << 5)) >>> 0;
      const key = w16 & 1 ? arr[w1 & 0xfff] : w1;
      let lo = 0, hi = N - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (arr[mid] === key) { hits++; sumIdx += BigInt(mid); break; }
        if (arr[mid] > key) hi = mid - 1; else lo = mid + 1;
      }
    }
    expect(r.f.x[23]).toBe(0n);
    expect(r.f.x[17]).toBe(BigInt(hits));
    expect(r.f.x[30]).toBe(sumIdx);
    expect(r.stats.regionRanges).toBeGreaterThan(0);
  });

  for (const mixed of [true, false]) it(`one flag-reading target reached from three places after ${mixed ? 'ADDS, SUBS and CCMP (different flag states: NZCV built)' : 'three SUBS (one lazy state: no NZCV built)'}: same state`, () => {
    const elf = el1Program((a: Asm) => {
      a.emit(E.movz(4, 3000), E.movz(8, 0), E.movz(9, 0), E.movz(7, 0x9000, 1), E.movz(10, 0x1234));
      a.emit(E.movz(5, 0x1234), E.movk(5, 0x9e37, 1), E.movk(5, 0x79b9, 2), E.movk(5, 0x7f4a, 3));
      a.label('loop');
      a.emit(E.logShift(1, 2, 0, 5, 5, 5, 0, 13), E.logShift(1, 2, 0, 5, 5, 5, 1, 7), E.logShift(1, 2, 0, 5, 5, 5, 0, 17));
      a.ref('imm14', 'armA', E.tbz(5, 2, 0, 1));
      a.ref('imm14', 'armB', E.tbz(5, 9, 0, 1));
      a.emit(E.addsubShift(0, 1, 1, 6, 5, 7, 0, 0)); // SUBS w6, w5, w7
      a.label('t');
      a.ref('imm19', 'carry', E.bcond(E.Cond.CS, 0)); // reads C: SUBS', ADDS' or CCMP's
      a.ref('imm19', 'j', E.bcond(E.Cond.VS, 0)); // and V
      a.emit(E.addImm(8, 8, 1));
      a.label('j');
      a.emit(E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'done', E.b(0));
      a.label('carry');
      a.emit(E.addImm(9, 9, 1));
      a.ref('imm26', 'j', E.b(0));
      a.label('armA');
      a.emit(E.addsubShift(0, mixed ? 0 : 1, 1, 6, mixed ? 5 : 7, mixed ? 7 : 5, 0, 0)); // ADDS w6, w5, w7 | SUBS w6, w7, w5
      a.ref('imm26', 't', E.b(0));
      a.label('armB');
      if (mixed) a.emit(E.addsubShift(1, 1, 1, 31, 5, 7, 0, 0), E.ccmpReg(0, 1, 5, 10, 2, E.Cond.NE)); // CMP x5, x7; CCMP w5, w10, #2, NE
      else a.emit(E.movz(11, 1), E.addsubShift(0, 1, 1, 31, 5, 10, 0, 0)); // CMP w5, w10
      a.ref('imm26', 't', E.b(0));
      a.label('done');
    });
    const r = same(elf);
    expect(r.f.x[23]).toBe(0n);
    expect(r.f.x[8] + r.f.x[9]).toBeGreaterThan(0n);
    expect(r.stats.regionRanges).toBeGreaterThan(0);
    same(elf, { smp: 2, quantum: 89 });
  });
});
