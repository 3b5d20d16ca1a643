/** pKVM IOMMU at EL2: see README.md in this folder. */
export * from './defs';
export {
  KvmIommu, kvm_iommu, kvm_iommu_init, kvm_iommu_alloc_domain, kvm_iommu_free_domain, kvm_iommu_attach_dev,
  kvm_iommu_detach_dev, kvm_iommu_map_pages, kvm_iommu_unmap_pages, kvm_iommu_iova_to_phys, kvm_iommu_refill,
  kvm_iommu_reclaim, kvm_iommu_reclaimable, hyp_reqs_smccc_encode,
} from './iommu';
export type { KvmIommuMode, KvmIommuOptions, KvmHypIommuDomain } from './iommu';
export { Smmuv3 } from './smmu';
export type { SmmuSte, SmmuEvent, SmmuCmd, SmmuTranslation } from './smmu';
export { coreStage2Walk, softStage2Walk } from './walk';
export type { Stage2Walk, S2WalkResult } from './walk';
export { __pkvm_host_use_dma, __pkvm_host_unuse_dma, hyp_page_dma_refs } from './dma-refs';
export { KVM_IOMMU_IAS, kvm_iommu_vtcr } from './io-pgtable';
export { checkIommuInvariants } from './invariants';
