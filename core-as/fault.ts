// The result of a failed translation, recorded by the walker and turned into an abort syndrome
// (DFSC/IFSC, WnR, S1PTW, CM, ISV…) by abort.ts.
export const FAULT_NONE: u32 = 0;
export const FAULT_TRANSLATION: u32 = 1;
export const FAULT_ACCESS_FLAG: u32 = 2;
export const FAULT_PERMISSION: u32 = 3;
export const FAULT_ADDRESS_SIZE: u32 = 4;
export const FAULT_EXTERNAL: u32 = 5; // synchronous external abort (e.g. fetch from a device)
export const FAULT_ALIGNMENT: u32 = 6;
export const FAULT_EXTERNAL_WALK: u32 = 7; // external abort on a table walk (level valid)

export let faultType: u32 = FAULT_NONE;
export let faultLevel: i32 = 0;
export let faultStage2: bool = false;
export let faultS1PTW: bool = false;
export let faultIPA: u64 = 0;

export function setFault(type: u32, level: i32, stage2: bool, s1ptw: bool, ipa: u64): void {
  faultType = type;
  faultLevel = level;
  faultStage2 = stage2;
  faultS1PTW = s1ptw;
  faultIPA = ipa;
}

/** Fault status code (DFSC/IFSC, ISS[5:0]) of the recorded fault. */
export function faultStatusCode(): u32 {
  const lvl = <u32>(faultLevel & 3);
  switch (faultType) {
    case FAULT_ADDRESS_SIZE: return faultLevel < 0 ? 0x29 : 0x00 | lvl;
    case FAULT_TRANSLATION: return faultLevel < 0 ? 0x2b : 0x04 | lvl;
    case FAULT_ACCESS_FLAG: return 0x08 | lvl;
    case FAULT_PERMISSION: return 0x0c | lvl;
    case FAULT_EXTERNAL: return 0x10;
    case FAULT_EXTERNAL_WALK: return 0x14 | lvl;
    case FAULT_ALIGNMENT: return 0x21;
    default: return 0x10;
  }
}
