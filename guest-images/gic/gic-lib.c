/* GICv3 setup shared by the gic/ images. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

void put_dec(uint64_t v)
{
    char buf[24];
    int i = 0;
    do { buf[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i) putc(buf[--i]);
}

void put_line_hex(const char *label, uint64_t v)
{
    puts(label);
    puts(" = 0x");
    put_hex64(v);
    putc('\n');
}

void gic_set_priority(unsigned cpu, unsigned intid, uint8_t prio)
{
    volatile uint8_t *p = intid < 32 ? (volatile uint8_t *)(gicr_sgi(cpu) + GICD_IPRIORITYR)
                                     : (volatile uint8_t *)(GICD_BASE + GICD_IPRIORITYR);
    p[intid] = prio;
}

void gic_enable(unsigned cpu, unsigned intid)
{
    uintptr_t base = intid < 32 ? gicr_sgi(cpu) : GICD_BASE;
    mmio_w32(base + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gic_dist_init(void)
{
    mmio_w32(GICD_BASE + GICD_CTLR, 0);
    unsigned lines = (mmio_r32(GICD_BASE + GICD_TYPER) & 0x1f) + 1;
    for (unsigned n = 1; n < lines; n++) {
        mmio_w32(GICD_BASE + GICD_ICENABLER + n * 4, ~0u);
        mmio_w32(GICD_BASE + GICD_ICPENDR + n * 4, ~0u);
        mmio_w32(GICD_BASE + GICD_IGROUPR + n * 4, ~0u);
        mmio_w32(GICD_BASE + GICD_ICFGR + n * 8, 0);
        mmio_w32(GICD_BASE + GICD_ICFGR + n * 8 + 4, 0);
        for (unsigned i = 0; i < 32; i += 4)
            mmio_w32(GICD_BASE + GICD_IPRIORITYR + n * 32 + i, 0xa0a0a0a0);
        for (unsigned i = 0; i < 32; i++)
            mmio_w64(GICD_BASE + GICD_IROUTER + (n * 32 + i) * 8, 0);
    }
    mmio_w32(GICD_BASE + GICD_CTLR, (1u << 4) | 3); /* ARE, EnableGrp1, EnableGrp0 */
}

void gic_cpu_init(unsigned cpu)
{
    uintptr_t rd = gicr_rd(cpu), sgi = gicr_sgi(cpu);
    mmio_w32(rd + GICR_WAKER, mmio_r32(rd + GICR_WAKER) & ~2u);
    while (mmio_r32(rd + GICR_WAKER) & 4u)
        ;
    mmio_w32(sgi + GICD_ICENABLER, ~0u);
    mmio_w32(sgi + GICD_ICPENDR, ~0u);
    mmio_w32(sgi + GICD_IGROUPR, ~0u);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_w32(sgi + GICD_IPRIORITYR + i, 0xa0a0a0a0);
    gic_cpu_if_init();
}

void gic_cpu_if_init(void)
{
    write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
    isb();
    write_sysreg(S3_0_C4_C6_0, 0xff);  /* ICC_PMR_EL1 */
    write_sysreg(S3_0_C12_C12_3, 0);   /* ICC_BPR1_EL1 */
    write_sysreg(S3_0_C12_C12_4, 0);   /* ICC_CTLR_EL1: EOImode 0 */
    write_sysreg(S3_0_C12_C12_7, 1);   /* ICC_IGRPEN1_EL1 */
    isb();
}

void install_vectors(void)
{
    if (current_el() == 2)
        write_sysreg(vbar_el2, (uint64_t)gic_vectors);
    else
        write_sysreg(vbar_el1, (uint64_t)gic_vectors);
    isb();
}
