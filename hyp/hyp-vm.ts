/**
 * EL2 copies of VM and vCPU state: struct pkvm_hyp_vm / struct pkvm_hyp_vcpu
 * (nvhe/pkvm.h). Their backing pages are donated by the host and owned by the
 * hyp; the fields live in these records. The world switch (__kvm_vcpu_run) is
 * provided by the CPU core through KvmVcpuRunHook.
 */
import { UserFpsimdState } from './fpsimd';
import { VgicV3CpuIf } from './vgic-v3';
import { HypVcpuDebug } from './debug-state';
import type { KvmPgtable, KvmS2Mmu } from './pgtable';
import type { HypPool } from './pool';
import type { KvmHypMemcache } from './memcache';
import type { IdRegs } from './pvm-features';
import { KVM_ARM_ID_REG_NUM, type HostVcpuView } from './host-abi';
import type { CorePhysMem } from './core-phys-mem';

/** EL1 (and EL0-visible) system registers saved/restored by the world switch. */
export const VCPU_SYSREGS = [
  'SCTLR_EL1', 'CPACR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'TCR_EL1', 'MAIR_EL1', 'AMAIR_EL1',
  'VBAR_EL1', 'CONTEXTIDR_EL1', 'TPIDR_EL1', 'TPIDR_EL0', 'TPIDRRO_EL0', 'ESR_EL1', 'FAR_EL1',
  'AFSR0_EL1', 'AFSR1_EL1', 'ELR_EL1', 'SPSR_EL1', 'PAR_EL1', 'CNTKCTL_EL1', 'MDSCR_EL1',
  'CSSELR_EL1', 'CNTV_CTL_EL0', 'CNTV_CVAL_EL0', 'MPIDR_EL1',
] as const;
export type VcpuSysreg = (typeof VCPU_SYSREGS)[number];

// struct kvm_cpu_context as one array of 64-bit slots (so a world switch copies it as words):
// x0–x30, SP_EL0, SP_EL1, PC, PSTATE, then VCPU_SYSREGS in order.
export const CTX_SP_EL0 = 31;
export const CTX_SP_EL1 = 32;
export const CTX_PC = 33;
export const CTX_PSTATE = 34;
export const CTX_SYSREGS = 35;
export const CTX_SLOTS = CTX_SYSREGS + VCPU_SYSREGS.length;

/** ctxt.sys_regs: the EL1 system registers by name, over the context's slots. */
export type KvmSysRegs = Record<VcpuSysreg, bigint>;
class SysRegsView {
  constructor(readonly slots: BigUint64Array) {}
}
VCPU_SYSREGS.forEach((name, i) => {
  Object.defineProperty(SysRegsView.prototype, name, {
    get(this: SysRegsView) { return this.slots[CTX_SYSREGS + i]; },
    set(this: SysRegsView, v: bigint) { this.slots[CTX_SYSREGS + i] = v; },
    enumerable: true,
  });
});

/** struct kvm_cpu_context: x0-x30, SP_EL0, SP_EL1, PC, PSTATE and EL1 sysregs. */
export class KvmCpuContext {
  /** Every register, 64-bit (values are kept modulo 2^64). */
  readonly slots = new BigUint64Array(CTX_SLOTS);
  /** The same, as 32-bit words (slot i = words 2i, 2i + 1, low first). */
  readonly words = new Uint32Array(this.slots.buffer);
  /** x0–x30. */
  readonly regs = this.slots.subarray(0, 31);
  readonly sys_regs = new SysRegsView(this.slots) as unknown as KvmSysRegs;
  /** struct user_fpsimd_state fp_regs: V0–V31, FPSR, FPCR (hyp/fpsimd.ts; never shown to the host). */
  readonly fp_regs = new UserFpsimdState();
  get sp_el0(): bigint { return this.slots[CTX_SP_EL0]!; }
  set sp_el0(v: bigint) { this.slots[CTX_SP_EL0] = v; }
  get sp_el1(): bigint { return this.slots[CTX_SP_EL1]!; }
  set sp_el1(v: bigint) { this.slots[CTX_SP_EL1] = v; }
  get pc(): bigint { return this.slots[CTX_PC]!; }
  set pc(v: bigint) { this.slots[CTX_PC] = v; }
  get pstate(): bigint { return this.slots[CTX_PSTATE]!; }
  set pstate(v: bigint) { this.slots[CTX_PSTATE] = v; }
  constructor() { this.pstate = 0x3c5n; }
}

export function newCpuContext(): KvmCpuContext {
  return new KvmCpuContext();
}

/** struct kvm_vcpu_fault_info */
export interface KvmVcpuFaultInfo {
  esr_el2: bigint;
  far_el2: bigint;
  hpfar_el2: bigint;
}

/** PSCI AFFINITY_INFO power states, as EL2 tracks them for a protected VM's vCPUs (guest-psci.ts). */
export const PSCI_0_2_AFFINITY_LEVEL_ON = 0;
export const PSCI_0_2_AFFINITY_LEVEL_OFF = 1;
export const PSCI_0_2_AFFINITY_LEVEL_ON_PENDING = 2;

/** The host struct's PA and RAM offset a HostVcpuView accesses directly, for whose hyp (vcpu-sync.ts). */
export interface HostVcpuViewCache { readonly hyp: object; readonly mem: CorePhysMem; readonly pa: number; readonly off: number; readonly hv: HostVcpuView }

/** A guest hypercall the last exit reports to the host (vcpu-sync.ts HOST_VCPU_EXIT_HCALL*). */
export interface GuestHcallExit { kind: bigint; arg: bigint }

export class PkvmHypVcpu {
  /** The physical CPU this vCPU is loaded on (hyp_vcpu->loaded_hyp_vcpu), or null. */
  loaded_cpu: number | null = null;
  /** vcpu.arch.pkvm_memcache: pages for this VM's stage-2 tables, owned by EL2. */
  readonly pkvm_memcache: KvmHypMemcache = { head: 0n, nr_pages: 0n };
  ctxt: KvmCpuContext = newCpuContext();
  fault: KvmVcpuFaultInfo = { esr_el2: 0n, far_el2: 0n, hpfar_el2: 0n };
  hcr_el2 = 0n;
  /** arch.vgic_cpu.vgic_v3: the GICv3 CPU interface state EL2 keeps for this vCPU (vgic-v3.ts). */
  readonly vgic_v3 = new VgicV3CpuIf();
  /** Exits taken because a physical interrupt arrived while the guest ran (ARM_EXCEPTION_IRQ from EXIT_HYP_ASYNC). */
  irq_exits = 0;
  /** Debug ownership and state (debug-state.ts): non-protected vCPUs only. */
  readonly debug = new HypVcpuDebug();
  /** Runs in which the guest used FP/SIMD: its first FP/SIMD instruction trapped (EC 0x07) and EL2 switched the registers. */
  fp_traps = 0;
  /** MDCR_EL2 while this vCPU runs (protected: pvm_init_traps_mdcr() and HPMN at load; else unused). */
  mdcr_el2 = 0n;
  /** The restricted ID registers a protected vCPU sees (kvm_init_pvm_id_regs()); null otherwise. */
  id_regs: Required<IdRegs> | null = null;
  /** What the host may read/write after the last exit (vcpu-sync.ts). */
  last_exit_permit: { readonly read: readonly number[]; readonly write: number | null; readonly skip: boolean; readonly inject?: boolean; readonly smcccRet?: boolean } | null = null;
  /** PSCI state of a protected vCPU (pkvm_hyp_vcpu.power_state); set by __pkvm_init_vcpu. */
  power_state = PSCI_0_2_AFFINITY_LEVEL_ON;
  /** Pending CPU_ON reset (vcpu.arch.reset_state): applied by the hyp before the vCPU next runs. */
  reset_state = { pc: 0n, r0: 0n, reset: false };
  /** The guest hypercall the current exit reports to the host, or null (guest-hvc.ts). */
  exit_hcall: GuestHcallExit | null = null;
  /** Registers the last sync published in the host's struct kvm_vcpu (to clear them next time). */
  last_published: readonly number[] | null = null;
  /** The hyp's direct view of the pinned host struct kvm_vcpu, kept across runs (vcpu-sync.ts vcpu_host_view()). */
  host_view: HostVcpuViewCache | null = null;
  constructor(
    readonly vm: PkvmHypVm,
    /** Physical address of the donated page(s) holding this struct. */
    readonly pa: bigint,
    /** Physical address of the host struct kvm_vcpu (shared and pinned). */
    readonly host_vcpu: bigint,
    readonly vcpu_id: number,
    readonly vcpu_idx: number,
  ) {}
}

export class PkvmHypVm {
  is_dying = false;
  readonly vcpus: (PkvmHypVcpu | null)[];
  /** Filled in by kvm_guest_prepare_stage2(). */
  pool!: HypPool;
  pgt!: KvmPgtable;
  /** Guest IPA range the VMM declared as memory, read once by __pkvm_init_vm (size 0: none declared). */
  mem_ipa = { base: 0n, size: 0n };
  /** MMIO guard (mmio-guard.ts): enrolled (always, for a protected VM) and the guarded granules' IPAs. */
  readonly mmio_guard: { enrolled: boolean; granules: Set<bigint> };
  /** hyp_vm->kvm.arch.flags: 0 at __pkvm_init_vm; KVM_ARCH_FLAG_ID_REGS_INITIALIZED once copied. */
  kvm_arch_flags = 0n;
  /**
   * hyp_vm->kvm.arch.id_regs (IDREG_IDX order): a non-protected VM's ID registers, copied once from
   * the host's struct kvm by its first __pkvm_init_vcpu (vm_copy_id_regs); later host writes do not
   * reach them. A protected VM's vCPUs use their restricted set instead (PkvmHypVcpu.id_regs).
   */
  readonly kvm_id_regs: bigint[] = new Array<bigint>(KVM_ARM_ID_REG_NUM).fill(0n);
  constructor(
    readonly handle: number,
    /** Physical address of the donated pages holding this struct (hyp_page refcount = users). */
    readonly pa: bigint,
    readonly vm_size: bigint,
    /** Physical address of the host struct kvm (shared and pinned). */
    readonly host_kvm: bigint,
    readonly created_vcpus: number,
    readonly is_protected: boolean,
    readonly mmu: KvmS2Mmu,
  ) {
    this.vcpus = new Array<PkvmHypVcpu | null>(created_vcpus).fill(null);
    this.mmio_guard = { enrolled: is_protected, granules: new Set<bigint>() };
  }
}

/**
 * __kvm_vcpu_run(): enter the guest and return an ARM_EXCEPTION_* code. The
 * CPU core implements it; it loads vcpu.ctxt, VTTBR_EL2 = vm.pgt.pgd | VMID
 * (vm.mmu.vmid), VTCR_EL2 = vm.mmu.vtcr and fills vcpu.fault on exit.
 */
export type KvmVcpuRunHook = (vcpu: PkvmHypVcpu) => number;

export const ARM_EXCEPTION_IRQ = 0;
export const ARM_EXCEPTION_EL1_SERROR = 1;
export const ARM_EXCEPTION_TRAP = 2;
export const ARM_EXCEPTION_IL = 3;
