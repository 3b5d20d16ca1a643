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

// 2^(granule shift) of each level: the span of one entry.
const ENTRY_SPAN = [2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12];

/** The words of the level-3 entry for `addr` below the start-level table(s) of a stage-2, or -1. */
function level3Entry(ram: RamWords, s2: Stage2Numbers, addr: number): number {
  if (addr >= s2.limit) return -1;
  // kvm_pgd_page_idx(): the concatenated start-level table holding addr
  let table = s2.pgd + Math.floor(addr / s2.pgdSpan) * 4096;
  for (let level = s2.startLevel; ; level++) {
    const w = ram.wordOf(table + (Math.floor(addr / ENTRY_SPAN[level]!) % 512) * 8);
    if (w < 0) return -1;
    if (level === 3) return w;
    const lo = ram.words[w]!, hi = ram.words[w + 1]!;
    if ((lo & 3) !== 3) return -1; // not a table descriptor: an empty entry or a block above level 3
    table = (hi & 0xffff) * TWO32 + (lo >>> 12) * 4096; // the next table: output address [47:12]
  }
}

/** A stage-2's root as Numbers (its pgd never moves). */
interface Stage2Numbers { pgd: number; startLevel: number; limit: number; pgdSpan: number }
function stage2Numbers(pgt: { pgd: bigint | null; start_level: number; ia_bits: number }): Stage2Numbers {
  return { pgd: Number(pgt.pgd), startLevel: pgt.start_level, limit: 2 ** pgt.ia_bits, pgdSpan: 2 ** (9 * (5 - pgt.start_level) + 3) };
}

/** Per VM: its stage-2 root and the attributes of a donated page (RWX, OWNED) as descriptor words. */
interface GuestNumbers { s2: Stage2Numbers; attrLo: number; attrHi: number }
const guestNumbers = new WeakMap<PkvmHypVm, GuestNumbers | null>();
function guestNumbersOf(vm: PkvmHypVm): GuestNumbers | null {
  let g = guestNumbers.get(vm);
  if (g === undefined) {
    const { ret, attr } = stage2_set_prot_attr(vm.pgt, pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED));
    g = ret || vm.pgt.pgd === null ? null : { s2: stage2Numbers(vm.pgt), attrLo: Number(attr & 0xffff_ffffn), attrHi: Number(attr >> 32n) };
    guestNumbers.set(vm, g);
  }
  return g;
}
const hostNumbers = new WeakMap<Pkvm, Stage2Numbers & { basePfn: number }>();
function hostNumbersOf(hyp: Pkvm): Stage2Numbers & { basePfn: number } {
  let h = hostNumbers.get(hyp);
  if (h === undefined) {
    h = { ...stage2Numbers(hyp.host_mmu.pgt), basePfn: Number(hyp.vmemmap.basePfn) };
    hostNumbers.set(hyp, h);
  }
  return h;
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
  guest: GuestNumbers;
}

/**
 * Whether __pkvm_host_donate_guest(phys >> 12, ipa >> 12) by the loaded vCPU is the common case
 * (see the top of this file); null if not (nothing was changed: take the full path).
 */
export function pkvm_host_donate_guest_check(hyp: Pkvm, vcpu: PkvmHypVcpu, phys: number, ipa: number): DonateGuestPlan | null {
  const ram = hyp.mem.ramWords?.();
  if (!ram) return null;
  const vm = vcpu.vm;
  if (!vm.is_protected || hyp.host_mmu.pgt.pgd === null) return null;
  const guest = guestNumbersOf(vm);
  if (guest === null) return null;
  if (phys % 4096 !== 0 || ipa % 4096 !== 0 || ipa / 4096 >= 2 ** 40) return null; // (the gfn must fit the annotation)
  // __host_check_page_state_range(phys, PAGE_SIZE, PKVM_PAGE_OWNED): RAM, host OWNED, no DMA
  const host = hostNumbersOf(hyp);
  const vmemmap = hyp.vmemmap;
  const i = phys / 4096 - host.basePfn;
  if (i < 0 || i >= vmemmap.nrPages) return null;
  if (vmemmap.get_host_state(i) !== PKVM_PAGE_OWNED || hyp_page_dma_refs(hyp, i)) return null;
  // __guest_check_page_state_range(ipa, PAGE_SIZE, PKVM_NOPAGE), and a level-3 table to map into
  const guestEntry = level3Entry(ram, guest.s2, ipa);
  if (guestEntry < 0 || ram.words[guestEntry] !== 0 || ram.words[guestEntry + 1] !== 0) return null;
  // The host entry of phys at level 3: empty, or the valid idmap of the page
  const hostEntry = level3Entry(ram, host, phys);
  if (hostEntry < 0) return null;
  const lo = ram.words[hostEntry]!, hi = ram.words[hostEntry + 1]!;
  const hostMapped = lo !== 0 || hi !== 0;
  if (hostMapped && ((lo & 3) !== 3 || (hi & 0xffff) * TWO32 + (lo >>> 12) * 4096 !== phys)) return null;
  return { vm, phys, ipa, hostEntry, guestEntry, hostMapped, guest };
}

/** Performs the donation pkvm_host_donate_guest_check() planned. */
export function pkvm_host_donate_guest_commit(hyp: Pkvm, p: DonateGuestPlan): void {
  const ram = hyp.mem.ramWords!();
  const w = ram.words;
  const host = hyp.host_mmu;
  const vmemmap = hyp.vmemmap;
  const basePfn = hostNumbersOf(hyp).basePfn;
  // host_stage2_set_owner_metadata_locked(phys, PAGE_SIZE, PKVM_ID_GUEST, handle | gfn << 16):
  // the donation annotation, type 2 in bits 63:60, owner in 3:1, meta in 59:4.
  const gfn = p.ipa / 4096;
  const hostPtep = ram.paOf(p.hostEntry);
  if (p.hostMapped) {
    // stage2_try_break_pte(): the valid idmap is invalidated and its table reference dropped
    host.mmu.tlb.flush_vmid_ipa(host.mmu.vmid, BigInt(p.phys), 3);
    host.pgt.mm_ops.put_page(BigInt(hostPtep));
  }
  // stage2_make_pte(): the annotation is counted (host_s2_pool's get_page: the table page's refcount)
  vmemmap.hyp_page_ref_inc(Math.floor(hostPtep / 4096) - basePfn);
  w[p.hostEntry] = ((PKVM_ID_GUEST << 1) | ((p.vm.handle & 0xffff) << 4) | ((gfn % 4096) << 20)) >>> 0;
  w[p.hostEntry + 1] = ((2 << 28) | Math.floor(gfn / 4096)) >>> 0;
  vmemmap.set_host_state(p.phys / 4096 - basePfn, PKVM_NOPAGE);
  // kvm_pgtable_stage2_map(vm->pgt, ipa, PAGE_SIZE, phys, RWX | OWNED): a page descriptor (bits 1:0 =
  // 3), counted in its table page (the VM pool's get_page)
  const guestPtep = ram.paOf(p.guestEntry);
  vmemmap.hyp_page_ref_inc(Math.floor(guestPtep / 4096) - basePfn);
  w[p.guestEntry] = ((p.phys % TWO32) | p.guest.attrLo | 3) >>> 0;
  w[p.guestEntry + 1] = (Math.floor(p.phys / TWO32) | p.guest.attrHi) >>> 0;
  ram.written(hostPtep, 8);
  ram.written(guestPtep, 8);
}
