/**
 * Round-robin scheduling of every runnable vCPU of every running VM by instruction budget,
 * deterministic: VMs in creation order, vCPUs in index order, a fixed slice each.
 */
import type { HostKvm } from './kvm';
import { runVcpu } from './vcpu-run';

export interface ScheduleOptions { slice: number; maxGuestInsns: bigint }
export type ScheduleStop = 'all-stopped' | 'limit';

export function runAll(kvm: HostKvm, opts: ScheduleOptions): ScheduleStop {
  const ws = kvm.el2.ws;
  const limit = ws.guestInsns + opts.maxGuestInsns;
  /* (compared as Numbers while the limit is one exactly: ws.guestInsnsN is the count) */
  const limitN = limit <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(limit) : Infinity;
  for (;;) {
    let ran = false;
    for (const vm of kvm.vms) {
      if (vm.state !== 'running') continue;
      for (const vcpu of vm.vcpus) {
        if (vcpu.state !== 'runnable' || vm.state !== 'running') continue;
        if (limitN !== Infinity ? ws.guestInsnsN >= limitN : ws.guestInsns >= limit) return 'limit';
        ran = true;
        runVcpu(kvm, vm, vcpu, opts.slice);
      }
    }
    if (!ran) return 'all-stopped';
  }
}
