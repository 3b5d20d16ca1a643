// Where the GICv3 model keeps its state (all inside GIC_BASE, 2 MiB, layout.ts) and the board
// constants of QEMU's `virt,gic-version=3` it reproduces.
//
//   GIC_BASE + 0x0000  bitmaps (16 words each): words 0..7 the SGI/PPI bank of CPU 0..7 (GICR_*),
//                      words 8..14 the SPIs INTID 32..255 (GICD_*)
//   GIC_BASE + 0x1000  priorities, a byte per interrupt: CPU c's INTID i < 32 at c*32+i, SPI i at 256+i-32
//   GIC_BASE + 0x2000  GICD_IROUTER<n>, u64 per SPI
//   GIC_BASE + 0x3000  distributor registers (GICD_CTLR)
//   GIC_BASE + 0x4000  per-CPU blocks (redistributor, CPU interface, virtual CPU interface, timers)
import { GIC_BASE } from '../layout';

export const GICD_BASE_PA: u64 = 0x0800_0000;
export const GICD_SIZE: u64 = 0x1_0000;
export const GICR_BASE_PA: u64 = 0x080A_0000;
export const GICR_STRIDE: u64 = 0x2_0000; // RD_base + SGI_base frames, 64 KiB each

/** INTIDs 0..255 as QEMU's virt (GICD_TYPER.ITLinesNumber = 7): 224 SPIs. */
export const NUM_IRQ: u32 = 256;
export const NUM_SPI_WORDS: u32 = (NUM_IRQ - 32) >> 5;
export const INTID_SPURIOUS: u32 = 1023;

// Bitmaps (each 16 u32 words = 64 bytes).
export const MAP_ENABLED: u32 = 0;
export const MAP_PENDING: u32 = 1; // the pending latch (edge, set-pending, SGI); level lines are MAP_LEVEL
export const MAP_ACTIVE: u32 = 2;
export const MAP_LEVEL: u32 = 3; // input line level
export const MAP_EDGE: u32 = 4; // GICD_ICFGR / GICR_ICFGR1: 1 = edge-triggered
export const MAP_GROUP: u32 = 5; // 1 = Group 1 (Non-secure), 0 = Group 0
export const MAPS: u32 = GIC_BASE;
export const PRIO: u32 = GIC_BASE + 0x1000;
export const IROUTER: u32 = GIC_BASE + 0x2000;
export const GICD_CTLR_ADDR: u32 = GIC_BASE + 0x3000;
export const PERCPU: u32 = GIC_BASE + 0x4000;
export const PERCPU_STRIDE: u32 = 0x200;
/** Bytes of GIC_BASE in use (reset clears these). */
export const GIC_USED_BYTES: u32 = 0x4000 + 8 * PERCPU_STRIDE;

// Per-CPU block offsets.
export const C_WAKER: u32 = 0; // GICR_WAKER
export const C_GICR_CTLR: u32 = 4;
export const C_PROPBASER: u32 = 8; // u64
export const C_PENDBASER: u32 = 16; // u64
export const C_PMR: u32 = 24; // ICC_PMR_EL1
export const C_BPR0: u32 = 28;
export const C_BPR1: u32 = 32;
export const C_CTLR: u32 = 36; // ICC_CTLR_EL1 writable bits (CBPR, EOImode, PMHE)
export const C_IGRPEN0: u32 = 40;
export const C_IGRPEN1: u32 = 44;
export const C_AP0R0: u32 = 48;
export const C_AP1R0: u32 = 52;
export const C_ICH_HCR: u32 = 64;
export const C_ICH_VMCR: u32 = 68;
export const C_ICH_AP0R0: u32 = 72;
export const C_ICH_AP1R0: u32 = 76;
export const C_ICH_LR: u32 = 80; // 4 x u64
export const C_HPPI: u32 = 112; // cached highest-priority pending interrupt (INTID_SPURIOUS: none)
export const C_HPPI_PRIO: u32 = 116;
export const C_SIGNALS: u32 = 120; // SIG_* for this CPU, as last computed
export const C_HCR: u32 = 128; // u64 HCR_EL2 of this CPU at its last update (VI/VF, IMO/FMO)
export const C_TIMER_DL: u32 = 136; // u64 x 3: physical count at which CNTP / CNTV / CNTHP fire (MAX: not armed)
export const C_ICC_SRE_EL1: u32 = 160;

export const MAX_GIC_CPUS: u32 = 8; // = MAX_CPUS (core-as/cpu-index.ts)
export const NUM_LR: u32 = 4;
/** Implemented priority bits, physical and virtual (QEMU: 5): priorities are multiples of 8. */
export const PRI_BITS: u32 = 5;
export const PRI_MASK: u32 = 0xf8;
export const GIC_MIN_BPR: u32 = 7 - PRI_BITS; // 2
export const GIC_MIN_BPR_NS: u32 = GIC_MIN_BPR + 1;

// Interrupt signals to a PE (state.ts irqSignals uses the same bits).
export const SIG_IRQ: u32 = 1;
export const SIG_FIQ: u32 = 2;
export const SIG_VIRQ: u32 = 4;
export const SIG_VFIQ: u32 = 8;

// PPIs of the generic timers and the GIC maintenance interrupt (QEMU virt).
export const PPI_CNTHP: u32 = 26;
export const PPI_CNTV: u32 = 27;
export const PPI_MAINT: u32 = 25;
export const PPI_CNTP: u32 = 30;

// GICD_CTLR bits.
export const GICD_CTLR_EN_GRP0: u32 = 1;
export const GICD_CTLR_EN_GRP1: u32 = 2;
export const GICD_CTLR_ARE: u32 = 1 << 4;
export const GICD_CTLR_DS: u32 = 1 << 6;

@inline export function cpuBlock(cpu: u32): u32 { return PERCPU + cpu * PERCPU_STRIDE; }
/** Address of the bitmap word holding `intid` (for INTID < 32: CPU `cpu`'s bank). */
@inline export function mapWord(map: u32, cpu: u32, intid: u32): u32 {
  return MAPS + (map << 6) + (intid < 32 ? cpu << 2 : (7 + (intid >> 5)) << 2);
}
@inline export function prioAddr(cpu: u32, intid: u32): u32 {
  return PRIO + (intid < 32 ? (cpu << 5) + intid : 256 + intid - 32);
}
