// TCP transport of the gdb stub. The emulator's run loop is synchronous (the core runs in slices;
// the scenario runner, the hyp and the boot loop call it directly), so the socket lives in a worker
// thread: it listens on 127.0.0.1:PORT, writes every byte a client sends into a ring buffer in
// shared memory and wakes the main thread; the main thread polls the ring between slices (Ctrl-C
// while running) and blocks on it (Atomics.wait) while the target is stopped. Replies go to the
// worker by postMessage. One client at a time; a new one may connect after the last left.
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors';

const RING = 1 << 20;
// Control words (Int32Array over the first 64 bytes of the shared buffer).
const C_WRITE = 0; // bytes written into the ring (total, mod 2^31)
const C_READ = 1; // bytes the main thread consumed
const C_EVENT = 2; // bumped on every event (data, connect, disconnect, status): Atomics.wait on it
const C_STATUS = 3; // 0 starting, 1 listening, 2 failed (message in the text area)
const C_CONNECTED = 4; // 1 while a client is connected
const C_GENERATION = 5; // connections accepted so far
const C_FLUSHED = 6; // the worker wrote everything and closed (after a 'close' message)
const CTL_BYTES = 64;
const TEXT = CTL_BYTES; // 256 bytes: the listen error
const DATA = TEXT + 256;

// The worker's source (evaluated as a CommonJS script: no bundling needed).
const WORKER_SRC = String.raw`
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const { sab, port, host } = workerData;
const ctl = new Int32Array(sab, 0, 16);
const text = new Uint8Array(sab, ${TEXT}, 256);
const ring = new Uint8Array(sab, ${DATA}, ${RING});
let sock = null;
let pending = [];
let timer = null;
function event() { Atomics.add(ctl, ${C_EVENT}, 1); Atomics.notify(ctl, ${C_EVENT}); }
function push() {
  timer = null;
  while (pending.length) {
    const buf = pending[0];
    const w = Atomics.load(ctl, ${C_WRITE}), r = Atomics.load(ctl, ${C_READ});
    const room = ${RING} - ((w - r) | 0);
    if (room <= 0) { timer = setTimeout(push, 1); break; }
    const n = Math.min(room, buf.length);
    for (let i = 0; i < n; i++) ring[(w + i) & ${RING - 1}] = buf[i];
    Atomics.store(ctl, ${C_WRITE}, (w + n) | 0);
    if (n === buf.length) pending.shift(); else pending[0] = buf.subarray(n);
  }
  event();
}
const server = net.createServer((s) => {
  if (sock) { s.end(); return; }
  sock = s;
  s.setNoDelay(true);
  Atomics.add(ctl, ${C_GENERATION}, 1);
  Atomics.store(ctl, ${C_CONNECTED}, 1);
  event();
  s.on('data', (d) => { pending.push(new Uint8Array(d)); if (!timer) push(); });
  const gone = () => {
    if (sock !== s) return;
    sock = null;
    const finish = () => { if (pending.length) { setTimeout(finish, 1); return; } Atomics.store(ctl, ${C_CONNECTED}, 0); event(); };
    finish();
  };
  s.on('end', gone);
  s.on('close', gone);
  s.on('error', gone);
});
server.on('error', (e) => {
  const msg = Buffer.from(e.code === 'EADDRINUSE' ? 'port ' + port + ' is already in use' : e.code === 'EACCES' ? 'no permission to listen on port ' + port : String(e.message));
  text.set(msg.subarray(0, 255));
  Atomics.store(ctl, ${C_STATUS}, 2);
  event();
});
server.listen(port, host, () => { Atomics.store(ctl, ${C_STATUS}, 1); event(); });
parentPort.on('message', (m) => {
  if (m.send) { if (sock) sock.write(Buffer.from(m.send)); return; }
  if (m.drop) { if (sock) sock.destroy(); return; }
  if (m.close) {
    const done = () => { Atomics.store(ctl, ${C_FLUSHED}, 1); event(); parentPort.close(); };
    server.close();
    if (sock) { sock.end(done); setTimeout(done, 500); } else done();
  }
});
`;

export class GdbTransport {
  private readonly sab = new SharedArrayBuffer(DATA + RING);
  private readonly ctl = new Int32Array(this.sab, 0, 16);
  private readonly ring = new Uint8Array(this.sab, DATA, RING);
  private readonly worker: Worker;
  private seenGeneration = 0;

  /** Listens on 127.0.0.1:port; throws a UserError when that is not possible. */
  constructor(readonly port: number) {
    this.worker = new Worker(WORKER_SRC, { eval: true, workerData: { sab: this.sab, port, host: '127.0.0.1' } });
    this.worker.unref();
    this.worker.on('error', () => { /* reported through the shared status */ });
    for (let spins = 0; Atomics.load(this.ctl, C_STATUS) === 0 && spins < 200; spins++) {
      Atomics.wait(this.ctl, C_EVENT, Atomics.load(this.ctl, C_EVENT), 50);
    }
    const st = Atomics.load(this.ctl, C_STATUS);
    if (st !== 1) {
      const t = new Uint8Array(this.sab, TEXT, 256);
      const msg = st === 2 ? Buffer.from(t.subarray(0, t.indexOf(0) < 0 ? 256 : t.indexOf(0))).toString() : 'the listener did not start';
      void this.worker.terminate();
      throw new UserError(`--gdb: cannot listen on 127.0.0.1:${port}: ${msg}`);
    }
  }

  get connected(): boolean { return Atomics.load(this.ctl, C_CONNECTED) === 1; }
  /** Connections accepted so far. */
  get generation(): number { return Atomics.load(this.ctl, C_GENERATION); }
  /** True once per new connection. */
  takeNewConnection(): boolean {
    const g = this.generation;
    if (g === this.seenGeneration) return false;
    this.seenGeneration = g;
    return true;
  }

  /** The bytes received since the last call (possibly none). Never blocks. */
  poll(): Uint8Array {
    const w = Atomics.load(this.ctl, C_WRITE), r = Atomics.load(this.ctl, C_READ);
    const n = (w - r) | 0;
    if (n === 0) return new Uint8Array(0);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(r + i) & (RING - 1)]!;
    Atomics.store(this.ctl, C_READ, w);
    return out;
  }

  /** Blocks until something happens (bytes, a connection or a disconnection) or timeoutMs passes. */
  wait(timeoutMs: number): void {
    const ev = Atomics.load(this.ctl, C_EVENT);
    if (((Atomics.load(this.ctl, C_WRITE) - Atomics.load(this.ctl, C_READ)) | 0) !== 0) return;
    Atomics.wait(this.ctl, C_EVENT, ev, timeoutMs);
  }

  send(bytes: Uint8Array): void { this.worker.postMessage({ send: bytes }); }
  /** Closes the client's connection (the server keeps listening). */
  drop(): void { this.worker.postMessage({ drop: true }); }

  /** Flushes what was sent, closes the client and the listener (waits at most 1 s). */
  close(): void {
    this.worker.postMessage({ close: true });
    for (let i = 0; i < 20 && Atomics.load(this.ctl, C_FLUSHED) === 0; i++) {
      Atomics.wait(this.ctl, C_EVENT, Atomics.load(this.ctl, C_EVENT), 50);
    }
  }
}
