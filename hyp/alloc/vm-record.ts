/**
 * Per-VM bookkeeping on the hyp heap (opt-in: PkvmOptions.hypHeapVms): __pkvm_init_vm takes a record
 * from hyp_alloc() — { u16 handle; u16 nr_vcpus; u32 is_protected; u64 host_kvm; u64 vcpus[nr_vcpus] }
 * (the hyp vCPU structs' addresses, filled in by __pkvm_init_vcpu) — and
 * __pkvm_finalize_teardown_vm frees it, so what the host can reclaim from the heap follows the VMs'
 * lives. Off by default: the host model and the A64 host image do not run Android's
 * refill-and-retry loop on -ENOMEM, which a heap-allocating __pkvm_init_vm needs.
 */
import type { Pkvm } from '../index';
import type { PkvmHypVm } from '../hyp-vm';
import { ENOMEM } from '../page-state';

const records = new WeakMap<PkvmHypVm, bigint>();
const RECORD_HDR = 16n;

/** The record's size for nr_vcpus. */
export const pkvm_hyp_vm_record_size = (nr_vcpus: number): bigint => RECORD_HDR + 8n * BigInt(nr_vcpus);

/** Allocate and fill vm's record: 0, or the allocator's errno (-ENOMEM: the host must refill). */
export function pkvm_hyp_vm_record_alloc(hyp: Pkvm, vm: PkvmHypVm, cpu = 0): number {
  if (!hyp.hypHeapVms) return 0;
  const va = hyp.heap.hyp_alloc(pkvm_hyp_vm_record_size(vm.created_vcpus), cpu);
  if (va === null) return hyp.heap.hyp_alloc_errno(cpu) || -ENOMEM;
  hyp.mm.writeU64(va, BigInt(vm.handle) | (BigInt(vm.created_vcpus) << 16n) | (BigInt(vm.is_protected ? 1 : 0) << 32n));
  hyp.mm.writeU64(va + 8n, vm.host_kvm);
  records.set(vm, va);
  return 0;
}

export function pkvm_hyp_vm_record_vcpu(hyp: Pkvm, vm: PkvmHypVm, idx: number, vcpu_pa: bigint): void {
  const va = records.get(vm);
  if (va !== undefined) hyp.mm.writeU64(va + RECORD_HDR + 8n * BigInt(idx), vcpu_pa);
}

export function pkvm_hyp_vm_record_free(hyp: Pkvm, vm: PkvmHypVm): void {
  const va = records.get(vm);
  if (va === undefined) return;
  records.delete(vm);
  hyp.heap.hyp_free(va);
}

/** The heap VA of vm's record (tests), or null. */
export const pkvm_hyp_vm_record = (vm: PkvmHypVm): bigint | null => records.get(vm) ?? null;
