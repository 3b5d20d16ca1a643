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
import {
  HostPsciRelay, PSCI_0_2_FN64_CPU_ON, PSCI_0_2_FN64_CPU_SUSPEND, PSCI_0_2_FN_CPU_ON, PSCI_0_2_FN_CPU_SUSPEND,
  PSCI_0_2_FN_PSCI_VERSION, PSCI_0_2_FN_SYSTEM_OFF, PSCI_1_0_FN_PSCI_FEATURES, is_psci_0_2_call, kvm_host_psci_handler,
} from '../../hyp/psci-relay';
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

describe('host PSCI relay (psci-relay.c) on one CPU', () => {
  const relayOf = () => new HostPsciRelay([0n], 0x4fe0_0000n);
  const fw = () => {
    const calls: bigint[][] = [];
    const f = (x: bigint[]) => (calls.push(x), handlePsci(x));
    return { calls, f };
  };
  const s = (v: bigint | undefined) => (v === undefined ? undefined : BigInt.asIntN(64, v));
  it('forwards VERSION, FEATURES, SYSTEM_OFF; answers 32-bit CPU_ON/CPU_SUSPEND and unknown PSCI ids NOT_SUPPORTED at EL2', () => {
    const { calls, f } = fw();
    const r = relayOf();
    expect(s(kvm_host_psci_handler(r, 0, PSCI_0_2_FN_PSCI_VERSION, [PSCI_0_2_FN_PSCI_VERSION], f)!.x0)).toBe(0x10001n);
    expect(kvm_host_psci_handler(r, 0, PSCI_1_0_FN_PSCI_FEATURES, [0n, PSCI_0_2_FN_PSCI_VERSION], f)).not.toBe(null);
    expect(calls.length).toBe(2);
    for (const fn of [PSCI_0_2_FN_CPU_ON, PSCI_0_2_FN_CPU_SUSPEND, 0x8400_001fn, 0xc400_0010n])
      expect(s(kvm_host_psci_handler(r, 0, fn, [fn, 0n, 0n, 0n], f)!.x0)).toBe(-1n);
    expect(calls.length).toBe(2); /* none of those reached the firmware */
    expect(kvm_host_psci_handler(r, 0, 0x8600_0000n, [0x8600_0000n], f)).toBe(null); /* not PSCI */
    expect(kvm_host_psci_handler(r, 0, PSCI_0_2_FN_SYSTEM_OFF, [PSCI_0_2_FN_SYSTEM_OFF], f)!.action).toBe('off');
  });

  it('CPU_ON: unknown MPIDR -> INVALID_PARAMETERS without the firmware; a known one goes to the firmware at EL2\'s entry', () => {
    const { calls, f } = fw();
    const r = relayOf();
    const on = (mpidr: bigint) => s(kvm_host_psci_handler(r, 0, PSCI_0_2_FN64_CPU_ON, [PSCI_0_2_FN64_CPU_ON, mpidr, 0x4008_0000n, 7n], f)!.x0);
    expect(on(1n)).toBe(-2n);
    expect(on(0x100n)).toBe(-2n);
    expect(calls.length).toBe(0);
    /* The boot CPU itself: the firmware is asked with EL2's entry point, answers ALREADY_ON, and
     * the boot arguments are released. */
    expect(on(0n)).toBe(-4n);
    expect(calls[0]).toEqual([PSCI_0_2_FN64_CPU_ON, 0n, 0x4fe0_0000n, 0n]);
    expect(r.boot_locked[0]).toBe(false);
    expect(r.boot_args[0]).toEqual({ pc: 0x4008_0000n, r0: 7n });
    /* find_cpu_id() masks with MPIDR_HWID_BITMASK (bit 31 is outside it), the firmware gets x1 as
     * the host passed it (QEMU's firmware compares all 64 bits: INVALID_PARAMETERS). */
    expect(on(0x8000_0000n)).toBe(-2n);
    expect(calls.length).toBe(2);
    /* A CPU_ON already in flight: ALREADY_ON at EL2. */
    r.boot_locked[0] = true;
    expect(on(0n)).toBe(-4n);
    expect(calls.length).toBe(2);
  });

  it('CPU_SUSPEND (64): the host entry point is kept, the firmware resumes at EL2', () => {
    const { calls, f } = fw();
    const r = relayOf();
    kvm_host_psci_handler(r, 0, PSCI_0_2_FN64_CPU_SUSPEND, [PSCI_0_2_FN64_CPU_SUSPEND, 0n, 0x4008_1000n, 9n], f);
    expect(r.suspend_args[0]).toEqual({ pc: 0x4008_1000n, r0: 9n });
    expect(calls[0]).toEqual([PSCI_0_2_FN64_CPU_SUSPEND, 0n, 0x4fe0_0000n, 0n]);
    expect(is_psci_0_2_call(0x8400_0020n)).toBe(false);
  });
});
