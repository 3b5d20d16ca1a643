/**
 * `pkvm-emu run --trace FILE --trace-source ring`: the hyp's own events, as upstream's host reads
 * them (hyp_trace.c): at the start of the run the host model loads the hyp's tracing ring
 * (host-kernel-model/hyp-trace.ts: 64 data pages per CPU shared with the hyp, every event enabled,
 * __tracing_update_clock so that trace_clock() is guest time in ns: 16 ns per counter tick at
 * 62.5 MHz), and at the end it reads the ring through __tracing_swap_reader; each event becomes an
 * instant on process "hyp ring buffer", thread "CPU n", at its own timestamp, with its fields.
 * Events the ring overwrote before the read are counted in a "lost events" instant. The model's
 * own tracks (hypercall slices, guest runs, pages) stay as they are. The ring is read, unloaded and
 * its pages freed just before the scenario's final checks, so they see the run's own pages only
 * (the census tables taken before then count the ring's shared pages as host SHARED_OWNED).
 */
import type { World } from '../scenario/world';
import { HypTraceReader, type HypTraceEvent } from '../../host-kernel-model/hyp-trace';
import { HYP_REASON_NAMES } from '../../hyp/tracing/format';
import { HOST_HCALLS } from '../../hyp/hypercalls';
import { UserError } from '../../machine/errors';
import { ChromeTrace, hex, type Args } from './chrome-trace';
import { NS_PER_INSN } from './guest-time';

export const RING_PAGES_PER_CPU = 64;

export class HypRingSource {
  private readonly reader: HypTraceReader;
  constructor(readonly world: World) {
    const kvm = world.kvm;
    if (!kvm) throw new UserError('--trace-source ring: needs a scenario whose host is the KVM model (not an A64 host image)');
    this.reader = new HypTraceReader({
      mem: kvm.mem,
      allocPage: () => kvm.allocPage(),
      allocContig: (n) => {
        const p = kvm.alloc.allocContig(n);
        if (p === null) throw new UserError('--trace-source ring: host out of memory for the trace ring');
        for (let i = 0n; i < BigInt(n); i++) kvm.mem.zeroPage(p + i * 4096n);
        return p;
      },
      hcall: (name, ...args) => kvm.hcall(name, ...args),
    });
    const ret = this.reader.load(world.el2.pkvm.nr_cpus, RING_PAGES_PER_CPU);
    if (ret) throw new UserError(`--trace-source ring: __tracing_load: ${ret}`);
    this.reader.setClock(NS_PER_INSN, 0, 0n, 0n);
    const en = this.reader.enable();
    if (en) throw new UserError(`--trace-source ring: __tracing_enable: ${en}`);
  }

  /** Read every CPU's ring into the trace; `release`: then unload it and free its pages. */
  drain(trace: ChromeTrace, release = false): number {
    let n = 0;
    for (let cpu = 0; cpu < this.world.el2.pkvm.nr_cpus; cpu++) {
      const track = trace.track('hyp ring buffer', `CPU ${cpu}`);
      const events = this.reader.read(cpu);
      for (const e of events) trace.instant(track, e.name, 'hyp', e.ts / BigInt(NS_PER_INSN), eventArgs(e));
      n += events.length;
      const lost = this.reader.lost(cpu);
      if (lost) trace.instant(track, `lost events: ${lost}`, 'hyp', this.world.core.insns, { lost: Number(lost) });
    }
    if (release) {
      this.reader.unload();
      for (const a of this.reader.allocated) this.world.kvm!.alloc.free(a.pa, a.n);
    }
    return n;
  }
}

function eventArgs(e: HypTraceEvent): Args {
  const a: Args = { ts_ns: e.ts.toString() };
  for (const [k, v] of Object.entries(e.fields)) {
    if (k === 'reason') a[k] = HYP_REASON_NAMES[Number(v)] ?? String(v);
    else if (e.name === 'host_hcall' && k === 'id') a[k] = HOST_HCALLS[Number(v)] ?? String(v);
    else a[k] = k === 'vcpu' || k === 'invalid' || k === 'forwarded' ? Number(v) : hex(v);
  }
  return a;
}
