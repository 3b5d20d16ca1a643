import { readFileSync } from 'node:fs';
import { Core } from '../machine/core';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, runAll } from '../host-kernel-model/index';
const toucher = readFileSync('guest-images/bin/toucher.elf');
const MIB = 1 << 20; const pages = 1024;
const core = new Core(pages * 4096 + 80 * MIB, { haveEL2: true, el2Hosted: true });
core.zeroPhys(0x4000_0000n, core.ramSize); core.reset(2, 0n);
const el2 = new HostedEl2(core, { slice: 1_000_000 }); el2.trace.enabled = false;
const kvm = new HostKvm(el2, { faultFastPath: false, memoryCommitted: true }); kvm.traceFaults = false;
const vm = kvm.createVm({ name: 'vm', protected: true, memBytes: pages * 4096 + 8 * MIB, image: { bytes: toucher, name: 't' }, args: [BigInt(pages), 1n, 1n] });


kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 3n << 13n);
const N = 2_000_000;
const k = kvm as unknown as { tryHcallN?: (i: number, n: number) => number };
const f = k.tryHcallN ? () => k.tryHcallN!(45, 0) : () => kvm.tryHcall('__pkvm_vcpu_in_poison_fault');
if (f() !== -22) throw new Error('in_poison_fault ' + f()); // (no fault yet: -EINVAL from the handler)
const cpu = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
const res: number[] = [];
for (let r = 0; r < 7; r++) { const t = cpu(); for (let i = 0; i < N; i++) f(); res.push((cpu() - t) / N); }
res.sort((a, b) => a - b);
console.log(`hypercall entry (__pkvm_vcpu_in_poison_fault, a vCPU loaded): best ${res[0]!.toFixed(1)} ns, median ${res[3]!.toFixed(1)} ns`);
