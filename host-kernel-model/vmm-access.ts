/**
 * The VMM's view of guest memory (its userspace mapping of the memslot): an access at a guest IPA
 * reaches the backing page through the host kernel, so it is checked by the host stage-2 like any
 * host access (a page donated to a protected guest is refused, -EPERM). guest_memfd memory is never
 * mapped into the VMM at all: every access fails with -EFAULT, as on an unmapped address.
 */
import type { HostKvm, HostVm } from './kvm';
import { HostAccessError } from './host-memory';

export const EFAULT = -14;

export class VmmAccessError extends Error {
  constructor(readonly errno: number, readonly why: string) {
    super(why);
    this.name = 'VmmAccessError';
  }
}

/** PA behind a guest IPA for the VMM, allocating an anonymous page on first touch. */
export function vmmResolve(kvm: HostKvm, vm: HostVm, ipa: bigint): bigint {
  if (!vm.slot.contains(ipa)) throw new VmmAccessError(EFAULT, `IPA 0x${ipa.toString(16)} is outside the VM's memory`);
  if (vm.slot.backing === 'guest_memfd') throw new VmmAccessError(EFAULT, 'guest_memfd memory is not mapped in the VMM');
  return kvm.backingPage(vm, ipa >> 12n) + (ipa & 0xfffn);
}

function guarded<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof HostAccessError) throw new VmmAccessError(e.errno, 'refused by the host stage-2');
    throw e;
  }
}

export function vmmRead(kvm: HostKvm, vm: HostVm, ipa: bigint, len: number): Uint8Array {
  const pa = vmmResolve(kvm, vm, ipa);
  return guarded(() => kvm.mem.readBytes(pa, len));
}

export function vmmWrite(kvm: HostKvm, vm: HostVm, ipa: bigint, data: Uint8Array): void {
  const pa = vmmResolve(kvm, vm, ipa);
  guarded(() => kvm.mem.writeBytes(pa, data));
}
