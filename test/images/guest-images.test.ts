// Checks on the committed guest images (guest-images/bin/*.elf):
// - each is a static little-endian AArch64 ELF64 executable loading at 0x4008_0000;
// - if qemu-system-aarch64 is installed, each runs to PSCI SYSTEM_OFF and prints
//   exactly guest-images/expected/<name>.txt;
// - if the cross toolchain is installed, `make -C guest-images check` passes
//   (the binaries are a reproducible build of the sources).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../guest-images', import.meta.url));
const images = ['hello', 'compute', 'loop', 'selftest', 'fpcompute', 'fpcompute-o3', 'simd', 'simdbench', 'kernels', 'kernels-o3'];

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const haveQemu = has('qemu-system-aarch64');
const haveCross = has('aarch64-linux-gnu-gcc') && has('make');

describe('guest images', () => {
  for (const name of images) {
    it(`${name}.elf is an AArch64 ELF64 executable at 0x40080000`, () => {
      const elf = readFileSync(join(dir, 'bin', `${name}.elf`));
      expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(elf[4]).toBe(2); // ELFCLASS64
      expect(elf[5]).toBe(1); // little-endian
      expect(elf.readUInt16LE(16)).toBe(2); // ET_EXEC
      expect(elf.readUInt16LE(18)).toBe(183); // EM_AARCH64
      expect(elf.readBigUInt64LE(24)).toBe(0x4008_0000n); // e_entry
    });
  }

  const runs: Array<[string, string, string[]]> = [
    ['hello', 'hello', []],
    ['hello', 'hello-el2', ['--el2']],
    ['compute', 'compute', []],
    ['loop', 'loop', []],
    ['selftest', 'selftest', []],
    ['selftest', 'selftest-el2', ['--el2']],
    ['fpcompute', 'fpcompute', []],
    ['fpcompute', 'fpcompute-el2', ['--el2']],
    ['fpcompute-o3', 'fpcompute-o3', []],
    ['kernels', 'kernels', []],
    ['kernels-o3', 'kernels-o3', []],
    ['simd', 'simd', []],
    ['simd', 'simd-el2', ['--el2']],
  ];
  for (const [image, expected, args] of runs) {
    it.skipIf(!haveQemu)(`QEMU output of ${image} ${args.join(' ')} matches expected/${expected}.txt`, () => {
      const out = execFileSync(join(dir, 'run-qemu.sh'), [image, ...args], {
        encoding: 'latin1',
        env: { ...process.env, QEMU_TIMEOUT: '60' },
      });
      expect(out).toBe(readFileSync(join(dir, 'expected', `${expected}.txt`), 'latin1'));
    });
  }

  it.skipIf(!haveCross)('bin/*.elf are a reproducible build of the sources (make check)', () => {
    const r = spawnSync('make', ['-s', '-C', dir, 'check'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/differs|missing/);
    expect(r.status).toBe(0);
  });
});
