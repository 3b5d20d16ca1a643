/**
 * Port of pkvm_ownership_selftest() (end of arch/arm64/kvm/hyp/nvhe/mem_protect.c,
 * CONFIG_NVHE_EL2_DEBUG) as an executable table: each row is a transition, its expected return, and
 * the expected host/hyp/guest[gfn]/guest[gfn+1] states of the test page afterwards.
 *
 * The table follows the newest stored upstream selftest (the protected-guest series as in
 * kernel-patches/bpf commit 197dac8a9060, the same selftest as gregkh/linux 2519003dd5fb), row by
 * row: every assert_transition_res() line of it is a row here with the same expected result, in the
 * same order. Against the earlier table (kvmarm f4a5a6770af9) it adds the guest's own transitions
 * of a donated page: __pkvm_guest_share_host() (host SHARED_BORROWED / guest SHARED_OWNED, then
 * -EPERM for a second share and for every host transition), __pkvm_guest_unshare_host() (back to
 * host NOPAGE / guest OWNED, the same refusals), and both refused with -EHWPOISON on the page the
 * host force-reclaimed (guest PKVM_POISON).
 *
 * The re-pin's newer checks come after the state checks the table exercises: the memcache pre-check
 * of donate/share_guest (-ENOMEM; the test vCPU's memcache is topped up) and
 * __hyp_check_page_count_range() in hyp_donate_host (-EBUSY; the test page is unreferenced when it
 * is handed back).
 */
import { describe, expect, it } from 'vitest';
import { Host } from './harness';
import {
  EBUSY, EHWPOISON, ENOENT, EPERM, PKVM_NOPAGE as NOPAGE, PKVM_PAGE_OWNED as OWNED, PKVM_PAGE_SHARED_BORROWED as SHARED_BORROWED,
  PKVM_PAGE_SHARED_OWNED as SHARED_OWNED, PKVM_POISON as POISON,
} from '../../hyp/page-state';
import {
  __host_check_page_state_range, __hyp_check_page_state_range, __pkvm_host_donate_hyp, __pkvm_host_share_ffa,
  __pkvm_host_share_hyp, __pkvm_host_unshare_ffa, __pkvm_host_unshare_hyp, __pkvm_hyp_donate_host,
  hyp_pin_shared_mem, hyp_unpin_shared_mem,
} from '../../hyp/mem-protect';
import {
  __guest_check_page_state_range, __pkvm_host_donate_guest, __pkvm_host_force_reclaim_page_guest,
  __pkvm_guest_share_host, __pkvm_guest_unshare_host, __pkvm_host_reclaim_page_guest, __pkvm_host_share_guest,
  __pkvm_host_unshare_guest,
} from '../../hyp/mem-protect-guest';
import { pkvm_refill_memcache } from '../../hyp/hyp-main';
import { KVM_PGTABLE_PROT_RWX, PAGE_SIZE } from '../../hyp/pgtable-defs';
import { checkInvariants } from '../../hyp/invariants';

describe('pkvm_ownership_selftest', () => {
  it('matches the upstream table of expected results', () => {
    const host = new Host();
    const hyp = host.hyp;
    const hvm = host.createVm(false);
    const vm = hyp.get_vm_by_handle(hvm.handle)!;
    const vcpu = vm.vcpus[0]!;
    host.topup(hvm, 0, 4);
    expect(pkvm_refill_memcache(hyp, vcpu)).toBe(0);

    const virt = hyp.host_s2_pool.hyp_alloc_pages(0)!;
    const page = hyp.vmemmap.idx(virt);
    hyp.vmemmap.setRefcount(page, 0);
    const phys = virt;
    const pfn = phys >> 12n;
    const size = PAGE_SIZE;
    const ipa = 1n << BigInt(vm.pgt.ia_bits - 1);
    const gfn = ipa >> 12n;
    const prot = KVM_PGTABLE_PROT_RWX;
    const state = { host: NOPAGE, hyp: OWNED, guest: [NOPAGE, NOPAGE] };

    const assert_page_state = (step: string): void => {
      expect(__host_check_page_state_range(hyp, phys, size, state.host), `${step}: host`).toBe(0);
      expect(__hyp_check_page_state_range(hyp, phys, size, state.hyp), `${step}: hyp`).toBe(0);
      expect(__guest_check_page_state_range(vm, ipa, size, state.guest[0]!), `${step}: guest[0]`).toBe(0);
      expect(__guest_check_page_state_range(vm, ipa + size, size, state.guest[1]!), `${step}: guest[1]`).toBe(0);
      expect(checkInvariants(hyp), `${step}: invariants`).toEqual([]);
    };
    const T: Record<string, (...a: never[]) => number> = {
      __pkvm_host_donate_hyp: () => __pkvm_host_donate_hyp(hyp, pfn, 1n),
      __pkvm_host_share_hyp: () => __pkvm_host_share_hyp(hyp, pfn),
      __pkvm_host_unshare_hyp: () => __pkvm_host_unshare_hyp(hyp, pfn),
      __pkvm_host_share_ffa: () => __pkvm_host_share_ffa(hyp, pfn, 1n),
      __pkvm_host_unshare_ffa: () => __pkvm_host_unshare_ffa(hyp, pfn, 1n),
      hyp_pin_shared_mem: () => hyp_pin_shared_mem(hyp, virt, virt + size),
      __pkvm_host_share_guest: () => __pkvm_host_share_guest(hyp, pfn, gfn, 1n, vcpu, prot),
      '__pkvm_host_share_guest(gfn+1)': () => __pkvm_host_share_guest(hyp, pfn, gfn + 1n, 1n, vcpu, prot),
      __pkvm_host_unshare_guest: () => __pkvm_host_unshare_guest(hyp, gfn, 1n, vm),
      '__pkvm_host_unshare_guest(gfn+1)': () => __pkvm_host_unshare_guest(hyp, gfn + 1n, 1n, vm),
      __pkvm_host_donate_guest: () => __pkvm_host_donate_guest(hyp, pfn, gfn, vcpu),
      '__pkvm_host_donate_guest(gfn+1)': () => __pkvm_host_donate_guest(hyp, pfn, gfn + 1n, vcpu),
      __pkvm_hyp_donate_host: () => __pkvm_hyp_donate_host(hyp, pfn, 1n),
      __pkvm_host_force_reclaim_page_guest: () => __pkvm_host_force_reclaim_page_guest(hyp, phys),
      '__pkvm_host_reclaim_page_guest(gfn+1)': () => __pkvm_host_reclaim_page_guest(hyp, gfn + 1n, vm),
      __pkvm_guest_share_host: () => __pkvm_guest_share_host(hyp, vcpu, gfn),
      __pkvm_guest_unshare_host: () => __pkvm_guest_unshare_host(hyp, vcpu, gfn),
    };
    type Row = [number, keyof typeof T] | ['state', Partial<typeof state>] | ['unpin'] | ['count', number] | ['share_count', number];
    const table: Row[] = [
      ['state', { host: NOPAGE, hyp: OWNED, guest: [NOPAGE, NOPAGE] }],
      [-EPERM, '__pkvm_host_donate_hyp'], [-EPERM, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_unshare_hyp'],
      [-EPERM, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_host_unshare_ffa'], [-EPERM, 'hyp_pin_shared_mem'],
      [-EPERM, '__pkvm_host_share_guest'], [-ENOENT, '__pkvm_host_unshare_guest'], [-EPERM, '__pkvm_host_donate_guest'],

      ['state', { host: OWNED, hyp: NOPAGE }],
      [0, '__pkvm_hyp_donate_host'], [-EPERM, '__pkvm_hyp_donate_host'], [-EPERM, '__pkvm_host_unshare_hyp'],
      [-EPERM, '__pkvm_host_unshare_ffa'], [-ENOENT, '__pkvm_host_unshare_guest'], [-EPERM, 'hyp_pin_shared_mem'],

      ['state', { host: SHARED_OWNED, hyp: SHARED_BORROWED }],
      [0, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_donate_hyp'],
      [-EPERM, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_hyp_donate_host'], [-EPERM, '__pkvm_host_share_guest'],
      [-ENOENT, '__pkvm_host_unshare_guest'], [-EPERM, '__pkvm_host_donate_guest'],

      [0, 'hyp_pin_shared_mem'], [0, 'hyp_pin_shared_mem'], ['unpin'], ['count', 1],
      [-EBUSY, '__pkvm_host_unshare_hyp'], [-EPERM, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_donate_hyp'],
      [-EPERM, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_hyp_donate_host'], [-EPERM, '__pkvm_host_share_guest'],
      [-ENOENT, '__pkvm_host_unshare_guest'], [-EPERM, '__pkvm_host_donate_guest'],
      ['unpin'], ['count', 0],

      ['state', { host: OWNED, hyp: NOPAGE }],
      [0, '__pkvm_host_unshare_hyp'],

      ['state', { host: SHARED_OWNED, hyp: NOPAGE }],
      [0, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_host_donate_hyp'],
      [-EPERM, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_unshare_hyp'], [-EPERM, '__pkvm_hyp_donate_host'],
      [-EPERM, '__pkvm_host_share_guest'], [-ENOENT, '__pkvm_host_unshare_guest'], [-EPERM, '__pkvm_host_donate_guest'],
      [-EPERM, 'hyp_pin_shared_mem'],

      ['state', { host: OWNED, hyp: NOPAGE }],
      [0, '__pkvm_host_unshare_ffa'], [-EPERM, '__pkvm_host_unshare_ffa'],

      ['state', { host: SHARED_OWNED, guest: [SHARED_BORROWED, NOPAGE] }],
      [0, '__pkvm_host_share_guest'], [-EPERM, '__pkvm_host_share_guest'], [-EPERM, '__pkvm_host_share_ffa'],
      [-EPERM, '__pkvm_host_donate_hyp'], [-EPERM, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_unshare_hyp'],
      [-EPERM, '__pkvm_hyp_donate_host'], [-EPERM, '__pkvm_host_donate_guest'], [-EPERM, 'hyp_pin_shared_mem'],

      ['state', { guest: [SHARED_BORROWED, SHARED_BORROWED] }],
      [0, '__pkvm_host_share_guest(gfn+1)'], ['share_count', 2],

      ['state', { guest: [NOPAGE, SHARED_BORROWED] }],
      [0, '__pkvm_host_unshare_guest'],

      ['state', { host: OWNED, guest: [NOPAGE, NOPAGE] }],
      [0, '__pkvm_host_unshare_guest(gfn+1)'],

      ['state', { host: NOPAGE, guest: [OWNED, NOPAGE] }],
      [0, '__pkvm_host_donate_guest'], [-EPERM, '__pkvm_host_donate_guest'], [-EPERM, '__pkvm_host_donate_guest(gfn+1)'],
      [-EPERM, '__pkvm_host_share_guest'], [-EPERM, '__pkvm_host_share_guest(gfn+1)'], [-EPERM, '__pkvm_host_share_ffa'],
      [-EPERM, '__pkvm_host_donate_hyp'], [-EPERM, '__pkvm_host_share_hyp'], [-EPERM, '__pkvm_host_unshare_hyp'],
      [-EPERM, '__pkvm_hyp_donate_host'],

      ['state', { host: SHARED_BORROWED, guest: [SHARED_OWNED, NOPAGE] }],
      [0, '__pkvm_guest_share_host'], [-EPERM, '__pkvm_guest_share_host'], [-EPERM, '__pkvm_host_donate_guest'],
      [-EPERM, '__pkvm_host_donate_guest(gfn+1)'], [-EPERM, '__pkvm_host_share_guest'], [-EPERM, '__pkvm_host_share_guest(gfn+1)'],
      [-EPERM, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_host_donate_hyp'], [-EPERM, '__pkvm_host_share_hyp'],
      [-EPERM, '__pkvm_host_unshare_hyp'], [-EPERM, '__pkvm_hyp_donate_host'],

      ['state', { host: NOPAGE, guest: [OWNED, NOPAGE] }],
      [0, '__pkvm_guest_unshare_host'], [-EPERM, '__pkvm_guest_unshare_host'], [-EPERM, '__pkvm_host_donate_guest'],
      [-EPERM, '__pkvm_host_donate_guest(gfn+1)'], [-EPERM, '__pkvm_host_share_guest'], [-EPERM, '__pkvm_host_share_guest(gfn+1)'],
      [-EPERM, '__pkvm_host_share_ffa'], [-EPERM, '__pkvm_host_donate_hyp'], [-EPERM, '__pkvm_host_share_hyp'],
      [-EPERM, '__pkvm_host_unshare_hyp'], [-EPERM, '__pkvm_hyp_donate_host'],

      ['state', { host: OWNED, guest: [POISON, NOPAGE] }],
      [0, '__pkvm_host_force_reclaim_page_guest'], [-EPERM, '__pkvm_host_donate_guest'], [-EPERM, '__pkvm_host_share_guest'],
      [-EHWPOISON, '__pkvm_guest_share_host'], [-EHWPOISON, '__pkvm_guest_unshare_host'],

      ['state', { host: NOPAGE, guest: [POISON, OWNED] }],
      [0, '__pkvm_host_donate_guest(gfn+1)'],

      ['state', { host: OWNED, guest: [POISON, NOPAGE] }],
      [0, '__pkvm_host_reclaim_page_guest(gfn+1)'], [-EPERM, '__pkvm_host_donate_guest'], [-EPERM, '__pkvm_host_share_guest'],

      ['state', { host: NOPAGE, hyp: OWNED }],
      [0, '__pkvm_host_donate_hyp'],
    ];

    assert_page_state('initial');
    table.forEach((row, i) => {
      const step = `row ${i}: ${row[1] ?? row[0]}`;
      if (row[0] === 'state') Object.assign(state, row[1]);
      else if (row[0] === 'unpin') { hyp_unpin_shared_mem(hyp, virt, virt + size); assert_page_state(step); }
      else if (row[0] === 'count') expect(hyp.vmemmap.hyp_page_count(virt), step).toBe(row[1]);
      else if (row[0] === 'share_count') expect(hyp.vmemmap.shareCount(page), step).toBe(row[1]);
      else {
        expect(T[row[1]]!(), step).toBe(row[0]);
        assert_page_state(step);
      }
    });
    /* teardown_selftest_vm() / hyp_put_page(&host_s2_pool, virt) */
    hyp.vmemmap.setRefcount(page, 1);
    hyp.host_s2_pool.hyp_put_page(virt);
    expect(checkInvariants(hyp)).toEqual([]);
  });
});
