// Skipping an emulated instruction advances the software-step state machine (Arm ARM D2.12,
// upstream kvm_skip_instr() in arch/arm64/kvm/hyp/include/hyp/adjust_pc.h: PC += 4, PSTATE.BTYPE
// and PSTATE.SS cleared). A guest that single-steps its own EL0 over a UART write (emulated by the
// host, or in the core by the MMIO fast path) must take the Software Step exception right after the
// stepped access: ELR_EL1 = the next instruction, ESR_EL1.EC = 0x32 (from a lower EL), ISV = 0
// (the step state went active-pending through an exception return, not by completing an
// instruction). Without the SS update, the next instruction runs too and ELR_EL1 is one further.
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { DBG_SPSR_SS, PSR_BTYPE_MASK, __kvm_skip_instr, kvm_skip_instr } from '../../hyp/adjust-pc';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';
import { writeElf64 } from '../gen/elf-writer';

const code = [
  0xd2a12005, // 0x00 mov  x5, #0x9000000   (the UART)
  0xd2a80406, // 0x04 mov  x6, #0x40200000  (results)
  0x10003fc1, // 0x08 adr  x1, vectors (0x800)
  0xd518c001, // 0x0c msr  vbar_el1, x1
  0xd510109f, // 0x10 msr  oslar_el1, xzr   (OS lock off)
  0xd2800022, // 0x14 mov  x2, #1
  0xd5100242, // 0x18 msr  mdscr_el1, x2    (MDSCR_EL1.SS)
  0xd5033fdf, // 0x1c isb
  0x100000c3, // 0x20 adr  x3, el0code (0x38)
  0xd5184023, // 0x24 msr  elr_el1, x3
  0xd2a00404, // 0x28 mov  x4, #0x200000    (SPSR_EL1: EL0t, SS = 1: active-not-pending)
  0xd5184004, // 0x2c msr  spsr_el1, x4
  0x52800828, // 0x30 mov  w8, #0x41
  0xd69f03e0, // 0x34 eret
  0x390000a8, // 0x38 el0code: strb w8, [x5]  (UARTDR: the stepped instruction)
  0xd503201f, // 0x3c nop
  0xd503201f, // 0x40 nop
  0x14000000, // 0x44 b .
];
// vectors + 0x400: synchronous exception from a lower EL (AArch64)
const handler = [
  0xd538402a, // mrs  x10, elr_el1
  0xd538520b, // mrs  x11, esr_el1
  0x10ffa18c, // adr  x12, el0code
  0xcb0c014a, // sub  x10, x10, x12
  0xa9002cca, // stp  x10, x11, [x6]
  0x52800100, // mov  w0, #0x8
  0x72b08000, // movk w0, #0x8400, lsl #16  (PSCI SYSTEM_OFF)
  0xd4000002, // hvc  #0
  0x14000000, // b    .
];

function image(): { bytes: Uint8Array; name: string } {
  const data = new Uint8Array(0xc00 + handler.length * 4);
  const dv = new DataView(data.buffer);
  code.forEach((w, i) => dv.setUint32(i * 4, w, true));
  handler.forEach((w, i) => dv.setUint32(0xc00 + i * 4, w, true));
  return { bytes: writeElf64(0x4000_0000n, [{ paddr: 0x4000_0000n, data }]), name: 'step' };
}

describe('kvm_skip_instr() and software step', () => {
  it.each([false, true])('a self-stepped UART write (MMIO fast path %s) stops right after the access', (mmioFast) => {
    const core = new Core(96 << 20, { haveEL2: true, el2Hosted: true });
    core.reset(2, 0n);
    const el2 = new HostedEl2(core, { slice: 300_000, guestHvcAbi: 'upstream' });
    const kvm = new HostKvm(el2, { faultFastPath: true });
    kvm.mmioFastPath = mmioFast;
    const vm = kvm.createVm({ name: 's', protected: false, memBytes: 4 << 20, image: image(), args: [] });
    expect(runAll(kvm, { slice: 100_000, maxGuestInsns: 1_000_000n })).toBe('all-stopped');
    expect(vm.state).toBe('off');
    expect(vm.consoleText()).toBe('A');
    const pa = vm.slot.pages.get(0x40200n)!;
    const elrOffset = core.readPhysU64(pa), esr = core.readPhysU64(pa + 8n);
    expect(esr >> 26n).toBe(0x32n); // Software Step, from a lower Exception level
    expect((esr >> 24n) & 1n).toBe(0n); // ISV = 0: active-pending was entered by an exception return
    expect(elrOffset).toBe(4n); // the instruction after the stepped strb
  });
});

describe('__kvm_skip_instr()', () => {
  it('moves ELR_EL2 past the instruction and clears SPSR_EL2.BTYPE and SS, nothing else', () => {
    const core = new Core(16 << 20, { haveEL2: true, el2Hosted: true });
    core.reset(2, 0n);
    const spsr = (0xfn << 28n) | DBG_SPSR_SS | PSR_BTYPE_MASK | (1n << 22n) | 0x3c5n; // NZCV, SS, BTYPE, PAN, DAIF, EL1h
    core.setSysreg(SR.SPSR_EL2, spsr);
    core.setSysreg(SR.ELR_EL2, 0x4000_1000n);
    __kvm_skip_instr(core);
    expect(core.sysreg(SR.ELR_EL2)).toBe(0x4000_1004n);
    expect(core.sysreg(SR.SPSR_EL2)).toBe((0xfn << 28n) | (1n << 22n) | 0x3c5n);
    const ctxt = { pc: 0x8000n, pstate: spsr };
    kvm_skip_instr(ctxt);
    expect(ctxt).toEqual({ pc: 0x8004n, pstate: (0xfn << 28n) | (1n << 22n) | 0x3c5n });
  });
});
