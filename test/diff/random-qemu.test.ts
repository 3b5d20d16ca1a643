// Random differential-test images (test/gen) on qemu-system-aarch64.
// Today this checks the generator (encoders, determinism, ELF) and that QEMU runs the images to a
// complete register dump; the comparison against pkvm-emu is added once the core runs them
// (use compareDumps(qemuDump, emuDump) from ./compare).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { writeElf64 } from '../gen/elf-writer';
import { Rng } from '../gen/prng';
import {
  ALL_CLASSES,
  DUMP_NAMES,
  ENTRY,
  LOAD_ADDR,
  SCRATCH,
  SP_VALUE,
  generateRandomImage,
  randomBitmask,
} from '../gen/random-a64';
import { compareDumps, parseDump } from './compare';
import { qemuAvailable, runQemu } from './qemu';

// Expected words from GNU as (aarch64-linux-gnu-as, -march=armv8.4-a+lse+crc+rcpc); the assembler
// is not needed to run this test.
const GOLDEN: [string, number, number][] = [
  ['movz x3, #0x1234, lsl #16', E.movz(3, 0x1234, 1), 0xd2a24683],
  ['movz w3, #0x1234', E.movz(3, 0x1234, 0, 0), 0x52824683],
  ['movk x29, #0xbeef, lsl #48', E.movk(29, 0xbeef, 3), 0xf2f7ddfd],
  ['movn x1, #5', E.movn(1, 5), 0x928000a1],
  ['ldr x2, .+8', E.ldr_lit(2, 2), 0x58000042],
  ['ldr w2, .-4', E.ldrLit(0, 2, -1), 0x18ffffe2],
  ['ldrsw x5, .+16', E.ldrLit(2, 5, 4), 0x98000085],
  ['str x1, [x29, #4096]', E.str_imm(1, 29, 4096), 0xf90803a1],
  ['ldr w10, [x20, #0x18]', E.ldstUimm(2, 1, 10, 20, 6), 0xb9401a8a],
  ['ldrsb w3, [sp, #7]', E.ldstUimm(0, 3, 3, 31, 7), 0x39c01fe3],
  ['ldrsh x3, [x28, #6]', E.ldstUimm(1, 2, 3, 28, 3), 0x79800f83],
  ['prfm pstl2strm, [x29, #64]', E.ldstUimm(3, 2, 0b10011, 29, 8), 0xf98023b3],
  ['ldur x4, [x28, #-256]', E.ldstImm9(3, 1, 4, 28, -256, 0), 0xf8500384],
  ['ldr x2, [x4], #8', E.ldstImm9(3, 1, 2, 4, 8, 1), 0xf8408482],
  ['strh w7, [x28, #-2]!', E.ldstImm9(1, 0, 7, 28, -2, 3), 0x781fef87],
  ['ldtrsw x1, [x29, #12]', E.ldstImm9(2, 2, 1, 29, 12, 2), 0xb880cba1],
  ['ldr x1, [x28, w3, sxtw #3]', E.ldstReg(3, 1, 1, 28, 3, 6, 1), 0xf863db81],
  ['ldrb w1, [x28, x3]', E.ldstReg(0, 1, 1, 28, 3, 3, 0), 0x38636b81],
  ['strh w1, [x28, w3, uxtw]', E.ldstReg(1, 0, 1, 28, 3, 2, 0), 0x78234b81],
  ['ldp x1, x2, [x28, #-512]!', E.ldstPair(2, 1, 3, 1, 2, 28, -64), 0xa9e00b81],
  ['stp w1, w2, [sp, #8]', E.ldstPair(0, 0, 2, 1, 2, 31, 2), 0x29010be1],
  ['ldpsw x3, x4, [x28], #-8', E.ldstPair(1, 1, 1, 3, 4, 28, -2), 0x68ff1383],
  ['ldnp x5, x6, [x29, #16]', E.ldstPair(2, 1, 0, 5, 6, 29, 2), 0xa8411ba5],
  ['ldxr x1, [x28]', E.ldxr(3, 1, 28), 0xc85f7f81],
  ['ldaxrb w1, [sp]', E.ldxr(0, 1, 31, 1), 0x085fffe1],
  ['stlxrh w5, w1, [x28]', E.stxr(1, 5, 1, 28, 1), 0x4805ff81],
  ['ldxp x1, x2, [x28]', E.ldxp(1, 1, 2, 28), 0xc87f0b81],
  ['stlxp w3, w1, w2, [x28]', E.stxp(0, 3, 1, 2, 28, 1), 0x88238b81],
  ['ldar w1, [x29]', E.ldar(2, 1, 29), 0x88dfffa1],
  ['stlrb w1, [x28]', E.stlr(0, 1, 28), 0x089fff81],
  ['ldapr x1, [x28]', E.ldapr(3, 1, 28), 0xf8bfc381],
  ['casal x1, x2, [x28]', E.cas(3, 1, 1, 1, 2, 28), 0xc8e1ff82],
  ['casb w1, w2, [sp]', E.cas(0, 0, 0, 1, 2, 31), 0x08a17fe2],
  ['caspa x2, x3, x4, x5, [x28]', E.casp(1, 1, 0, 2, 4, 28), 0x48627f84],
  ['ldumaxal w1, w2, [x28]', E.ldatomic(2, 1, 1, 0, 6, 1, 2, 28), 0xb8e16382],
  ['swplb w1, w2, [x29]', E.ldatomic(0, 0, 1, 1, 0, 1, 2, 29), 0x386183a2],
  ['stadd x1, [x28]', E.ldatomic(3, 0, 0, 0, 0, 1, 31, 28), 0xf821039f],
  ['add sp, x29, #2048', E.addImm(31, 29, 2048), 0x912003bf],
  ['subs x3, sp, #1, lsl #12', E.addsubImm(1, 1, 1, 3, 31, 1, 1), 0xf14007e3],
  ['cmp x0, #10', E.cmpImm(0, 10), 0xf100281f],
  ['and x0, x0, #0xf', E.logImm(1, 0, 0, 0, 1, 0, 3), 0x92400c00],
  ['orr w1, w2, #0x55555555', E.logImm(0, 1, 1, 2, 0, 0, 0b111100), 0x3200f041],
  ['ubfx x1, x2, #4, #8', E.bitfield(1, 2, 1, 2, 4, 11), 0xd3442c41],
  ['sbfiz w1, w2, #3, #5', E.bitfield(0, 0, 1, 2, 29, 4), 0x131d1041],
  ['extr x1, x2, x3, #17', E.extr(1, 1, 2, 3, 17), 0x93c34441],
  ['adrp x4, .+0x3000', E.adr(4, 3, 1), 0xf0000004],
  ['adr x4, .-5', E.adr(4, -5), 0x70ffffc4],
  ['adds w1, w2, w3, asr #7', E.addsubShift(0, 0, 1, 1, 2, 3, 2, 7), 0x2b831c41],
  ['sub x1, sp, w3, sxth #2', E.addsubExt(1, 1, 0, 1, 31, 3, 5, 2), 0xcb23abe1],
  ['bics x1, x2, x3, ror #63', E.logShift(1, 3, 1, 1, 2, 3, 3, 63), 0xeae3fc41],
  ['sbcs w1, w2, w3', E.adcsbc(0, 1, 1, 1, 2, 3), 0x7a030041],
  ['ccmp x1, x2, #5, ne', E.ccmpReg(1, 1, 1, 2, 5, 1), 0xfa421025],
  ['ccmn w1, #31, #15, nv', E.ccmpImm(0, 0, 1, 31, 15, 15), 0x3a5ff82f],
  ['csneg x1, x2, x3, gt', E.csel(1, 1, 1, 1, 2, 3, 12), 0xda83c441],
  ['rev32 x1, x2', E.dp1(1, 2, 1, 2), 0xdac00841],
  ['rev w1, w2', E.dp1(0, 2, 1, 2), 0x5ac00841],
  ['cls x1, x2', E.dp1(1, 5, 1, 2), 0xdac01441],
  ['sdiv w1, w2, w3', E.dp2(0, 3, 1, 2, 3), 0x1ac30c41],
  ['rorv x1, x2, x3', E.dp2(1, 11, 1, 2, 3), 0x9ac32c41],
  ['crc32cx w1, w2, x3', E.dp2(1, 23, 1, 2, 3), 0x9ac35c41],
  ['umsubl x1, w2, w3, x4', E.dp3(1, 5, 1, 1, 2, 3, 4), 0x9ba39041],
  ['smulh x1, x2, x3', E.dp3(1, 2, 0, 1, 2, 3, 31), 0x9b437c41],
  ['msub w1, w2, w3, w4', E.dp3(0, 0, 1, 1, 2, 3, 4), 0x1b039041],
  ['b .+8', E.b(2), 0x14000002],
  ['bl .-4', E.bl(-1), 0x97ffffff],
  ['b.hs .+12', E.bcond(2, 3), 0x54000062],
  ['cbnz w3, .+8', E.cbz(0, 3, 2, 1), 0x35000043],
  ['tbnz x3, #40, .+8', E.tbz(3, 40, 2, 1), 0xb7400043],
  ['tbz w10, #5, .-4', E.tbz(10, 5, -1), 0x362fffea],
  ['br x1', E.br(1), 0xd61f0020],
  ['blr x30', E.blr(30), 0xd63f03c0],
  ['ret', E.ret(), 0xd65f03c0],
  ['hvc #0', E.hvc(0), 0xd4000002],
  ['smc #0', E.smc(0), 0xd4000003],
  ['mrs x0, nzcv', E.mrs(0, E.SysReg.NZCV), 0xd53b4200],
  ['msr nzcv, x3', E.msr(E.SysReg.NZCV, 3), 0xd51b4203],
  ['msr vbar_el1, x0', E.msr(E.SysReg.VBAR_EL1, 0), 0xd518c000],
  ['msr vbar_el2, x0', E.msr(E.SysReg.VBAR_EL2, 0), 0xd51cc000],
  ['mrs x22, esr_el2', E.mrs(22, E.SysReg.ESR_EL2), 0xd53c5216],
  ['mrs x23, elr_el1', E.mrs(23, E.SysReg.ELR_EL1), 0xd5384037],
  ['mrs x24, far_el1', E.mrs(24, E.SysReg.FAR_EL1), 0xd5386018],
  ['mrs x25, spsr_el2', E.mrs(25, E.SysReg.SPSR_EL2), 0xd53c4019],
  ['isb', E.ISB, 0xd5033fdf],
  ['dmb ish', E.dmb(11), 0xd5033bbf],
  ['dsb sy', E.dsb(), 0xd5033f9f],
  ['clrex', E.clrex(), 0xd5033f5f],
  ['nop', E.NOP, 0xd503201f],
];

describe('a64enc', () => {
  it.each(GOLDEN)('%s', (_asm, got, want) => {
    expect(got >>> 0).toBe(want);
  });

  it('rejects out-of-range fields', () => {
    expect(() => E.movz(0, 0x10000)).toThrow(RangeError);
    expect(() => E.movz(0, 1, 2, 0)).toThrow(RangeError);
    expect(() => E.tbz(0, 0, 1 << 13)).toThrow(RangeError);
    expect(() => E.casp(1, 0, 0, 1, 2, 3)).toThrow(RangeError);
    expect(() => E.addsubExt(1, 0, 0, 1, 2, 3, 0, 5)).toThrow(RangeError);
  });
});

/** DecodeBitMasks validity (Arm ARM shared pseudocode), for checking randomBitmask. */
function bitmaskValid(sf: number, n: number, imms: number): boolean {
  if (!sf && n) return false;
  const v = (n << 6) | (~imms & 0x3f);
  if (v === 0) return false;
  const len = 31 - Math.clz32(v);
  if (len < 1) return false;
  const levels = (1 << len) - 1;
  return (imms & levels) !== levels;
}

describe('random-a64 generator', () => {
  it('produces only valid logical-immediate encodings', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 20000; i++) {
      const sf = i & 1;
      const { n, immr, imms } = randomBitmask(rng, sf);
      expect(bitmaskValid(sf, n, imms)).toBe(true);
      if (!sf) expect(immr).toBeLessThan(32);
    }
  });

  it('is deterministic in the seed', () => {
    for (const seed of [1, 2, 0xdeadbeef]) {
      const a = generateRandomImage(seed, 2000);
      const b = generateRandomImage(seed, 2000);
      expect(Buffer.from(a.elf).equals(Buffer.from(b.elf))).toBe(true);
      expect(a.words).toEqual(b.words);
      expect(a.words.length).toBeGreaterThanOrEqual(2000);
    }
    const x = generateRandomImage(1, 2000);
    const y = generateRandomImage(2, 2000);
    expect(Buffer.from(x.elf).equals(Buffer.from(y.elf))).toBe(false);
  });

  it('writes an AArch64 ELF64 EXEC with one RWX PT_LOAD at the load address', () => {
    const { elf, image, entry } = generateRandomImage(3, 100);
    const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    expect([...elf.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    expect(dv.getUint16(16, true)).toBe(2); // ET_EXEC
    expect(dv.getUint16(18, true)).toBe(183); // EM_AARCH64
    expect(dv.getBigUint64(24, true)).toBe(BigInt(ENTRY));
    expect(entry).toBe(ENTRY);
    expect(dv.getUint16(56, true)).toBe(1);
    const ph = Number(dv.getBigUint64(32, true));
    expect(dv.getUint32(ph, true)).toBe(1); // PT_LOAD
    expect(dv.getUint32(ph + 4, true)).toBe(7); // RWX
    const off = Number(dv.getBigUint64(ph + 8, true));
    expect(dv.getBigUint64(ph + 16, true)).toBe(BigInt(LOAD_ADDR));
    expect(dv.getBigUint64(ph + 24, true)).toBe(BigInt(LOAD_ADDR));
    expect(Number(dv.getBigUint64(ph + 32, true))).toBe(image.length);
    expect(off % 4096).toBe(LOAD_ADDR % 4096);
    expect(Buffer.from(elf.subarray(off, off + image.length)).equals(Buffer.from(image))).toBe(true);
  });

  it('honours the class list', () => {
    for (const c of ALL_CLASSES) expect(generateRandomImage(9, 300, [c]).words.length).toBeGreaterThanOrEqual(300);
    expect(() => generateRandomImage(1, 10, ['fp'])).toThrow(/unknown instruction class/);
  });
});

describe('compare', () => {
  const a = 'x00=0000000000000001\nx01=00000000000000ff\nsum=0123456789abcdef\nend\n';
  it('parses dumps', () => {
    const d = parseDump(a);
    expect(d.complete).toBe(true);
    expect(d.exception).toBe(false);
    expect(d.values.get('x01')).toBe('00000000000000ff');
    expect(parseDump('exc=0000000000000004\nesr=0000000002000000\n').exception).toBe(true);
  });
  it('lists differing lines', () => {
    expect(compareDumps(a, a)).toEqual([]);
    const b = 'x00=0000000000000002\nsum=0123456789abcdef\n';
    expect(compareDumps(a, b)).toEqual([
      'x00: 0000000000000001 != 0000000000000002',
      'x01: 00000000000000ff != <missing>',
      'end: present != <missing>',
    ]);
  });
});

const haveQemu = qemuAvailable();
if (!haveQemu) console.warn('random-qemu.test: qemu-system-aarch64 not found; skipping the QEMU runs');

describe.skipIf(!haveQemu)('random images on qemu-system-aarch64 -M virt -cpu max', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkvm-emu-random-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // strictAlign also sets SCTLR_ELx.A, so QEMU faults any misaligned access the generator might make
  // (QEMU 7.2 does not fault misaligned accesses to Device memory on its own).
  const run = (seed: number, count: number, el2 = false) => {
    const img = generateRandomImage(seed, count, undefined, { el2, strictAlign: true });
    const path = join(dir, `seed${seed}${el2 ? '-el2' : ''}.elf`);
    writeFileSync(path, img.elf);
    return runQemu(path, { el2, timeoutMs: 30_000 });
  };
  const expectFullDump = (out: string) => {
    const d = parseDump(out);
    expect(d.exception, out).toBe(false);
    expect(d.complete, out).toBe(true);
    expect([...d.values.keys()]).toEqual(DUMP_NAMES);
    expect(d.values.get('x29')).toBe(SCRATCH.toString(16).padStart(16, '0'));
    expect(d.values.get('sp')).toBe(SP_VALUE.toString(16).padStart(16, '0'));
  };

  it.each([1, 2, 3, 4, 5, 6])('seed %i, 2000 instructions, EL1', (seed) => {
    const r = run(seed, 2000);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expectFullDump(r.stdout.toString());
  });

  it('seed 7, 2000 instructions, EL2 (virtualization=on, PSCI by SMC)', () => {
    const r = run(7, 2000, true);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expectFullDump(r.stdout.toString());
  });

  it('reports an exception instead of a dump when an instruction faults', () => {
    const img = generateRandomImage(12, 200);
    const image = img.image.slice();
    new DataView(image.buffer).setUint32(img.blockAddr - LOAD_ADDR, 0, true); // UDF #0
    const path = join(dir, 'udf.elf');
    writeFileSync(path, writeElf64(BigInt(img.entry), [{ paddr: BigInt(LOAD_ADDR), data: image }]));
    const r = runQemu(path, { timeoutMs: 30_000 });
    const d = parseDump(r.stdout.toString());
    expect(d.exception).toBe(true);
    expect(d.complete).toBe(true);
    expect(d.values.get('esr')!.slice(8, 10)).toBe('02'); // EC 0x00 (unknown), IL=1
    expect(d.values.get('elr')).toBe(img.blockAddr.toString(16).padStart(16, '0'));
  });

  it('QEMU output is reproducible', () => {
    const a = run(11, 2000).stdout.toString();
    const b = run(11, 2000).stdout.toString();
    expect(compareDumps(a, b)).toEqual([]);
  });
});
