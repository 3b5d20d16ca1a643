// Profiling driver for the faults benchmark (not part of `npm run bench`): runs one configuration
// several times and prints each run's wall time, main-thread CPU time and time inside the core
// over fresh memory and, with OWNED=1, again over the pages the guest then owns. Environment:
//   PROF=N       V8's sampling profiler over the timed runs from the N-th on (self time by function;
//                INCL=f,g,… adds the inclusive time of those functions; TOP=n rows); the core's
//                functions have names when build/core.wasm has a name section
//                (`npx asc core-as/index.ts --target release --debug -o build/core.wasm`)
//   PERF_CTL=F   writes enable/disable to the FIFO F around the timed runs from the third on, for
//                `perf record -D -1 --control fifo:F,ACK` (run node with --perf-basic-prof)
//   VMS=n        n VMs at once; COUNTS=1 the host hypercalls made; AFTER=1 time in the after-run hook
//   node --expose-gc --import tsx bench/prof-faults.ts [pages] [reps] [protected 1|0] [fast 1|0] [strider 1|0]
import { openSync, readFileSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Core } from '../machine/core';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, runAll } from '../host-kernel-model/index';
import { get_vm_by_handle } from '../hyp/pkvm';
import { striderImage } from '../test/host/strider-image';

const toucher = readFileSync(new URL('../guest-images/bin/toucher.elf', import.meta.url));
const [pages = 65536, reps = 5, prot = 1, fast = 1, strider = 0] = process.argv.slice(2).map(Number);
const PROF = process.env.PROF ? Number(process.env.PROF) : -1;
// PERF_CTL=FIFO: `perf record --control fifo:FIFO -D -1` is enabled around the timed runs from the third on
const perfCtl = process.env.PERF_CTL ? openSync(process.env.PERF_CTL, 'w') : -1;
const perf = (r: number, c: string): void => { if (perfCtl >= 0 && r >= 2) writeSync(perfCtl, `${c}\n`); };
const schedNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
const OWNED = process.env.OWNED === '1';
const MIB = 1 << 20;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const session = new Session();
session.connect();
const post = (m: string, p?: object): Promise<any> => new Promise((res, rej) => session.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: Number(process.env.INTERVAL ?? 100) });
const self = new Map<string, number>();
const INCL = (process.env.INCL ?? '').split(',').filter(Boolean);
// INCL=ALL: the inclusive time of every function (the TOP rows by it)
const INCL_ALL = INCL.includes('ALL');
const incl = new Map<string, number>();
const lineTicks = new Map<string, number>();
let total = 0;

function addProfile(prof: { nodes: { id: number; callFrame: { functionName: string; url: string }; hitCount?: number }[]; samples: number[]; timeDeltas: number[] }): void {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes as { id: number; children?: number[] }[]) for (const c of n.children ?? []) parent.set(c, n.id);
  if (process.env.WHO) for (const n of prof.nodes) if (n.callFrame.functionName === process.env.WHO) {
    const chain: string[] = [];
    for (let q = parent.get(n.id); q !== undefined; q = parent.get(q)) chain.push(byId.get(q)!.callFrame.functionName);
    console.log(process.env.WHO, '<-', chain.slice(0, 6).join(' <- '));
  }
  // LINES=f: the samples of function f by source line (V8's positionTicks)
  if (process.env.LINES) for (const n of prof.nodes as { callFrame: { functionName: string; url: string }; positionTicks?: { line: number; ticks: number }[] }[]) {
    if (n.callFrame.functionName !== process.env.LINES) continue;
    for (const t of n.positionTicks ?? []) lineTicks.set(`${n.callFrame.url.replace(/^.*\/faults\//, '')}:${t.line}`, (lineTicks.get(`${n.callFrame.url.replace(/^.*\/faults\//, '')}:${t.line}`) ?? 0) + t.ticks);
  }
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]!)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/faults\//, '')}`;
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
    // inclusive time of the functions named in INCL (each counted once per sample)
    if (INCL.length) {
      const seen = new Set<string>();
      for (let q: number | undefined = n.id; q !== undefined; q = parent.get(q)) {
        const name = byId.get(q)!.callFrame.functionName;
        if ((INCL_ALL || INCL.includes(name)) && !seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) ?? 0) + dt); }
      }
    }
  }
}

async function timed(r: number, f: () => string): Promise<{ ms: number; cpu: number }> {
  gc();
  await new Promise((res) => setTimeout(res, 100)); // (let the previous machine's memory be freed)
  if (PROF >= 0 && r >= PROF) await post('Profiler.start');
  const c0 = schedNs();
  perf(r, 'enable');
  const t0 = performance.now();
  const stop = f();
  const ms = performance.now() - t0;
  perf(r, 'disable');
  const cpu = (schedNs() - c0) / 1e6;
  if (PROF >= 0 && r >= PROF) addProfile((await post('Profiler.stop')).profile);
  if (stop !== 'all-stopped') throw new Error(stop);
  return { ms, cpu };
}

for (let r = 0; r < reps; r++) {
  const mem = strider ? pages * 2 * MIB + 8 * MIB : pages * 4096 + 8 * MIB;
  const core = new Core(Number(process.env.VMS ?? 1) * ((strider ? pages * 8192 : pages * 4096) + 8 * MIB) + 72 * MIB, { haveEL2: true, el2Hosted: true });
  // (the host OS commits fresh guest RAM outside the clock, as bench/faults.ts does)
  if (!process.env.NOCOMMIT) core.zeroPhys(0x4000_0000n, core.ramSize);
  core.reset(2, 0n);
  let coreMs = 0, coreRuns = 0;
  const origRun = core.run.bind(core);
  core.run = (b: number) => { const t = performance.now(); const x = origRun(b); coreMs += performance.now() - t; coreRuns++; return x; };
  const el2 = new HostedEl2(core, { slice: 1_000_000 });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2, { faultFastPath: !!fast, memoryCommitted: !process.env.NOCOMMIT });
  kvm.traceFaults = false;
  const counts = new Map<string, number>();
  // (only with COUNTS: a wrapper on hcall() sends the run loop's hypercalls the long way, HostedEl2.hcallN())
  const orig = kvm.el2.hcall.bind(kvm.el2);
  if (process.env.COUNTS) (kvm.el2 as unknown as { hcall: unknown }).hcall = (n: Parameters<typeof orig>[0], ...a: (bigint | number)[]) => { counts.set(n, (counts.get(n) ?? 0) + 1); return orig(n, ...a); };
  let afterMs = 0;
  const hooks = el2.ws.guestRunHooks;
  if (hooks && process.env.AFTER) el2.ws.guestRunHooks = { before: hooks.before, after: (v) => { const t = performance.now(); hooks.after(v); afterMs += performance.now() - t; } };
  const nvms = Number(process.env.VMS ?? 1);
  for (let v = 0; v < nvms; v++) kvm.createVm({ name: `vm${v}`, protected: !!prot, memBytes: mem, image: strider ? striderImage() : { bytes: toucher, name: 'toucher.elf' },
    args: strider ? [BigInt(pages), 2n << 20n] : [BigInt(pages), BigInt(v + 1), 1n] });
  const vm = kvm.vms[0]!;
  const entry = get_vm_by_handle(el2.pkvm, vm.handle)!.vcpus.map((c) => c!.ctxt.words.slice());
  const run = (): string => runAll(kvm, { slice: 1_000_000, maxGuestInsns: 100_000_000_000n });
  coreMs = 0; coreRuns = 0;
  const rss0 = process.memoryUsage().rss;
  const a = await timed(r, run);
  if (process.env.RSS) console.log("rss +", ((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0), "MiB");
  const aCore = coreMs, aRuns = coreRuns;
  const faults = kvm.vms.reduce((n, v) => n + v.faults, 0);
  let line = `fresh ${a.ms.toFixed(1)} ms (cpu ${a.cpu.toFixed(0)}) ${(faults / a.ms).toFixed(0)}k/s core ${aCore.toFixed(1)} ms in ${aRuns} runs`;
  if (OWNED) {
    get_vm_by_handle(el2.pkvm, vm.handle)!.vcpus.forEach((c, j) => c!.ctxt.words.set(entry[j]!));
    vm.state = 'running';
    coreMs = 0; coreRuns = 0;
    const b = await timed(r, run);
    line += ` | owned ${b.ms.toFixed(1)} ms (cpu ${b.cpu.toFixed(0)}) ratio ${(b.ms / a.ms).toFixed(2)} core ${coreMs.toFixed(1)} ms in ${coreRuns}`;
  }
  console.log(`${faults} faults: ${line}${process.env.AFTER ? ` after-hooks ${afterMs.toFixed(1)} ms` : ''}`);
  if (process.env.COUNTS) console.log([...counts].map(([n, c]) => `${n}:${c}`).join(' '));
}
if (PROF >= 0) {
  const rows = [...self].sort((x, y) => y[1] - x[1]).slice(0, Number(process.env.TOP ?? 40));
  for (const [k, v] of rows) console.log(`${(100 * v / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(1).padStart(8)} ms  ${k}`);
  for (const [k, v] of [...lineTicks].sort((x, y) => y[1] - x[1]).slice(0, 30)) console.log(`line ${k}: ${v} ticks`);
  const inclKeys = INCL_ALL ? [...incl].sort((x, y) => y[1] - x[1]).slice(0, Number(process.env.TOP ?? 40)).map((e) => e[0]) : INCL;
  for (const k of inclKeys) console.log(`incl ${(100 * (incl.get(k) ?? 0) / total).toFixed(1).padStart(5)}%  ${((incl.get(k) ?? 0) / 1000).toFixed(1).padStart(8)} ms  ${k}`);
}
