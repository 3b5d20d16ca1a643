// Fresh host memory committed ahead of the guests (HostPageAllocator.precommit, HostKvm.precommit):
// the pages the allocator hands out next are touched before a guest runs, in 2 MiB steps, and the
// touch changes nothing in RAM.
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, PRECOMMIT_AHEAD } from '../../host-kernel-model/kvm';
import { HostPageAllocator } from '../../host-kernel-model/page-alloc';

describe('host memory committed ahead of the guests', () => {
  it('HostPageAllocator.precommit() touches each page once, up to `ahead` past the cursor, in 512-page steps', () => {
    const a = new HostPageAllocator(0x4000_0000n, 3000, undefined, true);
    const touched: [number, number][] = [];
    const touch = (first: number, n: number): void => { touched.push([first, n]); };
    a.precommit(700, touch);
    expect(touched).toEqual([[0, 1024]]);
    a.precommit(700, touch); // nothing new ahead
    expect(touched.length).toBe(1);
    for (let i = 0; i < 400; i++) a.alloc();
    a.precommit(700, touch); // cursor 400: up to 1100, rounded to 1536
    expect(touched).toEqual([[0, 1024], [1024, 512]]);
    for (let i = 0; i < 2500; i++) a.alloc();
    a.precommit(700, touch); // never past the last page
    expect(touched.at(-1)).toEqual([1536, 3000 - 1536]);
  });

  it('HostKvm.precommit() leaves RAM as it was (only pages known to be zero are written, with zero)', () => {
    const core = new Core(96 << 20, { haveEL2: true, el2Hosted: true });
    core.reset(2, 0n);
    const kvm = new HostKvm(new HostedEl2(core, { slice: 100_000 }));
    // host writes to free pages ahead of the cursor: no longer known to be zero
    const p = kvm.alloc.base + BigInt(kvm.alloc.nextFree() + 100) * 4096n;
    kvm.mem.writeU64(p, 0xdead_beefn);
    kvm.mem.writeU64(p + 4096n * 7n, 0x1234n);
    const before = Buffer.from(core.ram);
    kvm.precommit();
    expect(Buffer.compare(Buffer.from(core.ram), before)).toBe(0);
    expect(core.readPhysU64(p)).toBe(0xdead_beefn);
    expect(PRECOMMIT_AHEAD).toBeGreaterThanOrEqual(512);
  });
});
