/**
 * kernel/trace/simple_ring_buffer.c (newest form: init_mm with load/unload callbacks, find_head with
 * HEAD / HEAD_MOVING link flags), run by the hyp on memory it reaches through its stage-1: the
 * simple_buffer_page array in the donated backing pages, the data pages and the meta page pinned
 * from the host. The per-CPU struct simple_rb_per_cpu lives in the hyp's .bss upstream: here a
 * TypeScript object. Single-threaded: every cmpxchg succeeds at its first try.
 */
import type { HypMm } from '../hyp-mm';
import { EBUSY, EINVAL } from '../page-state';
import {
  BPAGE, BUF_PAGE_HDR_SIZE, META, RB_EVNT_HDR_SIZE, RING_BUFFER_DESC, RINGBUF_TYPE_TIME_EXTEND,
  SIMPLE_BUFFER_PAGE_SIZE, TRACE_BUFFER_META_SIZE, TS_MASK, TS_SHIFT,
} from './format';

export const ENODEV = 19;
const PAGE_SIZE = 4096n;
const SIMPLE_RB_LINK_HEAD = 1n;
const SIMPLE_RB_LINK_HEAD_MOVING = 2n;
const SIMPLE_RB_LINK_MASK = ~3n & ((1n << 64n) - 1n);
export const SIMPLE_RB_UNAVAILABLE = 0;
export const SIMPLE_RB_READY = 1;
export const SIMPLE_RB_WRITING = 2;

export class SimpleRbPerCpu {
  tail_page = 0n;
  reader_page = 0n;
  head_page = 0n;
  bpages = 0n;
  meta = 0n;
  nr_pages = 0;
  status = SIMPLE_RB_UNAVAILABLE;
  last_overrun = 0n;
  write_stamp = 0n;
  constructor(readonly mm: HypMm) {}

  /* ---- field access through the hyp stage-1 ---- */
  private r64(va: bigint): bigint { return this.mm.readU64(va); }
  private w64(va: bigint, v: bigint): void { this.mm.writeU64(va, v); }
  private r32(va: bigint): bigint { const b = this.mm.readBytes(va, 4); return BigInt((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0); }
  private w32(va: bigint, v: bigint): void {
    const n = Number(v & 0xffff_ffffn);
    this.mm.writeBytes(va, new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]));
  }
  private meta_inc(off: bigint, inc: bigint): void { this.w64(this.meta + off, this.r64(this.meta + off) + inc); }

  private set_head_link(bpage: bigint): void {
    this.w64(bpage + BPAGE.next, (this.r64(bpage + BPAGE.next) & SIMPLE_RB_LINK_MASK) | SIMPLE_RB_LINK_HEAD);
  }
  private unset_head_link(bpage: bigint, dst: bigint, new_type: bigint): boolean {
    const link = this.r64(bpage + BPAGE.next);
    const old = (link & SIMPLE_RB_LINK_MASK) | SIMPLE_RB_LINK_HEAD;
    if (link !== old) return false; /* try_cmpxchg */
    this.w64(bpage + BPAGE.next, dst | new_type);
    return true;
  }
  private set_normal_link(bpage: bigint): void {
    this.w64(bpage + BPAGE.next, this.r64(bpage + BPAGE.next) & SIMPLE_RB_LINK_MASK);
  }
  private next_page(bpage: bigint): bigint { return this.r64(bpage + BPAGE.next) & SIMPLE_RB_LINK_MASK; }
  private bpage_reset(bpage: bigint): void {
    this.w32(bpage + BPAGE.write, 0n);
    this.w64(bpage + BPAGE.entries, 0n);
    this.w64(this.r64(bpage + BPAGE.page) + 8n, 0n); /* local_set(&page->commit, 0) */
  }
  private bpage_init(bpage: bigint, page: bigint): void {
    this.w64(bpage + BPAGE.next, bpage); /* INIT_LIST_HEAD */
    this.w64(bpage + BPAGE.prev, bpage);
    this.w64(bpage + BPAGE.page, page);
    this.bpage_reset(bpage);
  }

  loaded(): boolean { return this.bpages !== 0n; }

  private find_head(): number {
    let retry = this.nr_pages * 2;
    let head = this.head_page;
    while (retry--) {
      const link = this.r64(this.r64(head + BPAGE.prev) + BPAGE.next);
      const flags = link & ~SIMPLE_RB_LINK_MASK & 3n;
      if (flags === SIMPLE_RB_LINK_HEAD) {
        this.head_page = head;
        return 0;
      }
      /* (HEAD_MOVING: a concurrent writer; none here) */
      head = this.next_page(head);
    }
    return -EBUSY;
  }

  /** simple_ring_buffer_swap_reader_page() */
  swap_reader_page(): number {
    if (!this.loaded()) return -ENODEV;
    const reader = this.reader_page;
    const ret = this.find_head();
    if (ret) return ret;
    const head = this.head_page;
    this.w64(reader + BPAGE.next, this.r64(head + BPAGE.next));
    this.w64(reader + BPAGE.prev, this.r64(head + BPAGE.prev));
    const last = this.r64(head + BPAGE.prev) & SIMPLE_RB_LINK_MASK;
    this.set_head_link(reader);
    const overrun = this.r64(this.meta + META.overrun);
    if (!this.unset_head_link(last, reader, 0n)) return -EINVAL;
    this.head_page = this.r64(reader + BPAGE.next) & SIMPLE_RB_LINK_MASK;
    this.w64(this.head_page + BPAGE.prev, reader);
    this.reader_page = head;
    this.w64(this.meta + META.reader_lost_events, overrun - this.last_overrun);
    this.w32(this.meta + META.reader_id, this.r32(head + BPAGE.id));
    this.last_overrun = overrun;
    return 0;
  }

  private move_tail(): bigint {
    const tail = this.tail_page;
    const new_tail = this.next_page(tail);
    if (this.unset_head_link(tail, new_tail, SIMPLE_RB_LINK_HEAD_MOVING)) {
      /* The writer caught the head: the oldest page is lost. */
      this.meta_inc(META.overrun, this.r64(new_tail + BPAGE.entries));
      this.meta_inc(META.pages_lost, 1n);
      this.set_head_link(new_tail);
      this.set_normal_link(tail);
    }
    this.bpage_reset(new_tail);
    this.tail_page = new_tail;
    this.meta_inc(META.pages_touched, 1n);
    return new_tail;
  }

  private reserve_next(length: number, timestamp: bigint): bigint {
    const event_size = BigInt(length + RB_EVNT_HDR_SIZE + 4); /* rb_event_size() */
    let ts_ext_size = 0n;
    let tail = this.tail_page;
    let time_delta = (timestamp - this.write_stamp) & ((1n << 64n) - 1n);
    if (time_delta & ~TS_MASK) ts_ext_size = 8n; /* test_time_stamp() */
    let prev_write = this.r32(tail + BPAGE.write);
    let write = prev_write + event_size + ts_ext_size;
    if (write > PAGE_SIZE - BigInt(BUF_PAGE_HDR_SIZE)) tail = this.move_tail();
    const page = this.r64(tail + BPAGE.page);
    if (!this.r64(tail + BPAGE.entries)) {
      this.w64(page, timestamp); /* page->time_stamp */
      time_delta = 0n;
      ts_ext_size = 0n;
      write = event_size;
      prev_write = 0n;
    }
    this.w32(tail + BPAGE.write, write);
    this.w64(tail + BPAGE.entries, this.r64(tail + BPAGE.entries) + 1n);
    this.write_stamp = timestamp;
    let event = page + BigInt(BUF_PAGE_HDR_SIZE) + prev_write;
    if (ts_ext_size) {
      this.w32(event, BigInt(RINGBUF_TYPE_TIME_EXTEND) | ((time_delta & TS_MASK) << 5n));
      this.w32(event + 4n, time_delta >> TS_SHIFT);
      event += 8n;
      time_delta = 0n;
    }
    this.w32(event, (time_delta & TS_MASK) << 5n); /* type_len 0 */
    this.w32(event + 4n, event_size - BigInt(RB_EVNT_HDR_SIZE));
    return event;
  }

  /** simple_ring_buffer_reserve(): the payload's VA, or null when not writable. */
  reserve(length: number, timestamp: bigint): bigint | null {
    if (this.status !== SIMPLE_RB_READY) return null;
    this.status = SIMPLE_RB_WRITING;
    return this.reserve_next(length, timestamp) + 8n;
  }

  /** simple_ring_buffer_commit() */
  commit(): void {
    const page = this.r64(this.tail_page + BPAGE.page);
    this.w64(page + 8n, BigInt(this.r32(this.tail_page + BPAGE.write)));
    this.meta_inc(META.entries, 1n);
    this.status = SIMPLE_RB_READY;
  }

  private enable_tracing_(enable: boolean): number {
    const prev = this.status;
    if (enable) {
      if (prev === SIMPLE_RB_UNAVAILABLE) this.status = SIMPLE_RB_READY;
      return prev;
    }
    if (prev === SIMPLE_RB_READY) this.status = SIMPLE_RB_UNAVAILABLE;
    return prev;
  }

  /** simple_ring_buffer_reset(): counters and pointers only (data stays). */
  reset(): number {
    if (!this.loaded()) return -ENODEV;
    const prev_status = this.enable_tracing_(false);
    const ret = this.find_head();
    if (ret) return ret;
    let bpage = (this.tail_page = this.head_page);
    do {
      this.bpage_reset(bpage);
      bpage = this.next_page(bpage);
    } while (bpage !== this.head_page);
    this.bpage_reset(this.reader_page);
    this.last_overrun = 0n;
    this.write_stamp = 0n;
    for (const off of [META.reader_read]) this.w32(this.meta + off, 0n);
    for (const off of [META.reader_lost_events, META.entries, META.overrun, META.read, META.pages_lost, META.pages_touched])
      this.w64(this.meta + off, 0n);
    if (prev_status === SIMPLE_RB_READY) this.enable_tracing_(true);
    return 0;
  }

  /**
   * simple_ring_buffer_init_mm(): `desc` is the VA of a struct ring_buffer_desc (in the donated
   * descriptor), `bpages` the VA of this CPU's simple_buffer_page array; load_page pins a host page
   * (null when it cannot), unload_page unpins it.
   */
  init_mm(bpages: bigint, desc: bigint, load_page: (va: bigint) => bigint | null, unload_page: (va: bigint) => void): number {
    const nr_page_va = Number(this.r32(desc + RING_BUFFER_DESC.nr_page_va));
    if (nr_page_va < 3) return -EINVAL; /* at least 1 reader page and two pages in the ring */
    Object.assign(this, { tail_page: 0n, reader_page: 0n, head_page: 0n, bpages: 0n, meta: 0n, nr_pages: 0,
      status: SIMPLE_RB_UNAVAILABLE, last_overrun: 0n, write_stamp: 0n });
    const page_va = (i: number): bigint => this.r64(desc + RING_BUFFER_DESC.page_va + 8n * BigInt(i));
    const meta = load_page(this.r64(desc + RING_BUFFER_DESC.meta_va));
    if (meta === null) return -EINVAL;
    this.meta = meta;
    this.mm.memset0(meta, TRACE_BUFFER_META_SIZE);
    this.w32(meta + META.meta_page_size, PAGE_SIZE);
    this.w32(meta + META.nr_subbufs, BigInt(this.nr_pages)); /* (0 here, as upstream: set before nr_pages) */
    const first = load_page(page_va(0));
    if (first === null) {
      unload_page(meta);
      return -EINVAL;
    }
    let bpage = bpages;
    this.bpage_init(bpage, first);
    this.w32(bpage + BPAGE.id, 0n);
    this.nr_pages = 1;
    this.reader_page = bpage;
    this.tail_page = this.head_page = bpage + SIMPLE_BUFFER_PAGE_SIZE;
    let ret = 0;
    let i = 1;
    for (; i < nr_page_va; i++) {
      const page = load_page(page_va(i));
      if (page === null) {
        ret = -EINVAL;
        break;
      }
      bpage += SIMPLE_BUFFER_PAGE_SIZE;
      this.bpage_init(bpage, page);
      this.w64(bpage + BPAGE.next, bpage + SIMPLE_BUFFER_PAGE_SIZE);
      this.w64(bpage + BPAGE.prev, bpage - SIMPLE_BUFFER_PAGE_SIZE);
      this.w32(bpage + BPAGE.id, BigInt(i));
      this.nr_pages = i + 1;
    }
    if (ret) {
      for (i--; i >= 0; i--) unload_page(page_va(i));
      unload_page(meta);
      return ret;
    }
    /* Close the ring */
    this.w64(bpage + BPAGE.next, this.tail_page);
    this.w64(this.tail_page + BPAGE.prev, bpage);
    /* The last init'ed page points to the head page */
    this.set_head_link(bpage);
    this.bpages = bpages;
    return 0;
  }

  /** simple_ring_buffer_unload_mm() */
  unload_mm(unload_page: (va: bigint) => void): void {
    if (!this.loaded()) return;
    this.enable_tracing_(false);
    unload_page(this.meta);
    for (let p = 0n; p < BigInt(this.nr_pages); p++) unload_page(this.r64(this.bpages + p * SIMPLE_BUFFER_PAGE_SIZE + BPAGE.page));
    this.bpages = 0n;
  }

  /** simple_ring_buffer_enable_tracing() */
  enable_tracing(enable: boolean): number {
    if (!this.loaded()) return -ENODEV;
    this.enable_tracing_(enable);
    return 0;
  }
}
