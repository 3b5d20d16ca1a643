/*
 * EL1 vectors of pguest-abi: a synchronous exception taken from the current
 * EL (SPx) is recorded (ESR_EL1, FAR_EL1, count) and skipped (ELR_EL1 += 4):
 * the probe of an address outside the MMIO guard takes a synchronous
 * external abort and reports it. Every other vector is the default one.
 */
    .macro  DEFAULT n
    .balign 0x80
    b       default_vectors + (\n * 0x80)
    .endm

    .text
    .balign 0x800
    .globl abi_vectors
abi_vectors:
    DEFAULT 0
    DEFAULT 1
    DEFAULT 2
    DEFAULT 3
    .balign 0x80                    /* 0x200: synchronous, current EL, SPx */
    stp     x0, x1, [sp, #-16]!
    adrp    x1, sea_record
    add     x1, x1, :lo12:sea_record
    mrs     x0, esr_el1
    str     x0, [x1, #0]
    mrs     x0, far_el1
    str     x0, [x1, #8]
    ldr     x0, [x1, #16]
    add     x0, x0, #1
    str     x0, [x1, #16]
    mrs     x0, elr_el1
    add     x0, x0, #4
    msr     elr_el1, x0
    ldp     x0, x1, [sp], #16
    eret
    DEFAULT 5
    DEFAULT 6
    DEFAULT 7
    DEFAULT 8
    DEFAULT 9
    DEFAULT 10
    DEFAULT 11
    DEFAULT 12
    DEFAULT 13
    DEFAULT 14
    DEFAULT 15

/* uint32_t probe_read32(uint64_t addr): one 32-bit load (the instruction a
 * synchronous abort skips; x0 is then returned unchanged). */
    .globl probe_read32
    .type probe_read32, %function
probe_read32:
    ldr     w0, [x0]
    ret
    .size probe_read32, . - probe_read32

    .section .note.GNU-stack, "", %progbits
