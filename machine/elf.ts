/**
 * ELF64 loader and a minimal writer (System V ABI "ELF-64 Object File Format", AArch64 ELF ABI).
 *
 * parseElf64 validates an image the way a user would want to hear about it (one-line UserError per
 * defect) and returns its PT_LOAD segments. Loading follows QEMU's `-kernel` ELF loader: segments go
 * to p_paddr, and when an executable segment's p_vaddr differs from its p_paddr and contains
 * e_entry, the entry point is translated to the physical address.
 */
import { UserError } from './errors';

export interface LoadSegment {
  /** Physical load address (p_paddr). */
  paddr: bigint;
  /** Link-time virtual address (p_vaddr). */
  vaddr: bigint;
  /** The p_filesz bytes from the file; the rest of memsz is zero-filled by the loader. */
  data: Uint8Array;
  memsz: bigint;
  /** p_flags: PF_X 1, PF_W 2, PF_R 4. */
  flags: number;
}

export interface ElfImage {
  /** Where the CPU starts: e_entry, translated to physical as QEMU does (see file comment). */
  entry: bigint;
  /** e_entry exactly as in the header. */
  elfEntry: bigint;
  segments: LoadSegment[];
}

export const EM_AARCH64 = 183;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const PN_XNUM = 0xffff;
const U64_LIMIT = 1n << 64n;

const ELF_CLASS_NAMES: Record<number, string> = { 0: 'ELFCLASSNONE', 1: 'ELFCLASS32' };
const ELF_TYPE_NAMES: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL: an unlinked object file', 4: 'ET_CORE' };

/** True when buf starts with the ELF magic \x7fELF. */
export function isElf(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

const hex = (v: bigint | number): string => '0x' + v.toString(16);

/** Parse and validate an AArch64 ELF64 image; every defect throws a one-line UserError naming `name`. */
export function parseElf64(buf: Uint8Array, name: string): ElfImage {
  const fail = (why: string): never => {
    throw new UserError(`${name}: ${why}`);
  };
  const fileSize = BigInt(buf.length);
  if (!isElf(buf)) fail('not an ELF file (bad magic)');
  if (buf.length < EHDR_SIZE) fail(`truncated ELF header (${buf.length} bytes, need ${EHDR_SIZE})`);
  const cls = buf[4];
  if (cls !== 2) fail(`not a 64-bit ELF (EI_CLASS ${cls}${ELF_CLASS_NAMES[cls] ? ', ' + ELF_CLASS_NAMES[cls] : ''})`);
  if (buf[5] !== 1) fail(`not a little-endian ELF (EI_DATA ${buf[5]})`);
  if (buf[6] !== 1) fail(`unsupported ELF version (EI_VERSION ${buf[6]})`);

  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const eType = dv.getUint16(16, true);
  const eMachine = dv.getUint16(18, true);
  if (eMachine !== EM_AARCH64) fail(`not an AArch64 ELF (e_machine ${eMachine})`);
  if (eType !== ET_EXEC && eType !== ET_DYN) {
    fail(`not an executable ELF (e_type ${eType}${ELF_TYPE_NAMES[eType] ? ', ' + ELF_TYPE_NAMES[eType] : ''})`);
  }
  const elfEntry = dv.getBigUint64(24, true);
  const phoff = dv.getBigUint64(32, true);
  const shoff = dv.getBigUint64(40, true);
  const phentsize = dv.getUint16(54, true);
  let phnum = dv.getUint16(56, true);

  if (phnum === PN_XNUM) {
    // The real count lives in sh_info of section header 0 (gABI "Extended program header numbering").
    if (shoff === 0n || shoff + BigInt(SHDR_SIZE) > fileSize) {
      fail(`e_phnum is PN_XNUM but section header 0 at ${hex(shoff)} is outside the file`);
    }
    phnum = dv.getUint32(Number(shoff) + 44, true);
  }
  if (phnum === 0) fail('no program headers');
  if (phentsize !== PHDR_SIZE) fail(`bad e_phentsize ${phentsize} (want ${PHDR_SIZE})`);
  const phEnd = phoff + BigInt(phnum) * BigInt(PHDR_SIZE);
  if (phoff === 0n || phEnd > fileSize) {
    fail(`program header table (${hex(phoff)}, ${phnum} entries) extends beyond end of file (size ${hex(fileSize)})`);
  }

  const segments: LoadSegment[] = [];
  let entry = elfEntry;
  for (let i = 0; i < phnum; i++) {
    const p = Number(phoff) + i * PHDR_SIZE;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    const flags = dv.getUint32(p + 4, true);
    const offset = dv.getBigUint64(p + 8, true);
    const vaddr = dv.getBigUint64(p + 16, true);
    const paddr = dv.getBigUint64(p + 24, true);
    const filesz = dv.getBigUint64(p + 32, true);
    const memsz = dv.getBigUint64(p + 40, true);
    const seg = `segment ${i}`;
    if (filesz > memsz) fail(`${seg}: p_filesz ${hex(filesz)} > p_memsz ${hex(memsz)}`);
    if (memsz === 0n) continue;
    if (offset + filesz > fileSize) {
      fail(`${seg}: file data ${hex(offset)}+${hex(filesz)} extends beyond end of file (size ${hex(fileSize)})`);
    }
    if (paddr + memsz > U64_LIMIT) fail(`${seg}: p_paddr ${hex(paddr)}+${hex(memsz)} wraps past 2^64`);
    if (vaddr + memsz > U64_LIMIT) fail(`${seg}: p_vaddr ${hex(vaddr)}+${hex(memsz)} wraps past 2^64`);
    const data = buf.subarray(Number(offset), Number(offset + filesz));
    segments.push({ paddr, vaddr, data, memsz, flags });
    // QEMU include/hw/elf_ops.h: e_entry is virtual; translate it through the segment holding it.
    if (vaddr !== paddr && flags & PF_X && elfEntry >= vaddr && elfEntry < vaddr + filesz) {
      entry = elfEntry - vaddr + paddr;
    }
  }
  if (segments.length === 0) fail('no loadable (PT_LOAD) segments');
  return { entry, elfEntry, segments };
}

export interface ElfWriteSegment {
  paddr: bigint;
  data: Uint8Array;
  /** Defaults to data.length; larger values add a zero-filled tail (like .bss). */
  memsz?: bigint;
}

/**
 * Write a minimal ELF64 ET_EXEC for AArch64: ELF header, program headers (PT_LOAD, RWX,
 * p_vaddr = p_paddr), the segment bytes, and no section headers. QEMU's -kernel loader and
 * binutils' readelf accept it. Meant for building test images from raw instruction words.
 */
export function writeElf64(entry: bigint, segments: ElfWriteSegment[]): Uint8Array {
  const phoff = EHDR_SIZE;
  let off = phoff + PHDR_SIZE * segments.length;
  const offsets: number[] = [];
  for (const s of segments) {
    off = (off + 15) & ~15;
    offsets.push(off);
    off += s.data.length;
  }
  const out = new Uint8Array(off);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0 /* SYSV */]);
  dv.setUint16(16, ET_EXEC, true);
  dv.setUint16(18, EM_AARCH64, true);
  dv.setUint32(20, 1, true); // e_version
  dv.setBigUint64(24, BigInt.asUintN(64, entry), true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setBigUint64(40, 0n, true); // e_shoff
  dv.setUint32(48, 0, true); // e_flags
  dv.setUint16(52, EHDR_SIZE, true);
  dv.setUint16(54, PHDR_SIZE, true);
  dv.setUint16(56, segments.length, true);
  dv.setUint16(58, SHDR_SIZE, true);
  dv.setUint16(60, 0, true); // e_shnum
  dv.setUint16(62, 0, true); // e_shstrndx (SHN_UNDEF)
  segments.forEach((s, i) => {
    const p = phoff + i * PHDR_SIZE;
    const filesz = BigInt(s.data.length);
    const memsz = s.memsz ?? filesz;
    if (memsz < filesz) throw new RangeError(`writeElf64: segment ${i} memsz < data length`);
    dv.setUint32(p, PT_LOAD, true);
    dv.setUint32(p + 4, PF_R | PF_W | PF_X, true);
    dv.setBigUint64(p + 8, BigInt(offsets[i]), true);
    dv.setBigUint64(p + 16, s.paddr, true);
    dv.setBigUint64(p + 24, s.paddr, true);
    dv.setBigUint64(p + 32, filesz, true);
    dv.setBigUint64(p + 40, memsz, true);
    dv.setBigUint64(p + 48, 1n, true); // p_align: no constraint
    out.set(s.data, offsets[i]);
  });
  return out;
}

/** Little-endian bytes of 32-bit instruction words, for writeElf64 test images. */
export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}
