/*
 * loop.elf: a benchmark of raw interpreter speed.
 *
 * Three instructions per iteration, LOOP_COUNT iterations (~201M
 * instructions), then print x1 = sum(0 .. LOOP_COUNT-1) and power off.
 */
#define LOOP_COUNT 0x4000000        /* 67,108,864 */

    .text
    .globl main
    .type main, %function
main:
    stp     x29, x30, [sp, #-16]!
    mov     x0, #LOOP_COUNT
    mov     x1, #0
1:  subs    x0, x0, #1
    add     x1, x1, x0
    b.ne    1b

    mov     x19, x1
    adr     x0, msg
    bl      puts
    mov     x0, x19
    bl      put_hex64
    mov     w0, #10                 /* newline */
    bl      putc
    mov     w0, #0
    ldp     x29, x30, [sp], #16
    ret
    .size main, . - main

    .section .rodata
msg:
    .asciz  "loop: x1="

    .section .note.GNU-stack, "", %progbits
