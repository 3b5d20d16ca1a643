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
import { parseFdt } from '../../machine/fdt';
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

/** An initrd of n bytes with a recognisable pattern. */
const initrdOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
// [mem, initrd bytes, printed]: QEMU 7.2 puts the initrd at max(RAM base + min(RAM / 2, 128 MiB),
// end of image), page-aligned, and the DTB at the next 2 MiB boundary after the initrd's end.
const initrdCases: Array<[string, number, string]> = [
  ['128M', 3 * 1024 * 1024 + 5, '0000000044400000 0000000040080000'],
  ['512M', 1, '0000000048200000 0000000040080000'],
  ['64M', 2 * 1024 * 1024, '0000000042200000 0000000040080000'],
];

function boot(bytes: Uint8Array, mem: string, rawAt?: bigint, initrd?: Uint8Array): string {
  const m = new Machine({ memBytes: memBytes(mem) });
  m.load(bytes, 'test', rawAt, initrd ? { data: initrd, name: 'initrd' } : undefined);
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
  for (const [mem, n, want] of initrdCases) {
    it(`an Image with a ${n}-byte initrd and ${mem}: the DTB at the 2 MiB boundary after the initrd`, () => {
      expect(boot(variants.Image, mem, undefined, initrdOf(n))).toBe(want);
    });
  }
  it('the initrd lies at max(RAM base + min(RAM / 2, 128 MiB), end of image) and /chosen gives its start and end', () => {
    const m = new Machine({ memBytes: 128 << 20 });
    const rd = initrdOf(100_000);
    m.load(variants.Image, 'Image', undefined, { data: rd, name: 'rd' });
    expect(Buffer.from(m.core.readPhys(0x4400_0000n, rd.length))).toEqual(Buffer.from(rd));
    const chosen = parseFdt(m.dtb).root.children.find((c) => c.name === 'chosen')!;
    const u64 = (b: Uint8Array | undefined) => Buffer.from(b!).readBigUInt64BE(0);
    expect(u64(chosen.props.get('linux,initrd-start'))).toBe(0x4400_0000n);
    expect(u64(chosen.props.get('linux,initrd-end'))).toBe(0x4400_0000n + 100_000n);
    const plain = new Machine({ memBytes: 128 << 20 });
    plain.load(variants.Image, 'Image');
    expect(parseFdt(plain.dtb).root.children.find((c) => c.name === 'chosen')!.props.has('linux,initrd-start')).toBe(false);
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
    it('an initrd that does not fit above the kernel', () => {
      expect(err(() => planLoad(imageBytes, 'k', 0x4000_0000n, 64n << 20n, undefined, { data: new Uint8Array(33 << 20), name: 'rd.gz' })))
        .toMatch(/^rd\.gz: initrd of 0x2100000 bytes does not fit in RAM at 0x42000000 \(0x2000000 bytes left above the kernel; give more --mem\)$/);
    });
    it('an initrd with an ELF kernel (QEMU loads an initrd only for a Linux kernel)', () => {
      expect(err(() => planLoad(elfBytes, 'k.elf', 0x4000_0000n, 64n << 20n, undefined, { data: new Uint8Array(8), name: 'rd' }))).toMatch(/^k\.elf: an ELF image is not loaded as Linux, so it takes no --initrd/);
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
  for (const [mem, n, want] of initrdCases) {
    it(`Image with a ${n}-byte -initrd and ${mem}`, () => {
      const f = join(dir, 'Image'), rd = join(dir, `initrd-${n}`);
      writeFileSync(f, variants.Image);
      writeFileSync(rd, initrdOf(n));
      const q = spawnSync('qemu-system-aarch64', ['-M', 'virt,gic-version=3', '-cpu', 'max', '-m', mem, '-nographic',
        '-monitor', 'none', '-serial', 'stdio', '-kernel', f, '-initrd', rd], { encoding: 'latin1', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
      expect(q.stdout.trim()).toBe(want);
    });
  }
});
