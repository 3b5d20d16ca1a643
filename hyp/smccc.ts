/**
 * SMCCC function ids and return codes (include/linux/arm-smccc.h, arch/arm64/include/asm/kvm_asm.h):
 * a leaf module with no imports, so the hyp's hypercall handlers and the dispatcher can share it.
 */
/* ARM_SMCCC_CALL_VAL(type, calling_convention, owner, func_num) */
export const ARM_SMCCC_FAST_CALL = 1n << 31n;
export const ARM_SMCCC_SMC_64 = 1n << 30n;
export const ARM_SMCCC_OWNER_VENDOR_HYP = 6n << 24n;
export const ARM_SMCCC_CALL_HINTS = 1n << 16n; /* ARM_SMCCC_1_3_SVE_HINT */
export const KVM_HOST_SMCCC_ID = (n: number): bigint =>
  ARM_SMCCC_FAST_CALL | ARM_SMCCC_SMC_64 | ARM_SMCCC_OWNER_VENDOR_HYP | BigInt(n);

/* SMCCC return codes */
export const SMCCC_RET_SUCCESS = 0;
export const SMCCC_RET_NOT_SUPPORTED = -1;
export const SMCCC_RET_NOT_REQUIRED = -2;
export const SMCCC_RET_INVALID_PARAMETER = -3;

/* Guest (protected VM) hypercalls, vendor-hyp service, HVC */
export const ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID = KVM_HOST_SMCCC_ID(2);
export const ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID = KVM_HOST_SMCCC_ID(3);
export const ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID = KVM_HOST_SMCCC_ID(4);
export const ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_INFO_FUNC_ID = KVM_HOST_SMCCC_ID(5);
export const ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_ENROLL_FUNC_ID = KVM_HOST_SMCCC_ID(6);
export const ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_MAP_FUNC_ID = KVM_HOST_SMCCC_ID(7);
export const ARM_SMCCC_VENDOR_HYP_KVM_MMIO_GUARD_UNMAP_FUNC_ID = KVM_HOST_SMCCC_ID(8);
export const ARM_SMCCC_VENDOR_HYP_KVM_MEM_RELINQUISH_FUNC_ID = KVM_HOST_SMCCC_ID(9);

export const U64 = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));
/** A register value read back as a signed int (for x0 status / x1 errno). */
export const asSigned = (v: bigint): number => Number(BigInt.asIntN(64, v));

