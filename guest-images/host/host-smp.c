/*
 * host-smp: a "host kernel" at EL1 that brings the board's other CPUs up with PSCI CPU_ON, as the
 * pKVM host does through the hyp's PSCI relay (psci-relay.c): under pKVM its PSCI calls go by SMC
 * and EL2 sets up each CPU's EL2 state before entering the host's entry point there. Without a
 * hyp (QEMU -M virt at EL1) the same calls go by HVC to QEMU's PSCI.
 *
 * Conduit probe: HVC PSCI_VERSION. QEMU's PSCI answers a version; pKVM's host HVC is the hypercall
 * interface, which answers NOT_SUPPORTED (-1) to that id: then SMC.
 *
 * Sequence: for CPU 1, 2, 3 (MPIDR Aff0 = index): CPU_ON(mpidr, secondary_entry, context id =
 * index); the secondary records its EL, context id (x0) and MPIDR.Aff0 and sets its flag, CPU 0
 * waits for the flag and prints them (one CPU on the UART: the output's order is fixed), the
 * secondary calls CPU_OFF, CPU 0 waits until AFFINITY_INFO says OFF. A CPU
 * the board does not have answers INVALID_PARAMETERS (-2) and ends the loop. Then SYSTEM_OFF.
 */
#include <stdint.h>
#include "psci.h"
#include "sysreg.h"
#include "fmt.h"
#include "uart.h"

#define PSCI_CPU_OFF          0x84000002u
#define PSCI_CPU_ON64         0xC4000003u
#define PSCI_AFFINITY_INFO64  0xC4000004u
#define PSCI_RET_INVALID      ((uint64_t)-2)
#define NOT_SUPPORTED         ((uint64_t)-1)

extern char secondary_entry[];
static volatile uint32_t up[8];
static int use_smc;

static uint64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    if (use_smc)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                           "x15", "x16", "x17", "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                           "x15", "x16", "x17", "memory");
    return x0;
}

/* What each secondary saw at its entry, printed by CPU 0 (one writer on the UART keeps the order). */
static volatile uint64_t seen_el[8], seen_ctx[8], seen_aff0[8];

void secondary_main(uint64_t idx)
{
    uint64_t mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    seen_el[idx] = current_el();
    seen_ctx[idx] = idx;
    seen_aff0[idx] = mpidr & 0xff;
    __atomic_store_n(&up[idx], 1, __ATOMIC_RELEASE);
    psci(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    use_smc = psci(PSCI_VERSION, 0, 0, 0) == NOT_SUPPORTED;
    puts("host-smp: CPU 0 at EL");
    putc((char)('0' + current_el()));
    puts(use_smc ? ", PSCI by SMC (through EL2)\n" : ", PSCI by HVC\n");
    unsigned n = 1;
    for (unsigned cpu = 1; cpu < 4; cpu++) {
        uint64_t ret = psci(PSCI_CPU_ON64, cpu, (uint64_t)(uintptr_t)secondary_entry, cpu);
        if (ret == PSCI_RET_INVALID)
            break;
        puts("host-smp: CPU_ON ");
        put_hex_min(cpu);
        puts(" = ");
        put_hex_min(ret);
        putc('\n');
        if (ret != 0)
            continue;
        while (!__atomic_load_n(&up[cpu], __ATOMIC_ACQUIRE))
            ;
        puts("host-smp: CPU ");
        put_hex_min(cpu);
        puts(" ran host code at EL");
        putc((char)('0' + seen_el[cpu]));
        puts(", context id ");
        put_hex_min(seen_ctx[cpu]);
        puts(", MPIDR.Aff0 ");
        put_hex_min(seen_aff0[cpu]);
        putc('\n');
        while (psci(PSCI_AFFINITY_INFO64, cpu, 0, 0) != 1) /* OFF */
            ;
        puts("host-smp: CPU ");
        put_hex_min(cpu);
        puts(" off again (CPU_OFF)\n");
        n++;
    }
    puts("host-smp: ");
    put_hex_min(n);
    puts(" CPUs ran host code; SYSTEM_OFF\n");
    psci(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
