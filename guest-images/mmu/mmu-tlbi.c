/*
 * mmu-tlbi.elf: TLB maintenance (QEMU -M virt,virtualization=on). For every
 * TLBI operation: map a VA, read it (the translation may now be cached),
 * remap it to another page, read it again (either value is architecturally
 * allowed, so only "old-or-new" is printed), issue the TLBI, and read it a
 * third time: the new mapping must be seen. Covered: ALLE2, VAE2, VALE2 on the
 * EL2 regime (host stage 1); VMALLE1, VAE1, VALE1, VAAE1, VAALE1, ASIDE1 (and
 * IS forms) executed by an EL1 guest on its stage 1; IPAS2E1IS + VMALLE1IS,
 * IPAS2LE1 + VMALLE1, VMALLS12E1IS and ALLE1 executed by the host on the
 * guest's stage 2. Also: two ASIDs and two VMIDs mapping the same address
 * differently each see their own mapping.
 */
#include "mmu.h"

#define TEST_VA   0x10000000UL
#define DATA      0x47000000UL            /* data pages: page i holds bytes i+1 */
#define IPA_T     (DATA + 0x10000)        /* guest IPA remapped at stage 2 */

static u64 guest_stack[1024] __attribute__((aligned(16)));
static u64 *g_pte;                        /* guest stage-1 PTE of TEST_VA (ASID 1 tables) */
static u64 *g_root_a, *g_root_b;
static u64 *s2_pte;                       /* host stage-2 PTE of IPA_T */
static u64 *h_pte;                        /* host EL2 stage-1 PTE of TEST_VA */
static u64 *s2root_a, *s2root_b;

static u64 page_value(unsigned i)
{
    return 0x0101010101010101UL * (i + 1);
}

static u64 g1page(u64 pa)
{
    return pa | D_TABLE | D_AF | D_SH_INNER | ATTR_NORMAL | D_NG;
}

static u64 s2page(u64 pa)
{
    return pa | D_TABLE | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER;
}

int on_exception(struct frame *f, unsigned vec, u64 esr, u64 far, u64 elr)
{
    (void)f;
    (void)vec;
    if ((esr >> 26) == 0x16 || (esr >> 26) == 0x15)
        return 1;                         /* HVC/SVC from the lower level: done */
    puts("unexpected exception");
    print_hex("el", cur_el());
    print_hex("esr", esr);
    print_hex("far", far);
    print_hex("elr", elr);
    nl();
    for (;;)
        ;
}

static u64 load(u64 va)
{
    return *(volatile u64 *)va;
}

static void result(const char *name, u64 before, u64 middle, u64 after, u64 old, u64 new)
{
    puts(name);
    puts(":");
    print_hex("before", before);
    puts(middle == old || middle == new ? " remapped=old-or-new" : " remapped=WRONG");
    print_hex("after-tlbi", after);
    nl();
}

/* ---- EL1 guest ---------------------------------------------------------- */

enum { OP_VMALLE1, OP_VMALLE1IS, OP_VAE1, OP_VAE1IS, OP_VALE1, OP_VALE1IS, OP_VAAE1, OP_VAAE1IS,
       OP_VAALE1, OP_VAALE1IS, OP_ASIDE1, OP_ASIDE1IS, OP_COUNT };
static const char *const op_names[OP_COUNT] = {
    "VMALLE1", "VMALLE1IS", "VAE1", "VAE1IS", "VALE1", "VALE1IS", "VAAE1", "VAAE1IS",
    "VAALE1", "VAALE1IS", "ASIDE1", "ASIDE1IS",
};

static void guest_tlbi(unsigned op)
{
    u64 va = TEST_VA >> 12, asid = 1UL << 48;
    DSB(ishst);
    switch (op) {
    case OP_VMALLE1: TLBI0(vmalle1); break;
    case OP_VMALLE1IS: TLBI0(vmalle1is); break;
    case OP_VAE1: TLBI(vae1, asid | va); break;
    case OP_VAE1IS: TLBI(vae1is, asid | va); break;
    case OP_VALE1: TLBI(vale1, asid | va); break;
    case OP_VALE1IS: TLBI(vale1is, asid | va); break;
    case OP_VAAE1: TLBI(vaae1, va); break;
    case OP_VAAE1IS: TLBI(vaae1is, va); break;
    case OP_VAALE1: TLBI(vaale1, va); break;
    case OP_VAALE1IS: TLBI(vaale1is, va); break;
    case OP_ASIDE1: TLBI(aside1, asid); break;
    case OP_ASIDE1IS: TLBI(aside1is, asid); break;
    }
    DSB(ish);
    ISB();
}

static __attribute__((noinline)) u64 guest_ops(u64 unused)
{
    (void)unused;
    for (unsigned op = 0; op < OP_COUNT; op++) {
        unsigned a = op % 6, b = a + 1;
        *g_pte = g1page(DATA + a * 0x1000);
        guest_tlbi(OP_VMALLE1);
        u64 v1 = load(TEST_VA);
        *g_pte = g1page(DATA + b * 0x1000);
        DSB(ish);
        u64 v2 = load(TEST_VA);
        guest_tlbi(op);
        u64 v3 = load(TEST_VA);
        result(op_names[op], v1, v2, v3, page_value(a), page_value(b));
    }
    /* Two ASIDs, one VA: each sees its own page whatever the TLB holds. */
    *g_pte = g1page(DATA + 0x2000);
    guest_tlbi(OP_VMALLE1);
    puts("ASID 1 then 2 then 1:");
    for (int i = 0; i < 3; i++) {
        SYSREG_WRITE(ttbr0_el1, (i == 1 ? (u64)g_root_b | (2UL << 48) : (u64)g_root_a | (1UL << 48)));
        ISB();
        print_hex("value", load(TEST_VA));
    }
    SYSREG_WRITE(ttbr0_el1, (u64)g_root_a | (1UL << 48));
    ISB();
    nl();
    /* Stage-2 tests: TEST_VA → IPA_T, remapped by the host. */
    *g_pte = g1page(IPA_T);
    guest_tlbi(OP_VMALLE1);
    return 0;
}

static __attribute__((noinline)) u64 guest_setup(u64 tables)
{
    u64 *l1a = (u64 *)tables, *l2a = l1a + 512, *l3a = l1a + 1024;
    u64 *l1b = l1a + 1536, *l2b = l1a + 2048, *l3b = l1a + 2560;
    for (int i = 0; i < 3072; i++)
        l1a[i] = 0;
    u64 ram = 0x40000000UL | D_BLOCK | D_AF | D_SH_INNER | ATTR_NORMAL;
    u64 uart = UART_PA | D_BLOCK | D_AF | ATTR_DEVICE | D_PXN | D_UXN;
    l1a[1] = l1b[1] = ram;
    l1a[0] = (u64)l2a | D_TABLE;
    l1b[0] = (u64)l2b | D_TABLE;
    l2a[UART_PA >> 21] = l2b[UART_PA >> 21] = uart;
    l2a[TEST_VA >> 21] = (u64)l3a | D_TABLE;
    l2b[TEST_VA >> 21] = (u64)l3b | D_TABLE;
    l3b[0] = g1page(DATA + 0x7000);
    g_pte = &l3a[0];
    g_root_a = l1a;
    g_root_b = l1b;
    el1_stage1_on(25UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 23) | (2UL << 30) | (2UL << 32), (u64)l1a | (1UL << 48));
    puts("guest: stage 1 on\n");
    return 0;
}

static __attribute__((noinline)) u64 guest_load(u64 va)
{
    return load(va);
}

/* ---- EL2 host ----------------------------------------------------------- */

static u64 run_guest(u64 (*fn)(u64), u64 arg)
{
    return run_lower((u64)fn, arg, (u64)&guest_stack[1024]);
}

static void host_tlbi_el2(int op)
{
    DSB(ishst);
    if (op == 0)
        TLBI0(alle2);
    else if (op == 1)
        TLBI0(alle2is);
    else if (op == 2)
        TLBI(vae2, TEST_VA >> 12);
    else if (op == 3)
        TLBI(vae2is, TEST_VA >> 12);
    else if (op == 4)
        TLBI(vale2, TEST_VA >> 12);
    else
        TLBI(vale2is, TEST_VA >> 12);
    DSB(ish);
    ISB();
}

static void host_tlbi_s2(int op)
{
    DSB(ishst);
    switch (op) {
    case 0: TLBI(ipas2e1is, IPA_T >> 12); DSB(ish); TLBI0(vmalle1is); break;
    case 1: TLBI(ipas2le1, IPA_T >> 12); DSB(ish); TLBI0(vmalle1); break;
    case 2: TLBI0(vmalls12e1is); break;
    case 3: TLBI0(vmalls12e1); break;
    case 4: TLBI0(alle1); break;
    default: TLBI0(alle1is); break;
    }
    DSB(ish);
    ISB();
}

int main(void)
{
    static const char *const el2_names[] = { "ALLE2", "ALLE2IS", "VAE2", "VAE2IS", "VALE2", "VALE2IS" };
    static const char *const s2_names[] = {
        "IPAS2E1IS+VMALLE1IS", "IPAS2LE1+VMALLE1", "VMALLS12E1IS", "VMALLS12E1", "ALLE1", "ALLE1IS",
    };
    puts("mmu-tlbi: TLB maintenance\n");
    install_vectors();
    for (unsigned i = 0; i < 16; i++)
        for (unsigned j = 0; j < 512; j++)
            ((u64 *)(DATA + i * 0x1000))[j] = page_value(i);

    /* EL2 stage 1: RAM, UART and TEST_VA. AP[1] is RES1 at EL2. */
    u64 *h1 = alloc_table();
    pt_map(h1, 1, 9, 0x40000000UL, 1, 0x40000000UL | D_BLOCK | D_AF | D_AP_EL0 | D_SH_INNER | ATTR_NORMAL, 0);
    pt_map(h1, 1, 9, UART_PA, 2, UART_PA | D_BLOCK | D_AF | D_AP_EL0 | ATTR_DEVICE | D_UXN, 0);
    h_pte = pt_map(h1, 1, 9, TEST_VA, 3, 0, 0);
    SYSREG_WRITE(mair_el2, MAIR_VALUE);
    SYSREG_WRITE(tcr_el2, (1UL << 31) | (1UL << 23) | 25UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (2UL << 16));
    SYSREG_WRITE(ttbr0_el2, (u64)h1);
    DSB(ish);
    TLBI0(alle2);
    DSB(ish);
    ISB();
    SYSREG_WRITE(sctlr_el2, SYSREG_READ(sctlr_el2) | 1 | (1 << 2) | (1 << 12));
    ISB();
    puts("host: EL2 stage 1 on\n");
    for (int op = 0; op < 6; op++) {
        unsigned a = 8 + op % 3, b = a + 1;
        *h_pte = (DATA + a * 0x1000) | D_TABLE | D_AF | D_AP_EL0 | D_SH_INNER | ATTR_NORMAL;
        host_tlbi_el2(0);
        u64 v1 = load(TEST_VA);
        *h_pte = (DATA + b * 0x1000) | D_TABLE | D_AF | D_AP_EL0 | D_SH_INNER | ATTR_NORMAL;
        DSB(ish);
        u64 v2 = load(TEST_VA);
        host_tlbi_el2(op);
        result(el2_names[op], v1, v2, load(TEST_VA), page_value(a), page_value(b));
    }

    /* Stage 2 for the guest: RAM identity (2 MiB blocks), DATA by pages, UART. */
    for (int k = 0; k < 2; k++) {
        u64 *root = alloc_tables(2);
        for (u64 a = 0x40000000UL; a < 0x48000000UL; a += 0x200000UL)
            if (a != DATA)
                pt_map(root, 1, 10, a, 2, a | D_BLOCK | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER, 0);
        for (u64 p = DATA; p < DATA + 0x20000; p += 0x1000)
            pt_map(root, 1, 10, p, 3, s2page(p), 0);
        pt_map(root, 1, 10, UART_PA, 2, UART_PA | D_BLOCK | D_AF | S2_R | S2_W | S2_DEVICE, 0);
        if (k == 0) {
            s2root_a = root;
            s2_pte = pt_slot(root, 1, 10, IPA_T, 3);
        } else {
            s2root_b = root;
            *pt_slot(root, 1, 10, IPA_T, 3) = s2page(DATA + 0xf000);
        }
    }
    el2_stage2_on((u64)s2root_a | (1UL << 48), (1UL << 31) | 24UL | (1UL << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (2UL << 16) | (1UL << 19));

    run_guest(guest_setup, (u64)alloc_tables(8));
    run_guest(guest_ops, 0);

    for (int op = 0; op < 6; op++) {
        unsigned a = 11 + op % 2, b = a + 1;
        *s2_pte = s2page(DATA + a * 0x1000);
        DSB(ish);
        TLBI0(vmalls12e1);
        DSB(ish);
        u64 v1 = run_guest(guest_load, TEST_VA);
        *s2_pte = s2page(DATA + b * 0x1000);
        DSB(ish);
        u64 v2 = run_guest(guest_load, TEST_VA);
        host_tlbi_s2(op);
        result(s2_names[op], v1, v2, run_guest(guest_load, TEST_VA), page_value(a), page_value(b));
    }

    /* Two VMIDs, one IPA: each sees its own page. */
    puts("VMID 1 then 2 then 1:");
    for (int i = 0; i < 3; i++) {
        SYSREG_WRITE(vttbr_el2, i == 1 ? (u64)s2root_b | (2UL << 48) : (u64)s2root_a | (1UL << 48));
        ISB();
        print_hex("value", run_guest(guest_load, TEST_VA));
    }
    nl();
    puts("done\n");
    return 0;
}
