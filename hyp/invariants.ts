/**
 * Cross-checks of everything that records page ownership: hyp_vmemmap, the
 * host stage-2, every guest stage-2, the pools and the VM/vCPU tables. The
 * page tables are read back with an independent raw walk of the descriptors.
 *
 * Safety invariants always apply. `strict` adds accounting invariants that a
 * well-behaved host keeps but upstream does not enforce (e.g. no guest page
 * left behind by a VM finalized before its pages were reclaimed, no refcount
 * left on pages handed back after a failed __pkvm_init_vm()).
 */
import type { Pkvm } from './index';
import type { KvmPgtable } from './pgtable';
import {
  PKVM_ID_GUEST, PKVM_ID_HYP, PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED, PKVM_PAGE_SHARED_OWNED,
  PAGE_STATE_NAMES,
} from './page-state';
import {
  FIELD_GET, KVM_GUEST_INVALID_PTE_TYPE_POISONED, KVM_HOST_DONATION_PTE_EXTRA_MASK, KVM_HOST_DONATION_PTE_OWNER_MASK,
  KVM_HOST_INVALID_PTE_TYPE_DONATION, KVM_HOST_PTE_OWNER_GUEST_GFN_MASK, KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK,
  KVM_INVALID_PTE_ANNOT_MASK, KVM_PGTABLE_LAST_LEVEL, KVM_PTE_LEAF_ATTR_HI_S2_XN, KVM_PTE_LEAF_ATTR_LO_S2_AF,
  KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R, KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W,
  KVM_PTE_LEAF_ATTR_LO_S2_SH, PAGE_SIZE, kvm_granule_size, kvm_invalid_pte_type, kvm_pte_table, kvm_pte_to_phys,
  kvm_pte_valid, pkvm_getstate,
} from './pgtable-defs';
import { kvm_pgd_pages } from './vtcr';
import { RESERVED_ENTRY } from './pkvm';
import { checkIommuInvariants } from './iommu/invariants';

interface Leaf { ipa: bigint; level: number; pte: bigint }

/**
 * Visit every non-zero leaf and every table page (with its non-zero entry count). A table page in
 * RAM is scanned as 32-bit words through the PhysMem's live view of RAM when it offers one (else
 * read once as bytes), so an empty entry costs no 64-bit read; a table outside RAM throws, as
 * readU64() would.
 */
function rawWalk(pgt: KvmPgtable, onLeaf: (l: Leaf) => void, onTable: (pa: bigint, used: number) => void): void {
  const mem = pgt.mem;
  const ram = mem.ramView?.() ?? null;
  const visit = (table: bigint, level: number, base: bigint): void => {
    let used = 0;
    let dv: DataView;
    let o = 0;
    const off = table - mem.ramBase;
    if (ram && off >= 0n && off + PAGE_SIZE <= mem.ramSize) { dv = ram; o = Number(off); }
    else { const b = mem.readBytes(table, 4096); dv = new DataView(b.buffer, b.byteOffset, 4096); }
    const gran = kvm_granule_size(level);
    for (let i = 0; i < 512; i++) {
      const e = o + i * 8;
      if (dv.getUint32(e, true) === 0 && dv.getUint32(e + 4, true) === 0) continue;
      const pte = dv.getBigUint64(e, true);
      used++;
      const ipa = base + BigInt(i) * gran;
      if (kvm_pte_table(pte, level)) visit(kvm_pte_to_phys(pte), level + 1, ipa);
      else onLeaf({ ipa, level, pte });
    }
    onTable(table, used);
  };
  const nr = kvm_pgd_pages(pgt.ia_bits, pgt.start_level);
  for (let p = 0; p < nr; p++)
    visit(pgt.pgd! + BigInt(p) * PAGE_SIZE, pgt.start_level, BigInt(p) * kvm_granule_size(pgt.start_level - 1));
}

/* The attribute bits checked on a host leaf, and their values for memory and for MMIO; on a guest leaf. */
const low = (mask: bigint): bigint => mask & -mask;
const HOST_ATTR_MASK = KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R | KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W | KVM_PTE_LEAF_ATTR_HI_S2_XN |
  KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR | KVM_PTE_LEAF_ATTR_LO_S2_AF | KVM_PTE_LEAF_ATTR_LO_S2_SH;
const GUEST_ATTR_MASK = KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR | KVM_PTE_LEAF_ATTR_LO_S2_SH;
const GUEST_ATTR = 0xfn * low(KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR) | 3n * low(KVM_PTE_LEAF_ATTR_LO_S2_SH);
const HOST_ATTR_MEM = KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R | KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W | KVM_PTE_LEAF_ATTR_LO_S2_AF | GUEST_ATTR;
const HOST_ATTR_MMIO = HOST_ATTR_MEM | 2n * low(KVM_PTE_LEAF_ATTR_HI_S2_XN);

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const st = (s: number): string => PAGE_STATE_NAMES[s] ?? `?${s}`;

export function checkInvariants(hyp: Pkvm, opts: { strict?: boolean } = {}): string[] {
  const errs: string[] = [];
  const err = (m: string): void => void (errs.length < 50 && errs.push(m));
  const vmm = hyp.vmemmap;
  const n = vmm.nrPages;
  const base = hyp.mem.ramBase;
  const pa = (i: number): bigint => base + BigInt(i) * PAGE_SIZE;
  const ramEnd = pa(n);
  const inRam = (p: bigint): boolean => hyp.mem.isMemory(p);
  const hostLeaf: (bigint | undefined)[] = new Array(n);
  const tablePages = new Set<bigint>();
  const hypOwnedExpected = new Set<bigint>();
  const checkTable = (what: string) => (t: bigint, used: number): void => {
    tablePages.add(t);
    if (!inRam(t)) return err(`${what}: table page ${hex(t)} outside RAM`);
    const i = vmm.idx(t);
    if (vmm.refcount(i) !== 1 + used) err(`${what}: table ${hex(t)} refcount ${vmm.refcount(i)} != 1 + ${used}`);
    if (vmm.get_hyp_state(i) !== PKVM_PAGE_OWNED) err(`${what}: table ${hex(t)} not hyp-owned`);
  };

  /* Host stage-2: identity, host attributes, page-level donation annotations. */
  /* Per RAM page: the host leaf's kind (0 none, 1 valid, 2 invalid) and an invalid one's owner id. */
  const hostKind = new Uint8Array(n);
  const hostOwner = new Int8Array(n).fill(-1);
  rawWalk(hyp.host_mmu.pgt, ({ ipa, level, pte }) => {
    const size = kvm_granule_size(level);
    const valid = kvm_pte_valid(pte);
    let owner = -1;
    if (valid) {
      if (kvm_pte_to_phys(pte) !== ipa) err(`host: ${hex(ipa)} not identity-mapped`);
      /* S2AP R and W, XN 0 on memory and 2 on MMIO, MEMATTR 0xf, AF, SH 3. */
      if ((pte & HOST_ATTR_MASK) !== (hyp.mem.isMemory(ipa) ? HOST_ATTR_MEM : HOST_ATTR_MMIO))
        err(`host: bad attributes at ${hex(ipa)}: ${hex(pte)}`);
    } else {
      if (level !== KVM_PGTABLE_LAST_LEVEL || kvm_invalid_pte_type(pte) !== KVM_HOST_INVALID_PTE_TYPE_DONATION)
        err(`host: bad invalid pte at ${hex(ipa)} level ${level}: ${hex(pte)}`);
      owner = Number(FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, pte));
    }
    /* The pages of RAM the leaf covers (RAM is [base, ramEnd), as vmemmap covers it). */
    const first = ipa > base ? ipa : base;
    const end = ipa + size < ramEnd ? ipa + size : ramEnd;
    if (first < end) {
      for (let i = Number((first - base) >> 12n), e = Number((end - base) >> 12n); i < e; i++) {
        hostLeaf[i] = pte;
        hostKind[i] = valid ? 1 : 2;
        hostOwner[i] = owner;
      }
    }
  }, checkTable('host'));

  /* Guest stage-2s. */
  /* Per RAM page (vmemmap index): guest borrow mappings, and the states guests map it with. */
  const borrowed = new Uint32Array(n);
  const guestMapped: (string[] | undefined)[] = new Array(n);
  const vmsByHandle = new Map(hyp.vms().map((vm) => [vm.handle, vm]));
  for (const vm of vmsByHandle.values()) {
    const g = `vm ${hex(BigInt(vm.handle))}`;
    rawWalk(vm.pgt, ({ ipa, level, pte }) => {
      if (!kvm_pte_valid(pte)) {
        if (level !== KVM_PGTABLE_LAST_LEVEL || kvm_invalid_pte_type(pte) !== KVM_GUEST_INVALID_PTE_TYPE_POISONED ||
          (pte & KVM_INVALID_PTE_ANNOT_MASK))
          err(`${g}: bad invalid pte at ${hex(ipa)}: ${hex(pte)}`);
        return;
      }
      const state = pkvm_getstate(pte);
      const phys = kvm_pte_to_phys(pte);
      const size = kvm_granule_size(level);
      /* AF may be cleared by __pkvm_host_test_clear_young_guest(). */
      if ((pte & GUEST_ATTR_MASK) !== GUEST_ATTR) err(`${g}: bad attributes at ${hex(ipa)}: ${hex(pte)}`); /* MEMATTR 0xf, SH 3 */
      if (state !== PKVM_PAGE_SHARED_BORROWED && level !== KVM_PGTABLE_LAST_LEVEL) err(`${g}: ${st(state)} block at ${hex(ipa)}`);
      for (let off = 0n; off < size; off += PAGE_SIZE) {
        const p = phys + off;
        if (!inRam(p)) { err(`${g}: ${hex(ipa + off)} maps non-RAM ${hex(p)}`); continue; }
        const i = vmm.idx(p);
        const hs = vmm.get_host_state(i);
        (guestMapped[i] ??= []).push(st(state));
        if (vmm.get_hyp_state(i) !== PKVM_NOPAGE) err(`${g}: ${hex(p)} mapped in guest but hyp state ${st(vmm.get_hyp_state(i))}`);
        if (state === PKVM_PAGE_OWNED) {
          const a = hostLeaf[i] ?? 0n;
          const meta = FIELD_GET(KVM_HOST_DONATION_PTE_EXTRA_MASK, a);
          if (hs !== PKVM_NOPAGE || FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, a) !== BigInt(PKVM_ID_GUEST) ||
            FIELD_GET(KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK, meta) !== BigInt(vm.handle) ||
            FIELD_GET(KVM_HOST_PTE_OWNER_GUEST_GFN_MASK, meta) !== (ipa + off) >> 12n)
            err(`${g}: owned page ${hex(p)} (gfn ${hex((ipa + off) >> 12n)}) host ${st(hs)} annotation ${hex(a)}`);
        } else if (state === PKVM_PAGE_SHARED_OWNED) {
          if (hs !== PKVM_PAGE_SHARED_BORROWED) err(`${g}: guest-shared page ${hex(p)} host ${st(hs)}`);
        } else if (state === PKVM_PAGE_SHARED_BORROWED) {
          if (hs !== PKVM_PAGE_SHARED_OWNED) err(`${g}: borrowed page ${hex(p)} host ${st(hs)}`);
          borrowed[i]!++;
        } else err(`${g}: bad SW state ${state} at ${hex(ipa)}`);
      }
    }, checkTable(g));
    for (const pg of vm.pool.free_area.flat()) checkFree(pg, `${g} pool`);
    for (let a = vm.pa; a < vm.pa + vm.vm_size; a += PAGE_SIZE) hypOwnedExpected.add(a);
    const loaded = vm.vcpus.filter((v) => v && v.loaded_cpu !== null).length;
    if (vmm.refcount(vmm.idx(vm.pa)) !== loaded) err(`${g}: VM page refcount ${vmm.refcount(vmm.idx(vm.pa))} != ${loaded} loaded vCPUs`);
    if (vmm.get_hyp_state(vmm.idx(vm.host_kvm)) !== PKVM_PAGE_SHARED_BORROWED || !vmm.refcount(vmm.idx(vm.host_kvm)))
      err(`${g}: host struct kvm not shared and pinned`);
    for (const v of vm.vcpus) {
      if (!v) continue;
      hypOwnedExpected.add(v.pa);
      if (v.loaded_cpu !== null && hyp.loaded_hyp_vcpu[v.loaded_cpu] !== v) err(`${g}: vCPU ${v.vcpu_idx} loaded state inconsistent`);
      let p = v.pkvm_memcache.head;
      for (let k = 0n; k < v.pkvm_memcache.nr_pages; k++) {
        hypOwnedExpected.add(p);
        if (!inRam(p)) { err(`${g}: memcache page ${hex(p)} outside RAM`); break; }
        p = hyp.mem.readU64(p);
      }
    }
  }
  hyp.loaded_hyp_vcpu.forEach((v, cpu) => {
    if (v && (v.loaded_cpu !== cpu || vmsByHandle.get(v.vm.handle) !== v.vm)) err(`cpu ${cpu}: bad loaded vCPU`);
  });
  function checkFree(pg: bigint, what: string): void {
    if (vmm.refcount(vmm.idx(pg)) !== 0) err(`${what}: free page ${hex(pg)} has refcount`);
    hypOwnedExpected.add(pg);
  }
  for (const pg of hyp.host_s2_pool.free_area.flat()) checkFree(pg, 'host_s2_pool');
  /* The hyp heap's pages and the tracing ring's simple_buffer_page backing (hyp/alloc, hyp/tracing). */
  for (const p of hyp.heap.owned_pages()) hypOwnedExpected.add(p);
  const tb = hyp.tracing;
  for (let a = tb.bpages_backing_start; a < tb.bpages_backing_start + tb.bpages_backing_size; a += PAGE_SIZE) hypOwnedExpected.add(a);
  /* IOMMU hook: domain tables, pool, DMA references, STEs and IOTLB (hyp/iommu/invariants.ts). */
  checkIommuInvariants(hyp, { err, strict: !!opts.strict, rawWalk, checkTable, checkFree });

  /* Per page: vmemmap vs host stage-2 vs guests. */
  const { base: cb, size: cs } = hyp.carveout;
  /* Pages some structure accounts for (1: hyp-owned expected, 2: a table page), by page index. */
  const accounted = new Uint8Array(n);
  for (const p of hypOwnedExpected) if (p >= base && p < ramEnd) accounted[Number((p - base) >> 12n)] |= 1;
  for (const p of tablePages) if (p >= base && p < ramEnd) accounted[Number((p - base) >> 12n)] |= 2;
  const inCarveout = (i: number): boolean => { const p = pa(i); return p >= cb && p < cb + cs; };
  for (let i = 0; i < n; i++) {
    const hs = vmm.get_host_state(i);
    const ys = vmm.get_hyp_state(i);
    const kind = hostKind[i]!;
    const count = vmm.shareCount(i);
    if (ys === PKVM_PAGE_SHARED_OWNED || ys > PKVM_NOPAGE || hs > PKVM_NOPAGE) err(`${hex(pa(i))}: bad states host ${hs} hyp ${ys}`);
    if (hs === PKVM_NOPAGE) {
      if (kind !== 2) err(`${hex(pa(i))}: host NOPAGE but host pte ${hex(hostLeaf[i] ?? 0n)}`);
    } else if (kind === 2) err(`${hex(pa(i))}: host ${st(hs)} but annotated ${hex(hostLeaf[i]!)}`);
    const owner = hostOwner[i]!;
    if ((ys === PKVM_PAGE_OWNED) !== (owner === PKVM_ID_HYP)) err(`${hex(pa(i))}: hyp ${st(ys)} but host annotation owner ${owner}`);
    if (owner === PKVM_ID_HYP && FIELD_GET(KVM_HOST_DONATION_PTE_EXTRA_MASK, hostLeaf[i]!)) err(`${hex(pa(i))}: hyp annotation with metadata`);
    if (ys === PKVM_PAGE_SHARED_BORROWED && hs !== PKVM_PAGE_SHARED_OWNED) err(`${hex(pa(i))}: hyp borrows but host ${st(hs)}`);
    if (ys !== PKVM_PAGE_SHARED_BORROWED && ys !== PKVM_PAGE_OWNED && vmm.refcount(i) && opts.strict)
      err(`${hex(pa(i))}: refcount ${vmm.refcount(i)} on a page the hyp does not hold`);
    if (count && (hs !== PKVM_PAGE_SHARED_OWNED || ys !== PKVM_NOPAGE)) err(`${hex(pa(i))}: share count ${count} but host ${st(hs)} hyp ${st(ys)}`);
    const b = borrowed[i]!;
    if (b > count || (opts.strict && b !== count)) err(`${hex(pa(i))}: ${b} guest borrow mappings, share count ${count}`);
    const gm = guestMapped[i];
    if (gm && gm.length > 1 && gm.some((s) => s !== 'SHARED_BORROWED')) err(`${hex(pa(i))}: mapped by several guests as ${gm.join(',')}`);
    /* A page left donated to a VM finalized without reclaiming it stays annotated for its (maybe reused) handle. */
    if (owner === PKVM_ID_GUEST && !gm?.includes('OWNED') && opts.strict) {
      const meta = FIELD_GET(KVM_HOST_DONATION_PTE_EXTRA_MASK, hostLeaf[i]!);
      err(`${hex(pa(i))}: annotated for guest ${hex(meta & 0xffffn)} gfn ${hex(meta >> 16n)}, not owned there`);
    }
    if (ys === PKVM_PAGE_OWNED && !accounted[i] && !inCarveout(i) && opts.strict)
      err(`${hex(pa(i))}: hyp-owned page with no owner structure (leaked)`);
  }
  for (const p of hypOwnedExpected) if (inRam(p) && vmm.get_hyp_state(vmm.idx(p)) !== PKVM_PAGE_OWNED) err(`${hex(p)}: expected hyp-owned`);
  for (const e of hyp.vm_table) if (e !== null && e !== RESERVED_ENTRY && e.pgt.pgd === null) err('published VM without a PGD');
  return errs;
}
