// Random Advanced SIMD differential-test images (pkvm-emu vs qemu-system-aarch64 -cpu max), in the
// style of ../random-a64.ts: the image enables FP/SIMD (CPACR_EL1.FPEN = 3), loads V0..V31 with
// seeded values (random bytes and lanes of 0, -1, the signed minimum/maximum, small numbers), X0..X28
// with random values (DUP/INS general read them, UMOV/SMOV write them), clears FPSR, runs `count`
// random encodings from SIMD_ENCODINGS, then prints v00l=…/v00h=… .. v31h, x00..x28, fpsr and `end`
// over the PL011 and powers off. An exception prints exc/esr/elr instead.
import * as E from '../a64enc';
import { Asm } from '../asm';
import { writeElf64 } from '../elf-writer';
import { Rng } from '../prng';
import { SIMD_ENCODINGS } from './simd-encodings';
import type { EncodingClass } from './types';
import { emitVectorStubs } from '../vector-stubs';

export const LOAD_ADDR = 0x4008_0000;
const VECTORS = LOAD_ADDR;
const VDATA = LOAD_ADDR + 0x1000; // 512 bytes of initial V values
const SAVE = LOAD_ADDR + 0x2000; // V save area, then X save area at +0x200, fpsr at +0x300
const ENTRY = LOAD_ADDR + 0x4000;
const SCRATCH = LOAD_ADDR + 0x3000; // 4 KiB of random bytes the SIMD&FP loads and stores use (base x28, index x27)
const UART = 0x0900_0000;
const PSCI_SYSTEM_OFF = 0x8400_0008;
const MSR_CPACR_X0 = 0xd5181040;
const MSR_FPSR_XZR = 0xd51b443f;
const MSR_FPCR_XZR = 0xd51b441f;
const MRS_X0_FPSR = 0xd53b4420;
const LDP_Q_POST = (t: number, t2: number, n: number) => (0xacc10000 | (t2 << 10) | (n << 5) | t) >>> 0; // ldp qt, qt2, [xn], #32
const STP_Q_POST = (t: number, t2: number, n: number) => (0xac810000 | (t2 << 10) | (n << 5) | t) >>> 0;

export const SIMD_DUMP_NAMES: string[] = [
  ...Array.from({ length: 32 }, (_, i) => [`v${String(i).padStart(2, '0')}l`, `v${String(i).padStart(2, '0')}h`]).flat(),
  ...Array.from({ length: 29 }, (_, i) => `x${String(i).padStart(2, '0')}`),
  'fpsr',
  'sum',
];

function interestingLanes(rng: Rng): Uint8Array {
  const out = rng.bytes(16);
  const dv = new DataView(out.buffer);
  const esize = rng.pick([1, 2, 4, 8]);
  if (rng.bool(0.5)) {
    for (let i = 0; i < 16; i += esize) {
      if (!rng.bool(0.6)) continue;
      const k = rng.int(6);
      for (let b = 0; b < esize; b++) {
        let v = 0;
        if (k === 1) v = 0xff;
        else if (k === 2) v = b === esize - 1 ? 0x80 : 0;
        else if (k === 3) v = b === esize - 1 ? 0x7f : 0xff;
        else if (k === 4) v = b === 0 ? rng.int(4) : 0;
        else if (k === 5) v = b === 0 ? 0xff - rng.int(3) : 0xff;
        dv.setUint8(i + b, v);
      }
    }
  }
  return out;
}

export interface SimdImage { elf: Uint8Array; words: number[] }

/**
 * A random SIMD&FP load or store with x28 = an aligned address inside SCRATCH (and x27 a small
 * aligned index), emitted as the unit "MOVZ/MOVK x28; MOVZ x27; <insn>". Every access is aligned to
 * its element size (Q to 16): with the MMU off, memory is Device and unaligned accesses fault.
 */
function ldstUnit(rng: Rng, a: Asm): number {
  const base = SCRATCH + 512 + 16 * rng.int(64); // room for 64-byte structures and ±256 offsets
  a.emit(E.movz(28, base & 0xffff), E.movk(28, base >>> 16, 1));
  const idx = 16 * rng.int(8);
  a.emit(E.movz(27, idx));
  const vt = rng.int(32);
  let w: number;
  switch (rng.int(6)) {
    case 0: { // LDR/STR unsigned offset, B/H/S/D/Q
      const sc = rng.int(5), load = rng.int(2);
      const size = sc === 4 ? 0 : sc, opc = sc === 4 ? 2 + load : load;
      w = (size << 30) | 0x3d000000 | (opc << 22) | (rng.int(16) << 10) | (28 << 5) | vt;
      break;
    }
    case 1: { // imm9: unscaled / post / pre
      const sc = rng.int(5), load = rng.int(2);
      const size = sc === 4 ? 0 : sc, opc = sc === 4 ? 2 + load : load;
      const imm9 = ((rng.int(32) - 16) << Math.max(sc, 0)) & 0x1ff;
      const mode = rng.pick([0, 1, 3]);
      w = (size << 30) | 0x3c000000 | (opc << 22) | (imm9 << 12) | (mode << 10) | (28 << 5) | vt;
      break;
    }
    case 2: { // register offset: [x28, x27{, LSL #scale}]
      const sc = rng.int(5), load = rng.int(2);
      const size = sc === 4 ? 0 : sc, opc = sc === 4 ? 2 + load : load;
      const S = sc === 0 ? 0 : 0; // index already a multiple of 16: no scaling keeps it in range
      w = (size << 30) | 0x3c200800 | (opc << 22) | (27 << 16) | (3 << 13) | (S << 12) | (28 << 5) | vt;
      break;
    }
    case 3: { // LDP/STP/LDNP/STNP S/D/Q
      const opc = rng.int(3), L = rng.int(2), type = rng.int(4);
      let vt2 = rng.int(32);
      if (L && vt2 === vt) vt2 = (vt + 1) & 31;
      const imm7 = (rng.int(16) - 8) & 0x7f;
      w = (opc << 30) | 0x2c000000 | (type << 23) | (L << 22) | (imm7 << 15) | (vt2 << 10) | (28 << 5) | vt;
      break;
    }
    case 4: { // LD1-LD4 / ST1-ST4 multiple structures
      const opcode = rng.pick([0, 2, 4, 6, 7, 8, 10]);
      const selem = opcode === 0 ? 4 : opcode === 4 ? 3 : opcode === 8 ? 2 : 1;
      let size = rng.int(4);
      const q = rng.int(2);
      if (size === 3 && !q && selem > 1) size = 2;
      const post = rng.int(2), rm = rng.bool(0.5) ? 31 : 27;
      w = 0x0c000000 | (q << 30) | (post << 23) | (rng.int(2) << 22) | ((post ? rm : 0) << 16) | (opcode << 12) | (size << 10) | (28 << 5) | vt;
      break;
    }
    default: { // single structure / replicate
      const L = rng.int(2), R = rng.int(2), post = rng.int(2), rm = rng.bool(0.5) ? 31 : 27, q = rng.int(2);
      const kind = rng.int(L ? 5 : 4); // 0 B, 1 H, 2 S, 3 D, 4 replicate
      let opcode: number, S = rng.int(2), size = rng.int(4);
      const odd = rng.int(2);
      if (kind === 0) opcode = odd;
      else if (kind === 1) { opcode = 2 + odd; size = size & 2; }
      else if (kind === 2) { opcode = 4 + odd; size = 0; }
      else if (kind === 3) { opcode = 4 + odd; size = 1; S = 0; }
      else { opcode = 6 + odd; S = 0; }
      w = 0x0d000000 | (q << 30) | (post << 23) | (L << 22) | (R << 21) | ((post ? rm : 0) << 16) | (opcode << 13) | (S << 12) | (size << 10) | (28 << 5) | vt;
    }
  }
  w >>>= 0;
  a.emit(w);
  return w;
}

export function generateSimdImage(seed: number, count: number, classes: EncodingClass[] = SIMD_ENCODINGS, el2 = false, ldstShare = 0): SimdImage {
  const rng = new Rng(seed);
  const a = new Asm(LOAD_ADDR);
  const VBAR = el2 ? E.SysReg.VBAR_EL2 : E.SysReg.VBAR_EL1;
  const psci = el2 ? E.smc(0) : E.hvc(0);
  emitVectorStubs(a, VECTORS, 21);
  a.emit(E.mrs(22, el2 ? E.SysReg.ESR_EL2 : E.SysReg.ESR_EL1), E.mrs(23, el2 ? E.SysReg.ELR_EL2 : E.SysReg.ELR_EL1));
  a.emit(E.movz(20, UART >>> 16, 1));
  const printName = (name: string) => {
    for (const ch of name + '=') { a.emit(E.movz(0, ch.charCodeAt(0))); a.ref('imm26', 'putc', E.bl(0)); }
  };
  const endAndOff = () => {
    for (const ch of 'end\n') { a.emit(E.movz(0, ch.charCodeAt(0))); a.ref('imm26', 'putc', E.bl(0)); }
    a.emit(E.movz(0, PSCI_SYSTEM_OFF & 0xffff, 0, 0), E.movk(0, PSCI_SYSTEM_OFF >>> 16, 1, 0), psci, E.b(0));
  };
  for (const [n, r] of [['exc', 21], ['esr', 22], ['elr', 23]] as const) { printName(n); a.emit(E.movReg(1, r)); a.ref('imm26', 'puthex', E.bl(0)); }
  endAndOff();

  a.org(VDATA);
  for (let i = 0; i < 32; i++) a.data(interestingLanes(rng));
  a.org(SCRATCH);
  a.data(rng.bytes(4096));
  a.org(ENTRY);
  const mov64 = (rd: number, v: bigint) => {
    a.emit(E.movz(rd, Number(v & 0xffffn), 0));
    for (let i = 1; i < 4; i++) { const c = Number((v >> BigInt(16 * i)) & 0xffffn); if (c) a.emit(E.movk(rd, c, i)); }
  };
  mov64(0, BigInt(VECTORS));
  a.emit(E.msr(VBAR, 0), E.ISB);
  if (!el2) a.emit(E.movz(0, 0x30, 1), MSR_CPACR_X0, E.ISB); // FPEN = 0b11
  a.emit(MSR_FPSR_XZR, MSR_FPCR_XZR);
  mov64(1, BigInt(VDATA));
  for (let i = 0; i < 32; i += 2) a.emit(LDP_Q_POST(i, i + 1, 1));
  for (let r = 0; r <= 28; r++) mov64(r, rng.u64());

  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    if (ldstShare > 0 && rng.bool(ldstShare)) { words.push(ldstUnit(rng, a)); continue; }
    const w = rng.pick(classes).gen(rng);
    words.push(w);
    a.emit(w);
    if (i % 12 === 11) { // reload a random V register (LDR Qt, <literal in VDATA>) so values stay varied
      const off = (VDATA + 16 * rng.int(32) - a.pc()) / 4;
      a.emit((0x9c000000 | ((off & 0x7ffff) << 5) | rng.int(32)) >>> 0);
    }
  }

  // epilogue: x0..x28 to SAVE+0x200, V to SAVE, FPSR to SAVE+0x300
  mov64(29, BigInt(SAVE));
  for (let r = 0; r <= 28; r++) a.emit(E.ldstUimm(3, 0, r, 29, 0x200 / 8 + r));
  a.emit(MRS_X0_FPSR, E.ldstUimm(3, 0, 0, 29, 0x300 / 8));
  // FNV-style checksum of SCRATCH: h = h * prime + doubleword
  a.emit(E.movz(1, 0));
  mov64(3, 0x100000001b3n);
  mov64(4, BigInt(SCRATCH));
  a.emit(E.movz(5, 4096 / 8));
  a.label('sumloop');
  a.emit(E.ldstImm9(3, 1, 2, 4, 8, 1), E.dp3(1, 0, 0, 1, 1, 3, 2), E.subsImm(5, 5, 1));
  a.ref('imm19', 'sumloop', E.bcond(E.Cond.NE, 0));
  a.emit(E.ldstUimm(3, 0, 1, 29, 0x308 / 8));
  mov64(1, BigInt(SAVE));
  for (let i = 0; i < 32; i += 2) a.emit(STP_Q_POST(i, i + 1, 1));
  a.emit(E.movz(20, UART >>> 16, 1));
  SIMD_DUMP_NAMES.forEach((name, i) => {
    const slot = i < 64 ? i : i < 93 ? 0x200 / 8 + (i - 64) : i === 93 ? 0x300 / 8 : 0x308 / 8;
    printName(name);
    a.emit(E.ldstUimm(3, 1, 1, 29, slot));
    a.ref('imm26', 'puthex', E.bl(0));
  });
  endAndOff();

  const putc = (lbl: string) => {
    a.label(lbl);
    a.emit(E.ldstUimm(2, 1, 10, 20, 0x18 / 4));
    a.ref('imm14', lbl, E.tbz(10, 5, 0, 1));
    a.emit(E.ldstUimm(2, 0, 0, 20, 0));
  };
  a.label('putc'); putc('putc_poll'); a.emit(E.ret());
  a.label('puthex');
  a.emit(E.movz(11, 60));
  a.label('puthex_loop');
  a.emit(E.dp2(1, 9, 0, 1, 11), E.logImm(1, 0, 0, 0, 1, 0, 3), E.addImm(12, 0, 0x30), E.addImm(13, 0, 0x61 - 10), E.cmpImm(0, 10), E.csel(1, 0, 0, 0, 13, 12, E.Cond.HS));
  putc('puthex_poll');
  a.emit(E.subsImm(11, 11, 4));
  a.ref('imm19', 'puthex_loop', E.bcond(E.Cond.GE, 0));
  a.emit(E.movz(0, 0x0a));
  putc('puthex_nl');
  a.emit(E.ret());
  const image = a.finish();
  return { elf: writeElf64(BigInt(ENTRY), [{ paddr: BigInt(LOAD_ADDR), data: image }]), words };
}
