/*
 * smp-step.elf (run with 2 or 4 CPUs at EL1): a target for the gdb stub's per-thread stepping.
 * CPU 0 starts CPU 1 and CPU 2 with PSCI CPU_ON (CPU 2 only when the board has it) and waits until
 * they run; CPU 3 stays off. Then each CPU loops on its own registers, so a test can tell which CPU
 * executed what:
 *   CPU 0 at `ready`:     x20 += 1, x21 += 2 forever (cpu0_loop)
 *   CPU 1 (x0 = 0x11):    x22 += 1, x23 += 3, x25 -= 1 until x25 = 0 (2^20 rounds), then
 *                         x24 += 1 forever at cpu1_done
 *   CPU 2 (x0 = 0x22):    WFI with every interrupt masked and none configured (it sleeps for
 *                         good), then x24 += 1 and back to the WFI
 * Standalone, linked at 0x40080000; nothing is printed and the image never powers off.
 */
#define PSCI_CPU_ON_64 0xc4000003

    .text
    .globl _start
_start:
    msr     daifset, #0xf
    movz    x0, #0xc400, lsl #16
    movk    x0, #0x0003
    mov     x1, #1
    adr     x2, cpu1_entry
    mov     x3, #0x11
    hvc     #0
    mov     x26, x0                 /* CPU_ON(1): 0 */
    movz    x0, #0xc400, lsl #16
    movk    x0, #0x0003
    mov     x1, #2
    adr     x2, cpu2_entry
    mov     x3, #0x22
    hvc     #0
    mov     x27, x0                 /* CPU_ON(2): 0, or -2 (INVALID_PARAMETERS) with 2 CPUs */
    adr     x9, started
1:  ldr     w10, [x9]
    cbz     w10, 1b
    cbnz    x27, ready
2:  ldr     w10, [x9, #4]
    cbz     w10, 2b
    .globl ready
ready:
    mov     x20, #0
    mov     x21, #0
    .globl cpu0_loop
cpu0_loop:
    add     x20, x20, #1
    add     x21, x21, #2
    b       cpu0_loop

    .globl cpu1_entry
cpu1_entry:
    msr     daifset, #0xf
    adr     x9, started
    mov     w10, #1
    str     w10, [x9]
    mov     x22, #0
    mov     x23, #0
    mov     x24, #0
    movz    x25, #0x10, lsl #16
    .globl cpu1_loop
cpu1_loop:
    add     x22, x22, #1
    add     x23, x23, #3
    subs    x25, x25, #1
    b.ne    cpu1_loop
    .globl cpu1_done
cpu1_done:
    add     x24, x24, #1
    b       cpu1_done

    .globl cpu2_entry
cpu2_entry:
    msr     daifset, #0xf
    adr     x9, started
    mov     w10, #1
    str     w10, [x9, #4]
    mov     x24, #0
    .globl cpu2_wfi
cpu2_wfi:
    wfi
    add     x24, x24, #1
    b       cpu2_wfi

    .data
    .balign 8
started:
    .word   0, 0

    .section .note.GNU-stack, "", %progbits
