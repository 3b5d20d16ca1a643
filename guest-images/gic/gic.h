/* GICv3 of QEMU `virt,gic-version=3` and helpers shared by the gic/ images. */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include <stdint.h>

#define GICD_BASE       0x08000000UL
#define GICR_BASE       0x080A0000UL
#define GICR_STRIDE     0x20000UL
#define GICR_SGI        0x10000UL

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ISPENDR    0x0200
#define GICD_ICPENDR    0x0280
#define GICD_ISACTIVER  0x0300
#define GICD_ICACTIVER  0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0C00
#define GICD_IROUTER    0x6000
#define GICD_PIDR2      0xFFE8

#define GICR_CTLR       0x0000
#define GICR_IIDR       0x0004
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_PIDR2      0xFFE8

static inline uint32_t mmio_r32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_w32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint64_t mmio_r64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void mmio_w64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static inline uintptr_t gicr_rd(unsigned cpu) { return GICR_BASE + cpu * GICR_STRIDE; }
static inline uintptr_t gicr_sgi(unsigned cpu) { return GICR_BASE + cpu * GICR_STRIDE + GICR_SGI; }

#define read_sysreg(r) ({ uint64_t __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) do { uint64_t __v = (uint64_t)(v); __asm__ volatile("msr " #r ", %0" :: "r"(__v)); } while (0)
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb() __asm__ volatile("dsb sy" ::: "memory")

static inline void irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

/* Distributor: SPIs Group 1, priority 0xa0, level, routed to CPU 0; then Group 0/1 enabled. */
void gic_dist_init(void);
/* This CPU's redistributor awake, SGIs/PPIs Group 1 priority 0xa0, ICC: SRE, PMR 0xff, BPR1 0, IGRPEN1. */
void gic_cpu_init(unsigned cpu);
/* The CPU interface alone (ICC_SRE_EL1.SRE, PMR 0xff, BPR1 0, EOImode 0, IGRPEN1): all a guest whose
 * GIC is virtual (ICC_* reaching ICV_*) sets up. */
void gic_cpu_if_init(void);
void gic_enable(unsigned cpu, unsigned intid);
void gic_set_priority(unsigned cpu, unsigned intid, uint8_t prio);

/* vectors: every entry saves x0-x18/x29/x30, ELR and SPSR, calls this, restores and ERETs.
 * kind: the vector's index 0..15 (4 = current EL SPx sync, 5 = IRQ, 6 = FIQ, 8 = lower EL sync,
 * 9 = lower EL IRQ, ...). The handler may change ELR via the frame. */
struct frame { uint64_t x[19]; uint64_t x29, x30, elr, spsr, pad; };
void vector_handler(unsigned kind, struct frame *f);
void install_vectors(void);
extern char gic_vectors[];

void put_dec(uint64_t v);
void put_line_hex(const char *label, uint64_t v);

#endif
