/**
 * Progress of a long run on a terminal: one status line on stderr, rewritten in place at most every
 * `intervalMs` (instructions retired, guest time, MIPS, and a bar when the total is known), erased
 * when the run ends. Quiet (writes nothing at all) unless both stdout and stderr are terminals, so
 * output that goes to a file or a pipe is byte for byte what it was; PKVM_EMU_PROGRESS=0 silences it
 * on a terminal too, PKVM_EMU_PROGRESS=1 forces it (tests).
 */
import { formatGuestTime } from './trace/guest-time';

export interface ProgressOptions {
  /** Whether to show anything (default: stdout and stderr are TTYs, see above). */
  enabled?: boolean;
  /** Where the line goes (default: process.stderr). */
  write?: (s: string) => void;
  /** Wall clock in ms (default: performance.now). */
  now?: () => number;
  intervalMs?: number;
  /** Terminal width (default: stderr's columns or 100). */
  columns?: number;
}

export function progressWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PKVM_EMU_PROGRESS === '0') return false;
  if (env.PKVM_EMU_PROGRESS === '1') return true;
  return !!process.stdout.isTTY && !!process.stderr.isTTY;
}

export interface StatusFields {
  /** Instructions retired (shown with guest time and MIPS). */
  insns?: bigint;
  /** Items done of total (sequences, scenarios, benchmarks): a bar. */
  done?: number;
  total?: number;
  /** Free text after the figures. */
  note?: string;
  /** Show MIPS (instructions since the Progress was made / wall time); default true. */
  mips?: boolean;
}

export class Progress {
  readonly enabled: boolean;
  private readonly write: (s: string) => void;
  private readonly now: () => number;
  private readonly interval: number;
  private readonly columns: number;
  private readonly t0: number;
  private last = -Infinity;
  private shown = false;

  constructor(readonly label: string, opts: ProgressOptions = {}) {
    this.enabled = opts.enabled ?? progressWanted();
    this.write = opts.write ?? ((s) => void process.stderr.write(s));
    this.now = opts.now ?? (() => performance.now());
    this.interval = opts.intervalMs ?? 200;
    this.columns = opts.columns ?? (process.stderr.columns || 100);
    this.t0 = this.now();
  }

  /** The status line for these fields (no control characters). */
  line(f: StatusFields): string {
    const parts: string[] = [this.label];
    if (f.total !== undefined && f.done !== undefined) {
      const w = 20, frac = f.total > 0 ? Math.min(1, f.done / f.total) : 0;
      const full = Math.round(frac * w);
      parts.push(`[${'#'.repeat(full)}${'.'.repeat(w - full)}] ${f.done}/${f.total}`);
    }
    if (f.insns !== undefined) {
      const s = (this.now() - this.t0) / 1000;
      parts.push(`${f.insns.toLocaleString('en-US')} insns`, `guest time ${formatGuestTime(f.insns)}`);
      if (s > 0 && f.mips !== false) parts.push(`${(Number(f.insns) / s / 1e6).toFixed(1)} MIPS`);
    }
    if (f.note) parts.push(f.note);
    const text = parts.join('  ');
    return text.length >= this.columns ? text.slice(0, this.columns - 1) : text;
  }

  /** Rewrites the status line if enough time passed since the last one (or now, with `force`). */
  update(f: StatusFields, force = false): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.last < this.interval) return;
    this.last = t;
    this.write(`\r\x1b[K${this.line(f)}`);
    this.shown = true;
  }

  /** Erases the status line (before other output, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.write('\r\x1b[K');
    this.shown = false;
  }
}
