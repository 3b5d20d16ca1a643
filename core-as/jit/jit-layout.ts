// Linear-memory layout of the compiled tier (core-as/jit/), inside JIT_BASE..RAM_HOST (15 MiB).
// TypeScript (machine/jit/) reads the same offsets through machine/core-constants.ts (namespace J).
//
//   JIT_MAP     one u64 per decoded-op entry (DECODE_SLOTS x 1024): the state of a block that would
//               start at that op. Low word: 0 unknown, 1..JIT_HOT-1 executions counted, JIT_QUEUED,
//               JIT_NEVER, or the table index of its compiled function. High word: 0 unless
//               compiled, then the block's length in instructions (its most instructions retired).
//   JIT_SLOT_HAS  u8 per decode slot: 1 when some JIT_MAP entry of the slot is not 0.
//   JIT_PARAMS  parameters TypeScript writes (enable, hot threshold, batch size) and statistics.
//   JIT_QUEUE   hot blocks waiting for TypeScript: u32 count, then (entry index u32, length u32).
//   JIT_PROF_*  where compiled code leaves for the core, by op (--stats: jit-prof.ts).
//   JIT_XCOVER  per decode slot a bitmap of its 1024 ops (128 bytes): the ops compiled as the
//               further ranges of a region (machine/jit/region.ts), outside the contiguous run
//               JIT_MAP's length describes; a write over one drops every block of the slot.
import { JIT_BASE } from '../layout';

export const JIT_MAP: u32 = JIT_BASE; // 8 MiB: u64 per decode entry
export const JIT_MAP_BYTES: u32 = 0x0080_0000;
export const JIT_SLOT_HAS: u32 = JIT_BASE + 0x0080_0000; // 1024 x u8
export const JIT_PARAMS: u32 = JIT_BASE + 0x0080_1000;
export const JP_ENABLED: u32 = 0; // u32 1: count and enter blocks (TypeScript sets it when it compiles)
export const JP_HOT: u32 = 4; // u32 executions of a block start before it is queued
export const JP_BATCH: u32 = 8; // u32 queued blocks that make the core exit with EXIT_JIT
export const JP_PATIENCE: u32 = 12; // u32 block starts interpreted with a non-empty queue before EXIT_JIT
export const JP_MAX_LEN: u32 = 16; // u32 longest block (instructions)
export const JP_LOOP_HOT: u32 = 20; // u32 executions of a block start that closes a loop in its page before it is watched (jit-loop.ts)
export const JP_LOOP_PATIENCE: u32 = 24; // u32 further starts of a watched loop, with little else interpreted, before it is compiled
export const JP_LOOPS_WATCHED: u32 = 28; // u32 small loops watched (statistics)
export const JP_INSNS_JIT: u32 = 32; // u64 instructions retired inside compiled blocks
export const JP_ENTERS: u32 = 40; // u64 compiled blocks entered
export const JP_INVALIDATIONS: u32 = 48; // u64 slots whose blocks were dropped (code written, slot reused)
export const JP_STEPS: u32 = 56; // u64 instructions compiled blocks ran through jitStep (the interpreter)
export const JP_TIMING: u32 = 64; // u32 1: time every compiled-block run with the host clock (--stats)
export const JP_TIME_MS: u32 = 72; // f64 wall ms spent in compiled blocks (their helper calls included)
export const JIT_QUEUE: u32 = JIT_BASE + 0x0080_2000; // u32 count, then JIT_QUEUE_CAP x (u32 entry, u32 len)
export const JIT_QUEUE_CAP: u32 = 4096;
// --stats profile (jit-prof.ts): per kind (jitExec, jitFpOp) and key, a u32 count and the last PC.
export const JIT_PROF_KEYS: u32 = 0x1400;
export const JIT_PROF_COUNT: u32 = JIT_BASE + 0x0081_0000; // 2 x JIT_PROF_KEYS x u32
export const JIT_PROF_PC: u32 = JIT_BASE + 0x0082_0000; // 2 x JIT_PROF_KEYS x u64
export const JIT_XCOVER: u32 = JIT_BASE + 0x0084_0000; // DECODE_SLOTS x 128 bytes
/** 16 bytes compiled code holds lane results in before it writes them to a V register (translate-fp.ts). */
export const JIT_SCRATCH: u32 = JIT_BASE + 0x0086_0000;
export const JP_EXIT_XPAGE: u32 = 80; // u64 compiled-block runs that ended on another page (--stats)
export const JP_LOOP_EXITS: u32 = 88; // u32 watched small loops compiled early (EXIT_JIT: jit-loop.ts)

export const JIT_QUEUED: u32 = 0xffff_fffe;
export const JIT_NEVER: u32 = 0xffff_ffff;
