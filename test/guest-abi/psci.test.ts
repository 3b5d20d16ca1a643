// PSCI CPU_ON of a secondary vCPU. Protected VM: EL2 checks the call, resets the target itself
// (entry point, context id in x0; the host cannot write its registers) and tells the host, which
// makes it runnable; AFFINITY_INFO and the error cases are answered at EL2. Non-protected VM: the
// host KVM does it all. A protected vCPU that is off never runs, whatever the host asks.
import { describe, expect, it } from 'vitest';
import { boot, buildGuest, createVm, result, runToOff, x0s, S64, type Op } from './harness';
import { HostVcpuView } from '../../hyp/host-abi';
import { ARM_EXCEPTION_IRQ, PSCI_0_2_AFFINITY_LEVEL_OFF, PSCI_0_2_AFFINITY_LEVEL_ON } from '../../hyp/hyp-vm';

const CPU_ON = 0xc400_0003n, CPU_ON_32 = 0x8400_0003n, AFFINITY_INFO = 0xc400_0004n, PSCI_VERSION = 0x8400_0000n;
const PSCI_FEATURES = 0x8400_000an, MIGRATE_INFO_TYPE = 0x8400_0006n;
const SUCCESS = 0n, INVALID_PARAMS = -2n, ALREADY_ON = -4n, ON_PENDING = -5n, INTERNAL_FAILURE = -6n, NOT_SUPPORTED = -1n;
const CTX = 0x1234_5678_9abc_def0n;

/** A two-vCPU guest whose vCPU 0 ops need vCPU 1's entry point (built until the layout settles). */
function withSecondary(primary: (entry: bigint) => Op[], secondary: Op[]) {
  let entry = 0n;
  for (;;) {
    const image = buildGuest(primary(entry), secondary);
    if (image.secondaryEntry === entry) return image;
    entry = image.secondaryEntry;
  }
}

/** vCPU 0 starts vCPU 1 and probes the PSCI errors; vCPU 1 records its entry registers and a call. */
function smpGuest() {
  const ops = (entry: bigint): Op[] => [
    /* 0 */ { hvc: [CPU_ON, 7n, entry, CTX] }, // no such MPIDR
    /* 1 */ { hvc: [CPU_ON, 0x100_0001n, entry, CTX] }, // bits outside MPIDR_HWID_BITMASK
    /* 2 */ { hvc: [CPU_ON, 0n, entry, CTX] }, // itself: already on
    /* 3 */ { hvc: [AFFINITY_INFO, 1n, 0n] }, // off
    /* 4 */ { hvc: [CPU_ON, 1n, entry, CTX] },
    /* 5 */ { hvc: [CPU_ON, 1n, entry, CTX] }, // vCPU 1 has not run yet
    /* 6 */ { hvc: [AFFINITY_INFO, 1n, 0n] }, // on pending
    /* 7 */ { hvc: [PSCI_VERSION] },
    /* 8 */ { hvc: [PSCI_FEATURES, CPU_ON] },
    /* 9 */ { hvc: [PSCI_FEATURES, 0x8400_0005n] }, // MIGRATE
    /* 10 */ { hvc: [MIGRATE_INFO_TYPE] },
    /* 11 */ { wfi: true }, // let vCPU 1 run
    /* 12 */ { hvc: [AFFINITY_INFO, 1n, 0n] },
  ];
  return withSecondary(ops, [{ hvc: [AFFINITY_INFO, 0n, 0n] }]);
}

describe('PSCI CPU_ON', () => {
  it('protected VM: EL2 resets the target (entry, x0 = context id, other registers 0), the host schedules it', () => {
    const t = boot();
    const image = smpGuest();
    const vm = createVm(t, { vcpus: 2, image });
    runToOff(t, 50_000_000n);
    const x = x0s(t, vm, 13);
    expect(x.slice(0, 11)).toEqual([INVALID_PARAMS, INVALID_PARAMS, ALREADY_ON, 1n, SUCCESS, ON_PENDING, 2n, 0x10001n, SUCCESS, NOT_SUPPORTED, NOT_SUPPORTED]);
    // By the end vCPU 1 has run and turned itself off.
    expect(x[12]).toBe(1n);
    // vCPU 1 came up at the entry point with x0 = the context id and x1..x3 = 0 ...
    expect(result(t, vm, 0, true)).toEqual([CTX, 0n, 0n, 0n]);
    // ... and saw vCPU 0 on.
    expect(S64(result(t, vm, 1, true)[0]!)).toBe(0n);
    // The host learnt the target and was told of the CPU_OFF; it never saw the entry point or context id.
    expect(t.events.map((e) => e.ev)).toEqual([{ kind: 'cpu_on', target: 1 }, { kind: 'cpu_off' }]);
    const hvm = t.el2.pkvm.get_vm_by_handle(vm.handle)!;
    expect(hvm.vcpus.map((v) => v!.power_state)).toEqual([PSCI_0_2_AFFINITY_LEVEL_ON, PSCI_0_2_AFFINITY_LEVEL_OFF]);
    expect(vm.vcpus.map((v) => v.state)).toEqual(['runnable', 'off']);
  });

  it('protected VM: the SMC32 form takes 32-bit arguments', () => {
    const t = boot();
    const image = withSecondary((entry) => [{ hvc: [CPU_ON_32, 0xffff_ffff_0000_0001n, entry | (0xdeadn << 32n), 0xaaaa_0000_0000_0042n] }, { wfi: true }], []);
    const vm = createVm(t, { vcpus: 2, image });
    runToOff(t);
    expect(x0s(t, vm, 1)).toEqual([SUCCESS]);
    expect(result(t, vm, 0, true)[0]).toBe(0x42n);
  });

  it('protected VM: a host that fails the CPU_ON leaves the target off, and the caller gets INTERNAL_FAILURE', () => {
    const t = boot();
    t.kvm.opts.onGuestHcall = (vm, vcpu, ev) => {
      if (ev.kind !== 'cpu_on') return;
      vm.vcpus[ev.target]!.state = 'off'; // the host changes its mind: x0 = NOT_SUPPORTED
      new HostVcpuView(t.kvm.mem, vcpu.hostVcpuPa).setReg(0, BigInt.asUintN(64, -1n));
    };
    const vm = createVm(t, {
      vcpus: 2,
      image: withSecondary((entry) => [{ hvc: [CPU_ON, 1n, entry, CTX] }, { hvc: [AFFINITY_INFO, 1n, 0n] }], []),
    });
    runToOff(t);
    expect(x0s(t, vm, 2)).toEqual([INTERNAL_FAILURE, 1n]);
    expect(t.el2.pkvm.get_vm_by_handle(vm.handle)!.vcpus[1]!.power_state).toBe(PSCI_0_2_AFFINITY_LEVEL_OFF);
  });

  it('protected VM: an off vCPU does not run even if the host runs it', () => {
    const t = boot();
    const vm = createVm(t, { vcpus: 2, ops: [] });
    const insns = t.el2.ws.guestInsns;
    t.kvm.hcall('__pkvm_vcpu_load', vm.handle, 1, 0);
    expect(t.kvm.tryHcall('__kvm_vcpu_run', vm.vcpus[1]!.hostVcpuPa)).toBe(ARM_EXCEPTION_IRQ);
    t.kvm.hcall('__pkvm_vcpu_put');
    expect(t.el2.ws.guestInsns).toBe(insns);
    runToOff(t);
  });

  it('non-protected VM: the host KVM starts the secondary (x0 = context id) and tracks its power state', () => {
    const t = boot();
    const image = smpGuest();
    const vm = createVm(t, { protected: false, vcpus: 2, image });
    runToOff(t, 50_000_000n);
    const x = x0s(t, vm, 13);
    // QEMU-like PSCI in the host: PSCI_FEATURES and MIGRATE_INFO_TYPE as QEMU answers them.
    expect(x.slice(0, 8)).toEqual([INVALID_PARAMS, INVALID_PARAMS, ALREADY_ON, 1n, SUCCESS, ALREADY_ON, 0n, 0x10001n]);
    expect(x[12]).toBe(1n);
    expect(result(t, vm, 0, true)).toEqual([CTX, 0n, 0n, 0n]);
    expect(vm.vcpus.map((v) => v.state)).toEqual(['runnable', 'off']);
  });
});
