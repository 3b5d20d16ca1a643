/**
 * The SPMC's memory management (DEN0077A v1.1 chapter 10-11): FFA_MEM_SHARE / FFA_MEM_LEND from the
 * normal world, with fragmentation (FFA_MEM_FRAG_TX), the hypervisor's retrieve request
 * (FFA_MEM_RETRIEVE_REQ with no EMAD, answered by FFA_MEM_RETRIEVE_RESP and FFA_MEM_FRAG_RX), and
 * FFA_MEM_RECLAIM. Each transaction gets a handle the SPMC allocates (bit 63 clear: SPMC-allocated)
 * and a record of what was shared or lent with which endpoint; the secure partition retrieves and
 * relinquishes it (sp.ts) and reclaim is DENIED while it holds it.
 *
 * Checks on a descriptor (the whole transaction, once its last fragment arrived), each
 * FFA_RET_INVALID_PARAMETERS: sender must be the caller (ID 0); handle and reserved fields MBZ; v1.1
 * header sizes; one or more receivers, each an existing partition, no duplicates, the same composite;
 * constituents end exactly at the descriptor's length; total_pg_cnt equals the sum of the ranges;
 * ranges page aligned, non-empty, in RAM, not overlapping each other; CLEAR only for LEND. Memory
 * already in another transaction is FFA_RET_DENIED.
 *
 * Not modelled: dynamic buffers (address/page count in w3/w4: INVALID_PARAMETERS), DONATE, more
 * than the one partition, memory attributes beyond the MBZ bits, time slicing.
 * Deviation kept on purpose: a reclaim of a transaction whose fragments are still arriving aborts it
 * (SUCCESS), which upstream pKVM's FRAG_TX error path expects of the SPMC (it WARNs otherwise).
 */
import {
  CONSTITUENTS_OFFSET, COMPOSITE_ADDR_RANGE_CNT, COMPOSITE_TOTAL_PG_CNT, Desc, EMAD_ATTRS, EMAD_COMPOSITE_OFF,
  EMAD_RECEIVER, FFA_MEM_CLEAR, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_REGION_SZ, FFA_MEM_RETRIEVE_RESP,
  FFA_MEM_RETRIEVE_TYPE_LEND, FFA_MEM_RETRIEVE_TYPE_SHARE, FFA_MEM_RW, FFA_PAGE_SIZE, FFA_RET_DENIED,
  FFA_RET_INVALID_PARAMETERS, FFA_TIME_SLICE_ENABLE, FFA_VERSION_1_0, MEM_REGION_ATTRIBUTES, MEM_REGION_EP_COUNT,
  MEM_REGION_EP_MEM_OFFSET, MEM_REGION_EP_MEM_SIZE, MEM_REGION_FLAGS, MEM_REGION_HANDLE, MEM_REGION_SENDER_ID,
  MEM_REGION_TAG, PACK_HANDLE, HANDLE_HIGH, HANDLE_LOW, SIZEOF_FFA_MEM_REGION, ffa_build_mem_region,
  ffa_emad_size_get, ffa_mem_desc_offset, type FfaMemRange,
} from './abi';
import { NS_ENDPOINT_ID, ffa_error, ffa_success, regs, type FfaRegs, type FfaSpmc } from './spmc';
import { SP_ID } from './sp';

export type FfaXferType = 'share' | 'lend';

export interface FfaMemTransaction {
  handle: bigint;
  type: FfaXferType;
  sender: number;
  /** Descriptor bytes received so far (all of them once complete). */
  desc: Uint8Array;
  received: number;
  complete: boolean;
  receivers: { id: number; access: number }[];
  ranges: FfaMemRange[];
  flags: number;
  tag: bigint;
  /** Retrieves by the partition not yet relinquished. */
  retrieved: number;
}

const PAGE = BigInt(FFA_PAGE_SIZE);

export class SpmcMemTransactions {
  /** Live transactions by handle (complete, and those whose fragments are still arriving). */
  readonly byHandle = new Map<bigint, FfaMemTransaction>();
  /** A retrieve response being read by FFA_MEM_FRAG_RX: its handle and bytes. */
  private retrieveResp: { handle: bigint; desc: Uint8Array } | null = null;
  private nextHandle = 1n;
  constructor(private readonly spmc: FfaSpmc) {}

  /** SPMC-allocated handles: bit 63 clear, the low word a counter, the high word 1 (never 0: both halves matter). */
  private allocHandle(): bigint {
    return PACK_HANDLE(this.nextHandle++, 1n);
  }

  private tx_size(): number { return this.spmc.mailbox!.pages * FFA_PAGE_SIZE; }

  mem_xfer(type: FfaXferType, len: number, fraglen: number, addr: bigint, pgcnt: number): FfaRegs {
    if (addr || pgcnt) return ffa_error(FFA_RET_INVALID_PARAMETERS); // dynamic buffers: not supported
    if (!this.spmc.mailbox) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const v = this.spmc.callerVersion;
    if (fraglen > len || fraglen > this.tx_size() || fraglen < FFA_MEM_REGION_SZ(v) + ffa_emad_size_get(v))
      return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const desc = new Uint8Array(len);
    desc.set(this.spmc.readTx(fraglen));
    const t: FfaMemTransaction = {
      handle: 0n, type, sender: -1, desc, received: fraglen, complete: false, receivers: [], ranges: [], flags: 0, tag: 0n, retrieved: 0,
    };
    if (fraglen < len) {
      t.handle = this.allocHandle();
      t.sender = new Desc(desc).u16(MEM_REGION_SENDER_ID);
      this.byHandle.set(t.handle, t);
      return regs(FFA_MEM_FRAG_RX, HANDLE_LOW(t.handle), HANDLE_HIGH(t.handle), fraglen, 0);
    }
    return this.complete(t);
  }

  frag_tx(lo: bigint, hi: bigint, fraglen: number, _w4: number): FfaRegs {
    const t = this.byHandle.get(PACK_HANDLE(lo, hi));
    if (!t || t.complete || !this.spmc.mailbox) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (fraglen === 0 || fraglen > this.tx_size() || t.received + fraglen > t.desc.length) {
      this.byHandle.delete(t.handle); // the transaction is aborted
      return ffa_error(FFA_RET_INVALID_PARAMETERS);
    }
    t.desc.set(this.spmc.readTx(fraglen), t.received);
    t.received += fraglen;
    if (t.received < t.desc.length) return regs(FFA_MEM_FRAG_RX, lo, hi, t.received, 0);
    this.byHandle.delete(t.handle);
    return this.complete(t);
  }

  /** The whole descriptor is here: check it, record the transaction and answer its handle. */
  private complete(t: FfaMemTransaction): FfaRegs {
    const err = this.parse(t);
    if (err) return ffa_error(err);
    if (!t.handle) t.handle = this.allocHandle();
    t.complete = true;
    this.byHandle.set(t.handle, t);
    return ffa_success(0, HANDLE_LOW(t.handle), HANDLE_HIGH(t.handle));
  }

  private parse(t: FfaMemTransaction): number {
    const d = new Desc(t.desc), v = this.spmc.callerVersion, len = t.desc.length;
    const INVAL = FFA_RET_INVALID_PARAMETERS;
    t.sender = d.u16(MEM_REGION_SENDER_ID);
    t.flags = d.u32(MEM_REGION_FLAGS);
    t.tag = d.u64(MEM_REGION_TAG);
    if (t.sender !== NS_ENDPOINT_ID || d.u64(MEM_REGION_HANDLE) !== 0n) return INVAL;
    if (t.flags & ~(FFA_MEM_CLEAR | FFA_TIME_SLICE_ENABLE)) return INVAL;
    if (t.type === 'share' && t.flags & FFA_MEM_CLEAR) return INVAL;
    const emad = ffa_emad_size_get(v);
    if (v <= FFA_VERSION_1_0) {
      if (d.u16(MEM_REGION_ATTRIBUTES) >> 8 || d.u32(MEM_REGION_EP_MEM_SIZE)) return INVAL;
    } else {
      if (d.u32(MEM_REGION_EP_MEM_SIZE) !== emad || d.u32(MEM_REGION_EP_MEM_OFFSET) !== SIZEOF_FFA_MEM_REGION) return INVAL;
      for (let o = 36; o < 48; o++) if (d.u8(o)) return INVAL;
    }
    const n = d.u32(MEM_REGION_EP_COUNT);
    if (n === 0 || ffa_mem_desc_offset(n, v) > len) return INVAL;
    let composite = -1;
    for (let i = 0; i < n; i++) {
      const e = ffa_mem_desc_offset(i, v);
      const id = d.u16(e + EMAD_RECEIVER);
      if (id !== SP_ID || t.receivers.some((r) => r.id === id)) return INVAL;
      const off = d.u32(e + EMAD_COMPOSITE_OFF);
      if (composite >= 0 && off !== composite) return INVAL;
      composite = off;
      t.receivers.push({ id, access: d.u8(e + EMAD_ATTRS) });
    }
    if (composite % 8 || composite < ffa_mem_desc_offset(n, v) || !d.has(composite, CONSTITUENTS_OFFSET(0))) return INVAL;
    const cnt = d.u32(composite + COMPOSITE_ADDR_RANGE_CNT);
    if (cnt === 0 || composite + CONSTITUENTS_OFFSET(cnt) !== len) return INVAL;
    let total = 0;
    for (let i = 0; i < cnt; i++) {
      const c = composite + CONSTITUENTS_OFFSET(i);
      const r = { address: d.u64(c), pg_cnt: d.u32(c + 8) };
      if (r.address % PAGE || r.pg_cnt === 0 || !this.spmc.nsMem.isRam(r.address, r.pg_cnt * FFA_PAGE_SIZE)) return INVAL;
      if (t.ranges.some((o) => overlaps(o, r))) return INVAL;
      t.ranges.push(r);
      total += r.pg_cnt;
    }
    if (total !== d.u32(composite + COMPOSITE_TOTAL_PG_CNT)) return INVAL;
    for (const o of this.byHandle.values()) if (o.complete && o.ranges.some((a) => t.ranges.some((b) => overlaps(a, b)))) return FFA_RET_DENIED;
    return 0;
  }

  /**
   * The hypervisor's retrieve request (DEN0077A v1.1 §11.4.3): a header naming sender and handle
   * with no EMAD; the answer is the transaction's descriptor in the caller's RX buffer (its flags
   * carry the transaction type), in fragments of the RX size.
   */
  retrieve_req(len: number, fraglen: number, addr: bigint, pgcnt: number): FfaRegs {
    if (addr || pgcnt || !this.spmc.mailbox) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (fraglen !== len || len > this.tx_size() || len < 32) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const d = new Desc(this.spmc.readTx(len));
    const t = this.byHandle.get(d.u64(MEM_REGION_HANDLE));
    if (!t || !t.complete || d.u32(MEM_REGION_EP_COUNT) !== 0 || d.u16(MEM_REGION_SENDER_ID) !== t.sender)
      return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const rx = this.spmc.claimRx();
    if (typeof rx === 'number') return ffa_error(rx);
    const desc = ffa_build_mem_region({
      version: this.spmc.callerVersion, sender: t.sender, receivers: t.receivers.map((r) => r.id), ranges: t.ranges,
      flags: (t.flags & FFA_MEM_CLEAR) | (t.type === 'share' ? FFA_MEM_RETRIEVE_TYPE_SHARE : FFA_MEM_RETRIEVE_TYPE_LEND),
      tag: t.tag, handle: t.handle, access: t.receivers[0]!.access,
      attributes: new Desc(t.desc).u16(MEM_REGION_ATTRIBUTES),
    });
    const frag = Math.min(desc.length, rx.b.length);
    this.spmc.fillRx(desc.subarray(0, frag));
    this.retrieveResp = frag < desc.length ? { handle: t.handle, desc } : null;
    return regs(FFA_MEM_RETRIEVE_RESP, desc.length, frag);
  }

  /** FFA_MEM_FRAG_RX: the next fragment of the retrieve response being read, at fragoff. */
  frag_rx(lo: bigint, hi: bigint, fragoff: number, _w4: number): FfaRegs {
    const r = this.retrieveResp;
    if (!r || r.handle !== PACK_HANDLE(lo, hi) || fragoff === 0 || fragoff >= r.desc.length) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const rx = this.spmc.claimRx();
    if (typeof rx === 'number') return ffa_error(rx);
    const frag = Math.min(r.desc.length - fragoff, rx.b.length);
    this.spmc.fillRx(r.desc.subarray(fragoff, fragoff + frag));
    if (fragoff + frag === r.desc.length) this.retrieveResp = null;
    return regs(FFA_MEM_FRAG_TX, lo, hi, frag, 0);
  }

  /** FFA_MEM_RECLAIM: the sender takes its memory back (DENIED while the partition holds it). */
  reclaim(lo: bigint, hi: bigint, flags: number): FfaRegs {
    const t = this.byHandle.get(PACK_HANDLE(lo, hi));
    if (!t || flags & ~FFA_MEM_CLEAR) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (!t.complete) { // the sender abandons a transaction whose fragments were still arriving
      this.byHandle.delete(t.handle);
      return ffa_success();
    }
    if (t.retrieved) return ffa_error(FFA_RET_DENIED);
    if (flags & FFA_MEM_CLEAR && t.type === 'share') return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (flags & FFA_MEM_CLEAR) for (const r of t.ranges) this.spmc.nsMem.write(r.address, new Uint8Array(r.pg_cnt * FFA_PAGE_SIZE));
    this.byHandle.delete(t.handle);
    if (this.retrieveResp?.handle === t.handle) this.retrieveResp = null;
    return ffa_success();
  }

  /** The physical address of byte `offset` of a transaction's memory, or null past its end. */
  pa(t: FfaMemTransaction, offset: bigint): bigint | null {
    for (const r of t.ranges) {
      const sz = BigInt(r.pg_cnt) * PAGE;
      if (offset < sz) return r.address + offset;
      offset -= sz;
    }
    return null;
  }

  /** Access a receiver has to a complete transaction: its EMAD's attributes, or null. */
  access(t: FfaMemTransaction, id: number): number | null {
    return t.receivers.find((r) => r.id === id)?.access ?? null;
  }
  writable(t: FfaMemTransaction, id: number): boolean { return ((this.access(t, id) ?? 0) & 3) === FFA_MEM_RW; }
}

function overlaps(a: FfaMemRange, b: FfaMemRange): boolean {
  return a.address < b.address + BigInt(b.pg_cnt) * PAGE && b.address < a.address + BigInt(a.pg_cnt) * PAGE;
}
