/* selfdebug-pmu.elf: PMUv3 (Arm ARM D12), in the manner of kvm-unit-tests' arm/pmu.c: PMCR_EL0.N,
 * the cycle counter advancing, INST_RETIRED exact on a known loop (the difference between two loop
 * lengths, independent of where counting starts and stops), the EL filter, and the overflow
 * interrupt — an event counter and the cycle counter — taken through the GIC as PPI 23.
 * On QEMU it runs with -icount shift=0 (QEMU counts INST_RETIRED only with icount). */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"
#include "sd.h"

#define PMCR_E (1u << 0)
#define PMCR_P (1u << 1)
#define PMCR_C (1u << 2)
#define INST_RETIRED 0x08u
#define EVT_P (1u << 31)
#define PMU_PPI 23

static volatile unsigned nirq, last_intid;
static volatile uint64_t last_ovs;

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind != 5) {
        puts("unexpected exception, vector "); put_dec(kind);
        puts(" ESR 0x"); put_hex64(read_sysreg(esr_el1)); putc('\n');
        for (;;)
            ;
    }
    uint64_t intid = read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
    if (intid >= 1020) return;
    last_intid = (unsigned)intid;
    last_ovs = read_sysreg(pmovsset_el0);
    write_sysreg(pmovsclr_el0, last_ovs); /* the level drops */
    write_sysreg(pmcntenclr_el0, last_ovs);
    isb();
    nirq++;
    write_sysreg(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
    isb();
}

/* Counter 0 = INST_RETIRED over a loop of n iterations of SUBS + B.NE. */
static uint64_t count_loop(uint64_t n, uint64_t type)
{
    uint64_t v;
    write_sysreg(pmcntenclr_el0, ~0ul);
    write_sysreg(pmevtyper0_el0, type);
    write_sysreg(pmevcntr0_el0, 0);
    write_sysreg(pmcntenset_el0, 1);
    isb();
    __asm__ volatile(
        "    msr pmcr_el0, %1\n"
        "    isb\n"
        "1:  subs %2, %2, #1\n"
        "    b.ne 1b\n"
        "    mrs %0, pmevcntr0_el0\n"
        : "=r"(v) : "r"((uint64_t)PMCR_E), "r"(n) : "cc", "memory");
    write_sysreg(pmcr_el0, 0);
    isb();
    return v;
}

static void overflow(const char *what, unsigned bit, void (*arm)(void))
{
    nirq = 0;
    last_intid = 0;
    last_ovs = 0;
    write_sysreg(pmovsclr_el0, ~0ul);
    write_sysreg(pmintenset_el1, 1ul << bit);
    arm();
    irq_enable();
    for (unsigned i = 0; i < 200000 && !nirq; i++)
        __asm__ volatile("nop");
    irq_disable();
    write_sysreg(pmcr_el0, 0);
    write_sysreg(pmintenclr_el1, ~0ul);
    isb();
    puts(what);
    puts(": "); put_dec(nirq); puts(" interrupt, INTID "); put_dec(last_intid);
    puts(", PMOVSSET 0x"); put_hex(last_ovs, 8); putc('\n');
}

static void arm_event(void)
{
    write_sysreg(pmevtyper0_el0, INST_RETIRED);
    write_sysreg(pmevcntr0_el0, 0xffffffffu - 300);
    write_sysreg(pmcntenset_el0, 1);
    write_sysreg(pmcr_el0, PMCR_E);
    isb();
}

static void arm_cycles(void)
{
    write_sysreg(pmccfiltr_el0, 0);
    write_sysreg(pmccntr_el0, 0xffffffffu - 3000);
    write_sysreg(pmcntenset_el0, 1ul << 31);
    write_sysreg(pmcr_el0, PMCR_E);
    isb();
}

int main(void)
{
    install_vectors();
    puts("selfdebug-pmu at EL");
    putc((char)('0' + current_el()));
    putc('\n');
    uint64_t pmcr = read_sysreg(pmcr_el0);
    puts("PMCR_EL0.N = "); put_dec((pmcr >> 11) & 0x1f); putc('\n');

    write_sysreg(pmccfiltr_el0, 0);
    write_sysreg(pmcntenset_el0, 1ul << 31);
    write_sysreg(pmcr_el0, PMCR_E | PMCR_C);
    isb();
    uint64_t c0 = read_sysreg(pmccntr_el0);
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint64_t c1 = read_sysreg(pmccntr_el0);
    write_sysreg(pmcr_el0, 0);
    write_sysreg(pmcntenclr_el0, ~0ul);
    isb();
    puts("cycle counter advances over a loop: "); put_dec(c1 > c0 + 1000); putc('\n');

    uint64_t a = count_loop(1, INST_RETIRED), b = count_loop(1001, INST_RETIRED);
    puts("INST_RETIRED: loop of 1001 minus loop of 1 = "); put_dec(b - a); puts(" (2 instructions per iteration)\n");
    puts("INST_RETIRED with PMEVTYPER0_EL0.P (no EL1 counting) = "); put_dec(count_loop(1001, INST_RETIRED | EVT_P)); putc('\n');

    gic_dist_init();
    gic_cpu_init(0);
    gic_enable(0, PMU_PPI);
    overflow("INST_RETIRED overflow", 0, arm_event);
    overflow("cycle counter overflow", 31, arm_cycles);
    puts("done\n");
    return 0;
}
