/**
 * Executes one host action of a scenario. Expected outcomes given on the action (the errno of an
 * access, x0/x1 of a hypercall) are checked here; each action also leaves a note in the timeline.
 */
import { runAll, HostAccessError, type HostHcallName, asSigned, vmmResolve, VmmAccessError } from './hyp-api';
import type { Action, Target } from './schema';
import { ActionError, type RunState } from './run-state';
import { createVm } from './world';
import { checkExpectations } from './expect';
import { errnoName, smcccName } from './errno';

const hex = (v: bigint): string => `0x${v.toString(16)}`;
type Of<K extends Action['kind']> = Extract<Action, { kind: K }>;

export function runAction(st: RunState, a: Action): void {
  switch (a.kind) {
    case 'run': return st.scenario.kind === 'kvm' ? runGuests(st, a) : runHost(st, a);
    case 'create': {
      const vm = createVm(st.world, st.scenario.vms.find((v) => v.name === a.vm)!);
      return st.note(`${a.path}: created ${vm.name}`);
    }
    case 'destroy': return destroy(st, a.vm);
    case 'teardown':
      for (const vm of st.world.vms.values()) if (vm.state !== 'destroyed') destroy(st, vm.name);
      return;
    case 'baseline':
      st.baseline = st.world.kvm!.alloc.freePages;
      return st.note(`${a.path}: baseline ${st.baseline} free host pages`);
    case 'hcall': return hcall(st, a);
    case 'read': case 'write': return access(st, a);
    case 'alloc': {
      const pa = st.world.kvm!.allocPage();
      st.names.set(a.name, pa);
      return st.note(`${a.path}: ${a.name} = host page ${hex(pa)} (pfn ${hex(pa >> 12n)})`);
    }
    case 'free':
      st.world.kvm!.alloc.free(st.names.get(a.name)!);
      st.names.delete(a.name);
      return;
    case 'lifecycle': return lifecycle(st, a);
    case 'check': {
      const [checks, failures] = [st.checks, st.failures.length];
      checkExpectations(st, a.expect, false);
      const failed = st.failures.length - failures;
      return st.note(`${a.path}: ${st.checks - checks} expectation(s) checked${failed ? `, ${failed} FAILED` : ', all met'}`);
    }
  }
}

function runGuests(st: RunState, a: Of<'run'>): void {
  const w = st.world;
  const limit = a.insns ?? st.scenario.machine.maxInsns;
  const stop = runAll(w.kvm!, { slice: a.slice ?? st.scenario.machine.slice, maxGuestInsns: limit });
  const running = [...w.vms.values()].filter((v) => v.state === 'running').map((v) => v.name);
  st.note(`${a.path}: ${stop === 'all-stopped' ? 'every VM stopped' : `${limit} guest instructions run${running.length ? `, still running: ${running.join(', ')}` : ''}`}`);
  if (a.insns === null && stop === 'limit') st.fail(a.path, `instruction limit (${limit} guest instructions, machine.max_insns) reached with ${running.join(', ')} still running`);
  st.snapshot(`after ${a.path} (run)`);
}

function runHost(st: RunState, a: Of<'run'>): void {
  const w = st.world;
  if (w.host.state !== 'running') return st.note(`${a.path}: the host is ${w.host.state}, nothing to run`);
  const limit = a.insns ?? st.scenario.machine.maxInsns;
  const r = w.machine!.run(limit);
  switch (r.reason) {
    case 'poweroff': w.host = { state: 'off' }; break;
    case 'reset': w.host = { state: 'reset' }; break;
    case 'semihosting-exit': w.host = r.exitCode === 0 ? { state: 'off' } : { state: 'error', error: `semihosting exit ${r.exitCode}` }; break;
    case 'wfi': w.host = { state: 'error', error: `waits in WFI with nothing to wake it, at pc ${hex(w.core.pc)}` }; break;
    case 'limit':
      if (a.insns === null) st.fail(a.path, `instruction limit (${limit}, machine.max_insns) reached with the host still running at pc ${hex(w.core.pc)}`);
      break;
    default: w.host = { state: 'error', error: `stopped: ${r.reason}` };
  }
  st.note(`${a.path}: host ${w.host.state}${w.host.error ? ` (${w.host.error})` : ''} after ${r.insns} instructions`);
  st.snapshot(`after ${a.path} (run)`);
}

/**
 * Spawns, runs to power-off and tears down the same VM `times` times: every round must power off
 * with the first round's console output and leave the host's free pages exactly as before the first
 * spawn (no leaked page, no leaked handle: the handle is reused every round).
 */
function lifecycle(st: RunState, a: Of<'lifecycle'>): void {
  const w = st.world, kvm = w.kvm!;
  const spec = st.scenario.vms.find((v) => v.name === a.vm)!;
  const before = kvm.alloc.freePages;
  let first: string | null = null;
  let handle: number | null = null;
  for (let i = 1; i <= a.times; i++) {
    const vm = createVm(w, spec);
    handle ??= vm.handle;
    runAll(kvm, { slice: st.scenario.machine.slice, maxGuestInsns: st.scenario.machine.maxInsns });
    const text = vm.consoleText();
    first ??= text;
    const p = `${a.path}[round ${i}]`;
    st.check(vm.state === 'off', p, () => `${vm.name} round ${i}: expected off, got ${vm.state}${vm.error ? ` (${vm.error})` : ''}`);
    st.check(text === first, p, () => `${vm.name} round ${i}: console differs from round 1`);
    st.check(vm.handle === handle, p, () => `${vm.name} round ${i}: handle 0x${vm.handle.toString(16)}, round 1 had 0x${handle!.toString(16)} (leaked handle)`);
    destroy(st, vm.name);
    w.vms.delete(vm.name);
    st.check(kvm.alloc.freePages === before, p, () => `${vm.name} round ${i}: ${before - kvm.alloc.freePages} host page(s) leaked`);
    st.check(w.el2.pkvm.checkInvariants({ strict: true }).length === 0, p, () => `round ${i}: invariants: ${w.el2.pkvm.checkInvariants({ strict: true }).join('; ')}`);
  }
  st.note(`${a.path}: ${a.vm} spawned, run and torn down ${a.times} times; host free pages ${kvm.alloc.freePages} (before: ${before})`);
}

function destroy(st: RunState, name: string): void {
  const vm = st.liveVm(name);
  st.destroyedIn.set(name, st.exitState(name)!);
  st.world.kvm!.destroyVm(vm);
}

function hcall(st: RunState, a: Of<'hcall'>): void {
  const el2 = st.world.el2;
  const args = a.args.map((e) => st.eval(e));
  const frame = [a.id, ...args];
  while (frame.length < 6) frame.push(0n);
  // Traced here, once, with the expectation, rather than by the hyp's own hcall trace.
  const was = el2.trace.enabled;
  el2.trace.enabled = false;
  try {
    if (a.name !== null) {
      const r = el2.hcall(a.name as HostHcallName, ...args);
      frame[0] = r.x0; frame[1] = r.x1;
    } else {
      el2.hcallFrame(frame);
    }
  } finally {
    el2.trace.enabled = was;
  }
  const [x0, x1] = frame;
  const label = `${a.name ?? hex(a.id)}(${args.map(hex).join(', ')})`;
  const got = `x0=${smcccName(asSigned(x0))} x1=${x0 === 0n ? errnoName(asSigned(x1)) : hex(x1)}`;
  let ok = true;
  const e = a.expect;
  if (e?.x0 !== undefined) ok = st.check(x0 === e.x0, `${a.path}.expect`, () => `${label}: expected x0=${smcccName(asSigned(e.x0!))}, got ${got}`) && ok;
  if (e?.x1 !== undefined) ok = st.check(x1 === e.x1, `${a.path}.expect`, () => `${label}: expected x1=${errnoName(asSigned(e.x1!))}, got ${got}`) && ok;
  el2.trace.emit('hcall', `${a.path}: ${label} → ${got}${e ? (ok ? '  (as expected)' : '  (NOT as expected)') : ''}`);
}

/** PA of an access, and why the VMM cannot make it (guest_memfd), if so. */
function resolveTarget(st: RunState, t: Target): { pa: bigint | null; what: string; refused?: string } {
  if ('pa' in t) { const pa = st.eval(t.pa); return { pa, what: `PA ${hex(pa)}` }; }
  const vm = st.liveVm(t.vm);
  const ipa = st.eval(t.ipa);
  const what = `${vm.name} IPA ${hex(ipa)}`;
  if (!vm.slot.contains(ipa)) throw new ActionError(`${what} is outside the VM's memory (${hex(vm.slot.ipaBase)}..${hex(vm.slot.ipaBase + vm.slot.size)})`);
  // The VMM's mapping of the memslot (host-kernel-model/vmm-access.ts): guest_memfd is never mapped.
  try {
    const pa = vmmResolve(st.world.kvm!, vm, ipa);
    return { pa, what: `${what} (PA ${hex(pa)})` };
  } catch (e) {
    if (!(e instanceof VmmAccessError)) throw e;
    const page = vm.slot.pages.get(ipa >> 12n);
    return { pa: page === undefined ? null : page + (ipa & 0xfffn), what, refused: e.why };
  }
}

const EFAULT = -14;

function access(st: RunState, a: Of<'read'> | Of<'write'>): void {
  const t = resolveTarget(st, a.target);
  if (a.as && t.pa !== null) st.names.set(a.as, t.pa);
  let errno = 0;
  let data: Uint8Array | null = null;
  let why = '';
  if (t.refused || t.pa === null) { errno = EFAULT; why = t.refused ?? 'no page'; }
  else {
    try {
      if (a.kind === 'read') data = st.world.hostMem.readBytes(t.pa, a.size);
      else {
        const v = st.eval(a.value);
        const b = new Uint8Array(a.size);
        for (let i = 0; i < a.size; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
        st.world.hostMem.writeBytes(t.pa, b);
      }
    } catch (e) {
      if (!(e instanceof HostAccessError)) throw e;
      errno = e.errno;
      why = 'refused by the host stage-2';
    }
  }
  const value = data && a.size <= 8 ? data.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n) : null;
  const result = errno ? `${errnoName(errno)} (${why})` : a.kind === 'read' ? (value !== null ? `= ${hex(value)}` : data!.every((b) => b === 0) ? '= all zero' : '= data') : 'ok';
  st.note(`${a.path}: ${a.kind} ${a.size} bytes at ${t.what}: ${result}`);
  const p = `${a.path}.expect`;
  if (!st.check(errno === a.expect.errno, p, () => `${a.kind} at ${t.what}: expected ${a.expect.errno ? errnoName(a.expect.errno) : 'success'}, got ${errno ? errnoName(errno) : 'success'}${why ? ` (${why})` : ''}`)) return;
  if (a.expect.value !== undefined && value !== null) {
    const want = BigInt.asUintN(a.size * 8, st.eval(a.expect.value));
    st.check(value === want, p, () => `read at ${t.what}: expected ${hex(want)}, got ${hex(value)}`);
  }
  if (a.expect.zero && data) st.check(data.every((b) => b === 0), p, () => `read at ${t.what}: expected all zero, got non-zero bytes`);
}
