/**
 * Behaviours of the newest upstream pKVM the older protected-guest series lacked (issue 15's re-pin
 * list), each with upstream's result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CARVEOUT, Host, RAM_BASE, load, put } from './harness';
import { EBUSY, EINVAL, ENOMEM, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_OWNED, hypWarnConfig } from '../../hyp/page-state';
import { KVM_PGTABLE_PROT_RWX, PAGE_SIZE } from '../../hyp/pgtable-defs';
import { __pkvm_host_donate_hyp, __pkvm_hyp_donate_host, hyp_pin_shared_mem } from '../../hyp/mem-protect';
import {
  HostKvmView, HostVcpuView, IDREG_IDX, KVM_ARCH_FLAG_ID_REGS_INITIALIZED, KVM_ARM_ID_REG_NUM, kvm_init_id_regs,
} from '../../hyp/host-abi';
import type { PkvmHypVm } from '../../hyp/hyp-vm';
import { kvm_mmu_cache_min_pages, kvm_pgtable_stage2_pgd_size } from '../../hyp/vtcr';
import {
  DEFAULT_HOST_ID_REGS, PFR0_AdvSIMD, PFR0_EL0, PFR0_EL1, PFR0_FP, PFR0_SVE, PFR1_MTE, PFR1_SME,
  kvm_init_pvm_id_regs, pkvm_check_pvm_cpu_features,
} from '../../hyp/pvm-features';
import { ESR_ELx_S1PTW, host_inject_mem_abort } from '../../hyp/host-trap';

afterEach(() => {
  hypWarnConfig.warnIsFatal = true;
});

const hstate = (host: Host, pa: bigint) => host.hyp.vmemmap.get_host_state(host.hyp.vmemmap.idx(pa));
const f = (v: bigint, shift: number): bigint => (v >> BigInt(shift)) & 0xfn;
const withField = (v: bigint, shift: number, x: bigint): bigint => (v & ~(0xfn << BigInt(shift))) | (x << BigInt(shift));

describe('__pkvm_host_share_guest: the vCPU memcache pre-check', () => {
  it('-ENOMEM with fewer than kvm_mmu_cache_min_pages, before the host side changes', () => {
    const host = new Host();
    const vm = host.createVm(false);
    load(host, vm);
    const pfn = (RAM_BASE >> 12n) + 0x400n;
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, KVM_PGTABLE_PROT_RWX)).toBe(-ENOMEM);
    expect(hstate(host, pfn << 12n)).toBe(PKVM_PAGE_OWNED);
    expect(host.hyp.vmemmap.shareCount(host.hyp.vmemmap.idx(pfn << 12n))).toBe(0);
    /* Argument checks come first. */
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, 0x10n)).toBe(-EINVAL);
    host.topup(vm, 0, Number(kvm_mmu_cache_min_pages(host.hyp.host_vtcr())));
    expect(host.call('__pkvm_host_share_guest', pfn, 1n, 1n, KVM_PGTABLE_PROT_RWX)).toBe(0);
    expect(hstate(host, pfn << 12n)).toBe(PKVM_PAGE_SHARED_OWNED);
    put(host);
    host.check();
  });
});

describe('__pkvm_hyp_donate_host: __hyp_check_page_count_range', () => {
  it('refuses pages still referenced at EL2 (-EBUSY) and changes nothing', () => {
    const host = new Host();
    const pa = host.alloc(2);
    expect(__pkvm_host_donate_hyp(host.hyp, pa >> 12n, 2n)).toBe(0);
    host.hyp.vmemmap.hyp_page_ref_inc(host.hyp.vmemmap.idx(pa + PAGE_SIZE));
    expect(__pkvm_hyp_donate_host(host.hyp, pa >> 12n, 2n)).toBe(-EBUSY);
    expect(host.hyp.vmemmap.get_hyp_state(host.hyp.vmemmap.idx(pa))).toBe(PKVM_PAGE_OWNED);
    host.hyp.vmemmap.hyp_page_ref_dec(host.hyp.vmemmap.idx(pa + PAGE_SIZE));
    expect(__pkvm_hyp_donate_host(host.hyp, pa >> 12n, 2n)).toBe(0);
    expect(hstate(host, pa)).toBe(PKVM_PAGE_OWNED);
    host.check();
  });

  it('the unshare_hyp refusal of a pinned page is the same check', () => {
    const host = new Host();
    const pa = host.alloc();
    host.call('__pkvm_host_share_hyp', pa >> 12n);
    expect(hyp_pin_shared_mem(host.hyp, pa, pa + 8n)).toBe(0);
    expect(host.call('__pkvm_host_unshare_hyp', pa >> 12n)).toBe(-EBUSY);
  });
});

describe('teardown of a non-protected VM in upstream order', () => {
  it('start_teardown, then every shared page unshared (get_pkvm_hyp_vm on a dying VM), then finalize', () => {
    const host = new Host();
    const vm = host.createVm(false);
    load(host, vm);
    host.topup(vm, 0, 4);
    const pfns = [0x400n, 0x401n, 0x402n].map((o) => (RAM_BASE >> 12n) + o);
    pfns.forEach((pfn, i) => {
      host.topup(vm, 0, 2);
      expect(host.call('__pkvm_host_share_guest', pfn, BigInt(0x10 + i), 1n, KVM_PGTABLE_PROT_RWX)).toBe(0);
    });
    put(host);
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(0);
    pfns.forEach((_, i) => expect(host.call('__pkvm_host_unshare_guest', vm.handle, BigInt(0x10 + i), 1n)).toBe(0));
    for (const pfn of pfns) {
      expect(hstate(host, pfn << 12n)).toBe(PKVM_PAGE_OWNED);
      expect(host.hyp.vmemmap.shareCount(host.hyp.vmemmap.idx(pfn << 12n))).toBe(0);
    }
    /* The references the unshares took are dropped again: finalize sees an unreferenced VM. */
    expect(host.call('__pkvm_finalize_teardown_vm', vm.handle)).toBe(0);
    host.check();
  });

  it('a dying VM cannot be loaded, and a dying VM\'s vCPU cannot share', () => {
    const host = new Host();
    const vm = host.createVm(false);
    expect(host.call('__pkvm_start_teardown_vm', vm.handle)).toBe(0);
    host.call('__pkvm_vcpu_load', vm.handle, 0, 0);
    expect(host.hyp.loaded_hyp_vcpu[0]).toBe(null);
    expect(host.call('__pkvm_host_share_guest', (RAM_BASE >> 12n) + 0x400n, 1n, 1n, KVM_PGTABLE_PROT_RWX)).toBe(-EINVAL);
  });
});

describe('__pkvm_init_vcpu: restricted ID registers and CPU-feature checks', () => {
  it('a protected vCPU sees AArch64-only ELs, the CPU\'s FP/AdvSIMD, no SVE, MTE or SME', () => {
    const host = new Host();
    const vm = host.createVm(true);
    const id = host.hyp.get_vm_by_handle(vm.handle)!.vcpus[0]!.id_regs!;
    expect(id).toEqual(kvm_init_pvm_id_regs(DEFAULT_HOST_ID_REGS));
    /* From a CPU with AArch32 at EL0/EL1, SVE, MTE and SME: all restricted away. */
    let p0 = withField(withField(DEFAULT_HOST_ID_REGS.ID_AA64PFR0_EL1, PFR0_EL0, 2n), PFR0_EL1, 2n);
    p0 = withField(p0, PFR0_SVE, 1n);
    const p1 = withField(withField(0n, PFR1_MTE, 2n), PFR1_SME, 1n);
    const r = kvm_init_pvm_id_regs({ ID_AA64PFR0_EL1: p0, ID_AA64PFR1_EL1: p1 });
    expect(f(r.ID_AA64PFR0_EL1, PFR0_EL0)).toBe(1n);
    expect(f(r.ID_AA64PFR0_EL1, PFR0_EL1)).toBe(1n);
    expect(f(r.ID_AA64PFR0_EL1, PFR0_SVE)).toBe(0n);
    expect(f(r.ID_AA64PFR1_EL1, PFR1_MTE)).toBe(0n);
    expect(f(r.ID_AA64PFR1_EL1, PFR1_SME)).toBe(0n);
    expect(pkvm_check_pvm_cpu_features(r)).toBe(0);
    /* A non-protected vCPU gets no restricted copy. */
    const np = host.createVm(false);
    expect(host.hyp.get_vm_by_handle(np.handle)!.vcpus[0]!.id_regs).toBe(null);
  });

  it('pkvm_check_pvm_cpu_features: AArch32 EL0/EL1, no FP, no AdvSIMD, SME -> -EINVAL', () => {
    const base = DEFAULT_HOST_ID_REGS;
    const bad = [
      { ...base, ID_AA64PFR0_EL1: withField(base.ID_AA64PFR0_EL1, PFR0_EL0, 2n) },
      { ...base, ID_AA64PFR0_EL1: withField(base.ID_AA64PFR0_EL1, PFR0_EL1, 2n) },
      { ...base, ID_AA64PFR0_EL1: withField(base.ID_AA64PFR0_EL1, PFR0_FP, 0xfn) },
      { ...base, ID_AA64PFR0_EL1: withField(base.ID_AA64PFR0_EL1, PFR0_AdvSIMD, 0xfn) },
      { ...base, ID_AA64PFR1_EL1: withField(0n, PFR1_SME, 1n) },
    ];
    for (const id of bad) expect(pkvm_check_pvm_cpu_features(id)).toBe(-EINVAL);
    expect(pkvm_check_pvm_cpu_features({ ...base, ID_AA64PFR0_EL1: withField(base.ID_AA64PFR0_EL1, PFR0_FP, 1n) })).toBe(0); /* FP16 */
  });

  it('on a CPU without FP a protected vCPU is refused (-EINVAL), its page returned and the host vCPU unpinned', () => {
    const host = new Host({ idRegs: { ...DEFAULT_HOST_ID_REGS, ID_AA64PFR0_EL1: withField(DEFAULT_HOST_ID_REGS.ID_AA64PFR0_EL1, PFR0_FP, 0xfn) } });
    const handle = host.call('__pkvm_reserve_vm');
    expect(() => host.createVm(true)).toThrow(/init_vcpu: -22/);
    const hv = host.alloc();
    new HostVcpuView(host.mem, hv).vcpu_idx = 0;
    host.call('__pkvm_host_share_hyp', hv >> 12n);
    const page = host.alloc();
    expect(host.call('__pkvm_init_vcpu', handle + 1, hv, page)).toBe(-EINVAL);
    expect(host.hyp.vmemmap.hyp_page_count(hv)).toBe(0);
    expect(hstate(host, page)).toBe(PKVM_PAGE_OWNED);
    /* A non-protected VM is not checked. */
    expect(() => host.createVm(false)).not.toThrow();
    host.check(false);
  });
});

describe('host_inject_mem_abort: the syndrome the host takes', () => {
  const DABT_LOW = 0x24n, IABT_LOW = 0x20n;
  const esr = (ec: bigint, iss: bigint) => (ec << 26n) | (1n << 25n) | iss;
  it('from EL1: DABT_CUR / IABT_CUR; from EL0: the LOW EC kept; S1PTW set in both', () => {
    const EL1h = 0x3c5n, EL0t = 0x0n;
    expect(host_inject_mem_abort(esr(DABT_LOW, 0x47n), EL1h)).toEqual({ ec: 0x25, iss: 0x47 | ESR_ELx_S1PTW });
    expect(host_inject_mem_abort(esr(IABT_LOW, 0x07n), EL1h)).toEqual({ ec: 0x21, iss: 0x07 | ESR_ELx_S1PTW });
    expect(host_inject_mem_abort(esr(DABT_LOW, 0x47n), EL0t)).toEqual({ ec: 0x24, iss: 0x47 | ESR_ELx_S1PTW });
    expect(host_inject_mem_abort(esr(IABT_LOW, 0x07n), EL0t)).toEqual({ ec: 0x20, iss: 0x07 | ESR_ELx_S1PTW });
    expect(ESR_ELx_S1PTW).toBe(0x80);
  });
});

void CARVEOUT;

describe('__pkvm_init_vcpu: the ID-register copy of a non-protected VM (vm_copy_id_regs)', () => {
  const PFR0 = IDREG_IDX(4, 0); /* ID_AA64PFR0_EL1 = op0 3, op1 0, CRn 0, CRm 4, op2 0: slot 24 */
  /** A VM as the harness makes it, but with no vCPU yet; the host's ID registers as `init` leaves them. */
  function vmWithoutVcpus(host: Host, prot: boolean, nr: number, init: (k: HostKvmView) => void) {
    const handle = host.call('__pkvm_reserve_vm');
    const kvm = host.alloc();
    const k = new HostKvmView(host.mem, kvm);
    k.created_vcpus = nr;
    k.handle = handle;
    k.is_protected = prot;
    init(k);
    expect(host.call('__pkvm_host_share_hyp', kvm >> 12n)).toBe(0);
    const pgdSize = kvm_pgtable_stage2_pgd_size(host.hyp.host_vtcr());
    expect(host.call('__pkvm_init_vm', kvm, host.alloc(), host.alloc(Number(pgdSize / PAGE_SIZE), pgdSize))).toBe(0);
    return { handle, k };
  }
  function hostVcpu(host: Host, idx: number): bigint {
    const hv = host.alloc();
    const v = new HostVcpuView(host.mem, hv);
    v.vcpu_id = idx;
    v.vcpu_idx = idx;
    expect(host.call('__pkvm_host_share_hyp', hv >> 12n)).toBe(0);
    return hv;
  }
  const pinned = (host: Host, pa: bigint) => host.hyp.vmemmap.refcount(host.hyp.vmemmap.idx(pa));

  it('slot numbering: IDREG_IDX((CRm - 1) << 3 | op2), 56 slots', () => {
    expect(IDREG_IDX(1, 0)).toBe(0);
    expect(PFR0).toBe(24);
    expect(IDREG_IDX(7, 4)).toBe(52); /* ID_AA64MMFR4_EL1 */
    expect(KVM_ARM_ID_REG_NUM).toBe(56);
  });

  it('-EINVAL while the host has not initialised them; the host vCPU is unpinned and the page comes back zeroed', () => {
    const host = new Host();
    const { handle } = vmWithoutVcpus(host, false, 1, () => {});
    const hv = hostVcpu(host, 0);
    const page = host.alloc();
    host.mem.writeU64(page, 0x1234n);
    expect(host.call('__pkvm_init_vcpu', handle, hv, page)).toBe(-EINVAL);
    expect(pinned(host, hv)).toBe(0);
    expect(hstate(host, page)).toBe(PKVM_PAGE_OWNED);
    expect(host.mem.readU64(page)).toBe(0n);
    host.check();
  });

  it('the first vCPU copies them once: later host writes do not reach the hyp', () => {
    const host = new Host();
    const pfr0 = DEFAULT_HOST_ID_REGS.ID_AA64PFR0_EL1;
    const { handle, k } = vmWithoutVcpus(host, false, 2, (kv) => kvm_init_id_regs(kv, host.hyp.idRegs));
    expect(k.id_reg(PFR0)).toBe(host.hyp.idRegs.ID_AA64PFR0_EL1);
    expect(host.call('__pkvm_init_vcpu', handle, hostVcpu(host, 0), host.alloc())).toBe(0);
    const vm = host.hyp.vm_table[handle - 0x1000] as PkvmHypVm;
    expect(vm.kvm_arch_flags).toBe(1n << KVM_ARCH_FLAG_ID_REGS_INITIALIZED);
    expect(vm.kvm_id_regs[PFR0]).toBe(pfr0);
    /* A hostile host rewrites its copy (claims SVE) before the second vCPU: EL2 keeps the first. */
    k.set_id_reg(PFR0, withField(pfr0, PFR0_SVE, 1n));
    expect(host.call('__pkvm_init_vcpu', handle, hostVcpu(host, 1), host.alloc())).toBe(0);
    expect(vm.kvm_id_regs[PFR0]).toBe(pfr0);
    /* ...and clearing the host's flag afterwards changes nothing either. */
    k.arch_flags = 0n;
    expect(vm.kvm_id_regs[PFR0]).toBe(pfr0);
    host.check();
  });

  it('a protected VM takes the restricted set, whatever the host struct kvm says', () => {
    const host = new Host();
    const { handle } = vmWithoutVcpus(host, true, 1, () => {});
    expect(host.call('__pkvm_init_vcpu', handle, hostVcpu(host, 0), host.alloc())).toBe(0);
    const vm = host.hyp.vm_table[handle - 0x1000] as PkvmHypVm;
    expect(vm.vcpus[0]!.id_regs).toEqual(kvm_init_pvm_id_regs(host.hyp.idRegs));
    expect(vm.kvm_arch_flags).toBe(0n);
  });
});
