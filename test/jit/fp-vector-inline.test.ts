// Tier-differential tests of the Advanced SIMD single-precision lane arithmetic compiled inline
// (machine/jit/translate-fp.ts fpvLanesS: FMUL/FMLA/FMLS by element, FADD/FSUB/FMUL/FMLA/FMLS
// vector): the interpreter alone and the compiled tier (hot threshold 2, a compile per queued block)
// must end with the same V registers, FPSR (IXC only when some lane is inexact; nothing written when
// a lane leaves the fast path), X registers and memory. Operands: random programs of the FP vector
// classes (test/gen/fpsimd: special values, random FPCR), and a hand-written loop over lanes built
// on single-precision midpoints, cancellations, products near 2^-126 and the overflow threshold,
// under eight FPCR settings. The profile shows the lanes did run inline.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';
import { SR } from '../../machine/core-constants';
import { generateFpSimdImage } from '../gen/fpsimd/random-fpsimd';
import { FP_VECTOR_CLASSES } from '../gen/fpsimd/fp-encodings';
import type { Asm } from '../gen/asm';
import * as E from '../gen/a64enc';
import * as F from '../gen/fpsimd/fpenc';
import { BASE, el1Program } from './el1-program';
import { Rng } from '../gen/prng';

function fnv(a: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i + 8 <= a.length; i += 8) h = BigInt.asUintN(64, (h ^ dv.getBigUint64(i, true)) * 0x100000001b3n);
  return h.toString(16);
}

function run(elf: Uint8Array, jit: boolean) {
  const m = new Machine({ jit: jit ? { hot: 2, batch: 1 } : false });
  m.load(elf, 'test.elf');
  m.core.jit?.setTiming(true); // the per-op profile
  const r = m.run(200_000_000n);
  const c = m.core;
  return {
    f: {
      reason: r.reason, uart: m.uartText(), insns: c.insns, pc: c.pc, nzcv: c.nzcv, fpsr: c.sysreg(SR.FPSR), fpcr: c.sysreg(SR.FPCR),
      x: Array.from({ length: 32 }, (_, i) => c.getX(i)), v: Array.from({ length: 32 }, (_, i) => c.getV(i)), ram: fnv(c.ram.subarray(0, 8 << 20)),
    },
    stats: c.jitStats(),
  };
}

function same(elf: Uint8Array) {
  const a = run(elf, false);
  const b = run(elf, true);
  expect(b.f).toEqual(a.f);
  return b;
}

/** Executor calls out of compiled code for the FP vector lane ops. */
const executorCalls = (s: ReturnType<typeof run>['stats']): number =>
  (s?.profile ?? []).filter((p) => p.kind === 'fpop' && /OP_FPV_(ELEM|BIN)/.test(p.op)).reduce((n, p) => n + p.count, 0);

/** LDR Qt, [Xn, #16 * imm12]; STR Qt, [Xn], #16. */
const ldrQ = (rt: number, rn: number, imm12: number) => ((0b111 << 27) | (1 << 26) | (1 << 24) | (3 << 22) | (imm12 << 10) | (rn << 5) | rt) >>> 0;
const strQPost = (rt: number, rn: number) => ((0b111 << 27) | (1 << 26) | (2 << 22) | (16 << 12) | (1 << 10) | (rn << 5) | rt) >>> 0;
const FPSR = E.sysreg(3, 3, 4, 4, 1), FPCR = E.sysreg(3, 3, 4, 4, 0);
/** x7 += FPSR; FPSR = 0: the flags each lane instruction raised. */
const sample = (a: Asm) => a.emit(E.mrs(9, FPSR), E.addsubShift(1, 0, 0, 7, 7, 9, 0, 0), E.msr(FPSR, 31));
const DATA = BASE + 0x8000, FPCRS = BASE + 0x4000, OUT = BASE + 0x10_0000;

/**
 * The hand-built lane loop: under each FPCR of `fpcrs`, over M groups of three Q registers of
 * `words` at DATA (Vn lanes, Vm lanes, Vd lanes, loaded into v0, v1, v2), `body` emits the lane
 * instructions under test (each followed by sample()), whose results v3, v4, v5, v6, v8, v9, v12..v15
 * are stored to OUT. Both tiers must agree, nothing may trap, some flags must be raised, and most
 * lanes must have run inline.
 */
function laneLoop(M: number, fpcrs: number[], words: number[], body: (a: Asm) => void): void {
  const elf = el1Program((a: Asm) => {
    a.emit(E.movz(0, 0x30, 1), E.msr(E.sysreg(3, 0, 1, 0, 2), 0), E.ISB); // CPACR_EL1.FPEN = 0b11
    a.emit(E.movz(10, FPCRS & 0xffff), E.movk(10, FPCRS >>> 16, 1), E.movz(11, fpcrs.length), E.movz(7, 0));
    a.emit(E.movz(4, OUT & 0xffff), E.movk(4, OUT >>> 16, 1));
    a.label('outer');
    a.emit(E.ldstUimm(3, 1, 0, 10, 0), E.addImm(10, 10, 8), E.msr(FPCR, 0), E.msr(FPSR, 31));
    a.emit(E.movz(2, DATA & 0xffff), E.movk(2, DATA >>> 16, 1), E.movz(6, M));
    a.label('loop');
    a.emit(ldrQ(0, 2, 0), ldrQ(1, 2, 1), ldrQ(2, 2, 2));
    body(a);
    for (const q of [3, 4, 5, 6, 8, 9, 12, 13, 14, 15]) a.emit(strQPost(q, 4));
    a.emit(E.addImm(2, 2, 48), E.subsImm(6, 6, 1));
    a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    a.emit(E.subsImm(11, 11, 1));
    a.ref('imm19', 'outer', E.bcond(E.Cond.NE, 0));
  }, {
    data: (a) => {
      a.org(FPCRS); for (const v of fpcrs) a.emit(v, 0);
      a.org(DATA); a.emit(...words);
    },
  });
  const r = same(elf);
  expect(r.f.x[23]).toBe(0n); // no exception
  expect(r.f.x[7]).not.toBe(0n); // IXC (and other flags) were raised
  expect(1 - executorCalls(r.stats) / (10 * M * fpcrs.length)).toBeGreaterThan(0.3); // most lanes in round-to-nearest took the inline path
}

describe('FP vector lane arithmetic inline: interpreter vs compiled tier', () => {
  for (let s = 0; s < 6; s++) {
    it(`random FP vector programs, seed ${0x7e00 + s}`, () => {
      const classes = FP_VECTOR_CLASSES.filter((c) => c.name === 'fpv-elem' || c.name === 'fpv-3same');
      const img = generateFpSimdImage(0x7e00 + s, 200, classes, { repeat: 20, el2: s === 5 });
      same(img.elf);
    });
  }

  it('FMLA/FMLS/FMUL by element and FADD/FSUB/FMUL/FMLA vector (4S, 2S, scalar) on midpoints, cancellations, tiny and huge lanes, 8 FPCR settings', () => {
    const rng = new Rng(0x7e40);
    const M = 400;
    const f32 = (x: number): number => { const dv = new DataView(new ArrayBuffer(4)); dv.setFloat32(0, x, true); return dv.getUint32(0, true); };
    const sig = (): number => 1 + Math.floor(rng.u32() / 512) / 2 ** 23; // a random single significand
    const sgn = (): number => (rng.bool(0.5) ? -1 : 1);
    const lane = (k: number): number[] => { // [n, m, d] for one lane
      const a = sgn() * sig() * 2 ** rng.range(-6, 6), b = sgn() * sig() * 2 ** rng.range(-6, 6);
      switch (k) {
        case 0: return [f32(a), f32(b), f32(-Math.fround(a) * Math.fround(b))]; // cancellation
        case 1: { // products on a single-precision midpoint (1 + 2^-11 + 2^-24 ...) plus an addend too small for f64 to keep
          const x = 1 + 2 ** -12 * rng.range(1, 3), y = 1 + 2 ** -12 * rng.range(1, 3);
          return [f32(x), f32(y), f32(sgn() * 2 ** -(rng.bool(0.5) ? rng.range(24, 40) : rng.range(54, 70)))];
        }
        case 2: return [f32(sig() * 2 ** -63), f32(sig() * 2 ** -63), f32(sgn() * 2 ** -126 * rng.range(1, 3))]; // near the underflow threshold
        case 3: return [f32(sig() * 2 ** 64), f32(sig() * 2 ** 63), f32(sig() * 2 ** 127)]; // overflow
        case 4: return [f32(a), 0, f32(b)]; // a zero
        default: return [f32(a), f32(b), f32(sgn() * sig() * 2 ** rng.range(-8, 8))];
      }
    };
    const words: number[] = [];
    for (let i = 0; i < M; i++) {
      const ls = [0, 1, 2, 3].map(() => lane(rng.int(8)));
      for (const j of [0, 1, 2]) for (const l of ls) words.push(l[j]); // Vn lanes, Vm lanes, Vd lanes
    }
    const fpcrs = [0, 0, 1 << 24, 1 << 25, 3 << 24, 1 << 22, 2 << 22, 3 << 22];
    laneLoop(M, fpcrs, words, (a: Asm) => {
      a.emit(ldrQ(3, 2, 2), F.vElem(1, 0, 2, 1, 1, 3, 0, 1)); sample(a); // FMLA v3.4S, v0.4S, v1.S[1]
      a.emit(ldrQ(4, 2, 2), F.vElem(0, 0, 2, 5, 3, 4, 0, 1)); sample(a); // FMLS v4.2S, v0.2S, v1.S[3]
      a.emit(F.vElem(1, 0, 2, 9, 2, 5, 0, 1)); sample(a); // FMUL v5.4S, v0.4S, v1.S[2]
      a.emit(ldrQ(6, 2, 2), F.vElem(0, 0, 2, 1, 0, 6, 0, 1, 1)); sample(a); // FMLA s6, s0, v1.S[0]
      a.emit(ldrQ(8, 2, 2), F.v3same(1, 0, 0, 0, 0x19, 8, 0, 1)); sample(a); // FMLA v8.4S, v0.4S, v1.4S
      a.emit(ldrQ(9, 2, 2), F.v3same(0, 0, 1, 0, 0x19, 9, 0, 1)); sample(a); // FMLS v9.2S, v0.2S, v1.2S
      a.emit(F.v3same(1, 0, 0, 0, 0x1a, 12, 0, 2)); sample(a); // FADD v12.4S, v0.4S, v2.4S
      a.emit(F.v3same(0, 0, 1, 0, 0x1a, 13, 0, 1)); sample(a); // FSUB v13.2S, v0.2S, v1.2S
      a.emit(F.v3same(1, 1, 0, 0, 0x1b, 14, 0, 1)); sample(a); // FMUL v14.4S, v0.4S, v1.4S
      a.emit(ldrQ(15, 2, 0), F.vElem(1, 0, 2, 1, 2, 15, 15, 15)); sample(a); // FMLA v15.4S, v15.4S, v15.S[2] (every operand aliased)
    });
  });

  it('the same in double precision (2D vector and by element, scalar by element): Dekker products, round-to-odd sums, the +-450 exponent limit', () => {
    const rng = new Rng(0x7e50);
    const M = 300;
    const f64 = (x: number): bigint => { const dv = new DataView(new ArrayBuffer(8)); dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); };
    const sig = (): number => 1 + rng.u32() / 2 ** 32 + rng.u32() / 2 ** 64;
    const sgn = (): number => (rng.bool(0.5) ? -1 : 1);
    const lane = (k: number): bigint[] => {
      let a = sgn() * sig() * 2 ** rng.range(-4, 4), b = sgn() * sig() * 2 ** rng.range(-4, 4);
      switch (k) {
        case 0: return [f64(a), f64(b), f64(-(a * b))]; // cancellation: the product's rounding error
        case 1: { a = 1 + 2 ** -27 * rng.range(1, 7); b = 1 + 2 ** -27 * rng.range(1, 7); return [f64(a), f64(b), f64(sgn() * 2 ** -rng.range(52, 80))]; } // midpoints
        case 2: return [f64(a * 2 ** (sgn() * rng.range(440, 460))), f64(b), f64(sgn() * sig() * 2 ** (sgn() * rng.range(440, 460)))]; // the +-450 limit
        case 3: return [f64(sig() * 2 ** -520), f64(sig() * 2 ** -510), f64(sig() * 2 ** -1000)]; // tiny products
        case 4: return [f64(a), 0n, f64(b)]; // a zero
        default: return [f64(a), f64(b), f64(sgn() * sig() * 2 ** rng.range(-8, 8))];
      }
    };
    const words: number[] = [];
    for (let i = 0; i < M; i++) {
      const ls = [0, 1].map(() => lane(rng.int(7)));
      for (const j of [0, 1, 2]) for (const l of ls) words.push(Number(l[j] & 0xffff_ffffn), Number(l[j] >> 32n));
    }
    const fpcrs = [0, 0, 1 << 24, 1 << 25, 1 << 22, 3 << 22];
    laneLoop(M, fpcrs, words, (a: Asm) => {
      a.emit(ldrQ(3, 2, 2), F.vElem(1, 0, 3, 1, 1, 3, 0, 1)); sample(a); // FMLA v3.2D, v0.2D, v1.D[1]
      a.emit(ldrQ(4, 2, 2), F.vElem(1, 0, 3, 5, 0, 4, 0, 1)); sample(a); // FMLS v4.2D, v0.2D, v1.D[0]
      a.emit(F.vElem(1, 0, 3, 9, 1, 5, 0, 1)); sample(a); // FMUL v5.2D, v0.2D, v1.D[1]
      a.emit(ldrQ(6, 2, 2), F.vElem(0, 0, 3, 1, 0, 6, 0, 1, 1)); sample(a); // FMLA d6, d0, v1.D[0]
      a.emit(ldrQ(8, 2, 2), F.v3same(1, 0, 0, 1, 0x19, 8, 0, 1)); sample(a); // FMLA v8.2D, v0.2D, v1.2D
      a.emit(ldrQ(9, 2, 2), F.v3same(1, 0, 1, 1, 0x19, 9, 0, 1)); sample(a); // FMLS v9.2D
      a.emit(F.v3same(1, 0, 0, 1, 0x1a, 12, 0, 2)); sample(a); // FADD v12.2D, v0.2D, v2.2D
      a.emit(F.v3same(1, 0, 1, 1, 0x1a, 13, 0, 1)); sample(a); // FSUB v13.2D
      a.emit(F.v3same(1, 1, 0, 1, 0x1b, 14, 0, 1)); sample(a); // FMUL v14.2D
      a.emit(ldrQ(15, 2, 0), F.vElem(1, 0, 3, 1, 1, 15, 15, 15)); sample(a); // FMLA v15.2D, v15.2D, v15.D[1]
    });
  });
});
