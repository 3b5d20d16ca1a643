/**
 * The host PSCI relay on an SMP board (psci-relay.c CPU_ON, kvm_hyp_cpu_entry,
 * kvm_host_psci_cpu_entry; hyp/psci-smp.ts): an A64 host at EL1 on CPU 0 brings CPU 1 up with SMC
 * CPU_ON. EL2 keeps the host's entry point and context id, asks the firmware to start the CPU at
 * its own entry, initialises the CPU's EL2 (host stage-2 on: the secondary's access to a hyp page
 * is refused and re-injected) and enters the host on it at the kept entry with x0 = context id.
 * A second CPU_ON of the running CPU is ALREADY_ON (from the firmware), an MPIDR outside the CPUs
 * pKVM knows INVALID_PARAMETERS (from EL2). CPU_OFF of the secondary stops only that CPU.
 */
import { describe, expect, it } from 'vitest';
import { Machine, RAM_BASE } from '../../machine/machine';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { handleHostTrap } from '../../hyp/host-trap';
import { boardFirmware } from '../../hyp/psci-smp';
import { SysReg, adr, b as branch, cbz, ldr_imm, movReg, movk, movz, mrs, msr, smc, str_imm, NOP } from '../gen/a64enc';

const SECONDARY = 0x100, DATA = 0x400, VECTORS = 0x800;

function program(): Uint8Array {
  const words = new Array<number>(0xc00 / 4).fill(NOP);
  const at = (off: number, code: number[]) => code.forEach((w, i) => { words[(off >> 2) + i] = w; });
  at(DATA, new Array<number>(16).fill(0));
  const cpuOn = (mpidr: number, ctxReg: number, out: number, pc: number): number[] => [
    movz(0, 0x0003, 0), movk(0, 0xc400, 1), movz(1, mpidr), adr(2, SECONDARY - (pc + 12)), movReg(3, ctxReg), smc(0), movReg(out, 0),
  ];
  const main: number[] = [];
  main.push(...cpuOn(1, 4, 20, 0)); /* x4 = a hyp page (the test sets it): the secondary's context id */
  main.push(...cpuOn(1, 4, 21, main.length * 4));
  main.push(...cpuOn(7, 4, 22, main.length * 4));
  main.push(adr(25, DATA - main.length * 4));
  main.push(ldr_imm(9, 25, 0), cbz(1, 9, -1)); /* wait for the secondary's flag */
  main.push(movz(0, 0x0008, 0), movk(0, 0x8400, 1), smc(0), branch(0)); /* SYSTEM_OFF */
  at(0, main);
  const sec: number[] = [];
  sec.push(adr(25, DATA - SECONDARY), str_imm(0, 25, 8)); /* x0 at entry */
  sec.push(mrs(9, SysReg.CurrentEL), str_imm(9, 25, 16));
  sec.push(adr(10, VECTORS - (SECONDARY + sec.length * 4)), msr(SysReg.VBAR_EL1, 10));
  sec.push(ldr_imm(11, 0, 0)); /* a hyp page: refused by the host stage-2 on this CPU too */
  sec.push(branch(0));
  at(SECONDARY, sec);
  at(VECTORS + 0x200, [ /* current EL with SPx, synchronous */
    adr(25, DATA - (VECTORS + 0x200)), mrs(9, SysReg.ESR_EL1), str_imm(9, 25, 24), mrs(9, SysReg.FAR_EL1), str_imm(9, 25, 32),
    movz(9, 1), str_imm(9, 25, 0),
    movz(0, 0x0002, 0), movk(0, 0x8400, 1), smc(0), branch(0), /* CPU_OFF */
  ]);
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((x, i) => dv.setUint32(i * 4, x >>> 0, true));
  return out;
}

describe('host PSCI relay on an SMP board', () => {
  it('CPU_ON brings CPU 1 up through EL2 at the host entry, behind the host stage-2', () => {
    let el2!: HostedEl2;
    const m = new Machine({ memBytes: 64 << 20, smp: 2, onHypExit: () => handleHostTrap(el2, boardFirmware(el2.core)) });
    const base = RAM_BASE + 0x8_0000n;
    m.load(program(), 'host', base);
    el2 = new HostedEl2(m.core);
    el2.enterHostContext();
    expect(el2.psciRelay.cpu_logical_map).toEqual([0n, 1n]);
    const hypPage = el2.carveout.base + 0x2000n;
    m.core.setX(4, hypPage);
    const r = m.run(2_000_000n);
    expect(r.reason).toBe('poweroff');
    const s = (v: bigint) => BigInt.asIntN(64, v);
    expect(s(m.core.peekX(0, 20))).toBe(0n); /* SUCCESS */
    expect(s(m.core.peekX(0, 21))).toBe(-4n); /* ALREADY_ON */
    expect(s(m.core.peekX(0, 22))).toBe(-2n); /* INVALID_PARAMETERS */
    const data = (o: bigint) => m.core.readPhysU64(base + BigInt(DATA) + o);
    expect(data(0n)).toBe(1n);
    expect(data(8n)).toBe(hypPage); /* x0 = the context id CPU 0 passed */
    expect(data(16n)).toBe(4n); /* CurrentEL: EL1 */
    const esr = data(24n);
    expect((esr >> 26n) & 0x3fn).toBe(0x25n); /* DABT_CUR, re-injected by EL2 */
    expect((esr >> 7n) & 1n).toBe(1n); /* S1PTW: host_inject_mem_abort() */
    expect(data(32n)).toBe(hypPage);
    expect(el2.pkvm.hcr_vm).toEqual([true, true]); /* HCR_VM from the init parameters after finalisation */
    expect(el2.psciRelay.boot_locked).toEqual([false, false]);
    expect(el2.psciRelay.boot_args[1]!.r0).toBe(hypPage);
    expect(m.core.powerState(1)).toBe(1); /* off again */
  });
});
