// LD1/ST1 (multiple structures, one to four registers), LD2-LD4/ST2-ST4 (multiple structures:
// interleaved elements), LD1/ST1 (single structure, one lane) and LD1R inline in compiled blocks
// (core-as/simd/ldst.ts execMultiple / execSingle). The fast path runs only when no element access can fault: the whole access lies
// in one page, the page's fast-TLB entry has the read (load) or write (store) tag for the current
// translation regime, and the address is aligned to the element size (the tag compare includes
// those low bits, as for the integer accesses) — so it needs no alignment check, no device,
// watchpoint or code page (none of those has the tag), and its result is the whole instruction's.
// Anything else — a miss, a page crossing, a misaligned element, an unaligned SP base — runs the
// instruction in the interpreter (jitExec) with the registers stored: a fault in the middle of an
// LD1 of several registers then leaves exactly the interpreter's state (the registers loaded
// before the faulting element written, the base not written back; the Arm ARM makes those
// destination registers UNKNOWN after a synchronous abort, which the interpreter's values are one
// choice of), and a store the bytes before the faulting element.
import { L, OS } from '../core-constants';
import { I0, I1, T0 } from './abi';
import { Op, V } from './wasm-encoder';
import type { DecodedOp, Translator } from './translate';

const VBASE = L.CPU_BASE + L.OFF_V;
const vAt = (n: number): number => VBASE + 16 * (n & 31);
const TE_READ = 0, TE_WRITE = 8;
const LD = [Op.i64_load8_u, Op.i64_load16_u, Op.i64_load32_u, Op.i64_load];
const ST = [Op.i64_store8, Op.i64_store16, Op.i64_store32, Op.i64_store];
const SPLAT = [V.load8_splat, V.load16_splat, V.load32_splat, V.load64_splat];

const info = (d: DecodedOp): number => Number(d.imm & 0xffff_ffffn);

/** The structure load/store runs inline (LD1-LD4/ST1-ST4 multiple structures; LD1/ST1 single structure, LD1R). */
export function inlineStruct(d: DecodedOp): boolean {
  if (d.op === OS.OPS_LDST_MULT) return true;
  return d.op === OS.OPS_LDST_SINGLE && (info(d) & 0xff) === 1;
}

/** LD1/ST1/LD1R (inlineStruct) with the fast-TLB probe; the interpreter on the slow path. */
export function structLdst(t: Translator, d: DecodedOp): void {
  const b = t.b;
  const esz = d.p1, q = (d.p2 & 1) !== 0, isLoad = (d.p2 & 2) !== 0, replicate = (d.p2 & 4) !== 0;
  const mult = d.op === OS.OPS_LDST_MULT;
  const rpt = info(d) >> 8; // registers (multiple) or the lane index (single)
  const selem = info(d) & 0xff; // elements per structure (LD2-LD4/ST2-ST4: 2-4, with rpt = 1)
  const total = mult ? rpt * selem * (q ? 16 : 8) : 1 << esz;
  t.rget(d.rn); b.set(T0);
  t.probe(T0, I0, isLoad ? TE_READ : TE_WRITE, esz);
  if (total > 1 << esz) b.get(T0).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).i32(4096 - total).op(Op.i32_le_u).op(Op.i32_and);
  if (t.spBad(d.rn)) b.op(Op.i32_eqz).op(Op.i32_and);
  b.begin(Op.if);
  t.host(T0, I0); b.set(I1);
  if (mult && selem > 1) {
    // interleaved: element el of register Vt+s at byte (el * selem + s) << esz (ldst.ts execMultiple)
    const elements = (q ? 16 : 8) >> esz;
    for (let s = 0; s < selem; s++) {
      const v = vAt(d.rd + s);
      for (let el = 0; el < elements; el++) {
        const m = (el * selem + s) << esz;
        if (isLoad) b.i32(0).get(I1).mem(LD[esz], 0, m).mem(ST[esz], esz, v + (el << esz));
        else b.get(I1).i32(0).mem(LD[esz], esz, v + (el << esz)).mem(ST[esz], 0, m);
      }
      if (isLoad && !q) b.i32(0).i64(0).mem(Op.i64_store, 3, v + 8);
    }
  } else if (mult) {
    for (let r = 0; r < rpt; r++) {
      const v = vAt(d.rd + r);
      if (isLoad) {
        if (q) b.i32(0).get(I1).vmem(V.load, 0, 16 * r).vmem(V.store, 4, v);
        else b.i32(0).get(I1).mem(Op.i64_load, 0, 8 * r).mem(Op.i64_store, 3, v).i32(0).i64(0).mem(Op.i64_store, 3, v + 8);
      } else {
        if (q) b.get(I1).i32(0).vmem(V.load, 4, v).vmem(V.store, 0, 16 * r);
        else b.get(I1).i32(0).mem(Op.i64_load, 3, v).mem(Op.i64_store, 0, 8 * r);
      }
    }
  } else if (replicate) {
    const v = vAt(d.rd);
    b.i32(0).get(I1).vmem(SPLAT[esz], 0, 0).vmem(V.store, 4, v);
    if (!q) b.i32(0).i64(0).mem(Op.i64_store, 3, v + 8);
  } else {
    const at = vAt(d.rd) + (rpt << esz); // lane `index` (the other lanes are unchanged)
    if (isLoad) b.i32(0).get(I1).mem(LD[esz], 0, 0).mem(ST[esz], esz, at);
    else b.get(I1).i32(0).mem(LD[esz], esz, at).mem(ST[esz], 0, 0);
  }
  if (d.ra !== 0) { // post-index: by the bytes transferred (Rm = 31) or by Xm
    b.get(T0);
    if (d.rm === L.REG_ZR) b.i64(total); else t.rget(d.rm);
    b.op(Op.i64_add);
    t.rset(d.rn);
  }
  b.op(Op.else);
  t.slowAccess();
  b.end();
}
