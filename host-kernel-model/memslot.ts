/**
 * A memslot: a guest IPA range backed by host pages. 'anon' backing is shmem-like: a page is
 * allocated on the guest's first touch and pinned long-term and exclusively before it is donated or
 * shared. 'guest_memfd' backing is never mapped into the VMM: apart from populating it before boot
 * (the image), the VMM cannot read or write it.
 */
export type Backing = 'anon' | 'guest_memfd';

export class Memslot {
  /** gfn → backing page PA (allocated and pinned). */
  readonly pages = new Map<bigint, bigint>();
  readonly pinned = new Set<bigint>();
  constructor(readonly ipaBase: bigint, readonly size: bigint, readonly backing: Backing) {}
  contains(ipa: bigint): boolean { return ipa >= this.ipaBase && ipa < this.ipaBase + this.size; }
  get npages(): number { return Number(this.size >> 12n); }
}
