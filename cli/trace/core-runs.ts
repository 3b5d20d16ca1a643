/**
 * Observers of the core's run(): called after every return of Core.run with the exit and the
 * instruction counts before and after. Installed by wrapping run() on the instance, so the machine
 * and the hyp know nothing of them; several observers chain.
 */
import type { Core, ExitReason } from '../../machine/core';

export type CoreRunObserver = (exit: ExitReason, t0: bigint, t1: bigint) => void;

export function observeCoreRuns(core: Core, fn: CoreRunObserver): void {
  const run = core.run.bind(core);
  core.run = (budget: number): ExitReason => {
    const t0 = core.insns;
    const r = run(budget);
    fn(r, t0, core.insns);
    return r;
  };
}
