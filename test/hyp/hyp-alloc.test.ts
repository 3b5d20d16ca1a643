/**
 * The hyp heap (hyp/alloc/: upstream's nvhe/alloc.c, kernel-patches/bpf bd93068340e9) through the
 * host hypercalls: upstream's __pkvm_hyp_topup / _reclaim / _reclaimable and Android's
 * __pkvm_hyp_alloc_mgt_{refill,reclaimable,reclaim} (alloc_mgt.c, id 0 = the heap). With nothing
 * allocated, topup puts the host's pages on the heap's memcache (head first) and reclaim drains it
 * (LIFO, zeroed); the per-VM record is the first chunk (header 16 bytes, at the range's start).
 * The chunk-level behaviour is in hyp-alloc-upstream.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Host, expectOk, hostList } from './harness';
import { EINVAL, ENOMEM, EPERM, PKVM_NOPAGE, PKVM_PAGE_OWNED } from '../../hyp/page-state';
import { CHUNK_HDR_SIZE } from '../../hyp/alloc/alloc';
import { pkvm_hyp_vm_record } from '../../hyp/alloc/vm-record';

const HEAP = 0n;


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

/* hyp_alloc / hyp_free / reclaim of chunks: hyp-alloc-upstream.test.ts (upstream's alloc.c, by hand). */

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

