/**
 * flush_hyp_vcpu() / sync_hyp_vcpu() (nvhe/hyp-main.c): what crosses between the host's struct
 * kvm_vcpu (host memory, shared with EL2) and the hyp's copy around each __kvm_vcpu_run.
 *
 * - Non-protected guest: the host owns the register state; it is flushed in before the run and
 *   synced back after it, with the fault information. A host that reset the vCPU (PSCI CPU_ON, which
 *   the host handles for these) asks with HOST_REQ_RESET_VCPU for the EL1 system registers too.
 * - Protected guest: the hyp's copy is the only one. On exit the host sees ESR_EL2 and HPFAR_EL2 (the
 *   faulting IPA) and only the registers the exit needs: the data register of an MMIO write inside
 *   the MMIO guard, x0 (and x1 for CPU_ON) of a PSCI call EL2 forwards. Before the next run it may
 *   ask for exactly what that exit allows: skip the trapped instruction (MMIO, WFx), set the data
 *   register of a guarded MMIO read or x0 of a forwarded PSCI call (x0..x3, the SMCCC result, of an
 *   HVC EL2 forwarded unhandled: upstream's ABI punts SMCCC discovery), or inject a synchronous external
 *   abort after a data or instruction abort (the MMIO it cannot emulate). A data abort outside the
 *   guard reaches the host with ESR.ISV cleared (mmio-guard.ts __pkvm_check_ioguard_page()).
 *   A vCPU that CPU_ON turned on is reset by EL2 before it runs (guest-psci.ts pkvm_reset_vcpu()).
 * - Both: a guest hypercall EL2 carried out and reports (share, unshare, relinquish, CPU_ON, CPU_OFF)
 *   is published as HOST_VCPU_EXIT_HCALL = HOST_EXIT_HCALL_* with its IPA or vCPU index in
 *   HOST_VCPU_EXIT_HCALL_ARG; ESR_EL2 is then the HVC's. The guest's x0 result is EL2's, except for
 *   CPU_ON where it is the host's answer.
 */
import type { Pkvm } from './index';
import type { PkvmHypVcpu } from './hyp-vm';
import {
  HostVcpuView, HOST_EXIT_HCALL_NONE, HOST_EXIT_HCALL_PSCI_CPU_ON, HOST_REQ_INJECT_SEA, HOST_REQ_RESET_VCPU,
  HOST_REQ_SET_REG, HOST_REQ_SET_SMCCC_RET, HOST_REQ_SKIP_INSN, HOST_VCPU_EXIT_CODE, HOST_VCPU_EXIT_HCALL, HOST_VCPU_EXIT_HCALL_ARG,
  HOST_VCPU_FAULT_ESR, HOST_VCPU_FAULT_FAR, HOST_VCPU_FAULT_HPFAR, HOST_VCPU_PC, HOST_VCPU_PSTATE, HOST_VCPU_REQ,
  HOST_VCPU_REQ_REG, HOST_VCPU_REGS, HOST_VCPU_CNTV_CTL, HOST_VCPU_CNTV_CVAL, HOST_VCPU_SIZE, VA_LIMIT,
} from './host-abi';
import { ARM_EXCEPTION_TRAP, CTX_PC, CTX_SYSREGS, VCPU_SYSREGS } from './hyp-vm';
import { __pkvm_check_ioguard_page } from './mmio-guard';
import { kvm_skip_instr } from './adjust-pc';
import { flush_hyp_vgic_state, sync_hyp_vgic_state } from './vgic-v3';
import { flush_debug_state, sync_debug_state } from './debug-state';
import { handle_pvm_entry_psci, kvm_reset_sys_regs, pkvm_reset_vcpu, pvm_exit_hvc_nregs } from './guest-psci';
import { CorePhysMem } from './core-phys-mem';

/* Offsets and request flags as Numbers (the flags all lie in the request word's low half). */
const REQ = Number(HOST_VCPU_REQ), REQ_REG = Number(HOST_VCPU_REQ_REG), EXIT_CODE = Number(HOST_VCPU_EXIT_CODE);
const FAULT_HPFAR = Number(HOST_VCPU_FAULT_HPFAR), FAULT_ESR = Number(HOST_VCPU_FAULT_ESR), FAULT_FAR = Number(HOST_VCPU_FAULT_FAR);
const EXIT_HCALL = Number(HOST_VCPU_EXIT_HCALL), EXIT_HCALL_ARG = Number(HOST_VCPU_EXIT_HCALL_ARG);
const CNTV_CTL = Number(HOST_VCPU_CNTV_CTL), CNTV_CVAL = Number(HOST_VCPU_CNTV_CVAL);
const REQ_SKIP_INSN = Number(HOST_REQ_SKIP_INSN), REQ_SET_REG = Number(HOST_REQ_SET_REG), REQ_INJECT_SEA = Number(HOST_REQ_INJECT_SEA);
const REQ_RESET_VCPU = Number(HOST_REQ_RESET_VCPU), REQ_SET_SMCCC_RET = Number(HOST_REQ_SET_SMCCC_RET);
const STRUCT_BYTES = Number(HOST_VCPU_SIZE);
const NONE: readonly number[] = [];

/**
 * The hyp's accessor of a host struct kvm_vcpu for one flush or sync: its page translated once
 * through the hyp's stage-1 (HypMm.translate(), the check each field's access would make: a hyp
 * data abort is a HypPanic), then, when the struct lies in one page of plain RAM (no decoded code,
 * no write tracker: Core.plainRamOffset()), its fields read and written in the core's memory
 * directly, as CorePhysMem would have. Otherwise every access goes through el2mem as before.
 */
export function hyp_host_vcpu(hyp: Pkvm, host_vcpu: bigint): HostVcpuView {
  const hv = new HostVcpuView(hyp.el2mem, host_vcpu);
  const pa = host_vcpu_pa(hyp, host_vcpu);
  if (pa < 0) return hv;
  const mem = hyp.mem as CorePhysMem;
  const o = mem.core.plainRamOffset(pa, STRUCT_BYTES);
  if (o >= 0) hv.bindDirect(mem.ramView(), o, mem.core.words);
  return hv;
}

/** The PA of a host struct kvm_vcpu for hyp_host_vcpu()'s direct accesses, or -1 (accesses through el2mem). */
function host_vcpu_pa(hyp: Pkvm, host_vcpu: bigint): number {
  if (!(hyp.mem instanceof CorePhysMem) || (Number(host_vcpu) % 4096) + STRUCT_BYTES > 4096 || host_vcpu >= VA_LIMIT) return -1;
  try {
    return Number(hyp.mm.translate(host_vcpu, true));
  } catch {
    return -1; /* the accesses themselves fault, where they did */
  }
}

/**
 * hyp_host_vcpu() for a hyp vCPU's own host struct, kept across runs: the struct is pinned for the
 * vCPU's life (init_pkvm_hyp_vcpu() hyp_pin_shared_mem(), unpinned at teardown), so the hyp's
 * stage-1 maps it at the same PA all along (a pinned page cannot be unshared) and the translation is
 * made once; whether the page is still plain RAM (no decoded code, no write tracker) is checked again
 * at each use.
 */
function vcpu_host_view(hyp: Pkvm, vcpu: PkvmHypVcpu): HostVcpuView {
  const k = vcpu.host_view;
  if (k !== null && k.hyp === hyp && k.mem.core.plainRamOffset(k.pa, STRUCT_BYTES) === k.off) return k.hv;
  const hv = hyp_host_vcpu(hyp, vcpu.host_vcpu);
  if (hv.isDirect) {
    const mem = hyp.mem as CorePhysMem;
    const pa = host_vcpu_pa(hyp, vcpu.host_vcpu);
    vcpu.host_view = { hyp, mem, pa, off: mem.core.plainRamOffset(pa, STRUCT_BYTES), hv };
  } else vcpu.host_view = null;
  return hv;
}

const EC_WFX = 0x01, EC_HVC64 = 0x16, EC_IABT_LOW = 0x20, EC_DABT_LOW = 0x24;
/*
 * ESR_ELx fields of its low word (EC [31:26], ISV [24], SRT [20:16], WNR [6]), as Numbers: a u64 is
 * split into its words through a scratch BigUint64Array (no BigInt arithmetic: each operation
 * would allocate).
 */
const SCRATCH = new BigUint64Array(1);
const SCRATCH_W = new Uint32Array(SCRATCH.buffer);
const lo32 = (v: bigint): number => { SCRATCH[0] = v; return SCRATCH_W[0]!; };
const hi32 = (v: bigint): number => { SCRATCH[0] = v; return SCRATCH_W[1]!; };
const ec = (esrLo: number): number => (esrLo >>> 26) & 0x3f;
const ISV = 1 << 24, WNR = 1 << 6;
const srt = (esrLo: number): number => (esrLo >>> 16) & 31;

/** Registers of the last exit the host may read (and which one it may write back), and what it may ask. */
export interface ExitPermit {
  readonly read: readonly number[]; readonly write: number | null; readonly skip: boolean; readonly inject?: boolean;
  /** An HVC EL2 forwarded without acting on it: the host's SMCCC answer may set x0..x3 (HOST_REQ_SET_SMCCC_RET). */
  readonly smcccRet?: boolean;
}
const NOTHING: ExitPermit = Object.freeze({ read: [], write: null, skip: false });
const ABORT: ExitPermit = Object.freeze({ read: [], write: null, skip: false, inject: true });
const WFX: ExitPermit = Object.freeze({ read: [], write: null, skip: true });
const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
/* An MMIO access's permits by its register (made once: an exit allocates nothing). A write shows its
 * register, a read may set it (xzr: nothing either way). */
const MMIO_WRITE: readonly ExitPermit[] = Array.from({ length: 32 }, (_, r) => Object.freeze({ read: Object.freeze(r === 31 ? [] : [r]), write: null, skip: true, inject: true }));
const MMIO_READ: readonly ExitPermit[] = Array.from({ length: 32 }, (_, r) => Object.freeze({ read: Object.freeze([]), write: r, skip: true, inject: true }));

/** What a protected vCPU's exit shows the host; `esr` is the low word of what the host sees (ISV possibly cleared). */
function exitPermit(vcpu: PkvmHypVcpu, esr: number): ExitPermit {
  switch (ec(esr)) {
    case EC_HVC64: {
      const fn = vcpu.ctxt.words[0]!; /* w0 */
      const reported = vcpu.exit_hcall !== null;
      const nregs = pvm_exit_hvc_nregs(fn, reported);
      /* x0 comes back from the host for forwarded PSCI; reported calls already have EL2's result. */
      const write = reported && vcpu.exit_hcall!.kind !== HOST_EXIT_HCALL_PSCI_CPU_ON ? null : 0;
      /* A call EL2 forwarded unhandled (upstream's ABI punts SMCCC discovery to the host): the host's
       * KVM answers it in x0..x3 (the vendor-hyp UID is four words), as upstream's flush of the
       * vCPU context gives the guest. */
      return { read: range(nregs), write, skip: false, smcccRet: !reported };
    }
    case EC_DABT_LOW:
      if (esr & ISV) {
        /* An MMIO access: a write shows its register, a read may set it (xzr: nothing either way). */
        const r = srt(esr);
        return (esr & WNR) !== 0 ? MMIO_WRITE[r]! : MMIO_READ[r]!;
      }
      return ABORT;
    case EC_IABT_LOW:
      return ABORT;
    case EC_WFX:
      return WFX;
  }
  return NOTHING;
}

/** Injection of a synchronous external abort after an abort exit (hyp/inject.ts on the hyp's copy). */
export type InjectSea = (vcpu: PkvmHypVcpu, far: bigint) => void;

/** Non-protected CPU_ON by the host: EL1 system registers back to their reset values (MPIDR kept). */
function np_reset_sys_regs(vcpu: PkvmHypVcpu): void {
  const mpidr = vcpu.ctxt.sys_regs.MPIDR_EL1;
  for (const r of VCPU_SYSREGS) vcpu.ctxt.sys_regs[r] = 0n;
  kvm_reset_sys_regs(vcpu);
  vcpu.ctxt.sys_regs.MPIDR_EL1 = mpidr;
  vcpu.ctxt.sp_el0 = 0n;
  vcpu.ctxt.sp_el1 = 0n;
}

/* The host struct's x0..x30 and PC, PSTATE as word runs of the context (x0..x30 are slots 0..30, PC and PSTATE 33, 34). */
const REGS = Number(HOST_VCPU_REGS), PC = Number(HOST_VCPU_PC);

/** Before a run: apply the host's requests (protected: only those the last exit permits). */
export function flush_hyp_vcpu(hyp: Pkvm, vcpu: PkvmHypVcpu, injectSea: InjectSea): void {
  const hv = vcpu_host_view(hyp, vcpu);
  const req = hv.lo32n(REQ);
  const exit = vcpu.exit_hcall;
  if (!vcpu.vm.is_protected) {
    flush_debug_state(hyp.mem, vcpu.host_vcpu, vcpu.debug, hv);
    if (req & REQ_RESET_VCPU) np_reset_sys_regs(vcpu);
    hv.readWords(REGS, vcpu.ctxt.words, 0, 2 * 31);
    hv.readWords(PC, vcpu.ctxt.words, 2 * CTX_PC, 4); /* PC, PSTATE */
    if (req & REQ_SKIP_INSN) kvm_skip_instr(vcpu.ctxt);
    if (req & REQ_INJECT_SEA) injectSea(vcpu, vcpu.fault.far_el2);
  } else if (req !== 0 || exit !== null || vcpu.reset_state.reset) {
    /* A vCPU that CPU_ON turned on starts from EL2's reset state. */
    if (vcpu.reset_state.reset) pkvm_reset_vcpu(vcpu);
    const permit = vcpu.last_exit_permit ?? NOTHING;
    const reg = Number(hv.u64n(REQ_REG));
    const setReg = (req & REQ_SET_REG) !== 0 && permit.write !== null && reg === permit.write && reg !== 31;
    if ((req & REQ_INJECT_SEA) && permit.inject) {
      /* Exceptions have priority over anything else (and cancel the in-flight MMIO). */
      injectSea(vcpu, vcpu.fault.far_el2);
    } else if (exit?.kind === HOST_EXIT_HCALL_PSCI_CPU_ON) {
      handle_pvm_entry_psci(vcpu, Number(exit.arg), setReg ? hv.reg(0) : null);
    } else if ((req & REQ_SET_SMCCC_RET) && permit.smcccRet) {
      for (let i = 0; i < 4; i++) vcpu.ctxt.regs[i] = hv.reg(i);
    } else {
      if (setReg) vcpu.ctxt.regs[reg] = hv.reg(reg);
      if ((req & REQ_SKIP_INSN) && permit.skip) kvm_skip_instr(vcpu.ctxt);
    }
    vcpu.last_exit_permit = null; // each permit is good for one run
  } else {
    /* No request, no reported hypercall, no reset: of the above only the permit's end applies. */
    vcpu.last_exit_permit = null;
  }
  vcpu.exit_hcall = null;
  hv.setU32n(REQ, 0);
  /* Both kinds: the list registers the host's vGIC wants in the guest (nothing else of the vGIC). */
  flush_hyp_vgic_state(hyp.mem, vcpu.host_vcpu, vcpu.vgic_v3, hyp.vgic_nr_lr, hv);
}

/* The context's CNTV_CTL_EL0, CNTV_CVAL_EL0 (consecutive slots, as the host struct's two fields). */
const CTX_CNTV_CTL = CTX_SYSREGS + VCPU_SYSREGS.indexOf('CNTV_CTL_EL0');
if (VCPU_SYSREGS[CTX_CNTV_CTL - CTX_SYSREGS + 1] !== 'CNTV_CVAL_EL0' || CNTV_CVAL !== CNTV_CTL + 8) throw new Error('vcpu-sync: CNTV_CTL/CVAL not consecutive');

/** After a run: publish the exit to the host. */
export function sync_hyp_vcpu(hyp: Pkvm, vcpu: PkvmHypVcpu, exitCode: number): void {
  const hv = vcpu_host_view(hyp, vcpu);
  const f = vcpu.fault;
  const trap = exitCode === ARM_EXCEPTION_TRAP;
  if (!trap) vcpu.exit_hcall = null;
  const hcall = vcpu.exit_hcall;
  hv.setU32n(EXIT_CODE, exitCode);
  if (trap) hv.setU64n(FAULT_HPFAR, f.hpfar_el2); else hv.setU32n(FAULT_HPFAR, 0);
  if (hcall) { hv.setU64n(EXIT_HCALL, hcall.kind); hv.setU64n(EXIT_HCALL_ARG, hcall.arg); }
  else { hv.setU32n(EXIT_HCALL, 0); hv.setU32n(EXIT_HCALL_ARG, 0); } /* HOST_EXIT_HCALL_NONE */
  /* The LRs' state and vgic_hcr; the virtual timer as the host reads it from the CPU (kvm_timer_vcpu_put). */
  sync_hyp_vgic_state(hyp.mem, vcpu.host_vcpu, vcpu.vgic_v3, hv);
  hv.writeWords(CNTV_CTL, vcpu.ctxt.words, 2 * CTX_CNTV_CTL, 4);
  if (!vcpu.vm.is_protected) {
    sync_debug_state(hyp.mem, vcpu.host_vcpu, vcpu.debug, hv);
    if (trap) { hv.setU64n(FAULT_ESR, f.esr_el2); hv.setU64n(FAULT_FAR, f.far_el2); }
    else { hv.setU32n(FAULT_ESR, 0); hv.setU32n(FAULT_FAR, 0); }
    hv.writeWords(REGS, vcpu.ctxt.words, 0, 2 * 31);
    hv.writeWords(PC, vcpu.ctxt.words, 2 * CTX_PC, 4); /* PC, PSTATE */
    return;
  }
  /* handle_pvm_exit_dabt(): no valid syndrome for the host outside the MMIO guard. */
  let esr = 0;
  if (trap) {
    esr = lo32(f.esr_el2);
    const esrHi = hi32(f.esr_el2);
    if (ec(esr) === EC_DABT_LOW && (esr & ISV) !== 0 && !__pkvm_check_ioguard_page(vcpu)) esr = (esr & ~ISV) >>> 0;
    hv.setU64w(FAULT_ESR, esr, esrHi);
    /* Protected: FAR (a guest VA) stays hidden; the page offset of the IPA is in HPFAR's FAR[11:0] role. */
    hv.setU32n(FAULT_FAR, lo32(f.far_el2) & 0xfff);
  } else {
    hv.setU32n(FAULT_ESR, 0);
    hv.setU32n(FAULT_FAR, 0);
  }
  const permit = trap ? exitPermit(vcpu, esr) : NOTHING;
  // Only the registers this exit permits are visible; clear those the previous exit published.
  const last = vcpu.last_published ?? NONE;
  for (let k = 0; k < last.length; k++) if (!permit.read.includes(last[k]!)) hv.clearReg(last[k]!);
  for (let k = 0; k < permit.read.length; k++) {
    const r = permit.read[k]!;
    hv.writeWords(REGS + 8 * r, vcpu.ctxt.words, 2 * r, 2); /* x<r>, as its two words */
  }
  vcpu.last_published = permit.read;
  vcpu.last_exit_permit = permit;
}

/**
 * __pkvm_vcpu_sync_state (hyp-main.c): copy a loaded non-protected vCPU's state back to the host's
 * struct kvm_vcpu (general registers, PC, PSTATE) without a run. Nothing for a protected vCPU: its
 * state never goes to the host.
 */
export function __pkvm_vcpu_sync_state(hyp: Pkvm, vcpu: PkvmHypVcpu): void {
  if (vcpu.vm.is_protected) return;
  const hv = new HostVcpuView(hyp.el2mem, vcpu.host_vcpu);
  for (let i = 0; i < 31; i++) hv.setReg(i, vcpu.ctxt.regs[i]);
  hv.setU64(HOST_VCPU_PC, vcpu.ctxt.pc);
  hv.setU64(HOST_VCPU_PSTATE, vcpu.ctxt.pstate);
}
