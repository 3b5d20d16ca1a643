/* gic-timer.elf: generic-timer interrupts through the GICv3, counted.
 * EL1: the EL1 physical timer (PPI 30) and the virtual timer (PPI 27), five interrupts each; a
 * masked timer (IMASK) asserts ISTATUS but no interrupt; a level-sensitive timer interrupt stays
 * pending while its condition holds and goes when the timer is disabled.
 * EL2 (QEMU virtualization=on): with HCR_EL2.IMO set, the EL2 physical timer (PPI 26) and the EL1
 * physical timer interrupt EL2, five each. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

#define PERIOD 20000
#define N 5

static volatile unsigned count, last_intid, spurious;
static volatile unsigned which; /* 0 CNTP, 1 CNTV, 2 CNTHP */

static void timer_set(unsigned t, uint64_t ctl, uint64_t tval)
{
    if (t == 0) { write_sysreg(cntp_tval_el0, tval); write_sysreg(cntp_ctl_el0, ctl); }
    else if (t == 1) { write_sysreg(cntv_tval_el0, tval); write_sysreg(cntv_ctl_el0, ctl); }
    else { write_sysreg(cnthp_tval_el2, tval); write_sysreg(cnthp_ctl_el2, ctl); }
    isb();
}

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind != 5 && kind != 9) {
        puts("unexpected exception, vector ");
        put_dec(kind);
        putc('\n');
        for (;;)
            ;
    }
    uint64_t intid = read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
    if (intid >= 1020) { spurious++; return; }
    last_intid = (unsigned)intid;
    count++;
    if (count < N)
        timer_set(which, 1, PERIOD);
    else
        timer_set(which, 0, 0); /* disable: the level drops */
    write_sysreg(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
    isb();
}

static void run_timer(unsigned t, unsigned ppi, const char *name)
{
    count = 0;
    which = t;
    gic_enable(0, ppi);
    timer_set(t, 1, PERIOD);
    irq_enable();
    while (count < N)
        __asm__ volatile("nop");
    irq_disable();
    puts(name);
    puts(": ");
    put_dec(count);
    puts(" interrupts, INTID ");
    put_dec(last_intid);
    putc('\n');
}

int main(void)
{
    install_vectors();
    unsigned el = current_el();
    puts("gic-timer at EL");
    putc((char)('0' + el));
    putc('\n');
    gic_dist_init();
    gic_cpu_init(0);
    if (el == 2) {
        write_sysreg(hcr_el2, read_sysreg(hcr_el2) | (1u << 4) | (1u << 3)); /* IMO, FMO */
        isb();
        run_timer(2, 26, "CNTHP (EL2 physical timer)");
        run_timer(0, 30, "CNTP (EL1 physical timer) at EL2");
    } else {
        run_timer(0, 30, "CNTP (EL1 physical timer)");
        run_timer(1, 27, "CNTV (virtual timer)");
    }
    /* IMASK: the condition is met (ISTATUS) but the interrupt is not asserted. */
    timer_set(0, 3, 0);
    for (volatile int i = 0; i < 10; i++)
        ;
    puts("masked: CNTP_CTL_EL0 = ");
    put_dec(read_sysreg(cntp_ctl_el0));
    puts(", pending = ");
    put_dec((mmio_r32(gicr_sgi(0) + GICD_ISPENDR) >> 30) & 1);
    puts(", ISR_EL1 = ");
    put_dec(read_sysreg(isr_el1));
    putc('\n');
    /* Unmasked with PSTATE.I set: pending (level), ISR_EL1.I, HPPIR; disabling drops it. */
    timer_set(0, 1, 0);
    for (volatile int i = 0; i < 10; i++)
        ;
    puts("asserted: pending = ");
    put_dec((mmio_r32(gicr_sgi(0) + GICD_ISPENDR) >> 30) & 1);
    puts(", ISR_EL1 = ");
    put_dec(read_sysreg(isr_el1));
    puts(", HPPIR1 = ");
    put_dec(read_sysreg(S3_0_C12_C12_2));
    putc('\n');
    timer_set(0, 0, 0);
    puts("disabled: pending = ");
    put_dec((mmio_r32(gicr_sgi(0) + GICD_ISPENDR) >> 30) & 1);
    puts(", ISR_EL1 = ");
    put_dec(read_sysreg(isr_el1));
    puts(", HPPIR1 = ");
    put_dec(read_sysreg(S3_0_C12_C12_2));
    putc('\n');
    puts("spurious: ");
    put_dec(spurious);
    putc('\n');
    return 0;
}
