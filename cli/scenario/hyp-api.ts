/**
 * Everything the scenario layer uses from hyp/ and host-kernel-model/, in one place.
 * hyp/index is evaluated first on purpose: hyp/hypercalls.ts and the hyp's handler modules import
 * each other, and only evaluate correctly when entered from the index (importing hypercalls.ts
 * first reads its constants before they are initialised).
 */
import '../../hyp/index';

export { Pkvm } from '../../hyp/index';
export { HostedEl2 } from '../../hyp/hosted-el2';
export { handleHostTrap } from '../../hyp/host-trap';
export { ESR_EC, EC_HVC64 } from '../../hyp/world-switch';
export { HOST_HCALLS, KVM_HOST_SMCCC_FUNC, KVM_HOST_SMCCC_ID, asSigned, type HostHcallName } from '../../hyp/hypercalls';
export {
  SMCCC_RET_INVALID_PARAMETER, SMCCC_RET_NOT_REQUIRED, SMCCC_RET_NOT_SUPPORTED, SMCCC_RET_SUCCESS,
} from '../../hyp/hypercalls';
export {
  E2BIG, EAGAIN, EBUSY, EEXIST, EFAULT, EHWPOISON, EINVAL, ENOENT, ENOMEM, EPERM, ERANGE, PAGE_STATE_NAMES, hypWarnConfig,
} from '../../hyp/page-state';
export { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
export { guest_get_page_state } from '../../hyp/mem-protect-guest';
export type { TraceEvent } from '../../hyp/trace';
export { HostKvm, HostMemory, HostAccessError, runAll, runVcpu, type HostVm } from '../../host-kernel-model/index';
export { vmmResolve, VmmAccessError } from '../../host-kernel-model/index';
export { createHostDma, HostIommu } from '../../host-kernel-model/iommu';
export { IOMMU_READ, IOMMU_WRITE, KVM_ARM_SMMU_DOMAIN_S2, SMMU_EVT } from '../../hyp/iommu/defs';
export { kvm_iommu_map_pages, type KvmIommu } from '../../hyp/iommu/iommu';
export { DMA_FAULT_BAD_LENGTH, DMA_FAULT_BUS_ERROR, DMA_STATUS_DONE, DMA_STATUS_ERROR, type DmaEngine } from '../../machine/dma-engine';
