/**
 * PhysMem over the CPU core's RAM: the page tables the hyp writes here are the very descriptors the
 * core's walker reads, and writes drop any decoded code cached for the bytes they overwrite.
 */
import { L, type Core } from '../machine/core';
import type { PhysMem } from './phys-mem';

export class CorePhysMem implements PhysMem {
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  /** RAM in the core's linear memory (which grows only when the core is created). */
  private readonly view: DataView;
  constructor(readonly core: Core) {
    this.ramBase = core.ramBase;
    this.ramSize = BigInt(core.ramSize);
    this.view = new DataView(core.mem.buffer, L.RAM_HOST, core.ramSize);
  }
  ramView(): DataView { return this.view; }
  isMemory(pa: bigint): boolean { return this.core.isRam(pa); }
  readU64(pa: bigint): bigint { return this.core.readPhysU64(pa); }
  writeU64(pa: bigint, v: bigint): void { this.core.writePhysU64(pa, v); }
  zeroPage(pa: bigint): void { this.core.zeroPhys(pa & ~0xfffn, 4096); }
  readBytes(pa: bigint, n: number): Uint8Array { return this.core.readPhys(pa, n); }
  writeBytes(pa: bigint, b: Uint8Array): void { this.core.writePhys(pa, b); }
  descend(table: bigint, level: number, addr: bigint): { ptep: bigint; level: number } | null {
    return this.core.pgtableDescend(table, level, addr);
  }
}
