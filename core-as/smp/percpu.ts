// The SMP area at PERCPU_BASE (8 MiB, layout.ts): the saved state of every CPU that is not running,
// its scheduler record, and its tagged TLB. The running CPU's state is always the block at
// CPU_BASE, so the hot path never indexes by CPU; its tagged TLB is its own region below, which
// tlb2.ts addresses through the base a switch sets (tlb2SetBase), so a switch copies no TLB.
//
//   SAVE_BASE   MAX_CPUS x CPU_STATE_BYTES   the state block of each CPU while another one runs
//   REC_BASE    MAX_CPUS x REC_BYTES         scheduler record (below)
//   TLBIMG_BASE (MAX_CPUS - 1) x TLBIMG_BYTES  the tagged TLB (tlb2.ts, TLB2_BYTES) of CPUs 1..7;
//                                            CPU 0's is at TLB2_BASE (layout.ts), so a board with
//                                            one CPU never touches this area
import { CPU_STATE_BYTES, PERCPU_BASE, PERCPU_BYTES, TLB2_BASE } from '../layout';
import { TLB2_BYTES } from '../tlb2';
import { MAX_CPUS } from '../cpu-index';

export const SAVE_BASE: u32 = PERCPU_BASE;
export const REC_BASE: u32 = SAVE_BASE + MAX_CPUS * CPU_STATE_BYTES;
export const REC_BYTES: u32 = 64;
export const TLBIMG_BASE: u32 = (REC_BASE + MAX_CPUS * REC_BYTES + 0xffff) & ~0xffff;
export const TLBIMG_BYTES: u32 = (TLB2_BYTES + 0xfff) & ~0xfff;
export const PERCPU_END: u32 = TLBIMG_BASE + (MAX_CPUS - 1) * TLBIMG_BYTES;

// Scheduler record fields.
export const R_STATE: u32 = 0; // u32 CPU_OFF / CPU_RUN / CPU_WFI / CPU_WFE / CPU_STUCK
export const R_USED: u32 = 4; // u32 ticks of the current round this CPU has used (run or slept)
export const R_EVENT: u32 = 8; // u32 the WFE event register
export const R_TLB_VALID: u32 = 12; // u32 1: its tagged TLB is live; 0: a broadcast dropped it (empty it when switched in)
export const R_SLEEP_MARK: u32 = 16; // u64 instructions retired (all CPUs) when it went to sleep
export const R_OUT_MARK: u32 = 24; // u64 instructions retired (all CPUs) when it was switched out
export const R_SLEEP_TICK: u32 = 32; // u64 counter value when it went to sleep
// (40: free; was R_USED_SAVE)
export const R_RETIRED: u32 = 48; // u64 instructions this CPU retired since the board's reset (across CPU_OFF/ON)

export const CPU_OFF: u32 = 0;
export const CPU_RUN: u32 = 1;
export const CPU_WFI: u32 = 2; // asleep in WFI (or PSCI CPU_SUSPEND standby)
export const CPU_WFE: u32 = 3; // asleep in WFE
export const CPU_STUCK: u32 = 4; // can never make progress (core-as/stuck.ts): parked, still on

@inline export function saveArea(cpu: u32): u32 { return SAVE_BASE + cpu * CPU_STATE_BYTES; }
@inline export function rec(cpu: u32): u32 { return REC_BASE + cpu * REC_BYTES; }
/** The region of CPU `cpu`'s tagged TLB. */
@inline export function tlbImage(cpu: u32): u32 { return cpu == 0 ? TLB2_BASE : TLBIMG_BASE + (cpu - 1) * TLBIMG_BYTES; }
/**
 * True when the layout fits the reserved regions: this area (0x0245_0000 + 7 x 0x6_6000), and CPU
 * 0's tagged TLB the 512 KiB at TLB2_BASE.
 */
export function percpuFits(): bool { return PERCPU_END <= PERCPU_BASE + PERCPU_BYTES && TLB2_BYTES <= 0x8_0000; }
