/*
 * mmu-el2.elf: stage 2 at EL2 (QEMU -M virt,virtualization=on). The host at
 * EL2 builds a stage-2 table for a 40-bit IPA space (VTCR_EL2.T0SZ=24, SL0=1:
 * level 1 start with 2 concatenated tables, as Linux sets it up), enters a
 * guest at EL1 with ERET, and handles its stage-2 faults: it prints ESR_EL2,
 * FAR_EL2 and HPFAR_EL2, fixes the mapping (map, make writable, set AF, clear
 * XN) with TLBI IPAS2E1IS + VMALLE1IS, and resumes the guest. Guest UART
 * accesses are emulated MMIO (ISV syndrome). The guest then turns on its own
 * stage 1 with a table the host has not mapped yet (S1PTW fault), and runs an
 * AT whose stage-1 walk faults at stage 2 (data abort to EL2 with CM set).
 */
#include "mmu.h"

#define TEST_IPA   0x47000000UL   /* 2 MiB of IPA mapped by a level-3 table */
#define GUEST_VA   0x10000000UL
#define VMID       0x42UL

static u64 *s2root, *s2l3;
static u64 guest_stack[1024] __attribute__((aligned(16)));
static unsigned mmio_reads, mmio_writes;
static u64 last_mmio_esr;
static int guest_faults;

static void s2_tlbi(u64 ipa)
{
    DSB(ishst);
    TLBI(ipas2e1is, ipa >> 12);
    DSB(ish);
    TLBI0(vmalle1is);
    DSB(ish);
    ISB();
}

/* Host: stage-2 faults and HVC from the guest. */
static int host_exception(struct frame *f, u64 esr, u64 far)
{
    unsigned ec = (unsigned)(esr >> 26);
    if (ec == 0x16)                       /* HVC #0: the guest is done */
        return 1;
    if (ec != 0x24 && ec != 0x20) {
        puts("host: unexpected esr=");
        put_hex64(esr);
        nl();
        for (;;)
            ;
    }
    u64 hpfar = SYSREG_READ(hpfar_el2);
    u64 ipa = (hpfar >> 4) << 12;
    if (ipa == UART_PA && (esr & (1UL << 24))) { /* emulated MMIO: ISV */
        unsigned srt = (unsigned)(esr >> 16) & 31;
        volatile u32 *reg = (volatile u32 *)(UART_PA + (far & 0xfff));
        if (esr & (1UL << 6)) {
            *reg = srt == 31 ? 0 : (u32)f->x[srt];
            mmio_writes++;
        } else {
            if (srt != 31)
                f->x[srt] = 0;            /* UARTFR: transmit FIFO never full */
            mmio_reads++;
        }
        last_mmio_esr = esr;
        set_elr(get_elr() + 4);
        return 0;
    }
    puts("host: stage-2 fault");
    print_hex("esr", esr);
    print_hex("far", far);
    print_hex("hpfar", hpfar);
    nl();
    unsigned fsc = (unsigned)esr & 0x3c;
    u64 *d = &s2l3[(ipa >> 12) & 511];
    if ((ipa & ~0x1fffffUL) != TEST_IPA) {
        puts("host: fault outside the test region\n");
        for (;;)
            ;
    }
    if (fsc == 0x04)                      /* translation: map the page */
        *d = ipa | D_TABLE | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER;
    else if (fsc == 0x08)                 /* access flag */
        *d |= D_AF;
    else if (fsc == 0x0c)                 /* permission: RW, executable */
        *d = (*d | S2_R | S2_W) & ~S2_XN(3);
    s2_tlbi(ipa);
    return 0;                             /* retry the access */
}

/* Guest (EL1): stage-1 faults, printed and skipped. */
static int guest_exception(struct frame *f, u64 esr, u64 far)
{
    (void)f;
    guest_faults++;
    puts("guest: stage-1 fault");
    print_hex("esr", esr);
    print_hex("far", far);
    nl();
    set_elr(get_elr() + 4);
    return 0;
}

int on_exception(struct frame *f, unsigned vec, u64 esr, u64 far, u64 elr)
{
    (void)vec;
    (void)elr;
    return cur_el() == 2 ? host_exception(f, esr, far) : guest_exception(f, esr, far);
}

static void guest_print(const char *what, u64 v)
{
    puts("guest: ");
    puts(what);
    print_hex("value", v);
    nl();
}

static __attribute__((noinline)) u64 guest_main(u64 arg)
{
    install_vectors();                    /* VBAR_EL1 */
    puts("guest: hello from EL1 through emulated MMIO\n");
    guest_print("load unmapped IPA", probe_load(TEST_IPA + 0x10));
    probe_store(TEST_IPA + 0x1010, 0x1234);
    guest_print("store to read-only IPA, then load", probe_load(TEST_IPA + 0x1010));
    guest_print("load with stage-2 AF clear", probe_load(TEST_IPA + 0x2000));
    guest_print("exec stage-2 XN page", probe_exec(TEST_IPA + 0x4000));

    /* Stage 1: identity 1 GiB block for RAM, GUEST_VA through a level-3
     * table at IPA TEST_IPA + 0x3000, which the host has not mapped yet. */
    u64 *l1 = (u64 *)arg;
    u64 *l2 = l1 + 512;
    for (int i = 0; i < 1024; i++)
        l1[i] = 0;
    l1[1] = 0x40000000UL | D_BLOCK | D_AF | D_SH_INNER | ATTR_NORMAL;
    l1[0] = (u64)l2 | D_TABLE;
    l2[(GUEST_VA >> 21) & 511] = (TEST_IPA + 0x3000) | D_TABLE;
    l2[(UART_PA >> 21) & 511] = UART_PA | D_BLOCK | D_AF | ATTR_DEVICE | D_PXN | D_UXN;
    l2[((GUEST_VA >> 21) + 1) & 511] = (TEST_IPA + 0x6000) | D_TABLE; /* for AT */
    el1_stage1_on(25UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 23) | (2UL << 30) | (2UL << 32), (u64)l1);
    puts("guest: stage 1 on\n");
    guest_print("load through unmapped stage-1 table", probe_load(GUEST_VA + 0x20));
    guest_print("stage-1 invalid page", probe_load(GUEST_VA + 0x1000));
    AT(s1e1r, GUEST_VA + 0x200000);
    guest_print("AT S1E1R, table unmapped at stage 2: PAR", SYSREG_READ(par_el1));
    return 0x600d;
}

int main(void)
{
    puts("mmu-el2: stage 2 at EL2\n");
    install_vectors();

    /* 40-bit IPA, level 1 start: 2 concatenated tables. */
    s2root = alloc_tables(2);
    u64 normal2m = D_BLOCK | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER;
    for (u64 a = 0x40000000UL; a < 0x48000000UL; a += 0x200000UL)
        if (a != TEST_IPA)
            pt_map(s2root, 1, 10, a, 2, a | normal2m, 0);
    s2l3 = alloc_table();
    *pt_slot(s2root, 1, 10, TEST_IPA, 1) |= 0; /* level-1 table exists (from the loop) */
    *pt_map(s2root, 1, 10, TEST_IPA, 2, (u64)s2l3 | D_TABLE, 0) |= 0;
    /* test pages: +0 unmapped, +1 read-only, +2 AF clear, +3 unmapped (guest stage-1
     * table), +4 XN (ret), +5 data for stage 1, +6 unmapped (AT's table) */
    s2l3[1] = (TEST_IPA + 0x1000) | D_TABLE | D_AF | S2_R | S2_NORMAL | D_SH_INNER;
    s2l3[2] = (TEST_IPA + 0x2000) | D_TABLE | S2_R | S2_W | S2_NORMAL | D_SH_INNER;
    s2l3[4] = (TEST_IPA + 0x4000) | D_TABLE | D_AF | S2_R | S2_W | S2_XN(2) | S2_NORMAL | D_SH_INNER;
    s2l3[5] = (TEST_IPA + 0x5000) | D_TABLE | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER;
    for (u64 i = 0; i < 8; i++)
        for (u64 j = 0; j < 512; j++)
            ((u64 *)(TEST_IPA + i * 0x1000))[j] = 0x0101010101010101UL * (i + 1);
    *(u32 *)(TEST_IPA + 0x4000) = 0xd65f03c0; /* ret */
    /* the guest's level-3 tables (at PA = IPA): VA page 0 → TEST_IPA + 0x5000 */
    u64 *g3 = (u64 *)(TEST_IPA + 0x3000), *g3b = (u64 *)(TEST_IPA + 0x6000);
    for (int i = 0; i < 512; i++)
        g3[i] = g3b[i] = 0;
    g3[0] = (TEST_IPA + 0x5000) | D_TABLE | D_AF | D_SH_INNER | ATTR_NORMAL;
    g3b[0] = (TEST_IPA + 0x5000) | D_TABLE | D_AF | D_SH_INNER | ATTR_NORMAL;

    el2_stage2_on((u64)s2root | (VMID << 48), (1UL << 31) | 24UL | (1UL << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (2UL << 16) | (1UL << 19));

    u64 *guest_tables = alloc_tables(2);
    u64 r = run_lower((u64)guest_main, (u64)guest_tables, (u64)&guest_stack[1024]);
    puts("host: guest returned");
    print_hex("x0", r);
    nl();
    puts("host: emulated MMIO");
    print_hex("reads", mmio_reads);
    print_hex("writes", mmio_writes);
    print_hex("last-esr", last_mmio_esr);
    nl();
    puts("host: guest stage-1 faults");
    print_hex("count", (u64)guest_faults);
    nl();
    puts("done\n");
    return 0;
}
