// RISU-like random A64 test images for differential testing (pkvm-emu vs qemu-system-aarch64 -M virt
// -cpu max). generateRandomImage(seed, count) returns an ELF that:
//   1. sets VBAR_ELx to a vector table that reports any exception over the UART and powers off;
//   2. loads x0..x28 and x30 with seeded random values, NZCV with a random value, x29 with the
//      address of a 4 KiB scratch area of random bytes, and SP with scratch + 2048;
//   3. runs `count` (at least) random instructions;
//   4. stores every register, prints `x00=…` … `x30=…`, `sp=…`, `nzcv=…`, `sum=…` (a checksum of the
//      scratch area) and `end` over the PL011, then calls PSCI SYSTEM_OFF (HVC #0 at EL1, SMC #0 at EL2).
// If an exception is taken instead, the vector prints `exc=<vector index>`, `esr=`, `elr=`, `far=`,
// `spsr=` and `end`, then powers off. All code here is raw A64 words built with ./a64enc.
//
// Memory map of the image (B = 0x4008_0000, one PT_LOAD segment, entry = B + 0x3000):
//   B+0x0000 vector table (16 × 0x80)        B+0x0800 exception reporter
//   B+0x1000 scratch, 4 KiB random bytes     B+0x2000 register save area (x29 + 4096 …)
//   B+0x3000 prologue, random block, epilogue, putc/puthex routines
//
// Register conventions inside the random block:
//   x29  scratch base; never written (not a destination of anything, not a writeback base).
//   x28  an ordinary random register, except that every memory instruction whose base is not x29 or
//        SP is emitted as a unit "ADD x28, x29, #k; <insn> [x28 …]", so its address is in bounds.
//   SP   = scratch + 2048; read (as a base or an ADD/SUB operand) but never written.
// A "unit" is a group of words that must execute together (e.g. the ADD above, or an LDXR/STXR pair);
// forward branches only ever target the first word of a unit or the epilogue, and only branch
// forward, so every image terminates.
//
// Rules applied to stay out of UNDEFINED / CONSTRAINED UNPREDICTABLE / faulting territory
// (Arm ARM DDI 0487, instruction pages in C6.2 and the lists in K1 "Architectural Constraints on
// UNPREDICTABLE behaviors"):
//   * Rd=31 means SP in ADD/SUB (immediate), ADD/SUB (extended register) and AND/ORR/EOR
//     (immediate) without S: those never get Rd=31. Nothing ever writes x29.
//   * Logical immediate: only valid N:immr:imms (DecodeBitMasks: len = HighestSetBit(N:NOT(imms))
//     >= 1, imms AND levels != levels, N=0 when sf=0).
//   * Bitfield (SBFM/BFM/UBFM) and EXTR: N == sf; with sf=0 immr<5> = imms<5> = 0.
//   * ADD/SUB shifted: shift != ROR; sf=0 → imm6<5> = 0. ADD/SUB extended: imm3 <= 4.
//     Logical shifted: sf=0 → imm6<5> = 0. REV (opc 11) only with sf=1. SMULH/UMULH: Ra = 11111.
//   * Load/store register with writeback (pre/post-index imm9, LDP/STP/LDPSW pre/post):
//     Rt != Rn and Rt2 != Rn (K1 "Load/store with writeback and Rt == Rn"); the base is always x28.
//   * LDP/LDNP/LDPSW and LDXP/LDAXP: Rt != Rt2 (K1 "Load pair with Rt == Rt2").
//   * STXR/STLXR/STXP/STLXP: Ws != Rt, Ws != Rt2, Ws != Rn (K1 "Store-Exclusive ... Rs == Rt/Rn").
//   * Load/store register offset: option in {UXTW, LSL, SXTW, SXTX} (option<1> = 0 is unallocated);
//     PRFM only with allocated prfop values (PLD/PLI/PST, L1..L3, KEEP/STRM); PRFM never in the
//     pre/post/unprivileged forms (unallocated).
//   * CASP: Rs and Rt even (odd is UNDEFINED); Rs <= 26 so Rs+1 never reaches x28/x29.
//   * Alignment: the MMU is off, so data accesses are Device-nGnRnE (D8 "Behavior when stage 1 is
//     disabled") and any unaligned access takes an Alignment fault. Every access is aligned to its
//     size, pairs (LDP/STP/LDXP/CASP/…) to twice the element size, and every address lies inside the
//     scratch area (or, for LDR literal, inside the image).
//   * Exclusives (B2.9 "Exclusive access instructions"): a Store-Exclusive only appears right after a
//     Load-Exclusive of the same address and size with nothing in between (mismatched address/size,
//     or an intervening store, is IMPLEMENTATION DEFINED / CONSTRAINED UNPREDICTABLE), or right after
//     CLREX (monitor Open → the store fails deterministically). A lone Load-Exclusive may appear.
//   * No backward branches, no WFI/WFE, no system-register writes other than NZCV, no SVC/HVC/BRK.

import * as E from './a64enc';
import { Asm } from './asm';
import { writeElf64 } from './elf-writer';
import { Rng } from './prng';
import { emitVectorStubs } from './vector-stubs';

export const LOAD_ADDR = 0x4008_0000;
export const VECTORS = LOAD_ADDR;
export const SCRATCH = LOAD_ADDR + 0x1000;
export const SCRATCH_SIZE = 0x1000;
export const SAVE_AREA = LOAD_ADDR + 0x2000;
export const ENTRY = LOAD_ADDR + 0x3000;
export const SP_VALUE = SCRATCH + 2048;
const UART = 0x0900_0000;
const PSCI_SYSTEM_OFF = 0x8400_0008;

/** Instruction classes; pass a subset as `classes` to restrict the generator. */
export const ALL_CLASSES = ['dpimm', 'dpreg', 'crc', 'branch', 'ldst', 'atomic', 'system'] as const;
export type InsnClass = (typeof ALL_CLASSES)[number];
const WEIGHTS: Record<InsnClass, number> = { dpimm: 24, dpreg: 34, crc: 2, branch: 9, ldst: 21, atomic: 8, system: 2 };

/** Names of the dump lines, in print order. */
export const DUMP_NAMES: readonly string[] = [
  ...Array.from({ length: 31 }, (_, i) => `x${String(i).padStart(2, '0')}`),
  'sp',
  'nzcv',
  'sum',
];

export interface RandomImageOptions {
  /** Image runs at EL2 (QEMU `virtualization=on`): uses VBAR/ESR/ELR/FAR/SPSR_EL2 and PSCI via SMC #0. */
  el2?: boolean;
  /**
   * Also set SCTLR_ELx.A so that every misaligned data access faults even where the CPU model is lax
   * (QEMU 7.2 does not fault misaligned non-exclusive accesses to Device memory with the MMU off).
   * A self-check of the generator; adds MRS/ORR/MSR SCTLR + ISB to the prologue.
   */
  strictAlign?: boolean;
  /**
   * Runs the random block this many times (a counter in the save area, decremented by a tail at the
   * epilogue label with SUBS, so NZCV on entry to every pass after the first is the tail's). For the
   * tier-differential tests (test/jit): the compiled tier only compiles code that runs repeatedly.
   */
  repeat?: number;
}

export interface RandomImage {
  /** The ELF file. */
  elf: Uint8Array;
  /** The random block only (including the helper words of multi-word units). */
  words: number[];
  /** Address of words[0]. */
  blockAddr: number;
  /** Entry point (also e_entry). */
  entry: number;
  /** The flat image loaded at LOAD_ADDR. */
  image: Uint8Array;
}

const SCRATCH_BASE = 29;
const WB_BASE = 28;
const SP = 31;

/** Generate a random differential-test image. Same (seed, count, classes, opts) → same bytes. */
export function generateRandomImage(
  seed: number,
  count: number,
  classes?: string[],
  opts: RandomImageOptions = {},
): RandomImage {
  const cls = (classes ?? [...ALL_CLASSES]) as InsnClass[];
  for (const c of cls) if (!(ALL_CLASSES as readonly string[]).includes(c)) throw new Error(`unknown instruction class ${c}`);
  if (cls.length === 0) throw new Error('no instruction classes');
  const rng = new Rng(seed);
  const a = new Asm(LOAD_ADDR);
  const el2 = !!opts.el2;
  const R = {
    VBAR: el2 ? E.SysReg.VBAR_EL2 : E.SysReg.VBAR_EL1,
    ESR: el2 ? E.SysReg.ESR_EL2 : E.SysReg.ESR_EL1,
    ELR: el2 ? E.SysReg.ELR_EL2 : E.SysReg.ELR_EL1,
    FAR: el2 ? E.SysReg.FAR_EL2 : E.SysReg.FAR_EL1,
    SPSR: el2 ? E.SysReg.SPSR_EL2 : E.SysReg.SPSR_EL1,
    SCTLR: el2 ? E.SysReg.SCTLR_EL2 : E.SysReg.SCTLR_EL1,
  };
  const psciCall = el2 ? E.smc(0) : E.hvc(0);

  // ---- vectors: entry i does "MOVZ x21, #i; B report"
  emitVectorStubs(a, VECTORS, 21);
  a.emit(E.mrs(22, R.ESR), E.mrs(23, R.ELR), E.mrs(24, R.FAR), E.mrs(25, R.SPSR));
  a.emit(E.movz(20, UART >>> 16, 1));
  const printLine = (name: string, reg: number) => {
    for (const ch of name + '=') {
      a.emit(E.movz(0, ch.charCodeAt(0)));
      a.ref('imm26', 'putc', E.bl(0));
    }
    if (reg !== 1) a.emit(E.movReg(1, reg));
    a.ref('imm26', 'puthex', E.bl(0));
  };
  const printEndAndPowerOff = () => {
    for (const ch of 'end\n') {
      a.emit(E.movz(0, ch.charCodeAt(0)));
      a.ref('imm26', 'putc', E.bl(0));
    }
    a.emit(E.movz(0, PSCI_SYSTEM_OFF & 0xffff, 0, 0), E.movk(0, PSCI_SYSTEM_OFF >>> 16, 1, 0), psciCall);
    a.emit(E.b(0)); // not reached
  };
  printLine('exc', 21);
  printLine('esr', 22);
  printLine('elr', 23);
  printLine('far', 24);
  printLine('spsr', 25);
  printEndAndPowerOff();

  // ---- data
  a.org(SCRATCH);
  a.data(rng.bytes(SCRATCH_SIZE));
  a.org(ENTRY);

  // ---- prologue
  const mov64 = (rd: number, v: bigint) => {
    const chunks = [0, 1, 2, 3].map((i) => Number((v >> BigInt(16 * i)) & 0xffffn));
    a.emit(E.movz(rd, chunks[0], 0));
    for (let i = 1; i < 4; i++) if (chunks[i] !== 0) a.emit(E.movk(rd, chunks[i], i));
  };
  mov64(0, BigInt(VECTORS));
  a.emit(E.msr(R.VBAR, 0), E.ISB);
  if (opts.strictAlign) {
    // ORR x0, x0, #2 (SCTLR.A)
    a.emit(E.mrs(0, R.SCTLR), E.logImm(1, 1, 0, 0, 1, 63, 0), E.msr(R.SCTLR, 0), E.ISB);
  }
  mov64(SCRATCH_BASE, BigInt(SCRATCH));
  a.emit(E.addImm(SP, SCRATCH_BASE, 2048)); // MOV SP, x29 + 2048
  if (opts.repeat) a.emit(E.movz(0, opts.repeat), E.ldstUimm(3, 0, 0, SCRATCH_BASE, 512 + 40)); // pass counter
  a.emit(E.movz(0, rng.int(16) << 12, 1), E.msr(E.SysReg.NZCV, 0));
  for (let r = 0; r <= 30; r++) if (r !== SCRATCH_BASE) mov64(r, interesting64(rng));

  // ---- random block
  const blockAddr = a.pc();
  a.label('again');
  const gen = new BlockGen(rng, a, cls);
  gen.run(count);
  const blockEnd = a.pc();

  // ---- epilogue: save registers, checksum, print, power off
  a.label('epilogue');
  if (opts.repeat) {
    a.emit(E.ldstUimm(3, 0, 0, SCRATCH_BASE, 512 + 41), E.ldstUimm(3, 1, 0, SCRATCH_BASE, 512 + 40)); // save x0; x0 = counter
    a.emit(E.subsImm(0, 0, 1), E.ldstUimm(3, 0, 0, SCRATCH_BASE, 512 + 40), E.ldstUimm(3, 1, 0, SCRATCH_BASE, 512 + 41));
    a.ref('imm19', 'again', E.bcond(E.Cond.NE, 0));
  }
  const slot = (i: number) => E.ldstUimm(3, 0, i, SCRATCH_BASE, (SAVE_AREA - SCRATCH) / 8 + i);
  for (let r = 0; r <= 30; r++) a.emit(slot(r)); // STR xr, [x29, #4096 + 8r] (x29 too)
  a.emit(E.mrs(0, E.SysReg.NZCV), E.ldstUimm(3, 0, 0, SCRATCH_BASE, 512 + 32));
  a.emit(E.addImm(0, SP, 0), E.ldstUimm(3, 0, 0, SCRATCH_BASE, 512 + 31)); // MOV x0, SP
  // checksum: h = 0; for each doubleword w: h = h * FNV_PRIME + w
  a.emit(E.movz(1, 0));
  mov64(3, 0x100000001b3n);
  a.emit(E.addImm(4, SCRATCH_BASE, 0), E.movz(5, SCRATCH_SIZE / 8));
  a.label('sumloop');
  a.emit(E.ldstImm9(3, 1, 2, 4, 8, 1)); // LDR x2, [x4], #8
  a.emit(E.dp3(1, 0, 0, 1, 1, 3, 2)); // MADD x1, x1, x3, x2
  a.emit(E.subsImm(5, 5, 1));
  a.ref('imm19', 'sumloop', E.bcond(E.Cond.NE, 0));
  a.emit(E.ldstUimm(3, 0, 1, SCRATCH_BASE, 512 + 33));
  a.emit(E.movz(20, UART >>> 16, 1));
  DUMP_NAMES.forEach((name, i) => {
    const slotIdx = i <= 30 ? i : name === 'sp' ? 31 : name === 'nzcv' ? 32 : 33;
    for (const ch of name + '=') {
      a.emit(E.movz(0, ch.charCodeAt(0)));
      a.ref('imm26', 'putc', E.bl(0));
    }
    a.emit(E.ldstUimm(3, 1, 1, SCRATCH_BASE, 512 + slotIdx));
    a.ref('imm26', 'puthex', E.bl(0));
  });
  printEndAndPowerOff();

  // ---- putc(w0): wait while UARTFR.TXFF, then write UARTDR. Uses x10, x20 = UART base.
  const emitPutc = (lbl: string) => {
    a.label(lbl);
    a.emit(E.ldstUimm(2, 1, 10, 20, 0x18 / 4)); // LDR w10, [x20, #0x18]
    a.ref('imm14', lbl, E.tbz(10, 5, 0, 1)); // TBNZ w10, #5, poll
    a.emit(E.ldstUimm(2, 0, 0, 20, 0)); // STR w0, [x20]
  };
  a.label('putc');
  emitPutc('putc_poll');
  a.emit(E.ret());
  // ---- puthex(x1): 16 lower-case hex digits and '\n'. Uses x0, x10..x13.
  a.label('puthex');
  a.emit(E.movz(11, 60));
  a.label('puthex_loop');
  a.emit(
    E.dp2(1, 9, 0, 1, 11), // LSRV x0, x1, x11
    E.logImm(1, 0, 0, 0, 1, 0, 3), // AND x0, x0, #0xf
    E.addImm(12, 0, 0x30), // x12 = '0' + d
    E.addImm(13, 0, 0x61 - 10), // x13 = 'a' + d - 10
    E.cmpImm(0, 10),
    E.csel(1, 0, 0, 0, 13, 12, E.Cond.HS), // x0 = d >= 10 ? x13 : x12
  );
  emitPutc('puthex_poll');
  a.emit(E.subsImm(11, 11, 4));
  a.ref('imm19', 'puthex_loop', E.bcond(E.Cond.GE, 0));
  a.emit(E.movz(0, 0x0a));
  emitPutc('puthex_nl');
  a.emit(E.ret());

  const image = a.finish();
  const words = a.words.slice((blockAddr - LOAD_ADDR) / 4, (blockEnd - LOAD_ADDR) / 4);
  const elf = writeElf64(BigInt(ENTRY), [{ paddr: BigInt(LOAD_ADDR), data: image }]);
  return { elf, words, blockAddr, entry: ENTRY, image };
}

/** A seeded 64-bit value, biased towards edge cases. */
function interesting64(rng: Rng): bigint {
  const M = (1n << 64n) - 1n;
  switch (rng.int(12)) {
    case 0: return 0n;
    case 1: return M;
    case 2: return BigInt(rng.int(256));
    case 3: return (M - BigInt(rng.int(256))) & M;
    case 4: return 1n << BigInt(rng.int(64));
    case 5: return 0x7fffffffffffffffn - BigInt(rng.int(4));
    case 6: return BigInt(rng.u32());
    case 7: return BigInt.asUintN(64, BigInt(rng.u32() | 0)); // sign-extended 32-bit
    case 8: return 0x80000000n + BigInt(rng.int(4)) - 2n;
    default: return rng.u64();
  }
}

/** Pre-/post-index etc. address form: offsets allowed on top of the base, in bytes. */
interface OffForm {
  min: number;
  max: number;
  step: number;
}

class BlockGen {
  private unit = 0;
  private maxTarget = 0;
  private readonly total: number;
  private readonly cumulative: { c: InsnClass; w: number }[] = [];

  constructor(private readonly rng: Rng, private readonly a: Asm, classes: InsnClass[]) {
    let acc = 0;
    for (const c of classes) this.cumulative.push({ c, w: (acc += WEIGHTS[c]) });
    this.total = acc;
  }

  run(count: number) {
    const start = this.a.words.length;
    while (this.a.words.length - start < count) {
      this.a.label(`u${this.unit}`);
      this.oneUnit();
      this.unit++;
    }
    const end = this.a.pc();
    for (let u = this.unit; u <= this.maxTarget; u++) this.a.defineAt(`u${u}`, end);
  }

  private oneUnit() {
    const x = this.rng.int(this.total);
    const c = this.cumulative.find((e) => x < e.w)!.c;
    switch (c) {
      case 'dpimm': return this.dpimm();
      case 'dpreg': return this.dpreg();
      case 'crc': return this.crc();
      case 'branch': return this.branch();
      case 'ldst': return this.ldst();
      case 'atomic': return this.atomic();
      case 'system': return this.system();
    }
  }

  // ---------------------------------------------------------------- register pickers
  /** Destination where 31 is XZR: any register but x29. */
  private rdZ(): number {
    const v = this.rng.int(31); // 0..30 → 0..28, 30, 31
    return v < 29 ? v : v + 1;
  }
  /** Destination where 31 would be SP: 0..28, 30. */
  private rdNoSp(): number {
    const v = this.rng.int(30);
    return v < 29 ? v : 30;
  }
  /** Any source register 0..31. */
  private rs(): number {
    return this.rng.int(32);
  }
  private sf(): number {
    return this.rng.int(2);
  }
  /** Pick a register from 0..31 avoiding `bad`. */
  private regExcept(bad: number[]): number {
    for (;;) {
      const r = this.rng.int(32);
      if (!bad.includes(r)) return r;
    }
  }
  private target(): string {
    const t = this.unit + 1 + this.rng.int(6);
    this.maxTarget = Math.max(this.maxTarget, t);
    return `u${t}`;
  }
  private mov64(rd: number, v: bigint) {
    const chunks = [0, 1, 2, 3].map((i) => Number((v >> BigInt(16 * i)) & 0xffffn));
    this.a.emit(E.movz(rd, chunks[0], 0));
    for (let i = 1; i < 4; i++) if (chunks[i] !== 0) this.a.emit(E.movk(rd, chunks[i], i));
  }

  // ---------------------------------------------------------------- data processing (immediate)
  private dpimm() {
    const g = this.rng;
    const sf = this.sf();
    switch (g.int(7)) {
      case 0: {
        const op = g.int(2), s = g.int(2);
        this.a.emit(E.addsubImm(sf, op, s, s ? this.rdZ() : this.rdNoSp(), this.rs(), g.int(4096), g.int(2)));
        break;
      }
      case 1: {
        const opc = g.int(4);
        const { n, immr, imms } = randomBitmask(g, sf);
        this.a.emit(E.logImm(sf, opc, opc === 3 ? this.rdZ() : this.rdNoSp(), this.rs(), n, immr, imms));
        break;
      }
      case 2: {
        this.a.emit(E.movw(sf, g.pick([0, 2, 3]), this.rdZ(), g.int(65536), g.int(sf ? 4 : 2)));
        break;
      }
      case 3: {
        const w = sf ? 64 : 32;
        this.a.emit(E.bitfield(sf, g.int(3), this.rdZ(), this.rs(), g.int(w), g.int(w)));
        break;
      }
      case 4:
        this.a.emit(E.extr(sf, this.rdZ(), this.rs(), this.rs(), g.int(sf ? 64 : 32)));
        break;
      case 5: // ADR / ADRP with any offset: the result depends only on the (fixed) PC
        this.a.emit(E.adr(this.rdZ(), g.range(-(1 << 20), (1 << 20) - 1), g.int(2)));
        break;
      case 6: // MOVZ/MOVN with small immediates: interesting shift and divide operands
        this.a.emit(E.movw(sf, g.pick([0, 2]), this.rdZ(), g.int(70), 0));
        break;
    }
  }

  // ---------------------------------------------------------------- data processing (register)
  private dpreg() {
    const g = this.rng;
    const sf = this.sf();
    const w = sf ? 64 : 32;
    switch (g.int(10)) {
      case 0:
        this.a.emit(E.addsubShift(sf, g.int(2), g.int(2), this.rdZ(), this.rs(), this.rs(), g.int(3), g.int(w)));
        break;
      case 1: {
        const s = g.int(2);
        this.a.emit(E.addsubExt(sf, g.int(2), s, s ? this.rdZ() : this.rdNoSp(), this.rs(), this.rs(), g.int(8), g.int(5)));
        break;
      }
      case 2:
        this.a.emit(E.logShift(sf, g.int(4), g.int(2), this.rdZ(), this.rs(), this.rs(), g.int(4), g.int(w)));
        break;
      case 3:
        this.a.emit(E.adcsbc(sf, g.int(2), g.int(2), this.rdZ(), this.rs(), this.rs()));
        break;
      case 4:
        if (g.bool()) this.a.emit(E.ccmpReg(sf, g.int(2), this.rs(), this.rs(), g.int(16), g.int(16)));
        else this.a.emit(E.ccmpImm(sf, g.int(2), this.rs(), g.int(32), g.int(16), g.int(16)));
        break;
      case 5:
        this.a.emit(E.csel(sf, g.int(2), g.int(2), this.rdZ(), this.rs(), this.rs(), g.int(16)));
        break;
      case 6: {
        const ops = sf ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 4, 5];
        this.a.emit(E.dp1(sf, g.pick(ops), this.rdZ(), this.rs()));
        break;
      }
      case 7:
        this.a.emit(E.dp2(sf, g.pick([2, 3, 8, 9, 10, 11]), this.rdZ(), this.rs(), this.rs()));
        break;
      case 8:
      case 9: {
        // MADD/MSUB (both widths); the long and high forms are 64-bit only
        const k = sf ? g.int(4) : 0;
        if (k === 0) this.a.emit(E.dp3(sf, 0, g.int(2), this.rdZ(), this.rs(), this.rs(), this.rs()));
        else if (k === 1 || k === 2) this.a.emit(E.dp3(1, g.pick([1, 5]), g.int(2), this.rdZ(), this.rs(), this.rs(), this.rs()));
        else this.a.emit(E.dp3(1, g.pick([2, 6]), 0, this.rdZ(), this.rs(), this.rs(), 31));
        break;
      }
    }
  }

  private crc() {
    const g = this.rng;
    const sz = g.int(4); // B H W X
    const c = g.int(2);
    this.a.emit(E.dp2(sz === 3 ? 1 : 0, 16 | (c << 2) | sz, this.rdZ(), this.rs(), this.rs()));
  }

  // ---------------------------------------------------------------- branches (forward only)
  private branch() {
    const g = this.rng;
    const a = this.a;
    switch (g.int(7)) {
      case 0:
      case 1:
        a.ref('imm19', this.target(), E.bcond(g.int(16), 0));
        break;
      case 2:
        a.ref('imm19', this.target(), E.cbz(this.sf(), this.rs(), 0, g.int(2)));
        break;
      case 3:
        a.ref('imm14', this.target(), E.tbz(this.rs(), g.int(64), 0, g.int(2)));
        break;
      case 4:
        a.ref('imm26', this.target(), g.bool(0.7) ? E.b(0) : E.bl(0));
        break;
      case 5: {
        // ADR xM, target; BR/BLR/RET xM
        const m = this.rdNoSp();
        a.ref('adr', this.target(), E.adr(m, 0));
        a.emit(g.pick([E.br, E.blr, E.ret])(m));
        break;
      }
      case 6: // TBZ/TBNZ on a low bit (more often taken/not-taken mixes than a random bit)
        a.ref('imm14', this.target(), E.tbz(this.rs(), g.int(4), 0, g.int(2)));
        break;
    }
  }

  // ---------------------------------------------------------------- loads and stores
  /**
   * Choose a base register and an encodable offset so that base + offset = scratch + addr for an
   * aligned addr with room for `bytes`. Bases: x29 (scratch), SP (scratch + 2048), or x28 set by a
   * preceding ADD x28, x29, #k. Returns the base register and offset; emits the ADD if needed.
   */
  private address(form: OffForm, bytes: number, align: number, allowFixedBase = true): { rn: number; off: number } {
    const g = this.rng;
    for (;;) {
      const addr = g.int((SCRATCH_SIZE - bytes) / align + 1) * align;
      const kind = allowFixedBase ? g.int(3) : 2;
      if (kind < 2) {
        const base = kind === 0 ? 0 : 2048;
        const off = addr - base;
        if (off >= form.min && off <= form.max && off % form.step === 0) {
          return { rn: kind === 0 ? SCRATCH_BASE : SP, off };
        }
        continue;
      }
      const lo = Math.ceil(Math.max(form.min, addr - 4095) / form.step);
      const hi = Math.floor(Math.min(form.max, addr) / form.step);
      if (lo > hi) continue;
      const off = g.range(lo, hi) * form.step;
      this.a.emit(E.addImm(WB_BASE, SCRATCH_BASE, addr - off));
      return { rn: WB_BASE, off };
    }
  }

  /** ADD x28, x29, #addr for an aligned addr; for instructions that take only [Xn|SP]. */
  private plainBase(bytes: number, align: number): number {
    const g = this.rng;
    const k = g.int(3);
    if (k === 0) return SCRATCH_BASE; // scratch + 0
    if (k === 1) return SP; // scratch + 2048, aligned to 16
    const addr = g.int((SCRATCH_SIZE - bytes) / align + 1) * align;
    this.a.emit(E.addImm(WB_BASE, SCRATCH_BASE, addr));
    return WB_BASE;
  }

  private ldst() {
    const g = this.rng;
    const k = g.int(20);
    if (k < 6) return this.ldstUimmOrUnscaled(k < 4);
    if (k < 9) return this.ldstWriteback();
    if (k < 11) return this.ldstRegOffset();
    if (k < 12) return this.ldstUnpriv();
    if (k < 13) return this.ldrLiteral();
    return this.ldstPair();
  }

  /** (size, opc) of single-register loads/stores; prfm adds (3, 2). */
  private sizeOpc(prfm: boolean): { size: number; opc: number } {
    const all: [number, number][] = [
      [0, 0], [1, 0], [2, 0], [3, 0], // STRB STRH STR W STR X
      [0, 1], [1, 1], [2, 1], [3, 1], // LDRB LDRH LDR W LDR X
      [0, 2], [0, 3], [1, 2], [1, 3], [2, 2], // LDRSB X/W, LDRSH X/W, LDRSW
    ];
    if (prfm) all.push([3, 2]);
    const [size, opc] = this.rng.pick(all);
    return { size, opc };
  }

  /** Rt for a single-register load/store: loads never write x29; writeback forms avoid the base. */
  private rt(opc: number, size: number, wbBase?: number): number {
    if (size === 3 && opc === 2) return randomPrfop(this.rng);
    const bad: number[] = [];
    if (opc !== 0) bad.push(SCRATCH_BASE);
    if (wbBase !== undefined) bad.push(wbBase);
    return this.regExcept(bad);
  }

  private ldstUimmOrUnscaled(scaled: boolean) {
    const { size, opc } = this.sizeOpc(true);
    const bytes = 1 << size;
    if (scaled) {
      const { rn, off } = this.address({ min: 0, max: 4095 * bytes, step: bytes }, bytes, bytes);
      this.a.emit(E.ldstUimm(size, opc, this.rt(opc, size), rn, off / bytes));
    } else {
      const { rn, off } = this.address({ min: -256, max: 255, step: 1 }, bytes, bytes);
      this.a.emit(E.ldstImm9(size, opc, this.rt(opc, size), rn, off, 0));
    }
  }

  private ldstWriteback() {
    const g = this.rng;
    const { size, opc } = this.sizeOpc(false);
    const bytes = 1 << size;
    const pre = g.bool();
    const rt = this.rt(opc, size, WB_BASE);
    if (pre) {
      const { off } = this.address({ min: -256, max: 255, step: 1 }, bytes, bytes, false);
      this.a.emit(E.ldstImm9(size, opc, rt, WB_BASE, off, 3));
    } else {
      const addr = g.int(SCRATCH_SIZE / bytes) * bytes;
      this.a.emit(E.addImm(WB_BASE, SCRATCH_BASE, addr));
      this.a.emit(E.ldstImm9(size, opc, rt, WB_BASE, g.range(-256, 255), 1));
    }
  }

  private ldstUnpriv() {
    const { size, opc } = this.sizeOpc(false);
    const bytes = 1 << size;
    const { rn, off } = this.address({ min: -256, max: 255, step: 1 }, bytes, bytes);
    this.a.emit(E.ldstImm9(size, opc, this.rt(opc, size), rn, off, 2));
  }

  private ldstRegOffset() {
    const g = this.rng;
    const { size, opc } = this.sizeOpc(true);
    const bytes = 1 << size;
    const option = g.pick([2, 3, 6, 7]); // UXTW LSL SXTW SXTX
    const s = g.int(2);
    const shift = s ? size : 0;
    const addr = g.int(SCRATCH_SIZE / bytes) * bytes;
    const rm = g.bool(0.1) ? 31 : this.regExcept([WB_BASE, SCRATCH_BASE, 31]);
    let k: number;
    let idx = 0n; // the value of Rm, before extension
    if (rm === 31) {
      k = addr;
    } else {
      // offset = addr - k must be a multiple of (1 << shift); for UXTW it must be >= 0
      for (;;) {
        k = g.int(4096);
        const o = addr - k;
        if (o % (1 << shift) !== 0) continue;
        if (option === 2 && o < 0) continue;
        const scaled = BigInt(o / (1 << shift));
        if (option === 3 || option === 7) idx = BigInt.asUintN(64, scaled);
        else idx = (BigInt(g.u32() & 0xffff) << 48n) | (BigInt(g.u32() & 0xffff) << 32n) | BigInt.asUintN(32, scaled);
        break;
      }
      this.mov64(rm, idx);
    }
    this.a.emit(E.addImm(WB_BASE, SCRATCH_BASE, k));
    this.a.emit(E.ldstReg(size, opc, this.rt(opc, size), WB_BASE, rm, option, s));
  }

  private ldrLiteral() {
    const g = this.rng;
    const opc = g.int(4); // LDR W, LDR X, LDRSW, PRFM
    const align = opc === 1 ? 8 : 4;
    let target: number;
    if (g.bool(0.8)) target = SCRATCH + g.int(SCRATCH_SIZE / align) * align;
    else target = LOAD_ADDR + g.int(0x800 / align) * align; // the vector table: fixed words
    const off = (target - this.a.pc()) / 4;
    if (off < -(1 << 18)) {
      // out of LDR-literal range in a huge image: fall back to a plain load
      return this.ldstUimmOrUnscaled(true);
    }
    const rt = opc === 3 ? randomPrfop(g) : this.regExcept([SCRATCH_BASE]);
    this.a.emit(E.ldrLit(opc, rt, off));
  }

  private ldstPair() {
    const g = this.rng;
    // [opc, l]: STP W, LDP W, LDPSW, STP X, LDP X
    const [opc, l] = g.pick([[0, 0], [0, 1], [1, 1], [2, 0], [2, 1]] as const);
    const mode = opc === 1 ? g.range(1, 3) : g.int(4); // LDNP/STNP have no LDPSW form
    const esize = opc === 2 ? 8 : 4;
    const wb = mode === 1 || mode === 3;
    const bad: number[] = [];
    if (l) bad.push(SCRATCH_BASE);
    if (wb) bad.push(WB_BASE);
    const rt = this.regExcept(bad);
    const rt2 = this.regExcept(l ? [...bad, rt] : bad);
    const form: OffForm = { min: -64 * esize, max: 63 * esize, step: esize };
    let off: number, rn: number;
    if (mode === 1) {
      const addr = g.int(SCRATCH_SIZE / (2 * esize)) * 2 * esize;
      this.a.emit(E.addImm(WB_BASE, SCRATCH_BASE, addr));
      rn = WB_BASE;
      off = g.range(-64, 63) * esize;
    } else {
      ({ rn, off } = this.address(form, 2 * esize, 2 * esize, mode !== 3));
    }
    this.a.emit(E.ldstPair(opc, l, mode, rt, rt2, rn, off / esize));
  }

  // ---------------------------------------------------------------- exclusives, LSE, acquire/release
  private atomic() {
    const g = this.rng;
    switch (g.int(9)) {
      case 0:
      case 1:
        return this.exclusivePair();
      case 2:
        return this.loneExclusive();
      case 3:
      case 4:
        return this.lseOp();
      case 5:
        return this.casOp();
      case 6:
        return this.caspOp();
      default:
        return this.acqRel();
    }
  }

  private exclusivePair() {
    const g = this.rng;
    const pair = g.bool(0.3);
    const acq = g.int(2), rel = g.int(2);
    if (!pair) {
      const size = g.int(4);
      const bytes = 1 << size;
      const rn = this.plainBase(bytes, bytes);
      const lt = this.regExcept([WB_BASE, SCRATCH_BASE]); // the load must not move the base
      const st = this.rs();
      const ws = this.regExcept([WB_BASE, SCRATCH_BASE, 31, st]);
      this.a.emit(E.ldxr(size, lt, rn, acq), E.stxr(size, ws, st, rn, rel));
    } else {
      const sz = g.int(2);
      const bytes = sz ? 16 : 8;
      const rn = this.plainBase(bytes, bytes);
      const lt = this.regExcept([WB_BASE, SCRATCH_BASE]);
      const lt2 = this.regExcept([WB_BASE, SCRATCH_BASE, lt]);
      const st = this.rs(), st2 = this.rs();
      const ws = this.regExcept([WB_BASE, SCRATCH_BASE, 31, st, st2]);
      this.a.emit(E.ldxp(sz, lt, lt2, rn, acq), E.stxp(sz, ws, st, st2, rn, rel));
    }
  }

  /** A Load-Exclusive alone, or CLREX followed by a Store-Exclusive that must fail. */
  private loneExclusive() {
    const g = this.rng;
    const size = g.int(4);
    const bytes = 1 << size;
    if (g.bool()) {
      const rn = this.plainBase(bytes, bytes);
      this.a.emit(E.ldxr(size, this.regExcept([SCRATCH_BASE]), rn, g.int(2)));
    } else {
      this.a.emit(E.clrex(g.int(16)));
      const rn = this.plainBase(bytes, bytes);
      const st = this.rs();
      const ws = this.regExcept([WB_BASE, SCRATCH_BASE, 31, st, rn]);
      this.a.emit(E.stxr(size, ws, st, rn, g.int(2)));
    }
  }

  private lseOp() {
    const g = this.rng;
    const size = g.int(4);
    const bytes = 1 << size;
    const rn = this.plainBase(bytes, bytes);
    const swp = g.bool(0.2);
    const rt = this.regExcept([SCRATCH_BASE]);
    this.a.emit(E.ldatomic(size, g.int(2), g.int(2), swp ? 1 : 0, swp ? 0 : g.int(8), this.rs(), rt, rn));
  }

  private casOp() {
    const g = this.rng;
    const size = g.int(4);
    const bytes = 1 << size;
    const rn = this.plainBase(bytes, bytes);
    const rs = this.regExcept([WB_BASE, SCRATCH_BASE]);
    // half the time load the current value into Rs first so the compare succeeds
    if (g.bool() && rs !== 31) this.a.emit(E.ldstUimm(size, 1, rs, rn, 0));
    this.a.emit(E.cas(size, g.int(2), g.int(2), rs, this.rs(), rn));
  }

  private caspOp() {
    const g = this.rng;
    const sz = g.int(2);
    const bytes = sz ? 16 : 8;
    const rn = this.plainBase(bytes, bytes);
    const rs = g.int(14) * 2; // 0..26
    const rt = g.int(15) * 2; // 0..28
    if (g.bool()) this.a.emit(E.ldstPair(sz ? 2 : 0, 1, 2, rs, rs + 1, rn, 0));
    this.a.emit(E.casp(sz, g.int(2), g.int(2), rs, rt, rn));
  }

  private acqRel() {
    const g = this.rng;
    const size = g.int(4);
    const bytes = 1 << size;
    const rn = this.plainBase(bytes, bytes);
    switch (g.int(3)) {
      case 0:
        this.a.emit(E.ldar(size, this.regExcept([SCRATCH_BASE]), rn));
        break;
      case 1:
        this.a.emit(E.stlr(size, this.rs(), rn));
        break;
      case 2:
        this.a.emit(E.ldapr(size, this.regExcept([SCRATCH_BASE]), rn));
        break;
    }
  }

  // ---------------------------------------------------------------- system
  private system() {
    const g = this.rng;
    switch (g.int(6)) {
      case 0:
        this.a.emit(E.NOP);
        break;
      case 1:
        this.a.emit(g.bool() ? E.dmb(g.pick([1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15])) : E.dsb(g.pick([1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15])));
        break;
      case 2:
        this.a.emit(E.ISB);
        break;
      case 3:
        this.a.emit(E.clrex(g.int(16)));
        break;
      case 4:
        this.a.emit(E.mrs(this.rdZ(), E.SysReg.NZCV));
        break;
      case 5:
        this.a.emit(E.msr(E.SysReg.NZCV, this.rs()));
        break;
    }
  }
}

/** A valid logical-immediate bitmask encoding (see DecodeBitMasks in the Arm ARM pseudocode). */
export function randomBitmask(rng: Rng, sf: number): { n: number; immr: number; imms: number } {
  const sizes = sf ? [2, 4, 8, 16, 32, 64] : [2, 4, 8, 16, 32];
  const e = rng.pick(sizes);
  const ones = rng.range(1, e - 1); // S = ones-1 != levels (all-ones is reserved)
  const immr = rng.int(64) & (sf ? 63 : 31) & (rng.bool(0.8) ? e - 1 : 63); // high bits are ignored but legal
  if (e === 64) return { n: 1, immr, imms: ones - 1 };
  const imms = ((~(2 * e - 1)) & 0x3f) | (ones - 1);
  return { n: 0, immr, imms };
}

/** PRFM prfop: type PLD/PLI/PST, target L1..L3, policy KEEP/STRM (all allocated). */
function randomPrfop(rng: Rng): number {
  return (rng.int(3) << 3) | (rng.int(3) << 1) | rng.int(2);
}
