/**
 * __kvm_vcpu_run() on the CPU core (nvhe/switch.c __kvm_vcpu_run + the pKVM flush/sync of
 * hyp-main.c): save the host's CPU context, load the guest's (x0–x30, SP_EL0/SP_EL1, PC, PSTATE, EL1
 * system registers), program HCR_EL2/VTTBR_EL2/VTCR_EL2/CNTVOFF_EL2 for the guest, run the core until
 * the guest exits to EL2, save the guest context, restore the host's and return an ARM_EXCEPTION_*
 * code with the fault information in vcpu.fault.
 *
 * The entry and the exit are one core call each (core-as/hyp-vcpu-switch.ts hypVcpuEnter /
 * hypVcpuExit: the context, the EL2 registers of the run, the vGIC), with the vCPU's context and vGIC
 * state moved to and from the core's exit payload area as one block each (__guest_enter_state /
 * __guest_exit_state below).
 *
 * What the host may see of the exit is decided by sync_hyp_vcpu() (vcpu-sync.ts): a protected guest's
 * registers stay hidden except the one register an exit needs.
 */
import { Core, L, SR } from '../machine/core';
import type { PkvmHypVcpu } from './hyp-vm';
import { GuestStuck, stuckInfo } from '../machine/stuck';
import { fpsimdRestore, fpsimdSave, UserFpsimdState } from './fpsimd';
import { HCR_PVM_TRAPS } from './pvm-traps';
import { KvmGuestDebugArch, __debug_switch_to_guest, __debug_switch_to_host } from './debug-state';
import { vgic_v3_from_core, vgic_v3_to_core, type VgicV3CpuIf } from './vgic-v3';
import {
  VCPU_SYSREGS, ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP, CTX_PC, CTX_PSTATE, CTX_SLOTS, CTX_SP_EL0, CTX_SP_EL1, CTX_SYSREGS, newCpuContext,
  type KvmCpuContext,
} from './hyp-vm';

export const HCR_VM = 1n << 0n;
export const HCR_SWIO = 1n << 1n;
export const HCR_FMO = 1n << 3n;
export const HCR_IMO = 1n << 4n;
export const HCR_AMO = 1n << 5n;
export const HCR_TWI = 1n << 13n;
export const HCR_TWE = 1n << 14n;
export const HCR_TSC = 1n << 19n;
export const HCR_RW = 1n << 31n;
/** HCR_GUEST_FLAGS (kvm_arm.h), reduced to the bits the core implements (TWI/TWE per vCPU). */
export const HCR_GUEST_FLAGS = HCR_TSC | HCR_VM | HCR_AMO | HCR_SWIO | HCR_RW | HCR_FMO | HCR_IMO;
export const HCR_GUEST_DEFAULT_WFX = HCR_TWI | HCR_TWE;
/** HCR_HOST_NVHE_PROTECTED_FLAGS: the host runs at EL1 behind its stage-2 with SMC trapped. */
export const HCR_HOST_FLAGS = HCR_RW | HCR_VM | HCR_TSC | HCR_SWIO;

/* ESR_ELx.EC (bits 31:26) of a u64, read from its low word through a scratch BigUint64Array (no BigInt arithmetic). */
const ESR_SCRATCH = new BigUint64Array(1);
const ESR_SCRATCH_W = new Uint32Array(ESR_SCRATCH.buffer);
export const ESR_EC = (esr: bigint): number => {
  ESR_SCRATCH[0] = esr; /* (modulo 2^64, as the register) */
  return (ESR_SCRATCH_W[0]! >>> 26) & 0x3f;
};
export const CPTR_EL2_TZ = 1n << 8n;
export const CPTR_EL2_TFP = 1n << 10n;
export const EC_FP_ASIMD = 0x07;
export const EC_WFX = 0x01, EC_HVC64 = 0x16, EC_SMC64 = 0x17, EC_SYS64 = 0x18;
export const EC_IABT_LOW = 0x20, EC_DABT_LOW = 0x24;

const sysregIndex = (name: string): number => {
  if (name === 'MPIDR_EL1') return SR.VMPIDR_EL2; // the guest's MPIDR is VMPIDR_EL2
  const idx = (SR as Record<string, number>)[name];
  if (idx === undefined) throw new Error(`world switch: no sysreg ${name}`);
  return idx;
};

// The core's word index of each context slot but PC and PSTATE (x0–x30, SP_EL0, SP_EL1, sysregs),
// and which of them select the EL1&0 translation (their change drops the core's untagged TLB).
const CORE_WORD = new Int32Array(CTX_SLOTS).fill(-1);
const TRANSLATION_SLOT = new Uint8Array(CTX_SLOTS);
for (let i = 0; i < 31; i++) CORE_WORD[i] = Core.xWord(i);
CORE_WORD[CTX_SP_EL0] = Core.sysregWord(SR.SP_EL0);
CORE_WORD[CTX_SP_EL1] = Core.sysregWord(SR.SP_EL1);
VCPU_SYSREGS.forEach((n, i) => {
  CORE_WORD[CTX_SYSREGS + i] = Core.sysregWord(sysregIndex(n));
  TRANSLATION_SLOT[CTX_SYSREGS + i] = n === 'SCTLR_EL1' || n === 'TCR_EL1' || n === 'TTBR0_EL1' || n === 'TTBR1_EL1' ? 1 : 0;
});
/* Word indices of the plain EL2 system registers the world switch reads and writes in place. */
const W_CPTR = Core.sysregWord(SR.CPTR_EL2);
const W_ESR = Core.sysregWord(SR.ESR_EL2);
/** CPTR_EL2.TFP | CPTR_EL2.TZ in the register's low word. */
const CPTR_TFP_TZ_W = Number(CPTR_EL2_TFP | CPTR_EL2_TZ);
/*
 * The copy itself is the core's (core-as/hyp-ctxt.ts ctxtSave / ctxtLoad): it moves the slots
 * between the CPU block and a buffer in the exit payload area laid out as ctxt.words, by a map of
 * where each slot lives (written once per core: CTXT_MAP), and the buffer moves to or from
 * ctxt.words as one block. PC and PSTATE (slots CTX_PC, CTX_PSTATE) are not copied.
 */
const CTXT_MAP: number[] = [];
for (let s = 0; s < CTX_SLOTS; s++) CTXT_MAP.push(CORE_WORD[s]! < 0 ? 0 : CORE_WORD[s]! * 4 + TRANSLATION_SLOT[s]!);
if (CTX_SLOTS > L.EXIT_CTXT_SLOTS || CTX_PC !== 33 || CTX_PSTATE !== 34) throw new Error('world switch: context layout does not fit the core\'s buffer');
/** Per core: the buffer as a whole and as its two copied runs (words before PC, words after PSTATE). */
interface CtxtBuf { all: Uint32Array; head: Uint32Array; tail: Uint32Array }
const ctxtBufs = new WeakMap<Core, CtxtBuf>();
let lastCtxtCore: Core | null = null;
let lastCtxtBuf: CtxtBuf | null = null;
function ctxtBuf(core: Core): CtxtBuf {
  if (core === lastCtxtCore) return lastCtxtBuf!;
  let b = ctxtBufs.get(core);
  if (b === undefined) {
    const m = core.words;
    const map = (L.EXIT_BASE + L.EXIT_CTXT_MAP) >> 2, buf = (L.EXIT_BASE + L.EXIT_CTXT) >> 2;
    for (let s = 0; s < CTX_SLOTS; s++) m[map + s] = CTXT_MAP[s]!;
    b = { all: m.subarray(buf, buf + 2 * CTX_SLOTS), head: m.subarray(buf, buf + 2 * CTX_PC), tail: m.subarray(buf + 2 * (CTX_PSTATE + 1), buf + 2 * CTX_SLOTS) };
    ctxtBufs.set(core, b);
  }
  lastCtxtCore = core;
  lastCtxtBuf = b;
  return b;
}

/**
 * Snapshot of the core's CPU state (what __sysreg_save_state and friends save), copied word by
 * word from the core's register slots (PC and PSTATE are the caller's: after an exception to EL2
 * they are ELR_EL2/SPSR_EL2).
 */
export function saveCpuContext(core: Core, ctxt: KvmCpuContext = newCpuContext()): KvmCpuContext {
  const b = ctxtBuf(core);
  core.x.ctxtSave(CTX_SLOTS); /* (banks the live SP first) */
  ctxt.words.set(b.head, 0);
  ctxt.words.set(b.tail, 2 * (CTX_PSTATE + 1));
  return ctxt;
}

/** Loads x0–x30, SP_EL0/SP_EL1 and the EL1 system registers of ctxt into the core. */
export function loadCpuContext(core: Core, ctxt: KvmCpuContext): void {
  const b = ctxtBuf(core);
  b.all.set(ctxt.words);
  const translation = core.x.ctxtLoad(CTX_SLOTS) !== 0; /* (banks the live SP first) */
  core.directStateWritten(translation);
}

/* The core's EXIT_VCPU_EL2 block as 32-bit words (core-as/layout.ts). */
const EL2_WORD = (L.EXIT_BASE + L.EXIT_VCPU_EL2) >> 2;
const W_HOST_CPTR = EL2_WORD + 2 * L.VEL2_HOST_CPTR;
const W_FLAGS = EL2_WORD + 2 * L.VEL2_FLAGS;

/** The EL2 registers a guest runs with (HCR_EL2, VTTBR_EL2, VTCR_EL2, CNTVOFF_EL2; MDCR_EL2 or the host's: null). */
export interface GuestEl2Regs { hcr: bigint; vttbr: bigint; vtcr: bigint; cntvoff: bigint; mdcr: bigint | null }

/** Per core: its EXIT_VCPU_EL2 block as u64s (the context map written). */
const el2Blocks = new WeakMap<Core, BigUint64Array>();
function el2Block(core: Core): BigUint64Array {
  let b = el2Blocks.get(core);
  if (b === undefined) {
    ctxtBuf(core);
    b = new BigUint64Array(core.mem.buffer, L.EXIT_BASE + L.EXIT_VCPU_EL2, L.VEL2_SLOTS);
    el2Blocks.set(core, b);
  }
  return b;
}

/**
 * The guest entry (__guest_enter with what __kvm_vcpu_run programs before it): the vCPU's context
 * (PC and PSTATE too) and vGIC state go to the core's buffers as one block each, the EL2 registers
 * of the run to EXIT_VCPU_EL2, and the core loads them in one call (hypVcpuEnter): the context,
 * CPTR_EL2.TFP|TZ (lazy FP/SIMD), MDCR_EL2, HCR/VTTBR/VTCR/CNTVOFF_EL2, ICH_VMCR_EL2, the APRs, the
 * used LRs and ICH_HCR_EL2. The host's CPTR_EL2 and MDCR_EL2 are kept in the block for the exit.
 */
export function __guest_enter_state(core: Core, ctxt: KvmCpuContext, cpu_if: VgicV3CpuIf, el2: GuestEl2Regs): void {
  const b = el2Block(core);
  b[L.VEL2_HCR] = el2.hcr;
  b[L.VEL2_VTTBR] = el2.vttbr;
  b[L.VEL2_VTCR] = el2.vtcr;
  b[L.VEL2_CNTVOFF] = el2.cntvoff;
  if (el2.mdcr !== null) b[L.VEL2_MDCR] = el2.mdcr;
  core.words[W_FLAGS] = el2.mdcr !== null ? L.VEL2_F_MDCR : 0;
  ctxtBuf(core).all.set(ctxt.words);
  vgic_v3_to_core(core, cpu_if);
  core.x.hypVcpuEnter(CTX_SLOTS);
}

/**
 * The guest exit (after __guest_enter returns, __kvm_vcpu_run's save half): the core saves the
 * context (PC and PSTATE: ELR_EL2/SPSR_EL2 after an exception to EL2, `hyp` or the core at EL2) and
 * the vGIC state and puts the host's CPTR_EL2 and MDCR_EL2 back (hypVcpuExit); both blocks are
 * copied into the hyp's copies.
 */
export function __guest_exit_state(core: Core, ctxt: KvmCpuContext, cpu_if: VgicV3CpuIf, hyp: boolean): void {
  core.x.hypVcpuExit(CTX_SLOTS, hyp ? 1 : 0);
  ctxt.words.set(ctxtBuf(core).all);
  vgic_v3_from_core(core, cpu_if);
}

/** The EL2 state the host runs with (restored after each guest run). */
interface HostEl2State { pc: bigint; pstate: bigint; elr: bigint; spsr: bigint; hcr: bigint; vttbr: bigint; vtcr: bigint; cntvoff: bigint; ctxt: KvmCpuContext }

export interface WorldSwitchOptions {
  /** Instructions a guest may run before the hyp returns to the host (a timer tick). */
  slice: number;
  /** Called when the guest exits to EL2 for a reason the hyp handles itself (guest hypercalls). */
  handleGuestTrap?: (vcpu: PkvmHypVcpu, esr: bigint) => 'resume' | 'exit';
  /**
   * CNTVOFF_EL2 for a non-protected vCPU on this CPU: what the host last set with
   * __kvm_timer_set_cntvoff (timer_set_offset() at kvm_timer_vcpu_load). A protected vCPU runs with
   * offset 0 (its virtual counter is the physical one). Default 0.
   */
  cntvoff?: (cpu: number) => bigint;
}

export class WorldSwitch {
  /** Instructions retired by guests (all vCPUs), as a Number (exact below 2^53). */
  guestInsnsN = 0;
  /** Instructions retired by guests (all vCPUs). */
  get guestInsns(): bigint { return BigInt(this.guestInsnsN); }
  /**
   * The host runs on the core (an A64 host at EL1) and its CPU context must survive guest runs.
   * A TypeScript host keeps nothing on the core, so the save/restore is skipped.
   */
  hostOnCore = true;
  /**
   * Called around each guest run on the core: the host's stage-2 fault fast path is armed before
   * and its log taken after (host-kernel-model/fault-fast-path.ts, core-as/pkvm-fast-fault.ts).
   */
  guestRunHooks: { before(vcpu: PkvmHypVcpu): void; after(vcpu: PkvmHypVcpu): void } | null = null;
  /** The vCPU whose context is on the core, and the host's saved meanwhile (for a debugger). */
  running: PkvmHypVcpu | null = null;
  savedHost: { pc: bigint; pstate: bigint; ctxt: KvmCpuContext } | null = null;
  /**
   * The host's FP/SIMD state once a guest took the FP registers (host_data->host_ctxt.fp_regs):
   * saved at the guest's first FP/SIMD trap of a run, put back on the core when the run ends.
   */
  private readonly hostFp = new UserFpsimdState();
  /** The host's debug registers while a non-protected vCPU's are loaded (host_data->host_debug_state). */
  private readonly hostDebug = new KvmGuestDebugArch();
  /** FP/SIMD switches (kvm_hyp_handle_fpsimd): host state saved + guest state loaded; each is undone at exit. */
  fpSwitches = 0;
  /** The running CPU's system registers in the core's memory, for plain reads (sysreg()). */
  private readonly sr: BigUint64Array;
  /** The core's EXIT_VCPU_EL2 block (the EL2 registers of a run). */
  private readonly el2: BigUint64Array;
  constructor(readonly core: Core, readonly guestVttbr: (vcpu: PkvmHypVcpu) => bigint, readonly opts: WorldSwitchOptions) {
    this.sr = new BigUint64Array(core.mem.buffer, L.CPU_BASE + L.OFF_SYSREGS, SR.SR_MAX);
    this.el2 = el2Block(core);
  }

  /**
   * MRS of a system register the core stores as it is (no side effect, no computed value: ESR_EL2,
   * FAR_EL2, HPFAR_EL2, ELR_EL2, SPSR_EL2, CPTR_EL2, MDCR_EL2), from its slot in the core's memory.
   */
  private sysreg(idx: number): bigint {
    return this.sr[idx]!;
  }

  private saveHost(): HostEl2State {
    const c = this.core;
    return {
      pc: c.pc, pstate: c.pstate, elr: c.sysreg(SR.ELR_EL2), spsr: c.sysreg(SR.SPSR_EL2),
      hcr: c.sysreg(SR.HCR_EL2), vttbr: c.sysreg(SR.VTTBR_EL2), vtcr: c.sysreg(SR.VTCR_EL2),
      cntvoff: c.sysreg(SR.CNTVOFF_EL2), ctxt: saveCpuContext(c),
    };
  }

  private restoreHost(h: HostEl2State): void {
    const c = this.core;
    loadCpuContext(c, h.ctxt);
    c.setSysreg(SR.HCR_EL2, h.hcr);
    c.setSysreg(SR.VTTBR_EL2, h.vttbr);
    c.setSysreg(SR.VTCR_EL2, h.vtcr);
    c.setSysreg(SR.CNTVOFF_EL2, h.cntvoff);
    c.setSysreg(SR.ELR_EL2, h.elr);
    c.setSysreg(SR.SPSR_EL2, h.spsr);
    c.pstate = h.pstate;
    c.pc = h.pc;
  }

  /** KvmVcpuRunHook: returns ARM_EXCEPTION_TRAP (fault info in vcpu.fault) or ARM_EXCEPTION_IRQ. */
  run = (vcpu: PkvmHypVcpu): number => this.__kvm_vcpu_run(vcpu);

  /* The guest's HCR_EL2 (HCR_GUEST_FLAGS and the vCPU's trap bits) for the last vcpu.hcr_el2 seen. */
  private hcrKey = -1n;
  private hcrKeyProt = false;
  private hcrGuest = 0n;

  /*
   * VTTBR_EL2 of the last VM run (kvm_get_vttbr() of its stage-2 mmu): the root table and the VMID
   * are set at __pkvm_init_vm and stay until its teardown, so guestVttbr() is asked once per VM
   * switched to.
   */
  private vttbrVm: PkvmHypVcpu['vm'] | null = null;
  private vttbrVal = 0n;
  private vttbr(vcpu: PkvmHypVcpu): bigint {
    if (vcpu.vm !== this.vttbrVm) {
      this.vttbrVal = this.guestVttbr(vcpu);
      this.vttbrVm = vcpu.vm;
    }
    return this.vttbrVal;
  }

  private guestHcr(vcpu: PkvmHypVcpu, prot: boolean): bigint {
    if (vcpu.hcr_el2 !== this.hcrKey || prot !== this.hcrKeyProt) {
      this.hcrKey = vcpu.hcr_el2;
      this.hcrKeyProt = prot;
      this.hcrGuest = HCR_GUEST_FLAGS | (vcpu.hcr_el2 & (HCR_TWI | HCR_TWE | (prot ? HCR_PVM_TRAPS : 0n)));
    }
    return this.hcrGuest;
  }

  /*
   * The run of one vCPU: the entry in one core call (hypVcpuEnter), the guest, the exit in one core
   * call (hypVcpuExit). Plain EL2 system registers the core stores as they are (CPTR_EL2, ESR_EL2)
   * are read and written in between as the two 32-bit words of their slot (W_*).
   */
  private __kvm_vcpu_run(vcpu: PkvmHypVcpu): number {
    const c = this.core;
    const m = c.words;
    const host = this.hostOnCore ? this.saveHost() : null;
    // The EL2 registers of the run. A protected vCPU's traps (pvm_init_traps_hcr/mdcr, pvm-traps.ts)
    // are programmed for it; a non-protected one runs with the host's MDCR_EL2. The virtual counter's
    // offset (CNTVOFF_EL2): the host's for a non-protected vCPU, 0 for a protected one.
    const prot = vcpu.vm.is_protected;
    const el2 = this.el2;
    el2[L.VEL2_HCR] = this.guestHcr(vcpu, prot);
    el2[L.VEL2_VTTBR] = this.vttbr(vcpu);
    el2[L.VEL2_VTCR] = vcpu.vm.mmu.vtcr;
    if (prot) {
      el2[L.VEL2_CNTVOFF] = 0n;
      el2[L.VEL2_MDCR] = vcpu.mdcr_el2;
      m[W_FLAGS] = L.VEL2_F_MDCR;
    } else {
      el2[L.VEL2_CNTVOFF] = this.opts.cntvoff?.(c.cpu) ?? 0n;
      m[W_FLAGS] = 0;
    }
    // The context (PC and PSTATE too) and the vGIC state, then the core's entry. Lazy FP/SIMD
    // (fpsimd_sve_flush, __activate_cptr_traps): the host owns the FP registers; the guest's first
    // FP/SIMD instruction traps to EL2 (CPTR_EL2.TFP; TZ too, no SVE for the guest).
    ctxtBuf(c).all.set(vcpu.ctxt.words);
    vgic_v3_to_core(c, vcpu.vgic_v3);
    c.x.hypVcpuEnter(CTX_SLOTS);
    const hostCptrLo = m[W_HOST_CPTR]!, hostCptrHi = m[W_HOST_CPTR + 1]!;
    let guestOwnsFp = false;
    // A non-protected vCPU's debug registers, when the guest or the host owns them (debug-state.ts).
    const debugLoaded = !prot && __debug_switch_to_guest(c, vcpu.debug, this.hostDebug);
    this.running = vcpu;
    this.savedHost = host;
    let ret = ARM_EXCEPTION_IRQ;
    const start = c.insnsN;
    let before = start;
    let left = this.opts.slice;
    let r: ReturnType<Core['run']>;
    for (;;) {
      const hooks = this.guestRunHooks;
      hooks?.before(vcpu);
      r = c.run(left);
      hooks?.after(vcpu);
      const now = c.insnsN;
      left -= now - before;
      before = now;
      if (r === 'hyp' && c.hypExitAsync !== 0) {
        // A physical IRQ (or FIQ) while the guest ran, routed to EL2 by HCR_EL2.IMO/FMO: the host
        // handles it (ARM_EXCEPTION_IRQ); the guest's PC/PSTATE are in ELR_EL2/SPSR_EL2.
        vcpu.irq_exits++;
        ret = ARM_EXCEPTION_IRQ;
        break;
      }
      const ec = r === 'hyp' ? (m[W_ESR]! >>> 26) & 0x3f : -1;
      if (ec === EC_FP_ASIMD && !guestOwnsFp) {
        // kvm_hyp_handle_fpsimd(): untrap, save the host's FP/SIMD state, load the guest's, and
        // return to the trapping instruction (ELR_EL2 points at it).
        m[W_CPTR] = (hostCptrLo & ~CPTR_TFP_TZ_W) >>> 0;
        m[W_CPTR + 1] = hostCptrHi;
        fpsimdSave(c, this.hostFp);
        fpsimdRestore(c, vcpu.ctxt.fp_regs);
        guestOwnsFp = true;
        this.fpSwitches++;
        vcpu.fp_traps++;
        c.exceptionReturn();
        if (left > 0) continue;
        ret = ARM_EXCEPTION_IRQ;
        break;
      }
      if (r === 'hyp') {
        /* struct kvm_vcpu_fault_info, filled in place */
        const f = vcpu.fault;
        const esr = this.sysreg(SR.ESR_EL2);
        f.esr_el2 = esr;
        f.far_el2 = this.sysreg(SR.FAR_EL2);
        f.hpfar_el2 = this.sysreg(SR.HPFAR_EL2);
        // The guest's PC/PSTATE at the exception are in ELR_EL2/SPSR_EL2.
        if (this.opts.handleGuestTrap?.(vcpu, esr) === 'resume') {
          c.exceptionReturn();
          if (left > 0) continue;
          ret = ARM_EXCEPTION_IRQ;
          break;
        }
        ret = ARM_EXCEPTION_TRAP;
        break;
      }
      // End of the slice (a timer tick) or WFI with TWI clear: back to the host to schedule.
      if (r === 'budget' || r === 'wfi') { ret = ARM_EXCEPTION_IRQ; break; }
      // A guest in a recursive exception loop or spinning with interrupts masked ends the run.
      if (r === 'stuck') throw new GuestStuck(stuckInfo(c), `vm 0x${vcpu.vm.handle.toString(16)} vcpu ${vcpu.vcpu_idx}`);
      // A guest cannot reach the board's firmware, semihosting or devices: everything outside its
      // stage-2 faults to EL2 first. Anything else is a hyp bug.
      throw new Error(`world switch: unexpected core exit '${r}' while running a guest`);
    }
    this.guestInsnsN += before - start;
    // Save the guest (its PC/PSTATE are ELR_EL2/SPSR_EL2 after an exception to EL2) and its vGIC
    // state; the host's CPTR_EL2 and MDCR_EL2 back.
    __guest_exit_state(c, vcpu.ctxt, vcpu.vgic_v3, r === 'hyp');
    if (debugLoaded) __debug_switch_to_host(c, vcpu.debug, this.hostDebug);
    // fpsimd_sve_sync(): if the guest took the FP registers, save its state and give the host its own back.
    if (guestOwnsFp) {
      fpsimdSave(c, vcpu.ctxt.fp_regs);
      fpsimdRestore(c, this.hostFp);
    }
    this.running = null;
    this.savedHost = null;
    if (host) this.restoreHost(host);
    return ret;
  }
}

export { L };
