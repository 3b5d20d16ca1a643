/**
 * The host side of hypervisor tracing (arch/arm64/kvm/hyp_trace.c + the trace_remote reader of
 * kernel/trace/): allocate per CPU a meta page and the ring's data pages, share each with the hyp
 * (__pkvm_host_share_hyp), describe them in a struct hyp_trace_desc in pages the hyp takes for the
 * duration of __tracing_load, give the simple_buffer_page backing, enable events and tracing, set
 * the clock; then read: keep reading the reader page while it has committed data not yet consumed,
 * else __tracing_swap_reader() and read the page meta.reader.id names, decoding ring_buffer_event
 * records (type_len 0 data, TIME_EXTEND deltas) against the page's time_stamp.
 */
import type { PhysMem } from '../hyp/phys-mem';
import type { HostHcallName } from '../hyp/hypercalls';
import {
  BUF_PAGE_HDR_SIZE, HYP_EVENTS, HYP_TRACE_DESC, META, RING_BUFFER_DESC, RINGBUF_TYPE_PADDING, RINGBUF_TYPE_TIME_EXTEND,
  RINGBUF_TYPE_TIME_STAMP, SIMPLE_BUFFER_PAGE_SIZE, TS_SHIFT, ring_buffer_desc_size,
} from '../hyp/tracing/format';

export interface HypTraceHost {
  readonly mem: PhysMem;
  /** A zeroed host page. */
  allocPage(): bigint;
  /** `n` contiguous zeroed host pages. */
  allocContig(n: number): bigint;
  /** A host hypercall: the signed x1 (throws if not supported). */
  hcall(name: HostHcallName, ...args: (bigint | number)[]): number;
}

export interface HypTraceEvent {
  cpu: number;
  /** trace_clock() of the event, ns (epoch_ns + counter delta scaled by the clock bank). */
  ts: bigint;
  id: number;
  name: string;
  fields: Record<string, bigint>;
}

interface CpuRing { meta: bigint; pages: bigint[]; readerId: number; consumed: number; lostEvents: bigint }

const PAGE = 4096n;

/** Decode the events in one buffer_data_page from byte `from` of its data (upstream rb_event format). */
export function decodeDataPage(mem: PhysMem, page: bigint, cpu: number, from = 0): { events: HypTraceEvent[]; commit: number } {
  let ts = mem.readU64(page);
  const commit = Number(mem.readU64(page + 8n) & 0xfffffn);
  const data = page + BigInt(BUF_PAGE_HDR_SIZE);
  const events: HypTraceEvent[] = [];
  let off = 0;
  while (off + 4 <= commit) {
    const h = Number(mem.readU64(data + BigInt(off)) & 0xffff_ffffn);
    const type_len = h & 31;
    const delta = BigInt(h >>> 5);
    const arr0 = (): bigint => (mem.readU64(data + BigInt(off)) >> 32n) & 0xffff_ffffn;
    let size: number;
    if (type_len === RINGBUF_TYPE_TIME_EXTEND) { ts += delta | (arr0() << TS_SHIFT); size = 8; }
    else if (type_len === RINGBUF_TYPE_TIME_STAMP) { ts = delta | (arr0() << TS_SHIFT); size = 8; }
    else if (type_len === RINGBUF_TYPE_PADDING) { size = delta === 0n ? commit - off : 4 + Number(arr0()); }
    else {
      ts += delta;
      const len = type_len === 0 ? Number(arr0()) - 4 : type_len * 4;
      const payload = data + BigInt(off + (type_len === 0 ? 8 : 4));
      size = (type_len === 0 ? 8 : 4) + len;
      if (off >= from) {
        const b = mem.readBytes(payload, len);
        const id = b[0]! | (b[1]! << 8);
        const def = HYP_EVENTS[id];
        const fields: Record<string, bigint> = {};
        for (const f of def?.fields ?? []) {
          let v = 0n;
          for (let k = f.bytes - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[f.off + k] ?? 0);
          fields[f.name] = f.signed ? BigInt.asIntN(8 * f.bytes, v) : v;
        }
        events.push({ cpu, ts, id, name: def?.name ?? `event_${id}`, fields });
      }
    }
    off += size;
  }
  return { events, commit };
}

export class HypTraceReader {
  private rings: CpuRing[] = [];
  private desc = { pa: 0n, size: 0n };
  loaded = false;
  /** Every host page (run) load() took, for the caller to free after unload(). */
  readonly allocated: { pa: bigint; n: number }[] = [];

  constructor(readonly host: HypTraceHost) {}

  private shared(): bigint {
    const p = this.host.allocPage();
    this.allocated.push({ pa: p, n: 1 });
    const ret = this.host.hcall('__pkvm_host_share_hyp', p >> 12n);
    if (ret) throw new Error(`hyp trace: __pkvm_host_share_hyp: ${ret}`);
    return p;
  }

  /** hyp_trace_load(): returns __tracing_load's result (0 on success). */
  load(nrCpus: number, pagesPerCpu: number): number {
    const { mem } = this.host;
    this.rings = [];
    for (let cpu = 0; cpu < nrCpus; cpu++) {
      const meta = this.shared();
      const pages = Array.from({ length: pagesPerCpu }, () => this.shared());
      this.rings.push({ meta, pages, readerId: -1, consumed: 0, lostEvents: 0n });
    }
    let descSize: bigint = HYP_TRACE_DESC.data;
    for (const r of this.rings) descSize += ring_buffer_desc_size(BigInt(r.pages.length));
    descSize = (descSize + PAGE - 1n) & ~(PAGE - 1n);
    const desc = this.host.allocContig(Number(descSize / PAGE));
    this.allocated.push({ pa: desc, n: Number(descSize / PAGE) });
    const backingSize = ((SIMPLE_BUFFER_PAGE_SIZE * BigInt(nrCpus * pagesPerCpu)) + PAGE - 1n) & ~(PAGE - 1n);
    const backing = this.host.allocContig(Number(backingSize / PAGE));
    this.allocated.push({ pa: backing, n: Number(backingSize / PAGE) });
    mem.writeU64(desc + HYP_TRACE_DESC.bpages_backing_start, backing);
    mem.writeU64(desc + HYP_TRACE_DESC.bpages_backing_size, backingSize);
    mem.writeU64(desc + HYP_TRACE_DESC.nr_cpus, BigInt(nrCpus));
    let rb = desc + HYP_TRACE_DESC.data;
    let cpu = 0;
    let structLen = 0n;
    for (const r of this.rings) {
      mem.writeU64(rb + RING_BUFFER_DESC.cpu, BigInt(cpu++) | (BigInt(r.pages.length) << 32n));
      mem.writeU64(rb + RING_BUFFER_DESC.meta_va, r.meta);
      r.pages.forEach((p, i) => mem.writeU64(rb + RING_BUFFER_DESC.page_va + 8n * BigInt(i), p));
      structLen += ring_buffer_desc_size(BigInt(r.pages.length));
      rb += ring_buffer_desc_size(BigInt(r.pages.length));
    }
    mem.writeU64(desc + HYP_TRACE_DESC.struct_len, structLen);
    this.desc = { pa: desc, size: descSize };
    const ret = this.host.hcall('__tracing_load', desc, descSize);
    this.loaded = ret === 0;
    return ret;
  }

  /** Enable the events by name (all by default) and writing. */
  enable(names: readonly string[] = HYP_EVENTS.map((e) => e.name)): number {
    for (const n of names) {
      const id = HYP_EVENTS.findIndex((e) => e.name === n);
      if (id < 0) throw new Error(`hyp trace: unknown event ${n}`);
      const ret = this.host.hcall('__tracing_enable_event', id, 1);
      if (ret) return ret;
    }
    return this.host.hcall('__tracing_enable', 1);
  }

  /** __tracing_update_clock(mult, shift, epoch_ns, epoch_cyc). */
  setClock(mult: number, shift: number, epochNs: bigint, epochCyc: bigint): void {
    this.host.hcall('__tracing_update_clock', mult, shift, epochNs, epochCyc);
  }

  /** Read every committed event of one CPU not read yet (the consuming read). */
  read(cpu: number): HypTraceEvent[] {
    const r = this.rings[cpu];
    if (!r) return [];
    const { mem } = this.host;
    const out: HypTraceEvent[] = [];
    for (let guard = 0; guard < r.pages.length + 2; guard++) {
      if (r.readerId >= 0) {
        const page = r.pages[r.readerId]!;
        const commit = Number(mem.readU64(page + 8n) & 0xfffffn);
        if (commit > r.consumed) {
          out.push(...decodeDataPage(mem, page, cpu, r.consumed).events);
          r.consumed = commit;
          continue;
        }
      }
      if (this.host.hcall('__tracing_swap_reader', cpu)) break;
      const id = Number((mem.readU64(r.meta + META.reader_id) & 0xffff_ffffn));
      r.lostEvents += mem.readU64(r.meta + META.reader_lost_events);
      if (id === r.readerId) break;
      r.readerId = id;
      r.consumed = 0;
      const page = r.pages[id];
      if (!page || (mem.readU64(page + 8n) & 0xfffffn) === 0n) break;
    }
    return out;
  }

  /** Events lost to overruns so far (meta.reader.lost_events summed over swaps). */
  lost(cpu: number): bigint { return this.rings[cpu]?.lostEvents ?? 0n; }

  /** Meta page of a CPU (entries, overrun, pages_touched …) as the hyp keeps it. */
  meta(cpu: number): Record<keyof typeof META, bigint> {
    const m = this.rings[cpu]!.meta;
    const out = {} as Record<keyof typeof META, bigint>;
    for (const [k, off] of Object.entries(META)) {
      const v = this.host.mem.readU64(m + off);
      out[k as keyof typeof META] = off >= 16n && off !== META.reader_id && off !== META.reader_read ? v : v & 0xffff_ffffn;
    }
    return out;
  }

  /** __tracing_unload(), then the pages go back to the host (unshared). */
  unload(): void {
    this.host.hcall('__tracing_unload');
    for (const r of this.rings) for (const p of [r.meta, ...r.pages]) this.host.hcall('__pkvm_host_unshare_hyp', p >> 12n);
    this.loaded = false;
  }
}
