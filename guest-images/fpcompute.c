/*
 * fpcompute.elf: a deterministic floating-point workload (and the FP benchmark guest), compiled
 * the ordinary way (-O2, FP/SIMD registers allowed, no vectorization so it is scalar FP).
 *
 * Each of ITERS rounds runs, in double and in float:
 *   - a 40x40 matrix multiply (C = A * B, then the trace and the sum of C),
 *   - a 512-point complex radix-2 FFT and its inverse (the round-trip error and the spectrum sum),
 *   - a Newton iteration for square roots next to FSQRT, divisions and fused multiply-adds,
 * and prints the results with a %f of its own (print_fixed) and as bit patterns.
 */
#include <stddef.h>
#include <stdint.h>
#include "uart.h"

#ifndef ITERS
#define ITERS 40
#endif

#define MN 40
#define FN 512

static double ad[MN][MN], bd[MN][MN], cd[MN][MN];
static float af[MN][MN], bf[MN][MN], cf[MN][MN];
static double re_d[FN], im_d[FN], re0_d[FN];
static float re_f[FN], im_f[FN], re0_f[FN];
static double tw_re[FN / 2], tw_im[FN / 2];

static uint32_t xs = 2463534242u;
static uint32_t xorshift32(void) { xs ^= xs << 13; xs ^= xs >> 17; xs ^= xs << 5; return xs; }
/* A pseudo-random double in [-1, 1). */
static double rnd(void) { return (double)(int32_t)xorshift32() / 2147483648.0; }

/* ---- printf("%.*f") of our own: sign, integer part, `digits` fraction digits (truncated) ---- */
static void print_fixed(const char *name, double x, int digits)
{
    puts(name);
    puts(": ");
    if (x < 0) { putc('-'); x = -x; }
    if (x >= 1e18) { puts("big\n"); return; }
    uint64_t ip = (uint64_t)x;
    double frac = x - (double)ip;
    char buf[24];
    int n = 0;
    do { buf[n++] = (char)('0' + ip % 10); ip /= 10; } while (ip);
    while (n) putc(buf[--n]);
    putc('.');
    for (int i = 0; i < digits; i++) {
        frac *= 10.0;
        int d = (int)frac;
        putc((char)('0' + d));
        frac -= d;
    }
    putc('\n');
}
static void print_bits(const char *name, uint64_t v) { puts(name); puts(": "); put_hex64(v); putc('\n'); }
static uint64_t dbits(double x) { union { double d; uint64_t u; } c = { x }; return c.u; }
static uint32_t fbits(float x) { union { float f; uint32_t u; } c = { x }; return c.u; }

/* ---- sin/cos for the twiddle factors: range-reduced Taylor series ---- */
static double sin_poly(double x)
{
    double x2 = x * x, term = x, sum = x;
    for (int k = 1; k < 12; k++) { term *= -x2 / ((2 * k) * (2 * k + 1)); sum += term; }
    return sum;
}
static double cos_poly(double x)
{
    double x2 = x * x, term = 1.0, sum = 1.0;
    for (int k = 1; k < 12; k++) { term *= -x2 / ((2 * k - 1) * (2 * k)); sum += term; }
    return sum;
}

static void make_twiddles(void)
{
    const double pi = 3.14159265358979323846;
    for (int k = 0; k < FN / 2; k++) {
        double a = -2.0 * pi * k / FN;
        tw_re[k] = cos_poly(a);
        tw_im[k] = sin_poly(a);
    }
}

static void fft_d(double *re, double *im, int inverse)
{
    for (int i = 1, j = 0; i < FN; i++) {
        int bit = FN >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) { double t = re[i]; re[i] = re[j]; re[j] = t; t = im[i]; im[i] = im[j]; im[j] = t; }
    }
    for (int len = 2; len <= FN; len <<= 1) {
        int step = FN / len;
        for (int i = 0; i < FN; i += len) {
            for (int k = 0; k < len / 2; k++) {
                double wr = tw_re[k * step], wi = inverse ? -tw_im[k * step] : tw_im[k * step];
                double xr = re[i + k + len / 2], xi = im[i + k + len / 2];
                double tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
                re[i + k + len / 2] = re[i + k] - tr;
                im[i + k + len / 2] = im[i + k] - ti;
                re[i + k] += tr;
                im[i + k] += ti;
            }
        }
    }
    if (inverse) for (int i = 0; i < FN; i++) { re[i] /= FN; im[i] /= FN; }
}

static void fft_f(float *re, float *im, int inverse)
{
    for (int i = 1, j = 0; i < FN; i++) {
        int bit = FN >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) { float t = re[i]; re[i] = re[j]; re[j] = t; t = im[i]; im[i] = im[j]; im[j] = t; }
    }
    for (int len = 2; len <= FN; len <<= 1) {
        int step = FN / len;
        for (int i = 0; i < FN; i += len) {
            for (int k = 0; k < len / 2; k++) {
                float wr = (float)tw_re[k * step], wi = (float)(inverse ? -tw_im[k * step] : tw_im[k * step]);
                float xr = re[i + k + len / 2], xi = im[i + k + len / 2];
                float tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
                re[i + k + len / 2] = re[i + k] - tr;
                im[i + k + len / 2] = im[i + k] - ti;
                re[i + k] += tr;
                im[i + k] += ti;
            }
        }
    }
    if (inverse) for (int i = 0; i < FN; i++) { re[i] /= FN; im[i] /= FN; }
}

static double newton_sqrt(double x)
{
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 30; i++) r = 0.5 * (r + x / r);
    return r;
}

int bench_main(void)
{
    double trace_d = 0, sum_d = 0, err_d = 0, spec_d = 0, sq_d = 0;
    float trace_f = 0, sum_f = 0, err_f = 0, spec_f = 0;
    make_twiddles();
    for (int it = 0; it < ITERS; it++) {
        for (int i = 0; i < MN; i++)
            for (int j = 0; j < MN; j++) {
                ad[i][j] = rnd(); bd[i][j] = rnd();
                af[i][j] = (float)rnd(); bf[i][j] = (float)rnd();
            }
        for (int i = 0; i < MN; i++)
            for (int j = 0; j < MN; j++) {
                double s = 0; float t = 0;
                for (int k = 0; k < MN; k++) { s += ad[i][k] * bd[k][j]; t += af[i][k] * bf[k][j]; }
                cd[i][j] = s; cf[i][j] = t;
            }
        for (int i = 0; i < MN; i++) { trace_d += cd[i][i]; trace_f += cf[i][i]; }
        for (int i = 0; i < MN; i++) for (int j = 0; j < MN; j++) { sum_d += cd[i][j]; sum_f += cf[i][j]; }

        for (int i = 0; i < FN; i++) {
            re0_d[i] = re_d[i] = rnd(); im_d[i] = 0;
            re0_f[i] = re_f[i] = (float)rnd(); im_f[i] = 0;
        }
        fft_d(re_d, im_d, 0);
        fft_f(re_f, im_f, 0);
        for (int i = 0; i < FN; i++) {
            spec_d += __builtin_sqrt(re_d[i] * re_d[i] + im_d[i] * im_d[i]);
            spec_f += __builtin_sqrtf(re_f[i] * re_f[i] + im_f[i] * im_f[i]);
        }
        fft_d(re_d, im_d, 1);
        fft_f(re_f, im_f, 1);
        for (int i = 0; i < FN; i++) {
            double e = re_d[i] - re0_d[i]; err_d += e < 0 ? -e : e;
            float g = re_f[i] - re0_f[i]; err_f += g < 0 ? -g : g;
        }
        for (int i = 1; i < 200; i++) sq_d += newton_sqrt((double)i * 1.5) - __builtin_sqrt((double)i * 1.5);
    }
    print_fixed("matmul_d trace", trace_d, 9);
    print_fixed("matmul_d sum", sum_d, 9);
    print_fixed("matmul_f trace", trace_f, 5);
    print_fixed("matmul_f sum", sum_f, 5);
    print_fixed("fft_d spectrum", spec_d, 9);
    print_fixed("fft_d roundtrip_err*1e12", err_d * 1e12, 6);
    print_fixed("fft_f spectrum", spec_f, 4);
    print_fixed("fft_f roundtrip_err*1e3", err_f * 1e3, 6);
    print_fixed("newton-fsqrt*1e15", sq_d * 1e15, 6);
    print_bits("bits_d", dbits(trace_d) ^ dbits(sum_d) ^ dbits(spec_d) ^ dbits(err_d) ^ dbits(sq_d));
    print_bits("bits_f", (uint64_t)fbits(trace_f) << 32 ^ fbits(sum_f) ^ fbits(spec_f) ^ fbits(err_f));
    puts("fpcompute: OK\n");
    return 0;
}
