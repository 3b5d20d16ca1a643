/**
 * Hypervisor tracing (hyp/tracing/: trace.c, simple_ring_buffer.c, events; the host reader in
 * host-kernel-model/hyp-trace.ts) through the host hypercalls. The ring pages are decoded here by a
 * reader written from the kernel's formats (struct buffer_data_page { u64 time_stamp; local_t
 * commit; data }, struct ring_buffer_event { type_len:5, time_delta:27; array[] },
 * RINGBUF_TYPE_TIME_EXTEND = 30, TS_SHIFT = 27), independent of the host model's decoder.
 */
import { describe, expect, it } from 'vitest';
import { Host, expectOk, load as loadVcpu } from './harness';
import { HypTraceReader, type HypTraceHost } from '../../host-kernel-model/hyp-trace';
import { EINVAL, EPERM, PKVM_NOPAGE, PKVM_PAGE_OWNED } from '../../hyp/page-state';
import { __KVM_HOST_SMCCC_FUNC } from '../../hyp/hypercalls';

const ENODEV = 19;
const HYP_ENTER = 0, HYP_EXIT = 1, SELFTEST = 2, HOST_HCALL = 4;
const REASON_HVC = 1, REASON_ERET_HOST = 6;

function traceHost(h: Host): HypTraceHost {
  return {
    mem: h.mem,
    allocPage: () => h.alloc(),
    allocContig: (n) => h.alloc(n),
    hcall: (name, ...args) => h.call(name, ...args),
  };
}

interface Ev { ts: bigint; id: number; payload: Uint8Array }
/** The test's own decoder of one data page. */
function decode(h: Host, page: bigint): Ev[] {
  const rd32 = (a: bigint): number => Number(h.mem.readU64(a) & 0xffff_ffffn);
  let ts = h.mem.readU64(page);
  const commit = Number(h.mem.readU64(page + 8n));
  const out: Ev[] = [];
  for (let off = 0; off < commit;) {
    const a = page + 16n + BigInt(off);
    const w = rd32(a);
    const typeLen = w & 0x1f;
    const delta = BigInt(w >>> 5);
    if (typeLen === 30) { ts += delta + (BigInt(rd32(a + 4n)) << 27n); off += 8; continue; }
    expect(typeLen).toBe(0); /* the hyp writes only data records with the length in array[0] */
    ts += delta;
    const len = rd32(a + 4n) - 4;
    out.push({ ts, id: rd32(a + 8n) & 0xffff, payload: h.mem.readBytes(a + 8n, len) });
    off += 8 + len;
  }
  return out;
}
const meta32 = (h: Host, meta: bigint, off: bigint): number => Number(h.mem.readU64(meta + off) & 0xffff_ffffn);

/** Lay out a one-CPU descriptor by hand: returns the pages. */
function manualDesc(h: Host, nrPages: number, opts: { pageOverride?: [number, bigint]; nrCpus?: number } = {}) {
  const meta = h.alloc();
  expectOk(h.call('__pkvm_host_share_hyp', meta >> 12n), 'share meta');
  const pages: bigint[] = [];
  for (let i = 0; i < nrPages; i++) {
    const p = h.alloc();
    expectOk(h.call('__pkvm_host_share_hyp', p >> 12n), 'share page');
    pages.push(p);
  }
  if (opts.pageOverride) pages[opts.pageOverride[0]] = opts.pageOverride[1];
  const desc = h.alloc();
  const backing = h.alloc();
  h.mem.writeU64(desc, backing);
  h.mem.writeU64(desc + 8n, 4096n);
  h.mem.writeU64(desc + 16n, BigInt(opts.nrCpus ?? 1));
  h.mem.writeU64(desc + 24n, 16n + 8n * BigInt(nrPages));
  h.mem.writeU64(desc + 32n, 0n | (BigInt(nrPages) << 32n)); /* cpu 0, nr_page_va */
  h.mem.writeU64(desc + 40n, meta);
  pages.forEach((p, i) => h.mem.writeU64(desc + 48n + 8n * BigInt(i), p));
  return { meta, pages, desc, backing };
}

const hostState = (h: Host, p: bigint): number => h.hyp.vmemmap.get_host_state(h.hyp.vmemmap.idx(p));

describe('__tracing_* before a buffer is loaded (trace.c)', () => {
  it('enable(1) -EINVAL, enable(0) 0, swap_reader/reset -ENODEV, a CPU out of range -EINVAL, an unknown event -EINVAL', () => {
    const h = new Host();
    expect(h.call('__tracing_enable', 1)).toBe(-EINVAL);
    expect(h.call('__tracing_enable', 0)).toBe(0);
    expect(h.call('__tracing_swap_reader', 0)).toBe(-ENODEV);
    expect(h.call('__tracing_reset', 0)).toBe(-ENODEV);
    expect(h.call('__tracing_swap_reader', 1)).toBe(-EINVAL); /* cpu >= hyp_nr_cpus */
    expect(h.call('__tracing_reset', 7)).toBe(-EINVAL);
    expect(h.call('__tracing_enable_event', 7)).toBe(-EINVAL);
    expect(h.call('__tracing_enable_event', HYP_ENTER, 1)).toBe(0);
  });
});

describe('__tracing_load checks', () => {
  it('an unaligned or empty descriptor is -EINVAL; one the host does not own is refused by the donation (-EPERM)', () => {
    const h = new Host();
    const d = manualDesc(h, 3);
    expect(h.call('__tracing_load', d.desc + 8n, 4096)).toBe(-EINVAL);
    expect(h.call('__tracing_load', d.desc, 100)).toBe(-EINVAL);
    expect(h.call('__tracing_load', d.desc, 0)).toBe(-EINVAL);
    expect(h.call('__tracing_load', d.meta, 4096)).toBe(-EPERM); /* shared with the hyp: not host OWNED */
  });

  it('a descriptor that fails validation loads nothing, and (as upstream) __tracing_load still returns 0', () => {
    const h = new Host();
    const d = manualDesc(h, 3, { nrCpus: 2 }); /* two CPUs on a one-CPU hyp */
    expect(h.call('__tracing_load', d.desc, 4096)).toBe(0);
    expect(h.call('__tracing_enable', 1)).toBe(-EINVAL); /* not loaded */
    expect(hostState(h, d.desc)).toBe(PKVM_PAGE_OWNED); /* the descriptor went back */
    expect(h.hyp.mm.is_mapped(d.pages[0]!)).toBe(false);
  });

  it('fewer than 3 pages per CPU is -EINVAL; the backing goes back to the host', () => {
    const h = new Host();
    const d = manualDesc(h, 2);
    expect(h.call('__tracing_load', d.desc, 4096)).toBe(-EINVAL);
    expect(hostState(h, d.backing)).toBe(PKVM_PAGE_OWNED);
    expect(h.call('__tracing_enable', 1)).toBe(-EINVAL);
  });

  it('ring pages must be shared with the hyp: a guest page or an unshared host page is refused, earlier pins undone', () => {
    for (const kind of ['guest', 'host'] as const) {
      const h = new Host();
      let bad = h.alloc();
      if (kind === 'guest') {
        const vm = h.createVm(true);
        loadVcpu(h, vm);
        h.topup(vm, 0, 4);
        bad = h.alloc();
        expectOk(h.call('__pkvm_host_donate_guest', bad >> 12n, 0x10n), 'donate_guest');
        expect(hostState(h, bad)).toBe(PKVM_NOPAGE);
        h.call('__pkvm_vcpu_put');
      }
      const d = manualDesc(h, 4, { pageOverride: [2, bad] });
      expect(h.call('__tracing_load', d.desc, 4096)).toBe(-EINVAL);
      for (const p of [d.meta, d.pages[0]!, d.pages[1]!]) {
        expect(h.hyp.mm.is_mapped(p)).toBe(false); /* unpinned: unmapped at EL2 */
        expect(h.call('__pkvm_host_unshare_hyp', p >> 12n)).toBe(0);
      }
      expect(hostState(h, d.backing)).toBe(PKVM_PAGE_OWNED);
    }
  });
});

describe('round trips through the ring in guest RAM', () => {
  function loaded(pages = 3) {
    const h = new Host();
    let cyc = 0n;
    h.hyp.tracing.counter = () => cyc;
    const r = new HypTraceReader(traceHost(h));
    expect(r.load(1, pages)).toBe(0);
    return { h, r, setCyc: (c: bigint) => { cyc = c; } };
  }

  it('load maps the ring at EL2 (pinned), the selftest event and the hcall events land in upstream\'s format with the clock the host set', () => {
    const { h, r, setCyc } = loaded();
    const ring = (r as unknown as { rings: { meta: bigint; pages: bigint[] }[] }).rings[0]!;
    for (const p of [ring.meta, ...ring.pages]) expect(h.hyp.mm.is_mapped(p)).toBe(true);
    expect(meta32(h, ring.meta, 0n)).toBe(4096); /* meta_page_size */
    r.setClock(16, 0, 1000n, 0n); /* ns = 1000 + 16 * cycles */
    setCyc(10n);
    expect(r.enable()).toBe(0);
    setCyc(20n);
    h.call('__tracing_write_event', 0x1234);
    /* nothing swapped yet: the test reads the head page (ring page 1) itself */
    const evs = decode(h, ring.pages[1]!);
    expect(evs.map((e) => e.id)).toEqual([HYP_EXIT, HYP_ENTER, HOST_HCALL, SELFTEST, HYP_EXIT]);
    expect(evs.map((e) => e.ts)).toEqual([1160n, 1320n, 1320n, 1320n, 1320n]);
    expect(evs[0]!.payload[2]).toBe(REASON_ERET_HOST); /* the exit of the __tracing_enable call */
    expect(evs[1]!.payload[2]).toBe(REASON_HVC);
    const hc = evs[2]!.payload;
    expect(hc[4]! | (hc[5]! << 8)).toBe(__KVM_HOST_SMCCC_FUNC.__tracing_write_event);
    expect(hc[8]).toBe(0); /* invalid = 0 */
    const st = evs[3]!.payload;
    expect(st.length).toBe(16);
    expect(Number(new DataView(st.buffer, st.byteOffset).getBigUint64(8, true))).toBe(0x1234);
    expect(h.mem.readU64(ring.meta + 40n)).toBe(5n); /* meta->entries */
    /* the host reader sees the same, through __tracing_swap_reader */
    const got = r.read(0);
    expect(got.slice(0, 5).map((e) => [e.name, e.ts])).toEqual([
      ['hyp_exit', 1160n], ['hyp_enter', 1320n], ['host_hcall', 1320n], ['selftest', 1320n], ['hyp_exit', 1320n],
    ]);
    expect(got[3]!.fields.id).toBe(0x1234n);
    /* reader.id: page 1 (the first head) was read, then the next swap took page 2, empty: the read stops */
    expect(meta32(h, ring.meta, 24n)).toBe(2);
  });

  it('a gap of 2^27 ns or more is a TIME_EXTEND record before the event', () => {
    const { h, r, setCyc } = loaded();
    r.setClock(1, 0, 0n, 0n);
    expect(r.enable(['selftest'])).toBe(0);
    h.call('__tracing_write_event', 1);
    setCyc(5n << 27n);
    h.call('__tracing_write_event', 2);
    const ring = (r as unknown as { rings: { pages: bigint[] }[] }).rings[0]!;
    const page = ring.pages[1]!;
    expect(Number(h.mem.readU64(page + 16n + 24n) & 0x1fn)).toBe(30); /* the second record is a time extend */
    expect(decode(h, page).map((e) => e.ts)).toEqual([0n, 5n << 27n]);
    expect(r.read(0).map((e) => [e.fields.id, e.ts])).toEqual([[1n, 0n], [2n, 5n << 27n]]);
  });

  it('a full ring overwrites its oldest page: overrun and lost pages are counted, the reader is told', () => {
    const { h, r } = loaded(3);
    expect(r.enable(['selftest'])).toBe(0);
    /* 24-byte records, 170 per 4080-byte page; 3 ring pages after the first swap... write 700 */
    for (let i = 0; i < 700; i++) h.call('__tracing_write_event', i);
    const m = r.meta(0);
    expect(m.entries).toBe(700n);
    expect(m.pages_lost).toBeGreaterThan(0n);
    expect(m.overrun).toBe(m.pages_lost * 170n);
    const got = r.read(0);
    expect(got.length + Number(r.lost(0))).toBe(700);
    expect(got[got.length - 1]!.fields.id).toBe(699n);
    /* the events read are the newest, in order */
    const ids = got.map((e) => Number(e.fields.id));
    expect(ids).toEqual(ids.slice().sort((a, b) => a - b));
  });

  it('reset clears counters and pointers; unload unpins the pages (EL2 cannot read them) and returns the backing', () => {
    const { h, r } = loaded();
    expect(r.enable(['selftest'])).toBe(0);
    h.call('__tracing_write_event', 7);
    expect(h.call('__tracing_reset', 0)).toBe(0);
    expect(r.meta(0).entries).toBe(0n);
    expect(r.read(0)).toEqual([]);
    h.call('__tracing_write_event', 8);
    expect(r.read(0).map((e) => e.fields.id)).toEqual([8n]);
    const ring = (r as unknown as { rings: { meta: bigint; pages: bigint[] }[] }).rings[0]!;
    const backing = h.hyp.tracing.bpages_backing_start;
    r.unload();
    expect(hostState(h, backing)).toBe(PKVM_PAGE_OWNED);
    for (const p of [ring.meta, ...ring.pages]) {
      expect(h.hyp.mm.is_mapped(p)).toBe(false);
      expect(hostState(h, p)).toBe(PKVM_PAGE_OWNED);
    }
    expect(h.call('__tracing_swap_reader', 0)).toBe(-ENODEV);
    expect(h.call('__tracing_enable', 1)).toBe(-EINVAL);
    /* loaded twice is refused */
    const r2 = new HypTraceReader(traceHost(h));
    expect(r2.load(1, 3)).toBe(0);
    expect(new HypTraceReader(traceHost(h)).load(1, 3)).toBe(-EINVAL);
  });
});
