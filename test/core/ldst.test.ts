// Loads and stores (Arm ARM C4.1.94 / C6.2): every size and extension of LDR/STR in every
// addressing mode, literal loads, pairs, unaligned page-crossing accesses, PRFM, unprivileged
// LDTR/STTR, Rt/Rn = 31, and self-modifying code.
//
// With stage 1 translation off every data access is Device-nGnRnE (Arm ARM D8.2.x "Behavior when
// stage 1 address translation is disabled"), and an unaligned access to Device memory takes an
// Alignment fault (B2.5.2). So the MMU-off tables use aligned addresses only; unaligned and
// page-crossing accesses are tested with the MMU on (Normal memory) — see Setup.mmu.
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import {
  CODE, DATA, SR, STACK, VBAR1, esrEC, esrISS, expectRun, hex, le32, le64, run, runTable, type Case, type Setup,
} from './harness';
import { sint, trunc } from './ref';

const ONES = 0xffff_ffff_ffff_ffffn;
const JUNK = 0xdead_beef_cafe_f00dn;

/** The byte pattern placed over the whole 64 KiB data area: mixes positive and negative bytes. */
const pat = (i: number) => ((i * 0x4b) ^ 0xa5) & 0xff;
const PATTERN = Uint8Array.from({ length: 0x10000 }, (_, i) => pat(i));
const B = DATA + 0x4000n; // base register value: room for negative and large positive offsets

function memVal(addr: bigint, bytes: number): bigint {
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(PATTERN[Number(addr - DATA) + i]);
  return v;
}
/** The pattern over [addr-8, addr+bytes+8) with `bytes` bytes of `val` stored at addr. */
function storedWindow(addr: bigint, bytes: number, val: bigint): [bigint, Uint8Array] {
  const start = addr - 8n;
  const w = PATTERN.slice(Number(start - DATA), Number(start - DATA) + bytes + 16);
  for (let i = 0; i < bytes; i++) w[8 + i] = Number((val >> BigInt(8 * i)) & 0xffn);
  return [start, w];
}

interface Kind { name: string; size: number; opc: number; store: boolean; ext: (v: bigint) => bigint }
const KINDS: Kind[] = [
  { name: 'strb', size: 0, opc: 0, store: true, ext: (v) => v },
  { name: 'ldrb', size: 0, opc: 1, store: false, ext: (v) => v },
  { name: 'ldrsb x', size: 0, opc: 2, store: false, ext: (v) => trunc(sint(v, 8), 64) },
  { name: 'ldrsb w', size: 0, opc: 3, store: false, ext: (v) => trunc(sint(v, 8), 32) },
  { name: 'strh', size: 1, opc: 0, store: true, ext: (v) => v },
  { name: 'ldrh', size: 1, opc: 1, store: false, ext: (v) => v },
  { name: 'ldrsh x', size: 1, opc: 2, store: false, ext: (v) => trunc(sint(v, 16), 64) },
  { name: 'ldrsh w', size: 1, opc: 3, store: false, ext: (v) => trunc(sint(v, 16), 32) },
  { name: 'str w', size: 2, opc: 0, store: true, ext: (v) => v },
  { name: 'ldr w', size: 2, opc: 1, store: false, ext: (v) => v },
  { name: 'ldrsw', size: 2, opc: 2, store: false, ext: (v) => trunc(sint(v, 32), 64) },
  { name: 'str x', size: 3, opc: 0, store: true, ext: (v) => v },
  { name: 'ldr x', size: 3, opc: 1, store: false, ext: (v) => v },
];
const STORE_VAL = 0x8899_aabb_ccdd_eeffn;

/** One access of `kind` at `addr` with base register x1 (or SP) → a table case. */
function accessCase(kind: Kind, mode: string, word: number, addr: bigint, s: Setup, wb: Record<number, bigint> = {}, spWb?: bigint): Case {
  const bytes = 1 << kind.size;
  const setup: Setup = { ...s, mem: [[DATA, PATTERN]], x: { 0: kind.store ? STORE_VAL : JUNK, ...s.x } };
  if (kind.store) {
    return { name: `${kind.name} ${mode} @${hex(addr)}`, words: [word], s: setup, e: { x: wb, sp: spWb, mem: [storedWindow(addr, bytes, STORE_VAL)] } };
  }
  return { name: `${kind.name} ${mode} @${hex(addr)}`, words: [word], s: setup, e: { x: { 0: kind.ext(memVal(addr, bytes)), ...wb }, sp: spWb } };
}

function singleRegisterCases(kind: Kind, imm9s: number[], extra: Setup): Case[] {
  const cases: Case[] = [];
  const { size, opc } = kind;
  // unsigned offset (scaled imm12)
  for (const imm12 of [0, 1, 0x7ff, 0xfff]) {
    cases.push(accessCase(kind, `[x1, #${imm12 << size}]`, E.ldstUimm(size, opc, 0, 1, imm12), B + (BigInt(imm12) << BigInt(size)), { ...extra, x: { 1: B } }));
  }
  // Rn = SP
  cases.push(accessCase(kind, '[sp, #scaled 3]', E.ldstUimm(size, opc, 0, 31, 3), B + (3n << BigInt(size)), { ...extra, sp: B }));
  for (const imm9 of imm9s) {
    const off = BigInt(imm9);
    cases.push(accessCase(kind, `[x1, #${imm9}] (LDUR/STUR)`, E.ldstImm9(size, opc, 0, 1, imm9, 0), B + off, { ...extra, x: { 1: B } }));
    cases.push(accessCase(kind, `[x1, #${imm9}]! (pre)`, E.ldstImm9(size, opc, 0, 1, imm9, 3), B + off, { ...extra, x: { 1: B } }, { 1: B + off }));
    cases.push(accessCase(kind, `[x1], #${imm9} (post)`, E.ldstImm9(size, opc, 0, 1, imm9, 1), B, { ...extra, x: { 1: B } }, { 1: B + off }));
    cases.push(accessCase(kind, `[sp, #${imm9}]! (pre, SP)`, E.ldstImm9(size, opc, 0, 31, imm9, 3), B + off, { ...extra, sp: B }, {}, B + off));
    cases.push(accessCase(kind, `[sp], #${imm9} (post, SP)`, E.ldstImm9(size, opc, 0, 31, imm9, 1), B, { ...extra, sp: B }, {}, B + off));
  }
  // register offset
  const regs: [string, number, bigint, bigint][] = [
    ['lsl', 3, 24n, 24n],
    ['uxtw', 2, 0xffff_ffff_0000_0010n, 16n],
    ['sxtw', 6, 0x0000_0000_ffff_fff0n, -16n],
    ['sxtx', 7, trunc(-8n, 64), -8n],
  ];
  for (const [name, option, xm, off] of regs) {
    for (const S of [0, 1]) {
      const eff = S ? off << BigInt(size) : off;
      cases.push(accessCase(kind, `[x1, x2, ${name}${S ? ` #${size}` : ''}] x2=${hex(xm)}`, E.ldstReg(size, opc, 0, 1, 2, option, S), B + eff, { ...extra, x: { 1: B, 2: xm } }));
    }
  }
  return cases;
}

describe('single register loads/stores: every size, extension and addressing mode (MMU off, aligned)', () => {
  for (const kind of KINDS) {
    it(kind.name, () => { runTable(singleRegisterCases(kind, [-256, -16, 0, 16, 248], {})); });
  }
});

describe('single register loads/stores: unaligned offsets (MMU on, Normal memory)', () => {
  for (const kind of KINDS) {
    it(kind.name, () => { runTable(singleRegisterCases(kind, [-255, -3, -1, 1, 3, 255], { mmu: true })); });
  }
});

describe('single register: special registers and values', () => {
  it('ldr xzr, [x1] discards the value (SP unchanged)', () => {
    expectRun([E.ldstUimm(3, 1, 31, 1, 0)], { x: { 1: DATA }, sp: STACK, mem: [[DATA, le64(0x1234n)]] }, {});
  });
  it('str xzr, [x1] stores zero', () => {
    expectRun([E.ldstUimm(3, 0, 31, 1, 0)], { x: { 1: DATA }, sp: STACK, mem: [[DATA, le64(ONES, ONES)]] },
      { mem: [[DATA, le64(0n, ONES)]] });
  });
  it('strb wzr, [x1, #1] stores one zero byte', () => {
    expectRun([E.ldstUimm(0, 0, 31, 1, 1)], { x: { 1: DATA }, mem: [[DATA, le64(ONES)]] }, { mem: [[DATA, le64(0xffff_ffff_ffff_00ffn)]] });
  });
  it('ldr x1, [x1] (Rt == Rn, no writeback)', () => {
    expectRun([E.ldstUimm(3, 1, 1, 1, 0)], { x: { 1: DATA }, mem: [[DATA, le64(0x5566n)]] }, { x: { 1: 0x5566n } });
  });
  it('ldr w0 zero-extends into X0', () => {
    expectRun([E.ldstUimm(2, 1, 0, 1, 0)], { x: { 0: ONES, 1: DATA }, mem: [[DATA, le32(0xffff_fffen)]] }, { x: { 0: 0xffff_fffen } });
  });
  it('ldrsb w0 of 0x80 = 0x00000000ffffff80', () => {
    expectRun([E.ldstUimm(0, 3, 0, 1, 0)], { x: { 0: ONES, 1: DATA }, mem: [[DATA, new Uint8Array([0x80])]] }, { x: { 0: 0xffff_ff80n } });
  });
  it('ldrsh x0 of 0x8000 = 0xffffffffffff8000', () => {
    expectRun([E.ldstUimm(1, 2, 0, 1, 0)], { x: { 1: DATA }, mem: [[DATA, new Uint8Array([0x00, 0x80])]] }, { x: { 0: 0xffff_ffff_ffff_8000n } });
  });
  it('ldrsw x0 of 0x7fffffff stays positive', () => {
    expectRun([E.ldstUimm(2, 2, 0, 1, 0)], { x: { 0: ONES, 1: DATA }, mem: [[DATA, le32(0x7fff_ffffn)]] }, { x: { 0: 0x7fff_ffffn } });
  });
  it('stp x29, x30, [sp, #-16]! ; ldp x29, x30, [sp], #16 (push/pop)', () => {
    const push = E.ldstPair(2, 0, 3, 29, 30, 31, -2);
    const pop = E.ldstPair(2, 1, 1, 29, 30, 31, 2);
    const r = expectRun([push, E.movz(29, 0), E.movz(30, 0), pop], { x: { 29: 0x2929n, 30: 0x3030n }, sp: STACK }, { sp: STACK });
    expect(r.u64(STACK - 16n)).toBe(0x2929n);
    expect(r.u64(STACK - 8n)).toBe(0x3030n);
  });
  it('ldtr x0, [x1, #8] at EL1 (unprivileged; MMU off so no permission checks)', () => {
    expectRun([0xf8408820], { x: { 1: DATA }, mem: [[DATA, le64(1n, 0x7777n)]] }, { x: { 0: 0x7777n } });
  });
  it('sttr x0, [x1]', () => {
    expectRun([0xf8000820], { x: { 0: 0xabcdn, 1: DATA } }, { mem: [[DATA, le64(0xabcdn)]] });
  });
  it('ldtrsb x0, [x1]', () => {
    expectRun([0x38800820], { x: { 1: DATA }, mem: [[DATA, new Uint8Array([0xfe])]] }, { x: { 0: trunc(-2n, 64) } });
  });
});

describe('LDR (literal)', () => {
  const lit = le64(0x8000_0001_8765_4321n);
  it('ldr x0, .+8', () => {
    expectRun([E.ldrLit(1, 0, 2), E.NOP], { steps: 1, mem: [[CODE + 8n, lit]] }, { x: { 0: 0x8000_0001_8765_4321n }, pc: CODE + 4n });
  });
  it('ldr w0, .+8 zero-extends', () => {
    expectRun([E.ldrLit(0, 0, 2)], { x: { 0: JUNK }, mem: [[CODE + 8n, lit]] }, { x: { 0: 0x8765_4321n } });
  });
  it('ldrsw x0, .+12 sign-extends', () => {
    expectRun([E.ldrLit(2, 0, 3)], { mem: [[CODE + 8n, lit]] }, { x: { 0: 0xffff_ffff_8000_0001n } });
  });
  it('ldr x0, .-8 (negative offset)', () => {
    expectRun([E.ldrLit(1, 0, -2)], { at: CODE + 0x10n, mem: [[CODE + 8n, lit]] }, { x: { 0: 0x8000_0001_8765_4321n } });
  });
  it('ldr x0, .+0xffffc (max offset; target 8-byte aligned)', () => {
    expectRun([E.ldrLit(1, 0, 0x3ffff)], { at: CODE + 4n, mem: [[CODE + 0x10_0000n, le64(0x42n)]] }, { x: { 0: 0x42n } });
  });
  it('ldr x0, .-0x100000 (min offset)', () => {
    expectRun([E.ldrLit(1, 0, -0x40000)], { at: CODE + 0x10_0000n, mem: [[CODE, le64(0x43n)]] }, { x: { 0: 0x43n } });
  });
  it('ldr xzr, literal: Rt=31 discards (SP unchanged)', () => {
    expectRun([E.ldrLit(1, 31, 2)], { sp: STACK, mem: [[CODE + 8n, lit]] }, {});
  });
});

describe('load/store pair', () => {
  const A = 0x8111_2222_8333_4444n, Bv = 0x9555_6666_f777_8888n;
  const pairCases = (mmu: boolean): Case[] => {
    const cases: Case[] = [];
    const kinds: [string, number, number, number][] = [ // name, opc, L, element bytes
      ['stp w', 0, 0, 4], ['ldp w', 0, 1, 4], ['ldpsw', 1, 1, 4], ['stp x', 2, 0, 8], ['ldp x', 2, 1, 8],
    ];
    for (const [name, opc, L, eb] of kinds) {
      for (const mode of [0, 1, 2, 3]) {
        if (opc === 1 && mode === 0) continue; // LDNP has no signed form
        for (const imm7 of [-64, -1, 0, 1, 63]) {
          const off = BigInt(imm7 * eb);
          const addr = mode === 1 ? B : B + off;
          const wb: Record<number, bigint> = mode === 1 || mode === 3 ? { 2: B + off } : {};
          const mname = ['np', 'post', 'offset', 'pre'][mode];
          const word = E.ldstPair(opc, L, mode, 0, 1, 2, imm7);
          const s: Setup = { mmu, mem: [[DATA, PATTERN]], x: { 0: L ? JUNK : A, 1: L ? JUNK : Bv, 2: B } };
          if (L) {
            const ext = (v: bigint) => (opc === 1 ? trunc(sint(v, 32), 64) : v);
            cases.push({ name: `${name} ${mname} #${imm7 * eb}`, words: [word], s, e: { x: { 0: ext(memVal(addr, eb)), 1: ext(memVal(addr + BigInt(eb), eb)), ...wb } } });
          } else {
            const want = PATTERN.slice(Number(addr - DATA) - 8, Number(addr - DATA) + 2 * eb + 8);
            for (let i = 0; i < eb; i++) {
              want[8 + i] = Number((A >> BigInt(8 * i)) & 0xffn);
              want[8 + eb + i] = Number((Bv >> BigInt(8 * i)) & 0xffn);
            }
            cases.push({ name: `${name} ${mname} #${imm7 * eb}`, words: [word], s, e: { x: wb, mem: [[addr - 8n, want]] } });
          }
        }
      }
    }
    return cases;
  };
  it('LDP/STP/LDPSW/LDNP/STNP, W and X, all index modes (MMU off)', () => { runTable(pairCases(false)); });
  it('LDP/STP/LDPSW/LDNP/STNP, W and X, all index modes (MMU on)', () => { runTable(pairCases(true)); });
  it('ldp w0, w1 zero-extends, ldpsw sign-extends', () => {
    const mem: [bigint, Uint8Array][] = [[DATA, le32(0x8000_0000n, 0x7fff_ffffn)]];
    expectRun([E.ldstPair(0, 1, 2, 0, 1, 2, 0)], { x: { 0: ONES, 1: ONES, 2: DATA }, mem }, { x: { 0: 0x8000_0000n, 1: 0x7fff_ffffn } });
    expectRun([E.ldstPair(1, 1, 2, 0, 1, 2, 0)], { x: { 2: DATA }, mem }, { x: { 0: 0xffff_ffff_8000_0000n, 1: 0x7fff_ffffn } });
  });
  it('stp xzr, xzr stores zeros', () => {
    expectRun([E.ldstPair(2, 0, 2, 31, 31, 1, 0)], { x: { 1: DATA }, sp: STACK, mem: [[DATA, le64(ONES, ONES, ONES)]] }, { mem: [[DATA, le64(0n, 0n, ONES)]] });
  });
});

describe('unaligned accesses that cross a 4 KiB page (MMU on, Normal memory)', () => {
  const page = DATA + 0x1000n;
  const cases: [string, number, bigint, number, (v: bigint) => bigint][] = [
    ['ldr x0, [x1] @ page-3', E.ldstUimm(3, 1, 0, 1, 0), page - 3n, 8, (v) => v],
    ['ldr x0, [x1] @ page-1', E.ldstUimm(3, 1, 0, 1, 0), page - 1n, 8, (v) => v],
    ['ldr w0, [x1] @ page-2', E.ldstUimm(2, 1, 0, 1, 0), page - 2n, 4, (v) => v],
    ['ldrsw x0, [x1] @ page-1', E.ldstUimm(2, 2, 0, 1, 0), page - 1n, 4, (v) => trunc(sint(v, 32), 64)],
    ['ldrh w0, [x1] @ page-1', E.ldstUimm(1, 1, 0, 1, 0), page - 1n, 2, (v) => v],
    ['ldrsh x0, [x1] @ page-1', E.ldstUimm(1, 2, 0, 1, 0), page - 1n, 2, (v) => trunc(sint(v, 16), 64)],
  ];
  for (const [name, word, addr, bytes, ext] of cases) {
    it(name, () => {
      expectRun([word], { mmu: true, x: { 0: JUNK, 1: addr }, mem: [[DATA, PATTERN]] }, { x: { 0: ext(memVal(addr, bytes)) } });
    });
  }
  it('ldur x0, [x1, #-3] crossing backwards into the previous page', () => {
    expectRun([E.ldstImm9(3, 1, 0, 1, -3, 0)], { mmu: true, x: { 1: page + 2n }, mem: [[DATA, PATTERN]] }, { x: { 0: memVal(page - 1n, 8) } });
  });
  for (const [name, word, bytes] of [['str x0', E.ldstUimm(3, 0, 0, 1, 0), 8], ['str w0', E.ldstUimm(2, 0, 0, 1, 0), 4], ['strh w0', E.ldstUimm(1, 0, 0, 1, 0), 2]] as const) {
    it(`${name}, [x1] @ page-${bytes - 1}`, () => {
      const addr = page - BigInt(bytes - 1);
      expectRun([word], { mmu: true, x: { 0: STORE_VAL, 1: addr }, mem: [[DATA, PATTERN]] }, { mem: [storedWindow(addr, bytes, STORE_VAL)] });
    });
  }
  it('ldp x0, x1, [x2] with the pair straddling the page (second element on the next page)', () => {
    expectRun([E.ldstPair(2, 1, 2, 0, 1, 2, 0)], { mmu: true, x: { 2: page - 8n }, mem: [[DATA, PATTERN]] }, { x: { 0: memVal(page - 8n, 8), 1: memVal(page, 8) } });
  });
  it('ldp x0, x1, [x2] with the first element itself crossing the page', () => {
    expectRun([E.ldstPair(2, 1, 2, 0, 1, 2, 0)], { mmu: true, x: { 2: page - 4n }, mem: [[DATA, PATTERN]] }, { x: { 0: memVal(page - 4n, 8), 1: memVal(page + 4n, 8) } });
  });
  it('stp x0, x1, [x2] crossing the page', () => {
    const want = PATTERN.slice(0xff0, 0x1020);
    want.set(le64(STORE_VAL, 0x0102_0304_0506_0708n), 0xffa - 0xff0);
    expectRun([E.ldstPair(2, 0, 2, 0, 1, 2, 0)], { mmu: true, x: { 0: STORE_VAL, 1: 0x0102_0304_0506_0708n, 2: page - 6n }, mem: [[DATA, PATTERN]] },
      { mem: [[DATA + 0xff0n, want]] });
  });
});

describe('alignment with the MMU off (Device-nGnRnE): unaligned access → Alignment fault', () => {
  // Arm ARM B2.5.2: an unaligned access to any type of Device memory generates an Alignment fault.
  // Data Abort taken to EL1 from EL1: EC 0x25, DFSC 0b100001, FAR = the faulting VA, ELR = the insn.
  it('ldr x0, [x1] with x1 = DATA + 4', () => {
    const r = run([E.ldstUimm(3, 1, 0, 1, 0)], { x: { 0: JUNK, 1: DATA + 4n } });
    expect(hex(r.pc)).toBe(hex(VBAR1 + 0x200n));
    const esr = r.sys(SR.ESR_EL1);
    expect(esrEC(esr)).toBe(0x25);
    expect(esrISS(esr) & 0x3f).toBe(0x21);
    expect((esrISS(esr) >> 6) & 1).toBe(0); // WnR = 0
    expect(hex(r.sys(SR.FAR_EL1))).toBe(hex(DATA + 4n));
    expect(hex(r.sys(SR.ELR_EL1))).toBe(hex(CODE));
    expect(r.x[0]).toBe(JUNK);
  });
  it('strh w0, [x1] with x1 odd: WnR = 1, memory unchanged', () => {
    const r = run([E.ldstUimm(1, 0, 0, 1, 0)], { x: { 0: 0xffffn, 1: DATA + 1n } });
    expect(hex(r.pc)).toBe(hex(VBAR1 + 0x200n));
    const esr = r.sys(SR.ESR_EL1);
    expect(esrEC(esr)).toBe(0x25);
    expect(esrISS(esr) & 0x3f).toBe(0x21);
    expect((esrISS(esr) >> 6) & 1).toBe(1);
    expect(r.u32(DATA)).toBe(0n);
  });
  it('ldrb at an odd address is aligned and works', () => {
    expectRun([E.ldstUimm(0, 1, 0, 1, 0)], { x: { 1: DATA + 1n }, mem: [[DATA, new Uint8Array([1, 2])]] }, { x: { 0: 2n } });
  });
});

describe('PRFM: no effect and no fault', () => {
  const s = (x1: bigint): Setup => ({ x: { 1: x1, 2: 0x10n }, sp: STACK, nzcv: 0b0110 });
  it('prfm pldl1keep, [x1] at an unassigned physical address (MMU off): no MMIO exit', () => {
    expectRun([E.ldstUimm(3, 2, 0, 1, 0)], s(0x1000_0000n), {});
  });
  it('prfm pstl1strm, [x1, #8] on a device address', () => { expectRun([0xf9800431], s(0x0900_0000n), {}); });
  it('prfm (register) on an unmapped address', () => { expectRun([E.ldstReg(3, 2, 0, 1, 2, 3, 0)], s(0xffff_0000_0000_0000n), {}); });
  it('prfum pldl1keep, [x1, #-1]', () => { expectRun([E.ldstImm9(3, 2, 0, 1, -1, 0)], s(0x10n), {}); });
  it('prfm (literal)', () => { expectRun([E.ldrLit(3, 0, 0x100)], s(0n), {}); });
  it('prfm with the MMU on, address outside the translated range', () => {
    expectRun([E.ldstUimm(3, 2, 0, 1, 0)], { ...s(0x80_0000_0000n), mmu: true }, {});
  });
});

describe('self-modifying code (store + DC CVAU, DSB, IC IVAU, DSB, ISB as the Arm ARM requires)', () => {
  const ADD1 = 0x91000400, ADD100 = 0x91040000; // add x0, x0, #1 / add x0, x0, #0x100
  const DC_CVAU_X2 = 0xd50b7b22, IC_IVAU_X2 = 0xd50b7522, DSB_ISH = 0xd5033b9f, ISB = 0xd5033fdf;
  const SYNC = [DC_CVAU_X2, DSB_ISH, IC_IVAU_X2, DSB_ISH, ISB];
  it('a store over an already executed instruction makes the new one run', () => {
    const prog = [
      ADD1, // 0x00: rewritten to add x0, x0, #0x100
      E.cbz(1, 3, 9, 1), // 0x04: cbnz x3, 0x28
      E.ldstUimm(2, 0, 1, 2, 0), // 0x08: str w1, [x2]
      ...SYNC, // 0x0c..0x1c
      E.movz(3, 1), // 0x20
      E.b(-9), // 0x24: b 0x00
      E.NOP, // 0x28
    ];
    // add(1) cbnz str dc dsb ic dsb isb movz b add(0x100) cbnz → 0x28
    expectRun(prog, { x: { 1: BigInt(ADD100), 2: CODE }, steps: 12 }, { x: { 0: 0x101n, 3: 1n }, pc: CODE + 0x28n });
  });
  it('a store to the next instructions on the same page (decoded before they ran)', () => {
    // The whole page is decoded lazily; the store targets CODE+0x18, after the maintenance sequence.
    const p = [E.ldstUimm(2, 0, 1, 2, 0), ...SYNC, ADD1];
    expectRun(p, { x: { 1: BigInt(ADD100), 2: CODE + 0x18n }, steps: 7 }, { x: { 0: 0x100n } });
  });
  it('a store to code on another page that ran before', () => {
    // 0: blr x4 (→ CODE+0x2000: add x0,x0,#1 ; ret) ; 4: str w1, [x2] ; 8..0x18: sync ; 0x1c: blr x4 ; 0x20: nop
    const words = new Array(0x2008 / 4).fill(E.NOP);
    words.splice(0, 8, E.blr(4), E.ldstUimm(2, 0, 1, 2, 0), ...SYNC, E.blr(4));
    words[0x2000 / 4] = ADD1;
    words[0x2004 / 4] = E.ret();
    // blr add ret str dc dsb ic dsb isb blr add(new) ret → CODE+0x20
    expectRun(words, { x: { 1: BigInt(ADD100), 2: CODE + 0x2000n, 4: CODE + 0x2000n }, steps: 12 },
      { x: { 0: 0x101n, 30: CODE + 0x20n }, pc: CODE + 0x20n });
  });
});
