/** Trace events of the hyp and the host model, shown as the timeline of `pkvm-emu run`. */
export interface TraceEvent {
  /** Instructions retired by the machine when it happened. */
  t: bigint;
  kind: 'hcall' | 'host-abort' | 'guest-exit' | 'donate' | 'share' | 'unshare' | 'reclaim' | 'vm' | 'vcpu' | 'console' | 'mmio' | 'warn' | 'teardown' | 'psci' | 'guard' | 'note' | 'ffa' | 'irq';
  text: string;
}

export class Trace {
  readonly events: TraceEvent[] = [];
  enabled = true;
  constructor(private readonly now: () => bigint) {}
  emit(kind: TraceEvent['kind'], text: string): void {
    if (this.enabled) this.events.push({ t: this.now(), kind, text });
  }
  /** An event that happened earlier, at instruction count t (reported after the fact). */
  emitAt(t: bigint, kind: TraceEvent['kind'], text: string): void {
    if (this.enabled) this.events.push({ t, kind, text });
  }
}
