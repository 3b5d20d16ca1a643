/**
 * IOMMU part of the invariant checker (hyp/invariants.ts calls it before its
 * per-page pass). Safety invariants:
 *  - no IOMMU mapping of a page the host neither owns nor shares: every valid
 *    leaf of every domain maps RAM whose host state is OWNED, SHARED_OWNED or
 *    SHARED_BORROWED (never NOPAGE: not a guest's, not the hyp's);
 *  - a page holds at least as many DMA references as it has IOMMU mappings
 *    (otherwise it could be donated while mapped), and none when the host
 *    lost it;
 *  - the IOTLB holds no translation the tables no longer give (a missed
 *    invalidation would keep a page in DMA reach after it left the host);
 *  - STEs: a stream translates with a live domain's tables (hypercall mode)
 *    or with the host stage-2 (mirror mode); domain refs = 1 + attached streams;
 *  - IOMMU table pages and free pool pages are hyp-owned.
 * Strict (accounting) invariant: DMA references equal IOMMU mappings, i.e. no
 * reference left behind by a domain freed with live mappings (upstream keeps
 * such pages pinned for DMA forever).
 */
import type { Pkvm } from '../index';
import type { KvmPgtable } from '../pgtable';
import { PKVM_NOPAGE, PKVM_PAGE_OWNED, PAGE_STATE_NAMES } from '../page-state';
import { PAGE_SIZE, kvm_granule_size, kvm_pte_to_phys, kvm_pte_valid } from '../pgtable-defs';
import { kvm_iommu } from './iommu';
import { S2_PERM_W } from './walk';

interface Leaf { ipa: bigint; level: number; pte: bigint }

/** What hyp/invariants.ts shares with this pass. */
export interface IommuInvariantCtx {
  err(m: string): void;
  strict: boolean;
  rawWalk(pgt: KvmPgtable, onLeaf: (l: Leaf) => void, onTable: (pa: bigint, used: number) => void): void;
  checkTable(what: string): (pa: bigint, used: number) => void;
  checkFree(pg: bigint, what: string): void;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function checkIommuInvariants(hyp: Pkvm, ctx: IommuInvariantCtx): void {
  const iommu = kvm_iommu(hyp);
  if (!iommu) return;
  const { err } = ctx;
  const vmm = hyp.vmemmap;
  /* IOMMU mappings per RAM page (vmemmap index). */
  const mappings = new Uint32Array(vmm.nrPages);

  for (const d of iommu.domains.values()) {
    const what = `iommu domain ${d.domain_id}`;
    if (d.pgt.pgd === null) { err(`${what}: no PGD`); continue; }
    ctx.rawWalk(d.pgt, ({ ipa, level, pte }) => {
      if (!kvm_pte_valid(pte)) return err(`${what}: invalid non-zero pte at ${hex(ipa)}: ${hex(pte)}`);
      const phys = kvm_pte_to_phys(pte);
      for (let off = 0n; off < kvm_granule_size(level); off += PAGE_SIZE) {
        const p = phys + off;
        if (!hyp.mem.isMemory(p)) { err(`${what}: iova ${hex(ipa + off)} maps non-RAM ${hex(p)}`); continue; }
        const i = vmm.idx(p);
        const hs = vmm.get_host_state(i);
        if (hs === PKVM_NOPAGE || vmm.get_hyp_state(i) === PKVM_PAGE_OWNED)
          err(`${what}: iova ${hex(ipa + off)} maps ${hex(p)}, which the host neither owns nor shares (host ${PAGE_STATE_NAMES[hs]})`);
        mappings[i]!++;
      }
    }, ctx.checkTable(what));
    const attached = iommu.smmu.strtab.filter((s) => s && s.config === 's2' && s.vmid === d.domain_id).length;
    if (iommu.mode === 'hypercall' && d.refs !== 1 + attached) err(`${what}: refs ${d.refs} != 1 + ${attached} attached streams`);
  }
  for (const pg of iommu.pool.free_area.flat()) ctx.checkFree(pg, 'iommu pool');

  /* DMA references vs mappings. */
  const refs = iommu.dma_refs;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i]!;
    const m = mappings[i]!;
    if (!r && !m) continue;
    const pa = hyp.mem.ramBase + BigInt(i) * PAGE_SIZE;
    if (r < m) err(`${hex(pa)}: ${m} IOMMU mappings but ${r} DMA references`);
    if (r && vmm.get_host_state(i) === PKVM_NOPAGE) err(`${hex(pa)}: DMA references on a page the host does not have`);
    if (ctx.strict && r > m) err(`${hex(pa)}: ${r} DMA references for ${m} IOMMU mappings (leaked)`);
  }

  /* STEs. */
  iommu.smmu.strtab.forEach((ste, sid) => {
    if (!ste) return;
    if (iommu.mode === 'mirror') {
      if (ste.config !== 's2' || ste.vmid !== 0 || ste.vttbr !== hyp.host_vttbr() || ste.vtcr !== hyp.host_vtcr())
        err(`smmu: stream ${sid} does not translate with the host stage-2`);
      return;
    }
    const d = iommu.domains.get(ste.vmid);
    if (ste.config !== 's2' || !d || ste.vttbr !== d.pgt.pgd || ste.vtcr !== iommu.domain_vtcr)
      err(`smmu: stream ${sid} translates with no live domain (vmid ${ste.vmid})`);
  });

  /* IOTLB coherent with the tables. */
  for (const e of iommu.smmu.iotlbEntries()) {
    let vttbr: bigint | null = null;
    let vtcr = 0n;
    if (iommu.mode === 'mirror' && e.vmid === 0) { vttbr = hyp.host_vttbr(); vtcr = hyp.host_vtcr(); }
    const d = iommu.domains.get(e.vmid);
    if (iommu.mode === 'hypercall' && d) { vttbr = d.pgt.pgd; vtcr = iommu.domain_vtcr; }
    if (vttbr === null) { err(`smmu: IOTLB entry for dead vmid ${e.vmid} at iova ${hex(e.iova)}`); continue; }
    const w = iommu.smmu.walk(e.iova, (e.perms & S2_PERM_W) !== 0, vttbr, vtcr);
    if (!('pa' in w) || w.pa !== e.pa) err(`smmu: stale IOTLB entry vmid ${e.vmid} iova ${hex(e.iova)} -> ${hex(e.pa)}`);
  }
}
