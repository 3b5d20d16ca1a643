/*
 * Entry of vCPU 1 (PSCI CPU_ON): EL1, MMU off, x0 = context id. Own vectors
 * and stack, then secondary_main(x0), then PSCI CPU_OFF by HVC.
 */
#define STACK_SIZE 0x1000

    .text
    .balign 4
    .globl secondary_entry
    .type secondary_entry, %function
secondary_entry:
    msr     daifset, #0xf
    adrp    x10, default_vectors
    add     x10, x10, :lo12:default_vectors
    msr     vbar_el1, x10
    isb
    adrp    x10, secondary_stack_top
    add     x10, x10, :lo12:secondary_stack_top
    mov     sp, x10
    mov     x29, #0
    mov     x30, #0
    bl      secondary_main
    movz    x0, #0x0002
    movk    x0, #0x8400, lsl #16        /* PSCI CPU_OFF */
    hvc     #0
1:  wfi
    b       1b
    .size secondary_entry, . - secondary_entry

    .section .bss.secondary_stack, "aw", %nobits
    .balign 16
    .space  STACK_SIZE
secondary_stack_top:

    .section .note.GNU-stack, "", %progbits
