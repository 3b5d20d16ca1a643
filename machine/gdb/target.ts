// What the gdb stub debugs: a core and its threads. A thread is a CPU of the board (its state live
// in the core), or under the hosted pKVM a guest vCPU, live while it runs and otherwise in its saved
// context (cli/gdb/pkvm-threads.ts). Memory goes through a thread's translation regime by a walk
// that uses and fills no TLB and takes no exception (Core.walk), or to physical RAM.
import { Core, L, MMU_EL1, MMU_EL2, SR, type FaultInfo } from '../core';
import type { CpuRegs } from './registers';

/** 'cur': the thread's own regime (EL2 at EL2, else EL1&0 with stage 2 when enabled). */
export type Regime = 'cur' | 'el1' | 'el2' | 'ipa';

export interface DebugThread {
  /** gdb thread id (≥ 1), stable while the thread exists. */
  readonly id: number;
  readonly name: string;
  /** Its state is the core's right now. */
  live(): boolean;
  regs(): CpuRegs;
  /** Translates va for a debugger access (no permission needed but a valid mapping): the PA or why not. */
  translate(va: bigint, regime: Regime): bigint | string;
  /** One line for qThreadExtraInfo / `info threads`. */
  extraInfo(): string;
}

export interface DebugTarget {
  readonly core: Core;
  threads(): DebugThread[];
  /** The thread on the core now (the one a stop reports). */
  current(): DebugThread;
  /**
   * Makes thread t the one the core executes next (a step or a continue of that thread). With
   * wake, a thread asleep (WFI/WFE) wakes: the debugger's halt is a wake-up event. Returns null, or
   * one line saying why it cannot execute. Absent: only the current thread can execute.
   */
  select?(t: DebugThread, wake: boolean): string | null;
  /** Holds every thread whose id is in `ids` (it takes no turns) until the next hold([]). */
  hold?(ids: number[]): void;
}

/** The live CPU state in the core (the current CPU of the board). */
export class LiveCpuRegs implements CpuRegs {
  constructor(readonly core: Core) {}
  x(i: number): bigint { return this.core.getX(i); }
  setX(i: number, v: bigint): void { this.core.setX(i, v); }
  sp(): bigint { return this.core.getX(31); }
  setSp(v: bigint): void { this.core.setX(31, v); }
  pc(): bigint { return this.core.pc; }
  setPc(v: bigint): void { this.core.pc = v; }
  cpsr(): bigint { return this.core.pstate; }
  setCpsr(v: bigint): void { this.core.pstate = v; }
  v(i: number): bigint {
    const dv = this.core.view, o = L.CPU_BASE + L.OFF_V + 16 * i;
    return dv.getBigUint64(o, true) | (dv.getBigUint64(o + 8, true) << 64n);
  }
  setV(i: number, v: bigint): boolean {
    const dv = this.core.view, o = L.CPU_BASE + L.OFF_V + 16 * i;
    dv.setBigUint64(o, BigInt.asUintN(64, v), true);
    dv.setBigUint64(o + 8, BigInt.asUintN(64, v >> 64n), true);
    return true;
  }
  sysreg(idx: number): bigint | null { return this.core.sysreg(idx); }
  setSysreg(idx: number, v: bigint): boolean { this.core.setSysreg(idx, v); return true; }
}

export function describeFault(f: FaultInfo): string {
  return `${f.stage2 ? 'stage-2 ' : ''}${f.s1ptw ? '(on the stage-1 walk) ' : ''}fault, FSC 0x${f.fsc.toString(16)} at level ${f.level}`;
}

/**
 * A debugger translation with the core's walker and the core's current translation registers:
 * read permission, else execute, else as EL0 (the debugger needs a mapping, not a permission).
 */
export function coreTranslate(core: Core, va: bigint, regime: Regime, el: number): bigint | string {
  if (regime === 'ipa') {
    const t = core.walkStage2(va, 'r', core.sysreg(SR.VTTBR_EL2), core.sysreg(SR.VTCR_EL2));
    if ('pa' in t) return t.pa;
    const x = core.walkStage2(va, 'x', core.sysreg(SR.VTTBR_EL2), core.sysreg(SR.VTCR_EL2));
    return 'pa' in x ? x.pa : describeFault(t.fault);
  }
  const idx = regime === 'el2' || (regime === 'cur' && el === 2) ? MMU_EL2 : MMU_EL1;
  let first: FaultInfo | null = null;
  for (const [acc, i] of [['r', idx], ['x', idx], ['r', 0], ['x', 0]] as const) {
    if (i === 0 && idx === MMU_EL2) break;
    const t = core.walk(va, acc, i);
    if ('pa' in t) return t.pa;
    first ??= t.fault;
  }
  return describeFault(first!);
}

const TRANSLATION_REGS = [SR.SCTLR_EL1, SR.TCR_EL1, SR.TTBR0_EL1, SR.TTBR1_EL1, SR.MAIR_EL1, SR.HCR_EL2, SR.VTTBR_EL2,
  SR.VTCR_EL2, SR.SCTLR_EL2, SR.TCR_EL2, SR.TTBR0_EL2, SR.MAIR_EL2];

/**
 * A debugger translation for a context that is not on the core (another CPU's saved state, a saved
 * vCPU): its translation registers (those it has: null keeps the core's) loaded into the core for
 * the walk and put back (Core.walk uses and fills no TLB).
 */
export function translateAs(core: Core, regs: CpuRegs, va: bigint, regime: Regime, el: number): bigint | string {
  const saved = TRANSLATION_REGS.map((i) => core.sysreg(i));
  try {
    for (const i of TRANSLATION_REGS) {
      const v = regs.sysreg(i);
      if (v !== null) core.setSysreg(i, v);
    }
    return coreTranslate(core, va, regime, el);
  } finally {
    TRANSLATION_REGS.forEach((i, k) => core.setSysreg(i, saved[k]!));
  }
}

/**
 * The board's CPUs as the debugger sees them. One CPU: the core itself (singleCpu). With SMP the
 * board supplies its CPU list: thread i + 1 is CPU i; the running CPU's registers are the core's,
 * the others' come from wherever the board keeps them (regs(i)), and memory is translated with the
 * selected CPU's registers (translate(i, …)).
 */
export interface BoardCpus {
  count(): number;
  /** The CPU whose state is live in the core (the one a stop reports). */
  current(): number;
  regs(i: number): CpuRegs;
  translate(i: number, va: bigint, regime: Regime): bigint | string;
  /** e.g. "EL1" or "off (waiting for CPU_ON)". */
  state(i: number): string;
  /** CPU i executes next (core-as/smp/debug-select.ts): null, or why it cannot. Absent: one CPU. */
  select?(i: number, wake: boolean): string | null;
  /** Holds the CPUs whose bits are set in mask (0 releases them all). */
  hold?(mask: number): void;
}

export function singleCpu(core: Core): BoardCpus {
  const regs = new LiveCpuRegs(core);
  return {
    count: () => 1,
    current: () => 0,
    regs: () => regs,
    translate: (_i, va, regime) => coreTranslate(core, va, regime, core.el),
    state: () => `EL${core.el}`,
  };
}

/**
 * A CPU that is not the current one: its registers as saved in its state block (the CPU_BASE
 * layout at Core.saveArea), which the scheduler loads when it runs that CPU next. x0-x30, SP, PC
 * and V0-V31 are writable there; PSTATE and system registers (whose writes have side effects the
 * core applies only to the running CPU) are read-only.
 */
export class SavedCpuRegs implements CpuRegs {
  constructor(readonly core: Core, readonly cpu: number) {}
  private get base(): number { return this.core.saveArea(this.cpu); }
  private u64(off: number): bigint { return this.core.view.getBigUint64(this.base + off, true); }
  private u32(off: number): number { return this.core.view.getUint32(this.base + off, true); }
  private set64(off: number, v: bigint): void { this.core.view.setBigUint64(this.base + off, BigInt.asUintN(64, v), true); }
  x(i: number): bigint { return this.u64(i * 8); }
  setX(i: number, v: bigint): void { if (i >= 0 && i < 31) this.set64(i * 8, v); }
  sp(): bigint { return this.u64(L.REG_SP * 8); }
  setSp(v: bigint): void { this.set64(L.REG_SP * 8, v); }
  pc(): bigint { return this.u64(L.OFF_PC); }
  setPc(v: bigint): void { this.set64(L.OFF_PC, v); }
  cpsr(): bigint { // SPSR layout: NZCV, DAIF, IL/SS/PAN/UAO, M[3:0] = EL:SPSel
    const el = this.u32(L.OFF_EL), spsel = this.u32(L.OFF_SPSEL);
    return BigInt((this.u32(L.OFF_NZCV) & 0xf000_0000) | (this.u32(L.OFF_DAIF) & 0x3c0) | this.u32(L.OFF_PSTATE_MISC) | (el << 2) | (el ? spsel & 1 : 0)) & 0xffff_ffffn;
  }
  setCpsr(): void { throw new Error(`cpu${this.cpu}'s PSTATE is read-only while another CPU is on the core`); }
  v(i: number): bigint { return this.u64(L.OFF_V + 16 * i) | (this.u64(L.OFF_V + 16 * i + 8) << 64n); }
  setV(i: number, v: bigint): boolean {
    this.set64(L.OFF_V + 16 * i, v);
    this.set64(L.OFF_V + 16 * i + 8, v >> 64n);
    return true;
  }
  sysreg(idx: number): bigint | null { return this.u64(L.OFF_SYSREGS + idx * 8); }
  setSysreg(): boolean { return false; }
}

/** The CPUs of an SMP board (core-as/smp/): the current one live, the others from their state blocks. */
export function smpCpus(core: Core): BoardCpus {
  const live = new LiveCpuRegs(core);
  const saved: SavedCpuRegs[] = [];
  return {
    count: () => core.numCpus,
    current: () => core.cpu,
    regs: (i) => (i === core.cpu ? live : (saved[i] ??= new SavedCpuRegs(core, i))),
    translate: (i, va, regime) => {
      if (i === core.cpu) return coreTranslate(core, va, regime, core.el);
      if (core.schedState(i) === 'off') return `cpu${i} is off: its translation registers are not set`;
      const regs = (saved[i] ??= new SavedCpuRegs(core, i));
      return translateAs(core, regs, va, regime, Number((regs.cpsr() >> 2n) & 3n));
    },
    select: (i, wake) => {
      const r = core.makeCurrent(i, wake);
      switch (r) {
        case 'ok': case 'asleep': return null;
        case 'off': return `cpu${i} is powered off (waiting for PSCI CPU_ON): it cannot execute`;
        case 'stuck': return `cpu${i} is stuck (it can never make progress): it cannot execute`;
        default: return `cpu${i} cannot be selected while a device access of cpu${core.cpu} is pending`;
      }
    },
    hold: (mask) => core.hold(mask),
    state: (i) => {
      const s = core.schedState(i);
      if (s === 'off') return 'off (waiting for CPU_ON)';
      if (s === 'stuck') return 'stuck (it can never make progress)';
      const el = i === core.cpu ? core.el : Number((new SavedCpuRegs(core, i).cpsr() >> 2n) & 3n);
      return s === 'run' ? `EL${el}` : `EL${el}, asleep in ${s.toUpperCase()}`;
    },
  };
}

/** The board's CPUs as threads: CPU i is thread i + 1, named cpu<i>. */
export function machineTarget(core: Core, cpus: BoardCpus = core.numCpus > 1 ? smpCpus(core) : singleCpu(core)): DebugTarget {
  const made: DebugThread[] = [];
  const thread = (i: number): DebugThread => (made[i] ??= {
    id: i + 1, name: `cpu${i}`,
    live: () => cpus.current() === i,
    regs: () => cpus.regs(i),
    translate: (va, regime) => cpus.translate(i, va, regime),
    extraInfo: () => cpus.state(i),
  });
  return {
    core,
    threads: () => Array.from({ length: cpus.count() }, (_, i) => thread(i)),
    current: () => thread(cpus.current()),
    select: (t, wake) => (t.id - 1 === cpus.current() && cpus.count() === 1 ? null
      : cpus.select ? cpus.select(t.id - 1, wake) : t.id - 1 === cpus.current() ? null : `${t.name} is not on the core`),
    hold: (ids) => cpus.hold?.(ids.reduce((m, id) => m | (1 << (id - 1)), 0)),
  };
}
