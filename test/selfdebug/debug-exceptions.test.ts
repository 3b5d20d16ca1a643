// Self-hosted debug exceptions (Arm ARM D2 "AArch64 Self-hosted Debug"): BRK and its routing,
// hardware breakpoints (D2.9), watchpoints (D2.10) and software step (D2.12). Expected values come
// from the pseudocode: AArch64.GenerateDebugExceptionsFrom (OS lock, MDSCR_EL1.KDE, PSTATE.D, the
// debug target EL by MDCR_EL2.TDE / HCR_EL2.TGE), AArch64.StateMatch, AArch64.BreakpointValueMatch,
// AArch64.WatchpointByteMatch, AArch64.SoftwareBreakpoint, SSAdvance, DebugExceptionReturnSS and the
// ESR_ELx encodings (EC 0x30/0x31 breakpoint, 0x32/0x33 software step, 0x34/0x35 watchpoint, 0x3C
// BRK; IFSC/DFSC 0b100010 "debug exception"; IL = 1).
import { describe, expect, it } from 'vitest';
import { CODE, DATA, NOP, VBAR1, VBAR2, esrEC, esrIL, esrISS, le64, run, type Setup } from '../core/harness';
import {
  ADD_X5_1, BRK, DBGBCR, DBGBVR, DBGWCR, DBGWVR, DC_ZVA, ERET, HCR_RW, HCR_TGE, LDP, LDR, LDXR, MDCR_TDE,
  MDSCR_KDE, MDSCR_MDE, MDSCR_SS, PSTATE_SS, SR, STR, STTR, SVC0, bcr, wcr,
} from './enc';

const FSC_DEBUG = 0x22;
const EL2CFG = { haveEL2: true };

/** OS lock unlocked, MDSCR_EL1.MDE/KDE set, PSTATE.D clear (daif 0x7), then `regs`. */
function dbg(regs: Array<[number, bigint]>, s: Setup = {}, mdscr = MDSCR_MDE | MDSCR_KDE): Setup {
  return {
    ...s,
    daif: s.daif ?? 0x7,
    sysregs: [[SR.OSLSR_EL1, 0n], [SR.MDSCR_EL1, mdscr], ...(s.sysregs ?? []), ...regs],
  };
}
const el2 = (mdcr: bigint, hcr = HCR_RW): Array<[number, bigint]> => [[SR.HCR_EL2, hcr], [SR.MDCR_EL2, mdcr]];

/**
 * Translation tables (4 KiB granule, as harness.ts's `mmu`) where the 2 MiB at USER = 0x4060_0000
 * are Normal memory EL0 and EL1 may read and write (AP = 0b01); the rest of RAM is EL1-only.
 * Applied on top of `mmu: true` by pointing TTBR0_EL1 at them.
 */
const USER = 0x4060_0000n;
const L1 = 0x4003_1000n, L2 = 0x4003_2000n;
function el0Tables(): { mem: Array<[bigint, Uint8Array]>; regs: Array<[number, bigint]> } {
  const af = 1n << 10n, sh = 3n << 8n;
  const l1 = [0x0000_0000n | af | (1n << 2n) | (1n << 53n) | (1n << 54n) | 1n, L2 | 3n];
  const l2: bigint[] = [];
  for (let i = 0n; i < 8n; i++) l2.push((0x4000_0000n + (i << 21n)) | af | sh | ((0x4000_0000n + (i << 21n)) === USER ? 1n << 6n : 0n) | 1n);
  return { mem: [[L1, le64(...l1)], [L2, le64(...l2)]], regs: [[SR.TTBR0_EL1, L1]] };
}

describe('BRK (AArch64.SoftwareBreakpoint): EC 0x3C with the immediate, not gated by the debug enables', () => {
  it('at EL1: taken to EL1, preferred return the BRK itself, even with the OS lock locked and PSTATE.D set', () => {
    const r = run([BRK(0x1234)]); // reset state: OSLK = 1, D = 1
    const esr = r.sys(SR.ESR_EL1);
    expect([r.el, esrEC(esr), esrIL(esr), esrISS(esr), r.sys(SR.ELR_EL1), r.pc]).toEqual([1, 0x3c, 1, 0x1234, CODE, VBAR1 + 0x200n]);
  });
  it('at EL1 with MDCR_EL2.TDE: routed to EL2 (lower EL vector)', () => {
    const r = run([BRK(7)], { config: EL2CFG, sysregs: el2(MDCR_TDE) });
    expect([r.el, esrEC(r.sys(SR.ESR_EL2)), esrISS(r.sys(SR.ESR_EL2)), r.sys(SR.ELR_EL2), r.pc]).toEqual([2, 0x3c, 7, CODE, VBAR2 + 0x400n]);
  });
  it('at EL0 with HCR_EL2.TGE: routed to EL2', () => {
    const r = run([BRK(1)], { el: 0, config: EL2CFG, sysregs: el2(0n, HCR_RW | HCR_TGE) });
    expect([r.el, esrEC(r.sys(SR.ESR_EL2)), r.pc]).toEqual([2, 0x3c, VBAR2 + 0x400n]);
  });
  it('with a TypeScript-hosted EL2, BRK routed to EL2 is an exit carrying ESR_EL2', () => {
    const r = run([BRK(9)], { config: { haveEL2: true, el2Hosted: true }, sysregs: el2(MDCR_TDE) });
    expect([r.exit, r.el, esrEC(r.sys(SR.ESR_EL2)), esrISS(r.sys(SR.ESR_EL2))]).toEqual(['hyp', 2, 0x3c, 9]);
  });
  it('at EL0 without TDE/TGE: to EL1; at EL2: to EL2 (current EL vector)', () => {
    const a = run([BRK(2)], { el: 0, config: EL2CFG, sysregs: el2(0n) });
    expect([a.el, esrEC(a.sys(SR.ESR_EL1)), a.pc]).toEqual([1, 0x3c, VBAR1 + 0x400n]);
    const b = run([BRK(3)], { el: 2, config: EL2CFG, sysregs: el2(0n) });
    expect([b.el, esrEC(b.sys(SR.ESR_EL2)), b.pc]).toEqual([2, 0x3c, VBAR2 + 0x200n]);
  });
});

describe('hardware breakpoints (EC 0x30 lower EL / 0x31 same EL, ELR = the instruction, before it executes)', () => {
  const words = [ADD_X5_1, ADD_X5_1, ADD_X5_1, ADD_X5_1];
  const bp2 = (c: bigint = bcr()): Array<[number, bigint]> => [[DBGBVR(0), CODE + 8n], [DBGBCR(0), c]];
  it('EL1 with KDE, PSTATE.D = 0: taken at the third instruction to EL1 (EC 0x31, IFSC 0x22)', () => {
    const r = run(words, { ...dbg(bp2()), steps: 3 });
    const esr = r.sys(SR.ESR_EL1);
    expect([esrEC(esr), esrIL(esr), esrISS(esr), r.sys(SR.ELR_EL1), r.pc, r.x[5]]).toEqual([0x31, 1, FSC_DEBUG, CODE + 8n, VBAR1 + 0x200n, 2n]);
  });
  it('not generated with PSTATE.D set, with KDE clear, with MDE clear, under the OS lock or the double lock', () => {
    const none = (s: Setup) => { const r = run(words, { ...s, steps: 4 }); return [r.pc, r.x[5]]; };
    const want = [CODE + 16n, 4n];
    expect(none(dbg(bp2(), { daif: 0xf }))).toEqual(want);
    expect(none(dbg(bp2(), {}, MDSCR_MDE))).toEqual(want);
    expect(none(dbg(bp2(), {}, MDSCR_KDE))).toEqual(want);
    expect(none(dbg([...bp2(), [SR.OSLSR_EL1, 2n]]))).toEqual(want);
    expect(none(dbg([...bp2(), [SR.OSDLR_EL1, 1n]]))).toEqual(want);
  });
  it('privilege filter: PMC = 0b10 (EL0 only) does not match at EL1; PMC = 0b01 does', () => {
    expect(run(words, { ...dbg(bp2(bcr({ pmc: 2 }))), steps: 4 }).x[5]).toBe(4n);
    expect(run(words, { ...dbg(bp2(bcr({ pmc: 1 }))), steps: 4 }).pc).toBe(VBAR1 + 0x204n);
  });
  it('DBGBCR.BAS is RES1 without AArch32: BAS = 0 still matches (QEMU 7.2, which has AArch32 EL0, treats BAS = 0 as disabled)', () => {
    const c = bcr() & ~(0xfn << 5n);
    expect(run(words, { ...dbg(bp2(c)), steps: 3 }).pc).toBe(VBAR1 + 0x200n);
  });
  it('SSC = 0b10 (Secure state only) never matches in Non-secure state', () => {
    expect(run(words, { ...dbg(bp2(bcr({ ssc: 2 }))), steps: 4 }).x[5]).toBe(4n);
  });
  it('MDCR_EL2.TDE: from EL1 the target is EL2, so KDE and PSTATE.D do not matter (EC 0x30 to EL2)', () => {
    const r = run(words, { ...dbg([...el2(MDCR_TDE), ...bp2()], { config: EL2CFG, daif: 0xf }, MDSCR_MDE), steps: 3 });
    expect([r.el, esrEC(r.sys(SR.ESR_EL2)), r.sys(SR.ELR_EL2), r.pc]).toEqual([2, 0x30, CODE + 8n, VBAR2 + 0x400n]);
  });
  it('at EL2: generated only when EL2 is the debug target (TDE) with KDE and PSTATE.D = 0; HMC selects EL2', () => {
    const at2 = (mdcr: bigint, c: bigint) => run(words, { ...dbg([...el2(mdcr), ...bp2(c)], { el: 2, config: EL2CFG }), steps: 3 });
    const hit = at2(MDCR_TDE, bcr({ hmc: 1, ssc: 1, pmc: 3 }));
    expect([hit.el, esrEC(hit.sys(SR.ESR_EL2)), hit.pc]).toEqual([2, 0x31, VBAR2 + 0x200n]);
    expect(at2(0n, bcr({ hmc: 1, ssc: 1, pmc: 3 })).pc).toBe(CODE + 12n); // target EL1 is lower than EL2
    expect(at2(MDCR_TDE, bcr({ hmc: 0 })).pc).toBe(CODE + 12n); // HMC = 0: EL2 does not match
  });
  it('a linked address breakpoint matches only with its context-aware breakpoint (CONTEXTIDR_EL1)', () => {
    const linked = (cid: bigint) => run(words, {
      ...dbg([[DBGBVR(0), CODE + 4n], [DBGBCR(0), bcr({ bt: 1, lbn: 4 })], [DBGBVR(4), 0x55n], [DBGBCR(4), bcr({ bt: 3 })],
        [SR.CONTEXTIDR_EL1, cid]]), steps: 2 });
    expect(linked(0x55n).pc).toBe(VBAR1 + 0x200n);
    expect(linked(0x56n).pc).toBe(CODE + 8n);
  });
  it('an unlinked context ID breakpoint matches any instruction; context types on a non-context-aware breakpoint do not', () => {
    const r = run(words, { ...dbg([[DBGBVR(5), 0x77n], [DBGBCR(5), bcr({ bt: 2 })], [SR.CONTEXTIDR_EL1, 0x77n]]), steps: 1 });
    expect([esrEC(r.sys(SR.ESR_EL1)), r.sys(SR.ELR_EL1)]).toEqual([0x31, CODE]);
    const n = run(words, { ...dbg([[DBGBVR(1), 0x77n], [DBGBCR(1), bcr({ bt: 2 })], [SR.CONTEXTIDR_EL1, 0x77n]]), steps: 2 });
    expect(n.pc).toBe(CODE + 8n); // (DBGBCR1.BT keeps only its address-match bit: BT reads 0b0000, an address match at 0)
  });
  it('a VMID breakpoint matches VTTBR_EL2.VMID at EL1 (8-bit VMID, VTCR_EL2.VS = 0)', () => {
    const vm = (vmid: bigint) => run(words, {
      ...dbg([...el2(0n), [SR.VTTBR_EL2, vmid << 48n], [DBGBVR(4), 7n << 32n], [DBGBCR(4), bcr({ bt: 8 })]], { config: EL2CFG }), steps: 1 });
    expect(vm(7n).pc).toBe(VBAR1 + 0x200n);
    expect(vm(8n).pc).toBe(CODE + 4n);
  });
});

describe('watchpoints (EC 0x34 lower EL / 0x35 same EL; FAR = the watched address accessed; WnR)', () => {
  const A = DATA + 0x10n;
  const wp = (c: bigint, addr = A): Array<[number, bigint]> => [[DBGWVR(0), addr], [DBGWCR(0), c]];
  const mmu = (regs: Array<[number, bigint]>, s: Setup = {}) => ({ ...dbg(regs, s), mmu: true });
  it('a store to a doubleword watched for stores: EC 0x35, WnR = 1, FAR = the address, the store not done', () => {
    const r = run([STR(1, 2)], { ...mmu(wp(wcr({ lsc: 2 }))), x: { 1: 0xabcdn, 2: A } });
    const esr = r.sys(SR.ESR_EL1);
    expect([esrEC(esr), esrIL(esr), esrISS(esr), r.sys(SR.FAR_EL1), r.sys(SR.ELR_EL1), r.u64(A)]).toEqual([0x35, 1, 0x40 | FSC_DEBUG, A, CODE, 0n]);
  });
  it('LSC: a load does not match a store watchpoint; it matches a load watchpoint with WnR = 0', () => {
    expect(run([LDR(3, 2)], { ...mmu(wp(wcr({ lsc: 2 }))), x: { 2: A } }).pc).toBe(CODE + 4n);
    const r = run([LDR(3, 2)], { ...mmu(wp(wcr({ lsc: 1 }))), x: { 2: A } });
    expect([esrEC(r.sys(SR.ESR_EL1)), esrISS(r.sys(SR.ESR_EL1)), r.sys(SR.FAR_EL1)]).toEqual([0x35, FSC_DEBUG, A]);
  });
  it('BAS selects bytes: a doubleword store overlapping the watched byte 5 reports FAR = that byte', () => {
    const c = wcr({ bas: 1 << 5 });
    expect(run([STR(1, 2)], { ...mmu(wp(c)), x: { 2: A - 8n } }).pc).toBe(CODE + 4n); // bytes A-8..A-1
    const r = run([STR(1, 2)], { ...mmu(wp(c)), x: { 2: A } });
    expect(r.sys(SR.FAR_EL1)).toBe(A + 5n);
    const u = run([STR(1, 2)], { ...mmu(wp(c)), x: { 2: A + 3n } }); // unaligned: bytes A+3..A+10
    expect([esrEC(u.sys(SR.ESR_EL1)), u.sys(SR.FAR_EL1)]).toEqual([0x35, A + 5n]);
    const w = run([STR(1, 2)], { ...mmu(wp(wcr({ bas: 0xf }), A + 4n)), x: { 2: A } }); // word-aligned WVR: BAS[3:0] from A+4
    expect(w.sys(SR.FAR_EL1)).toBe(A + 4n);
  });
  it('a store crossing a page boundary: FAR is the watched byte on the second page, neither page written', () => {
    const r = run([STR(1, 2)], { ...mmu(wp(wcr({ bas: 0x02 }), DATA + 0x1000n)), x: { 1: ~0n, 2: DATA + 0xffdn } });
    expect([esrEC(r.sys(SR.ESR_EL1)), r.sys(SR.FAR_EL1), r.u64(DATA + 0xff8n), r.u64(DATA + 0x1000n)]).toEqual([0x35, DATA + 0x1001n, 0n, 0n]);
  });
  it('MASK watches a naturally aligned power-of-two block (MASK = 12: 4 KiB)', () => {
    const r = run([STR(1, 2)], { ...mmu(wp(wcr({ mask: 12 }), DATA)), x: { 2: DATA + 0x800n } });
    expect([esrEC(r.sys(SR.ESR_EL1)), r.sys(SR.FAR_EL1)]).toEqual([0x35, DATA + 0x800n]);
    expect(run([STR(1, 2)], { ...mmu(wp(wcr({ mask: 12 }), DATA)), x: { 2: DATA + 0x1000n } }).pc).toBe(CODE + 4n);
    expect(run([STR(1, 2)], { ...mmu(wp(wcr({ mask: 2 }), DATA)), x: { 2: DATA } }).pc).toBe(CODE + 4n); // MASK 1, 2 reserved
  });
  it('LDP: the second doubleword matches, FAR is its address', () => {
    const r = run([LDP(3, 4, 2)], { ...mmu(wp(wcr({ lsc: 1 }), A + 8n)), x: { 2: A } });
    expect([esrEC(r.sys(SR.ESR_EL1)), r.sys(SR.FAR_EL1), r.x[3]]).toEqual([0x35, A + 8n, 0n]);
  });
  it('DC ZVA is a store of its whole block: WnR = 1, FAR = the watched byte within the block, nothing zeroed', () => {
    const mem: Array<[bigint, Uint8Array]> = [[DATA + 0x40n, new Uint8Array(64).fill(0xee)]];
    const r = run([DC_ZVA(2)], { ...mmu(wp(wcr({ lsc: 2 }), DATA + 0x58n)), x: { 2: DATA + 0x48n }, mem });
    expect([esrEC(r.sys(SR.ESR_EL1)), esrISS(r.sys(SR.ESR_EL1)), r.sys(SR.FAR_EL1), r.u64(DATA + 0x40n)]).toEqual(
      [0x35, 0x40 | FSC_DEBUG, DATA + 0x58n, 0xeeeeeeeeeeeeeeeen]);
    expect(run([DC_ZVA(2)], { ...mmu(wp(wcr({ lsc: 1 }), DATA + 0x58n)), x: { 2: DATA + 0x48n } }).pc).toBe(CODE + 4n); // a load watchpoint
  });
  it('privilege: an unprivileged STTR at EL1 matches PAC = 0b10 (EL0), not PAC = 0b01 (EL1); STR the reverse', () => {
    const t = el0Tables();
    const at = (w: number, pac: number) => run([w], { ...mmu([...t.regs, ...wp(wcr({ pac }), USER)]), mem: t.mem, x: { 2: USER } });
    expect(at(STTR(1, 2), 1).pc).toBe(CODE + 4n);
    expect(esrEC(at(STTR(1, 2), 2).sys(SR.ESR_EL1))).toBe(0x35);
    expect(at(STR(1, 2), 2).pc).toBe(CODE + 4n);
    expect(esrEC(at(STR(1, 2), 1).sys(SR.ESR_EL1))).toBe(0x35);
  });
  it('a permission fault comes before the watchpoint (the access is checked once translated)', () => {
    const r = run([STTR(1, 2)], { ...mmu(wp(wcr({ pac: 2 }))), x: { 2: A } }); // EL1-only page: EL0 access faults
    expect([esrEC(r.sys(SR.ESR_EL1)), esrISS(r.sys(SR.ESR_EL1)) & 0x3c]).toEqual([0x25, 0x0c]);
  });
  it('a linked watchpoint (WT, LBN) matches only while its context-aware breakpoint matches CONTEXTIDR_EL1', () => {
    const linked = (cid: bigint) => run([STR(1, 2)], {
      ...mmu([...wp(wcr({ wt: 1, lbn: 5 })), [DBGBVR(5), 0x42n], [DBGBCR(5), bcr({ bt: 3 })], [SR.CONTEXTIDR_EL1, cid]]), x: { 2: A } });
    expect(esrEC(linked(0x42n).sys(SR.ESR_EL1))).toBe(0x35);
    expect(linked(0x43n).pc).toBe(CODE + 4n);
  });
  it('with MDCR_EL2.TDE a watchpoint at EL1 goes to EL2 (EC 0x34, FAR_EL2)', () => {
    const r = run([STR(1, 2)], { ...mmu([...el2(MDCR_TDE), ...wp(wcr())], { config: EL2CFG }), x: { 2: A } });
    expect([r.el, esrEC(r.sys(SR.ESR_EL2)), r.sys(SR.FAR_EL2), r.pc]).toEqual([2, 0x34, A, VBAR2 + 0x400n]);
  });
  it('not generated with PSTATE.D set (EL1 is the target) or with the OS lock locked', () => {
    expect(run([STR(1, 2)], { ...mmu(wp(wcr()), { daif: 0xf }), x: { 2: A } }).pc).toBe(CODE + 4n);
    expect(run([STR(1, 2)], { ...mmu([...wp(wcr()), [SR.OSLSR_EL1, 2n]]), x: { 2: A } }).pc).toBe(CODE + 4n);
  });
});

describe('software step (MDSCR_EL1.SS, PSTATE.SS; EC 0x32/0x33, ISV/EX)', () => {
  const EL0 = CODE + 0x100n;
  /** EL1 ERETs to EL0 at EL0 with SPSR.SS = ss; `body` there. */
  function step0(body: number[], ss: boolean, steps: number, s: Setup = {}) {
    const t = el0Tables();
    return run([ERET], {
      ...dbg([...t.regs, [SR.ELR_EL1, EL0], [SR.SPSR_EL1, ss ? PSTATE_SS : 0n], ...(s.sysregs ?? [])], s, MDSCR_SS),
      mmu: true, steps, mem: [...t.mem, [EL0, new Uint8Array(new Uint32Array(body).buffer)]], x: { 2: USER, ...(s.x ?? {}) },
    });
  }
  it('ERET with SPSR.SS = 1 (active-not-pending): one EL0 instruction, then the exception (ISV = 1, EX = 0), SPSR.SS = 0', () => {
    const r = step0([ADD_X5_1, ADD_X5_1], true, 3);
    const esr = r.sys(SR.ESR_EL1);
    expect([esrEC(esr), esrIL(esr), esrISS(esr), r.sys(SR.ELR_EL1), (r.sys(SR.SPSR_EL1) >> 21n) & 1n, r.x[5], r.pc]).toEqual(
      [0x32, 1, (1 << 24) | FSC_DEBUG, EL0 + 4n, 0n, 1n, VBAR1 + 0x404n]);
  });
  it('a stepped load-exclusive sets EX', () => {
    const r = step0([0xc85f7c43 /* LDXR X3, [X2] */, ADD_X5_1], true, 3);
    expect(esrISS(r.sys(SR.ESR_EL1))).toBe((1 << 24) | (1 << 6) | FSC_DEBUG);
    expect(LDXR(3, 2)).toBe(0xc85f7c43);
  });
  it('ERET with SPSR.SS = 0 (active-pending): the exception before any EL0 instruction, ISV = 0', () => {
    const r = step0([ADD_X5_1], false, 2);
    expect([esrEC(r.sys(SR.ESR_EL1)), esrISS(r.sys(SR.ESR_EL1)), r.sys(SR.ELR_EL1), r.x[5]]).toEqual([0x32, FSC_DEBUG, EL0, 0n]);
  });
  it('with KDE and PSTATE.D = 0, EL1 itself is stepped: PSTATE.SS = 0 there is active-pending, the exception comes before the ERET (EC 0x33, ISV 0)', () => {
    const r = step0([ADD_X5_1], true, 1, { sysregs: [[SR.MDSCR_EL1, MDSCR_SS | MDSCR_KDE]] });
    expect([esrEC(r.sys(SR.ESR_EL1)), esrISS(r.sys(SR.ESR_EL1)), r.sys(SR.ELR_EL1), r.x[5]]).toEqual([0x33, FSC_DEBUG, CODE, 0n]);
  });
  it('a stepped SVC completes: its exception has SPSR.SS = 0 and ELR after the SVC', () => {
    const r = step0([SVC0, ADD_X5_1], true, 2);
    expect([esrEC(r.sys(SR.ESR_EL1)), (r.sys(SR.SPSR_EL1) >> 21n) & 1n, r.sys(SR.ELR_EL1)]).toEqual([0x15, 0n, EL0 + 4n]);
  });
  it('a stepped instruction that faults does not complete: SPSR.SS stays 1', () => {
    const r = step0([LDR(3, 9)], true, 2, { x: { 9: 0x1_0000_0000_0000n } }); // outside the 39-bit VA range
    expect([esrEC(r.sys(SR.ESR_EL1)), (r.sys(SR.SPSR_EL1) >> 21n) & 1n, r.sys(SR.ELR_EL1)]).toEqual([0x24, 1n, EL0]);
  });
  it('without MDSCR_EL1.SS the ERET clears PSTATE.SS and nothing is stepped', () => {
    const r = run([ERET], { ...dbg([[SR.ELR_EL1, EL0], [SR.SPSR_EL1, PSTATE_SS]], {}, 0n), steps: 3, mem: [[EL0, new Uint8Array(new Uint32Array([ADD_X5_1, ADD_X5_1]).buffer)]] });
    expect([r.el, r.x[5], (r.pstate >> 21n) & 1n]).toEqual([0, 2n, 0n]);
  });
  it('EL1 stepping itself with KDE and PSTATE.D = 0: EC 0x33 to EL1', () => {
    const r = run([ERET, NOP, ADD_X5_1, ADD_X5_1], {
      ...dbg([[SR.ELR_EL1, CODE + 8n], [SR.SPSR_EL1, PSTATE_SS | 5n]], { daif: 0xf }, MDSCR_SS | MDSCR_KDE), steps: 3 });
    expect([esrEC(r.sys(SR.ESR_EL1)), r.sys(SR.ELR_EL1), r.x[5], r.pc]).toEqual([0x33, CODE + 12n, 1n, VBAR1 + 0x204n]);
  });
  it('MDCR_EL2.TDE: EL2 ERETs to EL1 stepping; the exception goes to EL2 (EC 0x32)', () => {
    const r = run([ERET, NOP, ADD_X5_1, ADD_X5_1], {
      ...dbg([...el2(MDCR_TDE), [SR.ELR_EL2, CODE + 8n], [SR.SPSR_EL2, PSTATE_SS | 5n | (0xfn << 6n)]], { el: 2, config: EL2CFG, daif: 0xf }, MDSCR_SS),
      steps: 3 });
    expect([r.el, esrEC(r.sys(SR.ESR_EL2)), r.sys(SR.ELR_EL2), r.x[5], r.pc]).toEqual([2, 0x32, CODE + 12n, 1n, VBAR2 + 0x404n]);
  });
});
