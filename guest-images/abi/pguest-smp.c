/*
 * pguest-smp: two vCPUs. vCPU 0 starts vCPU 1 with PSCI CPU_ON (entry point
 * secondary_entry, context id in x0), waits until it has printed and turned
 * itself off (CPU_OFF, seen through AFFINITY_INFO), then powers off.
 *
 * Needs two CPUs (QEMU: -smp 2). Output is the same on QEMU and pKVM, for a
 * protected or a non-protected VM: every line is printed while the other
 * CPU is waiting, so the order is fixed.
 */
#include <stdint.h>
#include "fmt.h"
#include "pkvm-guest.h"
#include "psci.h"
#include "uart.h"

#define PSCI_CPU_ON_64          0xc4000003u
#define PSCI_AFFINITY_INFO_64   0xc4000004u
#define CONTEXT_ID              0x5eed0001u

extern char secondary_entry[];
volatile uint64_t cpu1_done;

static uint64_t mpidr(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
    return v & 0xff00ffffffull;
}

/* vCPU 1, from smp-entry.S: x0 = the context id CPU_ON passed. */
void secondary_main(uint64_t context_id)
{
    puts("smp: cpu1 up, mpidr ");
    put_hex_min(mpidr());
    puts(", context id ");
    put_hex_min(context_id);
    putc('\n');
    __asm__ volatile("dsb sy" ::: "memory");
    cpu1_done = 1;
    __asm__ volatile("dsb sy\n\tsev" ::: "memory");
}

int main(void)
{
    uint64_t ret, state;

    pkvm_ioremap_hook(UART_BASE);
    puts("smp: cpu0 up, mpidr ");
    put_hex_min(mpidr());
    puts("\nsmp: CPU_ON cpu1\n");
    ret = psci_call(PSCI_CPU_ON_64, 1, (uint64_t)(uintptr_t)secondary_entry, CONTEXT_ID);
    if (ret == 0) {
        while (!cpu1_done)
            __asm__ volatile("wfe" ::: "memory");
    }
    puts("smp: CPU_ON returned ");
    put_hex64(ret);
    putc('\n');
    if (ret != 0)
        return 1;
    while ((state = psci_call(PSCI_AFFINITY_INFO_64, 1, 0, 0)) == 0)
        __asm__ volatile("wfe" ::: "memory");
    puts("smp: cpu1 AFFINITY_INFO ");
    put_hex_min(state);
    puts(state == 1 ? " (off)\n" : "\n");
    puts("smp: done\n");
    return 0;
}
