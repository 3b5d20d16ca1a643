// The interpreter's door to the compiled tier. interp.ts calls jitBlockStart() only where a block
// can start: at a PC that did not follow the previous instruction (a taken branch, an exception
// entry or return, the first instruction of a run) or right after a compiled block. There a block
// either runs compiled (when its length fits in the budget left, so instruction counts, timer
// deadlines and interrupts fall on the same instruction as in the interpreter), or its executions
// are counted; at JP_HOT it is measured (decoded up to its end) and queued for TypeScript, which
// compiles queued blocks in batches (machine/jit/) when the core exits with EXIT_JIT.
import { DECODE_BASE, EXIT_JIT } from '../layout';
import { fetchRam } from '../fetch';
import { exitReason, irqBreakLeft, pc, remaining, requestExit, savedRemaining } from '../state';
import { DBG_ACTIVE } from '../debug/debug';
import { selfDebugActive, selfDebugBreakPage, selfDebugStepping } from '../selfdebug/api';
import {
  JIT_MAP, JIT_NEVER, JIT_PARAMS, JIT_QUEUE, JIT_QUEUE_CAP, JIT_QUEUED, JIT_SLOT_HAS, JP_BATCH, JP_ENTERS, JP_HOT,
  JP_EXIT_XPAGE, JP_INSNS_JIT, JP_LOOP_EXITS, JP_LOOP_HOT, JP_LOOP_PATIENCE, JP_LOOPS_WATCHED, JP_PATIENCE, JP_TIME_MS, JP_TIMING,
} from './jit-layout';
import { closesLoop, decodedOp, terminates } from './jit-loop';

/** The host's clock in ms (performance.now), only called when JP_TIMING is set (--stats). */
@external("env", "jitNow") declare function jitNow(): f64;
import { JIT_MAX_LEN, jitEpoch, jitMapAddr } from './jit-map';

/** Counting and entering blocks is on (TypeScript turns it on: jitSetEnabled). */
export let jitEnabled: bool = false;
/** The interpreter loop runs while remaining > jitFloor (jit-step.ts runs exactly one instruction). */
export let jitFloor: i32 = 0;
/** Inside jit-step.ts's single instruction: no block is entered. */
export let jitNested: bool = false;
/** jitEpoch when the running block was entered. */
export let jitEntryEpoch: u32 = 0;
let patience: i32 = 0;
/** The small loop watched (jit-loop.ts; 0: none), and its starts left before it is compiled.  */
let loopWatch: u32 = 0;
let loopLeft: i32 = 0;
/** Interpreted starts of other blocks left before the watch is given up (the loop is not what runs now). */
let loopOther: i32 = 0;

export function jitSetEnabled(on: bool): void { jitEnabled = on; }
export function jitSetNested(on: bool, floor: i32): void { jitNested = on; jitFloor = floor; }

/** A block can start at decode entry e (pc p). True when it ran compiled or the loop must exit. */
export function jitBlockStart(e: u32, p: u64): bool {
  if (jitNested) return false;
  const m = jitMapAddr(e);
  const lo = load<u32>(m);
  const len = load<u32>(m, 4);
  if (len != 0) {
    if (remaining < <i32>len || load<u32>(DBG_ACTIVE) != 0) return false;
    // Self-hosted debug: no compiled code while stepping, or on a page a hardware breakpoint may match.
    if (selfDebugActive() && (selfDebugStepping() || selfDebugBreakPage(p))) return false;
    const r0 = remaining;
    const ib = irqBreakLeft;
    jitEntryEpoch = jitEpoch;
    if (load<u32>(JIT_PARAMS + JP_TIMING) != 0) {
      const t0 = jitNow();
      call_indirect<void>(lo, p, e);
      store<f64>(JIT_PARAMS + JP_TIME_MS, load<f64>(JIT_PARAMS + JP_TIME_MS) + (jitNow() - t0));
      if (((pc ^ p) >> 12) != 0) store<u64>(JIT_PARAMS + JP_EXIT_XPAGE, load<u64>(JIT_PARAMS + JP_EXIT_XPAGE) + 1);
    } else call_indirect<void>(lo, p, e);
    const left = (exitReason != 0 ? savedRemaining : remaining) + (irqBreakLeft - ib);
    store<u64>(JIT_PARAMS + JP_INSNS_JIT, load<u64>(JIT_PARAMS + JP_INSNS_JIT) + <u64>(r0 - left));
    store<u64>(JIT_PARAMS + JP_ENTERS, load<u64>(JIT_PARAMS + JP_ENTERS) + 1);
    return true;
  }
  // A watched loop (jit-loop.ts) is given up when the interpreter also runs code that ran fewer
  // than JP_LOOP_HOT times (not a steady state of that loop and its own blocks): it counts on to JP_HOT.
  if (loopWatch != 0 && lo < load<u32>(JIT_PARAMS + JP_LOOP_HOT) && --loopOther <= 0) loopWatch = 0;
  const queued = load<u32>(JIT_QUEUE);
  if (queued != 0 && --patience <= 0) { requestExit(EXIT_JIT); return true; }
  if (lo >= JIT_QUEUED) return false; // queued, or not worth compiling
  const n = lo + 1;
  const slot = (e - DECODE_BASE) >> 14;
  store<u8>(JIT_SLOT_HAS + slot, 1);
  if (n < load<u32>(JIT_PARAMS + JP_HOT)) {
    store<u32>(m, n);
    if (e == loopWatch) {
      // The small loop kept running alone: compile it now, with the blocks of its page that ran as
      // often as it did when it was first seen (the other blocks of the loop), in a batch of its own.
      if (--loopLeft > 0) return false;
      loopWatch = 0;
      if (!jitQueue(e, fetchRam)) return false;
      queuePage(slot, load<u32>(JIT_PARAMS + JP_LOOP_HOT));
      store<u32>(JIT_PARAMS + JP_LOOP_EXITS, load<u32>(JIT_PARAMS + JP_LOOP_EXITS) + 1);
      requestExit(EXIT_JIT);
      return true;
    }
    if (n == load<u32>(JIT_PARAMS + JP_LOOP_HOT) && closesLoop(e, ((e - DECODE_BASE) >> 4) & 1023, fetchRam)) {
      loopWatch = e;
      loopLeft = <i32>load<u32>(JIT_PARAMS + JP_LOOP_PATIENCE);
      loopOther = loopLeft >> 2;
      store<u32>(JIT_PARAMS + JP_LOOPS_WATCHED, load<u32>(JIT_PARAMS + JP_LOOPS_WATCHED) + 1);
    }
    return false;
  }
  if (!jitQueue(e, fetchRam)) return false;
  if (queued == 0) patience = <i32>load<u32>(JIT_PARAMS + JP_PATIENCE);
  if (queued + 1 >= load<u32>(JIT_PARAMS + JP_BATCH)) { requestExit(EXIT_JIT); return true; }
  return false;
}

/** Queues the blocks of decode slot `slot` (the fetch page) that ran at least `min` times. */
function queuePage(slot: u32, min: u32): void {
  for (let i: u32 = 0; i < 1024; i++) {
    const m = JIT_MAP + (((slot << 10) + i) << 3);
    const lo = load<u32>(m);
    if (load<u32>(m, 4) != 0 || lo < min || lo >= JIT_QUEUED) continue;
    if (load<u32>(JIT_QUEUE) >= JIT_QUEUE_CAP || !jitQueue(DECODE_BASE + (((slot << 10) + i) << 4), fetchRam)) return;
  }
}

/**
 * Queues the block starting at decode entry e (its page's instruction words at `ram`): decodes it
 * up to its end (a terminating instruction, the page end, JIT_MAX_LEN). False when the queue is full
 * (the block is then never compiled).
 */
export function jitQueue(e: u32, ram: u32): bool {
  const m = jitMapAddr(e);
  const queued = load<u32>(JIT_QUEUE);
  if (queued >= JIT_QUEUE_CAP) { store<u32>(m, JIT_NEVER); return false; }
  const first = ((e - DECODE_BASE) >> 4) & 1023;
  let k: u32 = 0;
  let ei = e;
  while (first + k < 1024 && k < JIT_MAX_LEN) {
    const op = decodedOp(ei, ram, first + k);
    k++;
    if (terminates(op)) break;
    ei += 16;
  }
  const q = JIT_QUEUE + 8 + (queued << 3);
  store<u32>(q, (e - DECODE_BASE) >> 4);
  store<u32>(q, k, 4);
  store<u32>(JIT_QUEUE, queued + 1);
  store<u32>(m, JIT_QUEUED);
  return true;
}
