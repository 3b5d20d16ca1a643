/* Helpers of the selfdebug/ images (see sd.h). */
#include "sd.h"
#include "psci.h"
#include "sysreg.h"

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint8_t el1_stack[0x4000] __attribute__((aligned(16)));

void sd_mmu_on(void)
{
    const uint64_t af = 1u << 10;
    l1[0] = 0x00000000u | af | (1u << 2) | (1ull << 53) | (1ull << 54) | 1; /* Device, AttrIndx 1, XN */
    l1[1] = 0x40000000u | af | (3u << 8) | 1;                               /* Normal, Inner Shareable */
    dsb();
    write_sysreg(mair_el1, 0x00ffu);
    write_sysreg(tcr_el1, 25u | (1u << 8) | (1u << 10) | (3u << 12) | (1u << 23) | (2ull << 32));
    write_sysreg(ttbr0_el1, (uint64_t)l1);
    isb();
    __asm__ volatile("tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | (1u << 2) | (1u << 12)); /* M, C, I */
    isb();
}

void sd_drop_to_el1(void (*el1_main)(void), uint64_t mdcr)
{
    write_sysreg(hcr_el2, 1ull << 31); /* RW */
    write_sysreg(mdcr_el2, mdcr);
    write_sysreg(vbar_el2, (uint64_t)gic_vectors);
    write_sysreg(vbar_el1, (uint64_t)gic_vectors);
    write_sysreg(sp_el1, (uint64_t)(el1_stack + sizeof(el1_stack)));
    write_sysreg(elr_el2, (uint64_t)el1_main);
    write_sysreg(spsr_el2, 0x3c5); /* EL1h, DAIF masked */
    isb();
    __asm__ volatile("eret");
    __builtin_unreachable();
}

void sd_set_mdcr_el2(uint64_t v)
{
    register uint64_t x0 __asm__("x0") = HVC_SET_MDCR;
    register uint64_t x1 __asm__("x1") = v;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) :: "memory");
}

int sd_el2_hvc(unsigned kind, struct frame *f)
{
    if (current_el() != 2 || kind != 8 || (read_sysreg(esr_el2) >> 26) != 0x16)
        return 0;
    if (f->x[0] == HVC_SET_MDCR) {
        write_sysreg(mdcr_el2, f->x[1]);
        isb();
    } else if (f->x[0] == PSCI_SYSTEM_OFF) {
        psci_system_off(); /* by SMC from EL2 */
    } else {
        f->x[0] = (uint64_t)-1; /* NOT_SUPPORTED */
    }
    return 1;
}
