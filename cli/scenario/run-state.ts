/**
 * What a scenario run accumulates: its world, the names it defined, the host's free-page baseline,
 * exit states of destroyed VMs, check results and page-census snapshots; and how names in numbers
 * are evaluated.
 */
import { hypWarnConfig, type HostVm } from './hyp-api';
import type { ExitState, Expr, Scenario } from './schema';
import type { World } from './world';
import { pageCensus, type Census } from './census';

export interface Failure { path: string; message: string }

/** A problem with one action (a name not defined yet, an IPA outside a VM): that action fails, the run goes on. */
export class ActionError extends Error {}

export class RunState {
  /** Address names (alloc, `as`) → PA. */
  readonly names = new Map<string, bigint>();
  /** Exit state of a VM at the moment it was destroyed. */
  readonly destroyedIn = new Map<string, { state: ExitState; error?: string }>();
  readonly failures: Failure[] = [];
  readonly tables: { label: string; census: Census }[] = [];
  checks = 0;
  baseline: number;
  /** The VM handle whose vCPU an `hcall: __pkvm_vcpu_load` action loaded (until `__pkvm_vcpu_put`). */
  loadedVm: number | null = null;
  readonly warnings0 = hypWarnConfig.warnings.length;

  constructor(readonly scenario: Scenario, readonly world: World) {
    this.baseline = world.kvm?.alloc.freePages ?? 0;
  }

  /** Records one checked expectation. */
  check(ok: boolean, path: string, message: () => string): boolean {
    this.checks++;
    if (!ok) this.failures.push({ path, message: message() });
    return ok;
  }
  fail(path: string, message: string): void {
    this.failures.push({ path, message });
  }

  note(text: string): void {
    this.world.el2.trace.emit('note', text);
  }

  hypWarnings(): string[] {
    return hypWarnConfig.warnings.slice(this.warnings0);
  }

  census(): Census {
    return pageCensus(this.world.el2.pkvm, [...this.world.vms.values()]);
  }
  snapshot(label: string): void {
    this.tables.push({ label, census: this.census() });
  }

  /** A VM that exists now (created, not destroyed). */
  liveVm(name: string): HostVm {
    const vm = this.world.vms.get(name);
    if (!vm) throw new ActionError(`VM "${name}" is not created yet`);
    if (vm.state === 'destroyed') throw new ActionError(`VM "${name}" is destroyed`);
    return vm;
  }

  /** A VM's exit state: off / reset / error, or running (created or still running). */
  exitState(name: string): { state: ExitState; error?: string } | null {
    if (this.scenario.kind === 'a64-host') return this.world.host;
    const vm = this.world.vms.get(name);
    if (!vm) return null;
    if (vm.state === 'destroyed') return this.destroyedIn.get(name) ?? { state: 'running' };
    return vm.state === 'created' || vm.state === 'running' ? { state: 'running' } : { state: vm.state, error: vm.error };
  }

  eval(e: Expr): bigint {
    if (e.kind === 'lit') return e.value;
    let v: bigint;
    if (this.scenario.vms.some((s) => s.name === e.name)) {
      const vm = this.liveVm(e.name);
      v = e.field === 'kvm' ? vm.kvmPa : BigInt(vm.handle);
    } else {
      const base = e.name === 'carveout' ? this.world.el2.carveout.base : e.name === 'ram' ? this.world.core.ramBase : this.names.get(e.name);
      if (base === undefined) throw new ActionError(`"${e.name}" is not defined at this point`);
      v = e.field === 'pfn' ? base >> 12n : base;
    }
    return BigInt.asUintN(64, v + e.offset);
  }
}
