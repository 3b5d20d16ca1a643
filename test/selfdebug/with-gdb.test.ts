// The gdb stub's breakpoints/watchpoints (core-as/debug/) and the guest's own hardware ones armed
// at the same address: the external debugger sees the instruction first (it stops before anything
// happens, as QEMU's gdbstub does); when it steps over its stop, the guest's breakpoint or
// watchpoint exception is taken as the Arm ARM says (D2.9, D2.10): EC 0x31 / 0x35 at EL1.
import { describe, expect, it } from 'vitest';
import { CODE, DATA, NOP, SR, esrEC, prepare } from '../core/harness';
import { DBGBCR, DBGBVR, DBGWCR, DBGWVR, MDSCR_KDE, MDSCR_MDE, STR, bcr, wcr } from './enc';

interface Dbg { dbgAddBreak(va: bigint): number; dbgAddWatch(va: bigint, len: bigint, kind: number): number; dbgSuspend(mask: number): void; dbgClear(): void }
const armed = (regs: Array<[number, bigint]>) => ({
  daif: 0x7, mmu: true, sysregs: [[SR.OSLSR_EL1, 0n], [SR.MDSCR_EL1, MDSCR_MDE | MDSCR_KDE], ...regs] as Array<[number, bigint]>,
});

describe('gdb and the guest\'s own debug events together', () => {
  it('a breakpoint of both: gdb stops first, then the hardware breakpoint exception', () => {
    const core = prepare([NOP, NOP, NOP], armed([[DBGBVR(0), CODE + 4n], [DBGBCR(0), bcr()]]));
    const dbg = core.x as unknown as Dbg;
    dbg.dbgClear();
    expect(dbg.dbgAddBreak(CODE + 4n)).toBe(0);
    expect(core.run(10)).toBe('debug');
    expect(core.pc).toBe(CODE + 4n);
    dbg.dbgSuspend(3);
    core.run(1);
    dbg.dbgSuspend(0);
    dbg.dbgClear();
    expect([esrEC(core.sysreg(SR.ESR_EL1)), core.sysreg(SR.ELR_EL1)]).toEqual([0x31, CODE + 4n]);
  });
  it('a watchpoint of both: gdb stops first, then the watchpoint exception (FAR the address)', () => {
    const core = prepare([STR(1, 2)], { ...armed([[DBGWVR(0), DATA], [DBGWCR(0), wcr()]]), x: { 1: 5n, 2: DATA } });
    const dbg = core.x as unknown as Dbg;
    dbg.dbgClear();
    expect(dbg.dbgAddWatch(DATA, 8n, 2)).toBe(0);
    expect(core.run(1)).toBe('debug');
    expect(core.pc).toBe(CODE);
    dbg.dbgSuspend(3);
    core.run(1);
    dbg.dbgSuspend(0);
    dbg.dbgClear();
    expect([esrEC(core.sysreg(SR.ESR_EL1)), core.sysreg(SR.FAR_EL1)]).toEqual([0x35, DATA]);
  });
});
