/**
 * Test harness: a small RAM board, a booted Pkvm, and a minimal well-behaved
 * "host" that allocates pages, lays out struct kvm / struct kvm_vcpu, and
 * issues host hypercalls through the real HVC dispatcher.
 */
import { ArrayPhysMem, Pkvm, PkvmOptions } from '../../hyp/index';
import { HostKvmView, kvm_init_id_regs, HostVcpuView, PKVM_HYP_VCPU_SIZE, pkvm_get_hyp_vm_size } from '../../hyp/host-abi';
import { HostHcallName, KVM_HOST_SMCCC_FUNC, asSigned } from '../../hyp/hypercalls';
import { PAGE_ALIGN, PAGE_SIZE } from '../../hyp/pgtable-defs';
import { kvm_pgtable_stage2_pgd_size } from '../../hyp/vtcr';
import { push_hyp_memcache } from '../../hyp/memcache';
import { checkInvariants } from '../../hyp/invariants';
import { pgtable_descend } from '../../hyp/pgtable-descend';

export const RAM_BASE = 0x4000_0000n;
export const RAM_SIZE = 16n << 20n;
export const CARVEOUT = { base: RAM_BASE + (14n << 20n), size: 2n << 20n };

/** RAM with the page-table walker's accelerator (pgtable-descend.ts over the same bytes), as CorePhysMem has it. */
export class DescendingMem extends ArrayPhysMem {
  descendN(table: number, level: number, addr: number): number {
    return pgtable_descend(this.ramView(), Number(this.ramBase), Number(this.ramSize) - 8, table, level, addr);
  }
}

export type HostOptions = PkvmOptions & {
  maxVms?: number; maxVcpus?: number; ramSize?: bigint; carveout?: typeof CARVEOUT; allocLimit?: bigint; autoCheck?: boolean;
  protectedModeInitialized?: boolean;
  /** RAM with the walker's descent accelerator (DescendingMem), as the emulator's CorePhysMem. */
  descend?: boolean;
};

export interface HostVm { handle: number; kvm: bigint; vcpus: bigint[]; protected: boolean }

export class Host {
  readonly mem: ArrayPhysMem;
  readonly hyp: Pkvm;
  private next = RAM_BASE + (1n << 20n); /* leave the first MiB to the "kernel image" */
  free: bigint[] = [];
  cpu = 0;
  /** Run the (non-strict) invariant checker after every hypercall. */
  autoCheck: boolean;

  private readonly limit: bigint;

  constructor(opts: HostOptions = {}) {
    const carveout = opts.carveout ?? CARVEOUT;
    this.mem = new (opts.descend ? DescendingMem : ArrayPhysMem)(RAM_BASE, opts.ramSize ?? RAM_SIZE);
    this.hyp = new Pkvm(this.mem, carveout, opts.maxVms ?? 4, opts.maxVcpus ?? 4, opts);
    /* The host flips kvm_protected_mode_initialized before finalising (pkvm_drop_host_privileges()). */
    this.hyp.protected_mode_initialized = opts.protectedModeInitialized ?? true;
    this.limit = opts.allocLimit ?? carveout.base;
    this.autoCheck = opts.autoCheck ?? true;
  }

  /** Allocate `n` contiguous host pages aligned to `align` bytes. */
  alloc(n = 1, align = PAGE_SIZE): bigint {
    if (n === 1 && align === PAGE_SIZE && this.free.length) return this.free.pop()!;
    const p = (this.next + align - 1n) & ~(align - 1n);
    this.next = p + BigInt(n) * PAGE_SIZE;
    if (this.next > this.limit) throw new Error('host out of memory');
    return p;
  }

  hvc(name: HostHcallName, ...args: bigint[]): { x0: number; x1: number; frame: bigint[] } {
    const frame = [KVM_HOST_SMCCC_FUNC(name), ...args, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
    this.hyp.handleHostHcall(frame, this.cpu);
    return { x0: asSigned(frame[0]!), x1: asSigned(frame[1]!), frame };
  }

  lastRet: unknown = 'none';
  call(name: HostHcallName, ...args: (bigint | number)[]): number {
    const r = this.hvc(name, ...args.map(BigInt));
    this.lastRet = r.x1;
    if (r.x0 !== 0) throw new Error(`${name}: x0 = ${r.x0}`);
    if (this.autoCheck) {
      const errs = checkInvariants(this.hyp);
      if (errs.length) throw new Error(`invariants after ${name}:\n  ${errs.join('\n  ')}`);
    }
    return r.x1;
  }

  /** pkvm_init_host_vm() + __pkvm_create_hyp_vm() + __pkvm_create_hyp_vcpu() for each vCPU. */
  createVm(isProtected: boolean, nrVcpus = 1): HostVm {
    const handle = this.call('__pkvm_reserve_vm');
    if (handle < 0) throw new Error(`reserve_vm: ${handle}`);
    const kvm = this.alloc();
    const k = new HostKvmView(this.mem, kvm);
    k.created_vcpus = nrVcpus;
    k.handle = handle;
    k.is_protected = isProtected;
    kvm_init_id_regs(k, this.hyp.idRegs);
    expectOk(this.call('__pkvm_host_share_hyp', kvm >> 12n), 'share kvm');
    const vmPages = Number(PAGE_ALIGN(pkvm_get_hyp_vm_size(nrVcpus)) / PAGE_SIZE);
    const pgdSize = kvm_pgtable_stage2_pgd_size(this.hyp.host_vtcr());
    const hypVm = this.alloc(vmPages);
    const pgd = this.alloc(Number(pgdSize / PAGE_SIZE), pgdSize);
    expectOk(this.call('__pkvm_init_vm', kvm, hypVm, pgd), 'init_vm');
    const vcpus: bigint[] = [];
    for (let i = 0; i < nrVcpus; i++) {
      const hv = this.alloc();
      const v = new HostVcpuView(this.mem, hv);
      v.vcpu_id = i;
      v.vcpu_idx = i;
      expectOk(this.call('__pkvm_host_share_hyp', hv >> 12n), 'share vcpu');
      expectOk(this.call('__pkvm_init_vcpu', handle, hv, this.alloc(Number(PKVM_HYP_VCPU_SIZE / PAGE_SIZE))), 'init_vcpu');
      vcpus.push(hv);
    }
    return { handle, kvm, vcpus, protected: isProtected };
  }

  /** topup_hyp_memcache(): give `n` more host pages to a vCPU's memcache. */
  topup(vm: HostVm, vcpu = 0, n = 2): void {
    const mc = new HostVcpuView(this.mem, vm.vcpus[vcpu]!).pkvm_memcache;
    for (let i = 0; i < n; i++) push_hyp_memcache(this.mem, mc, this.alloc());
  }

  check(strict = true): void {
    const errs = checkInvariants(this.hyp, { strict });
    if (errs.length) throw new Error(`invariants:\n  ${errs.join('\n  ')}`);
  }
}

/** A host memcache list of n fresh pages (pushed in order: the last page is the head), as the host hands the heap. */
export function hostList(host: Host, n: number): { head: bigint; nr: bigint; pages: bigint[] } {
  const mc = { head: 0n, nr_pages: 0n };
  const pages: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const p = host.alloc();
    pages.push(p);
    push_hyp_memcache(host.mem, mc, p);
  }
  return { head: mc.head, nr: mc.nr_pages, pages };
}

export function expectOk(ret: number, what: string): void {
  if (ret !== 0) throw new Error(`${what}: ${ret}`);
}

export function load(host: Host, vm: HostVm, vcpu = 0): void {
  host.call('__pkvm_vcpu_load', vm.handle, vcpu, 0);
  if (!host.hyp.loaded_hyp_vcpu[host.cpu]) throw new Error('vcpu_load failed');
}

export function put(host: Host): void {
  host.call('__pkvm_vcpu_put');
}

export const MMIO_PFN = 0x0900_0000n >> 12n;
