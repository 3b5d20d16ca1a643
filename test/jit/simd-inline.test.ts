// Tier-differential tests of the Advanced SIMD code compiled inline (machine/jit/translate-simd.ts,
// translate-simd-ldst.ts) and of chaining across a page boundary (core-as/jit/jit-chain.ts): the
// same program run by the interpreter alone and with the compiled tier (hot threshold 2, a compile
// per queued block) must end in the same architectural state — X and V registers, FPSR (QC), NZCV,
// PC, the instruction count, the console and guest memory. The interpreter's SIMD executors are
// checked against QEMU (test/diff); here they are the reference. The profile of `--stats`
// (jitStats().profile) shows the forms under test did run inline (no executor call for them).
import { describe, expect, it } from 'vitest';
import { Machine, type MachineOptions } from '../../machine/machine';
import { SR } from '../../machine/core-constants';
import { generateFpSimdImage } from '../gen/fpsimd/random-fpsimd';
import { generateRandomImage } from '../gen/random-a64';
import { SIMD_ENCODINGS } from '../gen/fpsimd/simd-encodings';
import { Asm } from '../gen/asm';
import * as E from '../gen/a64enc';
import { BASE, el1Program } from './el1-program';
import { Rng } from '../gen/prng';
import type { JitProfileRow } from '../../machine/jit/jit';

const HOT = { hot: 2, batch: 1 };

function fnv(a: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i + 8 <= a.length; i += 8) h = BigInt.asUintN(64, (h ^ dv.getBigUint64(i, true)) * 0x100000001b3n);
  return h.toString(16);
}

interface Run {
  f: { reason: string; uart: string; insns: bigint; pc: bigint; nzcv: number; x: bigint[]; v: bigint[]; fpsr: bigint; ram: string; tail: string };
  compiled: bigint; entered: bigint; profile: JitProfileRow[];
}

function run(elf: Uint8Array, jit: boolean, opts: MachineOptions = {}): Run {
  const m = new Machine({ ...opts, jit: jit ? HOT : false });
  m.load(elf, 'test.elf');
  m.core.jit?.setTiming(true); // the per-op profile
  const r = m.run(200_000_000n);
  const c = m.core;
  const s = c.jitStats();
  return {
    f: {
      reason: r.reason, uart: m.uartText(), insns: c.insns, pc: c.pc, nzcv: c.nzcv,
      x: Array.from({ length: 32 }, (_, i) => c.getX(i)), v: Array.from({ length: 32 }, (_, i) => c.getV(i)),
      fpsr: c.sysreg(SR.FPSR), ram: fnv(c.ram.subarray(0, 8 << 20)), tail: fnv(c.ram.subarray((128 << 20) - (64 << 10), 128 << 20)),
    },
    compiled: s?.insnsCompiled ?? 0n, entered: s?.blocksEntered ?? 0n, profile: s?.profile ?? [],
  };
}

/** Both tiers; returns the compiled run (its state equal to the interpreter's). */
function same(elf: Uint8Array, opts: MachineOptions = {}): Run {
  const a = run(elf, false, opts);
  const b = run(elf, true, opts);
  expect(b.f).toEqual(a.f);
  return b;
}

/** Executor / interpreter calls out of compiled code for ops whose name matches. */
const leftFor = (r: Run, re: RegExp): number => r.profile.filter((p) => re.test(p.op)).reduce((s, p) => s + p.count, 0);

describe('random Advanced SIMD programs by class: interpreter vs compiled tier', () => {
  const classes = ['simd-3same', 'simd-3diff', 'simd-2misc', 'simd-across', 'simd-addp-scalar', 'simd-copy', 'simd-perm', 'simd-ext', 'simd-tbl', 'simd-shift'];
  for (const [k, name] of classes.entries()) {
    for (let s = 0; s < 3; s++) {
      it(`${name} seed ${0x7400 + 16 * k + s}`, () => {
        const cls = SIMD_ENCODINGS.filter((c) => c.name === name);
        const img = generateFpSimdImage(0x7400 + 16 * k + s, 160, cls, { repeat: 12 });
        const r = same(img.elf);
        expect(Number(r.compiled) / Number(r.f.insns)).toBeGreaterThan(0.3);
      });
    }
  }
  it('all integer classes mixed, seed 0x74f0', () => {
    const cls = SIMD_ENCODINGS.filter((c) => classes.includes(c.name));
    same(generateFpSimdImage(0x74f0, 400, cls, { repeat: 12 }).elf);
  });
});

// --- hand-written programs (EL1, MMU off: RAM at 0x4000_0000 is Device memory, so a misaligned element faults; el1-program.ts) ---
const CPACR_EL1 = E.sysreg(3, 0, 1, 0, 2), FPSR_REG = E.sysreg(3, 3, 4, 4, 1);

function program(body: (a: Asm) => void, data: (a: Asm) => void = () => {}): Uint8Array {
  return el1Program(body, {
    prologue: (a) => {
      a.emit(E.movz(0, 0x30, 1), E.msr(CPACR_EL1, 0), E.ISB); // CPACR_EL1.FPEN = 0b11
      a.emit(E.movz(23, 0xffff));
    },
    data,
  });
}

const mov64 = (a: Asm, rd: number, v: bigint) => {
  a.emit(E.movz(rd, Number(v & 0xffffn)));
  for (let i = 1; i < 4; i++) a.emit(E.movk(rd, Number((v >> BigInt(16 * i)) & 0xffffn), i));
};
const R = (rd: number, rn: number, rm = 0) => (rm << 16) | (rn << 5) | rd;
// Advanced SIMD encodings (Arm ARM C4.1.96)
const same3 = (q: number, u: number, size: number, opc: number, rd: number, rn: number, rm: number) =>
  (0x0e200400 | (q << 30) | (u << 29) | (size << 22) | (opc << 11) | R(rd, rn, rm)) >>> 0;
const misc2 = (q: number, u: number, size: number, opc: number, rd: number, rn: number) =>
  (0x0e200800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | R(rd, rn)) >>> 0;
const acrossV = (q: number, u: number, size: number, opc: number, rd: number, rn: number) =>
  (0x0e300800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | R(rd, rn)) >>> 0;
const diff3 = (q: number, u: number, size: number, opc: number, rd: number, rn: number, rm: number) =>
  (0x0e200000 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | R(rd, rn, rm)) >>> 0;
/** Shift by immediate: right shifts encode 2*esize - sh, left shifts esize + sh in immh:immb. */
const shiftR = (q: number, u: number, esz: number, opc: number, sh: number, rd: number, rn: number) =>
  (0x0f000400 | (q << 30) | (u << 29) | (((16 << esz) - sh) << 16) | (opc << 11) | R(rd, rn)) >>> 0;
const shiftL = (q: number, u: number, esz: number, opc: number, sh: number, rd: number, rn: number) =>
  (0x0f000400 | (q << 30) | (u << 29) | (((8 << esz) + sh) << 16) | (opc << 11) | R(rd, rn)) >>> 0;
const imm5 = (esz: number, idx: number) => ((idx << (esz + 1)) | (1 << esz)) << 16;
const strQPost = (rt: number, rn: number) => (0x3c800400 | (16 << 12) | R(rt, rn)) >>> 0; // STR q<rt>, [x<rn>], #16
const ldrQ = (rt: number, rn: number, imm12: number) => (0x3dc00000 | (imm12 << 10) | R(rt, rn)) >>> 0; // LDR q<rt>, [x<rn>, #16*imm12]

describe('Advanced SIMD integer ops at their limits: interpreter vs compiled tier', () => {
  it('every inline form, Q = 0 and 1, every element size, on vectors of extreme values; FPSR.QC from the saturating ops', () => {
    // 16 vectors of limit values (0, 1, -1, the signed/unsigned extremes of every element size) and random ones
    const rng = new Rng(0x7480);
    const lim8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x40];
    const vecs: bigint[] = [];
    const pattern = (el: number[], bits: number) => el.reduce((v, x, i) => v | (BigInt.asUintN(bits, BigInt(x)) << BigInt(i * bits)), 0n);
    vecs.push(pattern([...lim8, ...lim8.reverse()], 8));
    vecs.push(pattern([0, 1, 0x7fff, 0x8000, 0xffff, 0xfffe, 0x8001, 0x4000], 16));
    vecs.push(pattern([0x7fffffff, 0x80000000, 0xffffffff, 1], 32));
    vecs.push(pattern([0, -1], 64) | (0x7fff_ffff_ffff_ffffn << 0n));
    vecs.push((0x8000_0000_0000_0000n << 64n) | 1n);
    vecs.push((1n << 128n) - 1n);
    vecs.push(0n);
    vecs.push(pattern(Array.from({ length: 16 }, (_, i) => (i * 17) & 0xff), 8)); // a TBL index ramp 0..255 by 17
    while (vecs.length < 16) vecs.push((rng.u64() << 64n) | rng.u64());
    const DATA = BASE + 0x8000, OUT = BASE + 0x10_0000;
    const ops: number[] = [];
    for (const q of [0, 1]) {
      for (let size = 0; size < 4; size++) {
        // three same: ADD SUB CMEQ CMGT CMHI CMGE CMHS CMTST (all sizes), MAX/MIN/ABD/ABA/MUL/MLA/MLS (<= 32-bit), saturating and URHADD (8/16)
        const all = [[0, 0x10], [1, 0x10], [1, 0x11], [0, 0x06], [1, 0x06], [0, 0x07], [1, 0x07], [0, 0x11]];
        const narrow = [[0, 0x0c], [1, 0x0c], [0, 0x0d], [1, 0x0d], [0, 0x0e], [1, 0x0e], [0, 0x0f], [1, 0x0f], [0, 0x13], [0, 0x12], [1, 0x12]];
        const sat = [[0, 0x01], [1, 0x01], [0, 0x05], [1, 0x05], [1, 0x02]];
        for (const [u, opc] of [...all, ...(size < 3 ? narrow : []), ...(size < 2 ? sat : [])]) {
          if (size === 3 && !q) continue; // 64-bit lanes need Q = 1
          if (opc === 0x13 && size === 0 && u === 0) { /* MUL .8b/.16b: executor, still compared */ }
          ops.push(same3(q, u, size, opc, 16 + (ops.length % 8), ops.length % 8, 8 + (ops.length % 8)));
        }
        // two-register misc: ABS NEG CMGT/CMGE/CMEQ/CMLE/CMLT #0 (all sizes), NOT/CNT (bytes), XTN/XTN2 (narrow <= 32)
        for (const [u, opc] of [[0, 0x0b], [1, 0x0b], [0, 0x08], [1, 0x08], [0, 0x09], [1, 0x09], [0, 0x0a]]) {
          if (size === 3 && !q) continue;
          ops.push(misc2(q, u, size, opc, 24, ops.length % 16));
        }
        if (size === 0) ops.push(misc2(q, 1, 0, 0x05, 25, 3), misc2(q, 0, 0, 0x05, 26, 0));
        if (size < 3) ops.push(misc2(q, 0, size, 0x12, 27, ops.length % 16));
        // shifts: SSHR/USHR/SSRA/USRA by 1 and by esize, SHL by 0 and esize-1, SXTL/UXTL(2) and SSHLL by 1
        const bits = 8 << size;
        if (size < 3 || q) {
          for (const sh of [1, bits]) for (const [u, opc] of [[0, 0x00], [1, 0x00], [0, 0x02], [1, 0x02]]) ops.push(shiftR(q, u, size, opc, sh, 28, ops.length % 16));
          for (const sh of [0, bits - 1]) ops.push(shiftL(q, 0, size, 0x0a, sh, 29, ops.length % 16));
        }
        if (size < 3) for (const [u, sh] of [[0, 0], [1, 0], [0, 1], [1, bits - 1]]) ops.push(shiftL(q, u, size, 0x14, sh, 30, ops.length % 16));
        // three different (long, wide): S/UADDL, S/USUBL, S/UADDW, S/USUBW, S/UMULL, S/UMLAL, S/UMLSL (the "2" forms with Q = 1)
        if (size < 3) for (const u of [0, 1]) for (const opc of [0, 1, 2, 3, 0xc, 0x8, 0xa]) ops.push(diff3(q, u, size, opc, 31, ops.length % 16, (ops.length + 5) % 16));
        // across lanes: ADDV, S/UMAXV, S/UMINV (.4s needs Q)
        if (size < 2 || (size === 2 && q)) for (const [u, opc] of [[0, 0x1b], [0, 0x0a], [1, 0x0a], [0, 0x1a], [1, 0x1a]]) ops.push(acrossV(q, u, size, opc, 17, ops.length % 16));
        // permutes: UZP1 TRN1 ZIP1 UZP2 TRN2 ZIP2
        if (size < 3 || q) for (const opc of [1, 2, 3, 5, 6, 7]) ops.push((0x0e000800 | (q << 30) | (size << 22) | (opc << 12) | R(18, ops.length % 16, (ops.length + 3) % 16)) >>> 0);
        // DUP (element, general), UMOV/SMOV, INS (general, element)
        const maxIdx = (16 >> size) - 1;
        if (size < 3 || q) ops.push((0x0e000400 | (q << 30) | imm5(size, maxIdx) | R(19, 7)) >>> 0, (0x0e000c00 | (q << 30) | imm5(size, 0) | R(20 + (size & 1), 3)) >>> 0);
        if ((q && size === 3) || (!q && size < 3)) ops.push((0x0e003c00 | (q << 30) | imm5(size, maxIdx) | R(9, 5)) >>> 0); // UMOV
        if (size < 2) ops.push((0x4e002c00 | imm5(size, maxIdx) | R(10, 0)) >>> 0, (0x0e002c00 | imm5(size, 1) | R(11, 1)) >>> 0); // SMOV x / w
        ops.push((0x4e001c00 | imm5(size, maxIdx >> 1) | R(22, 9)) >>> 0, (0x6e000400 | imm5(size, 1) | ((maxIdx << size) << 11) | R(22, 2)) >>> 0);
      }
      // EXT at positions 0, 3 and 7 (15 with Q), BSL/BIT/BIF, CMEQ (register), TBL/TBX with 1 to 4 table registers, ADDP (scalar)
      for (const pos of [0, 3, q ? 15 : 7]) ops.push((0x2e000000 | (q << 30) | (pos << 11) | R(12, 1, 2)) >>> 0);
      ops.push((0x2e601c00 | (q << 30) | R(13, 1, 2)) >>> 0, (0x2ea01c00 | (q << 30) | R(13, 3, 4)) >>> 0, (0x2ee01c00 | (q << 30) | R(13, 5, 6)) >>> 0);
      for (let len = 0; len < 4; len++) for (const tbx of [0, 1]) ops.push((0x0e000000 | (q << 30) | (len << 13) | (tbx << 12) | R(14, 12 + len, 7)) >>> 0);
      ops.push((0x5ef1b800 | R(15, 4)) >>> 0);
    }
    const elf = program((a) => {
      mov64(a, 2, BigInt(OUT)); a.emit(E.movz(6, 40)); // 40 passes over the same data (compiled after two)
      mov64(a, 3, 0x8000_0000_0000_00ffn); mov64(a, 4, BigInt(DATA));
      a.label('loop');
      a.emit(E.msr(FPSR_REG, 31));
      for (let r = 0; r < 16; r++) a.emit(ldrQ(r, 4, r));
      for (let r = 16; r < 32; r++) a.emit(ldrQ(r, 4, r - 16));
      ops.forEach((w, i) => {
        a.emit(w);
        if (i % 24 === 23) { // results so far, QC, then the next chunk of ops
          for (let r = 9; r <= 11; r++) a.emit(E.ldstUimm(3, 0, r, 2, 0), E.addImm(2, 2, 8));
          a.emit(E.mrs(8, FPSR_REG), E.ldstUimm(3, 0, 8, 2, 0), E.addImm(2, 2, 8), E.msr(FPSR_REG, 31));
          for (let r = 12; r < 32; r++) a.emit(strQPost(r, 2));
        }
      });
      for (let r = 12; r < 32; r++) a.emit(strQPost(r, 2));
      a.emit(E.mrs(8, FPSR_REG), E.ldstUimm(3, 0, 8, 2, 0), E.addImm(2, 2, 16));
      mov64(a, 2, BigInt(OUT));
      a.emit(E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    }, (a) => {
      a.org(DATA);
      for (const v of vecs) for (let i = 0; i < 4; i++) a.emit(Number((v >> BigInt(32 * i)) & 0xffff_ffffn));
    });
    const r = same(elf);
    expect(r.f.x[23]).toBe(0xffffn); // no exception
    expect(Number(r.compiled) / Number(r.f.insns)).toBeGreaterThan(0.6);
    // Every translated form ran inline: the only executor calls left are the forms WebAssembly has no exact lane op
    // for (MUL/MLA/MLS on bytes, CMHI/CMHS on 64-bit lanes, URHADD on 32-bit lanes).
    const left = r.profile.filter((p) => p.kind === 'fpop').map((p) => p.op);
    expect(left.every((op) => /^OPS_3SAME ra=0x(12|13|32|26|27|22)$/.test(op))).toBe(true);
  });

  it('explicit Arm ARM results: saturation sets FPSR.QC, USHR #esize is 0, SSHR #esize the sign, Q = 0 zeroes bits 127:64, XTN2 keeps the lower half, TBX keeps Vd', () => {
    const umov = (rd: number, vn: number, half: number) => (0x4e083c00 | (half << 20) | R(rd, vn)) >>> 0; // UMOV xd, vn.d[half]
    const elf = program((a) => {
      a.emit(E.movz(6, 8)); // 8 passes (compiled after two)
      a.label('loop');
      a.emit(E.msr(FPSR_REG, 31));
      mov64(a, 1, 0xff7f_8001_0203_0405n); mov64(a, 2, 0x1111_2222_3333_4444n);
      a.emit(0x4e081c20, 0x4e181c40, 0x4e081c41, 0x4e181c21); // INS v0.d[0], x1; v0.d[1], x2; v1.d[0], x2; v1.d[1], x1
      a.emit(same3(1, 1, 0, 0x01, 3, 0, 1)); // UQADD v3.16b, v0.16b, v1.16b: 0xff + 0x11 saturates
      a.emit(E.mrs(24, FPSR_REG), E.msr(FPSR_REG, 31));
      a.emit(same3(0, 0, 1, 0x01, 4, 0, 0)); // SQADD v4.4h, v0.4h, v0.4h: 0x8001 doubled saturates
      a.emit(E.mrs(25, FPSR_REG), E.msr(FPSR_REG, 31));
      a.emit(same3(1, 0, 1, 0x10, 10, 0, 0)); // ADD v10.8h (wraps, no QC)
      a.emit(E.mrs(5, FPSR_REG));
      a.emit(shiftR(1, 1, 1, 0x00, 16, 5, 0)); // USHR v5.8h, v0.8h, #16
      a.emit(shiftR(1, 0, 0, 0x00, 8, 6, 0)); // SSHR v6.16b, v0.16b, #8
      a.emit(0x4e181c47, same3(0, 0, 2, 0x10, 7, 0, 1)); // v7.d[1] = x2, then ADD v7.2s, v0.2s, v1.2s
      a.emit(0x4e081c28, 0x4e181c48); // v8 = x2:x1
      a.emit(misc2(1, 0, 0, 0x12, 8, 1)); // XTN2 v8.16b, v1.8h
      a.emit(0x4e081c29, 0x4e181c49); // v9 = x2:x1
      a.emit((0x0e001000 | (1 << 30) | R(9, 0, 0)) >>> 0); // TBX v9.16b, {v0.16b}, v0.16b
      a.emit(umov(10, 3, 0), umov(11, 3, 1), umov(12, 4, 0), umov(13, 4, 1), umov(14, 5, 0), umov(15, 5, 1));
      a.emit(umov(16, 6, 0), umov(17, 6, 1), umov(18, 7, 0), umov(19, 7, 1), umov(26, 8, 0), umov(27, 8, 1), umov(28, 9, 0), umov(29, 9, 1));
      a.emit(E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const r = same(elf);
    const x = r.f.x;
    expect(x[23]).toBe(0xffffn); // no exception
    const QC = 1n << 27n;
    expect(x[24] & QC).toBe(QC);
    expect(x[25] & QC).toBe(QC);
    expect(x[5] & QC).toBe(0n);
    const b0 = [0x05, 0x04, 0x03, 0x02, 0x01, 0x80, 0x7f, 0xff, 0x44, 0x44, 0x33, 0x33, 0x22, 0x22, 0x11, 0x11];
    const b1 = [...b0.slice(8), ...b0.slice(0, 8)];
    const lo = (bytes: number[]) => bytes.slice(0, 8).reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
    const hi = (bytes: number[]) => bytes.slice(8, 16).reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
    const uq = b0.map((v, i) => Math.min(v + b1[i], 0xff)); // UnsignedSatQ
    expect([x[10], x[11]]).toEqual([lo(uq), hi(uq)]);
    // SQADD .4h: 0x0405, 0x0203, 0x8001 (saturates to 0x8000), 0xff7f doubled; Q = 0: bits 127:64 zero
    expect([x[12], x[13]]).toEqual([0xfefe_8000_0406_080an, 0n]);
    expect([x[14], x[15]]).toEqual([0n, 0n]); // USHR #esize
    const sshr = b0.map((v) => (v & 0x80 ? 0xff : 0));
    expect([x[16], x[17]]).toEqual([lo(sshr), hi(sshr)]);
    // ADD .2s of x1 and x2's words; Q = 0 clears the upper half written before
    const w = (v: bigint, i: number) => (v >> BigInt(32 * i)) & 0xffff_ffffn;
    const X1 = 0xff7f_8001_0203_0405n, X2 = 0x1111_2222_3333_4444n;
    expect([x[18], x[19]]).toEqual([((w(X1, 1) + w(X2, 1)) & 0xffff_ffffn) << 32n | ((w(X1, 0) + w(X2, 0)) & 0xffff_ffffn), 0n]);
    // XTN2: lower half kept (x1), upper = the low bytes of v1's halfwords (x2's then x1's)
    expect([x[26], x[27]]).toEqual([X1, lo([0x44, 0x33, 0x22, 0x11, 0x05, 0x03, 0x01, 0x7f])]);
    // TBX: indices 5..1 pick v0's bytes, the rest (>= 16) keep v9's
    const tbx = b0.map((idx, i) => (idx < 16 ? b0[idx] : b0[i]));
    expect([x[28], x[29]]).toEqual([lo(tbx), hi(tbx)]);
  });
});

// LD1/ST1 (multiple structures) and LD1/ST1 (single structure), LD1R (Arm ARM C4.1.97)
const OPC_REGS = [0, 0b0111, 0b1010, 0b0110, 0b0010]; // opcode for 1..4 registers
/** LD1/ST1 {Vt..Vt+n-1}.T, [Xn] (post = 'imm': [Xn], #bytes; a number: [Xn], Xm). */
const ldst1 = (load: number, q: number, n: number, size: number, rt: number, rn: number, post?: 'imm' | number) =>
  ((post === undefined ? 0x0c000000 : 0x0c800000 | ((post === 'imm' ? 31 : post) << 16)) | (q << 30) | (load << 22) | (OPC_REGS[n] << 12) | (size << 10) | R(rt, rn)) >>> 0;
/** LD1/ST1 {Vt.T}[idx], [Xn]; or LD1R {Vt.T}, [Xn] (replicate). */
function ldst1Lane(load: number, esz: number, idx: number, rt: number, rn: number, post?: 'imm' | number, replicateQ?: number): number {
  let q: number, s: number, size: number, opc: number;
  if (replicateQ !== undefined) { q = replicateQ; s = 0; size = esz; opc = 6; }
  else if (esz === 0) { q = idx >> 3; s = (idx >> 2) & 1; size = idx & 3; opc = 0; }
  else if (esz === 1) { q = idx >> 2; s = (idx >> 1) & 1; size = (idx & 1) << 1; opc = 2; }
  else if (esz === 2) { q = idx >> 1; s = idx & 1; size = 0; opc = 4; }
  else { q = idx; s = 0; size = 1; opc = 4; }
  return ((post === undefined ? 0x0d000000 : 0x0d800000 | ((post === 'imm' ? 31 : post) << 16)) | (q << 30) | (load << 22) | (opc << 13) | (s << 12) | (size << 10) | R(rt, rn)) >>> 0;
}

describe('LD1/ST1/LD1R in compiled blocks: interpreter vs compiled tier', () => {
  it('every form (1-4 registers, Q = 0/1, every element size, lanes, replicate; no offset, post-index by immediate and by register), some accesses across a page boundary', () => {
    const rng = new Rng(0x7490);
    const SRC = BASE + 0x10_0000, DST = BASE + 0x20_0000;
    const elf = program((a) => {
      mov64(a, 4, BigInt(SRC)); mov64(a, 5, BigInt(DST)); a.emit(E.movz(6, 60), E.movz(7, 24), E.movz(8, 8));
      a.label('loop');
      a.emit(E.movReg(9, 4), E.movReg(10, 5));
      for (const q of [0, 1]) {
        for (let size = 0; size < 4; size++) {
          for (let n = 1; n <= 4; n++) {
            if (size === 3 && !q && n > 2) continue;
            a.emit(ldst1(1, q, n, size, 0, 9), ldst1(0, q, n, size, 0, 10, 'imm')); // LD1 {v0..}, [x9]; ST1 {v0..}, [x10], #bytes
            a.emit(ldst1(1, q, n, size, 28 + (n & 3), 9, 8), ldst1(0, q, n, size, 28 + (n & 3), 10, 7)); // LD1 {v28..v31 wrapping to v0}, [x9], x8; ST1 [x10], x7
          }
        }
      }
      for (let esz = 0; esz < 4; esz++) {
        a.emit(E.addImm(9, 4, 8 * esz), E.addImm(10, 5, 0x400 + 0x80 * esz)); // each group from an aligned address (Device memory)
        const lanes = 16 >> esz;
        for (const idx of [0, lanes - 1, rng.int(lanes)]) {
          a.emit(ldst1Lane(1, esz, idx, 5 + esz, 9, 'imm'), ldst1Lane(0, esz, (idx + 1) % lanes, 5 + esz, 10, 'imm'));
          a.emit(ldst1Lane(1, esz, idx, 9 + esz, 9), ldst1Lane(0, esz, idx, 9 + esz, 10, 8));
        }
        for (const q of [0, 1]) a.emit(ldst1Lane(1, esz, 0, 13 + 2 * esz + q, 9, 'imm', q), ldst1Lane(0, 0, 0, 13 + 2 * esz + q, 10, 7));
      }
      a.emit(E.addImm(10, 5, 0x800));
      for (let r = 0; r < 32; r++) a.emit(strQPost(r, 10));
      // next pass: 40 bytes further (element-aligned for every size; some passes cross a page boundary)
      a.emit(E.addImm(4, 4, 40), E.addImm(5, 5, 40 * 40), E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    }, (a) => {
      a.org(SRC);
      for (let i = 0; i < 0x2000 / 4; i++) a.emit(rng.u32());
    });
    const r = same(elf);
    expect(r.f.x[23]).toBe(0xffffn); // no exception
    expect(Number(r.compiled) / Number(r.f.insns)).toBeGreaterThan(0.5);
    // inline: the structure loads/stores left compiled code only for the page crossings
    const calls = leftFor(r, /^OPS_LDST_(MULT|SINGLE)$/);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(Number(r.f.insns) / 50); // (about one in 150 of them here)
  });

  it('LD2-LD4/ST2-ST4 (multiple structures): every arrangement, no offset and post-index, registers wrapping past v31, some across a page boundary; an LD4 that runs off the end of RAM', () => {
    const OPC_SELEM = [0, 0, 0b1000, 0b0100, 0b0000]; // LD2, LD3, LD4 (Arm ARM C4.1.97)
    const ldstN = (load: number, q: number, n: number, size: number, rt: number, rn: number, post?: 'imm' | number) =>
      ((post === undefined ? 0x0c000000 : 0x0c800000 | ((post === 'imm' ? 31 : post) << 16)) | (q << 30) | (load << 22) | (OPC_SELEM[n] << 12) | (size << 10) | R(rt, rn)) >>> 0;
    const rng = new Rng(0x74a0);
    const SRC = BASE + 0x10_0000, DST = BASE + 0x20_0000;
    const elf = program((a) => {
      mov64(a, 4, BigInt(SRC)); mov64(a, 5, BigInt(DST)); a.emit(E.movz(6, 60), E.movz(7, 40), E.movz(8, 24));
      a.label('loop');
      a.emit(E.movReg(9, 4), E.movReg(10, 5));
      for (const q of [0, 1]) {
        for (let size = 0; size < 4; size++) {
          if (size === 3 && !q) continue; // reserved for more than one element per structure
          for (let n = 2; n <= 4; n++) {
            a.emit(ldstN(1, q, n, size, 0, 9), ldstN(0, q, n, size, 0, 10, 'imm')); // LDn {v0..}, [x9]; STn {v0..}, [x10], #bytes
            a.emit(ldstN(1, q, n, size, 30, 9, 8), ldstN(0, q, n, size, 30, 10, 7)); // LDn {v30, v31, v0..}, [x9], x8; STn [x10], x7
          }
        }
      }
      a.emit(E.addImm(10, 5, 0x800));
      for (let r = 0; r < 32; r++) a.emit(strQPost(r, 10));
      a.emit(E.addImm(4, 4, 40), E.addImm(5, 5, 40 * 64), E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      // an LD4 {v0.16b-v3.16b} whose 64 bytes end 8 bytes past the end of RAM: the abort, no writeback
      mov64(a, 2, BigInt(0x4800_0000 - 56));
      a.emit(ldstN(1, 1, 4, 0, 0, 2, 'imm'));
    }, (a) => {
      a.org(SRC);
      for (let i = 0; i < 0x2000 / 4; i++) a.emit(rng.u32());
    });
    const r = same(elf);
    expect(r.f.x[20] >> 26n).toBe(0x25n); // the LD4 at the end: data abort
    expect(r.f.x[22]).toBe(0x4800_0000n);
    expect(Number(r.compiled) / Number(r.f.insns)).toBeGreaterThan(0.5);
    const calls = leftFor(r, /^OPS_LDST_MULT$/);
    expect(calls).toBeLessThan(Number(r.f.insns) / 50); // inline but for the page crossings
  });

  it('an LD1 of four registers that runs off the end of RAM: the same registers loaded, no writeback, the abort at the first byte outside RAM', () => {
    const END = 0x4800_0000;
    const elf = program((a) => {
      mov64(a, 2, BigInt(END - 64 * 20 - 32)); a.emit(E.movz(6, 0));
      for (let r = 0; r < 4; r++) a.emit(0x4e080fe0 | r); // DUP v<r>.2d, xzr
      a.label('loop');
      a.emit(ldst1(1, 1, 4, 0, 0, 2, 'imm')); // LD1 {v0.16b-v3.16b}, [x2], #64
      a.emit(E.addImm(6, 6, 1));
      a.ref('imm26', 'loop', E.b(0));
    });
    const r = same(elf);
    expect(r.f.x[20] >> 26n).toBe(0x25n); // data abort, same EL
    expect(r.f.x[22]).toBe(BigInt(END)); // FAR: the first element outside RAM
    expect(r.f.x[2]).toBe(BigInt(END - 32)); // no writeback
    expect(r.f.x[6]).toBe(20n);
  });

  it('an ST1 of four registers that runs off the end of RAM stores the elements before the abort, as the interpreter', () => {
    const END = 0x4800_0000;
    const elf = program((a) => {
      mov64(a, 2, BigInt(END - 64 * 20 - 48)); a.emit(E.movz(6, 0));
      mov64(a, 1, 0x0102_0304_0506_0708n);
      for (let r = 0; r < 4; r++) a.emit(0x4e080c20 | r); // DUP v<r>.2d, x1
      a.label('loop');
      a.emit(ldst1(0, 1, 4, 2, 0, 2, 'imm')); // ST1 {v0.4s-v3.4s}, [x2], #64
      a.emit(E.addImm(6, 6, 1), 0x4ea08400, 0x4ea18421); // ADD v0.4s += v0, v1 += v1: new data each pass
      a.ref('imm26', 'loop', E.b(0));
    });
    const r = same(elf);
    expect(r.f.x[20] >> 26n).toBe(0x25n);
    expect(r.f.x[22]).toBe(BigInt(END));
    expect(r.f.x[6]).toBe(20n);
  });

  it('misaligned elements (Device memory with the MMU off): LD1 .4s takes the alignment fault at the same instruction; LD1 .16b needs no alignment', () => {
    const DATA = BASE + 0x10_0000;
    const elf = program((a) => {
      mov64(a, 2, BigInt(DATA + 1)); a.emit(E.movz(6, 0));
      a.label('loop');
      a.emit(ldst1(1, 1, 2, 0, 0, 2), ldst1(0, 1, 2, 0, 0, 2, 'imm')); // LD1/ST1 .16b at an odd address: fine
      a.emit(E.subImm(2, 2, 31), E.addImm(6, 6, 1), E.cmpImm(6, 30));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.emit(ldst1(1, 1, 1, 2, 4, 2)); // LD1 {v4.4s}, [x2]: x2 odd
    });
    const r = same(elf);
    expect(r.f.x[20] >> 26n).toBe(0x25n);
    expect(r.f.x[20] & 0x3fn).toBe(0x21n); // DFSC: alignment fault
    expect(r.f.x[6]).toBe(30n);
  });

  it('a store by ST1 over the loop\'s own code (no write tag: the interpreter runs it, the block is dropped and recompiled)', () => {
    const elf = program((a) => {
      a.emit(E.movz(8, 0), E.movz(4, 100));
      mov64(a, 1, 0xd503_201f_d280_0005n); // MOVZ x5, #0; NOP
      a.ref('adr', 'patch', E.adr(7, 0));
      a.label('loop');
      a.emit(E.addImm(1, 1, 0x20, 0), 0x4e081c20); // x1 += 1 << 5 (MOVZ x5's imm16); INS v0.d[0], x1
      a.emit(ldst1Lane(0, 3, 0, 0, 7), E.ISB); // ST1 {v0.d}[0], [x7]: rewrites the two instructions below
      a.label('patch');
      a.emit(E.movz(5, 0xffff), E.movz(5, 0xffff));
      a.emit(E.addsubShift(1, 0, 0, 8, 8, 5, 0, 0), E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const r = same(elf);
    expect(r.f.x[8]).toBe(BigInt((100 * 101) / 2)); // MOVZ x5, #i in pass i (1..100)
  });
});

describe('chaining compiled blocks across a page boundary: interpreter vs compiled tier', () => {
  it('calls and returns to other pages, a branch by register, and a fall-through at the page end chain without the interpreter; a misaligned target still faults', () => {
    const elf = program((a) => {
      a.emit(E.movz(8, 0), E.movz(4, 2000));
      a.ref('adr', 'far', E.adr(9, 0));
      a.label('loop');
      a.ref('imm26', 'callee', E.bl(0)); // BL to page +2 (RET comes back by register)
      a.emit(E.blr(9)); // BLR to page +3
      a.emit(E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      a.emit(E.addImm(9, 9, 2), E.blr(9)); // a misaligned target on another page: PC alignment fault
      a.org(BASE + 0x3000 - 12);
      a.label('callee'); // the last three instructions of a page, then on into the next page
      a.emit(E.addImm(8, 8, 1), E.addImm(8, 8, 2), E.addImm(8, 8, 3));
      a.emit(E.addImm(8, 8, 4), E.ret());
      a.org(BASE + 0x5000);
      a.label('far');
      a.emit(E.addsubShift(1, 0, 0, 8, 8, 4, 0, 1), E.ret()); // x8 += 2 * x4
    });
    const r = same(elf);
    expect(r.f.x[20] >> 26n).toBe(0x22n); // PC alignment fault
    let sum = 0;
    for (let i = 2000; i >= 1; i--) sum += 10 + 2 * i;
    expect(r.f.x[8]).toBe(BigInt(sum));
    // 2000 iterations of five page changes each: compiled blocks chain into each other; the
    // interpreter enters compiled code only while blocks are being compiled
    expect(r.entered).toBeLessThan(100n);
  });
});

describe('REV and RBIT inline: interpreter vs compiled tier, and the Arm ARM results', () => {
  it('RBIT, REV16, REV32, REV (32- and 64-bit) of pseudo-random values', () => {
    const dp1 = (sf: number, opc: number, rd: number, rn: number) => (0x5ac00000 | (sf << 31) | (opc << 10) | R(rd, rn)) >>> 0;
    const K = 0x5851_f42d_4c95_7f2dn, C = 0x1405_7b7e_f767_814fn, M = (1n << 64n) - 1n;
    const elf = program((a) => {
      mov64(a, 3, K); mov64(a, 4, C); mov64(a, 1, 0x0123_4567_89ab_cdefn); a.emit(E.movz(6, 300));
      for (let r = 8; r <= 14; r++) a.emit(E.movz(r, 0));
      a.label('loop');
      a.emit(E.dp3(1, 0, 0, 1, 1, 3, 4)); // x1 = x1 * K + C
      const forms = [[1, 0], [0, 0], [1, 1], [0, 1], [1, 2], [0, 2], [1, 3]]; // RBIT x/w, REV16 x/w, REV32 x / REV w, REV x
      forms.forEach(([sf, opc], i) => a.emit(dp1(sf, opc, 2, 1), E.addsubShift(1, 0, 0, 8 + i, 8 + i, 2, 0, 0)));
      a.emit(E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const r = same(elf);
    const rev = (v: bigint, bytes: number, group: number): bigint => { // reverse the bytes within each group of `group` bytes
      let out = 0n;
      for (let g = 0; g < bytes; g += group) for (let k = 0; k < group; k++) out |= ((v >> BigInt(8 * (g + k))) & 0xffn) << BigInt(8 * (g + group - 1 - k));
      return out;
    };
    const rbit = (v: bigint, bits: number): bigint => { let out = 0n; for (let i = 0; i < bits; i++) if ((v >> BigInt(i)) & 1n) out |= 1n << BigInt(bits - 1 - i); return out; };
    const sums = new Array<bigint>(7).fill(0n);
    let x = 0x0123_4567_89ab_cdefn;
    for (let i = 0; i < 300; i++) {
      x = (x * K + C) & M;
      const w = x & 0xffff_ffffn;
      [rbit(x, 64), rbit(w, 32), rev(x, 8, 2), rev(w, 4, 2), rev(x, 8, 4), rev(w, 4, 4), rev(x, 8, 8)].forEach((v, k) => { sums[k] = (sums[k] + v) & M; });
    }
    expect(r.f.x.slice(8, 15)).toEqual(sums);
    expect(leftFor(r, /^OP_(REV|RBIT)/)).toBe(0);
  });
});

describe('LDAR/STLR inline: interpreter vs compiled tier', () => {
  it('load-acquire and store-release of every size copy a buffer; the last LDAR leaves RAM and aborts at the same instruction', () => {
    const ldar = (size: number, rt: number, rn: number) => ((size << 30) | 0x08dffc00 | R(rt, rn)) >>> 0;
    const stlr = (size: number, rt: number, rn: number) => ((size << 30) | 0x089ffc00 | R(rt, rn)) >>> 0;
    const SRC = BASE + 0x10_0000, END = 0x4800_0000;
    const rng = new Rng(0x74a0);
    const elf = program((a) => {
      mov64(a, 2, BigInt(SRC)); mov64(a, 3, BigInt(SRC + 0x8000)); a.emit(E.movz(6, 200), E.movz(8, 0));
      a.label('loop');
      for (let size = 0; size < 4; size++) {
        a.emit(ldar(size, 1, 2), stlr(size, 1, 3), E.addsubShift(1, 0, 0, 8, 8, 1, 0, 0), E.addImm(2, 2, 8), E.addImm(3, 3, 8));
      }
      a.emit(E.subsImm(6, 6, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
      mov64(a, 2, BigInt(END));
      a.emit(ldar(3, 1, 2));
    }, (a) => {
      a.org(SRC);
      for (let i = 0; i < 200 * 8; i++) a.emit(rng.u32());
    });
    const r = same(elf);
    expect(r.f.x[20] >> 26n).toBe(0x25n);
    expect(r.f.x[22]).toBe(BigInt(END));
    expect(leftFor(r, /^OP_(LDAR|STLR)$/)).toBeLessThan(200);
  });
});

describe('branches to any instruction of a block stay in the compiled function: interpreter vs compiled tier', () => {
  it('a loop whose head is inside the block, an if/else diamond, a branch to the next instruction, nested loops; budget-sized passes', () => {
    const elf = program((a) => {
      a.emit(E.movz(4, 3000), E.movz(8, 0), E.movz(9, 0), E.movz(10, 0));
      a.label('outer');
      a.emit(E.addImm(8, 8, 1)); // the block starts here; the inner loop's head is below
      a.emit(E.movz(5, 7));
      a.label('inner');
      a.emit(E.addsubShift(1, 0, 0, 9, 9, 5, 0, 0), E.subsImm(5, 5, 1));
      a.emit(E.tbz(5, 0, 2)); // TBZ x5, #0: over the next instruction (a diamond)
      a.emit(E.addImm(10, 10, 3));
      a.emit(E.tbz(5, 1, 1)); // a branch to the next instruction
      a.emit(E.cmpImm(5, 0));
      a.ref('imm19', 'inner', E.bcond(E.Cond.NE, 0)); // back to the middle of the block
      a.emit(E.subsImm(4, 4, 1));
      a.ref('imm19', 'outer', E.bcond(E.Cond.NE, 0)); // back to the start
    });
    const r = same(elf);
    let x9 = 0, x10 = 0;
    for (let i = 0; i < 3000; i++) for (let x5 = 7; x5 > 0;) { x9 += x5; x5--; if (x5 & 1) x10 += 3; }
    expect(r.f.x[8]).toBe(3000n);
    expect(r.f.x[9]).toBe(BigInt(x9));
    expect(r.f.x[10]).toBe(BigInt(x10));
    expect(r.entered).toBeLessThan(50n); // the loops run inside the compiled function
    // the same program with a tiny quantum on 2 CPUs: passes cut at every budget boundary
    same(elf, { smp: 2, quantum: 97 });
  });
  for (let s = 0; s < 4; s++) {
    it(`random integer programs with branches, seed ${0x74c0 + s}`, () => {
      const img = generateRandomImage(0x74c0 + s, 300, ['branch', 'dpreg'], { repeat: 30 });
      same(img.elf);
    });
  }
});
