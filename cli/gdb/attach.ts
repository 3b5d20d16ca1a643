// `--gdb PORT`: listen on 127.0.0.1:PORT and attach the gdb stub to a core before its first
// instruction (the run waits for the debugger, as qemu -s -S).
import { UserError } from '../../machine/errors';
import { GdbTransport } from '../../machine/gdb/transport';
import { GdbStub } from '../../machine/gdb/stub';
import type { DebugTarget } from '../../machine/gdb/target';

export function parseGdbPort(s: string): number {
  if (!/^[0-9]+$/.test(s) || Number(s) < 1 || Number(s) > 65535) {
    throw new UserError(`--gdb: '${s}' is not a TCP port (1 to 65535)`);
  }
  return Number(s);
}

export function startGdb(port: number, target: DebugTarget): GdbStub {
  const transport = new GdbTransport(port);
  const stub = new GdbStub(transport, target);
  stub.attach();
  process.stderr.write(`pkvm-emu: gdb: waiting for a debugger on 127.0.0.1:${port} (gdb-multiarch -ex 'target remote :${port}')\n`);
  return stub;
}
