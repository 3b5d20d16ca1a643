// The machine the full round trip's tools run (breakdown-faults.ts, host-side-faults.ts,
// vcpu-run-hyp.ts, hcall-entry.ts): a hosted EL2 and the host model with the fault fast path off,
// RAM committed (zeroed) outside the clock, one toucher VM over `pages` pages (+ 8 MiB), no tracing.
import { readFileSync } from 'node:fs';
import { Core } from '../machine/core';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, type HostVm } from '../host-kernel-model/index';

const toucher = readFileSync(new URL('../guest-images/bin/toucher.elf', import.meta.url));
const MIB = 1 << 20;

export function roundTripMachine(pages: number, opts: { protected?: boolean; args?: bigint[] } = {}): { core: Core; el2: HostedEl2; kvm: HostKvm; vm: HostVm } {
  const core = new Core(pages * 4096 + 80 * MIB, { haveEL2: true, el2Hosted: true });
  core.zeroPhys(0x4000_0000n, core.ramSize);
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 1_000_000 });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2, { faultFastPath: false, memoryCommitted: true });
  kvm.traceFaults = false;
  const vm = kvm.createVm({
    name: 'vm', protected: opts.protected ?? true, memBytes: pages * 4096 + 8 * MIB,
    image: { bytes: toucher, name: 'toucher.elf' }, args: opts.args ?? [BigInt(pages), 1n, 1n],
  });
  return { core, el2, kvm, vm };
}
