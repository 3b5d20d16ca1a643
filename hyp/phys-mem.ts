/**
 * Guest physical memory as the hypervisor sees it (RAM only).
 *
 * Page tables written by hyp/ are real VMSAv8-64 descriptors stored here, so the
 * CPU core walks exactly what the hyp wrote. Values are little-endian, as on
 * AArch64 with SCTLR_ELx.EE = 0.
 */
export interface PhysMem {
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  readU64(pa: bigint): bigint;
  writeU64(pa: bigint, v: bigint): void;
  zeroPage(pa: bigint): void;
  readBytes(pa: bigint, n: number): Uint8Array;
  writeBytes(pa: bigint, b: Uint8Array): void;
  /** RAM vs MMIO/hole. */
  isMemory(pa: bigint): boolean;
  /**
   * Optional accelerator of the page-table walker (pgtable.ts): from the entry for addr in the table
   * at `table` of `level`, the first entry that is not a table descriptor: its address plus its
   * level, or -1 when a table on the way is not RAM (pgtable-descend.ts). Without it, the walker
   * reads each level itself. Addresses as Numbers (below 2^52).
   */
  descendN?(table: number, level: number, addr: number): number;
  /**
   * Optional: a live little-endian view of all of RAM (byte 0 = ramBase), for readers that scan
   * much of it (the invariant checker's walk of whole tables). Reads only; it always shows the
   * current contents.
   */
  ramView?(): DataView;
  /**
   * Optional: readU64/writeU64 at a Number address (below 2^53; the accessors of a host structure
   * take one, host-abi.ts), with the same checks and failures; writeU64N stores v modulo 2^64.
   */
  readU64N?(pa: number): bigint;
  writeU64N?(pa: number, v: bigint): void;
  /** Optional: the little-endian u32 at a Number address (a descriptor's low or high word), as a Number. */
  readU32N?(pa: number): number;
  /**
   * Optional: writeU64N of the u64 whose bits 31:0 are lo and bits 63:32 are hi (each taken modulo
   * 2^32), with the same checks, failures and side effects (a descriptor built as two words).
   */
  writeU64WordsN?(pa: number, lo: number, hi: number): void;
}

const U64_MASK = (1n << 64n) - 1n;

export class ArrayPhysMem implements PhysMem {
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  readonly backing: Uint8Array;
  private readonly view: DataView;
  private readonly baseN: number;
  private readonly sizeN: number;

  constructor(ramBase: bigint, ramSize: bigint, backing?: Uint8Array) {
    if (ramSize <= 0n || ramSize % 4096n !== 0n || ramBase % 4096n !== 0n)
      throw new RangeError('ArrayPhysMem: RAM base and size must be page aligned and non-empty');
    if (backing && BigInt(backing.byteLength) < ramSize)
      throw new RangeError('ArrayPhysMem: backing store smaller than RAM size');
    this.ramBase = ramBase;
    this.ramSize = ramSize;
    this.backing = backing ?? new Uint8Array(Number(ramSize));
    this.view = new DataView(this.backing.buffer, this.backing.byteOffset, Number(ramSize));
    this.baseN = Number(ramBase);
    this.sizeN = Number(ramSize);
  }

  isMemory(pa: bigint): boolean {
    return pa >= this.ramBase && pa < this.ramBase + this.ramSize;
  }

  private off(pa: bigint, n: number): number {
    if (pa < this.ramBase || pa + BigInt(n) > this.ramBase + this.ramSize)
      throw new RangeError(`physical access outside RAM: 0x${pa.toString(16)} (+${n})`);
    return Number(pa - this.ramBase);
  }

  ramView(): DataView { return this.view; }

  readU64(pa: bigint): bigint {
    return this.view.getBigUint64(this.off(pa, 8), true);
  }

  readU64N(pa: number): bigint {
    return this.view.getBigUint64(this.offN(pa, 8), true);
  }

  writeU64N(pa: number, v: bigint): void {
    this.view.setBigUint64(this.offN(pa, 8), v & U64_MASK, true);
  }

  readU32N(pa: number): number {
    return this.view.getUint32(this.offN(pa, 4), true);
  }

  writeU64WordsN(pa: number, lo: number, hi: number): void {
    const o = this.offN(pa, 8);
    this.view.setUint32(o, lo, true);
    this.view.setUint32(o + 4, hi, true);
  }

  private offN(pa: number, n: number): number {
    const o = pa - this.baseN;
    if (!(o >= 0 && o + n <= this.sizeN)) throw new RangeError(`physical access outside RAM: 0x${pa.toString(16)} (+${n})`);
    return o;
  }

  writeU64(pa: bigint, v: bigint): void {
    this.view.setBigUint64(this.off(pa, 8), v & U64_MASK, true);
  }

  zeroPage(pa: bigint): void {
    const o = this.off(pa & ~0xfffn, 4096);
    this.backing.fill(0, o, o + 4096);
  }

  readBytes(pa: bigint, n: number): Uint8Array {
    const o = this.off(pa, n);
    return this.backing.slice(o, o + n);
  }

  writeBytes(pa: bigint, b: Uint8Array): void {
    this.backing.set(b, this.off(pa, b.length));
  }
}
