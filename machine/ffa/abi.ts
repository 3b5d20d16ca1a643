/**
 * The FF-A ABI (Arm DEN0077 "Firmware Framework for Arm A-profile", v1.0 and v1.1): function ids,
 * error codes, version encoding and the memory transaction descriptor layouts, as both sides of the
 * SMC conduit use them. Names and values are those of Linux include/linux/arm_ffa.h (stored copy of
 * intel-lab-lkp/linux 6c90fbf301ec, the FF-A v1.2 EMAD size from upstream 11fb1a82aefa).
 * A leaf module: the secure-world endpoint (machine/ffa/) and the hyp's proxy (hyp/ffa/) share it.
 */

/* FFA_SMC(calling_convention, func_num): fast call, owner STANDARD (4). */
export const FFA_SMC_32 = (n: number): bigint => 0x8400_0000n | BigInt(n);
export const FFA_SMC_64 = (n: number): bigint => 0xc400_0000n | BigInt(n);

export const FFA_ERROR = FFA_SMC_32(0x60);
export const FFA_SUCCESS = FFA_SMC_32(0x61);
export const FFA_FN64_SUCCESS = FFA_SMC_64(0x61);
export const FFA_INTERRUPT = FFA_SMC_32(0x62);
export const FFA_VERSION = FFA_SMC_32(0x63);
export const FFA_FEATURES = FFA_SMC_32(0x64);
export const FFA_RX_RELEASE = FFA_SMC_32(0x65);
export const FFA_RXTX_MAP = FFA_SMC_32(0x66);
export const FFA_FN64_RXTX_MAP = FFA_SMC_64(0x66);
export const FFA_RXTX_UNMAP = FFA_SMC_32(0x67);
export const FFA_PARTITION_INFO_GET = FFA_SMC_32(0x68);
export const FFA_ID_GET = FFA_SMC_32(0x69);
export const FFA_MSG_POLL = FFA_SMC_32(0x6a);
export const FFA_MSG_WAIT = FFA_SMC_32(0x6b);
export const FFA_YIELD = FFA_SMC_32(0x6c);
export const FFA_RUN = FFA_SMC_32(0x6d);
export const FFA_MSG_SEND = FFA_SMC_32(0x6e);
export const FFA_MSG_SEND_DIRECT_REQ = FFA_SMC_32(0x6f);
export const FFA_FN64_MSG_SEND_DIRECT_REQ = FFA_SMC_64(0x6f);
export const FFA_MSG_SEND_DIRECT_RESP = FFA_SMC_32(0x70);
export const FFA_FN64_MSG_SEND_DIRECT_RESP = FFA_SMC_64(0x70);
export const FFA_MEM_DONATE = FFA_SMC_32(0x71);
export const FFA_FN64_MEM_DONATE = FFA_SMC_64(0x71);
export const FFA_MEM_LEND = FFA_SMC_32(0x72);
export const FFA_FN64_MEM_LEND = FFA_SMC_64(0x72);
export const FFA_MEM_SHARE = FFA_SMC_32(0x73);
export const FFA_FN64_MEM_SHARE = FFA_SMC_64(0x73);
export const FFA_MEM_RETRIEVE_REQ = FFA_SMC_32(0x74);
export const FFA_FN64_MEM_RETRIEVE_REQ = FFA_SMC_64(0x74);
export const FFA_MEM_RETRIEVE_RESP = FFA_SMC_32(0x75);
export const FFA_MEM_RELINQUISH = FFA_SMC_32(0x76);
export const FFA_MEM_RECLAIM = FFA_SMC_32(0x77);
export const FFA_MEM_OP_PAUSE = FFA_SMC_32(0x78);
export const FFA_MEM_OP_RESUME = FFA_SMC_32(0x79);
export const FFA_MEM_FRAG_RX = FFA_SMC_32(0x7a);
export const FFA_MEM_FRAG_TX = FFA_SMC_32(0x7b);
export const FFA_NORMAL_WORLD_RESUME = FFA_SMC_32(0x7c);
export const FFA_NOTIFICATION_BITMAP_CREATE = FFA_SMC_32(0x7d);
export const FFA_NOTIFICATION_BITMAP_DESTROY = FFA_SMC_32(0x7e);
export const FFA_NOTIFICATION_BIND = FFA_SMC_32(0x7f);
export const FFA_NOTIFICATION_UNBIND = FFA_SMC_32(0x80);
export const FFA_NOTIFICATION_SET = FFA_SMC_32(0x81);
export const FFA_NOTIFICATION_GET = FFA_SMC_32(0x82);
export const FFA_NOTIFICATION_INFO_GET = FFA_SMC_32(0x83);
export const FFA_CONSOLE_LOG = FFA_SMC_32(0x8a);
export const FFA_PARTITION_INFO_GET_REGS = FFA_SMC_64(0x8b);
export const FFA_MSG_SEND_DIRECT_REQ2 = FFA_SMC_64(0x8d);
export const FFA_MSG_SEND_DIRECT_RESP2 = FFA_SMC_64(0x8e);

/** Names of the ids above (timeline, test messages). */
export const FFA_FN_NAMES: ReadonlyMap<bigint, string> = new Map([
  [FFA_ERROR, 'FFA_ERROR'], [FFA_SUCCESS, 'FFA_SUCCESS'], [FFA_FN64_SUCCESS, 'FFA_FN64_SUCCESS'],
  [FFA_VERSION, 'FFA_VERSION'], [FFA_FEATURES, 'FFA_FEATURES'], [FFA_RX_RELEASE, 'FFA_RX_RELEASE'],
  [FFA_RXTX_MAP, 'FFA_RXTX_MAP'], [FFA_FN64_RXTX_MAP, 'FFA_FN64_RXTX_MAP'], [FFA_RXTX_UNMAP, 'FFA_RXTX_UNMAP'],
  [FFA_PARTITION_INFO_GET, 'FFA_PARTITION_INFO_GET'], [FFA_ID_GET, 'FFA_ID_GET'],
  [FFA_MSG_SEND_DIRECT_REQ, 'FFA_MSG_SEND_DIRECT_REQ'], [FFA_FN64_MSG_SEND_DIRECT_REQ, 'FFA_FN64_MSG_SEND_DIRECT_REQ'],
  [FFA_FN64_MSG_SEND_DIRECT_RESP, 'FFA_FN64_MSG_SEND_DIRECT_RESP'],
  [FFA_MEM_DONATE, 'FFA_MEM_DONATE'], [FFA_FN64_MEM_DONATE, 'FFA_FN64_MEM_DONATE'],
  [FFA_MEM_LEND, 'FFA_MEM_LEND'], [FFA_FN64_MEM_LEND, 'FFA_FN64_MEM_LEND'],
  [FFA_MEM_SHARE, 'FFA_MEM_SHARE'], [FFA_FN64_MEM_SHARE, 'FFA_FN64_MEM_SHARE'],
  [FFA_MEM_RETRIEVE_REQ, 'FFA_MEM_RETRIEVE_REQ'], [FFA_FN64_MEM_RETRIEVE_REQ, 'FFA_FN64_MEM_RETRIEVE_REQ'],
  [FFA_MEM_RETRIEVE_RESP, 'FFA_MEM_RETRIEVE_RESP'], [FFA_MEM_RELINQUISH, 'FFA_MEM_RELINQUISH'],
  [FFA_MEM_RECLAIM, 'FFA_MEM_RECLAIM'], [FFA_MEM_FRAG_RX, 'FFA_MEM_FRAG_RX'], [FFA_MEM_FRAG_TX, 'FFA_MEM_FRAG_TX'],
]);
export const ffaFnName = (fid: bigint): string => FFA_FN_NAMES.get(fid) ?? `0x${fid.toString(16)}`;

/* FF-A error codes (int32 in w2 of FFA_ERROR). */
export const FFA_RET_SUCCESS = 0;
export const FFA_RET_NOT_SUPPORTED = -1;
export const FFA_RET_INVALID_PARAMETERS = -2;
export const FFA_RET_NO_MEMORY = -3;
export const FFA_RET_BUSY = -4;
export const FFA_RET_INTERRUPTED = -5;
export const FFA_RET_DENIED = -6;
export const FFA_RET_RETRY = -7;
export const FFA_RET_ABORTED = -8;
export const FFA_RET_NO_DATA = -9;
export const FFA_RET_NAMES: Record<number, string> = {
  0: 'SUCCESS', [-1]: 'NOT_SUPPORTED', [-2]: 'INVALID_PARAMETERS', [-3]: 'NO_MEMORY', [-4]: 'BUSY',
  [-5]: 'INTERRUPTED', [-6]: 'DENIED', [-7]: 'RETRY', [-8]: 'ABORTED', [-9]: 'NO_DATA',
};

/* Version: bit 31 MBZ, major in 30:16, minor in 15:0. */
export const FFA_MAJOR_VERSION = (v: number): number => (v >>> 16) & 0x7fff;
export const FFA_MINOR_VERSION = (v: number): number => v & 0xffff;
export const FFA_PACK_VERSION_INFO = (major: number, minor: number): number => ((major & 0x7fff) << 16) | (minor & 0xffff);
export const FFA_VERSION_1_0 = FFA_PACK_VERSION_INFO(1, 0);
export const FFA_VERSION_1_1 = FFA_PACK_VERSION_INFO(1, 1);
export const FFA_VERSION_1_2 = FFA_PACK_VERSION_INFO(1, 2);

/** FF-A pages are 4 KiB whatever the translation granule. */
export const FFA_PAGE_SIZE = 4096;
/** FFA_FEATURES(FFA_RXTX_MAP) w2[1:0]: minimum buffer size and alignment. */
export const FFA_FEAT_RXTX_MIN_SZ_4K = 0;
export const FFA_FEAT_RXTX_MIN_SZ_64K = 1;
export const FFA_FEAT_RXTX_MIN_SZ_16K = 2;
export const FFA_FEAT_RXTX_MIN_SZ_MASK = 3;

/* struct ffa_mem_region: the memory transaction descriptor's header. */
export const MEM_REGION_SENDER_ID = 0; // u16
export const MEM_REGION_ATTRIBUTES = 2; // u16 (v1.0: u8, upper byte reserved MBZ)
export const MEM_REGION_FLAGS = 4; // u32
export const MEM_REGION_HANDLE = 8; // u64
export const MEM_REGION_TAG = 16; // u64
export const MEM_REGION_EP_MEM_SIZE = 24; // u32, MBZ before v1.1
export const MEM_REGION_EP_COUNT = 28; // u32
export const MEM_REGION_EP_MEM_OFFSET = 32; // u32, v1.1 (in v1.0 the EMAD array starts here)
export const SIZEOF_FFA_MEM_REGION = 48; // v1.1
/* flags */
export const FFA_MEM_CLEAR = 1 << 0;
export const FFA_TIME_SLICE_ENABLE = 1 << 1;
export const FFA_MEM_RETRIEVE_TYPE_SHIFT = 3;
export const FFA_MEM_RETRIEVE_TYPE_SHARE = 1 << 3;
export const FFA_MEM_RETRIEVE_TYPE_LEND = 2 << 3;
export const FFA_MEM_RETRIEVE_TYPE_DONATE = 3 << 3;
/* attributes */
export const FFA_MEM_NORMAL = 1 << 5;
export const FFA_MEM_WRITE_BACK = 3 << 2;
export const FFA_MEM_INNER_SHAREABLE = 3;

/* struct ffa_mem_region_attributes (endpoint memory access descriptor, EMAD). */
export const EMAD_RECEIVER = 0; // u16
export const EMAD_ATTRS = 2; // u8
export const EMAD_FLAG = 3; // u8
export const EMAD_COMPOSITE_OFF = 4; // u32
export const FFA_MEM_RO = 1 << 0;
export const FFA_MEM_RW = 1 << 1;
export const FFA_MEM_NO_EXEC = 1 << 2;
export const FFA_MEM_EXEC = 1 << 3;

/* struct ffa_composite_mem_region and struct ffa_mem_region_addr_range. */
export const COMPOSITE_TOTAL_PG_CNT = 0; // u32
export const COMPOSITE_ADDR_RANGE_CNT = 4; // u32
export const SIZEOF_FFA_COMPOSITE_MEM_REGION = 16;
export const SIZEOF_FFA_MEM_REGION_ADDR_RANGE = 16; // u64 address, u32 pg_cnt, u32 reserved
export const CONSTITUENTS_OFFSET = (x: number): number => SIZEOF_FFA_COMPOSITE_MEM_REGION + x * SIZEOF_FFA_MEM_REGION_ADDR_RANGE;

/** FFA_EMAD_HAS_IMPDEF_FIELD / ffa_emad_size_get(): 32 bytes from v1.2 (impdef_val[16]), 16 before. */
export function ffa_emad_size_get(version: number): number {
  return version >= FFA_VERSION_1_2 ? 32 : 16;
}
/** FFA_MEM_REGION_HAS_EP_MEM_OFFSET: the v1.1 header (48 bytes) vs v1.0's 32. */
export function FFA_MEM_REGION_SZ(version: number): number {
  return version > FFA_VERSION_1_0 ? SIZEOF_FFA_MEM_REGION : MEM_REGION_EP_MEM_OFFSET;
}
/** ffa_mem_desc_offset(buf, count, version): where EMAD `count` starts. */
export function ffa_mem_desc_offset(count: number, version: number): number {
  return count * ffa_emad_size_get(version) + FFA_MEM_REGION_SZ(version);
}

/** PACK_HANDLE(lo, hi) / HANDLE_LOW / HANDLE_HIGH. */
export const PACK_HANDLE = (lo: bigint, hi: bigint): bigint => ((hi & 0xffff_ffffn) << 32n) | (lo & 0xffff_ffffn);
export const HANDLE_LOW = (h: bigint): bigint => h & 0xffff_ffffn;
export const HANDLE_HIGH = (h: bigint): bigint => (h >> 32n) & 0xffff_ffffn;

/** FF-A v1.1 partition information descriptor (24 bytes; v1.0 has the first 8). */
export const FFA_1_0_PARTITON_INFO_SZ = 8;
export const FFA_1_1_PARTITON_INFO_SZ = 24;
export const FFA_PARTITION_DIRECT_RECV = 1 << 0;
export const FFA_PARTITION_DIRECT_SEND = 1 << 1;
export const FFA_PARTITION_AARCH64_EXEC = 1 << 8;

/** ARM_SMCCC_FUNC_NUM range of FF-A (nvhe/ffa.h FFA_MIN_FUNC_NUM / FFA_MAX_FUNC_NUM). */
export const FFA_MIN_FUNC_NUM = 0x60;
export const FFA_MAX_FUNC_NUM = 0xff;

/** Little-endian helpers over a descriptor buffer. */
export class Desc {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) { this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  has(off: number, n: number): boolean { return off >= 0 && off + n <= this.b.length; }
  u8(o: number): number { return this.dv.getUint8(o); }
  u16(o: number): number { return this.dv.getUint16(o, true); }
  u32(o: number): number { return this.dv.getUint32(o, true); }
  u64(o: number): bigint { return this.dv.getBigUint64(o, true); }
  set8(o: number, v: number): void { this.dv.setUint8(o, v); }
  set16(o: number, v: number): void { this.dv.setUint16(o, v, true); }
  set32(o: number, v: number): void { this.dv.setUint32(o, v >>> 0, true); }
  set64(o: number, v: bigint): void { this.dv.setBigUint64(o, BigInt.asUintN(64, v), true); }
}

export interface FfaMemRange { address: bigint; pg_cnt: number }

/**
 * Builds a memory transaction descriptor (ffa_setup_and_transmit() in drivers/firmware/arm_ffa/driver.c):
 * header, one EMAD per receiver, the composite and its constituents, in the layout of `version`.
 * `total_pg_cnt` defaults to the sum of the ranges (a test passes another value to make it lie).
 */
export function ffa_build_mem_region(o: {
  version: number; sender: number; receivers: number[]; ranges: FfaMemRange[]; flags?: number; tag?: bigint;
  attributes?: number; access?: number; total_pg_cnt?: number; addr_range_cnt?: number; handle?: bigint;
}): Uint8Array {
  const nattrs = o.receivers.length;
  const composite_off = ffa_mem_desc_offset(nattrs, o.version);
  const len = composite_off + CONSTITUENTS_OFFSET(o.ranges.length);
  const d = new Desc(new Uint8Array(len));
  d.set16(MEM_REGION_SENDER_ID, o.sender);
  d.set16(MEM_REGION_ATTRIBUTES, o.attributes ?? (FFA_MEM_NORMAL | FFA_MEM_WRITE_BACK | FFA_MEM_INNER_SHAREABLE));
  d.set32(MEM_REGION_FLAGS, o.flags ?? 0);
  d.set64(MEM_REGION_HANDLE, o.handle ?? 0n);
  d.set64(MEM_REGION_TAG, o.tag ?? 0n);
  d.set32(MEM_REGION_EP_COUNT, nattrs);
  if (o.version > FFA_VERSION_1_0) {
    d.set32(MEM_REGION_EP_MEM_SIZE, ffa_emad_size_get(o.version));
    d.set32(MEM_REGION_EP_MEM_OFFSET, SIZEOF_FFA_MEM_REGION);
  }
  o.receivers.forEach((r, i) => {
    const e = ffa_mem_desc_offset(i, o.version);
    d.set16(e + EMAD_RECEIVER, r);
    d.set8(e + EMAD_ATTRS, o.access ?? (FFA_MEM_RW | FFA_MEM_NO_EXEC));
    d.set32(e + EMAD_COMPOSITE_OFF, composite_off);
  });
  d.set32(composite_off + COMPOSITE_TOTAL_PG_CNT, o.total_pg_cnt ?? o.ranges.reduce((s, r) => s + r.pg_cnt, 0));
  d.set32(composite_off + COMPOSITE_ADDR_RANGE_CNT, o.addr_range_cnt ?? o.ranges.length);
  o.ranges.forEach((r, i) => {
    const c = composite_off + CONSTITUENTS_OFFSET(i);
    d.set64(c, r.address);
    d.set32(c + 8, r.pg_cnt);
  });
  return d.b;
}
