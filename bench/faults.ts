// fault → donate → run, end to end: a protected guest (toucher) touches 64 MiB, every first touch
// exiting to the host, which pins a page, tops up the memcache, calls __pkvm_host_donate_guest and
// runs the guest again. Guest page faults handled per second, for one VM and for 4 VMs at once.
import { readFileSync } from 'node:fs';
import { Core } from '../machine/core';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, runAll } from '../host-kernel-model/index';
import type { Row } from './table';

const toucher = readFileSync(new URL('../guest-images/bin/toucher.elf', import.meta.url));
const PAGES_64M = 16384;

function once(vms: number, isProtected: boolean): { faults: number; ms: number; guestInsns: bigint } {
  const core = new Core((vms * 72 + 64) << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 1_000_000 });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2);
  kvm.traceFaults = false;
  for (let i = 0; i < vms; i++) {
    kvm.createVm({ name: `vm${i}`, protected: isProtected, memBytes: 72 << 20, image: { bytes: toucher, name: 'toucher.elf' }, args: [BigInt(PAGES_64M), BigInt(i + 1)] });
  }
  const g0 = el2.ws.guestInsns;
  const t0 = performance.now();
  const stop = runAll(kvm, { slice: 1_000_000, maxGuestInsns: 10_000_000_000n });
  const ms = performance.now() - t0;
  if (stop !== 'all-stopped' || kvm.vms.some((v) => v.state !== 'off')) throw new Error(`bench faults: guests did not finish (${kvm.vms.map((v) => v.error ?? v.state).join(', ')})`);
  return { faults: kvm.vms.reduce((n, v) => n + v.faults, 0), ms, guestInsns: el2.ws.guestInsns - g0 };
}

export function benchFaults(reps = 2): Row[] {
  const rows: Row[] = [];
  for (const [vms, prot] of [[1, true], [4, true], [1, false]] as const) {
    let best = once(vms, prot);
    for (let i = 1; i < reps; i++) { const r = once(vms, prot); if (r.ms < best.ms) best = r; }
    rows.push({
      group: 'faults', name: `${vms} ${prot ? 'protected' : 'non-protected'} VM${vms > 1 ? 's' : ''} × 64 MiB`,
      value: best.faults / (best.ms / 1000), unit: 'faults/s',
      note: `${best.faults} faults, ${best.guestInsns} guest insns in ${best.ms.toFixed(0)} ms`,
    });
  }
  return rows;
}
