/**
 * Lazy FP/SIMD switching as upstream's (world-switch.ts, hyp/fpsimd.ts): a guest runs with
 * CPTR_EL2.TFP set, its first FP/SIMD instruction traps to EL2 (EC 0x07, kvm_hyp_handle_fpsimd), which
 * saves the host's V0–V31/FPSR/FPCR and loads the guest's; the run's end (fpsimd_sve_sync) saves the
 * guest's and puts the host's back. The host's FP state is the same before and after any guest; a
 * guest that never uses FP/SIMD costs no switch; a protected guest's V registers stay at EL2.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';

const image = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });
const SIMD_EXPECTED = readFileSync(new URL('../../guest-images/expected/simd.txt', import.meta.url), 'latin1');

function boot(slice = 50_000) {
  const core = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice });
  const kvm = new HostKvm(el2, {});
  return { core, el2, kvm };
}

/** A recognisable host FP state: V<i> = i repeated in every byte and a marker, FPCR RMode/FZ, FPSR flags. */
function setHostFp(core: Core, salt: bigint): { v: bigint[]; fpcr: bigint; fpsr: bigint } {
  const v = Array.from({ length: 32 }, (_, i) => (0x0101_0101_0101_0101_0101_0101_0101_0101n * BigInt(i + 1)) ^ salt);
  v.forEach((x, i) => core.setV(i, x));
  const fpcr = (2n << 22n) | (1n << 24n); // RMode = RM (toward minus infinity), FZ
  const fpsr = 0x1fn | (1n << 27n); // IOC..IXC, QC
  core.setSysreg(SR.FPCR, fpcr);
  core.setSysreg(SR.FPSR, fpsr);
  return { v, fpcr, fpsr };
}
const hostFp = (core: Core) => ({ v: Array.from({ length: 32 }, (_, i) => core.getV(i)), fpcr: core.sysreg(SR.FPCR), fpsr: core.sysreg(SR.FPSR) });

describe('lazy FP/SIMD switch (CPTR_EL2.TFP, EC 0x07)', () => {
  it('a protected guest that uses NEON and FP: its first FP instruction of a run traps; the host\'s V regs, FPSR, FPCR are unchanged after it', () => {
    const { core, el2, kvm } = boot();
    const before = setHostFp(core, 0xa5n);
    const vm = kvm.createVm({ name: 'pvm', protected: true, memBytes: 16 << 20, image: image('simd') });
    expect(runAll(kvm, { maxGuestInsns: 20_000_000n, slice: 50_000 })).toBe('all-stopped');
    expect(vm.consoleText()).toBe(SIMD_EXPECTED);
    expect(hostFp(core)).toEqual(before);
    const hypVcpu = el2.pkvm.get_vm_by_handle(vm.handle)!.vcpus[0]!;
    expect(hypVcpu.fp_traps).toBeGreaterThan(0);
    expect(el2.ws.fpSwitches).toBe(hypVcpu.fp_traps);
    // The guest's last FP state is in the hyp's vCPU copy only, and none of it is on the core.
    const guestV = Array.from({ length: 32 }, (_, i) => hypVcpu.ctxt.fp_regs.vreg(i));
    expect(guestV.some((x, i) => x !== before.v[i])).toBe(true);
    expect(hostFp(core).v).toEqual(before.v);
  });

  it('the guest\'s FP state survives the host using FP between its runs (small slices, the host clobbers V0–V31 each time)', () => {
    const { core, el2, kvm } = boot(2_000);
    const vm = kvm.createVm({ name: 'pvm', protected: true, memBytes: 16 << 20, image: image('simd') });
    // The host uses FP between guest runs: before each __kvm_vcpu_run it sets new values, and after
    // the run it finds them again.
    let n = 0;
    let mine: ReturnType<typeof setHostFp> | null = null;
    let intact = 0;
    const hcall = el2.hcall.bind(el2);
    el2.hcall = (name, ...args) => {
      if (name === '__kvm_vcpu_run') mine = setHostFp(core, BigInt(++n));
      const r = hcall(name, ...args);
      if (name === '__kvm_vcpu_run' && JSON.stringify(hostFp(core), (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) === JSON.stringify(mine, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))) intact++;
      return r;
    };
    expect(runAll(kvm, { maxGuestInsns: 20_000_000n, slice: 2_000 })).toBe('all-stopped');
    expect(vm.consoleText()).toBe(SIMD_EXPECTED);
    expect(n).toBeGreaterThan(100);
    expect(intact).toBe(n);
  });

  it('a guest that never touches FP/SIMD costs no save or restore', () => {
    const { core, el2, kvm } = boot();
    const before = setHostFp(core, 0x3cn);
    const vm = kvm.createVm({ name: 'pvm', protected: true, memBytes: 16 << 20, image: image('pguest-hello'), args: [1n] });
    const np = kvm.createVm({ name: 'npvm', protected: false, memBytes: 16 << 20, image: image('hello') });
    expect(runAll(kvm, { maxGuestInsns: 5_000_000n, slice: 50_000 })).toBe('all-stopped');
    expect(vm.state).toBe('off');
    expect(np.state).toBe('off');
    expect(el2.ws.fpSwitches).toBe(0);
    expect(el2.pkvm.get_vm_by_handle(vm.handle)!.vcpus[0]!.fp_traps).toBe(0);
    expect(hostFp(core)).toEqual(before);
    expect(core.sysreg(SR.CPTR_EL2) & (1n << 10n)).toBe(0n); // the host runs untrapped
  });
});
