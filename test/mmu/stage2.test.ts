// Stage-2 walks (VTTBR_EL2/VTCR_EL2: start levels by SL0, concatenated tables, S2AP, XN with
// FEAT_XNX, AF, address size) alone and nested under stage 1 (S1PTW faults on descriptor fetches,
// faults on the final IPA), through core.walk() and core.walkStage2().
import { describe, expect, it } from 'vitest';
import { Core, SR, MMU_EL0, MMU_EL1 } from '../../machine/core';
import {
  AP_EL0, BLOCK, GiB, HCR_RW, HCR_VM, RAM, S2_R, S2_RW, S2_W, TABLE, Tables, block, identityStage2, makeCore, page,
  s1Start, s2MemAttr, s2Start, s2Xn, tcrEl1, vtcr,
} from './pt';

const TRANSLATION = 1, ACCESS_FLAG = 2, PERMISSION = 3, ADDRESS_SIZE = 4, EXTERNAL_WALK = 7;
const N = s2MemAttr(0xf);

function stage2(core: Core, t0sz: number, sl0: number, vmid = 5n) {
  const t = new Tables(core, RAM + 0x200_0000n);
  const start = s2Start(64 - t0sz, sl0);
  const root = t.alloc(Math.max(1, 2 ** (start.bits - 9)));
  core.setSysreg(SR.VTTBR_EL2, root | (vmid << 48n));
  core.setSysreg(SR.VTCR_EL2, vtcr(t0sz, sl0));
  core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
  return { t, root, start };
}

function ok(r: { pa: bigint } | { fault: unknown }): bigint {
  if (!('pa' in r)) throw new Error(`fault ${JSON.stringify(r.fault, (_, v) => typeof v === 'bigint' ? v.toString(16) : v)}`);
  return r.pa;
}
function flt(r: { pa: bigint } | { fault: ReturnType<Core['lastFault']> }) {
  if ('pa' in r) throw new Error(`no fault: pa ${r.pa.toString(16)}`);
  return r.fault;
}

describe('stage 2 only (stage 1 off)', () => {
  it('40-bit IPA, SL0=1: start level 1 with 2 concatenated tables (as Linux sets up)', () => {
    const core = makeCore();
    const { t, root, start } = stage2(core, 24, 1);
    expect(start).toEqual({ level: 1, bits: 10 });
    const ipa = 0x80_4000_3000n; // IPA[39] = 1: index 512+, in the second concatenated table
    t.map(root, start, ipa, 3, page(RAM + 0x7000n, S2_RW | N));
    expect(t.slot(root, start, ipa, 1) - root).toBe(512n * 8n + 8n); // IPA[39:30] = 0x201
    expect(ok(core.walk(ipa + 0x10n, 'r', MMU_EL1))).toBe(RAM + 0x7010n);
    expect(core.lastWalk().level).toBe(3);
  });

  for (const [t0sz, sl0, level, tables] of [[16, 2, 0, 1], [25, 1, 1, 1], [21, 1, 1, 16], [32, 0, 2, 4], [30, 0, 2, 16]] as const) {
    it(`T0SZ=${t0sz} SL0=${sl0}: start level ${level}, ${tables} table(s)`, () => {
      const core = makeCore();
      const { t, root, start } = stage2(core, t0sz, sl0);
      expect(start.level).toBe(level);
      expect(2 ** Math.max(0, start.bits - 9)).toBe(tables);
      const ipa = (1n << BigInt(64 - t0sz)) - 0x1000n; // last page: last entry of the last table
      t.map(root, start, ipa, 3, page(RAM + 0x5000n, S2_RW | N));
      expect(ok(core.walk(ipa, 'w', MMU_EL1))).toBe(RAM + 0x5000n);
      const f = flt(core.walk(1n << BigInt(64 - t0sz), 'r', MMU_EL1)); // beyond the IPA size
      if (t0sz === 16) { // beyond PARange already: stage-1 (MMU off) address size fault
        expect([f.type, f.level, f.stage2]).toEqual([ADDRESS_SIZE, 0, false]);
      } else {
        expect([f.type, f.level, f.stage2, f.s1ptw, f.ipa]).toEqual([TRANSLATION, 0, true, false, 1n << BigInt(64 - t0sz)]);
      }
    });
  }

  it('SL0 inconsistent with T0SZ (more than 16 tables or less than one) is a level 0 translation fault', () => {
    const core = makeCore();
    stage2(core, 24, 0); // 40 bits from level 2 would need 512 tables
    expect(flt(core.walk(0x1000n, 'r', MMU_EL1)).level).toBe(0);
    core.setSysreg(SR.VTCR_EL2, vtcr(34, 2)); // 30 bits from level 0
    expect(flt(core.walk(0x1000n, 'r', MMU_EL1)).type).toBe(TRANSLATION);
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 3)); // SL0 = 3 reserved without FEAT_TTST
    expect(flt(core.walk(0x1000n, 'r', MMU_EL1)).level).toBe(0);
  });

  it('S2AP: bit 6 read, bit 7 write; faults are stage 2 permission faults with the IPA', () => {
    const core = makeCore();
    const { t, root, start } = stage2(core, 24, 1);
    t.map(root, start, 0x1000n, 3, page(RAM + 0x1000n, S2_R | N));
    t.map(root, start, 0x2000n, 3, page(RAM + 0x2000n, S2_W | N));
    t.map(root, start, 0x3000n, 3, page(RAM + 0x3000n, N));
    expect(ok(core.walk(0x1008n, 'r', MMU_EL1))).toBe(RAM + 0x1008n);
    let f = flt(core.walk(0x1008n, 'w', MMU_EL1));
    expect([f.type, f.level, f.fsc, f.stage2, f.s1ptw, f.ipa]).toEqual([PERMISSION, 3, 0x0f, true, false, 0x1008n]);
    expect(ok(core.walk(0x2000n, 'w', MMU_EL1))).toBe(RAM + 0x2000n);
    expect(flt(core.walk(0x2000n, 'r', MMU_EL1)).type).toBe(PERMISSION);
    f = flt(core.walk(0x3000n, 'r', MMU_EL0));
    expect([f.type, f.stage2]).toEqual([PERMISSION, true]);
  });

  it('XN[54:53] with FEAT_XNX: 00 all, 01 EL0 only, 10 none, 11 EL1 only', () => {
    const core = makeCore();
    const { t, root, start } = stage2(core, 24, 1);
    const res: string[] = [];
    for (let xn = 0; xn < 4; xn++) {
      const ipa = BigInt(0x10 + xn) << 12n;
      t.map(root, start, ipa, 3, page(RAM + ipa, S2_R | N | s2Xn(xn)));
      res.push(('pa' in core.walk(ipa, 'x', MMU_EL0) ? '1' : '0') + ('pa' in core.walk(ipa, 'x', MMU_EL1) ? '1' : '0'));
    }
    expect(res).toEqual(['11', '10', '00', '01']);
  });

  it('access flag, address size (VTCR.PS), blocks, external abort on the stage-2 walk', () => {
    const core = makeCore();
    const { t, root, start } = stage2(core, 24, 1);
    t.map(root, start, 0x1000n, 3, (RAM + 0x1000n) | TABLE | S2_RW | N); // AF = 0
    let f = flt(core.walk(0x1000n, 'r', MMU_EL1));
    expect([f.type, f.level, f.fsc, f.stage2]).toEqual([ACCESS_FLAG, 3, 0x0b, true]);
    t.map(root, start, 0x4000_0000n, 1, block(0x1_0000_0000n, S2_RW | N));
    core.setSysreg(SR.VTCR_EL2, (vtcr(24, 1) & ~(7n << 16n)) | (1n << 16n)); // PS = 36 bits: fine
    expect(ok(core.walk(0x4000_1234n, 'r', MMU_EL1))).toBe(0x1_0000_1234n);
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 1) & ~(7n << 16n)); // PS = 32 bits
    f = flt(core.walk(0x4000_1234n, 'r', MMU_EL1));
    expect([f.type, f.level, f.fsc, f.stage2]).toEqual([ADDRESS_SIZE, 1, 0x01, true]);
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 1));
    t.map(root, start, 0x8000_0000n, 2, block(RAM + 0x20_0000n, S2_RW | N)); // 2 MiB
    expect(ok(core.walk(0x801f_fff0n, 'r', MMU_EL1))).toBe(RAM + 0x3f_fff0n);
    core.writePhysU64(t.slot(root, start, 0x8000_0000n, 1), 0x0a00_0000n | TABLE);
    f = flt(core.walk(0x8000_0000n, 'r', MMU_EL1));
    expect([f.type, f.level, f.fsc, f.stage2, f.ipa]).toEqual([EXTERNAL_WALK, 2, 0x16, true, 0x8000_0000n]);
  });

  it('VTTBR_EL2.BADDR beyond VTCR_EL2.PS: address size fault at level 0; low BADDR bits of concatenated roots ignored', () => {
    const core = makeCore();
    const { t, root, start } = stage2(core, 24, 1);
    t.map(root, start, 0x5000n, 3, page(RAM + 0x5000n, S2_RW | N));
    core.setSysreg(SR.VTTBR_EL2, root | 0x1000n | (5n << 48n)); // inside the 8 KiB root: RES0, ignored
    expect(ok(core.walk(0x5000n, 'r', MMU_EL1))).toBe(RAM + 0x5000n);
    core.setSysreg(SR.VTTBR_EL2, root | (1n << 44n));
    core.setSysreg(SR.VTCR_EL2, (vtcr(24, 1) & ~(7n << 16n)) | (2n << 16n)); // PS = 40 bits
    const f = flt(core.walk(0x5000n, 'r', MMU_EL1));
    expect([f.type, f.level, f.fsc, f.stage2]).toEqual([ADDRESS_SIZE, 0, 0x00, true]);
  });

  it('HCR_EL2.DC enables stage 2 and disables stage 1', () => {
    const core = makeCore();
    const { t, root, start } = stage2(core, 24, 1);
    t.map(root, start, 0x1000n, 3, page(RAM + 0x9000n, S2_RW | N));
    core.setSysreg(SR.HCR_EL2, HCR_RW | (1n << 12n));
    core.setSysreg(SR.SCTLR_EL1, 0x30d00801n); // M set, but DC forces stage 1 off
    expect(ok(core.walk(0x1000n, 'r', MMU_EL1))).toBe(RAM + 0x9000n);
  });

  it('walkStage2 with explicit VTTBR/VTCR (no MMU state needed)', () => {
    const core = makeCore();
    const t = new Tables(core, RAM + 0x200_0000n);
    const start = s2Start(40, 1);
    const root = t.alloc(2);
    t.map(root, start, 0x12_3456_7000n, 3, page(RAM + 0x8000n, S2_R | N | s2Xn(1)));
    expect(ok(core.walkStage2(0x12_3456_7abcn, 'r', root, vtcr(24, 1)))).toBe(RAM + 0x8abcn);
    expect(flt(core.walkStage2(0x12_3456_7abcn, 'w', root, vtcr(24, 1))).type).toBe(PERMISSION);
    expect(flt(core.walkStage2(0x12_3456_7abcn, 'x', root, vtcr(24, 1))).type).toBe(PERMISSION);
    expect(ok(core.walkStage2(0x12_3456_7abcn, 'x0', root, vtcr(24, 1)))).toBe(RAM + 0x8abcn);
    const f = flt(core.walkStage2(0x13_0000_0000n, 'r', root, vtcr(24, 1)));
    expect([f.type, f.level, f.stage2, f.ipa]).toEqual([TRANSLATION, 1, true, 0x13_0000_0000n]);
    expect(core.sysreg(SR.HCR_EL2)).toBe(1n << 31n); // untouched since reset (RW is RAO)
  });
});

describe('nested stage 1 + stage 2', () => {
  // Guest "IPA space": stage 1 tables live at IPAs that stage 2 maps to RAM + 0x100_0000 + ...
  function nested(core: Core) {
    const s2 = new Tables(core, RAM + 0x200_0000n);
    const s2start = s2Start(40, 1);
    const s2root = s2.alloc(2);
    core.setSysreg(SR.VTTBR_EL2, s2root | (7n << 48n));
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 1));
    core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
    const IPA_TABLES = 0x10_0000_0000n; // stage-1 tables at IPA 64 GiB + n pages
    const PA_TABLES = RAM + 0x100_0000n;
    const s1 = new Tables(core, IPA_TABLES, 0x40_0000n, (a) => a - IPA_TABLES + PA_TABLES);
    const s1root = s1.alloc();
    core.setSysreg(SR.TTBR0_EL1, s1root | (3n << 48n));
    core.setSysreg(SR.TCR_EL1, tcrEl1(16));
    core.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
    const s1start = s1Start(48);
    const mapTablePage = (ipa: bigint, attrs = S2_RW | N) => s2.map(s2root, s2start, ipa, 3, page(ipa - IPA_TABLES + PA_TABLES, attrs));
    return { s2, s2root, s2start, s1, s1root, s1start, mapTablePage, IPA_TABLES };
  }

  it('every stage-1 descriptor fetch is translated by stage 2, then the output IPA (4+3 levels)', () => {
    const core = makeCore();
    const n = nested(core);
    n.s1.map(n.s1root, n.s1start, 0x7000_1000n, 3, page(0x20_0000_3000n, AP_EL0));
    // stage 1 used 4 table pages: map them at stage 2, then the data IPA
    for (let i = 0n; i < 4n; i++) n.mapTablePage(n.IPA_TABLES + i * 0x1000n);
    n.s2.map(n.s2root, n.s2start, 0x20_0000_3000n, 3, page(RAM + 0x30_0000n, S2_RW | N));
    expect(ok(core.walk(0x7000_1234n, 'r', MMU_EL0))).toBe(RAM + 0x30_0234n);
  });

  it('a stage-1 table IPA unmapped at stage 2: S1PTW fault, stage 2, IPA = descriptor address, stage-2 level', () => {
    const core = makeCore();
    const n = nested(core);
    n.s1.map(n.s1root, n.s1start, 0x7000_1000n, 3, page(0x20_0000_3000n));
    n.mapTablePage(n.IPA_TABLES); // root (level 0) mapped
    n.mapTablePage(n.IPA_TABLES + 0x1000n); // level 1 table mapped; level 2 table not
    const f = flt(core.walk(0x7000_1000n, 'w', MMU_EL1));
    const l1Index = (0x7000_1000n >> 21n) & 511n;
    expect([f.type, f.level, f.stage2, f.s1ptw]).toEqual([TRANSLATION, 3, true, true]);
    expect(f.ipa).toBe(n.IPA_TABLES + 0x2000n + l1Index * 8n);
  });

  it('a stage-1 table IPA without stage-2 read permission: S1PTW permission fault', () => {
    const core = makeCore();
    const n = nested(core);
    n.s1.map(n.s1root, n.s1start, 0x7000_1000n, 3, page(0x20_0000_3000n));
    n.mapTablePage(n.IPA_TABLES, S2_W | N);
    const f = flt(core.walk(0x7000_1000n, 'r', MMU_EL1));
    expect([f.type, f.level, f.stage2, f.s1ptw, f.fsc]).toEqual([PERMISSION, 3, true, true, 0x0f]);
  });

  it('the final IPA unmapped at stage 2: stage 2 fault without S1PTW, IPA = output IPA', () => {
    const core = makeCore();
    const n = nested(core);
    n.s1.map(n.s1root, n.s1start, 0x7000_1000n, 3, page(0x20_0000_3000n));
    for (let i = 0n; i < 4n; i++) n.mapTablePage(n.IPA_TABLES + i * 0x1000n);
    const f = flt(core.walk(0x7000_1ff8n, 'r', MMU_EL1));
    expect([f.type, f.stage2, f.s1ptw, f.ipa]).toEqual([TRANSLATION, true, false, 0x20_0000_3ff8n]);
  });

  it('a stage-1 fault takes priority over stage 2 of the output; stage-1 descriptor at a non-RAM PA', () => {
    const core = makeCore();
    const n = nested(core);
    n.s1.map(n.s1root, n.s1start, 0x7000_1000n, 3, page(0x20_0000_3000n, 0n)); // EL0: no access
    for (let i = 0n; i < 4n; i++) n.mapTablePage(n.IPA_TABLES + i * 0x1000n);
    let f = flt(core.walk(0x7000_1000n, 'r', MMU_EL0));
    expect([f.type, f.stage2]).toEqual([PERMISSION, false]);
    // stage 2 maps the level-3 table IPA to a device PA: external abort on the stage-1 walk
    n.s2.map(n.s2root, n.s2start, n.IPA_TABLES + 0x3000n, 3, page(0x0900_0000n, S2_RW | N));
    f = flt(core.walk(0x7000_1000n, 'r', MMU_EL1));
    expect([f.type, f.level, f.stage2, f.s1ptw]).toEqual([EXTERNAL_WALK, 3, false, false]);
  });

  it('combined permissions are the intersection; stage-2 XN applies to the EL0/EL1 fetch', () => {
    const core = makeCore();
    const n = nested(core);
    n.s1.map(n.s1root, n.s1start, 0x1000n, 3, page(0x20_0000_0000n, AP_EL0)); // EL0 RW
    for (let i = 0n; i < 4n; i++) n.mapTablePage(n.IPA_TABLES + i * 0x1000n);
    n.s2.map(n.s2root, n.s2start, 0x20_0000_0000n, 3, page(RAM + 0x40_0000n, S2_R | N | s2Xn(3)));
    expect(ok(core.walk(0x1000n, 'r', MMU_EL0))).toBe(RAM + 0x40_0000n);
    let f = flt(core.walk(0x1000n, 'w', MMU_EL0));
    expect([f.type, f.stage2]).toEqual([PERMISSION, true]);
    f = flt(core.walk(0x1000n, 'x', MMU_EL0)); // stage 2 XN=3: EL0 may not execute
    expect([f.type, f.stage2]).toEqual([PERMISSION, true]);
    f = flt(core.walk(0x1000n, 'x', MMU_EL1)); // stage 1: EL1 never executes EL0-writable memory
    expect([f.type, f.stage2]).toEqual([PERMISSION, false]);
  });

  it('identity stage 2 with 1 GiB blocks passes stage 1 through', () => {
    const core = makeCore();
    const s2 = new Tables(core, RAM + 0x200_0000n);
    core.setSysreg(SR.VTTBR_EL2, identityStage2(s2));
    core.setSysreg(SR.VTCR_EL2, vtcr(24, 1));
    core.setSysreg(SR.HCR_EL2, HCR_VM | HCR_RW);
    const t = new Tables(core, RAM + 0x100_0000n);
    const root = t.alloc();
    t.map(root, s1Start(48), 0xdead_b000n, 3, page(RAM + 0x1234_5000n));
    core.setSysreg(SR.TTBR0_EL1, root);
    core.setSysreg(SR.TCR_EL1, tcrEl1(16));
    core.setSysreg(SR.SCTLR_EL1, 0x30d00801n);
    expect(ok(core.walk(0xdead_beefn, 'r', MMU_EL1))).toBe(RAM + 0x1234_5eefn);
    expect(GiB).toBe(0x4000_0000n);
    expect(BLOCK).toBe(1n);
  });
});
