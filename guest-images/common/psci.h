/* PSCI calls. The conduit is HVC at EL1 and SMC at EL2, as on QEMU `virt`. */
#ifndef GUEST_PSCI_H
#define GUEST_PSCI_H

#include <stdint.h>

#define PSCI_VERSION     0x84000000u
#define PSCI_SYSTEM_OFF  0x84000008u

uint64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
void psci_system_off(void) __attribute__((noreturn));

#endif
