/* pguest-vtimer.elf: a (protected) guest woken from WFI by its virtual timer.
 * Programs CNTV_CVAL_EL0 a little ahead of CNTVCT_EL0 and CNTV_CTL_EL0 = ENABLE, unmasks IRQs and
 * waits in WFI; the interrupt (INTID 27) is acknowledged with ICC_IAR1_EL1 and completed with
 * ICC_EOIR1_EL1 (EOImode 0), then the timer is disabled. Three rounds; prints what it saw.
 *
 * Entry: x2 = flags from the VMM (0 on QEMU):
 *   bit 1  virtual GIC: the CPU interface is the hypervisor's (ICC_* reach ICV_*, the interrupt
 *          arrives through a list register), so the guest does not program a distributor or
 *          redistributor (the VMM's vGIC would accept the writes; pkvm-emu's VMM has none).
 * On QEMU (no hypervisor) it sets up the physical GICv3 and enables PPI 27 itself.
 * Under pKVM with the MMIO guard it maps the UART first (common/pkvm-guest.c). */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"
#include "pkvm-guest.h"

#define FLAG_VGIC (1u << 1)
#define DELAY 5000 /* ticks of the virtual counter (80 us at 62.5 MHz) */
#define ROUNDS 3

static volatile unsigned fired, intid_seen, spurious;
static volatile uint64_t ctl_at_irq;

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind != 5) {
        puts("pguest-vtimer: unexpected exception, vector ");
        put_dec(kind);
        putc('\n');
        for (;;)
            ;
    }
    uint64_t intid = read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
    if (intid >= 1020) { spurious++; return; }
    intid_seen = (unsigned)intid;
    ctl_at_irq = read_sysreg(cntv_ctl_el0);
    write_sysreg(cntv_ctl_el0, 0); /* the level drops */
    isb();
    write_sysreg(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
    isb();
    fired++;
}

int main(uint64_t dtb, uint64_t vm_id, uint64_t flags)
{
    (void)dtb;
    (void)vm_id;
    pkvm_ioremap_hook(UART_BASE);
    install_vectors();
    if (flags & FLAG_VGIC) {
        gic_cpu_if_init();
    } else {
        gic_dist_init();
        gic_cpu_init(0);
        gic_enable(0, 27);
    }
    puts("pguest-vtimer: waiting in WFI for the virtual timer\n");
    unsigned late = 0;
    for (unsigned r = 1; r <= ROUNDS; r++) {
        unsigned before = fired;
        uint64_t t0 = read_sysreg(cntvct_el0);
        write_sysreg(cntv_cval_el0, t0 + DELAY);
        write_sysreg(cntv_ctl_el0, 1); /* ENABLE, IMASK clear */
        isb();
        /* Wait with IRQs masked: WFI still wakes on the pending interrupt (Arm ARM D1.6.2), which is
         * then taken in the short unmasked window. Testing `fired` with IRQs unmasked and then
         * executing WFI would lose an interrupt taken between the two (and sleep for ever). */
        while (fired == before) {
            __asm__ volatile("wfi");
            irq_enable();
            isb();
            irq_disable();
        }
        uint64_t t1 = read_sysreg(cntvct_el0);
        if (t1 < t0 + DELAY)
            late++;
        puts("pguest-vtimer: round ");
        put_dec(r);
        puts(": woken by INTID ");
        put_dec(intid_seen);
        puts(", CNTV_CTL_EL0 at the interrupt ");
        put_dec(ctl_at_irq);
        putc('\n');
    }
    puts("pguest-vtimer: ");
    put_dec(fired);
    puts(" interrupts, ");
    put_dec(late);
    puts(" before CVAL, ");
    put_dec(spurious);
    puts(" spurious\n");
    return 0;
}
