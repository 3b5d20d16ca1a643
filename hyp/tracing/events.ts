/**
 * The hyp's trace points (trace_<event>() of asm/kvm_hypevents.h), each a no-op unless the buffer
 * is loaded and some event enabled (HypTraceBuffer.active), so the untraced paths pay one test.
 * Called from the host trap handling (host-trap.ts: SMC, host abort), the hypercall dispatcher
 * (hypercalls.ts) and __kvm_vcpu_run (hyp-main.ts). `vcpu` is upstream's __tracing_get_vcpu_pid():
 * the host has no task pids in the model, so it is the loaded vCPU's index + 1, or 0 when none.
 */
import type { Pkvm } from '../index';
import { HYP_EVT, HYP_REASON } from './format';

export { HYP_REASON };

const vcpu_pid = (hyp: Pkvm, cpu: number): number => {
  const v = hyp.loaded_hyp_vcpu[cpu];
  return v ? v.vcpu_idx + 1 : 0;
};

export function trace_hyp_enter(hyp: Pkvm, cpu: number, reason: number): void {
  if (hyp.tracing.active) hyp.tracing.trace(HYP_EVT.hyp_enter!, [reason, vcpu_pid(hyp, cpu)], cpu);
}
export function trace_hyp_exit(hyp: Pkvm, cpu: number, reason: number): void {
  if (hyp.tracing.active) hyp.tracing.trace(HYP_EVT.hyp_exit!, [reason, vcpu_pid(hyp, cpu)], cpu);
}
export function trace_host_hcall(hyp: Pkvm, cpu: number, id: bigint, invalid: boolean): void {
  if (hyp.tracing.active) hyp.tracing.trace(HYP_EVT.host_hcall!, [id & 0xffff_ffffn, invalid ? 1 : 0], cpu);
}
export function trace_host_smc(hyp: Pkvm, cpu: number, id: bigint, forwarded: boolean): void {
  if (hyp.tracing.active) hyp.tracing.trace(HYP_EVT.host_smc!, [id, forwarded ? 1 : 0], cpu);
}
export function trace_host_mem_abort(hyp: Pkvm, cpu: number, esr: bigint, addr: bigint): void {
  if (hyp.tracing.active) hyp.tracing.trace(HYP_EVT.host_mem_abort!, [esr, addr], cpu);
}
export function trace_selftest(hyp: Pkvm, cpu: number, id: bigint): void {
  if (hyp.tracing.active) hyp.tracing.trace(HYP_EVT.selftest!, [id], cpu);
}
