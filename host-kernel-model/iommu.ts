/**
 * The host side of DMA isolation: board setup (an SMMU in front of a DMA engine at
 * DMA_ENGINE_BASE, the hyp programming it in 'hypercall' or 'mirror' mode) and the host's IOMMU
 * driver (the kvm/iommu.c wrappers and arm-smmu-v3-kvm of the pKVM IOMMU series): domains, device
 * attach, map/unmap with memcache top-ups on the hyp's requests, and programming the engine's
 * registers through the host stage-2 as any host MMIO access.
 */
import type { HostedEl2, HcallResult } from '../hyp/hosted-el2';
import type { HostHcallName } from '../hyp/hypercalls';
import type { BusDevice } from '../machine/machine';
import { EEXIST, PKVM_PAGE_OWNED } from '../hyp/page-state';
import { push_hyp_memcache, pop_hyp_memcache } from '../hyp/memcache';
import {
  HYP_ALLOC_MGT_IOMMU_ID, IOMMU_READ, IOMMU_WRITE, KVM_ARM_SMMU_DOMAIN_S2, KVM_HYP_LAST_REQ, KVM_HYP_REQ_TYPE_MEM,
  REQ_MEM_DEST_HYP_IOMMU, hyp_reqs_smccc_decode,
} from '../hyp/iommu/defs';
import { kvm_iommu_init, type KvmIommu, type KvmIommuMode } from '../hyp/iommu/iommu';
import { coreStage2Walk } from '../hyp/iommu/walk';
import {
  DMA_REG, DMA_STATUS_ERROR, DmaEngine, attachDmaEngine, type DmaFault, type DmaResult,
} from '../machine/dma-engine';
import { HostAccessError } from './host-memory';
import { KvmError, type HostKvm } from './kvm';

export interface DmaBoardOptions {
  /** How the hyp isolates DMA: pKVM-owned IOMMU page tables, or the host stage-2 shared with the SMMU. */
  mode: KvmIommuMode;
  /** The engine's stream id (default 1). */
  sid?: number;
  nrStreams?: number;
  /** Also put the engine on this Machine's bus (for an A64 host). */
  machine?: { devices: BusDevice[] };
}

/** A board with an SMMU and a DMA engine behind it. */
export function setupDmaBoard(el2: HostedEl2, opts: DmaBoardOptions): { iommu: KvmIommu; dma: DmaEngine } {
  const iommu = kvm_iommu_init(el2.pkvm, {
    mode: opts.mode, walk: coreStage2Walk(el2.core), nrStreams: opts.nrStreams,
    onEvent: (ev) => el2.trace.emit('note', `smmu: ${ev.name} stream ${ev.sid} ${ev.write ? 'write' : 'read'} iova 0x${ev.iova.toString(16)}`),
  });
  /* The engine masters the bus: raw physical memory, translated only by the SMMU. */
  const dma = new DmaEngine(iommu.smmu, el2.mem, { sid: opts.sid ?? 1 });
  dma.onFault = (f) => el2.trace.emit('note', `dma: stream ${f.sid} stopped at iova 0x${f.iova.toString(16)} (${f.name})`);
  if (opts.machine) attachDmaEngine(opts.machine, dma);
  return { iommu, dma };
}

export interface HostDmaMapping { domain: number; iova: bigint; pa: bigint; size: bigint }

/** The host's IOMMU driver and DMA engine driver. */
export class HostIommu {
  /** Pages the host gave the hyp's IOMMU pool (hyp-owned until reclaimed). */
  readonly poolPages = new Set<bigint>();
  /** Memory requests the hyp made (top-ups performed). */
  topups = 0;
  /** The host's record of what it mapped, per domain, keyed by iova. */
  readonly mappings = new Map<number, Map<bigint, HostDmaMapping>>();

  constructor(readonly kvm: HostKvm, readonly iommu: KvmIommu, readonly dma: DmaEngine) {}

  get mode(): KvmIommuMode { return this.iommu.mode; }

  private hcall(name: HostHcallName, ...args: (bigint | number)[]): HcallResult {
    const r = this.kvm.el2.hcall(name, ...args);
    if (r.x0 !== 0n) throw new KvmError(`${name}: hypercall not supported (x0=${BigInt.asIntN(64, r.x0)})`);
    return r;
  }

  /** __pkvm_topup_hyp_alloc_mgt(HYP_ALLOC_MGT_IOMMU_ID): donate `n` host pages to the IOMMU pool. */
  refill(n: number): number {
    const mc = { head: 0n, nr_pages: 0n };
    const pages: bigint[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.kvm.allocPage();
      pages.push(p);
      push_hyp_memcache(this.kvm.mem, mc, p);
    }
    const ret = this.hcall('__pkvm_hyp_alloc_mgt_refill', HYP_ALLOC_MGT_IOMMU_ID, mc.head, mc.nr_pages).ret;
    /* On a failure part of the list may not have been admitted: those pages are still the host's. */
    const vmm = this.kvm.pkvm.vmemmap;
    for (const p of pages) {
      if (vmm.get_hyp_state(vmm.idx(p)) === PKVM_PAGE_OWNED) this.poolPages.add(p);
      else this.kvm.alloc.free(p);
    }
    return ret;
  }

  /** Give back the IOMMU pool's free pages (__pkvm_hyp_alloc_mgt_reclaim). Returns how many. */
  reclaim(target = 1 << 20): number {
    const r = this.hcall('__pkvm_hyp_alloc_mgt_reclaim', HYP_ALLOC_MGT_IOMMU_ID, target);
    const mc = { head: r.x1, nr_pages: r.x2 };
    let n = 0;
    for (let p = pop_hyp_memcache(this.kvm.mem, mc); p !== null; p = pop_hyp_memcache(this.kvm.mem, mc)) {
      this.poolPages.delete(p);
      this.kvm.alloc.free(p);
      n++;
    }
    return n;
  }

  /** Serve the hyp's memory request in x2/x3; false when there is none. */
  private serveRequest(r: HcallResult): boolean {
    const req = hyp_reqs_smccc_decode(r.x2, r.x3);
    if (req.type === KVM_HYP_LAST_REQ) return false;
    if (req.type !== KVM_HYP_REQ_TYPE_MEM || req.dest !== REQ_MEM_DEST_HYP_IOMMU || req.sz_alloc !== 4096)
      throw new KvmError(`bogus hyp memory request ${JSON.stringify(req)}`);
    this.topups++;
    const ret = this.refill(req.nr_pages);
    if (ret) throw new KvmError(`__pkvm_hyp_alloc_mgt_refill: ${ret}`);
    return true;
  }

  /** kvm_call_hyp_nvhe_mc(): a call returning 0 / -errno, retried while the hyp asks for memory. */
  private callMc(name: HostHcallName, ...args: (bigint | number)[]): number {
    for (;;) {
      const r = this.hcall(name, ...args);
      if (!r.ret || !this.serveRequest(r)) return r.ret;
    }
  }

  allocDomain(domain: number, type = KVM_ARM_SMMU_DOMAIN_S2): number {
    const ret = this.callMc('__pkvm_host_iommu_alloc_domain', domain, type);
    if (!ret) this.mappings.set(domain, new Map());
    return ret;
  }
  freeDomain(domain: number): number {
    const ret = this.callMc('__pkvm_host_iommu_free_domain', domain);
    if (!ret) this.mappings.delete(domain);
    return ret;
  }
  attachDev(domain: number, sid = this.dma.sid, iommu = 0): number {
    return this.callMc('__pkvm_host_iommu_attach_dev', iommu, domain, sid, 0, 0);
  }
  detachDev(domain: number, sid = this.dma.sid, iommu = 0): number {
    return this.callMc('__pkvm_host_iommu_detach_dev', iommu, domain, sid, 0);
  }

  /**
   * kvm_iommu_map_pages(): map [pa, pa + size) at iova, topping up the hyp's pool whenever it asks.
   * Returns the bytes mapped (less than size when the hyp refused the rest).
   */
  map(domain: number, iova: bigint, pa: bigint, size: bigint, prot = IOMMU_READ | IOMMU_WRITE, pgsize = 4096n): bigint {
    let total = 0n;
    while (total < size) {
      const pgcount = (size - total) / pgsize;
      const r = this.hcall('__pkvm_host_iommu_map_pages', domain, iova + total, pa + total, pgsize, pgcount, prot);
      const mapped = r.x1;
      if (mapped) this.record(domain, iova + total, pa + total, mapped);
      total += mapped;
      if (!this.serveRequest(r) && !mapped) break;
    }
    return total;
  }

  /** kvm_iommu_unmap_pages(): returns the bytes unmapped. */
  unmap(domain: number, iova: bigint, size: bigint, pgsize = 4096n): bigint {
    let total = 0n;
    while (total < size) {
      const r = this.hcall('__pkvm_host_iommu_unmap_pages', domain, iova + total, pgsize, (size - total) / pgsize);
      if (!r.x1) break;
      total += r.x1;
    }
    const m = this.mappings.get(domain);
    if (m) for (const [k, v] of m) if (v.iova >= iova && v.iova < iova + total) m.delete(k);
    return total;
  }

  iovaToPhys(domain: number, iova: bigint): bigint {
    return this.hcall('__pkvm_host_iommu_iova_to_phys', domain, iova).x1;
  }

  private record(domain: number, iova: bigint, pa: bigint, size: bigint): void {
    const m = this.mappings.get(domain) ?? new Map<bigint, HostDmaMapping>();
    this.mappings.set(domain, m);
    for (let off = 0n; off < size; off += 4096n) m.set(iova + off, { domain, iova: iova + off, pa: pa + off, size: 4096n });
  }

  /** A host CPU access to a device register: through the host stage-2, mapped on first touch. */
  private mmio(pa: bigint, write: boolean): void {
    const pkvm = this.kvm.pkvm;
    const core = this.kvm.el2.core;
    if ('pa' in core.walkStage2(pa, write ? 'w' : 'r', pkvm.host_vttbr(), pkvm.host_vtcr())) return;
    const ret = pkvm.handleHostMemAbort(pa & ~0xfffn);
    if (ret !== 0 && ret !== -EEXIST) throw new HostAccessError(pa, ret, write);
  }
  writeReg(off: number, value: bigint, size = 8): void {
    this.mmio(this.dma.base + BigInt(off), true);
    this.dma.write(off, size, value);
  }
  readReg(off: number, size = 8): bigint {
    this.mmio(this.dma.base + BigInt(off), false);
    return this.dma.read(off, size);
  }

  /** Program a copy through the engine's registers and read back its outcome. */
  dmaCopy(src: bigint, dst: bigint, len: bigint): DmaResult {
    this.writeReg(DMA_REG.STATUS, 0n, 4);
    this.writeReg(DMA_REG.SRC, src);
    this.writeReg(DMA_REG.DST, dst);
    this.writeReg(DMA_REG.LEN, len);
    this.writeReg(DMA_REG.CTRL, 1n, 4);
    const status = Number(this.readReg(DMA_REG.STATUS, 4));
    const done = this.readReg(DMA_REG.DONE_BYTES);
    if (status !== DMA_STATUS_ERROR) return { status, done };
    const info = this.readReg(DMA_REG.FAULT_INFO);
    const fault: DmaFault = {
      sid: Number(info >> 32n), iova: this.readReg(DMA_REG.FAULT_IOVA), write: ((info >> 8n) & 1n) === 1n,
      reason: Number(info & 0xffn), name: this.dma.faults.at(-1)?.name ?? '',
    };
    return { status, done, fault };
  }
}

/** setupDmaBoard() and the host's driver for it. */
export function createHostDma(kvm: HostKvm, opts: DmaBoardOptions): { iommu: KvmIommu; dma: DmaEngine; host: HostIommu } {
  const { iommu, dma } = setupDmaBoard(kvm.el2, opts);
  return { iommu, dma, host: new HostIommu(kvm, iommu, dma) };
}

