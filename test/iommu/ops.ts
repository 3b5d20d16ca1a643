/**
 * Fuzzer-ready IOMMU operations: each op goes through the real host hypercall dispatcher (or the DMA
 * engine's registers), and each predict*() computes, from the state *before* the op and with means
 * independent of the code under test, what the op may return; it hands back a checker of the
 * actual result that lists violations (empty = fine).
 *
 *   const w = iommuWorld(host.hyp, 'hypercall');           // any Pkvm: ArrayPhysMem or core-backed
 *   const check = predictMap(w, args); const r = mapOp(w, args); expect(check(r)).toEqual([]);
 *   const checkDma = predictDma(w, copy); expect(checkDma(dmaCopyOp(w, copy))).toEqual([]);
 *   expect(dmaSafety(w)).toEqual([]);                       // every byte DMA touched was the host's
 *
 * Independence: map predictions use page states (hyp_vmemmap); DMA predictions translate with the
 * domain's page table (kvm_pgtable_get_leaf) or the host's page states, never through the SMMU and
 * its IOTLB, so a stale IOTLB entry or a missed invalidation shows up as a violation.
 */
import type { Pkvm } from '../../hyp/index';
import type { PhysMem } from '../../hyp/phys-mem';
import { KVM_HOST_SMCCC_FUNC, asSigned, type HostHcallName } from '../../hyp/hypercalls';
import { PKVM_NOPAGE, PKVM_PAGE_OWNED, PAGE_STATE_NAMES } from '../../hyp/page-state';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import { KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W, kvm_granule_size, kvm_pte_to_phys, kvm_pte_valid } from '../../hyp/pgtable-defs';
import { push_hyp_memcache } from '../../hyp/memcache';
import {
  HYP_ALLOC_MGT_IOMMU_ID, IOMMU_PROT_MASK, IOMMU_READ, IOMMU_WRITE, KVM_ARM_SMMU_DOMAIN_S2, KVM_HYP_LAST_REQ,
  KVM_HYP_REQ_TYPE_MEM, KVM_IOMMU_DOMAIN_IDMAP_ID, REQ_MEM_DEST_HYP_IOMMU, hyp_reqs_smccc_decode, type KvmHypReq,
} from '../../hyp/iommu/defs';
import { kvm_iommu_init, type KvmIommu, type KvmIommuMode } from '../../hyp/iommu/iommu';
import { KVM_IOMMU_IAS } from '../../hyp/iommu/io-pgtable';
import { hyp_page_dma_refs } from '../../hyp/iommu/dma-refs';
import { softStage2Walk, type Stage2Walk } from '../../hyp/iommu/walk';
import { DMA_MAX_LEN, DMA_STATUS_DONE, DMA_STATUS_ERROR, DmaEngine, type DmaMemory, type DmaResult } from '../../machine/dma-engine';

const PAGE = 4096n;
const U64_MAX = (1n << 64n) - 1n;

export interface IommuWorld {
  hyp: Pkvm;
  iommu: KvmIommu;
  dma: DmaEngine;
  /** Physical CPU the host issues its hypercalls on. */
  cpu: number;
  /** Pages the engine read and wrote since the last dmaSafety() check (physical page addresses). */
  touched: { pa: bigint; write: boolean }[];
}

/** Give a Pkvm an SMMU and a DMA engine (stream `sid`); walker: the TS reference walker unless given. */
export function iommuWorld(hyp: Pkvm, mode: KvmIommuMode, opts: { walk?: Stage2Walk; sid?: number; mem?: PhysMem } = {}): IommuWorld {
  const iommu = kvm_iommu_init(hyp, { mode, walk: opts.walk ?? softStage2Walk(hyp.mem) });
  return worldOf(hyp, iommu, opts.mem ?? hyp.mem, opts.sid ?? 1);
}

/** A world around an IOMMU that already exists (e.g. the one of a host-model board). */
export function worldOf(hyp: Pkvm, iommu: KvmIommu, mem: PhysMem, sid: number): IommuWorld {
  const touched: IommuWorld['touched'] = [];
  const rec: DmaMemory = {
    isMemory: (pa) => mem.isMemory(pa),
    readBytes: (pa, n) => (touched.push({ pa: pa & ~(PAGE - 1n), write: false }), mem.readBytes(pa, n)),
    writeBytes: (pa, b) => (touched.push({ pa: pa & ~(PAGE - 1n), write: true }), mem.writeBytes(pa, b)),
  };
  return { hyp, iommu, dma: new DmaEngine(iommu.smmu, rec, { sid }), cpu: 0, touched };
}

/* ---- operations ------------------------------------------------------------------------------- */

export interface Hvc { x0: number; x1: bigint; x2: bigint; x3: bigint; ret: number }

/** A host hypercall through handle_host_hcall() (x1..x6). */
export function hvc(w: IommuWorld, name: HostHcallName, ...args: (bigint | number)[]): Hvc {
  const frame = [KVM_HOST_SMCCC_FUNC(name), ...args.map((a) => BigInt.asUintN(64, BigInt(a)))];
  while (frame.length < 7) frame.push(0n);
  w.hyp.handleHostHcall(frame, w.cpu);
  return { x0: asSigned(frame[0]!), x1: frame[1]!, x2: frame[2]!, x3: frame[3]!, ret: asSigned(frame[1]!) };
}

export const request = (r: Hvc): KvmHypReq => hyp_reqs_smccc_decode(r.x2, r.x3);

/** Donate host pages (already host-owned, page aligned) to the IOMMU pool. */
export function refillOp(w: IommuWorld, pages: bigint[]): number {
  const mc = { head: 0n, nr_pages: 0n };
  for (const p of pages) push_hyp_memcache(w.hyp.mem, mc, p);
  return hvc(w, '__pkvm_hyp_alloc_mgt_refill', HYP_ALLOC_MGT_IOMMU_ID, mc.head, mc.nr_pages).ret;
}

export const allocDomainOp = (w: IommuWorld, domain: number, type = KVM_ARM_SMMU_DOMAIN_S2): Hvc =>
  hvc(w, '__pkvm_host_iommu_alloc_domain', domain, type);
export const freeDomainOp = (w: IommuWorld, domain: number): Hvc => hvc(w, '__pkvm_host_iommu_free_domain', domain);
export const attachOp = (w: IommuWorld, domain: number, sid = w.dma.sid): Hvc =>
  hvc(w, '__pkvm_host_iommu_attach_dev', 0, domain, sid, 0, 0);
export const detachOp = (w: IommuWorld, domain: number, sid = w.dma.sid): Hvc =>
  hvc(w, '__pkvm_host_iommu_detach_dev', 0, domain, sid, 0);

export interface MapArgs { domain: number; iova: bigint; pa: bigint; pgcount: bigint; prot?: number; pgsize?: bigint }
export interface MapResult { mapped: bigint; req: KvmHypReq }

/** One __pkvm_host_iommu_map_pages call. */
export function mapOp(w: IommuWorld, a: MapArgs): MapResult {
  const r = hvc(w, '__pkvm_host_iommu_map_pages', a.domain, a.iova, a.pa, a.pgsize ?? PAGE, a.pgcount, a.prot ?? (IOMMU_READ | IOMMU_WRITE));
  return { mapped: r.x1, req: request(r) };
}

export interface UnmapArgs { domain: number; iova: bigint; pgcount: bigint; pgsize?: bigint }
export function unmapOp(w: IommuWorld, a: UnmapArgs): bigint {
  return hvc(w, '__pkvm_host_iommu_unmap_pages', a.domain, a.iova, a.pgsize ?? PAGE, a.pgcount).x1;
}

export interface DmaArgs { src: bigint; dst: bigint; len: bigint }
export function dmaCopyOp(w: IommuWorld, a: DmaArgs): DmaResult {
  return w.dma.copy(a.src, a.dst, a.len);
}

/* ---- predicates -------------------------------------------------------------------------------- */

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** May DMA reach this physical page? RAM the host owns or shares (host state other than NOPAGE). */
export function hostCanDma(hyp: Pkvm, pa: bigint): boolean {
  if (!hyp.mem.isMemory(pa)) return false;
  const i = hyp.vmemmap.idx(pa);
  return hyp.vmemmap.get_host_state(i) !== PKVM_NOPAGE && hyp.vmemmap.get_hyp_state(i) !== PKVM_PAGE_OWNED;
}

function leafOf(w: IommuWorld, domain: number, iova: bigint): { pa: bigint; r: boolean; w: boolean } | null {
  const d = w.iommu.domains.get(domain);
  if (!d || iova >= 1n << BigInt(KVM_IOMMU_IAS)) return null;
  const { ret, pte, level } = kvm_pgtable_get_leaf(d.pgt, iova);
  if (ret || !kvm_pte_valid(pte)) return null;
  return {
    pa: kvm_pte_to_phys(pte) + (iova & (kvm_granule_size(level) - 1n)),
    r: (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R) !== 0n, w: (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W) !== 0n,
  };
}

/**
 * Before a map: what the hyp must do. A map of pages the host may not hand to a device maps nothing;
 * a well-formed map of allowed pages over free IOVAs maps everything unless the pool runs dry (then
 * what it mapped is a prefix and a memory request is pending) or it meets an existing mapping.
 */
export function predictMap(w: IommuWorld, a: MapArgs): (r: MapResult) => string[] {
  const pgsize = a.pgsize ?? PAGE;
  const prot = a.prot ?? (IOMMU_READ | IOMMU_WRITE);
  const size = pgsize * a.pgcount;
  const wellFormed = w.iommu.mode === 'hypercall' && w.iommu.domains.has(a.domain) && a.domain !== KVM_IOMMU_DOMAIN_IDMAP_ID &&
    [PAGE, PAGE << 9n, PAGE << 18n].includes(pgsize) && !((a.iova | a.pa) & (pgsize - 1n)) && !(prot & ~IOMMU_PROT_MASK) &&
    (prot & (IOMMU_READ | IOMMU_WRITE)) !== 0 && size <= U64_MAX && a.iova + size <= 1n << BigInt(KVM_IOMMU_IAS) &&
    a.pa + size <= U64_MAX;
  let allowed = wellFormed;
  for (let off = 0n; allowed && off < size; off += PAGE) allowed = hostCanDma(w.hyp, a.pa + off);
  const free: boolean[] = [];
  for (let off = 0n; allowed && off < size; off += pgsize) {
    let f = true;
    for (let o = 0n; f && o < pgsize; o += PAGE) f = leafOf(w, a.domain, a.iova + off + o) === null;
    free.push(f);
  }
  return (r) => {
    const errs: string[] = [];
    if (!allowed) {
      if (r.mapped) errs.push(`map of ${hex(a.pa)}+${hex(size)} should have mapped nothing, mapped ${hex(r.mapped)}`);
      return errs;
    }
    if (r.mapped % pgsize || r.mapped > size) errs.push(`mapped ${hex(r.mapped)} is not a multiple of ${hex(pgsize)} within ${hex(size)}`);
    const n = Number(r.mapped / pgsize);
    if (free.slice(0, n).some((f) => !f)) errs.push('mapped over an existing mapping');
    if (r.mapped < size && free[n] !== false && !(r.req.type === KVM_HYP_REQ_TYPE_MEM && r.req.dest === REQ_MEM_DEST_HYP_IOMMU))
      errs.push(`stopped at ${hex(r.mapped)} of ${hex(size)} with no memory request and no existing mapping`);
    if (r.mapped === size && r.req.type !== KVM_HYP_LAST_REQ) errs.push('a memory request after a complete map');
    for (let off = 0n; off < r.mapped; off += PAGE) {
      const l = leafOf(w, a.domain, a.iova + off);
      if (!l || l.pa !== a.pa + off) errs.push(`iova ${hex(a.iova + off)} does not map ${hex(a.pa + off)} after the map`);
    }
    return errs;
  };
}

/** Before an unmap: it removes a prefix of mapped leaves of exactly pgsize, and then nothing maps there. */
export function predictUnmap(w: IommuWorld, a: UnmapArgs): (unmapped: bigint) => string[] {
  const pgsize = a.pgsize ?? PAGE;
  const before: (bigint | null)[] = [];
  for (let i = 0n; i < a.pgcount && i < 4096n; i++) before.push(leafOf(w, a.domain, a.iova + i * pgsize)?.pa ?? null);
  return (unmapped) => {
    const errs: string[] = [];
    if (unmapped % pgsize || unmapped > pgsize * a.pgcount) errs.push(`unmapped ${hex(unmapped)} is not a whole number of pages`);
    const n = Number(unmapped / pgsize);
    if (before.slice(0, n).some((p) => p === null)) errs.push('unmapped an iova that was not mapped');
    for (let i = 0; i < n; i++) if (leafOf(w, a.domain, a.iova + BigInt(i) * pgsize)) errs.push(`iova ${hex(a.iova + BigInt(i) * pgsize)} still mapped`);
    return errs;
  };
}

/** Where the engine's stream translates iova for a read or a write right now, per the tables; null = fault. */
export function expectedTranslation(w: IommuWorld, iova: bigint, write: boolean): bigint | null {
  if (w.iommu.mode === 'mirror') {
    if (!w.hyp.mem.isMemory(iova)) return null;
    return w.hyp.vmemmap.get_host_state(w.hyp.vmemmap.idx(iova)) === PKVM_NOPAGE ? null : iova;
  }
  const ste = w.iommu.smmu.strtab[w.dma.sid];
  if (!ste) return null;
  const l = leafOf(w, ste.vmid, iova);
  if (!l || !(write ? l.w : l.r)) return null;
  return l.pa;
}

/** Before a DMA copy: how far it gets and where it stops, from the tables (not the SMMU). */
export function predictDma(w: IommuWorld, a: DmaArgs): (r: DmaResult) => string[] {
  let done = 0n;
  let stop: { iova: bigint; write: boolean } | null = null;
  if (a.len > DMA_MAX_LEN) stop = { iova: a.src, write: false };
  while (!stop && done < a.len) {
    const s = (a.src + done) & U64_MAX;
    const d = (a.dst + done) & U64_MAX;
    let n = a.len - done;
    if (PAGE - (s & (PAGE - 1n)) < n) n = PAGE - (s & (PAGE - 1n));
    if (PAGE - (d & (PAGE - 1n)) < n) n = PAGE - (d & (PAGE - 1n));
    if (expectedTranslation(w, s, false) === null) stop = { iova: s, write: false };
    else if (expectedTranslation(w, d, true) === null) stop = { iova: d, write: true };
    else done += n;
  }
  return (r) => {
    const errs: string[] = [];
    const want = stop ? DMA_STATUS_ERROR : DMA_STATUS_DONE;
    if (r.status !== want) errs.push(`dma ${hex(a.src)} -> ${hex(a.dst)} (${hex(a.len)}): status ${r.status}, expected ${want}`);
    if (r.done !== done) errs.push(`dma copied ${hex(r.done)} bytes, expected ${hex(done)}`);
    if (stop && r.fault && (r.fault.iova !== stop.iova || r.fault.write !== stop.write))
      errs.push(`dma stopped at ${hex(r.fault.iova)} (${r.fault.write ? 'write' : 'read'}), expected ${hex(stop.iova)}`);
    return errs;
  };
}

/** Every page the engine touched since the last call was one the host owns or shares. */
export function dmaSafety(w: IommuWorld): string[] {
  const errs = w.touched
    .filter((t) => !hostCanDma(w.hyp, t.pa))
    .map((t) => {
      const st = w.hyp.mem.isMemory(t.pa) ? PAGE_STATE_NAMES[w.hyp.vmemmap.get_host_state(w.hyp.vmemmap.idx(t.pa))] : 'not RAM';
      return `dma ${t.write ? 'wrote' : 'read'} ${hex(t.pa)} (host ${st})`;
    });
  w.touched.length = 0;
  return errs;
}

/** Transitions that take a page from the host must fail while it holds DMA references. */
export function dmaPinned(w: IommuWorld, pa: bigint): boolean {
  return w.hyp.mem.isMemory(pa) && hyp_page_dma_refs(w.hyp, w.hyp.vmemmap.idx(pa)) > 0;
}

