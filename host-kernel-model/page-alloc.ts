/**
 * The host's page allocator over the RAM it owns (everything outside the hyp carve-out and the
 * host's reserved low memory): a byte per page, next fit from a cursor, so runs are deterministic.
 * Contiguous aligned runs serve the hyp's VM structures and stage-2 PGDs.
 *
 * A free page is either of unknown contents or known to be zero: never written since the memory
 * was zeroed (the core's init zeroes all RAM, and HostKvm takes the host's RAM as init left it).
 * Whoever zeroes a page it allocates may skip a page that was known zero (the stage-2 fault fast
 * path does: it is most of what a fault costs); a write of the host to a free page (HostMemory)
 * makes it unknown (noteWrite), and a freed page is unknown.
 */
export interface HostPageAllocatorStorage {
  /** A byte per page: PAGE_FREE, PAGE_USED or PAGE_FREE_ZERO. */
  used: Uint8Array;
  /** [0] the next-fit cursor, [1] the free page count. */
  state: Uint32Array;
}

/** Free, contents unknown. */
export const PAGE_FREE = 0;
export const PAGE_USED = 1;
/** Free and known to be zero. */
export const PAGE_FREE_ZERO = 2;

export class HostPageAllocator {
  private readonly used: Uint8Array;
  private readonly state: Uint32Array;
  /**
   * `storage`: where the page bytes, cursor and free count live (the core's linear memory, where its
   * stage-2 fault fast path allocates with the same rule); default: arrays of its own. `zeroed`: the
   * pages are zero now (no write reached them since the core's init zeroed RAM).
   */
  /** base as a Number (RAM lies below 2^53). */
  readonly baseN: number;
  constructor(readonly base: bigint, readonly pages: number, storage?: HostPageAllocatorStorage, zeroed = false) {
    this.baseN = Number(base);
    if (storage && storage.used.length < pages) throw new RangeError('host page allocator: bitmap too small');
    this.used = storage ? storage.used.subarray(0, pages) : new Uint8Array(pages);
    this.state = storage?.state ?? new Uint32Array(2);
    this.used.fill(zeroed ? PAGE_FREE_ZERO : PAGE_FREE);
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
    const used = this.used, pages = this.pages;
    if (pages === 0) return -1;
    for (let n = 0, i = this.cursor % pages; n < pages; n++, i = i + 1 === pages ? 0 : i + 1) {
      if (used[i] !== PAGE_USED) return i;
    }
    return -1;
  }
  /** Page index i is free and known to be zero. */
  knownZero(i: number): boolean { return this.used[i] === PAGE_FREE_ZERO; }
  /** alloc() of page index i = nextFree(). */
  takeIndex(i: number): void {
    this.used[i] = PAGE_USED;
    this.nfree--;
    this.cursor = i + 1;
  }

  /** `count` contiguous pages aligned to `alignPages` pages (a power of two). */
  allocContig(count: number, alignPages = 1): bigint | null {
    const basePfn = Number(this.base >> 12n);
    for (let i = 0; i + count <= this.pages; i++) {
      if ((basePfn + i) % alignPages !== 0) continue;
      let ok = true;
      for (let j = 0; j < count; j++) if (this.used[i + j] === PAGE_USED) { ok = false; i += j; break; }
      if (!ok) continue;
      for (let j = 0; j < count; j++) this.used[i + j] = PAGE_USED;
      this.nfree -= count;
      return this.base + BigInt(i) * 4096n;
    }
    return null;
  }

  free(pa: bigint, count = 1): void {
    for (let j = 0; j < count; j++) {
      const i = Number((pa - this.base) >> 12n) + j;
      if (i < 0 || i >= this.pages || this.used[i] !== PAGE_USED) throw new Error(`host page allocator: double free of 0x${(pa + BigInt(j) * 4096n).toString(16)}`);
      this.used[i] = PAGE_FREE;
      this.nfree++;
    }
  }

  /** Pages [0, committed) have been committed ahead by precommit(). */
  private committed = 0;
  /**
   * Fresh memory committed ahead of the guests: the host OS backs a page of the emulator's RAM on
   * its first write, which for a page handed to a guest would come inside the guest's fault (or its
   * first store after it). Keeps the pages from the cursor to `ahead` pages past it committed, in
   * 2 MiB steps, by `touch(first, n)` (which writes pages first..first+n-1 in place, contents kept).
   */
  precommit(ahead: number, touch: (first: number, n: number) => void): void {
    const want = Math.min(this.pages, this.cursor + ahead);
    if (want <= this.committed) return;
    const to = Math.min(this.pages, Math.ceil(want / 512) * 512);
    touch(this.committed, to - this.committed);
    this.committed = to;
  }

  /** noteWrite() at a Number address. */
  noteWriteN(pa: number, n: number): void {
    if (n <= 0) return;
    const off = pa - this.baseN;
    const first = Math.floor(off / 4096), last = Math.floor((off + n - 1) / 4096);
    for (let i = Math.max(first, 0); i <= Math.min(last, this.pages - 1); i++) if (this.used[i] === PAGE_FREE_ZERO) this.used[i] = PAGE_FREE;
  }

  /** The host wrote [pa, pa + n): a free page there is no longer known zero. */
  noteWrite(pa: bigint, n: number): void {
    if (n <= 0) return;
    const off = Number(pa - this.base);
    const first = Math.floor(off / 4096), last = Math.floor((off + n - 1) / 4096);
    for (let i = Math.max(first, 0); i <= Math.min(last, this.pages - 1); i++) if (this.used[i] === PAGE_FREE_ZERO) this.used[i] = PAGE_FREE;
  }
}
