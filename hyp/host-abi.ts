/**
 * Layout of the host structures the hyp reads, and the sizes of the EL2
 * structures the host must donate. In Linux these are struct kvm / struct
 * kvm_vcpu in the host kernel, shared with EL2 (kvm_share_hyp()) and pinned by
 * __pkvm_init_vm() / __pkvm_init_vcpu(). Here the host is the TypeScript
 * host-kernel-model, so the layout is this project's ABI; host "VAs" passed in
 * hypercalls are physical addresses (the linear map is the identity).
 */
import type { PhysMem } from './phys-mem';
import { PhysMemcache } from './memcache';
import { ID_REG_CRM_OP2, type IdRegName, type IdRegs } from './pvm-features';

/** struct kvm (host): the part EL2 reads and writes. */
export const HOST_KVM_CREATED_VCPUS = 0x00n; /* u32 */
export const HOST_KVM_PKVM_HANDLE = 0x04n; /* u16 arch.pkvm.handle */
export const HOST_KVM_PKVM_IS_PROTECTED = 0x06n; /* u8 arch.pkvm.is_protected */
export const HOST_KVM_TEARDOWN_MC = 0x08n; /* kvm_hyp_memcache arch.pkvm.teardown_mc */
export const HOST_KVM_STAGE2_TEARDOWN_MC = 0x18n; /* kvm_hyp_memcache arch.pkvm.stage2_teardown_mc */
/* The guest's memory as the VMM laid it out (one IPA range), read once by __pkvm_init_vm: lets EL2 tell
 * an access outside memory (MMIO guard, mmio-guard.ts) from a page not faulted in yet. Size 0: none. */
export const HOST_KVM_GUEST_MEM_BASE = 0x28n; /* u64 IPA */
export const HOST_KVM_GUEST_MEM_SIZE = 0x30n; /* u64 bytes */
/* arch.flags (unsigned long) and arch.id_regs[KVM_ARM_ID_REG_NUM]: the VM's ID registers as the host's
 * KVM set them up (kvm_init_id_regs(), then userspace writes), valid once KVM_ARCH_FLAG_ID_REGS_INITIALIZED
 * is set. A non-protected vCPU's __pkvm_init_vcpu copies them once into the hyp's VM (vm_copy_id_regs). */
export const HOST_KVM_ARCH_FLAGS = 0x38n;
export const HOST_KVM_ID_REGS = 0x40n;
export const KVM_ARCH_FLAG_ID_REGS_INITIALIZED = 7n;
/** IDREG_IDX(): the ID register space op0=3, op1=0, CRn=0, CRm=1..7, op2=0..7, one u64 each. */
export const IDREG_IDX = (crm: number, op2: number): number => ((crm - 1) << 3) | op2;
export const KVM_ARM_ID_REG_NUM = IDREG_IDX(7, 7) + 1;
export const HOST_KVM_SIZE = HOST_KVM_ID_REGS + 8n * BigInt(KVM_ARM_ID_REG_NUM);

/** struct kvm_vcpu (host): the part EL2 reads and writes. */
export const HOST_VCPU_VCPU_ID = 0x00n; /* u32 */
export const HOST_VCPU_VCPU_IDX = 0x04n; /* u32 */
export const HOST_VCPU_PKVM_MEMCACHE = 0x08n; /* kvm_hyp_memcache arch.pkvm_memcache */
/* Reset state the VMM chose (KVM_ARM_VCPU_INIT + KVM_SET_ONE_REG): read once by __pkvm_init_vcpu. */
export const HOST_VCPU_RESET_PC = 0x18n; /* u64 */
export const HOST_VCPU_RESET_X = 0x20n; /* u64 x0..x3 */
/* Exit information the hyp writes on each return from __kvm_vcpu_run (sync_hyp_vcpu). */
export const HOST_VCPU_FAULT_ESR = 0x40n; /* u64 ESR_EL2 */
export const HOST_VCPU_FAULT_FAR = 0x48n; /* u64 FAR_EL2 (0 for a protected guest) */
export const HOST_VCPU_FAULT_HPFAR = 0x50n; /* u64 HPFAR_EL2 */
export const HOST_VCPU_EXIT_CODE = 0x58n; /* u64 ARM_EXCEPTION_* */
export const HOST_VCPU_REGS = 0x60n; /* u64 x0..x30: all of them for a non-protected guest */
const HOST_VCPU_REGS_N = Number(HOST_VCPU_REGS);
export const HOST_VCPU_PC = 0x158n; /* u64 (non-protected only) */
export const HOST_VCPU_PSTATE = 0x160n; /* u64 (non-protected only) */
/* Requests the host makes for the next run (flush_hyp_vcpu), cleared by the hyp when applied. */
export const HOST_VCPU_REQ = 0x168n; /* u64 HOST_REQ_* */
export const HOST_VCPU_REQ_REG = 0x170n; /* u64 register index for HOST_REQ_SET_REG */
export const HOST_VCPU_RESET_POWER_OFF = 0x178n; /* u64 KVM_ARM_VCPU_POWER_OFF: starts off (read by __pkvm_init_vcpu) */
/* Guest hypercall an exit reports (sync_hyp_vcpu; ESR_EL2 is then the HVC's): HOST_EXIT_HCALL_* and its argument. */
export const HOST_VCPU_EXIT_HCALL = 0x180n; /* u64 HOST_EXIT_HCALL_*, 0 = none */
export const HOST_VCPU_EXIT_HCALL_ARG = 0x188n; /* u64 IPA (share/unshare/relinquish) or target vCPU index (CPU_ON) */
/*
 * struct vgic_v3_cpu_if arch.vgic_cpu.vgic_v3 (include/kvm/arm_vgic.h): the host's vGIC writes the
 * list registers it wants in the guest, used_lrs and vgic_hcr; EL2 copies only those in
 * (flush_hyp_vgic_state) and syncs back only the LRs' state and vgic_hcr, with the maintenance status
 * ICH_MISR/EISR/ELRSR of the exit (sync_hyp_vgic_state, hyp/vgic-v3.ts). VMCR and the APRs cross
 * only for a non-protected vCPU, by __vgic_v3_save_aprs / __vgic_v3_restore_vmcr_aprs; a protected
 * guest's stay at EL2. Each field is a u64 slot here (u32 upstream).
 */
export const HOST_VGIC_V3_HCR = 0x190n; /* vgic_hcr (ICH_HCR_EL2) */
export const HOST_VGIC_V3_VMCR = 0x198n; /* vgic_vmcr (ICH_VMCR_EL2) */
export const HOST_VGIC_V3_SRE = 0x1a0n; /* vgic_sre */
export const HOST_VGIC_V3_AP0R = 0x1a8n; /* vgic_ap0r[4] */
export const HOST_VGIC_V3_AP1R = 0x1c8n; /* vgic_ap1r[4] */
export const HOST_VGIC_V3_LR = 0x1e8n; /* vgic_lr[VGIC_V3_MAX_LRS = 16] */
export const HOST_VGIC_V3_USED_LRS = 0x268n; /* used_lrs */
export const HOST_VGIC_V3_MISR = 0x270n; /* ICH_MISR_EL2 at the exit (read-only for the host) */
export const HOST_VGIC_V3_EISR = 0x278n; /* ICH_EISR_EL2 at the exit */
export const HOST_VGIC_V3_ELRSR = 0x280n; /* ICH_ELRSR_EL2 at the exit */
export const VGIC_V3_MAX_LRS = 16;
/*
 * The virtual timer as the host reads it from the CPU after a run (CNTV_CTL_EL0 / CNTV_CVAL_EL0 are
 * EL1-accessible: upstream's host saves them at kvm_timer_vcpu_put), published by sync_hyp_vcpu for
 * the host's kvm_timer_should_fire(); EL2 never takes them back from the host.
 */
export const HOST_VCPU_CNTV_CTL = 0x288n;
export const HOST_VCPU_CNTV_CVAL = 0x290n;
/*
 * Self-hosted debug state of a non-protected vCPU (struct kvm_guest_debug_arch: dbg_bcr/bvr/wcr/wvr,
 * plus MDSCR_EL1) and its owner (vcpu->arch.debug_owner): with HOST_DEBUG_OWNER_GUEST the block is
 * arch.vcpu_debug_state (the guest's own breakpoints), with HOST_DEBUG_OWNER_HOST it is
 * arch.external_debug_state (the host debugging the guest, KVM_SET_GUEST_DEBUG). flush_debug_state
 * copies it in and sync_debug_state back (hyp/debug-state.ts); a protected vCPU's never cross.
 */
export const HOST_VCPU_MDSCR_EL1 = 0x298n;
export const HOST_VCPU_DBGBVR = 0x2a0n; /* DBGBVR<n>_EL1, n = 0..5 */
export const HOST_VCPU_DBGBCR = 0x2d0n; /* DBGBCR<n>_EL1 */
export const HOST_VCPU_DBGWVR = 0x300n; /* DBGWVR<n>_EL1, n = 0..3 */
export const HOST_VCPU_DBGWCR = 0x320n; /* DBGWCR<n>_EL1 */
export const HOST_VCPU_DEBUG_OWNER = 0x340n; /* HOST_DEBUG_OWNER_* */
export const HOST_DEBUG_OWNER_NONE = 0n;
export const HOST_DEBUG_OWNER_GUEST = 1n;
export const HOST_DEBUG_OWNER_HOST = 2n;
export const HOST_VCPU_SIZE = 0x348n;

/* HOST_VCPU_EXIT_HCALL values. The hyp has already done the work; the host only learns of it. */
export const HOST_EXIT_HCALL_NONE = 0n;
export const HOST_EXIT_HCALL_MEM_SHARE = 1n; /* the guest shared the page at ARG with the host (host may map it) */
export const HOST_EXIT_HCALL_MEM_UNSHARE = 2n; /* the guest took the page at ARG back (host access refused again) */
export const HOST_EXIT_HCALL_MEM_RELINQUISH = 3n; /* the guest gave the page at ARG up: zeroed, host OWNED */
export const HOST_EXIT_HCALL_PSCI_CPU_ON = 4n; /* EL2 reset vCPU ARG for CPU_ON: schedule it; x0 = PSCI result */
export const HOST_EXIT_HCALL_PSCI_CPU_OFF = 5n; /* the calling vCPU is off: stop scheduling it */

export const HOST_REQ_SKIP_INSN = 1n; /* the host emulated the trapped instruction: PC += 4 */
export const HOST_REQ_SET_REG = 2n; /* write regs[REQ_REG] into the guest (MMIO read data, HVC x0) */
export const HOST_REQ_INJECT_SEA = 4n; /* inject a synchronous external abort at FAR (MMIO outside the guard) */
export const HOST_REQ_STATE_DIRTY = 16n; /* non-protected: vcpu_set_flag(PKVM_HOST_STATE_DIRTY), the host's registers are newer than EL2's (put does not sync) */
export const HOST_REQ_RESET_VCPU = 8n; /* non-protected: EL1 system registers to reset values (host-handled CPU_ON) */
/* Protected, after an HVC EL2 forwarded unhandled (upstream's ABI: SMCCC discovery, ...): regs[0..3] are the
 * host KVM's SMCCC result (kvm_smccc_call_handler()'s smccc_set_retval(vcpu, a0, a1, a2, a3)). */
export const HOST_REQ_SET_SMCCC_RET = 32n;

/** sizeof(struct pkvm_hyp_vm) and sizeof(struct pkvm_hyp_vcpu) at EL2 in this model. */
export const PKVM_HYP_VM_SIZE = 2048n;
export const PKVM_HYP_VCPU_SIZE = 4096n;

/** pkvm_get_hyp_vm_size(): the VM struct plus one vCPU pointer per vCPU. */
export const pkvm_get_hyp_vm_size = (nr_vcpus: number): bigint => PKVM_HYP_VM_SIZE + 8n * BigInt(nr_vcpus);

function rd(mem: PhysMem, pa: bigint, bytes: number): bigint {
  const b = mem.readBytes(pa, bytes);
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
function wr(mem: PhysMem, pa: bigint, bytes: number, v: bigint): void {
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  mem.writeBytes(pa, b);
}

/** Accessors for a host struct kvm at `pa` (used by both the hyp and the host model). */
export class HostKvmView {
  constructor(readonly mem: PhysMem, readonly pa: bigint) {}
  get created_vcpus(): number { return Number(rd(this.mem, this.pa + HOST_KVM_CREATED_VCPUS, 4)); }
  set created_vcpus(v: number) { wr(this.mem, this.pa + HOST_KVM_CREATED_VCPUS, 4, BigInt(v)); }
  get handle(): number { return Number(rd(this.mem, this.pa + HOST_KVM_PKVM_HANDLE, 2)); }
  set handle(v: number) { wr(this.mem, this.pa + HOST_KVM_PKVM_HANDLE, 2, BigInt(v)); }
  get is_protected(): boolean { return rd(this.mem, this.pa + HOST_KVM_PKVM_IS_PROTECTED, 1) !== 0n; }
  set is_protected(v: boolean) { wr(this.mem, this.pa + HOST_KVM_PKVM_IS_PROTECTED, 1, v ? 1n : 0n); }
  get guest_mem_base(): bigint { return rd(this.mem, this.pa + HOST_KVM_GUEST_MEM_BASE, 8); }
  set guest_mem_base(v: bigint) { wr(this.mem, this.pa + HOST_KVM_GUEST_MEM_BASE, 8, v); }
  get guest_mem_size(): bigint { return rd(this.mem, this.pa + HOST_KVM_GUEST_MEM_SIZE, 8); }
  set guest_mem_size(v: bigint) { wr(this.mem, this.pa + HOST_KVM_GUEST_MEM_SIZE, 8, v); }
  get arch_flags(): bigint { return rd(this.mem, this.pa + HOST_KVM_ARCH_FLAGS, 8); }
  set arch_flags(v: bigint) { wr(this.mem, this.pa + HOST_KVM_ARCH_FLAGS, 8, v); }
  id_reg(idx: number): bigint { return rd(this.mem, this.pa + HOST_KVM_ID_REGS + 8n * BigInt(idx), 8); }
  set_id_reg(idx: number, v: bigint): void { wr(this.mem, this.pa + HOST_KVM_ID_REGS + 8n * BigInt(idx), 8, v); }
  get teardown_mc(): PhysMemcache { return new PhysMemcache(this.mem, this.pa + HOST_KVM_TEARDOWN_MC); }
  get stage2_teardown_mc(): PhysMemcache { return new PhysMemcache(this.mem, this.pa + HOST_KVM_STAGE2_TEARDOWN_MC); }
}

/** Addresses below it are exact as Numbers (and below any hyp VA). */
export const VA_LIMIT = 1n << 48n;

/** Accessors for a host struct kvm_vcpu at `pa`. */
export class HostVcpuView {
  /** pa as a Number, when mem takes Number addresses (PhysMem.readU64N). */
  private readonly paN: number;
  /**
   * The struct's bytes where its accesses go directly (bindDirect()): a view of RAM and the struct's
   * offset in it; null: every access goes through mem.
   */
  private dv: DataView | null = null;
  private dvOff = 0;
  /** With bindDirect(): the same bytes as 32-bit words (w[wi] is the struct's first word), or null. */
  private w: Uint32Array | null = null;
  private wi = 0;
  constructor(readonly mem: PhysMem, readonly pa: bigint) {
    this.paN = mem.readU64N && pa >= 0n && pa < VA_LIMIT ? Number(pa) : -1;
  }
  /**
   * From now on the fields are read and written at `off` in `ram` (the caller has checked that mem
   * would have made exactly these accesses there: one translation of the struct's page, RAM without
   * decoded code, no write tracker; hyp/vcpu-sync.ts hyp_host_vcpu()). `words`: the whole buffer of
   * `ram` as 32-bit words, for word accesses when the struct is 4-byte aligned in it.
   */
  bindDirect(ram: DataView, off: number, words?: Uint32Array): void {
    this.dv = ram;
    this.dvOff = off;
    const b = ram.byteOffset + off;
    this.w = words !== undefined && words.buffer === ram.buffer && b % 4 === 0 ? words : null;
    this.wi = b >>> 2;
  }
  get isDirect(): boolean { return this.dv !== null; }
  get vcpu_id(): number { return Number(rd(this.mem, this.pa + HOST_VCPU_VCPU_ID, 4)); }
  set vcpu_id(v: number) { wr(this.mem, this.pa + HOST_VCPU_VCPU_ID, 4, BigInt(v)); }
  get vcpu_idx(): number { return Number(rd(this.mem, this.pa + HOST_VCPU_VCPU_IDX, 4)); }
  set vcpu_idx(v: number) { wr(this.mem, this.pa + HOST_VCPU_VCPU_IDX, 4, BigInt(v)); }
  get pkvm_memcache(): PhysMemcache { return new PhysMemcache(this.mem, this.pa + HOST_VCPU_PKVM_MEMCACHE); }
  u64(off: bigint): bigint { return this.u64n(Number(off)); }
  setU64(off: bigint, v: bigint): void { this.setU64n(Number(off), v); }
  /** u64() / setU64() at a Number offset. */
  u64n(o: number): bigint {
    if (this.dv) return this.dv.getBigUint64(this.dvOff + o, true);
    return this.paN >= 0 ? this.mem.readU64N!(this.paN + o) : this.mem.readU64(this.pa + BigInt(o));
  }
  setU64n(o: number, v: bigint): void {
    if (this.dv) this.dv.setBigUint64(this.dvOff + o, v, true); // (modulo 2^64)
    else if (this.paN >= 0) this.mem.writeU64N!(this.paN + o, v);
    else this.mem.writeU64(this.pa + BigInt(o), BigInt.asUintN(64, v));
  }
  /** The low 32 bits of the u64 at offset o, as a Number (a u32 field, or flags in the low word). */
  lo32n(o: number): number {
    if (this.w) return this.w[this.wi + (o >>> 2)]!;
    if (this.dv) return this.dv.getUint32(this.dvOff + o, true);
    return Number(BigInt.asUintN(32, this.u64n(o)));
  }
  /** setU64n() of a value 0 <= v < 2^32 given as a Number. */
  setU32n(o: number, v: number): void {
    if (this.w) {
      const i = this.wi + (o >>> 2);
      this.w[i] = v;
      this.w[i + 1] = 0;
    } else if (this.dv) {
      this.dv.setUint32(this.dvOff + o, v, true);
      this.dv.setUint32(this.dvOff + o + 4, 0, true);
    } else this.setU64n(o, BigInt(v));
  }
  /** setU64n() of the value hi * 2^32 + lo given as its two 32-bit words. */
  setU64w(o: number, lo: number, hi: number): void {
    const w = this.w;
    if (w) {
      const i = this.wi + (o >>> 2);
      w[i] = lo;
      w[i + 1] = hi;
    } else this.setU64n(o, BigInt(lo >>> 0) | (BigInt(hi >>> 0) << 32n));
  }
  /** n (even) 32-bit words from offset o (u64 fields, low word first) into dst from index at. */
  readWords(o: number, dst: Uint32Array, at: number, n: number): void {
    const w = this.w;
    if (w) {
      const i = this.wi + (o >>> 2);
      for (let k = 0; k < n; k++) dst[at + k] = w[i + k]!; /* (short runs: no subarray() view made) */
      return;
    }
    for (let k = 0; k < n; k += 2) {
      const v = this.u64n(o + 4 * k);
      dst[at + k] = Number(BigInt.asUintN(32, v));
      dst[at + k + 1] = Number(v >> 32n);
    }
  }
  /** n (even) 32-bit words of src from index at into the u64 fields from offset o. */
  writeWords(o: number, src: Uint32Array, at: number, n: number): void {
    const w = this.w;
    if (w) {
      const i = this.wi + (o >>> 2);
      for (let k = 0; k < n; k++) w[i + k] = src[at + k]!;
      return;
    }
    for (let k = 0; k < n; k += 2) this.setU64n(o + 4 * k, BigInt(src[at + k]!) | (BigInt(src[at + k + 1]!) << 32n));
  }
  reg(i: number): bigint { return this.u64n(HOST_VCPU_REGS_N + 8 * i); }
  setReg(i: number, v: bigint): void { this.setU64n(HOST_VCPU_REGS_N + 8 * i, v); }
  /** setReg(i, 0n) without a BigInt (a register the exit no longer publishes). */
  clearReg(i: number): void { this.setU32n(HOST_VCPU_REGS_N + 8 * i, 0); }
}

/**
 * The host KVM's kvm_init_id_regs() at VM creation: the VM's ID registers start as the CPU's sanitised
 * ones (those `regs` gives; the rest of the ID space reads 0), then KVM_ARCH_FLAG_ID_REGS_INITIALIZED.
 */
export function kvm_init_id_regs(kvm: HostKvmView, regs: IdRegs): void {
  for (const name of Object.keys(ID_REG_CRM_OP2) as IdRegName[]) {
    const [crm, op2] = ID_REG_CRM_OP2[name];
    kvm.set_id_reg(IDREG_IDX(crm, op2), regs[name] ?? 0n);
  }
  kvm.arch_flags |= 1n << KVM_ARCH_FLAG_ID_REGS_INITIALIZED;
}
