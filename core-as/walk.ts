// VMSAv8-64 table walks (4 KiB granule). Stage 1 for EL1&0 and EL2, stage 2 for EL1&0.
// Placeholder until the MMU lands: a stage-1 or stage-2 walk reports a level-0 translation fault,
// so enabling the MMU faults cleanly rather than running with wrong translations.
import { FAULT_TRANSLATION, setFault } from './fault';
import { TRANSLATE_FAULT } from './mmu';

export function walkStage1(va: u64, access: u32, idx: u32): u64 {
  setFault(FAULT_TRANSLATION, 0, false, false, 0);
  return TRANSLATE_FAULT;
}

export function walkStage2(ipa: u64, va: u64, access: u32, s1ptw: bool): u64 {
  setFault(FAULT_TRANSLATION, 0, true, s1ptw, ipa);
  return TRANSLATE_FAULT;
}
