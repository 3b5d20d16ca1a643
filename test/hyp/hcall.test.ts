/** The host hypercall dispatcher and its ordered table of ids. */
import { describe, expect, it } from 'vitest';
import { Host } from './harness';
import {
  ARM_SMCCC_CALL_HINTS, HOST_HCALLS, KVM_HOST_SMCCC_FUNC, KVM_HOST_SMCCC_ID, __KVM_HOST_SMCCC_FUNC, asSigned,
} from '../../hyp/hypercalls';
import { EINVAL, EPERM } from '../../hyp/page-state';
import { HOST_VCPU_PC, HostVcpuView } from '../../hyp/host-abi';

describe('host hypercall table', () => {
  it('is pinned to upstream kvm_asm.h order', () => {
    expect(HOST_HCALLS.length).toBe(51); /* 41 upstream + the pKVM IOMMU calls appended (hyp/iommu) */
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_prot_finalize).toBe(7);
    expect(__KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run).toBe(9);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_host_share_hyp).toBe(19);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_host_donate_guest).toBe(21);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_init_vm).toBe(30);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_load).toBe(37);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_put).toBe(38);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_sync_state).toBe(39);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_tlb_flush_vmid).toBe(40);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_hyp_alloc_mgt_refill).toBe(41);
    expect(__KVM_HOST_SMCCC_FUNC.__pkvm_host_iommu_iova_to_phys).toBe(50);
    expect(KVM_HOST_SMCCC_FUNC('__pkvm_host_share_hyp')).toBe(0xc600_0013n);
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
    expect(call('__pkvm_host_share_hyp')).toBe(-1); /* above __KVM_HOST_SMCCC_FUNC_MAX_NO_PKVM */
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
