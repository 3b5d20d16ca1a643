/**
 * Self-hosted debug state of a vCPU at EL2 (nvhe/hyp-main.c flush_debug_state / sync_debug_state,
 * nvhe/debug-sr.c __debug_switch_to_guest / __debug_switch_to_host):
 * - non-protected vCPU: the host says who owns the debug registers (debug_owner). When the guest
 *   owns them, flush copies arch.vcpu_debug_state (the guest's breakpoints and watchpoints, and
 *   MDSCR_EL1) into the hyp's copy; when the host does (it debugs the guest), arch.external_debug_state.
 *   The world switch loads that state on the CPU for the run and gives the host its own registers
 *   back after it; sync copies the state back to the same host field.
 * - protected vCPU: nothing crosses and nothing is loaded: its debug accesses trap to EL2
 *   (MDCR_EL2.TDA and friends, pvm_init_traps_mdcr() in pvm-traps.ts) and are UNDEFINED.
 */
import { SR, type Core } from '../machine/core';
import type { PhysMem } from './phys-mem';
import {
  HostVcpuView, HOST_DEBUG_OWNER_NONE, HOST_VCPU_DBGBCR, HOST_VCPU_DBGBVR, HOST_VCPU_DBGWCR, HOST_VCPU_DBGWVR,
  HOST_VCPU_DEBUG_OWNER, HOST_VCPU_MDSCR_EL1,
} from './host-abi';

export const NUM_BRPS = 6;
export const NUM_WRPS = 4;
/* core-as/selfdebug/debug-regs.ts: DBGBVR0_EL1 .. (indices of the core's system registers). */
const DBGBVR0 = 450, DBGBCR0 = 458, DBGWVR0 = 466, DBGWCR0 = 472;

/** struct kvm_guest_debug_arch, with the MDSCR_EL1 that goes with it. */
export class KvmGuestDebugArch {
  readonly dbg_bvr = new Array<bigint>(NUM_BRPS).fill(0n);
  readonly dbg_bcr = new Array<bigint>(NUM_BRPS).fill(0n);
  readonly dbg_wvr = new Array<bigint>(NUM_WRPS).fill(0n);
  readonly dbg_wcr = new Array<bigint>(NUM_WRPS).fill(0n);
  mdscr_el1 = 0n;
}

/** The hyp vCPU's debug fields. */
export class HypVcpuDebug {
  /** vcpu->arch.debug_owner: HOST_DEBUG_OWNER_NONE / _GUEST / _HOST. */
  debug_owner = HOST_DEBUG_OWNER_NONE;
  readonly vcpu_debug_state = new KvmGuestDebugArch();
  readonly external_debug_state = new KvmGuestDebugArch();
  /** The state the owner selects, or null when the debug registers are nobody's. */
  active(): KvmGuestDebugArch | null {
    return this.debug_owner === 1n ? this.vcpu_debug_state : this.debug_owner === 2n ? this.external_debug_state : null;
  }
}

function copyFromHost(hv: HostVcpuView, st: KvmGuestDebugArch): void {
  for (let i = 0; i < NUM_BRPS; i++) { st.dbg_bvr[i] = hv.u64(HOST_VCPU_DBGBVR + 8n * BigInt(i)); st.dbg_bcr[i] = hv.u64(HOST_VCPU_DBGBCR + 8n * BigInt(i)); }
  for (let i = 0; i < NUM_WRPS; i++) { st.dbg_wvr[i] = hv.u64(HOST_VCPU_DBGWVR + 8n * BigInt(i)); st.dbg_wcr[i] = hv.u64(HOST_VCPU_DBGWCR + 8n * BigInt(i)); }
  st.mdscr_el1 = hv.u64(HOST_VCPU_MDSCR_EL1);
}
function copyToHost(hv: HostVcpuView, st: KvmGuestDebugArch): void {
  for (let i = 0; i < NUM_BRPS; i++) { hv.setU64(HOST_VCPU_DBGBVR + 8n * BigInt(i), st.dbg_bvr[i]!); hv.setU64(HOST_VCPU_DBGBCR + 8n * BigInt(i), st.dbg_bcr[i]!); }
  for (let i = 0; i < NUM_WRPS; i++) { hv.setU64(HOST_VCPU_DBGWVR + 8n * BigInt(i), st.dbg_wvr[i]!); hv.setU64(HOST_VCPU_DBGWCR + 8n * BigInt(i), st.dbg_wcr[i]!); }
  hv.setU64(HOST_VCPU_MDSCR_EL1, st.mdscr_el1);
}

/** flush_debug_state(): the owner, then the owner's state (non-protected vCPUs only). */
export function flush_debug_state(mem: PhysMem, host_vcpu: bigint, dbg: HypVcpuDebug, view?: HostVcpuView): void {
  const hv = view ?? new HostVcpuView(mem, host_vcpu);
  const owner = hv.u64(HOST_VCPU_DEBUG_OWNER);
  dbg.debug_owner = owner === 1n || owner === 2n ? owner : HOST_DEBUG_OWNER_NONE;
  const st = dbg.active();
  if (st) copyFromHost(hv, st);
}

/** sync_debug_state(): the owner's state back to the host. */
export function sync_debug_state(mem: PhysMem, host_vcpu: bigint, dbg: HypVcpuDebug, view?: HostVcpuView): void {
  const st = dbg.active();
  if (st) copyToHost(view ?? new HostVcpuView(mem, host_vcpu), st);
}

/** The CPU's debug registers (the host's, kept across a run in which a vCPU's are loaded). */
function saveRegs(core: Core, st: KvmGuestDebugArch): void {
  for (let i = 0; i < NUM_BRPS; i++) { st.dbg_bvr[i] = core.sysreg(DBGBVR0 + i); st.dbg_bcr[i] = core.sysreg(DBGBCR0 + i); }
  for (let i = 0; i < NUM_WRPS; i++) { st.dbg_wvr[i] = core.sysreg(DBGWVR0 + i); st.dbg_wcr[i] = core.sysreg(DBGWCR0 + i); }
  st.mdscr_el1 = core.sysreg(SR.MDSCR_EL1);
}
function loadRegs(core: Core, st: KvmGuestDebugArch): void {
  for (let i = 0; i < NUM_BRPS; i++) { core.setSysreg(DBGBVR0 + i, st.dbg_bvr[i]!); core.setSysreg(DBGBCR0 + i, st.dbg_bcr[i]!); }
  for (let i = 0; i < NUM_WRPS; i++) { core.setSysreg(DBGWVR0 + i, st.dbg_wvr[i]!); core.setSysreg(DBGWCR0 + i, st.dbg_wcr[i]!); }
  core.setSysreg(SR.MDSCR_EL1, st.mdscr_el1);
}

/** __debug_switch_to_guest(): with an owner, the host's registers saved and the vCPU's loaded. */
export function __debug_switch_to_guest(core: Core, dbg: HypVcpuDebug, host: KvmGuestDebugArch): boolean {
  const st = dbg.active();
  if (!st) return false;
  saveRegs(core, host);
  loadRegs(core, st);
  return true;
}

/** __debug_switch_to_host(): the vCPU's registers saved into its state, the host's put back. */
export function __debug_switch_to_host(core: Core, dbg: HypVcpuDebug, host: KvmGuestDebugArch): void {
  const st = dbg.active();
  if (!st) return;
  saveRegs(core, st);
  loadRegs(core, host);
}
