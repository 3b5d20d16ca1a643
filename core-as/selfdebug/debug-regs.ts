// Self-hosted debug registers (Arm ARM D2 "AArch64 Self-hosted Debug", registers in D17.3):
// storage indices (450..511 of the sysreg block, per CPU) and the implemented resources, as QEMU's
// Cortex-A57-class ID_AA64DFR0_EL1: six breakpoints (the last two context-aware), four watchpoints.
export const NUM_BRPS: u32 = 6;
export const NUM_WRPS: u32 = 4;
export const NUM_CTX_CMPS: u32 = 2;

export const DBGBVR0_EL1: u32 = 450; // .. + NUM_BRPS - 1
export const DBGBCR0_EL1: u32 = 458;
export const DBGWVR0_EL1: u32 = 466; // .. + NUM_WRPS - 1
export const DBGWCR0_EL1: u32 = 472;
export const MDCCINT_EL1: u32 = 478;
export const DBGCLAIM: u32 = 479; // the claim tag bits (DBGCLAIMSET/CLR_EL1 read and write them)
export const DBGCLAIMSET_EL1: u32 = 480;
export const DBGCLAIMCLR_EL1: u32 = 481;
export const DBGAUTHSTATUS_EL1: u32 = 482;
export const MDRAR_EL1: u32 = 483;
export const DBGPRCR_EL1: u32 = 484;
export const MDCCSR_EL0: u32 = 485;
export const DBGDTR_EL0: u32 = 486;
export const DBGDTRRXTX_EL0: u32 = 487; // DBGDTRRX_EL0 (read) / DBGDTRTX_EL0 (write): one encoding
export const OSDTRRX_EL1: u32 = 488;
export const OSDTRTX_EL1: u32 = 489;
export const OSECCR_EL1: u32 = 490;
export const DBGBxR_UNIMPL: u32 = 491; // DBGBVR/BCR<n> with n >= NUM_BRPS, DBGWVR/WCR<n> with n >= NUM_WRPS
export const SELFDEBUG_FIRST: u32 = 450;
export const SELFDEBUG_LAST: u32 = 491;

// MDCR_EL2 trap controls.
export const MDCR_TDE: u64 = 1 << 8;
export const MDCR_TDA: u64 = 1 << 9;
export const MDCR_TDOSA: u64 = 1 << 10;
export const MDCR_TDRA: u64 = 1 << 11;
// MDSCR_EL1 fields.
export const MDSCR_SS: u64 = 1 << 0;
export const MDSCR_TDCC: u64 = 1 << 12;
export const MDSCR_KDE: u64 = 1 << 13;
export const MDSCR_MDE: u64 = 1 << 15;
export const MDSCR_WRITABLE: u64 = MDSCR_SS | (1 << 6) /* ERR */ | MDSCR_TDCC | MDSCR_KDE | (1 << 14) /* HDE */ | MDSCR_MDE |
  (<u64>1 << 21) /* TDA */ | (<u64>1 << 29) /* TXU */ | (<u64>1 << 30) /* RXO */;

/** ID_AA64DFR0_EL1: DebugVer v8.0 (6), PMUVer PMUv3 (1), BRPs, WRPs, CTX_CMPs (each minus one). */
export const ID_AA64DFR0_VALUE: u64 = 0x6 | (1 << 8) | ((NUM_BRPS - 1) << 12) | ((NUM_WRPS - 1) << 20) | ((NUM_CTX_CMPS - 1) << 28);

// Internal state (never accessible by MRS/MSR), per CPU in the sysreg block (the free 492.. range):
// SD_ARMED says which debug events can happen at all with the current register values, so the
// fetch and data paths only look for breakpoints/watchpoints on pages that may hold one.
export const SD_ARMED: u32 = 492; // SD_BREAK | SD_WATCH
export const SD_BREAK: u64 = 1;
export const SD_WATCH: u64 = 2;

// DBGBCR<n>_EL1 / DBGWCR<n>_EL1 fields.
export const BCR_E: u64 = 1;
export const BCR_BT_SHIFT: u32 = 20; // DBGBCR.BT[23:20]
export const WCR_WT: u64 = 1 << 20; // DBGWCR.WT: linked to a context-aware breakpoint (LBN)
export const OSLSR_OSLK: u64 = 2;
export const OSDLR_DLK: u64 = 1;
export const DBGPRCR_CORENPDRQ: u64 = 1;
export const MDSCR_SS_BIT: u32 = 0;
// PSTATE bits (SPSR layout) the debug architecture uses.
export const PSTATE_SS: u32 = 1 << 21;
export const PSTATE_D: u32 = 1 << 9;

// Exception classes and syndromes (Arm ARM D17.2.37 ESR_ELx).
export const EC_BREAKPOINT_LOWER: u32 = 0x30;
export const EC_SOFTWARESTEP_LOWER: u32 = 0x32;
export const EC_WATCHPOINT_LOWER: u32 = 0x34;
export const FSC_DEBUG: u32 = 0x22; // IFSC/DFSC "debug exception"
export const ISS_SS_ISV: u32 = 1 << 24;
export const ISS_SS_EX: u32 = 1 << 6;
export const ISS_WNR: u32 = 1 << 6;
export const SD_STEP_SYN: u32 = 493; // ISV | EX of the next software step exception (0: none stepped)
