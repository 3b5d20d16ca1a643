/**
 * __pkvm_host_donate_guest() of one page, for the common case only, over the raw descriptors: the
 * page is host OWNED (and not mapped for DMA), the guest IPA is an empty entry of an existing
 * level-3 table, and the host stage-2 has a level-3 table for the page (its entry empty, or the
 * idmap of the page). Then no page-table page is allocated, no block is split, and the donation is
 * exactly: host entry ← donation annotation (owner guest, handle, gfn), host state NOPAGE, guest
 * entry ← the page, RWX, OWNED; with the table references and the TLB maintenance that
 * kvm_pgtable_stage2_annotate()/kvm_pgtable_stage2_map() make for those entries (mem-protect-guest.ts).
 *
 * pkvm_host_donate_guest_check() tells whether the case applies without changing anything;
 * pkvm_host_donate_guest_commit() then performs it. Anything else takes the full path. The result is
 * the same memory, vmemmap and TLB state as __pkvm_host_donate_guest() (test/hyp/donate-fast.test.ts
 * and test/host/fault-fast-path.test.ts compare them).
 *
 * Addresses are Numbers here (physical addresses and IPAs stay below 2^48), descriptors 32-bit word
 * pairs: this runs once per guest page fault.
 */
import type { Pkvm } from './index';
import type { PkvmHypVcpu, PkvmHypVm } from './hyp-vm';
import type { RamWords } from './phys-mem';
import { stage2_set_prot_attr } from './pgtable-stage2';
import { KVM_PGTABLE_PROT_RWX, pkvm_mkstate } from './pgtable-defs';
import { PKVM_ID_GUEST, PKVM_PAGE_OWNED, PKVM_NOPAGE } from './page-state';
import { hyp_page_dma_refs } from './iommu/dma-refs';

const TWO32 = 0x1_0000_0000;

/** The words of the level-3 entry for `addr` below the start-level table(s) of a stage-2, or -1. */
function level3Entry(ram: RamWords, pgd: number, startLevel: number, iaBits: number, addr: number): number {
  if (addr >= 2 ** iaBits) return -1;
  // kvm_pgd_page_idx(): the concatenated start-level table holding addr
  let table = pgd + Math.floor(addr / 2 ** (9 * (5 - startLevel) + 3)) * 4096;
  for (let level = startLevel; ; level++) {
    const index = Math.floor(addr / 2 ** (39 - 9 * level)) % 512;
    const w = ram.wordOf(table + index * 8);
    if (w < 0) return -1;
    if (level === 3) return w;
    const lo = ram.words[w]!, hi = ram.words[w + 1]!;
    if ((lo & 3) !== 3) return -1; // not a table descriptor: an empty entry or a block above level 3
    table = (hi & 0xffff) * TWO32 + (lo >>> 12) * 4096; // the next table: output address [47:12]
  }
}

/** The guest's stage-2 attributes of a donated page (RWX, OWNED), as descriptor words, per VM. */
const ownedAttr = new WeakMap<PkvmHypVm, { lo: number; hi: number }>();
function guestOwnedAttr(vm: PkvmHypVm): { lo: number; hi: number } | null {
  let a = ownedAttr.get(vm);
  if (!a) {
    const { ret, attr } = stage2_set_prot_attr(vm.pgt, pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED));
    if (ret) return null;
    a = { lo: Number(attr & 0xffff_ffffn), hi: Number(attr >> 32n) };
    ownedAttr.set(vm, a);
  }
  return a;
}

export interface DonateGuestPlan {
  vm: PkvmHypVm;
  phys: number;
  ipa: number;
  /** Word index of the host stage-2 entry of phys and of the guest stage-2 entry of ipa. */
  hostEntry: number;
  guestEntry: number;
  /** The host entry is the idmap of the page (valid): it is broken with a TLB invalidation. */
  hostMapped: boolean;
  attr: { lo: number; hi: number };
}

/**
 * Whether __pkvm_host_donate_guest(phys >> 12, ipa >> 12) by the loaded vCPU is the common case
 * (see the top of this file); null if not (nothing was changed: take the full path).
 */
export function pkvm_host_donate_guest_check(hyp: Pkvm, vcpu: PkvmHypVcpu, phys: number, ipa: number): DonateGuestPlan | null {
  const ram = hyp.mem.ramWords?.();
  if (!ram) return null;
  const vm = vcpu.vm;
  if (!vm.is_protected || vm.pgt.pgd === null || hyp.host_mmu.pgt.pgd === null) return null;
  if (phys % 4096 !== 0 || ipa % 4096 !== 0 || ipa / 4096 >= 2 ** 40) return null; // (the gfn must fit the annotation)
  // __host_check_page_state_range(phys, PAGE_SIZE, PKVM_PAGE_OWNED): RAM, host OWNED, no DMA
  const vmemmap = hyp.vmemmap;
  const pfn = phys / 4096;
  const basePfn = Number(vmemmap.basePfn);
  if (pfn < basePfn || pfn >= basePfn + vmemmap.nrPages) return null;
  const i = pfn - basePfn;
  if (vmemmap.get_host_state(i) !== PKVM_PAGE_OWNED || hyp_page_dma_refs(hyp, i)) return null;
  // __guest_check_page_state_range(ipa, PAGE_SIZE, PKVM_NOPAGE), and a level-3 table to map into
  const g = vm.pgt;
  const guestEntry = level3Entry(ram, Number(g.pgd), g.start_level, g.ia_bits, ipa);
  if (guestEntry < 0 || ram.words[guestEntry] !== 0 || ram.words[guestEntry + 1] !== 0) return null;
  // The host entry of phys at level 3: empty, or the valid idmap of the page
  const h = hyp.host_mmu.pgt;
  const hostEntry = level3Entry(ram, Number(h.pgd), h.start_level, h.ia_bits, phys);
  if (hostEntry < 0) return null;
  const lo = ram.words[hostEntry]!, hi = ram.words[hostEntry + 1]!;
  const hostMapped = lo !== 0 || hi !== 0;
  if (hostMapped && ((lo & 3) !== 3 || (hi & 0xffff) * TWO32 + (lo >>> 12) * 4096 !== phys)) return null;
  const attr = guestOwnedAttr(vm);
  if (!attr) return null;
  return { vm, phys, ipa, hostEntry, guestEntry, hostMapped, attr };
}

/** Performs the donation pkvm_host_donate_guest_check() planned. */
export function pkvm_host_donate_guest_commit(hyp: Pkvm, p: DonateGuestPlan): void {
  const ram = hyp.mem.ramWords!();
  const w = ram.words;
  const host = hyp.host_mmu;
  // host_stage2_set_owner_metadata_locked(phys, PAGE_SIZE, PKVM_ID_GUEST, handle | gfn << 16):
  // the donation annotation, type 2 in bits 63:60, owner in 3:1, meta in 59:4.
  const gfn = p.ipa / 4096;
  const hostPtep = ram.paOf(p.hostEntry);
  if (p.hostMapped) {
    // stage2_try_break_pte(): the valid idmap is invalidated and its table reference dropped
    host.mmu.tlb.flush_vmid_ipa(host.mmu.vmid, BigInt(p.phys), 3);
    host.pgt.mm_ops.put_page(BigInt(hostPtep));
  }
  host.pgt.mm_ops.get_page(BigInt(hostPtep)); // stage2_make_pte(): the annotation is counted
  w[p.hostEntry] = ((PKVM_ID_GUEST << 1) | ((p.vm.handle & 0xffff) << 4) | ((gfn % 4096) << 20)) >>> 0;
  w[p.hostEntry + 1] = ((2 << 28) | Math.floor(gfn / 4096)) >>> 0;
  hyp.vmemmap.set_host_state(p.phys / 4096 - Number(hyp.vmemmap.basePfn), PKVM_NOPAGE);
  // kvm_pgtable_stage2_map(vm->pgt, ipa, PAGE_SIZE, phys, RWX | OWNED): a page descriptor (bits 1:0 = 3)
  const guestPtep = ram.paOf(p.guestEntry);
  p.vm.pgt.mm_ops.get_page(BigInt(guestPtep));
  w[p.guestEntry] = ((p.phys % TWO32) | p.attr.lo | 3) >>> 0;
  w[p.guestEntry + 1] = (Math.floor(p.phys / TWO32) | p.attr.hi) >>> 0;
  ram.written(hostPtep, 8);
  ram.written(guestPtep, 8);
}
