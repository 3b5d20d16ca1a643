/**
 * A protected guest's system-register view (upstream nvhe/sys_regs.c and pkvm.c, see
 * hyp/pvm-sys-regs.ts, pvm-traps.ts, pvm-features.ts): HCR_EL2.TID3 traps its ID-register reads to
 * EL2, which answers them with the restricted values of the pvmid_aa64* tables; MDCR_EL2.TPM/TPMCR
 * and TDA trap its PMU and debug accesses, which EL2 refuses with an UNDEFINED exception. A
 * non-protected guest reads the CPU's own values.
 */
import { describe, expect, it } from 'vitest';
import { boot, createVm, result, runToOff, seaRecord } from './harness';
import { sysreg } from '../gen/a64enc';
import { SR } from '../../machine/core';
import { coreIdRegs } from '../../hyp/hosted-el2';
import {
  MDCR_EL2_TDA, MDCR_EL2_TDCC, MDCR_EL2_TDOSA, MDCR_EL2_TDRA, MDCR_EL2_TPM, MDCR_EL2_TPMCR, MDCR_EL2_TPMS, MDCR_EL2_TTRF,
  HCR_TID3, HCR_TACR, HCR_TIDCP, HCR_TID1, HCR_TID5, HCR_TLOR,
} from '../../hyp/pvm-traps';

const ID_AA64PFR0_EL1 = sysreg(3, 0, 0, 4, 0);
const ID_AA64DFR0_EL1 = sysreg(3, 0, 0, 5, 0);
const ID_AA64MMFR0_EL1 = sysreg(3, 0, 0, 7, 0);
const ID_AA64MMFR4_EL1 = sysreg(3, 0, 0, 7, 4);
const ID_PFR0_EL1 = sysreg(3, 0, 0, 1, 0);
const PMCR_EL0 = sysreg(3, 3, 9, 12, 0);
const MDSCR_EL1 = sysreg(2, 0, 0, 2, 2);

const nib = (v: bigint, shift: number): bigint => (v >> BigInt(shift)) & 0xfn;
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

describe('protected guest system registers', () => {
  it('ID registers read through EL2 as the restricted pKVM view; PMU and debug accesses are UNDEFINED', () => {
    const t = boot();
    const vm = createVm(t, {
      ops: [{ mrs: ID_AA64PFR0_EL1 }, { mrs: ID_AA64DFR0_EL1 }, { mrs: ID_AA64MMFR0_EL1 }, { mrs: ID_AA64MMFR4_EL1 }, { mrs: ID_PFR0_EL1 }],
    });
    const np = createVm(t, { name: 'np', protected: false, ops: [{ mrs: ID_AA64PFR0_EL1 }, { mrs: ID_AA64DFR0_EL1 }] });
    runToOff(t);
    const cpu = t.core;
    const pfr0 = cpu.idReg(SR.ID_AA64PFR0_EL1);
    /* pvmid_aa64pfr0: EL0..EL3 ≤ IMP, FP/AdvSIMD ≤ FP16 (1), GIC/RAS/DIT/CSV2/CSV3 ≤ 1, SVE 0, the rest 0. */
    let want = 0n;
    for (const [s, m] of [[0, 1n], [4, 1n], [8, 1n], [12, 1n], [16, 1n], [20, 1n], [24, 1n], [28, 1n], [48, 1n], [56, 1n], [60, 1n]] as const)
      want |= min(nib(pfr0, s), m) << BigInt(s);
    expect(result(t, vm, 0)[0]).toBe(want);
    /* ID_AA64DFR0_EL1: no debug, no PMU; only DoubleLock and MTPMU "not implemented" (0xF). */
    expect(result(t, vm, 1)[0]).toBe((0xfn << 36n) | (0xfn << 48n));
    /* ID_AA64MMFR0_EL1: PARange capped at 40 bits (2), ASIDBits 16 (2); the 4K/16K/64K granule fields are not offered. */
    const mmfr0 = cpu.idReg(SR.ID_AA64MMFR0_EL1);
    expect(nib(mmfr0, 0)).toBe(5n); /* the core: 48 bits */
    expect(result(t, vm, 2)[0]).toBe(2n | (2n << 4n));
    /* ID_AA64MMFR4_EL1: E2H0 "not implemented" (0b1110); AArch32 ID registers RAZ. */
    expect(result(t, vm, 3)[0]).toBe(0xen << 24n);
    expect(result(t, vm, 4)[0]).toBe(0n);
    expect(seaRecord(t, vm).count).toBe(0n);
    /* The non-protected guest reads the CPU's values (no TID3). */
    expect(result(t, np, 0)[0]).toBe(pfr0);
    expect(result(t, np, 1)[0]).toBe(cpu.idReg(SR.ID_AA64DFR0_EL1));
  });

  it('PMU (MDCR_EL2.TPM/TPMCR) and debug (TDA) accesses of a protected guest take an UNDEFINED exception', () => {
    for (const reg of [PMCR_EL0, MDSCR_EL1]) {
      const t = boot();
      const vm = createVm(t, { ops: [{ mrs: reg }] });
      runToOff(t);
      const sea = seaRecord(t, vm);
      expect(sea.count).toBe(1n);
      expect(sea.esr).toBe(0n); /* EC_UNKNOWN; inject_undef64() leaves IL clear */
      expect(sea.vector).toBe(0x200n); /* current EL with SP_ELx, synchronous */
      expect(result(t, vm, 0)[0]).toBe(0xdeadn); /* x0 untouched: the MRS did not complete */
    }
  });

  it('a non-protected guest reads PMCR_EL0 itself, with N = HPMN', () => {
    const t = boot();
    const vm = createVm(t, { protected: false, ops: [{ mrs: PMCR_EL0 }] });
    runToOff(t);
    expect(seaRecord(t, vm).count).toBe(0n);
    expect((result(t, vm, 0)[0]! >> 11n) & 0x1fn).toBe(BigInt(t.el2.pkvm.pmcrN));
  });
});

describe('pvm_init_traps_hcr/mdcr and __pkvm_vcpu_load', () => {
  it('a protected vCPU traps ID registers, PMU, debug, trace and DCC; HPMN becomes PMCR_EL0.N at load', () => {
    const t = boot();
    const vm = createVm(t, { ops: [] });
    const hyp = t.el2.pkvm;
    const v = hyp.get_vm_by_handle(vm.handle)!.vcpus[0]!;
    for (const bit of [HCR_TID3, HCR_TACR, HCR_TIDCP, HCR_TID1, HCR_TID5, HCR_TLOR]) expect(v.hcr_el2 & bit).toBe(bit);
    const traps = MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TDA | MDCR_EL2_TDRA | MDCR_EL2_TDOSA | MDCR_EL2_TPMS | MDCR_EL2_TTRF | MDCR_EL2_TDCC;
    expect(v.mdcr_el2 & traps).toBe(traps);
    expect(v.mdcr_el2 & 0x1fn).toBe(0n); /* HPMN cleared: the VM has no PMU */
    expect(hyp.pmcrN).toBe(6); /* the core's PMCR_EL0.N */
    expect(coreIdRegs(t.core).ID_AA64DFR0_EL1! & 0xf00n).not.toBe(0n); /* PMUv3 on the CPU */
    t.el2.hcall('__pkvm_vcpu_load', vm.handle, 0, 0);
    expect(v.mdcr_el2 & 0x1fn).toBe(6n);
    t.el2.hcall('__pkvm_vcpu_put');
  });

  it('the world switch programs the protected vCPU MDCR_EL2 for its run and gives the host its own back', () => {
    const t = boot();
    const hostMdcr = t.core.sysreg(SR.MDCR_EL2);
    const vm = createVm(t, { ops: [{ mrs: PMCR_EL0 }] });
    let seen = -1n;
    const hooks = t.el2.ws.guestRunHooks;
    t.el2.ws.guestRunHooks = { before: (x) => { seen = t.core.sysreg(SR.MDCR_EL2); hooks?.before(x); }, after: (x) => hooks?.after(x) };
    runToOff(t);
    expect(seaRecord(t, vm).count).toBe(1n);
    expect(seen & MDCR_EL2_TPM).toBe(MDCR_EL2_TPM);
    expect(seen & 0x1fn).toBe(6n);
    expect(t.core.sysreg(SR.MDCR_EL2)).toBe(hostMdcr);
  });
});
