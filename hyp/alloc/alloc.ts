/**
 * The pKVM hyp heap allocator, ported from upstream's arch/arm64/kvm/hyp/nvhe/alloc.c as stored by
 * the code search from kernel-patches/bpf at bd93068340e9d770d6282ab425b686bef2042394 ("KVM:
 * arm64: Add selftests for the pKVM heap allocator", the last patch of Vincent Donnefort's 2026
 * "Introduce pKVM hypervisor heap allocator" series; the interface is nvhe/alloc.h of the same
 * series). Function names are upstream's; each function follows its C counterpart statement by
 * statement, in the same order, with the same checks and WARN_ON()s (a WARN_ON is a hyp_panic
 * here, page-state.ts, unless a test turns warnIsFatal off).
 *
 * The allocator manages a reserved private VA range of the hyp stage-1 (hyp-mm.ts) and maps pages
 * into it on demand from its memcache (filled by __pkvm_hyp_topup), and unmaps them on reclaim.
 * The chunk headers are real memory at EL2 VAs, read and written through the hyp stage-1 (an
 * unmapped header is an EL2 data abort), with upstream's layout:
 *
 *   struct chunk_hdr { u32 next; u32 prev; u32 __unmapped; u32 hash; char data[]; } __aligned(16)
 *
 * next / prev: byte offsets from this header to the next / previous one (0: none); __unmapped: the
 * offset to the first unmapped page of this chunk (0: none) with bit 0 the "used" flag; hash:
 * hash_64(u64 at +0, 32) ^ hash_32(__unmapped, 32) (include/linux/hash.h).
 *
 * Pointers are bigints (hyp VAs); NULL is 0n (no heap chunk can be at VA 0: the private range is in
 * the upper half of TTBR0_EL2). ERR_PTR(-errno) is the negative bigint -errno.
 *
 * Differences from upstream, each forced by the model: the spinlock is not modelled (EL2 runs one
 * call at a time); the per-CPU errno / topup_needed take the CPU as an argument; the debug-only
 * selftest allocator (CONFIG_NVHE_EL2_DEBUG) is not instantiated (hyp_allocator_selftest() is
 * exercised by test/hyp/hyp-alloc-upstream.test.ts on an allocator of its size instead).
 */
import type { HypMm } from '../hyp-mm';
import type { KvmHypMemcache } from '../memcache';
import { E2BIG, EINVAL, ENOMEM, WARN_ON } from '../page-state';
import { PAGE_MASK, PAGE_SIZE } from '../pgtable-defs';

/** MIN_ALLOC_SIZE: 16 (the alignment of the FPSIMD registers in struct pkvm_hyp_vcpu). */
export const MIN_ALLOC_SIZE = 16n;
/** USED_BIT_MASK, in __unmapped. */
export const USED_BIT_MASK = 1n;
/** chunk_hdr_size(): offsetof(struct chunk_hdr, data). */
export const CHUNK_HDR_SIZE = 16n;
/** chunk_min_size(): chunk_hdr_size() + MIN_ALLOC_SIZE. */
export const CHUNK_MIN_SIZE = CHUNK_HDR_SIZE + MIN_ALLOC_SIZE;
/* struct chunk_hdr field offsets */
const HDR_NEXT = 0n;
const HDR_PREV = 4n;
const HDR_UNMAPPED = 8n;
const HDR_HASH = 12n;

const NULL = 0n;
const U32_MAX = 0xffff_ffffn;
const SIZE_MAX = (1n << 64n) - 1n;
const PAGE_SHIFT = 12n;

/* include/linux/hash.h (arm64 has neither HAVE_ARCH__HASH_32 nor HAVE_ARCH_HASH_64) */
export const GOLDEN_RATIO_32 = 0x61c88647n;
export const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;
/** hash_32(val, bits): __hash_32(val) >> (32 - bits). */
export const hash_32 = (val: bigint, bits: bigint): bigint => ((val * GOLDEN_RATIO_32) & U32_MAX) >> (32n - bits);
/** hash_64(val, bits) on a 64-bit kernel: val * GOLDEN_RATIO_64 >> (64 - bits). */
export const hash_64 = (val: bigint, bits: bigint): bigint => BigInt.asUintN(64, val * GOLDEN_RATIO_64) >> (64n - bits);

const PTR_ALIGN = (p: bigint, a: bigint): bigint => (p + a - 1n) & ~(a - 1n);
const PTR_ALIGN_DOWN = (p: bigint, a: bigint): bigint => p & ~(a - 1n);
const PAGE_ALIGNED = (p: bigint): boolean => (p & (PAGE_SIZE - 1n)) === 0n;
const DIV_ROUND_UP = (n: bigint, d: bigint): bigint => (n + d - 1n) / d;
const ERR_PTR = (e: number): bigint => BigInt(e);
const IS_ERR = (p: bigint): boolean => p < 0n;
const IS_ERR_OR_NULL = (p: bigint): boolean => p <= 0n;
const PTR_ERR = (p: bigint): number => Number(p);
/** size_t arithmetic wraps. */
const size_t = (v: bigint): bigint => BigInt.asUintN(64, v);

/** The hyp's memory operations the allocator needs besides the stage-1 (mem-protect.ts, cache.ts). */
export interface HypAllocatorOps {
  /** __pkvm_host_donate_hyp(pfn, nr) (admit_host_page()). */
  host_donate_hyp(pfn: bigint, nr: bigint): number;
  /** __pkvm_hyp_donate_host(pfn, nr) (hyp_allocator_drain_memcache()). */
  hyp_donate_host(pfn: bigint, nr: bigint): number;
  /** kvm_flush_dcache_to_poc(va, size) (recorded in Pkvm.cmo). */
  flush_dcache_to_poc?(pa: bigint, size: bigint): void;
}

/** A chunk header as it lies in memory (tests, the report). */
export interface ChunkHdr {
  addr: bigint;
  next: bigint;
  prev: bigint;
  /** __unmapped with the used bit */
  __unmapped: bigint;
  hash: bigint;
}

/** struct hyp_allocator, with the functions of alloc.c that take it. */
export class HypAllocator {
  start = NULL;
  end = NULL;
  last_used = NULL;
  first_unmapped = NULL;
  head = NULL;
  tail = NULL;
  /** struct kvm_hyp_memcache mc: pages pre-allocated for mapping (one for the allocator). */
  readonly mc: KvmHypMemcache = { head: 0n, nr_pages: 0n };
  /** Per CPU: errno, topup_needed. */
  readonly errno: number[];
  readonly topup_needed: number[];

  constructor(readonly mm: HypMm, readonly nr_cpus: number, readonly ops: HypAllocatorOps) {
    this.errno = new Array<number>(nr_cpus).fill(0);
    this.topup_needed = new Array<number>(nr_cpus).fill(0);
  }

  /** The size of the reserved VA range. */
  get size(): bigint { return this.end - this.start; }

  /* ---- u32 / u64 accesses at EL2 VAs (through the hyp stage-1) ---- */
  private rd32(va: bigint): bigint {
    const w = va & ~7n;
    if (va + 4n <= w + 8n) return (this.mm.readU64(w) >> ((va - w) * 8n)) & U32_MAX;
    const b = this.mm.readBytes(va, 4);
    return BigInt(b[0]! | (b[1]! << 8) | (b[2]! << 16)) + (BigInt(b[3]!) << 24n);
  }
  private wr32(va: bigint, v: bigint): void {
    const w = va & ~7n;
    if (va + 4n <= w + 8n) {
      const sh = (va - w) * 8n;
      const old = this.mm.readU64(w);
      this.mm.writeU64(w, (old & ~(U32_MAX << sh)) | ((v & U32_MAX) << sh));
      return;
    }
    const n = Number(v & U32_MAX);
    this.mm.writeBytes(va, new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]));
  }

  /* ---- struct chunk_hdr ---- */
  private chunk_hash_compute(chunk: bigint): bigint {
    let hash = 0n;
    hash ^= hash_64(this.mm.readU64(chunk), 32n); /* *(const u64 *)chunk: next | prev << 32 */
    hash ^= hash_32(this.rd32(chunk + HDR_UNMAPPED), 32n);
    return hash;
  }

  private chunk_set_hash(chunk: bigint): void {
    if (chunk) this.wr32(chunk + HDR_HASH, this.chunk_hash_compute(chunk));
  }

  private chunk_check_hash(chunk: bigint): void {
    if (chunk)
      WARN_ON(this.rd32(chunk + HDR_HASH) !== this.chunk_hash_compute(chunk), `hyp_alloc: chunk 0x${chunk.toString(16)} hash mismatch`);
  }

  private chunk_is_used(chunk: bigint): boolean {
    return (this.rd32(chunk + HDR_UNMAPPED) & USED_BIT_MASK) !== 0n;
  }

  private chunk_set_used(chunk: bigint): void {
    this.wr32(chunk + HDR_UNMAPPED, this.rd32(chunk + HDR_UNMAPPED) | USED_BIT_MASK);
  }

  private chunk_set_unused(chunk: bigint): void {
    this.wr32(chunk + HDR_UNMAPPED, this.rd32(chunk + HDR_UNMAPPED) & ~USED_BIT_MASK);
  }

  private chunk_unmapped(chunk: bigint): bigint {
    const offset = this.rd32(chunk + HDR_UNMAPPED) & ~USED_BIT_MASK;
    if (!offset) return NULL;
    return chunk + offset;
  }

  private __chunk_set_unmapped(chunk: bigint, unmapped: bigint): void {
    this.wr32(chunk + HDR_UNMAPPED, (unmapped & U32_MAX) | (this.chunk_is_used(chunk) ? USED_BIT_MASK : 0n));
  }

  private chunk_set_unmapped(chunk: bigint, unmapped: bigint): void {
    WARN_ON(!PAGE_ALIGNED(unmapped), 'chunk_set_unmapped: unaligned');
    if (unmapped) {
      WARN_ON(chunk > unmapped, 'chunk_set_unmapped: below the chunk');
      this.__chunk_set_unmapped(chunk, unmapped - chunk);
    } else {
      this.__chunk_set_unmapped(chunk, 0n);
    }
  }

  private chunk_data(chunk: bigint): bigint {
    return chunk + CHUNK_HDR_SIZE;
  }

  private __chunk_next(chunk: bigint): bigint {
    const next = this.rd32(chunk + HDR_NEXT);
    if (!next) return NULL;
    return chunk + next;
  }

  private __chunk_prev(chunk: bigint): bigint {
    const prev = this.rd32(chunk + HDR_PREV);
    if (!prev) return NULL;
    return chunk - prev;
  }

  private chunk_set_next(chunk: bigint, next: bigint): void {
    if (!chunk) return;
    if (next) {
      WARN_ON(chunk > next, 'chunk_set_next');
      this.wr32(chunk + HDR_NEXT, next - chunk);
    } else {
      this.wr32(chunk + HDR_NEXT, 0n);
    }
  }

  private chunk_set_prev(chunk: bigint, prev: bigint): void {
    if (!chunk) return;
    if (prev) {
      WARN_ON(chunk < prev, 'chunk_set_prev');
      this.wr32(chunk + HDR_PREV, chunk - prev);
    } else {
      this.wr32(chunk + HDR_PREV, 0n);
    }
  }

  private chunk_get_next(chunk: bigint): bigint {
    const next = this.__chunk_next(chunk);
    this.chunk_check_hash(next);
    return next;
  }

  private chunk_get_prev(chunk: bigint): bigint {
    const prev = this.__chunk_prev(chunk);
    this.chunk_check_hash(prev);
    return prev;
  }

  private chunk_get(chunk: bigint): bigint {
    this.chunk_check_hash(chunk);
    return chunk;
  }

  private chunk_data_size(chunk: bigint): bigint {
    const next = this.chunk_get_next(chunk);
    const end = next ? next : this.end;
    return size_t(end - this.chunk_data(chunk));
  }

  private chunk_mapped_data_size(chunk: bigint): bigint {
    const unmapped = this.chunk_unmapped(chunk);
    if (!unmapped) return this.chunk_data_size(chunk);
    return size_t(unmapped - this.chunk_data(chunk));
  }

  private chunk_used_size(chunk: bigint): bigint {
    const next = this.chunk_get_next(chunk);
    if (!this.chunk_is_used(chunk)) return 0n;
    if (next) return this.chunk_mapped_data_size(chunk);
    return size_t(this.last_used - this.chunk_data(chunk));
  }

  private chunk_list_insert(chunk: bigint, prev: bigint): void {
    let next = NULL;
    WARN_ON(!chunk, 'chunk_list_insert: NULL');
    if (prev) {
      next = this.chunk_get_next(prev);
      this.chunk_set_next(prev, chunk);
      this.chunk_set_hash(prev);
    }
    if (next) {
      this.chunk_set_prev(next, chunk);
      this.chunk_set_hash(next);
    }
    this.chunk_set_next(chunk, next);
    this.chunk_set_prev(chunk, prev);
  }

  private chunk_list_del(chunk: bigint): void {
    WARN_ON(!chunk, 'chunk_list_del: NULL');
    const prev = this.chunk_get_prev(chunk);
    const next = this.chunk_get_next(chunk);
    if (prev) {
      this.chunk_set_next(prev, next);
      this.chunk_set_hash(prev);
    }
    if (next) {
      this.chunk_set_prev(next, prev);
      this.chunk_set_hash(next);
    }
  }

  /**
   * chunk_start(): a header must not cross a page boundary and must leave chunk_min_size() from the
   * start of its page (so no orphan mapped region is left by reclaim).
   */
  private chunk_start(start: bigint): bigint {
    let page = PTR_ALIGN(start, PAGE_SIZE);
    if (page - start < CHUNK_HDR_SIZE) return page;
    page = PTR_ALIGN_DOWN(start, PAGE_SIZE);
    if (start - page < CHUNK_MIN_SIZE) return page + CHUNK_MIN_SIZE;
    return start;
  }

  private hyp_allocator_set_errno(errno: number, cpu: number): void {
    this.errno[cpu] = errno;
  }

  private hyp_allocator_errno(cpu: number): number {
    const ret = this.errno[cpu]!;
    this.errno[cpu] = 0;
    return ret;
  }

  /* ---- the memcache (struct kvm_hyp_memcache, linked through the pages' hyp VAs) ---- */
  private push_hyp_memcache(mc: KvmHypMemcache, page: bigint): void {
    this.mm.writeU64(page, mc.head); /* the page is the hyp's: its linear-map VA is mapped */
    mc.head = page & PAGE_MASK;
    mc.nr_pages += 1n;
  }

  private pop_hyp_memcache(mc: KvmHypMemcache): bigint {
    if (!mc.nr_pages) return NULL;
    const p = mc.head & PAGE_MASK;
    mc.head = this.mm.readU64(p);
    mc.nr_pages -= 1n;
    return p;
  }

  private hyp_allocator_map(chunk: bigint, next: bigint, addr: bigint, end: bigint, cpu: number): number {
    let unmapped = chunk ? this.chunk_unmapped(chunk) : this.first_unmapped;
    const unmapped_end = next || this.end;

    /* hyp_allocator_can_create_chunk() already validates addr/end belong to the chunk. */
    WARN_ON(end <= addr, 'hyp_allocator_map: end <= addr');

    /* The chunk does not span an unmapped region */
    if (!unmapped) return 0;

    while (unmapped < end) {
      const page = this.pop_hyp_memcache(this.mc); /* hyp VA = PA in the model's linear map */
      if (!page) {
        end = PTR_ALIGN(end, PAGE_SIZE);
        this.topup_needed[cpu] = Number(((end - unmapped) >> PAGE_SHIFT) & U32_MAX);
        return -ENOMEM;
      }

      const ret = this.mm.pkvm_map_private_va_range(unmapped, page, PAGE_SIZE);
      if (ret) {
        this.push_hyp_memcache(this.mc, page);
        return ret;
      }

      unmapped += PAGE_SIZE;

      /*
       * Reset the unmap field if we've reached the next chunk or the allocator boundary: chunks
       * cover a mapped region followed by an unmapped one, so next is expected PAGE_ALIGNED.
       */
      WARN_ON(!PAGE_ALIGNED(unmapped_end), 'hyp_allocator_map: unmapped_end');
      if (unmapped === unmapped_end) unmapped = NULL;

      if (chunk) {
        this.chunk_set_unmapped(chunk, unmapped);
        this.chunk_set_hash(chunk);
      } else {
        this.first_unmapped = unmapped;
      }

      if (!unmapped) break;
    }
    return 0;
  }

  private hyp_allocator_unmap(chunk: bigint, addr: bigint, end: bigint): void {
    let unmap = addr;

    /* hyp_allocator_chunk_reclaimable() already computes valid addr/end */
    WARN_ON(end <= addr, 'hyp_allocator_unmap: end <= addr');

    while (unmap < end) {
      const pa = this.mm.pkvm_private_va_range_pa(unmap);
      const page = pa; /* hyp_phys_to_virt(): the model's linear map is the identity */
      this.push_hyp_memcache(this.mc, page);
      unmap += PAGE_SIZE;
    }

    this.mm.pkvm_remove_mappings(addr, end);

    if (chunk) {
      this.chunk_set_unmapped(chunk, addr);
      this.chunk_set_hash(chunk);
    } else {
      this.first_unmapped = addr;
    }
  }

  private hyp_allocator_can_create_chunk(prev: bigint, next: bigint, addr: bigint, end: bigint): boolean {
    if (addr < this.start || end > this.end) return false;

    /* First chunk created must be installed at allocator->start */
    if (!prev) return addr === this.start;

    /* Must not overwrite the next chunk */
    if (next && end > next) return false;

    /* Must not overwrite the previous chunk */
    if (addr < this.chunk_data(prev) + this.chunk_used_size(prev)) return false;

    /* Header must not cross page boundaries */
    let page = PTR_ALIGN(addr, PAGE_SIZE);
    if (page !== addr && page - addr < CHUNK_HDR_SIZE) return false;

    /* Must leave a minimum distance from a page-start to maximise reclaim */
    page = PTR_ALIGN_DOWN(addr, PAGE_SIZE);
    if (page !== addr && addr - page < CHUNK_MIN_SIZE) return false;

    const unmapped = this.chunk_unmapped(prev);
    if (!unmapped) return true;

    /* Must never create an orphan mapped region */
    if (addr > unmapped) return false;

    return true;
  }

  /** hyp_allocator_create_chunk(): a chunk whose header starts at addr and whose data ends at end. */
  private hyp_allocator_create_chunk(prev: bigint, addr: bigint, end: bigint, used: boolean, cpu: number): bigint {
    const chunk = addr;

    if (end > this.end) return ERR_PTR(-E2BIG);

    const next = prev ? this.chunk_get_next(prev) : NULL;
    if (!this.hyp_allocator_can_create_chunk(prev, next, addr, end)) return ERR_PTR(-EINVAL);

    const ret = this.hyp_allocator_map(prev, next, addr, end, cpu);
    if (ret) return ERR_PTR(ret);

    this.mm.writeU64(chunk, 0n); /* memset(chunk, 0, sizeof(*chunk)) */
    this.mm.writeU64(chunk + 8n, 0n);
    if (used) this.chunk_set_used(chunk);
    else this.chunk_set_unused(chunk);

    /* First chunk, first allocation */
    if (!prev) {
      this.chunk_set_unmapped(chunk, this.first_unmapped);
      this.chunk_list_insert(chunk, NULL);
      this.chunk_set_hash(chunk);

      this.last_used = end;
      this.head = this.tail = chunk;
      return chunk;
    }

    /* Last chunk in the list */
    if (!next) {
      this.last_used = end;
      this.tail = chunk;
    }

    /* Inherit prev's unmapped region */
    const unmapped = this.chunk_unmapped(prev);
    this.chunk_set_unmapped(chunk, unmapped);
    this.chunk_list_insert(chunk, prev);
    this.chunk_set_hash(chunk);

    this.chunk_set_unmapped(prev, NULL);
    this.chunk_set_hash(prev);

    return chunk;
  }

  private hyp_allocator_can_destroy_chunk(prev: bigint, next: bigint, chunk: bigint): boolean {
    if (this.chunk_is_used(chunk)) return false;

    /* Can't merge down unless we are the last one in the list */
    if (next && this.chunk_is_used(prev)) return false;

    /* Must never create an orphan mapped region */
    if (this.chunk_unmapped(prev)) return false;

    return true;
  }

  private hyp_allocator_destroy_chunk(prev: bigint, chunk: bigint): number {
    const next = this.chunk_get_next(chunk);

    if (!this.hyp_allocator_can_destroy_chunk(prev, next, chunk)) return -EINVAL;

    /* Last chunk in the list */
    if (!next) {
      this.last_used = chunk;
      this.tail = prev;
    }

    this.chunk_set_unmapped(prev, this.chunk_unmapped(chunk));
    this.chunk_set_hash(prev);
    this.chunk_list_del(chunk);

    return 0;
  }

  /** The best unused chunk for recycling: the smallest fitting one needing the least unmapped region. */
  private hyp_allocator_find_efficient_chunk(size: bigint): bigint {
    let best_chunk = NULL;
    let best_data_size = SIZE_MAX;
    let best_missing = SIZE_MAX;

    let chunk = this.head;
    while (chunk) {
      check: {
        if (this.chunk_is_used(chunk)) break check;

        const data_size = this.chunk_data_size(chunk);
        if (data_size < size) break check;

        const mapped = this.chunk_mapped_data_size(chunk);
        const missing = size > mapped ? DIV_ROUND_UP(size - mapped, PAGE_SIZE) : 0n;
        if (missing > best_missing) break check;

        if (missing === best_missing && data_size >= best_data_size) break check;

        best_missing = missing;
        best_data_size = data_size;
        best_chunk = chunk;
      }
      chunk = this.chunk_get_next(chunk);
    }

    return best_chunk;
  }

  private hyp_allocator_reuse_chunk(chunk: bigint, size: bigint, cpu: number): bigint {
    const next = this.chunk_get_next(chunk);
    let split: bigint;
    let split_end: bigint;

    const start = this.chunk_data(chunk);
    const end = start + size;

    /* Last chunk in the list, no need to split */
    if (!next) {
      split = split_end = NULL;
      this.last_used = this.chunk_data(chunk) + size;
    } else {
      split = this.chunk_start(end);
      split_end = split + CHUNK_MIN_SIZE;

      if (!this.hyp_allocator_can_create_chunk(chunk, next, split, split_end)) split = split_end = NULL;
    }

    /* Batch the mapping of the reused chunk and the split */
    const ret = this.hyp_allocator_map(chunk, next, this.chunk_data(chunk), split ? split_end : end, cpu);
    if (ret) return ERR_PTR(ret);

    if (split)
      WARN_ON(IS_ERR_OR_NULL(this.hyp_allocator_create_chunk(chunk, split, split_end, false, cpu)), 'hyp_allocator_reuse_chunk: split');

    this.chunk_set_used(chunk);
    this.chunk_set_hash(chunk);

    return chunk;
  }

  private hyp_allocator_alloc_chunk(size: bigint, cpu: number): bigint {
    /* First allocation */
    if (!this.head) {
      const start = this.start;
      const end = start + CHUNK_HDR_SIZE + size;
      return this.hyp_allocator_create_chunk(NULL, start, end, true, cpu);
    }

    const chunk = this.hyp_allocator_find_efficient_chunk(size);

    /* Nothing found, create a new chunk at the end in the list */
    if (!chunk) {
      const start = this.chunk_start(this.chunk_data(this.tail) + this.chunk_used_size(this.tail));
      const end = start + CHUNK_HDR_SIZE + size;
      return this.hyp_allocator_create_chunk(this.tail, start, end, true, cpu);
    }

    return this.hyp_allocator_reuse_chunk(chunk, size, cpu);
  }

  private hyp_allocator_alloc(size: bigint, cpu: number): bigint {
    size = size > MIN_ALLOC_SIZE ? size : MIN_ALLOC_SIZE;

    /* Ensure we do not overflow ALIGN(MIN_ALLOC_SIZE) */
    if (size > U32_MAX) {
      this.hyp_allocator_set_errno(-E2BIG, cpu);
      return NULL;
    }

    size = PTR_ALIGN(size, MIN_ALLOC_SIZE);
    if (size > size_t(this.end - this.start - CHUNK_HDR_SIZE)) {
      this.hyp_allocator_set_errno(-E2BIG, cpu);
      return NULL;
    }

    const chunk = this.hyp_allocator_alloc_chunk(size, cpu);
    if (IS_ERR_OR_NULL(chunk)) {
      this.hyp_allocator_set_errno(IS_ERR(chunk) ? PTR_ERR(chunk) : -EINVAL, cpu);
      return NULL;
    }

    this.mm.memset0(this.chunk_data(chunk), Number(size));
    return this.chunk_data(chunk);
  }

  private hyp_allocator_free(data: bigint): void {
    if (!data) return;

    WARN_ON(data % MIN_ALLOC_SIZE !== 0n, 'hyp_free: unaligned');
    WARN_ON(data >= this.end || data < this.start + CHUNK_HDR_SIZE, 'hyp_free: outside the heap');

    const chunk = this.chunk_get(data - CHUNK_HDR_SIZE); /* container_of(data, struct chunk_hdr, data) */
    WARN_ON(!this.chunk_is_used(chunk), 'hyp_free: chunk not used');
    this.chunk_set_unused(chunk);
    this.chunk_set_hash(chunk);

    const next = this.chunk_get_next(chunk);
    if (next) this.hyp_allocator_destroy_chunk(chunk, next);

    const prev = this.chunk_get_prev(chunk);
    if (prev) this.hyp_allocator_destroy_chunk(prev, chunk);
  }

  /** hyp_allocator_chunk_reclaimable(): pages reclaimable from chunk and their range [addr, end). */
  private hyp_allocator_chunk_reclaimable(chunk: bigint): { n: bigint; addr: bigint; end: bigint } {
    let addr: bigint;
    let end: bigint;

    if (chunk === this.head && chunk === this.tail && !this.chunk_is_used(chunk)) {
      /* Last chunk in the allocator */
      addr = chunk;
      end = this.chunk_unmapped(chunk);
      if (!end) end = this.end;
    } else {
      const next = this.chunk_get_next(chunk);
      if (!next) {
        /* Last chunk in the list we can reclaim, even if used */
        addr = this.chunk_data(chunk) + this.chunk_used_size(chunk);
        addr = PTR_ALIGN(addr, PAGE_SIZE);
        end = this.chunk_unmapped(chunk);
        if (!end) end = this.end;
      } else {
        if (this.chunk_is_used(chunk)) return { n: 0n, addr: 0n, end: 0n };
        addr = PTR_ALIGN(this.chunk_data(chunk), PAGE_SIZE);
        end = this.chunk_unmapped(chunk);
        if (!end) end = PTR_ALIGN_DOWN(next, PAGE_SIZE);
      }
    }

    if (addr >= end) return { n: 0n, addr: 0n, end: 0n };
    return { n: (end - addr) >> PAGE_SHIFT, addr, end };
  }

  private hyp_allocator_reclaim_chunk(chunk: bigint, addr: bigint, end: bigint, cpu: number): void {
    WARN_ON(end <= addr, 'hyp_allocator_reclaim_chunk: end <= addr');

    /* We are about to destroy the last chunk in the allocator */
    if (addr === this.start) {
      this.tail = this.head = chunk = NULL;
    } else {
      const next = this.chunk_get_next(chunk);
      /*
       * Split the reclaimed chunk at the next page boundary: no orphan mapped region is created
       * (always possible: chunks leave a minimum distance to the page start).
       */
      if (next && !this.chunk_unmapped(chunk) && next !== end)
        WARN_ON(IS_ERR_OR_NULL(this.hyp_allocator_create_chunk(chunk, end, next, false, cpu)), 'hyp_allocator_reclaim_chunk: split');
    }
    this.hyp_allocator_unmap(chunk, addr, end);
  }

  /** The best reclaimable chunk: the highest in the list with the biggest reclaimable region. */
  private hyp_allocator_find_reclaimable_chunk(): { chunk: bigint; addr: bigint; end: bigint } {
    let best_chunk = NULL;
    let best_reclaimable = 0n;
    let addr = 0n;
    let end = 0n;

    let chunk = this.head;
    while (chunk) {
      const r = this.hyp_allocator_chunk_reclaimable(chunk);
      /* Favour the top biggest chunks */
      if (r.n && r.n >= best_reclaimable) {
        best_reclaimable = r.n;
        best_chunk = chunk;
        addr = r.addr;
        end = r.end;
      }
      chunk = this.chunk_get_next(chunk);
    }
    return { chunk: best_chunk, addr, end };
  }

  private hyp_allocator_drain_memcache(host_mc: KvmHypMemcache, target: bigint): void {
    const mc = this.mc;
    while (target && mc.nr_pages) {
      const page = this.pop_hyp_memcache(mc);
      this.mm.memset0(page, Number(PAGE_SIZE));
      this.ops.flush_dcache_to_poc?.(page, PAGE_SIZE);
      this.push_hyp_memcache(host_mc, page);
      WARN_ON(this.ops.hyp_donate_host(page >> PAGE_SHIFT, 1n), 'hyp_allocator_drain_memcache: __pkvm_hyp_donate_host');
      target--;
    }
  }

  private hyp_allocator_reclaim(host_mc: KvmHypMemcache, target: bigint, cpu: number): void {
    let reclaimed = 0n;
    if (!target) return;
    do {
      const { chunk, addr: a, end } = this.hyp_allocator_find_reclaimable_chunk();
      if (!chunk) break;
      const n = (end - a) >> PAGE_SHIFT;
      const r = n < target - reclaimed ? n : target - reclaimed;
      const addr = end - (r << PAGE_SHIFT);
      this.hyp_allocator_reclaim_chunk(chunk, addr, end, cpu);
      reclaimed += r;
    } while (reclaimed < target);
    this.hyp_allocator_drain_memcache(host_mc, target);
  }

  private hyp_allocator_reclaimable(): bigint {
    /* allocator->mc counts: over-allocation or an aborted operation can leave pages behind */
    let reclaimable = this.mc.nr_pages;
    let chunk = this.head;
    while (chunk) {
      reclaimable += this.hyp_allocator_chunk_reclaimable(chunk).n;
      chunk = this.chunk_get_next(chunk);
    }
    return reclaimable;
  }

  /**
   * hyp_allocator_topup(): refill_memcache(alloc_mc, host_mc->nr_pages + alloc_mc->nr_pages,
   * host_mc) (mm.c): admit_host_page() donates the head of the host's list to the hyp, then pops it;
   * the first page that cannot be donated stops it with -ENOMEM, host_mc keeps the rest.
   */
  private hyp_allocator_topup(host_mc: KvmHypMemcache): number {
    const alloc_mc = this.mc;
    const min_pages = host_mc.nr_pages + alloc_mc.nr_pages;
    const tmp = { head: host_mc.head, nr_pages: host_mc.nr_pages };
    let ret = 0;
    while (alloc_mc.nr_pages < min_pages) {
      /* admit_host_page() */
      let p = NULL;
      if (tmp.nr_pages && !this.ops.host_donate_hyp(tmp.head >> PAGE_SHIFT, 1n)) p = this.pop_hyp_memcache(tmp);
      if (!p) {
        ret = -ENOMEM;
        break;
      }
      this.push_hyp_memcache(alloc_mc, p);
    }
    host_mc.head = tmp.head;
    host_mc.nr_pages = tmp.nr_pages;
    return ret;
  }

  private hyp_allocator_topup_needed(cpu: number): number {
    const ret = this.topup_needed[cpu]!;
    this.topup_needed[cpu] = 0;
    return ret;
  }

  private hyp_allocator_init(size: bigint): number {
    size = PTR_ALIGN(size, PAGE_SIZE);
    /* constrained by chunk_hdr u32 types */
    if (size > U32_MAX || !size) return -EINVAL;
    const r = this.mm.pkvm_alloc_private_va_range(size);
    if (r.ret) return r.ret;
    this.first_unmapped = this.start = r.va;
    this.end = this.start + size;
    return 0;
  }

  /* ---------------------------------------------------------------- nvhe/alloc.h */

  /** hyp_alloc(): the zeroed data VA of a new chunk, or null (then hyp_alloc_errno()). */
  hyp_alloc(size: bigint, cpu = 0): bigint | null {
    const p = this.hyp_allocator_alloc(size, cpu);
    return p ? p : null;
  }

  /** hyp_free(): data must be an address hyp_alloc() returned (anything else: hyp_panic). */
  hyp_free(data: bigint): void {
    this.hyp_allocator_free(data);
  }

  /** hyp_alloc_errno(): -ENOMEM (the host must top up), -E2BIG (no VA left), -EINVAL, else 0; read once. */
  hyp_alloc_errno(cpu = 0): number {
    return this.hyp_allocator_errno(cpu);
  }

  /** hyp_alloc_init(): reserve `size` bytes (page-aligned, 1 .. U32_MAX) of private VA. */
  hyp_alloc_init(size: bigint): number {
    return this.hyp_allocator_init(size); /* (selftest_init(): the selftest allocator is not modelled) */
  }

  /** hyp_alloc_reclaim(): up to `target` pages back to the host, pushed on host_mc. */
  hyp_alloc_reclaim(host_mc: KvmHypMemcache, target: bigint, cpu = 0): void {
    this.hyp_allocator_reclaim(host_mc, BigInt.asUintN(64, target), cpu);
  }

  /** hyp_alloc_reclaimable(): pages hyp_alloc_reclaim() could give back now. */
  hyp_alloc_reclaimable(): bigint {
    return this.hyp_allocator_reclaimable();
  }

  /** hyp_alloc_topup(): donate the host's list to the heap's memcache. */
  hyp_alloc_topup(host_mc: KvmHypMemcache): number {
    return this.hyp_allocator_topup(host_mc);
  }

  /** hyp_alloc_topup_needed(): pages the last failed mapping lacked on this CPU (read once). */
  hyp_alloc_topup_needed(cpu = 0): number {
    return this.hyp_allocator_topup_needed(cpu);
  }

  /* ---------------------------------------------------------------- model-only views */

  /** The chunk headers in list order, as they lie in memory (read through the hyp stage-1). */
  chunks(): ChunkHdr[] {
    const out: ChunkHdr[] = [];
    for (let c = this.head; c; c = this.__chunk_next(c))
      out.push({ addr: c, next: this.rd32(c + HDR_NEXT), prev: this.rd32(c + HDR_PREV), __unmapped: this.rd32(c + HDR_UNMAPPED), hash: this.rd32(c + HDR_HASH) });
    return out;
  }

  /** Physical pages the heap holds: its memcache and the pages mapped in its VA range (invariants.ts). */
  owned_pages(): bigint[] {
    const out = new Set<bigint>();
    let p = this.mc.head & PAGE_MASK;
    for (let i = 0n; i < this.mc.nr_pages; i++) {
      out.add(p);
      p = this.mm.mem.readU64(p) & PAGE_MASK;
    }
    const mapped = (from: bigint, to: bigint): void => {
      for (let va = PTR_ALIGN_DOWN(from, PAGE_SIZE); va < to; va += PAGE_SIZE)
        if (this.mm.is_mapped(va)) out.add(this.mm.pkvm_private_va_range_pa(va) & PAGE_MASK);
    };
    if (!this.head) mapped(this.start, this.first_unmapped || this.end);
    for (let c = this.head; c; ) {
      const next = this.__chunk_next(c);
      mapped(c, this.chunk_unmapped(c) || next || this.end);
      c = next;
    }
    return [...out];
  }
}
