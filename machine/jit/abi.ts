// The interface of a compiled block: the module's types and imports (machine/jit/jit.ts builds the
// import object in this order), the function indices of the core helpers, the globals, and the
// block function's locals. Shared by translate.ts and translate-fp.ts.
import { F64, I32, I64, V128, type FuncType, type Import } from './wasm-encoder';

export const F_STEP = 0; // jitExec(entry: i32, pc: i64, rem: i32): i32 (core-as/jit/jit-step.ts)
export const F_MISALIGNED = 1; // jitBranchMisaligned(): void
export const F_FPOK = 2; // jitFpOk(): i32
export const F_FPOP = 3; // jitFpOp(entry: i32, pc: i64): void
export const F_CHAIN = 4; // jitChain(pc: i64): i32 (core-as/jit/jit-chain.ts)
export const G_PC = 0, G_NZCV = 1, G_REM = 2, G_TLB = 3;
/** Type index of a block function, (pc: i64, entry: i32) → (). */
export const TYPE_BLOCK = 0;

export const TYPES: FuncType[] = [
  { params: [I64, I32], results: [] }, // 0: a block (entry PC, its decode entry)
  { params: [I32, I64, I32], results: [I32] }, // 1: jitExec
  { params: [], results: [] }, // 2: jitBranchMisaligned
  { params: [], results: [I32] }, // 3: jitFpOk
  { params: [I32, I64], results: [] }, // 4: jitFpOp
  { params: [I64], results: [I32] }, // 5: jitChain
];
export const IMPORTS: Import[] = [
  { module: 'c', name: 'step', kind: 'func', type: 1 },
  { module: 'c', name: 'mis', kind: 'func', type: 2 },
  { module: 'c', name: 'fpok', kind: 'func', type: 3 },
  { module: 'c', name: 'fpop', kind: 'func', type: 4 },
  { module: 'c', name: 'chain', kind: 'func', type: 5 },
  { module: 'c', name: 'memory', kind: 'memory', min: 1 },
  { module: 'c', name: 'pc', kind: 'global', type: I64, mutable: true },
  { module: 'c', name: 'nzcv', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'rem', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'tlb', kind: 'global', type: I32, mutable: true },
  { module: 'c', name: 'table', kind: 'table', min: 1 },
];

// Locals: 0 = the entry PC, 1 = the entry's decode entry address; 2 + slot = register slot
// (0..33); then temporaries.
export const PC = 0, E = 1;
export const R = (slot: number): number => 2 + slot;
export const T0 = 36, T1 = 37, T2 = 38, T3 = 39, FA = 40, FB = 41, FR = 42; // i64
export const NZ = 43, REM = 44, I0 = 45, I1 = 46, I2 = 47; // i32
/** i32: the SIMD&FP access check passes (jitFpOk at the block entry and after every jitExec of a non-memory op). */
export const FPOK = 48;
export const D0 = 49, D1 = 50, D2 = 51, D3 = 52; // f64 (D(0..15) = 49..64)
export const D = (i: number): number => 49 + i;
/** v128 temporaries (translate-simd.ts). */
export const Q0 = 65, Q1 = 66, Q2 = 67;
/** i32: the core's curTlb (global `tlb`), read at the block entry and after every helper call that returns to the block. */
export const TLBL = 68;
/** i32: the segment a jump inside the block goes to (translate.ts: the dispatch at the loop head). */
export const NEXT = 69;
/** The exit path's next PC (i64) and instructions retired in the pass (i32) (translate.ts exitTail). */
export const XPC = 70, XN = 71;
/** i32: an accumulator of a multi-lane fast path (translate-fp.ts: some lane inexact). */
export const ACC = 72;
export const LOCALS: [number, number][] = [[41, I64], [6, I32], [16, F64], [3, V128], [2, I32], [1, I64], [2, I32]];
