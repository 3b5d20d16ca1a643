// Which CPU the core is executing. The state block at CPU_BASE always holds the current CPU's
// registers; per-CPU structures outside it (GIC redistributors and CPU interfaces, per-CPU TLBs,
// saved state of the other CPUs) are indexed by curCpu.
export const MAX_CPUS: u32 = 8;
export let curCpu: u32 = 0;
export let numCpus: u32 = 1;

export function setCurCpu(i: u32): void { curCpu = i; }
export function setNumCpus(n: u32): void { numCpus = n; }
