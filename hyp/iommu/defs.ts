/**
 * Constants of the pKVM IOMMU interface, with upstream names: linux/iommu.h
 * (IOMMU_* prot bits), the pKVM IOMMU series' kvm/iommu.h and asm/kvm_host.h
 * (domain ids, struct kvm_hyp_req and its SMCCC encoding, hyp allocator ids)
 * and the Arm SMMUv3 event numbers used to report DMA faults.
 *
 * Pinned to "KVM: arm64: pKVM IOMMU" (Mostafa Saleh / Jean-Philippe Brucker,
 * RFC v2, Dec 2024: patch 14/58 "KVM: arm64: pkvm: Add IOMMU hypercalls") and
 * the Android pKVM tree it feeds (arch/arm64/kvm/hyp/nvhe/iommu/iommu.c,
 * alloc_mgt.c).
 */

/* Errnos the IOMMU calls add to hyp/page-state.ts's (asm-generic/errno*.h). */
export const ENODEV = 19;
export const EOPNOTSUPP = 95;

/* linux/iommu.h */
export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_CACHE = 1 << 2;
export const IOMMU_NOEXEC = 1 << 3;
export const IOMMU_MMIO = 1 << 4;
export const IOMMU_PRIV = 1 << 5;
export const IOMMU_PROT_MASK = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_NOEXEC | IOMMU_MMIO | IOMMU_PRIV;

/** Domain 0 is the identity domain upstream (KVM_IOMMU_DOMAIN_IDMAP_ID): never a pv domain. */
export const KVM_IOMMU_DOMAIN_IDMAP_ID = 0;
/** pkvm_handle_t is a u16. */
export const KVM_IOMMU_MAX_DOMAINS = 1 << 16;

/* enum kvm_arm_smmu_domain_type (the model only has stage-2 translation tables) */
export const KVM_ARM_SMMU_DOMAIN_S1 = 0;
export const KVM_ARM_SMMU_DOMAIN_S2 = 1;
export const KVM_ARM_SMMU_DOMAIN_MAX = 2;

/* struct kvm_hyp_req (asm/kvm_host.h) */
export const KVM_HYP_LAST_REQ = 0;
export const KVM_HYP_REQ_TYPE_MEM = 1;
export const REQ_MEM_DEST_HYP_ALLOC = 1;
export const REQ_MEM_DEST_VCPU_MEMCACHE = 2;
export const REQ_MEM_DEST_HYP_IOMMU = 3;

export interface KvmHypReq {
  type: number;
  dest: number;
  nr_pages: number;
  sz_alloc: number;
}

/* hyp_reqs_smccc_encode() / hyp_reqs_smccc_decode(): x2 = type | dest << 8, x3 = nr_pages | sz_alloc << 32 */
export const SMCCC_REQ_TYPE_MASK = 0xffn;
export const SMCCC_REQ_DEST_MASK = 0xff00n;
export const SMCCC_REQ_NR_PAGES_MASK = 0xffff_ffffn;
export const SMCCC_REQ_SZ_ALLOC_MASK = 0xffff_ffff_0000_0000n;

export function hyp_reqs_smccc_decode(x2: bigint, x3: bigint): KvmHypReq {
  return {
    type: Number(x2 & SMCCC_REQ_TYPE_MASK),
    dest: Number((x2 & SMCCC_REQ_DEST_MASK) >> 8n),
    nr_pages: Number(x3 & SMCCC_REQ_NR_PAGES_MASK),
    sz_alloc: Number((x3 & SMCCC_REQ_SZ_ALLOC_MASK) >> 32n),
  };
}

/* enum hyp_alloc_mgt_id (asm/kvm_host.h) */
export const HYP_ALLOC_MGT_HEAP_ID = 0;
export const HYP_ALLOC_MGT_IOMMU_ID = 1;

/** Page sizes the IOMMU page tables support (io_pgtable_cfg.pgsize_bitmap): 4 KiB, 2 MiB, 1 GiB. */
export const IOMMU_PGSIZE_BITMAP = (1n << 12n) | (1n << 21n) | (1n << 30n);

/** SMMUv3 event record types (Arm IHI 0070, 7.3) reported for a stopped DMA. */
export const SMMU_EVT = {
  C_BAD_STREAMID: 0x02,
  C_BAD_STE: 0x04,
  F_STREAM_DISABLED: 0x06,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
} as const;
export type SmmuEventName = keyof typeof SMMU_EVT;
export const SMMU_EVT_NAMES: Record<number, SmmuEventName> = Object.fromEntries(
  Object.entries(SMMU_EVT).map(([k, v]) => [v, k as SmmuEventName]),
) as Record<number, SmmuEventName>;
