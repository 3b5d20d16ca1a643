// PMUv3 (Arm ARM D12, the PMU registers in D17.5): PMCR_EL0's identification fields, counting of
// INST_RETIRED / CPU_CYCLES with the EL filters, overflow, the cycle counter's divider, SW_INCR, the
// PMSELR_EL0 indirection, and the access rules (PMUSERENR_EL0 at EL0, MDCR_EL2.TPM/TPMCR/HPMN/HPME).
// Expected values follow the register descriptions; the one implementation choice is stated where
// it matters: a counter read by MRS includes that MRS, and the MSR that enables counting is not
// itself counted (this core retires one instruction per cycle, so CPU_CYCLES = instructions).
import { describe, expect, it } from 'vitest';
import { CODE, NOP, SR, VBAR1, VBAR2, esrEC, esrISS, run, type Setup } from './harness';

type Enc = [number, number, number, number, number];
const R: Record<string, Enc> = {
  PMCR_EL0: [3, 3, 9, 12, 0], PMCNTENSET_EL0: [3, 3, 9, 12, 1], PMCNTENCLR_EL0: [3, 3, 9, 12, 2],
  PMOVSCLR_EL0: [3, 3, 9, 12, 3], PMSWINC_EL0: [3, 3, 9, 12, 4], PMSELR_EL0: [3, 3, 9, 12, 5],
  PMCEID0_EL0: [3, 3, 9, 12, 6], PMCCNTR_EL0: [3, 3, 9, 13, 0], PMXEVTYPER_EL0: [3, 3, 9, 13, 1],
  PMXEVCNTR_EL0: [3, 3, 9, 13, 2], PMUSERENR_EL0: [3, 3, 9, 14, 0], PMINTENSET_EL1: [3, 0, 9, 14, 1],
  PMOVSSET_EL0: [3, 3, 9, 14, 3], PMCCFILTR_EL0: [3, 3, 14, 15, 7], ID_AA64DFR0_EL1: [3, 0, 0, 5, 0],
};
const evcntr = (n: number): Enc => [3, 3, 14, 8 + (n >> 3), n & 7];
const evtyper = (n: number): Enc => [3, 3, 14, 12 + (n >> 3), n & 7];
const sysEnc = ([op0, op1, crn, crm, op2]: Enc) => ((op0 & 1) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5);
const mrs = (rt: number, r: Enc) => (0xd5300000 | sysEnc(r) | rt) >>> 0;
const msr = (r: Enc, rt: number) => (0xd5100000 | sysEnc(r) | rt) >>> 0;
const nops = (n: number) => new Array(n).fill(NOP);

const HCR_RW = 1n << 31n;
const EL2: Setup = { config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, HCR_RW]] };
const INST_RETIRED = 0x08n, CPU_CYCLES = 0x11n, SW_INCR = 0x00n;
const P = 1n << 31n, U = 1n << 30n, NSH = 1n << 27n;

/** Counter 0 counts `type` from the instruction after the MSR PMCR_EL0 (E = 1). */
function count0(type: bigint, body: number[], s: Setup = {}) {
  const words = [msr(evtyper(0), 1), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3), ...body, mrs(0, evcntr(0))];
  return run(words, { ...s, x: { 1: type, 2: 1n, 3: 1n, ...(s.x ?? {}) } });
}

describe('PMUv3: identification', () => {
  it('PMCR_EL0 reads IMP 0x41, IDCODE 0x01, N = 6 (as QEMU -cpu max), E/P/C clear at reset', () => {
    expect(run([mrs(0, R.PMCR_EL0)]).x[0]).toBe(0x41013000n);
  });
  it('ID_AA64DFR0_EL1.PMUVer = 1 (PMUv3), DebugVer = 6', () => {
    const v = run([mrs(0, R.ID_AA64DFR0_EL1)]).x[0];
    expect((v >> 8n) & 0xfn).toBe(1n);
    expect(v & 0xfn).toBe(6n);
  });
  it('PMCEID0_EL0 advertises exactly SW_INCR, INST_RETIRED and CPU_CYCLES', () => {
    expect(run([mrs(0, R.PMCEID0_EL0)]).x[0]).toBe((1n << 0n) | (1n << 8n) | (1n << 17n));
  });
});

describe('PMUv3: counting', () => {
  it('INST_RETIRED at EL1 counts the 10 NOPs and the reading MRS', () => {
    expect(count0(INST_RETIRED, nops(10)).x[0]).toBe(11n);
  });
  it('CPU_CYCLES counts alike (one instruction per cycle)', () => {
    expect(count0(CPU_CYCLES, nops(7)).x[0]).toBe(8n);
  });
  it('PMEVTYPER.P stops counting at EL1; U does not', () => {
    expect(count0(INST_RETIRED | P, nops(10)).x[0]).toBe(0n);
    expect(count0(INST_RETIRED | U, nops(10)).x[0]).toBe(11n);
  });
  it('EL2 is counted only with PMEVTYPER.NSH = 1', () => {
    expect(count0(INST_RETIRED, nops(10), { ...EL2, el: 2 }).x[0]).toBe(0n);
    expect(count0(INST_RETIRED | NSH, nops(10), { ...EL2, el: 2 }).x[0]).toBe(11n);
  });
  it('only instructions at counted ELs: an SVC to EL1 and its handler are not counted with P set', () => {
    // At EL0 (U clear, P set): 3 NOPs, SVC (counted: it ran at EL0), then the EL1 vector's NOPs
    // are not counted; back at EL0 via ERET nothing more runs before the read, which happens at EL1.
    const s: Setup = { el: 0, x: { 1: INST_RETIRED | P, 2: 1n, 3: 1n } };
    const setup = [msr(evtyper(0), 1), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3)];
    // The MSRs run at EL1 first (harness starts at EL1 then we drop to EL0 with ERET).
    const words = [...setup, 0xd69f03e0 /* eret */];
    const vec = [NOP, NOP, mrs(0, evcntr(0))]; // EL1 sync vector from EL0 (VBAR + 0x400)
    const el0 = [NOP, NOP, NOP, 0xd4000001 /* svc #0 */];
    const r = run(words, {
      ...s, el: 1, steps: 4 + 4 + 3,
      sysregs: [[SR.ELR_EL1, CODE + 0x100n], [SR.SPSR_EL1, 0n]],
      mem: [[CODE + 0x100n, new Uint8Array(new Uint32Array(el0).buffer)], [VBAR1 + 0x400n, new Uint8Array(new Uint32Array(vec).buffer)]],
    });
    expect(r.el).toBe(1);
    expect(r.x[0]).toBe(4n); // the 3 NOPs and the SVC at EL0
  });
  it('a 32-bit event counter wraps and sets its PMOVSSET_EL0 bit', () => {
    const r = run([msr(evtyper(0), 1), msr(evcntr(0), 4), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3), NOP, NOP, NOP, mrs(0, evcntr(0)), mrs(5, R.PMOVSSET_EL0)],
      { x: { 1: INST_RETIRED, 2: 1n, 3: 1n, 4: 0xfffffffen } });
    expect(r.x[0]).toBe(2n); // 0xfffffffe + 4 (3 NOPs and the MRS) wraps to 2
    expect(r.x[5]).toBe(1n);
  });
  it('PMCR_EL0.P resets the event counters, C the cycle counter', () => {
    const r = run([msr(evcntr(1), 1), msr(R.PMCCNTR_EL0, 1), msr(R.PMCR_EL0, 2), mrs(3, evcntr(1)), mrs(4, R.PMCCNTR_EL0), msr(R.PMCR_EL0, 5), mrs(6, R.PMCCNTR_EL0), mrs(7, R.PMCR_EL0)],
      { x: { 1: 1234n, 2: 2n, 5: 4n } });
    expect([r.x[3], r.x[4], r.x[6], r.x[7] & 0xffn]).toEqual([0n, 1234n, 0n, 0n]);
  });
  it('the cycle counter: PMCCFILTR_EL0 filters, PMCR_EL0.D counts once every 64 cycles', () => {
    const cc = (pmcr: bigint, filt: bigint, n: number) =>
      run([msr(R.PMCCFILTR_EL0, 4), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3), ...nops(n), mrs(0, R.PMCCNTR_EL0)],
        { x: { 2: 1n << 31n, 3: pmcr, 4: filt } }).x[0];
    expect(cc(1n, 0n, 20)).toBe(21n);
    expect(cc(1n, P, 20)).toBe(0n);
    expect(cc(1n | 8n, 0n, 127)).toBe(2n); // 128 cycles / 64
    expect(cc(1n | 8n, 0n, 62)).toBe(0n);
  });
  it('the cycle counter overflows at 32 bits unless PMCR_EL0.LC', () => {
    const ov = (pmcr: bigint) => run([msr(R.PMCCNTR_EL0, 4), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3), NOP, mrs(0, R.PMCCNTR_EL0), mrs(5, R.PMOVSSET_EL0)],
      { x: { 2: 1n << 31n, 3: pmcr, 4: 0xffffffffn } });
    const a = ov(1n), b = ov(1n | 64n);
    expect([a.x[0], a.x[5]]).toEqual([0x1_0000_0001n, 1n << 31n]);
    expect([b.x[0], b.x[5]]).toEqual([0x1_0000_0001n, 0n]);
  });
  it('disabled counters do not count: PMCR_EL0.E clear, or the PMCNTENSET_EL0 bit clear', () => {
    const r = run([msr(evtyper(0), 1), msr(R.PMCNTENSET_EL0, 2), ...nops(5), mrs(0, evcntr(0)), msr(R.PMCR_EL0, 3), msr(R.PMCNTENCLR_EL0, 2), ...nops(5), mrs(4, evcntr(0))],
      { x: { 1: INST_RETIRED, 2: 1n, 3: 1n } });
    expect([r.x[0], r.x[4]]).toEqual([0n, 1n]); // only the PMCNTENCLR itself, after E was set
  });
  it('PMSWINC_EL0 increments enabled SW_INCR counters only', () => {
    const r = run([msr(evtyper(0), 1), msr(evtyper(1), 6), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3), msr(R.PMSWINC_EL0, 7), msr(R.PMSWINC_EL0, 7), mrs(0, evcntr(0)), mrs(4, evcntr(1)), mrs(5, evcntr(2))],
      { x: { 1: SW_INCR, 2: 3n, 3: 1n, 6: INST_RETIRED | P, 7: 7n } });
    expect([r.x[0], r.x[4], r.x[5]]).toEqual([2n, 0n, 0n]); // counter 2 is not enabled
  });
  it('PMSELR_EL0 selects the counter PMXEVTYPER/PMXEVCNTR access; SEL = 31 makes PMXEVTYPER PMCCFILTR', () => {
    const r = run([msr(R.PMSELR_EL0, 1), msr(R.PMXEVCNTR_EL0, 2), msr(R.PMXEVTYPER_EL0, 3), mrs(4, evcntr(3)), mrs(5, evtyper(3)),
      msr(R.PMSELR_EL0, 6), msr(R.PMXEVTYPER_EL0, 7), mrs(8, R.PMCCFILTR_EL0)],
      { x: { 1: 3n, 2: 0x1_2345_6789n, 3: 0xffff_ffffn, 6: 31n, 7: P | U | 0x3ffn } });
    expect(r.x[4]).toBe(0x2345_6789n); // 32-bit counter
    expect(r.x[5]).toBe(0xfc00_03ffn); // P U NSK NSU NSH M and evtCount[9:0]
    expect(r.x[8]).toBe(P | U); // PMCCFILTR_EL0 has no event field
  });
});

describe('PMUv3: access rules', () => {
  const el0 = (words: number[], userenr: bigint, extra: Setup = {}) => runEl0(words, userenr, extra);
  function runEl0(words: number[], userenr: bigint, extra: Setup) {
    // Set PMUSERENR_EL0 at EL1 first, then ERET to EL0 where the words run.
    const pre = [msr(R.PMUSERENR_EL0, 9), 0xd69f03e0];
    return run(pre, { ...extra, el: 1, steps: 2 + words.length, x: { 9: userenr, ...(extra.x ?? {}) },
      sysregs: [...(extra.sysregs ?? []), [SR.ELR_EL1, CODE + 0x200n], [SR.SPSR_EL1, 0n]],
      mem: [[CODE + 0x200n, new Uint8Array(new Uint32Array(words).buffer)]] });
  }
  it('EL0 accesses trap to EL1 (EC 0x18) while PMUSERENR_EL0 is zero', () => {
    const r = el0([mrs(0, R.PMCCNTR_EL0)], 0n);
    expect(r.el).toBe(1);
    expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0x18);
    expect(esrISS(r.sys(SR.ESR_EL1)) & 1).toBe(1); // a read
    expect(r.pc).toBe(VBAR1 + 0x400n);
  });
  it('PMUSERENR_EL0.CR allows reading PMCCNTR_EL0 at EL0, ER the event counters (read only), EN everything', () => {
    expect(el0([mrs(0, R.PMCCNTR_EL0)], 4n).el).toBe(0);
    expect(el0([mrs(0, evcntr(0))], 8n).el).toBe(0);
    expect(el0([msr(evcntr(0), 1)], 8n).el).toBe(1); // ER does not allow writes
    expect(el0([mrs(0, R.PMCR_EL0), msr(evcntr(0), 1)], 1n).el).toBe(0);
    expect(el0([msr(R.PMSWINC_EL0, 1)], 2n).el).toBe(0); // SW
  });
  it('PMUSERENR_EL0 is read-only at EL0 and PMINTENSET_EL1 is UNDEFINED there', () => {
    const a = el0([msr(R.PMUSERENR_EL0, 1)], 1n), b = el0([mrs(0, R.PMINTENSET_EL1)], 1n);
    for (const r of [a, b]) { expect(r.el).toBe(1); expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0); }
  });
  it('MDCR_EL2.TPM traps EL1 accesses to EL2; TPMCR traps PMCR_EL0 only', () => {
    const tpm = run([mrs(0, R.PMCCNTR_EL0)], { ...EL2, sysregs: [...EL2.sysregs!, [SR.MDCR_EL2, 6n | (1n << 6n)]] });
    expect([tpm.el, esrEC(tpm.sys(SR.ESR_EL2)), tpm.pc]).toEqual([2, 0x18, VBAR2 + 0x400n]);
    const tpmcr = run([mrs(1, R.PMCCNTR_EL0), mrs(0, R.PMCR_EL0)], { ...EL2, sysregs: [...EL2.sysregs!, [SR.MDCR_EL2, 6n | (1n << 5n)]] });
    expect([tpmcr.el, esrEC(tpmcr.sys(SR.ESR_EL2))]).toEqual([2, 0x18]);
    expect(tpmcr.sys(SR.ELR_EL2)).toBe(CODE + 4n);
  });
  it('MDCR_EL2.HPMN = 2: EL1 sees N = 2, counters 2..5 UNDEFINED and their enable bits RAZ/WI; EL2 sees all', () => {
    const s: Setup = { ...EL2, sysregs: [...EL2.sysregs!, [SR.MDCR_EL2, 2n]] };
    const r = run([mrs(0, R.PMCR_EL0), msr(R.PMCNTENSET_EL0, 1), mrs(2, R.PMCNTENSET_EL0)], { ...s, x: { 1: 0xffn } });
    expect(((r.x[0] >> 11n) & 0x1fn)).toBe(2n);
    expect(r.x[2]).toBe(3n);
    const u = run([mrs(0, evcntr(2))], s);
    expect([u.el, esrEC(u.sys(SR.ESR_EL1))]).toEqual([1, 0]);
    expect(u.pc).toBe(VBAR1 + 0x200n);
    const e2 = run([mrs(0, R.PMCR_EL0), mrs(1, evcntr(5))], { ...s, el: 2 });
    expect([e2.el, (e2.x[0] >> 11n) & 0x1fn]).toEqual([2, 6n]);
  });
  it('counters above HPMN count only with MDCR_EL2.HPME', () => {
    const words = [msr(evtyper(3), 1), msr(R.PMCNTENSET_EL0, 2), msr(R.PMCR_EL0, 3), ...nops(5), mrs(0, evcntr(3))];
    const x = { 1: INST_RETIRED | NSH, 2: 8n, 3: 1n };
    expect(run(words, { ...EL2, el: 2, x, sysregs: [...EL2.sysregs!, [SR.MDCR_EL2, 2n]] }).x[0]).toBe(0n);
    // HPME (not PMCR_EL0.E) enables counter 3, so counting starts after the PMCNTENSET write:
    // the PMCR write, 5 NOPs and the MRS.
    expect(run(words, { ...EL2, el: 2, x, sysregs: [...EL2.sysregs!, [SR.MDCR_EL2, 2n | (1n << 7n)]] }).x[0]).toBe(7n);
  });
  it('MDCR_EL2.HPMN resets to N (6)', () => {
    expect(run([0xd53c1120 /* mrs x0, mdcr_el2 */], { config: { haveEL2: true }, el: 2 }).x[0] & 0x1fn).toBe(6n);
  });
  it('MRS of PMSWINC_EL0 (write-only) and MSR of PMCEID0/1_EL0 (read-only) are UNDEFINED, before any MDCR_EL2 trap', () => {
    for (const w of [mrs(0, R.PMSWINC_EL0), msr(R.PMCEID0_EL0, 1), msr([3, 3, 9, 12, 7], 1)]) {
      const r = run([w], { ...EL2, sysregs: [...EL2.sysregs!, [SR.MDCR_EL2, 6n | (1n << 6n)]] });
      expect([r.el, esrEC(r.sys(SR.ESR_EL1))]).toEqual([1, 0]);
    }
  });
  it('PMEVCNTR<n>_EL0 with n >= N (6) is UNDEFINED even at EL2', () => {
    const r = run([mrs(0, evcntr(6))], { ...EL2, el: 2 });
    expect([esrEC(r.sys(SR.ESR_EL2)), r.pc]).toEqual([0, VBAR2 + 0x200n]);
  });
});
