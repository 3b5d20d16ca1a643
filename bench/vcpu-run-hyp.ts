// The hyp side of __kvm_vcpu_run alone, in its steady state (not part of `npm run bench`): the toucher
// guest is booted and run until it touches pages; then the same vCPU is run N times without the host
// donating the page it faults on, so every run is one flush_hyp_vcpu, world switch (the guest
// re-executes its faulting store: one stage-2 data abort to EL2), EL2's guest-trap handler and
// sync_hyp_vcpu. Prints main-thread CPU time per run, for the host's hypercall and for the hyp's
// vcpuRun (flush + world switch + sync) called directly, best of `reps` rounds.
//   node --expose-gc --import tsx bench/vcpu-run-hyp.ts [runs] [reps] [protected 1|0]
import { readFileSync } from 'node:fs';
import { runVcpu } from '../host-kernel-model/index';
import { roundTripMachine } from './round-trip-machine';

const [runs = 100_000, reps = 7, prot = 1] = process.argv.slice(2).map(Number);
const schedNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const pages = 4096;
const { el2, kvm, vm } = roundTripMachine(pages, { protected: !!prot });
const vcpu = vm.vcpus[0]!;
runVcpu(kvm, vm, vcpu, 20_000); // boot, then some faults handled the normal way
const faults0 = vm.faults;
kvm.hcall('__pkvm_vcpu_load', vm.handle, vcpu.idx, (1n << 13n) | (1n << 14n));
const hyp = el2 as unknown as { vcpuRun(v: unknown): number; pkvm: { loaded_vcpu(c: number): unknown } };
const hypVcpu = hyp.pkvm.loaded_vcpu(0);
const insns0 = el2.ws.guestInsnsN;
const time = (f: () => void): number => {
  gc();
  const t0 = schedNs();
  f();
  return (schedNs() - t0) / runs;
};
let bestH = Infinity, bestV = Infinity;
for (let r = 0; r < reps; r++) {
  const h = time(() => { for (let i = 0; i < runs; i++) if (kvm.tryHcall('__kvm_vcpu_run', vcpu.hostVcpuPa) !== 2 && i === 0) throw new Error('not a trap exit'); });
  const v = time(() => { for (let i = 0; i < runs; i++) hyp.vcpuRun(hypVcpu); });
  bestH = Math.min(bestH, h); bestV = Math.min(bestV, v);
  console.log(`round ${r}: hcall __kvm_vcpu_run ${(h / 1000).toFixed(3)} µs cpu/run, vcpuRun ${(v / 1000).toFixed(3)} µs cpu/run`);
}
kvm.hcall('__pkvm_vcpu_put');
if (vm.faults !== faults0) throw new Error('the host handled a fault during the timed runs');
console.log(`guest instructions per run: ${((el2.ws.guestInsnsN - insns0) / (2 * reps * runs)).toFixed(1)}`);
console.log(`best: hcall ${(bestH / 1000).toFixed(3)} µs, vcpuRun ${(bestV / 1000).toFixed(3)} µs`);
