// SIMD&FP loads and stores: device (MMIO) accesses through the replay protocol, alignment and SP
// alignment checks, and an abort part-way through a structure load (Arm ARM D1.8.2, B2.5.2,
// C6.2 LD1 "If a synchronous Data Abort occurs, ... the base register is not updated").
import { describe, expect, it } from 'vitest';
import { CODE, DATA, SR, VBAR1, esrEC, hex, prepare, snapshot } from '../harness';
import { hex128, vrun } from './vharness';

const DEV = 0x0900_0000n; // below RAM: a device address (the core exits to TypeScript)

describe('SIMD&FP accesses to a device', () => {
  it('LDR Q from a device: two 8-byte reads, replayed, assemble the register', () => {
    const core = prepare([0x3dc00020], { sysregs: [[SR.CPACR_EL1, 3n << 20n]], x: { 1: DEV } }); // ldr q0, [x1]
    core.setV(0, 0n);
    let exit = core.run(1);
    expect(exit).toBe('mmio');
    const a1 = core.mmio();
    expect([a1.pa, a1.size, a1.isWrite]).toEqual([DEV, 8, false]);
    core.mmioComplete(0x1111_2222_3333_4444n);
    exit = core.run(1);
    expect(exit).toBe('mmio');
    const a2 = core.mmio();
    expect([a2.pa, a2.size, a2.isWrite]).toEqual([DEV + 8n, 8, false]);
    core.mmioComplete(0x5555_6666_7777_8888n);
    exit = core.run(1);
    expect(exit).toBe('budget');
    expect(core.pc).toBe(CODE + 4n);
    expect(hex128(core.getV(0))).toBe(hex128(0x5555_6666_7777_8888_1111_2222_3333_4444n));
  });
  it('STR Q to a device: two 8-byte writes, low half first', () => {
    const core = prepare([0x3d800020], { sysregs: [[SR.CPACR_EL1, 3n << 20n]], x: { 1: DEV } }); // str q0, [x1]
    core.setV(0, 0xaaaa_bbbb_cccc_dddd_1234_5678_9abc_def0n);
    expect(core.run(1)).toBe('mmio');
    const w1 = core.mmio();
    expect([w1.pa, w1.isWrite, hex(w1.value)]).toEqual([DEV, true, hex(0x1234_5678_9abc_def0n)]);
    core.mmioComplete(0n);
    expect(core.run(1)).toBe('mmio');
    const w2 = core.mmio();
    expect([w2.pa, hex(w2.value)]).toEqual([DEV + 8n, hex(0xaaaa_bbbb_cccc_ddddn)]);
    core.mmioComplete(0n);
    expect(core.run(1)).toBe('budget');
    expect(core.pc).toBe(CODE + 4n);
  });
  it('a bus error on the second half takes a synchronous external abort; V0 keeps its value', () => {
    const core = prepare([0x3dc00020], { sysregs: [[SR.CPACR_EL1, 3n << 20n]], x: { 1: DEV }, daif: 0 });
    core.setV(0, 7n);
    core.setSysreg(SR.VBAR_EL1, VBAR1);
    core.run(1); core.mmioComplete(1n);
    core.run(1); core.mmioComplete(0n, true);
    core.run(1);
    const r = snapshot(core, 'budget');
    expect(r.pc).toBe(VBAR1 + 0x200n);
    expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0x25);
    expect(Number(r.sys(SR.ESR_EL1) & 0x3fn)).toBe(0x10); // synchronous external abort
    expect(core.getV(0)).toBe(7n);
  });
});

describe('alignment', () => {
  it('LDR Q at an 8-aligned address faults when alignment is checked (MMU off: Device memory)', () => {
    const r = vrun([0x3cc08022], { x: { 1: DATA }, v: { 2: 9n } }); // ldur q2, [x1, #8]
    expect(r.pc).toBe(VBAR1 + 0x200n);
    expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0x25);
    expect(Number(r.sys(SR.ESR_EL1) & 0x3fn)).toBe(0x21); // alignment fault
    expect(r.sys(SR.FAR_EL1)).toBe(DATA + 8n);
    expect(r.v[2]).toBe(9n);
  });
  it('the same access is allowed on Normal memory (MMU on, SCTLR_EL1.A = 0)', () => {
    const mem = new Uint8Array(32).map((_, i) => i);
    const r = vrun([0x3cc08022], { x: { 1: DATA }, mmu: true, mem: [[DATA, mem]] });
    expect(r.pc).toBe(CODE + 4n);
    expect(hex128(r.v[2])).toBe(hex128(0x17161514131211100f0e0d0c0b0a0908n));
  });
  it('LDR Q with SP as the base and SP misaligned: SP alignment fault (SCTLR_EL1.SA)', () => {
    const r = vrun([0x3dc003e1], { sp: DATA + 8n, sysregs: [[SR.SCTLR_EL1, 0x30d0_0800n | 8n]] }); // ldr q1, [sp]
    expect(r.pc).toBe(VBAR1 + 0x200n);
    expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0x26);
  });
});

describe('an abort part-way through a structure load', () => {
  it('LD1 {v0.16b, v1.16b}, [x1], #32 whose second register is a device with a bus error: external abort, base not written back', () => {
    const ramEnd = 0x4000_0000n + 16n * 1024n * 1024n;
    const core = prepare([0x4cdfa020], { sysregs: [[SR.CPACR_EL1, 3n << 20n]], x: { 1: ramEnd - 16n }, mmu: true, daif: 0 }); // v0 from RAM, v1 from past the end of RAM
    expect(core.run(1)).toBe('mmio');
    expect(core.mmio().pa).toBe(ramEnd);
    core.mmioComplete(0n, true);
    core.run(1);
    const r = snapshot(core, 'budget');
    expect(r.pc).toBe(VBAR1 + 0x200n);
    expect(esrEC(r.sys(SR.ESR_EL1))).toBe(0x25);
    expect(r.x[1]).toBe(ramEnd - 16n);
  });
});
