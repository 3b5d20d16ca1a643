// The MMU guest images (guest-images/mmu) on pkvm-emu: the UART output must equal the QEMU
// reference in guest-images/expected/, and live QEMU when it is installed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';
import { qemuAvailable, runQemu } from '../diff/qemu';

const dir = fileURLToPath(new URL('../../guest-images/', import.meta.url));
const images: Array<{ name: string; el2: boolean; what: string }> = [
  { name: 'mmu-el1', el2: false, what: 'stage-1 faults at EL1 and EL0, AT, PAN, TBI' },
  { name: 'mmu-el2', el2: true, what: 'stage-2 faults handled at EL2, MMIO emulation, S1PTW, AT from EL1' },
  { name: 'mmu-tlbi', el2: true, what: 'every TLBI operation after a remap, ASID and VMID switches' },
  { name: 'walkbench', el2: true, what: 'nested 4+4 walks with TLBI (the benchmark image)' },
];

function runEmu(name: string, el2: boolean): { text: string; reason: string } {
  const m = new Machine({ el2 });
  m.load(readFileSync(`${dir}bin/${name}.elf`), name);
  const r = m.run(100_000_000n);
  return { text: m.uartText(), reason: r.reason };
}

describe('MMU guest images on pkvm-emu', () => {
  for (const img of images) {
    it(`${img.name}${img.el2 ? ' (EL2)' : ''}: ${img.what} — matches expected/${img.name}.txt`, () => {
      const { text, reason } = runEmu(img.name, img.el2);
      expect(reason).toBe('poweroff');
      expect(text).toBe(readFileSync(`${dir}expected/${img.name}.txt`, 'latin1'));
    });
  }
  for (const img of images) {
    it.skipIf(!qemuAvailable())(`${img.name} matches live qemu-system-aarch64`, () => {
      const q = runQemu(`${dir}bin/${img.name}.elf`, { el2: img.el2, timeoutMs: 60_000 });
      expect(q.timedOut).toBe(false);
      expect(runEmu(img.name, img.el2).text).toBe(q.stdout.toString('latin1'));
    });
  }
});
