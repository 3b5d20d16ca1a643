/*
 * host-hcalls: a tiny "host kernel" that runs at EL1, as the pKVM host does,
 * and issues pKVM host hypercalls with HVC #0 (ids in pkvm-hcalls.h).
 *
 * Entry: x0 (device tree) is ignored; no other registers are read. The
 * image must be entered at EL1; entered at EL2 it says so and powers off.
 *
 * Sequence, one line `hcall <name>: x0=<16 hex> x1=<16 hex>` per call (the
 * registers after the HVC returns):
 *   (a) __pkvm_host_share_hyp(pfn)     pfn = a page-aligned page of .bss
 *   (b) __pkvm_host_share_hyp(pfn)     again (pKVM: x0=0, x1=-EPERM)
 *   (c) __pkvm_host_unshare_hyp(pfn)   (pKVM: x0=0, x1=0)
 *   (d) 0xC60000FF, not in the table   (x0=-1 NOT_SUPPORTED, x1 unchanged)
 * The shared page is never written after (a). __pkvm_host_donate_hyp is not
 * a host hypercall in the pinned table, so it is not called.
 *
 * Power-off: under pKVM the host's PSCI calls go by SMC (the hyp relays
 * them to the firmware) and HVC is for hypercalls only, so SYSTEM_OFF is
 * issued with SMC #0. Without a hyp (QEMU -M virt at EL1) an HVC reaches
 * QEMU's PSCI emulation, which answers NOT_SUPPORTED to every non-PSCI id,
 * and an SMC is UNDEFINED; so when (a) returns x0 = NOT_SUPPORTED the image
 * says so and powers off by HVC instead.
 */
#include <stdint.h>
#include "psci.h"
#include "sysreg.h"
#include "fmt.h"
#include "uart.h"
#include "pkvm-hcalls.h"
#include "pkvm-guest.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1u << PAGE_SHIFT)

/* Shared with the hyp by (a); never touched by this image after start.S zeroes .bss. */
static uint8_t share_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));


static void psci_system_off_smc(void) __attribute__((noreturn));
static void psci_system_off_smc(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

    __asm__ volatile("smc #0"
                     : "+r"(x0)
                     :
                     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
                       "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
                       "memory");
    puts("host-hcalls: SYSTEM_OFF by SMC returned x0=");
    put_hex64(x0);
    putc('\n');
    for (;;)
        __asm__ volatile("wfi");
}

static struct smccc_res hcall(const char *name, uint32_t n, uint64_t a1)
{
    struct smccc_res r;
    smccc_hvc(KVM_HOST_SMCCC_ID(n), a1, 0, 0, &r);

    puts("hcall ");
    puts(name);
    puts(": x0=");
    put_hex64(r.a0);
    puts(" x1=");
    put_hex64(r.a1);
    putc('\n');
    return r;
}

int main(void)
{
    uint64_t pfn = (uint64_t)(uintptr_t)share_page >> PAGE_SHIFT;
    struct smccc_res first;

    if (current_el() != 1) {
        puts("host-hcalls: entered at EL2; this image runs at EL1 (as the pKVM host)\n");
        return 1;
    }

    puts("host-hcalls: share page pfn ");
    put_hex_min(pfn);
    putc('\n');

    first = hcall("__pkvm_host_share_hyp",
                  __KVM_HOST_SMCCC_FUNC___pkvm_host_share_hyp, pfn);
    hcall("__pkvm_host_share_hyp",
          __KVM_HOST_SMCCC_FUNC___pkvm_host_share_hyp, pfn);
    hcall("__pkvm_host_unshare_hyp",
          __KVM_HOST_SMCCC_FUNC___pkvm_host_unshare_hyp, pfn);
    hcall("unknown(0xc60000ff)", PKVM_HCALL_UNKNOWN_N, 0);

    if (first.a0 == (uint64_t)SMCCC_RET_NOT_SUPPORTED) {
        puts("host-hcalls: no pKVM hyp (__pkvm_host_share_hyp not supported), SYSTEM_OFF by HVC\n");
        psci_system_off();
    }
    puts("host-hcalls: SYSTEM_OFF by SMC\n");
    psci_system_off_smc();
}
