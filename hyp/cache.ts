/**
 * Data-cache maintenance EL2 performs on memory it hands back to the host (asm/kvm_mmu.h
 * kvm_flush_dcache_to_poc(), DC CIVAC over the range): after zeroing a guest page it returns
 * (hyp_poison_page() in nvhe/mem_protect.c, for reclaim, relinquish and force reclaim) and before
 * donating hyp memory back (__unmap_donated_memory() in nvhe/pkvm.c: the VM and vCPU structs, the
 * stage-2 PGD and page-table pages at teardown). The emulator has no data caches, so the operation
 * itself changes nothing; it is recorded (Pkvm.cmo) so tests can see it happen where upstream does it.
 */
import type { Pkvm } from './index';

/** Counters of the cache maintenance EL2 performed. */
export interface CacheMaintenanceStats {
  /** kvm_flush_dcache_to_poc() calls, and the bytes they covered. */
  flush_dcache_to_poc: number;
  bytes: bigint;
}

export const newCacheMaintenanceStats = (): CacheMaintenanceStats => ({ flush_dcache_to_poc: 0, bytes: 0n });

/** kvm_flush_dcache_to_poc(va, size): clean and invalidate to the point of coherency (recorded). */
export function kvm_flush_dcache_to_poc(hyp: Pkvm, pa: bigint, size: bigint): void {
  hyp.cmo.flush_dcache_to_poc++;
  hyp.cmo.bytes += size;
  hyp.onCacheMaintenance?.(pa, size);
}
