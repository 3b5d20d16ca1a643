/**
 * System-register accesses of a protected guest that trap to EL2 (kvm_handle_pvm_sysreg() and
 * pvm_sys_reg_descs[] of arch/arm64/kvm/hyp/nvhe/sys_regs.c). The table lists what EL2 handles:
 * - the ID group 3 space (HCR_EL2.TID3): AArch64 ID registers read as the protected VM's restricted
 *   values (pvm-features.ts), the AArch32 ones and unallocated encodings as 0; a write is UNDEFINED;
 * - the RAS error record registers ERR*: RAZ/WI;
 * - ICC_SRE_EL1: reads SRE | DFB | DIB (GICv3 only), writes ignored;
 * - CCSIDR2_EL1, GMID_EL1, SMIDR_EL1: the ID-space trap back to EL1 if the VM has FEAT_IDST, else
 *   UNDEFINED (pvm_idst_access());
 * - HOST_HANDLED: ICC_SGI1R/ASGI1R/SGI0R_EL1, CCSIDR/CLIDR/CSSELR_EL1, CTR_EL0, CNTP_TVAL/CTL/CVAL_EL0
 *   go to the host.
 * Anything else that traps (debug registers under MDCR_EL2.TDA/TDOSA, the PMU under TPM/TPMCR, ...)
 * is restricted: EL2 injects an UNDEFINED exception. inject_undef64() writes ESR_EL1 = EC_UNKNOWN with
 * IL clear, as upstream does.
 */
import { SR, type Core } from '../machine/core';
import type { PkvmHypVcpu } from './hyp-vm';
import { __kvm_skip_instr } from './adjust-pc';
import { MMFR2_IDS, kvm_init_pvm_id_regs, type IdRegs } from './pvm-features';

/** sys_reg(op0, op1, crn, crm, op2) as the key upstream sorts by. */
export const sys_reg = (op0: number, op1: number, crn: number, crm: number, op2: number): number =>
  (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;

/** The fields of an EC 0x18 ISS (esr_sys64_to_params()). */
export function esr_sys64_to_params(esr: bigint): { key: number; rt: number; is_write: boolean } {
  const iss = Number(esr & 0x1ffffffn);
  const op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7, crn = (iss >> 10) & 15;
  const rt = (iss >> 5) & 31, crm = (iss >> 1) & 15;
  return { key: sys_reg(op0, op1, crn, crm, op2), rt, is_write: (iss & 1) === 0 };
}

type Access = 'id_aarch64' | 'id_aarch32' | 'raz_wi' | 'gic_sre' | 'idst' | 'host';
const DESCS = new Map<number, Access>();
for (let crm = 1; crm < 8; crm++) for (let op2 = 0; op2 < 8; op2++)
  DESCS.set(sys_reg(3, 0, 0, crm, op2), crm <= 3 && !(crm === 3 && (op2 === 3 || op2 === 7)) ? 'id_aarch32' : 'id_aarch64');
for (const [crm, op2] of [[3, 0], [3, 1], [4, 0], [4, 1], [4, 2], [4, 3], [5, 0], [5, 1]] as const)
  DESCS.set(sys_reg(3, 0, 5, crm, op2), 'raz_wi'); /* ERRIDR, ERRSELR, ERXFR, ERXCTLR, ERXSTATUS, ERXADDR, ERXMISC0/1 */
DESCS.set(sys_reg(3, 0, 12, 11, 5), 'host'); /* ICC_SGI1R_EL1 */
DESCS.set(sys_reg(3, 0, 12, 11, 6), 'host'); /* ICC_ASGI1R_EL1 */
DESCS.set(sys_reg(3, 0, 12, 11, 7), 'host'); /* ICC_SGI0R_EL1 */
DESCS.set(sys_reg(3, 0, 12, 12, 5), 'gic_sre'); /* ICC_SRE_EL1 */
DESCS.set(sys_reg(3, 1, 0, 0, 0), 'host'); /* CCSIDR_EL1 */
DESCS.set(sys_reg(3, 1, 0, 0, 1), 'host'); /* CLIDR_EL1 */
DESCS.set(sys_reg(3, 1, 0, 0, 2), 'idst'); /* CCSIDR2_EL1 */
DESCS.set(sys_reg(3, 1, 0, 0, 4), 'idst'); /* GMID_EL1 */
DESCS.set(sys_reg(3, 1, 0, 0, 6), 'idst'); /* SMIDR_EL1 */
DESCS.set(sys_reg(3, 2, 0, 0, 0), 'host'); /* CSSELR_EL1 */
DESCS.set(sys_reg(3, 3, 0, 0, 1), 'host'); /* CTR_EL0 */
DESCS.set(sys_reg(3, 3, 14, 2, 0), 'host'); /* CNTP_TVAL_EL0 */
DESCS.set(sys_reg(3, 3, 14, 2, 1), 'host'); /* CNTP_CTL_EL0 */
DESCS.set(sys_reg(3, 3, 14, 2, 2), 'host'); /* CNTP_CVAL_EL0 */

/** How EL2 treats a trapped access: emulated, given to the host, or restricted (UNDEFINED). */
export function pvm_sys_reg_access(key: number): Access | 'restricted' {
  return DESCS.get(key) ?? 'restricted';
}

const ID_NAMES: Record<number, keyof IdRegs> = {
  [sys_reg(3, 0, 0, 4, 0)]: 'ID_AA64PFR0_EL1', [sys_reg(3, 0, 0, 4, 1)]: 'ID_AA64PFR1_EL1',
  [sys_reg(3, 0, 0, 5, 0)]: 'ID_AA64DFR0_EL1', [sys_reg(3, 0, 0, 6, 0)]: 'ID_AA64ISAR0_EL1',
  [sys_reg(3, 0, 0, 6, 1)]: 'ID_AA64ISAR1_EL1', [sys_reg(3, 0, 0, 6, 2)]: 'ID_AA64ISAR2_EL1',
  [sys_reg(3, 0, 0, 7, 0)]: 'ID_AA64MMFR0_EL1', [sys_reg(3, 0, 0, 7, 1)]: 'ID_AA64MMFR1_EL1',
  [sys_reg(3, 0, 0, 7, 2)]: 'ID_AA64MMFR2_EL1', [sys_reg(3, 0, 0, 7, 4)]: 'ID_AA64MMFR4_EL1',
};

/** read_id_reg(): the protected VM's view of an AArch64 ID register (0 for the ones pKVM leaves out). */
export function pvm_read_id_reg(vcpu: PkvmHypVcpu, key: number, hostIdRegs: IdRegs): bigint {
  const name = ID_NAMES[key];
  if (!name) return 0n;
  const regs = (vcpu.id_regs ?? kvm_init_pvm_id_regs(hostIdRegs)) as Required<IdRegs>;
  return regs[name] ?? 0n;
}

export const ICC_SRE_EL1_SRE = 1n, ICC_SRE_EL1_DFB = 2n, ICC_SRE_EL1_DIB = 4n;

/**
 * inject_undef64() on the trapped guest, live on the core: the exception is taken to EL1 as the
 * guest's next step (ELR_EL2/SPSR_EL2 become the EL1 vector and EL1h with DAIF masked).
 */
export function inject_undef64(core: Core): void {
  inject_sync64(core, 0n);
}

function inject_sync64(core: Core, esr: bigint): void {
  const elr = core.sysreg(SR.ELR_EL2), spsr = core.sysreg(SR.SPSR_EL2);
  const fromEL = Number((spsr >> 2n) & 3n);
  const offset = fromEL === 0 ? 0x400n : (spsr & 1n) !== 0n ? 0x200n : 0n;
  core.setSysreg(SR.ESR_EL1, esr);
  core.setSysreg(SR.ELR_EL1, elr);
  core.setSysreg(SR.SPSR_EL1, spsr);
  core.setSysreg(SR.ELR_EL2, (core.sysreg(SR.VBAR_EL1) & ~0x7ffn) + offset);
  core.setSysreg(SR.SPSR_EL2, 0x3c5n); /* EL1h, DAIF masked */
}

/**
 * kvm_handle_pvm_sysreg(): true when EL2 handled the access (the guest resumes: after the
 * instruction, or at the UNDEFINED exception's vector), false when the host must handle it.
 */
export function kvm_handle_pvm_sysreg(core: Core, vcpu: PkvmHypVcpu, esr: bigint, hostIdRegs: IdRegs): boolean {
  const p = esr_sys64_to_params(esr);
  const access = pvm_sys_reg_access(p.key);
  if (access === 'restricted') { inject_undef64(core); return true; }
  if (access === 'host') return false;
  let regval = 0n;
  switch (access) {
    case 'id_aarch64':
    case 'id_aarch32':
      if (p.is_write) { inject_undef64(core); return true; }
      regval = access === 'id_aarch64' ? pvm_read_id_reg(vcpu, p.key, hostIdRegs) : 0n;
      break;
    case 'raz_wi': break;
    case 'gic_sre': regval = ICC_SRE_EL1_DIB | ICC_SRE_EL1_DFB | ICC_SRE_EL1_SRE; break;
    case 'idst': {
      /* FEAT_IDST: the ID-space access traps to EL1 with the same syndrome; else UNDEFINED. */
      const mmfr2 = pvm_read_id_reg(vcpu, sys_reg(3, 0, 0, 7, 2), hostIdRegs);
      if (((mmfr2 >> BigInt(MMFR2_IDS)) & 0xfn) !== 0n) inject_sync64(core, esr);
      else inject_undef64(core);
      return true;
    }
  }
  __kvm_skip_instr(core);
  if (!p.is_write && p.rt !== 31) core.setX(p.rt, regval);
  return true;
}
