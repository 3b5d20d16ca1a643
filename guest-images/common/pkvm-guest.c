#include "pkvm-guest.h"
#include "sysreg.h"

void smccc_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, struct smccc_res *res)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
                       "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    res->a0 = x0;
    res->a1 = x1;
    res->a2 = x2;
    res->a3 = x3;
}

uint64_t smccc_hvc0(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    struct smccc_res res;

    smccc_hvc(fn, a1, a2, a3, &res);
    return res.a0;
}

int smccc_res_is_kvm_uid(const struct smccc_res *res)
{
    return (uint32_t)res->a0 == ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0 &&
           (uint32_t)res->a1 == ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_1 &&
           (uint32_t)res->a2 == ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_2 &&
           (uint32_t)res->a3 == ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_3 &&
           (res->a0 >> 32) == 0;
}

uint64_t kvm_hyp_features(void)
{
    struct smccc_res res;

    if (current_el() != 1)      /* at EL2 an HVC would trap to ourselves */
        return 0;
    smccc_hvc(ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID, 0, 0, 0, &res);
    if (!smccc_res_is_kvm_uid(&res))
        return 0;
    return smccc_hvc0(ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, 0, 0, 0) |
           KVM_FEATURE(FEATURES);
}

int64_t pkvm_ioremap_hook(uint64_t phys)
{
    const uint64_t need = KVM_FEATURE(MMIO_GUARD_ENROLL) | KVM_FEATURE(MMIO_GUARD_MAP);

    if ((kvm_hyp_features() & need) != need)
        return 1;
    /* Enrolling again is harmless: no state here, so the images keep their .bss size. */
    if (smccc_hvc0(KVM_MMIO_GUARD_ENROLL_FUNC_ID, 0, 0, 0) != SMCCC_RET_SUCCESS)
        return 1;
    return (int64_t)smccc_hvc0(KVM_MMIO_GUARD_MAP_FUNC_ID, phys & ~0xfffull, 0, 0);
}
