/**
 * Debug state on the hyp's vCPU copy (hyp/debug-state.ts; hyp-main.c flush_debug_state /
 * sync_debug_state, debug-sr.c __debug_switch_to_guest / _to_host): a non-protected vCPU's
 * breakpoint/watchpoint registers and MDSCR_EL1 are those of the owner the host names (the guest's
 * vcpu_debug_state or the host's external_debug_state), loaded on the CPU only for the run; the
 * host's own registers are back after it. A protected vCPU's are never taken from the host.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';
import {
  HostVcpuView, HOST_DEBUG_OWNER_GUEST, HOST_DEBUG_OWNER_HOST, HOST_DEBUG_OWNER_NONE, HOST_VCPU_DBGBCR, HOST_VCPU_DBGBVR,
  HOST_VCPU_DBGWVR, HOST_VCPU_DEBUG_OWNER, HOST_VCPU_MDSCR_EL1,
} from '../../hyp/host-abi';

const image = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });
const DBGBVR0 = 450, DBGBCR0 = 458, DBGWVR0 = 466;
/** A breakpoint value that is not enabled (DBGBCR.E = 0: it never matches), so the guest runs on. */
const BVR = 0x4008_1000n, BCR = 0x1e0n /* BAS = 0xf, E = 0 */, WVR = 0x4010_0000n, MDSCR = 1n << 13n /* KDE */;
const HOST_BVR = 0x1111_0000n;

function setup(protectedVm: boolean, owner: bigint) {
  const core = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 50_000 });
  const kvm = new HostKvm(el2, {});
  const vm = kvm.createVm({ name: 'vm', protected: protectedVm, memBytes: 16 << 20, image: image(protectedVm ? 'pguest-hello' : 'hello'), args: [1n] });
  const hv = new HostVcpuView(kvm.mem, vm.vcpus[0]!.hostVcpuPa);
  hv.setU64(HOST_VCPU_DEBUG_OWNER, owner);
  hv.setU64(HOST_VCPU_DBGBVR, BVR);
  hv.setU64(HOST_VCPU_DBGBCR, BCR);
  hv.setU64(HOST_VCPU_DBGWVR, WVR);
  hv.setU64(HOST_VCPU_MDSCR_EL1, MDSCR);
  core.setSysreg(DBGBVR0, HOST_BVR); // the host's own breakpoint register
  const during: { bvr: bigint; bcr: bigint; wvr: bigint; mdscr: bigint }[] = [];
  const hooks = el2.ws.guestRunHooks;
  el2.ws.guestRunHooks = {
    before: (v) => { during.push({ bvr: core.sysreg(DBGBVR0), bcr: core.sysreg(DBGBCR0), wvr: core.sysreg(DBGWVR0), mdscr: core.sysreg(SR.MDSCR_EL1) }); hooks?.before(v); },
    after: (v) => hooks?.after(v),
  };
  runAll(kvm, { maxGuestInsns: 5_000_000n, slice: 50_000 });
  expect(vm.state).toBe('off');
  return { core, el2, vm, hv, during };
}

describe('flush_debug_state / sync_debug_state and the debug register switch', () => {
  for (const [name, owner] of [['the guest (vcpu_debug_state)', HOST_DEBUG_OWNER_GUEST], ['the host (external_debug_state)', HOST_DEBUG_OWNER_HOST]] as const) {
    it(`non-protected, owned by ${name}: loaded for every run, the host's registers back after it, synced back`, () => {
      const { core, el2, vm, hv, during } = setup(false, owner);
      expect(during.length).toBeGreaterThan(0);
      for (const d of during) expect(d).toEqual({ bvr: BVR, bcr: BCR, wvr: WVR, mdscr: MDSCR });
      expect(core.sysreg(DBGBVR0)).toBe(HOST_BVR);
      const hyp = el2.pkvm.get_vm_by_handle(vm.handle)!.vcpus[0]!.debug;
      expect(hyp.debug_owner).toBe(owner);
      expect(hyp.active()!.dbg_bvr[0]).toBe(BVR);
      expect(hv.u64(HOST_VCPU_DBGBVR)).toBe(BVR);
      expect(hv.u64(HOST_VCPU_MDSCR_EL1)).toBe(MDSCR);
    });
  }

  it('non-protected, no owner: nothing is loaded (the CPU keeps the host\'s registers)', () => {
    const { during } = setup(false, HOST_DEBUG_OWNER_NONE);
    for (const d of during) expect(d.bvr).toBe(HOST_BVR);
  });

  it('protected: the host\'s debug state is never taken in or loaded, whatever owner it names', () => {
    const { el2, vm, during } = setup(true, HOST_DEBUG_OWNER_GUEST);
    for (const d of during) expect(d.bvr).toBe(HOST_BVR);
    const hyp = el2.pkvm.get_vm_by_handle(vm.handle)!.vcpus[0]!.debug;
    expect(hyp.active()).toBeNull();
    expect(hyp.vcpu_debug_state.dbg_bvr[0]).toBe(0n);
  });
});
