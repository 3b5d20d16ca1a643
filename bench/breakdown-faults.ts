// Per-fault time breakdown of the full round trip (fault fast path off), for bench/README.md: each
// layer is timed with performance.now() around it (instance methods wrapped; the wrappers cost
// ~0.1 µs per timed call, counted in the layer that makes the call). Not part of `npm run bench`.
//   node --expose-gc --import tsx bench/breakdown-faults.ts [pages] [reps] [protected 1|0]
import { runAll } from '../host-kernel-model/index';
import { HOST_HCALLS } from '../hyp/hypercalls';
import { roundTripMachine } from './round-trip-machine';

const [pages = 16384, reps = 5, prot = 1] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

type Acc = Map<string, number>;
function wrap<T extends object>(acc: Acc, obj: T, key: keyof T & string, label: string): void {
  const f = (obj[key] as unknown as (...a: unknown[]) => unknown).bind(obj);
  (obj as Record<string, unknown>)[key] = (...a: unknown[]): unknown => {
    const t = performance.now();
    try { return f(...a); } finally { acc.set(label, (acc.get(label) ?? 0) + performance.now() - t); }
  };
}

const rows: Acc[] = [];
let faults = 0;
for (let r = 0; r < reps; r++) {
  const { core, el2, kvm, vm } = roundTripMachine(pages, { protected: !!prot });
  const acc: Acc = new Map();
  // the host's hypercalls by name: those of the run loop by index (HostedEl2.hcallN(); a wrapper on
  // hcall() would send them the long way), else all of them through hcall()
  const timedHcall = (name: string, t: number): void => { acc.set(`hcall ${name}`, (acc.get(`hcall ${name}`) ?? 0) + performance.now() - t); };
  const el2n = el2 as unknown as { hcallN?: (idx: number, ...a: number[]) => number };
  if (el2n.hcallN) {
    const hcallN = el2n.hcallN.bind(el2);
    el2n.hcallN = (idx: number, ...a: number[]) => {
      const t = performance.now();
      try { return hcallN(idx, ...a); } finally { timedHcall(HOST_HCALLS[idx]!, t); }
    };
  } else {
    const hcall = el2.hcall.bind(el2);
    (el2 as { hcall: unknown }).hcall = (name: string, ...a: (bigint | number)[]) => {
      const t = performance.now();
      try { return hcall(name as never, ...a); } finally { timedHcall(name, t); }
    };
  }
  wrap(acc, el2 as unknown as { vcpuRun: () => number }, 'vcpuRun', 'EL2 __kvm_vcpu_run: flush + world switch + sync');
  wrap(acc, el2.ws, 'run', 'world switch (incl. the core)');
  wrap(acc, core, 'run', 'core.run (guest, exception entry, exit)');
  wrap(acc, el2.ws.opts as unknown as { handleGuestTrap: () => string }, 'handleGuestTrap', 'EL2 guest trap handler');
  // (the run loop's Number form when there is one)
  wrap(acc, kvm, 'backingPageN' in kvm ? 'backingPageN' as 'backingPage' : 'backingPage', 'host backingPage (alloc + pin)');
  wrap(acc, kvm, 'topupMemcache', 'host topupMemcache');
  wrap(acc, kvm, 'precommit', 'host precommit');
  for (const v of vm.vcpus) { wrap(acc, v.vgic, 'flush', 'host vgic flush'); wrap(acc, v.vgic, 'fold', 'host vgic fold'); }
  gc();
  await new Promise((res) => setTimeout(res, 100));
  const t0 = performance.now();
  const stop = runAll(kvm, { slice: 1_000_000, maxGuestInsns: 100_000_000_000n });
  acc.set('total', performance.now() - t0);
  if (stop !== 'all-stopped') throw new Error(stop);
  faults = vm.faults;
  rows.push(acc);
  console.log(`run ${r}: ${faults} faults, ${(acc.get('total')! * 1000 / faults).toFixed(2)} µs/fault`);
}
// the run with the lowest total (the machine may be shared)
const best = rows.reduce((a, b) => (a.get('total')! <= b.get('total')! ? a : b));
for (const [k, v] of [...best].sort((a, b) => b[1] - a[1])) console.log(`${(v * 1000 / faults).toFixed(2).padStart(7)} µs/fault  ${k}`);
