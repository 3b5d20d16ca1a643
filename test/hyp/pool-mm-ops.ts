/** kvm_pgtable_mm_ops over a hyp pool (as pkvm.c's for the host and guest stage-2), for tests. */
import type { KvmPgtableMmOps } from '../../hyp/pgtable';
import { HypPool, hyp_split_page } from '../../hyp/pool';
import type { HypVmemmap } from '../../hyp/vmemmap';
import { PAGE_SIZE, get_order } from '../../hyp/pgtable-defs';

export function poolMmOps(pool: HypPool, vmemmap: HypVmemmap): KvmPgtableMmOps {
  return {
    zalloc_pages_exact(size) {
      const p = pool.hyp_alloc_pages(get_order(size));
      if (p !== null) hyp_split_page(vmemmap, p);
      return p;
    },
    free_pages_exact(addr, size) {
      for (let i = 0n; i < size / PAGE_SIZE; i++) pool.hyp_put_page(addr + i * PAGE_SIZE);
    },
    zalloc_page: (mc) => (mc ? pool.hyp_alloc_pages(0) : null),
    get_page: (a) => pool.hyp_get_page(a),
    put_page: (a) => pool.hyp_put_page(a),
    page_count: (a) => vmemmap.hyp_page_count(a),
  };
}
