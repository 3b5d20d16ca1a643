/**
 * A small secure-world FF-A endpoint on the board: the SPMC (secure partition manager core) that
 * the non-secure physical FF-A instance (the hyp at EL2, FF-A ID 0) reaches by SMC, with one secure
 * partition behind it (sp.ts). It follows DEN0077A v1.1 (and v1.0's descriptor layout when the
 * caller negotiated 1.0), as Hafnium / TF-A's SPMC do for the calls it implements:
 *
 *   FFA_VERSION, FFA_FEATURES, FFA_ID_GET, FFA_RXTX_MAP (32/64), FFA_RXTX_UNMAP, FFA_RX_RELEASE,
 *   FFA_PARTITION_INFO_GET, FFA_MEM_SHARE/LEND (32/64, spmc-mem.ts), FFA_MEM_FRAG_TX,
 *   FFA_MEM_FRAG_RX, FFA_MEM_RETRIEVE_REQ (the hypervisor's retrieve request), FFA_MEM_RECLAIM,
 *   FFA_MSG_SEND_DIRECT_REQ (32/64) to the partition.
 *
 * Every other id in the FF-A range answers FFA_ERROR(NOT_SUPPORTED). Results are x0..x7 (x0 =
 * FFA_SUCCESS / FFA_ERROR / the call's own response id). The mailbox is the caller's: RX is filled by
 * the SPMC (partition info, retrieve responses) and stays the caller's until FFA_RX_RELEASE.
 */
import {
  Desc, FFA_ERROR, FFA_FEATURES, FFA_FN64_MEM_LEND, FFA_FN64_MEM_RETRIEVE_REQ, FFA_FN64_MEM_SHARE,
  FFA_FN64_MSG_SEND_DIRECT_REQ, FFA_FN64_RXTX_MAP, FFA_ID_GET, FFA_MAJOR_VERSION, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX,
  FFA_MEM_LEND, FFA_MEM_RECLAIM, FFA_MEM_RETRIEVE_REQ, FFA_MEM_SHARE, FFA_MINOR_VERSION, FFA_MSG_SEND_DIRECT_REQ,
  FFA_PAGE_SIZE, FFA_PARTITION_INFO_GET, FFA_RET_BUSY, FFA_RET_DENIED, FFA_RET_INVALID_PARAMETERS, FFA_RET_NOT_SUPPORTED,
  FFA_RXTX_MAP, FFA_RXTX_UNMAP, FFA_RX_RELEASE, FFA_SUCCESS, FFA_VERSION, FFA_VERSION_1_0, FFA_VERSION_1_1,
  FFA_MIN_FUNC_NUM, FFA_MAX_FUNC_NUM, FFA_1_0_PARTITON_INFO_SZ, FFA_1_1_PARTITON_INFO_SZ, FFA_FEAT_RXTX_MIN_SZ_4K,
} from './abi';
import { SpmcMemTransactions } from './spmc-mem';
import { SecurePartition, SP_ID } from './sp';

/** The secure world's view of non-secure memory (physical addresses, no stage-2). */
export interface SpmcMemory {
  isRam(pa: bigint, n: number): boolean;
  read(pa: bigint, n: number): Uint8Array;
  write(pa: bigint, b: Uint8Array): void;
}

/** ID of the non-secure physical instance's caller (the hypervisor, or the OS with no hypervisor). */
export const NS_ENDPOINT_ID = 0;
/** The SPMC's own version. */
export const SPMC_FFA_VERSION = FFA_VERSION_1_1;

export type FfaRegs = bigint[]; // x0..x7

const U = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));
export const ffa_error = (code: number): FfaRegs => [FFA_ERROR, 0n, U(BigInt.asUintN(32, BigInt(code))), 0n, 0n, 0n, 0n, 0n];
export const ffa_success = (...a: (bigint | number)[]): FfaRegs => {
  const r: FfaRegs = [FFA_SUCCESS, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  a.forEach((v, i) => { r[i + 1] = U(v); });
  return r;
};
export const regs = (x0: bigint, ...a: (bigint | number)[]): FfaRegs => {
  const r: FfaRegs = [x0, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  a.forEach((v, i) => { r[i + 1] = U(v); });
  return r;
};

/** Calls this SPMC implements (FFA_FEATURES answers SUCCESS for them). */
const IMPLEMENTED = new Set<bigint>([
  FFA_VERSION, FFA_FEATURES, FFA_ID_GET, FFA_RXTX_MAP, FFA_FN64_RXTX_MAP, FFA_RXTX_UNMAP, FFA_RX_RELEASE,
  FFA_PARTITION_INFO_GET, FFA_MEM_SHARE, FFA_FN64_MEM_SHARE, FFA_MEM_LEND, FFA_FN64_MEM_LEND, FFA_MEM_FRAG_TX,
  FFA_MEM_FRAG_RX, FFA_MEM_RETRIEVE_REQ, FFA_FN64_MEM_RETRIEVE_REQ, FFA_MEM_RECLAIM, FFA_MSG_SEND_DIRECT_REQ,
  FFA_FN64_MSG_SEND_DIRECT_REQ,
]);

/** Is x0 an FF-A function id (fast call, owner STANDARD, number 0x60..0xFF)? */
export function is_ffa_call(fid: bigint): boolean {
  const fast = (fid >> 31n) & 1n, owner = (fid >> 24n) & 0x3fn, num = Number(fid & 0xffffn);
  return fid >> 32n === 0n && fast === 1n && owner === 4n && (fid & 0x00ff_0000n) === 0n && num >= FFA_MIN_FUNC_NUM && num <= FFA_MAX_FUNC_NUM;
}

export class FfaSpmc {
  /** The caller's negotiated version (descriptor layouts follow it); 0 until FFA_VERSION. */
  callerVersion = 0;
  /** The caller's mailbox (FFA_RXTX_MAP): physical addresses of its TX and RX buffers. */
  mailbox: { tx: bigint; rx: bigint; pages: number } | null = null;
  /** The caller owns RX (filled by the SPMC, not yet released). */
  rxFull = false;
  readonly mem: SpmcMemTransactions;
  readonly sp: SecurePartition;
  /** Every call, for tests and the timeline: function id and result x0/x2. */
  readonly log: { fid: bigint; x0: bigint; x2: bigint }[] = [];
  onCall: ((fid: bigint, res: FfaRegs) => void) | null = null;

  constructor(readonly nsMem: SpmcMemory) {
    this.mem = new SpmcMemTransactions(this);
    this.sp = new SecurePartition(this);
  }

  /** One SMC from the normal world: x = x0..x7. */
  smc(x: readonly bigint[]): FfaRegs {
    const a = (i: number): bigint => BigInt.asUintN(64, x[i] ?? 0n);
    const fid = a(0);
    const res = this.dispatch(fid, a);
    this.log.push({ fid, x0: res[0], x2: res[2] });
    this.onCall?.(fid, res);
    return res;
  }

  private dispatch(fid: bigint, a: (i: number) => bigint): FfaRegs {
    const w = (i: number): number => Number(a(i) & 0xffff_ffffn);
    switch (fid) {
      case FFA_VERSION: return this.version(w(1));
    }
    // Every other call needs a negotiated version (the SPMC does not know the caller's ABI otherwise).
    if (!this.callerVersion && IMPLEMENTED.has(fid)) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    switch (fid) {
      case FFA_FEATURES: return this.features(a(1));
      case FFA_ID_GET: return ffa_success(0, NS_ENDPOINT_ID);
      case FFA_RXTX_MAP: case FFA_FN64_RXTX_MAP:
        return this.rxtx_map(fid === FFA_RXTX_MAP ? a(1) & 0xffff_ffffn : a(1), fid === FFA_RXTX_MAP ? a(2) & 0xffff_ffffn : a(2), w(3));
      case FFA_RXTX_UNMAP: return this.rxtx_unmap(w(1));
      case FFA_RX_RELEASE: return this.rx_release();
      case FFA_PARTITION_INFO_GET: return this.partition_info_get([w(1), w(2), w(3), w(4)], w(5));
      case FFA_MEM_SHARE: case FFA_FN64_MEM_SHARE:
        return this.mem.mem_xfer('share', w(1), w(2), fid === FFA_MEM_SHARE ? a(3) & 0xffff_ffffn : a(3), w(4));
      case FFA_MEM_LEND: case FFA_FN64_MEM_LEND:
        return this.mem.mem_xfer('lend', w(1), w(2), fid === FFA_MEM_LEND ? a(3) & 0xffff_ffffn : a(3), w(4));
      case FFA_MEM_FRAG_TX: return this.mem.frag_tx(a(1), a(2), w(3), w(4));
      case FFA_MEM_FRAG_RX: return this.mem.frag_rx(a(1), a(2), w(3), w(4));
      case FFA_MEM_RETRIEVE_REQ: case FFA_FN64_MEM_RETRIEVE_REQ: return this.mem.retrieve_req(w(1), w(2), a(3), w(4));
      case FFA_MEM_RECLAIM: return this.mem.reclaim(a(1), a(2), w(3));
      case FFA_MSG_SEND_DIRECT_REQ: case FFA_FN64_MSG_SEND_DIRECT_REQ:
        return this.sp.direct_req(fid, [0, 1, 2, 3, 4, 5, 6, 7].map(a));
    }
    return ffa_error(FFA_RET_NOT_SUPPORTED);
  }

  /**
   * FFA_VERSION: a different major version is NOT_SUPPORTED (as a plain int32 in w0, not FFA_ERROR);
   * otherwise the SPMC's version, and the caller's ABI is the one it asked for (capped at ours).
   */
  private version(req: number): FfaRegs {
    if (req & 0x8000_0000 || FFA_MAJOR_VERSION(req) !== 1) return [U(FFA_RET_NOT_SUPPORTED), 0n, 0n, 0n, 0n, 0n, 0n, 0n];
    this.callerVersion = FFA_MINOR_VERSION(req) < FFA_MINOR_VERSION(SPMC_FFA_VERSION) ? req : SPMC_FFA_VERSION;
    return regs(U(SPMC_FFA_VERSION));
  }

  private features(id: bigint): FfaRegs {
    if (!IMPLEMENTED.has(id)) return ffa_error(FFA_RET_NOT_SUPPORTED);
    /* RXTX_MAP: w2[1:0] = minimum buffer size and alignment (4 KiB). Others: no properties. */
    if (id === FFA_RXTX_MAP || id === FFA_FN64_RXTX_MAP) return ffa_success(0, FFA_FEAT_RXTX_MIN_SZ_4K);
    return ffa_success();
  }

  /** FFA_RXTX_MAP: two distinct, aligned, RAM-backed buffers of 1..63 pages; DENIED if already mapped. */
  private rxtx_map(tx: bigint, rx: bigint, count: number): FfaRegs {
    const pages = count & 0x3f;
    if (count >>> 6 || pages === 0) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const sz = BigInt(pages * FFA_PAGE_SIZE);
    if (tx % 4096n || rx % 4096n) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (tx < rx + sz && rx < tx + sz) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (!this.nsMem.isRam(tx, Number(sz)) || !this.nsMem.isRam(rx, Number(sz))) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    if (this.mailbox) return ffa_error(FFA_RET_DENIED);
    this.mailbox = { tx, rx, pages };
    this.rxFull = false;
    return ffa_success();
  }

  /** FFA_RXTX_UNMAP: w1[31:16] is the endpoint whose buffers go (0 for the caller itself). */
  private rxtx_unmap(w1: number): FfaRegs {
    if (w1 >>> 16 !== NS_ENDPOINT_ID || !this.mailbox) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    this.mailbox = null;
    this.rxFull = false;
    return ffa_success();
  }

  private rx_release(): FfaRegs {
    if (!this.mailbox || !this.rxFull) return ffa_error(FFA_RET_DENIED);
    this.rxFull = false;
    return ffa_success();
  }

  /** The RX buffer for the SPMC to fill: BUSY while the caller still owns it, DENIED with no mailbox. */
  claimRx(): number | Desc {
    if (!this.mailbox) return FFA_RET_DENIED;
    if (this.rxFull) return FFA_RET_BUSY;
    return new Desc(new Uint8Array(this.mailbox.pages * FFA_PAGE_SIZE));
  }
  /** Writes `d` (the first n bytes) to the caller's RX buffer; RX is the caller's until RX_RELEASE. */
  fillRx(d: Uint8Array): void {
    this.nsMem.write(this.mailbox!.rx, d);
    this.rxFull = true;
  }
  readTx(n: number): Uint8Array {
    return this.nsMem.read(this.mailbox!.tx, n);
  }

  /**
   * FFA_PARTITION_INFO_GET: the nil UUID lists every partition, a partition's UUID that one, any
   * other INVALID_PARAMETERS. Flags bit 0 (v1.1): count only, RX untouched. The v1.0 descriptor is 8
   * bytes (id, execution contexts, properties), v1.1 adds the UUID (24); w3 = size from v1.1.
   */
  private partition_info_get(uuid: number[], flags: number): FfaRegs {
    const nil = uuid.every((u) => u === 0);
    const match = nil || uuid.every((u, i) => u === this.sp.uuid[i]);
    if (!match) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const v11 = this.callerVersion > FFA_VERSION_1_0;
    if (flags & ~1 || (!v11 && flags)) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const sz = v11 ? FFA_1_1_PARTITON_INFO_SZ : FFA_1_0_PARTITON_INFO_SZ;
    if (flags & 1) return ffa_success(0, 1, sz);
    const rx = this.claimRx();
    if (typeof rx === 'number') return ffa_error(rx === FFA_RET_DENIED ? FFA_RET_BUSY : rx);
    rx.set16(0, SP_ID);
    rx.set16(2, 1); // one execution context
    rx.set32(4, this.sp.properties);
    if (v11) this.sp.uuid.forEach((u, i) => rx.set32(8 + 4 * i, u));
    this.fillRx(rx.b.subarray(0, sz));
    return v11 ? ffa_success(0, 1, sz) : ffa_success(0, 1);
  }
}
