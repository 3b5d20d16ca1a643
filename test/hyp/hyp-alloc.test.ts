/**
 * The hyp heap (hyp/alloc/, Android's nvhe/alloc.c + alloc_mgt.c) through the host hypercalls
 * __pkvm_hyp_alloc_mgt_{refill,reclaimable,reclaim}. Expected values follow alloc.c's algorithm:
 * chunk_hdr is 32 bytes, sizes round up to MIN_ALLOC (8), the first chunk sits at the start of the
 * private range, a page is mapped when a chunk's end crosses into it, reclaim empties the per-CPU
 * memcache first, then destroys free chunks / unmaps their free tail pages from the last chunk back.
 */
import { describe, expect, it } from 'vitest';
import { Host, expectOk } from './harness';
import { push_hyp_memcache } from '../../hyp/memcache';
import { E2BIG, EINVAL, ENOMEM, EPERM, HypPanic, PKVM_NOPAGE, PKVM_PAGE_OWNED } from '../../hyp/page-state';
import { CHUNK_HDR_SIZE } from '../../hyp/alloc/alloc';
import { PRIVATE_VA_BASE } from '../../hyp/hyp-mm';
import { pkvm_hyp_vm_record } from '../../hyp/alloc/vm-record';

const HEAP = 0n;

/** A host memcache list of n fresh pages (pushed in order: the last page is the head). */
function hostList(host: Host, n: number): { head: bigint; nr: bigint; pages: bigint[] } {
  const mc = { head: 0n, nr_pages: 0n };
  const pages: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const p = host.alloc();
    pages.push(p);
    push_hyp_memcache(host.mem, mc, p);
  }
  return { head: mc.head, nr: mc.nr_pages, pages };
}

const hostState = (h: Host, p: bigint): number => h.hyp.vmemmap.get_host_state(h.hyp.vmemmap.idx(p));
const hypState = (h: Host, p: bigint): number => h.hyp.vmemmap.get_hyp_state(h.hyp.vmemmap.idx(p));

/** The pages of a memcache list handed back by the hyp: `nr` pages from `head`, each linking the next. */
function memcacheList(h: Host, head: bigint, nr: bigint): bigint[] {
  const pages: bigint[] = [];
  let p = head;
  for (let i = 0n; i < nr; i++) {
    pages.push(p);
    p = h.mem.readU64(p);
  }
  return pages;
}

function reclaim(h: Host, id: bigint, target: number): bigint[] {
  const r = h.hvc('__pkvm_hyp_alloc_mgt_reclaim', id, BigInt(target));
  expect(r.x0).toBe(0);
  return memcacheList(h, r.frame[1]!, r.frame[2]!);
}

describe('__pkvm_hyp_alloc_mgt_refill / reclaimable / reclaim (heap id 0)', () => {
  it('refill donates every page of the host list to the hyp; reclaimable counts them; reclaim gives back up to target', () => {
    const h = new Host();
    const l = hostList(h, 3);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(0);
    for (const p of l.pages) {
      expect(hostState(h, p)).toBe(PKVM_NOPAGE);
      expect(hypState(h, p)).toBe(PKVM_PAGE_OWNED);
      expect(h.hyp.mm.is_mapped(p)).toBe(true); /* donate_hyp maps the page at EL2 */
    }
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(3);
    const back = reclaim(h, HEAP, 2);
    expect(back.length).toBe(2);
    for (const p of back) {
      expect(hostState(h, p)).toBe(PKVM_PAGE_OWNED);
      expect(hypState(h, p)).toBe(PKVM_NOPAGE);
      expect(h.hyp.mm.is_mapped(p)).toBe(false); /* hyp_donate_host unmaps it */
    }
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(1);
    expect(reclaim(h, HEAP, 0)).toEqual([]); /* target <= 0: nothing */
    expect(reclaim(h, HEAP, 5).length).toBe(1);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(0);
  });

  it('refill stops with -ENOMEM at the first page the host cannot donate; the pages before it stay admitted', () => {
    const h = new Host();
    const l = hostList(h, 3);
    /* The second page to be popped (pages[1]) is shared with the hyp: not host OWNED. */
    expectOk(h.call('__pkvm_host_share_hyp', l.pages[1]! >> 12n), 'share');
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(-ENOMEM);
    expect(hypState(h, l.pages[2]!)).toBe(PKVM_PAGE_OWNED);
    expect(hostState(h, l.pages[0]!)).toBe(PKVM_PAGE_OWNED);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(1);
    /* An empty list is fine; a non-memory head with pages is not donatable (-ENOMEM). */
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, 0, 0)).toBe(0);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, 0x0900_0000n, 1)).toBe(-ENOMEM);
  });

  it('ids at or above NR_ALLOC_MGT_IDS: refill -EINVAL, reclaimable 0, reclaim gives nothing', () => {
    const h = new Host();
    const l = hostList(h, 1);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', 2, l.head, l.nr)).toBe(-EINVAL);
    expect(hostState(h, l.pages[0]!)).toBe(PKVM_PAGE_OWNED);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', 2)).toBe(0);
    expect(reclaim(h, 7n, 4)).toEqual([]);
  });

  it('a page the hyp owns cannot be given to it again (the donate-to-hyp checks)', () => {
    const h = new Host();
    const l = hostList(h, 1);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(0);
    expect(h.call('__pkvm_host_share_hyp', l.pages[0]! >> 12n)).toBe(-EPERM);
    /* the same list again: its head page is now the hyp's */
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, 1)).toBe(-ENOMEM);
  });
});

describe("upstream's __pkvm_hyp_topup / __pkvm_hyp_reclaimable / __pkvm_hyp_reclaim (PKVM_TOPUP_HYP_ALLOC)", () => {
  /** The list handed back in x2 (head) and x3 (nr_pages). */
  const listOf = (h: Host, frame: bigint[]): bigint[] => memcacheList(h, frame[2]!, frame[3]!);

  it('topup donates the list to the heap (x1 = 0, x2/x3 = nothing left); reclaim returns zeroed pages in x2/x3', () => {
    const h = new Host();
    const l = hostList(h, 3);
    const t = h.hvc('__pkvm_hyp_topup', HEAP, l.head, l.nr);
    expect(t.x0).toBe(0);
    expect(t.frame[1]).toBe(0n);
    expect(t.frame[3]).toBe(0n);
    for (const p of l.pages) expect(hypState(h, p)).toBe(PKVM_PAGE_OWNED);
    expect(h.call('__pkvm_hyp_reclaimable', HEAP)).toBe(3);
    const r = h.hvc('__pkvm_hyp_reclaim', HEAP, 2n);
    expect(r.x0).toBe(0);
    expect(r.frame[1]).toBe(0n);
    const back = listOf(h, r.frame);
    expect(back.length).toBe(2);
    for (const p of back) {
      expect(hostState(h, p)).toBe(PKVM_PAGE_OWNED);
      expect(hypState(h, p)).toBe(PKVM_NOPAGE);
    }
    expect(h.call('__pkvm_hyp_reclaimable', HEAP)).toBe(1);
  });

  it('topup stops at the first page the host cannot donate (-ENOMEM) and hands the rest of the list back', () => {
    const h = new Host();
    const l = hostList(h, 3);
    expectOk(h.call('__pkvm_host_share_hyp', l.pages[1]! >> 12n), 'share');
    const t = h.hvc('__pkvm_hyp_topup', HEAP, l.head, l.nr);
    expect(Number(BigInt.asIntN(64, t.frame[1]!))).toBe(-ENOMEM);
    /* pages[2] (the head) was admitted; pages[1] and pages[0] are what is left, head first */
    expect(hypState(h, l.pages[2]!)).toBe(PKVM_PAGE_OWNED);
    expect(listOf(h, t.frame)).toEqual([l.pages[1], l.pages[0]]);
  });

  it('any other pkvm_topup_id: topup and reclaim -EINVAL with nothing moved, reclaimable 0', () => {
    const h = new Host();
    const l = hostList(h, 1);
    const t = h.hvc('__pkvm_hyp_topup', 1n, l.head, l.nr);
    expect(Number(BigInt.asIntN(64, t.frame[1]!))).toBe(-EINVAL);
    expect(t.frame[2]).toBe(l.head);
    expect(t.frame[3]).toBe(1n);
    expect(hostState(h, l.pages[0]!)).toBe(PKVM_PAGE_OWNED);
    expect(h.call('__pkvm_hyp_topup', HEAP, l.head, l.nr)).toBe(0);
    expect(h.call('__pkvm_hyp_reclaimable', 1n)).toBe(0);
    const r = h.hvc('__pkvm_hyp_reclaim', 1n, 4n);
    expect(Number(BigInt.asIntN(64, r.frame[1]!))).toBe(-EINVAL);
    expect(r.frame[3]).toBe(0n);
    expect(h.call('__pkvm_hyp_reclaimable', HEAP)).toBe(1);
  });

  it('are callable before pKVM is finalised (the common band), unlike the pKVM band', () => {
    const h = new Host({ protectedModeInitialized: false });
    const r = h.hvc('__pkvm_hyp_reclaimable', HEAP);
    expect(r.x0).toBe(0); /* SMCCC_RET_SUCCESS */
    expect(r.frame[1]).toBe(0n);
    expect(h.hvc('__pkvm_host_share_hyp', 0x4000_0n).x0).toBe(-1); /* NOT_SUPPORTED */
  });
});

describe('hyp_alloc / hyp_free', () => {
  it('fails with -ENOMEM and the missing donations until the host refills; chunks are zeroed and laid out as alloc.c', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    expect(heap.start).toBeGreaterThanOrEqual(PRIVATE_VA_BASE);
    expect(heap.hyp_alloc(100n)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-ENOMEM);
    expect(heap.hyp_alloc_missing_donations()).toBe(1);
    expect(heap.hyp_alloc_missing_donations()).toBe(0); /* read once */

    const l = hostList(h, 1);
    h.mem.writeU64(l.pages[0]! + 64n, 0xdeadn); /* host data in the page: the allocation must not see it */
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(0);
    const a = heap.hyp_alloc(100n)!;
    expect(a).toBe(heap.start + CHUNK_HDR_SIZE);
    expect(h.hyp.mm.readBytes(a, 104).every((b) => b === 0)).toBe(true);
    expect(heap.chunks()).toEqual([{ addr: heap.start, alloc_size: 104n, mapped_size: 4096n }]);
    /* the chunk's page is the donated one, mapped at the heap VA */
    expect(h.hyp.mm.__pkvm_private_range_pa(heap.start)).toBe(l.pages[0]);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(0);

    /* 5000 bytes after it: chunk at start + 136, ending at start + 5168: one more page */
    expect(heap.hyp_alloc(5000n)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-ENOMEM);
    expect(heap.hyp_alloc_missing_donations()).toBe(1);
    const l2 = hostList(h, 1);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l2.head, l2.nr)).toBe(0);
    const b = heap.hyp_alloc(5000n)!;
    expect(b).toBe(heap.start + 136n + CHUNK_HDR_SIZE);
    expect(heap.chunks()).toEqual([
      { addr: heap.start, alloc_size: 104n, mapped_size: 136n },
      { addr: heap.start + 136n, alloc_size: 5000n, mapped_size: 8192n - 136n },
    ]);
    h.hyp.mm.writeU64(b + 4992n, 0x1234n);
    expect(h.mem.readU64(l2.pages[0]! + 136n + 32n + 4992n - 4096n)).toBe(0x1234n);

    /* VA space: past the last chunk, chunk_inc_map() finds too little unmapped VA (-EINVAL) */
    expect(heap.hyp_alloc(heap.size)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-EINVAL);
    /* a first chunk larger than the range: hyp_allocator_map() answers -E2BIG */
    const fresh = new Host().hyp.heap;
    expect(fresh.hyp_alloc(fresh.size)).toBeNull();
    expect(fresh.hyp_alloc_errno()).toBe(-E2BIG);
  });

  it('free merges chunks; reclaim returns only free pages (zeroed) and unmaps them; reclaimable reports them', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const l = hostList(h, 3);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(0);
    const a = heap.hyp_alloc(64n)!;
    const b = heap.hyp_alloc(6000n)!; /* chunk at start + 96 .. start + 6128: maps page 2 */
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(1); /* the unused memcache page */
    h.hyp.mm.writeU64(b + 5000n, 0x5555n);
    heap.hyp_free(b);
    /* b's chunk is free, its second page (start + 4096 .. + 8192) holds nothing live */
    expect(heap.chunks()).toEqual([
      { addr: heap.start, alloc_size: 64n, mapped_size: 96n },
      { addr: heap.start + 96n, alloc_size: 0n, mapped_size: 8192n - 96n },
    ]);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(2);
    const back = reclaim(h, HEAP, 2);
    expect(back.length).toBe(2);
    for (const p of back) {
      expect(hostState(h, p)).toBe(PKVM_PAGE_OWNED);
      expect(h.mem.readBytes(p, 4096).subarray(8).every((x) => x === 0)).toBe(true); /* zeroed (but the link) */
    }
    /* the heap's second page is gone from EL2: touching it is an EL2 data abort */
    expect(() => h.hyp.mm.readU64(heap.start + 4096n)).toThrow(HypPanic);
    /* a is still there */
    h.hyp.mm.writeU64(a, 7n);
    expect(h.hyp.mm.readU64(a)).toBe(7n);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(0);
    /* a used chunk is never reclaimed */
    expect(reclaim(h, HEAP, 10)).toEqual([]);
    heap.hyp_free(a);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(1);
    expect(reclaim(h, HEAP, 10).length).toBe(1);
    expect(heap.chunks()).toEqual([]);
    /* everything back: the next allocation starts over at the range's start */
    expect(heap.hyp_alloc(8n)).toBeNull();
  });

  it('hyp_free of an address hyp_alloc did not return is caught by the chunk hash (hyp_panic)', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const l = hostList(h, 1);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(0);
    const a = heap.hyp_alloc(256n)!;
    expect(() => heap.hyp_free(a + 64n)).toThrow(HypPanic);
    /* corrupting a header through the host's view of the page is caught too */
    const h2 = new Host();
    const l2 = hostList(h2, 1);
    expect(h2.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l2.head, l2.nr)).toBe(0);
    const c = h2.hyp.heap.hyp_alloc(32n)!;
    h2.mem.writeU64(l2.pages[0]!, 0x40n); /* alloc_size/mapped_size */
    expect(() => h2.hyp.heap.hyp_free(c)).toThrow(HypPanic);
  });
});

describe('per-VM bookkeeping on the heap (hypHeapVms)', () => {
  it('init_vm fails -ENOMEM until refilled; teardown frees the record and reclaim gives its page back', () => {
    const h = new Host({ hypHeapVms: true });
    expect(() => h.createVm(true, 2)).toThrow(/init_vm: -12/);
    const l = hostList(h, 1);
    expect(h.call('__pkvm_hyp_alloc_mgt_refill', HEAP, l.head, l.nr)).toBe(0);
    /* the failed attempt's handle was reserved: a new one is used */
    const vm = h.createVm(true, 2);
    const rec = pkvm_hyp_vm_record(h.hyp.get_vm_by_handle(vm.handle)!)!;
    expect(rec).toBe(h.hyp.heap.start + CHUNK_HDR_SIZE);
    expect(h.hyp.mm.readU64(rec) & 0xffffn).toBe(BigInt(vm.handle));
    expect(h.hyp.mm.readU64(rec + 8n)).toBe(vm.kvm);
    expect(h.hyp.mm.readU64(rec + 16n)).toBe(h.hyp.get_vm_by_handle(vm.handle)!.vcpus[0]!.pa);
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(0);
    expect(reclaim(h, HEAP, 1)).toEqual([]);
    expectOk(h.call('__pkvm_start_teardown_vm', vm.handle), 'start');
    expectOk(h.call('__pkvm_finalize_teardown_vm', vm.handle), 'finalize');
    expect(h.call('__pkvm_hyp_alloc_mgt_reclaimable', HEAP)).toBe(1);
    const back = reclaim(h, HEAP, 1);
    expect(back).toEqual([l.pages[0]]);
    expect(hostState(h, back[0]!)).toBe(PKVM_PAGE_OWNED);
  });
});

