// Translates one block of decoded A64 ops (core-as/decoded.ts entries) into the body of a
// WebAssembly function `(param $pc i64)` that does what the interpreter (core-as/interp.ts) does for
// those instructions, with the same results to the bit:
//   - guest X registers live in locals: loaded at entry, stored before any helper call and at exit;
//   - NZCV is lazy: a flag-setting op records its operands and result, a condition is evaluated from
//     them directly (SUBS + B.NE is one compare), and NZCV is only built when it must be stored;
//   - loads and stores probe the core's fast TLB inline (the same tags mem.ts compares); a miss, an
//     unaligned SP base or a device goes to the helper jitStep(pc, budget), which runs the whole
//     instruction in the interpreter — so faults, device exits, watchpoints and self-modifying code
//     behave exactly as in tier 0;
//   - any op without a translation runs through jitStep too; after it the block goes on only when
//     the instruction completed and nothing (an exit, an interrupt, a context change, a code write)
//     asked the interpreter loop to stop; otherwise the block returns with the state jitStep left;
//   - a block whose final branch goes back to its own first instruction loops inside the function
//     while the budget left covers one more full pass.
// The block never compares its PC with a constant: every PC-relative value is the entry PC plus an
// offset, so the same code serves every virtual address the physical page is mapped at.
import { J, L, O } from '../core-constants';
import { Body, I32, I64, Op, uleb } from './wasm-encoder';

export interface DecodedOp { op: number; rd: number; rn: number; rm: number; ra: number; p1: number; p2: number; imm: bigint }

export function readOp(dv: DataView, addr: number): DecodedOp {
  return {
    op: dv.getUint16(addr, true), rd: dv.getUint8(addr + 2), rn: dv.getUint8(addr + 3), rm: dv.getUint8(addr + 4),
    ra: dv.getUint8(addr + 5), p1: dv.getUint8(addr + 6), p2: dv.getUint8(addr + 7), imm: dv.getBigUint64(addr + 8, true),
  };
}

import {
  E, F_CHAIN, F_FPOK, F_MISALIGNED, F_STEP, FPOK, FA, FB, FR, G_NZCV, G_PC, G_REM, G_TLB, I0, I1, I2, NEXT, NZ, PC, R, REM, T0, T1, T2, T3, TLBL, TYPE_BLOCK, XN, XPC,
} from './abi';
import { fpInlineOp, fpInsn, fpXSlots, isFpSimd } from './translate-fp';
export { F_STEP, F_MISALIGNED, G_PC, G_NZCV, G_REM, G_TLB, TYPE_BLOCK, LOCALS, TYPES, IMPORTS } from './abi';

// Fast TLB (core-as/tlb.ts): 256 entries of 32 bytes per mmu index; read tag +0, write tag +8,
// addend +24 (host = low 32 bits of VA + addend).
const TE_READ = 0, TE_WRITE = 8, TE_ADDEND = 24;
const M32 = 0xffff_ffffn;

type Flags = 'mat' | 'add64' | 'sub64' | 'add32' | 'sub32' | 'log64' | 'log32' | 'gen64' | 'gen32';

/** Loads and stores: access size (log2) and the wasm opcode of each LDST_* kind. */
const LOAD_OP: Record<number, [size: number, op: number, w32: boolean]> = {
  [O.LDST_LDRB]: [0, Op.i64_load8_u, false], [O.LDST_LDRH]: [1, Op.i64_load16_u, false],
  [O.LDST_LDRW]: [2, Op.i64_load32_u, false], [O.LDST_LDRX]: [3, Op.i64_load, false],
  [O.LDST_LDRSB64]: [0, Op.i64_load8_s, false], [O.LDST_LDRSH64]: [1, Op.i64_load16_s, false],
  [O.LDST_LDRSW]: [2, Op.i64_load32_s, false], [O.LDST_LDRSB32]: [0, Op.i64_load8_s, true],
  [O.LDST_LDRSH32]: [1, Op.i64_load16_s, true],
};
const STORE_OP: Record<number, [size: number, op: number]> = {
  [O.LDST_STRB]: [0, Op.i64_store8], [O.LDST_STRH]: [1, Op.i64_store16], [O.LDST_STRW]: [2, Op.i64_store32], [O.LDST_STRX]: [3, Op.i64_store],
};

const ACQ_LOAD = [O.LDST_LDRB, O.LDST_LDRH, O.LDST_LDRW, O.LDST_LDRX];
const REL_STORE = [O.LDST_STRB, O.LDST_STRH, O.LDST_STRW, O.LDST_STRX];

const FLAG_READERS = new Set<number>([O.OP_BCOND, O.OP_CCMN, O.OP_CCMP, O.OP_CSEL64, O.OP_CSEL32, O.OP_CSINC64, O.OP_CSINC32,
  O.OP_CSINV64, O.OP_CSINV32, O.OP_CSNEG64, O.OP_CSNEG32, O.OP_ADC64, O.OP_ADC32, O.OP_ADCS64, O.OP_ADCS32,
  O.OP_SBC64, O.OP_SBC32, O.OP_SBCS64, O.OP_SBCS32]);
const FLAG_WRITERS = new Set<number>([O.OP_ADDS_I64, O.OP_ADDS_I32, O.OP_SUBS_I64, O.OP_SUBS_I32, O.OP_ANDS_I64, O.OP_ANDS_I32,
  O.OP_ANDS_SR64, O.OP_BICS_SR64, O.OP_ANDS_SR32, O.OP_BICS_SR32, O.OP_ADDS_SR64, O.OP_ADDS_SR32, O.OP_SUBS_SR64,
  O.OP_SUBS_SR32, O.OP_ADDS_ER64, O.OP_ADDS_ER32, O.OP_SUBS_ER64, O.OP_SUBS_ER32]);

export interface Translation { body: Body; inline: number; fallback: number; /** A branch of the block stays in the function (it loops). */ loops: boolean }

/** True when `op` is translated inline without any possible helper call (no exit point). */
function pureInline(op: number): boolean {
  return op === O.OP_UMULH || op === O.OP_SMULH || (op >= O.OP_ADR && op <= O.OP_EXTR32) || (op >= O.OP_AND_SR64 && op <= O.OP_UMSUBL && op !== O.OP_CRC32);
}

export class Translator {
  b = new Body();
  flags: Flags = 'mat';
  used = new Set<number>();
  written = new Set<number>();
  inline = 0;
  fallback = 0;
  k = 0; // index of the instruction being translated
  /** Register slots whose local holds the slot's value (loaded, or written by the block). */
  loaded = new Set<number>();
  /** Register slots the block may have written so far (stored at every exit and helper call). */
  dirty = new Set<number>();
  /** The block loops (a branch back to its start): every slot is loaded at entry, all written ones are dirty. */
  isLoop = false;
  /** The SIMD&FP access check was tested since the block start or the last jitExec (translate-fp.ts). */
  fpChecked = false;
  /** The block has FP/SIMD instructions: local FPOK holds the access check's result. */
  hasFp = false;
  /**
   * Instructions a branch of the block goes to (0 = the block start; translateBlock): a taken branch
   * to one of them stays in the function (a loop pass), by index into the segments when there are
   * several (NEXT, the br_table at the loop head).
   */
  targets = new Map<number, number>();
  /** Segment blocks enclosing the code being emitted (between it and the loop). */
  segDepth = 0;
  /** Segments of the loop (the block start and every other target); 1: a plain loop, no dispatch. */
  segments = 1;
  /** Ops index of the last op of each op's range. */
  rangeEnd: number[] = [];
  /** b.depth inside the loop (translateRegion): segment i's code is at loopBase + segDepth. */
  loopBase = 0;
  /** Depth of the block whose end leads to the shared exit path (exitTail); null: exits are inline. */
  exitDepth: number | null = null;
  /** Index within the page of each op (a region's ranges are not contiguous: translateRegion). */
  pidx: number[];
  /** Ops index of the instruction at a page index, for the instructions of the block. */
  opsAt = new Map<number, number>();
  /** What follows op k when it is the last of its range: 'exit' (the next instruction is outside the block), or the ops index of the instruction the range runs into. */
  after: ('exit' | number | undefined)[] = [];
  /** Most instructions one loop pass can retire (the longest range): the budget a pass needs. */
  maxPass: number;
  /**
   * The flag state each jump target's code starts in (translateRegion: flagModes): 'dead' (NZCV is
   * written before anything can read it or leave), a lazy state every way in brings (its operands
   * in FA/FB/FR), or 'mat' (NZCV in NZ).
   */
  modes = new Map<number, Flags | 'dead'>();

  constructor(readonly ops: DecodedOp[], readonly allUsed: Set<number>, readonly allWritten: Set<number>, readonly start: number, pidx?: number[]) {
    this.pidx = pidx ?? ops.map((_, k) => start + k);
    this.pidx.forEach((p, k) => this.opsAt.set(p, k));
    this.maxPass = ops.length;
  }

  // --- registers ---
  rget(slot: number): void {
    if (slot === L.REG_ZR) { this.b.i64(0); return; }
    this.used.add(slot);
    if (!this.loaded.has(slot)) throw new Error(`jit: x${slot} read before it is loaded`);
    this.b.get(R(slot));
  }
  /** Loads (at the top level of the block's code) every register field of `d` not loaded yet. */
  preload(d: DecodedOp): void { this.preloadSlots([d.rd, d.rn, d.rm, d.ra]); }
  preloadSlots(slots: number[]): void {
    if (this.isLoop) return;
    for (const s of slots) {
      if (s === L.REG_ZR || s === L.REG_DISCARD || s > L.REG_DISCARD || this.loaded.has(s)) continue;
      this.b.i32(0).mem(Op.i64_load, 3, L.CPU_BASE + s * 8).set(R(s));
      this.loaded.add(s);
    }
  }
  /** Value (i64) on the stack → register slot. */
  rset(slot: number): void {
    if (slot === L.REG_ZR || slot === L.REG_DISCARD) { this.b.op(Op.drop); return; }
    this.used.add(slot); this.written.add(slot); this.dirty.add(slot); this.loaded.add(slot);
    this.b.set(R(slot));
  }
  wget(slot: number): void { this.rget(slot); this.b.op(Op.i32_wrap_i64); }
  /** i32 value on the stack → register slot, zero-extended (setW). */
  wset(slot: number): void { this.b.op(Op.i64_extend_i32_u); this.rset(slot); }
  /** Pushes the PC of op k (plus `next` instructions). */
  pcAt(k = this.k, next = 0): void {
    const rel = this.pidx[k] + next - this.start;
    this.b.get(PC); if (rel !== 0) this.b.i64(4 * rel).op(Op.i64_add);
  }
  /** Pushes the decode entry (i32 address) of op k. */
  entryAt(k = this.k): void {
    const rel = this.pidx[k] - this.start;
    this.b.get(E); if (rel !== 0) this.b.i32(16 * rel).op(Op.i32_add);
  }

  storeRegs(): void {
    for (const s of (this.isLoop ? this.allWritten : this.dirty)) this.b.i32(0).get(R(s)).mem(Op.i64_store, 3, L.CPU_BASE + s * 8);
  }
  loadAll(): void {
    for (const s of this.allUsed) this.b.i32(0).mem(Op.i64_load, 3, L.CPU_BASE + s * 8).set(R(s));
  }
  /**
   * After jitStep ran instruction k: reload the slots it can have written — its register fields
   * (and the next slot: CASP writes a pair) and SP (MSR SPSel switches the SP slot).
   */
  loadRegs(): void {
    const d = this.ops[this.k];
    const set = new Set<number>([d.rd, d.rn, d.rm, d.ra, d.rd + 1, d.rm + 1, d.ra + 1, L.REG_SP]);
    for (const s of set) {
      if (!this.loaded.has(s) || s === L.REG_ZR || s === L.REG_DISCARD) continue;
      this.b.i32(0).mem(Op.i64_load, 3, L.CPU_BASE + s * 8).set(R(s));
    }
  }

  // --- flags ---
  /** Pushes the i32 NZCV (bits 31:28) of the current flag state; the state is unchanged. */
  nzcvCode(): void {
    const b = this.b;
    const f = this.flags;
    if (f === 'mat') { b.get(NZ); return; }
    const is64 = f.endsWith('64');
    const top = is64 ? 63 : 31;
    // N
    b.get(FR).i64(top).op(Op.i64_shr_u).i64(1).op(Op.i64_and).op(Op.i32_wrap_i64).i32(31).op(Op.i32_shl);
    // Z
    b.get(FR).op(Op.i64_eqz).i32(30).op(Op.i32_shl).op(Op.i32_or);
    if (f === 'log64' || f === 'log32') return;
    // C
    if (f === 'sub64' || f === 'sub32') b.get(FA).get(FB).op(Op.i64_ge_u);
    else if (f === 'add64' || f === 'add32') b.get(FR).get(FA).op(Op.i64_lt_u);
    else { // gen: ((a & b) | ((a | b) & ~r)) >> top
      b.get(FA).get(FB).op(Op.i64_and).get(FA).get(FB).op(Op.i64_or).get(FR).i64(-1).op(Op.i64_xor).op(Op.i64_and).op(Op.i64_or)
        .i64(top).op(Op.i64_shr_u).i64(1).op(Op.i64_and).op(Op.i32_wrap_i64);
    }
    b.i32(29).op(Op.i32_shl).op(Op.i32_or);
    // V
    if (f === 'sub64' || f === 'sub32') b.get(FA).get(FB).op(Op.i64_xor).get(FA).get(FR).op(Op.i64_xor).op(Op.i64_and);
    else if (f === 'add64' || f === 'add32') b.get(FA).get(FB).op(Op.i64_xor).i64(-1).op(Op.i64_xor).get(FA).get(FR).op(Op.i64_xor).op(Op.i64_and);
    else b.get(FA).get(FR).op(Op.i64_xor).get(FB).get(FR).op(Op.i64_xor).op(Op.i64_and);
    b.i64(top).op(Op.i64_shr_u).i64(1).op(Op.i64_and).op(Op.i32_wrap_i64).i32(28).op(Op.i32_shl).op(Op.i32_or);
  }
  materialize(): void {
    if (this.flags === 'mat') return;
    this.nzcvCode();
    this.b.set(NZ);
    this.flags = 'mat';
  }
  /** Pushes i32 1 when condition `c` holds. */
  cond(c: number): void {
    const b = this.b;
    if (c >= 14) { b.i32(1); return; }
    const f = this.flags;
    const sub = f === 'sub64' || f === 'sub32', add = f === 'add64' || f === 'add32', log = f === 'log64' || f === 'log32';
    const w = f.endsWith('32');
    const sgnR = (o: number): void => { // FR signed-compared with 0
      if (w) b.get(FR).op(Op.i32_wrap_i64).i32(0).op(o - 0x0b); // i64_*_s → i32_*_s: opcode - 11
      else b.get(FR).i64(0).op(o);
    };
    if (sub || add || log) {
      switch (c) {
        case 0: b.get(FR).op(Op.i64_eqz); return;
        case 1: b.get(FR).i64(0).op(Op.i64_ne); return;
        case 4: sgnR(Op.i64_lt_s); return;
        case 5: sgnR(Op.i64_ge_s); return;
      }
    }
    if (sub && c !== 6 && c !== 7) {
      const cmp = (u64: number): void => {
        if (w && u64 >= Op.i64_lt_s && [Op.i64_lt_s, Op.i64_gt_s, Op.i64_le_s, Op.i64_ge_s].includes(u64 as never)) {
          b.get(FA).op(Op.i32_wrap_i64).get(FB).op(Op.i32_wrap_i64).op(u64 - 0x0b);
        } else b.get(FA).get(FB).op(u64);
      };
      switch (c) {
        case 2: cmp(Op.i64_ge_u); return;
        case 3: cmp(Op.i64_lt_u); return;
        case 8: cmp(Op.i64_gt_u); return;
        case 9: cmp(Op.i64_le_u); return;
        case 10: cmp(Op.i64_ge_s); return;
        case 11: cmp(Op.i64_lt_s); return;
        case 12: cmp(Op.i64_gt_s); return;
        case 13: cmp(Op.i64_le_s); return;
      }
    }
    if (log) {
      switch (c) {
        case 2: case 6: case 8: b.i32(0); return; // CS, VS, HI: C = V = 0
        case 3: case 7: case 9: b.i32(1); return;
        case 10: sgnR(Op.i64_ge_s); return;
        case 11: sgnR(Op.i64_lt_s); return;
        case 12: sgnR(Op.i64_gt_s); return;
        case 13: sgnR(Op.i64_le_s); return;
      }
    }
    this.materialize();
    // COND_TABLE: u16 per NZCV value, bit c set when condition c holds (core-as/alu.ts)
    b.get(NZ).i32(28).op(Op.i32_shr_u).i32(1).op(Op.i32_shl).mem(Op.i32_load16_u, 1, L.COND_TABLE)
      .i32(c).op(Op.i32_shr_u).i32(1).op(Op.i32_and);
  }

  // --- leaving the block ---
  /**
   * Normal exit after `executed` instructions with the next PC on the stack (i64). `target` is the
   * index within the page of the next instruction when known at compile time, 'dyn' when the next
   * PC is in T0 (an indirect branch), null when it is on another page. When the next instruction
   * starts a compiled block on the same page whose length fits in the budget left, the block goes
   * straight on into it (a tail call through the core's table): same page, so same fetch page and
   * translation; nothing that could end the interpreter loop happened (that only comes out of a
   * helper, which returns instead), so the interpreter would enter that block too. On another page
   * the core's jitChain makes that page the fetch page when the interpreter's fetch would reach it
   * on its fast path (a fast-TLB hit, a decoded page, no debug) and gives its decode entry; the block
   * then goes on the same way.
   */
  exitWithPcOnStack(executed: number, target: number | 'dyn' | null): void {
    const b = this.b;
    if (this.exitDepth !== null) { // the function's one exit path (exitTail): NZCV built, the PC and the count in locals
      b.set(XPC);
      const saved = this.flags;
      this.materialize();
      this.flags = saved;
      b.i32(executed).set(XN).br(b.depth - this.exitDepth);
      return;
    }
    b.gset(G_PC);
    this.storeRegs();
    this.nzcvCode(); b.gset(G_NZCV);
    b.get(REM).i32(executed).op(Op.i32_sub).gset(G_REM);
    if (target === null || (typeof target === 'number' && (target < 0 || target >= 1024))) {
      // another page: its decode entry when the interpreter's fetch would reach it on its fast path (jit-chain.ts)
      b.gget(G_PC).call(F_CHAIN).tee(I0).op(Op.i32_eqz).begin(Op.if).op(Op.return).end();
    } else if (target === 'dyn') {
      this.dynamicEntry(T0);
    } else {
      b.get(E); if (target !== this.start) b.i32((target - this.start) * 16).op(Op.i32_add); b.set(I0);
    }
    this.tailCallEntry();
  }

  /**
   * I0 = the decode entry of the target PC in local `pc`, or a return to the dispatch loop: a
   * misaligned target (the interpreter's fetch takes the PC alignment fault), the same page's entry,
   * or another page's through jit-chain.ts (0 when the interpreter's fetch would not reach it on its
   * fast path).
   */
  private dynamicEntry(pc: number): void {
    const b = this.b;
    b.get(pc).i64(3).op(Op.i64_and).i64(0).op(Op.i64_ne).begin(Op.if).op(Op.return).end();
    b.get(pc).get(PC).op(Op.i64_xor).i64(~0xfffn).op(Op.i64_and).i64(0).op(Op.i64_ne).ifT(I32);
    b.get(pc).call(F_CHAIN);
    b.op(Op.else);
    b.get(E).i32(this.start * 16).op(Op.i32_sub).get(pc).op(Op.i32_wrap_i64).i32(0xffc).op(Op.i32_and).i32(2).op(Op.i32_shl).op(Op.i32_add);
    b.end().tee(I0).op(Op.i32_eqz).begin(Op.if).op(Op.return).end();
  }

  /**
   * Chains to the compiled function of decode entry I0 by a tail call, or returns to the dispatch
   * loop when it has none or the budget left (G_REM) is below its length.
   */
  private tailCallEntry(): void {
    const b = this.b;
    const mapBias = J.JIT_MAP - L.DECODE_BASE / 2; // map entry (8 bytes) of decode entry e (16 bytes): e / 2 + bias
    b.get(I0).i32(1).op(Op.i32_shr_u).i32(mapBias).op(Op.i32_add).tee(I2).mem(Op.i32_load, 2, 4).tee(I1);
    b.op(Op.i32_eqz).begin(Op.if).op(Op.return).end();
    b.gget(G_REM).get(I1).op(Op.i32_lt_s).begin(Op.if).op(Op.return).end();
    b.gget(G_PC).get(I0).get(I2).mem(Op.i32_load, 2, 0);
    b.code.push(0x13, TYPE_BLOCK, 0); // return_call_indirect (type block) (table 0)
  }
  /**
   * The exit path every normal exit of the function branches to (the `block` opened at depth
   * exitDepth ends just before it): the next PC in XPC, the instructions retired in the pass in XN,
   * NZCV in NZ. As exitWithPcOnStack inline, but the same page or another is found at run time
   * (one copy of the register stores and of the chaining code per function instead of one per exit:
   * the code, and so compile time, is much smaller).
   */
  exitTail(): void {
    const b = this.b;
    b.get(XPC).gset(G_PC);
    this.storeRegs();
    b.get(NZ).gset(G_NZCV);
    b.get(REM).get(XN).op(Op.i32_sub).gset(G_REM);
    this.dynamicEntry(XPC);
    this.tailCallEntry();
  }

  /** Stores everything jitStep can see; pushes its arguments and calls it for instruction k. */
  callStep(): void {
    const b = this.b;
    this.storeRegs();
    this.nzcvCode(); b.gset(G_NZCV);
    this.entryAt();
    this.pcAt();
    b.get(REM); if (this.k !== 0) b.i32(this.k).op(Op.i32_sub);
    b.call(F_STEP);
  }
  /**
   * After callStep(), jitStep's answer: 0 ends the block (the interpreter's state is the machine's),
   * 1 goes on with the next instruction, 2 too but with instruction k counted twice: a stage-2 fault
   * the core's fault fast path resolved, its access then made again in place, the aborted attempt
   * counted as the full path's exception and ERET count it (core-as/pkvm-fast-fault.ts). REM takes
   * the extra instruction, and the block ends unless the budget still covers the rest of the range.
   */
  stepResult(): void {
    const b = this.b;
    b.tee(XN).op(Op.i32_eqz).begin(Op.if).op(Op.return).end(); // (XN: free outside the exit path)
    b.get(XN).i32(2).op(Op.i32_eq).begin(Op.if);
    b.get(REM).i32(1).op(Op.i32_sub).tee(REM).i32((this.rangeEnd[this.k] ?? this.ops.length - 1) + 1).op(Op.i32_lt_s);
    b.begin(Op.if).op(Op.return).end();
    b.end();
  }
  /** Instruction k through the interpreter; the block goes on only if jitStep says so. */
  fallbackOp(): void {
    this.fallback++;
    this.materialize();
    this.callStep();
    this.stepResult();
    this.b.gget(G_TLB).set(TLBL); // an MSR may have switched the translation regime's TLB
    this.loadRegs();
    this.b.gget(G_NZCV).set(NZ);
    if (this.hasFp) { this.b.call(F_FPOK).set(FPOK); this.fpChecked = false; } // an MSR may have changed it
  }
  /** A terminating instruction through the interpreter: the block ends after it whatever happens. */
  fallbackLast(): void {
    this.fallback++;
    this.callStep();
    this.b.op(Op.drop).op(Op.return);
  }
  /** The slow path of an inline memory access (inside an if arm: the flag state stays as it is). */
  slowAccess(): void {
    this.callStep();
    this.stepResult();
    this.b.gget(G_TLB).set(TLBL);
    this.loadRegs();
  }

  // --- memory ---
  /** Pushes i32: the fast-TLB entry of the VA in local `va` (into `ent`) has tag `tagOff` matching. */
  probe(va: number, ent: number, tagOff: number, size: number): void {
    const b = this.b;
    b.get(TLBL).get(va).i64(12).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(255).op(Op.i32_and).i32(5).op(Op.i32_shl)
      .op(Op.i32_add).tee(ent);
    b.mem(Op.i64_load, 3, tagOff).get(va).i64(~0xfffn | BigInt((1 << size) - 1)).op(Op.i64_and).op(Op.i64_eq);
  }
  host(va: number, ent: number): void {
    this.b.get(va).op(Op.i32_wrap_i64).get(ent).mem(Op.i32_load, 2, TE_ADDEND).op(Op.i32_add);
  }
  /** Pushes i32 1 when the base register is SP and SP is not 16-byte aligned (the slow path checks SCTLR.SA). */
  spBad(rn: number): boolean {
    if (rn !== L.REG_SP) return false;
    this.rget(rn); this.b.i64(15).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
    return true;
  }
  /** Single register load/store at the address in T0; `wb` then emits the base writeback. */
  ldst(kind: number, rt: number, rn: number, wb: (() => void) | null): void {
    const b = this.b;
    const ld = LOAD_OP[kind], st = STORE_OP[kind];
    if (!ld && !st) { this.fallbackOp(); return; }
    this.inline++;
    const size = ld ? ld[0] : st[0];
    this.probe(T0, I0, ld ? TE_READ : TE_WRITE, size);
    if (this.spBad(rn)) b.op(Op.i32_eqz).op(Op.i32_and);
    b.begin(Op.if);
    if (ld) {
      this.host(T0, I0); b.mem(ld[1], size, 0);
      if (ld[2]) b.i64(M32).op(Op.i64_and);
      this.rset(rt);
    } else {
      this.host(T0, I0); this.rget(rt); b.mem(st[1], size, 0);
    }
    if (wb) wb();
    b.op(Op.else);
    this.slowAccess();
    b.end();
  }
  pair(op: number, kind: number, rt: number, rt2: number, rn: number, mode: number, imm: bigint): void {
    const b = this.b;
    const isLoad = op === O.OP_LDP;
    const x = kind === O.LDST_LDRX || kind === O.LDST_STRX;
    const size = x ? 3 : 2;
    if (!x && kind !== O.LDST_LDRW && kind !== O.LDST_STRW && kind !== O.LDST_LDRSW) { this.fallbackOp(); return; }
    this.inline++;
    this.rget(rn); b.set(T2); // base
    b.get(T2); if (mode !== O.IDX_POST) b.i64(imm).op(Op.i64_add); b.set(T0);
    b.get(T0).i64(x ? 8 : 4).op(Op.i64_add).set(T1);
    const tag = isLoad ? TE_READ : TE_WRITE;
    this.probe(T0, I0, tag, size);
    this.probe(T1, I1, tag, size);
    b.op(Op.i32_and);
    if (this.spBad(rn)) b.op(Op.i32_eqz).op(Op.i32_and);
    b.begin(Op.if);
    const lop = x ? Op.i64_load : kind === O.LDST_LDRSW ? Op.i64_load32_s : Op.i64_load32_u;
    const sop = x ? Op.i64_store : Op.i64_store32;
    if (isLoad) {
      this.host(T0, I0); b.mem(lop, size, 0).set(T3);
      this.host(T1, I1); b.mem(lop, size, 0);
      b.get(T3); this.rset(rt);
      this.rset(rt2);
    } else {
      this.host(T0, I0); this.rget(rt); b.mem(sop, size, 0);
      this.host(T1, I1); this.rget(rt2); b.mem(sop, size, 0);
    }
    if (mode !== O.IDX_OFFSET) { b.get(T2).i64(imm).op(Op.i64_add); this.rset(rn); }
    b.op(Op.else);
    this.slowAccess();
    b.end();
  }

  // --- ALU helpers ---
  shift64(type: number, amount: number): void {
    if (amount === 0) return;
    this.b.i64(amount).op([Op.i64_shl, Op.i64_shr_u, Op.i64_shr_s, Op.i64_rotr][type]);
  }
  shift32(type: number, amount: number): void {
    if (amount === 0) return;
    this.b.i32(amount).op([Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr][type]);
  }
  extend(option: number, shift: number): void {
    const b = this.b;
    switch (option) {
      case 0: b.i64(0xff).op(Op.i64_and); break;
      case 1: b.i64(0xffff).op(Op.i64_and); break;
      case 2: b.i64(M32).op(Op.i64_and); break;
      case 4: b.op(Op.i64_extend8_s); break;
      case 5: b.op(Op.i64_extend16_s); break;
      case 6: b.op(Op.i64_extend32_s); break;
    }
    if (shift) b.i64(shift).op(Op.i64_shl);
  }
  /** FA, FB set (zero-extended for 32-bit); computes FR and records the flag state; FR → rd. */
  addSubFlags(sub: boolean, w: boolean, rd: number): void {
    const b = this.b;
    b.get(FA).get(FB).op(sub ? Op.i64_sub : Op.i64_add);
    if (w) b.i64(M32).op(Op.i64_and);
    b.tee(FR);
    this.rset(rd);
    this.flags = sub ? (w ? 'sub32' : 'sub64') : (w ? 'add32' : 'add64');
  }
  logicFlags(w: boolean, rd: number): void { // i64 result on the stack (zero-extended when w)
    this.b.tee(FR);
    this.rset(rd);
    this.flags = w ? 'log32' : 'log64';
  }

  // --- one instruction ---
  insn(d: DecodedOp, k: number, last: boolean, selfLoopOk: boolean, n: number): void {
    this.k = k;
    if (isFpSimd(d.op)) { fpInsn(this, d); return; }
    this.preload(d);
    const b = this.b;
    const { op, rd, rn, rm, ra, p1, p2, imm } = d;
    const imm32 = Number(imm & M32) | 0;
    const inl = (): void => { this.inline++; };
    switch (op) {
      case O.OP_ADR: inl(); this.pcAt(); b.i64(imm).op(Op.i64_add); this.rset(rd); return;
      case O.OP_ADRP: inl(); b.get(PC).i64(~0xfffn).op(Op.i64_and).i64(imm).op(Op.i64_add); this.rset(rd); return;
      case O.OP_ADD_I64: inl(); this.rget(rn); b.i64(imm).op(Op.i64_add); this.rset(rd); return;
      case O.OP_SUB_I64: inl(); this.rget(rn); b.i64(imm).op(Op.i64_sub); this.rset(rd); return;
      case O.OP_ADD_I32: inl(); this.wget(rn); b.i32(imm32).op(Op.i32_add); this.wset(rd); return;
      case O.OP_SUB_I32: inl(); this.wget(rn); b.i32(imm32).op(Op.i32_sub); this.wset(rd); return;
      case O.OP_ADDS_I64: case O.OP_SUBS_I64: case O.OP_ADDS_I32: case O.OP_SUBS_I32: {
        inl();
        const w = op === O.OP_ADDS_I32 || op === O.OP_SUBS_I32;
        this.rget(rn); if (w) b.i64(M32).op(Op.i64_and); b.set(FA);
        b.i64(w ? imm & M32 : imm).set(FB);
        this.addSubFlags(op === O.OP_SUBS_I64 || op === O.OP_SUBS_I32, w, rd);
        return;
      }
      case O.OP_AND_I: inl(); this.rget(rn); b.i64(imm).op(Op.i64_and); this.rset(rd); return;
      case O.OP_ORR_I64: inl(); this.rget(rn); b.i64(imm).op(Op.i64_or); this.rset(rd); return;
      case O.OP_EOR_I64: inl(); this.rget(rn); b.i64(imm).op(Op.i64_xor); this.rset(rd); return;
      case O.OP_ORR_I32: inl(); this.wget(rn); b.i32(imm32).op(Op.i32_or); this.wset(rd); return;
      case O.OP_EOR_I32: inl(); this.wget(rn); b.i32(imm32).op(Op.i32_xor); this.wset(rd); return;
      case O.OP_ANDS_I64: inl(); this.rget(rn); b.i64(imm).op(Op.i64_and); this.logicFlags(false, rd); return;
      case O.OP_ANDS_I32: inl(); this.rget(rn); b.i64(imm & M32).op(Op.i64_and); this.logicFlags(true, rd); return;
      case O.OP_MOVI: inl(); b.i64(imm); this.rset(rd); return;
      case O.OP_MOVK: {
        inl();
        this.rget(rn); b.i64(~(0xffffn << BigInt(p1))).op(Op.i64_and).i64(imm).op(Op.i64_or);
        if (p2 === 0) b.i64(M32).op(Op.i64_and);
        this.rset(rd); return;
      }
      case O.OP_UBFX: inl(); this.rget(rn); if (p1) b.i64(p1).op(Op.i64_shr_u); b.i64(imm).op(Op.i64_and); this.rset(rd); return;
      case O.OP_UBFIZ: inl(); this.rget(rn); b.i64(imm).op(Op.i64_and); if (p1) b.i64(p1).op(Op.i64_shl); this.rset(rd); return;
      case O.OP_SBFX: case O.OP_SBFIZ: {
        inl();
        this.rget(rn);
        if (op === O.OP_SBFX) { b.i64(p1).op(Op.i64_shl).i64(p2).op(Op.i64_shr_s); }
        else { b.i64(p1).op(Op.i64_shl).i64(p1).op(Op.i64_shr_s).i64(p2).op(Op.i64_shl); }
        if (ra === 0) b.i64(M32).op(Op.i64_and);
        this.rset(rd); return;
      }
      case O.OP_BFXIL: {
        inl();
        this.rget(rm); b.i64(~imm).op(Op.i64_and);
        this.rget(rn); b.i64(p1).op(Op.i64_shr_u).i64(imm).op(Op.i64_and).op(Op.i64_or);
        if (ra === 0) b.i64(M32).op(Op.i64_and);
        this.rset(rd); return;
      }
      case O.OP_BFI: {
        inl();
        const m = BigInt.asUintN(64, imm << BigInt(p1));
        this.rget(rm); b.i64(~m).op(Op.i64_and);
        this.rget(rn); b.i64(imm).op(Op.i64_and).i64(p1).op(Op.i64_shl).op(Op.i64_or);
        if (ra === 0) b.i64(M32).op(Op.i64_and);
        this.rset(rd); return;
      }
      case O.OP_EXTR64: {
        inl();
        const lsb = imm32;
        this.rget(rm);
        if (lsb !== 0) { b.i64(lsb).op(Op.i64_shr_u); this.rget(rn); b.i64(64 - lsb).op(Op.i64_shl).op(Op.i64_or); }
        this.rset(rd); return;
      }
      case O.OP_EXTR32: {
        inl();
        const lsb = imm32;
        this.wget(rm);
        if (lsb !== 0) { b.i32(lsb).op(Op.i32_shr_u); this.wget(rn); b.i32(32 - lsb).op(Op.i32_shl).op(Op.i32_or); }
        this.wset(rd); return;
      }
      case O.OP_MOV64: inl(); this.rget(rm); this.rset(rd); return;
      case O.OP_MOV32: inl(); this.wget(rm); this.wset(rd); return;
      case O.OP_AND_SR64: case O.OP_BIC_SR64: case O.OP_ORR_SR64: case O.OP_ORN_SR64: case O.OP_EOR_SR64:
      case O.OP_EON_SR64: case O.OP_ANDS_SR64: case O.OP_BICS_SR64: {
        inl();
        const k2 = op - O.OP_AND_SR64; // AND BIC ORR ORN EOR EON ANDS BICS
        this.rget(rn);
        this.rget(rm); this.shift64(p1, p2);
        if (k2 & 1) b.i64(-1).op(Op.i64_xor);
        b.op([Op.i64_and, Op.i64_and, Op.i64_or, Op.i64_or, Op.i64_xor, Op.i64_xor, Op.i64_and, Op.i64_and][k2]);
        if (k2 >= 6) this.logicFlags(false, rd); else this.rset(rd);
        return;
      }
      case O.OP_AND_SR32: case O.OP_BIC_SR32: case O.OP_ORR_SR32: case O.OP_ORN_SR32: case O.OP_EOR_SR32:
      case O.OP_EON_SR32: case O.OP_ANDS_SR32: case O.OP_BICS_SR32: {
        inl();
        const k2 = op - O.OP_AND_SR32;
        this.wget(rn);
        this.wget(rm); this.shift32(p1, p2);
        if (k2 & 1) b.i32(-1).op(Op.i32_xor);
        b.op([Op.i32_and, Op.i32_and, Op.i32_or, Op.i32_or, Op.i32_xor, Op.i32_xor, Op.i32_and, Op.i32_and][k2]);
        b.op(Op.i64_extend_i32_u);
        if (k2 >= 6) this.logicFlags(true, rd); else this.rset(rd);
        return;
      }
      case O.OP_ADD_SR64: case O.OP_SUB_SR64:
        inl(); this.rget(rn); this.rget(rm); this.shift64(p1, p2); b.op(op === O.OP_ADD_SR64 ? Op.i64_add : Op.i64_sub); this.rset(rd); return;
      case O.OP_ADD_SR32: case O.OP_SUB_SR32:
        inl(); this.wget(rn); this.wget(rm); this.shift32(p1, p2); b.op(op === O.OP_ADD_SR32 ? Op.i32_add : Op.i32_sub); this.wset(rd); return;
      case O.OP_ADDS_SR64: case O.OP_SUBS_SR64:
        inl(); this.rget(rn); b.set(FA); this.rget(rm); this.shift64(p1, p2); b.set(FB);
        this.addSubFlags(op === O.OP_SUBS_SR64, false, rd); return;
      case O.OP_ADDS_SR32: case O.OP_SUBS_SR32:
        inl(); this.rget(rn); b.i64(M32).op(Op.i64_and).set(FA); this.wget(rm); this.shift32(p1, p2); b.op(Op.i64_extend_i32_u).set(FB);
        this.addSubFlags(op === O.OP_SUBS_SR32, true, rd); return;
      case O.OP_ADD_ER64: case O.OP_SUB_ER64:
        inl(); this.rget(rn); this.rget(rm); this.extend(p1, p2); b.op(op === O.OP_ADD_ER64 ? Op.i64_add : Op.i64_sub); this.rset(rd); return;
      case O.OP_ADD_ER32: case O.OP_SUB_ER32:
        inl(); this.wget(rn); this.rget(rm); this.extend(p1, p2); b.op(Op.i32_wrap_i64).op(op === O.OP_ADD_ER32 ? Op.i32_add : Op.i32_sub); this.wset(rd); return;
      case O.OP_ADDS_ER64: case O.OP_SUBS_ER64:
        inl(); this.rget(rn); b.set(FA); this.rget(rm); this.extend(p1, p2); b.set(FB);
        this.addSubFlags(op === O.OP_SUBS_ER64, false, rd); return;
      case O.OP_ADDS_ER32: case O.OP_SUBS_ER32:
        inl(); this.rget(rn); b.i64(M32).op(Op.i64_and).set(FA); this.rget(rm); this.extend(p1, p2); b.i64(M32).op(Op.i64_and).set(FB);
        this.addSubFlags(op === O.OP_SUBS_ER32, true, rd); return;
      case O.OP_ADC64: case O.OP_ADCS64: case O.OP_SBC64: case O.OP_SBCS64:
      case O.OP_ADC32: case O.OP_ADCS32: case O.OP_SBC32: case O.OP_SBCS32: {
        inl();
        const w = op === O.OP_ADC32 || op === O.OP_ADCS32 || op === O.OP_SBC32 || op === O.OP_SBCS32;
        const sbc = op === O.OP_SBC64 || op === O.OP_SBCS64 || op === O.OP_SBC32 || op === O.OP_SBCS32;
        const setsFlags = op === O.OP_ADCS64 || op === O.OP_SBCS64 || op === O.OP_ADCS32 || op === O.OP_SBCS32;
        this.materialize();
        this.rget(rn); if (w) b.i64(M32).op(Op.i64_and); b.set(T0);
        this.rget(rm); if (sbc) b.i64(-1).op(Op.i64_xor); if (w) b.i64(M32).op(Op.i64_and); b.set(T1);
        b.get(T0).get(T1).op(Op.i64_add).get(NZ).i32(29).op(Op.i32_shr_u).i32(1).op(Op.i32_and).op(Op.i64_extend_i32_u).op(Op.i64_add);
        if (w) b.i64(M32).op(Op.i64_and);
        b.set(T2);
        if (setsFlags) {
          b.get(T0).set(FA).get(T1).set(FB).get(T2).set(FR);
          this.flags = w ? 'gen32' : 'gen64';
        }
        b.get(T2); this.rset(rd);
        return;
      }
      case O.OP_CCMN: case O.OP_CCMP: {
        inl();
        const sub = op === O.OP_CCMP;
        const x64 = (ra & 1) !== 0, immForm = (ra & 2) !== 0;
        this.cond(p1);
        b.begin(Op.if);
        const saved = this.flags;
        this.rget(rn); if (!x64) b.i64(M32).op(Op.i64_and); b.set(FA);
        if (immForm) b.i64(x64 ? imm : imm & M32); else { this.rget(rm); if (!x64) b.i64(M32).op(Op.i64_and); }
        b.set(FB);
        b.get(FA).get(FB).op(sub ? Op.i64_sub : Op.i64_add); if (!x64) b.i64(M32).op(Op.i64_and); b.set(FR);
        this.flags = sub ? (x64 ? 'sub64' : 'sub32') : (x64 ? 'add64' : 'add32');
        this.nzcvCode(); b.set(NZ);
        this.flags = saved;
        b.op(Op.else).i32(p2 << 28).set(NZ).end();
        this.flags = 'mat';
        return;
      }
      case O.OP_CSEL64: case O.OP_CSINC64: case O.OP_CSINV64: case O.OP_CSNEG64: {
        inl();
        this.rget(rn);
        this.rget(rm);
        if (op === O.OP_CSINC64) b.i64(1).op(Op.i64_add);
        else if (op === O.OP_CSINV64) b.i64(-1).op(Op.i64_xor);
        else if (op === O.OP_CSNEG64) { b.set(T0).i64(0).get(T0).op(Op.i64_sub); }
        this.cond(p1);
        b.op(Op.select);
        this.rset(rd); return;
      }
      case O.OP_CSEL32: case O.OP_CSINC32: case O.OP_CSINV32: case O.OP_CSNEG32: {
        inl();
        this.wget(rn);
        this.wget(rm);
        if (op === O.OP_CSINC32) b.i32(1).op(Op.i32_add);
        else if (op === O.OP_CSINV32) b.i32(-1).op(Op.i32_xor);
        else if (op === O.OP_CSNEG32) { b.set(I0).i32(0).get(I0).op(Op.i32_sub); }
        this.cond(p1);
        b.op(Op.select);
        this.wset(rd); return;
      }
      case O.OP_UDIV64: case O.OP_SDIV64: {
        inl();
        this.rget(rn); b.set(T0); this.rget(rm); b.set(T1);
        b.get(T1).op(Op.i64_eqz).ifT(I64);
        b.i64(0).op(Op.else);
        if (op === O.OP_SDIV64) {
          b.get(T1).i64(-1).op(Op.i64_eq).ifT(I64);
          b.i64(0).get(T0).op(Op.i64_sub).op(Op.else).get(T0).get(T1).op(Op.i64_div_s).end();
        } else b.get(T0).get(T1).op(Op.i64_div_u);
        b.end();
        this.rset(rd); return;
      }
      case O.OP_UDIV32: case O.OP_SDIV32: {
        inl();
        this.wget(rn); b.set(I0); this.wget(rm); b.set(I1);
        b.get(I1).op(Op.i32_eqz).ifT(I32);
        b.i32(0).op(Op.else);
        if (op === O.OP_SDIV32) {
          b.get(I1).i32(-1).op(Op.i32_eq).ifT(I32);
          b.i32(0).get(I0).op(Op.i32_sub).op(Op.else).get(I0).get(I1).op(Op.i32_div_s).end();
        } else b.get(I0).get(I1).op(Op.i32_div_u);
        b.end();
        this.wset(rd); return;
      }
      case O.OP_LSLV64: case O.OP_LSRV64: case O.OP_ASRV64: case O.OP_RORV64:
        inl(); this.rget(rn); this.rget(rm);
        b.op([Op.i64_shl, Op.i64_shr_u, Op.i64_shr_s, Op.i64_rotr][(op - O.OP_LSLV64) >> 1]); this.rset(rd); return;
      case O.OP_LSLV32: case O.OP_LSRV32: case O.OP_ASRV32: case O.OP_RORV32:
        inl(); this.wget(rn); this.wget(rm);
        b.op([Op.i32_shl, Op.i32_shr_u, Op.i32_shr_s, Op.i32_rotr][(op - O.OP_LSLV32) >> 1]); this.wset(rd); return;
      case O.OP_REV16_64: case O.OP_REV16_32: case O.OP_REV32_64: case O.OP_REV32: case O.OP_REV64: case O.OP_RBIT64: case O.OP_RBIT32: {
        // byte (and bit) reversal by swapping ever larger groups: within halfwords (REV16), words
        // (REV32, 32-bit REV), the doubleword (REV64); RBIT swaps bits, pairs and nibbles first
        inl();
        const swap = (k: number, m: bigint): void => { // x = ((x >> k) & m) | ((x & m) << k)
          b.tee(T0).i64(k).op(Op.i64_shr_u).i64(m).op(Op.i64_and).get(T0).i64(m).op(Op.i64_and).i64(k).op(Op.i64_shl).op(Op.i64_or);
        };
        this.rget(rn);
        const rbit = op === O.OP_RBIT64 || op === O.OP_RBIT32;
        if (rbit) { swap(1, 0x5555_5555_5555_5555n); swap(2, 0x3333_3333_3333_3333n); swap(4, 0x0f0f_0f0f_0f0f_0f0fn); }
        swap(8, 0x00ff_00ff_00ff_00ffn);
        if (op !== O.OP_REV16_64 && op !== O.OP_REV16_32) swap(16, 0x0000_ffff_0000_ffffn);
        if (op === O.OP_REV64 || rbit) b.i64(32).op(Op.i64_rotr);
        if (op === O.OP_RBIT32) b.i64(32).op(Op.i64_shr_u); // the low word reversed, from the top
        else if (op === O.OP_REV16_32 || op === O.OP_REV32) b.i64(M32).op(Op.i64_and);
        this.rset(rd); return;
      }
      case O.OP_CLZ64: inl(); this.rget(rn); b.op(Op.i64_clz); this.rset(rd); return;
      case O.OP_CLZ32: inl(); this.wget(rn); b.op(Op.i32_clz); this.wset(rd); return;
      case O.OP_CLS64: inl(); this.rget(rn); b.tee(T0).get(T0).i64(1).op(Op.i64_shr_s).op(Op.i64_xor).op(Op.i64_clz).i64(1).op(Op.i64_sub); this.rset(rd); return;
      case O.OP_CLS32: inl(); this.wget(rn); b.tee(I0).get(I0).i32(1).op(Op.i32_shr_s).op(Op.i32_xor).op(Op.i32_clz).i32(1).op(Op.i32_sub); this.wset(rd); return;
      case O.OP_MADD64: case O.OP_MSUB64:
        inl(); this.rget(ra); this.rget(rn); this.rget(rm); b.op(Op.i64_mul).op(op === O.OP_MADD64 ? Op.i64_add : Op.i64_sub); this.rset(rd); return;
      case O.OP_MADD32: case O.OP_MSUB32:
        inl(); this.wget(ra); this.wget(rn); this.wget(rm); b.op(Op.i32_mul).op(op === O.OP_MADD32 ? Op.i32_add : Op.i32_sub); this.wset(rd); return;
      case O.OP_SMADDL: case O.OP_SMSUBL: case O.OP_UMADDL: case O.OP_UMSUBL: {
        inl();
        const s = op === O.OP_SMADDL || op === O.OP_SMSUBL;
        const ext = s ? Op.i64_extend32_s : -1;
        this.rget(ra);
        this.rget(rn); if (s) b.op(ext); else b.i64(M32).op(Op.i64_and);
        this.rget(rm); if (s) b.op(ext); else b.i64(M32).op(Op.i64_and);
        b.op(Op.i64_mul).op(op === O.OP_SMADDL || op === O.OP_UMADDL ? Op.i64_add : Op.i64_sub);
        this.rset(rd); return;
      }
      case O.OP_BARRIER: case O.OP_PRFM: inl(); return;
      case O.OP_HINT: // NOP and the other hints the interpreter treats as NOP (execHint); YIELD may
        // end the CPU's turn (core-as/cpu-index.ts yieldEndsTurn), so it runs through jitStep
        if (p1 !== O.HINT_NOP) break;
        inl(); return;
      case O.OP_UMULH: case O.OP_SMULH: {
        // UMULH by 32-bit halves (as core-as/alu.ts umulh); SMULH = UMULH - (a < 0 ? b : 0) - (b < 0 ? a : 0)
        inl();
        this.rget(rn); b.set(T0); this.rget(rm); b.set(T1);
        b.get(T0).i64(M32).op(Op.i64_and).get(T1).i64(32).op(Op.i64_shr_u).op(Op.i64_mul).set(T2); // al * bh
        b.get(T0).i64(32).op(Op.i64_shr_u).get(T1).i64(M32).op(Op.i64_and).op(Op.i64_mul).set(T3); // ah * bl
        b.get(T0).i64(32).op(Op.i64_shr_u).get(T1).i64(32).op(Op.i64_shr_u).op(Op.i64_mul); // ah * bh
        b.get(T2).i64(32).op(Op.i64_shr_u).op(Op.i64_add).get(T3).i64(32).op(Op.i64_shr_u).op(Op.i64_add);
        // + (((al * bl) >> 32) + (p1 & M32) + (p2 & M32)) >> 32
        b.get(T0).i64(M32).op(Op.i64_and).get(T1).i64(M32).op(Op.i64_and).op(Op.i64_mul).i64(32).op(Op.i64_shr_u)
          .get(T2).i64(M32).op(Op.i64_and).op(Op.i64_add).get(T3).i64(M32).op(Op.i64_and).op(Op.i64_add)
          .i64(32).op(Op.i64_shr_u).op(Op.i64_add);
        if (op === O.OP_SMULH) {
          b.get(T1).i64(0).get(T0).i64(0).op(Op.i64_lt_s).op(Op.select).op(Op.i64_sub);
          b.get(T0).i64(0).get(T1).i64(0).op(Op.i64_lt_s).op(Op.select).op(Op.i64_sub);
        }
        this.rset(rd); return;
      }
      // --- loads and stores ---
      case O.OP_LDST_IMM: this.rget(rn); b.i64(imm).op(Op.i64_add).set(T0); this.ldst(p1, rd, rn, null); return;
      case O.OP_LDST_PRE:
        this.rget(rn); b.i64(imm).op(Op.i64_add).set(T0);
        this.ldst(p1, rd, rn, () => { b.get(T0); this.rset(rn); }); return;
      case O.OP_LDST_POST:
        this.rget(rn); b.set(T0);
        this.ldst(p1, rd, rn, () => { b.get(T0).i64(imm).op(Op.i64_add); this.rset(rn); }); return;
      case O.OP_LDST_REG:
        this.rget(rn); this.rget(rm); this.extend(p2, ra); b.op(Op.i64_add).set(T0); this.ldst(p1, rd, rn, null); return;
      case O.OP_LDR_LIT:
        this.pcAt(); b.i64(imm).op(Op.i64_add).set(T0); this.ldst(p1, rd, -1, null); return;
      case O.OP_LDP: case O.OP_STP: this.pair(op, p1, rd, ra, rn, p2, imm); return;
      // LDAR/LDAPR/LDLAR and STLR/STLLR: in this single-copy, in-order model the ordering is free and
      // the access is the plain load/store of exec-mem.ts ldar/stlr (zero-extending; no monitor effect)
      case O.OP_LDAR: this.rget(rn); b.set(T0); this.ldst(ACQ_LOAD[p1], rd, rn, null); return;
      case O.OP_STLR: this.rget(rn); b.set(T0); this.ldst(REL_STORE[p1], rd, rn, null); return;
    }
    if (last || (op >= O.OP_BCOND && op <= O.OP_TBNZ)) { this.terminator(d, k, selfLoopOk, n); return; }
    this.fallbackOp();
  }

  /**
   * Taken branch (or a range's end) to op j of the block, after `executed` instructions of the
   * pass: one more pass in the function when the budget covers a whole pass after them. REM is kept
   * as the budget left plus the index where the current pass began, so REM - k is exact at
   * instruction k (helper calls, exits): a jump from k to j sets REM = REM - (k + 1) + j. Emitted
   * inside one enclosing construct (an `if` or a `block`); falls out of it when the budget is short.
   */
  jumpInside(executed: number, j: number, seg: number): void {
    const b = this.b;
    const mode = this.modes.get(j) ?? 'mat';
    if (mode !== 'dead' && mode !== 'mat' && mode !== this.flags) return; // the target expects another lazy state: leave
    const k = executed - 1;
    const cur = this.segments - 1 - this.segDepth; // the segment being emitted
    if (j > k && j <= this.rangeEnd[k] && this.segments > 1) {
      // Forward in the same range: the pass goes on (its budget covers the rest of the range), so a
      // plain branch to the end of block B_seg, where that segment's code starts; no dispatch.
      const saved = this.flags;
      if (mode === 'mat') this.materialize();
      b.get(REM).i32(executed - j).op(Op.i32_sub).set(REM);
      b.br(b.depth - (this.loopBase + this.segDepth) + (seg - cur - 1));
      this.flags = saved;
      return;
    }
    b.get(REM).i32(this.maxPass + executed).op(Op.i32_ge_s).begin(Op.if);
    const saved = this.flags;
    if (mode === 'mat') this.materialize(); // the target's code starts with NZCV in NZ
    b.get(REM).i32(executed - j).op(Op.i32_sub).set(REM);
    if (this.segments > 1) b.i32(seg).set(NEXT);
    b.br(2 + this.segDepth); // if, (cond if | block), the segment blocks, loop
    this.flags = saved;
    b.end();
  }

  /** The block's last instruction when it is a branch or exception-generating instruction. */
  terminator(d: DecodedOp, k: number, selfLoopOk: boolean, n: number): void {
    const b = this.b;
    const { op, rn, p1, imm } = d;
    const executed = k + 1;
    const offset = BigInt.asIntN(64, imm);
    const pt = this.pidx[k] + Number(offset / 4n); // the target's index in the page
    const j = this.opsAt.get(pt) ?? -1; // and in the block
    const seg = selfLoopOk && offset !== 0n ? this.targets.get(j) : undefined;
    const toSelf = seg !== undefined;
    /**
     * Taken branch to an instruction of the block (its start, or another target): one more pass in
     * the function when the budget covers a whole block after this instruction. REM is kept as the
     * budget left plus the index where the current pass began, so REM - k is exact at instruction
     * k (helper calls, exits): a jump from k to j sets REM = REM - (k + 1) + j.
     */
    const taken = (): void => {
      if (toSelf) this.jumpInside(executed, j, seg);
      this.pcAt(); b.i64(offset).op(Op.i64_add);
      this.exitWithPcOnStack(executed, pt);
    };
    const condBranch = (pushCond: () => void): void => {
      this.inline++;
      pushCond();
      b.begin(Op.if);
      const saved = this.flags;
      taken();
      this.flags = saved;
      b.end();
      if (this.after[k] === 'exit') { this.pcAt(k, 1); this.exitWithPcOnStack(executed, this.pidx[k] + 1); }
      // else: a side exit of a superblock; the block goes on with the next instruction (or jumps to it: translateRegion)
    };
    switch (op) {
      case O.OP_B:
        if (offset === 0n) break; // `B .`: the interpreter's stuck check (stuck.ts)
        this.inline++;
        if (toSelf) { b.begin(Op.block); taken(); b.end(); return; }
        taken(); return;
      case O.OP_BL: this.inline++; this.pcAt(k, 1); this.rset(30); this.pcAt(); b.i64(offset).op(Op.i64_add); this.exitWithPcOnStack(executed, pt); return;
      case O.OP_BCOND: condBranch(() => this.cond(p1)); return;
      case O.OP_CBZ64: condBranch(() => { this.rget(rn); b.op(Op.i64_eqz); }); return;
      case O.OP_CBNZ64: condBranch(() => { this.rget(rn); b.i64(0).op(Op.i64_ne); }); return;
      case O.OP_CBZ32: condBranch(() => { this.wget(rn); b.op(Op.i32_eqz); }); return;
      case O.OP_CBNZ32: condBranch(() => { this.wget(rn); b.i32(0).op(Op.i32_ne); }); return;
      case O.OP_TBZ: condBranch(() => { this.rget(rn); b.i64(p1).op(Op.i64_shr_u).i64(1).op(Op.i64_and).op(Op.i64_eqz); }); return;
      case O.OP_TBNZ: condBranch(() => { this.rget(rn); b.i64(p1).op(Op.i64_shr_u).i64(1).op(Op.i64_and).i64(0).op(Op.i64_ne); }); return;
      case O.OP_BR: case O.OP_RET: case O.OP_BLR: {
        this.inline++;
        this.rget(rn); b.set(T0);
        if (op === O.OP_BLR) { this.pcAt(k, 1); this.rset(30); }
        b.get(T0).i64(3).op(Op.i64_and).i64(0).op(Op.i64_ne).begin(Op.if).call(F_MISALIGNED).end();
        b.get(T0); this.exitWithPcOnStack(executed, 'dyn');
        return;
      }
    }
    this.fallbackLast();
  }
}

/** Register slots the block's ops name (read or written; BL/BLR write x30): an over-approximation. */
function slotsOf(ops: DecodedOp[]): Set<number> {
  const set = new Set<number>();
  for (const d of ops) {
    if (isFpSimd(d.op)) { for (const s of fpXSlots(d)) set.add(s); continue; }
    for (const s of [d.rd, d.rn, d.rm, d.ra]) if (s <= L.REG_SP && s !== L.REG_ZR) set.add(s);
    if (d.op === O.OP_BL || d.op === O.OP_BLR) set.add(30);
  }
  return set;
}

/** The op is translated inline (not through jitExec). */
function inlineOp(d: DecodedOp): boolean {
  const op = d.op;
  if (isFpSimd(op)) return fpInlineOp(d);
  if (pureInline(op) || op === O.OP_BARRIER || op === O.OP_PRFM) return true;
  if (op === O.OP_HINT) return ![O.HINT_WFI, O.HINT_WFE, O.HINT_SEV, O.HINT_SEVL].includes(d.p1 as never);
  if (op >= O.OP_LDST_IMM && op <= O.OP_LDR_LIT && op !== O.OP_LDST_UNPRIV) return !!(LOAD_OP[d.p1] || STORE_OP[d.p1]);
  if (op === O.OP_LDAR || op === O.OP_STLR) return true;
  if (op === O.OP_LDP || op === O.OP_STP) return [O.LDST_LDRX, O.LDST_STRX, O.LDST_LDRW, O.LDST_STRW, O.LDST_LDRSW].includes(d.p1 as never);
  if (op === O.OP_B) return d.imm !== 0n;
  return op === O.OP_BL || (op >= O.OP_BCOND && op <= O.OP_TBNZ) || op === O.OP_BR || op === O.OP_BLR || op === O.OP_RET;
}

/** Flags at the block start are overwritten before anything reads them or the block can stop. */
function flagsDeadAtHead(ops: DecodedOp[]): boolean {
  for (const d of ops) {
    if (FLAG_READERS.has(d.op)) return false;
    if (FLAG_WRITERS.has(d.op)) return true;
    if (!pureInline(d.op)) return false;
  }
  return false;
}

/** PKVM_EMU_JIT_SHARED_EXIT=0: every exit inline (measuring the shared exit path). */
const SHARED_EXIT = typeof process === 'undefined' || process.env.PKVM_EMU_JIT_SHARED_EXIT !== '0';

/** One straight run of a region: `ops` from page index `first` on; `join`: the page index of the block instruction it runs into after its last op (none: it ends at a terminating instruction or leaves the block). */
export interface Range { first: number; ops: DecodedOp[]; join?: number }

/**
 * Translates a block; null when it is not worth compiling (most of it would run through jitStep,
 * which is slower than the interpreter alone).
 */
export function translateBlock(ops: DecodedOp[], start: number): Translation | null {
  return translateRegion([{ first: start, ops }]);
}

/**
 * Translates a region: its first range starts at the entry (the block the core queued); the others
 * are further code of the same page that branches of the region go to (machine/jit/region.ts: the
 * out-of-line arms gcc -O3 puts after a function's hot path), each a straight run to a terminating
 * instruction, an instruction already in the region (a join) or where decoded code ends. A taken
 * branch to any instruction of the region stays in the function (a loop pass, as a branch back to
 * the block start).
 */
export function translateRegion(ranges: Range[]): Translation | null {
  const ops: DecodedOp[] = [];
  const pidx: number[] = [];
  const after: ('exit' | number | undefined)[] = [];
  const start = ranges[0].first;
  const endOf: number[] = []; // ops index of each range's last op
  for (const r of ranges) {
    r.ops.forEach((d, i) => { ops.push(d); pidx.push(r.first + i); after.push(undefined); });
    endOf.push(ops.length - 1);
  }
  const n = ops.length;
  const opsAt = new Map<number, number>();
  pidx.forEach((p, k) => opsAt.set(p, k));
  ranges.forEach((r, i) => {
    const k = endOf[i];
    after[k] = r.join !== undefined && opsAt.has(r.join) ? opsAt.get(r.join)! : 'exit';
  });
  // A branch (the last instruction, or a conditional one inside: the block is a superblock whose
  // conditional branches are side exits) back to the block's first instruction makes it a loop.
  // Branches (B, B.cond, CBZ/CBNZ, TBZ/TBNZ; not `B .`) to an instruction of the block itself — its
  // start, or any other (a loop whose head is inside the block, an if/else diamond, an out-of-line
  // range) — stay in the function: the block is a loop whose head dispatches (br_table) to the
  // segment of that target. So do the joins of ranges.
  const targetSet = new Set<number>();
  ops.forEach((d, k) => {
    if (!(d.op === O.OP_B || (d.op >= O.OP_BCOND && d.op <= O.OP_TBNZ))) return;
    const off = BigInt.asIntN(64, d.imm);
    if (off === 0n || off % 4n !== 0n) return;
    const j = opsAt.get(pidx[k] + Number(off / 4n));
    if (j !== undefined && !(j === 0 && k === 0)) targetSet.add(j);
  });
  for (const a of after) if (typeof a === 'number') targetSet.add(a);
  const branchBack = n > 1 && targetSet.size > 0;
  const segStarts = [0, ...[...targetSet].filter((j) => j !== 0).sort((x, y) => x - y)];
  let inline = 0;
  for (const d of ops) if (inlineOp(d)) inline++;
  if (inline * 2 < n) return null;
  const slots = slotsOf(ops);
  const t = new Translator(ops, slots, slots, start, pidx);
  t.after = after;
  ranges.forEach((r, i) => { for (let q = 0; q < r.ops.length; q++) t.rangeEnd.push(endOf[i]); });
  t.modes = flagModes(ops, pidx, after, endOf, targetSet, opsAt);
  t.maxPass = Math.max(...ranges.map((r) => r.ops.length));
  const b = t.b;
  b.gget(G_REM).set(REM).gget(G_NZCV).set(NZ).gget(G_TLB).set(TLBL);
  t.hasFp = ops.some((d) => isFpSimd(d.op));
  if (t.hasFp) b.call(F_FPOK).set(FPOK);
  // A function that loops loads every register it names at entry and has one exit path that
  // stores them all; a straight block (most of the Linux boot's) loads each register at its first
  // use and stores at each exit only those written so far (cheaper for its early side exits and
  // its helper calls: measured on the boot, where blocks are entered 2.3 M times).
  const shared = SHARED_EXIT && branchBack;
  if (branchBack) {
    t.isLoop = true;
    t.loadAll();
    for (const s of slots) t.loaded.add(s);
  }
  if (shared) { b.begin(Op.block); t.exitDepth = b.depth; }
  if (branchBack) {
    for (const j of targetSet) t.targets.set(j, segStarts.indexOf(j));
    const m = segStarts.length - 1;
    t.segments = m + 1;
    if (m > 0) b.i32(0).set(NEXT);
    b.begin(Op.loop);
    t.loopBase = b.depth;
    if (m > 0) {
      // block B_m ... block B_0 { br_table NEXT }: the end of B_i is where segment i's code starts
      for (let i = 0; i <= m; i++) b.begin(Op.block);
      b.get(NEXT).op(Op.br_table);
      uleb(b.code, m + 1);
      for (let i = 0; i <= m; i++) uleb(b.code, i);
      uleb(b.code, 0);
      b.end(); // B_0: segment 0 (the block start) follows
      t.segDepth = m;
    }
  }
  ops.forEach((d, k) => {
    const i = k > 0 ? segStarts.indexOf(k) : -1;
    if (branchBack && i > 0) { // segment i starts: the fall-through brings the flags as the jumps here do
      const mode = t.modes.get(k) ?? 'mat';
      if (mode === 'mat') t.materialize();
      else if (mode !== 'dead' && t.flags !== mode) { t.pcAt(k - 1, 1); t.exitWithPcOnStack(k, pidx[k - 1] + 1); } // (not predicted: leave)
      t.fpChecked = false;
      b.end();
      t.segDepth = segStarts.length - 1 - i;
      t.flags = mode === 'dead' ? 'mat' : mode; // dead: nothing reads NZ before the flags are written
    }
    const a = after[k];
    t.insn(d, k, a === 'exit', branchBack, n);
    if (a === undefined || falls(d) === 'no') return;
    if (typeof a === 'number') { // the range runs into op a of the region: a jump inside the function
      b.begin(Op.block); t.jumpInside(k + 1, a, t.targets.get(a)!); b.end();
      t.pcAt(k, 1); t.exitWithPcOnStack(k + 1, pidx[k] + 1);
    } else if (falls(d) === 'yes') { // the range ran to its end without a terminating instruction (page end, length cap, code not decoded)
      t.pcAt(k, 1); t.exitWithPcOnStack(k + 1, pidx[k] + 1);
    }
  });
  if (branchBack) b.end();
  if (shared) { t.exitDepth = null; b.end(); t.exitTail(); }
  return { body: b, inline: t.inline, fallback: t.fallback, loops: branchBack };
}

/** The lazy flag state a flag-setting op leaves (translate.ts addSubFlags / logicFlags), or null. */
function writerKind(op: number): Flags | null {
  switch (op) {
    case O.OP_ADDS_I64: case O.OP_ADDS_SR64: case O.OP_ADDS_ER64: return 'add64';
    case O.OP_ADDS_I32: case O.OP_ADDS_SR32: case O.OP_ADDS_ER32: return 'add32';
    case O.OP_SUBS_I64: case O.OP_SUBS_SR64: case O.OP_SUBS_ER64: return 'sub64';
    case O.OP_SUBS_I32: case O.OP_SUBS_SR32: case O.OP_SUBS_ER32: return 'sub32';
    case O.OP_ANDS_I64: case O.OP_ANDS_SR64: case O.OP_BICS_SR64: return 'log64';
    case O.OP_ANDS_I32: case O.OP_ANDS_SR32: case O.OP_BICS_SR32: return 'log32';
  }
  return null;
}

/** Translator.cond(c) in lazy state f builds NZCV (so the state becomes 'mat'). */
function condMaterializes(f: Flags, c: number): boolean {
  if (c >= 14) return false;
  if (f.startsWith('log')) return false;
  if (f.startsWith('sub')) return c === 6 || c === 7;
  if (f.startsWith('add')) return !(c === 0 || c === 1 || c === 4 || c === 5);
  return true;
}

/** The op leaves the flag state as it is (it neither writes nor reads flags, nor calls a helper that would build them). */
function flagNeutral(d: DecodedOp): boolean {
  const op = d.op;
  if ((op >= O.OP_CBZ64 && op <= O.OP_TBNZ) || op === O.OP_B) return true;
  if (FLAG_READERS.has(op) || FLAG_WRITERS.has(op) || isFpSimd(op)) return false;
  if (pureInline(op)) return true;
  if (op >= O.OP_LDST_IMM && op <= O.OP_LDR_LIT && op !== O.OP_LDST_UNPRIV) return !!(LOAD_OP[d.p1] || STORE_OP[d.p1]); // the slow path stores NZCV but keeps the state
  if (op === O.OP_LDP || op === O.OP_STP) return [O.LDST_LDRX, O.LDST_STRX, O.LDST_LDRW, O.LDST_STRW, O.LDST_LDRSW].includes(d.p1 as never);
  return false;
}

/**
 * The lazy flag state after op k (including its own condition when it is a B.cond), predicted
 * statically from the last flag-setting op before it in its range; null when unknown.
 */
function stateAfter(ops: DecodedOp[], k: number, rangeStart: number, targets: Set<number>): Flags | null {
  const conds: number[] = [];
  for (let i = k; i >= rangeStart; i--) {
    const d = ops[i];
    const w = writerKind(d.op);
    if (w) return conds.some((c) => condMaterializes(w, c)) ? null : w;
    if (d.op === O.OP_BCOND) conds.push(d.p1);
    else if (!flagNeutral(d)) return null;
    if (targets.has(i)) return null; // a jump target: the state there is its mode's, not this walk's
  }
  return null;
}

/**
 * The flag state each jump target's code starts in. 'dead' when the flags are written before
 * anything reads them or can leave (only pure inline ops before the writer); else the lazy state
 * every way in — each branch to it, the range that joins it, the fall-through into it — brings,
 * when they agree (a loop's SUBS + B.NE back to a B.CS: no NZCV built per pass); else 'mat'. The
 * block start (op 0) is entered with NZCV built. A way in that turns out to bring another state
 * leaves the function instead (translate: jumpInside, the segment starts).
 */
function flagModes(ops: DecodedOp[], pidx: number[], after: ('exit' | number | undefined)[], endOf: number[], targets: Set<number>, opsAt: Map<number, number>): Map<number, Flags | 'dead'> {
  const rangeStart: number[] = [];
  let r = 0;
  for (let k = 0; k < ops.length; k++) { while (k > endOf[r]) r++; rangeStart.push(r === 0 ? 0 : endOf[r - 1] + 1); }
  const sources = new Map<number, number[]>();
  const add = (j: number, k: number): void => { const l = sources.get(j); if (l) l.push(k); else sources.set(j, [k]); };
  ops.forEach((d, k) => {
    if (d.op === O.OP_B || (d.op >= O.OP_BCOND && d.op <= O.OP_TBNZ)) {
      const off = BigInt.asIntN(64, d.imm);
      if (off !== 0n && off % 4n === 0n) { const j = opsAt.get(pidx[k] + Number(off / 4n)); if (j !== undefined) add(j, k); }
    }
    const a = after[k];
    if (typeof a === 'number') add(a, k);
  });
  const modes = new Map<number, Flags | 'dead'>();
  for (const j of targets) {
    const end = endOf.find((e) => e >= j)!;
    if (flagsDeadAtHead(ops.slice(j, end + 1))) { modes.set(j, 'dead'); continue; }
    if (j === 0) { modes.set(j, 'mat'); continue; }
    const ins = [...(sources.get(j) ?? [])];
    if (rangeStart[j] !== j && falls(ops[j - 1]) !== 'no') ins.push(j - 1); // the fall-through
    let mode: Flags | null = null;
    for (const k of ins) {
      const st = stateAfter(ops, k, rangeStart[k], targets);
      if (st === null || (mode !== null && st !== mode)) { mode = null; break; }
      mode = st;
    }
    modes.set(j, mode ?? 'mat');
  }
  return modes;
}

/**
 * Whether the code of op d, as the last of its range, can fall through to the next instruction:
 * 'no' for terminating instructions (B, BL, BR, BLR, RET, ERET, exception-generating, UNDEFINED:
 * their translation always leaves), 'cond' for conditional branches (their translation exits on
 * the fall-through path itself when it is the block's exit), 'yes' otherwise.
 */
function falls(d: DecodedOp): 'yes' | 'no' | 'cond' {
  if (d.op >= O.OP_BCOND && d.op <= O.OP_TBNZ) return 'cond';
  if (d.op === 1 || (d.op >= O.OP_B && d.op <= O.OP_HLT)) return 'no';
  return 'yes';
}
