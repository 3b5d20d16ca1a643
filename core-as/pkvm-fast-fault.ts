// The stage-2 fault fast path of the hosted pKVM (hyp/ in TypeScript): a guest's translation fault
// on a page of its memslot that the host has not backed yet is resolved here, without the exception
// to EL2, the exit to TypeScript, the host's fault handling and the __kvm_vcpu_run round trip. What
// it does is what that round trip does (host-kernel-model/fault-fast-path.ts sets the parameters per
// guest run and takes the log afterwards; test/host/fault-fast-path.test.ts compares both paths):
//
// - host (user_mem_abort): the page is the host allocator's next free one (its page bytes, cursor
//   and free count live here, HOST_ALLOC_MAP / PF_ALLOC_*), taken and zeroed through the host's
//   view (unless known to be zero already: then not touched at all), then the memcache top-up
//   (pkvm-fast-memcache.ts);
// - hyp: pkvm_refill_memcache() (pkvm-fast-memcache.ts), then __pkvm_host_donate_guest for a
//   protected VM (mem_protect.c): the page is host OWNED in hyp_vmemmap (HYP_VMEMMAP, the struct
//   hyp_page array hyp/vmemmap.ts uses); the guest stage-2 is empty at the IPA (PKVM_NOPAGE); EL2's
//   memcache holds kvm_mmu_cache_min_pages(); the host stage-2 has a level-3 entry for the page,
//   empty or the page's idmap (no block to split). Then: host entry ← donation annotation (owner
//   guest, handle, gfn), host state NOPAGE; the guest's missing tables from EL2's memcache; guest
//   entry ← page descriptor with the VM's RWX/OWNED attributes. For a non-protected VM,
//   __pkvm_host_share_guest: the host keeps its mapping of the page (through which it zeroed it),
//   host state SHARED_OWNED and its share count + 1, the guest entry SHARED_BORROWED;
// - the guest retries the access, as after the ERET of the round trip (the instruction count and
//   the exclusive monitor as if the exception had been taken and returned from): a plain load or
//   store makes it again at once, inside the same step of the interpreter or of the compiled tier
//   (pkvmFastAccessFault(), called by mem.ts accessPage()); the new leaf is entered in the stage-2
//   walk cache (walk.ts s2cFillPage()) as the retried walk would enter it.
//
// The walks: the one that found the fault (translate()); the guest's and the host's level-3 entry
// through a memo of each stage 2's last level-3 table (pkvm-fast-host.ts descendMemo()); no other.
// No TLB maintenance for the guest (an empty entry becomes valid: nothing to invalidate); for the
// host only when a valid idmap is broken (a generation bump of the host's VMID in tlb2.ts, whose
// entries the running guest does not use). No zeroing of a page the host knows to be zero.
//
// Everything is checked before anything changes. Anything else (another fault, a backed page, a
// block to split in the host stage-2, a page-table page outside RAM, the log full, the path
// disabled) takes the exception to EL2 as usual, and the full round trip decides.
import {
  CPU_BASE, OFF_EXCL_ADDR, PF_BACKED, PF_ENABLED, PF_GUEST_ATTR, PF_GUEST_MC_MIN, PF_HANDLE, PF_LOG_COUNT,
  PF_POOL_EMPTY, PF_SHARE, PF_SLOT_BASE, PF_SLOT_SIZE,
  PKVM_FAST, PKVM_FAST_LOG, PKVM_FAST_LOG_CAP,
} from './layout';
import { ticksNow } from './timer';
import { s2cFillPage } from './walk';
import { FAULT_TRANSLATION, faultIPA, faultStage2, faultType } from './fault';
import { curEntry, decRemaining, el2Hosted, remaining, setMemFault } from './state';
import { jitFloor, jitNested } from './jit/jit-hook';
import { D_OP } from './decoded';
import { OP_LDP, OP_LDR_LIT, OP_LDST_IMM, OP_STP } from './ops';
import {
  ADDR_47_12, PKVM_ID_GUEST, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_OWNED, allocCursor, allocKnownZero, allocNextFree, allocPa,
  allocTakeZeroed, descendMemo, hostAccess, hostAccessEntry, hostAnnotateAt, hostAnnotateEntry, hostPa, hostPoolAvailable, hostState, isRamPage,
  ramHost, refIncTableOf, setHostState, storeU64, vmemmapEntry,
} from './pkvm-fast-host';
import { S_POOL_NEED, memcacheCommit, memcachePlan, memcachePopTable, memcachePopsPlannable, planPoolPages } from './pkvm-fast-memcache';

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

  // --- Checks (nothing changes until all have passed) ---
  // The host's next page (backingPage()), host OWNED.
  const i = allocNextFree(allocCursor());
  if (i < 0) return false;
  const pa = allocPa(<u32>i);
  if (!isRamPage(pa)) return false;
  const vm = vmemmapEntry(pa);
  if (hostState(vm) != PKVM_PAGE_OWNED) return false;
  const share = load<u32>(p, PF_SHARE) != 0;
  // Its host stage-2 entry: for a share, the host's access when it zeroes the page (which idmaps
  // it; none for a page known to be zero: HostKvm.allocPage); for a donation, the entry the
  // annotation replaces.
  const zero = allocKnownZero(<u32>i);
  let he: u32 = 0;
  if (!share) he = hostAnnotateEntry(pa);
  else if (!zero) he = hostAccessEntry(pa);
  if (he == 0 && !(share && zero)) return false;
  // The memcaches: the host's top-up, EL2's refill, then __guest_check_memcache.
  const hypPages = memcachePlan(<u32>i);
  if (hypPages < <i64>load<u32>(p, PF_GUEST_MC_MIN)) return false;
  // New host stage-2 tables (the refill's annotations, then the donation's) from host_s2_pool.
  if (!share && !planPoolPages(he)) return false;
  const poolNeed = load<u32>(S_POOL_NEED);
  if (poolNeed != 0 && poolNeed > hostPoolAvailable()) return false;
  // The guest stage-2 at the IPA: empty (PKVM_NOPAGE), at level 3 or above it (tables to add).
  const gx = descendMemo(true, page);
  if (gx == 0) return false;
  let ge = gx & ~3;
  if (load<u64>(ge) != 0) return false;
  const tables = 3 - (gx & 3);
  if (tables != 0 && (load<u32>(p, PF_POOL_EMPTY) == 0 || <i64>tables > hypPages || !memcachePopsPlannable(tables))) return false;

  // --- Changes, in the full path's order ---
  // Host: take the page and zero it (its own access idmaps it if need be); top up the memcache.
  const host = allocTakeZeroed(<u32>i);
  store<u8>(backed, load<u8>(backed) | <u8>(<u32>1 << (bit & 7)));
  if (share && !zero) hostAccess(he, pa);
  // Hyp: refill EL2's memcache, then the host side of the donation or share.
  memcacheCommit();
  if (share) {
    setHostState(vm, PKVM_PAGE_SHARED_OWNED);
    store<u32>(vm, load<u32>(vm, 4) + 1, 4); // host_share_guest_count
  } else {
    hostAnnotateAt(he, pa, PKVM_ID_GUEST, <u64>(load<u32>(p, PF_HANDLE) & 0xffff) | (gfn << 16), vm);
  }
  // The guest stage-2: new tables from EL2's memcache (stage2_map_walker: each installed with a
  // reference on the table holding it), then the leaf (OWNED or SHARED_BORROWED: PF_GUEST_ATTR).
  for (let l = 3 - tables; l < 3; l++) {
    const t = memcachePopTable();
    refIncTableOf(ge);
    storeU64(ge, t | 3);
    ge = ramHost(t) + (<u32>((page >> (39 - 9 * (<u64>l + 1))) & 511) << 3);
  }
  refIncTableOf(ge);
  const leaf = pa | load<u64>(p, PF_GUEST_ATTR) | 3;
  storeU64(ge, leaf);
  s2cFillPage(page, leaf); // (the walk cache as the access's retry would leave it)
  // The log for the host's bookkeeping.
  const e = PKVM_FAST_LOG + (n << 5);
  store<u64>(e, gfn);
  store<u64>(e, hostPa(host), 8);
  store<u64>(e, ticksNow(), 16); // (when: the machine's instruction count, as trace events are stamped)
  store<u32>(p + PF_LOG_COUNT, n + 1);
  // As the exception entry (and return) would: the local exclusive monitor is cleared.
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1);
  return true;
}

/** accessPage()'s stage-2 fault was not this path's: the abort is raised as usual. */
export const PF_ACCESS_RAISE: u32 = 0;
/** Resolved; the access is made again now (the aborted attempt counted). */
export const PF_ACCESS_RETRY: u32 = 1;
/** Resolved; the instruction is abandoned, to run again where the interpreter's loop resumes. */
export const PF_ACCESS_ABANDONED: u32 = 2;

/**
 * A data access's stage-2 fault, just recorded by translate() in mem.ts accessPage(), resolved by
 * pkvmFastStage2Fault() when it is this path's case. The full path takes the abort to EL2 and
 * ERETs to the instruction, which runs again: the aborted attempt counts one instruction and the
 * retry the next, with nothing in between but the loop's own check of the budget (an interrupt or
 * an exit is only taken where the budget ends). So where the budget goes on past the aborted
 * attempt (remaining > jitFloor: the interpreter's loop would run the retry at once) and the
 * instruction is a plain load or store (LDR/STR/LDTR/STTR of all kinds, LDP/STP: nothing of it but its
 * accesses and their register results, which it makes only once they all succeeded), the attempt
 * is counted here and the access made again in place: PF_ACCESS_RETRY. Inside the compiled
 * tier's one-instruction step (jit-step.ts, whose loop floor is that one instruction) the same
 * holds of the budget left (remaining > 0): jitStep then reports the extra instruction to the
 * compiled block (pkvmFastRetried). Otherwise (the last instruction of the budget, an
 * exclusive or atomic access) the instruction is abandoned as before (PF_ACCESS_ABANDONED); the
 * caller then enters the page's new translation in the fast TLB, as the retry's own access would.
 */
export function pkvmFastAccessFault(): u32 {
  if (!faultStage2 || faultType != FAULT_TRANSLATION || !el2Hosted() || !pkvmFastStage2Fault(faultIPA)) return PF_ACCESS_RAISE;
  if ((remaining > jitFloor || (jitNested && remaining > 0)) && curEntry != 0) {
    const op = load<u16>(curEntry, D_OP);
    if ((op >= OP_LDST_IMM && op <= OP_LDR_LIT) || op == OP_LDP || op == OP_STP) {
      decRemaining();
      if (jitNested) pkvmFastRetried = true;
      return PF_ACCESS_RETRY;
    }
  }
  setMemFault(true);
  return PF_ACCESS_ABANDONED;
}

/**
 * Whether the instruction the compiled tier just ran through the interpreter (jit-step.ts jitStep,
 * whose budget is that one instruction) had its access made again here after a resolved fault:
 * it then counted twice, and the compiled block takes the extra instruction from its budget
 * (machine/jit/translate.ts stepResult()). jitStep clears it (pkvmFastRetriedClear()).
 */
export let pkvmFastRetried: bool = false;
export function pkvmFastRetriedClear(): void { pkvmFastRetried = false; }
