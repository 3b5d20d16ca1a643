/**
 * Restoring a booted machine in place, so that the fuzzer boots once per process instead of once per
 * sequence.
 *
 * GraphSnapshot records, for every object reachable from its roots by own properties, a shallow copy
 * of its state: an object's own properties, an array's elements, a Map's entries, a Set's values, an
 * ArrayBuffer's bytes. restore() writes those shallow copies back into the *same* objects, so every
 * object keeps its identity: references between them, and closures that captured them (the hyp's
 * page-table callbacks capture its pool, the world switch captures the HostedEl2), stay valid.
 * Objects created after the snapshot become unreachable from the roots again.
 *
 * What a snapshot cannot see, and how it is handled:
 * - variables captured by closures: audited (`closures` lists every function-valued property); the
 *   ones here capture only objects of the graph or constants;
 * - module-level state of hyp/ and host-kernel-model/: scratch variables written before every use and
 *   constant caches, except hypWarnConfig, which the runner passes as a root;
 * - WeakMaps: hyp/iommu's side tables keyed by the Pkvm (the same for the whole process), whose
 *   values (the DMA reference counts) are reachable from the IOMMU object too;
 * - the core's linear memory: typed arrays on it are not copied as objects; their ranges are
 *   collected in `wasmRanges` for the CoreSnapshot (below) to copy.
 *
 * Objects it cannot restore (WeakMap, WeakSet, Promise, WeakRef, an accessor property, a
 * non-extensible object that changed) make snapshot() or restore() throw rather than restore part
 * of the state. test/fuzz/snapshot.test.ts proves the whole thing: a sequence run on a restored
 * machine gives the same log, the same object graph and the same memory as on a freshly booted one.
 */
import { L, type Core } from '../../machine/core';

type Rec =
  | { k: 'obj'; o: Record<string, unknown>; keys: string[]; vals: unknown[] }
  | { k: 'arr'; o: unknown[]; vals: unknown[] }
  | { k: 'map'; o: Map<unknown, unknown>; keys: unknown[]; vals: unknown[] }
  | { k: 'set'; o: Set<unknown>; vals: unknown[] }
  | { k: 'buf'; o: ArrayBuffer; copy: Uint8Array };

const TYPED = Object.getPrototypeOf(Uint8Array) as object;
const isTyped = (o: object): o is ArrayBufferView => o instanceof (TYPED as typeof Uint8Array) || o instanceof DataView;
const UNRESTORABLE: [Function, string][] = [
  [WeakMap, 'WeakMap'], [WeakSet, 'WeakSet'], [Promise, 'Promise'],
  ...(typeof WeakRef === 'function' ? [[WeakRef, 'WeakRef'] as [Function, string]] : []),
];

export interface GraphSnapshotOptions {
  /** Objects kept as they are and not entered (the Core, whose memory the CoreSnapshot handles). */
  opaque?: (o: object) => boolean;
  /** The core's linear memory: typed arrays on it are collected as ranges instead of copied. */
  wasmBuffer?: ArrayBufferLike;
}

export class GraphSnapshot {
  private readonly recs: Rec[] = [];
  /** Byte ranges [offset, end) of the core's linear memory that typed arrays of the graph view. */
  readonly wasmRanges: [number, number][] = [];
  /** Where the graph holds functions (closures): `Class.key`, for the audit. */
  readonly closures = new Set<string>();
  readonly objects: number;

  constructor(roots: object[], private readonly opts: GraphSnapshotOptions = {}) {
    const seen = new Set<object>();
    const stack: object[] = [...roots];
    while (stack.length) {
      const o = stack.pop()!;
      if (seen.has(o)) continue;
      seen.add(o);
      this.record(o, (v) => {
        if (typeof v === 'object' && v !== null && !seen.has(v)) stack.push(v);
      });
    }
    this.objects = seen.size;
  }

  private record(o: object, visit: (v: unknown) => void): void {
    if (this.opts.opaque?.(o)) return;
    for (const [c, name] of UNRESTORABLE) if (o instanceof c) throw new Error(`snapshot: a ${name} in the graph cannot be restored`);
    if (o instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && o instanceof SharedArrayBuffer)) {
      if (o === this.opts.wasmBuffer) return;
      this.recs.push({ k: 'buf', o: o as ArrayBuffer, copy: new Uint8Array(o.slice(0)) });
      return;
    }
    if (isTyped(o)) {
      if (o.buffer === this.opts.wasmBuffer) this.wasmRanges.push([o.byteOffset, o.byteOffset + o.byteLength]);
      else visit(o.buffer);
      return;
    }
    if (o instanceof WebAssembly.Memory || o instanceof WebAssembly.Instance || o instanceof WebAssembly.Module || o instanceof WebAssembly.Table) return;
    if (Array.isArray(o)) {
      if (Reflect.ownKeys(o).length !== o.length + 1) throw new Error('snapshot: an array with extra properties or holes');
      this.recs.push({ k: 'arr', o, vals: o.slice() });
      o.forEach(visit);
      return;
    }
    if (o instanceof Map) {
      this.recs.push({ k: 'map', o, keys: [...o.keys()], vals: [...o.values()] });
      for (const [k, v] of o) { visit(k); visit(v); }
      return;
    }
    if (o instanceof Set) {
      this.recs.push({ k: 'set', o, vals: [...o] });
      o.forEach(visit);
      return;
    }
    if (typeof o === 'function') return;
    const keys = Reflect.ownKeys(o);
    /* restore() compares Object.keys() (cheap) with the recorded keys: all must be enumerable strings. */
    if (keys.length !== Object.keys(o).length) throw new Error(`snapshot: a symbol or non-enumerable property on ${o.constructor?.name ?? 'an object'}`);
    const vals: unknown[] = [];
    const obj = o as Record<string, unknown>;
    for (const k of keys) {
      const d = Object.getOwnPropertyDescriptor(o, k)!;
      if (!('value' in d)) throw new Error(`snapshot: accessor property ${String(k)} on ${o.constructor?.name ?? 'an object'}`);
      vals.push(d.value);
      if (typeof d.value === 'function') this.closures.add(`${o.constructor?.name ?? 'Object'}.${String(k)}`);
      visit(d.value);
    }
    if (!Object.isFrozen(o)) this.recs.push({ k: 'obj', o: obj, keys: keys as string[], vals });
  }

  /** Puts every recorded object back into its recorded state. */
  restore(): void {
    for (const r of this.recs) {
      switch (r.k) {
        case 'obj': {
          const o = r.o;
          const { keys, vals } = r;
          const cur = Object.keys(o);
          let same = cur.length === keys.length;
          for (let i = 0; same && i < keys.length; i++) same = cur[i] === keys[i];
          if (same) {
            for (let i = 0; i < keys.length; i++) if (o[keys[i]!] !== vals[i]) o[keys[i]!] = vals[i];
          } else {
            /* A property added or deleted (rare): rebuild the object's properties in their recorded order. */
            if (!Object.isExtensible(o)) throw new Error(`snapshot: cannot restore a non-extensible ${o.constructor?.name ?? 'object'}`);
            for (const k of cur) delete o[k];
            for (let i = 0; i < keys.length; i++) o[keys[i]!] = vals[i];
          }
          break;
        }
        case 'arr': {
          const o = r.o;
          const vals = r.vals;
          if (o.length !== vals.length) o.length = vals.length;
          for (let i = 0; i < vals.length; i++) if (o[i] !== vals[i]) o[i] = vals[i];
          break;
        }
        case 'map': {
          const o = r.o;
          /* Unchanged (same size, same keys in the same order, same values): nothing to do. */
          let same = o.size === r.keys.length;
          if (same) {
            let i = 0;
            for (const [k, v] of o) { if (k !== r.keys[i] || v !== r.vals[i]) { same = false; break; } i++; }
          }
          if (!same) { o.clear(); for (let i = 0; i < r.keys.length; i++) o.set(r.keys[i], r.vals[i]); }
          break;
        }
        case 'set': {
          const o = r.o;
          let same = o.size === r.vals.length;
          if (same) { let i = 0; for (const v of o) { if (v !== r.vals[i++]) { same = false; break; } } }
          if (!same) { o.clear(); for (const v of r.vals) o.add(v); }
          break;
        }
        case 'buf': new Uint8Array(r.o).set(r.copy); break;
      }
    }
  }
}

/** Merges byte ranges into sorted, non-overlapping ones. */
export function mergeRanges(rs: [number, number][]): [number, number][] {
  const s = [...rs].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of s) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * The core's side: its linear memory ranges that hold machine state (RAM, the current CPU's
 * registers and system registers, the fault fast path's parameters, and what the graph's typed arrays
 * view: hyp_vmemmap, the host allocator's bitmap, memslot bitmaps), copied back on restore; then a
 * core reset for what lives in WebAssembly globals, the recorded CPU block over it, and every TLB
 * and walk cache flushed.
 *
 * RAM is copied back page by page, only the pages written since the snapshot: the snapshot wraps this
 * core's writePhysU64 / writePhys / zeroPhys (the paths by which TypeScript — the hyp, the host
 * model, the DMA engine, the fuzzer — writes RAM; the core itself writes RAM only when it executes
 * instructions, which a fuzz sequence never does). Every `verifyEvery`-th restore compares all of
 * RAM with the snapshot afterwards and throws on a difference, so a write path that bypasses the
 * wrappers cannot go unnoticed.
 */
export class CoreSnapshot {
  private readonly ranges: [number, number][];
  private readonly copies: Uint8Array[];
  private readonly ram: Uint8Array;
  private readonly dirty: Uint8Array;
  private dirtyList: number[] = [];
  private restores = 0;
  constructor(readonly core: Core, extra: [number, number][], readonly verifyEvery = 256) {
    const ramEnd = L.RAM_HOST + core.ramSize;
    /* Views of RAM (the hyp's DataView of it) are covered by the RAM pages below. */
    const inRam = ([a, b]: [number, number]): boolean => a >= L.RAM_HOST && b <= ramEnd;
    this.ranges = mergeRanges([
      [L.CPU_BASE, L.CPU_BASE + L.CPU_STATE_BYTES],
      [L.PKVM_FAST, L.PKVM_FAST + 0x1000],
      [L.GIC_BASE, L.GIC_BASE + L.GIC_BYTES], // the host's GIC set-up and the vGIC state EL2 programs
      ...extra.filter((r) => !inRam(r)),
    ]);
    if (this.ranges.some(([a, b]) => b > L.RAM_HOST && a < ramEnd)) throw new Error('snapshot: a range straddles RAM');
    this.copies = this.ranges.map(([a, b]) => core.mem.slice(a, b));
    this.ram = core.ram.slice();
    this.dirty = new Uint8Array(core.ramSize >>> 12);
    const mark = (pa: bigint, len: number): void => {
      if (len <= 0 || !core.isRam(pa, len)) return; /* the call itself throws */
      const first = Number((pa - core.ramBase) >> 12n);
      const last = Number((pa + BigInt(len) - 1n - core.ramBase) >> 12n);
      for (let p = first; p <= last; p++) if (!this.dirty[p]) { this.dirty[p] = 1; this.dirtyList.push(p); }
    };
    const proto = Object.getPrototypeOf(core) as Core;
    core.writePhysU64 = (pa, v) => { mark(pa, 8); proto.writePhysU64.call(core, pa, v); };
    core.writePhys = (pa, data) => { mark(pa, data.length); proto.writePhys.call(core, pa, data); };
    core.zeroPhys = (pa, len) => { mark(pa, len); proto.zeroPhys.call(core, pa, len); };
  }
  get bytes(): number { return this.copies.reduce((n, c) => n + c.length, 0) + this.ram.length; }
  restore(): void {
    const c = this.core;
    c.reset(2, 0n);
    const mem = c.mem;
    for (let i = 0; i < this.ranges.length; i++) mem.set(this.copies[i]!, this.ranges[i]![0]);
    for (const p of this.dirtyList) {
      mem.set(this.ram.subarray(p << 12, (p + 1) << 12), L.RAM_HOST + (p << 12));
      this.dirty[p] = 0;
    }
    this.dirtyList = [];
    c.directStateWritten(true);
    c.tlbFlush();
    if (this.verifyEvery && ++this.restores % this.verifyEvery === 0) this.verify();
  }
  /** Throws unless RAM equals the snapshot (after restore()). */
  verify(): void {
    const bad = differingPages(this.core.ram, this.ram);
    if (bad.length) throw new Error(`snapshot: RAM pages ${bad.slice(0, 8).map((p) => `0x${(this.core.ramBase + (BigInt(p) << 12n)).toString(16)}`).join(', ')} changed behind the write tracking`);
  }
}

/** Indexes of the 4 KiB pages where a and b differ. */
export function differingPages(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  const wa = new Uint32Array(a.buffer, a.byteOffset, a.byteLength >>> 2);
  const wb = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
  for (let p = 0; p < wa.length >>> 10; p++) {
    for (let i = p << 10, e = i + 1024; i < e; i++) if (wa[i] !== wb[i]) { out.push(p); break; }
  }
  return out;
}

/**
 * A canonical text of everything reachable from roots (objects numbered in the order they are first
 * reached, own properties in their order, Map and Set entries in order, typed arrays by contents or,
 * on the core's memory, by range): two graphs built by the same history give the same text. For
 * tests that compare a restored machine with a fresh one.
 */
export function graphFingerprint(roots: object[], opts: GraphSnapshotOptions = {}): string {
  const ids = new Map<object, number>();
  const out: string[] = [];
  const queue: object[] = [];
  const ref = (v: unknown): string => {
    if (v === null || v === undefined) return String(v);
    switch (typeof v) {
      case 'bigint': return `${v}n`;
      case 'string': return JSON.stringify(v);
      case 'number': case 'boolean': return String(v);
      case 'function': return `fn ${v.name}`;
      case 'symbol': return v.toString();
    }
    const o = v as object;
    if (opts.opaque?.(o)) return `opaque ${o.constructor?.name}`;
    let id = ids.get(o);
    if (id === undefined) { ids.set(o, (id = ids.size)); queue.push(o); }
    return `#${id}`;
  };
  roots.forEach(ref);
  for (let q = 0; q < queue.length; q++) {
    const o = queue[q]!;
    const name = o.constructor?.name ?? 'Object';
    let body: string;
    if (o instanceof ArrayBuffer) body = Buffer.from(o).toString('base64');
    else if (ArrayBuffer.isView(o)) {
      body = o.buffer === opts.wasmBuffer ? `core memory [${o.byteOffset}, +${o.byteLength})` : Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('base64');
    } else if (Array.isArray(o)) body = o.map(ref).join(',');
    else if (o instanceof Map) body = [...o].map(([k, v]) => `${ref(k)}=>${ref(v)}`).join(',');
    else if (o instanceof Set) body = [...o].map(ref).join(',');
    else body = Object.keys(o).map((k) => `${k}:${ref((o as Record<string, unknown>)[k])}`).join(',');
    out.push(`#${ids.get(o)} ${name} {${body}}`);
  }
  return out.join('\n');
}
