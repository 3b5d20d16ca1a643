// Names for the trace: exception classes (Arm ARM D17.2.37, ESR_ELx.EC) and the guest hypercalls
// pKVM knows (SMCCC vendor-hyp KVM calls, PSCI 0.2+ function ids).
const EC_NAMES: Record<number, string> = {
  0x00: 'unknown reason', 0x01: 'WFx', 0x0e: 'illegal execution state', 0x15: 'SVC', 0x16: 'HVC', 0x17: 'SMC',
  0x18: 'MSR/MRS trap', 0x20: 'instruction abort (lower EL)', 0x21: 'instruction abort', 0x22: 'PC alignment',
  0x24: 'data abort (lower EL)', 0x25: 'data abort', 0x26: 'SP alignment', 0x3c: 'BRK',
  0x07: 'SIMD&FP access', 0x2c: 'FP exception', 0x2f: 'SError', 0x30: 'breakpoint (lower EL)', 0x31: 'breakpoint',
  0x32: 'software step (lower EL)', 0x33: 'software step', 0x34: 'watchpoint (lower EL)', 0x35: 'watchpoint',
};

export function exitName(esr: bigint): string {
  const ec = Number((esr >> 26n) & 0x3fn);
  return EC_NAMES[ec] ?? `EC 0x${ec.toString(16)}`;
}

const VENDOR_HYP: Record<number, string> = {
  0: 'KVM_FEATURES', 2: 'HYP_MEMINFO', 3: 'MEM_SHARE', 4: 'MEM_UNSHARE', 5: 'MMIO_GUARD_INFO', 6: 'MMIO_GUARD_ENROLL',
  7: 'MMIO_GUARD_MAP', 8: 'MMIO_GUARD_UNMAP', 9: 'MEM_RELINQUISH', 0xff01: 'CALL_UID',
};
const PSCI: Record<number, string> = {
  0: 'PSCI_VERSION', 1: 'PSCI_CPU_SUSPEND', 2: 'PSCI_CPU_OFF', 3: 'PSCI_CPU_ON', 4: 'PSCI_AFFINITY_INFO', 5: 'PSCI_MIGRATE',
  6: 'PSCI_MIGRATE_INFO_TYPE', 7: 'PSCI_MIGRATE_INFO_UP_CPU', 8: 'PSCI_SYSTEM_OFF', 9: 'PSCI_SYSTEM_RESET', 10: 'PSCI_FEATURES',
};

/** The guest hypercall a function id (x0) names. */
export function guestHvcName(x0: bigint): string {
  const id = Number(x0 & 0xffff_ffffn);
  const owner = (id >>> 24) & 0x3f, fn = id & 0xffff;
  if ((id >>> 24) === 0x86 || (id >>> 24) === 0xc6) return VENDOR_HYP[fn] ?? `vendor-hyp 0x${id.toString(16)}`;
  if (owner === 4 && PSCI[fn] !== undefined) return PSCI[fn]!;
  if (id === 0x8000_0000) return 'SMCCC_VERSION';
  if (id === 0x8000_0001) return 'SMCCC_ARCH_FEATURES';
  return `0x${id.toString(16)}`;
}
