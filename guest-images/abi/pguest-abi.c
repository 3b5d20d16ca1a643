/*
 * pguest-abi: the pKVM protected-guest ABI from the guest's side. Runs at EL1.
 *
 *   1. discovery: SMCCC_VERSION, the vendor-hyp UID (KVM?), the KVM features
 *      bitmap; then, before the first UART access, the MMIO guard: ENROLL and
 *      MAP of the UART page (Linux's ioremap hook);
 *   2. HYP_MEMINFO and MMIO_GUARD_INFO (the granule);
 *   3. MEM_SHARE of a page it has not touched yet (the hypervisor faults it
 *      in first), a message written into it, MEM_UNSHARE, the message read
 *      back;
 *   4. MEM_RELINQUISH of a page it wrote, then a read of that page (a fresh
 *      one from the host: zero);
 *   5. MMIO_GUARD_MAP of a RAM page (refused), MAP + UNMAP of 0x0a00_0000,
 *      then a read of 0x0a00_0000, now outside the guard: the synchronous
 *      external abort it takes is reported from its own EL1 vector
 *      (abi-vectors.S);
 *   6. PSCI SYSTEM_OFF (start.S).
 *
 * Without KVM's UID (QEMU) it says so and skips 2-5; without MEM_SHARE in
 * the features (a non-protected VM) it skips 3.
 *
 * Entry: x0 DTB (ignored). Pages used: the image, then the two 4 KiB pages
 * after __image_end (shared page, relinquished page).
 */
#include <stdint.h>
#include "fmt.h"
#include "pkvm-guest.h"
#include "uart.h"

#define PAGE_SIZE  4096u
#define PROBE_IPA  0x0a000000ull   /* virt's virtio-mmio window: never memory */

extern char __image_end[];
extern char abi_vectors[];
extern char default_vectors[];
uint32_t probe_read32(uint64_t addr);

/* Written by abi-vectors.S: ESR_EL1, FAR_EL1, number of aborts taken. */
volatile uint64_t sea_record[3];

static const char message[] = "hello host, from a protected guest";

static void line(const char *what, uint64_t v)
{
    puts("pguest-abi: ");
    puts(what);
    put_hex64(v);
    putc('\n');
}

static void set_vbar(const char *vectors)
{
    __asm__ volatile("msr vbar_el1, %0\n\tisb" : : "r"(vectors) : "memory");
}

static int streq(const volatile char *a, const char *b)
{
    while (*b)
        if (*a++ != *b++)
            return 0;
    return *a == 0;
}

int main(void)
{
    struct smccc_res uid;
    uint64_t version, features = 0, enroll = 1, map = 1;
    uint64_t base = ((uint64_t)(uintptr_t)__image_end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t shared = base, relinq = base + PAGE_SIZE;
    int kvm;

    /* 1. Discovery, and the UART into the MMIO guard before its first use. */
    version = smccc_hvc0(ARM_SMCCC_VERSION_FUNC_ID, 0, 0, 0);
    smccc_hvc(ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID, 0, 0, 0, &uid);
    kvm = smccc_res_is_kvm_uid(&uid);
    if (kvm) {
        features = smccc_hvc0(ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, 0, 0, 0);
        if (features & KVM_FEATURE(MMIO_GUARD_ENROLL)) {
            enroll = smccc_hvc0(KVM_MMIO_GUARD_ENROLL_FUNC_ID, 0, 0, 0);
            map = smccc_hvc0(KVM_MMIO_GUARD_MAP_FUNC_ID, UART_BASE, 0, 0);
        }
    }

    line("SMCCC_VERSION ", version);
    puts("pguest-abi: vendor hyp UID ");
    put_hex(uid.a0, 8); putc(' ');
    put_hex(uid.a1, 8); putc(' ');
    put_hex(uid.a2, 8); putc(' ');
    put_hex(uid.a3, 8);
    puts(kvm ? ": KVM\n" : ": not KVM\n");
    if (!kvm) {
        puts("pguest-abi: no pKVM here: skipping MEMINFO, MMIO guard, share, relinquish\n");
        puts("pguest-abi: done\n");
        return 0;
    }
    line("KVM features ", features);
    if (features & KVM_FEATURE(MMIO_GUARD_ENROLL)) {
        line("MMIO_GUARD_ENROLL ", enroll);
        line("MMIO_GUARD_MAP uart ", map);
    }

    /* 2. Granules. */
    line("HYP_MEMINFO ", smccc_hvc0(KVM_HYP_MEMINFO_FUNC_ID, 0, 0, 0));
    line("MMIO_GUARD_INFO ", smccc_hvc0(KVM_MMIO_GUARD_INFO_FUNC_ID, 0, 0, 0));

    /* 3. Share an untouched page, write a message into it, take it back. */
    if (features & KVM_FEATURE(MEM_SHARE)) {
        volatile char *p = (volatile char *)(uintptr_t)shared;
        unsigned i;

        line("MEM_SHARE ", smccc_hvc0(KVM_MEM_SHARE_FUNC_ID, shared, 0, 0));
        for (i = 0; i < sizeof(message); i++)
            p[i] = message[i];
        puts("pguest-abi: message in the shared page at ");
        put_hex_min(shared);
        putc('\n');
        line("MEM_UNSHARE ", smccc_hvc0(KVM_MEM_UNSHARE_FUNC_ID, shared, 0, 0));
        puts(streq(p, message) ? "pguest-abi: message intact after unshare\n"
                               : "pguest-abi: message LOST after unshare\n");
    } else {
        puts("pguest-abi: no MEM_SHARE (not a protected VM)\n");
    }

    /* 4. Give a page up; touching it again brings a fresh (zero) page. */
    if (features & KVM_FEATURE(MEM_RELINQUISH)) {
        volatile uint64_t *q = (volatile uint64_t *)(uintptr_t)relinq;

        q[0] = 0x5eed5eed5eed5eedull;
        line("MEM_RELINQUISH ", smccc_hvc0(KVM_MEM_RELINQUISH_FUNC_ID, relinq, 0, 0));
        line("relinquished page now reads ", q[0]);
    }

    /* 5. The MMIO guard: RAM cannot be guarded; an unguarded device access aborts. */
    if (features & KVM_FEATURE(MMIO_GUARD_MAP)) {
        line("MMIO_GUARD_MAP of RAM ", smccc_hvc0(KVM_MMIO_GUARD_MAP_FUNC_ID, shared, 0, 0));
        line("MMIO_GUARD_MAP 0xa000000 ", smccc_hvc0(KVM_MMIO_GUARD_MAP_FUNC_ID, PROBE_IPA, 0, 0));
        line("MMIO_GUARD_UNMAP 0xa000000 ", smccc_hvc0(KVM_MMIO_GUARD_UNMAP_FUNC_ID, PROBE_IPA, 0, 0));
        set_vbar(abi_vectors);
        (void)probe_read32(PROBE_IPA);
        set_vbar(default_vectors);
        if (sea_record[2]) {
            puts("pguest-abi: read of 0xa000000 outside the MMIO guard: synchronous external abort, ESR_EL1 ");
            put_hex64(sea_record[0]);
            puts(" FAR_EL1 ");
            put_hex64(sea_record[1]);
            putc('\n');
        } else {
            puts("pguest-abi: read of 0xa000000 outside the MMIO guard did NOT abort\n");
        }
    }
    puts("pguest-abi: done\n");
    return 0;
}
