// TypeScript view of the AssemblyScript core (build/core.wasm): one instance = one CPU with its own
// linear memory holding guest RAM. Registers and exit payloads are read through exports and typed
// arrays over linear memory; nothing here runs per instruction.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { J, L, SR } from './core-constants';
import { UserError } from './errors';
import { Jit, type JitCoreExports, type JitOptions, type JitStats } from './jit/jit';
import { importedTableMin } from './jit/table-min';

export { L, SR };

interface CoreExports extends JitCoreExports {
  memory: WebAssembly.Memory;
  init(ramBytes: number, config: number): number;
  reset(el: number, entry: bigint): void;
  run(budget: number): number;
  mmioComplete(value: bigint, status: number): void;
  getX(i: number): bigint;
  setX(i: number, v: bigint): void;
  getPC(): bigint;
  setPCExport(v: bigint): void;
  getNZCV(): number;
  setNZCVExport(v: number): void;
  getEL(): number;
  getPstate(): bigint;
  setPstate(v: bigint): void;
  getSysreg(idx: number): bigint;
  idRegValue(idx: number): bigint;
  setSysreg(idx: number, v: bigint): void;
  getInsns(): bigint;
  getInsnsF(): number;
  bankSP(): void;
  pgtableDescend(table: bigint, level: number, addr: bigint): bigint;
  directStateWritten(mmu: number): void;
  setConfig(c: number): void;
  exceptionReturn(): void;
  injectException(targetEL: number, ec: number, iss: number, far: bigint, hasFar: number): void;
  invalidateCodeRange(pa: bigint, len: number): void;
  invalidateAll(): void;
  tlbFlush(): void;
  walk(va: bigint, access: number, idx: number): bigint;
  faultInfo(): number;
  faultIpa(): bigint;
  walkStage2(ipa: bigint, access: number, vttbr: bigint, vtcr: bigint): bigint;
  walkInfo(): number;
  tlbi(key: number, xt: bigint): number;
  tlbInvalidateVmid(vmid: number): void;
  tlbInvalidateIpa(vmid: number, ipa: bigint): void;
  mmuStat(i: number): number;
  benchTranslate(va: bigint, n: number, stride: bigint, flush: number, access: number, idx: number): bigint;
  benchFastTlb(va: bigint, pages: number, n: number): bigint;
  smpConfigure(n: number, quantum: number): void;
  smpNumCpus(): number;
  smpCurrentCpu(): number;
  smpCpuOn(cpu: number, el: number, entry: bigint, context: bigint): number;
  smpCpuOff(): number;
  smpPowerState(c: number): number;
  smpSchedState(c: number): number;
  smpStandby(): void;
  smpTicks(): bigint;
  smpLayoutFits(): number;
  smpPeekX(c: number, i: number): bigint;
  smpSaveArea(c: number): number;
  smpMakeCurrent(cpu: number, wake: number): number;
  smpHold(mask: number): void;
  smpCpuRetired(c: number): bigint;
  getCpuInsns(): bigint;
  setSpiLevel(intid: number, level: number): void;
  irqLogSet(on: number): void;
  excStatsSet(on: number): void;
  gicEl2Read(idx: number): bigint;
  gicEl2Write(idx: number, v: bigint): void;
  ctxtSave(n: number): void;
  ctxtLoad(n: number): number;
  hypVcpuEnter(n: number): void;
  hypVcpuExit(n: number, hyp: number): void;
  gicFrameAccess(pa: bigint, sizeLog2: number, isWrite: number, v: bigint): bigint;
}

/**
 * One exception taken inside the core (core-as/gic/irq-log.ts): an interrupt (elr: the interrupted
 * PC), or a synchronous exception (sync: esr, the PC that raised it in elr, far when it has one).
 */
export interface IrqLogEntry {
  time: bigint; cpu: number; fiq: boolean; virtual: boolean; targetEl: number; fromEl: number; elr: bigint;
  sync: boolean; esr: number; far?: bigint;
}

export type ExitReason = 'budget' | 'firmware' | 'semihosting' | 'mmio' | 'wfi' | 'hyp' | 'bad-state' | 'debug' | 'stuck';
const EXIT_NAMES: Record<number, ExitReason> = {
  [L.EXIT_BUDGET]: 'budget', [L.EXIT_FIRMWARE]: 'firmware', [L.EXIT_SEMIHOSTING]: 'semihosting',
  [L.EXIT_MMIO]: 'mmio', [L.EXIT_WFI]: 'wfi', [L.EXIT_HYP]: 'hyp', [L.EXIT_BAD_STATE]: 'bad-state',
  [L.EXIT_DEBUG]: 'debug', [L.EXIT_STUCK]: 'stuck', // machine/stuck.ts reads its payload
};

export interface MmioAccess { pa: bigint; size: number; isWrite: boolean; value: bigint; seq: number; reg: number }

export interface CoreConfig {
  haveEL2?: boolean; el2Hosted?: boolean; psciSmc?: boolean; semihosting?: boolean;
  /** CPU profile: 'max' (default: FP, AdvSIMD and crypto) or 'int' (integer only, FP/SIMD UNDEFINED). */
  cpu?: 'max' | 'int';
  /** CPUs on the board (1..8, default 1): CPU 0 starts, the others are off until PSCI CPU_ON. */
  cpus?: number;
  /** Instructions per CPU turn of the round-robin scheduler (core-as/smp/sched.ts); 0: default. */
  quantum?: number;
  /** The compiled tier (machine/jit/): hot blocks compiled to WebAssembly (options: thresholds). Default: Core.jitDefault. */
  jit?: boolean | JitOptions;
}

export const MMU_EL0 = 0, MMU_EL1 = 1, MMU_EL2 = 2;
export const TRANSLATE_FAULT = 0xffff_ffff_ffff_ffffn;
const U64 = (1n << 64n) - 1n;
/** The compiled tier's queue count (core-as/jit/jit-layout.ts JIT_QUEUE): compileQueued() has work only when it is not 0. */
const JIT_QUEUE_WORD = J.JIT_QUEUE >> 2;

let wasmModule: WebAssembly.Module | undefined;
/** Size of the function table core.wasm imports (its own function pointers; the JIT grows it). */
let coreTableMin = 1;
function coreModule(): WebAssembly.Module {
  if (wasmModule) return wasmModule;
  const url = new URL('../build/core.wasm', import.meta.url);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new UserError(`core not built: ${path} is missing (run npm run build:core)`);
  const bytes = readFileSync(path);
  coreTableMin = importedTableMin(bytes);
  wasmModule = new WebAssembly.Module(bytes);
  return wasmModule;
}

export function configBits(c: CoreConfig): number {
  return (c.haveEL2 ? L.CFG_HAVE_EL2 : 0) | (c.el2Hosted ? L.CFG_EL2_HOSTED : 0) |
    (c.psciSmc ? L.CFG_PSCI_SMC : 0) | (c.semihosting ? L.CFG_SEMIHOSTING : 0) |
    (c.cpu === 'int' ? L.CFG_CPU_INT : 0);
}

export class Core {
  readonly x: CoreExports;
  readonly ramBase = 0x4000_0000n;
  readonly ramSize: number;
  private u8!: Uint8Array;
  private w32!: Uint32Array;
  private dv!: DataView;
  private buf: ArrayBuffer | undefined;

  constructor(ramBytes: number, config: CoreConfig = {}) {
    if (!Number.isInteger(ramBytes) || ramBytes < 0x10_0000 || ramBytes > 0xf000_0000 || ramBytes % 4096 !== 0) {
      throw new UserError(`RAM size ${ramBytes} bytes is out of range (1 MiB to 3.75 GiB, 4 KiB multiple)`);
    }
    const mod = coreModule();
    const table = new WebAssembly.Table({ element: 'anyfunc', initial: Math.max(1, coreTableMin) }); // the core's, grown by the JIT
    const inst = new WebAssembly.Instance(mod, { env: { abort: coreAbort, trace: () => {}, seed: () => 0, table, jitNow: () => performance.now() } });
    this.x = inst.exports as unknown as CoreExports;
    this.ramSize = ramBytes;
    this.ramEnd = this.ramBase + BigInt(ramBytes);
    if (this.x.init(ramBytes, configBits(config)) !== 0) throw new UserError(`cannot allocate ${ramBytes} bytes of guest RAM`);
    const cpus = config.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 8) throw new UserError(`--smp ${cpus}: the board has 1 to 8 CPUs`);
    if (cpus !== 1 || config.quantum) this.x.smpConfigure(cpus, config.quantum ?? 0);
    this.views();
    const jit = config.jit ?? Core.jitDefault;
    this.jit = jit ? new Jit(this.x, table, typeof jit === 'object' ? jit : {}) : null;
  }

  /**
   * Whether cores get the compiled tier unless their config says otherwise (the CLI's --no-jit
   * clears it; so does PKVM_EMU_JIT=0 in the environment, for running whole suites in tier 0).
   */
  static jitDefault = typeof process === 'undefined' || process.env.PKVM_EMU_JIT !== '0';
  /** The compiled tier of this core, or null when it runs the interpreter alone. */
  readonly jit: Jit | null;
  /** Compiled-tier counters (null with the JIT off). */
  jitStats(): JitStats | null { return this.jit ? this.jit.readStats() : null; }

  private views(): void {
    const b = this.x.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.u8 = new Uint8Array(b);
      this.w32 = new Uint32Array(b);
      this.dv = new DataView(b);
    }
  }

  /** Whole linear memory. It only grows in init() (constructor), so the views stay valid after. */
  get mem(): Uint8Array { return this.u8; }
  get view(): DataView { return this.dv; }
  /**
   * Whole linear memory as 32-bit words, for bulk register transfers (a world switch): the 64-bit
   * slot of x<i> is the word pair at xWord(i), of sysreg idx at sysregWord(idx) (low word first).
   * Reading SP_ELx slots needs bankSP() first; writes need directStateWritten() after.
   */
  get words(): Uint32Array { return this.w32; }
  static xWord(i: number): number { return (L.CPU_BASE >> 2) + 2 * i; }
  static sysregWord(idx: number): number { return ((L.CPU_BASE + L.OFF_SYSREGS) >> 2) + 2 * idx; }
  bankSP(): void { this.x.bankSP(); }
  directStateWritten(mmuChanged: boolean): void { this.x.directStateWritten(mmuChanged ? 1 : 0); }
  /** Guest RAM as a byte array (index 0 = physical RAM_BASE). */
  get ram(): Uint8Array { this.views(); return this.u8.subarray(L.RAM_HOST, L.RAM_HOST + this.ramSize); }

  setConfig(c: CoreConfig): void { this.x.setConfig(configBits(c)); }
  reset(el: number, entry: bigint): void { this.x.reset(el, entry); }

  /**
   * A debugger attached to this core (machine/gdb/stub.ts): run() goes through it, and it drives
   * runRaw(); its breakpoint/watchpoint exits ('debug') never reach run()'s callers.
   */
  debugHook: ((budget: number) => ExitReason) | null = null;

  run(budget: number): ExitReason {
    if (this.debugHook) {
      // Under a debugger the core runs tier 0 alone (every instruction where gdb expects it).
      if (this.jit) this.x.jitEnable(0);
      return this.debugHook(budget);
    }
    return this.runRaw(budget);
  }

  runRaw(budget: number): ExitReason {
    let b = Math.max(0, Math.min(budget, 0x7fff_ffff));
    for (;;) {
      const before = this.jit ? this.x.getInsnsF() : 0;
      const r = this.x.run(b);
      if (!this.jit) return EXIT_NAMES[r] ?? 'bad-state';
      if (this.w32[JIT_QUEUE_WORD] !== 0) this.jit.compileQueued(); // EXIT_JIT asks for it; any other exit may leave blocks queued too
      if (r !== L.EXIT_JIT) return EXIT_NAMES[r] ?? 'bad-state';
      b -= this.x.getInsnsF() - before;
      if (b <= 0) return 'budget';
    }
  }

  getX(i: number): bigint { return this.x.getX(i) & U64; }
  setX(i: number, v: bigint): void { this.x.setX(i, BigInt.asIntN(64, v)); }
  get pc(): bigint { return this.x.getPC() & U64; }
  set pc(v: bigint) { this.x.setPCExport(BigInt.asIntN(64, v)); }
  get nzcv(): number { return this.x.getNZCV() >>> 0; }
  get el(): number { return this.x.getEL(); }
  get pstate(): bigint { return this.x.getPstate() & U64; }
  set pstate(v: bigint) { this.x.setPstate(BigInt.asIntN(64, v)); }
  sysreg(idx: number): bigint { return this.x.getSysreg(idx) & U64; }
  /** The value MRS of identification register idx (MIDR_EL1..CCSIDR_EL1) returns. */
  idReg(idx: number): bigint { return this.x.idRegValue(idx) & U64; }
  setSysreg(idx: number, v: bigint): void { this.x.setSysreg(idx, BigInt.asIntN(64, v)); }
  /** MRS/MSR of ICH_* at EL2, or of the physical ICC_* a host GIC driver uses (core-as/gic/gic-el2-access.ts), current CPU. */
  gicReg(idx: number): bigint { return this.x.gicEl2Read(idx) & U64; }
  setGicReg(idx: number, v: bigint): void { this.x.gicEl2Write(idx, BigInt.asIntN(64, v)); }
  /** A 32-bit (or 64-bit) load/store to the GICD/GICR frames, as the host kernel's GIC driver makes it. */
  gicFrameRead(pa: bigint, size: 4 | 8 = 4): bigint { return this.x.gicFrameAccess(BigInt.asIntN(64, pa), size === 8 ? 3 : 2, 0, 0n) & U64; }
  gicFrameWrite(pa: bigint, v: bigint, size: 4 | 8 = 4): void { this.x.gicFrameAccess(BigInt.asIntN(64, pa), size === 8 ? 3 : 2, 1, BigInt.asIntN(64, v)); }
  /** V<i> (128 bits) of the SIMD&FP register file. */
  getV(i: number): bigint {
    this.views();
    const a = L.CPU_BASE + L.OFF_V + 16 * i;
    return this.dv.getBigUint64(a, true) | (this.dv.getBigUint64(a + 8, true) << 64n);
  }
  setV(i: number, v: bigint): void {
    this.views();
    const a = L.CPU_BASE + L.OFF_V + 16 * i;
    this.dv.setBigUint64(a, BigInt.asUintN(64, v), true);
    this.dv.setBigUint64(a + 8, BigInt.asUintN(64, v >> 64n), true);
  }
  /** Instructions retired by all CPUs together. */
  get insns(): bigint { return this.x.getInsns() & U64; }
  /** insns as a Number (exact below 2^53 instructions), for per-run arithmetic without BigInts. */
  get insnsN(): number { return this.x.getInsnsF(); }
  /** Instructions retired by the current CPU. */
  get cpuInsns(): bigint { return this.x.getCpuInsns() & U64; }

  // --- SMP (core-as/smp/): register accessors above act on the current CPU ---
  get numCpus(): number { return this.x.smpNumCpus(); }
  /** The CPU the core runs now; after run() returns, the CPU that exited (EXIT_CPU). */
  get cpu(): number { return this.x.smpCurrentCpu(); }
  /** PSCI CPU_ON: 0, or -2 (no such CPU / the caller) or -4 (already on). */
  cpuOn(cpu: number, el: number, entry: bigint, context: bigint): number {
    return this.x.smpCpuOn(cpu, el, BigInt.asIntN(64, entry), BigInt.asIntN(64, context));
  }
  /** PSCI CPU_OFF of the current CPU; returns how many CPUs remain on. */
  cpuOff(): number { return this.x.smpCpuOff(); }
  /** AFFINITY_INFO of CPU c: 0 on, 1 off. */
  powerState(c: number): 0 | 1 { return this.x.smpPowerState(c) === 0 ? 0 : 1; }
  /** Scheduler state of CPU c. */
  schedState(c: number): 'off' | 'run' | 'wfi' | 'wfe' | 'stuck' { return (['off', 'run', 'wfi', 'wfe', 'stuck'] as const)[this.x.smpSchedState(c)] ?? 'off'; }
  /** PSCI CPU_SUSPEND standby: the current CPU sleeps as in WFI. */
  standby(): void { this.x.smpStandby(); }
  /** The system counter (CNTPCT_EL0) as the current CPU sees it between runs. */
  get ticks(): bigint { return this.x.smpTicks() & U64; }
  /** Register i (0..30 x, 31 SP, 32 PC) of CPU c, without switching CPUs. */
  peekX(c: number, i: number): bigint { return this.x.smpPeekX(c, i) & U64; }
  /** Address of CPU c's saved state block (the CPU_BASE layout) while c is not the current CPU. */
  saveArea(c: number): number { return this.x.smpSaveArea(c) >>> 0; }
  /**
   * A debugger's choice: CPU c runs next (core-as/smp/debug-select.ts). With wake, a CPU asleep in
   * WFI/WFE wakes. 'ok', or why it cannot run ('asleep': made current, still asleep).
   */
  makeCurrent(c: number, wake: boolean): 'ok' | 'off' | 'asleep' | 'stuck' | 'busy' {
    return (['ok', 'off', 'asleep', 'stuck', 'busy'] as const)[this.x.smpMakeCurrent(c, wake ? 1 : 0)] ?? 'off';
  }
  /** Instructions CPU c retired since the board's reset (across CPU_OFF/CPU_ON). */
  cpuRetired(c: number): bigint { return this.x.smpCpuRetired(c) & U64; }
  /** CPUs held by a debugger (bit i: CPU i takes no turns); 0 releases them. */
  hold(mask: number): void { this.x.smpHold(mask >>> 0); }
  /** Turns the core's log of interrupt exceptions (for traces) on or off; empties it. */
  irqLogEnable(on: boolean): void { this.x.irqLogSet(on ? 1 : 0); }
  /** The exceptions taken inside the core since the last drain (oldest first), and how many did not fit. */
  drainIrqLog(): { entries: IrqLogEntry[]; dropped: number } {
    this.views();
    const dv = this.dv, b = L.IRQ_LOG;
    const n = dv.getUint32(b + 4, true), dropped = dv.getUint32(b + 8, true);
    const entries: IrqLogEntry[] = [];
    for (let i = 0; i < n; i++) {
      const e = b + 64 + i * 32;
      const info = dv.getUint32(e + 8, true), kind = (info >>> 8) & 0xff;
      entries.push({
        time: dv.getBigUint64(e, true), cpu: info & 0xff, fiq: (kind & 1) !== 0, virtual: (kind & 2) !== 0,
        targetEl: (info >>> 16) & 3, fromEl: (info >>> 18) & 3, elr: dv.getBigUint64(e + 16, true),
        sync: (kind & 4) !== 0, esr: dv.getUint32(e + 12, true), ...((kind & 8) !== 0 ? { far: dv.getBigUint64(e + 24, true) } : {}),
      });
    }
    dv.setUint32(b + 4, 0, true);
    dv.setUint32(b + 8, 0, true);
    return { entries, dropped };
  }
  /** Drives the input line of SPI `intid` (32..255) of the core's GICv3 (a device's interrupt). */
  setSpiLevel(intid: number, level: boolean): void { this.x.setSpiLevel(intid, level ? 1 : 0); }
  exceptionReturn(): void { this.x.exceptionReturn(); }
  injectException(targetEL: number, ec: number, iss: number, far?: bigint): void {
    this.x.injectException(targetEL, ec, iss, BigInt.asIntN(64, far ?? 0n), far === undefined ? 0 : 1);
  }

  /** The pending device access of an EXIT_MMIO. */
  mmio(): MmioAccess {
    const dv = this.view, b = L.EXIT_BASE;
    return {
      pa: dv.getBigUint64(b + L.EXIT_MMIO_PA, true),
      size: dv.getUint32(b + L.EXIT_MMIO_SIZE, true),
      isWrite: dv.getUint32(b + L.EXIT_MMIO_WRITE, true) === 1,
      value: dv.getBigUint64(b + L.EXIT_MMIO_VALUE, true),
      seq: dv.getUint32(b + L.EXIT_MMIO_SEQ, true),
      reg: dv.getUint32(b + L.EXIT_MMIO_REG, true),
    };
  }
  /** Completes the pending device access: the value read (ignored for writes), or a bus error. */
  mmioComplete(value: bigint, busError = false): void {
    this.x.mmioComplete(BigInt.asIntN(64, value), busError ? 1 : 0);
  }
  /** Immediate of the HVC/SMC/HLT that caused a firmware or semihosting exit. */
  get exitImm(): number { return this.view.getUint32(L.EXIT_BASE + L.EXIT_IMM, true); }
  /** Cause of an EXIT_HYP: 0 a synchronous exception (ESR_EL2 describes it), 1 an IRQ, 2 an FIQ taken to EL2. */
  get hypExitAsync(): number { return this.view.getUint32(L.EXIT_BASE + L.EXIT_HYP_ASYNC, true); }

  private ramEnd = 0n;
  isRam(pa: bigint, len = 1): boolean {
    return pa >= this.ramBase && pa + BigInt(len) <= this.ramEnd;
  }
  private ramOffset(pa: bigint, len: number): number {
    if (!this.isRam(pa, len)) throw new UserError(`physical range 0x${pa.toString(16)}+${len} is outside RAM`);
    return L.RAM_HOST + Number(pa - this.ramBase);
  }
  readPhys(pa: bigint, len: number): Uint8Array {
    const o = this.ramOffset(pa, len);
    return this.mem.slice(o, o + len);
  }
  /**
   * The RAM offset of [pa, pa + len) when TypeScript may write those bytes in place with the effect
   * writePhysU64() would have: inside RAM, on pages the core holds no decoded code for, and
   * writePhysU64 not replaced (a write tracker sees every write). -1 otherwise.
   */
  plainRamOffset(pa: number, len: number): number {
    const o = pa - Number(this.ramBase);
    if (o < 0 || len <= 0 || o + len > this.ramSize || this.writePhysU64 !== Core.prototype.writePhysU64) return -1;
    return this.mayHoldCode(L.RAM_HOST + o, len) ? -1 : o;
  }
  /**
   * True when RAM bytes [o, o + len) at host offset o may hold decoded code (the core's CODEMAP has
   * a decode slot for one of their pages): only then must a write reach invalidateCodeRange.
   */
  private mayHoldCode(o: number, len: number): boolean {
    const map = L.CODEMAP >> 2;
    for (let p = (o - L.RAM_HOST) >>> 12, last = (o + len - 1 - L.RAM_HOST) >>> 12; p <= last; p++) {
      if (this.w32[map + p] !== 0) return true;
    }
    return false;
  }
  writePhys(pa: bigint, data: Uint8Array): void {
    const o = this.ramOffset(pa, data.length);
    this.mem.set(data, o);
    if (data.length > 0 && this.mayHoldCode(o, data.length)) this.x.invalidateCodeRange(pa, data.length);
  }
  readPhysU64(pa: bigint): bigint { return this.view.getBigUint64(this.ramOffset(pa, 8), true); }
  writePhysU64(pa: bigint, v: bigint): void {
    const o = this.ramOffset(pa, 8);
    this.view.setBigUint64(o, BigInt.asUintN(64, v), true);
    if (this.mayHoldCode(o, 8)) this.x.invalidateCodeRange(pa, 8);
  }
  zeroPhys(pa: bigint, len: number): void {
    const o = this.ramOffset(pa, len);
    this.mem.fill(0, o, o + len);
    if (len > 0 && this.mayHoldCode(o, len)) this.x.invalidateCodeRange(pa, len);
  }
  tlbFlush(): void { this.x.tlbFlush(); }
  /**
   * The hyp's page-table descent (core-as/pgtable-descend.ts): the PA and level of the first
   * non-table entry for addr below the table at PA `table` of `level`, or null (a table outside RAM).
   */
  pgtableDescend(table: bigint, level: number, addr: bigint): { ptep: bigint; level: number } | null {
    const r = this.x.pgtableDescend(BigInt.asIntN(64, table), level, BigInt.asIntN(64, addr)) & U64;
    return r === 0n ? null : { ptep: r & ~7n, level: Number(r & 3n) };
  }

  /** Translates va with the core's own walker (no exception taken). */
  walk(va: bigint, access: 'r' | 'w' | 'x', mmuIdx: number): { pa: bigint } | { fault: FaultInfo } {
    const pa = this.x.walk(BigInt.asIntN(64, va), access === 'w' ? 1 : access === 'x' ? 2 : 0, mmuIdx) & U64;
    if (pa === TRANSLATE_FAULT) return { fault: this.lastFault() };
    return { pa };
  }
  /**
   * Stage-2 walk of an IPA with explicit VTTBR_EL2/VTCR_EL2 (no TLB): for the hyp and an IOMMU.
   * 'x' checks execute permission for an EL1 access, 'x0' for an EL0 access.
   */
  walkStage2(ipa: bigint, access: 'r' | 'w' | 'x' | 'x0', vttbr: bigint, vtcr: bigint): { pa: bigint } | { fault: FaultInfo } {
    const acc = access === 'w' ? 1 : access === 'x' ? 2 : access === 'x0' ? 3 : 0;
    const pa = this.x.walkStage2(BigInt.asIntN(64, ipa), acc, BigInt.asIntN(64, vttbr), BigInt.asIntN(64, vtcr)) & U64;
    if (pa === TRANSLATE_FAULT) return { fault: this.lastFault() };
    return { pa };
  }
  /** Leaf descriptor facts of the last successful walk (see core-as/index.ts walkInfo). */
  lastWalk(): WalkInfo {
    const w = this.x.walkInfo() >>> 0;
    return { level: w & 3, perms: (w >> 8) & 0xff, attr: (w >> 16) & 0xff, sh: (w >> 24) & 3, global: ((w >> 26) & 1) === 1, device: ((w >> 27) & 1) === 1 };
  }
  /**
   * TLB maintenance as executed at EL2 (EL1&0 operations use the VMID in VTTBR_EL2). `op` is the
   * TLBI operation name (e.g. 'VMALLS12E1IS', 'IPAS2E1IS', 'VAE1'), xt its operand.
   */
  tlbi(op: TlbiOp, xt: bigint = 0n): void {
    const [op1, crm, op2] = TLBI_OPS[op];
    if (!this.x.tlbi((1 << 14) | (op1 << 11) | (8 << 7) | (crm << 3) | op2, BigInt.asIntN(64, xt))) throw new Error(`tlbi ${op}`);
  }
  /** Drops every EL1&0 translation of a VMID (stage 1, combined and stage 2). */
  tlbInvalidateVmid(vmid: number): void { this.x.tlbInvalidateVmid(vmid); }
  /** After a stage-2 change of the page of `ipa` in `vmid`: TLBI IPAS2E1IS + VMALLE1IS for that VMID. */
  tlbInvalidateIpa(vmid: number, ipa: bigint): void { this.x.tlbInvalidateIpa(vmid, BigInt.asIntN(64, ipa)); }
  /** Hit/miss counters of the tagged TLB and the stage-2 walk cache. */
  mmuStats(reset = false): { tlbHit: number; tlbMiss: number; s2Hit: number; s2Miss: number } {
    const r = { tlbHit: this.x.mmuStat(0) >>> 0, tlbMiss: this.x.mmuStat(1) >>> 0, s2Hit: this.x.mmuStat(2) >>> 0, s2Miss: this.x.mmuStat(3) >>> 0 };
    if (reset) this.x.mmuStat(-1);
    return r;
  }

  lastFault(): FaultInfo {
    const f = this.x.faultInfo() >>> 0;
    return { type: f & 0xff, level: ((f >> 8) & 0xff) << 24 >> 24, stage2: ((f >> 16) & 1) === 1, s1ptw: ((f >> 17) & 1) === 1, fsc: f >>> 24, ipa: this.x.faultIpa() & U64 };
  }

  /** Reads guest virtual memory through the current regime (for semihosting); null on a fault. */
  readVirt(va: bigint, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const a = va + BigInt(i);
      const t = this.walk(a, 'r', this.el);
      if (!('pa' in t) || !this.isRam(t.pa)) return null;
      const n = Math.min(len - i, 4096 - Number(a & 0xfffn));
      if (!this.isRam(t.pa, n)) return null;
      out.set(this.readPhys(t.pa, n), i);
      i += n;
    }
    return out;
  }
}

export interface WalkInfo { level: number; perms: number; attr: number; sh: number; global: boolean; device: boolean }

/** TLBI operations by name: [op1, CRm, op2] (CRn = 8). */
export const TLBI_OPS = {
  VMALLE1IS: [0, 3, 0], VAE1IS: [0, 3, 1], ASIDE1IS: [0, 3, 2], VAAE1IS: [0, 3, 3], VALE1IS: [0, 3, 5], VAALE1IS: [0, 3, 7],
  VMALLE1: [0, 7, 0], VAE1: [0, 7, 1], ASIDE1: [0, 7, 2], VAAE1: [0, 7, 3], VALE1: [0, 7, 5], VAALE1: [0, 7, 7],
  IPAS2E1IS: [4, 0, 1], IPAS2LE1IS: [4, 0, 5], IPAS2E1: [4, 4, 1], IPAS2LE1: [4, 4, 5],
  ALLE2IS: [4, 3, 0], VAE2IS: [4, 3, 1], ALLE1IS: [4, 3, 4], VALE2IS: [4, 3, 5], VMALLS12E1IS: [4, 3, 6],
  ALLE2: [4, 7, 0], VAE2: [4, 7, 1], ALLE1: [4, 7, 4], VALE2: [4, 7, 5], VMALLS12E1: [4, 7, 6],
} as const satisfies Record<string, readonly [number, number, number]>;
export type TlbiOp = keyof typeof TLBI_OPS;

export interface FaultInfo { type: number; level: number; stage2: boolean; s1ptw: boolean; fsc: number; ipa: bigint }

function coreAbort(): never {
  throw new Error('pkvm-emu core aborted (internal error)');
}
