// Every committed guest image runs on pkvm-emu and prints exactly what qemu-system-aarch64 printed
// (guest-images/expected/, recorded on QEMU; test/images checks QEMU still prints it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';
import { Core, SR } from '../../machine/core';

const dir = new URL('../../guest-images/', import.meta.url);
const runs: Array<[image: string, expected: string, el2: boolean]> = [
  ['hello', 'hello', false],
  ['hello', 'hello-el2', true],
  ['selftest', 'selftest', false],
  ['selftest', 'selftest-el2', true],
  ['compute', 'compute', false],
  ['loop', 'loop', false],
];
// The SIMD image (C at -O3: NEON strings, AES/SHA digests) also moves values between general and
// SIMD&FP registers with FMOV (general) / FMOV (register), which are scalar floating-point
// instructions (core-as/fp/): it runs once those are implemented in this build.
const simdRuns: Array<[image: string, expected: string, el2: boolean]> = [
  ['simd', 'simd', false],
  ['simd', 'simd-el2', true],
];

function fpMovesImplemented(): boolean {
  const c = new Core(1 << 20, {});
  c.reset(1, 0x4000_0000n);
  c.writePhys(0x4000_0000n, new Uint8Array([0x01, 0x00, 0x66, 0x9e, 0x03, 0x41, 0x20, 0x1e])); // fmov x1, d0; fmov s3, s8
  c.setSysreg(SR.VBAR_EL1, 0x4000_1000n);
  c.run(2);
  return c.pc === 0x4000_0008n;
}
const haveFpMoves = fpMovesImplemented();

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
    it.skipIf(!haveFpMoves)(`${expected} (needs FMOV general/register from core-as/fp)`, () => {
      const m = new Machine({ el2 });
      m.load(readFileSync(new URL(`bin/${image}.elf`, dir)), `${image}.elf`);
      const r = m.run(2_000_000_000n);
      expect(r.reason).toBe('poweroff');
      expect(m.uartText()).toBe(readFileSync(new URL(`expected/${expected}.txt`, dir), 'latin1'));
    });
  }
});
