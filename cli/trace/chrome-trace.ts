/**
 * A trace in the Chrome JSON trace-event format (the "JSON Array/Object Format" of the Trace Event
 * Format document), which ui.perfetto.dev, chrome://tracing and Perfetto's trace_processor all
 * import. Chosen over Perfetto's protobuf because it needs no library at all (the npm packages
 * that write Perfetto protobuf are not maintained as part of Perfetto) and a test can check it
 * with a schema of a dozen lines; what it cannot express (flows between tracks, typed args) the
 * trace does not need.
 *
 * Tracks are (pid, tid) pairs: a process per machine part ("machine" with a thread per CPU, one per
 * VM with a thread per vCPU, "pages" for the ownership counters), named with metadata events.
 * Time: "ts" is in microseconds; the trace's clock is guest time, instructions retired × 16 ns
 * (CNTFRQ_EL0 = 62.5 MHz, one tick per instruction), so Perfetto's time axis reads guest time.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { NS_PER_INSN } from './guest-time';

export type Args = Record<string, string | number | boolean>;

export interface TraceEventJson {
  name: string;
  cat?: string;
  ph: 'X' | 'i' | 'C' | 'M' | 'B' | 'E';
  ts: number;
  dur?: number;
  pid: number;
  tid?: number;
  s?: 't' | 'p' | 'g';
  args?: Args | Record<string, number>;
}

export interface Track { pid: number; tid: number }

/** Instructions retired → trace timestamp (µs of guest time). */
export const tsOf = (insns: bigint | number): number => Number(insns) * (NS_PER_INSN / 1000);

export const hex = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;

export class ChromeTrace {
  readonly events: TraceEventJson[] = [];
  private readonly processes = new Map<string, number>();
  private readonly threads = new Map<string, Track>();
  private nextTid = 1;

  /** The process (group of tracks) with this name. */
  process(name: string, sortIndex?: number): number {
    let pid = this.processes.get(name);
    if (pid === undefined) {
      pid = this.processes.size + 1;
      this.processes.set(name, pid);
      this.events.push({ name: 'process_name', ph: 'M', ts: 0, pid, args: { name } });
      this.events.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid, args: { sort_index: sortIndex ?? pid } });
    }
    return pid;
  }

  /** The track (thread) `name` inside process `proc`. */
  track(proc: string, name: string): Track {
    const key = `${proc}\u0000${name}`;
    let t = this.threads.get(key);
    if (!t) {
      const pid = this.process(proc);
      t = { pid, tid: this.nextTid++ };
      this.threads.set(key, t);
      this.events.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: t.tid, args: { name } });
      this.events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid: t.tid, args: { sort_index: t.tid } });
    }
    return t;
  }

  /** A slice from t0 to t1 (instructions retired). */
  slice(tr: Track, name: string, cat: string, t0: bigint, t1: bigint, args?: Args): void {
    const ts = tsOf(t0);
    this.events.push({ name, cat, ph: 'X', ts, dur: Math.max(0, tsOf(t1) - ts), pid: tr.pid, tid: tr.tid, ...(args ? { args } : {}) });
  }

  /** An instant event on a track. */
  instant(tr: Track, name: string, cat: string, t: bigint, args?: Args): void {
    this.events.push({ name, cat, ph: 'i', s: 't', ts: tsOf(t), pid: tr.pid, tid: tr.tid, ...(args ? { args } : {}) });
  }

  /** A counter track `name` in process `proc` with one series per key of `values`. */
  counter(proc: string, name: string, t: bigint, values: Record<string, number>): void {
    this.events.push({ name, cat: 'pages', ph: 'C', ts: tsOf(t), pid: this.process(proc), args: values });
  }

  /** The whole trace as JSON text (the object form; its otherData says what the clock is). */
  json(meta: Record<string, string | number> = {}): string {
    const body = this.events.map((e) => JSON.stringify(e)).join(',\n');
    return `{"displayTimeUnit":"ns","otherData":${JSON.stringify({ clock: 'guest time: instructions retired x 16 ns (CNTFRQ_EL0 62.5 MHz)', ...meta })},\n"traceEvents":[\n${body}\n]}\n`;
  }
}

/**
 * Writes `text` to `path` all or nothing: into `path.tmp-PID` first, renamed over `path` when
 * complete, so an interrupted or failed write never leaves a half-written file under the name.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, text);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* not created */ }
    throw e;
  }
}
