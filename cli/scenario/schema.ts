/**
 * A validated scenario: what validate.ts produces from a YAML or JSON file and the runner executes.
 * The file format is described in scenarios/README.md; every field here comes from there, with
 * defaults applied, sizes in bytes, names checked and image paths resolved.
 */

export const OWNERS = ['HOST', 'HYP', 'GUEST'] as const;
export type Owner = (typeof OWNERS)[number];
export const STATES = ['OWNED', 'SHARED_OWNED', 'SHARED_BORROWED', 'NOPAGE', 'POISON'] as const;
export type PageStateName = (typeof STATES)[number];

import type { FfaActionSpec, FfaMode } from './ffa-action';

export type ScenarioKind = 'kvm' | 'a64-host';
export type ExitState = 'off' | 'reset' | 'error' | 'running';
export const EXIT_STATES: readonly ExitState[] = ['off', 'reset', 'error', 'running'];

/** A number in an action: a literal, or a name the scenario defined (`page.pfn`, `pvm1.handle`, `carveout.pfn + 1`). */
export type Expr =
  | { kind: 'lit'; value: bigint }
  | { kind: 'ref'; name: string; field: string | null; offset: bigint; text: string };

/** `== 3`, `>= 8192`: a page count or similar compared at check time. */
export interface CountCmp { op: '==' | '!=' | '>=' | '<=' | '>' | '<'; n: number }

export interface ImageRef { path: string; shown: string }

export interface VmSpec {
  name: string;
  protected: boolean;
  memBytes: number;
  vcpus: number;
  image: ImageRef;
  backing: 'anon' | 'guest_memfd';
  /** x1..x3 at entry. */
  args: bigint[];
  /** Created before the first action, unless a `create` action names it. */
  createdByAction: boolean;
}

export type Target = { vm: string; ipa: Expr } | { pa: Expr };

/** How the board's DMA engine is isolated: no IOMMU, pKVM-owned IOMMU tables (hypercalls), or the host stage-2 shared with the SMMU. */
export type IommuMode = 'none' | 'hypercall' | 'mirror';
export const IOMMU_MODES: readonly IommuMode[] = ['none', 'hypercall', 'mirror'];

/** An address for DMA: a number or name, or a VM's IPA resolved to its backing page (`{ vm, ipa }`). */
export type DmaAddr = { vm: string; ipa: Expr } | { expr: Expr };

/** What a `dma_copy` is expected to do; fields left out are not compared. */
export interface DmaCopyExpect {
  status: 'done' | 'fault';
  /** DONE_BYTES: bytes copied before the end or the fault. */
  bytes?: bigint;
  /** FAULT_IOVA: the bus address of the access that stopped the transfer. */
  iova?: Expr;
  /** The faulting access was the destination's (write) or the source's (read). */
  write?: boolean;
  /** The SMMU event (F_TRANSLATION, C_BAD_STE, …) or the engine's own reason (bad length, bus error). */
  reason?: string;
}

/** The bytes a map/unmap is expected to do, or (map) the hyp's reason for refusing the first page not mapped. */
export type DmaBytesExpect = { bytes: bigint } | { errno: number };

/** What an access is expected to do: succeed (errno 0) or be refused with an errno; for reads, the value. */
export interface AccessExpect { errno: number; value?: Expr; zero?: boolean }

/** x0 (SMCCC status) and/or x1 (errno) after a hypercall; undefined = only recorded. */
export interface HcallExpect { x0?: bigint; x1?: bigint }

interface ActionBase { path: string }
export type Action = ActionBase & (
  | { kind: 'run'; insns: bigint | null; slice: number | null; until: { vm: string; text: string } | null }
  | { kind: 'create'; vm: string }
  | { kind: 'destroy'; vm: string }
  | { kind: 'teardown' }
  | { kind: 'baseline' }
  | { kind: 'hcall'; name: string | null; id: bigint; args: Expr[]; expect: HcallExpect | null }
  | { kind: 'read'; target: Target; size: number; as: string | null; expect: AccessExpect }
  | { kind: 'write'; target: Target; size: number; value: Expr; as: string | null; expect: AccessExpect }
  | { kind: 'alloc'; name: string }
  | { kind: 'free'; name: string }
  | { kind: 'check'; expect: Expectations }
  | { kind: 'lifecycle'; vm: string; times: number }
  | { kind: 'dma_map'; iova: Expr; pa: DmaAddr; pages: bigint; prot: number; expect: DmaBytesExpect | null }
  | { kind: 'dma_unmap'; iova: Expr; pages: bigint; expect: DmaBytesExpect | null }
  | { kind: 'dma_copy'; src: DmaAddr; dst: DmaAddr; len: bigint; expect: DmaCopyExpect }
  | { kind: 'dma_reclaim'; expect: bigint | null }
  | FfaActionSpec
);
export type ActionKind = Action['kind'];

export interface ConsoleExpect { path: string; who: string; exact?: string; contains: string[] }
export interface ExitExpect { path: string; who: string; state: ExitState; contains?: string }
export interface PagesExpect { path: string; who: string; state: PageStateName; cmp: CountCmp }

export interface Expectations {
  path: string;
  console: ConsoleExpect[];
  exit: ExitExpect[];
  pages: PagesExpect[];
  /** pkvm.checkInvariants(), strict or not. */
  invariants: 'normal' | 'strict' | null;
  /** Host allocator free pages: equal to the baseline (leak check), or a count. */
  hostFreePages: { path: string; baseline: true } | { path: string; baseline: false; cmp: CountCmp } | null;
  /** hyp WARN_ON()s since the start; null = the default check (none at all, at the end). */
  warnings: { path: string; cmp: CountCmp } | null;
}

export interface MachineSpec {
  memBytes: number; slice: number; maxInsns: bigint; iommu: IommuMode; faultFastPath: boolean;
  /** CPUs of the board (1..8): the hosted pKVM and its host run on CPU 0, the others stay off. */
  smp: number;
  /** The compiled tier (machine/jit/); false: the interpreter alone (as `run --no-jit`). */
  jit: boolean;
  /** The board's secure-world FF-A endpoint and pKVM's FF-A proxy (cli/scenario/ffa-action.ts). */
  ffa: FfaMode;
  /** Protected guests' hypercall ABI at EL2 (hyp/guest-hvc-upstream.ts, hyp/guest-hvc.ts). */
  guestHvcAbi: 'upstream' | 'android';
  /** kvm only: kvm-arm.wfi_trap_policy of the host (trap: a guest's WFI exits; notrap: it waits on the CPU). */
  wfiTrapPolicy: 'trap' | 'notrap';
}

export interface Scenario {
  file: string;
  name: string;
  description: string;
  kind: ScenarioKind;
  machine: MachineSpec;
  vms: VmSpec[];
  /** a64-host: the image booted as the host at EL1. */
  host: { image: ImageRef } | null;
  actions: Action[];
  expect: Expectations;
}
