// Self-hosted debug registers (Arm ARM D17.3): breakpoint/watchpoint registers' writable fields,
// the OS lock, claim tags, the identification of the resources in ID_AA64DFR0_EL1, and the access
// rules — UNDEFINED at EL0 but for the DCC registers (MDSCR_EL1.TDCC traps those), MDCR_EL2.TDA /
// TDOSA / TDRA traps of EL1 accesses to EL2 (EC 0x18), TDE and HCR_EL2.TGE implying all three.
import { describe, expect, it } from 'vitest';
import { CODE, SR, VBAR1, VBAR2, esrEC, esrISS, run, type Setup } from './harness';

type Enc = [number, number, number, number, number];
const sysEnc = ([op0, op1, crn, crm, op2]: Enc) => ((op0 & 1) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5);
const mrs = (rt: number, r: Enc) => (0xd5300000 | sysEnc(r) | rt) >>> 0;
const msr = (r: Enc, rt: number) => (0xd5100000 | sysEnc(r) | rt) >>> 0;
const bvr = (n: number): Enc => [2, 0, 0, n, 4], bcr = (n: number): Enc => [2, 0, 0, n, 5];
const wvr = (n: number): Enc => [2, 0, 0, n, 6], wcr = (n: number): Enc => [2, 0, 0, n, 7];
const MDSCR: Enc = [2, 0, 0, 2, 2], OSLAR: Enc = [2, 0, 1, 0, 4], OSLSR: Enc = [2, 0, 1, 1, 4], OSDLR: Enc = [2, 0, 1, 3, 4];
const MDRAR: Enc = [2, 0, 1, 0, 0], CLAIMSET: Enc = [2, 0, 7, 8, 6], CLAIMCLR: Enc = [2, 0, 7, 9, 6], AUTH: Enc = [2, 0, 7, 14, 6];
const MDCCSR: Enc = [2, 3, 0, 1, 0], DFR0: Enc = [3, 0, 0, 5, 0];
const HCR_RW = 1n << 31n;
const EL2 = (mdcr: bigint, el = 1): Setup => ({ config: { haveEL2: true }, el, sysregs: [[SR.HCR_EL2, HCR_RW], [SR.MDCR_EL2, mdcr]] });
const TDE = 1n << 8n, TDA = 1n << 9n, TDOSA = 1n << 10n, TDRA = 1n << 11n;

describe('self-hosted debug registers', () => {
  it('ID_AA64DFR0_EL1: DebugVer 6, PMUv3, 6 breakpoints, 4 watchpoints, 2 context-aware (fields are N-1)', () => {
    expect(run([mrs(0, DFR0)]).x[0]).toBe(0x1030_5106n);
  });
  it('breakpoint and watchpoint registers keep their defined fields', () => {
    const r = run([msr(bvr(0), 1), msr(bcr(0), 2), msr(bcr(5), 2), msr(wvr(3), 1), msr(wcr(3), 2),
      mrs(10, bvr(0)), mrs(11, bcr(0)), mrs(12, bcr(5)), mrs(13, wvr(3)), mrs(14, wcr(3))],
      { x: { 1: 0xffff_0000_1234_567fn, 2: 0xffff_ffffn } });
    expect(r.x[10]).toBe(0xffff_0000_1234_567cn); // bits 1:0 RES0
    expect(r.x[11]).toBe(0x001f_e1e7n); // BT: only address match (unlinked/linked) on a non-context breakpoint
    expect(r.x[12]).toBe(0x00ff_e1e7n); // context-aware breakpoint 5: every BT
    expect(r.x[13]).toBe(0xffff_0000_1234_567cn);
    expect(r.x[14]).toBe(0x1f1f_ffffn); // MASK, WT, LBN, SSC, HMC, BAS, LSC, PAC, E
  });
  it('breakpoint 6 and watchpoint 4 do not exist: UNDEFINED', () => {
    for (const w of [mrs(0, bcr(6)), msr(wvr(4), 1)]) {
      const r = run([w], { el: 1 });
      expect([esrEC(r.sys(SR.ESR_EL1)), r.pc]).toEqual([0, VBAR1 + 0x200n]);
    }
  });
  it('OSLAR_EL1 locks and unlocks the OS lock that OSLSR_EL1 reports (OSLM = 0b10); locked at reset', () => {
    const r = run([mrs(0, OSLSR), msr(OSLAR, 1), mrs(2, OSLSR), msr(OSLAR, 3), mrs(4, OSLSR)], { x: { 1: 0n, 3: 1n } });
    expect([r.x[0], r.x[2], r.x[4]]).toEqual([0xan, 0x8n, 0xan]);
  });
  it('claim tags: DBGCLAIMSET reads 0xff (implemented), DBGCLAIMCLR reads the tags; set/clear by writing ones', () => {
    const r = run([msr(CLAIMSET, 1), mrs(2, CLAIMCLR), msr(CLAIMCLR, 3), mrs(4, CLAIMCLR), mrs(5, CLAIMSET)], { x: { 1: 0x1a5n, 3: 0x21n } });
    expect([r.x[2], r.x[4], r.x[5]]).toEqual([0xa5n, 0x84n, 0xffn]);
  });
  it('read-only and write-only registers: MSR of OSLSR/MDRAR/DBGAUTHSTATUS/MDCCSR and MRS of OSLAR are UNDEFINED, before any trap', () => {
    for (const w of [msr(OSLSR, 0), msr(MDRAR, 0), msr(AUTH, 0), msr(MDCCSR, 0), mrs(0, OSLAR)]) {
      const r = run([w], EL2(TDE));
      expect([r.el, esrEC(r.sys(SR.ESR_EL1))]).toEqual([1, 0]);
    }
  });
  it('MDRAR_EL1 reads 0 (no ROM table), DBGAUTHSTATUS_EL1 0xa (as QEMU), MDSCR_EL1 keeps its writable fields', () => {
    const r = run([mrs(0, MDRAR), mrs(1, AUTH), msr(MDSCR, 2), mrs(3, MDSCR)], { x: { 2: 0xffff_ffffn } });
    expect([r.x[0], r.x[1], r.x[3]]).toEqual([0n, 0xan, 0x6020_f041n]);
  });
  it('EL0: UNDEFINED for every debug register but the DCC ones; MDSCR_EL1.TDCC traps those to EL1', () => {
    const el0 = (w: number, mdscr: bigint) => run([0xd69f03e0], {
      steps: 2, x: { 9: 0n }, sysregs: [[SR.ELR_EL1, CODE + 0x100n], [SR.SPSR_EL1, 0n], [SR.MDSCR_EL1, mdscr]],
      mem: [[CODE + 0x100n, new Uint8Array(new Uint32Array([w]).buffer)]] });
    const u = el0(mrs(0, bcr(0)), 0n);
    expect([u.el, esrEC(u.sys(SR.ESR_EL1))]).toEqual([1, 0]);
    expect(el0(mrs(0, MDCCSR), 0n).el).toBe(0);
    const t = el0(mrs(0, MDCCSR), 1n << 12n);
    expect([t.el, esrEC(t.sys(SR.ESR_EL1))]).toEqual([1, 0x18]);
  });
  it('MDCR_EL2.TDA traps EL1 breakpoint/MDSCR/claim accesses to EL2, not the OS-lock ones', () => {
    const a = run([mrs(0, bvr(1))], EL2(TDA));
    expect([a.el, esrEC(a.sys(SR.ESR_EL2)), a.pc]).toEqual([2, 0x18, VBAR2 + 0x400n]);
    expect(esrISS(a.sys(SR.ESR_EL2)) & 1).toBe(1);
    expect(run([mrs(0, MDSCR)], EL2(TDA)).el).toBe(2);
    expect(run([mrs(0, OSLSR)], EL2(TDA)).el).toBe(1);
  });
  it('TDOSA traps OSLAR/OSLSR/OSDLR, TDRA traps MDRAR; TDE implies TDA, TDOSA and TDRA', () => {
    expect(run([msr(OSLAR, 0)], EL2(TDOSA)).el).toBe(2);
    expect(run([mrs(0, OSDLR)], EL2(TDOSA)).el).toBe(2);
    expect(run([mrs(0, bcr(0))], EL2(TDOSA)).el).toBe(1);
    expect(run([mrs(0, MDRAR)], EL2(TDRA)).el).toBe(2);
    for (const w of [mrs(0, bcr(0)), mrs(0, OSLSR), mrs(0, MDRAR)]) expect(run([w], EL2(TDE)).el).toBe(2);
  });
  it('EL2 accesses are never trapped by MDCR_EL2', () => {
    expect(run([mrs(0, bcr(0)), mrs(1, OSLSR)], EL2(TDE | TDA | TDOSA | TDRA, 2)).el).toBe(2);
    expect(run([mrs(0, bcr(0)), mrs(1, OSLSR)], EL2(TDE | TDA | TDOSA | TDRA, 2)).pc).toBe(CODE + 8n);
  });
});
