/**
 * Layouts shared by the hyp's ring buffer and the host reading it (little-endian, arm64 C layout):
 *
 * struct buffer_data_page (kernel/trace/ring_buffer.c): { u64 time_stamp; local_t commit; u8 data[]; }
 *   BUF_PAGE_HDR_SIZE = 16; commit = bytes of data[] committed.
 * struct ring_buffer_event: { u32 type_len:5, time_delta:27; u32 array[]; } (RB_EVNT_HDR_SIZE = 4):
 *   type_len 0: array[0] = size of the payload + 4, payload from array[1];
 *   RINGBUF_TYPE_TIME_EXTEND (30): an 8-byte record, delta = time_delta | array[0] << TS_SHIFT;
 *   RINGBUF_TYPE_PADDING (29), RINGBUF_TYPE_TIME_STAMP (31).
 * struct trace_buffer_meta (include/uapi/linux/trace_mmap.h): meta_page_size u32 @0,
 *   meta_struct_len u32 @4, subbuf_size u32 @8, nr_subbufs u32 @12, reader.lost_events u64 @16,
 *   reader.id u32 @24, reader.read u32 @28, flags u64 @32, entries u64 @40, overrun u64 @48,
 *   read u64 @56, pages_lost u64 @64, pages_touched u64 @72.
 * struct hyp_trace_desc (asm/kvm_hyptrace.h): bpages_backing_start u64 @0, bpages_backing_size u64 @8,
 *   struct trace_buffer_desc @16 { int nr_cpus @16; size_t struct_len @24; __data @32 }, whose data
 *   is nr_cpus struct ring_buffer_desc { int cpu @0; u32 nr_page_va @4; u64 meta_va @8;
 *   u64 page_va[nr_page_va] @16 } back to back.
 * struct simple_buffer_page (include/linux/simple_ring_buffer.h), in the hyp's backing pages:
 *   link.next @0, link.prev @8, page @16, entries u64 @24, write u32 @32, id u32 @36 (40 bytes).
 */
export const BUF_PAGE_HDR_SIZE = 16;
export const RB_EVNT_HDR_SIZE = 4;
export const TS_SHIFT = 27n;
export const TS_MASK = (1n << TS_SHIFT) - 1n;
export const RINGBUF_TYPE_PADDING = 29;
export const RINGBUF_TYPE_TIME_EXTEND = 30;
export const RINGBUF_TYPE_TIME_STAMP = 31;

export const META = {
  meta_page_size: 0n, meta_struct_len: 4n, subbuf_size: 8n, nr_subbufs: 12n, reader_lost_events: 16n,
  reader_id: 24n, reader_read: 28n, flags: 32n, entries: 40n, overrun: 48n, read: 56n, pages_lost: 64n,
  pages_touched: 72n,
} as const;
export const TRACE_BUFFER_META_SIZE = 96;

export const HYP_TRACE_DESC = { bpages_backing_start: 0n, bpages_backing_size: 8n, nr_cpus: 16n, struct_len: 24n, data: 32n } as const;
export const RING_BUFFER_DESC = { cpu: 0n, nr_page_va: 4n, meta_va: 8n, page_va: 16n } as const;
/** struct_size(rb_desc, page_va, n) */
export const ring_buffer_desc_size = (n: bigint): bigint => 16n + 8n * n;

export const SIMPLE_BUFFER_PAGE_SIZE = 40n;
export const BPAGE = { next: 0n, prev: 8n, page: 16n, entries: 24n, write: 32n, id: 36n } as const;

/** enum hyp_enter_exit_reason (asm/kvm_hypevents.h) */
export const HYP_REASON = {
  SMC: 0, HVC: 1, SYS: 2, PSCI: 3, HOST_ABORT: 4, GUEST_EXIT: 5, ERET_HOST: 6, ERET_GUEST: 7, UNKNOWN: 8,
} as const;
export const HYP_REASON_NAMES = Object.keys(HYP_REASON);

/**
 * The hyp events, in the order of the hyp's event-id section (kvm_hypevents.h, then events.c's
 * hyp_printk): the id is the index. host_hcall / host_smc / host_mem_abort are Android's (and the
 * first revisions of the series'); they follow as an extension. Each entry is
 * struct remote_event_format_<name> { struct remote_event_hdr { u16 id; } hdr; fields } with C
 * alignment: `fields` gives each field's offset and width.
 */
export interface HypEventDef {
  name: string;
  size: number;
  fields: { name: string; off: number; bytes: 1 | 2 | 4 | 8; signed?: boolean }[];
}
export const HYP_EVENTS: readonly HypEventDef[] = [
  { name: 'hyp_enter', size: 8, fields: [{ name: 'reason', off: 2, bytes: 1 }, { name: 'vcpu', off: 4, bytes: 4, signed: true }] },
  { name: 'hyp_exit', size: 8, fields: [{ name: 'reason', off: 2, bytes: 1 }, { name: 'vcpu', off: 4, bytes: 4, signed: true }] },
  { name: 'selftest', size: 16, fields: [{ name: 'id', off: 8, bytes: 8 }] },
  { name: 'hyp_printk', size: 8, fields: [{ name: 'fmt_id', off: 2, bytes: 2 }] },
  { name: 'host_hcall', size: 12, fields: [{ name: 'id', off: 4, bytes: 4 }, { name: 'invalid', off: 8, bytes: 1 }] },
  { name: 'host_smc', size: 24, fields: [{ name: 'id', off: 8, bytes: 8 }, { name: 'forwarded', off: 16, bytes: 1 }] },
  { name: 'host_mem_abort', size: 24, fields: [{ name: 'esr', off: 8, bytes: 8 }, { name: 'addr', off: 16, bytes: 8 }] },
];
export const HYP_EVT = Object.fromEntries(HYP_EVENTS.map((e, i) => [e.name, i])) as Record<string, number>;
