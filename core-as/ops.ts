// Op ids of the decoded bytecode. One id per handler in interp.ts; 0 means "not decoded yet".
// A decoded entry is 16 bytes (see decoded.ts).
export const OP_UNDECODED: u16 = 0;
export const OP_UDF: u16 = 1; // unallocated / unimplemented encoding → UNDEFINED exception
// Data processing — immediate
export const OP_ADR: u16 = 2;
export const OP_ADRP: u16 = 3;
export const OP_ADD_I64: u16 = 4;
export const OP_ADD_I32: u16 = 5;
export const OP_SUB_I64: u16 = 6;
export const OP_SUB_I32: u16 = 7;
export const OP_ADDS_I64: u16 = 8;
export const OP_ADDS_I32: u16 = 9;
export const OP_SUBS_I64: u16 = 10;
export const OP_SUBS_I32: u16 = 11;
export const OP_AND_I: u16 = 12; // imm is already the zero-extended datasize mask
export const OP_ORR_I64: u16 = 13;
export const OP_ORR_I32: u16 = 14;
export const OP_EOR_I64: u16 = 15;
export const OP_EOR_I32: u16 = 16;
export const OP_ANDS_I64: u16 = 17;
export const OP_ANDS_I32: u16 = 18;
export const OP_MOVI: u16 = 19; // MOVZ/MOVN with the value precomputed
export const OP_MOVK: u16 = 20; // p1 = shift, p2 = sf
export const OP_UBFX: u16 = 21; // p1 = lsb, imm = mask
export const OP_UBFIZ: u16 = 22; // p1 = lsl, imm = mask (of the field before shifting)
export const OP_SBFX: u16 = 23; // p1 = left shift, p2 = arithmetic right shift, ra = sf
export const OP_SBFIZ: u16 = 24; // p1 = left/right shift to sign-extend, p2 = lsl, ra = sf
export const OP_BFXIL: u16 = 25; // p1 = lsb, imm = mask, ra = sf
export const OP_BFI: u16 = 26; // p1 = lsl, imm = mask, ra = sf
export const OP_EXTR64: u16 = 27; // imm = lsb
export const OP_EXTR32: u16 = 28;
// Branches, exception generation, system
export const OP_B: u16 = 30;
export const OP_BL: u16 = 31;
export const OP_BCOND: u16 = 32; // p1 = cond
export const OP_CBZ64: u16 = 33;
export const OP_CBNZ64: u16 = 34;
export const OP_CBZ32: u16 = 35;
export const OP_CBNZ32: u16 = 36;
export const OP_TBZ: u16 = 37; // p1 = bit
export const OP_TBNZ: u16 = 38;
export const OP_BR: u16 = 39;
export const OP_BLR: u16 = 40;
export const OP_RET: u16 = 41;
export const OP_ERET: u16 = 42;
export const OP_SVC: u16 = 43; // imm = imm16
export const OP_HVC: u16 = 44;
export const OP_SMC: u16 = 45;
export const OP_BRK: u16 = 46;
export const OP_HLT: u16 = 47;
export const OP_MSR_IMM: u16 = 48; // p1 = field (PSTATEFIELD_*), imm = CRm
export const OP_HINT: u16 = 49; // p1 = HINT_*
export const OP_CLREX: u16 = 50;
export const OP_BARRIER: u16 = 51;
export const OP_MRS: u16 = 52; // rd = Rt, imm = sysreg index
export const OP_MSR: u16 = 53; // rn = Rt, imm = sysreg index
export const OP_SYS: u16 = 54; // rn = Rt, p1 = SYS_* operation, imm = encoding key
// Data processing — register
export const OP_AND_SR64: u16 = 60; // logical shifted register: p1 = shift type, p2 = amount
export const OP_BIC_SR64: u16 = 61;
export const OP_ORR_SR64: u16 = 62;
export const OP_ORN_SR64: u16 = 63;
export const OP_EOR_SR64: u16 = 64;
export const OP_EON_SR64: u16 = 65;
export const OP_ANDS_SR64: u16 = 66;
export const OP_BICS_SR64: u16 = 67;
export const OP_AND_SR32: u16 = 68;
export const OP_BIC_SR32: u16 = 69;
export const OP_ORR_SR32: u16 = 70;
export const OP_ORN_SR32: u16 = 71;
export const OP_EOR_SR32: u16 = 72;
export const OP_EON_SR32: u16 = 73;
export const OP_ANDS_SR32: u16 = 74;
export const OP_BICS_SR32: u16 = 75;
export const OP_MOV64: u16 = 76; // ORR Xd, XZR, Xm
export const OP_MOV32: u16 = 77;
export const OP_ADD_SR64: u16 = 78; // add/sub shifted register: p1 = shift type, p2 = amount
export const OP_ADD_SR32: u16 = 79;
export const OP_SUB_SR64: u16 = 80;
export const OP_SUB_SR32: u16 = 81;
export const OP_ADDS_SR64: u16 = 82;
export const OP_ADDS_SR32: u16 = 83;
export const OP_SUBS_SR64: u16 = 84;
export const OP_SUBS_SR32: u16 = 85;
export const OP_ADD_ER64: u16 = 86; // add/sub extended register: p1 = option, p2 = shift
export const OP_ADD_ER32: u16 = 87;
export const OP_SUB_ER64: u16 = 88;
export const OP_SUB_ER32: u16 = 89;
export const OP_ADDS_ER64: u16 = 90;
export const OP_ADDS_ER32: u16 = 91;
export const OP_SUBS_ER64: u16 = 92;
export const OP_SUBS_ER32: u16 = 93;
export const OP_ADC64: u16 = 94;
export const OP_ADC32: u16 = 95;
export const OP_ADCS64: u16 = 96;
export const OP_ADCS32: u16 = 97;
export const OP_SBC64: u16 = 98;
export const OP_SBC32: u16 = 99;
export const OP_SBCS64: u16 = 100;
export const OP_SBCS32: u16 = 101;
export const OP_CCMN: u16 = 102; // p1 = cond, p2 = nzcv, ra = sf | (imm form ? 2 : 0), imm = imm5
export const OP_CCMP: u16 = 103;
export const OP_CSEL64: u16 = 104; // p1 = cond
export const OP_CSEL32: u16 = 105;
export const OP_CSINC64: u16 = 106;
export const OP_CSINC32: u16 = 107;
export const OP_CSINV64: u16 = 108;
export const OP_CSINV32: u16 = 109;
export const OP_CSNEG64: u16 = 110;
export const OP_CSNEG32: u16 = 111;
export const OP_UDIV64: u16 = 112;
export const OP_UDIV32: u16 = 113;
export const OP_SDIV64: u16 = 114;
export const OP_SDIV32: u16 = 115;
export const OP_LSLV64: u16 = 116;
export const OP_LSLV32: u16 = 117;
export const OP_LSRV64: u16 = 118;
export const OP_LSRV32: u16 = 119;
export const OP_ASRV64: u16 = 120;
export const OP_ASRV32: u16 = 121;
export const OP_RORV64: u16 = 122;
export const OP_RORV32: u16 = 123;
export const OP_CRC32: u16 = 124; // p1 = size log2, p2 = 1 for CRC32C
export const OP_RBIT64: u16 = 125;
export const OP_RBIT32: u16 = 126;
export const OP_REV16_64: u16 = 127;
export const OP_REV16_32: u16 = 128;
export const OP_REV32_64: u16 = 129;
export const OP_REV64: u16 = 130;
export const OP_REV32: u16 = 131; // REV Wd (32-bit byte reverse)
export const OP_CLZ64: u16 = 132;
export const OP_CLZ32: u16 = 133;
export const OP_CLS64: u16 = 134;
export const OP_CLS32: u16 = 135;
export const OP_MADD64: u16 = 136;
export const OP_MADD32: u16 = 137;
export const OP_MSUB64: u16 = 138;
export const OP_MSUB32: u16 = 139;
export const OP_SMADDL: u16 = 140;
export const OP_SMSUBL: u16 = 141;
export const OP_UMADDL: u16 = 142;
export const OP_UMSUBL: u16 = 143;
export const OP_SMULH: u16 = 144;
export const OP_UMULH: u16 = 145;
// Loads and stores. p1 = access kind (LDST_*), imm = offset (bytes)
export const OP_LDST_IMM: u16 = 150; // [Xn|SP, #imm]
export const OP_LDST_PRE: u16 = 151; // [Xn|SP, #imm]!
export const OP_LDST_POST: u16 = 152; // [Xn|SP], #imm
export const OP_LDST_REG: u16 = 153; // [Xn|SP, Rm, ext #amount]: p2 = option, ra = shift amount
export const OP_LDST_UNPRIV: u16 = 154; // LDTR*/STTR*
export const OP_LDR_LIT: u16 = 155; // p1 = access kind
export const OP_LDP: u16 = 156; // p1 = LDST_* kind of one element, p2 = index mode (IDX_*)
export const OP_STP: u16 = 157;
export const OP_PRFM: u16 = 158;
export const OP_LDX: u16 = 159; // load exclusive: p1 = size log2, p2 = acquire
export const OP_STX: u16 = 160; // store exclusive: rm = Ws status, p1 = size log2, p2 = release
export const OP_LDXP: u16 = 161; // rm = Rt2, p1 = size log2
export const OP_STXP: u16 = 162; // ra = Rt2, rm = Ws
export const OP_LDAR: u16 = 163; // p1 = size log2 (also LDAPR, LDLAR)
export const OP_STLR: u16 = 164;
export const OP_CAS: u16 = 165; // rm = Rs, p1 = size log2
export const OP_CASP: u16 = 166; // rm = Rs (even), p1 = size log2 (2 or 3)
export const OP_SWP: u16 = 167; // rm = Rs, p1 = size log2
export const OP_LDOP: u16 = 168; // rm = Rs, p1 = size log2, p2 = LDOP_*
export const OP_COUNT: u16 = 170;

// Access kinds for single-register loads/stores.
export const LDST_STRB: u8 = 0;
export const LDST_STRH: u8 = 1;
export const LDST_STRW: u8 = 2;
export const LDST_STRX: u8 = 3;
export const LDST_LDRB: u8 = 4;
export const LDST_LDRH: u8 = 5;
export const LDST_LDRW: u8 = 6;
export const LDST_LDRX: u8 = 7;
export const LDST_LDRSB64: u8 = 8;
export const LDST_LDRSH64: u8 = 9;
export const LDST_LDRSW: u8 = 10;
export const LDST_LDRSB32: u8 = 12;
export const LDST_LDRSH32: u8 = 13;

export const IDX_OFFSET: u8 = 0;
export const IDX_PRE: u8 = 1;
export const IDX_POST: u8 = 2;

export const LDOP_ADD: u8 = 0;
export const LDOP_CLR: u8 = 1;
export const LDOP_EOR: u8 = 2;
export const LDOP_SET: u8 = 3;
export const LDOP_SMAX: u8 = 4;
export const LDOP_SMIN: u8 = 5;
export const LDOP_UMAX: u8 = 6;
export const LDOP_UMIN: u8 = 7;

export const HINT_NOP: u8 = 0;
export const HINT_YIELD: u8 = 1;
export const HINT_WFE: u8 = 2;
export const HINT_WFI: u8 = 3;
export const HINT_SEV: u8 = 4;
export const HINT_SEVL: u8 = 5;

export const PSTATEFIELD_SPSEL: u8 = 0;
export const PSTATEFIELD_DAIFSET: u8 = 1;
export const PSTATEFIELD_DAIFCLR: u8 = 2;
export const PSTATEFIELD_PAN: u8 = 3;

// SYS operations (DC/IC/TLBI/AT), p1 of OP_SYS.
export const SYS_NOP: u8 = 0; // cache maintenance with no architectural effect here
export const SYS_DC_ZVA: u8 = 1;
export const SYS_TLBI: u8 = 2; // imm = encoding key; handled by tlbi.ts
export const SYS_AT: u8 = 3; // imm = encoding key; handled by at.ts
export const SYS_DC_VA: u8 = 4; // DC by VA: checks the address translates (faults like a load)
