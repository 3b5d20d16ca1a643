/**
 * Hypervisor tracing at EL2 (arch/arm64/kvm/hyp/nvhe/trace.c, events.c, clock.c of the newest
 * tree): the host hands a struct hyp_trace_desc (format.ts) describing, per CPU, a meta page and the
 * data pages of a ring buffer it shares with the hyp; the hyp pins those (hyp_pin_shared_mem(), so
 * they are mapped in its stage-1 only while loaded), takes the simple_buffer_page array's backing
 * pages by donation, and writes its events there in the ring buffer format the host's tracing
 * reads. Timestamps are trace_clock(): epoch_ns + ((CNTPCT - epoch_cyc) * mult >> shift), with the
 * bank the host sets by __tracing_update_clock (0 before: every event at epoch_ns = 0).
 */
import type { Pkvm } from '../index';
import { EINVAL, WARN_ON } from '../page-state';
import { __pkvm_host_donate_hyp, __pkvm_hyp_donate_host, hyp_pin_shared_mem, hyp_unpin_shared_mem } from '../mem-protect';
import { HYP_EVENTS, HYP_TRACE_DESC, RING_BUFFER_DESC, SIMPLE_BUFFER_PAGE_SIZE, ring_buffer_desc_size } from './format';
import { ENODEV, SimpleRbPerCpu } from './simple-ring-buffer';

const PAGE_SIZE = 4096n;
const U64 = (1n << 64n) - 1n;
const PAGE_ALIGNED = (x: bigint): boolean => (x & (PAGE_SIZE - 1n)) === 0n;

export class HypTraceBuffer {
  readonly simple_rbs: SimpleRbPerCpu[];
  bpages_backing_start = 0n;
  bpages_backing_size = 0n;
  /** trace_clock_data (one bank: the model has no concurrent reader of the clock) */
  clock = { mult: 0n, shift: 0n, epoch_ns: 0n, epoch_cyc: 0n };
  /** hyp_event_id.enabled of each event in HYP_EVENTS */
  readonly event_enabled: boolean[] = HYP_EVENTS.map(() => false);
  /** Any event enabled and the buffer loaded: the cheap test every trace point makes first. */
  active = false;
  /** The physical counter EL2 reads (CNTPCT_EL0); the hosted EL2 points it at the core's. */
  counter: () => bigint = () => 0n;

  constructor(readonly hyp: Pkvm) {
    this.simple_rbs = Array.from({ length: hyp.nr_cpus }, () => new SimpleRbPerCpu(hyp.mm));
  }

  loaded(): boolean { return this.bpages_backing_size > 0n; }
  private update_active(): void { this.active = this.loaded() && this.event_enabled.some((e) => e); }

  trace_clock(): bigint {
    const c = this.clock;
    const cyc = (this.counter() - c.epoch_cyc) & U64;
    return ((((cyc * c.mult) & U64) >> c.shift) + c.epoch_ns) & U64;
  }

  /* __admit_host_mem() / __release_host_mem() */
  private admit_host_mem(start: bigint, size: bigint): number {
    if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(size) || !size) return -EINVAL;
    return __pkvm_host_donate_hyp(this.hyp, start >> 12n, size >> 12n);
  }
  private release_host_mem(start: bigint, size: bigint): void {
    WARN_ON(__pkvm_hyp_donate_host(this.hyp, start >> 12n, size >> 12n), 'tracing: release_host_mem');
  }
  private pin_shared_page = (va: bigint): bigint | null =>
    hyp_pin_shared_mem(this.hyp, va, va + PAGE_SIZE) ? null : va;
  private unpin_shared_page = (va: bigint): void => hyp_unpin_shared_mem(this.hyp, va, va + PAGE_SIZE);

  private unload_(): void {
    if (!this.loaded()) return;
    for (const rb of this.simple_rbs) rb.unload_mm(this.unpin_shared_page);
    /* hyp_trace_buffer_unload_bpage_backing() */
    this.hyp.mm.memset0(this.bpages_backing_start, Number(this.bpages_backing_size));
    this.release_host_mem(this.bpages_backing_start, this.bpages_backing_size);
    this.bpages_backing_start = 0n;
    this.bpages_backing_size = 0n;
    this.update_active();
  }

  private desc_validate(desc: bigint, desc_size: bigint): boolean {
    const mm = this.hyp.mm;
    const desc_end = desc + desc_size;
    let nr_bpages = mm.readU64(desc + HYP_TRACE_DESC.bpages_backing_size) / SIMPLE_BUFFER_PAGE_SIZE;
    const nr_cpus = BigInt.asIntN(32, mm.readU64(desc + HYP_TRACE_DESC.nr_cpus) & 0xffff_ffffn);
    let rb = desc + HYP_TRACE_DESC.data;
    for (let cpu = 0n; cpu < nr_cpus; cpu++) {
      if (rb + ring_buffer_desc_size(0n) > desc_end) return false; /* Can we read nr_page_va? */
      const nr = mm.readU64(rb) >> 32n;
      if (rb + ring_buffer_desc_size(nr) > desc_end) return false; /* Overflow desc? */
      if (nr_bpages < nr) return false; /* Overflow bpages backing memory? */
      if (cpu >= BigInt(this.hyp.nr_cpus)) return false;
      if (cpu !== BigInt.asIntN(32, mm.readU64(rb) & 0xffff_ffffn)) return false;
      nr_bpages -= nr;
      rb += ring_buffer_desc_size(nr);
    }
    return true;
  }

  private load_(desc: bigint): number {
    const mm = this.hyp.mm;
    if (this.loaded()) return -EINVAL;
    const start = mm.readU64(desc + HYP_TRACE_DESC.bpages_backing_start);
    const size = mm.readU64(desc + HYP_TRACE_DESC.bpages_backing_size);
    let ret = this.admit_host_mem(start, size);
    if (ret) return ret;
    mm.memset0(start, Number(size));
    this.bpages_backing_start = start;
    this.bpages_backing_size = size;
    let bpages = start;
    const nr_cpus = Number(mm.readU64(desc + HYP_TRACE_DESC.nr_cpus) & 0xffff_ffffn);
    let rb = desc + HYP_TRACE_DESC.data;
    for (let cpu = 0; cpu < nr_cpus; cpu++) {
      ret = this.simple_rbs[cpu]!.init_mm(bpages, rb, this.pin_shared_page, this.unpin_shared_page);
      if (ret) break;
      const nr = mm.readU64(rb) >> 32n; /* nr_page_va (u32 at +4) */
      bpages += nr * SIMPLE_BUFFER_PAGE_SIZE;
      rb += ring_buffer_desc_size(nr);
    }
    if (ret) this.unload_();
    this.update_active();
    return ret;
  }

  /** __tracing_load(desc_hva, desc_size) */
  __tracing_load(desc: bigint, desc_size: bigint): number {
    let ret = this.admit_host_mem(desc, desc_size);
    if (ret) return ret;
    /* An invalid descriptor is refused with ret still 0, as upstream (nothing is loaded). */
    if (this.desc_validate(desc, desc_size)) ret = this.load_(desc);
    this.release_host_mem(desc, desc_size);
    return ret;
  }

  __tracing_unload(): void { this.unload_(); }

  __tracing_enable(enable: boolean): number {
    if (!this.loaded()) return enable ? -EINVAL : 0;
    for (const rb of this.simple_rbs) rb.enable_tracing(enable);
    return 0;
  }

  __tracing_swap_reader(cpu: number): number {
    if (cpu >= this.hyp.nr_cpus) return -EINVAL;
    return this.loaded() ? this.simple_rbs[cpu]!.swap_reader_page() : -ENODEV;
  }

  __tracing_update_clock(mult: bigint, shift: bigint, epoch_ns: bigint, epoch_cyc: bigint): void {
    this.clock = { mult, shift, epoch_ns, epoch_cyc };
  }

  __tracing_reset(cpu: number): number {
    if (cpu >= this.hyp.nr_cpus) return -EINVAL;
    return this.loaded() ? this.simple_rbs[cpu]!.reset() : -ENODEV;
  }

  /** __tracing_enable_event(id, enable) (events.c) */
  __tracing_enable_event(id: number, enable: boolean): number {
    if (id >= HYP_EVENTS.length) return -EINVAL;
    this.event_enabled[id] = enable;
    this.update_active();
    return 0;
  }

  /**
   * trace_<event>(...): if the event is enabled, reserve its entry on this CPU's ring, write the
   * header id and the fields (values by field order of HYP_EVENTS[id]), commit.
   */
  trace(id: number, values: readonly (number | bigint)[], cpu = 0): void {
    if (!this.event_enabled[id]) return;
    const def = HYP_EVENTS[id]!;
    const rb = this.simple_rbs[cpu];
    if (!rb) return;
    const entry = rb.reserve(def.size, this.trace_clock());
    if (entry === null) return;
    const b = new Uint8Array(def.size);
    b[0] = id & 0xff;
    b[1] = (id >> 8) & 0xff;
    def.fields.forEach((f, i) => {
      const v = BigInt.asUintN(64, BigInt(values[i] ?? 0));
      for (let k = 0; k < f.bytes; k++) b[f.off + k] = Number((v >> BigInt(8 * k)) & 0xffn);
    });
    this.hyp.mm.writeBytes(entry, b);
    rb.commit();
  }
}
