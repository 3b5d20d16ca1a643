export { HostKvm, HostVm, HostVcpu, KvmError, GUEST_RAM_IPA, GUEST_UART_IPA, type VmConfig } from './kvm';
export { HostMemory, HostAccessError } from './host-memory';
export { HostPageAllocator } from './page-alloc';
export { Memslot, type Backing } from './memslot';
export { runVcpu } from './vcpu-run';
export { runAll } from './scheduler';
export { vmmRead, vmmWrite, vmmResolve, VmmAccessError } from './vmm-access';
export { HostFfa } from './ffa';
