/**
 * Test board for DMA isolation: a core with hosted pKVM, the host's KVM, an SMMU in front of a DMA
 * engine (hypercall or mirror mode) and helpers that give a protected guest a page, have the guest
 * share it back, or tear the guest down.
 */
import { Core } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, type HostVm } from '../../host-kernel-model/kvm';
import { createHostDma } from '../../host-kernel-model/iommu';
import type { KvmIommuMode } from '../../hyp/iommu/iommu';
import { __pkvm_guest_share_host, __pkvm_guest_unshare_host } from '../../hyp/mem-protect-guest';

export function bootDmaBoard(mode: KvmIommuMode, ramBytes = 64 << 20) {
  const core = new Core(ramBytes, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 200_000 });
  const kvm = new HostKvm(el2);
  const { iommu, dma, host } = createHostDma(kvm, { mode });
  return { core, el2, kvm, iommu, dma, host, pkvm: el2.pkvm };
}
export type DmaBoard = ReturnType<typeof bootDmaBoard>;

/** A protected VM with no image (its vCPU never runs in these tests). */
export function protectedVm(b: DmaBoard, name = 'pvm'): HostVm {
  return b.kvm.createVm({ name, protected: true, memBytes: 1 << 20 });
}

/** The host donates the backing page of gfn to the guest, as on the guest's first touch. Returns its PA. */
export function donate(b: DmaBoard, vm: HostVm, gfn: bigint): { ret: number; pa: bigint } {
  const pa = b.kvm.backingPage(vm, gfn);
  b.kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
  b.kvm.topupMemcache(vm.vcpus[0]!);
  const ret = b.kvm.hcall('__pkvm_host_donate_guest', pa >> 12n, gfn);
  b.kvm.hcall('__pkvm_vcpu_put');
  if (!ret) vm.given.add(gfn);
  return { ret, pa };
}

/** The guest's MEM_SHARE / MEM_UNSHARE of gfn (what its HVC does at EL2). */
export function guestShare(b: DmaBoard, vm: HostVm, gfn: bigint, share: boolean): number {
  b.kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
  const vcpu = b.pkvm.loaded_vcpu(0)!;
  b.kvm.topupMemcache(vm.vcpus[0]!);
  /* The guest's own call runs with its memcache, as the hyp tops it up before handling a guest HVC. */
  const ret = share ? __pkvm_guest_share_host(b.pkvm, vcpu, gfn) : __pkvm_guest_unshare_host(b.pkvm, vcpu, gfn);
  b.kvm.hcall('__pkvm_vcpu_put');
  return ret;
}

export const fill = (b: DmaBoard, pa: bigint, byte: number, n = 4096): void => b.core.writePhys(pa, new Uint8Array(n).fill(byte));
export const bytes = (b: DmaBoard, pa: bigint, n = 4096): Uint8Array => b.core.readPhys(pa, n);
export const allBytes = (u: Uint8Array, v: number): boolean => u.every((x) => x === v);
