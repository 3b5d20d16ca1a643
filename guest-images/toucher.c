/*
 * toucher: touch guest memory page by page, deterministically.
 *
 * Entry (start.S passes x0..x2 to main unchanged):
 *   x0  device tree address (ignored)
 *   x1  number of 4 KiB pages to touch; 0 means 256 (1 MiB)
 *   x2  seed of the pattern; 0 means 1
 *   x3  words touched per page, 1..8; 0 (or more than 8) means 8. With 1,
 *       each page costs the guest a few dozen instructions: what the
 *       fault → donate → run benchmark uses, to measure the faults.
 *
 * The region is [base, base + pages * 4096) with base the first 4 KiB
 * boundary at or after __image_end (the end of .bss, which holds the stack),
 * so nothing of the image is overwritten and nothing outside the region is
 * accessed.
 *
 *   1. write pass: for each page in address order, `words` words at offsets
 *      0, 512, ..., each the next value of a xorshift64* generator seeded
 *      with the seed
 *   2. read pass: read the same words back in the same order and fold
 *      their bytes (little-endian) into a 64-bit FNV-1a hash
 *
 * Prints `toucher: pages <hex>` and `toucher: checksum <16 hex>`, then
 * PSCI SYSTEM_OFF (start.S). Under KVM with the MMIO guard (pKVM) it first
 * enrols and maps the UART page, as Linux's ioremap hook does
 * (common/pkvm-guest.c). The checksum depends only on pages and seed,
 * and words, never on addresses. A page count that would run past the top of the
 * address space prints `toucher: too many pages <hex>` and touches nothing.
 */
#include <stdint.h>
#include "fmt.h"
#include "pkvm-guest.h"
#include "uart.h"

#define PAGE_SIZE       4096u
#define DEFAULT_PAGES   256u
#define WORDS_PER_PAGE  8u
#define WORD_STRIDE     (PAGE_SIZE / WORDS_PER_PAGE)   /* 512 bytes */

#define FNV64_OFFSET    0xcbf29ce484222325ull
#define FNV64_PRIME     0x00000100000001b3ull

extern char __image_end[];

static uint64_t xorshift64star(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

int main(uint64_t dtb, uint64_t pages, uint64_t seed, uint64_t words)
{
    uint64_t base, state, hash, p, w;

    (void)dtb;
    pkvm_ioremap_hook(UART_BASE);
    if (pages == 0)
        pages = DEFAULT_PAGES;
    if (seed == 0)
        seed = 1;
    if (words == 0 || words > WORDS_PER_PAGE)
        words = WORDS_PER_PAGE;

    base = ((uint64_t)(uintptr_t)__image_end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    if (pages > (~base >> 12)) {          /* base + pages * 4096 would wrap */
        puts("toucher: too many pages ");
        put_hex_min(pages);
        putc('\n');
        return 1;
    }

    state = seed;
    for (p = 0; p < pages; p++) {
        volatile uint64_t *page = (volatile uint64_t *)(uintptr_t)(base + p * PAGE_SIZE);
        for (w = 0; w < words; w++)
            page[w * (WORD_STRIDE / 8)] = xorshift64star(&state);
    }

    hash = FNV64_OFFSET;
    for (p = 0; p < pages; p++) {
        volatile uint64_t *page = (volatile uint64_t *)(uintptr_t)(base + p * PAGE_SIZE);
        for (w = 0; w < words; w++) {
            uint64_t v = page[w * (WORD_STRIDE / 8)];
            unsigned b;
            for (b = 0; b < 8; b++) {
                hash ^= (v >> (b * 8)) & 0xff;
                hash *= FNV64_PRIME;
            }
        }
    }

    puts("toucher: pages ");
    put_hex_min(pages);
    puts("\ntoucher: checksum ");
    put_hex64(hash);
    putc('\n');
    return 0;
}
