/**
 * The one-page donation (mem-protect-page.ts over pgtable-page.ts: __pkvm_host_donate_guest() of a
 * page without kvm_pgtable_walk()) must leave exactly what the generic path leaves: the same
 * results and errnos, the same RAM (page tables and all) and vmemmap word for word, the same TLB
 * invalidations, the same hyp_panic. Random host hypercall sequences (host-cmds.ts, donate-heavy)
 * run in lockstep on two boards, one with the one-page path, one without; then each edge case
 * named, with the errno upstream's mem_protect.c / pgtable.c give.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CmdRun, RAND_BASE, cmdArb, cmdHost, cpuArb, prepArb, vmArb, type Cmd } from './host-cmds';
import { Host, load, MMIO_PFN } from './harness';
import { pgtable_page_path } from '../../hyp/pgtable-page';
import { HypPanic, EINVAL, ENOMEM, EPERM, ERANGE, PKVM_NOPAGE, PKVM_PAGE_OWNED, hypWarnConfig } from '../../hyp/page-state';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import {
  KVM_GUEST_INVALID_PTE_TYPE_POISONED, KVM_INVALID_PTE_LOCKED, KVM_PGTABLE_LAST_LEVEL, PAGE_SIZE,
} from '../../hyp/pgtable-defs';
import { kvm_pgtable_stage2_annotate } from '../../hyp/pgtable-stage2';
import { pkvm_dma_refs_init } from '../../hyp/iommu/dma-refs';
import { guest_get_page_state } from '../../hyp/mem-protect-guest';
import { guest_get_page_state_at } from '../../hyp/mem-protect-guest-state';
import { check_range_allowed_memory, page_is_memory_n } from '../../hyp/host-stage2';
import type { PkvmOptions } from '../../hyp/index';

afterEach(() => {
  pgtable_page_path.enabled = true;
});

const hex = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x));

/** A board whose TLB invalidations (and host page invalidations) are logged. */
function board(f: (opts: PkvmOptions & { descend: boolean }) => Host) {
  const log: string[] = [];
  const host = f({
    descend: true,
    tlb: {
      flush_vmid_ipa: (vmid, ipa, level) => log.push(`ipa ${vmid} 0x${ipa.toString(16)} ${level}`),
      flush_vmid_range: (vmid, a, s) => log.push(`range ${vmid} 0x${a.toString(16)} 0x${s.toString(16)}`),
      flush_vmid: (vmid) => log.push(`vmid ${vmid}`),
      flush_vm_context: () => log.push('all'),
    },
  });
  host.hyp.hostTlbPageInvalidated.push((page) => log.push(`host page 0x${page.toString(16)}`));
  return { host, log };
}

/** The first difference between two boards (RAM, vmemmap, TLB log, tlb_gen), or ''. */
function diff(a: { host: Host; log: string[] }, b: { host: Host; log: string[] }): string {
  const ma = a.host.mem.backing, mb = b.host.mem.backing;
  if (Buffer.compare(ma, mb) !== 0) {
    let i = 0;
    while (ma[i] === mb[i]) i++;
    const at = a.host.mem.ramBase + BigInt(i & ~7);
    return `RAM differs at 0x${at.toString(16)}: 0x${a.host.mem.readU64(at).toString(16)} / 0x${b.host.mem.readU64(at).toString(16)}`;
  }
  const va = a.host.hyp.vmemmap.raw, vb = b.host.hyp.vmemmap.raw;
  if (Buffer.compare(va, vb) !== 0) {
    let i = 0;
    while (va[i] === vb[i]) i++;
    return `vmemmap differs at page ${i >> 3} byte ${i & 7}: ${va[i]} / ${vb[i]}`;
  }
  if (hex(a.log) !== hex(b.log)) return `TLB invalidations differ:\n${a.log.join(', ')}\n${b.log.join(', ')}`;
  if (a.host.hyp.tlb_gen !== b.host.hyp.tlb_gen) return `tlb_gen ${a.host.hyp.tlb_gen} / ${b.host.hyp.tlb_gen}`;
  return '';
}

/** Runs one command on both boards, the first with the one-page path, the second without. */
function lockstep(a: { run: CmdRun; host: Host; log: string[] }, b: { run: CmdRun; host: Host; log: string[] }, c: Cmd): string {
  const step = (x: typeof a, on: boolean): string => {
    pgtable_page_path.enabled = on;
    try {
      return `${x.run.step(c)} ${hex(x.host.lastRet)}`;
    } catch (e) {
      x.run.stopped = true;
      return `threw ${(e as Error).message}`;
    } finally {
      pgtable_page_path.enabled = true;
    }
  };
  const ra = step(a, true), rb = step(b, false);
  if (ra !== rb) return `results differ: ${ra} / ${rb}`;
  return diff(a, b);
}

/* Donations and host accesses over a few 2 MiB regions, so that the one-page path finds tables. */
const donateArb = fc.record({
  t: fc.constant('donate' as const),
  pfn: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 31 }).map((i) => RAND_BASE + BigInt(i)) },
    { weight: 1, arbitrary: fc.constantFrom(MMIO_PFN, 1n << 30n, (1n << 36n) - 1n, 1n << 36n, RAND_BASE + 511n) },
  ),
  gfn: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x10, max: 0x2f }).map(BigInt) },
    { weight: 1, arbitrary: fc.constantFrom(0x1ffn, 0x200n, 0x40000n, 1n << 27n, 1n << 28n, (1n << 40n) - 1n) },
  ),
  cpu: cpuArb, vm: vmArb, prep: prepArb,
});
const accessArb = fc.record({ t: fc.constant('host_access' as const), pfn: fc.integer({ min: 0, max: 31 }).map((i) => RAND_BASE + BigInt(i)) });
const seqArb = fc.array(
  fc.oneof({ weight: 4, arbitrary: cmdArb }, { weight: 4, arbitrary: donateArb as fc.Arbitrary<Cmd> }, { weight: 1, arbitrary: accessArb as fc.Arbitrary<Cmd> }),
  { minLength: 5, maxLength: 60 },
);

describe('one-page donation = the generic walk, word for word', () => {
  it('random host hypercall sequences (500 runs)', () => {
    const before = { ...pgtable_page_path };
    fc.assert(fc.property(seqArb, (cmds) => {
      const a = board(cmdHost), b = board(cmdHost);
      const A = { ...a, run: new CmdRun(a.host) }, B = { ...b, run: new CmdRun(b.host) };
      for (const [i, c] of cmds.entries()) {
        const d = lockstep(A, B, c);
        if (d) throw new Error(`step ${i} ${hex(c)}: ${d}`);
        if (A.run.stopped) break;
      }
    }), { numRuns: 500, seed: 0xd0a7e3, endOnFailure: true });
    /* the one-page path did the work, not only its fallbacks */
    expect(pgtable_page_path.maps - before.maps).toBeGreaterThan(300);
    expect(pgtable_page_path.annotations - before.annotations).toBeGreaterThan(300);
  }, 600_000);
});

/** Two boards with a protected VM each, its vCPU loaded and its memcache topped up. */
function pair() {
  const mk = () => {
    const x = board((o) => new Host({ ...o, autoCheck: false }));
    const vm = x.host.createVm(true, 1);
    load(x.host, vm);
    x.host.topup(vm, 0, 8);
    return { ...x, vm };
  };
  return [mk(), mk()] as const;
}
type Side = ReturnType<typeof pair>[0];

/** The same action on both sides (the first with the one-page path); its results, equal, and the boards, equal. */
function both<T>(p: readonly [Side, Side], f: (s: Side) => T): T {
  const r: T[] = [];
  for (const [i, s] of p.entries()) {
    pgtable_page_path.enabled = i === 0;
    try {
      r.push(f(s));
    } finally {
      pgtable_page_path.enabled = true;
    }
  }
  expect(hex(r[0])).toBe(hex(r[1]));
  expect(diff(p[0], p[1])).toBe('');
  return r[0]!;
}
const donate = (s: Side, pfn: bigint, gfn: bigint): number => s.host.call('__pkvm_host_donate_guest', pfn, gfn);
const PFN = (0x4000_0000n >> 12n) + 0x200n; /* host RAM the harness never hands out (it allocates from RAM_BASE + 1 MiB up) */
const hostLeaf = (s: Side, pfn: bigint) => kvm_pgtable_get_leaf(s.host.hyp.host_mmu.pgt, pfn << 12n);
const guestLeaf = (s: Side, gfn: bigint) => kvm_pgtable_get_leaf(s.host.hyp.get_vm_by_handle(s.vm.handle)!.pgt, gfn << 12n);

describe('one-page donation: each edge as upstream', () => {
  it('a fresh 2 MiB region (no guest table, host block or no host table) falls back; the next page takes the one-page path', () => {
    const p = pair();
    const m0 = pgtable_page_path.maps, a0 = pgtable_page_path.annotations;
    expect(both(p, (s) => donate(s, PFN, 0x10n))).toBe(0);
    both(p, (s) => donate(s, PFN + 1n, 0x11n));
    /* (only the first side counts: the second ran with the path off) */
    expect(pgtable_page_path.maps - m0).toBe(1);
    expect(pgtable_page_path.annotations - a0).toBe(1);
    for (const s of p) {
      expect(guestLeaf(s, 0x11n).level).toBe(KVM_PGTABLE_LAST_LEVEL);
      expect(hostLeaf(s, PFN + 1n).level).toBe(KVM_PGTABLE_LAST_LEVEL);
      expect(s.host.hyp.vmemmap.get_host_state(s.host.hyp.vmemmap.idx((PFN + 1n) << 12n))).toBe(PKVM_NOPAGE);
      expect(guest_get_page_state(guestLeaf(s, 0x11n).pte)).toBe(PKVM_PAGE_OWNED);
    }
  });

  it('a host block mapping over the page: broken by the generic path, the same tables', () => {
    const p = pair();
    for (const s of p) s.host.hyp.handleHostMemAbort(PFN << 12n);
    for (const s of p) expect(hostLeaf(s, PFN).level).toBeLessThan(KVM_PGTABLE_LAST_LEVEL);
    expect(both(p, (s) => donate(s, PFN + 3n, 0x10n))).toBe(0);
  });

  it('a valid host page at level 3: the TLB invalidation of that IPA at level 3', () => {
    const p = pair();
    both(p, (s) => donate(s, PFN, 0x10n)); /* the host's tables down to level 3 */
    for (const s of p) s.host.hyp.handleHostMemAbort((PFN + 5n) << 12n);
    for (const s of p) {
      expect(hostLeaf(s, PFN + 5n).level).toBe(KVM_PGTABLE_LAST_LEVEL);
      s.log.length = 0;
    }
    expect(both(p, (s) => donate(s, PFN + 5n, 0x11n))).toBe(0);
    expect(p[0].log).toContain(`ipa 0 0x${((PFN + 5n) << 12n).toString(16)} 3`);
    expect(p[0].log).toContain(`host page 0x${(PFN + 5n).toString(16)}`);
  });

  it('the page already donated: -EPERM (host state); the gfn already mapped: -EPERM (guest state)', () => {
    const p = pair();
    both(p, (s) => donate(s, PFN, 0x10n));
    both(p, (s) => donate(s, PFN + 1n, 0x11n));
    expect(both(p, (s) => donate(s, PFN + 1n, 0x12n))).toBe(-EPERM);
    expect(both(p, (s) => donate(s, PFN + 2n, 0x11n))).toBe(-EPERM);
  });

  it('a poisoned guest entry: -EPERM; a page shared with the hyp: -EPERM', () => {
    const p = pair();
    both(p, (s) => donate(s, PFN, 0x10n));
    both(p, (s) => kvm_pgtable_stage2_annotate(s.host.hyp.get_vm_by_handle(s.vm.handle)!.pgt, 0x12n << 12n, PAGE_SIZE, null,
      KVM_GUEST_INVALID_PTE_TYPE_POISONED, 0n));
    expect(both(p, (s) => donate(s, PFN + 1n, 0x12n))).toBe(-EPERM);
    both(p, (s) => s.host.call('__pkvm_host_share_hyp', PFN + 2n));
    expect(both(p, (s) => donate(s, PFN + 2n, 0x13n))).toBe(-EPERM);
  });

  it('not memory: -EPERM (MMIO), beyond the IPA range: -ERANGE, a DMA-mapped page: -EINVAL', () => {
    const p = pair();
    both(p, (s) => donate(s, PFN, 0x10n));
    expect(both(p, (s) => donate(s, MMIO_PFN, 0x11n))).toBe(-EPERM);
    expect(both(p, (s) => donate(s, 1n << 35n, 0x11n))).toBe(-EPERM);
    expect(both(p, (s) => donate(s, PFN + 1n, 1n << 39n))).toBe(-ERANGE);
    both(p, (s) => { pkvm_dma_refs_init(s.host.hyp)[s.host.hyp.vmemmap.idx((PFN + 1n) << 12n)] = 1; });
    expect(both(p, (s) => donate(s, PFN + 1n, 0x11n))).toBe(-EINVAL);
  });

  it('a memcache below kvm_mmu_cache_min_pages(): -ENOMEM before any change', () => {
    const p = pair();
    both(p, (s) => donate(s, PFN, 0x10n));
    for (const s of p) s.host.hyp.loaded_hyp_vcpu[0]!.pkvm_memcache.nr_pages = 1n;
    expect(both(p, (s) => donate(s, PFN + 1n, 0x11n))).toBe(-ENOMEM);
    for (const s of p) expect(s.host.hyp.vmemmap.get_host_state(s.host.hyp.vmemmap.idx((PFN + 1n) << 12n))).toBe(PKVM_PAGE_OWNED);
  });

  it('a locked guest entry: the generic path WARNs (hyp_panic) as upstream', () => {
    const p = pair();
    both(p, (s) => donate(s, PFN, 0x10n));
    for (const s of p) expect(guestLeaf(s, 0x11n).level).toBe(KVM_PGTABLE_LAST_LEVEL);
    expect(hypWarnConfig.warnIsFatal).toBe(true);
    const r = both(p, (s) => {
      writeGuestEntry(s, 0x11n, KVM_INVALID_PTE_LOCKED);
      try {
        return donate(s, PFN + 1n, 0x11n);
      } catch (e) {
        return e instanceof HypPanic ? e.message : String(e);
      }
    });
    /* stage2_try_break_pte(): WARN_ON(!(ctx->flags & KVM_PGTABLE_WALK_SHARED)) on a locked entry */
    expect(String(r)).toMatch(/^hyp_panic: WARN_ON: locked pte under exclusive walk/);
  });
});

/** Stores a descriptor in the guest's level-3 entry for gfn (the tables down to it exist). */
function writeGuestEntry(s: Side, gfn: bigint, pte: bigint): void {
  const pgt = s.host.hyp.get_vm_by_handle(s.vm.handle)!.pgt;
  /* walk down by hand: the level-3 table holding gfn's entry */
  let table = pgt.pgdN;
  for (let level = pgt.start_level; level < 3; level++) {
    const shift = BigInt(39 - 9 * level);
    const ptep = BigInt(table) + (((gfn << 12n) >> shift) & 511n) * 8n;
    table = Number(s.host.mem.readU64(ptep) & 0xffff_ffff_f000n);
  }
  s.host.mem.writeU64(BigInt(table) + (gfn & 511n) * 8n, pte);
}

describe('the one-page path\'s word predicates = the u64 ones', () => {
  it('guest_get_page_state_at() (two words) = guest_get_page_state() (the u64) on random descriptors', () => {
    const host = new Host({ autoCheck: false, descend: true });
    const vm = host.hyp.get_vm_by_handle(host.createVm(true, 1).handle)!;
    const ptep = Number(host.alloc());
    const pick = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      /* invalid entries of each type (bits 63:60), annotations below */
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.bigInt({ min: 0n, max: (1n << 59n) - 1n })).map(([t, a]) => (BigInt(t) << 60n) | (a << 1n)),
      /* valid leaves with each software state */
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.bigInt({ min: 0n, max: (1n << 48n) - 1n })).map(([sw, a]) => (BigInt(sw) << 55n) | (a & ~0xfffn) | 0x7c3n),
    );
    fc.assert(fc.property(pick, (pte) => {
      host.mem.writeU64(BigInt(ptep), pte);
      expect(guest_get_page_state_at(vm, ptep)).toBe(guest_get_page_state(pte));
    }), { numRuns: 3000, seed: 0x5e7 });
  });

  it('page_is_memory_n() is check_range_allowed_memory() == 0 for a page', () => {
    const host = new Host({ autoCheck: false });
    const hyp = host.hyp;
    const ram = hyp.hyp_memory[0]!;
    const pages = [ram.base - PAGE_SIZE, ram.base, ram.base + PAGE_SIZE, ram.base + ram.size - PAGE_SIZE, ram.base + ram.size, 0n, 1n << 40n];
    for (const pa of pages)
      expect(page_is_memory_n(hyp, Number(pa))).toBe(check_range_allowed_memory(hyp, pa, pa + PAGE_SIZE) === 0);
  });
});
