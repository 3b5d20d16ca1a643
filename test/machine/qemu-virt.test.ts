/**
 * Differential checks against qemu-system-aarch64 -M virt (skipped when QEMU is not installed):
 * an image built with writeElf64 makes PSCI calls over HVC and prints each x0 on the PL011, then
 * writes a string and exits through semihosting. QEMU's answers must equal handlePsci's and
 * handleSemihosting's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeElf64, wordsToBytes, parseElf64 } from '../../machine/elf';
import { handlePsci } from '../../machine/psci';
import { handleSemihosting, SemihostingState, SYS_EXIT, SYS_WRITE0 } from '../../machine/semihosting';

const QEMU = 'qemu-system-aarch64';
const haveQemu = spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * adr x20, table; ldr x21, [x20], #8; loop { ldp x0,x1 / x2,x3 from table; hvc #0; puthex(x0) }
 * then SYS_WRITE0("done\n") and SYS_EXIT({0x20026, 3}). puthex prints 16 hex digits and '\n' to
 * the PL011 at 0x09000000. `table:` follows the code: a u64 count, then count × {x0, x1, x2, x3}.
 */
const CODE = [
  0x100004d4, 0xf8408695, 0xb4000115, 0xa9400680, 0xa9410e82, 0x91008294, 0xd4000002, 0x9400000a,
  0xd10006b5, 0x17fffff9, 0x100002a1, 0xd2800080, 0xd45e0000, 0x100002a1, 0xd2800300, 0xd45e0000,
  0x14000000, 0xd2a12009, 0xd280078a, 0x9aca240b, 0x92400d6b, 0xf100297f, 0x9100c16c, 0x91015d6d,
  0x9a8d318b, 0x3900012b, 0xf100114a, 0x54ffff0a, 0x5280014b, 0x3900012b, 0xd65f03c0, 0x656e6f64,
  0x0000000a, 0xd503201f, 0x00020026, 0x00000000, 0x00000003, 0x00000000,
];
const LOAD = 0x4020_0000n;
const DONE_OFFSET = 0x7c;
const EXIT_BLOCK_OFFSET = 0x88;

function image(calls: bigint[][]): Uint8Array {
  const table = new Uint8Array(8 + calls.length * 32);
  const dv = new DataView(table.buffer);
  dv.setBigUint64(0, BigInt(calls.length), true);
  calls.forEach((c, i) => c.forEach((v, j) => dv.setBigUint64(8 + i * 32 + j * 8, BigInt.asUintN(64, v), true)));
  const code = wordsToBytes(CODE);
  const data = new Uint8Array(code.length + table.length);
  data.set(code);
  data.set(table, code.length);
  // A second, zero-filled segment checks that QEMU accepts p_memsz > p_filesz from this writer.
  return writeElf64(LOAD, [
    { paddr: LOAD, data },
    { paddr: LOAD + 0x1_0000n, data: new Uint8Array(0), memsz: 0x1000n },
  ]);
}

function runQemu(elf: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'qemu-virt-'));
  const file = join(dir, 'test.elf');
  writeFileSync(file, elf);
  const args = ['-M', 'virt', '-cpu', 'cortex-a57', '-m', '128M', '-display', 'none', '-monitor', 'none',
    '-serial', 'stdio', '-semihosting', '-kernel', file];
  const r = spawnSync(QEMU, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Our semihosting model over the image's own bytes. */
function semihost(elf: Uint8Array, op: number, param: bigint) {
  const seg = parseElf64(elf, 'test.elf').segments[0];
  const mem = {
    read(va: bigint, len: number) {
      const off = Number(va - seg.paddr);
      if (va < seg.paddr || off + len > seg.data.length) throw new Error('fault');
      return seg.data.slice(off, off + len);
    },
  };
  return handleSemihosting(op, param, mem, new SemihostingState());
}

const CALLS: bigint[][] = [
  [0x8400_0000n], // PSCI_VERSION
  [0x8400_000an, 0x8400_0000n], // PSCI_FEATURES(...)
  [0x8400_000an, 0xc400_0003n],
  [0x8400_000an, 0x8000_0000n],
  [0x8400_000an, 0x8400_0005n],
  [0x8400_000an, 0x95c1_ba5en],
  [0x8400_0006n], // MIGRATE_INFO_TYPE
  [0xc400_0004n, 0n, 0n], // AFFINITY_INFO
  [0xc400_0004n, 1n, 0n],
  [0xc400_0004n, 1n, 1n],
  [0x8400_0004n, 0x1_0000_0000n, 0n],
  [0xc400_0003n, 0n, LOAD, 0n], // CPU_ON self
  [0xc400_0003n, 5n, LOAD, 0n],
  [0xc400_0001n, 0x2_0000n], // CPU_SUSPEND with a power level
  [0x8400_0005n, 0n], // MIGRATE
  [0x8000_0000n], // SMCCC_VERSION
  [0x8000_0001n, 0x8000_8000n], // SMCCC_ARCH_FEATURES
  [0x8400_0099n],
  [0x1_8400_0000n],
];

describe.skipIf(!haveQemu)('against qemu-system-aarch64 -M virt', () => {
  it('PSCI results, semihosting output and exit status match', () => {
    const elf = image(CALLS);
    const r = runQemu(elf);
    const expected = CALLS.map((c) => handlePsci(c).x0.toString(16).padStart(16, '0') + '\n').join('');
    expect(r.stdout).toBe(expected);

    const write0 = semihost(elf, SYS_WRITE0, LOAD + BigInt(DONE_OFFSET));
    expect(write0.stream).toBe('stderr');
    expect(r.stderr).toBe(new TextDecoder().decode(write0.output));

    const exit = semihost(elf, SYS_EXIT, LOAD + BigInt(EXIT_BLOCK_OFFSET));
    expect(exit.exitCode).toBe(3);
    expect(r.status).toBe(exit.exitCode);
  });

  it('SYSTEM_OFF stops the machine with status 0 before the semihosting exit', () => {
    expect(handlePsci([0x8400_0008n]).action).toBe('off');
    const r = runQemu(image([[0x8400_0000n], [0x8400_0008n]]));
    expect(r.stdout).toBe('0000000000010001\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
