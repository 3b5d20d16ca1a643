/**
 * The host's page allocator over the RAM it owns (everything outside the hyp carve-out and the
 * host's reserved low memory): a bitmap, first fit from the lowest address, so runs are
 * deterministic. Contiguous aligned runs serve the hyp's VM structures and stage-2 PGDs.
 */
export interface HostPageAllocatorStorage {
  /** A byte per page, zeroed: 1 = in use. */
  used: Uint8Array;
  /** [0] the next-fit cursor, [1] the free page count. */
  state: Uint32Array;
}

export class HostPageAllocator {
  private readonly used: Uint8Array;
  private readonly state: Uint32Array;
  /**
   * `storage`: where the bitmap, cursor and free count live (the core's linear memory, where its
   * stage-2 fault fast path allocates with the same rule); default: arrays of its own.
   */
  constructor(readonly base: bigint, readonly pages: number, storage?: HostPageAllocatorStorage) {
    if (storage && storage.used.length < pages) throw new RangeError('host page allocator: bitmap too small');
    this.used = storage ? storage.used.subarray(0, pages) : new Uint8Array(pages);
    this.state = storage?.state ?? new Uint32Array(2);
    this.used.fill(0);
    this.cursor = 0;
    this.nfree = pages;
  }
  private get cursor(): number { return this.state[0]!; }
  private set cursor(v: number) { this.state[0] = v; }
  private get nfree(): number { return this.state[1]!; }
  private set nfree(v: number) { this.state[1] = v; }
  get freePages(): number { return this.nfree; }
  owns(pa: bigint): boolean { return pa >= this.base && pa < this.base + BigInt(this.pages) * 4096n; }

  alloc(): bigint | null {
    const i = this.nextFree();
    if (i < 0) return null;
    this.takeIndex(i);
    return this.base + BigInt(i) * 4096n;
  }

  /** The index of the page alloc() would return next, or -1. */
  nextFree(): number {
    for (let n = 0; n < this.pages; n++) {
      const i = (this.cursor + n) % this.pages;
      if (!this.used[i]) return i;
    }
    return -1;
  }
  /** alloc() of page index i = nextFree(). */
  takeIndex(i: number): void {
    this.used[i] = 1;
    this.nfree--;
    this.cursor = i + 1;
  }

  /** `count` contiguous pages aligned to `alignPages` pages (a power of two). */
  allocContig(count: number, alignPages = 1): bigint | null {
    const basePfn = Number(this.base >> 12n);
    for (let i = 0; i + count <= this.pages; i++) {
      if ((basePfn + i) % alignPages !== 0) continue;
      let ok = true;
      for (let j = 0; j < count; j++) if (this.used[i + j]) { ok = false; i += j; break; }
      if (!ok) continue;
      for (let j = 0; j < count; j++) this.used[i + j] = 1;
      this.nfree -= count;
      return this.base + BigInt(i) * 4096n;
    }
    return null;
  }

  free(pa: bigint, count = 1): void {
    for (let j = 0; j < count; j++) {
      const i = Number((pa - this.base) >> 12n) + j;
      if (i < 0 || i >= this.pages || !this.used[i]) throw new Error(`host page allocator: double free of 0x${(pa + BigInt(j) * 4096n).toString(16)}`);
      this.used[i] = 0;
      this.nfree++;
    }
  }
}
