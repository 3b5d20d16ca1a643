/**
 * The host's side of a vCPU's virtual timer (arch/arm64/kvm/arch_timer.c), for the TypeScript host:
 * - the VM's virtual counter offset (kvm_timer_init_vm: the physical count at creation, so a
 *   non-protected guest's CNTVCT_EL0 starts near 0), handed to EL2 with __kvm_timer_set_cntvoff at
 *   vCPU load (timer_set_offset); a protected guest runs with offset 0 whatever the host asks;
 * - kvm_arch_timer_handler(): the physical PPI 27 arrives while a guest runs (an ARM_EXCEPTION_IRQ
 *   exit): the host acknowledges it, drops its priority (EOImode 1) and leaves it active, and
 *   injects vINTID 27 through a HW = 1 list register linked to it, so the guest's EOI deactivates
 *   the physical interrupt;
 * - kvm_timer_should_fire() from the CNTV_CTL/CVAL the host reads after a run (a WFI exit), and
 *   kvm_timer_vcpu_load_gic(): before each run the physical PPI's active state follows whether the
 *   vIRQ is in flight, so a level that is still high does not interrupt the guest again.
 */
import type { Core } from '../machine/core';
import { HostVcpuView, HOST_VCPU_CNTV_CTL, HOST_VCPU_CNTV_CVAL } from '../hyp/host-abi';
import type { PhysMem } from '../hyp/phys-mem';
import { hostGicAck, hostGicDeactivate, hostGicEoi, hostPpiSetActive, INTID_SPURIOUS, INTID_VTIMER } from './host-gic';
import type { HostVgicCpu } from './vgic';

const CNTV_CTL_ENABLE = 1n, CNTV_CTL_IMASK = 2n;

/** kvm_timer_should_fire() for the virtual timer: enabled, not masked, CVAL reached by the virtual count. */
export function kvm_timer_should_fire(ctl: bigint, cval: bigint, cntvct: bigint): boolean {
  return (ctl & CNTV_CTL_ENABLE) !== 0n && (ctl & CNTV_CTL_IMASK) === 0n && cntvct >= cval;
}

/** The vtimer state the host reads after a run (HOST_VCPU_CNTV_*). */
export function hostVtimerState(mem: PhysMem, host_vcpu: bigint): { ctl: bigint; cval: bigint } {
  const hv = new HostVcpuView(mem, host_vcpu);
  return { ctl: hv.u64(HOST_VCPU_CNTV_CTL), cval: hv.u64(HOST_VCPU_CNTV_CVAL) };
}

/** The virtual timer's interrupt into the guest: vINTID 27, HW = 1 linked to the physical PPI 27. */
export const VTIMER_VIRQ = { intid: INTID_VTIMER, hwIntid: INTID_VTIMER } as const;

/**
 * The host's IRQ handler after an ARM_EXCEPTION_IRQ exit: takes every pending physical interrupt.
 * The vtimer's is injected into `vgic` (the vCPU that just ran); returns the INTIDs taken.
 */
export function kvm_handle_host_irqs(core: Core, vgic: HostVgicCpu, nr_lr: number): number[] {
  const taken: number[] = [];
  ppiInactive(core)[core.cpu] = 0; /* an acknowledge makes the PPI active */
  for (;;) {
    const intid = hostGicAck(core);
    if (intid === INTID_SPURIOUS) break;
    taken.push(intid);
    hostGicEoi(core, intid); // priority drop; deactivation is the guest's (HW) or ours below
    if (intid === INTID_VTIMER) {
      if (!vgic.inject(VTIMER_VIRQ, nr_lr)) hostGicDeactivate(core, intid);
    } else {
      hostGicDeactivate(core, intid);
    }
    if (taken.length > 64) break; // a stuck level: let the run loop make progress
  }
  return taken;
}

/** kvm_timer_vcpu_load_gic(): the physical PPI 27 active while its vIRQ is in flight, else inactive. */
export function kvm_timer_vcpu_load_gic(core: Core, vgic: HostVgicCpu): void {
  const active = vgic.inFlight(INTID_VTIMER);
  const known = ppiInactive(core);
  const cpu = core.cpu;
  /*
   * The write is skipped when it would change nothing: the PPI is inactive and this host made it so
   * (only the host's acknowledge in kvm_handle_host_irqs() makes it active again; a guest's EOI
   * through a HW = 1 list register only deactivates it).
   */
  if (!active && known[cpu]) return;
  hostPpiSetActive(core, INTID_VTIMER, active);
  known[cpu] = active ? 0 : 1;
}

/** Per CPU of a core: 1 when the physical PPI 27 is known inactive (kvm_timer_vcpu_load_gic()). */
const ppiInactiveByCore = new WeakMap<Core, Uint8Array>();
/* (the core of the last call and its array: each run of a vCPU asks) */
let lastCore: Core | null = null;
let lastPpiInactive: Uint8Array = new Uint8Array(0);
function ppiInactive(core: Core): Uint8Array {
  if (core === lastCore) return lastPpiInactive;
  let a = ppiInactiveByCore.get(core);
  if (!a) ppiInactiveByCore.set(core, (a = new Uint8Array(64)));
  lastCore = core;
  lastPpiInactive = a;
  return a;
}
