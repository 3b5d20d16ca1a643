// TLB behaviour: the tagged TLB (VMID/ASID/global) and the stage-2 walk cache keep translations
// until the TLBI the architecture says removes them, and no longer; entries of one VMID or ASID
// never serve another. `cached()` translates through the caches (core.x.benchTranslate with one
// iteration); core.walk() never uses them. Program tests check the same through the fast TLB.
import { describe, expect, it } from 'vitest';
import { Core, SR, MMU_EL1, MMU_EL2 } from '../../machine/core';
import {
  A, HCR_RW, HCR_VM, NG, RAM, S2_RW, Tables, block, makeCore, mov64, page, s1Start, s2MemAttr, s2Start, tcrEl1,
  tlbiInsn, vtcr,
} from './pt';
import { CODE, DATA, world } from './world';

const U64 = (1n << 64n) - 1n;
const N = s2MemAttr(0xf);

function cached(core: Core, va: bigint, idx = MMU_EL1, acc = 0): bigint {
  return core.x.benchTranslate(BigInt.asIntN(64, va), 1, 0n, 0, acc, idx) & U64;
}

/** EL1&0 stage 1 with two roots (ASID 1 and ASID 2) mapping the same VA differently. */
function twoAsids() {
  const core = makeCore();
  const t = new Tables(core, RAM + 0x100_0000n);
  const start = s1Start(48);
  const rootA = t.alloc(), rootB = t.alloc();
  core.setSysreg(SR.TCR_EL1, tcrEl1(16, 16, 1n << 36n)); // AS: 16-bit ASIDs
  core.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
  const useA = () => core.setSysreg(SR.TTBR0_EL1, rootA | (1n << 48n));
  const useB = () => core.setSysreg(SR.TTBR0_EL1, rootB | (0x1234n << 48n));
  return { core, t, start, rootA, rootB, useA, useB };
}

describe('tagged TLB: ASIDs and global entries', () => {
  it('keeps a translation until TLBI VAE1 removes it', () => {
    const { core, t, start, rootA, useA } = twoAsids();
    useA();
    const slot = t.map(rootA, start, 0x5000n, 3, page(RAM + 0x1000n, NG));
    expect(cached(core, 0x5008n)).toBe(RAM + 0x1008n);
    core.writePhysU64(slot, page(RAM + 0x2000n, NG));
    expect(cached(core, 0x5008n)).toBe(RAM + 0x1008n); // stale: no TLBI yet
    expect(core.walk(0x5008n, 'r', MMU_EL1)).toEqual({ pa: RAM + 0x2008n }); // a walk sees memory
    core.tlbi('VAE1', (0x1234n << 48n) | 5n); // other ASID: no effect
    expect(cached(core, 0x5008n)).toBe(RAM + 0x1008n);
    core.tlbi('VAE1', (1n << 48n) | 6n); // other page: no effect
    expect(cached(core, 0x5008n)).toBe(RAM + 0x1008n);
    core.tlbi('VALE1IS', (1n << 48n) | 5n);
    expect(cached(core, 0x5008n)).toBe(RAM + 0x2008n);
  });

  it('entries of one ASID never serve another, and survive TTBR0 switches (refill from the tagged TLB)', () => {
    const { core, t, start, rootA, rootB, useA, useB } = twoAsids();
    const slotA = t.map(rootA, start, 0x7000n, 3, page(RAM + 0xa000n, NG));
    t.map(rootB, start, 0x7000n, 3, page(RAM + 0xb000n, NG));
    useA(); expect(cached(core, 0x7000n)).toBe(RAM + 0xa000n);
    useB(); expect(cached(core, 0x7000n)).toBe(RAM + 0xb000n);
    core.writePhysU64(slotA, page(RAM + 0xc000n, NG));
    core.mmuStats(true);
    useA(); expect(cached(core, 0x7000n)).toBe(RAM + 0xa000n); // ASID 1's entry, still cached
    useB(); expect(cached(core, 0x7000n)).toBe(RAM + 0xb000n);
    expect(core.mmuStats()).toMatchObject({ tlbHit: 2, tlbMiss: 0 });
    core.tlbi('ASIDE1', 0x1234n << 48n); // ASID 0x1234 only
    useA(); expect(cached(core, 0x7000n)).toBe(RAM + 0xa000n);
    core.tlbi('ASIDE1IS', 1n << 48n);
    expect(cached(core, 0x7000n)).toBe(RAM + 0xc000n);
  });

  it('global entries match every ASID; ASIDE1 keeps them, VAAE1 and VMALLE1 remove them', () => {
    const { core, t, start, rootA, useA, useB } = twoAsids();
    const slot = t.map(rootA, start, 0x9000n, 3, page(RAM + 0x1000n)); // nG = 0
    useA(); expect(cached(core, 0x9000n)).toBe(RAM + 0x1000n);
    useB(); expect(cached(core, 0x9000n)).toBe(RAM + 0x1000n); // rootB maps nothing: global entry hit
    core.writePhysU64(slot, page(RAM + 0x2000n));
    core.tlbi('ASIDE1', 1n << 48n);
    core.tlbi('VAE1', (0x1234n << 48n) | 0x10n);
    expect(cached(core, 0x9000n)).toBe(RAM + 0x1000n);
    core.tlbi('VAAE1', 9n);
    useA(); expect(cached(core, 0x9000n)).toBe(RAM + 0x2000n);
    core.writePhysU64(slot, page(RAM + 0x3000n));
    core.tlbi('VMALLE1');
    expect(cached(core, 0x9000n)).toBe(RAM + 0x3000n);
  });

  it('TLBI by VA in a block removes every entry derived from that block', () => {
    const { core, t, start, rootA, useA } = twoAsids();
    useA();
    const slot = t.map(rootA, start, 0x4000_0000n, 2, block(RAM + 0x20_0000n, NG));
    expect(cached(core, 0x4000_1000n)).toBe(RAM + 0x20_1000n);
    expect(cached(core, 0x4010_5000n)).toBe(RAM + 0x30_5000n);
    core.writePhysU64(slot, block(RAM + 0x40_0000n, NG));
    core.tlbi('VAE1', (1n << 48n) | (0x4008_0000n >> 12n)); // another page of the same block
    expect(cached(core, 0x4000_1000n)).toBe(RAM + 0x40_1000n);
    expect(cached(core, 0x4010_5000n)).toBe(RAM + 0x50_5000n);
  });

  it('blocks in more places than the cache keeps ranges for: TLBI by VA in any of them still removes its entries', () => {
    const { core, t, start, rootA, useA } = twoAsids();
    useA();
    // Six 2 MiB blocks far apart (more than the four block ranges a regime keeps: some merge),
    // and a 4 KiB page between two of them.
    const vas = [0x4000_0000n, 0x80_0000_0000n, 0x200_0000_0000n, 0x8000_0000n, 0x10_0000_0000n, 0x7f_0000_0000n];
    const slots = vas.map((va, i) => t.map(rootA, start, va, 2, block(RAM + 0x20_0000n * BigInt(i + 1), NG)));
    const pslot = t.map(rootA, start, 0x1_0000_0000n, 3, page(RAM + 0x1000n, NG));
    vas.forEach((va, i) => expect(cached(core, va + 0x1_5000n)).toBe(RAM + 0x20_0000n * BigInt(i + 1) + 0x1_5000n));
    expect(cached(core, 0x1_0000_0008n)).toBe(RAM + 0x1008n);
    slots.forEach((s, i) => core.writePhysU64(s, block(RAM + 0x20_0000n * BigInt(i + 8), NG)));
    core.writePhysU64(pslot, page(RAM + 0x2000n, NG));
    core.tlbi('VAE1', (1n << 48n) | (0x1_0000_0000n >> 12n));
    expect(cached(core, 0x1_0000_0008n)).toBe(RAM + 0x2008n);
    vas.forEach((va, i) => {
      core.tlbi('VAE1', (1n << 48n) | ((va + 0x18_0000n) >> 12n)); // another page of the same block
      expect(cached(core, va + 0x1_5000n)).toBe(RAM + 0x20_0000n * BigInt(i + 8) + 0x1_5000n);
    });
  });

  it('a 1 GiB block: TLBI by VA of any of its pages removes the entries of its other pages', () => {
    const { core, t, start, rootA, useA } = twoAsids();
    useA();
    const slot = t.map(rootA, start, 0x80_4000_0000n, 1, block(0x4000_0000n, NG));
    const small = t.map(rootA, start, 0x4000_0000n, 2, block(RAM + 0x20_0000n, NG));
    expect(cached(core, 0x80_4000_5000n)).toBe(0x4000_5000n);
    expect(cached(core, 0x80_7ff0_0000n)).toBe(0x7ff0_0000n);
    expect(cached(core, 0x4000_1000n)).toBe(RAM + 0x20_1000n);
    core.writePhysU64(slot, block(0x8000_0000n, NG));
    core.writePhysU64(small, block(RAM + 0x40_0000n, NG));
    core.tlbi('VAE1', (1n << 48n) | (0x80_5000_0000n >> 12n));
    expect(cached(core, 0x80_4000_5000n)).toBe(0x8000_5000n);
    expect(cached(core, 0x80_7ff0_0000n)).toBe(0xbff0_0000n);
    core.tlbi('VAE1', (1n << 48n) | (0x401f_f000n >> 12n));
    expect(cached(core, 0x4000_1000n)).toBe(RAM + 0x40_1000n);
  });

  it('block entries of the TTBR1 range: TLBI VAAE1 of any page in the block removes them all', () => {
    const { core, t, start, rootB, useA } = twoAsids();
    useA();
    core.setSysreg(SR.TTBR1_EL1, rootB);
    const kva = 0xffff_8000_4000_0000n;
    const slot = t.map(rootB, start, kva, 2, block(RAM + 0x20_0000n)); // global 2 MiB block
    t.map(core.sysreg(SR.TTBR0_EL1) & 0xffff_ffff_f000n, start, 0x3000n, 3, page(RAM + 0x1000n)); // a user page
    expect(cached(core, kva + 0x3000n)).toBe(RAM + 0x20_3000n);
    expect(cached(core, kva + 0x1f_f000n)).toBe(RAM + 0x3f_f000n);
    expect(cached(core, 0x3000n)).toBe(RAM + 0x1000n);
    core.writePhysU64(slot, block(RAM + 0x60_0000n));
    core.tlbi('VAAE1IS', 0x3n); // a user page: the kernel block stays
    expect(cached(core, kva + 0x3000n)).toBe(RAM + 0x20_3000n);
    core.tlbi('VAAE1IS', ((kva + 0x10_0000n) >> 12n) & 0xfff_ffff_ffffn);
    expect(cached(core, kva + 0x3000n)).toBe(RAM + 0x60_3000n);
    expect(cached(core, kva + 0x1f_f000n)).toBe(RAM + 0x7f_f000n);
  });

  it('TCR_EL1.AS = 0: 8-bit ASIDs from TTBR0[55:48]; TCR_EL1.A1 takes the ASID from TTBR1', () => {
    const { core, t, start, rootA, rootB } = twoAsids();
    core.setSysreg(SR.TCR_EL1, tcrEl1(16, 16, 1n << 22n)); // A1, AS = 0
    const slot = t.map(rootA, start, 0x3000n, 3, page(RAM + 0x1000n, NG));
    core.setSysreg(SR.TTBR0_EL1, rootA | (0x77n << 48n));
    core.setSysreg(SR.TTBR1_EL1, rootB | (0x0105n << 48n)); // ASID = 0x05 (8 bits)
    expect(cached(core, 0x3000n)).toBe(RAM + 0x1000n);
    core.writePhysU64(slot, page(RAM + 0x2000n, NG));
    core.tlbi('ASIDE1', 0x77n << 48n); // TTBR0's field is not the ASID with A1 = 1
    expect(cached(core, 0x3000n)).toBe(RAM + 0x1000n);
    core.tlbi('ASIDE1', 0x05n << 48n);
    expect(cached(core, 0x3000n)).toBe(RAM + 0x2000n);
  });
});

describe('tagged TLB: VMIDs and the stage-2 walk cache', () => {
  /** Stage 1 identity-ish (same for both VMs), two stage-2 tables mapping IPA 0x8000_0000 differently. */
  function twoVms() {
    const core = makeCore();
    const t1 = new Tables(core, RAM + 0x100_0000n);
    const root1 = t1.alloc();
    t1.map(root1, s1Start(48), 0x1000n, 3, page(0x8000_0000n));
    core.setSysreg(SR.TTBR0_EL1, root1 | (1n << 48n));
    core.setSysreg(SR.TCR_EL1, tcrEl1(16));
    core.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
    const t2 = new Tables(core, RAM + 0x200_0000n);
    const s2start = s2Start(40, 1);
    const vm = (pa: bigint) => {
      const r = t2.alloc(2);
      t2.map(r, s2start, 0x4000_0000n, 1, block(0x4000_0000n, S2_RW | N)); // RAM (holds the stage-1 tables)
      const slot = t2.map(r, s2start, 0x8000_0000n, 3, page(pa, S2_RW | N));
      return { root: r, slot };
    };
    const a = vm(RAM + 0x30_0000n), b = vm(RAM + 0x31_0000n);
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 1));
    core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
    const useA = () => core.setSysreg(SR.VTTBR_EL2, a.root | (0x101n << 48n));
    const useB = () => core.setSysreg(SR.VTTBR_EL2, b.root | (0x202n << 48n));
    return { core, t1, root1, t2, s2start, a, b, useA, useB };
  }

  it('entries of one VMID never serve another; VMALLE1/VMALLS12E1 act on the current VMID only', () => {
    const { core, a, b, useA, useB } = twoVms();
    useA(); expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n);
    useB(); expect(cached(core, 0x1000n)).toBe(RAM + 0x31_0000n);
    core.writePhysU64(a.slot, page(RAM + 0x32_0000n, S2_RW | N));
    core.writePhysU64(b.slot, page(RAM + 0x33_0000n, S2_RW | N));
    core.tlbi('VMALLS12E1IS'); // VMID 0x202 (B)
    useA(); expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n); // A untouched
    useB(); expect(cached(core, 0x1000n)).toBe(RAM + 0x33_0000n);
    useA();
    core.tlbi('VMALLE1'); // stage-1/combined entries of A; the walk cache still holds A's IPA
    expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n);
    core.tlbi('IPAS2E1IS', 0x8000_0000n >> 12n);
    expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n); // combined entry still there
    core.tlbi('VMALLE1IS');
    expect(cached(core, 0x1000n)).toBe(RAM + 0x32_0000n);
  });

  it('the walk cache serves stage-1 descriptor fetches until IPAS2E1 of the table IPA', () => {
    const core = makeCore();
    const s2 = new Tables(core, RAM + 0x200_0000n);
    const s2root = s2.alloc(2), s2st = s2Start(40, 1);
    const s1 = new Tables(core, RAM + 0x100_0000n); // stage-1 tables at IPA = PA
    const root = s1.alloc();
    s1.map(root, s1Start(48), 0x1000n, 3, page(0n));
    for (let p = RAM + 0x100_0000n; p < RAM + 0x100_4000n; p += 0x1000n) s2.map(s2root, s2st, p, 3, page(p, S2_RW | N));
    const IPA_T = 0x10_0000_0000n, X1 = 0x20_0000_0000n, X2 = 0x20_0000_1000n;
    const PA_T1 = RAM + 0x40_0000n, PA_T2 = RAM + 0x41_0000n;
    core.writePhysU64(s1.slot(root, s1Start(48), 0x1000n, 2), IPA_T | 3n); // level-3 table at IPA_T
    core.writePhysU64(PA_T1 + 8n, page(X1));
    core.writePhysU64(PA_T2 + 8n, page(X2));
    const tslot = s2.map(s2root, s2st, IPA_T, 3, page(PA_T1, S2_RW | N));
    s2.map(s2root, s2st, X1, 3, page(RAM + 0x30_0000n, S2_RW | N));
    s2.map(s2root, s2st, X2, 3, page(RAM + 0x31_0000n, S2_RW | N));
    core.setSysreg(SR.TTBR0_EL1, root);
    core.setSysreg(SR.TCR_EL1, tcrEl1(16));
    core.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
    core.setSysreg(SR.VTTBR_EL2, s2root | (3n << 48n));
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 1));
    core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
    expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n);
    core.writePhysU64(tslot, page(PA_T2, S2_RW | N)); // move the level-3 table (stage 2)
    core.tlbi('VMALLE1');
    expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n); // descriptor fetched through the stale walk cache
    core.tlbi('IPAS2E1IS', IPA_T >> 12n);
    expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n); // the combined entry may stay (Linux adds VMALLE1)
    core.tlbi('VMALLE1IS');
    expect(cached(core, 0x1000n)).toBe(RAM + 0x31_0000n);
    expect(core.walk(0x1000n, 'r', MMU_EL1)).toEqual({ pa: RAM + 0x31_0000n });
  });

  it('TLBI ALLE1 removes every VMID; ALLE2 and VAE2 the EL2 regime only', () => {
    const { core, a, b, useA, useB } = twoVms();
    useA(); cached(core, 0x1000n);
    useB(); cached(core, 0x1000n);
    core.writePhysU64(a.slot, page(RAM + 0x32_0000n, S2_RW | N));
    core.writePhysU64(b.slot, page(RAM + 0x33_0000n, S2_RW | N));
    core.tlbi('ALLE2');
    expect(cached(core, 0x1000n)).toBe(RAM + 0x31_0000n);
    core.tlbi('ALLE1IS');
    expect(cached(core, 0x1000n)).toBe(RAM + 0x33_0000n);
    useA(); expect(cached(core, 0x1000n)).toBe(RAM + 0x32_0000n);
    // EL2 regime
    const t = new Tables(core, RAM + 0x300_0000n);
    const r2 = t.alloc();
    const slot = t.map(r2, s1Start(48), 0x6000n, 3, page(RAM + 0x1000n));
    core.setSysreg(SR.TTBR0_EL2, r2);
    core.setSysreg(SR.TCR_EL2, 16n | (5n << 16n));
    core.setSysreg(SR.SCTLR_EL2, 0x30c50831n);
    expect(cached(core, 0x6000n, MMU_EL2)).toBe(RAM + 0x1000n);
    core.writePhysU64(slot, page(RAM + 0x2000n));
    core.tlbi('VMALLS12E1'); core.tlbi('ALLE1');
    expect(cached(core, 0x6000n, MMU_EL2)).toBe(RAM + 0x1000n);
    core.tlbi('VAE2', 0x6n);
    expect(cached(core, 0x6000n, MMU_EL2)).toBe(RAM + 0x2000n);
    core.writePhysU64(slot, page(RAM + 0x3000n));
    core.tlbi('ALLE2IS');
    expect(cached(core, 0x6000n, MMU_EL2)).toBe(RAM + 0x3000n);
  });

  it('TypeScript maintenance for a hosted EL2: tlbInvalidateIpa, tlbInvalidateVmid, tlbFlush', () => {
    const { core, a, b, useA, useB } = twoVms();
    useA(); cached(core, 0x1000n);
    useB(); cached(core, 0x1000n);
    core.writePhysU64(a.slot, page(RAM + 0x32_0000n, S2_RW | N));
    core.writePhysU64(b.slot, page(RAM + 0x33_0000n, S2_RW | N));
    core.tlbInvalidateIpa(0x101, 0x8000_0123n); // VM A's page (whichever VTTBR is live)
    expect(cached(core, 0x1000n)).toBe(RAM + 0x31_0000n); // B still stale
    useA(); expect(cached(core, 0x1000n)).toBe(RAM + 0x32_0000n);
    core.tlbInvalidateVmid(0x202);
    useB(); expect(cached(core, 0x1000n)).toBe(RAM + 0x33_0000n);
    core.writePhysU64(b.slot, page(RAM + 0x34_0000n, S2_RW | N));
    core.tlbFlush();
    expect(cached(core, 0x1000n)).toBe(RAM + 0x34_0000n);
  });

  it('entries made with stage 2 off are not used once HCR_EL2.VM is set (and vice versa)', () => {
    const { core, useA } = twoVms();
    useA();
    core.setSysreg(SR.HCR_EL2, HCR_RW);
    expect(cached(core, 0x1000n)).toBe(0x8000_0000n); // IPA = PA without stage 2
    core.setSysreg(SR.HCR_EL2, HCR_RW | HCR_VM);
    expect(cached(core, 0x1000n)).toBe(RAM + 0x30_0000n);
  });
});

describe('TLBI executed by programs (fast TLB included)', () => {
  it('a remapped page keeps its old translation until TLBI VAE1IS; DSB; ISB', () => {
    const w = world();
    const VA = 0x1000_0000n;
    const slot = w.map(VA, page(DATA, NG));
    w.core.writePhysU64(DATA, 0x1111n);
    w.core.writePhysU64(DATA + 0x1000n, 0x2222n);
    const X0 = 0, X1 = 1, X2 = 2, X3 = 3, X4 = 4, X5 = 5, X6 = 6;
    const code = [
      ...mov64(X0, VA), ...mov64(X4, slot), ...mov64(X5, page(DATA + 0x1000n, NG)), ...mov64(X6, (1n << 48n) | (VA >> 12n)),
      A.ldr_imm(X1, X0, 0), // 0x1111, fills the TLBs
      A.str_imm(X5, X4, 0), A.dsb(), // remap without TLBI
      A.ldr_imm(X2, X0, 0), // still 0x1111
      tlbiInsn([0, 3, 1], X6), A.dsb(), A.ISB, // TLBI VAE1IS, x6
      A.ldr_imm(X3, X0, 0), // 0x2222
      0x14000000,
    ];
    w.run(code, 200);
    expect([w.core.getX(X1), w.core.getX(X2), w.core.getX(X3)]).toEqual([0x1111n, 0x1111n, 0x2222n]);
    expect(w.core.pc).toBe(CODE + BigInt(code.length - 1) * 4n);
  });

  it('switching ASIDs with MSR TTBR0_EL1 in a program selects each address space', () => {
    const w = world();
    const VA = 0x1000_0000n;
    w.map(VA, page(DATA, NG));
    w.core.writePhysU64(DATA, 0xaaaan);
    // a second root for ASID 2: copy of the first with the test page pointing elsewhere
    const root2 = w.s1.alloc();
    w.core.writePhys(root2, w.core.readPhys(w.root, 4096));
    const l2copy = w.s1.alloc(), l3copy = w.s1.alloc();
    const l2 = w.core.readPhysU64(w.root) & 0xffff_ffff_f000n;
    w.core.writePhys(l2copy, w.core.readPhys(l2, 4096));
    w.core.writePhysU64(root2, l2copy | 3n);
    w.core.writePhysU64(l2copy + ((VA >> 21n) & 511n) * 8n, l3copy | 3n);
    w.core.writePhysU64(l3copy + ((VA >> 12n) & 511n) * 8n, page(DATA + 0x1000n, NG));
    w.core.writePhysU64(DATA + 0x1000n, 0xbbbbn);
    const ttbr0 = A.sysreg(3, 0, 2, 0, 0);
    const code = [
      ...mov64(0, VA), ...mov64(7, w.root | (1n << 48n)), ...mov64(8, root2 | (2n << 48n)),
      A.ldr_imm(1, 0, 0), A.msr(ttbr0, 8), A.ISB, A.ldr_imm(2, 0, 0), A.msr(ttbr0, 7), A.ISB, A.ldr_imm(3, 0, 0),
      A.msr(ttbr0, 8), A.ISB, A.ldr_imm(4, 0, 0), 0x14000000,
    ];
    w.run(code, 200);
    expect([w.core.getX(1), w.core.getX(2), w.core.getX(3), w.core.getX(4)]).toEqual([0xaaaan, 0xbbbbn, 0xaaaan, 0xbbbbn]);
    expect(w.core.mmuStats().tlbHit).toBeGreaterThan(0);
  });
});
