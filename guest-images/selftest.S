/*
 * selftest.elf: one pass over the base A64 integer ISA.
 *
 * Every test prints one line "name: value" (or "name: a b", or
 * "name: value nzcv=f"), all in hex. Printed values never depend on where
 * the image is loaded: addresses are printed as differences from a label.
 *
 * Register conventions inside main:
 *   x19 = ld_data (read-only test pattern), x20 = st_buf (store scratch),
 *   x21 = at_buf (exclusives and atomics)
 *   x9          scratch of SETF and of the exception test
 *   x16-x18,x30 clobbered by the R / RF / R2 report macros
 * The report macros preserve every other register and NZCV, so inputs stay
 * in x1..x8 across several tests.
 */
    .arch armv8.1-a

/* ------------------------------------------------------------------ */
/* Macros                                                              */
/* ------------------------------------------------------------------ */

    /* reg = address of sym (any distance) */
    .macro LA reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
    .endm

    /* reg = address of a NUL-terminated copy of text in .rodata */
    .macro NAME reg, text
    .pushsection .rodata.names, "a"
.Lname\@:
    .asciz  "\text"
    .popsection
    adr     \reg, .Lname\@
    .endm

    /* print "text: <reg>" */
    .macro R text, reg=x0
    mov     x16, \reg
    NAME    x18, "\text"
    bl      do_report
    .endm

    /* print "text: <reg> nzcv=<NZCV>" */
    .macro RF text, reg=x0
    mov     x16, \reg
    NAME    x18, "\text"
    bl      do_report_f
    .endm

    /* print "text: <a> <b>" */
    .macro R2 text, a, b
    mov     x16, \a
    mov     x17, \b
    NAME    x18, "\text"
    bl      do_report2
    .endm

    /* NZCV = nzcv (a 4-bit value, N=8 Z=4 C=2 V=1) */
    .macro SETF nzcv
    mov     x9, #((\nzcv) << 28)
    msr     nzcv, x9
    .endm

    /* x0 = 16-bit mask: bit i set when b.cond is taken with NZCV = i */
    .macro BCOND cond
    mov     x0, #0
    mov     x3, #0
1:  lsl     x4, x3, #28
    msr     nzcv, x4
    b.\cond 2f
    b       3f
2:  mov     x5, #1
    lsl     x5, x5, x3
    orr     x0, x0, x5
3:  add     x3, x3, #1
    cmp     x3, #16
    b.ne    1b
    R       "b.\cond"
    .endm

    /* x0 = 16-bit mask: bit i = cset(cond) with NZCV = i */
    .macro CSETMASK cond
    mov     x0, #0
    mov     x3, #0
1:  lsl     x4, x3, #28
    msr     nzcv, x4
    cset    x5, \cond
    lsl     x5, x5, x3
    orr     x0, x0, x5
    add     x3, x3, #1
    cmp     x3, #16
    b.ne    1b
    R       "cset_\cond"
    .endm

    /* set bit `bit` of x0 if the branch (given without its target) is taken */
    .macro TAKEN bit, br:vararg
    \br     1f
    b       2f
1:  orr     x0, x0, #(1 << \bit)
2:
    .endm

    /* print st_buf[off .. off+15] as two little-endian doublewords */
    .macro DUMP text, off
    ldp     x16, x17, [x20, #\off]
    NAME    x18, "\text"
    bl      do_report2
    .endm

    /* zero st_buf (64 bytes) */
    .macro CLEAR_ST
    stp     xzr, xzr, [x20]
    stp     xzr, xzr, [x20, #16]
    stp     xzr, xzr, [x20, #32]
    stp     xzr, xzr, [x20, #48]
    .endm

    /* x3 = x1 - x19 (writeback offset) and print "text: x0 x3" */
    .macro RWB text
    sub     x3, x1, x19
    R2      "\text", x0, x3
    .endm

/* ------------------------------------------------------------------ */
/* Report trampolines: save x0-x15 and NZCV, call the C printer.      */
/* In: x16 = value (a), x17 = second value (b), x18 = name.            */
/* ------------------------------------------------------------------ */

    .macro TRAMPOLINE cfn, third
    stp     x29, x30, [sp, #-160]!
    stp     x0, x1, [sp, #16]
    stp     x2, x3, [sp, #32]
    stp     x4, x5, [sp, #48]
    stp     x6, x7, [sp, #64]
    stp     x8, x9, [sp, #80]
    stp     x10, x11, [sp, #96]
    stp     x12, x13, [sp, #112]
    stp     x14, x15, [sp, #128]
    mrs     x3, nzcv
    str     x3, [sp, #144]
    mov     x0, x18
    mov     x1, x16
    mov     x2, \third
    bl      \cfn
    ldr     x3, [sp, #144]
    msr     nzcv, x3
    ldp     x0, x1, [sp, #16]
    ldp     x2, x3, [sp, #32]
    ldp     x4, x5, [sp, #48]
    ldp     x6, x7, [sp, #64]
    ldp     x8, x9, [sp, #80]
    ldp     x10, x11, [sp, #96]
    ldp     x12, x13, [sp, #112]
    ldp     x14, x15, [sp, #128]
    ldp     x29, x30, [sp], #160
    ret
    .endm

    .text
do_report:
    TRAMPOLINE report, x17
do_report_f:
    TRAMPOLINE report_f, x3
do_report2:
    TRAMPOLINE report2, x17

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

    .globl main
    .type main, %function
main:
    stp     x29, x30, [sp, #-16]!
    mov     x29, sp
    LA      x19, ld_data
    LA      x20, st_buf
    LA      x21, at_buf
    NAME    x0, "selftest: start\n"
    bl      puts

/* ---- ADD/SUB (immediate) ---- */
    mov     x1, #3
    add     x0, x1, #2
    R       "add_imm"
    mov     x1, #0x10
    add     x0, x1, #0xabc, lsl #12
    R       "add_imm_lsl12"
    mov     w1, #-1
    add     w0, w1, #1
    R       "add_imm_w_wrap"
    mov     x1, #0x5000
    sub     x0, x1, #1, lsl #12
    R       "sub_imm_lsl12"
    sub     x0, x1, #0xfff
    R       "sub_imm"
    SETF    0
    mov     x1, #3
    adds    x0, x1, #2
    RF      "adds_imm"
    mov     x1, #-1
    adds    x0, x1, #1
    RF      "adds_imm_carry"
    mov     w1, #0x7fffffff
    adds    w0, w1, #1
    RF      "adds_imm_w_ovf"
    mov     x1, #0x7fffffffffffffff
    adds    x0, x1, #1, lsl #12
    RF      "adds_imm_lsl12_ovf"
    mov     x1, #3
    subs    x0, x1, #3
    RF      "subs_imm_zero"
    subs    x0, x1, #4
    RF      "subs_imm_neg"
    mov     w1, #0x80000000
    subs    w0, w1, #1
    RF      "subs_imm_w_ovf"
    mov     x1, #0x5000
    subs    x0, x1, #5, lsl #12
    RF      "subs_imm_lsl12"
    mov     x1, #0x10
    cmp     x1, #0x11
    RF      "cmp_imm", x1
    mov     w1, #-1
    cmn     w1, #1
    RF      "cmn_imm_w", x1
    mov     x2, sp
    add     x0, sp, #0x10
    sub     x0, x0, x2
    R       "add_imm_sp"
    sub     sp, sp, #0x20
    mov     x0, sp
    add     sp, sp, #0x20
    sub     x0, x2, x0
    R       "sub_imm_sp"
    SETF    0xf
    adds    x0, sp, #0x30
    sub     x0, x0, x2
    RF      "adds_imm_sp"

/* ---- logical (immediate) ---- */
    ldr     x1, =0x0123456789abcdef
    and     x0, x1, #0xff00ff00ff00ff00
    R       "and_imm"
    orr     x0, x1, #0x0f0f0f0f0f0f0f0f
    R       "orr_imm"
    eor     x0, x1, #0x5555555555555555
    R       "eor_imm"
    and     x0, x1, #0x7ffffffffffffffe
    R       "and_imm_run"
    eor     x0, x1, #0xfffffffffffffffe
    R       "eor_imm_63ones"
    orr     x0, x1, #0x0000fff000000000
    R       "orr_imm_mid"
    orr     w0, w1, #0xffff0000
    R       "orr_imm_w"
    eor     w0, w1, #0x3c3c3c3c
    R       "eor_imm_w"
    and     w0, w1, #0x80000001
    R       "and_imm_w"
    ldr     x1, =0xfedcba9876543210
    SETF    0
    ands    x0, x1, #0x8000000000000000
    RF      "ands_imm_neg"
    ands    w0, w1, #0xf
    RF      "ands_imm_w_zero"
    SETF    0xf
    ands    w0, w1, #0xff00ff00
    RF      "ands_imm_w"
    tst     x1, #0x1
    RF      "tst_imm", x1
    mov     x0, #0x00ff00ff00ff00ff
    R       "mov_bitmask"
    mov     x3, sp
    and     sp, x3, #0xfffffffffffffff0
    mov     x0, sp
    mov     sp, x3
    sub     x0, x0, x3
    R       "and_imm_sp"

/* ---- move wide ---- */
    movz    x0, #0x1234, lsl #48
    R       "movz_48"
    movz    w0, #0xbeef, lsl #16
    R       "movz_w"
    movn    x0, #0
    R       "movn_0"
    movn    x0, #0x1234, lsl #16
    R       "movn_16"
    movn    w0, #0x1234
    R       "movn_w"
    mov     x0, #-1
    movk    x0, #0x1111, lsl #16
    movk    x0, #0x2222, lsl #48
    R       "movk"
    mov     x0, #-1
    movk    w0, #0x3333
    R       "movk_w"

/* ---- ADR / ADRP ---- */
adr_a:
    adr     x0, adr_b
    adr     x1, adr_a
    sub     x0, x0, x1
adr_b:
    R       "adr_fwd"
adr_c:
    adr     x0, adr_c - 0x100
    adr     x1, adr_c
    sub     x0, x1, x0
    R       "adr_back"
    adrp    x0, page_b
    adrp    x1, page_a
    sub     x0, x0, x1
    R       "adrp_pages"
    adrp    x0, page_mid
    add     x0, x0, :lo12:page_mid
    adr     x1, page_mid
    sub     x0, x0, x1
    R       "adrp_lo12"
adrp_here:
    adrp    x0, adrp_here
    adr     x1, adrp_here
    and     x1, x1, #~0xfff
    sub     x0, x0, x1
    R       "adrp_self"

/* ---- bitfield, extract ---- */
    ldr     x1, =0xfedcba9876543210
    ldr     x2, =0x1234567880f0a0b0
    sbfm    x0, x1, #8, #15
    R       "sbfm"
    sbfm    x0, x2, #56, #7
    R       "sbfm_iz"
    ubfm    x0, x1, #4, #11
    R       "ubfm"
    ubfm    w0, w1, #24, #7
    R       "ubfm_w"
    ldr     x0, =0xaaaaaaaaaaaaaaaa
    bfm     x0, x1, #8, #15
    R       "bfm"
    ldr     x0, =0xaaaaaaaaaaaaaaaa
    bfm     w0, w2, #28, #3
    R       "bfm_w"
    asr     x0, x1, #4
    R       "asr_imm"
    asr     w0, w2, #31
    R       "asr_imm_w"
    lsl     x0, x1, #12
    R       "lsl_imm"
    lsl     w0, w2, #4
    R       "lsl_imm_w"
    lsr     x0, x1, #60
    R       "lsr_imm"
    lsr     w0, w2, #1
    R       "lsr_imm_w"
    sxtb    x0, w2
    R       "sxtb_x"
    sxth    x0, w2
    R       "sxth_x"
    sxtw    x0, w2
    R       "sxtw"
    sxtb    w0, w2
    R       "sxtb_w"
    sxth    w0, w2
    R       "sxth_w"
    uxtb    w0, w2
    R       "uxtb"
    uxth    w0, w2
    R       "uxth"
    sbfx    x0, x2, #24, #8
    R       "sbfx"
    ubfx    x0, x2, #24, #8
    R       "ubfx"
    sbfx    w0, w2, #28, #4
    R       "sbfx_w"
    ubfx    x0, x2, #32, #32
    R       "ubfx_hi"
    ldr     x0, =0xaaaaaaaaaaaaaaaa
    bfi     x0, x2, #16, #8
    R       "bfi"
    ldr     x0, =0xaaaaaaaaaaaaaaaa
    bfxil   x0, x2, #8, #16
    R       "bfxil"
    mov     x0, #-1
    bfi     w0, w2, #28, #4
    R       "bfi_w"
    sbfiz   x0, x2, #4, #8
    R       "sbfiz"
    ubfiz   w0, w2, #4, #8
    R       "ubfiz_w"
    extr    x0, x1, x2, #16
    R       "extr"
    extr    w0, w1, w2, #8
    R       "extr_w"
    extr    x0, x1, x2, #0
    R       "extr_0"
    ror     x0, x1, #12
    R       "ror_imm"
    ror     w0, w1, #4
    R       "ror_imm_w"

/* ---- branches ---- */
    mov     x0, #1
    b       1f
    mov     x0, #2
1:  R       "b_fwd"
    mov     x0, #0
    b       2f
1:  add     x0, x0, #0x10
    b       3f
2:  add     x0, x0, #1
    b       1b
3:  R       "b_back"

    mov     x0, #0
    bl      bl_target
bl_ret:
    R       "bl"
    adr     x2, br_target
    mov     x0, #7
    br      x2
    mov     x0, #8
br_target:
    R       "br"
    adr     x2, blr_target
    blr     x2
blr_ret:
    R       "blr"
    adr     x5, ret_target
    mov     x0, #0x77
    ret     x5
    mov     x0, #0x88
ret_target:
    R       "ret_x5"

    BCOND   eq
    BCOND   ne
    BCOND   cs
    BCOND   cc
    BCOND   mi
    BCOND   pl
    BCOND   vs
    BCOND   vc
    BCOND   hi
    BCOND   ls
    BCOND   ge
    BCOND   lt
    BCOND   gt
    BCOND   le
    BCOND   al
    BCOND   nv

    mov     x0, #0
    mov     x1, #0
    mov     x2, #1
    mov     x3, #0x100000000
    mov     x4, #0x8000000000000000
    TAKEN   0, cbz x1,
    TAKEN   1, cbz x2,
    TAKEN   2, cbnz x2,
    TAKEN   3, cbnz x1,
    TAKEN   4, cbz w3,
    TAKEN   5, cbnz w3,
    TAKEN   6, cbz x3,
    TAKEN   7, cbnz x4,
    R       "cbz_cbnz"
    mov     x0, #0
    TAKEN   0, tbz x2, #0,
    TAKEN   1, tbnz x2, #0,
    TAKEN   2, tbz x4, #63,
    TAKEN   3, tbnz x4, #63,
    TAKEN   4, tbnz x3, #32,
    TAKEN   5, tbz x3, #31,
    TAKEN   6, tbnz w2, #1,
    TAKEN   7, tbz x1, #17,
    R       "tbz_tbnz"

/* ---- ADD/SUB (shifted register) ---- */
    ldr     x1, =0x0123456789abcdef
    ldr     x2, =0x80000000fedc1234
    add     x0, x1, x2
    R       "add_reg"
    add     x0, x1, x2, lsl #4
    R       "add_lsl4"
    add     x0, x1, x2, lsr #8
    R       "add_lsr8"
    add     x0, x1, x2, asr #8
    R       "add_asr8"
    add     x0, x1, x2, lsl #63
    R       "add_lsl63"
    sub     x0, x1, x2, asr #63
    R       "sub_asr63"
    sub     x0, x1, x2, lsr #1
    R       "sub_lsr1"
    add     w0, w1, w2, lsl #31
    R       "add_w_lsl31"
    sub     w0, w1, w2, asr #4
    R       "sub_w_asr4"
    sub     w0, w1, w2, lsr #31
    R       "sub_w_lsr31"
    SETF    0
    adds    x0, x1, x2
    RF      "adds_reg"
    adds    x0, x2, x2
    RF      "adds_reg_ovf"
    subs    x0, x1, x1
    RF      "subs_reg_zero"
    subs    w0, w1, w2, lsl #1
    RF      "subs_w_lsl1"
    subs    x0, x2, x1, asr #2
    RF      "subs_asr2"
    cmp     x1, x2, lsr #1
    RF      "cmp_reg", x1
    cmn     w1, w2
    RF      "cmn_reg_w", x1
    neg     x0, x2, lsl #2
    R       "neg"
    negs    w0, w2
    RF      "negs_w"
    negs    x0, xzr
    RF      "negs_zero"

/* ---- ADD/SUB (extended register) ---- */
    ldr     x1, =0x1000000000000000
    ldr     x2, =0xfedcba98f6e5d4c3
    .irp ext, uxtb, uxth, uxtw, sxtb, sxth, sxtw
    .irp sh, 0, 1, 2, 3, 4
    add     x0, x1, w2, \ext #\sh
    R       "add_\ext\()_\sh"
    .endr
    .endr
    .irp ext, uxtx, sxtx
    .irp sh, 0, 1, 2, 3, 4
    add     x0, x1, x2, \ext #\sh
    R       "add_\ext\()_\sh"
    .endr
    .endr
    .irp ext, uxtb, uxth, uxtw, sxtb, sxth, sxtw
    sub     x0, x1, w2, \ext #2
    R       "sub_\ext\()_2"
    .endr
    add     w0, w1, w2, sxtb #2
    R       "add_w_sxtb_2"
    sub     w0, w1, w2, uxth #4
    R       "sub_w_uxth_4"
    SETF    0
    subs    x0, x1, w2, sxtw #2
    RF      "subs_sxtw_2"
    adds    w0, w1, w2, uxtb
    RF      "adds_w_uxtb"
    cmp     x1, w2, uxtw
    RF      "cmp_uxtw", x1
    mov     x3, sp
    mov     w4, #0x10
    add     x0, sp, w4, uxtw #2
    sub     x0, x0, x3
    R       "add_sp_uxtw_2"
    sub     sp, sp, x4, lsl #1
    mov     x0, sp
    add     sp, sp, x4, lsl #1
    sub     x0, x3, x0
    R       "sub_sp_lsl_1"

/* ---- logical (shifted register) ---- */
    ldr     x1, =0x0123456789abcdef
    ldr     x2, =0x8421fedc0f1e2d3c
    .irp op, and, bic, orr, orn, eor, eon
    .irp sh, lsl, lsr, asr, ror
    \op     x0, x1, x2, \sh #13
    R       "\op\()_\sh"
    .endr
    .endr
    .irp op, ands, bics
    .irp sh, lsl, lsr, asr, ror
    SETF    3
    \op     x0, x1, x2, \sh #13
    RF      "\op\()_\sh"
    .endr
    .endr
    .irp op, and, bic, orr, orn, eor, eon, ands, bics
    SETF    3
    \op     w0, w1, w2, ror #7
    RF      "\op\()_w_ror"
    .endr
    SETF    3
    bics    x0, x2, x2
    RF      "bics_zero"
    ands    x0, x2, x2, lsl #0
    RF      "ands_neg"
    tst     x1, x2, lsl #1
    RF      "tst_reg", x1
    mvn     x0, x2
    R       "mvn"
    mvn     w0, w2, lsl #4
    R       "mvn_w_lsl4"
    mov     x0, x2
    R       "mov_reg"
    mov     w0, w2
    R       "mov_reg_w"

/* ---- ADC / SBC ---- */
    ldr     x1, =0x0123456789abcdef
    ldr     x2, =0xfedcba9876543210
    SETF    0
    adc     x0, x1, x2
    RF      "adc_c0"
    SETF    2
    adc     x0, x1, x2
    RF      "adc_c1"
    SETF    2
    adcs    x0, x1, x2
    RF      "adcs_c1"
    SETF    0
    adcs    x0, x1, x2
    RF      "adcs_c0"
    SETF    2
    adcs    w0, w1, w2
    RF      "adcs_w_c1"
    SETF    0
    adc     w0, w1, w1
    RF      "adc_w"
    SETF    0
    sbc     x0, x1, x2
    RF      "sbc_c0"
    SETF    2
    sbc     x0, x1, x2
    RF      "sbc_c1"
    SETF    2
    sbcs    x0, x1, x1
    RF      "sbcs_c1"
    SETF    0
    sbcs    x0, x1, x1
    RF      "sbcs_c0"
    mov     w3, #0x80000000
    SETF    2
    sbcs    w0, w3, wzr
    RF      "sbcs_w_c1"
    SETF    0
    sbcs    w0, w3, wzr
    RF      "sbcs_w_c0"
    SETF    2
    ngc     x0, x2
    RF      "ngc_c1"
    SETF    0
    ngcs    x0, xzr
    RF      "ngcs_c0"

/* ---- conditional compare ---- */
    mov     x1, #5
    mov     x2, #5
    mov     x3, #7
    mov     x4, #-5
    mov     x5, #0x8000000000000000
    SETF    4
    ccmp    x1, x2, #0x9, eq
    RF      "ccmp_reg_true", xzr
    SETF    0
    ccmp    x1, x2, #0x9, eq
    RF      "ccmp_reg_false", xzr
    SETF    4
    ccmp    x1, x3, #0, eq
    RF      "ccmp_reg_lt", xzr
    SETF    4
    ccmp    x1, #31, #0, ne
    RF      "ccmp_imm_false", xzr
    SETF    0
    ccmp    w1, #5, #0xa, ne
    RF      "ccmp_imm_w_true", xzr
    SETF    0
    ccmp    x5, #1, #0, vc
    RF      "ccmp_imm_ovf", xzr
    SETF    0
    ccmn    x1, x2, #0xf, pl
    RF      "ccmn_reg_true", xzr
    SETF    0
    ccmn    x1, x4, #0, pl
    RF      "ccmn_reg_zero", xzr
    SETF    8
    ccmn    w1, #5, #0x3, pl
    RF      "ccmn_imm_w_false", xzr
    SETF    2
    ccmn    x4, #5, #0x8, hs
    RF      "ccmn_imm_true", xzr

/* ---- conditional select ---- */
    mov     x1, #0x11
    mov     x2, #0x22
    SETF    4
    csel    x0, x1, x2, eq
    R       "csel_true"
    csel    x0, x1, x2, ne
    R       "csel_false"
    csel    w0, w1, w2, eq
    R       "csel_w"
    csinc   x0, x1, x2, ne
    R       "csinc_false"
    csinc   x0, x1, x2, eq
    R       "csinc_true"
    csinv   x0, x1, x2, ne
    R       "csinv_false"
    csinv   w0, w1, w2, mi
    R       "csinv_w_false"
    csneg   x0, x1, x2, ne
    R       "csneg_false"
    csneg   w0, w1, w2, ne
    R       "csneg_w_false"
    cset    x0, eq
    R       "cset_x"
    cset    w0, ne
    R       "cset_w"
    csetm   x0, eq
    R       "csetm_x"
    csetm   w0, eq
    R       "csetm_w"
    cinc    x0, x1, eq
    R       "cinc"
    cinc    w0, w1, ne
    R       "cinc_w_false"
    cinv    x0, x1, eq
    R       "cinv"
    cneg    x0, x1, eq
    R       "cneg"
    CSETMASK eq
    CSETMASK ne
    CSETMASK cs
    CSETMASK cc
    CSETMASK mi
    CSETMASK pl
    CSETMASK vs
    CSETMASK vc
    CSETMASK hi
    CSETMASK ls
    CSETMASK ge
    CSETMASK lt
    CSETMASK gt
    CSETMASK le

/* ---- data processing, one source ---- */
    ldr     x1, =0x0123456789abcdef
    mov     x3, #1
    mov     x4, #-1
    rbit    x0, x1
    R       "rbit"
    rbit    w0, w1
    R       "rbit_w"
    rev     x0, x1
    R       "rev"
    rev     w0, w1
    R       "rev_w"
    rev16   x0, x1
    R       "rev16"
    rev16   w0, w1
    R       "rev16_w"
    rev32   x0, x1
    R       "rev32"
    clz     x0, x1
    R       "clz"
    clz     w0, w1
    R       "clz_w"
    clz     x0, xzr
    R       "clz_zero"
    clz     w0, wzr
    R       "clz_w_zero"
    clz     x0, x3
    R       "clz_one"
    cls     x0, x1
    R       "cls"
    cls     w0, w1
    R       "cls_w"
    cls     x0, xzr
    R       "cls_zero"
    cls     x0, x4
    R       "cls_ones"
    cls     w0, w4
    R       "cls_w_ones"

/* ---- division ---- */
    mov     x1, #100
    mov     x2, #7
    mov     x3, #-100
    mov     x4, #0x8000000000000000
    mov     x5, #-1
    mov     w6, #-1
    mov     w7, #0x80000000
    udiv    x0, x1, x2
    R       "udiv"
    udiv    x0, x1, xzr
    R       "udiv_by_zero"
    udiv    x0, x4, x5
    R       "udiv_big"
    sdiv    x0, x3, x2
    R       "sdiv_neg"
    sdiv    x0, x1, x3
    R       "sdiv_neg_divisor"
    sdiv    x0, x4, x5
    R       "sdiv_min_by_m1"
    sdiv    x0, x4, xzr
    R       "sdiv_by_zero"
    udiv    w0, w6, w2
    R       "udiv_w"
    udiv    w0, w6, wzr
    R       "udiv_w_by_zero"
    sdiv    w0, w6, w2
    R       "sdiv_w_small"
    sdiv    w0, w3, w2
    R       "sdiv_w_neg"
    sdiv    w0, w7, w5
    R       "sdiv_w_min_by_m1"
    sdiv    w0, w7, wzr
    R       "sdiv_w_by_zero"

/* ---- variable shifts ---- */
    ldr     x1, =0x8123456789abcdef
    mov     x2, #68
    mov     x3, #33
    mov     x4, #4
    mov     x5, #63
    lslv    x0, x1, x4
    R       "lslv"
    lsl     x0, x1, x2
    R       "lslv_mod"
    lsrv    x0, x1, x2
    R       "lsrv"
    asrv    x0, x1, x2
    R       "asrv"
    asr     x0, x1, x5
    R       "asrv_63"
    rorv    x0, x1, x2
    R       "rorv"
    lslv    w0, w1, w3
    R       "lslv_w"
    lsrv    w0, w1, w3
    R       "lsrv_w"
    asrv    w0, w1, w3
    R       "asrv_w"
    rorv    w0, w1, w3
    R       "rorv_w"

/* ---- multiply ---- */
    ldr     x1, =0x0123456789abcdef
    ldr     x2, =0xfedcba9876543210
    mov     x3, #0x1000
    mov     x4, #-1
    madd    x0, x1, x2, x3
    R       "madd"
    msub    x0, x1, x2, x3
    R       "msub"
    mul     x0, x1, x2
    R       "mul"
    mneg    x0, x1, x2
    R       "mneg"
    madd    w0, w1, w2, w3
    R       "madd_w"
    msub    w0, w1, w2, w3
    R       "msub_w"
    mul     w0, w1, w2
    R       "mul_w"
    smaddl  x0, w1, w2, x3
    R       "smaddl"
    umaddl  x0, w1, w2, x3
    R       "umaddl"
    smsubl  x0, w1, w2, x3
    R       "smsubl"
    umsubl  x0, w1, w2, x3
    R       "umsubl"
    smull   x0, w1, w2
    R       "smull"
    umull   x0, w1, w2
    R       "umull"
    smnegl  x0, w1, w2
    R       "smnegl"
    umnegl  x0, w1, w2
    R       "umnegl"
    smulh   x0, x1, x2
    R       "smulh"
    umulh   x0, x1, x2
    R       "umulh"
    smulh   x0, x4, x4
    R       "smulh_m1"
    umulh   x0, x4, x4
    R       "umulh_max"

/* ---- loads: unsigned offset ---- */
    ldrb    w0, [x19, #1]
    R       "ldrb"
    ldrsb   w0, [x19, #1]
    R       "ldrsb_w"
    ldrsb   x0, [x19, #1]
    R       "ldrsb_x"
    ldrsb   x0, [x19, #9]
    R       "ldrsb_x_pos"
    ldrh    w0, [x19, #2]
    R       "ldrh"
    ldrsh   w0, [x19, #2]
    R       "ldrsh_w"
    ldrsh   x0, [x19, #2]
    R       "ldrsh_x"
    ldr     w0, [x19, #4]
    R       "ldr_w"
    ldr     x0, [x19, #8]
    R       "ldr_x"
    ldrsw   x0, [x19, #16]
    R       "ldrsw"
    ldrsw   x0, [x19, #24]
    R       "ldrsw_pos"
    sub     x1, x19, #4000
    ldr     x0, [x1, #4056]
    R       "ldr_x_bigoff"
    sub     x1, x19, #4090
    ldrb    w0, [x1, #4095]
    R       "ldrb_maxoff"

/* ---- loads: pre/post-index (prints value and new base - ld_data) ---- */
    mov     x1, x19
    ldr     x0, [x1, #8]!
    RWB     "ldr_x_pre"
    ldr     w0, [x1, #8]!
    RWB     "ldr_w_pre"
    ldrsw   x0, [x1], #-12
    RWB     "ldrsw_post"
    ldrh    w0, [x1], #2
    RWB     "ldrh_post"
    ldrsh   w0, [x1, #2]!
    RWB     "ldrsh_w_pre"
    ldrsb   x0, [x1, #-2]!
    RWB     "ldrsb_x_pre"
    ldrb    w0, [x1], #255
    RWB     "ldrb_post"
    ldrsb   w0, [x1, #-256]!
    RWB     "ldrsb_w_pre"
    ldr     x0, [x1, #11]!
    RWB     "ldr_x_pre_odd"
    ldr     x0, [x1], #-16
    RWB     "ldr_x_post"
    ldrsh   x0, [x1, #30]!
    RWB     "ldrsh_x_pre"

/* ---- loads: register offset ---- */
    mov     x2, #3
    mov     x4, #-2
    mov     w5, #8
    ldr     x6, =0x100000004
    ldr     x0, [x19, x2, lsl #3]
    R       "ldr_x_reg_lsl3"
    ldr     w0, [x19, w2, uxtw #2]
    R       "ldr_w_uxtw2"
    ldrh    w0, [x19, x2, lsl #1]
    R       "ldrh_reg_lsl1"
    ldrsh   w0, [x19, x2, lsl #1]
    R       "ldrsh_w_reg_lsl1"
    ldrb    w0, [x19, x2]
    R       "ldrb_reg"
    ldrsb   x0, [x19, x2, lsl #0]
    R       "ldrsb_x_reg_lsl0"
    add     x1, x19, #32
    ldrsh   x0, [x1, w4, sxtw #1]
    R       "ldrsh_x_sxtw1"
    ldr     x0, [x1, w4, sxtw #3]
    R       "ldr_x_sxtw3"
    ldr     w0, [x1, x4, sxtx #2]
    R       "ldr_w_sxtx2"
    ldrsw   x0, [x1, x4, lsl #2]
    R       "ldrsw_reg_lsl2"
    ldrb    w0, [x1, w4, sxtw]
    R       "ldrb_sxtw"
    ldrsb   w0, [x1, x4, sxtx]
    R       "ldrsb_w_sxtx"
    ldr     x0, [x19, w5, uxtw]
    R       "ldr_x_uxtw"
    ldr     w0, [x19, w6, uxtw]
    R       "ldr_w_uxtw_hi_ignored"
    ldrh    w0, [x19, x5]
    R       "ldrh_reg_unscaled"

/* ---- loads: unscaled offset ---- */
    add     x1, x19, #32
    ldur    x0, [x1, #-8]
    R       "ldur_x"
    ldur    w0, [x1, #-4]
    R       "ldur_w"
    ldurh   w0, [x1, #-2]
    R       "ldurh"
    ldursh  x0, [x1, #-14]
    R       "ldursh_x"
    ldursh  w0, [x1, #-14]
    R       "ldursh_w"
    ldurb   w0, [x1, #3]
    R       "ldurb"
    ldursb  x0, [x1, #-17]
    R       "ldursb_x"
    ldursb  w0, [x1, #-13]
    R       "ldursb_w"
    ldursw  x0, [x1, #-16]
    R       "ldursw"
    ldur    x0, [x1, #8]
    R       "ldur_x_pos"

/* ---- loads: literal ---- */
    ldr     x0, lit64
    R       "ldr_lit_x"
    ldr     w0, lit32
    R       "ldr_lit_w"
    ldrsw   x0, lit32
    R       "ldrsw_lit"
    ldr     x0, =0xdeadbeefcafef00d
    R       "ldr_lit_pool"
    b       1f
    .balign 8
lit64:
    .quad   0x1122334455667788
lit32:
    .word   0x99aabbcc
    .word   0
1:

/* ---- stores ---- */
    ldr     x1, =0x1122334455667788
    CLEAR_ST
    strb    w1, [x20]
    strh    w1, [x20, #2]
    str     w1, [x20, #4]
    str     x1, [x20, #8]
    DUMP    "str_sizes", 0

    CLEAR_ST
    mov     x2, x20
    str     x1, [x2, #16]!
    sub     x3, x2, x20
    R       "str_x_pre_off", x3
    strb    wzr, [x2], #2
    sub     x3, x2, x20
    R       "strb_post_off", x3
    strh    wzr, [x2, #2]!
    sub     x3, x2, x20
    R       "strh_pre_off", x3
    str     w1, [x2, #4]!
    sub     x3, x2, x20
    R       "str_w_pre_off", x3
    ldr     x4, =0xa5a5a5a5a5a5a5a5
    str     x4, [x2, #8]
    str     w4, [x2], #-24
    sub     x3, x2, x20
    R       "str_w_post_off", x3
    DUMP    "str_idx_0", 0
    DUMP    "str_idx_16", 16

    CLEAR_ST
    mov     x5, #5
    str     w1, [x20, x5, lsl #2]
    strh    w1, [x20, w5, uxtw #1]
    strb    w1, [x20, x5]
    str     x1, [x20, w5, sxtw #3]
    mov     x6, #-1
    add     x7, x20, #64
    str     x1, [x7, x6, sxtx #3]
    DUMP    "str_reg_0", 0
    DUMP    "str_reg_16", 16
    DUMP    "str_reg_32", 32
    DUMP    "str_reg_48", 48

    CLEAR_ST
    add     x2, x20, #32
    stur    x1, [x2, #-8]
    stur    w1, [x2, #-12]
    sturh   w1, [x2, #-14]
    sturb   w1, [x2, #1]
    stur    x1, [x2, #16]
    DUMP    "stur_0", 0
    DUMP    "stur_16", 16
    DUMP    "stur_32", 32
    DUMP    "stur_48", 48

    str     x1, [sp, #-16]!
    ldr     x0, [sp], #16
    R       "str_ldr_sp"

/* ---- load/store pair ---- */
    ldp     x3, x4, [x19]
    R2      "ldp_x", x3, x4
    ldp     w3, w4, [x19, #8]
    R2      "ldp_w", x3, x4
    mov     x1, x19
    ldp     x3, x4, [x1, #16]!
    sub     x5, x1, x19
    R2      "ldp_x_pre", x3, x5
    ldp     x3, x4, [x1], #-16
    sub     x5, x1, x19
    R2      "ldp_x_post", x4, x5
    ldp     w3, w4, [x1, #24]!
    sub     x5, x1, x19
    R2      "ldp_w_pre", x3, x4
    R       "ldp_w_pre_off", x5
    ldpsw   x3, x4, [x19, #16]
    R2      "ldpsw", x3, x4
    ldpsw   x3, x4, [x1, #-8]!
    sub     x5, x1, x19
    R2      "ldpsw_pre", x4, x5
    ldpsw   x3, x4, [x1], #32
    sub     x5, x1, x19
    R2      "ldpsw_post", x3, x5
    add     x1, x19, #64
    ldp     x3, x4, [x1, #-64]
    R2      "ldp_x_negoff", x3, x4
    ldnp    x3, x4, [x19, #32]
    R2      "ldnp_x", x3, x4
    ldnp    w3, w4, [x19, #40]
    R2      "ldnp_w", x3, x4

    ldr     x1, =0x1122334455667788
    ldr     x2, =0x99aabbccddeeff00
    CLEAR_ST
    stp     x1, x2, [x20]
    stp     w1, w2, [x20, #16]
    mov     x5, x20
    stp     x2, x1, [x5, #32]!
    sub     x6, x5, x20
    R       "stp_x_pre_off", x6
    stp     w2, w1, [x5], #-8
    sub     x6, x5, x20
    R       "stp_w_post_off", x6
    DUMP    "stp_0", 0
    DUMP    "stp_16", 16
    DUMP    "stp_32", 32
    CLEAR_ST
    stnp    x2, x1, [x20, #48]
    stnp    w1, w2, [x20, #8]
    stp     x1, x2, [sp, #-16]!
    ldp     x3, x4, [sp], #16
    DUMP    "stnp_0", 0
    DUMP    "stnp_48", 48
    R2      "stp_ldp_sp", x3, x4

/* ---- exclusives ---- */
    mov     x1, #5
    str     x1, [x21]
    ldxr    x0, [x21]
    add     x0, x0, #1
    stxr    w2, x0, [x21]
    ldr     x3, [x21]
    R2      "ldxr_stxr", x2, x3
    stxr    w2, x1, [x21]
    ldr     x3, [x21]
    R2      "stxr_no_monitor", x2, x3
    ldaxr   w0, [x21]
    add     w0, w0, #1
    stlxr   w2, w0, [x21]
    ldr     x3, [x21]
    R2      "ldaxr_stlxr_w", x2, x3
    ldxrb   w0, [x21]
    add     w0, w0, #0xff
    stxrb   w2, w0, [x21]
    ldr     x3, [x21]
    R2      "ldxrb_stxrb", x2, x3
    ldaxrh  w0, [x21]
    sub     w0, w0, #7
    stlxrh  w2, w0, [x21]
    ldr     x3, [x21]
    R2      "ldaxrh_stlxrh", x2, x3
    ldxrh   w0, [x21, #0]
    stxrh   w2, wzr, [x21]
    ldr     x3, [x21]
    R2      "ldxrh_stxrh", x2, x3

    ldr     x1, =0x1111111111111111
    ldr     x2, =0x2222222222222222
    stp     x1, x2, [x21]
    ldxp    x3, x4, [x21]
    stxp    w5, x4, x3, [x21]
    ldp     x6, x7, [x21]
    R2      "ldxp_x", x3, x4
    R2      "stxp_x", x6, x7
    R       "stxp_x_status", x5
    ldr     x3, =0x0123456789abcdef
    str     x3, [x21]
    ldaxp   w3, w4, [x21]
    stlxp   w5, w4, w3, [x21]
    ldp     x6, x7, [x21]
    R2      "ldaxp_w", x3, x4
    R2      "stlxp_w", x6, x7
    R       "stlxp_w_status", x5
    ldxr    x0, [x21]
    clrex
    stxr    w2, x1, [x21]
    ldr     x3, [x21]
    R2      "clrex_stxr", x2, x3

    ldr     x1, =0x0123456789abcdef
    stlr    x1, [x21]
    ldar    x0, [x21]
    R       "stlr_ldar_x"
    add     x3, x21, #8
    stlr    w1, [x3]
    ldar    w0, [x3]
    R       "stlr_ldar_w"
    stlrb   w1, [x21]
    ldarb   w0, [x21]
    ldr     x4, [x21]
    R2      "stlrb_ldarb", x0, x4
    stlrh   wzr, [x21, #0]
    ldarh   w0, [x21]
    ldr     x4, [x21]
    R2      "stlrh_ldarh", x0, x4

/* ---- LSE: compare and swap ---- */
    mov     x1, #10
    str     x1, [x21]
    mov     x0, #10
    mov     x2, #20
    cas     x0, x2, [x21]
    ldr     x3, [x21]
    R2      "cas_x_ok", x0, x3
    mov     x0, #11
    mov     x2, #99
    cas     x0, x2, [x21]
    ldr     x3, [x21]
    R2      "cas_x_fail", x0, x3
    mov     w0, #20
    mov     w2, #30
    casa    w0, w2, [x21]
    ldr     x3, [x21]
    R2      "casa_w_ok", x0, x3
    mov     w0, #0
    mov     w2, #40
    casl    w0, w2, [x21]
    ldr     x3, [x21]
    R2      "casl_w_fail", x0, x3
    mov     x0, #30
    mov     x2, #-1
    casal   x0, x2, [x21]
    ldr     x3, [x21]
    R2      "casal_x_ok", x0, x3
    mov     w0, #0xff
    mov     w2, #0x12
    casb    w0, w2, [x21]
    ldr     x3, [x21]
    R2      "casb_ok", x0, x3
    mov     w0, #0
    mov     w2, #0
    casah   w0, w2, [x21]
    ldr     x3, [x21]
    R2      "casah_fail", x0, x3
    mov     w0, #0xff12
    mov     w2, #0x3456
    caslh   w0, w2, [x21]
    ldr     x3, [x21]
    R2      "caslh_ok", x0, x3
    mov     w0, #0x55
    mov     w2, #0x77
    casalb  w0, w2, [x21]
    ldr     x3, [x21]
    R2      "casalb_fail", x0, x3

    ldr     x6, =0x1111111111111111
    ldr     x7, =0x2222222222222222
    stp     x6, x7, [x21]
    mov     x0, x6
    mov     x1, x7
    ldr     x2, =0xaaaaaaaaaaaaaaaa
    ldr     x3, =0xbbbbbbbbbbbbbbbb
    casp    x0, x1, x2, x3, [x21]
    ldp     x4, x5, [x21]
    R2      "casp_ok_old", x0, x1
    R2      "casp_ok_mem", x4, x5
    mov     x0, #0
    mov     x1, #0
    mov     x2, #0
    mov     x3, #0
    caspa   x0, x1, x2, x3, [x21]
    ldp     x4, x5, [x21]
    R2      "caspa_fail_old", x0, x1
    R2      "caspa_fail_mem", x4, x5
    mov     w0, #0xaaaaaaaa
    mov     w1, #0xaaaaaaaa
    ldr     w2, =0x12345678
    ldr     w3, =0x9abcdef0
    caspal  w0, w1, w2, w3, [x21]
    ldp     x4, x5, [x21]
    R2      "caspal_w_ok_old", x0, x1
    R2      "caspal_w_ok_mem", x4, x5

/* ---- LSE: swap ---- */
    ldr     x6, =0x8070605040302010
    ldr     x7, =0xf0e0d0c0b0a09080
    str     x6, [x21]
    swp     x7, x0, [x21]
    ldr     x3, [x21]
    R2      "swp_x", x0, x3
    str     x6, [x21]
    swpb    w7, w0, [x21]
    ldr     x3, [x21]
    R2      "swpb", x0, x3
    str     x6, [x21]
    swph    w7, w0, [x21]
    ldr     x3, [x21]
    R2      "swph", x0, x3
    str     x6, [x21]
    swpal   w7, w0, [x21]
    ldr     x3, [x21]
    R2      "swpal_w", x0, x3

/* ---- LSE: atomic memory operations, all sizes ----
 * memory = 0x8070605040302010, operand = 0xf0e0d0c0b0a09080;
 * prints the old value returned and the whole doubleword afterwards. */
    .macro  LSE_ALL op
    str     x6, [x21]
    \op\()b w7, w0, [x21]
    ldr     x3, [x21]
    R2      "\op\()b", x0, x3
    str     x6, [x21]
    \op\()h w7, w0, [x21]
    ldr     x3, [x21]
    R2      "\op\()h", x0, x3
    str     x6, [x21]
    \op     w7, w0, [x21]
    ldr     x3, [x21]
    R2      "\op\()_w", x0, x3
    str     x6, [x21]
    \op     x7, x0, [x21]
    ldr     x3, [x21]
    R2      "\op\()_x", x0, x3
    .endm

    .irp op, ldadd, ldclr, ldeor, ldset, ldsmax, ldsmin, ldumax, ldumin
    LSE_ALL \op
    .endr

    /* acquire/release forms and the ST<op> aliases */
    .irp op, ldadda, ldclral, ldeorl, ldsetal, ldsmaxa, ldsminl, ldumaxal, ldumina
    str     x6, [x21]
    \op     x7, x0, [x21]
    ldr     x3, [x21]
    R2      "\op\()_x", x0, x3
    .endr
    .irp op, ldaddalb, ldclrah, ldeoralh, ldsetlb
    str     x6, [x21]
    \op     w7, w0, [x21]
    ldr     x3, [x21]
    R2      "\op", x0, x3
    .endr
    str     x6, [x21]
    mov     x0, #0x5a
    stadd   x7, [x21]
    ldr     x3, [x21]
    R2      "stadd_x", x0, x3
    str     x6, [x21]
    stclrlb w7, [x21]
    ldr     x3, [x21]
    R       "stclrlb", x3
    str     x6, [x21]
    steorh  w7, [x21]
    ldr     x3, [x21]
    R       "steorh", x3
    str     x6, [x21]
    stsmax  w7, [x21]
    ldr     x3, [x21]
    R       "stsmax_w", x3
    str     x6, [x21]
    stumin  x7, [x21]
    ldr     x3, [x21]
    R       "stumin_x", x3

/* ---- prefetch (no architectural effect) ---- */
    mov     x0, #0
    mov     x2, #1
    prfm    pldl1keep, [x19]
    add     x0, x0, #1
    prfm    pstl2strm, [x19, #64]
    add     x0, x0, #1
    prfm    plil3keep, [x19, x2, lsl #3]
    add     x0, x0, #1
    prfum   pldl1strm, [x19, #-3]
    add     x0, x0, #1
    prfm    pldl2keep, lit64
    add     x0, x0, #1
    prfm    #0x1f, [x19]
    add     x0, x0, #1
    R       "prfm"

/* ---- system registers, hints, barriers ---- */
    mov     x1, #0xa0000000
    msr     nzcv, x1
    mrs     x0, nzcv
    R       "msr_mrs_nzcv"
    mov     x1, #0xffffffff
    msr     nzcv, x1
    mrs     x0, nzcv
    R       "msr_nzcv_res0"
    mrs     x0, daif
    R       "daif_boot"
    msr     daifclr, #0xf
    mrs     x0, daif
    R       "daifclr"
    msr     daifset, #0x5
    mrs     x0, daif
    R       "daifset"
    mov     x1, #0x280
    msr     daif, x1
    mrs     x0, daif
    R       "msr_daif"
    msr     daifset, #0xf
    mrs     x0, daif
    R       "daif_restored"
    ldr     x1, =0xfedcba9876543210
    msr     tpidr_el0, x1
    mrs     x0, tpidr_el0
    R       "tpidr_el0"
    msr     tpidr_el0, xzr
    mrs     x0, tpidr_el0
    R       "tpidr_el0_zero"

    mov     x0, #0
    nop
    add     x0, x0, #1
    yield
    add     x0, x0, #1
    sev
    add     x0, x0, #1
    sevl
    add     x0, x0, #1
    wfe                             /* returns at once: the event register is set */
    add     x0, x0, #1
    hint    #0x7f                   /* unallocated hint: executes as NOP */
    add     x0, x0, #1
    csdb
    add     x0, x0, #1
    R       "hints"
    mov     x0, #0
    dsb     sy
    add     x0, x0, #1
    dsb     ish
    add     x0, x0, #1
    dsb     nshst
    add     x0, x0, #1
    dmb     ish
    add     x0, x0, #1
    dmb     ishld
    add     x0, x0, #1
    dmb     oshst
    add     x0, x0, #1
    isb
    add     x0, x0, #1
    R       "barriers"

/* ---- synchronous exceptions ----
 * st_vectors records ESR, ELR, SPSR, FAR and the vector offset in exc_rec,
 * steps ELR over the faulting instruction (SVC already points past it) and
 * returns with ERET. Prints ESR, ELR - label, SPSR (NZCV, DAIF, M[3:0]),
 * the vector offset and, where meaningful, FAR - address. */
    LA      x1, st_vectors
    bl      set_vbar
    mov     x22, x0                 /* previous VBAR */
    ldr     x23, =0xf00003cf        /* SPSR bits printed */

    SETF    6
exc_svc:
    svc     #0x42
    RF      "svc_return", xzr
    adr     x7, exc_svc
    bl      load_exc_rec
    R2      "svc_esr_elr", x2, x3
    R2      "svc_spsr_vector", x4, x6

    SETF    9
exc_brk:
    brk     #7
    RF      "brk_return", xzr
    adr     x7, exc_brk
    bl      load_exc_rec
    R2      "brk_esr_elr", x2, x3
    R2      "brk_spsr_vector", x4, x6

    SETF    0
exc_udf:
    .inst   0x00000000              /* UDF #0 */
    adr     x7, exc_udf
    bl      load_exc_rec
    R2      "udf_esr_elr", x2, x3
    R2      "udf_spsr_vector", x4, x6

    add     x8, x21, #1
    mov     x0, #0x1234
exc_align:
    ldxr    x0, [x8]                /* misaligned exclusive: alignment fault */
    R       "align_x0_unchanged"
    adr     x7, exc_align
    bl      load_exc_rec
    sub     x5, x5, x8
    R2      "align_esr_elr", x2, x3
    R2      "align_spsr_vector", x4, x6
    R       "align_far", x5

    mov     x1, x22
    bl      set_vbar

    NAME    x0, "selftest: done\n"
    bl      puts
    mov     w0, #0
    ldp     x29, x30, [sp], #16
    ret
    .size main, . - main

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

bl_target:                          /* x0 = x30 - bl_ret + 0x55 */
    adr     x9, bl_ret
    sub     x0, x30, x9
    add     x0, x0, #0x55
    ret

blr_target:                         /* x0 = x30 - blr_ret + 0x66 */
    adr     x9, blr_ret
    sub     x0, x30, x9
    add     x0, x0, #0x66
    ret

/* VBAR of the current EL = x1; returns the previous value in x0 */
set_vbar:
    mrs     x9, CurrentEL
    cmp     x9, #8
    b.eq    1f
    mrs     x0, vbar_el1
    msr     vbar_el1, x1
    isb
    ret
1:  mrs     x0, vbar_el2
    msr     vbar_el2, x1
    isb
    ret

/* x2 = ESR, x3 = ELR - x7, x4 = SPSR & x23, x5 = FAR, x6 = vector offset */
load_exc_rec:
    LA      x9, exc_rec
    ldp     x2, x3, [x9]
    ldp     x4, x5, [x9, #16]
    ldr     x6, [x9, #32]
    sub     x3, x3, x7
    and     x4, x4, x23
    ret

/* Vectors for the exception test. Clobbers x9-x15 of the interrupted code
 * (the tests above keep nothing there across an exception). */
    .balign 0x800
st_vectors:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .balign 0x80
    mov     x10, #(\n * 0x80)
    b       st_exception
    .endr

st_exception:
    mrs     x9, CurrentEL
    cmp     x9, #8
    b.eq    1f
    mrs     x11, esr_el1
    mrs     x12, elr_el1
    mrs     x13, spsr_el1
    mrs     x14, far_el1
    b       2f
1:  mrs     x11, esr_el2
    mrs     x12, elr_el2
    mrs     x13, spsr_el2
    mrs     x14, far_el2
2:  LA      x15, exc_rec
    stp     x11, x12, [x15]
    stp     x13, x14, [x15, #16]
    str     x10, [x15, #32]
    lsr     x15, x11, #26           /* EC */
    cmp     x15, #0x15              /* SVC: ELR is already the next insn */
    b.eq    4f
    add     x12, x12, #4
    cmp     x9, #8
    b.eq    3f
    msr     elr_el1, x12
    b       4f
3:  msr     elr_el2, x12
4:  eret

    .ltorg

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

    .data
    .balign 16
ld_data:                            /* read-only pattern for the load tests */
    .byte   0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88
    .byte   0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10
    .byte   0xf1, 0xe2, 0xd3, 0xc4, 0xb5, 0xa6, 0x97, 0x88
    .byte   0x19, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x70
    .byte   0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98
    .byte   0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f, 0x1e
    .byte   0x31, 0x42, 0x53, 0x64, 0x75, 0x86, 0x97, 0xa8
    .byte   0xb9, 0xca, 0xdb, 0xec, 0xfd, 0x0e, 0x1f, 0x2e

    .bss
    .balign 16
st_buf:     .space  64              /* store scratch */
at_buf:     .space  64              /* exclusives / atomics */
exc_rec:    .space  48              /* ESR, ELR, SPSR, FAR, vector offset */

    .balign 4096
page_a:     .space  0x1010          /* ADRP test: page_b - page_a = 0x2000 */
page_mid:   .space  0xff0
page_b:     .space  16

    .section .note.GNU-stack, "", %progbits
