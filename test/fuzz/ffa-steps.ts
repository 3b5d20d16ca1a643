/**
 * FF-A operations of the fuzzer (R15 in model.ts): the host's FF-A driver (host-kernel-model/ffa.ts)
 * through pKVM's proxy at EL2 to the board's SPMC, each call one step compared with the model. The
 * mailbox is mapped by the first FF-A operation of a sequence (FFA_VERSION, FFA_FN64_RXTX_MAP).
 */
import type { HostedEl2 } from '../../hyp/hosted-el2';
import { HostFfa, type HostKvm } from '../../host-kernel-model/index';
import { FFA_RET_NAMES } from '../../machine/ffa/abi';
import { SP_CMD_RELINQUISH, SP_CMD_RETRIEVE } from '../../machine/ffa/sp';
import type { PkvmModel } from './model';
import type { FfaHandleSym, Op, PfnSym } from './ops';

export interface FfaStepResult { expect: string; got: string; expectWarn: boolean }
export interface FfaRun {
  readonly model: PkvmModel;
  readonly el2: HostedEl2;
  readonly kvm: HostKvm;
  readonly log: string[];
  pfn(p: PfnSym, purpose?: 'host_owned'): bigint;
  step(s: { s: 'custom'; kind: string; line: string; run: () => FfaStepResult }): void;
}

const hosts = new WeakMap<object, HostFfa>();
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const name = (code: number): string => (code ? FFA_RET_NAMES[code] ?? String(code) : 'SUCCESS');
const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v & 0xffff_ffffn));

function hostOf(run: FfaRun): HostFfa {
  let h = hosts.get(run);
  if (!h) hosts.set(run, (h = new HostFfa(run.el2, run.kvm.mem, run.kvm.alloc)));
  return h;
}

function ensureMailbox(run: FfaRun): void {
  const m = run.model, host = hostOf(run);
  if (!m.ffa.negotiated) {
    run.step({ s: 'custom', kind: 'FFA_VERSION', line: 'host FF-A driver: FFA_VERSION(1.1)', run: () => {
      const r = host.ffa_version();
      m.ffa.negotiated = true;
      return { expect: 'version 0x10001', got: `version ${hex(r.regs[0]!)}`, expectWarn: false };
    } });
  }
  if (m.ffa.mailbox) return;
  const tx = run.kvm.alloc.alloc(), rx = run.kvm.alloc.alloc();
  if (tx === null || rx === null) { run.log.push('  (host out of memory for the FF-A mailbox: skipped)'); return; }
  run.step({ s: 'custom', kind: 'FFA_FN64_RXTX_MAP', line: `host FF-A driver: FFA_FN64_RXTX_MAP(tx ${hex(tx >> 12n)}, rx ${hex(rx >> 12n)})`, run: () => ({
    expect: name(m.ffaRxtxMap(tx, rx)), got: name(host.rxtx_map(tx, rx).error), expectWarn: false,
  }) });
}

function handle(run: FfaRun, h: FfaHandleSym): bigint {
  if (h.k === 'raw') return h.v;
  const live = [...run.model.ffa.xfers.keys()].sort((a, b) => (a < b ? -1 : 1));
  return live.length ? live[h.i % live.length]! : (1n << 32n) | 0xfffn;
}

export function runFfaOp(run: FfaRun, op: Extract<Op, { t: 'ffa_share' | 'ffa_reclaim' | 'ffa_sp' }>): void {
  ensureMailbox(run);
  const m = run.model, host = hostOf(run);
  switch (op.t) {
    case 'ffa_share': {
      const ranges = op.pfns.map((p) => ({ addr: BigInt.asUintN(64, run.pfn(p, 'host_owned') << 12n), pages: op.nr }));
      const call = op.lend ? 'FFA_MEM_LEND' : 'FFA_MEM_SHARE';
      run.step({ s: 'custom', kind: `${call}${op.lie ? ' (lying descriptor)' : ''}`, line: `host FF-A driver: ${call}(${ranges.map((r) => `${hex(r.addr)}+${r.pages}`).join(', ')})${op.lie ? ' claiming one page more' : ''}`, run: () => {
        const e = m.ffaMemXfer(ranges, op.lend, op.lie);
        const total = ranges.reduce((s, r) => s + r.pages, 0) + (op.lie ? 1 : 0);
        const r = host.mem_xfer(ranges.map((g) => ({ address: g.addr, pg_cnt: g.pages })), { lend: op.lend, total_pg_cnt: total });
        return {
          expect: `${name(e.ret)}${e.handle !== null ? ` handle ${hex(e.handle)}` : ''}`,
          got: `${name(r.error)}${r.handle !== undefined ? ` handle ${hex(r.handle)}` : ''}`, expectWarn: false,
        };
      } });
      break;
    }
    case 'ffa_reclaim': {
      const h = handle(run, op.h);
      run.step({ s: 'custom', kind: 'FFA_MEM_RECLAIM', line: `host FF-A driver: FFA_MEM_RECLAIM(${hex(h)})`, run: () => ({
        expect: name(m.ffaReclaim(h)), got: name(host.mem_reclaim(h).error), expectWarn: false,
      }) });
      break;
    }
    case 'ffa_sp': {
      const h = handle(run, op.h);
      run.step({ s: 'custom', kind: `partition ${op.retrieve ? 'retrieve' : 'relinquish'}`, line: `partition ${op.retrieve ? 'retrieves' : 'relinquishes'} ${hex(h)} (direct request)`, run: () => {
        const r = host.direct_req(op.retrieve ? SP_CMD_RETRIEVE : SP_CMD_RELINQUISH, h);
        return { expect: name(m.ffaPartition(h, op.retrieve)), got: name(r.error || s32(r.regs[3]!)), expectWarn: false };
      } });
      break;
    }
  }
}
