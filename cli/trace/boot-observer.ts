/**
 * What `pkvm-emu boot` adds for --trace FILE, --timeout TIME and the progress line: the path and the
 * time checked before the machine starts, the recorder and progress attached to its core, the trace
 * written when it stops (whatever the reason), and the one line a timeout or a stuck CPU ends with.
 */
import type { Machine, RunResult } from '../../machine/machine';
import { UserError } from '../../machine/errors';
import { stuckInfo, stuckLine } from '../../machine/stuck';
import { ChromeTrace } from './chrome-trace';
import { MachineTraceRecorder } from './machine-trace';
import { observeCoreRuns } from './core-runs';
import { checkOutputPath, writeOutput } from './outputs';
import { formatGuestTime, parseGuestTime } from './guest-time';
import { Progress } from '../progress';

export interface BootObserveFlags { trace?: string; timeout?: string }

export class BootObserver {
  /** Instructions the --timeout allows (undefined: no timeout). */
  readonly timeoutInsns: bigint | undefined;
  private chrome: ChromeTrace | null = null;
  private readonly progress: Progress;

  constructor(readonly flags: BootObserveFlags, image: string) {
    this.timeoutInsns = flags.timeout !== undefined ? parseGuestTime(flags.timeout, '--timeout') : undefined;
    if (flags.trace !== undefined) checkOutputPath(flags.trace, '--trace');
    this.progress = new Progress(`boot ${image}`);
  }

  /** The instruction limit: the smaller of --max-insns and --timeout. */
  limit(maxInsns: bigint): bigint {
    return this.timeoutInsns !== undefined && this.timeoutInsns < maxInsns ? this.timeoutInsns : maxInsns;
  }

  attach(m: Machine): void {
    if (this.flags.trace !== undefined) {
      this.chrome = new ChromeTrace();
      new MachineTraceRecorder(this.chrome, m.core);
    }
    if (this.progress.enabled) observeCoreRuns(m.core, () => this.progress.update({ insns: m.core.insns }));
  }

  /** Called when the machine stopped: erases the progress line and writes the trace (one line if it cannot). */
  finish(m: Machine, r: RunResult, image: string): void {
    this.progress.clear();
    if (this.chrome) {
      const e = writeOutput(this.flags.trace!, '--trace', this.chrome.json({ image, instructions: m.core.insns.toString(), stop: r.reason }));
      if (e) throw new UserError(e); // after the run: its output is complete, only the trace is missing
    }
  }

  /** The error for a run that ended at the limit or stuck; null for other reasons. */
  stopError(m: Machine, r: RunResult, maxInsns: bigint): UserError | null {
    const pc = `pc 0x${m.core.pc.toString(16)}`;
    if (r.reason === 'stuck') return new UserError(stuckLine(stuckInfo(m.core)));
    if (r.reason !== 'limit') return null;
    if (this.timeoutInsns !== undefined && this.timeoutInsns < maxInsns)
      return new UserError(`timeout: ${this.flags.timeout} of guest time (${this.timeoutInsns} instructions, ${formatGuestTime(this.timeoutInsns)} at CNTFRQ 62.5 MHz) elapsed at ${pc}`);
    return new UserError(`instruction limit reached (${maxInsns} instructions) at ${pc}`);
  }
}
