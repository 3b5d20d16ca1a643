// An A64 host kernel at EL1 under hosted pKVM programs the DMA engine as an MMIO device of the
// Machine (mirror mode: no hypercall needed). Its register accesses take a host stage-2 abort the
// first time (the hyp idmaps the device page) and then reach the engine; a copy between host pages
// completes, a copy into the hyp's memory stops with a translation fault the host reads back.
import { describe, expect, it } from 'vitest';
import { Machine, RAM_BASE } from '../../machine/machine';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { handleHostTrap } from '../../hyp/host-trap';
import { handlePsci } from '../../machine/psci';
import { setupDmaBoard } from '../../host-kernel-model/iommu';
import { DMA_ENGINE_BASE, DMA_REG, DMA_STATUS_DONE, DMA_STATUS_ERROR } from '../../machine/dma-engine';
import { SMMU_EVT } from '../../hyp/iommu/defs';
import { b as branch, ldr_imm, movk, movz, smc, str_imm } from '../gen/a64enc';

function program(): Uint8Array {
  const base = 0;
  const w = [
    movz(base, Number(DMA_ENGINE_BASE >> 16n) & 0xffff, 1),
    str_imm(1, base, DMA_REG.SRC),
    str_imm(2, base, DMA_REG.DST),
    str_imm(3, base, DMA_REG.LEN),
    movz(9, 1, 0, 0),
    str_imm(9, base, DMA_REG.CTRL, 2), /* GO */
    ldr_imm(10, base, DMA_REG.STATUS, 2),
    ldr_imm(11, base, DMA_REG.DONE_BYTES),
    str_imm(4, base, DMA_REG.DST), /* now into the hyp's memory */
    str_imm(9, base, DMA_REG.CTRL, 2),
    ldr_imm(12, base, DMA_REG.STATUS, 2),
    ldr_imm(13, base, DMA_REG.FAULT_INFO),
    ldr_imm(14, base, DMA_REG.FAULT_IOVA),
    movz(0, 0x0008, 0), movk(0, 0x8400, 1), /* PSCI SYSTEM_OFF */
    smc(0),
    branch(0),
  ];
  const out = new Uint8Array(w.length * 4);
  const dv = new DataView(out.buffer);
  w.forEach((x, i) => dv.setUint32(i * 4, x, true));
  return out;
}

describe('an A64 host programs the DMA engine through MMIO', () => {
  it('copies host pages, and is stopped at the hyp\'s memory (mirror mode)', () => {
    let el2!: HostedEl2;
    const m = new Machine({ memBytes: 64 << 20, onHypExit: () => handleHostTrap(el2, (x) => handlePsci(x)) });
    m.load(program(), 'dma-host', RAM_BASE + 0x8_0000n);
    el2 = new HostedEl2(m.core);
    el2.enterHostContext();
    const { dma, iommu } = setupDmaBoard(el2, { mode: 'mirror', machine: m });
    const src = RAM_BASE + 0x20_0000n;
    const dst = RAM_BASE + 0x30_0000n;
    m.core.writePhys(src, new Uint8Array(256).map((_, i) => i ^ 0x5a));
    const hyp = el2.carveout.base + 0x1000n;
    const hypBefore = m.core.readPhys(hyp, 256);
    m.core.setX(1, src);
    m.core.setX(2, dst);
    m.core.setX(3, 256n);
    m.core.setX(4, hyp);
    const r = m.run(100_000n);
    expect(r.reason).toBe('poweroff');
    expect(m.core.getX(10)).toBe(BigInt(DMA_STATUS_DONE));
    expect(m.core.getX(11)).toBe(256n);
    expect([...m.core.readPhys(dst, 256)]).toEqual([...m.core.readPhys(src, 256)]);
    expect(m.core.getX(12)).toBe(BigInt(DMA_STATUS_ERROR));
    expect(m.core.getX(13)).toBe(BigInt(SMMU_EVT.F_TRANSLATION) | (1n << 8n) | (BigInt(dma.sid) << 32n));
    expect(m.core.getX(14)).toBe(hyp);
    expect([...m.core.readPhys(hyp, 256)]).toEqual([...hypBefore]);
    expect(dma.transfers).toBe(2);
    /* The device page reached the host stage-2 through a host abort, as any MMIO does. */
    expect('pa' in m.core.walkStage2(DMA_ENGINE_BASE, 'w', el2.pkvm.host_vttbr(), el2.pkvm.host_vtcr())).toBe(true);
    expect(el2.trace.events.some((e) => e.kind === 'note' && e.text.startsWith('dma: stream 1 stopped'))).toBe(true);
    expect(iommu.smmu.evtq.at(-1)).toMatchObject({ name: 'F_TRANSLATION', write: true, iova: hyp });
    expect(el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
  });
});
