// QEMU virt's 32 virtio-mmio transports (0x0a00_0000 + 0x200 * n, SPI 16 + n) with no device plugged
// in, as `-M virt` always has them: QEMU's virtio_mmio_read answers MagicValue ("virt"), Version
// (1: the board's transports are legacy by default, force-legacy=true) and VendorID ("QEMU") and
// reads every other register as zero; writes are ignored. DeviceID 0 means "no device", so Linux's
// virtio_mmio probe skips them quietly, and bare-metal tests that read a transport (kvm-unit-tests'
// micro-bench times MMIO reads of 0x0a00_0008) see what they see on QEMU instead of an external abort.
export const VIRTIO_MMIO_BASE = 0x0a00_0000n;
export const VIRTIO_MMIO_STRIDE = 0x200n;
export const VIRTIO_MMIO_COUNT = 32;
/** SPI of transport 0 (INTID 48); transport n has SPI 16 + n. */
export const VIRTIO_MMIO_FIRST_SPI = 16;

const MAGIC_VALUE = 0x000, VERSION = 0x004, VENDOR_ID = 0x00c;

/** A register read of an empty transport (offset within its 0x200 bytes). */
export function emptyVirtioMmioRead(offset: number): number {
  switch (offset & 0x1ff) {
    case MAGIC_VALUE: return 0x7472_6976; // "virt"
    case VERSION: return 1; // legacy
    case VENDOR_ID: return 0x554d_4551; // "QEMU"
    default: return 0;
  }
}
