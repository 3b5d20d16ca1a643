/**
 * The machine a scenario runs on.
 * - kvm: a core with EL2 hosted in TypeScript (hyp/HostedEl2) and the host's KVM model
 *   (host-kernel-model/HostKvm) creating and running the VMs; with machine.iommu, the DMA board
 *   (an SMMU in front of a DMA engine, host-kernel-model/iommu.ts) and the host's IOMMU driver. In
 *   hypercall mode the driver probes the engine as the kernel would: it allocates DMA_DOMAIN and
 *   attaches the engine's stream to it (before the baseline: the domain's PGD is a pool page).
 * - a64-host: the QEMU-virt Machine with the host image at EL1 under the hosted pKVM: the host's
 *   HVCs, SMCs and stage-2 aborts exit to handleHostTrap() (as scratch-local/a64host.ts).
 */
import { readFileSync } from 'node:fs';
import { Core } from '../../machine/core';
import { Machine } from '../../machine/machine';
import { boardFirmware } from '../../hyp/psci-smp';
import { HostedEl2, handleHostTrap, HostKvm, HostMemory, type HostVm, ESR_EC, EC_HVC64, HOST_HCALLS, KVM_HOST_SMCCC_ID, asSigned } from './hyp-api';
import { createHostDma, type HostIommu, type KvmIommu } from './hyp-api';
import { SR } from '../../machine/core';
import type { ExitState, Scenario, VmSpec } from './schema';
import { errnoName, smcccName } from './errno';
import { attachFfaSpmc } from '../../machine/ffa/board';
import { HostFfa } from '../../host-kernel-model/ffa';

export interface HostRunState { state: ExitState; error?: string }

export interface World {
  core: Core;
  el2: HostedEl2;
  /** The host's view of memory (stage-2 checked). */
  hostMem: HostMemory;
  /** kvm scenarios. */
  kvm: HostKvm | null;
  /** a64-host scenarios: the board, and how the host's run ended. */
  machine: Machine | null;
  host: HostRunState;
  /** Live and destroyed VMs, by scenario name. */
  vms: Map<string, HostVm>;
  /** The DMA board (machine.iommu), with the host's driver for it. */
  dma: { mode: 'hypercall' | 'mirror'; host: HostIommu; iommu: KvmIommu } | null;
  /** machine.ffa: the host's FF-A driver (the board's SPMC behind pKVM's FF-A proxy). */
  ffa: HostFfa | null;
}

/** The IOMMU domain the host driver uses for the DMA engine (hypercall mode). */
export const DMA_DOMAIN = 1;

export function createWorld(s: Scenario): World {
  if (s.kind === 'a64-host') return a64World(s);
  const core = new Core(s.machine.memBytes, { haveEL2: true, el2Hosted: true, cpus: s.machine.smp, jit: s.machine.jit ? undefined : false });
  core.reset(2, 0n);
  if (s.machine.ffa !== 'none') attachFfaSpmc(core); // the secure world is there before pKVM probes it
  const el2 = new HostedEl2(core, { slice: s.machine.slice, guestHvcAbi: s.machine.guestHvcAbi, ffaLendRevokesHost: s.machine.ffa === 'lend-revokes-host' });
  const kvm = new HostKvm(el2, { faultFastPath: s.machine.faultFastPath, wfiTrapPolicy: s.machine.wfiTrapPolicy });
  let dma: World['dma'] = null;
  if (s.machine.iommu !== 'none') {
    const mode = s.machine.iommu;
    const { host, iommu } = createHostDma(kvm, { mode });
    if (mode === 'hypercall') {
      const ret = host.allocDomain(DMA_DOMAIN) || host.attachDev(DMA_DOMAIN);
      if (ret) throw new Error(`DMA board: the host driver could not set up domain ${DMA_DOMAIN}: ${errnoName(ret)}`);
    }
    el2.trace.emit('note', `DMA board: SMMU in ${mode} mode, DMA engine at 0x${host.dma.base.toString(16)} (stream ${host.dma.sid})${mode === 'hypercall' ? `, attached to domain ${DMA_DOMAIN}` : ''}`);
    dma = { mode, host, iommu };
  }
  const ffa = s.machine.ffa !== 'none' ? new HostFfa(el2, kvm.mem, kvm.alloc) : null;
  return { core, el2, hostMem: kvm.mem, kvm, machine: null, host: { state: 'running' }, vms: new Map(), dma, ffa };
}

function a64World(s: Scenario): World {
  let el2: HostedEl2 | undefined;
  const machine = new Machine({
    memBytes: s.machine.memBytes, smp: s.machine.smp, jit: s.machine.jit ? undefined : false,
    onHypExit: () => {
      const call = hostHvc(el2!);
      const r = handleHostTrap(el2!, boardFirmware(el2!.core)); // the board's CPUs: secondaries come up through EL2
      if (call) traceHostHvc(el2!, call);
      return r;
    },
  });
  machine.load(readFileSync(s.host!.image.path), s.host!.image.shown);
  // pKVM is initialised after the host image is in place, then the host runs at EL1 behind its stage-2.
  el2 = new HostedEl2(machine.core, { slice: s.machine.slice, guestHvcAbi: s.machine.guestHvcAbi });
  el2.enterHostContext();
  return {
    core: machine.core, el2, hostMem: new HostMemory(machine.core, el2.pkvm), kvm: null, machine,
    host: { state: 'running' }, vms: new Map(), dma: null, ffa: null,
  };
}

/** x0..x5 of the host's HVC about to be handled, if this exit is one. */
function hostHvc(el2: HostedEl2): bigint[] | null {
  const c = el2.core;
  if (ESR_EC(c.sysreg(SR.ESR_EL2)) !== EC_HVC64) return null;
  return [0, 1, 2, 3, 4, 5].map((i) => c.getX(i));
}

/** One timeline line per host HVC: the call by name with its arguments, then x0/x1 as returned. */
function traceHostHvc(el2: HostedEl2, frame: bigint[]): void {
  const c = el2.core;
  const n = frame[0] - KVM_HOST_SMCCC_ID(0);
  const name = n >= 0n && n < BigInt(HOST_HCALLS.length) ? HOST_HCALLS[Number(n)] : `0x${frame[0].toString(16)}`;
  const x0 = asSigned(c.getX(0)), x1 = asSigned(c.getX(1));
  const args = frame.slice(1, 4).map((a) => `0x${a.toString(16)}`).join(', ');
  el2.trace.emit('hcall', `host HVC ${name}(${args}) → x0=${smcccName(x0)} x1=${x0 === 0 ? errnoName(x1) : `0x${c.getX(1).toString(16)}`}`);
}

export function createVm(w: World, spec: VmSpec): HostVm {
  const vm = w.kvm!.createVm({
    name: spec.name,
    protected: spec.protected,
    memBytes: spec.memBytes,
    vcpus: spec.vcpus,
    image: { bytes: readFileSync(spec.image.path), name: spec.image.shown },
    backing: spec.backing,
    args: spec.args,
  });
  w.vms.set(spec.name, vm);
  return vm;
}
