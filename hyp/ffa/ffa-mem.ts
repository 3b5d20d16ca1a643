/**
 * Memory transactions through the proxy (nvhe/ffa.c, same source as ffa.ts):
 * ffa_host_share_ranges() / ffa_host_unshare_ranges() over __pkvm_host_share_ffa() /
 * __pkvm_host_unshare_ffa() (mem-protect.ts: host OWNED ↔ SHARED_OWNED, the pages stay mapped),
 * __do_ffa_mem_xfer() for FFA_MEM_SHARE / FFA_MEM_LEND, do_ffa_mem_frag_tx() and
 * do_ffa_mem_reclaim().
 *
 * What EL2 checks, in upstream's order (each failure answered at EL2, the SPMC never asked):
 *  - xfer: w3/w4 (dynamic buffer) MBZ, fraglen ≤ len, fraglen ≤ the mailbox, fraglen large enough for
 *    a header and one EMAD (INVALID_PARAMETERS); host mailbox mapped (INVALID_PARAMETERS); len ≤ the
 *    descriptor buffer (NO_MEMORY); the fragment is copied into the hyp's TX buffer before it is
 *    parsed (the host cannot change it under EL2's feet); EMAD 0 inside the fragment, a composite
 *    offset, exactly one receiver, sender HOST_FFA_ID, the composite inside the fragment, the
 *    constituents a whole number of entries (INVALID_PARAMETERS); then every constituent of the
 *    fragment is shared — a range that is not page aligned or not host-OWNED (a guest's, the hyp's,
 *    one already shared, one crossing non-RAM) stops it: what was shared is unshared and the answer
 *    is DENIED. Only then is the call made to the SPMC (whose own checks — e.g. total_pg_cnt against
 *    the ranges — come back as its FFA_ERROR, after EL2 unshared the ranges again).
 *  - frag_tx: fraglen ≤ the mailbox and a whole number of constituents, mailbox mapped
 *    (INVALID_PARAMETERS); the fragment's ranges shared as above; if that fails the transaction is
 *    reclaimed at the SPMC (WARN unless it succeeds) and DENIED returned.
 *  - reclaim: the SPMC resolves the handle by the hypervisor's retrieve request (its error returned
 *    as is: reclaiming what was never shared is the SPMC's INVALID_PARAMETERS), fragments reassembled
 *    through FFA_MEM_FRAG_RX; a response that is bogus ABORTED, larger than the descriptor buffer
 *    NO_MEMORY; then FFA_MEM_RECLAIM, and only if the SPMC agrees are the ranges unshared (WARN).
 */
import {
  CONSTITUENTS_OFFSET, COMPOSITE_ADDR_RANGE_CNT, Desc, EMAD_COMPOSITE_OFF, FFA_FN64_MEM_LEND, FFA_MEM_FRAG_RX,
  FFA_MEM_FRAG_TX, FFA_MEM_REGION_SZ, FFA_MEM_RETRIEVE_RESP, FFA_PAGE_SIZE, FFA_RET_ABORTED, FFA_RET_DENIED,
  FFA_RET_INVALID_PARAMETERS, FFA_RET_NO_MEMORY, FFA_SUCCESS, MEM_REGION_EP_COUNT, MEM_REGION_HANDLE,
  MEM_REGION_SENDER_ID, PACK_HANDLE, SIZEOF_FFA_COMPOSITE_MEM_REGION, SIZEOF_FFA_MEM_REGION,
  SIZEOF_FFA_MEM_REGION_ADDR_RANGE, ffa_emad_size_get, ffa_mem_desc_offset,
} from '../../machine/ffa/abi';
import { WARN_ON } from '../page-state';
import { __pkvm_host_share_ffa, __pkvm_host_unshare_ffa } from '../mem-protect';
import { HOST_FFA_ID, KVM_FFA_MBOX_NR_PAGES, PAGE_SIZE, type HypFfa } from './ffa';
import {
  ffa_mem_frag_rx, ffa_mem_frag_tx, ffa_mem_reclaim, ffa_mem_xfer, ffa_retrieve_req, ffa_rx_release, ffa_to_smccc_res,
  type SmcccRegs,
} from './ffa-res';
import { ffa_lend_complete, ffa_lend_restore } from './ffa-lend';

export interface FfaAddrRange { address: bigint; pg_cnt: number }

const u32 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffff_ffffn);
const PAGE_ALIGNED = (a: bigint): boolean => (a & BigInt(PAGE_SIZE - 1)) === 0n;
const MBOX_SIZE = KVM_FFA_MBOX_NR_PAGES * PAGE_SIZE;

/** The constituents at byte `off` of `d` (struct ffa_mem_region_addr_range[n]). */
export function ffa_ranges_at(d: Desc, off: number, n: number): FfaAddrRange[] {
  const r: FfaAddrRange[] = [];
  for (let i = 0; i < n; i++) r.push({ address: d.u64(off + i * 16), pg_cnt: d.u32(off + i * 16 + 8) });
  return r;
}

function __ffa_host_share_ranges(ffa: HypFfa, ranges: FfaAddrRange[], nranges: number): number {
  let i = 0;
  for (; i < nranges; ++i) {
    const range = ranges[i]!;
    const sz = BigInt(range.pg_cnt) * BigInt(FFA_PAGE_SIZE);
    if (!PAGE_ALIGNED(sz | range.address)) break;
    if (__pkvm_host_share_ffa(ffa.hyp, range.address >> 12n, sz / BigInt(PAGE_SIZE))) break;
  }
  return i;
}

function __ffa_host_unshare_ranges(ffa: HypFfa, ranges: FfaAddrRange[], nranges: number): number {
  let i = 0;
  for (; i < nranges; ++i) {
    const range = ranges[i]!;
    const sz = BigInt(range.pg_cnt) * BigInt(FFA_PAGE_SIZE);
    if (!PAGE_ALIGNED(sz | range.address)) break;
    if (__pkvm_host_unshare_ffa(ffa.hyp, range.address >> 12n, sz / BigInt(PAGE_SIZE))) break;
  }
  return i;
}

export function ffa_host_share_ranges(ffa: HypFfa, ranges: FfaAddrRange[]): number {
  const nshared = __ffa_host_share_ranges(ffa, ranges, ranges.length);
  if (nshared === ranges.length) return 0;
  WARN_ON(__ffa_host_unshare_ranges(ffa, ranges, nshared) !== nshared, 'ffa: undo a partial share');
  return FFA_RET_DENIED;
}

export function ffa_host_unshare_ranges(ffa: HypFfa, ranges: FfaAddrRange[]): number {
  const nunshared = __ffa_host_unshare_ranges(ffa, ranges, ranges.length);
  if (nunshared === ranges.length) return 0;
  WARN_ON(__ffa_host_share_ranges(ffa, ranges, nunshared) !== nunshared, 'ffa: undo a partial unshare');
  return FFA_RET_DENIED;
}

/** memcpy(hyp_buffers.tx, host_buffers.tx, n): the hyp's private copy of the host's fragment. */
function copy_host_tx(ffa: HypFfa, n: number): Desc {
  const b = ffa.hyp.mem.readBytes(ffa.host_buffers.tx!, n);
  ffa.hyp.mem.writeBytes(ffa.hyp_buffers.tx!, b);
  return new Desc(ffa.hyp.mem.readBytes(ffa.hyp_buffers.tx!, n));
}

export function do_ffa_mem_frag_tx(ffa: HypFfa, res: SmcccRegs, ctxt: bigint[]): void {
  const handle_lo = u32(ctxt[1]), handle_hi = u32(ctxt[2]), fraglen = u32(ctxt[3]), endpoint_id = u32(ctxt[4]);
  let ret = FFA_RET_INVALID_PARAMETERS;
  out: {
    if (fraglen > MBOX_SIZE) break out;
    if (fraglen % SIZEOF_FFA_MEM_REGION_ADDR_RANGE) break out;
    if (ffa.host_buffers.tx === null) break out;
    const buf = copy_host_tx(ffa, fraglen);
    const ranges = ffa_ranges_at(buf, 0, fraglen / SIZEOF_FFA_MEM_REGION_ADDR_RANGE);
    ret = ffa_host_share_ranges(ffa, ranges);
    if (ret) {
      /* Abort the transaction: restore the state before the first fragment. */
      ffa_mem_reclaim(ffa, res, handle_lo, handle_hi, 0);
      WARN_ON(res[0] !== FFA_SUCCESS, 'ffa: reclaim of an aborted fragmented transaction');
      ffa.pendingXfer = null;
      break out;
    }
    ffa_mem_frag_tx(ffa, res, handle_lo, handle_hi, fraglen, endpoint_id);
    if (res[0] !== FFA_SUCCESS && res[0] !== FFA_MEM_FRAG_RX) {
      WARN_ON(ffa_host_unshare_ranges(ffa, ranges), 'ffa: unshare a refused fragment');
      ffa.pendingXfer = null;
    } else if (ffa.pendingXfer) {
      ffa.pendingXfer.ranges.push(...ranges);
      if (res[0] === FFA_SUCCESS) ffa_lend_complete(ffa, PACK_HANDLE(res[2]!, res[3]!));
    }
  }
  if (ret) ffa_to_smccc_res(res, ret);
}

export function __do_ffa_mem_xfer(ffa: HypFfa, func_id: bigint, res: SmcccRegs, ctxt: bigint[]): void {
  const len = u32(ctxt[1]), fraglen = u32(ctxt[2]), addr_mbz = ctxt[3] ?? 0n, npages_mbz = u32(ctxt[4]);
  const v = ffa.hyp_ffa_version;
  const mem_region_len = FFA_MEM_REGION_SZ(v);
  let ret = 0;
  let ranges: FfaAddrRange[] = [];
  out: {
    if (addr_mbz || npages_mbz || fraglen > len || fraglen > MBOX_SIZE) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    if (fraglen < mem_region_len + ffa_emad_size_get(v)) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    if (ffa.host_buffers.tx === null) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    if (len > ffa.ffa_desc_buf.length) { ret = FFA_RET_NO_MEMORY; break out; }
    const buf = copy_host_tx(ffa, fraglen);
    const em_mem_access_off = ffa_mem_desc_offset(0, v);
    if (em_mem_access_off + ffa_emad_size_get(v) > fraglen) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    const offset = buf.u32(em_mem_access_off + EMAD_COMPOSITE_OFF);
    if (!offset || buf.u32(MEM_REGION_EP_COUNT) !== 1 || buf.u16(MEM_REGION_SENDER_ID) !== HOST_FFA_ID) {
      ret = FFA_RET_INVALID_PARAMETERS;
      break out;
    }
    const checked_offset = offset + SIZEOF_FFA_COMPOSITE_MEM_REGION;
    if (checked_offset > 0xffff_ffff || fraglen < checked_offset) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    const nr_bytes = fraglen - CONSTITUENTS_OFFSET(0) - offset;
    if (nr_bytes % SIZEOF_FFA_MEM_REGION_ADDR_RANGE) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    ranges = ffa_ranges_at(buf, offset + CONSTITUENTS_OFFSET(0), nr_bytes / SIZEOF_FFA_MEM_REGION_ADDR_RANGE);
    ret = ffa_host_share_ranges(ffa, ranges);
    if (ret) break out;
    ffa_mem_xfer(ffa, res, func_id, len, fraglen);
    const lend = func_id === FFA_FN64_MEM_LEND;
    if (fraglen !== len) {
      if (res[0] !== FFA_MEM_FRAG_RX || u32(res[3]) !== fraglen) {
        WARN_ON(ffa_host_unshare_ranges(ffa, ranges), 'ffa: unshare a refused transaction');
        break out;
      }
      ffa.pendingXfer = { handle: PACK_HANDLE(res[1]!, res[2]!), lend, ranges: [...ranges] };
    } else if (res[0] !== FFA_SUCCESS) {
      WARN_ON(ffa_host_unshare_ranges(ffa, ranges), 'ffa: unshare a refused transaction');
    } else {
      ffa.pendingXfer = { handle: 0n, lend, ranges: [...ranges] };
      ffa_lend_complete(ffa, PACK_HANDLE(res[2]!, res[3]!));
    }
  }
  if (ret) ffa_to_smccc_res(res, ret);
}

export function do_ffa_mem_reclaim(ffa: HypFfa, res: SmcccRegs, ctxt: bigint[]): void {
  const handle_lo = u32(ctxt[1]), handle_hi = u32(ctxt[2]), flags = u32(ctxt[3]);
  const handle = PACK_HANDLE(BigInt(handle_lo), BigInt(handle_hi));
  const mem = ffa.hyp.mem, v = ffa.hyp_ffa_version;
  let ret = 0;
  out: {
    /* The hypervisor's retrieve request: sender and handle, nothing else. */
    const req = new Desc(new Uint8Array(SIZEOF_FFA_MEM_REGION));
    req.set16(MEM_REGION_SENDER_ID, HOST_FFA_ID);
    req.set64(MEM_REGION_HANDLE, handle);
    mem.writeBytes(ffa.hyp_buffers.tx!, req.b);
    ffa_retrieve_req(ffa, res, SIZEOF_FFA_MEM_REGION);
    if (res[0] !== FFA_MEM_RETRIEVE_RESP) break out;
    const len = u32(res[1]);
    let fraglen = u32(res[2]);
    const rx = new Desc(mem.readBytes(ffa.hyp_buffers.rx!, MBOX_SIZE));
    const em_mem_access_off = ffa_mem_desc_offset(0, v);
    if (em_mem_access_off + ffa_emad_size_get(v) > fraglen) {
      ret = FFA_RET_INVALID_PARAMETERS;
      ffa_rx_release(ffa, res);
      break out;
    }
    const offset = rx.u32(em_mem_access_off + EMAD_COMPOSITE_OFF);
    /* We can trust the SPMD to get this right, but check it does not look completely bogus. */
    if (offset + CONSTITUENTS_OFFSET(0) > len || fraglen > MBOX_SIZE) {
      ret = FFA_RET_ABORTED;
      ffa_rx_release(ffa, res);
      break out;
    }
    if (len > ffa.ffa_desc_buf.length) {
      ret = FFA_RET_NO_MEMORY;
      ffa_rx_release(ffa, res);
      break out;
    }
    const buf = ffa.ffa_desc_buf;
    buf.set(rx.b.subarray(0, fraglen), 0);
    ffa_rx_release(ffa, res);
    for (let fragoff = fraglen; fragoff < len; fragoff += fraglen) {
      ffa_mem_frag_rx(ffa, res, handle_lo, handle_hi, fragoff);
      if (res[0] !== FFA_MEM_FRAG_TX) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
      fraglen = u32(res[3]);
      if (fraglen > MBOX_SIZE || fragoff + fraglen > buf.length) { ret = FFA_RET_ABORTED; break out; } // memcpy bound
      buf.set(mem.readBytes(ffa.hyp_buffers.rx!, fraglen), fragoff);
      ffa_rx_release(ffa, res);
    }
    const d = new Desc(buf);
    const addr_range_cnt = d.u32(offset + COMPOSITE_ADDR_RANGE_CNT);
    if (offset + CONSTITUENTS_OFFSET(addr_range_cnt) > len) { ret = FFA_RET_ABORTED; break out; }
    ffa_mem_reclaim(ffa, res, handle_lo, handle_hi, flags);
    if (res[0] !== FFA_SUCCESS) break out;
    /* If the SPMD was happy, then we should be too. */
    ffa_lend_restore(ffa, handle);
    WARN_ON(ffa_host_unshare_ranges(ffa, ffa_ranges_at(d, offset + CONSTITUENTS_OFFSET(0), addr_range_cnt)), 'ffa: unshare reclaimed ranges');
  }
  if (ret) ffa_to_smccc_res(res, ret);
}
