/**
 * Host hypercall handlers of the pKVM IOMMU (handle___pkvm_host_iommu_* in hyp-main.c of the pKVM IOMMU series; ids
 * appended at the end of HOST_HCALLS in hyp/hypercalls.ts).
 *
 * Calls that may need memory report it with hyp_reqs_smccc_encode(): x1 is
 * the result (0 / -errno, or a byte count for map/unmap), x2 = type | dest << 8
 * and x3 = nr_pages | sz_alloc << 32 describe the pages the hyp wants
 * (KVM_HYP_REQ_TYPE_MEM, REQ_MEM_DEST_HYP_IOMMU); the host donates them with
 * __pkvm_hyp_alloc_mgt_refill(HYP_ALLOC_MGT_IOMMU_ID, head, nr_pages) and calls
 * again for the rest.
 */
import type { HostHcallHandler } from '../hyp-main';
import type { HostHcallName } from '../hypercalls';
import {
  hyp_reqs_smccc_encode, kvm_iommu_alloc_domain,
  kvm_iommu_attach_dev, kvm_iommu_detach_dev, kvm_iommu_free_domain, kvm_iommu_iova_to_phys, kvm_iommu_map_pages,
  kvm_iommu_unmap_pages,
} from './iommu';

const u16 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffffn);
const u32 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffffffffn);
const s32 = (v: bigint | undefined): number => Number(BigInt.asIntN(32, v ?? 0n));
const u64 = (v: bigint | undefined): bigint => v ?? 0n;
const setRet = (ctxt: bigint[], ret: number | bigint): void => {
  ctxt[1] = BigInt.asUintN(64, BigInt(ret));
};

export const iommu_hcall_handlers: Partial<Record<HostHcallName, HostHcallHandler>> = {
  /* __pkvm_hyp_alloc_mgt_* (ids 1 = this pool, 0 = the hyp heap): ../alloc/hyp-main.ts. */
  /* (domain, type) */
  __pkvm_host_iommu_alloc_domain: (hyp, c, cpu) =>
    hyp_reqs_smccc_encode(hyp, kvm_iommu_alloc_domain(hyp, u16(c[1]), s32(c[2]), cpu), c, cpu),
  /* (domain) */
  __pkvm_host_iommu_free_domain: (hyp, c, cpu) => hyp_reqs_smccc_encode(hyp, kvm_iommu_free_domain(hyp, u16(c[1])), c, cpu),
  /* (iommu, domain, endpoint, pasid, pasid_bits) */
  __pkvm_host_iommu_attach_dev: (hyp, c, cpu) =>
    hyp_reqs_smccc_encode(hyp, kvm_iommu_attach_dev(hyp, u16(c[1]), u16(c[2]), u32(c[3]), u32(c[4]), u32(c[5])), c, cpu),
  /* (iommu, domain, endpoint, pasid) */
  __pkvm_host_iommu_detach_dev: (hyp, c, cpu) =>
    hyp_reqs_smccc_encode(hyp, kvm_iommu_detach_dev(hyp, u16(c[1]), u16(c[2]), u32(c[3]), u32(c[4])), c, cpu),
  /* (domain, iova, paddr, pgsize, pgcount, prot in x6) -> bytes mapped */
  __pkvm_host_iommu_map_pages: (hyp, c, cpu) => {
    const { mapped } = kvm_iommu_map_pages(hyp, u16(c[1]), u64(c[2]), u64(c[3]), u64(c[4]), u64(c[5]), u32(c[6]), cpu);
    hyp_reqs_smccc_encode(hyp, mapped, c, cpu);
  },
  /* (domain, iova, pgsize, pgcount) -> bytes unmapped */
  __pkvm_host_iommu_unmap_pages: (hyp, c, cpu) =>
    hyp_reqs_smccc_encode(hyp, kvm_iommu_unmap_pages(hyp, u16(c[1]), u64(c[2]), u64(c[3]), u64(c[4])), c, cpu),
  /* (domain, iova) -> phys or 0 */
  __pkvm_host_iommu_iova_to_phys: (hyp, c) => setRet(c, kvm_iommu_iova_to_phys(hyp, u16(c[1]), u64(c[2]))),
};
