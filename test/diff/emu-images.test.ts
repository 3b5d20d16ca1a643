// Every committed guest image runs on pkvm-emu and prints exactly what qemu-system-aarch64 printed
// (guest-images/expected/, recorded on QEMU; test/images checks QEMU still prints it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';

const dir = new URL('../../guest-images/', import.meta.url);
const runs: Array<[image: string, expected: string, el2: boolean]> = [
  ['hello', 'hello', false],
  ['hello', 'hello-el2', true],
  ['selftest', 'selftest', false],
  ['selftest', 'selftest-el2', true],
  ['compute', 'compute', false],
  ['loop', 'loop', false],
  ['kernels', 'kernels', false], // the C benchmark (integer kernels) at -O2 and -O3
  ['kernels-o3', 'kernels-o3', false],
];
// The SIMD image: C at -O3 (NEON strings, AES/SHA digests, auto-vectorized loops).
const simdRuns: Array<[image: string, expected: string, el2: boolean]> = [
  ['simd', 'simd', false],
  ['simd', 'simd-el2', true],
];

// The floating-point workload compiled the ordinary way: -O2 (scalar FP) and -O3 (vectorized).
describe('the floating-point guest images on pkvm-emu match QEMU', () => {
  for (const [image, expected, el2] of [['fpcompute', 'fpcompute', false], ['fpcompute', 'fpcompute-el2', true], ['fpcompute-o3', 'fpcompute-o3', false]] as const) {
    it(expected, () => {
      const m = new Machine({ el2 });
      m.load(readFileSync(new URL(`bin/${image}.elf`, dir)), `${image}.elf`);
      const r = m.run(2_000_000_000n);
      expect(m.uartText()).toBe(readFileSync(new URL(`expected/${expected}.txt`, dir), 'latin1'));
      expect(r.reason).toBe('poweroff');
    });
  }
});

describe('guest images on pkvm-emu match QEMU', () => {
  for (const [image, expected, el2] of runs) {
    it(`${expected}`, () => {
      const m = new Machine({ el2 });
      m.load(readFileSync(new URL(`bin/${image}.elf`, dir)), `${image}.elf`);
      const r = m.run(2_000_000_000n);
      expect(r.reason).toBe('poweroff');
      expect(m.uartText()).toBe(readFileSync(new URL(`expected/${expected}.txt`, dir), 'latin1'));
    });
  }
  for (const [image, expected, el2] of simdRuns) {
    it(`${expected}`, () => {
      const m = new Machine({ el2 });
      m.load(readFileSync(new URL(`bin/${image}.elf`, dir)), `${image}.elf`);
      const r = m.run(2_000_000_000n);
      expect(r.reason).toBe('poweroff');
      expect(m.uartText()).toBe(readFileSync(new URL(`expected/${expected}.txt`, dir), 'latin1'));
    });
  }
});
