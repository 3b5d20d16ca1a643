/**
 * The host kernel's FF-A driver (after drivers/firmware/arm_ffa/driver.c: ffa_version_check(),
 * ffa_rxtx_map(), ffa_setup_and_transmit() with fragmentation, ffa_memory_reclaim(),
 * ffa_msg_send_direct_req()): the host's SMCs go through EL2's handle_host_smc() FF-A step
 * (hyp/ffa/host-smc.ts), as a trapped SMC of the A64 host does. Its mailbox is two pages of its own
 * memory (written and read through the host stage-2, HostMemory); the descriptor is written into
 * TX one fragment at a time.
 */
import type { HostedEl2 } from '../hyp/hosted-el2';
import type { HostMemory } from './host-memory';
import type { HostPageAllocator } from './page-alloc';
import { host_smc_ffa } from '../hyp/ffa/host-smc';
import { is_ffa_call } from '../machine/ffa/spmc';
import {
  CONSTITUENTS_OFFSET, FFA_ERROR, FFA_FEATURES, FFA_FN64_MEM_LEND, FFA_FN64_MEM_SHARE, FFA_FN64_MSG_SEND_DIRECT_REQ,
  FFA_FN64_RXTX_MAP, FFA_ID_GET, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_RECLAIM, FFA_PARTITION_INFO_GET,
  FFA_RET_NAMES, FFA_RXTX_UNMAP, FFA_RX_RELEASE, FFA_SUCCESS, FFA_VERSION, FFA_VERSION_1_1, HANDLE_HIGH, HANDLE_LOW,
  PACK_HANDLE, ffa_build_mem_region, ffa_mem_desc_offset, type FfaMemRange,
} from '../machine/ffa/abi';
import { SP_ID } from '../machine/ffa/sp';

export interface FfaCallResult {
  /** x0..x7 as the host got them back. */
  regs: bigint[];
  /** FFA_SUCCESS (or the call's own response, e.g. a version). */
  ok: boolean;
  /** The FF-A error code of an FFA_ERROR answer (or of a negative w0, e.g. FFA_VERSION), else 0. */
  error: number;
  /** MEM_SHARE/LEND: the transaction's handle. */
  handle?: bigint;
}

export interface FfaXferOptions {
  lend?: boolean;
  receivers?: number[];
  /** Constituents per fragment (default: all in one). */
  fragRanges?: number;
  /** Descriptor overrides (a lying descriptor): total_pg_cnt, addr_range_cnt, sender, flags. */
  total_pg_cnt?: number;
  addr_range_cnt?: number;
  sender?: number;
  flags?: number;
  /** Descriptor version (default: the negotiated one). */
  version?: number;
}

const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v & 0xffff_ffffn));

export function ffaErrorName(code: number): string {
  return FFA_RET_NAMES[code] ?? String(code);
}

export class HostFfa {
  version = 0;
  tx: bigint | null = null;
  rx: bigint | null = null;
  constructor(readonly el2: HostedEl2, readonly mem: HostMemory, readonly alloc: HostPageAllocator) {}

  /** One SMC: x0 = fn, x1.. = args. */
  smc(fn: bigint, ...args: (bigint | number)[]): FfaCallResult {
    const x = [fn, ...args.map((a) => BigInt.asUintN(64, BigInt(a)))];
    while (x.length < 8) x.push(0n);
    host_smc_ffa(this.el2.ffa, x, fn);
    /* FFA_ERROR carries the code in w2; another FF-A id is a response (FFA_SUCCESS, FRAG_RX, a direct
     * response, ...); anything else is a plain value in w0, negative for an error (FFA_VERSION). */
    const error = x[0] === FFA_ERROR ? s32(x[2]!) : is_ffa_call(x[0]!) ? 0 : Math.min(0, s32(x[0]!));
    return { regs: x, ok: error === 0, error };
  }

  ffa_version(req = FFA_VERSION_1_1): FfaCallResult {
    const r = this.smc(FFA_VERSION, req);
    if (r.ok) this.version = Math.min(Number(r.regs[0]), req);
    return r;
  }
  id_get(): FfaCallResult { return this.smc(FFA_ID_GET); }
  features(id: bigint): FfaCallResult { return this.smc(FFA_FEATURES, id); }

  /** ffa_rxtx_map(): two fresh pages of the host's own memory (or the given ones). */
  rxtx_map(tx?: bigint, rx?: bigint, pages = 1): FfaCallResult {
    const t = tx ?? this.alloc.alloc(), r = rx ?? this.alloc.alloc();
    if (t === null || r === null) throw new Error('host: out of memory for the FF-A mailbox');
    const res = this.smc(FFA_FN64_RXTX_MAP, t, r, pages);
    if (res.ok) { this.tx = t; this.rx = r; }
    else { if (tx === undefined) this.alloc.free(t); if (rx === undefined) this.alloc.free(r); }
    return res;
  }
  rxtx_unmap(id = 0): FfaCallResult {
    const res = this.smc(FFA_RXTX_UNMAP, id << 16);
    if (res.ok && this.tx !== null) { this.alloc.free(this.tx); this.alloc.free(this.rx!); this.tx = this.rx = null; }
    return res;
  }
  rx_release(): FfaCallResult { return this.smc(FFA_RX_RELEASE); }
  partition_info_get(uuid: number[] = [0, 0, 0, 0], flags = 0): FfaCallResult {
    return this.smc(FFA_PARTITION_INFO_GET, ...uuid, flags);
  }

  /**
   * FFA_MEM_SHARE / FFA_MEM_LEND of `ranges` to the partition: the descriptor in TX, fragmented
   * after `fragRanges` constituents (each later fragment a whole array of constituents, FRAG_TX).
   */
  mem_xfer(ranges: FfaMemRange[], o: FfaXferOptions = {}): FfaCallResult {
    if (this.tx === null) return this.smc(o.lend ? FFA_FN64_MEM_LEND : FFA_FN64_MEM_SHARE, 0, 0); // EL2 refuses
    const version = o.version ?? this.version;
    const desc = ffa_build_mem_region({
      version, sender: o.sender ?? 0, receivers: o.receivers ?? [SP_ID], ranges, flags: o.flags,
      total_pg_cnt: o.total_pg_cnt, addr_range_cnt: o.addr_range_cnt,
    });
    const head = ffa_mem_desc_offset(o.receivers?.length ?? 1, version) + CONSTITUENTS_OFFSET(0);
    const per = o.fragRanges ?? ranges.length;
    let fraglen = Math.min(desc.length, head + per * 16);
    this.mem.writeBytes(this.tx, desc.subarray(0, fraglen));
    let r = this.smc(o.lend ? FFA_FN64_MEM_LEND : FFA_FN64_MEM_SHARE, desc.length, fraglen);
    let off = fraglen;
    while (r.regs[0] === FFA_MEM_FRAG_RX && off < desc.length) {
      const lo = r.regs[1]!, hi = r.regs[2]!;
      fraglen = Math.min(desc.length - off, per * 16);
      this.mem.writeBytes(this.tx, desc.subarray(off, off + fraglen));
      r = this.smc(FFA_MEM_FRAG_TX, lo, hi, fraglen, 0);
      off += fraglen;
    }
    if (r.regs[0] === FFA_SUCCESS) r.handle = PACK_HANDLE(r.regs[2]!, r.regs[3]!);
    return r;
  }

  mem_reclaim(handle: bigint, flags = 0): FfaCallResult {
    return this.smc(FFA_MEM_RECLAIM, HANDLE_LOW(handle), HANDLE_HIGH(handle), flags);
  }

  /** A direct request to the partition (sp.ts commands); x3 of the response = its status. */
  direct_req(cmd: number, handle: bigint, offset = 0n, value = 0n, dest = SP_ID): FfaCallResult {
    return this.smc(FFA_FN64_MSG_SEND_DIRECT_REQ, (0 << 16) | dest, 0, cmd, HANDLE_LOW(handle), HANDLE_HIGH(handle), offset, value);
  }
}
