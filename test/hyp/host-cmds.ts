/**
 * The command model of the random host hypercall sequences (property.test.ts, donate-page.test.ts):
 * a host that creates, loads and tears down VMs, donates and shares pages, tops up memcaches,
 * touches its own memory, and a guest that shares and unshares pages, all through the real
 * dispatcher, on a small board.
 */
import fc from 'fast-check';
import { Host, HostVm, RAM_BASE, type HostOptions } from './harness';
import { HypPanic } from '../../hyp/page-state';
import { checkInvariants } from '../../hyp/invariants';
import { __pkvm_guest_share_host, __pkvm_guest_unshare_host } from '../../hyp/mem-protect-guest';
import {
  KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_RWX, KVM_PGTABLE_PROT_X,
} from '../../hyp/pgtable-defs';

export const MB = 1n << 20n;
export const RAND_BASE = (RAM_BASE + 4n * MB) >> 12n; /* a 2 MiB-aligned region the host hands out at random */
export const CARVE = { base: RAM_BASE + 7n * MB, size: MB };

export const pfnArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }).map((i) => RAND_BASE + BigInt(i)) },
  { weight: 1, arbitrary: fc.constantFrom(RAND_BASE, CARVE.base >> 12n, 0x9000n, 1n << 30n) },
);
export const gfnArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0x10n) },
  { weight: 4, arbitrary: fc.integer({ min: 0x11, max: 0x13 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constantFrom(0x200n, 0x201n, 1n << 27n) },
);
export const protArb = fc.constantFrom(KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X, KVM_PGTABLE_PROT_RWX);
export const nrArb = fc.oneof({ weight: 8, arbitrary: fc.constant(1n) }, { weight: 1, arbitrary: fc.constantFrom(512n, 2n) });
export const vmArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.constant(2) });
export const cpuArb = fc.integer({ min: 0, max: 1 });
/** How often the host behaves as KVM does: vcpu_load + memcache top-up before a guest memory call. */
export const prepArb = fc.constantFrom(true, true, true, false);

export const cmdArb = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('create' as const), prot: fc.boolean(), nr: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('load' as const), vm: vmArb, vcpu: fc.integer({ min: 0, max: 2 }), cpu: cpuArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('put' as const), cpu: cpuArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('topup' as const), vm: vmArb, vcpu: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('share_hyp' as const), pfn: pfnArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('unshare_hyp' as const), pfn: pfnArb }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('donate' as const), pfn: pfnArb, gfn: gfnArb, cpu: cpuArb, vm: vmArb, prep: prepArb }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('share' as const), pfn: pfnArb, gfn: gfnArb, nr: nrArb, prot: protArb, cpu: cpuArb, vm: vmArb, prep: prepArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('unshare' as const), vm: vmArb, gfn: gfnArb, nr: nrArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('relax' as const), gfn: gfnArb, prot: protArb, cpu: cpuArb, vm: vmArb, prep: prepArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('wrprotect' as const), vm: vmArb, gfn: gfnArb, nr: nrArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('young' as const), vm: vmArb, gfn: gfnArb, cpu: cpuArb, prep: prepArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('guest_share' as const), vm: vmArb, gfn: gfnArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('guest_unshare' as const), vm: vmArb, gfn: gfnArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('force_reclaim' as const), pfn: pfnArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('host_access' as const), pfn: pfnArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('teardown' as const), vm: vmArb, prep: prepArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('destroy' as const), vm: vmArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reclaim' as const), vm: vmArb, gfn: gfnArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('finalize' as const), vm: vmArb }) },
);
export type Cmd = typeof cmdArb extends fc.Arbitrary<infer T> ? T : never;

/** WARN_ON()s a misbehaving host can reach upstream (they end in hyp_panic()). */
export const HOST_REACHABLE_WARN = /start_teardown: VM in use|donate_guest: map|share_guest: map|force_reclaim: annotation and guest pte disagree/;

/** The board of these sequences (8 MiB of RAM, a 1 MiB carve-out, 2 CPUs); `opts` adds to it (a PhysMem, TLB hooks). */
export function cmdHost(opts: HostOptions = {}): Host {
  return new Host({ ramSize: 8n * MB, carveout: CARVE, allocLimit: RAM_BASE + 4n * MB, maxVms: 3, maxVcpus: 2, nrCpus: 2, autoCheck: false, ...opts });
}

/**
 * A run of commands on one host: step() runs one and returns what it ended with (an ordinary end:
 * 'ok'; a hyp_panic a misbehaving host can reach upstream: its message; and the stop after it).
 */
export class CmdRun {
  readonly vms: HostVm[];
  stopped = false;
  constructor(readonly host: Host) {
    this.vms = [host.createVm(true, 2), host.createVm(false, 1)];
  }
  step(c: Cmd): string {
    if (this.stopped) return 'stopped';
    try {
      runCmd(this.host, this.vms, c);
    } catch (e) {
      if (e instanceof HypPanic && HOST_REACHABLE_WARN.test(e.message)) {
        this.stopped = true;
        return e.message;
      }
      throw e;
    }
    return 'ok';
  }
}

/** Runs the commands on a fresh host, checking the invariants after each; stops at a host-reachable hyp_panic. */
export function runCmds(cmds: Cmd[]): void {
  const r = new CmdRun(cmdHost());
  for (const c of cmds) {
    if (r.step(c) !== 'ok') return;
    const errs = checkInvariants(r.host.hyp);
    if (errs.length) throw new Error(`after ${JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}:\n${errs.join('\n')}`);
  }
}

function runCmd(host: Host, vms: HostVm[], c: Cmd): void {
  const hyp = host.hyp;
  const on = (cpu: number) => (host.cpu = cpu);
  const handle = (i: number): bigint => BigInt(vms[i % Math.max(vms.length, 1)]?.handle ?? 0x1000 + i);
  const hypVcpu = (i: number) => hyp.get_vm_by_handle(Number(handle(i)))?.vcpus.find((v) => v) ?? null;
  /* What KVM does before touching guest memory: load the vCPU here, top up its memcache. */
  const prepare = (c: { vm: number; cpu: number; prep: boolean }): void => {
    on(c.cpu);
    if (!c.prep || !vms.length) return;
    const vm = vms[c.vm % vms.length]!;
    const cur = hyp.loaded_hyp_vcpu[c.cpu];
    if (cur && cur.vm.handle === vm.handle) return;
    if (cur) host.call('__pkvm_vcpu_put');
    const hvm = hyp.get_vm_by_handle(vm.handle);
    for (let i = 0; i < vm.vcpus.length && !hyp.loaded_hyp_vcpu[c.cpu]; i++) {
      const other = hvm?.vcpus[i]?.loaded_cpu;
      if (other !== null && other !== undefined) {
        on(other); /* migrate: put it where it runs */
        host.call('__pkvm_vcpu_put');
        on(c.cpu);
      }
      host.call('__pkvm_vcpu_load', vm.handle, i, 0);
      if (hyp.loaded_hyp_vcpu[c.cpu]) host.topup(vm, i, 2);
    }
  };
  /* The host forgets a VM once it is finalized (its handle may be reused). */
  const forget = (h: bigint): void => {
    const i = vms.findIndex((v) => BigInt(v.handle) === h);
    if (i >= 0) vms.splice(i, 1);
  };
  const putAll = (h: number): void => {
    for (let cpu = 0; cpu < hyp.nr_cpus; cpu++) {
      if (hyp.loaded_hyp_vcpu[cpu]?.vm.handle !== h) continue;
      on(cpu);
      host.call('__pkvm_vcpu_put');
    }
  };
  {
    {
      switch (c.t) {
        case 'create':
          if (hyp.vm_table.includes(null)) vms.push(host.createVm(c.prot, c.nr));
          break;
        case 'load': on(c.cpu); host.call('__pkvm_vcpu_load', handle(c.vm), c.vcpu, 0); break;
        case 'put': on(c.cpu); host.call('__pkvm_vcpu_put'); break;
        case 'topup': {
          const vm = vms[c.vm % Math.max(vms.length, 1)];
          if (vm && vm.vcpus[c.vcpu] !== undefined) host.topup(vm, c.vcpu, c.n);
          break;
        }
        case 'share_hyp': host.call('__pkvm_host_share_hyp', c.pfn); break;
        case 'unshare_hyp': host.call('__pkvm_host_unshare_hyp', c.pfn); break;
        case 'donate': prepare(c); host.call('__pkvm_host_donate_guest', c.pfn, c.gfn); break;
        case 'share': prepare(c); host.call('__pkvm_host_share_guest', c.pfn, c.gfn, c.nr, c.prot); break;
        case 'unshare': host.call('__pkvm_host_unshare_guest', handle(c.vm), c.gfn, c.nr); break;
        case 'relax': prepare(c); host.call('__pkvm_host_relax_perms_guest', c.gfn, c.prot); break;
        case 'wrprotect': host.call('__pkvm_host_wrprotect_guest', handle(c.vm), c.gfn, c.nr); break;
        case 'young':
          prepare(c);
          host.call('__pkvm_host_mkyoung_guest', c.gfn);
          host.call('__pkvm_host_test_clear_young_guest', handle(c.vm), c.gfn, 1n, 1n);
          break;
        case 'guest_share': { const v = hypVcpu(c.vm); if (v) host.lastRet = __pkvm_guest_share_host(hyp, v, c.gfn); break; }
        case 'guest_unshare': { const v = hypVcpu(c.vm); if (v) host.lastRet = __pkvm_guest_unshare_host(hyp, v, c.gfn); break; }
        case 'force_reclaim': host.call('__pkvm_force_reclaim_guest_page', c.pfn << 12n); break;
        case 'host_access': if (hyp.mem.isMemory(c.pfn << 12n)) hyp.handleHostMemAbort(c.pfn << 12n); break;
        case 'teardown':
          if (c.prep) putAll(Number(handle(c.vm)));
          host.call('__pkvm_start_teardown_vm', handle(c.vm));
          break;
        case 'destroy': {
          /* What KVM does: put the vCPUs, start teardown, reclaim every page, finalize. */
          const h = handle(c.vm);
          const vm = hyp.get_vm_by_handle(Number(h));
          if (!vm) break;
          putAll(vm.handle);
          host.call('__pkvm_start_teardown_vm', h);
          for (const g of [0x10n, 0x11n, 0x12n, 0x13n, 0x200n, 0x201n, 1n << 27n])
            host.call('__pkvm_reclaim_dying_guest_page', h, g);
          if (host.call('__pkvm_finalize_teardown_vm', h) === 0) forget(h);
          break;
        }
        case 'reclaim': host.call('__pkvm_reclaim_dying_guest_page', handle(c.vm), c.gfn); break;
        case 'finalize':
          if (host.call('__pkvm_finalize_teardown_vm', handle(c.vm)) === 0) forget(handle(c.vm));
          break;
      }
    }
  }
}

