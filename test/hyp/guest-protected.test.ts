/** Protected guests: donation, guest share/unshare, poison and forced reclaim. */
import { describe, expect, it } from 'vitest';
import { CARVEOUT, Host, HostVm, MMIO_PFN, RAM_BASE, load, put } from './harness';
import {
  EAGAIN, EEXIST, EFAULT, EHWPOISON, EINVAL, ENOENT, ENOMEM, EPERM, HypPanic, PKVM_ID_GUEST, PKVM_NOPAGE, PKVM_PAGE_OWNED,
  PKVM_PAGE_SHARED_BORROWED, PKVM_PAGE_SHARED_OWNED, PKVM_POISON,
} from '../../hyp/page-state';
import { kvm_mmu_cache_min_pages, kvm_stage2_levels } from '../../hyp/vtcr';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import {
  FIELD_GET, KVM_HOST_DONATION_PTE_EXTRA_MASK, KVM_HOST_DONATION_PTE_OWNER_MASK, PAGE_SIZE, kvm_pte_to_phys,
  kvm_pte_valid, pkvm_getstate,
} from '../../hyp/pgtable-defs';
import { __pkvm_guest_share_host, __pkvm_guest_unshare_host, guest_get_page_state } from '../../hyp/mem-protect-guest';

function setup(): { host: Host; vm: HostVm; page: bigint; gfn: bigint } {
  const host = new Host();
  const vm = host.createVm(true);
  load(host, vm);
  host.topup(vm);
  const page = RAM_BASE + 0x30_0000n;
  host.mem.writeU64(page, 0xdead_beefn);
  return { host, vm, page, gfn: 0x8_0000n };
}
const hstate = (host: Host, pa: bigint) => host.hyp.vmemmap.get_host_state(host.hyp.vmemmap.idx(pa));
const gpte = (host: Host, vm: HostVm, gfn: bigint) => kvm_pgtable_get_leaf(host.hyp.get_vm_by_handle(vm.handle)!.pgt, gfn << 12n);
const hvcpu = (host: Host, vm: HostVm) => host.hyp.get_vm_by_handle(vm.handle)!.vcpus[0]!;

describe('__pkvm_host_donate_guest', () => {
  it('moves a page from the host to a protected guest', () => {
    const { host, vm, page, gfn } = setup();
    host.hyp.handleHostMemAbort(page);
    expect(host.call('__pkvm_host_donate_guest', page >> 12n, gfn)).toBe(0);
    expect(hstate(host, page)).toBe(PKVM_NOPAGE);
    const a = kvm_pgtable_get_leaf(host.hyp.host_mmu.pgt, page).pte;
    expect(kvm_pte_valid(a)).toBe(false);
    expect(FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, a)).toBe(BigInt(PKVM_ID_GUEST));
    const meta = FIELD_GET(KVM_HOST_DONATION_PTE_EXTRA_MASK, a);
    expect(meta & 0xffffn).toBe(BigInt(vm.handle));
    expect(meta >> 16n).toBe(gfn);
    const g = gpte(host, vm, gfn);
    expect(g.level).toBe(3);
    expect(kvm_pte_to_phys(g.pte)).toBe(page);
    expect(pkvm_getstate(g.pte)).toBe(PKVM_PAGE_OWNED);
    expect(Number((g.pte >> 6n) & 3n)).toBe(3);
    expect(host.hyp.handleHostMemAbort(page)).toBe(-EPERM); /* the host lost it */
    expect(host.mem.readU64(page)).toBe(0xdead_beefn); /* donated, not cleared */
    host.check();
    expect(host.call('__pkvm_host_donate_guest', page >> 12n, gfn + 1n)).toBe(-EPERM);
    expect(host.call('__pkvm_host_donate_guest', (page >> 12n) + 1n, gfn)).toBe(-EPERM);
    expect(host.call('__pkvm_host_donate_guest', MMIO_PFN, gfn + 2n)).toBe(-EPERM);
    expect(host.call('__pkvm_host_donate_guest', CARVEOUT.base >> 12n, gfn + 2n)).toBe(-EPERM);
    expect(host.call('__pkvm_host_donate_guest', page >> 12n, 1n << 40n)).toBe(-EPERM);
    host.check();
  });

  it('needs a loaded protected vCPU', () => {
    const host = new Host();
    const pvm = host.createVm(true);
    const npvm = host.createVm(false);
    expect(host.call('__pkvm_host_donate_guest', (RAM_BASE >> 12n) + 0x300n, 1n)).toBe(-EINVAL);
    load(host, npvm);
    expect(host.call('__pkvm_host_donate_guest', (RAM_BASE >> 12n) + 0x300n, 1n)).toBe(-EINVAL);
    put(host);
    load(host, pvm);
    host.topup(pvm);
    expect(host.call('__pkvm_host_donate_guest', (RAM_BASE >> 12n) + 0x300n, 1n)).toBe(0);
    host.check();
  });

  it('needs kvm_mmu_cache_min_pages in the vCPU memcache: -ENOMEM before any change (no WARN)', () => {
    const host = new Host();
    const vm = host.createVm(true);
    load(host, vm);
    const pa = RAM_BASE + 0x30_0000n;
    const min = kvm_mmu_cache_min_pages(host.hyp.host_vtcr());
    expect(min).toBe(BigInt(kvm_stage2_levels(host.hyp.host_vtcr()) - 1));
    /* Empty: the older series changed the host side, then WARNed in the stage-2 map (hyp_panic). */
    expect(host.call('__pkvm_host_donate_guest', pa >> 12n, 1n)).toBe(-ENOMEM);
    host.topup(vm, 0, Number(min) - 1);
    expect(host.call('__pkvm_host_donate_guest', pa >> 12n, 1n)).toBe(-ENOMEM);
    expect(hstate(host, pa)).toBe(PKVM_PAGE_OWNED);
    expect(gpte(host, vm, 1n).pte).toBe(0n);
    /* The state checks come first: a bad page is -EPERM whatever the memcache holds. */
    expect(host.call('__pkvm_host_donate_guest', CARVEOUT.base >> 12n, 1n)).toBe(-EPERM);
    /* refill_memcache() tops EL2's memcache up to the host memcache's count, not by it. */
    host.topup(vm, 0, 1);
    expect(host.call('__pkvm_host_donate_guest', pa >> 12n, 1n)).toBe(-ENOMEM);
    host.topup(vm, 0, 1);
    expect(host.call('__pkvm_host_donate_guest', pa >> 12n, 1n)).toBe(0);
    host.check();
  });
});

describe('guest share/unshare with the host', () => {
  it('MEM_SHARE gives the page back to the host until MEM_UNSHARE', () => {
    const { host, vm, page, gfn } = setup();
    host.call('__pkvm_host_donate_guest', page >> 12n, gfn);
    const vcpu = hvcpu(host, vm);
    expect(__pkvm_guest_share_host(host.hyp, vcpu, gfn)).toBe(0);
    expect(hstate(host, page)).toBe(PKVM_PAGE_SHARED_BORROWED);
    expect(pkvm_getstate(gpte(host, vm, gfn).pte)).toBe(PKVM_PAGE_SHARED_OWNED);
    expect(host.hyp.handleHostMemAbort(page)).toBe(-EEXIST); /* idmapped again by the share */
    host.check();
    expect(__pkvm_guest_share_host(host.hyp, vcpu, gfn)).toBe(-EPERM);
    expect(host.call('__pkvm_force_reclaim_guest_page', page)).toBe(-EAGAIN);
    expect(__pkvm_guest_unshare_host(host.hyp, vcpu, gfn)).toBe(0);
    expect(hstate(host, page)).toBe(PKVM_NOPAGE);
    expect(host.hyp.handleHostMemAbort(page)).toBe(-EPERM);
    expect(__pkvm_guest_unshare_host(host.hyp, vcpu, gfn)).toBe(-EPERM);
    expect(__pkvm_guest_share_host(host.hyp, vcpu, gfn + 1n)).toBe(-ENOENT);
    host.check();
  });
});

describe('__pkvm_host_force_reclaim_page_guest', () => {
  it('poisons the guest PTE and returns a zeroed page to the host', () => {
    const { host, vm, page, gfn } = setup();
    host.call('__pkvm_host_donate_guest', page >> 12n, gfn);
    expect(host.call('__pkvm_force_reclaim_guest_page', page + 0x123n)).toBe(0);
    expect(hstate(host, page)).toBe(PKVM_PAGE_OWNED);
    expect(host.mem.readU64(page)).toBe(0n);
    const g = gpte(host, vm, gfn);
    expect(g.pte).toBe(3n << 60n); /* KVM_GUEST_INVALID_PTE_TYPE_POISONED */
    expect(guest_get_page_state(g.pte)).toBe(PKVM_POISON);
    host.check();
    /* The guest touches it again: the host asks whether this is a poison fault. */
    const vcpu = hvcpu(host, vm);
    vcpu.fault = { esr_el2: (0x24n << 26n) | 0x07n, hpfar_el2: (gfn << 4n), far_el2: 0x10n };
    expect(host.call('__pkvm_vcpu_in_poison_fault')).toBe(1);
    vcpu.fault.esr_el2 = (0x24n << 26n) | 0x0fn; /* permission fault */
    expect(host.call('__pkvm_vcpu_in_poison_fault')).toBe(-EINVAL);
    expect(__pkvm_guest_share_host(host.hyp, vcpu, gfn)).toBe(-EHWPOISON);
    expect(host.call('__pkvm_host_donate_guest', page >> 12n, gfn)).toBe(-EPERM);
    host.check();
  });

  it('returns -EFAULT, -EAGAIN and -EPERM as upstream', () => {
    const { host, page } = setup();
    expect(host.call('__pkvm_force_reclaim_guest_page', 0x0900_0000n)).toBe(-EFAULT);
    expect(host.call('__pkvm_force_reclaim_guest_page', page)).toBe(-EAGAIN); /* host-owned */
    expect(host.call('__pkvm_force_reclaim_guest_page', CARVEOUT.base)).toBe(-EPERM); /* owner is the hyp */
    host.check();
  });
});

describe('teardown of a protected VM', () => {
  it('reclaims owned pages zeroed, shared pages as they are, poisoned pages as no-ops', () => {
    const { host, vm, page, gfn } = setup();
    const p2 = page + PAGE_SIZE;
    host.mem.writeU64(p2, 0x1234n);
    expect(host.call('__pkvm_host_donate_guest', page >> 12n, gfn)).toBe(0);
    host.topup(vm);
    expect(host.call('__pkvm_host_donate_guest', p2 >> 12n, gfn + 1n)).toBe(0);
    host.topup(vm);
    expect(host.call('__pkvm_host_donate_guest', (page >> 12n) + 2n, gfn + 2n)).toBe(0);
    expect(__pkvm_guest_share_host(host.hyp, hvcpu(host, vm), gfn + 1n)).toBe(0);
    expect(host.call('__pkvm_force_reclaim_guest_page', page + 2n * PAGE_SIZE)).toBe(0);
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, gfn)).toBe(-EINVAL); /* not dying */
    put(host);
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(0);
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, gfn)).toBe(0);
    expect(host.mem.readU64(page)).toBe(0n);
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, gfn + 1n)).toBe(0);
    expect(host.mem.readU64(p2)).toBe(0x1234n);
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, gfn + 2n)).toBe(0); /* -EHWPOISON -> 0 */
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, gfn + 3n)).toBe(-ENOENT);
    for (const p of [page, p2, page + 2n * PAGE_SIZE]) expect(hstate(host, p)).toBe(PKVM_PAGE_OWNED);
    host.check();
    expect(host.call('__pkvm_finalize_teardown_vm', vm.handle)).toBe(0);
    host.check();
  });
});
