/* Shared by the selfdebug/ images: an identity map with the EL1 MMU on (Normal RAM, so unaligned
 * accesses, exclusives and DC ZVA behave as on Normal memory), and the EL2 side of an image that
 * entered at EL2: it drops to EL1 and serves HVCs (set MDCR_EL2, PSCI forwarded by SMC). */
#ifndef SELFDEBUG_SD_H
#define SELFDEBUG_SD_H
#include <stdint.h>
#include "gic.h"

/* Turns the EL1&0 stage 1 MMU on: 0-1 GiB Device-nGnRnE, 1-2 GiB Normal WB (EL1 only). */
void sd_mmu_on(void);
/* At EL2: HCR_EL2.RW, vectors at both ELs, MDCR_EL2 = mdcr, then continues at `el1_main` at
 * EL1h (DAIF masked) on its own stack. Does not return. */
void sd_drop_to_el1(void (*el1_main)(void), uint64_t mdcr) __attribute__((noreturn));
/* From EL1 under sd_drop_to_el1: MDCR_EL2 = v (an HVC the EL2 side serves). */
void sd_set_mdcr_el2(uint64_t v);
/* The EL2 side of vector_handler: true when it served an HVC from EL1. */
int sd_el2_hvc(unsigned kind, struct frame *f);

#define HVC_SET_MDCR 0xc6000100u
#endif
