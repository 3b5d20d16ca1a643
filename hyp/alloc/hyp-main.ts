/**
 * The hyp heap's host interface, two forms:
 *
 * Upstream (kvm_asm.h at kernel-patches/bpf 43759e3c9631, in the common band; the handlers as
 * nvhe/hyp-main.c of the heap series: "KVM: arm64: Add topup interface for the pKVM heap
 * allocator", "... reclaim interface ..."), on enum pkvm_topup_id (PKVM_TOPUP_HYP_ALLOC = 0, the
 * heap; the debug-only selftest allocator is not modelled, so any other id is refused):
 *   __pkvm_hyp_topup(id, head, nr_pages)  x1 = 0 / -errno (-EINVAL: unknown id); x2, x3 = head and
 *                                          nr_pages of what is left of the host's list (the host
 *                                          frees it)
 *   __pkvm_hyp_reclaim(id, target)        x1 = 0 / -EINVAL; x2, x3 = head and nr_pages of the
 *                                          pages given back (zeroed, the host's again)
 *   __pkvm_hyp_reclaimable(id)            x1 = pages reclaim could give back (0: unknown id)
 *
 * Android's (nvhe/alloc_mgt.c, appended after the pKVM band in hypercalls.ts), on allocator ids
 * (0 = the heap, 1 = the IOMMU pool), which the IOMMU series uses:
 *   __pkvm_hyp_alloc_mgt_refill(id, head, nr_pages)  x1 = 0 / -errno
 *   __pkvm_hyp_alloc_mgt_reclaimable(id)             x1 = pages allocator id could give back now
 *   __pkvm_hyp_alloc_mgt_reclaim(id, target)         x1 = head, x2 = nr_pages of the pages given back
 */
import type { HostHcallHandler } from '../hyp-main';
import type { HostHcallName } from '../hypercalls';
import { hyp_alloc_mgt_reclaim, hyp_alloc_mgt_reclaimable, hyp_alloc_mgt_refill } from './alloc-mgt';
import { EINVAL } from '../page-state';

/** enum pkvm_topup_id: the heap. */
export const PKVM_TOPUP_HYP_ALLOC = 0n;

const s32 = (v: bigint | undefined): number => Number(BigInt.asIntN(32, v ?? 0n));
const u64 = (v: bigint | undefined): bigint => v ?? 0n;
const setRet = (ctxt: bigint[], ret: number | bigint): void => {
  ctxt[1] = BigInt.asUintN(64, BigInt(ret));
};

export const alloc_hcall_handlers: Partial<Record<HostHcallName, HostHcallHandler>> = {
  __pkvm_hyp_topup: (hyp, c) => {
    const host_mc = { head: u64(c[2]), nr_pages: u64(c[3]) };
    const ret = u64(c[1]) === PKVM_TOPUP_HYP_ALLOC ? hyp.heap.hyp_alloc_topup(host_mc) : -EINVAL;
    setRet(c, ret);
    c[2] = host_mc.head;
    c[3] = host_mc.nr_pages;
  },
  __pkvm_hyp_reclaim: (hyp, c, cpu) => {
    const host_mc = { head: 0n, nr_pages: 0n };
    let ret = 0;
    if (u64(c[1]) === PKVM_TOPUP_HYP_ALLOC) hyp.heap.hyp_alloc_reclaim(host_mc, u64(c[2]), cpu); /* unsigned long target */
    else ret = -EINVAL;
    setRet(c, ret);
    c[2] = host_mc.head;
    c[3] = host_mc.nr_pages;
  },
  __pkvm_hyp_reclaimable: (hyp, c) => setRet(c, u64(c[1]) === PKVM_TOPUP_HYP_ALLOC ? hyp.heap.hyp_alloc_reclaimable() : 0),
  __pkvm_hyp_alloc_mgt_refill: (hyp, c, cpu) =>
    setRet(c, hyp_alloc_mgt_refill(hyp, u64(c[1]), { head: u64(c[2]), nr_pages: u64(c[3]) }, cpu)),
  __pkvm_hyp_alloc_mgt_reclaimable: (hyp, c) => setRet(c, hyp_alloc_mgt_reclaimable(hyp, u64(c[1]))),
  __pkvm_hyp_alloc_mgt_reclaim: (hyp, c, cpu) => {
    const mc = { head: 0n, nr_pages: 0n };
    hyp_alloc_mgt_reclaim(hyp, u64(c[1]), mc, s32(c[2]), cpu);
    c[1] = mc.head;
    c[2] = mc.nr_pages;
  },
};
