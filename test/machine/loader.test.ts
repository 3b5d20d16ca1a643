// Loading images as QEMU's -kernel (hw/arm/boot.c) does: guest-images/smp/bootinfo.S prints x0 and
// its own load address. The same bytes boot as an ELF, an arm64 Image (text_offset / image_size
// variants), a gzip'd Image and a raw file. Expected values are QEMU 7.2's (-M virt,gic-version=3;
// checked live below when qemu-system-aarch64 is installed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';
import { parseElf64 } from '../../machine/elf';
import { planLoad } from '../../machine/loader';
import { UserError } from '../../machine/errors';

const elfBytes = new Uint8Array(readFileSync(new URL('../../guest-images/bin/bootinfo.elf', import.meta.url)));
const elf = parseElf64(elfBytes, 'bootinfo.elf');
const seg = elf.segments[0];
/** The image proper (from _start), as objcopy -O binary would give it. */
const imageBytes = new Uint8Array(seg.data.subarray(Number(elf.entry - seg.paddr)));

function patched(f: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(imageBytes);
  f(new DataView(b.buffer, b.byteOffset, b.byteLength), b);
  return b;
}
const variants: Record<string, Uint8Array> = {
  Image: imageBytes,
  'Image.gz': gzipSync(imageBytes),
  raw: patched((_, b) => { b[56] = 0x58; }), // no magic: a raw image
  'Image text_offset 2M': patched((dv) => dv.setBigUint64(8, 0x20_0000n, true)),
  'Image text_offset 0': patched((dv) => dv.setBigUint64(8, 0n, true)),
  'Image image_size 0': patched((dv) => { dv.setBigUint64(8, 0x20_0000n, true); dv.setBigUint64(16, 0n, true); }),
};
// [variant, mem, printed] with QEMU 7.2's output (x0 = DTB address, load address).
const cases: Array<[string, string, string]> = [
  ['Image', '128M', '0000000044000000 0000000040080000'],
  ['Image', '512M', '0000000048000000 0000000040080000'],
  ['Image', '64M', '0000000042000000 0000000040080000'],
  ['Image.gz', '128M', '0000000044000000 0000000040080000'],
  ['raw', '128M', '0000000044000000 0000000040080000'],
  ['raw', '512M', '0000000048000000 0000000040080000'],
  ['Image text_offset 2M', '128M', '0000000044000000 0000000040200000'],
  ['Image text_offset 0', '128M', '0000000044000000 0000000040200000'],
  ['Image image_size 0', '512M', '0000000048000000 0000000040080000'],
];
const memBytes = (m: string) => parseInt(m, 10) * 1024 * 1024;

function boot(bytes: Uint8Array, mem: string, rawAt?: bigint): string {
  const m = new Machine({ memBytes: memBytes(mem) });
  m.load(bytes, 'test', rawAt);
  const r = m.run(100_000n);
  expect(r.reason).toBe('poweroff');
  return m.uartText().trim();
}

describe('loading as QEMU -kernel', () => {
  for (const [v, mem, want] of cases) {
    it(`${v} with ${mem}: DTB above the image, x0 = its address, image where QEMU puts it`, () => {
      expect(boot(variants[v], mem)).toBe(want);
    });
  }
  it('an ELF goes to its segments; the DTB at the RAM base below it, x0 = its address (QEMU 7.2: x0 = 0)', () => {
    expect(boot(elfBytes, '128M')).toBe('0000000040000000 0000000040080000');
  });
  it('the DTB of an Image lies above the image and above its bss (image_size)', () => {
    const big = patched((dv) => dv.setBigUint64(16, 0x500_0000n, true)); // 80 MiB footprint
    const p = planLoad(big, 'big', 0x4000_0000n, 128n << 20n);
    expect(p.entry).toBe(0x4008_0000n);
    expect(p.dtb).toBe(0x4400_0000n); // still above the image end; the footprint is only checked
    const tall = new Uint8Array(70 << 20); tall.set(imageBytes); // file reaching past RAM/2
    const q = planLoad(tall, 'tall', 0x4000_0000n, 128n << 20n);
    expect(q.dtb).toBe(0x4480_0000n); // max(RAM/2, end of file) rounded up to 2 MiB
  });
  it('--raw ADDR overrides where a raw image or an Image goes', () => {
    expect(boot(variants.raw, '128M', 0x4010_0000n)).toBe('0000000044000000 0000000040100000');
  });
  it('the devicetree at x0 is the board\'s (magic, size)', () => {
    const m = new Machine({ memBytes: 128 << 20, smp: 2 });
    m.load(variants.Image, 'Image');
    expect(m.dtbAddr).toBe(0x4400_0000n);
    expect(m.core.getX(0)).toBe(0x4400_0000n);
    expect(Buffer.from(m.core.readPhys(0x4400_0000n, m.dtb.length))).toEqual(Buffer.from(m.dtb));
  });
  describe('bad input: one clear error', () => {
    const err = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(UserError); return (e as Error).message; } throw new Error('no error'); };
    it('truncated Image header', () => {
      const t = imageBytes.slice(0, 62);
      expect(err(() => planLoad(t, 'k', 0x4000_0000n, 128n << 20n))).toMatch(/^k: truncated arm64 Image \(62 bytes/);
    });
    it('an Image whose image_size does not fit in RAM', () => {
      const big = patched((dv) => dv.setBigUint64(16, 0x1000_0000n, true));
      expect(err(() => planLoad(big, 'k', 0x4000_0000n, 128n << 20n))).toMatch(/^k: Image of 0x10000000 bytes at 0x40080000 does not fit in RAM/);
    });
    it('a raw file larger than RAM', () => {
      expect(err(() => planLoad(new Uint8Array(2 << 20), 'k', 0x4000_0000n, 1n << 20n))).toMatch(/^k: raw image of 0x200000 bytes at 0x40080000 does not fit in RAM/);
    });
    it('a corrupt gzip file', () => {
      const g = gzipSync(imageBytes).slice(0, 30);
      expect(err(() => planLoad(g, 'k', 0x4000_0000n, 128n << 20n))).toMatch(/^k: bad gzip image/);
    });
    it('a gzip file that expands beyond RAM', () => {
      const g = gzipSync(new Uint8Array(3 << 20));
      expect(err(() => planLoad(g, 'k', 0x4000_0000n, 2n << 20n))).toMatch(/^k: bad gzip image \(larger than RAM\)/);
    });
  });
});

const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'], { stdio: 'ignore' }).status === 0;
describe.skipIf(!haveQemu)('the same files on QEMU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loader-'));
  for (const [v, mem, want] of cases) {
    it(`${v} with ${mem}`, () => {
      const f = join(dir, v.replace(/ /g, '_'));
      writeFileSync(f, variants[v]);
      const q = spawnSync('qemu-system-aarch64', ['-M', 'virt,gic-version=3', '-cpu', 'max', '-m', mem, '-nographic',
        '-monitor', 'none', '-serial', 'stdio', '-kernel', f], { encoding: 'latin1', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
      expect(q.stdout.trim()).toBe(want);
    });
  }
});
