// Guest hypercalls, call by call: discovery, HYP_MEMINFO, MEM_SHARE/UNSHARE/RELINQUISH and the MMIO
// guard calls, with the arguments upstream rejects (INVALID_PARAMETER) and unknown ids
// (NOT_SUPPORTED), for a protected guest (answered at EL2) and a non-protected one (EL2 answers
// HYP_MEMINFO, MEM_RELINQUISH and the MMIO guard; the host KVM the rest). Invariants are checked
// after every host hypercall (every guest step) by the harness.
import { describe, expect, it } from 'vitest';
import { boot, createVm, guestU64, result, runToOff, x0s, RESULT_IPA } from './harness';
import { PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED } from '../../hyp/page-state';

const VERSION = 0x8000_0000n, ARCH_FEATURES = 0x8000_0001n, UID = 0x8600_ff01n, FEATURES = 0x8600_0000n;
const MEMINFO = 0xc600_0002n, SHARE = 0xc600_0003n, UNSHARE = 0xc600_0004n, GUARD_INFO = 0xc600_0005n;
const ENROLL = 0xc600_0006n, MAP = 0xc600_0007n, UNMAP = 0xc600_0008n, RELINQUISH = 0xc600_0009n;
const NOT_SUPPORTED = -1n, NOT_REQUIRED = -2n, INVALID = -3n;
const PAGE = 0x4008_0000n + 0x10_0000n - 0x4_0000n; // 0x4014_0000: untouched guest memory
const UART = 0x0900_0000n;

describe('guest hypercalls of a protected guest (at EL2)', () => {
  it('discovery: SMCCC_VERSION, SMCCC_ARCH_FEATURES, the KVM vendor-hyp UID and features; unknown ids', () => {
    const t = boot();
    const vm = createVm(t, {
      ops: [
        { hvc: [VERSION] },
        { hvc: [ARCH_FEATURES, VERSION] },
        { hvc: [ARCH_FEATURES, 0x8000_8000n] }, // ARM_SMCCC_ARCH_WORKAROUND_1
        { hvc: [ARCH_FEATURES, 0x1234n] },
        { hvc: [UID] },
        { hvc: [FEATURES] },
        { hvc: [0xc600_00ffn, 1, 2, 3] },
        { hvc: [0xc600_0001n] }, // PTP: not offered to protected guests
        { hvc: [0x8600_0001n] },
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 4)).toEqual([0x10001n, 0n, NOT_REQUIRED, NOT_SUPPORTED]);
    expect(result(t, vm, 4)).toEqual([0xb66fb428n, 0xe911c52en, 0x564bcaa9n, 0x743a004dn]);
    // FEATURES | HYP_MEMINFO | MEM_SHARE | MEM_UNSHARE | MMIO_GUARD_{INFO,ENROLL,MAP,UNMAP} | MEM_RELINQUISH
    expect(result(t, vm, 5)).toEqual([0x3fdn, 0n, 0n, 0n]);
    expect(x0s(t, vm, 9).slice(6)).toEqual([NOT_SUPPORTED, NOT_SUPPORTED, NOT_SUPPORTED]);
    // None of it reached the host: no exit but the power-off.
    expect(t.events).toEqual([]);
    expect(vm.mmioExits).toBe(0);
  });

  it('HYP_MEMINFO and MMIO_GUARD_INFO: the granule; reserved arguments must be 0', () => {
    const t = boot();
    const vm = createVm(t, {
      ops: [
        { hvc: [MEMINFO] }, { hvc: [MEMINFO, 1] }, { hvc: [MEMINFO, 0, 1] }, { hvc: [MEMINFO, 0, 0, 1] },
        { hvc: [GUARD_INFO] }, { hvc: [GUARD_INFO, 0x1000] }, { hvc: [GUARD_INFO, 0, 0, 1] },
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 7)).toEqual([4096n, INVALID, INVALID, INVALID, 4096n, INVALID, INVALID]);
  });

  it('MEM_SHARE / MEM_UNSHARE: success, fault-in of an unmapped page, and every INVALID_PARAMETER case', () => {
    const t = boot();
    const P = PAGE, Q = PAGE + 0x1000n;
    const vm = createVm(t, {
      ops: [
        /* 0 */ { hvc: [SHARE, P, 1] }, // x2 != 0
        /* 1 */ { hvc: [SHARE, P, 0, 1] }, // x3 != 0
        /* 2 */ { hvc: [SHARE, P + 8n] }, // unaligned
        /* 3 */ { hvc: [SHARE, UART] }, // outside memory
        /* 4 */ { hvc: [SHARE, 1n << 45n] }, // outside the IPA space
        /* 5 */ { hvc: [UNSHARE, P] }, // not mapped
        /* 6 */ { hvc: [SHARE, P] }, // not mapped yet: faulted in, then shared
        /* 7 */ { hvc: [SHARE, P] }, // already shared (SHARED_OWNED, not OWNED)
        /* 8 */ { write: Q, value: 1n }, // Q: guest OWNED
        /* 9 */ { hvc: [UNSHARE, Q] }, // OWNED, not shared
        /* 10 */ { hvc: [UNSHARE, P, 1] },
        /* 11 */ { hvc: [UNSHARE, P, 0, 1] },
        /* 12 */ { hvc: [UNSHARE, P + 0x800n] },
        /* 13 */ { hvc: [UNSHARE, P] },
        /* 14 */ { hvc: [UNSHARE, P] }, // already OWNED again
        /* 15 */ { hvc: [SHARE, P] }, // and again
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 16)).toEqual([
      INVALID, INVALID, INVALID, INVALID, INVALID, INVALID, 0n, INVALID, 0n, INVALID, INVALID, INVALID, INVALID, 0n, INVALID, 0n,
    ]);
    // The host was told of each share and unshare that happened, with the IPA, and nothing else.
    expect(t.events.map((e) => [e.ev.kind, 'ipa' in e.ev ? e.ev.ipa : null])).toEqual([['share', P], ['unshare', P], ['share', P]]);
    // The shared page: guest SHARED_OWNED, host SHARED_BORROWED (mapped again).
    const pa = vm.slot.pages.get(P >> 12n)!;
    const vmm = t.el2.pkvm.vmemmap;
    expect(vmm.get_host_state(vmm.idx(pa))).toBe(PKVM_PAGE_SHARED_BORROWED);
    expect(vm.guestShared.has(P >> 12n)).toBe(true);
    const qpa = vm.slot.pages.get(Q >> 12n)!;
    expect(vmm.get_host_state(vmm.idx(qpa))).toBe(PKVM_NOPAGE);
    // The fault-in went through the host as a stage-2 write fault on P (a donation), then the HVC ran again.
    expect(t.el2.trace.events.some((e) => e.kind === 'share' && /0x40140000 not mapped yet/.test(e.text))).toBe(true);
    expect(vm.given.has(P >> 12n)).toBe(true);
  });

  it('MEM_RELINQUISH: an owned page goes back to the host zeroed; unmapped is a no-op; bad arguments', () => {
    const t = boot();
    const P = PAGE, Q = PAGE + 0x1000n, S = PAGE + 0x2000n;
    let relinquishedPa: bigint | undefined;
    const seen: bigint[] = [];
    t.kvm.opts.onGuestHcall = (_vm, _v, ev) => {
      if (ev.kind !== 'relinquish') return;
      relinquishedPa = ev.pa;
      seen.push(ev.ipa);
      // At the exit, the page is the host's again and zeroed (the guest had written to it).
      const vmm = t.el2.pkvm.vmemmap;
      if (ev.ipa === P) {
        expect(vmm.get_host_state(vmm.idx(ev.pa!))).toBe(PKVM_PAGE_OWNED);
        expect(t.kvm.mem.readBytes(ev.pa!, 4096).every((b) => b === 0)).toBe(true);
      }
    };
    const vm = createVm(t, {
      ops: [
        /* 0 */ { write: P, value: 0x5eedn },
        /* 1 */ { hvc: [RELINQUISH, P, 1] },
        /* 2 */ { hvc: [RELINQUISH, P, 0, 1] },
        /* 3 */ { hvc: [RELINQUISH, P + 4n] },
        /* 4 */ { hvc: [RELINQUISH, UART] },
        /* 5 */ { hvc: [RELINQUISH, Q] }, // not mapped: nothing to do, no exit
        /* 6 */ { hvc: [RELINQUISH, P] },
        /* 7 */ { read: P }, // a new page: zero
        /* 8 */ { hvc: [SHARE, S] },
        /* 9 */ { write: S, value: 0x1234n },
        /* 10 */ { hvc: [RELINQUISH, S] }, // a page shared with the host goes back as it is
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 11)).toEqual([0n, INVALID, INVALID, INVALID, INVALID, 0n, 0n, 0n, 0n, 0n, 0n]);
    expect(seen).toEqual([P, S]);
    expect(relinquishedPa).toBeDefined();
    // The host unpinned and freed the pages it got back; S's page is plain host memory again.
    expect(vm.given.has(S >> 12n)).toBe(false);
    expect(vm.guestShared.has(S >> 12n)).toBe(false);
    expect(vm.slot.pages.has(S >> 12n)).toBe(false);
    expect(t.kvm.mem.readU64(relinquishedPa!)).toBe(0x1234n);
    // P was given to the guest again on the read after its relinquish.
    expect(vm.given.has(P >> 12n)).toBe(true);
    expect(guestU64(t, vm, P)).toBe(0n);
  });

  it('MMIO_GUARD_ENROLL / MAP / UNMAP: success, idempotent map, and the INVALID_PARAMETER cases', () => {
    const t = boot();
    const vm = createVm(t, {
      ops: [
        /* 0 */ { hvc: [ENROLL] },
        /* 1 */ { hvc: [ENROLL, 1] },
        /* 2 */ { hvc: [MAP, UART] },
        /* 3 */ { hvc: [MAP, UART, 0x44] }, // x2 = attributes: ignored; already guarded: fine
        /* 4 */ { hvc: [MAP, UART + 4n] }, // not granule aligned
        /* 5 */ { hvc: [MAP, 0x0a00_0000n, 0, 1] }, // x3 != 0
        /* 6 */ { hvc: [MAP, RESULT_IPA] }, // memory cannot be MMIO
        /* 7 */ { hvc: [MAP, 1n << 45n] }, // outside the IPA space
        /* 8 */ { hvc: [UNMAP, 0x0a00_0000n] }, // not guarded
        /* 9 */ { hvc: [UNMAP, UART + 0x10n] }, // unaligned
        /* 10 */ { hvc: [UNMAP, UART, 0, 1] }, // x3 != 0
        /* 11 */ { hvc: [UNMAP, UART] },
        /* 12 */ { hvc: [UNMAP, UART] }, // no longer guarded
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 13)).toEqual([0n, INVALID, 0n, 0n, INVALID, INVALID, INVALID, INVALID, INVALID, INVALID, INVALID, 0n, INVALID]);
    const hvm = t.el2.pkvm.get_vm_by_handle(vm.handle)!;
    expect(hvm.mmio_guard.enrolled).toBe(true);
    expect([...hvm.mmio_guard.granules]).toEqual([]);
  });
});

describe('guest hypercalls of a non-protected guest', () => {
  it('EL2 answers HYP_MEMINFO, MEM_RELINQUISH and the MMIO guard; the host KVM answers discovery and refuses MEM_SHARE', () => {
    const t = boot();
    const P = PAGE;
    const vm = createVm(t, {
      protected: false,
      ops: [
        /* 0 */ { hvc: [VERSION] },
        /* 1 */ { hvc: [UID] },
        /* 2 */ { hvc: [FEATURES] },
        /* 3 */ { hvc: [MEMINFO] },
        /* 4 */ { hvc: [MEMINFO, 1] },
        /* 5 */ { hvc: [SHARE, P] }, // the host KVM: not for non-protected guests
        /* 6 */ { hvc: [UNSHARE, P] },
        /* 7 */ { hvc: [MAP, UART] }, // not enrolled
        /* 8 */ { hvc: [ENROLL] },
        /* 9 */ { hvc: [MAP, UART] },
        /* 10 */ { write: P, value: 7n },
        /* 11 */ { hvc: [RELINQUISH, P] },
        /* 12 */ { hvc: [0xc600_00ffn] },
      ],
    });
    runToOff(t);
    expect(x0s(t, vm, 13)).toEqual([0x10001n, 0xb66fb428n, 0x3e5n, 4096n, INVALID, NOT_SUPPORTED, NOT_SUPPORTED, INVALID, 0n, 0n, 0n, 0n, NOT_SUPPORTED]);
    expect(result(t, vm, 1)).toEqual([0xb66fb428n, 0xe911c52en, 0x564bcaa9n, 0x743a004dn]);
    // The relinquished page was unshared (its share count dropped) and handed back to the host.
    expect(t.events.map((e) => e.ev.kind)).toEqual(['relinquish']);
    expect(vm.given.has(P >> 12n)).toBe(false);
    expect([...t.el2.pkvm.get_vm_by_handle(vm.handle)!.mmio_guard.granules]).toEqual([UART]);
  });
});
