/**
 * The ID registers a protected guest sees and the CPU features a protected VM must (not) have
 * (kvm_init_pvm_id_regs() and pkvm_check_pvm_cpu_features() in arch/arm64/kvm/hyp/nvhe/pkvm.c and
 * sys_regs.c). The values start from the CPU's sanitised ID registers (PkvmOptions.idRegs; on the
 * core, the core's own) and keep only what pKVM lets a protected guest use, field by field as
 * upstream's pvmid_aa64* tables (pvm_calc_id_reg(), read in a copy of sys_regs.c whose tables
 * match the v6.14+ tree): AArch64 only at every EL, FP/AdvSIMD up to FP16, RAS v1, no SVE, SME,
 * MTE, AMU, MPAM, SEL2, RME, pointer authentication, debug or PMU (ID_AA64DFR0_EL1 reads only its
 * non-zero "not implemented" values).
 *
 * Field layout: Arm ARM D19.2 (ID_AA64PFR0_EL1, ID_AA64PFR1_EL1).
 */
import { EINVAL } from './page-state';

export interface IdRegs {
  ID_AA64PFR0_EL1: bigint;
  ID_AA64PFR1_EL1: bigint;
  /* The rest default to 0 (not implemented) when a caller gives only the two above. */
  ID_AA64DFR0_EL1?: bigint;
  ID_AA64ISAR0_EL1?: bigint;
  ID_AA64ISAR1_EL1?: bigint;
  ID_AA64ISAR2_EL1?: bigint;
  ID_AA64MMFR0_EL1?: bigint;
  ID_AA64MMFR1_EL1?: bigint;
  ID_AA64MMFR2_EL1?: bigint;
  ID_AA64MMFR4_EL1?: bigint;
}
export type IdRegName = keyof IdRegs;
/** Each register's CRm and op2 (op0=3, op1=0, CRn=0): its slot in kvm->arch.id_regs is IDREG_IDX(CRm, op2). */
export const ID_REG_CRM_OP2: Readonly<Record<IdRegName, readonly [number, number]>> = {
  ID_AA64PFR0_EL1: [4, 0], ID_AA64PFR1_EL1: [4, 1], ID_AA64DFR0_EL1: [5, 0],
  ID_AA64ISAR0_EL1: [6, 0], ID_AA64ISAR1_EL1: [6, 1], ID_AA64ISAR2_EL1: [6, 2],
  ID_AA64MMFR0_EL1: [7, 0], ID_AA64MMFR1_EL1: [7, 1], ID_AA64MMFR2_EL1: [7, 2], ID_AA64MMFR4_EL1: [7, 4],
};

const field = (v: bigint, shift: number): bigint => (v >> BigInt(shift)) & 0xfn;
const signed = (f: bigint): number => (f >= 8n ? Number(f) - 16 : Number(f));
const put = (shift: number, f: bigint): bigint => (f & 0xfn) << BigInt(shift);

/* ID_AA64PFR0_EL1 fields */
export const PFR0_EL0 = 0, PFR0_EL1 = 4, PFR0_EL2 = 8, PFR0_EL3 = 12, PFR0_FP = 16, PFR0_AdvSIMD = 20,
  PFR0_GIC = 24, PFR0_RAS = 28, PFR0_SVE = 32, PFR0_SEL2 = 36, PFR0_MPAM = 40, PFR0_AMU = 44, PFR0_DIT = 48,
  PFR0_RME = 52, PFR0_CSV2 = 56, PFR0_CSV3 = 60;
/* ID_AA64PFR1_EL1 fields */
export const PFR1_BT = 0, PFR1_SSBS = 4, PFR1_MTE = 8, PFR1_RAS_frac = 12, PFR1_MPAM_frac = 16, PFR1_SME = 24,
  PFR1_MTE_frac = 40;
/* ID_AA64DFR0_EL1 fields */
export const DFR0_DebugVer = 0, DFR0_PMUVer = 8, DFR0_PMSVer = 32, DFR0_DoubleLock = 36, DFR0_TraceFilt = 40,
  DFR0_MTPMU = 48, DFR0_ExtTrcBuff = 56;
/* ID_AA64MMFR0_EL1.FGT, ID_AA64MMFR2_EL1.IDS, ID_AA64MMFR4_EL1.E2H0 */
export const MMFR0_FGT = 56, MMFR2_IDS = 36, MMFR4_E2H0 = 24;

/**
 * The sanitised ID registers of a CPU pKVM is written for when the board gives none: AArch64 only
 * at EL0-EL2, no EL3 in the guest's view, FP and AdvSIMD implemented, GICv3 system registers.
 * A hyp on the core takes the core's own values instead (HostedEl2, coreIdRegs()).
 */
export const DEFAULT_HOST_ID_REGS: IdRegs = {
  ID_AA64PFR0_EL1: put(PFR0_EL0, 1n) | put(PFR0_EL1, 1n) | put(PFR0_EL2, 1n) | put(PFR0_FP, 0n)
    | put(PFR0_AdvSIMD, 0n) | put(PFR0_GIC, 1n),
  ID_AA64PFR1_EL1: 0n,
};

/**
 * One field of a pvm_ftr_bits table (nvhe/sys_regs.c): the highest value a protected guest may see;
 * `vm` false for a feature the VM does not have (SVE, pointer authentication: not offered here).
 */
interface PvmFtr { shift: number; max: bigint; sign?: boolean; vm?: false }
const F = (shift: number, max: bigint, o: Partial<PvmFtr> = {}): PvmFtr => ({ shift, max, ...o });

/* pvmid_aa64pfr0[] ... pvmid_aa64isar2[]: fields not listed read as 0 (not supported). */
const PVMID_AA64PFR0: PvmFtr[] = [
  F(PFR0_EL0, 1n), F(PFR0_EL1, 1n), F(PFR0_EL2, 1n), F(PFR0_EL3, 1n),
  F(PFR0_FP, 1n, { sign: true }), F(PFR0_AdvSIMD, 1n, { sign: true }), /* FP16 */
  F(PFR0_GIC, 1n), F(PFR0_SVE, 1n, { vm: false }), F(PFR0_RAS, 1n), F(PFR0_DIT, 1n), F(PFR0_CSV2, 1n), F(PFR0_CSV3, 1n),
];
const PVMID_AA64PFR1: PvmFtr[] = [F(PFR1_BT, 1n), F(PFR1_SSBS, 2n), F(PFR1_MTE_frac, 0xfn)];
const PVMID_AA64MMFR0: PvmFtr[] = [
  F(0, 2n) /* PARange 40 bits */, F(4, 2n) /* ASIDBits 16 */, F(8, 1n) /* BigEnd */, F(12, 1n) /* SNSMem */,
  F(16, 1n) /* BigEndEL0 */, F(44, 1n) /* ExS */,
];
const PVMID_AA64MMFR1: PvmFtr[] = [
  F(0, 2n) /* HAFDBS: DBM */, F(4, 2n) /* VMIDBits 16 */, F(12, 2n) /* HPDS2 */, F(20, 3n) /* PAN3 */,
  F(24, 1n) /* SpecSEI */, F(36, 1n) /* ETS */, F(56, 1n) /* CMOW */,
];
const PVMID_AA64MMFR2: PvmFtr[] = [
  F(0, 1n) /* CnP */, F(4, 1n) /* UAO */, F(12, 1n) /* IESB */, F(32, 1n) /* AT */, F(MMFR2_IDS, 1n),
  F(48, 1n) /* TTL */, F(52, 2n) /* BBM */, F(60, 1n) /* E0PD */,
];
const PVMID_AA64ISAR1: PvmFtr[] = [
  F(0, 2n) /* DPB2 */, F(4, 1n, { vm: false }) /* APA */, F(8, 1n, { vm: false }) /* API */, F(12, 1n) /* JSCVT */,
  F(16, 1n) /* FCMA */, F(20, 3n) /* LRCPC3 */, F(24, 1n) /* GPA */, F(28, 1n) /* GPI */, F(32, 1n) /* FRINTTS */,
  F(36, 1n) /* SB */, F(40, 2n) /* SPECRES */, F(44, 2n) /* BF16 */, F(48, 1n) /* DGH */, F(52, 1n) /* I8MM */,
];
const PVMID_AA64ISAR2: PvmFtr[] = [F(8, 1n, { vm: false }) /* GPA3 */, F(12, 1n, { vm: false }) /* APA3 */, F(60, 1n) /* ATS1A */];

/** get_restricted_features(): each listed field at most the table's value (signed fields: NI stays NI). */
function get_restricted_features(sys: bigint, table: PvmFtr[]): bigint {
  let val = 0n;
  for (const r of table) {
    const sys_val = field(sys, r.shift);
    if (r.vm === false) val |= put(r.shift, r.sign ? 0xfn : 0n);
    else if (r.sign && (sys_val >= 8n || r.max >= 8n)) val |= put(r.shift, sys_val > r.max ? sys_val : r.max);
    else val |= put(r.shift, sys_val < r.max ? sys_val : r.max);
  }
  return val;
}

/*
 * None of ID_AA64DFR0_EL1's features nor ID_AA64MMFR4_EL1's are offered; their "not implemented"
 * values that are not zero are (ID_AA64DFR0_EL1_NONZERO_NI, ID_AA64MMFR4_EL1_NONZERO_NI).
 */
export const ID_AA64DFR0_EL1_NONZERO_NI = put(DFR0_DoubleLock, 0xfn) | put(DFR0_MTPMU, 0xfn);
export const ID_AA64MMFR4_EL1_NONZERO_NI = put(MMFR4_E2H0, 0xen);

/** kvm_init_pvm_id_regs() / pvm_calc_id_reg(): the ID registers of a protected vCPU. */
export function kvm_init_pvm_id_regs(host: IdRegs): Required<IdRegs> {
  return {
    ID_AA64PFR0_EL1: get_restricted_features(host.ID_AA64PFR0_EL1, PVMID_AA64PFR0),
    ID_AA64PFR1_EL1: get_restricted_features(host.ID_AA64PFR1_EL1, PVMID_AA64PFR1),
    ID_AA64ISAR0_EL1: host.ID_AA64ISAR0_EL1 ?? 0n,
    ID_AA64ISAR1_EL1: get_restricted_features(host.ID_AA64ISAR1_EL1 ?? 0n, PVMID_AA64ISAR1),
    ID_AA64ISAR2_EL1: get_restricted_features(host.ID_AA64ISAR2_EL1 ?? 0n, PVMID_AA64ISAR2),
    ID_AA64MMFR0_EL1: get_restricted_features(host.ID_AA64MMFR0_EL1 ?? 0n, PVMID_AA64MMFR0),
    ID_AA64MMFR1_EL1: get_restricted_features(host.ID_AA64MMFR1_EL1 ?? 0n, PVMID_AA64MMFR1),
    ID_AA64MMFR2_EL1: get_restricted_features(host.ID_AA64MMFR2_EL1 ?? 0n, PVMID_AA64MMFR2),
    ID_AA64DFR0_EL1: ID_AA64DFR0_EL1_NONZERO_NI,
    ID_AA64MMFR4_EL1: ID_AA64MMFR4_EL1_NONZERO_NI,
  };
}

/** kvm_has_feat(): an unsigned ID field at least `min`. */
export const has_feat = (reg: bigint, shift: number, min = 1n): boolean => field(reg, shift) >= min;

/**
 * pkvm_check_pvm_cpu_features(): -EINVAL if the protected VM's features are outside what pKVM
 * supports: AArch32 at EL0 or EL1, no FP or no AdvSIMD (Linux guests assume both), SME.
 */
export function pkvm_check_pvm_cpu_features(id: IdRegs): number {
  const p0 = id.ID_AA64PFR0_EL1;
  const AARCH32 = 2n;
  if (field(p0, PFR0_EL0) >= AARCH32 || field(p0, PFR0_EL1) >= AARCH32) return -EINVAL;
  /* FP and AdvSIMD are signed fields: 0xF (-1) is "not implemented". */
  if (signed(field(p0, PFR0_FP)) < 0 || signed(field(p0, PFR0_AdvSIMD)) < 0) return -EINVAL;
  if (field(id.ID_AA64PFR1_EL1, PFR1_SME) !== 0n) return -EINVAL;
  return 0;
}
