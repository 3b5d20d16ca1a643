/* gic-sgi.elf (one CPU): SGIs to self through ICC_SGI1R_EL1 and the CPU interface's rules —
 * priority order, preemption by a higher group priority only, the running priority, PMR masking,
 * EOImode 1 (EOIR drops the priority, DIR deactivates), Group 0 as FIQ, IRM broadcast (no other
 * PE: nothing pending), spurious 1023. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

#define SGI1R(intid, targets) (((uint64_t)(intid) << 24) | (targets))

static volatile unsigned order[16], norder;
static volatile unsigned nested_mode;

static void sgi_self(unsigned intid) { write_sysreg(S3_0_C12_C11_5, SGI1R(intid, 1)); isb(); }
static uint64_t rpr(void) { return read_sysreg(S3_0_C12_C11_3); }
static uint64_t hppir1(void) { return read_sysreg(S3_0_C12_C12_2); }
static uint32_t active0(void) { return mmio_r32(gicr_sgi(0) + GICD_ISACTIVER); }
static uint32_t pending0(void) { return mmio_r32(gicr_sgi(0) + GICD_ISPENDR); }

static void show(const char *label, uint64_t v)
{
    puts(label);
    puts(" ");
    put_dec(v);
    putc('\n');
}

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind == 6 || kind == 10) { /* FIQ: Group 0 */
        uint64_t intid = read_sysreg(S3_0_C12_C8_0); /* ICC_IAR0_EL1 */
        order[norder++] = 100 + (unsigned)intid;
        write_sysreg(S3_0_C12_C8_1, intid);
        isb();
        return;
    }
    if (kind != 5 && kind != 9) {
        puts("unexpected exception, vector ");
        put_dec(kind);
        putc('\n');
        for (;;)
            ;
    }
    uint64_t intid = read_sysreg(S3_0_C12_C12_0);
    order[norder++] = (unsigned)intid;
    if (intid == 5 && nested_mode) {
        show("in SGI 5: RPR", rpr());
        sgi_self(7); /* same group priority as the running one: no preemption */
        show("in SGI 5 after SGI 7: HPPIR1", hppir1());
        show("in SGI 5 after SGI 7: ISR_EL1", read_sysreg(isr_el1));
        sgi_self(6); /* higher priority: preempts once IRQs are unmasked */
        show("in SGI 5 after SGI 6: HPPIR1", hppir1());
        show("in SGI 5 after SGI 6: ISR_EL1", read_sysreg(isr_el1));
        irq_enable();
        __asm__ volatile("nop");
        irq_disable();
        show("in SGI 5 after the preemption: RPR", rpr());
    }
    write_sysreg(S3_0_C12_C12_1, intid);
    isb();
}

static void show_order(const char *label)
{
    puts(label);
    puts(":");
    for (unsigned i = 0; i < norder; i++) {
        putc(' ');
        put_dec(order[i]);
    }
    putc('\n');
    norder = 0;
}

int main(void)
{
    install_vectors();
    puts("gic-sgi at EL");
    putc((char)('0' + current_el()));
    putc('\n');
    gic_dist_init();
    gic_cpu_init(0);
    for (unsigned i = 0; i < 16; i++)
        gic_enable(0, i);

    show("IAR1 with nothing pending", read_sysreg(S3_0_C12_C12_0));
    /* Priority order: SGI 1 (0xa0), SGI 2 (0x80), SGI 3 (0x40), sent while masked. */
    gic_set_priority(0, 2, 0x80);
    gic_set_priority(0, 3, 0x40);
    sgi_self(1); sgi_self(2); sgi_self(3);
    show("masked: pending SGIs", pending0() & 0xe);
    show("masked: HPPIR1", hppir1());
    show("masked: ISR_EL1", read_sysreg(isr_el1));
    irq_enable();
    irq_disable();
    show_order("taken in order");
    show("RPR after", rpr());

    /* Preemption. */
    gic_set_priority(0, 5, 0xa0);
    gic_set_priority(0, 6, 0x80);
    gic_set_priority(0, 7, 0xa0);
    nested_mode = 1;
    sgi_self(5);
    irq_enable();
    irq_disable();
    nested_mode = 0;
    show_order("preemption");

    /* PMR masks priorities at or below it. */
    write_sysreg(S3_0_C4_C6_0, 0xa0);
    sgi_self(9);
    irq_enable();
    irq_disable();
    show("PMR 0xa0, SGI 9 at 0xa0: taken", norder);
    show("PMR 0xa0: HPPIR1", hppir1());
    write_sysreg(S3_0_C4_C6_0, 0xff);
    isb();
    irq_enable();
    irq_disable();
    show_order("PMR 0xff");

    /* EOImode 1: EOIR drops the priority only; DIR deactivates. */
    write_sysreg(S3_0_C12_C12_4, 2);
    isb();
    sgi_self(8);
    irq_enable();
    irq_disable();
    show_order("EOImode 1");
    show("after EOIR: RPR", rpr());
    show("after EOIR: SGI 8 active", (active0() >> 8) & 1);
    sgi_self(8);
    show("while active: HPPIR1", hppir1());
    write_sysreg(S3_0_C12_C11_1, 8); /* ICC_DIR_EL1 */
    isb();
    show("after DIR: SGI 8 active", (active0() >> 8) & 1);
    show("after DIR: HPPIR1", hppir1());
    irq_enable();
    irq_disable();
    write_sysreg(S3_0_C12_C11_1, 8);
    write_sysreg(S3_0_C12_C12_4, 0);
    isb();
    show_order("pending again after DIR");

    /* Group 0 is signalled as FIQ. */
    mmio_w32(gicr_sgi(0) + GICD_IGROUPR, ~(1u << 10));
    write_sysreg(S3_0_C12_C12_6, 1); /* ICC_IGRPEN0_EL1 */
    isb();
    write_sysreg(S3_0_C12_C11_7, SGI1R(10, 1)); /* ICC_SGI0R_EL1 */
    isb();
    show("group 0: ISR_EL1", read_sysreg(isr_el1));
    __asm__ volatile("msr daifclr, #1" ::: "memory");
    __asm__ volatile("msr daifset, #1" ::: "memory");
    show_order("FIQ");
    /* SGI0R does not generate a Group 1 SGI. (SGI1R to a Group 0 SGI is where QEMU 7.2 and the
     * GICv3 spec differ with DS = 1: test/gic/gic-cpuif.test.ts.) */
    write_sysreg(S3_0_C12_C11_7, SGI1R(11, 1));
    isb();
    show("SGI0R to a Group 1 SGI: pending", (pending0() >> 11) & 1);

    /* IRM = 1: every PE but self (none here). */
    write_sysreg(S3_0_C12_C11_5, SGI1R(1, 0) | (1UL << 40));
    isb();
    show("IRM broadcast with one CPU: HPPIR1", hppir1());
    /* Targets that do not exist. */
    write_sysreg(S3_0_C12_C11_5, SGI1R(1, 0xfffe));
    isb();
    show("other Aff0 targets: HPPIR1", hppir1());
    show("spurious IAR1", read_sysreg(S3_0_C12_C12_0));
    return 0;
}
