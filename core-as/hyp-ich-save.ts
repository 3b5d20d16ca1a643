// The ICH_* registers a TypeScript-hosted EL2 reads at every guest exit (hyp/vgic-v3.ts
// __vgic_v3_save_state() and __vgic_v3_save_vmcr_aprs()), read in one call instead of one call
// each: the same MRS reads gicEl2Read() performs (none has a side effect), in this order, as u64s at
// EXIT_BASE + EXIT_ICH_SAVE: ICH_HCR_EL2, ICH_MISR_EL2, ICH_EISR_EL2, ICH_ELRSR_EL2, ICH_VMCR_EL2,
// ICH_AP0R<0..3>_EL2, ICH_AP1R<0..3>_EL2 (EXIT_ICH_*). With `disable` set, ICH_HCR_EL2 is then
// written 0 (the MSR that ends the save when no list register is in use). Current CPU.
import { EXIT_BASE, EXIT_ICH_SAVE } from './layout';
import { gicEl2Read, gicEl2Write } from './gic/gic-el2-access';
import { ICH_AP0R0_EL2, ICH_AP1R0_EL2, ICH_EISR_EL2, ICH_ELRSR_EL2, ICH_HCR_EL2, ICH_MISR_EL2, ICH_VMCR_EL2 } from './gic/gic-sysregs';

export function ichSaveBlock(disable: u32): void {
  const b = EXIT_BASE + EXIT_ICH_SAVE;
  store<u64>(b, gicEl2Read(ICH_HCR_EL2));
  store<u64>(b + 8, gicEl2Read(ICH_MISR_EL2));
  store<u64>(b + 16, gicEl2Read(ICH_EISR_EL2));
  store<u64>(b + 24, gicEl2Read(ICH_ELRSR_EL2));
  store<u64>(b + 32, gicEl2Read(ICH_VMCR_EL2));
  for (let i: u32 = 0; i < 4; i++) {
    store<u64>(b + 40 + 8 * i, gicEl2Read(ICH_AP0R0_EL2 + i));
    store<u64>(b + 72 + 8 * i, gicEl2Read(ICH_AP1R0_EL2 + i));
  }
  if (disable != 0) gicEl2Write(ICH_HCR_EL2, 0);
}
