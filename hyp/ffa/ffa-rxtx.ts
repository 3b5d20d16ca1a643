/**
 * do_ffa_rxtx_map() / do_ffa_rxtx_unmap() (nvhe/ffa.c, same source as ffa.ts): the host's mailbox.
 * Map: one page each (npages must be KVM_FFA_MBOX_NR_PAGES * PAGE_SIZE / FFA_PAGE_SIZE), page aligned
 * (else INVALID_PARAMETERS); a second map is DENIED; the hyp's own buffers are mapped into the SPMC
 * first (its error is returned as is); then each host page is shared with the hyp
 * (__pkvm_host_share_hyp) and pinned (hyp_pin_shared_mem), any failure INVALID_PARAMETERS with
 * everything before it undone. Unmap: id must be HOST_FFA_ID and a mailbox mapped (else
 * INVALID_PARAMETERS); unpin, unshare (WARN on failure), and unmap the hyp's buffers from the SPMC.
 */
import { FFA_PAGE_SIZE, FFA_RET_DENIED, FFA_RET_INVALID_PARAMETERS } from '../../machine/ffa/abi';
import { WARN_ON } from '../page-state';
import { __pkvm_host_share_hyp, __pkvm_host_unshare_hyp, hyp_pin_shared_mem, hyp_unpin_shared_mem } from '../mem-protect';
import { HOST_FFA_ID, KVM_FFA_MBOX_NR_PAGES, PAGE_SIZE, type HypFfa } from './ffa';
import { ffa_map_hyp_buffers, ffa_to_smccc_res, ffa_unmap_hyp_buffers, type SmcccRegs } from './ffa-res';

const pfn = (pa: bigint): bigint => pa >> 12n;
const PAGE_ALIGNED = (a: bigint): boolean => (a & BigInt(PAGE_SIZE - 1)) === 0n;

export function do_ffa_rxtx_map(ffa: HypFfa, res: SmcccRegs, ctxt: bigint[]): void {
  const tx = ctxt[1]!, rx = ctxt[2]!, npages = Number(ctxt[3]! & 0xffff_ffffn);
  const hyp = ffa.hyp;
  let ret = 0;
  out: {
    if (npages !== (KVM_FFA_MBOX_NR_PAGES * PAGE_SIZE) / FFA_PAGE_SIZE) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    if (!PAGE_ALIGNED(tx) || !PAGE_ALIGNED(rx)) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    if (ffa.host_buffers.tx !== null) { ret = FFA_RET_DENIED; break out; }
    /* Map our hypervisor buffers into the SPMD before mapping and pinning the host buffers. */
    ret = ffa_map_hyp_buffers(ffa, npages);
    if (ret) break out;
    if (__pkvm_host_share_hyp(hyp, pfn(tx))) {
      ret = FFA_RET_INVALID_PARAMETERS;
      ffa_unmap_hyp_buffers(ffa);
      break out;
    }
    if (__pkvm_host_share_hyp(hyp, pfn(rx))) {
      ret = FFA_RET_INVALID_PARAMETERS;
      __pkvm_host_unshare_hyp(hyp, pfn(tx));
      ffa_unmap_hyp_buffers(ffa);
      break out;
    }
    if (hyp_pin_shared_mem(hyp, tx, tx + 1n)) {
      ret = FFA_RET_INVALID_PARAMETERS;
      __pkvm_host_unshare_hyp(hyp, pfn(rx));
      __pkvm_host_unshare_hyp(hyp, pfn(tx));
      ffa_unmap_hyp_buffers(ffa);
      break out;
    }
    if (hyp_pin_shared_mem(hyp, rx, rx + 1n)) {
      ret = FFA_RET_INVALID_PARAMETERS;
      hyp_unpin_shared_mem(hyp, tx, tx + 1n);
      __pkvm_host_unshare_hyp(hyp, pfn(rx));
      __pkvm_host_unshare_hyp(hyp, pfn(tx));
      ffa_unmap_hyp_buffers(ffa);
      break out;
    }
    ffa.host_buffers.tx = tx;
    ffa.host_buffers.rx = rx;
  }
  ffa_to_smccc_res(res, ret);
}

export function do_ffa_rxtx_unmap(ffa: HypFfa, res: SmcccRegs, ctxt: bigint[]): void {
  const id = Number(ctxt[1]! & 0xffff_ffffn);
  const hyp = ffa.hyp;
  let ret = 0;
  out: {
    if (id !== HOST_FFA_ID) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    const { tx, rx } = ffa.host_buffers;
    if (tx === null || rx === null) { ret = FFA_RET_INVALID_PARAMETERS; break out; }
    hyp_unpin_shared_mem(hyp, tx, tx + 1n);
    WARN_ON(__pkvm_host_unshare_hyp(hyp, pfn(tx)), 'ffa: unshare host TX');
    ffa.host_buffers.tx = null;
    hyp_unpin_shared_mem(hyp, rx, rx + 1n);
    WARN_ON(__pkvm_host_unshare_hyp(hyp, pfn(rx)), 'ffa: unshare host RX');
    ffa.host_buffers.rx = null;
    ffa_unmap_hyp_buffers(ffa);
  }
  ffa_to_smccc_res(res, ret);
}
