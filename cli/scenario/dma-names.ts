/**
 * Names a scenario uses for the DMA board: map permissions (linux/iommu.h prot bits) and the reasons
 * the DMA engine records in FAULT_INFO[7:0] when a transfer stops (an SMMUv3 event id, or the
 * engine's own bad length / bus error).
 */
import { DMA_FAULT_BAD_LENGTH, DMA_FAULT_BUS_ERROR, IOMMU_READ, IOMMU_WRITE, SMMU_EVT } from './hyp-api';

export const DMA_PROTS: Record<string, number> = { none: 0, r: IOMMU_READ, w: IOMMU_WRITE, rw: IOMMU_READ | IOMMU_WRITE };

export const DMA_REASON_CODES: Record<string, number> = {
  ...SMMU_EVT, bad_length: DMA_FAULT_BAD_LENGTH, bus_error: DMA_FAULT_BUS_ERROR,
};
export const DMA_REASONS: readonly string[] = Object.keys(DMA_REASON_CODES);

export function dmaReasonName(code: number): string {
  for (const [n, c] of Object.entries(DMA_REASON_CODES)) if (c === code) return n;
  return `0x${code.toString(16)}`;
}
