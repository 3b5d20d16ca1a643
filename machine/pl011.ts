/**
 * Arm PrimeCell UART (PL011, Arm DDI 0183) as QEMU models it (hw/char/pl011.c, QEMU 7.2):
 * transmit is immediate (TX FIFO always empty), a 16-entry receive FIFO (1 entry when LCR_H.FEN is
 * clear), interrupt status kept in RIS/IMSC. Registers decode on offset >> 2, so a narrower access
 * reads the whole register masked to the access size, as QEMU does; an 8-byte access is split into
 * two 4-byte accesses. Unknown offsets read 0 and ignore writes. Nothing here throws.
 * The combined interrupt UARTINTR (any bit of RIS & IMSC: RX when the FIFO reaches its trigger of one
 * character, TX after each transmitted character, cleared through UARTICR) goes to `onIrq` whenever
 * its level changes (on QEMU virt: SPI 1, INTID 33 of the GIC).
 */

export const UARTDR = 0x000;
export const UARTRSR = 0x004; // read: RSR, write: ECR
export const UARTFR = 0x018;
export const UARTILPR = 0x020;
export const UARTIBRD = 0x024;
export const UARTFBRD = 0x028;
export const UARTLCR_H = 0x02c;
export const UARTCR = 0x030;
export const UARTIFLS = 0x034;
export const UARTIMSC = 0x038;
export const UARTRIS = 0x03c;
export const UARTMIS = 0x040;
export const UARTICR = 0x044;
export const UARTDMACR = 0x048;
export const UARTPERIPHID0 = 0xfe0;

/** UARTFR bits. */
export const FR_RXFE = 0x10;
export const FR_TXFF = 0x20;
export const FR_RXFF = 0x40;
export const FR_TXFE = 0x80;
/** Interrupt bits (RIS/MIS/IMSC/ICR). */
export const INT_RX = 0x10;
export const INT_TX = 0x20;
const LCR_FEN = 0x10;

/** UARTPeriphID0-3 and UARTPCellID0-3, as QEMU's Arm variant returns them. */
export const PL011_ID = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;

/** Size of the register window. */
export const PL011_SIZE = 0x1000;
const FIFO_DEPTH = 16;

export class Pl011 {
  private flags = FR_TXFE | FR_RXFE;
  private rsr = 0;
  private lcr = 0;
  private cr = 0x300;
  private ifl = 0x12;
  private ilpr = 0;
  private ibrd = 0;
  private fbrd = 0;
  private intEnabled = 0;
  private intLevel = 0;
  private dmacr = 0;
  private readonly fifo: number[] = [];
  /** Host input not yet accepted into the FIFO (QEMU's chardev holds it back likewise). */
  private readonly pending: number[] = [];

  private irqLevel = false;

  constructor(private readonly onTx: (byte: number) => void, private readonly onIrq?: (level: boolean) => void) {}

  /** Reports a change of the interrupt line (QEMU's pl011_update). */
  private update(): void {
    const level = this.irq;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.onIrq?.(level);
    }
  }

  /** Host input accepted but not yet read by the guest (in the FIFO or waiting for room). */
  get inputPending(): boolean {
    return this.fifo.length > 0 || this.pending.length > 0;
  }

  /** Restore the reset state; pending host input is kept. */
  reset(): void {
    this.flags = FR_TXFE | FR_RXFE;
    this.rsr = this.lcr = this.ilpr = this.ibrd = this.fbrd = 0;
    this.intEnabled = this.intLevel = this.dmacr = 0;
    this.cr = 0x300;
    this.ifl = 0x12;
    this.fifo.length = 0;
    this.acceptInput();
    this.update();
  }

  /** Level of the UART's combined interrupt line (UARTINTR): any unmasked raw interrupt. */
  get irq(): boolean {
    return (this.intLevel & this.intEnabled) !== 0;
  }

  /** Queue host bytes for the guest to read from UARTDR. */
  pushRx(bytes: Iterable<number>): void {
    for (const b of bytes) this.pending.push(b & 0xff);
    this.acceptInput();
    this.update();
  }

  read(offset: number, size: number): number {
    if (size === 8) return this.read(offset, 4) + this.read(offset + 4, 4) * 2 ** 32;
    const v = this.readReg(offset);
    this.update();
    return size >= 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
  }

  write(offset: number, size: number, value: number): void {
    if (size === 8) {
      this.write(offset, 4, value % 2 ** 32);
      this.write(offset + 4, 4, Math.floor(value / 2 ** 32));
      return;
    }
    const v = size >= 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    this.writeReg(offset, v);
    this.update();
  }

  private readReg(offset: number): number {
    if (!(offset >= 0 && offset < PL011_SIZE)) return 0;
    switch (offset >> 2) {
      case UARTDR >> 2: {
        this.flags &= ~FR_RXFF;
        const c = this.fifo.length > 0 ? this.fifo.shift()! : 0;
        if (this.fifo.length === 0) this.flags |= FR_RXFE;
        // read_trigger is 1 in QEMU: the RX interrupt drops once the FIFO empties.
        if (this.fifo.length === 0) this.intLevel &= ~INT_RX;
        this.rsr = c >> 8;
        this.acceptInput();
        return c;
      }
      case UARTRSR >> 2:
        return this.rsr;
      case UARTFR >> 2:
        return this.flags;
      case UARTILPR >> 2:
        return this.ilpr;
      case UARTIBRD >> 2:
        return this.ibrd;
      case UARTFBRD >> 2:
        return this.fbrd;
      case UARTLCR_H >> 2:
        return this.lcr;
      case UARTCR >> 2:
        return this.cr;
      case UARTIFLS >> 2:
        return this.ifl;
      case UARTIMSC >> 2:
        return this.intEnabled;
      case UARTRIS >> 2:
        return this.intLevel;
      case UARTMIS >> 2:
        return this.intLevel & this.intEnabled;
      case UARTDMACR >> 2:
        return this.dmacr;
      default:
        if (offset >= UARTPERIPHID0) return PL011_ID[(offset - UARTPERIPHID0) >> 2];
        return 0;
    }
  }

  private writeReg(offset: number, value: number): void {
    if (!(offset >= 0 && offset < PL011_SIZE)) return;
    switch (offset >> 2) {
      case UARTDR >> 2:
        this.onTx(value & 0xff);
        this.intLevel |= INT_TX;
        return;
      case UARTRSR >> 2: // UARTECR: any write clears the error bits
        this.rsr = 0;
        return;
      case UARTILPR >> 2:
        this.ilpr = value;
        return;
      case UARTIBRD >> 2:
        this.ibrd = value;
        return;
      case UARTFBRD >> 2:
        this.fbrd = value;
        return;
      case UARTLCR_H >> 2:
        if ((this.lcr ^ value) & LCR_FEN) {
          // Enabling or disabling the FIFOs flushes them.
          this.fifo.length = 0;
          this.flags = (this.flags & ~(FR_RXFF | FR_TXFF)) | FR_RXFE | FR_TXFE;
        }
        this.lcr = value;
        this.acceptInput();
        return;
      case UARTCR >> 2:
        this.cr = value;
        return;
      case UARTIFLS >> 2:
        this.ifl = value;
        return;
      case UARTIMSC >> 2:
        this.intEnabled = value;
        return;
      case UARTICR >> 2:
        this.intLevel &= ~value;
        return;
      case UARTDMACR >> 2:
        this.dmacr = value;
        return;
      default:
        return; // UARTFR, RIS, MIS, ID registers are read-only; the rest is reserved
    }
  }

  /** Move pending host input into the receive FIFO while it has room (QEMU's can_receive). */
  private acceptInput(): void {
    const depth = this.lcr & LCR_FEN ? FIFO_DEPTH : 1;
    while (this.pending.length > 0 && this.fifo.length < depth) {
      this.fifo.push(this.pending.shift()!);
      this.flags &= ~FR_RXFE;
      if (!(this.lcr & LCR_FEN) || this.fifo.length === FIFO_DEPTH) this.flags |= FR_RXFF;
      if (this.fifo.length === 1) this.intLevel |= INT_RX;
    }
  }
}
