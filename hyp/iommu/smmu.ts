/**
 * An Arm SMMUv3 as the hypervisor owns it under pKVM: a linear stream table of
 * STEs (stage-2 translation, bypass or abort per stream id), a configuration
 * cache and an IOTLB tagged by VMID, a command interface (CMD_CFGI_STE,
 * CMD_TLBI_S12_VMALL, CMD_TLBI_S2_IPA, CMD_TLBI_NSNH_ALL, CMD_SYNC) and an
 * event queue of faults. Device DMA reaches memory only through translate().
 *
 * Translation tables are read with a Stage2Walk (the core's walker on a real
 * board), so the SMMU sees exactly the descriptors the hyp wrote. Cached
 * state is real: an IOTLB entry survives a change of the tables until the hyp
 * invalidates it, as on hardware. With STE.S2S (stall) set, a faulting
 * transaction is offered to the hyp (onStall) before it is terminated, as a
 * stalled transaction is resumed or terminated by CMD_RESUME.
 *
 * The registers of the real device (SMMU_CR0, queues in memory) are not
 * modelled: the hyp calls the methods below directly. Under pKVM the SMMU MMIO
 * frame is donated to the hyp, so the host never reaches it either.
 */
import { SMMU_EVT, SMMU_EVT_NAMES, type SmmuEventName } from './defs';
import {
  S2_PERM_R, S2_PERM_W, WALK_FAULT_ACCESS_FLAG, WALK_FAULT_ADDRESS_SIZE, WALK_FAULT_EXTERNAL_WALK,
  WALK_FAULT_PERMISSION, WALK_FAULT_TRANSLATION, type Stage2Walk,
} from './walk';

/** A Stream Table Entry reduced to the fields the model uses (STE.Config, S2VMID, S2TTB, S2 VTCR, S2S). */
export interface SmmuSte {
  config: 'abort' | 'bypass' | 's2';
  vmid: number;
  vttbr: bigint;
  vtcr: bigint;
  /** STE.S2S: stall faulting transactions (offer them to onStall) instead of terminating them. */
  s2s: boolean;
}

export interface SmmuEvent {
  type: number;
  name: SmmuEventName;
  sid: number;
  iova: bigint;
  write: boolean;
  /** Fault status code of a walk fault (DFSC encoding), when there was a walk. */
  fsc?: number;
}

export type SmmuCmd =
  | { op: 'CFGI_STE'; sid: number }
  | { op: 'CFGI_ALL' }
  | { op: 'TLBI_S12_VMALL'; vmid: number }
  | { op: 'TLBI_S2_IPA'; vmid: number; ipa: bigint; size: bigint }
  | { op: 'TLBI_NSNH_ALL' }
  | { op: 'CMD_SYNC' };

interface IotlbEntry { vmid: number; page: bigint; paPage: bigint; perms: number }

export type SmmuTranslation = { pa: bigint } | { fault: SmmuEvent };

const PAGE_SHIFT = 12n;
const PAGE_OFF = 0xfffn;
const EVTQ_MAX = 256;

export class Smmuv3 {
  /** Linear stream table: one STE per stream id (null = STE.V == 0). */
  readonly strtab: (SmmuSte | null)[];
  /** Configuration cache: STEs as last fetched, dropped by CMD_CFGI_STE. */
  private readonly cfgCache = new Map<number, SmmuSte | null>();
  /** IOTLB: one entry per (VMID, 4 KiB page), FIFO replacement. */
  private readonly iotlb = new Map<string, IotlbEntry>();
  /** Event queue: faults of terminated transactions, oldest first (bounded). */
  readonly evtq: SmmuEvent[] = [];
  readonly stats = { iotlbHit: 0, iotlbMiss: 0, walks: 0, stalls: 0, faults: 0, cmds: 0 };
  /** The hyp's handler for stalled transactions: 'retry' resumes (one more walk), 'terminate' aborts. */
  onStall: ((ev: SmmuEvent) => 'retry' | 'terminate') | null = null;
  /** Observer of terminated transactions (trace). */
  onEvent: ((ev: SmmuEvent) => void) | null = null;

  constructor(readonly walk: Stage2Walk, readonly nrStreams: number, readonly iotlbSize = 64) {
    this.strtab = new Array<SmmuSte | null>(nrStreams).fill(null);
  }

  /** The hyp writes an STE (it must then issue CMD_CFGI_STE and CMD_SYNC). */
  write_ste(sid: number, ste: SmmuSte | null): void {
    if (sid < 0 || sid >= this.nrStreams) throw new RangeError(`smmu: no STE for stream ${sid}`);
    this.strtab[sid] = ste ? { ...ste } : null;
  }

  cmd(c: SmmuCmd): void {
    this.stats.cmds++;
    switch (c.op) {
      case 'CFGI_STE': this.cfgCache.delete(c.sid); break;
      case 'CFGI_ALL': this.cfgCache.clear(); break;
      case 'TLBI_S12_VMALL': for (const [k, e] of this.iotlb) if (e.vmid === c.vmid) this.iotlb.delete(k); break;
      case 'TLBI_S2_IPA': {
        const first = c.ipa >> PAGE_SHIFT;
        const last = (c.ipa + (c.size > 0n ? c.size : 1n) - 1n) >> PAGE_SHIFT;
        for (const [k, e] of this.iotlb) if (e.vmid === c.vmid && e.page >= first && e.page <= last) this.iotlb.delete(k);
        break;
      }
      case 'TLBI_NSNH_ALL': this.iotlb.clear(); break;
      case 'CMD_SYNC': break; /* commands complete synchronously */
    }
  }

  /** Number of IOTLB entries (for tests and invariants). */
  iotlbEntries(): { vmid: number; iova: bigint; pa: bigint; perms: number }[] {
    return [...this.iotlb.values()].map((e) => ({ vmid: e.vmid, iova: e.page << PAGE_SHIFT, pa: e.paPage << PAGE_SHIFT, perms: e.perms }));
  }

  private ste(sid: number): SmmuSte | null {
    if (this.cfgCache.has(sid)) return this.cfgCache.get(sid)!;
    const s = this.strtab[sid] ? { ...this.strtab[sid]! } : null;
    this.cfgCache.set(sid, s);
    return s;
  }

  private event(type: number, sid: number, iova: bigint, write: boolean, fsc?: number): SmmuEvent {
    return { type, name: SMMU_EVT_NAMES[type]!, sid, iova, write, ...(fsc === undefined ? {} : { fsc }) };
  }

  private terminate(ev: SmmuEvent): { fault: SmmuEvent } {
    this.stats.faults++;
    this.evtq.push(ev);
    if (this.evtq.length > EVTQ_MAX) this.evtq.shift();
    this.onEvent?.(ev);
    return { fault: ev };
  }

  private walkFault(type: number): number {
    switch (type) {
      case WALK_FAULT_TRANSLATION: return SMMU_EVT.F_TRANSLATION;
      case WALK_FAULT_ACCESS_FLAG: return SMMU_EVT.F_ACCESS;
      case WALK_FAULT_PERMISSION: return SMMU_EVT.F_PERMISSION;
      case WALK_FAULT_ADDRESS_SIZE: return SMMU_EVT.F_ADDR_SIZE;
      case WALK_FAULT_EXTERNAL_WALK: return SMMU_EVT.F_WALK_EABT;
      default: return SMMU_EVT.F_WALK_EABT;
    }
  }

  /** Translate one access of stream `sid` to `iova`; a fault ends the transaction (recorded in evtq). */
  translate(sid: number, iova: bigint, write: boolean): SmmuTranslation {
    if (sid < 0 || sid >= this.nrStreams) return this.terminate(this.event(SMMU_EVT.C_BAD_STREAMID, sid, iova, write));
    const ste = this.ste(sid);
    if (!ste) return this.terminate(this.event(SMMU_EVT.C_BAD_STE, sid, iova, write));
    if (ste.config === 'abort') return this.terminate(this.event(SMMU_EVT.F_STREAM_DISABLED, sid, iova, write));
    if (ste.config === 'bypass') return { pa: iova };
    const need = write ? S2_PERM_W : S2_PERM_R;
    const key = `${ste.vmid}:${iova >> PAGE_SHIFT}`;
    const hit = this.iotlb.get(key);
    if (hit && hit.perms & need) {
      this.stats.iotlbHit++;
      return { pa: (hit.paPage << PAGE_SHIFT) | (iova & PAGE_OFF) };
    }
    this.stats.iotlbMiss++;
    for (let attempt = 0; ; attempt++) {
      this.stats.walks++;
      const r = this.walk(iova, write, ste.vttbr, ste.vtcr);
      if ('pa' in r) {
        this.iotlb.delete(key);
        this.iotlb.set(key, { vmid: ste.vmid, page: iova >> PAGE_SHIFT, paPage: r.pa >> PAGE_SHIFT, perms: r.perms });
        if (this.iotlb.size > this.iotlbSize) this.iotlb.delete(this.iotlb.keys().next().value!);
        return { pa: r.pa };
      }
      const ev = this.event(this.walkFault(r.fault.type), sid, iova, write, r.fault.fsc);
      if (ste.s2s && attempt === 0 && ev.type !== SMMU_EVT.F_WALK_EABT && this.onStall) {
        this.stats.stalls++;
        if (this.onStall(ev) === 'retry') continue;
      }
      return this.terminate(ev);
    }
  }
}
