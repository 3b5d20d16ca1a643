/**
 * pKVM hosted at EL2 on the CPU core: the hyp's data lives in the core's RAM (a carve-out the host
 * never maps), its page tables are the descriptors the core walks, its TLB maintenance is the core's,
 * and __kvm_vcpu_run is the world switch of world-switch.ts. Host hypercalls reach handleHostHcall()
 * through one SMCCC register frame, whether the host is the TypeScript host model or A64 code at EL1
 * issuing HVC (host-trap.ts).
 */
import { L, SR, type Core } from '../machine/core';
import { Pkvm, host_s2_pgtable_pages } from './index';
import { CorePhysMem } from './core-phys-mem';
import { WorldSwitch, HCR_HOST_FLAGS } from './world-switch';
import { HOST_HCALLS, KVM_HOST_SMCCC_FUNC, __KVM_HOST_SMCCC_FUNC, asSigned, type HostHcallName, type HostHcallOutN } from './hypercalls';
import { Trace } from './trace';
import { ARM_EXCEPTION_IRQ, PSCI_0_2_AFFINITY_LEVEL_ON, type PkvmHypVcpu } from './hyp-vm';
import { flush_hyp_vcpu, sync_hyp_vcpu } from './vcpu-sync';
import { HostPsciRelay, MPIDR_HWID_BITMASK } from './psci-relay';
import { virtCpuMpidr } from '../machine/psci';
import { DFSC_SEA, injectDataSea, injectSync } from './inject';
import { pkvm_handle_guest_trap, vcpuName } from './guest-hvc';
import type { IdRegs } from './pvm-features';
import type { HypFfa } from './ffa/ffa';
import { createHypFfa } from './ffa/host-smc';
import { vgic_nr_lr } from './vgic-v3';

export interface HostedEl2Options {
  maxVms?: number;
  maxVcpus?: number;
  /** Instructions per guest run slice before the hyp returns to the host. */
  slice?: number;
  /** Carve-out size in bytes (default: enough for the host stage-2 of all RAM plus margin). */
  carveoutBytes?: number;
  /**
   * Guest trap handler of the hyp: default pkvm_handle_guest_trap() (guest-hvc.ts: guest hypercalls,
   * PSCI for protected VMs, MMIO guard). `() => 'exit'` gives every trap to the host.
   */
  handleGuestTrap?: (vcpu: PkvmHypVcpu, esr: bigint) => 'resume' | 'exit';
  /** Protected guests' hypercall ABI: 'upstream' (default, guest-hvc-upstream.ts) or 'android' (guest-hvc.ts: MMIO guard, RELINQUISH, PSCI at EL2). */
  guestHvcAbi?: 'android' | 'upstream';
  /** FF-A proxy (hyp/ffa/): LEND also revokes the host's stage-2 mapping (not upstream; ffa-lend.ts). */
  ffaLendRevokesHost?: boolean;
}

/** The sanitised ID registers pKVM reads at init (the host's copies it hands EL2): the core's. */
export function coreIdRegs(core: Core): IdRegs {
  /* ID_AA64ISAR2_EL1 and ID_AA64MMFR4_EL1 are unallocated-looking on this core: they read as 0. */
  return {
    ID_AA64PFR0_EL1: core.idReg(SR.ID_AA64PFR0_EL1), ID_AA64PFR1_EL1: core.idReg(SR.ID_AA64PFR1_EL1),
    ID_AA64DFR0_EL1: core.idReg(SR.ID_AA64DFR0_EL1), ID_AA64ISAR0_EL1: core.idReg(SR.ID_AA64ISAR0_EL1),
    ID_AA64ISAR1_EL1: core.idReg(SR.ID_AA64ISAR1_EL1), ID_AA64ISAR2_EL1: 0n,
    ID_AA64MMFR0_EL1: core.idReg(SR.ID_AA64MMFR0_EL1), ID_AA64MMFR1_EL1: core.idReg(SR.ID_AA64MMFR1_EL1),
    ID_AA64MMFR2_EL1: core.idReg(SR.ID_AA64MMFR2_EL1), ID_AA64MMFR4_EL1: 0n,
  };
}

export interface HcallResult { x0: bigint; x1: bigint; x2: bigint; x3: bigint; ret: number }

const PAGE = 4096n;
const MB2 = 2n << 20n;
const U64_MAX = (1n << 64n) - 1n;
const FN_VCPU_RUN = __KVM_HOST_SMCCC_FUNC.__kvm_vcpu_run;

export class HostedEl2 {
  readonly pkvm: Pkvm;
  readonly mem: CorePhysMem;
  readonly ws: WorldSwitch;
  readonly carveout: { base: bigint; size: bigint };
  readonly trace: Trace;
  /** The host's PSCI calls through EL2 (psci-relay.ts): every CPU of the board, secondaries via psci-smp.ts. */
  readonly psciRelay: HostPsciRelay;
  readonly guestHvcAbi: 'android' | 'upstream';
  /** The FF-A proxy (hyp_ffa_init() probed the board's SMC conduit; off without an SPMC). */
  readonly ffa: HypFfa;
  /** The hyp's own guest trap handler (the world switch's unless HostedEl2Options.handleGuestTrap replaced it). */
  readonly hypGuestTrap = (vcpu: PkvmHypVcpu, esr: bigint): 'resume' | 'exit' => pkvm_handle_guest_trap(this, vcpu, esr);

  constructor(readonly core: Core, opts: HostedEl2Options = {}) {
    this.mem = new CorePhysMem(core);
    this.guestHvcAbi = opts.guestHvcAbi ?? 'upstream';
    this.trace = new Trace(() => core.insns);
    const ram = BigInt(core.ramSize);
    const need = BigInt(host_s2_pgtable_pages(ram) + 256) * PAGE;
    const size = opts.carveoutBytes !== undefined ? BigInt(opts.carveoutBytes) : ((need + MB2 - 1n) / MB2) * MB2;
    this.carveout = { base: core.ramBase + ram - size, size };
    /* kvm_hyp_cpu_entry: EL2's entry point lives in the hyp's memory (the carve-out's first page). */
    const cpus = Array.from({ length: core.numCpus }, (_, i) => virtCpuMpidr(i, core.numCpus > 1 ? 16 : 8) & MPIDR_HWID_BITMASK);
    this.psciRelay = new HostPsciRelay(cpus, this.carveout.base);
    this.ws = new WorldSwitch(core, (vcpu) => this.pkvm.guest_vttbr(vcpu.vm), {
      slice: opts.slice ?? 1_000_000,
      handleGuestTrap: opts.handleGuestTrap ?? this.hypGuestTrap,
      cntvoff: (cpu) => this.pkvm.cntvoff_el2[cpu] ?? 0n,
    });
    this.pkvm = new Pkvm(this.mem, this.carveout, opts.maxVms ?? 16, opts.maxVcpus ?? 8, {
      warnIsFatal: false,
      nrCpus: core.numCpus,
      tlb: {
        flush_vmid_ipa: (vmid) => core.tlbInvalidateVmid(vmid),
        flush_vmid_range: (vmid) => core.tlbInvalidateVmid(vmid),
        flush_vmid: (vmid) => core.tlbInvalidateVmid(vmid),
        flush_vm_context: () => core.tlbFlush(),
      },
      vcpuRun: (vcpu) => this.vcpuRun(vcpu),
      // The CPU's own ID registers (what EL2 reads with MRS) and PMCR_EL0.N: MDCR_EL2.HPMN resets to
      // it and nothing has written MDCR_EL2 before EL2 is initialised.
      idRegs: coreIdRegs(core),
      pmcrN: Number(core.sysreg(SR.MDCR_EL2) & 0x1fn),
      // hyp_vmemmap in the core's memory, where its stage-2 fault fast path uses it too
      vmemmapBacking: core.mem.subarray(L.HYP_VMEMMAP, L.HYP_VMEMMAP + (core.ramSize / 4096) * 8),
    });
    this.pkvm.vgic_nr_lr = vgic_nr_lr(core);
    /* Android's pvmfw enrols every protected VM in the MMIO guard; upstream has no guard. */
    this.pkvm.mmio_guard_auto_enroll = this.guestHvcAbi === 'android';
    // trace_clock() reads CNTPCT_EL0: the core's system counter (hyp/tracing/trace.ts).
    this.pkvm.tracing.counter = () => core.ticks;
    // pkvm_drop_host_privileges(): flip kvm_protected_mode_initialized, then __pkvm_prot_finalize on
    // the boot CPU: the host now runs behind its stage-2.
    this.ffa = createHypFfa(this.pkvm, core, this.trace, { lendRevokesHost: opts.ffaLendRevokesHost });
    this.pkvm.protected_mode_initialized = true;
    this.hcall('__pkvm_prot_finalize');
  }

  /** __kvm_vcpu_run as the hyp performs it: flush the host's requests, world switch, sync the exit. */
  private vcpuRun(vcpu: PkvmHypVcpu): number {
    flush_hyp_vcpu(this.pkvm, vcpu, this.injectSeaFn);
    /* A protected vCPU that is off (PSCI) does not run, whatever the host asks. */
    /* (the core's fault fast path, when it changed the host stage-2, moves Pkvm.tlb_gen: fault-fast-path.ts) */
    const ret = vcpu.vm.is_protected && vcpu.power_state !== PSCI_0_2_AFFINITY_LEVEL_ON ? ARM_EXCEPTION_IRQ : this.ws.run(vcpu);
    sync_hyp_vcpu(this.pkvm, vcpu, ret);
    return ret;
  }

  private readonly injectSeaFn = (v: PkvmHypVcpu, far: bigint): void => this.injectSea(v, far);
  /** The synchronous external abort the host asked for after an abort exit (MMIO it cannot emulate). */
  private injectSea(vcpu: PkvmHypVcpu, far: bigint): void {
    const esr = vcpu.fault.esr_el2;
    const EC_IABT_LOW = 0x20;
    if (Number((esr >> 26n) & 0x3fn) === EC_IABT_LOW) {
      const fromEL0 = ((vcpu.ctxt.pstate >> 2n) & 3n) === 0n;
      injectSync(vcpu.ctxt, fromEL0 ? 0x20 : 0x21, DFSC_SEA, far);
    } else injectDataSea(vcpu.ctxt, far, ((esr >> 6n) & 1n) === 1n);
    this.trace.emit('guard', `${vcpuName(vcpu)}: synchronous external abort at 0x${far.toString(16)} injected for the host`);
  }

  /** Programs EL2 for the host at EL1: HCR_EL2 host flags, VTTBR_EL2/VTCR_EL2 = host stage-2. */
  enterHostContext(): void {
    const c = this.core;
    c.setSysreg(SR.HCR_EL2, HCR_HOST_FLAGS);
    c.setSysreg(SR.VTCR_EL2, this.pkvm.host_vtcr());
    c.setSysreg(SR.VTTBR_EL2, this.pkvm.host_vttbr());
  }

  /** A host hypercall through the SMCCC frame (x0 = id, x1..x5 args), as the host's HVC makes it. */
  hcallFrame(frame: bigint[], cpu = 0): void {
    const args = this.traceHcalls ? frame.slice(0, 4) : null; // the call overwrites the frame
    this.pkvm.handleHostHcall(frame, cpu);
    if (args) this.trace.emit('hcall', `0x${args[0].toString(16)}(${args.slice(1).map((a) => `0x${a.toString(16)}`).join(', ')}) → x0=${BigInt.asIntN(64, frame[0])} x1=${BigInt.asIntN(64, frame[1])}`);
  }
  /** Trace every SMCCC-frame hypercall (the A64 host's); the TS host traces by name instead. */
  traceHcalls = false;

  /** Host hypercall by name; ret = x1 as a signed errno (0 on success). */
  hcall(name: HostHcallName, ...args: (bigint | number)[]): HcallResult {
    const frame = [KVM_HOST_SMCCC_FUNC(name), 0n, 0n, 0n, 0n, 0n];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      frame[i + 1] = typeof a === 'bigint'
        ? (a >= 0n && a <= U64_MAX ? a : BigInt.asUintN(64, a))
        : (a >= 0 && Number.isSafeInteger(a) ? BigInt(a) : BigInt.asUintN(64, BigInt(a)));
    }
    this.hcallFrame(frame);
    const x1 = frame[1]!;
    const r = { x0: frame[0]!, x1, x2: frame[2]!, x3: frame[3]!, ret: x1 === 0n ? 0 : asSigned(x1) };
    if (name !== '__kvm_vcpu_run' && this.trace.enabled) this.trace.emit('hcall', `${name}(${args.map((a) => `0x${BigInt(a).toString(16)}`).join(', ')}) = ${r.ret}`);
    return r;
  }

  /** x0 of the last hcallN(): the SMCCC status as a signed Number (0: the call was made). */
  hcallX0 = 0;
  private readonly outN: HostHcallOutN = { x0: 0, x1: 0 };
  /**
   * hcall() by function index (__KVM_HOST_SMCCC_FUNC: an index of HOST_HCALLS) with Number
   * arguments, each a non-negative integer below 2^53 (`nargs` of them passed: the trace names that
   * many; any other value goes through hcall(), its conversion and its errors): x1 as a signed Number
   * is returned (hcall()'s `ret`), x0 left in hcallX0. The same dispatcher, checks, handler and
   * traces as hcall(), without its frame of BigInts; when anyone watches hcall() or hcallFrame()
   * (a wrapper on the instance) or traceHcalls is on, the call goes through hcall() itself.
   */
  hcallN(idx: number, nargs: number, a1 = 0, a2 = 0, a3 = 0, a4 = 0): number {
    if (!(idx >= 0 && idx < HOST_HCALLS.length && idx % 1 === 0)) throw new RangeError(`hcallN: ${idx} is not a host hypercall's index`);
    if (this.traceHcalls || this.hcall !== HOSTED_HCALL || this.hcallFrame !== HOSTED_HCALL_FRAME || !(isU53(a1) && isU53(a2) && isU53(a3) && isU53(a4))) {
      /* (an argument that is not a non-negative integer below 2^53 gets hcall()'s conversion, or its error) */
      const r = this.hcall(HOST_HCALLS[idx]!, ...[a1, a2, a3, a4].slice(0, nargs));
      this.hcallX0 = asSigned(r.x0);
      return r.ret;
    }
    const out = this.outN;
    this.pkvm.handleHostHcallN(out, idx, a1, a2, a3, a4);
    this.hcallX0 = out.x0;
    const ret = out.x1; /* (hcall()'s ret: x1 as a signed 64-bit value) */
    if (idx !== FN_VCPU_RUN && this.trace.enabled) {
      this.trace.emit('hcall', `${HOST_HCALLS[idx]!}(${[a1, a2, a3, a4].slice(0, nargs).map((a) => `0x${a.toString(16)}`).join(', ')}) = ${ret}`);
    }
    return ret;
  }
}

/** A non-negative integer below 2^53: a u64 register value a Number holds exactly. */
const isU53 = (a: number): boolean => a >= 0 && a <= Number.MAX_SAFE_INTEGER && a % 1 === 0;

/** HostedEl2's own hcall() and hcallFrame(): one replaced on an instance is someone watching (hcallN()). */
const HOSTED_HCALL = HostedEl2.prototype.hcall;
const HOSTED_HCALL_FRAME = HostedEl2.prototype.hcallFrame;
