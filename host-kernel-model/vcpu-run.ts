/**
 * The host's vCPU run loop (kvm_arch_vcpu_ioctl_run + handle_exit, arm64): load, __kvm_vcpu_run,
 * handle the exit from what the hyp published in the shared struct kvm_vcpu, put.
 * - stage-2 fault in a memslot: pin the backing page, top up the memcache,
 *   __pkvm_host_donate_guest (protected) or __pkvm_host_share_guest (non-protected), run again;
 * - stage-2 fault outside memory: MMIO, emulated by the VMM's devices from ESR's syndrome;
 * - HVC: PSCI (SYSTEM_OFF / SYSTEM_RESET end the VM);
 * - WFx or the end of the slice: back to the scheduler.
 */
import { HostVcpuView, HOST_REQ_SET_REG, HOST_REQ_SKIP_INSN, HOST_VCPU_EXIT_CODE, HOST_VCPU_FAULT_ESR, HOST_VCPU_FAULT_FAR, HOST_VCPU_FAULT_HPFAR, HOST_VCPU_REQ, HOST_VCPU_REQ_REG } from '../hyp/host-abi';
import { ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP } from '../hyp/hyp-vm';
import { KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_X } from '../hyp/pgtable-defs';
import { handlePsci } from '../machine/psci';
import { faultIpa } from '../hyp/host-trap';
import { GUEST_UART_IPA, type HostKvm, type HostVcpu, type HostVm } from './kvm';

const EC_WFX = 0x01, EC_HVC64 = 0x16, EC_IABT_LOW = 0x20, EC_DABT_LOW = 0x24;
const EPERM = -1;

export type RunOutcome = 'yield' | 'off' | 'reset' | 'error';

function stop(kvm: HostKvm, vm: HostVm, state: 'off' | 'reset' | 'error', why: string): RunOutcome {
  vm.state = state;
  if (state === 'error') vm.error = why;
  kvm.el2.trace.emit('vm', `${vm.name}: ${why}`);
  return state;
}

/** Runs one vCPU for about `budget` guest instructions. */
export function runVcpu(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, budget: number): RunOutcome {
  kvm.hcall('__pkvm_vcpu_load', vm.handle, vcpu.idx, (1n << 13n) | (1n << 14n)); // HCR_TWI | HCR_TWE
  try {
    const ws = kvm.el2.ws;
    const end = ws.guestInsns + BigInt(budget);
    while (ws.guestInsns < end) {
      const ret = kvm.tryHcall('__kvm_vcpu_run');
      if (ret < 0) return stop(kvm, vm, 'error', `__kvm_vcpu_run: ${ret}`);
      const out = handleExit(kvm, vm, vcpu, ret);
      if (out !== null) return out;
    }
    return 'yield';
  } finally {
    kvm.hcall('__pkvm_vcpu_put');
  }
}

/** null: keep running this vCPU. */
function handleExit(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, code: number): RunOutcome | null {
  const hv = new HostVcpuView(kvm.mem, vcpu.hostVcpuPa);
  if (code === ARM_EXCEPTION_IRQ || Number(hv.u64(HOST_VCPU_EXIT_CODE)) === ARM_EXCEPTION_IRQ) return 'yield';
  if (code !== ARM_EXCEPTION_TRAP) return stop(kvm, vm, 'error', `unexpected exit code ${code}`);
  const esr = hv.u64(HOST_VCPU_FAULT_ESR);
  const ec = Number((esr >> 26n) & 0x3fn);
  switch (ec) {
    case EC_DABT_LOW: case EC_IABT_LOW: {
      const ipa = faultIpa(hv.u64(HOST_VCPU_FAULT_HPFAR), hv.u64(HOST_VCPU_FAULT_FAR));
      if (vm.slot.contains(ipa)) return handleMemFault(kvm, vm, vcpu, ipa);
      if (ec === EC_IABT_LOW) return stop(kvm, vm, 'error', `instruction fetch from IPA 0x${ipa.toString(16)} outside memory`);
      return handleMmio(kvm, vm, hv, esr, ipa);
    }
    case EC_HVC64: return handleHvc(kvm, vm, hv);
    case EC_WFX: return 'yield';
    default:
      return stop(kvm, vm, 'error', `unhandled guest exit (ESR_EL2 0x${esr.toString(16)}, EC 0x${ec.toString(16)})`);
  }
}

/** user_mem_abort() for pKVM: pin the page and give it to the guest. */
function handleMemFault(kvm: HostKvm, vm: HostVm, vcpu: HostVcpu, ipa: bigint): RunOutcome | null {
  const gfn = ipa >> 12n;
  if (vm.given.has(gfn)) {
    // Already mapped: a fault on a page the hyp took away by force (poison) or a spurious one.
    const poisoned = kvm.tryHcall('__pkvm_vcpu_in_poison_fault');
    if (poisoned > 0) return stop(kvm, vm, 'error', `guest touched poisoned IPA 0x${ipa.toString(16)} (-EFAULT to the VMM)`);
    return null;
  }
  const pa = kvm.backingPage(vm, gfn);
  kvm.topupMemcache(vcpu);
  const ret = vm.isProtected
    ? kvm.tryHcall('__pkvm_host_donate_guest', pa >> 12n, gfn)
    : kvm.tryHcall('__pkvm_host_share_guest', pa >> 12n, gfn, 1, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W | KVM_PGTABLE_PROT_X);
  if (ret === EPERM && !vm.isProtected) return null; // raced with another mapping: retry
  if (ret) return stop(kvm, vm, 'error', `${vm.isProtected ? '__pkvm_host_donate_guest' : '__pkvm_host_share_guest'}(pfn 0x${(pa >> 12n).toString(16)}, gfn 0x${gfn.toString(16)}): ${ret}`);
  vm.given.add(gfn);
  vm.faults++;
  if (kvm.traceFaults) kvm.el2.trace.emit(vm.isProtected ? 'donate' : 'share', `${vm.name}: gfn 0x${gfn.toString(16)} ← pfn 0x${(pa >> 12n).toString(16)}`);
  return null;
}

/** io_mem_abort(): emulate the access from the syndrome (ISV, SAS, SSE, SRT, SF, WnR). */
function handleMmio(kvm: HostKvm, vm: HostVm, hv: HostVcpuView, esr: bigint, ipa: bigint): RunOutcome | null {
  vm.mmioExits++;
  if (((esr >> 24n) & 1n) === 0n) return stop(kvm, vm, 'error', `MMIO access to 0x${ipa.toString(16)} without a valid syndrome (ISV = 0)`);
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
    hv.setU64(HOST_VCPU_REQ, HOST_REQ_SET_REG | HOST_REQ_SKIP_INSN);
  }
  return null;
}

/** kvm_hvc_call_handler(): PSCI for the guest. */
function handleHvc(kvm: HostKvm, vm: HostVm, hv: HostVcpuView): RunOutcome | null {
  const x = [0, 1, 2, 3].map((i) => hv.reg(i));
  const res = handlePsci(x, { cpus: vm.vcpus.length });
  if (res.action === 'off') return stop(kvm, vm, 'off', 'PSCI SYSTEM_OFF');
  if (res.action === 'reset') return stop(kvm, vm, 'reset', 'PSCI SYSTEM_RESET');
  if (res.action === 'cpu_off') return stop(kvm, vm, 'off', 'PSCI CPU_OFF of the last vCPU');
  hv.setReg(0, res.x0);
  hv.setU64(HOST_VCPU_REQ_REG, 0n);
  hv.setU64(HOST_VCPU_REQ, HOST_REQ_SET_REG);
  return null;
}
