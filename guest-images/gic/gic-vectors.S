/* Vectors for the gic/ images: save the caller-saved registers, ELR and SPSR of the current EL,
 * call vector_handler(kind, frame) in C, restore and ERET. Works at EL1 and EL2. */
    .macro VENTRY n
    .balign 0x80
    sub     sp, sp, #(24 * 8)
    stp     x0, x1, [sp, #0]
    mov     x0, #\n
    b       vector_common
    .endm

    .text
    .balign 0x800
    .globl gic_vectors
gic_vectors:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    VENTRY  \n
    .endr

vector_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    mrs     x9, CurrentEL
    cmp     x9, #8
    b.eq    1f
    mrs     x10, elr_el1
    mrs     x11, spsr_el1
    b       2f
1:  mrs     x10, elr_el2
    mrs     x11, spsr_el2
2:  stp     x30, x10, [sp, #160]
    str     x11, [sp, #176]
    mov     x1, sp
    bl      vector_handler
    ldp     x30, x10, [sp, #160]
    ldr     x11, [sp, #176]
    mrs     x9, CurrentEL
    cmp     x9, #8
    b.eq    3f
    msr     elr_el1, x10
    msr     spsr_el1, x11
    b       4f
3:  msr     elr_el2, x10
    msr     spsr_el2, x11
4:  ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #(24 * 8)
    eret

    .section .note.GNU-stack, "", %progbits
