/**
 * The stage-2 walk an SMMU performs for a stream whose STE selects stage-2
 * translation: VMSAv8-64 descriptors, 4 KiB granule, with the STE's S2TTB
 * (a VTTBR_EL2 value) and S2 translation control (a VTCR_EL2 value).
 *
 * coreStage2Walk() is the machine's own walker (core.walkStage2, the code the
 * CPU uses for its stage-2 TLB misses), so IOMMU tables are read by exactly
 * the walker that reads CPU tables. softStage2Walk() is a reference walker in
 * TypeScript over a PhysMem for harnesses that have no core (the ArrayPhysMem
 * hyp tests and the property-based fuzzer); test/iommu checks the two agree.
 */
import type { Core } from '../../machine/core';
import type { PhysMem } from '../phys-mem';

/** Fault types as the core records them (core-as/fault.ts). */
export const WALK_FAULT_TRANSLATION = 1;
export const WALK_FAULT_ACCESS_FLAG = 2;
export const WALK_FAULT_PERMISSION = 3;
export const WALK_FAULT_ADDRESS_SIZE = 4;
export const WALK_FAULT_EXTERNAL_WALK = 7;

/** Stage-2 permission bits of a leaf: S2AP[0] read, S2AP[1] write. */
export const S2_PERM_R = 1;
export const S2_PERM_W = 2;

export interface S2WalkOk { pa: bigint; perms: number; level: number }
export interface S2WalkFault { fault: { type: number; level: number; fsc: number } }
export type S2WalkResult = S2WalkOk | S2WalkFault;
/** Translate `ipa` for a read or a write through the stage-2 tables at `vttbr` under `vtcr`. */
export type Stage2Walk = (ipa: bigint, write: boolean, vttbr: bigint, vtcr: bigint) => S2WalkResult;

export function coreStage2Walk(core: Core): Stage2Walk {
  return (ipa, write, vttbr, vtcr) => {
    const r = core.walkStage2(ipa, write ? 'w' : 'r', vttbr, vtcr);
    if ('pa' in r) {
      const w = core.lastWalk();
      return { pa: r.pa, perms: w.perms & (S2_PERM_R | S2_PERM_W), level: w.level };
    }
    return { fault: { type: r.fault.type, level: r.fault.level, fsc: r.fault.fsc } };
  };
}

const PS_BITS = [32, 36, 40, 42, 44, 48, 52, 52];
const ADDR_47_12 = ((1n << 48n) - 1n) & ~0xfffn;
const BADDR_47_1 = ((1n << 48n) - 1n) & ~1n;

function fsc(type: number, level: number): number {
  const lvl = level & 3;
  switch (type) {
    case WALK_FAULT_ADDRESS_SIZE: return level < 0 ? 0x29 : lvl;
    case WALK_FAULT_TRANSLATION: return level < 0 ? 0x2b : 0x04 | lvl;
    case WALK_FAULT_ACCESS_FLAG: return 0x08 | lvl;
    case WALK_FAULT_PERMISSION: return 0x0c | lvl;
    case WALK_FAULT_EXTERNAL_WALK: return 0x14 | lvl;
    default: return 0x10;
  }
}
const fault = (type: number, level: number): S2WalkFault => ({ fault: { type, level, fsc: fsc(type, level) } });

/** AArch64 stage-2 walk (4 KiB granule, no LPA2), as core-as/walk.ts walkS2() does it. */
export function softStage2Walk(mem: PhysMem): Stage2Walk {
  return (ipa, write, vttbr, vtcr) => {
    const tsz = Number(vtcr & 63n);
    const sl0 = Number((vtcr >> 6n) & 3n);
    const inBits = 64 - tsz;
    if (((vtcr >> 14n) & 3n) !== 0n || sl0 === 3) return fault(WALK_FAULT_TRANSLATION, 0);
    let level = 2 - sl0;
    const levels = 3 - level;
    const minIa = levels * 9 + 13;
    if (inBits < minIa || inBits > minIa + 12 || ipa >> BigInt(inBits) !== 0n) return fault(WALK_FAULT_TRANSLATION, 0);
    const outBits = BigInt(PS_BITS[Number((vtcr >> 16n) & 7n)]!);
    let shift = BigInt(12 + 9 * levels);
    let idxMask = (1n << (BigInt(inBits) - shift)) - 1n;
    let base = vttbr & BADDR_47_1;
    if (base >> outBits) return fault(WALK_FAULT_ADDRESS_SIZE, level);
    base &= ~((idxMask << 3n) | 7n);
    for (;;) {
      const pa = base | (((ipa >> shift) & idxMask) << 3n);
      if (!mem.isMemory(pa)) return fault(WALK_FAULT_EXTERNAL_WALK, level);
      const d = mem.readU64(pa);
      if (!(d & 1n)) return fault(WALK_FAULT_TRANSLATION, level);
      const addr = d & ADDR_47_12;
      if (d & 2n && level < 3) {
        if (addr >> outBits) return fault(WALK_FAULT_ADDRESS_SIZE, level);
        base = addr;
        level++;
        shift -= 9n;
        idxMask = 511n;
        continue;
      }
      if (level === 3 ? !(d & 2n) : level === 0) return fault(WALK_FAULT_TRANSLATION, level);
      if (addr >> outBits) return fault(WALK_FAULT_ADDRESS_SIZE, level);
      if (!(d & (1n << 10n))) return fault(WALK_FAULT_ACCESS_FLAG, level);
      const perms = Number((d >> 6n) & 3n);
      if (!(perms & (write ? S2_PERM_W : S2_PERM_R))) return fault(WALK_FAULT_PERMISSION, level);
      const blockMask = (1n << shift) - 1n;
      return { pa: (addr & ~blockMask) | (ipa & blockMask), perms, level };
    }
  };
}
