/*
 * Polled PL011 UART at 0x0900_0000 (QEMU `virt`).
 * Note: unlike libc, puts() does not append a newline.
 */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stdint.h>

#define UART_BASE   0x09000000UL
#define UARTDR      0x000       /* data register */
#define UARTFR      0x018       /* flag register */
#define UARTFR_TXFF (1u << 5)   /* transmit FIFO full */

void putc(char c);
void puts(const char *s);
void put_hex64(uint64_t v);               /* 16 lower-case hex digits */
void put_hex(uint64_t v, unsigned digits); /* the low `digits` nibbles */

#endif
