/**
 * The one secure partition behind the SPMC (FF-A ID 0x8001), a test service reached by direct
 * request (FFA_MSG_SEND_DIRECT_REQ, 32 or 64, from the normal world's endpoint 0). It uses memory
 * the normal world shared or lent to it as a partition does: it retrieves the transaction (the
 * SPMC checks it is a receiver), reads and writes it at an offset, and relinquishes it.
 *
 *   x1 = sender << 16 | receiver (must be 0 → 0x8001), x3 = command, x4/x5 = handle low/high,
 *   x6 = byte offset (8-aligned), x7 = value for a write.
 *   Commands: 1 RETRIEVE, 2 RELINQUISH, 3 READ (u64 → x4 of the response), 4 WRITE (u64).
 *   Response: FFA_MSG_SEND_DIRECT_RESP of the same width, x1 = 0x8001 << 16 | 0, x3 = status (an
 *   FF-A error code: 0, INVALID_PARAMETERS for an unknown handle or command, DENIED for memory not
 *   retrieved / read-only / not ours, past the end of the transaction), x4 = value.
 * A direct request that is not addressed from 0 to 0x8001 is FFA_ERROR(INVALID_PARAMETERS).
 */
import {
  FFA_FN64_MSG_SEND_DIRECT_REQ, FFA_FN64_MSG_SEND_DIRECT_RESP, FFA_MSG_SEND_DIRECT_RESP, FFA_PARTITION_AARCH64_EXEC,
  FFA_PARTITION_DIRECT_RECV, FFA_RET_DENIED, FFA_RET_INVALID_PARAMETERS, PACK_HANDLE,
} from './abi';
import { NS_ENDPOINT_ID, ffa_error, regs, type FfaRegs, type FfaSpmc } from './spmc';

export const SP_ID = 0x8001;
export const SP_CMD_RETRIEVE = 1;
export const SP_CMD_RELINQUISH = 2;
export const SP_CMD_READ = 3;
export const SP_CMD_WRITE = 4;

export class SecurePartition {
  /** The partition's UUID as FFA_PARTITION_INFO_GET takes it (four words). */
  readonly uuid = [0x706b_766d, 0x2d65_6d75, 0x2d66_6661, 0x2d73_7031];
  readonly properties = FFA_PARTITION_DIRECT_RECV | FFA_PARTITION_AARCH64_EXEC;
  constructor(private readonly spmc: FfaSpmc) {}

  direct_req(fid: bigint, x: bigint[]): FfaRegs {
    const w1 = Number(x[1]! & 0xffff_ffffn);
    if (w1 >>> 16 !== NS_ENDPOINT_ID || (w1 & 0xffff) !== SP_ID) return ffa_error(FFA_RET_INVALID_PARAMETERS);
    const narrow = fid !== FFA_FN64_MSG_SEND_DIRECT_REQ;
    const { status, value } = this.serve(Number(x[3]! & 0xffff_ffffn), PACK_HANDLE(x[4]!, x[5]!), narrow ? x[6]! & 0xffff_ffffn : x[6]!, x[7]!, narrow);
    return regs(narrow ? FFA_MSG_SEND_DIRECT_RESP : FFA_FN64_MSG_SEND_DIRECT_RESP, ((SP_ID << 16) | NS_ENDPOINT_ID) >>> 0, 0,
      BigInt.asUintN(32, BigInt(status)), value);
  }

  /** The service itself; also the test hook for "the partition uses the memory" without an SMC. */
  serve(cmd: number, handle: bigint, offset: bigint, value: bigint, narrow = false): { status: number; value: bigint } {
    const mem = this.spmc.mem;
    const t = mem.byHandle.get(handle);
    if (!t || !t.complete || mem.access(t, SP_ID) === null) return { status: FFA_RET_INVALID_PARAMETERS, value: 0n };
    switch (cmd) {
      case SP_CMD_RETRIEVE: t.retrieved++; return { status: 0, value: 0n };
      case SP_CMD_RELINQUISH:
        if (!t.retrieved) return { status: FFA_RET_DENIED, value: 0n };
        t.retrieved--;
        return { status: 0, value: 0n };
      case SP_CMD_READ: case SP_CMD_WRITE: {
        if (!t.retrieved || offset % 8n) return { status: FFA_RET_DENIED, value: 0n };
        const pa = mem.pa(t, offset);
        if (pa === null) return { status: FFA_RET_DENIED, value: 0n };
        if (cmd === SP_CMD_READ) {
          const b = this.spmc.nsMem.read(pa, 8);
          const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
          return { status: 0, value: narrow ? v & 0xffff_ffffn : v };
        }
        if (!mem.writable(t, SP_ID)) return { status: FFA_RET_DENIED, value: 0n };
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
        this.spmc.nsMem.write(pa, b);
        return { status: 0, value: 0n };
      }
    }
    return { status: FFA_RET_INVALID_PARAMETERS, value: 0n };
  }
}
