/**
 * The host's vCPU run loop (kvm_arch_vcpu_ioctl_run + handle_exit, arm64): load, __kvm_vcpu_run,
 * handle the exit from what the hyp published in the shared struct kvm_vcpu, put.
 * - a guest hypercall the hyp carried out and reports (HOST_VCPU_EXIT_HCALL): MEM_SHARE /
 *   MEM_UNSHARE are recorded (HostVm.guestShared: pages the VMM may now read through HostMemory)
 *   and relayed to the VMM; MEM_RELINQUISH gives the (zeroed) backing page back to the allocator;
 *   PSCI CPU_ON makes the target vCPU runnable (EL2 already reset it) and answers x0; CPU_OFF stops
 *   scheduling the caller;
 * - stage-2 fault in a memslot: pin the backing page, top up the memcache,
 *   __pkvm_host_donate_guest (protected) or __pkvm_host_share_guest (non-protected), run again;
 * - stage-2 fault outside memory: MMIO, emulated by the VMM's devices from ESR's syndrome; with no
 *   valid syndrome (ISV clear: outside a protected guest's MMIO guard) the host cannot emulate and
 *   asks the hyp to inject a synchronous external abort (HOST_REQ_INJECT_SEA);
 * - HVC: for a non-protected guest the host KVM's hypercall handler (SMCCC discovery, the KVM
 *   vendor-hyp UID and features, PSCI incl. CPU_ON/CPU_OFF/AFFINITY_INFO); for a protected guest
 *   only what EL2 forwards: the PSCI calls it leaves to the host (SYSTEM_OFF, SYSTEM_RESET,
 *   CPU_SUSPEND) and, under upstream's ABI, SMCCC discovery (x0..x3, the vendor-hyp UID's four words);
 * - WFx (skipped) or the end of the slice: back to the scheduler.
 */
import {
  HostVcpuView, HOST_EXIT_HCALL_MEM_RELINQUISH, HOST_EXIT_HCALL_MEM_SHARE, HOST_EXIT_HCALL_MEM_UNSHARE,
  HOST_EXIT_HCALL_NONE, HOST_EXIT_HCALL_PSCI_CPU_OFF, HOST_EXIT_HCALL_PSCI_CPU_ON, HOST_REQ_INJECT_SEA,
  HOST_REQ_RESET_VCPU, HOST_REQ_SET_REG, HOST_REQ_SET_SMCCC_RET, HOST_REQ_SKIP_INSN, HOST_REQ_STATE_DIRTY, HOST_VCPU_EXIT_CODE, HOST_VCPU_EXIT_HCALL,
  HOST_VCPU_EXIT_HCALL_ARG, HOST_VCPU_FAULT_ESR, HOST_VCPU_FAULT_FAR, HOST_VCPU_FAULT_HPFAR, HOST_VCPU_PC,
  HOST_VCPU_PSTATE, HOST_VCPU_REQ, HOST_VCPU_REQ_REG, HOST_VCPU_SIZE,
} from '../hyp/host-abi';
import type { HostMemory } from './host-memory';
import { ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP } from '../hyp/hyp-vm';
import { KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_X } from '../hyp/pgtable-defs';
import { handlePsci, PSCI_RET } from '../machine/psci';
import { faultIpa } from '../hyp/host-trap';
import { __KVM_HOST_SMCCC_FUNC } from '../hyp/hypercalls';
import {
  ARM_SMCCC_ARCH_FEATURES_FUNC_ID, ARM_SMCCC_KVM_NPVM_FEATURES, ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID,
  ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, ARM_SMCCC_VENDOR_HYP_UID_KVM, ARM_SMCCC_VERSION_1_1,
  ARM_SMCCC_VERSION_FUNC_ID, smccc_arch_features,
} from '../hyp/guest-hvc';
import { hostVtimerState, kvm_handle_host_irqs, kvm_timer_should_fire, kvm_timer_vcpu_load_gic, VTIMER_VIRQ } from './arch-timer';
import { GUEST_UART_IPA, type HostKvm, type HostVcpu, type HostVm } from './kvm';

const EC_WFX = 0x01, EC_HVC64 = 0x16, EC_IABT_LOW = 0x20, EC_DABT_LOW = 0x24;
const EPERM = -1;
const U64 = (v: bigint | number): bigint => BigInt.asUintN(64, BigInt(v));
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** What the VMM is told of a guest hypercall the hyp reported (HostKvmOptions.onGuestHcall). */
export type GuestHcallEvent =
  | { kind: 'share' | 'unshare' | 'relinquish'; ipa: bigint; pa: bigint | undefined }
  | { kind: 'cpu_on'; target: number }
  | { kind: 'cpu_off' };

export type RunOutcome = 'yield' | 'off' | 'reset' | 'error';

function stop(kvm: HostKvm, vm: HostVm, state: 'off' | 'reset' | 'error', why: string): RunOutcome {
  vm.state = state;
  if (state === 'error') vm.error = why;
  kvm.el2.trace.emit('vm', `${vm.name}: ${why}`);
  return state;
}

/** Runs one vCPU for about `budget` guest instructions. */
export function runVcpu(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, budget: number): RunOutcome {
  const twi = kvm.opts.wfiTrapPolicy === 'notrap' ? 0n : 1n << 13n;
  kvm.hcall('__pkvm_vcpu_load', vm.handle, vcpu.idx, twi | (1n << 14n)); // HCR_TWI | HCR_TWE
  // kvm_timer_vcpu_load(): the VM's virtual counter offset (EL2 ignores it for a protected vCPU).
  if (!vm.isProtected && kvm.cpuCntvoff !== vm.cntvoff) {
    kvm.hcall('__kvm_timer_set_cntvoff', vm.cntvoff);
    kvm.cpuCntvoff = vm.cntvoff;
  }
  try {
    const ws = kvm.el2.ws;
    const core = kvm.el2.core;
    const end = ws.guestInsnsN + budget;
    while (ws.guestInsnsN < end) {
      kvm.precommit();
      // kvm_vgic_flush_hwstate() and kvm_timer_vcpu_load_gic(): the list registers, the PPI's active state.
      vcpu.vgic.flush(kvm.mem, vcpu.hostVcpuPaN);
      kvm_timer_vcpu_load_gic(core, vcpu.vgic);
      const ret = kvm.tryHcallN(FN_VCPU_RUN, 1, vcpu.hostVcpuPaN);
      if (ret < 0) return stop(kvm, vm, 'error', `__kvm_vcpu_run: ${ret}`);
      foldVgic(kvm, vm, vcpu);
      if (ret === ARM_EXCEPTION_IRQ && hostIrqs(kvm, vm, vcpu)) continue; // an interrupt for the guest: run it again
      const out = handleExit(kvm, vm, vcpu, ret);
      if (out !== null) return out;
    }
    return 'yield';
  } finally {
    kvm.hcall('__pkvm_vcpu_put');
  }
}

/* The exit fields of the host's struct kvm_vcpu, as offsets (read as 32-bit words: handleExit()). */
const EXIT_CODE = Number(HOST_VCPU_EXIT_CODE), EXIT_HCALL = Number(HOST_VCPU_EXIT_HCALL);
const HOST_VCPU_SIZE_N = Number(HOST_VCPU_SIZE);
const FAULT_ESR = Number(HOST_VCPU_FAULT_ESR), FAULT_FAR = Number(HOST_VCPU_FAULT_FAR), FAULT_HPFAR = Number(HOST_VCPU_FAULT_HPFAR);
/* The run loop's hypercalls, by function index (HostKvm.tryHcallN()). */
const FN_VCPU_RUN = __KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run;
const FN_DONATE_GUEST = __KVM_HOST_SMCCC_FUNC.__pkvm_host_donate_guest;
const FN_SHARE_GUEST = __KVM_HOST_SMCCC_FUNC.__pkvm_host_share_guest;
const FN_IN_POISON_FAULT = __KVM_HOST_SMCCC_FUNC.__pkvm_vcpu_in_poison_fault;
const PROT_RWX = Number(KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W | KVM_PGTABLE_PROT_X);
const hexN = (v: number): string => `0x${v.toString(16)}`;

/**
 * faultIpa() (hyp/host-trap.ts) from HPFAR_EL2's two words and FAR_EL2's low word, as a Number; -1
 * when the IPA is not below 2^53 (HPFAR_EL2's high word at 2^13 or more).
 */
export function faultIpaN(hpfarLo: number, hpfarHi: number, farLo: number): number {
  if (hpfarHi >= 0x2000) return -1;
  return (hpfarHi * 0x1000_0000 + (hpfarLo >>> 4)) * 4096 + (farLo & 0xfff);
}

/**
 * The u32 at offset `off` of the host's struct kvm_vcpu at p, as the host reads it: from RAM at
 * offset o when its check is at hand (HostMemory.readableAt()), else through mem.
 */
function word(mem: HostMemory, ram: DataView, o: number, p: number, off: number): number {
  return o >= 0 ? ram.getUint32(o + off, true) : mem.readU32N(p + off);
}

/** null: keep running this vCPU. */
function handleExit(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, code: number): RunOutcome | null {
  /* (the struct's fields as the host reads them, a 32-bit word at a time: no view, no BigInt) */
  const mem = kvm.mem, p = vcpu.hostVcpuPaN;
  const ram = mem.ramView(), o = mem.readableAt(p, HOST_VCPU_SIZE_N);
  if (code === ARM_EXCEPTION_IRQ || (word(mem, ram, o, p, EXIT_CODE) === 0 && word(mem, ram, o, p, EXIT_CODE + 4) === 0)) return 'yield';
  if (code !== ARM_EXCEPTION_TRAP) return stop(kvm, vm, 'error', `unexpected exit code ${code}`);
  if (word(mem, ram, o, p, EXIT_HCALL) !== 0 || word(mem, ram, o, p, EXIT_HCALL + 4) !== 0) {
    const hv = new HostVcpuView(mem, vcpu.hostVcpuPa);
    return handleGuestHcall(kvm, vm, vcpu, hv, hv.u64(HOST_VCPU_EXIT_HCALL), hv.u64(HOST_VCPU_EXIT_HCALL_ARG));
  }
  const ec = word(mem, ram, o, p, FAULT_ESR) >>> 26; /* ESR_ELx.EC, bits 31:26 */
  switch (ec) {
    case EC_DABT_LOW: case EC_IABT_LOW: {
      const ipaN = faultIpaN(word(mem, ram, o, p, FAULT_HPFAR), word(mem, ram, o, p, FAULT_HPFAR + 4), word(mem, ram, o, p, FAULT_FAR));
      if (ipaN >= 0 && vm.slot.containsN(ipaN)) return handleMemFault(kvm, vm, vcpu, ipaN);
      const hv = new HostVcpuView(mem, vcpu.hostVcpuPa);
      const ipa = faultIpa(hv.u64(HOST_VCPU_FAULT_HPFAR), hv.u64(HOST_VCPU_FAULT_FAR));
      if (ec === EC_IABT_LOW) return stop(kvm, vm, 'error', `instruction fetch from IPA ${hex(ipa)} outside memory`);
      return handleMmio(kvm, vm, hv, hv.u64(HOST_VCPU_FAULT_ESR), ipa);
    }
    case EC_HVC64: return handleHvc(kvm, vm, vcpu, new HostVcpuView(mem, vcpu.hostVcpuPa));
    case EC_WFX: {
      const hv = new HostVcpuView(mem, vcpu.hostVcpuPa);
      hv.setU64(HOST_VCPU_REQ, HOST_REQ_SKIP_INSN); // kvm_handle_wfx(): the WFx is done
      // kvm_timer_should_fire(): a virtual timer that has expired wakes the vCPU with its interrupt.
      const { ctl, cval } = hostVtimerState(kvm.mem, vcpu.hostVcpuPa);
      const cntvct = kvm.el2.core.ticks - (vm.isProtected ? 0n : vm.cntvoff);
      if (kvm_timer_should_fire(ctl, cval, cntvct) && !vcpu.vgic.inFlight(VTIMER_VIRQ.intid)) {
        vcpu.vgic.inject(VTIMER_VIRQ, kvm.pkvm.vgic_nr_lr);
        kvm.el2.trace.emit('irq', `${vm.name}: vCPU ${vcpu.idx} WFI with its virtual timer expired: vIRQ 27 injected (HW=1, pINTID 27)`);
        return null;
      }
      return 'yield';
    }
    default: {
      const esr = new HostVcpuView(mem, vcpu.hostVcpuPa).u64(HOST_VCPU_FAULT_ESR);
      return stop(kvm, vm, 'error', `unhandled guest exit (ESR_EL2 ${hex(esr)}, EC 0x${ec.toString(16)})`);
    }
  }
}

/** After a run: the list registers EL2 synced back; report the virtual interrupts the guest completed. */
function foldVgic(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu): void {
  const before = vcpu.vgic.completed.length;
  vcpu.vgic.fold(kvm.mem, vcpu.hostVcpuPa);
  if (vcpu.vgic.completed.length === before) return;
  for (const intid of vcpu.vgic.completed.slice(before))
    kvm.el2.trace.emit('irq', `${vm.name}: vCPU ${vcpu.idx} completed vIRQ ${intid} (acknowledged and EOI'd through ICC_*; its list register is empty)`);
}

/** ARM_EXCEPTION_IRQ: the host takes the physical interrupts pending (kvm_arch_timer_handler for PPI 27). */
function hostIrqs(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu): boolean {
  const taken = kvm_handle_host_irqs(kvm.el2.core, vcpu.vgic, kvm.pkvm.vgic_nr_lr);
  for (const intid of taken) {
    kvm.el2.trace.emit('irq', intid === VTIMER_VIRQ.intid
      ? `${vm.name}: vCPU ${vcpu.idx} exit on physical IRQ 27 (its virtual timer): vIRQ 27 injected through EL2 (HW=1, pINTID 27)`
      : `${vm.name}: vCPU ${vcpu.idx} exit on physical IRQ ${intid} (host interrupt)`);
  }
  return taken.includes(VTIMER_VIRQ.intid);
}

function setX0(hv: HostVcpuView, v: bigint | number): void {
  hv.setReg(0, U64(v));
  hv.setU64(HOST_VCPU_REQ_REG, 0n);
  hv.setU64(HOST_VCPU_REQ, HOST_REQ_SET_REG | HOST_REQ_STATE_DIRTY); // DIRTY: non-protected only
}

function allOff(kvm: HostKvm, vm: HostVm): RunOutcome {
  if (vm.vcpus.every((v) => v.state === 'off')) return stop(kvm, vm, 'off', 'PSCI CPU_OFF of the last vCPU');
  return 'yield';
}

/** A guest hypercall the hyp has carried out; the host records it and relays it to the VMM. */
function handleGuestHcall(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, hv: HostVcpuView, kind: bigint, arg: bigint): RunOutcome | null {
  const relay = (ev: GuestHcallEvent): void => kvm.opts.onGuestHcall?.(vm, vcpu, ev);
  const trace = kvm.el2.trace;
  const gfn = arg >> 12n;
  switch (kind) {
    case HOST_EXIT_HCALL_MEM_SHARE:
      vm.guestShared.add(gfn);
      trace.emit('share', `${vm.name}: guest shared gfn ${hex(gfn)} with the host`);
      relay({ kind: 'share', ipa: arg, pa: vm.slot.pages.get(gfn) });
      return null;
    case HOST_EXIT_HCALL_MEM_UNSHARE:
      vm.guestShared.delete(gfn);
      trace.emit('unshare', `${vm.name}: guest unshared gfn ${hex(gfn)}`);
      relay({ kind: 'unshare', ipa: arg, pa: vm.slot.pages.get(gfn) });
      return null;
    case HOST_EXIT_HCALL_MEM_RELINQUISH: {
      // The page is the host's again (zeroed if it was the guest's): unpin it and free it.
      const pa = vm.slot.pages.get(gfn);
      vm.given.delete(gfn);
      vm.guestShared.delete(gfn);
      if (pa !== undefined) {
        vm.slot.pages.delete(gfn);
        vm.slot.pinned.delete(gfn);
        kvm.alloc.free(pa);
      }
      trace.emit('reclaim', `${vm.name}: guest relinquished gfn ${hex(gfn)}${pa !== undefined ? `, pfn ${hex(pa >> 12n)} freed` : ''}`);
      relay({ kind: 'relinquish', ipa: arg, pa });
      return null;
    }
    case HOST_EXIT_HCALL_PSCI_CPU_ON: {
      // kvm_psci_vcpu_on() for a protected target: EL2 reset it; make it runnable.
      const target = vm.vcpus[Number(arg)];
      if (target && target.state === 'off') target.state = 'runnable';
      setX0(hv, target ? PSCI_RET.SUCCESS : PSCI_RET.INTERNAL_FAILURE);
      trace.emit('psci', `${vm.name}: vCPU ${vcpu.idx} CPU_ON vCPU ${arg}`);
      if (target) relay({ kind: 'cpu_on', target: target.idx });
      return null;
    }
    case HOST_EXIT_HCALL_PSCI_CPU_OFF:
      vcpu.state = 'off';
      trace.emit('psci', `${vm.name}: vCPU ${vcpu.idx} CPU_OFF`);
      relay({ kind: 'cpu_off' });
      return allOff(kvm, vm);
  }
  return stop(kvm, vm, 'error', `unknown guest hypercall report ${kind}`);
}

/** user_mem_abort() for pKVM: pin the page and give it to the guest. IPA, gfn, PA and pfn as Numbers. */
function handleMemFault(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, ipa: number): RunOutcome | null {
  const gfn = Math.floor(ipa / 4096);
  if (vm.given.hasNumber(gfn)) {
    // Already mapped: a fault on a page the hyp took away by force (poison) or a spurious one.
    const poisoned = kvm.tryHcallN(FN_IN_POISON_FAULT, 0);
    if (poisoned > 0) return stop(kvm, vm, 'error', `guest touched poisoned IPA ${hexN(ipa)} (-EFAULT to the VMM)`);
    return null;
  }
  const pfn = kvm.backingPageN(vm, gfn) / 4096;
  kvm.topupMemcache(vcpu);
  const ret = vm.isProtected
    ? kvm.tryHcallN(FN_DONATE_GUEST, 2, pfn, gfn)
    : kvm.tryHcallN(FN_SHARE_GUEST, 4, pfn, gfn, 1, PROT_RWX);
  if (ret === EPERM && !vm.isProtected) return null; // raced with another mapping: retry
  if (ret) return stop(kvm, vm, 'error', `${vm.isProtected ? '__pkvm_host_donate_guest' : '__pkvm_host_share_guest'}(pfn ${hexN(pfn)}, gfn ${hexN(gfn)}): ${ret}`);
  vm.given.addNumber(gfn);
  vm.faults++;
  if (kvm.traceFaults) kvm.el2.trace.emit(vm.isProtected ? 'donate' : 'share', `${vm.name}: gfn ${hexN(gfn)} ← pfn ${hexN(pfn)}`);
  return null;
}

/** io_mem_abort(): emulate the access from the syndrome (ISV, SAS, SSE, SRT, SF, WnR). */
function handleMmio(kvm: HostKvm, vm: HostVm, hv: HostVcpuView, esr: bigint, ipa: bigint): RunOutcome | null {
  if (((esr >> 24n) & 1n) === 0n) {
    // No valid syndrome: nothing to emulate. A protected guest gets an abort (the hyp injects it);
    // for a non-protected one this is the VMM's problem (KVM_EXIT_ARM_NISV), fatal here.
    if (!vm.isProtected) return stop(kvm, vm, 'error', `MMIO access to ${hex(ipa)} without a valid syndrome (ISV = 0)`);
    kvm.el2.trace.emit('mmio', `${vm.name}: access to IPA ${hex(ipa)} cannot be emulated (ISV = 0): abort requested`);
    hv.setU64(HOST_VCPU_REQ, HOST_REQ_INJECT_SEA);
    return null;
  }
  vm.mmioExits++;
  const size = 1 << Number((esr >> 22n) & 3n);
  const sse = ((esr >> 21n) & 1n) === 1n;
  const srt = Number((esr >> 16n) & 31n);
  const sf = ((esr >> 15n) & 1n) === 1n;
  const isWrite = ((esr >> 6n) & 1n) === 1n;
  const mask = size === 8 ? (1n << 64n) - 1n : (1n << BigInt(size * 8)) - 1n;
  const inUart = ipa >= GUEST_UART_IPA && ipa < GUEST_UART_IPA + 0x1000n;
  const off = Number(ipa - GUEST_UART_IPA);
  if (isWrite) {
    const v = srt === 31 ? 0n : hv.reg(srt) & mask;
    if (inUart) vm.console.write(off, size, Number(v & 0xffff_ffffn));
    hv.setU64(HOST_VCPU_REQ, HOST_REQ_SKIP_INSN);
  } else {
    let v = inUart ? BigInt(vm.console.read(off, size)) & mask : 0n;
    if (sse && v >> BigInt(size * 8 - 1)) v = BigInt.asUintN(sf ? 64 : 32, BigInt.asIntN(size * 8, v));
    if (srt !== 31) hv.setReg(srt, v);
    hv.setU64(HOST_VCPU_REQ_REG, BigInt(srt));
    hv.setU64(HOST_VCPU_REQ, HOST_REQ_SET_REG | HOST_REQ_SKIP_INSN | HOST_REQ_STATE_DIRTY);
  }
  return null;
}

/**
 * kvm_hvc_call_handler(): the host KVM's answer to a guest HVC. A non-protected guest's reach it all
 * (SMCCC discovery, the KVM vendor-hyp UID and features, PSCI); a protected guest's only what EL2
 * forwards: the PSCI calls it leaves to the host (Android's ABI), or everything but FEATURES,
 * HYP_MEMINFO, MEM_SHARE and MEM_UNSHARE (upstream's), answered in x0..x3.
 */
function handleHvc(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, hv: HostVcpuView): RunOutcome | null {
  const x = [0, 1, 2, 3].map((i) => hv.reg(i));
  const fn = Number(x[0]! & 0xffff_ffffn);
  /* kvm_smccc_call_handler() answers in x0..x3 (smccc_set_retval()) for any VM: a protected guest's
   * discovery calls reach it when EL2 forwards them (upstream's ABI); its x0..x3 are then flushed
   * into the guest by HOST_REQ_SET_SMCCC_RET (the only registers of a protected vCPU the host sets). */
  const set = (...v: bigint[]): null => {
    for (let i = 0; i < 4; i++) hv.setReg(i, U64(v[i] ?? 0n));
    const req = vm.isProtected ? HOST_REQ_SET_SMCCC_RET : HOST_REQ_STATE_DIRTY; // PKVM_HOST_STATE_DIRTY (non-protected)
    hv.setU64(HOST_VCPU_REQ, hv.u64(HOST_VCPU_REQ) | req);
    return null; // a non-protected vCPU's registers are flushed from here as they are
  };
  switch (fn) {
    case ARM_SMCCC_VERSION_FUNC_ID: return set(ARM_SMCCC_VERSION_1_1);
    case ARM_SMCCC_ARCH_FEATURES_FUNC_ID: return set(smccc_arch_features(x[1]!));
    case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID: return set(...ARM_SMCCC_VENDOR_HYP_UID_KVM);
    case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
      /* The services open to a non-protected guest: Android's EL2 takes HYP_MEMINFO, the MMIO guard and
       * MEM_RELINQUISH for it; upstream's takes none of its HVCs (only FEATURES itself: no PTP here). */
      if (!vm.isProtected) return set(kvm.el2.guestHvcAbi === 'android' ? ARM_SMCCC_KVM_NPVM_FEATURES : 1n, 0n, 0n, 0n);
  }
  // The KVM vendor-hyp calls EL2 did not take (MEM_SHARE, MEM_UNSHARE, ... for a non-protected VM;
  // MEM_RELINQUISH and the MMIO guard for a protected one under upstream's ABI).
  const owner = Math.floor(fn / 0x100_0000);
  if (owner === 0xc6 || owner === 0x86) return set(U64(-1)); // NOT_SUPPORTED
  const res = handlePsci(x, { cpus: vm.vcpus.length, powerState: (i) => (vm.vcpus[i]?.state === 'runnable' ? 0 : 1) });
  if (res.action === 'off') return stop(kvm, vm, 'off', 'PSCI SYSTEM_OFF');
  if (res.action === 'reset') return stop(kvm, vm, 'reset', 'PSCI SYSTEM_RESET');
  if (res.action === 'cpu_off') {
    vcpu.state = 'off';
    kvm.el2.trace.emit('psci', `${vm.name}: vCPU ${vcpu.idx} CPU_OFF`);
    return allOff(kvm, vm);
  }
  if (res.action === 'cpu_on' && res.cpuOn) {
    // kvm_psci_vcpu_on() + kvm_reset_vcpu() for a non-protected target: the host owns its registers.
    const target = vm.vcpus[res.cpuOn.targetIndex]!;
    const thv = new HostVcpuView(kvm.mem, target.hostVcpuPa);
    for (let i = 0; i < 31; i++) thv.setReg(i, 0n);
    thv.setReg(0, res.cpuOn.context);
    thv.setU64(HOST_VCPU_PC, res.cpuOn.entry);
    thv.setU64(HOST_VCPU_PSTATE, 0x3c5n);
    thv.setU64(HOST_VCPU_REQ, HOST_REQ_RESET_VCPU | HOST_REQ_STATE_DIRTY);
    target.state = 'runnable';
    kvm.el2.trace.emit('psci', `${vm.name}: vCPU ${vcpu.idx} CPU_ON vCPU ${target.idx} at ${hex(res.cpuOn.entry)}`);
    kvm.opts.onGuestHcall?.(vm, vcpu, { kind: 'cpu_on', target: target.idx });
  }
  setX0(hv, res.x0);
  return res.action === 'wfi' ? 'yield' : null;
}
