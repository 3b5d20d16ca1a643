/**
 * The FF-A proxy at EL2 (hyp/ffa/, upstream nvhe/ffa.c) between the TypeScript host and the board's
 * SPMC (machine/ffa/): each call's results as upstream's handlers give them, the attacks refused
 * with page state unchanged, and the end-to-end share / lend / reclaim path.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ffaBoard, ready, pageState, hostPages, ownershipSnapshot, type FfaBoard } from './harness';
import {
  FFA_ERROR, FFA_FEATURES, FFA_FN64_MEM_DONATE, FFA_FN64_MEM_LEND, FFA_FN64_MEM_SHARE, FFA_FN64_RXTX_MAP,
  FFA_ID_GET, FFA_MEM_DONATE, FFA_MEM_FRAG_RX, FFA_MEM_LEND, FFA_MEM_RETRIEVE_REQ, FFA_MEM_SHARE,
  FFA_MSG_SEND_DIRECT_RESP, FFA_NOTIFICATION_BIND, FFA_RET_BUSY, FFA_RET_DENIED, FFA_RET_INVALID_PARAMETERS,
  FFA_RET_NOT_SUPPORTED, FFA_RET_NO_MEMORY, FFA_RXTX_MAP, FFA_SUCCESS, FFA_VERSION, FFA_VERSION_1_0, FFA_VERSION_1_1,
  FFA_VERSION_1_2, FFA_PACK_VERSION_INFO, FFA_MEM_FRAG_TX, FFA_MEM_CLEAR,
} from '../../machine/ffa/abi';
import { SP_CMD_READ, SP_CMD_RELINQUISH, SP_CMD_RETRIEVE, SP_CMD_WRITE, SP_ID } from '../../machine/ffa/sp';
import { HostAccessError, runAll } from '../../host-kernel-model/index';
import { EBUSY, PKVM_ID_GUEST } from '../../hyp/page-state';
import { FIELD_GET, KVM_HOST_DONATION_PTE_OWNER_MASK } from '../../hyp/pgtable-defs';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';

const ok = (r: { regs: bigint[] }) => r.regs[0];

/** The host stage-2 leaf (descriptor and level) of each page of `ranges`. */
function hostStage2(b: FfaBoard, ranges: { address: bigint; pg_cnt: number }[]): string {
  const out: string[] = [];
  for (const r of ranges) for (let i = 0; i < Math.min(r.pg_cnt, 4); i++) {
    const { ret, pte, level } = kvm_pgtable_get_leaf(b.el2.pkvm.host_mmu.pgt, (r.address + BigInt(i) * 0x1000n) & ((1n << 40n) - 1n));
    out.push(`${ret}:${pte.toString(16)}@${level}`);
  }
  return out.join(',');
}

/** Runs an attack: the expected FF-A error, and no page state anywhere changed (nor the host stage-2 of `ranges`). */
function refused(b: FfaBoard, f: () => { error: number; regs: bigint[] }, code: number, ranges: { address: bigint; pg_cnt: number }[] = []): void {
  const s2 = hostStage2(b, ranges);
  const before = ownershipSnapshot(b);
  const spmcBefore = b.spmc ? [...b.spmc.mem.byHandle.keys()].join() : '';
  const r = f();
  expect(r.regs[0]).toBe(FFA_ERROR);
  expect(r.error).toBe(code);
  expect(ownershipSnapshot(b)).toBe(before);
  expect(hostStage2(b, ranges)).toBe(s2);
  if (b.spmc) expect([...b.spmc.mem.byHandle.keys()].join()).toBe(spmcBefore);
  expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
}

describe('FFA_VERSION negotiation (do_ffa_version, hyp_ffa_post_init)', () => {
  it('hyp_ffa_init took the hyp mailbox from the hyp pool at the SPMC\'s version (1.1 < 1.2)', () => {
    const b = ffaBoard();
    expect(b.el2.ffa.enabled).toBe(true);
    expect(b.el2.ffa.hyp_ffa_version).toBe(FFA_VERSION_1_1);
    for (const pa of [b.el2.ffa.hyp_buffers.tx!, b.el2.ffa.hyp_buffers.rx!]) {
      expect(pa >= b.el2.carveout.base && pa < b.el2.carveout.base + b.el2.carveout.size).toBe(true);
      expect(pageState(b, pa)).toBe('NOPAGE/OWNED');
    }
  });

  it('every call but FFA_VERSION is INVALID_PARAMETERS until the host negotiated', () => {
    const b = ffaBoard();
    for (const fn of [FFA_ID_GET, FFA_FEATURES, FFA_FN64_RXTX_MAP, FFA_FN64_MEM_SHARE, FFA_MEM_DONATE]) {
      const r = b.host.smc(fn);
      expect(r.regs[0]).toBe(FFA_ERROR);
      expect(r.error).toBe(FFA_RET_INVALID_PARAMETERS);
    }
    expect(b.spmc!.log.filter((l) => l.fid !== FFA_VERSION).length).toBe(0); /* nothing reached the SPMC */
  });

  it('major 2 is NOT_SUPPORTED in w0; 1.2 negotiates the hyp\'s 1.1; afterwards older minors are refused', () => {
    const b = ffaBoard();
    expect(b.host.smc(FFA_VERSION, FFA_PACK_VERSION_INFO(2, 0)).error).toBe(FFA_RET_NOT_SUPPORTED);
    expect(b.el2.ffa.has_version_negotiated).toBe(false);
    expect(b.host.smc(FFA_VERSION, FFA_VERSION_1_2).regs[0]).toBe(BigInt(FFA_VERSION_1_1));
    expect(b.el2.ffa.has_version_negotiated).toBe(true);
    expect(b.host.smc(FFA_VERSION, FFA_VERSION_1_0).error).toBe(FFA_RET_NOT_SUPPORTED);
    expect(b.host.smc(FFA_VERSION, FFA_VERSION_1_1).regs[0]).toBe(BigInt(FFA_VERSION_1_1));
  });

  it('a first request for 1.0 asks the SPMC and downgrades: descriptors then use the v1.0 layout', () => {
    const b = ffaBoard();
    expect(b.host.ffa_version(FFA_VERSION_1_0).regs[0]).toBe(BigInt(FFA_VERSION_1_0));
    expect(b.el2.ffa.hyp_ffa_version).toBe(FFA_VERSION_1_0);
    expect(b.spmc!.callerVersion).toBe(FFA_VERSION_1_0);
    expect(b.host.rxtx_map().ok).toBe(true);
    const pa = hostPages(b, 1);
    const r = b.host.mem_xfer([{ address: pa, pg_cnt: 1 }]);
    expect(ok(r)).toBe(FFA_SUCCESS);
    expect(pageState(b, pa)).toBe('SHARED_OWNED/NOPAGE');
    expect(b.host.mem_reclaim(r.handle!).ok).toBe(true);
    expect(pageState(b, pa)).toBe('OWNED/NOPAGE');
  });

  it('with no SPMC on the board the proxy stays off: FFA_VERSION is NOT_SUPPORTED (post-init FFA_ID_GET fails)', () => {
    const b = ffaBoard({ spmc: false });
    expect(b.el2.ffa.enabled).toBe(false);
    expect(b.host.ffa_version().error).toBe(FFA_RET_NOT_SUPPORTED);
    expect(b.host.id_get().error).toBe(FFA_RET_INVALID_PARAMETERS);
  });
});

describe('FFA_FEATURES filtering, ffa_call_supported(), forwarding', () => {
  it('MEM_SHARE/LEND answered at EL2 (no dynamic buffers); unsupported ids NOT_SUPPORTED; the rest forwarded', () => {
    const b = ready();
    const n = b.spmc!.log.length;
    for (const id of [FFA_MEM_SHARE, FFA_FN64_MEM_SHARE, FFA_MEM_LEND, FFA_FN64_MEM_LEND]) {
      const r = b.host.features(id);
      expect(r.regs.slice(0, 3)).toEqual([FFA_SUCCESS, 0n, 0n]);
    }
    for (const id of [FFA_MEM_RETRIEVE_REQ, FFA_RXTX_MAP, FFA_FN64_MEM_DONATE, FFA_NOTIFICATION_BIND, FFA_MSG_SEND_DIRECT_RESP])
      expect(b.host.features(id).error).toBe(FFA_RET_NOT_SUPPORTED);
    expect(b.spmc!.log.length).toBe(n); /* none of those reached the SPMC */
    const f = b.host.features(FFA_FN64_RXTX_MAP); /* forwarded: the SPMC's answer, 4K minimum */
    expect(f.regs.slice(0, 3)).toEqual([FFA_SUCCESS, 0n, 0n]);
    expect(b.spmc!.log.at(-1)!.fid).toBe(FFA_FEATURES);
  });

  it('FFA_ID_GET is forwarded (ID 0); unsupported calls are NOT_SUPPORTED at EL2', () => {
    const b = ready();
    expect(b.host.id_get().regs.slice(0, 3)).toEqual([FFA_SUCCESS, 0n, 0n]);
    for (const fn of [FFA_RXTX_MAP, FFA_MEM_DONATE, FFA_FN64_MEM_DONATE, FFA_MEM_RETRIEVE_REQ, 0x8400_00ffn]) {
      const n = b.spmc!.log.length;
      const r = b.host.smc(fn);
      expect([r.regs[0], r.error]).toEqual([FFA_ERROR, fn === 0x8400_00ffn ? FFA_RET_NOT_SUPPORTED : FFA_RET_NOT_SUPPORTED]);
      if (fn !== 0x8400_00ffn) expect(b.spmc!.log.length).toBe(n);
    }
  });
});

describe('FFA_RXTX_MAP / UNMAP (do_ffa_rxtx_map/unmap)', () => {
  it('maps: host pages shared with the hyp and pinned; the hyp\'s own mailbox mapped at the SPMC', () => {
    const b = ffaBoard();
    b.host.ffa_version();
    expect(b.host.rxtx_map().ok).toBe(true);
    for (const pa of [b.host.tx!, b.host.rx!]) {
      expect(pageState(b, pa)).toBe('SHARED_OWNED/SHARED_BORROWED');
      expect(b.el2.pkvm.vmemmap.hyp_page_count(pa)).toBe(1);
      expect(b.el2.hcall('__pkvm_host_unshare_hyp', pa >> 12n).ret).toBe(-EBUSY); /* pinned */
    }
    expect(b.spmc!.mailbox).toEqual({ tx: b.el2.ffa.hyp_buffers.tx, rx: b.el2.ffa.hyp_buffers.rx, pages: 1 });
    const [tx, rx] = [b.host.tx!, b.host.rx!];
    expect(b.host.rxtx_unmap().ok).toBe(true);
    expect([pageState(b, tx), pageState(b, rx)]).toEqual(['OWNED/NOPAGE', 'OWNED/NOPAGE']);
    expect(b.spmc!.mailbox).toBe(null);
  });

  it('errors: page count, alignment, a second map (DENIED), pages the host cannot share, unmap id/state', () => {
    const b = ffaBoard();
    b.host.ffa_version();
    const p = hostPages(b, 2);
    refused(b, () => b.host.rxtx_map(p, p + 0x1000n, 2), FFA_RET_INVALID_PARAMETERS);
    refused(b, () => b.host.rxtx_map(p + 8n, p + 0x1000n), FFA_RET_INVALID_PARAMETERS);
    const hyp = b.el2.carveout.base + 0x10000n;
    refused(b, () => b.host.rxtx_map(p, hyp), FFA_RET_INVALID_PARAMETERS); /* RX is the hyp's: TX share undone */
    refused(b, () => b.host.rxtx_map(hyp, p), FFA_RET_INVALID_PARAMETERS);
    expect(b.spmc!.mailbox).toBe(null); /* the hyp's buffers were unmapped again at the SPMC */
    refused(b, () => b.host.rxtx_unmap(), FFA_RET_INVALID_PARAMETERS); /* nothing mapped */
    expect(b.host.rxtx_map(p, p + 0x1000n).ok).toBe(true);
    refused(b, () => b.host.rxtx_map(p, p + 0x1000n), FFA_RET_DENIED);
    refused(b, () => b.host.rxtx_unmap(5), FFA_RET_INVALID_PARAMETERS);
  });
});

describe('FFA_MEM_SHARE: the host shares its memory with the secure partition', () => {
  it('share → the partition sees the host\'s data and writes back → reclaim → the host owns it again', () => {
    const b = ready();
    const pa = hostPages(b, 3);
    b.kvm.mem.writeU64(pa + 0x1008n, 0xfeed_f00d_1234_5678n);
    const r = b.host.mem_xfer([{ address: pa, pg_cnt: 1 }, { address: pa + 0x1000n, pg_cnt: 2 }]);
    expect(ok(r)).toBe(FFA_SUCCESS);
    for (let i = 0n; i < 3n; i++) expect(pageState(b, pa + i * 0x1000n)).toBe('SHARED_OWNED/NOPAGE');
    const t = b.spmc!.mem.byHandle.get(r.handle!)!;
    expect([t.type, t.sender, t.receivers.map((x) => x.id), t.ranges.length]).toEqual(['share', 0, [SP_ID], 2]);
    /* the host still reads and writes a shared page (upstream: SHARED_OWNED stays mapped) */
    b.kvm.mem.writeU64(pa, 1n);
    expect(b.host.direct_req(SP_CMD_READ, r.handle!, 0x1008n).regs[3]).toBe(BigInt.asUintN(32, BigInt(FFA_RET_DENIED))); /* not retrieved */
    expect(b.host.direct_req(SP_CMD_RETRIEVE, r.handle!).regs[3]).toBe(0n);
    const rd = b.host.direct_req(SP_CMD_READ, r.handle!, 0x1008n);
    expect(rd.regs[0]).toBe(0xc400_0070n);
    expect(rd.regs[1]).toBe(BigInt(SP_ID) << 16n);
    expect(rd.regs[4]).toBe(0xfeed_f00d_1234_5678n);
    expect(b.host.direct_req(SP_CMD_WRITE, r.handle!, 0x2ff8n, 0xabcdn).regs[3]).toBe(0n);
    expect(b.kvm.mem.readU64(pa + 0x2ff8n)).toBe(0xabcdn);
    expect(b.host.direct_req(SP_CMD_READ, r.handle!, 0x3000n).regs[3]).toBe(BigInt.asUintN(32, BigInt(FFA_RET_DENIED))); /* past the end */
    /* reclaim while the partition holds it: the SPMC's DENIED, nothing unshared */
    refused(b, () => b.host.mem_reclaim(r.handle!), FFA_RET_DENIED);
    expect(b.host.direct_req(SP_CMD_RELINQUISH, r.handle!).regs[3]).toBe(0n);
    expect(b.host.mem_reclaim(r.handle!).ok).toBe(true);
    for (let i = 0n; i < 3n; i++) expect(pageState(b, pa + i * 0x1000n)).toBe('OWNED/NOPAGE');
    expect(b.spmc!.mem.byHandle.size).toBe(0);
    /* what was never shared (or is gone) is the SPMC's INVALID_PARAMETERS through the retrieve request */
    refused(b, () => b.host.mem_reclaim(r.handle!), FFA_RET_INVALID_PARAMETERS);
    refused(b, () => b.host.mem_reclaim(0x1234_5678_9abcn), FFA_RET_INVALID_PARAMETERS);
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });

  it('checks at EL2 before the SPMC is asked (INVALID_PARAMETERS / NO_MEMORY)', () => {
    const b = ready();
    const pa = hostPages(b, 1);
    const rg = [{ address: pa, pg_cnt: 1 }];
    const n = b.spmc!.log.length;
    refused(b, () => b.host.mem_xfer(rg, { receivers: [SP_ID, SP_ID + 1] }), FFA_RET_INVALID_PARAMETERS); /* ep_count != 1 */
    refused(b, () => b.host.mem_xfer(rg, { sender: 7 }), FFA_RET_INVALID_PARAMETERS); /* sender must be the host */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 80, 80, b.host.tx!, 0), FFA_RET_INVALID_PARAMETERS); /* address MBZ */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 80, 80, 0, 1), FFA_RET_INVALID_PARAMETERS); /* page count MBZ */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 80, 96), FFA_RET_INVALID_PARAMETERS); /* fraglen > len */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 0x2000, 0x1001), FFA_RET_INVALID_PARAMETERS); /* > mailbox */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 63, 63), FFA_RET_INVALID_PARAMETERS); /* < header + EMAD */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 0x10_0000, 0x1000), FFA_RET_NO_MEMORY); /* > descriptor buffer */
    refused(b, () => b.host.smc(FFA_FN64_MEM_SHARE, 88, 88), FFA_RET_INVALID_PARAMETERS); /* constituents not whole */
    expect(b.spmc!.log.length).toBe(n);
  });

  it('attacks refused as upstream: DENIED, every page unchanged (hyp, guest, unowned, shared, crossing non-RAM, unaligned, partial)', () => {
    const b = ready();
    const own = hostPages(b, 2);
    const hypPage = b.el2.carveout.base + 0x20000n;
    /* a protected guest's page: run one until it has memory */
    const vm = b.kvm.createVm({ name: 'pvm', protected: true, memBytes: 1 << 20, vcpus: 1,
      image: { bytes: readFileSync(new URL('../../guest-images/bin/pguest-hello.elf', import.meta.url)), name: 'pguest-hello.elf' } });
    runAll(b.kvm, { slice: 50_000, maxGuestInsns: 2_000_000n });
    const v = b.el2.pkvm.vmemmap;
    let guestPage = -1n;
    for (let i = 0; i < v.nrPages && guestPage < 0n; i++) {
      const pa = (v.basePfn + BigInt(i)) << 12n;
      if (v.get_host_state(i) !== 3 || v.get_hyp_state(i) !== 3) continue;
      const { pte } = kvm_pgtable_get_leaf(b.el2.pkvm.host_mmu.pgt, pa);
      if (FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, pte) === BigInt(PKVM_ID_GUEST)) guestPage = pa;
    }
    expect(guestPage > 0n).toBe(true);
    expect(vm.handle).toBeGreaterThan(0);
    const n = b.spmc!.log.length;
    const ramEnd = b.core.ramBase + BigInt(b.core.ramSize);
    for (const ranges of [
      [{ address: hypPage, pg_cnt: 1 }], /* the hyp's */
      [{ address: guestPage, pg_cnt: 1 }], /* a guest's */
      [{ address: b.host.tx!, pg_cnt: 1 }], /* shared with the hyp already (the mailbox) */
      [{ address: 0x0900_0000n, pg_cnt: 1 }], /* not memory (the UART) */
      [{ address: ramEnd - 0x1000n, pg_cnt: 2 }], /* crosses the end of RAM */
      [{ address: own + 0x800n, pg_cnt: 1 }], /* not page aligned */
      [{ address: own, pg_cnt: 1 }, { address: hypPage, pg_cnt: 1 }], /* the first range is undone */
      [{ address: own, pg_cnt: 2 }, { address: own + 0x1000n, pg_cnt: 1 }], /* overlapping: the second finds it shared */
    ]) {
      refused(b, () => b.host.mem_xfer(ranges), FFA_RET_DENIED, ranges);
      refused(b, () => b.host.mem_xfer(ranges, { lend: true }), FFA_RET_DENIED, ranges);
    }
    expect(b.spmc!.log.length).toBe(n); /* the SPMC never saw them */
    /* sharing the same page twice: the second is DENIED at EL2 */
    const r = b.host.mem_xfer([{ address: own, pg_cnt: 1 }]);
    expect(ok(r)).toBe(FFA_SUCCESS);
    refused(b, () => b.host.mem_xfer([{ address: own, pg_cnt: 1 }]), FFA_RET_DENIED);
    /* and a page shared with the secure world cannot be donated to a guest or the hyp */
    expect(b.el2.hcall('__pkvm_host_share_hyp', own >> 12n).ret).toBe(-1);
  });

  it('a descriptor that lies: total_pg_cnt ≠ the ranges (or addr_range_cnt) → the SPMC\'s INVALID_PARAMETERS, EL2 unshares', () => {
    const b = ready();
    const pa = hostPages(b, 2);
    const rg = [{ address: pa, pg_cnt: 2 }];
    b.kvm.mem.writeU64(pa, 1n); /* mapped in the host stage-2 */
    refused(b, () => b.host.mem_xfer(rg, { total_pg_cnt: 1 }), FFA_RET_INVALID_PARAMETERS, rg);
    refused(b, () => b.host.mem_xfer(rg, { total_pg_cnt: 3, lend: true }), FFA_RET_INVALID_PARAMETERS, rg);
    refused(b, () => b.host.mem_xfer(rg, { addr_range_cnt: 2 }), FFA_RET_INVALID_PARAMETERS);
    refused(b, () => b.host.mem_xfer(rg, { flags: FFA_MEM_CLEAR }), FFA_RET_INVALID_PARAMETERS); /* CLEAR on a share */
    expect(b.spmc!.log.at(-1)!.x0).toBe(FFA_ERROR); /* the SPMC's answer */
  });
});

describe('fragmented descriptors (FFA_MEM_FRAG_TX / FFA_MEM_FRAG_RX)', () => {
  it('a share sent one constituent per fragment; the reclaim reassembles a retrieve response of several RX fragments', () => {
    const b = ready();
    const base = hostPages(b, 600);
    /* 300 single pages, every other one: a 4.9 KB descriptor */
    const ranges = Array.from({ length: 300 }, (_, i) => ({ address: base + BigInt(2 * i) * 0x1000n, pg_cnt: 1 }));
    const r = b.host.mem_xfer(ranges, { fragRanges: 100 });
    expect(ok(r)).toBe(FFA_SUCCESS);
    expect(b.spmc!.log.filter((l) => l.fid === FFA_MEM_FRAG_TX).length).toBe(2);
    expect(b.spmc!.log.filter((l) => l.x0 === FFA_MEM_FRAG_RX).length).toBe(2);
    for (const g of ranges) expect(pageState(b, g.address)).toBe('SHARED_OWNED/NOPAGE');
    expect(pageState(b, base + 0x1000n)).toBe('OWNED/NOPAGE');
    expect(b.host.mem_reclaim(r.handle!).ok).toBe(true);
    expect(b.spmc!.log.filter((l) => l.fid === 0x8400_007an).length).toBe(1); /* one FFA_MEM_FRAG_RX for the 2nd RX fragment */
    for (const g of ranges) expect(pageState(b, g.address)).toBe('OWNED/NOPAGE');
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });

  it('a bad range in a later fragment: DENIED, the transaction reclaimed at the SPMC, earlier fragments stay shared (upstream)', () => {
    const b = ready();
    const base = hostPages(b, 2);
    const hypPage = b.el2.carveout.base + 0x20000n;
    const r = b.host.mem_xfer([{ address: base, pg_cnt: 1 }, { address: hypPage, pg_cnt: 1 }, { address: base + 0x1000n, pg_cnt: 1 }], { fragRanges: 1 });
    expect([r.regs[0], r.error]).toEqual([FFA_ERROR, FFA_RET_DENIED]);
    expect(b.spmc!.mem.byHandle.size).toBe(0);
    /* "The pages previously marked as shared will remain stuck in that state forever" (ffa.c) */
    expect(pageState(b, base)).toBe('SHARED_OWNED/NOPAGE');
    expect(pageState(b, hypPage)).toBe('NOPAGE/OWNED');
    expect(pageState(b, base + 0x1000n)).toBe('OWNED/NOPAGE');
  });

  it('a lie noticed at the last fragment: the SPMC refuses, EL2 unshares that fragment only', () => {
    const b = ready();
    const base = hostPages(b, 2);
    const r = b.host.mem_xfer([{ address: base, pg_cnt: 1 }, { address: base + 0x1000n, pg_cnt: 1 }], { fragRanges: 1, total_pg_cnt: 5 });
    expect([r.regs[0], r.error]).toEqual([FFA_ERROR, FFA_RET_INVALID_PARAMETERS]);
    expect(pageState(b, base)).toBe('SHARED_OWNED/NOPAGE');
    expect(pageState(b, base + 0x1000n)).toBe('OWNED/NOPAGE');
  });

  it('FRAG_TX checks at EL2: length, whole constituents, a mailbox', () => {
    const b = ready();
    refused(b, () => b.host.smc(FFA_MEM_FRAG_TX, 1, 1, 0x1010, 0), FFA_RET_INVALID_PARAMETERS);
    refused(b, () => b.host.smc(FFA_MEM_FRAG_TX, 1, 1, 24, 0), FFA_RET_INVALID_PARAMETERS);
    const b2 = ffaBoard();
    b2.host.ffa_version();
    refused(b2, () => b2.host.smc(FFA_MEM_FRAG_TX, 1, 1, 16, 0), FFA_RET_INVALID_PARAMETERS);
  });
});

describe('FFA_MEM_LEND', () => {
  it('upstream: a lent page is SHARED_OWNED and still mapped for the host; reclaim returns it', () => {
    const b = ready();
    const pa = hostPages(b, 1);
    const r = b.host.mem_xfer([{ address: pa, pg_cnt: 1 }], { lend: true });
    expect(ok(r)).toBe(FFA_SUCCESS);
    expect(b.spmc!.mem.byHandle.get(r.handle!)!.type).toBe('lend');
    expect(pageState(b, pa)).toBe('SHARED_OWNED/NOPAGE');
    b.kvm.mem.writeU64(pa, 5n);
    expect(b.host.mem_reclaim(r.handle!, FFA_MEM_CLEAR).ok).toBe(true); /* CLEAR: the SPMC zeroes it */
    expect(b.kvm.mem.readU64(pa)).toBe(0n);
    expect(pageState(b, pa)).toBe('OWNED/NOPAGE');
  });

  it('lendRevokesHost: the host loses access (stage-2 abort, refused) until the reclaim; the partition still uses it', () => {
    const b = ready({ ffaLendRevokesHost: true });
    const pa = hostPages(b, 2);
    b.kvm.mem.writeU64(pa + 0x1000n, 0x77n);
    const r = b.host.mem_xfer([{ address: pa, pg_cnt: 1 }, { address: pa + 0x1000n, pg_cnt: 1 }], { lend: true, fragRanges: 1 });
    expect(ok(r)).toBe(FFA_SUCCESS);
    expect(pageState(b, pa)).toBe('NOPAGE/NOPAGE');
    expect(() => b.kvm.mem.readU64(pa + 0x1000n)).toThrow(HostAccessError);
    expect(() => b.kvm.mem.writeU64(pa, 1n)).toThrow(HostAccessError);
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    /* nothing else can take it either */
    expect(b.el2.hcall('__pkvm_host_share_hyp', pa >> 12n).ret).toBe(-1);
    b.host.direct_req(SP_CMD_RETRIEVE, r.handle!);
    expect(b.host.direct_req(SP_CMD_READ, r.handle!, 0x1000n).regs[4]).toBe(0x77n);
    b.host.direct_req(SP_CMD_RELINQUISH, r.handle!);
    expect(b.host.mem_reclaim(r.handle!).ok).toBe(true);
    expect(pageState(b, pa)).toBe('OWNED/NOPAGE');
    expect(b.kvm.mem.readU64(pa + 0x1000n)).toBe(0x77n);
    expect(b.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });
});

describe('FFA_PARTITION_INFO_GET and FFA_RX_RELEASE', () => {
  it('BUSY without a host RX buffer; otherwise the descriptors are copied to the host\'s RX', () => {
    const b = ffaBoard();
    b.host.ffa_version();
    expect(b.host.partition_info_get().error).toBe(FFA_RET_BUSY);
    b.host.rxtx_map();
    const r = b.host.partition_info_get();
    expect(r.regs.slice(0, 4)).toEqual([FFA_SUCCESS, 0n, 1n, 24n]);
    expect(b.kvm.mem.readU64(b.host.rx!) & 0xffffn).toBe(BigInt(SP_ID));
    /* the hyp's RX is the host's until it releases it (forwarded): a second call is BUSY */
    expect(b.host.partition_info_get().error).toBe(FFA_RET_BUSY);
    expect(b.host.rx_release().ok).toBe(true);
    expect(b.host.rx_release().error).toBe(FFA_RET_DENIED);
    expect(b.host.partition_info_get([0, 0, 0, 0], 1).regs.slice(0, 4)).toEqual([FFA_SUCCESS, 0n, 1n, 24n]); /* count only */
    expect(b.host.partition_info_get([1, 2, 3, 4]).error).toBe(FFA_RET_INVALID_PARAMETERS);
  });
});
