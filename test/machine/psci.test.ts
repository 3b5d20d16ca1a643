import { describe, expect, it } from 'vitest';
import { handlePsci, virtCpuMpidr } from '../../machine/psci';

const NOT_SUPPORTED = 0xffff_ffff_ffff_ffffn;
const INVALID_PARAMETERS = 0xffff_ffff_ffff_fffen;
const ALREADY_ON = 0xffff_ffff_ffff_fffcn;
const ON_PENDING = 0xffff_ffff_ffff_fffbn;

describe('PSCI (values observed on qemu-system-aarch64 7.2 -M virt)', () => {
  it('PSCI_VERSION is 1.1 and MIGRATE_INFO_TYPE is 2', () => {
    expect(handlePsci([0x8400_0000n])).toEqual({ x0: 0x10001n });
    expect(handlePsci([0x8400_0006n]).x0).toBe(2n);
  });

  it('PSCI_FEATURES reports what QEMU implements', () => {
    const f = (id: bigint) => handlePsci([0x8400_000an, id]).x0;
    for (const id of [0x8400_0000n, 0x8400_000an, 0xc400_0003n, 0x8400_0003n, 0x8400_0008n, 0x8400_0009n,
      0x8400_0002n, 0xc400_0001n, 0x8400_0004n, 0xc400_0004n, 0x8400_0006n, 0x95c1_ba60n]) {
      expect(f(id)).toBe(0n);
    }
    for (const id of [0x8000_0000n, 0x8400_0005n, 0xc400_000en, 0x8400_000cn, 0n]) {
      expect(f(id)).toBe(NOT_SUPPORTED);
    }
  });

  it('unknown ids, SMCCC and MIGRATE return NOT_SUPPORTED as 64-bit -1', () => {
    for (const id of [0x8400_0099n, 0x8000_0000n, 0x8000_0001n, 0x8400_0005n, 0xc400_0005n, 0x1_8400_0000n, 0xc600_0000n]) {
      expect(handlePsci([id, 0x8000_8000n])).toEqual({ x0: NOT_SUPPORTED });
    }
  });

  it('AFFINITY_INFO', () => {
    expect(handlePsci([0xc400_0004n, 0n, 0n]).x0).toBe(0n); // CPU 0 is on
    expect(handlePsci([0xc400_0004n, 1n, 0n]).x0).toBe(INVALID_PARAMETERS); // no CPU 1
    expect(handlePsci([0xc400_0004n, 1n, 1n]).x0).toBe(0n); // level 1 is always on
    expect(handlePsci([0x8400_0004n, 0x1_0000_0000n, 0n]).x0).toBe(INVALID_PARAMETERS); // all 64 bits compared
    expect(handlePsci([0xc400_0004n, 1n, 0n], { cpus: 2 }).x0).toBe(1n); // off
    expect(handlePsci([0xc400_0004n, 1n, 0n], { cpus: 2, powerState: () => 2 }).x0).toBe(2n);
  });

  it('CPU_ON', () => {
    expect(handlePsci([0xc400_0003n, 0n, 0x4000_0000n, 0n]).x0).toBe(ALREADY_ON);
    expect(handlePsci([0xc400_0003n, 5n, 0x4000_0000n, 0n]).x0).toBe(INVALID_PARAMETERS);
    expect(handlePsci([0xc400_0003n, 1n, 0x4000_0000n, 7n], { cpus: 2 })).toEqual({
      x0: 0n,
      action: 'cpu_on',
      cpuOn: { target: 1n, targetIndex: 1, entry: 0x4000_0000n, context: 7n },
    });
    expect(handlePsci([0x8400_0003n, 1n, 0n, 0n], { cpus: 2, powerState: () => 2 }).x0).toBe(ON_PENDING);
  });

  it('CPU_SUSPEND waits (WFI) unless it asks for affinity levels', () => {
    expect(handlePsci([0xc400_0001n, 0n])).toEqual({ x0: 0n, action: 'wfi' });
    expect(handlePsci([0x8400_0001n, 0x1_0000n])).toEqual({ x0: 0n, action: 'wfi' });
    expect(handlePsci([0xc400_0001n, 0x2_0000n])).toEqual({ x0: INVALID_PARAMETERS });
  });

  it('SYSTEM_OFF, SYSTEM_RESET, CPU_OFF stop the caller', () => {
    expect(handlePsci([0x8400_0008n]).action).toBe('off');
    expect(handlePsci([0x8400_0009n]).action).toBe('reset');
    expect(handlePsci([0x8400_0002n]).action).toBe('cpu_off');
    expect(handlePsci([0x95c1_ba5fn]).action).toBe('cpu_off');
  });

  it('tolerates missing and out-of-range registers', () => {
    expect(handlePsci([]).x0).toBe(NOT_SUPPORTED);
    expect(handlePsci([0x8400_0000n - (1n << 64n)]).x0).toBe(0x10001n); // taken modulo 2^64
    expect(handlePsci([-1n]).x0).toBe(NOT_SUPPORTED);
    expect(handlePsci([0x8400_0000n + (1n << 64n)]).x0).toBe(0x10001n);
  });

  it('numbers MPIDRs in clusters of 8 (GICv2) or 16 (GICv3)', () => {
    expect(virtCpuMpidr(0)).toBe(0n);
    expect(virtCpuMpidr(7)).toBe(7n);
    expect(virtCpuMpidr(9)).toBe(0x101n);
    expect(virtCpuMpidr(17, 16)).toBe(0x101n);
  });
});
