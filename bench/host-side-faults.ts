// The host side of the full round trip alone (not part of `npm run bench`): the host model's run
// loop and fault handling (runVcpu, handleExit, handleMemFault, vgic flush/fold, backing pages,
// memcache top-up) over a stand-in EL2 that answers __kvm_vcpu_run with a stage-2 data abort on the
// next page and __pkvm_host_donate_guest with 0. Neither the hypercall entry nor EL2 is measured:
// the stand-in replaces HostedEl2.hcallN() (the run loop's calls) or, on a tree without it, hcall().
// Prints the main thread's CPU time per fault, best and median of the reps.
//   node --expose-gc --import tsx bench/host-side-faults.ts [faults] [reps]
import { readFileSync } from 'node:fs';
import { L } from '../machine/core';
import { runVcpu } from '../host-kernel-model/vcpu-run';
import { HOST_HCALLS } from '../hyp/hypercalls';
import { roundTripMachine } from './round-trip-machine';

const [faults = 16384, reps = 7] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const MIB = 1 << 20;
const cpuNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
const EXIT_CODE = 0x58, EXIT_HCALL = 0x180, ESR = 0x40, FAR = 0x48, HPFAR = 0x50;
const ESR_DABT = ((0x24 << 26) | (1 << 25) | 0x07) >>> 0; // DABT_LOW, IL, translation fault level 3

const per: number[] = [];
for (let r = 0; r < reps; r++) {
  const { core, el2, kvm, vm } = roundTripMachine(faults, { args: [1n, 1n, 1n] });
  const vcpu = vm.vcpus[0]!;
  const ws = el2.ws;
  let gfn = (0x4000_0000 + 8 * MIB) / 4096; // past the image
  // the stand-in EL2: each run ends in a data abort on the next page, published as sync_hyp_vcpu
  // does (the struct's words written straight into RAM: what its direct view of the struct does)
  const ram = new DataView(core.mem.buffer, L.RAM_HOST + Number(vcpu.hostVcpuPa - core.ramBase), 0x1000);
  const u64 = (off: number, lo: number, hi = 0): void => { ram.setUint32(off, lo, true); ram.setUint32(off + 4, hi, true); };
  const run = (): number => {
    u64(EXIT_CODE, 2); // ARM_EXCEPTION_TRAP
    u64(EXIT_HCALL, 0);
    u64(ESR, ESR_DABT);
    u64(FAR, 0);
    u64(HPFAR, (gfn << 4) >>> 0, gfn >>> 28);
    gfn++;
    ws.guestInsnsN += 100;
    return 2; // ARM_EXCEPTION_TRAP
  };
  const answer = (name: string): number => (name === '__kvm_vcpu_run' ? run() : name === '__pkvm_host_donate_guest' ? 0 : -1);
  const e = el2 as unknown as Record<string, unknown>;
  if (typeof e.hcallN === 'function') {
    e.hcallN = (idx: number): number => { e.hcallX0 = 0; return answer(HOST_HCALLS[idx]!); };
  } else {
    const hcall = el2.hcall.bind(el2);
    e.hcall = (name: string, ...a: (bigint | number)[]) => {
      if (name !== '__kvm_vcpu_run' && name !== '__pkvm_host_donate_guest') return hcall(name as never, ...a);
      const ret = answer(name);
      return { x0: 0n, x1: BigInt.asUintN(64, BigInt(ret)), x2: 0n, x3: 0n, ret };
    };
  }
  gc();
  await new Promise((res) => setTimeout(res, 50));
  const before = vm.faults;
  const c0 = cpuNs();
  const out = runVcpu(kvm, vm, vcpu, faults * 100);
  const ns = cpuNs() - c0;
  const n = vm.faults - before;
  if (out !== 'yield' || n !== faults) throw new Error(`${out}: ${n} faults (${vm.error ?? ''})`);
  per.push(ns / n);
  console.log(`run ${r}: ${n} faults, host side ${(ns / n / 1000).toFixed(3)} µs/fault (cpu)`);
}
per.sort((a, b) => a - b);
console.log(`best ${(per[0]! / 1000).toFixed(3)} µs/fault, median ${(per[per.length >> 1]! / 1000).toFixed(3)} µs/fault`);
