/*
 * walkbench.elf: translation-walk benchmark (QEMU -M virt,virtualization=on).
 * The host at EL2 builds a 4-level stage 2 (48-bit IPA, SL0=2) that maps the
 * benchmark region with 4 KiB pages, and enters a guest at EL1 whose stage 1
 * has 4 levels (48-bit VA). The guest then loops ROUNDS times over PAGES
 * pages: TLBI VAE1 of the page, then a load from it, so every load needs a
 * fresh stage-1 walk whose 4 descriptor fetches are translated by stage 2
 * (nested 4+4; the stage-2 translations of the table pages may stay cached,
 * as they do on hardware and in QEMU's stage-2 TLB). Prints a checksum.
 * ROUNDS (default 400) sets the amount of work.
 */
#include "mmu.h"

#ifndef ROUNDS
#define ROUNDS 400
#endif
#define PAGES   1024
#define BENCH_VA  0x1000000000UL          /* 64 GiB: level 0 index 0, level 1 index 64 */
#define BENCH_IPA 0x44000000UL            /* data pages, mapped by 4 KiB pages at stage 2 */

static u64 guest_stack[1024] __attribute__((aligned(16)));

int on_exception(struct frame *f, unsigned vec, u64 esr, u64 far, u64 elr)
{
    (void)f;
    (void)vec;
    if ((esr >> 26) == 0x16)
        return 1;
    puts("unexpected exception");
    print_hex("esr", esr);
    print_hex("far", far);
    print_hex("elr", elr);
    nl();
    for (;;)
        ;
}

static __attribute__((noinline)) u64 guest_bench(u64 tables)
{
    /* Stage 1, 48-bit VA: RAM identity by a 1 GiB block, the benchmark pages by 4 KiB pages
     * whose tables come from `tables` (in the benchmark IPA region: stage 2 maps them by pages). */
    u64 *l0 = (u64 *)tables, *l1 = l0 + 512, *l2 = l0 + 1024, *l3 = l0 + 1536;
    for (int i = 0; i < 512 * 4; i++)
        l0[i] = 0;
    l0[0] = (u64)l1 | D_TABLE;
    l1[1] = 0x40000000UL | D_BLOCK | D_AF | D_SH_INNER | ATTR_NORMAL;
    l1[0] = 0x00000000UL | D_BLOCK | D_AF | ATTR_DEVICE | D_PXN | D_UXN; /* UART */
    l1[(BENCH_VA >> 30) & 511] = (u64)l2 | D_TABLE;
    for (int t = 0; t < PAGES / 512; t++) {
        l2[t] = (u64)(l3 + 512 * t) | D_TABLE;
        for (int i = 0; i < 512; i++) {
            u64 pa = BENCH_IPA + 0x100000 + (u64)(t * 512 + i) * 0x1000;
            l3[512 * t + i] = pa | D_TABLE | D_AF | D_SH_INNER | ATTR_NORMAL | D_NG;
        }
    }
    el1_stage1_on(16UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 23) | (2UL << 30) | (5UL << 32), (u64)l0 | (1UL << 48));

    u64 sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (u64 p = 0; p < PAGES; p++) {
            u64 va = BENCH_VA + p * 0x1000 + (u64)(r & 511) * 8;
            __asm__ volatile("tlbi vae1, %0" : : "r"((1UL << 48) | (va >> 12)) : "memory");
            sum += *(volatile u64 *)va;
        }
    }
    return sum;
}

int main(void)
{
    puts("walkbench: nested 4+4 level walks\n");
    install_vectors();

    /* page p holds p + 8 * word index */
    for (u64 p = 0; p < PAGES; p++)
        for (u64 j = 0; j < 512; j++)
            ((u64 *)(BENCH_IPA + 0x100000 + p * 0x1000))[j] = p + 8 * j;

    /* Stage 2: 48-bit IPA, SL0 = 2 (level 0 start). RAM by 2 MiB blocks, the
     * benchmark region (1 MiB of stage-1 tables + PAGES data pages) by pages. */
    u64 *s2 = alloc_table();
    for (u64 a = 0x40000000UL; a < 0x48000000UL; a += 0x200000UL)
        if (a < BENCH_IPA || a >= BENCH_IPA + 0x600000UL)
            pt_map(s2, 0, 9, a, 2, a | D_BLOCK | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER, 0);
    for (u64 p = BENCH_IPA; p < BENCH_IPA + 0x100000 + PAGES * 0x1000UL; p += 0x1000)
        pt_map(s2, 0, 9, p, 3, p | D_TABLE | D_AF | S2_R | S2_W | S2_NORMAL | D_SH_INNER, 0);
    pt_map(s2, 0, 9, UART_PA, 2, UART_PA | D_BLOCK | D_AF | S2_R | S2_W | S2_DEVICE, 0);
    el2_stage2_on((u64)s2 | (1UL << 48), (1UL << 31) | 16UL | (2UL << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (5UL << 16) | (1UL << 19));

    u64 sum = run_lower((u64)guest_bench, BENCH_IPA, (u64)&guest_stack[1024]);
    puts("checksum");
    print_hex("sum", sum);
    print_hex("loads", (u64)ROUNDS * PAGES);
    nl();
    puts("done\n");
    return 0;
}
