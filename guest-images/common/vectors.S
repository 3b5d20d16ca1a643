/*
 * Default exception vectors, installed by start.S at the current EL.
 * Any exception is unexpected: report it on the UART and power off.
 */
    .macro  VENTRY n
    .balign 0x80
    mov     x0, #\n
    b       default_exception
    .endm

    .text
    .balign 0x800
    .globl default_vectors
default_vectors:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    VENTRY  \n
    .endr

default_exception:
    mrs     x4, CurrentEL
    cmp     x4, #8                  /* EL2? */
    b.eq    1f
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       2f
1:  mrs     x1, esr_el2
    mrs     x2, elr_el2
    mrs     x3, far_el2
2:  bl      unexpected_exception    /* does not return */
3:  wfi
    b       3b

    .section .note.GNU-stack, "", %progbits
