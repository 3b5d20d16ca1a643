// The PL011's receive side from the host's stdin, for `pkvm-emu boot`. On a terminal the console is
// interactive: raw mode (each key goes to the guest as typed, no local echo; Ctrl-A x quits, as on
// QEMU's -serial stdio), restored on exit. Otherwise stdin's bytes are delivered in order. The
// machine runs in chunks between which input events are taken; when the guest waits for an
// interrupt with nothing else to wake it (Machine.run returns 'wfi'), the run waits for input.
import type { Machine, RunResult } from './machine';

export class StdinConsole {
  private ended = false;
  private waiters: Array<(got: boolean) => void> = [];
  private restoreTty: (() => void) | undefined;
  private ctrlA = false;
  private readonly onData = (b: Buffer) => this.data(b);
  private readonly onEnd = () => { this.ended = true; this.wake(false); };

  constructor(private readonly m: Machine, private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly onQuit: () => void = () => process.exit(0)) {}

  /** True once stdin is closed: no more input will come. */
  get closed(): boolean { return this.ended; }

  start(): void {
    const inp = this.input;
    if (inp.isTTY && typeof inp.setRawMode === 'function') {
      inp.setRawMode(true);
      const restore = () => { try { inp.setRawMode(false); } catch { /* already closed */ } };
      this.restoreTty = restore;
      process.once('exit', restore);
    }
    inp.on('data', this.onData);
    inp.on('end', this.onEnd);
    inp.on('error', this.onEnd);
    inp.resume();
  }

  stop(): void {
    this.restoreTty?.();
    this.restoreTty = undefined;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onEnd);
    this.input.pause();
    this.input.unref?.();
  }

  private data(b: Buffer): void {
    const bytes: number[] = [];
    for (const c of b) {
      if (this.restoreTty) { // interactive: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A
        if (this.ctrlA) {
          this.ctrlA = false;
          if (c === 0x78) { this.stop(); this.onQuit(); return; }
          if (c !== 0x01) continue;
        } else if (c === 0x01) { this.ctrlA = true; continue; }
      }
      bytes.push(c);
    }
    if (bytes.length) this.m.uart.pushRx(bytes);
    this.wake(true);
  }

  private wake(got: boolean): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(got);
  }

  /** Resolves true when input arrived, false when stdin ended. */
  waitForInput(): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise((res) => this.waiters.push(res));
  }
}

const CHUNK = 4_000_000n;

/**
 * Runs `m` like Machine.run(limit), in chunks that let stdin events in; a 'wfi' stop (no CPU can
 * wake) waits for input instead of ending the run while stdin is open.
 */
export async function runWithConsole(m: Machine, limit: bigint, con: StdinConsole): Promise<RunResult> {
  let insns = 0n;
  let wallMs = 0;
  for (;;) {
    const left = limit - insns;
    const r = m.run(left < CHUNK ? left : CHUNK);
    insns += r.insns;
    wallMs += r.wallMs;
    if (r.reason === 'limit' && insns < limit) {
      await new Promise((res) => setImmediate(res));
      continue;
    }
    if (r.reason === 'wfi' && !con.closed) {
      if (m.uart.inputPending || await con.waitForInput()) continue;
    }
    return { ...r, insns, wallMs };
  }
}
