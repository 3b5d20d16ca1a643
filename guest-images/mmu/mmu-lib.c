/* Support code shared by the MMU guest images: see mmu.h. */
#include "mmu.h"

#define POOL_PAGES 48
static u64 pool[POOL_PAGES][512] __attribute__((aligned(65536))); /* concatenated roots need n-page alignment */
static unsigned pool_used;

u64 *alloc_tables(unsigned n)
{
    while (pool_used % n)
        pool_used++;
    if (pool_used + n > POOL_PAGES) {
        puts("page-table pool exhausted\n");
        for (;;)
            ;
    }
    u64 *t = pool[pool_used];
    pool_used += n;
    for (unsigned i = 0; i < 512 * n; i++)
        t[i] = 0;
    return t;
}

u64 *alloc_table(void)
{
    return alloc_tables(1);
}

static unsigned index_at(u64 addr, int level, int start, int start_bits)
{
    unsigned shift = 12 + 9 * (3 - level);
    u64 mask = level == start ? (1UL << start_bits) - 1 : 511;
    return (unsigned)((addr >> shift) & mask);
}

u64 *pt_map(u64 *root, int start, int start_bits, u64 addr, int leaf_level, u64 leaf, u64 table_attrs)
{
    u64 *t = root;
    for (int level = start;; level++) {
        u64 *slot = &t[index_at(addr, level, start, start_bits)];
        if (level == leaf_level) {
            *slot = leaf;
            return slot;
        }
        if ((*slot & 3) != 3)
            *slot = (u64)alloc_table() | D_TABLE | table_attrs;
        t = (u64 *)(*slot & 0x0000fffffffff000UL);
    }
}

u64 *pt_slot(u64 *root, int start, int start_bits, u64 addr, int level)
{
    u64 *t = root;
    for (int l = start;; l++) {
        u64 *slot = &t[index_at(addr, l, start, start_bits)];
        if (l == level)
            return slot;
        t = (u64 *)(*slot & 0x0000fffffffff000UL);
    }
}

unsigned cur_el(void)
{
    return (unsigned)((SYSREG_READ(CurrentEL) >> 2) & 3);
}

u64 get_elr(void)
{
    return cur_el() == 2 ? SYSREG_READ(elr_el2) : SYSREG_READ(elr_el1);
}

void set_elr(u64 v)
{
    if (cur_el() == 2)
        SYSREG_WRITE(elr_el2, v);
    else
        SYSREG_WRITE(elr_el1, v);
}

/* Called by mmu-vectors.S with the saved registers and the vector index. */
int mmu_exception(struct frame *f, unsigned vec)
{
    u64 esr, far;
    if (cur_el() == 2) {
        esr = SYSREG_READ(esr_el2);
        far = SYSREG_READ(far_el2);
    } else {
        esr = SYSREG_READ(esr_el1);
        far = SYSREG_READ(far_el1);
    }
    return on_exception(f, vec, esr, far, get_elr());
}

void print_hex(const char *label, u64 v)
{
    putc(' ');
    puts(label);
    putc('=');
    put_hex64(v);
}

void nl(void)
{
    putc('\n');
}

/* EL1&0 stage 1 on: MAIR_EL1, TCR_EL1, TTBR0_EL1, TLBI VMALLE1, then SCTLR_EL1.M, C and I. */
void el1_stage1_on(u64 tcr, u64 ttbr0)
{
    SYSREG_WRITE(mair_el1, MAIR_VALUE);
    SYSREG_WRITE(tcr_el1, tcr);
    SYSREG_WRITE(ttbr0_el1, ttbr0);
    DSB(ish);
    TLBI0(vmalle1);
    DSB(ish);
    ISB();
    SYSREG_WRITE(sctlr_el1, SYSREG_READ(sctlr_el1) | 1 | (1 << 2) | (1 << 12));
    ISB();
}

/* At EL2: stage 2 for EL1&0 with this VTTBR_EL2 and VTCR_EL2, HCR_EL2 = RW | VM, SCTLR_EL1 at its
 * reset value (stage 1 off), all EL1&0 TLB entries invalidated. */
void el2_stage2_on(u64 vttbr, u64 vtcr)
{
    SYSREG_WRITE(vttbr_el2, vttbr);
    SYSREG_WRITE(vtcr_el2, vtcr);
    SYSREG_WRITE(hcr_el2, (1UL << 31) | 1UL); /* RW, VM */
    SYSREG_WRITE(sctlr_el1, 0x30d00800UL);
    DSB(ish);
    TLBI0(alle1);
    DSB(ish);
    ISB();
}
