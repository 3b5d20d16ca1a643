/*
 * pKVM host hypercall ids: the ONE place guest-images keeps them.
 *
 * n is the index in the ordered table HOST_HCALLS of hyp/hypercalls.ts
 * (enum __kvm_host_smccc_func of arch/arm64/include/asm/kvm_asm.h, pinned
 * there to an upstream kernel version). `make check` compares every
 * __KVM_HOST_SMCCC_FUNC_<name> below with that table (host/check-hcall-ids.sh);
 * when the table changes, update the numbers here and rebuild.
 *
 * Function id = 0xC600_0000 + n: SMCCC fast call, SMC64, owner vendor-hyp
 * (ARM_SMCCC_CALL_VAL(FAST_CALL, SMC_64, OWNER_VENDOR_HYP, n)).
 */
#ifndef GUEST_PKVM_HCALLS_H
#define GUEST_PKVM_HCALLS_H

#define KVM_HOST_SMCCC_ID(n)  (0xC6000000u + (n))

#define __KVM_HOST_SMCCC_FUNC___pkvm_host_share_hyp    32
#define __KVM_HOST_SMCCC_FUNC___pkvm_host_unshare_hyp  33

/* Not in the table (__pkvm_host_donate_hyp is hyp-internal there). */
#define PKVM_HCALL_UNKNOWN_N  0xff

/* SMCCC return codes (x0) and the errno values the handlers put in x1. */
#define SMCCC_RET_SUCCESS        0
#define SMCCC_RET_NOT_SUPPORTED  (-1)
#define EPERM                    1

#endif
