/**
 * The world switch's context copy (hyp/world-switch.ts saveCpuContext / loadCpuContext, done by
 * the core's ctxtSave / ctxtLoad): every register of struct kvm_cpu_context moves between the hyp's
 * copy and the CPU as the CPU's own accessors (MRS, the general registers) see it; PC and PSTATE
 * are the caller's. The expected values are the registers' own, read back through the core.
 */
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { loadCpuContext, saveCpuContext } from '../../hyp/world-switch';
import { CTX_PC, CTX_PSTATE, CTX_SLOTS, CTX_SP_EL0, CTX_SP_EL1, CTX_SYSREGS, VCPU_SYSREGS, newCpuContext } from '../../hyp/hyp-vm';

const core = (): Core => { const c = new Core(16 << 20, { haveEL2: true, el2Hosted: true }); c.reset(2, 0n); return c; };
/** A distinct 64-bit value per slot, upper half set so that no half is lost. */
const val = (s: number, salt: bigint): bigint => (0x8000_0000_0000_0000n | (salt << 40n) | (BigInt(s) << 8n) | 0x5an);
const srIdx = (n: string): number => (n === 'MPIDR_EL1' ? SR.VMPIDR_EL2 : (SR as Record<string, number>)[n]!);

describe('saveCpuContext / loadCpuContext', () => {
  it('save reads x0-x30, SP_EL0, SP_EL1 and the EL1 system registers; PC and PSTATE stay the caller\'s', () => {
    const c = core();
    for (let i = 0; i < 31; i++) c.setX(i, val(i, 1n));
    c.setSysreg(SR.SP_EL0, val(CTX_SP_EL0, 1n));
    c.setSysreg(SR.SP_EL1, val(CTX_SP_EL1, 1n));
    VCPU_SYSREGS.forEach((n, i) => c.setSysreg(srIdx(n), val(CTX_SYSREGS + i, 1n)));
    const ctxt = newCpuContext();
    ctxt.pc = 0x1234n;
    ctxt.pstate = 0x3c5n;
    saveCpuContext(c, ctxt);
    for (let i = 0; i < 31; i++) expect(ctxt.regs[i]).toBe(val(i, 1n));
    expect(ctxt.sp_el0).toBe(val(CTX_SP_EL0, 1n));
    expect(ctxt.sp_el1).toBe(val(CTX_SP_EL1, 1n));
    VCPU_SYSREGS.forEach((n, i) => expect(ctxt.slots[CTX_SYSREGS + i], n).toBe(c.sysreg(srIdx(n))));
    expect(ctxt.pc).toBe(0x1234n);
    expect(ctxt.pstate).toBe(0x3c5n);
  });

  it('load writes them back as the core reads them (the live SP at EL2 untouched), and save after load gives the same context', () => {
    const c = core();
    c.setSysreg(SR.SP_EL2, 0x4000_8000n);
    const ctxt = newCpuContext();
    for (let s = 0; s < CTX_SLOTS; s++) if (s !== CTX_PC && s !== CTX_PSTATE) ctxt.slots[s] = val(s, 2n);
    loadCpuContext(c, ctxt);
    for (let i = 0; i < 31; i++) expect(c.getX(i)).toBe(val(i, 2n));
    expect(c.sysreg(SR.SP_EL0)).toBe(val(CTX_SP_EL0, 2n));
    expect(c.sysreg(SR.SP_EL1)).toBe(val(CTX_SP_EL1, 2n));
    expect(c.sysreg(SR.SP_EL2)).toBe(0x4000_8000n);
    VCPU_SYSREGS.forEach((n, i) => expect(c.sysreg(srIdx(n)), n).toBe(ctxt.slots[CTX_SYSREGS + i]));
    const back = saveCpuContext(c, newCpuContext());
    for (let s = 0; s < CTX_SLOTS; s++) if (s !== CTX_PC && s !== CTX_PSTATE) expect(back.slots[s], `slot ${s}`).toBe(ctxt.slots[s]);
  });

  it('a changed translation register (TTBR0_EL1) reaches the core\'s address translation', () => {
    const c = core();
    const ctxt = saveCpuContext(c, newCpuContext());
    ctxt.sys_regs.TTBR0_EL1 = 0x4010_0000n;
    loadCpuContext(c, ctxt);
    expect(c.sysreg(SR.TTBR0_EL1)).toBe(0x4010_0000n);
  });
});
