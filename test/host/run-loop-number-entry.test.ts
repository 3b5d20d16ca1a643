// The host run loop's hypercalls by Number (HostKvm.tryHcallN -> HostedEl2.hcallN -> the dispatcher's
// Number entry) against the same run with every hypercall sent through HostedEl2.hcall()'s frame of
// BigInts (what a wrapper on hcall() does): the same hypercalls in the same order with the same
// arguments, the same traces, the same guest outcomes and the same memory, fault fast path off.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';
import { faultIpaN } from '../../host-kernel-model/vcpu-run';
import { faultIpa } from '../../hyp/host-trap';
import { HOST_HCALLS, KVM_HOST_SMCCC_ID, __KVM_HOST_SMCCC_FUNC, asSigned } from '../../hyp/hypercalls';

const img = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });

function run(viaFrame: boolean, abi: 'upstream' | 'android') {
  const core = new Core(96 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 50_000, guestHvcAbi: abi });
  const kvm = new HostKvm(el2, { faultFastPath: false });
  // every hypercall the hyp is given, as (function id, x1..x4), whichever entry it came through
  const calls: string[] = [];
  const pk = el2.pkvm;
  const big = pk.handleHostHcall.bind(pk), num = pk.handleHostHcallN.bind(pk);
  pk.handleHostHcall = (frame, cpu) => { calls.push(`${frame[0]!.toString(16)}(${frame.slice(1, 5).join(',')})`); big(frame, cpu); calls.push(`= ${asSigned(frame[0]!)},${asSigned(frame[1]!)}`); };
  pk.handleHostHcallN = (out, idx, a1, a2, a3, a4, cpu) => {
    calls.push(`${KVM_HOST_SMCCC_ID(idx).toString(16)}(${[a1, a2, a3, a4].join(',')})`);
    num(out, idx, a1, a2, a3, a4, cpu);
    calls.push(`= ${out.x0},${out.x1}`);
  };
  let numberCalls = 0;
  if (viaFrame) {
    const hcall = el2.hcall.bind(el2);
    el2.hcall = (name, ...args) => hcall(name, ...args); // someone watching: hcallN goes through hcall()
  } else {
    const hcallN = el2.hcallN.bind(el2);
    el2.hcallN = (...a) => (numberCalls++, hcallN(...a));
  }
  kvm.createVm({ name: 'p', protected: true, memBytes: 8 << 20, image: img('toucher'), args: [300n, 5n] });
  kvm.createVm({ name: 'ph', protected: true, memBytes: 4 << 20, image: img('pguest-hello'), args: [1n] });
  kvm.createVm({ name: 'np', protected: false, memBytes: 8 << 20, image: img('hello') });
  kvm.createVm({ name: 'npt', protected: false, memBytes: 8 << 20, image: img('toucher'), args: [200n, 3n] });
  expect(runAll(kvm, { slice: 50_000, maxGuestInsns: 300_000_000n })).toBe('all-stopped');
  let hash = 0;
  const words = new Int32Array(core.mem.buffer, core.mem.byteOffset, core.mem.byteLength >> 2);
  for (let i = 0; i < words.length; i++) hash = (Math.imul(hash, 31) + words[i]!) | 0;
  return {
    calls, numberCalls, hash,
    trace: el2.trace.events.map((e) => `${e.t} ${e.kind} ${e.text}`),
    vms: kvm.vms.map((v) => ({ state: v.state, error: v.error, faults: v.faults, mmio: v.mmioExits, console: v.consoleText(), given: [...v.given], pages: [...v.slot.pages] })),
    free: kvm.alloc.freePages,
    invariants: el2.pkvm.checkInvariants(),
  };
}

describe('the host run loop\'s Number hypercalls', () => {
  it.each(['upstream', 'android'] as const)('make the same calls, traces, guest outcomes and memory as the frame of BigInts (%s guest ABI)', (abi) => {
    const n = run(false, abi), f = run(true, abi);
    expect(n.numberCalls).toBeGreaterThan(500); // (the faults and the runs went the Number way)
    expect(f.calls.length).toBe(n.calls.length);
    expect(f.calls).toEqual(n.calls);
    expect(n.trace.some((t) => t.includes('hcall __pkvm_host_donate_guest('))).toBe(true);
    expect(n.trace.some((t) => t.includes('hcall __pkvm_host_share_guest('))).toBe(true);
    expect(f.trace).toEqual(n.trace);
    expect(f.vms).toEqual(n.vms);
    expect(n.vms.map((v) => v.state)).toEqual(['off', 'off', 'off', 'off']);
    expect(f.free).toBe(n.free);
    expect(f.hash).toBe(n.hash);
    expect(n.invariants).toEqual([]);
  });

  it('hcallN() answers as hcall() does, traces the same line, and lets watchers of hcall()/hcallFrame() see the call', () => {
    const core = new Core(96 << 20, { haveEL2: true, el2Hosted: true });
    core.reset(2, 0n);
    const el2 = new HostedEl2(core);
    const kvm = new HostKvm(el2, { faultFastPath: false });
    const vm = kvm.createVm({ name: 'p', protected: true, memBytes: 4 << 20, image: img('toucher'), args: [4n, 1n] });
    const idx = (n: keyof typeof __KVM_HOST_SMCCC_FUNC): number => __KVM_HOST_SMCCC_FUNC[n];
    kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
    const lines = (): string[] => el2.trace.events.filter((e) => e.kind === 'hcall').map((e) => e.text);
    const cases: [keyof typeof __KVM_HOST_SMCCC_FUNC, number[]][] = [
      ['__pkvm_vcpu_in_poison_fault', []], // no fault yet: -EINVAL
      ['__pkvm_host_donate_guest', [0x4_8000, 0x4_0300]], // not the host's page to give: an errno
      ['__pkvm_host_share_guest', [0x4_8000, 0x4_0300, 1, 7]], // a protected vCPU loaded: -EINVAL
      ['__pkvm_prot_finalize', []], // the second time on this CPU: -EPERM
      ['__kvm_adjust_pc', [5]], // returns nothing: x1 as it was
    ];
    for (const [name, args] of cases) {
      el2.trace.events.length = 0;
      const r = el2.hcall(name, ...args);
      const byName = lines();
      el2.trace.events.length = 0;
      expect(el2.hcallN(idx(name), args.length, ...args)).toBe(r.ret);
      expect(el2.hcallX0).toBe(asSigned(r.x0));
      expect(lines()).toEqual(byName);
    }
    // a value hcall() converts (a negative: its two's complement) goes through hcall()
    expect(el2.hcallN(idx('__kvm_adjust_pc'), 1, -2)).toBe(-2);
    expect(() => el2.hcallN(HOST_HCALLS.length, 0)).toThrow(RangeError);
    // a watcher on hcall() or hcallFrame() sees hcallN()'s calls
    const seen: string[] = [];
    const hcallFrame = el2.hcallFrame.bind(el2);
    el2.hcallFrame = (frame, cpu) => { seen.push(frame[0]!.toString(16)); hcallFrame(frame, cpu); };
    expect(kvm.tryHcallN(idx('__pkvm_vcpu_in_poison_fault'), 0)).toBe(-22);
    expect(seen).toEqual([KVM_HOST_SMCCC_ID(idx('__pkvm_vcpu_in_poison_fault')).toString(16)]);
  });

  it('reads the fault IPA as faultIpa() does, as a Number while it is below 2^53', () => {
    for (const [hpfar, far] of [[0x40_0000n << 4n, 0x123n], [(0x4_1234n << 4n) | 0xfn, 0xffff_ffff_ffff_fabcn], [0xfff_ffff_ffffn << 4n, 0xfffn], [0n, 0n], [(0x1_ffff_ffff_ffffn) << 4n, 0x800n], [(0x1fff_ffff_ffffn << 4n) | 0xfn, 0xfffn]]) {
      const n = faultIpaN(Number(hpfar & 0xffff_ffffn), Number(hpfar >> 32n), Number(far & 0xffff_ffffn));
      const b = faultIpa(hpfar, far);
      if (b <= BigInt(Number.MAX_SAFE_INTEGER)) expect(n).toBe(Number(b));
      else expect(n).toBe(-1);
    }
  });
});
