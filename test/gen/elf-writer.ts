// Minimal ELF64 writer for test images (System V gABI, AArch64 ELF ABI): ELF header, one PT_LOAD
// program header per segment (RWX, p_vaddr = p_paddr), the segment bytes, no section headers.
// `qemu-system-aarch64 -M virt -kernel image.elf` loads each segment at p_paddr and starts at e_entry.
// Kept independent of machine/elf.ts so the differential tests do not share code with the loader
// they check.

export interface ElfSegment {
  paddr: bigint;
  data: Uint8Array;
}

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const EM_AARCH64 = 183;
const ET_EXEC = 2;
const PT_LOAD = 1;
const PF_RWX = 7; // PF_X 1 | PF_W 2 | PF_R 4
const PAGE = 0x1000;

export function writeElf64(entry: bigint, segments: ElfSegment[]): Uint8Array {
  if (segments.length === 0 || segments.length >= 0xffff) throw new RangeError('writeElf64: need 1..65534 segments');
  // File offsets are congruent to the load address modulo the page size (p_align = 4 KiB).
  let off = EHDR_SIZE + PHDR_SIZE * segments.length;
  const offsets = segments.map((s) => {
    const want = Number(s.paddr % BigInt(PAGE));
    off += (want - (off % PAGE) + PAGE) % PAGE;
    const o = off;
    off += s.data.length;
    return o;
  });
  const out = new Uint8Array(off);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0 /* ELFOSABI_NONE */]);
  dv.setUint16(16, ET_EXEC, true);
  dv.setUint16(18, EM_AARCH64, true);
  dv.setUint32(20, 1, true); // e_version
  dv.setBigUint64(24, BigInt.asUintN(64, entry), true); // e_entry
  dv.setBigUint64(32, BigInt(EHDR_SIZE), true); // e_phoff
  dv.setBigUint64(40, 0n, true); // e_shoff: no section headers
  dv.setUint32(48, 0, true); // e_flags
  dv.setUint16(52, EHDR_SIZE, true); // e_ehsize
  dv.setUint16(54, PHDR_SIZE, true); // e_phentsize
  dv.setUint16(56, segments.length, true); // e_phnum
  dv.setUint16(58, 64, true); // e_shentsize
  dv.setUint16(60, 0, true); // e_shnum
  dv.setUint16(62, 0, true); // e_shstrndx = SHN_UNDEF
  segments.forEach((s, i) => {
    const p = EHDR_SIZE + i * PHDR_SIZE;
    const size = BigInt(s.data.length);
    dv.setUint32(p, PT_LOAD, true);
    dv.setUint32(p + 4, PF_RWX, true);
    dv.setBigUint64(p + 8, BigInt(offsets[i]), true); // p_offset
    dv.setBigUint64(p + 16, s.paddr, true); // p_vaddr
    dv.setBigUint64(p + 24, s.paddr, true); // p_paddr
    dv.setBigUint64(p + 32, size, true); // p_filesz
    dv.setBigUint64(p + 40, size, true); // p_memsz
    dv.setBigUint64(p + 48, BigInt(PAGE), true); // p_align
    out.set(s.data, offsets[i]);
  });
  return out;
}
