/**
 * The `actions:` list: host actions executed in order. Each action is a mapping with one verb key
 * (run, create, destroy, teardown, baseline, hcall, read, write, alloc, free, check, lifecycle, and
 * with machine.iommu the DMA verbs dma_map, dma_unmap, dma_copy, dma_reclaim) plus that
 * verb's modifiers; verbs without an argument may be written bare (`- run`, `- teardown`).
 * Names are checked in order: an address name must be defined (alloc / `as`) before it is used.
 */
import type { AccessExpect, Action, DmaAddr, DmaBytesExpect, DmaCopyExpect, Expr, HcallExpect, IommuMode, ScenarioKind, Target } from './schema';
import { HOST_HCALLS, KVM_HOST_SMCCC_FUNC, type HostHcallName } from './hyp-api';
import { Reader, isPlain, join, show, suggest } from './reader';
import { count, errno, expr, size as sizeValue, smccc } from './values';
import { DMA_REASONS, DMA_PROTS } from './dma-names';
import { validateExpect, type ExpectContext } from './validate-expect';
import { validateFfaAction, type FfaMode } from './ffa-action';

const VERBS = ['run', 'create', 'destroy', 'teardown', 'baseline', 'hcall', 'read', 'write', 'alloc', 'free', 'check', 'lifecycle',
  'dma_map', 'dma_unmap', 'dma_copy', 'dma_reclaim', 'ffa'] as const;
const DMA_VERBS: readonly Verb[] = ['dma_map', 'dma_unmap', 'dma_copy', 'dma_reclaim'];
/** Verbs that talk to the hyp's paravirtual IOMMU (machine.iommu: hypercall). */
const HYPERCALL_DMA_VERBS: readonly Verb[] = ['dma_map', 'dma_unmap', 'dma_reclaim'];
type Verb = (typeof VERBS)[number];
const A64_VERBS: readonly Verb[] = ['run', 'hcall', 'read', 'write', 'check'];
const MODIFIERS: Record<Verb, readonly string[]> = {
  run: ['slice', 'until'], create: [], destroy: [], teardown: [], baseline: [], hcall: ['args', 'expect'],
  read: ['expect'], write: ['expect'], alloc: [], free: [], check: [], lifecycle: [],
  dma_map: ['expect'], dma_unmap: ['expect'], dma_copy: ['expect'], dma_reclaim: ['expect'], ffa: ['expect'],
};
/** Names every scenario may use in a number: the hyp carve-out and RAM (fields pa, pfn). */
export const BUILTIN_ADDRESSES = ['carveout', 'ram'] as const;
const VM_FIELDS = ['handle', 'kvm'];
const ADDR_FIELDS = ['pa', 'pfn'];
const SIZES = [1, 2, 4, 8, 4096];

interface Names { vms: string[]; created: Set<string>; everCreated: Set<string>; addrs: Set<string>; iommu: IommuMode; ffa: FfaMode }

export function validateActions(r: Reader, path: string, v: unknown, kind: ScenarioKind, vms: string[], expectCtx: ExpectContext, iommu: IommuMode = 'none', ffa: FfaMode = 'none'): Action[] {
  const list = r.list(path, v);
  const byAction = vmsCreatedByAction(list);
  const initial = vms.filter((n) => !byAction.has(n));
  const names: Names = { vms, created: new Set(initial), everCreated: new Set(initial), addrs: new Set(BUILTIN_ADDRESSES), iommu, ffa };
  return list.map((a, i) => action(r, join(path, i), a, kind, names, expectCtx));
}

/** VMs a `create` action names (created then, not at the start). */
export function vmsCreatedByAction(v: unknown): Set<string> {
  const s = new Set<string>();
  if (Array.isArray(v)) for (const a of v) {
    if (isPlain(a) && typeof a.create === 'string') s.add(a.create);
    if (isPlain(a) && isPlain(a.lifecycle) && typeof a.lifecycle.vm === 'string') s.add(a.lifecycle.vm);
  }
  return s;
}

function action(r: Reader, path: string, a: unknown, kind: ScenarioKind, n: Names, ectx: ExpectContext): Action {
  const allowed = kind === 'kvm' ? VERBS : A64_VERBS;
  let verb: Verb;
  let o: Record<string, unknown>;
  if (typeof a === 'string') {
    if (!(allowed as readonly string[]).includes(a)) r.fail(path, `unknown action ${show(a)}${suggest(a, allowed)}`);
    verb = a as Verb;
    o = { [verb]: null };
  } else {
    o = r.map(path, a);
    const verbs = Object.keys(o).filter((k) => (VERBS as readonly string[]).includes(k));
    if (verbs.length !== 1) {
      const k = Object.keys(o).find((x) => !(VERBS as readonly string[]).includes(x));
      r.fail(path, verbs.length ? `one action per list item, got ${verbs.join(' and ')}` : `expected an action${k ? `, got unknown key "${k}"${suggest(k, allowed)}` : ''}`);
    }
    verb = verbs[0] as Verb;
    if (!allowed.includes(verb)) r.fail(join(path, verb), `not available in an ${kind} scenario (actions there: ${allowed.join(', ')})`);
    r.obj(path, o, [verb, ...MODIFIERS[verb]]);
  }
  const p = join(path, verb);
  const val = o[verb];
  if (DMA_VERBS.includes(verb)) {
    if (n.iommu === 'none') r.fail(p, 'needs the DMA board: set machine.iommu to hypercall or mirror');
    if (n.iommu === 'mirror' && HYPERCALL_DMA_VERBS.includes(verb))
      r.fail(p, 'only with machine.iommu: hypercall (in mirror mode the SMMU shares the host stage-2: there is nothing to map, and bus addresses are PAs)');
  }
  const vmName = (): string => {
    const name = r.name(p, val);
    if (!n.vms.includes(name)) r.fail(p, `no VM named "${name}"${suggest(name, n.vms)}`);
    return name;
  };
  switch (verb) {
    case 'run': {
      const insns = val === null || val === undefined || val === 'stopped' ? null : count(r, p, val, 'stopped or an instruction count like 50M');
      const slice = o.slice === undefined ? null : Number(r.int(join(path, 'slice'), o.slice, 1000n, 100_000_000n));
      let until: { vm: string; text: string } | null = null;
      if (o.until !== undefined) {
        const q = join(path, 'until');
        if (kind !== 'kvm') r.fail(q, 'only a kvm scenario can stop at a VM\'s console output');
        const entries = Object.entries(r.map(q, o.until));
        if (entries.length !== 1) r.fail(q, 'expected one VM and the text its console must contain, like { pvm: "done" }');
        const [vm, text] = entries[0];
        if (!n.vms.includes(vm)) r.fail(join(q, vm), `no VM named "${vm}"${suggest(vm, n.vms)}`);
        until = { vm, text: r.str(join(q, vm), text) };
        if (until.text === '') r.fail(join(q, vm), 'expected a non-empty text');
      }
      return { path, kind: 'run', insns, slice, until };
    }
    case 'create': {
      const vm = vmName();
      if (n.everCreated.has(vm)) r.fail(p, `VM "${vm}" is already created (a VM is created once)`);
      n.created.add(vm); n.everCreated.add(vm);
      return { path, kind: 'create', vm };
    }
    case 'destroy': {
      const vm = vmName();
      if (!n.created.has(vm)) r.fail(p, `VM "${vm}" is not created at this point`);
      n.created.delete(vm);
      return { path, kind: 'destroy', vm };
    }
    case 'teardown': case 'baseline':
      if (val !== null && val !== undefined && val !== true) r.fail(p, `takes no argument, got ${show(val)}`);
      if (verb === 'teardown') n.created.clear();
      return { path, kind: verb };
    case 'hcall': return hcall(r, path, o, n);
    case 'read': case 'write': return access(r, path, verb, o, kind, n);
    case 'alloc': {
      const name = r.name(p, val);
      if (n.addrs.has(name) || n.vms.includes(name)) r.fail(p, `name "${name}" is already used`);
      n.addrs.add(name);
      return { path, kind: 'alloc', name };
    }
    case 'free': {
      const name = r.name(p, val);
      if (!n.addrs.has(name) || (BUILTIN_ADDRESSES as readonly string[]).includes(name)) r.fail(p, `no allocated page named "${name}"`);
      n.addrs.delete(name);
      return { path, kind: 'free', name };
    }
    case 'check': return { path, kind: 'check', expect: validateExpect(r, p, val, ectx) };
    case 'ffa': {
      if (n.ffa === 'none') r.fail(p, 'needs the FF-A endpoint: set machine.ffa to upstream or lend-revokes-host');
      return validateFfaAction(r, path, o, (q, e) => checkExpr(r, q, e, n), (q, name) => {
        if (n.addrs.has(name) || n.vms.includes(name)) r.fail(q, `name "${name}" is already used`);
        n.addrs.add(name);
      });
    }
    case 'dma_map': case 'dma_unmap': return dmaMapUnmap(r, path, verb, o, n);
    case 'dma_copy': return dmaCopy(r, path, o, n);
    case 'dma_reclaim': {
      if (val !== null && val !== undefined && val !== true) r.fail(p, `takes no argument, got ${show(val)}`);
      const e = o.expect === undefined ? null : r.int(join(path, 'expect'), o.expect, 0n, 1n << 32n, 'a page count');
      return { path, kind: 'dma_reclaim', expect: e };
    }
    case 'lifecycle': { // create, run until stopped, destroy: `times` times (a leak check per round)
      const lo = r.map(p, val);
      r.obj(p, lo, ['vm', 'times']);
      const vm = r.name(join(p, 'vm'), lo.vm);
      if (!n.vms.includes(vm)) r.fail(join(p, 'vm'), `no VM named "${vm}"${suggest(vm, n.vms)}`);
      if (n.everCreated.has(vm)) r.fail(join(p, 'vm'), `VM "${vm}" is created elsewhere; a lifecycle VM is created only by its lifecycle`);
      const times = Number(r.int(join(p, 'times'), lo.times, 1n, 1000n));
      return { path, kind: 'lifecycle', vm, times };
    }
  }
}

function checkExpr(r: Reader, path: string, e: Expr, n: Names): Expr {
  if (e.kind === 'lit') return e;
  if (n.vms.includes(e.name)) {
    if (e.field !== null && !VM_FIELDS.includes(e.field)) r.fail(path, `a VM has ${VM_FIELDS.join(' and ')}, not "${e.field}"`);
  } else if (n.addrs.has(e.name)) {
    if (e.field !== null && !ADDR_FIELDS.includes(e.field)) r.fail(path, `an address has ${ADDR_FIELDS.join(' and ')}, not "${e.field}"`);
  } else {
    r.fail(path, `unknown name "${e.name}"${suggest(e.name, [...n.vms, ...n.addrs])}`);
  }
  return e;
}

function hcall(r: Reader, path: string, o: Record<string, unknown>, n: Names): Action {
  const p = join(path, 'hcall');
  let name: string | null = null;
  let id: bigint;
  if (typeof o.hcall === 'string' && !/^(0x[0-9a-f_]+|\d+)$/i.test(o.hcall)) {
    if (!(HOST_HCALLS as readonly string[]).includes(o.hcall)) r.fail(p, `unknown host hypercall "${o.hcall}"${suggest(o.hcall, HOST_HCALLS)}`);
    name = o.hcall;
    id = KVM_HOST_SMCCC_FUNC(name as HostHcallName);
  } else {
    id = r.int(p, o.hcall, 0n, (1n << 64n) - 1n, 'a host hypercall name or a function id');
  }
  const args = o.args === undefined ? [] : r.list(join(path, 'args'), o.args).map((a, i) => checkExpr(r, join(join(path, 'args'), i), expr(r, join(join(path, 'args'), i), a), n));
  if (args.length > 5) r.fail(join(path, 'args'), `at most 5 arguments (x1..x5), got ${args.length}`);
  let expect: HcallExpect | null = null;
  if (o.expect !== undefined) {
    const q = join(path, 'expect');
    if (isPlain(o.expect)) {
      const e = r.obj(q, o.expect, ['x0', 'x1']);
      expect = {
        x0: e.x0 === undefined ? undefined : smccc(r, join(q, 'x0'), e.x0),
        x1: e.x1 === undefined ? undefined : BigInt.asUintN(64, BigInt(errnoOrInt(r, join(q, 'x1'), e.x1))),
      };
    } else if (typeof o.expect === 'string' && /^[A-Z_]+$/.test(o.expect) && !o.expect.startsWith('E')) {
      expect = { x0: smccc(r, q, o.expect) };
    } else {
      expect = { x0: 0n, x1: BigInt.asUintN(64, BigInt(errno(r, q, o.expect))) };
    }
  }
  return { path, kind: 'hcall', name, id, args, expect };
}

function errnoOrInt(r: Reader, path: string, v: unknown): bigint {
  if (typeof v === 'string' && /E[A-Z]/.test(v)) return BigInt(errno(r, path, v));
  return r.int(path, v, -(1n << 63n), (1n << 64n) - 1n, 'an errno like -EPERM or a number');
}

function access(r: Reader, path: string, verb: 'read' | 'write', o: Record<string, unknown>, kind: ScenarioKind, n: Names): Action {
  const p = join(path, verb);
  const t = r.obj(p, o[verb], verb === 'read' ? ['vm', 'ipa', 'pa', 'size', 'as'] : ['vm', 'ipa', 'pa', 'size', 'value', 'as']);
  let target: Target;
  if (t.pa !== undefined) {
    if (t.vm !== undefined || t.ipa !== undefined) r.fail(p, 'give either pa, or vm and ipa');
    target = { pa: checkExpr(r, join(p, 'pa'), expr(r, join(p, 'pa'), t.pa), n) };
  } else {
    if (kind !== 'kvm') r.fail(p, 'an a64-host scenario has no VMs: give pa');
    if (t.vm === undefined || t.ipa === undefined) r.fail(p, 'expected pa, or vm and ipa');
    const vm = r.name(join(p, 'vm'), t.vm);
    if (!n.vms.includes(vm)) r.fail(join(p, 'vm'), `no VM named "${vm}"${suggest(vm, n.vms)}`);
    target = { vm, ipa: checkExpr(r, join(p, 'ipa'), expr(r, join(p, 'ipa'), t.ipa), n) };
  }
  const size = t.size === undefined ? 8 : Number(r.int(join(p, 'size'), t.size, 1n, 4096n));
  if (!SIZES.includes(size) || (verb === 'write' && size > 8)) r.fail(join(p, 'size'), `expected ${verb === 'write' ? '1, 2, 4 or 8' : '1, 2, 4, 8 or 4096'}, got ${size}`);
  let as: string | null = null;
  if (t.as !== undefined) {
    as = r.name(join(p, 'as'), t.as);
    if (n.vms.includes(as) || (BUILTIN_ADDRESSES as readonly string[]).includes(as)) r.fail(join(p, 'as'), `name "${as}" is already used`);
    n.addrs.add(as);
  }
  const expect = accessExpect(r, join(path, 'expect'), o.expect, verb, size, n);
  if (verb === 'read') return { path, kind: 'read', target, size, as, expect };
  if (t.value === undefined) r.fail(p, 'expected value');
  return { path, kind: 'write', target, size, value: checkExpr(r, join(p, 'value'), expr(r, join(p, 'value'), t.value), n), as, expect };
}

function accessExpect(r: Reader, path: string, v: unknown, verb: 'read' | 'write', size: number, n: Names): AccessExpect {
  if (v === undefined) return { errno: 0 };
  if (!isPlain(v)) return { errno: errno(r, path, v) };
  const e = r.obj(path, v, verb === 'read' ? ['errno', 'value', 'zero'] : ['errno']);
  const out: AccessExpect = { errno: e.errno === undefined ? 0 : errno(r, join(path, 'errno'), e.errno) };
  if (e.value !== undefined) {
    if (size > 8) r.fail(join(path, 'value'), 'a value is compared for reads of 1, 2, 4 or 8 bytes; use zero: true for a page');
    out.value = checkExpr(r, join(path, 'value'), expr(r, join(path, 'value'), e.value), n);
  }
  if (e.zero !== undefined) out.zero = r.bool(join(path, 'zero'), e.zero);
  if (out.errno !== 0 && (out.value !== undefined || out.zero)) r.fail(path, 'a refused read has no value to compare');
  return out;
}

/** A DMA address: a number or name (`page`, `page.pa + 0x800`), or `{ vm, ipa }`: the page backing that IPA. */
function dmaAddr(r: Reader, path: string, v: unknown, n: Names): DmaAddr {
  if (!isPlain(v)) return { expr: checkExpr(r, path, expr(r, path, v), n) };
  const t = r.obj(path, v, ['vm', 'ipa']);
  if (t.vm === undefined || t.ipa === undefined) r.fail(path, 'expected a number or a name, or vm and ipa');
  const vm = r.name(join(path, 'vm'), t.vm);
  if (!n.vms.includes(vm)) r.fail(join(path, 'vm'), `no VM named "${vm}"${suggest(vm, n.vms)}`);
  return { vm, ipa: checkExpr(r, join(path, 'ipa'), expr(r, join(path, 'ipa'), t.ipa), n) };
}

/** A byte count: an integer or a size like 4K (0 allowed). */
function bytes(r: Reader, path: string, v: unknown): bigint {
  if (typeof v === 'string' && /[kmg]/i.test(v) && !/^0x/i.test(v.trim())) return BigInt(sizeValue(r, path, v));
  return r.int(path, v, 0n, (1n << 64n) - 1n, 'a byte count like 4096 or 4K');
}

function pages(r: Reader, path: string, v: unknown): bigint {
  return v === undefined ? 1n : r.int(path, v, 1n, 1n << 20n, 'a page count');
}

function dmaBytesExpect(r: Reader, path: string, v: unknown, verb: 'dma_map' | 'dma_unmap'): DmaBytesExpect | null {
  if (v === undefined) return null;
  if (verb === 'dma_map' && typeof v === 'string' && /^-?E[A-Z0-9]+$/.test(v.trim())) {
    const e = errno(r, path, v);
    if (e === 0) r.fail(path, 'expected an errno like -EPERM, or the bytes mapped');
    return { errno: e };
  }
  if (isPlain(v)) {
    const o = r.obj(path, v, verb === 'dma_map' ? ['bytes', 'errno'] : ['bytes']);
    if ((o.bytes === undefined) === (o.errno === undefined)) r.fail(path, verb === 'dma_map' ? 'expected bytes or errno' : 'expected bytes');
    return o.bytes !== undefined ? { bytes: bytes(r, join(path, 'bytes'), o.bytes) } : { errno: errno(r, join(path, 'errno'), o.errno) };
  }
  return { bytes: bytes(r, path, v) };
}

function dmaMapUnmap(r: Reader, path: string, verb: 'dma_map' | 'dma_unmap', o: Record<string, unknown>, n: Names): Action {
  const p = join(path, verb);
  const t = r.obj(p, o[verb], verb === 'dma_map' ? ['iova', 'pa', 'pages', 'prot'] : ['iova', 'pages']);
  if (t.iova === undefined) r.fail(join(p, 'iova'), 'missing');
  const iova = checkExpr(r, join(p, 'iova'), expr(r, join(p, 'iova'), t.iova), n);
  const np = pages(r, join(p, 'pages'), t.pages);
  const expect = dmaBytesExpect(r, join(path, 'expect'), o.expect, verb);
  if (verb === 'dma_unmap') return { path, kind: 'dma_unmap', iova, pages: np, expect };
  if (t.pa === undefined) r.fail(join(p, 'pa'), 'missing');
  const pa = dmaAddr(r, join(p, 'pa'), t.pa, n);
  let prot: number;
  if (t.prot === undefined) prot = DMA_PROTS.rw;
  else if (typeof t.prot === 'string' && t.prot in DMA_PROTS) prot = DMA_PROTS[t.prot];
  else prot = Number(r.int(join(p, 'prot'), t.prot, 0n, 0xffff_ffffn, `${Object.keys(DMA_PROTS).join(', ')} or a number (IOMMU_READ = 1, IOMMU_WRITE = 2)`));
  return { path, kind: 'dma_map', iova, pa, pages: np, prot, expect };
}

function dmaCopy(r: Reader, path: string, o: Record<string, unknown>, n: Names): Action {
  const p = join(path, 'dma_copy');
  const t = r.obj(p, o.dma_copy, ['src', 'dst', 'len']);
  for (const k of ['src', 'dst', 'len'] as const) if (t[k] === undefined) r.fail(join(p, k), 'missing');
  const src = dmaAddr(r, join(p, 'src'), t.src, n);
  const dst = dmaAddr(r, join(p, 'dst'), t.dst, n);
  const len = bytes(r, join(p, 'len'), t.len);
  const q = join(path, 'expect');
  let expect: DmaCopyExpect = { status: 'done' };
  if (o.expect !== undefined) {
    if (!isPlain(o.expect)) expect = { status: r.oneOf(q, o.expect, ['done', 'fault'] as const) };
    else {
      const e = r.obj(q, o.expect, ['status', 'bytes', 'iova', 'write', 'reason']);
      const faultish = e.iova !== undefined || e.write !== undefined || e.reason !== undefined;
      const status = e.status === undefined ? (faultish ? 'fault' : 'done') : r.oneOf(join(q, 'status'), e.status, ['done', 'fault'] as const);
      if (status === 'done' && faultish) r.fail(q, 'a transfer that is done has no fault iova, write or reason');
      expect = { status };
      if (e.bytes !== undefined) expect.bytes = bytes(r, join(q, 'bytes'), e.bytes);
      if (e.iova !== undefined) expect.iova = checkExpr(r, join(q, 'iova'), expr(r, join(q, 'iova'), e.iova), n);
      if (e.write !== undefined) expect.write = r.bool(join(q, 'write'), e.write);
      if (e.reason !== undefined) {
        const reason = r.str(join(q, 'reason'), e.reason);
        if (!DMA_REASONS.includes(reason)) r.fail(join(q, 'reason'), `unknown fault reason${suggest(reason, DMA_REASONS)}`);
        expect.reason = reason;
      }
    }
  }
  return { path, kind: 'dma_copy', src, dst, len, expect };
}
