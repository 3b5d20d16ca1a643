// The Number accessors of the host model's fault path: they answer what their BigInt forms answer
// (gfn tables, page allocator, host memory's checked reads, the vGIC flush), and they keep the host
// stage-2 checks: a page the host gave away is refused by readU32N() as by readU64(), and
// readableAt() offers RAM only where the host's TLB has the page.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostAccessError, HostKvm, runAll } from '../../host-kernel-model/index';
import { GfnMap, GfnSet } from '../../host-kernel-model/gfn-table';
import { HostPageAllocator } from '../../host-kernel-model/page-alloc';
import { HostVgicCpu } from '../../host-kernel-model/vgic';
import { ArrayPhysMem } from '../../hyp/phys-mem';
import { HOST_VGIC_V3_HCR, HOST_VGIC_V3_LR, HOST_VGIC_V3_USED_LRS, HostVcpuView } from '../../hyp/host-abi';
import { ICH_HCR_EN } from '../../hyp/vgic-v3';

const img = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });

describe('gfn tables by Number', () => {
  it('GfnMap.getNumber() and GfnSet.hasNumber() agree with get() and has(), in the memslot and outside it', () => {
    const m = new GfnMap(0x40000n, 16), s = new GfnSet(0x40000n, 16);
    m.set(0x40003n, 0x8000_3000n);
    m.set(0x40020n, 0x8001_0000n); // outside the memslot
    m.setNumber(0x4000f, 0x123_4567_8000); // a PA above 2^32
    s.add(0x40001n);
    s.addNumber(0x3ffff);
    for (const g of [0x40000, 0x40003, 0x4000f, 0x40010, 0x40020, 0x3ffff, 0x40001]) {
      const pa = m.get(BigInt(g));
      expect(m.getNumber(g)).toBe(pa === undefined ? -1 : Number(pa));
      expect(s.hasNumber(g)).toBe(s.has(BigInt(g)));
    }
    expect(m.getNumber(0x4000f)).toBe(0x123_4567_8000);
  });
});

describe('HostPageAllocator by Number', () => {
  it('nextFree() wraps from the cursor to the first free page, as alloc() finds them', () => {
    const a = new HostPageAllocator(0x4000_0000n, 8);
    for (let i = 0; i < 8; i++) expect(a.alloc()).toBe(0x4000_0000n + BigInt(i) * 4096n);
    expect(a.nextFree()).toBe(-1);
    a.free(0x4000_2000n);
    a.free(0x4000_6000n);
    expect(a.nextFree()).toBe(2); // cursor 8 wraps to 0
    a.takeIndex(2);
    expect(a.nextFree()).toBe(6);
    expect(new HostPageAllocator(0x4000_0000n, 0).nextFree()).toBe(-1);
  });

  it('noteWriteN() forgets "known zero" exactly where noteWrite() does', () => {
    const a = new HostPageAllocator(0x4000_0000n, 8, undefined, true);
    const b = new HostPageAllocator(0x4000_0000n, 8, undefined, true);
    a.alloc(); b.alloc();
    for (const [pa, n] of [[0x4000_0ff8, 16], [0x4000_3000, 1], [0x3fff_f000, 8], [0x4000_7ffc, 64], [0x4000_5000, 0]] as const) {
      a.noteWrite(BigInt(pa), n);
      b.noteWriteN(pa, n);
    }
    const zero = (x: HostPageAllocator) => Array.from({ length: 8 }, (_, i) => x.knownZero(i));
    expect(zero(b)).toEqual(zero(a));
    expect(b.knownZero(1)).toBe(false); // the write crossing into page 1
    expect(b.knownZero(2)).toBe(true);
    expect(b.knownZero(3)).toBe(false);
    expect(b.knownZero(7)).toBe(false);
  });
});

function boot() {
  const core = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 100_000 });
  return { core, el2, kvm: new HostKvm(el2, { faultFastPath: false }) };
}

describe('HostMemory by Number', () => {
  it('readU32N() reads the words readU64() reads, and refuses a donated page as readU64() does', () => {
    const { kvm } = boot();
    const vm = kvm.createVm({ name: 'p', protected: true, memBytes: 4 << 20, image: img('toucher'), args: [8n, 3n] });
    const v = vm.vcpus[0]!;
    for (const off of [0, 8, 0x58, 0x190, 0x340]) {
      const q = kvm.mem.readU64(v.hostVcpuPa + BigInt(off));
      expect(kvm.mem.readU32N(v.hostVcpuPaN + off)).toBe(Number(q & 0xffff_ffffn));
      expect(kvm.mem.readU32N(v.hostVcpuPaN + off + 4)).toBe(Number(q >> 32n));
    }
    runAll(kvm, { slice: 100_000, maxGuestInsns: 20_000_000n });
    const pa = [...vm.slot.pages.values()].at(-1)!;
    expect(() => kvm.mem.readU64(pa)).toThrow(HostAccessError);
    expect(() => kvm.mem.readU32N(Number(pa))).toThrow(HostAccessError);
    expect(kvm.mem.readableAt(Number(pa), 8)).toBe(-1);
    expect(() => kvm.mem.readU32N(0x100)).toThrow(HostAccessError); // not RAM
  });

  it('readableAt() gives the struct\'s offset in RAM once its page is in the host TLB, never across a page', () => {
    const { core, kvm } = boot();
    const vm = kvm.createVm({ name: 'p', protected: true, memBytes: 4 << 20, image: img('toucher'), args: [8n, 3n] });
    const p = vm.vcpus[0]!.hostVcpuPaN;
    kvm.mem.readU64N(p); // (the page checked: in the TLB)
    const o = kvm.mem.readableAt(p, 0x348);
    expect(o).toBe(p - Number(core.ramBase));
    expect(kvm.mem.ramView().getUint32(o + 0x58, true)).toBe(kvm.mem.readU32N(p + 0x58));
    expect(kvm.mem.readableAt(p + 0xff0, 0x20)).toBe(-1); // crosses into the next page
    // a wider host stage-2 invalidation empties the host TLB: the next read walks again
    kvm.pkvm.tlb.flush_vmid(0);
    expect(kvm.mem.readableAt(p, 8)).toBe(-1);
    kvm.mem.readU32N(p);
    expect(kvm.mem.readableAt(p, 8)).toBe(o);
    // so does an invalidation of that one page
    kvm.pkvm.tlb.flush_vmid_ipa(0, BigInt(p), 3);
    expect(kvm.mem.readableAt(p, 8)).toBe(-1);
  });
});

describe('HostVgicCpu.flush() by Number', () => {
  const P = 0x4000_2000;
  const setup = () => {
    const mem = new ArrayPhysMem(0x4000_0000n, 1n << 20n);
    const writes: bigint[] = [];
    const w = mem.writeU64.bind(mem);
    mem.writeU64 = (pa, v) => { writes.push(pa); w(pa, v); };
    const wn = mem.writeU64N.bind(mem);
    mem.writeU64N = (pa, v) => { writes.push(BigInt(pa)); wn(pa, v); };
    return { mem, writes, hv: new HostVcpuView(mem, BigInt(P)) };
  };

  it('writes used_lrs 0 and En when the struct does not hold them, and nothing once it does', () => {
    const { mem, writes, hv } = setup();
    const g = new HostVgicCpu();
    g.flush(mem, P);
    expect(hv.u64(HOST_VGIC_V3_HCR)).toBe(ICH_HCR_EN);
    expect(hv.u64(HOST_VGIC_V3_USED_LRS)).toBe(0n);
    writes.length = 0;
    g.flush(mem, P);
    expect(writes).toEqual([]);
    // EL2 synced back an EOIcount the guest's EOIs without an LR moved: En alone is written again
    hv.setU64(HOST_VGIC_V3_HCR, ICH_HCR_EN | (3n << 27n));
    g.flush(mem, P);
    expect(hv.u64(HOST_VGIC_V3_HCR)).toBe(ICH_HCR_EN);
    hv.setU64(HOST_VGIC_V3_USED_LRS, 1n << 32n);
    g.flush(mem, P);
    expect(hv.u64(HOST_VGIC_V3_USED_LRS)).toBe(0n);
  });

  it('hands over a pending LR every time', () => {
    const { mem, writes, hv } = setup();
    const g = new HostVgicCpu();
    g.flush(mem, P);
    expect(g.inject({ intid: 27, hwIntid: 27 }, 4)).toBe(true);
    expect(g.inFlight(27)).toBe(true);
    expect(g.inFlight(26)).toBe(false);
    writes.length = 0;
    g.flush(mem, P);
    expect(hv.u64(HOST_VGIC_V3_USED_LRS)).toBe(1n);
    expect(hv.u64(HOST_VGIC_V3_LR) & 0xffff_ffffn).toBe(27n);
    expect(writes.length).toBe(3);
  });
});
