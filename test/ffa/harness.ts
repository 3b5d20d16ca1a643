/**
 * A board with the secure-world FF-A endpoint (machine/ffa/), pKVM hosted at EL2 with its FF-A proxy
 * (hyp/ffa/) and the TypeScript host with its FF-A driver (host-kernel-model/ffa.ts).
 */
import { Core } from '../../machine/core';
import { HostedEl2, type HostedEl2Options } from '../../hyp/hosted-el2';
import { HostKvm, HostFfa } from '../../host-kernel-model/index';
import { attachFfaSpmc } from '../../machine/ffa/board';
import type { FfaSpmc } from '../../machine/ffa/spmc';
import { PAGE_STATE_NAMES } from '../../hyp/page-state';

export interface FfaBoard { core: Core; el2: HostedEl2; kvm: HostKvm; host: HostFfa; spmc: FfaSpmc | null }

export function ffaBoard(opts: HostedEl2Options & { spmc?: boolean } = {}): FfaBoard {
  const core = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const spmc = opts.spmc === false ? null : attachFfaSpmc(core);
  const el2 = new HostedEl2(core, { slice: 50_000, ...opts });
  const kvm = new HostKvm(el2, {});
  const host = new HostFfa(el2, kvm.mem, kvm.alloc);
  return { core, el2, kvm, host, spmc };
}

/** Negotiated v1.1 and a mapped mailbox. */
export function ready(opts: HostedEl2Options = {}): FfaBoard {
  const b = ffaBoard(opts);
  if (!b.host.ffa_version().ok) throw new Error('FFA_VERSION failed');
  if (!b.host.rxtx_map().ok) throw new Error('FFA_RXTX_MAP failed');
  return b;
}

/** Host and hyp state of the page at pa, by name ("OWNED/NOPAGE"). */
export function pageState(b: FfaBoard, pa: bigint): string {
  const v = b.el2.pkvm.vmemmap, i = v.idx(pa);
  return `${PAGE_STATE_NAMES[v.get_host_state(i)]}/${PAGE_STATE_NAMES[v.get_hyp_state(i)]}`;
}

/** Fresh host pages, physically contiguous. */
export function hostPages(b: FfaBoard, n: number): bigint {
  const pa = b.kvm.alloc.allocContig(n);
  if (pa === null) throw new Error('host out of memory');
  return pa;
}

/**
 * Every page's host and hyp state, share count, and (outside the hyp's carve-out, whose pool pages
 * the lazy host idmap allocates page tables from) hyp refcount: what ownership is recorded in.
 */
export function ownershipSnapshot(b: FfaBoard): string {
  const v = b.el2.pkvm.vmemmap, c = b.el2.carveout;
  const out: string[] = [];
  for (let i = 0; i < v.nrPages; i++) {
    const pa = (v.basePfn + BigInt(i)) << 12n;
    const inCarveout = pa >= c.base && pa < c.base + c.size;
    out.push(`${v.get_host_state(i)}${v.get_hyp_state(i)}${v.shareCount(i)}${inCarveout ? '' : v.refcount(i)}`);
  }
  return out.join(',');
}
