// RISU-like random differential test: seeded images of random valid encodings (test/gen) run on
// qemu-system-aarch64 and on pkvm-emu; the register/NZCV/memory-checksum dumps must be identical.
// ≥ 10,000 random instructions per run; more with PKVM_DIFF_SEEDS / PKVM_DIFF_COUNT.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_CLASSES, generateRandomImage } from '../gen/random-a64';
import { compareDumps, parseDump } from './compare';
import { qemuAvailable, runQemu } from './qemu';
import { Machine } from '../../machine/machine';

const SEEDS = Number(process.env.PKVM_DIFF_SEEDS ?? 8);
const COUNT = Number(process.env.PKVM_DIFF_COUNT ?? 2000);
const BASE_SEED = Number(process.env.PKVM_DIFF_BASE ?? 0x5eed);
const haveQemu = qemuAvailable();
if (!haveQemu) {
  if (process.env.CI) throw new Error('qemu-system-aarch64 is required in CI for the differential tests');
  console.warn('emu-random: qemu-system-aarch64 not found — random differential tests skipped');
}

function runEmu(elf: Uint8Array, el2: boolean): string {
  const m = new Machine({ el2 });
  m.load(elf, 'random.elf');
  m.run(50_000_000n);
  return m.uartText();
}

const tmp = mkdtempSync(join(tmpdir(), 'pkvm-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveQemu)('random instructions: pkvm-emu vs QEMU', () => {
  let total = 0;
  const cases: Array<[seed: number, classes: string[] | undefined, el2: boolean]> = [];
  for (let i = 0; i < SEEDS; i++) cases.push([BASE_SEED + i, undefined, i % 4 === 3]);
  for (const c of ALL_CLASSES) cases.push([BASE_SEED + 1000 + c.length, [c], false]);
  for (const [seed, classes, el2] of cases) {
    it(`seed ${seed} ${classes?.join(',') ?? 'all classes'}${el2 ? ' (EL2)' : ''}`, () => {
      const img = generateRandomImage(seed, COUNT, classes, { el2 });
      const path = join(tmp, `r${seed}.elf`);
      writeFileSync(path, img.elf);
      const q = runQemu(path, { el2 }).stdout.toString('latin1');
      expect(parseDump(q).complete).toBe(true);
      const ours = runEmu(img.elf, el2);
      expect(compareDumps(q, ours)).toEqual([]);
      total += img.words.length;
    });
  }
  it('ran at least 10,000 random instructions', () => {
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});
