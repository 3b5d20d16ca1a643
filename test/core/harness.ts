// Unit-test harness for the A64 core: places instruction words at CODE (0x4008_0000), sets up
// registers / flags / memory / system registers, runs exactly N instructions with core.run(N) and
// returns the architectural state. Expected values in the tests come from the Arm ARM (DDI 0487),
// never from running the emulator.
import { expect } from 'vitest';
import { Core, SR, type CoreConfig, type ExitReason } from '../../machine/core';

export { SR };

export const RAM_BASE = 0x4000_0000n;
export const RAM_SIZE = 16 * 1024 * 1024;
/** Where the instructions under test are placed (MMU off: VA = PA). */
export const CODE = 0x4008_0000n;
/** A scratch data area (64 KiB, zeroed before every run). */
export const DATA = 0x4010_0000n;
/** Stack top used when a test asks for a stack. */
export const STACK = 0x4020_0000n;
/** Exception vector bases: VBAR_EL1 / VBAR_EL2 (2 KiB aligned, filled with NOPs). */
export const VBAR1 = 0x4004_0000n;
export const VBAR2 = 0x4005_0000n;

export const U64 = (1n << 64n) - 1n;
export const u64 = (v: bigint) => BigInt.asUintN(64, v);
export const u32 = (v: bigint) => BigInt.asUintN(32, v);
export const s64 = (v: bigint) => BigInt.asIntN(64, v);

/** NZCV nibble helpers: N=8 Z=4 C=2 V=1. */
export const N = 8, Z = 4, C = 2, V = 1;

export const NOP = 0xd503201f;

const cores = new Map<string, Core>();

/** One Core per configuration, reused across tests of a file (reset before every run). */
export function getCore(cfg: CoreConfig = {}): Core {
  const key = JSON.stringify({
    haveEL2: !!cfg.haveEL2, el2Hosted: !!cfg.el2Hosted, psciSmc: !!cfg.psciSmc, semihosting: !!cfg.semihosting, cpu: cfg.cpu ?? 'max',
  });
  let c = cores.get(key);
  if (!c) {
    c = new Core(RAM_SIZE, cfg);
    cores.set(key, c);
  }
  return c;
}

export interface Setup {
  /** Exception level to start in (0, 1 or 2); EL0 starts as EL0t. Default 1 (EL1h). */
  el?: number;
  /** PSTATE.SP (SPSel) for EL1/EL2. Default 1. */
  spsel?: number;
  /** X0..X30 initial values. */
  x?: Record<number, bigint | number>;
  /** Initial SP of the selected stack. */
  sp?: bigint;
  /** NZCV as a nibble (N=8, Z=4, C=2, V=1). */
  nzcv?: number;
  /** DAIF bits as a nibble (D=8 A=4 I=2 F=1). Default 0xf (all masked, as at reset). */
  daif?: number;
  /** Memory contents to place before running: [pa, bytes]. */
  mem?: Array<[bigint, Uint8Array]>;
  /** System registers to set (SR index → value) after reset. */
  sysregs?: Array<[number, bigint]>;
  /** Core configuration (selects a cached Core). */
  config?: CoreConfig;
  /** Number of instructions for core.run(). Default: number of words. */
  steps?: number;
  /** Where to place the words. Default CODE. */
  at?: bigint;
  /**
   * Turn the EL1&0 stage 1 MMU on with an identity map: RAM (1 GiB block at 0x4000_0000) as Normal
   * Write-Back Inner Shareable, 0..1 GiB as Device-nGnRnE. With the MMU off every data access is
   * Device-nGnRnE (Arm ARM D8.2.x), so unaligned accesses fault and exclusives/atomics/DC ZVA
   * behave as for Device memory; tests of those need Normal memory.
   */
  mmu?: boolean;
}

/** Level 1 translation table used by Setup.mmu (4 KiB granule, T0SZ = 25: 39-bit VA, start at L1). */
export const PT_L1 = 0x4003_0000n;
export const MAIR_VALUE = 0x00ffn; // Attr0 = Normal WB RA/WA, Attr1 = Device-nGnRnE
export const TCR_VALUE = 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 23n) | (2n << 32n); // T0SZ=25 IRGN0=ORGN0=WBWA SH0=IS TG0=4K EPD1 IPS=40 bits
export const SCTLR_MMU_ON = 0x30d0_0800n | 1n | (1n << 2n) | (1n << 12n); // M, C, I on top of the reset value

function setupMmu(core: Core): void {
  const af = 1n << 10n;
  const device = 0x0000_0000n | af | (1n << 2n) | (1n << 53n) | (1n << 54n) | 1n; // block, AttrIndx=1, PXN, UXN
  const normal = 0x4000_0000n | af | (3n << 8n) | (0n << 2n) | 1n; // block, AttrIndx=0, SH=Inner Shareable
  core.zeroPhys(PT_L1, 0x1000);
  core.writePhys(PT_L1, le64(device, normal));
  core.setSysreg(SR.MAIR_EL1, MAIR_VALUE);
  core.setSysreg(SR.TCR_EL1, TCR_VALUE);
  core.setSysreg(SR.TTBR0_EL1, PT_L1);
  core.setSysreg(SR.SCTLR_EL1, SCTLR_MMU_ON);
}

export interface Result {
  core: Core;
  exit: ExitReason;
  /** X0..X30 */
  x: bigint[];
  sp: bigint;
  pc: bigint;
  /** NZCV nibble */
  nzcv: number;
  el: number;
  pstate: bigint;
  /** Reads `len` bytes of physical memory. */
  mem(pa: bigint, len: number): Uint8Array;
  u64(pa: bigint): bigint;
  u32(pa: bigint): bigint;
  u16(pa: bigint): bigint;
  u8(pa: bigint): bigint;
  sys(idx: number): bigint;
}

export function wordsToBytes(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return b;
}

export function le64(...vals: bigint[]): Uint8Array {
  const b = new Uint8Array(vals.length * 8);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => dv.setBigUint64(i * 8, u64(v), true));
  return b;
}
export function le32(...vals: (bigint | number)[]): Uint8Array {
  const b = new Uint8Array(vals.length * 4);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => dv.setUint32(i * 4, Number(BigInt.asUintN(32, BigInt(v))), true));
  return b;
}
export function bytes(...vals: number[]): Uint8Array {
  return new Uint8Array(vals);
}

function fillNops(core: Core, base: bigint, len: number): void {
  const words = new Array(len / 4).fill(NOP);
  core.writePhys(base, wordsToBytes(words));
}

/** Prepares a core (reset, clean memory, vectors of NOPs) and places the words without running. */
export function prepare(words: number[], s: Setup = {}): Core {
  const core = getCore(s.config);
  const el = s.el ?? 1;
  const at = s.at ?? CODE;
  core.reset(el === 0 ? 1 : el, at);
  // Clean areas: code page(s), data, vectors.
  core.zeroPhys(CODE, 0x10000);
  core.zeroPhys(DATA, 0x10000);
  core.zeroPhys(STACK - 0x1000n, 0x2000);
  fillNops(core, VBAR1, 0x800);
  fillNops(core, VBAR2, 0x800);
  core.setSysreg(SR.VBAR_EL1, VBAR1);
  core.setSysreg(SR.VBAR_EL2, VBAR2);
  for (const [pa, b] of s.mem ?? []) core.writePhys(pa, b);
  core.writePhys(at, wordsToBytes(words));
  if (s.mmu) setupMmu(core);
  for (const [idx, v] of s.sysregs ?? []) core.setSysreg(idx, v);
  const daif = BigInt((s.daif ?? 0xf) & 0xf) << 6n;
  const spsel = BigInt(s.spsel ?? 1) & 1n;
  const m = el === 0 ? 0n : (BigInt(el) << 2n) | spsel;
  core.pstate = (BigInt((s.nzcv ?? 0) & 0xf) << 28n) | daif | m;
  for (const [k, v] of Object.entries(s.x ?? {})) {
    const i = Number(k);
    if (i < 0 || i > 30) throw new Error(`harness: bad register X${i}`);
    core.setX(i, BigInt(v));
  }
  if (s.sp !== undefined) core.setX(31, s.sp);
  core.pc = at;
  return core;
}

export function snapshot(core: Core, exit: ExitReason): Result {
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(core.getX(i));
  const dv = (pa: bigint, n: number) => {
    const b = core.readPhys(pa, n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    return v;
  };
  return {
    core,
    exit,
    x,
    sp: core.getX(31),
    pc: core.pc,
    nzcv: core.nzcv >>> 28,
    el: core.el,
    pstate: core.pstate,
    mem: (pa, len) => core.readPhys(pa, len),
    u64: (pa) => dv(pa, 8),
    u32: (pa) => dv(pa, 4),
    u16: (pa) => dv(pa, 2),
    u8: (pa) => dv(pa, 1),
    sys: (idx) => core.sysreg(idx),
  };
}

/** Places the words, sets up the state and runs exactly `steps` (default: words.length) instructions. */
export function run(words: number[], s: Setup = {}): Result {
  const core = prepare(words, s);
  const exit = core.run(s.steps ?? words.length);
  return snapshot(core, exit);
}

/** Runs a single instruction and returns the result. */
export function run1(word: number, s: Setup = {}): Result {
  return run([word], { ...s, steps: s.steps ?? 1 });
}

/** Exception syndrome helpers (ESR_ELx). */
export const esrEC = (esr: bigint) => Number((esr >> 26n) & 0x3fn);
export const esrIL = (esr: bigint) => Number((esr >> 25n) & 1n);
export const esrISS = (esr: bigint) => Number(esr & 0x1ffffffn);

export const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Hex for readable failure messages. */
export const hex = (v: bigint | number) => '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);

// ---------------------------------------------------------------- checking helpers

export interface Expect {
  /** Registers that must hold these values; every other X register must be unchanged. */
  x?: Record<number, bigint>;
  /** SP after (default: unchanged). */
  sp?: bigint;
  /** NZCV nibble after (default: unchanged). */
  nzcv?: number;
  /** PC after (default: start + 4 * steps). */
  pc?: bigint;
  exit?: ExitReason;
  el?: number;
  /** Memory that must hold these bytes after the run. */
  mem?: Array<[bigint, Uint8Array]>;
}

/** Differences between a run result and `e` (everything not mentioned must be unchanged). */
export function diffResult(r: Result, s: Setup, e: Expect, steps: number): string[] {
  const at = s.at ?? CODE;
  const out: string[] = [];
  const cmp = (what: string, got: string | number, want: string | number) => {
    if (got !== want) out.push(`${what}: got ${got}, want ${want}`);
  };
  cmp('exit', r.exit, e.exit ?? 'budget');
  cmp('PC', hex(r.pc), hex(e.pc ?? at + 4n * BigInt(steps)));
  for (let i = 0; i < 31; i++) {
    const want = e.x && i in e.x ? u64(e.x[i]) : u64(BigInt(s.x?.[i] ?? 0n));
    cmp(`X${i}`, hex(r.x[i]), hex(want));
  }
  if (e.sp !== undefined || s.sp !== undefined) cmp('SP', hex(r.sp), hex(e.sp ?? s.sp!));
  const nz = (v: number) => v.toString(2).padStart(4, '0');
  cmp('NZCV', nz(r.nzcv), nz(e.nzcv ?? s.nzcv ?? 0));
  if (e.el !== undefined) cmp('EL', r.el, e.el);
  for (const [pa, want] of e.mem ?? []) {
    const got = r.mem(pa, want.length);
    cmp(`mem[${hex(pa)}..+${want.length}]`, hexBytes(got), hexBytes(want));
  }
  return out;
}

/** Checks a run result against `e`, treating everything not mentioned as "must be unchanged". */
export function checkResult(r: Result, s: Setup, e: Expect, steps: number): void {
  expect(diffResult(r, s, e, steps)).toEqual([]);
}

export interface Case { name: string; words: number[]; s: Setup; e: Expect }

/** Runs every case and fails once with the list of all mismatching cases. */
export function runTable(cases: Case[]): void {
  const bad: string[] = [];
  for (const c of cases) {
    const steps = c.s.steps ?? c.words.length;
    const r = run(c.words, { ...c.s, steps });
    const d = diffResult(r, c.s, c.e, steps);
    if (d.length) bad.push(`${c.name}: ${d.join('; ')}`);
  }
  expect(bad, `${bad.length} of ${cases.length} cases differ`).toEqual([]);
}

/** Runs `words` (all of them, or s.steps) and checks the outcome. */
export function expectRun(words: number[], s: Setup, e: Expect): Result {
  const steps = s.steps ?? words.length;
  const r = run(words, { ...s, steps });
  checkResult(r, s, e, steps);
  return r;
}

/** NZCV nibble from a string like 'nZCv' (upper case = set). */
export function flags(f: string): number {
  if (!/^[nN][zZ][cC][vV]$/.test(f)) throw new Error(`harness: bad flags ${f}`);
  return (f[0] === 'N' ? 8 : 0) | (f[1] === 'Z' ? 4 : 0) | (f[2] === 'C' ? 2 : 0) | (f[3] === 'V' ? 1 : 0);
}
