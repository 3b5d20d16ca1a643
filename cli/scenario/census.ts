/**
 * pageCensus(): how many pages each component holds in each state.
 * - HOST and HYP: from hyp_vmemmap, one entry per RAM page (host state; hyp state, stored
 *   complemented there).
 * - GUEST: for each live VM, the pages the host gave it (HostVm.given) read back from the guest
 *   stage-2 (SW bits of a valid PTE, POISON for a poisoned invalid PTE, NOPAGE otherwise), plus
 *   NOPAGE for the rest of its memslot.
 */
import { type Pkvm, type HostVm, kvm_pgtable_get_leaf, guest_get_page_state, PAGE_STATE_NAMES } from './hyp-api';
import { STATES, type Owner, type PageStateName } from './schema';

export type Counts = Record<PageStateName, number>;
export interface Census {
  HOST: Counts;
  HYP: Counts;
  GUEST: Counts;
  /** Guest pages per live VM, by name. */
  vms: Map<string, Counts>;
}

export const zeroCounts = (): Counts => Object.fromEntries(STATES.map((s) => [s, 0])) as Counts;
const name = (s: number): PageStateName => (PAGE_STATE_NAMES[s] ?? 'NOPAGE') as PageStateName;

export function pageCensus(pkvm: Pkvm, vms: readonly HostVm[] = []): Census {
  const c: Census = { HOST: zeroCounts(), HYP: zeroCounts(), GUEST: zeroCounts(), vms: new Map() };
  const m = pkvm.vmemmap;
  for (let i = 0; i < m.nrPages; i++) {
    c.HOST[name(m.get_host_state(i))]++;
    c.HYP[name(m.get_hyp_state(i))]++;
  }
  for (const vm of vms) {
    if (vm.state === 'destroyed') continue;
    const hypVm = pkvm.get_vm_by_handle(vm.handle);
    if (!hypVm) continue;
    const counts = zeroCounts();
    let seen = 0;
    for (const gfn of vm.given) {
      if (!vm.slot.contains(gfn << 12n)) continue;
      const { pte } = kvm_pgtable_get_leaf(hypVm.pgt, gfn << 12n);
      counts[name(guest_get_page_state(pte))]++;
      seen++;
    }
    counts.NOPAGE += vm.slot.npages - seen;
    c.vms.set(vm.name, counts);
    for (const s of STATES) c.GUEST[s] += counts[s];
  }
  return c;
}

/** The count an expectation names: an owner row, or one VM's guest pages. */
export function censusCount(c: Census, who: Owner | string, state: PageStateName): number | undefined {
  if (who === 'HOST' || who === 'HYP' || who === 'GUEST') return c[who][state];
  return c.vms.get(who)?.[state];
}
