// A stuck CPU ends the run with one line and status 1 (core-as/stuck.ts, machine/stuck.ts): a
// recursive exception loop — VBAR left at 0, a vector table where nothing is, a stack that keeps
// aborting — and a branch-to-self with interrupts masked; under the hosted pKVM the same line ends
// the scenario. Also `boot --timeout` in guest time. Images are generated (test/gen).
//
// Expected values from the Arm ARM: exception entry to the current EL with SP_ELx at VBAR + 0x200
// (D1.10.2); ESR = EC << 26 | IL << 25 | ISS (D17.2.37): UDF → EC 0x00 (ISS 0), instruction fetch
// from nowhere → EC 0x21 with IFSC 0x10 (synchronous external abort), a store to nowhere → EC 0x25
// with DFSC 0x10. Reset enters EL1 with PSTATE.DAIF all set (D1.9).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as E from '../gen/a64enc';
import { writeElf64 } from '../gen/elf-writer';
import { expectOneLineError, runCli } from './run-cli';

const BASE = 0x4008_0000n;
const dir = mkdtempSync(join(tmpdir(), 'pkvm-stuck-'));

function image(name: string, words: number[], extra: { at: bigint; words: number[] }[] = []): string {
  const bytes = (ws: number[]) => { const b = new Uint8Array(ws.length * 4); const dv = new DataView(b.buffer); ws.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true)); return b; };
  const path = join(dir, `${name}.elf`);
  writeFileSync(path, writeElf64(BASE, [{ paddr: BASE, data: bytes(words) }, ...extra.map((e) => ({ paddr: e.at, data: bytes(e.words) }))]));
  return path;
}

/** x<rd> = a 48-bit constant. */
const mov64 = (rd: number, v: bigint): number[] => [
  E.movz(rd, Number(v & 0xffffn)), E.movk(rd, Number((v >> 16n) & 0xffffn), 1), E.movk(rd, Number((v >> 32n) & 0xffffn), 2),
];
const UDF = 0x0000_0000;
const B_SELF = 0x1400_0000;
const STP_FP_LR_PRE = 0xa9bf_7bfd; // stp x29, x30, [sp, #-16]!
const MSR_DAIFCLR_I = 0xd503_42ff; // msr daifclr, #2
const MOV_SP_X2 = E.addImm(31, 2, 0); // mov sp, x2

const LOOP_RE = /^pkvm-emu: stuck: recursive exception loop at EL(\d) vector (0x[0-9a-f]+) \((\d+) exceptions ESR (0x[0-9a-f]+) taken there back to back\): first exception ESR (0x[0-9a-f]+) \(EC 0x[0-9a-f]+\) FAR (0x[0-9a-f]+) raised by pc (0x[0-9a-f]+)$/;

function loop(err: string) {
  const m = LOOP_RE.exec(err.trimEnd());
  expect(m, err).not.toBeNull();
  return { el: Number(m![1]), vector: BigInt(m![2]!), count: Number(m![3]), loopEsr: BigInt(m![4]!), esr: BigInt(m![5]!), far: BigInt(m![6]!), pc: BigInt(m![7]!) };
}
const ec = (esr: bigint) => Number((esr >> 26n) & 0x3fn);

describe('a stuck guest says so (boot)', () => {
  it('VBAR_EL1 left at 0: UDF, then the vector at 0x200 cannot be fetched', () => {
    const r = runCli(['boot', image('vbar0', [E.NOP, UDF])], { timeout: 20_000 });
    expectOneLineError(r, /stuck: recursive exception loop/);
    const l = loop(r.err);
    expect(l.el).toBe(1);
    expect(l.vector).toBe(0x200n); // VBAR_EL1 (0) + 0x200: current EL, SP_ELx
    expect(l.esr).toBe(0x0200_0000n); // EC 0 (unknown), IL 1
    expect(l.pc).toBe(BASE + 4n);
    expect(ec(l.loopEsr)).toBe(0x21); // instruction abort, current EL
    expect(l.loopEsr & 0x3fn).toBe(0x10n); // IFSC: synchronous external abort
    expect(l.count).toBeGreaterThanOrEqual(16);
  });

  it('a vector table where there is no memory (VBAR_EL1 = 0x1000_0000)', () => {
    const r = runCli(['boot', image('vbar-nowhere', [...mov64(1, 0x1000_0000n), E.msr(E.SysReg.VBAR_EL1, 1), E.ISB, UDF])], { timeout: 20_000 });
    const l = loop(r.err);
    expect(r.status).toBe(1);
    expect(l.vector).toBe(0x1000_0200n);
    expect(l.pc).toBe(BASE + 20n);
  });

  it('a stack that keeps aborting: the handler\'s first store faults again and again', () => {
    const VBAR = 0x4009_0000n;
    const r = runCli(['boot', image('stack', [
      ...mov64(1, VBAR), E.msr(E.SysReg.VBAR_EL1, 1), E.ISB,
      ...mov64(2, 0x1000n), MOV_SP_X2, // SP where there is no memory
      UDF,
    ], [{ at: VBAR + 0x200n, words: [STP_FP_LR_PRE, E.NOP] }])], { timeout: 20_000 });
    const l = loop(r.err);
    expect(r.status).toBe(1);
    expect(l.vector).toBe(VBAR + 0x200n);
    expect(l.esr).toBe(0x0200_0000n);
    expect(l.pc).toBe(BASE + 36n);
    expect(ec(l.loopEsr)).toBe(0x25); // data abort, current EL
    expect(l.loopEsr & 0x3fn).toBe(0x10n); // DFSC: synchronous external abort
  });

  it('an exception handler that returns normally is not a loop', () => {
    // SVC at EL1 → vector +0x200: ERET back after the SVC; then power off by PSCI SYSTEM_OFF (HVC).
    const VBAR = 0x4009_0000n;
    const r = runCli(['boot', image('svc-ok', [
      ...mov64(1, VBAR), E.msr(E.SysReg.VBAR_EL1, 1), E.ISB,
      ...Array(20).fill(E.svc(0)).flat(),
      ...mov64(0, 0x8400_0008n), E.hvc(0),
    ], [{ at: VBAR + 0x200n, words: [0xd69f03e0] }])], { timeout: 20_000 }); // eret
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('branch-to-self with IRQ and FIQ masked (as at reset)', () => {
    const r = runCli(['boot', image('bself', [E.NOP, B_SELF])], { timeout: 20_000 });
    expectOneLineError(r, new RegExp(`^pkvm-emu: stuck: branch-to-self at EL1 pc 0x${(BASE + 4n).toString(16)} with interrupts masked \\(DAIF 0x3c0\\): nothing can interrupt it$`));
  });

  it('branch-to-self with IRQs unmasked is not stuck: it runs into --max-insns / --timeout', () => {
    const img = image('bself-irq', [MSR_DAIFCLR_I, B_SELF]);
    expectOneLineError(runCli(['boot', img, '--max-insns', '100000']), /^pkvm-emu: instruction limit reached \(100000 instructions\) at pc 0x40080004$/);
    // 40 µs of guest time at 62.5 MHz = 2500 instructions
    expectOneLineError(runCli(['boot', img, '--timeout', '40us']), /^pkvm-emu: timeout: 40us of guest time \(2500 instructions, 40\.000 µs at CNTFRQ 62\.5 MHz\) elapsed at pc 0x40080004$/);
    // the smaller of the two applies
    expectOneLineError(runCli(['boot', img, '--timeout', '1s', '--max-insns', '5000']), /instruction limit reached \(5000 instructions\)/);
  });

  it('a bad --timeout is one line and status 1, before anything runs', () => {
    const img = image('bself-bad', [MSR_DAIFCLR_I, B_SELF]);
    for (const t of ['10', 'ten s', '-1s', '0s', '1e99s']) expectOneLineError(runCli(['boot', img, '--timeout', t]), /^pkvm-emu: --timeout: (bad guest time|guest time .* is (zero|too large))/);
  });
});

describe('a stuck guest says so (hosted pKVM)', () => {
  function scenario(name: string, img: string): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `name: ${name}\nmachine: { memory: 64M, slice: 10k }\nvms:\n  - { name: g, protected: true, memory: 4M, image: ${img} }\nactions:\n  - run\n`);
    return path;
  }
  it('a protected vCPU in a recursive exception loop ends its scenario with the same line', () => {
    const VBAR = 0x4009_0000n;
    const img = image('guest-loop', [...mov64(1, VBAR), E.msr(E.SysReg.VBAR_EL1, 1), E.ISB, UDF], [{ at: VBAR + 0x200n, words: [UDF] }]);
    const r = runCli(['run', scenario('guest-loop', img)], { timeout: 30_000 });
    expect(r.status).toBe(1);
    const line = r.out.split('\n').find((l) => l.includes('stuck:'));
    expect(line).toMatch(/vm 0x[0-9a-f]+ vcpu 0: stuck: recursive exception loop at EL1 vector 0x40090200 \(\d+ exceptions ESR 0x2000000 taken there back to back\): first exception ESR 0x2000000 \(EC 0x0\) FAR 0x0 raised by pc 0x40080014/);
  });
  it('an A64 host at EL1 under pKVM that spins with interrupts masked: the host ends in error with the line', () => {
    const path = join(dir, 'host-bself.yaml');
    writeFileSync(path, `name: host-bself\nkind: a64-host\nhost: { image: ${image('host-bself', [E.NOP, B_SELF])} }\nmachine: { memory: 64M, max_insns: 1M }\nactions:\n  - run\n`);
    const r = runCli(['run', path], { timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/console of host \(error: stuck: branch-to-self at EL1 pc 0x40080004 with interrupts masked \(DAIF 0x3c0\): nothing can interrupt it\)/);
  });
  it('a protected vCPU spinning with interrupts masked ends its scenario with the same line', () => {
    const r = runCli(['run', scenario('guest-bself', image('guest-bself', [E.NOP, E.NOP, B_SELF]))], { timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/vm 0x[0-9a-f]+ vcpu 0: stuck: branch-to-self at EL1 pc 0x40080008 with interrupts masked/);
  });
});
