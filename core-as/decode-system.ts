// System instructions (Arm ARM C4.1.87, "System instructions"): 1101010100 L op0 op1 CRn CRm op2 Rt.
import * as O from './ops';
import { D_IMM, D_OP, D_P1, D_P2, D_RD, D_RN } from './decoded';
import { dstZR, srcZR } from './decode';
import { IMPDEF_SPACE, srKey, srLookup } from './sysregs';
import { HCR_TDZ_BIT, HCR_TPC_BIT, HCR_TPU_BIT, HCR_TSW_BIT, HCR_TTLB_BIT } from './hcr-traps';

@inline function setOp(e: u32, op: u16): void { store<u16>(e, op, D_OP); }

export function decodeSystem(insn: u32, e: u32): bool {
  const L = (insn >> 21) & 1;
  const op0 = (insn >> 19) & 3;
  const op1 = (insn >> 16) & 7;
  const crn = (insn >> 12) & 15;
  const crm = (insn >> 8) & 15;
  const op2 = (insn >> 5) & 7;
  const rt = insn & 31;

  if (op0 == 0) {
    if (L || rt != 31) return false;
    if (crn == 4) { // MSR (immediate)
      const f = (op1 << 3) | op2;
      let field: i32 = -1;
      if (f == 0x05) field = O.PSTATEFIELD_SPSEL;
      else if (f == 0x1e) field = O.PSTATEFIELD_DAIFSET;
      else if (f == 0x1f) field = O.PSTATEFIELD_DAIFCLR;
      else if (f == 0x04) field = O.PSTATEFIELD_PAN;
      if (field < 0) return false;
      setOp(e, O.OP_MSR_IMM);
      store<u8>(e, <u8>field, D_P1);
      store<u64>(e, crm, D_IMM);
      return true;
    }
    if (op1 != 3) return false;
    if (crn == 2) { // hints: unallocated hints execute as NOP
      const h = (crm << 3) | op2;
      setOp(e, O.OP_HINT);
      store<u8>(e, <u8>(h <= 5 ? h : O.HINT_NOP), D_P1);
      return true;
    }
    if (crn == 3) { // barriers
      if (op2 == 2) { setOp(e, O.OP_CLREX); return true; }
      if (op2 == 4 || op2 == 5 || op2 == 6) { setOp(e, O.OP_BARRIER); return true; }
      if (op2 == 7 && crm == 0) { setOp(e, O.OP_BARRIER); return true; } // SB
      return false;
    }
    return false;
  }

  if (op0 == 1) { // SYS / SYSL
    if (L) return false;
    const key = srKey(1, op1, crn, crm, op2);
    let kind: i32 = -1;
    let trap: u32 = 0; // the HCR_EL2 bit that traps it to EL2 from EL0/EL1 (hcr-traps.ts)
    if (crn == 7) {
      if (op1 == 0 && ((crm == 1 || crm == 5) && op2 == 0)) { kind = O.SYS_NOP; trap = HCR_TPU_BIT; } // IC IALLUIS, IALLU
      else if (op1 == 3 && crm == 5 && op2 == 1) { kind = O.SYS_NOP; trap = HCR_TPU_BIT; } // IC IVAU
      else if (op1 == 3 && crm == 4 && op2 == 1) { kind = O.SYS_DC_ZVA; trap = HCR_TDZ_BIT; }
      else if (op1 == 0 && crm == 6 && op2 == 1) { kind = O.SYS_NOP; trap = HCR_TPC_BIT; } // DC IVAC
      else if (op1 == 0 && crm == 6 && op2 == 2) { kind = O.SYS_NOP; trap = HCR_TSW_BIT; } // DC ISW
      else if (op1 == 0 && (crm == 10 || crm == 14) && op2 == 2) { kind = O.SYS_NOP; trap = HCR_TSW_BIT; } // DC CSW, CISW
      else if (op1 == 3 && crm == 11 && op2 == 1) { kind = O.SYS_NOP; trap = HCR_TPU_BIT; } // DC CVAU
      else if (op1 == 3 && (crm == 10 || crm == 12 || crm == 13 || crm == 14) && op2 == 1) { kind = O.SYS_NOP; trap = HCR_TPC_BIT; } // DC CVAC/CVAP/CVADP/CIVAC
      else if (crm == 8 && op1 == 0 && op2 <= 3) kind = O.SYS_AT; // AT S1E1R/W, S1E0R/W
      else if (crm == 8 && op1 == 4 && (op2 <= 1 || op2 >= 4)) kind = O.SYS_AT; // AT S1E2R/W, S12E1R/W, S12E0R/W
      else if (crm == 9 && op1 == 0 && op2 <= 1) kind = O.SYS_AT; // AT S1E1RP/WP
    } else if (crn == 8 && (op1 == 0 || op1 == 4)) {
      kind = O.SYS_TLBI; // validated by tlbi.ts at execute (unknown → UNDEFINED)
      if (op1 == 0) trap = HCR_TTLB_BIT;
    }
    if (kind < 0) return false;
    setOp(e, O.OP_SYS);
    store<u8>(e, srcZR(rt), D_RN);
    store<u8>(e, <u8>kind, D_P1);
    store<u8>(e, <u8>(op1 == 3 ? 0 : op1 == 4 ? 2 : 1), D_P2); // minimum EL
    store<u64>(e, key, D_IMM);
    store<u8>(e, <u8>trap, D_RD);
    return true;
  }

  // MRS / MSR (register)
  const key = srKey(op0, op1, crn, crm, op2);
  let idx = srLookup(key);
  // The IMPLEMENTATION DEFINED space (none implemented): trapped by HCR_EL2.TIDCP, else UNDEFINED.
  if (idx == 0 && op0 == 3 && (crn == 11 || crn == 15)) idx = IMPDEF_SPACE;
  if (idx == 0) return false;
  if (L) { setOp(e, O.OP_MRS); store<u8>(e, dstZR(rt), D_RD); }
  else { setOp(e, O.OP_MSR); store<u8>(e, srcZR(rt), D_RN); }
  store<u64>(e, <u64>idx | (<u64>key << 16), D_IMM);
  store<u8>(e, <u8>rt, D_P1); // raw Rt for trap syndromes
  return true;
}
