/**
 * The hypervisor tracing hypercalls (__tracing_load ... __tracing_write_event in the common band of
 * kvm_asm.h) as a hyp built without CONFIG_NVHE_EL2_TRACING answers them: the inline stubs of
 * arch/arm64/kvm/hyp/include/nvhe/trace.h. The calls that return int give -ENODEV, the void ones
 * (__tracing_unload, __tracing_update_clock, __tracing_write_event) do nothing and leave x1 as the
 * host passed it. A hyp event ring shared with the host (trace.c, simple_ring_buffer) is not
 * modelled; the emulator's own timeline is trace.ts.
 */
import type { HostHcallName } from './hypercalls';
import type { HostHcallHandler } from './hyp-main';

export const ENODEV = 19;

const enodev: HostHcallHandler = (_hyp, c) => { c[1] = BigInt.asUintN(64, BigInt(-ENODEV)); };
const nothing: HostHcallHandler = () => {};

export const trace_hcall_handlers: Partial<Record<HostHcallName, HostHcallHandler>> = {
  __tracing_load: enodev, /* (desc_hva, desc_size) */
  __tracing_unload: nothing,
  __tracing_enable: enodev, /* (enable) */
  __tracing_swap_reader: enodev, /* (cpu) */
  __tracing_update_clock: nothing, /* (mult, shift, epoch_ns, epoch_cyc) */
  __tracing_reset: enodev, /* (cpu) */
  __tracing_enable_event: enodev, /* (id, enable) */
  __tracing_write_event: nothing, /* (id): the selftest event, compiled out with tracing */
};
