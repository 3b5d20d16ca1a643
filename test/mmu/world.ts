// A small machine state for MMU program tests: EL1 stage 1 (39-bit VA, 3 levels) with RAM
// identity-mapped by a 1 GiB block for EL1, test pages below 1 GiB, spinning vector tables, and
// optionally a stage 2 (40-bit IPA) identity-mapping [0, 4 GiB) with 1 GiB blocks.
import { Core, SR } from '../../machine/core';
import {
  A, HCR_RW, HCR_VM, RAM, S2_RW, Tables, block, identityStage2, makeCore, mov64, s1Start, s2MemAttr, s2Start,
  spinVectors, tcrEl1, vtcr, writeWords,
} from './pt';

export const CODE = RAM + 0x8_0000n; // PA = VA (identity block)
export const VEC_EL1 = RAM + 0x1_0000n;
export const VEC_EL2 = RAM + 0x2_0000n;
export const DATA = RAM + 0x30_0000n; // scratch RAM pages for test mappings
export const SCTLR_EL1_MMU = 0x30d00801n | (1n << 2n) | (1n << 12n); // M, C, I
export const VMID = 9n;

export interface World {
  core: Core;
  s1: Tables;
  root: bigint;
  start: { level: number; bits: number };
  s2?: Tables;
  s2root?: bigint;
  s2start?: { level: number; bits: number };
  /** Maps test VA page → output (IPA or PA) with a complete page descriptor. */
  map(va: bigint, desc: bigint): bigint;
  /** Loads `words` at CODE and runs from `entry` (default CODE) at `el` for up to `budget` instructions. */
  run(words: number[], budget?: number, el?: number, entry?: bigint): void;
}

export function world(opts: { stage2?: boolean; asid?: bigint; ips?: number } = {}): World {
  const core = makeCore(true);
  spinVectors(core, VEC_EL1);
  spinVectors(core, VEC_EL2);
  const s1 = new Tables(core, RAM + 0x100_0000n);
  const start = s1Start(39);
  const root = s1.alloc();
  s1.map(root, start, RAM, 1, block(RAM)); // EL1 RW, executable
  let s2: Tables | undefined, s2root: bigint | undefined;
  const w: World = {
    core, s1, root, start,
    map: (va, desc) => s1.map(root, start, va, 3, desc),
    run(words, budget = 1000, el = 1, entry = CODE) {
      writeWords(core, CODE, words);
      core.reset(el, entry);
      configure();
      core.run(budget);
    },
  };
  if (opts.stage2) {
    s2 = new Tables(core, RAM + 0x200_0000n);
    s2root = identityStage2(s2);
    w.s2 = s2; w.s2root = s2root; w.s2start = s2Start(40, 1);
  }
  function configure(): void {
    core.setSysreg(SR.MAIR_EL1, 0x44_00_ffn);
    core.setSysreg(SR.TTBR0_EL1, root | ((opts.asid ?? 1n) << 48n));
    core.setSysreg(SR.TCR_EL1, (tcrEl1(25, 25) & ~(7n << 32n)) | (BigInt(opts.ips ?? 5) << 32n));
    core.setSysreg(SR.SCTLR_EL1, SCTLR_EL1_MMU);
    core.setSysreg(SR.VBAR_EL1, VEC_EL1);
    core.setSysreg(SR.VBAR_EL2, VEC_EL2);
    core.setSysreg(SR.SP_EL1, RAM + 0x7_0000n);
    if (s2root !== undefined) {
      core.setSysreg(SR.VTTBR_EL2, s2root | (VMID << 48n));
      core.setSysreg(SR.VTCR_EL2, vtcr(24, 1));
      core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
    } else {
      core.setSysreg(SR.HCR_EL2, HCR_RW);
    }
  }
  return w;
}

export { A, mov64, S2_RW, s2MemAttr, block };
