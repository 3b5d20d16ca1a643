/**
 * Parsed YAML/JSON → Scenario, with defaults. Every error names the file, the path and the reason
 * (ScenarioError, a UserError: the CLI prints it as one line).
 */
import { FFA_MODES } from './ffa-action';
import type { ImageRef, MachineSpec, Scenario, ScenarioKind, VmSpec } from './schema';
import { IOMMU_MODES, OWNERS } from './schema';
import { Reader, join, show } from './reader';
import { count, expr, size } from './values';
import { validateActions, vmsCreatedByAction, BUILTIN_ADDRESSES } from './validate-actions';
import { emptyExpectations, validateExpect, type ExpectContext } from './validate-expect';

export const TOP_KEYS = ['name', 'description', 'kind', 'machine', 'vms', 'host', 'actions', 'expect'] as const;
const VM_KEYS = ['name', 'protected', 'memory', 'vcpus', 'image', 'backing', 'args'] as const;
const MAX_VCPUS = 8;

export const DEFAULT_MACHINE: MachineSpec = { memBytes: 256 << 20, slice: 100_000, maxInsns: 2_000_000_000n, iommu: 'none', faultFastPath: true, smp: 1, jit: true, ffa: 'none', guestHvcAbi: 'upstream', wfiTrapPolicy: 'trap' };

/** Resolves an image path written in the scenario (relative to the scenario file or the repository). */
export type ImageResolver = (r: Reader, path: string, written: string) => ImageRef;

export function validateScenario(file: string, defaultName: string, doc: unknown, resolveImage: ImageResolver): Scenario {
  const r = new Reader(file);
  const o = r.obj('', doc, TOP_KEYS);
  const name = o.name === undefined ? defaultName : r.str('name', o.name);
  const description = o.description === undefined ? '' : r.str('description', o.description).trim();
  const kind: ScenarioKind = o.kind === undefined ? 'kvm' : r.oneOf('kind', o.kind, ['kvm', 'a64-host'] as const);
  const machine = validateMachine(r, o.machine);
  if (kind !== 'kvm' && !machine.faultFastPath) r.fail('machine.fault_fast_path', 'only a kvm scenario has the host kernel model whose fault path this selects');
  if (kind !== 'kvm' && machine.ffa !== 'none') r.fail('machine.ffa', 'only a kvm scenario has the host kernel model\'s FF-A driver');
  if (kind !== 'kvm' && machine.wfiTrapPolicy !== 'trap') r.fail('machine.wfi_trap_policy', 'only a kvm scenario has the host kernel model whose WFI trapping this selects');
  if (kind !== 'kvm' && machine.iommu !== 'none') r.fail('machine.iommu', 'only a kvm scenario has the DMA board (the host drives the engine through the host kernel model)');

  let vms: VmSpec[] = [];
  let host: Scenario['host'] = null;
  if (kind === 'kvm') {
    if (o.host !== undefined) r.fail('host', 'only an a64-host scenario has a host image (set kind: a64-host)');
    if (o.vms === undefined) r.fail('vms', 'missing: a kvm scenario needs at least one VM');
    const byAction = vmsCreatedByAction(o.actions);
    vms = r.list('vms', o.vms).map((v, i) => validateVm(r, join('vms', i), v, resolveImage, byAction));
    if (vms.length === 0) r.fail('vms', 'a kvm scenario needs at least one VM');
    const seen = new Set<string>();
    vms.forEach((vm, i) => {
      if (seen.has(vm.name)) r.fail(join(join('vms', i), 'name'), `duplicate VM name "${vm.name}"`);
      seen.add(vm.name);
    });
  } else {
    if (o.vms !== undefined) r.fail('vms', 'an a64-host scenario has no VMs (the host image is the A64 code)');
    const h = r.obj('host', o.host, ['image']);
    if (h.image === undefined) r.fail('host.image', 'missing');
    host = { image: resolveImage(r, 'host.image', r.str('host.image', h.image)) };
  }

  const runners = kind === 'kvm' ? vms.map((v) => v.name) : ['host'];
  const ectx: ExpectContext = { runners, hasAllocator: kind === 'kvm' };
  const actions = o.actions === undefined ? [{ path: 'run (the default action)', kind: 'run' as const, insns: null, slice: null, until: null }]
    : validateActions(r, 'actions', o.actions, kind, vms.map((v) => v.name), ectx, machine.iommu, machine.ffa);
  const expect = o.expect === undefined ? emptyExpectations('expect') : validateExpect(r, 'expect', o.expect, ectx);
  return { file, name, description, kind, machine, vms, host, actions, expect };
}

function validateMachine(r: Reader, v: unknown): MachineSpec {
  if (v === undefined) return { ...DEFAULT_MACHINE };
  const o = r.obj('machine', v, ['memory', 'slice', 'max_insns', 'iommu', 'fault_fast_path', 'smp', 'jit', 'ffa', 'guest_hvc_abi', 'wfi_trap_policy']);
  const memBytes = o.memory === undefined ? DEFAULT_MACHINE.memBytes : size(r, 'machine.memory', o.memory);
  if (memBytes < 16 << 20 || memBytes > 3840 * 2 ** 20) r.fail('machine.memory', `${show(o.memory)} is out of range (16M..3840M)`);
  const slice = o.slice === undefined ? DEFAULT_MACHINE.slice : Number(count(r, 'machine.slice', o.slice));
  if (slice < 1000 || slice > 100_000_000) r.fail('machine.slice', `${slice} is out of range (1000..100M)`);
  const maxInsns = o.max_insns === undefined ? DEFAULT_MACHINE.maxInsns : count(r, 'machine.max_insns', o.max_insns);
  if (maxInsns <= 0n) r.fail('machine.max_insns', 'must be positive');
  const iommu = o.iommu === undefined ? DEFAULT_MACHINE.iommu : r.oneOf('machine.iommu', o.iommu, IOMMU_MODES);
  const faultFastPath = o.fault_fast_path === undefined ? DEFAULT_MACHINE.faultFastPath : r.bool('machine.fault_fast_path', o.fault_fast_path);
  const smp = o.smp === undefined ? DEFAULT_MACHINE.smp : Number(count(r, 'machine.smp', o.smp));
  if (!(smp >= 1 && smp <= 8)) r.fail('machine.smp', `${show(o.smp)} is out of range (1..8)`);
  const jit = o.jit === undefined ? DEFAULT_MACHINE.jit : r.bool('machine.jit', o.jit);
  const ffa = o.ffa === undefined ? DEFAULT_MACHINE.ffa : r.oneOf('machine.ffa', o.ffa, FFA_MODES);
  const guestHvcAbi = o.guest_hvc_abi === undefined ? DEFAULT_MACHINE.guestHvcAbi : r.oneOf('machine.guest_hvc_abi', o.guest_hvc_abi, ['upstream', 'android'] as const);
  const wfiTrapPolicy = o.wfi_trap_policy === undefined ? DEFAULT_MACHINE.wfiTrapPolicy : r.oneOf('machine.wfi_trap_policy', o.wfi_trap_policy, ['trap', 'notrap'] as const);
  return { memBytes, slice, maxInsns, iommu, faultFastPath, smp, jit, ffa, guestHvcAbi, wfiTrapPolicy };
}

function validateVm(r: Reader, path: string, v: unknown, resolveImage: ImageResolver, byAction: Set<string>): VmSpec {
  const o = r.obj(path, v, VM_KEYS);
  for (const k of ['name', 'protected', 'memory', 'image'] as const) if (o[k] === undefined) r.fail(join(path, k), 'missing');
  const name = r.name(join(path, 'name'), o.name);
  const reserved = ['host', ...OWNERS, ...BUILTIN_ADDRESSES];
  if (reserved.includes(name)) r.fail(join(path, 'name'), `"${name}" is reserved (${reserved.join(', ')})`);
  const vcpus = o.vcpus === undefined ? 1 : Number(r.int(join(path, 'vcpus'), o.vcpus, 1n, BigInt(MAX_VCPUS)));
  const backing = o.backing === undefined ? 'anon' : r.oneOf(join(path, 'backing'), o.backing, ['anon', 'guest_memfd'] as const);
  const args = o.args === undefined ? [] : r.list(join(path, 'args'), o.args).map((a, i) => {
    const e = expr(r, join(join(path, 'args'), i), a);
    if (e.kind !== 'lit') r.fail(join(join(path, 'args'), i), `expected a number, got ${show(a)}`);
    return e.value;
  });
  if (args.length > 3) r.fail(join(path, 'args'), `at most 3 values (x1..x3), got ${args.length}`);
  return {
    name,
    protected: r.bool(join(path, 'protected'), o.protected),
    memBytes: size(r, join(path, 'memory'), o.memory),
    vcpus,
    image: resolveImage(r, join(path, 'image'), r.str(join(path, 'image'), o.image)),
    backing,
    args,
    createdByAction: byAction.has(name),
  };
}
