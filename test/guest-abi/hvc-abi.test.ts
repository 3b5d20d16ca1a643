/**
 * The two guest hypercall ABIs of a protected guest (HostedEl2Options.guestHvcAbi):
 * - 'upstream' (the default; kvm_handle_pvm_hvc64() of the v7.1 protected-guest series): EL2 answers FEATURES
 *   (FEATURES, HYP_MEMINFO, MEM_SHARE, MEM_UNSHARE), HYP_MEMINFO, MEM_SHARE and MEM_UNSHARE and returns
 *   straight to the guest; the host is not told of a share. The MMIO guard and the rest go to the host.
 * - 'android' (a board option, Android's pkvm.c): EL2 also answers the MMIO guard, and a share is
 *   reported to the host by an exit.
 */
import { describe, expect, it } from 'vitest';
import { RESULT_IPA, boot, createVm, runToOff, x0s } from './harness';

const FEATURES = 0x8600_0000n, MEMINFO = 0xc600_0002n, SHARE = 0xc600_0003n, UNSHARE = 0xc600_0004n, GUARD_INFO = 0xc600_0005n;

function run(abi: 'android' | 'upstream') {
  const t = boot({ guestHvcAbi: abi });
  const vm = createVm(t, { ops: [{ hvc: [FEATURES] }, { hvc: [MEMINFO] }, { hvc: [GUARD_INFO] }, { hvc: [SHARE, RESULT_IPA] }, { hvc: [UNSHARE, RESULT_IPA] }] });
  runToOff(t);
  return { r: x0s(t, vm, 5), events: t.events.map((e) => e.ev.kind) };
}

describe('guest hypercall ABI board option', () => {
  it('upstream: FEATURES, MEMINFO, share and unshare at EL2 with no exit; the MMIO guard is the host\'s (NOT_SUPPORTED)', () => {
    const { r, events } = run('upstream');
    expect(r).toEqual([0b11101n, 4096n, -1n, 0n, 0n]);
    expect(events).toEqual([]);
  });

  it('android (board option): the MMIO guard at EL2, FEATURES lists it and RELINQUISH; share and unshare reported to the host', () => {
    const { r, events } = run('android');
    expect(r[0]! & 0b11101n).toBe(0b11101n);
    expect(r[0]! & (1n << 5n)).toBe(1n << 5n); /* MMIO_GUARD_INFO */
    expect(r[0]! & (1n << 9n)).toBe(1n << 9n); /* MEM_RELINQUISH */
    expect(r.slice(1)).toEqual([4096n, 4096n, 0n, 0n]);
    expect(events).toEqual(['share', 'unshare']);
  });
});
