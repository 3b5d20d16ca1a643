/*
 * pguest-hello: the smallest protected guest. Runs at EL1 inside a VM.
 *
 * Entry (start.S passes x0..x2 to main unchanged):
 *   x0  device tree address (ignored)
 *   x1  per-VM id chosen by the VMM (0 on QEMU)
 *   x2  flags (0 on QEMU):
 *         bit 0  before the first UART access, enrol in the MMIO guard and
 *                map the UART page (MMIO_GUARD_ENROLL, MMIO_GUARD_MAP), and
 *                report both SMCCC results on one extra line
 *
 * Prints
 *   pguest: hello from a protected guest
 *   [pguest: mmio guard enroll <x0> map <x0>]      (flag bit 0 only)
 *   pguest: vm id <id in hex>
 * then PSCI SYSTEM_OFF by HVC (start.S).
 *
 * Under KVM with the MMIO guard (pKVM) it enrols and maps the UART page before
 * the first print, as Linux's ioremap hook does (common/pkvm-guest.c); on
 * QEMU that finds no KVM and does nothing.
 *
 * Footprint: code + data on two pages, a 16 KiB stack in .bss (about 20 KiB).
 */
#include <stdint.h>
#include "fmt.h"
#include "pkvm-guest.h"
#include "uart.h"

/* Guest hypercalls (vendor hyp service, HVC), as in PKVM-REFERENCE.md. */
#define MMIO_GUARD_ENROLL_FUNC_ID 0xC6000006u
#define MMIO_GUARD_MAP_FUNC_ID    0xC6000007u

#define PGUEST_FLAG_MMIO_GUARD    (1u << 0)


int main(uint64_t dtb, uint64_t vm_id, uint64_t flags)
{
    uint64_t enroll = 0, map = 0;

    (void)dtb;
    pkvm_ioremap_hook(UART_BASE);
    if (flags & PGUEST_FLAG_MMIO_GUARD) {
        enroll = smccc_hvc0(MMIO_GUARD_ENROLL_FUNC_ID, 0, 0, 0);
        map = smccc_hvc0(MMIO_GUARD_MAP_FUNC_ID, UART_BASE, 0, 0);
    }

    puts("pguest: hello from a protected guest\n");
    if (flags & PGUEST_FLAG_MMIO_GUARD) {
        puts("pguest: mmio guard enroll ");
        put_hex64(enroll);
        puts(" map ");
        put_hex64(map);
        putc('\n');
    }
    puts("pguest: vm id ");
    put_hex_min(vm_id);
    putc('\n');
    return 0;
}
