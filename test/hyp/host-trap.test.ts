/**
 * An A64 host kernel at EL1 under the hosted pKVM: the SMCs EL2 relays (psci-relay.c rules: immediate
 * 0, a 32-bit function id) and host_inject_mem_abort() for an access the host stage-2 refuses
 * (ESR_EL1.EC = DABT_CUR from EL1, S1PTW set, FAR_EL1 = the address).
 */
import { describe, expect, it } from 'vitest';
import { Machine, RAM_BASE } from '../../machine/machine';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { handleHostTrap } from '../../hyp/host-trap';
import { handlePsci } from '../../machine/psci';
import { SysReg, adr, b as branch, ldr_imm, movReg, movk, movz, mrs, msr, smc, NOP } from '../gen/a64enc';

const PSCI_VERSION = 0x8400_0000n;

function program(): Uint8Array {
  const words = new Array<number>(0xc00 / 4).fill(NOP);
  const code = [
    movz(0, 0x0000, 0), movk(0, 0x8400, 1), smc(1), movReg(20, 0), /* PSCI_VERSION with SMC #1 */
    movz(0, 0x0000, 0), movk(0, 0x8400, 1), movk(0, 0x0001, 2), smc(0), movReg(21, 0), /* x0 = 0x1_8400_0000 */
    movz(0, 0x0000, 0), movk(0, 0x8400, 1), smc(0), movReg(22, 0), /* PSCI_VERSION: relayed */
    adr(9, (0x800 - 13 * 4)), msr(SysReg.VBAR_EL1, 9), /* vectors at +0x800 */
    ldr_imm(1, 4, 0), /* x4 = a hyp page: refused by the host stage-2 */
    branch(0),
  ];
  code.forEach((w, i) => { words[i] = w; });
  const handler = [ /* current EL with SPx, synchronous: +0x200 */
    mrs(23, SysReg.ESR_EL1), mrs(24, SysReg.FAR_EL1),
    movz(0, 0x0008, 0), movk(0, 0x8400, 1), smc(0), branch(0), /* SYSTEM_OFF */
  ];
  handler.forEach((w, i) => { words[(0xa00 >> 2) + i] = w; });
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  return out;
}

describe('host traps at EL2', () => {
  it('SMC relay: a non-zero immediate or upper function-id bits are NOT_SUPPORTED; host aborts re-injected as upstream', () => {
    let el2!: HostedEl2;
    const m = new Machine({ memBytes: 64 << 20, onHypExit: () => handleHostTrap(el2, (x) => handlePsci(x)) });
    m.load(program(), 'host', RAM_BASE + 0x8_0000n);
    el2 = new HostedEl2(m.core);
    el2.enterHostContext();
    const hypPage = el2.carveout.base + 0x1000n;
    m.core.setX(4, hypPage);
    const r = m.run(100_000n);
    expect(r.reason).toBe('poweroff');
    const NOT_SUPPORTED = (1n << 64n) - 1n;
    expect(m.core.getX(20)).toBe(NOT_SUPPORTED);
    expect(m.core.getX(21)).toBe(NOT_SUPPORTED);
    expect(m.core.getX(22)).toBe(handlePsci([PSCI_VERSION, 0n, 0n, 0n]).x0);
    const esr = m.core.getX(23);
    expect((esr >> 26n) & 0x3fn).toBe(0x25n); /* DABT_CUR: the host was at EL1 */
    expect((esr >> 7n) & 1n).toBe(1n); /* S1PTW */
    expect(m.core.getX(24)).toBe(hypPage);
  });
});
