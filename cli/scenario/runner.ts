/**
 * Runs a validated scenario: builds its machine, creates the VMs not created by an action, executes
 * the actions in order, checks the final expectations, and returns everything the report shows.
 * A hyp panic, a failed host operation or an emulator error ends the run early: it is reported as a
 * failure (with what ran until then), never thrown.
 */
import type { TraceEvent } from './hyp-api';
import type { Scenario } from './schema';
import { createVm, createWorld, type World } from './world';
import { ActionError, RunState, type Failure } from './run-state';
import { runAction } from './actions';
import { checkExpectations, consoleText } from './expect';
import type { Census } from './census';

export interface ConsoleOutput { who: string; state: string; error?: string; text: string }

export interface ScenarioResult {
  scenario: Scenario;
  passed: boolean;
  failures: Failure[];
  /** Expectations checked (passed + failed). */
  checks: number;
  /** Why the run stopped before its end, if it did. */
  aborted: string | null;
  events: TraceEvent[];
  tables: { label: string; census: Census }[];
  consoles: ConsoleOutput[];
  /** Instructions retired by the core. */
  insns: bigint;
  wallMs: number;
}

export interface RunHooks {
  /** Called once the machine exists, before anything runs on it (e.g. to attach a debugger). */
  onWorld?: (w: World) => void;
  /** Observers of a run (the trace recorder, progress): called once its world exists, before any VM. */
  onStart?: (st: RunState) => void;
  /** Called before the final expectations are checked (the hyp tracing ring is read and released here). */
  beforeChecks?: (st: RunState) => void;
}

export function runScenario(s: Scenario, hooks: RunHooks = {}): ScenarioResult {
  const t0 = performance.now();
  const world = createWorld(s);
  hooks.onWorld?.(world);
  const st = new RunState(s, world);
  hooks.onStart?.(st);
  let aborted: string | null = null;
  let step = 'creating the VMs';
  try {
    for (const vm of s.vms) if (!vm.createdByAction) createVm(world, vm);
    for (const a of s.actions) {
      step = a.path;
      try {
        runAction(st, a);
      } catch (e) {
        if (!(e instanceof ActionError)) throw e;
        st.fail(a.path, e.message);
      }
    }
    step = 'the final checks';
    hooks.beforeChecks?.(st);
    checkExpectations(st, s.expect, true);
  } catch (e) {
    const err = e as Error;
    aborted = `${step}: ${err.name === 'HypPanic' || err.name === 'UserError' || err.name === 'KvmError' || err.name === 'HostAccessError' || err.name === 'GuestStuck' ? '' : `${err.name}: `}${err.message}`;
    st.fail(step, `run aborted: ${err.message}`);
  }
  try {
    st.snapshot('at the end');
  } catch {
    /* the census reads the hyp's tables; after a panic they may be unusable */
  }
  const runners = s.kind === 'kvm' ? [...world.vms.keys()] : ['host'];
  const consoles = runners.map((who) => {
    const x = st.exitState(who) ?? { state: 'running' };
    return { who, state: x.state, error: x.error, text: consoleText(st, who) };
  });
  return {
    scenario: s, passed: st.failures.length === 0, failures: st.failures, checks: st.checks, aborted,
    events: world.el2.trace.events, tables: st.tables, consoles, insns: world.core.insns, wallMs: performance.now() - t0,
  };
}
