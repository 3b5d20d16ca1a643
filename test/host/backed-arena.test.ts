// The VMs' backed bitmaps in the core's memory (host-kernel-model/backed-arena.ts): given out
// first-fit in 512-byte granules, zeroed, given back at teardown; a VM whose bitmap does not fit
// has none (its faults take the full round trip); no limit on the VM's handle.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core, L } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';
import { BACKED_GRANULE_BYTES, BackedArena } from '../../host-kernel-model/backed-arena';

describe('backed bitmap arena', () => {
  it('gives out zeroed runs first-fit, takes them back, and refuses what does not fit', () => {
    const mem = new Uint8Array(64 * BACKED_GRANULE_BYTES).fill(0xa5);
    const a = new BackedArena(mem, 0, mem.length);
    const pagesPerGranule = 8 * BACKED_GRANULE_BYTES;
    const x = a.alloc(1)!; // one granule
    const y = a.alloc(3 * pagesPerGranule)!; // three
    const z = a.alloc(pagesPerGranule + 1)!; // two
    expect([x.byteOffset, y.byteOffset, z.byteOffset]).toEqual([0, BACKED_GRANULE_BYTES, 4 * BACKED_GRANULE_BYTES]);
    expect([x.length, y.length, z.length]).toEqual([BACKED_GRANULE_BYTES, 3 * BACKED_GRANULE_BYTES, 2 * BACKED_GRANULE_BYTES]);
    expect(mem.subarray(0, 6 * BACKED_GRANULE_BYTES).every((b) => b === 0)).toBe(true);
    expect(mem[6 * BACKED_GRANULE_BYTES]).toBe(0xa5); // (nothing beyond what was given is touched)
    expect(a.granulesUsed).toBe(6);
    y.fill(0xff);
    a.free(y);
    expect(a.granulesUsed).toBe(3);
    // the hole of three takes a request of two, then one more of one
    expect(a.alloc(2 * pagesPerGranule)!.byteOffset).toBe(BACKED_GRANULE_BYTES);
    const w = a.alloc(1)!;
    expect(w.byteOffset).toBe(3 * BACKED_GRANULE_BYTES);
    expect(w.every((b) => b === 0)).toBe(true);
    // 58 granules left at the end, not 59
    expect(a.alloc(59 * pagesPerGranule)).toBeNull();
    expect(a.alloc(58 * pagesPerGranule)!.byteOffset).toBe(6 * BACKED_GRANULE_BYTES);
    expect(a.alloc(1)).toBeNull();
    expect(a.alloc(0)).toBeNull();
    // a view it did not give out, or a second free, changes nothing
    a.free(new Uint8Array(16));
    a.free(x);
    a.free(x);
    expect(a.granulesUsed).toBe(63);
  });

  it('the whole region holds 76 GiB of memslots', () => {
    const a = new BackedArena(new Uint8Array(L.PKVM_BACKED_BYTES), 0, L.PKVM_BACKED_BYTES);
    expect(a.alloc((76 * 2 ** 30) / 4096)).not.toBeNull();
    expect(a.alloc(1)).toBeNull();
  });

  it('eighteen protected VMs at once (handles beyond the sixteenth) all take the fast path; teardown gives every granule back', () => {
    const toucher = { bytes: readFileSync(new URL('../../guest-images/bin/toucher.elf', import.meta.url)), name: 'toucher.elf' };
    const core = new Core(128 << 20, { haveEL2: true, el2Hosted: true });
    core.reset(2, 0n);
    const el2 = new HostedEl2(core, { slice: 200_000, maxVms: 20 });
    el2.trace.enabled = false;
    const kvm = new HostKvm(el2, { faultFastPath: true });
    kvm.traceFaults = false;
    let fastFaults = 0;
    const hooks = el2.ws.guestRunHooks!;
    el2.ws.guestRunHooks = {
      before: hooks.before,
      after: (v) => { fastFaults += core.view.getUint32(L.PKVM_FAST + L.PF_LOG_COUNT, true); hooks.after(v); },
    };
    const arena = kvm.backedArena!;
    const before = arena.granulesUsed;
    const vms = Array.from({ length: 18 }, (_, i) => kvm.createVm({ name: `vm${i}`, protected: true, memBytes: 4 << 20, image: toucher, args: [600n, 3n] }));
    for (const vm of vms) expect(vm.slot.pages.bits.buffer).toBe(core.mem.buffer);
    expect(arena.granulesUsed - before).toBe(18); // 1,024 pages each: one granule
    expect(runAll(kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
    const faults = vms.reduce((n, vm) => n + vm.faults, 0);
    expect(faults).toBeGreaterThanOrEqual(18 * 600);
    // only each guest's first few faults (its image, the toucher's first pages) take the full path
    expect(faults - fastFaults).toBeLessThanOrEqual(18 * 16);
    for (const vm of vms) kvm.destroyVm(vm);
    expect(arena.granulesUsed).toBe(before);
    expect(el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });
});
