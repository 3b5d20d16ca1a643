/** Non-protected guests: host shares, block shares, share counts and stage-2 maintenance. */
import { describe, expect, it } from 'vitest';
import { Host, HostVm, MMIO_PFN, RAM_BASE, RAM_SIZE, load, put } from './harness';
import {
  E2BIG, EAGAIN, EBUSY, EINVAL, ENOENT, EPERM, ERANGE, PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED,
  PKVM_PAGE_SHARED_OWNED,
} from '../../hyp/page-state';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import {
  KVM_PGTABLE_PROT_PX, KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_RWX, KVM_PGTABLE_PROT_SW0,
  PAGE_SIZE, kvm_pte_to_phys, pkvm_getstate,
} from '../../hyp/pgtable-defs';

const R = KVM_PGTABLE_PROT_R;
const RWX = KVM_PGTABLE_PROT_RWX;
function setup(): { host: Host; vm: HostVm; pfn: bigint } {
  const host = new Host();
  const vm = host.createVm(false);
  load(host, vm);
  host.topup(vm, 0, 4);
  return { host, vm, pfn: (RAM_BASE >> 12n) + 0x400n };
}
const vmm = (host: Host, pfn: bigint) => {
  const i = host.hyp.vmemmap.idx(pfn << 12n);
  return { state: host.hyp.vmemmap.get_host_state(i), count: host.hyp.vmemmap.shareCount(i) };
};
const gleaf = (host: Host, vm: HostVm, gfn: bigint) => kvm_pgtable_get_leaf(host.hyp.get_vm_by_handle(vm.handle)!.pgt, gfn << 12n);

describe('__pkvm_host_share_guest / __pkvm_host_unshare_guest', () => {
  it('shares one page with prot, counts multiple shares, unshares', () => {
    const { host, vm, pfn } = setup();
    expect(host.call('__pkvm_host_share_guest', pfn, 0x10n, 1n, R)).toBe(0);
    expect(vmm(host, pfn)).toEqual({ state: PKVM_PAGE_SHARED_OWNED, count: 1 });
    const l = gleaf(host, vm, 0x10n);
    expect(kvm_pte_to_phys(l.pte)).toBe(pfn << 12n);
    expect(pkvm_getstate(l.pte)).toBe(PKVM_PAGE_SHARED_BORROWED);
    expect(Number((l.pte >> 6n) & 3n)).toBe(1); /* S2AP RO */
    expect(Number((l.pte >> 53n) & 3n)).toBe(2); /* XN */
    expect(host.call('__pkvm_host_share_guest', pfn, 0x11n, 1n, RWX)).toBe(0);
    expect(vmm(host, pfn).count).toBe(2);
    host.check();
    expect(host.call('__pkvm_host_share_guest', pfn, 0x10n, 1n, RWX)).toBe(-EPERM); /* gfn in use */
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x10n, 1n)).toBe(0);
    expect(vmm(host, pfn)).toEqual({ state: PKVM_PAGE_SHARED_OWNED, count: 1 });
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x10n, 1n)).toBe(-ENOENT);
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x11n, 1n)).toBe(0);
    expect(vmm(host, pfn)).toEqual({ state: PKVM_PAGE_OWNED, count: 0 });
    host.check();
  });

  it('shares a 2 MiB block', () => {
    const { host, vm } = setup();
    const pfn = (RAM_BASE >> 12n) + 0x200n;
    expect(host.call('__pkvm_host_share_guest', pfn, 0x400n, 512n, RWX)).toBe(0);
    expect(gleaf(host, vm, 0x4ffn).level).toBe(2);
    for (const p of [pfn, pfn + 511n]) expect(vmm(host, p)).toEqual({ state: PKVM_PAGE_SHARED_OWNED, count: 1 });
    host.check();
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x400n, 1n)).toBe(-E2BIG);
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x401n, 512n)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_share_guest', pfn + 1n, 0x800n, 1n, RWX)).toBe(0); /* multi-share */
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x400n, 512n)).toBe(0);
    expect(vmm(host, pfn)).toEqual({ state: PKVM_PAGE_OWNED, count: 0 });
    expect(vmm(host, pfn + 1n)).toEqual({ state: PKVM_PAGE_SHARED_OWNED, count: 1 });
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x800n, 512n)).toBe(-E2BIG); /* a page, not a block */
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 0x800n, 1n)).toBe(0);
    host.check();
  });

  it('rejects bad prot, sizes, ranges and states', () => {
    const { host, vm, pfn } = setup();
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, RWX | KVM_PGTABLE_PROT_SW0)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 2n, RWX)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_share_guest', pfn + 1n, 0x200n, 512n, RWX)).toBe(-EINVAL); /* misaligned */
    expect(host.call('__pkvm_host_share_guest', 1n << 28n, 1n, 1n, RWX)).toBe(-EINVAL); /* beyond PA */
    expect(host.call('__pkvm_host_share_guest', MMIO_PFN, 1n, 1n, RWX)).toBe(-EPERM);
    const endPfn = (RAM_BASE + RAM_SIZE) >> 12n;
    expect(host.call('__pkvm_host_share_guest', endPfn, 0x200n, 512n, RWX)).toBe(-EPERM); /* all MMIO */
    expect(host.call('__pkvm_host_share_hyp', pfn)).toBe(0);
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, RWX)).toBe(-EPERM); /* shared with hyp */
    expect(host.call('__pkvm_host_share_guest', pfn + 1n, 1n << 28n, 1n, RWX)).toBe(-ERANGE); /* IPA beyond the guest's 40 bits */
    host.check();
  });

  it('-EBUSY when the share count is saturated', () => {
    const { host, pfn } = setup();
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, RWX)).toBe(0);
    host.hyp.vmemmap.setShareCount(host.hyp.vmemmap.idx(pfn << 12n), 0xffff_ffff);
    expect(host.call('__pkvm_host_share_guest', pfn, 2n, 1n, RWX)).toBe(-EBUSY);
  });

  it('is gated on a loaded non-protected vCPU and a live VM handle', () => {
    const host = new Host();
    const pvm = host.createVm(true);
    const vm = host.createVm(false);
    const pfn = (RAM_BASE >> 12n) + 0x400n;
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, RWX)).toBe(-EINVAL);
    load(host, pvm);
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, RWX)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_relax_perms_guest', 1n, RWX)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_mkyoung_guest', 1n)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_unshare_guest', pvm.handle, 1n, 1n)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_wrprotect_guest', pvm.handle, 1n, 1n)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_unshare_guest', 0x2000n, 1n, 1n)).toBe(-EINVAL);
    put(host);
    load(host, vm);
    host.topup(vm);
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, RWX)).toBe(0);
    put(host);
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(0);
    /* get_pkvm_hyp_vm() takes a reference on a dying VM too: the host unshares after start_teardown
     * (pkvm_pgtable_stage2_destroy_range()), and the page is the host's again. */
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 1n, 1n)).toBe(0);
    expect(host.hyp.vmemmap.get_host_state(host.hyp.vmemmap.idx(pfn << 12n))).toBe(PKVM_PAGE_OWNED);
    expect(host.hyp.vmemmap.shareCount(host.hyp.vmemmap.idx(pfn << 12n))).toBe(0);
    expect(host.call('__pkvm_finalize_teardown_vm', vm.handle)).toBe(0);
    expect(host.call('__pkvm_host_unshare_guest', vm.handle, 1n, 1n)).toBe(-EINVAL); /* gone */
    host.check(false);
  });
});

describe('stage-2 maintenance on shared pages', () => {
  it('relax_perms, wrprotect, test_clear_young, mkyoung', () => {
    const { host, vm, pfn } = setup();
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, R)).toBe(0);
    expect(host.call('__pkvm_host_relax_perms_guest', 1n, KVM_PGTABLE_PROT_RW)).toBe(0);
    expect(Number((gleaf(host, vm, 1n).pte >> 6n) & 3n)).toBe(3);
    expect(host.call('__pkvm_host_relax_perms_guest', 1n, RWX | KVM_PGTABLE_PROT_SW0)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_relax_perms_guest', 1n, R | KVM_PGTABLE_PROT_PX)).toBe(-EINVAL); /* no FEAT_XNX */
    expect(host.call('__pkvm_host_relax_perms_guest', 2n, RWX)).toBe(-EAGAIN); /* unmapped */
    expect(host.call('__pkvm_host_wrprotect_guest', vm.handle, 1n, 1n)).toBe(0);
    expect(Number((gleaf(host, vm, 1n).pte >> 6n) & 3n)).toBe(1);
    expect(host.call('__pkvm_host_wrprotect_guest', vm.handle, 1n, 3n)).toBe(-EINVAL);
    expect(host.call('__pkvm_host_test_clear_young_guest', vm.handle, 1n, 1n, 1n)).toBe(1);
    expect(host.call('__pkvm_host_test_clear_young_guest', vm.handle, 1n, 1n, 0n)).toBe(0);
    expect(host.call('__pkvm_host_mkyoung_guest', 1n)).toBe(0);
    expect(host.call('__pkvm_host_test_clear_young_guest', vm.handle, 1n, 1n, 0n)).toBe(1);
    expect(vmm(host, pfn).state).toBe(PKVM_PAGE_SHARED_OWNED);
    expect(vmm(host, pfn + 1n).state).toBe(PKVM_PAGE_OWNED);
    expect(vmm(host, 0n + (RAM_BASE >> 12n)).state).not.toBe(PKVM_NOPAGE);
    host.check();
  });
});
