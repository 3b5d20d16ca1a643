// A DMA engine on the board's bus: a memory-to-memory copier the host programs through registers,
// whose every access goes through the board's IOMMU (an SMMU stream). It is the model of a
// DMA-capable device the host controls: it can only reach what its stream is allowed to reach.
//
// Address: 0x0c00_0000, 4 KiB, the first page of QEMU virt's platform bus (VIRT_PLATFORM_BUS,
// 0x0c00_0000..0x0e00_0000, where `virt` places dynamically instantiated sysbus devices; the
// 0x0a00_0000 region is virtio-mmio). Stream id: a wire of the board (default 1), readable in SID.
//
// Registers (little-endian; 64-bit registers may also be accessed as two 32-bit halves):
//   0x00 SRC         RW  source bus address (IOVA)
//   0x08 DST         RW  destination bus address (IOVA)
//   0x10 LEN         RW  bytes to copy (at most 16 MiB)
//   0x18 CTRL        W   bit 0 GO: start the copy (reads 0)
//   0x1c STATUS      R   0 IDLE, 1 DONE, 2 ERROR; any write returns it to IDLE
//   0x20 SID         R   the engine's stream id
//   0x28 DONE_BYTES  R   bytes copied by the last transfer
//   0x30 FAULT_IOVA  R   IOVA of the access that stopped the last transfer
//   0x38 FAULT_INFO  R   [7:0] reason (SMMUv3 event id: 0x02 C_BAD_STREAMID, 0x04 C_BAD_STE,
//                        0x06 F_STREAM_DISABLED, 0x0b F_WALK_EABT, 0x10 F_TRANSLATION, 0x11 F_ADDR_SIZE,
//                        0x12 F_ACCESS, 0x13 F_PERMISSION; 0xfe bad length, 0xff bus error),
//                        [8] write (the destination faulted), [63:32] stream id
//
// A copy runs to completion when GO is written (no interrupt is modelled): chunk by chunk, never
// crossing a 4 KiB page on either side, it translates the source (read) and destination (write) of a
// chunk before moving its bytes. A fault stops the transfer there: STATUS = ERROR, the fault is
// recorded, and the destination is left as it was from that chunk on. Nothing outside what the
// IOMMU translates is ever read or written.
import type { BusDevice } from './machine';

export const DMA_ENGINE_BASE = 0x0c00_0000n;
export const DMA_ENGINE_SIZE = 0x1000n;
export const DMA_REG = {
  SRC: 0x00, DST: 0x08, LEN: 0x10, CTRL: 0x18, STATUS: 0x1c, SID: 0x20, DONE_BYTES: 0x28, FAULT_IOVA: 0x30, FAULT_INFO: 0x38,
} as const;
export const DMA_CTRL_GO = 1n;
export const DMA_STATUS_IDLE = 0;
export const DMA_STATUS_DONE = 1;
export const DMA_STATUS_ERROR = 2;
export const DMA_FAULT_BAD_LENGTH = 0xfe;
export const DMA_FAULT_BUS_ERROR = 0xff;
export const DMA_MAX_LEN = 16n << 20n;

/** The IOMMU in front of the engine: a translation per access, or the fault that terminates it. */
export interface DmaTranslator {
  translate(sid: number, iova: bigint, write: boolean): { pa: bigint } | { fault: { type: number; name?: string } };
}

/** Physical memory as a bus master sees it (no CPU translation). */
export interface DmaMemory {
  isMemory(pa: bigint): boolean;
  readBytes(pa: bigint, n: number): Uint8Array;
  writeBytes(pa: bigint, b: Uint8Array): void;
}

export interface DmaFault { sid: number; iova: bigint; write: boolean; reason: number; name: string }
export interface DmaResult { status: number; done: bigint; fault?: DmaFault }

const U64 = (1n << 64n) - 1n;
const PAGE = 4096n;

export class DmaEngine implements BusDevice {
  readonly base: bigint;
  readonly size = DMA_ENGINE_SIZE;
  readonly sid: number;
  src = 0n;
  dst = 0n;
  len = 0n;
  status = DMA_STATUS_IDLE;
  doneBytes = 0n;
  faultIova = 0n;
  faultInfo = 0n;
  /** Every fault that stopped a transfer, oldest first. */
  readonly faults: DmaFault[] = [];
  /** Transfers started. */
  transfers = 0;
  onFault: ((f: DmaFault) => void) | null = null;

  constructor(readonly iommu: DmaTranslator, readonly mem: DmaMemory, opts: { sid?: number; base?: bigint } = {}) {
    this.sid = opts.sid ?? 1;
    this.base = opts.base ?? DMA_ENGINE_BASE;
  }

  private reg64(off: number): bigint | null {
    switch (off & ~7) {
      case DMA_REG.SRC: return this.src;
      case DMA_REG.DST: return this.dst;
      case DMA_REG.LEN: return this.len;
      case DMA_REG.SID: return BigInt(this.sid);
      case DMA_REG.DONE_BYTES: return this.doneBytes;
      case DMA_REG.FAULT_IOVA: return this.faultIova;
      case DMA_REG.FAULT_INFO: return this.faultInfo;
      default: return null;
    }
  }

  read(offset: number, size: number): bigint {
    if (offset === DMA_REG.CTRL) return 0n;
    if (offset === DMA_REG.STATUS) return BigInt(this.status);
    const v = this.reg64(offset);
    if (v === null) return 0n;
    const shift = BigInt((offset & 7) * 8);
    return (v >> shift) & (size >= 8 ? U64 : (1n << BigInt(size * 8)) - 1n);
  }

  write(offset: number, size: number, value: bigint): void {
    if (offset === DMA_REG.CTRL) {
      if (value & DMA_CTRL_GO) this.start();
      return;
    }
    if (offset === DMA_REG.STATUS) {
      this.status = DMA_STATUS_IDLE;
      return;
    }
    const base = offset & ~7;
    if (base !== DMA_REG.SRC && base !== DMA_REG.DST && base !== DMA_REG.LEN) return; /* read-only */
    const shift = BigInt((offset & 7) * 8);
    const mask = (size >= 8 ? U64 : (1n << BigInt(size * 8)) - 1n) << shift;
    const merge = (old: bigint): bigint => ((old & ~mask) | ((value << shift) & mask)) & U64;
    if (base === DMA_REG.SRC) this.src = merge(this.src);
    else if (base === DMA_REG.DST) this.dst = merge(this.dst);
    else this.len = merge(this.len);
  }

  /** Program and run one copy (what a driver does with SRC, DST, LEN and GO). */
  copy(src: bigint, dst: bigint, len: bigint): DmaResult {
    this.src = src & U64;
    this.dst = dst & U64;
    this.len = len & U64;
    this.start();
    return { status: this.status, done: this.doneBytes, ...(this.status === DMA_STATUS_ERROR ? { fault: this.faults.at(-1)! } : {}) };
  }

  private stop(iova: bigint, write: boolean, reason: number, name: string): void {
    const f: DmaFault = { sid: this.sid, iova, write, reason, name };
    this.status = DMA_STATUS_ERROR;
    this.faultIova = iova;
    this.faultInfo = BigInt(reason & 0xff) | (write ? 1n << 8n : 0n) | (BigInt(this.sid >>> 0) << 32n);
    this.faults.push(f);
    if (this.faults.length > 256) this.faults.shift();
    this.onFault?.(f);
  }

  private start(): void {
    this.transfers++;
    this.doneBytes = 0n;
    const { src, dst, len } = this;
    if (len > DMA_MAX_LEN) return this.stop(src, false, DMA_FAULT_BAD_LENGTH, 'bad length');
    while (this.doneBytes < len) {
      const s = (src + this.doneBytes) & U64;
      const d = (dst + this.doneBytes) & U64;
      let n = len - this.doneBytes;
      if (PAGE - (s & (PAGE - 1n)) < n) n = PAGE - (s & (PAGE - 1n));
      if (PAGE - (d & (PAGE - 1n)) < n) n = PAGE - (d & (PAGE - 1n));
      const ts = this.iommu.translate(this.sid, s, false);
      if ('fault' in ts) return this.stop(s, false, ts.fault.type, ts.fault.name ?? 'fault');
      const td = this.iommu.translate(this.sid, d, true);
      if ('fault' in td) return this.stop(d, true, td.fault.type, td.fault.name ?? 'fault');
      const last = BigInt(Number(n) - 1);
      if (!this.mem.isMemory(ts.pa) || !this.mem.isMemory(ts.pa + last)) return this.stop(s, false, DMA_FAULT_BUS_ERROR, 'bus error');
      if (!this.mem.isMemory(td.pa) || !this.mem.isMemory(td.pa + last)) return this.stop(d, true, DMA_FAULT_BUS_ERROR, 'bus error');
      this.mem.writeBytes(td.pa, this.mem.readBytes(ts.pa, Number(n)));
      this.doneBytes += n;
    }
    this.status = DMA_STATUS_DONE;
  }
}

/** Put the engine on a Machine's bus (an A64 host then programs it with loads and stores). */
export function attachDmaEngine(m: { devices: BusDevice[] }, engine: DmaEngine): DmaEngine {
  if (m.devices.some((d) => d.base < engine.base + engine.size && engine.base < d.base + d.size))
    throw new Error(`dma-engine: 0x${engine.base.toString(16)} overlaps another device`);
  m.devices.push(engine);
  return engine;
}
