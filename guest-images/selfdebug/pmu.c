/* selfdebug-pmu.elf: PMUv3 (Arm ARM D12), in the manner of kvm-unit-tests' arm/pmu.c: PMCR_EL0.N,
 * the cycle counter advancing, INST_RETIRED exact on a known loop (the difference between two loop
 * lengths, independent of where counting starts and stops), the EL filter, and the overflow
 * interrupt — an event counter and the cycle counter — taken through the GIC as PPI 23.
 * Entered at EL2 it drops to EL1 with MDCR_EL2.HPMN = 4 and runs the same, then checks the
 * partition (PMCR_EL0.N reads HPMN at EL1, counters >= HPMN UNDEFINED there, enabled at EL2 by
 * MDCR_EL2.HPME) and MDCR_EL2.TPM / TPMCR trapping EL1's PMU accesses to EL2 (EC 0x18).
 * On QEMU it runs with -icount shift=0 (QEMU counts INST_RETIRED only with icount). */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"
#include "sd.h"
#include "psci.h"

#define PMCR_E (1u << 0)
#define PMCR_P (1u << 1)
#define PMCR_C (1u << 2)
#define INST_RETIRED 0x08u
#define EVT_P (1u << 31)
#define PMU_PPI 23

static volatile unsigned nirq, last_intid;
static volatile uint64_t last_ovs;
static volatile unsigned nsync, sync_el;
static volatile uint64_t sync_esr;

void vector_handler(unsigned kind, struct frame *f)
{
    if (sd_el2_hvc(kind, f))
        return;
    if (kind == 4 || kind == 8) { /* a synchronous exception the EL1 side provoked: note it, skip */
        sync_el = current_el();
        sync_esr = sync_el == 2 ? read_sysreg(esr_el2) : read_sysreg(esr_el1);
        nsync++;
        f->elr += 4;
        return;
    }
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

static void tests(void)
{
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
}

static void show_sync(const char *what)
{
    puts(what);
    if (!nsync) { puts(": no exception\n"); return; }
    puts(": EL"); put_dec(sync_el); puts(" EC 0x"); put_hex(sync_esr >> 26, 2);
    puts(" ISS 0x"); put_hex(sync_esr & 0x1ffffff, 7); putc('\n');
}

#define HPMN 4

static void el2_tests(void)
{
    nsync = 0;
    (void)read_sysreg(pmevcntr5_el0);
    show_sync("MRS PMEVCNTR5_EL0 at EL1 with HPMN = 4");
    nsync = 0;
    (void)read_sysreg(pmevcntr3_el0);
    show_sync("MRS PMEVCNTR3_EL0 at EL1 with HPMN = 4");
    sd_set_mdcr_el2(HPMN | (1u << 6)); /* TPM */
    nsync = 0;
    (void)read_sysreg(pmccntr_el0);
    show_sync("MRS PMCCNTR_EL0 at EL1 with MDCR_EL2.TPM");
    sd_set_mdcr_el2(HPMN | (1u << 5)); /* TPMCR */
    nsync = 0;
    (void)read_sysreg(pmcr_el0);
    show_sync("MRS PMCR_EL0 at EL1 with MDCR_EL2.TPMCR");
    nsync = 0;
    (void)read_sysreg(pmccntr_el0);
    show_sync("MRS PMCCNTR_EL0 at EL1 with MDCR_EL2.TPMCR");
    sd_set_mdcr_el2(HPMN);
}

static int have_el2;

static void el1_main(void)
{
    write_sysreg(vbar_el1, (uint64_t)gic_vectors);
    isb();
    puts("at EL1\n");
    tests();
    if (have_el2)
        el2_tests();
    puts("done\n");
    psci_system_off(); /* HVC: QEMU's PSCI, or the EL2 side forwards it by SMC */
}

int main(void)
{
    install_vectors();
    puts("selfdebug-pmu at EL");
    putc((char)('0' + current_el()));
    putc('\n');
    if (current_el() == 2) {
        have_el2 = 1;
        puts("PMCR_EL0.N at EL2 = "); put_dec((read_sysreg(pmcr_el0) >> 11) & 0x1f); putc('\n');
        /* ICC_SRE_EL2: SRE and Enable, so that EL1 uses the GIC's system registers */
        write_sysreg(S3_4_C12_C9_5, read_sysreg(S3_4_C12_C9_5) | 9);
        isb();
        sd_drop_to_el1(el1_main, HPMN);
    }
    el1_main();
    return 0;
}
