// Small hot loops compiled sooner. A block is queued at JP_HOT executions of its start (5000: chosen
// on the Linux boot, whose blocks are mostly straight code run a few thousand times), and the core
// waits for a batch of JP_BATCH queued blocks or JP_PATIENCE further block starts before it stops to
// compile them. A loop of a few blocks that is all the guest runs (a guest touching its memory page
// by page: four blocks) then runs tens of thousands of iterations in the interpreter before it is
// compiled, and the interpreter spends them on the very code that waits in the queue.
//
// A block *closes a loop in its page* when one of its direct branches (B, B.cond, CBZ/CBNZ,
// TBZ/TBNZ) goes back to its own start, or to an instruction before it from which the code runs
// straight (no terminating instruction) into its start: every pass around that loop starts this
// block again. When such a block reaches JP_LOOP_HOT executions (256) the core watches it
// (jit-hook.ts: one loop at a time, the last one seen). If it then starts JP_LOOP_PATIENCE more
// times (256) while the interpreter starts at most a quarter as many blocks that ran fewer than
// JP_LOOP_HOT times (it runs that loop and code as warm as the loop, not new code that may fill a
// batch), the core queues it with the blocks of its page that ran JP_LOOP_HOT times (the loop's
// other blocks) and stops to compile them at once. Otherwise the watch is given up and the block
// counts on to JP_HOT like any other. So a loop is compiled early only while it is what the guest
// runs: on the Linux boot (514 loops watched, 39 compiled early) the modules compiled do not grow,
// while a guest touching its memory page by page interprets 20 k instructions per VM instead of
// 269 k. A loop through a call or another page is not a small loop and waits for JP_HOT as before.
import { D_IMM, D_OP } from '../decoded';
import { decode } from '../decode';
import { JIT_MAX_LEN } from './jit-map';

/**
 * Ends a block: unconditional branches, exception-generating instructions, ERET and UNDEFINED
 * encodings. A conditional branch (B.cond, CBZ/CBNZ, TBZ/TBNZ: ops 32..38) does not: the block is a
 * superblock that leaves at it when the branch is taken.
 */
@inline export function terminates(op: u32): bool { return op == 1 || (op >= 30 && op <= 47 && (op < 32 || op > 38)); }
/** The op of decode entry ei, decoding instruction `idx` of the page (its words at `ram`) into it first if it is not decoded yet. */
@inline export function decodedOp(ei: u32, ram: u32, idx: u32): u32 {
  let op = <u32>load<u16>(ei, D_OP);
  if (op == 0) {
    decode(load<u32>(ram + (idx << 2)), ei);
    op = <u32>load<u16>(ei, D_OP);
  }
  return op;
}
/** A direct branch with a PC-relative target in D_IMM: B (30), B.cond, CBZ/CBNZ, TBZ/TBNZ (32..38). */
@inline function directBranch(op: u32): bool { return op == 30 || (op >= 32 && op <= 38); }

/**
 * The block starting at decode entry e (page index `first` of its page; the page's instruction
 * words at `ram`) closes a loop in its page (see above). Decodes the block's ops that are not
 * decoded yet, as queueing it would; reads nothing outside the page.
 */
export function closesLoop(e: u32, first: u32, ram: u32): bool {
  let k: u32 = 0;
  let ei = e;
  while (first + k < 1024 && k < JIT_MAX_LEN) {
    const op = decodedOp(ei, ram, first + k);
    if (directBranch(op)) {
      const off = <i64>load<u64>(ei, D_IMM); // (`B .`, offset 0, is the stuck-loop detector's: stuck.ts)
      const t = <i64>(first + k) + (off >> 2);
      if (off != 0 && t >= 0 && t <= <i64>first && t >= <i64>first - <i64>JIT_MAX_LEN && runsInto(e, first, <u32>t)) return true;
    }
    k++;
    if (terminates(op)) break;
    ei += 16;
  }
  return false;
}

/** The ops from page index t up to (not including) `first` are decoded and none ends a block. */
function runsInto(e: u32, first: u32, t: u32): bool {
  for (let i = t; i < first; i++) {
    const op = <u32>load<u16>(e - ((first - i) << 4), D_OP);
    if (op == 0 || terminates(op)) return false;
  }
  return true;
}
