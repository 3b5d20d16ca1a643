/** The host hypercall dispatcher and its ordered table of ids. */
import { describe, expect, it } from 'vitest';
import { Host } from './harness';
import {
  ARM_SMCCC_CALL_HINTS, HOST_HCALLS, KVM_HOST_SMCCC_FUNC, KVM_HOST_SMCCC_ID, __KVM_HOST_SMCCC_FUNC, asSigned,
  __KVM_HOST_SMCCC_FUNC_PKVM_ONLY,
} from '../../hyp/hypercalls';
import { EINVAL, EPERM } from '../../hyp/page-state';
import { HOST_REQ_STATE_DIRTY, HOST_VCPU_PC, HOST_VCPU_REQ, HostVcpuView } from '../../hyp/host-abi';

describe('host hypercall table', () => {
  it('is pinned to upstream kvm_asm.h order', () => {
    expect(HOST_HCALLS.length).toBe(64); /* 54 upstream + the pKVM IOMMU calls appended (hyp/iommu) */
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_prot_finalize).toBe(7); /* = __KVM_HOST_SMCCC_FUNC_MIN_PKVM */
    expect(__KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run).toBe(9);
    expect(__KVM_HOST_SMCCC_FUNC.__kvm_timer_set_cntvoff).toBe(16);
    /* The tracing calls follow __kvm_timer_set_cntvoff, the GICv5 APR calls the GICv3 ones. */
    expect(__KVM_HOST_SMCCC_FUNC.__tracing_load).toBe(17);
    expect(__KVM_HOST_SMCCC_FUNC.__tracing_write_event).toBe(24);
    expect(__KVM_HOST_SMCCC_FUNC.__vgic_v3_save_aprs).toBe(25);
    expect(__KVM_HOST_SMCCC_FUNC.__vgic_v5_restore_vmcr_apr).toBe(28);
    /* The hyp heap's topup / reclaim / reclaimable close the common band (kernel-patches/bpf 43759e3c9631). */
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_hyp_topup).toBe(29);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_hyp_reclaimable).toBe(31);
    /* MARKER(__KVM_HOST_SMCCC_FUNC_PKVM_ONLY) takes no slot: the pKVM band starts at 32. */
    expect(__KVM_HOST_SMCCC_FUNC_PKVM_ONLY).toBe(32);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_host_share_hyp).toBe(32);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_host_donate_guest).toBe(34);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_init_vm).toBe(43);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_load).toBe(50);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_put).toBe(51);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_sync_state).toBe(52);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_tlb_flush_vmid).toBe(53);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_hyp_alloc_mgt_refill).toBe(54);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_host_iommu_iova_to_phys).toBe(63);
    expect(KVM_HOST_SMCCC_FUNC('__pkvm_host_share_hyp')).toBe(0xc600_0020n);
  });

  it('rejects unknown, empty and pre-initialisation ids with NOT_SUPPORTED', () => {
    const host = new Host();
    for (const id of [0, 1, 2, 6, HOST_HCALLS.length, HOST_HCALLS.length + 1, 0xffff]) {
      const frame = [KVM_HOST_SMCCC_ID(id), 1n, 2n, 3n, 0n, 0n];
      host.hyp.handleHostHcall(frame);
      expect(asSigned(frame[0]!)).toBe(-1);
      expect(frame[1]).toBe(1n);
    }
    const frame = [0x8400_0000n, 0n, 0n, 0n, 0n, 0n]; /* PSCI, not vendor-hyp */
    host.hyp.handleHostHcall(frame);
    expect(asSigned(frame[0]!)).toBe(-1);
  });

  it('gates on kvm_protected_mode_initialized: before, the pKVM calls are NOT_SUPPORTED; after, the early ones', () => {
    const host = new Host({ protectedModeInitialized: false });
    const call = (name: Parameters<typeof KVM_HOST_SMCCC_FUNC>[0]) => {
      const frame = [KVM_HOST_SMCCC_FUNC(name), 0x0900_0n, 0n, 0n, 0n, 0n];
      host.hyp.handleHostHcall(frame);
      return asSigned(frame[0]!);
    };
    expect(call('__pkvm_host_share_hyp')).toBe(-1); /* at or above __KVM_HOST_SMCCC_FUNC_PKVM_ONLY */
    expect(call('__pkvm_reserve_vm')).toBe(-1);
    expect(call('__kvm_flush_vm_context')).toBe(0); /* common to nVHE and pKVM */
    expect(call('__pkvm_prot_finalize')).toBe(0);
    host.hyp.protected_mode_initialized = true; /* the host flips the key (pkvm_drop_host_privileges) */
    expect(call('__pkvm_host_share_hyp')).toBe(0);
    expect(call('__pkvm_prot_finalize')).toBe(0); /* still reachable: x1 = -EPERM the second time */
  });

  it('__pkvm_vcpu_sync_state copies a loaded non-protected vCPU to the host, nothing for a protected one', () => {
    const host = new Host();
    const np = host.createVm(false);
    const p = host.createVm(true);
    host.call('__pkvm_vcpu_load', np.handle, 0, 0);
    const v = host.hyp.loaded_hyp_vcpu[0]!;
    v.ctxt.regs[3] = 0x1234n;
    v.ctxt.pc = 0x4000_1000n;
    host.call('__pkvm_vcpu_sync_state');
    const hv = new HostVcpuView(host.mem, np.vcpus[0]!);
    expect(hv.reg(3)).toBe(0x1234n);
    expect(hv.u64(HOST_VCPU_PC)).toBe(0x4000_1000n);
    host.call('__pkvm_vcpu_put');
    host.call('__pkvm_vcpu_load', p.handle, 0, 0);
    const pv = host.hyp.loaded_hyp_vcpu[0]!;
    pv.ctxt.regs[3] = 0x5ec2e7n;
    host.call('__pkvm_vcpu_sync_state');
    expect(new HostVcpuView(host.mem, p.vcpus[0]!).reg(3)).toBe(0n);
  });

  it('clears the SMCCC hint bit and returns x0 = SUCCESS, x1 = -errno', () => {
    const host = new Host();
    const frame = [KVM_HOST_SMCCC_FUNC('__pkvm_host_share_hyp') | ARM_SMCCC_CALL_HINTS, 0x0900_0n, 0n, 0n, 0n, 0n];
    host.hyp.handleHostHcall(frame);
    expect(frame[0]).toBe(0n);
    expect(asSigned(frame[1]!)).toBe(-EPERM);
    expect(frame[1]).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('__pkvm_prot_finalize works once per CPU', () => {
    const host = new Host({ nrCpus: 2 });
    expect(host.call('__pkvm_prot_finalize')).toBe(0);
    expect(host.call('__pkvm_prot_finalize')).toBe(-EPERM);
    host.cpu = 1;
    expect(host.call('__pkvm_prot_finalize')).toBe(0);
  });

  it('__kvm_vcpu_run needs a loaded vCPU whose host_vcpu is x1, and calls the run hook', () => {
    const seen: number[] = [];
    const host = new Host({ vcpuRun: (v) => (seen.push(v.vm.handle), 2) });
    expect(host.call('__kvm_vcpu_run', 0)).toBe(-EINVAL);
    const vm = host.createVm(true, 2);
    host.call('__pkvm_vcpu_load', vm.handle, 0, 0);
    expect(host.call('__kvm_vcpu_run', 0)).toBe(-EINVAL);
    expect(host.call('__kvm_vcpu_run', vm.vcpus[1]!)).toBe(-EINVAL); /* another vCPU's struct kvm_vcpu */
    expect(seen).toEqual([]);
    expect(host.call('__kvm_vcpu_run', vm.vcpus[0]!)).toBe(2);
    expect(seen).toEqual([vm.handle]);
  });

  it('truncates a pkvm_handle_t argument to 16 bits, as DECLARE_REG does', () => {
    const host = new Host();
    const vm = host.createVm(true);
    host.call('__pkvm_vcpu_load', BigInt(vm.handle) | 0x1_0000n, 0, 0);
    expect(host.hyp.loaded_hyp_vcpu[0]?.vm.handle).toBe(vm.handle);
  });
});

describe('the common band added by the newest kvm_asm.h', () => {
  const frameCall = (host: Host, name: Parameters<typeof KVM_HOST_SMCCC_FUNC>[0], x1: bigint): bigint[] => {
    const frame = [KVM_HOST_SMCCC_FUNC(name), x1, 1n, 0n, 0n, 0n];
    host.hyp.handleHostHcall(frame);
    return frame;
  };

  it('tracing (CONFIG_NVHE_EL2_TRACING, hyp/tracing/): with nothing loaded the int calls refuse, the void ones leave x1 alone', () => {
    for (const pkvm of [false, true]) {
      /* Between MIN_PKVM and PKVM_ONLY: reachable before and after the key is flipped. */
      const host = new Host({ protectedModeInitialized: pkvm });
      const expected: Record<string, number> = {
        __tracing_load: -22, /* desc_size (x2 = 1) not page aligned: -EINVAL */
        __tracing_enable: -22, /* enable with no buffer loaded */
        __tracing_swap_reader: -22, /* cpu 0x40000000 >= hyp_nr_cpus */
        __tracing_reset: -22,
        __tracing_enable_event: 0, /* id 0 (hyp_enter) exists */
      };
      for (const [name, ret] of Object.entries(expected)) {
        const f = frameCall(host, name as Parameters<typeof KVM_HOST_SMCCC_FUNC>[0], 0x4000_0000n);
        expect(f[0]).toBe(0n);
        expect(asSigned(f[1]!)).toBe(ret);
      }
      expect(asSigned(frameCall(host, '__tracing_swap_reader', 0n)[1]!)).toBe(-19); /* -ENODEV: not loaded */
      for (const name of ['__tracing_unload', '__tracing_update_clock', '__tracing_write_event'] as const) {
        const f = frameCall(host, name, 0x1234n);
        expect(f[0]).toBe(0n);
        expect(f[1]).toBe(0x1234n); /* void handler: x1 as the host left it */
      }
    }
  });

  it('__vgic_v5_*: GICv5 system registers are UNDEFINED at EL2 on this GICv3 CPU, so the hyp panics', () => {
    const host = new Host();
    expect(() => frameCall(host, '__vgic_v5_save_apr', 0x4000_0000n)).toThrow(/hyp_panic/);
    expect(() => frameCall(host, '__vgic_v5_restore_vmcr_apr', 0x4000_0000n)).toThrow(/hyp_panic/);
  });
});

describe('__pkvm_vcpu_put (upstream handle___pkvm_vcpu_put)', () => {
  it('syncs a non-protected vCPU back to the host unless the host marked its copy dirty', () => {
    const host = new Host();
    const np = host.createVm(false);
    const hv = new HostVcpuView(host.mem, np.vcpus[0]!);
    host.call('__pkvm_vcpu_load', np.handle, 0, 0);
    host.hyp.loaded_hyp_vcpu[0]!.ctxt.regs[5] = 0x5555n;
    host.call('__pkvm_vcpu_put');
    expect(hv.reg(5)).toBe(0x5555n); /* sync_hyp_vcpu_state() at put */
    host.call('__pkvm_vcpu_load', np.handle, 0, 0);
    host.hyp.loaded_hyp_vcpu[0]!.ctxt.regs[5] = 0x6666n;
    hv.setReg(5, 0x7777n);
    hv.setU64(HOST_VCPU_REQ, HOST_REQ_STATE_DIRTY); /* vcpu_set_flag(PKVM_HOST_STATE_DIRTY) */
    host.call('__pkvm_vcpu_put');
    expect(hv.reg(5)).toBe(0x7777n); /* the host's newer copy survives */
  });

  it('never syncs a protected vCPU', () => {
    const host = new Host();
    const p = host.createVm(true);
    const hv = new HostVcpuView(host.mem, p.vcpus[0]!);
    host.call('__pkvm_vcpu_load', p.handle, 0, 0);
    host.hyp.loaded_hyp_vcpu[0]!.ctxt.regs[5] = 0x5ec2e7n;
    host.call('__pkvm_vcpu_put');
    expect(hv.reg(5)).toBe(0n);
  });
});
