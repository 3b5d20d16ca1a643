/**
 * PSCI firmware (Arm DEN0022 "Power State Coordination Interface", v1.1) as QEMU's `virt` board
 * provides it when it acts as the firmware (target/arm/psci.c): every HVC (or SMC, per the conduit)
 * is a PSCI call, the function id is the full 64-bit x0, and the int32 result is sign-extended into
 * x0. Results below were checked against qemu-system-aarch64 7.2 -M virt.
 *
 * Notable QEMU behaviour kept on purpose:
 *  - PSCI_VERSION is 1.1 (0x10001);
 *  - SMCCC_VERSION / SMCCC_ARCH_FEATURES and any other unknown id return NOT_SUPPORTED (QEMU has no
 *    SMCCC handler), MIGRATE returns NOT_SUPPORTED, MIGRATE_INFO_TYPE returns 2 (no trusted OS);
 *  - the PSCI 0.1 ids (0x95c1ba5e + n) that QEMU lists in the DTB work too;
 *  - target MPIDRs are compared with all 64 bits of x1 (no masking).
 */

export const PSCI_VERSION = 0x8400_0000n;
export const PSCI_CPU_SUSPEND = 0x8400_0001n;
export const PSCI_CPU_SUSPEND_64 = 0xc400_0001n;
export const PSCI_CPU_OFF = 0x8400_0002n;
export const PSCI_CPU_ON = 0x8400_0003n;
export const PSCI_CPU_ON_64 = 0xc400_0003n;
export const PSCI_AFFINITY_INFO = 0x8400_0004n;
export const PSCI_AFFINITY_INFO_64 = 0xc400_0004n;
export const PSCI_MIGRATE = 0x8400_0005n;
export const PSCI_MIGRATE_64 = 0xc400_0005n;
export const PSCI_MIGRATE_INFO_TYPE = 0x8400_0006n;
export const PSCI_SYSTEM_OFF = 0x8400_0008n;
export const PSCI_SYSTEM_RESET = 0x8400_0009n;
export const PSCI_FEATURES = 0x8400_000an;
/** PSCI 0.1 function ids as QEMU assigns them (advertised in the DTB's /psci node). */
export const PSCI_0_1_CPU_SUSPEND = 0x95c1_ba5en;
export const PSCI_0_1_CPU_OFF = 0x95c1_ba5fn;
export const PSCI_0_1_CPU_ON = 0x95c1_ba60n;
export const PSCI_0_1_MIGRATE = 0x95c1_ba61n;
/** SMCCC (DEN0028) ids: QEMU's firmware does not implement them. */
export const SMCCC_VERSION = 0x8000_0000n;
export const SMCCC_ARCH_FEATURES = 0x8000_0001n;

/** PSCI return codes (int32). */
export const PSCI_RET = {
  SUCCESS: 0,
  NOT_SUPPORTED: -1,
  INVALID_PARAMETERS: -2,
  DENIED: -3,
  ALREADY_ON: -4,
  ON_PENDING: -5,
  INTERNAL_FAILURE: -6,
  NOT_PRESENT: -7,
  DISABLED: -8,
  INVALID_ADDRESS: -9,
} as const;

/** Value PSCI_VERSION returns: major 1, minor 1. */
export const PSCI_VERSION_1_1 = 0x0001_0001;
/** MIGRATE_INFO_TYPE: "Trusted OS not present or does not require migration". */
export const PSCI_TOS_MIGRATION_NOT_REQUIRED = 2;

/** AFFINITY_INFO power states. */
export type PsciPowerState = 0 /* ON */ | 1 /* OFF */ | 2 /* ON_PENDING */;

/** What the firmware needs to know about the board's CPUs. */
export interface PsciBoard {
  /** Number of CPUs; CPU i has MPIDR affinity virtCpuMpidr(i). Default 1. */
  cpus?: number;
  /** Power state of CPU i. Default: CPU 0 on, the others off (as at reset). */
  powerState?: (index: number) => PsciPowerState;
  /** Cluster size used for MPIDR numbering: 8 with GICv2 (QEMU virt's default), 16 with GICv3. */
  clusterSize?: number;
  /** The board's FF-A endpoint (machine/ffa/board.ts): answers FF-A ids (null for anything else). */
  ffa?: (x: readonly bigint[]) => PsciResult | null;
}

export type PsciAction =
  | 'off' // SYSTEM_OFF: the machine powers down (QEMU exits with status 0)
  | 'reset' // SYSTEM_RESET: the machine resets
  | 'cpu_off' // CPU_OFF: the calling CPU stops
  | 'cpu_on' // CPU_ON accepted: start cpuOn.target at cpuOn.entry with x0 = cpuOn.context
  | 'wfi'; // CPU_SUSPEND: x0 = 0, then behave as WFI

export interface PsciResult {
  /** New x0 (int32 result sign-extended, as an unsigned 64-bit value). Unchanged for off/reset/cpu_off. */
  x0: bigint;
  action?: PsciAction;
  /** For action 'cpu_on': target index too, so the caller need not search MPIDRs again. */
  cpuOn?: { target: bigint; targetIndex: number; entry: bigint; context: bigint };
  /** x0..x7 of a call that returns more than x0 (FF-A). */
  regs?: bigint[];
}

/** MPIDR affinity of CPU `index` on QEMU virt: Aff1 = index / clusterSize, Aff0 = index % clusterSize. */
export function virtCpuMpidr(index: number, clusterSize = 8): bigint {
  return (BigInt(Math.floor(index / clusterSize)) << 8n) | BigInt(index % clusterSize);
}

const ret = (code: number): bigint => BigInt.asUintN(64, BigInt(code));

/** Function ids PSCI_FEATURES reports as implemented (QEMU's list). */
const IMPLEMENTED = new Set<bigint>([
  PSCI_VERSION,
  PSCI_MIGRATE_INFO_TYPE,
  PSCI_AFFINITY_INFO,
  PSCI_AFFINITY_INFO_64,
  PSCI_SYSTEM_RESET,
  PSCI_SYSTEM_OFF,
  PSCI_0_1_CPU_ON,
  PSCI_CPU_ON,
  PSCI_CPU_ON_64,
  PSCI_0_1_CPU_OFF,
  PSCI_CPU_OFF,
  PSCI_0_1_CPU_SUSPEND,
  PSCI_CPU_SUSPEND,
  PSCI_CPU_SUSPEND_64,
  PSCI_FEATURES,
]);

function findCpu(mpidr: bigint, board: PsciBoard): number {
  const cpus = board.cpus ?? 1;
  for (let i = 0; i < cpus; i++) if (virtCpuMpidr(i, board.clusterSize) === mpidr) return i;
  return -1;
}

/**
 * Handle one PSCI call from an AArch64 caller. `x` holds x0..x3 (missing entries read as 0; values
 * are taken modulo 2^64). Never throws.
 */
export function handlePsci(x: readonly bigint[], board: PsciBoard = {}): PsciResult {
  const [fid, a1, a2, a3] = [0, 1, 2, 3].map((i) => BigInt.asUintN(64, x[i] ?? 0n));
  const powerState = board.powerState ?? ((i: number): PsciPowerState => (i === 0 ? 0 : 1));
  const ffa = board.ffa?.(x);
  if (ffa) return ffa;
  switch (fid) {
    case PSCI_VERSION:
      return { x0: ret(PSCI_VERSION_1_1) };
    case PSCI_MIGRATE_INFO_TYPE:
      return { x0: ret(PSCI_TOS_MIGRATION_NOT_REQUIRED) };
    case PSCI_AFFINITY_INFO:
    case PSCI_AFFINITY_INFO_64: {
      if (a2 !== 0n) return { x0: ret(0) }; // levels above 0 are always on
      const i = findCpu(a1, board);
      return { x0: ret(i < 0 ? PSCI_RET.INVALID_PARAMETERS : powerState(i)) };
    }
    case PSCI_SYSTEM_RESET:
      return { x0: fid, action: 'reset' };
    case PSCI_SYSTEM_OFF:
      return { x0: fid, action: 'off' };
    case PSCI_0_1_CPU_ON:
    case PSCI_CPU_ON:
    case PSCI_CPU_ON_64: {
      const i = findCpu(a1, board);
      if (i < 0) return { x0: ret(PSCI_RET.INVALID_PARAMETERS) };
      const state = powerState(i);
      if (state === 0) return { x0: ret(PSCI_RET.ALREADY_ON) };
      if (state === 2) return { x0: ret(PSCI_RET.ON_PENDING) };
      return { x0: ret(0), action: 'cpu_on', cpuOn: { target: a1, targetIndex: i, entry: a2, context: a3 } };
    }
    case PSCI_0_1_CPU_OFF:
    case PSCI_CPU_OFF:
      return { x0: fid, action: 'cpu_off' };
    case PSCI_0_1_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND:
    case PSCI_CPU_SUSPEND_64:
      // QEMU supports no affinity levels (StateType/PowerLevel bits) and never powers down.
      if (a1 & 0xfffe_0000n) return { x0: ret(PSCI_RET.INVALID_PARAMETERS) };
      return { x0: ret(0), action: 'wfi' };
    case PSCI_FEATURES:
      return { x0: ret(IMPLEMENTED.has(a1) ? 0 : PSCI_RET.NOT_SUPPORTED) };
    default:
      // MIGRATE (both widths and the 0.1 id), SMCCC_VERSION, SMCCC_ARCH_FEATURES, anything else.
      return { x0: ret(PSCI_RET.NOT_SUPPORTED) };
  }
}
