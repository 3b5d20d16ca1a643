// The nested walker's table hints (core-as/walk.ts: rootFetch, nestedFetch, s2WalkI `predict`)
// load a descriptor at the PA where the same table was last time, alongside the stage-2
// translation of the table; they must never change a result. Differential check: after any
// stage-2 change followed by TLBI VMALLS12E1IS, a translation through the caches (and the hints)
// equals the uncached walk (core.walk), result or fault, for nested 4+4 and 4+3 levels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Core, SR, MMU_EL1 } from '../../machine/core';
import { HCR_RW, HCR_VM, RAM, S2_R, S2_RW, Tables, makeCore, page, s1Start, s2MemAttr, s2Start, tcrEl1, vtcr } from './pt';

const U64 = (1n << 64n) - 1n;
const N = s2MemAttr(0xf);
const VA = 0x12_3456_0000n; // every stage-1 level index non-zero
const PAGES = 8;
// Four more pages that share no table below the start level with VA or with each other: walks
// alternating between them predict from the hinted PA - IPA instead of the same table.
const FAR = 4;
const SPREAD = 0x80_4020_1000n; // 512 GiB + 1 GiB + 2 MiB + 4 KiB
const farVa = (k: number) => VA + BigInt(k + 1) * SPREAD;
const anyVa = (p: number) => (p < PAGES ? VA + BigInt(p) * 0x1000n : farVa(p - PAGES));
const DATA_IPA = 0x20_0000_0000n;
const S1_IPA = 0x30_0000_0000n;
const S1_PA = RAM + 0x100_0000n; // the stage-1 tables' first home
const DATA_PA = RAM + 0x300_0000n;
const SPARE = RAM + 0x340_0000n; // fresh pages for moved tables and data

function cached(core: Core, va: bigint): bigint {
  return core.x.benchTranslate(BigInt.asIntN(64, va), 1, 0n, 0, 0, MMU_EL1) & U64;
}

/** The translation through the caches, compared with the uncached walk. */
function agree(core: Core, va: bigint): void {
  const oracle = core.walk(va, 'r', MMU_EL1);
  const pa = cached(core, va);
  if ('pa' in oracle) expect(pa.toString(16)).toBe(oracle.pa.toString(16));
  else {
    expect(pa).toBe(U64);
    expect(core.lastFault()).toEqual(oracle.fault);
  }
}

function nested(s2levels: 3 | 4) {
  const core = makeCore();
  const ipaBits = s2levels === 4 ? 48 : 39;
  const mask = (1n << BigInt(ipaBits)) - 1n;
  const s1Ipa = S1_IPA & mask, dataIpa = DATA_IPA & mask;
  const s2 = new Tables(core, RAM + 0x200_0000n);
  const sl0 = s2levels === 4 ? 2 : 1, s2st = s2Start(ipaBits, sl0);
  const s2root = s2.alloc();
  // Stage-1 tables at IPAs s1Ipa + n * 4K, first at S1_PA + n * 4K.
  const s1 = new Tables(core, s1Ipa, 0x10_0000n, (a) => a - s1Ipa + S1_PA);
  for (let p = 0n; p < 32n; p++) s2.map(s2root, s2st, s1Ipa + p * 0x1000n, 3, page(S1_PA + p * 0x1000n, S2_RW | N));
  const root = s1.alloc();
  for (let p = 0; p < PAGES; p++) {
    s1.map(root, s1Start(48), VA + BigInt(p) * 0x1000n, 3, page(dataIpa + BigInt(p) * 0x1000n));
    s2.map(s2root, s2st, dataIpa + BigInt(p) * 0x1000n, 3, page(DATA_PA + BigInt(p) * 0x1000n, S2_RW | N));
  }
  for (let k = 0; k < FAR; k++) {
    const ipa = dataIpa + BigInt(k + 1) * 0x20_0000n; // each in a 2 MiB of its own
    s1.map(root, s1Start(48), farVa(k), 3, page(ipa));
    s2.map(s2root, s2st, ipa, 3, page(DATA_PA + BigInt(PAGES + k) * 0x1000n, S2_RW | N));
  }
  // The stage-1 table IPAs of VA, start level first.
  /** The stage-1 table IPAs of va, start level first. */
  const tablesOf = (va: bigint) => {
    const t: bigint[] = [root];
    for (let level = 0; level < 3; level++) t.push(s1.read(t[level], Number((va >> BigInt(39 - 9 * level)) & 511n)) & 0xffff_ffff_f000n);
    return t;
  };
  const tableIpas = tablesOf(VA);
  core.setSysreg(SR.TTBR0_EL1, root | (1n << 48n));
  core.setSysreg(SR.TCR_EL1, tcrEl1(16));
  core.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
  core.setSysreg(SR.VTTBR_EL2, s2root | (7n << 48n));
  core.setSysreg(SR.VTCR_EL2, vtcr(64 - ipaBits, sl0));
  core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
  let spare = SPARE;
  const fresh = () => { const p = spare; spare += 0x1000n; core.zeroPhys(p, 0x1000); return p; };
  /** Where stage 2 maps IPA page ipa now (its level-3 descriptor's slot). */
  const slot = (ipa: bigint) => s2.slot(s2root, s2st, ipa, 3);
  const pageOf = (ipa: bigint) => core.readPhysU64(slot(ipa)) & 0xffff_ffff_f000n;
  const home = tableIpas.map(pageOf); // where each stage-1 table's contents are (even while unmapped)
  return { core, s2, s2root, s2st, tableIpas, tablesOf, home, dataIpa, fresh, slot, pageOf };
}

type Op =
  | { kind: 'translate'; p: number }
  | { kind: 'moveTable'; t: number; edit: number } // copy stage-1 table t to a fresh PA, the copy edited when edit >= 0
  | { kind: 'unmapTable'; t: number; readOnly: boolean } // no stage-2 mapping, or no read permission
  | { kind: 'moveData'; p: number }
  | { kind: 'newLevel3'; which: 'tables' | 'data' } // a new stage-2 level-3 table (copied) for the 2 MiB
  | { kind: 'flushS1' }; // TLBI VMALLE1IS: the walk cache stays (walks then fetch tables through it)

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('translate' as const), p: fc.nat(PAGES + FAR - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('moveTable' as const), t: fc.nat(3), edit: fc.integer({ min: -1, max: PAGES - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmapTable' as const), t: fc.nat(3), readOnly: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('moveData' as const), p: fc.nat(PAGES - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('newLevel3' as const), which: fc.constantFrom('tables' as const, 'data' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flushS1' as const) }) },
);

function apply(w: ReturnType<typeof nested>, op: Op): void {
  const { core } = w;
  const va = (p: number) => VA + BigInt(p) * 0x1000n;
  if (op.kind === 'translate') { agree(core, anyVa(op.p)); agree(core, anyVa(op.p)); return; }
  if (op.kind === 'flushS1') { core.tlbi('VMALLE1IS'); return; }
  if (op.kind === 'moveTable') {
    const ipa = w.tableIpas[op.t], from = w.home[op.t], to = w.fresh();
    w.home[op.t] = to;
    for (let i = 0n; i < 4096n; i += 8n) core.writePhysU64(to + i, core.readPhysU64(from + i));
    if (op.edit >= 0 && op.t === 3) { // the level-3 table's copy: point one page elsewhere
      const idx = BigInt(Number((va(op.edit) >> 12n) & 511n));
      core.writePhysU64(to + idx * 8n, page(w.dataIpa + BigInt((op.edit + 1) % PAGES) * 0x1000n));
    } else if (op.edit >= 0 && op.edit < 2) { // a table above: the copy's entry for VA invalid
      core.writePhysU64(to + ((VA >> BigInt(39 - 9 * op.t)) & 511n) * 8n, 0n);
    }
    core.writePhysU64(w.slot(ipa), page(to, S2_RW | N));
  } else if (op.kind === 'unmapTable') {
    const ipa = w.tableIpas[op.t];
    core.writePhysU64(w.slot(ipa), op.readOnly ? page(w.home[op.t], N) : 0n);
  } else if (op.kind === 'moveData') {
    const ipa = w.dataIpa + BigInt(op.p) * 0x1000n;
    core.writePhysU64(w.slot(ipa), page(w.fresh(), S2_RW | N));
  } else {
    const ipa = op.which === 'tables' ? w.tableIpas[0] : w.dataIpa;
    const l2slot = w.s2.slot(w.s2root, w.s2st, ipa, 2);
    const from = core.readPhysU64(l2slot) & 0xffff_ffff_f000n, to = w.fresh();
    for (let i = 0n; i < 4096n; i += 8n) core.writePhysU64(to + i, core.readPhysU64(from + i));
    core.writePhysU64(l2slot, to | 3n);
  }
  core.tlbi('VMALLS12E1IS');
}

describe('nested walks: table hints never change a result', () => {
  for (const levels of [4, 3] as const) {
    it(`4+${levels}: after stage-2 changes and TLBI VMALLS12E1IS, cached translations equal the uncached walk`, () => {
      fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
        const w = nested(levels);
        for (let p = 0; p < PAGES + FAR; p++) agree(w.core, anyVa(p)); // hints set
        for (const op of ops) apply(w, op);
        for (let p = 0; p < PAGES + FAR; p++) agree(w.core, anyVa(p));
      }), { numRuns: 60, seed: 0x5eed + levels });
    });
  }

  it('a stage-1 table moved at stage 2 is read at its new PA, at every level (4+4)', () => {
    const w = nested(4);
    const va = VA + 0x3000n;
    expect(cached(w.core, va)).toBe(DATA_PA + 0x3000n);
    for (let t = 0; t < 4; t++) {
      apply(w, { kind: 'moveTable', t, edit: t === 3 ? 3 : -1 });
      // the tables above level 3 only move; the level-3 table's copy points page 3 at data page 4
      expect(cached(w.core, va)).toBe(t === 3 ? DATA_PA + 0x4000n : DATA_PA + 0x3000n);
      agree(w.core, va);
    }
  });

  it('a moved table is read at its new PA, not at the old one that still holds the old descriptors', () => {
    for (let t = 0; t < 3; t++) {
      const w = nested(4);
      expect(cached(w.core, VA)).toBe(DATA_PA);
      apply(w, { kind: 'moveTable', t, edit: 0 }); // the copy's entry for VA is invalid
      expect(cached(w.core, VA)).toBe(U64);
      expect(w.core.lastFault()).toMatchObject({ stage2: false, s1ptw: false, level: t });
      agree(w.core, VA);
    }
  });

  it('a prediction that would fall outside RAM is not made: the walk reads the stage-2 descriptor (here a fault)', () => {
    const w = nested(4);
    const ramEnd = RAM + BigInt(w.core.ramSize);
    // The level-3 table of VA moves to the last page of RAM: the level-3 hint's PA - IPA becomes large.
    const l3 = w.tableIpas[3], last = ramEnd - 0x1000n;
    for (let i = 0n; i < 4096n; i += 8n) w.core.writePhysU64(last + i, w.core.readPhysU64(w.home[3] + i));
    w.core.writePhysU64(w.slot(l3), page(last, S2_RW | N));
    // The level-3 table of a far page (a higher IPA: IPA + that difference is beyond RAM) unmapped.
    const farL3 = w.tablesOf(farVa(0))[3];
    expect(farL3 > l3).toBe(true);
    w.core.writePhysU64(w.slot(farL3), 0n);
    w.core.tlbi('VMALLS12E1IS');
    expect(cached(w.core, VA)).toBe(DATA_PA);
    expect(cached(w.core, farVa(0))).toBe(U64);
    expect(w.core.lastFault()).toMatchObject({ stage2: true, s1ptw: true, level: 3 });
    agree(w.core, farVa(0));
  });

  it('a table fetched through the walk cache is read at its PA there, not at a stale prediction', () => {
    const w = nested(4);
    const far = farVa(0), farPa = DATA_PA + BigInt(PAGES) * 0x1000n;
    apply(w, { kind: 'moveTable', t: 1, edit: -1 }); // VA's level-1 table moves (TLBI VMALLS12E1IS)
    expect(cached(w.core, far)).toBe(farPa);
    w.core.tlbi('VMALLE1IS');
    expect(cached(w.core, far)).toBe(farPa); // far's level-1 table entered in the walk cache
    expect(cached(w.core, VA)).toBe(DATA_PA); // the level-1 hint: PA - IPA of the moved table
    w.core.tlbi('VMALLE1IS');
    agree(w.core, far); // far's level-1 table: a walk-cache hit, mispredicted
    expect(cached(w.core, far)).toBe(farPa);
  });

  it('a stage-1 table unmapped or made unreadable at stage 2 faults (S1PTW) right after a walk that read it', () => {
    for (let t = 0; t < 4; t++) {
      for (const readOnly of [false, true]) {
        const w = nested(4);
        expect(cached(w.core, VA)).toBe(DATA_PA);
        apply(w, { kind: 'unmapTable', t, readOnly });
        expect(cached(w.core, VA)).toBe(U64);
        const f = w.core.lastFault();
        expect(f).toMatchObject({ stage2: true, s1ptw: true, level: 3 }); // (translation, or permission when read-only)
        expect(f.ipa >> 12n).toBe(w.tableIpas[t] >> 12n);
        agree(w.core, VA);
      }
    }
  });

  it('the final stage 2 through a replaced level-3 table, and a moved data page, give the new PA', () => {
    const w = nested(4);
    expect(cached(w.core, VA + 0x1000n)).toBe(DATA_PA + 0x1000n);
    apply(w, { kind: 'newLevel3', which: 'data' }); // same contents at a new table
    expect(cached(w.core, VA + 0x1000n)).toBe(DATA_PA + 0x1000n);
    apply(w, { kind: 'moveData', p: 1 });
    const moved = w.pageOf(w.dataIpa + 0x1000n);
    expect(moved).not.toBe(DATA_PA + 0x1000n);
    expect(cached(w.core, VA + 0x1000n)).toBe(moved);
    // A new level-3 table whose entry differs from the old table's (the hinted table is stale)
    const l2slot = w.s2.slot(w.s2root, w.s2st, w.dataIpa, 2);
    const to = w.fresh();
    w.core.writePhysU64(to + 8n, page(DATA_PA + 0x7000n, S2_R | N));
    w.core.writePhysU64(l2slot, to | 3n);
    w.core.tlbi('VMALLS12E1IS');
    expect(cached(w.core, VA + 0x1000n)).toBe(DATA_PA + 0x7000n);
    expect(cached(w.core, VA)).toBe(U64); // page 0 is not in the new table
    expect(w.core.lastFault()).toMatchObject({ stage2: true, s1ptw: false, level: 3 });
  });
});
