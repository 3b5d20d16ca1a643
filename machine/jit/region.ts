// Region formation: what one compiled function covers. The core queues a hot block — a straight
// run from its entry to the first unconditional branch (core-as/jit/jit-hook.ts). gcc -O3 lays a
// loop's rarer arm out of line (after the function's hot path, ending with a B back), so a loop
// like a binary search is spread over two or three blocks, and every pass would switch compiled
// functions (registers stored and reloaded, flags built, a tail call). Here the block grows into a
// region: for each branch of it (B, B.cond, CBZ/CBNZ, TBZ/TBNZ) to an instruction of the same page
// outside it that already ran often (compiled, queued, or counted at least a quarter of the hot
// threshold), the straight run from that target is added as a further range, up to a terminating
// instruction, an instruction already in the region (the range then jumps there), or code not
// decoded yet; ranges added are scanned the same way. translate.ts compiles the region as one
// function whose loop head dispatches to every branch target inside it.
//
// Exactness is the block's: the ranges are code of the same physical page, decoded ops the
// interpreter would run; the region's instructions outside its first range are marked in the
// core's JIT_XCOVER bitmap (jitCover), so a write over any of them drops the page's compiled code.
import { J, L, O } from '../core-constants';
import { readOp, type DecodedOp, type Range } from './translate';

/** Most instructions in one region, and most ranges (compile cost: the function's size). */
export const REGION_MAX_OPS = 256;
export const REGION_MAX_RANGES = 12;
/** Longest range (the core's JIT_MAX_LEN for a queued block). */
const RANGE_MAX = 64;

/** Ends a range: as jit-hook.ts terminates(). */
const terminates = (op: number): boolean => op === 1 || (op >= O.OP_B && op <= O.OP_HLT && (op < O.OP_BCOND || op > O.OP_TBNZ));

/** Page index of the target of op d at page index p, or -1 (not a direct branch, another page, `B .`). */
function branchTarget(d: DecodedOp, p: number): number {
  if (!(d.op === O.OP_B || (d.op >= O.OP_BCOND && d.op <= O.OP_TBNZ))) return -1;
  const off = BigInt.asIntN(64, d.imm);
  if (off === 0n || off % 4n !== 0n) return -1;
  const t = p + Number(off / 4n);
  return t >= 0 && t < 1024 ? t : -1;
}

/**
 * The region for the block queued at decode entry index `entry` (`len` ops): its ranges, the first
 * the block itself; null when the block's own ops were rewritten since it was queued.
 */
export function buildRegion(dv: DataView, entry: number, len: number, extend = true, loops?: Set<number>): Range[] | null {
  const first = entry & 1023;
  const slotEntry = entry - first;
  const main: DecodedOp[] = [];
  for (let k = 0; k < len; k++) {
    const d = readOp(dv, L.DECODE_BASE + (entry + k) * 16);
    if (d.op === 0) return null;
    main.push(d);
  }
  const ranges: Range[] = [{ first, ops: main }];
  if (!extend) return ranges;
  const covered = new Set<number>();
  for (let k = 0; k < len; k++) covered.add(first + k);
  const hot = dv.getUint32(J.JIT_PARAMS + J.JP_HOT, true);
  const often = (p: number): boolean => {
    const m = J.JIT_MAP + (slotEntry + p) * 8;
    const lo = dv.getUint32(m, true), hi = dv.getUint32(m + 4, true);
    // compiled already: a loop of its own stays there (the cycle is inside it); a straight block is joined
    if (hi !== 0) return !loops?.has(slotEntry + p);
    if (lo === J.JIT_QUEUED) return true;
    return lo !== J.JIT_NEVER && lo * 4 >= hot;
  };
  let total = len;
  for (let r = 0; r < ranges.length; r++) {
    const rg = ranges[r];
    for (let i = 0; i < rg.ops.length; i++) {
      if (ranges.length >= REGION_MAX_RANGES || total >= REGION_MAX_OPS) return ranges;
      const t = branchTarget(rg.ops[i], rg.first + i);
      if (t < 0 || covered.has(t) || !often(t)) continue;
      const ops: DecodedOp[] = [];
      let join: number | undefined;
      for (let p = t; p < 1024 && ops.length < RANGE_MAX && total < REGION_MAX_OPS; p++) {
        if (covered.has(p)) { join = p; break; }
        const d = readOp(dv, L.DECODE_BASE + (slotEntry + p) * 16);
        if (d.op === 0) break; // not decoded: the range leaves the region there
        ops.push(d);
        covered.add(p);
        total++;
        if (terminates(d.op)) break;
      }
      if (ops.length > 0) ranges.push({ first: t, ops, join });
    }
  }
  // Only a region with a cycle inside pays for its size (compile time: the Linux boot's blocks are
  // mostly straight code whose arms rejoin once): without one, the block alone.
  return ranges.length > 1 && hasBackEdge(ranges) ? merged(ranges) : [ranges[0]];
}

/** Some branch or join of the region goes to an instruction at or before it in the page (a loop). */
function hasBackEdge(ranges: Range[]): boolean {
  const inRegion = new Set<number>();
  for (const r of ranges) for (let i = 0; i < r.ops.length; i++) inRegion.add(r.first + i);
  for (const r of ranges) {
    if (r.join !== undefined && r.join <= r.first + r.ops.length - 1) return true;
    for (let i = 0; i < r.ops.length; i++) {
      const t = branchTarget(r.ops[i], r.first + i);
      if (t >= 0 && t <= r.first + i && inRegion.has(t)) return true;
    }
  }
  return false;
}

/**
 * A range that runs into the first instruction of a later range is one straight run with it: the
 * two become one range (no jump between them), except into the first range (the entry).
 */
function merged(ranges: Range[]): Range[] {
  for (let again = true; again;) {
    again = false;
    for (let i = 1; i < ranges.length && !again; i++) {
      const r = ranges[i];
      if (r.join === undefined) continue;
      const s = ranges.findIndex((x, k) => k > 0 && x.first === r.join);
      if (s < 0 || s === i) continue;
      ranges[i] = { first: r.first, ops: [...r.ops, ...ranges[s].ops], join: ranges[s].join };
      ranges.splice(s, 1);
      again = true;
    }
  }
  return ranges;
}

/** The region's cache key part: each range's page index and decoded ops. */
export function regionKey(mem: Uint8Array, entry: number, ranges: Range[]): string {
  const slotEntry = entry - (entry & 1023);
  let key = '';
  for (const r of ranges) {
    const at = L.DECODE_BASE + (slotEntry + r.first) * 16;
    key += `${r.first}:${r.join ?? ''}:${Buffer.from(mem.buffer, at, r.ops.length * 16).toString('latin1')}|`;
  }
  return key;
}
