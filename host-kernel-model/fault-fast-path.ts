/**
 * The stage-2 fault of a protected guest on a page of its memslot, resolved without leaving the
 * guest: the steps of the full round trip (hyp exit → host user_mem_abort(): pin a fresh zeroed
 * page, top up the memcache, __pkvm_host_donate_guest → __kvm_vcpu_run) run back to back inside the
 * world switch, with the same checks and the same resulting state, when nothing but the donation
 * itself happens:
 *
 * - the abort is a translation fault (data, instruction, or a stage-1 walk's) on an IPA of the
 *   memslot the guest has not been given yet;
 * - the vCPU's memcaches need nothing (the host's holds KVM_MMU_CACHE_MIN_PAGES, EL2's at least as
 *   many, so the host's top-up and the hyp's pkvm_refill_memcache() would move no page);
 * - the donation is the common case of hyp/donate-fast.ts (no table to allocate, no block to split).
 *
 * The page is the one the host allocator would hand out next (or the page the VMM preloaded), zeroed
 * as the host zeroes it; the host's bookkeeping (memslot, pins, pages given, faults) is the same as
 * handleMemFault()'s. The host stage-2 idmap the host's own zeroing would have installed is replaced
 * by the donation annotation either way, so it is skipped. What differs: no exit is published to the
 * host's struct kvm_vcpu, and the guest keeps its time slice (scheduling interleaves differently).
 * Anything else returns false and takes the full path. test/host/fault-fast-path.test.ts runs guests
 * both ways and compares all of memory, the vmemmap and the host's bookkeeping.
 */
import type { HostKvm, HostVm } from './kvm';
import { KVM_MMU_CACHE_MIN_PAGES } from './kvm';
import type { PkvmHypVcpu } from '../hyp/hyp-vm';
import { Core, SR } from '../machine/core';
import { HOST_VCPU_PKVM_MEMCACHE } from '../hyp/host-abi';
import { pkvm_host_donate_guest_check, pkvm_host_donate_guest_commit } from '../hyp/donate-fast';

const EC_IABT_LOW = 0x20, EC_DABT_LOW = 0x24;
const MC_NR_PAGES = Number(HOST_VCPU_PKVM_MEMCACHE) + 8; // struct kvm_hyp_memcache { head; nr_pages; }

export function installFaultFastPath(kvm: HostKvm): void {
  const byHandle = new Map<number, HostVm>();
  const words = kvm.el2.core.words;
  const esrWord = Core.sysregWord(SR.ESR_EL2), hpfarWord = Core.sysregWord(SR.HPFAR_EL2);
  kvm.el2.ws.stage2FaultFastPath = (vcpu) => {
    // ESR_EL2: a data or instruction abort from a lower EL, DFSC/IFSC translation fault (level 0..3)
    const esr = words[esrWord]!;
    const ec = esr >>> 26;
    if ((ec !== EC_DABT_LOW && ec !== EC_IABT_LOW) || (esr & 0x3c) !== 0x04) return false;
    let vm = byHandle.get(vcpu.vm.handle);
    if (vm === undefined || vm.state === 'destroyed') { // (a handle is reused only after its VM's teardown)
      vm = kvm.vms.find((v) => v.handle === vcpu.vm.handle && v.state !== 'destroyed');
      if (vm === undefined) return false;
      byHandle.set(vcpu.vm.handle, vm);
    }
    // HPFAR_EL2.FIPA (bits 43:4): the IPA page
    const ipa = (words[hpfarWord]! >>> 4) * 4096 + (words[hpfarWord + 1]! & 0xfff) * 2 ** 40;
    return stage2FaultFastPath(kvm, vm, vcpu, ipa);
  };
}

function stage2FaultFastPath(kvm: HostKvm, vm: HostVm, vcpu: PkvmHypVcpu, ipa: number): boolean {
  if (!vm.isProtected) return false;
  const slot = vm.slot;
  const base = Number(slot.ipaBase);
  if (ipa < base || ipa >= base + Number(slot.size)) return false;
  const gfn = BigInt(ipa / 4096);
  if (vm.given.has(gfn)) return false;

  // The memcaches: neither the host's top-up nor the hyp's refill would move a page.
  const hyp = kvm.pkvm;
  const ram = hyp.mem.ramWords?.();
  if (!ram) return false;
  const w = ram.wordOf(Number(vcpu.host_vcpu) + MC_NR_PAGES);
  if (w < 0 || ram.words[w + 1] !== 0) return false;
  const hostMc = ram.words[w]!;
  if (hostMc < Number(KVM_MMU_CACHE_MIN_PAGES) || vcpu.pkvm_memcache.nr_pages < BigInt(hostMc)) return false;

  // The page: preloaded by the VMM, or the host allocator's next one.
  const preloaded = slot.pages.get(gfn);
  let pa: number;
  let freeIndex = -1;
  if (preloaded !== undefined) pa = Number(preloaded);
  else {
    freeIndex = kvm.alloc.nextFree();
    if (freeIndex < 0) return false;
    pa = Number(kvm.alloc.base) + freeIndex * 4096;
  }
  const plan = pkvm_host_donate_guest_check(hyp, vcpu, pa, ipa);
  if (!plan) return false;

  if (preloaded === undefined) { // backingPage(): allocate, zero, pin
    kvm.alloc.takeIndex(freeIndex);
    const first = ram.wordOf(pa);
    ram.words.fill(0, first, first + 1024);
    ram.written(pa, 4096);
    slot.pages.set(gfn, BigInt(pa));
    slot.pinned.add(gfn);
  }
  pkvm_host_donate_guest_commit(hyp, plan);
  vm.given.add(gfn);
  vm.faults++;
  if (kvm.traceFaults && kvm.el2.trace.enabled) {
    kvm.el2.trace.emit('hcall', `__pkvm_host_donate_guest(0x${(pa / 4096).toString(16)}, 0x${gfn.toString(16)}) = 0`);
    kvm.el2.trace.emit('donate', `${vm.name}: gfn 0x${gfn.toString(16)} ← pfn 0x${(pa / 4096).toString(16)}`);
  }
  return true;
}
