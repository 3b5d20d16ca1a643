/**
 * A guest's stage-2 at EL2: its table pages come from a per-VM hyp_pool seeded
 * with the host-donated PGD, then from the vCPU memcache the host tops up
 * (kvm_guest_prepare_stage2() and reclaim_pgtable_pages() in mem_protect.c).
 */
import type { Pkvm } from './index';
import type { PkvmHypVm } from './hyp-vm';
import type { KvmHypMemcache } from './memcache';
import { pop_hyp_memcache, push_hyp_memcache } from './memcache';
import { HypPool, hyp_pool_init, hyp_split_page } from './pool';
import { KvmPgtable, __kvm_pgtable_stage2_init, kvm_pgtable_stage2_destroy } from './pgtable';
import { PAGE_SHIFT, PAGE_SIZE, get_order, hyp_phys_to_pfn } from './pgtable-defs';
import { kvm_pgtable_stage2_pgd_size } from './vtcr';
import { WARN_ON } from './page-state';
import { __pkvm_hyp_donate_host } from './mem-protect';

export function kvm_guest_prepare_stage2(hyp: Pkvm, vm: PkvmHypVm, pgd: bigint): number {
  const vmemmap = hyp.vmemmap;
  const nr_pages = Number(kvm_pgtable_stage2_pgd_size(vm.mmu.vtcr) >> PAGE_SHIFT);
  const pool = new HypPool(hyp.mem, vmemmap);
  let ret = hyp_pool_init(pool, hyp_phys_to_pfn(pgd), nr_pages, 0);
  if (ret) return ret;
  vm.pool = pool;
  vm.pgt = new KvmPgtable(hyp.mem, {
    zalloc_pages_exact(size) {
      const addr = pool.hyp_alloc_pages(get_order(size));
      if (addr === null) return null;
      WARN_ON(size !== PAGE_SIZE << BigInt(get_order(size)), 'guest pgd size');
      hyp_split_page(vmemmap, addr);
      return addr;
    },
    free_pages_exact(addr, size) {
      for (let i = 0n; i < 1n << BigInt(get_order(size)); i++) pool.hyp_put_page(addr + i * PAGE_SIZE);
    },
    zalloc_page(mc) {
      const addr = pool.hyp_alloc_pages(0);
      if (addr !== null) return addr;
      const p = pop_hyp_memcache(hyp.mem, mc as KvmHypMemcache);
      if (p === null) return null;
      hyp.mem.zeroPage(p);
      vmemmap.setRefcount(vmemmap.idx(p), 1);
      vmemmap.setOrder(vmemmap.idx(p), 0);
      return p;
    },
    get_page: (addr) => pool.hyp_get_page(addr),
    put_page: (addr) => pool.hyp_put_page(addr),
    page_count: (addr) => vmemmap.hyp_page_count(addr),
  }, vm.mmu);
  /* Guests may use block mappings: no force_pte callback. */
  ret = __kvm_pgtable_stage2_init(vm.pgt, 0, null);
  return ret;
}

/** reclaim_pgtable_pages(): destroy the stage-2 and give every table page back to the host. */
export function reclaim_pgtable_pages(hyp: Pkvm, vm: PkvmHypVm, mc: KvmHypMemcache): void {
  const vmemmap = hyp.vmemmap;
  kvm_pgtable_stage2_destroy(vm.pgt);
  /* Drain the hyp_pool into the memcache */
  for (let addr = vm.pool.hyp_alloc_pages(0); addr !== null; addr = vm.pool.hyp_alloc_pages(0)) {
    vmemmap.setRefcount(vmemmap.idx(addr), 0);
    vmemmap.setOrder(vmemmap.idx(addr), 0);
    push_hyp_memcache(hyp.mem, mc, addr);
    WARN_ON(__pkvm_hyp_donate_host(hyp, hyp_phys_to_pfn(addr), 1n), 'reclaim_pgtable_pages: donate to host');
  }
}

/**
 * The __pkvm_init_vm() error path once kvm_guest_prepare_stage2() succeeded: destroy the stage-2 so
 * that the PGD pages drop the references the page table holds on them, before they go back to
 * the host (__pkvm_hyp_donate_host() refuses referenced pages).
 */
export function kvm_guest_destroy_stage2(hyp: Pkvm, vm: PkvmHypVm): void {
  kvm_pgtable_stage2_destroy(vm.pgt);
  /* Pages freed into the VM pool keep no reference either. */
  for (let addr = vm.pool.hyp_alloc_pages(0); addr !== null; addr = vm.pool.hyp_alloc_pages(0)) {
    hyp.vmemmap.setRefcount(hyp.vmemmap.idx(addr), 0);
    hyp.vmemmap.setOrder(hyp.vmemmap.idx(addr), 0);
  }
}
