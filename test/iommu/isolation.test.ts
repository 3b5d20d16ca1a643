// DMA isolation end to end on the core: a DMA engine behind an SMMU the hyp programs, in both board
// modes. Host-to-host DMA works; a protected guest's pages are out of DMA reach in both directions
// and stay unchanged; a page the guest shares is reachable exactly while it is shared; a page mapped
// for DMA cannot be donated until it is unmapped. Every step is followed by the invariant checker.
import { describe, expect, it } from 'vitest';
import { allBytes, bootDmaBoard, bytes, donate, fill, guestShare, protectedVm, type DmaBoard } from './board';
import { DMA_STATUS_DONE, DMA_STATUS_ERROR } from '../../machine/dma-engine';
import { SMMU_EVT } from '../../hyp/iommu/defs';
import { EBUSY, EINVAL, PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED } from '../../hyp/page-state';
import type { KvmIommuMode } from '../../hyp/iommu/iommu';

const PAGE = 4096n;
const DOM = 1;
/** Bus addresses the host uses for a page: itself in mirror mode, an IOVA it maps in hypercall mode. */
let nextIova = 0x10_0000n;

function hostView(b: DmaBoard, mode: KvmIommuMode) {
  if (mode === 'hypercall') {
    expect(b.host.allocDomain(DOM)).toBe(0);
    expect(b.host.attachDev(DOM)).toBe(0);
  }
  /** The bus address of pa, mapping it if the mode needs it (returns null when the hyp refuses). */
  const busAddr = (pa: bigint): bigint | null => {
    if (mode === 'mirror') return pa;
    const iova = (nextIova += PAGE);
    return b.host.map(DOM, iova, pa, PAGE) === PAGE ? iova : null;
  };
  return { busAddr };
}

const ok = (b: DmaBoard) => expect(b.pkvm.checkInvariants({ strict: true })).toEqual([]);
const hstate = (b: DmaBoard, pa: bigint) => b.pkvm.vmemmap.get_host_state(b.pkvm.vmemmap.idx(pa));

describe.each(['hypercall', 'mirror'] as const)('DMA isolation, %s mode', (mode) => {
  it('copies between host pages', () => {
    const b = bootDmaBoard(mode);
    const { busAddr } = hostView(b, mode);
    const src = b.kvm.allocPage();
    const dst = b.kvm.allocPage();
    for (let i = 0; i < 4096; i++) b.core.writePhys(src + BigInt(i), new Uint8Array([i & 0xff]));
    const s = busAddr(src)!;
    const d = busAddr(dst)!;
    const r = b.host.dmaCopy(s + 0x10n, d + 0x20n, 0x100n);
    expect(r).toEqual({ status: DMA_STATUS_DONE, done: 0x100n });
    expect([...bytes(b, dst + 0x20n, 0x100)]).toEqual([...bytes(b, src + 0x10n, 0x100)]);
    expect(allBytes(bytes(b, dst, 0x20), 0)).toBe(true);
    expect(allBytes(bytes(b, dst + 0x120n, 0x100), 0)).toBe(true);
    expect(b.host.dmaCopy(s, d, PAGE).status).toBe(DMA_STATUS_DONE);
    expect([...bytes(b, dst)]).toEqual([...bytes(b, src)]);
    ok(b);
  });

  it('cannot write or read a protected guest page, which stays unchanged', () => {
    const b = bootDmaBoard(mode);
    const { busAddr } = hostView(b, mode);
    const host = b.kvm.allocPage();
    fill(b, host, 0x11);
    const vm = protectedVm(b);
    const { ret, pa: secret } = donate(b, vm, 0x20n);
    expect(ret).toBe(0);
    fill(b, secret, 0x5e);
    expect(hstate(b, secret)).toBe(PKVM_NOPAGE);
    const h = busAddr(host)!;
    /* The host cannot give the device a bus address for the guest's page. */
    const g = busAddr(secret);
    if (mode === 'hypercall') expect(g).toBeNull();
    const target = g ?? secret; /* the host tries the PA itself, or an IOVA it never got */
    const w = b.host.dmaCopy(h, target, PAGE);
    expect(w.status).toBe(DMA_STATUS_ERROR);
    expect(w.done).toBe(0n);
    expect(w.fault).toMatchObject({ sid: b.dma.sid, iova: target, write: true, reason: SMMU_EVT.F_TRANSLATION });
    expect(allBytes(bytes(b, secret), 0x5e)).toBe(true);
    const rd = b.host.dmaCopy(target, h, PAGE);
    expect(rd.status).toBe(DMA_STATUS_ERROR);
    expect(rd.fault).toMatchObject({ iova: target, write: false, reason: SMMU_EVT.F_TRANSLATION });
    expect(allBytes(bytes(b, host), 0x11)).toBe(true);
    expect(b.dma.faults.length).toBe(2);
    expect(b.iommu.smmu.evtq.at(-1)).toMatchObject({ sid: b.dma.sid, name: 'F_TRANSLATION' });
    ok(b);
    b.kvm.destroyVm(vm);
    ok(b);
  });

  it('stops a transfer that runs into a guest page at the page boundary', () => {
    const b = bootDmaBoard(mode);
    hostView(b, mode);
    const vm = protectedVm(b);
    const two = b.kvm.alloc.allocContig(2)!; /* [host page][guest page] */
    const guestPage = two + PAGE;
    vm.slot.pages.set(0x21n, guestPage);
    vm.slot.pinned.add(0x21n);
    expect(donate(b, vm, 0x21n).ret).toBe(0);
    fill(b, guestPage, 0x5e);
    const src = b.kvm.alloc.allocContig(2)!;
    fill(b, src, 0xaa, 8192);
    let dst = two;
    let s = src;
    if (mode === 'hypercall') {
      /* Contiguous IOVAs: the first maps the host page, the second the guest's, which the hyp refuses. */
      expect(b.host.map(DOM, 0x80_0000n, two, PAGE)).toBe(PAGE);
      expect(b.host.map(DOM, 0x80_1000n, guestPage, PAGE)).toBe(0n);
      expect(b.host.map(DOM, 0x90_0000n, src, 2n * PAGE)).toBe(2n * PAGE);
      dst = 0x80_0000n;
      s = 0x90_0000n;
    }
    const r = b.host.dmaCopy(s + 0x800n, dst + 0x800n, PAGE);
    expect(r.status).toBe(DMA_STATUS_ERROR);
    expect(r.done).toBe(0x800n);
    expect(r.fault).toMatchObject({ iova: dst + PAGE, write: true, reason: SMMU_EVT.F_TRANSLATION });
    expect(allBytes(bytes(b, two + 0x800n, 0x800), 0xaa)).toBe(true);
    expect(allBytes(bytes(b, guestPage), 0x5e)).toBe(true);
    ok(b);
  });

  it('reaches a page the guest shares while it is shared, and not after unshare', () => {
    const b = bootDmaBoard(mode);
    const { busAddr } = hostView(b, mode);
    const host = b.kvm.allocPage();
    fill(b, host, 0x77);
    const vm = protectedVm(b);
    const { pa: page } = donate(b, vm, 0x30n);
    fill(b, page, 0x33);
    const h = busAddr(host)!;
    expect(guestShare(b, vm, 0x30n, true)).toBe(0);
    expect(hstate(b, page)).toBe(PKVM_PAGE_SHARED_BORROWED);
    const g = busAddr(page)!;
    expect(g).not.toBeNull();
    expect(b.host.dmaCopy(h, g, 0x800n).status).toBe(DMA_STATUS_DONE); /* the device writes the shared page */
    expect(allBytes(bytes(b, page, 0x800), 0x77)).toBe(true);
    expect(b.host.dmaCopy(g + 0x800n, h, 0x800n).status).toBe(DMA_STATUS_DONE); /* and reads it */
    expect(allBytes(bytes(b, host + 0x0n, 0x800), 0x33)).toBe(true);
    ok(b);
    if (mode === 'hypercall') {
      /* The guest cannot take it back while the host has it mapped for DMA. */
      expect(guestShare(b, vm, 0x30n, false)).toBe(-EBUSY);
      expect(b.host.unmap(DOM, g, PAGE)).toBe(PAGE);
    }
    expect(guestShare(b, vm, 0x30n, false)).toBe(0);
    expect(hstate(b, page)).toBe(PKVM_NOPAGE);
    fill(b, page, 0x44);
    const w = b.host.dmaCopy(h, g, PAGE);
    expect(w.status).toBe(DMA_STATUS_ERROR);
    expect(w.fault).toMatchObject({ iova: g, write: true, reason: SMMU_EVT.F_TRANSLATION });
    expect(b.host.dmaCopy(g, h, PAGE).status).toBe(DMA_STATUS_ERROR);
    expect(allBytes(bytes(b, page), 0x44)).toBe(true);
    if (mode === 'hypercall') expect(busAddr(page)).toBeNull(); /* and it cannot be mapped again */
    ok(b);
  });

  it('after teardown, the guest\'s pages come back zeroed and are the host\'s to DMA again', () => {
    const b = bootDmaBoard(mode);
    const { busAddr } = hostView(b, mode);
    const host = b.kvm.allocPage();
    fill(b, host, 0xee);
    const vm = protectedVm(b);
    const { pa } = donate(b, vm, 0x40n);
    fill(b, pa, 0x99);
    const h = busAddr(host)!;
    if (mode === 'mirror') expect(b.host.dmaCopy(pa, h, 16n).status).toBe(DMA_STATUS_ERROR);
    b.kvm.destroyVm(vm);
    ok(b);
    /* The backing page went back to the host allocator: take it again. */
    let again = b.kvm.allocPage();
    while (again !== pa) again = b.kvm.allocPage();
    expect(hstate(b, pa)).toBe(PKVM_PAGE_OWNED);
    const g = busAddr(pa)!;
    expect(b.host.dmaCopy(g, h, PAGE).status).toBe(DMA_STATUS_DONE);
    expect(allBytes(bytes(b, host), 0)).toBe(true); /* poisoned on the way back: nothing leaks */
    ok(b);
  });
});

describe('DMA use and donation', () => {
  it('hypercall mode: mapping then donating fails; unmapping then donating succeeds', () => {
    const b = bootDmaBoard('hypercall');
    hostView(b, 'hypercall');
    const vm = protectedVm(b);
    const pa = b.kvm.backingPage(vm, 0x50n);
    expect(b.host.map(DOM, 0x40_0000n, pa, PAGE)).toBe(PAGE);
    expect(donate(b, vm, 0x50n).ret).toBe(-EINVAL);
    expect(hstate(b, pa)).toBe(PKVM_PAGE_OWNED);
    expect(b.kvm.tryHcall('__pkvm_host_share_hyp', pa >> 12n)).toBe(-EINVAL);
    /* Nor can it go to the IOMMU pool (a donation to the hyp). */
    expect(b.kvm.tryHcall('__pkvm_hyp_alloc_mgt_refill', 1, pa, 1)).toBe(-EINVAL);
    ok(b);
    /* Two mappings, two references: one unmap is not enough. */
    expect(b.host.map(DOM, 0x50_0000n, pa, PAGE)).toBe(PAGE);
    expect(b.host.unmap(DOM, 0x40_0000n, PAGE)).toBe(PAGE);
    expect(donate(b, vm, 0x50n).ret).toBe(-EINVAL);
    expect(b.host.unmap(DOM, 0x50_0000n, PAGE)).toBe(PAGE);
    expect(donate(b, vm, 0x50n).ret).toBe(0);
    expect(hstate(b, pa)).toBe(PKVM_NOPAGE);
    ok(b);
    /* And once donated it cannot be mapped: the hyp maps nothing and asks for nothing. */
    const r = b.kvm.el2.hcall('__pkvm_host_iommu_map_pages', DOM, 0x60_0000n, pa, PAGE, 1n, 3);
    expect([r.x1, r.x2, r.x3]).toEqual([0n, 0n, 0n]);
    b.kvm.destroyVm(vm);
    ok(b);
  });

  it('mirror mode: a page the device uses can be donated, and leaves DMA reach at once', () => {
    const b = bootDmaBoard('mirror');
    const host = b.kvm.allocPage();
    const vm = protectedVm(b);
    const pa = b.kvm.backingPage(vm, 0x60n);
    fill(b, pa, 0x21);
    expect(b.host.dmaCopy(pa, host, PAGE).status).toBe(DMA_STATUS_DONE); /* the IOTLB now holds pa */
    expect(b.iommu.smmu.iotlbEntries().some((e) => e.pa === pa)).toBe(true);
    expect(donate(b, vm, 0x60n).ret).toBe(0);
    expect(b.iommu.smmu.iotlbEntries().some((e) => e.pa === pa)).toBe(false); /* invalidated with the host stage-2 */
    const r = b.host.dmaCopy(host, pa, PAGE);
    expect(r.status).toBe(DMA_STATUS_ERROR);
    expect(allBytes(bytes(b, pa), 0x21)).toBe(true);
    ok(b);
  });
});
