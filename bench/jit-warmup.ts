// The compiled tier's warm-up on the faults benchmark's guests (not part of `npm run bench`): runs
// the toucher as bench/faults.ts does (VMS VMs over PAGES pages each, fault fast path on) and prints,
// per run, the main thread's CPU time and the compiled tier's figures: instructions retired compiled
// and interpreted, blocks and modules compiled, compile time. What issue 16's "4 VMs / 1 VM" row
// loses to the warm-up (each VM's code is at its own physical address, so each counts and compiles
// its own blocks).
//   node --expose-gc --import tsx bench/jit-warmup.ts [pages=16384] [vms=4] [reps=6]
// Environment: PKVM_EMU_JIT_* as for any run (thresholds), PKVM_EMU_JIT=0 (tier 0 alone);
// AB=n: every other run with loopHot n (A/B in one process, the runs alternating), medians of each;
// TRACE=1: each compile (the queue, and with PEEK=e,... those JIT_MAP entries).
import { readFileSync } from 'node:fs';
import { Core } from '../machine/core';
import { J } from '../machine/core-constants';
import { HostedEl2 } from '../hyp/hosted-el2';
import { HostKvm, runAll } from '../host-kernel-model/index';

const toucher = readFileSync(new URL('../guest-images/bin/toucher.elf', import.meta.url));
const [pages = 16384, vms = 4, reps = 6] = process.argv.slice(2).map(Number);
const MIB = 1 << 20;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const schedMs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
const cpus: number[] = [];
const cpusB: number[] = [];
const AB = process.env.AB !== undefined ? Number(process.env.AB) : undefined;

for (let r = 0; r < reps; r++) {
  const ram = vms * (pages * 4096 + 8 * MIB) + 64 * MIB;
  const b = AB !== undefined && r % 2 === 1;
  const core = new Core(ram, { haveEL2: true, el2Hosted: true, ...(b ? { jit: { loopHot: AB } } : {}) });
  core.zeroPhys(0x4000_0000n, ram);
  core.reset(2, 0n);
  if (process.env.TRACE && core.jit) {
    const j = core.jit as unknown as { compileQueued(): void };
    const orig = j.compileQueued.bind(j);
    const dv = (): DataView => new DataView(core.x.memory.buffer);
    j.compileQueued = () => {
      const n = dv().getUint32(J.JIT_QUEUE, true);
      const q: string[] = [];
      for (let i = 0; i < n; i++) q.push(`${(dv().getUint32(J.JIT_QUEUE + 8 + i * 8, true)).toString(16)}+${dv().getUint32(J.JIT_QUEUE + 12 + i * 8, true)}`);
      const b = core.jit!.stats.blocksCompiled;
      if (process.env.PEEK) for (const e of process.env.PEEK.split(',').map(Number)) q.push(`map[${e.toString(16)}]=${dv().getUint32(J.JIT_MAP + e * 8, true)}`);
      orig();
      console.log(`  compile at insn ${core.x.getInsns()}: queue [${q.join(' ')}] -> ${core.jit!.stats.blocksCompiled - b} blocks`);
    };
  }
  const el2 = new HostedEl2(core, { slice: 1_000_000 });
  el2.trace.enabled = false;
  const kvm = new HostKvm(el2, { faultFastPath: true, memoryCommitted: true });
  kvm.traceFaults = false;
  for (let v = 0; v < vms; v++) {
    kvm.createVm({ name: `vm${v}`, protected: true, memBytes: pages * 4096 + 8 * MIB, image: { bytes: toucher, name: 'toucher.elf' }, args: [BigInt(pages), BigInt(v + 1), 1n] });
  }
  gc();
  await new Promise((res) => setTimeout(res, 100));
  const g0 = el2.ws.guestInsns;
  const c0 = schedMs();
  const stop = runAll(kvm, { slice: 1_000_000, maxGuestInsns: 100_000_000_000n });
  const cpu = schedMs() - c0;
  if (stop !== 'all-stopped') throw new Error(stop);
  const insns = el2.ws.guestInsns - g0;
  const s = core.jitStats();
  const faults = kvm.vms.reduce((n, v) => n + v.faults, 0);
  (b ? cpusB : cpus).push(cpu);
  const jit = s
    ? `compiled ${s.insnsCompiled} (${(Number(s.insnsCompiled) * 100 / Number(insns)).toFixed(1)}%), interpreted ${insns - s.insnsCompiled}; ` +
      `${s.blocksCompiled} blocks in ${s.modules} modules (${s.modulesCached} cached, ${s.blocksShared} shared), compile ${s.compileMs.toFixed(1)} ms, ${s.blocksEntered} entries, ${s.steps} jitExec`
    : 'jit off';
  console.log(`run ${r}${b ? ' (B)' : ''}: cpu ${cpu.toFixed(1)} ms, ${faults} faults, ${insns} insns; ${jit}`);
}
const stat = (v: number[]): string => {
  const s = v.slice(1).sort((x, y) => x - y);
  return `median cpu (runs 1..): ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, min ${s[0]!.toFixed(1)} ms`;
};
console.log(stat(cpus) + (AB !== undefined ? ` | B (loopHot ${AB}): ${stat(cpusB)}` : ''));
