// The hosted hyp's stage-2 TLB maintenance by VMID (tlbInvalidateVmid / tlbInvalidateIpa in
// index.ts): the untagged fast TLB (tlb.ts) and the fetch cache hold translations of the current
// regimes only; with stage 2 on for EL1&0 (HCR_EL2.VM), theirs are the current VMID's. An
// invalidation of another VMID (the host's, while a guest is on the CPU, as at every donation)
// therefore has nothing to drop there: only the tagged TLB and walk caches (tlb2.ts) hold its
// entries. The in-core fault fast path (pkvm-fast-host.ts) relies on the same fact.
import { srGet, HCR_EL2 } from './sysregs';
import { currentVmid } from './mmu';

/** False when the fast TLB and the fetch cache can hold no EL1&0 translation of `vmid`. */
export function fastTlbMayHoldVmid(vmid: u32): bool {
  return (srGet(HCR_EL2) & 1) == 0 || currentVmid() == vmid;
}
