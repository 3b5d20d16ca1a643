/**
 * kvm_host_ffa_handler() and the calls EL2 answers itself (nvhe/ffa.c, same source as ffa.ts):
 * ffa_call_supported(), do_ffa_features(), do_ffa_version() with hyp_ffa_post_init(),
 * do_ffa_part_get(). The host's SMCs reach it from handle_host_smc() after the PSCI relay
 * (host-trap.ts, host-smc.ts).
 *
 * - Not an FF-A id (fast call, owner STANDARD, function 0x60..0xFF): not handled (forwarded).
 * - Before the host negotiated a version, anything but FFA_VERSION: INVALID_PARAMETERS.
 * - FFA_FEATURES: an unsupported id NOT_SUPPORTED, MEM_SHARE/LEND (32/64) SUCCESS with no properties
 *   (no dynamic buffers), anything else forwarded.
 * - FFA_FN64_RXTX_MAP, FFA_RXTX_UNMAP, FFA_MEM_SHARE/LEND (32/64, both sent as FN64),
 *   FFA_MEM_RECLAIM, FFA_MEM_FRAG_TX, FFA_VERSION, FFA_PARTITION_INFO_GET: handled at EL2.
 * - Other supported ids (FFA_ID_GET, FFA_RX_RELEASE, FFA_FN64_MSG_SEND_DIRECT_REQ, ...): forwarded.
 * - The rest (ffa_call_supported() false: retrieve/relinquish/donate/FRAG_RX, indirect messages,
 *   32-bit variants of 64-bit calls, direct responses, notifications, the v1.2 optional calls):
 *   FFA_ERROR(NOT_SUPPORTED).
 * ffa_set_retval() writes x0..x7 here (upstream x0..x17: this SPMC never answers in x8..x17).
 */
import {
  FFA_CONSOLE_LOG, FFA_FEATURES, FFA_FEAT_RXTX_MIN_SZ_16K, FFA_FEAT_RXTX_MIN_SZ_4K, FFA_FEAT_RXTX_MIN_SZ_64K,
  FFA_FEAT_RXTX_MIN_SZ_MASK, FFA_FN64_MEM_DONATE, FFA_FN64_MEM_LEND, FFA_FN64_MEM_RETRIEVE_REQ, FFA_FN64_MEM_SHARE,
  FFA_FN64_MSG_SEND_DIRECT_RESP, FFA_FN64_RXTX_MAP, FFA_ID_GET, FFA_MAJOR_VERSION, FFA_MAX_FUNC_NUM, FFA_MEM_DONATE,
  FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_LEND, FFA_MEM_OP_PAUSE, FFA_MEM_OP_RESUME, FFA_MEM_RECLAIM,
  FFA_MEM_RELINQUISH, FFA_MEM_RETRIEVE_REQ, FFA_MEM_RETRIEVE_RESP, FFA_MEM_SHARE, FFA_MIN_FUNC_NUM, FFA_MINOR_VERSION,
  FFA_MSG_POLL, FFA_MSG_SEND, FFA_MSG_SEND_DIRECT_REQ2, FFA_MSG_SEND_DIRECT_RESP, FFA_MSG_SEND_DIRECT_RESP2,
  FFA_MSG_WAIT, FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY,
  FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET, FFA_NOTIFICATION_SET, FFA_NOTIFICATION_UNBIND,
  FFA_PARTITION_INFO_GET, FFA_PARTITION_INFO_GET_REGS, FFA_RET_ABORTED, FFA_RET_BUSY, FFA_RET_INVALID_PARAMETERS,
  FFA_RET_NOT_SUPPORTED, FFA_RET_SUCCESS, FFA_RXTX_MAP, FFA_RXTX_UNMAP, FFA_SUCCESS, FFA_VERSION, FFA_VERSION_1_0,
  FFA_1_0_PARTITON_INFO_SZ, FFA_RET_NAMES, ffaFnName,
} from '../../machine/ffa/abi';
import { HOST_FFA_ID, KVM_FFA_MBOX_NR_PAGES, PAGE_SIZE, type HypFfa } from './ffa';
import { ffa_to_smccc_error, ffa_to_smccc_res, ffa_to_smccc_res_prop, newRes, s32, set, type SmcccRegs } from './ffa-res';
import { do_ffa_rxtx_map, do_ffa_rxtx_unmap } from './ffa-rxtx';
import { __do_ffa_mem_xfer, do_ffa_mem_frag_tx, do_ffa_mem_reclaim } from './ffa-mem';

const u32 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffff_ffffn);

/** is_ffa_call(): ARM_SMCCC_IS_FAST_CALL, owner STANDARD, FFA_MIN_FUNC_NUM..FFA_MAX_FUNC_NUM. */
export function is_ffa_call(func_id: bigint): boolean {
  const num = Number(func_id & 0xffffn);
  return ((func_id >> 31n) & 1n) === 1n && ((func_id >> 24n) & 0x3fn) === 4n && num >= FFA_MIN_FUNC_NUM && num <= FFA_MAX_FUNC_NUM;
}

/** Is a given FF-A function supported, either by forwarding on directly or by handling at EL2? */
export function ffa_call_supported(func_id: bigint): boolean {
  switch (func_id) {
    /* Unsupported memory management calls */
    case FFA_FN64_MEM_RETRIEVE_REQ: case FFA_MEM_RETRIEVE_RESP: case FFA_MEM_RELINQUISH: case FFA_MEM_OP_PAUSE:
    case FFA_MEM_OP_RESUME: case FFA_MEM_FRAG_RX: case FFA_FN64_MEM_DONATE:
    /* Indirect message passing via RX/TX buffers */
    case FFA_MSG_SEND: case FFA_MSG_POLL: case FFA_MSG_WAIT:
    /* The host is never the target of a direct request */
    case FFA_MSG_SEND_DIRECT_RESP: case FFA_FN64_MSG_SEND_DIRECT_RESP:
    /* 32-bit variants of 64-bit calls */
    case FFA_RXTX_MAP: case FFA_MEM_DONATE: case FFA_MEM_RETRIEVE_REQ:
    /* Optional notification interfaces added in FF-A 1.1 */
    case FFA_NOTIFICATION_BITMAP_CREATE: case FFA_NOTIFICATION_BITMAP_DESTROY: case FFA_NOTIFICATION_BIND:
    case FFA_NOTIFICATION_UNBIND: case FFA_NOTIFICATION_SET: case FFA_NOTIFICATION_GET: case FFA_NOTIFICATION_INFO_GET:
    /* Optional interfaces added in FF-A 1.2 */
    case FFA_MSG_SEND_DIRECT_REQ2: case FFA_MSG_SEND_DIRECT_RESP2: case FFA_CONSOLE_LOG: case FFA_PARTITION_INFO_GET_REGS:
      return false;
  }
  return true;
}

function do_ffa_features(res: SmcccRegs, ctxt: bigint[]): boolean {
  const id = BigInt(u32(ctxt[1]));
  if (!ffa_call_supported(id)) {
    ffa_to_smccc_res_prop(res, FFA_RET_NOT_SUPPORTED, 0n);
    return true;
  }
  switch (id) {
    case FFA_MEM_SHARE: case FFA_FN64_MEM_SHARE: case FFA_MEM_LEND: case FFA_FN64_MEM_LEND:
      ffa_to_smccc_res_prop(res, FFA_RET_SUCCESS, 0n); /* No support for dynamic buffers */
      return true;
  }
  return false;
}

/** hyp_ffa_post_init(): the firmware must say we are ID 0 and take 4 KiB-aligned mailboxes. */
function hyp_ffa_post_init(ffa: HypFfa): number {
  let res = ffa.hyp_smccc_1_2_smc([FFA_ID_GET]);
  if (res[0] !== FFA_SUCCESS) return -95; /* -EOPNOTSUPP */
  if (res[2] !== BigInt(HOST_FFA_ID)) return -22; /* -EINVAL */
  res = ffa.hyp_smccc_1_2_smc([FFA_FEATURES, FFA_FN64_RXTX_MAP]);
  if (res[0] !== FFA_SUCCESS) return -95;
  let min_rxtx_sz: number;
  switch (Number(res[2]! & BigInt(FFA_FEAT_RXTX_MIN_SZ_MASK))) {
    case FFA_FEAT_RXTX_MIN_SZ_4K: min_rxtx_sz = 4096; break;
    case FFA_FEAT_RXTX_MIN_SZ_16K: min_rxtx_sz = 16384; break;
    case FFA_FEAT_RXTX_MIN_SZ_64K: min_rxtx_sz = 65536; break;
    default: return -22;
  }
  return min_rxtx_sz > PAGE_SIZE ? -95 : 0;
}

/**
 * do_ffa_version(): major 1 only (else NOT_SUPPORTED in w0); once negotiated, an older minor is
 * NOT_SUPPORTED and anything else answers the negotiated version; a first request for an older
 * minor asks the firmware (its NOT_SUPPORTED is final) and adopts it; hyp_ffa_post_init() decides.
 */
function do_ffa_version(ffa: HypFfa, res: SmcccRegs, ctxt: bigint[]): void {
  const req = u32(ctxt[1]);
  const NS = BigInt.asUintN(64, BigInt(FFA_RET_NOT_SUPPORTED));
  if (FFA_MAJOR_VERSION(req) !== 1) { res[0] = NS; return; }
  if (ffa.has_version_negotiated) {
    res[0] = FFA_MINOR_VERSION(req) < FFA_MINOR_VERSION(ffa.hyp_ffa_version) ? NS : BigInt(ffa.hyp_ffa_version);
    return;
  }
  if (FFA_MINOR_VERSION(req) < FFA_MINOR_VERSION(ffa.hyp_ffa_version)) {
    set(res, ffa.hyp_smccc_1_2_smc([FFA_VERSION, req]));
    if (s32(res[0]!) === FFA_RET_NOT_SUPPORTED) return;
    ffa.hyp_ffa_version = req;
  }
  if (hyp_ffa_post_init(ffa)) res[0] = NS;
  else {
    ffa.has_version_negotiated = true;
    res[0] = BigInt(ffa.hyp_ffa_version);
  }
}

/** do_ffa_part_get(): forwarded, then the descriptors copied from the hyp's RX to the host's. */
function do_ffa_part_get(ffa: HypFfa, res: SmcccRegs, ctxt: bigint[]): void {
  const flags = u32(ctxt[5]);
  if (ffa.host_buffers.rx === null) { ffa_to_smccc_res(res, FFA_RET_BUSY); return; }
  set(res, ffa.hyp_smccc_1_2_smc([FFA_PARTITION_INFO_GET, u32(ctxt[1]), u32(ctxt[2]), u32(ctxt[3]), u32(ctxt[4]), flags]));
  if (res[0] !== FFA_SUCCESS) return;
  const count = u32(res[2]);
  if (!count) return;
  let partition_sz: number;
  if (ffa.hyp_ffa_version > FFA_VERSION_1_0) {
    if (flags & 1) return; /* only the number of partitions */
    partition_sz = u32(res[3]);
  } else partition_sz = FFA_1_0_PARTITON_INFO_SZ;
  const copy_sz = partition_sz * count;
  if (copy_sz > KVM_FFA_MBOX_NR_PAGES * PAGE_SIZE) { ffa_to_smccc_res(res, FFA_RET_ABORTED); return; }
  ffa.hyp.mem.writeBytes(ffa.host_buffers.rx, ffa.hyp.mem.readBytes(ffa.hyp_buffers.rx!, copy_sz));
}

/**
 * kvm_host_ffa_handler(): true if EL2 answered the call (ctxt x0..x7 hold the answer), false if it
 * is to be forwarded to the firmware unchanged.
 */
export function kvm_host_ffa_handler(ffa: HypFfa, ctxt: bigint[], func_id: bigint): boolean {
  if (!is_ffa_call(func_id)) return false;
  const res = newRes();
  out: {
    if (func_id !== FFA_VERSION && !ffa.has_version_negotiated) {
      ffa_to_smccc_error(res, FFA_RET_INVALID_PARAMETERS);
      break out;
    }
    switch (func_id) {
      case FFA_FEATURES:
        if (!do_ffa_features(res, ctxt)) return false;
        break out;
      case FFA_FN64_RXTX_MAP: do_ffa_rxtx_map(ffa, res, ctxt); break out;
      case FFA_RXTX_UNMAP: do_ffa_rxtx_unmap(ffa, res, ctxt); break out;
      case FFA_MEM_SHARE: case FFA_FN64_MEM_SHARE: __do_ffa_mem_xfer(ffa, FFA_FN64_MEM_SHARE, res, ctxt); break out;
      case FFA_MEM_RECLAIM: do_ffa_mem_reclaim(ffa, res, ctxt); break out;
      case FFA_MEM_LEND: case FFA_FN64_MEM_LEND: __do_ffa_mem_xfer(ffa, FFA_FN64_MEM_LEND, res, ctxt); break out;
      case FFA_MEM_FRAG_TX: do_ffa_mem_frag_tx(ffa, res, ctxt); break out;
      case FFA_VERSION: do_ffa_version(ffa, res, ctxt); break out;
      case FFA_PARTITION_INFO_GET: do_ffa_part_get(ffa, res, ctxt); break out;
    }
    if (ffa_call_supported(func_id)) return false; /* Pass through */
    ffa_to_smccc_error(res, FFA_RET_NOT_SUPPORTED);
  }
  for (let i = 0; i < 8; i++) ctxt[i] = res[i]!;
  ffa.emit(`host ${ffaFnName(func_id)} → ${ffaResultText(res)}`);
  return true;
}

/** "FFA_SUCCESS w2=0x…" / "FFA_ERROR DENIED" / a version / another response id, for the timeline. */
export function ffaResultText(r: bigint[]): string {
  const name = ffaFnName(r[0]!);
  if (name === 'FFA_ERROR') return `FFA_ERROR ${FFA_RET_NAMES[s32(r[2]!)] ?? s32(r[2]!)}`;
  if (name.startsWith('0x')) {
    const v = s32(r[0]!);
    return v < 0 ? (FFA_RET_NAMES[v] ?? String(v)) : `version ${FFA_MAJOR_VERSION(v)}.${FFA_MINOR_VERSION(v)}`;
  }
  return `${name} w1=0x${r[1]!.toString(16)} w2=0x${r[2]!.toString(16)} w3=0x${r[3]!.toString(16)}`;
}
