/**
 * Records a hosted-pKVM run (pkvm-emu run SCENARIO) into a ChromeTrace and a PageTracker, by
 * wrapping the hyp's entry points on the instance — no hook inside hyp/ or host-kernel-model/:
 *   HostedEl2.hcallFrame       host hypercalls (name, x1..x5, x0/x1 returned): slices on "CPU 0"
 *   WorldSwitch.run            world switches: "guest" slices on the vCPU's track (nested in
 *                              __kvm_vcpu_run on CPU 0), then the exit (ESR/FAR/HPFAR decoded:
 *                              stage-2 fault, MMIO, HVC, WFx, IRQ = end of the slice)
 *   opts.handleGuestTrap       guest hypercalls the hyp handles itself (function, args, x0..x3)
 *   guestRunHooks.after        the core's fault fast path log: its donations at their own time
 *   Trace.emit/emitAt          the timeline's events (VM created, PSCI, MMIO guard, teardown,
 *                              scenario actions) as instants
 * After each of these the page tracker syncs; its transitions become "pages" instants (donate,
 * share, unshare, reclaim...) on the track of whoever caused them, and counters of pages per owner
 * and state.
 */
import { L, SR } from '../../machine/core';
import type { World } from '../scenario/world';
import { HOST_HCALLS, KVM_HOST_SMCCC_ID, type HostVm } from '../scenario/hyp-api';
import type { PkvmHypVcpu } from '../../hyp/hyp-vm';
import { ChromeTrace, hex, type Args, type Track } from './chrome-trace';
import { PageTracker, STATE_NAMES, HOST, HYP, NOBODY, type Transition } from './pages';
import { exitName, guestHvcName } from './names';

const ARM_EXCEPTION_IRQ = 0;
/** Host hypercalls that never change page ownership (nvhe/hyp-main.c): no sync after them. */
const NO_OWNERSHIP_CHANGE = new Set(['__pkvm_vcpu_load', '__pkvm_vcpu_put']);
const signed = (v: bigint): bigint => BigInt.asIntN(64, v);

export class PkvmTraceRecorder {
  readonly tracker: PageTracker;
  private readonly cpu: Track;
  private actor: Track;
  private readonly vmByHandle = new Map<number, string>();
  private seenTransitions = 0;

  constructor(readonly world: World, readonly trace: ChromeTrace | null) {
    const el2 = world.el2, core = world.core;
    this.tracker = new PageTracker({ pkvm: el2.pkvm, vms: () => world.vms.values(), now: () => core.insns });
    this.cpu = trace ? trace.track('machine', 'CPU 0') : { pid: 0, tid: 0 };
    this.actor = this.cpu;
    this.tracker.onChange = (t) => this.pagesChanged(t);
    this.wrapHcalls();
    this.wrapWorldSwitch();
    this.wrapTimeline();
    if (trace) this.pagesChanged(core.insns); // the counters' starting values
  }

  private vcpuTrack(vcpu: PkvmHypVcpu): Track {
    const name = this.vmName(vcpu.vm.handle);
    return this.trace ? this.trace.track(`VM ${name}`, `vCPU ${vcpu.vcpu_idx}`) : this.cpu;
  }

  private vmName(handle: number): string {
    let n = this.vmByHandle.get(handle);
    if (!n) {
      const vm = [...this.world.vms.values()].find((v: HostVm) => v.handle === handle);
      n = vm?.name ?? `0x${handle.toString(16)}`;
      if (vm) this.vmByHandle.set(handle, n);
    }
    return n;
  }

  private wrapHcalls(): void {
    const el2 = this.world.el2, core = this.world.core;
    const orig = el2.hcallFrame.bind(el2);
    el2.hcallFrame = (frame: bigint[]): void => {
      const t0 = core.insns;
      const id = frame[0]!;
      const n = id - KVM_HOST_SMCCC_ID(0);
      const name = n >= 0n && n < BigInt(HOST_HCALLS.length) ? HOST_HCALLS[Number(n)]! : `HVC ${hex(id)}`;
      const args: Args = {};
      frame.slice(1, 6).forEach((a, i) => { args[`x${i + 1}`] = hex(a); });
      const call = `${name}(${frame.slice(1, 4).map(hex).join(', ')})`;
      const prevActor = this.actor;
      this.actor = this.cpu;
      const outer = this.tracker.setCause(`host: ${call}`);
      try {
        orig(frame);
      } finally {
        if (!NO_OWNERSHIP_CHANGE.has(name)) this.tracker.sync();
        this.tracker.setCause(outer);
        this.actor = prevActor;
      }
      if (this.trace) {
        args.x0_ret = signed(frame[0]!).toString();
        args.x1_ret = signed(frame[1]!).toString();
        this.trace.slice(this.cpu, name, 'host-hvc', t0, core.insns, args);
      }
    };
  }

  private wrapWorldSwitch(): void {
    const ws = this.world.el2.ws, core = this.world.core;
    const run = ws.run;
    ws.run = (vcpu: PkvmHypVcpu): number => {
      const t0 = core.insns;
      const irqExits = vcpu.irq_exits;
      const tr = this.vcpuTrack(vcpu);
      const prevActor = this.actor;
      this.actor = tr;
      const who = `${this.vmName(vcpu.vm.handle)} vCPU ${vcpu.vcpu_idx}`;
      const outer = this.tracker.setCause(`${who}: guest run (fault fast path)`);
      let ret: number;
      try {
        ret = run(vcpu);
      } finally {
        this.tracker.sync();
        this.tracker.setCause(outer);
        this.actor = prevActor;
      }
      const t1 = core.insns;
      if (this.trace) {
        this.trace.slice(tr, 'guest', 'guest', t0, t1, { pc_entry: hex(vcpu.ctxt.pc) });
        this.trace.slice(this.cpu, `world switch → ${who}`, 'world-switch', t0, t1);
        if (ret === ARM_EXCEPTION_IRQ) {
          // A physical interrupt taken to EL2 while the guest ran (EXIT_HYP_ASYNC), or the end of its slice.
          const physical = irqExits !== vcpu.irq_exits;
          this.trace.instant(tr, physical ? 'exit: IRQ (a physical interrupt while the guest ran)' : 'exit: IRQ (end of slice: the hyp timer tick)', 'interrupt', t1);
        }
        else this.exitEvent(tr, vcpu, t1);
      }
      return ret;
    };
    const trap = ws.opts.handleGuestTrap;
    if (trap) {
      ws.opts.handleGuestTrap = (vcpu, esr) => {
        const tr = this.vcpuTrack(vcpu);
        const t = core.insns;
        const x = [0, 1, 2, 3].map((i) => core.getX(i));
        const ec = Number((esr >> 26n) & 0x3fn);
        const name = ec === 0x16 ? `guest HVC ${guestHvcName(x[0]!)}` : `exit to hyp: ${exitName(esr)}`;
        const prevActor = this.actor;
        this.actor = tr;
        const runCause = this.tracker.setCause(`${this.vmName(vcpu.vm.handle)} vCPU ${vcpu.vcpu_idx}: ${name}(${x.slice(1).map(hex).join(', ')})`);
        let r: 'resume' | 'exit';
        try {
          r = trap(vcpu, esr);
        } finally {
          this.tracker.sync();
          this.tracker.setCause(runCause); // the guest runs on
          this.actor = prevActor;
        }
        if (this.trace) {
          const args: Args = { esr: hex(esr), x0: hex(x[0]!), x1: hex(x[1]!), x2: hex(x[2]!), x3: hex(x[3]!), handled_by: r === 'resume' ? 'hyp' : 'host' };
          if (r === 'resume') [0, 1, 2, 3].forEach((i) => { args[`x${i}_ret`] = hex(core.getX(i)); });
          this.trace.slice(tr, name, ec === 0x16 ? 'guest-hvc' : 'exit', t, core.insns, args);
        }
        return r;
      };
    }
    // The fault fast path's donations, at the instruction count the core logged for each.
    const hooks = ws.guestRunHooks;
    if (hooks) {
      ws.guestRunHooks = {
        before: (v) => hooks.before(v),
        after: (v) => {
          const words = core.words;
          const n = words[(L.PKVM_FAST + L.PF_LOG_COUNT) >> 2]!;
          const log: { page: number; t: bigint }[] = [];
          const vm = n ? [...this.world.vms.values()].find((x) => x.handle === v.vm.handle) : undefined;
          for (let i = 0; i < n; i++) {
            const e = (L.PKVM_FAST_LOG >> 2) + i * 8;
            const gfn = words[e + 1]! * 0x1_0000_0000 + words[e]!;
            const pa = words[e + 3]! * 0x1_0000_0000 + words[e + 2]!;
            const page = pa / 4096 - Number(this.tracker.basePfn);
            if (vm) this.tracker.learn(page, vm, BigInt(gfn));
            log.push({ page, t: BigInt(words[e + 5]! * 0x1_0000_0000 + words[e + 4]!) });
          }
          hooks.after(v);
          if (log.length) this.tracker.recheckAt(log);
        },
      };
    }
  }

  /**
   * Interrupt delivery for the trace (InterruptTrace of machine-trace.ts): the GIC path calls it
   * when an interrupt is raised, taken, injected into a vCPU (list register) or completed. `vcpu`
   * puts it on that vCPU's track, else on the CPU's.
   */
  interrupt(intid: number, what: 'raised' | 'taken' | 'eoi' | 'injected', t: bigint, vcpu?: PkvmHypVcpu, args: Args = {}): void {
    if (!this.trace) return;
    this.trace.instant(vcpu ? this.vcpuTrack(vcpu) : this.cpu, `IRQ ${intid} ${what}`, 'interrupt', t, { intid, ...args });
  }

  /** The exit the host will handle (vcpu.fault as the hyp saw it). */
  private exitEvent(tr: Track, vcpu: PkvmHypVcpu, t: bigint): void {
    const { esr_el2: esr, far_el2: far, hpfar_el2: hpfar } = vcpu.fault;
    const ec = Number((esr >> 26n) & 0x3fn);
    const args: Args = { esr: hex(esr), far: hex(far), hpfar: hex(hpfar), ec: hex(ec) };
    if (ec === 0x20 || ec === 0x24) {
      const ipa = ((hpfar >> 4n) << 12n) | (far & 0xfffn);
      args.ipa = hex(ipa);
      const vm = [...this.world.vms.values()].find((v) => v.handle === vcpu.vm.handle);
      const inMemory = vm?.slot.contains(ipa) ?? false;
      if (ec === 0x24) {
        args.write = ((esr >> 6n) & 1n) === 1n;
        if ((esr >> 24n) & 1n) { args.size = 1 << Number((esr >> 22n) & 3n); args.reg = Number((esr >> 16n) & 0x1fn); }
      }
      this.trace!.instant(tr, inMemory ? 'stage-2 fault' : 'MMIO', inMemory ? 's2-fault' : 'mmio', t, args);
      return;
    }
    this.trace!.instant(tr, `exit: ${exitName(esr)}`, 'exit', t, args);
  }

  private wrapTimeline(): void {
    const tl = this.world.el2.trace;
    const emit = tl.emit.bind(tl), emitAt = tl.emitAt.bind(tl);
    const record = (t: bigint, kind: string, text: string): void => {
      if (!this.trace || !tl.enabled) return;
      if (kind === 'hcall' && !text.startsWith('actions[')) return; // the host-hvc slices say it better
      const name = text.length > 90 ? `${text.slice(0, 87)}...` : text;
      this.trace.instant(this.actor, name, kind === 'note' ? 'action' : kind, t, { text });
    };
    tl.emit = (kind, text) => { emit(kind, text); record(this.world.core.insns, kind, text); };
    tl.emitAt = (t, kind, text) => { emitAt(t, kind, text); record(t, kind, text); };
  }

  /** New transitions: instants grouped by kind, and the counters. */
  private pagesChanged(t: bigint): void {
    const tr = this.tracker, trace = this.trace;
    const fresh = tr.transitions.slice(this.seenTransitions);
    this.seenTransitions = tr.transitions.length;
    if (!trace) return;
    const groups = new Map<string, Transition[]>();
    for (const x of fresh) {
      const k = `${transitionName(tr, x)}\u0000${x.t}`;
      const g = groups.get(k);
      if (g) g.push(x); else groups.set(k, [x]);
    }
    for (const [k, g] of groups) {
      const name = k.split('\u0000')[0]!;
      const pas = g.slice(0, 8).map((x) => hex((tr.basePfn + BigInt(x.page)) << 12n)).join(' ');
      trace.instant(this.actor, name, 'pages', g[0]!.t, { pages: g.length, pa: pas + (g.length > 8 ? ' ...' : ''), cause: tr.causes[g[0]!.cause]! });
    }
    for (const [owner, c] of tr.counts()) trace.counter('pages', `pages: ${owner}`, t, c);
  }
}

/** donate / share / unshare / reclaim / ... from the owner change of one transition. */
export function transitionName(tr: PageTracker, x: Transition): string {
  const prev = tr.previousOf(x);
  const o = (id: number): string => tr.owners[id]!;
  if (prev.owner === x.owner) {
    if (x.state === 1 && prev.state === 0) return `share ${o(x.owner)} → ${o(x.borrower)}`;
    if (x.state === 0 && prev.state === 1) return `unshare ${o(x.owner)} ← ${o(prev.borrower)}`;
    return `${o(x.owner)} ${STATE_NAMES[prev.state]} → ${STATE_NAMES[x.state]}`;
  }
  if (prev.owner === NOBODY) return `${o(x.owner)} takes a free page`;
  if (x.owner === NOBODY) return `${o(prev.owner)} page freed`;
  if (x.owner === HOST && prev.owner !== HYP) return `reclaim ${o(prev.owner)} → HOST`;
  if (x.owner === HOST && prev.owner === HYP) return 'HYP → HOST (unshare/reclaim)';
  if (prev.owner === HOST && x.owner === HYP) return 'donate HOST → HYP';
  if (prev.owner === HOST) return x.state === 1 ? `share ${o(x.owner)} ↔ HOST` : `donate HOST → ${o(x.owner)}`;
  return `${o(prev.owner)} → ${o(x.owner)}`;
}
