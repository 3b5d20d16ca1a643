/*
 * Entry point shared by every guest image.
 *
 * Works whether the image is entered at EL1 (QEMU `-M virt`) or at EL2
 * (QEMU `-M virt,virtualization=on`): it reads CurrentEL and uses the
 * registers of that level. MMU and caches stay off; the guest runs on
 * physical addresses.
 *
 *   1. mask interrupts, install default_vectors at the current EL
 *   2. SP = top of a stack inside .bss
 *   3. zero .bss (including the stack)
 *   4. main()
 *   5. PSCI SYSTEM_OFF (HVC at EL1, SMC at EL2)
 *
 * Only x9-x11 are used before `bl main`, so x0-x7 at entry reach main() as
 * its arguments: images that take parameters from the VMM declare
 * main(uint64_t x0, uint64_t x1, uint64_t x2) (see pguest-hello.c, toucher.c).
 */
#define STACK_SIZE 0x4000

    .section .text.start, "ax"
    .globl _start
    .type _start, %function
_start:
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

    adrp    x10, stack_top
    add     x10, x10, :lo12:stack_top
    mov     sp, x10

    adrp    x10, __bss_start
    add     x10, x10, :lo12:__bss_start
    adrp    x11, __bss_end
    add     x11, x11, :lo12:__bss_end
3:  cmp     x10, x11
    b.hs    4f
    stp     xzr, xzr, [x10], #16
    b       3b
4:
    mov     x29, #0
    mov     x30, #0
    bl      main
    bl      psci_system_off
5:  wfi
    b       5b
    .size _start, . - _start

    .section .bss.stack, "aw", %nobits
    .balign 16
stack_bottom:
    .space  STACK_SIZE
stack_top:

    .section .note.GNU-stack, "", %progbits
