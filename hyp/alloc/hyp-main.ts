/**
 * handle___pkvm_hyp_alloc_mgt_{refill,reclaimable,reclaim} (Android's nvhe/hyp-main.c). Android's
 * names are used: mainline has no hyp heap, and the "__pkvm_hyp_topup / reclaim /
 * reclaimable" are not ids of any tree. Ids are appended after the pKVM band (hypercalls.ts).
 *   refill(id, head, nr_pages)   x1 = 0 / -errno: the host's memcache list of pages joins allocator id
 *   reclaimable(id)              x1 = pages allocator id could give back now
 *   reclaim(id, target)          x1 = head, x2 = nr_pages of the list of pages given back
 */
import type { HostHcallHandler } from '../hyp-main';
import type { HostHcallName } from '../hypercalls';
import { hyp_alloc_mgt_reclaim, hyp_alloc_mgt_reclaimable, hyp_alloc_mgt_refill } from './alloc-mgt';

const s32 = (v: bigint | undefined): number => Number(BigInt.asIntN(32, v ?? 0n));
const u64 = (v: bigint | undefined): bigint => v ?? 0n;
const setRet = (ctxt: bigint[], ret: number | bigint): void => {
  ctxt[1] = BigInt.asUintN(64, BigInt(ret));
};

export const alloc_hcall_handlers: Partial<Record<HostHcallName, HostHcallHandler>> = {
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
