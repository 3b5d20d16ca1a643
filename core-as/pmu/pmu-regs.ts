// PMUv3 system registers: storage indices (the 350..449 debug/PMU range of sysregs.ts) and their
// MRS/MSR encodings. Architectural state is per CPU (it lives in the sysreg block at CPU_BASE).
export const PMU_N: u32 = 6; // event counters implemented (PMCR_EL0.N), as QEMU's -cpu max

export const PMCR_EL0: u32 = 350;
export const PMCNTENSET_EL0: u32 = 351; // storage of the enable bits (CLR is the same register)
export const PMOVSSET_EL0: u32 = 352; // storage of the overflow flags
export const PMINTENSET_EL1: u32 = 353; // storage of the interrupt enables
export const PMSELR_EL0: u32 = 354;
export const PMUSERENR_EL0: u32 = 355;
export const PMCCNTR_EL0: u32 = 356;
export const PMCCFILTR_EL0: u32 = 357;
export const PMEVCNTR0_EL0: u32 = 358; // .. + PMU_N - 1 (the encoding space has 31; n >= N is UNDEFINED)
export const PMEVTYPER0_EL0: u32 = 389; // .. + PMU_N - 1
export const PMCNTENCLR_EL0: u32 = 420;
export const PMOVSCLR_EL0: u32 = 421;
export const PMINTENCLR_EL1: u32 = 422;
export const PMSWINC_EL0: u32 = 423;
export const PMCEID0_EL0: u32 = 424;
export const PMCEID1_EL0: u32 = 425;
export const PMXEVTYPER_EL0: u32 = 426;
export const PMXEVCNTR_EL0: u32 = 427;
export const PMEVCNTR_UNIMPL: u32 = 428; // PMEVCNTR<n>/PMEVTYPER<n> with N <= n <= 30
// Internal (never accessible by MRS/MSR): the lazy counting state.
export const PMU_SYNC_INSNS: u32 = 430; // the CPU's instruction count at the last sync
export const PMU_SYNC_EL: u32 = 431; // the EL those instructions ran at
export const PMU_CC_FRAC: u32 = 432; // PMCR_EL0.D: instructions not yet counted (count every 64)
export const PMU_FIRST: u32 = 350;
export const PMU_LAST: u32 = 428;

// PMCR_EL0 fields.
export const PMCR_E: u64 = 1 << 0;
export const PMCR_P: u64 = 1 << 1;
export const PMCR_C: u64 = 1 << 2;
export const PMCR_D: u64 = 1 << 3;
export const PMCR_X: u64 = 1 << 4;
export const PMCR_DP: u64 = 1 << 5;
export const PMCR_LC: u64 = 1 << 6;
export const PMCR_WRITABLE: u64 = PMCR_E | PMCR_D | PMCR_X | PMCR_DP | PMCR_LC;
// PMCR_EL0.IMP/IDCODE as QEMU's -cpu max (0x41, 0x01), N in bits 15:11.
export const PMCR_RO: u64 = (<u64>0x41 << 24) | (<u64>0x01 << 16) | (<u64>PMU_N << 11);

// Events (Arm ARM D17.11 "Common event numbers"): the ones this PMU counts.
export const EV_SW_INCR: u32 = 0x00;
export const EV_INST_RETIRED: u32 = 0x08;
export const EV_CPU_CYCLES: u32 = 0x11;
export const PMCEID0_VALUE: u64 = (<u64>1 << EV_SW_INCR) | (<u64>1 << EV_INST_RETIRED) | (<u64>1 << EV_CPU_CYCLES);

// Filter bits of PMEVTYPER<n>_EL0 / PMCCFILTR_EL0.
export const EVT_P: u64 = <u64>1 << 31; // do not count at EL1
export const EVT_U: u64 = <u64>1 << 30; // do not count at EL0
export const EVT_NSH: u64 = <u64>1 << 27; // count at EL2
export const EVT_WRITABLE: u64 = EVT_P | EVT_U | (<u64>1 << 29) | (<u64>1 << 28) | EVT_NSH | (<u64>1 << 26) | 0x3ff;
export const CCFILTR_WRITABLE: u64 = EVT_P | EVT_U | (<u64>1 << 29) | (<u64>1 << 28) | EVT_NSH | (<u64>1 << 26);

// MDCR_EL2 fields that concern the PMU.
export const MDCR_HPMN_MASK: u64 = 0x1f;
export const MDCR_TPMCR: u64 = 1 << 5;
export const MDCR_TPM: u64 = 1 << 6;
export const MDCR_HPME: u64 = 1 << 7;
// PMUSERENR_EL0 fields.
export const PMUSERENR_EN: u64 = 1 << 0;
export const PMUSERENR_SW: u64 = 1 << 1;
export const PMUSERENR_CR: u64 = 1 << 2;
export const PMUSERENR_ER: u64 = 1 << 3;
