/*
 * bootinfo.elf: prints "x0 load-address" (16 hex digits each) on the UART and powers off
 * (PSCI SYSTEM_OFF by HVC: boot at EL1). It carries an arm64 Linux Image header, so the same bytes
 * (objcopy -O binary, or test/machine/loader.test.ts taking them from the ELF) also boot as an
 * Image, a gzip'd Image or, with the magic removed, a raw image: the tests compare where QEMU's
 * -kernel and pkvm-emu put the image and the devicetree. Position-independent.
 */
    .text
    .globl _start
_start:
    b       1f              /* code0 */
    .word   0               /* code1 */
    .quad   0x80000         /* text_offset */
    .quad   0x10000         /* image_size */
    .quad   0               /* flags */
    .quad   0, 0, 0         /* res2..res4 */
    .ascii  "ARM\x64"       /* magic */
    .word   0               /* res5 */
1:  mov     x19, x0
    adr     x20, _start
    movz    x1, #0x0900, lsl #16
    mov     x21, x19
    bl      hex
    mov     w3, #' '
    strb    w3, [x1]
    mov     x21, x20
    bl      hex
    mov     w3, #'\n'
    strb    w3, [x1]
    movz    x0, #0x8400, lsl #16
    add     x0, x0, #8      /* PSCI SYSTEM_OFF */
    hvc     #0
2:  b       2b

/* Prints x21 as 16 hex digits to the UART data register at x1. */
hex:
    mov     x2, #60
3:  lsr     x3, x21, x2
    and     x3, x3, #15
    cmp     x3, #10
    add     x4, x3, #'0'
    add     x5, x3, #('a' - 10)
    csel    x3, x4, x5, lo
    strb    w3, [x1]
    subs    x2, x2, #4
    b.pl    3b
    ret

    .section .note.GNU-stack, "", %progbits
