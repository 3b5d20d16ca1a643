/**
 * hyp_vmemmap: one 8-byte struct hyp_page per RAM page (nvhe/memory.h):
 *
 *   u16 refcount; u8 order; u8 __host_state:4, __hyp_state_comp:4;
 *   u32 host_share_guest_count;
 *
 * The hyp state is stored complemented (XOR PKVM_PAGE_STATE_MASK) so that a
 * zeroed vmemmap means host OWNED / hyp NOPAGE. Indexed by pfn - ramBase pfn.
 */
import { BUG_ON, PKVM_PAGE_STATE_MASK } from './page-state';

export const HYP_NO_ORDER = 0xff;
export const USHRT_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

export class HypVmemmap {
  readonly basePfn: bigint;
  readonly nrPages: number;
  /** basePfn + nrPages (has() is on every page-state check). */
  private readonly endPfn: bigint;
  /** basePfn and endPfn as Numbers. */
  private readonly basePfnN: number;
  private readonly endPfnN: number;
  readonly raw: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;

  /**
   * `backing`: where the struct hyp_page array lives (8 bytes per page; zeroed here), e.g. the core's
   * linear memory, where its stage-2 fault fast path reads and updates it; default: its own buffer.
   */
  constructor(ramBase: bigint, ramSize: bigint, backing?: Uint8Array) {
    this.basePfn = ramBase >> 12n;
    this.nrPages = Number(ramSize >> 12n);
    this.endPfn = this.basePfn + BigInt(this.nrPages);
    this.basePfnN = Number(this.basePfn);
    this.endPfnN = Number(this.endPfn);
    if (backing && (backing.byteLength < this.nrPages * 8 || backing.byteOffset % 8 !== 0))
      throw new RangeError('hyp_vmemmap: backing store too small or misaligned');
    const raw = backing ? backing.subarray(0, this.nrPages * 8).fill(0) : new Uint8Array(this.nrPages * 8);
    this.raw = raw;
    this.u16 = new Uint16Array(raw.buffer, raw.byteOffset, this.nrPages * 4);
    this.u32 = new Uint32Array(raw.buffer, raw.byteOffset, this.nrPages * 2);
  }

  has(pfn: bigint): boolean {
    return pfn >= this.basePfn && pfn < this.endPfn;
  }

  /**
   * hyp_phys_to_page(): index of the struct hyp_page for a physical address, a u64 or a Number. In
   * Numbers: RAM lies below 2^52, where they are exact (an address that is not exact, at or above
   * 2^53, stays above RAM).
   */
  idx(phys: bigint | number): number {
    const pfn = Math.floor(Number(phys) / 4096);
    /* (the message only when it fires: idx() is on every page-state path) */
    if (!(pfn >= this.basePfnN && pfn < this.endPfnN)) BUG_ON(true, `hyp_vmemmap: no struct hyp_page for 0x${phys.toString(16)}`);
    return pfn - this.basePfnN;
  }

  /** idx() of a page frame number given as a Number (below 2^53). */
  idx_pfn(pfn: number): number {
    if (!(pfn >= this.basePfnN && pfn < this.endPfnN)) BUG_ON(true, `hyp_vmemmap: no struct hyp_page for pfn 0x${pfn.toString(16)}`);
    return pfn - this.basePfnN;
  }

  /** hyp_page_to_phys(): the physical address of the page of struct hyp_page i. */
  hyp_page_to_phys(i: number): bigint {
    return BigInt(this.basePfnN + i) << 12n;
  }

  refcount(i: number): number { return this.u16[i * 4]!; }
  setRefcount(i: number, v: number): void { this.u16[i * 4] = v; }
  order(i: number): number { return this.raw[i * 8 + 2]!; }
  setOrder(i: number, v: number): void { this.raw[i * 8 + 2] = v; }
  shareCount(i: number): number { return this.u32[i * 2 + 1]!; }
  setShareCount(i: number, v: number): void { this.u32[i * 2 + 1] = v; }

  get_host_state(i: number): number { return this.raw[i * 8 + 3]! & 0xf; }
  set_host_state(i: number, s: number): void {
    this.raw[i * 8 + 3] = (this.raw[i * 8 + 3]! & 0xf0) | (s & 0xf);
  }
  get_hyp_state(i: number): number { return ((this.raw[i * 8 + 3]! >> 4) ^ PKVM_PAGE_STATE_MASK) & 0xf; }
  set_hyp_state(i: number, s: number): void {
    this.raw[i * 8 + 3] = (this.raw[i * 8 + 3]! & 0x0f) | (((s ^ PKVM_PAGE_STATE_MASK) & 0xf) << 4);
  }

  /* nvhe/memory.h refcount helpers */
  hyp_page_ref_inc(i: number): void {
    BUG_ON(this.refcount(i) === USHRT_MAX, 'hyp_page refcount overflow');
    this.setRefcount(i, this.refcount(i) + 1);
  }
  hyp_page_ref_dec(i: number): void {
    BUG_ON(this.refcount(i) === 0, 'hyp_page refcount underflow');
    this.setRefcount(i, this.refcount(i) - 1);
  }
  hyp_page_ref_dec_and_test(i: number): boolean {
    this.hyp_page_ref_dec(i);
    return this.refcount(i) === 0;
  }
  hyp_set_page_refcounted(i: number): void {
    BUG_ON(this.refcount(i) !== 0, 'hyp_set_page_refcounted on a referenced page');
    this.setRefcount(i, 1);
  }
  hyp_page_count(phys: bigint | number): number {
    return this.refcount(this.idx(phys));
  }
}
