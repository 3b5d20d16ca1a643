// The host's and the hyp's memory state as the stage-2 fault fast path (pkvm-fast-fault.ts) reads
// and changes it: the host page allocator (HostPageAllocator's page bytes, cursor and free count,
// host-kernel-model/page-alloc.ts), hyp_vmemmap (struct hyp_page, hyp/vmemmap.ts) and the host
// stage-2 (its idmap as host_stage2_idmap() makes it, its ownership annotations,
// hyp/host-stage2.ts). Each function does what the TypeScript it names does, for the cases the
// path serves; the path leaves the others to the full round trip.
import {
  HOST_ALLOC_MAP, HYP_VMEMMAP, PF_ALLOC_BASE, PF_ALLOC_CURSOR, PF_ALLOC_FREE, PF_ALLOC_PAGES, PF_HOST_IDMAP,
  PF_GUEST_LEVEL, PF_GUEST_LIMIT, PF_GUEST_MEMO, PF_GUEST_PGD, PF_GUEST_PGD_SHIFT, PF_HOST_LEVEL, PF_HOST_LIMIT, PF_HOST_MEM_END, PF_HOST_MEMO, PF_HOST_MEM_START, PF_HOST_PGD, PF_HOST_PGD_SHIFT, PF_HOST_POOL, PF_HOST_POOL_N, PF_HOST_POOL_USED,
  PF_HOST_VMID, PKVM_FAST, RAM_BASE_PA, RAM_HOST,
} from './layout';
import { ramSize } from './ram';
import { invalidateCode, pageHasCode } from './codecache';
import { invalidateVmidS12 } from './tlb2';
import { pgtableDescend } from './pgtable-descend';

export const ADDR_47_12: u64 = 0x0000_ffff_ffff_f000;
export const PAGE_USED: u8 = 1; // HostPageAllocator's page bytes
export const PAGE_FREE_ZERO: u8 = 2;
export const PKVM_PAGE_OWNED: u32 = 0;
export const PKVM_PAGE_SHARED_OWNED: u32 = 1;
export const PKVM_NOPAGE: u32 = 3;
export const PKVM_ID_HYP: u64 = 1;
export const PKVM_ID_GUEST: u64 = 2;
const DONATION: u64 = 2; // KVM_HOST_INVALID_PTE_TYPE_DONATION, bits 63:60
const S2_AF: u64 = 1 << 10; // (stage-2 leaf: access flag, S2AP read and write)
const S2AP_RW: u64 = 3 << 6;
const BLOCK_L2_MASK: u64 = (1 << 21) - 1;

@inline export function ramHost(pa: u64): u32 { return RAM_HOST + <u32>(pa - RAM_BASE_PA); }
@inline export function hostPa(host: u32): u64 { return RAM_BASE_PA + <u64>(host - RAM_HOST); }
@inline export function isRamPage(pa: u64): bool { return pa - RAM_BASE_PA < ramSize; }

// --- The host page allocator ------------------------------------------------------------------

/** HostPageAllocator.nextFree() from index `from` (its cursor), or -1. */
export function allocNextFree(from: u32): i32 {
  const pages = load<u32>(PKVM_FAST + PF_ALLOC_PAGES);
  let i = from;
  for (let n: u32 = 0; n < pages; n++, i++) {
    if (i >= pages) i = 0;
    if (load<u8>(HOST_ALLOC_MAP + i) != PAGE_USED) return <i32>i;
  }
  return -1;
}
@inline export function allocKnownZero(i: u32): bool { return load<u8>(HOST_ALLOC_MAP + i) == PAGE_FREE_ZERO; }
@inline export function allocCursor(): u32 { return load<u32>(PKVM_FAST + PF_ALLOC_CURSOR); }
@inline export function allocPa(i: u32): u64 { return load<u64>(PKVM_FAST + PF_ALLOC_BASE) + (<u64>i << 12); }

/**
 * HostKvm.allocPage(): takes page i (HostPageAllocator.takeIndex) and zeroes it, unless it is known
 * to be zero (nothing wrote it since RAM was zeroed: zeroing 4 KiB that is not in the cache is most
 * of what a fault would cost). Returns its host address.
 */
export function allocTakeZeroed(i: u32): u32 {
  const a = HOST_ALLOC_MAP + i;
  const zero = load<u8>(a) == PAGE_FREE_ZERO;
  store<u8>(a, PAGE_USED);
  const p = PKVM_FAST;
  store<u32>(p + PF_ALLOC_FREE, load<u32>(p, PF_ALLOC_FREE) - 1);
  store<u32>(p + PF_ALLOC_CURSOR, i + 1);
  const host = ramHost(allocPa(i));
  if (!zero) zeroHostPage(host);
  return host;
}

/** A page zeroed as a TypeScript store would leave it (decoded code on it dropped). */
export function zeroHostPage(host: u32): void {
  memory.fill(host, 0, 4096);
  invalidateCode(host, 4096);
}

/** A u64 stored as a TypeScript store would (decoded code there dropped). */
@inline export function storeU64(host: u32, v: u64): void {
  store<u64>(host, v);
  if (pageHasCode(host & ~0xfff)) invalidateCode(host, 8);
}

// --- hyp_vmemmap ------------------------------------------------------------------------------

@inline export function vmemmapEntry(pa: u64): u32 { return HYP_VMEMMAP + (<u32>((pa - RAM_BASE_PA) >> 12) << 3); }
@inline export function hostState(vm: u32): u32 { return load<u8>(vm, 3) & 0xf; }
@inline export function setHostState(vm: u32, s: u32): void { store<u8>(vm, (load<u8>(vm, 3) & 0xf0) | <u8>s, 3); }
/** The hyp state is stored complemented (PKVM_PAGE_STATE_MASK = 3): NOPAGE reads as 0. */
@inline export function hypState(vm: u32): u32 { return ((load<u8>(vm, 3) >> 4) ^ 3) & 0xf; }
@inline export function setHypState(vm: u32, s: u32): void { store<u8>(vm, (load<u8>(vm, 3) & 0x0f) | <u8>(((s ^ 3) & 0xf) << 4), 3); }
/** hyp_page_ref_inc() of the page holding the table entry at host address `e` (get_page(ptep)). */
@inline export function refIncTableOf(e: u32): void { const v = vmemmapEntry(hostPa(e)); store<u16>(v, load<u16>(v) + 1); }

// --- The host stage-2 -------------------------------------------------------------------------

/** Host address of the table entry the descent of `addr` ends at (| level in bits 1:0), or 0. */
export function descend(pgd: u64, level: u32, pgdShift: u32, limit: u64, addr: u64): u32 {
  if (addr >= limit) return 0;
  const e = pgtableDescend(pgd + ((addr >> pgdShift) << 12), <i32>level, addr);
  if (e == 0) return 0; // a table outside RAM
  return ramHost(e & ~<u64>3) | <u32>(e & 3);
}

/**
 * descend() of the host (PF_HOST_*) or the guest (PF_GUEST_*) stage 2, through its memo
 * (PF_HOST_MEMO, PF_GUEST_MEMO): the level-3 table the last descent of that stage 2 reached, and
 * its 2 MiB region. While the guest runs only this path changes either stage 2, and it never
 * replaces a table entry (it installs tables where there were none, and blocks where there was no
 * table), so a table found stays the one a descent of any address of its region finds; TypeScript
 * clears the memos before each run (the hyp changes the tables between runs).
 */
export function descendMemo(guest: bool, addr: u64): u32 {
  const p = PKVM_FAST;
  const m = p + (guest ? PF_GUEST_MEMO : PF_HOST_MEMO);
  const key = (addr >> 21) + 1;
  if (load<u64>(m) == key) return load<u32>(m, 8) + ((<u32>addr >> 9) & 0xff8) | 3;
  const x = guest
    ? descend(load<u64>(p, PF_GUEST_PGD), load<u32>(p, PF_GUEST_LEVEL), load<u32>(p, PF_GUEST_PGD_SHIFT), load<u64>(p, PF_GUEST_LIMIT), addr)
    : descend(load<u64>(p, PF_HOST_PGD), load<u32>(p, PF_HOST_LEVEL), load<u32>(p, PF_HOST_PGD_SHIFT), load<u64>(p, PF_HOST_LIMIT), addr);
  if ((x & 3) == 3) {
    store<u64>(m, key);
    store<u32>(m, x & ~0xfff, 8);
  }
  return x;
}

@inline function hostDescend(pa: u64): u32 { return descendMemo(false, pa); }

/**
 * The host's own access to page `pa` (zeroing it, writing a memcache link into it) as HostMemory
 * makes it: host address of the host stage-2 entry involved, or 0 when the path cannot tell.
 * - a page or block leaf mapping `pa` to itself, readable, writable, with the access flag: returned
 *   as is (the access takes no abort);
 * - an empty level-3 entry: returned with bit 0 set: host_stage2_idmap() of the abort maps just
 *   that page there (host_stage2_adjust_range() at the last level; hostAccess() does it);
 * - an empty level-2 entry (no level-3 table yet) whose 2 MiB block lies inside the memory region
 *   (PF_HOST_MEM_START/END): returned with bit 1 set: host_stage2_adjust_range() picks the level-2
 *   block around `pa` and host_stage2_idmap_locked() maps it there (hostAccess() does it);
 * - anything else (an empty level-1 entry, a block reaching out of memory, an annotation): 0.
 */
export function hostAccessEntry(pa: u64): u32 {
  const x = hostDescend(pa);
  if (x == 0) return 0;
  const l = x & 3;
  const h = x & ~3;
  const d = load<u64>(h);
  if (d == 0) {
    if (l == 3) return h | 1;
    if (l != 2) return 0;
    const start = pa & ~BLOCK_L2_MASK;
    const p = PKVM_FAST;
    return start >= load<u64>(p, PF_HOST_MEM_START) && start + BLOCK_L2_MASK < load<u64>(p, PF_HOST_MEM_END) ? h | 2 : 0;
  }
  if ((d & 3) != (l == 3 ? 3 : 1) || l == 0) return 0; // a page, or a block at level 1 or 2
  if ((d & (S2_AF | S2AP_RW)) != (S2_AF | S2AP_RW)) return 0;
  const mask: u64 = ~((<u64>1 << (39 - 9 * l)) - 1) & ADDR_47_12;
  return (d & mask) == (pa & mask) ? h : 0;
}

/**
 * The host stage-2 entry an annotation of page `pa` starts from (host address | level in bits
 * 1:0), or 0 when the path cannot make it:
 * - at level 3: empty, or the page's own idmap (replaced without allocating);
 * - above level 3 (no level-3 table for the page yet): empty, or a block (host_stage2_idmap()'s)
 *   at level 1 or 2. kvm_pgtable_stage2_annotate() (force_pte) then replaces it with a table from
 *   host_s2_pool, and each empty entry below with another, down to level 3: hostTablesNeeded().
 * Anything else (another mapping, an annotation) is 0.
 */
export function hostAnnotateEntry(pa: u64): u32 {
  const x = hostDescend(pa);
  if (x == 0) return 0;
  const l = x & 3;
  const d = load<u64>(x & ~3);
  if (l == 3) return d != 0 && ((d & 3) != 3 || (d & ADDR_47_12) != pa) ? 0 : x;
  return d != 0 && ((d & 3) != 1 || l == 0) ? 0 : x;
}

/** host_s2_pool pages the annotation at hostAnnotateEntry() `x` takes for new tables. */
@inline export function hostTablesNeeded(x: u32): u32 { return 3 - (x & 3); }

// --- host_s2_pool: the pages its next hyp_alloc_pages(0) calls return (TypeScript's simulation of
// the buddy allocator, PF_HOST_POOL); the path takes them in order and TypeScript allocates as many
// after the run (host-kernel-model/fault-fast-path.ts), which leaves the pool as the full path does.

/** Pool pages not yet taken, each checked to be a RAM page; 0 when one is not. */
export function hostPoolAvailable(): u32 {
  const p = PKVM_FAST;
  const n = load<u32>(p, PF_HOST_POOL_N);
  const used = load<u32>(p, PF_HOST_POOL_USED);
  for (let i = used; i < n; i++) if (!isRamPage(load<u64>(p + PF_HOST_POOL + (i << 3)))) return 0;
  return n - used;
}

/** hyp_alloc_pages(&host_s2_pool, 0): the next page (zero, as the pool keeps its free pages), refcount 1. */
function hostPoolTake(): u64 {
  const p = PKVM_FAST;
  const used = load<u32>(p, PF_HOST_POOL_USED);
  store<u32>(p + PF_HOST_POOL_USED, used + 1);
  const pa = load<u64>(p + PF_HOST_POOL + (used << 3));
  store<u16>(vmemmapEntry(pa), 1); // hyp_set_page_refcounted (the order TypeScript's allocation sets)
  return pa;
}

/**
 * The annotation of page `pa` (host_stage2_set_owner_metadata_locked()) from the entry `x` of
 * hostAnnotateEntry(). Above level 3 the walk of kvm_pgtable_stage2_annotate() is made first: the
 * entry (empty, or a block broken: stage2_try_break_pte() invalidates the host's VMID and drops its
 * reference) becomes a table from host_s2_pool (stage2_make_pte() takes a reference on the table
 * holding it), and so each empty entry below it down to level 3; then hostAnnotate().
 */
export function hostAnnotateAt(x: u32, pa: u64, owner: u64, meta: u64, vm: u32): void {
  let l = x & 3;
  let e = x & ~3;
  // An earlier annotation of this fault installed a table there (planPoolPages()): the walk goes
  // down through it to the page's own entry.
  while (l < 3 && (load<u64>(e) & 3) == 3) {
    l++;
    e = ramHost(load<u64>(e) & ADDR_47_12) + (<u32>((pa >> (<u64>(39 - 9 * l))) & 511) << 3);
  }
  if (l < 3) {
    if (load<u64>(e) != 0) invalidateVmidS12(load<u32>(PKVM_FAST, PF_HOST_VMID));
    else refIncTableOf(e);
    for (;;) {
      const t = hostPoolTake();
      storeU64(e, t | 3);
      l++;
      e = ramHost(t) + (<u32>((pa >> (<u64>(39 - 9 * l))) & 511) << 3);
      if (l == 3) break;
      refIncTableOf(e);
    }
  }
  hostAnnotate(e, owner, meta, vm);
}

/**
 * The host access of hostAccessEntry(): an abort on an empty entry idmaps the page there
 * (stage2_make_pte() takes a reference on the table holding it): at level 3 the page (bit 0), at
 * level 2 its 2 MiB block (bit 1; a block descriptor has descriptor bit 1 clear). An earlier access
 * of the same fault may have mapped that block already (two pages of one fresh 2 MiB region): then
 * this access takes no abort.
 */
export function hostAccess(entry: u32, pa: u64): void {
  if ((entry & 3) == 0) return;
  const e = entry & ~3;
  if ((entry & 2) != 0) {
    if (load<u64>(e) != 0) return;
    refIncTableOf(e);
    storeU64(e, (pa & ~BLOCK_L2_MASK) | (load<u64>(PKVM_FAST, PF_HOST_IDMAP) & ~<u64>2));
    return;
  }
  refIncTableOf(e);
  storeU64(e, pa | load<u64>(PKVM_FAST, PF_HOST_IDMAP));
}

/**
 * host_stage2_set_owner_metadata_locked() of one page at its level-3 entry `e`: the annotation
 * (type DONATION, owner, metadata) replaces the entry, the page's host state becomes NOPAGE. A valid
 * idmap is broken first (stage2_try_break_pte(): flush_vmid_ipa of the host's VMID, its reference
 * dropped and the annotation's taken); an empty entry gains the annotation's reference.
 */
export function hostAnnotate(e: u32, owner: u64, meta: u64, vm: u32): void {
  if (load<u64>(e) != 0) invalidateVmidS12(load<u32>(PKVM_FAST, PF_HOST_VMID));
  else refIncTableOf(e);
  storeU64(e, (DONATION << 60) | (owner << 1) | (meta << 4));
  setHostState(vm, PKVM_NOPAGE);
}
