/**
 * The world switch's context copy (hyp/world-switch.ts saveCpuContext / loadCpuContext, done by
 * the core's ctxtSave / ctxtLoad): every register of struct kvm_cpu_context moves between the hyp's
 * copy and the CPU as the CPU's own accessors (MRS, the general registers) see it; PC and PSTATE
 * are the caller's. The expected values are the registers' own, read back through the core.
 */
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { __guest_enter_state, __guest_exit_state, loadCpuContext, saveCpuContext } from '../../hyp/world-switch';
import { VgicV3CpuIf } from '../../hyp/vgic-v3';
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

/*
 * The whole guest entry and exit (__guest_enter_state / __guest_exit_state: core-as/hyp-vcpu-switch.ts
 * hypVcpuEnter / hypVcpuExit). Expected values: the context's own (it must come back exactly), the
 * EL2 registers as given (HCR_EL2.RW is RAO/WI in an AArch64-only EL1), CPTR_EL2 with TFP (bit 10) and
 * TZ (bit 8) set for the run (lazy FP/SIMD) and the host's CPTR_EL2/MDCR_EL2 back after the exit.
 */
describe('__guest_enter_state / __guest_exit_state', () => {
  const TFP_TZ = (1n << 10n) | (1n << 8n);
  const HCR_RW = 1n << 31n;
  const guestCtxt = (salt: bigint) => {
    const ctxt = newCpuContext();
    for (let s = 0; s < CTX_SLOTS; s++) ctxt.slots[s] = val(s, salt);
    ctxt.sys_regs.SCTLR_EL1 = 0n; // (the guest's MMU off: no translation tables needed)
    ctxt.sys_regs.MDSCR_EL1 = 0n;
    ctxt.pc = 0x4000_1000n + (salt << 4n);
    ctxt.pstate = 0x3c5n | (0xan << 28n); // EL1h, DAIF masked, N and Z set
    return ctxt;
  };
  const el2 = { hcr: 1n | (1n << 3n) | (1n << 4n), vttbr: (5n << 48n) | 0x4020_0000n, vtcr: 0x8002_3559n, cntvoff: 0x1234_5678n, mdcr: 0x6_0000n | 4n };

  it('entry loads every slot, PC and PSTATE (EL1), and the EL2 registers of the run; exit returns the same context and the host\'s CPTR/MDCR', () => {
    const c = core();
    c.setSysreg(SR.CPTR_EL2, 0x33ffn);
    c.setSysreg(SR.MDCR_EL2, 0x4n);
    c.setSysreg(SR.SP_EL2, 0x4000_8000n);
    const ctxt = guestCtxt(3n);
    const cpu_if = new VgicV3CpuIf();
    __guest_enter_state(c, ctxt, cpu_if, el2);
    expect(c.el).toBe(1);
    expect(c.pc).toBe(ctxt.pc);
    expect(c.pstate).toBe(ctxt.pstate);
    for (let i = 0; i < 31; i++) expect(c.getX(i)).toBe(ctxt.regs[i]);
    expect(c.sysreg(SR.SP_EL0)).toBe(ctxt.sp_el0);
    expect(c.sysreg(SR.SP_EL1)).toBe(ctxt.sp_el1);
    expect(c.sysreg(SR.SP_EL2)).toBe(0x4000_8000n);
    VCPU_SYSREGS.forEach((n, i) => expect(c.sysreg(srIdx(n)), n).toBe(ctxt.slots[CTX_SYSREGS + i]));
    expect(c.sysreg(SR.HCR_EL2)).toBe(el2.hcr | HCR_RW);
    expect(c.sysreg(SR.VTTBR_EL2)).toBe(el2.vttbr);
    expect(c.sysreg(SR.VTCR_EL2)).toBe(el2.vtcr);
    expect(c.sysreg(SR.CNTVOFF_EL2)).toBe(el2.cntvoff);
    expect(c.sysreg(SR.CPTR_EL2)).toBe(0x33ffn | TFP_TZ);
    expect(c.sysreg(SR.MDCR_EL2)).toBe(el2.mdcr);
    const back = newCpuContext();
    __guest_exit_state(c, back, cpu_if, false);
    for (let s = 0; s < CTX_SLOTS; s++) expect(back.slots[s], `slot ${s}`).toBe(ctxt.slots[s]);
    expect(c.sysreg(SR.CPTR_EL2)).toBe(0x33ffn);
    expect(c.sysreg(SR.MDCR_EL2)).toBe(0x4n);
    expect(c.sysreg(SR.HCR_EL2)).toBe(el2.hcr | HCR_RW); // (the host's HCR_EL2 is the caller's to put back)
  });

  it('a guest that ran: the exit reads the registers it changed, and PC/PSTATE from ELR_EL2/SPSR_EL2 after an exception to EL2', () => {
    const c = core();
    const ctxt = guestCtxt(4n);
    // HVC #0 at the guest's PC, stage 2 off (HCR_EL2.VM clear): the hosted EL2 takes the HVC
    c.writePhys(ctxt.pc, new Uint8Array([0x02, 0x00, 0x00, 0xd4]));
    __guest_enter_state(c, ctxt, new VgicV3CpuIf(), { ...el2, hcr: (1n << 3n) | (1n << 4n), mdcr: null });
    c.setX(7, 0x77n); // (as if the guest had written x7)
    expect(c.run(10)).toBe('hyp');
    expect(c.el).toBe(2);
    expect((c.sysreg(SR.ESR_EL2) >> 26n) & 0x3fn).toBe(0x16n); // EC: HVC from AArch64
    const back = newCpuContext();
    __guest_exit_state(c, back, new VgicV3CpuIf(), true);
    expect(back.regs[7]).toBe(0x77n);
    expect(back.pc).toBe(c.sysreg(SR.ELR_EL2));
    expect(back.pc).toBe(ctxt.pc + 4n); // (HVC: the preferred return address is the next instruction)
    expect(back.pstate).toBe(ctxt.pstate); // SPSR_EL2: the guest's PSTATE at the HVC
    expect(back.sp_el1).toBe(ctxt.sp_el1);
  });

  it('without a guest MDCR_EL2 (a non-protected vCPU) the host\'s stays programmed for the run', () => {
    const c = core();
    c.setSysreg(SR.MDCR_EL2, 0x7n);
    __guest_enter_state(c, guestCtxt(5n), new VgicV3CpuIf(), { ...el2, mdcr: null });
    expect(c.sysreg(SR.MDCR_EL2)).toBe(0x7n);
    __guest_exit_state(c, newCpuContext(), new VgicV3CpuIf(), false);
    expect(c.sysreg(SR.MDCR_EL2)).toBe(0x7n);
  });
});

/*
 * An A64 host (WorldSwitch.hostOnCore, the host's own code at EL1 on the core): its CPU context and
 * the EL2 registers it runs with must be on the core exactly as before each guest run (nvhe/switch.c
 * __kvm_vcpu_run: __sysreg_save_state_nvhe(host_ctxt) ... __sysreg_restore_state_nvhe(host_ctxt),
 * __deactivate_traps). Expected values: the host's own, read before the run.
 */
describe('the world switch with the host on the core (an A64 host)', () => {
  it('a protected guest\'s run (a stage-2 fault) leaves the host\'s registers, PC/PSTATE and EL2 state as they were; the guest\'s context moves on', async () => {
    const { readFileSync } = await import('node:fs');
    const { HostedEl2 } = await import('../../hyp/hosted-el2');
    const { HostKvm, runVcpu } = await import('../../host-kernel-model/index');
    const c = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
    c.reset(2, 0n);
    const el2 = new HostedEl2(c, { slice: 100_000 });
    el2.trace.enabled = false;
    const kvm = new HostKvm(el2, { faultFastPath: false });
    const toucher = readFileSync(new URL('../../guest-images/bin/toucher.elf', import.meta.url));
    const vm = kvm.createVm({ name: 'vm', protected: true, memBytes: 16 << 20, image: { bytes: toucher, name: 'toucher.elf' }, args: [2048n, 1n, 1n] });
    runVcpu(kvm, vm, vm.vcpus[0]!, 20_000); // (boots the guest: it is now touching its 2048 pages)
    kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, (1n << 13n) | (1n << 14n));
    const hyp = el2 as unknown as { vcpuRun(v: unknown): number; pkvm: { loaded_vcpu(cpu: number): { ctxt: ReturnType<typeof newCpuContext>; fault: { esr_el2: bigint } } } };
    const vcpu = hyp.pkvm.loaded_vcpu(0);
    el2.ws.hostOnCore = true;
    // The host: distinct registers at EL1h, its own EL2 configuration.
    for (let i = 0; i < 31; i++) c.setX(i, val(i, 7n));
    c.setSysreg(SR.SP_EL0, val(CTX_SP_EL0, 7n));
    c.setSysreg(SR.SP_EL1, val(CTX_SP_EL1, 7n));
    VCPU_SYSREGS.forEach((n, i) => { if (n !== 'SCTLR_EL1' && n !== 'MDSCR_EL1') c.setSysreg(srIdx(n), val(CTX_SYSREGS + i, 7n)); });
    c.setSysreg(SR.ELR_EL2, 0x4000_2000n);
    c.setSysreg(SR.SPSR_EL2, 0x3c5n);
    c.setSysreg(SR.CPTR_EL2, 0x33ffn);
    c.setSysreg(SR.MDCR_EL2, 0x6n);
    c.setSysreg(SR.CNTVOFF_EL2, 0x1000n);
    c.pstate = 0x3c5n;
    c.pc = 0x4000_1000n;
    const host = { x: Array.from({ length: 31 }, (_, i) => c.getX(i)), sp0: c.sysreg(SR.SP_EL0), sp1: c.sysreg(SR.SP_EL1), pc: c.pc, pstate: c.pstate,
      sys: VCPU_SYSREGS.map((n) => c.sysreg(srIdx(n))),
      el2: [SR.HCR_EL2, SR.VTTBR_EL2, SR.VTCR_EL2, SR.CNTVOFF_EL2, SR.ELR_EL2, SR.SPSR_EL2, SR.CPTR_EL2, SR.MDCR_EL2].map((r) => c.sysreg(r)) };
    expect(hyp.vcpuRun(vcpu)).toBe(2); // ARM_EXCEPTION_TRAP: the guest's store faulted at stage 2
    expect((vcpu.fault.esr_el2 >> 26n) & 0x3fn).toBe(0x24n); // a data abort from a lower EL
    expect(vcpu.ctxt.pc).not.toBe(host.pc); // (ELR_EL2 at the exit: the guest's faulting store)
    expect(vcpu.ctxt.pstate & 0xfn).toBe(0x5n); // the guest's EL1h, from SPSR_EL2
    for (let i = 0; i < 31; i++) expect(c.getX(i), `x${i}`).toBe(host.x[i]);
    expect(c.sysreg(SR.SP_EL0)).toBe(host.sp0);
    expect(c.sysreg(SR.SP_EL1)).toBe(host.sp1);
    VCPU_SYSREGS.forEach((n, i) => expect(c.sysreg(srIdx(n)), n).toBe(host.sys[i]));
    expect([SR.HCR_EL2, SR.VTTBR_EL2, SR.VTCR_EL2, SR.CNTVOFF_EL2, SR.ELR_EL2, SR.SPSR_EL2, SR.CPTR_EL2, SR.MDCR_EL2].map((r) => c.sysreg(r))).toEqual(host.el2);
    expect(c.pc).toBe(host.pc);
    expect(c.pstate).toBe(host.pstate);
    expect(c.el).toBe(1);
    kvm.hcall('__pkvm_vcpu_put');
  });
});
