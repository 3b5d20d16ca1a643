/*
 * compute.elf: a deterministic integer workload (and the benchmark guest).
 *
 * Each of ITERS rounds runs, on data generated from a per-round seed:
 *   - CRC-32 (IEEE, reflected 0xEDB88320) bitwise and table-driven
 *   - insertion sort and quicksort of pseudo-random u32 (xorshift32)
 *   - a sieve of Eratosthenes up to 100000
 *   - a 64-bit multiply / divide mixing loop
 * and folds every result into a checksum. The results of the last round
 * and the checksum are printed in hex.
 *
 * Override the amount of work with -DITERS=n (make ITERS=n).
 */
#include <stddef.h>
#include <stdint.h>
#include "uart.h"

#ifndef ITERS
#define ITERS 20
#endif

#define BUF_LEN    8192
#define ISORT_N    1500
#define QSORT_N    5000
#define SIEVE_N    100000
#define MIX_ROUNDS 20000

static uint8_t  buf[BUF_LEN];
static uint32_t crc_table[256];
static uint32_t arr_i[ISORT_N];
static uint32_t arr_q[QSORT_N];
static uint8_t  composite[SIEVE_N + 1];

/* ---- pseudo-random numbers ---- */

static uint32_t xs_state;

static uint32_t xorshift32(void)
{
    uint32_t x = xs_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return xs_state = x;
}

static uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32 - r));
}

/* ---- CRC-32 ---- */

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

static void crc32_make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_table(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- sorting ---- */

static void insertion_sort(uint32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void swap_u32(uint32_t *x, uint32_t *y)
{
    uint32_t t = *x;
    *x = *y;
    *y = t;
}

/* Hoare partition around the median of three; recurse on the smaller side. */
static void quicksort(uint32_t *a, long lo, long hi)
{
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap_u32(&a[mid], &a[lo]);
        if (a[hi] < a[lo])  swap_u32(&a[hi], &a[lo]);
        if (a[hi] < a[mid]) swap_u32(&a[hi], &a[mid]);
        uint32_t pivot = a[mid];
        long i = lo - 1, j = hi + 1;
        for (;;) {
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j)
                break;
            swap_u32(&a[i], &a[j]);
        }
        if (j - lo < hi - j) {
            quicksort(a, lo, j);
            lo = j + 1;
        } else {
            quicksort(a, j + 1, hi);
            hi = j;
        }
    }
}

/* Order-sensitive hash of a sorted array; 0 if it is not sorted. */
static uint32_t sorted_hash(const uint32_t *a, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i])
            return 0;
        h = (h ^ a[i]) * 0x01000193u;
    }
    return h;
}

/* ---- sieve ---- */

static uint32_t sieve(uint64_t *sum)
{
    uint32_t count = 0;
    uint64_t s = 0;
    for (uint32_t i = 0; i <= SIEVE_N; i++)
        composite[i] = 0;
    for (uint32_t i = 2; i * i <= SIEVE_N; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j <= SIEVE_N; j += i)
                composite[j] = 1;
    for (uint32_t i = 2; i <= SIEVE_N; i++)
        if (!composite[i]) {
            count++;
            s += i;
        }
    *sum = s;
    return count;
}

/* ---- 64-bit multiply / divide ---- */

static uint64_t muldiv_mix(uint64_t seed)
{
    uint64_t a = seed | 1, acc = 0;
    for (int i = 0; i < MIX_ROUNDS; i++) {
        a = a * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t d = (a >> 40) | 1;
        uint64_t q = a / d, r = a % d;
        int64_t sd = (int64_t)(((a & 0xffff) - 0x8000) | 1);
        int64_t sq = (int64_t)a / sd, sr = (int64_t)a % sd;
        unsigned __int128 p = (unsigned __int128)a * q;
        acc ^= (uint64_t)(p >> 64) + (uint64_t)p + r + (uint64_t)sq - (uint64_t)sr;
        acc = (acc << 7) | (acc >> 57);
    }
    return acc;
}

/* ---- driver ---- */

static void report(const char *name, uint64_t v)
{
    puts(name);
    puts(": ");
    put_hex64(v);
    putc('\n');
}

int main(void)
{
    uint32_t crc_b = 0, crc_t = 0, h_i = 0, h_q = 0, primes = 0;
    uint64_t prime_sum = 0, mix = 0, checksum = 0;
    int ok = 1;

    crc32_make_table();

    for (uint32_t it = 0; it < ITERS; it++) {
        uint32_t seed = 0x2545f491u + it * 0x9e3779b9u;
        xs_state = seed ? seed : 1;

        for (size_t i = 0; i < BUF_LEN; i++)
            buf[i] = (uint8_t)xorshift32();
        crc_b = crc32_bitwise(buf, BUF_LEN);
        crc_t = crc32_table(buf, BUF_LEN);

        for (size_t i = 0; i < ISORT_N; i++)
            arr_i[i] = xorshift32();
        insertion_sort(arr_i, ISORT_N);
        h_i = sorted_hash(arr_i, ISORT_N);

        for (size_t i = 0; i < QSORT_N; i++)
            arr_q[i] = xorshift32();
        quicksort(arr_q, 0, QSORT_N - 1);
        h_q = sorted_hash(arr_q, QSORT_N);

        primes = sieve(&prime_sum);
        mix = muldiv_mix(((uint64_t)seed << 32) | xorshift32());

        if (crc_b != crc_t || h_i == 0 || h_q == 0 || primes != 9592)
            ok = 0;

        checksum = (checksum << 5) | (checksum >> 59);
        checksum ^= ((uint64_t)crc_b << 32) | rotl32(h_i, 7);
        checksum += ((uint64_t)h_q << 17) ^ prime_sum ^ mix;
    }

    report("iters", ITERS);
    report("crc32_bitwise", crc_b);
    report("crc32_table", crc_t);
    report("insertion_sort", h_i);
    report("quicksort", h_q);
    report("sieve_count", primes);
    report("sieve_sum", prime_sum);
    report("muldiv", mix);
    report("checksum", checksum);
    puts(ok ? "compute: OK\n" : "compute: FAIL\n");
    return 0;
}
