/**
 * PhysMem over the CPU core's RAM: the page tables the hyp writes here are the very descriptors the
 * core's walker reads, and writes drop any decoded code cached for the bytes they overwrite.
 *
 * readU64/writeU64 are the hyp's hottest accesses (page-table entries, the host's struct kvm_vcpu):
 * they take the RAM offset as a Number (RAM lies below 2^53) and go to the core's own checked
 * accessor only for what is not a plain in-RAM access to a page without decoded code (outside RAM:
 * the core's error; a page the core may have decoded: its code-cache invalidation), and for every
 * write when the core's writePhysU64 has been replaced (the fuzzer's snapshot tracks writes there).
 */
import { Core, L } from '../machine/core';

/** Core's own writePhysU64: a core whose method is replaced (a write tracker) gets every write through it. */
const CORE_WRITE_U64 = Core.prototype.writePhysU64;
import type { PhysMem } from './phys-mem';
import { pgtable_descend } from './pgtable-descend';

export class CorePhysMem implements PhysMem {
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  /** RAM in the core's linear memory (which grows only when the core is created). */
  private readonly view: DataView;
  private readonly base: number;
  /** Last RAM offset a u64 may start at. */
  private readonly lastU64: number;
  /**
   * Where the core's CODEMAP starts in core.words (a non-zero word per RAM page: the page may hold
   * decoded code). (core.words is read through the core each time: no view of all of the core's
   * memory is kept outside it.)
   */
  private readonly codemap: number;
  constructor(readonly core: Core) {
    this.ramBase = core.ramBase;
    this.ramSize = BigInt(core.ramSize);
    this.view = new DataView(core.mem.buffer, L.RAM_HOST, core.ramSize);
    this.base = Number(core.ramBase);
    this.lastU64 = core.ramSize - 8;
    this.codemap = L.CODEMAP >> 2;
  }
  ramView(): DataView { return this.view; }
  isMemory(pa: bigint): boolean { return this.core.isRam(pa); }
  readU64(pa: bigint): bigint {
    const o = Number(pa) - this.base;
    if (o >= 0 && o <= this.lastU64) return this.view.getBigUint64(o, true);
    return this.core.readPhysU64(pa);
  }
  writeU64(pa: bigint, v: bigint): void {
    const o = Number(pa) - this.base;
    if (o >= 0 && o <= this.lastU64 && (o & 0xfff) <= 0xff8 && this.core.words[this.codemap + (o >>> 12)] === 0 && this.core.writePhysU64 === CORE_WRITE_U64) {
      this.view.setBigUint64(o, v, true); // (modulo 2^64)
      return;
    }
    this.core.writePhysU64(pa, v);
  }
  readU64N(pa: number): bigint { return this.readU64At(pa); }
  writeU64N(pa: number, v: bigint): void { this.writeU64At(pa, v); }
  /** readU64 at a Number physical address, for callers that hold one. */
  readU64At(pa: number): bigint {
    const o = pa - this.base;
    if (o >= 0 && o <= this.lastU64) return this.view.getBigUint64(o, true);
    return this.core.readPhysU64(BigInt(pa));
  }
  readU32N(pa: number): number {
    const o = pa - this.base;
    if (o >= 0 && o <= this.lastU64 + 4) return this.view.getUint32(o, true);
    return Number(this.core.readPhysU64(BigInt(pa)) & 0xffff_ffffn); /* (outside RAM: the core's error) */
  }
  writeU64At(pa: number, v: bigint): void {
    const o = pa - this.base;
    if (o >= 0 && o <= this.lastU64 && (o & 0xfff) <= 0xff8 && this.core.words[this.codemap + (o >>> 12)] === 0 && this.core.writePhysU64 === CORE_WRITE_U64) {
      this.view.setBigUint64(o, v, true); // (modulo 2^64)
      return;
    }
    this.core.writePhysU64(BigInt(pa), v);
  }
  /** writeU64At of the u64 (hi << 32) | lo, as two word stores when writeU64At would store in place. */
  writeU64WordsN(pa: number, lo: number, hi: number): void {
    const o = pa - this.base;
    if (o >= 0 && o <= this.lastU64 && (o & 0xfff) <= 0xff8 && this.core.words[this.codemap + (o >>> 12)] === 0 && this.core.writePhysU64 === CORE_WRITE_U64) {
      this.view.setUint32(o, lo, true);
      this.view.setUint32(o + 4, hi, true);
      return;
    }
    this.core.writePhysU64(BigInt(pa), (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }
  zeroPage(pa: bigint): void { this.core.zeroPhys(pa & ~0xfffn, 4096); }
  readBytes(pa: bigint, n: number): Uint8Array { return this.core.readPhys(pa, n); }
  writeBytes(pa: bigint, b: Uint8Array): void { this.core.writePhys(pa, b); }
  descendN(table: number, level: number, addr: number): number {
    return pgtable_descend(this.view, this.base, this.lastU64, table, level, addr);
  }
}
