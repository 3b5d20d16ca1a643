// Translation context changes: EL switch, ERET, SCTLR/TCR/TTBR/HCR/VTTBR/VTCR writes, TLBI.
// Picks the mmu index for the current EL and forces the fetch path to look the PC up again.
import { curEL } from './state';
import { setMmuIdx } from './tlb';
import { invalidateFetch } from './fetch';
import { pmuContextChanged, pmuMayCount } from './pmu/pmu';

export function contextChanged(): void {
  if (pmuMayCount()) pmuContextChanged(); // the PMU's EL filters: instructions so far ran at the previous EL
  setMmuIdx(curEL); // MMU_EL0/EL1/EL2 are numbered as the ELs
  invalidateFetch();
}
