/* gic-ipi.elf: IPIs between CPUs (QEMU: -smp 4, gic-version=3). CPU 0 starts the others with PSCI
 * CPU_ON; each brings up its redistributor and CPU interface. Then, ROUNDS times for each other CPU,
 * CPU 0 sends it SGI 1 (ICC_SGI1R_EL1, target list by affinity) and waits for the answer, SGI 2 sent
 * back to CPU 0; finally one broadcast (IRM = 1) SGI 3 reaches every CPU but CPU 0. Only CPU 0
 * prints, so the output does not depend on the interleaving. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"
#include "psci.h"

#ifndef ROUNDS
#define ROUNDS 100
#endif
#define MAX_CPUS 4
#define PSCI_CPU_ON_64 0xc4000003u
#define SGI1R(intid, aff0) (((uint64_t)(intid) << 24) | (1u << (aff0)))

static volatile unsigned ready[MAX_CPUS], pings[MAX_CPUS], pongs, bcast[MAX_CPUS], spurious;
static volatile unsigned stop_now;
extern void gic_secondary_entry(void);
uint64_t secondary_stacks[MAX_CPUS][512] __attribute__((aligned(16)));

static unsigned this_cpu(void) { return (unsigned)(read_sysreg(mpidr_el1) & 0xff); }

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind != 5) {
        puts("unexpected exception, vector ");
        put_dec(kind);
        putc('\n');
        for (;;)
            ;
    }
    unsigned cpu = this_cpu();
    uint64_t intid = read_sysreg(S3_0_C12_C12_0);
    if (intid == 1) {
        pings[cpu]++;
        write_sysreg(S3_0_C12_C11_5, SGI1R(2, 0)); /* answer CPU 0 */
    } else if (intid == 2) {
        pongs++;
    } else if (intid == 3) {
        bcast[cpu]++;
    } else {
        spurious++;
    }
    if (intid < 1020)
        write_sysreg(S3_0_C12_C12_1, intid);
    isb();
}

void gic_secondary_main(uint64_t cpu)
{
    install_vectors();
    gic_cpu_init((unsigned)cpu);
    for (unsigned i = 1; i <= 3; i++)
        gic_enable((unsigned)cpu, i);
    ready[cpu] = 1;
    irq_enable();
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    install_vectors();
    puts("gic-ipi\n");
    gic_dist_init();
    gic_cpu_init(0);
    for (unsigned i = 1; i <= 3; i++)
        gic_enable(0, i);
    unsigned ncpus = 1;
    for (unsigned c = 1; c < MAX_CPUS; c++) {
        int64_t r = (int64_t)psci_call(PSCI_CPU_ON_64, c, (uint64_t)gic_secondary_entry, c);
        if (r != 0)
            break;
        while (!ready[c])
            ;
        ncpus++;
    }
    puts("CPUs up: ");
    put_dec(ncpus);
    putc('\n');
    irq_enable();
    for (unsigned c = 1; c < ncpus; c++) {
        for (unsigned r = 0; r < ROUNDS; r++) {
            unsigned want = pongs + 1;
            write_sysreg(S3_0_C12_C11_5, SGI1R(1, c));
            isb();
            while (pongs < want)
                __asm__ volatile("wfi");
        }
        puts("CPU ");
        put_dec(c);
        puts(": pings ");
        put_dec(pings[c]);
        puts(", pongs so far ");
        put_dec(pongs);
        putc('\n');
    }
    write_sysreg(S3_0_C12_C11_5, (3UL << 24) | (1UL << 40)); /* IRM: all but self */
    isb();
    for (unsigned c = 1; c < ncpus; c++)
        while (!bcast[c])
            ;
    puts("broadcast SGI 3 acknowledged by");
    for (unsigned c = 0; c < ncpus; c++) {
        if (bcast[c]) {
            puts(" CPU ");
            put_dec(c);
        }
    }
    putc('\n');
    puts("spurious: ");
    put_dec(spurious);
    putc('\n');
    return 0;
}

__asm__(
    "    .text\n"
    "    .globl gic_secondary_entry\n"
    "gic_secondary_entry:\n"
    "    msr daifset, #0xf\n"
    "    adrp x1, secondary_stacks\n"
    "    add x1, x1, :lo12:secondary_stacks\n"
    "    add x2, x0, #1\n"
    "    lsl x2, x2, #12\n"
    "    add sp, x1, x2\n"
    "    bl gic_secondary_main\n"
    "    b .\n");
