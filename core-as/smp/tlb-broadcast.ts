// Broadcast TLB maintenance (TLBI ...IS / ...OS, and the hosted hyp's invalidations, which Linux
// pKVM performs with the Inner Shareable forms): the issuing CPU's own TLB is invalidated as the
// operation says (tlbi.ts); the saved TLB of every other CPU is dropped whole. Invalidating more
// than an operation requires is always permitted (an implementation may evict any entry at any
// time); a non-broadcast TLBI leaves the other CPUs' entries alone, so a missing broadcast stays
// observable as on hardware.
import { curCpu, numCpus } from '../cpu-index';
import { R_TLB_VALID, rec } from './percpu';

export function tlbiBroadcastOthers(): void {
  for (let i: u32 = 0; i < numCpus; i++) if (i != curCpu) store<u32>(rec(i) + R_TLB_VALID, 0);
}
