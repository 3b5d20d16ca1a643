/**
 * The Number entry of the host hypercall dispatcher (handle_host_hcall_n(), HostedEl2.hcallN()):
 * for every function id, in every gating state, the same x0 and x1 as the SMCCC frame entry
 * (handle_host_hcall()) and the same hyp state after it, on twin hyps fed the same calls.
 */
import { describe, expect, it } from 'vitest';
import { Host, load, type HostVm } from './harness';
import { HOST_HCALLS, KVM_HOST_SMCCC_ID, __KVM_HOST_SMCCC_FUNC, asSigned, type HostHcallOutN } from '../../hyp/hypercalls';
import { PAGE_SIZE } from '../../hyp/pgtable-defs';
import { HypPanic } from '../../hyp/page-state';
import type { PkvmHypVcpu } from '../../hyp/hyp-vm';

type Result = { x0: number; x1: number } | { threw: string };

function bigEntry(h: Host, idx: number, a: number[]): Result {
  const frame = [KVM_HOST_SMCCC_ID(idx), ...a.map(BigInt), 0n, 0n, 0n, 0n, 0n].slice(0, 6);
  try {
    h.hyp.handleHostHcall(frame, h.cpu);
  } catch (e) {
    return { threw: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
  return { x0: asSigned(frame[0]!), x1: asSigned(frame[1]!) };
}
function numberEntry(h: Host, idx: number, a: number[]): Result {
  const out: HostHcallOutN = { x0: 7, x1: 7 };
  try {
    h.hyp.handleHostHcallN(out, idx, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0, h.cpu);
  } catch (e) {
    return { threw: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
  return { x0: out.x0, x1: out.x1 };
}

/** What a hyp holds: all of its memory (page tables, vmemmap-backed state, host structs), the loaded vCPUs, the tables. */
function state(h: Host): unknown {
  const m = h.hyp.mem as unknown as { backing: Uint8Array };
  let hash = 0;
  for (let i = 0; i < m.backing.length; i += 4) hash = (Math.imul(hash, 31) + (m.backing[i]! | (m.backing[i + 1]! << 8) | (m.backing[i + 2]! << 16) | (m.backing[i + 3]! << 24))) | 0;
  return {
    hash,
    loaded: h.hyp.loaded_hyp_vcpu.map((v) => (v ? `${v.vm.handle}/${v.vcpu_idx}` : null)),
    vms: h.hyp.vms().map((vm) => vm.handle),
    finalized: h.hyp.hcr_vm.slice(),
    cntvoff: h.hyp.cntvoff_el2.slice(),
    invariants: h.hyp.checkInvariants(),
  };
}

function twins(opts: { protectedModeInitialized?: boolean } = {}): { a: Host; b: Host; runs: string[][] } {
  const runs: string[][] = [[], []];
  const mk = (k: number): Host => new Host({ ...opts, autoCheck: false, vcpuRun: (v: PkvmHypVcpu) => (runs[k]!.push(`${v.vm.handle}/${v.vcpu_idx}`), 2) });
  return { a: mk(0), b: mk(1), runs };
}

describe('handle_host_hcall_n(): the Number entry of the host hypercall dispatcher', () => {
  it.each([false, true])('gives x0, x1 and the hyp state of the frame entry for every id (pKVM initialised: %s)', (init) => {
    const { a, b, runs } = twins({ protectedModeInitialized: init });
    const vms: [HostVm | null, HostVm | null] = [null, null];
    if (init) {
      vms[0] = a.createVm(true);
      vms[1] = b.createVm(true);
      load(a, vms[0]);
      load(b, vms[1]);
      a.topup(vms[0], 0, 4);
      b.topup(vms[1], 0, 4);
    }
    expect(state(a)).toEqual(state(b));
    const page = (h: Host): number => Number(h.alloc() / PAGE_SIZE);
    const seen = new Map<string, Result>();
    for (let idx = 0; idx < HOST_HCALLS.length; idx++) {
      const name = HOST_HCALLS[idx]!;
      /* arguments each handler can act on: the loaded vCPU's struct, a fresh host page, a gfn */
      const args = (h: Host, vm: HostVm | null): number[] =>
        name === '__kvm_vcpu_run' ? [vm ? Number(vm.vcpus[0]!) : 0x4000_0000]
          : name === '__pkvm_host_donate_guest' || name === '__pkvm_host_share_guest' ? [page(h), 0x40100 + idx, 1, 0xe]
          : name === '__pkvm_vcpu_load' || name === '__pkvm_vcpu_put' || name === '__pkvm_start_teardown_vm' || name === '__pkvm_finalize_teardown_vm' ? [0x1000, 0, 0]
          : [idx, 0x10_0000 + idx, 3, 0];
      const ra = bigEntry(a, idx, args(a, vms[0]));
      const rb = numberEntry(b, idx, args(b, vms[1]));
      expect(rb, name).toEqual(ra);
      seen.set(name, rb);
      expect(state(b), name).toEqual(state(a));
    }
    expect(runs[1]).toEqual(runs[0]);
    /* (the run loop's calls did their work: the vCPU ran, the page was donated) */
    if (init) {
      expect(seen.get('__kvm_vcpu_run')).toEqual({ x0: 0, x1: 2 });
      expect(seen.get('__pkvm_host_donate_guest')).toEqual({ x0: 0, x1: 0 });
      expect(runs[0]!.length).toBe(1);
    } else {
      expect(seen.get('__pkvm_host_donate_guest')).toMatchObject({ x0: -1 }); /* a pKVM-only call before initialisation */
    }
  });

  it('leaves x1 as it was when a call is refused or its handler sets no value', () => {
    const { a, b } = twins({ protectedModeInitialized: true });
    /* an early call once pKVM is initialised: NOT_SUPPORTED, x1 untouched */
    const early = __KVM_HOST_SMCCC_FUNC.__pkvm_init;
    expect(numberEntry(b, early, [0x1234])).toEqual({ x0: -1, x1: 0x1234 });
    expect(bigEntry(a, early, [0x1234])).toEqual({ x0: -1, x1: 0x1234 });
    /* __kvm_flush_vm_context returns nothing */
    const flush = __KVM_HOST_SMCCC_FUNC.__kvm_flush_vm_context;
    expect(numberEntry(b, flush, [0x55])).toEqual({ x0: 0, x1: 0x55 });
    expect(bigEntry(a, flush, [0x55])).toEqual({ x0: 0, x1: 0x55 });
  });

  it('__kvm_vcpu_run by Number: only the loaded vCPU\'s own struct kvm_vcpu runs it', () => {
    const { a, b, runs } = twins();
    const va = a.createVm(true, 2), vb = b.createVm(true, 2);
    const run = __KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run;
    for (const [h, vm, entry] of [[a, va, bigEntry], [b, vb, numberEntry]] as const) {
      expect(entry(h, run, [Number(vm.vcpus[0]!)])).toEqual({ x0: 0, x1: -22 }); /* nothing loaded */
      load(h, vm);
      expect(entry(h, run, [Number(vm.vcpus[1]!)])).toEqual({ x0: 0, x1: -22 }); /* another vCPU's struct */
      expect(entry(h, run, [Number(vm.vcpus[0]!) + 2 ** 52])).toEqual({ x0: 0, x1: -22 });
      expect(entry(h, run, [Number(vm.vcpus[0]!)])).toEqual({ x0: 0, x1: 2 });
    }
    expect(runs[0]).toEqual([`${va.handle}/0`]);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('a handler that panics the hyp panics it by either entry', () => {
    const { a, b } = twins();
    const v5 = __KVM_HOST_SMCCC_FUNC.__vgic_v5_save_apr;
    expect(() => b.hyp.handleHostHcallN({ x0: 0, x1: 0 }, v5, 0, 0, 0, 0)).toThrow(HypPanic);
    expect(() => a.hyp.handleHostHcall([KVM_HOST_SMCCC_ID(v5), 0n, 0n, 0n, 0n, 0n])).toThrow(HypPanic);
  });
});
