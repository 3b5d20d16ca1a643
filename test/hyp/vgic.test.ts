/**
 * The vGIC on the hyp's vCPU copy (hyp/vgic-v3.ts): what crosses between the host's struct
 * vgic_v3_cpu_if and EL2 (flush_hyp_vgic_state / sync_hyp_vgic_state of nvhe/hyp-main.c), the
 * save/restore of the list registers on the CPU (__vgic_v3_save_state / __vgic_v3_restore_state, in the
 * world switch's entry and exit calls),
 * the APR/VMCR hypercalls, IRQ exits, and a protected guest woken by its virtual timer through the hyp.
 * Expected values follow the GICv3 specification (ICH_LR<n>_EL2, ICH_ELRSR_EL2, ICH_VTR_EL2) and
 * upstream's copy rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArrayPhysMem } from '../../hyp/phys-mem';
import {
  HostVcpuView, HOST_VGIC_V3_AP0R, HOST_VGIC_V3_AP1R, HOST_VGIC_V3_ELRSR, HOST_VGIC_V3_HCR, HOST_VGIC_V3_LR,
  HOST_VGIC_V3_USED_LRS, HOST_VGIC_V3_VMCR,
} from '../../hyp/host-abi';
import {
  ICH_LR_ACTIVE_BIT, ICH_LR_GROUP, ICH_LR_HW, ICH_LR_PENDING_BIT, VgicV3CpuIf,
  flush_hyp_vgic_state, sync_hyp_vgic_state, vgic_nr_lr,
} from '../../hyp/vgic-v3';
import { Core, SR } from '../../machine/core';
import { __guest_enter_state, __guest_exit_state, saveCpuContext } from '../../hyp/world-switch';
import { newCpuContext } from '../../hyp/hyp-vm';
import { GIC_SR } from '../../machine/gic-regs';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';
import { vgic_v3_make_lr } from '../../host-kernel-model/vgic';

const RAM = 0x4000_0000n;
const VCPU = RAM + 0x1000n;

function hostStruct(): { mem: ArrayPhysMem; hv: HostVcpuView } {
  const mem = new ArrayPhysMem(RAM, 1n << 20n);
  return { mem, hv: new HostVcpuView(mem, VCPU) };
}
const lrAt = (i: number): bigint => HOST_VGIC_V3_LR + 8n * BigInt(i);
/** A pending Group 1 LR: vINTID, priority 0xa0 (GICv3 spec 12.4.6 field layout). */
const pendingLr = (intid: number): bigint => ICH_LR_PENDING_BIT | ICH_LR_GROUP | (0xa0n << 48n) | BigInt(intid);

describe('flush_hyp_vgic_state / sync_hyp_vgic_state: what crosses between the host and EL2', () => {
  it('flush copies vgic_hcr, used_lrs (clamped to the CPU\'s list registers) and those LRs only; SRE is EL2\'s own', () => {
    const { mem, hv } = hostStruct();
    hv.setU64(HOST_VGIC_V3_HCR, 1n);
    hv.setU64(HOST_VGIC_V3_USED_LRS, 9n); // more than the 4 LRs of ICH_VTR_EL2.ListRegs = 3
    for (let i = 0; i < 16; i++) hv.setU64(lrAt(i), pendingLr(32 + i));
    hv.setU64(HOST_VGIC_V3_VMCR, 0xdead_beefn); // the host's VMCR/APRs are not flushed with the LRs
    hv.setU64(HOST_VGIC_V3_AP1R, 0x1234n);
    const cpu_if = new VgicV3CpuIf();
    cpu_if.vgic_vmcr = 0x42n;
    flush_hyp_vgic_state(mem, VCPU, cpu_if, 4);
    expect(cpu_if.vgic_hcr).toBe(1n);
    expect(cpu_if.used_lrs).toBe(4);
    expect([...cpu_if.vgic_lr.slice(0, 4)]).toEqual([32, 33, 34, 35].map(pendingLr));
    expect(cpu_if.vgic_lr.slice(4).every((lr) => lr === 0n)).toBe(true);
    expect(cpu_if.vgic_sre).toBe(7n); // ICC_SRE_EL1: SRE | DFB | DIB
    expect(cpu_if.vgic_vmcr).toBe(0x42n);
    expect(cpu_if.vgic_ap1r[0]).toBe(0n);
  });

  it('sync writes back vgic_hcr, the used LRs and the exit status, never VMCR or the APRs', () => {
    const { mem, hv } = hostStruct();
    hv.setU64(HOST_VGIC_V3_VMCR, 0x77n);
    hv.setU64(HOST_VGIC_V3_AP0R, 0x55n);
    hv.setU64(lrAt(2), 0x1111n); // beyond used_lrs: untouched
    const cpu_if = new VgicV3CpuIf();
    cpu_if.used_lrs = 2;
    cpu_if.vgic_hcr = 1n | (3n << 27n); // En, EOIcount 3
    cpu_if.vgic_lr[0] = ICH_LR_ACTIVE_BIT | ICH_LR_GROUP | 27n;
    cpu_if.vgic_lr[1] = ICH_LR_GROUP | 40n;
    cpu_if.vgic_lr[2] = pendingLr(99);
    cpu_if.vgic_vmcr = 0xffff_0000n;
    cpu_if.vgic_ap0r[0] = 0xffn;
    cpu_if.vgic_elrsr = 0b1110n;
    sync_hyp_vgic_state(mem, VCPU, cpu_if);
    expect(hv.u64(HOST_VGIC_V3_HCR)).toBe(1n | (3n << 27n));
    expect(hv.u64(lrAt(0))).toBe(ICH_LR_ACTIVE_BIT | ICH_LR_GROUP | 27n);
    expect(hv.u64(lrAt(1))).toBe(ICH_LR_GROUP | 40n);
    expect(hv.u64(lrAt(2))).toBe(0x1111n);
    expect(hv.u64(HOST_VGIC_V3_ELRSR)).toBe(0b1110n);
    expect(hv.u64(HOST_VGIC_V3_VMCR)).toBe(0x77n);
    expect(hv.u64(HOST_VGIC_V3_AP0R)).toBe(0x55n);
  });
});

/*
 * The world switch's entry and exit on the CPU (core-as/hyp-vcpu-switch.ts through
 * __guest_enter_state / __guest_exit_state): __vgic_v3_restore_vmcr_aprs + __vgic_v3_restore_state
 * on entry, __vgic_v3_save_state + __vgic_v3_save_aprs on exit. The vCPU's context is the CPU's own
 * (saved first), so only the vGIC and the EL2 registers change; the core stays at EL2.
 */
function switchCore(): { c: Core; enter: (cpu_if: VgicV3CpuIf) => void; exit: (cpu_if: VgicV3CpuIf) => void } {
  const c = new Core(16 << 20, { haveEL2: true, el2Hosted: true });
  c.reset(2, 0n);
  const ctxt = saveCpuContext(c, newCpuContext());
  ctxt.pc = c.pc;
  ctxt.pstate = c.pstate;
  const el2 = { hcr: c.sysreg(SR.HCR_EL2), vttbr: c.sysreg(SR.VTTBR_EL2), vtcr: c.sysreg(SR.VTCR_EL2), cntvoff: c.sysreg(SR.CNTVOFF_EL2), mdcr: null };
  return { c, enter: (cpu_if) => __guest_enter_state(c, ctxt, cpu_if, el2), exit: (cpu_if) => __guest_exit_state(c, newCpuContext(), cpu_if, false) };
}
const ICH_HCR_UIE = 1n << 1n; /* GICv3 spec 12.5.10: underflow interrupt enable */
/*
 * ICH_VMCR_EL2 values as the register holds them (12.5.16): VPMR [31:24], VBPR0 [23:21] and VBPR1
 * [20:18] at their minimum for 5 bits of priority (2 and 3), VFIQEn [3] RES1 with system registers,
 * VENG1 [1], VENG0 [0].
 */
const vmcr = (vpmr: bigint, eng: bigint): bigint => (vpmr << 24n) | (2n << 21n) | (3n << 18n) | (1n << 3n) | eng;
const ICH_MISR_U = 1n << 1n; /* 12.5.14: "zero or one of the List register entries are marked as a valid interrupt" with UIE */

describe('the world switch\'s vGIC restore and save on the CPU', () => {
  it('ICH_VTR_EL2 reports 4 list registers; entry programs VMCR, the APRs, the used LRs and ICH_HCR_EL2, no other LR', () => {
    const { c, enter } = switchCore();
    expect(vgic_nr_lr(c)).toBe(4);
    c.setGicReg(GIC_SR.ICH_LR0_EL2 + 2, pendingLr(50)); // beyond used_lrs: left as it is
    const cpu_if = new VgicV3CpuIf();
    cpu_if.used_lrs = 2;
    cpu_if.vgic_hcr = 1n;
    cpu_if.vgic_vmcr = vmcr(0xf0n, 1n);
    cpu_if.vgic_ap1r[0] = 0x8000_0000n;
    cpu_if.vgic_lr[0] = pendingLr(27) | ICH_LR_HW | (27n << 32n);
    cpu_if.vgic_lr[1] = pendingLr(33);
    enter(cpu_if);
    expect(c.gicReg(GIC_SR.ICH_LR0_EL2)).toBe(cpu_if.vgic_lr[0]);
    expect(c.gicReg(GIC_SR.ICH_LR0_EL2 + 1)).toBe(cpu_if.vgic_lr[1]);
    expect(c.gicReg(GIC_SR.ICH_LR0_EL2 + 2)).toBe(pendingLr(50));
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(1n);
    expect(c.gicReg(GIC_SR.ICH_VMCR_EL2)).toBe(vmcr(0xf0n, 1n));
    expect(c.gicReg(GIC_SR.ICH_AP1R0_EL2)).toBe(0x8000_0000n);
    // LRs 0, 1 and 2 hold interrupts, 3 is empty (ICH_ELRSR_EL2 bit set for an invalid state).
    expect(c.gicReg(GIC_SR.ICH_ELRSR_EL2)).toBe(0b1000n);
  });

  it('exit keeps each LR\'s state, drops the state of one the hardware reports empty, clears the LRs and ICH_HCR_EL2.En', () => {
    const { c, enter, exit } = switchCore();
    const cpu_if = new VgicV3CpuIf();
    cpu_if.used_lrs = 2;
    cpu_if.vgic_hcr = 1n;
    cpu_if.vgic_lr[0] = pendingLr(27);
    cpu_if.vgic_lr[1] = pendingLr(33);
    enter(cpu_if);
    // The guest completed LR1 meanwhile: the hardware LR is invalid (state 00), LR0 became active.
    c.setGicReg(GIC_SR.ICH_LR0_EL2, (pendingLr(27) & ~ICH_LR_PENDING_BIT) | ICH_LR_ACTIVE_BIT);
    c.setGicReg(GIC_SR.ICH_LR0_EL2 + 1, pendingLr(33) & ~ICH_LR_PENDING_BIT);
    c.setGicReg(GIC_SR.ICH_VMCR_EL2, vmcr(0xa0n, 2n)); // the guest's own VMCR and APR changes
    c.setGicReg(GIC_SR.ICH_AP1R0_EL2, 0x1n);
    const [misr, eisr] = [GIC_SR.ICH_MISR_EL2, GIC_SR.ICH_EISR_EL2].map((r) => c.gicReg(r));
    exit(cpu_if);
    expect(cpu_if.vgic_lr[0]).toBe((pendingLr(27) & ~ICH_LR_PENDING_BIT) | ICH_LR_ACTIVE_BIT);
    expect(cpu_if.vgic_lr[1]).toBe(ICH_LR_GROUP | (0xa0n << 48n) | 33n);
    expect(cpu_if.vgic_elrsr & 0b11n).toBe(0b10n);
    expect([cpu_if.vgic_misr, cpu_if.vgic_eisr]).toEqual([misr, eisr]); // as MRS read them before the save
    expect(cpu_if.vgic_vmcr).toBe(vmcr(0xa0n, 2n));
    expect(cpu_if.vgic_ap1r[0]).toBe(0x1n);
    expect(c.gicReg(GIC_SR.ICH_LR0_EL2)).toBe(0n);
    expect(c.gicReg(GIC_SR.ICH_LR0_EL2 + 1)).toBe(0n);
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(0n);
    expect(cpu_if.vgic_hcr & 1n).toBe(1n); // the hyp's copy keeps En for the next entry
  });

  it('exit reads ICH_MISR/EISR/ELRSR as MRS of each does before it writes anything (an EOI maintenance LR)', () => {
    const { c, enter, exit } = switchCore();
    const cpu_if = new VgicV3CpuIf();
    cpu_if.used_lrs = 2;
    cpu_if.vgic_hcr = 1n | ICH_HCR_UIE | (5n << 27n); // En, UIE, EOIcount 5
    cpu_if.vgic_lr[0] = pendingLr(40);
    cpu_if.vgic_lr[1] = ICH_LR_GROUP | (1n << 41n) | 41n; // invalid, EOI maintenance (bit 41), HW = 0
    enter(cpu_if);
    exit(cpu_if);
    expect(cpu_if.vgic_misr & ICH_MISR_U).toBe(ICH_MISR_U); // one valid LR: underflow (UIE)
    expect(cpu_if.vgic_eisr).toBe(0b10n); // LR1: state invalid, HW 0, EOI 1 -> ICH_EISR_EL2 bit 1
    // 12.5.9: an LR is empty when its State is 0b00 and HW = 1 or EOI = 0: LR1 (EOI pending) is not
    expect(cpu_if.vgic_elrsr).toBe(0b1100n);
    expect(cpu_if.vgic_hcr).toBe(1n | ICH_HCR_UIE | (5n << 27n));
    expect(cpu_if.vgic_lr[1]).toBe(ICH_LR_GROUP | (1n << 41n) | 41n); // (the hardware's value: not empty)
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(0n);
  });

  it('exit with no LR in use keeps the EOIcount the guest accumulated, publishes the status and leaves ICH_HCR_EL2 0', () => {
    const { c, enter, exit } = switchCore();
    const cpu_if = new VgicV3CpuIf();
    cpu_if.vgic_hcr = 1n | ICH_HCR_UIE;
    enter(cpu_if);
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(1n | ICH_HCR_UIE);
    c.setGicReg(GIC_SR.ICH_HCR_EL2, 1n | ICH_HCR_UIE | (2n << 27n)); // two EOIs with no matching LR
    exit(cpu_if);
    expect(cpu_if.vgic_hcr).toBe(1n | ICH_HCR_UIE | (2n << 27n));
    expect(cpu_if.vgic_misr & ICH_MISR_U).toBe(ICH_MISR_U);
    expect(cpu_if.vgic_elrsr).toBe(0b1111n);
    expect(cpu_if.vgic_eisr).toBe(0n);
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(0n);
    // The next entry of a vCPU whose vgic_hcr is 0 writes ICH_HCR_EL2 0; one with En writes it.
    enter(new VgicV3CpuIf());
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(0n);
    enter(cpu_if);
    expect(c.gicReg(GIC_SR.ICH_HCR_EL2)).toBe(1n | ICH_HCR_UIE | (2n << 27n));
  });
});

const image = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });

function boot(wfiTrapPolicy: 'trap' | 'notrap') {
  const core = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  const el2 = new HostedEl2(core, { slice: 50_000 });
  const kvm = new HostKvm(el2, { wfiTrapPolicy });
  return { core, el2, kvm };
}

const VTIMER_CONSOLE = [
  'pguest-vtimer: waiting in WFI for the virtual timer',
  ...[1, 2, 3].map((r) => `pguest-vtimer: round ${r}: woken by INTID 27, CNTV_CTL_EL0 at the interrupt 5`),
  'pguest-vtimer: 3 interrupts, 0 before CVAL, 0 spurious', '',
].join('\n');

describe('a guest woken by its virtual timer through the hyp (pguest-vtimer)', () => {
  for (const policy of ['notrap', 'trap'] as const) {
    it(`protected, wfi_trap_policy=${policy}: three vIRQ 27 through HW=1 list registers; VMCR/APRs never reach the host`, () => {
      const { el2, kvm } = boot(policy);
      const vm = kvm.createVm({ name: 'pvm', protected: true, memBytes: 16 << 20, image: image('pguest-vtimer'), args: [1n, 2n] });
      const hypVcpu = el2.pkvm.get_vm_by_handle(vm.handle)!.vcpus[0]!;
      expect(runAll(kvm, { maxGuestInsns: 5_000_000n, slice: 50_000 })).toBe('all-stopped');
      expect(vm.consoleText()).toBe(VTIMER_CONSOLE);
      expect(vm.state).toBe('off');
      const irqEvents = el2.trace.events.filter((e) => e.kind === 'irq').map((e) => e.text);
      expect(irqEvents.filter((t) => t.includes('completed vIRQ 27'))).toHaveLength(3);
      if (policy === 'notrap') {
        expect(hypVcpu.irq_exits).toBe(3); // the physical PPI 27 arrived while the guest waited in WFI on the CPU
        expect(irqEvents.filter((t) => t.includes('exit on physical IRQ 27'))).toHaveLength(3);
      }
      // The guest enabled its virtual Group 1 (ICC_IGRPEN1_EL1 → ICH_VMCR_EL2.VENG1, bit 1): EL2 has it,
      // the host's struct does not (a protected vCPU's VMCR/APRs stay at EL2, even through the APR calls).
      expect((hypVcpu.vgic_v3.vgic_vmcr >> 1n) & 1n).toBe(1n);
      const hv = new HostVcpuView(kvm.mem, vm.vcpus[0]!.hostVcpuPa);
      kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
      kvm.hcall('__vgic_v3_save_aprs', vm.vcpus[0]!.hostVcpuPa + HOST_VGIC_V3_HCR);
      kvm.hcall('__pkvm_vcpu_put');
      expect(hv.u64(HOST_VGIC_V3_VMCR)).toBe(0n);
      // The physical PPI 27 ended inactive: the guest's EOI of the HW=1 LR deactivated it each time.
      expect(vm.vcpus[0]!.vgic.completed).toEqual([27, 27, 27]);
    });
  }

  it('non-protected: VMCR/APRs cross by __vgic_v3_save_aprs / __vgic_v3_restore_vmcr_aprs; CNTVOFF_EL2 is the VM\'s offset', () => {
    const { core, el2, kvm } = boot('notrap');
    // Time passes first (another guest runs), so the VM's offset — the count at its creation — is not 0.
    kvm.createVm({ name: 'first', protected: true, memBytes: 16 << 20, image: image('pguest-hello'), args: [1n] });
    runAll(kvm, { maxGuestInsns: 5_000_000n, slice: 50_000 });
    const vm = kvm.createVm({ name: 'npvm', protected: false, memBytes: 16 << 20, image: image('pguest-vtimer'), args: [1n, 2n] });
    const offsets: bigint[] = [];
    const hooks = el2.ws.guestRunHooks;
    el2.ws.guestRunHooks = {
      before: (v) => { offsets.push(core.sysreg(SR.CNTVOFF_EL2)); hooks?.before(v); },
      after: (v) => hooks?.after(v),
    };
    expect(runAll(kvm, { maxGuestInsns: 5_000_000n, slice: 50_000 })).toBe('all-stopped');
    expect(vm.consoleText()).toBe(VTIMER_CONSOLE);
    expect(vm.cntvoff).toBeGreaterThan(0n);
    expect(new Set(offsets)).toEqual(new Set([vm.cntvoff]));
    const pa = vm.vcpus[0]!.hostVcpuPa;
    const hv = new HostVcpuView(kvm.mem, pa);
    kvm.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
    kvm.hcall('__vgic_v3_save_aprs', pa + HOST_VGIC_V3_HCR);
    expect((hv.u64(HOST_VGIC_V3_VMCR) >> 1n) & 1n).toBe(1n); // VENG1, as the guest set it
    hv.setU64(HOST_VGIC_V3_VMCR, 0n);
    kvm.hcall('__vgic_v3_restore_vmcr_aprs', pa + HOST_VGIC_V3_HCR);
    const hypVcpu = el2.pkvm.loaded_vcpu(0)!;
    expect(hypVcpu.vgic_v3.vgic_vmcr).toBe(0n);
    kvm.hcall('__pkvm_vcpu_put');
  });

  it('a protected vCPU runs with CNTVOFF_EL2 = 0 whatever the host set', () => {
    const { core, el2, kvm } = boot('notrap');
    const vm = kvm.createVm({ name: 'pvm', protected: true, memBytes: 16 << 20, image: image('pguest-vtimer'), args: [1n, 2n] });
    kvm.hcall('__kvm_timer_set_cntvoff', 0x1234_5678n);
    const offsets: bigint[] = [];
    const hooks = el2.ws.guestRunHooks;
    el2.ws.guestRunHooks = { before: (v) => { offsets.push(core.sysreg(SR.CNTVOFF_EL2)); hooks?.before(v); }, after: (v) => hooks?.after(v) };
    runAll(kvm, { maxGuestInsns: 5_000_000n, slice: 50_000 });
    expect(vm.state).toBe('off');
    expect(new Set(offsets)).toEqual(new Set([0n]));
  });

  it('the host\'s LR for the virtual timer is vINTID 27, Group 1, HW=1 with pINTID 27 (vgic_v3_populate_lr)', () => {
    expect(vgic_v3_make_lr({ intid: 27, hwIntid: 27 })).toBe((1n << 62n) | (1n << 61n) | (1n << 60n) | (0xa0n << 48n) | (27n << 32n) | 27n);
  });
});
