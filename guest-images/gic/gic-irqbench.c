/* gic-irqbench.elf: interrupt delivery and completion throughput. The EL1 physical timer fires every
 * PERIOD ticks (instructions on pkvm-emu); each interrupt is acknowledged (ICC_IAR1_EL1), the
 * timer re-armed (CNTP_TVAL_EL0), and completed (ICC_EOIR1_EL1); N interrupts, then power off. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

#ifndef N
#define N 20000
#endif
#ifndef PERIOD
#define PERIOD 200
#endif

static volatile unsigned count;

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind != 5) {
        puts("unexpected exception\n");
        for (;;)
            ;
    }
    uint64_t intid = read_sysreg(S3_0_C12_C12_0);
    if (intid == 30) {
        count++;
        write_sysreg(cntp_tval_el0, count < N ? PERIOD : 0x7fffffff);
    }
    if (intid < 1020)
        write_sysreg(S3_0_C12_C12_1, intid);
}

int main(void)
{
    install_vectors();
    gic_dist_init();
    gic_cpu_init(0);
    gic_enable(0, 30);
    write_sysreg(cntp_tval_el0, PERIOD);
    write_sysreg(cntp_ctl_el0, 1);
    irq_enable();
    while (count < N)
        __asm__ volatile("nop");
    irq_disable();
    write_sysreg(cntp_ctl_el0, 0);
    puts("interrupts: ");
    put_dec(count);
    putc('\n');
    return 0;
}
