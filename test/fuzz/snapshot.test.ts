// The fuzzer boots one machine per process and restores it before every sequence (snapshot.ts). The
// restore must be complete: a sequence run on the restored machine — after other sequences dirtied
// it — must give what it gives on a machine booted for it alone: the same step log and verdict, the
// same object graph (hyp, host model, IOMMU, reference model, runner) and the same bytes in the whole
// of the core's linear memory (RAM, CPU state, vmemmap, TLBs and every other region).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../machine/core';
import { seqArb, type Op } from './ops';
import { FuzzFailure, graphRoots, machineFor, type MachineChoice, type RunOptions } from './runner';
import { CoreSnapshot, GraphSnapshot, differingPages, graphFingerprint, mergeRanges } from './snapshot';

function play(ops: Op[], opts: RunOptions, choice: MachineChoice) {
  const r = machineFor(ops, opts, choice);
  let failure: string | null = null;
  try {
    for (const op of ops) { r.runOp(op); r.endOp(); }
  } catch (e) {
    failure = e instanceof FuzzFailure ? e.reason : String(e);
  }
  const graph = graphFingerprint(graphRoots(r), { opaque: (o) => o instanceof Core, wasmBuffer: r.core.mem.buffer });
  return { r, log: r.log.join('\n'), failure, graph, stats: { ...r.stats } };
}

describe('a restored machine is a freshly booted one', () => {
  for (const [iommu, guestHvcAbi] of [['hypercall', 'upstream'], ['mirror', 'upstream'], ['none', 'upstream'], ['hypercall', 'android']] as const) {
    it(`iommu ${iommu}, guest-HVC ABI ${guestHvcAbi}: 25 sequences give the same log, object graph and linear memory on a fresh and on a reused machine`, () => {
      const opts: RunOptions = { invariants: 'op', iommu, guestHvcAbi };
      const seqs = fc.sample(seqArb(5, 30), { numRuns: 25, seed: 0x5eed + iommu.length + guestHvcAbi.length });
      play(seqs[24]!, opts, 'reuse'); /* the reused machine has run another sequence before the first compared one */
      let steps = 0;
      for (const ops of seqs) {
        const fresh = play(ops, opts, 'fresh');
        const reused = play(ops, opts, 'reuse');
        expect(reused.r.core).not.toBe(fresh.r.core);
        expect(reused.failure).toBe(fresh.failure);
        expect(reused.log).toBe(fresh.log);
        expect(reused.stats).toEqual(fresh.stats);
        expect(reused.graph).toBe(fresh.graph);
        expect(reused.r.core.mem.length).toBe(fresh.r.core.mem.length);
        expect(differingPages(reused.r.core.mem, fresh.r.core.mem)).toEqual([]);
        steps += fresh.stats.steps;
      }
      expect(steps).toBeGreaterThan(25 * 5);
    }, 120_000);
  }
});

describe('GraphSnapshot', () => {
  it('puts objects, arrays, Maps, Sets and buffers back in place, identities kept', () => {
    const inner = { n: 1 };
    const buf = new Uint16Array([1, 2, 3]);
    const root = {
      a: 1n, s: 'x', inner, list: [inner, 2], m: new Map<string, unknown>([['k', inner], ['j', 2]]), set: new Set([1, 2]), buf,
      extra: undefined as unknown,
    };
    const snap = new GraphSnapshot([root]);
    root.a = 5n;
    root.inner = { n: 9 };
    inner.n = 2;
    root.list.push(3);
    root.list[0] = 7;
    root.m.delete('k');
    root.m.set('k', 1);
    root.set.add(3);
    buf[1] = 99;
    (root as Record<string, unknown>).added = true;
    delete (root as { extra?: unknown }).extra;
    snap.restore();
    expect(root.inner).toBe(inner);
    expect(inner.n).toBe(1);
    expect(root.a).toBe(1n);
    expect(root.list).toEqual([inner, 2]);
    expect(root.list[0]).toBe(inner);
    expect([...root.m.keys()]).toEqual(['k', 'j']);
    expect(root.m.get('k')).toBe(inner);
    expect([...root.set]).toEqual([1, 2]);
    expect([...buf]).toEqual([1, 2, 3]);
    expect(Object.keys(root)).toEqual(['a', 's', 'inner', 'list', 'm', 'set', 'buf', 'extra']);
  });

  it('refuses what it cannot restore', () => {
    expect(() => new GraphSnapshot([{ w: new WeakMap() }])).toThrow(/WeakMap/);
    const o = {};
    Object.defineProperty(o, 'x', { get: () => 1, enumerable: true });
    expect(() => new GraphSnapshot([o])).toThrow(/accessor/);
    expect(() => new GraphSnapshot([{ [Symbol('s')]: 1 }])).toThrow(/symbol/);
  });

  it('lists the closures of the machine graph for the audit in snapshot.ts', () => {
    const r = machineFor([], { invariants: 'op' });
    const g = new GraphSnapshot(graphRoots(r), { opaque: (o) => o instanceof Core, wasmBuffer: r.core.mem.buffer });
    expect(g.closures.size).toBeGreaterThan(0);
    expect(g.objects).toBeGreaterThan(100);
  });
});

describe('CoreSnapshot', () => {
  it('copies back the RAM pages written through the core, and its periodic check catches a write behind its back', () => {
    const core = new Core(1 << 20, { haveEL2: true, el2Hosted: true });
    const snap = new CoreSnapshot(core, [], 0);
    core.writePhysU64(core.ramBase + 0x1008n, 0x1234n);
    core.zeroPhys(core.ramBase + 0x3000n, 0x2000);
    core.writePhys(core.ramBase + 0x8000n, new Uint8Array([1, 2, 3]));
    snap.restore();
    expect(core.readPhysU64(core.ramBase + 0x1008n)).toBe(0n);
    expect(differingPages(core.ram, new Uint8Array(core.ramSize))).toEqual([]);
    core.ram[0x5000] = 1; /* not through the core's write paths */
    snap.restore();
    expect(() => snap.verify()).toThrow(/0x40005000 changed behind the write tracking/);
  });

  it('merges ranges', () => {
    expect(mergeRanges([[10, 20], [0, 5], [15, 30], [30, 31], [40, 40]])).toEqual([[0, 5], [10, 31]]);
  });
});
