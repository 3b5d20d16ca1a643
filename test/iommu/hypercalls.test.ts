// The pKVM IOMMU host hypercalls (hypercall mode): their errnos, the memory requests with which the
// hyp asks for page-table pages and the host's top-ups, partial maps, unmaps, IOTLB invalidation,
// reclaim, and teardown with live DMA mappings as upstream behaves.
import { describe, expect, it } from 'vitest';
import { allBytes, bootDmaBoard, bytes, donate, fill, guestShare, protectedVm, type DmaBoard } from './board';
import { Core } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { DMA_STATUS_DONE, DMA_STATUS_ERROR } from '../../machine/dma-engine';
import {
  ENODEV, EOPNOTSUPP, IOMMU_READ, IOMMU_WRITE, KVM_ARM_SMMU_DOMAIN_S1, KVM_HYP_REQ_TYPE_MEM, REQ_MEM_DEST_HYP_IOMMU,
  SMMU_EVT, hyp_reqs_smccc_decode,
} from '../../hyp/iommu/defs';
import { kvm_iommu_map_pages, kvm_iommu_unmap_pages } from '../../hyp/iommu/iommu';
import { E2BIG, EBUSY, EEXIST, EINVAL, ENOENT, EPERM, ERANGE, PKVM_PAGE_OWNED } from '../../hyp/page-state';

const PAGE = 4096n;
const MB2 = 2n << 20n;
const RW = IOMMU_READ | IOMMU_WRITE;
const strictOk = (b: DmaBoard) => expect(b.pkvm.checkInvariants({ strict: true })).toEqual([]);
const hc = (b: DmaBoard, name: Parameters<DmaBoard['el2']['hcall']>[0], ...args: (bigint | number)[]) => b.el2.hcall(name, ...args);

describe('IOMMU hypercalls', () => {
  it('answer -ENODEV without a paravirtual IOMMU (no IOMMU, or mirror mode)', () => {
    const core = new Core(32 << 20, { haveEL2: true, el2Hosted: true });
    const el2 = new HostedEl2(core);
    const m = bootDmaBoard('mirror');
    for (const e of [el2, m.el2]) {
      expect(e.hcall('__pkvm_host_iommu_alloc_domain', 1, 1).ret).toBe(-ENODEV);
      expect(e.hcall('__pkvm_host_iommu_free_domain', 1).ret).toBe(-ENODEV);
      expect(e.hcall('__pkvm_host_iommu_attach_dev', 0, 1, 1, 0, 0).ret).toBe(-ENODEV);
      expect(e.hcall('__pkvm_host_iommu_detach_dev', 0, 1, 1, 0).ret).toBe(-ENODEV);
      expect(e.hcall('__pkvm_host_iommu_map_pages', 1, 0, core.ramBase, PAGE, 1, RW).x1).toBe(0n);
      expect(e.hcall('__pkvm_host_iommu_unmap_pages', 1, 0, PAGE, 1).x1).toBe(0n);
      expect(e.hcall('__pkvm_host_iommu_iova_to_phys', 1, 0).x1).toBe(0n);
    }
    expect(el2.hcall('__pkvm_hyp_alloc_mgt_refill', 1, 0, 0).ret).toBe(-EINVAL);
    expect(el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });

  it('alloc_domain asks for its page-table page through x2/x3 and succeeds after a top-up', () => {
    const b = bootDmaBoard('hypercall');
    let r = hc(b, '__pkvm_host_iommu_alloc_domain', 7, 1);
    expect(r.ret).toBe(-12); /* -ENOMEM */
    expect(r.x2).toBe(BigInt(KVM_HYP_REQ_TYPE_MEM) | (BigInt(REQ_MEM_DEST_HYP_IOMMU) << 8n));
    expect(r.x3).toBe(1n | (4096n << 32n));
    expect(hyp_reqs_smccc_decode(r.x2, r.x3)).toEqual({ type: 1, dest: 3, nr_pages: 1, sz_alloc: 4096 });
    expect(b.host.refill(1)).toBe(0);
    expect(hc(b, '__pkvm_hyp_alloc_mgt_reclaimable', 1).x1).toBe(1n);
    r = hc(b, '__pkvm_host_iommu_alloc_domain', 7, 1);
    expect([r.ret, r.x2, r.x3]).toEqual([0, 0n, 0n]);
    expect(hc(b, '__pkvm_host_iommu_alloc_domain', 7, 1).ret).toBe(-EINVAL); /* already allocated */
    expect(b.host.allocDomain(0)).toBe(-EINVAL); /* KVM_IOMMU_DOMAIN_IDMAP_ID */
    expect(b.host.allocDomain(8, KVM_ARM_SMMU_DOMAIN_S1)).toBe(-EINVAL); /* stage-1 domains are not modelled */
    expect(b.host.allocDomain(8, 2)).toBe(-EINVAL); /* >= KVM_ARM_SMMU_DOMAIN_MAX */
    /* The table page is hyp memory the host gave: it cannot touch it. */
    const pgd = b.iommu.domains.get(7)!.pgt.pgd!;
    expect(() => b.kvm.mem.readU64(pgd)).toThrow();
    /* id 0 is the hyp heap (hyp/alloc/): an empty list refills it with nothing (hyp_alloc_topup(): refill_memcache() of nothing) */
    expect(hc(b, '__pkvm_hyp_alloc_mgt_refill', 0, 0, 0).ret).toBe(0);
    expect(hc(b, '__pkvm_hyp_alloc_mgt_refill', 2, 0, 0).ret).toBe(-EINVAL); /* id >= NR_ALLOC_MGT_IDS */
    strictOk(b);
  });

  it('attach_dev / detach_dev / free_domain check ids, streams and references', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.allocDomain(2)).toBe(0);
    expect(b.host.attachDev(1, 1, 1)).toBe(-EINVAL); /* no such IOMMU */
    expect(b.host.attachDev(3)).toBe(-EINVAL); /* no such domain */
    expect(b.host.attachDev(1, 64)).toBe(-EINVAL); /* no STE for that stream */
    expect(hc(b, '__pkvm_host_iommu_attach_dev', 0, 1, 1, 5, 0).ret).toBe(-EBUSY); /* PASID on a stage-2 domain */
    expect(b.host.attachDev(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(-EBUSY);
    expect(b.host.attachDev(2)).toBe(-EBUSY); /* one domain per stream */
    expect(b.host.attachDev(1, 2)).toBe(0);
    expect(b.iommu.domains.get(1)!.refs).toBe(3);
    expect(b.host.freeDomain(1)).toBe(-EINVAL); /* devices attached: the domain is alive */
    expect(b.host.detachDev(2)).toBe(-EINVAL); /* stream 1 is not in domain 2 */
    expect(b.host.detachDev(1, 3)).toBe(-EINVAL); /* stream 3 is not attached */
    expect(b.host.detachDev(1)).toBe(0);
    expect(b.host.detachDev(1)).toBe(-EINVAL);
    expect(b.host.detachDev(1, 2)).toBe(0);
    expect(b.host.detachDev(1, 2)).toBe(-EINVAL); /* refs <= 1 */
    expect(b.host.freeDomain(1)).toBe(0);
    expect(b.host.freeDomain(1)).toBe(-EINVAL);
    expect(b.host.freeDomain(9)).toBe(-EINVAL);
    /* A detached device is aborted by the SMMU (STE.V == 0). */
    const p = b.kvm.allocPage();
    const r = b.host.dmaCopy(p, p + 8n, 8n);
    expect(r.status).toBe(DMA_STATUS_ERROR);
    expect(r.fault?.reason).toBe(SMMU_EVT.C_BAD_STE);
    strictOk(b);
  });

  it('map_pages checks the range, the domain and the pages, with upstream errnos', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    const h = b.pkvm;
    const pa = b.kvm.allocPage();
    const vm = protectedVm(b);
    const guest = donate(b, vm, 0x10n).pa;
    const map = (dom: number, iova: bigint, p: bigint, pgsize = PAGE, n = 1n, prot = RW) =>
      kvm_iommu_map_pages(h, dom, iova, p, pgsize, n, prot);
    expect(map(1, 0n, pa, PAGE, 1n, 1 << 6).ret).toBe(-EOPNOTSUPP);
    expect(map(1, 0n, pa, 1n << 32n, 1n << 32n).ret).toBe(-E2BIG);
    expect(map(1, (1n << 64n) - PAGE, pa, PAGE, 2n).ret).toBe(-E2BIG);
    expect(map(0, 0n, pa).ret).toBe(-EINVAL);
    expect(map(5, 0n, pa).ret).toBe(-ENOENT);
    expect(map(1, 0x800n, pa).ret).toBe(-EINVAL);
    expect(map(1, 0n, pa, 8192n).ret).toBe(-EINVAL);
    expect(map(1, 0n, pa, MB2).ret).toBe(-EINVAL); /* pa not 2 MiB aligned */
    expect(map(1, 1n << 39n, pa).ret).toBe(-ERANGE);
    expect(map(1, 0n, guest).ret).toBe(-EPERM); /* a protected guest's page */
    expect(map(1, 0n, b.el2.carveout.base).ret).toBe(-EPERM); /* the hyp's own memory */
    expect(map(1, 0n, 0x0900_0000n).ret).toBe(-EPERM); /* MMIO: peer-to-peer DMA is not modelled */
    expect(map(1, 0n, b.core.ramBase + BigInt(b.core.ramSize) - PAGE, PAGE, 2n).ret).toBe(-EINVAL); /* RAM and beyond */
    expect(map(1, 0n, pa, PAGE, 1n, 0)).toEqual({ ret: 0, mapped: 0n }); /* no access: nothing to do */
    expect(b.host.map(1, 0x1000n, pa, PAGE)).toBe(PAGE);
    expect(map(1, 0x1000n, pa)).toEqual({ ret: -EEXIST, mapped: 0n });
    expect(map(1, 0n, pa, PAGE, 2n)).toEqual({ ret: -EEXIST, mapped: PAGE }); /* stops at the existing mapping */
    expect(b.host.iovaToPhys(1, 0x1234n)).toBe(pa + 0x234n);
    expect(b.host.iovaToPhys(1, 0x2000n)).toBe(0n);
    /* Through the hypercall, every refusal is "0 bytes mapped" with no request. */
    const r = hc(b, '__pkvm_host_iommu_map_pages', 1, 0x8000n, guest, PAGE, 1, RW);
    expect([r.x0, r.x1, r.x2, r.x3]).toEqual([0n, 0n, 0n, 0n]);
    strictOk(b);
  });

  it('map_pages returns what it mapped and asks for a page each time the pool runs dry', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0); /* one top-up: the PGD */
    const pages = b.kvm.alloc.allocContig(4)!;
    /* First call: the level-2 table is missing. */
    let r = hc(b, '__pkvm_host_iommu_map_pages', 1, MB2 - 2n * PAGE, pages, PAGE, 4, RW);
    expect(r.x1).toBe(0n);
    expect(hyp_reqs_smccc_decode(r.x2, r.x3)).toEqual({ type: 1, dest: 3, nr_pages: 1, sz_alloc: 4096 });
    expect(b.host.refill(1)).toBe(0);
    r = hc(b, '__pkvm_host_iommu_map_pages', 1, MB2 - 2n * PAGE, pages, PAGE, 4, RW);
    expect(r.x1).toBe(0n); /* then the level-3 table */
    expect(b.host.refill(1)).toBe(0);
    /* Two pages fit in this level-3 table; the next two need another one. */
    r = hc(b, '__pkvm_host_iommu_map_pages', 1, MB2 - 2n * PAGE, pages, PAGE, 4, RW);
    expect(r.x1).toBe(2n * PAGE);
    expect(hyp_reqs_smccc_decode(r.x2, r.x3).nr_pages).toBe(1);
    /* The host retries from where the hyp stopped: the unmapped rest holds no DMA reference. */
    expect(b.pkvm.checkInvariants({ strict: true })).toEqual([]);
    expect(b.host.refill(1)).toBe(0);
    r = hc(b, '__pkvm_host_iommu_map_pages', 1, MB2, pages + 2n * PAGE, PAGE, 2, RW);
    expect([r.x1, r.x2, r.x3]).toEqual([2n * PAGE, 0n, 0n]);
    for (let i = 0n; i < 4n; i++) expect(b.host.iovaToPhys(1, MB2 - 2n * PAGE + i * PAGE)).toBe(pages + i * PAGE);
    /* The driver's loop does all of that by itself. */
    const more = b.kvm.alloc.allocContig(3)!;
    const before = b.host.topups;
    expect(b.host.map(1, 5n << 30n, more, 3n * PAGE)).toBe(3n * PAGE);
    expect(b.host.topups - before).toBe(2); /* a new level-2 and level-3 table */
    strictOk(b);
  });

  it('maps and unmaps 2 MiB blocks; unmap never splits a block nor tears down smaller leaves', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(0);
    const blk = b.kvm.alloc.allocContig(512, 512)!;
    expect(b.host.map(1, 4n * MB2, blk, MB2, RW, MB2)).toBe(MB2);
    expect(b.iommu.domains.get(1)!.pgt && b.host.iovaToPhys(1, 4n * MB2 + 0x12345n)).toBe(blk + 0x12345n);
    expect(b.host.unmap(1, 4n * MB2, PAGE)).toBe(0n); /* a 4 KiB unmap of a block: refused */
    const small = b.kvm.allocPage();
    fill(b, small, 0x3c);
    expect(b.host.map(1, 8n * MB2, small, PAGE)).toBe(PAGE);
    expect(b.host.unmap(1, 8n * MB2, MB2, MB2)).toBe(0n); /* a 2 MiB unmap over 4 KiB leaves: refused */
    /* DMA through the block. */
    expect(b.host.dmaCopy(8n * MB2, 4n * MB2 + MB2 - 0x800n, 0x800n).status).toBe(DMA_STATUS_DONE);
    expect(allBytes(bytes(b, blk + MB2 - 0x800n, 0x800), 0x3c)).toBe(true);
    /* The block's pages are pinned for DMA. */
    const vm = protectedVm(b);
    vm.slot.pages.set(0x40n, blk + 7n * PAGE);
    expect(donate(b, vm, 0x40n).ret).toBe(-EINVAL);
    expect(b.host.unmap(1, 4n * MB2, MB2, MB2)).toBe(MB2);
    expect(donate(b, vm, 0x40n).ret).toBe(0);
    strictOk(b);
  });

  it('unmap stops at the first hole, invalidates the IOTLB, and only then drops the DMA references', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(0);
    const p = b.kvm.alloc.allocContig(3)!;
    fill(b, p, 0x61, 3 * 4096);
    expect(b.host.map(1, 0x10_0000n, p, 2n * PAGE)).toBe(2n * PAGE);
    expect(b.host.map(1, 0x10_3000n, p + 2n * PAGE, PAGE)).toBe(PAGE);
    expect(b.host.dmaCopy(0x10_0000n, 0x10_1000n, 16n).status).toBe(DMA_STATUS_DONE);
    expect(b.iommu.smmu.iotlbEntries().filter((e) => e.vmid === 1).length).toBe(2);
    expect(kvm_iommu_unmap_pages(b.pkvm, 1, 0x10_0000n, PAGE, 4n)).toBe(2n * PAGE); /* hole at 0x10_2000 */
    expect(b.iommu.smmu.iotlbEntries().filter((e) => e.vmid === 1).length).toBe(0);
    const r = b.host.dmaCopy(0x10_0000n, 0x10_3000n, 16n);
    expect(r.status).toBe(DMA_STATUS_ERROR);
    expect(r.fault).toMatchObject({ iova: 0x10_0000n, reason: SMMU_EVT.F_TRANSLATION });
    expect(b.host.unmap(1, 0x10_3000n, PAGE)).toBe(PAGE);
    expect(b.host.unmap(1, 0x10_3000n, PAGE)).toBe(0n);
    expect(kvm_iommu_unmap_pages(b.pkvm, 1, 0x10_0000n, 0n, 1n)).toBe(0n);
    expect(kvm_iommu_unmap_pages(b.pkvm, 1, 0x10_0800n, PAGE, 1n)).toBe(0n);
    strictOk(b);
  });

  it('gives back the pool: table pages return to the pool on unmap/free and to the host on reclaim', () => {
    const b = bootDmaBoard('hypercall');
    const free0 = b.kvm.alloc.freePages;
    expect(b.host.allocDomain(1)).toBe(0);
    const p = b.kvm.allocPage();
    expect(b.host.map(1, 0x4000_0000n, p, PAGE)).toBe(PAGE);
    expect(b.host.poolPages.size).toBe(3);
    expect(hc(b, '__pkvm_hyp_alloc_mgt_reclaimable', 1).x1).toBe(0n);
    expect(b.host.unmap(1, 0x4000_0000n, PAGE)).toBe(PAGE);
    expect(hc(b, '__pkvm_hyp_alloc_mgt_reclaimable', 1).x1).toBe(2n); /* the emptied tables */
    expect(b.host.freeDomain(1)).toBe(0);
    expect(hc(b, '__pkvm_hyp_alloc_mgt_reclaimable', 1).x1).toBe(3n);
    expect(b.host.reclaim(1)).toBe(1);
    expect(b.host.reclaim()).toBe(2);
    expect(b.host.poolPages.size).toBe(0);
    b.kvm.alloc.free(p);
    expect(b.kvm.alloc.freePages).toBe(free0);
    /* Returned pages are the host's again, and zeroed (tables never leak their contents). */
    strictOk(b);
  });
});

describe('teardown with live DMA mappings', () => {
  it('free_domain is refused while a device is attached; once detached it frees the tables, and the pages stay pinned', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(0);
    const vm = protectedVm(b);
    const pa = b.kvm.backingPage(vm, 0x70n);
    const other = b.kvm.allocPage();
    fill(b, pa, 0x1f);
    expect(b.host.map(1, 0x1000n, pa, PAGE)).toBe(PAGE);
    expect(b.host.map(1, 0x2000n, other, PAGE)).toBe(PAGE);
    expect(b.host.freeDomain(1)).toBe(-EINVAL);
    expect(b.host.dmaCopy(0x1000n, 0x2000n, PAGE).status).toBe(DMA_STATUS_DONE);
    expect(b.host.detachDev(1)).toBe(0);
    const tables = b.iommu.pool.free_pages();
    expect(b.host.freeDomain(1)).toBe(0);
    expect(b.iommu.pool.free_pages()).toBe(tables + 3); /* PGD, level 2, level 3 */
    expect(b.iommu.smmu.iotlbEntries().length).toBe(0);
    const r = b.host.dmaCopy(0x1000n, 0x2000n, PAGE);
    expect(r.fault?.reason).toBe(SMMU_EVT.C_BAD_STE);
    /* Upstream frees the tables without dropping the leaves' DMA references: the pages stay pinned. */
    expect(donate(b, vm, 0x70n).ret).toBe(-EINVAL);
    expect(b.pkvm.vmemmap.get_host_state(b.pkvm.vmemmap.idx(pa))).toBe(PKVM_PAGE_OWNED);
    expect(b.pkvm.checkInvariants()).toEqual([]);
    const leaks = b.pkvm.checkInvariants({ strict: true });
    expect(leaks.length).toBe(2);
    expect(leaks.every((e) => e.includes('(leaked)'))).toBe(true);
  });

  it('a VM torn down while the host has its shared page mapped: the page returns to the host, still mapped', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(0);
    const vm = protectedVm(b);
    const { pa } = donate(b, vm, 0x80n);
    const owned = donate(b, vm, 0x81n).pa;
    fill(b, owned, 0x5a);
    fill(b, pa, 0x42);
    expect(guestShare(b, vm, 0x80n, true)).toBe(0);
    expect(b.host.map(1, 0x1000n, pa, PAGE)).toBe(PAGE);
    const host = b.kvm.allocPage();
    expect(b.host.map(1, 0x2000n, host, PAGE)).toBe(PAGE);
    b.kvm.destroyVm(vm); /* start teardown, reclaim every page, finalize */
    expect(b.pkvm.vmemmap.get_host_state(b.pkvm.vmemmap.idx(pa))).toBe(PKVM_PAGE_OWNED);
    expect(b.host.dmaCopy(0x1000n, 0x2000n, PAGE).status).toBe(DMA_STATUS_DONE);
    expect(allBytes(bytes(b, host), 0x42)).toBe(true); /* shared: returned as is, not poisoned */
    /* The owned page was poisoned; the allocator may hand it out again, mapped or not. */
    expect(allBytes(bytes(b, owned), 0)).toBe(true);
    strictOk(b);
    /* The host's allocator freed the slot page; the DMA mapping still pins it until the driver unmaps. */
    expect(b.host.unmap(1, 0x1000n, PAGE)).toBe(PAGE);
    strictOk(b);
  });

  it('guest unshare is refused (-EBUSY) while the shared page is mapped, so DMA never outlives the share', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    const vm = protectedVm(b);
    const { pa } = donate(b, vm, 0x90n);
    expect(guestShare(b, vm, 0x90n, true)).toBe(0);
    expect(b.host.map(1, 0x1000n, pa, PAGE)).toBe(PAGE);
    expect(b.host.map(1, 0x2000n, pa, PAGE)).toBe(PAGE);
    expect(guestShare(b, vm, 0x90n, false)).toBe(-EBUSY);
    expect(b.host.unmap(1, 0x1000n, PAGE)).toBe(PAGE);
    expect(guestShare(b, vm, 0x90n, false)).toBe(-EBUSY);
    expect(b.host.unmap(1, 0x2000n, PAGE)).toBe(PAGE);
    expect(guestShare(b, vm, 0x90n, false)).toBe(0);
    expect(b.host.map(1, 0x3000n, pa, PAGE)).toBe(0n);
    strictOk(b);
  });
});

