/**
 * Skipping a guest instruction that EL2 or the host emulated (arch/arm64/kvm/hyp/include/hyp/
 * adjust_pc.h). kvm_skip_instr() moves the PC past it and clears PSTATE.BTYPE (the next instruction
 * is no branch target) and PSTATE.SS ("advance the singlestep state machine": a guest stepping
 * itself takes its Software Step exception on return, right after the emulated instruction, as
 * it would had the instruction completed; Arm ARM D2.12). Guests are AArch64 only here.
 */
import { SR, type Core } from '../machine/core';

export const PSR_BTYPE_MASK = 0xc00n; /* PSTATE.BTYPE, SPSR bits [11:10] */
export const DBG_SPSR_SS = 1n << 21n; /* PSTATE.SS, SPSR bit 21 */

/** The PC and PSTATE of a vCPU context (struct kvm_cpu_context's pc and pstate). */
interface PcPstate { pc: bigint; pstate: bigint }

/** kvm_skip_instr(): on a saved context (flush_hyp_vcpu() applying the host's request). */
export function kvm_skip_instr(ctxt: PcPstate): void {
  ctxt.pc += 4n;
  ctxt.pstate &= ~PSR_BTYPE_MASK;
  /* advance the singlestep state machine */
  ctxt.pstate &= ~DBG_SPSR_SS;
}

/** __kvm_skip_instr(): while EL2 handles the guest's exit, its PC and PSTATE are in ELR/SPSR_EL2. */
export function __kvm_skip_instr(core: Core): void {
  const ctxt = { pc: core.sysreg(SR.ELR_EL2), pstate: core.sysreg(SR.SPSR_EL2) };
  kvm_skip_instr(ctxt);
  core.setSysreg(SR.SPSR_EL2, ctxt.pstate);
  core.setSysreg(SR.ELR_EL2, ctxt.pc);
}
