// Tiny A64 programs that take MMU faults: exception class, ISS (DFSC/IFSC with level, WnR, S1PTW,
// ISV/SAS/SSE/SRT/SF/AR), FAR_ELx, ELR_ELx and HPFAR_EL2 as the Arm ARM defines them.
import { describe, expect, it } from 'vitest';
import { SR } from '../../machine/core';
import { A, AF, AP_EL0, AP_RO, RAM, TABLE, UXN, PXN, attrIndx, esrFields, mov64, page, S2_RW, s2MemAttr } from './pt';
import { CODE, DATA, VEC_EL1, VEC_EL2, world } from './world';

const X0 = 0, X1 = 1, X2 = 2, X5 = 5;
const TEST_VA = 0x1000_0000n;

describe('stage-1 aborts taken to EL1', () => {
  it('load from an unmapped VA: EC 0x25, DFSC translation level 3, FAR, ELR', () => {
    const w = world();
    w.map(TEST_VA + 0x1000n, page(DATA)); // tables exist down to level 3 for TEST_VA
    const code = [...mov64(X0, TEST_VA + 0x18n), A.ldr_imm(X1, X0, 0)];
    w.run(code);
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.il, e.fsc, e.wnr, e.isv]).toEqual([0x25, 1, 0x07, 0, 0]);
    expect(w.core.sysreg(SR.FAR_EL1)).toBe(TEST_VA + 0x18n);
    expect(w.core.sysreg(SR.ELR_EL1)).toBe(CODE + BigInt(code.length - 1) * 4n);
    expect(w.core.pc).toBe(VEC_EL1 + 0x200n); // current EL with SP_ELx
    expect(w.core.el).toBe(1);
  });

  it('store to a read-only page: permission fault level 3 with WnR', () => {
    const w = world();
    w.map(TEST_VA, page(DATA, AP_RO));
    w.run([...mov64(X0, TEST_VA), A.str_imm(X1, X0, 8)]);
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.fsc, e.wnr]).toEqual([0x25, 0x0f, 1]);
    expect(w.core.sysreg(SR.FAR_EL1)).toBe(TEST_VA + 8n);
  });

  it('access flag fault (level 3) and address size fault reported with their levels', () => {
    const w = world();
    w.map(TEST_VA, DATA | TABLE); // AF = 0
    w.run([...mov64(X0, TEST_VA), A.ldr_imm(X1, X0, 0)]);
    expect(esrFields(w.core.sysreg(SR.ESR_EL1)).fsc).toBe(0x0b);
    const w2 = world({ ips: 2 }); // 40-bit output addresses
    w2.map(TEST_VA + 0x1000n, page(0x100_0000_0000n)); // 2^40: address size fault, level 3
    w2.run([...mov64(X0, TEST_VA + 0x1000n), A.ldr_imm(X1, X0, 0)]);
    expect(esrFields(w2.core.sysreg(SR.ESR_EL1)).fsc).toBe(0x03);
  });

  it('EL0 load from an EL1-only page: EC 0x24 from the lower EL, vector +0x400', () => {
    const w = world();
    w.map(TEST_VA, page(DATA)); // AP 00: EL1 only
    // EL0 runs the identity-mapped code: AP 00 with UXN = 0 is execute-only for EL0
    w.run([...mov64(X0, TEST_VA), A.ldr_imm(X1, X0, 0)], 1000, 0);
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.fsc, e.wnr]).toEqual([0x24, 0x0f, 0]);
    expect(w.core.sysreg(SR.FAR_EL1)).toBe(TEST_VA);
    expect(w.core.pc).toBe(VEC_EL1 + 0x400n);
    expect(w.core.el).toBe(1);
  });

  it('EL0 fetch from a UXN page: instruction abort EC 0x20', () => {
    const w = world();
    w.map(TEST_VA, page(CODE, AP_EL0 | AP_RO | UXN));
    w.run([A.NOP], 1000, 0, TEST_VA);
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.fsc]).toEqual([0x20, 0x0f]);
    expect(w.core.sysreg(SR.FAR_EL1)).toBe(TEST_VA);
    expect(w.core.sysreg(SR.ELR_EL1)).toBe(TEST_VA);
  });

  it('instruction abort: branch to a PXN page at EL1 (EC 0x21, IFSC, FAR = ELR = target)', () => {
    const w = world();
    w.map(TEST_VA, page(DATA, PXN));
    w.run([...mov64(X0, TEST_VA + 0x40n), A.br(X0)]);
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.fsc, e.wnr]).toEqual([0x21, 0x0f, 0]);
    expect(w.core.sysreg(SR.FAR_EL1)).toBe(TEST_VA + 0x40n);
    expect(w.core.sysreg(SR.ELR_EL1)).toBe(TEST_VA + 0x40n);
    const w2 = world();
    w2.map(TEST_VA, page(DATA, UXN)); // UXN does not stop EL1
    w2.core.writePhys(DATA + 0x40n, new Uint8Array([0x00, 0x00, 0x00, 0x14])); // b .
    w2.run([...mov64(X0, TEST_VA + 0x40n), A.br(X0)]);
    expect(w2.core.pc).toBe(TEST_VA + 0x40n);
  });

  it('PAN: EL1 data access to an EL0-accessible page faults with PSTATE.PAN set; LDTR does not', () => {
    const w = world();
    w.map(TEST_VA, page(DATA, AP_EL0));
    w.core.writePhysU64(DATA, 0x1234n);
    const MSR_PAN_1 = 0xd500419f; // msr pan, #1
    w.run([...mov64(X0, TEST_VA), A.ldr_imm(X1, X0, 0), MSR_PAN_1, A.ldstImm9(3, 1, X2, X0, 0, 2), A.ldr_imm(X5, X0, 0)]);
    expect(w.core.getX(X1)).toBe(0x1234n);
    expect(w.core.getX(X2)).toBe(0x1234n); // LDTR: checked as EL0
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.fsc]).toEqual([0x25, 0x0f]);
    expect(w.core.sysreg(SR.ELR_EL1)).toBe(CODE + 4n * BigInt(mov64(X0, TEST_VA).length + 3));
  });

  it('unaligned access to stage-1 Device memory: alignment fault (DFSC 0x21); Normal memory is fine', () => {
    const w = world();
    w.map(TEST_VA, page(DATA, attrIndx(1))); // MAIR index 1: Device-nGnRnE
    w.map(TEST_VA + 0x1000n, page(DATA + 0x1000n)); // Normal
    w.core.writePhysU64(DATA + 0x1008n, 0x1122334455667788n);
    w.core.writePhysU64(DATA + 0x1010n, 0x99aabbccddeeff00n);
    w.run([...mov64(X0, TEST_VA + 0x1000n), A.ldr_imm(X1, X0, 0), ...mov64(X0, TEST_VA + 0x100an), A.ldstImm9(3, 1, X1, X0, 0, 0),
      ...mov64(X0, TEST_VA + 4n), A.ldstImm9(3, 1, X2, X0, 0, 0)]);
    expect(w.core.getX(X1)).toBe(0xff00112233445566n); // unaligned LDUR from Normal memory
    const e = esrFields(w.core.sysreg(SR.ESR_EL1));
    expect([e.ec, e.fsc, e.wnr]).toEqual([0x25, 0x21, 0]);
    expect(w.core.sysreg(SR.FAR_EL1)).toBe(TEST_VA + 4n);
  });

  it('ID_AA64MMFR1_EL1 reports XNX, PAN and 16-bit VMIDs', () => {
    const w = world();
    w.run([A.mrs(X0, A.sysreg(3, 0, 0, 7, 1))]);
    const v = w.core.getX(X0);
    expect([(v >> 28n) & 0xfn, (v >> 20n) & 0xfn, (v >> 4n) & 0xfn]).toEqual([1n, 1n, 2n]);
  });
});

describe('stage-2 aborts taken to EL2', () => {
  const HOLE_IPA = 0x2_0000_0000n; // beyond the identity stage 2: unmapped (level 1)

  function s2world() {
    const w = world({ stage2: true });
    w.map(TEST_VA, page(HOLE_IPA + 0x5000n, AP_EL0));
    return w;
  }

  const cases: Array<[string, number[], Partial<ReturnType<typeof esrFields>>]> = [
    ['LDR X1', [A.ldr_imm(X1, X0, 0x10)], { isv: 1, sas: 3, sse: 0, srt: 1, sf: 1, ar: 0, wnr: 0 }],
    ['STR W2', [A.str_imm(X2, X0, 0x10, 2)], { isv: 1, sas: 2, sse: 0, srt: 2, sf: 0, ar: 0, wnr: 1 }],
    ['LDRSH W5', [A.ldstUimm(1, 3, X5, X0, 8)], { isv: 1, sas: 1, sse: 1, srt: 5, sf: 0, wnr: 0 }],
    ['LDRSB X5', [A.ldstUimm(0, 2, X5, X0, 0x10)], { isv: 1, sas: 0, sse: 1, srt: 5, sf: 1 }],
    ['STRB WZR', [A.ldstUimm(0, 0, 31, X0, 0x10)], { isv: 1, sas: 0, srt: 31, wnr: 1 }],
    ['LDAR X1', [A.addImm(X0, X0, 0x10), A.ldar(3, X1, X0)], { isv: 1, sas: 3, sf: 1, ar: 1, srt: 1 }],
    ['LDR X1 pre-index (writeback)', [A.ldstImm9(3, 1, X1, X0, 0x10, 3)], { isv: 0, wnr: 0 }],
    ['LDP X1, X2', [A.ldstPair(2, 1, 2, X1, X2, X0, 2)], { isv: 0 }],
  ];
  for (const [name, insns, want] of cases) {
    it(`${name}: EC 0x24, DFSC translation level 1, FAR_EL2 = VA, HPFAR_EL2 = IPA page, ISS syndrome`, () => {
      const w = s2world();
      const code = [...mov64(X0, TEST_VA), ...insns];
      w.run(code);
      expect(w.core.el).toBe(2);
      expect(w.core.pc).toBe(VEC_EL2 + 0x400n);
      const e = esrFields(w.core.sysreg(SR.ESR_EL2));
      expect([e.ec, e.fsc, e.s1ptw]).toEqual([0x24, 0x05, 0]);
      for (const [k, v] of Object.entries(want)) expect([k, e[k as keyof typeof e]]).toEqual([k, v]);
      expect(w.core.sysreg(SR.FAR_EL2)).toBe(TEST_VA + 0x10n);
      expect(w.core.sysreg(SR.HPFAR_EL2)).toBe(((HOLE_IPA + 0x5000n) >> 12n) << 4n);
      expect(w.core.sysreg(SR.ELR_EL2)).toBe(CODE + BigInt(code.length - 1) * 4n);
      expect(w.core.sysreg(SR.ESR_EL1)).toBe(0n); // nothing went to EL1
    });
  }

  it('stage-2 fault on a stage-1 table fetch: S1PTW = 1, ISV = 0, WnR from the store, HPFAR = table IPA', () => {
    const w = world({ stage2: true });
    w.map(TEST_VA, page(DATA));
    // point the level-2 entry at a level-3 table whose IPA stage 2 does not map
    const l2 = w.s1.slot(w.root, w.start, TEST_VA, 2);
    w.core.writePhysU64(l2, HOLE_IPA | TABLE);
    w.run([...mov64(X0, TEST_VA + 0x20n), A.str_imm(X1, X0, 0)]);
    const e = esrFields(w.core.sysreg(SR.ESR_EL2));
    expect([e.ec, e.fsc, e.s1ptw, e.isv, e.wnr]).toEqual([0x24, 0x05, 1, 0, 1]);
    expect(w.core.sysreg(SR.FAR_EL2)).toBe(TEST_VA + 0x20n);
    expect(w.core.sysreg(SR.HPFAR_EL2)).toBe((HOLE_IPA >> 12n) << 4n);
  });

  it('stage-2 permission fault on a write (S2AP read-only) and an instruction abort at stage 2', () => {
    const w = world({ stage2: true });
    // make the data page read-only at stage 2 (page mapping inside a new level-2 table)
    w.map(TEST_VA, page(0x3_0000_0000n, AP_EL0));
    w.s2!.map(w.s2root!, w.s2start!, 0x3_0000_0000n, 3, page(DATA, (1n << 6n) | s2MemAttr(0xf) | (2n << 53n)));
    w.run([...mov64(X0, TEST_VA), A.ldr_imm(X1, X0, 0), A.str_imm(X1, X0, 8)]);
    let e = esrFields(w.core.sysreg(SR.ESR_EL2));
    expect([e.ec, e.fsc, e.wnr, e.isv, e.srt]).toEqual([0x24, 0x0f, 1, 1, 1]);
    expect(w.core.sysreg(SR.HPFAR_EL2)).toBe((0x3_0000_0000n >> 12n) << 4n);
    // instruction fetch from the stage-2 XN page (XN = 0b10)
    const w2 = world({ stage2: true });
    w2.map(TEST_VA, page(0x3_0000_0000n));
    w2.s2!.map(w2.s2root!, w2.s2start!, 0x3_0000_0000n, 3, page(DATA, S2_RW | s2MemAttr(0xf) | (2n << 53n)));
    w2.run([...mov64(X0, TEST_VA + 0x80n), A.br(X0)]);
    e = esrFields(w2.core.sysreg(SR.ESR_EL2));
    expect([e.ec, e.fsc, e.s1ptw]).toEqual([0x20, 0x0f, 0]);
    expect(w2.core.sysreg(SR.FAR_EL2)).toBe(TEST_VA + 0x80n);
    expect(w2.core.sysreg(SR.HPFAR_EL2)).toBe((0x3_0000_0000n >> 12n) << 4n);
    expect(AF).toBe(1n << 10n);
    expect(RAM).toBe(0x4000_0000n);
  });
});

describe('EL2 regime and a TypeScript-hosted EL2', () => {
  it('EL2 stage-1 fault at EL2: EC 0x25 in ESR_EL2, FAR_EL2, no HPFAR', () => {
    const w = world();
    const t = w.s1; // reuse the pool for EL2 tables
    const root = t.alloc();
    const st = { level: 1, bits: 9 };
    t.map(root, st, RAM, 1, (RAM | 1n | AF | AP_EL0)); // RAM block (AP[1] RES1 at EL2)
    t.map(root, st, TEST_VA, 3, page(DATA, AP_RO));
    const code = [...mov64(X0, TEST_VA), A.ldr_imm(X1, X0, 0), A.str_imm(X1, X0, 8)];
    writeCode(w, code);
    w.core.reset(2, CODE);
    w.core.setSysreg(SR.MAIR_EL2, 0x44_00_ffn);
    w.core.setSysreg(SR.TCR_EL2, 25n | (2n << 16n));
    w.core.setSysreg(SR.TTBR0_EL2, root);
    w.core.setSysreg(SR.SCTLR_EL2, 0x30c50831n);
    w.core.setSysreg(SR.VBAR_EL2, VEC_EL2);
    w.core.setSysreg(SR.HPFAR_EL2, 0x1234n);
    w.core.run(100);
    const e = esrFields(w.core.sysreg(SR.ESR_EL2));
    expect([e.ec, e.fsc, e.wnr, e.isv]).toEqual([0x25, 0x0f, 1, 0]);
    expect(w.core.sysreg(SR.FAR_EL2)).toBe(TEST_VA + 8n);
    expect(w.core.sysreg(SR.HPFAR_EL2)).toBe(0x1234n);
    expect(w.core.pc).toBe(VEC_EL2 + 0x200n);
  });

  it('with a hosted EL2 a stage-2 fault exits to TypeScript with ESR/FAR/HPFAR_EL2', () => {
    const w = world({ stage2: true });
    w.map(TEST_VA, page(0x2_0000_4000n));
    w.core.setConfig({ haveEL2: true, el2Hosted: true, psciSmc: true });
    w.run([...mov64(X0, TEST_VA + 0x30n), A.ldr_imm(5, X0, 0)], 100);
    expect(w.core.el).toBe(2);
    const e = esrFields(w.core.sysreg(SR.ESR_EL2));
    expect([e.ec, e.fsc, e.isv, e.srt, e.sas]).toEqual([0x24, 0x05, 1, 5, 3]);
    expect(w.core.sysreg(SR.FAR_EL2)).toBe(TEST_VA + 0x30n);
    expect(w.core.sysreg(SR.HPFAR_EL2)).toBe(0x2_0000_4000n >> 8n);
  });
});

function writeCode(w: ReturnType<typeof world>, words: number[]): void {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  w.core.writePhys(CODE, b);
}
