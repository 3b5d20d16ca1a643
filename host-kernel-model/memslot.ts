/**
 * A memslot: a guest IPA range backed by host pages. 'anon' backing is shmem-like: a page is
 * allocated on the guest's first touch and pinned long-term and exclusively before it is donated or
 * shared. 'guest_memfd' backing is never mapped into the VMM: apart from populating it before boot
 * (the image), the VMM cannot read or write it.
 */
export type Backing = 'anon' | 'guest_memfd';

/**
 * gfn → backing page PA, mirrored in an optional bitmap (a bit per page of the memslot: backed), which
 * the core's stage-2 fault fast path reads (it only serves pages the host has not backed yet).
 */
export class BackingPages extends Map<bigint, bigint> {
  private readonly firstGfn: number;
  constructor(firstGfn: bigint, private readonly npages: number, readonly bits?: Uint8Array) {
    super();
    this.firstGfn = Number(firstGfn);
  }
  private mark(gfn: bigint, on: boolean): void {
    if (!this.bits) return;
    const n = Number(gfn) - this.firstGfn;
    if (!(n >= 0 && n < this.npages)) return;
    if (on) this.bits[n >> 3] |= 1 << (n & 7);
    else this.bits[n >> 3] &= ~(1 << (n & 7));
  }
  override set(gfn: bigint, pa: bigint): this { super.set(gfn, pa); this.mark(gfn, true); return this; }
  override delete(gfn: bigint): boolean { this.mark(gfn, false); return super.delete(gfn); }
  override clear(): void { this.bits?.fill(0); super.clear(); }
}

export class Memslot {
  /** gfn → backing page PA (allocated and pinned). */
  readonly pages: BackingPages;
  readonly pinned = new Set<bigint>();
  /** `backedBits`: zeroed storage for the backed bitmap (≥ npages / 8 bytes), if the core reads it. */
  constructor(readonly ipaBase: bigint, readonly size: bigint, readonly backing: Backing, backedBits?: Uint8Array) {
    const npages = Number(size >> 12n);
    if (backedBits && backedBits.length * 8 < npages) throw new RangeError('memslot: backed bitmap too small');
    backedBits?.fill(0, 0, Math.ceil(npages / 8));
    this.pages = new BackingPages(ipaBase >> 12n, npages, backedBits);
  }
  contains(ipa: bigint): boolean { return ipa >= this.ipaBase && ipa < this.ipaBase + this.size; }
  get npages(): number { return Number(this.size >> 12n); }
}
