/**
 * Per-memslot tables keyed by guest frame number, dense over the memslot (as KVM keeps per-memslot
 * arrays): a presence bitmap plus values, so that entering a page costs a few stores, not a hash
 * insertion of a BigInt. They keep the Map/Set interface (bigint keys) the host model and the tests
 * use; keys outside the memslot go to a small Map/Set beside. Iteration is in ascending gfn order
 * (then the keys outside, in insertion order).
 */

function pfnOf(pa: bigint): number {
  if ((pa & 0xfffn) !== 0n || pa >> 44n !== 0n) throw new RangeError(`gfn table: 0x${pa.toString(16)} is not a page below 16 TiB`);
  return Number(pa >> 12n);
}

abstract class GfnBits {
  /** One bit per memslot page: the gfn is present. */
  readonly bits: Uint8Array;
  protected readonly first: number;
  protected count = 0;
  constructor(firstGfn: bigint, protected readonly npages: number, bits?: Uint8Array) {
    this.first = Number(firstGfn);
    if (bits && bits.length * 8 < npages) throw new RangeError('gfn table: bitmap too small');
    // (written through, as kvcalloc() zeroes a memslot's arrays: the memory is committed when the
    // memslot is made, not page by page at the guest's faults, which a sparse guest spreads out)
    this.bits = (bits ? bits.subarray(0, Math.ceil(npages / 8)) : new Uint8Array(Math.ceil(npages / 8))).fill(0);
  }
  /** Index of gfn in the memslot, or -1. */
  protected index(gfn: bigint): number {
    const i = Number(gfn) - this.first;
    return i >= 0 && i < this.npages ? i : -1;
  }
  protected test(i: number): boolean { return (this.bits[i >> 3]! & (1 << (i & 7))) !== 0; }
  /** Marks index i present; true when it was not. */
  protected mark(i: number): boolean {
    const m = 1 << (i & 7);
    const b = this.bits[i >> 3]!;
    if (b & m) return false;
    this.bits[i >> 3] = b | m;
    this.count++;
    return true;
  }
  protected unmark(i: number): boolean {
    const m = 1 << (i & 7);
    const b = this.bits[i >> 3]!;
    if (!(b & m)) return false;
    this.bits[i >> 3] = b & ~m;
    this.count--;
    return true;
  }
  protected *indices(): IterableIterator<number> {
    for (let byte = 0; byte < this.bits.length; byte++) {
      const b = this.bits[byte]!;
      if (b === 0) continue;
      for (let k = 0; k < 8; k++) if (b & (1 << k)) yield byte * 8 + k;
    }
  }
  protected gfnOf(i: number): bigint { return BigInt(this.first + i); }
  /** Bytes of the dense tables (what the table costs per memslot page, times npages). */
  get denseBytes(): number { return this.bits.byteLength; }
}

/**
 * gfn → physical address of a backing page, dense over the memslot: the page frame number in 32
 * bits (PAs below 16 TiB, page-aligned: 4 bytes and a bit per memslot page).
 */
export class GfnMap extends GfnBits implements Map<bigint, bigint> {
  private readonly pfn: Uint32Array;
  private readonly outside = new Map<bigint, bigint>();
  constructor(firstGfn: bigint, npages: number, bits?: Uint8Array) {
    super(firstGfn, npages, bits);
    this.pfn = new Uint32Array(npages).fill(0); // (committed now: see GfnBits)
  }
  get denseBytes(): number { return super.denseBytes + this.pfn.byteLength; }
  get size(): number { return this.count + this.outside.size; }
  get(gfn: bigint): bigint | undefined {
    const i = this.index(gfn);
    if (i < 0) return this.outside.get(gfn);
    return this.test(i) ? BigInt(this.pfn[i]!) << 12n : undefined;
  }
  has(gfn: bigint): boolean {
    const i = this.index(gfn);
    return i < 0 ? this.outside.has(gfn) : this.test(i);
  }
  /** get() of a gfn given as a Number (a non-negative integer whose IPA is below 2^53): the PA as a Number, or -1. */
  getNumber(gfn: number): number {
    const i = gfn - this.first;
    if (i < 0 || i >= this.npages) {
      const pa = this.outside.get(BigInt(gfn));
      return pa === undefined ? -1 : Number(pa);
    }
    return this.test(i) ? this.pfn[i]! * 4096 : -1;
  }
  set(gfn: bigint, pa: bigint): this {
    const i = this.index(gfn);
    if (i < 0) this.outside.set(gfn, pa);
    else { this.pfn[i] = pfnOf(pa); this.mark(i); }
    return this;
  }
  /** set() with Numbers (the fast path's log). */
  setNumber(gfn: number, pa: number): void {
    const i = gfn - this.first;
    const pfn = pa / 4096;
    if (i < 0 || i >= this.npages) this.outside.set(BigInt(gfn), BigInt(pa));
    else if ((pfn >>> 0) === pfn) { this.pfn[i] = pfn; this.mark(i); }
    else throw new RangeError(`gfn table: 0x${pa.toString(16)} is not a page below 16 TiB`);
  }
  /**
   * setNumber() of a gfn in the memslot whose presence bit was set already, by whoever shares the
   * bitmap (the core's fault fast path sets its "backed" bit): counted as new.
   */
  setMarkedNumber(gfn: number, pa: number): void {
    const i = gfn - this.first;
    const pfn = pa / 4096;
    if (i < 0 || i >= this.npages || (pfn >>> 0) !== pfn || !this.test(i)) { this.setNumber(gfn, pa); return; }
    this.pfn[i] = pfn;
    this.count++;
  }
  /**
   * setMarkedNumber() of each entry of a log of n (gfn, pa, ...) records of `stride` 32-bit words
   * (low word first) at words[at..]: the fault fast path's log (fault-fast-path.ts), in one loop.
   */
  setMarkedFromLog(words: Uint32Array, at: number, n: number, stride: number): void {
    const first = this.first, npages = this.npages, pfns = this.pfn, bits = this.bits;
    let added = 0;
    for (let k = 0, e = at; k < n; k++, e += stride) {
      const glo = words[e]!, i = glo - first;
      const hi = words[e + 3]!, lo = words[e + 2]!;
      // a gfn below 2^32 in the memslot, a page below 16 TiB: its pfn fits 32 bits
      if (words[e + 1] === 0 && i >= 0 && i < npages && hi < 0x1000 && (lo & 0xfff) === 0 && (bits[i >>> 3]! & (1 << (i & 7))) !== 0) {
        pfns[i] = hi * 0x10_0000 + (lo >>> 12);
        added++;
      } else this.setMarkedNumber(words[e + 1]! * 0x1_0000_0000 + glo, hi * 0x1_0000_0000 + lo);
    }
    this.count += added;
  }
  delete(gfn: bigint): boolean {
    const i = this.index(gfn);
    return i < 0 ? this.outside.delete(gfn) : this.unmark(i);
  }
  clear(): void { this.bits.fill(0); this.count = 0; this.outside.clear(); }
  *entries(): MapIterator<[bigint, bigint]> {
    for (const i of this.indices()) yield [this.gfnOf(i), BigInt(this.pfn[i]!) << 12n];
    yield* this.outside.entries();
  }
  *keys(): MapIterator<bigint> { for (const [k] of this.entries()) yield k; }
  *values(): MapIterator<bigint> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): MapIterator<[bigint, bigint]> { return this.entries(); }
  forEach(cb: (value: bigint, key: bigint, map: Map<bigint, bigint>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
  get [Symbol.toStringTag](): string { return 'GfnMap'; }
}

/** A set of gfns, dense over the memslot. */
export class GfnSet extends GfnBits implements Set<bigint> {
  private readonly outside = new Set<bigint>();
  get size(): number { return this.count + this.outside.size; }
  has(gfn: bigint): boolean {
    const i = this.index(gfn);
    return i < 0 ? this.outside.has(gfn) : this.test(i);
  }
  add(gfn: bigint): this {
    const i = this.index(gfn);
    if (i < 0) this.outside.add(gfn);
    else this.mark(i);
    return this;
  }
  /** has() with a Number. */
  hasNumber(gfn: number): boolean {
    const i = gfn - this.first;
    return i >= 0 && i < this.npages ? this.test(i) : this.outside.has(BigInt(gfn));
  }
  /** add() with a Number (the fast path's log). */
  addNumber(gfn: number): void {
    const i = gfn - this.first;
    if (i >= 0 && i < this.npages) this.mark(i); else this.outside.add(BigInt(gfn));
  }
  /** addNumber() of the gfn of each record of a log (GfnMap.setMarkedFromLog()), in one loop. */
  addFromLog(words: Uint32Array, at: number, n: number, stride: number): void {
    const first = this.first, npages = this.npages, bits = this.bits;
    let added = 0;
    for (let k = 0, e = at; k < n; k++, e += stride) {
      // (a gfn below 2^32 whose index is in the memslot: small-integer arithmetic only)
      const lo = words[e]!, i = lo - first;
      if (words[e + 1] !== 0 || i < 0 || i >= npages) { this.outside.add(BigInt(words[e + 1]! * 0x1_0000_0000 + lo)); continue; }
      const m = 1 << (i & 7), b = bits[i >>> 3]!;
      if ((b & m) === 0) { bits[i >>> 3] = b | m; added++; }
    }
    this.count += added;
  }
  delete(gfn: bigint): boolean {
    const i = this.index(gfn);
    return i < 0 ? this.outside.delete(gfn) : this.unmark(i);
  }
  clear(): void { this.bits.fill(0); this.count = 0; this.outside.clear(); }
  *values(): SetIterator<bigint> {
    for (const i of this.indices()) yield this.gfnOf(i);
    yield* this.outside.values();
  }
  keys(): SetIterator<bigint> { return this.values(); }
  *entries(): SetIterator<[bigint, bigint]> { for (const v of this.values()) yield [v, v]; }
  [Symbol.iterator](): SetIterator<bigint> { return this.values(); }
  forEach(cb: (value: bigint, key: bigint, set: Set<bigint>) => void, thisArg?: unknown): void {
    for (const v of this.values()) cb.call(thisArg, v, v, this);
  }
  get [Symbol.toStringTag](): string { return 'GfnSet'; }
}
