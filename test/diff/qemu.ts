// Run an ELF on qemu-system-aarch64 -M virt -cpu max and capture the PL011 output.
// stdout carries only the UART bytes: no monitor (-monitor none), no display, serial on stdio.
// The binary can be overridden with $QEMU_SYSTEM_AARCH64.
import { spawnSync } from 'node:child_process';

export const QEMU_BIN = process.env.QEMU_SYSTEM_AARCH64 || 'qemu-system-aarch64';

let available: boolean | undefined;

/** True when qemu-system-aarch64 can be started (result cached). */
export function qemuAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(QEMU_BIN, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    available = r.status === 0;
  }
  return available;
}

export interface QemuOptions {
  /** Boot at EL2: `-M virt,virtualization=on` (PSCI conduit becomes SMC). */
  el2?: boolean;
  /** Hard wall-clock limit; QEMU is killed with SIGKILL after it. Default 30 s. */
  timeoutMs?: number;
  /** Enable Arm semihosting (`-semihosting-config enable=on,target=native`). */
  semihosting?: boolean;
  /** Extra arguments appended to the command line. */
  extraArgs?: string[];
}

export interface QemuResult {
  /** Bytes written to the UART. */
  stdout: Buffer;
  /** QEMU's exit status; -1 when it was killed (timeout or signal). */
  status: number;
  /** True when the timeout expired. */
  timedOut: boolean;
  /** QEMU's own diagnostics. */
  stderr: string;
  /** Wall-clock milliseconds. */
  ms: number;
}

export function qemuArgs(elfPath: string, opts: QemuOptions = {}): string[] {
  const args = [
    '-M', opts.el2 ? 'virt,virtualization=on' : 'virt',
    '-cpu', 'max',
    '-m', '128M',
    '-nographic',
    '-monitor', 'none',
    '-serial', 'stdio',
    '-kernel', elfPath,
  ];
  if (opts.semihosting) args.push('-semihosting-config', 'enable=on,target=native');
  if (opts.extraArgs) args.push(...opts.extraArgs);
  return args;
}

/** Run `elfPath` under QEMU until it powers off (PSCI SYSTEM_OFF) or the timeout expires. */
export function runQemu(elfPath: string, opts: QemuOptions = {}): QemuResult {
  const timeout = opts.timeoutMs ?? 30_000;
  const t0 = performance.now();
  const r = spawnSync(QEMU_BIN, qemuArgs(elfPath, opts), {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${QEMU_BIN} not found`);
  }
  const timedOut = r.signal !== null && ms >= timeout - 50;
  return {
    stdout: r.stdout ?? Buffer.alloc(0),
    status: r.status ?? -1,
    timedOut,
    stderr: r.stderr ? r.stderr.toString() : '',
    ms,
  };
}
