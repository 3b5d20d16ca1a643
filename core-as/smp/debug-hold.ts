// CPUs a debugger holds (machine/gdb/: a step of one thread, or a continue of some threads only,
// as gdb's vCont actions and scheduler-locking ask): a held CPU takes no turns and no wake-up
// (sched.ts runnable/idle), so it retires nothing and, like a sleeping CPU, skips the ticks of the
// rounds it does not use. Zero except while a debugger resumes a subset of the CPUs.

/** Bit i set: CPU i is held. */
export let heldMask: u32 = 0;

export function setHeldMask(mask: u32): void { heldMask = mask; }

@inline export function isHeld(cpu: u32): bool { return ((heldMask >> cpu) & 1) != 0; }
