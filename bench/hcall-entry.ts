// The host hypercall entry alone (not part of `npm run bench`): CPU time per call of a hypercall
// whose handler does almost nothing, through the host model's entry (HostKvm.tryHcallN() by Number
// where the tree has it, else tryHcall() by name) and the dispatcher, a protected vCPU loaded:
// __pkvm_vcpu_in_poison_fault (no fault yet: -EINVAL), or with RUN=1 __kvm_vcpu_run with EL2's run
// body replaced by `return ARM_EXCEPTION_TRAP` (the entry, the handler's checks and its hyp
// tracing calls).
//   node --import tsx bench/hcall-entry.ts
import { readFileSync } from 'node:fs';
import { __KVM_HOST_SMCCC_FUNC } from '../hyp/hypercalls';
import { roundTripMachine } from './round-trip-machine';

const { el2, kvm, vm } = roundTripMachine(0, { args: [1n, 1n, 1n] });
const vcpu = vm.vcpus[0]!;
kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 3n << 13n);
const RUN = !!process.env.RUN;
if (RUN) el2.pkvm.vcpu_run = () => 2; // ARM_EXCEPTION_TRAP
const k = kvm as unknown as { tryHcallN?: (i: number, n: number, a1?: number) => number };
const f = RUN
  ? (k.tryHcallN ? () => k.tryHcallN!(__KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run, 1, Number(vcpu.hostVcpuPa)) : () => kvm.tryHcall('__kvm_vcpu_run', vcpu.hostVcpuPa))
  : (k.tryHcallN ? () => k.tryHcallN!(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_in_poison_fault, 0) : () => kvm.tryHcall('__pkvm_vcpu_in_poison_fault'));
const want = RUN ? 2 : -22; // (no fault yet: -EINVAL from __pkvm_vcpu_in_poison_fault)
if (f() !== want) throw new Error(`unexpected ${f()}`);
const N = 2_000_000;
const cpu = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
const res: number[] = [];
for (let r = 0; r < 7; r++) { const t = cpu(); for (let i = 0; i < N; i++) f(); res.push((cpu() - t) / N); }
res.sort((a, b) => a - b);
console.log(`hypercall entry (${RUN ? '__kvm_vcpu_run, EL2 body stubbed' : '__pkvm_vcpu_in_poison_fault'}): best ${res[0]!.toFixed(1)} ns, median ${res[3]!.toFixed(1)} ns`);
