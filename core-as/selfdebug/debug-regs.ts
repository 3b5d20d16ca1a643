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
