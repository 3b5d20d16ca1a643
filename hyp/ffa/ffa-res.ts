/**
 * The result helpers of nvhe/ffa.c: ffa_to_smccc_error(), ffa_to_smccc_res(_prop)(), and the
 * hyp's calls to the SPMC that take no descriptor (ffa_map_hyp_buffers(), ffa_unmap_hyp_buffers(),
 * ffa_mem_frag_tx/rx(), ffa_mem_xfer(), ffa_mem_reclaim(), ffa_retrieve_req(), ffa_rx_release()).
 * Same upstream source as ffa.ts.
 */
import {
  FFA_ERROR, FFA_FN64_MEM_RETRIEVE_REQ, FFA_FN64_RXTX_MAP, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_RECLAIM,
  FFA_RET_SUCCESS, FFA_RXTX_UNMAP, FFA_RX_RELEASE, FFA_SUCCESS,
} from '../../machine/ffa/abi';
import { HOST_FFA_ID, type HypFfa } from './ffa';

export type SmcccRegs = bigint[]; // struct arm_smccc_1_2_regs: a0..a7

export const newRes = (): SmcccRegs => [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
const U = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));
export const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v & 0xffff_ffffn));

export function set(res: SmcccRegs, from: SmcccRegs): void {
  for (let i = 0; i < 8; i++) res[i] = from[i] ?? 0n;
}
export function ffa_to_smccc_error(res: SmcccRegs, ffa_errno: number): void {
  set(res, [FFA_ERROR, 0n, U(ffa_errno)]);
}
export function ffa_to_smccc_res_prop(res: SmcccRegs, ret: number, prop: bigint): void {
  if (ret === FFA_RET_SUCCESS) set(res, [FFA_SUCCESS, 0n, prop]);
  else ffa_to_smccc_error(res, ret);
}
export function ffa_to_smccc_res(res: SmcccRegs, ret: number): void {
  ffa_to_smccc_res_prop(res, ret, 0n);
}

/** The FF-A error code in w2 of an FFA_ERROR answer (as an int). */
const ret_of = (r: SmcccRegs): number => (r[0] === FFA_SUCCESS ? FFA_RET_SUCCESS : s32(r[2]!));

export function ffa_map_hyp_buffers(ffa: HypFfa, ffa_page_count: number): number {
  return ret_of(ffa.hyp_smccc_1_2_smc([FFA_FN64_RXTX_MAP, ffa.hyp_buffers.tx!, ffa.hyp_buffers.rx!, ffa_page_count]));
}
export function ffa_unmap_hyp_buffers(ffa: HypFfa): number {
  return ret_of(ffa.hyp_smccc_1_2_smc([FFA_RXTX_UNMAP, HOST_FFA_ID]));
}
export function ffa_mem_frag_tx(ffa: HypFfa, res: SmcccRegs, lo: number, hi: number, fraglen: number, endpoint_id: number): void {
  set(res, ffa.hyp_smccc_1_2_smc([FFA_MEM_FRAG_TX, lo, hi, fraglen, endpoint_id]));
}
export function ffa_mem_frag_rx(ffa: HypFfa, res: SmcccRegs, lo: number, hi: number, fragoff: number): void {
  set(res, ffa.hyp_smccc_1_2_smc([FFA_MEM_FRAG_RX, lo, hi, fragoff, HOST_FFA_ID]));
}
export function ffa_mem_xfer(ffa: HypFfa, res: SmcccRegs, func_id: bigint, len: number, fraglen: number): void {
  set(res, ffa.hyp_smccc_1_2_smc([func_id, len, fraglen]));
}
export function ffa_mem_reclaim(ffa: HypFfa, res: SmcccRegs, lo: number, hi: number, flags: number): void {
  set(res, ffa.hyp_smccc_1_2_smc([FFA_MEM_RECLAIM, lo, hi, flags]));
}
export function ffa_retrieve_req(ffa: HypFfa, res: SmcccRegs, len: number): void {
  set(res, ffa.hyp_smccc_1_2_smc([FFA_FN64_MEM_RETRIEVE_REQ, len, len]));
}
export function ffa_rx_release(ffa: HypFfa, res: SmcccRegs): void {
  set(res, ffa.hyp_smccc_1_2_smc([FFA_RX_RELEASE]));
}
