// Helpers for the MMU tests: VMSAv8-64 descriptors (4 KiB granule), a page-table builder that
// writes tables into guest RAM of a Core, and a tiny program loader.
import { Core, SR } from '../../machine/core';
import * as A from '../gen/a64enc';

export const RAM = 0x4000_0000n;
export const MiB = 0x10_0000n;
export const GiB = 0x4000_0000n;

// --- Stage-1 descriptor bits ---
export const VALID = 1n;
export const TABLE = 3n; // table (levels 0-2) or page (level 3)
export const BLOCK = 1n;
export const AF = 1n << 10n;
export const NG = 1n << 11n;
export const AP_EL0 = 1n << 6n; // AP[1]
export const AP_RO = 1n << 7n; // AP[2]
export const SH_INNER = 3n << 8n;
export const PXN = 1n << 53n;
export const UXN = 1n << 54n; // XN at EL2
export const attrIndx = (i: number) => BigInt(i) << 2n;
export const PXN_TABLE = 1n << 59n;
export const UXN_TABLE = 1n << 60n;
export const AP_TABLE_NO_EL0 = 1n << 61n;
export const AP_TABLE_RO = 1n << 62n;
// --- Stage-2 descriptor bits ---
export const S2_R = 1n << 6n;
export const S2_W = 1n << 7n;
export const S2_RW = S2_R | S2_W;
export const s2Xn = (v: number) => BigInt(v) << 53n;
export const s2MemAttr = (v: number) => BigInt(v) << 2n; // 0xf: Normal WB, 0x0: Device-nGnRnE

/** MAIR: index 0 Normal WB RWA (0xff), 1 Device-nGnRnE (0x00), 2 Normal NC (0x44). */
export const MAIR = 0x44_00_ffn;
/** TCR_EL1 with T0SZ/T1SZ, 4K granules (TG0 = 0, TG1 = 0b10), IPS 48 bits, inner WB shareable. */
export function tcrEl1(t0sz: number, t1sz = 16, extra = 0n): bigint {
  return BigInt(t0sz) | (BigInt(t1sz) << 16n) | (2n << 30n) | (5n << 32n) | (3n << 12n) | (1n << 8n) | (1n << 10n) |
    (3n << 28n) | (1n << 24n) | (1n << 26n) | extra;
}
/** VTCR_EL2: T0SZ, SL0, 4K, PS 48 bits, VS (16-bit VMID). */
export function vtcr(t0sz: number, sl0: number, vs = true): bigint {
  return BigInt(t0sz) | (BigInt(sl0) << 6n) | (5n << 16n) | (vs ? 1n << 19n : 0n) | (3n << 12n) | (1n << 8n) | (1n << 10n);
}
export const HCR_VM = 1n;
export const HCR_RW = 1n << 31n;

/** Start level and index bits at that level for a stage-1 input size (4 KiB granule). */
export function s1Start(inputBits: number): { level: number; bits: number } {
  const level = 4 - Math.floor((inputBits - 4) / 9);
  return { level, bits: inputBits - (12 + 9 * (3 - level)) };
}
/** Stage-2 start level from SL0 and the index bits there (concatenated tables). */
export function s2Start(inputBits: number, sl0: number): { level: number; bits: number } {
  const level = 2 - sl0;
  return { level, bits: inputBits - (12 + 9 * (3 - level)) };
}

/**
 * Translation tables in guest RAM. Tables come from a bump allocator in [pool, pool + size);
 * `toPa` maps a table address as seen by the walker (an IPA for stage-1 tables under stage 2) to
 * the PA where the builder writes it.
 */
export class Tables {
  private next: bigint;
  constructor(readonly core: Core, readonly pool: bigint, readonly size = 0x40_0000n, readonly toPa: (a: bigint) => bigint = (a) => a) {
    this.next = pool;
  }
  /** A zeroed, page-aligned area of `pages` pages (a root may need concatenated tables). */
  alloc(pages = 1): bigint {
    const align = BigInt(pages) * 0x1000n;
    const a = (this.next + align - 1n) / align * align;
    this.next = a + align;
    if (this.next > this.pool + this.size) throw new Error('page-table pool exhausted');
    this.core.zeroPhys(this.toPa(a), Number(align));
    return a;
  }
  read(table: bigint, index: number): bigint { return this.core.readPhysU64(this.toPa(table) + BigInt(index) * 8n); }
  write(table: bigint, index: number, desc: bigint): void { this.core.writePhysU64(this.toPa(table) + BigInt(index) * 8n, desc); }

  /**
   * Installs `leaf` (a complete descriptor) for `addr` at `leafLevel`, creating table descriptors
   * (with `tableBits` added) from `start` down. Returns the address of the descriptor written.
   */
  map(root: bigint, start: { level: number; bits: number }, addr: bigint, leafLevel: number, leaf: bigint, tableBits = 0n): bigint {
    let table = root;
    for (let level = start.level; ; level++) {
      const shift = BigInt(12 + 9 * (3 - level));
      const mask = level === start.level ? (1n << BigInt(start.bits)) - 1n : 511n;
      const index = Number((addr >> shift) & mask);
      if (level === leafLevel) {
        this.write(table, index, leaf);
        return table + BigInt(index) * 8n;
      }
      let d = this.read(table, index);
      if ((d & 3n) !== 3n) {
        const t = this.alloc();
        d = t | TABLE | tableBits;
        this.write(table, index, d);
      }
      table = d & 0x0000_ffff_ffff_f000n;
    }
  }
  /** Address of the descriptor for addr at `level` (tables must exist). */
  slot(root: bigint, start: { level: number; bits: number }, addr: bigint, level: number): bigint {
    let table = root;
    for (let l = start.level; ; l++) {
      const shift = BigInt(12 + 9 * (3 - l));
      const mask = l === start.level ? (1n << BigInt(start.bits)) - 1n : 511n;
      const index = (addr >> shift) & mask;
      if (l === level) return table + index * 8n;
      table = this.read(table, Number(index)) & 0x0000_ffff_ffff_f000n;
    }
  }
}

export const page = (pa: bigint, attrs = 0n) => pa | TABLE | AF | attrs;
export const block = (pa: bigint, attrs = 0n) => pa | BLOCK | AF | attrs;

/** A core with 64 MiB of RAM (EL2 implemented unless el2 = false), MAIR set, caches clean. */
export function makeCore(el2 = true): Core {
  const c = new Core(64 * 1024 * 1024, { haveEL2: el2, psciSmc: el2 });
  c.setSysreg(SR.MAIR_EL1, MAIR);
  c.setSysreg(SR.MAIR_EL2, MAIR);
  return c;
}

/** Identity stage 2 (1 GiB blocks at level 1) for [0, 4 GiB) with VTCR T0SZ=24 SL0=1: the root. */
export function identityStage2(t: Tables, attrs = S2_RW | s2MemAttr(0xf)): bigint {
  const root = t.alloc(2);
  const start = s2Start(40, 1);
  for (let g = 0n; g < 4n; g++) t.map(root, start, g * GiB, 1, block(g * GiB, attrs));
  return root;
}

// --- Programs ---
export const B_SELF = 0x14000000; // b .
/** Writes 32-bit words at pa. */
export function writeWords(core: Core, pa: bigint, words: number[]): void {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  core.writePhys(pa, b);
}
/** A 2 KiB vector table of `b .` at pa (each vector spins, so the test can read the syndrome). */
export function spinVectors(core: Core, pa: bigint): void {
  writeWords(core, pa, new Array(512).fill(B_SELF));
}
/** MOVZ/MOVK sequence loading a 64-bit constant. */
export function mov64(rd: number, v: bigint): number[] {
  const out = [A.movz(rd, Number(v & 0xffffn), 0)];
  for (let hw = 1; hw < 4; hw++) {
    const part = Number((v >> BigInt(16 * hw)) & 0xffffn);
    if (part) out.push(A.movk(rd, part, hw));
  }
  return out;
}
/** SYS #op1, C7|C8, Cm, #op2, Xt (AT and TLBI). */
export function sys(op1: number, crn: number, crm: number, op2: number, rt = 31): number {
  return (0xd5080000 | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0;
}
export const tlbiInsn = (op: [number, number, number], rt = 31) => sys(op[0], 8, op[1], op[2], rt);
export const atInsn = (op1: number, crm: number, op2: number, rt: number) => sys(op1, 7, crm, op2, rt);
export { A };

/** ESR fields. */
export function esrFields(esr: bigint) {
  const e = Number(esr & 0xffff_ffffn);
  return {
    ec: e >>> 26, il: (e >>> 25) & 1, iss: e & 0x1ff_ffff, fsc: e & 0x3f, wnr: (e >>> 6) & 1, s1ptw: (e >>> 7) & 1,
    cm: (e >>> 8) & 1, isv: (e >>> 24) & 1, sas: (e >>> 22) & 3, sse: (e >>> 21) & 1, srt: (e >>> 16) & 31,
    sf: (e >>> 15) & 1, ar: (e >>> 14) & 1,
  };
}
