// Distributor (GICD_*, 64 KiB at 0x0800_0000) and redistributor (GICR_*, an RD_base + SGI_base
// frame pair per CPU at 0x080A_0000) registers, handled inside the core: mem.ts calls gicMmio() for
// physical addresses in these frames. Sizes as QEMU accepts them: bytes for IPRIORITYR, 64-bit for
// IROUTER/GICR_TYPER/PROPBASER/PENDBASER, 32-bit for the rest; anything else is RAZ/WI (QEMU
// logs a guest error and does the same). One security state: GICD_CTLR.DS = 1, ARE = 1.
import {
  C_PENDBASER, C_PROPBASER, C_WAKER, cpuBlock, GICD_BASE_PA, GICD_CTLR_ADDR, GICD_CTLR_EN_GRP0,
  GICD_CTLR_EN_GRP1, GICD_SIZE, GICR_BASE_PA, GICR_STRIDE, IROUTER, MAP_ACTIVE, MAP_EDGE, MAP_ENABLED,
  MAP_GROUP, MAP_PENDING, MAP_LEVEL, MAPS, NUM_IRQ, NUM_SPI_WORDS, PRIO,
} from './gic-layout';
import { gicUpdateAll, gicUpdateCpu, cpuAffinity } from './gic-update';
import { numCpus } from '../cpu-index';

/** GICD_IIDR / GICR_IIDR: Arm (0x43b), revision 0, product 0 (QEMU's GICv3, like a GIC-500 r0p0). */
export const GIC_IIDR: u32 = 0x43b;
/**
 * GICD_TYPER: ITLinesNumber = 8 (288 INTIDs), IDbits = 15 (16-bit INTIDs), A3V, No1N (1-of-N SPI
 * routing not supported), SecurityExtn = 0 (DS = 1), no LPIs/MBIs (QEMU with its=off).
 */
export const GICD_TYPER_VALUE: u32 = ((NUM_IRQ >> 5) - 1) | (15 << 19) | (1 << 24) | (1 << 25);
// ID registers at 0xFFD0..0xFFFC: PIDR4..7, PIDR0..3, CIDR0..3 (PIDR2.ArchRev = 3: GICv3).
const GICD_IDS: StaticArray<u8> = [0x44, 0, 0, 0, 0x92, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1];
const GICR_IDS: StaticArray<u8> = [0x44, 0, 0, 0, 0x93, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1];

/** The PA lies in the distributor or in a present CPU's redistributor frames. */
export function gicOwnsPa(pa: u64): bool {
  if (pa - GICD_BASE_PA < GICD_SIZE) return true;
  return pa >= GICR_BASE_PA && pa - GICR_BASE_PA < GICR_STRIDE * <u64>numCpus;
}

/** A bitmap word: SPI words (n = 1..8 of a GICD_*R<n> register) or CPU `cpu`'s private word. */
@inline function wordAddr(map: u32, wordOff: u32): u32 { return MAPS + (map << 6) + wordOff; }

function readBitmapReg(map: u32, wordOff: u32): u32 {
  if (map == MAP_PENDING) {
    return load<u32>(wordAddr(MAP_PENDING, wordOff)) |
      (load<u32>(wordAddr(MAP_LEVEL, wordOff)) & ~load<u32>(wordAddr(MAP_EDGE, wordOff)));
  }
  return load<u32>(wordAddr(map, wordOff));
}

/** GICx_ISxxxR / ICxxxR / IGROUPR for one word (setClear: 1 set, 2 clear, 0 plain write). */
function writeBitmapReg(map: u32, wordOff: u32, v: u32, setClear: u32): void {
  const a = wordAddr(map, wordOff);
  if (setClear == 1) store<u32>(a, load<u32>(a) | v);
  else if (setClear == 2) store<u32>(a, load<u32>(a) & ~v);
  else store<u32>(a, v);
}

/**
 * The 0x080..0x3FF bitmap block (IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER), for word `n`
 * of a register (bank word offset `wordOff`). Returns the value read (reads) or 0.
 */
function bitmapBlock(off: u32, wordOff: u32, isWrite: bool, v: u32): u32 {
  const kind = off >> 7; // 1 IGROUPR, 2 ISENABLER, 3 ICENABLER, 4 ISPENDR, 5 ICPENDR, 6 ISACTIVER, 7 ICACTIVER
  const map = kind == 1 ? MAP_GROUP : kind <= 3 ? MAP_ENABLED : kind <= 5 ? MAP_PENDING : MAP_ACTIVE;
  if (!isWrite) return readBitmapReg(map, wordOff);
  writeBitmapReg(map, wordOff, v, kind == 1 ? 0 : (kind & 1) == 0 ? 1 : 2);
  return 0;
}

/** ICFGR: 2 bits per interrupt, Int_config[1] (odd bit) = edge. `first` is the register's first INTID. */
function readIcfgr(cpu: u32, first: u32): u32 {
  const w = load<u32>(MAPS + (MAP_EDGE << 6) + (first < 32 ? cpu << 2 : (7 + (first >> 5)) << 2));
  const half = (w >> (first & 16)) & 0xffff;
  let r: u32 = 0;
  for (let i: u32 = 0; i < 16; i++) if ((half & (1 << i)) != 0) r |= 2 << (i << 1);
  return r;
}
function writeIcfgr(cpu: u32, first: u32, v: u32): void {
  const a = MAPS + (MAP_EDGE << 6) + (first < 32 ? cpu << 2 : (7 + (first >> 5)) << 2);
  let half: u32 = 0;
  for (let i: u32 = 0; i < 16; i++) if ((v & (2 << (i << 1))) != 0) half |= 1 << i;
  const sh = first & 16;
  store<u32>(a, (load<u32>(a) & ~(0xffff << sh)) | (half << sh));
}

/** IPRIORITYR bytes; the low (unimplemented) priority bits are kept, as QEMU's distributor does. */
function prioBytes(base: u32, n: u32, isWrite: bool, v: u64): u64 {
  let r: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (isWrite) store<u8>(base + i, <u8>(v >> (i << 3)));
    else r |= <u64>load<u8>(base + i) << (i << 3);
  }
  return r;
}

function distAccess(off: u32, size: u32, isWrite: bool, v: u64): u64 {
  const v32 = <u32>v;
  if (off >= 0x400 && off < 0x800) { // GICD_IPRIORITYR: SGIs/PPIs are in the redistributor
    const intid = off - 0x400;
    if (size != 1 && size != 4) return 0;
    if (intid < 32 || intid + size > NUM_IRQ) return 0;
    const r = prioBytes(PRIO + 256 + intid - 32, size, isWrite, v);
    if (isWrite) gicUpdateAll();
    return r;
  }
  if (off >= 0x6100 && off < 0x6100 + (NUM_IRQ - 32) * 8) { // GICD_IROUTER<n>, n >= 32
    if (size != 8 && size != 4) return 0;
    const a = IROUTER + (off - 0x6100 & ~7);
    const mask: u64 = 0xff00ffffff; // Aff3, Aff2, Aff1, Aff0; IRM is RES0 with No1N = 1
    if (!isWrite) {
      const r = load<u64>(a);
      return size == 8 ? r : (off & 4) != 0 ? r >> 32 : r & 0xffffffff;
    }
    if (size == 8) store<u64>(a, v & mask);
    else if ((off & 4) != 0) store<u64>(a, ((load<u64>(a) & 0xffffffff) | (v << 32)) & mask);
    else store<u64>(a, ((load<u64>(a) & ~<u64>0xffffffff) | (v & 0xffffffff)) & mask);
    gicUpdateAll();
    return 0;
  }
  if (off >= 0xffd0) {
    if (size != 4 || isWrite) return 0;
    return GICD_IDS[(off - 0xffd0) >> 2];
  }
  if (size != 4) return 0;
  if (off >= 0x80 && off < 0x400) {
    const n = (off & 0x7f) >> 2;
    if (n == 0 || n > NUM_SPI_WORDS) return 0; // SGIs/PPIs: in the redistributor (ARE = 1)
    const r = bitmapBlock(off, (7 + n) << 2, isWrite, v32);
    if (isWrite) gicUpdateAll();
    return r;
  }
  if (off >= 0xc00 && off < 0xd00) { // GICD_ICFGR<n>
    const first = (off - 0xc00) << 2;
    if (first < 32 || first >= NUM_IRQ) return 0;
    if (!isWrite) return readIcfgr(0, first);
    writeIcfgr(0, first, v32);
    return 0;
  }
  switch (off) {
    case 0x0: // GICD_CTLR: only the group enables are writable (DS = 1)
      if (!isWrite) return load<u32>(GICD_CTLR_ADDR);
      store<u32>(GICD_CTLR_ADDR, (load<u32>(GICD_CTLR_ADDR) & ~3) | (v32 & (GICD_CTLR_EN_GRP0 | GICD_CTLR_EN_GRP1)));
      gicUpdateAll();
      return 0;
    case 0x4: return isWrite ? 0 : GICD_TYPER_VALUE;
    case 0x8: return isWrite ? 0 : GIC_IIDR;
  }
  return 0; // TYPER2, STATUSR, ITARGETSR, IGRPMODR, NSACR, SGIR, C/SPENDSGIR: RAZ/WI
}

/** GICR_TYPER: affinity, Processor_Number, Last (the last redistributor of the region). */
export function gicrTyper(cpu: u32): u64 {
  return (cpuAffinity(cpu) << 32) | (<u64>cpu << 8) | (cpu == numCpus - 1 ? <u64>1 << 4 : 0);
}

function redistAccess(cpu: u32, off: u32, size: u32, isWrite: bool, v: u64): u64 {
  const b = cpuBlock(cpu);
  const v32 = <u32>v;
  if (off < 0x10000) { // RD_base
    if (off >= 0xffd0) return size == 4 && !isWrite ? <u64>GICR_IDS[(off - 0xffd0) >> 2] : 0;
    if (off == 0x8 || off == 0xc) { // GICR_TYPER (RO)
      if (isWrite) return 0;
      const t = gicrTyper(cpu);
      return size == 8 ? t : size == 4 ? (off == 0xc ? t >> 32 : t & 0xffffffff) : 0;
    }
    if (off >= 0x70 && off < 0x80) { // GICR_PROPBASER / PENDBASER: storage (no LPIs)
      const a = b + (off < 0x78 ? C_PROPBASER : C_PENDBASER);
      if (size == 8) { if (isWrite) store<u64>(a, v); else return load<u64>(a); return 0; }
      if (size != 4) return 0;
      const hi = (off & 4) != 0;
      if (!isWrite) return hi ? load<u64>(a) >> 32 : load<u64>(a) & 0xffffffff;
      store<u64>(a, hi ? (load<u64>(a) & 0xffffffff) | (v << 32) : (load<u64>(a) & ~<u64>0xffffffff) | (v & 0xffffffff));
      return 0;
    }
    if (size != 4) return 0;
    switch (off) {
      case 0x0: return 0; // GICR_CTLR: EnableLPIs RAZ/WI without LPIs; RWP, UWP 0
      case 0x4: return isWrite ? 0 : GIC_IIDR;
      case 0x14: // GICR_WAKER: ProcessorSleep RW, ChildrenAsleep follows it
        if (!isWrite) return load<u32>(b + C_WAKER);
        store<u32>(b + C_WAKER, (v32 & 2) != 0 ? 6 : 0);
        return 0;
    }
    return 0;
  }
  off -= 0x10000; // SGI_base
  if (off >= 0x400 && off < 0x420) {
    if (size != 1 && size != 4) return 0;
    const r = prioBytes(PRIO + (cpu << 5) + off - 0x400, size, isWrite, v);
    if (isWrite) gicUpdateCpu(cpu);
    return r;
  }
  if (size != 4) return 0;
  if (off >= 0x80 && off < 0x400 && (off & 0x7f) == 0) {
    const r = bitmapBlock(off, cpu << 2, isWrite, v32);
    if (isWrite) gicUpdateCpu(cpu);
    return r;
  }
  if (off == 0xc00) return isWrite ? 0 : 0xaaaaaaaa; // GICR_ICFGR0: SGIs are edge-triggered (RO)
  if (off == 0xc04) { // GICR_ICFGR1: PPIs, programmable as QEMU allows
    if (!isWrite) return readIcfgr(cpu, 16);
    writeIcfgr(cpu, 16, v32);
    return 0;
  }
  return 0; // IGRPMODR0, NSACR: RAZ/WI (DS = 1)
}

/** A GIC register access at `pa` (gicOwnsPa). Reads return the value; writes 0. */
export function gicMmio(pa: u64, sizeLog2: u32, isWrite: bool, value: u64): u64 {
  const size: u32 = 1 << sizeLog2;
  if (<u32>pa & (size - 1)) return 0; // unaligned: RAZ/WI
  if (pa - GICD_BASE_PA < GICD_SIZE) return distAccess(<u32>(pa - GICD_BASE_PA), size, isWrite, value);
  const rel = pa - GICR_BASE_PA;
  return redistAccess(<u32>(rel / GICR_STRIDE), <u32>(rel % GICR_STRIDE), size, isWrite, value);
}
