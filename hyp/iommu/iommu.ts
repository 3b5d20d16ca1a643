/**
 * pKVM's IOMMU core at EL2 (arch/arm64/kvm/hyp/nvhe/iommu/iommu.c of the pKVM
 * IOMMU series, with the SMMUv3 hyp driver folded in). One SMMU (iommu id 0)
 * sits in front of every DMA-capable device of the board; a board chooses how
 * the hyp programs it:
 *
 *  - 'hypercall' (pKVM-owned IOMMU page tables, the paravirtual series): the
 *    host asks for domains, attaches devices (stream ids) and maps pages with
 *    __pkvm_host_iommu_* hypercalls; the hyp checks every page it maps
 *    (__pkvm_host_use_dma), keeps the tables in hyp memory the host donated
 *    (__pkvm_hyp_alloc_mgt_refill) and asks for more through struct kvm_hyp_req
 *    when it runs out. A device with no domain attached is aborted (STE.V = 0).
 *
 *  - 'mirror' (SMMUv3 nested stage 2 sharing the host stage-2): every stream
 *    translates with the host's own stage-2 (S2TTB = the host VTTBR, VMID 0),
 *    so a page donated to a guest or the hyp leaves DMA reach when it leaves
 *    the host stage-2. The SMMU takes the CPU's TLB invalidations of VMID 0
 *    (broadcast TLB maintenance), and a stalled fault on memory the host owns
 *    but has not touched yet is resolved as a host stage-2 abort would be
 *    (host_stage2_idmap()), then retried; anything else is terminated.
 *
 * The per-Pkvm IOMMU state is kept in a registry (kvm_iommu(hyp)): a Pkvm
 * without it is a board without an IOMMU, and every IOMMU hypercall answers
 * -ENODEV (the DMA reference checks of mem_protect are then no-ops).
 */
import type { Pkvm } from '../index';
import type { KvmPgtable, KvmTlbOps } from '../pgtable';
import { HypPool, hyp_pool_init } from '../pool';
import { E2BIG, EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, ERANGE, WARN_ON } from '../page-state';
import { ALIGN_DOWN, PAGE_MASK, PAGE_SIZE, U64_MASK, kvm_granule_size } from '../pgtable-defs';
import { __pkvm_host_donate_hyp, __pkvm_hyp_donate_host } from '../mem-protect';
import { addr_is_memory, host_stage2_idmap } from '../host-stage2';
import { pop_hyp_memcache, push_hyp_memcache, type KvmHypMemcache } from '../memcache';
import {
  ENODEV, EOPNOTSUPP, IOMMU_PROT_MASK, IOMMU_READ, IOMMU_WRITE, KVM_ARM_SMMU_DOMAIN_S2, KVM_HYP_LAST_REQ,
  KVM_HYP_REQ_TYPE_MEM, KVM_IOMMU_DOMAIN_IDMAP_ID, REQ_MEM_DEST_HYP_IOMMU, SMMU_EVT, type KvmHypReq,
} from './defs';
import { Smmuv3, type SmmuEvent, type SmmuSte } from './smmu';
import type { Stage2Walk } from './walk';
import { __pkvm_host_unuse_dma, __pkvm_host_use_dma, pkvm_dma_refs_init } from './dma-refs';
import {
  io_pgtable_iova_to_phys, io_pgtable_map_one, io_pgtable_unmap_one, kvm_arm_io_pgtable_alloc, kvm_arm_io_pgtable_free,
  kvm_iommu_vtcr, pgsize_supported,
} from './io-pgtable';

export type KvmIommuMode = 'hypercall' | 'mirror';

export interface KvmIommuOptions {
  mode: KvmIommuMode;
  /** The SMMU's table walker (coreStage2Walk(core) on a board with a core). */
  walk: Stage2Walk;
  /** Stream ids the SMMU decodes (one STE each). Default 64. */
  nrStreams?: number;
  /** IOTLB entries. Default 64. */
  iotlbSize?: number;
  /** Observer of terminated DMA transactions (e.g. the run trace). */
  onEvent?: (ev: SmmuEvent) => void;
}

/** struct kvm_hyp_iommu_domain with the SMMUv3 driver's stage-2 io-pgtable. */
export interface KvmHypIommuDomain {
  domain_id: number;
  /** 1 while allocated, + 1 per attached endpoint. */
  refs: number;
  type: number;
  pgt: KvmPgtable;
}

const noReq = (): KvmHypReq => ({ type: KVM_HYP_LAST_REQ, dest: 0, nr_pages: 0, sz_alloc: 0 });

export class KvmIommu {
  readonly smmu: Smmuv3;
  /** iommu_host_pool: hyp pages the host donated for IOMMU page tables. */
  readonly pool: HypPool;
  /** kvm_hyp_iommu_domains */
  readonly domains = new Map<number, KvmHypIommuDomain>();
  /** Per-CPU host_hyp_reqs: what the hyp needs before the host retries. */
  readonly host_hyp_reqs: KvmHypReq[];
  readonly dma_refs: Uint32Array;
  /** S2 translation control of the domains' tables. */
  readonly domain_vtcr: bigint;
  /** The CPU whose request slot a table allocation fills. */
  cpu = 0;

  constructor(readonly hyp: Pkvm, readonly mode: KvmIommuMode, opts: KvmIommuOptions) {
    this.smmu = new Smmuv3(opts.walk, opts.nrStreams ?? 64, opts.iotlbSize ?? 64);
    this.smmu.onEvent = opts.onEvent ?? null;
    this.pool = new HypPool(hyp.mem, hyp.vmemmap);
    hyp_pool_init(this.pool, 0n, 0, 0); /* hyp_pool_init_empty() */
    this.host_hyp_reqs = Array.from({ length: hyp.nr_cpus }, noReq);
    this.dma_refs = pkvm_dma_refs_init(hyp);
    this.domain_vtcr = kvm_iommu_vtcr(hyp.host_vtcr());
  }

  /** kvm_iommu_donate_page(): a zeroed page from the pool, or null and a memory request for the host. */
  donate_page(): bigint | null {
    const p = this.pool.hyp_alloc_pages(0);
    if (p !== null) return p;
    this.host_hyp_reqs[this.cpu] = { type: KVM_HYP_REQ_TYPE_MEM, dest: REQ_MEM_DEST_HYP_IOMMU, nr_pages: 1, sz_alloc: Number(PAGE_SIZE) };
    return null;
  }

  /** TLB maintenance of a domain's tables: SMMU commands for its VMID (the domain id). */
  domain_tlb(): KvmTlbOps {
    const smmu = this.smmu;
    return {
      flush_vmid_ipa: (vmid, ipa, level) => smmu.cmd(level >= 0 && level <= 3
        ? { op: 'TLBI_S2_IPA', vmid, ipa: ALIGN_DOWN(ipa, kvm_granule_size(level)), size: kvm_granule_size(level) }
        : { op: 'TLBI_S12_VMALL', vmid }),
      flush_vmid_range: (vmid, addr, size) => smmu.cmd({ op: 'TLBI_S2_IPA', vmid, ipa: addr, size }),
      flush_vmid: (vmid) => smmu.cmd({ op: 'TLBI_S12_VMALL', vmid }),
      flush_vm_context: () => smmu.cmd({ op: 'TLBI_NSNH_ALL' }),
    };
  }
}

const iommus = new WeakMap<Pkvm, KvmIommu>();

/** The IOMMU of this hyp, or null on a board without one. */
export function kvm_iommu(hyp: Pkvm): KvmIommu | null {
  return iommus.get(hyp) ?? null;
}

/** The paravirtual (hypercall) interface, or null: upstream's kvm_iommu_ops without map_pages & co. */
function pv(hyp: Pkvm): KvmIommu | null {
  const i = iommus.get(hyp);
  return i && i.mode === 'hypercall' ? i : null;
}

/** kvm_iommu_init(): give this hyp an SMMU in front of the board's devices. */
export function kvm_iommu_init(hyp: Pkvm, opts: KvmIommuOptions): KvmIommu {
  if (iommus.has(hyp)) throw new Error('kvm_iommu_init: the IOMMU is already initialised');
  const iommu = new KvmIommu(hyp, opts.mode, opts);
  iommus.set(hyp, iommu);
  if (opts.mode === 'mirror') kvm_iommu_share_host_stage2(hyp, iommu);
  return iommu;
}

/** Mirror mode: every STE translates with the host stage-2; the SMMU follows its TLB maintenance. */
function kvm_iommu_share_host_stage2(hyp: Pkvm, iommu: KvmIommu): void {
  const smmu = iommu.smmu;
  const ste: SmmuSte = { config: 's2', vmid: 0, vttbr: hyp.host_vttbr(), vtcr: hyp.host_vtcr(), s2s: true };
  for (let sid = 0; sid < smmu.nrStreams; sid++) smmu.write_ste(sid, ste);
  smmu.cmd({ op: 'CFGI_ALL' });
  smmu.cmd({ op: 'CMD_SYNC' });
  /* Broadcast TLB maintenance: the host stage-2's invalidations (VMID 0) reach the IOTLB. */
  const tlb = hyp.tlb;
  const cpu = { ...tlb };
  const s2 = iommu.domain_tlb();
  tlb.flush_vmid_ipa = (vmid, ipa, level) => { cpu.flush_vmid_ipa(vmid, ipa, level); if (vmid === 0) s2.flush_vmid_ipa(0, ipa, level); };
  tlb.flush_vmid_range = (vmid, addr, size) => { cpu.flush_vmid_range(vmid, addr, size); if (vmid === 0) s2.flush_vmid_range(0, addr, size); };
  tlb.flush_vmid = (vmid) => { cpu.flush_vmid(vmid); if (vmid === 0) s2.flush_vmid(0); };
  tlb.flush_vm_context = () => { cpu.flush_vm_context(); s2.flush_vm_context(); };
  /* A stalled translation fault on host memory is a host stage-2 abort taken for the device. */
  smmu.onStall = (ev) => {
    const page = ev.iova & PAGE_MASK;
    if (ev.type !== SMMU_EVT.F_TRANSLATION || !addr_is_memory(hyp, page)) return 'terminate';
    const ret = host_stage2_idmap(hyp, page);
    return ret === 0 || ret === -EEXIST ? 'retry' : 'terminate';
  };
}

/* ---- domains -------------------------------------------------------------------------------- */

export function kvm_iommu_alloc_domain(hyp: Pkvm, domain_id: number, type: number, cpu = 0): number {
  const iommu = pv(hyp);
  if (!iommu) return -ENODEV;
  if (domain_id === KVM_IOMMU_DOMAIN_IDMAP_ID || iommu.domains.has(domain_id)) return -EINVAL;
  /* smmu_alloc_domain(): type >= KVM_ARM_SMMU_DOMAIN_MAX is -EINVAL; stage-1 domains are not modelled. */
  if (type !== KVM_ARM_SMMU_DOMAIN_S2) return -EINVAL;
  iommu.cpu = cpu;
  const { ret, pgt } = kvm_arm_io_pgtable_alloc(hyp, iommu, domain_id, iommu.domain_tlb());
  if (ret) return ret;
  iommu.domains.set(domain_id, { domain_id, refs: 1, type, pgt: pgt! });
  return 0;
}

export function kvm_iommu_free_domain(hyp: Pkvm, domain_id: number): number {
  const iommu = pv(hyp);
  if (!iommu) return -ENODEV;
  const domain = iommu.domains.get(domain_id);
  /* "Host is lying, the domain is alive!": devices are still attached. */
  if (!domain || domain.refs !== 1) return -EINVAL;
  kvm_arm_io_pgtable_free(domain.pgt);
  iommu.smmu.cmd({ op: 'TLBI_S12_VMALL', vmid: domain_id });
  iommu.smmu.cmd({ op: 'CMD_SYNC' });
  iommu.domains.delete(domain_id);
  return 0;
}

export function kvm_iommu_attach_dev(
  hyp: Pkvm, iommu_id: number, domain_id: number, endpoint: number, pasid: number, _pasid_bits: number,
): number {
  const iommu = pv(hyp);
  if (!iommu) return -ENODEV;
  if (iommu_id !== 0) return -EINVAL;
  const domain = iommu.domains.get(domain_id);
  if (!domain || endpoint >= iommu.smmu.nrStreams) return -EINVAL;
  /* smmu_attach_dev(): device already attached, or a PASID for a stage-2 domain. */
  if (iommu.smmu.strtab[endpoint] || pasid) return -EBUSY;
  iommu.smmu.write_ste(endpoint, { config: 's2', vmid: domain_id, vttbr: domain.pgt.pgd!, vtcr: iommu.domain_vtcr, s2s: false });
  iommu.smmu.cmd({ op: 'CFGI_STE', sid: endpoint });
  iommu.smmu.cmd({ op: 'CMD_SYNC' });
  domain.refs++;
  return 0;
}

export function kvm_iommu_detach_dev(hyp: Pkvm, iommu_id: number, domain_id: number, endpoint: number, pasid: number): number {
  const iommu = pv(hyp);
  if (!iommu) return -ENODEV;
  if (iommu_id !== 0) return -EINVAL;
  const domain = iommu.domains.get(domain_id);
  if (!domain || domain.refs <= 1 || endpoint >= iommu.smmu.nrStreams || pasid) return -EINVAL;
  const ste = iommu.smmu.strtab[endpoint];
  if (!ste || ste.vmid !== domain_id) return -EINVAL;
  iommu.smmu.write_ste(endpoint, null);
  iommu.smmu.cmd({ op: 'CFGI_STE', sid: endpoint });
  iommu.smmu.cmd({ op: 'CMD_SYNC' });
  domain.refs--;
  return 0;
}

/* ---- map / unmap ---------------------------------------------------------------------------- */

const overflows = (a: bigint, b: bigint): boolean => a + b > U64_MASK;

/**
 * kvm_iommu_map_pages(): map pgcount pages of pgsize at iova -> paddr. Returns
 * the bytes mapped and an error; -ENOMEM is not an error but a request (the
 * host refills the pool and calls again for the rest). Errors: -ENODEV (no
 * paravirtual IOMMU), -EOPNOTSUPP (prot), -E2BIG (size overflow), -EINVAL
 * (domain 0, unsupported page size or alignment, bad range), -ENOENT (no such
 * domain), -EPERM (a page the host neither owns nor shares, or MMIO),
 * -EEXIST (already mapped), -ERANGE (beyond the IOVA space).
 */
export function kvm_iommu_map_pages(
  hyp: Pkvm, domain_id: number, iova: bigint, paddr: bigint, pgsize: bigint, pgcount: bigint, prot: number, cpu = 0,
): { ret: number; mapped: bigint } {
  const iommu = pv(hyp);
  if (!iommu) return { ret: -ENODEV, mapped: 0n };
  if (prot & ~IOMMU_PROT_MASK) return { ret: -EOPNOTSUPP, mapped: 0n };
  const size = pgsize * pgcount;
  if (size > U64_MASK || overflows(iova, size) || overflows(paddr, size)) return { ret: -E2BIG, mapped: 0n };
  if (domain_id === KVM_IOMMU_DOMAIN_IDMAP_ID) return { ret: -EINVAL, mapped: 0n };
  const domain = iommu.domains.get(domain_id);
  if (!domain) return { ret: -ENOENT, mapped: 0n };
  if (!pgsize_supported(pgsize) || (iova | paddr) & (pgsize - 1n)) return { ret: -EINVAL, mapped: 0n };
  if (iova + size > 1n << BigInt(domain.pgt.ia_bits)) return { ret: -ERANGE, mapped: 0n };
  /* arm_lpae_map_pages(): no access, nothing to do. */
  if (!(prot & (IOMMU_READ | IOMMU_WRITE)) || !pgcount) return { ret: 0, mapped: 0n };
  let ret = __pkvm_host_use_dma(hyp, paddr, size);
  if (ret) return { ret, mapped: 0n };
  iommu.cpu = cpu;
  let mapped = 0n;
  while (mapped < size) {
    ret = io_pgtable_map_one(domain.pgt, iova + mapped, paddr + mapped, pgsize, prot);
    if (ret) break;
    mapped += pgsize;
  }
  /* Unuse what was not mapped: the host calls again to continue, or unmaps what was done. */
  if (mapped < size) __pkvm_host_unuse_dma(hyp, paddr + mapped, size - mapped);
  /* Mask -ENOMEM, as it is passed as a request. */
  return { ret: ret === -ENOMEM ? 0 : ret, mapped };
}

/**
 * kvm_iommu_unmap_pages(): unmap up to pgcount leaves of pgsize from iova,
 * stopping at the first hole or leaf of another size; each page's DMA
 * reference is dropped only after the IOTLB invalidation has completed.
 * Returns the bytes unmapped.
 */
export function kvm_iommu_unmap_pages(hyp: Pkvm, domain_id: number, iova: bigint, pgsize: bigint, pgcount: bigint): bigint {
  const iommu = pv(hyp);
  if (!iommu || !pgsize || !pgcount) return 0n;
  const size = pgsize * pgcount;
  if (size > U64_MASK || overflows(iova, size) || domain_id === KVM_IOMMU_DOMAIN_IDMAP_ID) return 0n;
  const domain = iommu.domains.get(domain_id);
  if (!domain || !pgsize_supported(pgsize) || iova & (pgsize - 1n)) return 0n;
  let unmapped = 0n;
  while (unmapped < size) {
    const r = io_pgtable_unmap_one(domain.pgt, iova + unmapped, pgsize);
    if (!r.size) break;
    iommu.smmu.cmd({ op: 'CMD_SYNC' }); /* kvm_iommu_iotlb_sync() */
    WARN_ON(__pkvm_host_unuse_dma(hyp, r.phys, pgsize), 'unmap_pages: unuse_dma');
    unmapped += pgsize;
  }
  return unmapped;
}

export function kvm_iommu_iova_to_phys(hyp: Pkvm, domain_id: number, iova: bigint): bigint {
  const iommu = pv(hyp);
  const domain = iommu?.domains.get(domain_id);
  return domain ? io_pgtable_iova_to_phys(domain.pgt, iova) : 0n;
}

/* ---- the IOMMU pool (hyp allocator management, alloc_mgt.c) ----------------------------------- */

/** kvm_iommu_refill(): admit the host's pages (a memcache list) into the IOMMU pool. */
export function kvm_iommu_refill(hyp: Pkvm, host_mc: KvmHypMemcache): number {
  const iommu = kvm_iommu(hyp);
  if (!iommu) return -EINVAL;
  const vmm = hyp.vmemmap;
  while (host_mc.nr_pages) {
    /* Only order-0 pages: the low bits of the head encode the order. */
    if (host_mc.head & ~PAGE_MASK & U64_MASK) return -EINVAL;
    const phys = host_mc.head & PAGE_MASK;
    /* admit_host_page(): take ownership first, then follow the link, which the host can no longer change. */
    if (__pkvm_host_donate_hyp(hyp, phys >> 12n, 1n)) return -EINVAL;
    const tmp = { head: host_mc.head, nr_pages: host_mc.nr_pages };
    pop_hyp_memcache(hyp.mem, tmp);
    host_mc.head = tmp.head;
    host_mc.nr_pages = tmp.nr_pages;
    const i = vmm.idx(phys);
    vmm.setOrder(i, 0);
    vmm.hyp_set_page_refcounted(i);
    iommu.pool.hyp_put_page(phys);
  }
  return 0;
}

/** kvm_iommu_reclaim(): give up to `target` free pool pages back to the host, linked in host_mc. */
export function kvm_iommu_reclaim(hyp: Pkvm, host_mc: KvmHypMemcache, target: number): void {
  const iommu = kvm_iommu(hyp);
  if (!iommu) return;
  for (let n = 0; n < target; n++) {
    const p = iommu.pool.hyp_alloc_pages(0);
    if (p === null) break;
    hyp.vmemmap.hyp_page_ref_dec(hyp.vmemmap.idx(p));
    push_hyp_memcache(hyp.mem, host_mc, p);
    WARN_ON(__pkvm_hyp_donate_host(hyp, p >> 12n, 1n), 'iommu reclaim: hyp_donate_host');
  }
}

export function kvm_iommu_reclaimable(hyp: Pkvm): number {
  return kvm_iommu(hyp)?.pool.free_pages() ?? 0;
}

/* hyp_alloc_mgt_refill / reclaimable / reclaim dispatch here for HYP_ALLOC_MGT_IOMMU_ID: ../alloc/alloc-mgt.ts. */

/** hyp_reqs_smccc_encode(): x1 = ret, x2/x3 = the pending request of this CPU (then cleared). */
export function hyp_reqs_smccc_encode(hyp: Pkvm, ret: number | bigint, ctxt: bigint[], cpu: number): void {
  ctxt[1] = BigInt.asUintN(64, BigInt(ret));
  const iommu = kvm_iommu(hyp);
  const req = iommu?.host_hyp_reqs[cpu] ?? noReq();
  ctxt[2] = BigInt(req.type) | (BigInt(req.dest) << 8n);
  ctxt[3] = BigInt(req.nr_pages) | (BigInt(req.sz_alloc) << 32n);
  if (iommu) iommu.host_hyp_reqs[cpu] = noReq();
}

