/**
 * The host side of the stage-2 fault fast path (core-as/pkvm-fast-fault.ts): a guest's translation
 * fault on a memslot page the host has not backed yet is resolved inside the core, with the checks
 * and the resulting state of the full round trip (hyp exit → user_mem_abort(): pin a fresh zeroed
 * page, top up the memcache → __pkvm_host_donate_guest (pkvm_refill_memcache, new stage-2 tables
 * from EL2's memcache) → __kvm_vcpu_run). See that file (and pkvm-fast-memcache.ts) for what it
 * checks and writes.
 *
 * Here: before each guest run on the core, the path is armed with the running VM's parameters (its
 * stage-2 root and leaf attributes, the host stage-2 root, the memslot and its backed bitmap, EL2's
 * memcache of the vCPU and its minimum, whether the VM's hyp_pool is empty); after the run it is
 * disarmed, EL2's memcache taken back and its log taken: each page it gave is entered in the host's
 * bookkeeping as handleMemFault() enters it (memslot page, pin, given, faults, trace). The host page
 * allocator's bitmap, hyp_vmemmap and the host's memcache (in its struct kvm_vcpu) live in the
 * core's memory, so pages are handed out in the order the host would hand them out.
 *
 * A non-protected VM's fault is served the same way with __pkvm_host_share_guest's result instead
 * (host state SHARED_OWNED and its share count, the guest entry SHARED_BORROWED); the host's own
 * access when it zeroes a page not known to be zero (or links a memcache page) must find the page
 * mapped, an empty level-3 entry its abort idmaps, or an empty level-2 entry where the abort maps
 * the 2 MiB block around the page (inside the memory region; broken again by a later annotation).
 *
 * A donation (or a refill's donation to the hyp) whose host stage-2 has no level-3 table for the
 * page yet (about once per 2 MiB of host memory handed out) takes new tables from the hyp's
 * host_s2_pool, breaking a host block if need be: before the run the pool's next pages are worked
 * out (nextPoolPages()) for the core to take in order; after it, as many are allocated from the pool
 * for real (the same pages, the pool's state as the full path leaves it).
 *
 * The full path still takes a host access whose abort would map a 1 GiB block or need a new table
 * (no level-2 table for the page, or a 2 MiB block reaching out of memory), two annotations of one
 * fault that both need new tables, a poisoned or mapped guest entry, a page-table page outside RAM,
 * and anything else the checks do not recognise.
 *
 * What differs from the round trip: no exit is published to the host's struct kvm_vcpu, and the
 * guest keeps its time slice (several VMs interleave differently). A VM whose memslot has no backed
 * bitmap or a board with an IOMMU (DMA references are the hyp's TypeScript state) always takes the
 * full path. test/host/fault-fast-path.test.ts runs guests both ways and compares all of RAM, the
 * vmemmap, both memcaches and the host's bookkeeping, then tears both down.
 */
import type { HostKvm, HostVm } from './kvm';
import { GUEST_UART_IPA, KVM_MMU_CACHE_MIN_PAGES } from './kvm';
import { UARTFR } from '../machine/pl011';
import { __check_ioguard_range, mmio_guard_enforced } from '../hyp/mmio-guard';
import type { PkvmHypVcpu, PkvmHypVm } from '../hyp/hyp-vm';
import { L } from '../machine/core';
import { HOST_VCPU_PKVM_MEMCACHE } from '../hyp/host-abi';
import { stage2_set_prot_attr } from '../hyp/pgtable-stage2';
import { KVM_PGTABLE_LAST_LEVEL, KVM_PGTABLE_PROT_RWX, PKVM_HOST_MEM_PROT, kvm_init_valid_leaf_pte, pkvm_mkstate } from '../hyp/pgtable-defs';
import { PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED } from '../hyp/page-state';
import { pkvm_dma_refs } from '../hyp/iommu/dma-refs';
import { kvm_mmu_cache_min_pages } from '../hyp/vtcr';
import type { HypPool } from '../hyp/pool';

/**
 * The pages the next `n` hyp_alloc_pages(pool, 0) calls would return, in order (fewer when the pool
 * runs out), without changing the pool: extract_page() of the head of the lowest non-empty free
 * list, its upper halves pushed onto the lists below (page_alloc.c). PAs as Numbers (exact below
 * 2^53): this runs before every guest run.
 */
export function nextPoolPages(pool: HypPool, n: number): number[] {
  const lists = pool.free_area;
  const max = pool.max_order;
  const taken: number[] = [];
  const pushed: number[][] = [];
  for (let o = 0; o <= max; o++) { taken.push(0); pushed.push([]); }
  const out: number[] = [];
  while (out.length < n) {
    let o = 0;
    while (o <= max && lists[o]!.length + pushed[o]!.length - taken[o]! === 0) o++;
    if (o > max) break;
    const t = taken[o]!++;
    const l = lists[o]!;
    const p = t < l.length ? Number(l[t]!) : pushed[o]![t - l.length]!;
    // the buddy at order k: p with bit 12 + k flipped (p is aligned to 4096 << o)
    for (let k = o - 1; k >= 0; k--) pushed[k]!.push(p + 4096 * 2 ** k);
    out.push(p);
  }
  return out;
}

/** The host page allocator's storage in the core's memory (the fast path allocates with it). */
export function allocatorStorage(mem: Uint8Array, pages: number): { used: Uint8Array; state: Uint32Array } | undefined {
  if (pages > L.HOST_ALLOC_MAP_BYTES) return undefined;
  return {
    used: mem.subarray(L.HOST_ALLOC_MAP, L.HOST_ALLOC_MAP + pages),
    state: new Uint32Array(mem.buffer, mem.byteOffset + L.PKVM_FAST + L.PF_ALLOC_CURSOR, 2),
  };
}

export function installFaultFastPath(kvm: HostKvm): void {
  const core = kvm.el2.core;
  const mem = core.mem;
  const dv = core.view;
  const p = L.PKVM_FAST;
  const hyp = kvm.pkvm;
  const host = hyp.host_mmu.pgt;
  // Constant for the board: the host stage-2 root, the allocator, the memcache minimum.
  dv.setBigUint64(p + L.PF_HOST_PGD, host.pgd!, true);
  dv.setUint32(p + L.PF_HOST_LEVEL, host.start_level, true);
  dv.setUint32(p + L.PF_HOST_PGD_SHIFT, 9 * (5 - host.start_level) + 3, true);
  dv.setBigUint64(p + L.PF_HOST_LIMIT, 1n << BigInt(host.ia_bits), true);
  dv.setUint32(p + L.PF_HOST_VMID, hyp.host_mmu.mmu.vmid, true);
  // the level-3 idmap a host abort on memory writes (host_stage2_idmap(), PKVM_HOST_MEM_PROT)
  dv.setBigUint64(p + L.PF_HOST_IDMAP, kvm_init_valid_leaf_pte(0n, stage2_set_prot_attr(host, PKVM_HOST_MEM_PROT).attr, KVM_PGTABLE_LAST_LEVEL), true);
  // the memblock region (hyp_memory) holding the allocator's pages: a host abort inside it may map a 2 MiB block
  const region = hyp.hyp_memory.find((r) => r.base <= kvm.alloc.base && kvm.alloc.base < r.base + r.size);
  dv.setBigUint64(p + L.PF_HOST_MEM_START, region?.base ?? 0n, true);
  dv.setBigUint64(p + L.PF_HOST_MEM_END, region ? region.base + region.size : 0n, true);
  dv.setUint32(p + L.PF_MC_MIN, Number(KVM_MMU_CACHE_MIN_PAGES), true);
  dv.setBigUint64(p + L.PF_ALLOC_BASE, kvm.alloc.base, true);
  dv.setUint32(p + L.PF_ALLOC_PAGES, kvm.alloc.pages, true);
  dv.setUint32(p + L.PF_ENABLED, 0, true);
  dv.setUint32(p + L.PF_LOG_COUNT, 0, true);
  dv.setUint32(p + L.PF_MMIO_ENABLED, 0, true);
  dv.setUint32(p + L.PF_MMIO_LOG_N, 0, true);
  dv.setUint32(p + L.PF_MMIO_READS, 0, true);

  // Per hyp VM (a handle's next VM is a new object): its host VM and the leaf attributes of a
  // donated page, or null when the path cannot serve it.
  // A protected VM's pages are donated (OWNED in its stage-2), a non-protected VM's shared
  // (SHARED_BORROWED, with the R|W|X handleMemFault() asks for).
  const served = new WeakMap<PkvmHypVm, { vm: HostVm; attr: bigint; share: boolean } | null>();
  const servedVm = (hvm: PkvmHypVm): { vm: HostVm; attr: bigint; share: boolean } | null => {
    let s = served.get(hvm);
    if (s === undefined) {
      const vm = kvm.vms.find((v) => v.handle === hvm.handle && v.state !== 'destroyed');
      const share = !hvm.is_protected;
      const r = stage2_set_prot_attr(hvm.pgt, pkvm_mkstate(KVM_PGTABLE_PROT_RWX, share ? PKVM_PAGE_SHARED_BORROWED : PKVM_PAGE_OWNED));
      // (a backed bitmap outside the core: the memslot was too large for one)
      s = vm && vm.isProtected === hvm.is_protected && vm.slot.pages.bits.buffer === mem.buffer && !r.ret && hvm.pgt.pgd !== null ? { vm, attr: r.attr, share } : null;
      served.set(hvm, s);
    }
    return s;
  };
  let armed: HostVm | null = null;
  // The vCPU whose constant parameters (its VM's stage-2, memslot, memcache address) are written.
  let written: PkvmHypVcpu | null = null;
  // host_s2_pool's version when its next pages were last written at PF_HOST_POOL
  let poolVersion = -1;
  const TWO32 = 0x1_0000_0000;
  const setU64n = (off: number, v: number): void => { dv.setUint32(off, v % TWO32, true); dv.setUint32(off + 4, Math.floor(v / TWO32), true); };

  // The UART MMIO fast path (core-as/pkvm-fast-mmio.ts): the host VM of each hyp VM, and the one
  // whose console the core serves during this run.
  const hostVms = new WeakMap<PkvmHypVm, HostVm | null>();
  let mmioVm: HostVm | null = null;

  kvm.el2.ws.guestRunHooks = {
    before(vcpu) {
      // The guest's UART accesses are served in the core where the full path would take them to
      // handleMmio() with their syndrome: the hyp's own trap handler (kvm_handle_guest_dabt()), the
      // UART page outside the memslot, and no MMIO guard or the page guarded (the guard changes
      // only by EL2's handling of a guest HVC, between two of these runs).
      const hvm = vcpu.vm;
      let hvmHost = hostVms.get(hvm);
      if (hvmHost === undefined) {
        hvmHost = kvm.vms.find((v) => v.handle === hvm.handle && v.state !== 'destroyed') ?? null;
        hostVms.set(hvm, hvmHost);
      }
      mmioVm = hvmHost !== null && kvm.mmioFastPath && kvm.el2.ws.opts.handleGuestTrap === kvm.el2.hypGuestTrap && !hvmHost.slot.contains(GUEST_UART_IPA) &&
        (!mmio_guard_enforced(hvm) || __check_ioguard_range(hvm, GUEST_UART_IPA, 4n)) ? hvmHost : null;
      if (mmioVm !== null) {
        dv.setBigUint64(p + L.PF_MMIO_IPA, GUEST_UART_IPA, true);
        dv.setUint32(p + L.PF_MMIO_FR, mmioVm.console.read(UARTFR, 4), true); // (a read without side effect)
      }
      dv.setUint32(p + L.PF_MMIO_ENABLED, mmioVm !== null ? 1 : 0, true);

      armed = null;
      if (pkvm_dma_refs(hyp) !== undefined) return; // (DMA references are the hyp's TypeScript state)
      const s = servedVm(vcpu.vm);
      if (s === null) return;
      const { vm, attr, share } = s;
      if (written !== vcpu) {
        const g = vcpu.vm.pgt;
        dv.setUint32(p + L.PF_SHARE, share ? 1 : 0, true);
        dv.setUint32(p + L.PF_HANDLE, vcpu.vm.handle, true);
        dv.setBigUint64(p + L.PF_GUEST_PGD, g.pgd!, true);
        dv.setUint32(p + L.PF_GUEST_LEVEL, g.start_level, true);
        dv.setUint32(p + L.PF_GUEST_PGD_SHIFT, 9 * (5 - g.start_level) + 3, true);
        dv.setBigUint64(p + L.PF_GUEST_LIMIT, 1n << BigInt(g.ia_bits), true);
        dv.setBigUint64(p + L.PF_GUEST_ATTR, attr, true);
        dv.setBigUint64(p + L.PF_SLOT_BASE, vm.slot.ipaBase, true);
        dv.setBigUint64(p + L.PF_SLOT_SIZE, vm.slot.size, true);
        dv.setUint32(p + L.PF_BACKED, vm.slot.pages.bits.byteOffset - mem.byteOffset, true);
        dv.setBigUint64(p + L.PF_HOST_MC, vcpu.host_vcpu + HOST_VCPU_PKVM_MEMCACHE + 8n, true);
        dv.setUint32(p + L.PF_GUEST_MC_MIN, Number(kvm_mmu_cache_min_pages(vcpu.vm.mmu.vtcr)), true);
        written = vcpu;
      }
      // EL2's memcache of the vCPU: the path pops and pushes it while the guest runs
      const mc = vcpu.pkvm_memcache;
      if (mc.nr_pages > 0xffff_ffffn) return;
      dv.setUint32(p + L.PF_HYP_MC, Number(mc.nr_pages), true);
      dv.setBigUint64(p + L.PF_HYP_MC_HEAD, mc.head, true);
      dv.setUint32(p + L.PF_POOL_EMPTY, vcpu.vm.pool.free_pages() === 0 ? 1 : 0, true);
      // host_s2_pool's next pages, for new host stage-2 tables (worked out again when its free
      // lists changed since: the path only reads them, and only this hook writes them)
      const pool = hyp.host_s2_pool;
      if (pool.version !== poolVersion) {
        const next = nextPoolPages(pool, L.PF_HOST_POOL_CAP);
        for (let i = 0; i < next.length; i++) setU64n(p + L.PF_HOST_POOL + 8 * i, next[i]!);
        dv.setUint32(p + L.PF_HOST_POOL_N, next.length, true);
        poolVersion = pool.version;
      }
      dv.setUint32(p + L.PF_HOST_POOL_USED, 0, true);
      // the path's memo of the last level-3 table of each stage 2 (the hyp may have changed them)
      dv.setUint32(p + L.PF_HOST_MEMO, 0, true); dv.setUint32(p + L.PF_HOST_MEMO + 4, 0, true);
      dv.setUint32(p + L.PF_GUEST_MEMO, 0, true); dv.setUint32(p + L.PF_GUEST_MEMO + 4, 0, true);
      dv.setUint32(p + L.PF_ENABLED, 1, true);
      armed = vm;
    },
    after(vcpu) {
      if (mmioVm !== null) {
        dv.setUint32(p + L.PF_MMIO_ENABLED, 0, true);
        // handleMmio() of each access the core served: the UARTDR writes go to the console in order
        const w = dv.getUint32(p + L.PF_MMIO_LOG_N, true), r = dv.getUint32(p + L.PF_MMIO_READS, true);
        for (let i = 0; i < w; i++) {
          const e = p + L.PF_MMIO_LOG + 8 * i;
          mmioVm.console.write(dv.getUint16(e, true), dv.getUint16(e + 2, true), dv.getUint32(e + 4, true));
        }
        mmioVm.mmioExits += w + r;
        dv.setUint32(p + L.PF_MMIO_LOG_N, 0, true);
        dv.setUint32(p + L.PF_MMIO_READS, 0, true);
        mmioVm = null;
      }
      if (armed === null) return;
      dv.setUint32(p + L.PF_ENABLED, 0, true);
      // EL2's memcache as the path left it
      const mc = vcpu.pkvm_memcache;
      mc.nr_pages = BigInt(dv.getUint32(p + L.PF_HYP_MC, true));
      mc.head = dv.getBigUint64(p + L.PF_HYP_MC_HEAD, true);
      // The host_s2_pool pages the path took for host stage-2 tables: allocated here, in the same
      // order (the pool's lists and orders as the full path leaves them); their refcounts are the
      // path's (1 and a reference per entry it installed in them).
      const used = dv.getUint32(p + L.PF_HOST_POOL_USED, true);
      for (let i = 0; i < used; i++) {
        const want = dv.getBigUint64(p + L.PF_HOST_POOL + 8 * i, true);
        const vmm = hyp.vmemmap, j = vmm.idx(want), refs = vmm.refcount(j);
        vmm.setRefcount(j, 0);
        const got = hyp.host_s2_pool.hyp_alloc_pages(0);
        if (got !== want) throw new Error(`fault fast path: host_s2_pool gave 0x${got?.toString(16)}, the path took 0x${want.toString(16)}`);
        vmm.setRefcount(j, refs);
      }
      dv.setUint32(p + L.PF_HOST_POOL_USED, 0, true);
      const n = dv.getUint32(p + L.PF_LOG_COUNT, true);
      if (n === 0) return;
      // The host stage-2 changed in the core (annotations, idmaps, blocks broken): what the host's
      // caches took of it before is stale (HostMemory's TLB).
      hyp.tlb_gen++;
      const vm = armed!;
      const trace = kvm.traceFaults && kvm.el2.trace.enabled ? kvm.el2.trace : null;
      const words = core.words;
      vm.faults += n;
      // backingPage() and handleMemFault()'s bookkeeping, one table at a time: (gfn, pa, when) as
      // 32-bit word pairs (the core set the memslot page's backed bit)
      const at = L.PKVM_FAST_LOG >> 2;
      vm.slot.pages.setMarkedFromLog(words, at, n, 8);
      vm.slot.pinned.addFromLog(words, at, n, 8);
      vm.given.addFromLog(words, at, n, 8);
      if (trace) {
        for (let i = 0; i < n; i++) {
          const e = at + i * 8;
          const gfn = words[e + 1]! * TWO32 + words[e]!;
          const pa = words[e + 3]! * TWO32 + words[e + 2]!;
          const t = BigInt(words[e + 5]! * 0x1_0000_0000 + words[e + 4]!);
          trace.emitAt(t, vm.isProtected ? 'donate' : 'share', `${vm.name}: gfn 0x${gfn.toString(16)} ← pfn 0x${(pa / 4096).toString(16)} (in the core)`);
        }
      }
      dv.setUint32(p + L.PF_LOG_COUNT, 0, true);
    },
  };
}
