/*
 * Shared support for the MMU guest images (guest-images/mmu): system register
 * access, VMSAv8-64 descriptors (4 KiB granule), a page-table builder over a
 * static pool, exception dispatch with resumable faults, and running code at a
 * lower exception level (EL0 from EL1, EL1 from EL2).
 */
#ifndef MMU_GUEST_H
#define MMU_GUEST_H

#include <stdint.h>
#include "uart.h"

typedef uint64_t u64;
typedef uint32_t u32;

#define SYSREG_READ(r) ({ u64 __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define SYSREG_WRITE(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")
#define ISB() __asm__ volatile("isb" : : : "memory")
#define DSB(o) __asm__ volatile("dsb " #o : : : "memory")
#define TLBI0(op) __asm__ volatile("tlbi " #op : : : "memory")
#define TLBI(op, v) __asm__ volatile("tlbi " #op ", %0" : : "r"((u64)(v)) : "memory")
#define AT(op, v) __asm__ volatile("at " #op ", %0" : : "r"((u64)(v)) : "memory")
#define ALIGN4K __attribute__((aligned(4096)))

/* Descriptor bits (stage 1 and stage 2). */
#define D_VALID      1UL
#define D_TABLE      3UL          /* table (levels 0-2) or page (level 3) */
#define D_BLOCK      1UL
#define D_AF         (1UL << 10)
#define D_NG         (1UL << 11)
#define D_AP_EL0     (1UL << 6)   /* AP[1] */
#define D_AP_RO      (1UL << 7)   /* AP[2] */
#define D_SH_INNER   (3UL << 8)
#define D_SH_OUTER   (2UL << 8)
#define D_PXN        (1UL << 53)
#define D_UXN        (1UL << 54)  /* XN at EL2 */
#define D_ATTR(i)    ((u64)(i) << 2)
#define T_PXN        (1UL << 59)
#define T_UXN        (1UL << 60)
#define T_AP_NO_EL0  (1UL << 61)
#define T_AP_RO      (1UL << 62)
#define S2_R         (1UL << 6)
#define S2_W         (1UL << 7)
#define S2_XN(v)     ((u64)(v) << 53)
#define S2_NORMAL    (0xfUL << 2)  /* MemAttr: Normal WB */
#define S2_DEVICE    (0x1UL << 2)  /* MemAttr: Device-nGnRE */

/* MAIR index 0 Normal WB, 1 Device-nGnRnE, 2 Normal NC. */
#define MAIR_VALUE   0x4400ffUL
#define ATTR_NORMAL  D_ATTR(0)
#define ATTR_DEVICE  D_ATTR(1)

#define UART_PA      0x09000000UL

/* Page tables: `alloc_table` hands out zeroed 4 KiB tables from a static pool. */
u64 *alloc_table(void);
u64 *alloc_tables(unsigned n); /* n contiguous, n-aligned (concatenated roots) */
/*
 * Installs `leaf` for `addr` at `leaf_level` in the table tree `root`, whose
 * start level is `start` resolving `start_bits` index bits, creating tables
 * (with `table_attrs`). Returns the descriptor's address.
 */
u64 *pt_map(u64 *root, int start, int start_bits, u64 addr, int leaf_level, u64 leaf, u64 table_attrs);
/* Address of the descriptor for addr at `level` (tables must exist). */
u64 *pt_slot(u64 *root, int start, int start_bits, u64 addr, int level);
/* EL1&0 stage 1 on with this TCR_EL1 and TTBR0_EL1 (MAIR_VALUE, TLBs invalidated, caches on). */
void el1_stage1_on(u64 tcr, u64 ttbr0);
/* At EL2: EL1&0 stage 2 on with this VTTBR_EL2 and VTCR_EL2 (HCR_EL2 RW | VM, SCTLR_EL1 reset, TLBI ALLE1). */
void el2_stage2_on(u64 vttbr, u64 vtcr);

/* Register frame saved by the vectors (x0-x30). */
struct frame { u64 x[31]; u64 pad; };

/*
 * Per-image exception hook, called for every exception: returns 0 to resume
 * (ELR may have been changed with set_elr), 1 to end run_lower() with the
 * lower level's x0 as its result.
 */
int on_exception(struct frame *f, unsigned vec, u64 esr, u64 far, u64 elr);
u64 get_elr(void);
void set_elr(u64 v);
unsigned cur_el(void);

/* Installs the MMU-test vectors at the current EL. */
void install_vectors(void);
/*
 * Calls `entry(arg)` at the lower level (EL0 from EL1, EL1h from EL2 with
 * SP_EL1 = sp1); a trampoline traps back with SVC #0 / HVC #0 when it returns,
 * and on_exception must then return 1: run_lower returns entry's result.
 */
u64 run_lower(u64 entry, u64 arg, u64 sp1);

/* Probes (mmu-vectors.S): one access each; a faulting access is skipped by the handler. */
u64 probe_load(u64 va);
void probe_store(u64 va, u64 v);
u64 probe_exec(u64 va);          /* blr va; the code there must return */

/* EL0 functions (mmu-vectors.S): load from / store to the address in x0. */
extern char el0_load[], el0_store[];

/* Printing. */
void print_hex(const char *label, u64 v); /* " label=<16 hex digits>" */
void nl(void);

#endif
