/**
 * flush_hyp_vcpu() / sync_hyp_vcpu() (nvhe/hyp-main.c): what crosses between the host's struct
 * kvm_vcpu (host memory, shared with EL2) and the hyp's copy around each __kvm_vcpu_run.
 *
 * - Non-protected guest: the host owns the register state; it is flushed in before the run and
 *   synced back after it, with the fault information.
 * - Protected guest: the hyp's copy is the only one. On exit the host sees ESR_EL2 and HPFAR_EL2 (the
 *   faulting IPA) and only the register the exit needs: the data register of an MMIO write, x0..x3 of
 *   an HVC (PSCI). Before the next run it may ask for exactly what that exit allows: skip the
 *   trapped instruction, set the data register of an MMIO read or x0 of an HVC.
 */
import type { Pkvm } from './index';
import type { PkvmHypVcpu } from './hyp-vm';
import {
  HostVcpuView, HOST_REQ_INJECT_SEA, HOST_REQ_SET_REG, HOST_REQ_SKIP_INSN, HOST_VCPU_EXIT_CODE,
  HOST_VCPU_FAULT_ESR, HOST_VCPU_FAULT_FAR, HOST_VCPU_FAULT_HPFAR, HOST_VCPU_PC, HOST_VCPU_PSTATE,
  HOST_VCPU_REQ, HOST_VCPU_REQ_REG,
} from './host-abi';
import { ARM_EXCEPTION_TRAP } from './hyp-vm';

const EC_HVC64 = 0x16, EC_DABT_LOW = 0x24;
const ec = (esr: bigint): number => Number((esr >> 26n) & 0x3fn);
const ISV = 1n << 24n, WNR = 1n << 6n;
const srt = (esr: bigint): number => Number((esr >> 16n) & 31n);

/** Registers of the last exit the host may read (and which one it may write back). */
export interface ExitPermit { read: number[]; write: number | null; skip: boolean }

function exitPermit(vcpu: PkvmHypVcpu): ExitPermit {
  const esr = vcpu.fault.esr_el2;
  if (ec(esr) === EC_HVC64) return { read: [0, 1, 2, 3], write: 0, skip: false };
  if (ec(esr) === EC_DABT_LOW && (esr & ISV) !== 0n) {
    const r = srt(esr);
    return (esr & WNR) !== 0n ? { read: r === 31 ? [] : [r], write: null, skip: true } : { read: [], write: r, skip: true };
  }
  return { read: [], write: null, skip: false };
}

export type InjectSea = (vcpu: PkvmHypVcpu, far: bigint) => void;

/** Before a run: apply the host's requests (protected: only those the last exit permits). */
export function flush_hyp_vcpu(hyp: Pkvm, vcpu: PkvmHypVcpu, injectSea: InjectSea): void {
  const hv = new HostVcpuView(hyp.mem, vcpu.host_vcpu);
  const req = hv.u64(HOST_VCPU_REQ);
  if (!vcpu.vm.is_protected) {
    for (let i = 0; i < 31; i++) vcpu.ctxt.regs[i] = hv.reg(i);
    vcpu.ctxt.pc = hv.u64(HOST_VCPU_PC);
    vcpu.ctxt.pstate = hv.u64(HOST_VCPU_PSTATE);
    if (req & HOST_REQ_SKIP_INSN) vcpu.ctxt.pc += 4n;
  } else if (req !== 0n) {
    const permit = vcpu.last_exit_permit ?? { read: [], write: null, skip: false };
    const reg = Number(hv.u64(HOST_VCPU_REQ_REG));
    if ((req & HOST_REQ_SET_REG) && permit.write !== null && reg === permit.write && reg !== 31) vcpu.ctxt.regs[reg] = hv.reg(reg);
    if ((req & HOST_REQ_SKIP_INSN) && permit.skip) vcpu.ctxt.pc += 4n;
    vcpu.last_exit_permit = null; // each permit is good for one run
  }
  if (req & HOST_REQ_INJECT_SEA) injectSea(vcpu, vcpu.fault.far_el2);
  hv.setU64(HOST_VCPU_REQ, 0n);
}

/** After a run: publish the exit to the host. */
export function sync_hyp_vcpu(hyp: Pkvm, vcpu: PkvmHypVcpu, exitCode: number): void {
  const hv = new HostVcpuView(hyp.mem, vcpu.host_vcpu);
  const f = vcpu.fault;
  const trap = exitCode === ARM_EXCEPTION_TRAP;
  hv.setU64(HOST_VCPU_EXIT_CODE, BigInt(exitCode));
  hv.setU64(HOST_VCPU_FAULT_ESR, trap ? f.esr_el2 : 0n);
  hv.setU64(HOST_VCPU_FAULT_HPFAR, trap ? f.hpfar_el2 : 0n);
  if (!vcpu.vm.is_protected) {
    hv.setU64(HOST_VCPU_FAULT_FAR, trap ? f.far_el2 : 0n);
    for (let i = 0; i < 31; i++) hv.setReg(i, vcpu.ctxt.regs[i]);
    hv.setU64(HOST_VCPU_PC, vcpu.ctxt.pc);
    hv.setU64(HOST_VCPU_PSTATE, vcpu.ctxt.pstate);
    return;
  }
  // Protected: FAR (a guest VA) stays hidden; the page offset of the IPA is in HPFAR's FAR[11:0] role.
  hv.setU64(HOST_VCPU_FAULT_FAR, trap ? f.far_el2 & 0xfffn : 0n);
  const permit: ExitPermit = trap ? exitPermit(vcpu) : { read: [], write: null, skip: false };
  // Only the registers this exit permits are visible; clear those the previous exit published.
  for (const i of vcpu.last_published ?? []) if (!permit.read.includes(i)) hv.setReg(i, 0n);
  for (const i of permit.read) hv.setReg(i, vcpu.ctxt.regs[i]);
  vcpu.last_published = permit.read;
  vcpu.last_exit_permit = permit;
}
