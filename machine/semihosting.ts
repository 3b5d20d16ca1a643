/**
 * Arm semihosting (Arm "Semihosting for AArch32 and AArch64", v2.0) for AArch64 callers
 * (HLT #0xF000: operation in w0, parameter in x1, result in x0), with the behaviour of QEMU 7.2's
 * `-semihosting` (semihosting/arm-compat-semi.c), checked against qemu-system-aarch64 -M virt:
 *
 *  - SYS_WRITEC / SYS_WRITE0 go to the semihosting console, which QEMU (no chardev configured)
 *    writes to its stderr; x0 becomes 0xdeadbeef whether or not the guest pointer was readable.
 *  - No handles are open at start: a guest opens ":tt" (modes 0-3 stdin, 4-7 stdout, 8-11 stderr)
 *    or ":semihosting-features"; handles are the lowest free number from 1. SYS_WRITE/SYS_READ
 *    return the number of bytes NOT transferred (the whole length on any error).
 *  - SYS_EXIT and SYS_EXIT_EXTENDED both take a {reason, subcode} block on AArch64: reason
 *    ADP_Stopped_ApplicationExit (0x20026) exits with the subcode, any other reason exits with 1.
 *    The process status is that value modulo 256. An unreadable block returns -1 (EFAULT) instead.
 *  - Failed calls return -1 and set the value SYS_ERRNO reports (Linux errno numbers).
 *  - Host files are not reachable from the guest (open of any other name fails with ENOENT; remove,
 *    rename, tmpnam and system fail with ENOSYS); operations QEMU does not know (it aborts) return
 *    -1 and are reported in `unsupported`.
 *  - Times come from the caller's clocks (SemihostingOptions) so runs stay deterministic.
 * A bad guest pointer never throws: the call fails as QEMU fails it.
 */

export const SYS_OPEN = 0x01;
export const SYS_CLOSE = 0x02;
export const SYS_WRITEC = 0x03;
export const SYS_WRITE0 = 0x04;
export const SYS_WRITE = 0x05;
export const SYS_READ = 0x06;
export const SYS_READC = 0x07;
export const SYS_ISERROR = 0x08;
export const SYS_ISTTY = 0x09;
export const SYS_SEEK = 0x0a;
export const SYS_FLEN = 0x0c;
export const SYS_TMPNAM = 0x0d;
export const SYS_REMOVE = 0x0e;
export const SYS_RENAME = 0x0f;
export const SYS_CLOCK = 0x10;
export const SYS_TIME = 0x11;
export const SYS_SYSTEM = 0x12;
export const SYS_ERRNO = 0x13;
export const SYS_GET_CMDLINE = 0x15;
export const SYS_HEAPINFO = 0x16;
export const SYS_EXIT = 0x18;
export const SYS_SYNCCACHE = 0x19;
export const SYS_EXIT_EXTENDED = 0x20;
export const SYS_ELAPSED = 0x30;
export const SYS_TICKFREQ = 0x31;

/** SYS_EXIT reason for a normal application exit. */
export const ADP_Stopped_ApplicationExit = 0x20026n;
/** The HLT immediate that marks a semihosting call on AArch64. */
export const SEMIHOSTING_HLT_IMM = 0xf000;

export const ENOENT = 2;
export const E2BIG = 7;
export const EBADF = 9;
export const EACCES = 13;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOTTY = 25;
export const ESPIPE = 29;
export const ENOSYS = 38;

/** x0 after calls without a defined result (QEMU's choice). */
export const SEMIHOSTING_DEAD = 0xdeadbeefn;
const MINUS_ONE = (1n << 64n) - 1n;
const U64 = (1n << 64n) - 1n;
const STR_MAX = 1 << 24;
const PAGE = 4096;

/** The guest's view of memory at the caller's translation regime. */
export interface SemihostingMemory {
  /** Read len bytes at va; throw or return fewer bytes if any of them is not readable. */
  read(va: bigint, len: number): Uint8Array;
  /** Write bytes at va; throw or return false on a fault. Without it, calls that write fail (EFAULT). */
  write?(va: bigint, data: Uint8Array): boolean | void;
}

export interface SemihostingOptions {
  /** SYS_CLOCK: centiseconds since execution started. Default 0. */
  clock?: () => bigint;
  /** SYS_TIME: seconds since 1970-01-01. Default 0. */
  time?: () => bigint;
  /** SYS_ELAPSED: ticks since execution started, at tickFreq. Default 0. */
  elapsed?: () => bigint;
  /** SYS_TICKFREQ. Default 1e9 (QEMU counts nanoseconds). */
  tickFreq?: bigint;
  /** SYS_GET_CMDLINE. Default "". */
  cmdline?: string;
  /** SYS_HEAPINFO: heap base, heap limit, stack base, stack limit. Default all 0. */
  heapInfo?: [bigint, bigint, bigint, bigint];
}

type Handle = { kind: 'stdin' | 'stdout' | 'stderr' } | { kind: 'features'; off: number };

/** ":semihosting-features": magic "SHFB", feature byte 0 = EXIT_EXTENDED | STDOUT_STDERR. */
const FEATURES = new Uint8Array([0x53, 0x48, 0x46, 0x42, 0x03]);

/** Per-machine semihosting state: the handle table and the value SYS_ERRNO returns. */
export class SemihostingState {
  errno = 0;
  readonly handles: (Handle | undefined)[] = [undefined];
  constructor(readonly options: SemihostingOptions = {}) {}

  alloc(h: Handle): number {
    let i = 1;
    while (i < this.handles.length && this.handles[i]) i++;
    this.handles[i] = h;
    return i;
  }
}

export interface SemihostingResult {
  /** New x0 as an unsigned 64-bit value (-1 is 0xffff_ffff_ffff_ffff). */
  ret: bigint;
  /** Bytes the guest wrote to the console or a ":tt" handle. */
  output?: Uint8Array;
  /** Where QEMU sends `output`. */
  stream?: 'stdout' | 'stderr';
  /** The guest asked to exit; this is the process exit status (0..255). */
  exitCode?: number;
  /** Set when QEMU does not implement `op` (it aborts): a one-line description. */
  unsupported?: string;
}

/**
 * Perform semihosting operation `op` (w0) with parameter `param` (x1). Pass the same `state` on
 * every call of a machine; without one, each call sees a fresh state (no open handles, errno 0).
 */
export function handleSemihosting(
  op: number,
  param: bigint,
  mem: SemihostingMemory,
  state: SemihostingState = new SemihostingState(),
): SemihostingResult {
  const nr = op >>> 0;
  const args = BigInt.asUintN(64, param);
  const opts = state.options;
  const fail = (errno: number): SemihostingResult => {
    state.errno = errno;
    return { ret: MINUS_ONE };
  };
  const ok = (v: bigint | number): SemihostingResult => ({ ret: BigInt.asUintN(64, BigInt(v)) });
  /** Read `n` 64-bit argument words from the parameter block, or undefined on a fault. */
  const getArgs = (n: number): bigint[] | undefined => {
    const b = readBytes(mem, args, n * 8);
    if (!b) return undefined;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
  };
  const handleOf = (a: bigint): [number, Handle | undefined] => {
    const fd = Number(BigInt.asIntN(32, a)); // QEMU passes the handle as a C int
    return [fd, fd > 0 ? state.handles[fd] : undefined];
  };

  switch (nr) {
    case SYS_OPEN: {
      const a = getArgs(3);
      if (!a) return fail(EFAULT);
      const name = readCString(mem, a[0]);
      if (name === undefined) return fail(EFAULT);
      const mode = a[1];
      if (mode >= 12n) return fail(EINVAL);
      const s = new TextDecoder().decode(name);
      if (s === ':tt') {
        const kind = mode < 4n ? 'stdin' : mode < 8n ? 'stdout' : 'stderr';
        return ok(state.alloc({ kind }));
      }
      if (s === ':semihosting-features') {
        if (mode !== 0n && mode !== 1n) return fail(EACCES);
        return ok(state.alloc({ kind: 'features', off: 0 }));
      }
      return fail(ENOENT);
    }
    case SYS_CLOSE: {
      const a = getArgs(1);
      if (!a) return fail(EFAULT);
      const [fd, h] = handleOf(a[0]);
      if (!h) return fail(EBADF);
      state.handles[fd] = undefined;
      return ok(0);
    }
    case SYS_WRITEC: {
      const b = readBytes(mem, args, 1);
      return b ? { ret: SEMIHOSTING_DEAD, output: b, stream: 'stderr' } : { ret: SEMIHOSTING_DEAD };
    }
    case SYS_WRITE0: {
      const s = readCString(mem, args);
      return s && s.length > 0 ? { ret: SEMIHOSTING_DEAD, output: s, stream: 'stderr' } : { ret: SEMIHOSTING_DEAD };
    }
    case SYS_WRITE: {
      const a = getArgs(3);
      if (!a) return fail(EFAULT);
      const [, h] = handleOf(a[0]);
      const len = a[2];
      if (!h || (h.kind !== 'stdout' && h.kind !== 'stderr')) return ok(len);
      if (len === 0n) return ok(0);
      const data = len <= BigInt(STR_MAX) ? readBytes(mem, a[1], Number(len)) : undefined;
      if (!data) return ok(len);
      return { ret: 0n, output: data, stream: h.kind };
    }
    case SYS_READ: {
      const a = getArgs(3);
      if (!a) return fail(EFAULT);
      const [, h] = handleOf(a[0]);
      const len = a[2];
      if (!h || h.kind !== 'features') return ok(len); // no host stdin is connected: 0 bytes read
      const n = Number(len < BigInt(FEATURES.length - h.off) ? len : BigInt(FEATURES.length - h.off));
      if (n > 0 && !writeBytes(mem, a[1], FEATURES.subarray(h.off, h.off + n))) return ok(len);
      h.off += n;
      return ok(len - BigInt(n));
    }
    case SYS_READC:
      return ok(MINUS_ONE); // no host stdin is connected
    case SYS_ISERROR: {
      const a = getArgs(1);
      if (!a) return fail(EFAULT);
      return ok(BigInt.asIntN(64, a[0]) < 0n ? 1 : 0);
    }
    case SYS_ISTTY: {
      const a = getArgs(1);
      if (!a) return fail(EFAULT);
      if (!handleOf(a[0])[1]) return fail(EBADF);
      // QEMU asks the host; its output is a pipe or file when runs are compared, hence "not a tty".
      state.errno = ENOTTY;
      return ok(0);
    }
    case SYS_SEEK: {
      const a = getArgs(2);
      if (!a) return fail(EFAULT);
      const [, h] = handleOf(a[0]);
      if (!h) return fail(EBADF);
      if (h.kind !== 'features') return fail(ESPIPE);
      const off = BigInt.asIntN(64, a[1]);
      if (off < 0n || off > BigInt(FEATURES.length)) return fail(EINVAL);
      h.off = Number(off);
      return ok(0);
    }
    case SYS_FLEN: {
      const a = getArgs(1);
      if (!a) return fail(EFAULT);
      const [, h] = handleOf(a[0]);
      if (!h) return fail(EBADF);
      return ok(h.kind === 'features' ? FEATURES.length : 0);
    }
    case SYS_TMPNAM:
    case SYS_REMOVE:
    case SYS_RENAME:
    case SYS_SYSTEM:
      return fail(ENOSYS); // would touch the host
    case SYS_CLOCK:
      return ok(BigInt.asUintN(64, opts.clock?.() ?? 0n));
    case SYS_TIME:
      return ok(BigInt.asUintN(64, opts.time?.() ?? 0n));
    case SYS_ERRNO:
      return ok(state.errno);
    case SYS_GET_CMDLINE: {
      const a = getArgs(2);
      if (!a) return fail(EFAULT);
      const text = new TextEncoder().encode((opts.cmdline ?? '') + '\0');
      if (BigInt(text.length) > a[1]) return fail(E2BIG);
      if (!writeBytes(mem, BigInt.asUintN(64, args + 8n), u64le(BigInt(text.length - 1)))) return fail(EFAULT);
      if (!writeBytes(mem, a[0], text)) return fail(EFAULT);
      return ok(0);
    }
    case SYS_HEAPINFO: {
      const a = getArgs(1);
      if (!a) return fail(EFAULT);
      const info = opts.heapInfo ?? [0n, 0n, 0n, 0n];
      const block = new Uint8Array(32);
      info.forEach((v, i) => block.set(u64le(v), i * 8));
      if (!writeBytes(mem, a[0], block)) return fail(EFAULT);
      return ok(0);
    }
    case SYS_EXIT:
    case SYS_EXIT_EXTENDED: {
      const a = getArgs(2);
      if (!a) return fail(EFAULT);
      const status = a[0] === ADP_Stopped_ApplicationExit ? Number(a[1] & 0xffn) : 1;
      return { ret: 0n, exitCode: status };
    }
    case SYS_SYNCCACHE:
      return ok(0); // no caches to maintain
    case SYS_ELAPSED:
      if (!writeBytes(mem, args, u64le(opts.elapsed?.() ?? 0n))) return fail(EFAULT);
      return ok(0);
    case SYS_TICKFREQ:
      return ok(opts.tickFreq ?? 1_000_000_000n);
    default:
      return { ret: MINUS_ONE, unsupported: `Unsupported SemiHosting SWI 0x${nr.toString(16).padStart(2, '0')}` };
  }
}

function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** Read len bytes, or undefined if the guest memory faults (a thrown error or a short read). */
function readBytes(mem: SemihostingMemory, va: bigint, len: number): Uint8Array | undefined {
  if (va + BigInt(len) > U64 + 1n) return undefined;
  try {
    const b = mem.read(va, len);
    return b && b.length >= len ? b.subarray(0, len) : undefined;
  } catch {
    return undefined;
  }
}

function writeBytes(mem: SemihostingMemory, va: bigint, data: Uint8Array): boolean {
  if (!mem.write || va + BigInt(data.length) > U64 + 1n) return false;
  try {
    return mem.write(va, data) !== false;
  } catch {
    return false;
  }
}

/** The bytes of the NUL-terminated string at va (without the NUL), read a page at a time. */
function readCString(mem: SemihostingMemory, va: bigint): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let total = 0;
  let p = va;
  while (total < STR_MAX) {
    // A page at a time; if that faults, byte by byte, so that a string just before a fault boundary
    // that is not page-aligned still reads.
    const chunk = readBytes(mem, p, PAGE - Number(p % BigInt(PAGE))) ?? readBytes(mem, p, 1);
    if (!chunk) return undefined;
    const nul = chunk.indexOf(0);
    parts.push(nul >= 0 ? chunk.subarray(0, nul) : chunk);
    total += nul >= 0 ? nul : chunk.length;
    if (nul >= 0) break;
    p += BigInt(chunk.length);
  }
  if (total >= STR_MAX) return undefined;
  const out = new Uint8Array(total);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}
