// MEM_SHARE / MEM_UNSHARE seen from the host: the host is told of each (an exit it relays to the
// VMM), reads what the guest wrote through HostMemory (its stage-2 maps the page again) while the
// page is shared, and is refused again after the unshare — also when it had the page mapped just
// before, and whatever translations the core cached. The guest keeps its data and access throughout.
import { describe, expect, it } from 'vitest';
import { boot, createVm, guestU64, result, runToOff, x0s, type Booted } from './harness';
import { HostAccessError } from '../../host-kernel-model/index';
import {
  HostVcpuView, HOST_EXIT_HCALL_MEM_SHARE, HOST_VCPU_EXIT_HCALL, HOST_VCPU_EXIT_HCALL_ARG, HOST_VCPU_FAULT_ESR,
} from '../../hyp/host-abi';
import { PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED, PKVM_PAGE_SHARED_OWNED } from '../../hyp/page-state';
import { guest_get_page_state } from '../../hyp/mem-protect-guest';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';

const SHARE = 0xc600_0003n, UNSHARE = 0xc600_0004n;
const P = 0x4014_0000n, R = 0x4015_0000n;
const M1 = 0x7473_6f68_206f_6c6cn, M2 = 0x0021_7473_6575_6721n; // "llo host!guest!" (little-endian words)

function guestState(t: Booted, handle: number, ipa: bigint): number {
  const vm = t.el2.pkvm.get_vm_by_handle(handle)!;
  return guest_get_page_state(kvm_pgtable_get_leaf(vm.pgt, ipa).pte);
}

describe('MEM_SHARE / MEM_UNSHARE and the host', () => {
  it('share → the host reads the message; unshare → refused again (no stale mapping), the guest still reads it', () => {
    const t = boot();
    const steps: string[] = [];
    let ppa = 0n;
    t.kvm.opts.onGuestHcall = (vm, vcpu, ev) => {
      if (ev.kind === 'cpu_on' || ev.kind === 'cpu_off') return;
      const hv = new HostVcpuView(t.kvm.mem, vcpu.hostVcpuPa);
      if (ev.kind === 'share' && ev.ipa === P) {
        // What the host sees of the exit: the HVC's ESR, the kind and IPA, no register.
        expect(Number((hv.u64(HOST_VCPU_FAULT_ESR) >> 26n) & 0x3fn)).toBe(0x16);
        expect(hv.u64(HOST_VCPU_EXIT_HCALL)).toBe(HOST_EXIT_HCALL_MEM_SHARE);
        expect(hv.u64(HOST_VCPU_EXIT_HCALL_ARG)).toBe(P);
        for (let i = 0; i < 31; i++) expect(hv.reg(i), `x${i}`).toBe(0n);
        ppa = ev.pa!;
        expect(vm.guestShared.has(P >> 12n)).toBe(true);
        steps.push('share P');
      } else if (ev.kind === 'share' && ev.ipa === R) {
        // The guest wrote its message into P since: the host reads it (host stage-2 maps P again).
        expect(t.kvm.mem.readU64(ppa)).toBe(M1);
        expect(t.kvm.mem.readU64(ppa + 8n)).toBe(M2);
        // The host may write there too: the guest reads it back below.
        t.kvm.mem.writeU64(ppa + 16n, 0xfeedn);
        steps.push('host read P');
      } else if (ev.kind === 'unshare' && ev.ipa === P) {
        steps.push('unshare P');
      }
    };
    const vm = createVm(t, {
      ops: [
        /* 0 */ { hvc: [SHARE, P] },
        /* 1 */ { write: P, value: M1 },
        /* 2 */ { write: P + 8n, value: M2 },
        /* 3 */ { hvc: [SHARE, R] }, // an exit during which the host looks at P
        /* 4 */ { hvc: [UNSHARE, P] },
        /* 5 */ { read: P },
        /* 6 */ { read: P + 8n },
        /* 7 */ { read: P + 16n },
        /* 8 */ { write: P + 24n, value: 42n },
        /* 9 */ { read: P + 24n },
      ],
    });
    runToOff(t);
    expect(steps).toEqual(['share P', 'host read P', 'unshare P']);
    expect(x0s(t, vm, 5)).toEqual([0n, 0n, 0n, 0n, 0n]);
    expect(result(t, vm, 5)[0]).toBe(M1);
    expect(result(t, vm, 6)[0]).toBe(M2);
    expect(result(t, vm, 7)[0]).toBe(0xfeedn);
    expect(result(t, vm, 9)[0]).toBe(42n);
    // P is the guest's alone again: the host stage-2 refuses it (the page was mapped for the host a
    // moment ago; HostMemory walks the host stage-2 with the core's walker and caches nothing).
    const vmm = t.el2.pkvm.vmemmap;
    expect(vmm.get_host_state(vmm.idx(ppa))).toBe(PKVM_NOPAGE);
    expect(guestState(t, vm.handle, P)).toBe(PKVM_PAGE_OWNED);
    expect(() => t.kvm.mem.readU64(ppa)).toThrow(HostAccessError);
    expect(() => t.kvm.mem.writeU64(ppa, 0n)).toThrow(HostAccessError);
    // R stays shared: the host still reads it.
    const rpa = vm.slot.pages.get(R >> 12n)!;
    expect(vmm.get_host_state(vmm.idx(rpa))).toBe(PKVM_PAGE_SHARED_BORROWED);
    expect(guestState(t, vm.handle, R)).toBe(PKVM_PAGE_SHARED_OWNED);
    expect(t.kvm.mem.readU64(rpa)).toBe(0n);
    expect([...vm.guestShared]).toEqual([R >> 12n]);
  });

  it('a host translation cached before the unshare is invalidated with it (VMID 0), so even an A64 host cannot reuse it', () => {
    const t = boot();
    const flushed: number[][] = [];
    let current: number[] = [];
    const inv = t.core.tlbInvalidateVmid.bind(t.core);
    t.core.tlbInvalidateVmid = (vmid: number) => { current.push(vmid); inv(vmid); };
    let ppa = 0n;
    t.kvm.opts.onGuestHcall = (_vm, _vcpu, ev) => {
      if (ev.kind === 'share') {
        ppa = ev.pa!;
        expect(t.kvm.mem.readU64(ppa)).toBe(0n); // the host maps it (a lazy host stage-2 idmap)
        current = [];
      }
      if (ev.kind === 'unshare') {
        flushed.push(current);
        // The core's own walker, as the host stage-2 stands now: no translation for the host.
        const w = t.core.walkStage2(ppa, 'r', t.el2.pkvm.host_vttbr(), t.el2.pkvm.host_vtcr());
        expect('fault' in w).toBe(true);
      }
    };
    createVm(t, { ops: [{ hvc: [SHARE, P] }, { hvc: [UNSHARE, P] }] });
    runToOff(t);
    expect(flushed.length).toBe(1);
    expect(flushed[0]).toContain(0); // the host's VMID was invalidated by the unshare
    expect(() => t.kvm.mem.readU64(ppa)).toThrow(HostAccessError);
  });

  it('relinquish: the guest keeps no stale translation of the page it gave up', () => {
    const t = boot();
    const Q = P;
    let oldPa = 0n;
    t.kvm.opts.onGuestHcall = (_vm, _vcpu, ev) => { if (ev.kind === 'relinquish') oldPa = ev.pa!; };
    const vm = createVm(t, {
      ops: [
        /* 0 */ { write: Q, value: 0x1111n },
        /* 1 */ { read: Q }, // the core's TLB now holds Q's translation
        /* 2 */ { hvc: [0xc600_0009n, Q] },
        /* 3 */ { write: Q, value: 0x2222n }, // must fault (the host gives a new page), not hit the old one
        /* 4 */ { read: Q },
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 3)).toEqual([0n, 0x1111n, 0n]);
    expect(result(t, vm, 4)[0]).toBe(0x2222n);
    const newPa = vm.slot.pages.get(Q >> 12n)!;
    expect(newPa).not.toBe(oldPa);
    // The old page is the host's, zeroed, and untouched by the guest's later write.
    expect(t.kvm.alloc.owns(oldPa)).toBe(true);
    expect(t.kvm.mem.readU64(oldPa)).toBe(0n);
    expect(guestU64(t, vm, Q)).toBe(0x2222n);
  });

  it('teardown with a page still shared: reclaimed as is, no leak, strict invariants', () => {
    const t = boot();
    const free0 = t.kvm.alloc.freePages;
    const vm = createVm(t, { ops: [{ hvc: [SHARE, P] }, { write: P, value: M1 }, { hvc: [SHARE, R] }] });
    runToOff(t);
    expect(guestU64(t, vm, P)).toBe(M1);
    t.kvm.destroyVm(vm);
    expect(t.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    expect(t.kvm.alloc.freePages).toBe(free0);
  });
});
