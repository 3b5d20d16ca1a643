/* gic-uart-echo.elf: PL011 input through its interrupt (SPI 1, INTID 33) and the GICv3. The guest
 * sleeps in WFI; each RX interrupt drains the FIFO and echoes the characters; 'q' ends. The TX
 * interrupt (raised by each transmitted character, cleared through UARTICR) is checked too.
 * QEMU: QEMU_STDIN=FILE guest-images/run-qemu.sh gic-uart-echo --gic3 */
#include "gic.h"
#include "uart.h"
#include "sysreg.h"

#define UART_IMSC 0x038
#define UART_RIS  0x03c
#define UART_MIS  0x040
#define UART_ICR  0x044
#define UART_LCRH 0x02c
#define UART_CR   0x030
#define INT_RX    0x10
#define INT_TX    0x20
#define INT_RT    0x40
#define FR_RXFE   0x10

static volatile unsigned done, received, irqs;
static void drain(void);

void vector_handler(unsigned kind, struct frame *f)
{
    (void)f;
    if (kind != 5) {
        puts("unexpected exception, vector ");
        put_dec(kind);
        putc('\n');
        for (;;)
            ;
    }
    uint64_t intid = read_sysreg(S3_0_C12_C12_0);
    if (intid == 33) {
        irqs++;
        drain();
    }
    if (intid < 1020)
        write_sysreg(S3_0_C12_C12_1, intid);
    isb();
}

/* Reads and echoes everything in the receive FIFO, then clears the UART's interrupts. */
static void drain(void)
{
        while (!(mmio_r32(UART_BASE + UARTFR) & FR_RXFE)) {
            char c = (char)mmio_r32(UART_BASE + UARTDR);
            received++;
            if (c == 'q') {
                done = 1;
            } else if (c != '\n') {
                puts("echo: ");
                putc(c);
                putc('\n');
            }
        }
        mmio_w32(UART_BASE + UART_ICR, INT_TX | INT_RX | INT_RT);
}

int main(void)
{
    install_vectors();
    gic_dist_init();
    gic_cpu_init(0);
    mmio_w32(UART_BASE + UART_LCRH, 0x60); /* 8 bits, FIFO off: no flush of early input */
    mmio_w32(UART_BASE + UART_CR, 0x301);  /* UARTEN, TXE, RXE */
    puts("uart-echo: type, q ends\n");
    /* TX interrupt: each character sent raises it; ICR clears it; MIS follows IMSC. */
    mmio_w32(UART_BASE + UART_ICR, 0x7ff);
    putc('.');
    putc('\n');
    puts("TX raw: ");
    put_dec((mmio_r32(UART_BASE + UART_RIS) >> 5) & 1);
    puts(", masked: ");
    put_dec((mmio_r32(UART_BASE + UART_MIS) >> 5) & 1);
    putc('\n');
    mmio_w32(UART_BASE + UART_ICR, INT_TX);
    puts("after ICR, SPI 33 pending: ");
    put_dec((mmio_r32(GICD_BASE + GICD_ISPENDR + 4) >> 1) & 1);
    putc('\n');
    gic_enable(0, 33);
    mmio_w32(UART_BASE + UART_IMSC, INT_RX | INT_RT);
    drain(); /* input that arrived before the interrupt was enabled (its RX status was cleared above) */
    irq_enable();
    while (!done)
        __asm__ volatile("wfi");
    irq_disable();
    mmio_w32(UART_BASE + UART_IMSC, 0);
    puts("received ");
    put_dec(received);
    puts(" characters\n");
    return 0;
}
