// The QEMU `virt` board around one core: RAM at 0x4000_0000, PL011 at 0x0900_0000, PSCI by HVC (EL1
// boot) or SMC (EL2 boot), semihosting by HLT #0xF000, a devicetree in RAM with its address in x0.
// Runs the core in slices and services its exits.
import { Core, L, SR } from './core';
import { parseElf64, isElf } from './elf';
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
  el2?: boolean; // boot at EL2 (QEMU -M virt,virtualization=on)
  semihosting?: boolean; // default true
  append?: string;
  onUart?: (byte: number) => void;
  onSemihostOutput?: (data: Uint8Array, stream: 'stdout' | 'stderr') => void;
  /** Exceptions routed to a TypeScript-hosted EL2 (EXIT_HYP); without it the run stops. */
  onHypExit?: (m: Machine) => 'continue' | 'poweroff' | 'reset';
}

export type StopReason = 'poweroff' | 'reset' | 'semihosting-exit' | 'limit' | 'wfi' | 'hyp';

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
  uartOut: number[] = [];

  constructor(opts: MachineOptions = {}) {
    this.opts = { memBytes: DEFAULT_MEM, el2: false, semihosting: true, ...opts };
    this.core = new Core(this.opts.memBytes, {
      haveEL2: this.opts.el2 || !!this.opts.onHypExit, el2Hosted: !!this.opts.onHypExit,
      psciSmc: this.opts.el2 || !!this.opts.onHypExit, semihosting: this.opts.semihosting,
    });
    this.uart = new Pl011((b) => { this.uartOut.push(b); this.opts.onUart?.(b); },
      (level) => this.core.setSpiLevel(UART_INTID, level));
    this.devices.push({
      base: UART_BASE, size: UART_SIZE,
      read: (o, s) => BigInt(this.uart.read(o, s)),
      write: (o, s, v) => this.uart.write(o, s, Number(v & 0xffff_ffffn)),
    });
  }

  /** Loads an ELF (PT_LOAD segments at their physical addresses) or, with `rawAt`, a raw image. */
  load(image: Uint8Array, name: string, rawAt?: bigint): void {
    let lowest: bigint;
    if (rawAt === undefined) {
      if (!isElf(image)) throw new UserError(`${name}: not an ELF file (give --raw ADDR for a raw image)`);
      const elf = parseElf64(image, name);
      if (elf.segments.length === 0) throw new UserError(`${name}: no loadable segments`);
      lowest = elf.segments.reduce((m, s) => (s.paddr < m ? s.paddr : m), elf.segments[0].paddr);
      for (const s of elf.segments) {
        if (!this.core.isRam(s.paddr, Number(s.memsz))) {
          throw new UserError(`${name}: segment at 0x${s.paddr.toString(16)} (+0x${s.memsz.toString(16)}) is outside RAM (0x${RAM_BASE.toString(16)}..0x${(RAM_BASE + BigInt(this.opts.memBytes)).toString(16)})`);
        }
        this.core.zeroPhys(s.paddr, Number(s.memsz));
        this.core.writePhys(s.paddr, s.data);
      }
      this.entry = elf.entry;
    } else {
      if (!this.core.isRam(rawAt, image.length)) throw new UserError(`${name}: raw image at 0x${rawAt.toString(16)} does not fit in RAM`);
      this.core.writePhys(rawAt, image);
      this.entry = rawAt;
      lowest = rawAt;
    }
    // Devicetree at the start of RAM when it fits below the image (as QEMU places it for ELF images).
    const dtb = buildVirtDtb({
      ramBase: RAM_BASE, ramSize: BigInt(this.opts.memBytes), cpus: 1, bootargs: this.opts.append,
      psciMethod: this.opts.el2 || this.opts.onHypExit ? 'smc' : 'hvc', uartBase: UART_BASE,
    });
    this.dtbAddr = 0n;
    if (RAM_BASE + BigInt(dtb.length) <= lowest) {
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
        case 'mmio': this.serviceMmio(); break;
        case 'firmware': {
          const res = handlePsci([0, 1, 2, 3].map((i) => this.core.getX(i)));
          if (res.action === 'off' || res.action === 'cpu_off') return done('poweroff', 0);
          if (res.action === 'reset') return done('reset', 0);
          if (res.action === 'wfi') return done('wfi', 1);
          this.core.setX(0, res.x0);
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
        case 'wfi': return done('wfi', 1);
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

  uartText(): string { return Buffer.from(this.uartOut).toString('latin1'); }
}

export { L, SR };
