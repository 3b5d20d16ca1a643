#include "uart.h"

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

void putc(char c)
{
    while (mmio_read32(UART_BASE + UARTFR) & UARTFR_TXFF)
        ;
    mmio_write32(UART_BASE + UARTDR, (uint8_t)c);
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

void put_hex(uint64_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    while (digits--)
        putc(hex[(v >> (digits * 4)) & 0xf]);
}

void put_hex64(uint64_t v)
{
    put_hex(v, 16);
}
