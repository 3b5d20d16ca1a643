/*
 * The guest side of the KVM / pKVM hypervisor services (SMCCC by HVC), for
 * the images that link common/pkvm-guest.o: discovery as Linux does it
 * (kvm_init_hyp_services(): the vendor-hyp UID, then the features bitmap)
 * and the MMIO guard hook Linux runs from ioremap() under pKVM (enrol once,
 * then MMIO_GUARD_MAP each device granule before its first use).
 *
 * On QEMU (no hypervisor) every HVC is a PSCI call and unknown ids return
 * NOT_SUPPORTED: the UID check fails and nothing else is called.
 */
#ifndef GUEST_PKVM_GUEST_H
#define GUEST_PKVM_GUEST_H

#include <stdint.h>

#define ARM_SMCCC_VERSION_FUNC_ID                  0x80000000u
#define ARM_SMCCC_ARCH_FEATURES_FUNC_ID            0x80000001u
#define ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID      0x8600ff01u
#define ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID  0x86000000u

/* pKVM guest hypercalls: 0xC600_0000 + n (SMC64 fast call, vendor hyp). */
#define KVM_HYP_MEMINFO_FUNC_ID        0xC6000002u
#define KVM_MEM_SHARE_FUNC_ID          0xC6000003u
#define KVM_MEM_UNSHARE_FUNC_ID        0xC6000004u
#define KVM_MMIO_GUARD_INFO_FUNC_ID    0xC6000005u
#define KVM_MMIO_GUARD_ENROLL_FUNC_ID  0xC6000006u
#define KVM_MMIO_GUARD_MAP_FUNC_ID     0xC6000007u
#define KVM_MMIO_GUARD_UNMAP_FUNC_ID   0xC6000008u
#define KVM_MEM_RELINQUISH_FUNC_ID     0xC6000009u

/* Bits of the KVM features bitmap (the function numbers above). */
#define ARM_SMCCC_KVM_FUNC_FEATURES          0
#define ARM_SMCCC_KVM_FUNC_HYP_MEMINFO       2
#define ARM_SMCCC_KVM_FUNC_MEM_SHARE         3
#define ARM_SMCCC_KVM_FUNC_MEM_UNSHARE       4
#define ARM_SMCCC_KVM_FUNC_MMIO_GUARD_INFO   5
#define ARM_SMCCC_KVM_FUNC_MMIO_GUARD_ENROLL 6
#define ARM_SMCCC_KVM_FUNC_MMIO_GUARD_MAP    7
#define ARM_SMCCC_KVM_FUNC_MMIO_GUARD_UNMAP  8
#define ARM_SMCCC_KVM_FUNC_MEM_RELINQUISH    9
#define KVM_FEATURE(f) (1ull << ARM_SMCCC_KVM_FUNC_##f)

/* KVM's vendor-hyp UID 28b46fb6-2ec5-11e9-a9ca-4b564d003a74 in w0..w3. */
#define ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0 0xb66fb428u
#define ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_1 0xe911c52eu
#define ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_2 0x564bcaa9u
#define ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_3 0x743a004du

#define SMCCC_RET_SUCCESS            0
#define SMCCC_RET_NOT_SUPPORTED      (-1)
#define SMCCC_RET_INVALID_PARAMETER  (-3)

struct smccc_res { uint64_t a0, a1, a2, a3; };

/* HVC #0 with x0..x3; x0..x3 after the call in *res. */
void smccc_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, struct smccc_res *res);
/* x0 of HVC #0 with x0..x3. */
uint64_t smccc_hvc0(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* 1 if res holds KVM's vendor-hyp UID. */
int smccc_res_is_kvm_uid(const struct smccc_res *res);

/* The KVM features bitmap, or 0 when the hypervisor is not KVM (or at EL2). */
uint64_t kvm_hyp_features(void);

/*
 * Linux's pKVM ioremap hook: if the hypervisor offers the MMIO guard,
 * enrol and map the granule holding `phys`. Returns the MAP result, or 1
 * when there is no MMIO guard to map in.
 */
int64_t pkvm_ioremap_hook(uint64_t phys);

#endif
