/**
 * struct kvm_hyp_memcache (asm/kvm_host.h): a stack of pages linked through
 * their first 8 bytes (the physical address of the next page), so that it can
 * be handed between the host and EL2. The host pushes pages it donates; the hyp
 * pops them for stage-2 page-table pages, and pushes pages back at teardown.
 */
import type { PhysMem } from './phys-mem';
import { ENOMEM } from './page-state';
import { PAGE_MASK, hyp_phys_to_pfn } from './pgtable-defs';

export interface KvmHypMemcache {
  head: bigint;
  nr_pages: bigint;
}

/** Addresses below it are exact as Numbers (and below any hyp VA). */
const VA_LIMIT = 1n << 48n;

let lastPa = -1n, lastPaN = -1;

/** A memcache embedded in a host structure in physical memory ({u64 head; u64 nr_pages}). */
export class PhysMemcache implements KvmHypMemcache {
  /** pa as a Number, when mem takes Number addresses (PhysMem.readU64N). */
  private readonly paN: number;
  constructor(readonly mem: PhysMem, readonly pa: bigint) {
    /* (the last address converted is kept: a vCPU's memcache is looked at on each of its faults) */
    if (pa !== lastPa) {
      lastPaN = pa >= 0n && pa < VA_LIMIT ? Number(pa) : -1;
      lastPa = pa;
    }
    this.paN = mem.readU64N ? lastPaN : -1;
  }
  get head(): bigint { return this.paN >= 0 ? this.mem.readU64N!(this.paN) : this.mem.readU64(this.pa); }
  set head(v: bigint) { if (this.paN >= 0) this.mem.writeU64N!(this.paN, v); else this.mem.writeU64(this.pa, v); }
  get nr_pages(): bigint { return this.paN >= 0 ? this.mem.readU64N!(this.paN + 8) : this.mem.readU64(this.pa + 8n); }
  set nr_pages(v: bigint) { if (this.paN >= 0) this.mem.writeU64N!(this.paN + 8, v); else this.mem.writeU64(this.pa + 8n, v); }
}

export function push_hyp_memcache(mem: PhysMem, mc: KvmHypMemcache, p: bigint): void {
  mem.writeU64(p, mc.head);
  mc.head = p & PAGE_MASK;
  mc.nr_pages = mc.nr_pages + 1n;
}

/** pop_hyp_memcache(): a page address, or null when the memcache is empty. */
export function pop_hyp_memcache(mem: PhysMem, mc: KvmHypMemcache): bigint | null {
  if (!mc.nr_pages) return null;
  const p = mc.head & PAGE_MASK;
  mc.head = mem.readU64(p);
  mc.nr_pages = mc.nr_pages - 1n;
  return p;
}

/** __topup_hyp_memcache(): -ENOMEM when alloc_fn runs dry. */
export function __topup_hyp_memcache(
  mem: PhysMem, mc: KvmHypMemcache, min_pages: bigint, alloc_fn: () => bigint | null,
): number {
  while (mc.nr_pages < min_pages) {
    const p = alloc_fn();
    if (p === null) return -ENOMEM;
    push_hyp_memcache(mem, mc, p);
  }
  return 0;
}

/**
 * refill_memcache() (hyp-main.c): move host memcache pages into an EL2
 * memcache, taking ownership of each through a full host-to-hyp donation
 * (admit_host_page()).
 */
export function refill_memcache(
  mem: PhysMem, mc: KvmHypMemcache, min_pages: bigint, host_mc: KvmHypMemcache,
  host_donate_hyp: (pfn: bigint, nr_pages: bigint) => number,
): number {
  /*
   * Nothing to move (a fault's usual case: the table pages run out once per 512 pages): the copy
   * below, the loop that does not run and *host_mc = tmp would only store back what they loaded.
   */
  if (mc.nr_pages >= min_pages) return 0;
  const tmp: KvmHypMemcache = { head: host_mc.head, nr_pages: host_mc.nr_pages };
  /* __topup_hyp_memcache() with admit_host_page() as its allocator, written out (no closure) */
  let ret = 0;
  while (mc.nr_pages < min_pages) {
    let p: bigint | null = null;
    if (tmp.nr_pages && !host_donate_hyp(hyp_phys_to_pfn(tmp.head), 1n)) p = pop_hyp_memcache(mem, tmp);
    if (p === null) { ret = -ENOMEM; break; }
    push_hyp_memcache(mem, mc, p);
  }
  host_mc.head = tmp.head;
  host_mc.nr_pages = tmp.nr_pages;
  return ret;
}
