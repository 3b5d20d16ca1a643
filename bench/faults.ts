// fault → donate → run, end to end: a protected guest (toucher) touches 64 MiB, one word per page
// (then reads them back), every first touch a stage-2 fault resolved by a fresh host page donated to
// the guest: pinned, zeroed, __pkvm_host_donate_guest, run again (through the fault fast path where
// it applies, else the full round trip through the host). Guest page faults handled per second, for
// one VM and for 4 VMs at once; then without the fast path, a non-protected VM (shares, always the
// full path), and the toucher's full pattern (8 words per page and a checksum).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Core } from '../machine/core';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, runAll } from '../host-kernel-model/index';
import type { Row } from './table';

const toucher = readFileSync(new URL('../guest-images/bin/toucher.elf', import.meta.url));
const PAGES_64M = 16384;

// A full garbage collection before each timed run, so that no run pays for its predecessors' garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Config { vms: number; isProtected: boolean; fastPath: boolean; wordsPerPage: number; name: string }

function once({ vms, isProtected, fastPath, wordsPerPage }: Config): { faults: number; ms: number; guestInsns: bigint } {
  const core = new Core((vms * 72 + 64) << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 1_000_000 });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2, { faultFastPath: fastPath });
  kvm.traceFaults = false;
  for (let i = 0; i < vms; i++) {
    kvm.createVm({ name: `vm${i}`, protected: isProtected, memBytes: 72 << 20, image: { bytes: toucher, name: 'toucher.elf' }, args: [BigInt(PAGES_64M), BigInt(i + 1), BigInt(wordsPerPage)] });
  }
  const g0 = el2.ws.guestInsns;
  gc();
  const t0 = performance.now();
  const stop = runAll(kvm, { slice: 1_000_000, maxGuestInsns: 10_000_000_000n });
  const ms = performance.now() - t0;
  if (stop !== 'all-stopped' || kvm.vms.some((v) => v.state !== 'off')) throw new Error(`bench faults: guests did not finish (${kvm.vms.map((v) => v.error ?? v.state).join(', ')})`);
  return { faults: kvm.vms.reduce((n, v) => n + v.faults, 0), ms, guestInsns: el2.ws.guestInsns - g0 };
}

const CONFIGS: Config[] = [
  { vms: 1, isProtected: true, fastPath: true, wordsPerPage: 1, name: '1 protected VM × 64 MiB' },
  { vms: 4, isProtected: true, fastPath: true, wordsPerPage: 1, name: '4 protected VMs × 64 MiB' },
  { vms: 1, isProtected: true, fastPath: false, wordsPerPage: 1, name: '1 protected VM × 64 MiB, no fast path' },
  { vms: 1, isProtected: false, fastPath: true, wordsPerPage: 1, name: '1 non-protected VM × 64 MiB (shares)' },
  { vms: 1, isProtected: true, fastPath: true, wordsPerPage: 8, name: '1 protected VM × 64 MiB, 8 words/page + checksum' },
];

/** Best of `reps` runs after a warm-up run (the machine is shared and noisy), with the median in the note. */
export function benchFaults(reps = 5): Row[] {
  const rows: Row[] = [];
  for (const cfg of CONFIGS) {
    once(cfg); // warm-up (JIT), not counted
    const runs = Array.from({ length: reps }, () => once(cfg)).sort((a, b) => a.ms - b.ms);
    const best = runs[0]!, median = runs[Math.floor(runs.length / 2)]!;
    rows.push({
      group: 'faults', name: cfg.name, value: best.faults / (best.ms / 1000), unit: 'faults/s',
      note: `${best.faults} faults, ${best.guestInsns} guest insns in ${best.ms.toFixed(0)} ms (best of ${reps}; median ${Math.round(median.faults / (median.ms / 1000))}/s)`,
    });
  }
  return rows;
}
