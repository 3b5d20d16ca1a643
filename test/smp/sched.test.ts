// The SMP scheduler and per-CPU state (core-as/smp/): MPIDR_EL1 per CPU as QEMU virt gives it,
// round-robin turns, one system counter, WFI/WFE sleep and the end of a run when no CPU can wake,
// PSCI power states as the core keeps them.
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { wordsToBytes } from '../core/harness';
import * as E from '../gen/a64enc';

const CODE0 = 0x4008_0000n, CODE1 = 0x4009_0000n, CODE2 = 0x400a_0000n;
const HVC = 0xd4000002, WFI = 0xd503207f, WFE = 0xd503205f, SEV = 0xd503209f, NOP = 0xd503201f;
const MRS_MPIDR = 0xd53800a0; // mrs x0, mpidr_el1
const MRS_CNTPCT = 0xd53be020; // mrs x0, cntpct_el0
const B_BACK = (n: number) => 0x14000000 | ((-n) & 0x3ffffff);

function board(cpus: number, quantum: number, el = 1, config: object = {}): Core {
  const c = new Core(16 << 20, { cpus, quantum, ...(el === 2 ? { haveEL2: true, psciSmc: true } : {}), ...config });
  c.reset(el, CODE0);
  return c;
}

/** Runs until `cpu` exits with a firmware call; returns its x0. */
function untilHvc(c: Core, cpu: number, max = 100_000): bigint {
  for (let i = 0; i < max; i++) {
    const r = c.run(1000);
    if (r === 'firmware' && c.cpu === cpu) return c.getX(0);
    if (r !== 'firmware' && r !== 'budget') throw new Error(`exit ${r} on CPU ${c.cpu}`);
  }
  throw new Error('no HVC');
}

describe('per-CPU layout', () => {
  it('the state blocks, scheduler records and the tagged TLBs of 8 CPUs fit their reserved regions', () => {
    expect(board(1, 100).x.smpLayoutFits()).toBe(1);
  });
});

describe('per-CPU identity', () => {
  it('MPIDR_EL1 = 0x80000000 | index (Aff0 = CPU index, bit 31 RES1), read by each CPU', () => {
    const c = board(4, 100);
    for (const [i, at] of [[1, CODE1], [2, CODE2], [3, CODE2 + 0x1000n]] as const) {
      c.writePhys(at, wordsToBytes([MRS_MPIDR, HVC, B_BACK(1)]));
      expect(c.cpuOn(i, 1, at, 0n)).toBe(0);
    }
    c.writePhys(CODE0, wordsToBytes([MRS_MPIDR, HVC, B_BACK(1)]));
    expect(untilHvc(c, 0)).toBe(0x8000_0000n);
    expect(untilHvc(c, 1)).toBe(0x8000_0001n);
    expect(untilHvc(c, 2)).toBe(0x8000_0002n);
    expect(untilHvc(c, 3)).toBe(0x8000_0003n);
  });
  it('VMPIDR_EL2 resets to the CPU\'s MPIDR_EL1, which EL1 then reads (EL2 boot)', () => {
    const c = board(2, 100, 2);
    expect(c.sysreg(SR.VMPIDR_EL2)).toBe(0x8000_0000n);
    c.writePhys(CODE1, wordsToBytes([MRS_MPIDR, 0xd4000003 /* smc #0 */, B_BACK(1)]));
    c.writePhys(CODE0, wordsToBytes([NOP, B_BACK(1)]));
    expect(c.cpuOn(1, 2, CODE1, 0n)).toBe(0);
    expect(untilHvc(c, 1)).toBe(0x8000_0001n);
    expect(c.sysreg(SR.VMPIDR_EL2)).toBe(0x8000_0001n);
  });
  it('CPU_ON: x0 = context id, PC = entry, the EL asked for; errors for the caller, a CPU on, no such CPU', () => {
    const c = board(2, 100);
    c.writePhys(CODE1, wordsToBytes([HVC, B_BACK(1)]));
    c.writePhys(CODE0, wordsToBytes([NOP, B_BACK(1)]));
    expect(c.cpuOn(0, 1, CODE1, 0n)).toBe(-2);
    expect(c.cpuOn(2, 1, CODE1, 0n)).toBe(-2);
    expect(c.powerState(1)).toBe(1);
    expect(c.cpuOn(1, 1, CODE1, 0x1234n)).toBe(0);
    expect(c.powerState(1)).toBe(0);
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(-4);
    expect(untilHvc(c, 1)).toBe(0x1234n);
    expect(c.el).toBe(1);
    expect(c.pc).toBe(CODE1 + 4n);
  });
});

describe('round-robin and the system counter', () => {
  it('turns alternate every quantum; each CPU\'s counter is monotonic, one tick per instruction', () => {
    const q = 40;
    const c = board(2, q);
    const loop = wordsToBytes([MRS_CNTPCT, HVC, B_BACK(2)]);
    c.writePhys(CODE0, loop);
    c.writePhys(CODE1, loop);
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    const seen: Array<[number, bigint]> = [];
    while (seen.length < 200) {
      const r = c.run(1000);
      if (r === 'firmware') seen.push([c.cpu, c.getX(0)]);
    }
    for (const cpu of [0, 1]) {
      const v = seen.filter(([k]) => k === cpu).map(([, t]) => t);
      for (let i = 1; i < v.length; i++) {
        expect(v[i] > v[i - 1]).toBe(true);
        // 3 instructions per iteration, or the other CPU's turn (at most a quantum) in between
        expect(v[i] - v[i - 1] === 3n || v[i] - v[i - 1] <= BigInt(2 * q + 3)).toBe(true);
      }
    }
    let switches = 0;
    for (let i = 1; i < seen.length; i++) {
      if (seen[i][0] !== seen[i - 1][0]) {
        switches++;
        expect(seen[i][1] - seen[i - 1][1] < BigInt(2 * q)).toBe(true);
      }
    }
    expect(switches).toBeGreaterThan(5);
  });
  for (const [cpus, q] of [[2, 40], [2, 1000], [4, 77]] as const) {
    it(`${cpus} CPUs, quantum ${q}: a CPU that loads a counter value another CPU read and published, then reads the counter, never reads less (uniform system counter, Arm ARM D11.1.2)`, () => {
      // loop: ldr x1, [x9] (a value some CPU read) ; mrs x0, cntpct_el0 ; cmp x0, x1 ; b.hs ok ;
      //       add x2, x2, #1 (a read behind published time) ; ok: str x0, [x9] ; subs x3, x3, #1 ;
      //       b.ne loop ; hvc #0 (x2 = violations)
      const CNTPCT = (3 << 14) | (3 << 11) | (14 << 7) | (0 << 3) | 1;
      const prog = [E.movz(9, 0x400b, 1), E.movz(3, 3000), E.movz(2, 0),
        E.ldr_imm(1, 9, 0), E.mrs(0, CNTPCT), 0xeb01001f, E.bcond(2, 2), E.addImm(2, 2, 1), E.str_imm(0, 9, 0),
        E.subsImm(3, 3, 1), E.bcond(1, -7), HVC];
      const c = board(cpus, q);
      for (let i = 0; i < cpus; i++) c.writePhys(CODE0 + BigInt(i) * 0x1000n, wordsToBytes(prog));
      for (let i = 1; i < cpus; i++) expect(c.cpuOn(i, 1, CODE0 + BigInt(i) * 0x1000n, 0n)).toBe(0);
      const violations = new Map<number, bigint>();
      for (let n = 0; violations.size < cpus && n < 100_000; n++) {
        if (c.run(1000) === 'firmware' && !violations.has(c.cpu)) { violations.set(c.cpu, c.getX(2)); c.cpuOff(); }
      }
      expect([...violations.entries()].sort()).toEqual(Array.from({ length: cpus }, (_, i) => [i, 0n]));
    });
  }
  it('with one CPU the counter equals the instructions retired', () => {
    const c = board(1, 0);
    c.writePhys(CODE0, wordsToBytes([NOP, NOP, NOP, MRS_CNTPCT, HVC]));
    expect(untilHvc(c, 0)).toBe(4n); // the MRS itself is the 4th instruction counted
    expect(c.insns).toBe(5n);
    expect(c.ticks).toBe(5n);
  });
  it('a CPU turned off (CPU_OFF) no longer runs; the last one off leaves nothing to run', () => {
    const c = board(2, 50);
    c.writePhys(CODE0, wordsToBytes([HVC, B_BACK(1)]));
    c.writePhys(CODE1, wordsToBytes([HVC, B_BACK(1)]));
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    untilHvc(c, 1);
    expect(c.cpuOff()).toBe(1);
    expect(c.powerState(1)).toBe(1);
    for (let i = 0; i < 50; i++) { expect(c.run(1000)).toBe('firmware'); expect(c.cpu).toBe(0); }
    expect(c.cpuOff()).toBe(0);
    expect(c.run(1000)).toBe('wfi');
  });
});

describe('WFI, WFE, SEV', () => {
  it('one CPU in WFI with nothing to wake it ends the run with wfi; the next run() resumes after it', () => {
    const c = board(1, 0);
    c.writePhys(CODE0, wordsToBytes([WFI, HVC]));
    expect(c.run(100)).toBe('wfi');
    expect(c.pc).toBe(CODE0 + 4n);
    expect(c.run(100)).toBe('firmware');
  });
  it('a CPU in WFI costs nothing while another runs; when all sleep the run ends', () => {
    const c = board(2, 50);
    c.writePhys(CODE1, wordsToBytes([WFI, HVC, B_BACK(2)]));
    c.writePhys(CODE0, wordsToBytes([NOP, NOP, NOP, NOP, WFI, HVC]));
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    const r = c.run(10_000);
    expect(r).toBe('wfi');
    expect(c.schedState(0)).toBe('wfi');
    expect(c.schedState(1)).toBe('wfi');
    expect(c.insns).toBe(6n); // 5 on CPU 0, the WFI on CPU 1
  });
  it('WFE sleeps until another CPU ran (its stores may have cleared the global monitor) or SEV', () => {
    const c = board(2, 20);
    // CPU 1: wfe; hvc; b .-8   CPU 0: nop x N; hvc
    c.writePhys(CODE1, wordsToBytes([WFE, HVC, B_BACK(2)]));
    c.writePhys(CODE0, wordsToBytes([...new Array(100).fill(NOP), HVC, B_BACK(1)]));
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    let cpu1Hvcs = 0;
    for (let i = 0; i < 20; i++) if (c.run(1000) === 'firmware' && c.cpu === 1) cpu1Hvcs++;
    expect(cpu1Hvcs).toBeGreaterThan(0);
  });
  it('SEV sets every CPU\'s event register: a later WFE on the other CPU completes at once', () => {
    const c = board(2, 1000);
    c.writePhys(CODE0, wordsToBytes([SEV, HVC, B_BACK(1)]));
    c.writePhys(CODE1, wordsToBytes([WFE, HVC, B_BACK(1)]));
    expect(untilHvc(c, 0)).toBeDefined(); // CPU 0 executed SEV before CPU 1 was on: it set only its own
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    c.pc = CODE0;
    untilHvc(c, 0); // SEV again, now with CPU 1 on
    untilHvc(c, 1);
    expect(c.schedState(1)).toBe('run');
  });
  it('a WFE nothing wakes completes without time passing (no round is skipped)', () => {
    const c = board(2, 1000);
    const MRS_X1_CNTPCT = 0xd53be021;
    c.writePhys(CODE0, wordsToBytes([MRS_CNTPCT, WFE, MRS_X1_CNTPCT, HVC]));
    untilHvc(c, 0);
    expect(c.getX(1) - c.getX(0)).toBe(2n);
  });
  it('every CPU asleep and only WFE sleepers left: WFE completes (as on QEMU, where WFE never sleeps)', () => {
    const c = board(1, 0);
    c.writePhys(CODE0, wordsToBytes([WFE, HVC]));
    expect(c.run(100)).toBe('firmware');
  });
});

describe('exclusive monitors across CPUs', () => {
  const LDXR = 0xc85f7c20; // ldxr x0, [x1]
  const STXR = 0xc8027c23; // stxr w2, x3, [x1]
  const STR = 0xf9000024; // str x4, [x1]
  const DATA = 0x4010_0000n;
  function setup(quantum: number, cpu0: number[]): Core {
    const c = board(2, quantum);
    c.writePhys(CODE1, wordsToBytes([
      0x58000141, // ldr x1, [pc + 40] (DATA)
      0xd2800543, // mov x3, #42
      LDXR, HVC, STXR, HVC, 0x14000000,
    ]));
    c.writePhys(CODE1 + 40n, new Uint8Array(new BigUint64Array([DATA]).buffer));
    c.writePhys(CODE0, wordsToBytes(cpu0));
    c.setX(1, DATA);
    c.setX(4, 0n); // the value already there: an ABA store
    expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
    return c;
  }
  it('a store by CPU 0 to the granule between CPU 1\'s LDXR and STXR makes the STXR fail (even of the same value)', () => {
    const c = setup(4, [STR, HVC, B_BACK(2)]); // CPU 1's turn ends at its first HVC
    untilHvc(c, 1); // CPU 1: LDXR done
    untilHvc(c, 0); // CPU 0: STR done
    untilHvc(c, 1);
    expect(c.getX(2)).toBe(1n); // status 1: failed
    expect(c.readPhysU64(DATA)).toBe(0n);
  });
  it('with no other CPU in between, LDXR/STXR succeeds', () => {
    const c = setup(1_000_000, [WFI, B_BACK(1)]);
    untilHvc(c, 1);
    untilHvc(c, 1);
    expect(c.getX(2)).toBe(0n);
    expect(c.readPhysU64(DATA)).toBe(42n);
  });
});
