/**
 * Storage for the VMs' "backed" bitmaps in the core's memory (core-as/layout.ts PKVM_BACKED): a bit
 * per memslot page, set once the host has backed the page. The core's stage-2 fault fast path reads
 * it (core-as/pkvm-fast-fault.ts, through PF_BACKED); the host model keeps it as its memslot's
 * presence bitmap (memslot.ts, gfn-table.ts). Each VM's bitmap is a run of 512-byte granules
 * (4,096 pages = 16 MiB of memslot each) given out first-fit when the VM is made and given back when
 * it is torn down, so that neither the VM's handle nor the size of its memslot is limited beyond
 * the region's total (PKVM_BACKED_BYTES: 76 GiB of memslots). A VM whose bitmap does not fit gets
 * none: its faults all take the full round trip through the host, with the same results. The host
 * model (HostKvm.backedArena) owns the one arena of its machine.
 */
import { L } from '../machine/core';

export const BACKED_GRANULE_BYTES = 512;

export class BackedArena {
  /** Per granule: 1 = in use. */
  private readonly used: Uint8Array;
  /** The granules of each bitmap given out, by its first granule. */
  private readonly runs = new Map<number, number>();
  /** The region in the core's memory (only it: a snapshot of the machine copies what its views cover). */
  private readonly region: Uint8Array;
  constructor(mem: Uint8Array, base: number = L.PKVM_BACKED, bytes: number = L.PKVM_BACKED_BYTES) {
    this.region = mem.subarray(base, base + bytes);
    this.used = new Uint8Array(Math.floor(bytes / BACKED_GRANULE_BYTES));
  }

  /** A zeroed bitmap for npages pages in the core's memory, or null when none fits. */
  alloc(npages: number): Uint8Array | null {
    if (!(npages > 0)) return null;
    const need = Math.ceil(npages / (8 * BACKED_GRANULE_BYTES));
    const used = this.used;
    for (let g = 0, run = 0; g < used.length; g++) {
      run = used[g] ? 0 : run + 1;
      if (run === need) {
        const first = g - need + 1;
        used.fill(1, first, g + 1);
        this.runs.set(first, need);
        const at = first * BACKED_GRANULE_BYTES;
        return this.region.subarray(at, at + need * BACKED_GRANULE_BYTES).fill(0);
      }
    }
    return null;
  }

  /** Gives back a bitmap alloc() returned (anything else is ignored). */
  free(bits: Uint8Array): void {
    if (bits.buffer !== this.region.buffer) return;
    const at = bits.byteOffset - this.region.byteOffset;
    if (at < 0 || at % BACKED_GRANULE_BYTES !== 0) return;
    const first = at / BACKED_GRANULE_BYTES;
    const n = this.runs.get(first);
    if (n === undefined) return;
    this.runs.delete(first);
    this.used.fill(0, first, first + n);
  }

  /** Granules in use (for tests and the bookkeeping figure). */
  get granulesUsed(): number {
    let n = 0;
    for (const u of this.used) n += u;
    return n;
  }
}
