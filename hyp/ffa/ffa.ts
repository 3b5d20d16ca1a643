/**
 * The FF-A proxy's state at EL2 (arch/arm64/kvm/hyp/nvhe/ffa.c, followed as stored from
 * intel-lab-lkp/linux 111ef63ae953 — upstream's ffa.c with FF-A v1.2 negotiation and the x0-x17
 * return — and include/linux/arm_ffa.h): the hyp's own RX/TX mailbox to the SPMC (pages of the hyp's
 * memory, mapped into the SPMC by FFA_FN64_RXTX_MAP when the host maps its own), the host's mailbox
 * (two pages the host shares with the hyp, pinned), the descriptor buffer used to reassemble a
 * fragmented retrieve response, and the version negotiated with the host.
 *
 * hyp_ffa_init() runs at pKVM initialisation: FFA_VERSION(1.2) to the firmware; NOT_SUPPORTED
 * (no SPMC on the board) leaves the proxy off (every host FF-A call is then answered at EL2, as
 * upstream: INVALID_PARAMETERS until FFA_VERSION negotiates, which it cannot).
 * The locks (host_buffers.lock, version_lock) serialise nothing here: EL2 runs one call at a time.
 */
import type { Pkvm } from '../index';
import type { Trace } from '../trace';
import {
  FFA_MAJOR_VERSION, FFA_MINOR_VERSION, FFA_RET_NOT_SUPPORTED, FFA_VERSION, FFA_VERSION_1_2, FFA_ERROR,
  SIZEOF_FFA_MEM_REGION, SIZEOF_FFA_COMPOSITE_MEM_REGION, SIZEOF_FFA_MEM_REGION_ADDR_RANGE,
} from '../../machine/ffa/abi';

/** "ID value 0 must be returned at the Non-secure physical FF-A instance": shared with the host. */
export const HOST_FFA_ID = 0;
/** KVM_FFA_MBOX_NR_PAGES: one page each for RX and TX. */
export const KVM_FFA_MBOX_NR_PAGES = 1;
export const PAGE_SIZE = 4096;
/** SG_MAX_SEGMENTS: the most constituents a host descriptor can carry (hyp_ffa_proxy_pages()). */
const SG_MAX_SEGMENTS = 2048;

/** The SMC conduit to EL3/the SPMC (hyp_smccc_1_2_smc()): x0..x7 in, x0..x7 out. */
export type FfaSmc = (a: bigint[]) => bigint[];

export interface KvmFfaBuffers { tx: bigint | null; rx: bigint | null }

export interface HypFfaOptions {
  /**
   * Not upstream: a page the host lends (FFA_MEM_LEND) also leaves the host stage-2 until it is
   * reclaimed (ffa-lend.ts), so that a host access faults as the TZASC/GPC would make it on
   * hardware. Upstream pKVM treats LEND exactly as SHARE at EL2 (the default, false).
   */
  lendRevokesHost?: boolean;
}

export class HypFfa {
  enabled = false;
  hyp_ffa_version = 0;
  has_version_negotiated = false;
  readonly hyp_buffers: KvmFfaBuffers = { tx: null, rx: null };
  readonly host_buffers: KvmFfaBuffers = { tx: null, rx: null };
  /** ffa_desc_buf: hyp memory for a reassembled retrieve response (kept as EL2-private bytes). */
  ffa_desc_buf = new Uint8Array(0);
  readonly lendRevokesHost: boolean;
  /** Ranges of a fragmented transaction in flight (for the lend extension: all its fragments). */
  pendingXfer: { handle: bigint; lend: boolean; ranges: { address: bigint; pg_cnt: number }[] } | null = null;
  /** Handles of completed LENDs whose pages left the host stage-2 (lend extension). */
  readonly revoked = new Map<bigint, { address: bigint; pg_cnt: number }[]>();

  constructor(readonly hyp: Pkvm, readonly smc: FfaSmc, readonly trace: Trace | null, opts: HypFfaOptions = {}) {
    this.lendRevokesHost = opts.lendRevokesHost ?? false;
  }

  hyp_smccc_1_2_smc(a: (bigint | number)[]): bigint[] {
    const x = a.map((v) => BigInt.asUintN(64, BigInt(v)));
    while (x.length < 8) x.push(0n);
    const r = this.smc(x);
    while (r.length < 8) r.push(0n);
    return r;
  }

  emit(text: string): void {
    this.trace?.emit('ffa', text);
  }
}

/** hyp_ffa_proxy_pages(): a page each for RX and TX, plus the descriptor buffer. */
export function hyp_ffa_proxy_pages(): number {
  const desc_max = SIZEOF_FFA_MEM_REGION + 16 + SIZEOF_FFA_COMPOSITE_MEM_REGION + SG_MAX_SEGMENTS * SIZEOF_FFA_MEM_REGION_ADDR_RANGE;
  return 2 * KVM_FFA_MBOX_NR_PAGES + Math.ceil(desc_max / PAGE_SIZE);
}

/**
 * hyp_ffa_init(): probe the firmware and, if it speaks FF-A 1.x, take the hyp's mailbox pages (from
 * the hyp's pool: hyp-owned memory the host can never map) and size the descriptor buffer.
 * Returns 0 (also when there is no FF-A), -EOPNOTSUPP (-95) for another major version.
 */
export function hyp_ffa_init(ffa: HypFfa): number {
  const res = ffa.hyp_smccc_1_2_smc([FFA_VERSION, FFA_VERSION_1_2]);
  const a0 = Number(BigInt.asIntN(32, res[0]! & 0xffff_ffffn));
  if (a0 === FFA_RET_NOT_SUPPORTED || res[0] === FFA_ERROR) return 0;
  const v = Number(res[0]! & 0xffff_ffffn);
  if (FFA_MAJOR_VERSION(v) !== 1) return -95;
  ffa.hyp_ffa_version = FFA_MINOR_VERSION(v) < FFA_MINOR_VERSION(FFA_VERSION_1_2) ? v : FFA_VERSION_1_2;
  const pool = ffa.hyp.host_s2_pool;
  const tx = pool.hyp_alloc_pages(0), rx = pool.hyp_alloc_pages(0);
  if (tx === null || rx === null) return -12;
  ffa.hyp_buffers.tx = tx;
  ffa.hyp_buffers.rx = rx;
  ffa.ffa_desc_buf = new Uint8Array(PAGE_SIZE * (hyp_ffa_proxy_pages() - 2 * KVM_FFA_MBOX_NR_PAGES));
  ffa.enabled = true;
  ffa.emit(`FF-A proxy: firmware speaks v${FFA_MAJOR_VERSION(v)}.${FFA_MINOR_VERSION(v)}; hyp mailbox TX 0x${tx.toString(16)} RX 0x${rx.toString(16)}`);
  return 0;
}
