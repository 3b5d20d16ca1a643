/**
 * Exception injection into a guest's saved context (nvhe/exception.c enter_exception64 applied to
 * the hyp's vCPU copy): the guest takes the exception at EL1 on its next run.
 */
import type { KvmCpuContext } from './hyp-vm';

export const EC_DABT_LOW_GUEST = 0x24;
export const EC_DABT_CUR_GUEST = 0x25;
export const DFSC_SEA = 0x10;

/** Takes a synchronous exception to EL1 in ctxt (AArch64.TakeException for a guest at EL0/EL1). */
export function injectSync(ctxt: KvmCpuContext, ec: number, iss: number, far: bigint | null): void {
  const fromEL = Number((ctxt.pstate >> 2n) & 3n);
  const spx = (ctxt.pstate & 1n) !== 0n;
  const esr = (BigInt(ec) << 26n) | (1n << 25n) | BigInt(iss & 0x1ffffff);
  ctxt.sys_regs.ESR_EL1 = esr;
  if (far !== null) ctxt.sys_regs.FAR_EL1 = far;
  ctxt.sys_regs.ELR_EL1 = ctxt.pc;
  ctxt.sys_regs.SPSR_EL1 = ctxt.pstate;
  const offset = fromEL === 0 ? 0x400n : spx ? 0x200n : 0n;
  ctxt.pc = (ctxt.sys_regs.VBAR_EL1 & ~0x7ffn) + offset;
  ctxt.pstate = 0x3c5n; // EL1h, DAIF masked
}

/** Synchronous external abort on a data access at `far` (what pKVM injects for an MMIO access
 * outside the guest's MMIO guard): ESR_EL1 = data abort, DFSC = 0b010000. */
export function injectDataSea(ctxt: KvmCpuContext, far: bigint, isWrite: boolean): void {
  const fromEL = Number((ctxt.pstate >> 2n) & 3n);
  const ec = fromEL === 0 ? EC_DABT_LOW_GUEST : EC_DABT_CUR_GUEST;
  injectSync(ctxt, ec, DFSC_SEA | (isWrite ? 1 << 6 : 0), far);
}
