// HCR_EL2's trap controls for system-register accesses and cache / TLB maintenance from EL0 and EL1
// (Arm ARM D13.2.47 HCR_EL2, and each register's access pseudocode): the trap is taken to EL2 with
// EC 0x18 after the EL1-level controls (SCTLR_EL1.UCT/UCI, CNTKCTL_EL1) and before the access.
import * as S from './sysregs';
import { curEL, hcr } from './state';

export const HCR_TID1_BIT: u32 = 16; // REVIDR_EL1, AIDR_EL1
export const HCR_TID2_BIT: u32 = 17; // CTR_EL0, CCSIDR_EL1, CLIDR_EL1, CSSELR_EL1
export const HCR_TID3_BIT: u32 = 18; // ID group 3: op0 3, op1 0, CRn 0, CRm 1..7
export const HCR_TIDCP_BIT: u32 = 20; // IMPLEMENTATION DEFINED registers (op0 3, CRn 11 or 15) at EL1
export const HCR_TACR_BIT: u32 = 21; // ACTLR_EL1
export const HCR_TSW_BIT: u32 = 22; // DC ISW, DC CSW, DC CISW
export const HCR_TPC_BIT: u32 = 23; // DC to the PoC: IVAC, CVAC, CIVAC, CVAP, CVADP
export const HCR_TPU_BIT: u32 = 24; // to the PoU: IC IVAU, IC IALLU, IC IALLUIS, DC CVAU
export const HCR_TTLB_BIT: u32 = 25; // TLBI at EL1
export const HCR_TVM_BIT: u32 = 26; // writes of the EL1 virtual-memory controls
export const HCR_TDZ_BIT: u32 = 28; // DC ZVA at EL0/EL1 (and DCZID_EL0.DZP reads 1)
export const HCR_TRVM_BIT: u32 = 30; // reads of the EL1 virtual-memory controls

const TRAP_MASK: u64 = (<u64>1 << HCR_TID1_BIT) | (<u64>1 << HCR_TID2_BIT) | (<u64>1 << HCR_TID3_BIT)
  | (<u64>1 << HCR_TACR_BIT) | (<u64>1 << HCR_TVM_BIT) | (<u64>1 << HCR_TRVM_BIT);

@inline function bit(h: u64, n: u32): bool { return ((h >> n) & 1) != 0; }

/** The EL1 registers HCR_EL2.TVM (writes) and TRVM (reads) trap. */
function isVirtualMemoryControl(idx: u32): bool {
  return idx == S.SCTLR_EL1 || idx == S.TTBR0_EL1 || idx == S.TTBR1_EL1 || idx == S.TCR_EL1
    || idx == S.ESR_EL1 || idx == S.FAR_EL1 || idx == S.AFSR0_EL1 || idx == S.AFSR1_EL1
    || idx == S.MAIR_EL1 || idx == S.AMAIR_EL1 || idx == S.CONTEXTIDR_EL1;
}

/** True when an MRS/MSR of register idx (encoding key) at EL0/EL1 traps to EL2 by HCR_EL2. */
export function hcrTrapsSysreg(idx: u32, key: u32, isRead: bool): bool {
  if (curEL >= 2) return false;
  const h = hcr(); // zero without EL2
  if ((h & TRAP_MASK) == 0) return false;
  const op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15, op2 = key & 7;
  if (op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7) return bit(h, HCR_TID3_BIT);
  if (op0 == 3 && crn == 0 && crm == 0 && ((op1 == 0 && op2 == 6) || (op1 == 1 && op2 == 7))) return bit(h, HCR_TID1_BIT);
  if (idx == S.CTR_EL0 || idx == S.CCSIDR_EL1 || idx == S.CLIDR_EL1 || idx == S.CSSELR_EL1) return bit(h, HCR_TID2_BIT);
  if (idx == S.ACTLR_EL1) return bit(h, HCR_TACR_BIT);
  if (isVirtualMemoryControl(idx)) return bit(h, isRead ? HCR_TRVM_BIT : HCR_TVM_BIT);
  return false;
}

/** True when a SYS instruction of trap class `trapBit` (0: none) at EL0/EL1 traps to EL2 by HCR_EL2. */
@inline export function hcrTrapsSys(trapBit: u32): bool {
  return trapBit != 0 && curEL < 2 && bit(hcr(), trapBit);
}

/** An access to the IMPLEMENTATION DEFINED register space (none is implemented): EL1 traps to EL2
 *  with HCR_EL2.TIDCP, otherwise the access is UNDEFINED. */
@inline export function hcrTrapsImpDef(): bool {
  return curEL == 1 && bit(hcr(), HCR_TIDCP_BIT);
}
