/**
 * The descent of the page-table walker's one-page, leaf-only walks (pgtable.ts kvm_pgtable_walk):
 * table descriptors on the way are passed through without a visit, so the walker can jump to the
 * one entry it visits instead of reading each level itself. In Numbers, over a little-endian view
 * of RAM: nothing is allocated.
 *
 * VMSAv8-64, 4 KiB granule (Arm ARM D8.3): a descriptor at a level above 3 with bits[1:0] = 0b11 is
 * a table descriptor whose next-level table address is bits[47:12]; the index into the table of
 * level l is IA[47 - 9l : 39 - 9l].
 */

/**
 * 2^-(39 - 9l): one over the size an entry of a level-l table maps, by level + 1 (level -1 with
 * LPA2). x * 2^-k is x / 2^k exactly (a power of two only moves the exponent), and a multiplication
 * is several times cheaper than a division.
 */
const LEVEL_SIZE_INV: readonly number[] = [-1, 0, 1, 2, 3].map((l) => 2 ** -(39 - 9 * l));
const TWO_32 = 2 ** 32;
const PAGE_INV = 2 ** -12;

/**
 * From the entry for `addr` in the table at physical address `table` (of `level`), follows table
 * descriptors down to the first entry that is not one. Returns that entry's physical address plus
 * its level (entries are 8-byte aligned, the level is 0..3), or -1 when a table on the way is
 * outside the view (the caller's own walk then reports it). `ramBase`: the physical address of
 * the view's byte 0; `last`: the last offset in it a descriptor may start at. All addresses below
 * 2^52 (Math.floor(x) & 511 takes bits 8:0 of an integer below 2^53 exactly).
 */
export function pgtable_descend(ram: DataView, ramBase: number, last: number, table: number, level: number, addr: number): number {
  let t = Math.floor(table * PAGE_INV) * 4096;
  for (let l = level; ; l++) {
    const ptep = t + (Math.floor(addr * LEVEL_SIZE_INV[l + 1]!) & 511) * 8;
    const o = ptep - ramBase;
    if (o < 0 || o > last) return -1;
    const lo = ram.getUint32(o, true);
    if (l >= 3 || (lo & 3) !== 3) return ptep + l;
    /* the next table: descriptor bits[47:12] */
    t = (ram.getUint32(o + 4, true) & 0xffff) * TWO_32 + (lo >>> 12) * 4096;
  }
}
