// TLB entries are per CPU (Arm ARM D8.13 "TLB maintenance"): a TLBI ...IS reaches every PE of the
// Inner Shareable domain, a TLBI without IS only the PE that executes it. So after the page table
// is changed, a stale translation cached by CPU 1 survives a non-IS TLBI on CPU 0 and is gone after
// a TLBI ...IS on CPU 0, while CPU 0 itself sees the new translation after either.
import { describe, expect, it } from 'vitest';
import { Core, SR } from '../../machine/core';
import { le64, wordsToBytes } from '../core/harness';

const PT = 0x4003_0000n; // L1, L2 at +0x1000, L3 at +0x2000 (4 KiB granule, T0SZ = 25)
const VA = 0x8000_0000n;
const PA_A = 0x4010_0000n, PA_B = 0x4010_1000n;
const CODE0 = 0x4008_0000n, CODE1 = 0x4009_0000n;
const MAIR = 0x00ffn;
const TCR = 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 23n) | (2n << 32n);
const SCTLR = 0x30d0_0800n | 1n | (1n << 2n) | (1n << 12n);
const AF = 1n << 10n;
const page = (pa: bigint) => pa | AF | (3n << 8n) | 3n;

const LOOP = [0xf9400020, 0xd4000002, 0x17fffffe]; // ldr x0, [x1]; hvc #0; b .-8
const lit = (rt: number, from: number, to: number) => 0x58000000 | (((to - from) / 4) << 5) | rt;
const CPU1 = [
  lit(1, 0, 64), lit(2, 4, 72), lit(3, 8, 80), lit(4, 12, 88), lit(5, 16, 96),
  0xd518a202, // msr mair_el1, x2
  0xd5182043, // msr tcr_el1, x3
  0xd5182004, // msr ttbr0_el1, x4
  0xd5033fdf, // isb
  0xd5181005, // msr sctlr_el1, x5
  0xd5033fdf, // isb
  ...LOOP, 0xd503201f, 0xd503201f, // (pad to 64)
];

function board(): Core {
  const c = new Core(64 << 20, { cpus: 2, quantum: 50 });
  c.writePhys(PT, le64(0n | AF | (1n << 2n) | 1n, 0x4000_0000n | AF | (3n << 8n) | 1n, (PT + 0x1000n) | 3n));
  c.writePhys(PT + 0x1000n, le64((PT + 0x2000n) | 3n));
  c.writePhys(PT + 0x2000n, le64(page(PA_A)));
  c.writePhys(PA_A, le64(0xaaaan));
  c.writePhys(PA_B, le64(0xbbbbn));
  c.writePhys(CODE0, wordsToBytes(LOOP));
  c.writePhys(CODE1, wordsToBytes(CPU1));
  c.writePhys(CODE1 + 64n, le64(VA, MAIR, TCR, PT, SCTLR));
  c.reset(1, CODE0);
  c.setSysreg(SR.MAIR_EL1, MAIR);
  c.setSysreg(SR.TCR_EL1, TCR);
  c.setSysreg(SR.TTBR0_EL1, PT);
  c.setSysreg(SR.SCTLR_EL1, SCTLR);
  c.setX(1, VA);
  expect(c.cpuOn(1, 1, CODE1, 0n)).toBe(0);
  return c;
}

/** Runs until CPU `cpu` stops at its HVC; returns what its LDR read. */
function readOn(c: Core, cpu: number): bigint {
  for (let i = 0; i < 10_000; i++) {
    const r = c.run(1000);
    if (r === 'firmware' && c.cpu === cpu) return c.getX(0);
    if (r !== 'firmware' && r !== 'budget') throw new Error(`exit ${r}`);
  }
  throw new Error(`CPU ${cpu} never reached its HVC`);
}

/** Points VA at PA_B (the page-table store; the TLBs still hold PA_A), then waits for CPU 0. */
function remap(c: Core): void {
  c.writePhys(PT + 0x2000n, le64(page(PA_B)));
  readOn(c, 0);
}

describe('TLBI broadcast across CPUs', () => {
  it('both CPUs read through VA → PA_A first', () => {
    const c = board();
    expect(readOn(c, 1)).toBe(0xaaaan);
    expect(readOn(c, 0)).toBe(0xaaaan);
  });
  it('a stale translation on CPU 1 survives TLBI VAE1 (not IS) on CPU 0; CPU 0 sees the new one', () => {
    const c = board();
    expect(readOn(c, 1)).toBe(0xaaaan);
    expect(readOn(c, 0)).toBe(0xaaaan);
    remap(c);
    expect(c.cpu).toBe(0);
    c.tlbi('VAE1', VA >> 12n);
    expect(readOn(c, 0)).toBe(0xbbbbn);
    expect(readOn(c, 1)).toBe(0xaaaan); // stale, as on hardware without the broadcast
    expect(readOn(c, 1)).toBe(0xaaaan);
  });
  it('TLBI VAE1IS on CPU 0 removes it from CPU 1 too', () => {
    const c = board();
    expect(readOn(c, 1)).toBe(0xaaaan);
    remap(c);
    c.tlbi('VAE1', VA >> 12n);
    expect(readOn(c, 1)).toBe(0xaaaan);
    readOn(c, 0);
    c.tlbi('VAE1IS', VA >> 12n);
    expect(readOn(c, 1)).toBe(0xbbbbn);
  });
  for (const [local, bcast] of [['VMALLE1', 'VMALLE1IS'], ['ALLE1', 'ALLE1IS'], ['VAAE1', 'VAAE1IS']] as const) {
    it(`${local} stays on CPU 0, ${bcast} reaches CPU 1`, () => {
      const c = board();
      expect(readOn(c, 1)).toBe(0xaaaan);
      remap(c);
      c.tlbi(local, VA >> 12n);
      expect(readOn(c, 0)).toBe(0xbbbbn);
      expect(readOn(c, 1)).toBe(0xaaaan);
      readOn(c, 0);
      c.tlbi(bcast, VA >> 12n);
      expect(readOn(c, 1)).toBe(0xbbbbn);
    });
  }
  it('the TLBI executed by the guest itself (TLBI VAE1IS at EL1 on CPU 0) reaches CPU 1', () => {
    const c = board();
    expect(readOn(c, 1)).toBe(0xaaaan);
    // CPU 0: tlbi vae1is, x2; dsb ish; hvc #0
    const at = 0x400a_0000n;
    c.writePhys(at, wordsToBytes([0xd5088322, 0xd5033b9f, 0xd4000002, 0x14000000]));
    readOn(c, 0);
    c.writePhys(PT + 0x2000n, le64(page(PA_B)));
    c.setX(2, VA >> 12n);
    c.pc = at;
    readOn(c, 0);
    expect(readOn(c, 1)).toBe(0xbbbbn);
  });
});
