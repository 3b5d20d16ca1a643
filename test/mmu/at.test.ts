// AT instructions: PAR_EL1 for successful translations (PA, ATTR from MAIR / combined with stage 2,
// SH, NS) and for faults (FST, PTW, S); S1E1* translate stage 1 only (the result is the IPA) while
// S12E* do both; S1E1RP/WP honour PSTATE.PAN; a stage-2 fault on the stage-1 walk of an AT
// executed at EL1 is a data abort to EL2 with CM = 1.
import { describe, expect, it } from 'vitest';
import { SR } from '../../machine/core';
import { A, AP_EL0, AP_RO, NG, TABLE, attrIndx, esrFields, mov64, page, S2_R, s2MemAttr } from './pt';
import { CODE, DATA, VEC_EL2, world } from './world';

const PAR = A.sysreg(3, 0, 7, 4, 0);
const VA = 0x1000_0000n;
const at = (op1: number, crm: number, op2: number) => (0xd5087800 | (op1 << 16) | (crm << 8) | (op2 << 5) | 0) >>> 0; // AT <op>, x0

/** Runs `at` on VA at `el` and returns PAR_EL1. */
function runAt(w: ReturnType<typeof world>, insn: number, el = 1, va = VA, pre: number[] = []): bigint {
  w.run([...mov64(0, va), ...pre, insn, A.mrs(1, PAR), 0x14000000], 100, el);
  return w.core.getX(1);
}

const ok = (pa: bigint, attr: number, sh: number) => (pa & 0xffff_ffff_f000n) | (BigInt(attr) << 56n) | (BigInt(sh) << 7n) | (1n << 9n) | (1n << 11n);
const bad = (fst: number, ptw = 0, s = 0) => 1n | (BigInt(fst) << 1n) | (BigInt(ptw) << 8n) | (BigInt(s) << 9n) | (1n << 11n);

describe('AT stage 1', () => {
  it('AT S1E1R: PA, ATTR from MAIR, SH, NS; Device and Normal-NC report SH = 0b10', () => {
    const w = world();
    w.map(VA, page(DATA, (3n << 8n) | attrIndx(0)));
    w.map(VA + 0x1000n, page(DATA + 0x1000n, (3n << 8n) | attrIndx(1)));
    w.map(VA + 0x2000n, page(DATA + 0x2000n, (3n << 8n) | attrIndx(2)));
    expect(runAt(w, at(0, 8, 0))).toBe(ok(DATA, 0xff, 3));
    expect(runAt(w, at(0, 8, 0), 1, VA + 0x1abcn)).toBe(ok(DATA + 0x1000n, 0x00, 2));
    expect(runAt(w, at(0, 8, 0), 1, VA + 0x2000n)).toBe(ok(DATA + 0x2000n, 0x44, 2));
  });

  it('permission checks follow the AT operation: S1E1W on read-only, S1E0R on EL1-only', () => {
    const w = world();
    w.map(VA, page(DATA, AP_RO));
    expect(runAt(w, at(0, 8, 0))).toBe(ok(DATA, 0xff, 0));
    expect(runAt(w, at(0, 8, 1))).toBe(bad(0x0f)); // S1E1W
    expect(runAt(w, at(0, 8, 2))).toBe(bad(0x0f)); // S1E0R: EL0 has no access
    w.map(VA + 0x1000n, page(DATA, AP_EL0 | NG));
    expect(runAt(w, at(0, 8, 3), 1, VA + 0x1000n)).toBe(ok(DATA, 0xff, 0)); // S1E0W
  });

  it('translation and access flag faults are reported in PAR, not taken', () => {
    const w = world();
    w.map(VA, DATA | TABLE); // AF = 0
    expect(runAt(w, at(0, 8, 0))).toBe(bad(0x0b));
    expect(runAt(w, at(0, 8, 0), 1, VA + 0x1000n)).toBe(bad(0x07));
    expect(w.core.pc).toBe(CODE + BigInt(mov64(0, VA + 0x1000n).length + 2) * 4n); // reached the b .
  });

  it('AT S1E1RP/WP apply PSTATE.PAN, AT S1E1R does not', () => {
    const w = world();
    w.map(VA, page(DATA, AP_EL0));
    const MSR_PAN_1 = 0xd500419f;
    expect(runAt(w, at(0, 9, 0), 1, VA, [MSR_PAN_1])).toBe(bad(0x0f));
    expect(runAt(w, at(0, 8, 0), 1, VA, [MSR_PAN_1])).toBe(ok(DATA, 0xff, 0));
    expect(runAt(w, at(0, 9, 1), 1, VA)).toBe(ok(DATA, 0xff, 0)); // PAN clear
  });

  it('AT S1E2R translates the EL2 regime (MMU off: flat, Device attributes)', () => {
    const w = world();
    expect(runAt(w, at(4, 8, 0), 2, DATA + 0x10n)).toBe(ok(DATA, 0x00, 2));
  });
});

describe('AT with stage 2', () => {
  const IPA = 0x3_0000_0000n;
  function s2w() {
    const w = world({ stage2: true });
    w.map(VA, page(IPA, (3n << 8n) | attrIndx(0)));
    w.s2!.map(w.s2root!, w.s2start!, IPA, 3, page(DATA, S2_R | s2MemAttr(0xf) | (2n << 8n))); // read-only, outer shareable
    return w;
  }

  it('AT S1E1R gives the IPA, AT S12E1R the PA with combined attributes', () => {
    const w = s2w();
    expect(runAt(w, at(0, 8, 0))).toBe(ok(IPA, 0xff, 3));
    expect(runAt(w, at(4, 8, 4), 2)).toBe(ok(DATA, 0xff, 2)); // SH: outer wins
    expect(runAt(w, at(4, 8, 5), 2)).toBe(bad(0x0f, 0, 1)); // S12E1W: stage-2 permission fault, S = 1
    expect(runAt(w, at(4, 8, 6), 2)).toBe(bad(0x0f)); // S12E0R: EL0 stage-1 permission
  });

  it('stage-2 Device attributes combine to Device', () => {
    const w = s2w();
    w.s2!.map(w.s2root!, w.s2start!, IPA, 3, page(DATA, S2_R | s2MemAttr(0x1))); // Device-nGnRE
    expect(runAt(w, at(4, 8, 4), 2)).toBe(ok(DATA, 0x04, 2));
  });

  it('a stage-2 fault on the stage-1 walk: from EL1 a data abort to EL2 (CM, WnR, S1PTW); from EL2 in PAR', () => {
    const w = s2w();
    const l2 = w.s1.slot(w.root, w.start, VA, 2);
    w.core.writePhysU64(l2, 0x2_0000_0000n | TABLE); // level-3 table at an IPA stage 2 does not map
    runAt(w, at(0, 8, 0));
    const e = esrFields(w.core.sysreg(SR.ESR_EL2));
    expect([e.ec, e.fsc, e.cm, e.wnr, e.s1ptw, e.isv]).toEqual([0x24, 0x05, 1, 1, 1, 0]);
    expect(w.core.pc).toBe(VEC_EL2 + 0x400n);
    expect(w.core.sysreg(SR.FAR_EL2)).toBe(VA);
    expect(w.core.sysreg(SR.HPFAR_EL2)).toBe((0x2_0000_0000n >> 12n) << 4n);
    expect(w.core.sysreg(SR.ELR_EL2)).toBe(CODE + BigInt(mov64(0, VA).length) * 4n); // the AT itself
    const w2 = s2w();
    w2.core.writePhysU64(w2.s1.slot(w2.root, w2.start, VA, 2), 0x2_0000_0000n | TABLE);
    expect(runAt(w2, at(0, 8, 0), 2)).toBe(bad(0x05, 1, 1));
  });
});
