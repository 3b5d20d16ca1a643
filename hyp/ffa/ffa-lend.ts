/**
 * Not upstream — an option of this model (HypFfaOptions.lendRevokesHost, default off): memory the host
 * LENDs to the secure world leaves the host stage-2 once the SPMC accepted the whole transaction, and
 * comes back when it is reclaimed. Upstream pKVM treats FFA_MEM_LEND exactly as FFA_MEM_SHARE at
 * EL2 (the pages stay SHARED_OWNED and mapped; on hardware the secure side's TZASC/GPC is what
 * takes the non-secure access away). With the option a host access to a lent page takes a stage-2
 * abort that EL2 re-injects (host_inject_mem_abort()), which is how this board shows the loss.
 *
 * The pages are annotated in the host stage-2 with owner PKVM_ID_FFA (host_stage2_set_owner_metadata_locked,
 * host state NOPAGE, as a donation); reclaim first re-maps them SHARED_OWNED, then upstream's
 * ffa_host_unshare_ranges() returns them to OWNED.
 */
import { WARN_ON, PKVM_PAGE_SHARED_OWNED } from '../page-state';
import { PKVM_HOST_MEM_PROT } from '../pgtable-defs';
import { __host_update_page_state, host_stage2_idmap_locked, host_stage2_set_owner_metadata_locked } from '../host-stage2';
import type { HypFfa } from './ffa';

/** Owner id of lent pages in the host stage-2 annotation (upstream's enum had PKVM_ID_FFA for the FF-A completer). */
export const PKVM_ID_FFA = 3;

const size = (pg_cnt: number): bigint => BigInt(pg_cnt) * 4096n;

/** The transaction in flight completed with `handle`: a LEND's pages leave the host (with the option). */
export function ffa_lend_complete(ffa: HypFfa, handle: bigint): void {
  const p = ffa.pendingXfer;
  ffa.pendingXfer = null;
  if (!p || !p.lend || !ffa.lendRevokesHost) return;
  for (const r of p.ranges)
    WARN_ON(host_stage2_set_owner_metadata_locked(ffa.hyp, r.address, size(r.pg_cnt), PKVM_ID_FFA, 0n), 'ffa: revoke lent range');
  ffa.revoked.set(handle, p.ranges);
  ffa.emit(`FFA_MEM_LEND 0x${handle.toString(16)}: ${p.ranges.reduce((s, r) => s + r.pg_cnt, 0)} page(s) leave the host stage-2`);
}

/** Reclaim of `handle` accepted by the SPMC: lent pages come back to the host stage-2, SHARED_OWNED. */
export function ffa_lend_restore(ffa: HypFfa, handle: bigint): void {
  const ranges = ffa.revoked.get(handle);
  if (!ranges) return;
  ffa.revoked.delete(handle);
  for (const r of ranges) {
    WARN_ON(host_stage2_idmap_locked(ffa.hyp, r.address, size(r.pg_cnt), PKVM_HOST_MEM_PROT), 'ffa: restore lent range');
    __host_update_page_state(ffa.hyp, r.address, size(r.pg_cnt), PKVM_PAGE_SHARED_OWNED);
  }
}
