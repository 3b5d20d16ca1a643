/**
 * The two guest hypercall ABIs of a protected guest (HostedEl2Options.guestHvcAbi):
 * - 'upstream' (the default; kvm_handle_pvm_hvc64() of the v7.1 protected-guest series): EL2 answers FEATURES
 *   (FEATURES, HYP_MEMINFO, MEM_SHARE, MEM_UNSHARE), HYP_MEMINFO, MEM_SHARE and MEM_UNSHARE and returns
 *   straight to the guest; the host is not told of a share. The MMIO guard and the rest go to the host.
 * - 'android' (a board option, Android's pkvm.c): EL2 also answers the MMIO guard, and a share is
 *   reported to the host by an exit.
 */
import { describe, expect, it } from 'vitest';
import { RESULT_IPA, boot, createVm, result, runToOff, x0s } from './harness';
import { HostVcpuView, HOST_REQ_SET_SMCCC_RET, HOST_VCPU_REQ } from '../../hyp/host-abi';

const FEATURES = 0x8600_0000n, MEMINFO = 0xc600_0002n, SHARE = 0xc600_0003n, UNSHARE = 0xc600_0004n, GUARD_INFO = 0xc600_0005n;

function run(abi: 'android' | 'upstream') {
  const t = boot({ guestHvcAbi: abi });
  const vm = createVm(t, { ops: [{ hvc: [FEATURES] }, { hvc: [MEMINFO] }, { hvc: [GUARD_INFO] }, { hvc: [SHARE, RESULT_IPA] }, { hvc: [UNSHARE, RESULT_IPA] }] });
  runToOff(t);
  return { r: x0s(t, vm, 5), events: t.events.map((e) => e.ev.kind) };
}

describe('guest hypercall ABI board option', () => {
  it('upstream: FEATURES, MEMINFO, share and unshare at EL2 with no exit; the MMIO guard is the host\'s (NOT_SUPPORTED)', () => {
    const { r, events } = run('upstream');
    expect(r).toEqual([0b11101n, 4096n, -1n, 0n, 0n]);
    expect(events).toEqual([]);
  });

  it('android (board option): the MMIO guard at EL2, FEATURES lists it and RELINQUISH; share and unshare reported to the host', () => {
    const { r, events } = run('android');
    expect(r[0]! & 0b11101n).toBe(0b11101n);
    expect(r[0]! & (1n << 5n)).toBe(1n << 5n); /* MMIO_GUARD_INFO */
    expect(r[0]! & (1n << 9n)).toBe(1n << 9n); /* MEM_RELINQUISH */
    expect(r.slice(1)).toEqual([4096n, 4096n, 0n, 0n]);
    expect(events).toEqual(['share', 'unshare']);
  });
});

describe('SMCCC discovery of a protected guest under upstream\'s ABI (forwarded to the host KVM)', () => {
  const VERSION = 0x8000_0000n, ARCH_FEATURES = 0x8000_0001n, UID = 0x8600_ff01n, RELINQUISH = 0xc600_0009n;
  /* KVM's vendor-hyp UID 28b46fb6-2ec5-11e9-a9ca-4b564d003a74 in w0..w3 (include/linux/arm-smccc.h,
   * ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0..3). */
  const KVM_UID = [0xb66fb428n, 0xe911c52en, 0x564bcaa9n, 0x743a004dn];

  it('upstream: the UID call exits to the host, whose kvm_smccc_call_handler() answers x0..x3; all four words reach the guest', () => {
    /* Upstream's kvm_handle_pvm_hvc64() punts SMCCC discovery to the host; the host's
     * kvm_smccc_call_handler() sets x0..x3 (smccc_set_retval()) and the next run's flush gives the
     * guest the host's x0..x3. Garbage in x1..x3 before the call must be overwritten. */
    const t = boot({ guestHvcAbi: 'upstream' });
    const vm = createVm(t, {
      ops: [
        { hvc: [UID, 0x1111n, 0x2222n, 0x3333n] },
        { hvc: [VERSION, 0x1111n, 0x2222n, 0x3333n] },
        { hvc: [ARCH_FEATURES, VERSION] },
        { hvc: [RELINQUISH, RESULT_IPA] }, /* not an upstream call: the host's NOT_SUPPORTED */
      ],
    });
    runToOff(t);
    expect(result(t, vm, 0)).toEqual(KVM_UID);
    expect(result(t, vm, 1)).toEqual([0x10001n, 0n, 0n, 0n]); /* SMCCC 1.1; val[1..3] = 0 */
    expect(result(t, vm, 2)[0]).toBe(0n);
    expect(result(t, vm, 3)).toEqual([(1n << 64n) - 1n, 0n, 0n, 0n]);
    expect(t.events).toEqual([]);
  });

  it('a hostile host cannot set x1..x3 of a protected vCPU after an exit that is not a forwarded HVC (an MMIO read)', () => {
    /* HOST_REQ_SET_SMCCC_RET is honoured only after an HVC EL2 forwarded unhandled: after the MMIO
     * read's exit the host may set the read's data register (x0) alone. */
    const t = boot({ guestHvcAbi: 'upstream' });
    t.kvm.mmioFastPath = false; // (the MMIO read must exit: the core would serve this UARTFR read itself)
    const vm = createVm(t, { ops: [{ read: 0x0900_0018n, size: 4 }, { hvc: [UID] }] });
    const run = t.el2.hcall.bind(t.el2);
    let tried = 0;
    t.el2.hcall = (name, ...args) => {
      const v = t.el2.pkvm.loaded_vcpu(0);
      if (name === '__kvm_vcpu_run' && v && ((v.fault.esr_el2 >> 26n) & 0x3fn) === 0x24n) {
        const hv = new HostVcpuView(t.el2.mem, v.host_vcpu);
        for (let i = 1; i < 4; i++) hv.setReg(i, 0xbad0n + BigInt(i));
        hv.setU64(HOST_VCPU_REQ, hv.u64(HOST_VCPU_REQ) | HOST_REQ_SET_SMCCC_RET);
        tried++;
      }
      return run(name, ...args);
    };
    runToOff(t);
    expect(tried).toBeGreaterThan(0);
    expect(result(t, vm, 0).slice(1)).toEqual([0n, 0n, 0n]);
    expect(result(t, vm, 1)).toEqual(KVM_UID);
  });

  it('android (board option): EL2 answers the UID itself, the same four words', () => {
    const t = boot({ guestHvcAbi: 'android' });
    const vm = createVm(t, { ops: [{ hvc: [UID, 0x1111n, 0x2222n, 0x3333n] }] });
    runToOff(t);
    expect(result(t, vm, 0)).toEqual(KVM_UID);
  });

});
