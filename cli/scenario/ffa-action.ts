/**
 * The `ffa` action (machine.ffa): the host's FF-A driver (host-kernel-model/ffa.ts) calls the board's
 * secure world through pKVM's FF-A proxy at EL2 (hyp/ffa/). Validation and execution in one file.
 *
 *   - ffa: version                                   # FFA_VERSION(1.1); bare calls take no fields
 *   - ffa: { call: share, pages: [{ pa: page, count: 2 }], as: h1 }   # FFA_MEM_SHARE; the handle named h1
 *     expect: SUCCESS                                # an FF-A result (default SUCCESS), or "1.1" for version
 *   - ffa: { call: sp_read, handle: h1, offset: 8 }  # the partition reads the shared memory
 *     expect: { value: 0x1234 }
 *
 * Calls: version (field version: "1.0"), id_get, features (field id: a function id), rxtx_map,
 * rxtx_unmap, rx_release, partition_info, share / lend (pages, fragment: constituents per fragment,
 * total_pages: what the descriptor claims, clear: true), reclaim (handle, clear), sp_retrieve,
 * sp_relinquish, sp_read (handle, offset), sp_write (handle, offset, value).
 */
import { HANDLE_HIGH, HANDLE_LOW, FFA_FN64_MSG_SEND_DIRECT_RESP, FFA_MEM_CLEAR, FFA_PACK_VERSION_INFO, FFA_RET_NAMES, FFA_VERSION_1_1, ffaFnName } from '../../machine/ffa/abi';
import { SP_CMD_READ, SP_CMD_RELINQUISH, SP_CMD_RETRIEVE, SP_CMD_WRITE } from '../../machine/ffa/sp';
import type { FfaCallResult } from '../../host-kernel-model/ffa';
import type { Expr } from './schema';
import type { RunState } from './run-state';
import { Reader, join, show, suggest } from './reader';
import { expr } from './values';

export const FFA_CALLS = ['version', 'id_get', 'features', 'rxtx_map', 'rxtx_unmap', 'rx_release', 'partition_info', 'share', 'lend',
  'reclaim', 'sp_retrieve', 'sp_relinquish', 'sp_read', 'sp_write'] as const;
export type FfaCall = (typeof FFA_CALLS)[number];
export const FFA_MODES = ['none', 'upstream', 'lend-revokes-host'] as const;
export type FfaMode = (typeof FFA_MODES)[number];

export interface FfaActionSpec {
  kind: 'ffa';
  call: FfaCall;
  version: number;
  id: bigint;
  pages: { pa: Expr; count: number }[];
  fragment: number | null;
  totalPages: number | null;
  handle: Expr | null;
  offset: bigint;
  value: Expr | null;
  clear: boolean;
  as: string | null;
  /** An FF-A result name (SUCCESS, DENIED, …), a version "1.1", and/or a value read. */
  expect: { result: string; value?: bigint };
}

const RESULTS = Object.values(FFA_RET_NAMES);
const FIELDS = ['call', 'version', 'id', 'pages', 'fragment', 'total_pages', 'handle', 'offset', 'value', 'clear', 'as'];

/** Validates one `ffa` action; `checkExpr` checks names in numbers, `define` adds an `as` name. */
export function validateFfaAction(
  r: Reader, path: string, o: Record<string, unknown>, checkExpr: (path: string, e: Expr) => Expr, define: (path: string, name: string) => void,
): FfaActionSpec & { path: string } {
  const p = join(path, 'ffa');
  const v = typeof o.ffa === 'string' ? { call: o.ffa } : r.obj(p, o.ffa, FIELDS);
  const call = r.oneOf(join(p, 'call'), v.call, FFA_CALLS) as FfaCall;
  const ex = (q: string, x: unknown): Expr => checkExpr(q, expr(r, q, x));
  let version = FFA_VERSION_1_1;
  if (v.version !== undefined) {
    const m = /^(\d+)\.(\d+)$/.exec(String(v.version));
    if (!m) r.fail(join(p, 'version'), `expected a version like "1.1", got ${show(v.version)}`);
    version = FFA_PACK_VERSION_INFO(Number(m![1]), Number(m![2]));
  }
  const pages = v.pages === undefined ? [] : r.list(join(p, 'pages'), v.pages).map((x, i) => {
    const q = join(join(p, 'pages'), i);
    const g = r.obj(q, x, ['pa', 'count']);
    return { pa: ex(join(q, 'pa'), g.pa), count: g.count === undefined ? 1 : Number(r.int(join(q, 'count'), g.count, 0n, 1n << 20n)) };
  });
  if ((call === 'share' || call === 'lend') && !pages.length) r.fail(join(p, 'pages'), `${call} needs pages: [{ pa: NAME, count: N }, …]`);
  const handle = v.handle === undefined ? null : ex(join(p, 'handle'), v.handle);
  if (['reclaim', 'sp_retrieve', 'sp_relinquish', 'sp_read', 'sp_write'].includes(call) && !handle) r.fail(join(p, 'handle'), `${call} needs a handle (a name given with as:, or a number)`);
  let as: string | null = null;
  if (v.as !== undefined) {
    if (call !== 'share' && call !== 'lend') r.fail(join(p, 'as'), 'only share and lend answer a handle to name');
    as = r.name(join(p, 'as'), v.as);
    define(join(p, 'as'), as);
  }
  let expect: FfaActionSpec['expect'] = { result: 'SUCCESS' };
  if (o.expect !== undefined) {
    const q = join(path, 'expect');
    if (typeof o.expect === 'object' && o.expect !== null) {
      const e = r.obj(q, o.expect, ['value']);
      expect = { result: 'SUCCESS', value: r.int(join(q, 'value'), e.value, 0n, (1n << 64n) - 1n) };
    } else {
      const s = String(o.expect);
      if (!RESULTS.includes(s) && !/^\d+\.\d+$/.test(s)) r.fail(q, `expected an FF-A result (${RESULTS.join(', ')}) or a version like "1.1", got ${show(o.expect)}${suggest(s, RESULTS)}`);
      expect = { result: s };
    }
  }
  return {
    path, kind: 'ffa', call, version, pages, as, handle, expect,
    id: v.id === undefined ? 0n : r.int(join(p, 'id'), v.id, 0n, 0xffff_ffffn, 'a function id'),
    fragment: v.fragment === undefined ? null : Number(r.int(join(p, 'fragment'), v.fragment, 1n, 4096n)),
    totalPages: v.total_pages === undefined ? null : Number(r.int(join(p, 'total_pages'), v.total_pages, 0n, 0xffff_ffffn)),
    offset: v.offset === undefined ? 0n : r.int(join(p, 'offset'), v.offset, 0n, (1n << 64n) - 1n),
    value: v.value === undefined ? null : ex(join(p, 'value'), v.value),
    clear: v.clear === undefined ? false : r.bool(join(p, 'clear'), v.clear),
  };
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v & 0xffff_ffffn));

/** The result as a name: SUCCESS, an error name, or a version "1.1". */
function resultName(call: FfaCall, r: FfaCallResult): string {
  if (call.startsWith('sp_') && r.regs[0] === FFA_FN64_MSG_SEND_DIRECT_RESP) return FFA_RET_NAMES[s32(r.regs[3]!)] ?? String(s32(r.regs[3]!));
  if (r.error) return FFA_RET_NAMES[r.error] ?? String(r.error);
  if (call === 'version') return `${Number(r.regs[0]) >>> 16}.${Number(r.regs[0]) & 0xffff}`;
  return 'SUCCESS';
}

export function runFfaAction(st: RunState, a: FfaActionSpec & { path: string }): void {
  const host = st.world.ffa;
  if (!host) { st.fail(a.path, 'no FF-A endpoint on this board (machine.ffa)'); return; }
  let r: FfaCallResult;
  let what: string = a.call;
  const handle = a.handle ? st.eval(a.handle) : 0n;
  switch (a.call) {
    case 'version': r = host.ffa_version(a.version); break;
    case 'id_get': r = host.id_get(); break;
    case 'features': r = host.features(a.id); what = `features(${ffaFnName(a.id)})`; break;
    case 'rxtx_map': r = host.rxtx_map(); break;
    case 'rxtx_unmap': r = host.rxtx_unmap(); break;
    case 'rx_release': r = host.rx_release(); break;
    case 'partition_info': r = host.partition_info_get(); break;
    case 'share': case 'lend': {
      const ranges = a.pages.map((g) => ({ address: st.eval(g.pa), pg_cnt: g.count }));
      r = host.mem_xfer(ranges, { lend: a.call === 'lend', fragRanges: a.fragment ?? undefined, total_pg_cnt: a.totalPages ?? undefined, flags: a.clear ? FFA_MEM_CLEAR : 0 });
      what = `${a.call} of ${ranges.map((g) => `${hex(g.address)}+${g.pg_cnt}`).join(', ')}${a.fragment ? ` (${a.fragment} constituent(s) per fragment)` : ''}${a.totalPages !== null ? ` claiming ${a.totalPages} page(s)` : ''}`;
      if (r.handle !== undefined && a.as) st.names.set(a.as, r.handle);
      break;
    }
    case 'reclaim': r = host.mem_reclaim(handle, a.clear ? FFA_MEM_CLEAR : 0); what = `reclaim ${hex(handle)}`; break;
    case 'sp_retrieve': r = host.direct_req(SP_CMD_RETRIEVE, handle); what = `partition retrieves ${hex(handle)}`; break;
    case 'sp_relinquish': r = host.direct_req(SP_CMD_RELINQUISH, handle); what = `partition relinquishes ${hex(handle)}`; break;
    case 'sp_read': r = host.direct_req(SP_CMD_READ, handle, a.offset); what = `partition reads ${hex(handle)}+${hex(a.offset)}`; break;
    case 'sp_write': {
      const v = a.value ? st.eval(a.value) : 0n;
      r = host.direct_req(SP_CMD_WRITE, handle, a.offset, v);
      what = `partition writes ${hex(v)} at ${hex(handle)}+${hex(a.offset)}`;
      break;
    }
  }
  const got = resultName(a.call, r);
  const extra = r.handle !== undefined ? ` handle ${hex(r.handle)} (lo ${hex(HANDLE_LOW(r.handle))}, hi ${hex(HANDLE_HIGH(r.handle))})` : a.call === 'sp_read' && got === 'SUCCESS' ? ` value ${hex(r.regs[4]!)}` : '';
  st.note(`${a.path}: FF-A ${what} → ${got}${extra}`);
  st.check(got === a.expect.result, `${a.path}.expect`, () => `ffa ${a.call}: expected ${a.expect.result}, got ${got}`);
  if (a.expect.value !== undefined)
    st.check(got === 'SUCCESS' && r.regs[4] === a.expect.value, `${a.path}.expect.value`, () => `ffa ${a.call}: expected value ${hex(a.expect.value!)}, got ${got === 'SUCCESS' ? hex(r.regs[4]!) : got}`);
}
