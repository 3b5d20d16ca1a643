/**
 * Page-ownership tracking for the trace and the report: every RAM page classified by who owns it,
 * in which state, and who borrows it, and every change of that classification as a transition
 * (time, page, new owner/state/borrower, and the operation that caused it).
 *
 * Source of truth is the hyp's own state: hyp_vmemmap (host and hyp state; also what the core's fault
 * fast path updates) and, for a page neither host nor hyp owns, the guest stage-2 of the VM whose
 * memslot it backs. sync() compares hyp_vmemmap with the copy taken at the previous sync and
 * reclassifies only the pages whose state byte changed, so it costs a scan of one byte per page.
 *
 * Classification (upstream pKVM states):
 *   host OWNED / SHARED_OWNED                    → owner HOST (borrower HYP or the guest sharing it)
 *   hyp OWNED / SHARED_OWNED (host NOPAGE/BORROWED)→ owner HYP
 *   host SHARED_BORROWED, hyp not the owner      → owner: the guest whose memslot maps it, SHARED_OWNED
 *   host and hyp NOPAGE, in a guest memslot      → owner: that guest, its stage-2 state (OWNED, POISON)
 *   otherwise                                     → nobody (NOPAGE)
 */
import { kvm_pgtable_get_leaf, guest_get_page_state, type HostVm, type Pkvm } from '../scenario/hyp-api';

export const ST_OWNED = 0, ST_SHARED_OWNED = 1, ST_SHARED_BORROWED = 2, ST_NOPAGE = 3, ST_POISON = 4;
export const STATE_NAMES = ['OWNED', 'SHARED_OWNED', 'SHARED_BORROWED', 'NOPAGE', 'POISON'] as const;
/** Owner ids: 0 nobody, 1 HOST, 2 HYP, 3.. the VMs in order of appearance. */
export const NOBODY = 0, HOST = 1, HYP = 2;

export interface Transition {
  /** Sequence number (0, 1, ...): the report's slider steps through these. */
  seq: number;
  /** Instructions retired when it happened. */
  t: bigint;
  /** Page index from RAM base. */
  page: number;
  owner: number;
  state: number;
  borrower: number;
  /** Index into PageTracker.causes. */
  cause: number;
  /** The classification before. */
  prevOwner: number;
  prevState: number;
  prevBorrower: number;
}

export interface PageTrackerSource {
  pkvm: Pkvm;
  /** Live VMs by name (HostKvm's). */
  vms: () => Iterable<HostVm>;
  now: () => bigint;
}

export class PageTracker {
  readonly nPages: number;
  readonly basePfn: bigint;
  readonly owner: Uint8Array;
  readonly state: Uint8Array;
  readonly borrower: Uint8Array;
  /** The classification when tracking started (the report replays transitions from it). */
  readonly initial: { owner: Uint8Array; state: Uint8Array; borrower: Uint8Array };
  readonly owners: string[] = ['nobody', 'HOST', 'HYP'];
  readonly transitions: Transition[] = [];
  readonly causes: string[] = [];
  private readonly causeIdx = new Map<string, number>();
  private cause = 'boot';
  private readonly prev: Uint8Array;
  private readonly old = [0, 0, 0];
  /** Called after a sync that changed pages (counters). */
  onChange: ((t: bigint, changed: number) => void) | null = null;

  constructor(private readonly src: PageTrackerSource) {
    const m = src.pkvm.vmemmap;
    this.nPages = m.nrPages;
    this.basePfn = m.basePfn;
    this.owner = new Uint8Array(this.nPages);
    this.state = new Uint8Array(this.nPages).fill(ST_NOPAGE);
    this.borrower = new Uint8Array(this.nPages);
    this.prev = new Uint8Array(this.nPages);
    const guest = this.guestPages();
    for (let i = 0; i < this.nPages; i++) {
      this.prev[i] = m.raw[i * 8 + 3]!;
      this.classify(i, guest);
    }
    this.initial = { owner: this.owner.slice(), state: this.state.slice(), borrower: this.borrower.slice() };
  }

  /** What the next transitions are caused by (a hypercall with its arguments, a guest exit...). */
  setCause(text: string): string { const was = this.cause; this.cause = text; return was; }

  ownerId(name: string): number {
    let i = this.owners.indexOf(name);
    if (i < 0) { i = this.owners.length; this.owners.push(name); }
    return i;
  }

  /** Reclassifies the pages whose hyp_vmemmap state changed since the last sync; returns how many changed. */
  sync(at?: bigint): number {
    const raw = this.src.pkvm.vmemmap.raw;
    const words = new Uint32Array(raw.buffer, raw.byteOffset, this.nPages * 2);
    const prev = this.prev;
    let changed = 0;
    let guest: { get(i: number): { vm: HostVm; gfn: bigint } | undefined } | null = null;
    const t = at ?? this.src.now();
    // The state byte is the top byte of each struct hyp_page's first little-endian word.
    for (let i = 0, n = this.nPages; i < n; i++) {
      const b = words[i << 1]! >>> 24;
      if (b === prev[i]) continue;
      prev[i] = b;
      guest ??= this.guestPages();
      if (this.classify(i, guest)) { this.record(i, t); changed++; }
    }
    if (changed) this.onChange?.(t, changed);
    return changed;
  }

  /**
   * Reclassifies given pages, each at its own time (the core's fault fast path log), before the next
   * sync() would find them at the end of the guest run.
   */
  recheckAt(pages: readonly { page: number; t: bigint }[]): number {
    const guest = this.guestPages();
    const raw = this.src.pkvm.vmemmap.raw;
    let changed = 0;
    for (const { page: i, t } of pages) {
      if (i < 0 || i >= this.nPages) continue;
      this.prev[i] = raw[i * 8 + 3]!;
      if (this.classify(i, guest)) { this.record(i, t); changed++; }
    }
    if (changed) this.onChange?.(pages[pages.length - 1]!.t, changed);
    return changed;
  }

  /** The classification a transition replaced. */
  previousOf(x: Transition): { owner: number; state: number; borrower: number } {
    return { owner: x.prevOwner, state: x.prevState, borrower: x.prevBorrower };
  }

  private record(i: number, t: bigint): void {
    let c = this.causeIdx.get(this.cause);
    if (c === undefined) { c = this.causes.length; this.causes.push(this.cause); this.causeIdx.set(this.cause, c); }
    this.transitions.push({
      seq: this.transitions.length, t, page: i, owner: this.owner[i]!, state: this.state[i]!, borrower: this.borrower[i]!, cause: c,
      prevOwner: this.old[0], prevState: this.old[1], prevBorrower: this.old[2],
    });
  }

  /**
   * Physical page index → the VM whose memslot it backs (and the gfn): a cache, checked against the
   * memslot on every use and rebuilt from all memslots on a miss (learn() adds what the caller knows).
   */
  private readonly backing = new Map<number, { vm: HostVm; gfn: bigint }>();
  private readonly guestView = { get: (i: number) => this.lookup(i) };

  /** Tells the tracker that page `i` backs `gfn` of `vm` (e.g. from the fault fast path's log). */
  learn(i: number, vm: HostVm, gfn: bigint): void { this.backing.set(i, { vm, gfn }); }

  private valid(i: number, e: { vm: HostVm; gfn: bigint } | undefined): boolean {
    return !!e && e.vm.state !== 'destroyed' && e.vm.slot.pages.get(e.gfn) === (this.basePfn + BigInt(i)) << 12n;
  }

  private lookup(i: number): { vm: HostVm; gfn: bigint } | undefined {
    const e = this.backing.get(i);
    if (this.valid(i, e)) return e;
    if (e) this.backing.delete(i);
    if (this.rebuiltAt === this.syncs) return undefined; // already rebuilt during this sync
    this.rebuiltAt = this.syncs;
    this.backing.clear();
    for (const vm of this.src.vms()) {
      if (vm.state === 'destroyed') continue;
      for (const [gfn, pa] of vm.slot.pages) this.backing.set(Number((pa >> 12n) - this.basePfn), { vm, gfn });
    }
    const f = this.backing.get(i);
    return this.valid(i, f) ? f : undefined;
  }
  private syncs = 0;
  private rebuiltAt = -1;

  private guestPages(): { get(i: number): { vm: HostVm; gfn: bigint } | undefined } {
    this.syncs++;
    return this.guestView;
  }

  /** Sets the page's classification; true if it changed. */
  private classify(i: number, guest: { get(i: number): { vm: HostVm; gfn: bigint } | undefined }): boolean {
    const m = this.src.pkvm.vmemmap;
    const host = m.get_host_state(i), hyp = m.get_hyp_state(i);
    let owner = NOBODY, state = ST_NOPAGE, borrower = NOBODY;
    const g = guest.get(i);
    const guestId = (): number => (g ? this.ownerId(g.vm.name) : NOBODY);
    if (host === ST_OWNED || host === ST_SHARED_OWNED) {
      owner = HOST; state = host;
      if (host === ST_SHARED_OWNED) borrower = hyp === ST_SHARED_BORROWED ? HYP : guestId();
    } else if (hyp === ST_OWNED || hyp === ST_SHARED_OWNED) {
      owner = HYP; state = hyp;
      if (hyp === ST_SHARED_OWNED && host === ST_SHARED_BORROWED) borrower = HOST;
    } else if (g) {
      owner = guestId();
      if (host === ST_SHARED_BORROWED) { state = ST_SHARED_OWNED; borrower = HOST; }
      else state = this.guestState(g.vm, g.gfn);
    }
    if (this.owner[i] === owner && this.state[i] === state && this.borrower[i] === borrower) return false;
    this.old[0] = this.owner[i]!; this.old[1] = this.state[i]!; this.old[2] = this.borrower[i]!;
    this.count(this.old[0], this.old[1], this.old[2], -1);
    this.owner[i] = owner; this.state[i] = state; this.borrower[i] = borrower;
    this.count(owner, state, borrower, 1);
    return true;
  }

  private guestState(vm: HostVm, gfn: bigint): number {
    const hypVm = this.src.pkvm.get_vm_by_handle(vm.handle);
    if (!hypVm) return ST_OWNED;
    const { pte } = kvm_pgtable_get_leaf(hypVm.pgt, gfn << 12n);
    const s = guest_get_page_state(pte);
    return s === ST_NOPAGE ? ST_OWNED : s; // mapped for it but not yet faulted in: still its page
  }

  /** Pages per owner id: [OWNED, SHARED_OWNED, SHARED_BORROWED, NOPAGE, POISON] (borrowers count SHARED_BORROWED). */
  private readonly tally: number[][] = [];
  private count(owner: number, state: number, borrower: number, d: number): void {
    if (owner !== NOBODY) (this.tally[owner] ??= [0, 0, 0, 0, 0])[state]! += d;
    if (borrower !== NOBODY) (this.tally[borrower] ??= [0, 0, 0, 0, 0])[ST_SHARED_BORROWED]! += d;
  }

  /** Pages per owner and state now: owner name → state name → count (borrowers count SHARED_BORROWED). */
  counts(): Map<string, Record<string, number>> {
    const out = new Map<string, Record<string, number>>();
    for (let o = 1; o < this.owners.length; o++) {
      const k = this.tally[o] ?? [0, 0, 0, 0, 0];
      out.set(this.owners[o]!, { OWNED: k[0]!, SHARED_OWNED: k[1]!, SHARED_BORROWED: k[2]!, POISON: k[4]! });
    }
    return out;
  }
}
