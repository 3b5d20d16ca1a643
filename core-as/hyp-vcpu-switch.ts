// The guest entry and exit of a TypeScript-hosted EL2's __kvm_vcpu_run (hyp/world-switch.ts), one
// call each way instead of one per register: what nvhe/switch.c does around __guest_enter with the
// registers EL2 programs for a run, as the same MSR/MRS writes and reads (their side effects taken
// once, after all of them).
//
// hypVcpuEnter(n): the vCPU's context (n slots at EXIT_BASE + EXIT_CTXT, placed by EXIT_CTXT_MAP as
// ctxtLoad() places them, PC and PSTATE from their slots 33 and 34); CPTR_EL2.TFP|TZ set (lazy
// FP/SIMD: the host's value kept in VEL2_HOST_CPTR), MDCR_EL2 (VEL2_F_MDCR; the host's kept),
// HCR_EL2, VTTBR_EL2, VTCR_EL2 and CNTVOFF_EL2 from EXIT_VCPU_EL2; then the vGIC from EXIT_VGIC as
// __vgic_v3_restore_vmcr_aprs() and __vgic_v3_restore_state() write it: ICH_VMCR_EL2, the
// implemented ICH_AP0R<n>/AP1R<n>_EL2, ICH_LR<n>_EL2 of the used list registers, ICH_HCR_EL2.
//
// hypVcpuExit(n, hyp): the context back into the buffer (PC and PSTATE: ELR_EL2/SPSR_EL2 after an
// exception to EL2 (`hyp`, or the core at EL2), else the live ones); the vGIC as
// __vgic_v3_save_state() and __vgic_v3_save_aprs() read it into EXIT_VGIC (the exit's MISR, EISR and
// ELRSR, VMCR and the implemented APRs, EOIcount folded into vgic_hcr, the used LRs saved (an empty
// one keeps its non-state bits) and cleared, the interface disabled); CPTR_EL2 and MDCR_EL2 put back.
import {
  EXIT_BASE, EXIT_CTXT, EXIT_VCPU_EL2, EXIT_VGIC, VEL2_CNTVOFF, VEL2_F_MDCR, VEL2_FLAGS, VEL2_HCR, VEL2_HOST_CPTR,
  VEL2_HOST_MDCR, VEL2_MDCR, VEL2_VTCR, VEL2_VTTBR, VGIC_AP0R, VGIC_AP1R, VGIC_EISR, VGIC_ELRSR, VGIC_HCR, VGIC_LR,
  VGIC_MISR, VGIC_USED_LRS, VGIC_VMCR,
} from './layout';
import * as S from './sysregs';
import { curEL, getSPSRValue, loadSP, pc, setPC, setPstateFromSPSR } from './state';
import { ctxtLoad, ctxtSave } from './hyp-ctxt';
import { contextChanged } from './context';
import { tlbFlushAll } from './tlb';
import { gicCpuStateChanged } from './gic/gic-run';
import * as V from './gic/gic-vcpuif';
import { gicUpdateCpu } from './gic/gic-update';
import { curCpu } from './cpu-index';
import { selfDebugRecompute } from './selfdebug/debug-access';
import { pmuIrqUpdate } from './pmu/pmu-irq';

const CTX_PC: u32 = 33, CTX_PSTATE: u32 = 34;
const CPTR_TFP_TZ: u64 = (1 << 10) | (1 << 8);
const HCR_RW: u64 = 1 << 31;
const ICH_HCR_EN: u64 = 1;
const ICH_HCR_EOICOUNT: u64 = 0x1f << 27;
const ICH_LR_STATE: u64 = 3 << 62;

@inline function el2(i: u32): usize { return EXIT_BASE + EXIT_VCPU_EL2 + 8 * i; }
@inline function vgic(i: u32): usize { return EXIT_BASE + EXIT_VGIC + 8 * i; }

/** ICH_VTR_EL2.ListRegs + 1. */
@inline function nrLr(): u32 { return (<u32>V.ICH_VTR_VALUE & 0xf) + 1; }
/** vtr_to_nr_pre_bits() (ICH_VTR_EL2.PREbits + 1): 7 bits four APRs, 6 bits two, 5 bits one. */
function nrAprs(): u32 {
  const pre = ((<u32>V.ICH_VTR_VALUE >> 26) & 7) + 1;
  return pre == 7 ? 4 : pre == 6 ? 2 : 1;
}

/** An EL2 register as setSysreg() writes it: only a new value counts; true when it changed. */
@inline function program(idx: u32, v: u64): bool {
  if (S.srGet(idx) == v) return false;
  S.srSet(idx, v);
  return true;
}

export function hypVcpuEnter(n: u32): void {
  let mmu = ctxtLoad(n) != 0; /* (banks the live SP first) */
  loadSP();
  // Lazy FP/SIMD: the guest's first FP/SIMD instruction traps (CPTR_EL2.TFP; TZ: no SVE for it).
  const cptr = S.srGet(S.CPTR_EL2);
  store<u64>(el2(VEL2_HOST_CPTR), cptr);
  S.srSet(S.CPTR_EL2, cptr | CPTR_TFP_TZ);
  store<u64>(el2(VEL2_HOST_MDCR), S.srGet(S.MDCR_EL2));
  if ((<u32>load<u64>(el2(VEL2_FLAGS)) & VEL2_F_MDCR) != 0) S.srSet(S.MDCR_EL2, load<u64>(el2(VEL2_MDCR)));
  const hcr = program(S.HCR_EL2, load<u64>(el2(VEL2_HCR)) | HCR_RW);
  if (hcr) mmu = true;
  if (program(S.VTCR_EL2, load<u64>(el2(VEL2_VTCR)))) mmu = true;
  if (program(S.VTTBR_EL2, load<u64>(el2(VEL2_VTTBR)))) mmu = true;
  program(S.CNTVOFF_EL2, load<u64>(el2(VEL2_CNTVOFF)));
  // The vGIC: the guest's VMCR and APRs, then its list registers and ICH_HCR_EL2.
  // (the writes as MSR makes them; the GIC's state is updated once, below)
  const cpu = curCpu;
  V.setIchVmcr(cpu, load<u64>(vgic(VGIC_VMCR)));
  const aprs = nrAprs();
  for (let i: u32 = 0; i < aprs; i++) {
    V.setIchApr(cpu, 0, i, load<u64>(vgic(VGIC_AP0R + i)));
    V.setIchApr(cpu, 1, i, load<u64>(vgic(VGIC_AP1R + i)));
  }
  const used = min(<u32>load<u64>(vgic(VGIC_USED_LRS)), nrLr());
  for (let i: u32 = 0; i < used; i++) V.setIchLr(cpu, i, load<u64>(vgic(VGIC_LR + i)));
  V.setIchHcr(cpu, load<u64>(vgic(VGIC_HCR)));
  // PSTATE (as setPstate()) and PC.
  setPstateFromSPSR(load<u64>(EXIT_BASE + EXIT_CTXT + 8 * CTX_PSTATE));
  setPC(load<u64>(EXIT_BASE + EXIT_CTXT + 8 * CTX_PC));
  // What the writes change: interrupt routing and timers, debug and PMU state, translation.
  gicCpuStateChanged();
  selfDebugRecompute();
  pmuIrqUpdate();
  if (mmu) tlbFlushAll();
  contextChanged();
}

export function hypVcpuExit(n: u32, hyp: u32): void {
  ctxtSave(n); /* (banks the live SP first) */
  const b = EXIT_BASE + EXIT_CTXT;
  if (hyp != 0 || curEL == 2) {
    store<u64>(b + 8 * CTX_PC, S.srGet(S.ELR_EL2));
    store<u64>(b + 8 * CTX_PSTATE, S.srGet(S.SPSR_EL2));
  } else {
    store<u64>(b + 8 * CTX_PC, pc);
    store<u64>(b + 8 * CTX_PSTATE, getSPSRValue());
  }
  // __vgic_v3_save_state() and __vgic_v3_save_aprs(): the exit's status, VMCR and the APRs, EOIcount, the used LRs.
  const used = min(<u32>load<u64>(vgic(VGIC_USED_LRS)), nrLr());
  // (the reads as MRS makes them: gic-el2-access.ts gicEl2Read())
  const cpu = curCpu;
  const hcr = V.readIchHcr(cpu);
  store<u64>(vgic(VGIC_MISR), V.readIchMisr(cpu));
  store<u64>(vgic(VGIC_EISR), V.readIchEisr(cpu));
  const elrsr = V.readIchElrsr(cpu);
  store<u64>(vgic(VGIC_ELRSR), elrsr);
  store<u64>(vgic(VGIC_VMCR), V.readIchVmcr(cpu));
  const aprs = nrAprs();
  for (let i: u32 = 0; i < aprs; i++) {
    store<u64>(vgic(VGIC_AP0R + i), V.readIchApr(cpu, 0, i));
    store<u64>(vgic(VGIC_AP1R + i), V.readIchApr(cpu, 1, i));
  }
  const vgicHcr = (load<u64>(vgic(VGIC_HCR)) & ~ICH_HCR_EOICOUNT) | (hcr & ICH_HCR_EOICOUNT);
  store<u64>(vgic(VGIC_HCR), vgicHcr);
  // (the writes as MSR makes them; the GIC's state is updated once, after them)
  if (used > 0) {
    V.setIchHcr(cpu, vgicHcr & ~ICH_HCR_EN);
    for (let i: u32 = 0; i < used; i++) {
      const a = vgic(VGIC_LR + i);
      if (((elrsr >> i) & 1) != 0) store<u64>(a, load<u64>(a) & ~ICH_LR_STATE);
      else store<u64>(a, V.readIchLr(cpu, i));
      V.setIchLr(cpu, i, 0);
    }
  }
  V.setIchHcr(cpu, 0);
  gicUpdateCpu(cpu);
  // The host's trap configuration back.
  S.srSet(S.CPTR_EL2, load<u64>(el2(VEL2_HOST_CPTR)));
  S.srSet(S.MDCR_EL2, load<u64>(el2(VEL2_HOST_MDCR)));
}
