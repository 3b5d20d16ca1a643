/**
 * Trace of a machine booted with `pkvm-emu boot` (or the A64 host of a scenario): the CPU's runs
 * between exits to TypeScript as slices on its track, each exit as an event — MMIO (address, size,
 * value), PSCI/SMCCC firmware calls, semihosting, exceptions to a hosted EL2, WFI, a stuck CPU.
 * Exceptions taken inside the core — interrupts and synchronous exceptions (SVC, HVC/SMC to a native
 * EL2, aborts, traps, UNDEFINED) — come from the core's exception log (gic/irq-log.ts).
 */
import type { Core } from '../../machine/core';
import { SR } from '../../machine/core';
import { ChromeTrace, hex, type Args, type Track } from './chrome-trace';
import { observeCoreRuns } from './core-runs';
import { exitName } from './names';

/** The interrupt path's entry point into the trace (the GIC and timers call it when they exit to TS). */
export interface InterruptTrace {
  interrupt(cpu: number, intid: number, what: 'raised' | 'taken' | 'eoi' | 'injected', t: bigint, args?: Args): void;
}

export class MachineTraceRecorder implements InterruptTrace {
  private readonly cpus: Track[] = [];

  constructor(readonly trace: ChromeTrace, readonly core: Core, readonly cpuIndex = 0) {
    core.irqLogEnable(true);
    observeCoreRuns(core, (exit, t0, t1) => {
      this.drainInterrupts();
      const tr = this.cpu(this.cpuIndex);
      const el = core.el;
      if (t1 > t0) trace.slice(tr, `EL${el} run`, 'run', t0, t1);
      const args: Args = { pc: hex(core.pc) };
      switch (exit) {
        case 'budget': return;
        case 'mmio': {
          const a = core.mmio();
          trace.instant(tr, `MMIO ${a.isWrite ? 'write' : 'read'} ${hex(a.pa)}`, 'mmio', t1,
            { ...args, pa: hex(a.pa), size: a.size, write: a.isWrite, ...(a.isWrite ? { value: hex(a.value) } : {}) });
          return;
        }
        case 'firmware':
          trace.instant(tr, `firmware call ${hex(core.getX(0))}`, 'firmware', t1, { ...args, x0: hex(core.getX(0)), x1: hex(core.getX(1)), x2: hex(core.getX(2)), x3: hex(core.getX(3)) });
          return;
        case 'semihosting':
          trace.instant(tr, `semihosting 0x${(core.getX(0) & 0xffffffffn).toString(16)}`, 'semihosting', t1, { ...args, op: hex(core.getX(0)), param: hex(core.getX(1)) });
          return;
        case 'hyp': {
          const esr = core.sysreg(SR.ESR_EL2);
          trace.instant(tr, `exception to EL2: ${exitName(esr)}`, 'exit', t1,
            { ...args, esr: hex(esr), far: hex(core.sysreg(SR.FAR_EL2)), elr: hex(core.sysreg(SR.ELR_EL2)) });
          return;
        }
        default:
          trace.instant(tr, `exit: ${exit}`, 'exit', t1, args);
      }
    });
  }

  /**
   * Exceptions taken inside the core since the last run returned (the core logs them while a trace
   * is written): an instant on the CPU's track at the system-counter time it was taken — for an
   * interrupt its kind, the ELs and the interrupted PC; for a synchronous exception (SVC, HVC or SMC
   * to a native EL2, aborts, traps, UNDEFINED) its class, ESR, the ELs, the PC that raised it and FAR.
   */
  private drainInterrupts(): void {
    const { entries, dropped } = this.core.drainIrqLog();
    for (const e of entries) {
      if (e.sync) {
        const ec = (e.esr >>> 26) & 0x3f;
        this.trace.instant(this.cpu(e.cpu), `${exitName(BigInt(e.esr))} taken to EL${e.targetEl}`, 'exception', e.time,
          { ec: `0x${ec.toString(16)}`, esr: hex(BigInt(e.esr)), from: `EL${e.fromEl}`, to: `EL${e.targetEl}`, pc: hex(e.elr),
            ...(e.far !== undefined ? { far: hex(e.far) } : {}) });
        continue;
      }
      const kind = `${e.virtual ? 'virtual ' : ''}${e.fiq ? 'FIQ' : 'IRQ'}`;
      this.trace.instant(this.cpu(e.cpu), `${kind} taken to EL${e.targetEl}`, 'interrupt', e.time,
        { from: `EL${e.fromEl}`, to: `EL${e.targetEl}`, elr: hex(e.elr) });
    }
    if (dropped > 0) this.trace.instant(this.cpu(this.cpuIndex), `${dropped} exceptions not recorded (log full)`, 'exception', this.core.insns, { dropped });
  }

  cpu(i: number): Track {
    return (this.cpus[i] ??= this.trace.track('machine', `CPU ${i}`));
  }

  interrupt(cpu: number, intid: number, what: 'raised' | 'taken' | 'eoi' | 'injected', t: bigint, args: Args = {}): void {
    this.trace.instant(this.cpu(cpu), `IRQ ${intid} ${what}`, 'interrupt', t, { intid, ...args });
  }
}
