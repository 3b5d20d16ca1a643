/* gic-probe.elf: the GICv3's identification and reset values, as a guest reads them (EL1, or EL2
 * with the ICH_* registers too). QEMU: -M virt,gic-version=3,its=off.
 * Intended difference: QEMU 7.2's GICv3 reports LPI support (GICD_TYPER.LPIS, GICR_TYPER.PLPIS and
 * CommonLPIAff, GICR_CTLR.CES) even without an ITS; pkvm-emu has no LPIs. Those fields are masked
 * out of the values printed (and named in the labels). */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    puts("unexpected exception, vector ");
    put_dec(kind);
    putc('\n');
    for (;;)
        ;
}

int main(void)
{
    install_vectors();
    unsigned el = current_el();
    puts("gic-probe at EL");
    putc((char)('0' + el));
    putc('\n');
    put_line_hex("GICD_CTLR", mmio_r32(GICD_BASE + GICD_CTLR));
    put_line_hex("GICD_TYPER without LPIS", mmio_r32(GICD_BASE + GICD_TYPER) & ~(1u << 17));
    put_line_hex("GICD_IIDR", mmio_r32(GICD_BASE + GICD_IIDR));
    put_line_hex("GICD_PIDR2", mmio_r32(GICD_BASE + GICD_PIDR2));
    const uint64_t lpi_bits = 1u | (3u << 24); /* PLPIS, CommonLPIAff */
    put_line_hex("GICR_TYPER without PLPIS/CommonLPIAff", mmio_r64(gicr_rd(0) + GICR_TYPER) & ~lpi_bits);
    put_line_hex("GICR_TYPER.lo without PLPIS/CommonLPIAff", mmio_r32(gicr_rd(0) + GICR_TYPER) & ~(uint32_t)lpi_bits);
    put_line_hex("GICR_TYPER.hi", mmio_r32(gicr_rd(0) + GICR_TYPER + 4));
    put_line_hex("GICR_IIDR", mmio_r32(gicr_rd(0) + GICR_IIDR));
    put_line_hex("GICR_PIDR2", mmio_r32(gicr_rd(0) + GICR_PIDR2));
    put_line_hex("GICR_WAKER", mmio_r32(gicr_rd(0) + GICR_WAKER));
    put_line_hex("GICR_CTLR without CES", mmio_r32(gicr_rd(0) + GICR_CTLR) & ~2u);
    put_line_hex("GICR_ICFGR0", mmio_r32(gicr_sgi(0) + GICD_ICFGR));
    put_line_hex("GICR_ICFGR1", mmio_r32(gicr_sgi(0) + GICD_ICFGR + 4));
    put_line_hex("GICR_IGROUPR0", mmio_r32(gicr_sgi(0) + GICD_IGROUPR));
    put_line_hex("GICD_ICFGR2", mmio_r32(GICD_BASE + GICD_ICFGR + 8));
    put_line_hex("GICD_IGROUPR1", mmio_r32(GICD_BASE + GICD_IGROUPR + 4));
    put_line_hex("GICD_IGROUPR0", mmio_r32(GICD_BASE + GICD_IGROUPR));
    mmio_w32(GICD_BASE + GICD_CTLR, 0xffffffff);
    put_line_hex("GICD_CTLR after ~0", mmio_r32(GICD_BASE + GICD_CTLR));
    mmio_w32(GICD_BASE + GICD_CTLR, 0);
    mmio_w64(GICD_BASE + GICD_IROUTER + 40 * 8, 0x000000ab00cdef01UL);
    put_line_hex("GICD_IROUTER40 after 0xab00cdef01", mmio_r64(GICD_BASE + GICD_IROUTER + 40 * 8));
    mmio_w32(GICD_BASE + GICD_IROUTER + 40 * 8 + 4, 0x12);
    put_line_hex("GICD_IROUTER40 after hi = 0x12", mmio_r64(GICD_BASE + GICD_IROUTER + 40 * 8));
    mmio_w64(GICD_BASE + GICD_IROUTER + 40 * 8, 0);
    mmio_w32(GICD_BASE + GICD_IPRIORITYR + 40, 0xffffffff);
    put_line_hex("GICD_IPRIORITYR10 after ~0", mmio_r32(GICD_BASE + GICD_IPRIORITYR + 40));
    mmio_w32(gicr_sgi(0) + GICD_IPRIORITYR, 0xffffffff);
    put_line_hex("GICR_IPRIORITYR0 after ~0", mmio_r32(gicr_sgi(0) + GICD_IPRIORITYR));
    mmio_w32(GICD_BASE + GICD_ICFGR + 8, 0xffffffff);
    put_line_hex("GICD_ICFGR2 after ~0", mmio_r32(GICD_BASE + GICD_ICFGR + 8));
    mmio_w32(GICD_BASE + GICD_ICFGR + 8, 0);
    put_line_hex("ICC_SRE_EL1", read_sysreg(S3_0_C12_C12_5));
    write_sysreg(S3_0_C12_C12_5, 7);
    isb();
    put_line_hex("ICC_CTLR_EL1", read_sysreg(S3_0_C12_C12_4));
    put_line_hex("ICC_PMR_EL1", read_sysreg(S3_0_C4_C6_0));
    write_sysreg(S3_0_C4_C6_0, 0xff);
    put_line_hex("ICC_PMR_EL1 after 0xff", read_sysreg(S3_0_C4_C6_0));
    put_line_hex("ICC_BPR0_EL1", read_sysreg(S3_0_C12_C8_3));
    put_line_hex("ICC_BPR1_EL1", read_sysreg(S3_0_C12_C12_3));
    write_sysreg(S3_0_C12_C12_3, 0);
    write_sysreg(S3_0_C12_C8_3, 0);
    put_line_hex("ICC_BPR0_EL1 after 0", read_sysreg(S3_0_C12_C8_3));
    put_line_hex("ICC_BPR1_EL1 after 0", read_sysreg(S3_0_C12_C12_3));
    write_sysreg(S3_0_C12_C12_4, 0xffffffff);
    put_line_hex("ICC_CTLR_EL1 after ~0", read_sysreg(S3_0_C12_C12_4));
    put_line_hex("ICC_BPR1_EL1 with CBPR", read_sysreg(S3_0_C12_C12_3));
    write_sysreg(S3_0_C12_C12_4, 0);
    put_line_hex("ICC_RPR_EL1", read_sysreg(S3_0_C12_C11_3));
    put_line_hex("ICC_HPPIR1_EL1", read_sysreg(S3_0_C12_C12_2));
    put_line_hex("ICC_IAR1_EL1", read_sysreg(S3_0_C12_C12_0));
    put_line_hex("ICC_IGRPEN1_EL1", read_sysreg(S3_0_C12_C12_7));
    put_line_hex("CNTFRQ_EL0", read_sysreg(cntfrq_el0));
    if (el == 2) {
        put_line_hex("ICC_SRE_EL2", read_sysreg(S3_4_C12_C9_5));
        put_line_hex("ICH_VTR_EL2", read_sysreg(S3_4_C12_C11_1));
        put_line_hex("ICH_HCR_EL2", read_sysreg(S3_4_C12_C11_0));
        put_line_hex("ICH_VMCR_EL2", read_sysreg(S3_4_C12_C11_7));
        write_sysreg(S3_4_C12_C11_7, 0);
        put_line_hex("ICH_VMCR_EL2 after 0", read_sysreg(S3_4_C12_C11_7));
        write_sysreg(S3_4_C12_C11_7, 0xffffffff);
        put_line_hex("ICH_VMCR_EL2 after ~0", read_sysreg(S3_4_C12_C11_7));
        write_sysreg(S3_4_C12_C11_0, 0xffffffff);
        put_line_hex("ICH_HCR_EL2 after ~0", read_sysreg(S3_4_C12_C11_0));
        put_line_hex("ICH_MISR_EL2", read_sysreg(S3_4_C12_C11_2));
        write_sysreg(S3_4_C12_C11_0, 0);
        put_line_hex("ICH_ELRSR_EL2", read_sysreg(S3_4_C12_C11_5));
        put_line_hex("ICH_EISR_EL2", read_sysreg(S3_4_C12_C11_3));
        write_sysreg(S3_4_C12_C12_0, 0xffffffffffffffffUL);
        put_line_hex("ICH_LR0_EL2 after ~0", read_sysreg(S3_4_C12_C12_0));
        write_sysreg(S3_4_C12_C12_0, 0);
        put_line_hex("CNTHCTL_EL2", read_sysreg(cnthctl_el2));
    }
    return 0;
}
