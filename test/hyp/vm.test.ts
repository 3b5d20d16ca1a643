/** VM / vCPU tables: handles, creation from donated memory, load/put, two-phase teardown. */
import { afterEach, describe, expect, it } from 'vitest';
import { CARVEOUT, Host, RAM_BASE, load, put } from './harness';
import {
  EBUSY, EINVAL, ENOENT, ENOMEM, EPERM, HypPanic, PKVM_NOPAGE, PKVM_PAGE_OWNED, hypWarnConfig,
} from '../../hyp/page-state';
import { HostKvmView, kvm_init_id_regs, HostVcpuView, PKVM_HYP_VCPU_SIZE } from '../../hyp/host-abi';
import { PAGE_ALIGN, PAGE_SIZE } from '../../hyp/pgtable-defs';
import { kvm_pgtable_stage2_pgd_size } from '../../hyp/vtcr';
import { pkvm_get_hyp_vm_size } from '../../hyp/host-abi';
import { checkInvariants } from '../../hyp/invariants';

afterEach(() => {
  hypWarnConfig.warnIsFatal = true;
});

const hstate = (host: Host, pa: bigint) => host.hyp.vmemmap.get_host_state(host.hyp.vmemmap.idx(pa));

function hostKvm(host: Host, nr: number, handle: number, prot = true): bigint {
  const kvm = host.alloc();
  const k = new HostKvmView(host.mem, kvm);
  k.created_vcpus = nr;
  k.handle = handle;
  k.is_protected = prot;
  kvm_init_id_regs(k, host.hyp.idRegs);
  return kvm;
}

describe('__pkvm_reserve_vm / __pkvm_init_vm', () => {
  it('hands out handles from 0x1000 and -ENOMEM when full', () => {
    const host = new Host({ maxVms: 2 });
    expect(host.call('__pkvm_reserve_vm')).toBe(0x1000);
    expect(host.call('__pkvm_reserve_vm')).toBe(0x1001);
    expect(host.call('__pkvm_reserve_vm')).toBe(-ENOMEM);
    host.call('__pkvm_unreserve_vm', 0x1000);
    expect(host.call('__pkvm_reserve_vm')).toBe(0x1000);
  });

  it('builds the VM from donated pages, with VMID = index + 1', () => {
    const host = new Host();
    host.createVm(true);
    const vm2 = host.createVm(false, 2);
    const vm = host.hyp.get_vm_by_handle(vm2.handle)!;
    expect(vm.mmu.vmid).toBe(2);
    expect(vm.created_vcpus).toBe(2);
    expect(vm.mmu.vtcr).toBe(host.hyp.host_vtcr());
    expect(host.hyp.guest_vttbr(vm)).toBe(vm.pgt.pgd! | (2n << 48n));
    expect(host.hyp.vmemmap.get_hyp_state(host.hyp.vmemmap.idx(vm.pa))).toBe(PKVM_PAGE_OWNED);
    expect(hstate(host, vm.pgt.pgd!)).toBe(PKVM_NOPAGE);
    expect(host.hyp.handleHostMemAbort(vm.pa)).toBe(-EPERM);
    host.check();
  });

  it('returns upstream errors', () => {
    const host = new Host();
    const handle = host.call('__pkvm_reserve_vm');
    const good = () => ({ vm: host.alloc(), pgd: host.alloc(2, 2n * PAGE_SIZE) });
    let kvm = hostKvm(host, 1, handle);
    let m = good();
    expect(host.call('__pkvm_init_vm', kvm, m.vm, m.pgd)).toBe(-EPERM); /* struct kvm not shared */
    host.call('__pkvm_host_share_hyp', kvm >> 12n);
    new HostKvmView(host.mem, kvm).created_vcpus = 0;
    expect(host.call('__pkvm_init_vm', kvm, m.vm, m.pgd)).toBe(-EINVAL);
    new HostKvmView(host.mem, kvm).created_vcpus = 1;
    new HostKvmView(host.mem, kvm).handle = 0x0fff;
    expect(host.call('__pkvm_init_vm', kvm, m.vm, m.pgd)).toBe(-EINVAL);
    new HostKvmView(host.mem, kvm).handle = handle;
    expect(host.call('__pkvm_init_vm', kvm, m.vm + 8n, m.pgd)).toBe(-ENOMEM); /* unaligned */
    expect(host.call('__pkvm_init_vm', kvm, CARVEOUT.base, m.pgd)).toBe(-ENOMEM); /* not the host's */
    expect(host.call('__pkvm_init_vm', kvm, m.vm, m.pgd + PAGE_SIZE)).toBe(-ENOMEM); /* PGD not size-aligned */
    host.check();
    expect(host.call('__pkvm_init_vm', kvm, m.vm, m.pgd)).toBe(0);
    host.check();
    /* A second init with the same handle fails at publication... */
    kvm = hostKvm(host, 1, handle);
    host.call('__pkvm_host_share_hyp', kvm >> 12n);
    m = good();
    expect(host.call('__pkvm_init_vm', kvm, m.vm, m.pgd)).toBe(-EINVAL);
    /* ...and the guest stage-2 is destroyed before the pages go back: the PGD returns unreferenced
     * (the older series handed it back with refcount 1), and hyp_donate_host does not refuse it. */
    for (let a = m.pgd; a < m.pgd + kvm_pgtable_stage2_pgd_size(host.hyp.host_vtcr()); a += PAGE_SIZE) {
      expect(hstate(host, a)).toBe(PKVM_PAGE_OWNED);
      expect(host.hyp.vmemmap.hyp_page_count(a)).toBe(0);
    }
    expect(hstate(host, m.vm)).toBe(PKVM_PAGE_OWNED);
    host.check();
  });

  it('has no vCPU-count cap of its own: only the donation has to cover pkvm_get_hyp_vm_size()', () => {
    const host = new Host({ maxVcpus: 2 });
    const handle = host.call('__pkvm_reserve_vm');
    const kvm = hostKvm(host, 64, handle);
    host.call('__pkvm_host_share_hyp', kvm >> 12n);
    const vmPages = Number(PAGE_ALIGN(pkvm_get_hyp_vm_size(64)) / PAGE_SIZE);
    const pgdSize = kvm_pgtable_stage2_pgd_size(host.hyp.host_vtcr());
    expect(host.call('__pkvm_init_vm', kvm, host.alloc(vmPages), host.alloc(Number(pgdSize / PAGE_SIZE), pgdSize))).toBe(0);
    expect(host.hyp.get_vm_by_handle(handle)!.created_vcpus).toBe(64);
    host.check();
  });
});

describe('__pkvm_init_vcpu', () => {
  it('returns -ENOENT, -EBUSY, -EINVAL and -ENOMEM as upstream', () => {
    const host = new Host();
    const vm = host.createVm(true, 2);
    const hv = host.alloc();
    const v = new HostVcpuView(host.mem, hv);
    v.vcpu_idx = 1;
    expect(host.call('__pkvm_init_vcpu', 0x1003, hv, host.alloc())).toBe(-ENOENT);
    expect(host.call('__pkvm_init_vcpu', vm.handle, hv, host.alloc())).toBe(-EBUSY); /* host vcpu not shared */
    host.call('__pkvm_host_share_hyp', hv >> 12n);
    expect(host.call('__pkvm_init_vcpu', vm.handle, hv, CARVEOUT.base)).toBe(-ENOMEM);
    v.vcpu_idx = 2;
    expect(host.call('__pkvm_init_vcpu', vm.handle, hv, host.alloc())).toBe(-EINVAL);
    /* The host vCPU is unpinned on every error path (the older series left it pinned here). */
    expect(host.hyp.vmemmap.hyp_page_count(hv)).toBe(0);
    v.vcpu_idx = 0;
    expect(host.call('__pkvm_init_vcpu', vm.handle, hv, host.alloc())).toBe(-EINVAL); /* already created */
    expect(host.hyp.vmemmap.hyp_page_count(hv)).toBe(0);
    expect(host.call('__pkvm_host_unshare_hyp', hv >> 12n)).toBe(0);
    host.check();
    expect(PKVM_HYP_VCPU_SIZE).toBe(PAGE_SIZE);
  });
});

describe('vCPU load/put', () => {
  it('loads one vCPU per physical CPU and never the same vCPU twice', () => {
    const host = new Host({ nrCpus: 2 });
    const vm = host.createVm(true, 2);
    const hvm = host.hyp.get_vm_by_handle(vm.handle)!;
    load(host, vm, 0);
    host.call('__pkvm_vcpu_load', vm.handle, 1, 0); /* cpu 0 busy: ignored */
    expect(host.hyp.loaded_hyp_vcpu[0]).toBe(hvm.vcpus[0]);
    host.cpu = 1;
    host.call('__pkvm_vcpu_load', vm.handle, 0, 0); /* vcpu 0 loaded on cpu 0: ignored */
    expect(host.hyp.loaded_hyp_vcpu[1]).toBe(null);
    host.call('__pkvm_vcpu_load', vm.handle, 7, 0);
    host.call('__pkvm_vcpu_load', 0x1fff, 0, 0);
    expect(host.hyp.loaded_hyp_vcpu[1]).toBe(null);
    load(host, vm, 1);
    expect(host.hyp.vmemmap.hyp_page_count(hvm.pa)).toBe(2);
    host.check();
    put(host);
    host.cpu = 0;
    put(host);
    put(host);
    expect(host.hyp.vmemmap.hyp_page_count(hvm.pa)).toBe(0);
    host.check();
  });
});

describe('teardown', () => {
  it('start/finalize go through get_pkvm_unref_hyp_vm_locked: -EINVAL for no VM, a referenced VM or the wrong dying state, no WARN', () => {
    const host = new Host();
    const vm = host.createVm(true);
    expect(host.call('__pkvm_start_teardown_vm', 0x1003)).toBe(-EINVAL);
    expect(host.call('__pkvm_finalize_teardown_vm', 0x1003)).toBe(-EINVAL);
    load(host, vm);
    /* WARN_ON is fatal here: a loaded vCPU must be an error, not a hyp_panic (the older series WARNed). */
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(-EINVAL);
    put(host);
    expect(host.call('__pkvm_finalize_teardown_vm', vm.handle)).toBe(-EINVAL); /* not dying */
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(0);
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(-EINVAL);
    host.call('__pkvm_vcpu_load', vm.handle, 0, 0);
    expect(host.hyp.loaded_hyp_vcpu[0]).toBe(null); /* dying VMs cannot be loaded */
  });

  it('finalize returns every hyp page of the VM to the host through the teardown memcaches', () => {
    const host = new Host();
    const vm = host.createVm(true, 2);
    const hvm = host.hyp.get_vm_by_handle(vm.handle)!;
    load(host, vm);
    host.topup(vm, 0, 5);
    host.call('__pkvm_host_donate_guest', (RAM_BASE >> 12n) + 0x500n, 0x100n);
    host.call('__pkvm_host_donate_guest', (RAM_BASE >> 12n) + 0x501n, 0x4_0000n);
    put(host);
    const hypPages = [hvm.pa, hvm.pgt.pgd!, hvm.pgt.pgd! + PAGE_SIZE, hvm.vcpus[0]!.pa, hvm.vcpus[1]!.pa];
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(0);
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, 0x100n)).toBe(0);
    expect(host.call('__pkvm_reclaim_dying_guest_page', vm.handle, 0x4_0000n)).toBe(0);
    expect(host.call('__pkvm_finalize_teardown_vm', vm.handle)).toBe(0);
    expect(host.call('__pkvm_finalize_teardown_vm', vm.handle)).toBe(-EINVAL);
    for (const p of hypPages) expect(hstate(host, p)).toBe(PKVM_PAGE_OWNED);
    const k = new HostKvmView(host.mem, vm.kvm);
    expect(k.teardown_mc.nr_pages).toBe(3n); /* VM struct + 2 vCPUs */
    expect(k.stage2_teardown_mc.nr_pages).toBe(2n + 5n); /* PGD + every memcache page, used or not */
    host.check();
    /* struct kvm and the vCPUs are unpinned: the host can take them back */
    expect(host.call('__pkvm_host_unshare_hyp', vm.kvm >> 12n)).toBe(0);
    expect(host.call('__pkvm_host_unshare_hyp', vm.vcpus[1]! >> 12n)).toBe(0);
    /* the handle is free again */
    expect(host.call('__pkvm_reserve_vm')).toBe(vm.handle);
    host.check();
  });
});
