// The SMMU model and the DMA engine on their own: register interface, stream table and IOTLB
// caching (stale until invalidated, as hardware), fault reasons, mirror-mode stalls, and the
// core's stage-2 walker against the TypeScript reference walker on random IOMMU tables.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allBytes, bootDmaBoard, bytes, fill } from './board';
import {
  DMA_ENGINE_BASE, DMA_FAULT_BAD_LENGTH, DMA_REG, DMA_STATUS_DONE, DMA_STATUS_ERROR, DMA_STATUS_IDLE, DmaEngine,
  attachDmaEngine,
} from '../../machine/dma-engine';
import { IOMMU_READ, IOMMU_WRITE, SMMU_EVT } from '../../hyp/iommu/defs';
import { coreStage2Walk, softStage2Walk } from '../../hyp/iommu/walk';
import { kvm_iommu_map_pages } from '../../hyp/iommu/iommu';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import { Machine, UART_BASE } from '../../machine/machine';

const PAGE = 4096n;

describe('DMA engine registers', () => {
  it('reads and writes 64-bit registers whole or in 32-bit halves; SID is read-only', () => {
    const b = bootDmaBoard('mirror');
    const e = b.dma;
    expect(e.base).toBe(DMA_ENGINE_BASE);
    e.write(DMA_REG.SRC, 4, 0x1234_5678n);
    e.write(DMA_REG.SRC + 4, 4, 0x9abc_def0n);
    expect(e.read(DMA_REG.SRC, 8)).toBe(0x9abc_def0_1234_5678n);
    expect(e.read(DMA_REG.SRC + 4, 4)).toBe(0x9abc_def0n);
    e.write(DMA_REG.DST, 8, 0xffff_ffff_ffff_ffffn);
    expect(e.read(DMA_REG.DST, 4)).toBe(0xffff_ffffn);
    e.write(DMA_REG.SID, 8, 77n);
    expect(e.read(DMA_REG.SID, 4)).toBe(1n);
    expect(e.read(DMA_REG.CTRL, 4)).toBe(0n);
    expect(e.read(0x800, 8)).toBe(0n);
    /* LEN 0: done at once. */
    e.write(DMA_REG.LEN, 8, 0n);
    e.write(DMA_REG.CTRL, 4, 1n);
    expect(e.read(DMA_REG.STATUS, 4)).toBe(BigInt(DMA_STATUS_DONE));
    e.write(DMA_REG.STATUS, 4, 0n);
    expect(e.read(DMA_REG.STATUS, 4)).toBe(BigInt(DMA_STATUS_IDLE));
    /* More than 16 MiB: refused before any access. */
    e.write(DMA_REG.LEN, 8, (16n << 20n) + 1n);
    e.write(DMA_REG.CTRL, 4, 1n);
    expect(e.read(DMA_REG.STATUS, 4)).toBe(BigInt(DMA_STATUS_ERROR));
    expect(e.read(DMA_REG.FAULT_INFO, 8) & 0xffn).toBe(BigInt(DMA_FAULT_BAD_LENGTH));
    expect(b.iommu.smmu.stats.walks).toBe(0);
  });

  it('records the stream, the iova, the direction and the reason of the fault that stopped it', () => {
    const b = bootDmaBoard('mirror');
    const p = b.kvm.allocPage();
    const r = b.dma.copy(p, b.el2.carveout.base + 0x10n, 0x20n);
    expect(r.status).toBe(DMA_STATUS_ERROR);
    expect(b.dma.read(DMA_REG.FAULT_IOVA, 8)).toBe(b.el2.carveout.base + 0x10n);
    expect(b.dma.read(DMA_REG.FAULT_INFO, 8)).toBe(BigInt(SMMU_EVT.F_TRANSLATION) | (1n << 8n) | (1n << 32n));
    expect(b.dma.read(DMA_REG.DONE_BYTES, 8)).toBe(0n);
    /* MMIO is never a DMA target: the stall handler does not map it. */
    expect(b.dma.copy(p, UART_BASE, 4n).fault).toMatchObject({ reason: SMMU_EVT.F_TRANSLATION, write: true });
    /* Beyond the host's IPA space. */
    expect(b.dma.copy(1n << 45n, p, 4n).fault).toMatchObject({ reason: SMMU_EVT.F_TRANSLATION, write: false });
    /* A stream the SMMU does not decode. */
    const stray = new DmaEngine(b.iommu.smmu, b.el2.mem, { sid: 500, base: DMA_ENGINE_BASE + 0x1000n });
    expect(stray.copy(p, p + 8n, 8n).fault).toMatchObject({ sid: 500, reason: SMMU_EVT.C_BAD_STREAMID });
    expect(b.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });

  it('sits on a Machine\'s bus without overlapping another device', () => {
    const m = new Machine({ memBytes: 16 << 20 });
    const b = bootDmaBoard('mirror');
    attachDmaEngine(m, b.dma);
    expect(m.devices.includes(b.dma)).toBe(true);
    expect(() => attachDmaEngine(m, new DmaEngine(b.iommu.smmu, b.el2.mem, { base: UART_BASE }))).toThrow(/overlaps/);
  });
});

describe('SMMU caches', () => {
  it('keeps using a cached translation after the table changes, until the hyp invalidates it', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(0);
    const src = b.kvm.allocPage();
    const dst = b.kvm.allocPage();
    fill(b, src, 0x12);
    expect(b.host.map(1, 0x1000n, src, PAGE)).toBe(PAGE);
    expect(b.host.map(1, 0x2000n, dst, PAGE)).toBe(PAGE);
    expect(b.host.dmaCopy(0x1000n, 0x2000n, 8n).status).toBe(DMA_STATUS_DONE);
    const hits = b.iommu.smmu.stats.iotlbHit;
    expect(b.host.dmaCopy(0x1000n, 0x2000n, 8n).status).toBe(DMA_STATUS_DONE);
    expect(b.iommu.smmu.stats.iotlbHit).toBe(hits + 2);
    /* Clear the leaf behind the hyp's back (no TLBI): the IOTLB still translates, as hardware would. */
    const pgt = b.iommu.domains.get(1)!.pgt;
    const leaf = kvm_pgtable_get_leaf(pgt, 0x2000n);
    expect(leaf.level).toBe(3);
    let ptep = 0n;
    for (let a = pgt.pgd!, lvl = pgt.start_level; ; lvl++) {
      const idx = (0x2000n >> BigInt(12 + 9 * (3 - lvl))) & 511n;
      ptep = a + idx * 8n;
      if (lvl === 3) break;
      a = b.core.readPhysU64(ptep) & 0xffff_ffff_f000n;
    }
    expect(b.core.readPhysU64(ptep)).toBe(leaf.pte);
    b.core.writePhysU64(ptep, 0n);
    expect(b.host.dmaCopy(0x1000n, 0x2000n, 8n).status).toBe(DMA_STATUS_DONE);
    expect(b.pkvm.checkInvariants().some((e) => e.includes('stale IOTLB entry'))).toBe(true);
    b.iommu.smmu.cmd({ op: 'TLBI_S2_IPA', vmid: 1, ipa: 0x2000n, size: PAGE });
    b.iommu.smmu.cmd({ op: 'CMD_SYNC' });
    expect(b.host.dmaCopy(0x1000n, 0x2000n, 8n).fault).toMatchObject({ iova: 0x2000n, reason: SMMU_EVT.F_TRANSLATION });
    b.core.writePhysU64(ptep, leaf.pte);
    expect(b.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });

  it('keeps a cached STE until CMD_CFGI_STE', () => {
    const b = bootDmaBoard('mirror');
    const p = b.kvm.allocPage();
    expect(b.dma.copy(p, p + 8n, 8n).status).toBe(DMA_STATUS_DONE);
    const smmu = b.iommu.smmu;
    const ste = smmu.strtab[1]!;
    smmu.write_ste(1, { ...ste, config: 'abort' });
    expect(b.dma.copy(p, p + 8n, 8n).status).toBe(DMA_STATUS_DONE); /* cached configuration */
    smmu.cmd({ op: 'CFGI_STE', sid: 1 });
    expect(b.dma.copy(p, p + 8n, 8n).fault?.reason).toBe(SMMU_EVT.F_STREAM_DISABLED);
    smmu.write_ste(1, ste);
    smmu.cmd({ op: 'CFGI_STE', sid: 1 });
    expect(b.dma.copy(p, p + 8n, 8n).status).toBe(DMA_STATUS_DONE);
  });

  it('mirror mode: follows the host stage-2\'s invalidations (VMID 0) and ignores the guests\'', () => {
    const b = bootDmaBoard('mirror');
    const p = b.kvm.allocPage();
    expect(b.dma.copy(p, p + 8n, 8n).status).toBe(DMA_STATUS_DONE);
    const n = b.iommu.smmu.iotlbEntries().length;
    expect(n).toBeGreaterThan(0);
    b.pkvm.tlb.flush_vmid(3);
    b.pkvm.tlb.flush_vmid_ipa(3, p, 3);
    expect(b.iommu.smmu.iotlbEntries().length).toBe(n);
    b.pkvm.tlb.flush_vmid_ipa(0, p, 3);
    expect(b.iommu.smmu.iotlbEntries().length).toBe(n - 1);
    b.pkvm.tlb.flush_vm_context();
    expect(b.iommu.smmu.iotlbEntries().length).toBe(0);
  });
});

describe('the SMMU walks IOMMU tables with the core\'s walker', () => {
  it('agrees with the TypeScript reference walker on random domains', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    const core = coreStage2Walk(b.core);
    const soft = softStage2Walk(b.el2.mem);
    const d = b.iommu.domains.get(1)!;
    const vtcr = b.iommu.domain_vtcr;
    const base = b.kvm.alloc.allocContig(512, 512)!;
    expect(b.host.refill(8)).toBe(0);
    const iovaArb = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 39n) - 1n }),
      fc.bigInt({ min: 0n, max: 63n }).map((i) => (1n << 30n) + i * PAGE + 0x123n),
      fc.constant(1n << 39n),
    );
    fc.assert(fc.property(
      fc.array(fc.record({ i: fc.integer({ min: 0, max: 63 }), block: fc.boolean(), prot: fc.integer({ min: 1, max: 3 }) }), { maxLength: 12 }),
      fc.array(fc.record({ iova: iovaArb, write: fc.boolean() }), { minLength: 1, maxLength: 16 }),
      (maps, probes) => {
        for (const m of maps) {
          const prot = (m.prot & 1 ? IOMMU_READ : 0) | (m.prot & 2 ? IOMMU_WRITE : 0);
          if (m.block) kvm_iommu_map_pages(b.pkvm, 1, (2n << 30n) + BigInt(m.i % 4) * (2n << 20n), base, 2n << 20n, 1n, prot);
          else kvm_iommu_map_pages(b.pkvm, 1, (1n << 30n) + BigInt(m.i) * PAGE, base + BigInt(m.i) * PAGE, PAGE, 1n, prot);
        }
        for (const p of [...probes, ...maps.map((m) => ({ iova: (1n << 30n) + BigInt(m.i) * PAGE + 8n, write: m.prot === 2 }))]) {
          const x = core(p.iova, p.write, d.pgt.pgd!, vtcr);
          const y = soft(p.iova, p.write, d.pgt.pgd!, vtcr);
          expect(x).toEqual(y);
        }
      },
    ), { numRuns: 40, seed: 7 });
  });

  it('a write through a read-only mapping is a permission fault; a read through write-only too', () => {
    const b = bootDmaBoard('hypercall');
    expect(b.host.allocDomain(1)).toBe(0);
    expect(b.host.attachDev(1)).toBe(0);
    const p = b.kvm.alloc.allocContig(2)!;
    fill(b, p, 0x7e);
    expect(b.host.map(1, 0x1000n, p, PAGE, IOMMU_READ)).toBe(PAGE);
    expect(b.host.map(1, 0x2000n, p + PAGE, PAGE, IOMMU_WRITE)).toBe(PAGE);
    expect(b.host.dmaCopy(0x1000n, 0x2000n, 16n).status).toBe(DMA_STATUS_DONE);
    expect(b.host.dmaCopy(0x2000n, 0x1000n, 16n).fault).toMatchObject({ iova: 0x2000n, write: false, reason: SMMU_EVT.F_PERMISSION });
    expect(b.host.dmaCopy(0x1000n, 0x1000n, 16n).fault).toMatchObject({ iova: 0x1000n, write: true, reason: SMMU_EVT.F_PERMISSION });
    expect(allBytes(bytes(b, p + PAGE, 16), 0x7e)).toBe(true);
  });
});
