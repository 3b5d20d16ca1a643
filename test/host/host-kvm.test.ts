// The host's KVM driving pKVM end to end on the core: protected and non-protected guests boot from
// preloaded images, fault their memory in (donate / share), print through the VMM console, power
// off, and are torn down leaving the host's page counts and the ownership invariants as before.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { Machine } from '../../machine/machine';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, HostAccessError, runAll } from '../../host-kernel-model/index';
import { PKVM_NOPAGE } from '../../hyp/page-state';

const img = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });

function boot() {
  const core = new Core(256 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 200_000 });
  return { core, el2, kvm: new HostKvm(el2) };
}

/** Standalone run of an image with x1/x2 set (the same checksum must come out under pKVM). */
function standalone(name: string, x1: bigint, x2: bigint): string {
  const m = new Machine();
  m.load(img(name).bytes, name);
  m.core.setX(1, x1);
  m.core.setX(2, x2);
  m.run(500_000_000n);
  return m.uartText();
}

describe('host KVM on hosted pKVM', () => {
  it('runs two protected guests and one non-protected guest to power-off, then tears them down without leaks', () => {
    const { el2, kvm } = boot();
    const free0 = kvm.alloc.freePages;
    kvm.createVm({ name: 'pvm1', protected: true, memBytes: 16 << 20, image: img('pguest-hello'), args: [1n] });
    kvm.createVm({ name: 'pvm2', protected: true, memBytes: 16 << 20, image: img('toucher'), args: [512n, 7n] });
    kvm.createVm({ name: 'npvm', protected: false, memBytes: 16 << 20, image: img('hello') });
    expect(runAll(kvm, { slice: 100_000, maxGuestInsns: 200_000_000n })).toBe('all-stopped');
    const [p1, p2, np] = kvm.vms;
    expect(p1.state).toBe('off');
    expect(p1.consoleText()).toBe('pguest: hello from a protected guest\npguest: vm id 1\n');
    expect(p2.consoleText()).toBe(standalone('toucher', 512n, 7n));
    expect(p2.faults).toBeGreaterThanOrEqual(512);
    expect(np.consoleText()).toBe('Hello from pkvm-emu guest at EL1\n');
    expect(el2.pkvm.checkInvariants()).toEqual([]);
    for (const vm of [...kvm.vms]) kvm.destroyVm(vm);
    expect(el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    expect(kvm.alloc.freePages).toBe(free0);
  });

  it('a donated page is refused to the host while the guest owns it, and comes back zeroed after teardown', () => {
    const { el2, kvm } = boot();
    const vm = kvm.createVm({ name: 'p', protected: true, memBytes: 4 << 20, image: img('toucher'), args: [16n, 3n] });
    runAll(kvm, { slice: 100_000, maxGuestInsns: 50_000_000n });
    const gfn = [...vm.given].at(-1)!;
    const pa = vm.slot.pages.get(gfn)!;
    expect(el2.pkvm.vmemmap.get_host_state(el2.pkvm.vmemmap.idx(pa))).toBe(PKVM_NOPAGE);
    expect(() => kvm.mem.readBytes(pa, 8)).toThrow(HostAccessError);
    expect(() => kvm.mem.writeBytes(pa, new Uint8Array(8))).toThrow(HostAccessError);
    kvm.destroyVm(vm);
    expect(el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    // Back with the host, zeroed: the guest's data never reaches the host.
    const page = kvm.mem.readBytes(pa, 4096);
    expect(page.every((b) => b === 0)).toBe(true);
  });
});
