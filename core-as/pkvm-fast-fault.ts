// The stage-2 fault fast path of the hosted pKVM (hyp/ in TypeScript): a protected guest's
// translation fault on a page of its memslot that the host has not backed yet is resolved here,
// without the exception to EL2, the exit to TypeScript, the host's fault handling and the
// __kvm_vcpu_run round trip. What it does is what that round trip does when nothing but the
// donation itself happens (host-kernel-model/fault-fast-path.ts sets the parameters per guest run
// and takes the log afterwards; test/host/fault-fast-path.test.ts compares both paths):
//
// - host (user_mem_abort): the page is the host allocator's next free one (its page bytes, cursor
//   and free count live here, HOST_ALLOC_MAP / PF_ALLOC_*), taken and zeroed (unless known to be
//   zero already); the host's memcache top-up
//   and the hyp's pkvm_refill_memcache() would move nothing (checked: the host's memcache holds
//   PF_MC_MIN pages, EL2's at least as many), so they are not needed;
// - hyp (__pkvm_host_donate_guest, mem_protect.c): the page is host OWNED in hyp_vmemmap
//   (HYP_VMEMMAP, the same struct hyp_page array hyp/vmemmap.ts uses); the guest's level-3 entry
//   for the IPA exists and is empty (PKVM_NOPAGE, no table to allocate from the memcache); the
//   host stage-2 has a level-3 entry for the page, empty or the page's idmap (no block to split).
//   Then: host entry ← donation annotation (type 2, owner guest, handle, gfn), its table page's
//   refcount as stage2_make_pte() leaves it (a valid idmap replaced: TLB invalidation), host state
//   NOPAGE; guest entry ← page descriptor with the VM's RWX/OWNED attributes, its table's refcount + 1;
// - the guest retries the access, as after the ERET of the round trip (the instruction count and
//   the exclusive monitor as if the exception had been taken and returned from).
//
// Anything else (another fault, a backed or given page, a missing table, a block, a low memcache,
// the log full, the path disabled) takes the exception to EL2 as usual.
import {
  CPU_BASE, HOST_ALLOC_MAP, HYP_VMEMMAP, OFF_EXCL_ADDR, PF_ALLOC_BASE, PF_ALLOC_CURSOR, PF_ALLOC_FREE, PF_ALLOC_PAGES,
  PF_BACKED, PF_ENABLED, PF_GUEST_ATTR, PF_GUEST_LEVEL, PF_GUEST_LIMIT, PF_GUEST_PGD, PF_GUEST_PGD_SHIFT, PF_HANDLE,
  PF_HOST_IDMAP, PF_HOST_LEVEL, PF_HOST_LIMIT, PF_HOST_MC, PF_HOST_PGD, PF_HOST_PGD_SHIFT, PF_HOST_VMID, PF_HYP_MC, PF_LOG_COUNT,
  PF_MC_MIN, PF_SHARE, PF_SLOT_BASE, PF_SLOT_SIZE, PKVM_FAST, PKVM_FAST_LOG, PKVM_FAST_LOG_CAP, RAM_BASE_PA, RAM_HOST,
} from './layout';
import { ramSize } from './ram';
import { invalidateCode } from './codecache';
import { invalidateVmidS12 } from './tlb2';
import { ticksNow } from './timer';
import { pgtableDescend } from './pgtable-descend';

const ADDR_47_12: u64 = 0x0000_ffff_ffff_f000;
const PKVM_ID_GUEST: u64 = 2;
const DONATION: u64 = 2; // KVM_HOST_INVALID_PTE_TYPE_DONATION, bits 63:60
const PAGE_USED: u8 = 1; // HostPageAllocator's page bytes (host-kernel-model/page-alloc.ts)
const PAGE_FREE_ZERO: u8 = 2;
const PKVM_PAGE_OWNED: u32 = 0;
const PKVM_PAGE_SHARED_OWNED: u32 = 1;
const PKVM_NOPAGE: u32 = 3;
const S2_AF: u64 = 1 << 10; // (stage-2 leaf: access flag, S2AP read and write)
const S2AP_RW: u64 = 3 << 6;

@inline function ramHost(pa: u64): u32 { return RAM_HOST + <u32>(pa - RAM_BASE_PA); }
@inline function isRamPage(pa: u64): bool { return pa - RAM_BASE_PA < ramSize; }

/**
 * Host address of the level-3 entry for `addr` in the stage-2 rooted at `pgd` (start level, index
 * shift of the concatenated start-level tables, IPA limit), or 0 when a level above 3 has no table.
 */
function level3Entry(pgd: u64, level: u32, pgdShift: u32, limit: u64, addr: u64): u32 {
  if (addr >= limit) return 0;
  const e = pgtableDescend(pgd + ((addr >> pgdShift) << 12), <i32>level, addr);
  if (e == 0 || (e & 3) != 3) return 0; // a table outside RAM, or an empty entry or block above level 3
  return ramHost(e & ~<u64>7);
}

/**
 * For a share: the host stage-2 entry (host address) that maps `pa` for the host's own access to
 * it (zeroing), or where the host abort of that access would map it.
 * - a page or block leaf mapping `pa` to itself, readable, writable, with the access flag: returned
 *   as is (the access takes no abort);
 * - an empty level-3 entry: returned with bit 0 set: host_stage2_idmap() of the abort maps just
 *   that page there (host_stage2_adjust_range() at the last level);
 * - anything else (no level-3 table: the abort would map a block; an annotation): 0.
 */
function hostEntryForAccess(pgd: u64, level: u32, pgdShift: u32, limit: u64, pa: u64): u32 {
  if (pa >= limit) return 0;
  const e = pgtableDescend(pgd + ((pa >> pgdShift) << 12), <i32>level, pa);
  if (e == 0) return 0;
  const l = <u32>(e & 3);
  const h = ramHost(e & ~<u64>7);
  const d = load<u64>(h);
  if (d == 0) return l == 3 ? h | 1 : 0;
  if ((d & 3) != (l == 3 ? 3 : 1) || l == 0) return 0; // a page, or a block at level 1 or 2
  if ((d & (S2_AF | S2AP_RW)) != (S2_AF | S2AP_RW)) return 0;
  const mask: u64 = ~((<u64>1 << (39 - 9 * l)) - 1) & ADDR_47_12;
  return (d & mask) == (pa & mask) ? h : 0;
}

/** The host allocator's next free page index from its cursor (HostPageAllocator.nextFree), or -1. */
function allocNextFree(): i32 {
  const pages = load<u32>(PKVM_FAST + PF_ALLOC_PAGES);
  let i = load<u32>(PKVM_FAST + PF_ALLOC_CURSOR);
  for (let n: u32 = 0; n < pages; n++, i++) {
    if (i >= pages) i = 0;
    if (load<u8>(HOST_ALLOC_MAP + i) != PAGE_USED) return <i32>i;
  }
  return -1;
}

@inline function vmemmapEntry(pa: u64): u32 { return HYP_VMEMMAP + (<u32>((pa - RAM_BASE_PA) >> 12) << 3); }
@inline function refInc(ptepPa: u64): void { const e = vmemmapEntry(ptepPa); store<u16>(e, load<u16>(e) + 1); }

/** Resolves the stage-2 translation fault at `ipa` if it is this path's case; true when done. */
export function pkvmFastStage2Fault(ipa: u64): bool {
  const p = PKVM_FAST;
  if (load<u32>(p, PF_ENABLED) == 0) return false;
  const page = ipa & ADDR_47_12;
  const off = page - load<u64>(p, PF_SLOT_BASE);
  if (off >= load<u64>(p, PF_SLOT_SIZE)) return false;
  const gfn = page >> 12;
  if ((gfn >> 40) != 0) return false; // (the annotation's gfn field)
  const bit = <u32>(off >> 12);
  const backed = load<u32>(p, PF_BACKED) + (bit >> 3);
  if ((load<u8>(backed) & (1 << (bit & 7))) != 0) return false;
  const n = load<u32>(p, PF_LOG_COUNT);
  if (n >= PKVM_FAST_LOG_CAP) return false;
  // memcaches: the host's holds the minimum and EL2's at least as many
  const mcPa = load<u64>(p, PF_HOST_MC);
  if (!isRamPage(mcPa & ~<u64>0xfff)) return false;
  const hostMc = load<u64>(ramHost(mcPa));
  if (hostMc < <u64>load<u32>(p, PF_MC_MIN) || <u64>load<u32>(p, PF_HYP_MC) < hostMc) return false;
  // the host's next page, host OWNED
  const i = allocNextFree();
  if (i < 0) return false;
  const pa = load<u64>(p, PF_ALLOC_BASE) + (<u64>i << 12);
  if (!isRamPage(pa)) return false;
  const vm = vmemmapEntry(pa);
  if ((load<u8>(vm, 3) & 0xf) != PKVM_PAGE_OWNED) return false;
  // the guest's level-3 entry, empty
  const ge = level3Entry(load<u64>(p, PF_GUEST_PGD), load<u32>(p, PF_GUEST_LEVEL), load<u32>(p, PF_GUEST_PGD_SHIFT), load<u64>(p, PF_GUEST_LIMIT), page);
  if (ge == 0 || load<u64>(ge) != 0) return false;
  const share = load<u32>(p, PF_SHARE) != 0;
  let he: u32 = 0;
  let hostMapped = false;
  if (share) {
    // host_share_guest: the host keeps its mapping of the page, through which it zeroes it
    he = hostEntryForAccess(load<u64>(p, PF_HOST_PGD), load<u32>(p, PF_HOST_LEVEL), load<u32>(p, PF_HOST_PGD_SHIFT), load<u64>(p, PF_HOST_LIMIT), pa);
    if (he == 0) return false;
  } else {
    // the host's level-3 entry for the page: empty, or its idmap
    he = level3Entry(load<u64>(p, PF_HOST_PGD), load<u32>(p, PF_HOST_LEVEL), load<u32>(p, PF_HOST_PGD_SHIFT), load<u64>(p, PF_HOST_LIMIT), pa);
    if (he == 0) return false;
    const old = load<u64>(he);
    hostMapped = old != 0;
    if (hostMapped && ((old & 3) != 3 || (old & ADDR_47_12) != pa)) return false;
  }

  // Host: take the page (HostPageAllocator.takeIndex) and zero it, unless it is known to be zero
  // already (PAGE_FREE_ZERO: nothing wrote it since RAM was zeroed; zeroing 4 KiB of memory that
  // is not in the cache is most of what a fault costs).
  const a = HOST_ALLOC_MAP + <u32>i;
  const zero = load<u8>(a) == PAGE_FREE_ZERO;
  store<u8>(a, PAGE_USED);
  store<u32>(p + PF_ALLOC_FREE, load<u32>(p, PF_ALLOC_FREE) - 1);
  store<u32>(p + PF_ALLOC_CURSOR, <u32>i + 1);
  const host = ramHost(pa);
  if (!zero) {
    memory.fill(host, 0, 4096);
    invalidateCode(host, 4096);
  }
  store<u8>(backed, load<u8>(backed) | <u8>(<u32>1 << (bit & 7)));
  if (share) {
    if ((he & 1) != 0) {
      // The host's access aborted: handle_host_mem_abort() idmaps the page (stage2_make_pte()).
      const e = he & ~1;
      store<u64>(e, pa | load<u64>(p, PF_HOST_IDMAP));
      refInc(RAM_BASE_PA + <u64>(e - RAM_HOST));
      invalidateCode(e, 8);
    }
    // Hyp (__pkvm_host_share_guest): host state SHARED_OWNED, host_share_guest_count + 1.
    store<u8>(vm, (load<u8>(vm, 3) & 0xf0) | <u8>PKVM_PAGE_SHARED_OWNED, 3);
    store<u32>(vm, load<u32>(vm, 4) + 1, 4);
  } else {
    donateHostSide(he, hostMapped, gfn, vm);
  }
  // The guest entry maps the page (OWNED for a donation, SHARED_BORROWED for a share: PF_GUEST_ATTR).
  refInc(RAM_BASE_PA + <u64>(ge - RAM_HOST));
  store<u64>(ge, pa | load<u64>(p, PF_GUEST_ATTR) | 3);
  invalidateCode(ge, 8);
  // The log for the host's bookkeeping.
  const l = PKVM_FAST_LOG + (n << 5);
  store<u64>(l, gfn);
  store<u64>(l, pa, 8);
  store<u64>(l, ticksNow(), 16); // (when: the machine's instruction count, as trace events are stamped)
  store<u32>(p + PF_LOG_COUNT, n + 1);
  // As the exception entry (and return) would: the local exclusive monitor is cleared.
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1);
  return true;
}

/**
 * __pkvm_host_donate_guest's host side: the host entry `he` becomes the donation annotation (a
 * valid idmap is broken first), the page's host state NOPAGE.
 */
function donateHostSide(he: u32, hostMapped: bool, gfn: u64, vm: u32): void {
  const p = PKVM_FAST;
  const hePa = RAM_BASE_PA + <u64>(he - RAM_HOST);
  if (hostMapped) {
    // flush_vmid_ipa for the host's VMID: its entries in the tagged TLB and walk cache. The fast
    // TLB holds only the running guest's regime (a VTTBR_EL2 change empties it), so unlike
    // hyp/hosted-el2.ts, which flushes everything, nothing else has to go.
    invalidateVmidS12(load<u32>(p, PF_HOST_VMID));
  } else {
    refInc(hePa); // (a valid idmap's reference is dropped and the annotation's taken: unchanged)
  }
  const meta: u64 = <u64>(load<u32>(p, PF_HANDLE) & 0xffff) | (gfn << 16);
  store<u64>(he, (DONATION << 60) | (PKVM_ID_GUEST << 1) | (meta << 4));
  invalidateCode(he, 8);
  store<u8>(vm, (load<u8>(vm, 3) & 0xf0) | <u8>PKVM_NOPAGE, 3);
}
