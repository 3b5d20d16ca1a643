// The PMU overflow interrupt request (Arm ARM D12.8; PMUIRQ is PPI 23 on QEMU virt): asserted while
// PMOVSSET_EL0 & PMINTENSET_EL1 has a bit whose counter is enabled by PMCR_EL0.E (counters below
// MDCR_EL2.HPMN and the cycle counter) or MDCR_EL2.HPME (counters at or above HPMN). The level is
// read back through GICR_ISPENDR0 of CPU 0's redistributor (a level-sensitive PPI reads pending
// while its input is high, GICv3 spec 12.11.?). An event counter overflows when it wraps from
// 0xFFFF_FFFF; the cycle counter when bit 31 carries out (PMCR_EL0.LC = 0).
import { describe, expect, it } from 'vitest';
import { NOP, run, type Setup } from '../core/harness';
import { LDRW, SR, msr, mrs, type Enc } from './enc';

const PMCR: Enc = [3, 3, 9, 12, 0], PMCNTENSET: Enc = [3, 3, 9, 12, 1], PMOVSCLR: Enc = [3, 3, 9, 12, 3];
const PMCCNTR: Enc = [3, 3, 9, 13, 0], PMINTENSET: Enc = [3, 0, 9, 14, 1], PMINTENCLR: Enc = [3, 0, 9, 14, 2];
const PMOVSSET: Enc = [3, 3, 9, 14, 3];
const PMEVCNTR0: Enc = [3, 3, 14, 8, 0], PMEVTYPER0: Enc = [3, 3, 14, 12, 0];
const GICR_ISPENDR0 = 0x080a_0000n + 0x1_0000n + 0x200n;
const PPI23 = 1n << 23n;
const INST_RETIRED = 0x08n;

/** x9 = GICR_ISPENDR0, x1 = INST_RETIRED, x2 = bit 0, x3 = PMCR.E, x4 = counter start, x8 = bit 31. */
const regs = (start: bigint) => ({ 1: INST_RETIRED, 2: 1n, 3: 1n, 4: start, 8: 1n << 31n, 9: GICR_ISPENDR0 });
const setup = (start: bigint, s: Setup = {}): Setup => ({ ...s, x: { ...regs(start), ...(s.x ?? {}) } });
/** Counter 0 counts instructions retired from `start`, its overflow interrupt enabled. */
const arm0 = [msr(PMEVTYPER0, 1), msr(PMEVCNTR0, 4), msr(PMINTENSET, 2), msr(PMCNTENSET, 2), msr(PMCR, 3)];

describe('PMU overflow interrupt on PPI 23', () => {
  it('asserted right after the instruction that wraps the counter, not before', () => {
    // Counting starts after the MSR PMCR_EL0: NOP (…fe), NOP (…ff), LDR (wraps: overflow) — the LDR
    // itself reads the line low, the next instruction high.
    const r = run([...arm0, NOP, NOP, LDRW(10, 9), LDRW(11, 9), mrs(12, PMOVSSET)], setup(0xffff_fffdn));
    expect([r.x[10] & PPI23, r.x[11] & PPI23, r.x[12]]).toEqual([0n, PPI23, 1n]);
  });
  it('drops when the overflow flag is cleared (PMOVSCLR_EL0) or the interrupt disabled (PMINTENCLR_EL1)', () => {
    // From 0xFFFF_FFFF the NOP wraps the counter.
    const a = run([...arm0, NOP, LDRW(10, 9), msr(PMOVSCLR, 2), LDRW(11, 9)], setup(0xffff_ffffn));
    expect([a.x[10] & PPI23, a.x[11] & PPI23]).toEqual([PPI23, 0n]);
    const b = run([...arm0, NOP, LDRW(10, 9), msr(PMINTENCLR, 2), LDRW(11, 9)], setup(0xffff_ffffn));
    expect([b.x[10] & PPI23, b.x[11] & PPI23]).toEqual([PPI23, 0n]);
  });
  it('a flag set by PMOVSSET_EL0 asserts it only while PMCR_EL0.E is set', () => {
    const r = run([msr(PMINTENSET, 2), msr(PMOVSSET, 2), LDRW(10, 9), msr(PMCR, 3), LDRW(11, 9)], setup(0n));
    expect([r.x[10] & PPI23, r.x[11] & PPI23]).toEqual([0n, PPI23]);
  });
  it('the cycle counter overflows when bit 31 carries out (LC = 0)', () => {
    const r = run([msr(PMCCNTR, 4), msr(PMINTENSET, 8), msr(PMCNTENSET, 8), msr(PMCR, 3), NOP, LDRW(10, 9), LDRW(11, 9), mrs(12, PMOVSSET)],
      setup(0x1_ffff_fffen));
    expect([r.x[10] & PPI23, r.x[11] & PPI23, r.x[12]]).toEqual([0n, PPI23, 1n << 31n]);
  });
  it('MDCR_EL2.HPMN = 0: counter 0 is reserved for EL2, enabled by HPME, not PMCR_EL0.E', () => {
    const el2 = (hpme: bigint): Setup => setup(0n, { el: 2, config: { haveEL2: true }, sysregs: [[SR.HCR_EL2, 1n << 31n], [SR.MDCR_EL2, hpme << 7n]] });
    const body = [msr(PMINTENSET, 2), msr(PMOVSSET, 2), msr(PMCR, 3), LDRW(10, 9)];
    expect(run(body, el2(0n)).x[10] & PPI23).toBe(0n);
    expect(run(body, el2(1n)).x[10] & PPI23).toBe(PPI23);
  });
  it('a long run: the overflow of a counter started 1000 instructions before its wrap is seen exactly there', () => {
    const nops = new Array(999).fill(NOP); // the 1000th instruction, LDR W10, wraps it
    const r = run([...arm0, ...nops, LDRW(10, 9), LDRW(11, 9)], setup(0x1_0000_0000n - 1000n));
    expect([r.x[10] & PPI23, r.x[11] & PPI23]).toEqual([0n, PPI23]);
  });
});
