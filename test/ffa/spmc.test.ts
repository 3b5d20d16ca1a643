/**
 * The board's secure-world endpoint alone (machine/ffa/), driven as the hypervisor drives it: the
 * FF-A v1.1 (DEN0077A) results for each call, including the error codes the specification gives.
 */
import { describe, expect, it } from 'vitest';
import { FfaSpmc, type SpmcMemory } from '../../machine/ffa/spmc';
import { SP_CMD_RETRIEVE, SP_ID } from '../../machine/ffa/sp';
import {
  Desc, FFA_ERROR, FFA_FEATURES, FFA_FN64_MEM_LEND, FFA_FN64_MEM_RETRIEVE_REQ, FFA_FN64_MEM_SHARE,
  FFA_FN64_MSG_SEND_DIRECT_REQ, FFA_FN64_RXTX_MAP, FFA_ID_GET, FFA_MEM_CLEAR, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX,
  FFA_MEM_RECLAIM, FFA_MEM_RETRIEVE_RESP, FFA_MEM_RETRIEVE_TYPE_LEND, FFA_MEM_RETRIEVE_TYPE_SHARE, FFA_MSG_POLL,
  FFA_RET_BUSY, FFA_RET_DENIED, FFA_RET_INVALID_PARAMETERS, FFA_RET_NOT_SUPPORTED, FFA_RXTX_UNMAP, FFA_RX_RELEASE,
  FFA_SUCCESS, FFA_VERSION, FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_PACK_VERSION_INFO, HANDLE_HIGH, HANDLE_LOW,
  MEM_REGION_EP_COUNT, MEM_REGION_EP_MEM_SIZE, MEM_REGION_FLAGS, MEM_REGION_HANDLE, ffa_build_mem_region,
  type FfaMemRange,
} from '../../machine/ffa/abi';

const BASE = 0x4000_0000n, SIZE = 1 << 20;
const TX = BASE, RX = BASE + 0x1000n;
const ram = new Uint8Array(SIZE);

function board(version = FFA_VERSION_1_1) {
  ram.fill(0);
  const mem: SpmcMemory = {
    isRam: (pa, n) => pa >= BASE && pa + BigInt(n) <= BASE + BigInt(SIZE),
    read: (pa, n) => ram.slice(Number(pa - BASE), Number(pa - BASE) + n),
    write: (pa, b) => ram.set(b, Number(pa - BASE)),
  };
  const s = new FfaSpmc(mem);
  expect(s.smc([FFA_VERSION, BigInt(version)])[0]).toBe(BigInt(FFA_VERSION_1_1));
  return s;
}
const err = (r: bigint[]) => (r[0] === FFA_ERROR ? Number(BigInt.asIntN(32, r[2]!)) : 0);
const mapped = (v = FFA_VERSION_1_1) => {
  const s = board(v);
  expect(s.smc([FFA_FN64_RXTX_MAP, TX, RX, 1n])[0]).toBe(FFA_SUCCESS);
  return s;
};
/** Writes the descriptor to TX and sends it whole. */
function send(s: FfaSpmc, desc: Uint8Array, fn = FFA_FN64_MEM_SHARE): bigint[] {
  ram.set(desc, 0);
  return s.smc([fn, BigInt(desc.length), BigInt(desc.length)]);
}
const P = (i: number) => BASE + 0x10000n + BigInt(i) * 0x1000n;
const desc = (ranges: FfaMemRange[], o: Partial<Parameters<typeof ffa_build_mem_region>[0]> = {}) =>
  ffa_build_mem_region({ version: FFA_VERSION_1_1, sender: 0, receivers: [SP_ID], ranges, ...o });

describe('SPMC: version, features, id, mailbox', () => {
  it('FFA_VERSION: bit 31 or another major NOT_SUPPORTED; the caller\'s version capped at 1.1', () => {
    const s = board();
    expect(BigInt.asIntN(32, s.smc([FFA_VERSION, 0x8001_0001n])[0]!)).toBe(-1n);
    expect(BigInt.asIntN(32, s.smc([FFA_VERSION, BigInt(FFA_PACK_VERSION_INFO(2, 0))])[0]!)).toBe(-1n);
    s.smc([FFA_VERSION, BigInt(FFA_VERSION_1_0)]);
    expect(s.callerVersion).toBe(FFA_VERSION_1_0);
    s.smc([FFA_VERSION, BigInt(FFA_PACK_VERSION_INFO(1, 7))]);
    expect(s.callerVersion).toBe(FFA_VERSION_1_1);
  });

  it('nothing but FFA_VERSION before a version; FEATURES, ID_GET; unknown ids NOT_SUPPORTED', () => {
    const s = new FfaSpmc({ isRam: () => true, read: (_p, n) => new Uint8Array(n), write: () => {} });
    expect(err(s.smc([FFA_ID_GET]))).toBe(FFA_RET_INVALID_PARAMETERS);
    s.smc([FFA_VERSION, BigInt(FFA_VERSION_1_1)]);
    expect(s.smc([FFA_ID_GET]).slice(0, 3)).toEqual([FFA_SUCCESS, 0n, 0n]);
    expect(s.smc([FFA_FEATURES, FFA_FN64_RXTX_MAP]).slice(0, 3)).toEqual([FFA_SUCCESS, 0n, 0n]);
    expect(err(s.smc([FFA_FEATURES, FFA_MSG_POLL]))).toBe(FFA_RET_NOT_SUPPORTED);
    expect(err(s.smc([FFA_MSG_POLL]))).toBe(FFA_RET_NOT_SUPPORTED);
  });

  it('RXTX_MAP / UNMAP / RX_RELEASE errors', () => {
    const s = board();
    for (const [tx, rx, n] of [[TX, RX, 0n], [TX, RX, 64n], [TX + 8n, RX, 1n], [TX, TX, 1n], [TX, RX, 2n], [0x1000n, RX, 1n]])
      expect(err(s.smc([FFA_FN64_RXTX_MAP, tx!, rx!, n!]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(err(s.smc([FFA_RXTX_UNMAP, 0n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(s.smc([FFA_FN64_RXTX_MAP, TX, RX, 1n])[0]).toBe(FFA_SUCCESS);
    expect(err(s.smc([FFA_FN64_RXTX_MAP, TX + 0x2000n, RX + 0x2000n, 1n]))).toBe(FFA_RET_DENIED);
    expect(err(s.smc([FFA_RX_RELEASE]))).toBe(FFA_RET_DENIED); /* RX is not the caller's */
    expect(err(s.smc([FFA_RXTX_UNMAP, 1n << 16n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(s.smc([FFA_RXTX_UNMAP, 0n])[0]).toBe(FFA_SUCCESS);
  });
});

describe('SPMC: memory transactions', () => {
  it('SHARE answers a fresh SPMC handle (bit 63 clear) and records sender, receiver and ranges', () => {
    const s = mapped();
    const r1 = send(s, desc([{ address: P(0), pg_cnt: 2 }]));
    const r2 = send(s, desc([{ address: P(4), pg_cnt: 1 }]), FFA_FN64_MEM_LEND);
    expect([r1[0], r2[0]]).toEqual([FFA_SUCCESS, FFA_SUCCESS]);
    const h1 = (r1[3]! << 32n) | r1[2]!, h2 = (r2[3]! << 32n) | r2[2]!;
    expect(h1).not.toBe(h2);
    expect(h1 >> 63n).toBe(0n);
    expect(s.mem.byHandle.get(h2)).toMatchObject({ type: 'lend', sender: 0, ranges: [{ address: P(4), pg_cnt: 1 }] });
  });

  it('descriptor checks: INVALID_PARAMETERS for each malformed field; DENIED for memory already in a transaction', () => {
    const s = mapped();
    const good = [{ address: P(0), pg_cnt: 1 }];
    const bad: [string, Uint8Array][] = [
      ['sender', desc(good, { sender: 3 })],
      ['handle MBZ', desc(good, { handle: 5n })],
      ['receiver unknown', desc(good, { receivers: [0x8002] })],
      ['receiver twice', desc(good, { receivers: [SP_ID, SP_ID] })],
      ['total_pg_cnt lies', desc(good, { total_pg_cnt: 2 })],
      ['addr_range_cnt lies', desc(good, { addr_range_cnt: 2 })],
      ['unaligned range', desc([{ address: P(0) + 16n, pg_cnt: 1 }])],
      ['empty range', desc([{ address: P(0), pg_cnt: 0 }])],
      ['not RAM', desc([{ address: 0x0900_0000n, pg_cnt: 1 }])],
      ['ranges overlap', desc([{ address: P(0), pg_cnt: 2 }, { address: P(1), pg_cnt: 1 }])],
      ['CLEAR on a share', desc(good, { flags: FFA_MEM_CLEAR })],
      ['reserved flag', desc(good, { flags: 1 << 9 })],
    ];
    const epSize = desc(good);
    new Desc(epSize).set32(MEM_REGION_EP_MEM_SIZE, 32);
    bad.push(['ep_mem_size', epSize]);
    const noEp = desc(good);
    new Desc(noEp).set32(MEM_REGION_EP_COUNT, 0);
    bad.push(['ep_count 0', noEp]);
    for (const [what, d] of bad) expect([what, err(send(s, d))]).toEqual([what, FFA_RET_INVALID_PARAMETERS]);
    expect(s.mem.byHandle.size).toBe(0);
    expect(send(s, desc(good))[0]).toBe(FFA_SUCCESS);
    expect(err(send(s, desc([{ address: P(0), pg_cnt: 1 }]), FFA_FN64_MEM_LEND))).toBe(FFA_RET_DENIED);
    expect(err(s.smc([FFA_FN64_MEM_SHARE, 80n, 80n, TX, 0n]))).toBe(FFA_RET_INVALID_PARAMETERS); /* dynamic buffer */
  });

  it('the v1.0 layout (EMADs at 32, no ep_mem_size) when the caller negotiated 1.0', () => {
    const s = mapped(FFA_VERSION_1_0);
    expect(send(s, ffa_build_mem_region({ version: FFA_VERSION_1_0, sender: 0, receivers: [SP_ID], ranges: [{ address: P(0), pg_cnt: 1 }] }))[0]).toBe(FFA_SUCCESS);
    expect(err(send(s, desc([{ address: P(1), pg_cnt: 1 }])))).toBe(FFA_RET_INVALID_PARAMETERS); /* a v1.1 header is not v1.0 */
  });

  it('fragments: FRAG_RX asks for the rest at the offset received; FRAG_TX errors abort the transaction', () => {
    const s = mapped();
    const d = desc([{ address: P(0), pg_cnt: 1 }, { address: P(1), pg_cnt: 1 }, { address: P(2), pg_cnt: 1 }]);
    const first = d.length - 32;
    ram.set(d.subarray(0, first), 0);
    const r = s.smc([FFA_FN64_MEM_SHARE, BigInt(d.length), BigInt(first)]);
    expect([r[0], r[3]]).toEqual([FFA_MEM_FRAG_RX, BigInt(first)]);
    ram.set(d.subarray(first, first + 16), 0);
    const r2 = s.smc([FFA_MEM_FRAG_TX, r[1]!, r[2]!, 16n, 0n]);
    expect([r2[0], r2[3]]).toEqual([FFA_MEM_FRAG_RX, BigInt(first + 16)]);
    ram.set(d.subarray(first + 16), 0);
    expect(s.smc([FFA_MEM_FRAG_TX, r[1]!, r[2]!, 16n, 0n])[0]).toBe(FFA_SUCCESS);
    expect(err(s.smc([FFA_MEM_FRAG_TX, r[1]!, r[2]!, 16n, 0n]))).toBe(FFA_RET_INVALID_PARAMETERS); /* complete */
    /* too long a fragment: refused and the transaction gone */
    ram.set(d.subarray(0, first), 0);
    const h = s.smc([FFA_FN64_MEM_SHARE, BigInt(d.length), BigInt(first)]);
    expect(err(s.smc([FFA_MEM_FRAG_TX, h[1]!, h[2]!, 48n, 0n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(err(s.smc([FFA_MEM_FRAG_TX, h[1]!, h[2]!, 16n, 0n]))).toBe(FFA_RET_INVALID_PARAMETERS);
  });

  it('the hypervisor retrieve request: the descriptor in RX with the transaction type, BUSY until released', () => {
    const s = mapped();
    const r = send(s, desc([{ address: P(0), pg_cnt: 3 }]), FFA_FN64_MEM_LEND);
    const h = (r[3]! << 32n) | r[2]!;
    const req = new Desc(new Uint8Array(48));
    req.set64(MEM_REGION_HANDLE, h);
    ram.set(req.b, 0);
    const resp = s.smc([FFA_FN64_MEM_RETRIEVE_REQ, 48n, 48n]);
    expect(resp[0]).toBe(FFA_MEM_RETRIEVE_RESP);
    expect(resp[1]).toBe(resp[2]);
    const got = new Desc(ram.slice(0x1000, 0x1000 + Number(resp[1])));
    expect(got.u64(MEM_REGION_HANDLE)).toBe(h);
    expect(got.u32(MEM_REGION_FLAGS) & (3 << 3)).toBe(FFA_MEM_RETRIEVE_TYPE_LEND);
    expect(FFA_MEM_RETRIEVE_TYPE_SHARE).toBe(1 << 3);
    expect(err(s.smc([FFA_FN64_MEM_RETRIEVE_REQ, 48n, 48n]))).toBe(FFA_RET_BUSY);
    expect(s.smc([FFA_RX_RELEASE])[0]).toBe(FFA_SUCCESS);
    req.set64(MEM_REGION_HANDLE, h + 1n);
    ram.set(req.b, 0);
    expect(err(s.smc([FFA_FN64_MEM_RETRIEVE_REQ, 48n, 48n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(err(s.smc([FFA_MEM_FRAG_RX, HANDLE_LOW(h), HANDLE_HIGH(h), 16n, 0n]))).toBe(FFA_RET_INVALID_PARAMETERS); /* nothing pending */
  });

  it('RECLAIM: unknown handle or reserved flags INVALID_PARAMETERS; DENIED while retrieved; CLEAR zeroes a lent page', () => {
    const s = mapped();
    const r = send(s, desc([{ address: P(0), pg_cnt: 1 }]), FFA_FN64_MEM_LEND);
    const h = (r[3]! << 32n) | r[2]!;
    expect(err(s.smc([FFA_MEM_RECLAIM, HANDLE_LOW(h) + 1n, HANDLE_HIGH(h), 0n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(err(s.smc([FFA_MEM_RECLAIM, HANDLE_LOW(h), HANDLE_HIGH(h), 2n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(s.sp.serve(SP_CMD_RETRIEVE, h, 0n, 0n).status).toBe(0);
    expect(err(s.smc([FFA_MEM_RECLAIM, HANDLE_LOW(h), HANDLE_HIGH(h), 0n]))).toBe(FFA_RET_DENIED);
    s.mem.byHandle.get(h)!.retrieved = 0;
    ram[0x10000] = 0xaa;
    expect(s.smc([FFA_MEM_RECLAIM, HANDLE_LOW(h), HANDLE_HIGH(h), BigInt(FFA_MEM_CLEAR)])[0]).toBe(FFA_SUCCESS);
    expect(ram[0x10000]).toBe(0);
    expect(err(s.smc([FFA_MEM_RECLAIM, HANDLE_LOW(h), HANDLE_HIGH(h), 0n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    const r2 = send(s, desc([{ address: P(1), pg_cnt: 1 }]));
    expect(err(s.smc([FFA_MEM_RECLAIM, r2[2]!, r2[3]!, BigInt(FFA_MEM_CLEAR)]))).toBe(FFA_RET_INVALID_PARAMETERS); /* CLEAR on a share */
  });

  it('a direct request not from 0 to the partition is FFA_ERROR(INVALID_PARAMETERS)', () => {
    const s = mapped();
    expect(err(s.smc([FFA_FN64_MSG_SEND_DIRECT_REQ, 0x8002n, 0n, 1n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(err(s.smc([FFA_FN64_MSG_SEND_DIRECT_REQ, (1n << 16n) | BigInt(SP_ID), 0n, 1n]))).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(s.smc([FFA_FN64_MSG_SEND_DIRECT_REQ, BigInt(SP_ID), 0n, 1n, 7n])[3]).toBe(BigInt.asUintN(32, BigInt(FFA_RET_INVALID_PARAMETERS))); /* unknown handle */
  });
});
