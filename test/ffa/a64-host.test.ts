/**
 * An A64 host at EL1 makes FF-A calls by SMC: HCR_EL2.TSC traps them to the hosted EL2
 * (handleHostTrap → handle_host_smc → kvm_host_ffa_handler), which answers or forwards them to the
 * board's SPMC, x0..x7 back in the host's registers.
 */
import { describe, expect, it } from 'vitest';
import { Machine, RAM_BASE } from '../../machine/machine';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { handleHostTrap } from '../../hyp/host-trap';
import { handlePsci } from '../../machine/psci';
import { attachFfaSpmc } from '../../machine/ffa/board';
import { FFA_ERROR, FFA_ID_GET, FFA_RET_INVALID_PARAMETERS, FFA_SUCCESS, FFA_VERSION_1_1 } from '../../machine/ffa/abi';
import { SysReg, adr, ldr_imm, mrs, msr, movReg, movk, movz, smc, b as branch, NOP } from '../gen/a64enc';
import { ffa_build_mem_region } from '../../machine/ffa/abi';
import { SP_ID } from '../../machine/ffa/sp';

/** x0 = (hi << 16) | lo */
const mov32 = (r: number, v: number) => [movz(r, v & 0xffff, 0), movk(r, (v >>> 16) & 0xffff, 1)];

function program(): Uint8Array {
  const code = [
    ...mov32(0, 0x8400_0069), smc(0), movReg(19, 0), movReg(18, 2), /* FFA_ID_GET before FFA_VERSION */
    ...mov32(0, 0x8400_0063), ...mov32(1, FFA_VERSION_1_1), smc(0), movReg(20, 0), /* FFA_VERSION(1.1) */
    ...mov32(0, 0x8400_0069), smc(0), movReg(21, 0), movReg(22, 2), /* FFA_ID_GET: forwarded */
    ...mov32(0, 0x8400_0064), ...mov32(1, 0x8400_0073), smc(0), movReg(23, 0), movReg(24, 2), /* FFA_FEATURES(MEM_SHARE) */
    ...mov32(0, 0x8400_0071), smc(0), movReg(25, 0), movReg(26, 2), /* FFA_MEM_DONATE: NOT_SUPPORTED */
    ...mov32(0, 0x8400_0008), smc(0), branch(0), /* SYSTEM_OFF */
  ];
  const words = new Array<number>(0x400 / 4).fill(NOP);
  code.forEach((w, i) => { words[i] = w; });
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  return out;
}

describe('A64 host FF-A calls through the hosted EL2', () => {
  it('gated until FFA_VERSION, then answered at EL2 or forwarded to the SPMC', () => {
    let el2!: HostedEl2;
    const m = new Machine({ memBytes: 64 << 20, onHypExit: () => handleHostTrap(el2, (x) => handlePsci(x)) });
    m.load(program(), 'host', RAM_BASE + 0x8_0000n);
    const spmc = attachFfaSpmc(m.core);
    el2 = new HostedEl2(m.core);
    el2.enterHostContext();
    expect(m.run(100_000n).reason).toBe('poweroff');
    const x = (i: number) => m.core.getX(i);
    expect([x(19), x(18)]).toEqual([FFA_ERROR, BigInt.asUintN(64, BigInt(FFA_RET_INVALID_PARAMETERS))]);
    expect(x(20)).toBe(BigInt(FFA_VERSION_1_1));
    expect([x(21), x(22)]).toEqual([FFA_SUCCESS, 0n]);
    expect([x(23), x(24)]).toEqual([FFA_SUCCESS, 0n]);
    expect([x(25), x(26)]).toEqual([FFA_ERROR, BigInt.asUintN(64, -1n)]);
    expect(spmc.log.some((l) => l.fid === FFA_ID_GET)).toBe(true);
    expect(el2.trace.events.filter((e) => e.kind === 'ffa').length).toBeGreaterThanOrEqual(5);
  });
});

/**
 * An A64 host lends a page (with the lend-revokes-host option) and then loads from it: the host
 * stage-2 abort is refused by EL2 and re-injected (host_inject_mem_abort(): DABT_CUR from EL1,
 * S1PTW set, FAR = the address), as for any page the host gave away.
 */
function lendProgram(): Uint8Array {
  const code = [
    ...mov32(0, 0x8400_0063), ...mov32(1, FFA_VERSION_1_1), smc(0), /* FFA_VERSION */
    ...mov32(0, 0xc400_0066), movReg(1, 19), movReg(2, 20), movz(3, 1), smc(0), movReg(21, 0), /* RXTX_MAP(x19, x20, 1) */
    ...mov32(0, 0xc400_0072), movReg(1, 22), movReg(2, 22), movz(3, 0), movz(4, 0), smc(0), movReg(23, 0), movReg(24, 2), /* MEM_LEND */
  ];
  code.push(adr(9, 0x800 - code.length * 4), msr(SysReg.VBAR_EL1, 9), ldr_imm(5, 25, 0), branch(0));
  const words = new Array<number>(0xc00 / 4).fill(NOP);
  code.forEach((w, i) => { words[i] = w; });
  const handler = [mrs(26, SysReg.ESR_EL1), mrs(27, SysReg.FAR_EL1), ...mov32(0, 0x8400_0008), smc(0), branch(0)];
  handler.forEach((w, i) => { words[(0xa00 >> 2) + i] = w; });
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  return out;
}

describe('A64 host: a lent page is gone from the host stage-2 (lend-revokes-host)', () => {
  it('FFA_MEM_LEND by SMC, then a load from the page: the abort is re-injected into the host', () => {
    let el2!: HostedEl2;
    const m = new Machine({ memBytes: 64 << 20, onHypExit: () => handleHostTrap(el2, (x) => handlePsci(x)) });
    m.load(lendProgram(), 'host', RAM_BASE + 0x8_0000n);
    attachFfaSpmc(m.core);
    el2 = new HostedEl2(m.core, { ffaLendRevokesHost: true });
    el2.enterHostContext();
    const tx = RAM_BASE + 0x20_0000n, rx = tx + 0x1000n, page = tx + 0x4000n;
    const desc = ffa_build_mem_region({ version: FFA_VERSION_1_1, sender: 0, receivers: [SP_ID], ranges: [{ address: page, pg_cnt: 1 }] });
    m.core.writePhys(tx, desc);
    m.core.writePhysU64(page, 0x1e4dn);
    const x = (i: number) => m.core.getX(i);
    [[19, tx], [20, rx], [22, BigInt(desc.length)], [25, page]].forEach(([i, v]) => m.core.setX(Number(i), BigInt(v!)));
    expect(m.run(200_000n).reason).toBe('poweroff');
    expect(x(21)).toBe(FFA_SUCCESS);
    expect(x(23)).toBe(FFA_SUCCESS);
    const handle = x(24);
    expect((x(26) >> 26n) & 0x3fn).toBe(0x25n); /* DABT_CUR: the host was at EL1 */
    expect((x(26) >> 7n) & 1n).toBe(1n); /* S1PTW */
    expect(x(27)).toBe(page);
    expect(el2.trace.events.some((e) => e.kind === 'host-abort' && e.text.includes(page.toString(16)))).toBe(true);
    const t = attachFfaSpmc(m.core).mem.byHandle.get((1n << 32n) | handle)!;
    expect(t.type).toBe('lend');
  });
});
