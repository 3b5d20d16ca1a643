// SIMD&FP loads and stores (Arm ARM C6.2: LDR/STR (immediate, register, literal), LDP/STP, LD1-LD4,
// ST1, LD1R, single-structure loads) and the moves a memcpy/strlen loop uses.
import { describe, expect, it } from 'vitest';
import { CODE, DATA, le64, bytes } from '../harness';
import { hex128, lanes, vrun } from './vharness';

const seq = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const bigOf = (b: Uint8Array) => { let r = 0n; for (let i = b.length - 1; i >= 0; i--) r = (r << 8n) | BigInt(b[i]); return r; };

describe('SIMD&FP register loads and stores', () => {
  it('LDR Q (unsigned offset) loads 16 bytes little-endian; STR Q stores them back', () => {
    const r = vrun([0x3dc00020, 0x3dc00421, 0x3d800822], { x: { 1: DATA }, mem: [[DATA, seq(32)]] }); // ldr q0,[x1]; ldr q1,[x1,#16]; str q2,[x1,#32]
    expect(hex128(r.v[0])).toBe(hex128(bigOf(seq(16))));
    expect(hex128(r.v[1])).toBe(hex128(bigOf(seq(16, 16))));
    expect(r.u64(DATA + 32n)).toBe(0n); // V2 was zero
  });
  it('LDR D pre-index zeroes the upper 64 bits and writes back the base', () => {
    const r = vrun([0xfc408c2b], { x: { 1: DATA }, v: { 11: (1n << 128n) - 1n }, mem: [[DATA, seq(32)]] }); // ldr d11, [x1, #8]!
    expect(hex128(r.v[11])).toBe(hex128(bigOf(seq(8, 8))));
    expect(r.x[1]).toBe(DATA + 8n);
  });
  it('LDP Q post-index loads both and adds 32 to the base', () => {
    const r = vrun([0xacc12027], { x: { 1: DATA }, mem: [[DATA, seq(32)]] }); // ldp q7, q8, [x1], #32
    expect(hex128(r.v[7])).toBe(hex128(bigOf(seq(16))));
    expect(hex128(r.v[8])).toBe(hex128(bigOf(seq(16, 16))));
    expect(r.x[1]).toBe(DATA + 32n);
  });
  it('STR B (register offset) stores the low byte of V3', () => {
    const r = vrun([0x3c247823], { x: { 1: DATA, 4: 5 }, v: { 3: 0x1234abn } }); // str b3, [x1, x4]
    expect(r.u8(DATA + 5n)).toBe(0xabn);
    expect(r.u8(DATA + 6n)).toBe(0n);
  });
  it('LDR S (literal)', () => {
    const r = vrun([0x1c000074, 0, 0, 0x12345678], { steps: 1, v: { 20: -1n } }); // ldr s20, .+12
    expect(hex128(r.v[20])).toBe(hex128(0x12345678n));
  });
  it('LD4 {v16.4s-v19.4s} de-interleaves 4-element structures', () => {
    const words = Array.from({ length: 16 }, (_, i) => 0x100 + i);
    const mem = new Uint8Array(64);
    words.forEach((w, i) => new DataView(mem.buffer).setUint32(i * 4, w, true));
    const r = vrun([0x4c400830], { x: { 1: DATA }, mem: [[DATA, mem]] }); // ld4 {v16.4s-v19.4s}, [x1]
    for (let s = 0; s < 4; s++) expect(hex128(r.v[16 + s])).toBe(hex128(lanes(32, [0x100 + s, 0x104 + s, 0x108 + s, 0x10c + s])));
    expect(r.x[1]).toBe(DATA);
  });
  it('ST1 {v0.2d} post-indexed by register', () => {
    const v0 = 0x0f0e0d0c0b0a09080706050403020100n;
    const r = vrun([0x4c847c20], { x: { 1: DATA, 4: 100 }, v: { 0: v0 } }); // st1 {v0.2d}, [x1], x4
    expect(r.u64(DATA)).toBe(0x0706050403020100n);
    expect(r.u64(DATA + 8n)).toBe(0x0f0e0d0c0b0a0908n);
    expect(r.x[1]).toBe(DATA + 100n);
  });
  it('LD1R {v12.8h} replicates one halfword', () => {
    const r = vrun([0x4d40c42c], { x: { 1: DATA }, mem: [[DATA, bytes(0x34, 0x12)]] });
    expect(hex128(r.v[12])).toBe(hex128(lanes(16, Array(8).fill(0x1234))));
  });
  it('LD3 {v13.h-v15.h}[5] loads one lane of three registers and keeps the others', () => {
    const r = vrun([0x4d40682d], { x: { 1: DATA }, v: { 13: -1n, 14: 0n, 15: 0n }, mem: [[DATA, le64(0x0000_3333_2222_1111n)]] });
    expect(hex128(r.v[13])).toBe(hex128(((1n << 128n) - 1n) & ~(0xffffn << 80n) | (0x1111n << 80n)));
    expect(hex128(r.v[14])).toBe(hex128(0x2222n << 80n));
    expect(hex128(r.v[15])).toBe(hex128(0x3333n << 80n));
  });
  it('a Q access to an unmapped address takes a data abort and leaves the register alone', () => {
    const r = vrun([0x3dc00020], { x: { 1: 0x1000_0000n }, v: { 0: 5n } }); // below RAM: device → MMIO exit or abort
    expect(r.v[0] === 5n || r.exit !== 'budget').toBe(true);
    expect(r.pc).not.toBe(CODE + 4n);
  });
});

describe('register moves', () => {
  it('UMOV w3, v2.b[5]; DUP v4.8h, w2; SMOV x5, v0.h[3]', () => {
    const r = vrun([0x0e0b3c43, 0x4e020c44, 0x4e0e2c05], {
      x: { 2: 0xabcd_1234n }, v: { 2: 0xaan << 40n, 0: 0x8001n << 48n },
    });
    expect(r.x[3]).toBe(0xaan);
    expect(hex128(r.v[4])).toBe(hex128(lanes(16, Array(8).fill(0x1234))));
    expect(r.x[5]).toBe(0xffff_ffff_ffff_8001n);
  });
  it('MOVI v9.2d, #0xff00ff00ff00ff00; MVNI v10.4s, #0x12, lsl #8; FMOV v21.4s, #1.0', () => {
    const r = vrun([0x6f05e549, 0x6f00264a, 0x4f03f615]);
    expect(hex128(r.v[9])).toBe(hex128(lanes(64, [0xff00ff00ff00ff00n, 0xff00ff00ff00ff00n])));
    expect(hex128(r.v[10])).toBe(hex128(lanes(32, Array(4).fill(0xffffedff))));
    expect(hex128(r.v[21])).toBe(hex128(lanes(32, Array(4).fill(0x3f800000))));
  });
  it('ADD v2.4s wraps per lane; CMEQ #0 and UMINV find a NUL byte', () => {
    const r = vrun([0x4ea18402, 0x4e209805, 0x6e31a806], {
      v: { 0: lanes(32, [0xffffffff, 1, 2, 0x7fffffff]), 1: lanes(32, [1, 1, 0xfffffffe, 1]) },
    });
    expect(hex128(r.v[2])).toBe(hex128(lanes(32, [0, 2, 0, 0x80000000])));
    // bytes of v0: ff ff ff ff 01 00 00 00 02 00 00 00 ff ff ff 7f
    expect(hex128(r.v[5])).toBe(hex128(lanes(8, [0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0, 0, 0, 0])));
    expect(hex128(r.v[6])).toBe(hex128(0n));
  });
});
