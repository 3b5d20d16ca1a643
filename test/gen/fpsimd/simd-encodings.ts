// Random valid encodings of the integer Advanced SIMD, permute, move and crypto classes (Arm ARM
// C4.1.96, the encoding tables of C7.2), for the random differential harness. Each class draws
// random fields inside its encoding pattern and redraws until the fields are allocated for an
// implemented instruction (reserved size/Q combinations and the FP opcodes of the same classes
// are excluded). No loads/stores here: those need a base register the harness controls.
import type { EncodingClass } from './types';
import type { Rng } from '../prng';

const bits = (rng: Rng, n: number) => rng.u32() & ((1 << n) - 1);

function retry(rng: Rng, gen: (rng: Rng) => number | null): number {
  for (;;) {
    const w = gen(rng);
    if (w !== null) return w >>> 0;
  }
}

const regs = (rng: Rng) => bits(rng, 5) | (bits(rng, 5) << 5);

/** three same: 0 Q U 01110 size 1 Rm opcode 1 Rn Rd (opcode < 11000: integer) */
function threeSame(rng: Rng, scalar: boolean): number | null {
  const q = bits(rng, 1), u = bits(rng, 1), size = bits(rng, 2), opc = rng.int(0x18);
  if (scalar) {
    const any = [0x01, 0x05, 0x09, 0x0b], d = [0x06, 0x07, 0x08, 0x0a, 0x10, 0x11];
    if (any.includes(opc)) { /* ok */ } else if (d.includes(opc)) { if (size !== 3) return null; } else if (opc === 0x16) { if (size === 0 || size === 3) return null; } else return null;
    return 0x5e200400 | (u << 29) | (size << 22) | (bits(rng, 5) << 16) | (opc << 11) | regs(rng);
  }
  switch (opc) {
    case 0x03: break;
    case 0x00: case 0x02: case 0x04: case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x12: case 0x14: case 0x15: if (size === 3) return null; break;
    case 0x13: if (u === 0 ? size === 3 : size !== 0) return null; break;
    case 0x16: if (size === 0 || size === 3) return null; break;
    case 0x17: if (u === 1 || (size === 3 && !q)) return null; break;
    default: if (size === 3 && !q) return null;
  }
  return 0x0e200400 | (q << 30) | (u << 29) | (size << 22) | (bits(rng, 5) << 16) | (opc << 11) | regs(rng);
}

function threeDiff(rng: Rng, scalar: boolean): number | null {
  const q = bits(rng, 1), u = bits(rng, 1), size = bits(rng, 2), opc = bits(rng, 4);
  if (scalar) {
    if (u || ![9, 0xb, 0xd].includes(opc) || size === 0 || size === 3) return null;
    return 0x5e200000 | (size << 22) | (bits(rng, 5) << 16) | (opc << 12) | regs(rng);
  }
  if (opc === 0xf) return null;
  if ([9, 0xb, 0xd].includes(opc)) { if (u || size === 0 || size === 3) return null; }
  else if (opc === 0xe) { if (u || size === 1 || size === 2) return null; }
  else if (size === 3) return null;
  return 0x0e200000 | (q << 30) | (u << 29) | (size << 22) | (bits(rng, 5) << 16) | (opc << 12) | regs(rng);
}

function twoMisc(rng: Rng, scalar: boolean): number | null {
  const q = bits(rng, 1), u = bits(rng, 1), size = bits(rng, 2), opc = bits(rng, 5);
  const sub = (u << 5) | opc;
  if (scalar) {
    if ([0x03, 0x23, 0x07, 0x27].includes(sub)) { /* any size */ }
    else if ([0x08, 0x28, 0x09, 0x29, 0x0a, 0x0b, 0x2b].includes(sub)) { if (size !== 3) return null; }
    else if ([0x14, 0x34, 0x32].includes(sub)) { if (size === 3) return null; }
    else return null;
    return 0x5e200800 | (u << 29) | (size << 22) | (opc << 12) | regs(rng);
  }
  switch (sub) {
    case 0x00: if (size === 3) return null; break;
    case 0x20: if (size >= 2) return null; break;
    case 0x01: case 0x05: if (size !== 0) return null; break;
    case 0x25: if (size >= 2) return null; break;
    case 0x02: case 0x22: case 0x06: case 0x26: case 0x04: case 0x24: case 0x12: case 0x32: case 0x14: case 0x34: case 0x33:
      if (size === 3) return null; break;
    case 0x03: case 0x23: case 0x07: case 0x27: case 0x08: case 0x28: case 0x09: case 0x29: case 0x0a: case 0x0b: case 0x2b:
      if (size === 3 && !q) return null; break;
    default: return null;
  }
  return 0x0e200800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | regs(rng);
}

function across(rng: Rng): number | null {
  const q = bits(rng, 1), size = bits(rng, 2);
  const [u, opc] = rng.pick([[0, 0x03], [1, 0x03], [0, 0x0a], [1, 0x0a], [0, 0x1a], [1, 0x1a], [0, 0x1b]] as const);
  if (size === 3 || (size === 2 && !q)) return null;
  return 0x0e300800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | regs(rng);
}

function copy(rng: Rng): number | null {
  const q = bits(rng, 1), imm5 = bits(rng, 5);
  if ((imm5 & 15) === 0) return null;
  const sz = 31 - Math.clz32(imm5 & -imm5);
  const kind = rng.int(6);
  const base = 0x0e000400 | (q << 30) | (imm5 << 16) | regs(rng);
  switch (kind) {
    case 0: if (sz === 3 && !q) return null; return base; // DUP element
    case 1: if (sz === 3 && !q) return null; return base | (1 << 11); // DUP general
    case 2: return (base | (1 << 30) | (3 << 11)) >>> 0; // INS general
    case 3: if (q ? sz > 2 : sz > 1) return null; return base | (5 << 11); // SMOV
    case 4: if (q ? sz !== 3 : sz > 2) return null; return base | (7 << 11); // UMOV
    default: return (base | (1 << 30) | (1 << 29) | (bits(rng, 4) << 11)) >>> 0; // INS element
  }
}

function perm(rng: Rng): number | null {
  const q = bits(rng, 1), size = bits(rng, 2), opc = bits(rng, 3);
  if ((opc & 3) === 0 || (size === 3 && !q)) return null;
  return 0x0e000800 | (q << 30) | (size << 22) | (bits(rng, 5) << 16) | (opc << 12) | regs(rng);
}
function ext(rng: Rng): number | null {
  const q = bits(rng, 1), imm4 = bits(rng, 4);
  if (!q && imm4 & 8) return null;
  return 0x2e000000 | (q << 30) | (bits(rng, 5) << 16) | (imm4 << 11) | regs(rng);
}
function tbl(rng: Rng): number {
  return 0x0e000000 | (bits(rng, 1) << 30) | (bits(rng, 5) << 16) | (bits(rng, 2) << 13) | (bits(rng, 1) << 12) | regs(rng);
}

function modImm(rng: Rng): number | null {
  const q = bits(rng, 1), op = bits(rng, 1), cmode = bits(rng, 4), imm8 = bits(rng, 8);
  const o2 = rng.int(8) === 0 ? 1 : 0;
  if (o2 && (op !== 0 || cmode !== 15)) return null;
  if (op === 1 && cmode === 15 && !q) return null;
  return 0x0f000400 | (q << 30) | (op << 29) | ((imm8 >> 5) << 16) | (cmode << 12) | (o2 << 11) | ((imm8 & 31) << 5) | bits(rng, 5);
}

function shiftImm(rng: Rng, scalar: boolean): number | null {
  const q = bits(rng, 1), u = bits(rng, 1), immh = bits(rng, 4), immb = bits(rng, 3), opc = bits(rng, 5);
  if (immh === 0) return null;
  const esz = 31 - Math.clz32(immh);
  const sub = (u << 5) | opc;
  const right = [0x00, 0x20, 0x02, 0x22, 0x04, 0x24, 0x06, 0x26, 0x28, 0x0a, 0x2a];
  if (right.includes(sub)) { if (scalar ? esz !== 3 : (esz === 3 && !q)) return null; }
  else if ([0x2c, 0x0e, 0x2e].includes(sub)) { if (!scalar && esz === 3 && !q) return null; }
  else if ([0x10, 0x11, 0x14, 0x34].includes(sub)) { if (scalar || esz === 3) return null; }
  else if ([0x12, 0x13, 0x30, 0x31, 0x32, 0x33].includes(sub)) { if (esz === 3) return null; }
  else return null;
  if (scalar) return 0x5f000400 | (u << 29) | (immh << 19) | (immb << 16) | (opc << 11) | regs(rng);
  return 0x0f000400 | (q << 30) | (u << 29) | (immh << 19) | (immb << 16) | (opc << 11) | regs(rng);
}

function elem(rng: Rng, scalar: boolean): number | null {
  const q = bits(rng, 1), u = bits(rng, 1), size = rng.pick([1, 2]), opc = bits(rng, 4);
  const sub = (u << 4) | opc;
  const ok = scalar ? [0x03, 0x07, 0x0b, 0x0c, 0x0d, 0x1d, 0x1f]
    : [0x08, 0x10, 0x14, 0x0c, 0x0d, 0x1d, 0x1f, 0x02, 0x12, 0x06, 0x16, 0x0a, 0x1a, 0x03, 0x07, 0x0b, 0x0e, 0x1e];
  if (!ok.includes(sub)) return null;
  if ((sub === 0x0e || sub === 0x1e) && size !== 2) return null;
  const base = scalar ? 0x5f000000 : 0x0f000000 | (q << 30);
  return (base | (u << 29) | (size << 22) | (bits(rng, 1) << 21) | (bits(rng, 1) << 20) | (bits(rng, 4) << 16) | (opc << 12) | (bits(rng, 1) << 11) | regs(rng)) >>> 0;
}

function extra(rng: Rng, scalar: boolean): number | null {
  const q = bits(rng, 1), size = bits(rng, 2), kind = rng.int(3);
  const m = bits(rng, 5) << 16;
  if (kind < 2) {
    if (size === 0 || size === 3) return null;
    return ((scalar ? 0x7e008400 : 0x2e008400 | (q << 30)) | (size << 22) | m | (kind << 11) | regs(rng)) >>> 0;
  }
  if (scalar) return null;
  return 0x0e809400 | (q << 30) | (bits(rng, 1) << 29) | m | regs(rng); // SDOT/UDOT .4s/.2s
}

function crypto(rng: Rng): number {
  const r3 = () => (bits(rng, 5) << 16) | regs(rng);
  switch (rng.int(7)) {
    case 0: return 0x4e284800 | (rng.int(4) << 12) | regs(rng); // AESE/AESD/AESMC/AESIMC
    case 1: return 0x5e000000 | (rng.int(7) << 12) | r3(); // SHA1C/P/M/SU0, SHA256H/H2/SU1
    case 2: return 0x5e280800 | (rng.int(3) << 12) | regs(rng); // SHA1H/SHA1SU1/SHA256SU0
    case 3: return (0xce608000 | (rng.int(4) << 10) | r3()) >>> 0; // SHA512H/H2/SU1, RAX1
    case 4: return (0xcec08000 | regs(rng)) >>> 0; // SHA512SU0
    case 5: return (0xce000000 | (rng.int(2) << 21) | (bits(rng, 5) << 10) | r3()) >>> 0; // EOR3/BCAX
    default: return (0xce800000 | (bits(rng, 6) << 10) | r3()) >>> 0; // XAR
  }
}

export const SIMD_ENCODINGS: EncodingClass[] = [
  { name: 'simd-3same', gen: (rng) => retry(rng, (r) => threeSame(r, false)) },
  { name: 'simd-3same-scalar', gen: (rng) => retry(rng, (r) => threeSame(r, true)) },
  { name: 'simd-3diff', gen: (rng) => retry(rng, (r) => threeDiff(r, false)) },
  { name: 'simd-3diff-scalar', gen: (rng) => retry(rng, (r) => threeDiff(r, true)) },
  { name: 'simd-2misc', gen: (rng) => retry(rng, (r) => twoMisc(r, false)) },
  { name: 'simd-2misc-scalar', gen: (rng) => retry(rng, (r) => twoMisc(r, true)) },
  { name: 'simd-across', gen: (rng) => retry(rng, across) },
  { name: 'simd-addp-scalar', gen: (rng) => (0x5ef1b800 | regs(rng)) >>> 0 },
  { name: 'simd-copy', gen: (rng) => retry(rng, copy) },
  { name: 'simd-perm', gen: (rng) => retry(rng, perm) },
  { name: 'simd-ext', gen: (rng) => retry(rng, ext) },
  { name: 'simd-tbl', gen: tbl },
  { name: 'simd-modimm', gen: (rng) => retry(rng, modImm) },
  { name: 'simd-shift', gen: (rng) => retry(rng, (r) => shiftImm(r, false)) },
  { name: 'simd-shift-scalar', gen: (rng) => retry(rng, (r) => shiftImm(r, true)) },
  { name: 'simd-elem', gen: (rng) => retry(rng, (r) => elem(r, false)) },
  { name: 'simd-elem-scalar', gen: (rng) => retry(rng, (r) => elem(r, true)) },
  { name: 'simd-3extra', gen: (rng) => retry(rng, (r) => extra(r, false)) },
  { name: 'simd-3extra-scalar', gen: (rng) => retry(rng, (r) => extra(r, true)) },
  { name: 'crypto', gen: crypto },
];
