// FF-A in the fuzzer (R15 in model.ts): the reference model alone against upstream's rules, and a
// directed sequence on the machine (host FF-A driver → pKVM's proxy at EL2 → the board's SPMC)
// compared step by step with the model. The random sequences of fuzz.test.ts draw these operations
// too (ops.ts: ffa_share, ffa_reclaim, ffa_sp).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Op } from './ops';
import { opArb } from './ops';
import { traceSequence } from './runner';
import { FFA_RET_DENIED, FFA_RET_INVALID_PARAMETERS, PkvmModel } from './model';

const RAM = 0x4000_0000n;
const model = () => new PkvmModel({
  ramBase: RAM, ramSize: 4n << 20n, paBits: 40, ipaBits: 40, maxVms: 2,
  carveout: { base: RAM + (3n << 20n), size: 1n << 20n }, zeroedPfns: { first: RAM >> 12n, count: 256 },
});
const pa = (i: number) => RAM + BigInt(i) * 0x1000n;

describe('R15 FF-A in the reference model', () => {
  it('mailbox, share / lend, the partition holding it, reclaim; attacks DENIED with nothing changed', () => {
    const m = model();
    expect(m.ffaMemXfer([{ addr: pa(10), pages: 1 }], false, false).ret).toBe(FFA_RET_INVALID_PARAMETERS); /* no mailbox */
    expect(m.ffaRxtxMap(pa(1), pa(2))).toBe(0);
    expect(m.page(1n + (RAM >> 12n))).toMatchObject({ host: 'SHARED_OWNED', hyp: 'SHARED_BORROWED', pin: 1 });
    expect(m.ffaRxtxMap(pa(3), pa(4))).toBe(FFA_RET_DENIED);
    const s = m.ffaMemXfer([{ addr: pa(10), pages: 2 }], false, false);
    expect(s).toEqual({ ret: 0, handle: (1n << 32n) | 1n });
    expect(m.page((RAM >> 12n) + 11n).host).toBe('SHARED_OWNED');
    /* a range the host cannot share undoes the ranges before it */
    expect(m.ffaMemXfer([{ addr: pa(20), pages: 1 }, { addr: RAM + (3n << 20n), pages: 1 }], true, false).ret).toBe(FFA_RET_DENIED);
    expect(m.page((RAM >> 12n) + 20n).host).toBe('OWNED');
    expect(m.ffaMemXfer([{ addr: pa(11), pages: 1 }], false, false).ret).toBe(FFA_RET_DENIED); /* already shared */
    expect(m.ffaMemXfer([{ addr: 0x0900_0000n, pages: 1 }], false, false).ret).toBe(FFA_RET_DENIED); /* MMIO */
    expect(m.ffaMemXfer([{ addr: 0xffff_ffff_ffff_f000n, pages: 1 }], false, false).ret).toBe(FFA_RET_DENIED); /* beyond the PA range */
    expect(m.ffaMemXfer([{ addr: pa(20), pages: 1 }], false, true).ret).toBe(FFA_RET_INVALID_PARAMETERS); /* lies: the SPMC */
    expect(m.page((RAM >> 12n) + 20n).host).toBe('OWNED');
    expect(m.ffaPartition(s.handle!, true)).toBe(0);
    expect(m.ffaReclaim(s.handle!)).toBe(FFA_RET_DENIED);
    expect(m.ffaPartition(s.handle!, false)).toBe(0);
    expect(m.ffaPartition(s.handle!, false)).toBe(FFA_RET_DENIED);
    expect(m.ffaReclaim(s.handle!)).toBe(0);
    expect(m.page((RAM >> 12n) + 10n).host).toBe('OWNED');
    expect(m.ffaReclaim(s.handle!)).toBe(FFA_RET_INVALID_PARAMETERS);
    expect(m.ffaMemXfer([{ addr: pa(10), pages: 1 }], true, false).handle).toBe((1n << 32n) | 2n); /* handles are not reused */
  });

  it('the fuzzer generates the FF-A operations', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(opArb, (op) => { seen.add(op.t); }), { numRuns: 3000, seed: 1 });
    for (const t of ['ffa_share', 'ffa_reclaim', 'ffa_sp']) expect(seen).toContain(t);
  });
});

describe('R15 FF-A on the machine, step by step against the model', () => {
  it('share and lend host pages, the partition holds one (reclaim DENIED), reclaims; hyp, guest and struct pages DENIED', () => {
    const ops: Op[] = [
      { t: 'ffa_share', pfns: [{ k: 'fuzz', i: 0 }], nr: 2, lend: false, lie: false },
      { t: 'ffa_share', pfns: [{ k: 'fuzz', i: 1 }], nr: 1, lend: true, lie: false }, /* overlaps: DENIED */
      { t: 'ffa_share', pfns: [{ k: 'fuzz', i: 3 }, { k: 'carveout' }], nr: 1, lend: true, lie: false },
      { t: 'ffa_share', pfns: [{ k: 'struct', slot: 0, what: 'kvm' }], nr: 1, lend: false, lie: false },
      { t: 'ffa_share', pfns: [{ k: 'struct', slot: 0, what: 'vm' }], nr: 1, lend: false, lie: false },
      { t: 'ffa_share', pfns: [{ k: 'fuzz', i: 3 }], nr: 1, lend: false, lie: true },
      { t: 'ffa_sp', h: { k: 'pick', i: 0 }, retrieve: true },
      { t: 'ffa_reclaim', h: { k: 'pick', i: 0 } },
      { t: 'host_write', pa: { k: 'fuzz', i: 0 }, val: 0x5eedn }, /* still the host's (SHARED_OWNED) */
      { t: 'share_hyp', pfn: { k: 'fuzz', i: 1 }, hint: false }, /* SHARED_OWNED: -EPERM */
      { t: 'ffa_sp', h: { k: 'pick', i: 0 }, retrieve: false },
      { t: 'ffa_reclaim', h: { k: 'pick', i: 0 } },
      { t: 'ffa_reclaim', h: { k: 'raw', v: (1n << 32n) | 1n } },
      { t: 'donate', pfn: { k: 'fuzz', i: 1 }, gfn: { k: 'gfn', v: 0x40000n }, vm: { k: 'slot', slot: 0 }, prep: true, topup: true },
      { t: 'ffa_share', pfns: [{ k: 'fuzz', i: 1 }], nr: 1, lend: false, lie: false }, /* now the guest's */
    ];
    const { log, failure } = traceSequence(ops);
    if (failure) throw failure;
    const text = log.join('\n');
    expect(text).toContain('FFA_FN64_RXTX_MAP');
    expect(text).toMatch(/FFA_MEM_SHARE\(0x40000000\+2\) → SUCCESS handle 0x100000001/);
    expect(text).toMatch(/FFA_MEM_LEND\(0x40001000\+1\) → DENIED/);
    expect(text).toMatch(/FFA_MEM_LEND\(0x40003000\+1, 0x[0-9a-f]+\+1\) → DENIED/);
    expect(text).toMatch(/FFA_MEM_SHARE\(0x40003000\+1\) claiming one page more → INVALID_PARAMETERS/);
    expect(text).toMatch(/FFA_MEM_RECLAIM\(0x100000001\) → DENIED/);
    expect(text).toMatch(/FFA_MEM_RECLAIM\(0x100000001\) → SUCCESS/);
    expect(text).toMatch(/FFA_MEM_RECLAIM\(0x100000001\) → INVALID_PARAMETERS/);
    expect(text).toMatch(/__pkvm_host_share_hyp\(pfn 0x40001 fuzz#1\) → x0=0 x1=-EPERM/);
    expect(text.split('\n').filter((l) => /FFA_MEM_SHARE\(0x40001000\+1\) → DENIED/.test(l)).length).toBe(1);
  });
});
