/*
 * Entry of the C benchmarks that may use FP/SIMD (fpcompute*.elf, kernels*.elf). This file is built
 * with -mgeneral-regs-only, so nothing here touches the FP/SIMD registers gcc may use in the
 * benchmark before they are enabled: enable FP/SIMD (CPACR_EL1.FPEN = 0b11 at EL1,
 * CPTR_EL2.TFP = 0 at EL2), then run the benchmark's bench_main().
 */
#include <stdint.h>
#include "sysreg.h"

int bench_main(void);

int main(void)
{
    if (current_el() == 2) {
        uint64_t v;
        __asm__ volatile("mrs %0, cptr_el2" : "=r"(v));
        v &= ~(1ul << 10);
        __asm__ volatile("msr cptr_el2, %0\n\tisb" : : "r"(v));
    } else {
        uint64_t v = 3ul << 20;
        __asm__ volatile("msr cpacr_el1, %0\n\tisb" : : "r"(v));
    }
    return bench_main();
}
