// A protected guest's stage-2 faults resolved inside the core (core-as/pkvm-fast-fault.ts armed by
// host-kernel-model/fault-fast-path.ts) leave exactly the state of the full round trip through the host and
// __pkvm_host_donate_guest: the same RAM (guest data, both stage-2 tables, annotations), the same
// vmemmap, the same host bookkeeping; and what does not fit the fast path still takes the full path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core, L } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll, type HostVm } from '../../host-kernel-model/index';
import { striderImage } from './strider-image';
import { writeElf64 } from '../gen/elf-writer';
import { get_vm_by_handle } from '../../hyp/pkvm';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import { nextPoolPages } from '../../host-kernel-model/fault-fast-path';
import { __KVM_HOST_SMCCC_FUNC } from '../../hyp/hypercalls';
import { HostVcpuView } from '../../hyp/host-abi';
import { push_hyp_memcache } from '../../hyp/memcache';

const img = (n: string) => (n === 'strider' ? striderImage() : { bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });

interface BootOptions {
  guestHvcAbi?: 'android' | 'upstream';
  /** The compiled tier: on, warming up early (hot 50, patience 50), or off; unset: the core's default. */
  jit?: boolean;
  slice?: number;
  ramBytes?: number;
  /** No hyp trace, no fault events. */
  quiet?: boolean;
}

/**
 * A hosted EL2 and the host model, the fault fast path on or off. Counts the faults the core
 * resolved (and the pages it gave), and records each guest run's instructions and the PC it ended at.
 */
function boot(fast: boolean, opts: BootOptions = {}) {
  const core = new Core(opts.ramBytes ?? 96 << 20, { haveEL2: true, el2Hosted: true, ...(opts.jit === undefined ? {} : { jit: opts.jit ? { hot: 50, patience: 50 } : false }) });
  core.reset(2, 0n);
  // pguest-abi / pguest-smp use Android's guest ABI (MMIO guard, RELINQUISH, PSCI at EL2): selected explicitly.
  const el2 = new HostedEl2(core, { slice: opts.slice ?? 300_000, guestHvcAbi: opts.guestHvcAbi ?? 'android' });
  const kvm = new HostKvm(el2, { faultFastPath: fast });
  if (opts.quiet) {
    el2.trace.enabled = false;
    kvm.traceFaults = false;
  }
  let fastFaults = 0;
  const fastPages = new Set<bigint>(); // the pages the core gave
  const runs: { insns: bigint; pc: bigint }[] = [];
  const hooks = el2.ws.guestRunHooks;
  let before = 0n;
  el2.ws.guestRunHooks = {
    before: (v) => { before = core.insns; hooks?.before(v); },
    after: (v) => {
      if (hooks) {
        const n = core.view.getUint32(L.PKVM_FAST + L.PF_LOG_COUNT, true);
        fastFaults += n;
        for (let i = 0; i < n; i++) fastPages.add(core.view.getBigUint64(L.PKVM_FAST_LOG + 32 * i + 8, true));
        hooks.after(v);
      }
      runs.push({ insns: core.insns - before, pc: core.pc });
    },
  };
  return { core, el2, kvm, fastFaults: () => fastFaults, fastPages, runs };
}

/** All of RAM is the same on both runs but the host's struct kvm_vcpu pages, whose exit fields only
 * the full path publishes. */
function expectSameRam(slow: { core: Core; vm: HostVm }, fast: { core: Core }): void {
  const a = Buffer.from(slow.core.ram), b = Buffer.from(fast.core.ram);
  for (const v of slow.vm.vcpus) {
    const vcpuStruct = Number(v.hostVcpuPa - slow.core.ramBase);
    a.fill(0, vcpuStruct, vcpuStruct + 4096);
    b.fill(0, vcpuStruct, vcpuStruct + 4096);
  }
  expect(Buffer.compare(b, a)).toBe(0);
}

function hostState(vm: HostVm) {
  return {
    console: vm.consoleText(), state: vm.state, faults: vm.faults, mmioExits: vm.mmioExits,
    pages: [...vm.slot.pages].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    pinned: [...vm.slot.pinned].sort(), given: [...vm.given].sort(),
    sizes: [vm.slot.pages.size, vm.slot.pinned.size, vm.given.size],
  };
}

describe('stage-2 fault fast path', () => {
  it.each([
    ['toucher over 5000 pages (several 2 MiB regions, memcache refills)', 'toucher', [5000n, 9n], {}],
    ['toucher, default size', 'toucher', [0n, 0n], {}],
    ['toucher, one word per page, guest_memfd backing', 'toucher', [3000n, 5n, 1n], { backing: 'guest_memfd' }],
    ['pguest-abi (shares, MMIO guard, relinquish)', 'pguest-abi', [1n], {}],
    ['pguest-smp (two vCPUs, CPU_ON)', 'pguest-smp', [], { vcpus: 2 }],
    // every fault needs a new level-3 table page (then the memcache refill and top-up)
    ['a new table page every fault (2 MiB stride)', 'strider', [18n, 2n << 20n], {}],
    ['a new table page every other fault (1 MiB + 4 KiB stride)', 'strider', [36n, (1n << 20n) + 4096n], {}],
    // two host pages a fault: the top-up page's access in a fresh 2 MiB region of host memory maps a
    // host stage-2 block, which the refill's annotation splits (a table from host_s2_pool); the
    // fault's own page in that region is annotated in the same new table
    ['a new table page every fault over 1.2 GiB (fresh 2 MiB regions of host memory)', 'strider', [600n, 2n << 20n], { memBytes: 1208 << 20 }],
    // host_share_guest instead of the donation
    ['non-protected: toucher over 5000 pages (shares)', 'toucher', [5000n, 9n], { protected: false }],
    ['non-protected: toucher, one word per page, guest_memfd backing', 'toucher', [3000n, 5n, 1n], { protected: false, backing: 'guest_memfd' }],
    ['non-protected: a new table page every other fault', 'strider', [36n, (1n << 20n) + 4096n], { protected: false }],
    ['non-protected: a new table page every fault over 1.2 GiB', 'strider', [600n, 2n << 20n], { protected: false, memBytes: 1208 << 20 }],
    // a memslot beyond 4 GiB (its backed bitmap over 128 KiB: backed-arena.ts), a new level-3 table
    // every fault and a new level-2 table every eighth: 48 faults 128 MiB apart over 6 GiB
    ['a 6 GiB memslot touched every 128 MiB (new level-2 and level-3 tables)', 'strider', [48n, 128n << 20n], { memBytes: 6 * 2 ** 30 }],
    ['non-protected: a 6 GiB memslot touched every 128 MiB', 'strider', [48n, 128n << 20n], { protected: false, memBytes: 6 * 2 ** 30 }],
  ] as const)('%s: same memory, vmemmap and host bookkeeping as the full path', (_, image, args, extra) => {
    const runs = [false, true].map((fast) => {
      const b = boot(fast);
      b.kvm.traceFaults = false;
      b.el2.trace.enabled = false;
      const vm = b.kvm.createVm({ name: 'p', protected: true, memBytes: 40 << 20, image: img(image), args: [...args], ...extra });
      expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
      expect(b.el2.pkvm.checkInvariants({ strict: false })).toEqual([]);
      return { ...b, vm };
    });
    const [slow, fast] = runs as [typeof runs[0], typeof runs[0]];
    expect(slow.fastFaults()).toBe(0);
    // the guest's time: each resolved fault counts its aborted attempt, as the exception and the ERET do
    if (!('vcpus' in extra)) expect(fast.el2.ws.guestInsns).toBe(slow.el2.ws.guestInsns);
    // Only the guest's first few faults (its image pages, backed before it ran) take the full path:
    // new guest and host stage-2 tables (a new 2 MiB region of host memory: a table from
    // host_s2_pool), memcache top-ups and refills are all made in the core.
    if (image === 'toucher') expect(fast.vm.faults - fast.fastFaults()).toBeLessThanOrEqual('protected' in extra ? 16 : 8);
    if (image === 'strider') {
      expect(fast.vm.faults).toBeGreaterThanOrEqual(Number(args[0]));
      expect(fast.vm.faults - fast.fastFaults()).toBeLessThanOrEqual(1);
    }
    expect(hostState(fast.vm)).toEqual(hostState(slow.vm));
    // both memcaches: EL2's of each vCPU, and the host's in its struct kvm_vcpu (head, nr_pages)
    const memcaches = (r: typeof runs[0]) => r.vm.vcpus.map((v, i) => {
      const hyp = get_vm_by_handle(r.el2.pkvm, r.vm.handle)!.vcpus[i]!.pkvm_memcache;
      return { hyp: [hyp.head, hyp.nr_pages], host: [r.core.readPhysU64(v.hostVcpuPa + 8n), r.core.readPhysU64(v.hostVcpuPa + 16n)] };
    });
    expect(memcaches(fast)).toEqual(memcaches(slow));
    expect(fast.kvm.alloc.freePages).toBe(slow.kvm.alloc.freePages);
    expect(Buffer.compare(Buffer.from(fast.el2.pkvm.vmemmap.raw), Buffer.from(slow.el2.pkvm.vmemmap.raw))).toBe(0);
    expectSameRam(slow, fast);
    // Teardown is the same too: every page back, invariants strict.
    for (const r of runs) {
      r.kvm.destroyVm(r.vm);
      expect(r.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    }
    expect(fast.kvm.alloc.freePages).toBe(slow.kvm.alloc.freePages);
  });

  // A fault the core resolves inside a plain load or store makes the access again at once, in the
  // interpreter and in the compiled tier's step (core-as/pkvm-fast-fault.ts pkvmFastAccessFault(),
  // machine/jit/translate.ts stepResult()), the attempt counted as the full path's exception and
  // ERET count it: the guest's instruction count (its time) is the full path's, with the compiled
  // tier and without, and with run slices that end on the faulting instructions.
  it.each([100_000, 977])('a fault retried in place counts as the full path counts it (compiled tier and interpreter; slices of %i)', (slice) => {
    const runs = [true, false].flatMap((jit) => [true, false].map((fast) => {
      const { core, el2, kvm, runs: guestRuns } = boot(fast, { guestHvcAbi: 'upstream', jit, slice, quiet: true });
      // the instructions of each guest run: the compiled tier stops exactly where the interpreter does
      const vm = kvm.createVm({ name: 'p', protected: true, memBytes: 40 << 20, image: img('toucher'), args: [8000n, 3n, 1n] });
      expect(runAll(kvm, { slice, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
      return { core, el2, vm, jit, fast, perRun: guestRuns.map((r) => r.insns), compiled: core.jitStats()?.insnsCompiled ?? 0n };
    }));
    for (const r of runs) {
      expect(r.vm.consoleText()).toBe(runs[0]!.vm.consoleText());
      expect(r.vm.faults).toBe(runs[0]!.vm.faults);
      expect(r.el2.ws.guestInsns).toBe(runs[0]!.el2.ws.guestInsns);
    }
    const [jitFast, , intFast] = runs as [typeof runs[0], typeof runs[0], typeof runs[0]];
    expect(jitFast.perRun).toEqual(intFast.perRun);
    expect(jitFast.perRun.some((n) => n === BigInt(slice))).toBe(true);
    // (the faults happened in compiled code: the toucher's loop was compiled early)
    expect(Number(runs[0]!.compiled)).toBeGreaterThan(Number(runs[0]!.el2.ws.guestInsns) * 0.8);
    expect(runs[0]!.vm.faults).toBeGreaterThan(8000);
  });

  // A loop whose every pass is one fault at its first instruction (str x2, [x0]; add x0, x0, #4096;
  // subs x2, x2, #1; b.eq out; b loop): the compiled function's pass is its whole body, so a pass
  // entered with a budget of exactly its length ends after the fault's extra instruction
  // (stepResult()), where the interpreter stops. Each guest run ends at the same instruction and PC
  // in both tiers, for run slices at every phase of the loop.
  it('a fault retried in place inside compiled code ends the run where the interpreter ends it', () => {
    const code = [
      0xd2a80400, // mov  x0, #0x40200000
      0xd2817702, // mov  x2, #3000
      0xf9000002, // loop: str x2, [x0]
      0x91400400, // add  x0, x0, #1, lsl #12
      0xf1000442, // subs x2, x2, #1
      0x54000040, // b.eq out
      0x17fffffc, // b    loop
      0x52800100, // out: mov w0, #0x8
      0x72b08000, // movk w0, #0x8400, lsl #16  (PSCI SYSTEM_OFF)
      0xd4000002, // hvc  #0
      0x14000000, // b    .
    ];
    const data = new Uint8Array(code.length * 4);
    code.forEach((w, i) => new DataView(data.buffer).setUint32(i * 4, w, true));
    const image = { bytes: writeElf64(0x4000_0000n, [{ paddr: 0x4000_0000n, data }]), name: 'loop' };
    for (let slice = 300; slice < 312; slice++) {
      const [jit, int] = [true, false].map((compiled) => {
        const { core, el2, kvm, runs } = boot(true, { guestHvcAbi: 'upstream', jit: compiled, slice, ramBytes: 64 << 20, quiet: true });
        const vm = kvm.createVm({ name: 'p', protected: true, memBytes: 16 << 20, image, args: [] });
        expect(runAll(kvm, { slice, maxGuestInsns: 10_000_000n })).toBe('all-stopped');
        expect(vm.faults).toBeGreaterThanOrEqual(3000);
        return { ends: runs.flatMap((r) => [r.insns, r.pc]), compiled: core.jitStats()?.insnsCompiled ?? 0n, insns: el2.ws.guestInsns };
      }) as [{ ends: (bigint | number)[]; compiled: bigint; insns: bigint }, { ends: (bigint | number)[]; compiled: bigint; insns: bigint }];
      expect(jit.ends).toEqual(int.ends);
      expect(Number(jit.compiled)).toBeGreaterThan(Number(jit.insns) * 0.9);
    }
  });

  it('stage-2 table pages from EL2\'s memcache are zero, whether their whole page or only the link word is cleared', () => {
    // pkvm-fast-memcache.ts: a page this fault topped the host's memcache up with (zero but for its
    // link) and moved to EL2's needs only the link cleared when popped for a table; a page the host
    // had in its memcache before (here written all over by the host, but for its link) is zeroed.
    const runs = [false, true].map((fast) => {
      const b = boot(fast);
      b.kvm.traceFaults = false;
      b.el2.trace.enabled = false;
      const vm = b.kvm.createVm({ name: 'p', protected: true, memBytes: 200 << 20, image: img('strider'), args: [90n, 2n << 20n] });
      const v = vm.vcpus[0]!;
      // the host's memcache holds eight pages it wrote all over (but for the link) before the run
      const mc = new HostVcpuView(b.kvm.mem, v.hostVcpuPa).pkvm_memcache;
      for (let i = 0; i < 8; i++) {
        const pa = b.kvm.allocPage();
        for (let o = 8n; o < 4096n; o += 8n) b.kvm.mem.writeU64(pa + o, 0xa5a5_a5a5_0000_0000n | o);
        push_hyp_memcache(b.kvm.mem, mc, pa);
      }
      expect(mc.nr_pages).toBe(8n);
      expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
      expect(b.el2.pkvm.checkInvariants({ strict: false })).toEqual([]);
      return { ...b, vm };
    });
    const [slow, fast] = runs as [typeof runs[0], typeof runs[0]];
    expect(fast.vm.faults - fast.fastFaults()).toBeLessThanOrEqual(1);
    expect(hostState(fast.vm)).toEqual(hostState(slow.vm));
    expect(Buffer.compare(Buffer.from(fast.el2.pkvm.vmemmap.raw), Buffer.from(slow.el2.pkvm.vmemmap.raw))).toBe(0);
    expectSameRam(slow, fast);
  });

  it('pages not known to be zero (freed by a torn-down VM, written by the host) are zeroed when given', () => {
    const runs = [false, true].map((fast) => {
      const b = boot(fast);
      b.kvm.traceFaults = false;
      b.el2.trace.enabled = false;
      // A non-protected VM's pages come back unzeroed at teardown (shared, not owned).
      const a = b.kvm.createVm({ name: 'a', protected: false, memBytes: 24 << 20, image: img('toucher'), args: [5000n, 3n, 8n] });
      expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
      const aPages = new Set([...a.slot.pages.values()]);
      b.kvm.destroyVm(a);
      // The host writes a page the allocator will hand out soon, to the guest (free, known to be
      // zero until then; the pages before it go to the VM's structures and memcache).
      const next = b.kvm.alloc.base + BigInt(b.kvm.alloc.nextFree() + 40) * 4096n;
      b.kvm.mem.writeU64(next + 0x800n, 0x5a5a_5a5a_5a5a_5a5an);
      // Enough pages that the allocator comes round to the ones the first VM had.
      const pages = b.kvm.alloc.freePages - 1200;
      const vm = b.kvm.createVm({ name: 'p', protected: true, memBytes: (Math.ceil(pages / 256) + 2) << 20, image: img('toucher'), args: [BigInt(pages), 5n, 1n] });
      expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 2_000_000_000n })).toBe('all-stopped');
      expect(vm.consoleText()).toContain('toucher: checksum');
      const given = [...vm.slot.pages.values()];
      expect(given).toContain(next);
      expect(given.filter((pa) => aPages.has(pa)).length).toBeGreaterThan(1000);
      expect(b.el2.pkvm.checkInvariants({ strict: false })).toEqual([]);
      return { ...b, vm };
    });
    const [slow, fast] = runs as [typeof runs[0], typeof runs[0]];
    expect(fast.fastFaults()).toBeGreaterThan(fast.vm.faults * 0.9);
    expect(hostState(fast.vm)).toEqual(hostState(slow.vm));
    expectSameRam(slow, fast);
  });

  it('a host stage-2 block over pages the guest is given is split in the core, as the full path splits it', () => {
    const runs = [false, true].map((fast) => {
      const b = boot(fast);
      b.kvm.traceFaults = false;
      b.el2.trace.enabled = false;
      // The host writes a page well ahead of its allocator's cursor, in a 2 MiB region nothing has
      // touched: its abort maps the region as one block (host_stage2_idmap()).
      const pa = (b.kvm.alloc.base + BigInt(b.kvm.alloc.nextFree() + 1500) * 4096n + 0x1f_ffffn) & ~0x1f_ffffn;
      b.kvm.mem.writeU64(pa + 0x10_0800n, 0x1234n);
      const leaf = kvm_pgtable_get_leaf(b.el2.pkvm.host_mmu.pgt, pa);
      expect([leaf.level, leaf.pte & 3n]).toEqual([2, 1n]);
      const vm = b.kvm.createVm({ name: 'p', protected: true, memBytes: 24 << 20, image: img('toucher'), args: [3000n, 7n, 1n] });
      expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
      // the block is now a level-3 table holding the donated pages' annotations
      expect(kvm_pgtable_get_leaf(b.el2.pkvm.host_mmu.pgt, pa).level).toBe(3);
      expect([...vm.slot.pages.values()]).toContain(pa);
      expect(b.el2.pkvm.checkInvariants({ strict: false })).toEqual([]);
      return { ...b, vm, pa };
    });
    const [slow, fast] = runs as [typeof runs[0], typeof runs[0]];
    expect(fast.fastPages.has(fast.pa)).toBe(true); // (the fault that split the block was the core's)
    expect(fast.vm.faults - fast.fastFaults()).toBeLessThanOrEqual(8);
    expect(hostState(fast.vm)).toEqual(hostState(slow.vm));
    expect(Buffer.compare(Buffer.from(fast.el2.pkvm.vmemmap.raw), Buffer.from(slow.el2.pkvm.vmemmap.raw))).toBe(0);
    expect(fast.el2.pkvm.host_s2_pool.free_area).toEqual(slow.el2.pkvm.host_s2_pool.free_area);
    expectSameRam(slow, fast);
    for (const r of runs) {
      r.kvm.destroyVm(r.vm);
      expect(r.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    }
  });

  it('nextPoolPages() foretells hyp_alloc_pages(0) of a buddy pool with blocks of several orders', () => {
    const b = boot(false);
    const pool = b.el2.pkvm.host_s2_pool;
    // fragment the pool: take 37 pages, give back every third (they coalesce where they can)
    const taken = Array.from({ length: 37 }, () => pool.hyp_alloc_pages(0)!);
    taken.filter((_, i) => i % 3 === 0).forEach((p) => pool.hyp_put_page(p));
    const lists = pool.free_area.map((l) => l.slice());
    const want = nextPoolPages(pool, 40);
    expect(pool.free_area).toEqual(lists); // (nothing changed)
    expect(Array.from({ length: 40 }, () => pool.hyp_alloc_pages(0))).toEqual(want.map(BigInt));
    expect(new Set(want).size).toBe(40);
  });

  it('four protected VMs at once: each guest gets its own zeroed pages and the invariants hold', () => {
    const b = boot(true);
    b.kvm.traceFaults = false;
    for (let i = 0; i < 4; i++) b.kvm.createVm({ name: `p${i}`, protected: true, memBytes: 16 << 20, image: img('toucher'), args: [1500n, BigInt(i + 1)] });
    expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
    expect(b.fastFaults()).toBeGreaterThan(4 * 1500 * 0.9);
    const slow = boot(false);
    for (let i = 0; i < 4; i++) slow.kvm.createVm({ name: `p${i}`, protected: true, memBytes: 16 << 20, image: img('toucher'), args: [1500n, BigInt(i + 1)] });
    expect(runAll(slow.kvm, { slice: 100_000, maxGuestInsns: 500_000_000n })).toBe('all-stopped');
    expect(b.kvm.vms.map((v) => v.consoleText())).toEqual(slow.kvm.vms.map((v) => v.consoleText()));
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    const owners = new Set<bigint>();
    for (const vm of b.kvm.vms) for (const gfn of vm.given) {
      const pa = vm.slot.pages.get(gfn)!;
      expect(owners.has(pa)).toBe(false);
      owners.add(pa);
    }
  });

  // Its UART accesses (upstream's ABI: no MMIO guard), each one a stage-2 data abort with a valid
  // syndrome: the UARTFR reads and UARTDR writes of at most 4 bytes are served in the core, the rest
  // (8-byte accesses, another register) take the round trip; the registers, the memory and the
  // console are the same either way. After a PL011 reset UARTFR = TXFE | RXFE = 0x90 (DDI 0183 3.3.3).
  const mmioGuest = (): { bytes: Uint8Array; name: string } => {
    const code = [
      0xd2a12005, // mov   x5, #0x9000000   (the UART)
      0xd2a80406, // mov   x6, #0x40200000  (results)
      0x398060a1, // ldrsb x1, [x5, #24]    (UARTFR, sign-extended to 64 bits)
      0x39c060a2, // ldrsb w2, [x5, #24]    (to 32 bits)
      0x794030a3, // ldrh  w3, [x5, #24]
      0xb94018a4, // ldr   w4, [x5, #24]
      0xb98018a7, // ldrsw x7, [x5, #24]
      0xb94018bf, // ldr   wzr, [x5, #24]
      0x52800828, // mov   w8, #0x41
      0x390000a8, // strb  w8, [x5]         (UARTDR: 'A')
      0x790000a8, // strh  w8, [x5]
      0xb90000a8, // str   w8, [x5]
      0x390000bf, // strb  wzr, [x5]        (NUL)
      0x52802849, // mov   w9, #0x142
      0x390000a9, // strb  w9, [x5]         ('B': the low byte)
      0xf9400caa, // ldr   x10, [x5, #24]   (8 bytes: the round trip)
      0xf90000a8, // str   x8, [x5]         (8 bytes: the round trip)
      0xb94004ab, // ldr   w11, [x5, #4]    (UARTRSR: the round trip)
      0xa90008c1, // stp   x1, x2, [x6]
      0xa90110c3, // stp   x3, x4, [x6, #16]
      0xa90228c7, // stp   x7, x10, [x6, #32]
      0xf90018cb, // str   x11, [x6, #48]
      0x52800100, // mov   w0, #0x8
      0x72b08000, // movk  w0, #0x8400, lsl #16  (PSCI SYSTEM_OFF)
      0xd4000002, // hvc   #0
      0x14000000, // b     .
    ];
    const data = new Uint8Array(code.length * 4);
    code.forEach((w, i) => new DataView(data.buffer).setUint32(i * 4, w, true));
    return { bytes: writeElf64(0x4000_0000n, [{ paddr: 0x4000_0000n, data }]), name: 'mmio' };
  };
  it.each([true, false])('UART accesses served in the core (protected: %s) give the registers, memory and console of the round trip', (prot) => {
    const runs = [false, true].map((fast) => {
      const b = boot(fast, { guestHvcAbi: 'upstream' });
      const vm = b.kvm.createVm({ name: 'm', protected: prot, memBytes: 4 << 20, image: mmioGuest(), args: [] });
      let vcpuRuns = 0;
      const hcall = b.kvm.tryHcallN.bind(b.kvm); // (the run loop's hypercalls, by index)
      b.kvm.tryHcallN = (idx, ...a) => { if (idx === __KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run) vcpuRuns++; return hcall(idx, ...a); };
      expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 1_000_000n })).toBe('all-stopped');
      const pa = vm.slot.pages.get(0x40200n)!;
      const results = Array.from({ length: 7 }, (_, i) => b.core.readPhysU64(pa + BigInt(8 * i)));
      return { ...b, vm, vcpuRuns, results };
    });
    const [slow, fast] = runs as [typeof runs[0], typeof runs[0]];
    for (const r of runs) {
      expect(r.vm.state).toBe('off');
      expect(r.results).toEqual([0xffff_ffff_ffff_ff90n, 0xffff_ff90n, 0x90n, 0x90n, 0x90n, 0x90n, 0n]);
      expect(r.vm.consoleText()).toBe('AAA\0BA');
      expect(r.vm.mmioExits).toBe(14);
    }
    // 11 of the 14 accesses never left the core (nor did the faults the fault fast path served)
    expect(slow.vcpuRuns - fast.vcpuRuns).toBe(11 + fast.fastFaults());
    expect(hostState(fast.vm)).toEqual(hostState(slow.vm));
    expectSameRam(slow, fast);
  });

  it('a non-protected guest\'s faults are shares made in the core', () => {
    const b = boot(true);
    const np = b.kvm.createVm({ name: 'np', protected: false, memBytes: 8 << 20, image: img('toucher'), args: [256n, 1n] });
    expect(runAll(b.kvm, { slice: 100_000, maxGuestInsns: 100_000_000n })).toBe('all-stopped');
    expect(b.fastFaults()).toBeGreaterThan(256 * 0.9);
    expect(np.faults).toBeGreaterThanOrEqual(256);
    expect(np.consoleText()).toContain('toucher: checksum');
    // every page the guest was given is host SHARED_OWNED with a share count of one
    const vmm = b.el2.pkvm.vmemmap;
    for (const gfn of np.given) {
      const i = vmm.idx(np.slot.pages.get(gfn)!);
      expect([vmm.get_host_state(i), vmm.shareCount(i)]).toEqual([1, 1]);
    }
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });
});
