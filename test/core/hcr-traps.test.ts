// HCR_EL2's trap controls for system registers and cache/TLB maintenance from EL0/EL1 (Arm ARM
// D13.2.47 HCR_EL2 and each register's access pseudocode): TID1, TID2, TID3, TIDCP, TACR, TVM, TRVM,
// TSW, TPC, TPU, TTLB, TDZ. A trapped access is taken to EL2 with EC 0x18 and the ISS of
// D17.2.37 (Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0]),
// ELR_EL2 = the instruction; an EL1-level control (SCTLR_EL1.UCT/UCI) takes priority at EL0.
import { describe, expect, it } from 'vitest';
import { CODE, SR, VBAR1, VBAR2, esrEC, esrISS, hex, run, type Result, type Setup } from './harness';

const HCR_RW = 1n << 31n;
const bit = (n: number) => 1n << BigInt(n);
const TID1 = bit(16), TID2 = bit(17), TID3 = bit(18), TIDCP = bit(20), TACR = bit(21), TSW = bit(22);
const TPC = bit(23), TPU = bit(24), TTLB = bit(25), TVM = bit(26), TDZ = bit(28), TRVM = bit(30);
const withHcr = (h: bigint, extra: Setup = {}): Setup =>
  ({ config: { haveEL2: true }, ...extra, sysregs: [[SR.HCR_EL2, HCR_RW | h], ...(extra.sysregs ?? [])] });

/** MRS (read) / MSR (write) of (op0, op1, CRn, CRm, op2) with register Rt. */
const sysreg = (read: boolean, op0: number, op1: number, crn: number, crm: number, op2: number, rt: number) =>
  (0xd500_0000 | (read ? 1 << 21 : 0) | (op0 << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0;
/** SYS (op1, CRn, CRm, op2), Rt: DC, IC, TLBI. */
const sys = (op1: number, crn: number, crm: number, op2: number, rt: number) => sysreg(false, 1, op1, crn, crm, op2, rt);
/** The EC 0x18 ISS the Arm ARM gives for that access. */
const iss = (read: boolean, op0: number, op1: number, crn: number, crm: number, op2: number, rt: number) =>
  (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0);

function expectTrap(r: Result, el: 1 | 2, ec: number, theIss?: number): void {
  const esr = r.sys(el === 2 ? SR.ESR_EL2 : SR.ESR_EL1);
  expect(r.el, 'taken to').toBe(el);
  expect('0x' + esrEC(esr).toString(16), 'EC').toBe('0x' + ec.toString(16));
  if (theIss !== undefined) expect('0x' + esrISS(esr).toString(16), 'ISS').toBe('0x' + theIss.toString(16));
  expect(hex(r.sys(el === 2 ? SR.ELR_EL2 : SR.ELR_EL1)), 'ELR = the instruction').toBe(hex(CODE));
  const lower = r.sys(el === 2 ? SR.SPSR_EL2 : SR.SPSR_EL1) & 0xfn;
  expect(hex(r.pc), 'vector').toBe(hex((el === 2 ? VBAR2 : VBAR1) + (lower === 0n || el === 2 ? 0x400n : 0x200n)));
}
const notTrapped = (r: Result) => expect(hex(r.pc), 'no exception: the next instruction').toBe(hex(CODE + 4n));

const ID_AA64PFR0 = [3, 0, 0, 4, 0] as const;
const AIDR = [3, 1, 0, 0, 7] as const;
const REVIDR = [3, 0, 0, 0, 6] as const;
const CTR = [3, 3, 0, 0, 1] as const;
const CLIDR = [3, 1, 0, 0, 1] as const;
const CSSELR = [3, 2, 0, 0, 0] as const;
const ACTLR = [3, 0, 1, 0, 1] as const;
const SCTLR = [3, 0, 1, 0, 0] as const;
const TTBR0 = [3, 0, 2, 0, 0] as const;
const MAIR = [3, 0, 10, 2, 0] as const;
const CONTEXTIDR = [3, 0, 13, 0, 1] as const;
const IMPDEF = [3, 0, 15, 2, 0] as const; // S3_0_C15_C2_0: IMPLEMENTATION DEFINED space, none implemented

describe('HCR_EL2.TID1/TID2/TID3: identification registers', () => {
  it('TID3 traps an EL1 read of ID_AA64PFR0_EL1 (and an unallocated ID-space encoding) to EL2', () => {
    expectTrap(run([sysreg(true, ...ID_AA64PFR0, 3)], withHcr(TID3)), 2, 0x18, iss(true, ...ID_AA64PFR0, 3));
    expectTrap(run([sysreg(true, 3, 0, 0, 3, 7, 0)], withHcr(TID3)), 2, 0x18, iss(true, 3, 0, 0, 3, 7, 0));
  });
  it('without TID3 the read returns the value: GIC [27:24] = 1, CSV2 [59:56] = 1, CSV3 [63:60] = 1', () => {
    const r = run([sysreg(true, ...ID_AA64PFR0, 3)], withHcr(0n));
    notTrapped(r);
    expect(Number((r.x[3] >> 24n) & 0xfn)).toBe(1);
    expect(Number((r.x[3] >> 56n) & 0xfn)).toBe(1);
    expect(Number((r.x[3] >> 60n) & 0xfn)).toBe(1);
  });
  it('TID1 traps REVIDR_EL1 and AIDR_EL1; TID3 does not trap AIDR_EL1; AIDR reads zero otherwise', () => {
    expectTrap(run([sysreg(true, ...AIDR, 1)], withHcr(TID1)), 2, 0x18, iss(true, ...AIDR, 1));
    expectTrap(run([sysreg(true, ...REVIDR, 1)], withHcr(TID1)), 2, 0x18, iss(true, ...REVIDR, 1));
    const r = run([sysreg(true, ...AIDR, 1)], withHcr(TID3, { x: { 1: 0x55n } }));
    notTrapped(r);
    expect(r.x[1]).toBe(0n);
  });
  it('TID2 traps CLIDR_EL1 reads and CSSELR_EL1 writes at EL1', () => {
    expectTrap(run([sysreg(true, ...CLIDR, 2)], withHcr(TID2)), 2, 0x18, iss(true, ...CLIDR, 2));
    expectTrap(run([sysreg(false, ...CSSELR, 2)], withHcr(TID2)), 2, 0x18, iss(false, ...CSSELR, 2));
  });
  it('CTR_EL0 at EL0: SCTLR_EL1.UCT = 0 traps to EL1 first; with UCT = 1, TID2 traps to EL2', () => {
    expectTrap(run([sysreg(true, ...CTR, 4)], withHcr(TID2, { el: 0 })), 1, 0x18, iss(true, ...CTR, 4));
    const uct = 1n << 15n;
    const r = run([sysreg(true, ...CTR, 4)], withHcr(TID2, { el: 0, sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | uct]] }));
    expectTrap(r, 2, 0x18, iss(true, ...CTR, 4));
  });
  it('CTR_EL0 reads PIPT (L1Ip = 0b11) with IDC = 1 and DIC = 0', () => {
    const r = run([sysreg(true, ...CTR, 4)], withHcr(0n));
    expect(Number((r.x[4] >> 14n) & 3n)).toBe(3);
    expect(Number((r.x[4] >> 28n) & 1n)).toBe(1);
    expect(Number((r.x[4] >> 29n) & 1n)).toBe(0);
  });
  it('HCR_EL2 traps do not apply at EL2', () => {
    notTrapped(run([sysreg(true, ...ID_AA64PFR0, 3)], withHcr(TID3 | TID1 | TID2, { el: 2 })));
  });
});

describe('HCR_EL2.TVM/TRVM/TACR: EL1 controls', () => {
  it('TVM traps writes of SCTLR_EL1, TTBR0_EL1, MAIR_EL1, CONTEXTIDR_EL1, not reads', () => {
    const regs: Array<readonly [number, number, number, number, number]> = [SCTLR, TTBR0, MAIR, CONTEXTIDR];
    for (const r of regs) {
      expectTrap(run([sysreg(false, ...r, 5)], withHcr(TVM)), 2, 0x18, iss(false, ...r, 5));
      notTrapped(run([sysreg(true, ...r, 5)], withHcr(TVM)));
    }
  });
  it('TRVM traps reads of the same registers, not writes', () => {
    expectTrap(run([sysreg(true, ...TTBR0, 6)], withHcr(TRVM)), 2, 0x18, iss(true, ...TTBR0, 6));
    notTrapped(run([sysreg(false, ...TTBR0, 6)], withHcr(TRVM)));
  });
  it('TACR traps ACTLR_EL1 both ways', () => {
    expectTrap(run([sysreg(true, ...ACTLR, 7)], withHcr(TACR)), 2, 0x18, iss(true, ...ACTLR, 7));
    expectTrap(run([sysreg(false, ...ACTLR, 7)], withHcr(TACR)), 2, 0x18, iss(false, ...ACTLR, 7));
  });
});

describe('HCR_EL2.TIDCP: the IMPLEMENTATION DEFINED space (none implemented)', () => {
  it('an EL1 access traps to EL2 with TIDCP, and is UNDEFINED (EC 0) without it', () => {
    expectTrap(run([sysreg(true, ...IMPDEF, 8)], withHcr(TIDCP)), 2, 0x18, iss(true, ...IMPDEF, 8));
    expectTrap(run([sysreg(false, ...IMPDEF, 8)], withHcr(0n)), 1, 0);
  });
  it('at EL0 and at EL2 it is UNDEFINED whatever TIDCP says', () => {
    expectTrap(run([sysreg(true, ...IMPDEF, 8)], withHcr(TIDCP, { el: 0 })), 1, 0);
    const r = run([sysreg(true, ...IMPDEF, 8)], withHcr(TIDCP, { el: 2 }));
    expect(r.el).toBe(2);
    expect(esrEC(r.sys(SR.ESR_EL2))).toBe(0);
  });
});

describe('HCR_EL2.TSW/TPC/TPU/TTLB/TDZ: maintenance instructions', () => {
  const cases: Array<[string, bigint, readonly [number, number, number, number]]> = [
    ['DC ISW with TSW', TSW, [0, 7, 6, 2]],
    ['DC CISW with TSW', TSW, [0, 7, 14, 2]],
    ['DC IVAC with TPC', TPC, [0, 7, 6, 1]],
    ['DC CIVAC with TPC', TPC, [3, 7, 14, 1]],
    ['DC CVAC with TPC', TPC, [3, 7, 10, 1]],
    ['DC CVAU with TPU', TPU, [3, 7, 11, 1]],
    ['IC IVAU with TPU', TPU, [3, 7, 5, 1]],
    ['IC IALLUIS with TPU', TPU, [0, 7, 1, 0]],
    ['TLBI VMALLE1IS with TTLB', TTLB, [0, 8, 3, 0]],
    ['TLBI VAE1 with TTLB', TTLB, [0, 8, 7, 1]],
    ['DC ZVA with TDZ', TDZ, [3, 7, 4, 1]],
  ];
  for (const [name, h, [op1, crn, crm, op2]] of cases) {
    it(`${name}: EL1 traps to EL2 (EC 0x18, write direction); other HCR bits do not trap it`, () => {
      expectTrap(run([sys(op1, crn, crm, op2, 9)], withHcr(h, { x: { 9: 0x4010_0000n } })), 2, 0x18, iss(false, 1, op1, crn, crm, op2, 9));
      const others = (TSW | TPC | TPU | TTLB | TDZ) & ~h;
      notTrapped(run([sys(op1, crn, crm, op2, 9)], withHcr(others, { x: { 9: 0x4010_0000n }, mmu: true })));
    });
  }
  it('TLBI ALLE2 at EL2 is not trapped by TTLB', () => {
    notTrapped(run([sys(4, 8, 7, 0, 0)], withHcr(TTLB, { el: 2 })));
  });
  it('DCZID_EL0.DZP reads 1 at EL1 with TDZ, 0 without', () => {
    expect(run([sysreg(true, 3, 3, 0, 0, 7, 0)], withHcr(TDZ)).x[0]).toBe(0x14n);
    expect(run([sysreg(true, 3, 3, 0, 0, 7, 0)], withHcr(0n)).x[0]).toBe(4n);
  });
  it('DC CVAU at EL0 with SCTLR_EL1.UCI = 0 traps to EL1 before TPU; with UCI = 1, TPU traps to EL2', () => {
    const w = sys(3, 7, 11, 1, 9);
    expectTrap(run([w], withHcr(TPU, { el: 0, x: { 9: 0x4010_0000n } })), 1, 0x18);
    const uci = 1n << 26n;
    expectTrap(run([w], withHcr(TPU, { el: 0, x: { 9: 0x4010_0000n }, sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | uci]] })), 2, 0x18, iss(false, 1, 3, 7, 11, 1, 9));
  });
});
