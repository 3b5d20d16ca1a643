// Test helpers: the CLI started with --gdb on a free port, and a minimal remote-protocol client
// speaking raw packets to it (acks, checksums) for the protocol-level tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { afterEach } from 'vitest';
import { cliPath } from '../cli/run-cli';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Emu { proc: ChildProcess; out: () => string; err: () => string; done: Promise<number | null> }

/** Starts `pkvm-emu ARGS... --gdb PORT` and resolves once it waits for a debugger. */
export async function startEmu(args: string[], port: number): Promise<Emu> {
  const proc = spawn(process.execPath, [cliPath, ...args, '--gdb', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout!.on('data', (d) => { out += d.toString('latin1'); });
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d.toString('latin1');
      if (err.includes('waiting for a debugger')) resolve();
    });
    proc.on('exit', () => reject(new Error(`pkvm-emu exited early: ${err}`)));
  });
  return { proc, out: () => out, err: () => err, done };
}

/** The emulator and the client of the running test; registered by `stubSession()`, which closes the
 * client and kills the emulator after each test. */
export interface StubSession {
  emu: Emu | null;
  client: RspClient | null;
  /** Starts `pkvm-emu ARGS... --gdb PORT` on a free port and connects a client to it. */
  start(args: string[]): Promise<RspClient>;
}

export function stubSession(): StubSession {
  const s: StubSession = {
    emu: null,
    client: null,
    async start(args) {
      const port = await freePort();
      s.emu = await startEmu(args, port);
      return (s.client = await RspClient.connect(port));
    },
  };
  afterEach(() => {
    s.client?.close();
    s.client = null;
    if (s.emu && s.emu.proc.exitCode === null) s.emu.proc.kill('SIGKILL');
    s.emu = null;
  });
  return s;
}

const sum = (s: string) => [...Buffer.from(s, 'latin1')].reduce((a, b) => (a + b) & 0xff, 0);

export class RspClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly sock: Socket) {
    sock.on('data', (d) => { this.buf += d.toString('latin1'); this.wake(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => { this.closed = true; this.wake(); });
  }
  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  static async connect(port: number): Promise<RspClient> {
    for (let i = 0; ; i++) {
      try {
        const s = await new Promise<Socket>((resolve, reject) => {
          const c = new Socket();
          c.once('error', reject);
          c.connect(port, '127.0.0.1', () => resolve(c));
        });
        return new RspClient(s);
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  raw(s: string | Uint8Array): void { this.sock.write(typeof s === 'string' ? Buffer.from(s, 'latin1') : s); }

  send(payload: string): void {
    this.raw(`$${payload}#${sum(payload).toString(16).padStart(2, '0')}`);
  }

  /** The next packet's payload (acks skipped; the packet is acked). Rejects after timeoutMs. */
  async recv(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.buf = this.buf.replace(/^[+-]+/, '');
      const m = /^\$([^#]*)#([0-9a-f]{2})/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        if (sum(m[1]!) !== parseInt(m[2]!, 16)) throw new Error(`bad checksum from the stub: ${m[0]}`);
        this.raw('+');
        return m[1]!;
      }
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms (buffer: ${JSON.stringify(this.buf)})`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, left); });
    }
  }

  async cmd(payload: string): Promise<string> { this.send(payload); return this.recv(); }

  /** qRcmd: the console output ('O' packets, hex) up to the final OK. */
  async monitor(line: string): Promise<string> {
    this.send('qRcmd,' + Buffer.from(line).toString('hex'));
    let out = '';
    for (;;) {
      const p = await this.recv();
      if (p.startsWith('O') && p !== 'OK') out += Buffer.from(p.slice(1), 'hex').toString('latin1');
      else { if (p !== 'OK') throw new Error(`monitor ${line}: ${p}`); return out; }
    }
  }

  close(): void { this.sock.destroy(); }
}

/** Little-endian hex of a register value → bigint. */
export function le(hex: string): bigint {
  return BigInt('0x' + (hex.match(/../g) ?? []).reverse().join(''));
}
