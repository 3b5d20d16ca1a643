/**
 * The hyp heap allocator (Android's arch/arm64/kvm/hyp/nvhe/alloc.c, Vincent Donnefort, 2023; not in
 * mainline): chunks carved in a private VA range of the hyp stage-1, backed page by page with pages
 * the host donated (__pkvm_hyp_alloc_mgt_refill puts them in a per-CPU memcache), given back by
 * reclaim. The chunk headers are real memory at EL2 VAs, read and written through the hyp stage-1
 * (hyp-mm.ts), with upstream's layout:
 *
 *   struct chunk_hdr { u32 alloc_size; u32 mapped_size; struct list_head node; u32 hash; char data[] __aligned(8); }
 *
 * (alloc_size at 0, mapped_size at 4, node.next at 8, node.prev at 16, hash at 24, data at 32), the
 * hash over the first 24 bytes (hash_64() of each u64, xored). The list head lives in the hyp's
 * .bss upstream; here it is the constant ALLOCATOR_HEAD, which no chunk can be at.
 */
import type { HypMm } from '../hyp-mm';
import type { KvmHypMemcache } from '../memcache';
import { E2BIG, EBUSY, EINVAL, ENOMEM, WARN_ON } from '../page-state';
import { PAGE_MASK, PAGE_SIZE } from '../pgtable-defs';

export const MIN_ALLOC = 8n;
const HDR_ALLOC_SIZE = 0n;
const HDR_MAPPED_SIZE = 4n;
const HDR_NODE = 8n; /* node.next at +8, node.prev at +16 */
const HDR_HASH = 24n;
/** chunk_hdr_size(): offsetof(struct chunk_hdr, data). */
export const CHUNK_HDR_SIZE = 32n;
/** The list head's "address" (its list_head lives outside RAM in the model). */
const ALLOCATOR_HEAD = 0xffff_ffff_ffff_f000n;

const U32_MAX = 0xffff_ffffn;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;
const M64 = (1n << 64n) - 1n;
/** hash_64(val, 32) (include/linux/hash.h). */
const hash_64_32 = (v: bigint): bigint => ((v * GOLDEN_RATIO_64) & M64) >> 32n;

const PAGE_ALIGN = (x: bigint): bigint => (x + PAGE_SIZE - 1n) & PAGE_MASK;
const PAGE_ALIGN_DOWN = (x: bigint): bigint => x & PAGE_MASK;
const PAGE_ALIGNED = (x: bigint): boolean => (x & (PAGE_SIZE - 1n)) === 0n;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** chunk_size(size) */
export const chunk_size = (size: bigint): bigint => CHUNK_HDR_SIZE + max(size, MIN_ALLOC);
const chunk_data = (chunk: bigint): bigint => chunk + CHUNK_HDR_SIZE;

export class HypAllocator {
  /** struct hyp_allocator */
  start = 0n;
  size = 0n;
  private head_next = ALLOCATOR_HEAD;
  private head_prev = ALLOCATOR_HEAD;
  /** Per CPU: hyp_allocator_mc, hyp_allocator_errno, hyp_allocator_missing_donations. */
  readonly mc: KvmHypMemcache[];
  readonly errno: number[];
  readonly missing_donations: number[];

  constructor(
    readonly mm: HypMm,
    readonly nr_cpus: number,
    /** __pkvm_host_donate_hyp() / __pkvm_hyp_donate_host() of one page (mem-protect.ts). */
    readonly donate: { host_donate_hyp(pfn: bigint, nr: bigint): number; hyp_donate_host(pfn: bigint, nr: bigint): number },
  ) {
    this.mc = Array.from({ length: nr_cpus }, () => ({ head: 0n, nr_pages: 0n }));
    this.errno = new Array<number>(nr_cpus).fill(0);
    this.missing_donations = new Array<number>(nr_cpus).fill(0);
  }

  /* ---- chunk header fields (through the hyp stage-1) ---- */
  private rd32(va: bigint): bigint {
    const b = this.mm.readBytes(va, 4);
    return BigInt(b[0]! | (b[1]! << 8) | (b[2]! << 16)) + (BigInt(b[3]!) << 24n);
  }
  private wr32(va: bigint, v: bigint): void {
    const n = Number(v & U32_MAX);
    this.mm.writeBytes(va, new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]));
  }
  alloc_size(c: bigint): bigint { return this.rd32(c + HDR_ALLOC_SIZE); }
  mapped_size(c: bigint): bigint { return this.rd32(c + HDR_MAPPED_SIZE); }
  private set_alloc_size(c: bigint, v: bigint): void { this.wr32(c + HDR_ALLOC_SIZE, v); }
  private set_mapped_size(c: bigint, v: bigint): void { this.wr32(c + HDR_MAPPED_SIZE, v); }
  /* list_head links: node addresses (chunk + 8) or ALLOCATOR_HEAD */
  private next_of(node: bigint): bigint { return node === ALLOCATOR_HEAD ? this.head_next : this.mm.readU64(node); }
  private prev_of(node: bigint): bigint { return node === ALLOCATOR_HEAD ? this.head_prev : this.mm.readU64(node + 8n); }
  private set_next(node: bigint, v: bigint): void { if (node === ALLOCATOR_HEAD) this.head_next = v; else this.mm.writeU64(node, v); }
  private set_prev(node: bigint, v: bigint): void { if (node === ALLOCATOR_HEAD) this.head_prev = v; else this.mm.writeU64(node + 8n, v); }
  private node(c: bigint): bigint { return c + HDR_NODE; }
  private entry(node: bigint): bigint { return node - HDR_NODE; }

  private chunk_hash_compute(c: bigint): bigint {
    let hash = 0n;
    for (let off = 0n; off < HDR_HASH; off += 8n) hash ^= hash_64_32(this.mm.readU64(c + off));
    return hash;
  }
  private chunk_hash_update(c: bigint | null): void {
    if (c !== null) this.wr32(c + HDR_HASH, this.chunk_hash_compute(c));
  }
  private chunk_hash_validate(c: bigint | null): void {
    if (c !== null) WARN_ON(this.rd32(c + HDR_HASH) !== this.chunk_hash_compute(c), `hyp_alloc: chunk 0x${c.toString(16)} header corrupted`);
  }
  private chunk_is_used(c: bigint): boolean { return this.alloc_size(c) !== 0n; }
  private list_empty(): boolean { return this.head_next === ALLOCATOR_HEAD; }
  private list_is_last(c: bigint): boolean { return this.next_of(this.node(c)) === ALLOCATOR_HEAD; }
  private list_is_first(c: bigint): boolean { return this.prev_of(this.node(c)) === ALLOCATOR_HEAD; }
  private __chunk_next(c: bigint): bigint | null { return this.list_is_last(c) ? null : this.entry(this.next_of(this.node(c))); }
  private __chunk_prev(c: bigint): bigint | null { return this.list_is_first(c) ? null : this.entry(this.prev_of(this.node(c))); }
  private chunk_get_next(c: bigint): bigint | null { const n = this.__chunk_next(c); this.chunk_hash_validate(n); return n; }
  private chunk_get_prev(c: bigint): bigint | null { const p = this.__chunk_prev(c); this.chunk_hash_validate(p); return p; }
  private chunk_get(c: bigint | null): bigint | null { this.chunk_hash_validate(c); return c; }
  private chunk_unmapped_region(c: bigint): bigint { return c + this.mapped_size(c); }
  private chunk_unmapped_size(c: bigint): bigint {
    const next = this.chunk_get_next(c);
    const end = this.start + this.size;
    return (next ?? end) - this.chunk_unmapped_region(c);
  }

  /** list_add(new, prev): insert after prev (or at the head when prev is the head). */
  private list_add(nodeNew: bigint, prevNode: bigint): void {
    const next = this.next_of(prevNode);
    this.set_prev(next, nodeNew);
    this.set_next(nodeNew, next);
    this.set_prev(nodeNew, prevNode);
    this.set_next(prevNode, nodeNew);
  }
  private list_del(nodeDel: bigint): void {
    const prev = this.prev_of(nodeDel);
    const next = this.next_of(nodeDel);
    this.set_prev(next, prev);
    this.set_next(prev, next);
  }
  private chunk_list_insert(c: bigint, prev: bigint): void {
    this.list_add(this.node(c), this.node(prev));
    this.chunk_hash_update(prev);
    this.chunk_hash_update(this.__chunk_next(c));
    this.chunk_hash_update(c);
  }
  private chunk_list_del(c: bigint): void {
    const prev = this.__chunk_prev(c);
    const next = this.__chunk_next(c);
    this.list_del(this.node(c));
    this.chunk_hash_update(prev);
    this.chunk_hash_update(next);
  }

  private push_mc(mc: KvmHypMemcache, pa: bigint): void {
    this.mm.writeU64(pa, mc.head); /* the page is the hyp's: its linear-map VA is mapped */
    mc.head = pa & PAGE_MASK;
    mc.nr_pages += 1n;
  }
  private pop_mc(mc: KvmHypMemcache): bigint | null {
    if (!mc.nr_pages) return null;
    const pa = mc.head & PAGE_MASK;
    mc.head = this.mm.readU64(pa);
    mc.nr_pages -= 1n;
    return pa;
  }

  private hyp_allocator_unmap(va: bigint, size: bigint, cpu: number): void {
    const mc = this.mc[cpu]!;
    WARN_ON(!PAGE_ALIGNED(va), 'hyp_allocator_unmap: va');
    WARN_ON(!PAGE_ALIGNED(size), 'hyp_allocator_unmap: size');
    for (let a = va; a < va + size; a += PAGE_SIZE) this.push_mc(mc, this.mm.__pkvm_private_range_pa(a));
    this.mm.pkvm_remove_mappings(va, va + size);
  }

  private hyp_allocator_map(va: bigint, size: bigint, cpu: number): number {
    const mc = this.mc[cpu]!;
    const va_end = va + size;
    if (!PAGE_ALIGNED(va) || !PAGE_ALIGNED(size)) return -EINVAL;
    if (va_end < va || va_end > this.start + this.size) return -E2BIG;
    const need = size >> 12n;
    if (mc.nr_pages < need) {
      this.missing_donations[cpu] = Number(min(need - mc.nr_pages, 0xffn));
      return -ENOMEM;
    }
    let ret = 0;
    let nr_pages = 0n;
    while (nr_pages < need) {
      const page = this.pop_mc(mc);
      WARN_ON(page === null, 'hyp_allocator_map: empty memcache');
      ret = this.mm.__hyp_allocator_map(va, page!);
      if (ret) {
        this.push_mc(mc, page!);
        break;
      }
      va += PAGE_SIZE;
      nr_pages++;
    }
    if (ret && nr_pages) {
      va -= PAGE_SIZE * nr_pages;
      this.hyp_allocator_unmap(va, nr_pages << 12n, cpu);
    }
    return ret;
  }

  private chunk_install(c: bigint, size: bigint, prev: bigint | null): number {
    if (prev === null) {
      /* First chunk, first allocation */
      this.list_add(this.node(c), ALLOCATOR_HEAD);
      this.set_mapped_size(c, PAGE_ALIGN(chunk_size(size)));
      this.set_alloc_size(c, size);
      this.chunk_hash_update(c);
      return 0;
    }
    if (this.chunk_unmapped_region(prev) < c) return -EINVAL;
    if (chunk_data(prev) + this.alloc_size(prev) > c) return -EINVAL;
    const prev_mapped_size = this.mapped_size(prev);
    this.set_mapped_size(prev, c - prev);
    this.set_mapped_size(c, prev_mapped_size - (c - prev));
    this.set_alloc_size(c, size);
    this.chunk_list_insert(c, prev);
    return 0;
  }

  private chunk_merge(c: bigint): number {
    const prev = this.__chunk_prev(c);
    if (WARN_ON(prev === null, 'chunk_merge: no prev')) return -EINVAL;
    if (this.chunk_is_used(c) || this.chunk_is_used(prev!)) return -EBUSY;
    /* Can't merge non-contiguous mapped regions */
    if (this.chunk_unmapped_region(prev!) !== c) return 0;
    this.set_mapped_size(prev!, this.mapped_size(prev!) + this.mapped_size(c));
    this.chunk_list_del(c);
    return 0;
  }

  private chunk_needs_mapping(c: bigint, size: bigint): bigint {
    const needs = chunk_size(size);
    const mapped = this.mapped_size(c);
    if (needs <= mapped) return 0n;
    return PAGE_ALIGN(needs - mapped);
  }

  private chunk_split_aligned(c: bigint): number {
    const next_chunk = this.chunk_get_next(c);
    const mapped_end = this.chunk_unmapped_region(c);
    if (PAGE_ALIGNED(mapped_end)) return 0;
    const new_chunk = PAGE_ALIGN_DOWN(mapped_end);
    if (new_chunk <= c) return -EINVAL;
    /* (no next chunk: upstream's unsigned difference wraps to a huge value) */
    const delta = next_chunk === null ? (1n << 64n) - new_chunk : next_chunk - new_chunk;
    WARN_ON(delta < chunk_size(0n), 'chunk_split_aligned: delta');
    WARN_ON(this.chunk_install(new_chunk, 0n, c), 'chunk_split_aligned: install');
    return 0;
  }

  private chunk_inc_map(c: bigint, map_size: bigint, cpu: number): number {
    if (this.chunk_unmapped_size(c) < map_size) return -EINVAL;
    const ret = this.hyp_allocator_map(this.chunk_unmapped_region(c), map_size, cpu);
    if (ret) return ret;
    this.set_mapped_size(c, this.mapped_size(c) + map_size);
    this.chunk_hash_update(c);
    return 0;
  }

  private chunk_dec_map(c: bigint, reclaim_target: bigint, cpu: number): bigint {
    const start = PAGE_ALIGN(c + chunk_size(this.alloc_size(c)));
    let end = this.chunk_unmapped_region(c);
    if (start >= end) return 0n;
    if (end - start < PAGE_SIZE) return 0n;
    if (this.chunk_split_aligned(c)) return 0n;
    end = this.chunk_unmapped_region(c);
    const reclaimable = min(end - start, reclaim_target);
    this.hyp_allocator_unmap(start, reclaimable, cpu);
    this.set_mapped_size(c, this.mapped_size(c) - reclaimable);
    this.chunk_hash_update(c);
    return reclaimable;
  }

  private chunk_addr_fixup(addr: bigint): bigint {
    const min_chunk_size = chunk_size(0n);
    const page = PAGE_ALIGN_DOWN(addr);
    const delta = addr - page;
    if (!delta) return addr;
    /* To maximize reclaim, a chunk must fit between the page start and this addr. */
    if (delta < min_chunk_size) return page + min_chunk_size;
    return addr;
  }

  private chunk_can_split(c: bigint, addr: bigint): boolean {
    if (this.list_is_last(c)) return false;
    const chunk_end = c + this.mapped_size(c) + this.chunk_unmapped_size(c);
    return addr + chunk_size(0n) < chunk_end;
  }

  private chunk_recycle(c: bigint, size: bigint, cpu: number): number {
    let new_chunk_addr = c + chunk_size(size);
    let expected_mapping = size;
    let new_chunk: bigint | null = null;
    new_chunk_addr = this.chunk_addr_fixup(new_chunk_addr);
    if (this.chunk_can_split(c, new_chunk_addr)) {
      new_chunk = new_chunk_addr;
      expected_mapping = new_chunk_addr + CHUNK_HDR_SIZE - chunk_data(c);
    }
    const missing_map = this.chunk_needs_mapping(c, expected_mapping);
    if (missing_map) {
      const ret = this.chunk_inc_map(c, missing_map, cpu);
      if (ret) return ret;
    }
    this.set_alloc_size(c, size);
    this.chunk_hash_update(c);
    if (new_chunk !== null) WARN_ON(this.chunk_install(new_chunk, 0n, c), 'chunk_recycle: install');
    return 0;
  }

  private chunk_try_destroy(c: bigint, reclaim_target: bigint, cpu: number): bigint {
    if (this.chunk_is_used(c)) return 0n;
    /* Don't kill the entire chunk if this is not necessary */
    if (this.mapped_size(c) > reclaim_target) return 0n;
    if (this.list_is_first(c)) {
      /* last standing chunk ? */
      if (!this.list_is_last(c)) return 0n;
      this.list_del(this.node(c));
    } else {
      if (!PAGE_ALIGNED(c)) return 0n;
      if (!this.list_is_last(c)) {
        if (this.chunk_is_used(this.chunk_get_prev(c)!)) return 0n;
        if (this.chunk_split_aligned(c)) return 0n;
      }
      this.chunk_list_del(c);
    }
    const unmapped = this.mapped_size(c);
    this.hyp_allocator_unmap(c, unmapped, cpu);
    return unmapped;
  }

  private setup_first_chunk(size: bigint, cpu: number): number {
    const ret = this.hyp_allocator_map(this.start, PAGE_ALIGN(chunk_size(size)), cpu);
    if (ret) return ret;
    return this.chunk_install(this.start, size, null);
  }

  /** Physical pages the heap holds: its memcaches and the pages behind its chunks (invariants.ts). */
  owned_pages(): bigint[] {
    const out: bigint[] = [];
    for (const mc of this.mc) {
      let p = mc.head & PAGE_MASK;
      for (let i = 0n; i < mc.nr_pages; i++) {
        out.push(p);
        p = this.mm.mem.readU64(p) & PAGE_MASK;
      }
    }
    for (const c of this.chunks())
      for (let va = PAGE_ALIGN_DOWN(c.addr); va < c.addr + c.mapped_size; va += PAGE_SIZE)
        if (this.mm.is_mapped(va)) out.push(this.mm.__pkvm_private_range_pa(va) & PAGE_MASK);
    return out;
  }

  /** The chunks in list order (for tests and the report). */
  chunks(): { addr: bigint; alloc_size: bigint; mapped_size: bigint }[] {
    const out = [];
    for (let n = this.head_next; n !== ALLOCATOR_HEAD; n = this.next_of(n)) {
      const c = this.entry(n);
      out.push({ addr: c, alloc_size: this.alloc_size(c), mapped_size: this.mapped_size(c) });
    }
    return out;
  }

  private get_free_chunk(size: bigint): bigint | null {
    let best: bigint | null = null;
    let best_available_size = this.size;
    for (let n = this.head_next; n !== ALLOCATOR_HEAD; n = this.next_of(n)) {
      const c = this.entry(n);
      const available_size = this.mapped_size(c) + this.chunk_unmapped_size(c);
      if (this.chunk_is_used(c)) continue;
      if (chunk_size(size) > available_size) continue;
      if (best === null) {
        best = c;
        continue;
      }
      if (best_available_size <= available_size) continue;
      best = c;
      best_available_size = available_size;
    }
    return this.chunk_get(best);
  }

  /** hyp_alloc(): the zeroed data VA of a new chunk, or null (hyp_alloc_errno(): -ENOMEM / -E2BIG). */
  hyp_alloc(size_: bigint, cpu = 0): bigint | null {
    const size = (size_ + MIN_ALLOC - 1n) & ~(MIN_ALLOC - 1n);
    let ret = 0;
    let chunk = 0n;
    if (this.list_empty()) {
      ret = this.setup_first_chunk(size, cpu);
      chunk = this.start;
    } else {
      const free = this.get_free_chunk(size);
      if (free !== null) {
        chunk = free;
        ret = this.chunk_recycle(chunk, size, cpu);
      } else {
        const last = this.chunk_get(this.entry(this.head_prev))!;
        chunk = this.chunk_addr_fixup(last + chunk_size(this.alloc_size(last)));
        const missing_map = this.chunk_needs_mapping(last, chunk + chunk_size(size) - chunk_data(last));
        if (missing_map) ret = this.chunk_inc_map(last, missing_map, cpu);
        if (!ret) WARN_ON(this.chunk_install(chunk, size, last), 'hyp_alloc: chunk_install');
      }
    }
    this.errno[cpu] = ret;
    if (ret) return null;
    this.mm.memset0(chunk_data(chunk), Number(size)); /* Enforce zeroing allocated memory */
    return chunk_data(chunk);
  }

  /** hyp_free(): the address must be one hyp_alloc() returned (anything else: hyp_panic). */
  hyp_free(addr: bigint): void {
    const chunk = this.chunk_get(addr - CHUNK_HDR_SIZE)!;
    const prev = this.chunk_get_prev(chunk);
    const next = this.chunk_get_next(chunk);
    this.set_alloc_size(chunk, 0n);
    this.chunk_hash_update(chunk);
    if (next !== null && !this.chunk_is_used(next)) WARN_ON(this.chunk_merge(next), 'hyp_free: merge next');
    if (prev !== null && !this.chunk_is_used(prev)) WARN_ON(this.chunk_merge(chunk), 'hyp_free: merge');
  }

  private chunk_destroyable(c: bigint): boolean {
    if (this.chunk_is_used(c)) return false;
    if (!PAGE_ALIGNED(c)) return false;
    if (this.list_is_first(c)) return this.list_is_last(c);
    return !this.chunk_is_used(this.chunk_get_prev(c)!);
  }

  private chunk_reclaimable(c: bigint): bigint {
    let end = this.chunk_unmapped_region(c);
    WARN_ON(!PAGE_ALIGNED(end) && end - PAGE_ALIGN_DOWN(end) < chunk_size(0n), 'chunk_reclaimable');
    const start = this.chunk_destroyable(c) ? c : PAGE_ALIGN(c + chunk_size(this.alloc_size(c)));
    end = PAGE_ALIGN_DOWN(end);
    return start > end ? 0n : end - start;
  }

  /** hyp_alloc_reclaimable(): pages reclaim could give back (slightly pessimistic, as upstream). */
  hyp_alloc_reclaimable(): number {
    let reclaimable = 0n;
    for (let n = this.head_next; n !== ALLOCATOR_HEAD; n = this.next_of(n)) reclaimable += this.chunk_reclaimable(this.entry(n)) >> 12n;
    for (const mc of this.mc) reclaimable += mc.nr_pages;
    return Number(reclaimable);
  }

  /** hyp_alloc_reclaim(): up to `target` pages back to the host, pushed on host_mc. */
  hyp_alloc_reclaim(host_mc: KvmHypMemcache, target: number, cpu = 0): void {
    if (target <= 0) return;
    let t = BigInt(target);
    const give = (page: bigint): void => {
      this.push_mc(host_mc, page);
      WARN_ON(this.donate.hyp_donate_host(page >> 12n, 1n), 'hyp_alloc_reclaim: hyp_donate_host');
    };
    /* Start emptying potential unused memcache */
    for (const alloc_mc of this.mc) {
      while (alloc_mc.nr_pages) {
        give(this.pop_mc(alloc_mc)!);
        if (--t <= 0n) return;
      }
    }
    for (let n = this.head_prev; n !== ALLOCATOR_HEAD;) {
      const c = this.entry(n);
      const prevNode = this.prev_of(n); /* list_for_each_entry_safe_reverse */
      this.chunk_hash_validate(c);
      let r = this.chunk_try_destroy(c, t << 12n, cpu);
      if (!r) r = this.chunk_dec_map(c, t << 12n, cpu);
      t -= r >> 12n;
      if (t <= 0n) break;
      n = prevNode;
    }
    const alloc_mc = this.mc[cpu]!;
    while (alloc_mc.nr_pages) {
      const page = this.pop_mc(alloc_mc)!;
      this.mm.memset0(page, Number(PAGE_SIZE));
      give(page);
    }
  }

  /**
   * hyp_alloc_refill(): refill_memcache(alloc_mc, host_mc->nr_pages + alloc_mc->nr_pages, host_mc):
   * every page of the host's list is donated to the hyp (admit_host_page()) and joins this CPU's
   * memcache; the first page that cannot be donated stops it with -ENOMEM.
   */
  hyp_alloc_refill(host_mc: KvmHypMemcache, cpu = 0): number {
    const alloc_mc = this.mc[cpu]!;
    const min_pages = host_mc.nr_pages + alloc_mc.nr_pages;
    while (alloc_mc.nr_pages < min_pages) {
      if (!host_mc.nr_pages) return -ENOMEM;
      const head = host_mc.head & PAGE_MASK;
      if (this.donate.host_donate_hyp(head >> 12n, 1n)) return -ENOMEM;
      /* pop from the host's list: the link is read once the page is the hyp's */
      host_mc.head = this.mm.readU64(head);
      host_mc.nr_pages -= 1n;
      this.push_mc(alloc_mc, head);
    }
    return 0;
  }

  /** hyp_alloc_init(): reserve `size` bytes of private VA (-EINVAL above U32_MAX). */
  hyp_alloc_init(size_: bigint): number {
    const size = PAGE_ALIGN(size_);
    if (size > U32_MAX) return -EINVAL;
    const r = this.mm.pkvm_alloc_private_va_range(size);
    if (r.ret) return r.ret;
    this.start = r.va;
    this.size = size;
    this.head_next = this.head_prev = ALLOCATOR_HEAD;
    return 0;
  }

  hyp_alloc_errno(cpu = 0): number { return this.errno[cpu]!; }

  /** hyp_alloc_missing_donations(): pages the last failed map lacked (read once, then 0). */
  hyp_alloc_missing_donations(cpu = 0): number {
    const m = this.missing_donations[cpu]!;
    this.missing_donations[cpu] = 0;
    return m;
  }
}
