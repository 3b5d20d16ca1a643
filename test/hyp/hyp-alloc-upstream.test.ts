/**
 * The hyp heap (hyp/alloc/alloc.ts) against upstream's nvhe/alloc.c (kernel-patches/bpf
 * bd93068340e9, Vincent Donnefort's 2026 heap-allocator series). Every expected value below was
 * worked out by hand from that file, not read back from the model:
 *
 *   struct chunk_hdr { u32 next; u32 prev; u32 __unmapped; u32 hash; char data[]; } (16 bytes)
 *   next / prev: offsets to the neighbours (0: none); __unmapped: offset to the chunk's first
 *   unmapped page (0: none) | USED (bit 0); hash = hash_64(next | prev << 32, 32) ^ hash_32(__unmapped, 32)
 *   MIN_ALLOC_SIZE 16 (sizes: max(size, 16) rounded up to 16); a new chunk goes at
 *   chunk_start(end of the tail's used data): never a header across a page boundary, never closer
 *   than chunk_min_size() (32) to a page start; the heap maps pages from its memcache (LIFO) as
 *   chunks grow, and reclaim unmaps the reclaimable range of the highest chunk with the most
 *   reclaimable pages, splitting it at a page boundary, then drains `target` pages of the memcache.
 *
 * The header bytes are read from emulated RAM (the physical pages behind the heap VAs).
 */
import { describe, expect, it } from 'vitest';
import { Host, hostList } from './harness';
import { E2BIG, ENOMEM, HypPanic, PKVM_NOPAGE, PKVM_PAGE_OWNED } from '../../hyp/page-state';
import { HypAllocator } from '../../hyp/alloc/alloc';
import { __pkvm_host_donate_hyp, __pkvm_hyp_donate_host } from '../../hyp/mem-protect';
import { PAGE_HYP, kvm_pgtable_hyp_translate } from '../../hyp/hyp-stage1';

const PAGE = 4096n;
const M32 = 0xffff_ffffn;
const M64 = (1n << 64n) - 1n;
/* include/linux/hash.h, written out for the test */
const hash_32 = (v: bigint): bigint => (v * 0x61c88647n) & M32;
const hash_64_32 = (v: bigint): bigint => ((v * 0x61c8864680b583ebn) & M64) >> 32n;
const hdrHash = (next: bigint, prev: bigint, unm: bigint): bigint => hash_64_32(next | (prev << 32n)) ^ hash_32(unm);

/** The 16 header bytes upstream writes for (next, prev, __unmapped). */
function hdrBytes(next: bigint, prev: bigint, unm: bigint): number[] {
  const out: number[] = [];
  for (const w of [next, prev, unm, hdrHash(next, prev, unm)]) for (let i = 0n; i < 4n; i++) out.push(Number((w >> (8n * i)) & 0xffn));
  return out;
}

/** Expect the header in RAM at physical address pa to be (next, prev, __unmapped) with its hash. */
function expectHdr(h: Host, pa: bigint, next: bigint, prev: bigint, unm: bigint): void {
  expect(Array.from(h.mem.readBytes(pa, 16)), `header at 0x${pa.toString(16)}`).toEqual(hdrBytes(next, prev, unm));
}


/** __pkvm_hyp_topup(PKVM_TOPUP_HYP_ALLOC) of n fresh pages. admit_host_page() pops the host list head
 * first and pushes each page on the heap's memcache, so the heap maps pages[0] first, then pages[1] ... */
function topup(h: Host, n: number): bigint[] {
  const l = hostList(h, n);
  const r = h.hvc('__pkvm_hyp_topup', 0n, l.head, l.nr);
  expect(r.x0).toBe(0);
  expect(r.frame[1]).toBe(0n);
  expect(r.frame[3]).toBe(0n);
  return l.pages;
}

/** __pkvm_hyp_reclaim(PKVM_TOPUP_HYP_ALLOC, target): the list handed back in x2/x3, head first. */
function reclaim(h: Host, target: bigint): bigint[] {
  const r = h.hvc('__pkvm_hyp_reclaim', 0n, target);
  expect(r.x0).toBe(0);
  expect(r.frame[1]).toBe(0n);
  const pages: bigint[] = [];
  let p = r.frame[2]!;
  for (let i = 0n; i < r.frame[3]!; i++) {
    pages.push(p);
    p = h.mem.readU64(p);
  }
  return pages;
}

const u32At = (h: Host, pa: bigint): bigint => BigInt(new DataView(h.mem.readBytes(pa, 4).buffer).getUint32(0, true));

const reclaimable = (h: Host): bigint => BigInt(h.call('__pkvm_hyp_reclaimable', 0n));

describe('hyp heap: chunk headers in RAM (upstream alloc.c)', () => {
  it('allocation places chunks back to back and writes next/prev offsets, __unmapped|USED and the hash', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const S = heap.start;
    const [p0] = topup(h, 1);
    /* first chunk at start: hyp_allocator_map() maps p0 at S; __unmapped = S + 4K - S = 0x1000 | USED */
    const a = heap.hyp_alloc(0n)!;
    expect(a).toBe(S + 16n);
    expect(h.hyp.mm.pkvm_private_va_range_pa(S)).toBe(p0);
    expectHdr(h, p0, 0n, 0n, 0x1001n);
    /* explicit bytes of the first header: next 0, prev 0, __unmapped 0x1001, hash_32(0x1001) (hash_64(0) = 0) */
    expect(Array.from(h.mem.readBytes(p0, 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0]);
    expect(u32At(h, p0 + 12n)).toBe((0x1001n * 0x61c88647n) & M32);

    /* 17 bytes -> 32; the tail's used data ends at S + 32: the chunk goes there (32 from the page start).
     * It inherits the tail's unmapped page (offset 0x1000 - 32); the old tail loses it. */
    const b = heap.hyp_alloc(17n)!;
    expect(b).toBe(S + 48n);
    expectHdr(h, p0, 32n, 0n, 0x1n);
    expectHdr(h, p0 + 32n, 0n, 32n, 0xfe1n);
    /* 0 bytes -> 16: after b's 32 bytes of data, at S + 80 */
    const c = heap.hyp_alloc(0n)!;
    expect(c).toBe(S + 96n);
    expectHdr(h, p0 + 32n, 48n, 32n, 0x1n);
    expectHdr(h, p0 + 80n, 0n, 48n, 0xfb1n);
    expect(heap.chunks().map((k) => k.addr)).toEqual([S, S + 32n, S + 80n]);

    /* free(a): used bit cleared; its next (b) is used and it has no prev: no merge */
    heap.hyp_free(a);
    expectHdr(h, p0, 32n, 0n, 0x0n);
    /* a 16-byte allocation recycles a's chunk (data size 16, nothing to map) without a split */
    expect(heap.hyp_alloc(16n)).toBe(a);
    expectHdr(h, p0, 32n, 0n, 0x1n);

    /* free(b) then free(a): b cannot merge into the used a; freeing a merges b into a (forward merge) */
    heap.hyp_free(b);
    expectHdr(h, p0 + 32n, 48n, 32n, 0x0n);
    heap.hyp_free(a);
    expectHdr(h, p0, 80n, 0n, 0x0n);
    expectHdr(h, p0 + 80n, 0n, 80n, 0xfb1n);
    expect(heap.chunks().map((k) => k.addr)).toEqual([S, S + 80n]);

    /* 32 bytes from the merged chunk: reused, and split at chunk_start(S + 48) = S + 48 (a free chunk
     * of chunk_min_size() up to c) */
    expect(heap.hyp_alloc(32n)).toBe(a);
    expectHdr(h, p0, 48n, 0n, 0x1n);
    expectHdr(h, p0 + 48n, 32n, 48n, 0x0n);
    expectHdr(h, p0 + 80n, 0n, 32n, 0xfb1n);

    /* free(c), the tail: merged into the free chunk before it, which becomes the tail and takes
     * c's unmapped page (offset 0x1000 - 48) */
    heap.hyp_free(c);
    expectHdr(h, p0 + 48n, 0n, 48n, 0xfd0n);
    expectHdr(h, p0, 48n, 0n, 0x1n);
    expect(heap.chunks().map((k) => k.addr)).toEqual([S, S + 48n]);
  });

  it('MIN_ALLOC_SIZE: sizes are max(size, 16) rounded up to 16, and only those bytes are zeroed', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const S = heap.start;
    const l = hostList(h, 1);
    const p0 = l.pages[0]!;
    h.mem.writeBytes(p0 + 8n, new Uint8Array(Number(PAGE) - 8).fill(0xa5)); /* host data left in the page */
    expect(h.call('__pkvm_hyp_topup', 0n, l.head, l.nr)).toBe(0);
    /* 0 -> 16, 1 -> 16, 17 -> 32, 33 -> 48, 48 -> 48: each chunk at the previous one's data end */
    const got = [0n, 1n, 17n, 33n, 48n].map((n) => heap.hyp_alloc(n)!);
    expect(got).toEqual([S + 16n, S + 48n, S + 80n, S + 128n, S + 192n]);
    /* headers: next offsets 32, 32, 48, 64; the tail holds the unmapped page at S + 4K */
    expectHdr(h, p0 + 0n, 32n, 0n, 1n);
    expectHdr(h, p0 + 32n, 32n, 32n, 1n);
    expectHdr(h, p0 + 64n, 48n, 32n, 1n);
    expectHdr(h, p0 + 112n, 64n, 48n, 1n);
    expectHdr(h, p0 + 176n, 0n, 64n, (PAGE - 176n) | 1n);
    /* the 48 data bytes of the last chunk are zeroed, the byte after them is the host's 0xa5 */
    expect(Array.from(h.mem.readBytes(p0 + 192n, 48)).every((x) => x === 0)).toBe(true);
    expect(h.mem.readBytes(p0 + 240n, 1)[0]).toBe(0xa5);
  });

  it('a corrupt header or a bad pointer is a WARN_ON at EL2: hyp_panic', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    topup(h, 1);
    const a = heap.hyp_alloc(256n)!;
    /* unaligned: WARN_ON(!IS_ALIGNED(data, MIN_ALLOC_SIZE)) */
    expect(() => heap.hyp_free(a + 8n)).toThrow(/hyp_free: unaligned/);
    /* a pointer into zeroed data: the "header" there hashes right (all zero), but is not used */
    expect(() => heap.hyp_free(a + 64n)).toThrow(/chunk not used/);
    /* into data that is not a header: the hash check fails */
    h.hyp.mm.writeU64(a + 48n, 0x1234_5678_9abc_def0n);
    expect(() => heap.hyp_free(a + 64n)).toThrow(/hash mismatch/);
    /* outside the heap */
    expect(() => heap.hyp_free(heap.start)).toThrow(/outside the heap/);

    /* a header corrupted in RAM: b's prev offset changed behind the hyp's back */
    const h2 = new Host();
    const [q0] = topup(h2, 1);
    h2.hyp.heap.hyp_alloc(16n)!;
    const b = h2.hyp.heap.hyp_alloc(16n)!;
    h2.mem.writeBytes(q0 + 32n + 4n, new Uint8Array([0x40, 0, 0, 0]));
    expect(() => h2.hyp.heap.hyp_free(b)).toThrow(HypPanic);
    /* and the host's __pkvm_hyp_reclaimable walks into it: the hyp panics in the hypercall */
    expect(() => h2.hvc('__pkvm_hyp_reclaimable', 0n)).toThrow(HypPanic);
  });
});

describe('hyp heap: -ENOMEM, -E2BIG and hyp_alloc_topup_needed()', () => {
  it('an empty memcache: -ENOMEM and the missing pages; pages already mapped stay mapped', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const S = heap.start;
    expect(heap.hyp_alloc(100n)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-ENOMEM);
    expect(heap.hyp_alloc_errno()).toBe(0); /* read once */
    expect(heap.hyp_alloc_topup_needed()).toBe(1);
    expect(heap.hyp_alloc_topup_needed()).toBe(0);

    /* 3 pages of data + the header with one page in the memcache: the first page gets mapped at S,
     * then PTR_ALIGN(S + 16 + 12288) - (S + 4K) = 3 more pages are needed */
    const [p0] = topup(h, 1);
    expect(heap.hyp_alloc(3n * PAGE)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-ENOMEM);
    expect(heap.hyp_alloc_topup_needed()).toBe(3);
    expect(h.hyp.mm.pkvm_private_va_range_pa(S)).toBe(p0);
    expect(heap.chunks()).toEqual([]);
    expect(reclaimable(h)).toBe(0n); /* no chunk yet: the mapped page is not reclaimable */
    const [q0, q1, q2] = topup(h, 3);
    expect(heap.hyp_alloc(3n * PAGE)).toBe(S + 16n);
    expect([S + PAGE, S + 2n * PAGE, S + 3n * PAGE].map((va) => h.hyp.mm.pkvm_private_va_range_pa(va))).toEqual([q0, q1, q2]);
    expectHdr(h, p0, 0n, 0n, 0x4001n);
    /* the whole VA range minus a header fits the size check, so the map fails: 4096 pages missing */
    const fresh = new Host().hyp.heap;
    expect(fresh.hyp_alloc(fresh.size - 16n)).toBeNull();
    expect(fresh.hyp_alloc_errno()).toBe(-ENOMEM);
    expect(fresh.hyp_alloc_topup_needed()).toBe(Number(fresh.size / PAGE));
  });

  it('-E2BIG: a size above U32_MAX or the range, or a chunk that would end past the range', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    expect(heap.hyp_alloc(1n << 32n)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-E2BIG);
    expect(heap.hyp_alloc(heap.size - 15n)).toBeNull(); /* rounds to size: > size - 16 */
    expect(heap.hyp_alloc_errno()).toBe(-E2BIG);
    topup(h, 1);
    expect(heap.hyp_alloc(16n)).toBe(heap.start + 16n);
    /* after the first chunk, the largest request starts at S + 32: its end passes the range */
    expect(heap.hyp_alloc(heap.size - 16n)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-E2BIG);
    expect(heap.hyp_alloc_topup_needed()).toBe(0);
    /* hyp_alloc_init(): 0 or above U32_MAX is -EINVAL */
    expect(new HypAllocator(h.hyp.mm, 1, { host_donate_hyp: () => 0, hyp_donate_host: () => 0 }).hyp_alloc_init(0n)).toBe(-22);
    expect(new HypAllocator(h.hyp.mm, 1, { host_donate_hyp: () => 0, hyp_donate_host: () => 0 }).hyp_alloc_init(1n << 32n)).toBe(-22);
  });
});

describe('hyp heap: reclaim of a fragmented heap', () => {
  it('reclaims from the highest chunk with the most reclaimable pages, splits at page boundaries, drains the memcache LIFO', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const mm = h.hyp.mm;
    const S = heap.start;
    const p = topup(h, 8); /* mapped in the order p[0], p[1], ... */

    const a = heap.hyp_alloc(2n * PAGE)!; /* chunk S, data to S + 8208: maps S, S+4K, S+8K (p0..p2) */
    const b = heap.hyp_alloc(16n)!; /* chunk_start(S + 8208) = S + 8K + 32 = S + 8224 */
    const c = heap.hyp_alloc(2n * PAGE)!; /* chunk S + 8256, data to S + 16464: maps S+12K, S+16K (p3, p4) */
    const d = heap.hyp_alloc(16n)!; /* chunk S + 16464 (80 from its page start) */
    expect([a, b, c, d]).toEqual([S + 16n, S + 8240n, S + 8272n, S + 16480n]);
    expect([0n, 1n, 2n, 3n, 4n].map((i) => mm.pkvm_private_va_range_pa(S + i * PAGE))).toEqual(p.slice(0, 5));
    expectHdr(h, p[4]! + 80n, 0n, 8208n, 0x1000n - 80n + 1n); /* d: unmapped page S + 20K */

    heap.hyp_free(a); /* next (b) used: no merge */
    heap.hyp_free(c); /* next (d) used; prev (b) used and c has a next: no merge */
    /* reclaimable: 3 memcache pages (p5..p7) + a: [S+4K, S+8K) + c: [S+12K, S+16K) */
    expect(reclaimable(h)).toBe(5n);

    /* target 1: a and c both have 1 page, the highest (c) wins; the page comes back through the memcache's top */
    expect(reclaim(h, 1n)).toEqual([p[3]]);
    expect(() => mm.readU64(S + 3n * PAGE)).toThrow(/translation fault/);
    /* c was split at S + 16K: a new free chunk from there to d; c keeps [S+8256, S+12K) mapped */
    expectHdr(h, p[2]! + 64n, 8128n, 32n, 0x1000n - 64n);
    expectHdr(h, p[4]!, 80n, 8128n, 0n);
    expectHdr(h, p[4]! + 80n, 0n, 80n, 0x1000n - 80n + 1n);
    expect(reclaimable(h)).toBe(4n);

    /* target 3: a's page [S+4K, S+8K) (split at S+8K), then nothing else in the chunks; the drain takes
     * 3 from the memcache: p1 (just unmapped), p5, p6; the host's list is head first: p6, p5, p1 */
    expect(reclaim(h, 3n)).toEqual([p[6], p[5], p[1]]);
    expect(() => mm.readU64(S + PAGE)).toThrow(/translation fault/);
    expectHdr(h, p[0]!, 0x2000n, 0n, 0x1000n);
    expectHdr(h, p[2]!, 32n, 0x2000n, 0n);
    expectHdr(h, p[2]! + 32n, 32n, 32n, 1n); /* b */
    for (const q of [p[1]!, p[3]!, p[5]!, p[6]!]) {
      expect(h.hyp.vmemmap.get_host_state(h.hyp.vmemmap.idx(q))).toBe(PKVM_PAGE_OWNED);
      expect(h.hyp.vmemmap.get_hyp_state(h.hyp.vmemmap.idx(q))).toBe(PKVM_NOPAGE);
      expect(h.mem.readBytes(q + 8n, Number(PAGE) - 8).every((x) => x === 0)).toBe(true); /* zeroed but the link */
    }
    expect(reclaimable(h)).toBe(1n); /* p7 */
    /* the live data is still there */
    mm.writeU64(b, 0xbn);
    mm.writeU64(d, 0xdn);
    expect(mm.readU64(b) + mm.readU64(d)).toBe(0x18n);

    /* free everything: chunks separated by unmapped holes cannot merge, so the header pages of the
     * free chunks at S and S + 8K stay mapped and are not reclaimable (no orphan mapped region) */
    heap.hyp_free(b);
    heap.hyp_free(d);
    expect(heap.chunks().map((k) => k.addr - S)).toEqual([0n, 8192n, 16384n]);
    expect(reclaimable(h)).toBe(1n);
    expect(reclaim(h, 8n)).toEqual([p[7]]);
    /* the next allocation takes the free chunk that needs the fewest new pages, then the smallest
     * (S and S + 8K both have 8176 data bytes of which 4080 mapped; the first wins the tie) and
     * splits it at chunk_start(S + 4016) = S + 4016, which inherits S's unmapped page (offset 80) */
    expect(heap.hyp_alloc(4000n)).toBe(S + 16n);
    expect(heap.hyp_alloc_errno()).toBe(0);
    expectHdr(h, p[0]!, 4016n, 0n, 1n);
    expectHdr(h, p[0]! + 4016n, 0x2000n - 4016n, 4016n, 80n);
  });

  it('the last chunk in the allocator goes as a whole: the next allocation starts over at start', () => {
    const h = new Host();
    const heap = h.hyp.heap;
    const S = heap.start;
    const p = topup(h, 3);
    const a = heap.hyp_alloc(64n)!;
    const b = heap.hyp_alloc(6000n)!; /* chunk S + 80, data to S + 6096: maps S+4K (p1) */
    expect([a, b]).toEqual([S + 16n, S + 96n]);
    expect(reclaimable(h)).toBe(1n); /* p2 in the memcache */
    /* the heap pages are level-3 PAGE_HYP (RW, not executable) leaves of the EL2 stage-1 */
    for (const [va, pa] of [[S, p[0]!], [S + PAGE, p[1]!]] as const) {
      const t = kvm_pgtable_hyp_translate(h.hyp.mm.pgt, va)!;
      expect([t.level, t.prot, t.pa]).toEqual([3, PAGE_HYP, pa]);
    }
    expect(kvm_pgtable_hyp_translate(h.hyp.mm.pgt, S + 2n * PAGE)).toBeNull();
    /* freeing the tail merges it into its used prev (allowed for the last chunk): a takes the unmapped page */
    heap.hyp_free(b);
    expect(heap.chunks().map((k) => k.addr)).toEqual([S]);
    expectHdr(h, p[0]!, 0n, 0n, 0x2001n);
    expect(reclaimable(h)).toBe(2n); /* [S+4K, S+8K) past a's used data, and p2 */
    const cmo = h.hyp.cmo.flush_dcache_to_poc;
    expect(reclaim(h, 2n)).toEqual([p[2], p[1]]);
    expect(h.hyp.cmo.flush_dcache_to_poc - cmo).toBe(2); /* kvm_flush_dcache_to_poc() of each drained page */
    expect(kvm_pgtable_hyp_translate(h.hyp.mm.pgt, S + PAGE)).toBeNull();
    expectHdr(h, p[0]!, 0n, 0n, 0x1001n);
    expect(reclaim(h, 10n)).toEqual([]); /* a is used: nothing */
    heap.hyp_free(a);
    expect(reclaimable(h)).toBe(1n);
    expect(reclaim(h, 10n)).toEqual([p[0]]);
    expect(heap.chunks()).toEqual([]);
    expect(() => h.hyp.mm.readU64(S)).toThrow(/translation fault/);
    expect(heap.hyp_alloc(8n)).toBeNull();
    expect(heap.hyp_alloc_errno()).toBe(-ENOMEM);
    expect(heap.hyp_alloc_topup_needed()).toBe(1);
  });
});

describe("hyp heap: upstream's hyp_allocator_selftest() sequence", () => {
  it('passes every check of the selftest (6-page allocator)', () => {
    const h = new Host({ autoCheck: false });
    const hyp = h.hyp;
    const SELFTEST_MAX_PAGES = 6n;
    const al = new HypAllocator(hyp.mm, 1, {
      host_donate_hyp: (pfn, nr) => __pkvm_host_donate_hyp(hyp, pfn, nr),
      hyp_donate_host: (pfn, nr) => __pkvm_hyp_donate_host(hyp, pfn, nr),
    });
    expect(al.hyp_alloc_init(SELFTEST_MAX_PAGES * PAGE)).toBe(0);
    const l = hostList(h, 6);
    const host_mc0 = { head: l.head, nr_pages: l.nr };
    expect(al.hyp_alloc_topup(host_mc0)).toBe(0);
    expect(al.mc.nr_pages).toBe(SELFTEST_MAX_PAGES);
    const host_mc = { head: 0n, nr_pages: 0n };
    const alloc = (n: bigint): bigint | null => al.hyp_alloc(n);

    alloc(SELFTEST_MAX_PAGES * PAGE);
    expect(al.hyp_alloc_errno()).toBe(-E2BIG);
    alloc(M64);
    expect(al.hyp_alloc_errno()).toBe(-E2BIG);
    /* Test first chunk */
    let addr1 = alloc(0n)!;
    expect(addr1).toBe(al.start + 16n);
    /* Test second contiguous chunk with unaligned size */
    let addr2 = alloc(16n + 1n)!;
    expect(addr2).not.toBeNull();
    let addr3 = alloc(0n)!;
    expect(addr3).toBe(addr2 + 2n * 16n + 16n);
    al.hyp_free(addr3);
    /* Test chunk recycling */
    al.hyp_free(addr1);
    expect(alloc(0n)).toBe(addr1);
    /* Test chunk forward merging */
    addr3 = alloc(0n)!;
    al.hyp_free(addr2);
    al.hyp_free(addr1);
    expect(alloc(16n * 2n)).toBe(addr1);
    al.hyp_free(addr1);
    /* Test chunk splitting */
    expect(alloc(0n)).toBe(addr1);
    expect(alloc(0n)).toBe(addr2);
    /* Test chunk backward merging */
    al.hyp_free(addr1);
    al.hyp_free(addr2);
    expect(alloc(16n * 2n)).toBe(addr1);
    al.hyp_free(addr1);
    /* Test chunk 3-way merging */
    addr1 = alloc(0n)!;
    addr2 = alloc(0n)!;
    const addr4a = alloc(0n)!;
    al.hyp_free(addr1);
    al.hyp_free(addr3);
    al.hyp_free(addr2);
    expect(alloc(16n * 3n)).toBe(addr1);
    al.hyp_free(addr4a);
    al.hyp_free(addr1);
    /* Test reclaiming */
    expect(alloc(0n)).toBe(addr1);
    expect(alloc(PAGE * 2n)).toBe(addr2);
    addr3 = alloc(0n)!;
    const addr4 = alloc(PAGE)!;
    expect(addr3).not.toBeNull();
    expect(addr4).not.toBeNull();
    /* Test reclaiming the last chunk of the list */
    al.hyp_free(addr4);
    al.hyp_alloc_reclaim(host_mc, SELFTEST_MAX_PAGES);
    expect(host_mc.nr_pages).toBe(SELFTEST_MAX_PAGES - 3n);
    /* Test punching a hole in the middle of a free chunk ... */
    al.hyp_free(addr2);
    al.hyp_alloc_reclaim(host_mc, SELFTEST_MAX_PAGES);
    expect(host_mc.nr_pages).toBe(SELFTEST_MAX_PAGES - 2n);
    expect(alloc(PAGE)).toBeNull();
    expect(al.hyp_alloc_errno()).toBe(-ENOMEM);
    /* ... and to refill this hole */
    expect(al.hyp_alloc_topup(host_mc)).toBe(0);
    /* Chunk at addr2 was made smaller by the reclaim */
    expect(alloc(PAGE)).toBe(addr2);
    /* Test reclaiming the entire allocator from the host */
    al.hyp_free(addr3);
    al.hyp_free(addr2);
    al.hyp_free(addr1);
    expect(alloc(SELFTEST_MAX_PAGES * PAGE - 16n)).toBe(addr1);
    al.hyp_free(addr1);
  });
});
