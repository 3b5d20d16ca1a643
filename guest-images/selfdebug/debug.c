/* selfdebug-debug.elf: the self-hosted debug exceptions (Arm ARM D2), in the manner of
 * kvm-unit-tests' arm/debug.c. At EL1: BRK; a hardware breakpoint (taken only with MDSCR_EL1.KDE,
 * PSTATE.D clear and the OS lock unlocked); watchpoints (the byte BAS selects, an unaligned store
 * overlapping it, LDP, DC ZVA, a MASK block) with FAR and WnR; software step over five instructions
 * with an LDXR (ESR ISV/EX). Entered at EL2 it runs BRK at EL2, drops to EL1, runs the same and
 * then, with MDCR_EL2.TDE, sees BRK, a breakpoint and a watchpoint routed to EL2.
 * Addresses are printed as offsets from what they must equal. */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"
#include "sd.h"
#include "psci.h"

#define MDSCR_SS  (1u << 0)
#define MDSCR_KDE (1u << 13)
#define MDSCR_MDE (1u << 15)
#define SPSR_SS   (1u << 21)
#define BCR_EL1   (1u | (3u << 1) | (0xfu << 5))    /* E, PMC = EL0 and EL1, BAS = 0b1111 */
#define WCR(lsc, bas, mask) (1u | (3u << 1) | ((lsc) << 3) | ((bas) << 5) | ((uint64_t)(mask) << 24))
#define LSC_LOAD 1u
#define LSC_STORE 2u

struct rec { unsigned el; uint64_t ec, iss, far, elr; };
static volatile struct rec last;
static volatile unsigned nexc;
static volatile unsigned nstep;
static uint64_t step_elr[8], step_iss[8];
extern char step_region[], step_end[];
extern uint64_t step_run(uint64_t *p);

static uint64_t wdata[4] __attribute__((aligned(64)));
static uint8_t zva[128] __attribute__((aligned(64)));
static uint8_t page[8192] __attribute__((aligned(4096)));

/* step_run(p): ERET to step_region at EL1 with PSTATE.SS = 1 and PSTATE.D = 0, where each
 * instruction is stepped; returns x9 (3) at step_end. */
__asm__(
    "    .text\n"
    "    .globl step_run\n"
    "step_run:\n"
    "    mov x11, x0\n"
    "    mov x9, #0\n"
    "    adr x1, step_region\n"
    "    msr elr_el1, x1\n"
    "    mov x1, #0x1c5\n"          /* EL1h, A I F masked, D clear */
    "    orr x1, x1, #(1 << 21)\n"  /* SS */
    "    msr spsr_el1, x1\n"
    "    isb\n"
    "    eret\n"
    "    .globl step_region\n"
    "step_region:\n"
    "    add x9, x9, #1\n"
    "    ldxr x10, [x11]\n"
    "    add x9, x9, #1\n"
    "    stxr w12, x10, [x11]\n"
    "    add x9, x9, #1\n"
    "    .globl step_end\n"
    "step_end:\n"
    "    mov x0, x9\n"
    "    ret\n");

__attribute__((noinline)) static int bp_func(int x)
{
    __asm__ volatile("" ::: "memory");
    return x * 3 + 1;
}

void vector_handler(unsigned kind, struct frame *f)
{
    if (sd_el2_hvc(kind, f))
        return;
    unsigned el = current_el();
    uint64_t esr = el == 2 ? read_sysreg(esr_el2) : read_sysreg(esr_el1);
    uint64_t far = el == 2 ? read_sysreg(far_el2) : read_sysreg(far_el1);
    uint64_t ec = esr >> 26;
    if (ec == 0x32 || ec == 0x33) { /* software step: go on until step_end */
        if (nstep < 8) { step_elr[nstep] = f->elr; step_iss[nstep] = esr & 0x1ffffff; }
        nstep++;
        if (f->elr == (uint64_t)step_end) {
            write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~(uint64_t)MDSCR_SS);
            f->spsr &= ~(uint64_t)SPSR_SS;
        } else {
            f->spsr |= SPSR_SS;
        }
        return;
    }
    last.el = el; last.ec = ec; last.iss = esr & 0x1ffffff; last.far = far; last.elr = f->elr;
    nexc++;
    switch (ec) {
    case 0x3c: f->elr += 4; break;                          /* BRK: go on after it */
    case 0x30: case 0x31: write_sysreg(dbgbcr0_el1, 0); isb(); break; /* run the instruction */
    case 0x34: case 0x35: write_sysreg(dbgwcr0_el1, 0); isb(); break; /* do the access */
    default:
        puts("unexpected exception: EC 0x"); put_hex(ec, 2); puts(" ELR 0x"); put_hex64(f->elr);
        puts(" vector "); put_dec(kind); putc('\n');
        for (;;)
            ;
    }
}

static void show(const char *what, uint64_t base)
{
    puts(what);
    if (!nexc) { puts(": no exception\n"); return; }
    puts(": EL"); putc((char)('0' + last.el));
    puts(" EC 0x"); put_hex(last.ec, 2);
    puts(" ISS 0x"); put_hex(last.iss, 7);
    puts(" ELR-site "); put_dec(last.elr - base);
    putc('\n');
}

static void show_far(const char *what, uint64_t base)
{
    show(what, last.elr);
    if (nexc) { puts("  FAR-base "); put_dec(last.far - base); puts(", WnR "); put_dec((last.iss >> 6) & 1); putc('\n'); }
}

static void mdscr(uint64_t v) { write_sysreg(mdscr_el1, v); isb(); }
static void d_clear(void) { __asm__ volatile("msr daifclr, #8\n isb" ::: "memory"); }
static void d_set(void) { __asm__ volatile("msr daifset, #8\n isb" ::: "memory"); }

static uint64_t do_brk(void)
{
    uint64_t site;
    nexc = 0;
    __asm__ volatile("adr %0, 1f\n1: brk #0x1234" : "=r"(site) :: "memory");
    return site;
}

static void bp_arm(void)
{
    write_sysreg(dbgbvr0_el1, (uint64_t)bp_func);
    write_sysreg(dbgbcr0_el1, BCR_EL1);
    isb();
}

static void bp_try(const char *what)
{
    nexc = 0;
    int r = bp_func(4);
    show(what, (uint64_t)bp_func);
    if (r != 13) puts("  bp_func returned a wrong value\n");
    write_sysreg(dbgbcr0_el1, 0);
    isb();
}

static void wp_arm(uint64_t addr, uint64_t wcr)
{
    write_sysreg(dbgwvr0_el1, addr);
    write_sysreg(dbgwcr0_el1, wcr);
    isb();
    nexc = 0;
}

static void el1_tests(void)
{
    uint64_t site = do_brk();
    show("BRK #0x1234 at EL1", site);

    __asm__ volatile("msr oslar_el1, xzr\n isb" ::: "memory"); /* unlock the OS lock */
    mdscr(MDSCR_MDE | MDSCR_KDE);
    d_clear();
    bp_arm(); bp_try("breakpoint at EL1 (KDE, D clear)");
    d_set();
    bp_arm(); bp_try("breakpoint at EL1 with PSTATE.D set");
    d_clear();
    mdscr(MDSCR_MDE);
    bp_arm(); bp_try("breakpoint at EL1 with KDE clear");
    mdscr(MDSCR_MDE | MDSCR_KDE);
    __asm__ volatile("mov x0, #1\n msr oslar_el1, x0\n isb" ::: "x0", "memory");
    bp_arm(); bp_try("breakpoint at EL1 under the OS lock");
    __asm__ volatile("msr oslar_el1, xzr\n isb" ::: "memory");
    mdscr(0);
    bp_arm(); bp_try("breakpoint at EL1 with MDE clear");
    mdscr(MDSCR_MDE | MDSCR_KDE);

    volatile uint64_t *w = wdata;
    wp_arm((uint64_t)wdata, WCR(LSC_STORE, 0x20, 0)); /* byte 5 of the doubleword, stores */
    w[0] = 0x1111;
    show_far("watchpoint: STR over the watched byte", (uint64_t)wdata);
    puts("  stored after the exception: "); put_dec(w[0] == 0x1111); putc('\n');
    wp_arm((uint64_t)wdata, WCR(LSC_STORE, 0x20, 0));
    __asm__ volatile("str %0, [%1]" :: "r"(0x2222ul), "r"((uint64_t)wdata + 3) : "memory"); /* unaligned */
    show_far("watchpoint: unaligned STR at +3", (uint64_t)wdata);
    wp_arm((uint64_t)wdata, WCR(LSC_STORE, 0x20, 0));
    (void)w[0];
    show_far("watchpoint: LDR of a store watchpoint", (uint64_t)wdata);
    wp_arm((uint64_t)wdata + 8, WCR(LSC_LOAD, 0xff, 0));
    {
        uint64_t a, b;
        __asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"((uint64_t)wdata) : "memory");
    }
    show_far("watchpoint: LDP, second doubleword watched", (uint64_t)wdata);
    for (int i = 0; i < 128; i++) zva[i] = 0xee;
    wp_arm((uint64_t)zva + 0x18, WCR(LSC_STORE, 0xff, 0));
    __asm__ volatile("dc zva, %0" :: "r"((uint64_t)zva + 0x08) : "memory");
    show_far("watchpoint: DC ZVA of the block", (uint64_t)zva);
    puts("  block zeroed after the exception: "); put_dec(zva[0] == 0 && zva[63] == 0 && zva[64] == 0xee); putc('\n');
    wp_arm((uint64_t)page, WCR(LSC_STORE | LSC_LOAD, 0xff, 12)); /* MASK: the 4 KiB page */
    ((volatile uint8_t *)page)[0x800] = 1;
    show_far("watchpoint: MASK 4 KiB, byte store at +0x800", (uint64_t)page);
    wp_arm((uint64_t)page, WCR(LSC_STORE | LSC_LOAD, 0xff, 12));
    ((volatile uint8_t *)page)[0x1000] = 1;
    show_far("watchpoint: MASK 4 KiB, store to the next page", (uint64_t)page);
    write_sysreg(dbgwcr0_el1, 0);

    static uint64_t ex;
    nstep = 0;
    d_set(); /* (with D clear, MDSCR_EL1.SS would step this code too: the ERET below) */
    mdscr(MDSCR_KDE | MDSCR_SS);
    uint64_t x9 = step_run(&ex);
    d_set();
    puts("software step: "); put_dec(nstep); puts(" steps, x9 = "); put_dec(x9); putc('\n');
    for (unsigned i = 0; i < nstep && i < 8; i++) {
        puts("  ELR-region "); put_dec(step_elr[i] - (uint64_t)step_region);
        puts(" ISS 0x"); put_hex(step_iss[i], 7); putc('\n');
    }
    mdscr(MDSCR_MDE | MDSCR_KDE);
}

static int have_el2;

static void el2_routing_tests(void)
{
    /* MDCR_EL2.TDE: debug exceptions from EL1 go to EL2 (and EL1's debug register accesses trap,
     * so the registers are programmed before TDE is set). */
    sd_set_mdcr_el2(1u << 8);
    uint64_t site = do_brk();
    show("BRK at EL1 with MDCR_EL2.TDE", site);
    sd_set_mdcr_el2(0);
    mdscr(MDSCR_MDE); /* KDE clear and PSTATE.D set: EL2 is a higher EL, so still enabled */
    d_set();
    bp_arm();
    sd_set_mdcr_el2(1u << 8);
    nexc = 0;
    int r = bp_func(4);
    sd_set_mdcr_el2(0);
    show("breakpoint at EL1 with TDE (KDE clear, D set)", (uint64_t)bp_func);
    if (r != 13) puts("  bp_func returned a wrong value\n");
    write_sysreg(dbgbcr0_el1, 0);
    wp_arm((uint64_t)wdata, WCR(LSC_STORE, 0xff, 0));
    sd_set_mdcr_el2(1u << 8);
    nexc = 0;
    ((volatile uint64_t *)wdata)[0] = 7;
    sd_set_mdcr_el2(0);
    show_far("watchpoint at EL1 with TDE", (uint64_t)wdata);
    write_sysreg(dbgwcr0_el1, 0);
    mdscr(0);
}

static void el1_main(void)
{
    write_sysreg(vbar_el1, (uint64_t)gic_vectors);
    isb();
    sd_mmu_on();
    puts("at EL1\n");
    el1_tests();
    if (have_el2)
        el2_routing_tests();
    puts("done\n");
    psci_system_off(); /* HVC: QEMU's PSCI, or the EL2 side forwards it by SMC */
}

int main(void)
{
    install_vectors();
    puts("selfdebug-debug at EL");
    putc((char)('0' + current_el()));
    putc('\n');
    if (current_el() == 2) {
        have_el2 = 1;
        uint64_t site = do_brk();
        show("BRK #0x1234 at EL2", site);
        sd_drop_to_el1(el1_main, read_sysreg(mdcr_el2) & 0x1f); /* keep HPMN, no traps */
    }
    el1_main();
    return 0;
}
