// The UART MMIO fast path of the hosted pKVM (next to the stage-2 fault fast path of
// pkvm-fast-fault.ts): a guest's polled PL011 console access, a stage-2 data abort with a valid
// instruction syndrome on the VM's UART page, is emulated here instead of the round trip through
// EL2 and the host (exit with ESR/HPFAR → host-kernel-model handleMmio(): a UARTDR write goes to the
// VM's console, a UARTFR read returns its flags → HOST_REQ_SKIP_INSN / HOST_REQ_SET_REG →
// flush_hyp_vcpu() skips the instruction and sets the register → the guest runs on).
//
// TypeScript arms it before each guest run (host-kernel-model/fault-fast-path.ts) only where the
// full path would reach the host's emulation with the syndrome intact: the hyp's own trap handler,
// the UART page outside the guest's memory, and outside the MMIO guard or guarded
// (kvm_handle_guest_dabt(), __pkvm_check_ioguard_page()); it gives the UART's flags (UARTFR), which
// nothing here changes (transmit is immediate: a UARTDR write leaves them as they are). Served here:
// - a write (STR/STRB/STRH/STLR of at most 4 bytes) to UARTDR: the value (the source register
//   masked to the access size, XZR: 0) goes to the log, which TypeScript hands to the console in
//   order after the run;
// - a read (LDR/LDRB/LDRH/LDRS*/LDAR of at most 4 bytes) of UARTFR: the flags masked to the access
//   size, sign-extended as ESR.SSE/SF say (as handleMmio() extends them), into the target register
//   (none for XZR); counted for the host's MMIO exit count.
// Either way the instruction is skipped (PC + 4, PSTATE.SS cleared: kvm_skip_instr()) and the local
// exclusive monitor cleared, as the exception to EL2 and the ERET after HOST_REQ_SKIP_INSN leave them; the instruction counts once,
// as the aborted one does. Anything else (another register, an 8-byte access, no syndrome, the log
// full) takes the exception to EL2 as usual.
import {
  CPU_BASE, OFF_EXCL_ADDR, PF_MMIO_ENABLED, PF_MMIO_FR, PF_MMIO_IPA, PF_MMIO_LOG, PF_MMIO_LOG_CAP,
  PF_MMIO_LOG_N, PF_MMIO_READS, PKVM_FAST,
} from './layout';
import { getX, setX } from './alu';
import { stepNoteException } from './selfdebug/step-state';
import { PSTATE_SS } from './selfdebug/debug-regs';
import { getPstateMisc, pc, setPC, setPstateMisc } from './state';

const UARTDR: u64 = 0x000;
const UARTFR: u64 = 0x018;

/**
 * Emulates the access whose stage-2 translation fault at `ipa` is being taken, with instruction
 * syndrome `is` (ESR ISS[24:14]: ISV, SAS, SSE, SRT, SF) and `write` its direction; true when done.
 */
export function pkvmFastMmio(ipa: u64, is: u32, write: bool): bool {
  const p = PKVM_FAST;
  if (load<u32>(p, PF_MMIO_ENABLED) == 0 || (is & (1 << 24)) == 0) return false;
  const off = ipa - load<u64>(p, PF_MMIO_IPA);
  if (off >= 0x1000) return false;
  const sas = (is >> 22) & 3;
  if (sas == 3) return false;
  const size: u32 = 1 << sas;
  const mask: u64 = sas == 2 ? 0xffff_ffff : (<u64>1 << (<u64>size * 8)) - 1;
  const rt = (is >> 16) & 31;
  if (write) {
    if ((off >> 2) != (UARTDR >> 2)) return false;
    const n = load<u32>(p, PF_MMIO_LOG_N);
    if (n >= PF_MMIO_LOG_CAP) return false;
    const v: u64 = rt == 31 ? 0 : getX(rt) & mask;
    // (offset, size, value): the console write handleMmio() makes
    const e = p + PF_MMIO_LOG + (n << 3);
    store<u16>(e, <u16>off);
    store<u16>(e, <u16>size, 2);
    store<u32>(e, <u32>v, 4);
    store<u32>(p + PF_MMIO_LOG_N, n + 1);
  } else {
    if ((off >> 2) != (UARTFR >> 2)) return false;
    let v: u64 = <u64>load<u32>(p, PF_MMIO_FR) & mask;
    const sse = (is >> 21) & 1, sf = (is >> 15) & 1;
    if (sse != 0 && (v >> (<u64>size * 8 - 1)) != 0) {
      v |= ~mask; // sign-extended to 64 bits, then to the register's width
      if (sf == 0) v &= 0xffff_ffff;
    }
    if (rt != 31) setX(rt, v);
    store<u32>(p + PF_MMIO_READS, load<u32>(p, PF_MMIO_READS) + 1);
  }
  // kvm_skip_instr() after the exception to EL2 and before its return: PC + 4, PSTATE.SS cleared
  // (a guest stepping itself takes its Software Step exception next, with ISV = 0: the step state
  // went active-pending by that exception return, not by completing an instruction). PSTATE.BTYPE
  // is not implemented (no FEAT_BTI).
  setPC(pc + 4);
  stepNoteException();
  setPstateMisc(getPstateMisc() & ~PSTATE_SS);
  store<u64>(CPU_BASE + OFF_EXCL_ADDR, <u64>-1);
  return true;
}
