import { describe, expect, it } from 'vitest';
import {
  Pl011,
  FR_RXFE,
  FR_RXFF,
  FR_TXFE,
  FR_TXFF,
  INT_RX,
  INT_TX,
  UARTCR,
  UARTDR,
  UARTFR,
  UARTIBRD,
  UARTICR,
  UARTIFLS,
  UARTIMSC,
  UARTLCR_H,
  UARTMIS,
  UARTRIS,
  UARTRSR,
} from '../../machine/pl011';

function uart() {
  const tx: number[] = [];
  return { u: new Pl011((b) => tx.push(b)), tx };
}

describe('PL011', () => {
  it('has QEMU reset values', () => {
    const { u } = uart();
    expect(u.read(UARTFR, 4)).toBe(FR_TXFE | FR_RXFE);
    expect(u.read(UARTFR, 4) & (FR_TXFF | FR_RXFF)).toBe(0);
    expect(u.read(UARTCR, 4)).toBe(0x300);
    expect(u.read(UARTIFLS, 4)).toBe(0x12);
    expect(u.read(UARTLCR_H, 4)).toBe(0);
    expect(u.read(UARTIMSC, 4)).toBe(0);
    expect(u.read(UARTRIS, 4)).toBe(0);
  });

  it('returns the Arm PrimeCell IDs', () => {
    const { u } = uart();
    const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => u.read(o, 4));
    expect(ids).toEqual([0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('transmits the low byte of UARTDR writes and raises TX in RIS', () => {
    const { u, tx } = uart();
    for (const c of 'hi\n') u.write(UARTDR, 4, c.charCodeAt(0));
    u.write(UARTDR, 4, 0x1234);
    u.write(UARTDR, 1, 0x41);
    expect(tx).toEqual([0x68, 0x69, 0x0a, 0x34, 0x41]);
    expect(u.read(UARTRIS, 4) & INT_TX).toBe(INT_TX);
    expect(u.read(UARTMIS, 4)).toBe(0);
    expect(u.irq).toBe(false);
    u.write(UARTIMSC, 4, INT_TX);
    expect(u.read(UARTMIS, 4)).toBe(INT_TX);
    expect(u.irq).toBe(true);
    u.write(UARTICR, 4, INT_TX);
    expect(u.read(UARTRIS, 4)).toBe(0);
    expect(u.irq).toBe(false);
  });

  it('receives input through the FIFO (16 deep when LCR_H.FEN is set)', () => {
    const { u } = uart();
    expect(u.read(UARTDR, 4)).toBe(0);
    u.write(UARTLCR_H, 4, 0x70); // 8 bits, FIFO enabled
    u.pushRx(new TextEncoder().encode('abc'));
    expect(u.read(UARTFR, 4) & FR_RXFE).toBe(0);
    expect(u.read(UARTRIS, 4) & INT_RX).toBe(INT_RX);
    const got: number[] = [];
    while (!(u.read(UARTFR, 4) & FR_RXFE)) got.push(u.read(UARTDR, 4));
    expect(String.fromCharCode(...got)).toBe('abc');
    expect(u.read(UARTRIS, 4) & INT_RX).toBe(0);

    u.pushRx(new Uint8Array(20).fill(0x55));
    expect(u.read(UARTFR, 4) & FR_RXFF).toBe(FR_RXFF);
    let n = 0;
    while (!(u.read(UARTFR, 4) & FR_RXFE)) {
      expect(u.read(UARTDR, 4)).toBe(0x55);
      n++;
    }
    expect(n).toBe(20);
  });

  it('holds one byte at a time with the FIFO disabled (RXFF set)', () => {
    const { u } = uart();
    u.pushRx([1, 2]);
    expect(u.read(UARTFR, 4) & (FR_RXFF | FR_RXFE)).toBe(FR_RXFF);
    expect(u.read(UARTDR, 4)).toBe(1);
    expect(u.read(UARTDR, 4)).toBe(2);
    expect(u.read(UARTFR, 4) & FR_RXFE).toBe(FR_RXFE);
  });

  it('keeps control registers and ignores writes to read-only ones', () => {
    const { u } = uart();
    u.write(UARTIBRD, 4, 13);
    u.write(UARTCR, 4, 0x301);
    u.write(UARTFR, 4, 0);
    u.write(0xfe0, 4, 0x99);
    expect(u.read(UARTIBRD, 4)).toBe(13);
    expect(u.read(UARTCR, 4)).toBe(0x301);
    expect(u.read(UARTFR, 4)).toBe(FR_TXFE | FR_RXFE);
    expect(u.read(0xfe0, 4)).toBe(0x11);
    u.write(UARTRSR, 4, 0);
    expect(u.read(UARTRSR, 4)).toBe(0);
  });

  it('decodes narrow accesses on the register word and splits 8-byte accesses', () => {
    const { u } = uart();
    expect(u.read(UARTCR, 1)).toBe(0x00); // low byte of 0x300
    expect(u.read(UARTCR, 2)).toBe(0x300);
    expect(u.read(UARTCR + 1, 1)).toBe(0x00); // QEMU decodes offset >> 2 and masks to the size
    expect(u.read(0xff8, 8)).toBe(0x05 + 0xb1 * 2 ** 32);
  });

  it('never throws on bad offsets or sizes', () => {
    const { u, tx } = uart();
    for (const off of [-4, 0x04c, 0x100, 0xfdc, 0x1000, 0x7fffffff, NaN]) {
      expect(u.read(off, 4)).toBe(0);
      u.write(off, 4, 0xff);
    }
    expect(u.read(UARTFR, 3)).toBe(FR_TXFE | FR_RXFE);
    expect(tx).toEqual([]);
  });
});

describe('PL011 reset', () => {
  it('restores reset values and keeps undelivered input', () => {
    const { u } = uart();
    u.write(UARTCR, 4, 0x301);
    u.write(UARTIMSC, 4, 0x7ff);
    u.write(UARTDR, 4, 0x41);
    u.pushRx([7, 8]);
    u.reset();
    expect(u.read(UARTCR, 4)).toBe(0x300);
    expect(u.read(UARTIMSC, 4)).toBe(0);
    expect(u.read(UARTRIS, 4) & INT_TX).toBe(0);
    expect(u.read(UARTDR, 4)).toBe(8); // byte 7 sat in the 1-deep FIFO and was flushed; 8 was pending
  });
});
