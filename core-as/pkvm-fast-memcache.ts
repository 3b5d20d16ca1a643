// The memcaches of the stage-2 fault fast path (pkvm-fast-fault.ts): what the full round trip does
// with them before the donation or share, done in the core with the same result.
//
// - host (HostKvm.topupMemcache): while the vCPU's memcache (struct kvm_hyp_memcache in the host's
//   struct kvm_vcpu: head, nr_pages) holds fewer than KVM_MMU_CACHE_MIN_PAGES (PF_MC_MIN), the
//   allocator's next page is taken, zeroed (the host's access idmaps it in the host stage-2 when its
//   level-3 entry is empty, or maps the 2 MiB block around it when there is no level-3 table yet:
//   pkvm-fast-host.ts hostAccessEntry()) and pushed (its first 8 bytes link to the previous head);
// - hyp (pkvm_refill_memcache / refill_memcache): while EL2's memcache of the vCPU holds fewer
//   pages than the host's did, the host's head page is donated to the hyp (__pkvm_host_donate_hyp:
//   host OWNED and hyp NOPAGE checked; hyp state OWNED; the host stage-2 entry annotated with owner
//   HYP, host state NOPAGE), popped from the host's memcache and pushed onto EL2's;
// - the stage-2 map's new tables (guest_stage2 zalloc_page) are popped from EL2's memcache, zeroed,
//   their struct hyp_page refcount 1, order 0 (when the VM's hyp_pool is empty: PF_POOL_EMPTY).
//
// memcachePlan() checks everything and changes nothing; memcacheCommit() then makes the changes
// (the fast path only commits once every check of the fault has passed). EL2's memcache lives in
// the path's parameters while the guest runs (PF_HYP_MC_HEAD, PF_HYP_MC) and is taken back after.
import {
  HOST_ALLOC_MAP, PF_ALLOC_BASE, PF_ALLOC_PAGES, PF_HOST_LIMIT, PF_HOST_MC, PF_HYP_MC, PF_HYP_MC_HEAD, PF_MC_MIN,
  PF_SCRATCH, PKVM_FAST,
} from './layout';
import {
  PAGE_USED, PKVM_ID_HYP, PKVM_NOPAGE, PKVM_PAGE_OWNED, allocNextFree, allocPa, allocTakeZeroed, hostAccess,
  hostAccessEntry, hostAnnotateAt, hostAnnotateEntry, hostPa, hostTablesNeeded, hostState, hypState, isRamPage, ramHost, setHypState,
  storeU64, vmemmapEntry, zeroHostPage,
} from './pkvm-fast-host';
import { invalidateCode } from './codecache';

const PAGE_MASK: u64 = ~<u64>0xfff;
const MAX_TOPUP: u32 = 8;
const MAX_MOVES: u32 = 16;
const MAX_POPS: u32 = 4;
// The plan, in the path's scratch area.
const S: u32 = PKVM_FAST + PF_SCRATCH;
const S_TOPUP_N: u32 = S; // u32 pages the host allocates for its memcache
const S_MOVE_N: u32 = S + 4; // u32 pages moved from the host's memcache to EL2's
export const S_POOL_NEED: u32 = S + 8; // u32 host_s2_pool pages the planned annotations take (new host tables)
export const S_POOL_USERS: u32 = S + 12; // u32 planned annotations that take any
const S_TOPUP_IDX: u32 = S + 0x10; // u32[MAX_TOPUP] their allocator indices
const S_TOPUP_ENTRY: u32 = S + 0x30; // u32[MAX_TOPUP] host stage-2 entry of the host's access (hostAccessEntry)
const S_MOVE_ENTRY: u32 = S + 0x50; // u32[MAX_MOVES] host stage-2 entry of each moved page's annotation (hostAnnotateEntry)
const S_MOVE_PA: u32 = S + 0x90; // u64[MAX_MOVES] each moved page
const S_POOL_ENTRY: u32 = S + 0x110; // u32 the host stage-2 entry (| level) of the annotation that takes them
// u32 pages at the top of EL2's memcache known to be zero but for their link word (memcacheCommit)
const S_ZERO_TAIL_TOP: u32 = S + 0x114;

/** True when allocator page `i` is one of the first `n` planned top-up pages or the data page. */
function planned(i: u32, n: u32, dataIdx: u32): bool {
  if (i == dataIdx) return true;
  for (let j: u32 = 0; j < n; j++) if (load<u32>(S_TOPUP_IDX + (j << 2)) == i) return true;
  return false;
}

/**
 * Plans the host's top-up (its pages come after the fault's own page, allocator index `dataIdx`)
 * and EL2's refill. Returns EL2's page count after the refill, or -1 when the path cannot do it.
 */
export function memcachePlan(dataIdx: u32): i64 {
  const p = PKVM_FAST;
  const mcPa = load<u64>(p, PF_HOST_MC); // PA of nr_pages; head is the u64 before it
  if ((mcPa & 0xfff) < 8 || (mcPa & 7) != 0 || !isRamPage(mcPa & PAGE_MASK)) return -1;
  const hostNr = load<u64>(ramHost(mcPa));
  const min = <u64>load<u32>(p, PF_MC_MIN);
  const k: u32 = hostNr < min ? <u32>(min - hostNr) : 0;
  if (k > MAX_TOPUP) return -1;
  let from = dataIdx + 1;
  for (let j: u32 = 0; j < k; j++) {
    const i = allocNextFree(from);
    if (i < 0 || planned(<u32>i, j, dataIdx)) return -1;
    const pa = allocPa(<u32>i);
    if (!isRamPage(pa)) return -1;
    const e = hostAccessEntry(pa);
    if (e == 0) return -1;
    store<u32>(S_TOPUP_IDX + (j << 2), <u32>i);
    store<u32>(S_TOPUP_ENTRY + (j << 2), e);
    from = <u32>i + 1;
  }
  const newHostNr = hostNr + k;
  const hypNr = <u64>load<u32>(p, PF_HYP_MC);
  const m: u64 = newHostNr > hypNr ? newHostNr - hypNr : 0;
  if (m > <u64>MAX_MOVES) return -1;
  // The host's memcache from its head: the top-up pages, last pushed first, then the list it had.
  store<u32>(S_POOL_NEED, 0);
  store<u32>(S_POOL_USERS, 0);
  store<u32>(S_TOPUP_N, k);
  store<u32>(S_MOVE_N, <u32>m);
  if (m == 0) return <i64>hypNr; // (nothing moves: the common case)
  let chain = load<u64>(ramHost(mcPa - 8));
  const allocBase = load<u64>(p, PF_ALLOC_BASE);
  const allocPages = load<u32>(p, PF_ALLOC_PAGES);
  for (let j: u32 = 0; j < <u32>m; j++) {
    let pa: u64;
    if (j < k) {
      pa = allocPa(load<u32>(S_TOPUP_IDX + ((k - 1 - j) << 2)));
    } else {
      pa = chain & PAGE_MASK;
      if (!isRamPage(pa)) return -1;
      // (a page the host already holds; one its allocator calls free is not: the full path decides)
      const ai = (pa - allocBase) >> 12;
      if (pa >= allocBase && ai < <u64>allocPages && load<u8>(HOST_ALLOC_MAP + <u32>ai) != PAGE_USED) return -1;
      chain = load<u64>(ramHost(pa));
    }
    // __pkvm_host_donate_hyp(pfn, 1): pfn_range_is_valid, memory, host OWNED, hyp NOPAGE
    if (pa >= load<u64>(p, PF_HOST_LIMIT) || !isRamPage(pa)) return -1;
    const vm = vmemmapEntry(pa);
    if (hostState(vm) != PKVM_PAGE_OWNED || hypState(vm) != PKVM_NOPAGE) return -1;
    const e = hostAnnotateEntry(pa);
    if (e == 0 || !planPoolPages(e)) return -1;
    store<u32>(S_MOVE_ENTRY + (j << 2), e);
    store<u64>(S_MOVE_PA + (j << 3), pa);
  }
  return <i64>(hypNr + m);
}

/**
 * Counts the host_s2_pool pages the annotation at host stage-2 entry `x` takes. One annotation of
 * the fault may take any. A later one from the same level-2 entry (a page of the same 2 MiB region:
 * the refill's page and the fault's own at the start of a fresh region) takes none: it finds the
 * level-3 table the first one installed there and annotates its own entry in it (hostAnnotateAt()
 * descends). Any other second one is not followed (false: the full path decides).
 */
export function planPoolPages(x: u32): bool {
  const n = hostTablesNeeded(x);
  if (n == 0) return true;
  if (load<u32>(S_POOL_USERS) != 0) return (x & 3) == 2 && load<u32>(S_POOL_ENTRY) == x;
  store<u32>(S_POOL_USERS, 1);
  store<u32>(S_POOL_NEED, n);
  store<u32>(S_POOL_ENTRY, x);
  return true;
}

/**
 * After memcachePlan(): true when the first `n` pages EL2's memcache will hold after the refill
 * (the ones the stage-2 map pops for new tables) can be popped: each in RAM, their links readable.
 */
export function memcachePopsPlannable(n: u32): bool {
  if (n > MAX_POPS) return false;
  const m = load<u32>(S_MOVE_N);
  let chain = load<u64>(PKVM_FAST, PF_HYP_MC_HEAD);
  for (let j: u32 = 0; j < n; j++) {
    if (j < m) continue; // a page moved by the refill (checked there)
    const pa = chain & PAGE_MASK;
    if (!isRamPage(pa)) return false;
    chain = load<u64>(ramHost(pa));
  }
  return true;
}

/** Carries out the plan of memcachePlan(): the host's top-up, then EL2's refill. */
export function memcacheCommit(): void {
  const k = load<u32>(S_TOPUP_N);
  const m = load<u32>(S_MOVE_N);
  // The pages this fault tops the host's memcache up with are zero (allocTakeZeroed) but for the
  // link word each push writes; moved to EL2's memcache in the same fault, nothing but the links
  // writes them before memcachePopTable() takes them (no other code runs, and neither the host nor
  // the guest can reach a page the hyp owns). Those at the top of EL2's memcache after the moves —
  // all m moved pages when each was a top-up page (m <= k: the common case) — need only their link
  // word cleared when popped for a table.
  store<u32>(S_ZERO_TAIL_TOP, m <= k ? m : 0);
  if (k == 0 && m == 0) return; // (both memcaches stay as they are)
  const p = PKVM_FAST;
  const nrH = ramHost(load<u64>(p, PF_HOST_MC));
  const headH = nrH - 8;
  let head = load<u64>(headH);
  let nr = load<u64>(nrH);
  for (let j: u32 = 0; j < k; j++) {
    const host = allocTakeZeroed(load<u32>(S_TOPUP_IDX + (j << 2)));
    const pa = hostPa(host);
    hostAccess(load<u32>(S_TOPUP_ENTRY + (j << 2)), pa);
    storeU64(host, head); // push_hyp_memcache()
    head = pa;
    nr++;
  }
  let hypHead = load<u64>(p, PF_HYP_MC_HEAD);
  let hypNr = load<u32>(p, PF_HYP_MC);
  for (let j: u32 = 0; j < m; j++) {
    const pa = head & PAGE_MASK; // (= S_MOVE_PA[j])
    const vm = vmemmapEntry(pa);
    setHypState(vm, PKVM_PAGE_OWNED);
    hostAnnotateAt(load<u32>(S_MOVE_ENTRY + (j << 2)), pa, PKVM_ID_HYP, 0, vm);
    const host = ramHost(pa);
    head = load<u64>(host); // pop_hyp_memcache() of the host's
    nr--;
    storeU64(host, hypHead); // push_hyp_memcache() onto EL2's
    hypHead = pa;
    hypNr++;
  }
  storeU64(headH, head);
  storeU64(nrH, nr);
  store<u64>(p + PF_HYP_MC_HEAD, hypHead);
  store<u32>(p + PF_HYP_MC, hypNr);
}

/**
 * zalloc_page() of the guest stage-2 from EL2's memcache: the page popped, zeroed, its struct
 * hyp_page refcounted (1) with order 0. Returns its PA.
 */
export function memcachePopTable(): u64 {
  const p = PKVM_FAST;
  const pa = load<u64>(p, PF_HYP_MC_HEAD) & PAGE_MASK;
  const host = ramHost(pa);
  store<u64>(p + PF_HYP_MC_HEAD, load<u64>(host));
  store<u32>(p + PF_HYP_MC, load<u32>(p, PF_HYP_MC) - 1);
  const zeroTail = load<u32>(S_ZERO_TAIL_TOP);
  if (zeroTail != 0) {
    // (zero but for the link word: see memcacheCommit(); the page as zeroHostPage() leaves it)
    store<u32>(S_ZERO_TAIL_TOP, zeroTail - 1);
    store<u64>(host, 0);
    invalidateCode(host, 4096);
  } else zeroHostPage(host);
  const vm = vmemmapEntry(pa);
  store<u16>(vm, 1); // hyp_page refcount
  store<u8>(vm, 0, 2); // order
  return pa;
}
