/**
 * hyp_pool: the EL2 buddy allocator (arch/arm64/kvm/hyp/nvhe/page_alloc.c).
 * Page metadata (refcount, order) lives in hyp_vmemmap; free lists are kept
 * on the TS side instead of in list_heads inside the free pages. Pages are
 * zeroed when they are attached to the pool, so allocations return zeroed pages.
 */
import type { PhysMem } from './phys-mem';
import type { HypVmemmap } from './vmemmap';
import { HYP_NO_ORDER } from './vmemmap';
import { PAGE_SHIFT, PAGE_SIZE, get_order } from './pgtable-defs';

export const MAX_PAGE_ORDER = 10;

export class HypPool {
  max_order = 0;
  range_start = 0n;
  range_end = 0n;
  /** free_area[order]: head pages (as physical addresses), list_add_tail order. */
  free_area: bigint[][] = [];
  /** Moves at each change of free_area (a page attached or extracted): what was worked out of the lists before is stale. */
  version = 0;

  constructor(readonly mem: PhysMem, readonly vmemmap: HypVmemmap) {}

  private find_buddy_nocheck(p: bigint, order: number): bigint | null {
    const addr = p ^ (PAGE_SIZE << BigInt(order));
    /* A page outside the pool belongs to something else. */
    if (addr < this.range_start || addr >= this.range_end) return null;
    return addr;
  }

  private find_buddy_avail(p: bigint, order: number): bigint | null {
    const buddy = this.find_buddy_nocheck(p, order);
    if (buddy === null) return null;
    const b = this.vmemmap.idx(buddy);
    if (this.vmemmap.order(b) !== order || this.vmemmap.refcount(b) !== 0) return null;
    return buddy;
  }

  private remove_from_list(p: bigint, order: number): void {
    const list = this.free_area[order]!;
    list.splice(list.indexOf(p), 1);
  }

  private attach_page(p: bigint): void {
    const vm = this.vmemmap;
    let order = vm.order(vm.idx(p));
    for (let i = 0n; i < 1n << BigInt(order); i++) this.mem.zeroPage(p + i * PAGE_SIZE);
    /* Skip coalescing for 'external' pages being freed into the pool. */
    if (p >= this.range_start && p < this.range_end) {
      vm.setOrder(vm.idx(p), HYP_NO_ORDER);
      for (; order + 1 <= this.max_order; order++) {
        const buddy = this.find_buddy_avail(p, order);
        if (buddy === null) break;
        this.remove_from_list(buddy, order);
        vm.setOrder(vm.idx(buddy), HYP_NO_ORDER);
        if (buddy < p) p = buddy;
      }
    }
    vm.setOrder(vm.idx(p), order);
    this.free_area[order]!.push(p);
    this.version++;
  }

  private extract_page(p: bigint, order: number): bigint {
    this.version++;
    const vm = this.vmemmap;
    const i = vm.idx(p);
    this.remove_from_list(p, vm.order(i));
    while (vm.order(i) > order) {
      vm.setOrder(i, vm.order(i) - 1);
      const buddy = this.find_buddy_nocheck(p, vm.order(i))!;
      vm.setOrder(vm.idx(buddy), vm.order(i));
      this.free_area[vm.order(i)]!.push(buddy);
    }
    return p;
  }

  /** __hyp_put_page(pool, p): p is the page's struct hyp_page (its vmemmap index). */
  private __hyp_put_page(p: number): void {
    if (this.vmemmap.hyp_page_ref_dec_and_test(p)) this.attach_page(this.vmemmap.hyp_page_to_phys(p));
  }

  /** hyp_put_page(pool, addr): addr anywhere in the page (hyp_virt_to_page()). */
  hyp_put_page(addr: bigint | number): void {
    this.__hyp_put_page(this.vmemmap.idx(addr));
  }

  hyp_get_page(addr: bigint | number): void {
    this.vmemmap.hyp_page_ref_inc(this.vmemmap.idx(addr));
  }

  /** hyp_alloc_pages(): a zeroed, refcounted 2^order block, or null. */
  hyp_alloc_pages(order: number): bigint | null {
    let i = order;
    while (i <= this.max_order && this.free_area[i]!.length === 0) i++;
    if (i > this.max_order) return null;
    const p = this.extract_page(this.free_area[i]![0]!, order);
    this.vmemmap.hyp_set_page_refcounted(this.vmemmap.idx(p));
    return p;
  }

  /** Number of free pages (for tests and accounting). */
  free_pages(): number {
    let n = 0;
    this.free_area.forEach((l, order) => (n += l.length << order));
    return n;
  }
}

/** hyp_split_page(): turn a 2^order block into individually refcounted pages. */
export function hyp_split_page(vmemmap: HypVmemmap, p: bigint): void {
  const head = vmemmap.idx(p);
  const order = vmemmap.order(head);
  vmemmap.setOrder(head, 0);
  for (let i = 1; i < 1 << order; i++) {
    vmemmap.setOrder(head + i, 0);
    vmemmap.hyp_set_page_refcounted(head + i);
  }
}

/** hyp_pool_init(): pages [pfn, pfn + nr_pages), the first reserved_pages kept in use. */
export function hyp_pool_init(pool: HypPool, pfn: bigint, nr_pages: number, reserved_pages: number): number {
  const phys = pfn << PAGE_SHIFT;
  pool.max_order = Math.min(MAX_PAGE_ORDER, get_order(BigInt(nr_pages) << PAGE_SHIFT));
  pool.free_area = [];
  pool.version++;
  for (let i = 0; i <= pool.max_order; i++) pool.free_area.push([]);
  pool.range_start = phys;
  pool.range_end = phys + (BigInt(nr_pages) << PAGE_SHIFT);
  const vm = pool.vmemmap;
  for (let i = 0; i < nr_pages; i++) vm.hyp_set_page_refcounted(vm.idx(phys + BigInt(i) * PAGE_SIZE));
  for (let i = reserved_pages; i < nr_pages; i++) pool.hyp_put_page(phys + BigInt(i) * PAGE_SIZE);
  return 0;
}
