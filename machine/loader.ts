// Loading a `-kernel` image the way QEMU's hw/arm/boot.c (7.2) does for an AArch64 virt board:
//
//   - an ELF file: its PT_LOAD segments at their physical addresses, entered at e_entry;
//   - a gzip file: decompressed (QEMU gunzips a kernel for AArch64), then as below;
//   - a file with the arm64 Linux Image header ("ARM\x64" at byte 56): at RAM base + text_offset
//     (when image_size is non-zero; RAM base + 0x80000 otherwise; + 2 MiB when text_offset is
//     below 4 KiB, where QEMU's boot stub lives);
//   - any other file: raw at RAM base + 0x80000 (QEMU assumes a Linux kernel);
//   - `--raw ADDR` overrides the address of a raw or Image file.
//
// A Linux-style image (Image, gzip, raw) gets the devicetree where QEMU puts it, above the image:
// at the 2 MiB boundary at or above max(RAM base + min(RAM / 2, 128 MiB), end of the image), and
// x0 = its address. (QEMU checked with a probe printing x0: 0x4400_0000 with 128 MiB of RAM,
// 0x4800_0000 with 512 MiB.) An ELF gets the devicetree at the RAM base when it fits below the
// lowest segment, and x0 = its address (QEMU 7.2 places the 1 MiB blob there only when 1 MiB fits
// and leaves x0 = 0 for an ELF: we pass it, as the board has always done).
import { gunzipSync } from 'node:zlib';
import { isElf, parseElf64 } from './elf';
import { UserError } from './errors';

export const KERNEL64_LOAD_ADDR = 0x8_0000n;
const MiB = 1n << 20n;

export interface LoadPlan {
  kind: 'elf' | 'image' | 'raw';
  /** Bytes to place: data at addr, then zeroes up to addr + memsz. */
  segments: Array<{ addr: bigint; data: Uint8Array; memsz: bigint }>;
  entry: bigint;
  /** Where the devicetree goes: an address, or 'below' (RAM base, if it fits below `lowest`). */
  dtb: bigint | 'below';
  /** The initrd (QEMU's -initrd): its address and bytes, for a Linux-style image only. */
  initrd?: { addr: bigint; data: Uint8Array };
  lowest: bigint;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** Decides where an image goes (no side effects); bad input throws one-line UserErrors. */
export function planLoad(image: Uint8Array, name: string, ramBase: bigint, ramSize: bigint, rawAt?: bigint,
  initrd?: { data: Uint8Array; name: string }): LoadPlan {
  const ramEnd = ramBase + ramSize;
  const fits = (a: bigint, n: bigint) => a >= ramBase && a + n <= ramEnd;
  if (isElf(image) && rawAt === undefined) {
    // QEMU 7.2 loads an initrd only for a kernel it treats as Linux (an Image, uImage or raw file).
    if (initrd) throw new UserError(`${name}: an ELF image is not loaded as Linux, so it takes no --initrd (QEMU ignores it too); give an arm64 Image`);
    const elf = parseElf64(image, name);
    if (elf.segments.length === 0) throw new UserError(`${name}: no loadable segments`);
    for (const s of elf.segments) {
      if (!fits(s.paddr, s.memsz)) {
        throw new UserError(`${name}: segment at ${hex(s.paddr)} (+${hex(s.memsz)}) is outside RAM (${hex(ramBase)}..${hex(ramEnd)})`);
      }
    }
    const lowest = elf.segments.reduce((m, s) => (s.paddr < m ? s.paddr : m), elf.segments[0].paddr);
    return { kind: 'elf', segments: elf.segments.map((s) => ({ addr: s.paddr, data: s.data, memsz: s.memsz })), entry: elf.entry, dtb: 'below', lowest };
  }
  let data = image;
  if (image.length >= 2 && image[0] === 0x1f && image[1] === 0x8b) {
    try {
      data = gunzipSync(image, { maxOutputLength: Number(ramSize) });
    } catch (e) {
      const m = (e as Error).message ?? String(e);
      throw new UserError(`${name}: bad gzip image (${/buffer|length|size/i.test(m) ? 'larger than RAM' : m.split('\n')[0]})`);
    }
  }
  let kind: 'image' | 'raw' = 'raw';
  let offset = KERNEL64_LOAD_ADDR;
  let footprint = BigInt(data.length);
  const magic = data.length >= 60 && data[56] === 0x41 && data[57] === 0x52 && data[58] === 0x4d && data[59] === 0x64;
  if (magic) {
    if (data.length < 64) throw new UserError(`${name}: truncated arm64 Image (${data.length} bytes, the header alone is 64)`);
    kind = 'image';
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const textOffset = dv.getBigUint64(8, true);
    const imageSize = dv.getBigUint64(16, true);
    if (imageSize !== 0n) {
      offset = textOffset < 4096n ? textOffset + 2n * MiB : textOffset;
      if (imageSize > footprint) footprint = imageSize;
    }
  }
  const at = rawAt ?? ramBase + offset;
  if (!fits(at, footprint)) {
    throw new UserError(`${name}: ${kind === 'image' ? 'Image' : 'raw image'} of ${hex(footprint)} bytes at ${hex(at)} does not fit in RAM (${hex(ramBase)}..${hex(ramEnd)})`);
  }
  // QEMU (hw/arm/boot.c): initrd_start = max(RAM base + min(RAM / 2, 128 MiB), end of image),
  // page-aligned; the initrd there, as many bytes as the file has (it must fit below the end of
  // RAM); the DTB at the next 2 MiB boundary after the initrd; at RAM base if that is beyond RAM.
  let initrdStart = ramBase + (ramSize / 2n < 128n * MiB ? ramSize / 2n : 128n * MiB);
  const imageEnd = at + BigInt(data.length);
  if (imageEnd > initrdStart) initrdStart = imageEnd;
  initrdStart = (initrdStart + 0xfffn) & ~0xfffn;
  const initrdSize = initrd ? BigInt(initrd.data.length) : 0n;
  if (initrd && (initrdStart >= ramEnd || initrdSize > ramEnd - initrdStart)) {
    const room = initrdStart >= ramEnd ? 0n : ramEnd - initrdStart;
    throw new UserError(`${initrd.name}: initrd of ${hex(initrdSize)} bytes does not fit in RAM at ${hex(initrdStart)} (${hex(room)} bytes left above the kernel; give more --mem)`);
  }
  let dtb = (initrdStart + initrdSize + 2n * MiB - 1n) & ~(2n * MiB - 1n);
  if (dtb >= ramEnd) dtb = ramBase;
  return {
    kind, segments: [{ addr: at, data, memsz: BigInt(data.length) }], entry: at, dtb, lowest: at,
    initrd: initrd ? { addr: initrdStart, data: initrd.data } : undefined,
  };
}
