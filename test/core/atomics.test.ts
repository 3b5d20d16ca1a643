// Exclusives (LDXR/STXR, LDAXR/STLXR, LDXP/STXP, CLREX), load-acquire/store-release (LDAR/STLR,
// LDAPR) and FEAT_LSE atomics (CAS*, CASP*, SWP*, LD<op>*, ST<op>*), Arm ARM C6.2 and B2.9.
//
// Memory type: with the MMU off every data access is Device-nGnRnE. Whether exclusives and LSE
// atomics are supported on Device memory is IMPLEMENTATION DEFINED (B2.9, B2.2.x); this core (like
// QEMU) supports them, and the MMU-off tables rely on that choice. Each group is repeated with the
// MMU on (Normal Write-Back Inner Shareable memory), where the behaviour is fully architectural.
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { CODE, DATA, SR, VBAR1, esrEC, esrISS, expectRun, hex, le32, le64, run, runTable, type Case, type Setup } from './harness';
import { sint, trunc } from './ref';

const ONES = 0xffff_ffff_ffff_ffffn;
const JUNK = 0xdead_beef_cafe_f00dn;
const A = DATA + 0x100n; // 16-byte aligned
const A2 = DATA + 0x1100n; // another exclusives reservation granule, another page

const CLREX = 0xd503305f;
const MMU_MODES = [false, true] as const;
const modeName = (mmu: boolean) => (mmu ? 'MMU on, Normal memory' : 'MMU off, Device memory');

/** WnR is checked when `write` is given (it is left open for read-modify-write atomics). */
function alignmentFault(r: ReturnType<typeof run>, va: bigint, write?: boolean): void {
  expect(hex(r.pc), 'PC at the EL1 current-EL SPx synchronous vector').toBe(hex(VBAR1 + 0x200n));
  const esr = r.sys(SR.ESR_EL1);
  expect(esrEC(esr), 'EC = Data Abort, same EL').toBe(0x25);
  expect(esrISS(esr) & 0x3f, 'DFSC = Alignment fault').toBe(0x21);
  if (write !== undefined) expect((esrISS(esr) >> 6) & 1, 'WnR').toBe(write ? 1 : 0);
  expect(hex(r.sys(SR.FAR_EL1)), 'FAR').toBe(hex(va));
  expect(hex(r.sys(SR.ELR_EL1)), 'ELR = the faulting instruction').toBe(hex(CODE));
}

for (const mmu of MMU_MODES) {
  describe(`exclusives (${modeName(mmu)})`, () => {
    const s = (x: Record<number, bigint>, mem: [bigint, Uint8Array][] = [[A, le64(0x1111n, 0x2222n)]]): Setup => ({ mmu, x, mem });
    it('ldxr x0, [x1]; stxr w3, x2, [x1] → status 0, store performed', () => {
      expectRun([E.ldxr(3, 0, 1), E.stxr(3, 3, 2, 1)], s({ 1: A, 2: 0x5555n, 3: JUNK }),
        { x: { 0: 0x1111n, 3: 0n }, mem: [[A, le64(0x5555n, 0x2222n)]] });
    });
    it('ldxr; clrex; stxr → status 1, memory unchanged', () => {
      expectRun([E.ldxr(3, 0, 1), CLREX, E.stxr(3, 3, 2, 1)], s({ 1: A, 2: 0x5555n, 3: JUNK }),
        { x: { 0: 0x1111n, 3: 1n }, mem: [[A, le64(0x1111n)]] });
    });
    it('stxr without a preceding ldxr → status 1', () => {
      expectRun([E.stxr(3, 3, 2, 1)], s({ 1: A, 2: 0x5555n, 3: JUNK }), { x: { 3: 1n }, mem: [[A, le64(0x1111n)]] });
    });
    it('stxr to a different address than the ldxr → status 1, neither location written', () => {
      expectRun([E.ldxr(3, 0, 1), E.stxr(3, 3, 2, 4)], s({ 1: A, 2: 0x5555n, 3: JUNK, 4: A2 }, [[A, le64(0x1111n)], [A2, le64(0x3333n)]]),
        { x: { 0: 0x1111n, 3: 1n }, mem: [[A, le64(0x1111n)], [A2, le64(0x3333n)]] });
    });
    it('ldxr [A]; ldxr [B]; stxr [A] → status 1 (the monitor moved to B)', () => {
      expectRun([E.ldxr(3, 0, 1), E.ldxr(3, 5, 4), E.stxr(3, 3, 2, 1)], s({ 1: A, 2: 0x5555n, 3: JUNK, 4: A2 }, [[A, le64(0x1111n)], [A2, le64(0x3333n)]]),
        { x: { 0: 0x1111n, 5: 0x3333n, 3: 1n }, mem: [[A, le64(0x1111n)]] });
    });
    it('a second stxr after a successful one fails (the store-exclusive clears the monitor)', () => {
      expectRun([E.ldxr(3, 0, 1), E.stxr(3, 3, 2, 1), E.stxr(3, 6, 7, 1)], s({ 1: A, 2: 0x5555n, 7: 0x7777n, 3: JUNK, 6: JUNK }),
        { x: { 0: 0x1111n, 3: 0n, 6: 1n }, mem: [[A, le64(0x5555n)]] });
    });
    for (const [size, name] of [[0, 'b'], [1, 'h'], [2, ' w']] as const) {
      it(`ldxr${name} / stxr${name}: zero-extended load, only ${1 << size} byte(s) stored`, () => {
        const bytes = 1 << size;
        const want = le64(0x1122_3344_5566_7788n);
        for (let i = 0; i < bytes; i++) want[i] = Number((0xaabb_ccdd_eeff_0011n >> BigInt(8 * i)) & 0xffn);
        expectRun([E.ldxr(size, 0, 1), E.stxr(size, 3, 2, 1)],
          s({ 0: ONES, 1: A, 2: 0xaabb_ccdd_eeff_0011n, 3: JUNK }, [[A, le64(0x1122_3344_5566_7788n)]]),
          { x: { 0: trunc(0x1122_3344_5566_7788n, 8 * bytes), 3: 0n }, mem: [[A, want]] });
      });
    }
    it('ldaxr / stlxr (acquire/release forms)', () => {
      expectRun([E.ldxr(3, 0, 1, 1), E.stxr(3, 3, 2, 1, 1)], s({ 1: A, 2: 0x5555n, 3: JUNK }),
        { x: { 0: 0x1111n, 3: 0n }, mem: [[A, le64(0x5555n)]] });
    });
    it('ldxr/stxr with SP as the base', () => {
      expectRun([E.ldxr(3, 0, 31), E.stxr(3, 3, 2, 31)], { ...s({ 2: 0x5555n, 3: JUNK }), sp: A },
        { x: { 0: 0x1111n, 3: 0n }, mem: [[A, le64(0x5555n)]] });
    });
    it('ldxp x0, x1, [x2]; stxp w3, x4, x5, [x2]', () => {
      expectRun([E.ldxp(1, 0, 1, 2), E.stxp(1, 3, 4, 5, 2)], s({ 2: A, 3: JUNK, 4: 0xaaaan, 5: 0xbbbbn }),
        { x: { 0: 0x1111n, 1: 0x2222n, 3: 0n }, mem: [[A, le64(0xaaaan, 0xbbbbn)]] });
    });
    it('ldxp w0, w1, [x2]; stxp w3, w4, w5, [x2] (32-bit pair)', () => {
      expectRun([E.ldxp(0, 0, 1, 2), E.stxp(0, 3, 4, 5, 2)], s({ 0: ONES, 1: ONES, 2: A, 3: JUNK, 4: 0xaaaa_0000_0000_1234n, 5: 0x5678n }, [[A, le32(0x8000_0001n, 0xffff_fffen, 0x33n)]]),
        { x: { 0: 0x8000_0001n, 1: 0xffff_fffen, 3: 0n }, mem: [[A, le32(0x1234n, 0x5678n, 0x33n)]] });
    });
    it('ldxp; clrex; stxp → status 1', () => {
      expectRun([E.ldxp(1, 0, 1, 2), CLREX, E.stxp(1, 3, 4, 5, 2)], s({ 2: A, 3: JUNK, 4: 0xaaaan, 5: 0xbbbbn }),
        { x: { 0: 0x1111n, 1: 0x2222n, 3: 1n }, mem: [[A, le64(0x1111n, 0x2222n)]] });
    });
    it('ldxr; eret; stxr → status 1 (exception return clears the local monitor)', () => {
      // ERET to the next instruction at EL1h.
      expectRun([E.ldxr(3, 0, 1), 0xd69f_03e0, E.stxr(3, 3, 2, 1)],
        { ...s({ 1: A, 2: 0x5555n, 3: JUNK }), sysregs: [[SR.SPSR_EL1, 0x3c5n], [SR.ELR_EL1, CODE + 8n]] },
        { x: { 0: 0x1111n, 3: 1n }, mem: [[A, le64(0x1111n)]] });
    });
    it('ldxr x0 at an address that is not 8-byte aligned → Alignment fault', () => {
      alignmentFault(run([E.ldxr(3, 0, 1)], s({ 0: JUNK, 1: A + 4n })), A + 4n, false);
    });
    it('ldxp x0, x1 at an 8- but not 16-byte aligned address → Alignment fault', () => {
      alignmentFault(run([E.ldxp(1, 0, 1, 2)], s({ 2: A + 8n })), A + 8n, false);
    });
    it('stxr w3, x2, [x1] unaligned → Alignment fault (status register not written)', () => {
      alignmentFault(run([E.stxr(3, 3, 2, 1)], s({ 1: A + 1n, 3: JUNK })), A + 1n, true);
    });
  });
}

describe('load-acquire / store-release', () => {
  const mem: [bigint, Uint8Array][] = [[A, le64(0x8182_8384_8586_8788n)]];
  for (const [size, name] of [[0, 'ldarb'], [1, 'ldarh'], [2, 'ldar w'], [3, 'ldar x']] as const) {
    it(`${name}: zero-extended`, () => {
      expectRun([E.ldar(size, 0, 1)], { x: { 0: ONES, 1: A }, mem }, { x: { 0: trunc(0x8182_8384_8586_8788n, 8 << size) } });
    });
  }
  for (const [size, name] of [[0, 'stlrb'], [1, 'stlrh'], [2, 'stlr w'], [3, 'stlr x']] as const) {
    it(`${name}: stores ${1 << size} byte(s)`, () => {
      const want = le64(0x8182_8384_8586_8788n, 0n);
      want.set(le64(0x0102_0304_0506_0708n).slice(0, 1 << size), 0);
      expectRun([E.stlr(size, 0, 1)], { x: { 0: 0x0102_0304_0506_0708n, 1: A }, mem }, { mem: [[A, want]] });
    });
  }
  for (const [word, name, bits] of [[0x38bfc020, 'ldaprb w0, [x1]', 8], [0x78bfc020, 'ldaprh w0, [x1]', 16], [0xb8bfc020, 'ldapr w0, [x1]', 32], [0xf8bfc020, 'ldapr x0, [x1]', 64]] as const) {
    it(name, () => { expectRun([word], { x: { 0: ONES, 1: A }, mem }, { x: { 0: trunc(0x8182_8384_8586_8788n, bits) } }); });
  }
  it('ldar x0, [sp]', () => { expectRun([E.ldar(3, 0, 31)], { sp: A, mem }, { x: { 0: 0x8182_8384_8586_8788n } }); });
});

/** LSE LD<op> reference on `bits`-bit values: returns the new memory value. */
function ldop(op: number, old: bigint, s: bigint, bits: number): bigint {
  const o = trunc(old, bits), v = trunc(s, bits);
  switch (op) {
    case 0: return trunc(o + v, bits); // ADD
    case 1: return o & trunc(~v, bits); // CLR
    case 2: return o ^ v; // EOR
    case 3: return o | v; // SET
    case 4: return sint(o, bits) > sint(v, bits) ? o : v; // SMAX
    case 5: return sint(o, bits) < sint(v, bits) ? o : v; // SMIN
    case 6: return o > v ? o : v; // UMAX
    default: return o < v ? o : v; // UMIN
  }
}
const OPNAMES = ['ldadd', 'ldclr', 'ldeor', 'ldset', 'ldsmax', 'ldsmin', 'ldumax', 'ldumin'];
const SZ = ['b', 'h', '', ''];

for (const mmu of MMU_MODES) {
  describe(`LSE atomics (${modeName(mmu)})`, () => {
    const MEMV = [0x0000_0000_0000_0080n, 0x7fff_ffff_ffff_ff7fn, 0x8000_0000_8000_8001n, ONES, 0n, 0x0123_4567_89ab_cdefn];
    const SV = [0x0000_0000_0000_007fn, 0xffff_ffff_ffff_ff01n, 1n, ONES, 0x8000_0000_0000_0000n];
    it('LD<op>{,A,L,AL}{B,H,,} over sizes, ops and signed/unsigned edge values', () => {
      const cases: Case[] = [];
      let k = 0;
      for (let size = 0; size < 4; size++) {
        const bits = 8 << size;
        for (let op = 0; op < 8; op++) {
          for (const m of MEMV) {
            for (const sv of SV) {
              const a = k & 1, rl = (k >> 1) & 1;
              k++;
              const after = le64(m, 0x5a5a_5a5a_5a5a_5a5an);
              const nv = ldop(op, m, sv, bits);
              for (let i = 0; i < bits / 8; i++) after[i] = Number((nv >> BigInt(8 * i)) & 0xffn);
              cases.push({
                name: `${OPNAMES[op]}${a ? 'a' : ''}${rl ? 'l' : ''}${SZ[size]}${size === 2 ? ' w' : size === 3 ? ' x' : ''} mem=${hex(m)} s=${hex(sv)}`,
                words: [E.ldatomic(size, a, rl, 0, op, 1, 0, 2)],
                s: { mmu, x: { 0: JUNK, 1: sv, 2: A }, mem: [[A, le64(m, 0x5a5a_5a5a_5a5a_5a5an)]] },
                e: { x: { 0: trunc(m, bits) }, mem: [[A, after]] },
              });
            }
          }
        }
      }
      runTable(cases);
    });
    it('ldsmaxb: bytes compare signed (0x80 = -128 < 0x7f; 0xff = -1 < 0x01)', () => {
      expectRun([E.ldatomic(0, 0, 0, 0, 4, 1, 0, 2)], { mmu, x: { 1: 0x7fn, 2: A }, mem: [[A, new Uint8Array([0x80, 0x11])]] },
        { x: { 0: 0x80n }, mem: [[A, new Uint8Array([0x7f, 0x11])]] });
      expectRun([E.ldatomic(0, 0, 0, 0, 4, 1, 0, 2)], { mmu, x: { 1: 0xffff_ff01n, 2: A }, mem: [[A, new Uint8Array([0xff, 0x11])]] },
        { x: { 0: 0xffn }, mem: [[A, new Uint8Array([0x01, 0x11])]] });
    });
    it('ldsminb picks the negative byte; ldumaxb picks 0xff', () => {
      expectRun([E.ldatomic(0, 0, 0, 0, 5, 1, 0, 2)], { mmu, x: { 1: 0x01n, 2: A }, mem: [[A, new Uint8Array([0xff])]] },
        { x: { 0: 0xffn }, mem: [[A, new Uint8Array([0xff])]] });
      expectRun([E.ldatomic(0, 0, 0, 0, 6, 1, 0, 2)], { mmu, x: { 1: 0x01n, 2: A }, mem: [[A, new Uint8Array([0xff])]] },
        { x: { 0: 0xffn }, mem: [[A, new Uint8Array([0xff])]] });
    });
    it('ldsmax w: 32-bit signed (0x80000000 < 1)', () => {
      expectRun([E.ldatomic(2, 0, 0, 0, 4, 1, 0, 2)], { mmu, x: { 0: ONES, 1: 1n, 2: A }, mem: [[A, le32(0x8000_0000n, 0x99n)]] },
        { x: { 0: 0x8000_0000n }, mem: [[A, le32(1n, 0x99n)]] });
    });
    it('stadd x1, [x2] (LDADD with Rt = XZR): memory updated, no register written', () => {
      expectRun([0xf821005f], { mmu, x: { 1: 5n, 2: A }, sp: 0x4000_0000n, mem: [[A, le64(10n)]] }, { mem: [[A, le64(15n)]] });
    });
    it('staddb w1, [x2] and stsmaxb w1, [x2]', () => {
      expectRun([0x3821005f], { mmu, x: { 1: 0x1ffn, 2: A }, mem: [[A, new Uint8Array([0x02, 0x33])]] }, { mem: [[A, new Uint8Array([0x01, 0x33])]] });
      expectRun([0x3821405f], { mmu, x: { 1: 0x81n, 2: A }, mem: [[A, new Uint8Array([0x80, 0x33])]] }, { mem: [[A, new Uint8Array([0x81, 0x33])]] });
    });
    it('SWP{,A,L,AL}{B,H,,}: Rt gets the old value (zero-extended), memory gets Rs', () => {
      const cases: Case[] = [];
      for (let size = 0; size < 4; size++) {
        for (const [a, rl] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          const bits = 8 << size;
          const after = le64(0x8877_6655_4433_2211n, 7n);
          const nv = 0xf0e0_d0c0_b0a0_9080n;
          for (let i = 0; i < bits / 8; i++) after[i] = Number((nv >> BigInt(8 * i)) & 0xffn);
          cases.push({
            name: `swp${a ? 'a' : ''}${rl ? 'l' : ''}${SZ[size]} size=${size}`,
            words: [E.ldatomic(size, a, rl, 1, 0, 1, 0, 2)],
            s: { mmu, x: { 0: JUNK, 1: nv, 2: A }, mem: [[A, le64(0x8877_6655_4433_2211n, 7n)]] },
            e: { x: { 0: trunc(0x8877_6655_4433_2211n, bits) }, mem: [[A, after]] },
          });
        }
      }
      runTable(cases);
    });
    it('swp x1, x1, [x2] (Rs == Rt): old value to X1, old X1 to memory', () => {
      expectRun([E.ldatomic(3, 0, 0, 1, 0, 1, 1, 2)], { mmu, x: { 1: 0x1234n, 2: A }, mem: [[A, le64(0x5678n)]] },
        { x: { 1: 0x5678n }, mem: [[A, le64(0x1234n)]] });
    });
    it('CAS{,A,L,AL}{B,H,,}: success stores Rt, failure leaves memory; Rs always gets the old value', () => {
      const cases: Case[] = [];
      const OLD = 0x8877_6655_4433_2211n;
      for (let size = 0; size < 4; size++) {
        const bits = 8 << size;
        for (const [a, l] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          for (const success of [true, false]) {
            // Compare value: the low `bits` bits decide; junk above them must not matter.
            const cmpv = success ? (trunc(OLD, bits) | (size < 3 ? 0xabcd_0000_0000_0000n : 0n)) : trunc(OLD + 1n, bits);
            const newv = 0xf0e0_d0c0_b0a0_9080n;
            const after = le64(OLD, 9n);
            if (success) for (let i = 0; i < bits / 8; i++) after[i] = Number((newv >> BigInt(8 * i)) & 0xffn);
            cases.push({
              name: `cas${a ? 'a' : ''}${l ? 'l' : ''}${SZ[size]} size=${size} ${success ? 'success' : 'failure'}`,
              words: [E.cas(size, a, l, 0, 1, 2)],
              s: { mmu, x: { 0: cmpv, 1: newv, 2: A }, mem: [[A, le64(OLD, 9n)]] },
              e: { x: { 0: trunc(OLD, bits) }, mem: [[A, after]] },
            });
          }
        }
      }
      runTable(cases);
    });
    it('casb w0, w1, [x2]: compare on the low byte; Ws gets the old byte zero-extended', () => {
      expectRun([E.cas(0, 0, 0, 0, 1, 2)], { mmu, x: { 0: 0xffff_ff80n, 1: 0x7fn, 2: A }, mem: [[A, new Uint8Array([0x80, 0x55])]] },
        { x: { 0: 0x80n }, mem: [[A, new Uint8Array([0x7f, 0x55])]] });
    });
    it('CASP x: success and failure (Rs pair ↔ lower/upper doubleword)', () => {
      const mem: [bigint, Uint8Array][] = [[A, le64(0x1111n, 0x2222n)]];
      expectRun([E.casp(1, 0, 0, 0, 2, 4)], { mmu, x: { 0: 0x1111n, 1: 0x2222n, 2: 0xaaaan, 3: 0xbbbbn, 4: A }, mem },
        { x: { 0: 0x1111n, 1: 0x2222n }, mem: [[A, le64(0xaaaan, 0xbbbbn)]] });
      expectRun([E.casp(1, 1, 1, 0, 2, 4)], { mmu, x: { 0: 0x1111n, 1: 0x9999n, 2: 0xaaaan, 3: 0xbbbbn, 4: A }, mem },
        { x: { 0: 0x1111n, 1: 0x2222n }, mem: [[A, le64(0x1111n, 0x2222n)]] });
    });
    it('CASP w: 32-bit pairs, old values zero-extended', () => {
      const mem: [bigint, Uint8Array][] = [[A, le32(0x8000_0001n, 0xffff_ffffn, 0x77n)]];
      expectRun([E.casp(0, 0, 0, 0, 2, 4)], { mmu, x: { 0: 0x5_8000_0001n, 1: 0xffff_ffffn, 2: 0x12n, 3: 0x34n, 4: A }, mem },
        { x: { 0: 0x8000_0001n, 1: 0xffff_ffffn }, mem: [[A, le32(0x12n, 0x34n, 0x77n)]] });
      expectRun([E.casp(0, 0, 0, 0, 2, 4)], { mmu, x: { 0: 0n, 1: 0xffff_ffffn, 2: 0x12n, 3: 0x34n, 4: A }, mem },
        { x: { 0: 0x8000_0001n, 1: 0xffff_ffffn }, mem: [[A, le32(0x8000_0001n, 0xffff_ffffn, 0x77n)]] });
    });
    it('ldadd x0, x1, [x2] unaligned → Alignment fault, nothing changed', () => {
      const r = run([E.ldatomic(3, 0, 0, 0, 0, 1, 0, 2)], { mmu, x: { 0: JUNK, 1: 1n, 2: A + 4n } });
      alignmentFault(r, A + 4n);
      expect(r.x[0]).toBe(JUNK);
    });
    it('cas w0, w1, [x2] unaligned → Alignment fault', () => {
      alignmentFault(run([E.cas(2, 0, 0, 0, 1, 2)], { mmu, x: { 2: A + 2n } }), A + 2n);
    });
  });
}
