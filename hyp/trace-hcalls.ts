/**
 * The hypervisor tracing hypercalls (__tracing_load ... __tracing_write_event in the common band of
 * kvm_asm.h), handle___tracing_*() of hyp-main.c with CONFIG_NVHE_EL2_TRACING: the ring buffer the
 * hyp writes and the host reads is hyp/tracing/ (trace.c, simple_ring_buffer.c, events.c). The
 * emulator's own timeline is trace.ts.
 */
import type { HostHcallName } from './hypercalls';
import type { HostHcallHandler } from './hyp-main';
import { trace_selftest } from './tracing/events';

export { ENODEV } from './tracing/simple-ring-buffer';

const u16 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffffn);
const u32 = (v: bigint | undefined): number => Number((v ?? 0n) & 0xffff_ffffn);
const u64 = (v: bigint | undefined): bigint => v ?? 0n;
const set = (c: bigint[], ret: number): void => { c[1] = BigInt.asUintN(64, BigInt(ret)); };

export const trace_hcall_handlers: Partial<Record<HostHcallName, HostHcallHandler>> = {
  /* (desc_hva, desc_size) */
  __tracing_load: (hyp, c) => set(c, hyp.tracing.__tracing_load(u64(c[1]), u64(c[2]))),
  __tracing_unload: (hyp) => hyp.tracing.__tracing_unload(),
  /* (bool enable) */
  __tracing_enable: (hyp, c) => set(c, hyp.tracing.__tracing_enable(u64(c[1]) !== 0n)),
  /* (unsigned int cpu) */
  __tracing_swap_reader: (hyp, c) => set(c, hyp.tracing.__tracing_swap_reader(u32(c[1]))),
  /* (u32 mult, u32 shift, u64 epoch_ns, u64 epoch_cyc) */
  __tracing_update_clock: (hyp, c) =>
    hyp.tracing.__tracing_update_clock(BigInt(u32(c[1])), BigInt(u32(c[2])), u64(c[3]), u64(c[4])),
  /* (unsigned int cpu) */
  __tracing_reset: (hyp, c) => set(c, hyp.tracing.__tracing_reset(u32(c[1]))),
  /* (unsigned short id, bool enable) */
  __tracing_enable_event: (hyp, c) => set(c, hyp.tracing.__tracing_enable_event(u16(c[1]), u64(c[2]) !== 0n)),
  /* (u64 id): trace_selftest(id) */
  __tracing_write_event: (hyp, c, cpu) => trace_selftest(hyp, cpu, u64(c[1])),
};
