// Fixed offsets in WASM linear memory. Everything the core keeps lives here: the hot loop allocates
// nothing. TypeScript reads the same offsets through typed-array views (machine/core-layout.ts).
//
//   0x0000_0000  AssemblyScript static data
//   CPU_BASE     CPU state: X0..X30, XZR slot, SP slot, discard slot, banked SPs, PC, PSTATE, sysregs
//   EXIT_BASE    exit payload (reason, MMIO access, exception syndrome)
//   SYSREG_MAP   u16 map from the 16-bit MRS/MSR encoding (op0:op1:CRn:CRm:op2) to a sysreg index
//   TLB_BASE     softmmu fast TLB, one direct-mapped table per mmu index
//   TLB2_BASE    tagged translation cache (VMID/ASID) behind the fast TLB, and the stage-2 walk cache
//   CODEMAP      RAM page number → decode slot + 1 (0: no decoded code on that page)
//   SLOT_PPN     decode slot → RAM page number + 1
//   DECODE_BASE  decode slots: 1024 decoded ops of 16 bytes per 4 KiB page
//   PKVM_FAST    the hosted pKVM's stage-2 fault fast path (pkvm-fast-fault.ts): its parameters,
//                its log, the host page allocator's bitmap, per-VM "backed" bitmaps, hyp_vmemmap
//   PERCPU_BASE  SMP: per-CPU saved state and per-CPU TLBs (core-as/smp/)
//   GIC_BASE     GICv3 distributor, redistributors, CPU interfaces, generic timers (core-as/gic/)
//   FP_TABLES    FP/SIMD constant tables (core-as/fp/: 0x02E0_0000.., core-as/simd/: 0x02F0_0000..)
//   DEBUG_BASE   debugger state: breakpoints, watchpoints (gdb stub, debug architecture)
//   JIT_BASE     0x0310_0000..RAM_HOST: the compiled tier (core-as/jit/jit-layout.ts)
//   RAM_HOST     guest RAM (physical address RAM_BASE_PA maps here)

export const CPU_BASE: u32 = 0x0010_0000;
export const EXIT_BASE: u32 = 0x0011_0000;
export const SYSREG_MAP: u32 = 0x0012_0000; // 65536 x u16
export const TLB_BASE: u32 = 0x0014_0000;
export const TLB2_BASE: u32 = 0x0016_0000; // 512 KiB, owned by tlb2.ts
export const MMU_SCRATCH: u32 = 0x001E_0000;
// Fixed tables inside MMU_SCRATCH. 0x000–0x4FF: the walker's decoded walk parameters and leaf
// permission tables (walk.ts); 0x500–0x57F: its table hints (walk.ts HINT0..HINT3).
export const COND_TABLE: u32 = 0x001E_1000; // u16 per NZCV value: bit c set when cond c holds
export const CRC_TABLE: u32 = 0x001E_2000; // u32[256] CRC32 (0xEDB88320)
export const CRC32C_TABLE: u32 = 0x001E_2400; // u32[256] CRC32C (0x82F63B78)
export const SYSREG_FLAGS: u32 = 0x001E_3000; // u8 per sysreg index: min EL | RO | WO
export const CODEMAP: u32 = 0x0020_0000; // 1M pages x u32 (up to 4 GiB of RAM)
export const SLOT_PPN: u32 = 0x0060_0000; // DECODE_SLOTS x u32
export const DECODE_BASE: u32 = 0x0080_0000;
export const DECODE_SLOTS: u32 = 1024;
export const DECODE_SLOT_BYTES: u32 = 16384;
export const PKVM_FAST: u32 = 0x0180_0000; // 4 KiB of parameters (PF_* offsets, pkvm-fast-fault.ts)
export const PKVM_FAST_LOG: u32 = 0x0180_1000; // PKVM_FAST_LOG_CAP x 32 bytes: (gfn, pa, instruction count, 0)
export const PKVM_FAST_LOG_CAP: u32 = 16384;
export const HOST_ALLOC_MAP: u32 = 0x0189_0000; // u8 per host allocator page: 1 = in use (≤ 1 MiB)
export const HOST_ALLOC_MAP_BYTES: u32 = 0x0010_0000;
// The VMs' backed bitmaps (a bit per memslot page: backed by the host), each a run of 512-byte
// granules given out first-fit by host-kernel-model/backed-arena.ts: 19,456 Ki pages (76 GiB of
// memslots) in all, in any number of VMs.
export const PKVM_BACKED: u32 = 0x019A_0000;
export const PKVM_BACKED_BYTES: u32 = 0x0026_0000; // to HYP_VMEMMAP
export const HYP_VMEMMAP: u32 = 0x01C0_0000; // struct hyp_page (8 bytes) per RAM page (≤ 7.5 MiB)
export const PERCPU_BASE: u32 = 0x0240_0000; // 8 MiB, owned by core-as/smp/
export const PERCPU_BYTES: u32 = 0x0080_0000;
export const GIC_BASE: u32 = 0x02C0_0000; // 2 MiB, owned by core-as/gic/
export const GIC_BYTES: u32 = 0x0020_0000;
export const FP_TABLES: u32 = 0x02E0_0000; // 1 MiB, owned by core-as/fp/
export const SIMD_TABLES: u32 = 0x02F0_0000; // 1 MiB, owned by core-as/simd/
export const DEBUG_BASE: u32 = 0x0300_0000; // 1 MiB: debugger state
// The exception log for traces (core-as/gic/irq-log.ts), inside the debugger region: u32 flags
// (1: log, 2: count for --stats), u32 entries, u32 dropped, then IRQ_LOG_CAP entries of 32 bytes
// from IRQ_LOG + 64.
export const IRQ_LOG: u32 = DEBUG_BASE + 0x1_0000;
export const IRQ_LOG_CAP: u32 = 16384; // ends at DEBUG_BASE + 0x9_0040
// What the core does not implement, counted for `--stats` (core-as/stats/): each table is u32
// entries, u32 0, u64 dropped, then up to CAP entries of 24 bytes (u32 key, u32 EL of the first,
// u64 count, u64 PC of the first). UNDEF_STATS: UNDEFINED encodings (key = the encoding);
// SYSREG_STATS: unimplemented system registers and SYS operations (key = op0:op1:CRn:CRm:op2 as
// sysregs.ts srKey, bit 16 = read). EXC_STATS: u64 exceptions taken by EC (64), then u64 interrupts
// taken by kind (IRQ, FIQ, virtual IRQ, virtual FIQ), counted while --stats asks.
export const UNDEF_STATS: u32 = DEBUG_BASE + 0x9_1000;
export const UNDEF_STATS_CAP: u32 = 256;
export const SYSREG_STATS: u32 = DEBUG_BASE + 0x9_3000;
export const SYSREG_STATS_CAP: u32 = 256;
export const EXC_STATS: u32 = DEBUG_BASE + 0x9_5000; // 68 x u64, to DEBUG_BASE + 0x9_5220
export const JIT_BASE: u32 = 0x0310_0000; // the compiled tier (core-as/jit/jit-layout.ts)
export const RAM_HOST: u32 = 0x0400_0000;

// --- Parameters of the stage-2 fault fast path at PKVM_FAST (written by TypeScript) --------------
export const PF_ENABLED: u32 = 0; // u32: 1 while a protected guest the path may serve runs
export const PF_HANDLE: u32 = 4; // u32 pKVM handle of the VM (the annotation's owner handle)
export const PF_GUEST_PGD: u32 = 8; // u64 PA of the guest stage-2's start-level table(s)
export const PF_GUEST_LEVEL: u32 = 16; // u32 start level
export const PF_GUEST_PGD_SHIFT: u32 = 20; // u32 IPA shift of the concatenated start-level table index
export const PF_GUEST_LIMIT: u32 = 24; // u64 2^ia_bits
export const PF_GUEST_ATTR: u32 = 32; // u64 leaf attributes of a donated page (RWX, OWNED)
export const PF_HOST_PGD: u32 = 40; // u64 the host stage-2's
export const PF_HOST_LEVEL: u32 = 48; // u32
export const PF_HOST_PGD_SHIFT: u32 = 52; // u32
export const PF_HOST_LIMIT: u32 = 56; // u64
export const PF_SLOT_BASE: u32 = 64; // u64 memslot IPA base
export const PF_SLOT_SIZE: u32 = 72; // u64 memslot size (bytes)
export const PF_BACKED: u32 = 80; // u32 address of the VM's backed bitmap (bit per memslot page)
export const PF_HOST_VMID: u32 = 84; // u32 VMID of the host stage-2 (TLB invalidation)
export const PF_HOST_MC: u32 = 88; // u64 PA of the host vCPU's memcache nr_pages
export const PF_HYP_MC: u32 = 96; // u32 EL2's memcache nr_pages of the vCPU (updated by the path, taken back after the run)
export const PF_MC_MIN: u32 = 100; // u32 KVM_MMU_CACHE_MIN_PAGES
export const PF_ALLOC_BASE: u32 = 104; // u64 PA of the host allocator's page 0
export const PF_ALLOC_PAGES: u32 = 112; // u32 pages it manages (bitmap bytes at HOST_ALLOC_MAP)
export const PF_ALLOC_CURSOR: u32 = 116; // u32 next-fit cursor (hyp-independent host state)
export const PF_ALLOC_FREE: u32 = 120; // u32 free pages
export const PF_LOG_COUNT: u32 = 124; // u32 entries in PKVM_FAST_LOG not yet taken by TypeScript
export const PF_SHARE: u32 = 128; // u32 0: donate (a protected VM), 1: share (a non-protected VM, host_share_guest)
export const PF_HOST_IDMAP: u32 = 136; // u64 a level-3 host idmap descriptor but its address (what a host abort maps)
export const PF_HYP_MC_HEAD: u32 = 144; // u64 EL2's memcache of the vCPU: head (PF_HYP_MC its nr_pages), updated by the path
export const PF_GUEST_MC_MIN: u32 = 152; // u32 kvm_mmu_cache_min_pages() of the guest stage-2 (__guest_check_memcache)
export const PF_POOL_EMPTY: u32 = 156; // u32 1: the VM's hyp_pool has no free page (new tables come from the memcache)
export const PF_HOST_POOL_N: u32 = 160; // u32 pages at PF_HOST_POOL: the next hyp_alloc_pages(0) results of host_s2_pool
export const PF_HOST_POOL_USED: u32 = 164; // u32 of them taken by the path for new host stage-2 tables (TypeScript allocates them after the run)
export const PF_HOST_MEM_START: u32 = 168; // u64 the memblock region holding the host allocator's pages: a host abort may
export const PF_HOST_MEM_END: u32 = 176; // u64   idmap a block only inside it (host_stage2_adjust_range())
// The UART MMIO fast path (pkvm-fast-mmio.ts)
export const PF_MMIO_ENABLED: u32 = 184; // u32 1: the running guest's UART accesses may be served in the core
export const PF_MMIO_FR: u32 = 188; // u32 the VM's UARTFR
export const PF_MMIO_IPA: u32 = 192; // u64 IPA of the VM's UART page
export const PF_MMIO_LOG_N: u32 = 200; // u32 UARTDR writes in the log (taken by TypeScript after the run)
export const PF_MMIO_READS: u32 = 204; // u32 UARTFR reads served (likewise)
export const PF_HOST_MEMO: u32 = 208; // u64 key (PA >> 21, + 1; 0: none) and u32 host address of the host stage-2's last level-3 table
export const PF_GUEST_MEMO: u32 = 224; // u64, u32 the same for the guest stage-2 (both cleared by TypeScript before each run)
export const PF_MMIO_LOG: u32 = 0x500; // PF_MMIO_LOG_CAP x (u16 offset, u16 size, u32 value)
export const PF_MMIO_LOG_CAP: u32 = 96;
export const PF_HOST_POOL: u32 = 0x400; // u64[PF_HOST_POOL_CAP]
export const PF_HOST_POOL_CAP: u32 = 32;
export const PF_SCRATCH: u32 = 0x800; // the path's own plan (pkvm-fast-memcache.ts), up to 0x800 bytes


export const RAM_BASE_PA: u64 = 0x4000_0000;
export const PAGE_SHIFT: u32 = 12;
export const PAGE_SIZE: u32 = 4096;

// --- CPU state (offsets from CPU_BASE) ---------------------------------------------------------
// Register slots: 0..30 = X0..X30, 31 = XZR (always reads 0), 32 = current SP, 33 = discard.
// The decoder maps register field 31 to REG_ZR, REG_SP or REG_DISCARD as the encoding says, so the
// interpreter never tests for register 31.
export const REG_ZR: u32 = 31;
export const REG_SP: u32 = 32;
export const REG_DISCARD: u32 = 33;
export const OFF_PC: u32 = 34 * 8;
export const OFF_NZCV: u32 = 35 * 8; // u32, PSTATE.NZCV in bits 31:28
export const OFF_DAIF: u32 = OFF_NZCV + 4; // u32, PSTATE.DAIF in bits 9:6
export const OFF_EL: u32 = 36 * 8; // u32 CurrentEL (0..2)
export const OFF_SPSEL: u32 = OFF_EL + 4; // u32 PSTATE.SP
export const OFF_PSTATE_MISC: u32 = 37 * 8; // u32: PAN(22) UAO(23) SS(21) IL(20) SSBS(12) — kept as SPSR bits
export const OFF_CONFIG: u32 = 38 * 8; // u32 feature flags (CFG_*)
export const OFF_INSNS: u32 = 39 * 8; // u64 instructions retired (plus exceptions taken), total
export const OFF_EXCL_ADDR: u32 = 40 * 8; // u64 exclusive monitor address (or ~0 when open)
export const OFF_EXCL_SIZE: u32 = 41 * 8; // u32 bytes covered by the monitor
export const OFF_EXCL_VAL: u32 = 42 * 8; // u64 value seen by the load-exclusive (low)
export const OFF_EXCL_VAL2: u32 = 43 * 8; // u64 (high, pairs)
export const OFF_SYSREGS: u32 = 64 * 8; // u64 per sysreg index (see sysregs.ts), up to SR_MAX
// SIMD&FP register file (part of the per-CPU state block): V0..V31, 16 bytes each, little-endian
// (byte 0 of Vn is the least significant byte of the 128-bit value). FPCR/FPSR are sysregs.
export const OFF_V: u32 = 0x8000;
export const CPU_STATE_BYTES: u32 = 0x9000; // everything per-CPU in the block at CPU_BASE

export const CFG_HAVE_EL2: u32 = 1; // EL2 implemented (native code at EL2, or hosted)
export const CFG_EL2_HOSTED: u32 = 2; // exceptions to EL2 exit to TypeScript instead of vectoring
export const CFG_PSCI_SMC: u32 = 4; // PSCI conduit is SMC (else HVC)
export const CFG_SEMIHOSTING: u32 = 8; // HLT #0xF000 is a semihosting call
export const CFG_CPU_INT: u32 = 16; // --cpu int: no FP/AdvSIMD (every FP/SIMD encoding UNDEFINED, ID registers say so)

// --- Exit payload (offsets from EXIT_BASE) ----------------------------------------------------
export const EXIT_REASON: u32 = 0; // u32
export const EXIT_MMIO_PA: u32 = 8; // u64 physical address
export const EXIT_MMIO_SIZE: u32 = 16; // u32 bytes (1, 2, 4, 8)
export const EXIT_MMIO_WRITE: u32 = 20; // u32 1 = write
export const EXIT_MMIO_VALUE: u32 = 24; // u64 value written, or (TS → core) value read
export const EXIT_MMIO_SEQ: u32 = 32; // u32 index of this device access within the instruction
export const EXIT_MMIO_REG: u32 = 36; // u32 register of a single-register access (ISV-like), or 0xff
export const EXIT_IMM: u32 = 40; // u32 immediate of HVC/SMC/HLT/SVC that caused the exit
export const EXIT_EL: u32 = 44; // u32 target EL of a routed exception
export const EXIT_CPU: u32 = 48; // u32 index of the CPU that exited (core-as/smp/: TypeScript acts on it)
export const EXIT_HYP_ASYNC: u32 = 52; // u32 EXIT_HYP cause: 0 synchronous (ESR_EL2), 1 IRQ, 2 FIQ (core-as/gic/irq-take.ts)
export const EXIT_CTXT_MAP: u32 = 0x500; // EXIT_CTXT_SLOTS x u32: where a vCPU context's slots live in the CPU block (hyp-ctxt.ts)
export const EXIT_CTXT: u32 = 0x600; // EXIT_CTXT_SLOTS x u64: a vCPU context in its slot order (hyp-ctxt.ts)
export const EXIT_CTXT_SLOTS: u32 = 64;
// A vCPU's GICv3 CPU interface state as a TypeScript-hosted EL2 enters and leaves it (hyp-vcpu-switch.ts),
// u64 slots: the hyp's struct vgic_v3_cpu_if in this order (hyp/vgic-v3.ts VGIC_* indices).
export const EXIT_VGIC: u32 = 0x800;
export const VGIC_HCR: u32 = 0; // vgic_hcr (ICH_HCR_EL2)
export const VGIC_VMCR: u32 = 1; // vgic_vmcr (ICH_VMCR_EL2)
export const VGIC_AP0R: u32 = 2; // vgic_ap0r[4]
export const VGIC_AP1R: u32 = 6; // vgic_ap1r[4]
export const VGIC_LR: u32 = 10; // vgic_lr[16]
export const VGIC_MISR: u32 = 26; // ICH_MISR_EL2 at the exit
export const VGIC_EISR: u32 = 27; // ICH_EISR_EL2 at the exit
export const VGIC_ELRSR: u32 = 28; // ICH_ELRSR_EL2 at the exit
export const VGIC_USED_LRS: u32 = 29; // used_lrs
export const VGIC_SLOTS: u32 = 30;
// The EL2 registers a hosted EL2 programs for a guest run, u64 slots (hyp-vcpu-switch.ts).
export const EXIT_VCPU_EL2: u32 = 0x900;
export const VEL2_HCR: u32 = 0; // HCR_EL2 for the guest
export const VEL2_VTTBR: u32 = 1; // VTTBR_EL2
export const VEL2_VTCR: u32 = 2; // VTCR_EL2
export const VEL2_CNTVOFF: u32 = 3; // CNTVOFF_EL2
export const VEL2_MDCR: u32 = 4; // MDCR_EL2 (with VEL2_F_MDCR)
export const VEL2_FLAGS: u32 = 5; // VEL2_F_*
export const VEL2_HOST_CPTR: u32 = 6; // out: CPTR_EL2 before the run (put back at the exit)
export const VEL2_HOST_MDCR: u32 = 7; // out: MDCR_EL2 before the run (put back at the exit)
export const VEL2_SLOTS: u32 = 8;
export const VEL2_F_MDCR: u32 = 1; // program VEL2_MDCR for the run (a protected vCPU's traps)
export const MMIO_RESULTS: u32 = 64; // u64[8] replayed device reads/writes of the current insn
export const MMIO_MAX: u32 = 8;

// Exit reasons returned by run().
export const EXIT_NONE: u32 = 0;
export const EXIT_BUDGET: u32 = 1; // instruction budget used up
export const EXIT_FIRMWARE: u32 = 2; // HVC/SMC PSCI/SMCCC call no guest EL handles (x0..x17 live)
export const EXIT_SEMIHOSTING: u32 = 3; // HLT #0xF000 with semihosting enabled (w0 = op, x1 = param)
export const EXIT_MMIO: u32 = 4; // access to a non-RAM physical address (payload above)
export const EXIT_WFI: u32 = 5; // WFI/WFE with nothing to wake it
export const EXIT_HYP: u32 = 6; // exception routed to a TypeScript-hosted EL2 (ESR/FAR/HPFAR/ELR/SPSR_EL2)
export const EXIT_BAD_STATE: u32 = 7; // the host asked for something impossible (e.g. PC outside memory on resume)
export const EXIT_DEBUG: u32 = 16; // a debugger breakpoint or watchpoint (core-as/debug/: DBG_STOP_*)
export const EXIT_STUCK: u32 = 17; // the CPU cannot make progress (stuck.ts): payload EXIT_STUCK_* below
export const EXIT_JIT: u32 = 18; // hot blocks are queued for the compiled tier (jit/jit-layout.ts JIT_QUEUE); never seen by Core's callers
// Payload of EXIT_STUCK (offsets from EXIT_BASE).
export const EXIT_STUCK_KIND: u32 = 0x200; // u32 STUCK_*
export const EXIT_STUCK_EL: u32 = 0x204; // u32 EL of the loop
export const EXIT_STUCK_VECTOR: u32 = 0x208; // u64 vector address the loop is stuck in
export const EXIT_STUCK_ESR: u32 = 0x210; // u64 ESR of the first exception (the one that entered the vector)
export const EXIT_STUCK_FAR: u32 = 0x218; // u64 FAR of the first exception
export const EXIT_STUCK_PC: u32 = 0x220; // u64 PC that raised the first exception (branch-to-self: its PC)
export const EXIT_STUCK_LOOP_ESR: u32 = 0x228; // u64 ESR of the repeating exception (branch-to-self: DAIF)
export const EXIT_STUCK_COUNT: u32 = 0x230; // u32 exceptions taken at the vector before the stop
export const STUCK_EXCEPTION_LOOP: u32 = 1;
export const STUCK_BRANCH_SELF: u32 = 2;
