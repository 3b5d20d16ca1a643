// The gdb remote stub: the protocol (packets → replies) and execution control. It attaches to a
// Core by taking over Core.run (core.debugHook): every caller of the core (the board's run loop,
// the hosted pKVM's world switch, the Linux boot) then runs through the stub, which
//   - waits for a debugger before the first instruction (as qemu -s -S),
//   - runs the requested budget in chunks, watching the socket for Ctrl-C between them,
//   - stops at a breakpoint or watchpoint (the core's EXIT_DEBUG, core-as/debug/) or after one
//     instruction when stepping, and serves the debugger while stopped (blocking on the socket),
//   - hands every other exit (device access, hyp, firmware, WFI …) back to the caller unchanged.
// A step whose instruction exits (an HVC to the hosted EL2, a firmware call) reports its stop at the
// next run of the core. Resuming from a stop executes the first instruction with the breakpoints and
// watchpoints suspended (so a continue from a breakpoint does not hit it again).
//
// A client that goes away (detach, or a dropped connection) leaves the guest running with every
// breakpoint and watchpoint removed; a new client may connect later and the guest stops for it.
import type { Core, ExitReason } from '../core';
import { UserError } from '../errors';
import {
  PacketReader, decodePayload, escapeBinary, frame, fromHex, fromLeHex, leHex, parseHexNum, toHex,
} from './packet';
import { REGS, TARGET_XML } from './registers';
import type { GdbTransport } from './transport';
import type { DebugTarget, DebugThread, Regime } from './target';
import { runMonitor } from './monitor';

const SIGINT = 2, SIGTRAP = 5;
const CHUNK = 1_000_000;
const STOP_BREAK = 1, STOP_WATCH_WRITE = 2, STOP_WATCH_READ = 3, STOP_WATCH_ACCESS = 4;

interface StopInfo { signal: number; extra?: string }
type State = 'wait-client' | 'stopped' | 'running' | 'detached';

/** The debugger asked to kill the run (packet k / vKill). */
export class GdbKill extends UserError {
  constructor() { super('gdb: the debugger killed the run'); this.name = 'UserError'; }
}

interface DbgExports {
  dbgClear(): void;
  dbgAddBreak(va: bigint): number;
  dbgRemoveBreak(va: bigint): number;
  dbgAddWatch(va: bigint, len: bigint, kind: number): number;
  dbgRemoveWatch(va: bigint, len: bigint, kind: number): number;
  dbgSuspend(on: number): void;
  dbgStopKind(): number;
  dbgStopAddr(): bigint;
  dbgStopHit(): bigint;
}

export interface StubOptions {
  /** One line per problem (malformed packet, client gone); default stderr. */
  log?: (line: string) => void;
}

export class GdbStub {
  private readonly reader = new PacketReader();
  private readonly dbg: DbgExports;
  private state: State = 'wait-client';
  private mode: 'continue' | 'step' = 'continue';
  /** Checks to suspend for the first instruction of the next resume (DBG_BREAK 1 | DBG_WATCH 2). */
  private stepOver = 0;
  private lastStopWatchPc: bigint | null = null;
  private pendingStop: StopInfo | null = null;
  private interrupt = false;
  private noAck = false;
  private lastSent: Uint8Array | null = null;
  private lastStop = 'S05';
  private gThread = 0; // Hg (0: the current thread)
  private cThread = 0; // Hc (0: any thread — the current one)
  /** Some threads are held for this resume (a step, or a continue of some threads only). */
  private holding = false;
  private killed = false;
  /** Breakpoints by address: how gdb inserted them (Z0 software, Z1 hardware). */
  private readonly breaks = new Map<bigint, Set<number>>();
  private readonly watches: { addr: bigint; len: bigint; kind: number }[] = [];
  /** Memory accesses: physical addresses (monitor phys) or virtual through `regime`. */
  phys = false;
  regime: Regime = 'cur';
  private readonly log: (line: string) => void;

  constructor(readonly transport: GdbTransport, readonly target: DebugTarget, opts: StubOptions = {}) {
    this.log = opts.log ?? ((l) => process.stderr.write(`pkvm-emu: gdb: ${l}\n`));
    this.dbg = target.core.x as unknown as DbgExports;
    this.dbg.dbgClear();
  }

  get core(): Core { return this.target.core; }

  /** Takes over core.run. */
  attach(): void {
    this.core.debugHook = (budget) => this.run(budget);
  }

  // --- Execution control (called instead of Core.run) ----------------------------------------
  run(budget: number): ExitReason {
    if (this.killed) this.die();
    if (this.state === 'wait-client') this.waitForClient();
    if (this.pendingStop) { const s = this.pendingStop; this.pendingStop = null; this.stop(s); }
    let left = budget;
    for (;;) {
      if (this.state === 'stopped') this.serveStopped();
      if (this.killed) this.die();
      if (left <= 0) return 'budget';
      const before = this.core.insns;
      if (this.state === 'running' && this.mode === 'step') {
        const r = this.runOne();
        left -= Number(this.core.insns - before);
        if (r === 'mmio') return r; // the instruction is replayed after the device access
        if (r === 'debug') { this.stop(this.coreStop()); continue; } // a watchpoint on the stepped instruction
        if (r === 'budget') { this.stop({ signal: SIGTRAP }); continue; }
        // The stepped CPU went to sleep (WFI) and the others are held: the step is done.
        if (r === 'wfi' && this.holding) { this.stop({ signal: SIGTRAP }); continue; }
        this.pendingStop = { signal: SIGTRAP };
        return r;
      }
      let r: ExitReason;
      if (this.stepOver !== 0) {
        r = this.runOne();
      } else {
        r = this.core.runRaw(Math.min(left, CHUNK));
      }
      left -= Number(this.core.insns - before);
      if (r === 'debug') { this.stop(this.coreStop()); continue; }
      if (r === 'wfi' && this.holding) { this.idleWhileHeld(); continue; }
      if (r !== 'budget') return r;
      this.checkAsync();
    }
  }

  /**
   * One instruction (a step, or the first one of a continue) with the checks that would stop it
   * where it stopped suspended: a breakpoint at the PC, the watchpoint it stopped for.
   */
  private runOne(): ExitReason {
    this.dbg.dbgSuspend(this.stepOver);
    const r = this.core.runRaw(1);
    this.dbg.dbgSuspend(0);
    if (r !== 'mmio') this.stepOver = 0;
    return r;
  }

  /** What the first instruction of a resume must not stop for. */
  private resumeSuspends(): number {
    const pc = this.target.current().regs().pc();
    return (this.breaks.has(pc) ? 1 : 0) | (this.lastStopWatchPc === pc ? 2 : 0);
  }

  /** After k / vKill: the last reply flushed, the run ends (the CLI prints one line). */
  private die(): never {
    this.transport.close();
    this.core.debugHook = null;
    throw new GdbKill();
  }

  private coreStop(): StopInfo {
    const kind = this.dbg.dbgStopKind();
    const addr = BigInt.asUintN(64, this.dbg.dbgStopAddr());
    if (kind === STOP_BREAK) {
      const how = this.breaks.get(addr);
      return { signal: SIGTRAP, extra: how?.has(0) ? 'swbreak:;' : 'hwbreak:;' };
    }
    const name = kind === STOP_WATCH_WRITE ? 'watch' : kind === STOP_WATCH_READ ? 'rwatch' : kind === STOP_WATCH_ACCESS ? 'awatch' : '';
    return { signal: SIGTRAP, extra: name ? `${name}:${addr.toString(16)};` : undefined };
  }

  /** Stops and reports (notify: the client resumed us and waits for this reply; a new one asks '?'). */
  private stop(s: StopInfo, notify = true): void {
    this.release();
    this.state = 'stopped';
    this.mode = 'continue';
    this.interrupt = false;
    const t = this.target.current();
    this.lastStopWatchPc = s.extra && /watch:/.test(s.extra) ? t.regs().pc() : null;
    this.gThread = t.id;
    this.lastStop = `T${s.signal.toString(16).padStart(2, '0')}${s.extra ?? ''}thread:${t.id.toString(16)};`;
    if (notify && this.transport.connected) this.sendPacket(this.lastStop);
  }

  /**
   * The threads a continue runs are all asleep with nothing in the core to wake them, the others
   * held: nothing happens until the debugger stops us (Ctrl-C), as on QEMU with scheduler-locking.
   */
  private idleWhileHeld(): void {
    this.log('the threads resumed are asleep with nothing to wake them (the others are held): Ctrl-C stops them');
    while (this.state === 'running') {
      this.transport.wait(200);
      this.checkAsync();
    }
  }

  /** Between chunks: Ctrl-C, a new client (stops the guest for it), a client gone. */
  private checkAsync(): void {
    if (this.transport.takeNewConnection()) {
      this.reset();
      this.stop({ signal: SIGINT }, false);
      return;
    }
    if (this.state === 'running') {
      this.pump();
      if (!this.transport.connected) { this.clientGone(); return; }
      if (this.interrupt) this.stop({ signal: SIGINT });
    }
  }

  private waitForClient(): void {
    while (!this.transport.takeNewConnection()) this.transport.wait(1000);
    this.reset();
    this.state = 'stopped';
    this.gThread = this.target.current().id;
    this.lastStop = `T05thread:${this.gThread.toString(16)};`;
  }

  private serveStopped(): void {
    while (this.state === 'stopped') {
      this.pump();
      if (this.state !== 'stopped') return;
      if (this.transport.takeNewConnection()) { this.reset(); continue; }
      if (!this.transport.connected) {
        this.pump();
        if (!this.transport.connected) { this.clientGone(); return; }
      }
      this.transport.wait(200);
    }
  }

  /** A new client: nothing of the last session survives (its breakpoints, modes, acks). */
  private reset(): void {
    this.removeAll();
    this.reader.reset();
    this.phys = false;
    this.regime = 'cur';
    this.noAck = false;
    this.cThread = 0;
    this.lastSent = null;
    this.interrupt = false;
  }

  /** The client disconnected: remove its breakpoints and watchpoints, let the guest run. */
  private clientGone(): void {
    if (this.reader.midPacket) this.log('the debugger disconnected in the middle of a packet; the guest continues');
    else if (this.state !== 'detached') this.log('the debugger disconnected; the guest continues');
    this.reader.reset();
    this.removeAll();
    this.release();
    this.state = 'detached';
  }

  private removeAll(): void {
    this.breaks.clear();
    this.watches.length = 0;
    this.dbg.dbgClear();
  }

  /** The guest's run ended (power-off, exit): tell the debugger and close. */
  finish(exitCode: number): void {
    if (this.transport.connected && this.state !== 'detached') this.sendPacket(`W${(exitCode & 0xff).toString(16).padStart(2, '0')}`);
    this.transport.close();
    if (this.core.debugHook) this.core.debugHook = null;
  }

  // --- Packets ------------------------------------------------------------------------------------
  private pump(): void {
    const bytes = this.transport.poll();
    if (bytes.length === 0) return;
    for (const ev of this.reader.feed(bytes)) {
      switch (ev.kind) {
        case 'interrupt': if (this.state === 'running') this.interrupt = true; break;
        case 'ack': break;
        case 'nak': if (this.lastSent && !this.noAck) this.transport.send(this.lastSent); break;
        case 'bad-checksum':
          this.log(`packet with a bad checksum (sum 0x${ev.expected.toString(16)}, sent 0x${ev.got.toString(16)}): asked to resend`);
          if (!this.noAck) this.transport.send(Uint8Array.of(0x2d));
          break;
        case 'malformed': this.log(`malformed input: ${ev.reason}`); break;
        case 'packet': {
          if (!this.noAck) this.transport.send(Uint8Array.of(0x2b));
          const raw = decodePayload(ev.data);
          if (!raw) { this.log('malformed packet (bad escape or run-length encoding): ignored'); this.sendPacket('E01'); break; }
          let reply: string | Uint8Array | null;
          try {
            reply = this.handle(raw);
          } catch (e) {
            const text = Buffer.from(raw.subarray(0, 40)).toString('latin1');
            this.log(`packet '${text}' failed: ${(e as Error).message}`);
            reply = 'E01';
          }
          if (reply !== null) this.sendPacket(reply);
          break;
        }
      }
    }
  }

  private sendPacket(payload: string | Uint8Array): void {
    const f = frame(payload);
    this.lastSent = f;
    this.transport.send(f);
  }

  private thread(): DebugThread {
    const ts = this.target.threads();
    return ts.find((t) => t.id === this.gThread) ?? this.target.current();
  }

  /** One packet → its reply (null: none now, e.g. a resume). */
  handle(raw: Uint8Array): string | Uint8Array | null {
    const p = Buffer.from(raw).toString('latin1');
    const c = p[0];
    switch (c) {
      case '?': return this.lastStop;
      case 'g': return this.readAllRegs();
      case 'G': return this.writeAllRegs(p.slice(1));
      case 'p': return this.readReg(p.slice(1));
      case 'P': return this.writeReg(p.slice(1));
      case 'm': return this.readMem(p.slice(1));
      case 'M': return this.writeMemHex(p.slice(1));
      case 'X': return this.writeMemBinary(raw);
      case 'c': case 'C': return this.resume('continue', p);
      case 's': case 'S': return this.resume('step', p);
      case 'Z': case 'z': return this.breakpoint(c === 'Z', p.slice(1));
      case 'H': return this.setThread(p);
      case 'T': return this.threadAlive(p.slice(1));
      case 'D': this.removeAll(); this.release(); this.sendPacket('OK'); this.state = 'detached'; this.transport.drop(); return null;
      case 'k': this.killed = true; this.state = 'detached'; return null;
      case 'q': case 'Q': return this.query(p);
      case 'v': return this.vPacket(p);
      default: return '';
    }
  }

  private resume(mode: 'continue' | 'step', p: string): string | null {
    // c [addr] / s [addr] / C sig[;addr] / S sig[;addr]: the signal is ignored (no signals to deliver).
    // s steps the Hc thread (the current one when Hc is 0 or -1); c continues every thread (as QEMU).
    let arg = p.slice(1);
    if (p[0] === 'C' || p[0] === 'S') arg = arg.includes(';') ? arg.slice(arg.indexOf(';') + 1) : '';
    let a: bigint | null = null;
    if (arg) {
      a = parseHexNum(arg);
      if (a === null) return 'E01';
    }
    const actions = new Map<number, 'c' | 's'>();
    const step = mode === 'step' ? (this.findThread(this.cThread) ?? this.target.current()) : null;
    for (const t of this.target.threads()) actions.set(t.id, t === step ? 's' : 'c');
    const err = this.schedule(actions);
    if (err !== null) return err;
    if (a !== null) this.target.current().regs().setPc(a);
    return null;
  }

  private findThread(id: number): DebugThread | undefined {
    return id > 0 ? this.target.threads().find((t) => t.id === id) : undefined;
  }

  /**
   * Resumes with an action per thread (threads without one stay stopped). All-stop: a step of one
   * thread executes one instruction of that thread's CPU with every other CPU held, whatever the
   * others' actions (the others running zero instructions meanwhile is one of the interleavings a
   * continue allows, so a step never moves another thread); a continue of some threads holds the
   * rest (gdb's scheduler-locking). A thread that cannot execute (a powered-off CPU; a vCPU that is
   * not on the core) fails the resume: one line to the debugger's console and an error reply,
   * which gdb reports as a stop.
   */
  private schedule(actions: Map<number, 'c' | 's'>): string | null {
    const threads = this.target.threads();
    // (`vCont;s`, a step of every thread: the current one steps)
    const cur = this.target.current();
    const stepT = actions.get(cur.id) === 's' ? cur : threads.find((t) => actions.get(t.id) === 's');
    const refuse = (why: string): string => {
      this.log(why);
      if (this.transport.connected) this.sendPacket('O' + toHex(Buffer.from(`pkvm-emu: ${why}\n`, 'latin1')));
      return 'E01';
    };
    if (stepT) {
      // (a thread asleep in WFI/WFE wakes: the debugger's halt is a wake-up event, core-as/smp/debug-select.ts)
      const why = this.target.select ? this.target.select(stepT, true)
        : stepT.live() ? null : `${stepT.name} is not on the core: only the running thread can step`;
      if (why !== null) return refuse(why);
      this.holdThreads(threads.filter((t) => t !== stepT));
      this.begin('step');
      return null;
    }
    const run = threads.filter((t) => actions.get(t.id) === 'c');
    if (run.length === 0) return 'E01';
    if (run.length < threads.length && this.target.hold && this.target.select) {
      if (!run.some((t) => t.live())) {
        const reasons: string[] = [];
        if (!run.some((t) => { const why = this.target.select!(t, false); if (why !== null) reasons.push(why); return why === null; })) {
          return refuse(reasons.join('; '));
        }
      }
      this.holdThreads(threads.filter((t) => actions.get(t.id) !== 'c'));
    }
    this.begin('continue');
    return null;
  }

  private holdThreads(ts: DebugThread[]): void {
    if (!this.target.hold || ts.length === 0) return;
    this.target.hold(ts.map((t) => t.id));
    this.holding = true;
  }

  private release(): void {
    if (this.holding) this.target.hold?.([]);
    this.holding = false;
  }

  private begin(mode: 'continue' | 'step'): void {
    this.mode = mode;
    this.state = 'running';
    this.stepOver = this.resumeSuspends();
  }

  private vPacket(p: string): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      // vCont;ACTION[:TID];... — the leftmost action that names a thread applies to it; an action
      // without a thread (or with -1) applies to every thread not named before it; 0 is any thread
      // (the current one). The signal of C/S is ignored.
      const actions = new Map<number, 'c' | 's'>();
      const threads = this.target.threads();
      for (const part of p.slice(6).split(';')) {
        const m = /^([cCsS])([0-9a-fA-F]{2})?(?::(-1|[0-9a-fA-F]+))?$/.exec(part);
        if (!m || ((m[1] === 'C' || m[1] === 'S') !== (m[2] !== undefined))) return 'E01';
        const act = m[1]!.toLowerCase() as 'c' | 's';
        const tid = m[3] === undefined || m[3] === '-1' ? -1 : parseInt(m[3], 16);
        const id = tid === 0 ? this.target.current().id : tid;
        if (id !== -1 && !threads.some((t) => t.id === id)) return 'E01';
        for (const t of threads) if ((id === -1 || t.id === id) && !actions.has(t.id)) actions.set(t.id, act);
      }
      return this.schedule(actions);
    }
    if (p === 'vKill' || p.startsWith('vKill;')) { this.killed = true; this.state = 'detached'; return 'OK'; }
    if (p === 'vMustReplyEmpty') return '';
    return '';
  }

  private query(p: string): string | Uint8Array | null {
    if (p.startsWith('qSupported')) {
      return 'PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+';
    }
    if (p === 'QStartNoAckMode') { this.sendPacket('OK'); this.noAck = true; return null; }
    if (p.startsWith('qXfer:features:read:')) {
      const m = /^qXfer:features:read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return 'E01';
      if (m[1] !== 'target.xml') return 'E00';
      const doc = Buffer.from(TARGET_XML, 'latin1');
      const off = parseInt(m[2]!, 16), len = parseInt(m[3]!, 16);
      const part = doc.subarray(off, off + len);
      const head = Buffer.from(off + len >= doc.length ? 'l' : 'm');
      return Buffer.concat([head, escapeBinary(part)]);
    }
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    if (p === 'qC') return `QC${this.target.current().id.toString(16)}`;
    if (p === 'qfThreadInfo') return 'm' + this.target.threads().map((t) => t.id.toString(16)).join(',');
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo,')) {
      const id = parseInt(p.slice(17), 16);
      const t = this.target.threads().find((x) => x.id === id);
      if (!t) return 'E01';
      return toHex(Buffer.from(`${t.name}: ${t.extraInfo()}${t.live() ? '' : ' (saved context)'}`));
    }
    if (p.startsWith('qRcmd,')) {
      const cmd = fromHex(p.slice(6));
      if (!cmd) return 'E01';
      const out = runMonitor(this, Buffer.from(cmd).toString('latin1'));
      for (let i = 0; i < out.length; i += 1000) this.sendPacket('O' + toHex(Buffer.from(out.slice(i, i + 1000), 'latin1')));
      return 'OK';
    }
    if (p.startsWith('qSymbol')) return 'OK';
    return '';
  }

  private setThread(p: string): string {
    // Hg<id> / Hc<id>: 0 = any, -1 = all.
    const id = p.slice(2);
    if (p[1] !== 'g' && p[1] !== 'c') return 'E01';
    if (id === '-1' || id === '0') {
      if (p[1] === 'g') this.gThread = this.target.current().id; else this.cThread = 0;
      return 'OK';
    }
    const n = parseInt(id, 16);
    if (!/^[0-9a-fA-F]+$/.test(id) || !this.target.threads().some((t) => t.id === n)) return 'E01';
    if (p[1] === 'g') this.gThread = n; else this.cThread = n;
    return 'OK';
  }

  private threadAlive(id: string): string {
    const n = parseInt(id, 16);
    return this.target.threads().some((t) => t.id === n) ? 'OK' : 'E01';
  }

  // --- Registers ------------------------------------------------------------------------------------
  private regHex(n: number): string {
    const d = REGS[n]!;
    const v = d.get(this.thread().regs());
    return v === null ? 'xx'.repeat(d.bits / 8) : leHex(BigInt.asUintN(d.bits, v), d.bits / 8);
  }

  private readAllRegs(): string {
    let s = '';
    for (let n = 0; n < REGS.length; n++) s += this.regHex(n);
    return s;
  }

  private writeAllRegs(hex: string): string {
    let o = 0;
    const regs = this.thread().regs();
    for (const d of REGS) {
      const w = d.bits / 4;
      if (o + w > hex.length) break;
      const part = hex.slice(o, o + w);
      o += w;
      if (/^x+$/.test(part) || !d.set) continue;
      const v = fromLeHex(part);
      if (v === null) return 'E01';
      if (v !== d.get(regs)) d.set(regs, v);
    }
    return 'OK';
  }

  private readReg(arg: string): string {
    const n = parseInt(arg, 16);
    if (!/^[0-9a-fA-F]+$/.test(arg) || n >= REGS.length) return 'E01';
    return this.regHex(n);
  }

  private writeReg(arg: string): string {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(arg);
    if (!m) return 'E01';
    const n = parseInt(m[1]!, 16);
    const d = REGS[n];
    if (!d || m[2]!.length !== d.bits / 4) return 'E01';
    if (!d.set) return 'E01';
    const v = fromLeHex(m[2]!);
    if (v === null) return 'E01';
    return d.set(this.thread().regs(), v) ? 'OK' : 'E01';
  }

  // --- Memory ------------------------------------------------------------------------------------
  /** PA of addr for the selected thread and addressing mode, or why not. */
  translate(addr: bigint): bigint | string {
    if (this.phys) return addr;
    return this.thread().translate(addr, this.regime);
  }

  /** Reads up to len bytes at addr; stops at the first byte that cannot be read. */
  readBytes(addr: bigint, len: number): { data: Uint8Array; error?: string } {
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const a = BigInt.asUintN(64, addr + BigInt(i));
      const n = Math.min(len - i, 4096 - Number(a & 0xfffn));
      const pa = this.translate(a);
      if (typeof pa === 'string') return { data: out.subarray(0, i), error: `0x${a.toString(16)}: ${pa}` };
      if (!this.core.isRam(pa, n)) return { data: out.subarray(0, i), error: `0x${a.toString(16)}: PA 0x${pa.toString(16)} is not RAM` };
      out.set(this.core.readPhys(pa, n), i);
      i += n;
    }
    return { data: out };
  }

  writeBytes(addr: bigint, data: Uint8Array): string | null {
    // Translate every page first so a failing write changes nothing.
    const parts: { pa: bigint; from: number; n: number }[] = [];
    for (let i = 0; i < data.length;) {
      const a = BigInt.asUintN(64, addr + BigInt(i));
      const n = Math.min(data.length - i, 4096 - Number(a & 0xfffn));
      const pa = this.translate(a);
      if (typeof pa === 'string') return pa;
      if (!this.core.isRam(pa, n)) return `PA 0x${pa.toString(16)} is not RAM`;
      parts.push({ pa, from: i, n });
      i += n;
    }
    for (const p of parts) this.core.writePhys(p.pa, data.subarray(p.from, p.from + p.n));
    return null;
  }

  private addrLen(s: string): [bigint, number] | null {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(s);
    if (!m) return null;
    const a = parseHexNum(m[1]!), l = parseHexNum(m[2]!);
    if (a === null || l === null || l > 0x10000n) return null;
    return [a, Number(l)];
  }

  private readMem(arg: string): string {
    const al = this.addrLen(arg);
    if (!al) return 'E01';
    const r = this.readBytes(al[0], al[1]);
    if (r.data.length === 0 && al[1] > 0) return 'E14';
    return toHex(r.data);
  }

  private writeMemHex(arg: string): string {
    const colon = arg.indexOf(':');
    const al = colon < 0 ? null : this.addrLen(arg.slice(0, colon));
    const data = colon < 0 ? null : fromHex(arg.slice(colon + 1));
    if (!al || !data || data.length !== al[1]) return 'E01';
    return this.writeBytes(al[0], data) === null ? 'OK' : 'E14';
  }

  private writeMemBinary(raw: Uint8Array): string {
    const colon = raw.indexOf(0x3a);
    if (colon < 0) return 'E01';
    const al = this.addrLen(Buffer.from(raw.subarray(1, colon)).toString('latin1'));
    const data = raw.subarray(colon + 1);
    if (!al || data.length !== al[1]) return 'E01';
    if (al[1] === 0) return 'OK'; // (gdb probes X support with an empty write)
    return this.writeBytes(al[0], data) === null ? 'OK' : 'E14';
  }

  // --- Breakpoints and watchpoints -------------------------------------------------------------
  private breakpoint(insert: boolean, arg: string): string {
    const m = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)(;.*)?$/.exec(arg);
    if (!m) return 'E01';
    const type = Number(m[1]);
    const addr = parseHexNum(m[2]!), kind = parseHexNum(m[3]!);
    if (addr === null || kind === null) return 'E01';
    if (type <= 1) {
      let how = this.breaks.get(addr);
      if (insert) {
        if (!how) {
          if (this.dbg.dbgAddBreak(addr) !== 0) return 'E0c'; // table full
          how = new Set();
          this.breaks.set(addr, how);
        }
        how.add(type);
        return 'OK';
      }
      if (!how || !how.delete(type)) return 'E01';
      if (how.size === 0) { this.breaks.delete(addr); this.dbg.dbgRemoveBreak(addr); }
      return 'OK';
    }
    if (kind === 0n) return 'E01';
    if (insert) {
      if (this.dbg.dbgAddWatch(addr, kind, type) !== 0) return 'E0c';
      this.watches.push({ addr, len: kind, kind: type });
      return 'OK';
    }
    const i = this.watches.findIndex((w) => w.addr === addr && w.len === kind && w.kind === type);
    if (i < 0) return 'E01';
    this.watches.splice(i, 1);
    this.dbg.dbgRemoveWatch(addr, kind, type);
    return 'OK';
  }

  /** For `monitor info`. */
  describe(): string {
    const b = [...this.breaks.keys()].map((a) => `0x${a.toString(16)}`).join(' ') || 'none';
    const kinds = ['', '', 'write', 'read', 'access'];
    const w = this.watches.map((x) => `${kinds[x.kind]} 0x${x.addr.toString(16)}+${x.len}`).join(', ') || 'none';
    return `addresses: ${this.phys ? 'physical' : `virtual, regime ${this.regime}`}\nbreakpoints: ${b}\nwatchpoints: ${w}\n`;
  }

  /** The thread register/memory packets use. */
  selectedThread(): DebugThread { return this.thread(); }
}
