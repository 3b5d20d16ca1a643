// fault → donate → run, end to end: protected guests (toucher) touch their memory one word per page
// (then read it back), every first touch a stage-2 fault resolved by a fresh host page donated to
// the guest: pinned, zeroed, __pkvm_host_donate_guest, run again (through the in-core fault fast
// path where it applies, else the full round trip through the host). Guest page faults handled per
// second:
// - one VM over 256 MiB, and the same guest run a second time over the pages it now owns (no
//   fault): the ratio of the two speeds is what a fault costs against the work it enables;
// - four VMs at once (256 MiB in all), against one VM in the same run;
// - the full round trip (fast path off), a non-protected VM (host_share_guest), guests whose every
//   fault needs a new stage-2 table page and a memcache top-up (one page per 2 MiB), the toucher's
//   full pattern (8 words per page and a checksum);
// - a 1 GiB protected guest touching all of it: the time of its fault handling, and the host
//   model's bookkeeping per guest page.
// Every row is several timed runs after warm-up runs, each on a machine built for it (the emulator's
// RAM is committed by the core's init, before the clock starts; the previous machine's memory is
// given back first); best and median are printed, and the median rate per second of the main
// thread's own CPU time beside them (the machine may be shared).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Core } from '../machine/core';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, runAll, type HostVm } from '../host-kernel-model/index';
import { get_vm_by_handle } from '../hyp/pkvm';
import { striderImage } from '../test/host/strider-image';
import type { Row } from './table';

const toucher = readFileSync(new URL('../guest-images/bin/toucher.elf', import.meta.url));

// A full garbage collection before each timed run, so that no run pays for its predecessors' garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Config {
  name: string; vms: number; isProtected: boolean; fastPath: boolean;
  /** toucher: pages and words per page; strider: stores 2 MiB apart */
  pages: number; wordsPerPage?: number; strider?: boolean;
  reps: number;
}
interface Run { faults: number; ms: number; cpuMs: number; guestInsns: bigint; ownedMs: number; ownedCpuMs: number; bookkeepingBytes: number; pages: number }

const MIB = 1 << 20;
/** The memslot of each VM, and the RAM its pages take (the strider's memslot is mostly untouched). */
const guestBytes = (c: Config): number => (c.strider ? c.pages * 2 * MIB : c.pages * 4096) + 8 * MIB;
const ramBytes = (c: Config): number => c.vms * ((c.strider ? c.pages * 8192 : c.pages * 4096) + 8 * MIB) + 64 * MIB;

const settle = (): Promise<void> => new Promise((res) => setTimeout(res, 150));

async function once(cfg: Config, owned: boolean): Promise<Run> {
  const mem = guestBytes(cfg);
  const core = new Core(ramBytes(cfg), { haveEL2: true, el2Hosted: true });
  // The host OS commits fresh guest RAM on its first touch. A new core no longer clears all of its
  // RAM at start (which committed it, uncounted, before every earlier figure), so the rows would
  // now include one host page fault per fresh guest page. Committing it here, outside the clock,
  // keeps the rows measuring fault handling, comparable with earlier figures.
  core.zeroPhys(0x4000_0000n, ramBytes(cfg));
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 1_000_000 });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2, { faultFastPath: cfg.fastPath, memoryCommitted: true });
  kvm.traceFaults = false;
  for (let i = 0; i < cfg.vms; i++) {
    kvm.createVm({
      name: `vm${i}`, protected: cfg.isProtected, memBytes: mem,
      image: cfg.strider ? striderImage() : { bytes: toucher, name: 'toucher.elf' },
      args: cfg.strider ? [BigInt(cfg.pages), 2n << 20n] : [BigInt(cfg.pages), BigInt(i + 1), BigInt(cfg.wordsPerPage ?? 1)],
    });
  }
  // The vCPUs' state at entry, to run the same guests again over the pages they then own.
  const entry = kvm.vms.map((v) => get_vm_by_handle(el2.pkvm, v.handle)!.vcpus.map((c) => c!.ctxt.words.slice()));
  const g0 = el2.ws.guestInsns;
  // No run pays for its predecessors: their garbage collected, and the memory of their machines
  // given back (V8 frees array buffers on a background thread) before the clock starts.
  gc();
  await settle();
  const c0 = threadCpuMs();
  const t0 = performance.now();
  const stop = runAll(kvm, { slice: 1_000_000, maxGuestInsns: 100_000_000_000n });
  const ms = performance.now() - t0;
  const cpuMs = threadCpuMs() - c0;
  check(kvm.vms, stop);
  const faults = kvm.vms.reduce((n, v) => n + v.faults, 0);
  const guestInsns = el2.ws.guestInsns - g0;
  let ownedMs = NaN, ownedCpuMs = NaN;
  if (owned) {
    kvm.vms.forEach((v, i) => {
      get_vm_by_handle(el2.pkvm, v.handle)!.vcpus.forEach((c, j) => c!.ctxt.words.set(entry[i]![j]!));
      v.state = 'running';
    });
    gc();
    await settle();
    const c1 = threadCpuMs();
    const t1 = performance.now();
    const stop2 = runAll(kvm, { slice: 1_000_000, maxGuestInsns: 100_000_000_000n });
    ownedMs = performance.now() - t1;
    ownedCpuMs = threadCpuMs() - c1;
    check(kvm.vms, stop2);
    if (kvm.vms.reduce((n, v) => n + v.faults, 0) !== faults) throw new Error('bench faults: the second run faulted');
  }
  const bookkeepingBytes = kvm.vms.reduce((n, v) => n + v.bookkeepingBytes(), 0);
  return { faults, ms, cpuMs, guestInsns, ownedMs, ownedCpuMs, bookkeepingBytes, pages: kvm.vms.reduce((n, v) => n + v.slot.npages, 0) };
}

/**
 * CPU time of the main thread, ms (/proc/thread-self/schedstat: nanoseconds on a CPU): neither the
 * time spent waiting for a CPU on a busy machine nor V8's background threads (compilers, GC
 * sweepers) count. Where the file is missing, the process's CPU time.
 */
function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  }
}

function check(vms: HostVm[], stop: string): void {
  if (stop !== 'all-stopped' || vms.some((v) => v.state !== 'off')) throw new Error(`bench faults: guests did not finish (${vms.map((v) => v.error ?? v.state).join(', ')})`);
}

const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const k = (v: number): string => `${Math.round(v / 1000)}k`;

const ONE: Config = { name: '1 protected VM × 256 MiB', vms: 1, isProtected: true, fastPath: true, pages: 65536, reps: 7 };
const CONFIGS: Config[] = [
  { name: '4 protected VMs × 64 MiB', vms: 4, isProtected: true, fastPath: true, pages: 16384, reps: 7 },
  // (64 MiB × 5 runs before session 10: ~80 ms runs, the first of them still warming V8 up)
  { name: '1 protected VM × 256 MiB, no fast path (full round trip)', vms: 1, isProtected: true, fastPath: false, pages: 65536, reps: 7 },
  { name: '1 non-protected VM × 256 MiB (host_share_guest)', vms: 1, isProtected: false, fastPath: true, pages: 65536, reps: 7 },
  // 8 GiB memslots (their backed bitmaps from host-kernel-model/backed-arena.ts; 1536 strides before it, 12 ms runs)
  { name: '8 protected VMs, a new table page every fault (2 MiB stride × 4096 each)', vms: 8, isProtected: true, fastPath: true, pages: 4096, strider: true, reps: 7 },
  { name: '1 protected VM × 256 MiB, 8 words/page + checksum', vms: 1, isProtected: true, fastPath: true, pages: 65536, wordsPerPage: 8, reps: 5 },
];
const GIB: Config = { name: '1 protected VM × 1 GiB (all of it touched)', vms: 1, isProtected: true, fastPath: true, pages: 262144 - 2048, reps: 3 };

async function runs(cfg: Config, owned = false): Promise<Run[]> {
  // warm-up (V8 compiles the core's WebAssembly and the TypeScript in tiers, in the background),
  // not counted: three runs of at most 64 MiB, so that the full path's TypeScript (a few hundred
  // faults per run) is optimized too before the clock starts
  const warm = { ...cfg, pages: Math.min(cfg.pages, cfg.strider ? 512 : 16384) };
  for (let i = 0; i < 3; i++) await once(warm, owned);
  const out: Run[] = [];
  for (let i = 0; i < cfg.reps; i++) out.push(await once(cfg, owned));
  return out;
}

function rateRow(cfg: Config, rs: Run[], extra = ''): { row: Row; best: number; med: number } {
  const rates = rs.map((r) => r.faults / (r.ms / 1000));
  const best = Math.max(...rates), med = median(rates);
  const cpuMed = median(rs.map((r) => r.faults / (r.cpuMs / 1000)));
  const b = rs[rates.indexOf(best)]!;
  return {
    best, med,
    row: {
      group: 'faults', name: cfg.name, value: best, unit: 'faults/s',
      note: `best of ${rs.length}; median ${k(med)}/s (per main-thread CPU second ${k(cpuMed)}/s); ${b.faults} faults, ${b.guestInsns} guest insns in ${b.ms.toFixed(0)} ms${extra}`,
    },
  };
}

/**
 * FAULTS_ROWS=a,b,...: only the rows whose names contain one of these (case-insensitive), e.g.
 * `FAULTS_ROWS=round,table npm run bench -- faults`; the one-VM row runs whenever a ratio needs it.
 */
const only = (process.env.FAULTS_ROWS ?? '').toLowerCase().split(',').filter(Boolean);
const wanted = (name: string): boolean => only.length === 0 || only.some((w) => name.toLowerCase().includes(w));

/** Best of several runs after a warm-up run (the machine is shared and noisy); the median beside it. */
export async function benchFaults(): Promise<Row[]> {
  const rows: Row[] = [];
  // One VM, fresh memory and then the same guest over the memory it owns.
  const needOne = wanted(ONE.name) || wanted('4 protected VMs') || wanted('owned');
  const one = needOne ? await runs(ONE, true) : [];
  if (needOne) rows.push(...oneVmRows(one));
  const r1 = needOne ? rateRow(ONE, one) : null;
  for (const cfg of CONFIGS) {
    if (!wanted(cfg.name)) continue;
    const r = rateRow(cfg, await runs(cfg));
    rows.push(r.row);
    if (cfg.vms === 4 && r1) {
      rows.push({ group: 'faults', name: '4 VMs / 1 VM (faults/s)', value: r.med / r1.med, unit: 'x', note: `medians (best: ${(r.best / r1.best).toFixed(2)}); target ≥ 1` });
    }
  }
  if (wanted(GIB.name) || wanted('bookkeeping')) rows.push(...await gibRows());
  return rows;
}

function oneVmRows(one: Run[]): Row[] {
  const rows: Row[] = [];
  const r1 = rateRow(ONE, one);
  rows.push(r1.row);
  const ownedRates = one.map((r) => r.faults / (r.ownedMs / 1000));
  rows.push({
    group: 'faults', name: `${ONE.name}, run again over its own pages`, value: Math.max(...ownedRates), unit: 'pages/s',
    note: `best of ${one.length}; median ${k(median(ownedRates))}/s; no fault: the guest's own work per page`,
  });
  const ratios = one.map((r) => r.ownedMs / r.ms);
  const cpuRatios = one.map((r) => r.ownedCpuMs / r.cpuMs);
  rows.push({
    group: 'faults', name: 'speed over fresh memory / over owned memory', value: median(ratios), unit: 'x',
    note: `median of the per-run ratios (best ${Math.max(...ratios).toFixed(2)}; in main-thread CPU time, median ${median(cpuRatios).toFixed(2)}); target ≥ 0.5`,
  });
  return rows;
}

async function gibRows(): Promise<Row[]> {
  const rows: Row[] = [];
  // 1 GiB: how long its fault handling takes (the whole run: 1 word per page and the read back).
  const g = await runs(GIB);
  const ms = g.map((r) => r.ms);
  const best = g[ms.indexOf(Math.min(...ms))]!;
  rows.push({
    group: 'faults', name: GIB.name, value: Math.min(...ms), unit: 'ms',
    note: `best of ${g.length}; median ${median(ms).toFixed(0)} ms (main-thread CPU time median ${median(g.map((r) => r.cpuMs)).toFixed(0)} ms); ${best.faults} faults (${k(best.faults / (best.ms / 1000))}/s); target < 1000 ms`,
  });
  rows.push({
    group: 'faults', name: 'host model bookkeeping per guest page', value: best.bookkeepingBytes / best.pages, unit: 'bytes',
    note: `memslot pages, pins, given and guest-shared gfns: ${best.bookkeepingBytes} bytes for ${best.pages} pages`,
  });
  return rows;
}
