// The MMIO guard: an access outside memory and outside the guarded granules of an enrolled guest
// (every protected guest; a non-protected one once it enrols) never reaches the host: EL2 injects a
// synchronous external abort the guest's own EL1 vector receives, and traces the failed check.
// Inside a guarded granule the access is an MMIO exit the VMM emulates. When the exit does reach the
// host unguarded (EL2 set to forward data aborts), the host sees no valid syndrome and asks for the
// abort itself (HOST_REQ_INJECT_SEA), which EL2 applies only after an abort exit.
import { describe, expect, it } from 'vitest';
import { boot, createVm, runToOff, result, seaRecord, x0s, RESULT_IPA, type Booted } from './harness';
import { pkvm_handle_guest_trap } from '../../hyp/guest-hvc';
import { HostVcpuView, HOST_REQ_INJECT_SEA, HOST_VCPU_REQ } from '../../hyp/host-abi';
import type { HostedEl2 } from '../../hyp/hosted-el2';

const ENROLL = 0xc600_0006n, MAP = 0xc600_0007n, UNMAP = 0xc600_0008n, SHARE = 0xc600_0003n;
const DEV = 0x0a00_0000n; // never memory (virt's virtio-mmio window)
const ESR_SEA_READ = 0x9600_0010n; // EC = data abort, same EL (0x25); IL; DFSC = synchronous external abort
const ESR_SEA_WRITE = 0x9600_0050n; // ... WnR
const CODE_BASE = 0x4008_0000n;

const guardEvents = (t: Booted) => t.el2.trace.events.filter((e) => e.kind === 'guard' && /outside memory and the MMIO guard/.test(e.text));
const hostMmio = (t: Booted) => t.el2.trace.events.filter((e) => e.kind === 'mmio');

describe('MMIO guard', () => {
  it('protected guest: an unguarded access outside memory → SEA in the guest, a guard trace event, nothing to the VMM', () => {
    const t = boot();
    const vm = createVm(t, { ops: [{ read: DEV, size: 4 }] });
    runToOff(t);
    const sea = seaRecord(t, vm);
    expect(sea.count).toBe(1n);
    expect(sea.esr).toBe(ESR_SEA_READ);
    expect(sea.far).toBe(DEV);
    expect(sea.vector).toBe(0x200n); // current EL, SPx, synchronous
    expect(sea.elr >= CODE_BASE && sea.elr < CODE_BASE + 0x2000n).toBe(true);
    expect(result(t, vm, 0)[0]).toBe(0xdeadn); // the load did not complete
    expect(guardEvents(t)).toHaveLength(1);
    expect(guardEvents(t)[0]!.text).toMatch(/read of IPA 0xa000000/);
    // Nothing reached the host or the VMM: no MMIO exit, no console output, no host trace of it.
    expect(vm.mmioExits).toBe(0);
    expect(vm.consoleText()).toBe('');
    expect(hostMmio(t)).toEqual([]);
  });

  it('a write gets WnR in ESR_EL1; a guarded granule is an MMIO exit; after UNMAP it aborts again', () => {
    const t = boot();
    const vm = createVm(t, {
      ops: [
        /* 0 */ { write: DEV + 8n, value: 5n, size: 4 },
        /* 1 */ { hvc: [MAP, DEV] },
        /* 2 */ { read: DEV + 4n, size: 4 }, // guarded: the VMM answers (0: no device there)
        /* 3 */ { write: DEV + 4n, value: 9n, size: 4 },
        /* 4 */ { hvc: [UNMAP, DEV] },
        /* 5 */ { read: DEV + 4n, size: 4 },
        /* 6 */ { read: DEV + 0x1000n, size: 4 }, // the next granule was never guarded
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 7)).toEqual([0n, 0n, 0n, 0n, 0n, 0xdeadn, 0xdeadn]);
    const sea = seaRecord(t, vm);
    expect(sea.count).toBe(3n);
    expect(sea.esr).toBe(ESR_SEA_READ);
    expect(sea.far).toBe(DEV + 0x1000n);
    expect(guardEvents(t).map((e) => /write to/.test(e.text))).toEqual([true, false, false]);
    expect(vm.mmioExits).toBe(2); // only the two guarded accesses
  });

  it('a guarded write shows the host the data register only', () => {
    const t = boot();
    t.kvm.mmioFastPath = false; // (what the exit shows the host: the core would keep this console write to itself)
    const seen: bigint[][] = [];
    t.kvm.opts.onConsole = (vm) => {
      const hv = new HostVcpuView(t.kvm.mem, vm.vcpus[0]!.hostVcpuPa);
      seen.push(Array.from({ length: 31 }, (_, i) => hv.reg(i)));
    };
    const vm = createVm(t, { ops: [{ hvc: [MAP, 0x0900_0000n] }, { write: 0x0900_0000n, value: 0x41n, size: 4 }] });
    runToOff(t);
    expect(vm.consoleText()).toBe('A');
    expect(seen).toHaveLength(1);
    // The generated guest stores x10 to [x9]: x10 is all the host sees (x9, the address, stays hidden).
    expect(seen[0]!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([10]);
    expect(seen[0]![10]).toBe(0x41n);
  });

  it('the write abort syndrome', () => {
    const t = boot();
    const vm = createVm(t, { ops: [{ write: DEV, value: 1n, size: 4 }] });
    runToOff(t);
    expect(seaRecord(t, vm).esr).toBe(ESR_SEA_WRITE);
  });

  it('guest memory is never subject to the guard', () => {
    const t = boot();
    const vm = createVm(t, { ops: [{ write: RESULT_IPA + 0x800n, value: 3n }, { read: RESULT_IPA + 0x800n }] });
    runToOff(t);
    expect(result(t, vm, 1)[0]).toBe(3n);
    expect(seaRecord(t, vm).count).toBe(0n);
  });

  it('non-protected guest: MMIO goes to the VMM until it enrols; then unguarded accesses abort at EL2', () => {
    const t = boot();
    const vm = createVm(t, {
      protected: false,
      ops: [
        /* 0 */ { read: DEV, size: 4 },
        /* 1 */ { hvc: [ENROLL] },
        /* 2 */ { read: DEV, size: 4 },
        /* 3 */ { hvc: [MAP, DEV] },
        /* 4 */ { read: DEV, size: 4 },
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 5)).toEqual([0n, 0n, 0xdeadn, 0n, 0n]);
    expect(seaRecord(t, vm).count).toBe(1n);
    expect(vm.mmioExits).toBe(2);
    expect(guardEvents(t)).toHaveLength(1);
  });

  describe('when the abort reaches the host (EL2 forwarding data aborts)', () => {
    /** EL2's default handler, except that guest data aborts always exit to the host. */
    function forwardingBoot(): Booted {
      let el2: HostedEl2 | undefined;
      const t = boot({ handleGuestTrap: (v, esr) => (((esr >> 26n) & 0x3fn) === 0x24n ? 'exit' : pkvm_handle_guest_trap(el2!, v, esr)) });
      el2 = t.el2;
      return t;
    }

    it('protected, unguarded: ISV cleared for the host, which asks for the abort; EL2 injects it', () => {
      const t = forwardingBoot();
      const vm = createVm(t, { ops: [{ read: DEV, size: 4 }, { hvc: [MAP, DEV] }, { read: DEV, size: 4 }] });
      runToOff(t);
      expect(x0s(t, vm, 3)).toEqual([0xdeadn, 0n, 0n]);
      const sea = seaRecord(t, vm);
      expect(sea.count).toBe(1n);
      expect(sea.esr).toBe(ESR_SEA_READ);
      expect(sea.far).toBe(DEV);
      expect(hostMmio(t).map((e) => e.text)).toEqual([`${vm.name}: access to IPA 0xa000000 cannot be emulated (ISV = 0): abort requested`]);
      expect(t.el2.trace.events.filter((e) => e.kind === 'guard' && /injected for the host/.test(e.text))).toHaveLength(1);
      expect(vm.mmioExits).toBe(1); // the guarded read only
    });

    it('the host cannot inject an abort after an exit that does not allow it (an HVC)', () => {
      const t = boot();
      t.kvm.opts.onGuestHcall = (_vm, vcpu, ev) => {
        if (ev.kind !== 'share') return;
        const hv = new HostVcpuView(t.kvm.mem, vcpu.hostVcpuPa);
        hv.setU64(HOST_VCPU_REQ, HOST_REQ_INJECT_SEA);
      };
      const vm = createVm(t, { ops: [{ hvc: [SHARE, RESULT_IPA + 0x1000n] }, { read: RESULT_IPA + 0x1000n }] });
      runToOff(t);
      expect(x0s(t, vm, 2)).toEqual([0n, 0n]);
      expect(seaRecord(t, vm).count).toBe(0n);
    });
  });
});
