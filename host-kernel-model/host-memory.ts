/**
 * The host kernel's view of physical memory: every access is checked against the host stage-2 with
 * the core's own walker, exactly as a host CPU access would be. A miss on a page the host owns is
 * mapped lazily by the hyp (host_stage2_idmap, as on a real host abort); a page the host gave away
 * is refused (-EPERM), never served.
 */
import type { Core } from '../machine/core';
import type { Pkvm } from '../hyp/index';
import type { PhysMem } from '../hyp/phys-mem';
import { EEXIST } from '../hyp/page-state';
import { CorePhysMem } from '../hyp/core-phys-mem';

export class HostAccessError extends Error {
  constructor(readonly pa: bigint, readonly errno: number, write: boolean) {
    super(`host ${write ? 'write to' : 'read of'} PA 0x${pa.toString(16)} refused by the host stage-2 (${errno === -1 ? '-EPERM' : errno})`);
    this.name = 'HostAccessError';
  }
}

export class HostMemory implements PhysMem {
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  private readonly ramBaseN: number;
  /** Host stage-2 aborts taken (each one a lazy idmap by the hyp). */
  aborts = 0;
  /** Told of every write (the page allocator forgets that a free page written to is zero). */
  onWrite: ((pa: bigint, n: number) => void) | null = null;
  /** onWrite() for the writes at a Number address (writeU64N); without it, those go to onWrite(). */
  onWriteN: ((pa: number, n: number) => void) | null = null;
  /** The core's RAM, unchecked (after this class's checks). */
  private readonly phys: CorePhysMem;
  constructor(readonly core: Core, readonly pkvm: Pkvm) {
    this.phys = new CorePhysMem(core);
    this.ramBase = core.ramBase;
    this.ramSize = BigInt(core.ramSize);
    this.ramBaseN = Number(core.ramBase);
    pkvm.hostTlbPageInvalidated.push((page) => {
      this.tlb.delete(page);
      if (page === this.lastPage) this.lastPage = -1;
    });
  }

  /**
   * The host CPU's TLB for these checks: page number -> 1 readable, 2 writable, filled by a walk
   * that succeeded; a page dropped at the hyp's TLB invalidation of that page of the host stage-2
   * (Pkvm.hostTlbPageInvalidated), all of it at any wider one or a guest run whose fault fast path
   * changed the host stage-2 (Pkvm.tlb_gen): a valid host PTE is never changed without
   * break-before-make and its TLBI.
   */
  private readonly tlb = new Map<number, number>();
  private tlbGen = -1;
  /** The TLB entry looked up last (page number, or -1, and its value): the host's struct kvm_vcpu, mostly. */
  private lastPage = -1;
  private lastE = 0;

  /** Host stage-2 check of one page; maps it through the hyp on a first touch. */
  private check(pa: bigint, write: boolean): void {
    if (this.tlbGen !== this.pkvm.tlb_gen) {
      this.tlb.clear();
      this.lastPage = -1;
      this.tlbGen = this.pkvm.tlb_gen;
    }
    const page = Math.floor(Number(pa) / 4096);
    const e = this.tlb.get(page);
    if (e !== undefined && (e === 2 || !write)) return;
    this.checkWalk(pa, write);
    if (this.tlbGen === this.pkvm.tlb_gen) {
      this.tlb.set(page, write ? 2 : Math.max(e ?? 0, 1));
      if (page === this.lastPage) this.lastPage = -1;
    }
  }
  private checkWalk(pa: bigint, write: boolean): void {
    const vttbr = this.pkvm.host_vttbr(), vtcr = this.pkvm.host_vtcr();
    if ('pa' in this.core.walkStage2(pa, write ? 'w' : 'r', vttbr, vtcr)) return;
    this.aborts++;
    const ret = this.pkvm.handleHostMemAbort(pa & ~0xfffn);
    if (ret !== 0 && ret !== -EEXIST) throw new HostAccessError(pa, ret, write);
    if (!('pa' in this.core.walkStage2(pa, write ? 'w' : 'r', vttbr, vtcr))) throw new HostAccessError(pa, -1, write);
  }
  private checkRange(pa: bigint, n: number, write: boolean): void {
    if (!this.core.isRam(pa, n)) throw new HostAccessError(pa, -14, write);
    for (let p = pa & ~0xfffn; p < pa + BigInt(n); p += 0x1000n) this.check(p, write);
  }

  isMemory(pa: bigint): boolean { return this.core.isRam(pa); }
  /** readU64/writeU64 at a Number address: the page's check from the TLB when it is there. */
  readU64N(pa: number): bigint {
    if (!this.tlbHit(pa, false)) return this.readU64(BigInt(pa));
    return this.phys.readU64N(pa);
  }
  writeU64N(pa: number, v: bigint): void {
    if (!this.tlbHit(pa, true)) return this.writeU64(BigInt(pa), BigInt.asUintN(64, v));
    if (this.onWriteN) this.onWriteN(pa, 8);
    else if (this.onWrite) this.onWrite(BigInt(pa), 8);
    this.phys.writeU64N(pa, v);
  }
  /**
   * The little-endian u32 at a Number address (4-byte aligned: a u64 field's low or high word), as a
   * Number, with the checks of a read of it.
   */
  readU32N(pa: number): number {
    if ((pa & 3) !== 0 || !this.tlbHit(pa, false)) this.checkRange(BigInt(pa), 4, false);
    return this.phys.readU32N(pa);
  }
  /**
   * Where [pa, pa + n), inside one page, lies in ramView() when the host may read it with no walk:
   * the page's check for a read is in the TLB (the hit readU32N() and readU64N() take); else -1,
   * and the caller reads through those (which take the walk, and the hyp's abort handling). Good
   * until the next access or hypercall: for reading a few fields of one structure at once.
   */
  readableAt(pa: number, n: number): number {
    if ((pa & 0xfff) + n > 0x1000 || !this.tlbHit(pa, false)) return -1;
    return pa - this.ramBaseN;
  }
  /** The core's RAM (byte 0 = ramBase), for reads at readableAt() offsets. */
  ramView(): DataView { return this.phys.ramView(); }
  /** An in-RAM u64 inside one page whose check for this access is in the TLB. */
  private tlbHit(pa: number, write: boolean): boolean {
    if (this.tlbGen !== this.pkvm.tlb_gen || (pa & 0xfff) > 0xff8) return false;
    const page = Math.floor(pa / 4096);
    let e: number | undefined;
    if (page === this.lastPage) e = this.lastE;
    else {
      e = this.tlb.get(page);
      if (e === undefined) return false;
      this.lastPage = page;
      this.lastE = e;
    }
    return e === 2 || !write;
  }
  readU64(pa: bigint): bigint {
    const n = Number(pa);
    if (pa >= 0n && this.tlbHit(n, false)) return this.phys.readU64N(n);
    this.checkRange(pa, 8, false);
    return this.core.readPhysU64(pa);
  }
  writeU64(pa: bigint, v: bigint): void {
    const n = Number(pa);
    if (pa >= 0n && this.tlbHit(n, true)) {
      this.onWrite?.(pa, 8);
      this.phys.writeU64N(n, v);
      return;
    }
    this.checkRange(pa, 8, true);
    this.onWrite?.(pa, 8);
    this.core.writePhysU64(pa, v);
  }
  zeroPage(pa: bigint): void { this.checkRange(pa & ~0xfffn, 4096, true); this.core.zeroPhys(pa & ~0xfffn, 4096); }
  readBytes(pa: bigint, n: number): Uint8Array { this.checkRange(pa, n, false); return this.core.readPhys(pa, n); }
  writeBytes(pa: bigint, b: Uint8Array): void { this.checkRange(pa, b.length, true); this.onWrite?.(pa, b.length); this.core.writePhys(pa, b); }
}
