// Stage-1 walks of the EL1&0 and EL2 regimes through core.walk(): every descriptor kind and level,
// permissions (AP, UXN/PXN, WXN, hierarchical APTable/XNTable), access flag, address size and
// translation faults with their levels, TTBR0/TTBR1 ranges, TBI, EPD.
import { describe, expect, it } from 'vitest';
import { Core, SR, MMU_EL0, MMU_EL1, MMU_EL2 } from '../../machine/core';
import {
  AF, AP_EL0, AP_RO, AP_TABLE_NO_EL0, AP_TABLE_RO, BLOCK, GiB, MiB, NG, PXN, PXN_TABLE, RAM, TABLE, Tables, UXN,
  UXN_TABLE, attrIndx, block, makeCore, page, s1Start, tcrEl1,
} from './pt';

// Fault types (core-as/fault.ts)
const TRANSLATION = 1, ACCESS_FLAG = 2, PERMISSION = 3, ADDRESS_SIZE = 4, EXTERNAL_WALK = 7;

function setupEL1(core: Core, t0sz: number, t1sz = 16, extraTcr = 0n) {
  const t = new Tables(core, RAM + 0x100_0000n);
  const root0 = t.alloc();
  const root1 = t.alloc();
  core.setSysreg(SR.TTBR0_EL1, root0);
  core.setSysreg(SR.TTBR1_EL1, root1);
  core.setSysreg(SR.TCR_EL1, tcrEl1(t0sz, t1sz, extraTcr));
  core.setSysreg(SR.SCTLR_EL1, 0x30d00801n); // M
  return { t, root0, root1, start0: s1Start(64 - t0sz), start1: s1Start(64 - t1sz) };
}

function ok(core: Core, va: bigint, acc: 'r' | 'w' | 'x', idx: number): bigint {
  const r = core.walk(va, acc, idx);
  if (!('pa' in r)) throw new Error(`fault ${JSON.stringify(r.fault, (_, v) => typeof v === 'bigint' ? v.toString(16) : v)}`);
  return r.pa;
}
function fault(core: Core, va: bigint, acc: 'r' | 'w' | 'x', idx: number) {
  const r = core.walk(va, acc, idx);
  if ('pa' in r) throw new Error(`no fault: pa ${r.pa.toString(16)}`);
  return r.fault;
}

describe('stage 1 EL1&0: levels and descriptor kinds', () => {
  for (const [t0sz, level] of [[16, 0], [20, 0], [25, 1], [30, 1], [34, 2], [39, 2]] as const) {
    it(`T0SZ=${t0sz} starts at level ${level} (4 - ceil((64-TxSZ-12)/9)) and maps a 4 KiB page`, () => {
      const core = makeCore();
      const { t, root0, start0 } = setupEL1(core, t0sz);
      expect(start0.level).toBe(level);
      const va = (1n << BigInt(64 - t0sz - 1)) + 0x5000n; // top bit of the range, so every index is used
      t.map(root0, start0, va, 3, page(RAM + 0x20_3000n));
      expect(ok(core, va + 0x123n, 'r', MMU_EL1)).toBe(RAM + 0x20_3123n);
      expect(core.lastWalk().level).toBe(3);
      // the start level resolves exactly the bits it must: one index bit more faults at level 0
      const f = fault(core, (1n << BigInt(64 - t0sz)) + 0x5000n, 'r', MMU_EL1);
      expect([f.type, f.level, f.fsc]).toEqual([TRANSLATION, 0, 0x04]);
    });
  }

  it('1 GiB block at level 1 and 2 MiB block at level 2 keep the VA offset', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x8000_0000n, 1, block(RAM));
    t.map(root0, start0, 0x1_0020_0000n, 2, block(RAM + 0x40_0000n));
    expect(ok(core, 0x8000_0000n + 0x3ff_fff8n, 'r', MMU_EL1)).toBe(RAM + 0x3ff_fff8n);
    expect(core.lastWalk().level).toBe(1);
    expect(ok(core, 0x1_0020_0000n + 0x1f_fffcn, 'w', MMU_EL1)).toBe(RAM + 0x5f_fffcn);
    expect(core.lastWalk().level).toBe(2);
  });

  it('block descriptor bits below the block size are ignored; level 0 block and level 3 0b01 fault', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x4000_0000n, 2, block(RAM + 0x20_0000n) | 0x1_f000n);
    expect(ok(core, 0x4000_1234n, 'r', MMU_EL1)).toBe(RAM + 0x20_1234n);
    t.map(root0, start0, 0x80_0000_0000n, 0, block(0n)); // level-0 block: reserved with 4 KiB
    let f = fault(core, 0x80_0000_0000n, 'r', MMU_EL1);
    expect([f.type, f.level]).toEqual([TRANSLATION, 0]);
    t.map(root0, start0, 0x5000n, 3, (RAM + 0x5000n) | AF | 1n); // 0b01 at level 3: reserved
    f = fault(core, 0x5000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([TRANSLATION, 3, 0x07]);
  });

  it('invalid descriptors fault at their level (0..3)', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    let f = fault(core, 0x1000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([TRANSLATION, 0, 0x04]);
    t.map(root0, start0, 0x1000n, 3, page(RAM));
    for (const level of [3, 2, 1]) {
      const slot = t.slot(root0, start0, 0x1000n, level);
      core.writePhysU64(slot, core.readPhysU64(slot) & ~1n);
      f = fault(core, 0x1000n, 'r', MMU_EL1);
      expect([f.type, f.level, f.fsc, f.stage2]).toEqual([TRANSLATION, level, 4 + level, false]);
    }
  });

  it('TTBR1 range by VA[55] with T1SZ; a VA in neither range is a level 0 translation fault', () => {
    const core = makeCore();
    const { t, root1, start1 } = setupEL1(core, 25, 25);
    const hi = 0xffff_ff80_0000_0000n + 0x1234_5000n; // 39-bit upper range
    t.map(root1, start1, hi, 3, page(RAM + 0x9000n));
    expect(ok(core, hi + 8n, 'r', MMU_EL1)).toBe(RAM + 0x9008n);
    for (const va of [0x0000_0080_0000_0000n, 0xffff_ff00_0000_0000n, 0x8000_0000_0000_0000n]) {
      const f = fault(core, va, 'r', MMU_EL1);
      expect([f.type, f.level]).toEqual([TRANSLATION, 0]);
    }
  });

  it('TBI0/TBI1 ignore the top byte; without TBI a tagged VA is out of range', () => {
    const core = makeCore();
    const { t, root0, root1, start0, start1 } = setupEL1(core, 16, 16);
    t.map(root0, start0, 0x7000n, 3, page(RAM + 0x7000n));
    t.map(root1, start1, 0xffff_0000_0000_7000n, 3, page(RAM + 0x8000n));
    expect(fault(core, 0x5a00_0000_0000_7000n, 'r', MMU_EL1).type).toBe(TRANSLATION);
    core.setSysreg(SR.TCR_EL1, tcrEl1(16, 16, (1n << 37n) | (1n << 38n)));
    expect(ok(core, 0x5a00_0000_0000_7010n, 'r', MMU_EL1)).toBe(RAM + 0x7010n);
    expect(ok(core, 0x12ff_0000_0000_7010n, 'r', MMU_EL1)).toBe(RAM + 0x8010n);
    core.setSysreg(SR.TCR_EL1, tcrEl1(16, 16, 1n << 38n)); // TBI1 only
    expect(fault(core, 0x5a00_0000_0000_7010n, 'r', MMU_EL1).level).toBe(0);
    expect(ok(core, 0x12ff_0000_0000_7010n, 'r', MMU_EL1)).toBe(RAM + 0x8010n);
  });

  it('EPD0/EPD1 disable the walk of a range: level 0 translation fault', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x7000n, 3, page(RAM + 0x7000n));
    core.setSysreg(SR.TCR_EL1, tcrEl1(16, 16, 1n << 7n));
    const f = fault(core, 0x7000n, 'r', MMU_EL1);
    expect([f.type, f.level]).toEqual([TRANSLATION, 0]);
  });

  it('TxSZ outside 16..39 is a level 0 translation fault', () => {
    const core = makeCore();
    setupEL1(core, 40);
    expect(fault(core, 0x1000n, 'r', MMU_EL1).level).toBe(0);
    core.setSysreg(SR.TCR_EL1, tcrEl1(15));
    expect(fault(core, 0x1000n, 'r', MMU_EL1).level).toBe(0);
  });

  it('an unimplemented granule (TG0 = 64K) is treated as 4K (an IMPLEMENTATION DEFINED implemented size)', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x7000n, 3, page(RAM + 0x7000n));
    core.setSysreg(SR.TCR_EL1, tcrEl1(16, 16, 1n << 14n));
    expect(ok(core, 0x7000n, 'r', MMU_EL1)).toBe(RAM + 0x7000n);
  });

  it('access flag 0 is an access flag fault at the leaf level (no hardware update)', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    const slot = t.map(root0, start0, 0x4000n, 3, (RAM + 0x4000n) | TABLE);
    let f = fault(core, 0x4000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([ACCESS_FLAG, 3, 0x0b]);
    expect(core.readPhysU64(slot) & AF).toBe(0n);
    t.map(root0, start0, 0x4000_0000n, 2, (RAM + 0x20_0000n) | BLOCK);
    f = fault(core, 0x4000_0000n, 'w', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([ACCESS_FLAG, 2, 0x0a]);
  });
});

describe('stage 1 EL1&0 permissions', () => {
  function one(attrs: bigint, tableBits = 0n, sctlr = 0x30d00801n) {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x10_0000n, 3, page(RAM + 0x10_0000n, attrs), tableBits);
    core.setSysreg(SR.SCTLR_EL1, sctlr);
    const can = (acc: 'r' | 'w' | 'x', idx: number) => {
      const r = core.walk(0x10_0000n, acc, idx);
      if ('pa' in r) return 1;
      expect([r.fault.type, r.fault.level, r.fault.fsc]).toEqual([PERMISSION, 3, 0x0f]);
      return 0;
    };
    return [can('r', MMU_EL0), can('w', MMU_EL0), can('x', MMU_EL0), can('r', MMU_EL1), can('w', MMU_EL1), can('x', MMU_EL1)].join('');
  }
  //                                                         EL0 rwx, EL1 rwx
  it('AP[2:1] = 00: EL1 RW, EL0 none', () => expect(one(0n)).toBe('001111'));
  it('AP[2:1] = 01: EL0 RW, and EL1 cannot execute what EL0 can write', () => expect(one(AP_EL0)).toBe('111110'));
  it('AP[2:1] = 10: EL1 RO', () => expect(one(AP_RO)).toBe('001101'));
  it('AP[2:1] = 11: EL0 and EL1 RO (EL1 may execute)', () => expect(one(AP_RO | AP_EL0)).toBe('101101'));
  it('UXN and PXN', () => {
    expect(one(AP_RO | AP_EL0 | UXN)).toBe('100101');
    expect(one(AP_RO | AP_EL0 | PXN)).toBe('101100');
  });
  it('SCTLR_EL1.WXN: writable means not executable', () => {
    expect(one(0n, 0n, 0x30d80801n)).toBe('001110');
    expect(one(AP_RO | AP_EL0, 0n, 0x30d80801n)).toBe('101101');
  });
  it('APTable[0] removes EL0 access, APTable[1] makes read-only, UXNTable/PXNTable', () => {
    expect(one(AP_EL0, AP_TABLE_NO_EL0)).toBe('001111'); // EL0 no longer writes: EL1 may execute
    expect(one(AP_EL0, AP_TABLE_RO)).toBe('101101');
    expect(one(AP_EL0 | AP_RO, UXN_TABLE)).toBe('100101');
    expect(one(AP_EL0 | AP_RO, PXN_TABLE)).toBe('101100');
  });
  it('nG and AttrIndx are reported by walkInfo (MAIR as data)', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x3000n, 3, page(RAM + 0x3000n, NG | attrIndx(2) | (2n << 8n)));
    ok(core, 0x3000n, 'r', MMU_EL1);
    const w = core.lastWalk();
    expect([w.global, w.attr, w.sh, w.device]).toEqual([false, 0x44, 2, false]);
    t.map(root0, start0, 0x4000n, 3, page(RAM + 0x4000n, attrIndx(1)));
    ok(core, 0x4000n, 'r', MMU_EL1);
    expect([core.lastWalk().global, core.lastWalk().attr, core.lastWalk().device]).toEqual([true, 0, true]);
  });
});

describe('stage 1 address size and external aborts', () => {
  it('output address above TCR.IPS is an address size fault at the leaf level', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x6000n, 3, page(0x1_0000_0000n));
    core.setSysreg(SR.TCR_EL1, (tcrEl1(16) & ~(7n << 32n))); // IPS = 32 bits
    const f = fault(core, 0x6000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([ADDRESS_SIZE, 3, 0x03]);
    core.setSysreg(SR.TCR_EL1, tcrEl1(16)); // 48 bits: fine (and outside RAM is not a walk fault)
    expect(ok(core, 0x6000n, 'r', MMU_EL1)).toBe(0x1_0000_0000n);
  });

  it('a table address above IPS faults at the level of the table descriptor; TTBR above IPS at level 0', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x6000n, 3, page(RAM));
    const l1 = t.slot(root0, start0, 0x6000n, 1);
    core.writePhysU64(l1, (core.readPhysU64(l1) | (1n << 40n)));
    core.setSysreg(SR.TCR_EL1, (tcrEl1(16) & ~(7n << 32n)) | (2n << 32n)); // IPS = 40 bits
    let f = fault(core, 0x6000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([ADDRESS_SIZE, 1, 0x01]);
    core.setSysreg(SR.TTBR0_EL1, root0 | (1n << 42n));
    f = fault(core, 0x6000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([ADDRESS_SIZE, 0, 0x00]);
  });

  it('a descriptor outside RAM is a synchronous external abort on the walk, with the level', () => {
    const core = makeCore();
    const { t, root0, start0 } = setupEL1(core, 16);
    t.map(root0, start0, 0x6000n, 3, page(RAM));
    const l2 = t.slot(root0, start0, 0x6000n, 2);
    core.writePhysU64(l2, 0x0800_0000n | TABLE); // next table in the device hole
    let f = fault(core, 0x6000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc, f.stage2]).toEqual([EXTERNAL_WALK, 3, 0x17, false]);
    core.setSysreg(SR.TTBR0_EL1, 0x1000_0000n);
    f = fault(core, 0x6000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([EXTERNAL_WALK, 0, 0x14]);
  });

  it('stage 1 disabled: VA is the PA, above 48 bits an address size fault at level 0 (TBI strips the tag)', () => {
    const core = makeCore();
    expect(ok(core, 0xffff_ffff_f000n, 'r', MMU_EL1)).toBe(0xffff_ffff_f000n);
    const f = fault(core, 0x1_0000_0000_0000n, 'r', MMU_EL1);
    expect([f.type, f.level, f.fsc]).toEqual([ADDRESS_SIZE, 0, 0]);
    expect(fault(core, 0x5a00_0000_4000_0000n, 'r', MMU_EL1).type).toBe(ADDRESS_SIZE);
    core.setSysreg(SR.TCR_EL1, 1n << 37n);
    expect(ok(core, 0x5a00_0000_4000_0000n, 'r', MMU_EL1)).toBe(0x4000_0000n);
  });
});

describe('stage 1 EL2 (non-VHE)', () => {
  function setupEL2(core: Core, t0sz: number) {
    const t = new Tables(core, RAM + 0x100_0000n);
    const root = t.alloc();
    core.setSysreg(SR.TTBR0_EL2, root);
    core.setSysreg(SR.TCR_EL2, BigInt(t0sz) | (5n << 16n) | (1n << 31n) | (1n << 23n));
    core.setSysreg(SR.SCTLR_EL2, 0x30c50831n);
    return { t, root, start: s1Start(64 - t0sz) };
  }

  it('AP[2] alone controls writes; AP[1] and PXN are ignored; XN forbids execution', () => {
    const core = makeCore();
    const { t, root, start } = setupEL2(core, 16);
    t.map(root, start, 0x1000n, 3, page(RAM + 0x1000n)); // AP[1] = 0 (RES1 at EL2: ignored)
    t.map(root, start, 0x2000n, 3, page(RAM + 0x2000n, AP_RO | PXN));
    t.map(root, start, 0x3000n, 3, page(RAM + 0x3000n, UXN));
    expect(ok(core, 0x1000n, 'w', MMU_EL2)).toBe(RAM + 0x1000n);
    expect(ok(core, 0x1000n, 'x', MMU_EL2)).toBe(RAM + 0x1000n);
    expect(ok(core, 0x2000n, 'x', MMU_EL2)).toBe(RAM + 0x2000n);
    expect(fault(core, 0x2000n, 'w', MMU_EL2).type).toBe(PERMISSION);
    expect(fault(core, 0x3000n, 'x', MMU_EL2).type).toBe(PERMISSION);
    expect(ok(core, 0x3000n, 'w', MMU_EL2)).toBe(RAM + 0x3000n);
    expect(core.lastWalk().global).toBe(true);
  });

  it('one VA range: VA[55] set is out of range even with TBI; TCR_EL2.PS bounds the output', () => {
    const core = makeCore();
    const { t, root, start } = setupEL2(core, 25);
    t.map(root, start, 0x40_0000n, 2, block(RAM + 0x20_0000n));
    expect(ok(core, 0x40_0010n, 'r', MMU_EL2)).toBe(RAM + 0x20_0010n);
    expect(fault(core, 0xffff_ff80_0040_0000n, 'r', MMU_EL2).level).toBe(0);
    core.setSysreg(SR.TCR_EL2, 25n | (1n << 20n)); // TBI, PS = 32 bits
    expect(ok(core, 0xab00_0000_0040_0010n, 'r', MMU_EL2)).toBe(RAM + 0x20_0010n);
    t.map(root, start, 0x60_0000n, 2, block(0x1_0000_0000n));
    expect(fault(core, 0x60_0000n, 'r', MMU_EL2).type).toBe(ADDRESS_SIZE);
  });

  it('SCTLR_EL2.WXN', () => {
    const core = makeCore();
    const { t, root, start } = setupEL2(core, 16);
    t.map(root, start, 0x1000n, 3, page(RAM + 0x1000n));
    core.setSysreg(SR.SCTLR_EL2, 0x30c50831n | (1n << 19n));
    expect(fault(core, 0x1000n, 'x', MMU_EL2).type).toBe(PERMISSION);
  });

  it('the EL2 regime is not affected by HCR_EL2.VM (no stage 2)', () => {
    const core = makeCore();
    const { t, root, start } = setupEL2(core, 16);
    t.map(root, start, 0x1000n, 3, page(RAM + 0x1000n));
    core.setSysreg(SR.HCR_EL2, 1n | (1n << 31n));
    core.setSysreg(SR.VTTBR_EL2, 0n); // no stage-2 tables at all
    expect(ok(core, 0x1000n, 'r', MMU_EL2)).toBe(RAM + 0x1000n);
  });
});

export { GiB, MiB };
