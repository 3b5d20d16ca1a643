// The QEMU `virt` board around one core: RAM at 0x4000_0000, PL011 at 0x0900_0000, PSCI by HVC (EL1
// boot) or SMC (EL2 boot), semihosting by HLT #0xF000, a devicetree in RAM with its address in x0.
// Runs the core in slices and services its exits.
import { emptyVirtioMmioRead, VIRTIO_MMIO_BASE, VIRTIO_MMIO_COUNT, VIRTIO_MMIO_STRIDE } from './virtio-mmio';
import type { JitOptions } from './jit/jit';
import { Core, L, SR } from './core';
import { planLoad } from './loader';
import { buildVirtDtb } from './fdt';
import { Pl011 } from './pl011';
import { handlePsci } from './psci';
import { handleSemihosting, SemihostingState } from './semihosting';
import { UserError } from './errors';

export const RAM_BASE = 0x4000_0000n;
export const UART_BASE = 0x0900_0000n;
export const UART_SIZE = 0x1000n;
/** The PL011's interrupt on QEMU virt: SPI 1 = INTID 33 (level-sensitive). */
export const UART_INTID = 33;
export const DEFAULT_MEM = 128 * 1024 * 1024;
const SLICE = 20_000_000;

export interface MachineOptions {
  memBytes?: number;
  /** CPUs (1..8, QEMU -smp N); CPU 0 boots, the others wait for PSCI CPU_ON. Default 1. */
  smp?: number;
  /** Instructions per CPU turn (core-as/smp/sched.ts); default there. */
  quantum?: number;
  el2?: boolean; // boot at EL2 (QEMU -M virt,virtualization=on)
  semihosting?: boolean; // default true
  cpu?: 'max' | 'int'; // CPU profile (default max: FP/AdvSIMD/crypto; int: integer only)
  /** The compiled tier (machine/jit/): false runs the interpreter alone (--no-jit); default Core.jitDefault. */
  jit?: boolean | JitOptions;
  append?: string;
  onUart?: (byte: number) => void;
  onSemihostOutput?: (data: Uint8Array, stream: 'stdout' | 'stderr') => void;
  /** Exceptions routed to a TypeScript-hosted EL2 (EXIT_HYP); without it the run stops. */
  onHypExit?: (m: Machine) => 'continue' | 'poweroff' | 'reset';
}

export type StopReason = 'poweroff' | 'reset' | 'semihosting-exit' | 'limit' | 'wfi' | 'hyp' | 'stuck' | 'panic';

export interface RunResult {
  reason: StopReason;
  exitCode: number; // 0 after SYSTEM_OFF or exit(0)
  insns: bigint;
  wallMs: number;
}

/** A device on the physical bus (outside RAM). */
export interface BusDevice {
  base: bigint;
  size: bigint;
  read(offset: number, size: number): bigint;
  write(offset: number, size: number, value: bigint): void;
}

export class Machine {
  readonly core: Core;
  readonly uart: Pl011;
  readonly devices: BusDevice[] = [];
  readonly opts: Required<Pick<MachineOptions, 'memBytes' | 'el2' | 'semihosting'>> & MachineOptions;
  private semihost = new SemihostingState();
  entry = 0n;
  dtbAddr = 0n;
  /** A device's request to end the run after the current MMIO access (e.g. a kernel panic on the console). */
  stopRequest: StopReason | undefined;
  /** The devicetree blob built for the guest by load() (also when it could not be placed in RAM). */
  dtb: Uint8Array = new Uint8Array(0);
  uartOut: number[] = [];
  /**
   * Wake sources outside the core, asked when every CPU sleeps with nothing in the core to wake
   * one (the run would end with 'wfi'): one returning true (e.g. a console with stdin input it has
   * just made pending in the PL011/GIC) lets the run continue.
   */
  readonly wakeSources: Array<() => boolean> = [];

  constructor(opts: MachineOptions = {}) {
    this.opts = { memBytes: DEFAULT_MEM, el2: false, semihosting: true, ...opts };
    this.core = new Core(this.opts.memBytes, {
      haveEL2: this.opts.el2 || !!this.opts.onHypExit, el2Hosted: !!this.opts.onHypExit,
      psciSmc: this.opts.el2 || !!this.opts.onHypExit, semihosting: this.opts.semihosting, cpu: this.opts.cpu,
      cpus: this.opts.smp ?? 1, quantum: this.opts.quantum, jit: this.opts.jit,
    });
    this.uart = new Pl011((b) => { this.uartOut.push(b); this.opts.onUart?.(b); },
      (level) => this.core.setSpiLevel(UART_INTID, level));
    this.devices.push({
      base: UART_BASE, size: UART_SIZE,
      read: (o, s) => BigInt(this.uart.read(o, s)),
      write: (o, s, v) => this.uart.write(o, s, Number(v & 0xffff_ffffn)),
    });
    this.devices.push({ // the empty virtio-mmio transports (machine/virtio-mmio.ts)
      base: VIRTIO_MMIO_BASE, size: VIRTIO_MMIO_STRIDE * BigInt(VIRTIO_MMIO_COUNT),
      read: (o, s) => (s === 4 ? BigInt(emptyVirtioMmioRead(o)) : 0n),
      write: () => {},
    });
  }

  /**
   * Loads an image as QEMU's -kernel does (machine/loader.ts): an ELF at its segments, an arm64
   * Image (gzip accepted) at RAM base + text_offset, anything else raw at RAM base + 0x80000 (or at
   * `rawAt`); places the devicetree and sets x0 to it. CPU 0 starts; the others wait for CPU_ON.
   */
  load(image: Uint8Array, name: string, rawAt?: bigint, initrd?: { data: Uint8Array; name: string }): void {
    const plan = planLoad(image, name, RAM_BASE, BigInt(this.opts.memBytes), rawAt, initrd);
    for (const s of plan.segments) {
      this.core.zeroPhys(s.addr, Number(s.memsz));
      this.core.writePhys(s.addr, s.data);
    }
    if (plan.initrd) this.core.writePhys(plan.initrd.addr, plan.initrd.data);
    this.entry = plan.entry;
    const lowest = plan.lowest;
    const dtb = buildVirtDtb({
      ramBase: RAM_BASE, ramSize: BigInt(this.opts.memBytes), cpus: this.opts.smp ?? 1, bootargs: this.opts.append,
      initrd: plan.initrd ? { start: plan.initrd.addr, end: plan.initrd.addr + BigInt(plan.initrd.data.length) } : undefined,
      clusterSize: 16, gicV3: true, el2: this.opts.el2,
      psciMethod: this.opts.el2 || this.opts.onHypExit ? 'smc' : 'hvc', uartBase: UART_BASE,
    });
    this.dtb = dtb;
    this.dtbAddr = 0n;
    if (plan.dtb !== 'below') {
      if (!this.core.isRam(plan.dtb, dtb.length)) throw new UserError(`${name}: no room in RAM for the devicetree at 0x${plan.dtb.toString(16)}`);
      this.core.writePhys(plan.dtb, dtb);
      this.dtbAddr = plan.dtb;
    } else if (RAM_BASE + BigInt(dtb.length) <= lowest) {
      this.core.writePhys(RAM_BASE, dtb);
      this.dtbAddr = RAM_BASE;
    }
    this.core.reset(this.opts.el2 ? 2 : 1, this.entry);
    this.core.setX(0, this.dtbAddr);
  }

  private device(pa: bigint): BusDevice | undefined {
    return this.devices.find((d) => pa >= d.base && pa < d.base + d.size);
  }

  /** Services one EXIT_MMIO: routes to a device or answers with a bus error (external abort). */
  serviceMmio(): void {
    const a = this.core.mmio();
    const dev = this.device(a.pa);
    if (!dev) { this.core.mmioComplete(0n, true); return; }
    const off = Number(a.pa - dev.base);
    if (a.isWrite) { dev.write(off, a.size, a.value); this.core.mmioComplete(0n); }
    else this.core.mmioComplete(dev.read(off, a.size) & ((1n << BigInt(a.size * 8)) - 1n));
  }

  /** Runs until power-off, semihosting exit, WFI with nothing to wake it, or maxInsns. */
  run(maxInsns: bigint = 1n << 62n): RunResult {
    const t0 = performance.now();
    const start = this.core.insns;
    const done = (reason: StopReason, exitCode: number): RunResult =>
      ({ reason, exitCode, insns: this.core.insns - start, wallMs: performance.now() - t0 });
    for (;;) {
      const left = maxInsns - (this.core.insns - start);
      if (left <= 0n) return done('limit', 1);
      const r = this.core.run(Number(left < BigInt(SLICE) ? left : BigInt(SLICE)));
      switch (r) {
        case 'budget': break;
        case 'mmio':
          this.serviceMmio();
          if (this.stopRequest) { const s = this.stopRequest; this.stopRequest = undefined; return done(s, 1); }
          break;
        case 'firmware': {
          const stop = this.firmwareCall();
          if (stop) return done(stop, 0);
          break;
        }
        case 'semihosting': {
          const op = Number(this.core.getX(0) & 0xffff_ffffn);
          const res = handleSemihosting(op, this.core.getX(1), {
            read: (va, len) => this.core.readVirt(va, len) ?? new Uint8Array(0),
          }, this.semihost);
          if (res.output) this.opts.onSemihostOutput?.(res.output, res.stream ?? 'stderr');
          if (res.exitCode !== undefined) return done('semihosting-exit', res.exitCode);
          this.core.setX(0, res.ret);
          break;
        }
        case 'wfi':
          if (this.wakeSources.some((w) => w())) break;
          return done('wfi', 1);
        case 'stuck': return done('stuck', 1); // machine/stuck.ts
        case 'hyp': {
          const h = this.opts.onHypExit?.(this);
          if (h === undefined) return done('hyp', 1);
          if (h === 'poweroff') return done('poweroff', 0);
          if (h === 'reset') return done('reset', 0);
          break;
        }
        default: throw new Error(`core exit ${r}`);
      }
    }
  }

  /**
   * PSCI call of the current CPU (machine/psci.ts decides; the core changes power states). Returns
   * the stop reason for SYSTEM_OFF/RESET, and 'poweroff' when the last CPU on turns itself off.
   */
  private firmwareCall(): StopReason | undefined {
    const core = this.core;
    const res = handlePsci([0, 1, 2, 3].map((i) => core.getX(i)), {
      cpus: core.numCpus, clusterSize: 16, powerState: (i) => core.powerState(i),
    });
    switch (res.action) {
      case 'off': return 'poweroff';
      case 'reset': return 'reset';
      case 'cpu_off':
        // CPU_OFF does not return; with no CPU left on, the machine can do nothing more (QEMU
        // would idle forever): stop as after SYSTEM_OFF.
        return core.cpuOff() === 0 ? 'poweroff' : undefined;
      case 'cpu_on': {
        const on = res.cpuOn!;
        // PSCI (and QEMU's psci.c): a new CPU starts at the highest EL the caller's firmware
        // provides: EL2 when the board boots at EL2, else EL1.
        const r = core.cpuOn(on.targetIndex, this.opts.el2 ? 2 : 1, on.entry, on.context);
        core.setX(0, BigInt.asUintN(64, BigInt(r)));
        return undefined;
      }
      case 'wfi': // CPU_SUSPEND standby: x0 = 0 when it returns, after a wake-up event
        core.setX(0, res.x0);
        core.standby();
        return undefined;
      default:
        core.setX(0, res.x0);
        return undefined;
    }
  }

  uartText(): string { return Buffer.from(this.uartOut).toString('latin1'); }
}

export { L, SR };
