// A decoded instruction: 16 bytes in a decode slot.
//   +0 u16 op   +2 u8 rd   +3 u8 rn   +4 u8 rm   +5 u8 ra   +6 u8 p1   +7 u8 p2   +8 i64 imm
// Register fields hold register-file slots (0..30, REG_ZR, REG_SP, REG_DISCARD), never raw 31.
export const D_OP: u32 = 0;
export const D_RD: u32 = 2;
export const D_RN: u32 = 3;
export const D_RM: u32 = 4;
export const D_RA: u32 = 5;
export const D_P1: u32 = 6;
export const D_P2: u32 = 7;
export const D_IMM: u32 = 8;
