// Random Advanced SIMD differential test (test/gen/fpsimd): seeded images of random integer SIMD,
// permute, move and crypto encodings run on qemu-system-aarch64 -cpu max and on pkvm-emu; the
// V0-V31 / X0-X28 / FPSR dumps must be identical. >= 20,000 random SIMD instructions per run
// (PKVM_SIMD_SEEDS / PKVM_SIMD_COUNT for more).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSimdImage, SIMD_DUMP_NAMES } from '../gen/fpsimd/simd-image';
import { SIMD_ENCODINGS } from '../gen/fpsimd/simd-encodings';
import { compareDumps, parseDump } from './compare';
import { qemuAvailable, runQemu } from './qemu';
import { Machine } from '../../machine/machine';

const SEEDS = Number(process.env.PKVM_SIMD_SEEDS ?? 6);
const COUNT = Number(process.env.PKVM_SIMD_COUNT ?? 2000);
const haveQemu = qemuAvailable();

function runEmu(elf: Uint8Array, el2: boolean): string {
  const m = new Machine({ el2 });
  m.load(elf, 'simd.elf');
  m.run(50_000_000n);
  return m.uartText();
}

const tmp = mkdtempSync(join(tmpdir(), 'pkvm-simd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveQemu)('random Advanced SIMD instructions: pkvm-emu vs QEMU', () => {
  let total = 0;
  const cases: Array<[number, string[] | undefined, boolean]> = [];
  for (let i = 0; i < SEEDS; i++) cases.push([0x51d0 + i, undefined, i === SEEDS - 1]);
  cases.push([0x51d0 + 50, ['ldst'], false], [0x51d0 + 51, ['ldst'], false], [0x51d0 + 52, ['ldst'], true]);
  for (const c of SIMD_ENCODINGS) cases.push([0x51d0 + 100 + c.name.length * 7 + c.name.charCodeAt(5), [c.name], false]);
  for (const [seed, names, el2] of cases) {
    it(`seed ${seed} ${names?.join(',') ?? 'all classes'}${el2 ? ' (EL2)' : ''}`, () => {
      const ldst = names?.[0] === 'ldst';
      const classes = names && !ldst ? SIMD_ENCODINGS.filter((c) => names.includes(c.name)) : SIMD_ENCODINGS;
      // 'ldst': half SIMD&FP loads/stores (LDR/STR/LDP/STP/LD1-4/ST1-4/LDxR) on a scratch area; the
      // other images mix in 10%.
      const img = generateSimdImage(seed, names && !ldst ? 1000 : COUNT, classes, el2, ldst ? 0.5 : 0.1);
      const path = join(tmp, `s${seed}.elf`);
      writeFileSync(path, img.elf);
      const q = runQemu(path, { el2 }).stdout.toString('latin1');
      const dq = parseDump(q);
      expect(dq.exception, q.slice(0, 400)).toBe(false);
      expect([...dq.values.keys()]).toEqual(SIMD_DUMP_NAMES);
      const ours = runEmu(img.elf, el2);
      expect(compareDumps(q, ours)).toEqual([]);
      total += img.words.length;
    }, 60_000);
  }
  it('ran at least 20,000 random SIMD instructions', () => {
    expect(total).toBeGreaterThanOrEqual(20_000);
  });
});
