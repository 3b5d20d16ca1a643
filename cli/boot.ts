// `pkvm-emu boot IMAGE`: boots an ELF (or raw) image on the virt board, UART to stdout.
import { jitStatsLines } from '../machine/jit/jit';
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { Machine } from '../machine/machine';
import { StdinConsole, runWithConsole } from '../machine/stdin-console';
import { UserError } from '../machine/errors';
import { parseAddress, parseCount, parseSize } from './size';
import { parseGdbPort, startGdb } from './gdb/attach';
import { machineTarget } from '../machine/gdb/target';
import { BootObserver } from './trace/boot-observer';
import { KernelPanicWatch } from '../machine/kernel-panic';
import { formatStats, startStats } from './stats';

export interface BootFlags { el2?: boolean; mem?: string; smp?: string; dumpDtb?: string; maxInsns?: string; stats?: boolean; append?: string; raw?: string; semihosting?: boolean; gdb?: string; trace?: string; timeout?: string; cpu?: string; initrd?: string; jit?: boolean }

function readImage(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`}`);
  }
}

function parseSmp(v: string | undefined): number {
  if (v === undefined) return 1;
  if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 8) throw new UserError(`--smp ${v}: give a number of CPUs from 1 to 8`);
  return Number(v);
}

export async function boot(image: string, flags: BootFlags): Promise<number> {
  const memBytes = flags.mem ? parseSize(flags.mem) : undefined;
  const limit = flags.maxInsns ? parseCount(flags.maxInsns, '--max-insns') : 1n << 62n;
  const rawAt = flags.raw !== undefined ? parseAddress(flags.raw, '--raw') : undefined;
  const gdbPort = flags.gdb !== undefined ? parseGdbPort(flags.gdb) : undefined;
  const obs = new BootObserver({ trace: flags.trace, timeout: flags.timeout }, image); // --trace, --timeout, progress
  const smp = parseSmp(flags.smp);
  const bytes = readImage(image);
  const initrd = flags.initrd !== undefined ? { data: readImage(flags.initrd), name: flags.initrd } : undefined;
  let pending: number[] = [];
  const flush = () => { if (pending.length) { writeSync(1, Buffer.from(pending)); pending = []; } };
  if (flags.cpu !== undefined && flags.cpu !== 'max' && flags.cpu !== 'int') throw new UserError(`--cpu: expected max or int, got '${flags.cpu}'`);
  const panic = new KernelPanicWatch();
  const m: Machine = new Machine({
    cpu: flags.cpu as 'max' | 'int' | undefined,
    memBytes, smp, el2: !!flags.el2, append: flags.append, semihosting: flags.semihosting !== false, jit: flags.jit === false ? false : undefined,
    onUart: (b) => {
      pending.push(b);
      if (b === 10 || pending.length >= 4096) flush();
      if (panic.feed(b)) m.stopRequest = 'panic';
    },
    onSemihostOutput: (d, stream) => { flush(); writeSync(stream === 'stdout' ? 1 : 2, d); },
  });
  m.load(bytes, image, rawAt, initrd);
  if (flags.dumpDtb !== undefined) {
    try {
      writeFileSync(flags.dumpDtb, m.dtb);
    } catch (e) {
      throw new UserError(`${flags.dumpDtb}: cannot write (${(e as NodeJS.ErrnoException).code})`);
    }
    return 0;
  }
  obs.attach(m);
  if (flags.stats) startStats(m.core);
  const gdb = gdbPort !== undefined ? startGdb(gdbPort, machineTarget(m.core)) : null;
  const t0 = performance.now();
  const con = new StdinConsole(m, process.stdin, () => { // Ctrl-A x
    flush();
    if (flags.stats) process.stderr.write(formatStats(m, { insns: m.core.insns, wallMs: performance.now() - t0 }));
    process.exit(0);
  });
  con.start(); // the PL011 receives stdin (raw mode on a terminal)
  const r = await runWithConsole(m, obs.limit(limit), con).finally(() => con.stop());
  flush();
  gdb?.finish(r.reason === 'semihosting-exit' ? r.exitCode : r.reason === 'poweroff' || r.reason === 'reset' ? 0 : 1);
  obs.finish(m, r, image);
  if (flags.stats) {
    process.stderr.write(formatStats(m, r)); // cli/stats.ts
    for (const l of jitStatsLines(m.core.jitStats(), r.insns, r.wallMs)) process.stderr.write(`${l}\n`);
  }
  const stop = obs.stopError(m, r, limit);
  if (stop) throw stop;
  switch (r.reason) {
    case 'poweroff': case 'reset': return 0;
    case 'semihosting-exit': return r.exitCode;
    case 'panic': throw new UserError(`kernel panic: ${panic.panic}`);
    case 'limit': throw new UserError(`instruction limit reached (${limit} instructions) at pc 0x${m.core.pc.toString(16)}`);
    case 'wfi': throw new UserError(m.core.numCpus === 1
      ? `guest waits for an interrupt (WFI) with nothing to wake it, at pc 0x${m.core.pc.toString(16)}`
      : `every CPU is off or waits for an interrupt (WFI) with nothing to wake it (CPU ${m.core.cpu} at pc 0x${m.core.pc.toString(16)})`);
    default: throw new UserError(`guest stopped: ${r.reason}`);
  }
}
