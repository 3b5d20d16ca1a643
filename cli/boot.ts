// `pkvm-emu boot IMAGE`: boots an ELF (or raw) image on the virt board, UART to stdout.
import { readFileSync, writeSync } from 'node:fs';
import { Machine } from '../machine/machine';
import { StdinConsole, runWithConsole } from '../machine/stdin-console';
import { UserError } from '../machine/errors';
import { parseAddress, parseCount, parseSize } from './size';

export interface BootFlags { el2?: boolean; mem?: string; maxInsns?: string; stats?: boolean; append?: string; raw?: string; semihosting?: boolean }

function readImage(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`}`);
  }
}

export async function boot(image: string, flags: BootFlags): Promise<number> {
  const memBytes = flags.mem ? parseSize(flags.mem) : undefined;
  const limit = flags.maxInsns ? parseCount(flags.maxInsns, '--max-insns') : 1n << 62n;
  const rawAt = flags.raw !== undefined ? parseAddress(flags.raw, '--raw') : undefined;
  const bytes = readImage(image);
  let pending: number[] = [];
  const flush = () => { if (pending.length) { writeSync(1, Buffer.from(pending)); pending = []; } };
  const m = new Machine({
    memBytes, el2: !!flags.el2, append: flags.append, semihosting: flags.semihosting !== false,
    onUart: (b) => { pending.push(b); if (b === 10 || pending.length >= 4096) flush(); },
    onSemihostOutput: (d, stream) => { flush(); writeSync(stream === 'stdout' ? 1 : 2, d); },
  });
  m.load(bytes, image, rawAt);
  const con = new StdinConsole(m, process.stdin, () => { flush(); process.exit(0); });
  con.start(); // the PL011 receives stdin (raw mode on a terminal)
  const r = await runWithConsole(m, limit, con).finally(() => con.stop());
  flush();
  if (flags.stats) {
    const mips = r.wallMs > 0 ? Number(r.insns) / r.wallMs / 1000 : 0;
    process.stderr.write(`instructions: ${r.insns}\nwall time: ${(r.wallMs / 1000).toFixed(3)} s\nMIPS: ${mips.toFixed(1)}\n`);
  }
  switch (r.reason) {
    case 'poweroff': case 'reset': return 0;
    case 'semihosting-exit': return r.exitCode;
    case 'limit': throw new UserError(`instruction limit reached (${limit} instructions) at pc 0x${m.core.pc.toString(16)}`);
    case 'wfi': throw new UserError(`guest waits for an interrupt (WFI) with nothing to wake it, at pc 0x${m.core.pc.toString(16)}`);
    default: throw new UserError(`guest stopped: ${r.reason}`);
  }
}
