// The trap of an MRS/MSR (or SYS) to an EL with the EC 0x18 syndrome (Arm ARM D17.2.37, ISS for
// EC 0x18), shared by every system-register access path.
import { EC_SYSREG, takeSimple } from './exception';
import { pc } from './state';

export function trapSysreg(el: u32, key: u32, rt: u32, isRead: bool): void {
  const op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15, op2 = key & 7;
  const iss = (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | ((rt & 31) << 5) | (crm << 1) | (isRead ? 1 : 0);
  takeSimple(el, EC_SYSREG, iss, pc);
}
