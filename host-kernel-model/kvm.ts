/**
 * The host's KVM for protected (pKVM) and non-protected guests: VM and vCPU creation through the
 * host hypercalls (arch/arm64/kvm/pkvm.c __pkvm_create_hyp_vm / __pkvm_create_hyp_vcpu), memslots
 * with pinned backing pages, the guest image preloaded into them, and teardown
 * (pkvm_destroy_hyp_vm: start → reclaim every page → finalize → free what the hyp hands back).
 */
import type { HostedEl2 } from '../hyp/hosted-el2';
import { HostMemory } from './host-memory';
import { HostVgicCpu } from './vgic';
import { hostGicCpuInit } from './host-gic';
import { allocatorStorage, installFaultFastPath } from './fault-fast-path';
import { BackedArena } from './backed-arena';
import { HostPageAllocator } from './page-alloc';
import { Memslot, type Backing } from './memslot';
import { GfnSet } from './gfn-table';
import { HostKvmView, kvm_init_id_regs, HostVcpuView, HOST_VCPU_RESET_PC, HOST_VCPU_RESET_POWER_OFF, HOST_VCPU_RESET_X, HOST_VCPU_PC, HOST_VCPU_PSTATE, HOST_VCPU_PKVM_MEMCACHE, pkvm_get_hyp_vm_size, PKVM_HYP_VCPU_SIZE } from '../hyp/host-abi';
import type { GuestHcallEvent } from './vcpu-run';
import { kvm_pgtable_stage2_pgd_size } from '../hyp/vtcr';
import { push_hyp_memcache, pop_hyp_memcache } from '../hyp/memcache';
import { parseElf64 } from '../machine/elf';
import { L } from '../machine/core';
import { Pl011 } from '../machine/pl011';
import { UserError } from '../machine/errors';
import type { HostHcallName } from '../hyp/hypercalls';

export const GUEST_RAM_IPA = 0x4000_0000n;
export const GUEST_UART_IPA = 0x0900_0000n;
const PAGE = 4096n;
/** Pages kept in a vCPU's memcache before each donate/share (enough for the stage-2 tables of one page). */
export const KVM_MMU_CACHE_MIN_PAGES = 4n;
const KVM_MMU_CACHE_MIN_PAGES_N = Number(KVM_MMU_CACHE_MIN_PAGES);
/** The host vCPU memcache's nr_pages: its offset in struct kvm_vcpu. */
const HOST_MC_NR_PAGES = Number(HOST_VCPU_PKVM_MEMCACHE) + 8;
/** The largest gfn whose IPA (gfn * 4096) is below 2^53. */
const MAX_SAFE_GFN = (1n << 41n) - 1n;
/** Pages of fresh host memory committed ahead of the allocator's cursor (64 MiB: more than a guest slice of faults takes). */
export const PRECOMMIT_AHEAD = 16384;
/** Low RAM the host kernel keeps for itself (never handed to guests). */
export const HOST_RESERVED_LOW = 2n << 20n;

export interface VmConfig {
  name: string;
  protected: boolean;
  memBytes: number;
  vcpus?: number;
  image?: { bytes: Uint8Array; name: string };
  backing?: Backing;
  /** x1..x3 at entry (x0 is 0: no devicetree for guests). */
  args?: bigint[];
}

export type VmState = 'created' | 'running' | 'off' | 'reset' | 'error' | 'destroyed';

export class HostVcpu {
  state: 'runnable' | 'off' = 'runnable';
  /** The host's vGIC of this vCPU: the list registers it hands EL2 (vgic.ts). */
  readonly vgic = new HostVgicCpu();
  /** hostVcpuPa as a Number (RAM lies below 2^53). */
  readonly hostVcpuPaN: number;
  constructor(readonly idx: number, readonly hostVcpuPa: bigint, readonly hypVcpuPa: bigint) {
    this.hostVcpuPaN = Number(hostVcpuPa);
  }
}

export class HostVm {
  state: VmState = 'created';
  error?: string;
  readonly console: Pl011;
  readonly consoleOut: number[] = [];
  readonly vcpus: HostVcpu[] = [];
  /** gfns the hyp mapped for the guest (donated or shared), as opposed to only preloaded. */
  readonly given: GfnSet;
  /** gfns the guest shared back with the host (MEM_SHARE, until MEM_UNSHARE): the VMM may read them. */
  readonly guestShared: GfnSet;
  /** Guest page faults handled (donations or shares). */
  faults = 0;
  mmioExits = 0;
  /** The virtual counter offset (kvm_timer_init_vm: the physical count at creation; arch-timer.ts). */
  cntvoff = 0n;
  constructor(
    readonly cfg: VmConfig, readonly handle: number, readonly kvmPa: bigint, readonly vmPa: bigint,
    readonly vmPages: number, readonly pgdPa: bigint, readonly pgdPages: number, readonly slot: Memslot,
    onConsole: (vm: HostVm, byte: number) => void,
  ) {
    this.given = new GfnSet(slot.ipaBase >> 12n, slot.npages);
    this.guestShared = new GfnSet(slot.ipaBase >> 12n, slot.npages);
    this.console = new Pl011((b) => { this.consoleOut.push(b); onConsole(this, b); });
  }
  get name(): string { return this.cfg.name; }
  /** Bytes of the host's per-gfn bookkeeping of this VM (memslot pages and pins, given and guest-shared gfns). */
  bookkeepingBytes(): number { return this.slot.pages.denseBytes + this.slot.pinned.denseBytes + this.given.denseBytes + this.guestShared.denseBytes; }
  get isProtected(): boolean { return this.cfg.protected; }
  consoleText(): string { return Buffer.from(this.consoleOut).toString('latin1'); }
}

export class KvmError extends UserError {}

export interface HostKvmOptions {
  onConsole?: (vm: HostVm, byte: number) => void;
  /** The VMM is told of each guest hypercall the hyp reports (share, unshare, relinquish, CPU_ON/OFF). */
  onGuestHcall?: (vm: HostVm, vcpu: HostVcpu, ev: GuestHcallEvent) => void;
  /**
   * Resolve a protected guest's ordinary stage-2 faults without leaving the guest (fault-fast-path.ts:
   * same checks, same resulting state). Default true; false sends every fault round the host.
   */
  faultFastPath?: boolean;
  /**
   * With the fault fast path: serve a guest's polled console accesses (UARTFR reads, UARTDR writes)
   * in the core too, the bytes reaching the console when the guest's run on the core ends
   * (core-as/pkvm-fast-mmio.ts). Default true; HostKvm.mmioFastPath can turn it off for a while (a
   * VMM that must stop at the exit of one console byte).
   */
  mmioFastPath?: boolean;
  /**
   * The machine's RAM is committed already (its creator wrote all of it, as the benchmarks do before
   * their clock starts): precommit() has nothing to do.
   */
  memoryCommitted?: boolean;
  /**
   * kvm-arm.wfi_trap_policy: 'trap' (default: HCR_EL2.TWI set, a guest's WFI exits to the host) or
   * 'notrap' (TWI clear: the WFI waits on the CPU until an interrupt, e.g. its virtual timer's).
   */
  wfiTrapPolicy?: 'trap' | 'notrap';
}

export class HostKvm {
  readonly mem: HostMemory;
  readonly alloc: HostPageAllocator;
  readonly vms: HostVm[] = [];
  /** Emit a trace event per donated/shared page (off for benchmarks). */
  traceFaults = true;
  /** Protected guests' ordinary stage-2 faults are resolved in the core (fault-fast-path.ts). */
  readonly fastPath: boolean;
  /** With fastPath: guests' UART accesses are served in the core (HostKvmOptions.mmioFastPath). */
  mmioFastPath: boolean;
  /** With fastPath: where the VMs' backed bitmaps go in the core's memory (backed-arena.ts). */
  readonly backedArena: BackedArena | null;

  constructor(readonly el2: HostedEl2, readonly opts: HostKvmOptions = {}) {
    const core = el2.core;
    this.mem = new HostMemory(core, el2.pkvm);
    el2.ws.hostOnCore = false; // the TypeScript host keeps no CPU state on the core
    const lo = core.ramBase + HOST_RESERVED_LOW;
    const pages = Number((el2.carveout.base - lo) / PAGE);
    this.fastPath = opts.faultFastPath ?? true;
    this.backedArena = this.fastPath ? new BackedArena(core.mem) : null;
    this.mmioFastPath = opts.mmioFastPath ?? true;
    // The host's RAM is as the core's init left it: zero (HostKvm is built on a fresh machine).
    this.alloc = new HostPageAllocator(lo, pages, this.fastPath ? allocatorStorage(core.mem, pages) : undefined, true);
    this.mem.onWrite = (pa, n) => this.alloc.noteWrite(pa, n);
    this.mem.onWriteN = (pa, n) => this.alloc.noteWriteN(pa, n);
    if (this.fastPath) installFaultFastPath(this);
    hostGicCpuInit(core); // the host's GIC driver: the timer and maintenance PPIs (host-gic.ts)
  }
  /** CNTVOFF_EL2 the host last asked EL2 for (__kvm_timer_set_cntvoff). */
  cpuCntvoff = 0n;

  get pkvm() { return this.el2.pkvm; }

  /**
   * Commits the host memory the allocator hands out next (HostPageAllocator.precommit()), up to
   * PRECOMMIT_AHEAD pages past its cursor, before a guest runs: the host OS's first touch of fresh
   * emulator RAM is then not inside a guest's fault. Only pages known to be zero are touched (a zero
   * written where there is one: nothing changes; a page written before is committed already), and
   * by a write alone (a read first would map the OS's zero page, and the write then copy it, page
   * by page, where a first write can take a whole huge page).
   */
  precommit(): void {
    if (this.opts.memoryCommitted) return;
    this.alloc.precommit(PRECOMMIT_AHEAD, this.touchZero);
  }
  /** precommit()'s touch: a zero written into each page of first..first+n-1 known to be zero. */
  private readonly touchZero = (first: number, n: number): void => {
    const core = this.el2.core;
    const ram = core.mem;
    let o = L.RAM_HOST + Number(this.alloc.base - core.ramBase) + first * 4096;
    for (let i = first; i < first + n; i++, o += 4096) if (this.alloc.knownZero(i)) ram[o] = 0;
  };

  /** A host hypercall; throws KvmError unless it succeeds. Returns x1 (the handler's value). */
  hcall(name: HostHcallName, ...args: (bigint | number)[]): number {
    const r = this.el2.hcall(name, ...args);
    if (r.x0 !== 0n) throw new KvmError(`${name}: hypercall not supported (x0=${BigInt.asIntN(64, r.x0)})`);
    return r.ret;
  }
  /** A hypercall whose failure is the caller's to handle: returns the signed x1. */
  tryHcall(name: HostHcallName, ...args: (bigint | number)[]): number {
    const r = this.el2.hcall(name, ...args);
    return r.x0 !== 0n ? -1 : r.ret;
  }
  /**
   * tryHcall() by function index (__KVM_HOST_SMCCC_FUNC) with `nargs` Number arguments, each a
   * non-negative integer below 2^53 (HostedEl2.hcallN()): the run loop's calls, made on each fault.
   */
  tryHcallN(idx: number, nargs: number, a1 = 0, a2 = 0, a3 = 0, a4 = 0): number {
    const ret = this.el2.hcallN(idx, nargs, a1, a2, a3, a4);
    return this.el2.hcallX0 !== 0 ? -1 : ret;
  }

  /**
   * A zeroed page (get_zeroed_page()): zeroed through the host's view of memory, unless the
   * allocator knows it is zero already (nothing wrote it since RAM was zeroed; the in-core fault
   * fast path skips those the same way): no write, so no host stage-2 abort for it either.
   */
  allocPage(): bigint {
    return BigInt(this.allocPageN());
  }
  /** allocPage() as a Number. */
  allocPageN(): number {
    const i = this.alloc.nextFree();
    if (i < 0) throw new KvmError('host out of memory');
    const zero = this.alloc.knownZero(i);
    this.alloc.takeIndex(i);
    const p = this.alloc.baseN + i * 4096;
    if (!zero) this.mem.zeroPage(BigInt(p));
    return p;
  }

  /** kvm_share_hyp(): a host page the hyp may read and pin (struct kvm, struct kvm_vcpu). */
  private sharedHostPage(): bigint {
    const p = this.allocPage();
    const ret = this.hcall('__pkvm_host_share_hyp', p >> 12n);
    if (ret) throw new KvmError(`__pkvm_host_share_hyp: ${ret}`);
    return p;
  }

  createVm(cfg: VmConfig): HostVm {
    const nrVcpus = cfg.vcpus ?? 1;
    if (cfg.memBytes <= 0 || cfg.memBytes % 4096 !== 0) throw new KvmError(`${cfg.name}: memory must be a positive multiple of 4 KiB`);
    const kvmPa = this.sharedHostPage();
    const kv = new HostKvmView(this.mem, kvmPa);
    kv.created_vcpus = nrVcpus;
    kv.is_protected = cfg.protected;
    kv.guest_mem_base = GUEST_RAM_IPA; // the memslot: what is memory (the rest is MMIO) for the hyp
    kv.guest_mem_size = BigInt(cfg.memBytes);
    kvm_init_id_regs(kv, this.pkvm.idRegs);
    const handle = this.hcall('__pkvm_reserve_vm');
    if (handle < 0) throw new KvmError(`${cfg.name}: __pkvm_reserve_vm: ${handle}`);
    kv.handle = handle;
    const vmPages = Number((pkvm_get_hyp_vm_size(nrVcpus) + PAGE - 1n) / PAGE);
    const pgdPages = Number(kvm_pgtable_stage2_pgd_size(this.pkvm.host_vtcr()) / PAGE);
    const vmPa = this.alloc.allocContig(vmPages);
    const pgdPa = this.alloc.allocContig(pgdPages, pgdPages);
    if (vmPa === null || pgdPa === null) throw new KvmError(`${cfg.name}: host out of memory for the hyp VM structures`);
    for (let i = 0; i < pgdPages; i++) this.mem.zeroPage(pgdPa + BigInt(i) * PAGE);
    const ret = this.hcall('__pkvm_init_vm', kvmPa, vmPa, pgdPa);
    if (ret) throw new KvmError(`${cfg.name}: __pkvm_init_vm: ${ret}`);
    const npages = cfg.memBytes / 4096;
    const bits = this.backedArena?.alloc(npages) ?? null; // (none: no fast path for this VM)
    const slot = new Memslot(GUEST_RAM_IPA, BigInt(cfg.memBytes), cfg.backing ?? 'anon', bits ?? undefined);
    const vm = new HostVm(cfg, handle, kvmPa, vmPa, vmPages, pgdPa, pgdPages, slot, (v, b) => this.opts.onConsole?.(v, b));
    vm.cntvoff = this.el2.core.ticks;
    let entry = GUEST_RAM_IPA;
    if (cfg.image) entry = this.preload(vm, cfg.image.bytes, cfg.image.name);
    for (let i = 0; i < nrVcpus; i++) vm.vcpus.push(this.createVcpu(vm, i, entry, cfg.args ?? []));
    this.vms.push(vm);
    this.el2.trace.emit('vm', `${cfg.name}: created ${cfg.protected ? 'protected' : 'non-protected'} VM handle 0x${handle.toString(16)}, ${cfg.memBytes >> 20} MiB, ${nrVcpus} vCPU(s)`);
    vm.state = 'running';
    return vm;
  }

  private createVcpu(vm: HostVm, idx: number, entry: bigint, args: bigint[]): HostVcpu {
    const hostVcpuPa = this.sharedHostPage();
    const hv = new HostVcpuView(this.mem, hostVcpuPa);
    hv.vcpu_id = idx;
    hv.vcpu_idx = idx;
    hv.setU64(HOST_VCPU_RESET_PC, entry);
    hv.setU64(HOST_VCPU_RESET_X, 0n);
    for (let i = 0; i < 3; i++) hv.setU64(HOST_VCPU_RESET_X + 8n * BigInt(i + 1), args[i] ?? 0n);
    hv.setU64(HOST_VCPU_RESET_POWER_OFF, idx > 0 ? 1n : 0n); // KVM_ARM_VCPU_POWER_OFF: secondaries wait for CPU_ON
    // Non-protected vCPUs keep their registers in the host structure: same reset state there.
    hv.setU64(HOST_VCPU_PC, entry);
    hv.setU64(HOST_VCPU_PSTATE, 0x3c5n);
    for (let i = 0; i < 3; i++) hv.setReg(i + 1, args[i] ?? 0n);
    const pages = Number(PKVM_HYP_VCPU_SIZE / PAGE);
    const hypVcpuPa = this.alloc.allocContig(pages);
    if (hypVcpuPa === null) throw new KvmError(`${vm.name}: host out of memory for a hyp vCPU`);
    const ret = this.hcall('__pkvm_init_vcpu', vm.handle, hostVcpuPa, hypVcpuPa);
    if (ret) throw new KvmError(`${vm.name}: __pkvm_init_vcpu(${idx}): ${ret}`);
    const v = new HostVcpu(idx, hostVcpuPa, hypVcpuPa);
    if (idx > 0) v.state = 'off'; // secondaries wait for PSCI CPU_ON
    return v;
  }

  /** Backing page for gfn: allocated (zeroed) on first use and pinned. */
  backingPage(vm: HostVm, gfn: bigint): bigint {
    if (gfn >= 0n && gfn <= MAX_SAFE_GFN) return BigInt(this.backingPageN(vm, Number(gfn)));
    let pa = vm.slot.pages.get(gfn);
    if (pa === undefined) {
      pa = this.allocPage();
      vm.slot.pages.set(gfn, pa);
      vm.slot.pinned.add(gfn);
    }
    return pa;
  }
  /** backingPage() of a gfn given as a Number (below 2^41: its IPA is a Number too), the PA as one. */
  backingPageN(vm: HostVm, gfn: number): number {
    let pa = vm.slot.pages.getNumber(gfn);
    if (pa < 0) {
      pa = this.allocPageN();
      vm.slot.pages.setNumber(gfn, pa);
      vm.slot.pinned.addNumber(gfn);
    }
    return pa;
  }

  /** The VMM copies the image into backing pages before boot; the contents survive donation. */
  private preload(vm: HostVm, image: Uint8Array, name: string): bigint {
    const elf = parseElf64(image, name);
    for (const s of elf.segments) {
      if (s.paddr < vm.slot.ipaBase || s.paddr + s.memsz > vm.slot.ipaBase + vm.slot.size) {
        throw new KvmError(`${name}: segment at 0x${s.paddr.toString(16)} is outside the VM's memory`);
      }
      for (let off = 0n; off < s.memsz; ) {
        const ipa = s.paddr + off;
        const pageOff = ipa & 0xfffn;
        const n = Number(PAGE - pageOff < s.memsz - off ? PAGE - pageOff : s.memsz - off);
        const pa = this.backingPage(vm, ipa >> 12n) + pageOff;
        const start = Number(off);
        const chunk = new Uint8Array(n);
        if (start < s.data.length) chunk.set(s.data.subarray(start, Math.min(start + n, s.data.length)));
        this.mem.writeBytes(pa, chunk);
        off += BigInt(n);
      }
    }
    return elf.entry;
  }

  /** Keeps a vCPU's memcache (in the shared host struct kvm_vcpu) at KVM_MMU_CACHE_MIN_PAGES. */
  topupMemcache(vcpu: HostVcpu): void {
    /* (nr_pages as two words: a fault's usual case is a memcache that is full already) */
    const nr = vcpu.hostVcpuPaN + HOST_MC_NR_PAGES, o = this.mem.readableAt(nr, 8);
    if (o >= 0) {
      const ram = this.mem.ramView();
      if (ram.getUint32(o + 4, true) === 0 && ram.getUint32(o, true) >= KVM_MMU_CACHE_MIN_PAGES_N) return;
    } else if (this.mem.readU32N(nr + 4) === 0 && this.mem.readU32N(nr) >= KVM_MMU_CACHE_MIN_PAGES_N) return;
    const mc = new HostVcpuView(this.mem, vcpu.hostVcpuPa).pkvm_memcache;
    while (mc.nr_pages < KVM_MMU_CACHE_MIN_PAGES) push_hyp_memcache(this.mem, mc, this.allocPage());
  }

  /**
   * pkvm_destroy_hyp_vm(), in upstream's order: __pkvm_start_teardown_vm, then the stage-2 is
   * destroyed (pkvm_pgtable_stage2_destroy_range: a non-protected VM's pages are unshared, a
   * protected VM's pages reclaimed, guest-owned ones coming back zeroed), then finalize.
   */
  destroyVm(vm: HostVm): void {
    if (vm.state === 'destroyed') return;
    let ret = this.hcall('__pkvm_start_teardown_vm', vm.handle);
    if (ret) throw new KvmError(`${vm.name}: __pkvm_start_teardown_vm: ${ret}`);
    if (!vm.isProtected) {
      for (const gfn of [...vm.given]) {
        const r = this.hcall('__pkvm_host_unshare_guest', vm.handle, gfn, 1);
        if (r) throw new KvmError(`${vm.name}: __pkvm_host_unshare_guest(0x${gfn.toString(16)}): ${r}`);
        vm.given.delete(gfn);
      }
    }
    for (const [gfn, pa] of [...vm.slot.pages]) {
      if (vm.given.has(gfn)) {
        ret = this.hcall('__pkvm_reclaim_dying_guest_page', vm.handle, gfn);
        if (ret) throw new KvmError(`${vm.name}: __pkvm_reclaim_dying_guest_page(0x${gfn.toString(16)}): ${ret}`);
      }
      vm.slot.pinned.delete(gfn);
      vm.slot.pages.delete(gfn);
      this.alloc.free(pa);
    }
    ret = this.hcall('__pkvm_finalize_teardown_vm', vm.handle);
    if (ret) throw new KvmError(`${vm.name}: __pkvm_finalize_teardown_vm: ${ret}`);
    // The hyp returned the VM's page-table pages and its VM/vCPU structures through the memcaches.
    const kv = new HostKvmView(this.mem, vm.kvmPa);
    let returned = 0;
    for (const mc of [kv.teardown_mc, kv.stage2_teardown_mc]) {
      for (let p = pop_hyp_memcache(this.mem, mc); p !== null; p = pop_hyp_memcache(this.mem, mc)) { this.alloc.free(p); returned++; }
    }
    for (const v of vm.vcpus) {
      const mc = new HostVcpuView(this.mem, v.hostVcpuPa).pkvm_memcache; // pages the hyp never took
      for (let p = pop_hyp_memcache(this.mem, mc); p !== null; p = pop_hyp_memcache(this.mem, mc)) this.alloc.free(p);
      this.unshareAndFree(v.hostVcpuPa);
    }
    // The PGD, the VM and vCPU structures came back through the teardown memcaches above.
    this.unshareAndFree(vm.kvmPa);
    this.backedArena?.free(vm.slot.pages.bits);
    vm.state = 'destroyed';
    this.el2.trace.emit('teardown', `${vm.name}: torn down, ${returned} hyp pages returned`);
  }

  private unshareAndFree(pa: bigint): void {
    const ret = this.hcall('__pkvm_host_unshare_hyp', pa >> 12n);
    if (ret) throw new KvmError(`__pkvm_host_unshare_hyp(0x${(pa >> 12n).toString(16)}): ${ret}`);
    this.alloc.free(pa);
  }
}

