/*
 * Entry of a secondary CPU started by PSCI CPU_ON with context id = its index (1..7): mask
 * interrupts, install the default vectors at the current EL, take the stack of that index and
 * call secondary_main(index). secondary_main ends with PSCI CPU_OFF and does not return.
 */
#define SEC_STACK 0x1000

    .text
    .globl secondary_entry
    .type secondary_entry, %function
secondary_entry:
    msr     daifset, #0xf
    mrs     x9, CurrentEL
    ubfx    x9, x9, #2, #2
    adrp    x10, default_vectors
    add     x10, x10, :lo12:default_vectors
    cmp     x9, #2
    b.hs    1f
    msr     vbar_el1, x10
    b       2f
1:  msr     vbar_el2, x10
2:  isb
    and     x0, x0, #7
    adrp    x10, sec_stacks
    add     x10, x10, :lo12:sec_stacks
    add     x11, x0, #1
    lsl     x11, x11, #12
    add     x10, x10, x11
    mov     sp, x10
    mov     x29, #0
    mov     x30, #0
    bl      secondary_main
3:  wfi
    b       3b
    .size secondary_entry, . - secondary_entry

    .section .bss.sec_stacks, "aw", %nobits
    .balign 16
    .globl sec_stacks
sec_stacks:
    .space  SEC_STACK * 8

    .section .note.GNU-stack, "", %progbits
