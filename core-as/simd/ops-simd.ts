// Op ids of the Advanced SIMD (integer, permute, crypto) and SIMD&FP load/store bytecode: the range
// [OP_SIMD_FIRST, OP_SIMD_END). The interpreter hands any op in this range to execSimd (exec-simd.ts).
//
// Entry fields (decoded.ts) for the data-processing ops: rd/rn/rm = V register numbers (raw 0..31),
// ra = sub-operation (class specific, usually U:opcode), p1 = element size log2 (0 B .. 3 D),
// p2 = flags (SF_*), imm (u32 at +8) = class-specific immediate (shift, index), u32 at +12 = the
// instruction word.
export const OP_SIMD_FIRST: u16 = 0x800;
export const OP_SIMD_END: u16 = 0xC00;

export const SF_Q: u8 = 1; // 128-bit vector (or the "2" upper-half form of a long/narrow op)
export const SF_SCALAR: u8 = 4; // scalar form: one element, the rest of Vd zeroed

// --- SIMD&FP loads and stores ------------------------------------------------------------------
// rd = Vt, rn = base slot (REG_SP for 31), p1 = size log2 (0 B .. 4 Q), p2 = 1 for a load.
export const OPS_LDST_IMM: u16 = 0x800; // imm = signed offset (unsigned offset and unscaled forms)
export const OPS_LDST_PRE: u16 = 0x801;
export const OPS_LDST_POST: u16 = 0x802;
export const OPS_LDST_REG: u16 = 0x803; // rm = index slot, ra = option, imm = shift
export const OPS_LDR_LIT: u16 = 0x804; // imm = PC-relative offset
export const OPS_LDP: u16 = 0x805; // ra = Vt2, imm = offset, rm = index mode (IDX_* of ops.ts)
export const OPS_STP: u16 = 0x806;
export const OPS_LDST_MULT: u16 = 0x807; // LD1-LD4/ST1-ST4 multiple structures; rm = Xm slot, ra = 1 if post-index
export const OPS_LDST_SINGLE: u16 = 0x808; // single structure and replicate; rm, ra as above

// --- Fast paths (no sub-op switch) ------------------------------------------------------------
export const OPS_ADD: u16 = 0x820; // vector ADD, p1 = size
export const OPS_SUB: u16 = 0x821;
export const OPS_AND: u16 = 0x822;
export const OPS_BIC: u16 = 0x823;
export const OPS_ORR: u16 = 0x824;
export const OPS_ORN: u16 = 0x825;
export const OPS_EOR: u16 = 0x826;
export const OPS_BSL: u16 = 0x827;
export const OPS_BIT: u16 = 0x828;
export const OPS_BIF: u16 = 0x829;
export const OPS_CMEQ: u16 = 0x82a; // vector CMEQ (register)
export const OPS_CMEQZ: u16 = 0x82b; // vector CMEQ #0
export const OPS_MOVI: u16 = 0x82d; // modified immediate: imm (u64) = pattern, ra = 0 move, 1 ORR, 2 AND (BIC with ~imm)
export const OPS_DUP_ELEM: u16 = 0x82e; // imm = index
export const OPS_DUP_GEN: u16 = 0x82f; // rn = X slot
export const OPS_INS_GEN: u16 = 0x830; // imm = index, rn = X slot
export const OPS_INS_ELEM: u16 = 0x831; // imm = dst index, ra = src index
export const OPS_UMOV: u16 = 0x832; // rd = X slot (dst), imm = index
export const OPS_SMOV: u16 = 0x833; // rd = X slot, imm = index, ra = 1 for a 64-bit destination

// --- Generic classes (ra = sub-operation) ------------------------------------------------------
export const OPS_3SAME: u16 = 0x840; // ra = U:opcode (6 bits)
export const OPS_3SAME_PAIR: u16 = 0x841; // pairwise ops of three-same (ADDP, S/UMAXP, S/UMINP)
export const OPS_3DIFF: u16 = 0x842; // ra = U:opcode (5 bits)
export const OPS_2MISC: u16 = 0x843; // ra = U:opcode (6 bits)
export const OPS_ACROSS: u16 = 0x844; // ra = U:opcode
export const OPS_PERM: u16 = 0x845; // ra = opcode (3 bits)
export const OPS_EXT: u16 = 0x846; // imm = byte position
export const OPS_TBL: u16 = 0x847; // imm = len (0..3), ra = 1 for TBX
export const OPS_SHIFT_IMM: u16 = 0x848; // ra = U:opcode, imm = shift amount (right: 1..esize; left: 0..esize-1)
export const OPS_ELEM: u16 = 0x849; // by element: ra = U:opcode, imm = index
export const OPS_3EXTRA: u16 = 0x84a; // three same extra: ra = U:opcode
export const OPS_PAIR_SCALAR: u16 = 0x84b; // ADDP (scalar)
export const OPS_DOT: u16 = 0x84c; // SDOT/UDOT vector; ra = U; imm = index, or 0xff for the vector form

// --- Crypto ------------------------------------------------------------------------------------
export const OPS_AES: u16 = 0x860; // ra = 0 AESE, 1 AESD, 2 AESMC, 3 AESIMC
export const OPS_SHA3REG: u16 = 0x861; // ra = opcode: 0 SHA1C 1 SHA1P 2 SHA1M 3 SHA1SU0 4 SHA256H 5 SHA256H2 6 SHA256SU1
export const OPS_SHA2REG: u16 = 0x862; // ra = 0 SHA1H, 1 SHA1SU1, 2 SHA256SU0
export const OPS_SHA512: u16 = 0x863; // ra = 0 SHA512H 1 SHA512H2 2 SHA512SU1 3 RAX1 4 SHA512SU0
export const OPS_EOR3: u16 = 0x864; // rd, rn, rm, imm = Va
export const OPS_BCAX: u16 = 0x865;
export const OPS_XAR: u16 = 0x866; // imm = rotate
