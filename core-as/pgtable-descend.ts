// The descent of the hyp's page-table walker (hyp/pgtable.ts kvm_pgtable_walk) for a walk that
// visits leaves only: table descriptors on the way are passed through without a visit, so the
// TypeScript walker can jump to the one entry it visits instead of reading each level itself.
import { RAM_BASE_PA, RAM_HOST } from './layout';
import { ramSize } from './ram';

const ADDR_47_12: u64 = 0x0000_ffff_ffff_f000;

/**
 * From the entry for `addr` in the table at physical address `table` (of `level`, 0..3), follows
 * table descriptors (valid, bit 1 set, above level 3) down to the first entry that is not one.
 * Returns that entry's physical address | its level (bits 1:0: entries are 8-byte aligned), or 0
 * when a table on the way is outside RAM (the caller's own walk then reports it).
 */
export function pgtableDescend(table: u64, level: i32, addr: u64): u64 {
  let t = table & ADDR_47_12;
  let l = level;
  while (true) {
    const ptep = t | (((addr >> (<u64>(39 - 9 * l))) & 511) << 3);
    if (ptep - RAM_BASE_PA >= ramSize) return 0;
    const pte = load<u64>(RAM_HOST + <u32>(ptep - RAM_BASE_PA));
    if (l >= 3 || (pte & 3) != 3) return ptep | <u64>l;
    t = pte & ADDR_47_12;
    l++;
  }
  return 0; // not reached
}
