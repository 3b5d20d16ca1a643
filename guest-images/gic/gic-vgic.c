/* gic-vgic.elf (EL2, QEMU virtualization=on): the GICv3 virtualization interface.
 *  1. SPI 40 made pending is routed to EL2 (HCR_EL2.IMO); EL2 acknowledges it with EOImode 1
 *     (EOIR drops the priority, the interrupt stays active) and injects it into an EL1 guest
 *     through ICH_LR0_EL2 with HW = 1, pINTID 40; the guest's ICV_IAR1/ICV_EOIR1 deactivate the LR
 *     and the physical SPI.
 *  2. A HW = 0 list register with EOI = 1: the guest's EOI raises the maintenance interrupt (PPI 25,
 *     ICH_MISR_EL2.EOI, ICH_EISR_EL2), taken at EL2 from EL1 with the guest's PSTATE.I clear or not.
 *  3. HCR_EL2.VI: a virtual IRQ with no list register behind it (ICV_IAR1 reads 1023).
 *  4. The guest's ICC_PMR/BPR1/IGRPEN1 writes land in ICH_VMCR_EL2. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

#define LR_PENDING (1UL << 62)
#define LR_HW      (1UL << 61)
#define LR_GROUP1  (1UL << 60)
#define LR_EOI     (1UL << 41)
#define LR_PRIO(p) ((uint64_t)(p) << 48)

static volatile unsigned guest_seen[8], guest_n, step;
static uint64_t guest_stack[512] __attribute__((aligned(16)));
extern void guest_entry(void);
extern void el2_finish(void);

static void show(const char *label, uint64_t v)
{
    puts(label);
    puts(" 0x");

    put_hex(v, 16);
    putc('\n');
}

static void hvc(unsigned imm)
{
    register uint64_t x0 __asm__("x0") = imm;
    __asm__ volatile("hvc #0" : "+r"(x0) :: "memory");
}

void guest_main(void)
{
    write_sysreg(S3_0_C4_C6_0, 0xff);   /* ICV_PMR_EL1 */
    write_sysreg(S3_0_C12_C12_3, 0);    /* ICV_BPR1_EL1 */
    write_sysreg(S3_0_C12_C12_7, 1);    /* ICV_IGRPEN1_EL1 */
    isb();
    irq_enable();
    for (unsigned i = 0; i < 3; i++) {
        while (guest_n <= i)
            __asm__ volatile("nop");
        hvc(0);
    }
    hvc(99);
    for (;;)
        ;
}

static void el1_irq(void)
{
    uint64_t intid = read_sysreg(S3_0_C12_C12_0); /* ICV_IAR1_EL1 */
    if (guest_n < 8)
        guest_seen[guest_n] = (unsigned)intid;
    if (intid < 1020) {
        write_sysreg(S3_0_C12_C12_1, intid); /* ICV_EOIR1_EL1 */
        isb();
    } else {
        hvc(1); /* a virtual IRQ with no interrupt behind it: HCR_EL2.VI; ask EL2 to drop it */
    }
    guest_n++;
}

static void el2_irq(unsigned from_lower)
{
    uint64_t intid = read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
    puts("EL2 IRQ ");
    put_dec(intid);
    puts(from_lower ? " from EL1\n" : " at EL2\n");
    write_sysreg(S3_0_C12_C12_1, intid); /* EOImode 1: priority drop only */
    isb();
    if (intid == 40) {
        write_sysreg(S3_4_C12_C12_0, LR_PENDING | LR_HW | LR_GROUP1 | LR_PRIO(0xa0) | (40UL << 32) | 40);
        show("  ICH_ELRSR_EL2", read_sysreg(S3_4_C12_C11_5));
        show("  SPI 40 active", (mmio_r32(GICD_BASE + GICD_ISACTIVER + 4) >> 8) & 1);
    } else if (intid == 25) {
        show("  ICH_MISR_EL2", read_sysreg(S3_4_C12_C11_2));
        show("  ICH_EISR_EL2", read_sysreg(S3_4_C12_C11_3));
        show("  ICH_ELRSR_EL2", read_sysreg(S3_4_C12_C11_5));
        write_sysreg(S3_4_C12_C12_1, 0); /* consume LR1: the maintenance condition goes */
        isb();
        show("  ICH_MISR_EL2 after clearing LR1", read_sysreg(S3_4_C12_C11_2));
        write_sysreg(S3_0_C12_C11_1, 25); /* ICC_DIR_EL1 */
        isb();
    }
}

static void el2_hvc(struct frame *f)
{
    unsigned imm = (unsigned)f->x[0];
    puts("EL2 HVC ");
    put_dec(imm);
    puts(", guest saw ");
    put_dec(guest_seen[step]);
    putc('\n');
    if (imm == 99) {
        f->elr = (uint64_t)el2_finish;
        f->spsr = 0x3c9; /* EL2h, DAIF masked */
        return;
    }
    show("  ICH_LR0_EL2", read_sysreg(S3_4_C12_C12_0));
    show("  ICH_LR1_EL2", read_sysreg(S3_4_C12_C12_1));
    show("  ICH_VMCR_EL2", read_sysreg(S3_4_C12_C11_7));
    show("  ICH_HCR_EL2", read_sysreg(S3_4_C12_C11_0));
    show("  SPI 40 active", (mmio_r32(GICD_BASE + GICD_ISACTIVER + 4) >> 8) & 1);
    step++;
    if (step == 1) {
        /* 2: a virtual interrupt with an EOI maintenance request. */
        write_sysreg(S3_4_C12_C12_1, LR_PENDING | LR_EOI | LR_GROUP1 | LR_PRIO(0x80) | 50);
        isb();
    } else if (step == 2) {
        /* 3: HCR_EL2.VI. */
        write_sysreg(hcr_el2, read_sysreg(hcr_el2) | (1u << 7));
        isb();
    }
}

void vector_handler(unsigned kind, struct frame *f)
{
    if (current_el() == 1) {
        if (kind == 5) { el1_irq(); return; }
    } else {
        if (kind == 5 || kind == 9) { el2_irq(kind == 9); return; }
        if (kind == 8 && (read_sysreg(esr_el2) >> 26) == 0x16) {
            if (f->x[0] == 1) {
                puts("EL2 HVC 1: the guest took HCR_EL2.VI; VI cleared\n");
                write_sysreg(hcr_el2, read_sysreg(hcr_el2) & ~(1u << 7));
                isb();
                return;
            }
            el2_hvc(f);
            return;
        }
    }
    puts("unexpected exception, vector ");
    put_dec(kind);
    puts(" ESR ");
    put_hex(current_el() == 2 ? read_sysreg(esr_el2) : read_sysreg(esr_el1), 8);
    putc('\n');
    for (;;)
        ;
}

void el2_finish_c(void)
{
    show("ICH_HCR_EL2.EOIcount", read_sysreg(S3_4_C12_C11_0) >> 27);
    show("SPI 40 active at the end", (mmio_r32(GICD_BASE + GICD_ISACTIVER + 4) >> 8) & 1);
    puts("done\n");
}

int main(void)
{
    install_vectors();
    if (current_el() != 2) {
        puts("gic-vgic needs EL2\n");
        return 0;
    }
    puts("gic-vgic at EL2\n");
    gic_dist_init();
    gic_cpu_init(0);
    write_sysreg(S3_0_C12_C12_4, 2); /* ICC_CTLR_EL1.EOImode = 1 at EL2 */
    write_sysreg(hcr_el2, (1UL << 31) | (1u << 4) | (1u << 3)); /* RW, IMO, FMO */
    write_sysreg(vbar_el1, (uint64_t)gic_vectors);
    write_sysreg(S3_4_C12_C11_0, 1); /* ICH_HCR_EL2.En */
    gic_enable(0, 25);
    gic_enable(0, 40);
    isb();
    mmio_w32(GICD_BASE + GICD_ISPENDR + 4, 1u << 8); /* SPI 40 pending */
    irq_enable();
    __asm__ volatile("nop");
    irq_disable();
    /* Enter the guest at EL1h with interrupts unmasked. */
    write_sysreg(sp_el1, (uint64_t)&guest_stack[512]);
    write_sysreg(elr_el2, (uint64_t)guest_entry);
    write_sysreg(spsr_el2, 0x3c5);
    isb();
    __asm__ volatile("eret");
    return 0;
}

__asm__(
    "    .text\n"
    "    .globl guest_entry\n"
    "guest_entry:\n"
    "    bl guest_main\n"
    "    b .\n"
    "    .globl el2_finish\n"
    "el2_finish:\n"
    "    bl el2_finish_c\n"
    "    bl psci_system_off\n");
