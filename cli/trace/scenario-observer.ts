/**
 * What `pkvm-emu run SCENARIO` adds to a run for --trace FILE, --report FILE and the progress line:
 * hooks the run (RunHooks.onStart) and writes the files when it ends.
 */
import type { RunHooks, ScenarioResult } from '../scenario/runner';
import type { RunState } from '../scenario/run-state';
import { ChromeTrace } from './chrome-trace';
import { PkvmTraceRecorder } from './pkvm-trace';
import { MachineTraceRecorder } from './machine-trace';
import { observeCoreRuns } from './core-runs';
import { HypRingSource } from './hyp-ring';
import { checkOutputPath, writeOutput } from './outputs';
import { Progress } from '../progress';
import { reportData, type Mark } from '../report/data';
import { reportHtml } from '../report/html';

export interface ObserveFlags { trace?: string; report?: string; /** 'ring': add the hyp's own events read from its tracing ring (hyp-ring.ts) */ traceSource?: 'model' | 'ring' }

export class ScenarioObserver {
  private chrome: ChromeTrace | null = null;
  private rec: PkvmTraceRecorder | null = null;
  private ring: HypRingSource | null = null;
  private readonly marks: Mark[] = [];
  readonly hooks: RunHooks;

  constructor(readonly flags: ObserveFlags, readonly progress: Progress | null = null) {
    if (flags.trace !== undefined) checkOutputPath(flags.trace, '--trace');
    if (flags.report !== undefined) checkOutputPath(flags.report, '--report');
    this.hooks = { onStart: (st) => this.start(st), beforeChecks: () => this.releaseRing() };
  }

  get active(): boolean { return this.flags.trace !== undefined || this.flags.report !== undefined || !!this.progress?.enabled; }

  private start(st: RunState): void {
    const w = st.world;
    if (this.progress?.enabled) observeCoreRuns(w.core, () => this.progress!.update({ insns: w.core.insns }));
    if (this.flags.trace === undefined && this.flags.report === undefined) return;
    if (this.flags.trace !== undefined) this.chrome = new ChromeTrace();
    if (this.chrome && w.machine) new MachineTraceRecorder(this.chrome, w.core);
    this.rec = new PkvmTraceRecorder(w, this.chrome);
    if (this.chrome && this.flags.traceSource === 'ring') this.ring = new HypRingSource(w);
    const snapshot = st.snapshot.bind(st);
    st.snapshot = (label: string): void => {
      snapshot(label);
      this.marks.push({ label, step: this.rec!.tracker.transitions.length, t: w.core.insns.toString() });
    };
  }

  /** Read the hyp's ring into the trace and give its pages back, so the final checks see the run alone. */
  private releaseRing(): void {
    if (this.ring && this.chrome) this.ring.drain(this.chrome, true);
    this.ring = null;
  }

  /** Writes the files; returns the error lines (the run itself is over and reported). */
  finish(r: ScenarioResult): string[] {
    this.progress?.clear();
    const errors: string[] = [];
    if (this.flags.trace !== undefined && this.chrome) {
      this.ring?.drain(this.chrome);
      const e = writeOutput(this.flags.trace, '--trace', this.chrome.json({ scenario: r.scenario.name, instructions: r.insns.toString() }));
      if (e) errors.push(e);
    }
    if (this.flags.report !== undefined && this.rec) {
      const e = writeOutput(this.flags.report, '--report', reportHtml(reportData(r, this.rec.tracker, this.marks)));
      if (e) errors.push(e);
    }
    return errors;
  }
}
