// Isolation suite (issue 6): each attack must fail the way upstream fails, with nothing changed in
// memory or state. "Nothing changed" is checked by snapshotting all of guest RAM (the hyp's metadata
// and page tables live there too) and the hyp's vmemmap/VM table before the attack and comparing.
import { describe, expect, it } from 'vitest';
import { boot, createVm, guestU64, runToOff, RESULT_IPA, x0s, type Booted } from '../guest-abi/harness';
import { HostAccessError } from '../../host-kernel-model/index';
import { EINVAL, ENOENT, EPERM } from '../../hyp/page-state';
import { KVM_HOST_SMCCC_ID } from '../../hyp/smccc';

const MEM_SHARE = KVM_HOST_SMCCC_ID(3), MEM_UNSHARE = KVM_HOST_SMCCC_ID(4);
const INVALID_PARAMETER = -3n;
const SECRET = 0x5ec2_e7c0_ffee_d00dn;

interface Snap { ram: Uint8Array; vmemmap: Uint8Array; vms: string; loaded: string }
function snap(t: Booted): Snap {
  const p = t.el2.pkvm;
  return {
    ram: t.core.ram.slice(),
    vmemmap: (p.vmemmap as unknown as { raw: Uint8Array }).raw.slice(),
    vms: JSON.stringify(p.vms().map((v) => [v.handle, v.is_dying, v.vcpus.map((c) => c?.loaded_cpu ?? null)])),
    loaded: String(p.loaded_vcpu(0)?.vm.handle ?? 'none'),
  };
}
function expectUnchanged(t: Booted, before: Snap): void {
  const after = snap(t);
  expect(after.vms).toBe(before.vms);
  expect(after.loaded).toBe(before.loaded);
  expect(Buffer.compare(Buffer.from(after.vmemmap), Buffer.from(before.vmemmap))).toBe(0);
  const diff = Buffer.compare(Buffer.from(after.ram), Buffer.from(before.ram));
  if (diff !== 0) {
    let i = 0;
    while (after.ram[i] === before.ram[i]) i++;
    throw new Error(`memory changed at PA 0x${(0x4000_0000 + i).toString(16)}`);
  }
  expect(t.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
}
/** Runs an attack: expects its result and that nothing changed. */
function attack<T>(t: Booted, f: () => T): T {
  const before = snap(t);
  const r = f();
  expectUnchanged(t, before);
  return r;
}
const hcall = (t: Booted, name: Parameters<Booted['el2']['hcall']>[0], ...args: (bigint | number)[]) => t.el2.hcall(name, ...args).ret;

/** A protected guest that has written SECRET into the result page and powered off (pages still donated). */
function withProtectedGuest(t: Booted) {
  const vm = createVm(t, { name: 'victim', ops: [{ write: RESULT_IPA + 0x100n, value: SECRET }] });
  runToOff(t);
  const gfn = RESULT_IPA >> 12n;
  const pa = vm.slot.pages.get(gfn)!;
  expect(guestU64(t, vm, RESULT_IPA + 0x100n)).toBe(SECRET);
  return { vm, gfn, pa };
}

describe('isolation: the host against a protected guest', () => {
  it('host reads and writes of a donated page are refused (-EPERM) and change nothing', () => {
    const t = boot();
    const { pa } = withProtectedGuest(t);
    for (const op of [() => t.kvm.mem.readBytes(pa, 8), () => t.kvm.mem.writeBytes(pa, new Uint8Array(8).fill(0x41))]) {
      attack(t, () => {
        try { op(); throw new Error('access was served'); } catch (e) {
          expect(e).toBeInstanceOf(HostAccessError);
          expect((e as HostAccessError).errno).toBe(-EPERM);
        }
      });
    }
  });

  it('the host donates a page it does not own (already donated, or hyp-owned): -EPERM', () => {
    const t = boot();
    const { vm, pa } = withProtectedGuest(t);
    const other = createVm(t, { name: 'other', ops: [] });
    t.kvm.hcall('__pkvm_vcpu_load', other.handle, 0, 0);
    t.kvm.topupMemcache(other.vcpus[0]);
    // As upstream, the handler first moves the host's memcache pages to EL2 (refill), whatever the
    // donation's outcome: do that once, outside the attacks.
    expect(hcall(t, '__pkvm_host_donate_guest', pa >> 12n, 0x40200n)).toBe(-EPERM);
    expect(attack(t, () => hcall(t, '__pkvm_host_donate_guest', pa >> 12n, 0x40200n))).toBe(-EPERM);
    expect(attack(t, () => hcall(t, '__pkvm_host_donate_guest', t.el2.carveout.base >> 12n, 0x40201n))).toBe(-EPERM);
    expect(attack(t, () => hcall(t, '__pkvm_host_donate_guest', (vm.vmPa >> 12n), 0x40202n))).toBe(-EPERM); // the hyp's VM struct
    t.kvm.hcall('__pkvm_vcpu_put');
  });

  it('the host shares a page twice, and unshares a page it only borrows: -EPERM', () => {
    const t = boot();
    const page = t.kvm.allocPage();
    expect(hcall(t, '__pkvm_host_share_hyp', page >> 12n)).toBe(0);
    expect(attack(t, () => hcall(t, '__pkvm_host_share_hyp', page >> 12n))).toBe(-EPERM);
    // A page a guest shared with the host (host SHARED_BORROWED) is not the host's to unshare.
    const vm = createVm(t, { name: 'sharer', ops: [{ write: RESULT_IPA + 0x1000n, value: SECRET }, { hvc: [MEM_SHARE, RESULT_IPA + 0x1000n] }] });
    runToOff(t);
    expect(x0s(t, vm, 2)[1]).toBe(0n);
    const borrowed = vm.slot.pages.get((RESULT_IPA + 0x1000n) >> 12n)!;
    expect(t.kvm.mem.readU64(borrowed)).toBe(SECRET); // shared: the host may read it
    expect(attack(t, () => hcall(t, '__pkvm_host_unshare_hyp', borrowed >> 12n))).toBe(-EPERM);
  });

  it('the guest shares a page twice, or one outside its memory: INVALID_PARAMETER', () => {
    const t = boot();
    const ipa = RESULT_IPA + 0x2000n;
    const vm = createVm(t, { name: 'g', ops: [{ write: ipa, value: 1n }, { hvc: [MEM_SHARE, ipa] }, { hvc: [MEM_SHARE, ipa] }, { hvc: [MEM_SHARE, 0x1_0000_0000n] }, { hvc: [MEM_UNSHARE, ipa] }, { hvc: [MEM_UNSHARE, ipa] }] });
    runToOff(t);
    expect(x0s(t, vm, 6).slice(1)).toEqual([0n, INVALID_PARAMETER, INVALID_PARAMETER, 0n, INVALID_PARAMETER]);
  });

  it('hyp-owned pages (the carve-out, VM and vCPU structures) cannot be touched by the host', () => {
    const t = boot();
    const { vm } = withProtectedGuest(t);
    for (const pa of [t.el2.carveout.base, t.el2.carveout.base + t.el2.carveout.size - 4096n, vm.vmPa, vm.vcpus[0].hypVcpuPa]) {
      attack(t, () => expect(() => t.kvm.mem.readBytes(pa, 8)).toThrow(HostAccessError));
      expect(attack(t, () => hcall(t, '__pkvm_host_share_hyp', pa >> 12n))).toBe(-EPERM);
    }
  });

  it('teardown while a vCPU is loaded: -EINVAL (no WARN); a second VM\'s handle on the first\'s pages: refused', () => {
    const t = boot();
    const { vm, gfn } = withProtectedGuest(t);
    const other = createVm(t, { name: 'other', ops: [] });
    t.kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
    expect(attack(t, () => hcall(t, '__pkvm_start_teardown_vm', vm.handle))).toBe(-EINVAL);
    t.kvm.hcall('__pkvm_vcpu_put');
    // The other VM is not dying: reclaiming through its handle is -EINVAL; once dying, the gfn is not its.
    expect(attack(t, () => hcall(t, '__pkvm_reclaim_dying_guest_page', other.handle, gfn))).toBe(-EINVAL);
    expect(hcall(t, '__pkvm_start_teardown_vm', other.handle)).toBe(0);
    const r = attack(t, () => hcall(t, '__pkvm_reclaim_dying_guest_page', other.handle, gfn));
    expect([-EPERM, -ENOENT, -EINVAL]).toContain(r);
    expect(attack(t, () => hcall(t, '__pkvm_start_teardown_vm', 0x1fff))).toBe(-EINVAL);
  });

  it('a page reclaimed while its VM is alive (not dying): -EINVAL', () => {
    const t = boot();
    const { vm, gfn } = withProtectedGuest(t);
    expect(attack(t, () => hcall(t, '__pkvm_reclaim_dying_guest_page', vm.handle, gfn))).toBe(-EINVAL);
    expect(attack(t, () => hcall(t, '__pkvm_finalize_teardown_vm', vm.handle))).toBe(-EINVAL);
  });

  it('MMIO outside the guard never reaches the VMM: the guest gets a synchronous external abort', () => {
    const t = boot();
    const vm = createVm(t, { name: 'g', ops: [{ write: 0x0a00_0000n, value: 0x41n }] });
    runToOff(t);
    expect(vm.mmioExits).toBe(0);
    expect(t.el2.trace.events.some((e) => e.kind === 'guard')).toBe(true);
  });

  it('secrets planted in guest pages never appear in host-readable memory after teardown', () => {
    const t = boot();
    const ops = Array.from({ length: 32 }, (_, i) => ({ write: RESULT_IPA + 0x1000n * BigInt(i + 1) + 0x88n, value: SECRET }));
    const vm = createVm(t, { name: 'secretive', memBytes: 4 << 20, ops });
    runToOff(t);
    const pages = [...vm.slot.pages.values()];
    t.kvm.destroyVm(vm);
    expect(t.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    // Everything the host can read (all RAM outside the carve-out), through its stage-2.
    const lo = t.core.ramBase, hi = t.el2.carveout.base;
    const needle = Buffer.alloc(8);
    needle.writeBigUInt64LE(SECRET);
    let found = 0;
    for (let pa = lo; pa < hi; pa += 4096n) {
      let bytes: Uint8Array;
      try { bytes = t.kvm.mem.readBytes(pa, 4096); } catch { continue; }
      if (Buffer.from(bytes).indexOf(needle) >= 0) found++;
    }
    expect(found).toBe(0);
    for (const pa of pages) expect(t.kvm.mem.readBytes(pa, 4096).every((b) => b === 0)).toBe(true);
  });

  it('after MEM_UNSHARE the host loses the page at once and the guest keeps its data (no stale translation)', () => {
    const t = boot();
    const ipa = RESULT_IPA + 0x3000n;
    const vm = createVm(t, { name: 'g', ops: [{ write: ipa, value: SECRET }, { hvc: [MEM_SHARE, ipa] }, { hvc: [MEM_UNSHARE, ipa] }, { read: ipa }] });
    runToOff(t);
    expect(x0s(t, vm, 4)).toEqual([0n, 0n, 0n, SECRET]);
    const pa = vm.slot.pages.get(ipa >> 12n)!;
    expect(() => t.kvm.mem.readBytes(pa, 8)).toThrow(HostAccessError);
  });
});
