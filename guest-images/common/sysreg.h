/* Tiny system-register helpers shared by the C parts of the guests. */
#ifndef GUEST_SYSREG_H
#define GUEST_SYSREG_H

#include <stdint.h>

/* Exception level the guest runs at: 1 or 2 (CurrentEL[3:2]). */
static inline unsigned current_el(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, CurrentEL" : "=r"(v));
    return (unsigned)((v >> 2) & 3);
}

#endif
