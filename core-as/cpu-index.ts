// Which CPU the core is executing. The state block at CPU_BASE always holds the current CPU's
// registers; per-CPU structures outside it (GIC redistributors and CPU interfaces, per-CPU TLBs,
// saved state of the other CPUs) are indexed by curCpu.
export const MAX_CPUS: u32 = 8;
export let curCpu: u32 = 0;
export let numCpus: u32 = 1;

export function setCurCpu(i: u32): void { curCpu = i; }

/**
 * Set by the GIC when an interrupt starts being signalled to a CPU other than the running one (an
 * SGI, an SPI routed there): if that CPU sleeps, the scheduler (core-as/smp/sched.ts) ends the
 * running CPU's turn so the woken CPU runs next, instead of after the rest of the quantum.
 */
export let otherCpuSignalled: bool = false;
export function setOtherCpuSignalled(v: bool): void { otherCpuSignalled = v; }
export function setNumCpus(n: u32): void { numCpus = n; }

/**
 * YIELD (the hint of a spin-wait loop, Linux's cpu_relax()) ends the running CPU's turn while another
 * CPU is running and the turn has lasted sched.ts YIELD_MIN_TURN (yieldEndsTurn, set by the
 * scheduler at each slice): the interpreter sets yieldRequested and breaks its loop after the
 * YIELD, and the CPU the spinner waits for runs next instead of after the rest of the quantum (as
 * QEMU's round-robin TCG does with EXCP_YIELD). With one CPU, or the others asleep or off, YIELD
 * stays a NOP.
 */
export let yieldEndsTurn: bool = false;
export let yieldRequested: bool = false;
export function setYieldEndsTurn(v: bool): void { yieldEndsTurn = v; }
export function setYieldRequested(v: bool): void { yieldRequested = v; }

/**
 * MPIDR_EL1 of CPU i on QEMU virt with a GICv3 (hw/arm/virt.c virt_cpu_mp_affinity: 16 CPUs per
 * cluster, so Aff0 = i for up to 8 CPUs; target/arm/helper.c mpidr_read_val: bit 31 RES1, U = 0).
 */
export function virtMpidr(i: u32): u64 { return <u64>0x80000000 | (<u64>(i >> 4) << 8) | <u64>(i & 15); }
