/**
 * Executes one host action of a scenario. Expected outcomes given on the action (the errno of an
 * access, x0/x1 of a hypercall) are checked here; each action also leaves a note in the timeline.
 */
import { stuckInfo, stuckLine } from '../../machine/stuck';
import { runAll, runVcpu, HostAccessError, type HostHcallName, asSigned, vmmResolve, VmmAccessError, type HostVm } from './hyp-api';
import { DMA_STATUS_DONE, DMA_STATUS_ERROR, kvm_iommu_map_pages } from './hyp-api';
import type { Action, DmaAddr, Target } from './schema';
import { DMA_DOMAIN } from './world';
import { DMA_REASON_CODES, dmaReasonName } from './dma-names';
import { ActionError, type RunState } from './run-state';
import { createVm } from './world';
import { checkExpectations } from './expect';
import { errnoName, smcccName } from './errno';
import { runFfaAction } from './ffa-action';

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
    case 'ffa': return runFfaAction(st, a);
    case 'dma_map': return dmaMap(st, a);
    case 'dma_unmap': return dmaUnmap(st, a);
    case 'dma_copy': return dmaCopy(st, a);
    case 'dma_reclaim': {
      const n = st.world.dma!.host.reclaim();
      st.note(`${a.path}: the host reclaimed ${n} free page(s) of the hyp's IOMMU pool`);
      if (a.expect !== null) st.check(BigInt(n) === a.expect, `${a.path}.expect`, () => `dma_reclaim: expected ${a.expect} page(s), got ${n}`);
      return;
    }
    case 'check': {
      const [checks, failures] = [st.checks, st.failures.length];
      checkExpectations(st, a.expect, false);
      const failed = st.failures.length - failures;
      return st.note(`${a.path}: ${st.checks - checks} expectation(s) checked${failed ? `, ${failed} FAILED` : ', all met'}`);
    }
  }
}

function runGuests(st: RunState, a: Of<'run'>): void {
  if (a.until) return runUntil(st, a, a.until);
  const w = st.world;
  const limit = a.insns ?? st.scenario.machine.maxInsns;
  const stop = runAll(w.kvm!, { slice: a.slice ?? st.scenario.machine.slice, maxGuestInsns: limit });
  const running = [...w.vms.values()].filter((v) => v.state === 'running').map((v) => v.name);
  st.note(`${a.path}: ${stop === 'all-stopped' ? 'every VM stopped' : `${limit} guest instructions run${running.length ? `, still running: ${running.join(', ')}` : ''}`}`);
  if (a.insns === null && stop === 'limit') st.fail(a.path, `instruction limit (${limit} guest instructions, machine.max_insns) reached with ${running.join(', ')} still running`);
  st.snapshot(`after ${a.path} (run)`);
}

/**
 * Runs the VMs round-robin, one guest entry (to its next exit) per turn, until a VM's console
 * contains the text: the run stops at the exit that completed it (a UART write), before the guest
 * executes anything after it. A failure if every VM stops, or the instruction limit is reached, first.
 */
function runUntil(st: RunState, a: Of<'run'>, until: { vm: string; text: string }): void {
  const w = st.world, kvm = w.kvm!, ws = w.el2.ws;
  const limit = a.insns ?? st.scenario.machine.maxInsns;
  const start = ws.guestInsns;
  const vm = st.liveVm(until.vm);
  const what = `${until.vm}'s console to contain ${JSON.stringify(until.text)}`;
  // (each console byte an exit of its own: none served in the core meanwhile)
  const mmioFastPath = kvm.mmioFastPath;
  kvm.mmioFastPath = false;
  for (let turn = 0; !vm.consoleText().includes(until.text); turn++) {
    const runnable: [HostVm, HostVm['vcpus'][number]][] = [];
    for (const v of kvm.vms) if (v.state === 'running') for (const c of v.vcpus) if (c.state === 'runnable') runnable.push([v, c]);
    if (runnable.length === 0 || ws.guestInsns - start >= limit) {
      st.fail(a.path, `${runnable.length ? `instruction limit (${limit} guest instructions) reached` : 'every VM stopped'} before ${what}`);
      break;
    }
    const [v, c] = runnable[turn % runnable.length];
    runVcpu(kvm, v, c, 1);
  }
  kvm.mmioFastPath = mmioFastPath;
  st.note(`${a.path}: ran ${ws.guestInsns - start} guest instructions until ${what}`);
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
    case 'stuck': w.host = { state: 'error', error: stuckLine(stuckInfo(w.core)) }; break; // machine/stuck.ts
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
  if (x0 === 0n) hostRecords(st, a.name, args, x1);
}

/**
 * The host's own records after a successful hypercall the scenario made by hand, as the host kernel
 * keeps them on its own paths: which VM's vCPU is loaded, and which of a VM's backing pages it gave
 * the VM (so that teardown reclaims them rather than freeing a page the guest still owns).
 */
function hostRecords(st: RunState, name: string | null, args: bigint[], x1: bigint): void {
  // __pkvm_vcpu_load/put return nothing (x1 is left as it was); the others return 0 on success.
  if (name === '__pkvm_vcpu_load') st.loadedVm = Number(args[0] ?? 0n);
  else if (name === '__pkvm_vcpu_put') st.loadedVm = null;
  else if ((name === '__pkvm_host_donate_guest' || name === '__pkvm_host_share_guest') && x1 === 0n && st.loadedVm !== null) {
    const vm = [...st.world.vms.values()].find((v) => v.handle === st.loadedVm && v.state !== 'destroyed');
    const [pfn, gfn] = [args[0] ?? 0n, args[1] ?? 0n];
    if (vm && vm.slot.pages.get(gfn) === pfn << 12n) vm.given.add(gfn);
    else st.note(`${name}: page 0x${(pfn << 12n).toString(16)} is not ${vm?.name ?? 'the VM'}'s backing page for gfn 0x${gfn.toString(16)}: the host keeps no record of it (teardown will not reclaim it)`);
  }
}

/** The PA of a DMA address: the value itself, or the page backing a VM's IPA (allocated and pinned on first use, as the VMM's mapping). */
function dmaAddr(st: RunState, d: DmaAddr): { pa: bigint; what: string } {
  if ('expr' in d) { const v = st.eval(d.expr); return { pa: v, what: hex(v) }; }
  const vm = st.liveVm(d.vm);
  const ipa = st.eval(d.ipa);
  if (!vm.slot.contains(ipa)) throw new ActionError(`${vm.name} IPA ${hex(ipa)} is outside the VM's memory (${hex(vm.slot.ipaBase)}..${hex(vm.slot.ipaBase + vm.slot.size)})`);
  const pa = st.world.kvm!.backingPage(vm, ipa >> 12n) + (ipa & 0xfffn);
  return { pa, what: `${hex(pa)} (${vm.name} IPA ${hex(ipa)})` };
}

function dmaMap(st: RunState, a: Of<'dma_map'>): void {
  const { host } = st.world.dma!;
  const iova = st.eval(a.iova);
  const { pa, what } = dmaAddr(st, a.pa);
  const size = a.pages * 4096n;
  const mapped = host.map(DMA_DOMAIN, iova, pa, size, a.prot);
  // The hypercall returns bytes only; the hyp's reason for the first page it refused, from its handler
  // (a refused call changes nothing, so asking again for the rest is side-effect free).
  let reason = 0;
  if (mapped < size) {
    const probe = kvm_iommu_map_pages(st.world.el2.pkvm, DMA_DOMAIN, iova + mapped, pa + mapped, 4096n, (size - mapped) / 4096n, a.prot);
    if (probe.mapped) throw new Error(`dma_map: the hyp mapped on a second call what it refused on the first (${hex(probe.mapped)} bytes)`);
    reason = probe.ret;
  }
  const got = `${hex(mapped)} of ${hex(size)} bytes mapped${reason ? ` (the hyp refused: ${errnoName(reason)})` : ''}`;
  st.note(`${a.path}: map iova ${hex(iova)} → PA ${what}, ${a.pages} page(s), prot ${a.prot}: ${got}`);
  const e = a.expect ?? { bytes: size };
  const ok = 'bytes' in e ? mapped === e.bytes : mapped === 0n && reason === e.errno;
  st.check(ok, `${a.path}.expect`, () => `dma_map at iova ${hex(iova)}: expected ${'bytes' in e ? `${hex(e.bytes)} bytes mapped` : `nothing mapped, refused with ${errnoName(e.errno)}`}, got ${got}`);
}

function dmaUnmap(st: RunState, a: Of<'dma_unmap'>): void {
  const iova = st.eval(a.iova);
  const size = a.pages * 4096n;
  const done = st.world.dma!.host.unmap(DMA_DOMAIN, iova, size);
  st.note(`${a.path}: unmap iova ${hex(iova)}, ${a.pages} page(s): ${hex(done)} bytes unmapped`);
  const want = a.expect && 'bytes' in a.expect ? a.expect.bytes : size;
  st.check(done === want, `${a.path}.expect`, () => `dma_unmap at iova ${hex(iova)}: expected ${hex(want)} bytes unmapped, got ${hex(done)}`);
}

function dmaCopy(st: RunState, a: Of<'dma_copy'>): void {
  const src = dmaAddr(st, a.src), dst = dmaAddr(st, a.dst);
  const r = st.world.dma!.host.dmaCopy(src.pa, dst.pa, a.len);
  const f = r.fault;
  const got = r.status === DMA_STATUS_DONE ? `done, ${hex(r.done)} bytes`
    : r.status === DMA_STATUS_ERROR && f ? `fault at iova ${hex(f.iova)} (${f.write ? 'write' : 'read'}, ${dmaReasonName(f.reason)}) after ${hex(r.done)} bytes`
      : `status ${r.status}, ${hex(r.done)} bytes`;
  st.note(`${a.path}: DMA copy ${hex(a.len)} bytes from ${src.what} to ${dst.what}: ${got}`);
  const e = a.expect, p = `${a.path}.expect`;
  const label = `dma_copy ${src.what} → ${dst.what}`;
  const fault = r.status === DMA_STATUS_ERROR && f !== undefined;
  if (!st.check(e.status === 'done' ? r.status === DMA_STATUS_DONE : fault, p, () => `${label}: expected ${e.status}, got ${got}`)) return;
  const bytes = e.bytes ?? (e.status === 'done' ? a.len : undefined);
  if (bytes !== undefined) st.check(r.done === bytes, p, () => `${label}: expected ${hex(bytes)} bytes copied, got ${got}`);
  if (!fault) return;
  if (e.iova !== undefined) { const want = st.eval(e.iova); st.check(f.iova === want, p, () => `${label}: expected the fault at iova ${hex(want)}, got ${got}`); }
  if (e.write !== undefined) st.check(f.write === e.write, p, () => `${label}: expected a ${e.write ? 'write' : 'read'} fault, got ${got}`);
  if (e.reason !== undefined) st.check(f.reason === DMA_REASON_CODES[e.reason], p, () => `${label}: expected ${e.reason}, got ${got}`);
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
