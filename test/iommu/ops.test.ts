// Property: random interleavings of IOMMU operations (domains, attach, map, unmap, pool refills, DMA
// copies) with the page transitions that compete with them (donation to a guest, sharing with the
// hyp, guest share/unshare) keep every invariant, and every op's result satisfies the predicates of
// ops.ts. Runs on the ArrayPhysMem hyp harness with the reference walker (both modes) and once on a
// core-backed board with the core's walker: the same ops and predicates a fuzzer calls.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Host, RAM_BASE, load, put, type HostVm } from '../hyp/harness';
import { checkInvariants } from '../../hyp/invariants';
import { __pkvm_guest_share_host, __pkvm_guest_unshare_host } from '../../hyp/mem-protect-guest';
import { IOMMU_READ, IOMMU_WRITE } from '../../hyp/iommu/defs';
import { kvm_iommu } from '../../hyp/iommu/iommu';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import { kvm_pte_to_phys, kvm_pte_valid } from '../../hyp/pgtable-defs';
import {
  allocDomainOp, attachOp, detachOp, dmaCopyOp, dmaPinned, dmaSafety, expectedTranslation, freeDomainOp, iommuWorld,
  mapOp, predictDma, predictMap, predictUnmap, refillOp, unmapOp, worldOf, type IommuWorld,
} from './ops';
import { bootDmaBoard } from './board';
import type { KvmIommuMode } from '../../hyp/iommu/iommu';

const PAGE = 4096n;
const POOL = RAM_BASE + (8n << 20n); /* 16 host pages the ops play with */
const pfn = (i: number) => POOL + BigInt(i) * PAGE;
const IOVA = 0x100_0000n;

/** How often the interesting outcomes happen across a property's runs (a check that the generator is useful). */
const stats = { mapped: 0, dmaDone: 0, dmaFault: 0, pinnedDonate: 0, donated: 0, donateFail: 0, share: 0, unshare: 0 };

/** The page a guest gfn maps to, if any. */
function guestPa(v: { vm: { pgt: Parameters<typeof kvm_pgtable_get_leaf>[0] } }, gfn: bigint): bigint | null {
  const { pte } = kvm_pgtable_get_leaf(v.vm.pgt, gfn << 12n);
  return kvm_pte_valid(pte) ? kvm_pte_to_phys(pte) : null;
}

const dom = fc.constantFrom(1, 1, 1, 2, 0);
const len = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 512 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * 4096 }) });
const off = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 4095 }) });
const cmd = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('alloc' as const), d: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('free' as const), d: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('attach' as const), d: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('detach' as const), d: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('refill' as const), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('map' as const), d: dom, slot: fc.integer({ min: 0, max: 15 }), page: fc.integer({ min: 0, max: 17 }), n: fc.integer({ min: 1, max: 3 }), prot: fc.constantFrom(0, 1, 2, 3, 3, 3) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('unmap' as const), d: dom, slot: fc.integer({ min: 0, max: 15 }), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('dma' as const), pick: fc.constantFrom(true, true, false), s: fc.integer({ min: 0, max: 17 }), d: fc.integer({ min: 0, max: 17 }), so: off, dOff: off, len }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('donate' as const), page: fc.integer({ min: 0, max: 15 }), gfn: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('share_hyp' as const), page: fc.integer({ min: 0, max: 15 }), un: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('guest_share' as const), gfn: fc.integer({ min: 0, max: 3 }), un: fc.constantFrom(false, false, true) }) },
);
type Cmd = typeof cmd extends fc.Arbitrary<infer T> ? T : never;

/** A page address of the op's pool; 16 and 17 are the hyp's carve-out and MMIO. */
function pageAddr(host: Host, i: number): bigint {
  if (i === 16) return host.hyp.carveout.base;
  if (i === 17) return 0x0900_0000n;
  return pfn(i);
}

function run(w: IommuWorld, host: Host, vm: HostVm, cmds: Cmd[]): void {
  const hyp = w.hyp;
  const mode = w.iommu.mode;
  const addr = (i: number): bigint => (mode === 'mirror' ? pageAddr(host, i) : IOVA + BigInt(i) * PAGE);
  /* 'pick' DMAs use an address that translates now (a mapped IOVA, or a page the host has), when there is one. */
  const live = (i: number, pick: boolean): bigint => {
    if (!pick) return addr(i);
    const ok = Array.from({ length: 18 }, (_, k) => addr(k)).filter((a) => expectedTranslation(w, a, false) !== null);
    return ok.length ? ok[i % ok.length]! : addr(i);
  };
  const gpa = (g: number) => 0x10n + BigInt(g);
  for (const c of cmds) {
    const errs: string[] = [];
    switch (c.t) {
      case 'alloc': allocDomainOp(w, c.d); break;
      case 'free': freeDomainOp(w, c.d); break;
      case 'attach': attachOp(w, c.d); break;
      case 'detach': detachOp(w, c.d); break;
      case 'refill': refillOp(w, Array.from({ length: c.n }, () => host.alloc())); break;
      case 'map': {
        const a = { domain: c.d, iova: IOVA + BigInt(c.slot) * PAGE, pa: pageAddr(host, c.page), pgcount: BigInt(c.n), prot: (c.prot & 1 ? IOMMU_READ : 0) | (c.prot & 2 ? IOMMU_WRITE : 0) };
        const check = predictMap(w, a);
        const r = mapOp(w, a);
        errs.push(...check(r));
        if (r.mapped) stats.mapped++;
        break;
      }
      case 'unmap': {
        const a = { domain: c.d, iova: IOVA + BigInt(c.slot) * PAGE, pgcount: BigInt(c.n) };
        const check = predictUnmap(w, a);
        errs.push(...check(unmapOp(w, a)));
        break;
      }
      case 'dma': {
        const a = { src: live(c.s, c.pick) + BigInt(c.so), dst: live(c.d, c.pick) + BigInt(c.dOff), len: BigInt(c.len) };
        const check = predictDma(w, a);
        const r = dmaCopyOp(w, a);
        errs.push(...check(r));
        stats[r.status === 1 ? 'dmaDone' : 'dmaFault']++;
        break;
      }
      case 'donate': {
        const pa = pfn(c.page);
        const pinned = dmaPinned(w, pa);
        load(host, vm);
        host.topup(vm);
        const ret = host.call('__pkvm_host_donate_guest', pa >> 12n, gpa(c.gfn));
        put(host);
        if (pinned && !ret) errs.push(`donated ${pa.toString(16)} while it was mapped for DMA`);
        stats[pinned ? 'pinnedDonate' : ret ? 'donateFail' : 'donated']++;
        break;
      }
      case 'share_hyp': {
        const pa = pfn(c.page);
        const pinned = dmaPinned(w, pa);
        const ret = host.call(c.un ? '__pkvm_host_unshare_hyp' : '__pkvm_host_share_hyp', pa >> 12n);
        if (!c.un && pinned && !ret) errs.push(`shared ${pa.toString(16)} with the hyp while it was mapped for DMA`);
        break;
      }
      case 'guest_share': {
        load(host, vm);
        host.topup(vm);
        const v = hyp.loaded_hyp_vcpu[0]!;
        const pa = guestPa(v, gpa(c.gfn));
        const pinned = pa !== null && dmaPinned(w, pa);
        const ret = c.un ? __pkvm_guest_unshare_host(hyp, v, gpa(c.gfn)) : __pkvm_guest_share_host(hyp, v, gpa(c.gfn));
        put(host);
        if (c.un && pinned && !ret) errs.push(`guest unshared ${pa!.toString(16)} while the host had it mapped for DMA`);
        stats[c.un ? 'unshare' : 'share'] += ret ? 0 : 1;
        break;
      }
    }
    errs.push(...dmaSafety(w));
    errs.push(...checkInvariants(hyp));
    if (errs.length) throw new Error(`after ${JSON.stringify(c)}:\n  ${errs.join('\n  ')}`);
  }
}

function harnessWorld(mode: KvmIommuMode) {
  const host = new Host({ autoCheck: false });
  const w = iommuWorld(host.hyp, mode);
  const vm = host.createVm(true);
  /* The op pool starts host-owned and identity-mapped, as memory the host kernel uses. */
  for (let i = 0; i < 16; i++) host.hyp.handleHostMemAbort(pfn(i));
  return { host, w, vm };
}

describe.each(['hypercall', 'mirror'] as const)('IOMMU ops under random interleavings (%s mode)', (mode) => {
  it('keep the invariants and the ops\' predicates', () => {
    /* Most runs start as a driver would: a funded pool, a domain, the engine attached. */
    const prologue: Cmd[] = [{ t: 'refill', n: 3 }, { t: 'alloc', d: 1 }, { t: 'attach', d: 1 }];
    fc.assert(fc.property(fc.constantFrom(true, true, true, false), fc.array(cmd, { minLength: 10, maxLength: 60 }), (setup, cmds) => {
      const { host, w, vm } = harnessWorld(mode);
      run(w, host, vm, setup || mode === 'mirror' ? [...prologue, ...cmds] : cmds);
    }), { numRuns: 60, seed: mode === 'mirror' ? 2 : 1 });
    if (process.env.IOMMU_OPS_STATS) console.log(mode, JSON.stringify(stats));
    expect(stats.dmaDone).toBeGreaterThan(20);
    expect(stats.dmaFault).toBeGreaterThan(20);
    expect(stats.donated).toBeGreaterThan(5);
    expect(stats.share).toBeGreaterThan(5);
    if (mode === 'hypercall') expect(stats.mapped).toBeGreaterThan(20);
    for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
  });
});

describe('ops on a core-backed board', () => {
  it('drive the core\'s walker with the same predicates', () => {
    const b = bootDmaBoard('hypercall', 32 << 20);
    const w = worldOf(b.pkvm, kvm_iommu(b.pkvm)!, b.el2.mem, b.dma.sid);
    expect(refillOp(w, [b.kvm.allocPage(), b.kvm.allocPage(), b.kvm.allocPage()])).toBe(0);
    expect(allocDomainOp(w, 1).ret).toBe(0);
    expect(attachOp(w, 1).ret).toBe(0);
    const src = b.kvm.allocPage();
    const dst = b.kvm.allocPage();
    for (const a of [{ domain: 1, iova: 0x1000n, pa: src, pgcount: 1n }, { domain: 1, iova: 0x2000n, pa: dst, pgcount: 1n }]) {
      const check = predictMap(w, a);
      expect(check(mapOp(w, a))).toEqual([]);
    }
    for (const a of [{ src: 0x1000n, dst: 0x2000n, len: 4096n }, { src: 0x1800n, dst: 0x2800n, len: 4096n }]) {
      const check = predictDma(w, a);
      expect(check(dmaCopyOp(w, a))).toEqual([]);
    }
    expect(dmaSafety(w)).toEqual([]);
    expect(b.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });
});
