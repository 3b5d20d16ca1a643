/*
 * Exception vectors for the MMU guest images: every vector saves x0-x30,
 * calls mmu_exception(frame, index) and either returns to the interrupted
 * code (ERET, with whatever ELR the handler set) or, when the handler returns
 * 1, ends run_lower() with the lower level's x0. Also the probes and the stubs
 * run at the lower level.
 */
#define FRAME 256

    .macro  VENTRY n
    .balign 0x80
    sub     sp, sp, #FRAME
    stp     x0, x1, [sp, #0]
    mov     x1, #\n
    b       trap_common
    .endm

    .text
    .balign 0x800
    .globl mmu_vectors
mmu_vectors:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    VENTRY  \n
    .endr

trap_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mov     x0, sp
    bl      mmu_exception
    cbnz    x0, lower_done
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME
    eret

    /* run_lower ends: x0 of the lower level, then the context saved by run_lower. */
lower_done:
    ldr     x0, [sp, #0]
    adrp    x9, lower_ctx
    add     x9, x9, :lo12:lower_ctx
    ldp     x19, x20, [x9, #0]
    ldp     x21, x22, [x9, #16]
    ldp     x23, x24, [x9, #32]
    ldp     x25, x26, [x9, #48]
    ldp     x27, x28, [x9, #64]
    ldp     x29, x30, [x9, #80]
    ldr     x10, [x9, #96]
    mov     sp, x10
    ret

    .globl install_vectors
install_vectors:
    adrp    x0, mmu_vectors
    add     x0, x0, :lo12:mmu_vectors
    mrs     x1, CurrentEL
    cmp     x1, #8
    b.eq    1f
    msr     vbar_el1, x0
    isb
    ret
1:  msr     vbar_el2, x0
    isb
    ret

    /* u64 run_lower(u64 entry, u64 arg, u64 sp1) */
    .globl run_lower
run_lower:
    adrp    x9, lower_ctx
    add     x9, x9, :lo12:lower_ctx
    stp     x19, x20, [x9, #0]
    stp     x21, x22, [x9, #16]
    stp     x23, x24, [x9, #32]
    stp     x25, x26, [x9, #48]
    stp     x27, x28, [x9, #64]
    stp     x29, x30, [x9, #80]
    mov     x10, sp
    str     x10, [x9, #96]
    mov     x5, x0                  /* the function, called by the trampoline */
    mrs     x3, CurrentEL
    cmp     x3, #8
    b.eq    1f
    adrp    x0, tramp_el0
    add     x0, x0, :lo12:tramp_el0
    msr     elr_el1, x0
    mov     x4, #0x3c0              /* EL0t, DAIF masked */
    msr     spsr_el1, x4
    b       2f
1:  adrp    x0, tramp_el1
    add     x0, x0, :lo12:tramp_el1
    msr     elr_el2, x0
    msr     sp_el1, x2
    mov     x4, #0x3c5              /* EL1h, DAIF masked */
    msr     spsr_el2, x4
2:  mov     x0, x1
    eret

    /* At the lower level: call x5(x0), then trap back with the result in x0. */
tramp_el0:
    blr     x5
    svc     #0
tramp_el1:
    blr     x5
    hvc     #0

    .globl probe_load
probe_load:
    ldr     x0, [x0]
    ret

    .globl probe_store
probe_store:
    str     x1, [x0]
    ret

    .globl probe_exec
probe_exec:
    stp     x29, x30, [sp, #-16]!
    blr     x0
    ldp     x29, x30, [sp], #16
    ret

    /* Functions for EL0 (which runs them as execute-only memory). */
    .balign 64
    .globl el0_load
el0_load:
    ldr     x0, [x0]
    ret
    .globl el0_store
el0_store:
    str     x0, [x0]
    ret

    .bss
    .balign 16
lower_ctx:
    .space  112

    .section .note.GNU-stack, "", %progbits
