import { describe, expect, it } from 'vitest';
import { ready, pageState, hostPages } from './harness';
import { SP_CMD_READ, SP_CMD_RETRIEVE, SP_CMD_RELINQUISH } from '../../machine/ffa/sp';

describe('smoke', () => {
  it('share, read, reclaim', () => {
    const b = ready();
    const pa = hostPages(b, 2);
    b.kvm.mem.writeU64(pa + 8n, 0x1234n);
    const r = b.host.mem_xfer([{ address: pa, pg_cnt: 2 }]);
    console.log(r, b.el2.trace.events.filter((e) => e.kind === 'ffa').map((e) => e.text));
    expect(r.ok).toBe(true);
    expect(pageState(b, pa)).toBe('SHARED_OWNED/NOPAGE');
    expect(b.host.direct_req(SP_CMD_RETRIEVE, r.handle!).regs[3]).toBe(0n);
    expect(b.host.direct_req(SP_CMD_READ, r.handle!, 8n).regs[4]).toBe(0x1234n);
    expect(b.host.direct_req(SP_CMD_RELINQUISH, r.handle!).regs[3]).toBe(0n);
    const c = b.host.mem_reclaim(r.handle!);
    expect(c.ok).toBe(true);
    expect(pageState(b, pa)).toBe('OWNED/NOPAGE');
  });
});
