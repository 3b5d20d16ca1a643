import { describe, expect, it } from 'vitest';
import { isElf, parseElf64, writeElf64, wordsToBytes, EM_AARCH64, PF_X, PF_R } from '../../machine/elf';
import { UserError } from '../../machine/errors';

const NOP = 0xd503201f;
const image = (): Uint8Array =>
  writeElf64(0x4008_0000n, [
    { paddr: 0x4008_0000n, data: wordsToBytes([NOP, NOP, 0x14000000]) },
    { paddr: 0x4009_0000n, data: new Uint8Array([1, 2, 3]), memsz: 0x100n },
  ]);

/** Patch a little-endian field of a copy of buf. */
function patch(buf: Uint8Array, off: number, size: 1 | 2 | 4 | 8, v: number | bigint): Uint8Array {
  const b = buf.slice();
  const dv = new DataView(b.buffer);
  if (size === 1) dv.setUint8(off, Number(v));
  else if (size === 2) dv.setUint16(off, Number(v), true);
  else if (size === 4) dv.setUint32(off, Number(v), true);
  else dv.setBigUint64(off, BigInt(v), true);
  return b;
}

function errorOf(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toContain('\n');
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

const PH0 = 64; // first program header

describe('writeElf64 / parseElf64 round trip', () => {
  it('reads back entry and segments', () => {
    const buf = image();
    expect(isElf(buf)).toBe(true);
    const elf = parseElf64(buf, 'img.elf');
    expect(elf.entry).toBe(0x4008_0000n);
    expect(elf.elfEntry).toBe(0x4008_0000n);
    expect(elf.segments).toHaveLength(2);
    const [a, b] = elf.segments;
    expect(a.paddr).toBe(0x4008_0000n);
    expect(a.vaddr).toBe(0x4008_0000n);
    expect(Array.from(a.data)).toEqual(Array.from(wordsToBytes([NOP, NOP, 0x14000000])));
    expect(a.memsz).toBe(12n);
    expect(a.flags & (PF_X | PF_R)).toBe(PF_X | PF_R);
    expect(Array.from(b.data)).toEqual([1, 2, 3]);
    expect(b.memsz).toBe(0x100n);
  });

  it('writes the header fields a loader checks', () => {
    const dv = new DataView(image().buffer);
    expect(dv.getUint8(4)).toBe(2);
    expect(dv.getUint8(5)).toBe(1);
    expect(dv.getUint16(16, true)).toBe(2);
    expect(dv.getUint16(18, true)).toBe(EM_AARCH64);
    expect(dv.getUint16(54, true)).toBe(56);
    expect(dv.getUint16(56, true)).toBe(2);
  });

  it('accepts ET_DYN and skips non-LOAD and empty segments', () => {
    let b = patch(image(), 16, 2, 3);
    b = patch(b, PH0, 4, 4); // segment 0 becomes PT_NOTE
    let elf = parseElf64(b, 'x');
    expect(elf.segments).toHaveLength(1);
    b = patch(image(), PH0 + 56 + 32, 8, 0n); // segment 1: filesz 0
    b = patch(b, PH0 + 56 + 40, 8, 0n); // memsz 0
    elf = parseElf64(b, 'x');
    expect(elf.segments).toHaveLength(1);
  });

  it('translates the entry point through an executable segment with vaddr != paddr (as QEMU)', () => {
    let b = patch(image(), PH0 + 16, 8, 0xffff_0000_0000_0000n); // p_vaddr of segment 0
    b = patch(b, 24, 8, 0xffff_0000_0000_0004n); // e_entry
    const elf = parseElf64(b, 'x');
    expect(elf.elfEntry).toBe(0xffff_0000_0000_0004n);
    expect(elf.entry).toBe(0x4008_0004n);
    expect(elf.segments[0].vaddr).toBe(0xffff_0000_0000_0000n);
  });

  it('isElf is false for short or foreign data', () => {
    expect(isElf(new Uint8Array([0x7f, 0x45]))).toBe(false);
    expect(isElf(new TextEncoder().encode('MZ\x90\x00'))).toBe(false);
  });
});

describe('parseElf64 rejects bad images with one-line UserErrors', () => {
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['empty file', () => new Uint8Array(0), /^f\.elf: not an ELF file \(bad magic\)$/],
    ['bad magic', () => patch(image(), 1, 1, 0x46), /not an ELF file/],
    ['truncated header', () => image().subarray(0, 40), /f\.elf: truncated ELF header \(40 bytes, need 64\)/],
    ['ELFCLASS32', () => patch(image(), 4, 1, 1), /f\.elf: not a 64-bit ELF \(EI_CLASS 1, ELFCLASS32\)/],
    ['big-endian', () => patch(image(), 5, 1, 2), /not a little-endian ELF/],
    ['bad EI_VERSION', () => patch(image(), 6, 1, 0), /unsupported ELF version/],
    ['x86-64 machine', () => patch(image(), 18, 2, 62), /^f\.elf: not an AArch64 ELF \(e_machine 62\)$/],
    ['relocatable object', () => patch(image(), 16, 2, 1), /not an executable ELF \(e_type 1, ET_REL: an unlinked object file\)$/],
    ['core file', () => patch(image(), 16, 2, 4), /e_type 4, ET_CORE/],
    ['no program headers', () => patch(image(), 56, 2, 0), /no program headers/],
    ['bad phentsize', () => patch(image(), 54, 2, 32), /bad e_phentsize 32/],
    ['phdrs past EOF', () => patch(image(), 32, 8, 0x10000n), /program header table .* beyond end of file/],
    ['phoff overflow', () => patch(image(), 32, 8, 0xffff_ffff_ffff_fff0n), /program header table/],
    ['truncated in phdrs', () => image().subarray(0, 100), /program header table .* beyond end of file/],
    ['filesz > memsz', () => patch(image(), PH0 + 40, 8, 4n), /segment 0: p_filesz 0xc > p_memsz 0x4/],
    ['segment data past EOF', () => patch(image(), PH0 + 8, 8, 0x10000n), /segment 0: file data 0x10000\+0xc extends beyond end of file/],
    ['segment offset overflow', () => patch(image(), PH0 + 8, 8, 0xffff_ffff_ffff_fffcn), /segment 0: file data/],
    ['truncated segment data', () => image().subarray(0, image().length - 1), /segment 1: file data .* beyond end of file/],
    ['paddr wraps', () => patch(image(), PH0 + 56 + 24, 8, 0xffff_ffff_ffff_ff01n), /segment 1: p_paddr .* wraps past 2\^64/],
    ['vaddr wraps', () => patch(image(), PH0 + 56 + 16, 8, 0xffff_ffff_ffff_ff01n), /segment 1: p_vaddr .* wraps/],
    ['no PT_LOAD', () => patch(patch(image(), PH0, 4, 6), PH0 + 56, 4, 6), /no loadable \(PT_LOAD\) segments/],
    ['PN_XNUM without sections', () => patch(image(), 56, 2, 0xffff), /PN_XNUM/],
  ];
  for (const [what, make, re] of cases) {
    it(what, () => {
      expect(errorOf(() => parseElf64(make(), 'f.elf')).message).toMatch(re);
    });
  }

  it('handles PN_XNUM with the count in section header 0', () => {
    const base = image();
    const b = new Uint8Array(base.length + 64);
    b.set(base);
    let p = patch(b, 40, 8, BigInt(base.length)); // e_shoff
    p = patch(p, 56, 2, 0xffff);
    p = patch(p, base.length + 44, 4, 2); // sh_info = 2
    expect(parseElf64(p, 'x').segments).toHaveLength(2);
  });

  it('survives random corruption without throwing anything but UserError', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const b = image();
      for (let k = 0; k < 4; k++) b[rnd() % 180] = rnd() & 0xff;
      try {
        parseElf64(b, 'fuzz');
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
      }
    }
  });
});

describe('address range edge', () => {
  it('accepts a segment ending exactly at 2^64', () => {
    const b = patch(patch(image(), PH0 + 56 + 24, 8, 0xffff_ffff_ffff_ff00n), PH0 + 56 + 16, 8, 0xffff_ffff_ffff_ff00n);
    expect(parseElf64(b, 'x').segments[1].paddr).toBe(0xffff_ffff_ffff_ff00n);
  });
});
