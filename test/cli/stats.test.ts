// `--stats` (cli/stats.ts, core-as/stats/): at the end of a run, per-CPU instructions, exceptions by
// class, and exactly the UNDEFINED encodings and unimplemented system registers / SYS operations the
// guest executed, each once with its count and first PC. The program's expected lines come from the
// Arm ARM's encodings (C4.1 top-level groups; MRS/MSR/SYS op0:op1:CRn:CRm:op2), not from the core.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { encodingGroup, sysregName } from '../../cli/stats';
import { SYSREG_NAMES } from '../../cli/sysreg-names';

const tmp = mkdtempSync(join(tmpdir(), 'pkvm-stats-'));
const BASE = 0x4008_0000;

/** A raw image (loaded at 0x40080000, entered at EL1): words at offsets. */
function image(words: Record<number, number>): string {
  const buf = Buffer.alloc(0xa10);
  for (const [off, w] of Object.entries(words)) buf.writeUInt32LE(w >>> 0, Number(off));
  const f = join(tmp, `p${Object.keys(words).length}-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(f, buf);
  return f;
}

// The vector for a synchronous exception from the current EL with SP_EL1 (VBAR_EL1 + 0x200): skip
// the instruction that raised it (ELR_EL1 += 4) and return.
const SKIP = { 0xa00: 0xd5384029 /* mrs x9, elr_el1 */, 0xa04: 0x91001129 /* add x9, x9, #4 */, 0xa08: 0xd5184029 /* msr elr_el1, x9 */, 0xa0c: 0xd69f03e0 /* eret */ };
const PROLOGUE = { 0x0: 0x10004001 /* adr x1, .+0x800 */, 0x4: 0xd518c001 /* msr vbar_el1, x1 */, 0x8: 0xd5033fdf /* isb */ };
const POWEROFF = (at: number) => ({ [at]: 0xd2b08000 /* mov x0, #0x84000000 */, [at + 4]: 0xf2800100 /* movk x0, #8: SYSTEM_OFF */, [at + 8]: 0xd4000002 /* hvc #0 */ });

describe('--stats', () => {
  it('lists exactly the UNDEFINED encodings and unimplemented system registers executed, with counts and first PCs', () => {
    const f = image({
      ...PROLOGUE,
      0x0c: 0x00000000, // UDF #0 (reserved group)
      0x10: 0x00000000, // again: counted, first PC kept
      0x14: 0x04200000, // SVE ADD z0.b, z0.b, z0.b: no SVE
      0x18: 0xd538f200, // mrs x0, S3_0_C15_C2_0 (IMPLEMENTATION DEFINED space, not implemented)
      0x1c: 0xd519f200, // msr S3_1_C15_C2_0, x0
      0x20: 0xd50871ff, // sys #0, C7, C1, #7: no such cache operation
      0x24: 0xd5088fff, // sys #0, C8, C15, #7: no such TLBI (UNDEFINED when it executes)
      0x28: 0xd538f200, // mrs x0, S3_0_C15_C2_0 again
      0x2c: 0xd5385300, // mrs x0, ERRIDR_EL1 (S3_0_C5_C3_0): no RAS extension here
      ...POWEROFF(0x30),
      ...SKIP,
    });
    const r = runCli(['boot', f, '--stats'], { timeout: 60_000 });
    expect(r.status).toBe(0);
    const lines = r.err.split('\n');
    expect(lines.filter((l) => l.startsWith('UNDEFINED'))).toEqual([
      `UNDEFINED 0x00000000 (reserved): 2 times, first at pc 0x${(BASE + 0x0c).toString(16)} (EL1)`,
      `UNDEFINED 0x04200000 (SVE): 1 time, first at pc 0x${(BASE + 0x14).toString(16)} (EL1)`,
    ]);
    expect(lines.filter((l) => l.startsWith('unimplemented system register'))).toEqual([
      `unimplemented system register MRS S3_0_C15_C2_0: 2 times, first at pc 0x${(BASE + 0x18).toString(16)} (EL1)`,
      `unimplemented system register MSR S3_1_C15_C2_0: 1 time, first at pc 0x${(BASE + 0x1c).toString(16)} (EL1)`,
      `unimplemented system register SYS S1_0_C7_C1_7: 1 time, first at pc 0x${(BASE + 0x20).toString(16)} (EL1)`,
      `unimplemented system register SYS S1_0_C8_C15_7: 1 time, first at pc 0x${(BASE + 0x24).toString(16)} (EL1)`,
      `unimplemented system register MRS S3_0_C5_C3_0 (ERRIDR_EL1): 1 time, first at pc 0x${(BASE + 0x2c).toString(16)} (EL1)`,
    ]);
    // Each of the 9 UNDEFINED instructions is an exception with EC 0 (unknown reason).
    expect(lines).toContain('exceptions taken: 9 unknown reason (EC 0x0)');
    // 3 + 9 + 3 instructions, and 4 per exception handler (the ERET included)
    expect(lines).toContain('instructions: 51');
    expect(lines).toContain('cpu0: 51 instructions retired');
    expect(r.err).toMatch(/^instructions: 51\nwall time: [\d.]+ s\nMIPS: [\d.]+\n/);
  });

  it('a clean run says none; an SVC and an alignment fault are counted by EC', () => {
    const f = image({
      ...PROLOGUE,
      0x0c: 0xd4000841, // svc #0x42
      0x10: 0x10000008, // adr x8, . (0x40080010)
      0x14: 0xf8401100, // ldur x0, [x8, #1]: plain LDUR may be unaligned on Normal memory, but the
      //                   MMU is off: Device memory, alignment fault (EC 0x25)
      ...POWEROFF(0x18),
      ...SKIP,
    });
    const r = runCli(['boot', f, '--stats'], { timeout: 60_000 });
    expect(r.status).toBe(0);
    const lines = r.err.split('\n');
    expect(lines).toContain('UNDEFINED encodings: none');
    expect(lines).toContain('unimplemented system registers: none');
    expect(lines).toContain('exceptions taken: 1 SVC (EC 0x15), 1 data abort (EC 0x25)');
  });

  it('--smp 4: a line per CPU, summing to the total; run SCENARIO --stats reports the scenario\'s core', () => {
    const r = runCli(['boot', 'guest-images/bin/smp-counter.elf', '--smp', '4', '--stats'], { timeout: 60_000 });
    expect(r.status).toBe(0);
    const per = [...r.err.matchAll(/^cpu(\d): (\d+) instructions retired( \(off\))?$/gm)];
    expect(per.map((m) => m[1])).toEqual(['0', '1', '2', '3']);
    expect(per.map((m) => m[3] !== undefined)).toEqual([false, true, true, true]); // 1..3 end with CPU_OFF
    for (const m of per) expect(BigInt(m[2]!) > 20_000n).toBe(true); // ITERS rounds of the locked loop each
    const total = BigInt(/^instructions: (\d+)$/m.exec(r.err)![1]!);
    expect(per.reduce((a, m) => a + BigInt(m[2]!), 0n)).toBe(total);
    const s = runCli(['run', 'scenarios/default.yaml', '--quiet', '--stats'], { timeout: 60_000 });
    expect(s.status).toBe(0);
    expect(s.err).toMatch(/^instructions: \d+\nwall time: [\d.]+ s\nMIPS: [\d.]+\ncpu0: \d+ instructions retired\n/);
    expect(s.err).toMatch(/^exceptions taken: .*HVC \(EC 0x16\)/m); // the host's hypercalls to the hosted EL2
    expect(s.err).toContain('UNDEFINED encodings: none');
  });

  it('names: S<op0>_<op1>_C<n>_C<m>_<op2>, and the A64 top-level encoding groups', () => {
    expect(sysregName((3 << 14) | (0 << 11) | (15 << 7) | (2 << 3) | 0)).toBe('S3_0_C15_C2_0');
    expect(sysregName((2 << 14) | (3 << 11) | (0 << 7) | (5 << 3) | 1)).toBe('S2_3_C0_C5_1');
    // Arm ARM encodings (D19 register descriptions): op0, op1, CRn, CRm, op2
    const key = (op0: number, op1: number, crn: number, crm: number, op2: number) => (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
    expect(SYSREG_NAMES[key(3, 1, 0, 0, 7)]).toBe('AIDR_EL1');
    expect(SYSREG_NAMES[key(3, 0, 0, 4, 4)]).toBe('ID_AA64ZFR0_EL1');
    expect(SYSREG_NAMES[key(3, 0, 1, 0, 1)]).toBe('ACTLR_EL1');
    expect(SYSREG_NAMES[key(3, 3, 2, 4, 0)]).toBe('RNDR');
    expect(SYSREG_NAMES[key(3, 4, 1, 1, 4)]).toBe('HFGRTR_EL2');
    expect(SYSREG_NAMES[key(2, 0, 1, 1, 4)]).toBe('OSLSR_EL1');
    expect(encodingGroup(0x00000000)).toBe('reserved');
    expect(encodingGroup(0x80000000)).toBe('SME');
    expect(encodingGroup(0x04200000)).toBe('SVE');
    expect(encodingGroup(0x91001129)).toBe('data processing (immediate)');
    expect(encodingGroup(0xd4000002)).toBe('branches, exception generating and system');
    expect(encodingGroup(0xf8401100)).toBe('loads and stores');
    expect(encodingGroup(0x8b020020)).toBe('data processing (register)');
    expect(encodingGroup(0x1e602820)).toBe('data processing (scalar FP and Advanced SIMD)');
    expect(encodingGroup(0xd500417f)).toBe('PSTATE class (MSR immediate, CFINV, XAFLAG, AXFLAG) op1=0 CRm=1 op2=3'); // MSR UAO, #1
    expect(encodingGroup(0xd503301f)).toBe('barrier class CRm=0 op2=0'); // unallocated in the barriers class
  });
});
