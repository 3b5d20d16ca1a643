/**
 * A memslot: a guest IPA range backed by host pages. 'anon' backing is shmem-like: a page is
 * allocated on the guest's first touch and pinned long-term and exclusively before it is donated or
 * shared. 'guest_memfd' backing is never mapped into the VMM: apart from populating it before boot
 * (the image), the VMM cannot read or write it.
 */
import { GfnMap, GfnSet } from './gfn-table';

export type Backing = 'anon' | 'guest_memfd';

export class Memslot {
  /**
   * gfn → backing page PA (allocated and pinned). Its presence bitmap is the "backed" bitmap the
   * core's stage-2 fault fast path reads, when given storage there (`backedBits`).
   */
  readonly pages: GfnMap;
  readonly pinned: GfnSet;
  /** ipaBase + size */
  private readonly ipaEnd: bigint;
  /** ipaBase and ipaEnd as Numbers (rounded when above 2^53: containsN() is then false). */
  private readonly ipaBaseN: number;
  private readonly ipaEndN: number;
  constructor(readonly ipaBase: bigint, readonly size: bigint, readonly backing: Backing, backedBits?: Uint8Array) {
    this.pages = new GfnMap(ipaBase >> 12n, this.npages, backedBits);
    this.pinned = new GfnSet(ipaBase >> 12n, this.npages);
    this.ipaEnd = ipaBase + size;
    const exact = this.ipaEnd <= BigInt(Number.MAX_SAFE_INTEGER);
    this.ipaBaseN = exact ? Number(ipaBase) : 0;
    this.ipaEndN = exact ? Number(this.ipaEnd) : 0;
  }
  contains(ipa: bigint): boolean { return ipa >= this.ipaBase && ipa < this.ipaEnd; }
  /** contains() of an IPA given as a Number (an integer below 2^53). */
  containsN(ipa: number): boolean { return ipa >= this.ipaBaseN && ipa < this.ipaEndN; }
  get npages(): number { return Number(this.size >> 12n); }
}
