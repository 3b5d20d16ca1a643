// Raw A64 instruction encoders (Arm ARM DDI 0487, chapter C4 "A64 Instruction Set Encoding").
// Every function returns the 32-bit instruction word as an unsigned number. Register numbers are
// 0..31; what 31 means (SP or XZR) depends on the instruction, exactly as in the Arm ARM.
// Immediates are passed already in the units of the encoding (e.g. scaled imm12, word offsets for
// branches) unless the parameter name says "bytes". Out-of-range fields throw, so a generator bug
// shows up as an exception rather than as a silently different instruction.

function fld(value: number, bits: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`a64enc: field ${name}=${value} does not fit in ${bits} bits`);
  }
  return value;
}
function sfld(value: number, bits: number, name: string): number {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(value) || value < -lim || value >= lim) {
    throw new RangeError(`a64enc: signed field ${name}=${value} does not fit in ${bits} bits`);
  }
  return value & (2 ** bits - 1);
}
const r = (x: number, name = 'reg') => fld(x, 5, name);
const u32 = (x: number) => x >>> 0;
const one = (x: boolean | number) => (x ? 1 : 0);

/** Condition codes (C1.2.4). */
export const Cond = {
  EQ: 0, NE: 1, CS: 2, HS: 2, CC: 3, LO: 3, MI: 4, PL: 5, VS: 6, VC: 7,
  HI: 8, LS: 9, GE: 10, LT: 11, GT: 12, LE: 13, AL: 14, NV: 15,
} as const;

// ---------------------------------------------------------------- system registers
/** The 16-bit op0:op1:CRn:CRm:op2 field of MRS/MSR (bits 20:5 of the instruction; op0 is 2 or 3). */
export function sysreg(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  if (op0 < 2 || op0 > 3) throw new RangeError('a64enc: sysreg op0 must be 2 or 3');
  return (op0 << 14) | (fld(op1, 3, 'op1') << 11) | (fld(crn, 4, 'CRn') << 7) | (fld(crm, 4, 'CRm') << 3) | fld(op2, 3, 'op2');
}
export const SysReg = {
  NZCV: sysreg(3, 3, 4, 2, 0),
  VBAR_EL1: sysreg(3, 0, 12, 0, 0),
  VBAR_EL2: sysreg(3, 4, 12, 0, 0),
  ESR_EL1: sysreg(3, 0, 5, 2, 0),
  ESR_EL2: sysreg(3, 4, 5, 2, 0),
  ELR_EL1: sysreg(3, 0, 4, 0, 1),
  ELR_EL2: sysreg(3, 4, 4, 0, 1),
  FAR_EL1: sysreg(3, 0, 6, 0, 0),
  FAR_EL2: sysreg(3, 4, 6, 0, 0),
  SPSR_EL1: sysreg(3, 0, 4, 0, 0),
  SPSR_EL2: sysreg(3, 4, 4, 0, 0),
  CurrentEL: sysreg(3, 0, 4, 2, 2),
  SCTLR_EL1: sysreg(3, 0, 1, 0, 0),
  SCTLR_EL2: sysreg(3, 4, 1, 0, 0),
} as const;

const sysregField = (reg: number) => {
  if ((fld(reg, 16, 'sysreg') & 0x8000) === 0) throw new RangeError('a64enc: sysreg op0 must be 2 or 3');
  return reg;
};
/** MRS Xt, <sysreg> */
export const mrs = (rt: number, reg: number) => u32(0xd5200000 | (sysregField(reg) << 5) | r(rt));
/** MSR <sysreg>, Xt */
export const msr = (reg: number, rt: number) => u32(0xd5000000 | (sysregField(reg) << 5) | r(rt));

// ---------------------------------------------------------------- hints, barriers, exceptions
export const NOP = 0xd503201f;
export const ISB = 0xd5033fdf;
export const dsb = (crm = 15) => u32(0xd503309f | (fld(crm, 4, 'CRm') << 8));
export const dmb = (crm = 15) => u32(0xd50330bf | (fld(crm, 4, 'CRm') << 8));
export const clrex = (crm = 15) => u32(0xd503305f | (fld(crm, 4, 'CRm') << 8));
export const hvc = (imm16: number) => u32(0xd4000002 | (fld(imm16, 16, 'imm16') << 5));
export const smc = (imm16: number) => u32(0xd4000003 | (fld(imm16, 16, 'imm16') << 5));
export const svc = (imm16: number) => u32(0xd4000001 | (fld(imm16, 16, 'imm16') << 5));
export const brk = (imm16: number) => u32(0xd4200000 | (fld(imm16, 16, 'imm16') << 5));

// ---------------------------------------------------------------- branches (offsets in words)
export const b_ = (offWords: number) => u32(0x14000000 | sfld(offWords, 26, 'imm26'));
export { b_ as b };
export const bl = (offWords: number) => u32(0x94000000 | sfld(offWords, 26, 'imm26'));
export const bcond = (cond: number, offWords: number) => u32(0x54000000 | (sfld(offWords, 19, 'imm19') << 5) | fld(cond, 4, 'cond'));
/** CBZ (op=0) / CBNZ (op=1) */
export const cbz = (sf: number, rt: number, offWords: number, nz = 0) =>
  u32((one(sf) << 31) | 0x34000000 | (one(nz) << 24) | (sfld(offWords, 19, 'imm19') << 5) | r(rt));
/** TBZ (nz=0) / TBNZ (nz=1); bit 0..63 */
export const tbz = (rt: number, bit: number, offWords: number, nz = 0) =>
  u32(((fld(bit, 6, 'bit') >> 5) << 31) | 0x36000000 | (one(nz) << 24) | ((bit & 31) << 19) | (sfld(offWords, 14, 'imm14') << 5) | r(rt));
export const br = (rn: number) => u32(0xd61f0000 | (r(rn) << 5));
export const blr = (rn: number) => u32(0xd63f0000 | (r(rn) << 5));
export const ret = (rn = 30) => u32(0xd65f0000 | (r(rn) << 5));

// ---------------------------------------------------------------- data processing, immediate
/** ADR (page=0, offset in bytes) / ADRP (page=1, offset in 4 KiB pages) */
export const adr = (rd: number, imm21: number, page = 0) => {
  const v = sfld(imm21, 21, 'imm21');
  return u32((one(page) << 31) | ((v & 3) << 29) | 0x10000000 | ((v >> 2) << 5) | r(rd));
};
/** ADD/SUB/ADDS/SUBS (immediate): op 0=ADD 1=SUB; s sets flags; sh=1 shifts imm12 left by 12. Rd=31 is SP unless s. Rn=31 is SP. */
export const addsubImm = (sf: number, op: number, s: number, rd: number, rn: number, imm12: number, sh = 0) =>
  u32((one(sf) << 31) | (one(op) << 30) | (one(s) << 29) | 0x11000000 | (one(sh) << 22) | (fld(imm12, 12, 'imm12') << 10) | (r(rn) << 5) | r(rd));
export const addImm = (rd: number, rn: number, imm12: number, sh = 0, sf = 1) => addsubImm(sf, 0, 0, rd, rn, imm12, sh);
export const subImm = (rd: number, rn: number, imm12: number, sh = 0, sf = 1) => addsubImm(sf, 1, 0, rd, rn, imm12, sh);
export const subsImm = (rd: number, rn: number, imm12: number, sh = 0, sf = 1) => addsubImm(sf, 1, 1, rd, rn, imm12, sh);
export const cmpImm = (rn: number, imm12: number, sf = 1) => addsubImm(sf, 1, 1, 31, rn, imm12, 0);
/** Logical (immediate): opc 0=AND 1=ORR 2=EOR 3=ANDS. Rd=31 is SP unless ANDS. Caller supplies a valid N:immr:imms. */
export const logImm = (sf: number, opc: number, rd: number, rn: number, n: number, immr: number, imms: number) =>
  u32((one(sf) << 31) | (fld(opc, 2, 'opc') << 29) | 0x12000000 | (one(n) << 22) | (fld(immr, 6, 'immr') << 16) | (fld(imms, 6, 'imms') << 10) | (r(rn) << 5) | r(rd));
/** Move wide: opc 0=MOVN 2=MOVZ 3=MOVK */
export const movw = (sf: number, opc: number, rd: number, imm16: number, hw: number) => {
  if (opc === 1) throw new RangeError('a64enc: move wide opc=01 is unallocated');
  if (!sf && hw > 1) throw new RangeError('a64enc: 32-bit move wide with hw>1 is unallocated');
  return u32((one(sf) << 31) | (opc << 29) | 0x12800000 | (fld(hw, 2, 'hw') << 21) | (fld(imm16, 16, 'imm16') << 5) | r(rd));
};
export const movz = (rd: number, imm16: number, hw = 0, sf = 1) => movw(sf, 2, rd, imm16, hw);
export const movn = (rd: number, imm16: number, hw = 0, sf = 1) => movw(sf, 0, rd, imm16, hw);
export const movk = (rd: number, imm16: number, hw = 0, sf = 1) => movw(sf, 3, rd, imm16, hw);
/** Bitfield: opc 0=SBFM 1=BFM 2=UBFM; N must equal sf. */
export const bitfield = (sf: number, opc: number, rd: number, rn: number, immr: number, imms: number) =>
  u32((one(sf) << 31) | (fld(opc, 2, 'opc') << 29) | 0x13000000 | (one(sf) << 22) | (fld(immr, sf ? 6 : 5, 'immr') << 16) | (fld(imms, sf ? 6 : 5, 'imms') << 10) | (r(rn) << 5) | r(rd));
export const extr = (sf: number, rd: number, rn: number, rm: number, lsb: number) =>
  u32((one(sf) << 31) | 0x13800000 | (one(sf) << 22) | (r(rm) << 16) | (fld(lsb, sf ? 6 : 5, 'lsb') << 10) | (r(rn) << 5) | r(rd));

// ---------------------------------------------------------------- data processing, register
/** ADD/SUB/ADDS/SUBS (shifted register): shift 0=LSL 1=LSR 2=ASR. Rd/Rn=31 are XZR. */
export const addsubShift = (sf: number, op: number, s: number, rd: number, rn: number, rm: number, shift: number, amount: number) => {
  if (shift === 3) throw new RangeError('a64enc: add/sub shift=ROR is reserved');
  return u32((one(sf) << 31) | (one(op) << 30) | (one(s) << 29) | 0x0b000000 | (shift << 22) | (r(rm) << 16) | (fld(amount, sf ? 6 : 5, 'imm6') << 10) | (r(rn) << 5) | r(rd));
};
/** ADD/SUB/ADDS/SUBS (extended register): option 0..7 = UXTB,UXTH,UXTW,UXTX,SXTB,SXTH,SXTW,SXTX; imm3 0..4. Rd=31 is SP unless s; Rn=31 is SP. */
export const addsubExt = (sf: number, op: number, s: number, rd: number, rn: number, rm: number, option: number, imm3: number) => {
  if (imm3 > 4) throw new RangeError('a64enc: add/sub extended imm3>4 is reserved');
  return u32((one(sf) << 31) | (one(op) << 30) | (one(s) << 29) | 0x0b200000 | (r(rm) << 16) | (fld(option, 3, 'option') << 13) | (imm3 << 10) | (r(rn) << 5) | r(rd));
};
/** Logical (shifted register): opc 0=AND 1=ORR 2=EOR 3=ANDS; n=1 inverts Rm (BIC, ORN, EON, BICS); shift 0..3 = LSL,LSR,ASR,ROR. */
export const logShift = (sf: number, opc: number, n: number, rd: number, rn: number, rm: number, shift: number, amount: number) =>
  u32((one(sf) << 31) | (fld(opc, 2, 'opc') << 29) | 0x0a000000 | (fld(shift, 2, 'shift') << 22) | (one(n) << 21) | (r(rm) << 16) | (fld(amount, sf ? 6 : 5, 'imm6') << 10) | (r(rn) << 5) | r(rd));
export const orrReg = (rd: number, rn: number, rm: number, sf = 1) => logShift(sf, 1, 0, rd, rn, rm, 0, 0);
export const movReg = (rd: number, rm: number, sf = 1) => orrReg(rd, 31, rm, sf);
/** ADC (op=0) / SBC (op=1), s = flag setting */
export const adcsbc = (sf: number, op: number, s: number, rd: number, rn: number, rm: number) =>
  u32((one(sf) << 31) | (one(op) << 30) | (one(s) << 29) | 0x1a000000 | (r(rm) << 16) | (r(rn) << 5) | r(rd));
/** CCMN (op=0) / CCMP (op=1), register form */
export const ccmpReg = (sf: number, op: number, rn: number, rm: number, nzcv: number, cond: number) =>
  u32((one(sf) << 31) | (one(op) << 30) | 0x3a400000 | (r(rm) << 16) | (fld(cond, 4, 'cond') << 12) | (r(rn) << 5) | fld(nzcv, 4, 'nzcv'));
/** CCMN (op=0) / CCMP (op=1), immediate form */
export const ccmpImm = (sf: number, op: number, rn: number, imm5: number, nzcv: number, cond: number) =>
  u32((one(sf) << 31) | (one(op) << 30) | 0x3a400800 | (fld(imm5, 5, 'imm5') << 16) | (fld(cond, 4, 'cond') << 12) | (r(rn) << 5) | fld(nzcv, 4, 'nzcv'));
/** Conditional select: op:op2 = 00 CSEL, 01 CSINC, 10 CSINV, 11 CSNEG */
export const csel = (sf: number, op: number, op2: number, rd: number, rn: number, rm: number, cond: number) =>
  u32((one(sf) << 31) | (one(op) << 30) | 0x1a800000 | (r(rm) << 16) | (fld(cond, 4, 'cond') << 12) | (fld(op2, 1, 'op2') << 10) | (r(rn) << 5) | r(rd));
/** Data processing (1 source): opcode 0=RBIT 1=REV16 2=REV32 (64)/REV (32) 3=REV (64 only) 4=CLZ 5=CLS */
export const dp1 = (sf: number, opcode: number, rd: number, rn: number) => {
  if (opcode > 5 || (!sf && opcode === 3)) throw new RangeError(`a64enc: dp1 opcode ${opcode} unallocated for sf=${sf}`);
  return u32((one(sf) << 31) | 0x5ac00000 | (opcode << 10) | (r(rn) << 5) | r(rd));
};
/** Data processing (2 source): opcode 2=UDIV 3=SDIV 8=LSLV 9=LSRV 10=ASRV 11=RORV 16..23=CRC32B/H/W/X,CRC32CB/H/W/X */
export const dp2 = (sf: number, opcode: number, rd: number, rn: number, rm: number) =>
  u32((one(sf) << 31) | 0x1ac00000 | (r(rm) << 16) | (fld(opcode, 6, 'opcode') << 10) | (r(rn) << 5) | r(rd));
/** Data processing (3 source): op31 0=MADD/MSUB 1=SMADDL/SMSUBL 2=SMULH 5=UMADDL/UMSUBL 6=UMULH; o0=1 selects the SUB form. */
export const dp3 = (sf: number, op31: number, o0: number, rd: number, rn: number, rm: number, ra: number) =>
  u32((one(sf) << 31) | 0x1b000000 | (fld(op31, 3, 'op31') << 21) | (r(rm) << 16) | (one(o0) << 15) | (r(ra) << 10) | (r(rn) << 5) | r(rd));

// ---------------------------------------------------------------- loads and stores
// size: 0=byte 1=half 2=word 3=doubleword. opc: 0=store 1=load (zero-extend) 2=load signed to X 3=load signed to W
// (size=3,opc=2 is PRFM in the unsigned-offset, unscaled and register forms). Rn=31 is SP.
/** LDR/STR (unsigned offset); imm12 is the SCALED offset (bytes >> size). */
export const ldstUimm = (size: number, opc: number, rt: number, rn: number, imm12: number) =>
  u32((fld(size, 2, 'size') << 30) | 0x39000000 | (fld(opc, 2, 'opc') << 22) | (fld(imm12, 12, 'imm12') << 10) | (r(rn) << 5) | r(rt));
/** Unscaled / post-index / unprivileged / pre-index forms with imm9 (bytes): mode 0=LDUR/STUR 1=post 2=LDTR/STTR 3=pre. */
export const ldstImm9 = (size: number, opc: number, rt: number, rn: number, imm9: number, mode: number) =>
  u32((fld(size, 2, 'size') << 30) | 0x38000000 | (fld(opc, 2, 'opc') << 22) | (sfld(imm9, 9, 'imm9') << 12) | (fld(mode, 2, 'mode') << 10) | (r(rn) << 5) | r(rt));
/** LDR/STR (register offset): option 2=UXTW 3=LSL/UXTX 6=SXTW 7=SXTX; s=1 shifts Rm by size. */
export const ldstReg = (size: number, opc: number, rt: number, rn: number, rm: number, option: number, s: number) => {
  if ((option & 2) === 0) throw new RangeError('a64enc: load/store register option<1>=0 is unallocated');
  return u32((fld(size, 2, 'size') << 30) | 0x38200800 | (fld(opc, 2, 'opc') << 22) | (r(rm) << 16) | (fld(option, 3, 'option') << 13) | (one(s) << 12) | (r(rn) << 5) | r(rt));
};
/** LDR (literal): opc 0=LDR W 1=LDR X 2=LDRSW 3=PRFM; offset in words. */
export const ldrLit = (opc: number, rt: number, offWords: number) =>
  u32((fld(opc, 2, 'opc') << 30) | 0x18000000 | (sfld(offWords, 19, 'imm19') << 5) | r(rt));
export const ldr_lit = (rt: number, offWords: number, sf = 1) => ldrLit(sf ? 1 : 0, rt, offWords);
/** Load/store pair: opc 0=32-bit 1=LDPSW (l=1 only) 2=64-bit; mode 0=LDNP/STNP 1=post 2=signed offset 3=pre; imm7 SCALED. */
export const ldstPair = (opc: number, l: number, mode: number, rt: number, rt2: number, rn: number, imm7: number) =>
  u32((fld(opc, 2, 'opc') << 30) | 0x28000000 | (fld(mode, 2, 'mode') << 23) | (one(l) << 22) | (sfld(imm7, 7, 'imm7') << 15) | (r(rt2) << 10) | (r(rn) << 5) | r(rt));

// convenience forms (64-bit, unsigned offset in BYTES)
export const ldr_imm = (rt: number, rn: number, bytes: number, size = 3) => ldstUimm(size, 1, rt, rn, bytes >> size);
export const str_imm = (rt: number, rn: number, bytes: number, size = 3) => ldstUimm(size, 0, rt, rn, bytes >> size);

/**
 * Exclusives and acquire/release (C4.1.?? "Load/store exclusive" / "Load-acquire/store-release"):
 * size 0..3; o2 l o1 o0 as in the encoding table. Unused Rs/Rt2 fields must be 31.
 */
export const ldstExcl = (size: number, o2: number, l: number, o1: number, o0: number, rs: number, rt2: number, rn: number, rt: number) =>
  u32((fld(size, 2, 'size') << 30) | 0x08000000 | (one(o2) << 23) | (one(l) << 22) | (one(o1) << 21) | (r(rs) << 16) | (one(o0) << 15) | (r(rt2) << 10) | (r(rn) << 5) | r(rt));
export const ldxr = (size: number, rt: number, rn: number, acq = 0) => ldstExcl(size, 0, 1, 0, acq, 31, 31, rn, rt);
export const stxr = (size: number, rs: number, rt: number, rn: number, rel = 0) => ldstExcl(size, 0, 0, 0, rel, rs, 31, rn, rt);
/** LDXP/LDAXP: sz 0 = 32-bit pair, 1 = 64-bit pair */
export const ldxp = (sz: number, rt: number, rt2: number, rn: number, acq = 0) => ldstExcl(2 | one(sz), 0, 1, 1, acq, 31, rt2, rn, rt);
export const stxp = (sz: number, rs: number, rt: number, rt2: number, rn: number, rel = 0) => ldstExcl(2 | one(sz), 0, 0, 1, rel, rs, rt2, rn, rt);
export const ldar = (size: number, rt: number, rn: number) => ldstExcl(size, 1, 1, 0, 1, 31, 31, rn, rt);
export const stlr = (size: number, rt: number, rn: number) => ldstExcl(size, 1, 0, 0, 1, 31, 31, rn, rt);
/** CAS/CASA/CASL/CASAL (FEAT_LSE): a = acquire (L bit), l = release (o0 bit) */
export const cas = (size: number, a: number, l: number, rs: number, rt: number, rn: number) =>
  u32((fld(size, 2, 'size') << 30) | 0x08a07c00 | (one(a) << 22) | (r(rs) << 16) | (one(l) << 15) | (r(rn) << 5) | r(rt));
/** CASP family: sz 0 = W pairs, 1 = X pairs; rs and rt must be even. */
export const casp = (sz: number, a: number, l: number, rs: number, rt: number, rn: number) => {
  if (rs & 1 || rt & 1) throw new RangeError('a64enc: CASP needs even Rs and Rt');
  return u32((one(sz) << 30) | 0x08207c00 | (one(a) << 22) | (r(rs) << 16) | (one(l) << 15) | (r(rn) << 5) | r(rt));
};
/** Atomic memory operations (FEAT_LSE): o3=0 opc 0..7 = LDADD,LDCLR,LDEOR,LDSET,LDSMAX,LDSMIN,LDUMAX,LDUMIN; o3=1 opc=0 SWP. */
export const ldatomic = (size: number, a: number, rl: number, o3: number, opc: number, rs: number, rt: number, rn: number) =>
  u32((fld(size, 2, 'size') << 30) | 0x38200000 | (one(a) << 23) | (one(rl) << 22) | (r(rs) << 16) | (one(o3) << 15) | (fld(opc, 3, 'opc') << 12) | (r(rn) << 5) | r(rt));
/** LDAPR (FEAT_LRCPC) */
export const ldapr = (size: number, rt: number, rn: number) => u32((fld(size, 2, 'size') << 30) | 0x38bfc000 | (r(rn) << 5) | r(rt));
