// The host model's dense per-memslot gfn tables, fed from the fault fast path's log (records of
// 8 32-bit words: gfn low/high, pa low/high, ...): entries in the memslot are counted once, the
// rest (outside the memslot, above 2^32) go to the side table; iteration is in gfn order.
import { describe, expect, it } from 'vitest';
import { GfnMap, GfnSet } from '../../host-kernel-model/gfn-table';

function log(recs: [bigint, bigint][]): Uint32Array {
  const w = new Uint32Array(recs.length * 8 + 8); // one leading record skipped with at = 8
  recs.forEach(([gfn, pa], k) => {
    const e = 8 + k * 8;
    w[e] = Number(gfn & 0xffff_ffffn); w[e + 1] = Number(gfn >> 32n);
    w[e + 2] = Number(pa & 0xffff_ffffn); w[e + 3] = Number(pa >> 32n);
  });
  return w;
}

describe('gfn tables from the fast path log', () => {
  const recs: [bigint, bigint][] = [
    [0x40005n, 0x8000_0000n], [0x40000n, 0x8000_1000n], [0x40005n, 0x8000_2000n], // a duplicate
    [0x3ffffn, 0x8000_3000n], [0x40010n, 0x8000_4000n], // below and just past the memslot (16 pages)
    [0x1_0004_0001n, 0x8000_5000n], // above 2^32 (its low word is in the memslot's range)
    [0x4000fn, 0x123_4567_8000n], // a pfn above 32 bits... below 16 TiB: 0x1234_5678
  ];
  it('GfnSet.addFromLog() counts each gfn once and keeps the rest outside', () => {
    const s = new GfnSet(0x40000n, 16);
    s.addFromLog(log(recs), 8, recs.length, 8);
    expect([...s]).toEqual([0x40000n, 0x40005n, 0x4000fn, 0x3ffffn, 0x40010n, 0x1_0004_0001n]);
    expect(s.size).toBe(6);
    expect(s.has(0x40001n)).toBe(false);
    expect(s.has(0x1_0004_0001n)).toBe(true);
  });
  it('GfnMap.setMarkedFromLog() fills the gfns whose bit is set, the rest as set()', () => {
    const m = new GfnMap(0x40000n, 16);
    const bits = m.bits;
    for (const i of [0, 5, 15]) bits[i >> 3]! |= 1 << (i & 7); // the core marked them "backed"
    const r: [bigint, bigint][] = [[0x40005n, 0x8000_0000n], [0x40000n, 0x8000_1000n], [0x4000fn, 0x123_4567_8000n], [0x40003n, 0x8000_6000n], [0x1_0004_0001n, 0x8000_5000n]];
    m.setMarkedFromLog(log(r), 8, r.length, 8);
    expect([...m]).toEqual([[0x40000n, 0x8000_1000n], [0x40003n, 0x8000_6000n], [0x40005n, 0x8000_0000n], [0x4000fn, 0x123_4567_8000n], [0x1_0004_0001n, 0x8000_5000n]]);
    expect(m.size).toBe(5);
  });
});
