/**
 * The host's PSCI calls through EL2 (arch/arm64/kvm/hyp/nvhe/psci-relay.c, kvm_host_psci_handler()
 * for PSCI 1.x firmware): EL2 decides which calls reach the firmware.
 *
 * - PSCI_VERSION, CPU_OFF, AFFINITY_INFO (64), MIGRATE (64), MIGRATE_INFO_TYPE,
 *   MIGRATE_INFO_UP_CPU (64), SYSTEM_OFF, SYSTEM_RESET, PSCI_FEATURES, SET_SUSPEND_MODE,
 *   SYSTEM_RESET2 (64), SYSTEM_OFF2: forwarded as they are (psci_forward()).
 * - CPU_ON (64): the target MPIDR must be one of the CPUs online when pKVM initialised
 *   (find_cpu_id(), else INVALID_PARAMETERS without asking the firmware); a target already being
 *   booted answers ALREADY_ON (try_acquire_boot_args()); otherwise the host's entry point and
 *   context id are kept in the target's boot arguments and the firmware is asked to start the
 *   target at EL2's entry (kvm_hyp_cpu_entry), which sets the CPU's EL2 state up before it enters
 *   the host at the kept entry point; on failure the boot arguments are released.
 * - CPU_SUSPEND (64), SYSTEM_SUSPEND (64): the host's entry point is kept and the firmware resumes
 *   the CPU at EL2 (kvm_hyp_cpu_resume) (psci_cpu_suspend(), psci_system_suspend()).
 * - Any other PSCI function id (0x8400_0000-0x8400_001F, 0xC400_0000-0xC400_001F), the 32-bit
 *   CPU_ON and CPU_SUSPEND included: NOT_SUPPORTED at EL2.
 * After a PSCI call x0 holds the result and x1..x3 are zeroed. Non-PSCI SMCs are not handled here.
 *
 * On an SMP board the CPUs are those of the board; the target's EL2 entry and the host's entry on
 * it are psci-smp.ts (kvm_hyp_cpu_entry, kvm_host_psci_cpu_entry).
 */
import { PSCI_RET } from '../machine/psci';

export const PSCI_0_2_FN_BASE = 0x8400_0000n;
export const PSCI_0_2_FN64_BASE = 0xc400_0000n;
const FN = (n: number): bigint => PSCI_0_2_FN_BASE + BigInt(n);
const FN64 = (n: number): bigint => PSCI_0_2_FN64_BASE + BigInt(n);

export const PSCI_0_2_FN_PSCI_VERSION = FN(0);
export const PSCI_0_2_FN_CPU_SUSPEND = FN(1);
export const PSCI_0_2_FN64_CPU_SUSPEND = FN64(1);
export const PSCI_0_2_FN_CPU_OFF = FN(2);
export const PSCI_0_2_FN_CPU_ON = FN(3);
export const PSCI_0_2_FN64_CPU_ON = FN64(3);
export const PSCI_0_2_FN64_AFFINITY_INFO = FN64(4);
export const PSCI_0_2_FN64_MIGRATE = FN64(5);
export const PSCI_0_2_FN_MIGRATE_INFO_TYPE = FN(6);
export const PSCI_0_2_FN64_MIGRATE_INFO_UP_CPU = FN64(7);
export const PSCI_0_2_FN_SYSTEM_OFF = FN(8);
export const PSCI_0_2_FN_SYSTEM_RESET = FN(9);
export const PSCI_1_0_FN_PSCI_FEATURES = FN(10);
export const PSCI_1_0_FN64_SYSTEM_SUSPEND = FN64(14);
export const PSCI_1_0_FN_SET_SUSPEND_MODE = FN(15);
export const PSCI_1_1_FN64_SYSTEM_RESET2 = FN64(18);
export const PSCI_1_3_FN_SYSTEM_OFF2 = FN(21);
export const PSCI_1_3_FN64_SYSTEM_OFF2 = FN64(21);

/** MPIDR_HWID_BITMASK: Aff3 and Aff2..Aff0. */
export const MPIDR_HWID_BITMASK = 0xff_00ff_ffffn;
export const INVALID_CPU_ID = -1;

/** is_psci_0_2_call(): SMCCC reserves ids 0x00-0x1F of each base for PSCI. */
export function is_psci_0_2_call(fn: bigint): boolean {
  return (fn >= FN(0) && fn <= FN(31)) || (fn >= FN64(0) && fn <= FN64(31));
}

export type PsciFirmware = (x: bigint[]) => PsciRelayResult;

/** Per-CPU boot and suspend arguments (struct psci_boot_args) and the CPUs pKVM knows. */
export class HostPsciRelay {
  /** boot_args.lock: CPU_LOCKED while a CPU_ON of that CPU is in flight. */
  readonly boot_locked: boolean[];
  /** Entry point and context id the host asked for, per CPU (boot_args / suspend_args). */
  readonly boot_args: { pc: bigint; r0: bigint }[];
  readonly suspend_args: { pc: bigint; r0: bigint }[];
  constructor(
    /** hyp_cpu_logical_map: the MPIDR hardware ids of the CPUs online at pKVM initialisation. */
    readonly cpu_logical_map: bigint[],
    /** Physical address of EL2's CPU entry / resume point handed to the firmware. */
    readonly hyp_entry: bigint,
  ) {
    this.boot_locked = cpu_logical_map.map(() => false);
    this.boot_args = cpu_logical_map.map(() => ({ pc: 0n, r0: 0n }));
    this.suspend_args = cpu_logical_map.map(() => ({ pc: 0n, r0: 0n }));
  }

  find_cpu_id(mpidr: bigint): number {
    mpidr &= MPIDR_HWID_BITMASK;
    return this.cpu_logical_map.findIndex((h) => h === mpidr);
  }
}

export interface PsciRelayResult { x0: bigint; action?: string; cpuOn?: { targetIndex: number } }

const ret = (r: number): PsciRelayResult => ({ x0: BigInt.asUintN(64, BigInt(r)) });

/**
 * kvm_host_psci_handler(): null if fn is not a PSCI call (the caller forwards it), else the result
 * for x0 (and the firmware's action when the call went through).
 */
export function kvm_host_psci_handler(
  relay: HostPsciRelay, cpu: number, fn: bigint, x: readonly bigint[], firmware: PsciFirmware,
): PsciRelayResult | null {
  if (!is_psci_0_2_call(fn)) return null;
  const forward = (): PsciRelayResult => firmware([fn, x[1] ?? 0n, x[2] ?? 0n, x[3] ?? 0n]);
  switch (fn) {
    case PSCI_1_0_FN_PSCI_FEATURES:
    case PSCI_1_0_FN_SET_SUSPEND_MODE:
    case PSCI_1_1_FN64_SYSTEM_RESET2:
    case PSCI_1_3_FN_SYSTEM_OFF2:
    case PSCI_1_3_FN64_SYSTEM_OFF2:
    case PSCI_0_2_FN_PSCI_VERSION:
    case PSCI_0_2_FN_CPU_OFF:
    case PSCI_0_2_FN64_AFFINITY_INFO:
    case PSCI_0_2_FN64_MIGRATE:
    case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
    case PSCI_0_2_FN64_MIGRATE_INFO_UP_CPU:
    case PSCI_0_2_FN_SYSTEM_OFF:
    case PSCI_0_2_FN_SYSTEM_RESET:
      return forward();
    case PSCI_0_2_FN64_CPU_SUSPEND:
    case PSCI_1_0_FN64_SYSTEM_SUSPEND: {
      /* psci_cpu_suspend() / psci_system_suspend(): resume at EL2, which enters the host at pc. */
      const args = fn === PSCI_0_2_FN64_CPU_SUSPEND ? { pc: x[2] ?? 0n, r0: x[3] ?? 0n } : { pc: x[1] ?? 0n, r0: x[2] ?? 0n };
      relay.suspend_args[cpu] = args;
      return fn === PSCI_0_2_FN64_CPU_SUSPEND
        ? firmware([fn, x[1] ?? 0n, relay.hyp_entry, 0n])
        : firmware([fn, relay.hyp_entry, 0n, 0n]);
    }
    case PSCI_0_2_FN64_CPU_ON: {
      const mpidr = x[1] ?? 0n;
      const cpu_id = relay.find_cpu_id(mpidr);
      if (cpu_id === INVALID_CPU_ID) return ret(PSCI_RET.INVALID_PARAMETERS);
      /* try_acquire_boot_args() */
      if (relay.boot_locked[cpu_id]) return ret(PSCI_RET.ALREADY_ON);
      relay.boot_locked[cpu_id] = true;
      relay.boot_args[cpu_id] = { pc: x[2] ?? 0n, r0: x[3] ?? 0n };
      const r = firmware([fn, mpidr, relay.hyp_entry, 0n]);
      /* If successful, the lock is released by the target CPU (kvm_host_psci_cpu_entry). */
      if (BigInt.asIntN(64, r.x0) !== BigInt(PSCI_RET.SUCCESS)) relay.boot_locked[cpu_id] = false;
      return r;
    }
    default:
      return ret(PSCI_RET.NOT_SUPPORTED);
  }
}
