// Translation benchmark inside WASM (core export benchTranslate / benchFastTlb): walks per second
// for stage 1 only, stage 2 only and nested stage 1 + stage 2 (4+4 and 4+3 levels), cold (what
// TLBI VMALLS12E1 removes — the tagged TLB and the stage-2 walk cache of the VMID — invalidated
// before each translation, by O(1) generation bumps), cold with a warm walk cache (TLBI VMALLE1
// before each), tagged-TLB hits, and fast-TLB hits on the load path. A cold walk reads every
// descriptor from the tables; the walker's table hints (core-as/walk.ts) only predict where.
// Run alone: npx tsx bench/walk.ts
import { Core, SR, MMU_EL1 } from '../machine/core';
import { printTable, type Row } from './table';

const RAM = 0x4000_0000n;
const TABLE = 3n, AF = 1n << 10n, S2_RW = 3n << 6n, S2_NORMAL = 0xfn << 2n, NORMAL_IDX0 = 0n;

/** Bump-allocated tables; `toPa` maps a table address as the walker sees it to where it is written. */
class Tables {
  private next: bigint;
  constructor(private core: Core, base: bigint, private toPa: (a: bigint) => bigint = (a) => a) { this.next = base; }
  alloc(pages = 1): bigint {
    const align = BigInt(pages) * 0x1000n;
    const a = (this.next + align - 1n) / align * align;
    this.next = a + align;
    this.core.zeroPhys(this.toPa(a), Number(align));
    return a;
  }
  map(root: bigint, level0: number, bits0: number, addr: bigint, leaf: bigint): void {
    let t = root;
    for (let level = level0; ; level++) {
      const idx = (addr >> BigInt(12 + 9 * (3 - level))) & (level === level0 ? (1n << BigInt(bits0)) - 1n : 511n);
      const slot = this.toPa(t) + idx * 8n;
      if (level === 3) { this.core.writePhysU64(slot, leaf); return; }
      let d = this.core.readPhysU64(slot);
      if ((d & 3n) !== 3n) { d = this.alloc() | TABLE; this.core.writePhysU64(slot, d); }
      t = d & 0x0000_ffff_ffff_f000n;
    }
  }
}

interface Setup { core: Core; va: bigint; pages: number; stride: bigint }

const VA = 0x12_3456_0000n; // every level index is non-zero
const PAGES = 64;

/** Page p of the benchmark's VAs: consecutive pages, or (spread) a new table at every level. */
const SPREAD_STRIDE = 0x80_4020_1000n; // 512 GiB + 1 GiB + 2 MiB + 4 KiB

/**
 * Stage 1 with 4 levels (T0SZ=16); nested: stage 2 with `s2levels` levels maps tables and data by
 * pages. `spread`: the pages share no table below the start level, nor the final level-3 stage-2
 * table (every walk reads tables the previous walk did not).
 */
export function setup(s1: boolean, s2levels: 0 | 3 | 4, spread = false): Setup {
  const core = new Core(256 * 1024 * 1024, { haveEL2: true });
  const stride = spread ? SPREAD_STRIDE : 0x1000n;
  const dataIpa = (p: number) => 0x20_0000_0000n + BigInt(p) * (spread ? 0x20_1000n : 0x1000n); // IPA (or PA-like VA) of data page p
  const dataPa = (p: number) => RAM + 0x400_0000n + BigInt(p) * 0x1000n;
  const S1_IPA = 0x30_0000_0000n, S1_PA = RAM + 0x100_0000n;
  if (s2levels) {
    const t2 = new Tables(core, RAM + 0x200_0000n);
    const [t0sz, sl0, level0, bits0] = s2levels === 4 ? [16, 2, 0, 9] : [25, 1, 1, 9];
    const root = t2.alloc();
    const ipaOf = (a: bigint) => (s2levels === 4 ? a : a & 0x7f_ffff_ffffn);
    for (let p = 0; p < PAGES; p++) t2.map(root, level0, bits0, ipaOf(dataIpa(p)), dataPa(p) | TABLE | AF | S2_RW | S2_NORMAL);
    for (let p = 0n; p < 256n; p++) t2.map(root, level0, bits0, ipaOf(S1_IPA) + p * 0x1000n, S1_PA + p * 0x1000n | TABLE | AF | S2_RW | S2_NORMAL);
    if (!s1) for (let p = 0; p < PAGES; p++) t2.map(root, level0, bits0, ipaOf(VA) + BigInt(p) * 0x1000n, dataPa(p) | TABLE | AF | S2_RW | S2_NORMAL);
    core.setSysreg(SR.VTTBR_EL2, root | (1n << 48n));
    core.setSysreg(SR.VTCR_EL2, BigInt(t0sz) | (BigInt(sl0) << 6n) | (5n << 16n) | (1n << 19n));
    core.setSysreg(SR.HCR_EL2, 1n | (1n << 31n));
    if (s2levels === 3) return s1 ? setS1(core, (a) => a & 0x7f_ffff_ffffn) : { core, va: VA & 0x7f_ffff_ffffn, pages: PAGES, stride };
  }
  return s1 ? setS1(core, (a) => a) : { core, va: VA, pages: PAGES, stride };

  function setS1(c: Core, ipa: (a: bigint) => bigint): Setup {
    const nested = s2levels !== 0;
    const t1 = new Tables(c, nested ? ipa(S1_IPA) : S1_PA, nested ? (a) => a - ipa(S1_IPA) + S1_PA : (a) => a);
    const root = t1.alloc();
    for (let p = 0; p < PAGES; p++) t1.map(root, 0, 9, VA + BigInt(p) * stride, (nested ? ipa(dataIpa(p)) : dataPa(p)) | TABLE | AF | NORMAL_IDX0);
    c.setSysreg(SR.MAIR_EL1, 0xffn);
    c.setSysreg(SR.TTBR0_EL1, root | (1n << 48n));
    c.setSysreg(SR.TCR_EL1, 16n | (16n << 16n) | (2n << 30n) | (5n << 32n) | (1n << 36n));
    c.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
    return { core: c, va: VA, pages: PAGES, stride };
  }
}

export function rate(s: Setup, n: number, flush: number): number {
  const x = s.core.x;
  const stride = s.stride;
  // warm-up (JIT) and a check that the translation works
  const probe = x.benchTranslate(s.va, 1, 0n, 1, 0, MMU_EL1) & ((1n << 64n) - 1n);
  if (probe === (1n << 64n) - 1n) throw new Error(`benchmark setup does not translate: ${JSON.stringify(s.core.lastFault(), (_, v) => typeof v === 'bigint' ? v.toString(16) : v)}`);
  x.benchTranslate(s.va, 1000, 0n, flush, 0, MMU_EL1);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    // cycle through the mapped pages: n translations of pages va .. va + (pages-1) * 4K
    const t0 = performance.now();
    for (let done = 0; done < n; done += s.pages) x.benchTranslate(s.va, s.pages, stride, flush, 0, MMU_EL1);
    best = Math.min(best, performance.now() - t0);
  }
  return n / best / 1000; // M per second
}

function fastTlbRate(s: Setup, n: number): number {
  const x = s.core.x;
  x.benchFastTlb(s.va, s.pages, 1000);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    x.benchFastTlb(s.va, s.pages, n);
    best = Math.min(best, performance.now() - t0);
  }
  return n / best / 1000;
}

export async function benchWalk(): Promise<Row[]> {
  const rows: Row[] = [];
  const configs: Array<[string, boolean, 0 | 3 | 4, string]> = [
    ['stage 1 (4 levels)', true, 0, '4 descriptor reads'],
    ['stage 2 (4 levels)', false, 4, '4 descriptor reads'],
    ['nested 4+4', true, 4, 'up to 24 descriptor reads'],
    ['nested 4+3', true, 3, 'up to 19 descriptor reads'],
  ];
  for (const [name, s1, s2, note] of configs) {
    const s = setup(s1, s2);
    rows.push({ group: 'mmu', name: `${name} cold walk`, value: rate(s, 1_000_000, 1), unit: 'M/s', note: `TLB and walk cache invalidated before each; ${note}` });
    if (s1 && s2) {
      rows.push({ group: 'mmu', name: `${name} cold walk, new tables`, value: rate(setup(s1, s2, true), 1_000_000, 1), unit: 'M/s', note: 'as cold walk, but no two walks in a row share a table below the start level (the hints miss)' });
      rows.push({ group: 'mmu', name: `${name} cold TLB, warm walk cache`, value: rate(s, 2_000_000, 2), unit: 'M/s', note: 'stage-2 translations of the tables cached' });
    }
    rows.push({ group: 'mmu', name: `${name} tagged-TLB hit`, value: rate(s, 20_000_000, 0), unit: 'M/s', note: `translate() over ${s.pages} pages` });
  }
  const s = setup(true, 4);
  rows.push({ group: 'mmu', name: 'fast-TLB hit (load path)', value: fastTlbRate(s, 100_000_000), unit: 'M/s', note: 'mem.ts read64 over 64 pages, nested 4+4 regime' });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable(await benchWalk());
